"""Classifier inputs: face-cropped event frames, RGB frames, RGB differences or onset -> apex motion.

Every input kind goes through the same geometry so that comparisons are fair
(:mod:`evface.inputs.clip_view`): crop the face box of the modality's camera
(:func:`~evface.inputs.clip_view.face_box`), shrink the crop to ``size x size`` by area (box)
averaging, and cut the clip's time window (:func:`~evface.inputs.clip_view.time_window`) into
``T`` equal steps. An RGB input compared with event sensor ``sensor`` reads the RGB camera that
sees the face like that sensor (``hd``: at hd's pixel size; ``lr``: the lr field of view) of the
preset ``rgb_camera`` (:func:`~evface.inputs.clip_view.frame_stream`).

- ``events``: 2-channel (ON, OFF) event counts per step. Events inside the box are binned onto
  the ``size x size`` grid by :func:`evface.events.ops.resample_sensor` (the same box filter as
  area interpolation, but summing integer counts), then :func:`to_event_frames`. Counts stay
  integers so that augmentation can thin or add events exactly; the network sees
  ``log1p(counts)`` (:func:`normalize`).
- ``rgb``: the frame whose exposure centre is nearest each step's centre, grey (1 channel, BT.601
  luma) or colour (3), in [0, 1], fed as direct input at every step.
- ``rgb-diff``: per step, the frame nearest the step's end minus the frame nearest its start (in
  [-1, 1]): the change during the step, the frame-camera analogue of the events in it.
- ``rgb-flow``: one image, the optical flow ``(u, v)`` and optical strain from the onset frame
  (the frame nearest the window's start) to the apex frame (:mod:`evface.inputs.flow`), the
  input of OFF-ApexNet / STSTNet-style models, fed at every step.
- ``events-apex``: one image, the (ON, OFF) event counts from the window's start to the apex,
  the event analogue of ``rgb-flow``, fed at every step.

For ``rgb-flow`` and ``events-apex`` the apex is found in the window from the data itself
(:func:`~evface.inputs.flow.frame_apex_index`, :func:`~evface.inputs.flow.event_apex_us`), or,
with ``oracle_apex``, taken from the annotation (``apex_us``): an upper bound, reported apart.

Augmentation works on these cached arrays (a run preprocesses every clip once): horizontal
flip (which also negates the horizontal flow ``u``) and a small integer shift (exactly
:func:`evface.events.ops.flip_lr` and :func:`evface.events.ops.shift` on the events), and for
event counts independent event drop (binomial thinning of the counts: the distribution of
:func:`evface.events.ops.drop_random`) and uniform noise events (Poisson counts, the dense
analogue of :func:`evface.events.ops.add_uniform_noise`), and EventDrop's drop by time and by
area (Gu et al. 2021: the events of a run of steps, or of a square of the face, removed).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from evface.checks import MAX_SENSOR_SIDE, as_flag, as_int, as_real, real_dtype
from evface.errors import ParameterError
from evface.events.ops import crop, resample_sensor
from evface.events.representations import to_event_frames
from evface.inputs.clip_view import (
    Box, check_sensor, check_window, face_box, frame_stream, read_view, resize_area, rgb_frames, time_window, to_gray,
)
from evface.inputs.flow import event_apex_us, flow_image, frame_apex_index
from evface.io.clip_reader import read_clip_meta
from evface.io.clip_schema import FrameSeries
from evface.sim.rgb import RGB_PRESETS

EVENT_KINDS = ("events", "events-apex")
"""Input kinds made of event counts."""
INPUT_KINDS = (*EVENT_KINDS, "rgb", "rgb-diff", "rgb-flow")


def check_kind(kind: str, name: str = "kind") -> str:
    """``kind`` if it is one of :data:`INPUT_KINDS`, else a ParameterError naming ``name``.

    Examples
    --------
    >>> check_kind("rgb-flow")
    'rgb-flow'
    >>> check_kind("event")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: kind must be one of ('events', 'events-apex', 'rgb', 'rgb-diff', 'rgb-flow'), not 'event'
    """
    if not isinstance(kind, str) or kind not in INPUT_KINDS:
        raise ParameterError(f"{name} must be one of {INPUT_KINDS}, not {kind!r}")
    return kind


@dataclass(frozen=True)
class InputSpec:
    """What the classifier sees: input kind, event sensor (for RGB kinds: the sensor whose view
    the RGB camera matches), ``time_steps`` T, crop ``size``, colour, window, RGB camera preset
    and whether the apex comes from the annotation.

    Examples
    --------
    >>> InputSpec(kind="rgb", color=True).channels, InputSpec(kind="rgb-flow").channels, InputSpec(sensor="lr").camera
    (3, 3, 'lr')
    >>> InputSpec(time_steps=2.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: time_steps must be a whole number, got 2.5
    """

    kind: str = "events"
    sensor: str = "hd"
    time_steps: int = 8
    size: int = 64
    color: bool = False
    window: str = "clip"
    rgb_camera: str = "webcam30"
    oracle_apex: bool = False

    def __post_init__(self) -> None:
        check_kind(self.kind, "input")
        check_sensor(self.sensor)
        check_window(self.window)
        if self.rgb_camera not in RGB_PRESETS:
            raise ParameterError(f"rgb_camera must be one of {sorted(RGB_PRESETS)}, not {self.rgb_camera!r}")
        for name, value in (("time_steps", as_int("time_steps", self.time_steps, 1)),
                            ("size", as_int("size", self.size, 4, MAX_SENSOR_SIDE)),
                            ("color", as_flag("color", self.color)), ("oracle_apex", as_flag("oracle_apex", self.oracle_apex))):
            object.__setattr__(self, name, value)  # 8.0 stored as 8, as the arrays' shapes take it

    @property
    def channels(self) -> int:
        """Channels per time step."""
        if self.kind in EVENT_KINDS:
            return 2
        return 3 if (self.color or self.kind == "rgb-flow") else 1

    @property
    def camera(self) -> str:
        """The camera this input comes from: the event sensor, or ``"rgb"`` for frame inputs."""
        return self.sensor if self.kind in EVENT_KINDS else "rgb"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def event_input(events: np.ndarray, box: Box, spec: InputSpec, t0: int, t1: int) -> np.ndarray:
    """Event counts (T, 2, size, size) of the events inside ``box``.

    Examples
    --------
    Two of the events lie in the 8x8 box at (8, 8), both in the first half of the window:

    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 100, 600, 900], [10, 12, 17, 30], [10, 11, 13, 10], [1, -1, 1, 1])
    >>> x = event_input(ev, (8, 8, 8, 8), InputSpec(time_steps=2, size=4), 0, 1000)
    >>> x.shape, x.sum(axis=(2, 3)).tolist()  # (ON, OFF) counts per step
    ((2, 2, 4, 4), [[1.0, 1.0], [0.0, 0.0]])
    """
    inside = crop(events, box)
    grid = resample_sensor(inside, (box[2], box[3]), (spec.size, spec.size))
    return to_event_frames(grid, (spec.size, spec.size), spec.time_steps, t0, t1)


def _step_frames(frames: FrameSeries, times_us: np.ndarray) -> np.ndarray:
    """Index of the frame whose exposure centre is nearest each of ``times_us``."""
    return np.abs(_frame_centres(frames)[None, :] - times_us[:, None]).argmin(axis=1)


def _crop_frames(frames: FrameSeries, idx: np.ndarray, box: Box, spec: InputSpec) -> np.ndarray:
    """Frames ``idx`` cropped to ``box`` and shrunk to (n, C, size, size) in [0, 1]."""
    x, y, w, h = box
    data = np.asarray(frames.data)[idx][:, y:y + h, x:x + w]
    if not spec.color:
        return np.clip(resize_area(to_gray(data), spec.size), 0.0, 1.0)[:, None]
    if data.ndim == 3:  # grey camera: replicate to three channels
        data = np.repeat(data[..., None], 3, axis=-1)
    img = np.moveaxis(data.astype(np.float32) / 255.0, -1, 1)
    return np.clip(resize_area(img, spec.size), 0.0, 1.0)


def event_apex_input(events: np.ndarray, box: Box, spec: InputSpec, t0: int, t1: int,
                     apex_us: int | None = None) -> np.ndarray:
    """Event counts (T, 2, size, size) of the events inside ``box`` from ``t0`` to the apex.

    The apex is ``apex_us`` when given, else found in ``[t0, t1)`` (:func:`event_apex_us`: ``t0``
    itself when the events show no change, which leaves the events of ``t0``'s microsecond only);
    the one count image is repeated over the ``T`` steps.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 100, 300, 900], [10, 12, 9, 11], [10, 11, 13, 10], [1, -1, 1, 1])
    >>> x = event_apex_input(ev, (8, 8, 8, 8), InputSpec(kind="events-apex", time_steps=2, size=4), 0, 1000, apex_us=500)
    >>> x.shape, x.sum(axis=(2, 3)).tolist()  # the events before the apex, at every step
    ((2, 2, 4, 4), [[2.0, 1.0], [2.0, 1.0]])
    """
    grid = resample_sensor(crop(events, box), (box[2], box[3]), (spec.size, spec.size))
    apex = event_apex_us(grid, (spec.size, spec.size), t0, t1) if apex_us is None else int(apex_us)
    counts = to_event_frames(grid, (spec.size, spec.size), 1, t0, max(apex, t0 + 1))
    return np.repeat(counts, spec.time_steps, axis=0)


def _frame_centres(frames: FrameSeries) -> np.ndarray:
    return np.asarray(frames.t_us, dtype=np.float64) + np.asarray(frames.exposure_us, dtype=np.float64) / 2


def flow_input(frames: FrameSeries, box: Box, spec: InputSpec, t0: int, t1: int,
               apex_us: int | None = None) -> np.ndarray:
    """Flow and strain (T, 3, size, size) from the onset frame to the apex frame of ``[t0, t1]``.

    The onset frame is the one whose exposure centre is nearest ``t0``; the apex frame the one
    nearest ``apex_us`` when given, else the frame of the window (exposure centre in
    ``(onset, t1]``) that differs most from the onset (:func:`frame_apex_index`; the onset itself,
    so no flow, when the window holds no later frame). The flow image is repeated over the ``T``
    steps.

    Examples
    --------
    A pattern moves 2 px right and back; at 16 px the flow to the apex is 1 px:

    >>> yy, xx = np.mgrid[0:32, 0:32]
    >>> data = np.stack([(127 + 60 * np.sin((xx - s) / 3.0) * np.cos(yy / 4.0)).astype(np.uint8) for s in (0, 2, 0)])
    >>> frames = FrameSeries(data, np.array([0, 400, 800]), np.array([100, 100, 100]))
    >>> spec = InputSpec(kind="rgb-flow", time_steps=2, size=16)
    >>> x = flow_input(frames, (0, 0, 32, 32), spec, 0, 1000)
    >>> x.shape, round(float(np.median(x[0, 0, 4:12, 4:12])), 1), bool((x[0] == x[1]).all())
    ((2, 3, 16, 16), 1.0, True)
    >>> x = flow_input(frames, (0, 0, 32, 32), spec, 0, 1000, apex_us=850)  # the annotated apex: the last frame
    >>> round(float(np.abs(np.median(x[0, 0, 4:12, 4:12]))), 1)
    0.0
    """
    centre = _frame_centres(frames)
    x, y, w, h = box
    faces = np.asarray(frames.data)[:, y:y + h, x:x + w]
    onset = int(_step_frames(frames, np.array([float(t0)]))[0])
    if apex_us is not None:
        apex = int(_step_frames(frames, np.array([float(apex_us)]))[0])
    else:
        idx = np.concatenate([[onset], np.flatnonzero((centre > centre[onset]) & (centre <= t1))])
        apex = int(idx[frame_apex_index(to_gray(faces[idx]))]) if len(idx) > 1 else onset
    onset_img, apex_img = to_gray(faces[[onset, apex]])
    return np.repeat(flow_image(onset_img, apex_img, spec.size)[None], spec.time_steps, axis=0)


def rgb_input(frames: FrameSeries, box: Box, spec: InputSpec, t0: int, t1: int) -> np.ndarray:
    """RGB frames (T, C, size, size) in [0, 1]: nearest frame to each step centre, or step differences.

    Examples
    --------
    Four uniform frames of levels 0, 51, 102 and 153, exposure centres at 50, 300, 550 and 800 µs:

    >>> data = np.stack([np.full((6, 6, 3), v, np.uint8) for v in (0, 51, 102, 153)])
    >>> frames = FrameSeries(data, np.array([0, 250, 500, 750]), np.array([100] * 4))
    >>> x = rgb_input(frames, (1, 1, 4, 4), InputSpec(kind="rgb", time_steps=2, size=4), 0, 1000)
    >>> x.shape, [round(float(v), 2) for v in x[:, 0, 0, 0]]  # the frames nearest 250 and 750 µs
    ((2, 1, 4, 4), [0.2, 0.6])
    >>> d = rgb_input(frames, (1, 1, 4, 4), InputSpec(kind="rgb-diff", time_steps=2, size=4), 0, 1000)
    >>> [round(float(v), 2) for v in d[:, 0, 0, 0]]  # the frames nearest 500 minus 0 µs, then 1000 minus 500 µs
    [0.4, 0.2]
    """
    edges = t0 + (t1 - t0) * np.arange(spec.time_steps + 1, dtype=np.float64) / spec.time_steps
    if spec.kind == "rgb":
        return _crop_frames(frames, _step_frames(frames, (edges[:-1] + edges[1:]) / 2), box, spec)
    at_edges = _crop_frames(frames, _step_frames(frames, edges), box, spec)
    return at_edges[1:] - at_edges[:-1]


def clip_input(path: str | Path, spec: InputSpec) -> np.ndarray:
    """The float32 (T, C, size, size) input of one clip file (un-normalised: counts or intensities)."""
    if spec.kind in EVENT_KINDS:
        clip = read_view(path, spec.sensor, frames=False)
        t0, t1 = time_window(clip, spec.window)
        box = face_box(clip, spec.sensor, path)
        if spec.kind == "events":
            return event_input(clip.events[spec.sensor], box, spec, t0, t1)
        apex = clip.apex_us if spec.oracle_apex else None
        return event_apex_input(clip.events[spec.sensor], box, spec, t0, t1, apex).astype(np.float32)
    stream = frame_stream(read_clip_meta(path), spec.sensor, spec.rgb_camera, path)
    clip = read_view(path, None, frames=[stream])
    frames = rgb_frames(clip, path, stream)
    t0, t1 = time_window(clip, spec.window)
    box = face_box(clip, stream, path)
    if spec.kind == "rgb-flow":
        return flow_input(frames, box, spec, t0, t1, clip.apex_us if spec.oracle_apex else None)
    return rgb_input(frames, box, spec, t0, t1).astype(np.float32)


def load_inputs(paths: Sequence[str | Path], spec: InputSpec) -> np.ndarray:
    """Inputs of many clips stacked into one float32 array (N, T, C, size, size): the run's cache.

    An array larger than half of this machine's memory is a :class:`ParameterError` naming the
    options that size it, before anything is allocated (the operating system would kill the
    process part way through filling it, or numpy raise a ``MemoryError``).
    """
    need = len(paths) * spec.time_steps * spec.channels * spec.size ** 2 * 4
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > memory / 2:
        raise ParameterError(f"the inputs of {len(paths)} clips at --size {spec.size} and --time-steps "
                             f"{spec.time_steps} take {need / 2**30:.1f} GiB, more than half of this machine's "
                             f"{memory / 2**30:.0f} GiB; lower --size or --time-steps")
    out = np.zeros((len(paths), spec.time_steps, spec.channels, spec.size, spec.size), dtype=np.float32)
    for i, path in enumerate(paths):
        out[i] = clip_input(path, spec)
    return out


def normalize(x: np.ndarray | torch.Tensor, kind: str):
    """What the network sees: ``log1p`` of event counts; RGB inputs unchanged.

    Examples
    --------
    >>> normalize(np.array([0.0, 1.0, 3.0]), "events").round(3).tolist(), normalize(np.array([0.5]), "rgb").tolist()
    ([0.0, 0.693, 1.386], [0.5])
    >>> normalize(torch.ones(2), "events-apex").dtype
    torch.float32
    >>> normalize(np.ones(2), "event")  # not taken for an RGB kind, which would leave the counts as they are
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: kind must be one of ('events', 'events-apex', 'rgb', 'rgb-diff', 'rgb-flow'), not 'event'
    """
    if check_kind(kind) not in EVENT_KINDS:
        return x
    return torch.log1p(x) if isinstance(x, torch.Tensor) else np.log1p(x)


# --------------------------------------------------------------------------- augmentation


def augment_array(
    x: np.ndarray, kind: str, rng: np.random.Generator, *, flip: bool = True, max_shift: float = 0.015625,
    drop: float = 0.1, noise: float = 0.05, drop_time: float = 0.0, drop_area: float = 0.0,
) -> np.ndarray:
    """A randomly augmented copy of one input (T, C, S, S).

    Geometric for every kind: left-right flip with probability 1/2 (for ``rgb-flow`` the
    horizontal flow, channel 0, changes sign) and an integer shift of up to
    ``round(max_shift * S)`` pixels in x and y (1 px at S = 64; vacated pixels are 0). Event counts only: each event dropped with a
    probability drawn in ``[0, drop]`` and noise events amounting to a fraction drawn in
    ``[0, noise]`` of the clip's events, spread uniformly over steps, polarities and pixels;
    EventDrop's drop by time (with probability 1/2, the events of a random run of up to
    ``round(drop_time * T)`` consecutive steps) and by area (with probability 1/2, the events in
    a random square of side up to ``round(drop_area * S)`` pixels). Each stage draws from ``rng``
    only when it is on, so a setting of 0 leaves the other stages' draws unchanged.

    Examples
    --------
    >>> x = np.ones((4, 2, 8, 8), np.float32)
    >>> y = augment_array(x, "events", np.random.default_rng(2), flip=False, max_shift=0, drop=0, noise=0,
    ...                   drop_time=0.5)
    >>> (y.sum(axis=(1, 2, 3)) == 0).tolist()  # the events of one step dropped
    [False, True, False, False]
    >>> augment_array(x, "events", np.random.default_rng(2), drop=2.0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: drop must be a finite number in [0, 1], got 2.0
    """
    flip, max_shift, drop, noise, drop_time, drop_area = _augment_settings(kind, flip, max_shift, drop, noise,
                                                                           drop_time, drop_area)
    _check_augmented(x, kind, rng)
    out = np.array(x, dtype=np.float32, copy=True)
    if flip and rng.random() < 0.5:
        out = out[..., ::-1]
        if kind == "rgb-flow":
            out[:, 0] *= -1
    px = int(round(max_shift * out.shape[-1]))
    if px > 0:
        dx, dy = (int(v) for v in rng.integers(-px, px + 1, size=2))
        out = np.roll(out, (dy, dx), axis=(-2, -1))
        if dy > 0:
            out[..., :dy, :] = 0
        elif dy < 0:
            out[..., dy:, :] = 0
        if dx > 0:
            out[..., :, :dx] = 0
        elif dx < 0:
            out[..., :, dx:] = 0
    if kind in EVENT_KINDS:
        if drop > 0:
            keep = 1.0 - rng.uniform(0.0, drop)
            out = rng.binomial(np.rint(out).astype(np.int64), keep).astype(np.float32)
        if noise > 0:
            rate = rng.uniform(0.0, noise) * float(out.sum()) / out.size
            out = out + rng.poisson(rate, size=out.shape).astype(np.float32)
        steps = int(round(drop_time * out.shape[0]))
        if steps > 0 and rng.random() < 0.5:
            n = int(rng.integers(1, steps + 1))
            start = int(rng.integers(0, out.shape[0] - n + 1))
            out[start:start + n] = 0
        side = int(round(drop_area * out.shape[-1]))
        if side > 0 and rng.random() < 0.5:
            n = int(rng.integers(1, side + 1))
            y0, x0 = (int(v) for v in rng.integers(0, out.shape[-1] - n + 1, size=2))
            out[..., y0:y0 + n, x0:x0 + n] = 0
    return np.ascontiguousarray(out)


def _augment_settings(kind: str, flip: object, *shares: object) -> tuple[bool, float, float, float, float, float]:
    """The settings of :func:`augment_array` after ``kind``, checked: ``flip`` a flag, ``max_shift``,
    ``drop``, ``noise``, ``drop_time`` and ``drop_area`` shares in [0, 1] (a ParameterError naming
    the first that is not; a share above 1 drew a drop probability, a run of steps or a square
    larger than the input, a numpy error at random part way through training)."""
    check_kind(kind)
    names = ("max_shift", "drop", "noise", "drop_time", "drop_area")
    return (as_flag("flip", flip), *(as_real(name, v, 0.0, 1.0) for name, v in zip(names, shares)))  # type: ignore[return-value]


def _check_augmented(x: np.ndarray, kind: str, rng: np.random.Generator) -> None:
    """A ParameterError unless ``x`` is one input (T, C, S, S) of real numbers (:func:`check_values`),
    none of its sides 0 (the noise rate divided by its size), and ``rng`` a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {rng!r}")
    x = np.asarray(x)
    if x.ndim != 4 or 0 in x.shape or not real_dtype(x.dtype):
        raise ParameterError(f"x must be one input (time_steps, channels, size, size) of numbers, no side 0, got shape "
                             f"{x.shape} and dtype {x.dtype}")
    check_values("x", x, kind)


MAX_COUNT = 2**62
"""The largest event count an input may hold: augmentation thins the counts by int64 binomial draws
and adds Poisson noise at their mean rate, which NumPy takes up to about 2^63 (a count of 1e30
wrapped negative: NumPy's "n < 0")."""


def check_values(name: str, x: np.ndarray, kind: str) -> None:
    """A ParameterError naming ``name`` unless ``x`` holds what inputs of ``kind`` hold: event counts
    (finite, >= 0 and at most :data:`MAX_COUNT`) for the event kinds, finite numbers for the others.

    Two reductions (the smallest and largest value; a NaN makes both NaN), at memory speed; the
    values that fail are counted only for the message. A negative count became NaN or -inf in
    ``log1p`` (:func:`normalize`), and a NaN input trained the network to NaN without a word.

    Examples
    --------
    >>> check_values("x", np.array([[0.0, 2.0]]), "events")
    >>> check_values("inputs", np.array([[0.0, -1.0], [np.nan, 1.0]]), "events")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: inputs of kind 'events' must hold event counts (finite, >= 0 and at most 2^62); 2 of its 4 values are not, the first at [0, 1]: -1.0
    """
    x = np.asarray(x)
    if x.size == 0:
        return
    counts = kind in EVENT_KINDS
    low, high = (0.0, float(MAX_COUNT)) if counts else (-np.inf, np.inf)
    lowest, highest = float(np.min(x)), float(np.max(x))
    if math.isfinite(lowest) and math.isfinite(highest) and low <= lowest and highest <= high:
        return
    bad = ~(np.isfinite(x) & (x >= low) & (x <= high))
    first = np.unravel_index(int(np.argmax(bad)), x.shape)
    need = "event counts (finite, >= 0 and at most 2^62)" if counts else "finite numbers"
    raise ParameterError(f"{name} of kind {kind!r} must hold {need}; {int(np.count_nonzero(bad))} of its {x.size} "
                         f"values are not, the first at {[int(i) for i in first]}: {x[first].item()!r}")


@dataclass(frozen=True)
class Augment:
    """Frozen transform wrapping :func:`augment_array` (called with an explicit generator).

    Examples
    --------
    >>> x = np.full((2, 2, 4, 4), 10, np.float32)
    >>> thin = Augment("events", flip=False, max_shift=0, noise=0, drop=0.5)
    >>> y = thin(x, np.random.default_rng(0))
    >>> y.shape, 320 <= float(y.sum()) < 640, bool(np.all(y == np.round(y)))  # whole counts, up to half dropped
    ((2, 2, 4, 4), True, True)
    """

    kind: str
    flip: bool = True
    max_shift: float = 0.015625
    drop: float = 0.1
    noise: float = 0.05
    drop_time: float = 0.0
    drop_area: float = 0.0

    def __post_init__(self) -> None:
        settings = _augment_settings(self.kind, self.flip, self.max_shift, self.drop, self.noise, self.drop_time,
                                     self.drop_area)
        for name, value in zip(("flip", "max_shift", "drop", "noise", "drop_time", "drop_area"), settings):
            object.__setattr__(self, name, value)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return augment_array(x, self.kind, rng, flip=self.flip, max_shift=self.max_shift, drop=self.drop, noise=self.noise,
                             drop_time=self.drop_time, drop_area=self.drop_area)


def _label_indices(targets: Sequence[int] | np.ndarray) -> np.ndarray:
    """``targets`` as int64 class indices; a ParameterError unless each is a whole number >= 0
    (1.5 was cast to 1, and -1 or nan reached the loss as torch's "Target -1 is out of bounds")."""
    values = np.asarray(targets)
    if values.ndim != 1 or not real_dtype(values.dtype):
        raise ParameterError(f"targets must be a list of class indices, got {targets!r}")
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values)) if values.dtype.kind == "f" else values < 0
    if bad.any():
        raise ParameterError(f"targets must be class indices (whole numbers >= 0), got {values[bad][0].item()!r} "
                             f"at {int(np.flatnonzero(bad)[0])}")
    return values.astype(np.int64)


