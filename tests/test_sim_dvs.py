"""Analytic tests of the DVS pixel model (evface.sim.dvs)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import EvfaceError, ParameterError
from evface.events.core import EVENT_DTYPE, validate_events
from evface.sim.dvs import DvsSimulator, simulate_frames
from evface.sim.dvs_params import DvsParams
from evface.sim.sensors import DVS_SENSORS


def _ramp_events(k: int, sign: int, n_steps: int, params: DvsParams, dt_us: int = 1000) -> np.ndarray:
    """One pixel whose log intensity moves linearly by sign * (k + 0.5) thresholds."""
    theta = params.threshold_on_log if sign > 0 else params.threshold_off_log
    total = sign * (k + 0.5) * theta
    times = np.arange(n_steps + 1) * dt_us
    frames = [np.full((1, 1), 100.0 * math.exp(total * i / n_steps), np.float32) for i in range(n_steps + 1)]
    return simulate_frames(frames, times, (1, 1), params, seed=0)


@pytest.mark.parametrize("k", [1, 3, 8])
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("n_steps", [1, 7])
def test_linear_log_ramp_gives_k_evenly_spaced_events(k, sign, n_steps):
    params = DvsParams.ideal(0.2)
    dt_us = 10_000
    ev = _ramp_events(k, sign, n_steps, params, dt_us)
    assert ev.dtype == EVENT_DTYPE
    assert ev.size == k
    assert np.all(ev["p"] == sign)
    # crossing j happens at j / (k + 0.5) of the ramp
    expected = np.arange(1, k + 1) / (k + 0.5) * n_steps * dt_us
    np.testing.assert_allclose(ev["t"], expected, atol=1.0)
    if k > 1:
        spacing = np.diff(ev["t"])
        assert spacing.max() - spacing.min() <= 1


def test_refractory_period_suppresses_close_events():
    # 20 crossings 100 µs apart in one step; refractory 250 µs keeps crossings 1, 4, 7, ...
    k, dt_us = 20, 2000
    base = DvsParams.ideal(0.2)
    free = _ramp_events(k, 1, 1, base, dt_us=int(dt_us * (k + 0.5) / k))
    assert free.size == k
    ev = _ramp_events(k, 1, 1, DvsParams.ideal(0.2, refractory_us=250.0), dt_us=int(dt_us * (k + 0.5) / k))
    assert ev.size == 7
    assert np.diff(ev["t"]).min() >= 250
    np.testing.assert_array_equal(ev["t"], free["t"][::3])


def test_refractory_period_spans_steps():
    params = DvsParams.ideal(0.2, refractory_us=5000.0)
    sim = DvsSimulator((1, 1), params, seed=0)
    sim.step(np.full((1, 1), 100.0, np.float32), 0)
    level = 100.0
    times = []
    for i in range(1, 21):  # one threshold crossing per 1 ms step
        level *= math.exp(0.21)
        ev = sim.step(np.full((1, 1), level, np.float32), i * 1000)
        times.extend(ev["t"].tolist())
    assert len(times) >= 3
    assert np.diff(times).min() >= 5000


def test_threshold_mismatch_has_configured_sigma():
    params = DvsParams(threshold_on_log=0.3, threshold_off_log=0.2, threshold_on_sigma_log=0.04,
                       threshold_off_sigma_log=0.02)
    sim = DvsSimulator((200, 150), params, seed=3)
    on, off = sim.threshold_on, sim.threshold_off
    assert on.shape == off.shape == (150, 200)
    assert abs(on.mean() - 0.3) < 0.002 and abs(on.std() - 0.04) / 0.04 < 0.03
    assert abs(off.mean() - 0.2) < 0.002 and abs(off.std() - 0.02) / 0.02 < 0.03
    assert abs(np.corrcoef(on.ravel(), off.ravel())[0, 1]) < 0.03


def test_mismatched_thresholds_decide_which_pixels_fire():
    params = DvsParams(threshold_on_log=0.2, threshold_on_sigma_log=0.03)
    sim = DvsSimulator((100, 100), params, seed=1)
    sim.step(np.full((100, 100), 50.0, np.float32), 0)
    ev = sim.step(np.full((100, 100), 50.0 * math.exp(0.2), np.float32), 1000)
    fired = np.zeros((100, 100), bool)
    fired[ev["y"], ev["x"]] = True
    clear = np.abs(sim.threshold_on - 0.2) > 1e-4  # float32 rounding decides the borderline ones
    np.testing.assert_array_equal(fired[clear], (sim.threshold_on < 0.2)[clear])
    assert 0.35 < fired.mean() < 0.65


def _static_run(params: DvsParams, lux: float, seconds: float, size=(100, 100), step_us=100_000, seed=0):
    sim = DvsSimulator(size, params, seed)
    frame = np.full(size[::-1], lux, np.float32)
    chunks = [sim.step(frame, i * step_us) for i in range(int(seconds * 1e6 / step_us) + 1)]
    return np.concatenate(chunks)


def test_leak_rate_matches_configuration():
    params = DvsParams.ideal(0.2, leak_rate_hz=2.0, leak_jitter=0.2)
    ev = _static_run(params, 100.0, 5.0)
    rate = ev.size / (100 * 100 * 5.0)
    assert abs(rate - 2.0) / 2.0 < 0.1
    assert np.all(ev["p"] == 1)
    validate_events(ev, (100, 100))


def test_shot_noise_rate_matches_configuration_and_rises_in_low_light():
    params = DvsParams.ideal(0.2, shot_noise_rate_hz=1.5, noise_ref_lux=10.0)
    ev = _static_run(params, 10.0, 5.0)
    rate = ev.size / (100 * 100 * 5.0)
    assert abs(rate - 1.5) / 1.5 < 0.1
    on = np.count_nonzero(ev["p"] == 1)
    assert abs(on / ev.size - 0.5) < 0.03
    dim = _static_run(params, 0.1, 1.0)  # sqrt(10 / 0.1) = 10 times the rate (at the cap)
    assert abs(dim.size / (100 * 100 * 1.0) - 15.0) / 15.0 < 0.1
    bright = _static_run(params, 1000.0, 5.0)
    assert abs(bright.size / (100 * 100 * 5.0) - 0.15) / 0.15 < 0.1


def test_noise_is_spread_over_pixels_and_time():
    params = DvsParams.ideal(0.2, leak_rate_hz=1.0, shot_noise_rate_hz=1.0)
    ev = _static_run(params, 10.0, 2.0, size=(40, 30))
    assert np.unique(ev["x"]).size == 40 and np.unique(ev["y"]).size == 30
    phase = ev["t"] % 100_000
    hist = np.bincount(phase // 10_000, minlength=10)
    assert hist.min() > 0.8 * hist.mean()


@pytest.mark.parametrize("cutoff_hz", [50.0, 400.0])
def test_lowpass_step_response_has_configured_time_constant(cutoff_hz):
    # a log step of 4 (20 thresholds of 0.2) filtered by a first-order low-pass: crossing j
    # happens at t_j = -tau ln(1 - j theta / A)
    theta, amp = 0.2, 4.0
    params = DvsParams.ideal(theta, cutoff_hz=cutoff_hz, bandwidth_ref_lux=100.0)
    sim = DvsSimulator((1, 1), params, seed=0)
    sim.step(np.full((1, 1), 200.0, np.float32), 0)
    tau_us = 1e6 / (2 * math.pi * cutoff_hz)
    high = np.full((1, 1), 200.0 * math.exp(amp), np.float32)
    step_us = max(int(tau_us / 200), 1)
    chunks = [sim.step(high, i * step_us) for i in range(1, int(6 * tau_us / step_us))]
    ev = np.concatenate(chunks)
    j = np.arange(1, ev.size + 1)
    assert ev.size == int(amp / theta) - 1 or ev.size == int(amp / theta)
    assert np.all(ev["p"] == 1)
    fit_tau = np.sum(ev["t"] * -np.log(1 - j * theta / amp)) / np.sum(np.log(1 - j * theta / amp) ** 2)
    assert abs(fit_tau - tau_us) / tau_us < 0.03


def test_bandwidth_falls_in_low_light():
    params = DvsParams.ideal(0.2, cutoff_hz=200.0, bandwidth_ref_lux=1000.0, lin_log_lux=1.0)

    def first_event_time(lux):
        # an OFF step down to ``lux``: the cut-off follows the (new) photocurrent
        sim = DvsSimulator((1, 1), params, seed=0)
        sim.step(np.full((1, 1), lux * math.exp(1.0), np.float32), 0)
        for i in range(1, 20000):
            ev = sim.step(np.full((1, 1), lux, np.float32), i * 20)
            if ev.size:
                assert ev["p"][0] == -1
                return int(ev["t"][0])
        return None

    bright, dim = first_event_time(2000.0), first_event_time(9.0)
    # cut-off scales with (I + 1 lux) / 1000 lux below the reference: 100 times slower at 9 lux
    assert dim / bright == pytest.approx(100.0, rel=0.05)


def test_same_seed_same_events_and_different_seed_differs():
    params = DvsParams.preset("davis346", leak_rate_hz=1.0, shot_noise_rate_hz=2.0)
    rng = np.random.default_rng(0)
    frames = (20 + 200 * rng.random((30, 24, 32))).astype(np.float32)
    times = np.arange(30) * 2000
    a = simulate_frames(frames, times, (32, 24), params, seed=5)
    b = simulate_frames(frames, times, (32, 24), params, seed=5)
    c = simulate_frames(frames, times, (32, 24), params, seed=6)
    assert a.size > 1000
    np.testing.assert_array_equal(a, b)
    assert a.size != c.size or not np.array_equal(a, c)
    validate_events(a, (32, 24))


def test_reset_replays_identically():
    params = DvsParams.preset("evk4", shot_noise_rate_hz=5.0)
    sim = DvsSimulator((16, 8), params, seed=2)
    rng = np.random.default_rng(1)
    frames = (5 + 100 * rng.random((10, 8, 16))).astype(np.float32)
    first = [sim.step(f, i * 1000) for i, f in enumerate(frames)]
    sim.reset()
    second = [sim.step(f, i * 1000) for i, f in enumerate(frames)]
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


def test_moving_grating_event_count_matches_analytic_expectation():
    # log I = log I0 + A sin(2 pi (x - v t) / lambda): every pixel sweeps 4A of log per period;
    # an ideal pixel with threshold theta loses on average one threshold at each reversal, so it
    # emits 4A/theta - 2 events per period.
    amp, theta, periods, steps_per_period = 1.0, 0.2, 6, 400
    width, height, wavelength = 64, 4, 64.0
    params = DvsParams.ideal(theta)
    xs = np.arange(width, dtype=np.float64)
    sim = DvsSimulator((width, height), params, seed=0)
    total = 0
    on = 0
    for i in range(periods * steps_per_period + 1):
        phase = 2 * math.pi * (xs / wavelength - i / steps_per_period)
        row = 100.0 * np.exp(amp * np.sin(phase))
        ev = sim.step(np.tile(row.astype(np.float32), (height, 1)), i * 250)
        total += ev.size
        on += np.count_nonzero(ev["p"] == 1)
    expected = width * height * periods * (4 * amp / theta - 2)
    assert abs(total - expected) / expected < 0.05
    assert abs(on / total - 0.5) < 0.02


def test_events_of_a_step_are_sorted_and_inside_the_step():
    params = DvsParams.preset("davis346", shot_noise_rate_hz=10.0, leak_rate_hz=5.0)
    sim = DvsSimulator((40, 30), params, seed=0)
    rng = np.random.default_rng(0)
    sim.step(np.full((30, 40), 50.0, np.float32), 1_000)
    for i in range(2, 12):
        frame = (50 * np.exp(rng.normal(0, 0.5, (30, 40)))).astype(np.float32)
        ev = sim.step(frame, i * 1_000)
        validate_events(ev, (40, 30))
        assert ev.size == 0 or (ev["t"].min() >= (i - 1) * 1_000 and ev["t"].max() <= i * 1_000)


def test_substeps_follow_linear_interpolation_of_the_input():
    # one big step, no low-pass: with sub-steps the input moves linearly in lux, so crossing of
    # log level L happens when I(t) = exp(L); without them the log moves linearly
    i0, i1, dt_us = 100.0, 100.0 * math.exp(1.5), 100_000
    frames = [np.full((1, 1), v, np.float32) for v in (i0, i1)]
    fine = simulate_frames(frames, [0, dt_us], (1, 1), DvsParams.ideal(0.2, substep_fraction=0.05))
    coarse = simulate_frames(frames, [0, dt_us], (1, 1), DvsParams.ideal(0.2))
    assert fine.size == coarse.size == 7
    levels = i0 * np.exp(0.2 * np.arange(1, 8))
    expected = (levels - i0) / (i1 - i0) * dt_us
    # error bounded by the chord between sub-steps (0.05 threshold wide)
    np.testing.assert_allclose(fine["t"], expected, rtol=0.01, atol=200)
    np.testing.assert_allclose(coarse["t"], np.arange(1, 8) * 0.2 / 1.5 * dt_us, atol=1.0)


def test_substeps_keep_the_lowpass_accurate_for_coarse_input():
    # 20 ms frames of a fast signal through a 5 ms low-pass: sub-stepping must match feeding the
    # same frames linearly interpolated (in lux) to 0.5 ms
    params = DvsParams.ideal(0.2, cutoff_hz=30.0, bandwidth_ref_lux=10.0)
    t_coarse = np.arange(0, 400_001, 20_000)
    lux = (100 * np.exp(2.0 * np.sin(2 * np.pi * t_coarse / 100_000))).astype(np.float32)
    t_fine = np.arange(0, 400_001, 500)
    lux_fine = np.interp(t_fine, t_coarse, lux).astype(np.float32)
    reference = simulate_frames(lux_fine.reshape(-1, 1, 1), t_fine, (1, 1), params)
    sub = simulate_frames(lux.reshape(-1, 1, 1), t_coarse, (1, 1), replace(params, substep_fraction=0.1))
    plain = simulate_frames(lux.reshape(-1, 1, 1), t_coarse, (1, 1), params)
    assert reference.size > 40
    assert abs(sub.size - reference.size) <= 1
    assert abs(plain.size - reference.size) > abs(sub.size - reference.size)
    n = min(sub.size, reference.size)
    assert np.median(np.abs(sub["t"][:n] - reference["t"][:n])) < 1000


@pytest.mark.parametrize(
    "frame",
    [
        np.full((3, 4), np.nan, np.float32),
        np.full((3, 4), np.inf, np.float32),
        np.full((3, 4), -1.0, np.float32),
    ],
)
def test_bad_intensities_raise(frame):
    sim = DvsSimulator((4, 3), DvsParams.ideal(), seed=0)
    with pytest.raises(EvfaceError, match="negative or non-finite"):
        sim.step(frame, 0)
    sim.step(np.ones((3, 4), np.float32), 0)
    with pytest.raises(EvfaceError, match="negative or non-finite"):
        sim.step(frame, 1000)
    assert sim.step(np.ones((3, 4), np.float32), 2000).size == 0  # re-initialised


@pytest.mark.parametrize(("frame", "dtype"), [(np.full((3, 4), 2 + 1j), "complex128"), (np.full((3, 4), "a"), "<U1")])
def test_a_frame_of_no_real_numbers_is_named(frame, dtype):
    """Were: a complex frame's imaginary part dropped with a ComplexWarning (events from the real part),
    a string frame numpy's "could not convert string to float"."""
    sim = DvsSimulator((4, 3), DvsParams.ideal(), seed=0)
    sim.step(np.ones((3, 4), np.float32), 0)
    with pytest.raises(ParameterError, match=f"frame_lux must hold real numbers \\(lux\\), got dtype {dtype}"):
        sim.step(frame, 1000)
    fresh = DvsSimulator((4, 3), DvsParams.ideal(), seed=0)
    fresh.step(np.ones((3, 4), np.float32), 0)
    after = np.full((3, 4), 2.0, np.float32)
    np.testing.assert_array_equal(sim.step(after, 1000), fresh.step(after, 1000))  # the state is kept


