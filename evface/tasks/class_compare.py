"""Classification runs' prediction files and the paired comparison of two runs (``evface compare``).

A run writes ``predictions.csv`` (:func:`predictions_text`: one line per scored clip, the ensemble's
label) and ``seed_logits.csv`` (:func:`seed_logits_text`: each training seed's logits of every
clip) together with its ``metrics.json`` (:func:`evface.tasks.run_folder.write_together`). :func:`compare_runs` joins two runs' files on the clip and gives the paired difference A - B
of top-1, UF1 and UAR with a 95 % subject-cluster bootstrap interval
(:func:`~evface.tasks.stats.paired_bootstrap`) and, where a run trained several seeds, one over
subjects and seeds (:func:`~evface.tasks.stats.paired_training_bootstrap`), a verdict that names a
winner only when the interval excludes 0, and the exact McNemar test, overall and per lighting;
:func:`seed_spread` sets every training seed of A against every seed of B.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evface.errors import DatasetError, FormatError, counted, where
from evface.io.atomic_files import atomic_write_text, read_text
from evface.tasks import run_folder, stats
from evface.tasks.run_evaluation import pairing_hint

PREDICTIONS = "predictions.csv"
PREDICTION_COLUMNS = ("clip_id", "subject", "lighting", "label", "onset_us", "apex_us", "offset_us", "prediction")
"""One line per scored clip: the clip as the dataset annotates it, then the predicted label. The
annotated times tell two datasets with the same clip names apart (another seed, another session)."""
_OLD_PREDICTION_COLUMNS = tuple(c for c in PREDICTION_COLUMNS if not c.endswith("_us"))
"""The columns before the annotated times (runs made before 2026-12-01 still compare, on the rest)."""


def predictions_text(rows: Sequence[dict[str, Any]], predictions: Sequence[str]) -> str:
    """The CSV text of ``predictions.csv``: one line per scored clip (:data:`PREDICTION_COLUMNS`).

    Parameters
    ----------
    rows : sequence of dict
        The scored clips' manifest rows.
    predictions : sequence of str
        The label predicted for each of ``rows``, in their order.

    Returns
    -------
    str
    """
    return run_folder.csv_text(PREDICTION_COLUMNS, ([row.get(key, "") for key in PREDICTION_COLUMNS[:-1]] + [pred]
                                                    for row, pred in zip(rows, predictions, strict=True)))


def read_predictions(run_dir: str | Path) -> list[dict[str, str]]:
    """The rows of ``RUN/predictions.csv`` (a :class:`DatasetError` naming the file when it is absent,
    or RUN when it is not a folder).

    Parameters
    ----------
    run_dir : str or Path
        A classification run (or evaluation) folder.

    Returns
    -------
    list of dict
        One row per scored clip, by column name.
    """
    run, path = Path(run_dir), Path(run_dir) / PREDICTIONS
    if not run.is_dir():
        raise DatasetError(where(run, "is a file, not a run folder" if run.exists() else "no such folder"))
    if not path.is_file():
        run_folder.check_not_other_folder(run)
        raise DatasetError(where(path, "no predictions of a classification run here (train or evaluate the run "
                                       "with this version of evface: evface eval RUN)"))
    with io.StringIO(read_text(path), newline="") as f:
        reader = csv.DictReader(f)
        columns = tuple(reader.fieldnames or ())
        if columns not in (PREDICTION_COLUMNS, _OLD_PREDICTION_COLUMNS):
            raise FormatError(where(path, f"columns {reader.fieldnames}, expected {list(PREDICTION_COLUMNS)}"))
        rows = []
        for row in reader:
            if None in row or None in row.values() or not all(row[k] for k in ("clip_id", "label", "prediction")):
                raise FormatError(where(path, f"line {reader.line_num} is not a row of {len(columns)} "
                                              "columns with a clip_id, label and prediction: not a file evface wrote"))
            rows.append(row)
    if len({r["clip_id"] for r in rows}) != len(rows):
        raise FormatError(where(path, "a clip_id appears twice"))
    return rows


SEED_LOGITS = "seed_logits.csv"
"""Beside ``predictions.csv``: one line per scored clip and training seed, the logits that seed's
model gave the clip (columns ``clip_id``, ``fold``, ``seed`` and one per class). The mean over the
seeds is the run's prediction; :func:`compare_runs` resamples the seeds from it."""
SEED_LOGIT_COLUMNS = ("clip_id", "fold", "seed")
NEVER = -1e30
"""The logit of a class a run does not know (finite, so that a zero weight keeps it out of a mean)."""


