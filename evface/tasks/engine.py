"""The shared training engine of evface's tasks (classification and reconstruction).

One implementation of the machinery every task needs, so that a task module only writes its
model, its data and two callables (one training epoch, one validation pass): :func:`fit`, the
epoch loop with early stopping on a validation metric, checkpoints every epoch, resume from
``RUN/checkpoint.pt``, history in ``RUN/history.json`` and rank-0-only logging through a
caller-supplied ``log`` callable (the library never prints). What it runs on is other modules':

- the device and the ranks of a distributed run (torchrun), and the sampler that shards one draw
  across them: :mod:`evface.tasks.parallel`;
- the seeds and the random states: :mod:`evface.tasks.random_states`. Every checkpoint holds every
  random state training draws from (torch CPU and CUDA, numpy's global generator, Python's
  ``random`` and the task's own generators, per rank), so a run killed and resumed ends with the
  weights of an uninterrupted one;
- the checkpoint files (``RUN/checkpoint.pt`` = last epoch, ``RUN/best.pt`` = best validation
  score), written whole and read back safely: :mod:`evface.tasks.checkpoints`; the run folder's
  other files (config, clips, metrics, the checks of a received run) are
  :mod:`evface.tasks.run_folder`'s.

Typical use (a task module)::

    with parallel.distributed("auto") as dist:
        random_states.seed_everything(cfg.seed + dist.rank)
        model = parallel.wrap_ddp(MyNet().to(dist.device), dist)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        if dist.is_main:
            run_folder.save_config(run_dir, {"task": "classify", ...})
        sampler = parallel.ShardedSampler(len(train_set), dist, seed=cfg.seed, weights=w)

        def train_epoch(epoch):            # -> dict of floats, e.g. {"loss": 0.7}
            sampler.set_epoch(epoch)
            ...
            return {"loss": parallel.all_reduce_mean(total / n, dist)}

        def validate(epoch):               # -> dict with the monitored key
            return {"val_loss": ..., "val_acc": ...}

        result = engine.fit(model, opt, train_epoch, validate, run_dir, dist=dist, epochs=30,
                            monitor="val_acc", mode="max", patience=5, generators={"augment": aug_rng}, log=print)

``fit`` returns ``{"best_epoch", "best_score", "monitor", "epochs_run", "stopped_early",
"history", "resumed_seconds"}``. ``best.pt`` holds ``{"model": state_dict, "epoch", "score", "extra"}`` and, as
``checkpoint.pt`` does, the settings of the run it was trained in (``"trained_with"``, where the run folder has its
``config.json``), and is what an evaluation loads (:func:`~evface.tasks.checkpoints.load_model_state`: a checkpoint
of another run's settings refused). The state dicts are always those of the unwrapped
model, so a checkpoint written by a DDP run loads into a plain model and vice versa.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evface.checks import as_int, as_real
from evface.errors import FormatError, ParameterError, counted, train_again, where
from evface.tasks.checkpoints import BEST, TRAINED_WITH, load_model_state, non_finite_tensors, run_settings, save_checkpoint
from evface.tasks.parallel import DistInfo, barrier, broadcast_object, gather_object, main_log, unwrap
from evface.tasks.random_states import RandomGenerator, restore_rng_state, rng_state
from evface.tasks.resume_checks import loop_fields_misfit, optimizer_misfit
from evface.tasks.run_folder import write_json

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"


# --------------------------------------------------------------------------- the loop's state


@dataclass(frozen=True)
class _Rules:
    """How long a fit trains: at most ``epochs`` epochs, stopped after ``patience`` epochs in which
    ``monitor`` did not improve by more than ``min_delta`` (``mode="max"``: upwards)."""

    epochs: int
    monitor: str
    mode: str
    patience: int
    min_delta: float

    def improved(self, score: float, best: float | None) -> bool:
        """Whether ``score`` beats ``best`` (any finite score beats no best, or a best that is not finite)."""
        if best is None or not math.isfinite(best):
            return math.isfinite(score)
        return score > best + self.min_delta if self.mode == "max" else score < best - self.min_delta

    def stops(self, bad_epochs: int) -> bool:
        """Whether ``bad_epochs`` epochs without an improvement end the training (never for ``patience=0``)."""
        return self.patience > 0 and bad_epochs >= self.patience


def _rules(epochs: Any, monitor: str, mode: str, patience: Any, min_delta: Any) -> _Rules:
    """:func:`fit`'s stopping arguments, checked: a ParameterError names the first that is no such value."""
    if mode not in ("min", "max"):
        raise ParameterError(f"mode must be 'min' or 'max', not {mode!r}")
    return _Rules(epochs=as_int("epochs", epochs, 1), monitor=monitor, mode=mode,
                  patience=as_int("patience", patience, 0), min_delta=as_real("min_delta", min_delta, 0.0, math.inf))


