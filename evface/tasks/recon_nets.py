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
    """The network input of samples ``idx``: scaled voxel grid, scaled event history, then ``keyframe - 0.5`` if used.

    Parameters
    ----------
    s : ReconSamples
        The samples.
    idx : numpy.ndarray
        Which of them.
    scales : dict
        ``voxel`` and ``hist``: the factors of :func:`input_scales`.
    keyframe : bool
        Whether the protocol gives the networks the keyframe.

    Returns
    -------
    torch.Tensor
        (len(idx), :func:`n_condition`, S, S) float32.

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(2, np.int64) for name in ARRAYS})
    >>> s.voxel, s.hist = np.ones((2, 3, 4, 4), np.float16), np.ones((2, 2, 2, 4, 4), np.float16)
    >>> s.key = np.full((2, 4, 4), 0.75, np.float32)
    >>> c = condition(s, np.array([1]), {"voxel": 2.0, "hist": 0.5}, keyframe=True)
    >>> tuple(c.shape), c[0, :, 0, 0].tolist()
    ((1, 8, 4, 4), [2.0, 2.0, 2.0, 0.5, 0.5, 0.5, 0.5, 0.25])
    """
    hist = s.hist[idx].astype(np.float32).reshape(len(idx), -1, *s.hist.shape[-2:])
    parts = [s.voxel[idx].astype(np.float32) * np.float32(scales["voxel"]), hist * np.float32(scales["hist"])]
    if keyframe:
        parts.append(s.key[idx][:, None] - np.float32(0.5))
    return torch.from_numpy(np.ascontiguousarray(np.concatenate(parts, axis=1)))


def n_condition(spec: ReconSpec) -> int:
    """Channels of :func:`condition` for samples cut with ``spec``.

    Parameters
    ----------
    spec : ReconSpec
        The samples' specification.

    Returns
    -------
    int
        The voxel grid's bins, two polarities per history decay rate, and one for the keyframe where the
        protocol gives it.

    Examples
    --------
    >>> spec = ReconSpec(n_bins=5)
    >>> n_condition(spec) == 5 + 2 * len(spec.alphas_rad_s) + int(spec.keyframe)
    True
    """
    return spec.n_bins + 2 * len(spec.alphas_rad_s) + int(spec.keyframe)


