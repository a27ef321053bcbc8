"""Running jobs as tasks on a Ray cluster (``--ray auto|HOST:PORT``): :class:`RayCluster`.

Every job is a Ray task asking for its CPUs and GPUs; a job that no node can take is refused
before anything runs, and the run stops with one error where the nodes that could take the jobs
left are lost (:data:`NODE_WAIT_S`) or the cluster itself stops (:class:`ClusterLostError`,
checked every :data:`HEAD_CHECK_S` seconds). Each task runs only where the node's evface is the
command's (:func:`code_fingerprint`). The connection to the cluster is :mod:`evface.ray_connect`'s.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from evface.errors import counted
from evface.executor import Job, JobFailedError, OnDone
from evface.ray_connect import connect


class ClusterLostError(JobFailedError):
    """The Ray cluster stopped while jobs ran: its head node, or this node's raylet, gone (the message
    says how to resume)."""


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
class _Tasks:
    """What one :meth:`RayCluster.run` carries from job to job: the connected ``ray`` module, the
    remote function every job runs in (:func:`_run_checked`), whether the cluster has GPUs, the
    command's code fingerprint and package folder, and the tasks not yet finished (their jobs, by
    Ray's reference)."""

    ray: Any
    remote: Any
    has_gpus: bool
    fingerprint: str
    origin: str
    pending: dict[Any, Job] = field(default_factory=dict)

    @classmethod
    def on(cls, ray: Any) -> _Tasks:
        """The tasks of a run on the cluster ``ray`` is connected to, none sent yet."""
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        return cls(ray, ray.remote(_run_checked), has_gpus, code_fingerprint(), str(Path(__file__).parent))

    def gpus(self, job: Job) -> float:
        """The GPUs ``job``'s task asks for: its own where the cluster has any, else none."""
        return job.gpus if self.has_gpus else 0.0


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

    Parameters
    ----------
    address : str, optional
        The cluster's address (``HOST:PORT``), or ``"auto"``.
    retries : int, optional
        How often a task whose worker process died or whose node was lost is tried again.

    Examples
    --------
    Building one connects to nothing; :meth:`run` connects (and needs Ray):

    >>> RayCluster("10.0.0.5:6379", retries=1)
    RayCluster(address='10.0.0.5:6379', retries=1)
    """

    address: str = "auto"
    retries: int = 2

    def run(self, jobs: Sequence[Job], on_done: OnDone) -> None:
        """Run ``jobs`` (and the jobs ``on_done`` returns) as Ray tasks, handing each result to ``on_done``.

        Connects to the cluster (and disconnects at the end where this call connected).

        Parameters
        ----------
        jobs : sequence of Job
            The jobs to run first.
        on_done : callable
            ``on_done(job, result)``, called in this process as each task finishes, in finishing
            order; it may return further jobs to run.
        """
        ray, ours = connect(self.address)
        try:
            tasks = _Tasks.on(ray)
            nodes = _alive_nodes(ray)
            for job in jobs:
                self._submit(tasks, job, nodes)
            self._wait_all(tasks, on_done, nodes)
        finally:
            if ours:
                ray.shutdown()

    def _submit(self, tasks: _Tasks, job: Job, nodes: list[dict[str, float]]) -> None:
        """Send ``job`` to the cluster as one of ``tasks``, once one of ``nodes`` is seen to take it."""
        self._check_takes(job, tasks.gpus(job), nodes)
        options = dict(num_cpus=job.cpus, num_gpus=tasks.gpus(job), max_retries=self.retries,
                       retry_exceptions=False, name=job.name)
        tasks.pending[tasks.remote.options(**options).remote(tasks.fingerprint, tasks.origin, job.fn, *job.args)] = job

    def _wait_all(self, tasks: _Tasks, on_done: OnDone, nodes: list[dict[str, float]]) -> None:
        """Wait for every pending task, handing each result to ``on_done`` and sending the jobs it
        returns; while none finishes, check the cluster (:meth:`_check_waiting`). Where the run stops,
        the tasks left are cancelled (unless the cluster itself is lost)."""
        ray = tasks.ray
        head, stuck_since = ray.get_runtime_context().gcs_address, None
        try:
            while tasks.pending:
                ready, _ = ray.wait(list(tasks.pending), num_returns=1, timeout=HEAD_CHECK_S)
                if not ready:
                    nodes, stuck_since = self._check_waiting(tasks, head, stuck_since)
                    continue
                job, result = self._result(tasks, ready[0], head)
                for then in on_done(job, result) or ():
                    self._submit(tasks, then, nodes)
        except ClusterLostError:  # nothing left to cancel, and Ray's calls would wait for the head
            tasks.pending.clear()
            raise
        except BaseException:
            for ref in tasks.pending:
                ray.cancel(ref, force=True)
            raise

    def _check_waiting(self, tasks: _Tasks, head: str,
                       stuck_since: float | None) -> tuple[list[dict[str, float]], float | None]:
        """While no task finishes: stop where the head node at ``head`` no longer answers, or where
        no node could take a pending job for :data:`NODE_WAIT_S`; return the alive nodes and since
        when none could take one (``stuck_since``, ``None`` while one can)."""
        if not _answers(head):
            raise self._lost(head, list(tasks.pending.values()))
        nodes = _alive_nodes(tasks.ray)  # the nodes that could take the jobs left may be lost
        if any(_takes(nodes, job.cpus, tasks.gpus(job)) for job in tasks.pending.values()):
            return nodes, None
        if stuck_since is None:
            return nodes, time.monotonic()
        if time.monotonic() - stuck_since > NODE_WAIT_S:
            job = next(iter(tasks.pending.values()))
            self._check_takes(job, tasks.gpus(job), nodes, lost=True)
        return nodes, stuck_since

    def _result(self, tasks: _Tasks, ref: Any, head: str) -> tuple[Job, Any]:
        """The job of the finished task ``ref``, no longer pending, and its result; the error of the
        cluster lost (:meth:`_lost`) or of the job failed (:meth:`_failed`) where it has none."""
        ray = tasks.ray
        job = tasks.pending.pop(ref)
        try:
            return job, ray.get(ref)
        except ray.exceptions.RayError as exc:
            if isinstance(exc, ray.exceptions.LocalRayletDiedError) or (
                    not isinstance(exc, ray.exceptions.RayTaskError) and not _answers(head)):
                raise self._lost(head, [job, *tasks.pending.values()]) from None
            raise self._failed(job, exc, ray) from None

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
