import re

import numpy as np
import pytest
from recon_fixtures import make_clip, make_fake_dataset

from evface.errors import DatasetError, FormatError, ParameterError
from evface.events.core import concatenate, make_events
from evface.inputs.au_regions import REGIONS, active_regions, region_masks
from evface.inputs.clip_view import homography, register_to_box, resize_area, to_gray
from evface.inputs.recon_dataset import build_samples, write_samples
from evface.inputs.reconstruct import ARRAYS, ReconSamples, ReconSpec, clip_samples
from evface.io.clip_reader import read_clip
from evface.io.clip_schema import Clip
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder
from evface.tasks.image_metrics import image_metrics, region_metrics
from evface.tasks.recon_nets import input_scales


@pytest.fixture(scope="module")
def bright_clip():
    return make_clip("c0", "s0", "bright", seed=1, duration_us=300_000)


@pytest.mark.parametrize("sensor", ["hd", "lr"])
def test_extrapolation_samples(bright_clip, sensor):
    spec = ReconSpec(sensor=sensor, size=32, n_bins=4, step_us=40_000)
    s = clip_samples(bright_clip, spec)
    n = len(s)
    assert s.voxel.shape == (n, 4, 32, 32) and s.voxel.dtype == np.float16
    assert s.hist.shape == (n, len(spec.alphas_rad_s), 2, 32, 32)
    assert s.key.shape == s.target.shape == s.rgb_a.shape == (n, 32, 32)
    assert 0 <= s.key.min() and s.key.max() <= 1 and 0 <= s.target.min() and s.target.max() <= 1
    # one keyframe for the whole clip (the first frame), sample times every step through the apex
    t_first = bright_clip.frames["rgb"].t_us[0] + bright_clip.frames["rgb"].exposure_us[0] // 2
    assert np.all(s.t_key_us == t_first) and np.all(s.horizon_us > 0)
    assert np.allclose(s.key, s.key[0])
    period = np.diff(bright_clip.truth["hd"].t_us).max()  # sample times are truth-frame times
    assert np.abs(s.t_us - bright_clip.apex_us).min() <= period / 2 and np.all(np.abs(np.diff(s.t_us) - 40_000) <= period)
    assert np.all(s.t_b <= s.t_us) and np.all(s.t_a <= s.t_b)  # RGB-only methods see only past frames
    # the history counts every event since the keyframe; it grows with the horizon
    assert np.all(np.diff(s.hist[:, 0].astype(np.float64).sum(axis=(1, 2, 3))) >= 0) and s.hist[-1, 0].sum() > 0


def test_interpolation_samples_lie_between_frames(bright_clip):
    s = clip_samples(bright_clip, ReconSpec(sensor="hd", size=32, protocol="interpolation", stride=2))
    assert len(s) > 0
    assert np.all((s.t_a < s.t_us) & (s.t_us < s.t_b)) and np.array_equal(s.t_key_us, s.t_a)
    assert np.array_equal(s.key, s.rgb_a)
    assert np.all(np.diff(s.t_us) > 0)


def test_hd_and_lr_share_one_grid(bright_clip):
    """The target, keyframe and RGB frames do not depend on the sensor, so keyframe copy scores the same."""
    for protocol in ("extrapolation", "interpolation"):
        hd = clip_samples(bright_clip, ReconSpec(sensor="hd", size=32, protocol=protocol))
        lr = clip_samples(bright_clip, ReconSpec(sensor="lr", size=32, protocol=protocol))
        for name in ("target", "key", "rgb_a", "rgb_b", "t_us", "t_key_us"):
            assert np.array_equal(getattr(hd, name), getattr(lr, name)), name
        for metric, values in image_metrics(hd.key, hd.target).items():
            assert np.array_equal(values, image_metrics(lr.key, lr.target)[metric])
        assert not np.array_equal(hd.voxel, lr.voxel)  # only the events differ


