"""``evface run``: from nothing to a report, in stages that are skipped once done.

The stages are: build the synthetic dataset (unless a dataset folder is given), train and
evaluate the classifier for every arm of :data:`CLASSIFY_ARMS` with subject-grouped
cross-validation (every subject tested once; the report pairs the arms on the same clips), train
and evaluate the reconstructor for each event sensor and reconstruction protocol of the preset
(with its baselines), then write the report. Each stage runs in its
own folder ``OUT/stages/<name>-<key>`` where ``key`` hashes the stage's configuration but its
``seeds`` (its dataset folder relative to ``OUT`` when inside it, so the key does not depend on
how ``--out`` is spelled or where ``OUT`` has moved), and leaves ``stage.json`` there when it has
finished; a second run skips every stage whose ``stage.json`` exists for as many seeds or more,
so an interrupted run resumes where it stopped (training itself resumes from its last
checkpoint), and a run given more seeds trains only the new ones. ``OUT/pipeline.json`` lists the
stages for the report.

The dataset is built first (with one worker process per job); the training stages, which do not
depend on each other, then run as jobs (:func:`run_step`), ``jobs`` at a time in separate
processes with one torch thread each: on a small CPU two single-threaded trainings finish sooner
than two two-threaded ones in turn. Every training stage is one job that prepares it, one job per
part of its protocol (a classification model: a fold and seed, :mod:`evface.tasks.classify`; a
reconstruction fold: its CVAE and recurrent UNet, :mod:`evface.tasks.reconstruct`) and one that
pools the parts into its metrics, so its folds train side by side. With ``ray`` the clips and
these jobs are tasks on a Ray cluster instead (:class:`evface.ray_cluster.RayCluster`;
docs/scale-out.md); the run folder and report are the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from evface.datasets.synth import other_dataset, synthesize
from evface.datasets.synth_film import local_executor
from evface.datasets.synth_plan import get_preset
from evface.errors import DatasetError, ParameterError, counted, where
from evface.executor import Executor, InProcess, Job, ProcessPool, check_workers
from evface.inputs.clip_view import frame_stream
from evface.inputs.reconstruct import GRID_SENSOR
from evface.io.atomic_files import atomic_write_text
from evface.io.clip_reader import frames_and_truth_info, read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.dataset import DatasetFolder, read_dataset_json
from evface.io.manifest import read_manifest
from evface.ray_cluster import RayCluster
from evface.ray_connect import ray_session
from evface.report.html import build_report
from evface.sim.dvs_noise import NOISE_LEVELS
from evface.tasks import registry, run_clips, run_folder, run_resume

STAGE_DONE = run_folder.STAGE_DONE

PRESETS: dict[str, dict[str, Any]] = {
    # The dataset preset of the same name (evface.datasets.synth_plan.PRESETS) and the training budgets.
    # tiny: the smallest run through every kind of stage, for tests (3 subjects, 1 epoch); its figures mean nothing.
    "tiny": {"classify_folds": 3, "classify_epochs": 1, "classify_patience": 1, "arms": ("events-hd", "events-lr", "rgb"),
             "reconstruct_epochs": 1, "reconstruct_patience": 1},
    # quick: sized so that ``make run`` finishes within 15 minutes on 2 cores: 16 subjects, 3 folds
    # (each model trains on 9-10 subjects' 7 clips), 30 epochs (about the updates 20 epochs gave
    # 7 subjects' 14 clips before quick filmed each class once per subject), four arms (``arms``:
    # each event sensor, raw frames at hd's pixel size and optical flow; the others run in full);
    # reconstruction: the extrapolation protocol with hd events only (the paper's headline; lr
    # cost 2 minutes of make run), 3 subject folds (every subject tested once) of 3 epochs,
    # horizons every 200 ms (the apex is always a sample): docs/reconstruction.md, "Subject folds
    # in make run". Every ``reconstruct_*``
    # key but ``reconstruct_protocols`` and ``reconstruct_sensors`` is a ReconstructConfig field;
    # full runs every protocol of RECONSTRUCT_PROTOCOLS for hd and lr at the default 50 ms.
    "quick": {"classify_folds": 3, "classify_epochs": 30, "classify_patience": 12,
              "arms": ("events-hd", "events-lr", "rgb", "rgb-flow"),
              "reconstruct_folds": 3, "reconstruct_epochs": 3, "reconstruct_patience": 2,
              "reconstruct_protocols": ("extrapolation",), "reconstruct_sensors": ("hd",),
              "reconstruct_step_us": 200_000},
    # full: the same protocol and rig on 24 subjects, for the figures in docs/.
    "full": {"classify_folds": 6, "classify_epochs": 60, "classify_patience": 20,
             "reconstruct_folds": 6, "reconstruct_epochs": 10, "reconstruct_patience": 4},
    "paper": {"classify_folds": 4, "classify_epochs": 100, "classify_patience": 25,
              "reconstruct_epochs": 20, "reconstruct_patience": 6},
}

HIGHSPEED = "highspeed200"
"""The 200 fps RGB camera preset that ``highspeed`` adds to the dataset's cameras framed like hd."""
CLASSIFY_ARMS = (
    # name, the ClassifyConfig fields of the arm: one line per arm. Every arm is scored on the same
    # clips, and the report compares each event arm with each frame arm.
    ("events-hd", {"input": "events", "sensor": "hd"}),
    ("events-lr", {"input": "events", "sensor": "lr"}),
    ("rgb", {"input": "rgb", "sensor": "hd"}),  # an RGB camera framed like hd: the same face pixels
    ("rgb-lr", {"input": "rgb", "sensor": "lr"}),  # the RGB camera with lr's field of view
    ("rgb-diff", {"input": "rgb-diff", "sensor": "hd"}),
    ("rgb-flow", {"input": "rgb-flow", "sensor": "hd"}),  # onset->apex optical flow + strain, apex from the frames
    ("rgb-flow-oracle", {"input": "rgb-flow", "sensor": "hd", "oracle_apex": True}),  # apex from the annotation
    # The 200 fps RGB camera framed like hd: the frame cameras' upper bound (only with ``highspeed``).
    ("rgb-200", {"input": "rgb", "sensor": "hd", "rgb_camera": HIGHSPEED}),
    ("rgb-flow-200", {"input": "rgb-flow", "sensor": "hd", "rgb_camera": HIGHSPEED}),
)
HIGHSPEED_ARMS = tuple(name for name, arm in CLASSIFY_ARMS if arm.get("rgb_camera") == HIGHSPEED)
"""The arms that need the 200 fps camera: run with ``highspeed`` only, which also films it."""
RECONSTRUCT_PROTOCOLS = ("extrapolation", "interpolation", "events-only")
RECONSTRUCT_SENSORS = ("hd", "lr")
RECONSTRUCT_VARIANTS = tuple(
    # name, the ReconstructConfig fields of the stage: every protocol for each event sensor (one target grid)
    (f"recon-{protocol}-{sensor}", {"sensor": sensor, "protocol": protocol})
    for protocol in RECONSTRUCT_PROTOCOLS for sensor in RECONSTRUCT_SENSORS
)


