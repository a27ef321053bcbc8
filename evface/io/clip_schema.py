"""The clip file's schema: one micro-expression clip, every sensor and camera, in one HDF5 file.

This module holds what a clip is (:class:`Clip`, :class:`SensorInfo`, :class:`FrameSeries`,
:class:`TruthSeries`), the schema version, the names a sensor may have, and the 16-bit log codes of
truth frames (:func:`encode_truth`, :func:`decode_truth`) that the writer and the reader share.
:mod:`evface.io.clip_writer` writes the layout below and :mod:`evface.io.clip_reader` reads it:
they are the only code that knows it (docs/clip-format.md is the reference), and everything else
reads and writes clips through their public names. :mod:`evface.io.clip_checks` refuses a
:class:`Clip` that would not read back as written.

Layout (schema version 3; docs/clip-format.md is the reference)::

    /                       attrs: schema_version, evface_version, clip_id, subject, label,
                                   aus (JSON list), lighting, onset_us, apex_us, offset_us,
                                   duration_us, calibration (JSON), extra (JSON)
    /events/<sensor>/t      int64 µs, sorted     (chunked, resizable 1-D datasets; see clip_writer.EVENT_COMPRESSION)
    /events/<sensor>/x      uint16
    /events/<sensor>/y      uint16
    /events/<sensor>/p      int8 in {-1, +1}
    /events/<sensor>/t_index   int64: t of every T_INDEX_STEP-th event (events 0, step, 2 step, ...)
    /events/<sensor>        attrs: width, height, full_width, full_height, roi (x0, y0, w, h),
                                   model, params (JSON)
    /frames/<camera>/data   uint8 (N, H, W, 3) or (N, H, W)
    /frames/<camera>/t      int64 µs, start of each exposure
    /frames/<camera>/exposure_us  int64
    /frames/<camera>        attrs: width, height, fps, model, params (JSON)
    /truth/<sensor>/data    uint16 (N, H, W): clean intensity on the sensor's grid as log codes,
                            each frame's codes minus the previous frame's (modulo 2**16);
                            attrs: encoding, steps_per_octave, log2_min (see encode_truth)
    /truth/<sensor>/t       int64 µs
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from evface.errors import FormatError, ParameterError, where
from evface.events.core import EVENT_DTYPE

SCHEMA_VERSION = 3
"""3: truth frames are 16-bit log codes differenced in time (:func:`encode_truth`), a fifth of
version 2's float32 bytes. 2: ``t_index`` (one entry per ``T_INDEX_STEP`` events) replaces version
1's ``ms_index`` (one entry per millisecond from t = 0, which grew with absolute time); frames and
truth use gzip. Version 1 and 2 files still read (their truth is float32)."""
TRUTH_ENCODING = "log2-time-delta"
TRUTH_STEPS_PER_OCTAVE = 128
"""Log codes per doubling of intensity: a relative step of 0.54 %, so a stored value is within
0.27 % of the true one (version 2 kept 7 mantissa bits: within 0.4 %)."""
TRUTH_LOG2_MIN = -20.0
"""Code 0 is exactly 0 and stands for every intensity at or below 2**-20 (about 1e-6 lux); the
largest code is 2**236."""
T_INDEX_STEP = 4096
"""Events per ``t_index`` entry: a windowed read binary-searches the index, then at most this many
timestamps at each edge of the window."""

SENSOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A sensor's name in a clip (``hd``, ``lr``, ``events``): letters, digits, ``_``, ``-`` and ``.``,
starting with a letter or digit. It names an HDF5 group, where ``/`` would nest one and ``..``
or an empty name would break the layout."""


