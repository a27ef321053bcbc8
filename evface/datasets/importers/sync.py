"""Time synchronisation of an event camera with the RGB camera.

The session clock is the RGB camera's: frame ``k`` starts its exposure at ``frame_t_us[k]``. An
event camera has its own clock; ``offset_us`` (and, from triggers, a drift) maps it onto the
session clock::

    t_session = t_sensor + offset_us + drift_ppm * 1e-6 * (t_sensor - t_ref_us)

Three ways to get ``offset_us``, in order of preference:

1. **Trigger** (exact): the RGB camera's exposure-start pulse (strobe / flash out) is wired to
   the event camera's trigger input, so the event file holds one external-trigger event per RGB
   frame. Prophesee EVT2 / EVT3 ``.raw`` files store them as ``EXT_TRIGGER`` words (type
   ``0xA``; EVT3: channel id in bits 11..8, edge in bit 0, time from the ``EVT_TIME_HIGH`` /
   ``EVT_TIME_LOW`` state; EVT2: channel id in bits 12..8, edge in bit 0, time low in bits
   27..22); faery's EVT decoder returns them with the full time reconstruction, including the
   24-bit EVT3 time wrap. AEDAT4 files store them in a ``triggers`` track (external input on
   channel 0, external generator on channel 1). Rising edge ``i`` of
   the chosen channel is paired with RGB frame ``first_frame + i``. When the per-pair offsets agree
   within 2 µs the offset is their median (exact when the pulses are); otherwise the two clocks
   drift apart (crystal tolerances are tens of ppm, a millisecond a minute at worst) and a line
   ``offset(t) = b + k (t - t_ref)`` is fitted, which every pair must follow within
   ``tolerance_us`` (a quarter of a frame period), with ``|k|`` at most 1000 ppm.
2. **Given**: the user states the offset.
3. **Cross-correlation** (estimated): the event rate and the RGB frame-difference energy both
   follow the scene's motion. A frame shows the scene averaged over its exposure, so the
   difference of frames ``k`` and ``k + 1`` follows the events weighted as those averages weigh
   them: with ``N(t)`` the cumulative event count, ``A_k`` its mean over frame ``k``'s exposure
   ``[t_k, t_k + e_k)`` (shifted into the sensor clock by a candidate offset ``d``), the events of
   the pair are ``A_{k+1} - A_k`` (a trapezoid weight rising over one exposure and falling over
   the next; the plain count between exposure starts when ``e = 0``). They are correlated
   (Pearson) with the mean absolute grey-level difference of the frames; ``d`` is scanned on a
   coarse grid, then refined and interpolated to sub-bin precision. ``N`` and its integral come
   from the cumulative event-count histogram interpolated linearly, so the search never revisits
   the events. The coarse scan is estimated by FFT (every pair taken as one of the median period
   and exposure, so the sums over the frames at every offset are cross-correlations); the
   estimate's highest maxima, climbed to the exact correlation's, the shoulders of the peak and
   the fine grid are scored exactly, frame by frame: the result is that of scoring every coarse
   offset exactly, unless the peak or the runner-up is a maximum of the exact correlation that no
   climb reaches from the estimate's EXACT_PEAKS highest (seen on no test, noise included). The
   confidence is ``r_peak * (r_peak - r_alt) / (1 - r_alt)`` (clipped to [0, 1]), where ``r_alt``
   is the best correlation more than one frame period away from the peak: close to 1 for a single
   sharp peak, close to 0 for a flat or ambiguous correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import fft as sp_fft

from evface.errors import DatasetError, FormatError, ParameterError, where
from evface.io.aedat4 import check_aedat4
from evface.io.event_reader import EventsFileReader
from evface.io.formats import detect_format

MAX_DRIFT_PPM = 1000.0
"""Clock drift beyond this (0.1 %) is taken as a pairing error, not as drift."""
SCORE_ELEMENTS = 1 << 20
"""Exact cross-correlation scores are computed in blocks of at most this many frame-offset pairs (an
hour of 30 fps video: 9 offsets, 8 MB an array, about ten of them at once; 256 offsets a block
peaked at 3.3 GB, 38 at 590 MB with the hour's count grid)."""
EXACT_PEAKS = 16
"""The cross-correlation scores exactly the coarse offsets at this many of the FFT estimate's highest
local maxima (and their neighbours), the shoulders of the peak and the fine grid around it."""
FFT_BLOCK = 1 << 18
"""The FFT estimate correlates blocks of this many grid points against as many offsets (8 MB FFTs)."""
GRID_BLOCK = 1 << 18
"""The integral of the cumulative event count is built in blocks of this many bins (2 MB)."""
JITTER_US = 2
"""Per-pair offsets that spread by at most this much are taken as one constant offset (exact)."""
TRIGGER_DTYPE = np.dtype([("t", "<i8"), ("channel", "u1"), ("rising", "?")])
"""External trigger events: time in µs (sensor clock), input channel, rising (True) or falling edge."""


class SyncError(DatasetError):
    """Synchronisation failed: no usable triggers, or an estimate without confidence."""


@dataclass(frozen=True)
class SyncResult:
    """How one event camera's clock maps onto the session clock.

    ``t_session = t + offset_us + drift_ppm * 1e-6 * (t - t_ref_us)`` (``t`` on the sensor
    clock); without drift this is the exact integer ``t + offset_us``.
    """

    offset_us: int
    method: str
    confidence: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)
    drift_ppm: float = 0.0
    t_ref_us: int = 0

    def to_session_us(self, t_us: np.ndarray) -> np.ndarray:
        """Sensor times -> session times (int64, rounded to the µs under drift)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t + self.offset_us
        return t + self.offset_us + np.round(self.drift_ppm * 1e-6 * (t - self.t_ref_us)).astype(np.int64)

    def to_sensor_us(self, t_us: np.ndarray | int) -> np.ndarray:
        """Session times -> sensor times (the inverse of :meth:`to_session_us`, rounded)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t - self.offset_us
        k = self.drift_ppm * 1e-6
        return np.round(self.t_ref_us + (t - self.offset_us - self.t_ref_us) / (1.0 + k)).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``dataset.json`` and clip calibration."""
        return {"offset_us": int(self.offset_us), "method": self.method, "confidence": float(self.confidence),
                "drift_ppm": float(self.drift_ppm), "t_ref_us": int(self.t_ref_us), **self.details}


def read_triggers(path: str | Path, sensor_size: tuple[int, int] | None = None) -> np.ndarray:
    """External trigger events of an event file (``.raw`` EVT2/EVT3 or ``.aedat4``).

    Other formats (and EVT 2.1, which faery 0.7.1 cannot decode; evface decodes its CD events
    itself but not its trigger words) give an empty array. ``sensor_size`` is for a ``.raw``
    header without a size line; by default it is what evface's reader infers (the plugin name).

    Returns
    -------
    ndarray of TRIGGER_DTYPE, sorted by time.
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError(where(path, "no such file"))
    fmt = detect_format(path)
    chunks: list[np.ndarray] = []
    try:
        if fmt in ("evt2", "evt3"):
            from faery import evt

            size = sensor_size or EventsFileReader(path).sensor_size
            with evt.Decoder(path, size, None) as decoder:
                for packet in decoder:
                    trig = packet.get("triggers")
                    if trig is not None and len(trig):
                        out = np.empty(len(trig), dtype=TRIGGER_DTYPE)
                        out["t"] = trig["t"]
                        out["channel"] = trig["source"] if "source" in trig.dtype.names else trig["id"]
                        out["rising"] = trig["rising"]
                        chunks.append(out)
        elif fmt == "aedat4":
            from faery import aedat

            check_aedat4(path)

            with aedat.Decoder(path) as decoder:
                ids = {t.id for t in decoder.tracks() if t.data_type == "triggers"}
                if ids:
                    for track, packet in decoder:
                        if track.id in ids and len(packet):
                            chunks.append(_aedat_triggers(packet))
    except FormatError:
        raise
    except Exception as exc:  # faery raises plain exceptions on bad files
        raise FormatError(where(path, f"cannot read trigger events ({exc})")) from exc
    if not chunks:
        return np.zeros(0, dtype=TRIGGER_DTYPE)
    out = np.concatenate(chunks)
    return out[np.argsort(out["t"], kind="stable")]


