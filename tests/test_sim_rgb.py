"""Tests of the RGB camera model (evface.sim.rgb)."""

from __future__ import annotations

import numpy as np
import pytest

from evface.io.clip_schema import FrameSeries
from evface.errors import EvfaceError, ParameterError
from evface.sim.rgb import (CENTRE_DISC, CENTRE_WEIGHT, PHOTONS_PER_LUX_S_UM2, RGB_FIELD_RANGE, RGB_PRESETS, RgbCamera,
                            RgbCameraParams, auto_exposure, metering_weights, srgb_encode)
from evface.sim.rgb_pipeline import fixed_pattern, jpeg, mosaic


def flat(lux: float, shape=(24, 32)):
    return lambda t: np.full((*shape, 3), lux, np.float32)


def srgb_decode(v8: np.ndarray) -> np.ndarray:
    v = v8 / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def test_capture_returns_frame_series_at_the_frame_rate():
    cam = RgbCamera(RgbCameraParams.preset("webcam30"), seed=0)
    fs = cam.capture(flat(300.0), 1_000, 1_000 + 500_000)
    assert isinstance(fs, FrameSeries)
    assert fs.data.dtype == np.uint8 and fs.data.shape == (15, 24, 32, 3)
    np.testing.assert_array_equal(np.diff(fs.t_us), np.round(np.arange(1, 15) * 1e6 / 30) - np.round(np.arange(14) * 1e6 / 30))
    assert fs.t_us[0] == 1_000
    assert np.all(fs.exposure_us <= 1e6 / 30 + 1) and np.all(fs.exposure_us > 0)
    assert fs.fps == 30.0 and len(fs.params["gain"]) == 15
    hs = RgbCamera(RgbCameraParams.preset("highspeed200"), seed=0).capture(flat(300.0), 0, 100_000)
    assert hs.data.shape[0] == 20 and np.all(hs.exposure_us <= 5_000)


def test_photon_budget_formula():
    p = RgbCameraParams(pixel_pitch_um=3.0, f_number=2.0, transmission=0.8, qe=0.5)
    expected = 0.8 / (4 * 2.0**2) * 9.0 * PHOTONS_PER_LUX_S_UM2 * 0.5
    assert p.electrons_per_lux_s == pytest.approx(expected)
    assert PHOTONS_PER_LUX_S_UM2 == pytest.approx(1 / 683 / (6.62607e-34 * 2.99792e8 / 555e-9) * 1e-12, rel=1e-3)