def test_times_past_float64_whole_microseconds_are_refused():
    """Was: frames at 2^62 µs and 2^62 + 1000 µs gave every event the time 2^62, the previous frame's,
    outside the step (float64 holds 2^62 only to 1024 µs)."""
    frames, big = [np.full((3, 4), v, np.float32) for v in (10, 20)], 2**62
    with pytest.raises(ParameterError, match=r"t_us 4611686018427387904 lies beyond ±2\^53 µs \(MAX_TIME_US\)"):
        simulate_frames(frames, [big, big + 1000], (4, 3), DvsParams.ideal(0.2))
    edge = 2**53 - 1000
    ev = simulate_frames(frames, [edge, edge + 1000], (4, 3), DvsParams.ideal(0.2))
    assert ev.size and ev["t"].min() > edge and ev["t"].max() <= edge + 1000


def test_bad_shapes_times_and_parameters_raise():
    with pytest.raises(ParameterError):
        DvsSimulator((0, 5), DvsParams.ideal())
    sim = DvsSimulator((4, 3), DvsParams.ideal())
    with pytest.raises(ParameterError, match="shape"):
        sim.step(np.ones((0, 0), np.float32), 0)
    with pytest.raises(ParameterError, match="shape"):
        sim.step(np.ones((4, 3), np.float32), 0)
    sim.step(np.ones((3, 4), np.float32), 10)
    with pytest.raises(ParameterError, match="increase"):
        sim.step(np.ones((3, 4), np.float32), 10)
    for field in ("leak_rate_hz", "shot_noise_rate_hz", "cutoff_hz", "refractory_us"):
        with pytest.raises(ParameterError, match=field):
            DvsParams(**{field: -1.0})
    with pytest.raises(ParameterError):
        DvsParams(threshold_on_log=0.0)
    with pytest.raises(ParameterError):
        DvsParams(cutoff_hz=float("nan"))
    with pytest.raises(ParameterError, match="unknown"):
        DvsParams.preset("davis999")
    with pytest.raises(ParameterError, match="unknown"):
        DvsParams.preset("davis346", bogus=1)
    with pytest.raises(ParameterError, match="frames"):
        simulate_frames(np.ones((2, 3, 4), np.float32), [0, 1, 2], (4, 3))
    with pytest.raises(ParameterError, match="frames"):
        simulate_frames(np.ones((3, 3, 4), np.float32), [0, 1], (4, 3))


