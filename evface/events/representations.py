"""Dense representations of an events array: event frames, voxel grid, time surface, count image.

Every function takes the sensor size ``(width, height)`` explicitly and returns a float32 array
whose last two axes are ``(height, width)``. Time windows are **closed**: an event at exactly
``t_end_us`` is kept (in the last bin), so that adjacent windows ``[a, b]``, ``[b, c]`` would
count an event at ``b`` twice; use :func:`evface.events.core.slice_time` (half-open) to split a
stream first when that matters. Events outside the window are ignored and never inspected; the
window is found by binary search, which needs the whole array in time order.

Counts are conserved: the sum of |event frames| and of the count image is the number of events
in the window, and the voxel grid sums to the signed polarity sum (up to float32 rounding).

The per-event loops are compiled with numba (single-threaded). A fast scan first checks that the
events in the window are sorted, carry polarity -1/+1 and lie on the sensor; a violation raises
:class:`~evface.errors.EventsError` rather than giving a silent wrong result (or writing outside
an array). An output larger than half of the machine's memory is a ParameterError naming
``n_bins`` and ``sensor_size``, before anything is allocated.
"""

from __future__ import annotations

import math

import numpy as np

from evface.checks import INT64, as_flag, as_int, as_real, sensor_dims, within_memory
from evface.errors import ParameterError
from evface.events.core import SensorSize, check_array, check_probed_order, check_stream, search_time, time_window
from evface.kernel_cache import cached_jit


def _check_range(t_start_us: object, t_end_us: object) -> tuple[int, int]:
    """Both bounds of a closed window (neither may be ``None``), checked by :func:`time_window`."""
    t0, t1 = as_int("t_start_us", t_start_us), as_int("t_end_us", t_end_us)
    time_window(t0, t1)
    return t0, t1


def _check_bins(n_bins: object) -> int:
    return as_int("n_bins", n_bins, 1, 2**31 - 1)


def _zeros(shape: tuple[int, ...], dtype: type, what: str, binned: bool = False, extra: int = 0) -> np.ndarray:
    """``np.zeros(shape, dtype)``, or a ParameterError naming ``what`` when it and ``extra`` bytes
    more would not fit in memory (advising fewer ``n_bins`` too where the array is ``binned``)."""
    smaller = "a smaller sensor_size (crop or resample_sensor the events first)"
    within_memory(math.prod(shape) * np.dtype(dtype).itemsize + extra, what,
                  f"give fewer n_bins or {smaller}" if binned else f"give {smaller}")
    return np.zeros(shape, dtype)


BIN_START_BYTES = 64
"""Bytes :func:`_bin_starts` holds per bin at its peak (the starts and their integer temporaries)."""


