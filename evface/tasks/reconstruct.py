"""Task: frame reconstruction from events (CVAE) with its baselines, trained and scored on one protocol.

:func:`train` (``data, run_dir, config, log``; the settings are a
:class:`~evface.tasks.configs.ReconstructConfig`) cuts the samples of the configured protocol
(:mod:`evface.inputs.reconstruct`: extrapolation, interpolation or events-only, on one target
grid shared by hd and lr) once for every clip, then trains each part of the evaluation protocol
(:func:`protocol_parts`: one subject split, or ``folds`` subject-grouped folds in which every
subject is tested once): it fits the direct-integration baseline's contrasts and leak by grid
search on the part's training samples and trains the CVAE (:class:`~evface.models.cvae.CVAE`)
and the E2VID-style recurrent UNet (:class:`~evface.models.e2vid.E2VIDRecurrent`) on random crops
with the shared engine (:func:`evface.tasks.engine.fit`: checkpoints, resume, early stopping on
validation SSIM, DDP under torchrun). Both networks see the same condition: the voxel grid of the
events since the previous sample, the leaked event counts since the keyframe, and the keyframe
where the protocol allows one. :func:`evaluate_run` scores every method on each part's test
subjects with that part's models, pools the per-sample scores of all parts
(:mod:`evface.tasks.recon_eval`: intervals resample every tested subject) and writes
``metrics.json``, ``apex.png`` and ``horizon.png``; :func:`train_and_evaluate` does both on the
same decoded samples (what ``evface train reconstruct`` calls).

The same work in three steps, for ``evface run``, which runs each as a job of its own (so a
cluster trains the parts side by side): :func:`prepare` lays out the protocol from the manifest,
:func:`fit_part` trains one part, :func:`pool_parts` scores the run; the clips are decoded once,
by :func:`prepare`, into a memory-mapped cache. Either way gives the same files and numbers.

With ``seeds`` > 1 every part is trained that many times on the same subjects (the parts
``<fold>-s<seed>``) and each sample is scored by the mean of its trainings' scores
(:func:`evaluate_run`), beside what each training scores alone (``metrics.json["per_seed"]``).
A run given more seeds trains only the new ones (its parts keep their folders).

Run folder (``PART`` is ``RUN`` itself for one split, ``RUN/fold<i>`` under folds,
``RUN/fold<i>-s<seed>`` or ``RUN/split-s<seed>`` with several seeds, where a run of one seed
given more keeps its own folders for the first seed)::

    RUN/config.json        task "reconstruct", data, sample spec, model and training settings,
                           evaluation protocol, and per part its name, folder and subjects
    RUN/samples/           the decoded samples while the parts train as separate jobs (removed once scored)
    PART/part.json         the part's input scales, fitted integration parameters and training
                           summary (written once both models are trained)
    PART/best.pt, checkpoint.pt, history.json          the part's CVAE
    PART/e2vid/best.pt, checkpoint.pt, history.json    the part's recurrent UNet baseline
    RUN/train.json         training time and epochs of both models, per part
    RUN/metrics.json       see :func:`evface.tasks.recon_eval.score`, with the protocol, the
                           folds and the number of test subjects, clips and samples
    RUN/scores.csv         per test sample and method: SSIM and PSNR over the face box and in
                           the active AU regions (what ``evface compare`` pairs)
    RUN/apex.png           every method at the apex, the CVAE's K-sample mean and spread, the target
    RUN/horizon.png        SSIM and PSNR against the horizon, one curve per method
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import BatchSampler

from evface.checks import as_int
from evface.errors import DatasetError, ParameterError, counted, where
from evface.inputs.reconstruct import (
    GRID_SENSOR,
    NO_INTERPOLATION,
    ReconSamples,
    ReconSpec,
    build_samples,
    check_memory,
    sample_bytes,
    write_samples,
)
from evface.inputs.splits import subjects_of
from evface.io.clip import frames_and_truth_info
from evface.io.dataset import DatasetFolder
from evface.models.cvae import CVAE, beta_schedule, cvae_loss, recon_loss
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_baselines import (
    copy_keyframe, fit_integration, integrate, rgb_blend, rgb_flow_extrapolate, rgb_flow_interpolate, rgb_hold,
)
from evface.tasks import engine, figure_format, recon_eval, run_folder, stats
from evface.tasks.configs import ReconstructConfig
from evface.tasks.image_metrics import image_metrics

TASK = "reconstruct"
E2VID_DIR = "e2vid"
SPLIT = "subject split"
"""The protocol name of ``folds=0``: one train/validation/test split by subject."""
PART_JSON = "part.json"
"""A trained part's input scales, integration fit and training summary (written when both models are trained)."""
SAMPLES_DIR = "samples"
"""The run's decoded samples, cached by :func:`prepare` for the parts' jobs (removed once scored)."""
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
        out = model(_target(seen, rows).to(device), condition(seen, rows, scales, keyframe).to(device),
                    None if fresh else state)
        state = out.get("state")
        total += out["kl"][torch.from_numpy(wanted[rows])].sum(0).double().cpu()
    return (total / max(len(idx), 1)).tolist()