def test_a_sensor_whose_state_outgrows_memory_is_refused(monkeypatch):
    """`simulate --sensor 40000x40000` was an internal MemoryError (30 GiB for one state array)."""
    from evface import checks
    from evface.sim import dvs

    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}  # a machine of 1 GiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    with pytest.raises(ParameterError, match=r"sensor_size 4000x4000: the pixel model's state takes about 1.5 GiB, "
                                             r"more than half of this machine's 1 GiB; simulate a smaller sensor"):
        dvs.DvsSimulator((4000, 4000))
    assert dvs.DvsSimulator((346, 260)).sensor_size == (346, 260)


def test_a_step_whose_events_outgrow_memory_is_refused(monkeypatch):
    """threshold_min_log=1e-6 made one step of 192 pixels from 100 to 1000 lux hold 442 M events
    (10.5 GB resident): a step's events are checked against the memory before they are sorted."""
    from evface import checks
    from evface.sim import dvs

    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2048}  # a machine of 8 MiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    monkeypatch.setattr(dvs, "_UNCHECKED_EVENTS", 0)
    sim = DvsSimulator((64, 48), DvsParams.ideal(0.2))
    dark, bright = np.full((48, 64), 1.0, np.float32), np.full((48, 64), 1e6, np.float32)
    sim.step(dark, 0)
    with pytest.raises(ParameterError, match=r"a step of 211,968 events \(to t_us 1000\) takes about 0.0 GiB, more "
                                             r"than half of this machine's 0 GiB; raise the thresholds"):
        sim.step(bright, 1000)
    pages["SC_PHYS_PAGES"] = 1 << 20  # 4 GiB
    assert sim.step(bright, 2000).size == 0 and sim.step(dark, 3000).size == 211_968  # re-initialised


