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
  predicted, like scikit-learn with ``zero_division=0``). On one confusion matrix it differs from
  UF1 only by counting absent classes; across LOSO folds :func:`summarize_folds` averages the
  per-fold macro-F1 (the usual per-fold protocol), while UF1/UAR use the summed matrix.

Examples
--------
>>> cm = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
>>> cm.tolist()
[[1, 1, 0], [0, 2, 0], [1, 0, 0]]
>>> round(uar(cm), 4), round(uf1(cm), 4)
(0.5, 0.4333)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evface.errors import ParameterError


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """Integer (n_classes, n_classes) confusion matrix, rows true, columns predicted."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ParameterError(f"y_true has {t.size} labels but y_pred has {p.size}")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes):
        raise ParameterError(f"labels must lie in [0, {n_classes})")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def counts(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(TP, FP, FN)`` per class."""
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm)
    return tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp


def per_class_f1(cm: np.ndarray) -> np.ndarray:
    """``2 TP / (2 TP + FP + FN)`` per class; 0 where the denominator is 0."""
    tp, fp, fn = counts(cm)
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    """``TP / N`` per class; NaN for classes without support."""
    tp, _, fn = counts(cm)
    n = tp + fn
    return np.where(n > 0, tp / np.maximum(n, 1), np.nan)


def top1(cm: np.ndarray) -> float:
    """Fraction of correct predictions (NaN on an empty matrix)."""
    total = np.asarray(cm).sum()
    return float(np.trace(cm) / total) if total else float("nan")


def macro_f1(cm: np.ndarray) -> float:
    """Mean per-class F1 over all classes (absent classes count as 0)."""
    return float(per_class_f1(cm).mean())


def uf1(cm: np.ndarray) -> float:
    """MEGC unweighted F1: mean per-class F1 over the classes present in the ground truth."""
    present = np.asarray(cm).sum(axis=1) > 0
    return float(per_class_f1(cm)[present].mean()) if present.any() else float("nan")


def uar(cm: np.ndarray) -> float:
    """MEGC unweighted average recall: mean per-class recall over the classes present."""
    rec = per_class_recall(cm)
    return float(np.nanmean(rec)) if np.isfinite(rec).any() else float("nan")


def summarize(cm: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """The JSON-ready metrics of one confusion matrix."""
    cm = np.asarray(cm, dtype=np.int64)
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


def summarize_groups(
    y_true: Sequence[int], y_pred: Sequence[int], groups: Sequence[str], labels: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """:func:`summarize` for each distinct value of ``groups`` (e.g. lighting), sorted by group."""
    t, p, g = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    return {
        str(name): summarize(confusion_matrix(t[g == name], p[g == name], len(labels)), labels)
        for name in sorted(set(g.tolist()))
    }


def summarize_folds(cms: Sequence[np.ndarray], labels: Sequence[str]) -> dict[str, Any]:
    """Composite metrics over folds: UF1, UAR, top-1 from the summed matrix; macro-F1 averaged per fold."""
    if not cms:
        raise ParameterError("summarize_folds needs at least one fold")
    out = summarize(np.sum(cms, axis=0), labels)
    out["macro_f1_per_fold_mean"] = float(np.mean([macro_f1(cm) for cm in cms]))
    out["folds"] = len(cms)
    return out
