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

A run preprocesses every clip once; the cached arrays are augmented by
:mod:`evface.inputs.classify_augment` and served to training by
:mod:`evface.inputs.classify_dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evface.checks import MAX_GRID_SIDE, MAX_TIME_BINS, as_flag, as_int, real_dtype
from evface.errors import DatasetError, ParameterError, choose_from, where
from evface.events.ops import crop, resample_sensor
from evface.events.representations import to_event_frames
from evface.inputs.clip_view import (
    Box, check_sensor, check_window, face_box, frame_stream, read_view, resize_area, rgb_frames, time_window, to_gray,
)
from evface.inputs.flow import DIS_MIN_SIDE, check_flow, event_apex_us, flow_image, frame_apex_index
from evface.io.clip_reader import read_clip_meta
from evface.io.clip_schema import FrameSeries
from evface.sim.rgb import RGB_PRESETS


EVENT_KINDS = ("events", "events-apex")
"""Input kinds made of event counts."""
INPUT_KINDS = (*EVENT_KINDS, "rgb", "rgb-diff", "rgb-flow")
INPUT_VALUES = {
    "events": "log1p(count) of each pixel's ON and OFF events in the step (channels ON, OFF)",
    "events-apex": "log1p(count) of each pixel's ON and OFF events from the window's start to the apex, the same "
                   "at every step (channels ON, OFF)",
    "rgb": "the frame's BT.601 grey (or R, G, B) intensity in [0, 1]",
    "rgb-diff": "the frame at the step's end minus the frame at its start, grey (or R, G, B), in [-1, 1]",
    "rgb-flow": "the optical flow u, v (pixels of the crop) and the optical strain from the onset frame to the apex "
                "frame, the same at every step",
}
"""What the network sees of each input kind (:func:`normalize` of its inputs), in words: a NIR
file's ``input_values`` (:func:`evface.tasks.export.export_run`)."""


def kind_channels(kind: str) -> tuple[int, ...]:
    """The channels per time step that inputs of ``kind`` may have (RGB frames and their
    differences: grey or colour).

    Parameters
    ----------
    kind : str
        One of :data:`INPUT_KINDS`.

    Returns
    -------
    tuple of int
        The channel counts allowed: ``(2,)`` for event kinds, ``(3,)`` for ``rgb-flow``, else ``(1, 3)``.

    Examples
    --------
    >>> kind_channels("events"), kind_channels("rgb"), kind_channels("rgb-flow")
    ((2,), (1, 3), (3,))
    """
    if check_kind(kind) in EVENT_KINDS:
        return (2,)
    return (3,) if kind == "rgb-flow" else (1, 3)


def check_kind(kind: str, name: str = "kind") -> str:
    """``kind`` if it is one of :data:`INPUT_KINDS`, else a ParameterError naming ``name``.

    Parameters
    ----------
    kind : str
        The input kind to check.
    name : str, optional
        The option or argument the error names (default ``"kind"``).

    Returns
    -------
    str
        ``kind``.

    Examples
    --------
    >>> check_kind("rgb-flow")
    'rgb-flow'
    >>> check_kind("event")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: kind must be one of the input kinds, not 'event'; choose from events, events-apex, rgb, rgb-diff, rgb-flow
    """
    if not isinstance(kind, str) or kind not in INPUT_KINDS:
        raise ParameterError(f"{name} must be one of the input kinds, not {kind!r}; {choose_from(INPUT_KINDS)}")
    return kind


@dataclass(frozen=True)
class InputSpec:
    """What the classifier sees: input kind, event sensor (for RGB kinds: the sensor whose view
    the RGB camera matches), ``time_steps`` T, crop ``size``, colour, window, RGB camera preset,
    whether the apex comes from the annotation and the optical flow of ``rgb-flow``.

    ``time_steps`` is at most :data:`~evface.checks.MAX_TIME_BINS` (256) and ``size`` 4 to
    :data:`~evface.checks.MAX_GRID_SIDE` (1024), as ``evface train classify`` takes them.

    Parameters
    ----------
    kind : {'events', 'events-apex', 'rgb', 'rgb-diff', 'rgb-flow'}, default 'events'
        The input kind (:data:`INPUT_KINDS`).
    sensor : {'hd', 'lr'}, default 'hd'
        The event sensor; for RGB kinds, the sensor whose view the RGB camera matches.
    time_steps : int, default 8
        Number of time steps T over the window.
    size : int, default 64
        Face crops are shrunk to size x size pixels.
    color : bool, default False
        RGB inputs in colour (3 channels) or grey (1).
    window : {'clip', 'expression'}, default 'clip'
        The whole clip, or the annotated expression (onset to offset).
    rgb_camera : {'webcam30', 'highspeed200'}, default 'webcam30'
        RGB camera preset of the RGB kinds.
    oracle_apex : bool, default False
        ``rgb-flow`` / ``events-apex``: take the apex from the annotation, not from the data.
    flow : {'tvl1', 'dis'}, default 'tvl1'
        ``rgb-flow``: the optical flow (:data:`~evface.inputs.flow.FLOW_METHODS`); other kinds ignore it.

    Examples
    --------
    >>> InputSpec(kind="rgb", color=True).channels, InputSpec(kind="rgb-flow").channels, InputSpec(sensor="lr").camera
    (3, 3, 'lr')
    >>> InputSpec(time_steps=2.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: time_steps must be a whole number, got 2.5
    >>> InputSpec(size=10**9)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: size must be in [4, 1024], got 1000000000
    >>> InputSpec(kind="rgb-flow", flow="farneback")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: flow must be one of the optical flows, not 'farneback'; choose from tvl1, dis
    """

    kind: str = "events"
    sensor: str = "hd"
    time_steps: int = 8
    size: int = 64
    color: bool = False
    window: str = "clip"
    rgb_camera: str = "webcam30"
    oracle_apex: bool = False
    flow: str = "tvl1"

    def __post_init__(self) -> None:
        check_kind(self.kind, "input")
        check_sensor(self.sensor)
        check_window(self.window)
        if not isinstance(self.rgb_camera, str) or self.rgb_camera not in RGB_PRESETS:
            raise ParameterError(f"rgb_camera must be one of the RGB camera presets, not {self.rgb_camera!r}; "
                                 f"{choose_from(sorted(RGB_PRESETS))}")
        check_flow(self.flow, "flow")
        for name, value in (("time_steps", as_int("time_steps", self.time_steps, 1, MAX_TIME_BINS)),
                            ("size", as_int("size", self.size, 4, MAX_GRID_SIDE)),
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
        """The fields as a dict, as a run's files record them (``InputSpec(**d)`` makes it again).

        Returns
        -------
        dict of str to object
            Each field's name and value.
        """
        return asdict(self)


def checked_window(spec: object, box: object, t0: object, t1: object,
                   apex_us: object = None) -> tuple[Box, int, int, int | None]:
    """``(box, t0, t1, apex_us)`` of an input builder as whole numbers, once ``spec`` is an
    :class:`InputSpec`, ``box`` four whole numbers ``(x, y, w, h)`` (``x, y`` >= 0, ``w, h`` >= 1)
    and the times whole microseconds; otherwise a ParameterError naming the argument (a number for
    the spec or box was an AttributeError or an unpacking error, an array for a time numpy's).

    Parameters
    ----------
    spec : InputSpec
        The input's specification.
    box : tuple of int
        The face box ``(x, y, w, h)``, pixels.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.
    apex_us : int or None, optional
        The apex, µs; None (default): found in the data.

    Returns
    -------
    box : tuple of int
        ``(x, y, w, h)`` as Python integers.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.
    apex_us : int or None
        The apex, µs, or None.

    Examples
    --------
    >>> checked_window(InputSpec(), (0, 0, 8.0, 8), 0, 1000)
    ((0, 0, 8, 8), 0, 1000, None)
    >>> checked_window(InputSpec(), 8, 0, 1000)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: box must be (x, y, w, h) of whole numbers, x and y >= 0, w and h >= 1, got 8
    """
    _checked_spec(spec)
    problem = ParameterError(f"box must be (x, y, w, h) of whole numbers, x and y >= 0, w and h >= 1, got {box!r:.80}")
    if isinstance(box, (str, bytes)) or not isinstance(box, Sequence | np.ndarray) or len(box) != 4:
        raise problem
    try:
        x, y, w, h = (as_int("box", v, low) for v, low in zip(box, (0, 0, 1, 1), strict=True))
    except ParameterError:
        raise problem from None
    times = [as_int(name, value) for name, value in (("t0", t0), ("t1", t1))]
    return (x, y, w, h), times[0], times[1], None if apex_us is None else as_int("apex_us", apex_us)


def _checked_spec(spec: object) -> InputSpec:
    """``spec`` once it is an :class:`InputSpec`; otherwise a ParameterError naming ``spec`` (a
    number was an AttributeError about ``kind`` or ``time_steps``)."""
    if not isinstance(spec, InputSpec):
        raise ParameterError(f"spec must be an InputSpec, got {type(spec).__name__}")
    return spec


def _checked_frames(frames: object) -> FrameSeries:
    if not isinstance(frames, FrameSeries):
        raise ParameterError(f"frames must be a FrameSeries, got {type(frames).__name__}")
    return frames


def event_input(events: np.ndarray, box: Box, spec: InputSpec, t0: int, t1: int) -> np.ndarray:
    """Event counts (T, 2, size, size) of the events inside ``box``.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The clip's events of the spec's sensor, in time order.
    box : tuple of int
        The face box ``(x, y, w, h)`` in the sensor's pixels.
    spec : InputSpec
        Kind, ``time_steps`` T and ``size`` of the input.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.

    Returns
    -------
    ndarray of float32, shape (T, 2, size, size)
        (ON, OFF) event counts of each of the T equal steps of ``[t0, t1)``.

    Examples
    --------
    Two of the events lie in the 8x8 box at (8, 8), both in the first half of the window:

    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 100, 600, 900], [10, 12, 17, 30], [10, 11, 13, 10], [1, -1, 1, 1])
    >>> x = event_input(ev, (8, 8, 8, 8), InputSpec(time_steps=2, size=4), 0, 1000)
    >>> x.shape, x.sum(axis=(2, 3)).tolist()  # (ON, OFF) counts per step
    ((2, 2, 4, 4), [[1.0, 1.0], [0.0, 0.0]])
    """
    box, t0, t1, _ = checked_window(spec, box, t0, t1)
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

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The clip's events of the spec's sensor, in time order.
    box : tuple of int
        The face box ``(x, y, w, h)`` in the sensor's pixels.
    spec : InputSpec
        Kind, ``time_steps`` T and ``size`` of the input.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.
    apex_us : int or None, optional
        The annotated apex, µs; None (default): found in the data.

    Returns
    -------
    ndarray of float32, shape (T, 2, size, size)
        (ON, OFF) event counts from ``t0`` to the apex, the same at every step.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 100, 300, 900], [10, 12, 9, 11], [10, 11, 13, 10], [1, -1, 1, 1])
    >>> x = event_apex_input(ev, (8, 8, 8, 8), InputSpec(kind="events-apex", time_steps=2, size=4), 0, 1000, apex_us=500)
    >>> x.shape, x.sum(axis=(2, 3)).tolist()  # the events before the apex, at every step
    ((2, 2, 4, 4), [[2.0, 1.0], [2.0, 1.0]])
    """
    box, t0, t1, apex_us = checked_window(spec, box, t0, t1, apex_us)
    grid = resample_sensor(crop(events, box), (box[2], box[3]), (spec.size, spec.size))
    apex = event_apex_us(grid, (spec.size, spec.size), t0, t1) if apex_us is None else apex_us
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
    steps. The flow is ``spec.flow``'s (TV-L1 or DIS).

    Parameters
    ----------
    frames : FrameSeries
        The RGB camera's frames.
    box : tuple of int
        The face box ``(x, y, w, h)`` in the frames' pixels.
    spec : InputSpec
        Kind, ``time_steps`` T and ``size`` of the input.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.
    apex_us : int or None, optional
        The annotated apex, µs; None (default): found in the data.

    Returns
    -------
    ndarray of float32, shape (T, 3, size, size)
        ``(u, v, strain)`` (:func:`~evface.inputs.flow.flow_image`), the same at every step.

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
    box, t0, t1, apex_us = checked_window(spec, box, t0, t1, apex_us)
    centre = _frame_centres(_checked_frames(frames))
    x, y, w, h = box
    faces = np.asarray(frames.data)[:, y:y + h, x:x + w]
    onset = int(_step_frames(frames, np.array([float(t0)]))[0])
    if apex_us is not None:
        apex = int(_step_frames(frames, np.array([float(apex_us)]))[0])
    else:
        idx = np.concatenate([[onset], np.flatnonzero((centre > centre[onset]) & (centre <= t1))])
        apex = int(idx[frame_apex_index(to_gray(faces[idx]))]) if len(idx) > 1 else onset
    onset_img, apex_img = to_gray(faces[[onset, apex]])
    return np.repeat(flow_image(onset_img, apex_img, spec.size, spec.flow)[None], spec.time_steps, axis=0)


def rgb_input(frames: FrameSeries, box: Box, spec: InputSpec, t0: int, t1: int) -> np.ndarray:
    """RGB frames (T, C, size, size) in [0, 1]: nearest frame to each step centre, or step differences.

    Parameters
    ----------
    frames : FrameSeries
        The RGB camera's frames.
    box : tuple of int
        The face box ``(x, y, w, h)`` in the frames' pixels.
    spec : InputSpec
        Kind, ``time_steps`` T and ``size`` of the input.
    t0 : int
        Start of the window, µs.
    t1 : int
        End of the window, µs.

    Returns
    -------
    ndarray of float32, shape (T, C, size, size)
        ``rgb``: frames in [0, 1]; ``rgb-diff``: differences in [-1, 1]. C is 3 with ``spec.color``, else 1.

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
    box, t0, t1, _ = checked_window(spec, box, t0, t1)
    frames = _checked_frames(frames)
    edges = t0 + (t1 - t0) * np.arange(spec.time_steps + 1, dtype=np.float64) / spec.time_steps
    if spec.kind == "rgb":
        return _crop_frames(frames, _step_frames(frames, (edges[:-1] + edges[1:]) / 2), box, spec)
    at_edges = _crop_frames(frames, _step_frames(frames, edges), box, spec)
    return at_edges[1:] - at_edges[:-1]


def _check_flow_face(box: Box, stream: str, path: str | Path) -> None:
    """A :class:`DatasetError` naming clip ``path`` and the options to change where the face box of
    its ``stream`` frames is smaller than the optical flow of ``rgb-flow`` takes (DIS's limit, kept for both) (the flow is
    computed at the frames' own resolution, so ``--size`` cannot help).

    Examples
    --------
    >>> _check_flow_face((0, 0, 15, 20), "rgb", "c.h5")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: c.h5: the face is 15x20 pixels in the 'rgb' frames, less than the 16x16 the optical flow of --input rgb-flow needs (at the frames' own resolution, whatever --size); give another --input, or an RGB camera that sees the face larger (--sensor hd, --rgb-camera)
    """
    w, h = box[2], box[3]
    if min(w, h) < DIS_MIN_SIDE:
        raise DatasetError(where(path, f"the face is {w}x{h} pixels in the {stream!r} frames, less than the "
                                       f"{DIS_MIN_SIDE}x{DIS_MIN_SIDE} the optical flow of --input rgb-flow needs (at "
                                       "the frames' own resolution, whatever --size); give another --input, or an RGB "
                                       "camera that sees the face larger (--sensor hd, --rgb-camera)"))


def clip_input(path: str | Path, spec: InputSpec) -> np.ndarray:
    """The float32 (T, C, size, size) input of one clip file (un-normalised: counts or intensities);
    ``spec`` an :class:`InputSpec` (else a ParameterError naming it).

    Parameters
    ----------
    path : str or Path
        The clip file.
    spec : InputSpec
        What to make of it.

    Returns
    -------
    ndarray of float32, shape (T, C, size, size)
        The input, C being ``spec.channels``.

    Examples
    --------
    >>> from evface.datasets.toy import toy_dataset
    >>> root = toy_dataset("toy-one", subjects=1)
    >>> x = clip_input(root / "clips" / "s01_AU4.h5", InputSpec(sensor="lr", time_steps=2, size=4))
    >>> x.shape, x.dtype, float(x.sum())  # the clip's 50 events, counted
    ((2, 2, 4, 4), dtype('float32'), 50.0)
    >>> clip_input(root / "clips" / "s01_AU4.h5", InputSpec(kind="rgb", sensor="lr", time_steps=2, size=4)).shape
    (2, 1, 4, 4)
    """
    spec = _checked_spec(spec)
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
        _check_flow_face(box, stream, path)
        return flow_input(frames, box, spec, t0, t1, clip.apex_us if spec.oracle_apex else None)
    return rgb_input(frames, box, spec, t0, t1).astype(np.float32)


def load_inputs(paths: Sequence[str | Path], spec: InputSpec) -> np.ndarray:
    """Inputs of many clips stacked into one float32 array (N, T, C, size, size): the run's cache.

    An array larger than half of this machine's memory is a :class:`ParameterError` naming the
    options that size it, before anything is allocated (the operating system would kill the
    process part way through filling it, or numpy raise a ``MemoryError``). ``paths`` is a list of
    clip files and ``spec`` an :class:`InputSpec`, else a ParameterError naming them.

    Parameters
    ----------
    paths : sequence of str or Path
        The clip files.
    spec : InputSpec
        What to make of each (:func:`clip_input`).

    Returns
    -------
    ndarray of float32, shape (N, T, C, size, size)
        One input per clip, in the order of ``paths``.

    Examples
    --------
    >>> from evface.datasets.toy import toy_dataset
    >>> clips = sorted((toy_dataset("toy-many", subjects=1) / "clips").glob("*.h5"))
    >>> x = load_inputs(clips, InputSpec(sensor="lr", time_steps=2, size=4))
    >>> x.shape, x.sum(axis=(1, 2, 3, 4)).tolist()  # 50 events a clip
    ((2, 2, 2, 4, 4), [50.0, 50.0])
    >>> load_inputs("c.h5", InputSpec())
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: paths must be a list of clip files, got 'c.h5'
    """
    spec = _checked_spec(spec)
    if isinstance(paths, (str, bytes, os.PathLike)) or not isinstance(paths, Sequence):  # a path's letters, a number
        raise ParameterError(f"paths must be a list of clip files, got {paths!r:.80}")
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
    """What the network sees: ``log1p`` of event counts; RGB inputs unchanged. ``x`` is an array or
    tensor of real numbers, and event counts are finite and >= 0 (else a ParameterError naming ``x``:
    ``log1p`` of -1 is -inf).

    Parameters
    ----------
    x : ndarray or torch.Tensor
        Inputs of ``kind``, any shape.
    kind : str
        One of :data:`INPUT_KINDS`.

    Returns
    -------
    ndarray or torch.Tensor
        ``log1p(x)`` for event kinds, else ``x`` itself; the type of ``x``.

    Examples
    --------
    >>> normalize(np.array([0.0, 1.0, 3.0]), "events").round(3).tolist(), normalize(np.array([0.5]), "rgb").tolist()
    ([0.0, 0.693, 1.386], [0.5])
    >>> normalize(torch.ones(2), "events-apex").dtype
    torch.float32
    >>> normalize(np.ones(2), "event")  # not taken for an RGB kind, which would leave the counts as they are
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: kind must be one of the input kinds, not 'event'; choose from events, events-apex, rgb, rgb-diff, rgb-flow
    """
    if not isinstance(x, np.ndarray | torch.Tensor) or (isinstance(x, np.ndarray) and not real_dtype(x.dtype)) or (
            isinstance(x, torch.Tensor) and (x.is_complex() or x.dtype == torch.bool)):
        raise ParameterError(f"x must be an array or tensor of real numbers, got {type(x).__name__} {getattr(x, 'dtype', '')}")
    if check_kind(kind) not in EVENT_KINDS:
        return x
    if x.numel() if isinstance(x, torch.Tensor) else x.size:
        low, finite_values = (x.min(), x.isfinite().all()) if isinstance(x, torch.Tensor) else (x.min(), np.isfinite(x).all())
        if not (finite_values and low >= 0):
            raise ParameterError("x must hold event counts, finite and >= 0 (log1p of a negative count is NaN or -inf)")
    return torch.log1p(x) if isinstance(x, torch.Tensor) else np.log1p(x)
