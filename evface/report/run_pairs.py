"""The paired differences the report shows of runs that differ in one thing: events against frames,
hd against lr events (classification) and hd against lr (reconstruction).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evface.errors import DatasetError, FormatError, where
from evface.io.atomic_files import read_text
from evface.io.manifest import CLIP_KEY_COLUMNS, read_manifest, row_key
from evface.tasks import recon_compare
from evface.tasks.class_compare import PREDICTIONS, compare_runs
from evface.tasks.recon_eval import SCORES_CSV
from evface.tasks.run_clips import file_print, recorded_clips
from evface.tasks.run_folder import VERSION


@dataclass(frozen=True)
class ScoredClips:
    """The clips whose scores a run of the report holds (its own test, or an evaluation's): the
    dataset folder, and where known its manifest rows (:func:`~evface.io.manifest.row_key` lists,
    sorted) and their files' :func:`~evface.tasks.run_clips.file_print` (``None`` where not known).

    Parameters
    ----------
    folder : Path or None
        The dataset folder.
    rows : list of list of str, optional
        Its manifest rows' keys.
    files : list of list, optional
        Their files' prints, in the order of ``rows``.

    Examples
    --------
    >>> ScoredClips(Path("d1"), [["c0", "s0"]]).files is None
    True
    """

    folder: Path | None
    rows: list[list[str]] | None = None
    files: list[list[Any]] | None = None


def _scored_clips(run: dict[str, Any], folders: dict[Path, ScoredClips]) -> ScoredClips:
    """The :class:`ScoredClips` of the report entry ``run``: those its training run recorded
    (``data-clips.json``) where it scored them (the run's own test, or an evaluation on its dataset);
    for an evaluation on another dataset folder, that folder's rows and files, read once per folder
    (``folders`` keeps them; within :func:`~evface.tasks.run_clips.prints_kept`, as in a report,
    each file is hashed once for all lists of pairs); for a run made before ``data-clips.json``,
    its folder only."""
    folder = Path(run["scored_on"]).resolve() if run.get("scored_on") else None
    if "elsewhere" not in run:
        recorded = recorded_clips(run.get("run", run["dir"]))
        return ScoredClips(folder) if recorded is None else ScoredClips(folder, [list(k) for k in recorded[0]], recorded[1])
    if folder is not None and folder not in folders and (folder / "manifest.csv").is_file():
        ordered = sorted((row_key(r), r["file"]) for r in read_manifest(folder))  # as data-clips.json lists them
        folders[folder] = ScoredClips(folder, [list(k) for k, _ in ordered], [file_print(folder / f) for _, f in ordered])
    return ScoredClips(folder) if folder is None else folders.get(folder, ScoredClips(folder))


def other_clips(a: dict[str, Any], b: dict[str, Any], folders: dict[Path, ScoredClips]) -> str | None:
    """Why the report entries ``a`` and ``b`` are not paired although their clips may have the same
    ids: the same manifest rows in other files (the dataset rendered again, e.g. with other event
    noise: other clips), or, where a run is older than the record of its clips, other dataset
    folders, which nothing can tell alike; ``None`` where they scored the same clips as far as the
    runs tell (rows that differ are named by the comparison itself; a run that recorded its rows
    but not its files is taken at its rows).

    Parameters
    ----------
    a, b : dict
        Report entries: ``name``, ``dir`` or ``run``, ``scored_on`` and, for an evaluation on
        another dataset, ``elsewhere``.
    folders : dict of Path to ScoredClips
        The dataset folders read so far (filled here).

    Returns
    -------
    str or None

    Examples
    --------
    >>> rows = [["c0", "s0"]]
    >>> a = {"name": "events-hd", "scored_on": "d1", "elsewhere": "..."}
    >>> b = {"name": "rgb", "scored_on": "d2", "elsewhere": "..."}
    >>> folders = {Path(p).resolve(): ScoredClips(Path(p), rows, [[3, h]]) for p, h in (("d1", "ab"), ("d2", "cd"))}
    >>> other_clips(a, b, folders)
    'scored on other clips: events-hd on d1, rgb on d2, which have the same manifest rows but other clip files (the dataset rendered again, e.g. with other event noise); score both on one dataset (evface eval RUN --data DATA --out DIR) and compare the two DIRs'
    """
    ca, cb = _scored_clips(a, folders), _scored_clips(b, folders)
    where = (f"{a['name']} on {a.get('scored_on')}, {b['name']} on {b.get('scored_on')}" if ca.folder != cb.folder
             else f"{a['name']} and {b['name']} on {a.get('scored_on')} as it was when each was trained")
    if ca.rows is not None and cb.rows is not None:
        if ca.rows != cb.rows or ca.files is None or cb.files is None or ca.files == cb.files:
            return None
        why = (f"scored on other clips: {where}, which have the same manifest rows but other clip files (the dataset "
               "rendered again, e.g. with other event noise)")
    elif ca.folder == cb.folder:
        return None
    else:
        why = (f"scored on other dataset folders: {where}, which evface cannot tell hold the same clips (a run older "
               "than the record of its clips, data-clips.json)")
    return f"{why}; score both on one dataset (evface eval RUN --data DATA --out DIR) and compare the two DIRs"


CHECKED_COLUMNS = ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us", "offset_us")
"""The columns of a per-clip scores file (``predictions.csv``, ``scores.csv``) that must be those of a
manifest row of the dataset the run was scored on, where the file has them."""


def check_clips_known(scores: Path, rows: list[list[str]], dataset: object) -> None:
    """Refuse the per-clip scores file ``scores`` (``predictions.csv`` or ``scores.csv``) where a clip
    of it is no manifest row of the dataset it was scored on (``rows``, :func:`~evface.io.manifest.row_key`
    lists; ``dataset`` names it in the message): a clip that dataset lacks, or one of another subject,
    label or lighting, would be paired and counted (was: "4 / 13" subjects / clips beside a dataset of
    3 subjects and 12 clips). One :class:`FormatError` naming the file and the clip.

    Parameters
    ----------
    scores : Path
        The file.
    rows : list of list of str
        The dataset's manifest rows' keys.
    dataset : object
        What names the dataset (a folder, or the run's ``data-clips.json``).

    Examples
    --------
    >>> _ = Path("predictions.csv").write_text("clip_id,subject,lighting,label,prediction\\nc0,s0,dim,AU4,AU4\\n"
    ...                                        "c9,s9,dim,AU4,AU4\\n")
    >>> check_clips_known(Path("predictions.csv"), [["c0", "s0", "AU4", "4", "dim", "0", "5", "9", "10", ""]], "d1")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: predictions.csv: clip c9 (subject s9, label AU4, lighting dim) is no clip of the dataset it was scored on (d1): not a file evface wrote of it; score the run again (evface eval RUN --data DATA)
    """
    with io.StringIO(read_text(scores), newline="") as f:
        reader = csv.DictReader(f)
        columns = [c for c in CHECKED_COLUMNS if c in (reader.fieldnames or ())]
        index = [CLIP_KEY_COLUMNS.index(c) for c in columns]
        known = {tuple(row[i] for i in index) for row in rows}
        for line in reader:
            clip = tuple(line.get(c) or "" for c in columns)
            if clip not in known:
                said = ", ".join(f"{c} {v}" for c, v in zip(columns[1:], clip[1:], strict=True) if not c.endswith("_us"))
                raise FormatError(where(scores, f"clip {clip[0]} ({said}) is no clip of the dataset it was scored on "
                                                f"({dataset}): not a file evface wrote of it; score the run again "
                                                "(evface eval RUN --data DATA)"))


def scored_rows(run_dir: str | Path) -> tuple[list[list[str]], str] | None:
    """The manifest rows (:func:`~evface.io.manifest.row_key` lists) of the dataset the scores in the run
    or evaluation folder ``run_dir`` are of, and what names it: a training run's own scores, those its
    ``data-clips.json`` records (wherever the dataset moved); an evaluation's (its ``metrics.json`` naming
    another ``data`` than its ``config.json``, or a folder of its own), that folder's manifest; ``None``
    where neither is known (a run made before ``data-clips.json``, a dataset folder gone).

    Parameters
    ----------
    run_dir : str or Path
        A run or evaluation folder.

    Returns
    -------
    tuple of (list of list of str, str), or None
    """
    run = Path(run_dir)
    scored, trained = (_named_data(run / name) for name in ("metrics.json", "config.json"))
    if (run / "config.json").is_file() and scored in (None, trained):  # a training run's own test
        recorded = recorded_clips(run)
        if recorded is not None:
            return [list(k) for k in recorded[0]], f"the clips {run / 'data-clips.json'} records"
    if scored is not None and (Path(scored) / "manifest.csv").is_file():
        return [list(row_key(r)) for r in read_manifest(scored)], scored
    return None


def check_scored_clips(run_dir: str | Path, scores: str) -> None:
    """Refuse the per-clip scores file ``scores`` of the run or evaluation folder ``run_dir`` where a clip
    of it is no row of the dataset it was scored on (:func:`check_clips_known` against
    :func:`scored_rows`); nothing where that dataset is not known.

    Parameters
    ----------
    run_dir : str or Path
        A run or evaluation folder.
    scores : str
        Its per-clip scores file's name (``predictions.csv`` or ``scores.csv``).
    """
    known = scored_rows(run_dir)
    if known is not None:
        check_clips_known(Path(run_dir) / scores, *known)


def _named_data(path: Path) -> str | None:
    """The ``data`` folder the JSON file ``path`` names; ``None`` where it names none (its reader names
    what else is wrong with it)."""
    try:
        data = json.loads(read_text(path)).get("data") if path.is_file() else None
    except (ValueError, AttributeError, RecursionError):
        return None
    return data if isinstance(data, str) else None


def _compare_pairs(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]],
                   compare: Callable[..., dict[str, Any]], scores: str) -> list[dict[str, Any]]:
    """``compare(a, b)`` of each pair of runs, or ``{"a", "b", "error"}`` when they scored other
    clips (:func:`other_clips`: was paired where only the files differed), their clips or samples
    differ, or a run has no per-clip or per-sample ``scores`` file (scored before evface wrote it, or
    left out of a copy; it was left out of the pairs without a word)."""
    out = []
    folders: dict[Path, ScoredClips] = {}
    checked: set[str] = set()  # a run's clips, checked once however many pairs it is in
    for a, b in pairs:
        other = other_clips(a, b, folders)
        if other is not None:
            out.append({"a": a["name"], "b": b["name"], "error": other})
            continue
        lacking = [r["name"] for r in (a, b) if not (Path(r["dir"]) / scores).exists()]
        if lacking:
            out.append({"a": a["name"], "b": b["name"], "error": f"no {scores} in {' and '.join(lacking)} (left out "
                        "of a copy, or scored before evface wrote it: evface eval RUN --data DATA writes it)"})
            continue
        try:
            compared = compare(a["dir"], b["dir"], names=(a["name"], b["name"]))  # reads the files: a line cut
        except DatasetError as exc:  # short is named as such
            out.append({"a": a["name"], "b": b["name"], "error": str(exc)})
            continue
        for run in (a["dir"], b["dir"]):  # a clip its dataset lacks would be paired and counted
            if str(run) not in checked:
                check_scored_clips(run, scores)
                checked.add(str(run))
        out.append(compared)
    return out


def _alike(hd: list[dict[str, Any]], lr: list[dict[str, Any]],
           key: Callable[[dict[str, Any]], str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (hd, lr) pair of runs with the same ``key``, each run's key computed once (it reads
    the run's ``data-clips.json``)."""
    lr_keys = [key(b) for b in lr]
    return [(a, b) for a in hd for ka in [key(a)] for b, kb in zip(lr, lr_keys, strict=True) if ka == kb]


def _trained_on(run: dict[str, Any]) -> Any:
    """What a run was trained on, for pairing runs: the clips of its ``data-clips.json`` with their
    files' sizes and hashes where recorded (so a dataset moved or copied between two trainings is
    still the same dataset, and the same rows rendered again with other event noise are not), or,
    for a run made before that file, the dataset folder its configuration names."""
    recorded = recorded_clips(run.get("run", run["dir"]))  # an evaluation's: its run's (was: its own folder's, none)
    return [recorded[0], recorded[1]] if recorded is not None else run["config"].get("data")


def event_vs_frame_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference of every event arm against every frame (RGB) arm scored on the same clips.

    A pair scored on different clips, or of a run without ``predictions.csv``, gets ``{"a", "b",
    "error"}`` instead of a comparison.

    Parameters
    ----------
    runs : list of dict
        The report's runs: ``name``, ``dir``, ``config`` (its ``input``).

    Returns
    -------
    list of dict
        A comparison per pair, or ``{"a", "b", "error"}``.

    Examples
    --------
    >>> for name in ("ev", "rgb"):
    ...     Path(name).mkdir()
    >>> runs = [{"name": "ev", "dir": "ev", "config": {"input": "events"}},
    ...         {"name": "rgb", "dir": "rgb", "config": {"input": "rgb"}}]
    >>> event_vs_frame_comparisons(runs)
    [{'a': 'ev', 'b': 'rgb', 'error': 'no predictions.csv in ev and rgb (left out of a copy, ...)'}]
    """
    events = [r for r in runs if r["config"].get("input") == "events"]
    frames = [r for r in runs if r["config"].get("input") != "events"]
    return _compare_pairs(((a, b) for a in events for b in frames), compare_runs, PREDICTIONS)


def hd_vs_lr_event_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference hd - lr of every two event classification runs that differ only in the sensor.

    "Only in the sensor": the same configuration but for ``sensor`` (and the device and the torch
    ``threads`` the run used, which a run made before 2026-12-06 does not record), so the same model,
    protocol and clips. A pair scored on different clips, or of a run without
    ``predictions.csv``, gets ``{"a", "b", "error"}``.

    Parameters
    ----------
    runs : list of dict
        The report's runs: ``name``, ``dir``, ``config`` (its ``input`` and ``sensor``).

    Returns
    -------
    list of dict
        A comparison per pair, or ``{"a", "b", "error"}``.

    Examples
    --------
    >>> runs = [{"name": "hd", "dir": "hd", "config": {"input": "events", "sensor": "hd", "width": 16}},
    ...         {"name": "lr", "dir": "lr", "config": {"input": "events", "sensor": "lr", "width": 32}}]
    >>> hd_vs_lr_event_comparisons(runs)  # another width: not a pair
    []
    """
    def key(r: dict[str, Any]) -> str:
        config = {k: v for k, v in r["config"].items() if k not in ("sensor", "device", "threads", "models", VERSION)}
        config["spec"] = {k: v for k, v in config.get("spec", {}).items() if k != "sensor"}
        config["data"] = _trained_on(r)
        return json.dumps(config, sort_keys=True, default=str)

    events = [r for r in runs if r["config"].get("input") == "events"]
    hd = [r for r in events if r["config"].get("sensor") == "hd"]
    lr = [r for r in events if r["config"].get("sensor") == "lr"]
    return _compare_pairs(_alike(hd, lr, key), compare_runs, PREDICTIONS)


def hd_vs_lr_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference hd - lr of every two reconstruction runs that differ only in the sensor.

    "Only in the sensor": the same dataset and sample spec but for ``sensor`` (so the same samples
    on the same grid). A pair whose samples differ, or of a run without ``scores.csv``, gets
    ``{"a", "b", "error"}``.

    Parameters
    ----------
    runs : list of dict
        The report's runs: ``name``, ``dir``, ``config`` (its ``sensor`` and ``spec``).

    Returns
    -------
    list of dict
        A comparison per pair, or ``{"a", "b", "error"}``.

    Examples
    --------
    >>> runs = [{"name": "hd", "dir": "hd", "config": {"sensor": "hd", "spec": {"size": 64}}},
    ...         {"name": "lr", "dir": "lr", "config": {"sensor": "lr", "spec": {"size": 32}}}]
    >>> hd_vs_lr_comparisons(runs)  # samples on another grid: not a pair
    []
    """
    def key(r: dict[str, Any]) -> str:
        spec = {k: v for k, v in r["config"].get("spec", {}).items() if k != "sensor"}
        return json.dumps([_trained_on(r), spec], sort_keys=True)

    hd = [r for r in runs if r["config"].get("sensor") == "hd"]
    lr = [r for r in runs if r["config"].get("sensor") == "lr"]
    return _compare_pairs(_alike(hd, lr, key), recon_compare.compare_runs, SCORES_CSV)
