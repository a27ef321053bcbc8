"""The events data model: a sorted numpy structured array.

Fields are ``t`` (int64, microseconds), ``x`` and ``y`` (uint16, pixels) and ``p`` (int8, -1 or
+1). Polarity is never boolean. A sensor size is always passed explicitly as ``(width, height)``;
image-like outputs are ``(height, width)`` arrays.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from evface.checks import INT64, MAX_SENSOR_SIDE, as_flag, as_int, real_dtype, sensor_dims, within_memory
from evface.errors import EventsError, ParameterError, where
from evface.kernel_cache import cached_jit

EVENT_DTYPE = np.dtype([("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "i1")])
"""The structured dtype of an events array."""

SensorSize = tuple[int, int]
"""``(width, height)`` of a sensor array, in pixels."""


def empty_events(n: int = 0) -> np.ndarray:
    """Return an uninitialised events array of length ``n`` (zeros when ``n == 0``).

    Parameters
    ----------
    n : int, optional
        Number of events, a whole number >= 0; anything else, or more events than half of this
        machine's memory holds, is a :class:`~evface.errors.ParameterError` naming ``n`` (was
        NumPy's error on a shape: ``empty_events(-1)`` "negative dimensions are not allowed",
        ``empty_events((0, 0))`` a 2-D array).

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The values are undefined unless ``n == 0``; fill every field before use.

    Examples
    --------
    >>> ev = empty_events(3)
    >>> ev.shape, ev.dtype.names
    ((3,), ('t', 'x', 'y', 'p'))
    >>> empty_events().size
    0
    >>> empty_events(-1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n must be >= 0, got -1
    """
    n = as_int("n", n, 0)
    within_memory(n * EVENT_DTYPE.itemsize, f"{n} events", "give a smaller n")
    return np.zeros(n, dtype=EVENT_DTYPE) if n == 0 else np.empty(n, dtype=EVENT_DTYPE)


def make_events(
    t: Sequence[int] | np.ndarray,
    x: Sequence[int] | np.ndarray,
    y: Sequence[int] | np.ndarray,
    p: Sequence[int] | np.ndarray,
    sensor_size: SensorSize | None = None,
    *,
    source: str | None = None,
) -> np.ndarray:
    """Build a validated events array from four columns.

    Polarity may be given as {-1, +1} or {0, 1} (0 means OFF); booleans are accepted and mapped
    the same way. Events are checked to be sorted; coordinates are checked against
    ``sensor_size`` when it is given.

    Parameters
    ----------
    t, x, y, p : array_like
        Timestamps in µs, column, row and polarity.
    sensor_size : (width, height), optional
        When given, every coordinate must lie inside it.
    source : str, optional
        Named in error messages (usually the file the columns came from).

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A new array holding the four columns, polarity as -1/+1.

    Examples
    --------
    >>> ev = make_events([0, 5], [1, 2], [3, 4], [1, 0])
    >>> ev["p"].tolist()
    [1, -1]

    The polarity column is read as a whole: {0, 1} (0 is OFF), {-1, +1} or bool; a column of
    only 1 is ON either way, a column of only 0 is OFF. Any other value, or a mix of the two
    encodings, is refused rather than guessed:

    >>> [make_events([0, 1], [0, 0], [0, 0], p)["p"].tolist() for p in ([0, 0], [1, 1], [-1, 1], [True, False])]
    [[-1, -1], [1, 1], [-1, 1], [1, -1]]
    >>> make_events([0, 1, 2], [0, 0, 0], [0, 0, 0], [-1, 0, 1])
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: polarity values [-1, 0, 1] are neither {-1,+1} nor {0,1}
    """
    given = {"t": t, "x": x, "y": y}
    t = np.asarray(t)
    columns = {"x": np.asarray(x), "y": np.asarray(y), "p": np.asarray(p)}
    if t.ndim != 1:
        raise EventsError(where(source, f"column 't' must be 1-D, got shape {t.shape}"))
    for name, col in columns.items():
        if col.shape != t.shape:
            raise EventsError(where(source, f"column {name!r} has shape {col.shape}, expected {t.shape} like 't'"))
    every = {"t": t, **columns}
    for name, values in given.items():
        span = _python_int_span(values) if every[name].dtype.kind in "fO" else None
        if span is not None:  # exact, where NumPy made the ints float64 (rounded) or objects
            _check_range(name, *span, source)
    for name, col in every.items():
        if not real_dtype(col.dtype):
            raise EventsError(where(source, f"column {name!r} must hold real numbers, got dtype {col.dtype}"))
        if name != "p" and col.size and not np.issubdtype(col.dtype, np.integer):
            if not np.all(np.isfinite(col)) or np.any(col != np.round(col)):
                raise EventsError(where(source, "timestamps must be whole microseconds" if name == "t"
                                        else f"{name} must hold whole pixels"))
    for name in COLUMN_RANGES:
        if every[name].size:
            _check_range(name, int(every[name].min()), int(every[name].max()), source)  # int(): exact for uint64 and float
    events = empty_events(t.size)
    events["t"] = t
    events["x"] = columns["x"]
    events["y"] = columns["y"]
    events["p"] = polarity_to_signed(columns["p"], source=source)
    validate_events(events, sensor_size, source=source)
    return events


COLUMN_RANGES = {"t": INT64, "x": (0, 65535), "y": (0, 65535)}
"""The values an events array can hold in each of its integer columns."""


def _check_range(name: str, lowest: int, highest: int, source: str | None) -> None:
    """An EventsError naming ``source`` unless a column whose values span ``lowest..highest`` fits
    :data:`COLUMN_RANGES`."""
    low, high = COLUMN_RANGES[name]
    if not low <= lowest <= highest <= high:
        raise EventsError(where(source, f"{name} outside {low}..{high}" if name != "t" else
                                f"timestamps outside the int64 range of µs ({lowest}..{highest})"))


def _python_int_span(values: object) -> tuple[int, int] | None:
    """``(min, max)`` of ``values`` when it is a sequence of integers (not an array), exactly; else None.

    NumPy makes a list holding an int past 2^63 - 1 and a negative one float64 (rounding it: 2^63
    + 5 read 2^63) and one past 2^64 - 1 an array of objects; the span is read from the ints given.

    Examples
    --------
    >>> _python_int_span([0, 2**63 + 5, -1]), _python_int_span([0, 1.5]), _python_int_span(np.array([0, 1]))
    ((-1, 9223372036854775813), None, None)
    """
    if isinstance(values, np.ndarray) or not isinstance(values, Sequence) or not values:
        return None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return None
    return int(min(values)), int(max(values))


def polarity_to_signed(p: np.ndarray, *, source: str | None = None) -> np.ndarray:
    """Map polarity given as bool, {0, 1} or {-1, +1} to int8 {-1, +1}.

    Parameters
    ----------
    p : array_like
        Polarities as bool, {0, 1} (0 is OFF) or {-1, +1}, read as a whole.
    source : str, optional
        Named in the error message (usually the file the column came from).

    Returns
    -------
    p : ndarray of int8
        -1 for OFF, +1 for ON.

    Raises
    ------
    EventsError
        On values of neither encoding, or a mix of the two.

    Examples
    --------
    >>> polarity_to_signed(np.array([True, False])).tolist()
    [1, -1]
    """
    p = np.asarray(p)
    if p.dtype == bool:
        return np.where(p, 1, -1).astype(np.int8)
    values = np.unique(p)
    if np.all(np.isin(values, (-1, 1))):
        return p.astype(np.int8)
    if np.all(np.isin(values, (0, 1))):
        return (2 * p.astype(np.int8) - 1).astype(np.int8)
    raise EventsError(where(source, f"polarity values {values[:5].tolist()} are neither {{-1,+1}} nor {{0,1}}"))


def validate_events(
    events: np.ndarray, sensor_size: SensorSize | None = None, *, source: str | None = None
) -> np.ndarray:
    """Check that ``events`` follows the data model and return it unchanged.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The array to check.
    sensor_size : (width, height), optional
        When given, every coordinate must lie inside it.
    source : str, optional
        Named in error messages.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The same array.

    Raises
    ------
    EventsError
        On a wrong dtype, unsorted timestamps, a polarity outside {-1, +1} or (with
        ``sensor_size``) a coordinate outside the sensor. The message names ``source``.

    Examples
    --------
    >>> ev = make_events([0, 5], [1, 7], [0, 0], [1, -1])
    >>> validate_events(ev, (8, 1)) is ev
    True
    >>> validate_events(ev, (4, 4), source="clip.raw")
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: clip.raw: coordinates outside the 4x4 sensor (max x=7, max y=0)
    """
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE:
        got = getattr(events, "dtype", type(events).__name__)
        raise EventsError(where(source, f"events must have dtype {EVENT_DTYPE}, got {got}{_remake_hint(events)}"))
    if events.ndim != 1:
        raise EventsError(where(source, f"events must be 1-D, got shape {events.shape}"))
    if events.size == 0:
        return events
    t = events["t"]
    bad = np.flatnonzero(t[1:] < t[:-1])
    if bad.size:
        i = int(bad[0])
        raise EventsError(where(source, f"timestamps not sorted: t[{i + 1}]={t[i + 1]} < t[{i}]={t[i]}"))
    p = events["p"]
    if np.any((p != 1) & (p != -1)):
        raise EventsError(where(source, "polarity must be -1 or +1"))
    if sensor_size is not None:
        width, height = sensor_dims(sensor_size)
        if int(events["x"].max()) >= width or int(events["y"].max()) >= height:
            raise EventsError(
                where(
                    source,
                    f"coordinates outside the {width}x{height} sensor "
                    f"(max x={int(events['x'].max())}, max y={int(events['y'].max())})",
                )
            )
    return events


def check_array(events: object) -> None:
    """An EventsError unless ``events`` is a 1-D array of :data:`EVENT_DTYPE` (checks no values).

    Parameters
    ----------
    events : object
        The value to check.

    Examples
    --------
    >>> check_array(empty_events(2))
    >>> check_array(np.zeros(2))
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: events must be a 1-D array of dtype [('t', '<i8'), ('x', '<u2'), ('y', '<u2'), ('p', 'i1')], got float64
    """
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE or events.ndim != 1:
        got = getattr(events, "dtype", type(events).__name__)
        raise EventsError(f"events must be a 1-D array of dtype {EVENT_DTYPE}, got {got}{_remake_hint(events)}")


def _remake_hint(events: object) -> str:
    """How to build an events array from ``events`` when it is a structured array with the four
    fields in other types, order or company (Tonic's ``x, y, t, p``, big-endian, extra fields:
    ``astype`` would match fields by position); else nothing.

    Examples
    --------
    >>> tonic = np.zeros(2, [("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])
    >>> _remake_hint(tonic), _remake_hint(np.zeros(2))
    ("; make_events(a['t'], a['x'], a['y'], a['p']) builds one from it", '')
    """
    dtype = getattr(events, "dtype", None)
    if dtype == EVENT_DTYPE or not set("txyp") <= set(getattr(dtype, "names", None) or ()):
        return ""
    return "; make_events(a['t'], a['x'], a['y'], a['p']) builds one from it"


def check_stream(events: np.ndarray, sensor: tuple[int, int] = (MAX_SENSOR_SIDE, MAX_SENSOR_SIDE),
                 first: int = 0) -> None:
    """An EventsError naming the first event that is out of time order, lies off the ``(width,
    height)`` sensor (by default any) or has a polarity other than -1/+1 (one compiled scan at
    memory speed).

    The operations and representations run this before their compiled loops, which index
    per-pixel state by coordinate and rely on the time order; :func:`validate_events` is the
    check of a whole array as received, with messages of its own. ``first`` is the index of
    ``events[0]`` in the stream the message numbers events in: a window's start in the array the
    caller gave, or the events written before a chunk (was: numbered within the window or chunk).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The events to scan.
    sensor : tuple of int, optional
        ``(width, height)`` every coordinate must lie inside; by default any sensor.
    first : int, optional
        Index of ``events[0]`` in the stream the message numbers events in.

    Examples
    --------
    >>> ev = make_events([0, 5, 9], [1, 2, 6], [0, 1, 1], [1, 1, -1])
    >>> check_stream(ev)
    >>> check_stream(ev, (4, 4))
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: event 2 at t=9 µs (x=6, y=1) lies outside the 4x4 sensor
    >>> check_stream(ev[1:], (4, 4), first=1)
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: event 2 at t=9 µs (x=6, y=1) lies outside the 4x4 sensor
    >>> ev["p"][1] = 0
    >>> check_stream(ev, first=10)
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: event 11 at t=5 µs (x=2, y=1) has polarity 0, expected -1 or +1
    """
    bad = int(_first_bad(events["t"], events["x"], events["y"], events["p"], sensor[0], sensor[1]))
    if bad < 0:
        return
    t, x, y, p = (events[f][bad].item() for f in "txyp")
    n = first + bad
    if bad > 0 and t < events["t"][bad - 1]:
        raise EventsError(f"timestamps not sorted: t[{n}]={t} < t[{n - 1}]={events['t'][bad - 1]}")
    event = f"event {n} at t={t} µs (x={x}, y={y})"
    if x >= sensor[0] or y >= sensor[1]:
        raise EventsError(f"{event} lies outside the {sensor[0]}x{sensor[1]} sensor")
    raise EventsError(f"{event} has polarity {p}, expected -1 or +1")


@cached_jit(nogil=True)
def _first_bad(t, x, y, p, width, height):
    """Index of the first event that is out of order, off the sensor or of bad polarity; -1 if none.

    Branch-free per chunk so that the scan runs at memory speed; only a bad chunk is rescanned.
    """
    n = t.size
    for start in range(0, n, 4096):
        stop = min(start + 4096, n)
        bad = False
        for i in range(start, stop):
            bad |= (x[i] >= width) | (y[i] >= height) | ((p[i] != 1) & (p[i] != -1))
        for i in range(max(start, 1), stop):
            bad |= t[i] < t[i - 1]
        if bad:
            for i in range(start, stop):
                if (x[i] >= width) or (y[i] >= height) or (p[i] != 1 and p[i] != -1) or (i > 0 and t[i] < t[i - 1]):
                    return i
    return -1


def concatenate(chunks: Sequence[np.ndarray], *, sort: bool = False) -> np.ndarray:
    """Join events arrays.

    With ``sort=False`` the chunks must already follow each other in time (checked); with
    ``sort=True`` the result is merged by a stable sort on ``t``.

    Parameters
    ----------
    chunks : sequence of ndarray of EVENT_DTYPE
        The arrays to join, in order (a list, even of one array).
    sort : bool, optional
        Merge the chunks by time instead of requiring them to follow each other.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A new array in time order (empty for no chunks).

    Examples
    --------
    >>> a = make_events([0, 2], [0, 0], [0, 0], [1, 1])
    >>> b = make_events([1, 3], [1, 1], [1, 1], [-1, -1])
    >>> concatenate([a, b], sort=True)["t"].tolist()
    [0, 1, 2, 3]
    """
    sort = as_flag("sort", sort)
    if isinstance(chunks, np.ndarray) or not isinstance(chunks, Sequence):
        raise EventsError(f"chunks must be a list of events arrays, got {type(chunks).__name__}"
                          + (" (one events array: put it in a list)" if isinstance(chunks, np.ndarray) else ""))
    for chunk in chunks:
        check_array(chunk)
    chunks = [c for c in chunks if c.size] or [empty_events()]
    out = np.concatenate(chunks)
    if sort:
        out = out[np.argsort(out["t"], kind="stable")]
    return validate_events(out)


def time_window(t_start_us: object, t_end_us: object, end: str = "t_end_us") -> tuple[int | None, int | None]:
    """The window bounds as ints (``None``: an open side).

    A bound that is no whole number (``nan``, a string, ``5.5``) or a window that ends before it
    starts (swapped bounds) is a :class:`~evface.errors.ParameterError` naming both; ``end`` is
    the end's name in the message. An empty window (equal bounds) is taken.

    Parameters
    ----------
    t_start_us, t_end_us : int or None
        The bounds in µs (a whole float is taken); ``None`` leaves that side open.
    end : str, optional
        The end's name in error messages.

    Returns
    -------
    tuple of (int or None)
        ``(t_start_us, t_end_us)`` as ints, ``None`` where a side is open.

    Examples
    --------
    >>> time_window(1000.0, None)
    (1000, None)
    >>> time_window(30, 10)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: t_end_us (10) must be >= t_start_us (30)
    """
    t0 = None if t_start_us is None else as_int("t_start_us", t_start_us)
    t1 = None if t_end_us is None else as_int(end, t_end_us)
    if t0 is not None and t1 is not None and t1 < t0:
        raise ParameterError(f"{end} ({t1}) must be >= t_start_us ({t0})")
    return t0, t1


ORDER_PROBES = 1024
"""How many evenly spaced events :func:`check_probed_order` compares before a binary search."""


def check_probed_order(t: np.ndarray) -> None:
    """An EventsError when :data:`ORDER_PROBES` evenly spaced times of ``t`` (the first and the
    last among them) are out of order.

    A window found by binary search (:func:`time_slice`, the representations) needs the times
    sorted, as :func:`make_events`, :func:`validate_events`, :func:`concatenate` and every reader
    give them; an array made otherwise (``np.concatenate`` of two streams, a reversed or shuffled
    one) would be cut wrongly, silently. The probes cost a few µs whatever the length (checking
    every event: 1.4 to 1.8 ms per million, docs/representations.md); disorder between two probes is not seen.

    Parameters
    ----------
    t : ndarray of int64
        Timestamps, such as the ``t`` column of an events array.

    Examples
    --------
    >>> ev = make_events([0, 10, 20, 30], [0] * 4, [0] * 4, [1] * 4)
    >>> check_probed_order(ev["t"])
    >>> check_probed_order(np.concatenate([ev, ev])["t"])
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: timestamps not sorted: t[4]=0 < t[3]=30; a time window is found by binary search, which needs them sorted (concatenate(chunks, sort=True) sorts them)
    """
    if t.size < 2:
        return
    step = max(1, (t.size - 1) // (ORDER_PROBES - 1))
    probes = np.append(t[::step], t[-1])  # a slice: no copy of the strided column
    bad = np.flatnonzero(probes[1:] < probes[:-1])
    if bad.size:
        i, j = int(bad[0]) * step, min((int(bad[0]) + 1) * step, t.size - 1)
        raise EventsError(f"timestamps not sorted: t[{j}]={t[j]} < t[{i}]={t[i]}; a time window is found by "
                          "binary search, which needs them sorted (concatenate(chunks, sort=True) sorts them)")


def time_slice(events: np.ndarray, t_start_us: int | None, t_end_us: int | None) -> slice:
    """Index range of the events with ``t_start_us <= t < t_end_us``, by binary search.

    ``None`` leaves that side open; bounds are checked by :func:`time_window`, and the order of
    the times by :func:`check_probed_order` (an EventsError where the probes are out of order).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    t_start_us, t_end_us : int or None
        The window; ``None`` leaves that side open.

    Returns
    -------
    slice
        Positions of the events inside the window.

    Examples
    --------
    >>> ev = make_events([0, 10, 20, 30], [0] * 4, [0] * 4, [1] * 4)
    >>> time_slice(ev, 5, 25)
    slice(1, 3, None)
    >>> time_slice(ev, None, 10)
    slice(0, 1, None)
    """
    check_array(events)
    t0, t1 = time_window(t_start_us, t_end_us)
    t = events["t"]
    check_probed_order(t)
    lo = 0 if t0 is None else search_time(t, t0)
    hi = t.size if t1 is None else search_time(t, t1)
    return slice(lo, max(lo, hi))


def search_time(t: np.ndarray, t_us: int, side: str = "left") -> int:
    """``np.searchsorted(t, t_us, side)`` without copying a strided column.

    ``events["t"]`` is a strided view of the packed records, which ``np.searchsorted`` would
    first copy whole (O(n)); a bisection over the view reads only O(log n) elements.

    Parameters
    ----------
    t : ndarray of int64
        Sorted timestamps, such as the ``t`` column of an events array.
    t_us : int
        The time to look for.
    side : {'left', 'right'}, optional
        ``'left'``: the first position with ``t >= t_us``; ``'right'``: the first with ``t > t_us``.

    Returns
    -------
    int
        The position where ``t_us`` would be inserted to keep ``t`` sorted.

    Examples
    --------
    >>> ev = make_events([0, 10, 10, 30], [0] * 4, [0] * 4, [1] * 4)
    >>> search_time(ev["t"], 10), search_time(ev["t"], 10, side="right")
    (1, 3)
    >>> search_time(ev["t"], 10, side="up")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: side must be 'left' or 'right', got 'up'
    """
    if side not in ("left", "right"):  # a strided column was searched as 'left', a contiguous one NumPy's ValueError
        raise ParameterError(f"side must be 'left' or 'right', got {side!r}")
    if t.flags.c_contiguous:
        return int(np.searchsorted(t, t_us, side="right" if side == "right" else "left"))
    bisect_fn = bisect.bisect_right if side == "right" else bisect.bisect_left
    return bisect_fn(t, t_us)


def slice_time(events: np.ndarray, t_start_us: int | None = None, t_end_us: int | None = None) -> np.ndarray:
    """Events with ``t_start_us <= t < t_end_us``, as a view (no copy), by binary search.

    A window that ends before it starts is a ParameterError, as in the representations; events
    out of time order (``np.concatenate`` of two streams) an EventsError where
    :func:`check_probed_order` sees it.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    t_start_us, t_end_us : int, optional
        The half-open window in µs; ``None`` (the default) leaves that side open.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A view of the events inside the window.

    Examples
    --------
    >>> ev = make_events([0, 10, 20, 30], [0] * 4, [0] * 4, [1] * 4)
    >>> slice_time(ev, 10, 30)["t"].tolist()
    [10, 20]
    """
    return events[time_slice(events, t_start_us, t_end_us)]


def duration_us(events: np.ndarray) -> int:
    """Time between the first and the last event (0 for fewer than two events).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.

    Returns
    -------
    int
        ``t[-1] - t[0]`` in µs, as a Python int.

    Examples
    --------
    >>> duration_us(make_events([100, 250, 1100], [0] * 3, [0] * 3, [1] * 3))
    1000
    >>> duration_us(empty_events())
    0
    """
    check_array(events)
    return int(events["t"][-1]) - int(events["t"][0]) if events.size > 1 else 0  # Python ints: no int64 wrap