def test_shot_noise_matches_the_photon_budget():
    # fixed exposure and gain, no read noise: the variance of the electron count equals its mean
    p = RgbCameraParams(fps=30, exposure_us=10_000, gain=1.0, read_noise_e=0.0, full_well_e=20_000.0,
                        exposure_samples=1)
    lux = 60.0
    fs = RgbCamera(p, seed=1).capture(flat(lux, (64, 64)), 0, 1_000_000 // 30 * 3)
    electrons = srgb_decode(fs.data.astype(np.float64)) * p.full_well_e
    mean_e = lux * p.electrons_per_lux_s * 0.01
    assert electrons.mean() == pytest.approx(mean_e, rel=0.02)
    # 8-bit quantisation adds (step^2 / 12) of variance; the slope of the sRGB curve sets the step
    step = p.full_well_e / 255 / (np.gradient(srgb_encode(np.linspace(0, 1, 2001)))[int(mean_e / p.full_well_e * 2000)] * 2000)
    assert electrons.var() == pytest.approx(mean_e + step**2 / 12, rel=0.15)


def test_read_noise_dominates_in_the_dark():
    p = RgbCameraParams(exposure_us=1_000, gain=16.0, read_noise_e=5.0, exposure_samples=1)
    fs = RgbCamera(p, seed=0).capture(flat(0.0, (64, 64)), 0, 100_000)
    electrons = srgb_decode(fs.data.astype(np.float64)) * p.full_well_e / 16.0
    # negative read noise clips at black: half the pixels are 0, the rest a half-normal of sigma 5
    assert 0.4 < np.mean(fs.data == 0) < 0.6
    positive = electrons[fs.data > 0]
    assert positive.mean() == pytest.approx(5.0 * np.sqrt(2 / np.pi), rel=0.15)


def test_auto_exposure_then_gain_then_dark():
    p = RgbCameraParams.preset("webcam30")
    means = {}
    for lux in (3000.0, 300.0, 10.0, 0.3):
        fs = RgbCamera(p, seed=0).capture(flat(lux), 0, 200_000)
        means[lux] = fs.data[1:].mean()
        if lux >= 300:
            assert fs.params["gain"][-1] == 1.0 and fs.exposure_us[-1] < p.period_us
        if lux == 10.0:  # the longest whole number of 10-ms flicker periods in the frame period
            assert fs.exposure_us[-1] == 30_000 and 1.0 < fs.params["gain"][-1] < p.max_gain
        if lux == 0.3:
            assert fs.params["gain"][-1] == p.max_gain
    target = srgb_encode(np.array(p.ae_target)) * 255
    for lux in (3000.0, 300.0, 10.0):
        assert abs(means[lux] - target) < 3
    assert means[0.3] < target - 30  # out of exposure and gain: the picture gets dark


def test_centre_metering_weights_three_quarters_on_the_central_disc():
    h, w = 240, 320
    weights = metering_weights((h, w), "centre")
    y, x = np.mgrid[:h, :w]
    disc = np.hypot(x + 0.5 - w / 2, y + 0.5 - h / 2) <= CENTRE_DISC * w / 2
    assert weights.sum() == pytest.approx(1.0)
    assert weights[disc].sum() == pytest.approx(CENTRE_WEIGHT + (1 - CENTRE_WEIGHT) * disc.mean())
    assert disc.mean() == pytest.approx(np.pi * (CENTRE_DISC * w / 2) ** 2 / (h * w), rel=0.01)
    np.testing.assert_allclose(metering_weights((h, w), "average"), 1 / (h * w))


def test_centre_metering_exposes_a_dark_centre_on_a_bright_backdrop():
    # a dark subject in the middle of a bright backdrop, as a dark face before a light wall
    scene = np.full((120, 160, 3), 400.0, np.float32)
    scene[40:80, 60:100] = 40.0
    subject = {}
    for mode in ("average", "centre"):
        p = RgbCameraParams.preset("webcam30", metering=mode)
        fs = RgbCamera(p, seed=0).capture(lambda t: scene, 0, 200_000)
        subject[mode] = fs.data[-1, 40:80, 60:100].mean()
    assert subject["centre"] > subject["average"] + 10  # 56 vs 40 (8-bit), 2.4x the exposure
    # on a flat scene both modes meter the same level
    flat_means = [RgbCamera(RgbCameraParams.preset("webcam30", metering=m), seed=0).capture(flat(300.0), 0, 100_000).data.mean()
                  for m in ("average", "centre")]
    assert flat_means[0] == pytest.approx(flat_means[1], abs=0.5)
    with pytest.raises(ParameterError, match="metering"):
        RgbCameraParams(metering="spot")


def test_anti_flicker_exposure_takes_the_same_light_in_every_frame():
    # 100 Hz flicker of 10 % depth; the scene needs about 23 ms of exposure
    def flickering(t_us):
        return np.full((24, 32, 3), 100.0 * (1 + 0.1 * np.sin(2 * np.pi * 100 * t_us * 1e-6)), np.float32)
    spread = {}
    for hz in (0.0, 100.0):
        p = RgbCameraParams.preset("webcam30", antiflicker_hz=hz, prnu=0.0, dsnu_e=0.0, read_noise_e=0.0,
                                   exposure_samples=40)
        fs = RgbCamera(p, seed=0).capture(flickering, 0, 1_000_000)
        if hz:
            assert np.all(fs.exposure_us[1:] == 20_000)
        spread[hz] = np.ptp(fs.data[1:].mean(axis=(1, 2, 3)))
    assert spread[100.0] < 0.5 and spread[0.0] > 4 * spread[100.0], spread  # measured 0.36 and 2.09 grey levels


def test_exposure_is_capped_by_the_frame_period_and_max_exposure():
    p = RgbCameraParams(fps=100, max_exposure_us=4_000)
    exposure, gain = auto_exposure(1.0, p)
    assert exposure == 4_000 and gain == p.max_gain
    exposure, _ = auto_exposure(1.0, RgbCameraParams(fps=100))
    assert exposure == pytest.approx(10_000)


def test_low_light_is_noisier():
    p = RgbCameraParams.preset("webcam30")
    bright = RgbCamera(p, seed=0).capture(flat(1000.0, (64, 64)), 0, 100_000).data.astype(float)
    dim = RgbCamera(p, seed=0).capture(flat(5.0, (64, 64)), 0, 100_000).data.astype(float)
    assert dim.std() > 2 * bright.std()


def test_saturation_clips_to_white():
    p = RgbCameraParams(exposure_us=30_000, gain=1.0)
    fs = RgbCamera(p, seed=0).capture(flat(1e5), 0, 100_000)
    assert np.all(fs.data == 255)


def test_motion_blur_spreads_a_moving_bar_over_its_path():
    width = 120
    speed_px_per_us = 60 / 20_000  # 60 px during a 20 ms exposure

    def render(t):
        img = np.full((8, width, 3), 10.0, np.float32)
        x = int(10 + speed_px_per_us * t)
        img[:, x:x + 4] = 1000.0
        return img

    p = RgbCameraParams(fps=30, exposure_us=20_000, gain=1.0, read_noise_e=0.0, exposure_samples=30,
                        full_well_e=2e4)
    blurred = RgbCamera(p, seed=0).capture(render, 0, 40_000).data[0, 4, :, 1]
    sharp = RgbCamera(RgbCameraParams(fps=30, exposure_us=20_000, gain=1.0, read_noise_e=0.0,
                                      exposure_samples=1, full_well_e=2e4), seed=0).capture(render, 0, 40_000).data[0, 4, :, 1]
    lit = lambda row: np.count_nonzero(row > row.min() + 10)  # noqa: E731
    assert lit(sharp) <= 5
    assert 55 <= lit(blurred) <= 70


def test_same_seed_same_frames():
    p = RgbCameraParams.preset("webcam30")
    a = RgbCamera(p, seed=4).capture(flat(20.0), 0, 100_000).data
    b = RgbCamera(p, seed=4).capture(flat(20.0), 0, 100_000).data
    c = RgbCamera(p, seed=5).capture(flat(20.0), 0, 100_000).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "render",
    [
        lambda t: np.full((4, 4, 3), np.nan, np.float32),
        lambda t: np.full((4, 4, 3), -1.0, np.float32),
        lambda t: np.zeros((4, 4), np.float32),
        lambda t: np.zeros((0, 4, 3), np.float32),
    ],
)
def test_bad_scenes_raise(render):
    with pytest.raises(EvfaceError):
        RgbCamera(RgbCameraParams.preset("webcam30")).capture(render, 0, 100_000)


