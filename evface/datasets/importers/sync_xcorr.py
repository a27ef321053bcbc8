"""Synchronisation by cross-correlation (estimated): the event rate against the RGB frame-difference
energy.

Both follow the scene's motion. A frame shows the scene averaged over its exposure, so the
difference of frames ``k`` and ``k + 1`` follows the events weighted as those averages weigh them:
with ``N(t)`` the cumulative event count, ``A_k`` its mean over frame ``k``'s exposure
``[t_k, t_k + e_k)`` (shifted into the sensor clock by a candidate offset ``d``), the events of the
pair are ``A_{k+1} - A_k`` (a trapezoid weight rising over one exposure and falling over the next;
the plain count between exposure starts when ``e = 0``). They are correlated (Pearson) with the mean
absolute grey-level difference of the frames; ``d`` is scanned on a coarse grid, then refined and
interpolated to sub-bin precision. ``N`` and its integral come from the cumulative event-count
histogram interpolated linearly (:mod:`~evface.datasets.importers.sync_counts`), so the search never
revisits the events. The coarse scan is estimated by FFT (every pair taken as one of the median
period and exposure, so the sums over the frames at every offset are cross-correlations:
:mod:`~evface.datasets.importers.sync_fft`); the estimate's highest maxima, climbed to the exact
correlation's, the shoulders of the peak and the fine grid are scored exactly, frame by frame: the
result is that of scoring every coarse offset exactly, unless the peak or the runner-up is a maximum
of the exact correlation that no climb reaches from the estimate's EXACT_PEAKS highest (seen on no
test, noise included). The confidence is ``r_peak * (r_peak - r_alt) / (1 - r_alt)`` (clipped to
[0, 1]), where ``r_alt`` is the best correlation more than one frame period away from the peak:
close to 1 for a single sharp peak, close to 0 for a flat or ambiguous correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evface.datasets.importers.sync import SyncError, SyncResult
from evface.datasets.importers.sync_counts import CountGrid, EventRate
from evface.datasets.importers.sync_fft import coarse_scores_by_fft, overlap_sums
from evface.errors import ParameterError, where

SCORE_ELEMENTS = 1 << 20
"""Exact cross-correlation scores are computed in blocks of at most this many frame-offset pairs (an
hour of 30 fps video: 9 offsets, 8 MB an array, about ten of them at once; 256 offsets a block
peaked at 3.3 GB, 38 at 590 MB with the hour's count grid)."""
EXACT_PEAKS = 16
"""The cross-correlation scores exactly the coarse offsets at this many of the FFT estimate's highest
local maxima (and their neighbours), the shoulders of the peak and the fine grid around it."""


def frame_difference_energy(gray: np.ndarray) -> np.ndarray:
    """Mean absolute difference between consecutive grey frames: ``(N, H, W) -> (N - 1,)`` float64."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 3 or gray.shape[0] < 2:
        raise ParameterError(f"need at least two (H, W) frames, got shape {gray.shape}")
    return np.abs(np.diff(gray, axis=0)).mean(axis=(1, 2)).astype(np.float64)


def sync_by_xcorr(
    rate: EventRate,
    frame_t_us: np.ndarray,
    energy: np.ndarray,
    *,
    exposure_us: int | np.ndarray = 0,
    guess_us: int = 0,
    max_offset_us: int = 5_000_000,
    coarse_step_us: int = 1000,
    min_pairs: int = 10,
    source: str | None = None,
) -> SyncResult:
    """Estimate the offset by correlating event counts with the RGB frame-difference energy.

    The steps: the inputs checked, the search span where a frame meets the event stream, the coarse
    scan (estimated by FFT, its highest maxima climbed exactly), the peak refined on the fine grid,
    the runner-up more than one frame period away, the confidence from the two.

    Parameters
    ----------
    rate : EventRate
        The event camera's event-count histogram (sensor clock).
    frame_t_us : (N,) int64
        RGB exposure starts (session clock).
    energy : (N - 1,) float
        :func:`frame_difference_energy` of the frames.
    exposure_us : int or (N,) int
        RGB exposure time (one, or one per frame): each frame stands for the events' mean over
        its exposure (module docstring).
    guess_us, max_offset_us : int
        Search ``guess_us +- max_offset_us``, as far as an offset puts a frame inside the event stream.
    coarse_step_us : int
        Grid step of the first scan; the refinement goes down to a tenth of ``rate.bin_us``.

    Returns
    -------
    SyncResult with ``method="xcorr"``, the confidence, the peak correlation and the
    correlation of the runner-up in ``details``.
    """
    frame_t, energy, exposure = _checked_inputs(frame_t_us, energy, exposure_us, max_offset_us, coarse_step_us)
    period = float(np.median(np.diff(frame_t)))
    grid = CountGrid.of(rate, exposure)
    start, stop = _search_span(rate, frame_t, guess_us, max_offset_us, coarse_step_us, source)
    scan = _coarse_scan(grid, frame_t, energy, np.arange(start, stop + 1, coarse_step_us, dtype=np.float64), min_pairs)
    exact = _exact_maxima(scan, coarse_step_us, period)
    if max(exact.values()) <= -1.0:
        raise SyncError(where(source, _too_few_pairs(rate, frame_t, period, guess_us, max_offset_us, min_pairs)))
    best = max(exact, key=lambda j: (exact[j], -j))
    offset, r_peak = _refined_peak(scan, scan.coarse[best], coarse_step_us, max(rate.bin_us / 10.0, 1.0))
    r_alt = _runner_up(scan, exact, offset, period)
    return SyncResult(int(round(offset)), "xcorr", _confidence(r_peak, r_alt), {
        "r_peak": r_peak, "r_alt": r_alt, "search_us": [start, stop],
        "exposure_us": int(np.median(exposure_us)),
    })


@dataclass(frozen=True)
class _CoarseScan:
    """The coarse scan and what every exact score needs: the frames (exposure starts, float64 µs),
    their energy and the count grid; the coarse offsets searched, the frame pairs each overlaps with
    their energies' sums (:func:`~evface.datasets.importers.sync_fft.overlap_sums`) and the fewest
    pairs an offset must overlap to compete."""

    frame_t: np.ndarray
    energy: np.ndarray
    grid: CountGrid
    coarse: np.ndarray
    sums: np.ndarray
    least: int

    def scores(self, offsets: np.ndarray) -> np.ndarray:
        """The exact correlations at the ``offsets`` (µs)."""
        return _exact_scores(offsets, self.frame_t, self.energy, self.grid, self.least)[0]

    def coarse_scores(self, j: np.ndarray) -> np.ndarray:
        """The exact correlations at the coarse offsets of indices ``j``."""
        return self.scores(self.coarse[j])


def _checked_inputs(frame_t_us: np.ndarray, energy: np.ndarray, exposure_us: int | np.ndarray, max_offset_us: int,
                    coarse_step_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frames' exposure starts, their energy and their exposures (one per frame) as float64,
    or a :class:`ParameterError` naming the argument that does not fit."""
    frame_t = np.asarray(frame_t_us, dtype=np.float64)
    energy = np.asarray(energy, dtype=np.float64)
    if energy.shape != (frame_t.size - 1,):
        raise ParameterError(f"energy has shape {energy.shape}, expected ({frame_t.size - 1},) for {frame_t.size} frames")
    if max_offset_us <= 0 or coarse_step_us <= 0:
        raise ParameterError("max_offset_us and coarse_step_us must be positive")
    exposure = np.broadcast_to(np.asarray(exposure_us, dtype=np.float64), frame_t.shape)
    if np.any(exposure < 0):
        raise ParameterError("exposure_us must not be negative")
    return frame_t, energy, exposure


def _search_span(rate: EventRate, frame_t: np.ndarray, guess_us: int, max_offset_us: int, coarse_step_us: int,
                 source: str | None) -> tuple[int, int]:
    """The first and last offset searched: the points of the grid ``guess_us - max_offset_us + i *
    coarse_step_us`` up to ``guess_us + max_offset_us`` that put a frame inside the event stream (a
    search half-width of years, or 10**30 µs, would otherwise scan without end); a
    :class:`SyncError` when there are none."""
    first = int(guess_us) - int(max_offset_us)
    start = first + max(0, -(-(math.floor(frame_t.min() - rate.t_end_us) - first) // coarse_step_us)) * coarse_step_us
    stop = min(int(guess_us) + int(max_offset_us), math.ceil(frame_t.max() - rate.t0_us))
    if start > stop:
        raise SyncError(where(source, (
            f"the event stream and the RGB video overlap in no frame for any offset within {guess_us} +- "
            f"{max_offset_us} µs ({_spans(rate, frame_t)}); give an offset or a better guess")))
    return start, stop


def _too_few_pairs(rate: EventRate, frame_t: np.ndarray, period: float, guess_us: int, max_offset_us: int,
                   min_pairs: int) -> str:
    """Why no offset competes, and what to give: an event stream shorter than ``min_pairs`` frame
    periods can meet no more frame pairs at any offset (a 96 ms recording against a 30 fps video:
    was "give an offset or a better guess", which no guess could satisfy)."""
    said = (f"the event stream and the RGB video overlap in fewer than {min_pairs} frame pairs for every offset "
            f"within {guess_us} +- {max_offset_us} µs")
    events_us = rate.t_end_us - rate.t0_us
    if events_us < min_pairs * period:
        return (f"{said}: the events last {events_us} µs, {events_us / period:.1f} RGB frame periods, too short to "
                f"cross-correlate ({min_pairs} frame pairs needed); record a longer stretch, or give the offset")
    return f"{said} ({_spans(rate, frame_t)}); give an offset or a better guess"


def _spans(rate: EventRate, frame_t: np.ndarray) -> str:
    """Where the events and the frames lie on their clocks, and the offset that starts the events
    at the first frame: what a search that found no overlap needs to be centred (an event camera's
    clock at 913 s, or UNIX-epoch AEDAT 4 times, lies far outside a search around 0).

    Examples
    --------
    >>> rate = EventRate(913_716_224, 100, np.ones(959, dtype=np.int64))
    >>> _spans(rate, np.array([0.0, 33_367.0, 9_142_558.0]))
    'the events span 913716224..913812124 µs on their clock, the RGB frames 0..9142558 µs on the session clock: an offset of -913716224 µs starts the events at the first frame'
    """
    first = int(frame_t.min())
    return (f"the events span {rate.t0_us}..{rate.t_end_us} µs on their clock, the RGB frames {first}.."
            f"{int(frame_t.max())} µs on the session clock: an offset of {first - rate.t0_us} µs starts the events "
            "at the first frame")


def _coarse_scan(grid: CountGrid, frame_t: np.ndarray, energy: np.ndarray, coarse: np.ndarray,
                 min_pairs: int) -> _CoarseScan:
    """The coarse offsets with the frame pairs each overlaps, and the fewest pairs that compete: an
    offset that overlaps the two streams in a few frames can correlate perfectly by chance (two
    series with one shared spike), so only offsets that overlap them in at least half of the most
    frame pairs any offset reaches (and ``min_pairs``) compete."""
    sums = overlap_sums(coarse, frame_t, grid.exposure, energy, grid.rate)
    least = max(min_pairs, int(np.ceil(sums[0].max() / 2)))
    return _CoarseScan(frame_t, energy, grid, coarse, sums, least)


def _exact_maxima(scan: _CoarseScan, coarse_step_us: int, period: float) -> dict[int, float]:
    """Coarse index -> exact correlation, at the highest maxima of the coarse scan's FFT estimate
    (frames of the median ``period``) climbed to the exact correlation's (:func:`_candidates`,
    :func:`_climb`)."""
    estimate = coarse_scores_by_fft(scan.coarse, coarse_step_us, scan.frame_t, scan.energy, scan.grid, period,
                                    scan.sums, scan.least)
    exact: dict[int, float] = {}
    _climb(exact, _candidates(estimate), scan.coarse_scores, scan.coarse.size)
    return exact


def _refined_peak(scan: _CoarseScan, centre: float, coarse_step_us: int, fine_step: float) -> tuple[float, float]:
    """The offset of the highest exact correlation on the fine grid (steps of ``fine_step``) two
    coarse steps either side of ``centre``, interpolated between grid points by a parabola through
    the peak and its neighbours; and that correlation."""
    fine = np.arange(centre - 2 * coarse_step_us, centre + 2 * coarse_step_us + fine_step, fine_step)
    r_fine = scan.scores(fine)
    k = int(np.argmax(r_fine))
    offset = fine[k]
    if 0 < k < fine.size - 1:
        y0, y1, y2 = r_fine[k - 1], r_fine[k], r_fine[k + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            offset += 0.5 * (y0 - y2) / denom * fine_step
    return offset, float(r_fine[k])


def _runner_up(scan: _CoarseScan, exact: dict[int, float], offset: float, period: float) -> float:
    """The best exact correlation at a coarse offset more than one frame ``period`` from ``offset``
    (-1 if none), the shoulders of the peak scored and climbed into ``exact`` first."""
    far = np.abs(scan.coarse - offset) > period
    _climb(exact, _shoulders(far), scan.coarse_scores, scan.coarse.size)
    return max((r for j, r in exact.items() if far[j]), default=-1.0)


def _confidence(r_peak: float, r_alt: float) -> float:
    """``r_peak * (r_peak - r_alt) / (1 - r_alt)`` clipped to [0, 1] (module docstring).

    Examples
    --------
    >>> _confidence(0.9, 0.0), _confidence(0.5, 0.5), _confidence(-0.2, -1.0)
    (0.81, 0.0, 0.0)
    """
    return float(np.clip(max(r_peak, 0.0) * (r_peak - r_alt) / max(1.0 - r_alt, 1e-9), 0.0, 1.0))


def _exact_scores(offsets: np.ndarray, frame_t: np.ndarray, energy: np.ndarray, grid: CountGrid,
                  least: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlation (-1 below ``least`` frame pairs) of each frame pair's events ``A_{k+1} - A_k``
    with the energy, and the frame pairs in the overlap, per offset: every frame looked up at every
    offset, in blocks of at most SCORE_ELEMENTS frame-offset pairs."""
    block = min(256, max(1, SCORE_ELEMENTS // frame_t.size))  # offsets scored at once
    rate, exposure = grid.rate, grid.exposure
    out, pairs = np.full(offsets.size, -1.0), np.zeros(offsets.size)
    for lo in range(0, offsets.size, block):
        starts = frame_t[None, :] - offsets[lo:lo + block, None]
        counts = np.diff(grid.mean_count(starts), axis=1)
        w = ((starts[:, :-1] >= rate.t0_us) & (starts[:, 1:] + exposure[1:] <= rate.t_end_us)).astype(np.float64)
        out[lo:lo + block] = _weighted_pearson(counts, energy[None, :], w, least)
        pairs[lo:lo + block] = w.sum(axis=1)
    return out, pairs


def _climb(exact: dict[int, float], start: np.ndarray, score, size: int) -> None:
    """Score the offsets ``start`` of a grid of ``size`` (``score(indices) -> correlations``) into
    ``exact``, then climb: the unscored neighbours of every scored offset that no scored neighbour
    beats are scored too, until each such offset is a local maximum of the exact correlation (the
    FFT estimate's maxima can sit a step or two from the exact ones).

    Examples
    --------
    >>> r = np.array([0.0, 0.1, 0.2, 0.3, 0.9, 0.5, 0.4])
    >>> exact = {}
    >>> _climb(exact, np.array([1]), lambda j: r[j], r.size)
    >>> max(exact, key=exact.get), sorted(exact)
    (4, [0, 1, 2, 3, 4, 5])
    """
    todo = np.unique(start)
    while todo.size:
        exact.update(zip(todo.tolist(), np.asarray(score(todo), dtype=np.float64).tolist(), strict=True))
        tops = [j for j, r in exact.items() if all(exact.get(m, -np.inf) <= r for m in (j - 1, j + 1))]
        todo = np.array(sorted({n for j in tops for n in (j - 1, j + 1) if 0 <= n < size and n not in exact}),
                        dtype=np.int64)


def _candidates(r: np.ndarray) -> np.ndarray:
    """Coarse offsets whose exact correlation decides the peak and the runner-up: the EXACT_PEAKS
    highest local maxima of the FFT estimate ``r``, each with its two neighbours (sorted indices).

    Examples
    --------
    >>> _candidates(np.array([0.1, 0.5, 0.2, 0.3, 0.9, 0.4])).tolist()
    [0, 1, 2, 3, 4, 5]
    """
    left = np.concatenate([[True], r[1:] >= r[:-1]])
    right = np.concatenate([r[:-1] >= r[1:], [True]])
    peaks = np.flatnonzero(left & right)
    top = peaks[np.argsort(-r[peaks], kind="stable")[:EXACT_PEAKS]]
    return np.unique(np.clip(np.concatenate([top - 1, top, top + 1]), 0, r.size - 1))


def _shoulders(far: np.ndarray) -> np.ndarray:
    """The coarse offsets just beyond one frame period of the peak, on either side (``far`` marks
    those beyond): the runner-up is there when it is the main peak's own slope.

    Examples
    --------
    >>> _shoulders(np.array([True, True, False, False, True, True, True])).tolist()
    [0, 1, 4, 5]
    """
    near = np.flatnonzero(~far)
    if not near.size:
        return np.zeros(0, dtype=np.int64)
    out = np.array([near[0] - 2, near[0] - 1, near[-1] + 1, near[-1] + 2])
    return out[(out >= 0) & (out < far.size)]


def _weighted_pearson(a: np.ndarray, b: np.ndarray, w: np.ndarray, min_pairs: int) -> np.ndarray:
    """Row-wise Pearson correlation of ``a`` and ``b`` over the entries where ``w`` is 1.

    Rows with fewer than ``min_pairs`` such entries, or without variance, give -1.
    """
    n = w.sum(axis=1)
    safe = np.maximum(n, 1)
    b = np.broadcast_to(b, a.shape)
    am = (a * w).sum(axis=1) / safe
    bm = (b * w).sum(axis=1) / safe
    da = (a - am[:, None]) * w
    db = (b - bm[:, None]) * w
    denom = np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    r = np.where(denom > 0, (da * db).sum(axis=1) / np.where(denom > 0, denom, 1), -1.0)
    return np.where(n >= min_pairs, r, -1.0)
