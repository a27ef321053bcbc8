"""Reading a clip file: whole (:func:`read_clip`), its attributes and sensors only
(:func:`read_clip_meta`), one sensor's events in a time window (:func:`read_events`, or in chunks
:func:`iter_clip_events`, through the ``t_index``; :func:`first_event_index`, where a window
begins), and summaries that load no event or image
(:func:`event_counts`, :func:`indexed_event_times`, :func:`frames_and_truth_info`).

Files of every schema version up to :data:`~evface.io.clip_schema.SCHEMA_VERSION` read; whatever
h5py raises on a damaged file becomes one :class:`~evface.errors.FormatError` naming it
(:func:`clip_errors`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from evface.checks import MAX_SENSOR_SIDE, as_int, as_path
from evface.errors import EvfaceError, FormatError, where
from evface.events.core import EVENT_DTYPE, time_window
from evface.io.clip_schema import (JSON_ATTRS, SCALAR_ATTRS, SCHEMA_VERSION, T_INDEX_STEP, TRUTH_ENCODING,
                                   TRUTH_LOG2_MIN, TRUTH_STEPS_PER_OCTAVE, Clip, FrameSeries, SensorInfo, TruthSeries,
                                   decode_truth)
from evface.io.formats import check_file_exists

MS_INDEX_STEP_US = 1000
"""Step of the ``ms_index`` of schema-1 files (read only)."""
READ_CHUNK_EVENTS = 1 << 21
"""Events per chunk that :func:`iter_clip_events` yields by default."""


def _read_truth(path: Path, g: h5py.Group) -> TruthSeries:
    """A truth series of any schema: float32 (versions 1-2) or :func:`~evface.io.clip_schema.encode_truth` codes."""
    d = g["data"]
    if d.dtype.kind == "f":
        return TruthSeries(data=d[()].astype(np.float32, copy=False), t_us=g["t"][()])
    encoding = _attr_str(d.attrs.get("encoding", ""))
    steps, lo = d.attrs.get("steps_per_octave"), d.attrs.get("log2_min")
    if encoding != TRUTH_ENCODING or steps != TRUTH_STEPS_PER_OCTAVE or lo != TRUTH_LOG2_MIN:
        raise FormatError(where(path, f"truth {g.name}: unknown encoding {encoding!r} ({steps} steps/octave, "
                                      f"log2_min {lo}); this evface reads {TRUTH_ENCODING!r} and float32"))
    return TruthSeries(data=decode_truth(d[()]), t_us=g["t"][()])


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
    path = as_path("path", path)
    check_file_exists(path, "a clip file (.h5)")  # a pipe would block HDF5's open until something wrote to it
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
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     meta = read_clip_meta(write_clip(Path(folder) / "c0.h5", clip))
    >>> meta.clip_id, meta.aus, meta.sensors["lr"].size, meta.events
    ('c0', [6, 12], (4, 2), {})
    """
    path = as_path("path", path)
    with _open(path) as f:
        return _meta(path, f)


def _meta(path: Path, f: h5py.File) -> Clip:
    try:
        kwargs = {key: f.attrs[key] for key in SCALAR_ATTRS}
        kwargs = {k: (_attr_str(v) if k in ("clip_id", "subject", "label", "lighting") else int(v)) for k, v in kwargs.items()}
        json_attrs = {key: json.loads(_attr_str(f.attrs[key])) for key in JSON_ATTRS}
    except KeyError as exc:
        raise FormatError(where(path, f"missing clip attribute {exc}")) from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested past Python's stack
        raise FormatError(where(path, f"corrupt clip attribute ({exc})")) from exc
    try:
        sensors = {name: _sensor_info(name, g) for name, g in f.get("events", {}).items()}
    except (KeyError, ValueError, TypeError, RecursionError) as exc:
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
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     window = read_events(write_clip(Path(folder) / "c0.h5", clip), "lr", 1000, 3000)
    >>> window[["t", "x", "p"]].tolist()
    [(1000, 1, -1), (2000, 2, 1)]
    """
    path = as_path("path", path)
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
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([0, 1000, 2000, 3000, 4000], [0, 1, 2, 3, 0], [0, 0, 1, 1, 2], [1, 1, -1, 1, -1])
    >>> clip = Clip("c0", "s0", "AU4", [4], "dim", 0, 2000, 4000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> path = write_clip("c0.h5", clip)
    >>> [chunk["t"].tolist() for chunk in iter_clip_events(path, "lr", 1000, 4000, chunk_events=2)]
    [[1000, 2000], [3000]]
    """
    t_start_us, t_end_us = time_window(t_start_us, t_end_us)  # checked here, not at the first chunk
    return _clip_chunks(as_path("path", path), sensor, t_start_us, t_end_us, as_int("chunk_events", chunk_events, 1))


