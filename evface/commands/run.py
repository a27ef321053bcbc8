"""``evface run`` (dataset → training → report) and ``evface report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from evface.commands import terminal
from evface.commands.paths import (file_name, made_folder, named_for, output_file, outside_datasets, replacing_as_checked,
                                   sole_writer)
from evface.errors import ParameterError, where
from evface.executor import WORKERS_PER_CPU, check_workers
from evface.tasks.configs import MAX_INT, MAX_SEEDS
from evface.tasks.run_folder import outside_runs


def register(app: typer.Typer) -> None:
    """Add ``evface run`` and ``evface report`` to ``app``."""
    console = terminal.console()

    @app.command("run")
    def run(
        preset: str = typer.Option("quick", "--preset", help="tiny (tests), quick (make run: <= 15 min on 2 cores), full (24 subjects, the docs' figures) or paper (larger)."),
        data: Path | None = typer.Option(None, "--data", help="Use this dataset folder instead of building the synthetic one."),
        out: Path | None = typer.Option(None, "--out", help="Output folder (default: runs/PRESET); a second run "
                                                     "skips finished stages."),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_INT, help="Seed of the dataset and of every training run."),
        jobs: int | None = typer.Option(None, "--jobs", "--workers", help=f"Processes run side by side (default: one per core this process may use, which taskset, a "
                                                   f"batch job's CPU set or a CPU quota narrow; 1 to {WORKERS_PER_CPU} per core): "
                                                   "the dataset's clips, then the training jobs (stages; a "
                                                   "classification stage's folds), each with cores/JOBS torch "
                                                   "threads."),
        noise: str | None = typer.Option(None, "--noise", help="Event-camera noise of the dataset built: clean, typical (the "
                                                        "preset's default) or noisy; docs/camera-models.md."),
        ray: str | None = typer.Option(None, "--ray", metavar="auto|HOST:PORT",
                                help="Run the clips, stages and folds as tasks on a Ray cluster (auto: the one 'ray start' "
                                     "began here; or the head's HOST:PORT); OUT must be on storage every node sees."),
        highspeed: bool = typer.Option(False, "--highspeed", help="Film a 200 fps RGB camera framed like hd too and "
                                                                  "train rgb-200 and rgb-flow-200 on it: the frame "
                                                                  "cameras' upper bound (about 3x the dataset's cost)."),
        seeds: int = typer.Option(1, "--seeds", min=1, max=MAX_SEEDS, help="Train each model this many times (folds fixed): a "
                                                            "classifier's ensemble and a reconstruction's mean score "
                                                            "are reported, each paired difference with an interval "
                                                            "over subjects and trainings (5 hold its level; 3 fall "
                                                            "short where trainings differ; N times the training "
                                                            "cost). A run given more trains only the new seeds."),
        stages: str | None = typer.Option(None, "--stages", metavar="NAME,...",
                                   help="Run only these training stages (names as the run prints them, e.g. "
                                        "recon-extrapolation-hd,events-hd), after the dataset; the report covers "
                                        "every stage done so far."),
    ) -> None:
        """Build the dataset, train and evaluate every model, and write OUT/report.html."""
        _check_preset(preset)
        _check_jobs(jobs, ray)
        out = out if out is not None else Path("runs") / preset
        report = _run_into(out, console, preset=preset, data_dir=data, seed=seed, jobs=jobs, ray=ray, noise=noise,
                           highspeed=highspeed, seeds=seeds, only=stages)  # a text: split at its commas by the pipeline
        console.print(terminal.labelled("report written:", "bold green", str(report)), soft_wrap=True)

    @app.command("report")
    def report(
        runs: list[Path] = typer.Argument(..., metavar="RUN", help="evface run outputs, training runs, evaluations (evface eval --out) or dataset folders."),
        out: Path = typer.Option(Path("report.html"), "--out", parser=file_name("--out"), metavar="<path>", help="The HTML file to write (a name ending in .html or .htm; an existing file is replaced only if it is an earlier evface report)."),
    ) -> None:
        """Write one self-contained HTML report of the given runs."""
        earlier = _check_report_out(out)
        _write_report(list(runs), out, earlier)
        console.print(terminal.labelled("report written:", "bold green", str(out)), soft_wrap=True)


def _check_preset(preset: str) -> None:
    """Refuse an unknown ``--preset`` as the pipeline's plan does (:func:`~evface.pipeline.stage_plan.check_preset`),
    before the default ``--out`` (``runs/PRESET``) is named."""
    from evface.pipeline.stage_plan import check_preset  # lazy: loads the face and rig code, kept out of `evface --help`

    check_preset(preset)


def _check_jobs(jobs: int | None, ray: str | None) -> None:
    """Refuse a bad ``--jobs``, and ``--jobs`` with ``--ray`` (the cluster's CPUs run the jobs)."""
    if jobs is not None:
        check_workers(jobs, "--jobs")
        if ray:
            raise ParameterError("--jobs is for a local run; with --ray the cluster's CPUs run the jobs")


def _run_into(out: Path, console: Console, **options: Any) -> Path:
    """Run the pipeline into ``out`` (:func:`~evface.pipeline.run.run_pipeline`'s ``options``), this
    command alone writing there, its log lines printed on ``console``; return the report's path."""
    from evface.pipeline.run import run_pipeline  # lazy: keeps torch out of `evface --help`

    with sole_writer(outside_runs(outside_datasets(out))):  # was: among the --data dataset's files or a run's models
        return run_pipeline(out, log=lambda line: console.print(line, soft_wrap=True), **options)


def _earlier_report_only(path: Path) -> None:
    """Refuse ``path`` where it is a file but not a report evface wrote: a page of the user's."""
    from evface.report.html import is_report  # lazy: keeps matplotlib out of `evface --help`

    if output_file(path, replaces=(".html", ".htm")).is_file() and not is_report(path):
        raise ParameterError(where(path, "exists and is not a report evface wrote, which this command would "
                                         "write over; give --out another name"))


def _check_report_out(out: Path) -> bool:
    """Refuse a ``--out`` the report cannot be written to, before any work; return whether a file is there."""
    _earlier_report_only(out)
    named_for(out, "--out", (".html", ".htm"), "an HTML page")  # was: the page written under any name (--out r)
    outside_datasets(out, kind="file")  # was: written among a dataset's files (inside a run: beside its own)
    return out.is_file()  # a file made at --out meanwhile is treated as one there before (was: replaced)


def _write_report(runs: list[Path], out: Path, earlier: bool) -> None:
    """Write the report of ``runs`` to ``out`` (``earlier``: a file was there when it was checked)."""
    from evface.report.html import build_report  # lazy: keeps matplotlib out of `evface --help`

    with made_folder(out.parent):  # a folder made for --out is removed if the report fails (was: left, empty)
        replacing_as_checked(out, lambda replace: build_report(runs, out, replace), _earlier_report_only, earlier)
