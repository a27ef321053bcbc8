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
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import h5py
import numpy as np

from evface.checks import MAX_SENSOR_SIDE, as_int, as_path
from evface.errors import EventsError, EvfaceError, FormatError, ParameterError, where
from evface.events.core import EVENT_DTYPE, time_window
from evface.io.clip_schema import (EVENT_COLUMNS, JSON_ATTRS, SCALAR_ATTRS, SCHEMA_VERSION, T_INDEX_STEP, TRUTH_ENCODING,
                                   TRUTH_LOG2_MIN, TRUTH_STEPS_PER_OCTAVE, Clip, FrameSeries, SensorInfo, TruthSeries,
                                   decode_truth)
from evface.io.clip_checks import checked_clip
from evface.io.event_checks import refuse_bad_polarity
from evface.io.formats import check_file_exists

MS_INDEX_STEP_US = 1000
"""Step of the ``ms_index`` of schema-1 files (read only)."""
READ_CHUNK_EVENTS = 1 << 21
"""Events per chunk that :func:`iter_clip_events` yields by default."""


def _read_frames(path: Path, g: h5py.Group) -> FrameSeries:
    """The frames of the camera group ``g``, checked before they are read (:func:`_series_length`)."""
    _series_length(path, g, "frames")
    params = json.loads(_attr_str(g.attrs.get("params", "{}")))
    if not isinstance(params, dict):
        raise ValueError(f"{g.name} params must be a JSON object, got {params!r:.80}")
    exposure_us = g["exposure_us"][()].astype(np.int64)
    if exposure_us.size and exposure_us.min() < 0:
        raise ValueError(f"{g.name}/exposure_us holds a negative exposure ({exposure_us.min()} µs)")
    return FrameSeries(data=g["data"][()], t_us=g["t"][()].astype(np.int64), exposure_us=exposure_us,
                       fps=_frame_rate(g), model=_attr_str(g.attrs.get("model", "")), params=params)


def _frame_rate(g: h5py.Group) -> float:
    """The ``fps`` attribute of the camera group ``g``: a finite number >= 0 (0, or none: not
    stated); else a ValueError naming it (a NaN or negative rate was read back as given)."""
    fps = float(g.attrs.get("fps", 0.0))
    if not (math.isfinite(fps) and fps >= 0):
        raise ValueError(f"{g.name} fps is {fps}, not a finite number >= 0")
    return fps


def _read_truth(path: Path, g: h5py.Group, sensor: SensorInfo | None) -> TruthSeries:
    """A truth series of any schema: float32 (versions 1-2) or :func:`~evface.io.clip_schema.encode_truth`
    codes, on the grid of ``sensor`` (the sensor of its name), every value finite."""
    d = g["data"]
    _series_length(path, g, "truth")
    grid = None if sensor is None else (sensor.height, sensor.width)
    if tuple(d.shape[1:]) != grid:
        raise ValueError(f"{g.name}/data has frames of (height, width) {tuple(d.shape[1:])}, its sensor is "
                         f"{grid or 'missing'}: truth lies on the grid of the sensor of its name")
    if d.dtype.kind == "f":
        data = d[()].astype(np.float32, copy=False)
    else:
        encoding = _attr_str(d.attrs.get("encoding", ""))
        steps, lo = d.attrs.get("steps_per_octave"), d.attrs.get("log2_min")
        if encoding != TRUTH_ENCODING or steps != TRUTH_STEPS_PER_OCTAVE or lo != TRUTH_LOG2_MIN:
            raise FormatError(where(path, f"truth {g.name}: unknown encoding {encoding!r} ({steps} steps/octave, "
                                          f"log2_min {lo}); this evface reads {TRUTH_ENCODING!r} and float32"))
        data = decode_truth(d[()])
    if not np.isfinite(data).all():  # codes past float32's range: no writer's (encode_truth stops at 2**128)
        raise ValueError(f"{g.name}/data holds values past float32's range (NaN or infinite once decoded)")
    return TruthSeries(data=data, t_us=g["t"][()].astype(np.int64))


SERIES_IMAGES = {"frames": ("uint8 (M, H, W) or (M, H, W, 3)", {3, 4}),
                 "truth": ("uint16 codes or float (L, h, w)", {3})}