def test_events_only_hides_the_keyframe():
    assert ReconSpec(protocol="events-only").keyframe is False
    assert ReconSpec(protocol="extrapolation").keyframe and ReconSpec(protocol="interpolation").keyframe


def test_au_regions():
    masks = region_masks(64)
    assert set(masks) == set(REGIONS)
    for name, m in masks.items():
        assert m.shape == (64, 64) and 0 < m.mean() < 0.2, name
    rows = lambda m: np.flatnonzero(m.any(axis=1))  # noqa: E731
    assert rows(masks["brows"]).mean() < rows(masks["eyes"]).mean() < rows(masks["nose"]).mean() \
        < rows(masks["mouth"]).mean() < rows(masks["chin"]).mean()  # top to bottom
    assert active_regions([1, 2]) == ("brows",) and active_regions([17]) == ("chin",) and active_regions([999]) == ()
    # a difference inside one region shows in that region only
    a = np.full((1, 64, 64), 0.5)
    b = a.copy()
    b[0][masks["mouth"]] = 0.6
    m = region_metrics(a, b, masks)
    assert m["mouth"]["mse"][0] == pytest.approx(0.01) and m["brows"]["mse"][0] == 0 and m["brows"]["ssim"][0] == 1


@pytest.mark.parametrize("aus,message", [
    ("12", r"^aus must be a list of action unit numbers, got '12'$"),
    (["AU12"], r"^aus\[0\] must be an integer, got 'AU12'$"),
    ([6, 12.5], r"^aus\[1\] must be a whole number, got 12.5$"),
])
def test_active_regions_refuse_what_is_no_list_of_au_numbers(aus, message):
    """Were: () without a word, as for unknown action units (the characters of "12" or the name
    "AU12" looked up as numbers), and 12.5 looked up as no AU."""
    with pytest.raises(ParameterError, match=message):
        active_regions(aus)


def test_registration_uses_homography():
    gray = np.zeros((1, 20, 30), np.float32)
    gray[0, 10, 15] = 1.0  # one bright RGB pixel
    out = register_to_box(gray, np.diag([2.0, 2.0, 1.0]), (20, 10, 20, 20), 20)
    y, x = np.unravel_index(np.argmax(out[0]), out[0].shape)
    assert (x, y) == (2 * 15 - 20, 2 * 10 - 10)


NAN_MAP = [[float("nan"), 0, 0], [0, 1, 0], [0, 0, 1]]


@pytest.mark.parametrize("hom,box,message", [
    (NAN_MAP, (0, 0, 4, 4), r"homography must be a 3x3 map of finite numbers that can be inverted, got \[\[nan"),
    (np.zeros((3, 3)), (0, 0, 4, 4), "homography must be a 3x3 map"),  # singular: OpenCV's warp inverts it
    ([[1, 2, 3], [2, 4, 6], [0, 0, 1]], (0, 0, 4, 4), "homography must be a 3x3 map"),
    (np.eye(2), (0, 0, 4, 4), r"homography must be a 3x3 map .*, got \[\[1.0, 0.0\], \[0.0, 1.0\]\]$"),
    (np.eye(3), (0, 0, 0, 4), r"box w must be in \[1, 65536\], got 0"),  # OpenCV takes 0 as the frame's own size
    (np.eye(3), (0, 0, 4, 10**6), r"box h must be in \[1, 65536\], got 1000000"),
    (np.eye(3), (0.5, 0, 4, 4), "box x must be a whole number, got 0.5"),
])
def test_registration_refuses_a_map_or_box_that_is_none(hom, box, message):
    """Were taken: a NaN map warped every pixel to one border grey (0.7 here), a singular one to
    zeros, a box of width 0 to the whole frame; a 2x2 map was numpy's matmul error, a box 10^6
    wide OpenCV's "Insufficient memory"."""
    gray = np.tile(np.arange(8, dtype=np.float32) / 10, (1, 6, 1))
    with pytest.raises(ParameterError, match=message):
        register_to_box(gray, hom, box, 4)


