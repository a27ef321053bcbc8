"""The reconstruction networks on samples: their input, the order they see it in, their reconstructions.

Both networks, the CVAE (:class:`~evface.models.cvae.CVAE`) and the recurrent UNet
(:class:`~evface.models.e2vid.E2VIDRecurrent`), see the same condition (:func:`condition`: the
scaled voxel grid since the previous sample, the scaled event history since the keyframe, and
the keyframe where the protocol allows one). A recurrent model runs through each clip from a
fresh state in time order (:func:`windows`, :func:`with_history`). :func:`predict_cvae` and
:func:`predict_e2vid` reconstruct every sample; :func:`cvae_samples` draws the CVAE's prior
samples and :func:`kl_per_channel` measures what each latent channel carries.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.models.cvae import CVAE
from evface.models.e2vid import E2VIDRecurrent


# --------------------------------------------------------------------------- inputs


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


def target_frames(s: ReconSamples, idx: np.ndarray) -> torch.Tensor:
    """The target frames of samples ``idx`` of ``s``, as an (N, 1, H, W) tensor."""
    return torch.from_numpy(np.ascontiguousarray(s.target[idx][:, None]))


# --------------------------------------------------------------------------- prediction


def windows(s: ReconSamples, recurrent: bool, batch_size: int = 64) -> Iterator[tuple[bool, np.ndarray]]:
    """The order a model sees the samples of ``s`` in: ``(fresh, idx)`` per forward pass.

    Feed-forward: batches of ``batch_size`` consecutive samples. Recurrent: the clips of equal
    length together, step by step in time order; ``fresh`` marks the first step of a group (start
    from a new state).
    """
    if not recurrent:
        for start in range(0, len(s), batch_size):
            yield True, np.arange(start, min(len(s), start + batch_size))
        return
    by_len: dict[int, list[np.ndarray]] = {}
    for sl in s.clip_slices():
        by_len.setdefault(len(sl), []).append(sl)
    for group in by_len.values():
        idx = np.stack(group)  # (n_clips, L)
        for step in range(idx.shape[1]):
            yield step == 0, idx[:, step]


def with_history(s: ReconSamples, idx: np.ndarray, recurrent: bool) -> tuple[ReconSamples, np.ndarray]:
    """What a model must see to reach samples ``idx`` of ``s``, and where each of ``idx`` sits in it.

    Feed-forward: the samples ``idx`` themselves. Recurrent: every sample of their clips (the state
    at a sample depends on the clip's earlier windows).
    """
    if not recurrent:
        return s.select(idx), np.arange(len(idx))
    rows = np.concatenate([sl for sl in s.clip_slices() if np.isin(sl, idx).any()] or [np.zeros(0, np.int64)])
    place = np.zeros(len(s), np.int64)
    place[rows] = np.arange(len(rows))
    return s.select(rows), place[idx]


def _cvae_features(model: CVAE, s: ReconSamples, scales: dict[str, float], keyframe: bool, batch_size: int,
                   device: torch.device | str) -> Iterator[tuple[np.ndarray, list[torch.Tensor], torch.Tensor]]:
    """``(idx, condition features, condition)`` for every sample of ``s``, in :func:`windows` order."""
    state = None
    for fresh, idx in windows(s, model.recurrent, batch_size):
        c = condition(s, idx, scales, keyframe).to(device)
        feats, state = model.encode(c, None if fresh else state)
        yield idx, feats, c


@torch.no_grad()
def predict_cvae(model: CVAE, s: ReconSamples, scales: dict[str, float], keyframe: bool, k: int = 0,
                 batch_size: int = 64, seed: int = 0, device: torch.device | str = "cpu") -> np.ndarray:
    """CVAE reconstructions (N, S, S): prior mean (``k == 0``) or the mean of ``k`` prior samples
    (a recurrent CVAE runs through each clip from a fresh state, in time order)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    pred = np.zeros(s.target.shape, dtype=np.float32)
    for idx, feats, c in _cvae_features(model, s, scales, keyframe, batch_size, device):
        y = model.decode_samples(feats, c, k, gen).mean(0) if k > 0 else model.decode_mean(feats, c)
        pred[idx] = y[:, 0].cpu().numpy()
    return pred


@torch.no_grad()
def predict_e2vid(model: E2VIDRecurrent, s: ReconSamples, scales: dict[str, float], keyframe: bool,
                  device: torch.device | str = "cpu") -> np.ndarray:
    """Recurrent UNet reconstructions (N, S, S): each clip from a fresh state, in time order.

    Clips of equal length run together as one batch.
    """
    model.eval()
    pred = np.zeros(s.target.shape, dtype=np.float32)
    state = None
    for fresh, idx in windows(s, recurrent=True):
        y, state = model(condition(s, idx, scales, keyframe).to(device), None if fresh else state)
        pred[idx] = y[:, 0].cpu().numpy()
    return pred


@torch.no_grad()
def cvae_samples(model: CVAE, s: ReconSamples, idx: np.ndarray, scales: dict[str, float], keyframe: bool, k: int,
                 seed: int = 0, device: torch.device | str = "cpu") -> np.ndarray:
    """``k`` CVAE decodings of prior samples for samples ``idx``: (k, len(idx), S, S)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    seen, pos = with_history(s, idx, model.recurrent)
    slot = np.full(len(seen), -1)
    slot[pos] = np.arange(len(idx))
    out = np.zeros((k, len(idx), *s.target.shape[1:]), np.float32)
    for rows, feats, c in _cvae_features(model, seen, scales, keyframe, 16, device):
        keep = slot[rows] >= 0
        if keep.any():
            m = torch.from_numpy(keep)
            draws = model.decode_samples([f[m] for f in feats], c[m], k, gen)
            out[:, slot[rows][keep]] = draws[:, :, 0].cpu().numpy()
    return out


@torch.no_grad()
def kl_per_channel(model: CVAE, s: ReconSamples, idx: np.ndarray, scales: dict[str, float], keyframe: bool,
                   device: torch.device | str = "cpu") -> list[float]:
    """Mean KL(q(z|x,c) || p(z|c)) of each latent channel over samples ``idx`` of ``s`` (nats, summed
    over positions).

    A channel near 0 carries nothing the condition does not already give: a collapsed channel.
    """
    model.eval()
    seen, pos = with_history(s, idx, model.recurrent)
    wanted = np.zeros(len(seen), bool)
    wanted[pos] = True
    total = torch.zeros(model.z_channels, dtype=torch.float64)
    state = None
    for fresh, rows in windows(seen, model.recurrent, 32):
        out = model(target_frames(seen, rows).to(device), condition(seen, rows, scales, keyframe).to(device),
                    None if fresh else state)
        state = out.get("state")
        total += out["kl"][torch.from_numpy(wanted[rows])].sum(0).double().cpu()
    return (total / max(len(idx), 1)).tolist()
