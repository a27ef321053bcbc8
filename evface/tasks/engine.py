"""The shared training engine of evface's tasks (classification and reconstruction).

One implementation of the machinery every task needs, so that a task module only writes its
model, its data and two callables (one training epoch, one validation pass):

- :func:`select_device`, :func:`seed_everything`;
- distributed runs: :func:`init_distributed` / :func:`teardown_distributed` read torchrun's
  environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``) and start a process group (gloo on CPU,
  nccl on GPU); outside torchrun they return a single-process :class:`DistInfo`. Helpers:
  :func:`wrap_ddp`, :func:`unwrap`, :func:`all_reduce_mean`, :func:`broadcast_object`,
  :class:`ShardedSampler` (shuffled or weighted, e.g. class-balanced, sampling that shards the
  same draw across ranks, re-drawn each epoch);
- checkpoints: :func:`save_checkpoint` / :func:`load_checkpoint` (``RUN/checkpoint.pt`` = last
  epoch, ``RUN/best.pt`` = best validation score), :func:`load_model_state`; the run folder's
  other files (config, clips, metrics, the checks of a received run) are
  :mod:`evface.tasks.run_folder`'s;
- :func:`fit`: the epoch loop with early stopping on a validation metric, checkpoints every
  epoch, resume from ``RUN/checkpoint.pt``, history in ``RUN/history.json`` and rank-0-only
  logging through a caller-supplied ``log`` callable (the library never prints);
- exact resume: every checkpoint holds every random state training draws from
  (:func:`rng_state`: torch CPU and CUDA, numpy's global generator, Python's ``random`` and the
  task's own generators, per rank), so a run killed and resumed ends with the weights of an
  uninterrupted one. :class:`ShardedSampler` keeps no state of its own (its draw is a function of
  seed and epoch).

Typical use (a task module)::

    with distributed("auto") as dist:
        seed_everything(cfg.seed + dist.rank)
        model = wrap_ddp(MyNet().to(dist.device), dist)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        if dist.is_main:
            run_folder.save_config(run_dir, {"task": "classify", ...})
        sampler = ShardedSampler(len(train_set), dist, seed=cfg.seed, weights=w)

        def train_epoch(epoch):            # -> dict of floats, e.g. {"loss": 0.7}
            sampler.set_epoch(epoch)
            ...
            return {"loss": all_reduce_mean(total / n, dist)}

        def validate(epoch):               # -> dict with the monitored key
            return {"val_loss": ..., "val_acc": ...}

        result = fit(model, opt, train_epoch, validate, run_dir, dist=dist, epochs=30,
                     monitor="val_acc", mode="max", patience=5, generators={"augment": aug_rng}, log=print)

``fit`` returns ``{"best_epoch", "best_score", "monitor", "epochs_run", "stopped_early",
"history", "resumed_seconds"}``. ``best.pt`` holds ``{"model": state_dict, "epoch", "score", "extra"}`` and is what an
evaluation loads (:func:`load_model_state`). The state dicts are always those of the unwrapped
model, so a checkpoint written by a DDP run loads into a plain model and vice versa.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import random
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import torch
from torch import nn

from evface.checks import as_flag, as_int, as_real
from evface.errors import FormatError, ParameterError, counted, where
from evface.io.atomic_files import atomic_write
from evface.tasks.run_folder import write_json

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
HISTORY = "history.json"


# --------------------------------------------------------------------------- device and seeds


def select_device(prefer: str = "auto", local_rank: int = 0) -> torch.device:
    """The torch device to run on.

    Parameters
    ----------
    prefer : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when available, else CPU.
    local_rank : int
        GPU index under torchrun (one process per GPU).
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


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's global and torch's generators (CPU and CUDA) with the integer ``seed``
    (a ParameterError naming it otherwise: ``1.5`` met numpy's casting error, ``"3"`` Python's
    string formatting)."""
    seed = as_int("seed", seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


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
    """This process alone, on the device :func:`select_device` picks for ``prefer``."""
    return DistInfo(device=select_device(prefer))


def init_distributed(prefer: str = "auto") -> DistInfo:
    """Start the process group when launched by torchrun, else describe a single process.

    The backend is nccl when the device is CUDA, gloo on CPU. Call :func:`teardown_distributed`
    at the end (in a ``finally``).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or "RANK" not in os.environ:
        return single_process(prefer)
    import torch.distributed as tdist

    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = select_device(prefer, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not tdist.is_initialized():
        tdist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=device, enabled=True)


