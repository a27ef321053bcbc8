"""Gather what the report shows from run folders, dataset folders and ``evface run`` outputs.

A folder given to the report may be:

- an ``evface run`` output (it holds ``pipeline.json``): its dataset and every stage run;
- a training run (it holds ``config.json`` with a ``task``): that run and the dataset it names;
  a run without ``metrics.json`` (never evaluated) is an error, not left out silently;
- an evaluation (``evface eval RUN --data DATA --out DIR``: ``metrics.json`` naming its run): the
  run's settings with the scores on DATA, and DATA;
- a dataset folder (it holds ``manifest.csv``).

Every dataset the runs were scored on is summarised, each with the runs scored on it
(:attr:`ReportData.datasets`; the summary is :mod:`evface.report.dataset_summary`), the runs
that differ in one thing are paired (:mod:`evface.report.run_pairs`), and each run's
``metrics.json`` is checked against the per-clip scores beside it (:mod:`evface.report.score_check`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from evface.checks import is_number, source_date_epoch
from evface.errors import DatasetError, EvfaceWarning, FormatError, ParameterError, counted, where
from evface.inputs.flow import check_flow
from evface.io.dataset import DatasetFolder
from evface.report import figures
from evface.report.dataset_summary import dataset_summary
from evface.report.run_pairs import event_vs_frame_comparisons, hd_vs_lr_comparisons, hd_vs_lr_event_comparisons
from evface.report.score_check import check_scores_agree
from evface.tasks.configs import TASK_CONFIGS, as_run_recorded
from evface.tasks.figure_format import checked_interval
from evface.tasks.run_clips import is_training_data, other_data, prints_kept, recorded_clips, seen_in_training
from evface.tasks.run_evaluation import HELD_OUT, scored_by
from evface.tasks.run_folder import (
    STAGE_DONE, TORCH_THREADS, check_fields, check_folder, check_path_text, check_threads, check_written_together,
    finished_stages, reading,
)
from evface.tasks.run_resume import warn_of_version
from evface.tasks.run_scored import check_all_seeds_scored, not_evaluated
from evface.tasks.run_scored import stage_of as evface_stage_of

REPORT_INSTEAD = "leave it out of the report"
"""What else a user may do with a training run whose scores are not whole (:mod:`evface.tasks.run_scored`)."""

PACKAGES = ("evface", "numpy", "scipy", "numba", "torch", "snntorch", "h5py", "opencv-python-headless",
            "scikit-image", "faery", "matplotlib")


@dataclass
class ReportData:
    """Everything the page shows, as plain values and encoded images.

    Parameters
    ----------
    run_dirs : list of Path
        The folders given.
    generated : str
        When the report was made (:func:`generated_time`).
    versions : dict of str to str
        :func:`package_versions`.
    datasets, classify, comparisons, event_sensor_comparisons, reconstruct, sensor_comparisons : list of dict
        What :func:`collect` reads into the sections.
    configs : dict
        Each run's configuration, by name (with ``torch_threads``, the torch threads its training ran
        on, where its ``metrics.json`` records them).
    left_out : list of str
        The stages each ``evface run`` left out.

    Examples
    --------
    >>> data = ReportData(run_dirs=[], generated="2026-01-01 00:00 UTC", versions={"evface": "0.1"})
    >>> data.classify, data.datasets
    ([], [])
    """

    run_dirs: list[Path]
    generated: str
    versions: dict[str, str]
    datasets: list[dict[str, Any]] = field(default_factory=list)
    """Every dataset the runs were scored on (and every dataset folder given), each summarised
    (:func:`dataset_summary`, or ``missing``) with its ``label`` and its ``runs``' names."""
    classify: list[dict[str, Any]] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    event_sensor_comparisons: list[dict[str, Any]] = field(default_factory=list)
    reconstruct: list[dict[str, Any]] = field(default_factory=list)
    sensor_comparisons: list[dict[str, Any]] = field(default_factory=list)
    configs: dict[str, Any] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    """The stages each ``evface run`` left out, and why (its dataset lacks their sensor, say)."""


