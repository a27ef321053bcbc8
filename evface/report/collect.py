"""Gather what the report shows from run folders, dataset folders and ``evface run`` outputs.

A folder given to the report may be:

- an ``evface run`` output (it holds ``pipeline.json``): its dataset and every stage run;
- a training run (it holds ``config.json`` with a ``task``): that run and the dataset it names;
  a run without ``metrics.json`` (never evaluated) is an error, not left out silently;
- an evaluation (``evface eval RUN --data DATA --out DIR``: ``metrics.json`` naming its run): the
  run's settings with the scores on DATA, and DATA;
- a dataset folder (it holds ``manifest.csv``).

Every dataset the runs were scored on is summarised, each with the runs scored on it
(:attr:`ReportData.datasets`).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from evface.io.clip_reader import event_counts, read_clip, read_clip_meta
from evface.io.dataset import DatasetFolder
from evface.errors import DatasetError, FormatError, where
from evface.report import figures
from evface.tasks import recon_compare
from evface.tasks.class_compare import PREDICTIONS, compare_runs
from evface.tasks.run_folder import (HELD_OUT, VERSION, check_fields, check_folder, is_training_data, reading,
                                     recorded_clips, scored_by, seen_in_training)
from evface.tasks.recon_eval import SCORES_CSV
from evface.tasks.figure_format import number

PACKAGES = ("evface", "numpy", "scipy", "numba", "torch", "snntorch", "h5py", "opencv-python-headless",
            "scikit-image", "faery", "matplotlib")


@dataclass
class ReportData:
    """Everything the page shows, as plain values and encoded images."""

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


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(where(path, f"cannot read JSON ({exc})")) from exc
    if not isinstance(obj, dict):
        raise FormatError(where(path, f"expected a JSON object, got {type(obj).__name__}: not a file evface wrote"))
    return obj


def _dataset_description(info: dict[str, Any]) -> str:
    """What made a dataset, with its preset and seed where it has them (recordings have neither).

    >>> _dataset_description({"generator": "evface synth", "preset": "quick", "seed": 0})
    'evface synth (preset quick, seed 0)'
    >>> _dataset_description({"generator": "evface import session", "seed": None})
    'evface import session'
    """
    made_by = info.get("generator", info.get("importer", "dataset"))
    settings = [f"{key} {info[key]}" for key in ("preset", "seed") if info.get(key) is not None]
    return f"{made_by} ({', '.join(settings)})" if settings else made_by


def collect(run_dirs: list[Path]) -> ReportData:
    """Read every folder in ``run_dirs`` into one :class:`ReportData`.

    Every dataset a run was scored on is summarised in :attr:`ReportData.datasets`, with the names of
    its runs; where there are several, each run's entry names its own (``data_label``).
    """
    data = ReportData(run_dirs=run_dirs, versions=package_versions(),
                      generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    labels = folder_labels(run_dirs)
    several = sum(any((root / name).exists() for name in ("pipeline.json", "config.json", "metrics.json"))
                  for root in run_dirs) > 1
    pipelines = {root: _pipeline(root) for root in run_dirs if (root / "pipeline.json").exists()}
    stage_of = {(root / stage["dir"]).resolve(): (root, stage["name"]) for root, p in pipelines.items() for stage in p["stages"]}
    for root in run_dirs:  # shown twice, and paired with itself, were it let in
        if root.resolve() in stage_of:
            run, name = stage_of[root.resolve()]
            raise DatasetError(where(root, f"stage {name} of the run {run}, given too: give each folder once"))
    folders: list[Path] = []  # the datasets given or trained on, in the order given
    for root, label in zip(run_dirs, labels):
        if root in pipelines:
            pipeline = pipelines[root]
            data.configs[f"{label}/pipeline"] = pipeline.get("config", {})
            folders.append(root / pipeline["data"])  # relative to the run when inside it
            for stage in pipeline.get("stages", []):
                if stage.get("task") in ("classify", "reconstruct"):
                    _check_stage_folder(root, stage)
                    name = f"{label}/{stage['name']}" if several else stage["name"]
                    _add_run(data, root / stage["dir"], name, stage.get("seconds"), trained_on=folders[-1],
                             stage_of=(root, stage["name"]))
        elif (root / "config.json").exists():
            config = _read_json(root / "config.json")
            trained_on = Path(config["data"]) if isinstance(config.get("data"), str) else None
            _add_run(data, root, label, None, trained_on=trained_on)
            folders += [trained_on] if trained_on is not None else []
        elif (root / "metrics.json").exists():  # an evaluation: its run's settings, its own scores
            evaluation = _read_json(root / "metrics.json")
            run = evaluation.get("run")
            if not isinstance(run, str) or not (Path(run) / "config.json").is_file():
                raise DatasetError(where(root, "an evaluation whose run folder is not named or no longer there "
                                               f"({run}); evaluate the run again into it: evface eval RUN --data DATA "
                                               "--out FOLDER"))
            _add_run(data, root, label, None, settings=Path(run))
        elif (root / "manifest.csv").exists():
            folders.append(root)
        else:
            raise DatasetError(where(root, "neither an evface run, a training run, an evaluation nor a dataset folder"))
    _describe_datasets(data, folders)
    data.comparisons = event_vs_frame_comparisons(data.classify)
    data.event_sensor_comparisons = hd_vs_lr_event_comparisons(data.classify)
    data.sensor_comparisons = hd_vs_lr_comparisons(data.reconstruct)
    return data


def trained_runs(run_dirs: list[Path]) -> list[Path]:
    """The training run folders whose settings the report of ``run_dirs`` shows, each once: every
    stage of an ``evface run`` output, every training run, and the run of every evaluation (read
    as :func:`collect` reads them, which checks their files)."""
    found: list[Path] = []
    for root in run_dirs:
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
    for (key, folder), name in zip(order.items(), names):
        summary = (dataset_summary(DatasetFolder.open(folder)) if (folder / "manifest.csv").exists()
                   else {"root": str(folder), "missing": True})
        summary |= {"label": name, "runs": [r["name"] for r in runs if Path(r["scored_on"]).resolve() == key]}
        data.datasets.append(summary)
    if len(data.datasets) > 1:
        label = dict(zip(order, names))
        for r in runs:
            r["data_label"] = label[Path(r["scored_on"]).resolve()]


def short_names(folders: list[Path]) -> list[str]:
    """Each folder's shortest tail of path parts that no other folder of ``folders`` ends with.

    >>> short_names([Path("/runs/a/data"), Path("/runs/b/data"), Path("/sets/d2")])
    ['a/data', 'b/data', 'd2']
    """
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
    for root in run_dirs:
        if not root.is_dir():
            raise DatasetError(where(root, "is a file, not a folder" if root.exists() else "no such folder"))
        if root.resolve() in seen:
            first = seen[root.resolve()]
            again = "given twice" if str(first) == str(root) else f"the folder {first} again"
            raise DatasetError(where(root, f"{again}: give each folder once"))
        seen[root.resolve()] = root
    names = [root.resolve().name for root in run_dirs]
    return [str(root) if names.count(name) > 1 else name for root, name in zip(run_dirs, names)]


def _compare_pairs(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]],
                   compare: Callable[..., dict[str, Any]], scores: str) -> list[dict[str, Any]]:
    """``compare(a, b)`` of each pair of runs, or ``{"a", "b", "error"}`` when their clips or samples
    differ or a run has no per-clip or per-sample ``scores`` file (scored before evface wrote it, or
    left out of a copy; it was left out of the pairs without a word)."""
    out = []
    for a, b in pairs:
        lacking = [r["name"] for r in (a, b) if not (Path(r["dir"]) / scores).exists()]
        if lacking:
            out.append({"a": a["name"], "b": b["name"], "error": f"no {scores} in {' and '.join(lacking)} (left out "
                        "of a copy, or scored before evface wrote it: evface eval RUN --data DATA writes it)"})
            continue
        try:
            out.append(compare(a["dir"], b["dir"], names=(a["name"], b["name"])))
        except DatasetError as exc:
            out.append({"a": a["name"], "b": b["name"], "error": str(exc)})
    return out


def _alike(hd: list[dict[str, Any]], lr: list[dict[str, Any]],
           key: Callable[[dict[str, Any]], str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (hd, lr) pair of runs with the same ``key``, each run's key computed once (it reads
    the run's ``data-clips.json``)."""
    lr_keys = [key(b) for b in lr]
    return [(a, b) for a in hd for ka in [key(a)] for b, kb in zip(lr, lr_keys) if ka == kb]


