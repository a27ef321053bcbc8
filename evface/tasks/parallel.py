"""Where each process of a training runs: its device, and its rank in a (possibly single-process) run.

- :func:`select_device`; :func:`torch_threads` (torch's CPU threads for a block, set back after it);
- distributed runs: :func:`init_distributed` / :func:`teardown_distributed` read torchrun's
  environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``) and start a process group (gloo on CPU,
  nccl on GPU); outside torchrun they return a single-process :class:`DistInfo`
  (:func:`distributed`: the two around a block). Helpers: :func:`wrap_ddp`, :func:`unwrap`,
  :func:`barrier`, :func:`main_log`, :func:`all_reduce_mean`, :func:`broadcast_object`,
  :func:`gather_object`, :class:`ShardedSampler` (shuffled or weighted, e.g. class-balanced,
  sampling that shards the same draw across ranks, re-drawn each epoch; it keeps no state of its
  own: its draw is a function of seed and epoch).

:func:`evface.tasks.engine.fit` trains with them; the tasks set them up.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from evface.checks import as_flag, as_int, whole_number
from evface.errors import EvfaceError, ParameterError


def select_device(prefer: str = "auto", local_rank: int = 0) -> torch.device:
    """The torch device to run on.

    Parameters
    ----------
    prefer : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when available, else CPU.
    local_rank : int
        GPU index under torchrun (one process per GPU).

    Returns
    -------
    torch.device

    Raises
    ------
    ParameterError
        For another ``prefer``, or ``"cuda"`` where torch sees no CUDA device.

    Examples
    --------
    >>> select_device("cpu")
    device(type='cpu')
    >>> select_device("gpu")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: device must be 'auto', 'cpu' or 'cuda', not 'gpu'
    """
    if prefer not in ("auto", "cpu", "cuda"):
        raise ParameterError(f"device must be 'auto', 'cpu' or 'cuda', not {prefer!r}")
    if prefer == "cuda" and not torch.cuda.is_available():
        why = (f"this torch {torch.__version__} is built without CUDA" if torch.version.cuda is None
               else "no GPU is visible to it (CUDA_VISIBLE_DEVICES, the driver)")
        raise ParameterError(f"--device cuda: torch sees no CUDA device ({why}); give --device auto or cpu")
    if prefer == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", local_rank % torch.cuda.device_count())


# --------------------------------------------------------------------------- distributed


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    enabled: bool = False

    @property
    def is_main(self) -> bool:
        """True on rank 0: the process that logs and writes files."""
        return self.rank == 0


def single_process(prefer: str = "auto") -> DistInfo:
    """This process alone, on the device :func:`select_device` picks for ``prefer``.

    Examples
    --------
    >>> dist = single_process("cpu")
    >>> dist.is_main, dist.world_size, dist.device, dist.enabled
    (True, 1, device(type='cpu'), False)
    >>> all_reduce_mean(2.5, dist), broadcast_object({"a": 1}, dist), gather_object(3, dist)
    (2.5, {'a': 1}, [3])
    >>> main_log(print, DistInfo(rank=1, world_size=2))("said on rank 0 only")
    """
    return DistInfo(device=select_device(prefer))


def init_distributed(prefer: str = "auto") -> DistInfo:
    """Start the process group when launched by torchrun, else describe a single process.

    The backend is nccl when the device is CUDA, gloo on CPU. Call :func:`teardown_distributed`
    at the end (in a ``finally``). torchrun's variables are read as the number options are
    (:func:`launch_number`).
    """
    world = launch_number("WORLD_SIZE", 1)
    if world <= 1 or "RANK" not in os.environ:
        return single_process(prefer)
    import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

    rank = launch_number("RANK", 0, world - 1)
    local_rank = launch_number("LOCAL_RANK", 0)
    device = select_device(prefer, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not tdist.is_initialized():
        tdist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=device, enabled=True)


def launch_number(name: str, low: int, high: int = 2**31 - 1) -> int:
    """The whole number in ``[low, high]`` that torchrun's environment variable ``name`` holds
    (``low`` where unset), else a :class:`ParameterError` naming it (was: ``int()``'s ValueError, an
    internal error of the training command, or a rank past the world size).

    Examples
    --------
    >>> launch_number("WORLD_SIZE_OF_NO_LAUNCHER", 1)
    1
    >>> os.environ["WORLD_SIZE_OF_NO_LAUNCHER"] = "²"
    >>> launch_number("WORLD_SIZE_OF_NO_LAUNCHER", 1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: WORLD_SIZE_OF_NO_LAUNCHER='²': not what torchrun sets (a whole number in [1, 2147483647]); unset it outside torchrun
    >>> del os.environ["WORLD_SIZE_OF_NO_LAUNCHER"]
    """
    value = os.environ.get(name)
    if value is None:
        return low
    number = whole_number(value)
    if number is None or not low <= number <= high:
        raise ParameterError(f"{name}={value!r}: not what torchrun sets (a whole number in [{low}, {high}]); unset it "
                             "outside torchrun")
    return number


def teardown_distributed(dist: DistInfo, timeout_s: float = 60.0) -> None:
    """Wait for every rank, then destroy the process group of :func:`init_distributed` (no-op otherwise).

    Without the final barrier a rank that finishes first can tear gloo down while its peer is
    still closing, which aborts the peer ("terminate called without an active exception"). On
    gloo the barrier is a monitored one with a timeout, so a rank whose peer died does not hang.
    """
    import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

    if dist.enabled and tdist.is_initialized():
        try:
            if tdist.get_backend() == "gloo":
                tdist.monitored_barrier(timeout=datetime.timedelta(seconds=timeout_s))
            else:
                tdist.barrier()
        except RuntimeError:
            pass  # a peer is gone: nothing left to wait for
        tdist.destroy_process_group()


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block on ``threads`` torch CPU threads (``None``: as many as the caller set), then set
    back the caller's, also where the block raises: a training called from a notebook or a script
    leaves its process as it found it (was: ``torch.set_num_threads`` for the rest of the process).

    Parameters
    ----------
    threads : int or None
        The threads in the block (at least 1), or ``None`` to leave them.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def distributed(prefer: str = "auto") -> Iterator[DistInfo]:
    """:func:`init_distributed` for the block, then :func:`teardown_distributed`.

    A rank whose block raises skips the closing barrier and leaves at once: its peers may be
    inside a collective waiting for it (the DDP constructor, a barrier), where the barrier would
    keep both waiting; torchrun ends them when it sees this rank fail. A rank whose collective
    failed because a peer is gone (:func:`peer_lost`) raises one :class:`~evface.errors.EvfaceError`
    that says so, naming its rank, instead of gloo's RuntimeError.
    """
    dist = init_distributed(prefer)
    try:
        yield dist
    except BaseException as exc:
        if dist.enabled:
            import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

            if tdist.is_initialized():
                tdist.destroy_process_group()
            if lost := peer_lost(exc):
                raise EvfaceError(f"rank {dist.rank} of {dist.world_size}: another rank of this torchrun job stopped "
                                  f"({lost}); its error line, or torchrun's summary where it was killed, says why; "
                                  "the same command resumes the run") from None
        raise
    teardown_distributed(dist)


PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "Broken pipe")
"""What gloo's transport says, in a collective, of a rank that has gone (killed, or failed on its own)."""


def peer_lost(exc: BaseException) -> str | None:
    """The words of :data:`PEER_LOST` that a collective's RuntimeError ``exc`` says, else None: a
    rank waiting for a peer that was killed or failed learns of it this way (was: "internal error:
    RuntimeError: [.../gloo/transport/tcp/pair.cc:553] Connection closed by peer ..., please report it").

    Examples
    --------
    >>> peer_lost(RuntimeError("[../gloo/transport/tcp/pair.cc:553] Connection closed by peer [127.0.0.1]:26549"))
    'Connection closed by peer'
    >>> peer_lost(RuntimeError("shape mismatch")) is None
    True
    """
    said = str(exc) if isinstance(exc, RuntimeError) else ""
    return next((words for words in PEER_LOST if words in said), None)


@contextlib.contextmanager
def checked_together(dist: DistInfo) -> Iterator[None]:
    """Run a block of checks on every rank, then fail on every rank or on none, saying it once.

    The block must hold no collective (its end is one: every rank's outcome is gathered). Where a
    rank's block raised an :class:`~evface.errors.EvfaceError` (a bad input, a run folder of other
    settings), rank 0 raises one of that class: its message where every rank failed alike, else each
    failing rank's message after its rank (``rank 1 of 2: DATA/manifest.csv: ...``, e.g. a folder only
    some nodes see); the other ranks leave by ``SystemExit(2)``, silent, so a torchrun job prints the
    error once (was: once per rank). In a single process the block's error is raised as it is.

    Examples
    --------
    >>> with checked_together(single_process("cpu")):
    ...     raise ParameterError("--width: 0 is not >= 1")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --width: 0 is not >= 1
    """
    failed: EvfaceError | None = None
    try:
        yield
    except EvfaceError as exc:
        if not dist.enabled:
            raise
        failed = exc
    outcomes = gather_object(None if failed is None else (type(failed), str(failed)), dist)
    errors = [(rank, outcome) for rank, outcome in enumerate(outcomes) if outcome is not None]
    if not errors:
        return
    if not dist.is_main:
        raise SystemExit(2) from None
    kind, message = errors[0][1]
    if len(errors) < dist.world_size or len({said for _, (_, said) in errors}) > 1:
        message = "; ".join(f"rank {rank} of {dist.world_size}: {said}" for rank, (_, said) in errors)
    raise kind(message) from None


def main_log(log: Callable[[str], None] | None, dist: DistInfo) -> Callable[[str], None]:
    """``log`` on rank 0, a no-op elsewhere or when ``log`` is None."""
    return log if (log is not None and dist.is_main) else (lambda _msg: None)


def barrier(dist: DistInfo) -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.enabled:
        import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

        tdist.barrier()


def wrap_ddp(model: nn.Module, dist: DistInfo) -> nn.Module:
    """Wrap ``model`` (already on ``dist.device``) in DistributedDataParallel when distributed."""
    if not dist.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel  # lazy: only where a run is distributed

    ids = [dist.device.index] if dist.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside a DDP wrapper (or ``model`` itself)."""
    return model.module if hasattr(model, "module") and isinstance(model, nn.parallel.DistributedDataParallel) else model


def all_reduce_mean(value: float, dist: DistInfo) -> float:
    """Mean of a float over ranks (the value itself in a single process)."""
    if not dist.enabled:
        return float(value)
    import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

    t = torch.tensor([float(value)], dtype=torch.float64,
                     device=dist.device if dist.device.type == "cuda" else "cpu")
    tdist.all_reduce(t)
    return float(t.item()) / dist.world_size


def broadcast_object(obj: Any, dist: DistInfo) -> Any:
    """Rank 0's ``obj`` on every rank (``obj`` itself in a single process)."""
    if not dist.enabled:
        return obj
    import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]