@dataclass(frozen=True)
class SeedLogits:
    """A run's :data:`SEED_LOGITS`: its classes, its seeds, and per clip its fold and its (K, C) logits."""

    labels: tuple[str, ...]
    seeds: tuple[int, ...]
    folds: dict[str, str]
    logits: dict[str, np.ndarray]


def seed_logits_text(clip_ids: Sequence[str], folds: Sequence[str], seeds: Sequence[int], logits: np.ndarray,
                     labels: Sequence[str]) -> str:
    """The CSV text of ``seed_logits.csv``: ``logits`` (K, N, C) of ``seeds`` (K) for ``clip_ids`` and
    their ``folds`` (N; the fold whose models scored the clip) over ``labels`` (C).

    Parameters
    ----------
    clip_ids : sequence of str
        The N scored clips.
    folds : sequence of str
        Each clip's fold.
    seeds : sequence of int
        The K training seeds.
    logits : ndarray
        (K, N, C) logits.
    labels : sequence of str
        The C classes.

    Returns
    -------
    str
    """
    return run_folder.csv_text([*SEED_LOGIT_COLUMNS, *labels],
                               ([clip, fold, seed, *(f"{v:.9g}" for v in logits[k, n])]
                                for n, (clip, fold) in enumerate(zip(clip_ids, folds, strict=True))
                                for k, seed in enumerate(seeds)))


def write_seed_logits(out_dir: str | Path, clip_ids: Sequence[str], folds: Sequence[str], seeds: Sequence[int],
                      logits: np.ndarray, labels: Sequence[str]) -> Path:
    """Write ``OUT/seed_logits.csv`` (:func:`seed_logits_text`) alone, atomically.

    Parameters
    ----------
    out_dir : str or Path
        The run's folder.
    clip_ids, folds, seeds, logits, labels
        As :func:`seed_logits_text` takes them.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(out_dir) / SEED_LOGITS
    atomic_write_text(path, seed_logits_text(clip_ids, folds, seeds, logits, labels))
    return path


def read_seed_logits(run_dir: str | Path) -> SeedLogits | None:
    """``RUN/seed_logits.csv``, or ``None`` for a run scored before the file was written. A file
    evface did not write (a line cut short, a logit that is not a finite number, a clip without
    every seed or with two folds) is a :class:`FormatError` naming it.

    Parameters
    ----------
    run_dir : str or Path
        A classification run (or evaluation) folder.

    Returns
    -------
    SeedLogits or None
    """
    path = Path(run_dir) / SEED_LOGITS
    if not path.is_file():
        return None
    with io.StringIO(read_text(path), newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        labels = tuple(header[len(SEED_LOGIT_COLUMNS):])
        if tuple(header[:len(SEED_LOGIT_COLUMNS)]) != SEED_LOGIT_COLUMNS or len(labels) < 2 or len(set(header)) != len(header):
            raise FormatError(where(path, f"columns {header}, expected {list(SEED_LOGIT_COLUMNS)} and one per class"))
        folds: dict[str, str] = {}
        per_clip: dict[str, dict[int, np.ndarray]] = {}
        for line in reader:
            try:
                if len(line) != len(header):
                    raise ValueError(f"{len(line)} columns")
                clip, fold, seed = line[0], line[1], int(line[2])
                values = np.array([float(v) for v in line[len(SEED_LOGIT_COLUMNS):]])
                if not np.isfinite(values).all() or not clip or folds.setdefault(clip, fold) != fold:
                    raise ValueError("a logit that is not finite, no clip_id or a second fold")
                if seed in per_clip.setdefault(clip, {}):
                    raise ValueError(f"clip {clip} twice with seed {seed}")
            except ValueError as exc:
                raise FormatError(where(path, f"line {reader.line_num} is not a clip's logits of one seed ({exc}): "
                                              "not a file evface wrote")) from None
            per_clip[clip][seed] = values
    seeds = sorted(next(iter(per_clip.values()), {}))
    if not seeds or any(sorted(v) != seeds for v in per_clip.values()):
        raise FormatError(where(path, "not every clip has the logits of every seed: not a file evface wrote"))
    return SeedLogits(labels, tuple(seeds), folds, {c: np.stack([v[s] for s in seeds]) for c, v in per_clip.items()})


def _seed_arrays(run: str | Path, logits: SeedLogits, ids: Sequence[str], classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(K, N, C) logits of ``ids`` in the order of ``classes`` (a class the run does not know never
    wins) and the (N,) folds, from a run's seed logits."""
    if set(logits.logits) != set(ids):
        raise FormatError(where(Path(run) / SEED_LOGITS, "its clips are not those of the predictions.csv beside it: "
                                                         "not a file evface wrote with it"))
    out = np.full((len(logits.seeds), len(ids), len(classes)), NEVER)
    columns = [classes.index(label) for label in logits.labels]
    for n, clip in enumerate(ids):
        out[:, n, columns] = logits.logits[clip]
    return out, np.array([logits.folds[c] for c in ids])