"""What the ``data`` of a frames or truth series may be, and its dimensions."""


def _series_length(path: Path, g: h5py.Group, kind: str) -> int:
    """The number of images of the frames or truth series ``g``, once its ``data`` has the dtype
    and dimensions of ``kind`` and its times (and exposures) are 1-D integers, one per image; else
    a ValueError saying which member is not. Checked on the declared shapes, before any is read:
    a member declared terabytes long was read whole (``MemoryError``), and one time per image is
    what the :class:`FrameSeries` asks."""
    data, (what, dims) = g["data"], SERIES_IMAGES[kind]
    ok = isinstance(data, h5py.Dataset) and data.ndim in dims
    if ok and kind == "frames":
        ok = data.dtype == np.uint8 and (data.ndim == 3 or data.shape[3] == 3)
    elif ok:
        ok = data.dtype.kind == "f" or data.dtype == np.uint16
    if not ok:
        raise ValueError(f"{g.name}/data is {_described(data)}, not {what}")
    per_image = [g[name] for name in (("t", "exposure_us") if kind == "frames" else ("t",))]
    for column in per_image:
        _check_column(column, np.int64, column.name)
    if len({data.shape[0], *(len(column) for column in per_image)}) > 1:  # the words of FrameSeries and TruthSeries
        raise ValueError(f"{g.name}: {data.shape[0]} {'frames' if kind == 'frames' else 'truth frames'} but "
                         f"{len(per_image[0])} times" + "".join(f" and {len(v)} exposures" for v in per_image[1:]))
    for member in (data, *per_image):
        _check_stored(member)
    return int(data.shape[0])


MAX_INFLATION = 1100
"""The most a member's declared bytes may exceed the bytes it stores (gzip inflates at most about
1032-fold; LZF, which schema-1 files used, less)."""


def _check_stored(ds: h5py.Dataset) -> None:
    """A ValueError when ``ds`` declares more than :data:`MAX_INFLATION` times the bytes it stores
    (and over 1 MiB): a member declared terabytes long (chunked, little written) read whole as
    fill values, or took a ``MemoryError``; checked from its metadata, before it is read."""
    declared, stored = ds.size * ds.dtype.itemsize, ds.id.get_storage_size()
    if declared > MAX_INFLATION * stored + (1 << 20):
        raise ValueError(f"{ds.name} is declared {ds.shape} ({declared / 2**30:.1f} GiB) but stores {stored} bytes: "
                         "the file was not written whole")


def _check_column(ds: object, dtype: np.dtype | type, name: str) -> None:
    """A ValueError unless ``ds`` is a 1-D dataset of integers that ``dtype`` holds (its declared type)."""
    if not (isinstance(ds, h5py.Dataset) and ds.ndim == 1 and ds.dtype.kind in "iu"
            and np.can_cast(ds.dtype, dtype, "safe")):
        raise ValueError(f"{name} is {_described(ds)}, not a 1-D column of {np.dtype(dtype)} (or a narrower integer)")


def _described(member: object) -> str:
    """A member of the file as an error names it: ``int64 (4, 2)``, or what it is instead of a dataset."""
    if isinstance(member, h5py.Dataset):
        return f"{member.dtype} {member.shape}"
    return "a group" if isinstance(member, h5py.Group) else type(member).__name__


@contextlib.contextmanager
def clip_errors(path: str | Path) -> Iterator[None]:
    """Turn what h5py raises while reading a corrupt clip into one :class:`FormatError`.

    h5py raises KeyError, OSError, RuntimeError, ValueError or TypeError on damaged files, and
    lists a member it cannot resolve as ``None`` (AttributeError further on).

    Parameters
    ----------
    path : str or Path
        The clip file, named in the error.

    Yields
    ------
    None
        Nothing: the block runs with the errors turned.

    Raises
    ------
    FormatError
        Naming ``path``, for any of those errors raised inside the block (an ``EvfaceError`` passes as it is).

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
        roi=cast("tuple[int, int, int, int]", tuple(int(v) for v in a["roi"])),  # its length: checked by _written_back
        model=_attr_str(a.get("model", "")),
        params=json.loads(_attr_str(a.get("params", "{}"))),
    )


def read_clip_meta(path: str | Path) -> Clip:
    """Read a clip's attributes and sensor geometry only (no events, frames or truth).

    Parameters
    ----------
    path : str or Path
        The clip file.

    Returns
    -------
    Clip
        The clip's attributes and ``sensors``; ``events``, ``frames`` and ``truth`` are empty.

    Raises
    ------
    FormatError
        Naming ``path``: no such file, not a clip, a newer schema, or corrupt attributes.

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
    return _written_back(path, Clip(**kwargs, **json_attrs, sensors=sensors))


