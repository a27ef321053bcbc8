"""Running many independent calls: here, in a local process pool, or as tasks on a Ray cluster.

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
- :class:`RayCluster` (``--ray auto|ADDRESS``: every job a Ray task; a job whose worker or node
  is lost is retried, then reported by :class:`JobFailedError`, as is at once a job that raises,
  and by :class:`ClusterLostError` the cluster itself stopping).
  Ray is imported only here.

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
import hashlib
import heapq
import multiprocessing as mp
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from evface.errors import EvfaceError, ParameterError, counted


@dataclass(frozen=True)
class Job:
    """One call ``fn(*args)``, named for progress and errors, with the resources it needs.

    ``gpus`` is what the job uses when the cluster has GPUs (a Ray task then reserves them);
    on a cluster without any it runs on CPUs. Of the jobs waiting for a local worker, the one of
    highest ``priority`` starts first (Ray schedules its tasks itself).
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
    """Runs jobs and hands each result to ``on_done`` as it arrives."""

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None: ...


class JobFailedError(EvfaceError):
    """A job still failed after its retries (the message names it and the cause)."""


class ClusterLostError(JobFailedError):
    """The Ray cluster stopped while jobs ran: its head node, or this node's raylet, gone (the message
    says how to resume)."""


@dataclass(frozen=True)
class InProcess:
    """Run the jobs one after the other in this process."""

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        waiting = _Waiting(jobs)
        while waiting:
            job = waiting.pop()
            waiting.extend(on_done(job, job.fn(*job.args)) or ())


WORKERS_PER_CPU = 4
"""Local worker processes beyond this many per CPU only compete for the CPUs (and each holds its
own interpreter, numba and torch): refused by :func:`check_workers`."""


def check_workers(workers: int, option: str) -> int:
    """Return ``workers`` if 1 <= workers <= :data:`WORKERS_PER_CPU` x this machine's CPUs, else a
    :class:`ParameterError` naming ``option``.

    Examples
    --------
    >>> check_workers(2, "--workers")
    2
    >>> check_workers(0, "--jobs")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --jobs 0: give at least 1 process
    """
    cpus = os.cpu_count() or 1
    if workers < 1:
        raise ParameterError(f"{option} {workers}: give at least 1 process")
    if workers > WORKERS_PER_CPU * cpus:
        raise ParameterError(f"{option} {workers}: this machine has {cpus} CPUs; more than {WORKERS_PER_CPU * cpus} "
                             "processes only compete for them (a cluster runs more: --ray)")
    return workers


@dataclass(frozen=True)
class ProcessPool:
    """Run the jobs in ``workers`` spawned processes.

    The processes end with this one, even when it is killed (SIGKILL: the OOM killer, a
    scheduler's hard stop), so that none goes on writing into a folder that the next run of the
    command takes over. When the command is interrupted (Ctrl-C, or SIGTERM, which the ``evface``
    command turns into Ctrl-C), each running job is interrupted as by Ctrl-C and its clean-up ends
    before the command does (its temporary files removed). A job is handed to a process only when
    one is free, so the waiting job of highest priority goes next. A job's exception is raised here as it is (no retry: the callers
    resume where they stopped).
    """

    workers: int

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        if self.workers < 1:
            raise ParameterError(f"need at least one worker process, got {self.workers}")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                 initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            waiting, futures = _Waiting(jobs), {}
            try:
                while waiting or futures:
                    while waiting and len(futures) < self.workers:
                        job = waiting.pop()
                        futures[pool.submit(_interruptible, job.fn, *job.args)] = job
                    for future in wait(futures, return_when=FIRST_COMPLETED).done:
                        job = futures.pop(future)
                        waiting.extend(on_done(job, future.result()) or ())
            except BaseException as exc:  # interrupted or failed: do not start the jobs still waiting
                for future in futures:
                    future.cancel()
                if isinstance(exc, KeyboardInterrupt):  # SIGTERM reaches this process alone (Ctrl-C the whole
                    for process in list(pool._processes.values()):  # group): end the jobs, do not wait for them
                        process.terminate()
                raise


