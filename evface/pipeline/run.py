"""``run_pipeline``: the dataset built, the training stages run as executor jobs, ``pipeline.json`` and the report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from evface.datasets.synth import dataset_room, other_dataset, synthesize
from evface.datasets.synth_film import local_executor
from evface.errors import DatasetError, ParameterError, byte_size, counted, where
from evface.executor import Executor, InProcess, Job, ProcessPool, check_workers, of_this_machine, usable_cpus
from evface.io.atomic_files import atomic_write_text
from evface.io.run_output import check_not_run_output
from evface.pipeline.earlier_run import (check_out_folder, check_same_dataset, check_same_options,
                                         check_trained_on, forget_gone_dataset, options_made_with, record_start,
                                         recorded_data, seeds_started, stage_finished)
from evface.pipeline.given_data import check_subjects, stages_the_data_allows
from evface.pipeline.stage_plan import PRESETS, Stage, anywhere, plan, selected_stages
from evface.pipeline.stage_steps import POOL, START, run_step, timed
from evface.ray_cluster import RayCluster
from evface.ray_connect import ray_session
from evface.report.html import build_report
from evface.tasks import run_folder, run_resume
from evface.tasks.configs import TASK_CONFIGS

STAGE_DONE = run_folder.STAGE_DONE
POOLING_FIRST = 2
"""The :attr:`~evface.executor.Job.priority` of a stage's pooling: above every preparation and part (a
reconstruction stage's are 1, the others' 0), so that a stage is finished as soon as its last part has
trained (was: its pooling queued behind every part then waiting, so under ``--jobs 1`` no stage had its
``metrics.json`` until the run's last parts had trained, and an interruption lost every stage's pooling)."""


@dataclass(frozen=True)
class Loop:
    """What the run carries from one stage or job to the next: where it runs, how a job runs, what is done.

    :func:`run_pipeline` makes one and its jobs' ``on_done`` fills it in (the dictionaries change,
    the fields do not).

    Parameters
    ----------
    out : Path
        The run's folder (``--out``).
    planned : list of Stage
        Every stage of the run's plan (those not run this time included).
    log : callable
        Called with each progress line.
    runner : callable
        One step of a training stage (:func:`~evface.pipeline.stage_steps.run_step`'s signature).
    threads : int or None
        A job's torch threads (``None``: this process's, unchanged).
    seconds : dict of str to float
        A finished stage's seconds, by its name.
    spent : dict of str to float
        A training stage's seconds so far (its jobs', summed; with those of its earlier seeds), by its name.
    running : list of str
        The names of the stages this run runs (``--stages``' and the dataset's, less those done
        before): what its progress counts.
    left : dict of str to set of str, optional
        A training stage's parts still training, by its name.
    steps : dict of str to tuple of (Stage, str), optional
        A job's stage and step, by the job's name.

    Examples
    --------
    >>> from evface.pipeline.stage_plan import plan
    >>> data, stages = plan("tiny", None, Path("out"))
    >>> loop = Loop(Path("out"), stages, print, run_step, threads=1, seconds={}, spent={}, running=["synth"])
    >>> loop.planned[0].name, loop.left, loop.steps
    ('synth', {}, {})
    """

    out: Path
    planned: list[Stage]
    log: Callable[[str], None]
    runner: Callable[[Stage, Path, str], list[str]]
    threads: int | None
    seconds: dict[str, float]
    spent: dict[str, float]
    running: list[str]
    left: dict[str, set[str]] = field(default_factory=dict)
    steps: dict[str, tuple[Stage, str]] = field(default_factory=dict)


def _clip_progress(log: Callable[[str], None], name: str, data: Path) -> Callable[[int, int, str], None]:
    """Log a dataset stage's progress: each clip of a small dataset, else every 5 % of the clips; after
    the first clip it films, what the dataset in ``data`` will take on disk
    (:func:`~evface.datasets.synth.dataset_room`; a disk without the room for it is refused just after,
    :func:`~evface.datasets.synth.check_room`)."""
    last = {"step": -1, "first": -1}

    def progress(done: int, total: int, message: str) -> None:
        step = done * 20 // max(total, 1)
        if total <= 40 or step != last["step"] or done == total:
            log(f"{name}: {done}/{counted(total, 'clip')} ({message})")
        last["step"] = step
        if last["first"] < 0:  # the clips there before this run filmed any
            last["first"] = done
        elif done == last["first"] + 1 and done < total:
            each, _, free = dataset_room(data / "clips", total)
            log(f"{name}: {counted(total, 'clip')} of about {byte_size(each)} each (as those written): about "
                f"{byte_size(each * total)}, {byte_size(free)} free on the disk of {data}")

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

    ``jobs`` (default: the CPUs this process may use, :func:`~evface.executor.usable_cpus`) training
    jobs (:func:`run_step`: a training stage's preparation, each of its parts, its pooling) run side
    by side; ``jobs=1`` runs everything in
    this process, one job after the other. With ``ray`` (``"auto"`` or a head node's
    ``HOST:PORT``) the clips and then the training jobs are tasks on that Ray cluster (one CPU
    each, and one GPU for each training where the cluster has GPUs; ``jobs`` is unused), retried
    when their worker or node is lost; ``OUT`` must be on storage every node sees.
    ``noise`` sets the event cameras' noise level of the dataset built (``clean``, ``typical`` or
    ``noisy``); ``highspeed`` films the 200 fps RGB camera too and trains the frame cameras'
    upper-bound arms on it (:data:`~evface.pipeline.stage_plan.HIGHSPEED_ARMS`; with ``data_dir``, that dataset must have it).
    ``seeds`` trains each model that many times (its folds fixed): a classifier's ensemble is scored
    and the report sets every seed of one arm against every seed of another; a reconstruction
    scores each sample by the mean over its trainings and the report shows each training's
    CVAE − method beside that mean.
    ``only`` names the training stages to run (a list, or one text of names separated by commas
    as ``--stages`` takes them; the dataset is built first when the run builds it); ``pipeline.json`` and the report cover every stage of the plan done so far.
    A stage resumed from a run begun by a newer evface, or from one older than the record of its
    clip files, is logged with a warning (:func:`~evface.tasks.run_resume.resume_warning`,
    :func:`~evface.tasks.run_resume.unchecked_warning`).
    ``runner`` (:func:`run_step`'s signature) is for tests. A stage's ``seconds`` are those of its
    jobs, summed.

    Bad options and inputs are refused before ``out`` is made or written (:class:`ParameterError`,
    :class:`DatasetError`, naming the option).

    Parameters
    ----------
    out : str or Path
        The run's folder (``--out``): new, or one an earlier run wrote (resumed).
    preset : str, optional
        A key of :data:`~evface.pipeline.stage_plan.PRESETS` (``--preset``).
    data_dir : str or Path, optional
        A dataset folder to train on (``--data``); None builds the preset's in ``out/data``.
    seed : int, optional
        The seed of the dataset, the folds and the trainings (``--seed``).
    jobs : int, optional
        Training jobs side by side (``--jobs``; default: the CPUs this process may use, which a
        ``taskset``, a batch job's CPU set or a cgroup's CPU quota narrow; unused with ``ray``).
    log : callable, optional
        Called with each progress line (``evface run`` prints them).
    runner : callable, optional
        One step of a training stage (:func:`run_step`'s signature; for tests).
    ray : str, optional
        ``"auto"`` or a Ray head node's ``HOST:PORT`` (``--ray``).
    noise : str, optional
        The event cameras' noise level of the dataset built (``--noise``).
    highspeed : bool, optional
        Film the 200 fps RGB camera and train its arms (``--highspeed``).
    seeds : int, optional
        Trainings of each model (``--seeds``).
    only : sequence of str or str, optional
        The training stages to run (``--stages``); None runs every stage of the plan.

    Returns
    -------
    Path
        ``out/report.html``.

    Raises
    ------
    ParameterError, DatasetError
        A bad option or input, before ``out`` is made or written.

    Examples
    --------
    >>> run_pipeline("out", preset="tiny", only=["rgb-200"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --stages rgb-200 (trained with --highspeed only): not a stage of this run (--preset tiny); choose from events-hd,...
    >>> run_pipeline("out", data_dir="nowhere")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: nowhere: no such dataset folder (--data)
    >>> Path("out").exists()
    False
    """
    out = Path(out)
    check_out_folder(out, Path(data_dir) if data_dir is not None else None)
    data, stages = plan(preset, Path(data_dir) if data_dir is not None else None, out, seed, noise, highspeed, seeds)
    if data_dir is not None:
        _check_given_data(data)
    check_same_dataset(out, data, data_dir is not None)
    left_out: dict[str, list[str]] = {}
    if data_dir is not None:
        check_subjects(data, preset, stages)
        stages, left_out = stages_the_data_allows(data, stages, highspeed, log)
    planned, stages = stages, selected_stages(stages, only, preset, left_out)
    _check_stage_settings(stages)
    _check_dataset_options(stages)
    check_same_options(out, preset, seed)  # was: a run on --data with another preset trained beside the earlier one
    _check_seeds_not_fewer(out, planned)
    if jobs is not None:
        jobs = check_workers(jobs, "--jobs")
    else:  # was: the machine's CPUs, so that a job given 4 of a node's 64 ran 64 processes on them
        jobs = usable_cpus()
        if not ray:
            log(_default_jobs_line(jobs))
    with ray_session(ray):  # a cluster that does not answer is refused before OUT is made
        out.mkdir(parents=True, exist_ok=True)
        config = {"preset": preset, "seed": seed, "highspeed": highspeed, **PRESETS[preset]}
        # was: none until pipeline.json, and a resume of a stopped first run went unchecked (its options, then its dataset)
        record_start(out, config, data, built=data_dir is None)
        seconds, earlier, todo = _what_is_done(out, planned, {stage.name for stage in stages}, log)
        # the reconstructions are the longest chains of jobs: started first (and their jobs have priority
        # over the others' but for a pooling, which ends its stage: _step_job)
        training = sorted((s for s in todo if s.task != "synth"), key=lambda s: s.task != "reconstruct")
        executor, threads = _training_executor(ray, jobs)
        loop = Loop(out, planned, log, runner, threads, seconds,
                    spent={stage.name: earlier.get(stage.name, 0.0) for stage in training},
                    running=[stage.name for stage in todo])
        for stage in [s for s in todo if s.task == "synth"]:  # everything else reads the dataset
            _build_dataset(loop, stage, ray, jobs)
        for stage in training:
            _queue(loop, stage)
        if training:
            executor.run([_step_job(loop, stage, START) for stage in training], partial(_job_done, loop))
        record = {"preset": preset, "data": recorded_data(data, out), "config": config,
                  "stages": [{"name": s.name, "task": s.task, "dir": s.dirname, "seconds": seconds[s.name]}
                             for s in planned if s.name in seconds],
                  "left_out": [{"stages": names, "why": why} for why, names in left_out.items()]}
        atomic_write_text(out / "pipeline.json", json.dumps(record, indent=2, sort_keys=True))
        return build_report([out], out / "report.html")  # the caller names it (evface run: "report written: ...")


