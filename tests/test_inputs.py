"""Tests of the model inputs: the shared clip view (face box, sensors) and the classifier inputs."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import torch
from test_classify import BOXES, DURATION_US, _events, make_fake_dataset

from evface.errors import DatasetError, EventsError, ParameterError
from evface.events.core import make_events
from evface.events.ops import add_uniform_noise, crop, drop_random, flip_lr, shift
from evface.inputs.classify import InputSpec, clip_input, event_input, load_inputs, normalize
from evface.inputs.classify_augment import Augment, augment_array
from evface.inputs.classify_dataset import ClassifyDataset
from evface.inputs.clip_view import SENSORS, box_in_image, face_box, time_window
from evface.inputs.reconstruct import ReconSpec, clip_samples
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.tasks.configs import ClassifyConfig, ReconstructConfig


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    root = make_fake_dataset(tmp_path_factory.mktemp("fake"), subjects=("s0",), labels=("AU12",), per_class=1)
    return next((root / "clips").iterdir())


# --------------------------------------------------------------------------- the clip view


def test_sensors_are_the_dataset_roles():
    assert SENSORS == ("hd", "lr")
    for bad in (lambda: InputSpec(sensor="evk4"), lambda: ReconSpec(sensor="rgb")):
        with pytest.raises(ParameterError, match=r"sensor must be one of the rig's event sensors, not .*; choose from hd, lr$"):
            bad()


def test_a_clip_made_in_python_with_events_off_its_sensor_is_refused_by_the_inputs():
    """Was: a Clip built in Python (not written, so not checked by write_clip) with an event at
    x = 10 on its 10x8 sensor: clip_samples cropped it away without a word."""
    frames = FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]),
                         np.arange(5) * 100_000, np.full(5, 10_000))
    x = np.arange(20) % 10
    x[7] = 10
    clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 250_000, 450_000, 500_000,
                events={"lr": make_events(np.arange(0, 500_000, 25_000), x, np.arange(20) % 8, np.ones(20))},
                sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames},
                calibration={"face_box": {"rgb": [0, 0, 20, 20], "lr": [0, 0, 10, 8]}})
    with pytest.raises(EventsError, match=r"^c0\.h5: the events of sensor 'lr': event 7 at t=175000 µs \(x=10, y=7\) lies outside the 10x8 sensor$"):
        clip_samples(clip, ReconSpec(sensor="lr", size=16, n_bins=2, step_us=100_000), "c0.h5")


@pytest.mark.parametrize("make,message", [
    (lambda: InputSpec(time_steps=float("nan")), "time_steps must be a whole number, got nan"),
    (lambda: InputSpec(time_steps=2.5), "time_steps must be a whole number, got 2.5"),
    (lambda: InputSpec(size="64"), "size must be an integer, got '64'"),
    (lambda: InputSpec(size=float("nan")), "size must be a whole number, got nan"),
    (lambda: InputSpec(color="no"), "color must be True or False, got 'no'"),
    (lambda: InputSpec(oracle_apex=1), "oracle_apex must be True or False, got 1"),
    (lambda: ReconSpec(size=float("nan")), "size must be a whole number, got nan"),
    (lambda: ReconSpec(n_bins=2.5), "n_bins must be a whole number, got 2.5"),
    (lambda: ReconSpec(step_us=float("inf")), "step_us must be a whole number, got inf"),
    (lambda: ReconSpec(gamma=float("nan")), "gamma must be a finite number > 0, got nan"),
    (lambda: ReconSpec(gamma=-1), "gamma must be a finite number > 0, got -1"),
    (lambda: ReconSpec(alphas_rad_s=()), r"alphas_rad_s must be a sequence of one or more leak rates, got \(\)"),
    (lambda: ReconSpec(alphas_rad_s=(0.0, float("nan"))), r"alphas_rad_s\[1\] must be a finite number >= 0, got nan"),
])
def test_specs_refuse_numbers_that_are_no_setting(make, message):
    """Taken before (a nan time_steps or size passed the ``< 1`` test, ``"no"`` was a true colour
    flag, a nan gamma made every target nan); the first use named ``n_bins`` or raised a TypeError."""
    with pytest.raises(ParameterError, match=f"^{message}$"):
        make()


@pytest.mark.parametrize("make,message", [
    (lambda: ReconSpec(size=10**9), r"size must be in \[16, 1024\], got 1000000000"),
    (lambda: ReconSpec(n_bins=257), r"n_bins must be in \[1, 256\], got 257"),
    (lambda: InputSpec(size=1025), r"size must be in \[4, 1024\], got 1025"),
    (lambda: InputSpec(time_steps=10**9), r"time_steps must be in \[1, 256\], got 1000000000"),
])
def test_specs_refuse_sizes_past_the_limits_of_the_tasks(make, message):
    """Were taken; the first use was a memory refusal naming ``n_bins`` and ``sensor_size`` of the
    representation underneath (a 10**9 ReconSpec.size or InputSpec.time_steps)."""
    with pytest.raises(ParameterError, match=f"^{message}$"):
        make()


@pytest.mark.parametrize("spec,config,names", [
    (InputSpec, ClassifyConfig, {"size": "size", "time_steps": "time_steps"}),
    (ReconSpec, ReconstructConfig, {"size": "size", "n_bins": "n_bins", "step_us": "step_us", "stride": "stride"}),
])
def test_the_specs_take_what_the_tasks_settings_take(spec, config, names):
    """A spec's size, bins and sample spacings run over the range of the task's setting, no more, no less
    (ReconSpec.step_us and stride were taken up to 2^63 - 1)."""
    settings = {f.name: f.metadata for f in dataclasses.fields(config)}
    for field, setting in names.items():
        low, high = settings[setting]["min"], settings[setting]["max"]
        assert getattr(spec(**{field: low}), field) == low and getattr(spec(**{field: high}), field) == high
        for outside in (low - 1, high + 1):
            with pytest.raises(ParameterError, match=f"^{field} must be in "):
                spec(**{field: outside})


def test_specs_store_whole_floats_as_ints_and_leak_rates_as_a_tuple():
    spec = InputSpec(time_steps=4.0, size=np.int64(16))
    assert (type(spec.time_steps), type(spec.size)) == (int, int)
    recon = ReconSpec(size=32.0, alphas_rad_s=[0.0, 1])
    assert recon.size == 32 and type(recon.size) is int and recon.alphas_rad_s == (0.0, 1.0)
    assert hash(recon) == hash(ReconSpec.from_dict(recon.to_dict()))


def test_a_face_box_of_infinite_size_and_a_misspelt_window_are_named():
    """Were: an infinite face box value an OverflowError (an internal error, exit 1), a misspelt
    window ("expresion") the whole clip without a word."""
    with pytest.raises(DatasetError, match=r"^c\.h5: calibration\['face_box'\]\['hd'\] missing or not \[x, y, w, h\] "
                                           r"\(cannot convert float infinity to integer\)$"):
        box_in_image({"face_box": {"hd": [float("inf"), 0, 10, 10]}}, "hd", (48, 64), "c.h5")
    clip = Clip("c", "s", "AU12", [12], "dim", onset_us=100, apex_us=150, offset_us=200, duration_us=900)
    with pytest.raises(ParameterError, match=r"^window must be one of the time windows, not 'expresion'; choose from clip, expression$"):
        time_window(clip, "expresion")


def test_face_box_rounds_each_value_then_clips():
    clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, sensors={"hd": SensorInfo("hd", 80, 60)},
                calibration={"face_box": {"hd": [10.633, 9.79, 121.108, 40.5]}})
    assert face_box(clip, "hd") == (11, 10, 69, 40)  # 40.5 -> 40 (half to even); right edge clipped at 80


def test_missing_face_box_is_a_dataset_error(tmp_path):
    clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 1000, events={"lr": make_events([0], [1], [1], [1])},
                sensors={"lr": SensorInfo("lr", 4, 4)})
    path = write_clip(tmp_path / "c.h5", clip)
    with pytest.raises(DatasetError, match="face_box"):
        load_inputs([path], InputSpec(sensor="lr", size=4))


def test_a_sensor_the_clip_lacks_names_the_file_and_the_sensor(tmp_path):
    clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 1000, events={"lr": make_events([0], [1], [1], [1])},
                sensors={"lr": SensorInfo("lr", 4, 4)}, calibration={"face_box": {"lr": [0, 0, 4, 4]}})
    path = write_clip(tmp_path / "c.h5", clip)
    with pytest.raises(DatasetError, match=r"c\.h5: no events of sensor 'hd' \(this clip has lr\)"):
        load_inputs([path], InputSpec(sensor="hd", size=4))


def test_a_clip_of_frames_alone_says_it_has_no_sensor(tmp_path):
    """Was "(this clip has ): ..." (an empty list listed as words) for a clip with no event sensor."""
    frames = FrameSeries(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 500]), np.full(2, 100))
    path = write_clip(tmp_path / "c.h5", Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 1000, frames={"rgb": frames},
                                              calibration={"face_box": {"rgb": [0, 0, 4, 4]}}))
    with pytest.raises(DatasetError, match=r"c\.h5: no events of sensor 'hd' \(this clip has none\): give a dataset "
                                           r"whose clips have it$"):
        load_inputs([path], InputSpec(sensor="hd", size=4))


def _memory(monkeypatch, mib):
    """This machine's memory, as the memory checks read it, set to ``mib`` MiB."""
    import os

    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": mib * 256}.get(name, real(name)))


