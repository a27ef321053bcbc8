import numpy as np
import pytest
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from evface.errors import ParameterError
from evface.tasks.image_metrics import (cluster_mean_interval, cluster_training_interval, image_metrics, mse, psnr,
                                        region_metrics, ssim, ssim_map, summarize)


def _pair(seed=0, shape=(3, 40, 33)):
    rng = np.random.default_rng(seed)
    truth = rng.random(shape)
    pred = np.clip(truth + rng.normal(0, 0.1, shape), 0, 1)
    return pred, truth


def test_ssim_equals_skimage_evreal_settings():
    pred, truth = _pair()
    ours = ssim(pred, truth)
    assert ours.shape == (3,)
    for i in range(3):
        ref = structural_similarity(pred[i], truth[i], gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False, data_range=1)
        assert ours[i] == pytest.approx(ref, abs=1e-12)
    assert not np.allclose(ours, ours[0])  # per-image values, not one broadcast value


def test_ssim_differs_from_uniform_window_ssim():
    pred, truth = _pair(1, (40, 40))
    uniform = structural_similarity(pred, truth, data_range=1)
    assert abs(ssim(pred, truth)[0] - uniform) > 1e-4


def test_psnr_and_mse_equal_skimage():
    pred, truth = _pair(2)
    for i in range(3):
        assert psnr(pred, truth)[i] == pytest.approx(peak_signal_noise_ratio(truth[i], pred[i], data_range=1), rel=1e-12)
        assert mse(pred, truth)[i] == pytest.approx(mean_squared_error(truth[i], pred[i]), rel=1e-12)


def test_single_image_and_identity():
    x = np.random.default_rng(3).random((20, 20))
    assert ssim(x, x)[0] == pytest.approx(1.0)
    assert np.isinf(psnr(x, x)[0])


def test_shape_errors():
    with pytest.raises(ParameterError):
        ssim(np.zeros((20, 20)), np.zeros((20, 21)))
    with pytest.raises(ParameterError):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)))


@pytest.mark.parametrize(("a", "b", "message"), [
    (np.zeros((1, 0, 5)), np.zeros((1, 0, 5)), r"images must have at least one pixel, got shape \(0, 5\)"),
    (np.zeros((16, 16)) + 1j, np.zeros((16, 16)), "images must hold real numbers, got dtype complex128"),
    (np.full((16, 16), "a"), np.zeros((16, 16)), "images must hold real numbers, got dtype <U1"),
])
@pytest.mark.parametrize("metric", [mse, psnr, ssim, image_metrics])
def test_images_of_no_pixels_or_no_real_numbers_are_refused(metric, a, b, message):
    """Were: MSE and PSNR of an empty image nan with numpy's "Mean of empty slice", a complex image's
    imaginary part dropped with a ComplexWarning, a string image numpy's "could not convert"."""
    with pytest.raises(ParameterError, match=message):
        metric(a, b)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(("metric", "names"), [(mse, ("a", "b")), (psnr, ("a", "b")), (ssim, ("a", "b")),
                                               (ssim_map, ("a", "b")), (image_metrics, ("pred", "truth")),
                                               (lambda p, t: region_metrics(p, t, {"all": np.ones((16, 16), bool)}),
                                                ("pred", "truth"))])
def test_an_image_that_is_not_finite_numbers_is_refused_by_name(metric, names, value):
    """Was: a score of NaN (MSE inf or NaN), which summarize averaged into NaN and the evaluation's
    means left out silently."""
    pred, truth = _pair(2, (2, 16, 16))
    for name, (a, b) in zip(names, ((pred, truth), (truth, pred)), strict=True):
        a = a.copy()
        a[1, 3, 4] = value
        with pytest.raises(ParameterError, match=rf"^{name} holds 1 of 512 values that are not finite numbers "
                                                 r"\(NaN or infinity\); image metrics need finite images$"):
            metric(a, b) if name in ("a", "pred") else metric(b, a)


def test_region_metrics_of_one_image_pair_as_the_other_metrics_take_it():
    """Was: IndexError "too many indices for array" for an (H, W) pair, which ssim, psnr and mse take."""
    pred, truth = _pair(5, (16, 16))
    mask = np.ones((16, 16), bool)
    one = region_metrics(pred, truth, {"all": mask})["all"]
    batch = region_metrics(pred[None], truth[None], {"all": mask})["all"]
    assert one.keys() == batch.keys() and all(one[k].tolist() == batch[k].tolist() for k in one)
    assert one["mse"].tolist() == mse(pred, truth).tolist()


