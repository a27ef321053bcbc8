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
"history", "resumed_seconds"}``. ``best.pt`` holds ``{"model": state_dict, "epoch", "score", "extra"}`` and is what an
evaluation loads (:func:`~evface.tasks.checkpoints.load_model_state`). The state dicts are always those of the unwrapped
model, so a checkpoint written by a DDP run loads into a plain model and vice versa.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import nn

from evface.checks import as_int, as_real
from evface.errors import FormatError, ParameterError, counted, where
from evface.tasks.checkpoints import BEST, load_model_state, non_finite_tensors, save_checkpoint
from evface.tasks.parallel import DistInfo, barrier, broadcast_object, gather_object, main_log, unwrap
from evface.tasks.random_states import RandomGenerator, restore_rng_state, rng_state
from evface.tasks.run_folder import write_json

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"


# --------------------------------------------------------------------------- epoch loop


_RESUME_FIELDS = ("optimizer", "epoch", "best_score", "best_epoch", "bad_epochs", "history")


def _check_finite(model: nn.Module, run_dir: Path, epoch: int) -> None:
    """Stop a training whose weights are no longer finite numbers, before they are checkpointed
    (a validation score can stay finite: NaN logits all pick one class)."""
    broken = non_finite_tensors(model.state_dict())
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
