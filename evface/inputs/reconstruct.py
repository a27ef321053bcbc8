"""Reconstruction samples: (event voxel grid, keyframe) -> face intensity frame, on face crops.

For one event sensor (``hd`` or ``lr``) every clip gives one sample per RGB frame that has an
earlier keyframe (face box, grey and registration: :mod:`evface.inputs.clip_view`):

- target time ``t`` = the middle of the RGB frame's exposure;
- ``voxel``: the voxel grid (:func:`evface.events.representations.to_voxel_grid`) of the events
  in ``[t - window_us, t]``, computed on the sensor's face box
  (:func:`~evface.inputs.clip_view.face_box`) at native resolution, then resampled to ``size`` x ``size`` by pixel averaging (so its unit is
  "events per sensor pixel" for every sensor);
- ``key``: the last RGB frame whose mid-exposure is at or before ``t - window_us``, in grey,
  registered onto the sensor grid with ``calibration["homography"][sensor]`` (RGB pixel ->
  sensor-window pixel) and cropped to the same face box;
- ``target``: by default the RGB frame at ``t`` itself registered the same way (what a real
  dataset offers); with ``target="truth"`` the synthetic clean intensity ``clip.truth[sensor]``
  nearest ``t``, mapped to the RGB frames' tone scale (a per-clip least-squares gain on linear
  intensity, then the display gamma) so that keyframes and targets are comparable;
- ``counts``: leaked ON/OFF event counts from the keyframe time to ``t`` for each leak rate of
  ``alphas_rad_s`` (:func:`evface.events.integration.leaky_counts`), for the direct
  integration baseline (:mod:`evface.models.recon_baselines`).

Images are float32 in [0, 1], ``(size, size)``; grey = ITU-R BT.601 luma of the RGB frame.
Samples of one clip are consecutive windows in time order (``seq`` numbers them), which the
recurrent baseline uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from evface.errors import DatasetError, ParameterError, where
from evface.events.integration import ALPHA_GRID_RAD_S, leaky_counts
from evface.events.ops import crop
from evface.events.representations import to_voxel_grid
from evface.inputs.clip_view import (
    Box, check_sensor, face_box, homography, read_view, register_to_box, require_sensor, resize_area,
    rgb_frames, to_gray,
)
from evface.io.clip import Clip

TARGETS = ("rgb", "truth")


@dataclass(frozen=True)
class ReconSpec:
    """How samples are cut from clips (stored in a run's config.json)."""

    sensor: str = "hd"
    size: int = 64
    n_bins: int = 5
    window_us: int = 33_000
    target: str = "rgb"
    gamma: float = 2.2
    """Display gamma of the grey images: linear intensity = ``grey ** gamma``."""
    alphas_rad_s: tuple[float, ...] = ALPHA_GRID_RAD_S

    def __post_init__(self) -> None:
        check_sensor(self.sensor)
        if self.target not in TARGETS:
            raise ParameterError(f"target must be one of {TARGETS}, not {self.target!r}")
        if self.size < 16 or self.n_bins < 1 or self.window_us <= 0:
            raise ParameterError(f"need size >= 16, n_bins >= 1, window_us > 0 (got {self.size}, {self.n_bins}, {self.window_us})")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ReconSpec":
        names = {f.name for f in fields(cls)}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names}
        return cls(**kw)


@dataclass
class ReconSamples:
    """Stacked samples (N first) with per-sample metadata."""

    voxel: np.ndarray  # float32 (N, n_bins, S, S)
    key: np.ndarray  # float32 (N, S, S)
    target: np.ndarray  # float32 (N, S, S)
    counts: np.ndarray  # float16 (N, n_alpha, 2, S, S)
    t_us: np.ndarray  # int64 (N,)
    seq: np.ndarray  # int64 (N,): position of the sample in its clip
    meta: dict[str, np.ndarray] = field(default_factory=dict)  # clip_id, subject, lighting, sensor

    def __len__(self) -> int:
        return int(self.target.shape[0])

    def clip_slices(self) -> list[np.ndarray]:
        """Indices of each clip's samples, in time order (clips in first-appearance order)."""
        ids = self.meta["clip_id"]
        order = list(dict.fromkeys(ids.tolist()))
        return [np.flatnonzero(ids == c) for c in order]

    @staticmethod
    def concatenate(parts: Sequence["ReconSamples"]) -> "ReconSamples":
        if not parts:
            raise DatasetError("no reconstruction samples: every clip was too short or empty")
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        meta = {k: np.concatenate([p.meta[k] for p in parts]) for k in parts[0].meta}
        return ReconSamples(cat("voxel"), cat("key"), cat("target"), cat("counts"), cat("t_us"), cat("seq"), meta)