@dataclass(frozen=True)
class _Best:
    """The best validation score so far (None before any), its epoch (-1 before any) and the epochs
    since it (the patience counter)."""

    score: float | None = None
    epoch: int = -1
    bad_epochs: int = 0

    def after(self, epoch: int, score: float, better: bool) -> _Best:
        """The best once ``epoch`` scored ``score``: that epoch's if ``better``, else one more bad epoch."""
        return _Best(score, epoch, 0) if better else _Best(self.score, self.epoch, self.bad_epochs + 1)


@dataclass(frozen=True)
class _Start:
    """Where a fit starts: its first epoch, the best so far, the history of the epochs before it and
    their wall time (all empty in a fresh run)."""

    epoch: int = 0
    best: _Best = _Best()
    history: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class _Run:
    """What a fit trains and where, fixed from its start to its end: the run folder, the (possibly
    DDP-wrapped) model, its optimiser and schedule, the ranks, what every checkpoint carries besides
    (``extra``; ``trained_with``, the settings of the run's ``config.json`` on rank 0:
    :func:`~evface.tasks.checkpoints.run_settings`) and the task's own random generators."""

    run_dir: Path
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    dist: DistInfo
    extra: Mapping[str, Any] | None
    generators: Mapping[str, RandomGenerator] | None
    trained_with: Mapping[str, Any] | None = None


# --------------------------------------------------------------------------- epoch loop


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
    # set-up: the checked rules, the run, and where it starts (a checkpoint's epoch when resumed)
    rules = _rules(epochs, monitor, mode, patience, min_delta)
    found = run_settings(Path(run_dir)) if dist.is_main else None  # the run's config.json, written before its fit
    run = _Run(Path(run_dir), model, optimizer, scheduler, dist, extra, generators, found[1] if found else None)
    say = main_log(log, dist)
    start = _Start()
    if resume and (run.run_dir / CHECKPOINT).exists():
        start = _resume(run, rules.epochs, say)
    best, history = start.best, list(start.history)
    epoch = start.epoch
    while epoch < rules.epochs and not _stopped(history):
        # train, validate
        started = time.perf_counter()
        stats = _train_one_epoch(model, train_epoch, epoch)
        val = _validate_one_epoch(model, validate, epoch, dist)
        _check_finite(unwrap(model), run.optimizer, run.run_dir, epoch)
        # keep the best, stop early, step the schedule
        score = _monitored(val, rules.monitor)
        better = rules.improved(score, best.score)
        best = best.after(epoch, score, better)
        stopped = rules.stops(best.bad_epochs)
        if scheduler is not None:
            scheduler.step()
        # record and checkpoint the epoch, then wait for every rank
        history.append({"epoch": epoch, **stats, **val, "best": better, "stop": stopped,
                        "seconds": time.perf_counter() - started})
        _save_epoch(run, rules, epoch, best, better, history)
        say(_epoch_line(epoch, {**stats, **val}, better, stopped))
        barrier(dist)
        epoch += 1
    return _result(run.run_dir, rules.monitor, best, history, start.seconds)


# --------------------------------------------------------------------------- resume