def test_noise_fields_and_steps_are_bounded_before_memory_runs_out():
    """leak_rate_hz=1e9 or shot_noise_rate_hz=1e12 raised a MemoryError of 1.44 TiB, and a step of
    100 s held 1.6 GB of sort bins: the fields, the step and its noise are bounded by name."""
    from evface.sim.dvs import MAX_STEP_US
    from evface.sim.dvs_params import MAX_NOISE_PER_STEP, NOISE_FIELD_MAX

    for field, (high, _) in NOISE_FIELD_MAX.items():
        assert getattr(DvsParams(**{field: high}), field) == high
        with pytest.raises(ParameterError, match=f"DvsParams.{field} must be <= {high:g} "):
            DvsParams(**{field: high * 1.5})
    frame = np.full((48, 64), 10.0, np.float32)
    sim = DvsSimulator((64, 48), DvsParams.preset("davis346"))
    sim.step(frame, 0)
    with pytest.raises(ParameterError, match="t_us 10000001 is 10,000,001 µs after the previous frame; steps are at "
                                             "most 10,000,000 µs"):
        sim.step(frame, MAX_STEP_US + 1)
    assert sim.step(frame, MAX_STEP_US).size > 0  # the refused step left the simulator as it was
    loud = DvsSimulator((64, 48), DvsParams.preset("davis346", shot_noise_rate_hz=1000, shot_noise_max_factor=1000))
    loud.step(frame, 0)
    with pytest.raises(ParameterError, match=f"draws 3,072,000,307 noise events, more than the {MAX_NOISE_PER_STEP:,}"):
        loud.step(frame, 1_000_000)
    assert loud.step(frame, 1000).size > 0