FOLDER_KEYS = ("data", "out")
"""The keys of a stage's configuration that name a folder (its dataset)."""


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a task name, its configuration, the run's folder and its own folder."""

    name: str
    task: str
    config: dict[str, Any] = field(hash=False)
    root: str | None = field(default=None, compare=False)
    """The run's folder (``--out``): a folder of the configuration inside it enters the key relative to it."""

    @property
    def key(self) -> str:
        """First 10 hex digits of the SHA-256 of the configuration (stable across runs) without its
        ``seeds``: a run given more seeds trains the new ones in the stage's folder. Its folders
        enter as ``OUT/...`` when inside the run's folder, else as absolute paths, so that the run
        under another spelling of ``--out`` (relative, absolute, through a link), or moved
        elsewhere, keeps its stages' folders."""
        return _digest(self.task, {k: v for k, v in self._portable_config().items() if k != "seeds"})

    @property
    def dirname(self) -> str:
        return f"stages/{self.name}-{self.key}"

    @property
    def seeds(self) -> int:
        """The trainings of each of the stage's models (1 for the dataset)."""
        return int(self.config.get("seeds", 1))

    @property
    def legacy_dirnames(self) -> list[str]:
        """The folders earlier runs gave the stage, other than :attr:`dirname`: before 2026-12-03
        the key of its folders as spelled; before 2026-12-05 a key with its ``seeds``."""
        keys = [_digest(self.task, self.config), _digest(self.task, self._portable_config())]
        return [f"stages/{self.name}-{key}" for key in dict.fromkeys(keys) if key != self.key]

    def _portable_config(self) -> dict[str, Any]:
        return {k: _portable(v, self.root) if k in FOLDER_KEYS else v for k, v in self.config.items()}