def _written_back(path: Path, clip: Clip) -> Clip:
    """``clip`` (attributes and sensors) when :func:`~evface.io.clip_writer.write_clip` could have
    written it: its ids, times in order, AUs, geometry (:func:`~evface.io.clip_checks.checked_clip`)
    and JSON objects where a clip keeps them; else a FormatError naming ``path``. Was: a clip whose
    ``onset_us`` was negative or after ``offset_us``, whose ``aus`` was a number or whose ROI had three
    values read as it was, for the inputs to cut windows and boxes from."""
    objects = {"calibration": clip.calibration, "extra": clip.extra,
               **{f"events/{name} params": info.params for name, info in clip.sensors.items()}}
    for name, value in objects.items():
        if not isinstance(value, dict):
            raise FormatError(where(path, f"corrupt clip attribute ({name} must be a JSON object, got {value!r:.80})"))
    try:
        return checked_clip(path, clip)
    except (ParameterError, EventsError, FormatError) as exc:
        said = str(exc).removeprefix(where(path, ""))
        raise FormatError(where(path, f"corrupt clip attributes ({said})")) from None


def read_events(
    path: str | Path, sensor: str, t_start_us: int | None = None, t_end_us: int | None = None
) -> np.ndarray:
    """Read the events of one sensor with ``t_start_us <= t < t_end_us`` without loading the rest.

    A binary search of the ``t_index`` narrows each edge of the window to ``T_INDEX_STEP`` events,
    then a binary search of those few timestamps finds it.

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensor : str
        The sensor whose events to read.
    t_start_us : int, optional
        Start of the window, µs from the clip's start; None: from the first event.
    t_end_us : int, optional
        End of the window (excluded); None: to the last event.

    Returns
    -------
    ndarray of EVENT_DTYPE
        The window's events, in time order.

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

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensor : str
        The sensor whose events to read.
    t_start_us : int, optional
        Start of the window, µs from the clip's start; None: from the first event.
    t_end_us : int, optional
        End of the window (excluded); None: to the last event.
    chunk_events : int, optional
        The most events per chunk (keyword only; default :data:`READ_CHUNK_EVENTS`).

    Returns
    -------
    iterator of ndarray of EVENT_DTYPE
        The window's events, chunk by chunk, in time order. The window's bounds are checked at this
        call, the file is read as the chunks are taken.

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
        with _sensor_errors(path, sensor):
            lo, hi = _span(g, t_start_us, t_end_us)
            for start in range(lo, hi, chunk_events):
                yield _on_sensor(path, sensor, g, start, _read_rows(g, start, min(hi, start + chunk_events)))


def first_event_index(path: str | Path, sensor: str, t_us: int | None) -> int:
    """Index in the file of ``sensor``'s first event with ``t >= t_us`` (0 for ``None``): where a
    time window's events begin, by which an event in it is numbered as in the whole file.

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensor : str
        The sensor whose events to count.
    t_us : int or None
        The time, µs from the clip's start; None: index 0.

    Returns
    -------
    int
        The index; the number of ``sensor``'s events when none is at or after ``t_us``.

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
        with _sensor_errors(path, sensor):
            return _span(g, t_us, None)[0]


def _read_events(path: Path, f: h5py.File, sensor: str, t0: int | None, t1: int | None) -> np.ndarray:
    g = _event_group(path, f, sensor)
    with _sensor_errors(path, sensor):
        lo, hi = _span(g, t0, t1)
        return _on_sensor(path, sensor, g, lo, _read_rows(g, lo, hi))


