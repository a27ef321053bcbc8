"""``evface bench synth``: speed and size of synthetic dataset generation, per preset.

For each preset (``tiny`` with ``--quick``; else ``quick``, ``full`` and ``paper``) builds the clips
of one subject (``paper``: and its built-in photo subject) and one class under every lighting and
repetition of the preset, in a temporary
folder, in this process (one thread), after one warm-up clip (numba compilation, renderer set-up)
that is not timed. Per preset: ``clips``, ``seconds``, ``seconds_per_clip``, ``cpu_seconds_per_clip``
(process CPU time), ``bytes_per_clip``, ``events`` (``{"hd": .., "lr": ..}`` per clip) and the whole
preset extrapolated from them: ``preset_clips``, ``preset_hours_one_process`` (wall time),
``preset_cpu_hours`` (steadier on a shared machine), both to 0.01 h, the same as
``preset_minutes_one_process`` and ``preset_cpu_minutes`` to 3 significant figures (a preset of minutes,
``tiny``, is 0.0 hours), and ``preset_gb``.
Keys (stable): ``presets`` (the entries above by name) and, for the first preset, the older flat keys
``preset``, ``clips``, ``seconds``, ``clips_per_s``, ``seconds_per_clip``, ``events`` and
``events_per_s`` (totals), ``bytes_per_clip``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from evface.datasets.synth import synthesize
from evface.datasets.synth_plan import default_classes, preset_plan
from evface.errors import ParameterError, where
from evface.io.clip_reader import event_counts

PRESETS = ("quick", "full", "paper")
"""Presets measured by ``evface bench synth`` (``--quick``: ``tiny`` only)."""


def _significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant figures: what a figure of any size says (a fixed number
    of decimals said 0.0 hours for the ``tiny`` preset's minute).

    Parameters
    ----------
    value : float
        The figure.
    digits : int
        Significant figures kept.

    Returns
    -------
    float

    Examples
    --------
    >>> _significant(0.0031234), _significant(1234.5), _significant(0.0)
    (0.00312, 1230.0, 0.0)
    """
    return float(f"{value:.{digits}g}")


def measure_preset(name: str, root: Path) -> dict[str, Any]:
    """Build one subject's clips of one class under every lighting and repetition of preset ``name``
    (and those of its built-in photo subject) and time them, in the new folder ``root/name``: one
    there already is refused, a :class:`~evface.errors.ParameterError` (was: its clips resumed,
    not made, and timed as made)."""
    if (root / name).exists():
        raise ParameterError(where(root / name, "exists; measure_preset times clips made from nothing, and would resume "
                                                "those there: give a root without it"))
    label = next(iter(default_classes()))
    start, cpu_start = time.perf_counter(), time.process_time()
    out = synthesize(root / name, preset=name, seed=0, subjects=1, classes=[label])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    files = sorted((out / "clips").glob("*.h5"))
    n = len(files)
    events = {"hd": 0, "lr": 0}
    for path in files:
        counts = event_counts(path)
        for sensor in events:
            events[sensor] += counts[sensor]
    size = sum(path.stat().st_size for path in files)
    total = len(preset_plan(name)[1])
    return {
        "clips": n,
        "seconds": round(seconds, 3),
        "seconds_per_clip": round(seconds / n, 3),
        "cpu_seconds_per_clip": round(cpu / n, 3),
        "bytes_per_clip": int(size / n),
        "events_per_clip": {k: round(v / n) for k, v in events.items()},
        "events_total": events,
        "preset_clips": total,
        "preset_hours_one_process": round(total * seconds / n / 3600, 2),
        "preset_cpu_hours": round(total * cpu / n / 3600, 2),
        "preset_minutes_one_process": _significant(total * seconds / n / 60),
        "preset_cpu_minutes": _significant(total * cpu / n / 60),
        "preset_gb": round(total * size / n / 1e9, 2),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure each preset and report seconds, CPU seconds, bytes and events per clip."""
    names = ("tiny",) if quick else PRESETS
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthesize(root / "warm", preset="tiny", seed=1, subjects=1, classes=[next(iter(default_classes()))],
                   lighting=["dim"])
        presets = {name: measure_preset(name, root) for name in names}
    first = presets[names[0]]
    return {
        "preset": names[0],
        "clips": first["clips"],
        "seconds": first["seconds"],
        "clips_per_s": round(first["clips"] / first["seconds"], 4),
        "seconds_per_clip": first["seconds_per_clip"],
        "events": first["events_total"],
        "events_per_s": {k: round(v / first["seconds"], 1) for k, v in first["events_total"].items()},
        "bytes_per_clip": first["bytes_per_clip"],
        "presets": presets,
    }