def teardown_distributed(dist: DistInfo, timeout_s: float = 60.0) -> None:
    """Wait for every rank, then destroy the process group of :func:`init_distributed` (no-op otherwise).

    Without the final barrier a rank that finishes first can tear gloo down while its peer is
    still closing, which aborts the peer ("terminate called without an active exception"). On
    gloo the barrier is a monitored one with a timeout, so a rank whose peer died does not hang.
    """
    import datetime

    import torch.distributed as tdist

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
def distributed(prefer: str = "auto") -> Iterator[DistInfo]:
    """:func:`init_distributed` for the block, then :func:`teardown_distributed`.

    A rank whose block raises skips the closing barrier and leaves at once: its peers may be
    inside a collective waiting for it (the DDP constructor, a barrier), where the barrier would
    keep both waiting; torchrun ends them when it sees this rank fail.
    """
    dist = init_distributed(prefer)
    try:
        yield dist
    except BaseException:
        if dist.enabled:
            import torch.distributed as tdist

            if tdist.is_initialized():
                tdist.destroy_process_group()
        raise
    teardown_distributed(dist)


def main_log(log: Callable[[str], None] | None, dist: DistInfo) -> Callable[[str], None]:
    """``log`` on rank 0, a no-op elsewhere or when ``log`` is None."""
    return log if (log is not None and dist.is_main) else (lambda _msg: None)


def barrier(dist: DistInfo) -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.enabled:
        import torch.distributed as tdist

        tdist.barrier()


def wrap_ddp(model: nn.Module, dist: DistInfo) -> nn.Module:
    """Wrap ``model`` (already on ``dist.device``) in DistributedDataParallel when distributed."""
    if not dist.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [dist.device.index] if dist.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside a DDP wrapper (or ``model`` itself)."""
    return model.module if hasattr(model, "module") and isinstance(model, nn.parallel.DistributedDataParallel) else model


def all_reduce_mean(value: float, dist: DistInfo) -> float:
    """Mean of a float over ranks (the value itself in a single process)."""
    if not dist.enabled:
        return float(value)
    import torch.distributed as tdist

    t = torch.tensor([float(value)], dtype=torch.float64,
                     device=dist.device if dist.device.type == "cuda" else "cpu")
    tdist.all_reduce(t)
    return float(t.item()) / dist.world_size


def broadcast_object(obj: Any, dist: DistInfo) -> Any:
    """Rank 0's ``obj`` on every rank (``obj`` itself in a single process)."""
    if not dist.enabled:
        return obj
    import torch.distributed as tdist

    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]


def gather_object(obj: Any, dist: DistInfo) -> list[Any]:
    """Every rank's ``obj``, in rank order (``[obj]`` in a single process)."""
    if not dist.enabled:
        return [obj]
    import torch.distributed as tdist

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

    Examples
    --------
    >>> s = ShardedSampler(6, DistInfo(), seed=0, shuffle=False)
    >>> list(s)
    [0, 1, 2, 3, 4, 5]
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


# --------------------------------------------------------------------------- random states

RandomGenerator = torch.Generator | np.random.Generator


