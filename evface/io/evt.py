"""Prophesee EVT 3.0 encoder and EVT 2.1 codec (numba), for what faery 0.7.1 lacks, the byte
walk that finds a truncated Event Stream, and the search of a Prophesee body for a second header.

faery 0.7.1 cannot encode or decode EVT 2.1 (``todo!()`` in its Rust code), and its EVT 3.0
encoder walks long time gaps in steps of 1024 time-high units, which its own decoder (and any
decoder that counts a 24-bit wrap only on a 0xFFF -> 0x000 step) misreads: a stream with a gap
that crosses a wrap comes back 2^24 µs early. Reading EVT 3.0 still goes through faery; these
encoders write streams that faery's decoder and Prophesee's OpenEB both read back exactly.

EVT 3.0 (16-bit little-endian words, type in bits 15..12) as written here: ``TIME_HIGH`` (0x8,
bits 23..12 of t), ``TIME_LOW`` (0x6, bits 11..0), ``ADDR_Y`` (0x0, y) when y changes, and one
``ADDR_X`` (0x2, polarity in bit 11, x) per event; an external trigger edge is an ``EXT_TRIGGER``
word (0xA, trigger input in bits 11..8, edge in bit 0: OpenEB's layout) at its time among the
events. A gap is walked with time-high steps of at most 2047 units that always pass through 0xFFF
before wrapping to 0x000.

EVT 2.1 (64-bit little-endian words, type in bits 63..60): ``EVT_NEG``/``EVT_POS`` (0x0/0x1) with
bits 59..54 = t & 63, bits 53..43 = x & ~31, bits 42..32 = y, bits 31..0 = one valid bit per
pixel x..x+31; ``EVT_TIME_HIGH`` (0x8) with bits 59..32 = (t >> 6) & 0xFFFFFFF (wraps every
2^34 µs; a gap is walked in steps of at most 2^27 units); ``EXT_TRIGGER`` (0xA) with bits 59..54 =
t & 63, bits 44..40 = the trigger input, bit 32 = the edge. Files whose header says
``endianness=legacy`` (IMX636 order: the two 32-bit halves swapped) are read too.
"""

from __future__ import annotations

import numpy as np

from evface.kernel_cache import cached_jit

EVT3_MAX_STEP = 2047
EVT21_MAX_STEP = 1 << 27


@cached_jit()
def _evt3_walk(cur: int, target: int, out: np.ndarray, n: int, write: bool) -> tuple[int, int]:
    """Emit TIME_HIGH words moving the decoder's absolute msb from ``cur`` to ``target``."""
    while cur < target:
        cycle_end = cur | 0xFFF
        if cur == cycle_end:
            nxt = cur + 1
        elif target <= cycle_end:
            nxt = min(target, cur + EVT3_MAX_STEP)
        else:
            nxt = min(cycle_end, cur + EVT3_MAX_STEP)
        if write:
            out[n] = 0x8000 | (nxt & 0xFFF)
        n += 1
        cur = nxt
    return cur, n


TRIGGER_EDGE_DTYPE = np.dtype([("t", "<i8"), ("channel", "u1"), ("rising", "?")])
"""External trigger edges as the encoders take them: time in µs (the events' clock), trigger input,
rising (True) or falling edge."""
EVT3_TRIGGER_INPUTS = 16
"""EVT 3.0's ``EXT_TRIGGER`` word names trigger inputs 0 to 15 (4 bits)."""
EVT21_TRIGGER_INPUTS = 32
"""EVT 2.1's ``EXT_TRIGGER`` word names trigger inputs 0 to 31 (5 bits)."""


@cached_jit()
def _evt3_time(ti, msb, prev_t, out, n, write):
    """The words that move the decoder's time to ``ti`` (a first ``TIME_HIGH``, the walk, a
    ``TIME_LOW`` where the time changes); returns (msb, ``ti``, n)."""
    if msb < 0:
        if write:
            out[n] = 0x8000
        n += 1
        msb, n = _evt3_walk(0, ti >> 12, out, n, write)
    elif ti != prev_t:
        target = ti >> 12
        if target != msb:
            msb, n = _evt3_walk(msb, target, out, n, write)
    else:
        return msb, prev_t, n
    if write:
        out[n] = 0x6000 | (ti & 0xFFF)
    return msb, ti, n + 1


