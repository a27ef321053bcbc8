"""The one writer of every events file: chunk by chunk, to a temporary file renamed on success.

:class:`EventsFileWriter` writes the camera formats (through faery; EVT 3.0 and 2.1 through
:mod:`evface.io.evt`) and the evface clip file alike; the extension of the output picks the format
(:func:`~evface.io.formats.output_format`). Writing goes to a temporary file of the writer's own
beside the output (``NAME.HOST-PID-RANDOM.tmp``) and is renamed on success, so an error never
leaves half a file and two writers of one output never mix their bytes. Timestamps are absolute
microseconds and survive a round trip exactly. Every problem with a file raises
:class:`~evface.errors.FormatError` (or :class:`~evface.errors.EventsError` for events that break
the data model), naming the file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import INT64, MAX_SENSOR_SIDE, as_flag, as_path, sensor_dims
from evface.errors import EventsError, FormatError, where
from evface.events.core import EVENT_DTYPE, SensorSize, check_stream
from evface.io import evt as io_evt
from evface.io.clip_reader import frames_and_truth_info, read_clip_meta
from evface.io.clip_schema import check_sensor_name
from evface.io.clip_checks import check_clip_id
from evface.io.clip_writer import ClipEventsWriter, refused_chunk
from evface.io.event_csv import csv_header_size
from evface.io.atomic_files import publish
from evface.io.faery_bridge import FAERY_READ_FORMATS, FAERY_WRITE_FORMATS, faery_errors, faery_name, to_faery
from evface.io.formats import EVT_VERSIONS, detect_format, output_format
from evface.io.temporary_files import make_folders, remove_made_folders, temporary_beside

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
MAX_SENSOR_SIDES = {"evt3": 2048, "evt2": 2048, "evt2.1": 2048, "dat": 16384, "es": 65535, "aedat4": 32767,
                    "csv": MAX_SENSOR_SIDE, "clip": MAX_SENSOR_SIDE}
"""The widest and tallest sensor each format holds: EVT words address 11 bits, DAT 14; an Event Stream
header stores each side in 16 bits, AEDAT 4 in a signed 16-bit number below 32768 (both were faery's
raw message, "out of range integral type conversion attempted", after the output was begun)."""
_BY_SENSOR_SIDE = ((".h5", "clip"), (".csv", "csv"), (".es", "es"), (".aedat4", "aedat4"), (".dat", "dat"))
"""The extensions named as the ones that hold a sensor another format does not, widest first."""
DEFAULT_CLIP_SENSOR = "events"
"""Sensor name under which a camera file is stored when converted to a clip file."""
ES_MAX_START_US = 1_000_000
"""Event Stream files keep no time origin: a first event later than this would be reached by
overflow bytes (one per 127 µs), so the writer asks for ``relative_time`` instead."""
_DAT_DTYPE = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("payload", "u1")])
TRIGGER_INPUTS = {"evt3": io_evt.EVT3_TRIGGER_INPUTS, "evt2.1": io_evt.EVT21_TRIGGER_INPUTS, "aedat4": 2}
"""The formats that hold external trigger edges, and the trigger inputs each names (0 to this - 1):
EVT ``EXT_TRIGGER`` words, an AEDAT 4 trigger track (dv's types: external input, input 0, and
external generator, input 1). Edges of other inputs, and every edge in another format, are left out."""
TRIGGER_INPUTS_HELD = {"evt3": "EVT 3.0 holds those of inputs 0 to 15",
                       "evt2.1": "EVT 2.1 holds those of inputs 0 to 31",
                       "aedat4": "AEDAT 4 holds those of inputs 0 and 1: an external input and an external generator"}
"""What each format of :data:`TRIGGER_INPUTS` holds, in words, for a message naming edges left out."""
_AEDAT_TRIGGER_DTYPE = np.dtype([("t", "<u8"), ("source", "u1")])
_AEDAT_TRIGGER_TRACK = 1


class EventsFileWriter:
    """Write events to a file chunk by chunk; the file appears (renamed from ``NAME.HOST-PID-RANDOM.tmp``) on close.

    Use as a context manager: leaving the block with an exception removes the temporary file, and
    any older ``NAME`` stays as it was. Each chunk is checked (dtype, order within and across
    chunks, coordinates inside ``sensor_size``, non-negative time) before anything of it is
    written; an event out of order, off the sensor or of a polarity other than -1/+1 is numbered in
    the stream, the events written before plus its index in the chunk, as
    :class:`~evface.io.clip_writer.ClipEventsWriter` numbers it. Sizes depend on the events only, never on their absolute time: formats with a time
    origin in their header (EVT, DAT) store the first event's time there, the clip file stores
    absolute times, and Event Stream, which has no origin, refuses a first event later than
    :data:`ES_MAX_START_US` unless ``relative_time`` is set; a gap between events that the format
    would pad with more than :data:`GAP_PADDING_BYTES` is refused (:data:`MAX_GAP_US`). A disk that fills up, a read-only
    folder or an unwritable path raise :class:`~evface.errors.FormatError` naming ``path``.

    External trigger edges given to :meth:`write_triggers` go into the formats that hold them
    (:data:`TRIGGER_INPUTS`: EVT 3.0 and 2.1 ``EXT_TRIGGER`` words among the events, in time order;
    an AEDAT 4 trigger track, declared as the file opens with ``trigger_track``); ``trigger_edges``
    counts those written. ``first_event_us`` is the first event's time as written to :meth:`write`
    (None before one), ``origin_us`` the time subtracted from every time written.

    ``relative_time``, ``force``, ``replace`` and ``trigger_track`` are True or False (a NumPy bool
    too); anything else is a :class:`~evface.errors.ParameterError` naming the flag, not read by its
    truth value.

    Parameters
    ----------
    path : str or Path
        The file to write; its extension picks the format (:func:`~evface.io.formats.output_format`).
    sensor_size : tuple of int
        ``(width, height)`` of the sensor; every event must lie on it.
    format : str, optional
        A format name (:data:`~evface.io.formats.FORMATS`, any case) that must agree with the
        extension; for a ``.raw`` file it picks the EVT version, as ``version`` does.
    version : str, optional
        The EVT version of a ``.raw`` file: ``evt3`` (the default), ``evt2`` or ``evt2.1``, in any case.
    sensor : str, optional
        The sensor's name in a clip file (keyword only; default :data:`DEFAULT_CLIP_SENSOR`).
    relative_time : bool, optional
        Subtract the first time written from every event's and trigger edge's: the first event's, or
        a trigger edge's before it (:attr:`origin_us`; the origin is then lost; keyword only).
    force : bool, optional
        Replace an existing file that is no events file of the extension's format by its header (a
        table named ``.csv``, a DAT named ``.raw``, an ``.h5`` file that is not an evface clip), or a
        clip that holds more than this writer writes (other sensors, frames, truth or labels);
        without it that is refused. An earlier events file of the format, or an empty file, is replaced;
        a device, pipe or socket never is.
    replace : bool, optional
        False: put the file in place only if no file with something in it is there when it is
        finished, a :class:`FileExistsError` naming ``path`` otherwise (the temporary file removed;
        :func:`~evface.io.atomic_files.publish`): what a command that replaces nothing without
        ``--force`` writes with, so that a file made at ``path`` meanwhile is kept too.
    trigger_track : bool, optional
        An AEDAT 4 file: declare a trigger track (TRIG, stream 1, as DV does) for the edges of
        :meth:`write_triggers`; without it the file holds none (and its bytes are as before such a
        track existed). Other formats: no effect.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.event_reader import read_events_file
    >>> with open_events_writer("out.csv", (346, 260)) as w:
    ...     w.write(make_events([0, 5], [1, 2], [3, 4], [1, -1]))
    ...     w.write(make_events([9], [0], [0], [1]))
    >>> w.count, read_events_file("out.csv")[0]["t"].tolist()
    (3, [0, 5, 9])
    """

    def __init__(self, path: str | Path, sensor_size: SensorSize, format: str | None = None,
                 version: str | None = None, *, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                 force: bool = False, replace: bool = True, trigger_track: bool = False) -> None:
        self.path = as_path("path", path)
        relative_time, force, replace, trigger_track = (
            as_flag(name, value) for name, value in (("relative_time", relative_time), ("force", force),
                                                     ("replace", replace), ("trigger_track", trigger_track)))
        self.format = output_format(self.path, format, version)
        self.sensor_size = _check_sensor_fits(self.path, self.format, sensor_size)
        self.sensor = sensor
        self.relative_time = relative_time
        self.replace = replace
        self.count = 0
        self.trigger_edges = 0
        self.trigger_track = trigger_track and self.format == "aedat4"
        self._pending = np.zeros(0, io_evt.TRIGGER_EDGE_DTYPE)  # edges given, later than the events written
        self._last_t: int | None = None
        self.first_event_us: int | None = None  # as given, before the origin is subtracted
        self._shift: int | None = None
        self.tmp: Path | None = None
        self._encoder: Any = None
        self._file: Any = None
        self._header: bytes | None = None
        self._t0 = 0
        self._state: np.ndarray | None = None
        self._closed = False
        self._made: list[Path] = []
        self._clip_id = ""
        if self.format == "clip":
            check_sensor_name(self.path, sensor, " (--sensor NAME, sensor=NAME)")
            # the clip id is text in the file: bytes of a name that are not UTF-8 become U+FFFD
            self._clip_id = check_clip_id(self.path, "the clip id, the output's name up to its first '.',",
                                          os.fsencode(self.path.name.split(".")[0]).decode("utf-8", "replace"))
        _check_output(self.path, self.format, sensor, force)
        # EVT 3.0: written here, read by faery
        if self.format in FAERY_WRITE_FORMATS or self.format in FAERY_READ_FORMATS:
            faery_name(self.path, self.format)  # refused before any work
        try:
            with faery_errors(self.path, writing=True):
                self._made = make_folders(self.path.parent)
                self.tmp = temporary_beside(self.path)
                self._start(self.tmp)
        except BaseException:
            self._discard()
            raise

    def _start(self, tmp: Path) -> None:
        fmt, (width, height) = self.format, self.sensor_size
        if fmt in ("evt3", "evt2.1"):
            self._file = open(tmp, "wb")  # noqa: SIM115 - closed by close() or _discard()
            name = "3.0" if fmt == "evt3" else "2.1"
            tag = "EVT3" if fmt == "evt3" else "EVT21"
            self._header = (f"% evt {name}\n% format {tag};width={width};height={height}\n"
                            f"% geometry {width}x{height}\n").encode()  # + "% t0" and "% end" at the first event
            self._state = io_evt.evt3_new_state() if fmt == "evt3" else io_evt.evt21_new_state()
            return
        if fmt == "clip":
            self._encoder = ClipEventsWriter(tmp, self.sensor, self.sensor_size, clip_id=self._clip_id)
            return
        from faery.extension import aedat, csv, dat, es, evt  # lazy: faery only where a file of its formats is written

        tmp = faery_name(tmp, fmt)  # as faery opens it
        if fmt == "evt2":
            self._encoder = evt.Encoder(tmp, "evt2", True, self.sensor_size, True)  # t0 in the header
        elif fmt == "dat":
            self._encoder = dat.Encoder(tmp, "dat2", "cd", True, self.sensor_size)  # t0 in the header
        elif fmt == "es":
            self._encoder = es.Encoder(tmp, "dvs", False, self.sensor_size)
        elif fmt == "csv":
            self._encoder = csv.Encoder(tmp, ord(","), True, self.sensor_size, True)
        elif fmt == "aedat4":
            self._encoder = aedat.Encoder(tmp, _aedat_description(aedat, self.sensor_size, self.trigger_track),
                                          aedat.LZ4_DEFAULT)
        self._encoder.__enter__()

    @property
    def origin_us(self) -> int:
        """The time subtracted from every event's and trigger edge's: with ``relative_time`` the first
        of them (the first event's, or a trigger edge's before it: one origin keeps the edges on the
        events they time, and no format holds a time below 0), else 0."""
        return self._shift or 0

    def write(self, events: np.ndarray) -> None:
        """Append a chunk (sorted, following the previous chunk in time).

        Parameters
        ----------
        events : ndarray of EVENT_DTYPE
            The next events of the stream; an empty array adds nothing.

        Raises
        ------
        EventsError
            Naming the file and the first event that does not fit; nothing of the chunk is written.
        FormatError
            A write after :meth:`close`, or a file that cannot be written (the temporary file is removed).
        """
        if self._closed:
            raise FormatError(where(self.path, "write after close"))
        self._check(events)
        if not events.size:
            return
        cut = int(np.searchsorted(self._pending["t"], events["t"][-1], side="right"))
        due, self._pending = self._pending[:cut], self._pending[cut:]  # the edges up to the chunk's last event
        self._write(events, due)
        if self.first_event_us is None:
            self.first_event_us = int(events["t"][0])
        self._last_t = int(events["t"][-1])

    def write_triggers(self, edges: np.ndarray) -> None:
        """Add external trigger edges, written among the events in time order (EVT) or to the trigger
        track (AEDAT 4) as the events reach their time, the rest as the file closes.

        Edges on inputs the format does not name (:data:`TRIGGER_INPUTS`), and any in a format that
        holds none, are left out: ``trigger_edges`` counts those written.

        Parameters
        ----------
        edges : ndarray of TRIGGER_EDGE_DTYPE
            ``t`` (µs, the events' clock), ``channel`` (the trigger input), ``rising``; sorted by
            time, none earlier than the events written before.

        Raises
        ------
        EventsError
            Naming the file and the first edge out of order; nothing of ``edges`` is kept.
        FormatError
            A call after :meth:`close`.
        """
        if self._closed:
            raise FormatError(where(self.path, "write after close"))
        if not isinstance(edges, np.ndarray) or edges.dtype != io_evt.TRIGGER_EDGE_DTYPE or edges.ndim != 1:
            got = getattr(edges, "dtype", type(edges).__name__)
            raise self._refusal(f"trigger edges must be a 1-D array of {io_evt.TRIGGER_EDGE_DTYPE}, got {got}")
        t = edges["t"]
        floor = 0 if self._last_t is None else self._last_t
        back = np.flatnonzero(np.diff(t) < 0)
        if back.size:
            raise self._refusal(f"trigger edges not sorted: t={int(t[back[0] + 1])} after t={int(t[back[0]])}")
        if t.size and t[0] < floor:
            raise self._refusal(f"a trigger edge at t={int(t[0])} µs, before the events written (up to t={floor} µs)")
        inputs = TRIGGER_INPUTS.get(self.format, 0) if self.format != "aedat4" or self.trigger_track else 0
        held = edges[edges["channel"] < inputs]
        if held.size:
            pending = np.concatenate([self._pending, held])
            self._pending = pending[np.argsort(pending["t"], kind="stable")]

    def _write(self, events: np.ndarray, edges: np.ndarray) -> None:
        """Encode ``events`` (checked) and trigger ``edges`` (due by their time), shifted by the time origin."""
        if self._shift is None:
            firsts = [int(a["t"][0]) for a in (events, edges) if a.size]
            self._shift = self._origin(min(firsts))
        if self._shift:
            events, edges = events.copy(), edges.copy()
            events["t"] -= self._shift
            edges["t"] -= self._shift
        try:
            if edges.size and self.format in MAX_GAP_US:  # an edge before the first event or after the last
                times = np.sort(np.concatenate([events["t"], edges["t"]]), kind="stable") + (self._shift or 0)
                self._check_gaps(times, "events and trigger edges")
            with faery_errors(self.path, writing=True):
                self._encode(events, edges)
        except BaseException:
            self._discard()
            raise
        self.count += events.size
        self.trigger_edges += edges.size

    def _origin(self, first_t: int) -> int:
        """What is subtracted from every time before encoding: the first time (an event's, or a
        trigger edge's before it), or 0."""
        if self.relative_time:
            return first_t
        if self.format == "es" and first_t > ES_MAX_START_US:
            raise EventsError(where(self.path, f"the first event is at t={first_t:,} µs and Event Stream files keep "
                                               "no time origin; write times from the first event (--relative-time, "
                                               "relative_time=True; the origin is lost) or choose a format that keeps "
                                               "it (.aedat4, .raw, .dat, .csv, .h5)"))
        return 0

    def _encode(self, events: np.ndarray, edges: np.ndarray) -> None:
        fmt = self.format
        if fmt in ("evt3", "evt2.1"):
            if self._header is not None:  # the first time (an event's, or an edge's before it) is the file's origin
                t0 = min(int(a["t"][0]) for a in (events, edges) if a.size)
                self._file.write(self._header + (f"% t0 {t0}\n" if t0 else "").encode() + b"% end\n")
                self._header, self._t0 = None, t0
            if self._t0:
                events, edges = (events.copy(), edges.copy()) if not self._shift else (events, edges)
                events["t"] -= self._t0
                edges["t"] -= self._t0
            encode = io_evt.evt3_encode if fmt == "evt3" else io_evt.evt21_encode
            assert self._state is not None, "_start made the EVT encoder's state with the file"
            self._file.write(encode(events, self._state, edges if edges.size else None).tobytes())
        elif fmt == "aedat4":
            if events.size:
                self._encoder.write(0, to_faery(events))
            if edges.size:  # dv's trigger types: 1/2 external input rising/falling, 4/5 the generator's
                packet = np.empty(edges.size, _AEDAT_TRIGGER_DTYPE)
                packet["t"] = edges["t"]
                packet["source"] = np.where(edges["channel"] == 0, 1, 4) + ~edges["rising"]
                self._encoder.write(_AEDAT_TRIGGER_TRACK, packet)
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

    def _check(self, events: np.ndarray) -> None:
        """An EventsError naming the file (:meth:`_refusal`) unless ``events`` is a chunk it can take next."""
        if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE or events.ndim != 1:
            got = getattr(events, "dtype", type(events).__name__)
            raise self._refusal(f"events must be a 1-D array of {EVENT_DTYPE}, got {got}")
        if not events.size:
            return
        t = events["t"]
        start = np.iinfo(np.int64).min if self._last_t is None else self._last_t
        bad, t_min, xmax, ymax, bad_p = io_evt.scan_events(t, events["x"], events["y"], events["p"], start)
        if bad >= 0:  # numbered in the stream, as ClipEventsWriter does (was: "event 1 of the chunk")
            n, before = self.count + bad, int(t[bad - 1]) if bad else int(start)
            previous = "" if bad else " (the previous chunk's last event)"
            raise self._refusal(f"timestamps not sorted: t[{n}]={int(t[bad])} < t[{n - 1}]={before}{previous}")
        if t_min < 0:
            raise self._refusal(f"negative timestamp {int(t_min)}: event files hold t >= 0")
        if self.format in MAX_GAP_US:
            self._check_gaps(t)
        width, height = self.sensor_size
        # the first event off the sensor or of bad polarity, numbered in the stream as one out of order
        # (was: one off the sensor named by its time, one of bad polarity not at all)
        if xmax >= width or ymax >= height or bad_p:
            try:
                check_stream(events, self.sensor_size, first=self.count)
            except EventsError as exc:
                raise self._refusal(str(exc)) from None

    def _refusal(self, text: str) -> EventsError:
        """The EventsError that refuses a chunk for ``text``, naming the file, and in a clip file the
        sensor's events as :class:`~evface.io.clip_writer.ClipEventsWriter` names them (``x.h5: events/lr:
        event 4 ...``; was: ``x.h5: event 4 ...``, the sensor unnamed)."""
        return refused_chunk(self.path, self.sensor, text) if self.format == "clip" else EventsError(where(self.path, text))

    def _check_gaps(self, t: np.ndarray, between: str = "events") -> None:
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
        raise EventsError(where(self.path, f"a gap of {b - a:,} µs between {between} (t={a:,} to {b:,} µs): {why}; "
                                           f"write {holders}, which hold it"))

    def close(self) -> Path:
        """Finish the file and move it into place; returns its path.

        A second call does nothing.

        Returns
        -------
        Path
            The file written.
        """
        if self._closed:
            return self.path
        tmp = self.tmp
        assert tmp is not None, "an open writer has its temporary file"
        if self._pending.size:  # the edges after the last event
            edges, self._pending = self._pending, self._pending[:0]
            self._write(np.zeros(0, EVENT_DTYPE), edges)
        try:
            with faery_errors(self.path, writing=True):
                if self._file is not None:
                    if self._header is not None:
                        self._file.write(self._header + b"% end\n")
                    self._file.close()
                elif self.format == "clip":
                    self._encoder.close()
                else:
                    self._encoder.__exit__(None, None, None)
                self._encoder = self._file = None
            publish(tmp, self.path, self.replace)  # a FileExistsError as it is, for the command to name
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
        remove_made_folders(self._made)

    def __enter__(self) -> EventsFileWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()


def _check_sensor_fits(path: Path, fmt: str, sensor_size: SensorSize) -> tuple[int, int]:
    """``sensor_size`` as ``(width, height)``, refused in one line naming ``fmt``, its limit
    (:data:`MAX_SENSOR_SIDES`), the size and the formats that hold it, if ``fmt`` cannot hold it."""
    width, height = sensor_dims(sensor_size, limit=INT64[1])  # the format's limit below names it
    limit = MAX_SENSOR_SIDES[fmt]
    if width > limit or height > limit:
        holders = [ext for ext, name in _BY_SENSOR_SIDE if MAX_SENSOR_SIDES[name] >= max(width, height)]
        if not holders:
            advice = f"no events file holds it (each side up to {MAX_SENSOR_SIDE}: events address x and y 0..65535)"
        elif len(holders) == 1:
            advice = f"write {holders[0]}, which holds it"
        else:
            advice = f"write {', '.join(holders[:-1])} or {holders[-1]}, which hold it"
        raise FormatError(where(path, f"{fmt} holds sensors up to {limit}x{limit}, got {width}x{height}; {advice}"))
    return width, height


def _check_output(path: Path, fmt: str, sensor: str, force: bool) -> None:
    """Refuse an output that is a folder, and, unless ``force``, an existing file that is not an
    events file of ``fmt`` (a table named ``.csv``, a DAT named ``.raw``), an existing ``.h5`` that
    is not an evface clip or a clip whose other content would be lost. An empty file holds nothing to lose.
    A device, pipe or socket is refused even with ``force``: the rename would replace it by a file."""
    if path.is_dir():
        raise FormatError(where(path, "is a folder; give the output a file name (its extension picks the format)"))
    if path.exists() and not path.is_file():
        raise FormatError(where(path, "is a device, pipe or socket, not a file this writer can replace (it renames "
                                      "a new file onto it); give the output a file name"))
    if force or not path.exists() or path.stat().st_size == 0:
        return
    if fmt != "clip":
        _check_events_file(path)
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


def _check_events_file(path: Path) -> None:
    """Refuse to replace ``path`` unless its header is that of an events file of its extension's
    format (the magic bytes, a Prophesee header of its kind, a CSV's first line)."""
    try:
        if detect_format(path) == "csv":
            csv_header_size(path)  # a first line that is no events header or row is refused
    except FormatError:
        raise FormatError(where(path, f"an existing file that is no {path.suffix} events file (by its header), which "
                                      "this would write over; choose another output, or replace it with --force "
                                      "(force=True)")) from None


def _aedat_description(aedat: Any, sensor_size: SensorSize, trigger_track: bool) -> list:
    """The minimal AEDAT4 description (one event stream), as faery's own writer builds it, and a
    trigger stream (TRIG, stream 1, as DV declares one) with ``trigger_track``."""
    A, N = aedat.DescriptionAttribute, aedat.DescriptionNode
    info = N("info", "/mainloop/Recorder/outInfo/0/info/", {
        "sizeX": A("int", sensor_size[0]), "sizeY": A("int", sensor_size[1]), "source": A("string", "evface")}, [])
    stream = N("0", "/mainloop/Recorder/outInfo/0/", {
        "compression": A("string", "LZ4"), "originalOutputName": A("string", "events"),
        "typeIdentifier": A("string", "EVTS")}, [info])
    triggers = N(str(_AEDAT_TRIGGER_TRACK), f"/mainloop/Recorder/outInfo/{_AEDAT_TRIGGER_TRACK}/", {
        "compression": A("string", "LZ4"), "originalOutputName": A("string", "triggers"),
        "typeIdentifier": A("string", "TRIG")}, [])
    return [N("outInfo", "/mainloop/Recorder/outInfo/", {}, [stream, triggers] if trigger_track else [stream])]


def open_events_writer(path: str | Path, sensor_size: SensorSize, format: str | None = None,
                       version: str | None = None, *, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                       force: bool = False, replace: bool = True, trigger_track: bool = False) -> EventsFileWriter:
    """Open a streaming writer (a context manager with ``.write(chunk)``); see :class:`EventsFileWriter`.

    Parameters
    ----------
    path : str or Path
        The file to write; its extension picks the format (:func:`~evface.io.formats.output_format`).
    sensor_size : tuple of int
        ``(width, height)`` of the sensor; every event must lie on it.
    format : str, optional
        A format name (:data:`~evface.io.formats.FORMATS`, any case) that must agree with the
        extension; for a ``.raw`` file it picks the EVT version, as ``version`` does.
    version : str, optional
        The EVT version of a ``.raw`` file: ``evt3`` (the default), ``evt2`` or ``evt2.1``, in any case.
    sensor : str, optional
        The sensor's name in a clip file (keyword only; default :data:`DEFAULT_CLIP_SENSOR`).
    relative_time : bool, optional
        Write times from the first event (keyword only).
    force : bool, optional
        Replace a file that is no events file of the extension's format (an ``.h5`` file that is not
        an evface clip), or a clip that holds more than this writer writes (keyword only).
    replace : bool, optional
        False: refuse, when the file is finished, a file with something in it made there meanwhile
        (keyword only).
    trigger_track : bool, optional
        An AEDAT 4 file: declare a trigger track for :meth:`EventsFileWriter.write_triggers` (keyword only).

    Returns
    -------
    EventsFileWriter
        Use it in a ``with`` block; the file appears when the block ends without an error.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from evface.events.core import make_events
    >>> from evface.io.event_reader import read_events_file
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "stream.raw"
    ...     with open_events_writer(path, (640, 480), version="evt2") as writer:
    ...         for k in range(3):
    ...             writer.write(make_events([1000 * k], [k], [2 * k], [1]))
    ...     events, size = read_events_file(path)
    >>> writer.format, writer.count, size, events[["t", "x", "y"]].tolist()
    ('evt2', 3, (640, 480), [(0, 0, 0), (1000, 1, 2), (2000, 2, 4)])
    """
    return EventsFileWriter(path, sensor_size, format, version, sensor=sensor, relative_time=relative_time,
                            force=force, replace=replace, trigger_track=trigger_track)


def write_events_file(path: str | Path, events: np.ndarray, sensor_size: SensorSize, *, format: str | None = None,
                      version: str | None = None, sensor: str = DEFAULT_CLIP_SENSOR, relative_time: bool = False,
                      force: bool = False) -> Path:
    """Write a whole events array to ``path`` (atomically); returns the path.

    Parameters
    ----------
    path : str or Path
        The file to write; its extension picks the format (:func:`~evface.io.formats.output_format`).
    events : ndarray of EVENT_DTYPE
        The events, sorted in time.
    sensor_size : tuple of int
        ``(width, height)`` of the sensor; every event must lie on it.
    format : str, optional
        A format name that must agree with the extension (keyword only; see :func:`open_events_writer`).
    version : str, optional
        The EVT version of a ``.raw`` file: ``evt3`` (the default), ``evt2`` or ``evt2.1`` (keyword only).
    sensor : str, optional
        The sensor's name in a clip file (keyword only; default :data:`DEFAULT_CLIP_SENSOR`).
    relative_time : bool, optional
        Write times from the first event (keyword only).
    force : bool, optional
        Replace a file that is no events file of the extension's format, or a clip that holds more
        than the events (keyword only).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 5, 9], [1, 2, 3], [3, 4, 5], [1, -1, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_events_file(Path(folder) / "events.csv", ev, (346, 260))
    ...     print(path.name, path.read_text().splitlines()[-3:])
    events.csv ['0,1,3,1', '5,2,4,0', '9,3,5,1']
    """
    with open_events_writer(path, sensor_size, format, version, sensor=sensor, relative_time=relative_time,
                            force=force) as writer:
        writer.write(events)
    return writer.path