def test_inputs_larger_than_half_the_memory_are_refused_naming_the_options(monkeypatch):
    """--size 100000 ended in numpy's MemoryError (exit 1); a size that fits virtual memory only
    would have been killed by the operating system part way through."""
    _memory(monkeypatch, 64)  # 64 MiB: 1000 clips x 4 steps x 2 channels x 64 x 64 float32 = 125 MiB
    with pytest.raises(ParameterError, match=r"the inputs of 1000 clips at --size 64 and --time-steps 4 take 0\.1 GiB, "
                                             r"more than half of this machine's 0 GiB; lower --size or --time-steps"):
        load_inputs(["never-read.h5"] * 1000, InputSpec(size=64, time_steps=4))


# --------------------------------------------------------------------------- classifier inputs


@pytest.mark.parametrize("kind,sensor,color,channels", [
    ("events", "hd", False, 2), ("events", "lr", False, 2), ("rgb", "hd", False, 1), ("rgb", "hd", True, 3),
    ("rgb-diff", "hd", False, 1), ("rgb-diff", "hd", True, 3), ("rgb", "lr", False, 1), ("rgb-flow", "hd", False, 3),
    ("events-apex", "lr", False, 2),
])
def test_input_shapes_per_kind(clip_file, kind, sensor, color, channels):
    spec = InputSpec(kind=kind, sensor=sensor, time_steps=5, size=16, color=color)
    x = clip_input(clip_file, spec)
    assert x.shape == (5, channels, 16, 16) and x.dtype == np.float32
    if kind == "rgb":
        assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.2
    if kind == "rgb-diff":
        assert -1 <= x.min() and x.max() <= 1 and np.abs(x).max() > 0.05
    if kind in ("rgb-flow", "events-apex"):  # one onset -> apex image, fed at every step
        assert np.all(x == x[:1]) and np.abs(x).max() > 0


