"""The evaluation protocol's statistics: subject folds, subject-cluster and two-level bootstraps, exact McNemar."""

from __future__ import annotations

import math
import re
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import ParameterError
from evface.tasks import figure_format, stats

N_CLASSES = 7


def _simulated_run(rng, n_subjects=20, clips=21, accuracy=0.4, spread=20.0):
    """Predictions of a classifier whose accuracy varies by subject (Beta, mean ``accuracy``)."""
    p_subject = rng.beta(accuracy * spread, (1 - accuracy) * spread, n_subjects)
    subjects = np.repeat([f"s{i:02d}" for i in range(n_subjects)], clips)
    y = np.tile(np.arange(clips) % N_CLASSES, n_subjects)
    correct = rng.random(y.size) < np.repeat(p_subject, clips)
    wrong = (y + rng.integers(1, N_CLASSES, y.size)) % N_CLASSES
    return y, np.where(correct, y, wrong), subjects


def test_subject_bootstrap_covers_the_true_accuracy_at_the_nominal_rate():
    rng = np.random.default_rng(12)
    covered = clip_covered = 0
    for run in range(100):
        y, pred, subjects = _simulated_run(rng)
        lo, hi = stats.bootstrap_interval(y, pred, subjects, N_CLASSES, resamples=1000, seed=run)["top1"]
        covered += lo <= 0.4 <= hi
        lo, hi = stats.bootstrap_interval(y, pred, np.arange(y.size).astype(str), N_CLASSES, resamples=1000)["top1"]
        clip_covered += lo <= 0.4 <= hi
    assert covered >= 90
    assert clip_covered < covered - 5  # resampling clips ignores that a subject's clips go together


def test_interval_is_reproducible_and_brackets_the_estimate():
    y, pred, subjects = _simulated_run(np.random.default_rng(0), n_subjects=12)
    a = stats.bootstrap_interval(y, pred, subjects, N_CLASSES)
    assert a == stats.bootstrap_interval(y, pred, subjects, N_CLASSES)
    top1 = np.mean(y == pred)
    assert a["top1"][0] < top1 < a["top1"][1] and set(a) == {"top1", "uf1", "uar"}


def test_paired_bootstrap_of_identical_runs_is_zero_and_a_clear_gap_is_found():
    rng = np.random.default_rng(1)
    y, good, subjects = _simulated_run(rng, accuracy=0.7)
    d = stats.paired_bootstrap(y, good, good, subjects, N_CLASSES)
    assert d["top1"]["diff"] == 0 and d["top1"]["ci"] == [0.0, 0.0]
    chance = rng.integers(0, N_CLASSES, y.size)
    d = stats.paired_bootstrap(y, good, chance, subjects, N_CLASSES)
    for name in stats.METRICS:
        assert d[name]["ci"][0] > 0 and d[name]["a"] - d[name]["b"] == pytest.approx(d[name]["diff"])


def _trained_arm(rng, y, fold, trainings, seed_sd, noise=1.5):
    """(K, N, C) logits of K trainings per fold; how good each training came out varies (SD ``seed_sd``)."""
    skill = rng.normal(0, seed_sd, size=(trainings, fold.max() + 1))
    out = rng.normal(0, noise, size=(trainings, y.size, 5))
    out[:, np.arange(y.size), y] += 1.0 + skill[:, fold]
    return out