def clip_samples(clip: Clip, spec: ReconSpec, source: Path | str | None = None) -> ReconSamples | None:
    """Cut the samples of one clip (``None`` when it has none: fewer than two usable frames)."""
    sensor = spec.sensor
    require_sensor(clip, sensor, source)
    frames = rgb_frames(clip, source)
    box = face_box(clip, sensor, source)
    hom = homography(clip, sensor, source)
    t_mid = np.asarray(frames.t_us, dtype=np.int64) + np.asarray(frames.exposure_us, dtype=np.int64) // 2
    key_idx = np.searchsorted(t_mid, t_mid - spec.window_us, side="right") - 1
    chosen = np.flatnonzero((key_idx >= 0) & (t_mid - spec.window_us >= 0))
    if chosen.size == 0:
        return None
    used = np.unique(np.concatenate([chosen, key_idx[chosen]]))
    gray = {i: g for i, g in zip(used, register_to_box(to_gray(frames.data[used]), hom, box, spec.size))}
    key = np.stack([gray[key_idx[i]] for i in chosen])
    t_target = t_mid[chosen]
    if spec.target == "rgb":
        target = np.stack([gray[i] for i in chosen])
    else:
        target = _truth_targets(clip, spec, box, t_target, gray, t_mid, source)
    events = crop(clip.events[sensor], box)
    crop_size = (box[2], box[3])
    voxel = np.stack([
        to_voxel_grid(events, crop_size, spec.n_bins, int(t - spec.window_us), int(t)) for t in t_target
    ])
    counts = np.stack([
        np.stack([leaky_counts(events, crop_size, int(t_mid[key_idx[i]]), int(t_mid[i]), a) for a in spec.alphas_rad_s])
        for i in chosen
    ])
    n = chosen.size
    meta = {
        "clip_id": np.full(n, clip.clip_id, dtype=object),
        "subject": np.full(n, clip.subject, dtype=object),
        "lighting": np.full(n, clip.lighting, dtype=object),
        "sensor": np.full(n, sensor, dtype=object),
    }
    return ReconSamples(
        voxel=resize_area(voxel, spec.size),
        key=key.astype(np.float32),
        target=target.astype(np.float32),
        counts=resize_area(counts, spec.size).astype(np.float16),
        t_us=t_target,
        seq=np.arange(n, dtype=np.int64),
        meta=meta,
    )


def _truth_targets(clip: Clip, spec: ReconSpec, box: Box, t_target: np.ndarray, gray: dict[int, np.ndarray],
                   t_mid: np.ndarray, source: Path | str | None) -> np.ndarray:
    truth = clip.truth.get(spec.sensor)
    if truth is None or len(truth.t_us) == 0:
        raise DatasetError(where(source, f"target 'truth' needs truth frames of sensor {spec.sensor!r} (synthetic clips only)"))
    x0, y0, w, h = box
    tt = np.asarray(truth.t_us, dtype=np.int64)

    def nearest(ts: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(tt, ts), 1, len(tt) - 1) if len(tt) > 1 else np.zeros(len(ts), np.int64)
        if len(tt) > 1:
            i = np.where(np.abs(tt[i - 1] - ts) <= np.abs(tt[i] - ts), i - 1, i)
        return i

    def truth_at(ts: np.ndarray) -> np.ndarray:
        return resize_area(truth.data[nearest(ts), y0 : y0 + h, x0 : x0 + w], spec.size).astype(np.float64)

    # Per-clip gain on linear intensity from the RGB frames to the truth's scale (least squares).
    idx = np.array(sorted(gray))
    rgb_lin = np.stack([gray[i] for i in idx]).astype(np.float64) ** spec.gamma
    tr = truth_at(t_mid[idx])
    gain = float((rgb_lin * tr).sum() / max((tr * tr).sum(), 1e-12))
    return np.clip(gain * truth_at(t_target), 0.0, 1.0) ** (1.0 / spec.gamma)


def build_samples(
    root: str | Path,
    rows: Sequence[dict[str, Any]],
    spec: ReconSpec,
    progress: Callable[[int, int], None] | None = None,
) -> ReconSamples:
    """Samples of every clip in ``rows`` (manifest rows of the dataset folder ``root``)."""
    root = Path(root)
    parts = []
    for k, row in enumerate(rows):
        path = root / row["file"]
        clip = read_view(path, spec.sensor, frames=True, truth=spec.target == "truth")
        s = clip_samples(clip, spec, source=path)
        if s is not None:
            parts.append(s)
        if progress is not None:
            progress(k + 1, len(rows))
    return ReconSamples.concatenate(parts)
