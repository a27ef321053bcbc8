"""Representations: conservation, monotone binning, closed windows, an oracle, bad input."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface import checks
from evface.errors import EventsError, ParameterError
from evface.events.core import concatenate, empty_events, make_events
from evface.events.representations import to_count_image, to_event_frames, to_time_surface, to_voxel_grid
from evface.events.transforms import EventFrames

FAST = settings(max_examples=60, deadline=None)
T_MAX = 1_000


@st.composite
def streams(draw, max_side: int = 6, max_events: int = 30):
    """A sorted events array on a small sensor, with its sensor size."""
    width, height = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    n = draw(st.integers(0, max_events))
    ints = lambda lo, hi: st.lists(st.integers(lo, hi), min_size=n, max_size=n)  # noqa: E731
    t = sorted(draw(ints(0, T_MAX)))
    x, y = draw(ints(0, width - 1)), draw(ints(0, height - 1))
    p = draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n))
    events = make_events(t, x, y, p, (width, height))
    return events, (width, height)


@st.composite
def windows(draw):
    t0 = draw(st.integers(-20, T_MAX + 20))
    return t0, draw(st.integers(t0, T_MAX + 40))


def inside(events, t0, t1):
    return events[(events["t"] >= t0) & (events["t"] <= t1)]


def frames_oracle(events, sensor, n_bins, t0, t1):
    out = np.zeros((n_bins, 2, sensor[1], sensor[0]))
    for t, x, y, p in inside(events, t0, t1).tolist():
        b = n_bins - 1 if t1 == t0 else min((t - t0) * n_bins // (t1 - t0), n_bins - 1)
        out[b, 0 if p > 0 else 1, y, x] += 1
    return out


def voxel_oracle(events, sensor, n_bins, t0, t1):
    out = np.zeros((n_bins, sensor[1], sensor[0]))
    for t, x, y, p in inside(events, t0, t1).tolist():
        tn = (n_bins - 1) * (t - t0) / (t1 - t0) if t1 > t0 else n_bins - 1
        left = min(int(math.floor(tn)), n_bins - 1)
        frac = tn - left
        out[left, y, x] += p * (1 - frac)
        if frac:
            out[left + 1, y, x] += p * frac
    return out


# --- event frames ---------------------------------------------------------------------------


@FAST
@given(streams(), windows(), st.integers(1, 6))
def test_frames_conserve_counts_and_match_oracle(stream, window, n_bins):
    events, sensor = stream
    frames = to_event_frames(events, sensor, n_bins, *window)
    assert frames.shape == (n_bins, 2, sensor[1], sensor[0]) and frames.dtype == np.float32
    kept = inside(events, *window)
    assert np.abs(frames).sum() == kept.size
    assert frames[:, 0].sum() == np.count_nonzero(kept["p"] > 0)
    np.testing.assert_array_equal(frames, frames_oracle(events, sensor, n_bins, *window))


@FAST
@given(streams(), windows(), st.integers(1, 6))
def test_frames_binary_is_presence(stream, window, n_bins):
    events, sensor = stream
    counts = to_event_frames(events, sensor, n_bins, *window)
    binary = to_event_frames(events, sensor, n_bins, *window, binary=True)
    np.testing.assert_array_equal(binary, (counts > 0).astype(np.float32))


def single_bins(events, sensor, n_bins, t0, t1, representation):
    """The bin each event lands in (for the voxel grid, the weighted mean bin)."""
    bins = []
    for i in range(events.size):
        grid = representation(events[i : i + 1], sensor, n_bins, t0, t1)
        per_bin = np.abs(grid).reshape(n_bins, -1).sum(axis=1)
        bins.append(float(np.dot(np.arange(n_bins), per_bin) / per_bin.sum()))
    return bins


@FAST
@given(streams(max_events=15), st.integers(1, 7), st.data())
def test_bins_are_monotone_in_time(stream, n_bins, data):
    events, sensor = stream
    t0 = data.draw(st.integers(-20, 0))
    t1 = data.draw(st.integers(T_MAX, T_MAX + 20))
    for representation in (to_event_frames, to_voxel_grid):
        bins = single_bins(events, sensor, n_bins, t0, t1, representation)
        assert all(a <= b + 1e-6 for a, b in pairwise(bins))
        assert all(0 <= b <= n_bins - 1 + 1e-6 for b in bins)


def test_event_on_end_time_is_counted_in_last_bin():
    events = make_events([0, 100], [0, 1], [0, 0], [1, -1])
    frames = to_event_frames(events, (2, 1), 4, 0, 100)
    assert frames[3, 1, 0, 1] == 1 and frames.sum() == 2
    voxels = to_voxel_grid(events, (2, 1), 4, 0, 100)
    assert voxels[3, 0, 1] == -1 and voxels[:3, 0, 1].sum() == 0
    assert to_count_image(events, (2, 1), t_start_us=0, t_end_us=100).sum() == 2
    assert to_time_surface(events, (2, 1), 100, 10.0)[1, 0, 1] == 1.0


def test_zero_length_window_puts_everything_in_last_bin():
    events = make_events([5, 5, 6], [0, 0, 0], [0, 0, 0], [1, 1, 1])
    frames = to_event_frames(events, (1, 1), 3, 5, 5)
    assert frames[:, 0, 0, 0].tolist() == [0, 0, 2]
    assert to_voxel_grid(events, (1, 1), 3, 5, 5)[:, 0, 0].tolist() == [0, 0, 2]


def test_bin_edges_are_half_open():
    # 3 bins over [0, 90]: [0, 30), [30, 60), [60, 90]
    events = make_events([0, 29, 30, 59, 60, 90], [0] * 6, [0] * 6, [1] * 6)
    assert to_event_frames(events, (1, 1), 3, 0, 90)[:, 0, 0, 0].tolist() == [2, 2, 2]


def test_frames_count_past_uint8_scratch():
    # 600 events on one pixel in one bin and 300 in the next exercise the 255-count spill
    t = np.r_[np.zeros(600, np.int64), np.full(300, 10)]
    events = make_events(t, np.zeros(900, int), np.zeros(900, int), np.ones(900, int))
    assert to_event_frames(events, (1, 1), 2, 0, 10)[:, 0, 0, 0].tolist() == [600, 300]
    assert to_count_image(events, (1, 1))[0, 0, 0] == 900


def test_large_timestamps():
    base = 2**40
    events = make_events([base, base + 50, base + 100], [0, 0, 0], [0, 0, 0], [1, 1, 1])
    assert to_event_frames(events, (1, 1), 2, base, base + 100)[:, 0, 0, 0].tolist() == [1, 2]
    assert to_voxel_grid(events, (1, 1), 3, base, base + 100)[:, 0, 0].tolist() == [1, 1, 1]


def test_empty_events_give_zeros():
    empty = empty_events()
    assert not to_event_frames(empty, (3, 2), 2, 0, 10).any()
    assert not to_voxel_grid(empty, (3, 2), 2, 0, 10).any()
    assert not to_time_surface(empty, (3, 2), 10, 1.0).any()
    assert to_count_image(empty, (3, 2)).shape == (2, 2, 3)


# --- voxel grid -----------------------------------------------------------------------------


@FAST
@given(streams(), windows(), st.integers(1, 6))
def test_voxel_sums_to_signed_polarity_and_matches_oracle(stream, window, n_bins):
    events, sensor = stream
    voxels = to_voxel_grid(events, sensor, n_bins, *window)
    assert voxels.shape == (n_bins, sensor[1], sensor[0]) and voxels.dtype == np.float32
    kept = inside(events, *window)
    assert voxels.sum(dtype=np.float64) == pytest.approx(int(kept["p"].sum()), abs=1e-4)
    np.testing.assert_allclose(voxels, voxel_oracle(events, sensor, n_bins, *window), atol=1e-5)


def test_voxel_over_several_chunks_matches_vectorised_oracle():
    # more events than one chunk of the cache-blocked kernel (2^20), on 16+ row bands
    rng = np.random.default_rng(5)
    n, sensor, n_bins = (1 << 20) + 4321, (40, 37), 4
    t = np.sort(rng.integers(0, 10**6, n))
    events = make_events(t, rng.integers(0, 40, n), rng.integers(0, 37, n), rng.choice([-1, 1], n), sensor)
    voxels = to_voxel_grid(events, sensor, n_bins, 1000, 900_000)
    kept = inside(events, 1000, 900_000)
    tn = (n_bins - 1) * (kept["t"] - 1000) / (900_000 - 1000)
    left = np.minimum(np.floor(tn).astype(int), n_bins - 1)
    frac = tn - left
    expected = np.zeros((n_bins + 1, 37, 40))
    np.add.at(expected, (left, kept["y"], kept["x"]), kept["p"] * (1 - frac))
    np.add.at(expected, (left + 1, kept["y"], kept["x"]), kept["p"] * frac)
    np.testing.assert_allclose(voxels, expected[:n_bins], atol=2e-3)


def test_voxel_bilinear_weights():
    events = make_events([25], [0], [0], [-1])
    # t_norm = 2 * 25 / 100 = 0.5 -> half in bin 0, half in bin 1
    assert to_voxel_grid(events, (1, 1), 3, 0, 100)[:, 0, 0].tolist() == [-0.5, -0.5, 0.0]


# --- time surface ---------------------------------------------------------------------------


@FAST
@given(streams(), st.integers(-10, T_MAX + 10), st.floats(1.0, 1e4))
def test_time_surface_matches_oracle(stream, t_ref, tau):
    events, sensor = stream
    surface = to_time_surface(events, sensor, t_ref, tau)
    expected = np.zeros((2, sensor[1], sensor[0]))
    for t, x, y, p in events[events["t"] <= t_ref].tolist():
        expected[0 if p > 0 else 1, y, x] = math.exp(-(t_ref - t) / tau)
    assert surface.shape == (2, sensor[1], sensor[0]) and surface.dtype == np.float32
    np.testing.assert_allclose(surface, expected, rtol=1e-6, atol=1e-30)  # float32 denormals
    assert ((surface >= 0) & (surface <= 1)).all()


def test_time_surface_start_time_ignores_older_events():
    events = make_events([0, 50], [0, 1], [0, 0], [1, 1])
    surface = to_time_surface(events, (2, 1), 50, 100.0, t_start_us=10)
    assert surface[0].tolist() == [[0.0, 1.0]]


# --- count image ----------------------------------------------------------------------------


@FAST
@given(streams(), windows())
def test_count_image_equals_one_bin_frames(stream, window):
    events, sensor = stream
    counts = to_count_image(events, sensor, t_start_us=window[0], t_end_us=window[1])
    np.testing.assert_array_equal(counts, to_event_frames(events, sensor, 1, *window)[0])
    assert to_count_image(events, sensor).sum() == events.size


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda ev: to_event_frames(ev, (4, 4), 0, 0, 10),
        lambda ev: to_event_frames(ev, (4, 4), 2, 10, 0),
        lambda ev: to_event_frames(ev, (4, 4), 2, 0.5, 10),
        lambda ev: to_voxel_grid(ev, (4, 4), -1, 0, 10),
        lambda ev: to_voxel_grid(ev, (4, 4), 2, 10, 9),
        lambda ev: to_time_surface(ev, (4, 4), 10, 0.0),
        lambda ev: to_time_surface(ev, (4, 4), 10, float("nan")),
        lambda ev: to_time_surface(ev, (4, 4), 10, 5.0, t_start_us=11),
        lambda ev: to_count_image(ev, (0, 4)),
        lambda ev: to_count_image(ev, (4,)),
        lambda ev: to_count_image(ev, (4, 4), t_start_us=5, t_end_us=4),
    ],
)
def test_bad_parameters_raise(call):
    with pytest.raises(ParameterError):
        call(make_events([0, 5], [1, 2], [1, 2], [1, -1]))


def raw(t, x, y, p):
    events = empty_events(len(t))
    events["t"], events["x"], events["y"], events["p"] = t, x, y, p
    return events


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (raw([0, 5], [1, 4], [1, 1], [1, 1]), "outside the 4x4 sensor"),
        (raw([0, 5], [1, 1], [1, 9], [1, 1]), "outside the 4x4 sensor"),
        (raw([5, 0], [1, 1], [1, 1], [1, 1]), "not sorted"),
        (raw([0, 5], [1, 1], [1, 1], [1, 0]), "polarity 0"),
        (np.zeros(3, dtype=[("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "?")]), "dtype"),
    ],
)
@pytest.mark.parametrize("fn", ["frames", "voxel", "surface", "count"])
def test_bad_events_raise(events, message, fn):
    call = {
        "frames": lambda: to_event_frames(events, (4, 4), 2, 0, 5),
        "voxel": lambda: to_voxel_grid(events, (4, 4), 2, 0, 5),
        "surface": lambda: to_time_surface(events, (4, 4), 5, 1.0),
        "count": lambda: to_count_image(events, (4, 4)),
    }[fn]
    with pytest.raises(EventsError, match=message):
        call()


def test_events_outside_window_are_not_inspected():
    events = raw([0, 5, 100], [1, 1, 60], [1, 1, 1], [1, 1, 1])  # the last one is off-sensor
    assert to_event_frames(events, (4, 4), 1, 0, 10).sum() == 2


def _in_window(fn: str, events: np.ndarray, t_start_us: int, t_end_us: int) -> np.ndarray:
    """The representation ``fn`` of ``events`` on a 4x4 sensor over [t_start_us, t_end_us)."""
    return {
        "frames": lambda: to_event_frames(events, (4, 4), 2, t_start_us, t_end_us),
        "voxel": lambda: to_voxel_grid(events, (4, 4), 2, t_start_us, t_end_us),
        "surface": lambda: to_time_surface(events, (4, 4), t_end_us, 1.0, t_start_us=t_start_us),
        "count": lambda: to_count_image(events, (4, 4), t_start_us=t_start_us, t_end_us=t_end_us),
    }[fn]()


@pytest.mark.parametrize("fn", ["frames", "voxel", "surface", "count"])
def test_a_bad_event_in_a_window_is_numbered_in_the_array_given(fn):
    """Was: numbered within the window ("event 1" for the array's event 3, "t[1]" for its t[3])."""
    events = raw([0, 5, 10, 20, 30], [1, 1, 1, 9, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1])
    with pytest.raises(EventsError, match=r"^event 3 at t=20 µs \(x=9, y=1\) lies outside the 4x4 sensor$"):
        _in_window(fn, events, 10, 30)


@pytest.mark.parametrize("fn", ["frames", "voxel", "surface", "count"])
def test_events_out_of_order_in_a_window_are_numbered_in_the_array_given(fn):
    """Was: numbered within the window ("t[2001]" for the array's t[4001]). The disorder lies
    between two of the probes of check_probed_order, so the window's scan is what finds it."""
    events = raw(np.arange(5000) * 10, np.ones(5000), np.ones(5000), np.ones(5000))
    events["t"][4001] = 39_995
    with pytest.raises(EventsError, match=r"^timestamps not sorted: t\[4001\]=39995 < t\[4000\]=40000$"):
        _in_window(fn, events, 20_000, 49_990)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ev: to_event_frames(ev, (4000, 4000), 10, 0, 5),
         "event frames of n_bins 10 on a 4000x4000 sensor_size takes about 1.2 GiB, more than half of this machine's "
         "1 GiB; give fewer n_bins or a smaller sensor_size"),
        (lambda ev: to_voxel_grid(ev, (4, 4), 2**31 - 1, 0, 5),
         "a voxel grid of n_bins 2147483647 on a 4x4 sensor_size takes about 128.0 GiB, more than half of this "
         "machine's 1 GiB"),
        (lambda ev: to_time_surface(ev, (16000, 16000), 5, 1.0),
         "a time surface's latest times on a 16000x16000 sensor_size takes about 3.8 GiB, more than half of this "
         "machine's 1 GiB; give a smaller sensor_size"),
        (lambda ev: to_count_image(ev, (16000, 16000)), "a count image on a 16000x16000 sensor_size takes about 1.9 GiB, more than half of this machine's 1 GiB"),
    ],
)
def test_a_representation_larger_than_memory_is_refused_by_its_parameters(monkeypatch, call, message):
    """Were: numpy's MemoryError (31 TiB for 1000 bins at 65536x65536), or, where the operating
    system lets numpy reserve it, the process killed part way through filling the array."""
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}  # a machine of 1 GiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    with pytest.raises(ParameterError, match=message):
        call(make_events([0, 5], [1, 2], [1, 2], [1, -1]))


