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
from evface.checks import as_int, within_memory
from evface.errors import ParameterError

BENCHMARKS = ("io", "sim", "synth", "train")
"""Benchmark modules in evface.bench, in the order ``evface bench`` runs them."""


STREAM_BYTES_PER_EVENT = 64
"""The memory a benchmark holds per event of its stream: the events (13 bytes), their draws and sort,
and the copies the operations make."""


def stream_size(n_events: object) -> int:
    """``n_events`` as an int >= 1 (a benchmark of no events measures nothing) whose stream fits in
    memory (:data:`STREAM_BYTES_PER_EVENT` per event), checked before anything is allocated; a
    ParameterError naming it otherwise.

    Examples
    --------
    >>> stream_size(0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n_events must be >= 1, got 0
    """
    n_events = as_int("n_events", n_events, 1)
    within_memory(STREAM_BYTES_PER_EVENT * n_events, f"a benchmark stream of n_events {n_events:,}",
                  "give fewer n_events")
    return n_events


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
    """Run the named benchmarks (of :data:`BENCHMARKS`, each once) and return one JSON-ready document.

    Examples
    --------
    >>> run("io")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: names must be a list of benchmarks, got the string 'io' (give ('io',))
    >>> run(("io", "io"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: names: ('io', 'io') names benchmark io twice; give each benchmark once
    """
    if isinstance(names, str):
        raise ParameterError(f"names must be a list of benchmarks, got the string {names!r} (give ({names!r},))")
    names = tuple(names)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise ParameterError(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ParameterError(f"names: {names} names benchmark {twice} twice; give each benchmark once")
    doc: dict[str, Any] = {"evface": __version__, "machine": machine()}
    for name in names:
        module = importlib.import_module(f"evface.bench.{name}")
        doc[name] = module.run(quick=quick)
    return doc