def _paired(y: np.ndarray, pa: np.ndarray, pb: np.ndarray, subjects: np.ndarray, n_classes: int,
            names: tuple[str, str], seeds: tuple[np.ndarray, ...] | None = None) -> dict[str, Any]:
    """The paired difference of predictions ``pa`` and ``pb``; with ``seeds`` (both runs' (K, N, C)
    logits and (N,) folds) each metric also gets ``ci_trainings``, and its verdict follows it."""
    diffs: dict[str, dict[str, Any]] = stats.paired_bootstrap(y, pa, pb, subjects, n_classes)  # gets verdicts
    n_subjects = len(set(subjects.tolist()))
    over_trainings: dict[str, list[float]] = {}
    if seeds and n_subjects > 1:
        logits_a, folds_a, logits_b, folds_b = seeds
        over_trainings = stats.paired_training_bootstrap(y, logits_a, folds_a, logits_b, folds_b, subjects)
    for name, d in diffs.items():
        if n_subjects < 2:  # a bootstrap over one subject has no spread: no interval, no verdict
            d["ci"], d["verdict"] = None, "one subject: no interval"
            continue
        if name in over_trainings:
            d["ci_trainings"] = over_trainings[name]
        d["verdict"] = stats.describe_difference(*names, d.get("ci_trainings", d["ci"]))
    a_only, b_only = int(np.sum((pa == y) & (pb != y))), int(np.sum((pa != y) & (pb == y)))
    return {"n": len(y), "n_subjects": n_subjects, "metrics": diffs,
            "mcnemar": {"a_only": a_only, "b_only": b_only, "p": stats.mcnemar_exact(a_only, b_only)}}


def compare_runs(run_a: str | Path, run_b: str | Path, names: tuple[str, str] | None = None) -> dict[str, Any]:
    """The paired difference A - B of two classification runs on the same clips, overall and per lighting.

    Reads both runs' ``predictions.csv``; the clips (id, subject, lighting, label and, where both
    files have them, the annotated onset, apex and offset) must be the same, else a
    :class:`DatasetError` says how they differ. For top-1, UF1 and UAR: both values,
    the difference, its 95 % subject-cluster bootstrap interval (:func:`stats.paired_bootstrap`)
    and a verdict that names a winner only when the interval excludes 0; and the exact McNemar
    test on the clips one run got right and the other wrong. ``names`` default to
    :func:`stats.run_names`.

    Where both runs hold their :data:`SEED_LOGITS` and one of them trained several seeds, each
    metric also gets ``ci_trainings``, the interval over subjects and training seeds
    (:func:`stats.paired_training_bootstrap`), and its verdict follows that interval; ``trainings``
    gives each run's number of seeds wherever both files are there.

    Parameters
    ----------
    run_a, run_b : str or Path
        The two runs (A and B) scored on the same clips.
    names : tuple of str, optional
        What to call A and B in the verdicts.

    Returns
    -------
    dict
        ``a``, ``b``, ``run_a``, ``run_b``, ``n``, ``n_subjects``, ``metrics``, ``mcnemar`` and
        ``per_lighting``; ``trainings``, ``classes``, ``folds`` and ``seed_spread`` where they apply.
    """
    names = names or stats.run_names(run_a, run_b)
    a, b = read_predictions(run_a), read_predictions(run_b)
    _check_same_clips(run_a, run_b, a, b)
    read = [read_seed_logits(run) for run in (run_a, run_b)]
    unlike = _unlike(run_a, run_b, read)
    logits = [v for v in read if v is not None]
    trainings = {"a": len(logits[0].seeds), "b": len(logits[1].seeds)} if len(logits) == 2 else None
    if trainings is None or max(trainings.values()) == 1:
        logits = []  # a run scored before seed_logits.csv, or one training each: subjects resampled only
    clips = _PairedClips.of(a, b, logits)
    seeds = [x for run, v in zip((run_a, run_b), logits, strict=True)
             for x in _seed_arrays(run, v, clips.ids, clips.classes)] if logits else []
    out = {"a": names[0], "b": names[1], "run_a": str(run_a), "run_b": str(run_b),
           **_paired(clips.y, clips.pa, clips.pb, clips.subjects, len(clips.classes), names, tuple(seeds))}
    out["per_lighting"] = _per_lighting(clips, names, seeds)
    if trainings:
        out["trainings"] = trainings
    out |= unlike
    spread = seed_spread(run_a, run_b, _seed_top1(seeds, clips.y))
    if spread is not None:
        out["seed_spread"] = spread
    return out


