"""Event files: the camera formats, and the one reader and one writer for every events file.

This module owns the camera formats (read and written through faery, EVT 2.1 through
:mod:`evface.io.evt`) and :class:`EventsFileReader` / :class:`EventsFileWriter`, which stream
them and the evface clip file alike. The clip file's layout belongs to :mod:`evface.io.clip`;
this module reaches it through that module's public names only.

Formats (``detect_format`` names): ``evt3``, ``evt2``, ``evt2.1`` (Prophesee ``.raw``), ``dat``
(Prophesee DAT), ``aedat4`` (iniVation AEDAT 4), ``es`` (Event Stream), ``csv`` (``t,x,y,on``
with the sensor size in the header, as faery writes it) and ``clip`` (evface's HDF5 clip file,
one sensor at a time). Timestamps are absolute microseconds and survive a round trip exactly; the
events arrays are :data:`evface.events.core.EVENT_DTYPE`.

Reading is a stream of chunks (:class:`EventsFileReader`), so a file larger than memory goes
through; writing goes to a temporary file of the writer's own beside the output
(``NAME.HOST-PID-RANDOM.tmp``) and is renamed on success, so an error never leaves half a file and two
writers of one output never mix their bytes. Every problem with a file raises :class:`~evface.errors.FormatError` (or
:class:`~evface.errors.EventsError` for events that break the data model), naming the file.

Examples
--------
>>> from evface.events.core import make_events
>>> ev = make_events([0, 20_000_000], [0, 639], [479, 0], [1, -1])
>>> path = write_events_file("a.raw", ev, (640, 480))
>>> back, size = read_events_file(path)
>>> size, back["t"].tolist(), back["p"].tolist()
((640, 480), [0, 20000000], [1, -1])
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import INT64, as_int, sensor_dims, within_memory
from evface.errors import EventsError, FormatError, where
from evface.events.core import EVENT_DTYPE, SensorSize, empty_events
from evface.io import evt as io_evt
from evface.io.aedat4 import check_aedat4
from evface.io.clip import (
    ClipEventsWriter,
    check_sensor_name,
    clip_errors,
    event_counts,
    frames_and_truth_info,
    iter_clip_events,
    read_clip_meta,
    read_events,
    temporary_beside,
    time_window,
)

FORMATS = ("evt3", "evt2", "evt2.1", "dat", "aedat4", "es", "csv", "clip")
"""Every format name :func:`detect_format` can return."""

EXTENSIONS = {
    ".raw": "evt3", ".evt": "evt3", ".dat": "dat", ".aedat4": "aedat4", ".aedat": "aedat4",
    ".es": "es", ".csv": "csv", ".h5": "clip", ".hdf5": "clip",
}
"""File extension -> format (``.raw`` holds any EVT version; the header says which)."""

EVT_VERSIONS = ("evt3", "evt2", "evt2.1")
DAT_MAX_GAP_US = 1 << 31
"""DAT stores 32-bit timestamps (the first event's time goes in the header); faery tells a wrap from
jitter only for gaps below 2^31 µs (35 min), so longer gaps are refused."""
GAP_PADDING_BYTES = 1 << 20
"""The most padding one gap between events may cost in a format that fills gaps with time words
(EVT) or overflow bytes (Event Stream): a longer gap is refused, so that an output's size follows
its events (two events 10^15 µs apart made a 7.9 TB Event Stream)."""
MAX_GAP_US = {
    "es": 127 * GAP_PADDING_BYTES,  # one overflow byte per 127 µs: 133 s
    "evt3": GAP_PADDING_BYTES << 21,  # a 16-bit TIME_HIGH word per 2^22 µs (four per 2^24 µs wrap): 25 days
    "evt2": GAP_PADDING_BYTES << 24,  # a 32-bit TIME_HIGH word per 2^26 µs: 203 days
    "evt2.1": GAP_PADDING_BYTES << 30,  # a 64-bit TIME_HIGH word per 2^33 µs: 35 years
    "dat": DAT_MAX_GAP_US - 1,  # the format's own limit
}
"""The longest gap between consecutive events each format is written with (µs); AEDAT 4, CSV and the
clip file hold any gap at no cost."""
DEFAULT_CLIP_SENSOR = "events"
"""Sensor name under which a camera file is stored when converted to a clip file."""

PLUGIN_SIZES = {"gen3": (640, 480), "gen31": (640, 480), "gen4": (1280, 720), "gen41": (1280, 720),
                "imx636": (1280, 720)}
"""Sensor size of a Prophesee header without a size line (Metavision files of 2020 and earlier), from
the camera plugin it names (``% plugin_name hal_plugin_gen3_fx3``): Gen3 and Gen3.1 are VGA sensors,
Gen4, Gen4.1 and the IMX636 HD ones."""
ES_MAX_START_US = 1_000_000
"""Event Stream files keep no time origin: a first event later than this would be reached by
overflow bytes (one per 127 µs), so the writer asks for ``relative_time`` instead."""
SIZE_HINT = "give it with --sensor-size WxH (sensor_size=(width, height) from Python)"
_ES_TYPES = {0: "generic", 1: "DVS", 2: "ATIS", 3: "asynchronous display", 4: "color", 5: "liquid"}
_ES_DVS_HEADER = 20
_FAERY_DTYPE = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("on", "?")])
_DAT_DTYPE = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("payload", "u1")])
_MAGIC = {b"#!AER-DAT4.0": "aedat4", b"Event Stream": "es", b"\x89HDF\r\n\x1a\n": "clip"}
_EVT21_BLOCK_WORDS = 1 << 20
_CSV_BLOCK_BYTES = 1 << 24
SORT_BYTES_PER_EVENT = 40
"""Peak memory per event of ``sort=True``: the decoded chunks and their join (13 bytes each), then
the join, its argsort (8) and the sorted copy (13) at once."""
_FAERY_READ = ("evt3", "evt2", "dat", "es", "aedat4")
_FAERY_WRITE = ("evt2", "dat", "es", "csv", "aedat4")


# --------------------------------------------------------------------------------------------
# format detection and headers


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise FormatError(where(path, "no such file"))
    if path.is_dir():
        raise FormatError(where(path, "is a directory, expected an events file"))
    if path.stat().st_size == 0:
        raise FormatError(where(path, "empty file (0 bytes)"))


def _check_faery_name(path: Path, fmt: str) -> None:
    """Refuse a name faery cannot open: it takes UTF-8 names only (one in another encoding would
    be read as missing, and written under another name that an error leaves behind). Writers
    check it for every format faery reads or writes, so that nothing is written that evface
    cannot read back."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise FormatError(where(shown, f"the file name is not UTF-8 text, and faery, which evface uses for {fmt} "
                                      "files, takes UTF-8 names only: rename the file or its folder")) from None