_RESUME_FIELDS = ("optimizer", "epoch", "best_score", "best_epoch", "bad_epochs", "history")


def _resume(run: _Run, epochs: int, say: Callable[[str], None]) -> _Start:
    """Load ``RUN/checkpoint.pt`` into the run (model, optimiser, schedule, every random state) and
    return where its training goes on."""
    path = run.run_dir / CHECKPOINT
    ckpt = _resume_checkpoint(run.run_dir, run.model)
    _restore_optimizer(path, ckpt, run.optimizer)
    if run.scheduler is not None and ckpt.get("scheduler") is not None:
        _check_same_schedule(path, ckpt, run.scheduler.state_dict(), epochs)
        run.scheduler.load_state_dict(ckpt["scheduler"])
    first, best = ckpt["epoch"] + 1, _Best(ckpt["best_score"], ckpt["best_epoch"], ckpt["bad_epochs"])
    history = tuple(ckpt["history"])
    start = _Start(first, best, history, seconds=float(sum(row.get("seconds", 0.0) for row in history)))
    _restore_random_states(path, ckpt.get("rng") or [], run.dist, run.generators, say)
    say(f"resumed from {path} at epoch {start.epoch}")
    return start


def _resume_checkpoint(run_dir: Path, model: nn.Module) -> dict[str, Any]:
    """``RUN/checkpoint.pt``, its weights loaded into ``model``; a FormatError when it lacks the loop's fields."""
    ckpt = load_model_state(run_dir, model, CHECKPOINT)
    missing = [k for k in _RESUME_FIELDS if k not in ckpt]
    if missing:
        raise FormatError(where(run_dir / CHECKPOINT, f"lacks {', '.join(missing)}: not a checkpoint of this run; "
                                                      "delete it (or use another run folder) to train afresh"))
    wrong = loop_fields_misfit(ckpt)
    if wrong:
        raise FormatError(where(run_dir / CHECKPOINT, f"holds {', '.join(wrong)} of another kind than evface writes: not "
                                                      "a checkpoint of this run; delete it (or use another run folder) to "
                                                      "train afresh"))
    return ckpt


