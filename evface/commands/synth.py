"""``evface synth OUT --preset ...`` and ``evface synth merge OUT SHARD_DIR...``: thin shells over
:mod:`evface.datasets.synth`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from evface.errors import ParameterError


def _split_list(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    """Add ``evface synth`` to ``app``."""

    @app.command("synth", context_settings={"help_option_names": ["-h", "--help"]})
    def synth(
        out: str = typer.Argument(..., metavar="OUT", help="Dataset folder to write (or 'merge', see below)."),
        shard_dirs: list[Path] = typer.Argument(None, metavar="[SHARD_DIR...]", show_default=False,
                                                help="With 'merge': OUT then the shard folders."),
        preset: str = typer.Option("quick", "--preset", help="tiny (tests), quick (<= 3 min on 2 cores) or paper."),
        seed: int = typer.Option(0, "--seed", help="Dataset seed: the same seed gives the same dataset."),
        subjects: int = typer.Option(None, "--subjects", help="Number of procedural subjects (default: the preset's)."),
        classes: list[str] = typer.Option(None, "--classes", help="Classes to make, e.g. --classes AU4,AU6+12 (default: all)."),
        lighting: list[str] = typer.Option(None, "--lighting", help="Lighting presets, e.g. --lighting bright,dim."),
        faces: Path = typer.Option(None, "--faces", help="Folder of frontal face photos, one subject each."),
        workers: int = typer.Option(1, "--workers", help="Processes generating clips in parallel."),
        shard: str = typer.Option(None, "--shard", help="I/N: make only shard I of N (join them with 'merge')."),
    ) -> None:
        """Build the synthetic RGB + event micro-expression dataset (resumes if interrupted).

        `evface synth merge OUT SHARD_DIR...` joins the folders made with --shard I/N.
        """
        from evface.datasets import synth as lib

        console = Console(stderr=True)
        if out == "merge":
            if not shard_dirs or len(shard_dirs) < 2:
                raise ParameterError("usage: evface synth merge OUT SHARD_DIR...")
            root = lib.merge_shards(shard_dirs[0], shard_dirs[1:])
            console.print(f"merged {len(shard_dirs) - 1} shard(s) into {root}", soft_wrap=True)
            return
        if shard_dirs:
            raise ParameterError(f"unexpected argument(s) {[str(p) for p in shard_dirs]} (only 'merge' takes several folders)")
        if faces is not None:
            _, problems = lib.load_face_photos(faces)
            for problem in problems:
                console.print(f"[yellow]warning:[/] {problem.file}: {problem.reason}", highlight=False, soft_wrap=True)
        columns = (TextColumn("[bold]synth[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), TextColumn("{task.description}"))
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("", total=None)

            def progress(done: int, total: int, message: str) -> None:
                bar.update(task, completed=done, total=total, description=message)

            root = lib.synthesize(
                Path(out), preset=preset, seed=seed, subjects=subjects, classes=_split_list(classes),
                lighting=_split_list(lighting), faces_dir=faces, workers=workers, shard=shard, progress=progress,
            )
        console.print(f"dataset ready: {root}", soft_wrap=True)
