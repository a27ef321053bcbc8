"""Training one classification model: its loss, its distillation term and its training loop.

:func:`fit_model` trains one model of the protocol (one part and seed) with class-balanced sampling
and augmentation through the shared engine (:func:`evface.tasks.engine.fit`: checkpoints, resume,
early stopping on the validation UF1, DDP under torchrun), on the loss of :func:`loss_of` (TET or
the mean output's cross-entropy), taught by a teacher's logits where it has one (:func:`distill_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from evface.errors import ParameterError
from evface.inputs.classify_augment import Augment
from evface.inputs.classify_dataset import ClassifyDataset
from evface.models.snn import build, logits as step_mean
from evface.tasks import class_metrics as cm
from evface.tasks import checkpoints, engine, parallel, random_states
from evface.tasks.class_predict import predict, recalibrate_batchnorm
from evface.tasks.class_run import net_config
from evface.tasks.configs import ClassifyConfig


def loss_of(out: torch.Tensor, y: torch.Tensor, kind: str = "tet") -> torch.Tensor:
    """The training loss of network outputs ``out`` (B, steps, n_classes) for targets ``y`` (B,).

    ``"tet"`` (temporal efficient training, Deng et al. 2022): the cross-entropy of every step's
    output, averaged over the steps, so that each step is pushed towards the right class;
    ``"mean"``: the cross-entropy of the mean output. With one step (the ANN) both are the
    cross-entropy.

    Parameters
    ----------
    out : torch.Tensor
        (B, steps, n_classes) network outputs.
    y : torch.Tensor
        (B,) class indices.
    kind : str, optional
        ``"tet"`` or ``"mean"`` (a :class:`ParameterError` otherwise).

    Returns
    -------
    torch.Tensor
        The scalar loss.
    """
    if kind == "tet":
        return nn.functional.cross_entropy(out.flatten(0, 1), y.repeat_interleave(out.shape[1]))
    if kind == "mean":
        return nn.functional.cross_entropy(step_mean(out), y)
    raise ParameterError(f"loss must be 'tet' or 'mean', not {kind!r}")


def distill_of(out: torch.Tensor, teacher_logits: torch.Tensor, kind: str = "tet", temperature: float = 2.0) -> torch.Tensor:
    """The distillation term of outputs ``out`` (B, steps, n_classes) taught by ``teacher_logits`` (B, n_classes).

    Knowledge distillation (Hinton, Vinyals & Dean 2015): the KL divergence from the teacher's
    class probabilities softened by ``temperature`` to the network's, times ``temperature**2``
    (so its gradient keeps its size whatever the temperature); at every step and averaged over
    the steps for ``"tet"``, of the mean output for ``"mean"``, as :func:`loss_of`.

    Parameters
    ----------
    out : torch.Tensor
        (B, steps, n_classes) network outputs.
    teacher_logits : torch.Tensor
        (B, n_classes) logits of the teacher.
    kind : str, optional
        ``"tet"`` or ``"mean"``.
    temperature : float, optional
        The softening temperature.

    Returns
    -------
    torch.Tensor
        The scalar distillation term.

    Examples
    --------
    >>> t = torch.tensor([[2.0, 0.0, -1.0]])
    >>> abs(float(distill_of(t[:, None].repeat(1, 4, 1), t))) < 1e-6  # every step agrees with the teacher
    True
    >>> float(distill_of(torch.zeros(1, 4, 3), t)) > 0
    True
    """
    student = out if kind == "tet" else step_mean(out)[:, None]
    log_p = nn.functional.log_softmax(student / temperature, dim=-1).flatten(0, 1)
    q = nn.functional.softmax(teacher_logits / temperature, dim=-1).repeat_interleave(student.shape[1], dim=0)
    return nn.functional.kl_div(log_p, q, reduction="batchmean") * temperature**2


def fit_model(
    cfg: ClassifyConfig, run_dir: Path, x: np.ndarray, y: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray,
    labels: list[str], dist: parallel.DistInfo, log: Callable[[str], None] | None, teacher: nn.Module | None = None,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train one model on ``train_idx`` with early stopping on ``val_idx`` (taught by ``teacher``
    if given, :func:`distill_of`); return the best model.

    Parameters
    ----------
    cfg : ClassifyConfig
        The training's settings.
    run_dir : Path
        The folder it trains in (checkpoints, history; resumed from there).
    x : ndarray
        (N, ...) cached inputs of every clip.
    y : ndarray
        (N,) class indices.
    train_idx, val_idx : ndarray
        The clips trained on and validated on.
    labels : list of str
        The classes.
    dist : parallel.DistInfo
        This process's rank and device.
    log : callable or None
        Told each epoch's line.
    teacher : nn.Module, optional
        A trained model to distil from.

    Returns
    -------
    model : nn.Module
        The best model (its best checkpoint loaded).
    result : dict
        What :func:`~evface.tasks.engine.fit` returned.
    """
    random_states.seed_everything(cfg.seed)
    net = net_config(cfg, len(labels))
    model = build(cfg.model, net).to(dist.device)
    ddp = parallel.wrap_ddp(model, dist)
    opt = torch.optim.AdamW(ddp.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, cfg.epochs))
    y_train = y[train_idx]
    weights = (1.0 / np.bincount(y_train, minlength=len(labels))[y_train]) if cfg.balanced else None
    sampler = parallel.ShardedSampler(len(train_idx), dist, seed=cfg.seed, weights=weights)
    aug = (Augment(cfg.input, max_shift=cfg.max_shift, drop_time=cfg.drop_time, drop_area=cfg.drop_area)
           if cfg.augment else None)
    train_set = ClassifyDataset(x[train_idx], y_train, cfg.input, aug, seed=cfg.seed * 1000 + dist.rank)
    loader = torch.utils.data.DataLoader(train_set, batch_size=cfg.batch_size, sampler=sampler)
    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        total, correct, n = 0.0, 0, 0
        for xb, yb in loader:
            xb, yb = xb.to(dist.device), yb.to(dist.device)
            opt.zero_grad(set_to_none=True)
            out = ddp(xb)
            loss = loss_of(out, yb, cfg.loss)
            if teacher is not None:
                with torch.no_grad():
                    soft = step_mean(teacher(xb))
                loss = ((1 - cfg.distill_weight) * loss
                        + cfg.distill_weight * distill_of(out, soft, cfg.loss, cfg.distill_temperature))
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(yb)
            correct += int((step_mean(out).argmax(1) == yb).sum().item())
            n += len(yb)
        return {"loss": parallel.all_reduce_mean(total / max(n, 1), dist),
                "acc": parallel.all_reduce_mean(correct / max(n, 1), dist)}

    def validate(epoch: int) -> dict[str, float]:
        recalibrate_batchnorm(model, x[train_idx], cfg.input, dist.device, cfg.batch_size)
        logits = predict(model, x[val_idx], cfg.input, dist.device)["logits"]
        yv = y[val_idx]
        loss = float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(yv)).item())
        conf = cm.confusion_matrix(yv, logits.argmax(1), len(labels))
        uf1 = float(cm.uf1(conf))  # of one matrix: a float already
        # UF1 on a few validation clips is coarse: ties go to the lower validation loss
        return {"val_loss": loss, "val_acc": float(cm.top1(conf)), "val_uf1": uf1, "val_score": uf1 - 1e-3 * min(loss, 100.0)}

    result = engine.fit(ddp, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs, monitor="val_score",
                        mode="max", patience=cfg.patience, scheduler=sched, extra={"labels": labels},
                        generators={"augment": train_set.rng}, log=log)
    parallel.barrier(dist)
    checkpoints.load_model_state(run_dir, model)
    return model, result