def check_sensor_name(path: str | Path, name: object, option: str = "") -> None:
    """Refuse a sensor name that is not :data:`SENSOR_NAME`: a ``FormatError`` naming ``path`` and
    the ``option`` that gave the name, when one did.

    Parameters
    ----------
    path : str or Path
        The clip file the name is for, named in the error.
    name : object
        The sensor name to check.
    option : str, optional
        The option that gave the name, as the error shows it after the name (``" (--sensor NAME)"``).

    Raises
    ------
    FormatError
        ``name`` is not a string matching :data:`SENSOR_NAME`.

    Examples
    --------
    >>> check_sensor_name("c0.h5", "hd")
    >>> check_sensor_name("c0.h5", "hd/left", " (--sensor NAME)")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: c0.h5: sensor name 'hd/left' (--sensor NAME): a clip's sensor names hold letters, digits, '_', '-' and '.' and start with a letter or digit, like hd or lr
    """
    if not isinstance(name, str) or not SENSOR_NAME.fullmatch(name):
        raise FormatError(where(path, f"sensor name {name!r}{option}: a clip's sensor names hold letters, digits, "
                                      "'_', '-' and '.' and start with a letter or digit, like hd or lr"))


@dataclass(frozen=True)
class SensorInfo:
    """Geometry of one event sensor as recorded in a clip.

    ``width`` x ``height`` is the recorded window (the ROI); events' coordinates are relative to
    it. ``roi`` places that window on the full ``full_width`` x ``full_height`` array.

    Parameters
    ----------
    name : str
        The sensor's name in the clip (:data:`SENSOR_NAME`).
    width, height : int
        Size of the recorded window, in pixels.
    full_width, full_height : int, optional
        Size of the sensor's whole array; None: the window's.
    roi : tuple of int, optional
        ``(x0, y0, w, h)`` of the window on the whole array; None: the whole array.
    model : str, optional
        The camera model.
    params : dict, optional
        The simulator's or camera's parameters, stored as JSON.

    Examples
    --------
    >>> info = SensorInfo("hd", 480, 480, full_width=1280, full_height=720, roi=(400, 100, 480, 480))
    >>> info.size, (info.full_width, info.full_height)
    ((480, 480), (1280, 720))
    """

    name: str
    width: int
    height: int
    full_width: int | None = None
    full_height: int | None = None
    roi: tuple[int, int, int, int] | None = None
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the recorded window."""
        return (self.width, self.height)


@dataclass
class FrameSeries:
    """Frames of one camera: ``data`` (N, H, W[, 3]) with start times and exposures in µs.

    A ``ValueError`` naming the field unless ``data`` is an array of images and ``t_us`` and
    ``exposure_us`` are 1-D real numbers, one per frame, the times in order.

    Parameters
    ----------
    data : ndarray of uint8, shape (N, H, W, 3) or (N, H, W)
        The images.
    t_us : ndarray of int
        Start of each exposure, µs from the clip's start.
    exposure_us : ndarray of int
        Each image's exposure, µs.
    fps : float, optional
        The camera's frame rate; 0: not stated.
    model : str, optional
        The camera model.
    params : dict, optional
        The camera's parameters, stored as JSON.

    Examples
    --------
    >>> frames = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 33333]), np.array([10000, 10000]), fps=30.0)
    >>> frames.data.shape, frames.t_us.tolist()
    ((2, 4, 6, 3), [0, 33333])
    >>> FrameSeries(np.zeros((2, 4, 6), np.uint8), np.array([0]), np.array([10000, 10000]))
    Traceback (most recent call last):
    ...
    ValueError: FrameSeries.t_us holds 1 times for 2 images: one per image
    """

    data: np.ndarray
    t_us: np.ndarray
    exposure_us: np.ndarray
    fps: float = 0.0
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_series("FrameSeries", self.data, self.t_us, self.exposure_us)


@dataclass
class TruthSeries:
    """Clean linear intensity frames (N, H, W) on an event sensor's grid (synthetic clips only).

    A ``ValueError`` naming the field unless ``data`` is an array of images and ``t_us`` 1-D real
    numbers, one per frame, in order.

    Parameters
    ----------
    data : ndarray of float32, shape (N, H, W)
        Linear intensity, >= 0.
    t_us : ndarray of int
        Time of each frame, µs from the clip's start.

    Examples
    --------
    >>> TruthSeries(np.ones((2, 2, 4), np.float32), np.array([0, 33333])).data.shape
    (2, 2, 4)
    >>> TruthSeries(np.ones((2, 2, 4), np.float32), np.array([33333, 0]))
    Traceback (most recent call last):
    ...
    ValueError: TruthSeries.t_us: the times of the images are not in order
    """

    data: np.ndarray
    t_us: np.ndarray

    def __post_init__(self) -> None:
        _check_series("TruthSeries", self.data, self.t_us)


def _check_series(what: str, data: object, t_us: object, *per_frame: object) -> None:
    """A ``ValueError`` naming the field unless ``data`` is an array of images, ``t_us`` (and each
    ``per_frame`` value: the exposures) 1-D real numbers, one per image, and the times in order. A
    number given as times was "object of type 'float' has no len()", complex times a comparison's
    TypeError.

    Examples
    --------
    >>> _check_series("FrameSeries", np.zeros((3, 2, 2)), np.array([0, 10]))
    Traceback (most recent call last):
    ValueError: FrameSeries.t_us holds 2 times for 3 images: one per image
    >>> _check_series("TruthSeries", np.zeros((2, 2, 2)), 5)
    Traceback (most recent call last):
    ValueError: TruthSeries.t_us must be 1-D real numbers, one time (µs) per image, got int64 ()
    """
    if not isinstance(data, np.ndarray) or data.ndim < 3:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{what}.data must be an array of images (N, H, W[, 3]), got {got}")
    names = ("t_us", "exposure_us")
    for key, values, noun in zip(names, (t_us, *per_frame), ("times", "exposures"), strict=False):  # a TruthSeries: no exposures
        column = np.asarray(values)
        if column.ndim != 1 or not (column.dtype.kind in "iuf" or column.size == 0):
            raise ValueError(f"{what}.{key} must be 1-D real numbers, one {noun[:-1]} (µs) per image, "
                             f"got {column.dtype} {column.shape}")
        if len(column) != len(data):
            raise ValueError(f"{what}.{key} holds {len(column)} {noun} for {len(data)} images: one per image")
    if np.any(np.diff(np.asarray(t_us, np.float64)) < 0):
        raise ValueError(f"{what}.t_us: the times of the images are not in order")


@dataclass
class Clip:
    """Everything recorded for one clip. See the module docstring for the file layout.

    ``events``, ``sensors``, ``frames`` and ``truth`` are dicts keyed by sensor (or camera) name,
    of events arrays, :class:`SensorInfo`, :class:`FrameSeries` and :class:`TruthSeries` (else a
    ``ParameterError`` naming the field); the times are µs from the clip's start.

    Parameters
    ----------
    clip_id : str
        The clip's id, unique within a dataset (it names the clip's file).
    subject : str
        The subject's id (splits never divide a subject).
    label : str
        The class name, e.g. ``AU12`` or ``AU1+2``.
    aus : list of int
        The FACS action units present.
    lighting : str
        The lighting condition.
    onset_us, apex_us, offset_us : int
        Start, peak and end of the expression, µs from the clip's start.
    duration_us : int
        Length of the clip, µs.
    events : dict of str to ndarray of EVENT_DTYPE, optional
        Each sensor's events.
    sensors : dict of str to SensorInfo, optional
        Each sensor's geometry.
    frames : dict of str to FrameSeries, optional
        Each camera's frames.
    truth : dict of str to TruthSeries, optional
        Clean intensity frames on each sensor's grid (synthetic clips).
    calibration : dict, optional
        Per sensor, its face box and homography from the RGB camera (docs/clip-format.md), stored as JSON.
    extra : dict, optional
        Anything else (generator parameters, importer provenance), stored as JSON.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> clip.label, clip.aus, clip.apex_us, clip.sensors["lr"].size, clip.events["lr"].size
    ('AU12', [6, 12], 1500, (4, 2), 4)
    """

    clip_id: str
    subject: str
    label: str
    aus: list[int]
    lighting: str
    onset_us: int
    apex_us: int
    offset_us: int
    duration_us: int
    events: dict[str, np.ndarray] = field(default_factory=dict)
    sensors: dict[str, SensorInfo] = field(default_factory=dict)
    frames: dict[str, FrameSeries] = field(default_factory=dict)
    truth: dict[str, TruthSeries] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, kind in (("events", np.ndarray), ("sensors", SensorInfo), ("frames", FrameSeries),
                          ("truth", TruthSeries)):
            _check_parts(key, getattr(self, key), kind)


def _check_parts(key: str, parts: object, kind: type) -> None:
    """A ``ParameterError`` naming ``Clip.key`` unless ``parts`` is a dict of ``kind`` by name: a
    number or an array there was an AttributeError (``no attribute 'items'``) when written.

    Examples
    --------
    >>> _check_parts("frames", {"rgb": 0.5}, FrameSeries)
    Traceback (most recent call last):
    evface.errors.ParameterError: Clip.frames must be a dict of FrameSeries by name, got {'rgb': 0.5}
    """
    if not isinstance(parts, dict) or not all(isinstance(v, kind) for v in parts.values()):
        raise ParameterError(f"Clip.{key} must be a dict of {kind.__name__} by name, got {parts!r:.80}")


TIME_ATTRS = ("onset_us", "apex_us", "offset_us", "duration_us")
SCALAR_ATTRS = ("clip_id", "subject", "label", "lighting", *TIME_ATTRS)
JSON_ATTRS = ("aus", "calibration", "extra")
EVENT_COLUMNS = cast("tuple[str, ...]", EVENT_DTYPE.names)  # numpy's stubs allow None: not for a structured dtype
"""The datasets of a sensor's group under ``/events``: one per field of ``EVENT_DTYPE``, in its order."""