def _plain(value: Any) -> Any:
    """Tuples and arrays as lists, numpy scalars as Python ones: what ``weights_only`` loads."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def rng_state(generators: Mapping[str, RandomGenerator] | None = None) -> dict[str, Any]:
    """This process's random states, as tensors and plain data (a checkpoint holding them still
    loads with ``torch.load(weights_only=True)``).

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> state = rng_state({"augment": g})
    >>> a = (torch.rand(1).item(), random.random(), np.random.rand(), g.random())
    >>> restore_rng_state(state, {"augment": g})
    >>> a == (torch.rand(1).item(), random.random(), np.random.rand(), g.random())
    True
    """
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": _plain(np.random.get_state(legacy=False)),
        "python": _plain(random.getstate()),
        "generators": {name: g.get_state() if isinstance(g, torch.Generator) else _plain(g.bit_generator.state)
                       for name, g in (generators or {}).items()},
    }


def restore_rng_state(state: Mapping[str, Any], generators: Mapping[str, RandomGenerator] | None = None) -> None:
    """Put back the random states of :func:`rng_state` (``generators`` are changed in place)."""
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    np.random.set_state(state["numpy"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    for name, g in (generators or {}).items():
        if name not in state["generators"]:
            raise FormatError(f"checkpoint has no state of the random generator {name!r}")
        if isinstance(g, torch.Generator):
            g.set_state(state["generators"][name].cpu())
        else:
            g.bit_generator.state = state["generators"][name]


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """``torch.save`` to a temporary name, then rename (never a half-written checkpoint; on an
    error, a full disk included, the temporary file is removed)."""
    return atomic_write(Path(path), lambda tmp: torch.save(dict(state), tmp))


AGAIN = "copy it again or train the run again"
"""What to do about a checkpoint that is cut short or damaged, the end of :func:`load_checkpoint`'s line."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`: tensors and plain data only, so a
    received file cannot run code (``weights_only=True``); anything else (a folder, an empty file, one
    cut short or damaged, :func:`_check_archive`) is one :class:`FormatError` naming it. A missing
    file is one too, saying that the run's checkpoints are missing (a run folder copied without its
    ``.pt`` files) and what to do."""
    path = Path(path)
    if not path.exists():
        raise FormatError(where(path, f"no such checkpoint: the run's checkpoints (.pt files) are missing (copied "
                                      f"without them?); copy them into {path.parent} too, or train the run again"))
    if not path.is_file():
        raise FormatError(where(path, "a folder, not a checkpoint file"))
    if path.stat().st_size == 0:
        raise FormatError(where(path, "an empty file (0 bytes), not a checkpoint evface wrote"))
    _check_archive(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's weights-only unpickler met an object it will not build
        raise FormatError(where(path, "holds objects other than tensors and plain data (a pickle that could run "
                                      "code): refused, nothing in it ran; not a checkpoint evface wrote")) from exc
    except Exception as exc:  # torch raises many kinds on a damaged archive
        raise FormatError(where(path, f"a damaged checkpoint ({_first_sentence(exc)}); {AGAIN}")) from exc


def _check_archive(path: Path) -> None:
    """Refuse, in one line naming ``path``, a file that is not a whole zip archive as ``torch.save``
    writes (one cut short has lost the archive's directory at its end; another kind of file has
    none) or one whose member fails its CRC (damaged in a copy), before torch reads it."""
    if not zipfile.is_zipfile(path):
        raise FormatError(where(path, f"not a checkpoint evface wrote: not a whole zip archive, as torch.save writes "
                                      f"({counted(path.stat().st_size, 'byte')}: cut short, e.g. by an interrupted "
                                      f"copy, or another kind of file); {AGAIN}"))
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FormatError(where(path, f"a damaged checkpoint ({_first_sentence(exc)}); {AGAIN}")) from exc
    if damaged is not None:
        part = damaged.split("/", 1)[-1]  # torch's archive holds one folder, named as the file was written
        raise FormatError(where(path, f"a damaged checkpoint (its part {part!r} fails its checksum); {AGAIN}"))


def _first_sentence(exc: BaseException) -> str:
    """An exception's kind and the first sentence of its message, on one line (torch adds a paragraph of advice).

    >>> _first_sentence(RuntimeError("PytorchStreamReader failed reading file data/0: invalid header. This is an "
    ...                              "internal miniz error." + chr(10) + "More"))
    'RuntimeError: PytorchStreamReader failed reading file data/0: invalid header'
    >>> _first_sentence(EOFError())
    'EOFError'
    """
    text = str(exc).splitlines()[0].split(". ")[0].rstrip(".") if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_model_state(run_dir: str | Path, model: nn.Module, which: str = BEST) -> dict[str, Any]:
    """Load ``RUN/best.pt`` (or ``which``) into ``model``; return the checkpoint dict. A checkpoint
    whose weights do not fit ``model`` (another network, not a model's checkpoint, or a spiking
    network trained with other neuron settings) is a :class:`FormatError` naming it."""
    path = Path(run_dir) / which
    ckpt = load_checkpoint(path)
    state = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise FormatError(where(path, "holds no model weights ('model'): not a checkpoint evface wrote"))
    ours = unwrap(model).state_dict()
    missing, unexpected = sorted(set(ours) - set(state)), sorted(set(state) - set(ours))
    misshapen = sorted(k for k in set(ours) & set(state)  # complex weights were cast to real without a word
                       if not isinstance(state[k], torch.Tensor) or state[k].shape != ours[k].shape
                       or state[k].dtype != ours[k].dtype)
    if missing or unexpected or misshapen:
        what = [f"{counted(len(keys), noun)}{after} (e.g. {keys[0]})" for keys, noun, after in
                ((missing, "weight", " missing"), (unexpected, "unknown weight", ""),
                 (misshapen, "weight", " of another shape or type")) if keys]
        raise FormatError(where(path, f"does not fit the run's network: {', '.join(what)}; not a checkpoint of this run"))
    _check_settings(path, model, state)
    broken = _not_finite(state)
    if broken:  # a network with NaN weights predicts one class (or no spike) everywhere, silently
        raise FormatError(where(path, f"holds weights that are not finite numbers ({counted(len(broken), 'tensor')}, e.g. "
                                      f"{broken[0]}): not a usable checkpoint; train the run again"))
    unwrap(model).load_state_dict(state)
    return ckpt


def _check_settings(path: Path, model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """A :class:`FormatError` unless the checkpoint ``state`` holds the values that ``model``'s
    configuration fixes (a spiking network's ``settings_state``: its neurons' reset, threshold, ...).

    Weights of the same shapes trained with other neuron settings (a ``--reset zero`` run's
    ``best.pt`` in a run of the default reset, or a ``config.json`` edited afterwards) loaded
    without a word: the network then applied the checkpoint's reset with the run's readout, and
    ``export-nir`` wrote the config's neurons around the checkpoint's weights.
    """
    fixed = getattr(unwrap(model), "settings_state", dict)()
    differ = sorted(k for k, v in fixed.items() if not torch.equal(state[k].to(v.dtype), v))
    if differ:
        name = differ[0]
        raise FormatError(where(path, f"was trained with other neuron settings than the run's config.json gives "
                                      f"({len(differ)} differ, e.g. {name} is {state[name].tolist()} in the checkpoint "
                                      f"and {fixed[name].tolist()} by config.json); not a checkpoint of this run"))


# --------------------------------------------------------------------------- epoch loop


_RESUME_FIELDS = ("optimizer", "epoch", "best_score", "best_epoch", "bad_epochs", "history")


def _not_finite(state: Mapping[str, torch.Tensor]) -> list[str]:
    """The names of a state dict's floating-point tensors that hold a NaN or an infinity, sorted."""
    return sorted(k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all()))