def _on_sensor(path: Path, sensor: str, g: h5py.Group, lo: int, events: np.ndarray) -> np.ndarray:
    """``events``, rows ``lo`` on of the group ``g``, when each lies on its sensor; else a
    FormatError naming the file, the sensor and the first event (its row) that does not.

    :func:`~evface.io.clip_writer.write_clip` writes no other, so the file is corrupt or was made
    otherwise; such events went to the inputs, which cropped them to the face box without a word
    (the events file readers refuse them). Two reductions, about 2 ms per million events; the time
    order is not asked here: ``convert --sort`` reads an unsorted clip file to sort it."""
    width, height = _sensor_info(sensor, g).size
    x, y, p = events["x"], events["y"], events["p"]
    if events.size and (int(x.max()) >= width or int(y.max()) >= height):
        i = int(np.flatnonzero((x >= width) | (y >= height))[0])
        raise FormatError(where(path, f"events/{sensor} is corrupt: event {lo + i} at t={int(events['t'][i])} µs "
                                      f"(x={int(x[i])}, y={int(y[i])}) lies outside the {width}x{height} sensor"))
    if events.size and (int(p.min()) < -1 or int(p.max()) > 1 or not p.all()):  # was: read as they were
        refuse_bad_polarity(path, events, lo)  # as the events-file reader names it
    return events


def _event_group(path: Path, f: h5py.File, sensor: str) -> h5py.Group:
    g = f.get(f"events/{sensor}")
    if g is None:
        known = sorted(f.get("events", {}).keys())
        raise FormatError(where(path, f"no events for sensor {sensor!r} (clip has {', '.join(known) or 'none'})"))
    return g


@contextlib.contextmanager
def _sensor_errors(path: Path, sensor: str, errors: tuple[type[Exception], ...] = (OSError, KeyError, ValueError)
                   ) -> Iterator[None]:
    """Turn ``errors`` raised inside (h5py's, or :func:`_event_count`'s) into a FormatError naming
    ``path`` and ``sensor``'s events as corrupt or truncated."""
    try:
        yield
    except errors as exc:
        raise FormatError(where(path, f"events/{sensor} is corrupt or truncated ({exc})")) from exc


def _span(g: h5py.Group, t0: int | None, t1: int | None) -> tuple[int, int]:
    """Index range ``[lo, hi)`` of the events with ``t0 <= t < t1`` (``None``: open end)."""
    n = _event_count(g)
    lo = 0 if t0 is None else _locate(g, t0, n)
    hi = n if t1 is None else _locate(g, t1, n)
    return lo, max(lo, hi)


def _event_count(g: h5py.Group) -> int:
    """The number of events of the sensor group ``g``, once its four columns are 1-D integers that
    the event dtype holds, all of one length; else a ValueError saying which is not. Checked on the
    declared shapes and types, before any is read: a column declared terabytes long was read whole
    (``MemoryError``), a float ``t`` cast NaN to an integer, a scalar raised ``IndexError``."""
    lengths, columns = {}, {}
    for name in EVENT_COLUMNS:
        columns[name] = g[name]  # looked up once: h5py makes a new object at each lookup (50 µs)
        _check_column(columns[name], EVENT_DTYPE[name], name)
        lengths[name] = columns[name].shape[0]
    if len(set(lengths.values())) > 1:
        raise ValueError("its columns differ in length (" + ", ".join(f"{k} {n}" for k, n in lengths.items()) + ")")
    for column in columns.values():
        _check_stored(column)
    return lengths["t"]


def _read_rows(g: h5py.Group, lo: int, hi: int) -> np.ndarray:
    events = np.empty(hi - lo, dtype=EVENT_DTYPE)
    if hi > lo:
        for name in EVENT_COLUMNS:
            events[name] = g[name][lo:hi]
    return events


def _locate(g: h5py.Group, t_us: int, n: int) -> int:
    """Index of the first event with t >= t_us."""
    if "t_index" not in g:
        return _locate_ms(g, t_us, n)
    index = _t_index(g, n)[()]
    j = int(np.searchsorted(index, t_us, side="left"))  # index[j - 1] < t_us <= index[j]
    lo, hi = max(0, (j - 1) * T_INDEX_STEP), min(n, j * T_INDEX_STEP)
    if j == index.shape[0]:
        hi = n
    t = g["t"][lo:hi + 1]  # the event at hi too: both index entries around t_us are checked
    if (j > 0 and t[0] != index[j - 1]) or (j < index.shape[0] and t[-1] != index[j]):
        raise ValueError("t_index does not match the event times")
    return lo + int(np.searchsorted(t[:hi - lo], t_us, side="left"))