def test_a_clip_whose_homography_is_no_map_is_named():
    clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, calibration={"homography": {"lr": NAN_MAP}})
    with pytest.raises(DatasetError, match=r"^c\.h5: calibration\['homography'\]\['lr'\]: homography must be a 3x3 map"):
        homography(clip, "lr", "c.h5")


def test_resize_area_averages_and_to_gray():
    a = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    assert resize_area(a, 2)[0, 0, 0] == pytest.approx(np.mean([0, 1, 4, 5]))
    assert to_gray(np.full((2, 2, 3), 255, np.uint8)) == pytest.approx(np.ones((2, 2)))


@pytest.mark.parametrize(("shape", "channels"), [((6, 8, 4), r"4 channels \(RGBA\)"), ((2, 6, 8, 4), r"4 channels \(RGBA\)"),
                                                ((6, 8, 1), "1 channel"), ((6, 8, 2), r"2 channels \(grey and alpha\)")])
def test_to_gray_refuses_frames_of_other_channels(shape, channels):
    """Was: an (H, W, 4) RGBA image read as H grey frames four pixels wide, an (N, H, W, 4) stack
    and an (H, W, 1) or (H, W, 2) image likewise: grey images of the wrong shape, silently."""
    with pytest.raises(ParameterError, match=rf"^frames of shape {re.escape(str(shape))} end in {channels}; "
                                             r"give RGB \(\.\.\., H, W, 3\) or grey \(\.\.\., H, W\) frames"):
        to_gray(np.zeros(shape, np.uint8))
    assert to_gray(np.zeros((2, 6, 5), np.uint8)).shape == (2, 6, 5)  # grey frames five pixels wide


@pytest.mark.parametrize("image", [np.ones((4, 4), complex), np.array([[None, 1], [2, 3]]), np.full((4, 4), "a")])
def test_resize_area_refuses_images_of_no_real_numbers(image):
    """Were: complex values cut to their real part (a ComplexWarning), None made NaN, silently;
    text numpy's "could not convert string to float"."""
    with pytest.raises(ParameterError, match=rf"^resize_area needs images of real numbers, got dtype {image.dtype}$"):
        resize_area(image, 2)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_to_gray_refuses_what_is_no_image(shape):
    """Was: a scalar or a row of pixels returned as grey values, no image."""
    with pytest.raises(ParameterError, match=rf"^frames must be images \(\.\.\., H, W\[, 3\]\), got shape {re.escape(str(shape))}$"):
        to_gray(np.zeros(shape, np.uint8))


def test_build_samples_over_dataset(tmp_path, monkeypatch):
    root = make_fake_dataset(tmp_path, n_subjects=2, clips_per_subject=1, duration_us=200_000)
    ds = DatasetFolder.open(root)
    s = build_samples(root, ds.rows, ReconSpec(sensor="lr", size=24))
    assert len(s.clip_slices()) == 2
    assert set(s.meta["lighting"]) == {"bright", "dim"} and set(s.meta["aus"]) == {"12"}
    # samples larger than half the memory: refused after the first clip, naming the options
    import os

    real = os.sysconf
    pages = 16  # 64 KiB: a clip's voxel grids and leaky counts fit (evface.events refuses what does not)
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}.get(name, real(name)))
    with pytest.raises(ParameterError, match=r"the samples of 2 clips at --size 24 take about .* GiB \(\d+ per clip\), "
                                             r"more than half of this machine's 0 GiB; lower --size or raise --step-us"):
        build_samples(root, ds.rows, ReconSpec(sensor="lr", size=24))


def test_errors(bright_clip):
    with pytest.raises(ParameterError, match="protocol"):
        ReconSpec(protocol="future")
    bad = make_clip("c1", "s0", "dim", seed=2, duration_us=100_000)
    del bad.calibration["face_box"]["hd"]
    with pytest.raises(DatasetError, match="face_box"):
        clip_samples(bad, ReconSpec(sensor="hd"))