def input_scales(s: ReconSamples) -> dict[str, float]:
    """1 / RMS of the voxel grids and of the event history over ``s`` (the training samples).

    Parameters
    ----------
    s : ReconSamples
        The training samples.

    Returns
    -------
    dict
        ``voxel`` and ``hist``: the factors :func:`condition` scales them by (1 where all are 0).

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(2, np.int64) for name in ARRAYS})
    >>> s.voxel, s.hist = np.full((2, 1, 2, 2), 4, np.float16), np.zeros((2, 1, 2, 2, 2), np.float16)
    >>> input_scales(s)
    {'voxel': 0.25, 'hist': 1.0}
    """
    def inv_rms(a: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
        return 1.0 / rms if rms > 0 else 1.0
    return {"voxel": inv_rms(s.voxel), "hist": inv_rms(s.hist)}


def target_frames(s: ReconSamples, idx: np.ndarray) -> torch.Tensor:
    """The target frames of samples ``idx`` of ``s``, as an (N, 1, H, W) tensor.

    Parameters
    ----------
    s : ReconSamples
        The samples.
    idx : numpy.ndarray
        Which of them.

    Returns
    -------
    torch.Tensor
        (len(idx), 1, S, S) float32.
    """
    return torch.from_numpy(np.ascontiguousarray(s.target[idx][:, None]))


# --------------------------------------------------------------------------- prediction


def windows(s: ReconSamples, recurrent: bool, batch_size: int = 64) -> Iterator[tuple[bool, np.ndarray]]:
    """The order a model sees the samples of ``s`` in: ``(fresh, idx)`` per forward pass.

    Feed-forward: batches of ``batch_size`` consecutive samples. Recurrent: the clips of equal
    length together, step by step in time order; ``fresh`` marks the first step of a group (start
    from a new state).

    Parameters
    ----------
    s : ReconSamples
        The samples.
    recurrent : bool
        Whether the model carries a state from sample to sample.
    batch_size : int
        Samples per pass of a feed-forward model.

    Yields
    ------
    tuple of (bool, numpy.ndarray)
        Whether the pass starts from a new state, and the samples it sees.

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(3, np.int64) for name in ARRAYS}, meta={"clip_id": np.array(["a", "a", "b"])})
    >>> [(fresh, idx.tolist()) for fresh, idx in windows(s, recurrent=False, batch_size=2)]
    [(True, [0, 1]), (True, [2])]
    >>> [(fresh, idx.tolist()) for fresh, idx in windows(s, recurrent=True)]
    [(True, [0]), (False, [1]), (True, [2])]
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

    Parameters
    ----------
    s : ReconSamples
        The samples.
    idx : numpy.ndarray
        The samples wanted.
    recurrent : bool
        Whether the model carries a state from sample to sample.

    Returns
    -------
    tuple of (ReconSamples, numpy.ndarray)
        The samples to run the model on, and the position of each of ``idx`` among them.

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(3, np.int64) for name in ARRAYS}, meta={"clip_id": np.array(["a", "a", "b"])})
    >>> seen, pos = with_history(s, np.array([1]), recurrent=True)
    >>> len(seen), pos.tolist()
    (2, [1])
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
    (a recurrent CVAE runs through each clip from a fresh state, in time order).

    Parameters
    ----------
    model : CVAE
        The trained CVAE.
    s : ReconSamples
        The samples.
    scales : dict
        The input scales (:func:`input_scales` of the training samples).
    keyframe : bool
        Whether the protocol gives the networks the keyframe.
    k : int
        Prior samples averaged; 0: the prior mean.
    batch_size : int
        Samples per pass of a feed-forward CVAE.
    seed : int
        Seed of the prior draws.
    device : torch.device or str
        Where the model runs.

    Returns
    -------
    numpy.ndarray
        (N, S, S) float32, one reconstruction per sample of ``s``.
    """
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

    Parameters
    ----------
    model : E2VIDRecurrent
        The trained recurrent UNet.
    s : ReconSamples
        The samples.
    scales : dict
        The input scales (:func:`input_scales` of the training samples).
    keyframe : bool
        Whether the protocol gives the networks the keyframe.
    device : torch.device or str
        Where the model runs.

    Returns
    -------
    numpy.ndarray
        (N, S, S) float32, one reconstruction per sample of ``s``.
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
    """``k`` CVAE decodings of prior samples for samples ``idx``: (k, len(idx), S, S).

    Parameters
    ----------
    model : CVAE
        The trained CVAE.
    s : ReconSamples
        The samples (a recurrent CVAE runs through the whole clip of each of ``idx``).
    idx : numpy.ndarray
        The samples decoded.
    scales : dict
        The input scales (:func:`input_scales` of the training samples).
    keyframe : bool
        Whether the protocol gives the networks the keyframe.
    k : int
        Prior samples per sample.
    seed : int
        Seed of the prior draws.
    device : torch.device or str
        Where the model runs.

    Returns
    -------
    numpy.ndarray
        (k, len(idx), S, S) float32.
    """
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

    Parameters
    ----------
    model : CVAE
        The trained CVAE.
    s : ReconSamples
        The samples (a recurrent CVAE runs through the whole clip of each of ``idx``).
    idx : numpy.ndarray
        The samples averaged over.
    scales : dict
        The input scales (:func:`input_scales` of the training samples).
    keyframe : bool
        Whether the protocol gives the networks the keyframe.
    device : torch.device or str
        Where the model runs.

    Returns
    -------
    list of float
        One mean KL per latent channel.
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