# --------------------------------------------------------------------------- training


def protocol_parts(cfg: ReconstructConfig, rows: Sequence[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The evaluation protocol of ``cfg`` on manifest ``rows``: its name and its parts.

    The parts of :func:`evface.tasks.stats.subject_parts` (``folds=0``: one subject split;
    otherwise every subject tested once), each as ``{"name", "dir", "train", "val", "test"}``:
    subject lists and the part's folder in the run (``.`` for one split). With ``seeds`` > 1 each
    is trained once per seed, as the parts ``<name>-s<seed>`` (folder of that name), which add
    their training ``seed`` and their ``group``: the name of the split part whose subjects they share.
    """
    split = [{"name": p["name"], "dir": p["name"] if cfg.folds else ".", **{k: subjects_of(p[k]) for k in ("train", "val", "test")}}
             for p in stats.subject_parts(rows, cfg.folds, cfg.val_fraction, cfg.test_fraction, cfg.seed)]
    parts = split if cfg.seeds == 1 else [
        p | {"name": f"{p['name']}-s{seed}", "dir": f"{p['name']}-s{seed}", "group": p["name"], "seed": seed}
        for p in split for seed in range(cfg.seed, cfg.seed + cfg.seeds)]
    return (f"{cfg.folds}-fold subject-grouped cross-validation" if cfg.folds else SPLIT), parts


def seed_groups(parts: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The parts of :func:`protocol_parts` grouped by the subjects they share, each group in seed
    order (a run of one seed: one part per group). A group whose parts test other subjects, or
    whose seeds are not the first group's, is a :class:`ValueError` (a malformed received
    ``config.json``).

    Examples
    --------
    >>> parts = [{"name": f"fold{i}-s{s}", "group": f"fold{i}", "seed": s, "test": [f"s{i}"]} for i in (0, 1) for s in (0, 1)]
    >>> [[p["name"] for p in g] for g in seed_groups(parts)]
    [['fold0-s0', 'fold0-s1'], ['fold1-s0', 'fold1-s1']]
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        groups.setdefault(part.get("group", part["name"]), []).append(part)
    for name, group in groups.items():
        if any(part["test"] != group[0]["test"] for part in group):
            raise ValueError(f"the parts of {name!r} test other subjects")
    seeds = [[part.get("seed") for part in group] for group in groups.values()]
    if any(s != seeds[0] for s in seeds):
        raise ValueError(f"the parts' groups hold other seeds: {seeds}")
    return list(groups.values())


def _same_training(old: dict[str, Any], new: dict[str, Any], seed: int) -> bool:
    """Whether part ``old`` of a run (one of fewer seeds: a part without ``seed`` trained ``seed``)
    is the training ``new`` asks for: the same subjects, group and seed."""
    return (old.get("group", old["name"]), old.get("seed", seed)) == (new.get("group", new["name"]), new.get("seed", seed)) \
        and all(old[k] == new[k] for k in ("train", "val", "test"))


def _part_samples(s: ReconSamples, subjects: Sequence[str], part: str) -> ReconSamples:
    """The samples of ``subjects`` (``s`` itself, not a copy, when that is all of them: the test set under folds)."""
    idx = s.of_subjects(subjects)
    if idx.size == 0:
        raise ParameterError(f"the {part} subjects {', '.join(subjects) or '(none)'} have no samples; "
                             "use a dataset with more subjects")
    return s if idx.size == len(s) else s.select(idx)


def _rows_of(data: Path, subjects: set[str], spec: ReconSpec, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """The manifest rows of ``subjects``' clips, in manifest order (a clip's samples do not depend on the others)."""
    rows = [r for r in DatasetFolder.open(data).rows if str(r["subject"]) in subjects]
    say(f"building samples ({spec.sensor}, {spec.protocol}) of {counted(len(rows), 'clip')} ...")
    return rows


def _samples_of(data: Path, subjects: set[str], spec: ReconSpec, say: Callable[[str], None]) -> ReconSamples:
    """Samples of every clip of ``subjects``, in manifest order, in memory."""
    return build_samples(data, _rows_of(data, subjects, spec, say), spec)


def train(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the CVAE and the recurrent baseline and fit the integration baseline, for every part of the protocol.

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
    with engine.distributed(config.device) as dist:
        return _train(config, Path(data), Path(run_dir), dist, log)[0]


def train_and_evaluate(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
                       log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """:func:`train`, then the evaluation of :func:`evaluate_run` on the same samples (rank 0 only; other ranks
    return ``{}``): the clips are decoded once for training and test."""
    _spec(config)
    with engine.distributed(config.device) as dist:
        _, samples = _train(config, Path(data), Path(run_dir), dist, log)
    return _evaluate(Path(run_dir), Path(data), Path(run_dir), samples) if dist.is_main else {}


def _spec(cfg: ReconstructConfig) -> ReconSpec:
    """The samples' specification (checks the config, its sensor, protocol and sizes before any work)."""
    cfg = ReconstructConfig.given(cfg)
    if cfg.folds == 1 or cfg.folds < 0:
        raise ParameterError(f"--folds {cfg.folds}: use 0 (one subject split) or at least 2")
    return ReconSpec(sensor=cfg.sensor, protocol=cfg.protocol, size=cfg.size, n_bins=cfg.n_bins, step_us=cfg.step_us,
                     stride=cfg.stride)


def _train(cfg: ReconstructConfig, data: Path, run_dir: Path, dist: engine.DistInfo,
           log: Callable[[str], None] | None) -> tuple[dict[str, Any], ReconSamples]:
    """:func:`prepare`, :func:`fit_part` for every part still to train, then ``train.json``, on samples decoded once."""
    torch.set_num_threads(cfg.threads if cfg.threads > 0 else default_threads())
    todo, samples = _prepare(data, run_dir, cfg, dist, log, "memory")
    assert samples is not None  # "memory" cuts them on every rank
    config = run_folder.load_config(run_dir)
    for name in todo:
        fit_part(data, run_dir, cfg, name, dist, log, samples)
    return _write_train_summary(run_dir, config, dist), samples


def prepare(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig = ReconstructConfig(),
            dist: engine.DistInfo | None = None, log: Callable[[str], None] | None = None,
            cache: bool = True) -> list[str]:
    """Lay out the evaluation protocol of a run; return the names of its parts still to train.

    Writes ``RUN/config.json`` (the settings, the sample spec and every part's subjects; an existing
    one must hold the same settings: the run resumes) and, with ``cache`` while a part is left to
    train, the samples of every clip the run uses, decoded once (``RUN/samples/``, memory-mapped
    by :func:`fit_part` and :func:`pool_parts`, removed by :func:`pool_parts`). Each part is then
    trained by :func:`fit_part` (one job per part under ``evface run``) and the run is scored by
    :func:`pool_parts`.
    """
    cfg = ReconstructConfig.given(cfg)
    dist = dist if dist is not None else engine.single_process(cfg.device)
    return _prepare(Path(data), Path(run_dir), cfg, dist, log, "save" if cache else "none")[0]


def _check_protocol(ds: DatasetFolder, spec: ReconSpec) -> None:
    """Refuse ``interpolation`` on a dataset with a recording (a clip without truth frames: nothing
    between its RGB frames to score), naming its clip, before the run starts any work (it printed
    "building samples" first)."""
    if spec.protocol != "interpolation":
        return
    for row in ds.rows:
        if not frames_and_truth_info(ds.clip_path(row))[1].get(GRID_SENSOR, {}).get("count"):
            raise DatasetError(where(ds.clip_path(row), NO_INTERPOLATION))


def _prepare(data: Path, run_dir: Path, cfg: ReconstructConfig, dist: engine.DistInfo,
             log: Callable[[str], None] | None, samples_mode: str) -> tuple[list[str], ReconSamples | None]:
    """:func:`prepare`; the samples are cached in the run (``"save"``, while a part is left to
    train), returned (``"memory"``, on every rank) or not cut (``"none"``). On the main rank they
    are cut inside :func:`run_folder.starting_run`: a new run whose clips cannot be read leaves nothing."""
    spec = _spec(cfg)
    ds = DatasetFolder.open(data)
    rows = list(ds.rows)
    _check_protocol(ds, spec)
    protocol, parts = protocol_parts(cfg, rows)
    config = {
        "task": TASK, "data": str(data.resolve()), **cfg.to_dict(), "spec": spec.to_dict(), "world_size": dist.world_size,
        "evaluation": protocol, "parts": parts,
    }
    if cfg.seeds == 1:  # one training per part keeps the keys of runs made before --seeds (they resume)
        del config["seeds"]
    config, grown = run_folder.grown_by_seeds(run_dir, config, "parts", lambda old, new: _same_training(old, new, cfg.seed))
    run_folder.check_resume(run_dir, config, free=RESUMABLE_CHANGES + grown, rows=rows)
    todo = [p["name"] for p in config["parts"] if not _trained(run_dir / p["dir"], cfg)]
    say = engine.main_log(log, dist)
    samples = None
    if dist.is_main:
        with run_folder.starting_run(run_dir, config, rows):
            if samples_mode == "memory":
                samples = _samples_of(data, _subjects(config), spec, say)
            elif samples_mode == "save" and todo and not (run_dir / SAMPLES_DIR).exists():  # on disk, a clip at a time
                write_samples(data, _rows_of(data, _subjects(config), spec, say), spec, run_dir / SAMPLES_DIR)
    engine.barrier(dist)
    if samples_mode == "memory" and samples is None:  # the other ranks
        samples = _samples_of(data, _subjects(config), spec, say)
    return todo, samples


def fit_part(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig, name: str,
             dist: engine.DistInfo | None = None, log: Callable[[str], None] | None = None,
             samples: ReconSamples | None = None) -> float:
    """Train one part of the protocol (a name :func:`prepare` returned) and write ``PART/part.json``.

    On the part's training subjects: the input scales and the integration baseline's fit; then the
    CVAE (in ``PART``) and the recurrent UNet (in ``PART/e2vid``), early-stopped on its validation
    subjects. ``samples`` holds at least those subjects' samples (when ``None``: those
    :func:`prepare` cached, or else decoded here, the part's own subjects only).
    Runs on ``config.threads`` torch threads, or as many as the caller set when that is 0.
    A part with its ``part.json`` for these ``epochs`` and ``patience`` is not trained again.
    Returns the seconds it took (0 for a part done before).
    """
    dist = dist if dist is not None else engine.single_process(cfg.device)
    data, run_dir = Path(data), Path(run_dir)
    config = run_folder.load_config(run_dir)
    parts = {p["name"]: p for p in config["parts"]}
    if name not in parts:
        raise ParameterError(f"{name!r} is not a part of this protocol; its parts: {sorted(parts)}")
    part, part_dir = parts[name], run_dir / parts[name]["dir"]
    if _trained(part_dir, cfg):
        return 0.0
    cfg = replace(cfg, seed=part.get("seed", cfg.seed))  # a part of several trainings: its own seed
    start = time.perf_counter()
    say = engine.main_log(log, dist)
    if cfg.threads > 0:  # else the caller's: evface run gives each job its share of the cores
        torch.set_num_threads(cfg.threads)
    spec = _spec(cfg)
    samples = samples if samples is not None else _cached_samples(run_dir)
    if samples is None:
        samples = _samples_of(data, set(part["train"] + part["val"]), spec, say)
    say(f"{name}: test {', '.join(part['test'])}")
    n_fit = len(samples.of_subjects(part["train"] + part["val"]))
    check_memory(sample_bytes(samples) * n_fit, f"the {n_fit} training and validation samples of {name} at --size "
                 f"{spec.size} take about {{gib}} GiB", spec)
    train_s = _part_samples(samples, part["train"], "training")
    val_s = _part_samples(samples, part["val"], "validation")
    del samples  # the copies above are all the part trains on
    fit_idx = np.sort(np.random.default_rng(cfg.seed).permutation(len(train_s))[:FIT_SAMPLES])
    inputs = {"scales": input_scales(train_s), "integration": fit_integration(
        train_s.key[fit_idx], train_s.hist[fit_idx].astype(np.float32), train_s.target[fit_idx],
        spec.alphas_rad_s, gamma=spec.gamma)}
    summary = _train_part(cfg, spec, train_s, val_s, part | inputs, part_dir, dist, say)
    seconds = time.perf_counter() - start
    if dist.is_main:
        run_folder.write_json(part_dir / PART_JSON, {**inputs, "summary": summary, "epochs": cfg.epochs,
                                                 "patience": cfg.patience, "seconds": seconds})
    engine.barrier(dist)
    return seconds


def pool_parts(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig = ReconstructConfig(),
               dist: engine.DistInfo | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write ``RUN/train.json`` from the parts' summaries and score the run on its test subjects
    (:func:`evaluate_run`, every part's test subjects by that part's models, on the samples
    :func:`prepare` cached, which it then removes); return the metrics."""
    dist = dist if dist is not None else engine.single_process(cfg.device)
    run_dir = Path(run_dir)
    _write_train_summary(run_dir, run_folder.load_config(run_dir), dist)
    if not dist.is_main:
        return {}
    metrics = _evaluate(run_dir, Path(data), run_dir, _cached_samples(run_dir))
    shutil.rmtree(run_dir / SAMPLES_DIR, ignore_errors=True)
    return metrics


def _subjects(config: dict[str, Any]) -> set[str]:
    """Every subject that some part of the run in ``config`` trains, validates or tests on."""
    return {subj for p in config["parts"] for k in ("train", "val", "test") for subj in p[k]}


def _cached_samples(run_dir: Path) -> ReconSamples | None:
    """The samples :func:`prepare` cached in ``run_dir``, or ``None``."""
    return ReconSamples.load(run_dir / SAMPLES_DIR) if (run_dir / SAMPLES_DIR).exists() else None


def _trained(part_dir: Path, cfg: ReconstructConfig) -> bool:
    """Whether the part in ``part_dir`` was trained for ``cfg``'s epochs and patience."""
    if not (part_dir / PART_JSON).exists():
        return False
    done = run_folder.read_json(part_dir / PART_JSON)
    return (done["epochs"], done["patience"]) == (cfg.epochs, cfg.patience)


def _part_inputs(run_dir: Path, part: dict[str, Any], spec: ReconSpec) -> dict[str, Any]:
    """A trained part's input scales and integration fit (in config.json itself for runs before
    ``part.json``), checked as a received file (:func:`run_folder.reading`)."""
    if "scales" in part:
        inputs, path = part, run_dir / run_folder.CONFIG
    else:
        path = run_dir / part["dir"] / PART_JSON
        inputs = run_folder.read_json(path)
    number = (int, float)
    with run_folder.reading(path):
        run_folder.check_fields(inputs, {"scales": dict, "integration": dict})
        run_folder.check_fields(inputs["scales"], {"voxel": number, "hist": number})
        run_folder.check_fields(inputs["integration"], {"alpha_index": int, "c_on": number, "c_off": number})
        if not 0 <= inputs["integration"]["alpha_index"] < len(spec.alphas_rad_s):
            raise ValueError(f"alpha_index {inputs['integration']['alpha_index']} is not one of the "
                             f"{len(spec.alphas_rad_s)} leak rates")
    return inputs


def _write_train_summary(run_dir: Path, config: dict[str, Any], dist: engine.DistInfo) -> dict[str, Any]:
    """``RUN/train.json``: the training summary of every part, and each model's seconds summed over the parts."""
    summary: dict[str, Any] = {"evaluation": config["evaluation"],
                               "parts": [run_folder.read_json(run_dir / p["dir"] / PART_JSON)["summary"]
                                         for p in config["parts"]]}
    for model in ("cvae", "e2vid"):
        summary[f"{model}_seconds"] = sum(p.get(model, {}).get("seconds", 0.0) for p in summary["parts"])
    if dist.is_main:
        run_folder.write_json(run_dir / "train.json", summary)
    return summary


def _train_part(cfg: ReconstructConfig, spec: ReconSpec, train_s: ReconSamples, val_s: ReconSamples,
                part: dict[str, Any], part_dir: Path, dist: engine.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    """Train the part's CVAE (in ``part_dir``) and recurrent UNet (in ``part_dir/e2vid``) from the same seed."""
    say(f"{len(train_s)} training, {counted(len(val_s), 'validation sample')}")
    summary: dict[str, Any] = {"name": part["name"], "n_train": len(train_s), "n_val": len(val_s)}
    engine.seed_everything(cfg.seed)
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
                scales: dict[str, float], run_dir: Path, dist: engine.DistInfo, say: Callable[[str], None]) -> dict[str, Any]:
    device, kf = dist.device, spec.keyframe
    model = CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels, cfg.cvae_recurrent).to(device)
    net = engine.wrap_ddp(model, dist)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    # a recurrent CVAE trains like the UNet on runs of consecutive samples, a feed-forward one on single samples
    runs = sequences(train_s, cfg.seq_len) if cfg.cvae_recurrent else np.arange(len(train_s))[:, None]
    sampler = engine.ShardedSampler(len(runs), dist, seed=cfg.seed)
    batches = BatchSampler(sampler, max(1, cfg.batch_size // runs.shape[1]), drop_last=False)
    rng = torch.Generator().manual_seed(cfg.seed + dist.rank)

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        beta = beta_schedule(epoch, cfg.kl_beta, cfg.warmup_epochs)
        tot = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        n = 0
        for batch in batches:
            seq = runs[np.asarray(batch, dtype=np.int64)]
            offset = _random_offset(rng, spec.size, cfg.crop)
            flip = torch.rand(len(seq), generator=rng) < 0.5
            state, steps = None, []
            for step in range(seq.shape[1]):
                c, x = _crop(condition(train_s, seq[:, step], scales, kf), _target(train_s, seq[:, step]),
                             size=cfg.crop, offset=offset)
                c, x = _flip(c, x, mask=flip)
                out = net(x.to(device), c.to(device), state)
                state = out.get("state")
                steps.append(cvae_loss(out, x.to(device), beta, cfg.free_bits, cfg.ssim_weight, cfg.mse_weight))
            losses = {k: sum(step[k] for step in steps) / len(steps) for k in tot}
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt.step()
            for k in tot:
                tot[k] += losses[k].item() * len(seq)
            n += len(seq)
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


def _target_counts(s: ReconSamples) -> dict[str, int]:
    """Clips scored against the grid sensor's truth (``truth``) and recordings scored against their
    own RGB frames (``rgb``); samples cut before recordings were scored count as ``truth``."""
    kinds = s.meta.get("target", np.full(len(s), "truth", dtype=object))
    first = [int(idx[0]) for idx in s.clip_slices()]
    return {kind: sum(1 for i in first if kinds[i] == kind) for kind in ("truth", "rgb")}


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """What ``evface train reconstruct`` and ``evface eval`` print of a run's metrics: every method's
    SSIM, PSNR and MSE over the face at the apex."""
    return {name: {k: round(m["apex"]["face"][k], 4) for k in ("ssim", "psnr", "mse")}
            for name, m in metrics["methods"].items()}


def figures(metrics: dict[str, Any]) -> str:
    """The apex figures of every method as the report's table gives them: SSIM over the face to four
    decimals with its 95 % subject-cluster interval, PSNR to two, and how many clips and subjects
    they are of; ``evface train reconstruct`` and ``evface eval`` print it above :func:`headline`.

    Examples
    --------
    >>> figures({"n_clips": 12, "n_subjects": 3, "methods": {
    ...     "cvae": {"apex": {"face": {"ssim": 0.81234, "psnr": 24.314}},
    ...              "apex_interval": {"face": {"mean": 0.81234, "ci": [0.8, 0.823], "n_clusters": 3}}},
    ...     "keyframe": {"apex": {"face": {"ssim": 0.7, "psnr": 21.0}}}}})  # scored before intervals were
    'at the apex, SSIM over the face and PSNR: cvae 0.8123 [0.8000, 0.8230], 24.31 dB; keyframe 0.7000, 21.00 dB (12 clips of 3 subjects)'
    """
    said = [f"{name} "
            f"{figure_format.mean_with_interval(m.get('apex_interval', {}).get('face'), m['apex']['face']['ssim'])}, "
            f"{figure_format.fixed(m['apex']['face']['psnr'], 2)} dB" for name, m in metrics["methods"].items()]
    return (f"at the apex, SSIM over the face and PSNR: {'; '.join(said)} ({counted(metrics['n_clips'], 'clip')} of "
            f"{counted(metrics['n_subjects'], 'subject')})")


def evaluate_run(run_dir: str | Path, data: str | Path | None = None, out: str | Path | None = None,
                 frames: bool = False) -> dict[str, Any]:
    """Score the CVAE and every baseline on the test subjects; write metrics.json, scores.csv, apex.png and horizon.png.

    Parameters
    ----------
    run_dir : a run folder written by :func:`train`
    data : dataset folder (default: the one the run was trained on); a clip of the run's own
        dataset (:func:`run_folder.seen_in_training`, wherever the folder lies) is scored by the models
        of the part that tested its subject (every subject once under folds; the clips of subjects
        the run trained or validated on are left out), any other clip by one part's models, the
        parts taking turns in clip order; the scores of all parts are pooled (a run of several
        seeds scores a sample by the mean over its part's trainings)
    out : where the files go (default: ``run_dir``; see :func:`run_folder.evaluation_folder`)
    frames : also write every method's reconstruction of every sample and its target to
        ``frames.h5`` (:func:`recon_eval.write_frames`; a run of several seeds: its first seed's models)
    """
    run_dir = Path(run_dir)
    config = load_run(run_dir)[0]
    data = Path(data if data is not None else config["data"]).resolve()  # metrics.json names it from anywhere
    target, own = run_folder.evaluation_target(run_dir, data, out)
    return _evaluate(run_dir, data, target, frames=frames, own=own)


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], ReconstructConfig, ReconSpec]:
    """A reconstruction run's ``config.json``, its settings and its sample spec, checked as a
    received file: a key missing, a value of another type or out of range, or a part's folder
    outside the run is one :class:`FormatError` naming the file; another task's run is a
    :class:`ParameterError`."""
    run_dir = Path(run_dir)
    config = run_folder.load_config(run_dir)
    if config.get("task") != TASK:
        raise ParameterError(f"{run_dir} is a {config.get('task')!r} run, not a reconstruction run")
    with run_folder.reading(run_dir / run_folder.CONFIG):
        run_folder.check_fields(config, {"data": str, "spec": dict, "evaluation": str, "parts": list})
        for part in config["parts"]:
            run_folder.check_fields(part, {"name": str, "dir": str, "train": list, "val": list, "test": list})
            if "seed" in part or "group" in part:
                run_folder.check_fields(part, {"seed": int, "group": str})
            run_folder.check_folder(part["dir"])
        seed_groups(config["parts"])
        cfg, spec = ReconstructConfig.from_dict(config), ReconSpec.from_dict(config["spec"])
    return config, cfg, spec


def _evaluate(run_dir: Path, data: Path, out: Path, samples: ReconSamples | None = None,
              frames: bool = False, own: bool = True) -> dict[str, Any]:
    """:func:`evaluate_run` on ``samples`` (the samples of the run's own dataset; cut from ``data`` when ``None``);
    ``own``: ``data`` holds the very clips the run was trained on (:func:`run_folder.is_training_data`)."""
    config, cfg, spec = load_run(run_dir)
    groups = seed_groups(config["parts"])
    parts = [group[0] for group in groups]  # the subjects of each group; its seeds are trained alike
    tested = [subj for p in parts for subj in p["test"]]
    if samples is None:
        rows = DatasetFolder.open(data).rows
        seen = run_folder.seen_in_training(run_dir, data, rows)
        other_ids = {str(r["clip_id"]) for r, known in zip(rows, seen) if not known}
        n_rows, rows = len(rows), [r for r, known in zip(rows, seen) if not known or str(r["subject"]) in set(tested)]
        left_out = n_rows - len(rows)
        if not rows:
            raise ParameterError(f"{data} has no clip of the run's test subjects ({', '.join(tested)}) and no clip "
                                 "the run never saw")
        s = build_samples(data, rows, spec)
    else:
        other_ids, left_out = set(), 0
        s = _part_samples(samples, tested, "test")
    scored_by = _scoring_parts(s, parts, other_ids)
    apex = recon_eval.phase_indices(s)["apex"]
    device = engine.select_device(cfg.device)
    seeds = [part.get("seed", cfg.seed) for part in groups[0]]
    per_seed, trained = [], []
    for k in range(len(seeds)):  # the latent, the figure and the frames: the first seed's models
        seed_preds, kl, seed_draws = _predict(run_dir, cfg, spec, [group[k] for group in groups], s, scored_by, apex,
                                              device, first=k == 0)
        seed_scores = recon_eval.sample_scores(seed_preds, s, spec)
        if k == 0:
            preds, kl_per, draws = seed_preds, kl, seed_draws
        else:
            trained = list(seed_scores)
        # the baselines no training changes are the first seed's, scored once
        per_seed.append(seed_scores if k == 0 else per_seed[0] | seed_scores)
        del seed_preds  # one training's frames at a time beside the first's
    latent: dict[str, Any] = {"kl_per_channel": kl_per}
    if draws is not None:
        latent |= recon_eval.spread_summary(draws, s, apex) | recon_eval.sample_mean_scores(draws, preds["cvae"], s, apex)
    scores = recon_eval.mean_scores(per_seed)
    metrics = {
        "task": TASK, "sensor": spec.sensor, "protocol": spec.protocol, "keyframe": spec.keyframe, "data": str(data),
        "evaluation": config["evaluation"], "folds": [{"name": p["name"], "test": p["test"]} for p in parts],
        "evaluated_on": _evaluated_on(s, other_ids, len(parts), seeds, (data, config, left_out) if not own else None),
        "subjects": sorted(set(s.meta["subject"].tolist())), "n_subjects": len(set(s.meta["subject"].tolist())),
        "n_clips": len(s.clip_slices()), "n_samples": len(s),
        "grid": {"size": spec.size, "sensor": "hd face box, a recording's RGB face box (the same for hd and lr runs)",
                 "targets": _target_counts(s)},
        "ssim_settings": "skimage structural_similarity, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1",
        **recon_eval.score(scores, s, spec, reference="keyframe", challenger="cvae"),
        "latent": latent,
    }
    if len(seeds) > 1:
        metrics |= {"seeds": seeds, "latent_seed": seeds[0],
                    "per_seed": [{"seed": seed, **recon_eval.seed_summary(sc, s)} for seed, sc in zip(seeds, per_seed)],
                    "cvae_vs_over_trainings": recon_eval.training_intervals(per_seed, s, scored_by)}
    if out.resolve() != run_dir.resolve():  # an evaluation's folder names its run (run_folder.evaluation_folder)
        metrics["run"] = str(run_dir.resolve())
    train_json = run_dir / "train.json"
    if train_json.exists():
        t = run_folder.read_json(train_json)
        metrics["train_seconds"] = t.get("cvae_seconds", 0.0) + t.get("e2vid_seconds", 0.0)
    run_folder.write_metrics(out, metrics)
    recon_eval.write_scores(out / recon_eval.SCORES_CSV, scores, s, spec)
    if len(seeds) > 1:
        recon_eval.write_seed_scores(out / recon_eval.SEED_SCORES_CSV, per_seed, seeds, trained, s, scored_by)
    else:  # an earlier evaluation's trainings would no longer match scores.csv
        (out / recon_eval.SEED_SCORES_CSV).unlink(missing_ok=True)
    recon_eval.write_apex_figure(out / recon_eval.APEX_PNG, s, preds, apex, draws)
    if frames:
        recon_eval.write_frames(out / recon_eval.FRAMES_H5, preds, s, None if len(seeds) == 1 else (
            f"the trainings of seed {seeds[0]}; scores.csv holds the mean over seeds {', '.join(map(str, seeds))}"))
    else:  # an earlier evaluation's frames would no longer match scores.csv
        (out / recon_eval.FRAMES_H5).unlink(missing_ok=True)
    recon_eval.write_horizon_figure(out / recon_eval.HORIZON_PNG, metrics, f"{spec.sensor}, {spec.protocol}")
    return metrics


def _scoring_parts(s: ReconSamples, parts: list[dict[str, Any]], other_ids: set[str]) -> np.ndarray:
    """Per sample, the index of the part whose models score it: for a clip of the run's own dataset
    the part that tested its subject; for a clip in ``other_ids`` (one the run never saw) the parts
    take turns in clip order, so that every sample is one model's output."""
    clip_ids = s.meta["clip_id"].astype(str)
    subjects = s.meta["subject"].astype(str)
    own = ~np.isin(clip_ids, list(other_ids))
    by = np.full(len(s), -1, np.int64)
    for j, part in enumerate(parts):
        by[own & np.isin(subjects, part["test"])] = j
    for k, clip in enumerate(dict.fromkeys(clip_ids[~own])):
        by[clip_ids == clip] = k % len(parts)
    return by


def _evaluated_on(s: ReconSamples, other_ids: set[str], n_parts: int, seeds: list[int],
                  elsewhere: tuple[Path, dict[str, Any], int] | None) -> str:
    """Which clips were scored and by which models, in words; ``elsewhere``: the dataset folder,
    the run's ``config.json`` and the number of clips left out (of subjects no part tested) where
    the clips are not the very ones the run was trained on (:func:`run_folder.scored_elsewhere`)."""
    clips = [str(c) for c in dict.fromkeys(s.meta["clip_id"].astype(str))]
    other = sum(c in other_ids for c in clips)
    mean = (f"; a sample's scores: the mean over the {len(seeds)} trainings of those models (seeds "
            f"{', '.join(map(str, seeds))})" if len(seeds) > 1 else "")
    if elsewhere is None:
        return f"{counted(len(clips), 'clip')} of the run's own dataset, each by the models of the part that tested its subject{mean}"
    data, config, left_out = elsewhere
    return run_folder.scored_elsewhere(data, config["data"], config["evaluation"], len(clips) - other, len(clips),
                                       left_out, "", f"one part's models (the {counted(n_parts, 'part')} taking turns)") + mean


def _predict(run_dir: Path, cfg: ReconstructConfig, spec: ReconSpec, parts: list[dict[str, Any]], s: ReconSamples,
             scored_by: np.ndarray, apex: np.ndarray, device: torch.device, first: bool
             ) -> tuple[dict[str, np.ndarray], list[float], np.ndarray | None]:
    """The reconstruction of every sample of ``s``, each by the models of ``parts[scored_by]``, of
    every method that training changes (the networks, the integration fitted on the training
    subjects) and, for the ``first`` of a part's trainings, also of the frame-camera baselines, with
    the CVAE's KL per latent channel and K prior decodings at the ``apex`` samples (``None``:
    ``k_samples`` 0)."""
    preds: dict[str, np.ndarray] = {}
    kl_sum = np.zeros(cfg.z_channels)
    draws = np.zeros((cfg.k_samples, len(apex), spec.size, spec.size), np.float32) if first and cfg.k_samples else None
    for j, part in enumerate(parts):
        idx = np.flatnonzero(scored_by == j)
        if idx.size == 0:  # the fold's clips were all too short for a sample
            continue
        on = np.isin(apex, idx)
        part_preds, part_kl, part_draws = _predict_part(run_dir / part["dir"], cfg, spec, _part_inputs(run_dir, part, spec), s,
                                                        idx, apex[on], device, first)
        for name, p in part_preds.items():
            preds.setdefault(name, np.zeros(s.target.shape, np.float32))[idx] = p
        if first:
            kl_sum += np.asarray(part_kl) * on.sum()
        if draws is not None:
            draws[:, on] = part_draws
    return preds, (kl_sum / len(apex)).tolist() if first else [], draws


def _predict_part(part_dir: Path, cfg: ReconstructConfig, spec: ReconSpec, inputs: dict[str, Any], s: ReconSamples,
                  idx: np.ndarray, apex: np.ndarray, device: torch.device, first: bool = True
                  ) -> tuple[dict[str, np.ndarray], list[float], np.ndarray | None]:
    """One part's reconstructions of its test samples ``idx`` of ``s`` (every method; the frame-camera
    baselines only when ``first``), and when ``first`` at its apex samples ``apex`` (indices of ``s``)
    the KL per latent channel and the CVAE's K prior decodings (``inputs``: the part's input scales
    and integration fit)."""
    test, scales, kf = s.select(idx), inputs["scales"], spec.keyframe
    cvae = CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels, cfg.cvae_recurrent)
    engine.load_model_state(part_dir, cvae)
    cvae.to(device)
    preds = {"cvae": predict_cvae(cvae, test, scales, kf, device=device)}
    if cfg.e2vid and (part_dir / E2VID_DIR / engine.BEST).exists():
        e2vid = E2VIDRecurrent(n_condition(spec), kf, cfg.base)
        engine.load_model_state(part_dir / E2VID_DIR, e2vid)
        preds["e2vid"] = predict_e2vid(e2vid.to(device), test, scales, kf, device=device)
    preds |= baselines(test, spec, inputs["integration"], frames=first)
    recon_eval.refuse_not_finite(preds, test, lambda method: _made_by(part_dir, method))
    if not first:
        return preds, [], None
    draws = cvae_samples(cvae, s, apex, scales, kf, cfg.k_samples, seed=cfg.seed, device=device) if cfg.k_samples > 0 else None
    return preds, kl_per_channel(cvae, s, apex, scales, kf, device=device), draws