def _two_camera_clip(path, table):
    """A clip whose two RGB streams are constant grey 60 and 200, described by ``table``."""
    frames = {name: FrameSeries(np.full((4, 30, 40, 3), value, np.uint8), np.arange(4) * 33_333,
                                np.full(4, 10_000), 30.0) for name, value in (("rgb", 60), ("rgb-webcam30-hd", 200))}
    box = [2, 2, 30, 20]
    calibration = {"face_box": {"rgb": box, "rgb-webcam30-hd": box}}
    if table is not None:
        calibration["frame_cameras"] = table
    return write_clip(path, Clip("c", "s", "AU12", [12], "dim", 0, 40_000, 90_000, 133_332, frames=frames,
                                 calibration=calibration))


def test_rgb_inputs_read_the_camera_that_matches_the_sensor(tmp_path):
    table = {"rgb": {"view": "lr", "preset": "webcam30"}, "rgb-webcam30-hd": {"view": "hd", "preset": "webcam30"}}
    path = _two_camera_clip(tmp_path / "c.h5", table)
    grey = {s: float(clip_input(path, InputSpec(kind="rgb", sensor=s, size=8, time_steps=2)).mean()) for s in SENSORS}
    assert grey == pytest.approx({"hd": 200 / 255, "lr": 60 / 255})
    with pytest.raises(DatasetError, match=r"c\.h5: no highspeed200 RGB camera with the hd view .*--rgb-camera"):
        clip_input(path, InputSpec(kind="rgb", sensor="hd", size=8, rgb_camera="highspeed200"))
    # a recording without the table has one RGB camera, "rgb", whatever the sensor
    old = _two_camera_clip(tmp_path / "old.h5", None)
    assert float(clip_input(old, InputSpec(kind="rgb", sensor="hd", size=8, time_steps=2)).mean()) == pytest.approx(60 / 255)
    with pytest.raises(ParameterError, match="rgb_camera must be one of"):
        InputSpec(kind="rgb", rgb_camera="gopro")


