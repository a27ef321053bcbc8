"""``evface synth OUT --preset ...`` and ``evface synth-merge OUT SHARD_DIR...``: thin shells over
:mod:`evface.datasets.synth` and :mod:`evface.datasets.synth_shards`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from evface.commands import terminal
from evface.commands.options import given
from evface.commands.paths import output_folder, outside_datasets, sole_writer
from evface.errors import ParameterError, counted
from evface.executor import WORKERS_PER_CPU
from evface.ray_cluster import RayCluster
from evface.ray_connect import ray_session


def _split_list(values: list[str] | None, option: str) -> list[str] | None:
    """The names a list option gives, commas splitting them (None when it is not given); a
    :class:`ParameterError` naming ``option`` when it names nothing (``--classes ''`` made a dataset
    of no clips). A name given twice is refused by :func:`evface.datasets.synth_plan.check_names`."""
    if not values:
        return None
    names = [v.strip(" \t") for item in values for v in item.split(",") if v.strip(" \t")]  # strip(): '\x1c5' shown as '5'
    if not names:
        raise ParameterError(f"{option} {','.join(values)!r} names nothing; give at least one name, or leave "
                             f"{option} out for the preset's")
    return names


def _ready(root: Path) -> str:
    """The line that ends ``evface synth``: the dataset folder and its clips. A shard of none (a
    plan of fewer clips than the shard's index + 1: a Slurm array of fixed size over a small preset)
    says so, and that synth-merge takes it as it is."""
    from evface.io.dataset import read_dataset_json  # lazy: h5py stays out of CLI start-up

    info = read_dataset_json(root)
    n, shard = int(info.get("n_clips", 0)), info.get("shard")
    if n == 0 and shard:
        return (f"dataset ready: {root} (no clips: the plan has fewer than {shard[0] + 1} clips, so shard "
                f"{shard[0]}/{shard[1]} gets none; synth-merge takes it as it is)")
    return f"dataset ready: {root} ({counted(n, 'clip')})"


def _check_local_workers(workers_given: bool, ray: str | None) -> None:
    """Refuse ``--jobs`` (``--workers``) with ``--ray``, even ``--jobs 1``: the cluster's CPUs film the clips."""
    if ray and workers_given:
        raise ParameterError("--jobs is for a local run; with --ray the cluster's CPUs film the clips")


def _progress_columns() -> tuple[ProgressColumn, ...]:
    """The columns of ``evface synth``'s progress bar: its name, the bar, clips done, times, the last message."""
    return (TextColumn("[bold]synth[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), TextColumn("{task.description}", markup=False))


def _bar_progress(bar: Progress) -> Callable[[int, int, str], None]:
    """A ``progress(done, total, message)`` for :func:`~evface.datasets.synth.synthesize` that moves one new task of ``bar``."""
    task = bar.add_task("", total=None)

    def progress(done: int, total: int, message: str) -> None:
        bar.update(task, completed=done, total=total, description=message)

    return progress


def register(app: typer.Typer) -> None:
    """Add ``evface synth`` and ``evface synth-merge`` to ``app``."""

    @app.command("synth")
    def synth(
        context: typer.Context,
        out: Path = typer.Argument(..., metavar="OUT", help="Dataset folder to write: new, empty, or one this "
                                                            "command made with the same options (it resumes)."),
        preset: str = typer.Option("quick", "--preset", help="tiny (tests), quick (make run: ~5 min on 2 cores), full (24 subjects, 1,344 clips) or paper."),
        seed: int = typer.Option(0, "--seed", min=0, help="Dataset seed: the same seed gives the same dataset."),
        subjects: int | None = typer.Option(None, "--subjects", help="Number of procedural subjects (default: the preset's)."),
        classes: list[str] | None = typer.Option(None, "--classes", help="Classes to make, e.g. --classes AU4,AU6+12 or neutral (default: the preset's, every AU class but for tiny)."),
        lighting: list[str] | None = typer.Option(None, "--lighting", help="Lighting presets, e.g. --lighting bright,dim (default: the preset's)."),
        faces: Path | None = typer.Option(None, "--faces", help="Folder of frontal face photos, one subject each."),
        workers: int = typer.Option(1, "--jobs", "--workers", help=f"Processes generating clips in parallel (1 to {WORKERS_PER_CPU} per core this process may use)."),
        shard: str | None = typer.Option(None, "--shard", help="I/N: make only shard I of N (join them with synth-merge)."),
        ray: str | None = typer.Option(None, "--ray", metavar="auto|HOST:PORT",
                                help="Film the clips as tasks on a Ray cluster (auto: the one 'ray start' began here; "
                                     "or the head's HOST:PORT); OUT must be on storage every node sees."),
        noise: str | None = typer.Option(None, "--noise", help="Event-camera noise: clean, typical (the preset's default) "
                                                        "or noisy (v2e's noisy rates); docs/camera-models.md."),
        rgb_hd_cameras: list[str] | None = typer.Option(None, "--rgb-hd-cameras",
                                                 help="RGB cameras framed like hd (its face pixels), e.g. "
                                                      "webcam30,highspeed200 (200 fps: the frame cameras' upper bound, "
                                                      "about 3x a clip's cost and size). Default: webcam30."),
    ) -> None:
        """Build the synthetic RGB + event micro-expression dataset (resumes if interrupted)."""
        from evface.datasets.synth import synthesize  # lazy: cv2, numba and the renderer stay out of CLI start-up

        outside_datasets(output_folder(out, "OUT"), "OUT", own=True)  # was: a dataset made among another's files
        class_names, lightings = _split_list(classes, "--classes"), _split_list(lighting, "--lighting")
        rgb_hd_names = _split_list(rgb_hd_cameras, "--rgb-hd-cameras")
        _check_local_workers(given(context, "workers"), ray)  # was: --workers 1 with --ray accepted
        # a refused option leaves one line; a Ray cluster that does not answer is refused before OUT is made
        with ray_session(ray), sole_writer(out, "OUT"), terminal.progress(*_progress_columns()) as bar:
            root = synthesize(
                out, preset=preset, seed=seed, subjects=subjects, classes=class_names,
                lighting=lightings, faces_dir=faces, workers=workers, shard=shard, progress=_bar_progress(bar),
                executor=RayCluster(ray) if ray else None, noise=noise, rgb_hd_cameras=rgb_hd_names,
                warn=lambda text: terminal.warn(bar.console, text),
            )
        terminal.console().print(_ready(root), soft_wrap=True)

    @app.command("synth-merge")
    def synth_merge(
        out: Path = typer.Argument(..., metavar="OUT", help="Dataset folder to write."),
        shard_dirs: list[Path] = typer.Argument(..., metavar="SHARD_DIR",
                                                help="The folders made by 'evface synth --shard I/N', all N of them."),
    ) -> None:
        """Join the shard folders of one synthetic dataset into OUT (the same as one unsharded run)."""
        from evface.datasets.synth_shards import merge_shards  # lazy: cv2 and numba stay out of CLI start-up

        with sole_writer(outside_datasets(out, "OUT", own=True), "OUT"):  # was: merged among another dataset's files
            root = merge_shards(out, shard_dirs)
        terminal.console().print(f"merged {counted(len(shard_dirs), 'shard')} into {root}", soft_wrap=True)
