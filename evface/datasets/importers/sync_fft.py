"""The cross-correlation's coarse scan estimated by FFT: every frame pair taken as one of the median
period and exposure, so that the sums over the frames at every offset are cross-correlations
(:mod:`~evface.datasets.importers.sync_xcorr` scores the estimate's maxima exactly), with the
overlap's pair counts and energy sums at every offset, exact.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import fft as sp_fft

from evface.datasets.importers.sync_counts import CountGrid, EventRate

FFT_BLOCK = 1 << 18
"""The FFT estimate correlates blocks of this many grid points against as many offsets (8 MB FFTs)."""


def overlap_sums(offsets: np.ndarray, frame_t: np.ndarray, exposure: np.ndarray, energy: np.ndarray,
                  rate: EventRate) -> np.ndarray:
    """Per offset, the number of frame pairs in the overlap and their energies' sum and sum of
    squares, ``(3, offsets.size)``. Pair ``k`` is in the overlap when its first frame starts at or
    after the events' start and its second frame's exposure ends by their end: for offsets from
    ``t_{k+1} + e_{k+1} - t_end`` to ``t_k - t0``, so the sums are cumulative sums over the pairs
    sorted by those two bounds (no frame-offset pair is visited).

    Examples
    --------
    >>> rate = EventRate(0, 100, np.ones(10, dtype=np.int64))  # events over [0, 1000) µs
    >>> overlap_sums(np.array([0.0, 500.0]), np.array([0.0, 300.0, 600.0, 900.0]), np.zeros(4),
    ...               np.array([1.0, 2.0, 3.0]), rate).tolist()
    [[3.0, 1.0], [6.0, 3.0], [14.0, 9.0]]
    """
    lower = frame_t[1:] + exposure[1:] - rate.t_end_us
    upper = frame_t[:-1] - rate.t0_us
    ok = lower <= upper
    lower, upper = lower[ok], upper[ok]
    values = np.stack([np.ones(lower.size), energy[ok], energy[ok] ** 2])
    out = np.zeros((3, offsets.size))
    edges: tuple[tuple[np.ndarray, float, Literal["left", "right"]], ...] = ((lower, 1.0, "right"), (upper, -1.0, "left"))
    for bound, sign, side in edges:
        order = np.argsort(bound, kind="stable")
        cums = np.concatenate([np.zeros((3, 1)), np.cumsum(values[:, order], axis=1)], axis=1)
        out += sign * cums[:, np.searchsorted(bound[order], offsets, side=side)]
    return out


def coarse_scores_by_fft(coarse: np.ndarray, step: int, frame_t: np.ndarray, energy: np.ndarray, grid: CountGrid,
                   period: float, sums: np.ndarray, least: int) -> np.ndarray:
    """The score of :func:`~evface.datasets.importers.sync_xcorr.sync_by_xcorr` (the weighted
    Pearson correlation of each frame pair's events, ``A_{k+1} - A_k``, with the frame-difference
    energy over the pairs in the overlap) on the grid ``coarse`` of step ``step``, estimated by FFT.

    Each frame pair's events are taken as ``y(t_k - d)``, the events of a pair of the median period
    and exposure starting at ``t_k - d`` (0 where such a pair leaves the event stream), looked up on
    a grid of the coarse step: the sums over the frames of ``y``, ``y * energy`` and ``y**2`` at
    every coarse offset are cross-correlations of the frames' impulse train with ``y`` and ``y**2``
    (:func:`_correlate_blocks`). The overlap's pair counts and energy sums are exact
    (``sums``, :func:`overlap_sums`); -1 below ``least`` pairs or without variance.
    """
    rate = grid.rate
    exposure = float(np.median(grid.exposure))
    span = rate.t_end_us - period - exposure - rate.t0_us  # y's pair fits in the stream from t0 to t0 + span
    if span < 0:
        return np.full(coarse.size, -1.0)
    n_y = int(span // step) + 1

    def y_at(lo: int, hi: int) -> np.ndarray:
        s = rate.t0_us + step * np.arange(lo, min(hi, n_y), dtype=np.float64)
        return grid.mean_count(s + period, exposure) - grid.mean_count(s, exposure)

    # Frame k at offset coarse[j] sits at y-grid position u_k - j; spread it onto the two grid points around.
    u = (frame_t[:-1] - coarse[0] - rate.t0_us) / step
    i = np.floor(u).astype(np.int64)
    f = u - i
    index = np.concatenate([i, i + 1])
    weights = np.concatenate([1 - f, f])
    keep = (index >= 0) & (index < n_y + coarse.size)
    trains = np.stack([np.bincount(index[keep], (weights * w)[keep], minlength=n_y + coarse.size)
                       for w in (1.0, np.concatenate([energy, energy]))])
    s_c, s_ce, s_cc = _correlate_blocks(trains, y_at, n_y, coarse.size)
    n, s_e, s_ee = sums
    safe = np.maximum(n, 1)
    cov = s_ce - s_c * s_e / safe
    var = (s_cc - s_c ** 2 / safe) * (s_ee - s_e ** 2 / safe)
    r = np.where(var > 0, cov / np.sqrt(np.where(var > 0, var, 1.0)), -1.0)
    return np.where(n >= least, np.clip(r, -1.0, 1.0), -1.0)


def _correlate_blocks(trains: np.ndarray, y_at, n_y: int, n_lags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sum_l y[l] * train[l + j]`` for ``j < n_lags`` (both trains against ``y``, the first also
    against ``y**2``), by FFT in blocks of FFT_BLOCK of ``y`` (made by ``y_at(lo, hi)``) and of the
    lags: memory stays bounded however long the streams and wide the search."""
    out = np.zeros((3, n_lags))
    for lo in range(0, n_y, FFT_BLOCK):
        y = y_at(lo, lo + FFT_BLOCK)
        size = sp_fft.next_fast_len(y.size + FFT_BLOCK - 1, real=True)
        fy = np.conj(sp_fft.rfft(np.stack([y, y * y]), size, axis=1))
        for j0 in range(0, n_lags, FFT_BLOCK):
            lags = min(FFT_BLOCK, n_lags - j0)
            seg = trains[:, lo + j0:lo + j0 + y.size + lags - 1]
            if not seg.any():
                continue
            fs = sp_fft.rfft(seg, size, axis=1)
            both = sp_fft.irfft(np.stack([fs[0] * fy[0], fs[1] * fy[0], fs[0] * fy[1]]), size, axis=1)
            out[:, j0:j0 + lags] += both[:, :lags]
    return out[0], out[1], out[2]