def checked_folders(run_dirs: object, name: str = "run_dirs") -> list[Path]:
    """``run_dirs`` as a list of :class:`~pathlib.Path`, once it is a list of folders (``str`` or
    ``os.PathLike``); otherwise a ParameterError naming ``name`` (a number was "not iterable", an
    array a NumPy error, a path given as text an AttributeError about ``is_dir``).

    Examples
    --------
    >>> checked_folders(["runs/a", Path("runs/b")])
    [PosixPath('runs/a'), PosixPath('runs/b')]
    >>> checked_folders("runs/a")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: run_dirs must be a list of folders (str or Path), got 'runs/a'
    """
    if (isinstance(run_dirs, (str, bytes, os.PathLike)) or not isinstance(run_dirs, list | tuple)
            or not all(isinstance(d, (str, os.PathLike)) for d in run_dirs)):
        raise ParameterError(f"{name} must be a list of folders (str or Path), got {run_dirs!r:.80}")
    return [Path(d) for d in run_dirs]


def checked_data(data: object) -> ReportData:
    """``data`` once it is a :class:`ReportData` (what :func:`collect` returns); otherwise a
    ParameterError naming ``data`` (was an AttributeError in the section it reached)."""
    if not isinstance(data, ReportData):
        raise ParameterError(f"data must be the ReportData of collect(), got {type(data).__name__}")
    return data


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on.

    Returns
    -------
    dict of str to str
        ``{package: version}``, ``"not installed"`` for a package that is not.

    Examples
    --------
    >>> versions = package_versions()
    >>> "torch" in versions, "numpy" in versions
    (True, True)
    """
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def generated_time(environ: dict[str, str] | os._Environ = os.environ) -> str:
    """When the report is made, as the page says it: now, or the instant ``SOURCE_DATE_EPOCH``
    names (:func:`~evface.checks.source_date_epoch`), so that two reports of the same folders are the
    same bytes; a value that is no such instant is a ParameterError naming it.

    Examples
    --------
    >>> generated_time({"SOURCE_DATE_EPOCH": "1700000000"})
    '2023-11-14 22:13 UTC'
    """
    seconds = source_date_epoch(environ)
    when = _dt.datetime.now(_dt.UTC) if seconds is None else _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # not JSON or UTF-8, 5000 digits, nested past the stack
        raise DatasetError(where(path, f"cannot read JSON ({exc})")) from exc
    if not isinstance(obj, dict):
        raise FormatError(where(path, f"expected a JSON object, got {type(obj).__name__}: not a file evface wrote"))
    return obj


@prints_kept()  # a dataset folder that evaluations scored is hashed once, not for each run and pair of runs
def collect(run_dirs: list[Path]) -> ReportData:
    """Read every folder in ``run_dirs`` into one :class:`ReportData`.

    Every dataset a run was scored on is summarised in :attr:`ReportData.datasets`, with the names of
    its runs; where there are several, each run's entry names its own (``data_label``). A run of a
    newer evface with settings this one does not know is read with a warning
    (:func:`~evface.tasks.run_resume.warn_of_version`). Each clip file whose hash the report needs
    is hashed once (:func:`~evface.tasks.run_clips.prints_kept`).

    Parameters
    ----------
    run_dirs : list of Path
        ``evface run`` outputs, training runs and evaluations (``str`` or ``Path``; else a
        ParameterError naming ``run_dirs``, :func:`checked_folders`).

    Returns
    -------
    ReportData

    Raises
    ------
    DatasetError, FormatError
        A folder that is missing, given twice or not one the report reads, a run file that is
        not as evface writes it, or a ``metrics.json`` whose scores its ``predictions.csv`` or
        ``scores.csv`` contradicts (:func:`~evface.report.score_check.check_scores_agree`); the message
        names it.
    ParameterError
        A ``SOURCE_DATE_EPOCH`` that is not a time (:func:`generated_time`).

    Examples
    --------
    >>> collect([Path("nowhere")])
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: nowhere: no such folder
    """
    run_dirs = checked_folders(run_dirs)
    data = ReportData(run_dirs=run_dirs, versions=package_versions(), generated=generated_time())
    labels = folder_labels(run_dirs)
    several = sum(any((root / name).exists() for name in ("pipeline.json", "config.json", "metrics.json"))
                  for root in run_dirs) > 1
    pipelines = {root: _pipeline(root) for root in run_dirs if (root / "pipeline.json").exists()}
    _refuse_stages_given_with_their_run(run_dirs, pipelines)
    folders: list[Path] = []  # the datasets given or trained on, in the order given
    for root, label in zip(run_dirs, labels, strict=True):
        if root in pipelines:
            folders += _add_pipeline(data, root, pipelines[root], label, several)
        elif (root / "config.json").exists():
            folders += _add_training_run(data, root, label)
        elif (root / "metrics.json").exists():
            _add_evaluation(data, root, label)
        elif (root / "manifest.csv").exists():
            folders.append(root)
        else:
            raise DatasetError(where(root, _none_of_them(root)))
    _check_no_duplicate_evaluation(data.classify + data.reconstruct)
    _describe_datasets(data, folders)
    _pair_runs(data)  # first: a clip its dataset lacks is named as such
    for entry in data.classify + data.reconstruct:  # was: scores its predictions.csv or scores.csv contradicts
        check_scores_agree(entry["dir"])  # shown beside the pairs made of those files
    for run in trained_runs(run_dirs):  # each once (was: said by evface report only)
        warn_of_version(run)
    return data


def _refuse_stages_given_with_their_run(run_dirs: list[Path], pipelines: dict[Path, dict[str, Any]]) -> None:
    """Refuse a folder of ``run_dirs`` that is a stage of an ``evface run`` output given too (in
    ``pipelines``, each output's ``pipeline.json``): it would be shown twice, and paired with
    itself. One :class:`DatasetError` naming the stage and its run."""
    stage_of = {(root / stage["dir"]).resolve(): (root, stage["name"]) for root, p in pipelines.items() for stage in p["stages"]}
    for root in run_dirs:
        if root.resolve() in stage_of:
            run, name = stage_of[root.resolve()]
            raise DatasetError(where(root, f"stage {name} of the run {run}, given too: give each folder once"))


def _add_pipeline(data: ReportData, root: Path, pipeline: dict[str, Any], label: str, several: bool) -> list[Path]:
    """Add the ``evface run`` output ``root`` (its ``pipeline``, shown as ``label``): its
    configuration, the stages it left out and each training stage, named ``LABEL/STAGE`` where the
    report has ``several`` runs. Returns its dataset folder (relative to the run when inside it)."""
    data.configs[f"{label}/pipeline"] = pipeline.get("config", {})
    data.left_out += [f"{label}: " * several + f"{', '.join(entry['stages'])} ({entry['why']})"
                      for entry in pipeline.get("left_out", [])]
    dataset = root / pipeline["data"]
    for stage in pipeline.get("stages", []):
        if stage.get("task") in ("classify", "reconstruct"):
            _check_stage_folder(root, stage)
            name = f"{label}/{stage['name']}" if several else stage["name"]
            _add_run(data, root / stage["dir"], name, stage.get("seconds"), trained_on=dataset,
                     stage_of=(root, stage["name"]))
    return [dataset]


def _add_training_run(data: ReportData, root: Path, label: str) -> list[Path]:
    """Add the training run ``root``, shown as ``label``. Returns the dataset folder its
    ``config.json`` names (none where it names none)."""
    config = _read_json(root / "config.json")
    trained_on = Path(config["data"]) if isinstance(config.get("data"), str) else None
    _add_run(data, root, label, None, trained_on=trained_on)
    return [trained_on] if trained_on is not None else []


def _add_evaluation(data: ReportData, root: Path, label: str) -> None:
    """Add the evaluation ``root`` (``evface eval RUN --data DATA --out DIR``), shown as ``label``:
    its run's settings, its own scores. An evaluation whose run folder is not named or gone is a
    :class:`DatasetError` naming it."""
    evaluation = _read_json(root / "metrics.json")
    run = evaluation.get("run")
    if not isinstance(run, str) or not (Path(run) / "config.json").is_file():
        raise DatasetError(where(root, "an evaluation whose run folder is not named or no longer there "
                                       f"({run}); evaluate the run again into it: evface eval RUN --data DATA "
                                       "--out FOLDER"))
    _add_run(data, root, label, None, settings=Path(run))


def _pair_runs(data: ReportData) -> None:
    """Pair the runs that differ in one thing (:mod:`evface.report.run_pairs`): each event arm with
    each frame arm, hd with lr event arms, and hd with lr reconstruction runs."""
    data.comparisons = event_vs_frame_comparisons(data.classify)
    data.event_sensor_comparisons = hd_vs_lr_event_comparisons(data.classify)
    data.sensor_comparisons = hd_vs_lr_comparisons(data.reconstruct)


def _check_no_duplicate_evaluation(runs: list[dict[str, Any]]) -> None:
    """Refuse an evaluation (``evface eval RUN --data DATA --out DIR``) given with its run where it
    scored the very clips the run was trained on (DATA the run's dataset, or a copy of its files):
    each clip scored by the models that held it out, the run's own test again. Both would be rows of
    the tables, each paired with every other arm (was: shown twice, and every pair twice). One
    :class:`DatasetError` naming the evaluation, as for a stage given with its run."""
    shown = {Path(r["dir"]).resolve(): r["name"] for r in runs}
    for r in runs:
        run = Path(r["run"])
        if r["run"] == r["dir"] or run.resolve() not in shown:
            continue
        scored = Path(r.get("scored_on", ""))
        if "elsewhere" not in r or ((scored / "manifest.csv").is_file() and is_training_data(run, scored)):
            raise DatasetError(where(Path(r["dir"]), f"an evaluation of {run} on the clips it was trained on: the same "
                                                     f"held-out scores as its own, which the report shows as "
                                                     f"{shown[run.resolve()]}; give one of the two folders"))


def _none_of_them(root: Path) -> str:
    """Why the report cannot take the folder ``root``, which is no folder it reads: an ``evface run``
    output that has not finished (its ``stages`` there, but no ``pipeline.json``, written when the
    run ends), naming the stages it finished (:func:`~evface.tasks.run_folder.finished_stages`); a folder of runs given in place of them, naming up to
    three (was: the same words as for an empty folder); the dataset stage of an ``evface run``
    (``OUT/stages/synth-KEY``, its ``stage.json`` alone), naming its run.

    Examples
    --------
    >>> for name in ("runs/k4", "runs/loso", "runs/notes", "quick/stages/rgb-0"):
    ...     Path(name).mkdir(parents=True)
    >>> for name in ("runs/k4/config.json", "runs/loso/config.json"):
    ...     _ = Path(name).write_text("{}")
    >>> _none_of_them(Path("runs"))
    'neither an evface run, a training run, an evaluation nor a dataset folder, but it holds 2 such folders (runs/k4, runs/loso): give those instead'
    >>> _none_of_them(Path("quick"))
    "an evface run that has not finished (its pipeline.json is written when it ends): resume it, 'evface run --out quick' again with the options it was started with"
    """
    if (root / "stages").is_dir():
        done = finished_stages(root)  # was: also the dataset's and one resumed with more seeds
        which = f", or give the stages it finished ({_some(done)})" if done else ""
        return (f"an evface run that has not finished (its pipeline.json is written when it ends): resume it, 'evface "
                f"run --out {root}' again with the options it was started with{which}")
    if root.parent.name == "stages" and _stage_task(root) == "synth":  # the stage that built the dataset
        return (f"the dataset stage of the evface run {root.parent.parent}, which holds no run: give the run "
                f"({root.parent.parent}), or the dataset folder it built")
    said = "neither an evface run, a training run, an evaluation nor a dataset folder"
    inside = sorted(folder for folder in root.iterdir() if folder.is_dir() and any(
        (folder / name).is_file() for name in ("pipeline.json", "config.json", "metrics.json", "manifest.csv")))
    return f"{said}, but it holds {counted(len(inside), 'such folder')} ({_some(inside)}): give those instead" if inside else said


def _stage_task(stage: Path) -> object:
    """The ``task`` the ``stage.json`` of the stage folder ``stage`` names; ``None`` where it has none
    that can be read."""
    try:
        record = json.loads((stage / STAGE_DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record.get("task") if isinstance(record, dict) else None


def _some(folders: list[Path]) -> str:
    """Up to three of ``folders``, and ``...`` where there are more.

    >>> _some([Path("a"), Path("b"), Path("c"), Path("d")])
    'a, b, c, ...'
    """
    return ", ".join(map(str, folders[:3])) + (", ..." if len(folders) > 3 else "")


def trained_runs(run_dirs: list[Path]) -> list[Path]:
    """The training run folders whose settings the report of ``run_dirs`` shows, each once: every
    stage of an ``evface run`` output, every training run, and the run of every evaluation (read
    as :func:`collect` reads them, which checks their files).

    Parameters
    ----------
    run_dirs : list of Path
        The report's folders.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> Path("run1").mkdir()
    >>> _ = Path("run1/config.json").write_text("{}")  # a training run
    >>> trained_runs([Path("run1"), Path("run1")])
    [PosixPath('run1')]
    """
    found: list[Path] = []
    for root in checked_folders(run_dirs):
        if (root / "pipeline.json").exists():
            found += [root / stage["dir"] for stage in _pipeline(root)["stages"]
                      if stage["task"] in ("classify", "reconstruct")]
        elif (root / "config.json").exists():
            found.append(root)
        elif (root / "metrics.json").exists():
            found.append(Path(_read_json(root / "metrics.json")["run"]))
    return list({folder.resolve(): folder for folder in found}.values())


def _describe_datasets(data: ReportData, folders: list[Path]) -> None:
    """Summarise every dataset of the report into :attr:`ReportData.datasets`: ``folders`` (given or
    trained on) first, then those only evaluations scored; with several, label each run's entry
    with its dataset's name (``data_label``)."""
    runs = [r for r in data.classify + data.reconstruct if "scored_on" in r]
    order: dict[Path, Path] = {}
    for folder in [*folders, *(Path(r["scored_on"]) for r in runs)]:
        order.setdefault(folder.resolve(), folder)
    names = short_names(list(order.values()))
    for (key, folder), name in zip(order.items(), names, strict=True):
        summary = (dataset_summary(DatasetFolder.open(folder)) if (folder / "manifest.csv").exists()
                   else {"root": str(folder), "missing": True})
        scored = [r for r in runs if Path(r["scored_on"]).resolve() == key]
        summary |= {"label": name, "runs": [r["name"] for r in scored]}
        if not summary.get("missing"):
            summary |= _changed_since_training(folder, [r for r in scored if "elsewhere" not in r])
        data.datasets.append(summary)
    if len(data.datasets) > 1:
        label = dict(zip(order, names, strict=True))
        for r in runs:
            r["data_label"] = label[Path(r["scored_on"]).resolve()]


def _changed_since_training(folder: Path, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"changed": {why: [run names]}}`` where the dataset folder ``folder`` no longer holds the
    clips that ``runs`` (runs scored on it as on their training data) were trained and tested on:
    rows added or removed, or clip files of other sizes (rendered again) since; their sizes only, not
    their hashes, so that a report does not read every clip (:func:`~evface.tasks.run_clips.other_data`);
    a run older than that record (no ``data-clips.json``) is not checked: it knows its dataset by the
    folder's path only, which a copied run does not keep.
    Each such finding is also a warning line, for the page summarises the folder as it is now (was:
    "11 clips" above the scores of the 12 the runs tested, without a word); ``{}`` where none differ."""
    changed: dict[str, list[str]] = {}
    for r in runs:
        why = other_data(r["run"], folder, hashed=False) if recorded_clips(r["run"]) is not None else None
        if why is not None:
            changed.setdefault(why, []).append(r["name"])
    for why, names in changed.items():
        warnings.warn(where(folder, f"changed since {', '.join(names)} {'was' if len(names) == 1 else 'were'} trained "
                                    f"on it ({why}): the report summarises the dataset as it is now, not the clips "
                                    "those runs were trained and tested on"), EvfaceWarning, stacklevel=2)
    return {"changed": changed} if changed else {}


def short_names(folders: list[Path]) -> list[str]:
    """Each folder's shortest tail of path parts that no other folder of ``folders`` ends with.

    Parameters
    ----------
    folders : list of Path
        Dataset folders, each once.

    Returns
    -------
    list of str

    Examples
    --------
    >>> short_names([Path("/runs/a/data"), Path("/runs/b/data"), Path("/sets/d2")])
    ['a/data', 'b/data', 'd2']
    """
    if isinstance(folders, (str, bytes)) or not isinstance(folders, list | tuple) or not all(
            isinstance(f, Path) for f in folders):
        raise DatasetError(f"folders must be a list of run folders (Path), got {folders!r:.80}")
    parts = [f.resolve().parts for f in folders]
    out = []
    for mine in parts:
        k = 1
        while k < len(mine) and any(other != mine and other[-k:] == mine[-k:] for other in parts):
            k += 1
        out.append("/".join(mine[-k:]).lstrip("/") or str(folders[parts.index(mine)]))
    return out


def _pipeline(root: Path) -> dict[str, Any]:
    """The ``pipeline.json`` of the ``evface run`` output ``root``, checked as a received file: its
    stages' folders must lie inside it."""
    pipeline = _read_json(root / "pipeline.json")
    with reading(root / "pipeline.json"):
        check_fields(pipeline, {"data": str, "stages": list})
        check_path_text(pipeline["data"])
        check_fields(pipeline, {"left_out": list} if "left_out" in pipeline else {})  # recorded since 2026-12-05
        for entry in pipeline.get("left_out", []):
            check_fields(entry, {"stages": list, "why": str})
            if not all(isinstance(name, str) for name in entry["stages"]):
                raise ValueError(f"'stages' of 'left_out' is {entry['stages']!r:.60}, not a list of stage names")
        for stage in pipeline["stages"]:
            check_fields(stage, {"name": str, "task": str, "dir": str})
            if "seconds" in stage:  # the stage's training time in the page (a string was blamed on its metrics.json)
                check_fields(stage, {"seconds": (int, float)})
            check_folder(stage["dir"])
    return pipeline


def _check_stage_folder(root: Path, stage: dict[str, Any]) -> None:
    """Refuse a stage that the ``pipeline.json`` of the ``evface run`` output ``root`` lists but
    whose folder is gone or holds no ``config.json`` (deleted, or left out of a copy): one
    :class:`DatasetError` naming the folder and the stage (was: "cannot read JSON ([Errno 2] No
    such file or directory ...)" about its ``config.json``)."""
    folder = root / stage["dir"]
    if not (folder / "config.json").is_file():
        what = ("holds no config.json (part of it left out of a copy?); copy it again, or delete it and" if folder.is_dir()
                else "is missing (deleted, or left out of a copy); put it back, or")
        raise DatasetError(where(folder, f"the folder of stage {stage['name']}, which {root / 'pipeline.json'} lists, "
                                         f"{what} run the run's evface run command again, which trains that stage "
                                         "again"))


def folder_labels(run_dirs: list[Path]) -> list[str]:
    """Each folder's name in the report: its own name, or the path as given where two names are alike.

    A folder given twice (under any spelling of its path) or missing is a :class:`DatasetError`
    naming it, so that no two runs of a report share a name (the tables and configurations are
    keyed by it; with several ``evface run`` folders their stages are named ``FOLDER/STAGE``).

    Parameters
    ----------
    run_dirs : list of Path
        The report's folders.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from pathlib import Path
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     for folder in ("a/quick", "b/quick", "c1"):
    ...         (root / folder).mkdir(parents=True)
    ...     print(folder_labels([root / "a/quick", root / "c1"]))
    ...     print([label.replace(str(root), "ROOT") for label in folder_labels([root / "a/quick", root / "b/quick"])])
    ['quick', 'c1']
    ['ROOT/a/quick', 'ROOT/b/quick']
    """
    seen: dict[Path, Path] = {}
    for root in checked_folders(run_dirs):
        if not root.is_dir():
            raise DatasetError(where(root, "is a file, not a folder" if root.exists() else "no such folder"))
        if root.resolve() in seen:
            first = seen[root.resolve()]
            again = "given twice" if str(first) == str(root) else f"the folder {first} again"
            raise DatasetError(where(root, f"{again}: give each folder once"))
        seen[root.resolve()] = root
    names = [root.resolve().name for root in run_dirs]
    return [str(root) if names.count(name) > 1 else name for root, name in zip(run_dirs, names, strict=True)]


def _add_run(data: ReportData, run: Path, name: str, seconds: float | None, settings: Path | None = None,
             trained_on: Path | None = None, stage_of: tuple[Path, str] | None = None) -> None:
    """Add the run whose scores are in ``run`` (its settings and training in ``settings``, the run
    folder of an evaluation; else ``run`` itself), trained on the dataset folder ``trained_on``
    (default: the one its configuration names). ``stage_of``: the ``evface run`` folder and stage
    name of a stage, for the words of a stage not evaluated (:func:`~evface.tasks.run_scored.not_evaluated`).

    The entry's ``scored_on`` is the dataset folder its scores are of: ``trained_on``, or the one
    its ``metrics.json`` names where an evaluation (``evface eval``, into its own folder or into
    the run's) scored another; then ``elsewhere`` says in words what was done."""
    settings = settings or run
    config = as_run_recorded(_read_json(settings / "config.json"))  # an older run's settings as it was trained
    with reading(settings / "config.json"):  # what the report branches on (was: TypeError of a list or null)
        check_fields(config, {key: str for key in ("task", "data") if key in config})
    metrics_path = run / "metrics.json"
    if not metrics_path.exists():
        raise FormatError(where(metrics_path, not_evaluated(run, stage_of, REPORT_INSTEAD)))
    metrics = _read_json(metrics_path)
    check_written_together(run)  # was: scores.csv or predictions.csv of a later, stopped evaluation read with it
    if settings == run:  # a training run's own scores: of every training its config.json now lists
        check_all_seeds_scored(config, metrics, run, stage_of, REPORT_INSTEAD)
    entry = {"name": name, "dir": str(run), "run": str(settings), "config": config, "metrics": metrics,
             "train_seconds": seconds if seconds is not None else metrics.get("train_seconds")}
    trained_by = stage_of or evface_stage_of(settings)
    if trained_by is not None:  # trained by evface run: more seeds by evface run --seeds N, not evface train
        entry["stage_of"] = str(trained_by[0])
    named = config.get("data") if isinstance(config.get("data"), str) else None
    trained_on = trained_on or (Path(named) if named else None)
    scored = metrics.get("data") if isinstance(metrics.get("data"), str) else None
    for path, folder in ((settings / "config.json", named), (metrics_path, scored)):
        with reading(path):
            check_path_text(folder or "")
    # a training run's metrics name the folder its config does (the same text, even after the run moved)
    if scored is not None and scored != named and (named is None or Path(scored).resolve() != Path(named).resolve()):
        entry["scored_on"] = scored
        entry["elsewhere"] = _scored_elsewhere(settings, config, metrics, Path(scored), trained_on)
    elif trained_on is not None:
        entry["scored_on"] = str(trained_on)
    evaluated = scored is not None and (run != settings or "elsewhere" in entry)  # by evface eval
    with reading(metrics_path):
        check_threads(metrics)
    threads = {key: metrics[key] for key in (TORCH_THREADS,) if key in metrics}  # the count a rerun gives --threads
    data.configs[name] = {**config, "scored_on": scored, **threads} if evaluated else {**config, **threads}
    if config.get("task") == "classify":
        with reading(settings / "config.json"):  # what pairs it with other arms (was: AttributeError of a spec not an object)
            check_fields(config, {"spec": dict} if "spec" in config else {})
            if config.get("input") == "rgb-flow":  # the flow the report names (was: "Optical flow of run: None.")
                check_flow(config.get("flow"), "flow")
        with reading(metrics_path):
            _check_intervals(metrics)
        if metrics.get("confusion_matrix") is not None:
            with reading(metrics_path):  # a received file's matrix or labels of another type: one line naming it
                entry["confusion_png"] = figures.confusion_png(metrics["confusion_matrix"], metrics.get("labels", []), name)
        data.classify.append(entry)
    elif config.get("task") == "reconstruct":
        with reading(metrics_path):  # was: a run without them left out of the tables of scores without a word
            check_fields(metrics, {"methods": dict})
            for scores in metrics["methods"].values():
                check_fields(scores, {"all": dict, "apex": dict})
        entry["strips"] = [(p.name, p.read_bytes()) for p in sorted(run.glob("*.png"))]
        entry["training"] = _training(settings, config)
        data.reconstruct.append(entry)
    if config.get("task") in TASK_CONFIGS:
        with reading(settings / "config.json"):  # its settings, as evface eval reads them (was: a setting the page
            TASK_CONFIGS[config["task"]].from_dict(config)  # does not show, such as an events run's flow, not read)


def _check_intervals(metrics: dict[str, Any]) -> None:
    """Check the scores and intervals of a classification's received ``metrics``, those the page shows
    (:data:`FRACTIONS`, ``ci`` and ``ci_trainings``, over all clips and per lighting): each score a
    fraction in [0, 1] where it is a finite number (else a ValueError naming its key), each interval
    ``None`` or two numbers, the low one first (else a ParameterError naming its key; was: one given
    high first shown as given), its finite bounds fractions too.

    Examples
    --------
    >>> _check_intervals({"ci": {"top1": [0.4, 0.6], "uf1": None}, "per_lighting": {"dim": {"ci": {"top1": [0.5, 0.5]}}}})
    >>> _check_intervals({"ci": {"top1": [0.4, 0.6]}, "per_lighting": {"dim": {"ci_trainings": {"top1": [0.6, 0.4]}}}})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: 'per_lighting' 'dim' 'ci_trainings' 'top1' must be an interval [low, high] of two numbers, the low one first, got [0.6, 0.4]
    """
    lightings = metrics.get("per_lighting") or {}
    check_fields(metrics, {"per_lighting": dict} if lightings else {})
    for place, part in [("", metrics)] + [(f"'per_lighting' {name!r} ", p) for name, p in lightings.items()]:
        check_fields(part, {})  # a JSON object
        for key in FRACTIONS + (("train_top1",) if part is metrics else ()):
            if not _fraction(part.get(key)):  # was: a UAR of 1.7 shown as it stood
                raise ValueError(f"{place}{key!r} is {part[key]!r:.40}, not a fraction in [0, 1]")
        for key in ("ci", "ci_trainings"):
            intervals = part.get(key) or {}
            check_fields(part, {key: dict} if intervals else {})
            for metric, ci in intervals.items():
                if ci is not None and not all(map(_fraction, checked_interval(f"{place}{key!r} {metric!r}", ci))):
                    raise ValueError(f"{place}{key!r} {metric!r} is {ci!r:.60}, not an interval of fractions in [0, 1]")


FRACTIONS = ("top1", "macro_f1", "uf1", "uar")
"""The scores of a classification's ``metrics.json`` (over all clips and per lighting) that are fractions."""


def _fraction(value: object) -> bool:
    """Whether ``value``, a score of a received ``metrics.json``, may stand as a fraction: in [0, 1],
    NaN or infinite (shown as not finite), ``None`` or no number (the page's formats name that)."""
    return not is_number(value) or not math.isfinite(value) or 0 <= value <= 1


def _training(settings: Path, config: dict[str, Any]) -> dict[str, Any]:
    """A reconstruction run's ``train.json`` (``{}`` when absent), the counts the page shows of it
    and of its ``config`` (each model's epochs run and best epoch, the run's ``epochs``) checked:
    a value of another type is one :class:`FormatError` naming the file that holds it (it was
    blamed on the run's ``metrics.json``)."""
    if "epochs" in config:
        with reading(settings / "config.json"):
            check_fields(config, {"epochs": int})
    path = settings / "train.json"
    if not path.exists():
        return {}
    training = _read_json(path)
    with reading(path):
        check_fields(training, {"parts": list} if "parts" in training else {})
        for part in training.get("parts", []):
            check_fields(part, {})  # a JSON object
            for fit in (part.get(model) for model in ("cvae", "e2vid")):
                if fit:
                    check_fields(fit, {"epochs_run": int, "best_epoch": int, "stopped_early": bool,
                                       "best_score": (int, float)})
    return training


SAME_FILES = ("its clips are the very files the run was trained on (their sizes and sha256 hashes match), so each "
              "was scored by the models that held out a subject of its name, as in the run's own test")
"""What an evaluation on a copy of the run's training data did, in the words of the report."""


def _scored_elsewhere(run: Path, config: dict[str, Any], metrics: dict[str, Any], scored: Path,
                      trained: Path | None) -> str:
    """What an evaluation of the run ``run`` on the dataset folder ``scored``, not the one it was
    trained on, did, in words: which models scored which clips.

    Where every scored clip's manifest row is one the run was trained and tested on
    (:func:`~evface.tasks.run_clips.seen_in_training`: the same clips in another folder, or clips
    of the same rows rendered again with other event noise), each was scored by
    the models that held out a subject of its name, as in the run's own test; that is said, so
    that it does not read as a cross-validation on ``scored``, and whether the clips are the very
    files the run was trained on (:data:`SAME_FILES`, where the run recorded their hashes:
    :func:`~evface.tasks.run_clips.is_training_data`) or may differ. An evaluation that says it itself
    (its ``evaluated_on`` in the same words, :func:`~evface.tasks.run_evaluation.scored_elsewhere`) is
    shown as it says.
    """
    evaluated = metrics.get("evaluated_on", "clips as recorded in its metrics.json")
    if str(evaluated).startswith("scored on "):
        return str(evaluated)
    protocol = config.get("protocol") or config.get("evaluation")
    if (scored / "manifest.csv").exists() and "data" in config:  # a run that names no dataset: nothing to match
        seen = seen_in_training(run, scored, list(DatasetFolder.open(scored).rows))
        if seen and all(seen):
            return (f"{scored_by(scored, trained, protocol)}; "
                    + (SAME_FILES if is_training_data(run, scored) else
                       f"{HELD_OUT}, as in the run's own test (the clips may differ: rendered again, e.g. with other "
                       "event noise)"))
    # an older evaluation's own words, which may name the protocol already ("every subject, leave-one-subject-out")
    return f"{scored_by(scored, trained, None if protocol and protocol in str(evaluated) else protocol)}: {evaluated}"
