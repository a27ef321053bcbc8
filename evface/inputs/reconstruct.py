"""Reconstruction samples of three protocols, on one target grid shared by the hd and lr sensors.

Every sample asks for the clean face intensity at a time ``t`` (a truth-frame time). What a
method may use depends on the protocol (:data:`PROTOCOLS`):

- ``extrapolation``: one RGB keyframe at the start of the clip (the neutral face) and the events
  from its mid-exposure ``t_key`` up to ``t``. The sample times are a grid of ``step_us`` through
  the annotated apex (``t = apex + k * step_us``, snapped to truth frames, ``t_key < t <=
  duration``), so the horizon ``t - t_key`` runs across onset, apex and offset;
- ``interpolation``: the last RGB frame whose mid-exposure is at or before ``t`` (the keyframe)
  and the events since; ``t`` runs over every ``stride``-th truth frame strictly between two
  consecutive RGB frames within the expression (onset - one frame .. offset);
- ``events-only``: the extrapolation samples without any keyframe (the models do not see ``key``;
  it stays in the samples for the keyframe-copy reference).

**One grid for both sensors.** The target is the ``hd`` truth (the clean lux image the hd sensor
saw) inside hd's face box, resampled to ``size x size`` by pixel averaging, mapped to the RGB
frames' tone scale (a per-clip least-squares gain on linear intensity, then the display gamma)
-- for either sensor. The keyframe and the RGB frames come from the RGB camera framed like hd
(:func:`~evface.inputs.clip_view.frame_stream`; on a clip with one RGB camera, ``rgb``
registered onto hd's face box with ``calibration["homography"]["hd"]``). Only the events change
with the sensor: they are cut in that sensor's face box (the same face region) and resampled to
the grid, in events per sensor pixel. So the hd and lr samples of a clip have identical targets,
keyframes and RGB frames.

Per sample (images float32 in [0, 1] unless said):

- ``voxel`` (n_bins, S, S) float16: voxel grid of the events since the previous sample of the
  clip (the first: since ``t_key``; interpolation: since ``t_key``), for recurrent models;
- ``hist`` (n_alpha, 2, S, S) float16: ON/OFF event counts since ``t_key`` leaked at each rate of
  ``alphas_rad_s`` (:func:`evface.events.integration.leaky_counts`): the long event history.
  Either is float32 in a clip where one of its values exceeds float16's 65504 (a hot pixel's
  count over a long history; :func:`compact`), and in samples of several clips with such a clip;
- ``key``: the keyframe; ``rgb_a``, ``rgb_b``: the two RGB frames an RGB-only method may use
  (extrapolation: the last two frames with mid-exposure <= t; interpolation: the frames before
  and after ``t``), their mid-exposure times in ``t_a``/``t_b``;
- ``target``; ``t_us``; ``t_key_us``; ``seq`` (position in the clip, time order) and ``meta``
  (clip_id, subject, lighting, sensor, aus as ``"1+2"``, target: ``"truth"`` or, for a recording,
  ``"rgb"``, onset_us, apex_us, offset_us).

**Recordings** (clips without truth frames: ``evface import session``, ``evface import corpus``)
are scored against their own RGB frames: the sample times are frame mid-exposures (extrapolation
and events-only; a recording has nothing between its frames to score interpolation on), the
target is the frame at ``t`` (the RGB camera's own face box on the grid, so no hd sensor is
needed), and ``rgb_a``/``rgb_b`` are the last two frames *before* ``t``. Its annotated onset,
apex and offset stand for the mid-exposures of the frames that show them (the grid runs through
the apex frame's; ``meta`` holds these times).

This module cuts one clip's samples (:func:`clip_samples`); a dataset's, in memory or written to
a folder as they are decoded, are :mod:`evface.inputs.recon_dataset`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import MAX_GRID_SIDE, MAX_INT, MAX_TIME_BINS, as_int, as_path, as_real, real_dtype
from evface.errors import DatasetError, ParameterError, choose_from, counted, where
from evface.events.integration import leaky_counts
from evface.events.ops import crop
from evface.events.representations import to_voxel_grid
from evface.inputs.clip_view import (
    RECORDED_PRESET, check_sensor, face_box, frame_stream, homography, register_to_box, require_sensor,
    resize_area, rgb_frames, to_gray,
)
from evface.io.clip_reader import read_clip, read_clip_meta
from evface.io.clip_schema import Clip

PROTOCOLS = ("extrapolation", "interpolation", "events-only")
NOTHING_TO_INTERPOLATE = "a recording (no truth frames) has no frames between its RGB frames to score interpolation on"
"""Why a recording's clip has no ``interpolation`` samples."""
NO_INTERPOLATION = f"{NOTHING_TO_INTERPOLATE}; use --protocol extrapolation or events-only"
"""The refusal of :func:`clip_samples` on such a clip (a training refuses such a dataset before any work)."""
GRID_SENSOR = "hd"
"""The sensor whose face box and truth define the target grid of every sensor."""
RGB_PRESET = RECORDED_PRESET
"""The RGB camera (preset) whose frames are the keyframes and the RGB-only baselines' input."""


