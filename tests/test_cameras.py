"""Tests of the rig's camera effects: noise levels, hot pixels, readout limit, beam splitter,
Bayer mosaic, fixed-pattern noise and MJPEG (evface.sim.dvs_noise, dvs_readout, rgb_pipeline,
evface.rig.cameras)."""

from __future__ import annotations

import numpy as np
import pytest

from evface.errors import ParameterError
from evface.events.core import make_events
from evface.rig.cameras import CameraSettings
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.dvs_noise import HotPixels, noise_params
from evface.sim.dvs_readout import limit_readout
from evface.sim.rgb import RgbCamera, RgbCameraParams
from evface.sim.rgb_pipeline import CFA_PATTERNS, demosaic, jpeg, mosaic


def test_noise_levels_set_only_the_background_rates():
    base = DvsParams.preset("davis346")
    clean, typical, noisy = (noise_params(base, level) for level in ("clean", "typical", "noisy"))
    assert clean.leak_rate_hz == 0 and clean.shot_noise_rate_hz == 0
    assert typical == base
    assert (noisy.leak_rate_hz, noisy.shot_noise_rate_hz) == (0.1, 5.0)  # v2e's 'noisy'
    for p in (clean, noisy):
        assert (p.threshold_on_log, p.cutoff_hz, p.refractory_us) == (base.threshold_on_log, base.cutoff_hz,
                                                                      base.refractory_us)
    with pytest.raises(ParameterError, match="--noise"):
        noise_params(base, "loud")


def test_noisy_level_fires_at_v2e_rate_in_the_dark():
    # a static 1-lux scene: shot noise at its 5 Hz ceiling, plus 0.1 Hz leak
    params = noise_params(DvsParams.ideal(0.2), "noisy")
    sim = DvsSimulator((100, 50), params, seed=0)
    frame = np.full((50, 100), 1.0, np.float32)
    sim.step(frame, 0)
    n = sum(sim.step(frame, k * 10_000).size for k in range(1, 201))  # 2 s
    assert n / (5000 * 2.0) == pytest.approx(5.1, rel=0.05)


def test_hot_pixels_are_fixed_per_map_seed_and_fire_at_their_rate():
    hot = HotPixels(fraction=0.002, rate_hz=50.0)
    a = hot.pixels((640, 480), map_seed=7)
    assert a.size == round(0.002 * 640 * 480) and np.array_equal(a, hot.pixels((640, 480), map_seed=7))
    assert not np.array_equal(a, hot.pixels((640, 480), map_seed=8))
    ev = hot.events((640, 480), 0, 4_000_000, map_seed=7, seed=1)
    assert ev.size / (a.size * 4.0) == pytest.approx(50.0, rel=0.03)
    assert np.array_equal(np.unique(ev["y"].astype(np.int64) * 640 + ev["x"]), a)
    assert ev["t"].min() > 0 and ev["t"].max() <= 4_000_000 and np.all(np.diff(ev["t"]) >= 0)
    # a hardware window sees the hot pixels inside it, in window coordinates
    win = hot.events((640, 480), 0, 4_000_000, map_seed=7, seed=1, window=(100, 50, 200, 100))
    inside = a[((a % 640) >= 100) & ((a % 640) < 300) & ((a // 640) >= 50) & ((a // 640) < 150)]
    got = np.unique((win["y"].astype(np.int64) + 50) * 640 + win["x"] + 100)
    assert np.array_equal(got, inside) and inside.size > 0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: HotPixels(1.0, 1e15), r"HotPixels.rate_hz must be a finite number in \[0, 1e\+06\], got 1000000000000000.0"),
    (lambda: HotPixels("0.1", 1.0), "HotPixels.fraction must be a number, got '0.1'"),
    (lambda: HotPixels(0.01, 100.0).events((64, 48), 100, 50, 1, 2), "t_end_us must be >= 100, got 50"),
    (lambda: HotPixels(0.01, 100.0).events((64, 48), 0.5, 1000, 1, 2), "t_start_us must be a whole number, got 0.5"),
    (lambda: HotPixels(0.01, 100.0).pixels((-5, 48), 1), "size width must be in"),
    (lambda: HotPixels(0.01, 100.0).pixels((64, 48), -1), "map_seed must be >= 0, got -1"),
    (lambda: HotPixels(1.0, 1e6).events((1280, 720), 0, 10**9, 1, 2), r"hot pixels at 1e\+06 Hz over 1,000,000,000 µs takes about"),    (lambda: HotPixels(0.5, 100.0).events((64, 48), 0, 1000, 1, 2, window=(-32, 0, 32, 48)),
     r"roi \(-32, 0, 32, 48\) does not fit the 64x48 sensor"),
    (lambda: HotPixels(0.5, 100.0).events((64, 48), 0, 1000, 1, 2, window=(100, 0, 32, 48)),
     r"roi \(100, 0, 32, 48\) does not fit the 64x48 sensor"),
    (lambda: HotPixels(0.5, 100.0).events((64, 48), 0, 1000, 1, 2, window=(48, 0, 32, 48)),
     r"roi \(48, 0, 32, 48\) does not fit the 64x48 sensor"),
])
def test_hot_pixels_name_a_bad_value(call, message):
    """A span that ran backwards was numpy's "lam < 0 or lam is NaN", rate_hz=1e15 "array is too big",
    a fraction '0.1' a TypeError, a negative size or seed numpy's ValueError, a time of 0.5 µs was
    truncated, a dense hot-pixel span allocated until the memory ran out, and a window off the array
    gave no events (x0=100) or shifted coordinates (x0=-32) without a word."""
    with pytest.raises(ParameterError, match=message):
        call()


