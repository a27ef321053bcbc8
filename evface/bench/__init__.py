"""Benchmarks behind ``evface bench``: each module has ``run(quick: bool) -> dict`` of plain numbers.

The JSON layout of each benchmark is stable: keys are only ever added. Speed is measured here,
never asserted in tests.
"""

from __future__ import annotations

import importlib
import os
import platform
from typing import Any

from evface import __version__

BENCHMARKS = ("io", "sim", "synth", "train")
"""Benchmark modules in evface.bench, in the order ``evface bench`` runs them."""


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """A short description of the machine a benchmark ran on."""
    import numpy
    import torch

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def run(names: tuple[str, ...] = BENCHMARKS, quick: bool = False) -> dict[str, Any]:
    """Run the named benchmarks and return one JSON-ready document."""
    doc: dict[str, Any] = {"evface": __version__, "machine": machine()}
    for name in names:
        module = importlib.import_module(f"evface.bench.{name}")
        doc[name] = module.run(quick=quick)
    return doc
