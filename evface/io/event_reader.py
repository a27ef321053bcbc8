"""The one reader of every events file, camera format or clip: a stream of chunks.

:class:`EventsFileReader` reads the camera formats (through faery, EVT 2.1 through
:mod:`evface.io.evt`, CSV parsed by :mod:`evface.io.event_csv`) and the evface clip file alike, in
chunks, so a file larger than memory goes through; it knows the file's format and sensor size before
decoding an event. The clip file's layout belongs to :mod:`evface.io.clip_reader`; this module
reaches it through that module's public names only. The checks of a file's header and decoded
events are :mod:`evface.io.event_checks`; the chunks rejoined, windowed and recut by count or time,
:mod:`evface.io.event_chunks`. Timestamps are absolute microseconds; the events arrays are
:data:`evface.events.core.EVENT_DTYPE`. Every problem with a file raises
:class:`~evface.errors.FormatError` (or :class:`~evface.errors.EventsError` for events that break
the data model), naming the file.

Examples
--------
>>> from evface.events.core import make_events
>>> from evface.io.event_writer import write_events_file
>>> ev = make_events([0, 20_000_000], [0, 639], [479, 0], [1, -1])
>>> path = write_events_file("a.raw", ev, (640, 480))
>>> back, size = read_events_file(path)
>>> size, back["t"].tolist(), back["p"].tolist()
((640, 480), [0, 20000000], [1, -1])
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from evface.checks import MAX_SENSOR_SIDE, as_flag, as_int, as_path, sensor_dims, within_memory
from evface.errors import EventsError, FormatError, ParameterError, counted, where
from evface.events.core import EVENT_DTYPE, SensorSize, time_window
from evface.io import evt as io_evt
from evface.io.aedat4 import AEDAT_TRIGGERS, check_aedat4, packet_counts
from evface.io.clip_reader import (clip_errors, event_counts, first_event_index, iter_clip_events, read_clip_meta,
                                   read_events)
from evface.io.event_checks import (
    agreeing_sensor_size,
    check_dat_event_bytes,
    check_event_stream_end,
    first_off_sensor,
    header_t0,
    off_sensor_error,
    prophesee_sensor_size,
    raise_if_bad_scan,
    refuse_bad_polarity,
    refuse_evt2_body_as_evt21,
    refuse_joined_event_streams,
    refuse_joined_files,
    refuse_lost_evt3_time,
    refuse_mislabelled_body,
    times_within_int64,
)
from evface.io.event_chunks import join_chunks, rechunk_by_count, rechunk_by_time, window_chunks
from evface.io.event_csv import csv_header_size, csv_rows_start, parse_csv_rows
from evface.io.faery_bridge import FAERY_DTYPE, FAERY_READ_FORMATS, faery_errors, faery_name, from_faery
from evface.io.formats import EVT_VERSIONS, detect_format, read_prophesee_header


SIZE_HINT = "give it with --sensor-size WxH (sensor_size=(width, height) from Python)"
_EVT21_BLOCK_WORDS = 1 << 20
_CSV_BLOCK_BYTES = 1 << 24
_TRIGGER_SCAN_BYTES = 1 << 23
"""Bytes of an EVT body read at once where :meth:`EventsFileReader.may_hold_trigger_edges` seeks a trigger word."""
_EVT2_WRAP_SUSPECT_US = 1 << 33
"""A jump ahead of EVT 2.0 time this long (half the 2^34 µs period of its time-high) is sought as a
join of two files (:meth:`EventsFileReader._refused_if_wrapped_back`)."""
_SOUGHT_BEFORE_DECODING = ("evt2.1", "evt3")
"""The formats whose body is searched for a second header before it is decoded, at even offsets
(:func:`~evface.io.event_checks.refuse_joined_files`): about 0.15 ms per MB, 3.4 % of an EVT 2.1
read, 6 to 7 % of an EVT 3.0 one (CPU time, 41 to 105 MB files, Xeon model 167; 0.05 ms per MB, 1.4
to 2.4 % of an EVT 3.0 read of 114 MB on an AMD EPYC). EVT 3.0 is searched since two files joined
on a sensor of 1920x1080 or more, the second's times after the first's, read as one with 15 stray
events from the second header's text (a word ``% `` is an x address, 37, at the last event's y).
The search would add 10 to 14 % to EVT 2.0 and 22 % to DAT, whose decoders are faster, so that
these are searched only where trouble is met."""
_WORD_VERSIONS = ("evt3", "evt2", "evt2.1")
"""The formats whose body is tested against the version its header names where trouble is met
(:func:`~evface.io.event_checks.refuse_mislabelled_body`)."""
SORT_BYTES_PER_EVENT = 40
"""Peak memory per event of ``sort=True``: the decoded chunks and their join (13 bytes each), then
the join, its argsort (8) and the sorted copy (13) at once."""


class EventsFileReader:
    """A stream of events chunks from one file, with its format and sensor size known up front.

    Parameters
    ----------
    path : str or Path
        Any supported events file (see :data:`~evface.io.formats.FORMATS`).
    chunk_us : int, optional
        Yield one chunk per window ``[k * chunk_us, (k + 1) * chunk_us)`` of absolute time
        (empty windows are skipped).
    chunk_events : int, optional
        Yield chunks of this many events (the last may be shorter). Without either option the
        chunks are whatever the decoder produces.
    sensor : str, optional
        For a clip file: which sensor (needed when it has several); a name, anything else a
        :class:`~evface.errors.ParameterError`. For an AEDAT 4 file: which event track, by its
        stream id (``"1"``; needed when it has several, one camera each, as DV records a stereo
        rig in one file).
    sensor_size : tuple of int, optional
        ``(width, height)``, for files whose header gives no size (headerless CSV, DAT or ``.raw``); it takes the place
        of the size a Prophesee header's camera plugin implies (:data:`~evface.io.formats.PLUGIN_SIZES`),
        and must agree with a size the file gives.
    t_start_us, t_end_us : int, optional
        Only events with ``t_start_us <= t < t_end_us`` (whole numbers; a window that ends before
        it starts is a :class:`~evface.errors.ParameterError`).
    sort : bool
        Read the whole file into memory and yield its events sorted by time (a stable sort, so
        events of equal time keep their order), for exports whose timestamps are out of order;
        without it such a file raises :class:`~evface.errors.EventsError`. True or False (a
        NumPy bool too); anything else is a :class:`~evface.errors.ParameterError`, not read by
        its truth value.
    keep_triggers : bool
        Also keep the external trigger edges met while the events are decoded, for
        :meth:`take_trigger_edges` (``evface convert`` writes them into an output that holds them);
        True or False, as ``sort``.

    Attributes
    ----------
    path, format, sensor_size, sensor, known_count
    trigger_edges : int
        External trigger edges (EVT 2.0/2.1/3.0 ``EXT_TRIGGER`` words, AEDAT 4 trigger-track edges)
        met while the events were decoded, counted as they pass; the events arrays hold none of them:
        with ``keep_triggers`` :meth:`take_trigger_edges` gives them, for a writer that holds them
        (``evface convert`` names those its OUT does not).
    imu_samples, frames : int
        Likewise the IMU samples and the APS frames of an AEDAT 4 file's other tracks.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
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
        keep_triggers: bool = False,
    ) -> None:
        self.path = as_path("path", path)
        chunk_us = None if chunk_us is None else as_int("chunk_us", chunk_us, 1)
        chunk_events = None if chunk_events is None else as_int("chunk_events", chunk_events, 1)
        if chunk_us is not None and chunk_events is not None:
            raise FormatError(where(self.path, "give chunk_us or chunk_events, not both"))
        self.chunk_us = chunk_us
        self.chunk_events = chunk_events
        self.t_start_us, self.t_end_us = time_window(t_start_us, t_end_us)
        self.sort = as_flag("sort", sort)
        self.keep_triggers = as_flag("keep_triggers", keep_triggers)
        self._edges: list[np.ndarray] = []  # trigger edges kept and not yet taken (keep_triggers)
        if sensor is not None and not isinstance(sensor, str):  # was, for a clip, "the file is corrupt"
            raise ParameterError(f"sensor must be the name of a clip's sensor, or an AEDAT 4 event track's id (text, "
                                 f"'1'), got {sensor!r}")
        self.format = detect_format(self.path)
        if self.format in FAERY_READ_FORMATS:
            faery_name(self.path, self.format)  # refused before any work
        self.sensor: str | None = None
        self._header_length = 0
        self._header: dict[str, str] = {}
        self._t0 = 0
        self._empty = False
        self._size_source = ""  # a Prophesee file's: "header", "given" or "plugin" (prophesee_sensor_size)
        self._aedat_track = 0  # an AEDAT 4 file's event track: _open_aedat4_track chooses it
        self.trigger_edges = 0
        self.imu_samples = 0
        self.frames = 0
        self.sensor_size = self._open(sensor, None if sensor_size is None else sensor_dims(sensor_size))

    # -- opening: find the sensor size without decoding events
    def _open(self, sensor: str | None, fallback: SensorSize | None) -> SensorSize:
        path, fmt = self.path, self.format
        if fmt == "clip":
            with clip_errors(path):
                return agreeing_sensor_size(path, self._open_clip(sensor), fallback)
        if sensor is not None and fmt != "aedat4":
            raise FormatError(where(path, f"sensor={sensor!r} applies to clip files only (and AEDAT 4 event tracks), not to {fmt}"))
        if fmt in EVT_VERSIONS or fmt == "dat":
            self._header, self._header_length = read_prophesee_header(path)
            self._t0 = header_t0(path, self._header)
            if "size_problem" in self._header and fallback is None:  # was: read as no size line, or the last one's
                raise FormatError(where(path, f"{self._header['size_problem']}; give the sensor's size with "
                                              f"--sensor-size WxH (sensor_size=(width, height) from Python)"))
            size, self._size_source = prophesee_sensor_size(path, self._header, fallback)
            word = {"evt3": 2, "evt2": 4, "evt2.1": 8, "dat": 8}[fmt]
            body = path.stat().st_size - self._header_length
            if fmt == "dat" and body:
                check_dat_event_bytes(path, self._header_length, body)
                body -= 2  # DAT: event type and event size bytes, written with the first event
            self._empty = body == 0
            extra = body % word
            if extra:
                refuse_joined_files(path, self._header_length)
                if fmt in _WORD_VERSIONS:
                    refuse_mislabelled_body(path, fmt, self._header_length, size)
                end = path.stat().st_size
                raise FormatError(where(path, f"truncated: {counted(extra, 'trailing byte')} after the last whole "
                                              f"{word}-byte {fmt} word, which ends at byte {end - extra:,} (the file "
                                              f"ends at byte {end:,}, inside a word)"))
        elif fmt == "csv":
            size = agreeing_sensor_size(path, csv_header_size(path), fallback) or fallback
        else:
            if fmt == "aedat4":
                check_aedat4(path)  # faery's decoder aborts the process on some corrupt files
            with faery_errors(path):
                from faery.file_decoder import Decoder  # lazy: faery (a native extension) only where a file of its formats is read

                size = (self._open_aedat4_track(sensor) if fmt == "aedat4"
                        else tuple(Decoder(faery_name(path, fmt), file_type=fmt).dimensions()))
            size = agreeing_sensor_size(path, size, fallback)
        if size is None:
            raise FormatError(where(path, f"the header gives no sensor size; {SIZE_HINT}"))
        width, height = int(size[0]), int(size[1])
        if not (0 < width <= MAX_SENSOR_SIDE and 0 < height <= MAX_SENSOR_SIDE):  # events address 0..65535
            raise FormatError(where(path, f"invalid sensor size {width}x{height} in the header (each side from 1 to "
                                          f"{MAX_SENSOR_SIDE}): a corrupt header"))
        return (width, height)

    def _open_aedat4_track(self, sensor: str | None) -> SensorSize:
        """The size of the AEDAT 4 event track this reader reads: the file's only one, or the one
        ``sensor`` names by its stream id; a file of several without ``sensor`` is refused naming
        them (was: the first read, the others' events dropped without a word)."""
        from faery import aedat  # lazy: as _open's Decoder

        path = self.path
        with aedat.Decoder(faery_name(path, self.format)) as decoder:
            tracks = [track for track in decoder.tracks() if track.data_type == "events"]
        if not tracks:
            raise FormatError(where(path, "the AEDAT4 file has no event track"))
        listed = ", ".join(f"stream {t.id} ({t.dimensions[0]}x{t.dimensions[1]})" for t in tracks)
        if sensor is None and len(tracks) > 1:
            ids = [str(t.id) for t in tracks]
            raise FormatError(where(path, f"holds {len(tracks)} event tracks, one camera each (a stereo rig DV recorded "
                                          f"in one file): {listed}; evface reads one: choose it with --sensor "
                                          f"{' or --sensor '.join(ids)} (sensor='{ids[-1]}' from Python); for import "
                                          f"session, which takes one file a camera, first `evface convert {path.name} "
                                          f"cam{ids[-1]}.aedat4 --sensor {ids[-1]}` (the file's trigger edges go "
                                          "along, for --sync NAME=trigger)"))
        track = tracks[0] if sensor is None else next((t for t in tracks if str(t.id) == sensor), None)
        if track is None:
            raise FormatError(where(path, f"no event track {sensor!r} in this AEDAT 4 file (--sensor ID, sensor=ID: "
                                          f"its event tracks are {listed})"))
        self._aedat_track = track.id
        return (int(track.dimensions[0]), int(track.dimensions[1]))

    def _open_clip(self, sensor: str | None) -> SensorSize:
        meta = read_clip_meta(self.path)
        names = sorted(meta.sensors)
        if sensor is None:
            if not names:
                raise FormatError(where(self.path, "clip holds no events (no event sensor)"))
            if len(names) != 1:
                raise FormatError(where(self.path, f"clip has sensors {', '.join(names)}; choose one (sensor=NAME, or --sensor NAME)"))
            sensor = names[0]
        if sensor not in meta.sensors:
            raise FormatError(where(self.path, f"no sensor {sensor!r} in this clip (it has {', '.join(names) or 'none'})"))
        self.sensor = sensor
        return meta.sensors[sensor].size

    @property
    def aedat_track(self) -> int | None:
        """The stream id of the AEDAT 4 event track this reader reads (the file's only one, or the one
        ``sensor`` names; a file of several without it is refused as it opens); None for other formats."""
        return self._aedat_track if self.format == "aedat4" else None

    @property
    def _clip_sensor(self) -> str:
        """The sensor of a clip file that this reader reads: :meth:`_open_clip` chose it."""
        assert self.sensor is not None, "a clip's reader has its sensor from _open_clip"
        return self.sensor

    @property
    def known_count(self) -> int | None:
        """Events in the file, for a clip or DAT file (known without decoding); ``None`` otherwise.

        The count is the whole file's (or clip sensor's): the time window is not applied.
        """
        if self.format == "clip":
            return event_counts(self.path)[self._clip_sensor]
        if self.format == "dat":
            return max(0, self.path.stat().st_size - self._header_length - 2) // 8
        return None

    # -- iteration
    def __iter__(self) -> Iterator[np.ndarray]:
        chunks = self._checked(self._decoded())
        if self.sort:
            self._check_sort_memory()
            events = join_chunks(list(chunks))
            chunks = iter([events[np.argsort(events["t"], kind="stable")]])
        if self.t_start_us is not None or self.t_end_us is not None:
            chunks = window_chunks(chunks, self.t_start_us, self.t_end_us)
        if self.chunk_events is not None:
            return rechunk_by_count(chunks, self.chunk_events)
        if self.chunk_us is not None:
            return rechunk_by_time(chunks, self.chunk_us)
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
                yield from iter_clip_events(self.path, self._clip_sensor, self.t_start_us, self.t_end_us)
        elif fmt == "csv":
            yield from self._csv_chunks()
        elif fmt in EVT_VERSIONS or fmt == "dat":
            if fmt in _SOUGHT_BEFORE_DECODING:  # found whether or not its text decodes as events on the sensor
                refuse_joined_files(self.path, self._header_length, anywhere=False)
            if fmt == "evt2.1":  # its words pass as EVT 2.1, read as garbage events on a sensor wide enough
                refuse_evt2_body_as_evt21(self.path, self._header_length, self.sensor_size)
            try:
                if fmt == "evt3":  # was: read up to 16.8 s early after a wrap faery's decoder misses
                    refuse_lost_evt3_time(self.path, self._header_length)
                chunks = self._evt21_chunks() if fmt == "evt2.1" else self._faery_chunks()
                yield from self._refused_if_wrapped_back(chunks) if fmt == "evt2" else chunks
            except (FormatError, EventsError):
                refuse_joined_files(self.path, self._header_length)  # what most likely went wrong, if so
                if fmt in _WORD_VERSIONS:
                    refuse_mislabelled_body(self.path, fmt, self._header_length)
                raise
        else:
            try:
                yield from self._faery_chunks()
            except (FormatError, EventsError):
                if fmt == "es":
                    refuse_joined_event_streams(self.path)  # what most likely went wrong, if so
                raise

    def _refused_if_wrapped_back(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """``chunks`` of an EVT 2.0 file, the file refused as two joined end to end
        (:func:`~evface.io.event_checks.refuse_joined_files`, sought once) where their time jumps
        ahead by :data:`_EVT2_WRAP_SUSPECT_US` or more within a chunk or from the one before.

        faery's decoder takes a time-high going back for a wrap of its 2^34 µs period, so the second
        file's events come 2^34 µs minus the time gone back later; a camera's time-high steps by
        one to its wrap. Where the second header decoded as events on the sensor (seen on 1600x1200,
        1920x1080 and 2048-wide sensors) this is the only trace of the join (was: read as one file
        with 1 to 11 stray events); a second file whose times come later leaves none (EVT 2.0 is not
        searched before decoding: :data:`_SOUGHT_BEFORE_DECODING`). A stream that truly leaves such a
        gap is read whole, after one search (about 1.2 ms per MB)."""
        last = None
        for chunk in chunks:
            if chunk.size:
                t = chunk["t"]
                if int(t[-1]) - (int(t[0]) if last is None else last) >= _EVT2_WRAP_SUSPECT_US:
                    refuse_joined_files(self.path, self._header_length)
                    yield chunk
                    yield from chunks  # no second header: a true gap, sought once
                    return
                last = int(t[-1])
            yield chunk

    def _faery_chunks(self) -> Iterator[np.ndarray]:
        from faery.extension import aedat, dat, es, evt  # lazy: faery only where a file of its formats is read

        path, fmt, size = self.path, self.format, self.sensor_size
        name = faery_name(path, fmt)  # as faery opens it
        self._last_t: int | None = None
        self._decoded_count = 0  # events yielded before the next packet: its first one's index in the file
        with faery_errors(path):
            if fmt in ("evt3", "evt2"):
                with evt.Decoder(name, size, fmt) as decoder:
                    for packet in self._prophesee_packets(decoder):
                        if "triggers" in packet:
                            self.trigger_edges += len(packet["triggers"])
                            self._keep_edges(packet["triggers"])
                        if "events" in packet:
                            yield times_within_int64(path, from_faery(packet["events"]), self._t0)
            elif fmt == "dat":
                with dat.Decoder(name, size, "dat2") as decoder:
                    if decoder.event_type not in ("cd", "2d"):
                        raise FormatError(where(path, f"DAT event type {decoder.event_type!r}: not supported, evface "
                                                      "reads polarity events ('cd', type byte 0x0C, and 'Event2d', 0x00)"))
                    for packet in self._prophesee_packets(decoder):
                        if packet["payload"].size and packet["payload"].max() > 1:
                            raise FormatError(where(path, "DAT polarity values above 1: corrupt file"))
                        yield self._fixed(times_within_int64(path, packet.view(FAERY_DTYPE), self._t0))
            elif fmt == "es":
                with es.Decoder(name, 0) as decoder:
                    if decoder.event_type != "dvs":
                        raise FormatError(where(path, f"ES event type {decoder.event_type!r} is not 'dvs'"))
                    for packet in decoder:
                        yield self._fixed(packet, flip_y=True)
                check_event_stream_end(path)
            elif fmt == "aedat4":
                if self.keep_triggers:
                    self._keep_aedat4_edges(name)
                with aedat.Decoder(name) as decoder:
                    for track, packet in decoder:
                        if track.id == self._aedat_track and len(packet):
                            yield self._fixed(packet)
                        elif track.data_type == "triggers" and len(packet):
                            self.trigger_edges += int(np.isin(packet["source"], list(AEDAT_TRIGGERS)).sum())
                        elif track.data_type == "imus":
                            self.imu_samples += len(packet)
                        elif track.data_type == "frame":  # one APS frame a packet
                            self.frames += 1

    def _prophesee_packets(self, decoder: Iterator) -> Iterator:
        """The packets of faery's EVT 2.0/3.0 or DAT ``decoder``; where the decoder fails, the file is
        refused naming its first event off the sensor if that is what failed it
        (:meth:`_refuse_off_sensor`), otherwise the decoder's error goes on."""
        packets = iter(decoder)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except (KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException:  # faery's errors, pyo3 panics among them (raised again)
                self._refuse_off_sensor()
                raise
            yield packet

    def _refuse_off_sensor(self) -> None:
        """Refuse the EVT 2.0/3.0 or DAT file in one line naming its first event off the sensor
        (:func:`~evface.io.event_checks.first_off_sensor`, :func:`~evface.io.event_checks.off_sensor_error`);
        nothing if there is none (the decoder's error is then the file's)."""
        start = self._header_length + (2 if self.format == "dat" else 0)  # DAT: its event type and size bytes
        found = first_off_sensor(self.path, self.format, start, self.sensor_size)
        if found is not None:
            index, (t, x, y) = found
            raise off_sensor_error(self.path, index, (t + self._t0, x, y), self.sensor_size, self._size_source,
                                   self._header.get("plugin", ""))

    def _fixed(self, packet: np.ndarray, flip_y: bool = False) -> np.ndarray:
        """A faery DAT/ES/AEDAT4 packet as checked evface events, in one numba pass."""
        path, (width, height) = self.path, self.sensor_size
        if packet.dtype.itemsize != EVENT_DTYPE.itemsize or not packet.flags.writeable:
            packet = packet.astype(FAERY_DTYPE)
        events = packet.view(EVENT_DTYPE)
        start = np.iinfo(np.int64).min if self._last_t is None else self._last_t
        bad, t0, xmax, ymax = io_evt.fix_faery_packet(events["t"], events["x"], events["y"], events["p"], start,
                                                      height, flip_y)
        raise_if_bad_scan(path, events, bad, start, t0, xmax, ymax, (width, height), self._decoded_count)
        if events.size:
            self._last_t = int(events["t"][-1])
            self._decoded_count += events.size
        return events

    def evt21_trigger_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The external trigger edges of an EVT 2.1 file (``EXT_TRIGGER`` words,
        :func:`~evface.io.evt.evt21_triggers`), on the events' clock (the header's ``t0`` added), in
        one pass over its words, as faery gives those of EVT 2.0 and 3.0 files.

        Returns
        -------
        t : ndarray of int64
            Each edge's time in µs, in file order.
        channel : ndarray of uint8
            Its trigger input.
        rising : ndarray of bool
            True for a rising edge.
        """
        if self.format != "evt2.1":
            raise FormatError(where(self.path, f"is {self.format}, not EVT 2.1"))
        state = np.zeros(2, np.int64)
        parts = [io_evt.evt21_triggers(words, state) for words in self._evt21_words()]
        t, channel, rising = (np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype)
                              for k, dtype in enumerate((np.int64, np.uint8, bool)))
        return t + self._t0, channel, rising

    def _evt21_edges(self, words: np.ndarray, state: np.ndarray) -> None:
        """Keep the trigger edges of a block of EVT 2.1 ``words`` (``state`` as
        :func:`~evface.io.evt.evt21_triggers` carries it), on the events' clock."""
        t, channel, rising = io_evt.evt21_triggers(words, state)
        edges = np.empty(t.size, io_evt.TRIGGER_EDGE_DTYPE)
        edges["t"], edges["channel"], edges["rising"] = t + self._t0, channel, rising
        self._edges.append(edges)

    def _keep_edges(self, packet: np.ndarray) -> None:
        """Keep (``keep_triggers``) the trigger edges of a faery packet: EVT 2.0/3.0 ``triggers``
        (``t``, ``source`` or ``id``, ``rising``), or an AEDAT 4 trigger packet (``t``, ``source``: a
        dv trigger type, those of :data:`~evface.io.aedat4.AEDAT_TRIGGERS` edges)."""
        if not self.keep_triggers or not len(packet):
            return
        names = packet.dtype.names or ()
        if "rising" in names:
            edges = np.empty(len(packet), io_evt.TRIGGER_EDGE_DTYPE)
            edges["channel"] = packet["source"] if "source" in names else packet["id"]
            edges["t"], edges["rising"] = packet["t"], packet["rising"]
        else:
            kinds = packet["source"].astype(np.int64)
            keep = np.isin(kinds, list(AEDAT_TRIGGERS))
            edges = np.empty(int(keep.sum()), io_evt.TRIGGER_EDGE_DTYPE)
            edges["t"] = packet["t"][keep]
            edges["channel"] = [AEDAT_TRIGGERS[int(k)][0] for k in kinds[keep]]
            edges["rising"] = [AEDAT_TRIGGERS[int(k)][1] for k in kinds[keep]]
        self._edges.append(edges)

    def _keep_aedat4_edges(self, name: Path) -> None:
        """Keep the trigger edges of an AEDAT 4 file in a first pass of faery's decoder, the events
        decoded and let go, where the file has a trigger packet. DV writes a
        stream's packet as it fills, so that a trigger packet may follow events later than its
        edges: read along the events, an edge would come after them."""
        if not self.may_hold_trigger_edges():
            return
        from faery.extension import aedat  # lazy: as _faery_chunks

        with aedat.Decoder(name) as decoder:
            for track, packet in decoder:
                if track.data_type == "triggers":
                    self._keep_edges(packet)

    def take_trigger_edges(self) -> np.ndarray:
        """The external trigger edges kept (``keep_triggers``) since the last call, in the time window.

        An edge is kept as the words or packet that hold it are decoded, before any later event of
        the file is yielded (an AEDAT 4 file's, in a first pass over the file where it has a
        trigger packet): a writer given each call's edges before the next chunk
        (:meth:`~evface.io.event_writer.EventsFileWriter.write_triggers`) has every edge before
        the events that follow it, in one pass, the edges alone held meanwhile.

        Returns
        -------
        ndarray of TRIGGER_EDGE_DTYPE
            ``t`` (µs, the events' clock), ``channel`` (the trigger input), ``rising``; sorted by time.
        """
        if not self._edges:
            return np.zeros(0, io_evt.TRIGGER_EDGE_DTYPE)
        edges = np.concatenate(self._edges)
        self._edges = []
        lo = np.iinfo(np.int64).min if self.t_start_us is None else self.t_start_us
        hi = np.iinfo(np.int64).max if self.t_end_us is None else self.t_end_us
        edges = edges[(edges["t"] >= lo) & (edges["t"] < hi)]
        return edges[np.argsort(edges["t"], kind="stable")]

    def may_hold_trigger_edges(self) -> bool:
        """Whether the file may hold external trigger edges, found without decoding an event: an
        EVT 2.0/2.1/3.0 word of type 0xA (``EXT_TRIGGER``; the body read once in blocks), a packet of
        an AEDAT 4 trigger stream (its packet headers alone); False for the other formats.

        Returns
        -------
        bool
            False where the file surely holds none.
        """
        if self.format == "aedat4":
            return any(kind == "TRIG" and n for kind, n in packet_counts(self.path).values())
        if self.format not in EVT_VERSIONS or self._empty:
            return False
        if self.format == "evt2.1":
            return any(bool(np.any((words >> np.uint64(60)) == io_evt.EVT21_TRIGGER)) for words in self._evt21_words())
        dtype, shift = ("<u2", 12) if self.format == "evt3" else ("<u4", 28)
        with open(self.path, "rb") as f:
            f.seek(self._header_length)
            while raw := f.read(_TRIGGER_SCAN_BYTES):
                words = np.frombuffer(raw[:len(raw) - len(raw) % np.dtype(dtype).itemsize], dtype=dtype)
                if np.any((words >> shift) == 0xA):
                    return True
        return False

    def _evt21_words(self) -> Iterator[np.ndarray]:
        """The words of an EVT 2.1 file's body in blocks of :data:`_EVT21_BLOCK_WORDS`, as uint64 in the
        bit order OpenEB documents (the halves of a ``% endianness legacy`` file's words swapped)."""
        legacy = self._header.get("endianness", "").lower() == "legacy"
        if self._empty:
            return
        with open(self.path, "rb") as f:
            f.seek(self._header_length)
            while raw := f.read(8 * _EVT21_BLOCK_WORDS):
                words = np.frombuffer(raw, dtype="<u8")
                yield (words << np.uint64(32)) | (words >> np.uint64(32)) if legacy else words

    def _evt21_chunks(self) -> Iterator[np.ndarray]:
        path = self.path
        state = io_evt.evt21_new_decoder_state()
        edge_state = np.zeros(2, np.int64)
        count = 0
        for words in self._evt21_words():
            events, outside = io_evt.evt21_decode(words, state, self.sensor_size, EVENT_DTYPE)
            self.trigger_edges = int(state[6])  # its EXT_TRIGGER words, counted as the words are decoded
            if self.keep_triggers:
                self._evt21_edges(words, edge_state)
            if self._t0:
                events["t"] += self._t0
                times_within_int64(path, events, self._t0)
            if outside is not None:
                t, x, y = outside
                raise off_sensor_error(path, count + events.size, (t + self._t0, x, y), self.sensor_size,
                                       self._size_source, self._header.get("plugin", ""))
            count += events.size
            yield events

    def _csv_chunks(self) -> Iterator[np.ndarray]:
        """CSV rows ``t,x,y,on`` (on: 1/0 or 1/-1), parsed here: faery's CSV decoder silently
        clamps decreasing timestamps, which would hide an unsorted file."""
        path = self.path
        start, row = csv_rows_start(path)
        with open(path, "rb") as f:
            f.seek(start)
            rest = b""
            while True:
                block = f.read(_CSV_BLOCK_BYTES)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                rest = block[cut:]
                if cut:
                    yield parse_csv_rows(path, block[:cut], row)
                    row += block.count(b"\n", 0, cut)
            if rest.strip():
                yield parse_csv_rows(path, rest, row)

    def _checked(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """Check order (within and across chunks) and coordinates of decoded chunks.

        Chunks decoded by faery are already checked: DAT, ES and AEDAT4 packets in the same numba
        pass that maps their polarity (:meth:`_fixed`), and faery's EVT 2.0/3.0 decoders reject
        coordinates outside the sensor themselves and cannot produce decreasing times (the
        formats carry time as a running state). The wrapper then costs little beyond faery.
        """
        if self.format in FAERY_READ_FORMATS:
            yield from chunks
            return
        width, height = self.sensor_size
        last_t = None
        count = self._window_first_index()
        for chunk in chunks:
            if not chunk.size:
                continue
            t = chunk["t"]
            start = np.iinfo(np.int64).min if last_t is None else last_t
            bad, t0, xmax, ymax, bad_p = io_evt.scan_events(t, chunk["x"], chunk["y"], chunk["p"], start)
            raise_if_bad_scan(self.path, chunk, -1 if self.sort else bad, start, t0, xmax, ymax, (width, height), count)
            if bad_p:
                refuse_bad_polarity(self.path, chunk, count)
            last_t = t[-1]
            count += chunk.size
            yield chunk

    def _window_first_index(self) -> int:
        """The index in the file of the first event :meth:`_decoded` yields: a clip's window is
        read from its ``t_index`` (the other formats are windowed after the checks), and an event
        out of order in it is numbered in the file (was: from the window's start)."""
        if self.format != "clip" or self.t_start_us is None:
            return 0
        return first_event_index(self.path, self._clip_sensor, self.t_start_us)



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

    Parameters
    ----------
    path : str or Path
        Any supported events file (see :data:`~evface.io.formats.FORMATS`).
    chunk_us : int, optional
        Yield one chunk per window of this many µs of absolute time (empty windows are skipped).
    chunk_events : int, optional
        Yield chunks of this many events (the last may be shorter); not with ``chunk_us``.
    sensor : str, optional
        For a clip file: which sensor (needed when it has several).
    sensor_size : tuple of int, optional
        ``(width, height)``, for files whose header gives no size; it must agree with a size the file gives.
    t_start_us, t_end_us : int, optional
        Only events with ``t_start_us <= t < t_end_us``.
    sort : bool, optional
        Read the whole file into memory and yield its events sorted by time (see :class:`EventsFileReader`).

    Returns
    -------
    EventsFileReader
        Iterate over it for the chunks (ndarrays of EVENT_DTYPE).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> ev = make_events([0, 10, 20, 30, 40], [0, 1, 2, 3, 4], [0] * 5, [1, -1, 1, 1, -1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_events_file(Path(folder) / "stream.dat", ev, (64, 48))
    ...     reader = iter_events_file(path, chunk_events=2, t_start_us=10)
    ...     print(reader.format, reader.sensor_size, [chunk["t"].tolist() for chunk in reader])
    dat (64, 48) [[10, 20], [30, 40]]
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

    Parameters
    ----------
    path : str or Path
        Any supported events file (see :data:`~evface.io.formats.FORMATS`).
    sensor : str, optional
        For a clip file: which sensor (needed when it has several).
    t_start_us, t_end_us : int, optional
        Only events with ``t_start_us <= t < t_end_us``.
    sensor_size : tuple of int, optional
        ``(width, height)``, for files whose header gives no size (headerless CSV, DAT or ``.raw``); it takes the place
        of the size a Prophesee header's camera plugin implies (:data:`~evface.io.formats.PLUGIN_SIZES`),
        and must agree with a size the file gives.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
    sensor_size : (width, height)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> ev = make_events([0, 10_000, 60_000], [0, 1, 2], [0, 0, 1], [1, -1, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_events_file(Path(folder) / "stream.raw", ev, (346, 260))
    ...     events, size = read_events_file(path, t_start_us=5_000)
    >>> size, events["t"].tolist(), events["p"].tolist()
    ((346, 260), [10000, 60000], [-1, 1])
    """
    reader = EventsFileReader(path, sensor=sensor, sensor_size=sensor_size, t_start_us=t_start_us, t_end_us=t_end_us)
    if reader.format == "clip" and t_start_us is None and t_end_us is None:
        events = read_events(reader.path, reader._clip_sensor)
        next(reader._checked(iter([events])), None)
        return events, reader.sensor_size
    return join_chunks(list(reader)), reader.sensor_size