def test_a_tiny_substep_fraction_takes_the_most_substeps():
    """substep_fraction=1e-20 made the sub-step count pass int64 and wrap below 0: a pixel that
    changed emitted nothing (599 events instead of ~59 000 from `simulate --set substep_fraction=1e-30`)."""
    frames = [np.full((3, 4), v, np.float32) for v in (100.0, 1000.0, 30.0)]
    capped = simulate_frames(frames, [0, 1000, 2000], (4, 3), DvsParams.ideal(0.2, substep_fraction=1e-3))
    assert capped.size > 100
    for fraction in (1e-20, 1e-300):
        tiny = simulate_frames(frames, [0, 1000, 2000], (4, 3), DvsParams.ideal(0.2, substep_fraction=fraction))
        assert np.array_equal(tiny, capped)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("threshold_min_log", 1e-6, r"DvsParams.threshold_min_log must be in \[0.001, inf\] "),
    ("lin_log_lux", 1e-39, r"DvsParams.lin_log_lux must be in \[1.17549e-38, 3.40282e\+38\] \(the pixel model computes in float32"),
    ("lin_log_lux", 1e39, r"DvsParams.lin_log_lux must be in "),
    ("cutoff_hz", 1e-300, r"DvsParams.cutoff_hz must be 0 \(no low-pass\) or at least 1e-06 Hz, got 1e-300"),
])
def test_pixel_fields_beyond_the_float32_model_are_refused(field, value, message):
    """threshold_min_log=1e-6 made 442 M events (10 GB) from one 100 -> 1000 lux step of 192 pixels
    (1e-30: a per-pixel count past int64); lin_log_lux outside float32's normal numbers made L(I) NaN
    (1524 events instead of ~180 000, or none); cutoff_hz=1e-300 underflowed to 'no low-pass'."""
    with pytest.raises(ParameterError, match=message):
        DvsParams.ideal(0.2, **{field: value})
    assert DvsParams.ideal(0.2, threshold_min_log=1e-3, lin_log_lux=1.2e-38, cutoff_hz=1e-6).cutoff_hz == 1e-6


