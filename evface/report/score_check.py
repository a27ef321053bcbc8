"""Check a run's ``metrics.json`` against the per-clip scores beside it, before the report or
``evface compare`` shows them side by side.

A classification run's ``metrics.json`` gives each arm's top-1, UF1 and UAR with their counts (the
report's tables), and its ``predictions.csv`` each clip's prediction (the paired differences and
McNemar); a reconstruction run's ``metrics.json`` gives each method's means at the apex and the
CVAE's differences, and its ``scores.csv`` each sample's scores (the hd - lr pairs, ``evface
compare``). evface writes both from the same predictions; a ``metrics.json`` edited by hand, or
copied from another run, would be shown beside paired figures that contradict it.
:func:`check_scores_agree` recomputes, from the per-clip file and with the metric code that wrote
``metrics.json`` (:mod:`evface.tasks.class_metrics`; for the means :mod:`evface.tasks.recon_eval`'s
:func:`~evface.tasks.recon_eval.finite_mean`, :func:`~evface.tasks.recon_eval.means_by_label` and
:func:`evface.tasks.image_metrics.summarize`), each point estimate and count the report prints of it,
and refuses the run on the first that differs. Intervals are not recomputed (their
bootstrap is seeded and slow): their point and counts are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import is_number
from evface.errors import FormatError, printable, where
from evface.tasks import class_metrics
from evface.tasks.class_compare import PREDICTIONS, read_predictions
from evface.tasks.image_metrics import summarize
from evface.tasks.recon_compare import at_apex, read_scores
from evface.tasks.recon_eval import PSNR_CAP, SCORES_CSV, finite_mean, means_by_label
from evface.tasks.run_folder import CONFIG, METRICS, read_json

CLASSIFY_SCORES = ("top1", "uf1", "uar")
"""The classification scores the report prints of each arm (over all clips; per lighting top-1)."""
COUNTS = ("n", "n_subjects")
"""The counts it prints beside them."""
EXACT = 1e-9
"""How far a classification score may differ from its recomputed value: the same code on the same
confusion matrix gives the same float, and JSON keeps a float's every digit."""
STORED_DIGITS = 6
"""The significant digits of each score in ``scores.csv`` (:func:`~evface.tasks.recon_eval.scores_text`)."""
SSIM_TOLERANCE = 10.0 ** (1 - STORED_DIGITS)
"""How far a mean SSIM (or a difference of two) may differ from its recomputation from ``scores.csv``,
whose values are rounded to :data:`STORED_DIGITS` digits: at most 5e-7 each for an SSIM up to 1, 1e-6 a
difference, ten times below this; the report prints four decimals."""
PSNR_TOLERANCE = SSIM_TOLERANCE * PSNR_CAP
"""As :data:`SSIM_TOLERANCE`, for a PSNR up to :data:`~evface.tasks.recon_eval.PSNR_CAP` dB (the report
prints two decimals)."""


def check_scores_agree(run_dir: str | Path) -> None:
    """Refuse the run or evaluation folder ``run_dir`` where its ``metrics.json`` gives a score or count
    that its ``predictions.csv`` (classification) or ``scores.csv`` (reconstruction) does not: one
    :class:`FormatError` naming the file, the field, both values and the command that scores the run
    again. A folder without both files passes (a run scored before the per-clip file was written), as
    does a field that is absent or not a number (the report's own checks name that).

    Parameters
    ----------
    run_dir : str or Path
        A training run, a stage of an ``evface run`` or an evaluation (``evface eval --out``).

    Raises
    ------
    FormatError
        Naming ``metrics.json`` and the first field that differs.

    Examples
    --------
    >>> import json
    >>> _ = Path("arm").mkdir()
    >>> _ = Path("arm/predictions.csv").write_text("clip_id,subject,lighting,label,prediction\\n"
    ...                                            "c0,s0,dim,AU4,AU4\\nc1,s1,dim,AU12,AU4\\n")
    >>> _ = Path("arm/metrics.json").write_text(json.dumps({"top1": 0.5, "n": 2, "labels": ["AU4", "AU12"]}))
    >>> check_scores_agree("arm")
    >>> _ = Path("arm/metrics.json").write_text(json.dumps({"top1": 0.75, "n": 2, "data": "d1"}))
    >>> check_scores_agree("arm")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: arm/metrics.json: 'top1' is 0.75, but the 2 clips of arm/predictions.csv give 0.5: not the scores of those predictions (edited, or copied from another run?); score the run again, which writes both: evface eval RUN --data d1 --out arm
    """
    run = Path(run_dir)
    path = run / METRICS
    if not path.is_file():
        return
    metrics = read_json(path)
    if not isinstance(metrics, dict):  # its readers name that
        return
    if (run / PREDICTIONS).is_file() and "methods" not in metrics:
        found = _classification_differences(run, metrics)
        scores = run / PREDICTIONS
    elif (run / SCORES_CSV).is_file() and isinstance(metrics.get("methods"), dict):
        found = _reconstruction_differences(run, metrics)
        scores = run / SCORES_CSV
    else:
        return
    difference = next(found, None)
    if difference is not None:
        field, stored, computed, what = difference
        raise FormatError(where(path, f"{field} is {stored!r}, but {what} of {scores} give {computed!r}: not the "
                                      f"{_kind(scores)} (edited, or copied from another run?); score the run again, "
                                      f"which writes both: {_scored_by(run, metrics)}"))


