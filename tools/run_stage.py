"""One training stage of an ``evface run`` preset, on a dataset, its parts side by side.

Not part of the package: the way the GPU figures of docs/reconstruction.md ("The `full` preset's
folds on a GPU") were made. ``evface run`` runs every stage of a preset; this runs one, as
``evface run`` would (:func:`evface.pipeline.stage_steps.run_step`: the stage's preparation, then each of its
parts, a reconstruction fold or a classification model, in its own process, all at once, then its
pooling), with ``--set`` changing fields of its configuration (the stage's folder name keeps the
configuration's key, so a changed stage never resumes another's folder; ``seeds`` does not enter
the key: a larger ``--set seeds=N`` trains the new seeds in the stage's folder). On a GPU machine every
part trains on the GPU (the configuration's ``device`` is ``auto``).

Run (from the repository root, with evface's virtualenv)::

    python tools/run_stage.py DATA OUT recon-extrapolation-hd [--preset full] [--set step_us=200000] [--threads 1] [--jobs 2]

It prints the configuration, each part's wall time and the stage's folder (``OUT/stages/NAME-KEY``,
where ``evface report`` and ``evface compare`` read it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from evface.commands.paths import output_folder, outside_datasets
from evface.errors import EvfaceError, ParameterError, counted
from evface.executor import usable_cpus
from evface.io.dataset import DatasetFolder
from evface.pipeline import stage_plan, stage_steps
from evface.pipeline.earlier_run import check_out_folder, check_same_dataset
from evface.tasks import registry
from evface.tasks.run_folder import outside_runs


def train_part(stage: stage_plan.Stage, run_dir: Path, part: str, threads: int) -> float:
    """Train one part of ``stage`` in this process with ``threads`` torch threads; its wall seconds."""
    import torch

    torch.set_num_threads(threads)
    start = time.perf_counter()
    stage_steps.run_step(stage, run_dir, part)
    return time.perf_counter() - start


def run_stage(data: Path, out: Path, name: str, preset: str = "full", changes: dict | None = None,
              threads: int = 0, jobs: int = 0) -> Path:
    """Run stage ``name`` of ``preset``'s plan on ``data`` with ``changes`` to its configuration,
    ``jobs`` parts at a time (0: all); return the stage's folder. Every argument is checked before
    anything is written (:func:`checked_stage`)."""
    stage = checked_stage(data, out, name, preset, changes or {}, threads, jobs)
    print("config", json.dumps(stage.config, sort_keys=True), flush=True)
    run_dir = out / stage.dirname
    run_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    parts = stage_steps.run_step(stage, run_dir, stage_steps.START)  # pools at once when no part is left
    print(f"prepared in {time.perf_counter() - start:.0f} s, {counted(len(parts), 'part')} to train", flush=True)
    if parts:
        jobs = min(jobs or len(parts), len(parts))
        threads = threads or max(1, usable_cpus() // jobs)
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            trainings = {part: pool.submit(train_part, stage, run_dir, part, threads) for part in parts}
            for part, job in trainings.items():
                print(f"{part}: trained in {job.result():.0f} s", flush=True)
        start = time.perf_counter()
        stage_steps.run_step(stage, run_dir, stage_steps.POOL)
        print(f"pooled in {time.perf_counter() - start:.0f} s", flush=True)
    print(run_dir, flush=True)
    return run_dir


def checked_stage(data: Path, out: Path, name: str, preset: str, changes: dict, threads: int,
                  jobs: int) -> stage_plan.Stage:
    """The stage ``name`` of ``preset``'s plan with ``changes``, or a :class:`ParameterError` (a
    :class:`DatasetError` for ``data`` or ``out``) naming the argument, before anything is written
    (was: a bad ``--set`` value, DATA or ``--jobs`` a traceback after ``OUT/stages/NAME-KEY`` was
    made, and OUT a dataset folder, a folder of other files or a run on another dataset written into)."""
    for option, value in (("--threads", threads), ("--jobs", jobs)):
        if value < 0:
            raise ParameterError(f"{option} {value}: give 0 (the default) or more")
    _, stages = stage_plan.plan(preset, data, out)
    found = {s.name: s for s in stages if s.task != "synth"}
    if name not in found:
        raise ParameterError(f"no stage {name!r} in preset {preset!r}; choose from {', '.join(found)}")
    stage = found[name]
    known = {f.name for f in dataclasses.fields(registry.get(stage.task).config)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ParameterError(f"--set {', '.join(unknown)}: not a setting of {stage.task}; choose from {', '.join(sorted(known))}")
    stage = stage_plan.Stage(stage.name, stage.task, {**stage.config, **changes}, stage.root)
    try:
        registry.get(stage.task).config(**{k: v for k, v in stage.config.items() if k != "data"})
    except ParameterError as exc:
        raise ParameterError(f"--set {exc}") from exc
    DatasetFolder.open(data)
    output_folder(out, "OUT")  # was: a file given as OUT a traceback, after the configuration was printed
    check_out_folder(outside_runs(outside_datasets(out, "OUT"), "OUT"), data, "OUT")
    check_same_dataset(out, data, given=True, options=("DATA", "OUT"))  # was: its stage written into that run
    return stage


def _path(text: str) -> Path:
    if not text:  # Path("") is the current folder (was: OUT "" a stage written there)
        raise argparse.ArgumentTypeError("an empty text is no path; give a folder")
    return Path(text)


def _change(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set takes KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=_path, help="dataset folder")
    parser.add_argument("out", type=_path, help="run folder (the stage goes to OUT/stages/NAME-KEY)")
    parser.add_argument("stage", help="stage name, e.g. recon-extrapolation-hd or events-hd")
    parser.add_argument("--preset", default="full", choices=sorted(stage_plan.PRESETS))
    parser.add_argument("--set", dest="changes", type=_change, action="append", default=[], metavar="KEY=VALUE",
                        help="a field of the stage's configuration (a JSON value or a word), e.g. step_us=200000")
    parser.add_argument("--threads", type=int, default=0, help="torch threads of each part (default: cores / jobs)")
    parser.add_argument("--jobs", type=int, default=0, help="parts trained at a time (default: all; each holds its "
                                                           "training samples in memory)")
    args = parser.parse_args()
    try:
        run_stage(args.data, args.out, args.stage, args.preset, dict(args.changes), args.threads, args.jobs)
    except EvfaceError as exc:  # one line, exit 2, as evface's commands refuse (was: a traceback, exit 1)
        parser.exit(2, f"error: {exc}\n")


if __name__ == "__main__":
    main()
