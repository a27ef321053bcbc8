"""``evface train reconstruct``: train the CVAE and its baselines, then score them on held-out subjects."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from evface.commands.paths import outside_datasets, sole_writer
from evface.commands.train import log_line, train_app, with_config
from evface.io.run_output import check_not_run_output
from evface.tasks.configs import ReconstructConfig
from evface.tasks.run_folder import outside_runs


def register(app: typer.Typer) -> None:
    """Add ``reconstruct`` to the ``evface train`` group (registered by :mod:`evface.commands.train`)."""

    @train_app.command("reconstruct")
    @with_config(ReconstructConfig)
    def reconstruct(
        data: Path = typer.Option(..., "--data", help="Dataset folder (manifest.csv, clips/)."),
        out: Path = typer.Option(..., "--out", help="Run folder (config.json, checkpoints, metrics.json, apex.png, horizon.png); an existing one resumes."),
        config: ReconstructConfig = ReconstructConfig(),
    ) -> None:
        """Train the event-to-frame CVAE and its baselines on one protocol; print every method's apex scores.

        Writes RUN/metrics.json (phases, horizons, AU regions, intervals, the latent), RUN/apex.png and RUN/horizon.png.
        """
        from evface.tasks.reconstruct import figures, headline, train_and_evaluate  # lazy: keeps torch out of `evface --help`

        check_not_run_output(data, "--data")  # was: "give its dataset in its place", the option not named
        with sole_writer(outside_runs(outside_datasets(out))):  # was: among the dataset's clips or another run's models
            metrics = train_and_evaluate(data, out, config, log=log_line)
        if metrics:
            log_line(figures(metrics))  # for a reader, as the report gives them; the JSON line below is for scripts
            print(json.dumps(headline(metrics)))
