import numpy as np
import pytest
from recon_fixtures import make_clip, make_fake_dataset

from evface.errors import DatasetError, ParameterError
from evface.inputs.clip_view import register_to_box, resize_area, to_gray
from evface.inputs.reconstruct import ReconSpec, build_samples, clip_samples
from evface.io.dataset import DatasetFolder
from evface.tasks.image_metrics import ssim


@pytest.fixture(scope="module")
def bright_clip():
    return make_clip("c0", "s0", "bright", seed=1, duration_us=300_000)


@pytest.mark.parametrize("sensor", ["hd", "lr"])
def test_clip_samples_shapes_and_ranges(bright_clip, sensor):
    spec = ReconSpec(sensor=sensor, size=32, n_bins=4)
    s = clip_samples(bright_clip, spec)
    n = len(s)
    assert n == len(bright_clip.frames["rgb"].t_us) - 1  # every frame but the first has a keyframe
    assert s.voxel.shape == (n, 4, 32, 32) and s.voxel.dtype == np.float32
    assert s.key.shape == s.target.shape == (n, 32, 32)
    assert s.counts.shape == (n, len(spec.alphas_rad_s), 2, 32, 32)
    assert 0 <= s.key.min() and s.key.max() <= 1 and 0 <= s.target.min() and s.target.max() <= 1
    assert np.all(np.diff(s.t_us) > 0) and s.seq.tolist() == list(range(n))
    assert set(s.meta["sensor"]) == {sensor} and set(s.meta["lighting"]) == {"bright"}
    assert np.abs(s.voxel).sum() > 0
    # the keyframe of sample i+1 is the target of sample i (window = one frame period)
    assert np.allclose(s.key[1:], s.target[:-1])
    # no leak: leaked counts are plain counts, as many events as the voxel grid holds
    assert s.counts[:, 0].sum() > 0


def test_truth_target_matches_rgb_tone(bright_clip):
    rgb = clip_samples(bright_clip, ReconSpec(sensor="hd", size=32))
    truth = clip_samples(bright_clip, ReconSpec(sensor="hd", size=32, target="truth"))
    assert truth.target.shape == rgb.target.shape
    assert ssim(truth.target, rgb.target).mean() > 0.9
    assert not np.allclose(truth.target, rgb.target)


def test_registration_uses_homography():
    gray = np.zeros((1, 20, 30), np.float32)
    gray[0, 10, 15] = 1.0  # one bright RGB pixel
    out = register_to_box(gray, np.diag([2.0, 2.0, 1.0]), (20, 10, 20, 20), 20)
    y, x = np.unravel_index(np.argmax(out[0]), out[0].shape)
    assert (x, y) == (2 * 15 - 20, 2 * 10 - 10)


def test_resize_area_averages_and_to_gray():
    a = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    assert resize_area(a, 2)[0, 0, 0] == pytest.approx(np.mean([0, 1, 4, 5]))
    assert to_gray(np.full((2, 2, 3), 255, np.uint8)) == pytest.approx(np.ones((2, 2)))


def test_build_samples_over_dataset(tmp_path):
    root = make_fake_dataset(tmp_path, n_subjects=2, clips_per_subject=1, duration_us=200_000)
    ds = DatasetFolder.open(root)
    s = build_samples(root, ds.rows, ReconSpec(sensor="lr", size=24))
    assert len(s.clip_slices()) == 2
    assert set(s.meta["lighting"]) == {"bright", "dim"}


def test_errors(bright_clip):
    with pytest.raises(ParameterError):
        ReconSpec(target="depth")
    bad = make_clip("c1", "s0", "dim", seed=2, duration_us=100_000)
    del bad.calibration["face_box"]["hd"]
    with pytest.raises(DatasetError, match="face_box"):
        clip_samples(bad, ReconSpec(sensor="hd"))