@cached_jit()
def _evt3_encode(t, x, y, p, tt, tc, tr, state, out, write):
    """One pass over a chunk: count (``write=False``) or fill ``out`` with EVT3 words; the trigger
    edges ``tt``, ``tc``, ``tr`` (sorted, inputs below 16) go before the events of their time.

    ``state`` = [msb (-1 before the first word), previous t, previous y (-1: none)] is updated
    only when ``write`` is true.
    """
    msb = state[0]
    prev_t = state[1]
    prev_y = state[2]
    n = 0
    k = 0
    for i in range(t.shape[0]):
        ti = t[i]
        while k < tt.shape[0] and tt[k] <= ti:
            msb, prev_t, n = _evt3_time(tt[k], msb, prev_t, out, n, write)
            if write:
                out[n] = 0xA000 | (np.int64(tc[k]) << 8) | (1 if tr[k] else 0)
            n += 1
            k += 1
        msb, prev_t, n = _evt3_time(ti, msb, prev_t, out, n, write)
        yi = np.int64(y[i])
        if yi != prev_y:
            if write:
                out[n] = yi & 0x7FF
            n += 1
            prev_y = yi
        if write:
            out[n] = 0x2000 | (0x800 if p[i] > 0 else 0) | (np.int64(x[i]) & 0x7FF)
        n += 1
    while k < tt.shape[0]:
        msb, prev_t, n = _evt3_time(tt[k], msb, prev_t, out, n, write)
        if write:
            out[n] = 0xA000 | (np.int64(tc[k]) << 8) | (1 if tr[k] else 0)
        n += 1
        k += 1
    if write:
        state[0] = msb
        state[1] = prev_t
        state[2] = prev_y
    return n


def _count_then_fill(kernel, dtype, events: np.ndarray, triggers: np.ndarray | None, state: np.ndarray) -> np.ndarray:
    """Run an encoder kernel twice: count the words (state untouched), then write them (state updated)."""
    edges = np.zeros(0, TRIGGER_EDGE_DTYPE) if triggers is None else triggers
    columns = (events["t"], events["x"], events["y"], events["p"], edges["t"], edges["channel"], edges["rising"])
    n = kernel(*columns, state.copy(), np.empty(0, dtype=dtype), False)
    out = np.empty(n, dtype=dtype)
    kernel(*columns, state, out, True)
    return out


def evt3_encode(events: np.ndarray, state: np.ndarray, triggers: np.ndarray | None = None) -> np.ndarray:
    """EVT3 words (uint16) for a sorted chunk of events; ``state`` carries over between chunks.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        A sorted chunk, later than the previous chunk given with the same ``state``.
    state : ndarray of int64
        From :func:`evt3_new_state`; updated in place.
    triggers : ndarray of TRIGGER_EDGE_DTYPE, optional
        External trigger edges (inputs below :data:`EVT3_TRIGGER_INPUTS`), sorted, none earlier than
        the previous chunk: each an ``EXT_TRIGGER`` word before the events of its time.

    Returns
    -------
    ndarray of uint16
        The words for the chunk.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> state = evt3_new_state()
    >>> words = evt3_encode(make_events([0, 5], [3, 4], [2, 2], [1, -1]), state)
    >>> [hex(w) for w in words]  # TIME_HIGH, TIME_LOW, ADDR_Y 2, ON x=3, TIME_LOW 5, OFF x=4
    ['0x8000', '0x6000', '0x2', '0x2803', '0x6005', '0x2004']
    >>> edge = np.array([(4100, 1, True)], dtype=TRIGGER_EDGE_DTYPE)  # input 1 rises at 4100 µs
    >>> [hex(w) for w in evt3_encode(make_events([5000], [7], [9], [1]), state, edge)]
    ['0x8001', '0x6004', '0xa101', '0x6388', '0x9', '0x2807']
    """
    return _count_then_fill(_evt3_encode, np.uint16, events, triggers, state)