def encode_truth(data: np.ndarray) -> np.ndarray:
    """Truth frames ``(N, H, W)`` (linear, >= 0) as stored: uint16 log codes
    ``round((log2(x) - TRUTH_LOG2_MIN) * TRUTH_STEPS_PER_OCTAVE)`` (0 for x <= 2**TRUTH_LOG2_MIN),
    each frame minus the one before modulo 2**16. Still parts of the scene become runs of zeros
    and a flickering light one constant per frame, which gzip + shuffle store in a few bytes.

    Parameters
    ----------
    data : array_like, shape (N, H, W)
        Linear intensity frames, >= 0.

    Returns
    -------
    ndarray of uint16, shape (N, H, W)
        The first frame's log codes, then each frame's codes minus the previous frame's.

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0]], [[1.0, 4.0]]], np.float32)
    >>> codes = encode_truth(x)
    >>> codes[1].tolist(), decode_truth(codes).tolist() == x.tolist()
    ([[0, 128]], True)
    """
    x = np.asarray(data, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):  # dark pixels are set to 0 below
        level = (np.log2(x) - np.float32(TRUTH_LOG2_MIN)) * np.float32(TRUTH_STEPS_PER_OCTAVE)
    codes = np.clip(np.rint(level), 1, 65535).astype(np.uint16)
    codes[~(x > np.float32(2.0**TRUTH_LOG2_MIN))] = 0
    if len(codes) > 1:
        codes[1:] = codes[1:] - codes[:-1]  # uint16: modulo 2**16, undone exactly by decode_truth
    return codes