@dataclass(frozen=True)
class ReconSpec:
    """How samples are cut from clips (stored in a run's config.json).

    ``size`` is 16 to :data:`~evface.checks.MAX_GRID_SIDE` (1024) and ``n_bins`` at most
    :data:`~evface.checks.MAX_TIME_BINS` (256), ``step_us`` and ``stride`` 1 to
    :data:`~evface.checks.MAX_INT` (2^31 - 1), as ``evface train reconstruct`` takes them.

    Parameters
    ----------
    sensor : {'hd', 'lr'}, default 'hd'
        The event sensor whose events the samples hold (the target grid is the same for both).
    protocol : {'extrapolation', 'interpolation', 'events-only'}, default 'extrapolation'
        Which frames a method may see and when the samples are (:data:`PROTOCOLS`).
    size : int, default 128
        Side of the square target grid, pixels.
    n_bins : int, default 5
        Time bins of each sample's voxel grid.
    step_us : int, default 50000
        Extrapolation / events-only: spacing of the sample times through the apex, µs.
    stride : int, default 1
        Interpolation: every ``stride``-th truth frame between two RGB frames.
    gamma : float, default 2.2
        Display gamma of the grey images: linear intensity = ``grey ** gamma``.
    alphas_rad_s : tuple of float, default (0, 10 pi)
        Leak rates (rad/s) of the event-history counts ``hist``; 0 counts without leaking.

    Examples
    --------
    >>> spec = ReconSpec(sensor="lr", size=32)
    >>> spec.to_dict()["alphas_rad_s"], ReconSpec.from_dict(spec.to_dict()) == spec, spec.keyframe
    ([0.0, 31.41592653589793], True, True)
    >>> ReconSpec(size=8)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: size must be in [16, 1024], got 8
    >>> ReconSpec(gamma=float("nan"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: gamma must be a finite number > 0, got nan
    >>> ReconSpec(step_us=3_000_000_000)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: step_us must be in [1, 2147483647], got 3000000000
    """

    sensor: str = "hd"
    protocol: str = "extrapolation"
    size: int = 128
    n_bins: int = 5
    step_us: int = 50_000
    """Extrapolation / events-only: spacing of the sample times through the apex."""
    stride: int = 1
    """Interpolation: every ``stride``-th truth frame between two RGB frames."""
    gamma: float = 2.2
    """Display gamma of the grey images: linear intensity = ``grey ** gamma``."""
    alphas_rad_s: tuple[float, ...] = (0.0, 10 * np.pi)

    def __post_init__(self) -> None:
        check_sensor(self.sensor)
        if self.protocol not in PROTOCOLS:
            raise ParameterError(f"protocol must be one of the protocols, not {self.protocol!r}; {choose_from(PROTOCOLS)}")
        for name, least, most in (("size", 16, MAX_GRID_SIDE), ("n_bins", 1, MAX_TIME_BINS),
                                  ("step_us", 1, MAX_INT), ("stride", 1, MAX_INT)):
            object.__setattr__(self, name, as_int(name, getattr(self, name), least, most))  # 8.0 stored as 8
        object.__setattr__(self, "gamma", as_real("gamma", self.gamma, 0.0, math.inf, low_open=True))
        alphas = self.alphas_rad_s
        if isinstance(alphas, (str, bytes)) or not isinstance(alphas, (Sequence, np.ndarray)) or len(alphas) == 0:
            raise ParameterError(f"alphas_rad_s must be a sequence of one or more leak rates, got {alphas!r}")
        object.__setattr__(self, "alphas_rad_s",  # a tuple, as from_dict makes: the spec stays hashable
                           tuple(as_real(f"alphas_rad_s[{i}]", a, 0.0, math.inf) for i, a in enumerate(alphas)))

    @property
    def keyframe(self) -> bool:
        """Whether methods may see the keyframe."""
        return self.protocol != "events-only"

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, as a run's ``config.json`` holds them (``alphas_rad_s`` as a list).

        Returns
        -------
        dict
            Every field by name.
        """
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReconSpec:
        """The spec held by a dict such as :meth:`to_dict` writes (keys that are not fields are ignored).

        Parameters
        ----------
        d : dict
            Fields by name; lists become tuples.

        Returns
        -------
        ReconSpec
            Checked as the constructor checks it.
        """
        names = {f.name for f in fields(cls)}
        given: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names}
        return cls(**given)


ARRAYS = ("voxel", "hist", "key", "rgb_a", "rgb_b", "target", "t_us", "t_key_us", "t_a", "t_b", "seq")


@dataclass
class ReconSamples:
    """Stacked samples (N first) with per-sample metadata.

    What each array holds is in the module docstring; ``S`` is the grid side (:attr:`ReconSpec.size`).

    Parameters
    ----------
    voxel : ndarray of float16, shape (N, n_bins, S, S)
        Voxel grid of the events since the previous sample of the clip (float32 where a count
        exceeds float16's range: :func:`compact`).
    hist : ndarray of float16, shape (N, n_alpha, 2, S, S)
        ON/OFF event counts since the keyframe, leaked at each rate (float32 as ``voxel``).
    key : ndarray of float32, shape (N, S, S)
        The keyframe.
    rgb_a : ndarray of float32, shape (N, S, S)
        The earlier RGB frame an RGB-only method may use.
    rgb_b : ndarray of float32, shape (N, S, S)
        The later RGB frame an RGB-only method may use.
    target : ndarray of float32, shape (N, S, S)
        The image to reconstruct.
    t_us : ndarray of int64, shape (N,)
        The sample's time, µs.
    t_key_us : ndarray of int64, shape (N,)
        The keyframe's mid-exposure, µs.
    t_a : ndarray of int64, shape (N,)
        ``rgb_a``'s mid-exposure, µs.
    t_b : ndarray of int64, shape (N,)
        ``rgb_b``'s mid-exposure, µs.
    seq : ndarray of int64, shape (N,)
        Position of the sample in its clip, in time order.
    meta : dict of str to ndarray, optional
        Per-sample metadata (clip_id, subject, lighting, sensor, aus, target, onset_us, apex_us,
        offset_us), each of length N.

    Examples
    --------
    Three samples of two clips (zeros but for their times):

    >>> s = ReconSamples(**{name: np.zeros(3, np.int64) for name in ARRAYS},
    ...                  meta={"clip_id": np.array(["a", "b", "a"], object), "subject": np.array(["s1", "s2", "s1"], object)})
    >>> s.t_us[:], s.t_key_us[:] = [300, 500, 700], 100
    >>> len(s), s.horizon_us.tolist(), [i.tolist() for i in s.clip_slices()], s.of_subjects(["s2"]).tolist()
    (3, [200, 400, 600], [[0, 2], [1]], [1])
    >>> s.select(s.meta["subject"] == "s1").t_us.tolist()
    [300, 700]
    """

    voxel: np.ndarray  # float16 (N, n_bins, S, S), or float32 (see the module docstring)
    hist: np.ndarray  # float16 (N, n_alpha, 2, S, S), or float32
    key: np.ndarray  # float32 (N, S, S)
    rgb_a: np.ndarray  # float32 (N, S, S)
    rgb_b: np.ndarray  # float32 (N, S, S)
    target: np.ndarray  # float32 (N, S, S)
    t_us: np.ndarray  # int64 (N,)
    t_key_us: np.ndarray  # int64 (N,)
    t_a: np.ndarray  # int64 (N,)
    t_b: np.ndarray  # int64 (N,)
    seq: np.ndarray  # int64 (N,): position of the sample in its clip
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.target.shape[0])

    @property
    def horizon_us(self) -> np.ndarray:
        """Time from the keyframe to the target, per sample."""
        return self.t_us - self.t_key_us

    def clip_slices(self) -> list[np.ndarray]:
        """Indices of each clip's samples, in time order (clips in first-appearance order).

        Returns
        -------
        list of ndarray of int
            One index array per clip, by ``meta["clip_id"]``.
        """
        ids = self.meta["clip_id"]
        order = list(dict.fromkeys(ids.tolist()))
        return [np.flatnonzero(ids == c) for c in order]

    def select(self, idx: np.ndarray) -> ReconSamples:
        """The samples ``idx`` (an index array or a boolean mask), in that order.

        Parameters
        ----------
        idx : ndarray of int or ndarray of bool
            Indices of the samples, or a mask of length N.

        Returns
        -------
        ReconSamples
            Those samples and their metadata (read into memory from memory-mapped arrays).
        """
        return ReconSamples(**{name: getattr(self, name)[idx] for name in ARRAYS},
                            meta={k: v[idx] for k, v in self.meta.items()})

    def of_subjects(self, subjects: Sequence[str]) -> np.ndarray:
        """Indices of the samples whose subject is one of ``subjects``.

        Parameters
        ----------
        subjects : sequence of str
            Subject ids, as ``meta["subject"]`` holds them.

        Returns
        -------
        ndarray of int
            The indices, in order.
        """
        return np.flatnonzero(np.isin(self.meta["subject"].astype(str), np.asarray(list(subjects), dtype=str)))

    @staticmethod
    def load(folder: str | Path) -> ReconSamples:
        """Samples written by :func:`~evface.inputs.recon_dataset.write_samples`, their arrays memory-mapped
        (:meth:`select` reads what it takes); ``folder`` a path (else a ParameterError naming it).

        Parameters
        ----------
        folder : str or Path
            The folder ``write_samples`` wrote.

        Returns
        -------
        ReconSamples
            Its arrays memory-mapped read-only, its metadata in memory (text as object arrays).
        """
        folder = as_path("folder", folder)
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAYS}
        meta = {}
        for path in sorted(folder.glob("meta.*.npy")):
            value = np.load(path, allow_pickle=False)
            meta[path.name[len("meta."):-len(".npy")]] = value.astype(object) if value.dtype.kind == "U" else value
        return ReconSamples(**arrays, meta=meta)

    @staticmethod
    def concatenate(parts: Sequence[ReconSamples]) -> ReconSamples:
        """The samples of ``parts`` one after the other (a float16 ``voxel`` or ``hist`` beside a
        float32 one becomes float32); no parts is a DatasetError.

        Parameters
        ----------
        parts : sequence of ReconSamples
            Samples with the same metadata keys, such as :func:`clip_samples` cuts.

        Returns
        -------
        ReconSamples
            Every sample of ``parts``, in order.
        """
        if not parts:
            raise DatasetError("no reconstruction samples: every clip was too short or empty")
        arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in ARRAYS}
        meta = {k: np.concatenate([p.meta[k] for p in parts]) for k in parts[0].meta}
        return ReconSamples(**arrays, meta=meta)


NEEDS = {
    "extrapolation": "a truth frame (a recording: an RGB frame) after its first RGB frame's mid-exposure, on the "
                     "--step-us grid through the apex",
    "interpolation": "a truth frame between two of its RGB frames within the expression (a recording has none)",
}
"""What a clip needs for one sample, by protocol (``events-only``: as ``extrapolation``)."""


def later_truth(clip: Clip, source: Path | str | None = None) -> bool:
    """Whether ``clip`` has a truth frame (a recording: an RGB frame) after its first RGB frame's
    mid-exposure, and that mid-exposure lies within the clip: what a finer ``--step-us`` can give an
    extrapolation or events-only sample. A clip without one (a recording's clip of one RGB frame)
    has no sample of any protocol, at any step.

    Parameters
    ----------
    clip : Clip
        The clip (:func:`read_samples_clip`).
    source : str or Path, optional
        Its file, named by an error.

    Returns
    -------
    bool

    Examples
    --------
    >>> from evface.io.clip_schema import FrameSeries
    >>> def recording(n):  # n RGB frames, 30 per s, no truth frames
    ...     t = np.arange(n) * 33_333
    ...     frames = FrameSeries(np.zeros((n, 4, 4, 3), np.uint8), t, np.full(n, 10_000))
    ...     return Clip("c", "s", "AU4", [4], "dim", 0, 0, 0, int(t[-1]) + 33_333, frames={"rgb": frames})
    >>> later_truth(recording(1)), later_truth(recording(2))
    (False, True)
    """
    frames = rgb_frames(clip, source, frame_stream(clip, GRID_SENSOR, RGB_PRESET, source))
    t_mid = np.asarray(frames.t_us, np.int64) + np.asarray(frames.exposure_us, np.int64) // 2
    truth = clip.truth.get(GRID_SENSOR)
    t_truth = np.asarray(truth.t_us, np.int64) if truth is not None and len(truth.t_us) else t_mid
    return bool(t_mid[0] < clip.duration_us and np.any(t_truth > t_mid[0]))


def no_samples(root: str | Path, rows: Sequence[Mapping[str, Any]], spec: ReconSpec,
               remedy: str | None = None, finer_helps: bool = True) -> DatasetError:
    """The refusal of a dataset none of whose clips ``rows`` (manifest rows of the dataset folder
    ``root``) has a sample of ``spec``: one line naming the folder, the shortest and longest clip,
    what each protocol needs and ``remedy`` (default: a training's options; was: "every clip was
    too short or empty", naming neither). Where no clip has a truth frame after its first RGB
    frame's mid-exposure (``finer_helps`` False, :func:`later_truth`), it says that its clips are too
    short for any sample, and no other ``--step-us`` or ``--protocol`` (was: advised, which could not help).

    Parameters
    ----------
    root : str or Path
        The dataset folder, named in the message.
    rows : sequence of dict
        Its manifest rows (each with ``duration_us``).
    spec : ReconSpec
        The samples asked for.
    remedy : str, optional
        The message's last clause, what to do (default: change a training's options).
    finer_helps : bool, optional
        Whether some clip has a truth frame after its first RGB frame's mid-exposure (:func:`later_truth`).

    Returns
    -------
    DatasetError
        The error, to raise.

    Examples
    --------
    >>> rows = [{"duration_us": 20_000}, {"duration_us": 31_500}]
    >>> print(no_samples("data", rows, ReconSpec(protocol="interpolation")))
    data: no interpolation samples in its 2 clips (20.0 to 31.5 ms long): interpolation needs a truth frame \
between two of its RGB frames within the expression (a recording has none); extrapolation and events-only need a \
truth frame (a recording: an RGB frame) after its first RGB frame's mid-exposure, on the --step-us grid through the \
apex (now 50000 µs); use a dataset of longer clips or another --protocol
    >>> print(no_samples("data", [{"duration_us": 33_333}] * 3, ReconSpec(), finer_helps=False))
    data: no extrapolation samples in its 3 clips (33.3 to 33.3 ms long): they are too short for any sample, at any --step-us and of any --protocol: none has a truth frame (a recording: an RGB frame) after its first RGB frame's mid-exposure; use a dataset of longer clips (a recording's: widen their windows in the annotation table)
    """
    ms = [int(r["duration_us"]) / 1000 for r in rows] or [0.0]
    if not finer_helps:
        return DatasetError(where(root, (
            f"no {spec.protocol} samples in its {counted(len(rows), 'clip')} ({min(ms):.1f} to {max(ms):.1f} ms long): "
            "they are too short for any sample, at any --step-us and of any --protocol: none has a truth frame "
            "(a recording: an RGB frame) after its first RGB frame's mid-exposure; "
            + (remedy or "use a dataset of longer clips (a recording's: widen their windows in the annotation table)"))))
    step = ", a smaller --step-us" if spec.protocol != "interpolation" else ""
    remedy = remedy or f"use a dataset of longer clips{step} or another --protocol"
    return DatasetError(where(root, (
        f"no {spec.protocol} samples in its {counted(len(rows), 'clip')} ({min(ms):.1f} to {max(ms):.1f} ms long): "
        f"interpolation needs {NEEDS['interpolation']}; extrapolation and events-only need {NEEDS['extrapolation']} "
        f"(now {spec.step_us} µs); {remedy}")))


def sample_times(clip: Clip, spec: ReconSpec, t_frames: np.ndarray, t_truth: np.ndarray) -> np.ndarray:
    """The sample times of a clip: truth-frame times chosen by the protocol (see the module docstring).

    Parameters
    ----------
    clip : Clip
        The clip (its annotated onset, apex, offset and duration).
    spec : ReconSpec
        The protocol, ``step_us`` and ``stride``.
    t_frames : ndarray of int
        Mid-exposure times of its RGB frames, µs, in order.
    t_truth : ndarray of int
        Times of its truth frames, µs, in order (a recording: its RGB frames' mid-exposures).

    Returns
    -------
    ndarray of int64
        The sample times, µs, in order; empty when the clip has none.

    Examples
    --------
    Truth frames every 10 ms, apex at 250 ms. Extrapolation steps 100 ms through the apex after
    the first RGB frame; interpolation takes every third truth frame between two RGB frames:

    >>> clip = Clip("c", "s", "AU12", [12], "dim", 0, 250_000, 450_000, 500_000)
    >>> t_truth = np.arange(0, 500_000, 10_000)
    >>> sample_times(clip, ReconSpec(step_us=100_000), np.array([5_000, 105_000]), t_truth).tolist()
    [50000, 150000, 250000, 350000, 450000]
    >>> rgb = np.array([205_000, 255_000, 305_000])
    >>> sample_times(clip, ReconSpec(protocol="interpolation", stride=3), rgb, t_truth).tolist()
    [210000, 240000, 260000, 290000]
    """
    if spec.protocol == "interpolation":
        lo, hi = clip.onset_us - (t_frames[1] - t_frames[0] if len(t_frames) > 1 else 0), clip.offset_us
        inside = [t_truth[(t_truth > a) & (t_truth < b)][:: spec.stride] for a, b in pairwise(t_frames)
                  if b >= lo and a <= hi]
        return np.unique(np.concatenate(inside)) if inside else np.zeros(0, np.int64)
    k = np.arange(-(clip.apex_us // spec.step_us) - 1, (clip.duration_us - clip.apex_us) // spec.step_us + 2)
    wanted = clip.apex_us + k * spec.step_us
    wanted = wanted[(wanted > t_frames[0]) & (wanted <= clip.duration_us)]
    snapped = np.unique(t_truth[_nearest(t_truth, wanted)])
    return snapped[snapped > t_frames[0]]


def _nearest(t_sorted: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Index of the value of ``t_sorted`` nearest each of ``ts`` (ties: the earlier)."""
    if len(t_sorted) == 1:
        return np.zeros(len(ts), np.int64)
    i = np.clip(np.searchsorted(t_sorted, ts), 1, len(t_sorted) - 1)
    return np.where(np.abs(t_sorted[i - 1] - ts) <= np.abs(t_sorted[i] - ts), i - 1, i)


def _grid_frames(clip: Clip, size: int, source: Path | str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey RGB frames of the hd-framed camera on the grid, their exposure starts and their mid-exposure times."""
    stream = frame_stream(clip, GRID_SENSOR, RGB_PRESET, source)
    frames = rgb_frames(clip, source, stream)
    gray = to_gray(frames.data)
    if stream in clip.calibration.get("face_box", {}):  # a camera framed like hd, or a recording's: its own box
        x0, y0, w, h = face_box(clip, stream, source)
        grid = np.clip(resize_area(gray[:, y0 : y0 + h, x0 : x0 + w], size), 0.0, 1.0)
    else:
        box = face_box(clip, GRID_SENSOR, source)
        grid = register_to_box(gray, homography(clip, GRID_SENSOR, source), box, size)
    t_start = np.asarray(frames.t_us, np.int64)
    return grid.astype(np.float32), t_start, t_start + np.asarray(frames.exposure_us, np.int64) // 2


def _phases_at_frames(clip: Clip, t_start: np.ndarray, t_mid: np.ndarray) -> Clip:
    """``clip`` with each annotated time (onset, apex, offset) moved to the mid-exposure of the frame
    that shows it, the last one whose exposure starts at or before it: a recording's annotated
    frame starts its exposure at the time, and as samples are frame mid-exposures, the apex lay
    halfway between the apex frame's and the frame before it when the exposure is the frame period
    (the default), and the sample grid and the phase scores took either by a microsecond's rounding.

    Examples
    --------
    >>> clip = Clip("c", "s", "AU4", [4], "office", 66_733, 133_467, 200_200, 300_300)
    >>> starts = np.array([0, 33_367, 66_733, 100_100, 133_467, 166_834, 200_200])
    >>> moved = _phases_at_frames(clip, starts, starts + 16_683)
    >>> moved.onset_us, moved.apex_us, moved.offset_us
    (83416, 150150, 216883)
    """
    frame = np.maximum(np.searchsorted(t_start, [clip.onset_us, clip.apex_us, clip.offset_us], side="right") - 1, 0)
    onset, apex, offset = (int(t) for t in t_mid[frame])
    return replace(clip, onset_us=onset, apex_us=apex, offset_us=offset)


def _truth_target(clip: Clip, t: np.ndarray, t_mid: np.ndarray, gray: np.ndarray, spec: ReconSpec,
                  source: Path | str | None) -> np.ndarray:
    """The grid sensor's truth at times ``t`` in its face box on the grid, in the RGB frames' tone
    scale (one least-squares gain per clip on linear intensity, then the display gamma)."""
    truth = clip.truth[GRID_SENSOR]
    t_truth = np.asarray(truth.t_us, np.int64)
    x0, y0, w, h = face_box(clip, GRID_SENSOR, source)
    truth_grid = resize_area(truth.data[_nearest(t_truth, t), y0 : y0 + h, x0 : x0 + w], spec.size).astype(np.float64)
    truth_at_frames = resize_area(truth.data[_nearest(t_truth, t_mid), y0 : y0 + h, x0 : x0 + w], spec.size)
    lin = gray.astype(np.float64) ** spec.gamma
    gain = float((lin * truth_at_frames).sum() / max(float((truth_at_frames.astype(np.float64) ** 2).sum()), 1e-12))
    return np.clip(gain * truth_grid, 0.0, 1.0) ** (1.0 / spec.gamma)


def clip_samples(clip: Clip, spec: ReconSpec, source: Path | str | None = None) -> ReconSamples | None:
    """Cut the samples of one clip (``None`` when it has none).

    A recording (a clip without the grid sensor's truth frames) is scored against its own RGB
    frames: the sample times are frame mid-exposures, the target is the frame at ``t`` on the grid,
    and the RGB-only methods see only frames before it.

    Parameters
    ----------
    clip : Clip
        The clip, with the events of ``spec.sensor``, the RGB frames and (but for a recording) the
        grid sensor's truth (:func:`read_samples_clip` reads what is needed).
    spec : ReconSpec
        How the samples are cut.
    source : str or Path, optional
        The clip's file, named in errors.

    Returns
    -------
    ReconSamples or None
        The clip's samples in time order, or ``None`` when it has none.

    Examples
    --------
    A recording (no truth frames) of five uniform frames, grey 0, 40, ... 160, and 20 events on
    its 10x8 lr sensor:

    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import FrameSeries, SensorInfo
    >>> frames = FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]),
    ...                      np.arange(5) * 100_000, np.full(5, 10_000))  # mid-exposures 5, 105, ... 405 ms
    >>> events = make_events(np.arange(0, 500_000, 25_000), np.arange(20) % 10, np.arange(20) % 8, np.ones(20))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 250_000, 450_000, 500_000, events={"lr": events},
    ...             sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames},
    ...             calibration={"face_box": {"rgb": [0, 0, 20, 20], "lr": [0, 0, 10, 8]}})
    >>> spec = ReconSpec(sensor="lr", size=16, n_bins=2, step_us=100_000)
    >>> s = clip_samples(clip, spec)
    >>> s.t_us.tolist(), s.t_key_us.tolist(), s.voxel.shape, s.hist.shape
    ([105000, 205000, 305000, 405000], [5000, 5000, 5000, 5000], (4, 2, 16, 16), (4, 2, 2, 16, 16))
    >>> s.target[:, 0, 0].astype(float).round(3).tolist(), s.meta["target"][0]  # the frame at t: 40 / 255, ...
    ([0.157, 0.314, 0.471, 0.627], 'rgb')
    >>> clip_samples(clip, ReconSpec(sensor="lr", size=16, protocol="interpolation"), "c0.h5")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: c0.h5: a recording (no truth frames) has no frames between its RGB frames to score interpolation on; use --protocol extrapolation or events-only
    """
    require_sensor(clip, spec.sensor, source)
    truth = clip.truth.get(GRID_SENSOR)
    recorded = truth is None or len(truth.t_us) == 0
    if recorded and spec.protocol == "interpolation":
        raise DatasetError(where(source, NO_INTERPOLATION))
    gray, t_start, t_mid = _grid_frames(clip, spec.size, source)
    t_truth = np.asarray(truth.t_us, np.int64) if truth is not None and not recorded else t_mid
    phases = _phases_at_frames(clip, t_start, t_mid) if recorded else clip
    t = sample_times(phases, spec, t_mid, t_truth)
    if t.size == 0:
        return None
    # the last frame with mid-exposure <= t (< t on a recording, whose target is the frame at t)
    last = np.searchsorted(t_mid, t, side="left" if recorded else "right") - 1
    if spec.protocol == "interpolation":
        ia, ib = last, np.minimum(last + 1, len(t_mid) - 1)
        key_idx = ia
    else:
        ia, ib = np.maximum(last - 1, 0), last
        key_idx = np.zeros(len(t), np.int64)
    t_key = t_mid[key_idx]
    target = gray[_nearest(t_mid, t)] if recorded else _truth_target(clip, t, t_mid, gray, spec, source)
    sbox = face_box(clip, spec.sensor, source)
    events = crop(clip.events[spec.sensor], sbox)
    size_xy = (sbox[2], sbox[3])
    starts = t_key.copy() if spec.protocol == "interpolation" else np.concatenate([[t_key[0]], t[:-1]])
    voxel = np.stack([to_voxel_grid(events, size_xy, spec.n_bins, int(a), int(b)) for a, b in zip(starts, t, strict=True)])
    hist = np.stack([np.stack([leaky_counts(events, size_xy, int(k), int(b), a) for a in spec.alphas_rad_s])
                     for k, b in zip(t_key, t, strict=True)])
    n = len(t)
    meta: dict[str, np.ndarray] = {
        "clip_id": np.full(n, clip.clip_id, dtype=object),
        "subject": np.full(n, clip.subject, dtype=object),
        "lighting": np.full(n, clip.lighting, dtype=object),
        "sensor": np.full(n, spec.sensor, dtype=object),
        "aus": np.full(n, "+".join(str(a) for a in clip.aus), dtype=object),
        "target": np.full(n, "rgb" if recorded else "truth", dtype=object),
    }
    meta |= {name: np.full(n, int(getattr(phases, name)), dtype=np.int64) for name in ("onset_us", "apex_us", "offset_us")}
    return ReconSamples(
        voxel=compact(resize_area(voxel, spec.size)),
        hist=compact(resize_area(hist, spec.size)),
        key=gray[key_idx], rgb_a=gray[ia], rgb_b=gray[ib], target=target.astype(np.float32),
        t_us=t, t_key_us=t_key, t_a=t_mid[ia], t_b=t_mid[ib], seq=np.arange(n, dtype=np.int64), meta=meta,
    )


def compact(counts: np.ndarray) -> np.ndarray:
    """``counts`` as float16, or as float32 when a value lies beyond float16's range (65504: the
    count of a hot pixel over a long history, which float16 would make ``inf``).

    Counts that are no real numbers, NaN or infinite are a ParameterError naming ``counts``.

    Parameters
    ----------
    counts : ndarray of real numbers
        Event counts, finite.

    Returns
    -------
    ndarray of float16 or ndarray of float32
        The counts, same shape.

    Examples
    --------
    >>> compact(np.array([1.5, 65504.0], np.float32)).dtype, compact(np.array([1.5, 70000.0], np.float32)).tolist()
    (dtype('float16'), [1.5, 70000.0])
    """
    if not isinstance(counts, np.ndarray) or not real_dtype(counts.dtype):
        raise ParameterError(f"counts must be an array of real numbers, got {type(counts).__name__} "
                             f"{getattr(counts, 'dtype', '')}")
    with np.errstate(over="ignore"):  # overflow is what the check below is for
        half = counts.astype(np.float16)
    out = counts.astype(np.float32) if np.isinf(half).any() else half
    if np.isnan(half).any() or (out is not half and not np.isfinite(out).all()):
        raise ParameterError("counts hold NaN or infinite values: no sample stores them")
    return out


def read_samples_clip(path: str | Path, sensor: str) -> Clip:
    """Read what the samples of ``sensor`` need: its events, the frames of the camera framed like
    the grid sensor, and the grid sensor's truth and geometry (not its events).

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensor : {'hd', 'lr'}
        The event sensor whose samples are cut.

    Returns
    -------
    Clip
        The clip with those parts read, and every sensor's geometry.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import FrameSeries, SensorInfo
    >>> from evface.io.clip_writer import write_clip
    >>> frames = FrameSeries(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 500]), np.array([100, 100]))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 500, 900, 1000, frames={"rgb": frames},
    ...             events={"hd": make_events([0], [0], [0], [1]), "lr": make_events([0, 9], [1, 2], [1, 1], [1, -1])},
    ...             sensors={"hd": SensorInfo("hd", 8, 8), "lr": SensorInfo("lr", 4, 4)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read = read_samples_clip(write_clip(Path(folder) / "c0.h5", clip), "lr")
    >>> list(read.events), list(read.frames), sorted(read.sensors)  # hd's geometry, not its events
    (['lr'], ['rgb'], ['hd', 'lr'])
    """
    meta = read_clip_meta(path)
    require_sensor(meta, sensor, path)
    stream = frame_stream(meta, GRID_SENSOR, RGB_PRESET, path)
    clip = read_clip(path, sensors=[sensor], frames=[stream], truth=[GRID_SENSOR])
    clip.sensors = meta.sensors
    return clip