def test_bad_parameters_and_intervals_raise():
    for kwargs in ({"fps": 0}, {"qe": -0.1}, {"exposure_samples": 0}, {"exposure_us": 50_000},
                   {"read_noise_e": float("inf")}, {"max_gain": 0.5}):
        with pytest.raises(ParameterError):
            RgbCameraParams(**kwargs)
    with pytest.raises(ParameterError, match="unknown"):
        RgbCameraParams.preset("phone")
    cam = RgbCamera(RgbCameraParams.preset("webcam30"))
    with pytest.raises(ParameterError):
        cam.capture(flat(10.0), 100, 100)
    with pytest.raises(ParameterError, match="shorter than one frame"):
        cam.capture(flat(10.0), 0, 1_000)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("exposure_samples", 10**9, r"exposure_samples must be in \[1, 1000\] \(renders of the scene per frame"),
    ("fps", 1e300, r"fps must be in \[0\.001, 1e\+06\] \(a frame every 1000 s"),
    ("fps", 1e7, r"fps must be in \[0\.001, 1e\+06\]"),
    ("fps", 1e-300, r"fps must be in \[0\.001, 1e\+06\]"),
    ("f_number", 1e-300, r"f_number must be in \[0\.5, 128\] \(f/0\.5 is the limit of a lens in air"),
    ("pixel_pitch_um", 1e300, r"pixel_pitch_um must be in \(0, 100\]"),
    ("qe", 5.0, r"qe must be in \(0, 1\] \(the fraction of the photons"),
    ("transmission", 0.0, r"transmission must be in \(0, 1\]"),
    ("ae_target", 2.0, r"ae_target must be in \(0, 1\] \(a fraction of full scale\)"),
    ("prnu", 1e300, r"prnu must be in \[0, 1\]"),
    ("max_gain", 0.5, r"max_gain must be in \[1, 10000\]"),
    ("full_well_e", 1e300, r"full_well_e must be in \[1, 1e\+07\]"),
])
def test_a_parameter_no_real_camera_has_is_refused_with_the_reason(field, value, message):
    """Were: exposure_samples=10**9 and fps=1e7 ran on past any patience (a billion renders per
    frame; a million frames in 100 ms), f_number=1e-300 a ZeroDivisionError, pixel_pitch_um=1e300
    an OverflowError, qe=5 and ae_target=2 taken."""
    with pytest.raises(ParameterError, match=rf"^RgbCameraParams\.{message}"):
        RgbCameraParams(**{field: value})