def evt3_new_state() -> np.ndarray:
    """Encoder state before the first event.

    Examples
    --------
    >>> evt3_new_state().tolist()  # time-high, previous t, previous y: none yet
    [-1, -1, -1]
    """
    return np.array([-1, -1, -1], dtype=np.int64)


@cached_jit()
def _evt21_time(ti, th, out, n, write):
    """The ``EVT_TIME_HIGH`` words that move the decoder's time high to ``ti >> 6``; returns (th, n)."""
    target = ti >> 6
    if th < 0:
        if write:
            out[n] = np.uint64(0x8) << np.uint64(60)
        n += 1
        th = 0
    while th < target:
        th = min(target, th + EVT21_MAX_STEP)
        if write:
            out[n] = (np.uint64(0x8) << np.uint64(60)) | (np.uint64(th & 0xFFFFFFF) << np.uint64(32))
        n += 1
    return th, n


@cached_jit()
def _evt21_encode(t, x, y, p, tt, tc, tr, state, out, write):
    """Count or fill EVT2.1 words; consecutive events sharing t, y, p and a 32-pixel block with
    increasing x share one word; the trigger edges ``tt``, ``tc``, ``tr`` (sorted, inputs below 32)
    go before the events of their time. ``state`` = [time-high in absolute units (-1: none)]."""
    th = state[0]
    n = 0
    i = 0
    k = 0
    m = t.shape[0]
    while i < m or k < tt.shape[0]:
        if k < tt.shape[0] and (i == m or tt[k] <= t[i]):
            th, n = _evt21_time(tt[k], th, out, n, write)
            if write:
                out[n] = ((np.uint64(0xA) << np.uint64(60)) | (np.uint64(tt[k] & 63) << np.uint64(54))
                          | (np.uint64(tc[k]) << np.uint64(40)) | (np.uint64(1 if tr[k] else 0) << np.uint64(32)))
            n += 1
            k += 1
            continue
        ti = t[i]
        th, n = _evt21_time(ti, th, out, n, write)
        xi = np.int64(x[i])
        base = xi & ~np.int64(31)
        yi = np.int64(y[i])
        pi = p[i]
        mask = np.uint64(1) << np.uint64(xi - base)
        j = i + 1
        last_x = xi
        while j < m and t[j] == ti and np.int64(y[j]) == yi and p[j] == pi:
            xj = np.int64(x[j])
            if xj <= last_x or (xj & ~np.int64(31)) != base:
                break
            mask |= np.uint64(1) << np.uint64(xj - base)
            last_x = xj
            j += 1
        if write:
            kind = np.uint64(1) if pi > 0 else np.uint64(0)
            out[n] = ((kind << np.uint64(60)) | (np.uint64(ti & 63) << np.uint64(54))
                      | (np.uint64(base) << np.uint64(43)) | (np.uint64(yi) << np.uint64(32)) | mask)
        n += 1
        i = j
    if write:
        state[0] = th
    return n


def evt21_encode(events: np.ndarray, state: np.ndarray, triggers: np.ndarray | None = None) -> np.ndarray:
    """EVT2.1 words (uint64) for a sorted chunk of events; ``state`` carries over between chunks.

    Events of one time, row and polarity within a block of 32 columns share one word.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        A sorted chunk, later than the previous chunk given with the same ``state``.
    state : ndarray of int64
        From :func:`evt21_new_state`; updated in place.
    triggers : ndarray of TRIGGER_EDGE_DTYPE, optional
        External trigger edges (inputs below :data:`EVT21_TRIGGER_INPUTS`), sorted, none earlier
        than the previous chunk: each an ``EXT_TRIGGER`` word before the events of its time.

    Returns
    -------
    ndarray of uint64
        The words for the chunk.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> words = evt21_encode(make_events([10, 10, 10], [32, 33, 35], [1, 1, 1], [1, 1, 1]), evt21_new_state())
    >>> [hex(w) for w in words]  # TIME_HIGH 0, then EVT_POS at x=32 with mask 0b1011
    ['0x8000000000000000', '0x128100010000000b']
    >>> edge = np.array([(70, 2, False)], dtype=TRIGGER_EDGE_DTYPE)  # input 2 falls at 70 µs
    >>> [hex(w) for w in evt21_encode(make_events([], [], [], []), evt21_new_state(), edge)]
    ['0x8000000000000000', '0x8000000100000000', '0xa180020000000000']
    """
    return _count_then_fill(_evt21_encode, np.uint64, events, triggers, state)