def test_a_recording_is_scored_against_its_own_rgb_frames():
    """A clip without truth frames (a recording): sample times are frame mid-exposures, the target
    is the frame at t, the RGB-only methods see only earlier frames, and hd and lr share the grid;
    interpolation, with nothing between the frames, is refused."""
    recording = make_clip("c2", "s0", "bright", seed=1, duration_us=400_000)
    recording.truth = {}
    rgb = recording.frames["rgb"]
    t_mid = np.asarray(rgb.t_us) + np.asarray(rgb.exposure_us) // 2
    hd = clip_samples(recording, ReconSpec(sensor="hd", size=32, step_us=40_000))
    assert len(hd) >= 3 and np.isin(hd.t_us, t_mid).all() and np.all(hd.t_us > t_mid[0])
    frame = {int(t): i for i, t in enumerate(t_mid)}
    grid = clip_samples(recording, ReconSpec(sensor="hd", size=32, protocol="extrapolation", step_us=1))
    by_time = dict(zip(grid.t_us.tolist(), grid.target, strict=True))  # every frame after the first, as a target
    assert len(by_time) == len(t_mid) - 1
    for k, t in enumerate(hd.t_us):
        assert np.array_equal(hd.target[k], by_time[int(t)])
        assert hd.t_b[k] == t_mid[frame[int(t)] - 1] < t  # the frame just before the target's
        if frame[int(t)] > 1:
            assert np.array_equal(hd.rgb_b[k], by_time[int(hd.t_b[k])])
    assert np.array_equal(hd.key[0], clip_samples(recording, ReconSpec(sensor="hd", size=32)).key[0])
    assert set(hd.meta["target"]) == {"rgb"}
    lr = clip_samples(recording, ReconSpec(sensor="lr", size=32, step_us=40_000))
    assert np.array_equal(lr.target, hd.target) and not np.array_equal(lr.voxel, hd.voxel)
    with pytest.raises(DatasetError, match="no frames between its RGB frames.*extrapolation or events-only"):
        clip_samples(recording, ReconSpec(sensor="hd", protocol="interpolation"))
    # a rig without hd: the grid is the RGB camera's own face box, where the importer records one
    recording.calibration["face_box"]["rgb"] = [6, 5, 40, 36]
    for name in ("events", "sensors"):
        getattr(recording, name).pop("hd")
    recording.calibration["face_box"].pop("hd")
    lr_only = clip_samples(recording, ReconSpec(sensor="lr", size=32, step_us=40_000))
    own_box = resize_area(to_gray(rgb.data)[:, 5:41, 6:46], 32)
    assert np.array_equal(lr_only.t_us, hd.t_us)
    assert np.allclose(lr_only.target, own_box[[frame[int(t)] for t in lr_only.t_us]], atol=1e-6)


def test_a_recordings_apex_is_scored_on_the_apex_frame():
    """An imported clip's apex is the exposure start of its apex frame; with the exposure the frame
    period (the import's default) it lies as far from that frame's mid-exposure as from the one
    before, and the sample grid and the apex score took the frame before (ties: the earlier)."""
    from dataclasses import replace

    from evface.io.clip_schema import FrameSeries
    from evface.tasks.recon_eval import phase_indices

    recording = make_clip("c3", "s0", "bright", seed=1, duration_us=400_000)
    recording.truth = {}
    rgb = recording.frames["rgb"]
    period = 33_366
    starts = np.arange(len(rgb.t_us), dtype=np.int64) * period
    recording.frames["rgb"] = FrameSeries(rgb.data, starts, np.full(len(starts), period), fps=1e6 / period)
    recording = replace(recording, onset_us=int(starts[2]), apex_us=int(starts[4]), offset_us=int(starts[6]))
    s = clip_samples(recording, ReconSpec(sensor="hd", size=32, step_us=50_000))
    mid = starts + period // 2
    assert s.t_us[phase_indices(s)["apex"][0]] == mid[4] and mid[3] in s.t_us  # both frames sampled
    assert [int(s.meta[f"{p}_us"][0]) for p in ("onset", "apex", "offset")] == [mid[2], mid[4], mid[6]]