Difference = tuple[str, Any, Any, str]
"""A field that differs: its name as the message gives it, the value stored, the value recomputed and
what it was recomputed from (``"the 12 clips"``)."""


def _kind(scores: Path) -> str:
    """What ``metrics.json`` gives of the per-clip file ``scores``, in words."""
    return "scores of those predictions" if scores.name == PREDICTIONS else "means of those per-sample scores"


def _scored_by(run: Path, metrics: dict[str, Any]) -> str:
    """The command that writes the scores of ``run`` again: ``evface eval RUN --data DATA`` into a run
    folder, with ``--out FOLDER`` for an evaluation's (its ``metrics.json`` names its run)."""
    data = metrics.get("data") if isinstance(metrics.get("data"), str) else "DATA"
    if (run / CONFIG).is_file():
        return printable(f"evface eval {run} --data {data}")
    trained = metrics.get("run") if isinstance(metrics.get("run"), str) else "RUN"
    return printable(f"evface eval {trained} --data {data} --out {run}")


def _field(*keys: str) -> str:
    """A field of ``metrics.json`` as the messages name it: ``'per_lighting' 'dim' 'top1'``."""
    return " ".join(repr(printable(str(k))) for k in keys)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _differs(stored: object, computed: object, tolerance: float) -> bool:
    """Whether the stored value (checked only where it is a number or ``None``) is not the one recomputed:
    ``None`` and NaN alike mean none; numbers within ``tolerance``."""
    if not (is_number(stored) or stored is None):
        return False
    if _missing(stored) or _missing(computed):
        return _missing(stored) != _missing(computed)
    assert isinstance(stored, int | float) and isinstance(computed, int | float)
    return not math.isclose(stored, computed, rel_tol=0.0, abs_tol=tolerance)


def _compared(part: object, computed: dict[str, Any], keys: tuple[str, ...], where_: tuple[str, ...], what: str,
              tolerance: float) -> Iterator[Difference]:
    """Each of ``keys`` that ``part`` (a JSON object of ``metrics.json``, at ``where_``) holds and that
    differs from ``computed``."""
    if not isinstance(part, dict):
        return
    for key in keys:
        if key in part and _differs(part[key], computed[key], tolerance if key not in COUNTS else 0.0):
            yield _field(*where_, key), part[key], computed[key], what


# --------------------------------------------------------------------------- classification


def _classification_differences(run: Path, metrics: dict[str, Any]) -> Iterator[Difference]:
    """The scores and counts of ``metrics`` (all clips, and per lighting) that the predictions beside
    it do not give, and its confusion matrix where it lists its classes."""
    rows = read_predictions(run)
    labels = metrics.get("labels")
    named = sorted({r[k] for r in rows for k in ("label", "prediction")})
    listed = isinstance(labels, list) and all(isinstance(x, str) for x in labels) and len(set(labels)) == len(labels)
    classes: list[str] = list(labels) if isinstance(labels, list) and listed else named
    if set(named) - set(classes):
        yield _field("labels"), classes, named, f"the classes of the {len(rows)} clips"
        return
    overall = _class_scores(rows, classes)
    what = f"the {len(rows)} clips"
    yield from _compared(metrics, overall, CLASSIFY_SCORES + COUNTS, (), what, EXACT)
    matrix = metrics.get("confusion_matrix")
    if listed and isinstance(matrix, list) and matrix != overall["confusion_matrix"]:
        yield _field("confusion_matrix"), matrix, overall["confusion_matrix"], what
    per_lighting = metrics.get("per_lighting")
    if not (isinstance(per_lighting, dict) and per_lighting):
        return
    lightings = sorted({r["lighting"] for r in rows})
    if sorted(per_lighting) != lightings:
        yield _field("per_lighting"), sorted(per_lighting), lightings, f"the lightings of the {len(rows)} clips"
        return
    for light in lightings:
        mine = [r for r in rows if r["lighting"] == light]
        yield from _compared(per_lighting[light], _class_scores(mine, classes), ("top1",) + COUNTS, ("per_lighting", light),
                             f"the {len(mine)} clips in {printable(light)!r}", EXACT)