def test_event_frames_count_the_bins_start_times_against_the_memory(monkeypatch):
    """Were: only the frames were counted, so 2^22 bins on one pixel passed with 32 MiB of frames and
    then built a Python list of 2^22 start times (10^9 bins: about 40 GB of them, and minutes)."""
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 14}  # a machine of 64 MiB: the frames are exactly half
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    with pytest.raises(ParameterError, match=r"^event frames of n_bins 4194304 on a 1x1 sensor_size takes about 0\.3 GiB"):
        to_event_frames(make_events([0, 5], [0, 0], [0, 0], [1, -1]), (1, 1), 2**22, 0, 10)


@pytest.mark.parametrize(("t0", "t1", "n_bins"), [(0, 10, 3), (-(2**63), 2**63 - 1, 7), (-3, 2**62 + 1, 1000)])
def test_each_bin_starts_at_the_exact_ceiling_of_its_share_of_the_window(t0, t1, n_bins):
    starts = [t0 + -(-(b * (t1 - t0)) // n_bins) for b in range(n_bins)]  # Python's unbounded integers
    n = len(starts)
    on_start = make_events(starts, [0] * n, [0] * n, [1] * n)
    assert to_event_frames(on_start, (1, 1), n_bins, t0, t1)[:, 0, 0, 0].tolist() == [1] * n_bins
    before = make_events([s - 1 for s in starts[1:]], [0] * (n - 1), [0] * (n - 1), [1] * (n - 1))
    assert to_event_frames(before, (1, 1), n_bins, t0, t1)[:, 0, 0, 0].tolist() == [1] * (n_bins - 1) + [0]


def test_voxel_grid_refuses_a_window_whose_bin_arithmetic_overflows_int64():
    """Was: (t - t_start) * (n_bins - 1) wrapped in int64, so an event at the end of a 2^63 µs window
    landed in the first bin: [2, 0, 0] instead of [1, 0, 1]."""
    ev = make_events([-(2**62), 2**62], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ParameterError, match=r"\(t_end_us - t_start_us\) \* \(n_bins - 1\) exceeds 2\^63 - 1"):
        to_voxel_grid(ev, (1, 1), 3, -(2**62), 2**62)
    ev["t"][1] -= 1  # a window of 2^63 - 1 µs: the most two bins can span
    assert to_voxel_grid(ev, (1, 1), 2, -(2**62), 2**62 - 1)[:, 0, 0].tolist() == [1.0, 1.0]


def test_a_one_bin_voxel_grid_over_more_than_int64_blames_the_window_alone():
    """Was: "(t_end_us - t_start_us) * (n_bins - 1) exceeds 2^63 - 1; give ... fewer n_bins" for
    n_bins 1, whose product is 0: the window itself is what int64 cannot hold."""
    ev = make_events([-(2**63), 2**63 - 1], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ParameterError, match=r" µs: t_end_us - t_start_us exceeds 2\^63 - 1; give a shorter window$"):
        to_voxel_grid(ev, (1, 1), 1, -(2**63), 2**63 - 1)


def test_time_surface_of_an_event_older_than_int64_allows_decays_to_zero():
    """Was: t_ref - t wrapped to -2 µs, the pixel exp(+2/tau) = 7.4 in a surface documented in [0, 1]."""
    ev = make_events([-(2**63) + 1, 2**63 - 1], [0, 1], [0, 0], [1, 1])
    assert to_time_surface(ev, (2, 1), 2**63 - 1, 1.0)[0, 0].tolist() == [0.0, 1.0]


def test_a_time_surface_window_that_starts_after_its_reference_names_t_ref_us():
    """Was: "t_end_us (5) must be >= t_start_us (10)", naming a parameter to_time_surface has not."""
    ev = make_events([0, 5], [0, 1], [0, 0], [1, 1])
    with pytest.raises(ParameterError, match=r"^t_ref_us \(5\) must be >= t_start_us \(10\)$"):
        to_time_surface(ev, (2, 1), 5, 1.0, t_start_us=10)


@pytest.mark.parametrize("value", ["no", "false", 0, 1, None, 1.0, np.array([True])], ids=repr)
def test_a_flag_that_is_no_bool_is_named(value):
    """Was: read by truth value, so binary="no" counted presence and sort="no" sorted."""
    ev = make_events([0, 5], [1, 2], [1, 2], [1, -1])
    for name, call in (("binary", lambda: to_event_frames(ev, (4, 4), 2, 0, 5, binary=value)),
                       ("binary", lambda: EventFrames((4, 4), 2, binary=value)(ev)),
                       ("sort", lambda: concatenate([ev], sort=value))):
        with pytest.raises(ParameterError, match=rf"^{name} must be True or False, got "):
            call()
    assert to_event_frames(ev, (4, 4), 1, 0, 5, binary=np.bool_(True)).sum() == 2