def _start_worker(parent_pid: int) -> None:
    """Set up a worker process of the pool of ``parent_pid``: it ends with that process
    (:func:`_die_with_parent`), and between jobs it ignores SIGTERM (which the pool sends each
    worker when the command is interrupted): an idle worker ends when the pool shuts down, as it
    would have anyway, and is not killed while it holds the lock of the pool's job queue."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


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


HEAD_CHECK_S = 5.0
"""While no Ray task finishes, :class:`RayCluster` checks this often (seconds) that the cluster's
head node answers: where it is gone, Ray's calls wait for it for a minute, then end the process
with exit code 1 and no word of the command."""


NODE_WAIT_S = 30.0
"""How long :class:`RayCluster` waits for a node that can take its jobs left, once the nodes that
could were lost (a worker node stopped or its machine gone), before it stops the run: Ray would
keep them waiting for ever."""


def _alive_nodes(ray: Any) -> list[dict[str, float]]:
    """The resources (``CPU``, ``GPU``, ...) of each alive node of the cluster ``ray`` is connected to."""
    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def _takes(nodes: list[dict[str, float]], cpus: float, gpus: float) -> bool:
    """Whether one of ``nodes`` has ``cpus`` CPUs and ``gpus`` GPUs.

    Examples
    --------
    >>> _takes([{"CPU": 0.0}, {"CPU": 2.0}], 1.0, 0.0), _takes([{"CPU": 2.0}], 1.0, 1.0)
    (True, False)
    """
    return any(node.get("CPU", 0) >= cpus and node.get("GPU", 0) >= gpus for node in nodes)


def _answers(address: str) -> bool:
    """Whether a server accepts a TCP connection at ``address`` (``HOST:PORT``) within 10 s."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class RayCluster:
    """Run every job as a Ray task on the cluster at ``address`` (``"auto"``: the one started on
    this machine by ``ray start``, or ``RAY_ADDRESS``).

    Each task asks for its job's CPUs (and GPUs when the cluster has any) and is tried
    ``1 + retries`` times where its worker process dies or its node is lost (Ray's ``max_retries``);
    then :class:`JobFailedError` names it. A job that raises is not tried again (Ray's
    ``retry_exceptions=False``): evface's own errors (bad input, a diverged training) and its bugs
    come out the same each time, so its error is reported at once, naming the job. A job that no
    node of the cluster can take (a head node started with ``--num-cpus=0`` and no other node) is
    refused before anything runs: Ray would keep it waiting for ever; so are the jobs left when
    the nodes that could take them are lost and none comes back within :data:`NODE_WAIT_S`. A
    cluster that stops while jobs run (``ray stop``, its head node lost) is reported by
    :class:`ClusterLostError` within :data:`HEAD_CHECK_S` seconds or so, naming what was
    unfinished. Every node must run the same evface (and Python) and see the paths in the jobs'
    arguments (shared storage); a task on a node whose evface sources differ from this process's
    (:func:`code_fingerprint`) fails naming it, instead of running other code than the command's.
    """

    address: str = "auto"
    retries: int = 2

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        ray, ours = connect(self.address)
        try:
            has_gpus = ray.cluster_resources().get("GPU", 0) > 0
            task = ray.remote(_run_checked)
            fingerprint, origin = code_fingerprint(), str(Path(__file__).parent)
            pending = {}

            def gpus(job: Job) -> float:
                return job.gpus if has_gpus else 0.0

            def submit(job: Job) -> None:
                options = dict(num_cpus=job.cpus, num_gpus=gpus(job), max_retries=self.retries,
                               retry_exceptions=False, name=job.name)
                pending[task.options(**options).remote(fingerprint, origin, job.fn, *job.args)] = job

            nodes = _alive_nodes(ray)
            for job in jobs:
                self._check_takes(job, gpus(job), nodes)
                submit(job)
            head, stuck_since = ray.get_runtime_context().gcs_address, None
            try:
                while pending:
                    ready, _ = ray.wait(list(pending), num_returns=1, timeout=HEAD_CHECK_S)
                    if not ready:
                        if not _answers(head):
                            raise self._lost(head, list(pending.values()))
                        nodes = _alive_nodes(ray)  # the nodes that could take the jobs left may be lost
                        if any(_takes(nodes, job.cpus, gpus(job)) for job in pending.values()):
                            stuck_since = None
                        elif stuck_since is None:
                            stuck_since = time.monotonic()
                        elif time.monotonic() - stuck_since > NODE_WAIT_S:
                            job = next(iter(pending.values()))
                            self._check_takes(job, gpus(job), nodes, lost=True)
                        continue
                    job = pending.pop(ready[0])
                    try:
                        result = ray.get(ready[0])
                    except ray.exceptions.RayError as exc:
                        if isinstance(exc, ray.exceptions.LocalRayletDiedError) or (
                                not isinstance(exc, ray.exceptions.RayTaskError) and not _answers(head)):
                            raise self._lost(head, [job, *pending.values()]) from None
                        raise self._failed(job, exc, ray) from None
                    for then in on_done(job, result) or ():
                        self._check_takes(then, gpus(then), nodes)
                        submit(then)
            except ClusterLostError:  # nothing left to cancel, and Ray's calls would wait for the head
                pending.clear()
                raise
            except BaseException:
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise
        finally:
            if ours:
                ray.shutdown()

    def _check_takes(self, job: Job, gpus: float, nodes: list[dict[str, float]], lost: bool = False) -> None:
        """Refuse ``job`` (with ``gpus``) where no node of ``nodes`` can take it: Ray would keep it
        waiting for ever. ``lost``: while it waited, the nodes that could take it were lost."""
        if _takes(nodes, job.cpus, gpus):
            return
        needs = counted(job.cpus, "CPU") + (f" and {counted(gpus, 'GPU')}" if gpus else "")
        if lost:
            raise JobFailedError(f"{job.name} needs {needs} on one node, and no node of the Ray cluster at "
                                 f"{self.address} has them any more (its nodes: {_described(nodes)}; those that had "
                                 f"were lost, and none came back in {NODE_WAIT_S:.0f} s); what finished is kept: start "
                                 "a node with 'ray start --address=HEAD:PORT --num-cpus=N' and run the same command "
                                 "again, or run it without --ray, to resume")
        raise JobFailedError(f"{job.name} needs {needs} "
                             f"on one node, and no node of the Ray cluster at {self.address} has them "
                             f"(its nodes: {_described(nodes)}); start a node with 'ray start "
                             "--num-cpus=N' (N >= 1), or run without --ray")

    def _failed(self, job: Job, exc: Exception, ray: Any) -> JobFailedError:
        """The error of ``job``, which failed with Ray's ``exc``: raised by the job itself (tried
        once), or its worker or node lost on every try."""
        cause = str(getattr(exc, "cause", None) or exc).strip().splitlines()
        said = cause[-1] if cause else type(exc).__name__
        if isinstance(exc, ray.exceptions.RayTaskError):
            return JobFailedError(f"{job.name} failed on the Ray cluster at {self.address}: {said}")
        return JobFailedError(f"{job.name} failed {counted(1 + self.retries, 'time')} on the Ray cluster at "
                              f"{self.address}: {said}")

    def _lost(self, head: str, unfinished: list[Job]) -> ClusterLostError:
        """The error of a cluster that stopped (its head node, whose GCS was at ``head``, or this
        node's raylet gone: ``ray stop``, a node lost) with the jobs ``unfinished``."""
        names = unfinished[0].name + (f" and {counted(len(unfinished) - 1, 'other job')}" if len(unfinished) > 1 else "")
        return ClusterLostError(f"the Ray cluster at {self.address} (head node {head}) stopped (ray stop, or a node "
                                f"lost) with {names} unfinished; what finished is kept: run the same command again on "
                                "a running cluster, or without --ray, to resume")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The first 12 hex digits of the SHA-256 of the evface package's Python sources (their paths
    and bytes): two processes with the same fingerprint run the same evface code."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _run_checked(fingerprint: str, origin: str, fn: Callable[..., Any], *args: Any) -> Any:
    """A Ray task: ``fn(*args)`` where this process runs the evface of the command that sent it
    (``fingerprint``, from the package at ``origin``), else a :class:`JobFailedError` naming both."""
    if code_fingerprint() != fingerprint:
        here = str(Path(__file__).parent)
        which = (f"({here}) is not the one of the command ({origin})" if here != origin else
                 f"in {here} is not the one of the command, from the same folder (another version installed there "
                 "on that node, or its sources changed since the command started)")
        raise JobFailedError(f"the evface of node {socket.gethostname()} {which}: every node must run the same evface "
                             "(install the same version on every node, then run the command again)")
    return fn(*args)


