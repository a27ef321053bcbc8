"""Running many independent calls: the jobs, and the executors that run them on this machine.

A :class:`Job` is one call of a module-level function (so that it can be pickled) with the CPUs
and GPUs it needs and a priority. An executor runs a list of jobs and hands each result to
``on_done`` in this process as soon as it arrives, so the caller reports progress and records
what is finished; ``on_done`` may return more jobs (the ones that needed this result), which the
executor runs too. Whenever a local worker is free it takes the waiting job of highest priority
(the first queued among equals), so a caller lets its longest chains of jobs go first.
Every executor has the one method ``run(jobs, on_done)``:

- :class:`InProcess` (one job after the other, here),
- :class:`ProcessPool` (``workers`` spawned processes on this machine; the default for
  ``--workers``/``--jobs``, no Ray needed),
- :class:`~evface.ray_cluster.RayCluster` (``--ray auto|HOST:PORT``: every job a Ray task; a job
  whose worker or node is lost is retried, then reported by :class:`JobFailedError`, as is at
  once a job that raises, and by :class:`~evface.ray_cluster.ClusterLostError` the cluster itself
  stopping). Ray is imported only by :mod:`evface.ray_connect`.

The first job that fails stops the run: the jobs still queued are cancelled and the error is
raised; the results already handed to ``on_done`` stay (the callers make them resumable).

Examples
--------
>>> from operator import add
>>> seen = []
>>> InProcess().run([Job("one", add, (1, 2)), Job("two", add, (3, 4))], lambda job, result: seen.append((job.name, result)))
>>> seen
[('one', 3), ('two', 7)]
>>> def then_double(job, result):
...     seen.append((job.name, result))
...     return [Job("double", add, (result, result))] if job.name == "one" else None
>>> seen.clear()
>>> InProcess().run([Job("one", add, (1, 2)), Job("two", add, (3, 4))], then_double)
>>> seen
[('one', 3), ('two', 7), ('double', 6)]
"""

from __future__ import annotations

import ctypes
import heapq
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, Protocol

from evface.errors import EvfaceError, ParameterError, counted


@dataclass(frozen=True)
class Job:
    """One call ``fn(*args)``, named for progress and errors, with the resources it needs.

    ``gpus`` is what the job uses when the cluster has GPUs (a Ray task then reserves them);
    on a cluster without any it runs on CPUs. Of the jobs waiting for a local worker, the one of
    highest ``priority`` starts first (Ray schedules its tasks itself).

    Parameters
    ----------
    name : str
        What progress lines and errors call the job.
    fn : callable
        A module-level function (a worker process or Ray task receives it pickled).
    args : tuple, optional
        The arguments ``fn`` is called with.
    cpus : float, optional
        The CPUs the job uses (a Ray task reserves them).
    gpus : float, optional
        The GPUs the job uses where the cluster has any.
    priority : int, optional
        Of the jobs waiting for a local worker, the highest starts first.

    Examples
    --------
    >>> job = Job("sum", sum, ([1, 2, 3],), priority=1)
    >>> job.fn(*job.args), job.cpus, job.gpus
    (6, 1.0, 0.0)
    """

    name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    cpus: float = 1.0
    gpus: float = 0.0
    priority: int = 0


