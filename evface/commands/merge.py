"""``evface merge OUT DATASET...``: join dataset folders (imported sessions, corpora, synthetic
datasets) into one, so that subject folds see every subject."""

from __future__ import annotations

from pathlib import Path

import typer

from evface.commands import terminal
from evface.commands.paths import output_folder, outside_datasets, sole_writer
from evface.errors import counted
from evface.io.dataset_output import check_apart
from evface.io.run_output import check_not_run_output


def register(app: typer.Typer) -> None:
    """Add ``evface merge`` to ``app``."""

    @app.command("merge")
    def merge(
        out: Path = typer.Argument(..., metavar="OUT", help="Dataset folder to create."),
        datasets: list[Path] = typer.Argument(..., metavar="DATASET", help="Dataset folders to join (two or more)."),
        overwrite: bool = typer.Option(False, "--force", "--overwrite", help="Replace an earlier dataset in the output folder (never a folder of other files)."),
    ) -> None:
        """Join dataset folders (imported sessions, corpora, synthetic datasets) into one, clips hard-linked
        where possible; clip ids must be unique across them, regardless of case."""
        from evface.datasets.merge import merge_datasets  # lazy: h5py stays out of CLI start-up

        output_folder(out, "OUT")  # a file on the way to OUT: named first, as every command names it
        check_apart(out, datasets)  # a folder inside a source: named as overlapping it, before the check below
        for folder in datasets:  # was: "RUN/manifest.csv: no manifest", the run's dataset not named
            check_not_run_output(folder, "DATASET")
        with sole_writer(outside_datasets(out, "OUT", own=True), "OUT"):  # was: merged among another dataset's files
            report = merge_datasets(out, datasets, overwrite=overwrite)
        terminal.result(f"{out}: {counted(report['clips'], 'clip')} of {counted(len(report['subjects']), 'subject')}")
        console = terminal.console()
        for text in report["warnings"]:
            terminal.warn(console, text)
