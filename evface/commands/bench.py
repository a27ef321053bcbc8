"""``evface bench [io|sim|synth|train]``: print one JSON document of measured speeds (and, with
``--out``, write it to a file, whole or not at all)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from evface.bench import BENCHMARKS, run
from evface.commands.options import only_beside
from evface.commands.paths import (file_name, made_folder, named_for, not_replacing, output_file, outside_datasets,
                                   refusing_newcomer)
from evface.io.atomic_files import atomic_write_text


def checked_out(out: Path, force: bool) -> Path:
    """Return ``out`` if the benchmark document may be written there once the benchmarks have run:
    a ``.json`` name, not a folder, link, device or pipe, outside any dataset folder, and not an
    existing file unless ``force``; a :class:`~evface.errors.ParameterError` naming ``--out``
    otherwise, before anything is measured (was: ``evface bench > bench.json``, the only way to
    keep the figures, emptied the earlier file at once and left it empty when the benchmark failed
    or was stopped).

    Examples
    --------
    >>> checked_out(Path("bench"), force=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --out: bench would hold the benchmark figures (JSON); give it a .json name
    >>> Path("zen4.json").write_text('{"evface": "0.1.0"}')
    19
    >>> checked_out(Path("zen4.json"), force=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: zen4.json: exists; give --out another name, or add --force to replace it
    """
    output_file(out, "--out", replaces=(".json",))
    named_for(out, "--out", (".json",), "the benchmark figures (JSON)")
    outside_datasets(out, "--out", kind="file")
    return not_replacing(out, "--out", force)


def write_document(out: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``out`` under a temporary name, then rename it there (a stop midway leaves no
    part of it); a folder made for it is removed again if the write fails, and a file made at ``out``
    while the benchmarks ran is kept unless ``force``."""
    with made_folder(out.parent), refusing_newcomer(out, "--out"):
        atomic_write_text(out, text, replace=force)


def register(app: typer.Typer) -> None:
    """Add ``evface bench`` to ``app``."""

    @app.command("bench")
    def bench(
        names: list[str] | None = typer.Argument(None, metavar="NAME", help=f"Benchmarks to run: {', '.join(BENCHMARKS)} (default: all)."),
        quick: bool = typer.Option(False, "--quick", help="Smaller inputs, for a smoke test; figures are not comparable."),
        out: Path | None = typer.Option(None, "--out", parser=file_name("--out"), metavar="<path>",
                                 help="Also write the JSON document to this file (a name ending in .json), whole once "
                                      "every benchmark has run; an existing file only with --force."),
        force: bool = typer.Option(False, "--force", "--overwrite", help="Replace the file --out names (only with --out)."),
    ) -> None:
        """Measure speed and print one JSON document (events/s, Mpix/s, clips/s, samples/s) with the
        machine, the evface commit and the package versions the figures were measured with."""
        if out is None and force:  # was: accepted, and nothing to replace
            raise only_beside("--force", "only replaces the file --out names", "give --out")
        if out is not None:
            checked_out(out, force)
        text = json.dumps(run(tuple(names) if names else BENCHMARKS, quick=quick), indent=2)
        try:
            print(text)
        finally:  # was: a standard output closed (`| head`) or full lost the figures --out was to keep
            if out is not None:
                write_document(out, text, force)