def _check_given_data(data: Path) -> None:
    """Refuse the ``--data`` folder ``data`` where it holds no dataset (no folder, a file, or a folder
    without ``manifest.csv``: an empty one, an ``evface run`` output, whose dataset is named), naming ``--data``."""
    if not data.is_dir():
        raise DatasetError(where(data, ("is a file, not an evface" if data.exists() else "no such") + " dataset folder (--data)"))
    check_not_run_output(data, "--data")  # was: "holds no manifest.csv", RUN/data not named
    if not (data / "manifest.csv").is_file():  # was: "DATA/manifest.csv: no manifest: ...", no option named
        raise DatasetError(where(data, "holds no manifest.csv: not an evface dataset folder (--data)"))


def _check_stage_settings(stages: list[Stage]) -> None:
    """Build each training stage's task config (:data:`~evface.tasks.configs.TASK_CONFIGS`) before
    anything is made, so that settings it refuses (``--seed 2147483647 --seeds 2``: the trainings'
    seeds past 2^31 - 1) are refused before OUT is (was: OUT, its ``started.json`` and ``stages``
    made, then the stage refused as it started, after "queued")."""
    for stage in stages:
        if stage.task != "synth":
            TASK_CONFIGS[stage.task](**{k: v for k, v in stage.config.items() if k != "data"})


