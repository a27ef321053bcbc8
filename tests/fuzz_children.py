"""What the fuzz tests share (``tests/test_fuzz_*.py``): each sweep runs in a child Python, the
test file run as a script, so that a decoder failing natively (a Rust panic, an HDF5 or OpenCV
abort) fails the test and not pytest; the child's memory is capped and its peak read; hypothesis
draws a file cut short with some of its bytes set."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]


def run_child(script: str, mode: str, *args: str | Path, timeout: float, named: str | None = None) -> None:
    """Run ``script mode args...`` in a child Python with the repository on its path; fail naming
    its exit code, the last example it printed (its stdout's last line) and its stderr's end, each
    message led by ``named: `` where given."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "RUST_BACKTRACE": "0"}
    done = subprocess.run([sys.executable, script, mode, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)
    last = done.stdout.strip().splitlines()[-1:] or ["(before the first example)"]
    lead = f"{named}: " if named else ""
    assert done.returncode == 0, f"{lead}exit {done.returncode} at example {last[0]!r}\n{done.stderr[-1500:]}"


def peak_mb() -> float:
    """This process's peak resident memory in MB (``VmHWM``, which starts afresh at ``exec``; the
    ``ru_maxrss`` of ``getrusage`` keeps the peak of the pytest worker the child was started from,
    gigabytes under ``make test``)."""
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def limit_memory() -> None:
    """No corruption may take this shared machine's memory: the child's address space is capped at
    16 GiB (a reader past a test's peak bound fails it anyway)."""
    resource.setrlimit(resource.RLIMIT_AS, (16 << 30, 16 << 30))


def cuts_and_changes(data: bytes, max_changes: int) -> dict[str, Any]:
    """Hypothesis's strategies for :func:`cut_and_set` of ``data``: ``given(**cuts_and_changes(data, 8))``."""
    return {"cut": st.integers(1, len(data)),
            "changes": st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), min_size=1,
                                max_size=max_changes)}


def cut_and_set(data: bytes, cut: int, changes: list[tuple[int, int]]) -> bytes:
    """``data`` cut after ``cut`` bytes, then each byte ``at`` of ``changes`` that is left set to ``value``."""
    corrupted = bytearray(data[:cut])
    for at, value in changes:
        if at < cut:
            corrupted[at] = value
    return bytes(corrupted)
