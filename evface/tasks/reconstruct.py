"""Task: frame reconstruction from events (CVAE) with its baselines, trained and scored on one protocol.

:func:`train` (``data, run_dir, config, log``; the settings are a
:class:`~evface.tasks.configs.ReconstructConfig`) cuts the samples of the configured protocol
(:mod:`evface.inputs.reconstruct`: extrapolation, interpolation or events-only, on one target
grid shared by hd and lr) from the training and validation subjects of a
:func:`~evface.inputs.splits.subject_split`, fits the direct-integration baseline's contrasts and
leak by grid search on training samples, then trains the CVAE (:class:`~evface.models.cvae.CVAE`,
in ``RUN/``) and the E2VID-style recurrent UNet (:class:`~evface.models.e2vid.E2VIDRecurrent`, in
``RUN/e2vid/``) on random crops with the shared engine (:func:`evface.tasks.engine.fit`:
checkpoints, resume, early stopping on validation SSIM, DDP under torchrun). Both networks see
the same condition: the voxel grid of the events since the previous sample, the leaked event
counts since the keyframe, and the keyframe where the protocol allows one. :func:`evaluate_run`
scores every method on the held-out test subjects (:mod:`evface.tasks.recon_eval`) and writes
``metrics.json``, ``apex.png`` and ``horizon.png``; :func:`train_and_evaluate` does both (what
``evface train reconstruct`` and ``evface run`` call).

Run folder::

    RUN/config.json        task "reconstruct", data, sample spec, model and training settings,
                           input scales, fitted integration parameters, split
    RUN/best.pt, checkpoint.pt, history.json          the CVAE
    RUN/e2vid/best.pt, checkpoint.pt, history.json    the recurrent UNet baseline
    RUN/train.json         training time and epochs of both models
    RUN/metrics.json       see :func:`evface.tasks.recon_eval.score`
    RUN/apex.png           every method at the apex, the CVAE's K-sample mean and spread, the truth
    RUN/horizon.png        SSIM and PSNR against the horizon, one curve per method
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import BatchSampler

from evface.errors import ParameterError
from evface.inputs.reconstruct import ReconSamples, ReconSpec, build_samples
from evface.inputs.splits import subject_split
from evface.io.dataset import DatasetFolder
from evface.models.cvae import CVAE, beta_schedule, cvae_loss, recon_loss
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_baselines import (
    copy_keyframe, fit_integration, integrate, rgb_blend, rgb_flow_extrapolate, rgb_flow_interpolate, rgb_hold,
)
from evface.tasks import engine, recon_eval
from evface.tasks.configs import ReconstructConfig
from evface.tasks.image_metrics import image_metrics

TASK = "reconstruct"
E2VID_DIR = "e2vid"
FIT_SAMPLES = 256
"""At most this many training samples go into the integration baseline's grid search."""

RESUMABLE_CHANGES = ("device", "epochs", "patience", "threads", "world_size")
"""Settings a run folder may be resumed with after a change."""


# --------------------------------------------------------------------------- inputs


def default_threads() -> int:
    """torch CPU threads when ``threads=0``: half the cores (at least 1).

    On a 2-core machine shared with other jobs, two torch threads ran a training step 16x slower
    than one (OpenMP threads waiting for each other on busy cores); half the cores leaves room.
    """
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 2) // 2))


def condition(s: ReconSamples, idx: np.ndarray, scales: dict[str, float], keyframe: bool) -> torch.Tensor:
    """The network input of samples ``idx``: scaled voxel grid, scaled event history, then ``keyframe - 0.5`` if used."""
    hist = s.hist[idx].astype(np.float32).reshape(len(idx), -1, *s.hist.shape[-2:])
    parts = [s.voxel[idx].astype(np.float32) * np.float32(scales["voxel"]), hist * np.float32(scales["hist"])]
    if keyframe:
        parts.append(s.key[idx][:, None] - np.float32(0.5))
    return torch.from_numpy(np.ascontiguousarray(np.concatenate(parts, axis=1)))


def n_condition(spec: ReconSpec) -> int:
    """Channels of :func:`condition` for samples cut with ``spec``."""
    return spec.n_bins + 2 * len(spec.alphas_rad_s) + int(spec.keyframe)