def test_event_input_conserves_the_events_in_the_box():
    rng = np.random.default_rng(1)
    ev = _events(rng, "AU12", "hd")
    spec = InputSpec(time_steps=4, size=16)
    x = event_input(ev, tuple(BOXES["hd"]), spec, 0, DURATION_US)
    inside = crop(ev, tuple(BOXES["hd"]))
    assert x.sum() == len(inside)
    assert x[:, 0].sum() == (inside["p"] > 0).sum()
    # the class region (lower face) holds most events
    assert x[..., 8:, :].sum() > 3 * x[..., :8, :].sum()


# --------------------------------------------------------------------------- augmentation

SIZE = 16  # events on a 16x16 sensor seen through a 16x16 grid: event_input maps pixels one to one
SPEC = InputSpec(sensor="lr", time_steps=3, size=SIZE)


def _counts(events: np.ndarray) -> np.ndarray:
    return event_input(events, (0, 0, SIZE, SIZE), SPEC, 0, DURATION_US)


@pytest.fixture(scope="module")
def stream() -> np.ndarray:
    rng = np.random.default_rng(2)
    n = 3000
    return make_events(np.sort(rng.integers(0, DURATION_US, n)), rng.integers(0, SIZE, n), rng.integers(0, SIZE, n),
                       rng.choice([-1, 1], n))


def _thinning_z(thinned: np.ndarray, counts: np.ndarray) -> tuple[float, np.ndarray]:
    """Kept fraction k and the binomial residuals (thinned - k c) / sqrt(c k (1 - k)) of occupied cells."""
    keep = float(thinned.sum() / counts.sum())
    c, t = counts[counts > 0], thinned[counts > 0]
    return keep, (t - keep * c) / np.sqrt(c * keep * (1 - keep))


def test_augmentation_matches_event_ops_flip_and_shift(stream):
    x = _counts(stream)
    flipped = _counts(flip_lr(stream, (SIZE, SIZE)))
    seen = set()
    for s in range(8):
        out = augment_array(x, "events", np.random.default_rng(s), max_shift=0, drop=0, noise=0)
        assert np.array_equal(out, x) or np.array_equal(out, flipped)
        seen.add(np.array_equal(out, flipped))
    assert seen == {True, False}
    shifts = set()
    for s in range(8):
        out = augment_array(x, "events", np.random.default_rng(s), flip=False, max_shift=2 / SIZE, drop=0, noise=0)
        match = [(dx, dy) for dx, dy in itertools.product(range(-2, 3), repeat=2)
                 if np.array_equal(out, _counts(shift(stream, dx, dy, (SIZE, SIZE))))]
        assert len(match) == 1
        shifts.add(match[0])
    assert len(shifts) > 3


def test_augmentation_matches_event_ops_drop(stream):
    x = _counts(stream)
    for s in range(4):
        a = augment_array(x, "events", np.random.default_rng(s), flip=False, max_shift=0, drop=0.5, noise=0)
        assert np.all(a <= x) and np.array_equal(a, np.rint(a))
        keep_a, z_a = _thinning_z(a, x)
        d = _counts(drop_random(stream, 1 - keep_a, np.random.default_rng(100 + s)))
        keep_d, z_d = _thinning_z(d, x)
        assert 0.5 <= keep_a <= 1 and abs(keep_a - keep_d) < 0.03
        # both are independent per-event thinning: binomial residuals with mean 0 and variance 1
        for z in (z_a, z_d):
            assert abs(z.mean()) < 0.1 and 0.75 < z.var() < 1.25


def test_augmentation_matches_event_ops_noise(stream):
    x = _counts(stream)
    out = augment_array(x, "events", np.random.default_rng(4), flip=False, max_shift=0, drop=0, noise=0.5)
    added = out - x
    assert np.all(added >= 0) and 0 < added.sum() <= 0.6 * x.sum()
    direct = _counts(add_uniform_noise(stream, (SIZE, SIZE), int(added.sum()), np.random.default_rng(5))) - x
    assert direct.sum() == added.sum()
    for noise in (added, direct):
        # uniform over steps and polarities, and per cell as dispersed as Poisson counts
        shares = noise.sum(axis=(2, 3)) / noise.sum()
        assert np.allclose(shares, 1 / shares.size, atol=0.03)
        assert 0.85 < noise.var() / noise.mean() < 1.15