@pytest.mark.parametrize("data_range", [0, -1.0, float("nan"), float("inf"), "1"])
def test_a_data_range_that_is_no_range_is_refused(data_range):
    """``data_range=0`` dropped SSIM's stabilising constants (a flat pair scored nan) and gave PSNR -inf; a
    negative range was squared into the PSNR of its positive."""
    pred, truth = _pair(4, (16, 16))
    for metric in (ssim, psnr):
        with pytest.raises(ParameterError, match="^data_range must be a (finite )?number"):
            metric(pred, truth, data_range=data_range)


def test_image_metrics_clips_prediction_and_summarize_groups():
    pred, truth = _pair(4)
    m = image_metrics(pred + 5.0, truth)  # clipped to 1
    assert np.allclose(m["mse"], mse(np.ones_like(truth), truth))
    s = summarize(m, {"lighting": ["dim", "dim", "bright"]})
    assert s["n"] == 3 and s["per_lighting"]["dim"]["n"] == 2
    assert s["per_lighting"]["bright"]["ssim"] == pytest.approx(m["ssim"][2])
    assert s["ssim"] == pytest.approx(m["ssim"].mean())


@pytest.mark.parametrize("per_image, groups, named", [
    ({"ssim": np.array([0.5, 1.0])}, {"lighting": ["dim"]}, "^grouping 'lighting' has 1 values for 2 images"),  # was: IndexError
    ({"ssim": np.array([0.5, 1.0]), "mse": np.array([0.1])}, None, "^metric 'mse' has 1 values for 2 images"),
])
def test_summarize_refuses_a_metric_or_grouping_of_another_length_by_name(per_image, groups, named):
    with pytest.raises(ParameterError, match=named):
        summarize(per_image, groups)


def test_ssim_in_batches_equals_ssim_in_one(monkeypatch):
    import evface.tasks.image_metrics as im

    rng = np.random.default_rng(3)
    a = rng.random((5, 24, 20))
    b = np.clip(a + 0.2 * rng.standard_normal(a.shape), 0, 1)
    whole = im.ssim_map(a, b)
    monkeypatch.setattr(im, "SSIM_CHUNK", 2)  # batches of 2, 2 and 1 images
    assert np.array_equal(im.ssim_map(a, b), whole) and whole.shape == (5, 14, 10)


def test_the_interval_over_subjects_and_trainings_covers_the_trainings_spread():
    rng = np.random.default_rng(3)
    subjects = np.repeat(np.arange(12), 20)
    folds = subjects // 2  # two subjects per fold share its trainings
    one = rng.normal(0.01, 0.02, (1, subjects.size))
    assert cluster_training_interval(one, subjects, folds)["ci"] == pytest.approx(
        cluster_mean_interval(one[0], subjects)["ci"])  # one training: the subject-cluster interval
    # five trainings per fold, each fold's trainings offset from one another, no subject effect: the mean over the
    # trainings has an interval over subjects narrower than the spread the trainings leave in it
    offsets = rng.normal(0.0, 0.01, (5, 6))[:, folds]
    values = offsets + rng.normal(0.0, 0.002, (5, subjects.size))
    both = cluster_training_interval(values, subjects, folds)
    subjects_only = cluster_mean_interval(values.mean(0), subjects)
    assert both["mean"] == pytest.approx(subjects_only["mean"]) and both["n_trainings"] == 5
    assert np.diff(both["ci"])[0] > 1.5 * np.diff(subjects_only["ci"])[0]
    with pytest.raises(ParameterError, match=r"values of shape \(240,\)"):
        cluster_training_interval(values[0], subjects, folds)


def test_a_region_mask_of_weights_is_refused_and_one_of_zeros_and_ones_taken():
    """A mask is a set of pixels: booleans, or 0 and 1 (was: any number cast to bool, so a weight of 0.5 or a NaN
    counted as inside without a word)."""
    x = np.zeros((1, 16, 16))
    y = x + 0.1
    top = np.zeros((16, 16))
    top[:8] = 1.0
    taken = region_metrics(x, y, {"top": top})["top"]
    as_bool = region_metrics(x, y, {"top": top.astype(bool)})["top"]
    assert all(taken[k].tolist() == as_bool[k].tolist() for k in ("ssim", "psnr", "mse"))
    for bad in (0.5, np.nan, 2.0, -1.0):
        weights = top.copy()
        weights[0, 0] = bad
        with pytest.raises(ParameterError, match=r"^mask 'top' must be a boolean \(H, W\) array or one of 0 and 1"):
            region_metrics(x, y, {"top": weights})
    with pytest.raises(ParameterError, match=r"^mask 'top' must be a boolean \(H, W\) array or one of 0 and 1"):
        region_metrics(x, y, {"top": np.full((16, 16), "yes")})