class ClassifyDataset(torch.utils.data.Dataset):
    """Cached inputs (clips, time_steps, channels, size, size) and label indices; applies
    augmentation (if any) and normalisation per item.

    The inputs are checked once, when the dataset is made (:func:`check_values`: event counts
    finite, >= 0 and at most 2^62, other kinds finite): 0.15 to 0.3 s per GiB of inputs, measured,
    once; checking each item as it is read would cost about as much every epoch.

    Augmentation draws from :attr:`rng` (seeded by ``seed``), item after item. In a ``DataLoader``
    worker it draws from a generator of that worker's own instead (:meth:`generator`), so that the
    workers, and the epochs, do not augment alike.

    Examples
    --------
    >>> data = ClassifyDataset(np.ones((3, 2, 2, 4, 4), np.float32), [0, 1, 1], "events")
    >>> x, label = data[1]
    >>> len(data), tuple(x.shape), round(float(x[0, 0, 0, 0]), 4), label  # log1p(1) = 0.6931
    (3, (2, 2, 4, 4), 0.6931, 1)
    """

    def __init__(self, inputs: np.ndarray, targets: np.ndarray, kind: str,
                 augment: Augment | None = None, seed: int = 0) -> None:
        shape = np.shape(inputs)
        if len(shape) != 5:
            raise ParameterError(f"inputs must be (clips, time_steps, channels, size, size), got shape {shape}")
        if len(inputs) != len(targets):
            raise ParameterError(f"{len(inputs)} inputs but {len(targets)} targets")
        self.kind = check_kind(kind)
        check_values("inputs", inputs, self.kind)
        self.inputs = inputs
        self.targets = _label_indices(targets)
        self.augment = augment
        self.seed = as_int("seed", seed, 0)
        self.rng = np.random.default_rng(self.seed)
        self._worker_seed: int | None = None

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = self.inputs[i]
        if self.augment is not None:
            x = self.augment(x, self.generator())
        return torch.from_numpy(np.ascontiguousarray(normalize(x, self.kind), dtype=np.float32)), int(self.targets[i])

    def generator(self) -> np.random.Generator:
        """:attr:`rng`, or in a ``DataLoader`` worker a generator seeded by ``seed`` and the worker's
        torch seed (one per worker and epoch, drawn from torch's generator: reproducible after
        ``torch.manual_seed``). Each worker augments a copy of the dataset made as the epoch's
        iteration starts: copies of one generator gave every worker's items, and every epoch, the
        same draws."""
        info = torch.utils.data.get_worker_info()
        if info is not None and info.seed != self._worker_seed:
            self._worker_seed, self.rng = info.seed, np.random.default_rng([self.seed, info.seed])
        return self.rng