def _restore_optimizer(path: Path, ckpt: Mapping[str, Any], optimizer: torch.optim.Optimizer) -> None:
    """Load the checkpoint's optimiser state; a FormatError naming ``path`` when it is another
    optimiser's (:func:`~evface.tasks.resume_checks.optimizer_misfit`: what ``load_state_dict``
    takes without a word and the first step fails on)."""
    fresh = optimizer.state_dict()["param_groups"]
    try:
        optimizer.load_state_dict(ckpt["optimizer"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FormatError(where(path, f"holds another optimiser's state ({exc}); not a checkpoint "
                                      "of this run")) from exc
    misfit = optimizer_misfit(optimizer, fresh)
    if misfit:
        raise FormatError(where(path, f"holds another optimiser's state ({misfit}); not a checkpoint of this run"))


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


def _restore_random_states(path: Path, states: list[Any], dist: DistInfo,
                           generators: Mapping[str, RandomGenerator] | None, say: Callable[[str], None]) -> None:
    """Restore this rank's random states from a checkpoint's ``states`` (one per rank that wrote
    it), with a note when that was another number of ranks."""
    if len(states) != dist.world_size:
        say(f"note: {path} holds the random states of {counted(len(states), 'process', 'processes')}, this run has "
            f"{dist.world_size}: it will not repeat an uninterrupted run exactly")
    if states:
        restore_rng_state(states[dist.rank % len(states)], generators, checkpoint=path)


# --------------------------------------------------------------------------- one epoch


def _stopped(history: list[dict[str, Any]]) -> bool:
    """Whether the last epoch (of this fit or before its resume) stopped the training early."""
    return bool(history and history[-1].get("stop"))


def _train_one_epoch(model: nn.Module, train_epoch: Callable[[int], Mapping[str, float]],
                     epoch: int) -> dict[str, float]:
    """The numbers of ``train_epoch(epoch)``, run with the model in training mode."""
    model.train()
    return {k: float(v) for k, v in train_epoch(epoch).items()}


def _validate_one_epoch(model: nn.Module, validate: Callable[[int], Mapping[str, float]], epoch: int,
                        dist: DistInfo) -> dict[str, float]:
    """The numbers of ``validate(epoch)``, run in evaluation mode without gradients: rank 0's on every rank."""
    model.eval()
    with torch.no_grad():
        val = {k: float(v) for k, v in validate(epoch).items()}
    return broadcast_object(val, dist)


def _check_finite(model: nn.Module, optimizer: torch.optim.Optimizer, run_dir: Path, epoch: int) -> None:
    """Stop a training whose weights are no longer finite numbers, before they are checkpointed
    (a validation score can stay finite: NaN logits all pick one class); ``--weight-decay`` is
    advised only where the optimiser decays (was: also to ``train reconstruct``, which has none)."""
    broken = non_finite_tensors(model.state_dict())
    if broken:
        decays = any(group.get("weight_decay", 0) for group in optimizer.param_groups)
        lower = "a lower --learning-rate or --weight-decay" if decays else "a lower --learning-rate"
        raise ParameterError(f"{run_dir}: the training diverged in epoch {epoch} ({broken[0]} is no longer finite "
                             f"numbers); {train_again('with ' + lower)}")


def _monitored(val: Mapping[str, float], monitor: str) -> float:
    """The validation score that decides (``val[monitor]``); a ParameterError when ``validate`` did not return it."""
    if monitor not in val:
        raise ParameterError(f"validate() returned {sorted(val)}, without the monitored key {monitor!r}")
    return val[monitor]


def _save_epoch(run: _Run, rules: _Rules, epoch: int, best: _Best, better: bool, history: list[dict[str, Any]]) -> None:
    """Checkpoint the epoch on rank 0: ``best.pt`` when it is ``better``, ``checkpoint.pt`` (with
    every rank's random states, gathered from all ranks) and ``history.json``."""
    states = gather_object(rng_state(run.generators), run.dist)
    if not run.dist.is_main:
        return
    state = unwrap(run.model).state_dict()
    record = {TRAINED_WITH: dict(run.trained_with)} if run.trained_with is not None else {}  # its run, checked on loading
    if better:
        save_checkpoint(run.run_dir / BEST, {"model": state, "epoch": epoch, "score": best.score,
                                             "monitor": rules.monitor, "extra": dict(run.extra or {}), **record})
    save_checkpoint(run.run_dir / CHECKPOINT, {**record,
        "model": state, "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "epoch": epoch, "epochs": rules.epochs, "best_score": best.score, "best_epoch": best.epoch,
        "bad_epochs": best.bad_epochs, "history": history, "rng": states, "extra": dict(run.extra or {}),
    })
    write_json(run.run_dir / HISTORY, history)


def _epoch_line(epoch: int, numbers: Mapping[str, float], better: bool, stopped: bool) -> str:
    """The log line of an epoch: its training and validation numbers, `` *`` when it is the best so far."""
    return (" ".join([f"epoch {epoch:3d}"] + [f"{k}={v:.4g}" for k, v in numbers.items()])
            + (" *" if better else "") + (" (early stop)" if stopped else ""))


def _result(run_dir: Path, monitor: str, best: _Best, history: list[dict[str, Any]],
            resumed_seconds: float) -> dict[str, Any]:
    """What :func:`fit` returns; a ParameterError when no epoch scored a number (no ``best.pt``, which
    the caller would then miss with a puzzling error)."""
    if best.epoch < 0:
        raise ParameterError(f"{run_dir}: the validation {monitor} was not a number in any of its "
                             f"{counted(len(history), 'epoch')}: the training diverged; try a lower --learning-rate")
    return {"best_epoch": best.epoch, "best_score": best.score, "monitor": monitor, "epochs_run": len(history),
            "stopped_early": _stopped(history), "history": history, "resumed_seconds": resumed_seconds}
