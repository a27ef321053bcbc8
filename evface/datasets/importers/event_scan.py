"""The passes over one event file of a session: its scan (sensor size, event count, time range,
event-rate histogram, triggers), the events of successive windows, and an event-count image.

:func:`~evface.datasets.importers.session.import_session` uses them; each reads any format the
I/O layer reads and holds no more of the file than the pass needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evface.datasets.importers.sync_counts import EventRate
from evface.datasets.importers.sync_triggers import TRIGGER_DTYPE, read_triggers
from evface.datasets.importers.tables import input_file
from evface.errors import FormatError, where
from evface.events.core import empty_events
from evface.io.event_reader import EventsFileReader


@dataclass
class EventScan:
    """What one pass over an event file tells: geometry, time range, event rate (None where not
    counted, or dropped once no longer needed: it is only cross-correlation's), triggers (none
    where they were not read: a sync that takes none)."""

    sensor_size: tuple[int, int]
    n_events: int
    t_first_us: int
    t_last_us: int
    rate: EventRate | None
    triggers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=TRIGGER_DTYPE))


def iter_event_file(path: str | Path, t_start_us: int | None = None, t_end_us: int | None = None,
                    sensor_size: tuple[int, int] | None = None) -> tuple[tuple[int, int], Iterator[np.ndarray]]:
    """Sensor size and an iterator of event chunks (EVENT_DTYPE, sensor clock) of an event file,
    optionally only ``t_start_us <= t < t_end_us``; ``sensor_size`` for a header that gives none."""
    reader = _reader(path, t_start_us, t_end_us, sensor_size)
    width, height = reader.sensor_size
    return (int(width), int(height)), iter(reader)


def _reader(path: str | Path, t_start_us: int | None = None, t_end_us: int | None = None,
            sensor_size: tuple[int, int] | None = None) -> EventsFileReader:
    """The reader of :func:`iter_event_file`, the file checked first."""
    path = input_file(path, "event file", FormatError)
    return EventsFileReader(path, sensor_size=sensor_size, t_start_us=t_start_us, t_end_us=t_end_us)


RATE_DTYPE = np.dtype(np.uint32)
"""The scan's event counts per bin: 4 bytes (an hour of 100 µs bins: 144 MB), 4.3 billion events a
bin; a histogram one of whose bins could pass that is widened to int64 first."""
RATE_GROWTH = 1 << 20
"""The scan's histogram grows by at least this many bins (4 MB), and by an eighth of its length."""


