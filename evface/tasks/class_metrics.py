"""Classification metrics: top-1, macro-F1 and the MEGC metrics UF1 and UAR, from confusion matrices.

All functions work on a confusion matrix ``cm`` of integer counts with rows = true class and
columns = predicted class (``cm[i, j]`` = clips of class ``i`` predicted as ``j``). Per class ``c``:
``TP_c = cm[c, c]``, ``FP_c = sum_i cm[i, c] - TP_c``, ``FN_c = sum_j cm[c, j] - TP_c``,
``N_c = TP_c + FN_c`` (support).

- top-1 accuracy = ``trace(cm) / sum(cm)``.
- UF1 (unweighted F1, MEGC 2019 composite protocol) = mean over classes with ``N_c > 0`` of
  ``2 TP_c / (2 TP_c + FP_c + FN_c)``, with TP/FP/FN **summed over the whole evaluation set** (for
  leave-one-subject-out: over all folds, i.e. computed from the summed confusion matrix).
- UAR (unweighted average recall) = mean over classes with ``N_c > 0`` of ``TP_c / N_c``.
- macro-F1 = mean over **all** classes of the per-class F1 (0 for a class never true and never
  predicted, like scikit-learn with ``zero_division=0``); it differs from UF1 only by counting
  absent classes.

``top1``, ``uf1`` and ``uar`` also take a stack ``(..., C, C)`` of matrices and return one value
per matrix (the bootstrap of :mod:`evface.tasks.stats` scores thousands at once).

Examples
--------
>>> cm = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
>>> cm.tolist()
[[1, 1, 0], [0, 2, 0], [1, 0, 0]]
>>> round(uar(cm), 4), round(uf1(cm), 4)
(0.5, 0.4333)
>>> top1(np.stack([cm, np.eye(3, dtype=int)])).round(2).tolist()  # a stack of matrices gives one value each
[0.6, 1.0]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from evface.checks import as_int, within_memory
from evface.errors import ParameterError


def class_indices(name: str, values: Sequence[int] | np.ndarray, n_classes: int) -> np.ndarray:
    """``values`` as int64 class indices in ``[0, n_classes)``, checked.

    A label outside the classes would be counted in another class's cell of a confusion matrix,
    a fraction (``0.5``) truncated into class 0, a string or a NaN taken for a number.

    Parameters
    ----------
    name : str
        What the values are, for the message (``"y_true"``, ``"predictions"``).
    values : sequence or ndarray of int
        Class indices; whole floats (``1.0``) are accepted.
    n_classes : int
        The number of classes.

    Returns
    -------
    ndarray of int64
        The values, in their shape.

    Raises
    ------
    ParameterError
        Naming ``name`` when a value is not a whole number in ``[0, n_classes)``.

    Examples
    --------
    >>> class_indices("y_true", [0, 2.0, 1], 3).tolist()
    [0, 2, 1]
    >>> class_indices("y_true", [0, 0.5], 3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: y_true must be class indices (whole numbers), got 0.5
    """
    n_classes = as_int("n_classes", n_classes, 1)
    a = np.asarray(values)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ParameterError(f"{name} must be class indices, got dtype {a.dtype}")
    fractions = a[a != np.round(a)] if np.issubdtype(a.dtype, np.floating) else np.empty(0)
    if fractions.size:
        raise ParameterError(f"{name} must be class indices (whole numbers), got {fractions.flat[0].item()!r}")
    if a.size and (a.min() < 0 or a.max() >= n_classes):  # before the cast: an infinity is shown, not int64's end
        low, high = (int(v) if abs(v) < 2**63 else v.item() for v in (a.min(), a.max()))
        raise ParameterError(f"{name} must be class indices in [0, {n_classes - 1}] for {n_classes} classes, "
                             f"got {low}..{high}")
    return a.astype(np.int64)


def confusion_matrix(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray, n_classes: int) -> np.ndarray:
    """Integer (n_classes, n_classes) confusion matrix, rows true, columns predicted.

    Parameters
    ----------
    y_true, y_pred : sequence or ndarray of int
        The true and the predicted class index of each clip, in ``[0, n_classes)``: one of each per
        clip (any shape, flattened).
    n_classes : int
        The number of classes, >= 1.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)
        ``[i, j]``: the clips of class ``i`` predicted as ``j``.

    Raises
    ------
    ParameterError
        When the two differ in length, a label is not a class index (:func:`class_indices`) or the
        matrix would take more than half the memory.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2).tolist()
    [[1, 0], [1, 1]]
    """
    n_classes = as_int("n_classes", n_classes, 1)
    t = class_indices("y_true", y_true, n_classes).ravel()
    p = class_indices("y_pred", y_pred, n_classes).ravel()
    if t.shape != p.shape:
        raise ParameterError(f"y_true has {t.size} labels but y_pred has {p.size}")
    within_memory(8 * n_classes**2, f"a confusion matrix of {n_classes:,} classes", "give fewer n_classes")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


MAX_COUNT = 2**61
"""The most clips one confusion matrix may count: its sums, and ``2 TP + FP + FN``, stay within int64."""


def confusion_counts(cm: object) -> np.ndarray:
    """Check a confusion matrix, or a stack of them, and return it as int64 counts.

    ``cm`` must be a confusion matrix ``(C, C)`` or a stack ``(..., C, C)`` (``C`` >= 1) of whole
    numbers >= 0, each matrix counting at most :data:`MAX_COUNT` clips; otherwise a ParameterError
    naming ``cm``. Every function here reads its matrix through this: a 1-D array was numpy's
    ``diag requires an array of at least two dimensions``, infinity an OverflowError, a negative or
    fractional count a metric, a total past int64 a top-1 of NaN (the sum wrapped round to 0).

    Parameters
    ----------
    cm : array_like, shape (C, C) or (..., C, C)
        Counts, rows true, columns predicted.

    Returns
    -------
    ndarray of int64, shape (C, C) or (..., C, C)
        ``cm`` itself when it already is int64, else a copy.

    Examples
    --------
    >>> confusion_counts([[2.0, 0], [1, 1]]).tolist()
    [[2, 0], [1, 1]]
    >>> confusion_counts([1, 2])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: cm must be a confusion matrix (C, C) or a stack of them (..., C, C), got int64 (2,)
    """
    try:
        a = np.asarray(cm)
    except (TypeError, ValueError) as exc:  # a ragged list
        raise ParameterError(f"cm must be a confusion matrix of counts, got {type(cm).__name__} ({exc})") from None
    if a.dtype.kind not in "iuf":
        raise ParameterError(f"cm must be a confusion matrix of counts, got dtype {a.dtype}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.shape[-1] == 0:
        raise ParameterError(f"cm must be a confusion matrix (C, C) or a stack of them (..., C, C), got {a.dtype} {a.shape}")
    if a.size and not (np.isfinite(a).all() and (a == np.round(a)).all() and a.min() >= 0):
        raise ParameterError(f"cm must hold counts, whole numbers >= 0, got {a.min()}..{a.max()}")
    total = a.sum(axis=(-2, -1), dtype=np.float64)  # in floats: an int64 sum past 2**63 wraps round
    if total.size and total.max() > MAX_COUNT:
        raise ParameterError(f"cm must hold counts of at most 2**61 clips a matrix, got {total.max():.4g}")
    return a.astype(np.int64, copy=False)


def counts(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(TP, FP, FN)`` per class (of each matrix of a stack ``(..., C, C)``).

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted.

    Returns
    -------
    tp, fp, fn : ndarray of int64, shape (C,) or (..., C)

    Examples
    --------
    >>> tp, fp, fn = counts([[1, 1], [0, 2]])
    >>> tp.tolist(), fp.tolist(), fn.tolist()
    ([1, 2], [0, 1], [1, 0])
    """
    cm = confusion_counts(cm)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    return tp, cm.sum(axis=-2) - tp, cm.sum(axis=-1) - tp