def _check_dataset_options(stages: list[Stage]) -> None:
    """Refuse the dataset folder of a synth stage of ``stages`` that holds the dataset of an earlier
    run made with other options, before anything is made."""
    for stage in stages:
        if stage.task == "synth":
            c = stage.config
            differs = other_dataset(c["out"], c["preset"], c["seed"], c.get("noise"), c.get("rgb_hd_cameras"))
            earlier, this = options_made_with(Path(c["out"]), c) if differs else ([], [])
            if earlier:
                raise DatasetError(where(Path(c["out"]), f"holds the dataset of an earlier run made with "
                                                         f"{', '.join(earlier)}, not {', '.join(this)}; give --out a "
                                                         f"new folder (or {' '.join(earlier)} to add to that run)"))
            if differs:  # a dataset whose options alone do not say how it differs (made by another version)
                raise DatasetError(where(Path(c["out"]), f"holds the dataset of an earlier run with other "
                                                         f"{', '.join(differs)}; give --out a new folder"))


def _check_seeds_not_fewer(out: Path, planned: list[Stage]) -> None:
    """Refuse a stage of ``planned`` started in ``out`` with more seeds and not finished: it is never shrunk."""
    for stage in planned:
        started, finished = seeds_started(out / stage.dirname), stage_finished(out / stage.dirname / STAGE_DONE)
        if started > max(stage.seeds, finished[1] if finished else 0):
            raise ParameterError(where(out / stage.dirname, f"holds stage {stage.name} started with --seeds {started} "
                                       f"and not finished: give --seeds {started} to finish it, or a new --out folder"))