def _bin_starts(t0: int, t1: int, n: int) -> np.ndarray:
    """``t0 + ceil(b * (t1 - t0) / n)`` for ``b`` in ``0 .. n - 1``: the first time of each bin, exact.

    With ``t1 - t0 = q n + r``, ``ceil(b (t1 - t0) / n) = b q + ceil(b r / n)``, where ``b r < n^2
    < 2^62``; the sum lies in ``[t0, t1]`` and is formed modulo 2^64 (uint64), so no step
    overflows whatever the window (a Python loop over the bins took seconds per million bins).

    Examples
    --------
    >>> _bin_starts(0, 10, 3).tolist(), _bin_starts(-(2**63), 2**63 - 1, 2).tolist()
    ([0, 4, 7], [-9223372036854775808, 0])
    """
    q, r = divmod(t1 - t0, n)
    b = np.arange(n, dtype=np.int64)
    ceil_part = -(-(b * r) // n)
    return (np.uint64(t0 % 2**64) + b.astype(np.uint64) * np.uint64(q) + ceil_part.astype(np.uint64)).view(np.int64)


def _window_columns(
    events: np.ndarray, t0: int | None, t1: int | None, sensor: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four columns of the events with ``t0 <= t <= t1`` (``None`` leaves a side open), views,
    after probing the order of the times and checking the window's events (EventsError naming an
    event by its index in ``events``)."""
    t = events["t"]
    check_probed_order(t)
    lo = 0 if t0 is None else search_time(t, t0, "left")
    hi = t.size if t1 is None else search_time(t, t1, "right")
    window = events[lo : max(lo, hi)]
    check_stream(window, sensor, first=lo)
    return window["t"], window["x"], window["y"], window["p"]


@cached_jit(nogil=True)
def _frames_kernel(t, x, y, p, out, bounds, binary):
    # out: (n_bins, 2, H, W). The events are sorted, so the bins fill one after the other. Each
    # bin is counted in a uint8 scratch plane (4x smaller than float32, so it stays in cache
    # under random pixel access) and added to the output when time passes the next bound; a
    # pixel reaching 255 spills into the output at once.
    n_bins, _, height, width = out.shape
    size = 2 * height * width
    flat = out.reshape(n_bins, size)
    scratch = np.zeros(size, dtype=np.uint8)
    b = 0
    dirty = False
    for i in range(t.size):
        while b < n_bins - 1 and t[i] >= bounds[b + 1]:
            if dirty:
                for k in range(size):
                    flat[b, k] += scratch[k]
                scratch[:] = 0
                dirty = False
            b += 1
        k = (height * width if p[i] < 0 else 0) + np.int64(y[i]) * width + np.int64(x[i])
        if binary:
            scratch[k] = 1
        else:
            v = scratch[k] + 1
            if v == 255:
                flat[b, k] += 255.0
                v = 0
            scratch[k] = v
        dirty = True
    if dirty:
        for k in range(size):
            flat[b, k] += scratch[k]


_VOXEL_BANDS = 16
_VOXEL_CHUNK = 1 << 20


@cached_jit(nogil=True)
def _voxel_kernel(t, x, y, p, out, t0, duration):
    # out: (n_bins, H, W). t_norm = (n_bins - 1) * (t - t0) / duration is split between bins
    # floor(t_norm) and floor(t_norm) + 1 with weights 1 - frac and frac.
    # Cache blocking: each chunk of events is first bucketed by band of rows (a stable counting
    # sort, so each pixel still receives its events in time order and the sums are the same as
    # a plain loop's) as (output index, frac) with the polarity in the signs; each band is then
    # accumulated while its rows of the two active planes sit in cache. At 1280x720 the plain
    # loop's two float32 planes (7.4 MB) fit the L3 cache of a quiet machine (where blocking is
    # ~20 % slower) but not of a busy one (where blocking is ~2x faster).
    n_bins, height, width = out.shape
    plane = height * width
    flat = out.ravel()
    band_rows = (height + _VOXEL_BANDS - 1) // _VOXEL_BANDS
    band_of_row = np.arange(height) // band_rows
    size = min(t.size, _VOXEL_CHUNK)
    index = np.empty(size, dtype=np.int64)
    weight = np.empty(size, dtype=np.float32)
    for start in range(0, t.size, _VOXEL_CHUNK):
        stop = min(start + _VOXEL_CHUNK, t.size)
        slot = np.zeros(_VOXEL_BANDS + 1, dtype=np.int64)
        for i in range(start, stop):
            slot[band_of_row[y[i]] + 1] += 1
        for b in range(_VOXEL_BANDS):
            slot[b + 1] += slot[b]
        for i in range(start, stop):
            # one correctly rounded division: exact at both ends and never decreasing in t
            tn = float((t[i] - t0) * (n_bins - 1)) / duration if duration > 0 else float(n_bins - 1)
            left = int(tn)
            if left >= n_bins - 1:
                left = n_bins - 1
                frac = 0.0
            else:
                frac = tn - left
            k = left * plane + np.int64(y[i]) * width + np.int64(x[i])
            b = band_of_row[y[i]]
            j = slot[b]
            slot[b] = j + 1
            index[j] = k if p[i] > 0 else -k - 1
            weight[j] = frac if p[i] > 0 else -frac
        for j in range(stop - start):
            k = index[j]
            sign = np.float32(1.0)
            if k < 0:
                k = -k - 1
                sign = np.float32(-1.0)
            w = weight[j]
            flat[k] += sign - w
            if k < (n_bins - 1) * plane:
                flat[k + plane] += w


@cached_jit(nogil=True)
def _latest_kernel(t, x, y, p, latest):
    # latest: (2, H, W) int64, set to each pixel's latest timestamp per polarity.
    _, height, width = latest.shape
    flat = latest.ravel()
    for i in range(t.size):
        flat[(height * width if p[i] < 0 else 0) + np.int64(y[i]) * width + np.int64(x[i])] = t[i]


@cached_jit(nogil=True)
def _decay_kernel(latest, t_ref, tau, never, out):
    flat_in = latest.ravel()
    flat_out = out.ravel()
    for k in range(flat_in.size):
        age = t_ref - flat_in[k]
        if flat_in[k] != never and age >= 0:  # an age past 2^63 - 1 µs wraps negative; it decays to 0
            flat_out[k] = math.exp(-age / tau)


def _binned_inputs(
    events: np.ndarray, sensor_size: SensorSize, n_bins: object, t_start_us: object, t_end_us: object
) -> tuple[int, int, int, int, int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Validated ``(width, height, n_bins, t0, t1, columns)`` of a time-binned representation."""
    check_array(events)
    width, height = sensor_dims(sensor_size)
    n = _check_bins(n_bins)
    t0, t1 = _check_range(t_start_us, t_end_us)
    cols = _window_columns(events, t0, t1, (width, height))
    return width, height, n, t0, t1, cols

def to_event_frames(
    events: np.ndarray,
    sensor_size: SensorSize,
    n_bins: int,
    t_start_us: int,
    t_end_us: int,
    *,
    binary: bool = False,
) -> np.ndarray:
    """Stack of 2-channel event-count frames over ``n_bins`` equal time bins.

    Bin ``b`` covers ``[t_start + b*D/n, t_start + (b+1)*D/n)`` with ``D = t_end - t_start``;
    the last bin also holds the events at exactly ``t_end_us`` (with ``D == 0`` every event lands
    in the last bin). Bin indices are computed in integer arithmetic, so they never decrease
    with time.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    sensor_size : (width, height)
        The sensor the events lie on.
    n_bins : int
        Number of time bins, >= 1.
    t_start_us, t_end_us : int
        Closed window ``[t_start_us, t_end_us]``; other events are ignored.
    binary : bool
        When true a pixel is 1 if it saw at least one event of that polarity in the bin.

    Returns
    -------
    frames : float32 array, shape (n_bins, 2, height, width)
        Channel 0 counts ON events, channel 1 OFF events.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 5, 10], [0, 1, 1], [0, 0, 0], [1, -1, 1])
    >>> f = to_event_frames(ev, (2, 1), 2, 0, 10)
    >>> f[:, 0].tolist(), f[:, 1].tolist()
    ([[[1.0, 0.0]], [[0.0, 1.0]]], [[[0.0, 0.0]], [[0.0, 1.0]]])
    """
    binary = as_flag("binary", binary)
    width, height, n, t0, t1, cols = _binned_inputs(events, sensor_size, n_bins, t_start_us, t_end_us)
    out = _zeros((n, 2, height, width), np.float32, f"event frames of n_bins {n} on a {width}x{height} sensor_size",
                 binned=True, extra=n * BIN_START_BYTES)
    # bin b starts at t0 + ceil(b * D / n), the first t with floor((t - t0) * n / D) >= b
    bounds = _bin_starts(t0, t1, n)
    _frames_kernel(*cols, out, bounds, binary)
    return out


def to_voxel_grid(
    events: np.ndarray,
    sensor_size: SensorSize,
    n_bins: int,
    t_start_us: int,
    t_end_us: int,
) -> np.ndarray:
    """Voxel grid with bilinear interpolation in time and signed polarity.

    Following E2VID (Rebecq et al. 2019) and EVREAL (Ercan et al. 2023), each event's time is
    normalised to ``t_norm = (n_bins - 1) * (t - t_start_us) / (t_end_us - t_start_us)`` in
    ``[0, n_bins - 1]``, and its polarity ``p`` (-1 or +1) is split between bins
    ``floor(t_norm)`` and ``floor(t_norm) + 1`` with weights ``1 - frac`` and ``frac``. Unlike
    E2VID, which normalises over the first and last event of the window, the window here is the
    explicit ``[t_start_us, t_end_us]`` (closed), so grids of consecutive windows share one time
    axis. With ``n_bins == 1`` or a zero-length window every event lands in one bin with weight 1.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    sensor_size : (width, height)
        The sensor the events lie on.
    n_bins : int
        Number of time bins, >= 1.
    t_start_us, t_end_us : int
        Closed window ``[t_start_us, t_end_us]``; other events are ignored.

    Returns
    -------
    voxels : float32 array, shape (n_bins, height, width)
        Sums to the signed polarity sum of the events in the window.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 5, 10], [0, 0, 0], [0, 0, 0], [1, 1, -1])
    >>> to_voxel_grid(ev, (1, 1), 3, 0, 10)[:, 0, 0].tolist()
    [1.0, 1.0, -1.0]
    """
    width, height, n, t0, t1, cols = _binned_inputs(events, sensor_size, n_bins, t_start_us, t_end_us)
    if (t1 - t0) * max(n - 1, 1) > INT64[1]:  # the kernel's (t - t0) * (n_bins - 1), and t1 - t0, in int64
        product, fewer = ("(t_end_us - t_start_us) * (n_bins - 1)", " or fewer n_bins") if n > 1 else ("t_end_us - t_start_us", "")
        raise ParameterError(f"a voxel grid of n_bins {n} over [{t0}, {t1}] µs: {product} exceeds 2^63 - 1; give a "
                             f"shorter window{fewer}")
    out = _zeros((n, height, width), np.float32, f"a voxel grid of n_bins {n} on a {width}x{height} sensor_size",
                 binned=True)
    _voxel_kernel(*cols, out, t0, t1 - t0)
    return out


def to_time_surface(
    events: np.ndarray,
    sensor_size: SensorSize,
    t_ref_us: int,
    tau_us: float,
    *,
    t_start_us: int | None = None,
) -> np.ndarray:
    """Exponentially decaying time surface at ``t_ref_us`` (Lagorce et al. 2017, HOTS).

    Each pixel and polarity holds ``exp(-(t_ref_us - t_last) / tau_us)`` where ``t_last`` is the
    pixel's latest event of that polarity with ``t_start_us <= t_last <= t_ref_us``; pixels
    without such an event hold 0. An event at exactly ``t_ref_us`` gives 1.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    sensor_size : (width, height)
        The sensor the events lie on.
    t_ref_us : int
        The time the surface is taken at; later events are ignored.
    tau_us : float
        Decay time constant in µs, > 0.
    t_start_us : int, optional
        Earliest event time that counts; by default every event up to ``t_ref_us``.

    Returns
    -------
    surface : float32 array, shape (2, height, width)
        Channel 0 ON, channel 1 OFF; values in [0, 1].

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 100, 200], [0, 1, 1], [0, 0, 0], [1, 1, 1])
    >>> to_time_surface(ev, (2, 1), 100, 100.0)[0].astype(float).round(3).tolist()
    [[0.368, 1.0]]
    """
    check_array(events)
    width, height = sensor_dims(sensor_size)
    t_ref = as_int("t_ref_us", t_ref_us)
    t0 = time_window(t_start_us, t_ref, "t_ref_us")[0]
    tau = as_real("tau_us", tau_us, 0.0, math.inf, low_open=True)
    cols = _window_columns(events, t0, t_ref, (width, height))
    never = np.iinfo(np.int64).min
    latest = _zeros((2, height, width), np.int64, f"a time surface's latest times on a {width}x{height} sensor_size")
    latest[...] = never
    _latest_kernel(*cols, latest)
    out = _zeros((2, height, width), np.float32, f"a time surface on a {width}x{height} sensor_size")
    _decay_kernel(latest, t_ref, tau, never, out)
    return out


def to_count_image(
    events: np.ndarray,
    sensor_size: SensorSize,
    *,
    t_start_us: int | None = None,
    t_end_us: int | None = None,
) -> np.ndarray:
    """Per-pixel event counts, ON and OFF, over all events or the closed window given.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    sensor_size : (width, height)
        The sensor the events lie on.
    t_start_us, t_end_us : int, optional
        Closed window ``[t_start_us, t_end_us]``; ``None`` (the default) leaves that side open.

    Returns
    -------
    counts : float32 array, shape (2, height, width)
        Channel 0 ON, channel 1 OFF; sums to the number of events counted.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1, 2], [0, 0, 1], [0, 0, 0], [1, 1, -1])
    >>> to_count_image(ev, (2, 1)).tolist()
    [[[2.0, 0.0]], [[0.0, 1.0]]]
    """
    check_array(events)
    width, height = sensor_dims(sensor_size)
    t0, t1 = time_window(t_start_us, t_end_us)
    cols = _window_columns(events, t0, t1, (width, height))
    out = _zeros((1, 2, height, width), np.float32, f"a count image on a {width}x{height} sensor_size")
    _frames_kernel(*cols, out, np.zeros(1, dtype=np.int64), False)
    return out[0]


__all__ = ["to_count_image", "to_event_frames", "to_time_surface", "to_voxel_grid"]