def _made_by(part_dir: Path, method: str) -> tuple[str, str]:
    """What made a part's reconstructions by ``method`` (its model file, or the part for a baseline)
    and what to do where they are not finite (:func:`recon_eval.refuse_not_finite`)."""
    if method in ("cvae", "e2vid"):
        model = part_dir / (E2VID_DIR if method == "e2vid" else "") / engine.BEST
        return f"method {method}, model {model}", "train the run again (a lower --learning-rate)"
    if method == "integration":
        return (f"method integration, fitted for {part_dir}", "train the run again")
    return f"method {method} of {part_dir}", "it reconstructs from the clip's RGB frames: check that clip's frames"


def baselines(s: ReconSamples, spec: ReconSpec, integration: dict[str, Any], frames: bool = True
              ) -> dict[str, np.ndarray]:
    """The non-learned methods' reconstructions that ``spec``'s protocol allows (keyframe copy always, as the
    reference); without ``frames`` only the integration, the one fitted on a part's training subjects."""
    preds: dict[str, np.ndarray] = {}
    if frames:
        preds["keyframe"] = copy_keyframe(s.key)
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
    default spec, keyframe channel, ``base`` 8). ``steps`` and ``batch_size`` are integers of at
    least 1 (a ParameterError naming them; ``steps=0`` was a ZeroDivisionError).
    """
    steps, batch_size = as_int("steps", steps, 1), as_int("batch_size", batch_size, 1)
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
