"""A fast DVS pixel model (v2e / ESIM family) with a streaming API.

Each pixel follows the model documented in ``docs/camera-models.md``:

* log photoreceptor with a linear segment near zero: ``L = lin_log(I)`` (``I`` in lux);
* an intensity-dependent first-order low-pass on ``L`` (cut-off ``cutoff_hz`` at and above
  ``bandwidth_ref_lux``, proportionally lower below; ``cutoff_hz = 0`` disables it);
* per-pixel ON/OFF thresholds drawn once per simulator from N(mean, sigma);
* one event per threshold crossing, several per step when the change spans several thresholds,
  with times interpolated linearly inside the step; a refractory period drops crossings closer
  than ``refractory_us`` to the pixel's previous event (the memorised level still follows);
* optional adaptive sub-stepping (linear interpolation of the input) so that no pixel's log
  change per sub-step exceeds ``substep_fraction`` of its smaller threshold;
* leak events (ON, per-pixel rate with jitter) and shot-noise events (ON/OFF, rate rising in low
  light), drawn as Poisson processes in bulk: the number of events first, then pixels and times.

The numba kernels that run a step over every pixel are in :mod:`evface.sim.dvs_kernels`, the
parameters in :mod:`evface.sim.dvs_params`; this module holds the simulator, which keeps the pixel
state from step to step, checks each frame and draws the noise.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Sized

import numba
import numpy as np

from evface.checks import as_int, real_dtype, sensor_dims, within_memory
from evface.errors import ParameterError, counted
from evface.events.core import SensorSize, empty_events
from evface.kernel_cache import cached_jit
from evface.sim.dvs_kernels import (
    PRM_BWINV,
    PRM_CWDT,
    PRM_DT,
    PRM_GROUPS,
    PRM_INVLIN,
    PRM_INVSUB,
    PRM_LIN,
    PRM_LOGLIN,
    PRM_REFR,
    PRM_T0,
    ST_BASE,
    ST_I_PREV,
    ST_LP,
    ST_THR_OFF,
    ST_THR_ON,
    emit_parallel,
    emit_serial,
    init_log,
    pass1_parallel,
    pass1_serial,
)
from evface.sim.dvs_params import MAX_NOISE_PER_STEP, DvsParams, noise_per_step

MAX_STEP_US = 10_000_000
"""The longest step (µs): a step's events are sorted in 1 µs bins, 16 bytes a bin on one thread."""
MAX_TIME_US = 2**53
"""The largest frame time (µs, either sign; 285 years): the pixel model keeps times as float64,
whole microseconds only up to 2^53."""
STATE_BYTES_PER_PIXEL = 100
"""The memory a simulator holds per pixel (its state arrays, about 85 bytes, and a step's frame)."""
STEP_BYTES_PER_EVENT = 32
"""The memory a step takes per signal event: the overflow buffers of pass 1 (11 bytes), the events
returned (13 bytes) and the sort's slots."""
_UNCHECKED_EVENTS = 1 << 22
"""Steps with more signal events than this (100 MB) are checked against the machine's memory first."""
_PARALLEL_SORT_BINS = 1 << 24
"""The parallel sort keeps a histogram per band of rows: steps that would need more bins than this
(long steps on many threads) sort on one thread."""
PARALLEL_MIN_PIXELS = 32768
"""Arrays with fewer pixels than this run the serial builds of pass 1
(:func:`~evface.sim.dvs_kernels.pass1_serial`) and of the sort (:func:`~evface.sim.dvs_kernels.emit_serial`)."""
PARALLEL_MIN_EVENTS = 16384
"""Steps with fewer events than this (or on one thread) sort them with
:func:`~evface.sim.dvs_kernels.emit_serial`: below it, the parallel regions cost more than they save."""


def _count_bad(frame: np.ndarray) -> int:
    """Number of negative or non-finite values of a float32 frame."""
    return int(frame.size - np.count_nonzero((frame >= 0) & (frame <= np.finfo(np.float32).max)))


_EMPTY = (np.empty(0, np.float64), np.empty(0, np.uint16), np.empty(0, np.uint16), np.empty(0, np.int8))