def _digest(task: str, config: dict[str, Any]) -> str:
    blob = json.dumps({"task": task, **config}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def _portable(folder: str, root: str | None) -> str:
    """``folder`` as ``OUT/<relative path>`` when it lies inside ``root``, else its absolute path.

    Examples
    --------
    >>> _portable("runs/quick/data", "runs/quick"), _portable("/data/real", "runs/quick")
    ('OUT/data', '/data/real')
    """
    if root is None:
        return folder
    path, base = Path(folder).resolve(), Path(root).resolve()
    return f"OUT/{path.relative_to(base).as_posix()}" if path.is_relative_to(base) else str(path)


def plan(preset: str, data_dir: Path | None, out: Path, seed: int = 0,
         noise: str | None = None, highspeed: bool = False, seeds: int = 1) -> tuple[Path, list[Stage]]:
    """The dataset folder and the stages of a run, without running anything (``noise``: the
    event cameras' noise level of the dataset built, default the preset's; ``highspeed``: film
    the 200 fps camera too and train :data:`HIGHSPEED_ARMS`; ``seeds``: trainings of each model
    with the folds fixed: a classifier's ensemble is scored, a reconstruction's mean score)."""
    if seeds < 1:
        raise ParameterError(f"--seeds must be >= 1, got {seeds}")
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r} (--preset); choose from {sorted(PRESETS)}")
    if noise is not None and noise not in NOISE_LEVELS:
        raise ParameterError(f"unknown --noise {noise!r}; choose from {', '.join(NOISE_LEVELS)}")
    if noise is not None and data_dir is not None:
        raise ParameterError(f"--noise sets the event noise of the dataset a run builds, and --data {data_dir} is "
                             "given: build that dataset with evface synth --noise instead")
    budget = PRESETS[preset]
    stages: list[Stage] = []
    if data_dir is None:
        data_dir = out / "data"
        extra = {"noise": noise} if noise is not None else {}
        if highspeed:
            extra["rgb_hd_cameras"] = [*get_preset(preset).rig.rgb_hd_presets, HIGHSPEED]
        stages.append(Stage("synth", "synth", {"preset": preset, "seed": seed, "out": str(data_dir), **extra}, str(out)))
    wanted = set(budget.get("arms", (n for n, _ in CLASSIFY_ARMS if n not in HIGHSPEED_ARMS)))
    wanted |= set(HIGHSPEED_ARMS) if highspeed else set()
    several = {"seeds": seeds} if seeds > 1 else {}  # one seed keeps the keys of runs made before --seeds
    for name, arm in [(name, arm) for name, arm in CLASSIFY_ARMS if name in wanted]:
        stages.append(Stage(name, "classify", {"data": str(data_dir), "seed": seed, "folds": budget["classify_folds"],
                                               "epochs": budget["classify_epochs"], "patience": budget["classify_patience"],
                                               **several, **arm}, str(out)))
    protocols = budget.get("reconstruct_protocols", RECONSTRUCT_PROTOCOLS)
    sensors = budget.get("reconstruct_sensors", RECONSTRUCT_SENSORS)
    fields = {k.removeprefix("reconstruct_"): v for k, v in budget.items() if k.startswith("reconstruct_")
              and k not in ("reconstruct_protocols", "reconstruct_sensors")}  # ReconstructConfig fields
    for name, variant in RECONSTRUCT_VARIANTS:
        if variant["protocol"] in protocols and variant["sensor"] in sensors:
            stages.append(Stage(name, "reconstruct", {"data": str(data_dir), "seed": seed, **fields, **several, **variant},
                                str(out)))
    return data_dir, stages


def check_subjects(data_dir: Path, preset: str, stages: list[Stage]) -> None:
    """Refuse a given dataset with too few subjects for the stages' subject folds (each fold keeps
    a test, a validation and a training subject), before anything is trained or written."""
    subjects = {row["subject"] for row in read_manifest(data_dir)}
    need = max([3, *(int(stage.config.get("folds") or 0) for stage in stages)])
    if len(subjects) < need:
        raise DatasetError(where(data_dir, f"holds {counted(len(subjects), 'subject')}; the {preset!r} preset tests every model "
                                           f"on held-out subjects in subject folds and needs at least {need} (--data, "
                                           "--preset)"))