def _trained_on(run: dict[str, Any]) -> Any:
    """What a run was trained on, for pairing runs: the clips of its ``data-clips.json`` with their
    files' sizes and hashes where recorded (so a dataset moved or copied between two trainings is
    still the same dataset, and the same rows rendered again with other event noise are not), or,
    for a run made before that file, the dataset folder its configuration names."""
    recorded = recorded_clips(run["dir"])
    return [recorded[0], recorded[1]] if recorded is not None else run["config"].get("data")


def event_vs_frame_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference of every event arm against every frame (RGB) arm scored on the same clips.

    A pair scored on different clips, or of a run without ``predictions.csv``, gets ``{"a", "b",
    "error"}`` instead of a comparison.
    """
    events = [r for r in runs if r["config"].get("input") == "events"]
    frames = [r for r in runs if r["config"].get("input") != "events"]
    return _compare_pairs(((a, b) for a in events for b in frames), compare_runs, PREDICTIONS)


def hd_vs_lr_event_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference hd - lr of every two event classification runs that differ only in the sensor.

    "Only in the sensor": the same configuration but for ``sensor`` (and the device the run used),
    so the same model, protocol and clips. A pair scored on different clips, or of a run without
    ``predictions.csv``, gets ``{"a", "b", "error"}``.
    """
    def key(r: dict[str, Any]) -> str:
        config = {k: v for k, v in r["config"].items() if k not in ("sensor", "device", "models", VERSION)}
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
    """
    def key(r: dict[str, Any]) -> str:
        spec = {k: v for k, v in r["config"].get("spec", {}).items() if k != "sensor"}
        return json.dumps([_trained_on(r), spec], sort_keys=True)

    hd = [r for r in runs if r["config"].get("sensor") == "hd"]
    lr = [r for r in runs if r["config"].get("sensor") == "lr"]
    return _compare_pairs(_alike(hd, lr, key), recon_compare.compare_runs, SCORES_CSV)


def _add_run(data: ReportData, run: Path, name: str, seconds: float | None, settings: Path | None = None,
             trained_on: Path | None = None, stage_of: tuple[Path, str] | None = None) -> None:
    """Add the run whose scores are in ``run`` (its settings and training in ``settings``, the run
    folder of an evaluation; else ``run`` itself), trained on the dataset folder ``trained_on``
    (default: the one its configuration names). ``stage_of``: the ``evface run`` folder and stage
    name of a stage, for the words of a stage not evaluated (:func:`_not_evaluated`).

    The entry's ``scored_on`` is the dataset folder its scores are of: ``trained_on``, or the one
    its ``metrics.json`` names where an evaluation (``evface eval``, into its own folder or into
    the run's) scored another; then ``elsewhere`` says in words what was done."""
    settings = settings or run
    config = _read_json(settings / "config.json")
    metrics_path = run / "metrics.json"
    if not metrics_path.exists():
        raise FormatError(where(metrics_path, _not_evaluated(run, stage_of)))
    metrics = _read_json(metrics_path)
    entry = {"name": name, "dir": str(run), "config": config, "metrics": metrics,
             "train_seconds": seconds if seconds is not None else metrics.get("train_seconds")}
    named = config.get("data") if isinstance(config.get("data"), str) else None
    trained_on = trained_on or (Path(named) if named else None)
    scored = metrics.get("data") if isinstance(metrics.get("data"), str) else None
    # a training run's metrics name the folder its config does (the same text, even after the run moved)
    if scored is not None and scored != named and (named is None or Path(scored).resolve() != Path(named).resolve()):
        entry["scored_on"] = scored
        entry["elsewhere"] = _scored_elsewhere(settings, config, metrics, Path(scored), trained_on)
    elif trained_on is not None:
        entry["scored_on"] = str(trained_on)
    evaluated = scored is not None and (run != settings or "elsewhere" in entry)  # by evface eval
    data.configs[name] = {**config, "scored_on": scored} if evaluated else config
    if config.get("task") == "classify":
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


def _not_evaluated(run: Path, stage_of: tuple[Path, str] | None) -> str:
    """Why the run folder ``run``, which has no ``metrics.json``, cannot be shown, and what to do:
    a training run may be evaluated or left out of the report; a stage (``stage_of``: its ``evface
    run`` folder and name) cannot be left out: an interrupted one is finished by resuming its run,
    a finished one (its ``stage.json`` there) lost the file in a copy.

    Examples
    --------
    >>> _not_evaluated(Path("runs/quick/stages/events-hd-0"), (Path("runs/quick"), "events-hd"))
    "missing: stage events-hd of the run runs/quick was not evaluated (interrupted?); resume the run: 'evface run --out runs/quick' again, with the options it was started with"
    """
    if stage_of is None:
        return ("missing: this run was not evaluated (interrupted?); finish it, or run 'evface eval RUN', or leave it "
                "out of the report")
    root, stage = stage_of
    again = f"'evface run --out {root}' again, with the options it was started with"
    if (run / "stage.json").exists():  # a finished stage: the pipeline would skip it
        return (f"missing: stage {stage} of the run {root} finished, but its scores are not here (left out of a "
                f"copy?); copy the file again, or delete the stage folder and resume the run: {again}")
    return f"missing: stage {stage} of the run {root} was not evaluated (interrupted?); resume the run: {again}"


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
    (:func:`~evface.tasks.run_folder.seen_in_training`: the same clips in another folder, or clips
    of the same rows rendered again with other event noise), each was scored by
    the models that held out a subject of its name, as in the run's own test; that is said, so
    that it does not read as a cross-validation on ``scored``, and whether the clips are the very
    files the run was trained on (:data:`SAME_FILES`, where the run recorded their hashes:
    :func:`~evface.tasks.run_folder.is_training_data`) or may differ. An evaluation that says it itself
    (its ``evaluated_on`` in the same words, :func:`~evface.tasks.run_folder.scored_elsewhere`) is
    shown as it says.
    """
    evaluated = metrics.get("evaluated_on", "clips as recorded in its metrics.json")
    if str(evaluated).startswith("scored on "):
        return str(evaluated)
    protocol = config.get("protocol") or config.get("evaluation")
    if (scored / "manifest.csv").exists():
        seen = seen_in_training(run, scored, list(DatasetFolder.open(scored).rows))
        if seen and all(seen):
            return (f"{scored_by(scored, trained, protocol)}; "
                    + (SAME_FILES if is_training_data(run, scored) else
                       f"{HELD_OUT}, as in the run's own test (the clips may differ: rendered again, e.g. with other "
                       "event noise)"))
    # an older evaluation's own words, which may name the protocol already ("every subject, leave-one-subject-out")
    return f"{scored_by(scored, trained, None if protocol and protocol in str(evaluated) else protocol)}: {evaluated}"


def import_summary(info: dict[str, Any]) -> dict[str, Any] | None:
    """How an imported dataset was made, from ``dataset.json``'s ``import`` record: one row of text
    per event sensor (name, file, sync method, offset, confidence, registration method, its error
    or score) and the import's warnings; None for a dataset that was not imported.

    >>> imp = import_summary({"import": {"sensors": {"hd": {"file": "hd.raw", "sync": {"method": "xcorr",
    ...     "offset_us": -8346, "confidence": 0.843}, "registration": {"method": "given"}}},
    ...     "warnings": ["clip s02_001: the face box [449, 110, 58, 58] was found in only 1 of 8 frames: check it"]}})
    >>> imp["sensors"], len(imp["warnings"])
    ([['hd', 'hd.raw', 'xcorr', '-8346', '0.84', 'given', '-']], 1)
    """
    record = info.get("import")
    if not isinstance(record, dict):
        return None
    sensors = record.get("sensors") if isinstance(record.get("sensors"), dict) else {}
    rows = []
    for name, s in sensors.items():
        s = s if isinstance(s, dict) else {}
        sync = s.get("sync") if isinstance(s.get("sync"), dict) else {}
        reg = s.get("registration") if isinstance(s.get("registration"), dict) else {}
        given = sync.get("method") == "given"
        quality = (f"{reg['error_px']:.3f} px" if isinstance(reg.get("error_px"), (int, float)) else
                   f"score {reg['score']:.3f}" if isinstance(reg.get("score"), (int, float)) else "-")
        confidence = sync.get("confidence")
        rows.append([str(name), str(s.get("file", "-")), str(sync.get("method", "-")), str(sync.get("offset_us", "-")),
                     f"{confidence:.2f}" if isinstance(confidence, (int, float)) and not given else "-",
                     str(reg.get("method", "-")), quality])
    warnings = record.get("warnings") if isinstance(record.get("warnings"), list) else []
    return {"sensors": rows, "warnings": [str(w) for w in warnings]}


def dataset_summary(ds: DatasetFolder) -> dict[str, Any]:
    """Counts, event statistics and sample figures of a dataset folder."""
    labels = ds.labels
    lightings = sorted({row["lighting"] for row in ds.rows})
    counts: dict[str, dict[str, int]] = {}
    events: dict[str, list[dict[str, int]]] = {}
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for row in ds.rows:
        counts.setdefault(row["label"], {}).setdefault(row["lighting"], 0)
        counts[row["label"]][row["lighting"]] += 1
        events.setdefault((row["label"], row["lighting"]), []).append(event_counts(ds.clip_path(row)))
        first.setdefault((row["label"], row["lighting"]), row)
    event_table: dict[str, dict[str, float]] = {}  # class -> "sensor lighting" -> mean events per clip
    for (label, lighting), cells in events.items():
        for sensor in cells[0]:
            event_table.setdefault(label, {})[f"{sensor} {lighting}"] = float(np.mean([c.get(sensor, 0) for c in cells]))
    summary: dict[str, Any] = {
        "root": str(ds.root),
        "description": _dataset_description(ds.info),
        "n_clips": len(ds.rows),
        "n_subjects": len(ds.subjects),
        "labels": labels,
        "lightings": lightings,
        "counts": counts,
        "event_table": event_table,
        "import": import_summary(ds.info),
    }
    metas = {row["clip_id"]: read_clip_meta(ds.clip_path(row)) for row in ds.rows}
    summary["variation"] = variation_table(ds.rows, [metas[row["clip_id"]].extra for row in ds.rows])
    identities = identity_samples(ds, metas)
    if identities:
        summary["identity_grid"] = figures.identity_grid(identities)
        summary["n_identities"] = len(identities)
        summary["identity_poses"] = any("yaw" in caption for caption, _ in identities)  # synthetic clips record it
    if summary["import"] is not None:
        boxes, summary["n_box_clips"] = face_box_samples(ds, summary["import"]["warnings"])
        if boxes:
            summary["box_grid"], summary["n_boxes"] = figures.identity_grid(boxes), len(boxes)
    samples = {}
    for key, row in first.items():
        clip = read_clip(ds.clip_path(row), sensors=[], truth=False)
        if "rgb" in clip.frames and len(clip.frames["rgb"].data):
            frames = clip.frames["rgb"]
            k = int(np.clip(np.searchsorted(frames.t_us, clip.apex_us) - 1, 0, len(frames.t_us) - 1))
            samples[key] = figures.crop_box(frames.data[k], clip.calibration.get("face_box", {}).get("rgb"))
    if samples:
        summary["face_grid"] = figures.face_grid(samples, labels, lightings)
    row = first.get((labels[0], lightings[0])) if labels and lightings else None
    if row is not None:
        meta = read_clip_meta(ds.clip_path(row))
        clip = read_clip(ds.clip_path(row), truth=False)
        summary["rate_plot"] = figures.event_rate_plot(clip)
        sensor = "hd" if "hd" in meta.sensors else next(iter(meta.sensors), None)
        if sensor is not None and "rgb" in clip.frames:
            summary["animation"] = figures.side_by_side_gif(clip, sensor)
            summary["animation_caption"] = (f"{clip.clip_id} ({clip.label}, {clip.lighting}): RGB frames (left) and the "
                                            f"{sensor} events of the same 33 ms (right; blue ON, red OFF), played 3x slower.")
    return summary


def _spread(name: str, unit: str, values: list[float], digits: int = 1) -> list[str]:
    """One row of :func:`variation_table`: name, unit, clips, min, median, max."""
    v = np.asarray(values, float)
    cells = (f"{x:.{digits}f}" for x in (v.min(), np.median(v), v.max()))
    return [name, unit, str(v.size), *(c.lstrip("-") if float(c) == 0 else c for c in cells)]  # no "-0.0"


def variation_table(rows: list[dict[str, Any]], extras: list[dict[str, Any]]) -> list[list[str]]:
    """What varies from clip to clip: timing, intensity, AU asynchrony, head pose, gaze, blinks, light.

    One row per quantity, ``[name, unit, clips, min, median, max]``; quantities that no clip records
    (imported recordings carry only the annotation's timing) are left out.

    >>> rows = [{"onset_us": 0, "apex_us": 120_000, "offset_us": 300_000}] * 2
    >>> extras = [{"intensity": 0.4, "head_motion": {"yaw_deg": -1.0}}, {"intensity": 0.6, "head_motion": {"yaw_deg": 2.0}}]
    >>> [r[0] for r in variation_table(rows, extras)]
    ['onset to apex', 'onset to offset', 'expression intensity', 'head yaw']
    >>> variation_table(rows, extras)[3]
    ['head yaw', 'deg', '2', '-1.0', '0.5', '2.0']
    >>> _spread("gaze", "deg", [-0.04, 0.01], 1)[3:]
    ['0.0', '0.0', '0.0']
    """
    table = [_spread("onset to apex", "ms", [(r["apex_us"] - r["onset_us"]) / 1e3 for r in rows], 0),
             _spread("onset to offset", "ms", [(r["offset_us"] - r["onset_us"]) / 1e3 for r in rows], 0)]
    head = [e.get("head_motion", {}) for e in extras]
    gaze = [e["gaze"] for e in extras if "gaze" in e]
    curves = [e["au_curves"] for e in extras if len(e.get("au_curves", [])) > 1]
    candidates = [
        ("expression intensity", "0-1", [e["intensity"] for e in extras if "intensity" in e], 2),
        ("AU onset spread within a clip", "ms", [(max(c["onset_us"] for c in cs) - min(c["onset_us"] for c in cs)) / 1e3
                                                 for cs in curves], 0),
        ("one-sided AUs per clip", "count", [sum(c.get("side", "") != "" for c in e["au_curves"])
                                             for e in extras if "au_curves" in e], 0),
        ("head yaw", "deg", [h["yaw_deg"] for h in head if "yaw_deg" in h], 1),
        ("head pitch", "deg", [h["pitch_deg"] for h in head if "pitch_deg" in h], 1),
        ("head roll amplitude", "deg", [h["roll_amp_deg"] for h in head if "roll_amp_deg" in h], 2),
        ("gaze at start, horizontal", "deg", [g["start_deg"][0] for g in gaze], 1),
        ("gaze at start, vertical", "deg", [g["start_deg"][1] for g in gaze], 1),
        ("saccades per clip", "count", [len(g["saccades"]) for g in gaze], 0),
        ("blinks per clip", "count", [len(e["blinks_us"]) for e in extras if "blinks_us" in e], 0),
        ("scene illuminance", "lux", [e["lux"] for e in extras if "lux" in e], 0),
    ]
    table += [_spread(name, unit, values, digits) for name, unit, values, digits in candidates if values]
    return table


MAX_BOX_CLIPS = 64
"""The clips of an imported dataset whose face boxes the report shows (those the import warned about first)."""


def face_box_samples(ds: DatasetFolder, warnings: list[str]) -> tuple[list[tuple[str, np.ndarray]], int]:
    """The apex RGB frame of each clip of an imported dataset cropped to its face box, captioned
    with its clip id (``!`` after the id of a clip a warning names, and those first), at most
    :data:`MAX_BOX_CLIPS`; and how many clips have frames. Training crops every input to that box,
    and on real footage the detector can put it on a hand or the background."""
    def warned(clip_id: str) -> bool:
        return any(w.startswith((f"clip {clip_id}:", f"{clip_id}:")) for w in warnings)

    rows = sorted(ds.rows, key=lambda r: not warned(str(r["clip_id"])))
    out = []
    for row in rows[:MAX_BOX_CLIPS]:
        clip = read_clip(ds.clip_path(row), sensors=[], truth=False)
        if "rgb" in clip.frames and len(clip.frames["rgb"].data):
            frames = clip.frames["rgb"]
            k = int(np.clip(np.searchsorted(frames.t_us, clip.apex_us) - 1, 0, len(frames.t_us) - 1))
            out.append((f"{row['clip_id']}{' !' if warned(str(row['clip_id'])) else ''}",
                        figures.crop_box(frames.data[k], clip.calibration.get("face_box", {}).get("rgb"))))
    return out, len(ds.rows)


def identity_samples(ds: DatasetFolder, metas: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    """Each subject's face in the first RGB frame of its first clip, captioned with its head pose."""
    out = []
    for subject in ds.subjects:
        row = next(r for r in ds.rows if r["subject"] == subject)
        clip = read_clip(ds.clip_path(row), sensors=[], truth=False)
        if "rgb" not in clip.frames or not len(clip.frames["rgb"].data):
            continue
        head = metas[row["clip_id"]].extra.get("head_motion", {})
        caption = subject
        if "yaw_deg" in head:
            caption += f'\nyaw {number(head["yaw_deg"], "+.1f")}° pitch {number(head.get("pitch_deg", 0.0), "+.1f")}°'
        out.append((caption, figures.crop_box(clip.frames["rgb"].data[0], clip.calibration.get("face_box", {}).get("rgb"))))
    return out
