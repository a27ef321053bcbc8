"""Subject-level statistics of a protocol: folds, bootstrap intervals, a paired test, the names of compared runs.

Clips of one subject are not independent (one face, one set of habits the model gets right or
wrong), so every resampling here draws **subjects**, never clips: :func:`subject_folds` puts each
subject in exactly one test fold; :func:`bootstrap_interval` and :func:`paired_bootstrap`
resample subjects with replacement (a subject-cluster bootstrap) and recompute top-1, UF1 and UAR
(:mod:`evface.tasks.class_metrics`) from the pooled confusion matrix of each resample; intervals
are the 2.5th and 97.5th percentiles (percentile bootstrap, a fixed seed: the same predictions
give the same interval). :func:`mcnemar_exact` is the exact McNemar test of two classifiers on
the same clips (a two-sided binomial test on the discordant pairs).
:func:`training_bootstrap` and :func:`paired_training_bootstrap` also resample each fold's trainings
(seeds) of an ensemble.

Examples
--------
>>> subject_folds({"s0": 21, "s1": 21, "s2": 21, "s3": 21, "s4": 21}, k=2, seed=0)
[['s1', 's2', 's3'], ['s0', 's4']]
>>> mcnemar_exact(1, 6)  # 7 discordant clips, 1 vs 6: 2 * P(X <= 1), X ~ Bin(7, 1/2) = 16/128
0.125
>>> describe_difference("events-hd", "rgb", (-0.03, 0.12))
'no detectable difference'
>>> describe_difference("events-hd", "rgb", (0.02, 0.12))
'events-hd higher'
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import betainc, erfc

from evface.checks import as_int, as_real, real_array, within_memory
from evface.errors import ParameterError, counted
from evface.inputs.splits import subject_split, subject_texts
from evface.tasks import class_metrics as cm
from evface.tasks.figure_format import NOT_FINITE, TOUCHES_ZERO, checked_interval

METRICS = ("top1", "uf1", "uar")
"""The metrics that get intervals: top-1 and the MEGC metrics UF1 and UAR."""
RESAMPLES = 2000
LEVEL = 0.95
SEED = 0
BOOTSTRAP_BYTES = 48
"""Bytes the bootstraps hold per resample (and per subject) and confusion-matrix cell at their peak
(37 measured: the resampled matrices and the int64 copies the metrics read them through), checked
against the memory before the first is made."""
RESAMPLE_BYTES = 40
"""Bytes :func:`resample_counts` holds per resample and group at its peak (32 measured)."""


def subject_folds(clips_per_subject: Mapping[str, int], k: int, seed: int = 0) -> list[list[str]]:
    """Split subjects into ``k`` test folds: every subject in exactly one, clip counts balanced.

    Subjects are shuffled with ``seed``, ordered by clip count (most first; ties keep the
    shuffled order) and each is given to the fold with the fewest clips so far (the lowest
    index on a tie). ``k`` equal to the number of subjects is leave-one-subject-out. Each fold's
    subjects are sorted.

    Parameters
    ----------
    clips_per_subject : mapping of str to int
        Each subject's number of clips.
    k : int
        The folds, from 2 to the number of subjects (else a ParameterError naming ``--folds``).
    seed : int, optional
        The seed of the shuffle, >= 0.

    Returns
    -------
    list of list of str
        The ``k`` folds' subjects.

    Examples
    --------
    >>> subject_folds({"s0": 3, "s1": 1, "s2": 2}, k=2)
    [['s0'], ['s1', 's2']]
    """
    if not isinstance(clips_per_subject, Mapping):
        raise ParameterError(f"clips_per_subject must map each subject to its number of clips, got {clips_per_subject!r:.80}")
    named = [subject for subject in clips_per_subject if not isinstance(subject, str)]
    if named:  # a number among the names: sorted() could not order them, and 1 and "1" are not one subject
        raise ParameterError(f"clips_per_subject must map each subject's name (text) to its clips, got {named[0]!r}")
    clips_per_subject = {subject: as_int("clips_per_subject", n, 0) for subject, n in clips_per_subject.items()}
    subjects = sorted(clips_per_subject)
    k, seed = as_int("k", k), as_int("seed", seed, 0)
    if not 2 <= k <= len(subjects):
        raise ParameterError(f"--folds {k}: needs 2 <= folds <= the number of subjects ({len(subjects)})")
    shuffled = [subjects[i] for i in np.random.default_rng(seed).permutation(len(subjects))]
    order = sorted(shuffled, key=lambda s: -clips_per_subject[s])
    folds: list[list[str]] = [[] for _ in range(k)]
    load = [0] * k
    for s in order:
        i = int(np.argmin(load))
        folds[i].append(s)
        load[i] += clips_per_subject[s]
    return [sorted(f) for f in folds]


def subject_parts(rows: Sequence[Mapping[str, Any]], folds: int, val_fraction: float, test_fraction: float,
                  seed: int = 0, *, given: str | None = None, one_each: str | None = None) -> list[dict[str, Any]]:
    """The parts of a subject-independent protocol on manifest ``rows``: ``{"name", "train", "val", "test"}`` (rows).

    ``folds=0``: one subject split (:func:`~evface.inputs.splits.subject_split`), named ``split``.
    Otherwise the subjects are dealt into ``folds`` test folds (:func:`subject_folds`), ``fold0``...,
    so every subject is tested exactly once and no subject is in two folds; each fold's validation
    subjects (early stopping) are drawn from its training subjects. The parts depend on ``seed`` only.
    A fold that leaves too few subjects to validate and train on is a :class:`ParameterError`
    naming the option ``given`` (default ``--folds K``) and only advice that helps: ``one_each``
    (the option of one subject a fold; default ``--folds N``) where subjects outnumber the folds,
    a smaller ``--val-fraction`` where two or more are left, more subjects.

    Parameters
    ----------
    rows : sequence of mapping
        Manifest rows, each with a ``subject``.
    folds : int
        0 for one split, else the test folds.
    val_fraction, test_fraction : float
        The fractions of subjects to validate and (``folds=0`` only) to test on.
    seed : int, optional
        The seed of the split.
    given, one_each : str, optional
        The option the message names as given and as the one of one subject a fold.

    Returns
    -------
    list of dict
        Per part: ``name``, and the rows of ``train``, ``val`` and ``test``.

    Examples
    --------
    >>> rows = [{"subject": f"s{i // 2}"} for i in range(12)]  # 6 subjects, 2 clips each
    >>> [(p["name"], len(p["train"]), len(p["val"]), len(p["test"])) for p in subject_parts(rows, 3, 0.25, 0.0)]
    [('fold0', 6, 2, 4), ('fold1', 6, 2, 4), ('fold2', 6, 2, 4)]
    >>> [(p["name"], len(p["train"]), len(p["val"]), len(p["test"])) for p in subject_parts(rows, 0, 0.2, 0.2)]
    [('split', 8, 2, 2)]
    """
    folds = as_int("folds", folds, 0)
    if not folds:
        return [{"name": "split", **subject_split(rows, val_fraction, test_fraction, seed)}]
    parts = []
    clips = Counter(subject_texts(rows))
    for i, test in enumerate(subject_folds(clips, folds, seed)):
        held_out = set(test)
        try:
            inner = subject_split([r for r in rows if str(r["subject"]) not in held_out], val_fraction, 0.0, seed)
        except ParameterError:
            left = len(clips) - len(test)
            ways = [what for what, helps in ((one_each or f"--folds {len(clips)}", folds < len(clips)),
                                             ("a smaller --val-fraction", left >= 2)) if helps]
            raise ParameterError(f"{given or f'--folds {folds}'} on {counted(len(clips), 'subject')}: fold {i} "
                                 f"leaves {counted(left, 'subject')} to validate and train on, too few at --val-fraction {val_fraction:g}; "
                                 f"give {' or '.join(ways + ['a dataset of more subjects (--data)'])}") from None
        parts.append({"name": f"fold{i}", "train": inner["train"], "val": inner["val"],
                      "test": [r for r in rows if str(r["subject"]) in held_out]})
    return parts


def label_indices(name: str, labels: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Each label's index among the distinct ``labels``, sorted: the subjects, folds and clusters
    the bootstraps draw.

    Labels that cannot be sorted together (text and ``None``), numbers beside text (numpy would make
    1 and ``"1"`` one label) or labels that are no array (a ragged list) are a :class:`ParameterError`
    naming ``name`` (were numpy's ``'<' not supported between instances of 'NoneType' and 'str'``,
    naming nothing, and one subject of two).

    Parameters
    ----------
    name : str
        What the labels are, for the message (``"subjects"``).
    labels : sequence or ndarray
        One label per clip or sample.

    Returns
    -------
    ndarray of int, the shape of ``labels``
        Each label's index in the sorted distinct labels.

    Examples
    --------
    >>> label_indices("subjects", ["s2", "s1", "s2"]).tolist()
    [1, 0, 1]
    >>> label_indices("subjects", ["s1", None])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: subjects must be labels of one kind (all text or all numbers), got NoneType and str
    """
    def of_kinds(kinds: set[str]) -> ParameterError:
        return ParameterError(f"{name} must be labels of one kind (all text or all numbers), got {' and '.join(sorted(kinds))}")

    if isinstance(labels, (list, tuple)):  # numpy would make 1 and "1" one text label: two subjects as one
        if len({"number" if _is_number(v) else "text" if isinstance(v, str) else type(v).__name__ for v in labels}) > 1:
            raise of_kinds({type(v).__name__ for v in labels})
    try:
        a = np.asarray(labels)
        _, inverse = np.unique(a, return_inverse=True)
    except (TypeError, ValueError):
        kinds = {type(v).__name__ for v in np.asarray(labels, dtype=object).ravel().tolist()} if isinstance(
            labels, (list, tuple, np.ndarray)) else {type(labels).__name__}
        raise of_kinds(kinds) from None
    return inverse.reshape(a.shape)