def input_scales(s: ReconSamples) -> dict[str, float]:
    """1 / RMS of the voxel grids and of the event history over ``s`` (the training samples)."""
    def inv_rms(a: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
        return 1.0 / rms if rms > 0 else 1.0
    return {"voxel": inv_rms(s.voxel), "hist": inv_rms(s.hist)}


def _target(s: ReconSamples, idx: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(s.target[idx][:, None]))


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
    """
    slices = s.clip_slices()
    length = max(1, min(seq_len, min(len(sl) for sl in slices)))
    runs = [sl[i : i + length] for sl in slices for i in range(0, len(sl) - length + 1, length)]
    return np.stack(runs)


# --------------------------------------------------------------------------- prediction


@torch.no_grad()
def predict_cvae(model: CVAE, s: ReconSamples, scales: dict[str, float], keyframe: bool, k: int = 0,
                 batch_size: int = 64, seed: int = 0, device: torch.device | str = "cpu") -> np.ndarray:
    """CVAE reconstructions (N, S, S): prior mean (``k == 0``) or the mean of ``k`` prior samples."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, len(s), batch_size):
        idx = np.arange(start, min(len(s), start + batch_size))
        out.append(model.reconstruct(condition(s, idx, scales, keyframe).to(device), k=k, generator=gen)[:, 0].cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def predict_e2vid(model: E2VIDRecurrent, s: ReconSamples, scales: dict[str, float], keyframe: bool,
                  device: torch.device | str = "cpu") -> np.ndarray:
    """Recurrent UNet reconstructions (N, S, S): each clip from a fresh state, in time order.

    Clips of equal length run together as one batch.
    """
    model.eval()
    pred = np.zeros(s.target.shape, dtype=np.float32)
    by_len: dict[int, list[np.ndarray]] = {}
    for sl in s.clip_slices():
        by_len.setdefault(len(sl), []).append(sl)
    for group in by_len.values():
        idx = np.stack(group)  # (n_clips, L)
        state = None
        for step in range(idx.shape[1]):
            y, state = model(condition(s, idx[:, step], scales, keyframe).to(device), state)
            pred[idx[:, step]] = y[:, 0].cpu().numpy()
    return pred


@torch.no_grad()
def cvae_samples(model: CVAE, s: ReconSamples, idx: np.ndarray, scales: dict[str, float], keyframe: bool, k: int,
                 seed: int = 0, device: torch.device | str = "cpu") -> np.ndarray:
    """``k`` CVAE decodings of prior samples for samples ``idx``: (k, len(idx), S, S)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = [model.samples(condition(s, idx[i : i + 16], scales, keyframe).to(device), k, gen)[:, :, 0].cpu()
           for i in range(0, len(idx), 16)]
    return torch.cat(out, dim=1).numpy()


@torch.no_grad()
def kl_per_channel(model: CVAE, s: ReconSamples, scales: dict[str, float], keyframe: bool,
                   device: torch.device | str = "cpu") -> list[float]:
    """Mean KL(q(z|x,c) || p(z|c)) of each latent channel over ``s`` (nats, summed over positions).

    A channel near 0 carries nothing the condition does not already give: a collapsed channel.
    """
    model.eval()
    total = torch.zeros(model.z_channels, dtype=torch.float64)
    for start in range(0, len(s), 32):
        idx = np.arange(start, min(len(s), start + 32))
        out = model(_target(s, idx).to(device), condition(s, idx, scales, keyframe).to(device))
        total += out["kl"].sum(0).double().cpu()
    return (total / max(len(s), 1)).tolist()


# --------------------------------------------------------------------------- training


def _samples(data: Path, rows: list[dict[str, Any]], spec: ReconSpec, part: str) -> ReconSamples:
    if not rows:
        raise ParameterError(f"the {part} split has no clips; use a dataset with more subjects")
    return build_samples(data, rows, spec)


def train(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the CVAE and the recurrent baseline; fit the integration baseline.

    Parameters
    ----------
    data : dataset folder
    run_dir : run folder (created; an existing one trained with the same settings resumes)
    config : the settings
    log : called with progress lines on rank 0

    Returns
    -------
    The content of ``RUN/train.json``.
    """
    _spec(config)
    dist = engine.init_distributed(config.device)
    try:
        return _train(config, Path(data), Path(run_dir), dist, log)
    finally:
        engine.teardown_distributed(dist)


def train_and_evaluate(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
                       log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """:func:`train`, then :func:`evaluate_run` on the same dataset (rank 0 only; other ranks return ``{}``)."""
    _spec(config)
    dist = engine.init_distributed(config.device)
    try:
        _train(config, Path(data), Path(run_dir), dist, log)
    finally:
        engine.teardown_distributed(dist)
    return evaluate_run(run_dir, data) if dist.is_main else {}


def _spec(cfg: ReconstructConfig) -> ReconSpec:
    """The samples' specification (checks the sensor, protocol and sizes before any work)."""
    return ReconSpec(sensor=cfg.sensor, protocol=cfg.protocol, size=cfg.size, n_bins=cfg.n_bins, step_us=cfg.step_us,
                     stride=cfg.stride)


def _train(cfg: ReconstructConfig, data: Path, run_dir: Path, dist: engine.DistInfo,
           log: Callable[[str], None] | None) -> dict[str, Any]:
    say = log if (log is not None and dist.is_main) else (lambda _m: None)
    torch.set_num_threads(cfg.threads if cfg.threads > 0 else default_threads())
    engine.seed_everything(cfg.seed)
    spec = _spec(cfg)
    split = subject_split(list(DatasetFolder.open(data).rows), cfg.val_fraction, cfg.test_fraction, cfg.seed)
    say(f"building samples ({cfg.sensor}, {cfg.protocol}) ...")
    train_s = _samples(data, split["train"], spec, "train")
    val_s = _samples(data, split["val"], spec, "validation")
    say(f"{len(train_s)} training, {len(val_s)} validation samples")
    scales = input_scales(train_s)
    fit_idx = np.sort(np.random.default_rng(cfg.seed).permutation(len(train_s))[:FIT_SAMPLES])
    integ = fit_integration(train_s.key[fit_idx], train_s.hist[fit_idx].astype(np.float32),
                            train_s.target[fit_idx], spec.alphas_rad_s, gamma=spec.gamma)
    config = {
        "task": TASK, "data": str(data.resolve()), **cfg.to_dict(), "spec": spec.to_dict(), "scales": scales,
        "integration": integ, "world_size": dist.world_size,
        "split": {part: sorted({r["subject"] for r in rows}) for part, rows in split.items()},
    }
    engine.check_resume(run_dir, config, free=RESUMABLE_CHANGES)
    if dist.is_main:
        engine.save_config(run_dir, config)
    summary: dict[str, Any] = {"n_train": len(train_s), "n_val": len(val_s)}
    t0 = time.perf_counter()
    summary["cvae"] = _train_cvae(cfg, spec, train_s, val_s, scales, run_dir, dist, say)
    summary["cvae"]["seconds"] = time.perf_counter() - t0
    if cfg.e2vid:
        t0 = time.perf_counter()
        summary["e2vid"] = _train_e2vid(cfg, spec, train_s, val_s, scales, run_dir / E2VID_DIR, dist, say)
        summary["e2vid"]["seconds"] = time.perf_counter() - t0
    if dist.is_main:
        engine.write_json(run_dir / "train.json", summary)
    return summary


def _fit_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in ("best_epoch", "best_score", "monitor", "epochs_run", "stopped_early")}


def _val_ssim(pred: np.ndarray, s: ReconSamples) -> dict[str, float]:
    m = image_metrics(pred, s.target)
    return {"val_ssim": float(m["ssim"].mean()), "val_psnr": float(np.minimum(m["psnr"], 100).mean())}


def _train_cvae(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
                scales: dict[str, float], run_dir: Path, dist: engine.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    device, kf = dist.device, spec.keyframe
    model = CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels).to(device)
    net = engine.wrap_ddp(model, dist)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    sampler = engine.ShardedSampler(len(train_s), dist, seed=cfg.seed)
    batches = BatchSampler(sampler, cfg.batch_size, drop_last=False)
    rng = torch.Generator().manual_seed(cfg.seed + dist.rank)

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        beta = beta_schedule(epoch, cfg.kl_beta, cfg.warmup_epochs)
        tot = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        n = 0
        for batch in batches:
            idx = np.asarray(batch, dtype=np.int64)
            c, x = condition(train_s, idx, scales, kf), _target(train_s, idx)
            c, x = _crop(c, x, size=cfg.crop, offset=_random_offset(rng, spec.size, cfg.crop))
            c, x = _flip(c, x, mask=torch.rand(len(idx), generator=rng) < 0.5)
            out = net(x.to(device), c.to(device))
            losses = cvae_loss(out, x.to(device), beta, cfg.free_bits, cfg.ssim_weight, cfg.mse_weight)
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt.step()
            for k in tot:
                tot[k] += losses[k].item() * len(idx)
            n += len(idx)
        return {k: engine.all_reduce_mean(v / max(n, 1), dist) for k, v in tot.items()} | {"beta": beta}

    def validate(epoch: int) -> dict[str, float]:
        pred = predict_cvae(model, val_s, scales, kf, device=device)
        return _val_ssim(pred, val_s)

    result = engine.fit(net, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs,
                        monitor="val_ssim", mode="max", patience=cfg.patience, generators={"flip": rng},
                        log=lambda m: say("cvae " + m))
    return _fit_summary(result)


def _train_e2vid(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
                 scales: dict[str, float], run_dir: Path, dist: engine.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    device, kf = dist.device, spec.keyframe
    model = E2VIDRecurrent(n_condition(spec), kf, cfg.base).to(device)
    net = engine.wrap_ddp(model, dist)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    runs = sequences(train_s, cfg.seq_len)
    sampler = engine.ShardedSampler(len(runs), dist, seed=cfg.seed)
    batches = BatchSampler(sampler, max(1, cfg.batch_size // runs.shape[1]), drop_last=False)
    rng = torch.Generator().manual_seed(cfg.seed + dist.rank)

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        total, n = 0.0, 0
        for batch in batches:
            seq = runs[np.asarray(batch, dtype=np.int64)]
            flip = torch.rand(len(seq), generator=rng) < 0.5
            offset = _random_offset(rng, spec.size, cfg.crop)
            state, loss = None, 0.0
            for step in range(seq.shape[1]):
                c, x = _crop(condition(train_s, seq[:, step], scales, kf), _target(train_s, seq[:, step]),
                             size=cfg.crop, offset=offset)
                c, x = _flip(c, x, mask=flip)
                y, state = net(c.to(device), state)
                loss = loss + recon_loss(y, x.to(device), cfg.ssim_weight)
            loss = loss / seq.shape[1]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(seq)
            n += len(seq)
        return {"loss": engine.all_reduce_mean(total / max(n, 1), dist)}

    def validate(epoch: int) -> dict[str, float]:
        return _val_ssim(predict_e2vid(model, val_s, scales, kf, device=device), val_s)

    result = engine.fit(net, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs,
                        monitor="val_ssim", mode="max", patience=cfg.patience, generators={"flip": rng},
                        log=lambda m: say("e2vid " + m))
    return _fit_summary(result)


# --------------------------------------------------------------------------- evaluation


def evaluate_run(run_dir: str | Path, data: str | Path | None = None, out: str | Path | None = None) -> dict[str, Any]:
    """Score the CVAE and every baseline on the test subjects; write metrics.json, apex.png and horizon.png.

    Parameters
    ----------
    run_dir : a run folder written by :func:`train`
    data : dataset folder (default: the one the run was trained on); its test split is
        recomputed with the run's seed and fractions
    out : where the files go (default: ``run_dir``)
    """
    run_dir = Path(run_dir)
    config = engine.load_config(run_dir)
    if config.get("task") != TASK:
        raise ParameterError(f"{run_dir} is a {config.get('task')!r} run, not a reconstruction run")
    cfg = ReconstructConfig.from_dict(config)
    data = Path(data if data is not None else config["data"])
    out = Path(out) if out is not None else run_dir
    spec = ReconSpec.from_dict(config["spec"])
    rows = list(DatasetFolder.open(data).rows)
    test_rows = subject_split(rows, cfg.val_fraction, cfg.test_fraction, cfg.seed)["test"]
    s = _samples(data, test_rows, spec, "test")
    scales, kf = config["scales"], spec.keyframe
    device = engine.select_device(cfg.device)
    cvae = CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels)
    engine.load_model_state(run_dir, cvae)
    cvae.to(device)
    preds = {"cvae": predict_cvae(cvae, s, scales, kf, device=device)}
    if cfg.e2vid and (run_dir / E2VID_DIR / engine.BEST).exists():
        e2vid = E2VIDRecurrent(n_condition(spec), kf, cfg.base)
        engine.load_model_state(run_dir / E2VID_DIR, e2vid)
        preds["e2vid"] = predict_e2vid(e2vid.to(device), s, scales, kf, device=device)
    preds |= baselines(s, spec, config["integration"])
    apex = recon_eval.phase_indices(s)["apex"]
    latent: dict[str, Any] = {"kl_per_channel": kl_per_channel(cvae, s, scales, kf, device=device)}
    k_draws = None
    if cfg.k_samples > 0:
        preds[f"cvae_mean{cfg.k_samples}"] = predict_cvae(cvae, s, scales, kf, k=cfg.k_samples, seed=cfg.seed, device=device)
        k_draws = cvae_samples(cvae, s, apex, scales, kf, cfg.k_samples, seed=cfg.seed, device=device)
        latent |= recon_eval.spread_summary(k_draws, s, apex)
    metrics = {
        "task": TASK, "sensor": spec.sensor, "protocol": spec.protocol, "keyframe": kf, "data": str(data),
        "split": "test", "subjects": sorted(set(s.meta["subject"].tolist())), "n_samples": len(s),
        "grid": {"size": spec.size, "sensor": "hd face box, hd truth (the same for hd and lr runs)"},
        "ssim_settings": "skimage structural_similarity, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1",
        **recon_eval.score(preds, s, spec, reference="keyframe", challenger="cvae"),
        "latent": latent,
    }
    train_json = run_dir / "train.json"
    if train_json.exists():
        t = engine.read_json(train_json)
        metrics["train_seconds"] = sum(t.get(m, {}).get("seconds", 0.0) for m in ("cvae", "e2vid"))
    engine.write_metrics(out, metrics)
    recon_eval.write_apex_figure(out / recon_eval.APEX_PNG, s, preds, apex, k_draws)
    recon_eval.write_horizon_figure(out / recon_eval.HORIZON_PNG, metrics, f"{spec.sensor}, {spec.protocol}")
    return metrics


def baselines(s: ReconSamples, spec: ReconSpec, integration: dict[str, Any]) -> dict[str, np.ndarray]:
    """The non-learned methods' reconstructions that ``spec``'s protocol allows (keyframe copy always, as the reference)."""
    preds = {"keyframe": copy_keyframe(s.key)}
    if spec.protocol == "extrapolation":
        preds["rgb_hold"] = rgb_hold(s.rgb_b)
        preds["rgb_flow"] = rgb_flow_extrapolate(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
    elif spec.protocol == "interpolation":
        preds["rgb_blend"] = rgb_blend(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
        preds["rgb_flow"] = rgb_flow_interpolate(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
    if spec.keyframe:
        ip = integration
        preds["integration"] = integrate(s.key, s.hist[:, ip["alpha_index"]].astype(np.float32), ip["c_on"], ip["c_off"],
                                         spec.gamma)
    return preds


# --------------------------------------------------------------------------- speed


def throughput(batch_size: int = ReconstructConfig.batch_size, size: int = ReconstructConfig.crop,
               n_bins: int = ReconstructConfig.n_bins, keyframe: bool = True, steps: int = 5,
               base: int = ReconstructConfig.base, device: str = "cpu", seed: int = 0) -> dict[str, Any]:
    """Training and inference speed of the CVAE and the recurrent UNet on random inputs (samples/s).

    The defaults are the training defaults (64 x 64 crops, 5 bins, the event history of the
    default spec, keyframe channel, ``base`` 8).
    """
    engine.seed_everything(seed)
    dev = engine.select_device(device)
    c_in = n_bins + 2 * len(ReconSpec.alphas_rad_s) + int(keyframe)
    c = torch.randn(batch_size, c_in, size, size, device=dev)
    x = torch.rand(batch_size, 1, size, size, device=dev)
    result: dict[str, Any] = {"batch_size": batch_size, "size": size, "n_bins": n_bins, "keyframe": keyframe, "base": base,
                              "device": str(dev), "threads": torch.get_num_threads()}
    cvae = CVAE(c_in, keyframe, base, ReconstructConfig.z_channels).to(dev)
    e2vid = E2VIDRecurrent(c_in, keyframe, base).to(dev)

    def timed(fn: Callable[[], None]) -> float:
        fn()  # warm-up
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return batch_size * steps / (time.perf_counter() - t0)

    for name, model, step in (
        ("cvae", cvae, lambda: cvae_loss(cvae(x, c), x, 1.0)["loss"]),
        ("e2vid", e2vid, lambda: recon_loss(e2vid(c)[0], x)),
    ):
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def train_step(step=step, opt=opt) -> None:
            opt.zero_grad(set_to_none=True)
            step().backward()
            opt.step()

        model.train()
        result[f"{name}_train_samples_per_s"] = timed(train_step)
        model.eval()
        with torch.no_grad():
            infer = (lambda: cvae.reconstruct(c)) if name == "cvae" else (lambda: e2vid(c))
            result[f"{name}_infer_samples_per_s"] = timed(infer)
        result[f"{name}_parameters"] = sum(p.numel() for p in model.parameters())
    return result
