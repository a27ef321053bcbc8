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

The per-pixel core is a numba kernel run over rows in parallel: pass 1 updates every pixel and
counts its events, pass 2 re-runs only the pixels that fired and writes their events at
precomputed offsets; the step's events are then ordered by time with a stable counting sort.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from evface.errors import ParameterError
from evface.events.core import EVENT_DTYPE, SensorSize, empty_events

DVS_SENSORS: dict[str, SensorSize] = {"davis346": (346, 260), "evk4": (1280, 720)}
"""Full-array ``(width, height)`` of the named event sensors."""

_MAX_SUBSTEPS = 256


@dataclass(frozen=True)
class DvsParams:
    """Parameters of the DVS pixel model (see docs/camera-models.md for sources).

    Attributes
    ----------
    threshold_on_log, threshold_off_log : float
        Mean ON / OFF contrast thresholds, in natural-log units.
    threshold_on_sigma_log, threshold_off_sigma_log : float
        Pixel-to-pixel standard deviation of the thresholds (drawn once per simulator).
    threshold_min_log : float
        Lower clip of the drawn thresholds.
    cutoff_hz : float
        Photoreceptor 3 dB cut-off at and above ``bandwidth_ref_lux``; 0 disables the low-pass.
    bandwidth_ref_lux : float
        Illuminance from which the cut-off reaches ``cutoff_hz``; below it the cut-off scales
        with ``(I + lin_log_lux) / bandwidth_ref_lux`` (photocurrent-limited bandwidth).
    refractory_us : float
        Minimum time between two events of one pixel; 0 disables it.
    leak_rate_hz : float
        Mean rate of leak (ON) events per pixel.
    leak_jitter : float
        Relative pixel-to-pixel standard deviation of the leak rate.
    shot_noise_rate_hz : float
        Rate of shot-noise events (ON + OFF) per pixel at ``noise_ref_lux``.
    noise_ref_lux : float
        Illuminance at which the shot-noise rate equals ``shot_noise_rate_hz``; the rate scales
        as ``sqrt(noise_ref_lux / I)``, capped at ``shot_noise_max_factor`` times.
    shot_noise_max_factor : float
        Cap of the low-light increase of the shot-noise rate.
    lin_log_lux : float
        Illuminance below which the log response turns linear (dark-current equivalent).
    substep_fraction : float
        Sub-step so that no pixel's log change per sub-step exceeds this fraction of its
        smaller threshold; 0 disables sub-stepping.
    """

    threshold_on_log: float = 0.2
    threshold_off_log: float = 0.2
    threshold_on_sigma_log: float = 0.03
    threshold_off_sigma_log: float = 0.03
    threshold_min_log: float = 0.01
    cutoff_hz: float = 0.0
    bandwidth_ref_lux: float = 1000.0
    refractory_us: float = 0.0
    leak_rate_hz: float = 0.0
    leak_jitter: float = 0.1
    shot_noise_rate_hz: float = 0.0
    noise_ref_lux: float = 10.0
    shot_noise_max_factor: float = 10.0
    lin_log_lux: float = 1.0
    substep_fraction: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ParameterError(f"DvsParams.{f.name} must be a finite number, got {value!r}")
            if value < 0:
                raise ParameterError(f"DvsParams.{f.name} must be >= 0, got {value}")
        for name in ("threshold_on_log", "threshold_off_log", "threshold_min_log", "lin_log_lux",
                     "bandwidth_ref_lux", "noise_ref_lux"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"DvsParams.{name} must be > 0, got {getattr(self, name)}")
        if self.shot_noise_max_factor < 1:
            raise ParameterError(f"DvsParams.shot_noise_max_factor must be >= 1, got {self.shot_noise_max_factor}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "DvsParams":
        """Parameters of a named sensor (``"davis346"`` or ``"evk4"``), with overrides.

        Examples
        --------
        >>> DvsParams.preset("davis346", refractory_us=0).refractory_us
        0
        """
        if name not in PRESETS:
            raise ParameterError(f"unknown DVS preset {name!r}; choose from {sorted(PRESETS)}")
        return _with(PRESETS[name], overrides)

    @classmethod
    def ideal(cls, threshold_log: float = 0.2, **overrides: Any) -> "DvsParams":
        """A noiseless model: no mismatch, bandwidth limit, refractory period or noise.

        Examples
        --------
        >>> DvsParams.ideal(0.3).threshold_off_log
        0.3
        """
        base = cls(
            threshold_on_log=threshold_log, threshold_off_log=threshold_log,
            threshold_on_sigma_log=0.0, threshold_off_sigma_log=0.0,
        )
        return _with(base, overrides)

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the parameters (for clip metadata)."""
        return asdict(self)


def _with(params: DvsParams, overrides: dict[str, Any]) -> DvsParams:
    known = {f.name for f in fields(DvsParams)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ParameterError(f"unknown DvsParams field(s) {unknown}")
    return replace(params, **overrides)


PRESETS: dict[str, DvsParams] = {
    # iniVation DAVIS346 (see docs/camera-models.md for each source).
    "davis346": DvsParams(
        threshold_on_log=0.25, threshold_off_log=0.25,
        threshold_on_sigma_log=0.03, threshold_off_sigma_log=0.03,
        cutoff_hz=3000.0, bandwidth_ref_lux=1000.0, refractory_us=500.0,
        leak_rate_hz=0.1, leak_jitter=0.1, shot_noise_rate_hz=0.1, noise_ref_lux=10.0,
        lin_log_lux=1.0, substep_fraction=0.5,
    ),
    # Prophesee EVK4, Sony IMX636 (see docs/camera-models.md for each source).
    "evk4": DvsParams(
        threshold_on_log=0.25, threshold_off_log=0.25,
        threshold_on_sigma_log=0.035, threshold_off_sigma_log=0.035,
        cutoff_hz=1000.0, bandwidth_ref_lux=1000.0, refractory_us=100.0,
        leak_rate_hz=0.05, leak_jitter=0.1, shot_noise_rate_hz=0.1, noise_ref_lux=10.0,
        lin_log_lux=0.1, substep_fraction=0.5,
    ),
}
"""Named parameter sets; use :meth:`DvsParams.preset`."""


# --------------------------------------------------------------------------------------------
# numba core
# --------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _lin_log(x, thr, log_thr):
    """log(x) above ``thr``; below it the tangent line at ``thr`` (C1, finite at 0)."""
    if x > thr:
        return np.float32(np.log(x))
    return np.float32(log_thr + (x - thr) / thr)


@njit(cache=True, inline="always")
def _advance(i0, l0, lp, base, tlast, i1, l1, thr_on, thr_off, t0, dt,
             cut_w, bw_inv, lin_thr, log_thr, refr, inv_sub, emit, out_t, out_p, k):
    """Advance one pixel from (t0, i0) to (t0 + dt, i1); return (lp, base, tlast, n, k).

    ``lp`` is the filtered log, ``base`` the memorised log at the last event, ``tlast`` the time
    of the last emitted event (float µs). With ``emit`` the ``n`` events are written to
    ``out_t[k:k+n]`` / ``out_p``. The same inputs always give bit-identical results, which is
    what lets pass 2 re-run a pixel that pass 1 counted.
    """
    m = 1
    if inv_sub > 0.0:
        d = abs(l1 - l0) * inv_sub / min(thr_on, thr_off)
        if d > 1.0:
            m = min(int(math.ceil(d)), _MAX_SUBSTEPS)
    n = 0
    lp_a = lp
    ta = t0
    for j in range(1, m + 1):
        if j == m:
            ij = i1
            lj = l1
            tb = t0 + dt
        else:
            frac = np.float32(j / m)
            ij = np.float32(i0 + (i1 - i0) * frac)
            lj = _lin_log(ij, lin_thr, log_thr)
            tb = t0 + dt * (j / m)
        if cut_w > 0.0:
            scale = (ij + lin_thr) * bw_inv
            if scale > 1.0:
                scale = np.float32(1.0)
            a = np.float32(-math.expm1(-cut_w * scale * (tb - ta)))
            lp_b = np.float32(lp_a + a * (lj - lp_a))
            if abs(lj - lp_b) < 1e-6:
                lp_b = lj
        else:
            lp_b = lj
        diff = lp_b - base
        if diff >= thr_on or diff <= -thr_off:
            if diff > 0:
                thr = thr_on
                pol = 1
            else:
                thr = thr_off
                pol = -1
            c = int(abs(diff) / thr)
            span = lp_b - lp_a
            for e in range(1, c + 1):
                level = base + pol * e * thr
                f = (level - lp_a) / span if span != 0 else 1.0
                if f < 0.0:
                    f = 0.0
                elif f > 1.0:
                    f = 1.0
                te = ta + f * (tb - ta)
                if te - tlast >= refr:
                    if emit:
                        out_t[k] = te
                        out_p[k] = pol
                        k += 1
                    n += 1
                    tlast = te
            base = np.float32(base + pol * c * thr)
        lp_a = lp_b
        ta = tb
    return lp_a, base, tlast, n, k


@njit(cache=True, parallel=True)
def _check_frame(frame):
    """Number of pixels that are negative or not finite."""
    h, w = frame.shape
    bad = np.zeros(h, np.int64)
    for y in prange(h):
        c = 0
        for x in range(w):
            v = frame[y, x]
            if not (v >= 0.0 and v <= 3.4e38):
                c += 1
        bad[y] = c
    return bad.sum()


@njit(cache=True, parallel=True)
def _pass1(frame, i_prev, l_prev, lp, base, tlast, thr_on, thr_off, t0, dt,
           cut_w, bw_inv, lin_thr, log_thr, refr, inv_sub,
           row_n, row_px, px_list, s_i0, s_l0, s_lp, s_base, s_tl):
    """Update every pixel in place; record the old state of pixels that emit events."""
    h, w = frame.shape
    dummy_t = np.empty(0, np.float64)
    dummy_p = np.empty(0, np.int8)
    use_lp = cut_w > 0.0
    for y in prange(h):
        count = 0
        npx = 0
        for x in range(w):
            i1 = frame[y, x]
            i0 = i_prev[y, x]
            if i1 == i0:
                if not use_lp:
                    continue
                if lp[y, x] == l_prev[y, x]:
                    continue
            l0 = l_prev[y, x]
            l1 = _lin_log(i1, lin_thr, log_thr)
            lp0 = lp[y, x]
            b0 = base[y, x]
            tl0 = tlast[y, x]
            lp1, b1, tl1, n, _k = _advance(i0, l0, lp0, b0, tl0, i1, l1, thr_on[y, x], thr_off[y, x],
                                           t0, dt, cut_w, bw_inv, lin_thr, log_thr, refr, inv_sub,
                                           False, dummy_t, dummy_p, 0)
            if n > 0:
                px_list[y, npx] = x
                s_i0[y, npx] = i0
                s_l0[y, npx] = l0
                s_lp[y, npx] = lp0
                s_base[y, npx] = b0
                s_tl[y, npx] = tl0
                npx += 1
                count += n
            i_prev[y, x] = i1
            l_prev[y, x] = l1
            lp[y, x] = lp1
            base[y, x] = b1
            tlast[y, x] = tl1
        row_n[y] = count
        row_px[y] = npx


@njit(cache=True, parallel=True)
def _pass2(frame, thr_on, thr_off, t0, dt, cut_w, bw_inv, lin_thr, log_thr, refr, inv_sub,
           row_px, px_list, s_i0, s_l0, s_lp, s_base, s_tl, offsets, out_t, out_x, out_y, out_p):
    """Re-run the pixels that fired and write their events at the row offsets."""
    h = frame.shape[0]
    for y in prange(h):
        k = offsets[y]
        for j in range(row_px[y]):
            x = px_list[y, j]
            i1 = frame[y, x]
            l1 = _lin_log(i1, lin_thr, log_thr)
            k0 = k
            _lp, _b, _tl, _n, k = _advance(s_i0[y, j], s_l0[y, j], s_lp[y, j], s_base[y, j], s_tl[y, j],
                                           i1, l1, thr_on[y, x], thr_off[y, x], t0, dt,
                                           cut_w, bw_inv, lin_thr, log_thr, refr, inv_sub,
                                           True, out_t, out_p, k)
            for e in range(k0, k):
                out_x[e] = x
                out_y[e] = y


@njit(cache=True)
def _sort_into(t_f, x, y, p, t_first, span, out_t, out_x, out_y, out_p):
    """Stable counting sort of events by rounded time into the output columns."""
    n = t_f.shape[0]
    keys = np.empty(n, np.int64)
    counts = np.zeros(span + 2, np.int64)
    for i in range(n):
        key = np.int64(math.floor(t_f[i] + 0.5)) - t_first
        if key < 0:
            key = 0
        elif key > span:
            key = span
        keys[i] = key
        counts[key + 1] += 1
    for b in range(1, span + 2):
        counts[b] += counts[b - 1]
    for i in range(n):
        key = keys[i]
        j = counts[key]
        counts[key] = j + 1
        out_t[j] = key + t_first
        out_x[j] = x[i]
        out_y[j] = y[i]
        out_p[j] = p[i]


# --------------------------------------------------------------------------------------------
# simulator
# --------------------------------------------------------------------------------------------


def _sensor_size(sensor_size: SensorSize) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in sensor_size)
    except (TypeError, ValueError):
        raise ParameterError(f"sensor_size must be (width, height), got {sensor_size!r}") from None
    if width <= 0 or height <= 0 or width > 65535 or height > 65535:
        raise ParameterError(f"sensor_size must be positive and <= 65535, got {sensor_size!r}")
    return width, height


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
        self.sensor_size = _sensor_size(sensor_size)
        self.params = DvsParams() if params is None else params
        if not isinstance(self.params, DvsParams):
            raise ParameterError(f"params must be DvsParams, got {type(self.params).__name__}")
        self.seed = seed
        width, height = self.sensor_size
        rng = np.random.default_rng(seed)
        p = self.params
        shape = (height, width)
        self.threshold_on = np.maximum(
            rng.normal(p.threshold_on_log, p.threshold_on_sigma_log, shape), p.threshold_min_log
        ).astype(np.float32)
        self.threshold_off = np.maximum(
            rng.normal(p.threshold_off_log, p.threshold_off_sigma_log, shape), p.threshold_min_log
        ).astype(np.float32)
        leak = np.maximum(p.leak_rate_hz * (1.0 + p.leak_jitter * rng.standard_normal(width * height)), 0.0)
        self.leak_rate_hz = leak.reshape(shape).astype(np.float32)
        self._leak_cdf = np.cumsum(leak)
        self._noise_seed = int(rng.integers(2**63 - 1))
        self._lin_thr = np.float32(p.lin_log_lux)
        self._log_thr = np.float32(np.log(p.lin_log_lux))
        self._cut_w = 2.0 * math.pi * p.cutoff_hz * 1e-6  # rad per µs
        self._bw_inv = np.float32(1.0 / p.bandwidth_ref_lux)
        self._refr = float(p.refractory_us)
        self._inv_sub = 1.0 / p.substep_fraction if p.substep_fraction > 0 else 0.0
        self._px_list = np.empty(shape, np.int32)
        self._s_i0 = np.empty(shape, np.float32)
        self._s_l0 = np.empty(shape, np.float32)
        self._s_lp = np.empty(shape, np.float32)
        self._s_base = np.empty(shape, np.float32)
        self._s_tl = np.empty(shape, np.float64)
        self._row_n = np.empty(height, np.int64)
        self._row_px = np.empty(height, np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the pixel state and restart the noise stream; thresholds are kept."""
        width, height = self.sensor_size
        shape = (height, width)
        self._i_prev = np.zeros(shape, np.float32)
        self._l_prev = np.zeros(shape, np.float32)
        self._lp = np.zeros(shape, np.float32)
        self._base = np.zeros(shape, np.float32)
        self._tlast = np.full(shape, -1e300, np.float64)
        self._t_prev: int | None = None
        self._rng = np.random.default_rng(self._noise_seed)

    @property
    def t_us(self) -> int | None:
        """Time of the last frame passed to :meth:`step` (None before the first)."""
        return self._t_prev

    def _frame(self, frame_lux: np.ndarray) -> np.ndarray:
        frame = np.ascontiguousarray(frame_lux, dtype=np.float32)
        width, height = self.sensor_size
        if frame.ndim != 2 or frame.shape != (height, width):
            raise ParameterError(
                f"frame_lux must be a (H, W) = ({height}, {width}) array, got shape {np.shape(frame_lux)}"
            )
        bad = _check_frame(frame)
        if bad:
            raise ParameterError(f"frame_lux has {bad} negative or non-finite pixel(s); intensities must be lux >= 0")
        return frame

    def step(self, frame_lux: np.ndarray, t_us: int) -> np.ndarray:
        """Feed the scene at ``t_us``; return the events since the previous call, sorted by t.

        The first call (and the first after :meth:`reset`) only initialises the pixels.
        """
        frame = self._frame(frame_lux)
        t_us = int(t_us)
        if self._t_prev is None:
            l0 = np.where(frame > self._lin_thr, np.log(np.maximum(frame, 1e-30)),
                          self._log_thr + (frame - self._lin_thr) / self._lin_thr).astype(np.float32)
            self._i_prev[...] = frame
            self._l_prev[...] = l0
            self._lp[...] = l0
            self._base[...] = l0
            self._t_prev = t_us
            return empty_events()
        if t_us <= self._t_prev:
            raise ParameterError(f"t_us must increase: got {t_us} after {self._t_prev}")
        t0 = float(self._t_prev)
        dt = float(t_us - self._t_prev)
        args = (self.threshold_on, self.threshold_off, t0, dt, self._cut_w, self._bw_inv,
                self._lin_thr, self._log_thr, self._refr, self._inv_sub)
        _pass1(frame, self._i_prev, self._l_prev, self._lp, self._base, self._tlast, *args,
               self._row_n, self._row_px, self._px_list,
               self._s_i0, self._s_l0, self._s_lp, self._s_base, self._s_tl)
        n_sig = int(self._row_n.sum())
        noise_t, noise_x, noise_y, noise_p = self._noise(frame, self._t_prev, t_us)
        n = n_sig + noise_t.size
        if n == 0:
            self._t_prev = t_us
            return empty_events()
        all_t = np.empty(n, np.float64)
        all_x = np.empty(n, np.uint16)
        all_y = np.empty(n, np.uint16)
        all_p = np.empty(n, np.int8)
        if n_sig:
            offsets = np.zeros(self._row_n.size, np.int64)
            np.cumsum(self._row_n[:-1], out=offsets[1:])
            _pass2(frame, *args, self._row_px, self._px_list, self._s_i0, self._s_l0, self._s_lp,
                   self._s_base, self._s_tl, offsets, all_t, all_x, all_y, all_p)
        all_t[n_sig:] = noise_t
        all_x[n_sig:] = noise_x
        all_y[n_sig:] = noise_y
        all_p[n_sig:] = noise_p
        events = empty_events(n)
        _sort_into(all_t, all_x, all_y, all_p, self._t_prev, t_us - self._t_prev,
                   events["t"], events["x"], events["y"], events["p"])
        self._t_prev = t_us
        return events

    def _noise(self, frame: np.ndarray, t0: int, t1: int) -> tuple[np.ndarray, ...]:
        """Leak and shot-noise events in (t0, t1], drawn in bulk."""
        p = self.params
        width, _ = self.sensor_size
        dt_s = (t1 - t0) * 1e-6
        rng = self._rng
        idx_parts, pol_parts = [], []
        if p.leak_rate_hz > 0 and self._leak_cdf[-1] > 0:
            n_leak = rng.poisson(self._leak_cdf[-1] * dt_s)
            if n_leak:
                idx = np.searchsorted(self._leak_cdf, rng.random(n_leak) * self._leak_cdf[-1], side="right")
                idx_parts.append(np.minimum(idx, self._leak_cdf.size - 1))
                pol_parts.append(np.ones(n_leak, np.int8))
        if p.shot_noise_rate_hz > 0:
            r_max = p.shot_noise_rate_hz * p.shot_noise_max_factor
            n_cand = rng.poisson(frame.size * r_max * dt_s)
            if n_cand:
                idx = rng.integers(0, frame.size, n_cand)
                lux = frame.reshape(-1)[idx].astype(np.float64)
                factor = np.minimum(np.sqrt(p.noise_ref_lux / np.maximum(lux, 1e-12)), p.shot_noise_max_factor)
                keep = rng.random(n_cand) * p.shot_noise_max_factor < factor
                idx = idx[keep]
                idx_parts.append(idx)
                pol_parts.append(np.where(rng.random(idx.size) < 0.5, 1, -1).astype(np.int8))
        if not idx_parts:
            empty = np.empty(0)
            return empty.astype(np.float64), empty.astype(np.uint16), empty.astype(np.uint16), empty.astype(np.int8)
        idx = np.concatenate(idx_parts)
        pol = np.concatenate(pol_parts)
        t = rng.integers(t0 + 1, t1 + 1, idx.size).astype(np.float64)
        return t, (idx % width).astype(np.uint16), (idx // width).astype(np.uint16), pol


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

    Examples
    --------
    >>> frames = np.stack([np.full((2, 2), v, np.float32) for v in (10, 20, 40)])
    >>> ev = simulate_frames(frames, [0, 1000, 2000], (2, 2), DvsParams.ideal(0.3))
    >>> int(ev.size)
    16
    """
    sim = DvsSimulator(sensor_size, params, seed)
    times = np.asarray(list(t_us) if not isinstance(t_us, np.ndarray) else t_us)
    chunks = []
    count = 0
    for frame, t in zip(frames, times, strict=False):
        chunks.append(sim.step(frame, int(t)))
        count += 1
    if count != times.size:
        raise ParameterError(f"got {count} frames but {times.size} timestamps")
    return np.concatenate(chunks) if chunks else empty_events()


def num_threads() -> int:
    """Threads numba uses for the pixel kernels."""
    return numba.get_num_threads()


__all__ = ["DVS_SENSORS", "DvsParams", "DvsSimulator", "PRESETS", "simulate_frames", "EVENT_DTYPE"]