def test_samples_written_as_decoded_load_as_built_without_pickle(tmp_path):
    root = make_fake_dataset(tmp_path / "data", n_subjects=2, clips_per_subject=2, duration_us=200_000)
    rows, spec = DatasetFolder.open(root).rows, ReconSpec(sensor="hd", size=24, step_us=40_000)
    s = build_samples(root, rows, spec)
    folder = write_samples(root, rows, spec, tmp_path / "samples")
    assert not (tmp_path / "samples.tmp").exists()
    back = ReconSamples.load(folder)
    for name in ARRAYS:
        a, b = getattr(s, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name
    assert set(back.meta) == set(s.meta)
    for key, value in s.meta.items():
        assert back.meta[key].dtype == value.dtype and back.meta[key].tolist() == value.tolist(), key
    idx = np.array([2, 0])
    assert np.array_equal(back.select(idx).target, s.target[idx])
    for path in folder.iterdir():  # plain arrays: nothing in them can run code
        assert np.load(path, allow_pickle=False).dtype != object
    # a clip that cannot be read part way: nothing left behind
    broken = [*rows[:2], {**rows[2], "file": "clips/missing.h5"}]
    with pytest.raises(FormatError, match="missing.h5: no such file"):
        write_samples(root, broken, spec, tmp_path / "broken")
    assert not (tmp_path / "broken").exists() and not (tmp_path / "broken.tmp").exists()

def test_samples_are_not_written_over_a_folder_with_files_or_a_users_tmp_folder(tmp_path):
    """Was: a ``folder`` holding files refused by the final rename's bare OSError ("Directory not
    empty"), after every clip was decoded; a ``folder.tmp`` of the user's removed without a word."""
    root = make_fake_dataset(tmp_path / "data", n_subjects=1, clips_per_subject=1, duration_us=200_000)
    rows, spec = DatasetFolder.open(root).rows, ReconSpec(sensor="hd", size=24, step_us=40_000)
    missing = [{**rows[0], "file": "clips/missing.h5"}]  # refused before any clip is read: no FormatError
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text("mine")
    with pytest.raises(ParameterError, match=r"full: exists and is not an empty folder; give folder a new name"):
        write_samples(root, missing, spec, tmp_path / "full")
    (tmp_path / "out.tmp").mkdir()
    (tmp_path / "out.tmp" / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match=r"out.tmp: holds notes.txt, which write_samples did not write"):
        write_samples(root, missing, spec, tmp_path / "out")
    assert (tmp_path / "full" / "a.txt").read_text() == (tmp_path / "out.tmp" / "notes.txt").read_text() == "mine"
    (tmp_path / "out.tmp" / "notes.txt").unlink()
    (tmp_path / "out.tmp" / "voxel.npy").write_bytes(b"a killed writer's")  # removed, as before
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "out", tmp_path / "empty"):
        assert len(ReconSamples.load(write_samples(root, rows, spec, folder))) > 0
    assert not (tmp_path / "out.tmp").exists()