def _described(nodes: list[dict[str, float]]) -> str:
    """The CPUs and GPUs of each node, for a message.

    Examples
    --------
    >>> _described([{"CPU": 0.0, "memory": 1e9}, {"CPU": 4.0, "GPU": 1.0}])
    '0 CPU; 4 CPU, 1 GPU'
    >>> _described([])
    'none'
    """
    return "; ".join(", ".join(f"{node.get(kind, 0):g} {kind}" for kind in ("CPU", "GPU") if kind == "CPU" or node.get(kind))
                     for node in nodes) or "none"


@contextmanager
def ray_session(address: str | None) -> Iterator[None]:
    """Hold one connection to the Ray cluster at ``address`` for the block (``None``: no cluster,
    nothing to do), so that a cluster which does not answer stops a run before it writes anything;
    the :class:`RayCluster` executors inside reuse it."""
    if address is None:
        yield
        return
    ray, ours = connect(address)
    try:
        yield
    finally:
        if ours:
            ray.shutdown()


def connect(address: str) -> tuple[Any, bool]:
    """Import Ray and connect this process to the cluster at ``address`` unless it is connected.

    Returns the ``ray`` module and whether this call connected (then the caller disconnects).
    """
    try:
        import ray  # lazy: Ray is an optional extra, needed only by --ray
    except ImportError:
        raise ParameterError("--ray needs Ray: pip install 'evface[ray]' (or run without --ray)") from None
    if ray.is_initialized():
        return ray, False
    given = os.environ.get("RAY_ADDRESS", "") if address == "auto" else address  # ray.init reads it for auto
    named = f"--ray {address}" + (f" (RAY_ADDRESS={given})" if address == "auto" and given else "")
    if address != "auto" or given not in ("", "auto"):
        _check_address(ray, given, named)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=address, logging_level="warning", log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"{named}: cannot connect to a Ray cluster ({reason}); start one with "
                             "'ray start --head' or give --ray HOST:PORT of a running head node") from None
    finally:
        _keep_sigterm(handler)
    return ray, True