def _format_from_extension(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise FormatError(where(path, f"unknown extension {ext or '(none)'!r}; expected one of {known}"))
    return EXTENSIONS[ext]


def read_prophesee_header(path: Path) -> tuple[dict[str, str], int]:
    """Parse the ``%`` header lines of a Prophesee ``.raw`` or ``.dat`` file.

    Returns the header as a dict (``version``, ``width``, ``height``, ``t0``, ``endianness``
    when present) and its length in bytes. Parsing stops at ``% end`` or the first line that
    does not start with ``%``.
    """
    fields: dict[str, str] = {}
    length = 0
    with open(path, "rb") as f:
        while True:
            line = f.readline(4096)
            if not line.startswith(b"%") or not line.endswith(b"\n"):
                break
            length += len(line)
            words = line[1:].decode("ascii", "replace").replace(";", " ").split()
            if not words:
                continue
            key = words[0]
            if key == "end":
                break
            if key in ("evt", "Version") and len(words) > 1:
                fields["version"] = {"2": "evt2", "2.0": "evt2", "2.1": "evt2.1", "3": "evt3", "3.0": "evt3"}.get(
                    words[1], words[1])
            elif key == "format" and len(words) > 1:
                name = words[1].upper().replace("EVT2.0", "EVT2").replace("EVT3.0", "EVT3")
                fields["version"] = {"EVT2": "evt2", "EVT21": "evt2.1", "EVT2.1": "evt2.1", "EVT3": "evt3"}.get(
                    name, words[1])
                for word in words[2:]:
                    k, _, v = word.partition("=")
                    if k in ("width", "height", "endianness"):
                        fields[k] = v
            elif key == "geometry" and len(words) > 1:
                w, _, h = words[1].partition("x")
                fields["width"], fields["height"] = w, h
            elif key in ("Width", "Height") and len(words) > 1:
                fields[key.lower()] = words[1]
            elif key in ("t0", "T0") and len(words) > 1:
                fields["t0"] = words[1]
            elif key == "plugin_name" and len(words) > 1:
                fields["plugin"] = words[1]
    return fields, length


def _header_size(path: Path, fields: dict[str, str]) -> SensorSize | None:
    try:
        return (int(fields["width"]), int(fields["height"]))
    except (KeyError, ValueError):
        pass
    plugin = fields.get("plugin", "").lower()
    for part in plugin.replace("-", "_").split("_"):
        if part in PLUGIN_SIZES:
            return PLUGIN_SIZES[part]
    return None


def detect_format(path: str | Path) -> str:
    """The format of an existing events file, from its magic bytes, extension and header.

    Raises
    ------
    FormatError
        A missing or empty file, an unknown extension, a ``.raw`` without an EVT version, or an
        extension that contradicts the file's content.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> path = write_events_file("recording.raw", make_events([0, 5], [1, 2], [3, 4], [1, -1]), (640, 480),
    ...                          version="evt2")
    >>> detect_format(path)  # a .raw file: its header names the EVT version
    'evt2'
    """
    path = Path(path)
    _check_exists(path)
    by_ext = _format_from_extension(path)
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"#!AER-DAT") and not head.startswith(b"#!AER-DAT4"):
        version = head[9:12].decode("ascii", "replace").strip()
        raise FormatError(where(path, f"an AEDAT {version} file (jAER or cAER): not supported, evface reads AEDAT 4 "
                                      "(convert it to AEDAT 4 with DV or dv-processing first)"))
    by_magic = next((fmt for magic, fmt in _MAGIC.items() if head.startswith(magic)), None)
    if by_magic is not None and by_magic != by_ext:
        raise FormatError(where(path, f"the extension says {by_ext} but the content is {by_magic}"))
    if by_magic is None and by_ext in ("aedat4", "es", "clip"):
        raise FormatError(where(path, f"not a {by_ext} file (its magic bytes are missing: corrupt or wrong extension)"))
    if by_magic == "es":
        _check_event_stream_header(path, head)
    if by_ext == "evt3":
        fields, _ = read_prophesee_header(path)
        version = fields.get("version")
        if version is None:
            raise FormatError(where(path, "the .raw header names no EVT version (expected '% evt 3.0' or "
                                          "'% format EVT3;...')"))
        if version not in EVT_VERSIONS:
            raise FormatError(where(path, f"unsupported EVT version {version!r} (expected evt2, evt2.1 or evt3)"))
        return version
    return by_ext


def _check_event_stream_header(path: Path, head: bytes) -> None:
    """Refuse Event Stream versions and types evface cannot read, saying which they are."""
    if len(head) < 16:
        raise FormatError(where(path, "truncated Event Stream header"))
    major, minor, patch, kind = head[12], head[13], head[14], head[15]
    if major != 2:
        raise FormatError(where(path, f"an Event Stream version {major}.{minor}.{patch} file: not supported, evface "
                                      "reads version 2"))
    if kind != 1:
        name = _ES_TYPES.get(kind, f"unknown (type byte {kind})")
        raise FormatError(where(path, f"an Event Stream of {name} events: not supported, evface reads DVS Event "
                                      "Streams (type byte 1)"))


def output_format(path: str | Path, format: str | None = None, version: str | None = None) -> str:
    """The format a new file at ``path`` is written in: its extension's (``.raw`` defaults to EVT 3.0).

    ``format`` and ``version`` are names in any case (``"EVT2"``); ``format`` must agree with the
    extension, since a reader tells the format from it (``format="csv"`` on ``a.raw`` wrote a file
    no reader could open), so it only picks the EVT version of a ``.raw``, as ``version`` does.

    Examples
    --------
    >>> output_format("a.raw"), output_format("a.raw", version="EVT2"), output_format("a.raw", format="evt2.1")
    ('evt3', 'evt2', 'evt2.1')
    >>> output_format("a.raw", format="csv")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: a.raw: format 'csv' contradicts the extension '.raw' (evt3, evt2 or evt2.1), from which every reader tells the format: name the file .csv
    """
    path = Path(path)
    fmt = _format_from_extension(path)
    format, version = _format_name(path, "format", format, FORMATS), _format_name(path, "version", version, EVT_VERSIONS)
    if format is not None:
        if format != fmt and not (format in EVT_VERSIONS and fmt in EVT_VERSIONS):
            family = "evt3, evt2 or evt2.1" if fmt in EVT_VERSIONS else fmt
            ext = next(e for e, f in EXTENSIONS.items() if f == ("evt3" if format in EVT_VERSIONS else format))
            raise FormatError(where(path, f"format {format!r} contradicts the extension {path.suffix!r} ({family}), "
                                          f"from which every reader tells the format: name the file {ext}"))
        fmt = format
    if version is not None:
        if fmt not in EVT_VERSIONS:
            raise FormatError(where(path, f"an EVT version applies to .raw files only, not to {fmt}"))
        if format is not None and format != version:
            raise FormatError(where(path, f"format {format!r} and version {version!r} disagree; give one of them"))
        fmt = version
    return fmt


