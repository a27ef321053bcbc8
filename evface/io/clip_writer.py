"""Writing a clip file: a whole :class:`~evface.io.clip_schema.Clip` (:func:`write_clip`), or one
sensor's events streamed chunk by chunk into a new clip (:class:`ClipEventsWriter`), in the layout
of :mod:`evface.io.clip_schema`.

Files are written under a temporary name and renamed, so a clip file either exists whole or not
at all. Ctrl-C, SIGTERM, SIGHUP and SIGXCPU wait while HDF5 writes (:func:`interrupts_held`).
Every size in the file depends on the number of events, never on their absolute time, and the same
clip always gives the same bytes (no filter with uninitialised state).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from evface import __version__
from evface.checks import as_path, as_real, sensor_dims
from evface.errors import EventsError, FormatError, ParameterError, where
from evface.events.core import EVENT_DTYPE, SensorSize, check_array, check_stream, empty_events
from evface.io.clip_checks import check_clip_id, check_field, checked_clip
from evface.io.clip_schema import (EVENT_COLUMNS, JSON_ATTRS, SCALAR_ATTRS, SCHEMA_VERSION, T_INDEX_STEP, TRUTH_ENCODING,
                                   TRUTH_LOG2_MIN, TRUTH_STEPS_PER_OCTAVE, Clip, FrameSeries, SensorInfo, TruthSeries,
                                   check_sensor_name, encode_truth)
from evface.io.atomic_files import STOP_SIGNALS
from evface.io.temporary_files import make_folders, remove_made_folders, temporary_beside

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
    ``ParameterError`` naming ``path`` and the field), so that what is written reads back as given;
    every frames and truth series has one time (and exposure) per image, set after it was made or
    not (:func:`~evface.io.clip_checks.checked_clip`); a camera's ``fps`` is a finite number >= 0 (0: not stated)
    and its exposures are >= 0 µs (:func:`_check_frame_timing`).

    Parameters
    ----------
    path : str or Path
        The clip file to write (its folders are made; an existing file is replaced).
    clip : Clip
        What to write.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    EventsError
        Events that break the data model or lie off their sensor.
    ParameterError
        Another field that would not read back as given.
    FormatError
        A sensor name that is not one, events without a sensor, or a file that cannot be written
        (nothing is left behind).

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_reader import read_clip
    >>> ev = make_events([0, 10], [1, 2], [1, 2], [1, -1])
    >>> clip = Clip("c0", "s0", "AU12", [12], "bright", 0, 5, 10, 20,
    ...             events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read_clip(write_clip(Path(folder) / "c0.h5", clip)).events["lr"]["t"].tolist()
    [0, 10]
    """
    path = as_path("path", path)
    clip = checked_clip(path, clip)
    for name, frames in clip.frames.items():
        _check_frame_timing(path, name, frames)
    tmp = None
    sink = None
    made: list[Path] = []
    try:
        made = make_folders(path.parent)
        tmp = temporary_beside(path)
        with interrupts_held():
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
        remove_made_folders(made)  # those still empty: all of them when the clip was not written
    return path