def test_long_steps_sort_on_one_thread(monkeypatch):
    """The parallel sort keeps a histogram of the step's µs per band of rows (65 bands of 10 s on
    16 threads: 5.2 GB); long steps take the serial sort, the same events."""
    import numba

    from evface.sim import dvs, dvs_kernels

    if numba.get_num_threads() < 2:
        pytest.skip("needs two numba threads")
    monkeypatch.setattr(dvs, "PARALLEL_MIN_PIXELS", 1)
    monkeypatch.setattr(dvs, "PARALLEL_MIN_EVENTS", 1)
    serial = dvs_kernels.emit_serial
    calls = []  # the simulator's own name for the serial sort is replaced
    monkeypatch.setattr(dvs, "emit_serial", lambda *args: calls.append(args[6][dvs_kernels.PRM_DT]) or serial(*args))
    frames = np.stack([np.full((48, 64), v, np.float32) for v in (10, 40, 10)])
    simulate_frames(frames, [0, 1000, dvs.MAX_STEP_US], (64, 48), DvsParams.ideal())
    assert calls == [dvs.MAX_STEP_US - 1000]


def test_presets_and_sensor_table():
    assert DVS_SENSORS == {"davis346": (346, 260), "evk4": (1280, 720)}
    for name in DVS_SENSORS:
        p = DvsParams.preset(name)
        assert p.cutoff_hz > 0 and p.refractory_us > 0 and p.leak_rate_hz > 0 and p.shot_noise_rate_hz > 0
        assert DvsParams.preset(name, cutoff_hz=0.0).cutoff_hz == 0.0
    ideal = DvsParams.ideal(0.25)
    assert ideal.threshold_on_sigma_log == 0 and ideal.cutoff_hz == 0 and ideal.leak_rate_hz == 0


