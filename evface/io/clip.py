"""The clip file: one micro-expression clip, every sensor and camera, in one HDF5 file.

This module owns the clip schema (docs/clip-format.md): it is the only code that knows the HDF5
layout below. Everything else reads and writes clips through its public names: :func:`write_clip`
and :func:`read_clip` for whole clips, :func:`read_clip_meta`, :func:`read_events` and
:func:`iter_clip_events` for parts of one, :class:`ClipEventsWriter` to stream one sensor's events
into a new clip, and :func:`event_counts` / :func:`frames_and_truth_info` for summaries that load
no event or image.

Layout (schema version 3; docs/clip-format.md is the reference)::

    /                       attrs: schema_version, evface_version, clip_id, subject, label,
                                   aus (JSON list), lighting, onset_us, apex_us, offset_us,
                                   duration_us, calibration (JSON), extra (JSON)
    /events/<sensor>/t      int64 µs, sorted     (chunked, resizable 1-D datasets; see EVENT_COMPRESSION)
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

Files are written under a temporary name and renamed, so a clip file either exists whole or not
at all. Every size in the file depends on the number of events, never on their absolute time, and
the same clip always gives the same bytes (no filter with uninitialised state).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import json
import os
import re
import secrets
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from evface import __version__
from evface.checks import MAX_SENSOR_SIDE, as_int, sensor_dims
from evface.errors import EventsError, EvfaceError, FormatError, ParameterError, where
from evface.events.core import (EVENT_DTYPE, SensorSize, check_array, check_stream, empty_events, time_window,
                                validate_events)

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
EVENT_COMPRESSION: str | None = None
"""Event columns are stored uncompressed: measured on one quiet core (10 M events), reading runs
at ~100 M events/s uncompressed against ~21 M/s with h5py's LZF (+shuffle) and ~27 M/s with gzip,
for 13 bytes/event instead of ~4.5. Clips written with a filter still read (h5py applies it)."""
EVENT_SHUFFLE = False
EVENT_CHUNK = 1 << 16
"""Events per HDF5 chunk: small enough that a windowed read touches little beyond the window."""
FRAME_COMPRESSION = "gzip"
FRAME_COMPRESSION_LEVEL = 1
"""Frames and truth: gzip level 1 + shuffle, one chunk per image. Deterministic (h5py's LZF leaves
its hash table uninitialised, so the same images could give different bytes), and on a quick-preset
clip smaller and faster to read than LZF (docs/clip-format.md)."""
T_INDEX_STEP = 4096
"""Events per ``t_index`` entry: a windowed read binary-searches the index, then at most this many
timestamps at each edge of the window."""
MS_INDEX_STEP_US = 1000
"""Step of the ``ms_index`` of schema-1 files (read only)."""
READ_CHUNK_EVENTS = 1 << 21
"""Events per chunk that :func:`iter_clip_events` yields by default."""

SENSOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A sensor's name in a clip (``hd``, ``lr``, ``events``): letters, digits, ``_``, ``-`` and ``.``,
starting with a letter or digit. It names an HDF5 group, where ``/`` would nest one and ``..``
or an empty name would break the layout."""


def check_sensor_name(path: str | Path, name: object, option: str = "") -> None:
    """Refuse a sensor name that is not :data:`SENSOR_NAME`: a ``FormatError`` naming ``path`` and
    the ``option`` that gave the name, when one did.

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

    A ``ValueError`` unless there is one time and one exposure per frame, times in order.

    Examples
    --------
    >>> frames = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 33333]), np.array([10000, 10000]), fps=30.0)
    >>> frames.data.shape, frames.t_us.tolist()
    ((2, 4, 6, 3), [0, 33333])
    >>> FrameSeries(np.zeros((2, 4, 6), np.uint8), np.array([0]), np.array([10000, 10000]))
    Traceback (most recent call last):
    ...
    ValueError: 2 frames but 1 times and 2 exposures
    """

    data: np.ndarray
    t_us: np.ndarray
    exposure_us: np.ndarray
    fps: float = 0.0
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_series("frames", self.data, self.t_us, self.exposure_us)


@dataclass
class TruthSeries:
    """Clean linear intensity frames (N, H, W) on an event sensor's grid (synthetic clips only).

    Examples
    --------
    >>> TruthSeries(np.ones((2, 2, 4), np.float32), np.array([0, 33333])).data.shape
    (2, 2, 4)
    >>> TruthSeries(np.ones((2, 2, 4), np.float32), np.array([33333, 0]))
    Traceback (most recent call last):
    ...
    ValueError: the times of the truth frames are not in order
    """

    data: np.ndarray
    t_us: np.ndarray

    def __post_init__(self) -> None:
        _check_series("truth frames", self.data, self.t_us)


def _check_series(what: str, data: np.ndarray, t_us: np.ndarray, *per_frame: np.ndarray) -> None:
    """A ``ValueError`` unless there is one time (and one of each ``per_frame`` value) per image, in order.

    Examples
    --------
    >>> _check_series("frames", np.zeros((3, 2, 2)), np.array([0, 10]))
    Traceback (most recent call last):
    ValueError: 3 frames but 2 times
    """
    counts = {len(data), len(t_us), *(len(v) for v in per_frame)}
    if len(counts) > 1:
        raise ValueError(f"{len(data)} {what} but {len(t_us)} times"
                         + "".join(f" and {len(v)} exposures" for v in per_frame))
    if np.any(np.diff(np.asarray(t_us)) < 0):
        raise ValueError(f"the times of the {what} are not in order")