def per_class_f1(cm: np.ndarray) -> np.ndarray:
    """``2 TP / (2 TP + FP + FN)`` per class; 0 where the denominator is 0.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted.

    Returns
    -------
    ndarray of float64, shape (C,) or (..., C)

    Examples
    --------
    >>> per_class_f1([[1, 1, 0], [0, 2, 0], [0, 0, 0]]).tolist()  # class 2 never true, never predicted
    [0.6666666666666666, 0.8, 0.0]
    """
    tp, fp, fn = counts(cm)
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    """``TP / N`` per class; NaN for classes without support.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted.

    Returns
    -------
    ndarray of float64, shape (C,) or (..., C)

    Examples
    --------
    >>> per_class_recall([[1, 1, 0], [0, 2, 0], [0, 0, 0]]).tolist()
    [0.5, 1.0, nan]
    """
    tp, _, fn = counts(cm)
    n = tp + fn
    return np.where(n > 0, tp / np.maximum(n, 1), np.nan)


def _scalar_or_stack(values: np.ndarray) -> float | np.ndarray:
    return float(values) if values.ndim == 0 else values


def _present_mean(per_class: np.ndarray, present: np.ndarray) -> float | np.ndarray:
    """The mean of ``per_class`` (..., C) over the classes ``present`` (..., C); NaN where none is."""
    n_present = present.sum(axis=-1)
    total = np.where(present, per_class, 0.0).sum(axis=-1)
    return _scalar_or_stack(np.where(n_present > 0, total / np.maximum(n_present, 1), np.nan))