def test_two_level_interval_holds_its_level_where_seeds_vary_and_the_subject_one_does_not():
    """Two arms alike in every way, three trainings per fold whose quality varies: the subject-cluster
    interval of the ensembles' difference excludes 0 far more often than 5 % of the time; the interval
    over subjects and trainings does not."""
    rng = np.random.default_rng(3)
    subjects = np.repeat(np.arange(12), 20).astype(str)
    fold = np.repeat(np.arange(12) % 6, 20)
    subject_only = two_level = 0
    for run in range(40):
        y = rng.integers(0, 5, subjects.size)
        a, b = _trained_arm(rng, y, fold, 3, 1.0), _trained_arm(rng, y, fold, 3, 1.0)
        lo, hi = stats.paired_bootstrap(y, a.mean(0).argmax(1), b.mean(0).argmax(1), subjects, 5, resamples=500,
                                        seed=run)["top1"]["ci"]
        subject_only += lo > 0 or hi < 0
        lo, hi = stats.paired_training_bootstrap(y, a, fold, b, fold, subjects, resamples=500, seed=run)["top1"]
        two_level += lo > 0 or hi < 0
    assert two_level <= 4 and subject_only >= two_level + 4, (subject_only, two_level)


def test_two_level_interval_is_centred_on_the_ensembles_difference():
    """Five trainings of about 41 % each make an ensemble of 73 %; B predicts exactly as that ensemble.
    Drawn with replacement, an ensemble holds fewer distinct trainings and scores lower, so the
    resamples of A - B sit well below 0; the interval is centred on the ensembles' difference, 0."""
    rng = np.random.default_rng(5)
    subjects = np.repeat(np.arange(12), 20).astype(str)
    fold = np.repeat(np.arange(12) % 4, 20)
    y = rng.integers(0, 5, subjects.size)
    a = rng.normal(0, 2.0, size=(5, y.size, 5))
    a[:, np.arange(y.size), y] += 1.5
    b = np.eye(5)[a.mean(0).argmax(1)][None]
    lo, hi = stats.paired_training_bootstrap(y, a, fold, b, fold, subjects)["top1"]
    assert -0.15 < lo < -0.05 and 0.05 < hi < 0.15 and abs(lo + hi) < 0.02, (lo, hi)
    # the ensemble's own level: centred on its top-1, wider than over subjects alone
    top1 = np.mean(a.mean(0).argmax(1) == y)
    lo, hi = stats.training_bootstrap(y, a, fold, subjects)["top1"]
    s_lo, s_hi = stats.bootstrap_interval(y, a.mean(0).argmax(1), subjects, 5)["top1"]
    assert lo < s_lo < top1 < s_hi < hi and abs((lo + hi) / 2 - top1) < 0.02, (lo, hi, top1)


def test_two_level_interval_is_never_narrower_than_the_subject_one():
    """Seeds that nearly agree: the recentred percentiles came out a fraction of a clip inside the
    subject interval, and excluded 0 where it did not (a one-clip difference called "higher";
    3 of these 40 cases)."""
    rng = np.random.default_rng(0)
    subjects, folds = np.repeat([f"s{i}" for i in range(6)], 4), np.repeat(np.arange(3), 8)
    for _ in range(40):
        y = rng.integers(0, 3, 24)
        base = rng.normal(0, 1, (24, 3))
        base[np.arange(24), y] += 1.0
        a = np.stack([base + rng.normal(0, 0.3, (24, 3)) for _ in range(3)])
        b = (base + rng.normal(0, 1, (24, 3)))[None]
        two = stats.paired_training_bootstrap(y, a, folds, b, folds, subjects, resamples=400)["top1"]
        sub = stats.paired_bootstrap(y, a.mean(0).argmax(1), b[0].argmax(1), subjects, 3, resamples=400)["top1"]["ci"]
        assert two[0] <= sub[0] and two[1] >= sub[1]
        alone = stats.training_bootstrap(y, a, folds, subjects, resamples=400)["top1"]
        level = stats.bootstrap_interval(y, a.mean(0).argmax(1), subjects, 3, resamples=400)["top1"]
        assert alone[0] <= level[0] and alone[1] >= level[1]


