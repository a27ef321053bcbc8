"""``evface bench [io|sim|synth|train]``: print one JSON document of measured speeds."""

from __future__ import annotations

import json

import typer

from evface.bench import BENCHMARKS, run
from evface.errors import ParameterError


def register(app: typer.Typer) -> None:
    """Add ``evface bench`` to ``app``."""

    @app.command("bench")
    def bench(
        names: list[str] = typer.Argument(None, help=f"Benchmarks to run: {', '.join(BENCHMARKS)} (default: all)."),
        quick: bool = typer.Option(False, "--quick", help="Smaller inputs, for a smoke test; figures are not comparable."),
    ) -> None:
        """Measure speed and print one JSON document (events/s, Mpix/s, clips/s, samples/s)."""
        chosen = tuple(names) if names else BENCHMARKS
        unknown = sorted(set(chosen) - set(BENCHMARKS))
        if unknown:
            raise ParameterError(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
        print(json.dumps(run(chosen, quick=quick), indent=2))