def stages_the_data_allows(data_dir: Path, stages: list[Stage], highspeed: bool,
                           log: Callable[[str], None]) -> tuple[list[Stage], dict[str, list[str]]]:
    """The stages a given dataset can run, and those left out by why (each reason said): interpolation
    when some clips are recordings (scored against their own RGB frames, they have nothing between
    them), an event arm or reconstruction whose sensor some clips lack; ``highspeed`` (a synthetic
    camera) is refused on recordings and on clips filmed without it."""
    ds = DatasetFolder.open(data_dir)
    paths = [ds.clip_path(row) for row in ds.rows]
    metas = [read_clip_meta(path) for path in paths]
    recorded = sum(1 for path in paths if GRID_SENSOR not in frames_and_truth_info(path)[1])
    if recorded and highspeed:
        raise ParameterError(f"--highspeed: {data_dir} holds {counted(recorded, 'recorded clip')}; the 200 fps camera is "
                             "filmed for synthetic datasets only")
    if highspeed:
        without = [meta.clip_id for meta in metas if not _has_camera(meta, HIGHSPEED)]
        if without:
            raise ParameterError(f"--highspeed: {len(without)} of the {counted(len(metas), 'clip')} of {data_dir} (first "
                                 f"{without[0]}) were filmed without the 200 fps camera; leave out --data to build "
                                 f"a dataset with it, or give one built by evface synth --rgb-hd-cameras "
                                 f"webcam30,{HIGHSPEED}")
    sensors = set.intersection(*(set(meta.sensors) for meta in metas)) if metas else set()
    left_out: dict[str, list[str]] = {}
    for stage in stages:
        if stage.task == "reconstruct" and recorded and stage.config.get("protocol") == "interpolation":
            are = "is a recording" if recorded == 1 else "are recordings"
            why = (f"{recorded} of the {counted(len(metas), 'clip')} of {data_dir} {are}, scored against their own RGB "
                   "frames, with no frames between them to score interpolation on")
        elif (stage.config.get("input") == "events" or stage.task == "reconstruct") \
                and stage.config.get("sensor") not in sensors:
            why = f"not every clip of {data_dir} has {stage.config.get('sensor')} events"
        else:
            continue
        left_out.setdefault(why, []).append(stage.name)
    for why, names in left_out.items():
        log(f"left out ({why}): {', '.join(names)}")
    return [stage for stage in stages if not any(stage.name in names for names in left_out.values())], left_out


def _has_camera(clip: Clip, preset: str) -> bool:
    """Whether ``clip`` was filmed by RGB camera ``preset`` framed like hd (the lookup of the rgb inputs)."""
    try:
        frame_stream(clip, "hd", preset)
    except DatasetError:
        return False
    return True


START, POOL = "start", "pool"
"""The first step of a training stage and a classification stage's last; its other steps are its models."""


def run_dataset(out: Path) -> tuple[Path, bool] | None:
    """The dataset of the run already in ``out`` and whether that run built it in ``out/data``:
    the folder its ``pipeline.json`` names (relative to ``out`` when inside it), or ``out/data``
    where a run started building it; ``None`` when ``out`` holds no run, or its dataset is no
    longer where the record says."""
    record = out / "pipeline.json"
    if not record.is_file():
        return (out / "data", True) if (out / "data").exists() else None
    with run_folder.reading(record):
        pipeline = run_folder.read_json(record)
        run_folder.check_fields(pipeline, {"data": str, "stages": list})
        built = any(isinstance(stage, dict) and stage.get("task") == "synth" for stage in pipeline["stages"])
    data = out / "data" if built else out / pipeline["data"]  # older records name it absolute (out / an absolute path is that path)
    return (data, built) if data.exists() else None


def check_same_dataset(out: Path, data: Path, given: bool) -> None:
    """Refuse a run into ``out`` on dataset ``data`` (``given`` by ``--data``, else built in
    ``out/data``) when ``out`` holds a run on another dataset, before anything is written: its
    stages would join that run's, and ``pipeline.json`` and the report would list only theirs."""
    earlier = run_dataset(out)
    if earlier is None or earlier[0].resolve() == data.resolve():
        return
    folder, built = earlier
    this = f"--data {data} is another" if given else f"this run (no --data) would build its own in {data}"
    advice = "leave out --data" if built else f"give --data {folder}"
    raise DatasetError(where(out, f"holds a run on the dataset {folder}{' that it built' if built else ''}, and "
                                  f"{this}: {advice} to add to that run, or give --out a new folder"))


