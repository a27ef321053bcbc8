"""The DVS simulator's parallel kernel really runs on several threads, also from numba's cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.dispatcher import Dispatcher

from evface.sim import dvs, dvs_kernels

# Run in a fresh process, as `evface` runs after `make test`: the small simulator loads (or
# compiles and caches) the serial kernel first, as most tests do; then a 1280x720 scene whose
# every pixel changes every step runs through the parallel kernel, its first step uncounted (with no
# cache, numba compiles the kernel there, on one thread: the test failed in a fresh checkout where it ran
# first). Per-thread CPU time comes from /proc (clock ticks), so the check counts threads that did work,
# not seconds.
_SCRIPT = """
import json, os, numba, numpy as np
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams

def cpu_ticks():
    out = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return out

small = DvsSimulator((64, 48), DvsParams.ideal(0.2))
for k in range(3):
    small.step(np.full((48, 64), 100.0 + k, np.float32), k * 1000)
sim = DvsSimulator((1280, 720), DvsParams.ideal(0.2))
frame = np.random.default_rng(0).uniform(50, 500, (720, 1280)).astype(np.float32)
frames = (frame, frame * np.float32(1.001))
sim.step(frame, 0)
assert sim.step(frames[1], 1000).size == 0  # the parallel kernel loaded, or compiled where no cache holds it, uncounted
before = cpu_ticks()
for k in range(2, 202):  # every pixel changes every step, none fires (no event sort to compile)
    assert sim.step(frames[k % 2], k * 1000).size == 0
after = cpu_ticks()
used = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)
print(json.dumps({"threads": numba.get_num_threads(), "ticks": used}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="per-thread CPU time is read from Linux /proc")
def test_large_frames_run_on_two_threads_in_a_fresh_process():
    env = {**os.environ, "NUMBA_NUM_THREADS": "2", "PYTHONPATH": str(Path(dvs.__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["threads"] == 2
    ticks = report["ticks"]
    # 200 dense steps: each of the kernel's two threads sweeps half of the rows
    assert sum(ticks) >= 20, report
    assert ticks[1] >= 0.2 * ticks[0], f"one thread did the work: CPU ticks per thread {ticks}"


def test_each_cached_kernel_is_its_own_python_function():
    # numba's cache keys an entry by function name, line, signature and CPU, not by compile
    # options: two dispatchers of one Python function (say parallel and serial builds) share an
    # entry, and the build saved last is loaded for both
    kernels = [obj for module in (dvs, dvs_kernels) for obj in vars(module).values()
               if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__]
    assert len(kernels) >= 10
    assert any(k.targetoptions.get("parallel") for k in kernels)
    functions = [k.py_func for k in kernels]
    assert len(set(functions)) == len(functions)


_FORK_SCRIPT = """
import hashlib, os, select, sys, numpy as np
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams

def events():
    sim = DvsSimulator((320, 240), DvsParams.ideal(0.2))
    rng = np.random.default_rng(0)
    out = [sim.step(rng.uniform(50, 500, (240, 320)).astype(np.float32), k * 1000) for k in range(3)]
    return hashlib.sha256(b"".join(e.tobytes() for e in out)).hexdigest()

here = events()  # the parent's parallel region starts numba's OpenMP threads
read, write = os.pipe()
child = os.fork()
if child == 0:
    os.write(write, events().encode())
    os._exit(0)
ready, _, _ = select.select([read], [], [], 60)
if not ready:
    os.kill(child, 9)
    sys.exit("the forked child gave no events within 60 s")
print(os.read(read, 100).decode() == here, os.waitpid(child, 0)[1])
"""


def test_a_forked_child_of_a_process_that_ran_the_simulator_simulates_the_same_events():
    """Was: numba's GNU OpenMP threads are not fork-safe, and the child of a process that had run the
    simulator (a ``multiprocessing`` pool of fork workers, Linux's default before Python 3.14) was
    ended as it entered the parallel kernel ("Terminating: fork() called from a process already
    using GNU OpenMP, this is unsafe."), the pool waiting for it for ever. Now the child runs the
    serial kernels: the same events."""
    run = subprocess.run([sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NUMBA_NUM_THREADS": "2"})
    assert run.returncode == 0 and run.stdout.split() == ["True", "0"], run.stdout + run.stderr
