"""Pure operations on events arrays: crop, flips, resampling, filters.

Each takes an events array (see :mod:`evface.events.core`) and explicit geometry, and returns a
new array (or a view where noted). Filters that need per-pixel state run as compiled loops
(numba), never as a per-event Python loop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evface.checks import INT64, MAX_SENSOR_SIDE, as_int, as_real, sensor_dims, within_memory
from evface.errors import EventsError, ParameterError
from evface.events.core import EVENT_DTYPE, SensorSize, check_array, check_stream, empty_events
from evface.kernel_cache import cached_jit

Roi = tuple[int, int, int, int]
"""A window ``(x0, y0, width, height)`` on a sensor array."""

NOISE_BYTES_PER_EVENT = 4 * EVENT_DTYPE.itemsize + 8
"""Bytes :func:`add_uniform_noise` holds per event of its result: the noise, the joined and the
sorted arrays, the noise's draws and the sort's indices."""


def _check_on_sensor(events: np.ndarray, sensor_size: SensorSize) -> tuple[int, int]:
    """``(width, height)``; EventsError unless ``events`` is an events array in time order, with
    polarity -1/+1 and every event on the sensor (ParameterError for a bad size).

    The compiled filters index per-pixel state by coordinate and keep each pixel's last time, so an
    event off the sensor would write outside that state and an unsorted stream would be filtered
    wrongly without a word; flips and shifts would wrap or move a coordinate onto the sensor.
    """
    check_array(events)
    width, height = sensor_dims(sensor_size)
    check_stream(events, (width, height))
    return width, height


def crop(events: np.ndarray, roi: Roi) -> np.ndarray:
    """Keep the events inside ``roi`` and shift them to its origin.

    The result lives on a ``(roi width, roi height)`` sensor, like a hardware ROI readout.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The events.
    roi : tuple of int
        ``(x0, y0, width, height)`` of the window, in pixels.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A copy of the events inside the window, their coordinates relative to ``(x0, y0)``.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [5, 50], [5, 50], [1, -1])
    >>> crop(ev, (4, 4, 10, 10))[["x", "y"]].tolist()
    [(1, 1)]
    """
    try:
        x0, y0, w, h = roi
    except (TypeError, ValueError):
        raise ParameterError(f"ROI must be (x0, y0, width, height), got {roi!r}") from None
    check_array(events)
    x0, y0 = (as_int(f"ROI {n}", v, 0, MAX_SENSOR_SIDE - 1) for n, v in (("x0", x0), ("y0", y0)))
    w, h = (as_int(f"ROI {n}", v, 1, MAX_SENSOR_SIDE) for n, v in (("width", w), ("height", h)))
    x = events["x"].astype(np.int32)
    y = events["y"].astype(np.int32)
    keep = (x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)
    out = np.compress(keep, events)
    out["x"] -= x0
    out["y"] -= y0
    return out


def flip_lr(events: np.ndarray, sensor_size: SensorSize) -> np.ndarray:
    """Mirror left-right: ``x -> width - 1 - x``.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the events lie on.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A mirrored copy.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [0, 3], [1, 2], [1, -1])
    >>> flip_lr(ev, (10, 4))[["x", "y"]].tolist()
    [(9, 1), (6, 2)]
    """
    width = _check_on_sensor(events, sensor_size)[0]
    out = events.copy()
    out["x"] = width - 1 - events["x"]
    return out


def flip_ud(events: np.ndarray, sensor_size: SensorSize) -> np.ndarray:
    """Mirror up-down: ``y -> height - 1 - y``.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the events lie on.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A mirrored copy.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [0, 3], [1, 2], [1, -1])
    >>> flip_ud(ev, (10, 4))[["x", "y"]].tolist()
    [(0, 2), (3, 1)]
    """
    height = _check_on_sensor(events, sensor_size)[1]
    out = events.copy()
    out["y"] = height - 1 - events["y"]
    return out


def flip_polarity(events: np.ndarray) -> np.ndarray:
    """Swap ON and OFF events.

    The events are checked as the other operations check them (:func:`check_stream`): an array
    filled by hand with polarity {0, 1} is an EventsError (was: OFF events 0 kept, ON events
    made OFF, silently; :func:`~evface.events.core.make_events` maps {0, 1} to {-1, +1}).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events with polarity -1/+1.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A copy with every polarity negated.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1, 2], [0, 0, 0], [0, 0, 0], [1, -1, 1])
    >>> flip_polarity(ev)["p"].tolist()
    [-1, 1, -1]
    >>> ev["p"] = [0, 1, 0]
    >>> flip_polarity(ev)
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: event 0 at t=0 µs (x=0, y=0) has polarity 0, expected -1 or +1
    """
    check_array(events)
    check_stream(events)
    out = events.copy()
    out["p"] = -events["p"]
    return out


def shift(events: np.ndarray, dx: int, dy: int, sensor_size: SensorSize) -> np.ndarray:
    """Translate by ``(dx, dy)`` pixels, dropping events that leave the sensor.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    dx, dy : int
        Pixels to move right and down (negative: left and up).
    sensor_size : (width, height)
        The sensor the events lie on, before and after the move.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The moved events that stay on the sensor.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [1, 8], [0, 0], [1, 1])
    >>> shift(ev, 2, 3, (10, 4))[["t", "x", "y"]].tolist()
    [(0, 3, 3)]
    """
    width, height = _check_on_sensor(events, sensor_size)
    dx, dy = as_int("dx", dx), as_int("dy", dy)
    x = events["x"].astype(np.int64) + max(-MAX_SENSOR_SIDE, min(dx, MAX_SENSOR_SIDE))  # farther leaves any sensor
    y = events["y"].astype(np.int64) + max(-MAX_SENSOR_SIDE, min(dy, MAX_SENSOR_SIDE))
    keep = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    out = np.compress(keep, events)
    out["x"] = np.compress(keep, x)
    out["y"] = np.compress(keep, y)
    return out


def resample_sensor(events: np.ndarray, src_size: SensorSize, dst_size: SensorSize) -> np.ndarray:
    """See a stream through a smaller (or larger) pixel grid covering the same field of view.

    Each event is mapped to the destination pixel that contains its source pixel centre;
    timestamps and polarities are kept, so several source events may land on one destination
    pixel (as a coarser sensor would sum the same light). For example a 1280x720 stream seen as
    346x260.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the source sensor.
    src_size : (width, height)
        The sensor the events lie on.
    dst_size : (width, height)
        The pixel grid to map them to.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        A copy on the destination grid, with the same times, polarities and order.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0], [1279], [719], [1])
    >>> resample_sensor(ev, (1280, 720), (346, 260))[["x", "y"]].tolist()
    [(345, 259)]
    """
    src_w, src_h = _check_on_sensor(events, src_size)
    dst_w, dst_h = sensor_dims(dst_size, "dst_size")
    out = events.copy()
    out["x"] = np.minimum(((events["x"] + 0.5) * (dst_w / src_w)).astype(np.int64), dst_w - 1)
    out["y"] = np.minimum(((events["y"] + 0.5) * (dst_h / src_h)).astype(np.int64), dst_h - 1)
    return out


def _time_state(events: np.ndarray, n_cells: int, what: str) -> tuple[np.ndarray, int]:
    """Per-pixel "last time" state for the filters, as times relative to the first event, and the
    value that marks a pixel that has not fired ("never", the dtype's minimum).

    int32 halves the state (3.7 MB at 1280x720), which keeps the random per-pixel reads in cache
    and runs ~2x faster; int64 is used when the stream spans 2^31 µs (36 min) or more. "Never" is
    tested as such in the compiled loops, never subtracted: as a time far in the past it was
    reached by windows from 2^62 µs and overflowed after gaps of 2^62 µs, keeping or dropping
    events without a word. A stream spanning more than 2^63 - 1 µs, whose times between events
    int64 cannot hold, is an EventsError. A state larger than half of the machine's memory is a
    ParameterError naming ``what`` (16 GiB at 65536x65536 was allocated and filled before).
    """
    first, last = int(events["t"][0]), int(events["t"][-1])
    if last - first > INT64[1]:
        raise EventsError(f"events from t={first} to t={last} µs span more than 2^63 - 1 µs, which the "
                          "filters' times between events cannot hold; filter each part of the stream apart")
    dtype = np.int32 if last - first < 2**31 else np.int64
    within_memory(n_cells * np.dtype(dtype).itemsize, what,
                  "give a smaller sensor_size (crop or resample_sensor the events first)")
    never = int(np.iinfo(dtype).min)
    return np.full(n_cells, never, dtype=dtype), never


def _kept_by(mask: Callable[..., np.ndarray], events: np.ndarray, width: int, window_us: int, n_cells: int,
             what: str) -> np.ndarray:
    """The events that the compiled filter ``mask`` keeps, given the sensor's ``width``, its time
    ``window_us`` and a "last time" state of ``n_cells`` cells (:func:`_time_state`, ``what`` naming it
    when it would not fit in memory); a copy of ``events`` when there are none."""
    if events.size == 0:
        return events.copy()
    last, never = _time_state(events, n_cells, what)
    return np.compress(mask(events["t"], events["x"], events["y"], width, window_us, last, never), events)


@cached_jit(nogil=True)
def _refractory_mask(t, x, y, width, period_us, last, never):
    keep = np.empty(t.size, dtype=np.bool_)
    t0 = t[0]
    for i in range(t.size):
        ti = t[i] - t0
        k = np.int64(y[i]) * width + np.int64(x[i])
        ok = last[k] == never or ti - last[k] >= period_us
        keep[i] = ok
        if ok:
            last[k] = ti
    return keep


def refractory_filter(events: np.ndarray, sensor_size: SensorSize, period_us: int) -> np.ndarray:
    """Drop every event that follows the last kept event of its pixel by less than ``period_us``.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the events lie on.
    period_us : int
        Dead time (µs, >= 0) of a pixel after each of its kept events.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The kept events, in their order.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 50, 120], [0, 0, 0], [0, 0, 0], [1, 1, 1])
    >>> refractory_filter(ev, (1, 1), 100)["t"].tolist()
    [0, 120]
    """
    period_us = as_int("refractory period_us", period_us, 0)
    width, height = _check_on_sensor(events, sensor_size)
    return _kept_by(_refractory_mask, events, width, period_us, width * height,
                    f"the refractory filter's last times on a {width}x{height} sensor_size")


@cached_jit(nogil=True)
def _background_activity_mask(t, x, y, width, dt_us, last, never):
    # last: each pixel's own latest time (never: none yet), on a grid padded by one pixel all
    # round so that the 3x3 neighbourhood needs no bounds checks. An event is kept when the latest
    # of its eight neighbours (not itself) fired at most dt_us before it.
    stride = width + 2
    keep = np.empty(t.size, dtype=np.bool_)
    t0 = t[0]
    for i in range(t.size):
        ti = t[i] - t0
        k = (np.int64(y[i]) + 1) * stride + np.int64(x[i]) + 1
        a = k - stride
        c = k + stride
        m = max(
            max(max(last[a - 1], last[a]), max(last[a + 1], last[k - 1])),
            max(max(last[k + 1], last[c - 1]), max(last[c], last[c + 1])),
        )
        keep[i] = m != never and ti - m <= dt_us
        last[k] = ti
    return keep


def background_activity_filter(events: np.ndarray, sensor_size: SensorSize, dt_us: int) -> np.ndarray:
    """Keep an event only when a neighbouring pixel fired within the previous ``dt_us``.

    This is the classic background-activity (nearest-neighbour correlation) denoiser of
    Delbruck (2008): isolated events, typically leak and shot noise, are removed while events of
    moving edges, which always have active neighbours, are kept.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the events lie on.
    dt_us : int
        How recently (µs) one of the eight neighbours must have fired.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The supported events.

    Examples
    --------
    The event at (1, 1) follows its neighbour at (0, 1) within 100 µs and is kept; the lone
    event at (5, 3) and the first event (no neighbour before it) are dropped.

    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 40, 60], [0, 1, 5], [1, 1, 3], [1, 1, 1])
    >>> background_activity_filter(ev, (8, 4), 100)[["t", "x", "y"]].tolist()
    [(40, 1, 1)]
    """
    dt_us = as_int("background-activity window dt_us", dt_us, 1)
    width, height = _check_on_sensor(events, sensor_size)
    return _kept_by(_background_activity_mask, events, width, dt_us, (width + 2) * (height + 2),
                    f"the background-activity filter's last times on a {width}x{height} sensor_size")


@cached_jit(nogil=True)
def _anti_flicker_mask(t, x, y, p, block, n_bx, min_period, max_period, diff_us, filter_length,
                       last, last_p, start, period, count, never):
    # Per cell (a pixel, or a block x block square of pixels): its last time and polarity, when its
    # latest burst of each polarity began (start[2k] OFF, start[2k + 1] ON), the last period
    # measured in the band (never: none) and how many periods in a row lay in the band, each within
    # diff_us of the one before (at most filter_length). A burst begins at a change of polarity, or
    # after a silence longer than max_period; its period is the time since the cell's last burst of
    # the same polarity began. The cell flickers while count == filter_length: its events are dropped.
    keep = np.empty(t.size, dtype=np.bool_)
    t0 = t[0]
    for i in range(t.size):
        ti = t[i] - t0
        k = (np.int64(y[i]) // block) * n_bx + np.int64(x[i]) // block
        s = 2 * k + (1 if p[i] > 0 else 0)
        if last_p[k] != p[i] or last[k] == never or ti - last[k] > max_period:
            if start[s] != never:
                pi = ti - start[s]
                if min_period <= pi <= max_period:
                    if period[k] != never and abs(pi - period[k]) <= diff_us:
                        count[k] = min(count[k] + 1, filter_length)
                    else:
                        count[k] = 1
                    period[k] = pi
                else:
                    count[k] = 0
                    period[k] = never
            start[s] = ti
        last[k] = ti
        last_p[k] = p[i]
        keep[i] = count[k] < filter_length
    return keep


def anti_flicker_filter(events: np.ndarray, sensor_size: SensorSize, min_freq: float = 50.0,
                        max_freq: float = 500.0, filter_length: int = 7, diff_thresh_us: int = 1500,
                        block_size: int = 1) -> np.ndarray:
    """Drop the events of pixels (or blocks of pixels) that flicker at a frequency in ``[min_freq, max_freq]``.

    A lamp on AC mains makes every pixel it lights fire bursts of ON and OFF events at twice the
    mains frequency (100 Hz on 50 Hz grids). As Metavision SDK's ``AntiFlickerAlgorithm`` does, each
    pixel's events are cut into bursts (a burst begins where the polarity changes, or after a
    silence longer than ``1 / min_freq``), and the time from one burst's start to the next burst of
    the same polarity is the pixel's period. A pixel flickers once ``filter_length`` periods in a
    row lie in ``[1 / max_freq, 1 / min_freq]`` and each is within ``diff_thresh_us`` of the one
    before; its events are dropped from then on, until a period outside the band or unlike the one
    before. The filter is causal, as the camera's is: the first ``filter_length`` periods of a
    flickering pixel (70 ms at 100 Hz with the defaults) pass. A pixel that does not flicker keeps
    every event. With ``block_size`` 4 the periods are measured on 4 x 4 squares of pixels, as the
    IMX636's anti-flicker block (AFK) does; 1 (the default) measures each pixel, as the SDK does.
    Motion that is periodic in the band (a vibrating object) is flicker to this filter too.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the events lie on.
    min_freq, max_freq : float, optional
        The band of flicker frequencies to remove, in Hz, ``0 < min_freq < max_freq``; 50-500 Hz by
        default, the AFK's band.
    filter_length : int, optional
        How many periods in a row (1 to 255) must agree before a pixel counts as flickering; 7 by
        default, the SDK's.
    diff_thresh_us : int, optional
        How far (µs, >= 0) a period may differ from the one before and still agree; 1500 by
        default, the SDK's.
    block_size : int, optional
        The side of the square of pixels whose events are measured together (1: each pixel).

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The kept events, in their order.

    Examples
    --------
    Pixel 0 flickers at 100 Hz (ON every 10 ms, OFF 5 ms after each): its events pass until its
    third period in a row of 10 ms, at 20 ms, and are dropped from then on. Pixel 1 sees an edge
    pass (one ON and one OFF event) and keeps both.

    >>> from evface.events.core import concatenate, make_events
    >>> t = np.arange(0, 100_000, 5_000)
    >>> flicker = make_events(t, np.zeros(t.size), np.zeros(t.size), np.where(t % 10_000, -1, 1))
    >>> edge = make_events([42_000, 47_000], [1, 1], [0, 0], [1, -1])
    >>> kept = anti_flicker_filter(concatenate([flicker, edge], sort=True), (2, 1), filter_length=3)
    >>> kept[kept["x"] == 0]["t"].tolist(), kept[kept["x"] == 1]["t"].tolist()
    ([0, 5000, 10000, 15000], [42000, 47000])
    >>> anti_flicker_filter(flicker, (2, 1), min_freq=200.0, max_freq=100.0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: anti-flicker min_freq must be below max_freq (100 Hz), got 200.0
    """
    min_freq = as_real("anti-flicker min_freq", min_freq, 0.0, 1e6, low_open=True)
    max_freq = as_real("anti-flicker max_freq", max_freq, 0.0, 1e6, low_open=True)
    if min_freq >= max_freq:
        raise ParameterError(f"anti-flicker min_freq must be below max_freq ({max_freq:g} Hz), got {min_freq!r}")
    filter_length = as_int("anti-flicker filter_length", filter_length, 1, 255)
    diff_thresh_us = as_int("anti-flicker diff_thresh_us", diff_thresh_us, 0)
    block_size = as_int("anti-flicker block_size", block_size, 1, MAX_SENSOR_SIDE)
    width, height = _check_on_sensor(events, sensor_size)
    if events.size == 0:
        return events.copy()
    n_bx, n_by = -(-width // block_size), -(-height // block_size)
    n_cells = n_bx * n_by
    state, never = _time_state(events, 4 * n_cells,
                               f"the anti-flicker filter's times on a {width}x{height} sensor_size")
    last, start, period = state[:n_cells], state[n_cells:3 * n_cells], state[3 * n_cells:]
    keep = _anti_flicker_mask(events["t"], events["x"], events["y"], events["p"], block_size, n_bx,
                              1e6 / max_freq, 1e6 / min_freq, diff_thresh_us, filter_length, last,
                              np.zeros(n_cells, np.int8), start, period, np.zeros(n_cells, np.uint8), never)
    return np.compress(keep, events)


def drop_random(events: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Drop each event independently with probability ``fraction`` (event-drop augmentation).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The events.
    fraction : float
        Probability in [0, 1] that an event is dropped.
    rng : numpy.random.Generator
        Source of the draws.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The kept events, in their order.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events(np.arange(1000), np.zeros(1000), np.zeros(1000), np.ones(1000))
    >>> kept = drop_random(ev, 0.25, np.random.default_rng(0))
    >>> 700 < kept.size < 800, drop_random(ev, 1.0, np.random.default_rng(0)).size
    (True, 0)
    """
    fraction = as_real("drop fraction", fraction, 0.0, 1.0)
    check_array(events)
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {rng!r}")
    return np.compress(rng.random(events.size) >= fraction, events)


def add_uniform_noise(
    events: np.ndarray, sensor_size: SensorSize, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Add ``n`` uniformly distributed noise events over the stream's time span, merged by time.

    An empty stream has no span, so it is returned unchanged.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Sorted events on the sensor.
    sensor_size : (width, height)
        The sensor the noise is spread over.
    n : int
        Number of noise events to add.
    rng : numpy.random.Generator
        Source of the draws.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The events and the noise, sorted by time.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([100, 900], [0, 0], [0, 0], [1, 1])
    >>> noisy = add_uniform_noise(ev, (32, 24), 5, np.random.default_rng(0))
    >>> noisy.size, int(noisy["t"].min()), int(noisy["t"].max()), bool(np.all(np.diff(noisy["t"]) >= 0))
    (7, 100, 900, True)
    """
    n = as_int("number of noise events n", n, 0)
    width, height = _check_on_sensor(events, sensor_size)
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {rng!r}")
    if n == 0 or events.size == 0:
        return events.copy()
    within_memory((events.size + n) * NOISE_BYTES_PER_EVENT, f"adding n={n} noise events",
                  "give a smaller n")
    noise = empty_events(n)
    noise["t"] = rng.integers(int(events["t"][0]), int(events["t"][-1]), n, endpoint=True)
    noise["x"] = rng.integers(0, width, n)
    noise["y"] = rng.integers(0, height, n)
    noise["p"] = rng.choice(np.array([-1, 1], dtype=np.int8), n)
    out = np.concatenate([events, noise])
    return out[np.argsort(out["t"], kind="stable")]


__all__ = [
    "EVENT_DTYPE",
    "Roi",
    "add_uniform_noise",
    "anti_flicker_filter",
    "background_activity_filter",
    "crop",
    "drop_random",
    "flip_lr",
    "flip_polarity",
    "flip_ud",
    "refractory_filter",
    "resample_sensor",
    "shift",
]