def _format_name(path: Path, option: str, value: object, names: tuple[str, ...]) -> str | None:
    """``value`` (a format or EVT version name in any case, or None) as the lower-case name it is."""
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in names:
        what = "EVT version" if option == "version" else "format"
        raise FormatError(where(path, f"unknown {what} {value!r} ({option}=); expected one of {', '.join(names)}"))
    return value.lower()


# --------------------------------------------------------------------------------------------
# conversions between faery's dtype and evface's


def from_faery(packet: np.ndarray) -> np.ndarray:
    """faery events (uint64 t, bool on) -> evface events, reusing the buffer (no per-event loop).

    Both dtypes are 13 packed bytes with the same offsets, so the array is reinterpreted and the
    polarity byte mapped 0/1 -> -1/+1 in place (one numba pass, well under 1 ns/event).
    """
    if packet.dtype.itemsize != EVENT_DTYPE.itemsize or not packet.flags.writeable:
        packet = packet.astype(_FAERY_DTYPE)
    events = packet.view(EVENT_DTYPE)
    io_evt.on_to_signed(events["p"])
    return events


def to_faery(events: np.ndarray) -> np.ndarray:
    """evface events -> a new array in faery's dtype (uint64 t, bool on)."""
    out = events.copy().view(_FAERY_DTYPE)
    out["on"] = events["p"] > 0
    return out


# --------------------------------------------------------------------------------------------
# reading


def _faery_error(path: Path, exc: BaseException, writing: bool, cause: str) -> FormatError:
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip()) or type(exc).__name__
    if writing:
        return FormatError(where(path, f"cannot write ({text}); nothing was written"))
    return FormatError(where(path, f"cannot decode ({text}): {cause or 'the file is corrupt, truncated or not this format'}"))