def _clip_chunks(path: Path, sensor: str, t_start_us: int | None, t_end_us: int | None,
                 chunk_events: int) -> Iterator[np.ndarray]:
    with _open(path) as f:
        g = _event_group(path, f, sensor)
        try:
            lo, hi = _span(g, t_start_us, t_end_us)
            for start in range(lo, hi, chunk_events):
                yield _on_sensor(path, sensor, g, start, _read_rows(g, start, min(hi, start + chunk_events)))
        except (OSError, KeyError, ValueError) as exc:
            raise _corrupt_events(path, sensor, exc) from exc


def first_event_index(path: str | Path, sensor: str, t_us: int | None) -> int:
    """Index in the file of ``sensor``'s first event with ``t >= t_us`` (0 for ``None``): where a
    time window's events begin, by which an event in it is numbered as in the whole file.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 0, 1, 1], [1, 1, -1, 1])
    >>> clip = Clip("c0", "s0", "AU4", [4], "dim", 0, 2000, 4000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> first_event_index(write_clip("c0.h5", clip), "lr", 1500)
    2
    """
    path = as_path("path", path)
    with _open(path) as f:
        g = _event_group(path, f, sensor)
        try:
            return _span(g, t_us, None)[0]
        except (OSError, KeyError, ValueError) as exc:
            raise _corrupt_events(path, sensor, exc) from exc


def _read_events(path: Path, f: h5py.File, sensor: str, t0: int | None, t1: int | None) -> np.ndarray:
    g = _event_group(path, f, sensor)
    try:
        lo, hi = _span(g, t0, t1)
        return _on_sensor(path, sensor, g, lo, _read_rows(g, lo, hi))
    except (OSError, KeyError, ValueError) as exc:
        raise _corrupt_events(path, sensor, exc) from exc


def _on_sensor(path: Path, sensor: str, g: h5py.Group, lo: int, events: np.ndarray) -> np.ndarray:
    """``events``, rows ``lo`` on of the group ``g``, when each lies on its sensor; else a
    FormatError naming the file, the sensor and the first event (its row) that does not.

    :func:`~evface.io.clip_writer.write_clip` writes no other, so the file is corrupt or was made
    otherwise; such events went to the inputs, which cropped them to the face box without a word
    (the events file readers refuse them). Two reductions, about 2 ms per million events; the time
    order is not asked here: ``convert --sort`` reads an unsorted clip file to sort it."""
    width, height = _sensor_info(sensor, g).size
    x, y = events["x"], events["y"]
    if events.size and (int(x.max()) >= width or int(y.max()) >= height):
        i = int(np.flatnonzero((x >= width) | (y >= height))[0])
        raise FormatError(where(path, f"events/{sensor} is corrupt: event {lo + i} at t={int(events['t'][i])} µs "
                                      f"(x={int(x[i])}, y={int(y[i])}) lies outside the {width}x{height} sensor"))
    return events


def _event_group(path: Path, f: h5py.File, sensor: str) -> h5py.Group:
    g = f.get(f"events/{sensor}")
    if g is None:
        known = sorted(f.get("events", {}).keys())
        raise FormatError(where(path, f"no events for sensor {sensor!r} (clip has {', '.join(known) or 'none'})"))
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
    >>> from evface.io.clip_writer import write_clip
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
    path = as_path("path", path)
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
        except (OSError, KeyError, ValueError, RecursionError) as exc:
            raise FormatError(where(path, f"frames or truth are corrupt or truncated ({exc})")) from exc
    return clip


def event_counts(path: str | Path) -> dict[str, int]:
    """Number of events per sensor, read from the dataset shapes (no event is loaded).

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([0, 1000, 2000, 3000], [0, 1, 2, 3], [0, 1, 1, 0], [1, -1, 1, 1])
    >>> clip = Clip("c0", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> clip.sensors["hd"] = SensorInfo("hd", 8, 8)  # a sensor without events
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     event_counts(write_clip(Path(folder) / "c0.h5", clip))
    {'hd': 0, 'lr': 4}
    """
    path = as_path("path", path)
    with _open(path) as f:
        return {name: int(g["t"].shape[0]) for name, g in f.get("events", {}).items()}


def indexed_event_times(path: str | Path) -> dict[str, tuple[int, int]]:
    """Per sensor with events, the times of its first event and of its last indexed one (the last
    entry of ``t_index``, within :data:`T_INDEX_STEP` events of the end): where the events lie,
    read without decompressing them. Schema-1 files (no ``t_index``) give nothing.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_writer import write_clip
    >>> ev = make_events([5, 1000, 2000], [0, 1, 2], [0, 0, 1], [1, 1, -1])
    >>> clip = Clip("c1", "s0", "AU4", [4], "dim", 0, 1000, 2000, 3000, events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> indexed_event_times(write_clip("c1.h5", clip))
    {'lr': (5, 5)}
    """
    path = as_path("path", path)
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
    >>> from evface.io.clip_writer import write_clip
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
    path = as_path("path", path)
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
