"""``run_pipeline``: the dataset built, the training stages run as executor jobs, ``pipeline.json`` and the report."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from evface.datasets.synth import other_dataset, synthesize
from evface.datasets.synth_film import local_executor
from evface.errors import DatasetError, ParameterError, counted, where
from evface.executor import Executor, InProcess, Job, ProcessPool, check_workers
from evface.io.atomic_files import atomic_write_text
from evface.pipeline.earlier_run import (check_same_dataset, check_trained_on, forget_gone_dataset, options_made_with,
                                         seeds_started, stage_finished)
from evface.pipeline.given_data import check_subjects, stages_the_data_allows
from evface.pipeline.stage_plan import PRESETS, Stage, anywhere, plan, selected_stages
from evface.pipeline.stage_steps import POOL, START, run_step, timed
from evface.ray_cluster import RayCluster
from evface.ray_connect import ray_session
from evface.report.html import build_report
from evface.tasks import run_folder, run_resume

STAGE_DONE = run_folder.STAGE_DONE


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
    upper-bound arms on it (:data:`~evface.pipeline.stage_plan.HIGHSPEED_ARMS`; with ``data_dir``, that dataset must have it).
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
    planned, stages = stages, selected_stages(stages, only, preset)
    selected = {stage.name for stage in stages}
    for stage in stages:  # OUT/data of an earlier run with other options is refused before anything is made
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
    for stage in planned:  # an unfinished stage started with more seeds: never shrunk
        started, finished = seeds_started(out / stage.dirname), stage_finished(out / stage.dirname / STAGE_DONE)
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
            check_trained_on(Path(stage.config["out"]), out, planned)
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
            return Job(name, timed, (runner, anywhere(stage), (out / stage.dirname).absolute(), step, threads),
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