def _burst(n: int, t0: int = 1000) -> np.ndarray:
    return make_events(np.full(n, t0), np.arange(n), np.zeros(n), np.ones(n))


def test_readout_delay_serialises_a_burst_and_keeps_every_event():
    quiet = make_events([10, 500, 900], [1, 2, 3], [0, 0, 0], [1, -1, 1])
    for excess in ("delay", "drop"):
        assert np.array_equal(limit_readout(quiet, 12e6, excess), quiet)
    ev = np.concatenate([_burst(1200), make_events([5000], [7], [0], [1])])
    out = limit_readout(ev, 12e6, "delay")
    assert out.size == ev.size and np.all(np.diff(out["t"]) >= 0) and np.all(out["t"] >= ev["t"])
    assert out["t"][1199] - 1000 == pytest.approx(1199 / 12, abs=1)  # 1200 events at 12 per µs
    assert out["t"][-1] == 5000  # the queue has drained by then
    assert np.count_nonzero(out["t"] == 1000) == 12  # twelve share the first microsecond
    pair = make_events([7, 7, 8], [0, 1, 2], [0, 0, 0], [1, 1, 1])
    assert np.array_equal(limit_readout(pair, 12e6, "delay"), pair)  # under 12 per µs: unchanged
    for t in range(1000, 1100, 7):  # never more than 12 events leave in one µs
        assert np.count_nonzero(out["t"] == t) <= 12


@pytest.mark.parametrize("origin", [2**53, 2**62, 2**63 - 10**6])
def test_readout_delay_is_exact_at_any_time(origin: int):
    """Was: the delay computed in float64, which holds times near 2^62 µs only to 1024 µs: a burst
    there passed undelayed, and three events at 10 µs spacing kept their times."""
    burst = np.concatenate([_burst(1200, 0), make_events([5000], [7], [0], [1])])
    shifted = burst.copy()
    shifted["t"] += origin
    expected = limit_readout(burst, 12e6, "delay")["t"] + origin
    np.testing.assert_array_equal(limit_readout(shifted, 12e6, "delay")["t"], expected)
    three = make_events(origin + np.array([7, 7, 8]), [0, 1, 2], [0, 0, 0], [1, 1, 1])
    assert (limit_readout(three, 1e5, "delay")["t"] - origin).tolist() == [7, 17, 27]


def test_readout_delay_past_the_largest_time_is_refused():
    late = _burst(100, 2**63 - 10)
    with pytest.raises(ParameterError, match=r"delays event 10 \(t=9,223,372,036,854,775,798 µs\) past 2\^63 - 1 µs"):
        limit_readout(late, 1e6, "delay")


def test_readout_drop_keeps_the_budget_of_each_window():
    ev = np.concatenate([_burst(1200, 1000), _burst(10, 2000)])
    assert np.array_equal(limit_readout(ev, 50e6, "drop", window_us=100), ev)  # 5000 allowed per window
    out = limit_readout(ev, 1e6, "drop", window_us=100)  # 100 allowed per window
    assert np.count_nonzero(out["t"] == 1000) == 100 and np.count_nonzero(out["t"] == 2000) == 10
    assert np.all(np.diff(out[out["t"] == 1000]["x"].astype(int)) == 12)  # an evenly spread subset