def gather_object(obj: Any, dist: DistInfo) -> list[Any]:
    """Every rank's ``obj``, in rank order (``[obj]`` in a single process)."""
    if not dist.enabled:
        return [obj]
    import torch.distributed as tdist  # lazy: torch.distributed only where a run is distributed (torchrun)

    box: list[Any] = [None] * dist.world_size
    tdist.all_gather_object(box, obj)
    return box


class ShardedSampler(torch.utils.data.Sampler):
    """Epoch-seeded index sampler that gives each rank its own share of one global draw.

    Without ``weights`` it is a shuffled permutation (like ``DistributedSampler``); with
    ``weights`` it draws ``num_samples`` indices with replacement in proportion to them (for
    class-balanced sampling pass ``1 / count(class of i)``). The draw depends only on
    ``(seed, epoch)``, so every rank computes the same draw and takes ``draw[rank::world_size]``,
    padded so all ranks get the same number of indices. Call :meth:`set_epoch` every epoch.

    Parameters
    ----------
    n : int
        The samples to draw from, >= 1.
    dist : DistInfo
        This process's rank and the number of ranks.
    seed : int, optional
        The draw's seed, >= 0.
    shuffle : bool, optional
        Without ``weights``: a permutation (else the samples in order).
    weights : array of n floats, optional
        Draw with replacement in proportion to them (finite, non-negative, a positive sum).
    num_samples : int, optional
        The draw's length over all ranks (default ``n``).

    Examples
    --------
    >>> s = ShardedSampler(6, DistInfo(), seed=0, shuffle=False)
    >>> list(s)
    [0, 1, 2, 3, 4, 5]
    >>> ranks = [ShardedSampler(5, DistInfo(rank=r, world_size=2), seed=0, shuffle=False) for r in (0, 1)]
    >>> [list(s) for s in ranks], len(ranks[0])  # padded: both ranks take 3
    ([[0, 2, 4], [1, 3, 0]], 3)
    >>> list(ShardedSampler(3, DistInfo(), weights=np.array([0.0, 1.0, 0.0]), num_samples=4))
    [1, 1, 1, 1]
    """

    def __init__(self, n: int, dist: DistInfo, *, seed: int = 0, shuffle: bool = True,
                 weights: np.ndarray | None = None, num_samples: int | None = None) -> None:
        self.n = as_int("n", n, 1)  # a sampler of no sample draws nothing to train on
        self.dist = dist
        self.seed = as_int("seed", seed, 0)
        self.shuffle = as_flag("shuffle", shuffle)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        if self.weights is not None and (self.weights.shape != (self.n,) or not np.all(np.isfinite(self.weights))
                                         or np.any(self.weights < 0) or self.weights.sum() <= 0):
            raise ParameterError(f"sampler weights must be {self.n} finite non-negative numbers with a positive sum")
        total = self.n if num_samples is None else as_int("num_samples", num_samples, 1)
        self.per_rank = math.ceil(total / dist.world_size)
        self.total = self.per_rank * dist.world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the draw of ``epoch``."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """The global draw of the current epoch (all ranks together)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.weights is not None:
            draw = rng.choice(self.n, size=self.total, replace=True, p=self.weights / self.weights.sum())
        else:
            base = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
            draw = np.resize(base, self.total)
        return draw

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices()[self.dist.rank::self.dist.world_size].tolist())

    def __len__(self) -> int:
        return self.per_rank