class _Waiting:
    """Jobs waiting to start: the highest priority first, then the first queued."""

    def __init__(self, jobs: Iterable[Job] = ()) -> None:
        self._heap: list[tuple[int, int, Job]] = []
        self._count = 0
        self.extend(jobs)

    def extend(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            heapq.heappush(self._heap, (-job.priority, self._count, job))
            self._count += 1

    def pop(self) -> Job:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


OnDone = Callable[[Job, Any], Iterable[Job] | None]
"""``on_done(job, result)``: called in the calling process after each job, in finishing order;
it may return further jobs to run (those that depend on ``job``)."""


class Executor(Protocol):
    """Runs jobs and hands each result to ``on_done`` as it arrives.

    The type of :class:`InProcess`, :class:`ProcessPool` and
    :class:`~evface.ray_cluster.RayCluster`: a protocol, not a class to build.

    Parameters
    ----------
    *args, **kwargs
        Not taken: a protocol is not instantiated.

    Examples
    --------
    >>> executor: Executor = InProcess()
    >>> executor.run([Job("one", abs, (-1,))], lambda job, result: print(job.name, result))
    one 1
    """

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        """Run ``jobs`` (and the jobs ``on_done`` returns), handing each result to ``on_done``.

        Parameters
        ----------
        jobs : sequence of Job
            The jobs to run first.
        on_done : callable
            ``on_done(job, result)``, called in this process as each job finishes; it may return
            further jobs to run.
        """


class JobFailedError(EvfaceError):
    """A job still failed after its retries (the message names it and the cause)."""



@dataclass(frozen=True)
class InProcess:
    """Run the jobs one after the other in this process.

    Examples
    --------
    >>> InProcess().run([Job("one", abs, (-1,)), Job("two", abs, (-2,))], lambda job, result: print(job.name, result))
    one 1
    two 2
    """

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        """Run ``jobs`` here, the highest priority first, and each job ``on_done`` returns.

        Parameters
        ----------
        jobs : sequence of Job
            The jobs to run first.
        on_done : callable
            ``on_done(job, result)``, called after each job; it may return further jobs to run.
        """
        waiting = _Waiting(jobs)
        while waiting:
            job = waiting.pop()
            waiting.extend(on_done(job, job.fn(*job.args)) or ())


CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where the cgroup file systems are mounted (v2 there itself; v1 one folder per controller, ``cpu,cpuacct``)."""

CGROUP_MEMBERSHIP = Path("/proc/self/cgroup")
"""The cgroups this process belongs to: a line ``ID:CONTROLLERS:/PATH`` each (v2: ``0::/PATH``)."""


def usable_cpus() -> int:
    """The CPUs this process may use: those it may run on, fewer where its cgroup's CPU quota allows fewer.

    The CPUs it may run on are its affinity (``taskset``, a batch system's CPU set such as Slurm's);
    the quota is what :func:`cgroup_cpus` reads (a container's ``--cpus``, a job's CPU limit).
    ``os.cpu_count()`` counts the machine's CPUs instead: on a cluster node of 64 that gives a job
    4, ``evface run`` ran 64 processes on them. Every pool and thread count evface sizes by the
    CPUs is sized by this.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> 1 <= usable_cpus() <= (os.cpu_count() or 1)
    True
    """
    cpus = runnable_cpus()
    quota = cgroup_cpus(CGROUP_ROOT, CGROUP_MEMBERSHIP)
    return max(1, cpus if quota is None else min(cpus, quota))


def runnable_cpus() -> int:
    """The CPUs this process may run on: its affinity (``taskset``, a batch system's CPU set), which
    a cgroup CPU quota does not narrow (:func:`usable_cpus` does); the machine's CPUs outside Linux.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> usable_cpus() <= runnable_cpus() <= (os.cpu_count() or 1)
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no affinity to read
        return os.cpu_count() or 1


def cgroup_cpus(root: Path, membership: Path) -> int | None:
    """The whole CPUs this process's cgroup CPU quota allows (rounded down, at least 1); ``None`` where none caps it.

    The quota is cgroup v2's ``cpu.max`` (``QUOTA PERIOD``; ``max``: none) or v1's
    ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us`` (``-1``: none), read in the process's own cgroup
    (its path in ``membership``, under ``root``) and in each cgroup above it, since each caps those
    below it: the lowest counts. A container that sees its own cgroup at ``root`` while
    ``membership`` names the host's path is read at ``root``. A file that is missing, cannot be
    read or holds no quota caps nothing.

    Parameters
    ----------
    root : Path
        Where the cgroup file systems are mounted (:data:`CGROUP_ROOT`).
    membership : Path
        The process's cgroups, as ``/proc/self/cgroup`` lists them (:data:`CGROUP_MEMBERSHIP`).

    Returns
    -------
    int or None
        The CPUs, at least 1, or ``None``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "self").write_text("0::/job\\n")
    >>> (folder / "job").mkdir()
    >>> _ = (folder / "job" / "cpu.max").write_text("450000 100000\\n")
    >>> cgroup_cpus(folder, folder / "self")
    4
    >>> _ = (folder / "job" / "cpu.max").write_text("max 100000\\n")
    >>> cgroup_cpus(folder, folder / "self") is None
    True
    """
    quotas = [q for q in (_quota(folder) for folder in _cgroup_folders(root, membership)) if q is not None]
    return max(1, min(quotas)) if quotas else None


def _cgroup_folders(root: Path, membership: Path) -> list[Path]:
    """The folders under ``root`` of the CPU cgroups ``membership`` lists, each followed by those above it."""
    try:
        lines = membership.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # no cgroups (not Linux)
        return []
    folders = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3 or not fields[2].startswith("/"):
            continue
        controllers, own = fields[1], Path(fields[2].lstrip("/"))
        if ".." in own.parts or (controllers and "cpu" not in controllers.split(",")):
            continue  # outside this cgroup namespace; a v1 hierarchy without the cpu controller
        mount = root / controllers if controllers else root
        folders += [mount / folder for folder in (own, *own.parents)]
    return folders


def _quota(folder: Path) -> int | None:
    """The whole CPUs the quota of the cgroup ``folder`` allows (v2 or v1; may be 0), ``None`` for none."""
    v2 = _read(folder / "cpu.max")  # "QUOTA PERIOD"
    fields = v2.split() if v2 is not None else [_read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")]
    try:
        quota, period = (int(field or "") for field in fields)
    except ValueError:  # "max", a file missing, not two numbers
        return None
    return quota // period if quota > 0 and period > 0 else None


def _read(path: Path) -> str | None:
    """The text of the cgroup file ``path``, stripped; ``None`` where it cannot be read."""
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


WORKERS_PER_CPU = 4
"""Local worker processes beyond this many per CPU only compete for the CPUs (and each holds its
own interpreter, numba and torch): refused by :func:`check_workers`."""


def check_workers(workers: int, option: str) -> int:
    """Return ``workers`` if 1 <= workers <= :data:`WORKERS_PER_CPU` x the CPUs this process may use, else a
    :class:`ParameterError` naming ``option``.

    Parameters
    ----------
    workers : int
        The number of local worker processes asked for.
    option : str
        The option that gave it, named in the error (``--workers``, ``--jobs``).

    Returns
    -------
    int
        ``workers``.

    Examples
    --------
    >>> check_workers(2, "--workers")
    2
    >>> check_workers(0, "--jobs")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --jobs 0: give at least 1 process
    """
    cpus = usable_cpus()  # was: the machine's, so that a job given 4 of a node's 64 took 256 processes
    if workers < 1:
        raise ParameterError(f"{option} {workers}: give at least 1 process")
    if workers > WORKERS_PER_CPU * cpus:
        raise ParameterError(f"{option} {workers}: this process may use {counted(cpus, 'CPU')}{of_this_machine(cpus)}; "
                             f"more than {WORKERS_PER_CPU * cpus} processes only compete for them (a cluster runs more: --ray)")
    return workers


def of_this_machine(cpus: int) -> str:
    """`` of this machine's N`` where ``cpus`` is fewer than the machine's N CPUs, else nothing: what
    a count of :func:`usable_cpus` is said with.

    Parameters
    ----------
    cpus : int
        The CPUs counted.

    Returns
    -------
    str

    Examples
    --------
    >>> of_this_machine(os.cpu_count() or 1)
    ''
    """
    machine = os.cpu_count() or cpus
    return f" of this machine's {machine}" if machine > cpus else ""


@dataclass(frozen=True)
class ProcessPool:
    """Run the jobs in ``workers`` spawned processes.

    The processes end with this one, even when it is killed (SIGKILL: the OOM killer, a
    scheduler's hard stop), so that none goes on writing into a folder that the next run of the
    command takes over. When the command is interrupted (Ctrl-C, or SIGTERM or SIGHUP, which the
    ``evface`` command turns into Ctrl-C), each running job is interrupted as by Ctrl-C and its clean-up ends
    before the command does (its temporary files removed). A job is handed to a process only when
    one is free, so the waiting job of highest priority goes next. A job's exception is raised here as it is (no retry: the callers
    resume where they stopped); a worker that ended abruptly (killed by the kernel's out-of-memory
    killer or a job's memory limit, stopped by its CPU-time limit) is a :class:`JobFailedError` naming
    the job and how it ended (:func:`_result`).

    Parameters
    ----------
    workers : int
        The number of worker processes, >= 1.

    Examples
    --------
    >>> from operator import add
    >>> ProcessPool(1).run([Job("one", add, (1, 2)), Job("two", add, (3, 4))], lambda job, result: print(job.name, result))
    one 3
    two 7
    """

    workers: int

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        """Run ``jobs`` in the worker processes, and each job ``on_done`` returns.

        Parameters
        ----------
        jobs : sequence of Job
            The jobs to run first.
        on_done : callable
            ``on_done(job, result)``, called in this process as each job finishes, in finishing
            order; it may return further jobs to run.
        """
        if self.workers < 1:
            raise ParameterError(f"need at least one worker process, got {self.workers}")
        _start_resource_tracker()
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                 initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            waiting = _Waiting(jobs)
            futures: dict[Future[Any], Job] = {}
            try:
                while waiting or futures:
                    while waiting and len(futures) < self.workers:
                        job = waiting.pop()
                        futures[pool.submit(_interruptible, job.fn, *job.args)] = job
                    for future in wait(futures, return_when=FIRST_COMPLETED).done:
                        job = futures.pop(future)
                        waiting.extend(on_done(job, _result(future, job, pool)) or ())
            except BaseException as exc:  # interrupted or failed: do not start the jobs still waiting
                for future in futures:
                    future.cancel()
                if isinstance(exc, KeyboardInterrupt):  # SIGTERM reaches this process alone (Ctrl-C the whole
                    for process in list(pool._processes.values()):  # group): end the jobs, do not wait for them
                        process.terminate()
                raise


def _result(future: Future, job: Job, pool: ProcessPoolExecutor) -> Any:
    """The result of ``job``'s ``future``; a :class:`JobFailedError` naming the job and how its worker
    process ended where one ended abruptly (was ``BrokenProcessPool``: "internal error:
    BrokenProcessPool: A process in the process pool was terminated abruptly ...", exit 1)."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise JobFailedError(f"{job.name}: {_worker_death(_worker_end(pool))}") from exc


WORKER_END_S = 5.0
"""How long :func:`_worker_end` waits for the system to report how a worker ended: a process's files
close before its exit status can be read, and on a loaded machine half a second was not always enough
(the CPU-time limit was then reported as a kill for want of memory)."""


def _worker_end(pool: ProcessPoolExecutor) -> int | None:
    """The exit code of the pool's worker that ended (minus the signal's number where a signal
    ended it), waiting up to :data:`WORKER_END_S` for the system to report it; None where none can
    be told."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    deadline = time.monotonic() + WORKER_END_S
    while True:
        # One read a pass: while the pool's own thread reaps a worker, its exitcode reads None, then the status;
        # read twice, "none ended abnormally" and "all have ended" could both hold, and the end go untold.
        codes = [p.exitcode for p in processes]
        ended = [code for code in codes if code not in (None, 0, -signal.SIGTERM)]  # SIGTERM: the pool ending others
        if ended:
            return ended[0]
        if all(code is not None for code in codes) or time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _worker_death(code: int | None) -> str:
    """What ended a worker process, by its exit code (:func:`_worker_end`), and what to do.

    Examples
    --------
    >>> print(_worker_death(-signal.SIGXCPU))
    a worker process reached the CPU-time limit (ulimit -t, each process's own CPU time) and was stopped; raise it and run the command again: it goes on where it stopped
    >>> print(_worker_death(3))
    a worker process ended with exit status 3; run the command again: it goes on where it stopped
    """
    again = "run the command again: it goes on where it stopped"
    if code == -getattr(signal, "SIGXCPU", 0):  # its default action ends the process (a pool's workers keep it)
        return ("a worker process reached the CPU-time limit (ulimit -t, each process's own CPU time) and was "
                f"stopped; raise it and {again}")
    if code is None or code == -signal.SIGKILL:
        return ("a worker process was killed, most often for want of memory (the kernel's out-of-memory killer, a "
                f"job's memory limit); run fewer jobs side by side, or give the job more memory, and {again}")
    ended = f"by signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else f"with exit status {code}"
    return f"a worker process ended {ended}; {again}"


def _start_worker(parent_pid: int) -> None:
    """Set up a worker process of the pool of ``parent_pid``: it ends with that process
    (:func:`_die_with_parent`), and between jobs it ignores SIGTERM (which the pool sends each
    worker when the command is interrupted): an idle worker ends when the pool shuts down, as it
    would have anyway, and is not killed while it holds the lock of the pool's job queue."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for number in _HANGUP:  # the terminal gone: the group's SIGHUP reaches the pool's process too, which
        signal.signal(number, signal.SIG_IGN)  # ends the jobs by SIGTERM (the default action left their files)


_HANGUP = {signal.SIGHUP} if hasattr(signal, "SIGHUP") else set()
"""SIGHUP where the system has it: a worker process ignores it, as does multiprocessing's resource tracker."""


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (if it is not running) with SIGHUP blocked: it ignores
    SIGINT and SIGTERM only, so the hang-up of the terminal ended it, and the one started in its place
    printed a ``KeyError`` traceback for each semaphore of the pool that this process then released."""
    if not _HANGUP or not hasattr(signal, "pthread_sigmask"):
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HANGUP)
    try:
        resource_tracker.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _interruptible(fn: Callable[..., Any], *args: Any) -> Any:
    """Return ``fn(*args)``, called in a worker process of the pool with a SIGTERM raising
    ``KeyboardInterrupt`` as Ctrl-C does, so that the job's clean-up runs before the pool shuts
    down (the default action left the job's temporary files: a reconstruction's ``samples.tmp``).
    Only the first: a scheduler that ends the whole process group sends one too, which must not
    break off that clean-up."""
    previous = signal.signal(signal.SIGTERM, _interrupt_once)
    try:
        return fn(*args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt_once(signum: int, frame: object) -> None:
    """Ignore SIGTERM from now on and raise ``KeyboardInterrupt``."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker process end when ``parent_pid`` (the process of the pool) ends, even by SIGKILL.

    On Linux the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``); the
    check after it covers a parent that died before the call. Elsewhere a worker notices only
    when it next reads the job queue.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)
