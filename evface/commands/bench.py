"""``evface bench [io|sim|synth|train]``: print one JSON document of measured speeds."""

from __future__ import annotations

import json

import typer

from evface.bench import BENCHMARKS, run


def register(app: typer.Typer) -> None:
    """Add ``evface bench`` to ``app``."""

    @app.command("bench")
    def bench(
        names: list[str] = typer.Argument(None, help=f"Benchmarks to run: {', '.join(BENCHMARKS)} (default: all)."),
        quick: bool = typer.Option(False, "--quick", help="Smaller inputs, for a smoke test; figures are not comparable."),
    ) -> None:
        """Measure speed and print one JSON document (events/s, Mpix/s, clips/s, samples/s)."""
        print(json.dumps(run(tuple(names) if names else BENCHMARKS, quick=quick), indent=2))