def evt21_new_state() -> np.ndarray:
    """EVT2.1 encoder state before the first event.

    Examples
    --------
    >>> evt21_new_state().tolist()  # no time-high written yet
    [-1]
    """
    return np.array([-1], dtype=np.int64)


@cached_jit()
def _popcount32(v):
    v = v - ((v >> np.uint64(1)) & np.uint64(0x55555555))
    v = (v & np.uint64(0x33333333)) + ((v >> np.uint64(2)) & np.uint64(0x33333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F)
    return np.int64(((v * np.uint64(0x01010101)) & np.uint64(0xFFFFFFFF)) >> np.uint64(24))


@cached_jit()
def _evt21_decode(words, state, width, height, out_t, out_x, out_y, out_p, write):
    """Count or decode events of EVT2.1 words.

    ``state`` = [time-high (28-bit value as read), wrap count, last t, 1 after an event outside the
    sensor (then its t, x and y are the last three), x, y, external trigger words met so far].
    """
    th = state[0]
    wraps = state[1]
    last_t = state[2]
    triggers = 0
    n = 0
    for i in range(words.shape[0]):
        w = words[i]
        kind = np.int64(w >> np.uint64(60))
        if kind == 0 or kind == 1:
            mask = w & np.uint64(0xFFFFFFFF)
            if not write:
                n += _popcount32(mask)
                continue
            t = (wraps << 34) + (th << 6) + np.int64((w >> np.uint64(54)) & np.uint64(63))
            if t < last_t:
                t = last_t
            last_t = t
            base = np.int64((w >> np.uint64(43)) & np.uint64(0x7FF))
            yv = np.int64((w >> np.uint64(32)) & np.uint64(0x7FF))
            for b in range(32):
                if (mask >> np.uint64(b)) & np.uint64(1):
                    xv = base + b
                    if xv >= width or yv >= height:
                        state[2] = t
                        state[3] = 1
                        state[4] = xv
                        state[5] = yv
                        return n
                    out_t[n] = t
                    out_x[n] = xv
                    out_y[n] = yv
                    out_p[n] = 1 if kind == 1 else -1
                    n += 1
        elif kind == 8:
            new_th = np.int64((w >> np.uint64(32)) & np.uint64(0xFFFFFFF))
            if new_th < th:
                wraps += 1
            th = new_th
        elif kind == 0xA:
            triggers += 1
    if write:
        state[0] = th
        state[1] = wraps
        state[2] = last_t
        state[6] += triggers
    return n


def evt21_decode(words: np.ndarray, state: np.ndarray, sensor_size: tuple[int, int],
                 out_dtype) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    """Decode a block of EVT2.1 words; returns (events, the event outside the sensor or None).

    Parameters
    ----------
    words : ndarray of uint64
        The next block of the stream.
    state : ndarray of int64
        From :func:`evt21_new_decoder_state`; updated in place.
    sensor_size : (width, height)
        Events outside it stop the decoding.
    out_dtype : numpy dtype
        :data:`~evface.events.core.EVENT_DTYPE`.

    Returns
    -------
    events : ndarray of out_dtype
        The events decoded (up to an event outside the sensor).
    outside : (t, x, y) or None
        The first event outside the sensor (time without the header's ``t0``), which stops the decoding.

    Examples
    --------
    >>> from evface.events.core import EVENT_DTYPE, make_events
    >>> words = evt21_encode(make_events([0, 5, 5000], [3, 4, 7], [2, 2, 9], [1, -1, 1]), evt21_new_state())
    >>> events, outside = evt21_decode(words, evt21_new_decoder_state(), (16, 16), EVENT_DTYPE)
    >>> events.tolist(), outside
    ([(0, 3, 2, 1), (5, 4, 2, -1), (5000, 7, 9, 1)], None)
    >>> events, outside = evt21_decode(words, evt21_new_decoder_state(), (5, 16), EVENT_DTYPE)
    >>> events.size, outside  # x=7 lies off a 5-pixel-wide sensor
    (2, (5000, 7, 9))
    """
    width, height = sensor_size
    n = _evt21_decode(words, state.copy(), width, height, np.empty(0, np.int64), np.empty(0, np.uint16),
                      np.empty(0, np.uint16), np.empty(0, np.int8), False)
    out = np.empty(n, dtype=out_dtype)
    got = _evt21_decode(words, state, width, height, out["t"], out["x"], out["y"], out["p"], True)
    return out[:got], ((int(state[2]), int(state[4]), int(state[5])) if state[3] else None)


def evt21_new_decoder_state() -> np.ndarray:
    """EVT2.1 decoder state before the first word.

    Examples
    --------
    >>> evt21_new_decoder_state().tolist()  # time-high, wraps, last t, outside the sensor (no), its x, y, triggers
    [0, 0, 0, 0, 0, 0, 0]
    """
    return np.array([0, 0, 0, 0, 0, 0, 0], dtype=np.int64)


EVT21_TRIGGER = 0xA
"""The EVT 2.1 word type of an external trigger edge (``EXT_TRIGGER``: time low in bits 59..54, channel
id in 44..40, edge in 32; OpenEB's ``Evt21Raw::Event_EXT_TRIGGER``)."""


def evt21_triggers(words: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The external trigger edges of a block of EVT 2.1 words, their times built from the time-high
    words as :func:`evt21_decode` builds the events' (without the header's ``t0``).

    Parameters
    ----------
    words : ndarray of uint64
        The next block of the stream (legacy word halves already swapped).
    state : ndarray of int64
        ``[time-high, wraps]`` before the block (``[0, 0]`` before the first); updated in place.

    Returns
    -------
    t : ndarray of int64
        Each edge's time in µs.
    channel : ndarray of uint8
        Its trigger input (0 to 31).
    rising : ndarray of bool
        True for a rising edge.

    Examples
    --------
    >>> th = (np.uint64(8) << np.uint64(60)) | (np.uint64(2) << np.uint64(32))  # time high 2: 128 µs
    >>> edge = (np.uint64(0xA) << np.uint64(60)) | (np.uint64(5) << np.uint64(54)) | (np.uint64(1) << np.uint64(40))
    >>> t, channel, rising = evt21_triggers(np.array([th, edge | np.uint64(1 << 32)], np.uint64), np.zeros(2, np.int64))
    >>> t.tolist(), channel.tolist(), rising.tolist()
    ([133], [1], [True])
    """
    kind = words >> np.uint64(60)
    at = np.flatnonzero(kind == EVT21_TRIGGER)
    highs = np.flatnonzero(kind == 8)
    values = ((words[highs] >> np.uint64(32)) & np.uint64(0xFFFFFFF)).astype(np.int64)
    wraps = state[1] + np.cumsum(values < np.concatenate([state[:1], values[:-1]]))  # a time high going back wraps
    last = np.searchsorted(highs, at) - 1  # the time-high word before each edge (-1: the block's state)
    high = np.concatenate([state[:1], values])[last + 1]
    wrap = np.concatenate([state[1:2], wraps])[last + 1]
    edges = words[at]
    t = (wrap << 34) + (high << 6) + ((edges >> np.uint64(54)) & np.uint64(63)).astype(np.int64)
    if highs.size:
        state[0], state[1] = values[-1], wraps[-1]
    return (t, ((edges >> np.uint64(40)) & np.uint64(31)).astype(np.uint8),
            ((edges >> np.uint64(32)) & np.uint64(1)).astype(bool))


@cached_jit()
def scan_events(t, x, y, p, previous_t):
    """One pass over a chunk: (index of the first event earlier than its predecessor, or -1; the
    first t; max x; max y; number of polarities outside {-1, +1}). ``previous_t`` is the last
    time of the previous chunk (or a very small number). Branch-free in the common case.

    Examples
    --------
    >>> t = np.array([10, 20, 15], dtype=np.int64)
    >>> x, y = np.array([3, 9, 4], dtype=np.uint16), np.array([1, 0, 6], dtype=np.uint16)
    >>> bad, first_t, xmax, ymax, bad_p = scan_events(t, x, y, np.array([1, -1, 0], dtype=np.int8), -1)
    >>> int(bad), int(first_t), int(xmax), int(ymax), int(bad_p)
    (2, 10, 9, 6, 1)
    """
    n = t.shape[0]
    unsorted = 0
    last = previous_t
    xmax = np.uint16(0)
    ymax = np.uint16(0)
    bad_p = 0
    for i in range(n):
        ti = t[i]
        unsorted += ti < last
        last = ti
        xmax = max(xmax, x[i])
        ymax = max(ymax, y[i])
        bad_p += p[i] * p[i] != 1
    bad = _first_unsorted(t, previous_t) if unsorted else -1
    return bad, (t[0] if n else 0), np.int64(xmax), np.int64(ymax), bad_p


@cached_jit()
def _first_unsorted(t, previous_t):
    """Index of the first time earlier than its predecessor (``previous_t`` before ``t[0]``), or -1."""
    last = previous_t
    for i in range(t.shape[0]):
        if t[i] < last:
            return i
        last = t[i]
    return -1


@cached_jit()
def on_to_signed(p):
    """Map a polarity column stored as bytes 0/1 (faery's bool ``on``) to -1/+1 in place.

    Examples
    --------
    >>> p = np.array([0, 1, 1], dtype=np.int8)
    >>> on_to_signed(p)
    >>> p.tolist()
    [-1, 1, 1]
    """
    for i in range(p.shape[0]):
        p[i] = 2 * p[i] - 1


@cached_jit()
def fix_faery_packet(t, x, y, p, previous_t, height, flip_y):
    """One pass over a faery packet viewed as evface events: polarity 0/1 -> -1/+1, optionally
    y -> height - 1 - y (Event Stream files), and the checks of :func:`scan_events`.

    Returns (index of the first event earlier than its predecessor or -1, first t, max x,
    max y as stored in the file).

    Examples
    --------
    >>> t = np.array([4, 8], dtype=np.int64)
    >>> x, y = np.array([1, 2], dtype=np.uint16), np.array([0, 3], dtype=np.uint16)
    >>> p = np.array([1, 0], dtype=np.int8)
    >>> bad, first_t, xmax, ymax = fix_faery_packet(t, x, y, p, -1, 4, True)
    >>> int(bad), int(first_t), int(xmax), int(ymax), y.tolist(), p.tolist()
    (-1, 4, 2, 3, [3, 0], [1, -1])
    """
    n = t.shape[0]
    unsorted = 0
    last = previous_t
    xmax = np.uint16(0)
    ymax = np.uint16(0)
    top = height - 1
    for i in range(n):
        ti = t[i]
        unsorted += ti < last
        last = ti
        xmax = max(xmax, x[i])
        yi = y[i]
        ymax = max(ymax, yi)
        if flip_y:
            y[i] = top - yi
        p[i] = 2 * p[i] - 1
    bad = _first_unsorted(t, previous_t) if unsorted else -1
    return bad, (t[0] if n else 0), np.int64(xmax), np.int64(ymax)


@cached_jit()
def es_dvs_walk(data, start, overflows):
    """Walk the body of a DVS Event Stream (version 2, as faery and sepia write it) from byte
    ``start``: an overflow (0xFF) or reset (0xFE) byte is one byte, an event five (time delta and
    polarity, x and y as 16-bit words). Returns the offset after the last item, which exceeds
    ``data.shape[0]`` when the file ends inside an event, and the number of overflow bytes after
    the last whole event (writers put them only before the event they lead to), counted on from
    ``overflows`` (those that end the bytes before ``data``: a body is walked block by block).

    Examples
    --------
    >>> body = np.array([0xFF, 1, 2, 3, 4, 5, 0xFE, 9, 0], dtype=np.uint8)  # overflow, event, reset, cut event
    >>> end, overflows = es_dvs_walk(body, 0, 0)
    >>> int(end), body.size, int(overflows)
    (12, 9, 0)
    >>> [int(v) for v in es_dvs_walk(np.array([3, 1, 0, 2, 0, 0xFF, 0xFE, 0xFF], dtype=np.uint8), 0, 0)]  # event, 2 overflows
    [8, 2]
    """
    i = start
    n = data.shape[0]
    while i < n:
        if data[i] == 0xFF:
            overflows += 1
            i += 1
        elif data[i] == 0xFE:
            i += 1
        else:
            overflows = 0
            i += 5
    return i, (overflows if i == n else 0)


@cached_jit()
def evt2_first_off(words, width, height, state):
    """The first CD event of the EVT 2.0 ``words`` (uint32) off a ``width`` x ``height`` sensor, as
    ``(index, t, x, y)`` (index from ``state[1]``, t without the header's ``t0``), or ``(-1, 0, 0, 0)``.
    ``state`` = [time high, its 2^28 wraps, events counted] before ``words`` is updated in place.
    A time high that goes back is a wrap, as faery's decoder takes it.

    Examples
    --------
    >>> words = np.array([0x80000002, (1 << 28) | (5 << 22) | (7 << 11) | 3, (9 << 11) | 1], dtype=np.uint32)
    >>> [int(v) for v in evt2_first_off(words, 8, 8, np.zeros(3, np.int64))]  # t = 2 * 64 + 0
    [1, 128, 9, 1]
    """
    th, wraps, n = state[0], state[1], state[2]
    for i in range(words.shape[0]):
        w = np.int64(words[i])
        kind = w >> 28
        if kind == 8:
            value = w & 0xFFFFFFF
            wraps += value < th
            th = value
        elif kind <= 1:
            x, y = (w >> 11) & 0x7FF, w & 0x7FF
            if x >= width or y >= height:
                return n, (((wraps << 28) + th) << 6) + ((w >> 22) & 63), x, y
            n += 1
    state[0], state[1], state[2] = th, wraps, n
    return -1, 0, 0, 0


@cached_jit()
def evt3_first_off(words, width, height, state):
    """The first event of the EVT 3.0 ``words`` (uint16) off a ``width`` x ``height`` sensor, as
    ``(index, t, x, y)`` (index from ``state[5]``, t without the header's ``t0``), or ``(-1, 0, 0, 0)``:
    ``ADDR_X`` words one event each, ``VECT_12``/``VECT_8`` one a set bit from ``VECT_BASE_X``.
    ``state`` = [time high, its 2^12 wraps, time low, y, vector base x, events counted] is updated
    in place.

    Examples
    --------
    >>> words = np.array([0x8001, 0x6005, 0x0003, 0x2004, 0x3006, 0x4005], dtype=np.uint16)  # y 3; x 4; x 6, 8
    >>> [int(v) for v in evt3_first_off(words, 8, 8, np.zeros(6, np.int64))]  # t = 1 * 4096 + 5
    [2, 4101, 8, 3]
    """
    th, wraps, tl, y, base, n = state[0], state[1], state[2], state[3], state[4], state[5]
    for i in range(words.shape[0]):
        w = np.int64(words[i])
        kind = w >> 12
        if kind == 8:
            value = w & 0xFFF
            wraps += value < th
            th = value
        elif kind == 6:
            tl = w & 0xFFF
        elif kind == 0:
            y = w & 0x7FF
        elif kind == 3:
            base = w & 0x7FF
        elif kind == 2 or kind == 4 or kind == 5:
            bits = 1 if kind == 2 else (12 if kind == 4 else 8)
            first = (w & 0x7FF) if kind == 2 else base
            for b in range(bits):
                if kind == 2 or (w >> b) & 1:
                    x = first + b
                    if x >= width or y >= height:
                        return n, (((wraps << 12) + th) << 12) + tl, x, y
                    n += 1
            if kind != 2:
                base += bits
    state[0], state[1], state[2], state[3], state[4], state[5] = th, wraps, tl, y, base, n
    return -1, 0, 0, 0


EVT3_LOST_STEP = 2048
"""The least time-high step (in 4096 µs units) that faery's EVT 3.0 decoder drops while a robust
reading takes it (:func:`evt3_time_high_lost`): half the 24-bit period."""


@cached_jit()
def evt3_time_high_lost(words, previous):
    """The first index of a ``TIME_HIGH`` word of the EVT 3.0 ``words`` that faery 0.7.1's decoder
    drops although it moves time by :data:`EVT3_LOST_STEP` units or more, and the time high its
    decoder holds after ``words`` (``previous`` before them; 0 at a body's start), or ``(-1, ...)``.

    faery takes a time high that rises by less than 4094 units or falls by 4095 (0xFFF to 0x000: a
    24-bit wrap) and drops any other, keeping the one before: a wrap that skips 0xFFF (a camera
    silent for those 4 ms), or a first time high of 0xFFE or 0xFFF (a rise of 4094 from 0), leaves
    every later event up to 16.8 s early, without a word. A drop of a few units (time going back a little) is read alike by
    every decoder and is not reported.

    Examples
    --------
    >>> words = np.array([0x8FF0, 0x6001, 0x8FFF, 0x8000, 0x8001], dtype=np.uint16)  # a wrap through 0xFFF
    >>> [int(v) for v in evt3_time_high_lost(words, 0)]
    [-1, 1]
    >>> words = np.array([0x8FF0, 0x6001, 0x8002], dtype=np.uint16)  # a wrap that skips 0xFFF
    >>> [int(v) for v in evt3_time_high_lost(words, 0)]
    [2, 4080]
    """
    held = previous
    for i in range(words.shape[0]):
        w = words[i]
        if (w >> 12) == 8:
            th = np.int64(w & 0xFFF)
            step = th - held
            if 0 < step < 4094 or step < -4094:
                held = th
            elif step >= EVT3_LOST_STEP or step <= -EVT3_LOST_STEP:
                return i, held
    return -1, held


_PAIR_BLOCK = 1 << 16


@cached_jit()
def _holds_pair(words, first, second):
    """Whether ``words[j] == first`` and ``words[j + 1] == second`` for some j: one loop without
    a branch, which LLVM vectorises (about 0.05 ms per MB in memory)."""
    hit = False
    for j in range(words.shape[0] - 1):
        hit |= (words[j] == first) & (words[j + 1] == second)
    return hit


@cached_jit()
def find_word_pair(words, first, second, start):
    """The first index ``j >= start`` where ``words[j] == first`` and ``words[j + 1] == second``,
    or -1. Each block of 65,536 words is tested by :func:`_holds_pair` and searched word by word
    only where it holds the pair. Given 16-bit words, it finds four bytes at every even offset
    (:func:`~evface.io.event_checks.refuse_joined_files` seeks a second header so).

    Examples
    --------
    >>> words = np.frombuffer(b"..% evt 3.0", dtype=np.uint8)[:10].view(np.uint16)  # '..', '% ', 'ev', 't ', '3.'
    >>> first, second = np.frombuffer(b"% ev", dtype=np.uint16)
    >>> int(find_word_pair(words, first, second, 0)), int(find_word_pair(words, first, second, 2))
    (1, -1)
    """
    n = words.shape[0]
    for i in range(start, n - 1, _PAIR_BLOCK):
        block = words[i:i + _PAIR_BLOCK + 1]
        if _holds_pair(block, first, second):
            for j in range(block.shape[0] - 1):
                if block[j] == first and block[j + 1] == second:
                    return i + j
    return -1
