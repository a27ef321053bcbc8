"""Shared test set-up: every temporary file the tests make stays under pytest's own folder, and each
test worker of ``make test`` (``pytest -n N``) runs torch on its share of the cores, its OpenMP
threads (torch's, numba's kernels') sleeping while they wait."""

import os
import sys
import tempfile

import pytest


def _torch_threads_share() -> int | None:
    """The torch threads of each of pytest-xdist's N test workers: the cores shared out among them
    (at least 1), as ``evface run --jobs N`` gives each job; None outside xdist, or where the caller
    set ``OMP_NUM_THREADS`` (torch's default, left as given).

    ``make test`` runs two workers on a 2-core machine: each worker's torch took both cores, and
    four OpenMP threads on two busy cores wait for one another at every operation (a batch norm
    of the tests' tiny networks took 4 ms of CPU on two threads, 0.08 ms on one). The tests that
    are about thread counts set theirs (``parallel.torch_threads``, ``--threads``)."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers or "OMP_NUM_THREADS" in os.environ:
        return None
    return max(1, (os.cpu_count() or 1) // max(1, int(workers)))


TORCH_THREADS = _torch_threads_share()
if TORCH_THREADS is not None:
    # read by torch when first imported, here (no test module imported it yet) and in the child
    # processes the tests start (their results compared with this process's: the same threads)
    os.environ["OMP_NUM_THREADS"] = str(TORCH_THREADS)
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    # numba's parallel kernels keep every core (the simulator's tests need two threads), so their
    # OpenMP threads, and torch's in the children started with their own counts, wait asleep, not
    # spinning on the cores the other workers need: a parallel kernel of 20,000 pixels took 0.3 ms
    # of CPU on two threads beside a busy core, 0.02 ms asleep (OpenMP reads this when it starts)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Each test, and the fixtures set up for it, start with torch on :data:`TORCH_THREADS`:
    numba's OpenMP pool, once started in this process (the simulators), sets OpenMP's count,
    torch's with it, back to every core."""
    torch = sys.modules.get("torch")
    if TORCH_THREADS is not None and torch is not None and torch.get_num_threads() != TORCH_THREADS:
        torch.set_num_threads(TORCH_THREADS)


@pytest.fixture(scope="session", autouse=True)
def _temporary_files_under_basetemp(tmp_path_factory):
    """Send ``tempfile`` (the doctests' ``mkdtemp``) and child processes' ``TMPDIR`` (torchrun's
    elastic agent) to this run's basetemp, which pytest prunes to the last three runs, instead of
    leaving folders in /tmp at every run."""
    folder = str(tmp_path_factory.mktemp("tempfile"))
    before = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = folder
    yield
    tempfile.tempdir = before[0]
    if before[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before[1]