def _what_is_done(out: Path, planned: list[Stage], selected: set[str],
                  log: Callable[[str], None]) -> tuple[dict[str, float], dict[str, float], list[Stage]]:
    """What an earlier run in ``out`` finished of ``planned``: the seconds of each finished stage,
    the seconds of each finished before with fewer seeds (it trains the new seeds), and the stages
    of ``selected`` to run. A stage's folder from an earlier evface is renamed to its own, and the
    finished dataset stage of a dataset since moved or deleted is unfinished again."""
    seconds: dict[str, float] = {}
    earlier: dict[str, float] = {}
    todo = []
    for stage in planned:
        for legacy in stage.legacy_dirnames:  # started before stage keys were portable, or held the seeds
            if (out / legacy).is_dir() and not (out / stage.dirname).exists():
                (out / legacy).rename(out / stage.dirname)
        if stage.task == "synth":
            forget_gone_dataset(stage, out / stage.dirname / STAGE_DONE, log)
        finished = stage_finished(out / stage.dirname / STAGE_DONE)
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
    return seconds, earlier, todo


def _default_jobs_line(jobs: int) -> str:
    """The line that says what the default ``--jobs``, ``jobs``, is and why, and each job's threads."""
    share = of_this_machine(jobs)
    why = f"one per CPU this process may use{f', {jobs}{share}' if share else ''}"
    if jobs == 1:
        return f"--jobs 1 ({why}): one job at a time, in this process"
    return f"--jobs {jobs} ({why}), {counted(threads_per_job(jobs), 'torch thread')} each"


def _training_executor(ray: str | None, jobs: int) -> tuple[Executor, int | None]:
    """The executor of the training jobs and each job's torch threads (``None``: this process's)."""
    if ray:
        return RayCluster(ray), 1
    if jobs == 1:
        return InProcess(), None
    return ProcessPool(jobs), threads_per_job(jobs)