def test_events_do_not_depend_on_the_thread_count():
    import numba

    from evface.sim.dvs import PARALLEL_MIN_PIXELS

    size = (200, 170)
    assert size[0] * size[1] >= PARALLEL_MIN_PIXELS  # the parallel kernels
    rng = np.random.default_rng(0)
    frames = (10 + 300 * rng.random((6, 170, 200))).astype(np.float32)
    params = DvsParams.preset("davis346", shot_noise_rate_hz=5.0)
    old = numba.get_num_threads()
    try:
        runs = []
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            runs.append(simulate_frames(frames, np.arange(6) * 1000, size, params, seed=1))
    finally:
        numba.set_num_threads(old)
    assert runs[0].size > 10_000
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)


def test_the_parallel_sort_orders_the_events_as_the_serial_one(monkeypatch):
    import numba

    from evface.sim import dvs

    least = dvs.PARALLEL_MIN_EVENTS
    size = (200, 170)
    frames = _golden_scene(size, 6)  # every pixel changes every step; step 3 overflows the row buffers
    params = DvsParams.preset("davis346", shot_noise_rate_hz=5.0, refractory_us=0.0)
    old = numba.get_num_threads()
    runs = {}
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            for name, least in (("serial", 1 << 62), ("parallel", 0)):
                monkeypatch.setattr(dvs, "PARALLEL_MIN_EVENTS", least)
                runs[name, threads] = simulate_frames(frames, np.arange(6) * 1000, size, params, seed=2)
    finally:
        numba.set_num_threads(old)
    reference = runs["serial", 1]
    per_step = np.bincount((reference["t"] - 1) // 1000)
    assert per_step.size == 5 and per_step.min() > least  # the default sends every step to the parallel sort
    validate_events(reference, size)
    for other in runs.values():
        np.testing.assert_array_equal(reference, other)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.05, 5000.0), min_size=2, max_size=12),
    st.floats(0.05, 0.5),
)
def test_ideal_events_track_the_net_log_change(levels, theta):
    # without noise or refractory period, sum(p * theta) follows the log signal to within one
    # threshold, whatever the path
    params = DvsParams.ideal(theta, lin_log_lux=0.01)
    frames = np.asarray(levels, np.float32).reshape(-1, 1, 1)
    ev = simulate_frames(frames, np.arange(len(levels)) * 1000, (1, 1), params)
    net = float(np.sum(ev["p"])) * theta
    change = math.log(float(frames[-1, 0, 0])) - math.log(float(frames[0, 0, 0]))
    assert abs(net - change) < theta + 1e-4
    ups = np.log(frames[1:, 0, 0].astype(np.float64)) - np.log(frames[:-1, 0, 0].astype(np.float64))
    assert np.count_nonzero(ev["p"] == 1) <= np.sum(np.maximum(ups, 0)) / theta + 1 + 1e-3


def test_rows_with_more_events_than_their_buffer_are_re_run():
    # 4 pixels x 60 events in one step overflow the 4 + 64 event row buffer of pass 1
    params = DvsParams.ideal(0.1)
    frames = np.stack([np.full((1, 4), 10.0, np.float32), np.full((1, 4), 10.0 * math.exp(6.05), np.float32)])
    ev = simulate_frames(frames, [0, 60_000], (4, 1), params)
    single = simulate_frames(frames[:, :, :1], [0, 60_000], (1, 1), params)
    assert single.size == 60 and ev.size == 240
    validate_events(ev, (4, 1))
    for x in range(4):
        np.testing.assert_array_equal(ev["t"][ev["x"] == x], single["t"])