def test_two_level_interval_of_one_training_each_is_the_subject_one():
    y, pred, subjects = _simulated_run(np.random.default_rng(4), n_subjects=10)
    other = np.roll(pred, 7)
    as_logits = [np.eye(N_CLASSES)[p][None] for p in (pred, other)]
    folds = np.zeros(y.size)
    two_level = stats.paired_training_bootstrap(y, as_logits[0], folds, as_logits[1], folds, subjects)
    assert two_level == {k: d["ci"] for k, d in stats.paired_bootstrap(y, pred, other, subjects, N_CLASSES).items()}
    assert stats.training_bootstrap(y, as_logits[0], folds, subjects) == stats.bootstrap_interval(y, pred, subjects, N_CLASSES)
    with pytest.raises(ParameterError, match=r"logits of shape \(1, 210, 7\), 5 folds"):
        stats.paired_training_bootstrap(y, as_logits[0], folds[:5], as_logits[1], folds, subjects)


def test_subject_folds_never_share_a_subject_and_test_each_once():
    counts = {f"s{i}": 21 - (i % 3) for i in range(13)}
    for k in (2, 4, 13):
        folds = stats.subject_folds(counts, k, seed=3)
        flat = [s for f in folds for s in f]
        assert sorted(flat) == sorted(counts) and len(flat) == len(set(flat))
        assert len(folds) == k and all(folds)
        loads = [sum(counts[s] for s in f) for f in folds]
        assert max(loads) - min(loads) <= max(counts.values())
    assert stats.subject_folds(counts, 4, seed=3) == stats.subject_folds(counts, 4, seed=3)
    with pytest.raises(ParameterError, match="--folds 14"):
        stats.subject_folds(counts, 14)
    with pytest.raises(ParameterError, match="--folds 1"):
        stats.subject_folds(counts, 1)


def test_mcnemar_exact_against_hand_computed_values():
    # 3 vs 9 discordant clips: P(X <= 3), X ~ Bin(12, 1/2) = (1 + 12 + 66 + 220) / 4096 = 299 / 4096
    assert stats.mcnemar_exact(3, 9) == pytest.approx(2 * 299 / 4096)
    assert stats.mcnemar_exact(9, 3) == stats.mcnemar_exact(3, 9)
    assert stats.mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert stats.mcnemar_exact(4, 4) == 1.0 and stats.mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ParameterError):
        stats.mcnemar_exact(-1, 2)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30))
def test_mcnemar_p_is_a_probability_and_falls_with_imbalance(a_only, b_only):
    p = stats.mcnemar_exact(a_only, b_only)
    assert 0 < p <= 1
    assert stats.mcnemar_exact(a_only, b_only + 1) <= p or b_only < a_only


def test_mismatched_lengths_are_refused():
    with pytest.raises(ParameterError, match="one of each per clip"):
        stats.bootstrap_interval([0, 1], [0, 1, 1], ["a", "b"], 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.bootstrap_interval([0, 5], [0, 1], ["a", "b"], 2),
         r"y_true must be class indices in \[0, 1\] for 2 classes, got 0\.\.5"),
        (lambda: stats.bootstrap_interval([0, 1], [0, -1], ["a", "b"], 2),
         r"predictions must be class indices in \[0, 1\] for 2 classes, got -1\.\.0"),
        (lambda: stats.bootstrap_interval([0.5, 1], [0, 1], ["a", "b"], 2),
         r"y_true must be class indices \(whole numbers\), got 0\.5"),
        (lambda: stats.bootstrap_interval([0, 1], [0, 1], ["a", "b"], 0), "n_classes must be >= 1, got 0"),
        (lambda: stats.paired_bootstrap([0, 1], [0, 1], [0, 2], ["a", "b"], 2), "predictions must be class indices"),
        (lambda: stats.training_bootstrap([0, 2], np.zeros((1, 2, 2)), [0, 0], ["a", "b"]), "y_true must be class indices"),
        (lambda: stats.bootstrap_interval([0, 1], [0, 1], ["a", "b"], 2, resamples=0), "resamples must be >= 1, got 0"),
        (lambda: stats.bootstrap_interval([0, 1], [0, 1], ["a", "b"], 2, level=95), r"level must be a finite number in \(0, 1\]"),
        (lambda: stats.bootstrap_interval([0, 1], [0, 1], ["a", "b"], 2, seed=-1), "seed must be >= 0, got -1"),
        (lambda: stats.subject_folds({"a": 1, "b": 1}, "2"), "k must be an integer, got '2'"),
        (lambda: stats.subject_folds({"a": 1, "b": 1}, 2, seed=-1), "seed must be >= 0, got -1"),
        (lambda: stats.mcnemar_exact(1.5, 2), "a_only must be a whole number, got 1.5"),
    ],
)
def test_bad_labels_and_settings_are_named(call, message):
    """Were: a label past n_classes numpy's "cannot reshape", a negative one or a fraction counted in
    another cell (intervals [1, 1] for a wrong prediction), resamples=0 "cannot unpack", level=95
    numpy's "Percentiles must be in the range", seed=-1 numpy's "expected non-negative integer",
    k="2" a comparison's TypeError, a fractional count range()'s TypeError."""
    with pytest.raises(ParameterError, match=message):
        call()


