"""Training one part of a reconstruction run: its CVAE and its recurrent UNet, read top to bottom.

:func:`train_part` trains both networks, seeded once with the run's seed, on the part's training samples, on
random crops mirrored at random (:func:`_crop`, :func:`_flip`), the recurrent ones in runs of
consecutive samples (:func:`sequences`), through the shared engine
(:func:`evface.tasks.engine.fit`: checkpoints, resume, early stopping on the validation SSIM of
:func:`_val_ssim`, DDP under torchrun): :func:`_train_cvae` (in the part's folder) and
:func:`_train_e2vid` (in its ``e2vid/``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import BatchSampler

from evface.errors import counted
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.models.cvae import CVAE
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_losses import beta_schedule, cvae_loss, recon_loss
from evface.tasks import engine, parallel, random_states
from evface.tasks.configs import ReconstructConfig
from evface.tasks.image_metrics import image_metrics
from evface.tasks.recon_nets import condition, n_condition, predict_cvae, predict_e2vid, target_frames
from evface.tasks.recon_run import E2VID_DIR


def _flip(*tensors: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
    """Mirror left-right the samples selected by ``mask`` (same flip for every tensor)."""
    return [torch.where(mask.view(-1, 1, 1, 1), t.flip(-1), t) for t in tensors]


def _crop(*tensors: torch.Tensor, size: int, offset: tuple[int, int]) -> list[torch.Tensor]:
    """The same ``size x size`` window at ``offset`` of every tensor (all of it when ``size`` is 0 or too big)."""
    if size <= 0 or size >= tensors[0].shape[-1]:
        return list(tensors)
    y, x = offset
    return [t[..., y : y + size, x : x + size] for t in tensors]


def _random_offset(gen: torch.Generator, full: int, size: int) -> tuple[int, int]:
    hi = max(1, full - size + 1)
    y, x = torch.randint(0, hi, (2,), generator=gen).tolist()
    return int(y), int(x)


def sequences(s: ReconSamples, seq_len: int) -> np.ndarray:
    """Non-overlapping runs of ``L`` consecutive samples of one clip: int (n_seq, L).

    ``L = min(seq_len, shortest clip)``; the remainder of a clip that does not fill a run is
    left out of training (it is still evaluated).

    Parameters
    ----------
    s : ReconSamples
        The training samples, each clip's in time order (:meth:`ReconSamples.clip_slices`).
    seq_len : int
        The longest run wanted (``--seq-len``); at least 1 is used.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_seq, L)``: indices of ``s``, each row one clip's consecutive samples.

    Examples
    --------
    A clip ``a`` of three samples and a clip ``b`` of two: runs of two, ``a``'s third sample left out.

    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(5, np.int64) for name in ARRAYS},
    ...                  meta={"clip_id": np.array(["a", "a", "a", "b", "b"], object)})
    >>> sequences(s, 3).tolist(), sequences(s, 1).tolist()
    ([[0, 1], [3, 4]], [[0], [1], [2], [3], [4]])
    """
    slices = s.clip_slices()
    length = max(1, min(seq_len, min(len(sl) for sl in slices)))
    runs = [sl[i : i + length] for sl in slices for i in range(0, len(sl) - length + 1, length)]
    return np.stack(runs)


def train_part(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
               part: dict[str, Any], part_dir: Path, dist: parallel.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    """Train the part's CVAE (in ``part_dir``) and, with ``cfg.e2vid``, its recurrent UNet (in
    ``part_dir/e2vid``), one after the other.

    Every random generator is seeded with ``cfg.seed`` once, before the CVAE
    (:func:`~evface.tasks.random_states.seed_everything`); each network draws its batches, crops
    and flips from ``cfg.seed`` (and the rank) of its own. Each is fitted by
    :func:`evface.tasks.engine.fit`: checkpoints in its folder, a training stopped part-way
    resumes, at most ``cfg.epochs`` epochs, stopped early after ``cfg.patience`` epochs without a
    better validation SSIM (never for 0); its best epoch's weights are its model.

    Parameters
    ----------
    cfg : ReconstructConfig
        The run's settings.
    spec : ReconSpec
        How the samples were cut (the networks' inputs: event bins, a keyframe or not).
    train_s, val_s : ReconSamples
        The part's training and validation samples.
    part : dict
        The part: its ``name`` and its input ``scales`` (``{"voxel", "hist"}``, fitted on ``train_s``).
    part_dir : Path
        The part's folder.
    dist : parallel.DistInfo
        The process's rank and device (DDP under torchrun).
    say : callable
        Called with progress lines.

    Returns
    -------
    dict
        The part's training summary: ``{"name", "n_train", "n_val", "cvae"[, "e2vid"]}``, each network's
        ``{"best_epoch", "best_score", "monitor", "epochs_run", "stopped_early", "seconds"}`` (its
        seconds include those of the run it resumed).
    """
    say(f"{len(train_s)} training, {counted(len(val_s), 'validation sample')}")
    summary: dict[str, Any] = {"name": part["name"], "n_train": len(train_s), "n_val": len(val_s)}
    random_states.seed_everything(cfg.seed)
    t0 = time.perf_counter()
    summary["cvae"] = _train_cvae(cfg, spec, train_s, val_s, part["scales"], part_dir, dist, say)
    summary["cvae"]["seconds"] = time.perf_counter() - t0 + summary["cvae"].pop("resumed_seconds")
    if cfg.e2vid:
        t0 = time.perf_counter()
        summary["e2vid"] = _train_e2vid(cfg, spec, train_s, val_s, part["scales"], part_dir / E2VID_DIR, dist, say)
        summary["e2vid"]["seconds"] = time.perf_counter() - t0 + summary["e2vid"].pop("resumed_seconds")
    return summary


def _fit_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in ("best_epoch", "best_score", "monitor", "epochs_run", "stopped_early", "resumed_seconds")}


def _val_ssim(pred: np.ndarray, s: ReconSamples) -> dict[str, float]:
    """Validation SSIM and PSNR; NaN for a network that predicts NaN or infinity (a diverging
    training, which :func:`engine.fit` then reports; the image metrics refuse such images)."""
    if not np.isfinite(pred).all():
        return {"val_ssim": float("nan"), "val_psnr": float("nan")}
    m = image_metrics(pred, s.target)
    return {"val_ssim": float(m["ssim"].mean()), "val_psnr": float(np.minimum(m["psnr"], 100).mean())}


def _train_cvae(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
                scales: dict[str, float], run_dir: Path, dist: parallel.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    device, kf = dist.device, spec.keyframe
    model = CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels, cfg.cvae_recurrent).to(device)
    net = parallel.wrap_ddp(model, dist)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    # a recurrent CVAE trains like the UNet on runs of consecutive samples, a feed-forward one on single samples
    runs = sequences(train_s, cfg.seq_len) if cfg.cvae_recurrent else np.arange(len(train_s))[:, None]
    sampler = parallel.ShardedSampler(len(runs), dist, seed=cfg.seed)
    batches = BatchSampler(sampler, max(1, cfg.batch_size // runs.shape[1]), drop_last=False)
    rng = torch.Generator().manual_seed(cfg.seed + dist.rank)

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        beta = beta_schedule(epoch, cfg.kl_beta, cfg.warmup_epochs)
        tot = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        n = 0
        for batch in batches:
            seq = runs[np.asarray(batch, dtype=np.int64)]
            offset = _random_offset(rng, spec.size, cfg.train_crop)
            flip = torch.rand(len(seq), generator=rng) < 0.5
            state, steps = None, []
            for step in range(seq.shape[1]):
                c, x = _crop(condition(train_s, seq[:, step], scales, kf), target_frames(train_s, seq[:, step]),
                             size=cfg.train_crop, offset=offset)
                c, x = _flip(c, x, mask=flip)
                out = net(x.to(device), c.to(device), state)
                state = out.get("state")
                steps.append(cvae_loss(out, x.to(device), beta, cfg.free_bits, cfg.ssim_weight, cfg.mse_weight))
            losses = {k: sum((step[k] for step in steps[1:]), steps[0][k]) / len(steps) for k in tot}
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt.step()
            for k in tot:
                tot[k] += losses[k].item() * len(seq)
            n += len(seq)
        return {k: parallel.all_reduce_mean(v / max(n, 1), dist) for k, v in tot.items()} | {"beta": beta}

    def validate(epoch: int) -> dict[str, float]:
        pred = predict_cvae(model, val_s, scales, kf, device=device)
        return _val_ssim(pred, val_s)

    result = engine.fit(net, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs,
                        monitor="val_ssim", mode="max", patience=cfg.patience, generators={"flip": rng},
                        log=lambda m: say("cvae " + m))
    return _fit_summary(result)


def _train_e2vid(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
                 scales: dict[str, float], run_dir: Path, dist: parallel.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    device, kf = dist.device, spec.keyframe
    model = E2VIDRecurrent(n_condition(spec), kf, cfg.base).to(device)
    net = parallel.wrap_ddp(model, dist)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    runs = sequences(train_s, cfg.seq_len)
    sampler = parallel.ShardedSampler(len(runs), dist, seed=cfg.seed)
    batches = BatchSampler(sampler, max(1, cfg.batch_size // runs.shape[1]), drop_last=False)
    rng = torch.Generator().manual_seed(cfg.seed + dist.rank)

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        total, n = 0.0, 0
        for batch in batches:
            seq = runs[np.asarray(batch, dtype=np.int64)]
            flip = torch.rand(len(seq), generator=rng) < 0.5
            offset = _random_offset(rng, spec.size, cfg.train_crop)
            state, step_losses = None, []
            for step in range(seq.shape[1]):
                c, x = _crop(condition(train_s, seq[:, step], scales, kf), target_frames(train_s, seq[:, step]),
                             size=cfg.train_crop, offset=offset)
                c, x = _flip(c, x, mask=flip)
                y, state = net(c.to(device), state)
                step_losses.append(recon_loss(y, x.to(device), cfg.ssim_weight))
            loss = sum(step_losses[1:], step_losses[0]) / seq.shape[1]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(seq)
            n += len(seq)
        return {"loss": parallel.all_reduce_mean(total / max(n, 1), dist)}

    def validate(epoch: int) -> dict[str, float]:
        return _val_ssim(predict_e2vid(model, val_s, scales, kf, device=device), val_s)

    result = engine.fit(net, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs,
                        monitor="val_ssim", mode="max", patience=cfg.patience, generators={"flip": rng},
                        log=lambda m: say("e2vid " + m))
    return _fit_summary(result)