class _RateCounts:
    """The event counts per bin of a histogram whose length is known only at the end: one array,
    grown in place (``ndarray.resize``: a ``realloc``, which moves no data on Linux) by an eighth at
    a time, counted chunk by chunk into the bins of each chunk's span, or event by event where the
    span is much wider than the chunk (a sparse recording).

    It was an int64 array doubled by ``np.concatenate`` (old, zeros and new at once) and trimmed by a
    copy: the scan of an hour of a sparse EVT 2.0 file (36 million bins) added 844 MB to the
    process's peak memory, now 198 MB.
    """

    def __init__(self) -> None:
        self.counts = np.zeros(0, RATE_DTYPE)
        self.n = 0

    def add(self, idx: np.ndarray) -> None:
        """Count one event in each bin ``idx`` (int64, not negative)."""
        low, high = int(idx.min()), int(idx.max()) + 1
        if high > self.counts.size:
            size = max(high, self.counts.size + self.counts.size // 8, RATE_GROWTH)
            self.counts.resize(size, refcheck=False)  # no view of it is alive; the new bins are zeros
        most = int(np.iinfo(self.counts.dtype).max) if self.counts.dtype.kind == "u" else None
        if most is not None and self.n + idx.size > most and int(self.counts[idx].max()) + idx.size > most:
            self.counts = self.counts.astype(np.int64)
        if high - low <= RATE_GROWTH + idx.size:
            span = self.counts[low:high]
            np.add(span, np.bincount(idx - low), out=span, casting="unsafe")  # the check above keeps each bin in range
        else:
            np.add.at(self.counts, idx, 1)
        self.n += idx.size

    def first(self, nbins: int) -> np.ndarray:
        """The histogram cut to its first ``nbins`` bins, in place."""
        self.counts.resize(nbins, refcheck=False)
        return self.counts


def scan_event_file(path: str | Path, *, bin_us: int = 100, sensor_size: tuple[int, int] | None = None,
                    triggers: np.ndarray | None = None, rate: bool = True) -> EventScan:
    """One streaming pass: sensor size (``sensor_size`` for a header that gives none), event
    count, time range, rate histogram (with ``rate``: 4 bytes a ``bin_us`` bin, 144 MB an hour of
    100 µs bins), triggers (``triggers`` when already read by
    :func:`event_file_triggers`, else read here: in another pass only where this one met a trigger
    edge, ``EventsFileReader.trigger_edges``; was: in every file that can hold them)."""
    path = Path(path)
    reader = _reader(path, sensor_size=sensor_size)
    width, height = size = (int(reader.sensor_size[0]), int(reader.sensor_size[1]))
    counts = _RateCounts()
    n = 0
    t0 = None
    t_last = 0
    for ev in reader:
        if ev.size == 0:
            continue
        if t0 is None:
            t0 = int(ev["t"][0])
        if int(ev["x"].max()) >= width or int(ev["y"].max()) >= height:
            raise FormatError(where(path, f"event coordinates outside the {width}x{height} sensor"))
        if int(ev["t"].min()) < t0:
            raise FormatError(where(path, "timestamps go backwards"))
        if rate:
            counts.add((ev["t"].astype(np.int64) - t0) // bin_us)
        n += ev.size
        t_last = int(ev["t"][-1])
    if t0 is None:
        raise FormatError(where(path, "the event file holds no events"))
    if triggers is None:
        triggers = read_triggers(path, size) if reader.trigger_edges else np.zeros(0, dtype=TRIGGER_DTYPE)
    histogram = EventRate(t0, bin_us, counts.first((t_last - t0) // bin_us + 1)) if rate else None
    return EventScan(size, n, t0, t_last, histogram, triggers)


def event_file_triggers(path: str | Path, sensor_size: tuple[int, int] | None = None) -> np.ndarray:
    """The trigger events of an event file (:func:`~evface.datasets.importers.sync_triggers.read_triggers`)
    without its scan, decoded at the sensor size the scan uses (the header's, else ``sensor_size``)."""
    input_file(path, "event file", FormatError)
    width, height = EventsFileReader(path, sensor_size=sensor_size).sensor_size
    return read_triggers(path, (int(width), int(height)))


class EventWindows:
    """Events of successive windows ``[t0, t1)`` (sensor clock, ``t0`` never decreasing) of one
    event file, in one streaming pass that holds only the chunks from the current window's start.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> path = write_events_file("w.es", make_events([0, 5, 10, 15], [0, 1, 2, 3], [0] * 4, [1] * 4), (4, 1))
    >>> windows = EventWindows(path)
    >>> windows.take(0, 11)["t"].tolist(), windows.take(5, 16)["t"].tolist()
    ([0, 5, 10], [5, 10, 15])
    """

    def __init__(self, path: str | Path, t_start_us: int | None = None, t_end_us: int | None = None,
                 sensor_size: tuple[int, int] | None = None) -> None:
        _, self._chunks = iter_event_file(path, t_start_us, t_end_us, sensor_size)
        self._buffer: list[np.ndarray] = []
        self._t_seen: int | None = None
        self._done = False

    def take(self, t0_us: int, t1_us: int) -> np.ndarray:
        """A copy of the events with ``t0_us <= t < t1_us``."""
        self.release(t0_us)
        while not self._done and (self._t_seen is None or self._t_seen < t1_us):
            ev = next(self._chunks, None)
            if ev is None:
                self._done = True
            elif ev.size:
                self._t_seen = int(ev["t"][-1])
                if self._t_seen >= t0_us:
                    self._buffer.append(ev)
        parts = [c[np.searchsorted(c["t"], t0_us):np.searchsorted(c["t"], t1_us)] for c in self._buffer]
        parts = [c for c in parts if c.size]
        return np.concatenate(parts) if parts else empty_events()

    def release(self, t_us: int) -> None:
        """Forget the chunks that end before ``t_us`` (no later window needs them)."""
        self._buffer = [c for c in self._buffer if int(c["t"][-1]) >= t_us]


def count_image(path: str | Path, sensor_size: tuple[int, int], t0_us: int, t1_us: int) -> np.ndarray:
    """Events per pixel with ``t0_us <= t < t1_us`` (sensor clock), (H, W) float32, one pass over
    that span of the file.

    The pixel indices of consecutive chunks are counted together once they outnumber the pixels: a
    sensor-sized count per chunk cost more than the chunk (an EVK4's 921,600 bins for each few
    thousand events).
    """
    width, height = sensor_size
    count = np.zeros(width * height, dtype=np.int64)
    _, chunks = iter_event_file(path, t0_us, t1_us, sensor_size=sensor_size)
    pending: list[np.ndarray] = []
    for ev in chunks:
        pending.append(ev["y"].astype(np.int64) * width + ev["x"])
        if sum(p.size for p in pending) >= count.size:
            count += np.bincount(np.concatenate(pending), minlength=count.size)
            pending = []
    if pending:
        count += np.bincount(np.concatenate(pending), minlength=count.size)
    return count.reshape(height, width).astype(np.float32)