@dataclass
class Clip:
    """Everything recorded for one clip. See the module docstring for the file layout.

    ``events``, ``sensors``, ``frames`` and ``truth`` are keyed by sensor (or camera) name; the
    times are µs from the clip's start.

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


_TIME_ATTRS = ("onset_us", "apex_us", "offset_us", "duration_us")
_SCALAR_ATTRS = ("clip_id", "subject", "label", "lighting", *_TIME_ATTRS)
_JSON_ATTRS = ("aus", "calibration", "extra")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a clip attribute")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default)


def write_clip(path: str | Path, clip: Clip) -> Path:
    """Write ``clip`` to ``path`` atomically (temporary file, then rename).

    Every field is checked first (events against their sensor: ``EventsError``; the rest:
    ``ParameterError`` naming ``path`` and the field), so that what is written reads back as given.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 10], [1, 2], [1, 2], [1, -1])
    >>> clip = Clip("c0", "s0", "AU12", [12], "bright", 0, 5, 10, 20,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read_clip(write_clip(Path(folder) / "c0.h5", clip)).events["lr"]["t"].tolist()
    [0, 10]
    """
    path = Path(path)
    clip = _checked(path, clip)
    tmp = None
    sink = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_beside(path)
        sink = GuardedFile(tmp)
        with h5py.File(sink, "w") as f:
            _write_root_attrs(f, clip)
            for name, info in clip.sensors.items():
                _write_events(f.create_group(f"events/{name}"), clip.events.get(name, empty_events()), info)
            for name, frames in clip.frames.items():
                _write_frames(f.create_group(f"frames/{name}"), frames)
            for name, truth in clip.truth.items():
                _write_truth(f.create_group(f"truth/{name}"), truth)
        sink.close()
        os.replace(tmp, path)
    except OSError as exc:
        raise FormatError(where(path, f"cannot write ({exc.strerror or exc})")) from exc
    finally:
        if sink is not None:
            with contextlib.suppress(OSError):
                sink.close()
        if tmp is not None and tmp.exists():
            tmp.unlink()
    return path


def _checked(path: Path, clip: Clip) -> Clip:
    """``clip`` with its times and AUs as ints, once every field is one :func:`read_clip` reads
    back as written; otherwise a ``ParameterError`` (``EventsError`` for events) naming ``path`` and
    the field, before anything is written. A string time wrote a clip no reader could open, a
    fraction lost its part silently, a frames name with ``/`` nested groups that read as corrupt."""
    if not isinstance(clip, Clip):
        raise ParameterError(where(path, f"clip must be a Clip, got {type(clip).__name__}"))
    texts = {key: _text(path, f"Clip.{key}", getattr(clip, key)) for key in ("clip_id", "subject", "label", "lighting")}
    times = {key: _field(path, key, lambda: as_int(f"Clip.{key}", getattr(clip, key))) for key in _TIME_ATTRS}
    if not 0 <= times["onset_us"] <= times["apex_us"] <= times["offset_us"] <= times["duration_us"]:
        raise ParameterError(where(path, "Clip times must keep 0 <= onset_us <= apex_us <= offset_us <= duration_us, got "
                                         + ", ".join(f"{key}={times[key]}" for key in _TIME_ATTRS)))
    # an integer keeps its own type, and the file its bytes; a whole float (1000.0) is stored as an int
    times = {key: t for key, t in times.items() if not isinstance(getattr(clip, key), (int, np.integer))}
    if isinstance(clip.aus, (str, bytes)) or not isinstance(clip.aus, Sequence | np.ndarray):
        raise ParameterError(where(path, f"Clip.aus must be a list of AU numbers, got {clip.aus!r}"))
    aus = _field(path, "aus", lambda: [as_int("Clip.aus", au, 1) for au in clip.aus])
    for name, info in clip.sensors.items():
        check_sensor_name(path, name)
        _field(path, name, lambda: _check_geometry(f"Clip.sensors[{name!r}]", info))
    for name, ev in clip.events.items():
        if name not in clip.sensors:
            raise FormatError(where(path, f"events for sensor {name!r} have no SensorInfo"))
        validate_events(ev, clip.sensors[name].size, source=f"{path} events/{name}")
    for name, frames in clip.frames.items():
        check_sensor_name(path, name, " (a camera of Clip.frames)")
        _check_images(path, f"Clip.frames[{name!r}]", frames.data, (np.uint8,), "(N, H, W) or (N, H, W, 3) of uint8")
        for key in ("t_us", "exposure_us"):
            _check_times(path, f"Clip.frames[{name!r}].{key}", getattr(frames, key))
    for name, truth in clip.truth.items():
        check_sensor_name(path, name, " (a sensor of Clip.truth)")
        _check_images(path, f"Clip.truth[{name!r}]", truth.data, (np.floating, np.integer), "(N, H, W) of numbers")
        _check_times(path, f"Clip.truth[{name!r}].t_us", truth.t_us)
        _check_truth_grid(path, name, truth.data.shape[1:], clip.sensors.get(name))
    return replace(clip, **texts, **times, aus=aus)


def _check_truth_grid(path: Path, name: str, shape: tuple[int, ...], sensor: SensorInfo | None) -> None:
    """Truth lies on its sensor's grid (docs/clip-format.md): readers crop it with the sensor's
    face box, so frames of another shape would be cut at the wrong pixels."""
    if sensor is None:
        raise ParameterError(where(path, f"Clip.truth[{name!r}] has no SensorInfo: truth lies on the grid of the "
                                         "sensor of its name"))
    grid = (int(sensor.height), int(sensor.width))
    if tuple(shape) != grid:
        raise ParameterError(where(path, f"Clip.truth[{name!r}].data has frames of (height, width) {tuple(shape)}, "
                                         f"sensor {name!r} is {grid}: truth lies on its sensor's grid"))


def _field(path: Path, key: str, check: Any) -> Any:
    """``check()``, its ParameterError prefixed with ``path``."""
    try:
        return check()
    except ParameterError as exc:
        raise ParameterError(where(path, str(exc))) from None


def _check_geometry(name: str, info: SensorInfo) -> None:
    """A sensor's size, full size and ROI as :func:`read_clip_meta` reads them back."""
    sensor_dims(info.size, name)
    for key in ("full_width", "full_height"):
        if getattr(info, key) is not None:
            as_int(f"{name}.{key}", getattr(info, key), 1)
    if info.roi is not None:
        if isinstance(info.roi, (str, bytes)) or not isinstance(info.roi, Sequence | np.ndarray) or len(info.roi) != 4:
            raise ParameterError(f"{name}.roi must be (x0, y0, width, height), got {info.roi!r}")
        for v in info.roi:
            as_int(f"{name}.roi", v)


def _text(path: Path, name: str, value: object) -> str:
    """``value`` as a plain ``str`` (h5py stores no ``numpy.str_``) of UTF-8 text."""
    if not isinstance(value, str):
        raise ParameterError(where(path, f"{name} must be text, got {value!r}"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(where(path, f"{name} {value!r} is not UTF-8 text")) from None
    return str(value)


def _check_images(path: Path, name: str, data: object, kinds: tuple[type, ...], shape: str) -> None:
    """Frames or truth: an array of the shape and dtype the schema stores (docs/clip-format.md)."""
    ok = isinstance(data, np.ndarray) and any(np.issubdtype(data.dtype, kind) for kind in kinds)
    if ok and data.ndim == 4 and kinds == (np.uint8,):
        ok = data.shape[3] == 3
    elif ok:
        ok = data.ndim == 3
    if not ok:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ParameterError(where(path, f"{name}.data must be {shape}, got {got}"))
    if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
        raise ParameterError(where(path, f"{name}.data holds nan or infinite values"))


def _check_times(path: Path, name: str, values: object) -> None:
    """Microseconds as whole numbers (a fraction was cut off silently when stored as int64)."""
    t = np.asarray(values)
    if t.dtype.kind in "iu":
        return
    if t.dtype.kind != "f" or not (np.isfinite(t).all() and (t == np.round(t)).all()):
        raise ParameterError(where(path, f"{name} must be whole microseconds, got {t.dtype} {t[:3].tolist()}"))


def temporary_beside(path: Path, keep_suffix: bool = False) -> Path:
    """A new empty file beside ``path`` for one writer to fill and rename onto ``path``.

    Named ``NAME.HOST-PID-RANDOM.tmp`` (``STEM.HOST-PID-RANDOM.tmp.EXT`` with ``keep_suffix``, for
    writers that take the format from the extension) and created exclusively, so two writers of one
    output never share a temporary file: the last to finish wins, whole. Those this machine's
    killed writers left for ``path`` (their process gone) are removed first; a live writer's, or
    another machine's on shared storage, are left alone. The folder must exist.

    Examples
    --------
    >>> tmp = temporary_beside(Path("rec.raw"))
    >>> tmp.name.startswith("rec.raw.") and tmp.name.endswith(".tmp") and temporaries_of(Path("rec.raw")) == [tmp]
    True
    """
    for left in temporaries_of(path, keep_suffix):
        with contextlib.suppress(OSError):
            if _abandoned(left.name):
                left.unlink()
    while True:
        owner = f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
        tmp = path.with_name(f"{path.stem}.{owner}.tmp{path.suffix}" if keep_suffix else f"{path.name}.{owner}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


_HOST = re.sub(r"[^A-Za-z0-9]+", "-", socket.gethostname())[:40] or "host"
"""This machine's name as it stands in temporary file names (letters, digits and '-')."""


def _abandoned(name: str) -> bool:
    """Whether the temporary file ``name`` (``….HOST-PID-RANDOM.tmp…``) is a writer's of this machine that is gone."""
    ours = re.search(rf"\.{re.escape(_HOST)}-(\d+)-[0-9a-f]{{8}}\.tmp", name)
    if ours is None:
        return False
    try:
        os.kill(int(ours[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def temporaries_of(path: Path, keep_suffix: bool = False) -> list[Path]:
    """The temporary files :func:`temporary_beside` made for ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "rec.csv"
    ...     before = temporaries_of(target)
    ...     made = temporary_beside(target, keep_suffix=True)
    ...     print(before, temporaries_of(target, keep_suffix=True) == [made], made.suffixes[-2:])
    [] True ['.tmp', '.csv']
    """
    pattern = f"{glob.escape(path.stem)}.*.tmp{glob.escape(path.suffix)}" if keep_suffix else f"{glob.escape(path.name)}.*.tmp"
    return sorted(path.parent.glob(pattern))


class GuardedFile:
    """A binary file for h5py's file-object driver that never lets HDF5 see a failed write.

    HDF5 does not survive write errors (a full disk made h5py segfault while closing the file),
    so the first ``OSError`` of a write is kept in :attr:`error`, later writes are dropped (HDF5
    goes on as if they had succeeded and closes cleanly) and :meth:`close` raises it. Writers
    check :attr:`error` after each chunk to stop early.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sink = GuardedFile(Path(folder) / "out.bin")
    ...     print(sink.write(b"abcdef"), sink.seek(2), sink.read(3), sink.error)
    ...     sink.close()
    6 2 b'cde' None
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "w+b")
        self._pos = 0
        self.error: OSError | None = None

    def _guard(self, action) -> None:
        if self.error is None:
            try:
                action()
            except OSError as exc:
                self.error = exc

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        pos = self._pos
        self._guard(lambda: (self._file.seek(pos), self._file.write(data)))
        self._pos += n
        return n

    def readinto(self, buffer) -> int:
        self._file.seek(self._pos)
        n = self._file.readinto(buffer) or 0
        self._pos += n
        return n

    def read(self, size: int = -1) -> bytes:
        self._file.seek(self._pos)
        data = self._file.read(size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: os.fstat(self._file.fileno()).st_size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        self._guard(lambda: self._file.truncate(size))
        return size

    def flush(self) -> None:
        self._guard(self._file.flush)

    def close(self) -> None:
        """Close the file; raises the first write error, if there was one."""
        if not self._file.closed:
            self._guard(self._file.close)
            if not self._file.closed:
                self._file.close()
        if self.error is not None:
            raise OSError(self.error.errno or errno.EIO, self.error.strerror or str(self.error), str(self.path))


def _write_root_attrs(f: h5py.File, clip: Clip) -> None:
    f.attrs["schema_version"] = SCHEMA_VERSION
    f.attrs["evface_version"] = __version__
    for key in _SCALAR_ATTRS:
        f.attrs[key] = getattr(clip, key)
    for key in _JSON_ATTRS:
        f.attrs[key] = _dumps(getattr(clip, key))


def encode_truth(data: np.ndarray) -> np.ndarray:
    """Truth frames ``(N, H, W)`` (linear, >= 0) as stored: uint16 log codes
    ``round((log2(x) - TRUTH_LOG2_MIN) * TRUTH_STEPS_PER_OCTAVE)`` (0 for x <= 2**TRUTH_LOG2_MIN),
    each frame minus the one before modulo 2**16. Still parts of the scene become runs of zeros
    and a flickering light one constant per frame, which gzip + shuffle store in a few bytes.

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


def _write_truth(g: h5py.Group, truth: TruthSeries) -> None:
    codes = encode_truth(truth.data)
    g.create_dataset("data", data=codes, **_image_options(codes.shape))
    g["data"].attrs.update({"encoding": TRUTH_ENCODING, "steps_per_octave": TRUTH_STEPS_PER_OCTAVE,
                            "log2_min": TRUTH_LOG2_MIN})
    g.create_dataset("t", data=np.asarray(truth.t_us, dtype=np.int64))


def _read_truth(path: Path, g: h5py.Group) -> TruthSeries:
    """A truth series of any schema: float32 (versions 1-2) or :func:`encode_truth` codes."""
    d = g["data"]
    if d.dtype.kind == "f":
        return TruthSeries(data=d[()].astype(np.float32, copy=False), t_us=g["t"][()])
    encoding = _attr_str(d.attrs.get("encoding", ""))
    steps, lo = d.attrs.get("steps_per_octave"), d.attrs.get("log2_min")
    if encoding != TRUTH_ENCODING or steps != TRUTH_STEPS_PER_OCTAVE or lo != TRUTH_LOG2_MIN:
        raise FormatError(where(path, f"truth {g.name}: unknown encoding {encoding!r} ({steps} steps/octave, "
                                      f"log2_min {lo}); this evface reads {TRUTH_ENCODING!r} and float32"))
    return TruthSeries(data=decode_truth(d[()]), t_us=g["t"][()])


def _event_dataset_options(n_events: int | None = None) -> dict[str, Any]:
    """h5py creation options shared by the four event columns (``n_events``: known length)."""
    chunk = EVENT_CHUNK if n_events is None else min(EVENT_CHUNK, max(1, n_events))
    return {"chunks": (chunk,), "compression": EVENT_COMPRESSION, "shuffle": EVENT_SHUFFLE}


def _image_options(shape: tuple[int, ...]) -> dict[str, Any]:
    """h5py creation options of a frames or truth series: one chunk per image, gzip + shuffle."""
    if not all(shape):
        return {}
    return {"chunks": (1, *shape[1:]), "compression": FRAME_COMPRESSION,
            "compression_opts": FRAME_COMPRESSION_LEVEL, "shuffle": True}


def _write_events(g: h5py.Group, events: np.ndarray, info: SensorInfo) -> None:
    """Each column in slices of ``EVENT_CHUNK`` events: a whole column would be copied first (the
    columns of the structured array are strided), which set the peak memory of an import."""
    for name in EVENT_DTYPE.names:
        column = g.create_dataset(name, shape=(events.size,), dtype=EVENT_DTYPE[name], maxshape=(None,),
                                  **_event_dataset_options(events.size))
        for lo in range(0, events.size, EVENT_CHUNK):
            column[lo:lo + EVENT_CHUNK] = events[name][lo:lo + EVENT_CHUNK]
    g.create_dataset("t_index", data=t_index(events["t"]))
    _write_sensor_attrs(g, info)


def _write_sensor_attrs(g: h5py.Group, info: SensorInfo) -> None:
    g.attrs["width"] = info.width
    g.attrs["height"] = info.height
    g.attrs["full_width"] = info.full_width if info.full_width is not None else info.width
    g.attrs["full_height"] = info.full_height if info.full_height is not None else info.height
    g.attrs["roi"] = np.asarray(info.roi if info.roi is not None else (0, 0, info.width, info.height), dtype=np.int64)
    g.attrs["model"] = info.model
    g.attrs["params"] = _dumps(info.params)


def _write_frames(g: h5py.Group, frames: FrameSeries) -> None:
    data = np.asarray(frames.data)
    g.create_dataset("data", data=data, **_image_options(data.shape))
    g.create_dataset("t", data=np.asarray(frames.t_us, dtype=np.int64))
    g.create_dataset("exposure_us", data=np.asarray(frames.exposure_us, dtype=np.int64))
    g.attrs["height"], g.attrs["width"] = data.shape[1:3] if data.ndim >= 3 else (0, 0)
    g.attrs["fps"] = float(frames.fps)
    g.attrs["model"] = frames.model
    g.attrs["params"] = _dumps(frames.params)


class ClipEventsWriter:
    """Stream one sensor's events into a new clip file, chunk by chunk.

    Writes ``path`` itself: a caller that wants the file to appear whole writes a temporary name
    and renames it on success, as :class:`evface.io.event_writer.EventsFileWriter` does. Each chunk
    is checked before any of it is written (:func:`~evface.events.core.check_stream`): it must be
    sorted, follow the previous chunk in time, lie on the sensor and hold polarities -1/+1; an
    :class:`~evface.errors.EventsError` naming ``path`` says which event does not.
    The clip's attributes are empty but for ``clip_id`` and ``duration_us`` (last event time minus
    the first); the sensor's geometry is ``sensor_size`` with no ROI.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> writer = ClipEventsWriter("rec.h5", "lr", (346, 260), clip_id="rec")
    >>> writer.write(make_events([0, 1500], [1, 2], [3, 4], [1, -1]))
    >>> writer.write(make_events([2500], [5], [6], [1]))
    >>> writer.close()
    >>> event_counts("rec.h5"), read_clip_meta("rec.h5").duration_us
    ({'lr': 3}, 2500)
    """

    def __init__(self, path: str | Path, sensor: str, sensor_size: SensorSize, *, clip_id: str) -> None:
        check_sensor_name(path, sensor)
        self.sensor = sensor
        self.sensor_size = _field(Path(path), "sensor_size", lambda: sensor_dims(sensor_size))
        self.clip_id = clip_id
        self._sink = GuardedFile(path)
        self._file = h5py.File(self._sink, "w")
        self._group = self._file.create_group(f"events/{sensor}")
        self._columns = {name: self._group.create_dataset(name, shape=(0,), maxshape=(None,), dtype=EVENT_DTYPE[name],
                                                          **_event_dataset_options())
                         for name in EVENT_DTYPE.names}
        self._n = 0
        self._first_t: int | None = None
        self._last_t = -1
        self._index_parts: list[np.ndarray] = []

    def write(self, events: np.ndarray) -> None:
        """Append a chunk of events (an empty one adds nothing); raises ``OSError`` once a write to
        the disk failed."""
        self._check(events)
        m = events.size
        if not m:
            return
        for name, ds in self._columns.items():
            ds.resize((self._n + m,))
            ds[self._n:self._n + m] = events[name]
        if self._sink.error is not None:
            raise OSError(self._sink.error.errno, self._sink.error.strerror, str(self._sink.path))
        t = events["t"]
        first = -self._n % T_INDEX_STEP  # the chunk's first event whose global index is a multiple of the step
        self._index_parts.append(np.array(t[first::T_INDEX_STEP], dtype=np.int64))
        if self._first_t is None:
            self._first_t = int(t[0])
        self._last_t = int(t[-1])
        self._n += m

    def _check(self, events: np.ndarray) -> None:
        """An EventsError naming the file unless ``events`` is a chunk the clip can take next."""
        try:
            check_array(events)
            check_stream(events, self.sensor_size)
            if events.size and self._first_t is not None and int(events["t"][0]) < self._last_t:
                raise EventsError(f"timestamps not sorted: the chunk starts at t={int(events['t'][0])}, before the "
                                  f"previous chunk's last event at t={self._last_t}")
        except EventsError as exc:
            raise EventsError(where(self._sink.path, f"events/{self.sensor}: {exc}")) from None

    def close(self) -> None:
        """Write the ``t_index`` and the attributes, and close the file (once: a second call does nothing)."""
        if not self._file:  # closed already
            return
        index = np.concatenate([np.zeros(0, dtype=np.int64), *self._index_parts])
        self._group.create_dataset("t_index", data=index)
        _write_sensor_attrs(self._group, SensorInfo(self.sensor, self.sensor_size[0], self.sensor_size[1]))
        duration = 0 if self._first_t is None else self._last_t - self._first_t
        clip = Clip(clip_id=self.clip_id, subject="", label="", aus=[], lighting="",
                    onset_us=0, apex_us=0, offset_us=0, duration_us=duration)
        _write_root_attrs(self._file, clip)
        self._file.close()
        self._sink.close()

    def abort(self) -> None:
        """Close the file as it is (the caller removes it)."""
        self._file.close()
        self._sink.error = self._sink.error or OSError(errno.ECANCELED, "aborted")
        with contextlib.suppress(OSError):
            self._sink.close()


def t_index(t: np.ndarray, step: int = T_INDEX_STEP) -> np.ndarray:
    """The time of every ``step``-th event (events 0, step, 2 step, ...): ``ceil(n / step)`` entries.

    Examples
    --------
    >>> t_index(np.array([0, 5, 9, 1_605_537_493_718_345]), step=2).tolist()
    [0, 9]
    """
    return np.array(t[::step], dtype=np.int64)


@contextlib.contextmanager
def clip_errors(path: str | Path) -> Iterator[None]:
    """Turn what h5py raises while reading a corrupt clip into one :class:`FormatError`.

    h5py raises KeyError, OSError, RuntimeError, ValueError or TypeError on damaged files, and
    lists a member it cannot resolve as ``None`` (AttributeError further on).

    Examples
    --------
    >>> with clip_errors("c0.h5"):
    ...     raise KeyError("object 'hd' doesn't exist")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: c0.h5: cannot read this clip ("object 'hd' doesn't exist"): the file is corrupt or truncated
    """
    try:
        yield
    except EvfaceError:
        raise
    except (KeyError, OSError, RuntimeError, ValueError, TypeError, AttributeError) as exc:
        raise FormatError(where(path, f"cannot read this clip ({exc}): the file is corrupt or truncated")) from None


@contextlib.contextmanager
def _open(path: str | Path) -> Iterator[h5py.File]:
    """Open a clip for reading; errors while reading it name the file (:func:`clip_errors`)."""
    path = Path(path)
    if not path.exists():
        raise FormatError(where(path, "no such file"))
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(where(path, f"not a readable HDF5 clip file ({exc})")) from exc
    with f, clip_errors(path):
        version = f.attrs.get("schema_version")
        if version is None:
            raise FormatError(where(path, "HDF5 file without 'schema_version': not an evface clip"))
        if int(version) > SCHEMA_VERSION:
            raise FormatError(where(path, f"clip schema version {int(version)} is newer than this evface ({SCHEMA_VERSION})"))
        yield f


def _attr_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _sensor_info(name: str, g: h5py.Group) -> SensorInfo:
    a = g.attrs
    width, height = int(a["width"]), int(a["height"])
    if not (0 < width <= MAX_SENSOR_SIDE and 0 < height <= MAX_SENSOR_SIDE):
        raise ValueError(f"sensor {name!r} is {width}x{height}; each side must be 1 to {MAX_SENSOR_SIDE}")
    return SensorInfo(
        name=name,
        width=width,
        height=height,
        full_width=int(a["full_width"]),
        full_height=int(a["full_height"]),
        roi=tuple(int(v) for v in a["roi"]),
        model=_attr_str(a.get("model", "")),
        params=json.loads(_attr_str(a.get("params", "{}"))),
    )


def read_clip_meta(path: str | Path) -> Clip:
    """Read a clip's attributes and sensor geometry only (no events, frames or truth).

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     meta = read_clip_meta(write_clip(Path(folder) / "c0.h5", clip))
    >>> meta.clip_id, meta.aus, meta.sensors["lr"].size, meta.events
    ('c0', [6, 12], (4, 2), {})
    """
    path = Path(path)
    with _open(path) as f:
        return _meta(path, f)


def _meta(path: Path, f: h5py.File) -> Clip:
    try:
        kwargs = {key: f.attrs[key] for key in _SCALAR_ATTRS}
        kwargs = {k: (_attr_str(v) if k in ("clip_id", "subject", "label", "lighting") else int(v)) for k, v in kwargs.items()}
        json_attrs = {key: json.loads(_attr_str(f.attrs[key])) for key in _JSON_ATTRS}
    except KeyError as exc:
        raise FormatError(where(path, f"missing clip attribute {exc}")) from exc
    except ValueError as exc:
        raise FormatError(where(path, f"corrupt clip attribute ({exc})")) from exc
    try:
        sensors = {name: _sensor_info(name, g) for name, g in f.get("events", {}).items()}
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(where(path, f"corrupt sensor attributes under /events ({exc})")) from exc
    return Clip(**kwargs, **json_attrs, sensors=sensors)


def read_events(
    path: str | Path, sensor: str, t_start_us: int | None = None, t_end_us: int | None = None
) -> np.ndarray:
    """Read the events of one sensor with ``t_start_us <= t < t_end_us`` without loading the rest.

    A binary search of the ``t_index`` narrows each edge of the window to ``T_INDEX_STEP`` events,
    then a binary search of those few timestamps finds it.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     window = read_events(write_clip(Path(folder) / "c0.h5", clip), "lr", 1000, 3000)
    >>> window[["t", "x", "p"]].tolist()
    [(1000, 1, -1), (2000, 2, 1)]
    """
    path = Path(path)
    t_start_us, t_end_us = time_window(t_start_us, t_end_us)
    with _open(path) as f:
        return _read_events(path, f, sensor, t_start_us, t_end_us)


def iter_clip_events(
    path: str | Path,
    sensor: str,
    t_start_us: int | None = None,
    t_end_us: int | None = None,
    *,
    chunk_events: int = READ_CHUNK_EVENTS,
) -> Iterator[np.ndarray]:
    """Yield the events of one sensor with ``t_start_us <= t < t_end_us`` in chunks of ``chunk_events``.

    The file stays open while the chunks are consumed, so a clip larger than memory goes through.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000, 4000], [0, 1, 2, 3, 0], [0, 0, 1, 1, 2], [1, 1, -1, 1, -1])
    >>> clip = Clip("c0", "s0", "AU4", [4], "dim", 0, 2000, 4000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> path = write_clip("c0.h5", clip)
    >>> [chunk["t"].tolist() for chunk in iter_clip_events(path, "lr", 1000, 4000, chunk_events=2)]
    [[1000, 2000], [3000]]
    """
    t_start_us, t_end_us = time_window(t_start_us, t_end_us)  # checked here, not at the first chunk
    return _clip_chunks(Path(path), sensor, t_start_us, t_end_us, as_int("chunk_events", chunk_events, 1))


def _clip_chunks(path: Path, sensor: str, t_start_us: int | None, t_end_us: int | None,
                 chunk_events: int) -> Iterator[np.ndarray]:
    with _open(path) as f:
        g = _event_group(path, f, sensor)
        try:
            lo, hi = _span(g, t_start_us, t_end_us)
            for start in range(lo, hi, chunk_events):
                yield _read_rows(g, start, min(hi, start + chunk_events))
        except (OSError, KeyError, ValueError) as exc:
            raise _corrupt_events(path, sensor, exc) from exc


def _read_events(path: Path, f: h5py.File, sensor: str, t0: int | None, t1: int | None) -> np.ndarray:
    g = _event_group(path, f, sensor)
    try:
        lo, hi = _span(g, t0, t1)
        return _read_rows(g, lo, hi)
    except (OSError, KeyError, ValueError) as exc:
        raise _corrupt_events(path, sensor, exc) from exc


def _event_group(path: Path, f: h5py.File, sensor: str) -> h5py.Group:
    g = f.get(f"events/{sensor}")
    if g is None:
        known = sorted(f.get("events", {}).keys())
        raise FormatError(where(path, f"no events for sensor {sensor!r} (clip has {known})"))
    return g


def _corrupt_events(path: Path, sensor: str, exc: BaseException) -> FormatError:
    return FormatError(where(path, f"events/{sensor} is corrupt or truncated ({exc})"))


def _span(g: h5py.Group, t0: int | None, t1: int | None) -> tuple[int, int]:
    """Index range ``[lo, hi)`` of the events with ``t0 <= t < t1`` (``None``: open end)."""
    n = g["t"].shape[0]
    lo = 0 if t0 is None else _locate(g, t0, n)
    hi = n if t1 is None else _locate(g, t1, n)
    return lo, max(lo, hi)


def _read_rows(g: h5py.Group, lo: int, hi: int) -> np.ndarray:
    events = np.empty(hi - lo, dtype=EVENT_DTYPE)
    if hi > lo:
        for name in EVENT_DTYPE.names:
            events[name] = g[name][lo:hi]
    return events


def _locate(g: h5py.Group, t_us: int, n: int) -> int:
    """Index of the first event with t >= t_us."""
    if "t_index" not in g:
        return _locate_ms(g, t_us, n)
    index = g["t_index"][()]
    if index.shape[0] != -(-n // T_INDEX_STEP):
        raise ValueError(f"t_index has {index.shape[0]} entries for {n} events")
    j = int(np.searchsorted(index, t_us, side="left"))  # index[j - 1] < t_us <= index[j]
    lo, hi = max(0, (j - 1) * T_INDEX_STEP), min(n, j * T_INDEX_STEP)
    if j == index.shape[0]:
        hi = n
    t = g["t"][lo:hi + 1]  # the event at hi too: both index entries around t_us are checked
    if (j > 0 and t[0] != index[j - 1]) or (j < index.shape[0] and t[-1] != index[j]):
        raise ValueError("t_index does not match the event times")
    return lo + int(np.searchsorted(t[:hi - lo], t_us, side="left"))


def _locate_ms(g: h5py.Group, t_us: int, n: int) -> int:
    """:func:`_locate` in a schema-1 file, through its ``ms_index``."""
    index = g["ms_index"]
    k = int(t_us) // MS_INDEX_STEP_US
    if k < 0:  # before time 0: only events with negative t (index[0] of them) can precede
        lo, hi = 0, int(index[0])
    elif k + 1 >= index.shape[0]:
        return n
    else:
        lo, hi = int(index[k]), int(index[k + 1])
    return lo + int(np.searchsorted(g["t"][lo:hi], t_us, side="left"))


def read_clip(
    path: str | Path,
    sensors: list[str] | None = None,
    *,
    frames: bool | Sequence[str] = True,
    truth: bool | Sequence[str] = True,
) -> Clip:
    """Read a whole clip (optionally only some sensors, and without frames or truth).

    ``frames`` may name the frame streams to read, and ``truth`` the sensors whose truth series
    to read (decoding one costs more than reading its events).

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> clip.frames["rgb"] = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 33333]), np.array([9000, 9000]))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_clip(Path(folder) / "c0.h5", clip)
    ...     whole, light = read_clip(path), read_clip(path, frames=False)
    >>> whole.events["lr"]["t"].tolist(), whole.frames["rgb"].data.shape, light.frames
    ([0, 1000, 2000, 3000], (2, 4, 6, 3), {})
    """
    path = Path(path)
    with _open(path) as f:
        clip = _meta(path, f)
        names = list(clip.sensors) if sensors is None else sensors
        clip.events = {name: _read_events(path, f, name, None, None) for name in names}
        clip.sensors = {name: clip.sensors[name] for name in names}
        try:
            if frames:
                for name, g in f.get("frames", {}).items():
                    if frames is not True and name not in frames:
                        continue
                    clip.frames[name] = FrameSeries(
                        data=g["data"][()], t_us=g["t"][()], exposure_us=g["exposure_us"][()],
                        fps=float(g.attrs.get("fps", 0.0)), model=_attr_str(g.attrs.get("model", "")),
                        params=json.loads(_attr_str(g.attrs.get("params", "{}"))),
                    )
            if truth:
                for name, g in f.get("truth", {}).items():
                    if truth is True or name in truth:
                        clip.truth[name] = _read_truth(path, g)
        except (OSError, KeyError, ValueError) as exc:
            raise FormatError(where(path, f"frames or truth are corrupt or truncated ({exc})")) from exc
    return clip


def event_counts(path: str | Path) -> dict[str, int]:
    """Number of events per sensor, read from the dataset shapes (no event is loaded).

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> clip.sensors["hd"] = SensorInfo("hd", 8, 8)  # a sensor without events
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     event_counts(write_clip(Path(folder) / "c0.h5", clip))
    {'hd': 0, 'lr': 4}
    """
    path = Path(path)
    with _open(path) as f:
        return {name: int(g["t"].shape[0]) for name, g in f.get("events", {}).items()}


def indexed_event_times(path: str | Path) -> dict[str, tuple[int, int]]:
    """Per sensor with events, the times of its first event and of its last indexed one (the last
    entry of ``t_index``, within :data:`T_INDEX_STEP` events of the end): where the events lie,
    read without decompressing them. Schema-1 files (no ``t_index``) give nothing.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([5, 1000, 2000], [0, 1, 2], [0, 0, 1], [1, 1, -1])
    >>> clip = Clip("c1", "s0", "AU4", [4], "dim", 0, 1000, 2000, 3000, events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> indexed_event_times(write_clip("c1.h5", clip))
    {'lr': (5, 5)}
    """
    path = Path(path)
    with _open(path) as f, clip_errors(path):
        return {name: (int(index[0]), int(index[-1])) for name, g in f.get("events", {}).items()
                if "t_index" in g for index in [g["t_index"][()]] if index.shape[0]}


def frames_and_truth_info(path: str | Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Shapes and times of a clip's frames and truth series, read without loading an image.

    Returns ``(frames, truth)``: per camera ``count``, ``shape`` (of one frame), ``fps``,
    ``t_first_us`` and ``t_last_us`` (``None`` without frames); per sensor ``count`` and ``shape``.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> clip.frames["rgb"] = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 33333]),
    ...                                  np.array([9000, 9000]), fps=30.0)
    >>> clip.truth["lr"] = TruthSeries(np.ones((2, 2, 4), np.float32), np.array([0, 33333]))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     frames, truth = frames_and_truth_info(write_clip(Path(folder) / "c0.h5", clip))
    >>> frames
    {'rgb': {'count': 2, 'shape': [4, 6, 3], 'fps': 30.0, 't_first_us': 0, 't_last_us': 33333}}
    >>> truth
    {'lr': {'count': 2, 'shape': [2, 4]}}
    """
    path = Path(path)
    frames: dict[str, dict[str, Any]] = {}
    with _open(path) as f:
        for name, g in f.get("frames", {}).items():
            shape = g["data"].shape
            t = g["t"]
            frames[name] = {"count": int(shape[0]), "shape": list(shape[1:]), "fps": float(g.attrs.get("fps", 0.0)),
                            "t_first_us": int(t[0]) if t.shape[0] else None,
                            "t_last_us": int(t[-1]) if t.shape[0] else None}
        truth = {name: {"count": int(g["data"].shape[0]), "shape": list(g["data"].shape[1:])}
                 for name, g in f.get("truth", {}).items()}
    return frames, truth