def _check_frame_timing(path: Path, name: str, frames: FrameSeries) -> None:
    """A ``ParameterError`` naming ``path`` and the field unless the frames of camera ``name`` have
    a finite ``fps`` >= 0 (0: the rate is not stated, the default of
    :class:`~evface.io.clip_schema.FrameSeries`) and no negative exposure. A NaN or negative rate,
    or a negative exposure, was written and read back as given.

    Examples
    --------
    >>> frames = FrameSeries(np.zeros((1, 2, 2), np.uint8), np.array([0]), np.array([-5]), fps=30.0)
    >>> _check_frame_timing(Path("c.h5"), "rgb", frames)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: c.h5: Clip.frames['rgb'].exposure_us must be >= 0 µs, got -5 (frame 0)
    """
    check_field(path, "fps", lambda: as_real(f"Clip.frames[{name!r}].fps", frames.fps, 0.0, math.inf))
    exposure = np.asarray(frames.exposure_us)
    if exposure.size and exposure.min() < 0:
        k = int(np.argmin(exposure))
        raise ParameterError(where(path, f"Clip.frames[{name!r}].exposure_us must be >= 0 µs, got "
                                         f"{exposure[k]:g} (frame {k})"))


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Inside the block, Ctrl-C, SIGTERM, SIGHUP and SIGXCPU wait (:data:`~evface.io.atomic_files.STOP_SIGNALS`);
    their handlers run (``KeyboardInterrupt``) when it ends.

    HDF5 writes a :class:`GuardedFile` through Python calls, some from inside h5py's clean-up of an
    object (a dataset's chunks are written when its last reference goes), where a
    ``KeyboardInterrupt`` cannot propagate: it failed the write under HDF5 (which segfaulted, or
    printed "Exception ignored in: 'h5py._objects.ObjectID.__dealloc__'" and wrote on without
    the lost chunk and without the interrupt). A signal that came is handled once, by the handler
    that was in place, as the block ends (outside any HDF5 call); one whose handler is the
    default action takes it then. Only the main thread takes signals: elsewhere the block holds
    nothing.

    Yields
    ------
    None
        Nothing: the block runs with the signals held.

    Examples
    --------
    >>> import os
    >>> def interrupt(signum, frame):  # as the evface command takes SIGTERM
    ...     raise KeyboardInterrupt
    >>> before = signal.signal(signal.SIGTERM, interrupt)
    >>> try:
    ...     with interrupts_held():
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...         print("the block ends")
    ... except KeyboardInterrupt:
    ...     print("then the interrupt")
    the block ends
    then the interrupt
    >>> _ = signal.signal(signal.SIGTERM, before)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: dict[int, Any] = {}
    held = {s: signal.getsignal(s) for s in STOP_SIGNALS if signal.getsignal(s) is not None}  # None: not Python's
    for s in held:
        signal.signal(s, lambda signum, frame: caught.setdefault(signum, frame))
    try:
        yield
    finally:
        for s, handler in held.items():
            signal.signal(s, handler)
        for signum, frame in caught.items():
            _deliver(signum, frame, held[signum])


def _deliver(signum: int, frame: Any, handler: Any) -> None:
    """Handle the held signal ``signum`` as ``handler`` (from :func:`signal.getsignal`) would have."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)


class GuardedFile:
    """A binary file for h5py's file-object driver that never lets HDF5 see a failed write.

    HDF5 does not survive write errors (a full disk made h5py segfault while closing the file),
    so the first ``OSError`` of a write is kept in :attr:`error`, later writes are dropped (HDF5
    goes on as if they had succeeded and closes cleanly) and :meth:`close` raises it. Writers
    check :attr:`error` after each chunk to stop early.

    The file is read and written at a position of its own (:meth:`seek`, :meth:`tell`), as h5py's
    file-object driver expects.

    Parameters
    ----------
    path : str or Path
        The file to create (an existing one is emptied).

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
        self._file = open(self.path, "w+b")  # noqa: SIM115 - closed by close()
        self._pos = 0
        self.error: OSError | None = None

    def _guard(self, action) -> None:
        if self.error is None:
            try:
                action()
            except OSError as exc:
                self.error = exc

    def write(self, data) -> int:
        """Write ``data`` at the current position, unless a write failed before.

        Parameters
        ----------
        data : bytes-like
            What to write.

        Returns
        -------
        int
            The number of bytes of ``data``: the position moves on by it, written or dropped.
        """
        n = memoryview(data).nbytes
        pos = self._pos
        self._guard(lambda: (self._file.seek(pos), self._file.write(data)))
        self._pos += n
        return n

    def readinto(self, buffer) -> int:
        """Read into ``buffer`` from the current position.

        Parameters
        ----------
        buffer : writable bytes-like
            Where to read to; filled up to its size.

        Returns
        -------
        int
            The number of bytes read (0 at the end of the file).
        """
        self._file.seek(self._pos)
        n = self._file.readinto(buffer) or 0
        self._pos += n
        return n

    def read(self, size: int = -1) -> bytes:
        """Read from the current position.

        Parameters
        ----------
        size : int, optional
            The most bytes to read; -1: up to the end of the file.

        Returns
        -------
        bytes
            What was read.
        """
        self._file.seek(self._pos)
        data = self._file.read(size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the current position.

        Parameters
        ----------
        offset : int
            Bytes from where ``whence`` says.
        whence : int, optional
            ``os.SEEK_SET`` (the start), ``os.SEEK_CUR`` (the current position) or ``os.SEEK_END``.

        Returns
        -------
        int
            The new position.
        """
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: os.fstat(self._file.fileno()).st_size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        """The current position.

        Returns
        -------
        int
            Bytes from the start of the file.
        """
        return self._pos

    def truncate(self, size: int | None = None) -> int:
        """Cut (or extend) the file to ``size`` bytes, unless a write failed before.

        Parameters
        ----------
        size : int, optional
            The new size; None: the current position.

        Returns
        -------
        int
            The new size.
        """
        size = self._pos if size is None else size
        self._guard(lambda: self._file.truncate(size))
        return size

    def flush(self) -> None:
        """Flush Python's buffer to the operating system, unless a write failed before."""
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
    for key in SCALAR_ATTRS:
        f.attrs[key] = getattr(clip, key)
    for key in JSON_ATTRS:
        f.attrs[key] = _dumps(getattr(clip, key))


def _write_truth(g: h5py.Group, truth: TruthSeries) -> None:
    codes = encode_truth(truth.data)
    g.create_dataset("data", data=codes, **_image_options(codes.shape))
    g["data"].attrs.update({"encoding": TRUTH_ENCODING, "steps_per_octave": TRUTH_STEPS_PER_OCTAVE,
                            "log2_min": TRUTH_LOG2_MIN})
    g.create_dataset("t", data=np.asarray(truth.t_us, dtype=np.int64))


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
    for name in EVENT_COLUMNS:
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
    :class:`~evface.errors.EventsError` naming ``path`` says which event does not, numbered in the
    whole stream (the events written before the chunk plus its index in the chunk).
    The clip's attributes are empty but for ``clip_id`` and ``duration_us`` (last event time minus
    the first); the sensor's geometry is ``sensor_size`` with no ROI. The first :data:`EVENT_CHUNK`
    events are held until there are that many, so that a shorter stream is stored in one chunk of
    its own length, as :func:`write_clip` stores it (a chunk of ``EVENT_CHUNK`` events took
    ~850 KB on disk for one event).

    Parameters
    ----------
    path : str or Path
        The clip file to write (an existing one is overwritten).
    sensor : str
        The sensor's name in the clip (:data:`~evface.io.clip_schema.SENSOR_NAME`).
    sensor_size : tuple of int
        ``(width, height)`` of the sensor.
    clip_id : str
        The clip's id (keyword only).

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_reader import event_counts, read_clip_meta
    >>> writer = ClipEventsWriter("rec.h5", "lr", (346, 260), clip_id="rec")
    >>> writer.write(make_events([0, 1500], [1, 2], [3, 4], [1, -1]))
    >>> writer.write(make_events([2500], [5], [6], [1]))
    >>> writer.close()
    >>> event_counts("rec.h5"), read_clip_meta("rec.h5").duration_us
    ({'lr': 3}, 2500)
    """

    def __init__(self, path: str | Path, sensor: str, sensor_size: SensorSize, *, clip_id: str) -> None:
        path = as_path("path", path)
        check_sensor_name(path, sensor)
        self.sensor = sensor
        self.sensor_size = check_field(path, "sensor_size", lambda: sensor_dims(sensor_size))
        self.clip_id = check_clip_id(path, "clip_id", clip_id)  # was: "" or "a/b" written as the clip's id
        self._sink = GuardedFile(path)
        self._file: h5py.File | None = None
        try:
            with interrupts_held():
                self._file = h5py.File(self._sink, "w")
                self._group = self._file.create_group(f"events/{sensor}")
        except BaseException:  # an interrupt held while the file was made, or a failure: nothing left open
            self.abort()
            raise
        self._columns: dict[str, h5py.Dataset] = {}  # made once EVENT_CHUNK events came, or at close
        self._held: list[np.ndarray] = []  # the events until then
        self._n = 0
        self._first_t: int | None = None
        self._last_t = -1
        self._index_parts: list[np.ndarray] = []

    def write(self, events: np.ndarray) -> None:
        """Append a chunk of events (an empty one adds nothing); raises ``OSError`` once a write to
        the disk failed.

        Parameters
        ----------
        events : ndarray of EVENT_DTYPE
            The next events of the stream, sorted, none before the previous chunk's last.

        Raises
        ------
        EventsError
            Naming the file and the first event that does not fit; nothing of the chunk is written.
        """
        self._check(events)
        m = events.size
        if not m:
            return
        with interrupts_held():
            if not self._columns and self._n + m >= EVENT_CHUNK:
                self._store_held(None)
            if self._columns:
                self._append(events)
            else:
                self._held.append(events.copy())  # fewer than EVENT_CHUNK events in all
        t = events["t"]
        first = -self._n % T_INDEX_STEP  # the chunk's first event whose global index is a multiple of the step
        self._index_parts.append(np.array(t[first::T_INDEX_STEP], dtype=np.int64))
        if self._first_t is None:
            self._first_t = int(t[0])
        self._last_t = int(t[-1])
        self._n += m

    def _append(self, events: np.ndarray) -> None:
        """Append ``events`` to the columns; raises ``OSError`` once a write to the disk failed."""
        start = self._columns["t"].shape[0]
        for name, ds in self._columns.items():
            ds.resize((start + events.size,))
            ds[start:] = events[name]
        if self._sink.error is not None:
            raise OSError(self._sink.error.errno, self._sink.error.strerror, str(self._sink.path))

    def _store_held(self, n_events: int | None) -> None:
        """Make the columns (chunks for ``n_events`` events in all, or for an open-ended stream) and
        write the events held so far into them."""
        self._columns = {name: self._group.create_dataset(name, shape=(0,), maxshape=(None,), dtype=EVENT_DTYPE[name],
                                                          **_event_dataset_options(n_events))
                         for name in EVENT_COLUMNS}
        held, self._held = self._held, []
        self._append(np.concatenate([empty_events(), *held]))

    def _check(self, events: np.ndarray) -> None:
        """An EventsError naming the file unless ``events`` is a chunk the clip can take next."""
        try:
            check_array(events)
            check_stream(events, self.sensor_size, first=self._n)
            if events.size and self._first_t is not None and int(events["t"][0]) < self._last_t:
                raise EventsError(f"timestamps not sorted: t[{self._n}]={int(events['t'][0])} < "
                                  f"t[{self._n - 1}]={self._last_t} (the previous chunk's last event)")
        except EventsError as exc:
            raise refused_chunk(self._sink.path, self.sensor, str(exc)) from None

    def close(self) -> None:
        """Write the ``t_index`` and the attributes, and close the file (once: a second call does nothing)."""
        if not self._file:  # closed already
            return
        duration = 0 if self._first_t is None else self._last_t - self._first_t
        clip = Clip(clip_id=self.clip_id, subject="", label="", aus=[], lighting="",
                    onset_us=0, apex_us=0, offset_us=0, duration_us=duration)
        with interrupts_held():
            if not self._columns:
                self._store_held(self._n)
            index = np.concatenate([np.zeros(0, dtype=np.int64), *self._index_parts])
            self._group.create_dataset("t_index", data=index)
            _write_sensor_attrs(self._group, SensorInfo(self.sensor, self.sensor_size[0], self.sensor_size[1]))
            _write_root_attrs(self._file, clip)
            self._file.close()
            self._sink.close()

    def abort(self) -> None:
        """Close the file as it is (the caller removes it)."""
        with interrupts_held():
            if self._file is not None:
                self._file.close()
            self._sink.error = self._sink.error or OSError(errno.ECANCELED, "aborted")
            with contextlib.suppress(OSError):
                self._sink.close()


def refused_chunk(path: Path, sensor: str, text: str) -> EventsError:
    """The EventsError that refuses a chunk of ``sensor``'s events written to the clip file ``path``
    for ``text``, naming the file and the sensor's events (:class:`ClipEventsWriter`'s, and
    :class:`~evface.io.event_writer.EventsFileWriter`'s for a clip file).

    Parameters
    ----------
    path : Path
        The clip file.
    sensor : str
        The sensor whose events are refused.
    text : str
        Why.

    Returns
    -------
    EventsError
        The error, for the caller to raise.

    Examples
    --------
    >>> print(refused_chunk(Path("x.h5"), "lr", "event 4 at t=4 µs (x=9, y=0) lies outside the 4x4 sensor"))
    x.h5: events/lr: event 4 at t=4 µs (x=9, y=0) lies outside the 4x4 sensor
    """
    return EventsError(where(path, f"events/{sensor}: {text}"))


def t_index(t: np.ndarray, step: int = T_INDEX_STEP) -> np.ndarray:
    """The time of every ``step``-th event (events 0, step, 2 step, ...): ``ceil(n / step)`` entries.

    Parameters
    ----------
    t : ndarray of int
        The events' times, µs.
    step : int, optional
        Events per entry.

    Returns
    -------
    ndarray of int64
        The index a clip stores as ``/events/<sensor>/t_index``.

    Examples
    --------
    >>> t_index(np.array([0, 5, 9, 1_605_537_493_718_345]), step=2).tolist()
    [0, 9]
    """
    return np.array(t[::step], dtype=np.int64)
