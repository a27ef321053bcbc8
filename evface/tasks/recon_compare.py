"""The paired difference of two reconstruction runs scored on the same samples (``evface compare``).

Both runs' ``scores.csv`` (:func:`evface.tasks.recon_eval.scores_text`) are joined on the
sample (clip, time). The runs must have scored the same samples on the same target grid (the grid
is shared by the hd and lr sensors, so an hd run and an lr run compare sample by sample). For every
method both runs scored: the mean of each metric in A and in B, the mean per-sample difference
A - B with its 95 % subject-cluster bootstrap interval
(:func:`~evface.tasks.image_metrics.cluster_mean_interval`) and a verdict that names a winner only
when the interval excludes 0 (:func:`~evface.tasks.stats.describe_difference`), over all samples,
at the apex, and at the apex per lighting. A method a run trained with several seeds is also given
the interval over subjects and trainings, from each training's scores (``seed_scores.csv``), and
its verdict follows that interval.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evface.errors import DatasetError, FormatError, counted, printable, where
from evface.io.atomic_files import read_text
from evface.tasks import figure_format, stats
from evface.tasks.class_compare import PREDICTIONS
from evface.tasks.image_metrics import DATA_RANGE, SSIM_SIGMA, cluster_mean_interval, paired_training_interval
from evface.tasks.recon_eval import PSNR_CAP, SCORE_COLUMNS, SCORES_CSV, SEED_SCORE_COLUMNS, SEED_SCORES_CSV
from evface.tasks.run_evaluation import pairing_hint
from evface.tasks.run_folder import load_config

METRICS = ("face_ssim", "active_ssim", "face_psnr")
"""What is compared: SSIM over the face box and in the active AU regions, PSNR over the face box."""
DIGITS = {"face_ssim": 4, "active_ssim": 4, "face_psnr": 2}
"""Each metric's decimals in :func:`format_comparison`, as the report's reconstruction tables give
them: SSIM to four, PSNR (dB) to two."""
METRICS_SAID = (f"face_ssim, active_ssim: SSIM over the face box and in the active AU regions, with EVREAL's "
                f"settings (scikit-image structural_similarity: Gaussian weights, sigma {SSIM_SIGMA:g}, population "
                f"covariance, data range {DATA_RANGE:g}); face_psnr: PSNR over the face box in dB (each sample's, "
                f"capped at {PSNR_CAP:g} dB); A - B and its interval in the metric's units")
"""What :func:`format_comparison` says once of the metrics: SSIM's settings
(:mod:`~evface.tasks.image_metrics`, as the report's) and PSNR's unit (was: neither)."""
SAMPLE_KEYS = ("subject", "lighting", "aus")
"""Per sample, what both runs must agree on (else they scored different datasets)."""


def is_reconstruction_run(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds a reconstruction run's scores (``scores.csv``, or a reconstruction ``metrics.json``)."""
    run_dir = Path(run_dir)
    if (run_dir / SCORES_CSV).is_file():
        return True
    try:
        return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8")).get("task") == "reconstruct"
    except (OSError, ValueError, RecursionError, AttributeError):  # no metrics.json, or not a JSON object: not this task's
        return False


def _score(metric: str, text: str) -> float:
    """One score of a received file: SSIM in [-1, 1], PSNR at least 0 dB (``inf`` for an exact
    frame), either ``nan`` where a sample has no such region; a ``ValueError`` otherwise.

    >>> _score("face_ssim", "0.93"), _score("active_psnr", "nan")
    (0.93, nan)
    >>> _score("face_ssim", "1e300")
    Traceback (most recent call last):
    ValueError: face_ssim 1e+300 is not an SSIM in [-1, 1]
    """
    v = float(text)
    if metric.endswith("ssim") and not (-1 <= v <= 1 or math.isnan(v)):
        raise ValueError(f"{metric} {v} is not an SSIM in [-1, 1]")
    if metric.endswith("psnr") and not (v >= 0 or math.isnan(v)):
        raise ValueError(f"{metric} {v} is not a PSNR of at least 0 dB")
    return v


def read_scores(run_dir: str | Path) -> dict[str, dict[tuple[str, int], dict[str, str]]]:
    """``{method: {(clip_id, t_us): row}}`` from ``RUN/scores.csv`` (errors name the file)."""
    path = Path(run_dir) / SCORES_CSV
    if not path.is_file():
        _check_reconstruction_run(Path(run_dir))
        raise DatasetError(where(path, "no per-sample scores of a reconstruction run here (score the run with "
                                       "this version of evface: evface eval RUN --data DATA)"))
    with io.StringIO(read_text(path), newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != SCORE_COLUMNS:
            raise FormatError(where(path, f"columns {reader.fieldnames}, expected {list(SCORE_COLUMNS)}"))
        out: dict[str, dict[tuple[str, int], dict[str, str]]] = {}
        for row in reader:
            try:
                if None in row or not row["clip_id"] or not row["method"]:
                    raise ValueError("a column too many or too few")
                key = (row["clip_id"], int(row["t_us"]))
                for metric in SCORE_COLUMNS[SCORE_COLUMNS.index("face_ssim"):]:
                    _score(metric, row[metric])
            except (TypeError, ValueError) as exc:
                raise FormatError(where(path, f"line {reader.line_num} is not a row of {len(SCORE_COLUMNS)} "
                                              f"columns with a clip, a time and four scores ({exc}): not a file "
                                              "evface wrote")) from exc
            method = out.setdefault(row["method"], {})
            if key in method:
                raise FormatError(where(path, f"method {row['method']!r} scores clip {key[0]} at {key[1]} µs twice"))
            method[key] = row
    _check_every_method_scores_every_sample(out, path)
    return out


def at_apex(row: dict[str, str]) -> bool:
    """Whether a row of ``scores.csv`` (:func:`read_scores`) is its clip's apex sample: its ``phase``
    names the apex among the phases it joins with ``+`` (:func:`~evface.tasks.recon_eval.scores_text`).

    Parameters
    ----------
    row : dict
        One row of ``scores.csv``, by column.

    Returns
    -------
    bool

    Examples
    --------
    >>> at_apex({"phase": "onset+apex"}), at_apex({"phase": "offset"}), at_apex({"phase": ""})
    (True, False, False)
    """
    return "apex" in row["phase"].split("+")


def _check_reconstruction_run(folder: Path) -> None:
    """Refuse a folder without ``scores.csv`` that is no reconstruction run, saying what it is: a
    classification run or evaluation (its ``predictions.csv``), the output of ``evface run``, a dataset
    folder or no run at all (:func:`~evface.tasks.run_folder.load_config`, as
    :func:`~evface.tasks.registry.task_of_run` reads it), a run of another task (was: each told to
    "score the run with evface eval RUN --data DATA")."""
    if is_reconstruction_run(folder):  # an evaluation's metrics.json: scored before scores.csv was written
        return
    if (folder / PREDICTIONS).is_file():
        raise DatasetError(where(folder, f"holds a classification run's {PREDICTIONS}, not a reconstruction run's "
                                         f"{SCORES_CSV}"))
    task = load_config(folder)["task"]
    if task != "reconstruct":
        raise DatasetError(where(folder, f"a {printable(str(task)):.80} run, not a reconstruction run"))


def _check_every_method_scores_every_sample(scores: dict[str, dict[tuple[str, int], dict[str, str]]],
                                            path: Path) -> None:
    """Refuse a ``scores.csv`` in which one method lacks samples another scored (evface writes every
    method's row of every sample; was: the pairing looked them up by the first method's samples and
    stopped on the first missing one with an internal ``KeyError``)."""
    samples = set().union(*scores.values())
    for method, rows in scores.items():
        if len(rows) != len(samples):
            clip, t = min(samples - set(rows))
            raise FormatError(where(path, f"method {method!r} lacks {counted(len(samples) - len(rows), 'sample')} "
                                          f"the other methods scored (e.g. clip {clip} at {t} µs): not a file evface wrote"))


def read_seed_scores(run_dir: str | Path) -> dict[str, dict[tuple[str, int], tuple[str, np.ndarray]]]:
    """``{method: {(clip_id, t_us): (fold, (K, 4) scores)}}`` from ``RUN/seed_scores.csv`` (the
    trained methods of a run of several seeds, K seeds in seed order, the four scores in the order of
    :data:`SEED_SCORE_COLUMNS`); ``{}`` for a run without the file. A file evface did not write is a
    :class:`FormatError` naming it."""
    path = Path(run_dir) / SEED_SCORES_CSV
    if not path.is_file():
        return {}
    rows: dict[str, dict[tuple[str, int], tuple[str, dict[int, list[float]]]]] = {}
    with io.StringIO(read_text(path), newline="") as f:
        reader = csv.reader(f)
        if tuple(next(reader, [])) != SEED_SCORE_COLUMNS:
            raise FormatError(where(path, f"columns other than {list(SEED_SCORE_COLUMNS)}: not a file evface wrote"))
        for line in reader:
            try:
                if len(line) != len(SEED_SCORE_COLUMNS) or not line[0] or not line[2]:
                    raise ValueError(f"{len(line)} columns, or no clip or method")
                key, method, fold, seed = (line[0], int(line[1])), line[2], line[3], int(line[4])
                fold_seen, seeds = rows.setdefault(method, {}).setdefault(key, (fold, {}))
                if fold_seen != fold or seed in seeds:
                    raise ValueError(f"method {method!r} at clip {key[0]}, {key[1]} µs: a second fold or seed {seed} twice")
                seeds[seed] = [_score(metric, v) for metric, v in zip(SEED_SCORE_COLUMNS[5:], line[5:], strict=True)]
            except ValueError as exc:
                raise FormatError(where(path, f"line {reader.line_num} is not a sample's scores of one seed ({exc}): "
                                              "not a file evface wrote")) from None
    out: dict[str, dict[tuple[str, int], tuple[str, np.ndarray]]] = {}
    for method, samples in rows.items():
        order = sorted(next(iter(samples.values()))[1])
        if len(order) < 2 or any(sorted(seeds) != order for _, seeds in samples.values()):
            raise FormatError(where(path, f"method {method!r} lacks some seed's scores of some sample (or has one "
                                          "seed): not a file evface wrote"))
        out[method] = {key: (fold, np.array([seeds[k] for k in order])) for key, (fold, seeds) in samples.items()}
    return out


def _trainings(seed_scores: dict[str, dict[tuple[str, int], tuple[str, np.ndarray]]], method: str,
               keys: list[tuple[str, int]], metric: str, mean: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(K, N) values of ``metric`` for ``keys`` from a run's seed scores and their (N,) folds; a method
    the run trained once (or is not trained): its ``mean`` scores as one training."""
    if method not in seed_scores:
        return mean[None], np.zeros(len(keys), np.int64)
    samples = seed_scores[method]
    if any(k not in samples for k in keys):
        raise FormatError(where(path, f"method {method!r} lacks samples of the scores.csv beside it: not a file "
                                      "evface wrote with it"))
    column = SEED_SCORE_COLUMNS.index(metric) - SEED_SCORE_COLUMNS.index("face_ssim")
    values = np.stack([samples[k][1][:, column] for k in keys], 1)
    return (np.minimum(values, PSNR_CAP) if metric.endswith("psnr") else values), np.array([samples[k][0] for k in keys])


def _scored(run_dir: Path) -> tuple[Any, int, Any]:
    """The target grid size the run was scored on (None when unknown), its trainings per part
    (``seeds``, 1 when not recorded) and its protocol (None when unknown), from its metrics.json."""
    path = run_dir / "metrics.json"
    if not path.is_file():
        return None, 1, None
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        seeds = metrics.get("seeds")
        return (metrics.get("grid", {}).get("size"), len(seeds) if isinstance(seeds, list) and seeds else 1,
                metrics.get("protocol"))
    except (ValueError, RecursionError, AttributeError) as exc:  # not JSON, or not an object
        raise FormatError(where(path, f"not a metrics file evface wrote ({exc})")) from exc


def _check_same_samples(a: dict[tuple[str, int], dict[str, str]], b: dict[tuple[str, int], dict[str, str]],
                        path_a: Path, path_b: Path) -> None:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        clip, t = (only_a or only_b)[0]
        clips_a, clips_b = {c for c, _ in a}, {c for c, _ in b}
        how = ("compare runs scored on the same clips: " + pairing_hint(
            path_a.parent, path_b.parent, bool(clips_a - clips_b), bool(clips_b - clips_a),
            "--seed and --test-fraction, or --folds") if clips_a != clips_b
            else "compare runs of one protocol and sample step")
        raise DatasetError(where(path_b, f"its samples differ from those of {path_a} ({len(only_a)} only there, "
                                         f"{len(only_b)} only here, e.g. clip {clip} at {t} µs); {how}"))
    for key, ra in a.items():
        rb = b[key]
        for k in SAMPLE_KEYS:
            if ra[k] != rb[k]:
                raise DatasetError(where(path_b, f"clip {key[0]} has {k} {rb[k]!r} here but {ra[k]!r} in {path_a}: "
                                                 "the runs scored different datasets"))


def _values(rows: list[dict[str, str]], metric: str) -> np.ndarray:
    v = np.array([float(r[metric]) for r in rows])
    return np.minimum(v, PSNR_CAP) if metric.endswith("psnr") else v


@dataclass(frozen=True)
class _Run:
    """What a run's folder gives a comparison: its per-sample scores (:func:`read_scores`), each
    training's (:func:`read_seed_scores`; ``{}``: none), and from its metrics.json the target grid's
    size, its trainings per part and its protocol (:func:`_scored`)."""

    path: Path
    scores: dict[str, dict[tuple[str, int], dict[str, str]]]
    seed_scores: dict[str, dict[tuple[str, int], tuple[str, np.ndarray]]]
    grid: Any
    seeds: int
    protocol: Any


@dataclass(frozen=True)
class _Samples:
    """The paired samples (``keys``), each one's subject, and the selections compared: all, the apex,
    and the apex per lighting."""

    keys: list[tuple[str, int]]
    apex: list[tuple[str, int]]
    subjects: dict[tuple[str, int], str]
    selections: list[tuple[str, list[tuple[str, int]]]]


def compare_runs(run_a: str | Path, run_b: str | Path, names: tuple[str, str] | None = None) -> dict[str, Any]:
    """The paired difference A - B of two reconstruction runs on the same samples (see the module docstring).

    Returns ``{"a", "b", "run_a", "run_b", "n", "n_apex", "n_subjects", "trainings": {"a", "b"}, ["protocols": {"a", "b"}: the runs' protocols where they differ,] ["not_compared":
    {"a", "b"}: the methods only one run scored,] "methods":
    {method: {"all" | "apex" | "apex, <lighting>": {metric: {"a", "b", "diff", "ci", "n", "n_clusters",
    "verdict"}}}}}``; ``trainings``: each run's trainings per part (``--seeds``), whose mean scores it.
    Where either run scored a method with several trainings (its ``seed_scores.csv``), the metric
    also gets ``ci_trainings``, the interval over subjects and both runs' trainings
    (:func:`~evface.tasks.image_metrics.paired_training_interval`), and its verdict follows it.
    """
    run_a, run_b = Path(run_a), Path(run_b)
    names = names or stats.run_names(run_a, run_b)
    a, b = _read_runs(run_a, run_b)
    _check_same_grid(a, b)
    shared = _shared_methods(a, b)
    _check_same_samples(a.scores[shared[0]], b.scores[shared[0]], run_a / SCORES_CSV, run_b / SCORES_CSV)
    samples = _paired_samples(a.scores[shared[0]])
    out = _comparison_head(names, a, b, samples)
    for method in shared:
        if method != shared[0]:
            _check_same_samples(a.scores[method], b.scores[method], run_a / SCORES_CSV, run_b / SCORES_CSV)
        out["methods"][method] = _method_differences(a, b, method, samples, names)
    return out


def _read_runs(run_a: Path, run_b: Path) -> tuple[_Run, _Run]:
    """Both runs' scores, seed scores and metrics, read in that order (the first unreadable file is the one named)."""
    scores = read_scores(run_a), read_scores(run_b)
    seed_scores = read_seed_scores(run_a), read_seed_scores(run_b)
    scored = _scored(run_a), _scored(run_b)
    return (_Run(run_a, scores[0], seed_scores[0], *scored[0]), _Run(run_b, scores[1], seed_scores[1], *scored[1]))


def _check_same_grid(a: _Run, b: _Run) -> None:
    """Refuse a run whose target grid is unknown (:func:`_check_grid_known`) and runs scored on target
    grids of other sizes (their targets differ)."""
    _check_grid_known(a)
    _check_grid_known(b)
    if a.grid != b.grid:
        raise DatasetError(where(b.path / "metrics.json", f"scored on a {b.grid}-pixel grid, {a.path} on a {a.grid}-pixel "
                                                          "one: the targets differ; compare runs of one --size"))


def _check_grid_known(run: _Run) -> None:
    """Refuse a run whose metrics.json is not beside its scores.csv or records no ``grid``: every evface
    that writes scores.csv records the grid it scored on (the grid came first), so such a file is not
    the one written with the scores, and nothing says whose targets they were scored against."""
    if run.grid is None:
        path = run.path / "metrics.json"
        why = (f"records no target grid (grid.size), which evface writes with every {SCORES_CSV}: not the metrics "
               f"file written with the {SCORES_CSV} beside it" if path.is_file() else
               f"not here, and it records the target grid the {SCORES_CSV} beside it was scored on")
        raise DatasetError(where(path, f"{why}; score the run again: evface eval RUN --data DATA"))


def _shared_methods(a: _Run, b: _Run) -> list[str]:
    """The methods both runs scored, in A's order; none is refused naming each run's."""
    shared = [m for m in a.scores if m in b.scores]
    if not shared:
        raise DatasetError(where(b.path / SCORES_CSV, f"no method in common with {a.path} (there: {sorted(a.scores)}, "
                                                      f"here: {sorted(b.scores)})"))
    return shared


def _paired_samples(rows: dict[tuple[str, int], dict[str, str]]) -> _Samples:
    """The samples of one method's rows, in key order, with their subjects and the selections compared."""
    keys = sorted(rows)
    apex = [k for k in keys if at_apex(rows[k])]
    lighting = {k: rows[k]["lighting"] for k in keys}
    selections = [("all", keys), ("apex", apex)] + [(f"apex, {lt}", [k for k in apex if lighting[k] == lt])
                                                    for lt in sorted(set(lighting.values()))]
    return _Samples(keys, apex, {k: rows[k]["subject"] for k in keys}, selections)


def _comparison_head(names: tuple[str, str], a: _Run, b: _Run, samples: _Samples) -> dict[str, Any]:
    """What a comparison says before its differences: the runs, the samples and subjects, the
    trainings, the protocols where they differ and the methods only one run scored."""
    out: dict[str, Any] = {"a": names[0], "b": names[1], "run_a": str(a.path), "run_b": str(b.path),
                           "n": len(samples.keys), "n_apex": len(samples.apex),
                           "n_subjects": len(set(samples.subjects.values())),
                           "trainings": {"a": a.seeds, "b": b.seeds}, "methods": {}}
    if a.protocol and b.protocol and a.protocol != b.protocol:  # same samples, but the methods were given other inputs
        out["protocols"] = {"a": a.protocol, "b": b.protocol}
    alone = {"a": sorted(set(a.scores) - set(b.scores)), "b": sorted(set(b.scores) - set(a.scores))}
    if alone["a"] or alone["b"]:  # compared are the methods both scored; the others are named
        out["not_compared"] = alone
    return out


def _method_differences(a: _Run, b: _Run, method: str, samples: _Samples, names: tuple[str, str]) -> dict[str, Any]:
    """One method's differences per selection of samples (an empty selection left out) and metric
    (one with no sample finite in both runs left out)."""
    entry: dict[str, Any] = {}
    for label, sel in samples.selections:
        if not sel:
            continue
        subj = np.array([samples.subjects[k] for k in sel])
        entry[label] = {}
        for metric in METRICS:
            cell = _difference(a, b, method, sel, subj, metric, names)
            if cell is not None:
                entry[label][metric] = cell
    return entry


def _difference(a: _Run, b: _Run, method: str, sel: list[tuple[str, int]], subj: np.ndarray, metric: str,
                names: tuple[str, str]) -> dict[str, Any] | None:
    """A - B of one metric over the samples ``sel`` finite in both runs (and in every training), with its
    subject-cluster interval, over subjects and trainings where a run trained the method several times,
    and its verdict; ``None`` when no sample is finite."""
    va, vb = _values([a.scores[method][k] for k in sel], metric), _values([b.scores[method][k] for k in sel], metric)
    xa, ua = _trainings(a.seed_scores, method, sel, metric, va, a.path / SEED_SCORES_CSV)
    xb, ub = _trainings(b.seed_scores, method, sel, metric, vb, b.path / SEED_SCORES_CSV)
    ok = np.isfinite(va) & np.isfinite(vb) & np.isfinite(xa).all(0) & np.isfinite(xb).all(0)
    if not ok.any():
        return None
    d = cluster_mean_interval(va[ok] - vb[ok], subj[ok])
    several = d["n_clusters"] > 1
    cell = {"a": float(va[ok].mean()), "b": float(vb[ok].mean()), "diff": d["mean"],
            "ci": d["ci"] if several else None, "n": d["n"], "n_clusters": d["n_clusters"]}
    if several and max(len(xa), len(xb)) > 1:
        cell["ci_trainings"] = paired_training_interval(xa[:, ok], ua[ok], xb[:, ok], ub[ok], subj[ok])["ci"]
    cell["verdict"] = (stats.describe_difference(*names, cell.get("ci_trainings", d["ci"])) if several
                       else "one subject: no interval")
    return cell


def format_comparison(res: dict[str, Any]) -> str:
    """:func:`compare_runs` as a plain-text table.

    Parameters
    ----------
    res : dict
        A comparison of :func:`compare_runs` (or its JSON, read back).

    Returns
    -------
    str
        The line naming the runs, the samples and subjects and how the intervals were made; the line
        saying what each metric is (:data:`METRICS_SAID`: SSIM's settings, PSNR in dB); a row per method,
        selection of samples and metric, each with its 95 % interval and the subjects / samples it rests
        on, its columns as wide as their widest cell; then the notes (few subjects, other protocols, the
        methods not compared, the trainings per fold).
    """
    cells = [d for entry in res["methods"].values() for part in entry.values() for d in part.values()]
    two_level = any("ci_trainings" in d for d in cells)
    lightings = sorted({label for entry in res["methods"].values() for label in entry if label.startswith("apex, ")})
    single = figure_format.one_lighting([label.removeprefix("apex, ") for label in lightings])
    return "\n".join([_head_line(res, two_level), METRICS_SAID]
                     + _table(res, two_level, lightings if single else []) + _comparison_notes(res, two_level, single))


def _head_line(res: dict[str, Any], two_level: bool) -> str:
    """What was paired and how its intervals were made."""
    return (f"A = {res['a']}, B = {res['b']}: {counted(res['n'], 'sample')} ({res['n_apex']} at the apex) of "
            f"{counted(res['n_subjects'], 'subject')}, paired; 95 % intervals from a subject-cluster bootstrap"
            + (", and over subjects and trainings where a run trained a method several times (the verdict "
               "follows it)" if two_level else "")
            + "; each row gives its interval and the subjects / samples it rests on")


def _table(res: dict[str, Any], two_level: bool, unlisted: list[str]) -> list[str]:
    """The column heads and a row per method, selection of samples and metric (:func:`_row`), each
    column as wide as its widest cell and two spaces apart (was: fixed widths, into which an interval
    of more decimals ran on, ``[-0.00025, -0.00005]4 / 28``); the selections in ``unlisted`` (one
    lighting's: said below the table, not repeated) left out."""
    heads = (["method", "samples", "metric", "A", "B", "A - B", "interval"] + (["with trainings"] if two_level else [])
             + ["subjects / samples", "verdict"])
    rows = [heads] + [_row(method, label, metric, d, two_level) for method, entry in res["methods"].items()
                      for label, part in entry.items() if label not in unlisted for metric, d in part.items()]
    right = {heads.index(h) for h in ("A", "B", "A - B")}  # the figures, aligned on their decimal point
    return figure_format.aligned_columns(rows, right)


def _row(method: str, label: str, metric: str, d: dict[str, Any], two_level: bool) -> list[str]:
    """One row's cells: the method, the selection of samples, the metric, its mean in A and in B, the
    difference and its interval(s), the subjects / samples it rests on (the apex's, a lighting's, or
    fewer where a region is not scored) and the verdict."""
    return ([method, label, metric, figure_format.fixed(d["a"], DIGITS[metric]), figure_format.fixed(d["b"], DIGITS[metric]),
             figure_format.fixed(d["diff"], _digits(d, metric), sign="+"), _interval(d["ci"], metric)]
            + ([_interval(d.get("ci_trainings"), metric)] if two_level else [])
            + [f"{d.get('n_clusters', '–')} / {d.get('n', '–')}", d["verdict"]])


def _digits(d: dict[str, Any], metric: str) -> int:
    """The decimals of the difference ``d`` of ``metric``: the metric's, or more where the interval its
    verdict follows excludes 0 but a bound would round to 0 (:func:`~evface.tasks.figure_format.clear_digits`)."""
    return figure_format.clear_digits(d.get("ci_trainings") or d["ci"], DIGITS[metric])


def _interval(ci: list[float] | None, metric: str) -> str:
    """An interval of ``metric`` with its sign, to the metric's decimals (more where it excludes 0 but a
    bound would round to 0: :func:`~evface.tasks.figure_format.clear_digits`); none: ``-``."""
    return figure_format.fixed_interval(ci, figure_format.clear_digits(ci, DIGITS[metric]), sign="+") if ci else "-"


def _comparison_notes(res: dict[str, Any], two_level: bool, single: str | None) -> list[str]:
    """The sentences below the table: the one lighting (``single``), few subjects, other protocols, the
    methods not compared and the trainings per fold."""
    lines = [single] if single else []
    caution = figure_format.few_subjects(res["n_subjects"], figure_format.RECON_COVERAGE)
    if caution:
        lines.append(caution)
    if "protocols" in res:
        lines.append(f"the runs are of other protocols ({res['a']}: {res['protocols']['a']}; {res['b']}: "
                     f"{res['protocols']['b']}): the samples and targets are the same, but each method was given "
                     "other inputs, so the difference includes that of the protocols")
    alone = res.get("not_compared")
    if alone:
        lines.append("not compared, scored by one run only: " + "; ".join(
            f"{', '.join(alone[k])} ({res[k]})" for k in ("a", "b") if alone[k]))
    trainings = res.get("trainings", {"a": 1, "b": 1})
    if trainings["a"] == trainings["b"] == 1:
        lines.append("one training per fold of each run: an interval covers which subjects were tested, not how "
                     "another training seed would come out (train with --seeds N to score the mean of N)")
    else:
        lines.append(f"trainings per fold: {trainings['a']} of {res['a']}, {trainings['b']} of {res['b']} (a run of "
                     "several scores each sample by the mean of its trainings)"
                     + ("" if two_level else "; scored before each training's scores were written (seed_scores.csv): "
                        "the intervals resample subjects only (evface eval RUN scores it again)"))
    return lines
