"""The readout limit of an event camera: at most so many events per second leave the chip.

Two behaviours of real sensors when the pixels fire faster (docs/camera-models.md, "Readout
limit"):

* ``"drop"``: an event-rate controller (the ERC of Prophesee's IMX636 / EVK4) counts events in
  windows of ``window_us`` and, in a window over its budget, keeps an evenly spread subset of
  ``floor(max_rate_hz * window_us)`` events and drops the rest;
* ``"delay"``: a saturated address-event bus (the DAVIS346's arbiter) serialises the events:
  each leaves at least ``1 / max_rate_hz`` after the previous one and is stamped with the
  microsecond in which it leaves, so a burst is stretched in time and nothing is lost.

Examples
--------
Ten events in the same microsecond through a 1 Mev/s readout:

>>> from evface.events.core import make_events
>>> ev = make_events([5] * 10, range(10), [0] * 10, [1] * 10)
>>> limit_readout(ev, 1e6, "delay")["t"].tolist()
[5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
>>> limit_readout(ev, 1e6, "drop", window_us=4)["x"].tolist()
[2, 4, 7, 9]
"""

from __future__ import annotations

import numpy as np

from evface.checks import INT64, as_int, as_real
from evface.errors import ParameterError, choose_from
from evface.events.core import check_array, check_stream
from evface.kernel_cache import cached_jit

EXCESS = ("drop", "delay")
"""What happens to the events over the readout limit."""

ERC_WINDOW_US = 100
"""Counting window of the event-rate controller (``"drop"``), in µs (our assumption)."""
_INT64_MAX = INT64[1]


def limit_readout(events: np.ndarray, max_rate_hz: float, excess: str, window_us: int = ERC_WINDOW_US) -> np.ndarray:
    """The events, time-sorted, that leave a camera whose readout carries ``max_rate_hz`` at most.

    ``excess`` is ``"drop"`` (keep an evenly spread ``floor(max_rate_hz * window_us)`` events of
    every window of ``window_us`` µs from t = 0 that has more) or ``"delay"`` (event ``i`` leaves at
    ``l_i = max(t_i, l_(i-1) + 1 / max_rate_hz)`` and is stamped ``floor(l_i)``: up to
    ``max_rate_hz`` x 1 µs events share a microsecond). Events under the limit pass unchanged in
    both.

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time, polarity -1 or +1 (checked: an EventsError naming the first event
        out of order; was, out of order, a ``"delay"`` stamped from the wrong anchor and a
        ``"drop"`` that counted windows apart, without a word).
    max_rate_hz : float
        Events per second the readout carries at most.
    excess : {"drop", "delay"}
        What happens to the events over the limit.
    window_us : int, optional
        Counting window of ``"drop"``.

    Returns
    -------
    events : ndarray of EVENT_DTYPE

    Examples
    --------
    Three events at 10 µs through a readout of one event per 10 µs (``"delay"``), or of two per
    10 µs window (``"drop"``):

    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 10, 10, 10, 20], [0, 1, 2, 3, 4], [0] * 5, [1] * 5)
    >>> limit_readout(ev, 1e5, "delay")["t"].tolist()
    [0, 10, 20, 30, 40]
    >>> limit_readout(ev, 2e5, "drop", window_us=10)["x"].tolist()
    [0, 2, 3, 4]
    >>> limit_readout(ev, 1e9, "delay")["t"].tolist()  # under the limit: unchanged
    [0, 10, 10, 10, 20]
    """
    check_array(events)
    check_stream(events)
    if not isinstance(excess, str) or excess not in EXCESS:
        raise ParameterError(f"unknown readout excess behaviour {excess!r}; {choose_from(EXCESS)}")
    max_rate_hz = as_real("max_rate_hz", max_rate_hz, 0.0, 1e15, low_open=True)  # 1e15: beyond one per µs a billion times over
    window_us = as_int("window_us", window_us, 1)
    if events.size == 0:
        return events
    t = events["t"]
    if excess == "delay":
        out = events.copy()
        late = _delay(t, 1e6 / max_rate_hz, out["t"])
        if late >= 0:
            raise ParameterError(f"the readout delays event {late} (t={int(t[late]):,} µs) past 2^63 - 1 µs, the "
                                 f"largest timestamp: max_rate_hz {max_rate_hz:g} is too low for these events")
        return out
    budget = int(max_rate_hz * window_us * 1e-6)
    window = t // window_us
    starts = np.flatnonzero(np.r_[True, window[1:] != window[:-1]])
    counts = np.diff(np.r_[starts, t.size])
    n = np.repeat(counts, counts)
    rank = np.arange(t.size) - np.repeat(starts, counts)
    keep = (n <= budget) | ((rank + 1) * budget // n > rank * budget // n)
    return events[keep]


@cached_jit()
def _delay(t: np.ndarray, gap_us: float, out: np.ndarray) -> int:
    """Write ``floor(l_i)`` of ``l_i = max(t_i, l_(i-1) + gap_us)`` into ``out`` (which holds ``t``);
    returns -1, or the index of the first event that would leave past the largest int64 time.

    ``l_i`` is kept as the time of the last event that left on arrival (an integer) plus a whole
    number of gaps, so no float ever holds a timestamp and the stamps are exact at any time (a
    float64 holds times near 2^62 µs only to 1024 µs: a burst there passed undelayed).
    """
    anchor, queued = t[0], 0
    for i in range(1, t.size):
        if float(t[i] - anchor) >= (queued + 1) * gap_us:  # the queue has drained: leaves on arrival
            anchor, queued = t[i], 0
            continue
        queued += 1
        late = np.floor(queued * gap_us + 1e-9)
        if late >= 9e18 or (anchor > 0 and np.int64(late) > _INT64_MAX - anchor):
            return i
        out[i] = anchor + np.int64(late)
    return -1

__all__ = ["ERC_WINDOW_US", "EXCESS", "limit_readout"]
