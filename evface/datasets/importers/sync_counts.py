"""The event camera's side of the cross-correlation: its event-count histogram, and the cumulative
count ``N`` and its integral on the histogram's bin edges, looked up by index, so that ``A_k`` (``N``
averaged over frame ``k``'s exposure, :mod:`~evface.datasets.importers.sync_xcorr`) is found for
any frame start without revisiting the events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID_BLOCK = 1 << 18
"""The integral of the cumulative event count is built in blocks of this many bins (2 MB)."""


@dataclass(frozen=True)
class EventRate:
    """Event counts in bins of ``bin_us`` starting at ``t0_us`` (sensor clock)."""

    t0_us: int
    bin_us: int
    counts: np.ndarray

    @classmethod
    def from_times(cls, t_us: np.ndarray, bin_us: int = 100, t0_us: int | None = None, t1_us: int | None = None) -> EventRate:
        """Histogram of event times (use :meth:`accumulate` to build one in chunks)."""
        t_us = np.asarray(t_us, dtype=np.int64)
        t0 = int(t_us[0]) if t0_us is None else int(t0_us)
        t1 = int(t_us[-1]) + 1 if t1_us is None else int(t1_us)
        n = max(1, -(-(t1 - t0) // bin_us))
        rate = cls(t0, bin_us, np.zeros(n, dtype=np.int64))
        return rate.accumulate(t_us)

    def accumulate(self, t_us: np.ndarray) -> EventRate:
        """Add the events with times ``t_us`` (in place on ``counts``); times outside are dropped."""
        idx = (np.asarray(t_us, dtype=np.int64) - self.t0_us) // self.bin_us
        idx = idx[(idx >= 0) & (idx < self.counts.size)]
        self.counts[:] += np.bincount(idx, minlength=self.counts.size)[: self.counts.size]
        return self

    @property
    def t_end_us(self) -> int:
        return self.t0_us + self.bin_us * self.counts.size


@dataclass(frozen=True)
class CountGrid:
    """The cumulative event count ``N`` (kept only when some exposure is 0) and its integral on the
    histogram's bin edges, and the RGB exposures: ``A_k``, N averaged over frame ``k``'s exposure,
    for any frame start (module docstring)."""

    rate: EventRate
    cum: np.ndarray | None
    area: np.ndarray
    exposure: np.ndarray

    @classmethod
    def of(cls, rate: EventRate, exposure: np.ndarray) -> CountGrid:
        """The grid of ``rate`` for frames with exposures ``exposure`` (µs, float64): one array of
        the histogram's length when every exposure is open (was three at the peak: 824 MB for an
        hour of 100 µs bins)."""
        cum = np.empty(rate.counts.size + 1)
        cum[0], cum[1:] = 0.0, rate.counts  # cast first: np.cumsum(counts, dtype=float64) casts into a copy of all
        np.cumsum(cum[1:], out=cum[1:])
        keep = not np.all(exposure > 0)
        return cls(rate, cum if keep else None, _integrate(cum.copy() if keep else cum, rate.bin_us), exposure)

    def mean_count(self, start: np.ndarray, exposure: np.ndarray | float | None = None) -> np.ndarray:
        """``A``: N averaged over each exposure from ``start`` (N at ``start`` when the exposure is 0);
        the exposures are the frames' (``start``'s last axis) unless given."""
        if exposure is None:
            exposure = self.exposure
        exposure = np.broadcast_to(np.asarray(exposure, np.float64), start.shape[-1:])
        t0, step = self.rate.t0_us, self.rate.bin_us
        open_ = exposure > 0
        mean = _on_grid(start + exposure, t0, step, self.area) - _on_grid(start, t0, step, self.area)
        mean /= np.where(open_, exposure, 1.0)
        if open_.all():
            return mean
        assert self.cum is not None, "N is kept where an exposure is 0: the grid's own, or their median (sync_fft)"
        mean[..., ~open_] = _on_grid(start[..., ~open_], t0, step, self.cum)
        return mean


def _integrate(values: np.ndarray, step: float) -> np.ndarray:
    """The integral of the piecewise-linear function through ``values`` on a grid of ``step``, at its
    points (trapezoids summed from 0), written over ``values`` in blocks of GRID_BLOCK: the same
    numbers as ``np.cumsum((values[1:] + values[:-1]) / 2 * step)`` after a 0, without its three
    arrays of the grid's length.

    Examples
    --------
    >>> _integrate(np.array([0.0, 2.0, 2.0, 6.0]), 10.0).tolist()
    [0.0, 10.0, 30.0, 70.0]
    """
    left, total = values[0], 0.0
    values[0] = 0.0
    for lo in range(1, values.size, GRID_BLOCK):
        block = values[lo:lo + GRID_BLOCK]
        right = block.copy()
        trapezoids = np.concatenate([[left], right[:-1]])
        trapezoids += right
        trapezoids /= 2
        trapezoids *= step
        trapezoids[0] += total  # the sum so far first, as one cumulative sum adds it
        np.cumsum(trapezoids, out=block)
        left, total = right[-1], block[-1]
    return values


def _on_grid(x: np.ndarray, t0: float, step: float, values: np.ndarray) -> np.ndarray:
    """``np.interp(x, t0 + step * arange(values.size), values)`` by index arithmetic on the uniform
    grid: a binary search per point (25 steps in an hour's 36 million bins) took 90 % of the
    cross-correlation's time on a minute of 30 fps video.

    Examples
    --------
    >>> values = np.array([0.0, 10.0, 30.0])
    >>> x = np.array([-5.0, 100.0, 150.0, 250.0, 400.0])
    >>> _on_grid(x, 100, 100, values).tolist(), np.interp(x, [100, 200, 300], values).tolist()
    ([0.0, 0.0, 5.0, 20.0, 30.0], [0.0, 0.0, 5.0, 20.0, 30.0])
    """
    pos = np.clip((x - t0) / step, 0, values.size - 1)
    i = np.minimum(pos.astype(np.int64), values.size - 2)
    return values[i] + (pos - i) * (values[i + 1] - values[i])