@pytest.mark.parametrize("pattern", sorted(CFA_PATTERNS))
def test_demosaic_restores_a_flat_colour_for_every_pattern(pattern):
    colour = np.array([0.8, 0.4, 0.1])
    img = np.broadcast_to(colour, (8, 10, 3)).astype(np.float64)
    raw = np.round(mosaic(img, pattern) * 65535).astype(np.uint16)
    out = demosaic(raw, pattern)
    assert out.shape == (8, 10, 3)
    np.testing.assert_allclose(out[2:-2, 2:-2] / 65535, np.broadcast_to(colour, (4, 6, 3)), atol=1e-4)
    with pytest.raises(ParameterError, match="Bayer pattern"):
        demosaic(raw, "RGBW")


def test_fixed_pattern_follows_the_camera_not_the_clip():
    params = RgbCameraParams(fps=30, exposure_us=10_000, read_noise_e=0.0, full_well_e=20_000.0, exposure_samples=1,
                             prnu=0.05, dsnu_e=0.0)
    flat = lambda t: np.full((32, 32, 3), 300.0, np.float32)  # noqa: E731

    def mean_frame(seed, fpn_seed):
        fs = RgbCamera(params, seed=seed, fpn_seed=fpn_seed).capture(flat, 0, 1_000_000 // 3)
        return fs.data.astype(np.float64).mean(axis=0).ravel()

    same = np.corrcoef(mean_frame(1, 99), mean_frame(2, 99))[0, 1]
    other = np.corrcoef(mean_frame(1, 99), mean_frame(2, 100))[0, 1]
    assert same > 0.8 and abs(other) < 0.2


def test_mjpeg_quality_and_settings():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    err = [np.abs(jpeg(img, q).astype(int) - img).mean() for q in (95, 30)]
    assert 0 < err[0] < err[1]
    with pytest.raises(ParameterError, match="jpeg_quality"):
        RgbCameraParams(jpeg_quality=101)
    cams = CameraSettings(rgb_bayer=False, rgb_fixed_pattern=False, rgb_jpeg_quality=80)
    p = cams.rgb_params("webcam30")
    assert (p.cfa, p.prnu, p.dsnu_e, p.jpeg_quality) == ("none", 0.0, 0.0, 80)
    for bad in ({"noise": "loud"}, {"event_transmission": 0.0}, {"rgb_transmission": 1.5}, {"rgb_bayer": 1},
                {"rgb_jpeg_quality": True}, {"rig_seed": -1}):
        with pytest.raises(ParameterError):
            CameraSettings(**bad)


def test_camera_output_adds_hot_pixels_unless_clean_and_counts_what_it_did():
    ev = _burst(100)
    for noise, hot in (("clean", 0), ("typical", 1)):
        out, info = CameraSettings(noise=noise).event_output("lr", "davis346", ev, (0, 0, 346, 260), 700_000, seed=3)
        assert (info["hot_pixel_events"] > 0) == bool(hot) and out.size == ev.size + info["hot_pixel_events"]
        assert info["dropped"] == 0 and np.all(np.diff(out["t"]) >= 0)


def test_synth_noise_setting_reaches_the_clips(tmp_path, capsys):
    from evface.cli import main
    from evface.datasets.synth import synthesize
    from evface.io.clip_reader import read_clip_meta, read_events

    counts = {}
    for noise in ("clean", "noisy"):
        root = synthesize(tmp_path / noise, preset="tiny", subjects=1, classes=["AU4"], lighting=["dim"], noise=noise)
        clip = next((root / "clips").glob("*.h5"))
        meta = read_clip_meta(clip)
        assert meta.sensors["lr"].params["shot_noise_rate_hz"] == (0.0 if noise == "clean" else 5.0)
        assert (meta.extra["event_readout"]["lr"]["hot_pixel_events"] > 0) == (noise == "noisy")
        counts[noise] = read_events(clip, "lr").size
    assert counts["noisy"] > counts["clean"]
    assert main(["synth", str(tmp_path / "x"), "--preset", "tiny", "--noise", "loud"]) == 2
    err = capsys.readouterr().err
    assert "loud" in err and "--noise" in err and not (tmp_path / "x").exists()