def test_mcnemar_of_many_discordant_clips_is_quick():
    """Was: each term's comb() computed afresh, 20000 vs 22000 discordant clips took 160 s."""
    start = time.perf_counter()
    assert stats.mcnemar_exact(20_000, 22_000) == pytest.approx(1.7397326402141055e-22, rel=1e-12)
    assert time.perf_counter() - start < 10  # 0.15 s


def test_mcnemar_matches_the_sum_of_binomial_terms():
    for a_only in range(40):
        for b_only in range(40):
            n, k = a_only + b_only, min(a_only, b_only)
            exact = min(Fraction(1), Fraction(2 * sum(math.comb(n, i) for i in range(k + 1)), 2**n))
            assert stats.mcnemar_exact(a_only, b_only) == pytest.approx(float(exact), rel=1e-12, abs=0)


def test_mcnemar_of_counts_near_the_int64_end_ends():
    """Was: a loop over the smaller count's binomial terms, which never ended at 2^62 pairs each way."""
    assert stats.mcnemar_exact(2**62, 2**62 + 1000) == pytest.approx(1.0)
    assert stats.mcnemar_exact(2**62, 2**61) == 0.0
    assert stats.mcnemar_exact(2**63 - 1, 2**63 - 1) == 1.0


def test_a_negative_figure_that_rounds_to_zero_reads_as_zero():
    """``evface compare`` printed ``[-0.00, +0.01]`` beside "no detectable difference", and the
    report and recon compare ``-0.0000``: every formatter of figures (figure_format.number at the root)."""
    from evface.commands.compare import format_comparison

    tiny = -4e-6
    assert figure_format.fixed(tiny, 2, sign="+") == "+0.00" and figure_format.fixed(tiny, 4) == "0.0000"
    assert figure_format.fixed_interval([tiny, 0.012], 2, sign="+") == "[+0.00, +0.01]"
    assert figure_format.fixed_interval([tiny, 0.0012], 3, 100) == "[0.000, 0.120]"
    assert figure_format.with_interval(tiny, [tiny, 0.3], 1, 100) == "0.0 [0.0, 30.0]"
    assert (figure_format.mean_with_interval({"mean": tiny, "ci": [tiny, 0.002], "n_clusters": 3}, 0)
            == "0.0000 [0.0000, 0.0020]")
    assert figure_format.number(-0.0, "+.3g") == "+0"
    assert figure_format.number(-0.006, "+.2f") == "-0.01"  # a figure that is negative keeps its sign
    d = {"a": 0.5, "b": 0.5 - tiny, "diff": tiny, "ci": [tiny, 0.0001], "verdict": "no detectable difference"}
    res = {"a": "a", "b": "b", "n": 24, "n_subjects": 12, "per_lighting": {"bright": {"metrics": {"top1": d}}},
           "metrics": {"top1": d, "uf1": d, "uar": d}, "mcnemar": {"a_only": 1, "b_only": 1, "p": 1.0}}
    table = format_comparison(res)
    assert "-0.0" not in table
    assert re.search(r"UF1 +0\.500 +0\.500 +\+0\.000  \[\+0\.000, \+0\.000\] +12 / 24 +no detectable difference", table)