_AEDAT_TRIGGERS = {1: (0, True), 2: (0, False), 3: (0, True), 4: (1, True), 5: (1, False)}
"""AEDAT4 trigger types (dv ``TriggerType``) kept: external input rising edge / falling edge / pulse
(channel 0), external generator rising / falling edge (channel 1). Timestamp resets and APS frame
or exposure markers are dropped."""


def _aedat_triggers(packet: np.ndarray) -> np.ndarray:
    """AEDAT4 trigger packets (``t``, ``source`` = dv TriggerType) as TRIGGER_DTYPE."""
    source = packet["source"].astype(np.int64)
    keep = np.isin(source, list(_AEDAT_TRIGGERS))
    out = np.zeros(int(keep.sum()), dtype=TRIGGER_DTYPE)
    out["t"] = packet["t"][keep]
    out["channel"] = [_AEDAT_TRIGGERS[int(s)][0] for s in source[keep]]
    out["rising"] = [_AEDAT_TRIGGERS[int(s)][1] for s in source[keep]]
    return out


def sync_from_triggers(
    trigger_t_us: np.ndarray,
    frame_t_us: np.ndarray,
    *,
    first_frame: int = 0,
    tolerance_us: int | None = None,
    source: str | None = None,
) -> SyncResult:
    """Offset from trigger pulses paired one-to-one with RGB frames.

    Parameters
    ----------
    trigger_t_us : (M,) int64
        Times of the rising edges (sensor clock), sorted.
    frame_t_us : (N,) int64
        Exposure starts of the RGB frames (session clock).
    first_frame : int
        The RGB frame that the first pulse belongs to.
    tolerance_us : int, optional
        Largest allowed spread of the per-pair offsets (default: a quarter of the frame period).

    Examples
    --------
    >>> sync_from_triggers(np.array([100, 133433, 266766]), np.array([5000, 138333, 271666])).offset_us
    4900
    """
    if isinstance(first_frame, bool) or not isinstance(first_frame, (int, np.integer)) or first_frame < 0:
        raise ParameterError(f"first_frame is the RGB frame index of the first pulse, >= 0; got {first_frame!r}")
    trig = np.asarray(trigger_t_us, dtype=np.int64)
    frames = np.asarray(frame_t_us, dtype=np.int64)[first_frame:]  # a negative index would count from the end
    if trig.size == 0:
        raise SyncError(where(source, "no trigger events in the event file; give an offset or use cross-correlation"))
    if frames.size == 0:
        raise SyncError(where(source, f"first_frame={first_frame} is past the last RGB frame"))
    n = min(trig.size, frames.size)
    offsets = frames[:n] - trig[:n]
    if tolerance_us is None:
        period = int(np.median(np.diff(frames))) if frames.size > 1 else 0
        tolerance_us = max(period // 4, 1)
    details = {"pairs": int(n), "n_triggers": int(trig.size), "n_frames": int(frames.size), "first_frame": int(first_frame)}
    spread = int(offsets.max() - offsets.min())
    if spread <= JITTER_US:
        return SyncResult(int(np.round(np.median(offsets))), "trigger", 1.0, {**details, "spread_us": spread})
    # Clocks drift apart (crystal tolerances are tens of ppm): fit offset(t) = b + k (t - t_ref).
    t_ref = int(trig[0])
    dt = (trig[:n] - t_ref).astype(np.float64)
    k, b = np.polyfit(dt, offsets.astype(np.float64), 1) if n > 1 else (0.0, float(offsets[0]))
    residual = offsets - (b + k * dt)
    worst = int(np.argmax(np.abs(residual)))
    if abs(residual[worst]) > tolerance_us or abs(k) * 1e6 > MAX_DRIFT_PPM:
        far = np.flatnonzero(np.abs(offsets - offsets[0]) > tolerance_us)
        j = int(far[0]) if far.size else worst
        raise SyncError(where(source, (
            f"trigger pulses do not match the RGB frames: {trig.size} pulses vs {frames.size} frames, "
            f"pair {j} is off from pair 0 by {int(offsets[j] - offsets[0])} µs, more than a clock drift explains "
            f"(tolerance {tolerance_us} µs); check the trigger channel, the first frame and the frame timestamps")))
    return SyncResult(int(round(b)), "trigger", 1.0, {**details, "spread_us": spread,
                                                      "residual_us": float(np.abs(residual).max())},
                      drift_ppm=float(k * 1e6), t_ref_us=t_ref)


def frame_difference_energy(gray: np.ndarray) -> np.ndarray:
    """Mean absolute difference between consecutive grey frames: ``(N, H, W) -> (N - 1,)`` float64."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 3 or gray.shape[0] < 2:
        raise ParameterError(f"need at least two (H, W) frames, got shape {gray.shape}")
    return np.abs(np.diff(gray, axis=0)).mean(axis=(1, 2)).astype(np.float64)


@dataclass(frozen=True)
class EventRate:
    """Event counts in bins of ``bin_us`` starting at ``t0_us`` (sensor clock)."""

    t0_us: int
    bin_us: int
    counts: np.ndarray

    @classmethod
    def from_times(cls, t_us: np.ndarray, bin_us: int = 100, t0_us: int | None = None, t1_us: int | None = None) -> "EventRate":
        """Histogram of event times (use :meth:`accumulate` to build one in chunks)."""
        t_us = np.asarray(t_us, dtype=np.int64)
        t0 = int(t_us[0]) if t0_us is None else int(t0_us)
        t1 = int(t_us[-1]) + 1 if t1_us is None else int(t1_us)
        n = max(1, -(-(t1 - t0) // bin_us))
        rate = cls(t0, bin_us, np.zeros(n, dtype=np.int64))
        return rate.accumulate(t_us)

    def accumulate(self, t_us: np.ndarray) -> "EventRate":
        """Add the events with times ``t_us`` (in place on ``counts``); times outside are dropped."""
        idx = (np.asarray(t_us, dtype=np.int64) - self.t0_us) // self.bin_us
        idx = idx[(idx >= 0) & (idx < self.counts.size)]
        self.counts[:] += np.bincount(idx, minlength=self.counts.size)[: self.counts.size]
        return self

    @property
    def t_end_us(self) -> int:
        return self.t0_us + self.bin_us * self.counts.size


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
    frame_t = np.asarray(frame_t_us, dtype=np.float64)
    energy = np.asarray(energy, dtype=np.float64)
    if energy.shape != (frame_t.size - 1,):
        raise ParameterError(f"energy has shape {energy.shape}, expected ({frame_t.size - 1},) for {frame_t.size} frames")
    if max_offset_us <= 0 or coarse_step_us <= 0:
        raise ParameterError("max_offset_us and coarse_step_us must be positive")
    exposure = np.broadcast_to(np.asarray(exposure_us, dtype=np.float64), frame_t.shape)
    if np.any(exposure < 0):
        raise ParameterError("exposure_us must not be negative")
    period = float(np.median(np.diff(frame_t)))
    grid = _CountGrid.of(rate, exposure)

    # Only offsets that put a frame inside the event stream can pair the two: the search grid's points
    # in that span (a search half-width of years, or 10**30 µs, would otherwise scan without end).
    first = int(guess_us) - int(max_offset_us)
    start = first + max(0, -(-(math.floor(frame_t.min() - rate.t_end_us) - first) // coarse_step_us)) * coarse_step_us
    stop = min(int(guess_us) + int(max_offset_us), math.ceil(frame_t.max() - rate.t0_us))
    if start > stop:
        raise SyncError(where(source, (
            f"the event stream and the RGB video overlap in no frame for any offset within {guess_us} +- "
            f"{max_offset_us} µs; give an offset or a better guess")))
    coarse = np.arange(start, stop + 1, coarse_step_us, dtype=np.float64)
    # An offset that overlaps the two streams in a few frames can correlate perfectly by chance (two
    # series with one shared spike): only offsets that overlap them in at least half of the most
    # frame pairs any offset reaches compete.
    sums = _overlap_sums(coarse, frame_t, exposure, energy, rate)
    least = max(min_pairs, int(np.ceil(sums[0].max() / 2)))
    r_coarse = _coarse_by_fft(coarse, coarse_step_us, frame_t, energy, grid, period, sums, least)

    def exact_at(j: np.ndarray) -> np.ndarray:
        """The exact correlations at the coarse offsets ``j``."""
        return _exact_scores(coarse[j], frame_t, energy, grid, least)[0]

    exact: dict[int, float] = {}
    _climb(exact, _candidates(r_coarse), exact_at, coarse.size)
    if max(exact.values()) <= -1.0:
        raise SyncError(where(source, (
            f"the event stream and the RGB video overlap in fewer than {min_pairs} frame pairs for every "
            f"offset within {guess_us} +- {max_offset_us} µs; give an offset or a better guess")))
    best = max(exact, key=lambda j: (exact[j], -j))
    fine_step = max(rate.bin_us / 10.0, 1.0)
    fine = np.arange(coarse[best] - 2 * coarse_step_us, coarse[best] + 2 * coarse_step_us + fine_step, fine_step)
    r_fine = _exact_scores(fine, frame_t, energy, grid, least)[0]
    k = int(np.argmax(r_fine))
    offset = fine[k]
    if 0 < k < fine.size - 1:
        y0, y1, y2 = r_fine[k - 1], r_fine[k], r_fine[k + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            offset += 0.5 * (y0 - y2) / denom * fine_step
    r_peak = float(r_fine[k])
    far = np.abs(coarse - offset) > period
    _climb(exact, _shoulders(far), exact_at, coarse.size)
    r_alt = max((r for j, r in exact.items() if far[j]), default=-1.0)
    confidence = float(np.clip(max(r_peak, 0.0) * (r_peak - r_alt) / max(1.0 - r_alt, 1e-9), 0.0, 1.0))
    return SyncResult(int(round(offset)), "xcorr", confidence, {
        "r_peak": r_peak, "r_alt": r_alt, "search_us": [start, stop],
        "exposure_us": int(np.median(exposure_us)),
    })


@dataclass(frozen=True)
class _CountGrid:
    """The cumulative event count ``N`` (kept only when some exposure is 0) and its integral on the
    histogram's bin edges, and the RGB exposures: ``A_k``, N averaged over frame ``k``'s exposure,
    for any frame start (module docstring)."""

    rate: EventRate
    cum: np.ndarray | None
    area: np.ndarray
    exposure: np.ndarray

    @classmethod
    def of(cls, rate: EventRate, exposure: np.ndarray) -> "_CountGrid":
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
        mean[..., ~open_] = _on_grid(start[..., ~open_], t0, step, self.cum)
        return mean


def _exact_scores(offsets: np.ndarray, frame_t: np.ndarray, energy: np.ndarray, grid: _CountGrid,
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
        exact.update(zip(todo.tolist(), np.asarray(score(todo), dtype=np.float64).tolist()))
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


def _overlap_sums(offsets: np.ndarray, frame_t: np.ndarray, exposure: np.ndarray, energy: np.ndarray,
                  rate: EventRate) -> np.ndarray:
    """Per offset, the number of frame pairs in the overlap and their energies' sum and sum of
    squares, ``(3, offsets.size)``. Pair ``k`` is in the overlap when its first frame starts at or
    after the events' start and its second frame's exposure ends by their end: for offsets from
    ``t_{k+1} + e_{k+1} - t_end`` to ``t_k - t0``, so the sums are cumulative sums over the pairs
    sorted by those two bounds (no frame-offset pair is visited).

    Examples
    --------
    >>> rate = EventRate(0, 100, np.ones(10, dtype=np.int64))  # events over [0, 1000) µs
    >>> _overlap_sums(np.array([0.0, 500.0]), np.array([0.0, 300.0, 600.0, 900.0]), np.zeros(4),
    ...               np.array([1.0, 2.0, 3.0]), rate).tolist()
    [[3.0, 1.0], [6.0, 3.0], [14.0, 9.0]]
    """
    lower = frame_t[1:] + exposure[1:] - rate.t_end_us
    upper = frame_t[:-1] - rate.t0_us
    ok = lower <= upper
    lower, upper = lower[ok], upper[ok]
    values = np.stack([np.ones(lower.size), energy[ok], energy[ok] ** 2])
    out = np.zeros((3, offsets.size))
    for bound, sign, side in ((lower, 1.0, "right"), (upper, -1.0, "left")):
        order = np.argsort(bound, kind="stable")
        cums = np.concatenate([np.zeros((3, 1)), np.cumsum(values[:, order], axis=1)], axis=1)
        out += sign * cums[:, np.searchsorted(bound[order], offsets, side=side)]
    return out


def _coarse_by_fft(coarse: np.ndarray, step: int, frame_t: np.ndarray, energy: np.ndarray, grid: _CountGrid,
                   period: float, sums: np.ndarray, least: int) -> np.ndarray:
    """The correlation of :func:`_exact_scores` on the grid ``coarse`` of step ``step``, estimated by FFT.

    Each frame pair's events are taken as ``y(t_k - d)``, the events of a pair of the median period
    and exposure starting at ``t_k - d`` (0 where such a pair leaves the event stream), looked up on
    a grid of the coarse step: the sums over the frames of ``y``, ``y * energy`` and ``y**2`` at
    every coarse offset are cross-correlations of the frames' impulse train with ``y`` and ``y**2``
    (:func:`_correlate_blocks`). The overlap's pair counts and energy sums are exact
    (``sums``, :func:`_overlap_sums`); -1 below ``least`` pairs or without variance.
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