def _class_scores(rows: list[dict[str, str]], classes: list[str]) -> dict[str, Any]:
    """Top-1, UF1, UAR, the counts and the confusion matrix of the predictions ``rows`` over ``classes``,
    as :func:`evface.tasks.classify.score` computes them (:func:`~evface.tasks.class_metrics.clip_scores`)."""
    scores = class_metrics.clip_scores(class_metrics.indices_of([r["label"] for r in rows], classes),
                                       class_metrics.indices_of([r["prediction"] for r in rows], classes),
                                       [r["subject"] for r in rows], classes)
    return {key: scores[key] for key in CLASSIFY_SCORES + COUNTS} | {"confusion_matrix": scores["confusion"]}


# --------------------------------------------------------------------------- reconstruction

AREAS = ("face", "active")
"""The areas ``scores.csv`` scores each sample in."""
SAMPLE_METRICS = ("ssim", "psnr")
"""The metrics ``scores.csv`` gives in each area."""
SAMPLE_COUNTS = ("n_samples", "n_clips", "n_subjects")


class _Samples:
    """One method's per-sample scores of ``scores.csv``, in sample order: per area its SSIM and PSNR
    (``scores``, laid out as :func:`~evface.tasks.recon_eval.sample_scores` gives them, PSNR not capped:
    :func:`~evface.tasks.recon_eval.finite_mean` caps it here as it did for ``metrics.json``), and each
    sample's subject, lighting, AUs and whether it is its clip's apex. Not ``evface compare``'s reading
    of the rows (:mod:`evface.tasks.recon_compare`), which pairs two runs' samples by key and caps each
    PSNR as it reads it."""

    def __init__(self, rows: dict[tuple[str, int], dict[str, str]]) -> None:
        keys = sorted(rows)
        ordered = [rows[k] for k in keys]
        self.clips = {k[0] for k in keys}
        self.scores = {area: {metric: np.array([float(r[f"{area}_{metric}"]) for r in ordered]) for metric in SAMPLE_METRICS}
                       for area in AREAS}
        self.meta = {k: np.array([r[k] for r in ordered]) for k in ("subject", "lighting", "aus")}
        self.apex = np.array([at_apex(r) for r in ordered])


def _tolerance(key: str) -> float:
    return PSNR_TOLERANCE if "psnr" in key else SSIM_TOLERANCE


def _reconstruction_differences(run: Path, metrics: dict[str, Any]) -> Iterator[Difference]:
    """The counts, each method's means and the CVAE's and the keyframe's paired differences of
    ``metrics`` that the per-sample scores beside it do not give."""
    samples = {method: _Samples(rows) for method, rows in read_scores(run).items()}
    first = next(iter(samples.values()))
    n = len(first.apex)
    what = f"the {n} samples"
    if sorted(metrics["methods"]) != sorted(samples):
        yield _field("methods"), sorted(metrics["methods"]), sorted(samples), what
        return
    counts = {"n_samples": n, "n_clips": len(first.clips), "n_subjects": len(set(first.meta["subject"].tolist()))}
    yield from _compared(metrics, counts, SAMPLE_COUNTS, (), what, 0.0)
    subjects = sorted(set(first.meta["subject"].tolist()))
    if isinstance(metrics.get("subjects"), list) and metrics["subjects"] != subjects:
        yield _field("subjects"), metrics["subjects"], subjects, what
    for method, s in samples.items():
        yield from _method_differences(metrics["methods"][method], s, method, what)
    for key, pairs in (("gain_over_keyframe", lambda m: (m, "keyframe")), ("cvae_vs", lambda m: ("cvae", m))):
        yield from _paired_differences(metrics.get(key), key, pairs, samples, what)