class DvsSimulator:
    """Streaming DVS simulator.

    Parameters
    ----------
    sensor_size : (width, height)
        Size of the frames passed to :meth:`step`.
    params : DvsParams
        Pixel model parameters (for example ``DvsParams.preset("davis346")``).
    seed : int
        Seeds the threshold mismatch, leak rates and noise; the same seed and inputs give the
        same events.

    Attributes
    ----------
    threshold_on, threshold_off : float32 (H, W)
        The per-pixel thresholds drawn for this instance.
    leak_rate_hz : float32 (H, W)
        The per-pixel leak rates.

    Examples
    --------
    >>> sim = DvsSimulator((4, 3), DvsParams.ideal(0.2), seed=0)
    >>> sim.step(np.full((3, 4), 100, np.float32), 0).size  # the first call initialises
    0
    >>> ev = sim.step(np.full((3, 4), 150, np.float32), 1000)
    >>> int(ev.size), int(ev["p"].min())
    (24, 1)
    """

    def __init__(self, sensor_size: SensorSize, params: DvsParams | None = None, seed: int = 0) -> None:
        self.sensor_size = sensor_dims(sensor_size)
        self.params = DvsParams() if params is None else params
        if not isinstance(self.params, DvsParams):
            raise ParameterError(f"params must be DvsParams, got {type(self.params).__name__}")
        self.seed = as_int("seed", seed, 0)
        width, height = self.sensor_size
        within_memory(STATE_BYTES_PER_PIXEL * width * height, f"sensor_size {width}x{height}: the pixel model's state",
                      "simulate a smaller sensor (evface simulate --sensor, or --roi)")
        rng = np.random.default_rng(self.seed)
        p = self.params
        shape = (height, width)
        per_us = noise_per_step(p, width * height, 1.0)
        self._noisy_dt = MAX_NOISE_PER_STEP / per_us if per_us > 0 else math.inf  # a longer step draws too much
        self._st = np.zeros((5, height, width), np.float32)
        self.threshold_on = self._st[ST_THR_ON]
        self.threshold_off = self._st[ST_THR_OFF]
        self.threshold_on[...] = np.maximum(rng.normal(p.threshold_on_log, p.threshold_on_sigma_log, shape),
                                            p.threshold_min_log)
        self.threshold_off[...] = np.maximum(rng.normal(p.threshold_off_log, p.threshold_off_sigma_log, shape),
                                             p.threshold_min_log)
        leak = np.maximum(p.leak_rate_hz * (1.0 + p.leak_jitter * rng.standard_normal(width * height)), 0.0)
        self.leak_rate_hz = leak.reshape(shape).astype(np.float32)
        self._leak_cdf = np.cumsum(leak)
        self._noise_seed = int(rng.integers(2**63 - 1))
        self._prm = np.zeros(10, np.float64)
        self._prm[PRM_LIN] = np.float32(p.lin_log_lux)
        self._prm[PRM_LOGLIN] = np.float32(math.log(p.lin_log_lux))  # np.log: a TypeError for an int past 2^64
        self._prm[PRM_INVLIN] = np.float32(1.0 / p.lin_log_lux)
        self._prm[PRM_BWINV] = np.float32(1.0 / p.bandwidth_ref_lux)
        self._prm[PRM_REFR] = p.refractory_us
        self._prm[PRM_INVSUB] = 1.0 / p.substep_fraction if p.substep_fraction > 0 else 0.0
        self._cut_w = 2.0 * math.pi * p.cutoff_hz * 1e-6  # rad per µs
        self._lp_old = np.empty(shape, np.float32)
        self._i_old = np.empty(shape, np.float32)
        self._active = np.zeros((height, -(-width // 8) * 8), np.uint8)
        self._px_list = np.empty(shape, np.int32)
        self._saved = np.empty((3, height, width), np.float32)
        self._s_tl = np.empty(shape, np.float64)
        self._rows = np.zeros((3, height), np.int64)
        cap = width + 64  # events a row may hold in pass 1 before it is re-run in _emit_*
        self._row_t = np.empty((height, cap), np.float64)
        self._row_p = np.empty((height, cap), np.int8)
        self._row_x = np.empty((height, cap), np.uint16)
        self._parallel = width * height >= PARALLEL_MIN_PIXELS
        self.reset()

    def reset(self) -> None:
        """Forget the pixel state and restart the noise stream; thresholds are kept."""
        self._st[:ST_THR_ON] = 0.0
        self._tlast = np.full(self._st.shape[1:], -1e300, np.float64)
        self._t_prev: int | None = None
        self._rng = np.random.default_rng(self._noise_seed)

    @property
    def t_us(self) -> int | None:
        """Time of the last frame passed to :meth:`step` (None before the first)."""
        return self._t_prev

    def _bad_frame(self, count: int) -> ParameterError:
        return ParameterError(f"frame_lux has {counted(count, 'negative or non-finite pixel')}; intensities must be lux >= 0")

    def step(self, frame_lux: np.ndarray, t_us: int) -> np.ndarray:
        """Feed the scene at ``t_us``; return the events since the previous call, sorted by t.

        The first call (and the first after :meth:`reset`) only initialises the pixels. A frame
        with negative or non-finite values, or one whose events would take more than half of this
        machine's memory, raises :class:`ParameterError`; the simulator then re-initialises on its
        next call. A frame that holds no real numbers (strings, complex), a
        time that does not increase or one beyond ±:data:`MAX_TIME_US` raise it too, the state kept.

        Parameters
        ----------
        frame_lux : ndarray, shape (H, W)
            Linear scene intensity in lux (>= 0), on the sensor's grid.
        t_us : int
            Time of the frame in µs, later than the previous call's.

        Returns
        -------
        ndarray of EVENT_DTYPE
            The events in (previous ``t_us``, ``t_us``], sorted by t; none on the first call.
        """
        frame = np.asarray(frame_lux)
        if not real_dtype(frame.dtype):
            raise ParameterError(f"frame_lux must hold real numbers (lux), got dtype {frame.dtype}")
        frame = np.ascontiguousarray(frame, dtype=np.float32)
        if frame.shape != self._st.shape[1:]:
            raise ParameterError(
                f"frame_lux must be a (H, W) = {self._st.shape[1:]} array, got shape {np.shape(frame_lux)}"
            )
        t_us = as_int("t_us", t_us)
        if abs(t_us) > MAX_TIME_US:
            raise ParameterError(f"t_us {t_us} lies beyond ±2^53 µs (MAX_TIME_US), where the pixel model's float64 "
                                 "times lose whole microseconds; give times from the start of the recording")
        if self._t_prev is None:
            bad = _count_bad(frame)
            if bad:
                raise self._bad_frame(bad)
            init_log(frame, self._prm, self._st[ST_LP])
            self._st[ST_I_PREV] = frame
            self._st[ST_BASE] = self._st[ST_LP]
            self._lp_old[...] = self._st[ST_LP]
            self._tlast[...] = -1e300
            self._t_prev = t_us
            return empty_events()
        if t_us <= self._t_prev:
            raise ParameterError(f"t_us must increase: got {t_us} after {self._t_prev}")
        dt = t_us - self._t_prev
        if dt > MAX_STEP_US:
            raise ParameterError(f"t_us {t_us} is {dt:,} µs after the previous frame; steps are at most "
                                 f"{MAX_STEP_US:,} µs (MAX_STEP_US): give frames in between")
        if dt > self._noisy_dt:
            expected = noise_per_step(self.params, frame.size, dt)
            raise ParameterError(f"a step of {dt:,} µs over {frame.size:,} pixels draws {expected:,.0f} noise events, "
                                 f"more than the {MAX_NOISE_PER_STEP:,} a step may hold (MAX_NOISE_PER_STEP): lower "
                                 "leak_rate_hz or shot_noise_rate_hz, or give frames closer together")
        prm = self._prm
        prm[PRM_T0] = self._t_prev
        prm[PRM_DT] = dt
        prm[PRM_CWDT] = np.float32(self._cut_w * prm[PRM_DT])
        threads = num_threads()
        prm[PRM_GROUPS] = 4 * threads
        parallel = self._parallel and parallel_regions_allowed()
        pass1 = pass1_parallel if parallel else pass1_serial
        n_sig, bad_rows = pass1(frame, self._st, self._tlast, self._lp_old, self._i_old, self._active, self._saved,
                                self._s_tl, self._px_list, self._rows, prm, self._row_t, self._row_p, self._row_x)
        if bad_rows:
            self._t_prev = None
            raise self._bad_frame(_count_bad(frame))
        if n_sig > _UNCHECKED_EVENTS:
            self._check_memory(n_sig, t_us)
        noise = self._noise(frame, self._t_prev, t_us)
        self._t_prev = t_us
        if n_sig + noise[0].size == 0:
            return empty_events()
        parallel = (parallel and threads > 1 and n_sig >= PARALLEL_MIN_EVENTS
                    and (prm[PRM_GROUPS] + 1) * (dt + 1) <= _PARALLEL_SORT_BINS)
        emit = emit_parallel if parallel else emit_serial
        return emit(frame, self._st, self._saved, self._s_tl, self._px_list, self._rows, prm,
                    self._row_t, self._row_p, self._row_x, *noise)

    def _check_memory(self, n_events: int, t_us: int) -> None:
        """Refuse a step whose ``n_events`` signal events would not fit in memory; the simulator then
        re-initialises on its next call, as after a bad frame."""
        try:
            within_memory(n_events * STEP_BYTES_PER_EVENT, f"a step of {n_events:,} events (to t_us {t_us})",
                          "raise the thresholds (threshold_*_log, threshold_min_log) or lower the scene's contrast")
        except ParameterError:
            self._t_prev = None
            raise

    def _noise(self, frame: np.ndarray, t0: int, t1: int) -> tuple[np.ndarray, ...]:
        """Leak and shot-noise events in (t0, t1], drawn in bulk (see :func:`_noise_events`)."""
        p = self.params
        if p.leak_rate_hz <= 0 and p.shot_noise_rate_hz <= 0:
            return _EMPTY
        dt_s = (t1 - t0) * 1e-6
        rng = self._rng
        total = float(self._leak_cdf[-1])
        n_leak = int(rng.poisson(total * dt_s)) if total > 0 else 0
        n_cand = int(rng.poisson(frame.size * p.shot_noise_rate_hz * p.shot_noise_max_factor * dt_s))
        if n_leak + n_cand == 0:
            return _EMPTY
        u = rng.random(2 * (n_leak + n_cand))
        return _noise_events(u, n_leak, frame, self._leak_cdf, t0, t1, p.shot_noise_max_factor, p.noise_ref_lux)


@cached_jit()
def _noise_events(u, n_leak, frame, leak_cdf, t0, t1, max_factor, ref_lux):
    """Leak (ON) and shot (ON/OFF) noise events in (t0, t1] from uniform draws ``u``.

    The caller draws the event counts: leak ~ Poisson(sum of per-pixel rates x dt), shot-noise
    candidates ~ Poisson(pixels x highest rate x dt). Here each leak event's pixel is drawn with
    probability proportional to its rate (inverse CDF), and each shot candidate at a pixel of
    illuminance I is kept with probability min(cap, sqrt(ref / I)) / cap (thinning), ON or OFF
    with equal odds. Times are uniform in the step. ``u`` holds two draws per candidate.
    """
    h, w = frame.shape
    n_px = h * w
    n = u.shape[0] // 2
    idx = np.empty(n, np.int64)
    pol = np.empty(n, np.int8)
    total = leak_cdf[-1]
    k = 0
    for i in range(n_leak):
        j = np.searchsorted(leak_cdf, u[i] * total, side="right")
        idx[k] = min(j, n_px - 1)
        pol[k] = 1
        k += 1
    for i in range(n_leak, n):
        # the integer part of u * n_px picks the pixel; the fraction (~36 further random bits)
        # decides acceptance and, by halves, polarity
        v = u[i] * n_px
        j = min(int(v), n_px - 1)
        frac = (v - j) * max_factor
        lux = max(np.float64(frame[j // w, j % w]), 1e-12)
        accept = min(math.sqrt(ref_lux / lux), max_factor)
        if frac < accept:
            idx[k] = j
            pol[k] = 1 if frac < 0.5 * accept else -1
            k += 1
    t = np.empty(k, np.float64)
    x = np.empty(k, np.uint16)
    y = np.empty(k, np.uint16)
    span = t1 - t0
    for i in range(k):
        t[i] = t0 + 1 + min(int(u[n + i] * span), span - 1)
        x[i] = idx[i] % w
        y[i] = idx[i] // w
    return t, x, y, pol[:k].copy()


def simulate_frames(
    frames: Iterable[np.ndarray] | np.ndarray,
    t_us: Iterable[int] | np.ndarray,
    sensor_size: SensorSize,
    params: DvsParams | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Run a fresh :class:`DvsSimulator` over a whole sequence and return all its events.

    Parameters
    ----------
    frames : (N, H, W) array or iterable of (H, W) arrays
        Linear scene intensity in lux.
    t_us : (N,) int
        Strictly increasing frame times in µs.
    sensor_size : (width, height)
        Size of the frames.
    params : DvsParams, optional
        Pixel model parameters (default ``DvsParams()``).
    seed : int
        Seeds the threshold mismatch, leak rates and noise, as in :class:`DvsSimulator`.

    Returns
    -------
    events : ndarray of EVENT_DTYPE
        The events of every step, in time order (the first frame only initialises).

    Examples
    --------
    >>> frames = np.stack([np.full((2, 2), v, np.float32) for v in (10, 20, 40)])
    >>> ev = simulate_frames(frames, [0, 1000, 2000], (2, 2), DvsParams.ideal(0.3))
    >>> int(ev.size)
    16
    """
    sim = DvsSimulator(sensor_size, params, seed)
    times = _frame_times(t_us)
    if not isinstance(frames, Iterable) or (isinstance(frames, np.ndarray) and frames.ndim != 3):
        raise ParameterError(f"frames must be an (N, H, W) array or a sequence of (H, W) arrays, got "
                             f"{type(frames).__name__} of shape {np.shape(frames)}")
    if isinstance(frames, Sized) and len(frames) != times.size:
        raise ParameterError(f"got {len(frames)} frames but {times.size} timestamps")
    chunks = []
    count = 0
    for frame, t in zip(frames, times, strict=False):
        chunks.append(sim.step(frame, t))
        count += 1
    if count != times.size:
        raise ParameterError(f"got {count} frames but {times.size} timestamps")
    return np.concatenate(chunks) if chunks else empty_events()


def _frame_times(t_us: object) -> np.ndarray:
    """``t_us`` as a 1-D array of real numbers (each checked by :meth:`DvsSimulator.step`); a
    ParameterError naming it otherwise (was "'int' object is not iterable" for one time)."""
    try:
        times = np.asarray(t_us if isinstance(t_us, np.ndarray) else list(t_us))  # type: ignore[call-overload]  # any object: list() refuses one that is no iterable
    except (TypeError, ValueError):  # no sequence, or one of sequences of unequal lengths
        raise ParameterError(f"t_us must be a sequence of frame times (µs), got {t_us!r}") from None
    if times.ndim != 1 or not real_dtype(times.dtype):
        raise ParameterError(f"t_us must be a sequence of frame times (µs), got shape {times.shape} of {times.dtype}")
    return times


_openmp_started_in: list[int] = []
"""The process that entered the simulator's first parallel region (numba's threads started there)."""


def parallel_regions_allowed() -> bool:
    """Whether this process may run the simulator's parallel kernels: not in a process forked from one
    whose numba threads run on GNU OpenMP, which is not fork-safe (numba ends such a child as it
    enters a parallel region: "Terminating: fork() called from a process already using GNU
    OpenMP", and a ``multiprocessing`` pool of fork workers waited for it for ever). There the
    serial kernels run instead: the same events, on one thread. The first call records the process.

    Returns
    -------
    bool
        True but in such a fork.

    Examples
    --------
    >>> parallel_regions_allowed()
    True
    """
    if not _openmp_started_in:
        _openmp_started_in.append(os.getpid())
    return _openmp_started_in[0] == os.getpid() or _threading_layer() != "omp"


def _threading_layer() -> str:
    """numba's threading layer, as a process that entered a parallel region has it (else "")."""
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel region yet
        return ""


def num_threads() -> int:
    """Threads numba uses for the pixel kernels, its thread pool started where it was not.

    numba's OpenMP threading layer sets OpenMP's thread count for the whole process as its pool
    starts, and torch's CPU threads share that count: where torch is loaded, its count is set back
    (was: a caller's ``torch.set_num_threads(3)`` became numba's 2 at evface's first simulated step
    or synthesized clip in the process).

    Returns
    -------
    int
        numba's thread count (at most ``numba.config.NUMBA_NUM_THREADS``).

    Examples
    --------
    >>> n = num_threads()
    >>> isinstance(n, int), 1 <= n <= numba.config.NUMBA_NUM_THREADS
    (True, True)
    """
    torch = sys.modules.get("torch")  # loaded by the caller, or not at all: the simulator needs none
    before = torch.get_num_threads() if torch is not None else 0
    threads = numba.get_num_threads()
    if torch is not None and torch.get_num_threads() != before:
        torch.set_num_threads(before)
    return threads


__all__ = ["DvsSimulator", "MAX_STEP_US", "simulate_frames"]
