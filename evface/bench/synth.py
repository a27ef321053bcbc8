"""``evface bench synth``: speed of synthetic dataset generation.

Builds a few clips of one preset (``tiny`` with ``--quick``, else ``quick``) in a temporary
folder, in this process (one thread), after one warm-up clip (numba compilation, renderer set-up)
that is not timed. Keys (stable): ``preset``, ``clips``, ``seconds``, ``clips_per_s``,
``seconds_per_clip``, ``events`` and ``events_per_s`` (each ``{"hd": .., "lr": ..}``),
``bytes_per_clip``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from evface.datasets.synth import get_preset, synthesize
from evface.io.clip import event_counts


def run(quick: bool = False) -> dict[str, Any]:
    """Generate a few clips and report clips/s and events/s per sensor."""
    preset = "tiny" if quick else "quick"
    classes = ["AU4", "AU6+12"] if quick else ["AU1+2", "AU4", "AU6+12"]
    lightings = ["bright", "dim"] if quick else ["bright", "office", "dim"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthesize(root / "warm", preset=preset, seed=1, subjects=1, classes=classes[:1], lighting=lightings[:1])
        start = time.perf_counter()
        out = synthesize(root / "bench", preset=preset, seed=0, subjects=1, classes=classes, lighting=lightings)
        seconds = time.perf_counter() - start
        files = sorted((out / "clips").glob("*.h5"))
        events = {"hd": 0, "lr": 0}
        size = 0
        for path in files:
            counts = event_counts(path)
            for sensor in events:
                events[sensor] += counts[sensor]
            size += path.stat().st_size
    n = len(files)
    return {
        "preset": get_preset(preset).name,
        "clips": n,
        "seconds": round(seconds, 3),
        "clips_per_s": round(n / seconds, 4),
        "seconds_per_clip": round(seconds / n, 3),
        "events": events,
        "events_per_s": {k: round(v / seconds, 1) for k, v in events.items()},
        "bytes_per_clip": int(size / n),
    }