def _method_differences(entry: object, s: _Samples, method: str, what: str) -> Iterator[Difference]:
    """One method's means over all samples and at the apex, its apex intervals' means and counts, and its
    apex means by lighting and AU class."""
    if not isinstance(entry, dict):
        return
    at = ("methods", method)
    yield from _compared(entry.get("all"), {"ssim": float(summarize({"ssim": s.scores["face"]["ssim"]})["ssim"])},
                         ("ssim",), at + ("all",), what, SSIM_TOLERANCE)
    apex = entry.get("apex")
    for area in AREAS:
        means = {metric: finite_mean(s.scores[area][metric][s.apex], metric) for metric in SAMPLE_METRICS}
        part = apex.get(area) if isinstance(apex, dict) else None
        for metric in SAMPLE_METRICS:
            yield from _compared(part, means, (metric,), at + ("apex", area), what, _tolerance(metric))
        intervals = entry.get("apex_interval")
        if isinstance(intervals, dict) and area in intervals:
            yield from _interval_differences(intervals[area], s.scores[area]["ssim"][s.apex], s.meta["subject"][s.apex],
                                             at + ("apex_interval", area), what)
    by = entry.get("apex_by")
    for group in ("lighting", "aus"):
        labelled = by.get(group) if isinstance(by, dict) else None
        if not isinstance(labelled, dict):
            continue
        computed = means_by_label(s.scores, np.flatnonzero(s.apex), s.meta[group])
        for label, means in computed.items():
            if label not in labelled:
                yield _field(*at, "apex_by", group), sorted(labelled), sorted(computed), what
                return
            yield from _compared(labelled[label], means, ("n", "face_ssim", "active_ssim"),
                                 at + ("apex_by", group, label), what, SSIM_TOLERANCE)


def _interval_differences(entry: object, values: np.ndarray, subjects: np.ndarray, at: tuple[str, ...],
                          what: str) -> Iterator[Difference]:
    """The ``mean``, ``n`` and ``n_clusters`` of an interval entry (``None``: none) against those of the
    finite ``values``, as :func:`~evface.tasks.image_metrics.cluster_mean_interval` gives them."""
    ok = np.isfinite(values)
    if not ok.any():
        if entry is not None:
            yield _field(*at), entry, None, what
        return
    computed = {"mean": float(values[ok].mean()), "n": int(ok.sum()), "n_clusters": len(set(subjects[ok].tolist()))}
    if entry is None:
        yield _field(*at), None, computed, what
        return
    for key, tolerance in (("mean", SSIM_TOLERANCE), ("n", 0.0), ("n_clusters", 0.0)):
        if isinstance(entry, dict) and key in entry and _differs(entry[key], computed[key], tolerance):
            yield _field(*at, key), entry[key], computed[key], what


def _paired_differences(pairs: object, key: str, pair: Callable[[str], tuple[str, str]], samples: dict[str, _Samples],
                        what: str) -> Iterator[Difference]:
    """The paired SSIM differences ``metrics.json`` gives under ``key`` (``pair(name)``: the two methods,
    A - B): over all samples and at the apex, in each area, and at the apex per lighting."""
    if not isinstance(pairs, dict):
        return
    for name, entry in pairs.items():
        a, b = pair(name)
        if a not in samples or b not in samples:
            yield _field(key, name), "a difference", f"no scores of {a if a not in samples else b}", what
            return
        sa, sb = samples[a], samples[b]
        if not isinstance(entry, dict):
            continue
        for label, sel in (("all", np.ones(len(sa.apex), bool)), ("apex", sa.apex)):
            for area in AREAS:
                if f"{label}_{area}_ssim" in entry:
                    diff = sa.scores[area]["ssim"][sel] - sb.scores[area]["ssim"][sel]
                    yield from _interval_differences(entry[f"{label}_{area}_ssim"], diff, sa.meta["subject"][sel],
                                                     (key, name, f"{label}_{area}_ssim"), what)
        by_lighting = entry.get("apex_by_lighting")
        if not isinstance(by_lighting, dict):
            continue
        for light, part in by_lighting.items():
            sel = sa.apex & (sa.meta["lighting"] == light)
            for area in AREAS:
                if isinstance(part, dict) and area in part:
                    diff = sa.scores[area]["ssim"][sel] - sb.scores[area]["ssim"][sel]
                    yield from _interval_differences(part[area], diff, sa.meta["subject"][sel],
                                                     (key, name, "apex_by_lighting", light, area), what)