def _is_number(value: object) -> bool:
    """Whether ``value`` is a number label (1 and 1.0 are one label; a bool is none)."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _subject_matrices(y_true: np.ndarray, y_pred: np.ndarray, g: np.ndarray, n_classes: int) -> np.ndarray:
    """(S, C, C) confusion matrix of each group, ``g`` each clip's group index (:func:`label_indices`)."""
    n_groups = int(g.max()) + 1 if g.size else 0
    flat = np.bincount((g * n_classes + y_true) * n_classes + y_pred, minlength=n_groups * n_classes * n_classes)
    return flat.reshape(n_groups, n_classes, n_classes).astype(np.float64)


def resample_counts(n_groups: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, S): how often each group is drawn in each resample of S draws with replacement.

    Parameters
    ----------
    n_groups : int
        S, the groups (subjects).
    resamples : int
        The resamples, >= 1.
    seed : int
        The seed of the draws, >= 0.

    Returns
    -------
    ndarray of float64, shape (resamples, n_groups)
        Each row sums to ``n_groups``.

    Examples
    --------
    >>> resample_counts(3, 2, seed=0).tolist()
    [[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]]
    """
    n_groups = as_int("n_groups", n_groups, 1)
    resamples, seed = as_int("resamples", resamples, 1), as_int("seed", seed, 0)
    within_memory(RESAMPLE_BYTES * resamples * n_groups, f"{resamples:,} resamples of {counted(n_groups, 'group')}",
                  "give fewer resamples")
    draws = np.random.default_rng(seed).integers(0, n_groups, size=(resamples, n_groups))
    flat = (np.arange(resamples)[:, None] * n_groups + draws).ravel()
    return np.bincount(flat, minlength=resamples * n_groups).reshape(resamples, n_groups).astype(np.float64)


def _bootstrap_memory(resamples: int, n_subjects: int, n_classes: int) -> None:
    """Refuse a bootstrap whose confusion matrices would take more than half the memory, before the
    first is made (``resamples`` checked first: it may be no number)."""
    resamples = as_int("resamples", resamples, 1)
    within_memory(BOOTSTRAP_BYTES * (resamples + n_subjects) * n_classes**2,
                  f"the bootstrap's {resamples:,} resamples of {counted(n_subjects, 'subject')} and {n_classes:,} classes",
                  "give fewer resamples (or classes)")


def _metric_stack(matrices: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.asarray(metric(matrices)) for name, metric in (("top1", cm.top1), ("uf1", cm.uf1), ("uar", cm.uar))}


def percentile_interval(values: np.ndarray, level: float) -> list[float]:
    """The central ``level`` percentile interval of bootstrap ``values``.

    No values, or a NaN among them (a NaN in what was resampled makes every resample that draws
    it NaN), is a :class:`ParameterError`: an interval of the resamples left would be that of
    other data, and one of none is NaN. So is an infinity (a bound between two values, one of them
    infinite, is NaN or infinite).

    Parameters
    ----------
    values : ndarray
        The bootstrap's values, at least one, all finite.
    level : float
        The interval's level, in (0, 1].

    Returns
    -------
    list of float
        ``[low, high]``.

    Examples
    --------
    >>> [round(v, 6) for v in percentile_interval(np.arange(101.0), 0.9)]
    [5.0, 95.0]
    >>> percentile_interval(np.array([0.5, np.nan]), 0.95)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: 1 of 2 bootstrap values is NaN: the values resampled hold a NaN; give finite values (leave out the samples that have none)
    """
    level = as_real("level", level, 0.0, 1.0, low_open=True)
    v = real_array("values", values).ravel()
    if v.size == 0:
        raise ParameterError("no bootstrap values to take an interval of: give at least one sample to resample")
    infinite = int(np.isinf(v).sum())
    if infinite:
        raise ParameterError(f"{infinite:,} of {counted(v.size, 'bootstrap value')} {'is' if infinite == 1 else 'are'} "
                             "infinite: the values resampled hold an infinity; give finite values (cap them: the PSNR "
                             "of identical images is infinite)")
    nan = int(np.isnan(v).sum())
    if nan:
        raise ParameterError(f"{nan:,} of {counted(v.size, 'bootstrap value')} {'is' if nan == 1 else 'are'} NaN: the "
                             "values resampled hold a NaN; give finite values (leave out the samples that have none)")
    lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)])
    return [float(lo), float(hi)]


def _check(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, groups: Sequence[str] | np.ndarray,
           n_classes: int) -> tuple[np.ndarray, ...]:
    n_classes = as_int("n_classes", n_classes, 1)
    t, p = cm.class_indices("y_true", y_true, n_classes), cm.class_indices("predictions", y_pred, n_classes)
    g = label_indices("subjects", groups)
    if not t.shape == p.shape == g.shape:
        raise ParameterError(f"{t.size} labels, {p.size} predictions and {g.size} subjects: one of each per clip")
    if t.size == 0:
        raise ParameterError("no clips to resample")
    return t, p, g


def bootstrap_interval(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, subjects: Sequence[str] | np.ndarray,
    n_classes: int, *,
    resamples: int = RESAMPLES, level: float = LEVEL, seed: int = SEED,
) -> dict[str, list[float]]:
    """Subject-cluster bootstrap intervals ``{metric: [low, high]}`` of top-1, UF1 and UAR.

    Each resample draws as many subjects as there are, with replacement, and pools all the
    clips of the drawn subjects (a subject drawn twice counts twice).

    Parameters
    ----------
    y_true, y_pred : sequence or ndarray of int
        Each clip's true and predicted class index.
    subjects : sequence or ndarray of str
        Each clip's subject.
    n_classes : int
        The number of classes.
    resamples : int, optional
        The bootstrap's resamples, >= 1.
    level : float, optional
        The interval's level, in (0, 1].
    seed : int, optional
        The seed of the draws: the same inputs and seed give the same interval.

    Returns
    -------
    dict of str to list of float
        ``{"top1", "uf1", "uar"}`` to ``[low, high]``.

    Examples
    --------
    >>> bootstrap_interval([0, 1, 0, 1], [0, 1, 1, 1], ["s0", "s0", "s1", "s1"], 2, resamples=200)["top1"]
    [0.5, 1.0]
    """
    t, p, g = _check(y_true, y_pred, subjects, n_classes)
    _bootstrap_memory(resamples, int(g.max()) + 1, int(n_classes))
    per_subject = _subject_matrices(t, p, g, n_classes)
    counts = resample_counts(len(per_subject), resamples, seed)
    boot = np.tensordot(counts, per_subject, axes=1)
    return {name: percentile_interval(v, level) for name, v in _metric_stack(boot).items()}


def paired_bootstrap(
    y_true: Sequence[int] | np.ndarray, pred_a: Sequence[int] | np.ndarray, pred_b: Sequence[int] | np.ndarray,
    subjects: Sequence[str] | np.ndarray, n_classes: int, *,
    resamples: int = RESAMPLES, level: float = LEVEL, seed: int = SEED,
) -> dict[str, dict[str, float | list[float]]]:
    """The difference A - B of top-1, UF1 and UAR on the same clips, with a subject-cluster interval.

    Both classifiers are scored on the same resampled subjects in every resample, so the
    interval is that of the paired difference.

    Parameters
    ----------
    y_true : sequence or ndarray of int
        Each clip's true class index.
    pred_a, pred_b : sequence or ndarray of int
        Each clip's class index predicted by A and by B.
    subjects : sequence or ndarray of str
        Each clip's subject.
    n_classes : int
        The number of classes.
    resamples : int, optional
        The bootstrap's resamples, >= 1.
    level : float, optional
        The interval's level, in (0, 1].
    seed : int, optional
        The seed of the draws: the same inputs and seed give the same interval.

    Returns
    -------
    dict
        ``{metric: {"a", "b", "diff", "ci"}}`` for top-1, UF1 and UAR.

    Examples
    --------
    >>> r = paired_bootstrap([0, 1, 0, 1], [0, 1, 1, 1], [0, 0, 0, 0], ["s0", "s0", "s1", "s1"], 2, resamples=200)
    >>> r["top1"]
    {'a': 0.75, 'b': 0.5, 'diff': 0.25, 'ci': [0.0, 0.5]}
    """
    t, pa, g = _check(y_true, pred_a, subjects, n_classes)
    _, pb, _ = _check(y_true, pred_b, subjects, n_classes)
    _bootstrap_memory(resamples, int(g.max()) + 1, int(n_classes))
    mats_a = _subject_matrices(t, pa, g, n_classes)
    mats_b = _subject_matrices(t, pb, g, n_classes)
    counts = resample_counts(len(mats_a), resamples, seed)
    boot_a = _metric_stack(np.tensordot(counts, mats_a, axes=1))
    boot_b = _metric_stack(np.tensordot(counts, mats_b, axes=1))
    whole_a, whole_b = _metric_stack(mats_a.sum(axis=0)), _metric_stack(mats_b.sum(axis=0))
    return {
        name: {"a": float(whole_a[name]), "b": float(whole_b[name]), "diff": float(whole_a[name] - whole_b[name]),
               "ci": percentile_interval(boot_a[name] - boot_b[name], level)}
        for name in METRICS
    }


def training_bootstrap(
    y_true: Sequence[int] | np.ndarray, logits: np.ndarray, folds: Sequence[Any] | np.ndarray,
    subjects: Sequence[str] | np.ndarray, *,
    resamples: int = RESAMPLES, level: float = LEVEL, seed: int = SEED,
) -> dict[str, list[float]]:
    """Intervals ``{metric: [low, high]}`` of an ensemble's top-1, UF1 and UAR over subjects **and**
    trainings: :func:`paired_training_bootstrap` of one run (``logits`` (K, N, C), ``folds`` (N,)).
    With one training it is :func:`bootstrap_interval`'s.

    Parameters
    ----------
    y_true : sequence or ndarray of int
        Each clip's true class index.
    logits : ndarray, shape (K, N, C)
        The logits each of the run's K trainings gave each clip.
    folds : sequence or ndarray, length N
        The fold whose trainings scored each clip.
    subjects : sequence or ndarray of str
        Each clip's subject.
    resamples : int, optional
        The bootstrap's resamples, >= 1.
    level : float, optional
        The interval's level, in (0, 1].
    seed : int, optional
        The seed of the draws: the same inputs and seed give the same interval.

    Returns
    -------
    dict of str to list of float
        ``{"top1", "uf1", "uar"}`` to ``[low, high]``.

    Examples
    --------
    >>> one = np.array([[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 0.0]]])  # one training, 3 of 4 right
    >>> training_bootstrap([0, 1, 0, 1], one, [0] * 4, ["s0", "s0", "s1", "s1"])["top1"]
    [0.5, 1.0]
    """
    t, g, ((v, f),) = _ensemble_inputs(y_true, {"logits": (logits, folds)}, subjects)
    _bootstrap_memory(resamples, int(g.max()) + 1, v.shape[2])
    counts = resample_counts(int(g.max()) + 1, resamples, seed)
    drawn, whole = _drawn_ensembles(t, v, f, g, counts, seed + 1), _whole_ensemble(t, v, g, counts)
    return {name: _spanning(percentile_interval(d - np.nanmean(d - whole[name]), level),
                            percentile_interval(whole[name], level), (0.0, 1.0)) for name, d in drawn.items()}


def paired_training_bootstrap(
    y_true: Sequence[int] | np.ndarray, logits_a: np.ndarray, folds_a: Sequence[Any] | np.ndarray, logits_b: np.ndarray,
    folds_b: Sequence[Any] | np.ndarray, subjects: Sequence[str] | np.ndarray, *, resamples: int = RESAMPLES,
    level: float = LEVEL, seed: int = SEED,
) -> dict[str, list[float]]:
    """Intervals ``{metric: [low, high]}`` of the difference A - B of two ensembles' top-1, UF1 and
    UAR over subjects **and** trainings.

    ``logits_a`` (K_a, N, C): the logits each of run A's K_a trainings (seeds) gave each clip;
    ``folds_a`` (N,): the fold whose trainings scored the clip; the same for B (``C`` classes in
    one order for both). Each resample draws the subjects as :func:`paired_bootstrap` does (the same
    draws for the same ``seed``) and, for every fold of each run, as many of its trainings as it
    has, with replacement; a clip is predicted by the mean logits of its fold's drawn trainings,
    the ensemble as the run makes it. The interval so covers which subjects were tested and how
    other training seeds would come out (a two-level bootstrap, Bouthillier et al., MLSys 2021);
    with one training per run it is :func:`paired_bootstrap`'s. An ensemble drawn with
    replacement holds fewer distinct trainings than the run's and scores lower the more the arm
    gains from ensembling, which would shift the interval off the ensembles' difference: the mean
    of that shift (each resample against the whole ensembles on the same subjects) is subtracted
    from every resample, so the interval is centred as the subject interval is; it is widened where
    needed to span the subject interval (:func:`_spanning`), never narrower.

    Parameters
    ----------
    y_true : sequence or ndarray of int
        Each clip's true class index.
    logits_a : ndarray, shape (K_a, N, C)
        The logits of each training of run A.
    folds_a : sequence or ndarray, length N
        The fold whose trainings scored each clip, in run A.
    logits_b : ndarray, shape (K_b, N, C)
        The logits of each training of run B.
    folds_b : sequence or ndarray, length N
        The fold whose trainings scored each clip, in run B.
    subjects : sequence or ndarray of str
        Each clip's subject.
    resamples : int, optional
        The bootstrap's resamples, >= 1.
    level : float, optional
        The interval's level, in (0, 1].
    seed : int, optional
        The seed of the draws: the same inputs and seed give the same interval.

    Returns
    -------
    dict of str to list of float
        ``{"top1", "uf1", "uar"}`` to the ``[low, high]`` of A - B.

    Examples
    --------
    >>> y = [0, 1, 0, 1]
    >>> one = np.array([[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 0.0]]])  # one training, 3 of 4 right
    >>> paired_training_bootstrap(y, one, [0] * 4, one, [0] * 4, ["s0", "s0", "s1", "s1"])["top1"]
    [0.0, 0.0]
    """
    t, g, runs = _ensemble_inputs(y_true, {"logits_a": (logits_a, folds_a), "logits_b": (logits_b, folds_b)}, subjects)
    (va, fa), (vb, fb) = runs
    _bootstrap_memory(resamples, int(g.max()) + 1, va.shape[2])
    counts = resample_counts(int(g.max()) + 1, resamples, seed)
    drawn_a, drawn_b = _drawn_ensembles(t, va, fa, g, counts, seed + 1), _drawn_ensembles(t, vb, fb, g, counts, seed + 2)
    whole_a, whole_b = _whole_ensemble(t, va, g, counts), _whole_ensemble(t, vb, g, counts)
    out = {}
    for name in METRICS:
        both, subjects_only = drawn_a[name] - drawn_b[name], whole_a[name] - whole_b[name]
        shift = np.nanmean(both - subjects_only)
        out[name] = _spanning(percentile_interval(both - shift, level), percentile_interval(subjects_only, level),
                              (-1.0, 1.0))
    return out


def _spanning(two_level: list[float], subjects_only: list[float], bounds: tuple[float, float]) -> list[float]:
    """The interval over subjects and trainings, widened to span the subject interval and kept within
    the statistic's ``bounds``: resampling trainings adds variance, but percentiles of a statistic that
    moves in whole clips, shifted by the recentring, can come out a clip narrower and exclude 0 where
    the subject interval does not (one clip apart, McNemar p = 1, called a difference); the same
    shift can carry a bound past what the statistic can take (a top-1 above 1 where the ensemble is
    right on every clip and single trainings are not)."""
    low, high = min(two_level[0], subjects_only[0]), max(two_level[1], subjects_only[1])
    return [float(np.clip(low, *bounds)), float(np.clip(high, *bounds))]


def _ensemble_inputs(y_true: Sequence[int] | np.ndarray, runs: Mapping[str, tuple[np.ndarray, Sequence[Any] | np.ndarray]],
                     subjects: Sequence[str] | np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Labels, subject indices and each run's (K, N, C) logits with fold indices, checked; ``runs``
    by the name of their logits, which a ParameterError names."""
    t = np.asarray(y_true)
    g = label_indices("subjects", subjects)
    checked = [(real_array(name, v), label_indices(name.replace("logits", "folds"), f)) for name, (v, f) in runs.items()]
    for name, (v, f) in zip(runs, checked, strict=True):
        if v.ndim != 3 or v.shape[0] == 0 or not v.shape[1] == f.size == g.size == t.size or v.shape[2] != checked[0][0].shape[2]:
            raise ParameterError(f"logits of shape {v.shape}, {f.size} folds, {g.size} subjects and {t.size} labels: "
                                 "(K, N, C) logits of C classes and one fold, subject and label per clip")
        _check_finite_logits(name, v)
    if t.size == 0:
        raise ParameterError("no clips to resample")
    return cm.class_indices("y_true", y_true, checked[0][0].shape[2]), g, checked


