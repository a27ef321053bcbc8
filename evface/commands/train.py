"""``evface train classify``, ``evface eval`` and ``evface export-nir``.

``train_app`` is the ``evface train`` group; other task modules (``evface.commands.reconstruct``)
import it and add their own sub-command. ``evface eval RUN`` dispatches on ``RUN/config.json``'s
``task``: ``evface.tasks.<task>.evaluate_run(run_dir, data_dir, out_dir) -> dict``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import typer
from rich.console import Console

train_app = typer.Typer(help="Train a model on a dataset folder (works under torchrun for DDP).", no_args_is_help=True)
_console = Console(stderr=True)


def _log(message: str) -> None:
    _console.print(message, highlight=False, soft_wrap=True)


@train_app.command("classify")
def classify(
    data: Path = typer.Option(..., "--data", help="Dataset folder (manifest.csv, clips/)."),
    out: Path = typer.Option(..., "--out", help="Run folder (config.json, checkpoints, metrics.json); an existing one resumes."),
    input: str = typer.Option("events", "--input", help="events | rgb | rgb-diff."),
    sensor: str = typer.Option("hd", "--sensor", help="Event sensor for --input events: hd | lr."),
    model: str = typer.Option("snn", "--model", help="snn (spiking CNN) | ann (its ReLU twin)."),
    epochs: int = typer.Option(100, "--epochs", help="Maximum number of epochs."),
    patience: int = typer.Option(25, "--patience", help="Early stopping: epochs without a better validation UF1 (0 = off)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the initialisation and the sampling."),
    batch_size: int = typer.Option(16, "--batch-size", help="Clips per batch (per process under torchrun)."),
    lr: float = typer.Option(2e-3, "--lr", help="AdamW learning rate (cosine schedule)."),
    time_steps: int = typer.Option(8, "--time-steps", help="Number of time steps T over the clip."),
    size: int = typer.Option(64, "--size", help="Face crops are shrunk to size x size."),
    depth: int = typer.Option(3, "--depth", help="Convolution blocks."),
    width: int = typer.Option(8, "--width", help="Channels of the first block (doubling per block)."),
    beta: float = typer.Option(0.9, "--beta", help="LIF membrane decay per step."),
    slope: float = typer.Option(25.0, "--slope", help="Steepness of the fast-sigmoid surrogate gradient."),
    dropout: float = typer.Option(0.2, "--dropout", help="Dropout before the readout layer."),
    color: bool = typer.Option(False, "--color/--gray", help="RGB inputs in colour or grey."),
    window: str = typer.Option("clip", "--window", help="clip (whole clip) | expression (onset to offset)."),
    loso: bool = typer.Option(False, "--loso", help="Leave-one-subject-out cross-validation instead of one split."),
    balanced: bool = typer.Option(True, "--balanced/--no-balanced", help="Class-balanced sampling."),
    augment: bool = typer.Option(True, "--augment/--no-augment", help="Flips, shifts, event drop and noise."),
    max_shift: float = typer.Option(0.0625, "--max-shift", help="Largest random shift, as a fraction of the crop (0 = none)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Train the AU classifier and evaluate it on held-out subjects (RUN/metrics.json)."""
    from evface.tasks.classify import train_and_evaluate

    train_and_evaluate(out, data, log=_log, input=input, sensor=sensor, model=model, epochs=epochs, patience=patience,
                       seed=seed, batch_size=batch_size, lr=lr, time_steps=time_steps, size=size, depth=depth,
                       width=width, beta=beta, slope=slope, dropout=dropout, color=color, window=window, loso=loso, balanced=balanced,
                       augment=augment, max_shift=max_shift, device=device)


def register(app: typer.Typer) -> None:
    """Add ``evface train``, ``evface eval`` and ``evface export-nir`` to ``app``."""
    app.add_typer(train_app, name="train")

    @app.command("eval")
    def evaluate(
        run: Path = typer.Argument(..., help="A training run folder (holds config.json)."),
        data: Path = typer.Option(..., "--data", help="Dataset folder to evaluate on (any, also one never seen)."),
        out: Path = typer.Option(None, "--out", help="Write metrics.json here instead of into the run folder."),
    ) -> None:
        """Evaluate a trained run on a dataset folder and write metrics.json."""
        from evface.tasks.engine import load_config

        task = load_config(run)["task"]
        metrics = importlib.import_module(f"evface.tasks.{task}").evaluate_run(run, data, out)
        headline = {k: metrics[k] for k in ("top1", "macro_f1", "uar", "uf1", "n") if k in metrics}
        print(json.dumps(headline or metrics, default=str))

    @app.command("export-nir")
    def export_nir(
        run: Path = typer.Argument(..., help="A classification run trained with --model snn."),
        out: Path = typer.Argument(..., help="The .nir (HDF5) file to write."),
    ) -> None:
        """Export a trained spiking classifier to NIR (Neuromorphic Intermediate Representation)."""
        from evface.tasks.export import export_run  # lazy: torch loads for this command only, not at CLI start-up

        _log(f"written {export_run(run, out)}")