def top1(cm: np.ndarray) -> float | np.ndarray:
    """Fraction of correct predictions (NaN on an empty matrix); an array for a stack of matrices.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted.

    Returns
    -------
    float or ndarray of float64, shape (...)

    Examples
    --------
    >>> top1([[1, 1], [0, 2]])
    0.75
    """
    cm = confusion_counts(cm)
    total = cm.sum(axis=(-2, -1))
    correct = np.trace(cm, axis1=-2, axis2=-1)
    return _scalar_or_stack(np.where(total > 0, correct / np.maximum(total, 1), np.nan))


def macro_f1(cm: np.ndarray) -> float | np.ndarray:
    """Mean per-class F1 over all classes (absent classes count as 0); an array for a stack of matrices.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted.

    Returns
    -------
    float or ndarray of float64, shape (...)

    Examples
    --------
    >>> m = [[1, 1, 0], [0, 2, 0], [0, 0, 0]]  # class 2 never true, never predicted
    >>> round(macro_f1(m), 4), round(uf1(m), 4)
    (0.4889, 0.7333)
    """
    return _scalar_or_stack(per_class_f1(cm).mean(axis=-1))


def uf1(cm: np.ndarray) -> float | np.ndarray:
    """MEGC unweighted F1: mean per-class F1 over the classes present in the ground truth.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted, summed over all folds.

    Returns
    -------
    float or ndarray of float64, shape (...)
        NaN for a matrix without clips.

    Examples
    --------
    >>> round(uf1([[1, 1], [0, 2]]), 4)  # F1 2/3 and 0.8
    0.7333
    """
    present = confusion_counts(cm).sum(axis=-1) > 0
    return _present_mean(per_class_f1(cm), present)


def uar(cm: np.ndarray) -> float | np.ndarray:
    """MEGC unweighted average recall: mean per-class recall over the classes present.

    Parameters
    ----------
    cm : ndarray, shape (C, C) or (..., C, C)
        Confusion matrices, rows true, columns predicted, summed over all folds.

    Returns
    -------
    float or ndarray of float64, shape (...)
        NaN for a matrix without clips.

    Examples
    --------
    >>> uar([[1, 1, 0], [0, 2, 0], [0, 0, 0]])  # recalls 0.5 and 1; class 2 has no clip
    0.75
    """
    rec = per_class_recall(cm)
    return _present_mean(rec, np.isfinite(rec))


