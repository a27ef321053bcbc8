"""Training throughput of the task models (samples/s), for ``evface bench train``."""

from __future__ import annotations

from typing import Any

from evface.tasks import class_speed, recon_speed


def run(quick: bool = False) -> dict[str, Any]:
    """Samples/s of the spiking classifier (events and RGB input), its ANN twin (events) and the reconstructors."""
    steps = 2 if quick else 5
    return {
        "classify": class_speed.throughput(steps=steps),
        "reconstruct": recon_speed.throughput(steps=steps),
    }