def _t_index(g: h5py.Group, n: int) -> h5py.Dataset:
    """The ``t_index`` of the sensor group ``g`` of ``n`` events, once it is a 1-D integer column of
    ``ceil(n / T_INDEX_STEP)`` entries (checked before it is read); else a ValueError."""
    index = g["t_index"]
    _check_column(index, np.int64, "t_index")
    if index.shape[0] != -(-n // T_INDEX_STEP):
        raise ValueError(f"t_index has {index.shape[0]} entries for {n} events")
    _check_stored(index)
    return index


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

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensors : list of str, optional
        The sensors whose events to read; None: all of them.
    frames : bool or sequence of str, optional
        Whether to read the frames, or the cameras whose frames to read (keyword only).
    truth : bool or sequence of str, optional
        Whether to read the truth series, or the sensors whose truth to read (keyword only).

    Returns
    -------
    Clip
        The clip, with the sensors, frames and truth asked for.

    Raises
    ------
    FormatError
        Naming ``path``: no such file, not a clip, a newer schema, or a corrupt or truncated part.

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
        geometry, clip.sensors = clip.sensors, {name: clip.sensors[name] for name in names}
        try:
            if frames:
                for name, g in f.get("frames", {}).items():
                    if frames is True or name in frames:
                        clip.frames[name] = _read_frames(path, g)
            if truth:
                for name, g in f.get("truth", {}).items():
                    if truth is True or name in truth:
                        clip.truth[name] = _read_truth(path, g, geometry.get(name))
        except (OSError, KeyError, ValueError, TypeError, RecursionError) as exc:
            raise FormatError(where(path, f"frames or truth are corrupt or truncated ({exc})")) from exc
    return clip


def event_counts(path: str | Path) -> dict[str, int]:
    """Number of events per sensor, read from the dataset shapes (no event is loaded).

    Parameters
    ----------
    path : str or Path
        The clip file.

    Returns
    -------
    dict of str to int
        Per sensor, its number of events (0 for a sensor without events).

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
        return {name: _counted(path, name, g) for name, g in f.get("events", {}).items()}


def _counted(path: Path, sensor: str, g: h5py.Group) -> int:
    """:func:`_event_count` of ``sensor``'s group, a FormatError naming ``path`` and the sensor when its columns disagree."""
    with _sensor_errors(path, sensor, (KeyError, ValueError, TypeError)):
        return _event_count(g)


def indexed_event_times(path: str | Path) -> dict[str, tuple[int, int]]:
    """Per sensor with events, the times of its first event and of its last indexed one (the last
    entry of ``t_index``, within :data:`T_INDEX_STEP` events of the end): where the events lie,
    read without decompressing them. Schema-1 files (no ``t_index``) give nothing.

    Parameters
    ----------
    path : str or Path
        The clip file.

    Returns
    -------
    dict of str to tuple of int
        Per sensor with events, ``(first, last indexed)`` times in µs.

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
                if "t_index" in g for index in [_t_index(g, _counted(path, name, g))] if index.shape[0]}


def frames_and_truth_info(path: str | Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Shapes and times of a clip's frames and truth series, read without loading an image.

    Returns ``(frames, truth)``: per camera ``count``, ``shape`` (of one frame), ``fps``,
    ``t_first_us`` and ``t_last_us`` (``None`` without frames); per sensor ``count`` and ``shape``.

    Parameters
    ----------
    path : str or Path
        The clip file.

    Returns
    -------
    frames : dict of str to dict
        Per camera, ``count``, ``shape``, ``fps``, ``t_first_us`` and ``t_last_us``.
    truth : dict of str to dict
        Per sensor with truth, ``count`` and ``shape``.

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
            _series_length(path, g, "frames")
            shape = g["data"].shape
            t = g["t"]
            frames[name] = {"count": int(shape[0]), "shape": list(shape[1:]), "fps": _frame_rate(g),
                            "t_first_us": int(t[0]) if t.shape[0] else None,
                            "t_last_us": int(t[-1]) if t.shape[0] else None}
        truth = {name: {"count": _series_length(path, g, "truth"), "shape": list(g["data"].shape[1:])}
                 for name, g in f.get("truth", {}).items()}
    return frames, truth
