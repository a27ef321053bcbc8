"""The reported figures against independent derivations from their published definitions.

A reviewer's audit (2026-12-07) re-derived a run's figures from its saved outputs with other code:
skimage's SSIM map for the AU-region scores, a loop over drawn subjects for the subject-cluster
bootstraps, scipy's binomial test for McNemar, and per-class counts for the MEGC metrics. Every figure
agreed; these tests keep the agreements that no other test checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from skimage.metrics import structural_similarity

from evface.tasks import class_metrics, stats
from evface.tasks.image_metrics import cluster_mean_interval, region_metrics

RADIUS = 5
"""The radius of the EVREAL SSIM window (sigma 1.5, truncated at 3.5 sigma: 11 pixels)."""


def test_region_scores_are_skimages_ssim_map_and_the_regions_squared_error():
    """A region's SSIM is skimage's full SSIM map (EVREAL settings), cropped by the window radius as
    skimage crops it for its mean, averaged inside the region; its PSNR is that of the region's MSE."""
    rng = np.random.default_rng(3)
    truth = rng.random((2, 32, 32))
    pred = np.clip(truth + rng.normal(0, 0.1, truth.shape), 0, 1)
    yy, xx = np.mgrid[:32, :32]
    masks = {"ellipse": (yy - 12) ** 2 / 30 + (xx - 20) ** 2 / 60 < 1, "corner": (yy < 9) & (xx < 9)}
    scored = region_metrics(pred, truth, masks)
    for i in range(2):
        _, full = structural_similarity(truth[i], pred[i], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                        data_range=1.0, full=True)
        inner = full[RADIUS:-RADIUS, RADIUS:-RADIUS]
        for name, mask in masks.items():
            err = np.mean((pred[i] - truth[i])[mask] ** 2)
            assert scored[name]["ssim"][i] == pytest.approx(inner[mask[RADIUS:-RADIUS, RADIUS:-RADIUS]].mean(), abs=1e-12)
            assert scored[name]["mse"][i] == pytest.approx(err, rel=1e-12)
            assert scored[name]["psnr"][i] == pytest.approx(10 * np.log10(1 / err), rel=1e-12)


def _drawn_subjects(n_subjects: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_subjects, (resamples, n_subjects))


def test_a_mean_interval_pools_the_samples_of_the_drawn_subjects():
    """The subject-cluster bootstrap of a mean averages every sample of the drawn subjects (a subject
    drawn twice counts twice), so a subject of many samples weighs more than one of few: a loop over
    other draws gives the same percentile interval within Monte-Carlo error."""
    rng = np.random.default_rng(0)
    sizes = [2, 3, 5, 8, 13, 21]
    subjects = np.repeat([f"s{i}" for i in range(len(sizes))], sizes)
    values = np.concatenate([rng.normal(0.1 * i, 0.05, n) for i, n in enumerate(sizes)])
    ours = cluster_mean_interval(values, subjects, resamples=4000)
    groups = [values[subjects == f"s{i}"] for i in range(len(sizes))]
    loop = [np.concatenate([groups[j] for j in draw]).mean() for draw in _drawn_subjects(len(sizes), 4000, 99)]
    assert ours["mean"] == pytest.approx(values.mean())
    assert ours["ci"] == pytest.approx(np.percentile(loop, [2.5, 97.5]).tolist(), abs=0.015)
    equal_weight = [np.mean([groups[j].mean() for j in draw]) for draw in _drawn_subjects(len(sizes), 4000, 99)]
    assert abs(ours["ci"][1] - np.percentile(equal_weight, 97.5)) > 0.03  # it could tell the two apart


def _megc(y: np.ndarray, p: np.ndarray, n_classes: int) -> tuple[float, float, float]:
    """top-1, UF1 and UAR from per-class counts (MEGC 2019), classes absent from the truth left out."""
    f1, recall = [], []
    for c in range(n_classes):
        tp, fp, fn = np.sum((y == c) & (p == c)), np.sum((y != c) & (p == c)), np.sum((y == c) & (p != c))
        if tp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
            recall.append(tp / (tp + fn))
    return float(np.mean(y == p)), float(np.mean(f1)), float(np.mean(recall))


def test_classification_intervals_and_paired_differences_match_a_loop_over_drawn_subjects():
    """``bootstrap_interval`` and ``paired_bootstrap`` score the clips of the drawn subjects pooled, with
    UF1 and UAR from the pooled counts: a loop over other draws agrees within Monte-Carlo error."""
    rng = np.random.default_rng(5)
    n_classes, subjects = 4, np.repeat([f"s{i}" for i in range(8)], 8)
    y = np.tile(np.arange(8) % n_classes, 8)
    easy = np.repeat(np.linspace(0.1, 0.9, 8), 8)  # subjects differ: A and B right on the same ones
    wrong = (y + rng.integers(1, n_classes, y.size)) % n_classes
    a = np.where(rng.random(y.size) < easy, y, wrong)
    b = np.where(rng.random(y.size) < 0.15, wrong, a)
    index = [np.flatnonzero(subjects == f"s{i}") for i in range(8)]
    one = stats.bootstrap_interval(y, a, subjects, n_classes, resamples=1500)
    paired = stats.paired_bootstrap(y, a, b, subjects, n_classes, resamples=1500)
    loop_a, loop_d = [], []
    for draw in _drawn_subjects(8, 1500, 7):
        ii = np.concatenate([index[j] for j in draw])
        sa, sb = _megc(y[ii], a[ii], n_classes), _megc(y[ii], b[ii], n_classes)
        loop_a.append(sa)
        loop_d.append(np.subtract(sa, sb))
    whole_a, whole_b = _megc(y, a, n_classes), _megc(y, b, n_classes)
    for k, name in enumerate(stats.METRICS):
        assert one[name] == pytest.approx(np.percentile(np.array(loop_a)[:, k], [2.5, 97.5]).tolist(), abs=0.03)
        assert paired[name]["diff"] == pytest.approx(whole_a[k] - whole_b[k])
        assert paired[name]["ci"] == pytest.approx(np.percentile(np.array(loop_d)[:, k], [2.5, 97.5]).tolist(), abs=0.025)
    summary = class_metrics.summarize(class_metrics.confusion_matrix(y, a, n_classes), list("ABCD"))
    assert (summary["top1"], summary["uf1"], summary["uar"]) == pytest.approx(whole_a)


@pytest.mark.parametrize("a_only, b_only", [(0, 1), (3, 9), (9, 7), (5, 6), (20, 41), (150, 110), (1, 200)])
def test_mcnemar_is_scipys_two_sided_exact_binomial_test(a_only, b_only):
    assert stats.mcnemar_exact(a_only, b_only) == pytest.approx(binomtest(min(a_only, b_only), a_only + b_only, 0.5).pvalue,
                                                                rel=1e-9)