def threads_per_job(jobs: int) -> int:
    """The torch threads of each of ``jobs`` local pool processes: the CPUs this process may use, shared.

    One torch thread per job where the jobs are as many as the CPUs: two single-threaded trainings
    beat two two-threaded ones in turn. The CPUs are :func:`~evface.executor.usable_cpus` (was: the
    machine's, so that a job given 4 of a node's 64 CPUs ran each of 2 jobs on 32 threads).

    Parameters
    ----------
    jobs : int
        The processes run side by side (``--jobs``), >= 1.

    Returns
    -------
    int
        The threads, at least 1.

    Examples
    --------
    >>> threads_per_job(usable_cpus()), threads_per_job(4 * usable_cpus())
    (1, 1)
    """
    return max(1, usable_cpus() // jobs)


def _build_dataset(loop: Loop, stage: Stage, ray: str | None, jobs: int) -> None:
    """Run the synth stage ``stage``: its clips on the Ray cluster ``ray``, else ``jobs`` at a time;
    then check the dataset against the one the run's stages were trained on."""
    loop.log(f"{stage.name}: running" + (f" on the Ray cluster {ray}" if ray else ""))
    (loop.out / stage.dirname).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = Path(stage.config["out"])
    synthesize(data, preset=stage.config["preset"], seed=stage.config["seed"],
               noise=stage.config.get("noise"), rgb_hd_cameras=stage.config.get("rgb_hd_cameras"),
               executor=RayCluster(ray) if ray else local_executor(jobs, "--jobs"),
               progress=_clip_progress(loop.log, stage.name, data))
    check_trained_on(data, loop.out, loop.planned)
    _finish(loop, stage, time.perf_counter() - start)


def _queue(loop: Loop, stage: Stage) -> None:
    """Make the folder of the training stage ``stage`` and log it queued, with its resume warnings."""
    (loop.out / stage.dirname).mkdir(parents=True, exist_ok=True)
    loop.log(f"{stage.name}: queued")
    for warning in (run_resume.resume_warning(loop.out / stage.dirname),  # its jobs resume it with no log
                    # the dataset as the stage's job resolves it (and evface train names it)
                    run_resume.unchecked_warning(loop.out / stage.dirname, Path(stage.config["data"]).resolve())):
        if warning is not None:  # was: not shown
            loop.log(warning)


def _step_job(loop: Loop, stage: Stage, step: str) -> Job:
    """The job of one step of ``stage``: its CPUs are its torch threads; a GPU where it trains
    and its device is not ``cpu`` (used where the Ray cluster has GPUs). A free local worker takes
    a stage's pooling before any other job (released by the stage's last part: the stage is then
    finished, its ``metrics.json`` and ``stage.json`` written and its cached inputs removed, rather
    than after every part then waiting, of every stage; it delays the waiting parts by one job),
    then a reconstruction stage's jobs, the longest chain, then the others (:data:`POOLING_FIRST`)."""
    name = stage.name if step == START else f"{stage.name}: {step}"
    trains = step not in (START, POOL)
    gpus = 1.0 if trains and stage.config.get("device") != "cpu" else 0.0
    loop.steps[name] = stage, step
    return Job(name, timed, (loop.runner, anywhere(stage), (loop.out / stage.dirname).absolute(), step, loop.threads),
               cpus=loop.threads or 1, gpus=gpus,
               priority=POOLING_FIRST if step == POOL else int(stage.task == "reconstruct"))


def _job_done(loop: Loop, job: Job, result: tuple[float, list[str]]) -> list[Job]:
    """Record the finished ``job`` (its wall time and the steps it leaves) and return the jobs it
    releases: a stage's parts after its preparation, its pooling after its last part; a stage whose
    last job this was is finished."""
    stage, step = loop.steps[job.name]
    wall_s, more = result
    loop.spent[stage.name] += wall_s
    if step == START and more:
        loop.log(f"{stage.name}: prepared in {wall_s:.0f} s, {counted(len(more), 'part')} to train")
        loop.left[stage.name] = set(more)
        return [_step_job(loop, stage, part) for part in more]
    if step not in (START, POOL):
        loop.log(f"{job.name}: trained in {wall_s:.0f} s")
        loop.left[stage.name].discard(step)
        return [] if loop.left[stage.name] else [_step_job(loop, stage, POOL)]
    _finish(loop, stage, loop.spent[stage.name])
    return []


def _finish(loop: Loop, stage: Stage, wall_s: float) -> None:
    """Record ``stage`` finished in ``wall_s`` seconds: its ``stage.json``, and a log line that counts the
    stages this run has finished of those it runs (``--stages``', not the plan's)."""
    loop.seconds[stage.name] = wall_s
    info = {"name": stage.name, "task": stage.task, "config": stage.config, "seconds": wall_s}
    atomic_write_text(loop.out / stage.dirname / STAGE_DONE, json.dumps(info, indent=2, sort_keys=True))
    done = sum(name in loop.seconds for name in loop.running)  # was: of every stage planned, and done before
    loop.log(f"{stage.name}: finished in {wall_s:.0f} s ({done}/{counted(len(loop.running), 'stage')} done)")