def test_logits_that_are_not_finite_are_refused_naming_the_array_and_where():
    """Were: a NaN logit taken as the largest by argmax, so a clip of NaN logits was scored as
    class 0 (right for a class-0 clip) and the interval came out without a word."""
    y, subjects = [0, 1, 0, 1], ["s0", "s0", "s1", "s1"]
    fine = np.array([[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]]] * 2)
    broken = fine.copy()
    broken[1, 0] = np.nan
    with pytest.raises(ParameterError, match=r"^logits: nan at training 1, clip 0, class 0 \(2 logits not finite\): "
                                             r".*give finite logits"):
        stats.training_bootstrap(y, broken, [0] * 4, subjects, resamples=50)
    infinite = fine.copy()
    infinite[0, 2, 1] = np.inf
    with pytest.raises(ParameterError, match=r"^logits_b: inf at training 0, clip 2, class 1 \(1 logit not finite\)"):
        stats.paired_training_bootstrap(y, fine, [0] * 4, infinite, [0] * 4, subjects, resamples=50)
    assert stats.training_bootstrap(y, fine, [0] * 4, subjects, resamples=50)["top1"] == [1.0, 1.0]


def test_an_interval_of_no_values_or_of_nan_values_is_refused(recwarn):
    """Were: no values a bare TypeError ("cannot unpack non-iterable numpy.float64 object"); a NaN
    among cluster_mean_interval's values an interval [nan, nan] with numpy's RuntimeWarnings."""
    from evface.tasks.image_metrics import cluster_mean_interval
    from evface.tasks.recon_eval import _interval

    with pytest.raises(ParameterError, match="^no bootstrap values to take an interval of"):
        stats.percentile_interval(np.array([]), 0.95)
    values, subjects = np.array([np.nan, 0.2, 0.1, 0.3]), np.array(["a", "a", "b", "b"])
    with pytest.raises(ParameterError, match="^2,000 of 2,000 bootstrap values are NaN: the values resampled hold a NaN"):
        cluster_mean_interval(values, subjects)
    with pytest.raises(ParameterError, match="^1 of 2 bootstrap values is NaN"):
        stats.percentile_interval(np.array([0.5, np.nan]), 0.95)
    assert _interval(values, subjects)["ci"] == cluster_mean_interval(values[1:], subjects[1:])["ci"]  # leaves NaNs out
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_intervals_over_trainings_stay_within_what_the_metric_can_take():
    """An ensemble right on every clip whose single trainings are not: the recentring of the drawn
    ensembles (which score lower) carried the upper bound of top-1 to 1.15 (printed "[45.4, 115.4] %");
    now each bound stays in [0, 1], and a difference's in [-1, 1]."""
    n = 10
    y = np.arange(n) % 2
    good, wrong = np.zeros((n, 2)), np.zeros((n, 2))
    good[np.arange(n), y], wrong[np.arange(n), 1 - y] = 3.0, 1.0
    wrong[::3] = good[::3]
    logits, subjects = np.stack([good, wrong]), [f"s{i % 5}" for i in range(n)]
    one = stats.training_bootstrap(y, logits, [0] * n, subjects)
    assert all(0.0 <= low <= high <= 1.0 for low, high in one.values()) and one["top1"][1] == 1.0
    worst = np.stack([wrong, wrong])
    paired = stats.paired_training_bootstrap(y, logits, [0] * n, worst, [0] * n, subjects)
    assert all(-1.0 <= low <= high <= 1.0 for low, high in paired.values())
