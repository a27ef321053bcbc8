"""``evface train reconstruct``: train the CVAE and its baselines, then score them on held-out subjects."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from evface.commands.train import _log, train_app


def register(app: typer.Typer) -> None:
    """Add ``reconstruct`` to the ``evface train`` group (registered by :mod:`evface.commands.train`)."""

    @train_app.command("reconstruct")
    def reconstruct(
        data: Path = typer.Option(..., "--data", help="Dataset folder (manifest.csv, clips/)."),
        out: Path = typer.Option(..., "--out", help="Run folder (config.json, checkpoints, metrics.json, strip.png); an existing one resumes."),
        sensor: str = typer.Option("hd", "--sensor", help="Event sensor: hd | lr."),
        keyframe: bool = typer.Option(False, "--keyframe/--no-keyframe", help="Condition on the last RGB frame before the event window."),
        target: str = typer.Option("rgb", "--target", help="rgb (registered grey RGB frame) | truth (synthetic clean intensity)."),
        epochs: int = typer.Option(20, "--epochs", help="Maximum number of epochs (each model)."),
        patience: int = typer.Option(6, "--patience", help="Early stopping: epochs without a better validation SSIM (0 = off)."),
        size: int = typer.Option(64, "--size", help="Face crops are resampled to size x size."),
        n_bins: int = typer.Option(5, "--bins", help="Voxel-grid time bins."),
        window_us: int = typer.Option(33_000, "--window-us", help="Event window ending at the target time (µs)."),
        batch_size: int = typer.Option(32, "--batch-size", help="Samples per batch (per process under torchrun)."),
        lr: float = typer.Option(2e-3, "--lr", help="Adam learning rate."),
        base: int = typer.Option(8, "--base", help="Channels of the first UNet stage (both networks)."),
        z_channels: int = typer.Option(8, "--z-channels", help="CVAE latent channels (at 1/8 resolution)."),
        beta: float = typer.Option(1.0, "--kl-beta", help="Weight of the KL term (per pixel)."),
        warmup_epochs: int = typer.Option(3, "--warmup-epochs", help="Linear KL warm-up epochs."),
        free_bits: float = typer.Option(0.5, "--free-bits", help="Free bits per latent channel (nats)."),
        k_samples: int = typer.Option(8, "--k-samples", help="Also report the mean of K prior samples (0 = prior mean only)."),
        e2vid: bool = typer.Option(True, "--e2vid/--no-e2vid", help="Train the recurrent UNet baseline."),
        seed: int = typer.Option(0, "--seed", help="Seed of the split, the initialisation and the sampling."),
        threads: int = typer.Option(0, "--threads", help="torch CPU threads (0 = half the cores; 1 is fastest on a busy machine)."),
        device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    ) -> None:
        """Train the event-to-frame CVAE and its baselines; write RUN/metrics.json and RUN/strip.png."""
        from evface.tasks.reconstruct import train_and_evaluate

        metrics = train_and_evaluate(
            out, data, log=_log, sensor=sensor, keyframe=keyframe, target=target, epochs=epochs, patience=patience,
            size=size, n_bins=n_bins, window_us=window_us, batch_size=batch_size, lr=lr, base=base,
            z_channels=z_channels, beta=beta, warmup_epochs=warmup_epochs, free_bits=free_bits,
            k_samples=k_samples, e2vid=e2vid, seed=seed, threads=threads, device=device,
        )
        if metrics:
            print(json.dumps({name: {k: round(m[k], 4) for k in ("ssim", "psnr", "mse")}
                              for name, m in metrics["methods"].items()}))