def _check_finite_logits(name: str, logits: np.ndarray) -> None:
    """Refuse (K, N, C) ``logits`` that are not all finite, naming ``name`` and the first such logit's
    training, clip and class (argmax takes a NaN for the largest: the clip would be scored as its class)."""
    bad = np.argwhere(~np.isfinite(logits))
    if bad.size:
        k, n, c = (int(i) for i in bad[0])
        raise ParameterError(f"{name}: {logits[k, n, c]} at training {k}, clip {n}, class {c} "
                             f"({counted(len(bad), 'logit')} not finite): a clip is scored by its largest logit, and "
                             "argmax takes a NaN for it; give finite logits (of trainings that did not diverge)")


def _whole_ensemble(t: np.ndarray, v: np.ndarray, g: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """(R,) top-1, UF1 and UAR of one run's whole ensemble over the subjects drawn ``counts`` (R, S) times."""
    return _metric_stack(np.tensordot(counts, _subject_matrices(t, v.mean(0).argmax(1), g, v.shape[2]), axes=1))


def _drawn_ensembles(t: np.ndarray, v: np.ndarray, f: np.ndarray, g: np.ndarray, counts: np.ndarray,
                     training_seed: int, chunk: int = 100) -> dict[str, np.ndarray]:
    """(R,) top-1, UF1 and UAR of one run's ensembles over the subjects drawn ``counts`` (R, S) times
    and, per fold, its K trainings drawn with replacement (``training_seed``); ``chunk`` resamples at
    a time (memory: ``chunk`` x N x C floats)."""
    k, n_classes, resamples = v.shape[0], v.shape[2], counts.shape[0]
    drawn = counts[:, g]  # (R, N): how often each clip is drawn
    picks = np.random.default_rng(training_seed).integers(0, k, size=(resamples, int(f.max()) + 1, k))
    scored: dict[str, list[np.ndarray]] = {name: [] for name in METRICS}
    for start in range(0, resamples, chunk):
        stop = min(start + chunk, resamples)
        weights = np.stack([(picks[start:stop] == j).sum(2) for j in range(k)], 2)[:, f, :] / k  # (r, N, K)
        pred = np.einsum("rnk,knc->rnc", weights, v).argmax(2)  # (r, N)
        cells = ((np.arange(stop - start)[:, None] * n_classes + t) * n_classes + pred).ravel()
        matrices = np.bincount(cells, weights=drawn[start:stop].ravel(), minlength=(stop - start) * n_classes**2)
        for name, values in _metric_stack(matrices.reshape(stop - start, n_classes, n_classes)).items():
            scored[name].append(values)
    return {name: np.concatenate(v) for name, v in scored.items()}


MCNEMAR_BETA_MAX = 2**53
"""The most discordant clips :func:`mcnemar_exact` gives scipy's incomplete beta, whose parameters are
floats (exact integers up to 2^53; it returned 0 for some imbalances past about 2^61 clips, such as
2^62 vs 2^62 + 10^10, p = 0.00099). Past it the p-value is the normal tail with continuity
correction: Binomial(n, 1/2) is symmetric, so the two differ by O(z^4 / n), measured at most 7e-5
of p at 2^31 clips for z up to 37 (p down to 1e-292) and falling as 1 / n, below 2e-11 past 2^53."""


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs.

    ``a_only``: clips A got right and B wrong; ``b_only``: the reverse. Under the null both are
    equally likely, so the smaller count is Binomial(a_only + b_only, 1/2):
    ``p = min(1, 2 P(X <= min(a_only, b_only)))`` (1 when there is no discordant clip); past
    :data:`MCNEMAR_BETA_MAX` discordant clips, the normal limit of that tail.

    Parameters
    ----------
    a_only, b_only : int
        The discordant clips, >= 0 and at most 2^63 - 1.

    Returns
    -------
    float
        The p-value.

    Examples
    --------
    >>> mcnemar_exact(0, 5)  # 2 / 2**5
    0.0625
    >>> mcnemar_exact(0, 0)
    1.0
    >>> round(mcnemar_exact(2**62, 2**62 + 10**10), 6)  # 3.3 standard deviations apart (was 0.0)
    0.000992
    """
    a_only, b_only = as_int("a_only", a_only, 0), as_int("b_only", b_only, 0)
    if a_only == b_only:
        return 1.0
    k, n = min(a_only, b_only), a_only + b_only
    if n > MCNEMAR_BETA_MAX:  # the normal tail, continuity-corrected: z = (|a - b| - 1) / sqrt(n)
        return min(1.0, float(erfc((abs(a_only - b_only) - 1) / math.sqrt(2 * n))))
    # P(X <= k) = I_{1/2}(n - k, k + 1), the regularized incomplete beta function: constant time at any
    # count, within 1e-12 of the big-integer sum of binomial terms, which took quadratic time (26 s at
    # 3 * 10^5 pairs each way) and never ended near 2^62
    return min(1.0, 2 * float(betainc(n - k, k + 1, 0.5)))


def describe_difference(name_a: str, name_b: str, ci: Sequence[float]) -> str:
    """How the difference A - B with interval ``ci`` is worded: a direction only when ``ci`` excludes 0,
    :data:`~evface.tasks.figure_format.NOT_FINITE` when a bound is NaN or infinite (never a direction).

    Parameters
    ----------
    name_a, name_b : str
        The names of A and B.
    ci : sequence of float
        ``(low, high)`` of A - B.

    Returns
    -------
    str

    Examples
    --------
    >>> describe_difference("events-hd", "rgb", (5.6e-17, 0.107))  # rounding, not evidence
    'no detectable difference'
    >>> describe_difference("events-hd", "rgb", (float("-inf"), -0.2))
    'n/a (not finite)'
    """
    lo, hi = checked_interval("ci", ci)
    if not np.isfinite([lo, hi]).all():
        return NOT_FINITE
    if lo > TOUCHES_ZERO:
        return f"{name_a} higher"
    if hi < -TOUCHES_ZERO:
        return f"{name_b} higher"
    return "no detectable difference"


def run_names(run_a: str | Path, run_b: str | Path) -> tuple[str, str]:
    """Short names that tell two runs apart: their folder names, with as many parent folders as it takes.

    Parameters
    ----------
    run_a, run_b : str or Path
        The run folders.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> run_names("runs/snn", "runs/ann")
    ('snn', 'ann')
    >>> run_names("full60/snn", "full20/snn")
    ('full60/snn', 'full20/snn')
    """
    a, b = Path(run_a).resolve().parts, Path(run_b).resolve().parts
    for k in range(1, max(len(a), len(b)) + 1):
        if a[-k:] != b[-k:]:
            return "/".join(a[-k:]), "/".join(b[-k:])
    return str(run_a), str(run_b)