def test_the_presets_and_the_ends_of_the_ranges_are_taken():
    for name, preset in RGB_PRESETS.items():
        for field, (low, high, _) in RGB_FIELD_RANGE.items():
            assert low <= getattr(preset, field) <= high, (name, field)
    assert RgbCamera(RgbCameraParams(fps=1e6)).capture(flat(300.0), 0, 100).t_us.tolist() == list(range(100))
    assert RgbCamera(RgbCameraParams(fps=1e-3, exposure_samples=1000)).capture(flat(300.0), 0, 10**9).data.shape[0] == 1


@pytest.mark.parametrize(("render", "message"), [
    (lambda t: np.full((4, 4, 3), 1 + 1j), r"render\(0\) must return real numbers \(lux\), got dtype complex128"),
    (lambda t: np.full((4, 4, 3), "a"), r"render\(0\) must return real numbers \(lux\), got dtype <U1"),
])
def test_a_scene_of_no_real_numbers_is_named(render, message):
    """Were: a complex scene's imaginary part dropped with a ComplexWarning, a string scene numpy's
    "could not convert string to float"."""
    with pytest.raises(ParameterError, match=message):
        RgbCamera(RgbCameraParams.preset("webcam30")).capture(render, 0, 100_000)


def test_a_scene_past_numpy_poisson_range_saturates():
    """Was: numpy's "lam value too large" for a scene of 1e30 lux (the DVS model takes it)."""
    frames = RgbCamera(RgbCameraParams(exposure_us=10_000.0)).capture(flat(1e30, (4, 4)), 0, 100_000)
    assert frames.data.min() == 255


@pytest.mark.parametrize(("call", "message"), [
    (lambda: metering_weights((4, 4), "spot"), r"^metering mode must be one of the metering modes, got 'spot'; choose from average, centre$"),
    (lambda: metering_weights((0, 4), "average"), r"shape height must be in \[1, 65536\], got 0"),
    (lambda: auto_exposure(float("nan"), RgbCameraParams()), "mean_lux must be a finite number >= 0, got nan"),
    (lambda: auto_exposure("5", RgbCameraParams()), "mean_lux must be a number, got '5'"),
    (lambda: RgbCamera().frame_times("0", 100_000), "t_start_us must be an integer, got '0'"),
    (lambda: RgbCamera().frame_times(0, 10**15), r"the times of 29,999,999,999 frames in \[0, 1000000000000000\] µs "
                                                 r"at 30 fps takes about 223\.5 GiB, more than half of this machine's"),
])
def test_camera_helpers_name_a_bad_value(call, message):
    """Were: an unknown metering mode weights of nan (frames exposed by nan), a 0-pixel shape a
    ZeroDivisionError, auto-exposure of a nan mean (nan, nan) and of a string a comparison's TypeError,
    frame_times numpy's TypeError or a MemoryError of 224 GiB (also from capture over 10^15 µs)."""
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: jpeg(np.zeros((8, 8, 3), np.uint8), float("nan")), "JPEG quality must be a whole number, got nan"),
    (lambda: jpeg(np.zeros((8, 8, 3), np.uint8), "50"), "JPEG quality must be an integer, got '50'"),
    (lambda: jpeg(np.zeros((8, 8, 3), np.uint8), 1.5), "JPEG quality must be a whole number, got 1.5"),
    (lambda: fixed_pattern((4, 4), float("nan"), 0.0, 0), "prnu must be a finite number >= 0, got nan"),
    (lambda: fixed_pattern((4, 4), 0.01, -1.0, 0), "dsnu_e must be a finite number >= 0, got -1.0"),
    (lambda: fixed_pattern((4, 4), 0.01, 0.0, 1.5), "seed must be a whole number, got 1.5"),
    (lambda: mosaic(np.zeros((8, 8), np.float32), "RGGB"), r"the image to mosaic must be an \(H, W, 3\) array, got shape \(8, 8\)"),
])
def test_the_pipeline_stages_name_a_bad_parameter(call, message):
    """Were: JPEG quality nan a ValueError from int(), "50" and 1.5 taken as 50 and 1; a nan PRNU a
    gain of nan everywhere, a fractional seed numpy's SeedSequence TypeError; a grey image an AxisError."""
    with pytest.raises(ParameterError, match=f"^{message}$"):
        call()