def _reference_ideal(frames: np.ndarray, times: np.ndarray, theta: float) -> dict:
    """Plain float64 ideal DVS: per pixel, the (t, p) of every threshold crossing."""
    logs = np.log(frames.astype(np.float64))
    out = {}
    for y in range(frames.shape[1]):
        for x in range(frames.shape[2]):
            base = logs[0, y, x]
            evs = []
            for k in range(1, len(times)):
                a, b = logs[k - 1, y, x], logs[k, y, x]
                while b - base >= theta or base - b >= theta:
                    pol = 1 if b > base else -1
                    base += pol * theta
                    evs.append((round(times[k - 1] + (base - a) / (b - a) * (times[k] - times[k - 1])), pol))
            out[(x, y)] = evs
    return out


def test_matches_a_plain_reference_with_static_stretches():
    # 150 px wide (several 64-px blocks): the left half changes every step, the right half only
    # now and then, so static blocks are skipped and must come back exactly
    rng = np.random.default_rng(7)
    n, h, w = 12, 3, 150
    frames = np.empty((n, h, w), np.float32)
    frames[0] = 50 * np.exp(rng.normal(0, 1, (h, w)))
    for k in range(1, n):
        frames[k] = frames[k - 1]
        frames[k, :, :75] = 50 * np.exp(rng.normal(0, 1, (h, 75)))
        if k % 4 == 0:
            frames[k, :, 75:] = 50 * np.exp(rng.normal(0, 1, (h, 75)))
    times = np.arange(n) * 10_000
    ev = simulate_frames(frames, times, (w, h), DvsParams.ideal(0.2, lin_log_lux=1e-3))
    ref = _reference_ideal(frames, times, 0.2)
    assert sum(len(v) for v in ref.values()) == ev.size > 1000
    for (x, y), expected in ref.items():
        mine = ev[(ev["x"] == x) & (ev["y"] == y)]
        assert [int(p) for p in mine["p"]] == [p for _, p in expected]
        np.testing.assert_allclose(mine["t"], [t for t, _ in expected], atol=2)


def _golden_scene(size: tuple[int, int], steps: int) -> np.ndarray:
    """A blob over a textured background under a global light ramp and 100 Hz flicker (every
    pixel changes every step), with a jump of exp(6) at step 3 that overflows the row buffers."""
    width, height = size
    rng = np.random.default_rng(11)
    texture = (20 + 200 * rng.random((height, width))).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for k in range(steps):
        cx, cy = width * (0.3 + 0.04 * k), height / 2
        blob = 800 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (height / 8) ** 2))
        light = (1 + 0.02 * k) * (1 + 0.1 * math.cos(2 * math.pi * 100 * k * 1e-3)) * (math.exp(6) if k == 3 else 1)
        frames.append(((texture + blob) * light).astype(np.float32))
    return np.stack(frames)


@pytest.mark.parametrize(
    ("size", "params", "digest"),
    [
        ((200, 170), DvsParams.preset("davis346", shot_noise_rate_hz=5.0), "30df12df8e522120"),
        ((200, 170), DvsParams.ideal(0.1), "029cecfb30df17c6"),
        ((200, 170), DvsParams.preset("evk4", substep_fraction=0.0, leak_rate_hz=2.0), "a8927c8ac2baeffb"),
        ((48, 32), DvsParams.preset("davis346"), "0e5a13f24efd2baa"),
    ],
    ids=["davis346-parallel", "ideal-parallel", "evk4-nosub-parallel", "davis346-serial"],
)
def test_events_are_bit_identical_to_the_recorded_ones(size, params, digest):
    # sha256 of the events' bytes, recorded from the code before the dense-regime speed-ups:
    # an optimisation must not move a single event (x86-64 with FMA; `contract` is the only
    # fast-math flag, so a CPU without FMA would round differently)
    frames = _golden_scene(size, 8)
    ev = simulate_frames(frames, np.arange(8) * 1000, size, params, seed=3)
    assert ev.size > 1000
    assert hashlib.sha256(ev.tobytes()).hexdigest()[:16] == digest