def test_a_hot_pixels_count_beyond_float16_is_kept_in_float32(tmp_path):
    """Was: voxel and hist always float16, so a pixel's count over 65504 (a hot pixel over a long
    history) was stored as inf, and the input scale 1 / RMS of the training samples was 0 (nan inputs)."""
    root = make_fake_dataset(tmp_path / "data", n_subjects=2, clips_per_subject=1, duration_us=200_000)
    rows, spec = DatasetFolder.open(root).rows, ReconSpec(sensor="lr", size=24, step_us=40_000)
    quiet = build_samples(root, rows[:1], spec)
    path = root / rows[1]["file"]
    clip = read_clip(path)
    n = 300_000  # 1.5 MHz at one pixel of the face box, 30x27 lr pixels shrunk to 24x24
    hot = make_events(np.linspace(0, 199_999, n).astype(np.int64), np.full(n, 10), np.full(n, 10), np.ones(n))
    clip.events["lr"] = concatenate([clip.events["lr"], hot], sort=True)
    write_clip(path, clip)
    s = build_samples(root, rows, spec)
    folder = write_samples(root, rows, spec, tmp_path / "samples")
    for samples in (s, ReconSamples.load(folder)):
        assert samples.hist.dtype == np.float32 and samples.voxel.dtype == np.float16  # 60,000 events a step
        assert np.isfinite(samples.hist).all() and samples.hist.max() > 65504
        assert np.array_equal(samples.hist[: len(quiet)], quiet.hist) and quiet.hist.dtype == np.float16
        assert np.array_equal(samples.voxel, s.voxel) and np.array_equal(samples.hist, s.hist)
    assert all(np.isfinite(v) and v > 0 for v in input_scales(s).values())


def test_frames_that_are_not_uint8_are_refused_rather_than_darkened():
    """Was: a clip built in Python with float frames in [0, 1] (which write_clip refuses) gave
    targets, keyframes and RGB inputs divided by 255, nearly black, silently."""
    from evface.inputs.classify import InputSpec, flow_input, rgb_input
    from evface.io.clip_schema import FrameSeries

    clip = make_clip("c0", "s0", "bright", seed=1, duration_us=200_000)
    rgb = clip.frames["rgb"]
    clip.frames["rgb"] = FrameSeries(rgb.data / np.float32(255), rgb.t_us, rgb.exposure_us)
    message = r"^frames must be uint8 \(0\.\.255, as clips store them\), got float32; scale frames in \[0, 1\] by 255"
    for call in (lambda: clip_samples(clip, ReconSpec(sensor="lr", size=16)),
                 lambda: rgb_input(clip.frames["rgb"], (0, 0, 40, 36), InputSpec(kind="rgb", size=16), 0, 200_000),
                 lambda: flow_input(clip.frames["rgb"], (0, 0, 40, 36), InputSpec(kind="rgb-flow", size=16), 0, 200_000)):
        with pytest.raises(ParameterError, match=message):
            call()


def test_a_dataset_whose_clips_are_all_too_short_names_the_folder_their_lengths_and_what_each_protocol_needs(tmp_path):
    """Clips of 20 ms hold one RGB frame: no interpolation sample (was: 'no reconstruction samples: every
    clip was too short or empty', naming neither the dataset nor what to change). Both ways of cutting
    say so in one line; the folder being written is not left behind."""
    root = make_fake_dataset(tmp_path / "data", n_subjects=2, clips_per_subject=1, duration_us=20_000)
    rows = DatasetFolder.open(root).rows
    said = (f"{root}: no interpolation samples in its 2 clips (20.0 to 20.0 ms long): interpolation needs a truth "
            "frame between two of its RGB frames within the expression (a recording has none); extrapolation and "
            "events-only need a truth frame (a recording: an RGB frame) after its first RGB frame's mid-exposure, on "
            "the --step-us grid through the apex (now 40000 µs); ")
    spec = ReconSpec(size=16, protocol="interpolation", step_us=40_000)
    with pytest.raises(DatasetError) as built:
        build_samples(root, rows, spec)
    assert str(built.value) == said + "use a dataset of longer clips or another --protocol"
    with pytest.raises(DatasetError) as written:
        write_samples(root, rows, spec, tmp_path / "samples")
    assert str(written.value) == str(built.value)
    assert not (tmp_path / "samples").exists() and not (tmp_path / "samples.tmp").exists()
    with pytest.raises(DatasetError, match=re.escape(said + "evaluate it on a dataset of longer clips")):
        build_samples(root, rows, spec, "evaluate it on a dataset of longer clips")