@contextlib.contextmanager
def _faery_errors(path: Path, *, writing: bool = False, cause: str = "") -> Iterator[None]:
    """Turn anything faery or the file system raises (Rust panics are BaseExceptions) into FormatError
    (``cause``: what most likely went wrong in reading, when it is known better than "corrupt")."""
    try:
        yield
    except (FormatError, EventsError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3 panics derive from BaseException
        raise _faery_error(path, exc, writing, cause) from None


class EventsFileReader:
    """A stream of events chunks from one file, with its format and sensor size known up front.

    Parameters
    ----------
    path : path
        Any supported events file (see :data:`FORMATS`).
    chunk_us : int, optional
        Yield one chunk per window ``[k * chunk_us, (k + 1) * chunk_us)`` of absolute time
        (empty windows are skipped).
    chunk_events : int, optional
        Yield chunks of this many events (the last may be shorter). Without either option the
        chunks are whatever the decoder produces.
    sensor : str, optional
        For a clip file: which sensor (needed when it has several).
    sensor_size : (width, height), optional
        Fallback for files whose header gives no size (headerless CSV, DAT or ``.raw``).
    t_start_us, t_end_us : int, optional
        Only events with ``t_start_us <= t < t_end_us`` (whole numbers; a window that ends before
        it starts holds no events).
    sort : bool
        Read the whole file into memory and yield its events sorted by time (a stable sort, so
        events of equal time keep their order), for exports whose timestamps are out of order;
        without it such a file raises :class:`~evface.errors.EventsError`.

    Attributes
    ----------
    path, format, sensor_size, sensor, known_count

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 10_000, 60_000, 70_000], [0, 1, 2, 3], [0, 0, 1, 1], [1, -1, 1, 1])
    >>> reader = EventsFileReader(write_events_file("stream.raw", ev, (346, 260)), chunk_us=50_000)
    >>> reader.format, reader.sensor_size
    ('evt3', (346, 260))
    >>> [chunk["t"].tolist() for chunk in reader]
    [[0, 10000], [60000, 70000]]
    """

    def __init__(
        self,
        path: str | Path,
        *,
        chunk_us: int | None = None,
        chunk_events: int | None = None,
        sensor: str | None = None,
        sensor_size: SensorSize | None = None,
        t_start_us: int | None = None,
        t_end_us: int | None = None,
        sort: bool = False,
    ) -> None:
        self.path = Path(path)
        chunk_us = None if chunk_us is None else as_int("chunk_us", chunk_us, 1)
        chunk_events = None if chunk_events is None else as_int("chunk_events", chunk_events, 1)
        if chunk_us is not None and chunk_events is not None:
            raise FormatError(where(self.path, "give chunk_us or chunk_events, not both"))
        self.chunk_us = chunk_us
        self.chunk_events = chunk_events
        self.t_start_us, self.t_end_us = time_window(t_start_us, t_end_us)
        self.sort = sort
        self.format = detect_format(self.path)
        if self.format in _FAERY_READ:
            _check_faery_name(self.path, self.format)
        self.sensor: str | None = None
        self._header_length = 0
        self._header: dict[str, str] = {}
        self._empty = False
        self._size_given = False
        self.sensor_size = self._open(sensor, None if sensor_size is None else sensor_dims(sensor_size))

    # -- opening: find the sensor size without decoding events
    def _open(self, sensor: str | None, fallback: SensorSize | None) -> SensorSize:
        path, fmt = self.path, self.format
        if fmt == "clip":
            with clip_errors(path):
                return self._open_clip(sensor)
        if sensor is not None:
            raise FormatError(where(path, f"sensor={sensor!r} applies to clip files only, not to {fmt}"))
        if fmt in EVT_VERSIONS or fmt == "dat":
            self._header, self._header_length = read_prophesee_header(path)
            header_size = _header_size(path, self._header)
            size = header_size or fallback
            self._size_given = header_size is None and fallback is not None
            word = {"evt3": 2, "evt2": 4, "evt2.1": 8, "dat": 8}[fmt]
            body = path.stat().st_size - self._header_length
            if fmt == "dat" and body:
                body -= 2  # DAT: event type and event size bytes, written with the first event
            self._empty = body == 0
            extra = body % word
            if extra:
                raise FormatError(where(path, f"truncated: {extra} trailing bytes after the last whole "
                                              f"{word}-byte {fmt} word"))
        elif fmt == "csv":
            size = _csv_header_size(path) or fallback
        else:
            if fmt == "aedat4":
                check_aedat4(path)  # faery's decoder aborts the process on some corrupt files
            with _faery_errors(path):
                from faery.file_decoder import Decoder

                size = tuple(Decoder(path, file_type="aedat" if fmt == "aedat4" else fmt).dimensions())
        if size is None:
            raise FormatError(where(path, f"the header gives no sensor size; {SIZE_HINT}"))
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0:
            raise FormatError(where(path, f"invalid sensor size {width}x{height} in the header"))
        return (width, height)

    def _open_clip(self, sensor: str | None) -> SensorSize:
        meta = read_clip_meta(self.path)
        names = sorted(meta.sensors)
        if sensor is None:
            if len(names) != 1:
                raise FormatError(where(self.path, f"clip has sensors {names}; choose one (sensor=NAME, or --sensor NAME)"))
            sensor = names[0]
        if sensor not in meta.sensors:
            raise FormatError(where(self.path, f"no sensor {sensor!r} in this clip (it has {names})"))
        self.sensor = sensor
        return meta.sensors[sensor].size

    @property
    def known_count(self) -> int | None:
        """Events in the file, for a clip or DAT file (known without decoding); ``None`` otherwise.

        The count is the whole file's (or clip sensor's): the time window is not applied.
        """
        if self.format == "clip":
            return event_counts(self.path)[self.sensor]
        if self.format == "dat":
            return max(0, self.path.stat().st_size - self._header_length - 2) // 8
        return None

    # -- iteration
    def __iter__(self) -> Iterator[np.ndarray]:
        chunks = self._checked(self._decoded())
        if self.sort:
            self._check_sort_memory()
            events = _join(list(chunks))
            chunks = iter([events[np.argsort(events["t"], kind="stable")]])
        if self.t_start_us is not None or self.t_end_us is not None:
            chunks = _window(chunks, self.t_start_us, self.t_end_us)
        if self.chunk_events is not None:
            return _by_count(chunks, self.chunk_events)
        if self.chunk_us is not None:
            return _by_time(chunks, self.chunk_us)
        return (c for c in chunks if c.size)

    def _check_sort_memory(self) -> None:
        """Refuse ``sort`` when the events, held and sorted in memory (about :data:`SORT_BYTES_PER_EVENT`
        each), would take more than half of this machine's memory; the count is known for clip and
        DAT files and estimated from the first rows of a CSV (other formats are not checked)."""
        n = self.known_count
        if n is None and self.format == "csv":
            with open(self.path, "rb") as f:
                head = f.read(1 << 16)
            rows = head.count(b"\n") or 1
            n = int(self.path.stat().st_size / (len(head) / rows))
        within_memory((n or 0) * SORT_BYTES_PER_EVENT,
                      where(self.path, f"sorting its events in memory (about {(n or 0) / 1e6:,.0f} M events)"),
                      "sort the file on disk first (a CSV: keep its header line and `sort -s -t, -n -k1,1` the rest)")

    def _decoded(self) -> Iterator[np.ndarray]:
        fmt = self.format
        if self._empty:
            return
        if fmt == "clip":
            with clip_errors(self.path):
                yield from iter_clip_events(self.path, self.sensor, self.t_start_us, self.t_end_us)
        elif fmt == "evt2.1":
            yield from self._evt21_chunks()
        elif fmt == "csv":
            yield from self._csv_chunks()
        else:
            yield from self._faery_chunks()

    def _faery_chunks(self) -> Iterator[np.ndarray]:
        from faery.extension import aedat, csv, dat, es, evt

        path, fmt, size = self.path, self.format, self.sensor_size
        self._last_t: int | None = None
        given = (f"the sensor size {size[0]}x{size[1]} was given (--sensor-size), not read from the file, and events "
                 "outside it do not decode: give the sensor's full size") if self._size_given else ""
        with _faery_errors(path, cause=given):
            if fmt in ("evt3", "evt2"):
                with evt.Decoder(path, size, fmt) as decoder:
                    for packet in decoder:
                        if "events" in packet:
                            yield from_faery(packet["events"])
            elif fmt == "dat":
                with dat.Decoder(path, size, "dat2") as decoder:
                    if decoder.event_type not in ("cd", "2d"):
                        raise FormatError(where(path, f"DAT event type {decoder.event_type!r}: not supported, evface "
                                                      "reads polarity events ('cd', type byte 0x0C, and 'Event2d', 0x00)"))
                    for packet in decoder:
                        if packet["payload"].size and packet["payload"].max() > 1:
                            raise FormatError(where(path, "DAT polarity values above 1: corrupt file"))
                        yield self._fixed(packet.view(_FAERY_DTYPE))
            elif fmt == "es":
                with es.Decoder(path, 0) as decoder:
                    if decoder.event_type != "dvs":
                        raise FormatError(where(path, f"ES event type {decoder.event_type!r} is not 'dvs'"))
                    for packet in decoder:
                        yield self._fixed(packet, flip_y=True)
                _check_event_stream_end(path)
            elif fmt == "aedat4":
                with aedat.Decoder(path) as decoder:
                    track_id = next((t.id for t in decoder.tracks() if t.data_type == "events"), None)
                    if track_id is None:
                        raise FormatError(where(path, "the AEDAT4 file has no event track"))
                    for track, packet in decoder:
                        if track.id == track_id and len(packet):
                            yield self._fixed(packet)

    def _fixed(self, packet: np.ndarray, flip_y: bool = False) -> np.ndarray:
        """A faery DAT/ES/AEDAT4 packet as checked evface events, in one numba pass."""
        path, (width, height) = self.path, self.sensor_size
        if packet.dtype.itemsize != EVENT_DTYPE.itemsize or not packet.flags.writeable:
            packet = packet.astype(_FAERY_DTYPE)
        events = packet.view(EVENT_DTYPE)
        start = np.iinfo(np.int64).min if self._last_t is None else self._last_t
        bad, t0, xmax, ymax = io_evt.fix_faery_packet(events["t"], events["x"], events["y"], events["p"], start,
                                                      height, flip_y)
        _raise_if_bad(path, events, bad, start, t0, xmax, ymax, (width, height))
        if events.size:
            self._last_t = int(events["t"][-1])
        return events

    def _evt21_chunks(self) -> Iterator[np.ndarray]:
        path = self.path
        legacy = self._header.get("endianness", "").lower() == "legacy"
        try:
            t0 = int(self._header.get("t0", 0))
        except ValueError:
            raise FormatError(where(path, f"the header's t0 {self._header['t0']!r} is not an integer")) from None
        state = io_evt.evt21_new_decoder_state()
        with open(path, "rb") as f:
            f.seek(self._header_length)
            while True:
                raw = f.read(8 * _EVT21_BLOCK_WORDS)
                if not raw:
                    return
                words = np.frombuffer(raw, dtype="<u8")
                if legacy:
                    words = (words << np.uint64(32)) | (words >> np.uint64(32))
                events, code, value = io_evt.evt21_decode(words, state, self.sensor_size, EVENT_DTYPE)
                if t0:
                    events["t"] += t0
                if code:
                    axis = "x" if code == 1 else "y"
                    raise FormatError(where(path, f"{axis}={value} outside the {self.sensor_size[0]}x"
                                                  f"{self.sensor_size[1]} sensor: corrupt EVT2.1 data"))
                yield events

    def _csv_chunks(self) -> Iterator[np.ndarray]:
        """CSV rows ``t,x,y,on`` (on: 1/0 or 1/-1), parsed here: faery's CSV decoder silently
        clamps decreasing timestamps, which would hide an unsorted file."""
        path = self.path
        with open(path, "rb") as f:
            first = f.readline()
            row = 2
            if not any(chr(c).isalpha() for c in first):  # no header line
                f.seek(0)
                row = 1
            rest = b""
            while True:
                block = f.read(_CSV_BLOCK_BYTES)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                rest = block[cut:]
                if cut:
                    yield _parse_csv(path, block[:cut], row)
                    row += block.count(b"\n", 0, cut)
            if rest.strip():
                yield _parse_csv(path, rest, row)

    def _checked(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """Check order (within and across chunks) and coordinates of decoded chunks.

        Chunks decoded by faery are already checked: DAT, ES and AEDAT4 packets in the same numba
        pass that maps their polarity (:meth:`_fixed`), and faery's EVT 2.0/3.0 decoders reject
        coordinates outside the sensor themselves and cannot produce decreasing times (the
        formats carry time as a running state). The wrapper then costs little beyond faery.
        """
        if self.format in _FAERY_READ:
            yield from chunks
            return
        width, height = self.sensor_size
        last_t = None
        for chunk in chunks:
            if not chunk.size:
                continue
            t = chunk["t"]
            start = np.iinfo(np.int64).min if last_t is None else last_t
            bad, t0, xmax, ymax, bad_p = io_evt.scan_events(t, chunk["x"], chunk["y"], chunk["p"], start)
            _raise_if_bad(self.path, chunk, -1 if self.sort else bad, start, t0, xmax, ymax, (width, height))
            if bad_p:
                raise EventsError(where(self.path, f"{bad_p} polarity values other than -1 or +1: corrupt file"))
            last_t = t[-1]
            yield chunk


def _check_event_stream_end(path: Path) -> None:
    """A DVS Event Stream must end on a whole event: faery drops a cut one without a word."""
    body = np.memmap(path, dtype=np.uint8, mode="r")
    end = io_evt.es_dvs_walk(body, _ES_DVS_HEADER)
    if end != body.shape[0]:
        raise FormatError(where(path, f"truncated: the last event has {5 - (end - body.shape[0])} of its 5 bytes"))


def _raise_if_bad(path: Path, events: np.ndarray, bad: int, start: int, t0: int, xmax: int, ymax: int,
                  size: SensorSize) -> None:
    """Turn the findings of a numba scan of ``events`` into the error they mean, if any."""
    t, (width, height) = events["t"], size
    if bad >= 0:
        before = int(t[bad - 1]) if bad else int(start)
        raise EventsError(where(path, f"timestamps not sorted: {int(t[bad])} follows {before} "
                                      "(`evface convert --sort` writes a sorted copy)"))
    if t.size and t0 < 0:
        raise EventsError(where(path, f"negative timestamp {int(t0)}"))
    if t.size and (xmax >= width or ymax >= height):
        raise _outside(path, events, size)


def _outside(path: Path, events: np.ndarray, size: SensorSize) -> EventsError:
    """The error for events off the sensor, naming the first such event. (faery rejects Event Stream
    rows off the sensor itself, so the rows checked here were never flipped.)"""
    (width, height), x, y = size, events["x"], events["y"]
    i = int(np.flatnonzero((x >= width) | (y >= height))[0])
    return EventsError(where(path, f"coordinates outside the {width}x{height} sensor (x={int(x[i])}, y={int(y[i])} "
                                   f"at t={int(events['t'][i])} µs)"))


def _parse_csv(path: Path, body: bytes, first_row: int) -> np.ndarray:
    import io

    try:
        table = np.loadtxt(io.StringIO(body.decode("utf-8")), delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(where(path, f"rows from {first_row}: not 't,x,y,on' integers ({exc}); "
                                      "corrupt or truncated CSV")) from None
    if table.shape[1] != 4:
        raise FormatError(where(path, f"rows from {first_row}: {table.shape[1]} columns, expected 4 (t,x,y,on)"))
    t, x, y, on = table.T
    if t.size and (x.min() < 0 or y.min() < 0 or x.max() > 65535 or y.max() > 65535):
        raise EventsError(where(path, f"rows from {first_row}: coordinates outside 0..65535"))
    if np.any((on != 0) & (on != 1) & (on != -1)):
        raise FormatError(where(path, f"rows from {first_row}: polarity values other than 1, 0 or -1"))
    events = np.empty(t.size, dtype=EVENT_DTYPE)
    events["t"], events["x"], events["y"] = t, x, y
    events["p"] = np.where(on > 0, 1, -1)
    return events


_CSV_COLUMNS = (("t", "ts", "time", "timestamp"), ("x",), ("y",), ("on", "p", "pol", "polarity"))
"""The names a CSV header may give its four columns, in the order the rows hold them."""


def _csv_header_size(path: Path) -> SensorSize | None:
    """The sensor size in a CSV header (``t,x@W,y@H,on``), or None for a header without one, a
    comment (``# ...``) or a file without a header (a first line with no letter); a first line
    that is none of these is refused."""
    with open(path, "rb") as f:
        first = f.readline(4096).decode("utf-8", "replace").strip()
    if first.startswith("#") or not any(c.isalpha() for c in first):
        return None
    columns = [column.partition("@") for column in first.split(",")]
    if len(columns) != 4 or any(name.strip().lower() not in names for (name, _, _), names in zip(columns, _CSV_COLUMNS)):
        raise FormatError(where(path, f"the first line {first[:80]!r} is neither a header naming the columns "
                                      "t, x, y and on (or p), as in 't,x@W,y@H,on', a comment ('# ...') nor a row of "
                                      "4 integers"))
    (_, _, width), (_, _, height) = columns[1], columns[2]
    return (int(width), int(height)) if width.strip().isdigit() and height.strip().isdigit() else None


def _join(chunks: list[np.ndarray]) -> np.ndarray:
    """Concatenate events chunks as raw bytes: numpy's structured-dtype concatenate is ~6x slower."""
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return empty_events()
    raw = np.concatenate([np.ascontiguousarray(c).view(np.uint8) for c in chunks])
    return raw.view(EVENT_DTYPE)


def _window(chunks: Iterator[np.ndarray], t0: int | None, t1: int | None) -> Iterator[np.ndarray]:
    for chunk in chunks:
        t = chunk["t"]
        lo = 0 if t0 is None else int(np.searchsorted(t, t0, side="left"))
        hi = t.size if t1 is None else int(np.searchsorted(t, t1, side="left"))
        if hi > lo:
            yield chunk[lo:hi]
        if t1 is not None and t.size and t[-1] >= t1:
            return


def _by_count(chunks: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    pending: list[np.ndarray] = []
    have = 0
    for chunk in chunks:
        while chunk.size:
            take = min(n - have, chunk.size)
            pending.append(chunk[:take])
            have += take
            chunk = chunk[take:]
            if have == n:
                yield _join(pending)
                pending, have = [], 0
    if have:
        yield _join(pending)


def _by_time(chunks: Iterator[np.ndarray], chunk_us: int) -> Iterator[np.ndarray]:
    pending: list[np.ndarray] = []
    window = None
    for chunk in chunks:
        while chunk.size:
            k = int(chunk["t"][0]) // chunk_us
            if window is not None and k != window and pending:
                yield _join(pending)
                pending = []
            window = k
            cut = int(np.searchsorted(chunk["t"], (k + 1) * chunk_us, side="left"))
            pending.append(chunk[:cut])
            chunk = chunk[cut:]
    if pending:
        yield _join(pending)


def iter_events_file(
    path: str | Path,
    *,
    chunk_us: int | None = None,
    chunk_events: int | None = None,
    sensor: str | None = None,
    sensor_size: SensorSize | None = None,
    t_start_us: int | None = None,
    t_end_us: int | None = None,
    sort: bool = False,
) -> EventsFileReader:
    """Open an events file as a stream of chunks; the reader's ``sensor_size`` is known at once.

    See :class:`EventsFileReader` for the parameters.
    """
    return EventsFileReader(path, chunk_us=chunk_us, chunk_events=chunk_events, sensor=sensor,
                            sensor_size=sensor_size, t_start_us=t_start_us, t_end_us=t_end_us, sort=sort)


def read_events_file(
    path: str | Path,
    *,
    sensor: str | None = None,
    t_start_us: int | None = None,
    t_end_us: int | None = None,
    sensor_size: SensorSize | None = None,
) -> tuple[np.ndarray, SensorSize]:
    """Read a whole events file (or the window ``t_start_us <= t < t_end_us``) into memory.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
    sensor_size : (width, height)
    """
    reader = EventsFileReader(path, sensor=sensor, sensor_size=sensor_size, t_start_us=t_start_us, t_end_us=t_end_us)
    if reader.format == "clip" and t_start_us is None and t_end_us is None:
        events = read_events(reader.path, reader.sensor)
        next(reader._checked(iter([events])), None)
        return events, reader.sensor_size
    return _join(list(reader)), reader.sensor_size


# --------------------------------------------------------------------------------------------
# writing


class EventsFileWriter:
    """Write events to a file chunk by chunk; the file appears (renamed from ``NAME.HOST-PID-RANDOM.tmp``) on close.

    Use as a context manager: leaving the block with an exception removes the temporary file, and
    any older ``NAME`` stays as it was. Each chunk is checked (dtype, order within and across
    chunks, coordinates inside ``sensor_size``, non-negative time) before anything of it is
    written. Sizes depend on the events only, never on their absolute time: formats with a time
    origin in their header (EVT, DAT) store the first event's time there, the clip file stores
    absolute times, and Event Stream, which has no origin, refuses a first event later than
    :data:`ES_MAX_START_US` unless ``relative_time`` is set; a gap between events that the format
    would pad with more than :data:`GAP_PADDING_BYTES` is refused (:data:`MAX_GAP_US`). A disk that fills up, a read-only
    folder or an unwritable path raise :class:`~evface.errors.FormatError` naming ``path``.

    Parameters
    ----------
    path, sensor_size, format, version, sensor
        See :func:`open_events_writer`.
    relative_time : bool
        Subtract the first event's time from every event (the origin is then lost).
    force : bool
        Replace an existing ``.h5`` file that is not an evface clip, or a clip that holds more than
        this writer writes (other sensors, frames, truth or labels); without it that is refused.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> with open_events_writer("out.csv", (346, 260)) as w:
    ...     w.write(make_events([0, 5], [1, 2], [3, 4], [1, -1]))
    ...     w.write(make_events([9], [0], [0], [1]))
    >>> w.count, read_events_file("out.csv")[0]["t"].tolist()
    (3, [0, 5, 9])
    """

    def __init__(self, path: str | Path, sensor_size: SensorSize, format: str | None = None,
                 version: str | None = None, *, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                 force: bool = False) -> None:
        self.path = Path(path)
        self.format = output_format(self.path, format, version)
        width, height = sensor_dims(sensor_size, limit=INT64[1])  # the format's limit below names it
        limit = {"evt3": 2048, "evt2": 2048, "evt2.1": 2048, "dat": 16384}.get(self.format, 65536)
        if width > limit or height > limit:
            raise FormatError(where(self.path, f"{self.format} holds sensors up to {limit}x{limit}, got {width}x{height}"))
        self.sensor_size = (width, height)
        self.sensor = sensor
        self.relative_time = relative_time
        self.count = 0
        self._last_t: int | None = None
        self._shift: int | None = None
        self.tmp: Path | None = None
        self._encoder: Any = None
        self._file: Any = None
        self._header: bytes | None = None
        self._t0 = 0
        self._state: np.ndarray | None = None
        self._closed = False
        self._made: list[Path] = []
        if self.format == "clip":
            check_sensor_name(self.path, sensor, " (--sensor NAME, sensor=NAME)")
        _check_output(self.path, self.format, sensor, force)
        if self.format in _FAERY_WRITE or self.format in _FAERY_READ:  # EVT 3.0: written here, read by faery
            _check_faery_name(self.path, self.format)
        try:
            with _faery_errors(self.path, writing=True):
                self._made = _make_folders(self.path.parent)
                self.tmp = temporary_beside(self.path)
                self._start()
        except BaseException:
            self._discard()
            raise

    def _start(self) -> None:
        fmt, (width, height), tmp = self.format, self.sensor_size, self.tmp
        if fmt in ("evt3", "evt2.1"):
            self._file = open(tmp, "wb")
            name = "3.0" if fmt == "evt3" else "2.1"
            tag = "EVT3" if fmt == "evt3" else "EVT21"
            self._header = (f"% evt {name}\n% format {tag};width={width};height={height}\n"
                            f"% geometry {width}x{height}\n").encode()  # + "% t0" and "% end" at the first event
            self._state = io_evt.evt3_new_state() if fmt == "evt3" else io_evt.evt21_new_state()
            return
        if fmt == "clip":
            # the clip id is text in the file: bytes of a name that are not UTF-8 become U+FFFD
            clip_id = os.fsencode(self.path.name.split(".")[0]).decode("utf-8", "replace")
            self._encoder = ClipEventsWriter(tmp, self.sensor, self.sensor_size, clip_id=clip_id)
            return
        from faery.extension import aedat, csv, dat, es, evt

        if fmt == "evt2":
            self._encoder = evt.Encoder(tmp, "evt2", True, self.sensor_size, True)  # t0 in the header
        elif fmt == "dat":
            self._encoder = dat.Encoder(tmp, "dat2", "cd", True, self.sensor_size)  # t0 in the header
        elif fmt == "es":
            self._encoder = es.Encoder(tmp, "dvs", False, self.sensor_size)
        elif fmt == "csv":
            self._encoder = csv.Encoder(tmp, ord(","), True, self.sensor_size, True)
        elif fmt == "aedat4":
            self._encoder = aedat.Encoder(tmp, _aedat_description(aedat, self.sensor_size), aedat.LZ4_DEFAULT)
        self._encoder.__enter__()

    def write(self, events: np.ndarray) -> None:
        """Append a chunk (sorted, following the previous chunk in time)."""
        if self._closed:
            raise FormatError(where(self.path, "write after close"))
        self._check(events)
        if not events.size:
            return
        if self._shift is None:
            self._shift = self._origin(int(events["t"][0]))
        last_t = int(events["t"][-1])
        if self._shift:
            events = events.copy()
            events["t"] -= self._shift
        try:
            with _faery_errors(self.path, writing=True):
                self._encode(events)
        except BaseException:
            self._discard()
            raise
        self._last_t = last_t
        self.count += events.size

    def _origin(self, first_t: int) -> int:
        """What is subtracted from every time before encoding: the first time, or 0."""
        if self.relative_time:
            return first_t
        if self.format == "es" and first_t > ES_MAX_START_US:
            raise EventsError(where(self.path, f"the first event is at t={first_t:,} µs and Event Stream files keep "
                                               "no time origin; write times from the first event (--relative-time, "
                                               "relative_time=True; the origin is lost) or choose a format that keeps "
                                               "it (.aedat4, .raw, .dat, .csv, .h5)"))
        return 0

    def _encode(self, events: np.ndarray) -> None:
        fmt = self.format
        if fmt in ("evt3", "evt2.1"):
            if self._header is not None:  # the first event's time is the file's time origin
                t0 = int(events["t"][0])
                self._file.write(self._header + (f"% t0 {t0}\n" if t0 else "").encode() + b"% end\n")
                self._header, self._t0 = None, t0
            if self._t0:
                events = events.copy() if not self._shift else events
                events["t"] -= self._t0
            encode = io_evt.evt3_encode if fmt == "evt3" else io_evt.evt21_encode
            self._file.write(encode(events, self._state).tobytes())
        elif fmt == "clip":
            self._encoder.write(events)
        else:
            packet = to_faery(events)
            if fmt == "evt2":
                self._encoder.write({"events": packet})
            elif fmt == "dat":
                self._encoder.write(packet.view(_DAT_DTYPE))
            elif fmt == "es":
                packet["y"] = self.sensor_size[1] - 1 - packet["y"]
                self._encoder.write(packet)
            elif fmt == "csv":
                self._encoder.write(packet)
            elif fmt == "aedat4":
                self._encoder.write(0, packet)

    def _check(self, events: np.ndarray) -> None:
        path = self.path
        if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE or events.ndim != 1:
            got = getattr(events, "dtype", type(events).__name__)
            raise EventsError(where(path, f"events must be a 1-D array of {EVENT_DTYPE}, got {got}"))
        if not events.size:
            return
        t = events["t"]
        start = np.iinfo(np.int64).min if self._last_t is None else self._last_t
        bad, t_min, xmax, ymax, bad_p = io_evt.scan_events(t, events["x"], events["y"], events["p"], start)
        if bad >= 0:
            before = int(t[bad - 1]) if bad else int(start)
            raise EventsError(where(path, f"timestamps not sorted: t={int(t[bad])} (event {bad} of the chunk) "
                                          f"follows {before}"))
        if t_min < 0:
            raise EventsError(where(path, f"negative timestamp {int(t_min)}: event files hold t >= 0"))
        if self.format in MAX_GAP_US:
            self._check_gaps(t)
        width, height = self.sensor_size
        if xmax >= width or ymax >= height:
            raise _outside(path, events, self.sensor_size)
        if bad_p:
            raise EventsError(where(path, "polarity must be -1 or +1"))

    def _check_gaps(self, t: np.ndarray) -> None:
        """Refuse a gap (within the chunk or from the previous one) longer than the format holds."""
        times = t if self._last_t is None else np.concatenate(([self._last_t], t))
        limit = MAX_GAP_US[self.format]
        long = np.flatnonzero(np.diff(times) > limit)
        if not long.size:
            return
        a, b = int(times[long[0]]), int(times[long[0] + 1])
        if self.format == "dat":
            why = "DAT's 32-bit timestamps allow gaps below 2^31 µs"
        else:
            why = (f"{self.format} fills a gap with padding, and evface writes at most "
                   f"{GAP_PADDING_BYTES >> 20} MiB of it per gap ({limit:,} µs)")
        evt = next((v for v in EVT_VERSIONS if MAX_GAP_US[v] >= b - a), None)
        raw = "" if evt is None else ", or .raw" if evt == "evt3" else f", or .raw with --version {evt}"
        holders = f".aedat4, .h5 or .csv{raw}"
        raise EventsError(where(self.path, f"a gap of {b - a:,} µs between events (t={a:,} to {b:,} µs): {why}; "
                                           f"write {holders}, which hold it"))

    def close(self) -> Path:
        """Finish the file and move it into place; returns its path."""
        if self._closed:
            return self.path
        try:
            with _faery_errors(self.path, writing=True):
                if self._file is not None:
                    if self._header is not None:
                        self._file.write(self._header + b"% end\n")
                    self._file.close()
                elif self.format == "clip":
                    self._encoder.close()
                else:
                    self._encoder.__exit__(None, None, None)
                self._encoder = self._file = None
                os.replace(self.tmp, self.path)
        except BaseException:
            self._discard()
            raise
        self._closed = True
        return self.path

    def _discard(self) -> None:
        self._closed = True
        with contextlib.suppress(BaseException):
            if self._file is not None:
                self._file.close()
            elif self._encoder is not None:
                if self.format == "clip":
                    self._encoder.abort()
                else:
                    self._encoder.__exit__(None, None, None)
        self._encoder = self._file = None
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()
        for folder in self._made:  # the folders this writer made, deepest first, if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()

    def __enter__(self) -> EventsFileWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those it created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    if missing:
        missing[0].mkdir(parents=True, exist_ok=True)
    return missing


def _check_output(path: Path, fmt: str, sensor: str, force: bool) -> None:
    """Refuse an output that is a folder, and, unless ``force``, an existing ``.h5`` that is not an
    evface clip or a clip whose other content would be lost."""
    if path.is_dir():
        raise FormatError(where(path, "is a folder; give the output a file name (its extension picks the format)"))
    if fmt != "clip" or force or not path.exists():
        return
    try:
        meta = read_clip_meta(path)
        frames, truth = frames_and_truth_info(path)
    except FormatError:
        raise FormatError(where(path, "an existing file that is not an evface clip (another HDF5 file, or a corrupt "
                                      "clip); choose another output, or replace it with --force (force=True)")) from None
    lost = [f"sensor {name!r}" for name in sorted(meta.sensors) if name != sensor]
    lost += [f"frames {name!r}" for name in sorted(frames)] + [f"truth {name!r}" for name in sorted(truth)]
    if meta.label or meta.subject or meta.aus:
        lost.append(f"labels (subject {meta.subject!r}, label {meta.label!r})")
    if lost:
        raise FormatError(where(path, f"an existing clip that also holds {', '.join(lost)}; writing it would keep only "
                                      f"the {sensor!r} events. Choose another output, or replace it with --force "
                                      "(force=True)"))


def _aedat_description(aedat: Any, sensor_size: SensorSize) -> list:
    """The minimal AEDAT4 description (one event stream), as faery's own writer builds it."""
    A, N = aedat.DescriptionAttribute, aedat.DescriptionNode
    info = N("info", "/mainloop/Recorder/outInfo/0/info/", {
        "sizeX": A("int", sensor_size[0]), "sizeY": A("int", sensor_size[1]), "source": A("string", "evface")}, [])
    stream = N("0", "/mainloop/Recorder/outInfo/0/", {
        "compression": A("string", "LZ4"), "originalOutputName": A("string", "events"),
        "typeIdentifier": A("string", "EVTS")}, [info])
    return [N("outInfo", "/mainloop/Recorder/outInfo/", {}, [stream])]


def open_events_writer(path: str | Path, sensor_size: SensorSize, format: str | None = None,
                       version: str | None = None, *, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                       force: bool = False) -> EventsFileWriter:
    """Open a streaming writer (a context manager with ``.write(chunk)``); see :class:`EventsFileWriter`.

    The extension of ``path`` picks the format (:func:`output_format`); ``version`` (or ``format``,
    which must agree with the extension) picks the EVT version of a ``.raw`` file (``evt3`` by
    default, ``evt2``, ``evt2.1``; names in any case); ``sensor`` names the sensor of a clip file; ``relative_time`` writes times from
    the first event; ``force`` replaces an ``.h5`` file that is not an evface clip, or a clip that
    holds more than this writer writes.
    """
    return EventsFileWriter(path, sensor_size, format, version, sensor=sensor, relative_time=relative_time,
                            force=force)


def write_events_file(path: str | Path, events: np.ndarray, sensor_size: SensorSize, *, format: str | None = None,
                      version: str | None = None, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                      force: bool = False) -> Path:
    """Write a whole events array to ``path`` (atomically); returns the path."""
    with open_events_writer(path, sensor_size, format, version, sensor=sensor, relative_time=relative_time,
                            force=force) as writer:
        writer.write(events)
    return writer.path


# --------------------------------------------------------------------------------------------
# summaries


def file_info(path: str | Path, *, sensor: str | None = None, sensor_size: SensorSize | None = None) -> dict[str, Any]:
    """Summarise an events file: format, sensor size, event count, duration, mean rate, ON/OFF.

    For a clip file the summary covers every sensor (``"sensors"``; the top-level numbers are the
    chosen or first sensor's) and adds the clip's labels and frames. The file is streamed, so
    any size works.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "clip":
        return _clip_info(path, sensor)
    reader = EventsFileReader(path, sensor=sensor, sensor_size=sensor_size)  # a sensor here: refused, not ignored
    info: dict[str, Any] = {"path": str(path), "format": fmt, "file_bytes": path.stat().st_size}
    info.update(_stream_stats(reader, reader.sensor_size))
    return info


def _stream_stats(chunks, sensor_size: SensorSize) -> dict[str, Any]:
    n = n_on = 0
    t_first = t_last = None
    for chunk in chunks:
        n += chunk.size
        n_on += int(np.count_nonzero(chunk["p"] > 0))
        if t_first is None:
            t_first = int(chunk["t"][0])
        t_last = int(chunk["t"][-1])
    duration = 0 if t_first is None else t_last - t_first
    return {
        "sensor_size": list(sensor_size),
        "events": n,
        "t_first_us": t_first,
        "t_last_us": t_last,
        "duration_us": duration,
        "mean_rate_hz": (n / (duration * 1e-6)) if duration > 0 else 0.0,
        "on_events": n_on,
        "off_events": n - n_on,
        "on_fraction": (n_on / n) if n else 0.0,
    }


def _clip_info(path: Path, sensor: str | None) -> dict[str, Any]:
    meta = read_clip_meta(path)
    names = sorted(meta.sensors)
    if sensor is not None and sensor not in meta.sensors:
        raise FormatError(where(path, f"no sensor {sensor!r} in this clip (it has {names})"))
    sensors = {name: _stream_stats(EventsFileReader(path, sensor=name), meta.sensors[name].size) for name in names}
    for name, stats in sensors.items():
        s = meta.sensors[name]
        stats.update(full_size=[s.full_width, s.full_height], roi=list(s.roi) if s.roi else None, model=s.model)
    frames, truth = frames_and_truth_info(path)
    info: dict[str, Any] = {"path": str(path), "format": "clip", "file_bytes": path.stat().st_size}
    chosen = sensor or (names[0] if names else None)
    if chosen is not None:
        info["sensor"] = chosen
        info.update(sensors[chosen])
    info["sensors"] = sensors
    info["frames"] = frames
    info["truth"] = truth
    info["clip"] = {
        "clip_id": meta.clip_id, "subject": meta.subject, "label": meta.label, "aus": meta.aus,
        "lighting": meta.lighting, "onset_us": meta.onset_us, "apex_us": meta.apex_us,
        "offset_us": meta.offset_us, "duration_us": meta.duration_us,
    }
    json.dumps(info)  # the summary is JSON-ready by construction; fail here, not in a caller
    return info
