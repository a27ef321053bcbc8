"""The evaluation protocol's statistics: subject folds, subject-cluster bootstrap, exact McNemar."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import ParameterError
from evface.tasks import stats

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


def test_doctests():
    assert doctest.testmod(stats).failed == 0