def test_augmentation_is_seeded(stream):
    x = _counts(stream)
    a, b = (augment_array(x, "events", np.random.default_rng(7)) for _ in range(2))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, augment_array(x, "events", np.random.default_rng(8)))


@pytest.mark.parametrize(("kind", "scale", "message"), [
    ("rgb", 255.0, r"^inputs of kind 'rgb' must hold intensities in \[0, 1\] \(frames of 0\.\.255: divide by 255\); "
                   r"\d+ of its 64 values are not, the first at \[0, 0, 0, 0, \d\]: 255\.0$"),
    ("rgb-diff", -255.0, r"^inputs of kind 'rgb-diff' must hold differences of intensities in \[-1, 1\]"),
])
def test_rgb_inputs_of_another_scale_are_refused(kind, scale, message):
    """Were taken as they were: frames of 0..255 (an image as read) fed to a network made for [0, 1]."""
    x = np.zeros((1, 2, 1, 4, 8), np.float32)
    x[..., 1] = scale
    with pytest.raises(ParameterError, match=message):
        ClassifyDataset(x, [0], kind)
    assert len(ClassifyDataset(x / 255, [0], kind)) == 1


@pytest.mark.parametrize("call,message", [
    (lambda x, rng: augment_array(x, "events", rng, drop=2.0), r"drop must be a finite number in \[0, 1\], got 2.0"),
    (lambda x, rng: augment_array(x, "events", rng, noise=float("nan")), r"noise must be a finite number in \[0, 1\], got nan"),
    (lambda x, rng: augment_array(x, "events", rng, max_shift=float("nan")), "max_shift must be a finite number"),
    (lambda x, rng: augment_array(x, "events", rng, drop_time=2.0), "drop_time must be a finite number"),
    (lambda x, rng: augment_array(x, "events", rng, drop_area=-1), "drop_area must be a finite number"),
    (lambda x, rng: augment_array(x, "events", rng, flip="no"), "flip must be True or False, got 'no'"),
    (lambda x, rng: augment_array(x, "event", rng), r"kind must be one of the input kinds, not 'event'; choose from events, events-apex, rgb, rgb-diff, rgb-flow$"),
    (lambda x, rng: augment_array(x, "events", 0), "rng must be a numpy.random.Generator, got 0"),
    (lambda x, rng: augment_array(x[0], "events", rng), r"x must be one input \(time_steps, channels, size, size\)"),
    (lambda x, rng: augment_array(x - 2, "events", rng), r"^x of kind 'events' must hold event counts \(finite, >= 0 "
                                                         r"and at most 2\^62\); 64 of its 64 values are not, the first at "
                                                         r"\[0, 0, 0, 0\]: -1.0$"),
    (lambda x, rng: augment_array(x * 1e30, "events", rng), r"^x of kind 'events' must hold event counts .*; 64 of its 64"),
    (lambda x, rng: ClassifyDataset(np.stack([x, x - 2]), [0, 1], "events"),
     r"^inputs of kind 'events' must hold event counts \(finite, >= 0 and at most 2\^62\); 64 of its 128 values are "
     r"not, the first at \[1, 0, 0, 0, 0\]: -1.0$"),
    (lambda x, rng: ClassifyDataset(np.where(x > 0, np.nan, x).reshape(1, 2, 1, 4, 8), [0], "rgb"),
     r"^inputs of kind 'rgb' must hold intensities in \[0, 1\] \(frames of 0\.\.255: divide by 255\); 64 of its 64 "
     r"values are not"),
    (lambda x, rng: ClassifyDataset(np.full((1, 1, 3, 4, 4), np.inf), [0], "rgb-flow"),
     r"^inputs of kind 'rgb-flow' must hold finite numbers; 48 of its 48 values are not"),
    (lambda x, rng: ClassifyDataset(x[None] / 2, [0], "rgb"),
     r"^inputs of kind 'rgb' must have 1 or 3 channels per time step, got shape \(1, 2, 2, 4, 4\)$"),
    (lambda x, rng: ClassifyDataset(x.repeat(2, 1)[None] / 2, [0], "rgb-flow"), r"^inputs of kind 'rgb-flow' must have 3 channels"),
    (lambda x, rng: ClassifyDataset(x[:, :1][None], [0], "events"), r"must have 2 channels per time step, got shape \(1, 2, 1, 4, 4\)$"),
    (lambda x, rng: ClassifyDataset(x[None].repeat(2, 0), [True, False], "events"),
     r"^targets must be class indices \(whole numbers >= 0\), not booleans: \[True, False\]$"),
    (lambda x, rng: Augment("events", drop=1.5), r"drop must be a finite number in \[0, 1\], got 1.5"),
    (lambda x, rng: Augment("evnts"), "kind must be one of"),
    (lambda x, rng: ClassifyDataset(x[None], [0], "evnts"), "kind must be one of"),
    (lambda x, rng: normalize(x, "evnts"), "kind must be one of"),
    (lambda x, rng: ClassifyDataset(x[:3][None].repeat(3, 0), [0, 1.5, 1], "events"),
     r"^targets must be class indices \(whole numbers >= 0\), got 1.5 at 1$"),
    (lambda x, rng: ClassifyDataset(x[None].repeat(2, 0), [0, -1], "events"), r"got -1 at 1$"),
    (lambda x, rng: augment_array(x[:0], "events", rng), r"^x must be one input \(time_steps, channels, size, size\) "
                                                         r"of numbers, no side 0, got shape \(0, 2, 4, 4\)"),
    (lambda x, rng: augment_array(x[..., :0], "rgb", rng), r"no side 0, got shape \(2, 2, 4, 0\)"),
    (lambda x, rng: ClassifyDataset(x[None], [0], "events", seed=-1), "^seed must be >= 0, got -1$"),
    (lambda x, rng: ClassifyDataset(x[None], [0], "events", seed="a"), "^seed must be an integer, got 'a'$"),
    (lambda x, rng: ClassifyDataset(x, [0, 1], "events"),
     r"^inputs must be \(clips, time_steps, channels, size, size\), got shape \(2, 2, 4, 4\)$"),
])
def test_augmentation_and_normalisation_refuse_settings_that_are_none(call, message):
    """Were taken: a drop, time or area share above 1 gave a numpy error at random part way through
    training (half the calls at drop=2), a nan drop or noise switched the stage off, a misspelt
    kind neither augmented nor log-scaled the counts, ``flip="no"`` flipped, a 3-D input was
    flipped and shifted as if it were one step; a target of 1.5 was class 1, -1 torch's "Target -1
    is out of bounds" in the loss; an input with a side 0 a ZeroDivisionError, a seed of -1 or "a"
    numpy's "expected non-negative integer" or SeedSequence's TypeError, 4-D inputs every item
    one step short, found by the network, and so were inputs of other channels than their kind's; bool targets
    were classes 0 and 1; without augmentation a negative count became NaN or -inf
    in log1p and a NaN input was fed to the network (training to NaN without a word), and a count
    of 1e30 wrapped negative in the drop's int64 draws: NumPy's "n < 0"."""
    x = np.ones((2, 2, 4, 4), np.float32)
    with pytest.raises(ParameterError, match=message):
        call(x, np.random.default_rng(0))


def test_dataloader_workers_augment_every_item_and_epoch_anew():
    """Was: every DataLoader worker augmented with its copy of the dataset's one generator, so at
    num_workers=2 the items of the two workers' batches had the same draws, and every epoch the
    draws of the first (the copies are made again each epoch)."""
    x = np.full((8, 2, 2, 8, 8), 5, np.float32)
    data = ClassifyDataset(x, [0] * 8, "events", Augment("events", drop=0.5, noise=0.5))

    def sums(workers):
        torch.manual_seed(0)
        loader = torch.utils.data.DataLoader(data, batch_size=2, num_workers=workers)
        return [torch.cat([xb for xb, _ in loader]).sum(dim=(1, 2, 3, 4)).tolist() for _ in range(2)]

    first, second = sums(2)
    assert len(set(first)) == 8 and not set(first) & set(second)
    assert sums(2) == [first, second]  # reproducible from torch's seed
    alone = ClassifyDataset(x, [0] * 8, "events", Augment("events", drop=0.5, noise=0.5))
    assert sums(0)[0] == [alone[i][0].sum().item() for i in range(8)]  # in process: the dataset's generator, as before
