"""Running jobs as tasks on a Ray cluster (``--ray auto|ADDRESS``): :class:`RayCluster`.

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
from dataclasses import dataclass
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