def _check_address(ray: Any, address: str, named: str) -> None:
    """Refuse ``address`` unless a Ray head node answers there (``named``: the option and value that
    gave it, for the message): ``ray.init`` keeps retrying an address where nothing listens."""
    if "://" in address:
        raise ParameterError(f"{named}: a URL (of Ray's job server or Ray Client) is not the address of a head node; "
                             "give the HOST:PORT that 'ray start --head' printed")
    host, _, port = address.rpartition(":")
    if not (host and port.isdigit() and 0 < int(port) < 65536):
        raise ParameterError(f"{named}: expected auto or HOST:PORT with a port in 1..65535, as "
                             "'ray start --head' prints it")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise ParameterError(f"{named}: no Ray head node answers there ({exc}); give the HOST:PORT that "
                             "'ray start --head' printed, or --ray auto on a node of the cluster") from None
    try:
        is_head = _is_ray_head(ray, host, int(port))
    except getattr(ray.exceptions, "AuthenticationError", ()):
        raise ParameterError(f"{named}: the Ray head node there asks for its token (Ray's token authentication), "
                             "and this command gives none: set RAY_AUTH_MODE=token, with the cluster's token in "
                             "RAY_AUTH_TOKEN or ~/.ray/auth_token, as on its nodes") from None
    if not is_head:
        raise ParameterError(f"{named}: something answers there, but not a Ray head node; give the "
                             "HOST:PORT that 'ray start --head' printed (its --port, 6379 by default; not the "
                             "dashboard's or the Ray Client's port)")


def _is_ray_head(ray: Any, host: str, port: int) -> bool:
    """Whether a Ray head node's GCS (a gRPC server) may answer at ``host:port``. Where another
    server answers (the dashboard's HTTP port, a raylet's gRPC port), ``ray.init`` tries 20 times
    for a second or more each, printing a warning of Ray's C++ core each time; this takes at most
    5 s (a server that says nothing), and prints nothing.

    Ray has no public call that asks an address for its GCS without those retries: past the
    HTTP/2 check (plain sockets), this asks Ray's own GCS client (``ray._raylet.GcsClient``, what
    ``ray.init`` tries each time). A Ray without it, or whose client takes other arguments or
    fails otherwise, leaves the question to ``ray.init`` (``True``): slower, never wrong. A head
    node that asks for a token this process does not give (Ray's token authentication) raises
    Ray's ``AuthenticationError``: ``ray.init`` would try it 20 times and say only that it
    cannot connect."""
    tls = os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true")  # then the GCS answers only in TLS
    if not tls and not _speaks_http2(host, port):
        return False
    client = getattr(getattr(ray, "_raylet", None), "GcsClient", None)
    rpc_error = getattr(getattr(ray, "exceptions", None), "RpcError", None)
    if client is None or rpc_error is None:
        return True
    with _stderr_silenced():
        try:
            client(address=f"{host}:{port}")
        except rpc_error:
            return False
        except getattr(ray.exceptions, "AuthenticationError", ()):  # a head node that wants a token: the caller says so
            raise
        except Exception:  # noqa: BLE001 - another Ray's client: ray.init, public, decides
            return True
    return True


_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")
"""What an HTTP/2 client sends first: the connection preface and an empty SETTINGS frame (RFC 9113, 3.4)."""


def _speaks_http2(host: str, port: int, timeout: float = 5.0) -> bool:
    """Whether the server at ``host:port`` answers the HTTP/2 preface with a SETTINGS frame, as an
    HTTP/2 server (every gRPC server) does at once; an HTTP/1 server does not, nor one that
    says nothing for ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(_HTTP2_PREFACE)
            head = b""
            while len(head) < 9:
                more = connection.recv(9 - len(head))
                if not more:
                    break
                head += more
    except OSError:
        return False
    return len(head) == 9 and head[3] == 0x4  # a frame header whose type is SETTINGS


def _keep_sigterm(handler: Any) -> None:
    """Put back the SIGTERM ``handler`` of this process's caller, which ``ray.init`` replaced by its
    own (an exit that skips the caller's clean-up: the ``evface`` command's, which stops as Ctrl-C
    does, with exit code 143); a caller without a handler of its own keeps Ray's."""
    if callable(handler) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send what is written to file descriptor 2 in the block (where Ray's C++ core logs) to the null device."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