def _check_same_clips(run_a: str | Path, run_b: str | Path, a: list[dict[str, str]], b: list[dict[str, str]]) -> None:
    """A DatasetError unless the predictions ``a`` and ``b`` are of the same clips, alike in every
    column both files have."""
    by_a, by_b = {r["clip_id"]: r for r in a}, {r["clip_id"]: r for r in b}
    only_a, only_b = sorted(set(by_a) - set(by_b)), sorted(set(by_b) - set(by_a))
    if only_a or only_b:
        example = (only_a or only_b)[0]
        raise DatasetError(where(Path(run_b) / PREDICTIONS, f"its clips differ from those of {run_a} ({len(only_a)} only "
                                 f"there, {len(only_b)} only here, e.g. {example}); compare runs scored on the same clips: "
                                 + pairing_hint(run_a, run_b, bool(only_a), bool(only_b))))
    # the columns both files have (files written before 2026-12-01 lack the annotated times)
    shared = [k for k in PREDICTION_COLUMNS[1:-1] if a and b and k in a[0] and k in b[0]]
    for cid, ra in by_a.items():
        rb = by_b[cid]
        for key in shared:
            if ra[key] != rb[key]:
                raise DatasetError(where(Path(run_b) / PREDICTIONS, f"clip {cid} has {key} {rb[key]!r} here but "
                                         f"{ra[key]!r} in {run_a}: the runs used different datasets"))


@dataclass(frozen=True)
class _PairedClips:
    """Two runs' predictions of the same clips, sorted by clip id: the classes (every label, prediction
    and seed-logit class of either run), and per clip its label ``y``, A's and B's predictions ``pa``
    and ``pb`` (class indices), subject and lighting."""

    ids: list[str]
    classes: list[str]
    y: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    subjects: np.ndarray
    lighting: np.ndarray

    @classmethod
    def of(cls, a: list[dict[str, str]], b: list[dict[str, str]], logits: list[SeedLogits]) -> _PairedClips:
        """The clips of predictions ``a`` and ``b`` (of the same clips), with the classes of ``logits``."""
        by_a, by_b = {r["clip_id"]: r for r in a}, {r["clip_id"]: r for r in b}
        ids = sorted(by_a)
        classes = sorted({by_a[c]["label"] for c in ids} | {by_a[c]["prediction"] for c in ids}
                         | {by_b[c]["prediction"] for c in ids} | {label for v in logits for label in v.labels})
        index = {c: i for i, c in enumerate(classes)}
        return cls(ids, classes, np.array([index[by_a[c]["label"]] for c in ids]),
                   np.array([index[by_a[c]["prediction"]] for c in ids]), np.array([index[by_b[c]["prediction"]] for c in ids]),
                   np.array([by_a[c]["subject"] for c in ids]), np.array([by_a[c]["lighting"] for c in ids]))


def _per_lighting(clips: _PairedClips, names: tuple[str, str], seeds: list[np.ndarray]) -> dict[str, dict[str, Any]]:
    """:func:`_paired` of the clips of each lighting, by lighting (``seeds`` as :func:`_paired` takes them)."""
    return {lt: _paired(clips.y[m], clips.pa[m], clips.pb[m], clips.subjects[m], len(clips.classes), names,
                        tuple(x[:, m] if x.ndim == 3 else x[m] for x in seeds))
            for lt in sorted(set(clips.lighting.tolist())) for m in [clips.lighting == lt]}


