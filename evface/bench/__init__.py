"""Benchmarks behind ``evface bench``: each module has ``run(quick: bool) -> dict`` of plain numbers.

The JSON layout of each benchmark is stable: keys are only ever added. Speed is measured here,
never asserted in tests.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from evface import __version__
from evface.checks import as_flag, as_int, within_memory
from evface.errors import ParameterError, choose_from
from evface.executor import usable_cpus
from evface.ray_cluster import code_fingerprint

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


def cpu_info() -> dict[str, str]:
    """The first CPU's ``model name``, ``cpu family`` and ``model`` (Linux ``/proc/cpuinfo``; empty
    elsewhere): two CPUs of one model name (``Intel(R) Xeon(R) Processor`` under KVM) are told apart
    by family and model number."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if not key.strip():  # the blank line after the first CPU
                    break
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else what ``platform`` knows."""
    return cpu_info().get("model name") or platform.processor() or platform.machine()


def git_commit() -> dict[str, Any]:
    """The git commit of the evface sources (``None`` where the folder holding ``evface/`` is no git
    checkout: an installed package), whether they differ from it (``dirty``), and their
    :func:`code_fingerprint`, which tells two copies' sources apart with or without git."""
    root = Path(__file__).resolve().parents[2]
    out: dict[str, Any] = {"commit": None, "dirty": None, "fingerprint": code_fingerprint()}
    if not (root / ".git").exists():  # installed: a repository around site-packages is not evface's
        return out
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        changes = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "evface"],
                                 capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return out
    out.update(commit=head, dirty=bool(changes.strip()))
    return out


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on, as its figures need for a comparison with another's: the CPU
    (model name, family and model number), the cores it has and those this process may use, the
    threads numba and torch use, the load average when the benchmarks started, the system, and
    the versions of Python and of the packages the figures depend on."""
    import numpy  # lazy: numba and torch load for a benchmark only
    import torch  # lazy: as above

    from evface.sim.dvs import num_threads  # lazy: as above (numba's threads start: torch's count kept)

    from evface.report.collect import package_versions  # lazy: the report's modules take a second to load

    cpu = cpu_info()
    return {
        "cpu": cpu_model(),
        "cpu_family": cpu.get("cpu family"),
        "cpu_model_number": cpu.get("model"),
        "cores": os.cpu_count(),
        "cores_usable": usable_cpus(),  # taskset, a CPU set, a cgroup CPU quota (was: the quota unseen)
        "numba_threads": num_threads(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg()[0],
        "system": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "packages": package_versions(),
    }


def run(names: tuple[str, ...] = BENCHMARKS, quick: bool = False) -> dict[str, Any]:
    """Run the named benchmarks (of :data:`BENCHMARKS`, each once) and return one JSON-ready document:
    ``evface`` (the version), ``code`` (:func:`git_commit`), ``benchmarks`` (``names``), ``quick``
    (smaller inputs: figures not comparable with a full run's), ``started`` (UTC), ``machine``
    (:func:`machine`), then each benchmark's figures under its name.

    Examples
    --------
    >>> run("io")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: names must be a list of benchmarks, got the string 'io' (give ('io',))
    >>> run(("io", "io"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: 'io io' names benchmark io twice; give each benchmark once
    """
    if isinstance(names, str):
        raise ParameterError(f"names must be a list of benchmarks, got the string {names!r} (give ({names!r},))")
    names = tuple(names)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise ParameterError(f"unknown benchmark(s) {', '.join(map(repr, unknown))}; {choose_from(BENCHMARKS)}")
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ParameterError(f"{' '.join(names)!r} names benchmark {twice} twice; give each benchmark once")
    quick = as_flag("quick", quick)  # "no" would run the smaller inputs
    doc: dict[str, Any] = {
        "evface": __version__, "code": git_commit(), "benchmarks": list(names), "quick": quick,
        "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
    }
    for name in names:
        module = importlib.import_module(f"evface.bench.{name}")
        doc[name] = module.run(quick=quick)
    return doc