@functools.cache
def _truth_levels() -> np.ndarray:
    """float32 intensity of every 16-bit truth level (level 0: dark)."""
    with np.errstate(over="ignore"):  # the top levels exceed float32, as they always did: inf
        lut = np.exp2(np.arange(65536) / TRUTH_STEPS_PER_OCTAVE + TRUTH_LOG2_MIN).astype(np.float32)
    lut[0] = 0.0
    return lut


def decode_truth(codes: np.ndarray) -> np.ndarray:
    """float32 frames from :func:`encode_truth`'s codes (a table lookup per level).

    Parameters
    ----------
    codes : array_like of uint16, shape (N, H, W)
        Codes as :func:`encode_truth` gives them.

    Returns
    -------
    ndarray of float32, shape (N, H, W)
        Linear intensity, within 0.27 % of what was encoded.

    Examples
    --------
    >>> codes = np.array([[[128, 256]], [[0, 128]]], np.uint16)  # frame 1 = frame 0 + its codes
    >>> frames = decode_truth(codes)
    >>> frames.dtype, (frames[1] / frames[0]).tolist()
    (dtype('float32'), [[1.0, 2.0]])
    """
    levels = np.array(codes, dtype=np.uint16)
    for i in range(1, len(levels)):  # a running sum frame by frame: numpy's cumsum over axis 0 is ~9x slower
        np.add(levels[i - 1], levels[i], out=levels[i])
    return _truth_levels()[levels]