def _seed_top1(seeds: list[np.ndarray], y: np.ndarray) -> list[list[float]] | None:
    """Each run's training seeds' top-1 from their (K, N, C) logits in ``seeds``; None without seed logits."""
    return [[float(np.mean(v[k].argmax(1) == y)) for k in range(len(v))] for v in seeds[0::2]] if seeds else None


def _unlike(run_a: str | Path, run_b: str | Path, logits: list[SeedLogits | None]) -> dict[str, Any]:
    """How two runs scored on the same clips were made differently: ``classes`` (``{"a", "b"}``,
    each run's class list, from its seed logits or ``metrics.json``) where their models know other
    classes, and ``folds`` (each run's number of folds) where their models tested the clips in
    other groups (from the folds of their seed logits; else the ``protocol`` of their
    ``metrics.json``, where both name one). ``{}`` where nothing tells them apart."""
    facts = []
    for run, seeds in zip((run_a, run_b), logits, strict=True):
        path = Path(run) / "metrics.json"
        metrics: dict[str, Any] = {}
        if path.is_file():
            with run_folder.reading(path):
                metrics = run_folder.read_json(path)
                run_folder.check_fields(metrics, {})  # a JSON object (was: AttributeError of a list, a number, null)
        groups = ({frozenset(c for c, f in seeds.folds.items() if f == fold) for fold in set(seeds.folds.values())}
                  if seeds else None)
        facts.append({"classes": list(seeds.labels) if seeds else metrics.get("labels"), "groups": groups,
                      "protocol": metrics.get("protocol")})
    out: dict[str, Any] = {}
    if facts[0]["classes"] and facts[1]["classes"] and sorted(facts[0]["classes"]) != sorted(facts[1]["classes"]):
        out["classes"] = {"a": facts[0]["classes"], "b": facts[1]["classes"]}
    if facts[0]["groups"] and facts[1]["groups"]:
        if facts[0]["groups"] != facts[1]["groups"]:
            n_a, n_b = len(facts[0]["groups"]), len(facts[1]["groups"])
            otherwise = " grouping the subjects otherwise" if n_a == n_b else ""  # else "3 folds; 3 folds" read as the same
            out["folds"] = {"a": counted(n_a, "fold"), "b": counted(n_b, "fold") + otherwise}
    elif facts[0]["protocol"] and facts[1]["protocol"] and facts[0]["protocol"] != facts[1]["protocol"]:
        out["folds"] = {"a": facts[0]["protocol"], "b": facts[1]["protocol"]}
    return out


def seed_spread(run_a: str | Path, run_b: str | Path, per_seed: list[list[float]] | None = None) -> dict[str, Any] | None:
    """How the top-1 difference A - B varies between single trainings: every training seed of A
    against every seed of B (``per_seed``, each run's seeds' top-1 on the same clips, as
    :func:`compare_runs` scores them from the seed logits; else ``top1_per_seed`` of their
    ``metrics.json``, a run of one seed counting with its ``top1``). Both runs scored the same
    clips, so a difference of two top-1 values is their paired difference. ``None`` unless one of
    the runs trained several seeds.

    The subject-bootstrap interval of the ensembles' difference covers which subjects were tested,
    not which training run came out; this covers the latter.

    Parameters
    ----------
    run_a, run_b : str or Path
        The two runs (A and B).
    per_seed : list of two lists of float, optional
        Each run's seeds' top-1; read from their ``metrics.json`` when not given.

    Returns
    -------
    dict or None
        ``a_top1``, ``b_top1``, ``n_pairs``, ``min``, ``max``, ``a_ahead`` and ``b_ahead``.
    """
    if per_seed is None:
        per_seed = []
        for run in (run_a, run_b):
            path = Path(run) / "metrics.json"
            if not path.is_file():
                return None
            with run_folder.reading(path):
                metrics = run_folder.read_json(path)
                values = [float(v) for v in metrics.get("top1_per_seed") or [metrics["top1"]]]
                if not all(0 <= v <= 1 for v in values):
                    raise ValueError(f"top-1 values {values} are not fractions in [0, 1]")
                per_seed.append(values)
    a, b = per_seed
    if len(a) == len(b) == 1:
        return None
    diffs = np.subtract.outer(np.array(a), np.array(b)).ravel()
    return {"a_top1": a, "b_top1": b, "n_pairs": int(diffs.size), "min": float(diffs.min()),
            "max": float(diffs.max()), "a_ahead": int(np.sum(diffs > 0)), "b_ahead": int(np.sum(diffs < 0))}