def summarize(cm: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """The JSON-ready metrics of one confusion matrix.

    Parameters
    ----------
    cm : ndarray, shape (C, C)
        A confusion matrix, rows true, columns predicted.
    labels : sequence of str
        The C class names, in the matrix's order, each once (the per-class scores are keyed by name).

    Returns
    -------
    dict
        ``n``, ``top1``, ``macro_f1``, ``uf1``, ``uar``, ``labels``, ``confusion`` (nested lists)
        and ``per_class`` (``{label: {"support", "recall", "f1"}}``; recall ``None`` without support).

    Examples
    --------
    >>> s = summarize([[1, 1], [0, 2]], ["happy", "surprise"])
    >>> s["n"], s["top1"], s["per_class"]["happy"]
    (4, 0.75, {'support': 2, 'recall': 0.5, 'f1': 0.6666666666666666})
    """
    cm = confusion_counts(cm)
    if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray) or not all(
            isinstance(label, str) for label in labels):
        raise ParameterError(f"labels must be a list of class names, got {labels!r:.80}")
    twice = [label for label, n in Counter(labels).items() if n > 1]
    if twice:
        raise ParameterError(f"labels must name each class once, got {twice[0]!r} twice or more")
    if cm.shape != (len(labels), len(labels)):
        raise ParameterError(f"confusion matrix {cm.shape} does not match {len(labels)} labels")
    rec = per_class_recall(cm)
    f1 = per_class_f1(cm)
    return {
        "n": int(cm.sum()),
        "top1": top1(cm),
        "macro_f1": macro_f1(cm),
        "uf1": uf1(cm),
        "uar": uar(cm),
        "labels": list(labels),
        "confusion": cm.tolist(),
        "per_class": {
            lab: {"support": int(cm[i].sum()), "recall": None if np.isnan(rec[i]) else float(rec[i]), "f1": float(f1[i])}
            for i, lab in enumerate(labels)
        },
    }


def indices_of(names: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Each class name's index in ``labels``: the class indices :func:`confusion_matrix` counts.

    Parameters
    ----------
    names : sequence of str
        One class name per clip (its label, or its prediction).
    labels : sequence of str
        The class names, in the confusion matrix's order.

    Returns
    -------
    ndarray of int64, shape (len(names),)

    Raises
    ------
    ParameterError
        Naming the first name that is not one of ``labels``.

    Examples
    --------
    >>> indices_of(["AU4", "AU12", "AU4"], ["AU4", "AU12"]).tolist()
    [0, 1, 0]
    >>> indices_of(["AU9"], ["AU4", "AU12"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: class 'AU9' is not one of the labels ['AU4', 'AU12']
    """
    index = {label: i for i, label in enumerate(labels)}
    unknown = [name for name in names if name not in index]
    if unknown:
        raise ParameterError(f"class {unknown[0]!r} is not one of the labels {list(labels)!r:.200}")
    return np.array([index[name] for name in names], dtype=np.int64)


def clip_scores(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                subjects: Sequence[str] | np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """The scores and counts ``metrics.json`` gives of some clips (all of them, or one lighting's):
    :func:`summarize` of their confusion matrix, with ``n_subjects``, the subjects they are of.

    Parameters
    ----------
    y_true, y_pred : sequence or ndarray of int
        Each clip's true and predicted class index in ``labels`` (:func:`indices_of` gives them of names).
    subjects : sequence or ndarray
        Each clip's subject.
    labels : sequence of str
        The class names.

    Returns
    -------
    dict
        :func:`summarize`'s keys (the matrix as ``confusion``), then ``n_subjects``.

    Examples
    --------
    >>> s = clip_scores([0, 1, 1], [0, 1, 0], ["s1", "s1", "s2"], ["AU4", "AU12"])
    >>> s["top1"], s["n"], s["n_subjects"], s["confusion"]
    (0.6666666666666666, 3, 2, [[1, 0], [1, 1]])
    """
    scores = summarize(confusion_matrix(y_true, y_pred, len(labels)), labels)
    scores["n_subjects"] = len(set(np.asarray(subjects).tolist()))
    return scores