def _check_finite(model: nn.Module, run_dir: Path, epoch: int) -> None:
    """Stop a training whose weights are no longer finite numbers, before they are checkpointed
    (a validation score can stay finite: NaN logits all pick one class)."""
    broken = _not_finite(model.state_dict())
    if broken:
        raise ParameterError(f"{run_dir}: the training diverged in epoch {epoch} ({broken[0]} is no longer finite "
                             "numbers); try a lower --learning-rate or --weight-decay, in a new --out folder")


def _improved(score: float, best: float | None, mode: str, min_delta: float) -> bool:
    if best is None or not math.isfinite(best):
        return math.isfinite(score)
    return score > best + min_delta if mode == "max" else score < best - min_delta


_SCHEDULE_PROGRESS = {"last_epoch", "_step_count", "_last_lr", "_get_lr_called_within_step", "_is_initial", "verbose"}
"""Keys of a torch LR scheduler's state that record its progress, not its shape."""


def _check_same_schedule(path: Path, ckpt: Mapping[str, Any], fresh: Mapping[str, Any], epochs: int) -> None:
    """Refuse to resume under a learning-rate schedule shaped for other settings.

    A cosine schedule spans the run's ``epochs``: loading the checkpoint's schedule into a run with
    other ``epochs`` would silently keep the old span (the rate would rise again after it), and
    reshaping it would match neither an uninterrupted old nor an uninterrupted new run.
    """
    saved = ckpt["scheduler"]
    changed = [f"{k} {saved[k]} -> {fresh[k]}" for k in sorted(fresh)
               if k not in _SCHEDULE_PROGRESS and k in saved and saved[k] != fresh[k]]
    if changed or ckpt.get("epochs", epochs) != epochs:
        started = f"--epochs {ckpt['epochs']}" if "epochs" in ckpt else "the --epochs it started with"
        raise ParameterError(where(path, f"this run's learning-rate schedule spans other settings "
                                         f"({', '.join(changed) or 'epochs'}); resuming with --epochs {epochs} "
                                         f"would keep it silently: resume with {started}, or choose a new --out folder"))


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_epoch: Callable[[int], Mapping[str, float]],
    validate: Callable[[int], Mapping[str, float]],
    run_dir: str | Path,
    *,
    dist: DistInfo = DistInfo(),
    epochs: int,
    monitor: str = "val_loss",
    mode: str = "min",
    patience: int = 5,
    min_delta: float = 0.0,
    scheduler: Any = None,
    resume: bool = True,
    extra: Mapping[str, Any] | None = None,
    generators: Mapping[str, RandomGenerator] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train for up to ``epochs`` epochs with early stopping, checkpoints and resume.

    Parameters
    ----------
    model, optimizer
        The (possibly DDP-wrapped) model and its optimiser; ``scheduler`` (optional) is stepped
        once per epoch after validation.
    train_epoch : callable
        ``train_epoch(epoch) -> {"loss": ..., ...}``: one pass over the training data (the
        callable sets the sampler's epoch and averages its numbers over ranks).
    validate : callable
        ``validate(epoch) -> {monitor: ..., ...}``; rank 0's numbers decide for all ranks.
    run_dir
        The run folder; rank 0 writes ``checkpoint.pt`` after every epoch, ``best.pt`` whenever
        ``monitor`` improves, and ``history.json``.
    monitor, mode, patience, min_delta
        Stop after ``patience`` epochs without an improvement of ``monitor`` by more than
        ``min_delta`` (``mode="max"`` for accuracies, ``"min"`` for losses). ``patience=0``
        disables early stopping. ``epochs`` (at least 1) and ``patience`` (at least 0) are
        integers, ``min_delta`` a finite number of at least 0 (a ParameterError naming it).
    resume
        Continue from ``RUN/checkpoint.pt`` when it exists (model, optimiser, scheduler, epoch,
        best score, history, the patience counter and every rank's random states), so that the
        resumed run ends as an uninterrupted one would.
    extra
        Tensors and plain data stored in every checkpoint (e.g. the label list).
    generators
        The task's own random generators (augmentation, flips), by name: their states are
        checkpointed and restored with torch's, numpy's and Python's global ones.
    log
        Called with one line per epoch, on rank 0 only.

    Returns
    -------
    dict
        ``best_epoch``, ``best_score``, ``monitor``, ``epochs_run``, ``stopped_early``, ``history`` (a
        row per epoch, its wall time in ``seconds``), ``resumed_seconds`` (the time of the epochs a
        resumed run took over from its checkpoint, which the caller adds to its own; 0 in a fresh run).
    """
    if mode not in ("min", "max"):
        raise ParameterError(f"mode must be 'min' or 'max', not {mode!r}")
    epochs, patience = as_int("epochs", epochs, 1), as_int("patience", patience, 0)
    min_delta = as_real("min_delta", min_delta, 0.0, math.inf)
    run_dir = Path(run_dir)
    say = main_log(log, dist)
    history: list[dict[str, Any]] = []
    best: float | None = None
    best_epoch = -1
    bad = 0
    start, resumed_seconds = 0, 0.0
    ckpt_path = run_dir / CHECKPOINT
    if resume and ckpt_path.exists():
        ckpt = load_model_state(run_dir, model, CHECKPOINT)
        missing = [k for k in _RESUME_FIELDS if k not in ckpt]
        if missing:
            raise FormatError(where(ckpt_path, f"lacks {', '.join(missing)}: not a checkpoint of this run; "
                                               "delete it (or use another run folder) to train afresh"))
        try:
            optimizer.load_state_dict(ckpt["optimizer"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FormatError(where(ckpt_path, f"holds another optimiser's state ({exc}); not a checkpoint "
                                               "of this run")) from exc
        if scheduler is not None and ckpt.get("scheduler") is not None:
            _check_same_schedule(ckpt_path, ckpt, scheduler.state_dict(), epochs)
            scheduler.load_state_dict(ckpt["scheduler"])
        start, best, best_epoch, bad = ckpt["epoch"] + 1, ckpt["best_score"], ckpt["best_epoch"], ckpt["bad_epochs"]
        history = list(ckpt["history"])
        resumed_seconds = float(sum(row.get("seconds", 0.0) for row in history))
        states = ckpt.get("rng") or []
        if len(states) != dist.world_size:
            say(f"note: {ckpt_path} holds the random states of {counted(len(states), 'process', 'processes')}, this run has "
                f"{dist.world_size}: it will not repeat an uninterrupted run exactly")
        if states:
            restore_rng_state(states[dist.rank % len(states)], generators)
        say(f"resumed from {ckpt_path} at epoch {start}")
    stopped = bool(history and history[-1].get("stop"))
    epoch = start
    while epoch < epochs and not stopped:
        started = time.perf_counter()
        model.train()
        stats = {k: float(v) for k, v in train_epoch(epoch).items()}
        model.eval()
        with torch.no_grad():
            val = {k: float(v) for k, v in validate(epoch).items()}
        val = broadcast_object(val, dist)
        _check_finite(unwrap(model), run_dir, epoch)
        if monitor not in val:
            raise ParameterError(f"validate() returned {sorted(val)}, without the monitored key {monitor!r}")
        score = val[monitor]
        better = _improved(score, best, mode, min_delta)
        if better:
            best, best_epoch, bad = score, epoch, 0
        else:
            bad += 1
        stopped = patience > 0 and bad >= patience
        if scheduler is not None:
            scheduler.step()
        row = {"epoch": epoch, **stats, **val, "best": better, "stop": stopped, "seconds": time.perf_counter() - started}
        history.append(row)
        states = gather_object(rng_state(generators), dist)
        if dist.is_main:
            state = unwrap(model).state_dict()
            if better:
                save_checkpoint(run_dir / BEST, {"model": state, "epoch": epoch, "score": score,
                                                 "monitor": monitor, "extra": dict(extra or {})})
            save_checkpoint(ckpt_path, {
                "model": state, "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "epoch": epoch, "epochs": epochs, "best_score": best, "best_epoch": best_epoch, "bad_epochs": bad,
                "history": history, "rng": states, "extra": dict(extra or {}),
            })
            write_json(run_dir / HISTORY, history)
        say(" ".join([f"epoch {epoch:3d}"] + [f"{k}={v:.4g}" for k, v in {**stats, **val}.items()])
            + (" *" if better else "") + (" (early stop)" if stopped else ""))
        barrier(dist)
        epoch += 1
    if best_epoch < 0:  # every score NaN: no best.pt, which the caller would then miss with a puzzling error
        raise ParameterError(f"{run_dir}: the validation {monitor} was not a number in any of its "
                             f"{counted(len(history), 'epoch')}: the training diverged; try a lower --learning-rate")
    return {"best_epoch": best_epoch, "best_score": best, "monitor": monitor, "epochs_run": len(history),
            "stopped_early": stopped, "history": history, "resumed_seconds": resumed_seconds}