def _options_made_with(data_dir: Path, config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The ``evface run`` options (``--preset``, ``--seed``, ``--noise``, ``--highspeed``) on which
    the synthetic dataset in ``data_dir`` differs from the one the synth stage ``config`` builds: as
    that dataset was made, and as this run gives them."""
    info = read_dataset_json(data_dir)
    rig = info.get("params", {}).get("rig", {})
    made = (info.get("preset"), info.get("seed"), rig.get("cameras", {}).get("noise"), HIGHSPEED in rig.get("rgb_hd_presets", []))
    wanted = (config["preset"], config["seed"], config.get("noise") or get_preset(config["preset"]).rig.cameras.noise,
              HIGHSPEED in config.get("rgb_hd_cameras", []))

    def option(i: int, value: Any) -> str:
        return ("--highspeed" if value else "no --highspeed") if i == 3 else f"--{('preset', 'seed', 'noise')[i]} {value}"

    differ = [i for i in range(4) if made[i] != wanted[i]]
    return [option(i, made[i]) for i in differ], [option(i, wanted[i]) for i in differ]


def run_step(stage: Stage, run_dir: Path, step: str = START) -> list[str]:
    """Run one step of a training stage in ``run_dir``; return the steps it leaves to run.

    :data:`START` prepares the stage (its protocol, and a classification stage's preprocessed
    inputs: the task's ``prepare``) and leaves one step per part still to train (a classification
    model's folder, :func:`classify.fit_part`; a reconstruction fold, :func:`reconstruct.fit_part`),
    after which :data:`POOL` scores the stage (the task's ``pool_parts``; run by ``START`` itself
    when every part was trained before). A training stage's configuration is its dataset folder
    (``data``) and the fields of its task's config that it sets (:data:`PRESETS`, the variants);
    the other fields keep their defaults. A refusal names the stage, and where it names the
    training command's options, says that the preset sets them (a refusal of the stage's folder,
    :class:`~evface.tasks.run_resume.ResumeRefused`, does not).
    """
    options = dict(stage.config)
    data = options.pop("data")
    task = registry.get(stage.task)
    config = task.config(**options)
    try:
        if step == START:
            parts = task.prepare(data, run_dir, config)
            if not parts:
                task.pool_parts(data, run_dir, config)
            return parts
        if step == POOL:
            task.pool_parts(data, run_dir, config)
        else:
            task.fit_part(data, run_dir, config, step)
    except run_resume.ResumeRefused as exc:  # about the stage's folder, not the training command's options
        raise ParameterError(f"stage {stage.name}: {exc}") from exc
    except ParameterError as exc:  # it names the training command's options, which the preset sets here
        raise ParameterError(f"stage {stage.name}: {exc} (options of evface train {stage.task}, which trains this "
                             f"stage alone on {data}; evface run takes them from its preset)") from exc
    return []


def _timed(runner: Callable[..., list[str]], stage: Stage, run_dir: Path, step: str,
           threads: int | None) -> tuple[float, list[str]]:
    """Run a step; return its wall time and the steps it leaves (in a worker process: with ``threads`` torch threads)."""
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    left = runner(stage, run_dir, step)
    return time.perf_counter() - start, left


def _finished(done: Path) -> tuple[float, int] | None:
    """The seconds and the seeds of the finished stage whose ``stage.json`` is ``done`` (``None`` when it has none)."""
    if not done.exists():
        return None
    with run_folder.reading(done):
        record = run_folder.read_json(done)
        return float(record["seconds"]), int(record["config"].get("seeds", 1))


def _forget_gone_dataset(stage: Stage, done: Path, log: Callable[[str], None]) -> None:
    """Remove ``done``, the ``stage.json`` of the finished dataset stage ``stage``, when its dataset
    folder no longer holds the dataset (moved or deleted: no ``manifest.csv``, which is written
    last), saying so: the stage runs again and builds the same clips (the same bytes for the same
    options; checked by :func:`_check_trained_on`), which the training stages read. Until a build
    is finished and checked, the stage stays unfinished and the next run builds (or finishes) it."""
    data = Path(stage.config["out"])
    if done.exists() and not (data / "manifest.csv").is_file():
        log(f"{stage.name}: done before, but {data} holds no dataset now (moved or deleted): built again, the same "
            "clips, checked against those the stages were trained on")
        done.unlink()


def _check_trained_on(data: Path, out: Path, stages: list[Stage]) -> None:
    """Refuse the dataset ``data`` just built when a training stage of ``out`` recorded other clip files
    (its ``data-clips.json``; :func:`run_clips.other_data`): a run's dataset moved or deleted and
    built again by another evface version, whose stages would train and be scored on other clips.
    A stage made before the files were recorded cannot be checked; stages that recorded the same
    files (all of one dataset) are checked once, the dataset hashed once."""
    checked: set[str] = set()
    for stage in stages:
        run_dir = out / stage.dirname
        if stage.task == "synth" or not (run_dir / run_clips.CLIPS).exists():
            continue
        recorded = run_clips.recorded_clips(run_dir)
        files = json.dumps(recorded)
        if not recorded or recorded[1] is None or files in checked:
            continue
        checked.add(files)
        differs = run_clips.other_data(run_dir, data)
        if differs:
            raise DatasetError(where(data, f"the dataset built here again (the run's was moved or deleted) is not "
                                           f"the one stage {stage.name} was trained on ({differs}); move the run's "
                                           f"dataset back to {data} in place of this one, or give --out a new folder"))


def _seeds_started(stage_dir: Path) -> int:
    """The seeds of the training run in ``stage_dir`` (its ``config.json``; 0 when it has none)."""
    config = stage_dir / run_folder.CONFIG
    if not config.exists():
        return 0
    with run_folder.reading(config):
        return int(run_folder.read_json(config).get("seeds", 1))


def _selected(stages: list[Stage], only: Sequence[str] | None, preset: str) -> list[Stage]:
    """The stages of ``only`` (and the dataset's, which they read); all of them without ``only``."""
    if only is None:
        return stages
    names = [s.name for s in stages if s.task != "synth"]
    unknown = [name for name in only if name not in names]
    if unknown or not only:
        raise ParameterError(f"--stages {','.join(unknown) or '(none)'}: not a stage of this run (--preset {preset}); "
                             f"choose from {','.join(names)}")
    return [s for s in stages if s.task == "synth" or s.name in only]


def _anywhere(stage: Stage) -> Stage:
    """``stage`` with its folders as absolute paths, as every executor's job gets it: a process with
    another working directory (a Ray task) finds them, and what the task records of them (the
    ``data`` of ``config.json`` and ``metrics.json``) is the same whichever executor ran it and
    wherever the command was started (its key, and so its folder, stays the one of ``stage``)."""
    config = {k: str(Path(v).absolute()) if k in FOLDER_KEYS else v for k, v in stage.config.items()}
    return Stage(stage.name, stage.task, config, str(Path(stage.root).absolute()) if stage.root else None)


def _clip_progress(log: Callable[[str], None], name: str) -> Callable[[int, int, str], None]:
    """Log a dataset stage's progress: each clip of a small dataset, else every 5 % of the clips."""
    last = {"step": -1}

    def progress(done: int, total: int, message: str) -> None:
        step = done * 20 // max(total, 1)
        if total <= 40 or step != last["step"] or done == total:
            log(f"{name}: {done}/{counted(total, 'clip')} ({message})")
        last["step"] = step

    return progress


def run_pipeline(
    out: str | Path,
    preset: str = "quick",
    data_dir: str | Path | None = None,
    seed: int = 0,
    jobs: int | None = None,
    log: Callable[[str], None] = lambda message: None,
    runner: Callable[[Stage, Path, str], list[str]] = run_step,
    ray: str | None = None,
    noise: str | None = None,
    highspeed: bool = False,
    seeds: int = 1,
    only: Sequence[str] | None = None,
) -> Path:
    """Run every stage not yet done, write ``OUT/report.html`` and return its path.

    ``jobs`` (default: the number of cores) training jobs (:func:`run_step`: a training stage's
    preparation, each of its parts, its pooling) run side by side; ``jobs=1`` runs everything in
    this process, one job after the other. With ``ray`` (``"auto"`` or a head node's
    ``HOST:PORT``) the clips and then the training jobs are tasks on that Ray cluster (one CPU
    each, and one GPU for each training where the cluster has GPUs; ``jobs`` is unused), retried
    when their worker or node is lost; ``OUT`` must be on storage every node sees.
    ``noise`` sets the event cameras' noise level of the dataset built (``clean``, ``typical`` or
    ``noisy``); ``highspeed`` films the 200 fps RGB camera too and trains the frame cameras'
    upper-bound arms on it (:data:`HIGHSPEED_ARMS`; with ``data_dir``, that dataset must have it).
    ``seeds`` trains each model that many times (its folds fixed): a classifier's ensemble is scored
    and the report sets every seed of one arm against every seed of another; a reconstruction
    scores each sample by the mean over its trainings and the report shows each training's
    CVAE − method beside that mean.
    ``only`` names the training stages to run (the dataset is built first when the run builds
    it); ``pipeline.json`` and the report cover every stage of the plan done so far.
    A stage resumed from a run begun by a newer evface, or from one older than the record of its
    clip files, is logged with a warning (:func:`~evface.tasks.run_resume.resume_warning`,
    :func:`~evface.tasks.run_resume.unchecked_warning`).
    ``runner`` (:func:`run_step`'s signature) is for tests. A stage's ``seconds`` are those of its
    jobs, summed.
    """
    out = Path(out)
    ours = ("pipeline.json", "stages", "data")  # what a run writes first: a folder of other files is never written into
    if out.is_dir() and any(out.iterdir()) and not any((out / name).exists() for name in ours):
        raise DatasetError(where(out, "holds files but no evface run (no pipeline.json, stages or data); give --out a "
                                      "new folder"))
    data, stages = plan(preset, Path(data_dir) if data_dir is not None else None, out, seed, noise, highspeed, seeds)
    if data_dir is not None and not data.is_dir():
        raise DatasetError(where(data, ("is a file, not an evface" if data.exists() else "no such") + " dataset folder (--data)"))
    check_same_dataset(out, data, data_dir is not None)
    left_out: dict[str, list[str]] = {}
    if data_dir is not None:
        check_subjects(data, preset, stages)
        stages, left_out = stages_the_data_allows(data, stages, highspeed, log)
    planned, stages = stages, _selected(stages, only, preset)
    selected = {stage.name for stage in stages}
    for stage in stages:  # OUT/data of an earlier run with other options is refused before anything is made
        if stage.task == "synth":
            c = stage.config
            differs = other_dataset(c["out"], c["preset"], c["seed"], c.get("noise"), c.get("rgb_hd_cameras"))
            earlier, this = _options_made_with(Path(c["out"]), c) if differs else ([], [])
            if earlier:
                raise DatasetError(where(Path(c["out"]), f"holds the dataset of an earlier run made with "
                                                         f"{', '.join(earlier)}, not {', '.join(this)}; give --out a "
                                                         f"new folder (or {' '.join(earlier)} to add to that run)"))
            if differs:  # a dataset whose options alone do not say how it differs (made by another version)
                raise DatasetError(where(Path(c["out"]), f"holds the dataset of an earlier run with other "
                                                         f"{', '.join(differs)}; give --out a new folder"))
    for stage in planned:  # an unfinished stage started with more seeds: never shrunk
        started, finished = _seeds_started(out / stage.dirname), _finished(out / stage.dirname / STAGE_DONE)
        if started > max(stage.seeds, finished[1] if finished else 0):
            raise ParameterError(where(out / stage.dirname, f"holds stage {stage.name} started with --seeds {started} "
                                       f"and not finished: give --seeds {started} to finish it, or a new --out folder"))
    jobs = check_workers(jobs, "--jobs") if jobs is not None else (os.cpu_count() or 1)
    with ray_session(ray):  # a cluster that does not answer is refused before OUT is made
        out.mkdir(parents=True, exist_ok=True)
        seconds: dict[str, float] = {}
        earlier: dict[str, float] = {}  # the seconds of a stage done before with fewer seeds
        todo = []
        for stage in planned:
            for legacy in stage.legacy_dirnames:  # started before stage keys were portable, or held the seeds
                if (out / legacy).is_dir() and not (out / stage.dirname).exists():
                    (out / legacy).rename(out / stage.dirname)
            if stage.task == "synth":
                _forget_gone_dataset(stage, out / stage.dirname / STAGE_DONE, log)
            finished = _finished(out / stage.dirname / STAGE_DONE)
            if finished:
                seconds[stage.name], seeds = finished
                if stage.name in selected and seeds < stage.seeds:  # it trains the new seeds
                    earlier[stage.name] = seconds.pop(stage.name)
                    todo.append(stage)
                elif stage.name in selected:
                    log(f"{stage.name}: done before ({seconds[stage.name]:.0f} s"
                        + (f", {seeds} seeds" if seeds > 1 else "") + "), skipped")
            elif stage.name in selected:
                todo.append(stage)

        def finish(stage: Stage, wall_s: float) -> None:
            seconds[stage.name] = wall_s
            info = {"name": stage.name, "task": stage.task, "config": stage.config, "seconds": wall_s}
            atomic_write_text(out / stage.dirname / STAGE_DONE, json.dumps(info, indent=2, sort_keys=True))
            log(f"{stage.name}: finished in {wall_s:.0f} s ({len(seconds)}/{counted(len(planned), 'stage')} done)")

        for stage in [s for s in todo if s.task == "synth"]:  # everything else reads the dataset
            log(f"{stage.name}: running" + (f" on the Ray cluster {ray}" if ray else ""))
            (out / stage.dirname).mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            synthesize(Path(stage.config["out"]), preset=stage.config["preset"], seed=stage.config["seed"],
                       noise=stage.config.get("noise"), rgb_hd_cameras=stage.config.get("rgb_hd_cameras"),
                       executor=RayCluster(ray) if ray else local_executor(jobs, "--jobs"), progress=_clip_progress(log, stage.name))
            _check_trained_on(Path(stage.config["out"]), out, planned)
            finish(stage, time.perf_counter() - start)
        # the reconstructions are the longest chains of jobs: started first (and their jobs have priority)
        training = sorted((s for s in todo if s.task != "synth"), key=lambda s: s.task != "reconstruct")
        if ray:
            executor: Executor = RayCluster(ray)
            threads: int | None = 1
        elif jobs == 1:
            executor, threads = InProcess(), None
        else:  # one torch thread per job: two single-threaded trainings beat two two-threaded ones in turn
            executor, threads = ProcessPool(jobs), max(1, (os.cpu_count() or 1) // jobs)

        def step_job(stage: Stage, step: str) -> Job:
            """The job of one step of ``stage``: its CPUs are its torch threads; a GPU where it trains
            and its device is not ``cpu`` (used where the Ray cluster has GPUs). A reconstruction
            stage's jobs, the longest chain, take a free local worker before any other."""
            name = stage.name if step == START else f"{stage.name}: {step}"
            trains = step not in (START, POOL)
            gpus = 1.0 if trains and stage.config.get("device") != "cpu" else 0.0
            steps[name] = stage, step
            return Job(name, _timed, (runner, _anywhere(stage), (out / stage.dirname).absolute(), step, threads),
                       cpus=threads or 1, gpus=gpus,
                       priority=int(stage.task == "reconstruct"))

        steps: dict[str, tuple[Stage, str]] = {}  # a job's name: its stage and step
        spent = {stage.name: earlier.get(stage.name, 0.0) for stage in training}  # the seconds of a stage's jobs, summed
        left: dict[str, set[str]] = {}  # a classification stage's models still training

        def done(job: Job, result: tuple[float, list[str]]) -> list[Job]:
            stage, step = steps[job.name]
            wall_s, more = result
            spent[stage.name] += wall_s
            if step == START and more:
                log(f"{stage.name}: prepared in {wall_s:.0f} s, {counted(len(more), 'part')} to train")
                left[stage.name] = set(more)
                return [step_job(stage, part) for part in more]
            if step not in (START, POOL):
                log(f"{job.name}: trained in {wall_s:.0f} s")
                left[stage.name].discard(step)
                return [] if left[stage.name] else [step_job(stage, POOL)]
            finish(stage, spent[stage.name])
            return []

        for stage in training:
            (out / stage.dirname).mkdir(parents=True, exist_ok=True)
            log(f"{stage.name}: queued")
            for warning in (run_resume.resume_warning(out / stage.dirname),  # its jobs resume it with no log
                            # the dataset as the stage's job resolves it (and evface train names it)
                            run_resume.unchecked_warning(out / stage.dirname, Path(stage.config["data"]).resolve())):
                if warning is not None:  # was: not shown
                    log(warning)
        if training:
            executor.run([step_job(stage, START) for stage in training], done)
        path, base = data.resolve(), out.resolve()  # a dataset inside OUT relative to it: it moves with the run
        record = {"preset": preset, "data": path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path),
                  "config": {"preset": preset, "seed": seed, "highspeed": highspeed, **PRESETS[preset]},
                  "stages": [{"name": s.name, "task": s.task, "dir": s.dirname, "seconds": seconds[s.name]}
                             for s in planned if s.name in seconds],
                  "left_out": [{"stages": names, "why": why} for why, names in left_out.items()]}
        atomic_write_text(out / "pipeline.json", json.dumps(record, indent=2, sort_keys=True))
        report = build_report([out], out / "report.html")
        log(f"report: {report}")
        return report
