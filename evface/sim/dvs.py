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

The per-pixel core is a numba kernel run over rows in parallel: pass 1 sweeps the changed parts
of each row with a vectorised loop, then runs the full model on the flagged pixels only and
writes their events to per-row buffers; the step's events are then ordered by time with a stable
counting sort (re-running the firing pixels of a row whose buffer overflowed), over bands of rows
in parallel when the step has many events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba.core import types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

from evface.checks import as_int, number_fields, real_dtype, sensor_dims, within_memory
from evface.errors import ParameterError, counted
from evface.events.core import EVENT_DTYPE, SensorSize, empty_events


_MAX_SUBSTEPS = 256

NOISE_FIELD_MAX = {
    "leak_rate_hz": (1e3, "leak rates of real pixels are 0.01-0.1 Hz"),
    "shot_noise_rate_hz": (1e3, "shot-noise rates of real pixels are 0.1-5 Hz"),
    "shot_noise_max_factor": (1e3, "sqrt(noise_ref_lux / I) reaches 1000 a million times below noise_ref_lux"),
    "leak_jitter": (1.0, "a wider spread clips most pixels' leak at 0"),
}
"""The highest value of each noise field of :class:`DvsParams`, and why: generous bounds
(docs/camera-models.md) that keep a step's noise a countable number of events."""
FIELD_RANGE = {
    "threshold_min_log": (1e-3, math.inf, "every threshold is at least this; real pixels' are 0.13-0.22, and below "
                          "0.1 % contrast one bright step makes thousands of events a pixel"),
    "lin_log_lux": (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max),
                    "the pixel model computes in float32; outside its normal range L(I) was NaN"),
}
"""The range of the pixel fields of :class:`DvsParams` that numbers alone would let through, and why."""
MIN_CUTOFF_HZ = 1e-6
"""The smallest positive ``cutoff_hz`` (a time constant of 1.8 days); a smaller one underflowed the
float32 filter coefficient to 0, which means no low-pass at all."""
MAX_STEP_US = 10_000_000
"""The longest step (µs): a step's events are sorted in 1 µs bins, 16 bytes a bin on one thread."""
MAX_TIME_US = 2**53
"""The largest frame time (µs, either sign; 285 years): the pixel model keeps times as float64,
whole microseconds only up to 2^53."""
MAX_NOISE_PER_STEP = 1 << 24
"""The most noise events (leak and shot-noise candidates, expected) one step may draw: they are
drawn at once, about 50 bytes each, so a step stays under 1 GB."""
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

    Examples
    --------
    >>> params = DvsParams(threshold_on_log=0.25, refractory_us=100)
    >>> params.threshold_on_log, params.threshold_off_log, params.to_dict()["refractory_us"]
    (0.25, 0.2, 100)
    >>> DvsParams(threshold_on_log=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: DvsParams.threshold_on_log must be > 0, got 0
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
        number_fields(self)
        for name in ("threshold_on_log", "threshold_off_log", "threshold_min_log", "lin_log_lux",
                     "bandwidth_ref_lux", "noise_ref_lux"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"DvsParams.{name} must be > 0, got {getattr(self, name)}")
        if self.shot_noise_max_factor < 1:
            raise ParameterError(f"DvsParams.shot_noise_max_factor must be >= 1, got {self.shot_noise_max_factor}")
        for name, (high, why) in NOISE_FIELD_MAX.items():
            if getattr(self, name) > high:
                raise ParameterError(f"DvsParams.{name} must be <= {high:g} ({why}), got {getattr(self, name)}")
        for name, (low, high, why) in FIELD_RANGE.items():
            if not low <= getattr(self, name) <= high:
                raise ParameterError(f"DvsParams.{name} must be in [{low:g}, {high:g}] ({why}), got {getattr(self, name)}")
        if 0 < self.cutoff_hz < MIN_CUTOFF_HZ:
            raise ParameterError(f"DvsParams.cutoff_hz must be 0 (no low-pass) or at least {MIN_CUTOFF_HZ:g} Hz, "
                                 f"got {self.cutoff_hz}")

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


def noise_per_step(params: DvsParams, n_pixels: int, step_us: float) -> float:
    """The noise events (leak, and shot-noise candidates before thinning) a step of ``step_us``
    over ``n_pixels`` draws on average: what :data:`MAX_NOISE_PER_STEP` bounds.

    Examples
    --------
    >>> round(noise_per_step(DvsParams.preset("davis346"), 346 * 260, 33_333))
    3299
    """
    rate_hz = params.leak_rate_hz + params.shot_noise_rate_hz * params.shot_noise_max_factor
    return n_pixels * rate_hz * step_us * 1e-6


def _with(params: DvsParams, overrides: dict[str, Any]) -> DvsParams:
    known = {f.name for f in fields(DvsParams)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ParameterError(f"unknown DvsParams field(s) {unknown}")
    return replace(params, **overrides)


PRESETS: dict[str, DvsParams] = {
    # iniVation DAVIS346; every value and its source is in docs/camera-models.md.
    "davis346": DvsParams(
        threshold_on_log=0.134, threshold_off_log=0.203,  # ln(1.143), ln(1.225): 14.3 % / 22.5 %
        threshold_on_sigma_log=0.03, threshold_off_sigma_log=0.03,
        cutoff_hz=3000.0, bandwidth_ref_lux=3000.0, refractory_us=500.0,
        leak_rate_hz=0.1, leak_jitter=0.1, shot_noise_rate_hz=0.1, noise_ref_lux=10.0,
        lin_log_lux=1.0, substep_fraction=0.5,
    ),
    # Prophesee EVK4 (Sony IMX636); every value and its source is in docs/camera-models.md.
    "evk4": DvsParams(
        threshold_on_log=0.223, threshold_off_log=0.223,  # ln(1.25): 25 % nominal contrast
        threshold_on_sigma_log=0.03, threshold_off_sigma_log=0.03,
        cutoff_hz=1600.0, bandwidth_ref_lux=1000.0, refractory_us=100.0,
        leak_rate_hz=0.05, leak_jitter=0.1, shot_noise_rate_hz=0.05, noise_ref_lux=10.0,
        lin_log_lux=0.1, substep_fraction=0.5,
    ),
}
"""Named parameter sets; use :meth:`DvsParams.preset`."""


# --------------------------------------------------------------------------------------------
# numba core
# --------------------------------------------------------------------------------------------
# The transcendental functions are written out (Cephes-style float32 polynomials, about 1 ulp)
# so that the per-row loops vectorise: libm's scalar logf/expf calls would stop LLVM's loop
# vectoriser. Every code path (vector and scalar) uses the same functions, so pass 1 and the re-run
# compute bit-identical values.


@intrinsic
def _f2i(typingctx, x):
    """Reinterpret a float32 as int32."""
    sig = types.int32(types.float32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return sig, codegen


@intrinsic
def _i2f(typingctx, x):
    """Reinterpret an int32 as float32."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


_F32 = np.float32
_FMAX = _F32(3.4028234e38)
_FASTMATH = {"contract"}
"""The only fast-math flag of the kernels: ``a * b + c`` may become one fused multiply-add
(rounded once). It applies alike to the vector and the scalar code of every kernel, so they
still agree bit for bit."""


@njit(cache=True, inline="always")
def _log_f32(x):
    """Natural log of a positive, normal float32 (branch-free)."""
    b = _f2i(x)
    e = ((b >> 23) & 0xFF) - 127
    m = _i2f((b & 0x7FFFFF) | 0x3F800000)
    big = m > _F32(1.41421356)
    if big:
        m = m * _F32(0.5)
        e = e + 1
    f = m - _F32(1.0)
    z = f * f
    y = _F32(7.0376836292e-2)
    y = y * f + _F32(-1.1514610310e-1)
    y = y * f + _F32(1.1676998740e-1)
    y = y * f + _F32(-1.2420140846e-1)
    y = y * f + _F32(1.4249322787e-1)
    y = y * f + _F32(-1.6668057665e-1)
    y = y * f + _F32(2.0000714765e-1)
    y = y * f + _F32(-2.4999993993e-1)
    y = y * f + _F32(3.3333331174e-1)
    y = y * f * z
    fe = _F32(e)
    y = y + fe * _F32(-2.12194440e-4)
    y = y - _F32(0.5) * z
    return f + y + fe * _F32(0.693359375)


@njit(cache=True, inline="always")
def _one_minus_exp_neg(z):
    """1 - exp(-z) for float32 z >= 0 (branch-free, accurate to a few ulp also for tiny z).

    With -z = n ln2 + r, |r| <= ln2 / 2: 1 - e^-z = (1 - 2^n) - 2^n expm1(r), and expm1(r) comes
    straight from the polynomial, so nothing cancels for small z.
    """
    w = -z
    if w < _F32(-87.0):
        w = _F32(-87.0)
    # round to nearest with the 1.5 * 2^23 trick: plain adds, so the loop vectorises even for
    # targets without a rounding instruction (np.floor becomes a libm call on baseline x86-64)
    n = (w * _F32(1.44269504) + _F32(12582912.0)) - _F32(12582912.0)
    r = w - n * _F32(0.693359375) - n * _F32(-2.12194440e-4)
    p = _F32(1.9875691500e-4)
    p = p * r + _F32(1.3981999507e-3)
    p = p * r + _F32(8.3334519073e-3)
    p = p * r + _F32(4.1665795894e-2)
    p = p * r + _F32(1.6666665459e-1)
    p = p * r + _F32(5.0000001201e-1)
    em1 = p * r * r + r
    scale = _i2f((np.int32(n) + 127) << 23)
    return (_F32(1.0) - scale) - scale * em1


@njit(cache=True, inline="always")
def _lin_log(x, thr, log_thr, inv_thr):
    """log(x) above ``thr``; below it the tangent line at ``thr`` (C1, finite at 0)."""
    lin = log_thr + (x - thr) * inv_thr
    return _log_f32(x) if x > thr else lin


@njit(cache=True, inline="always")
def _lowpass_on(lp0, l1, i1, cwdt, lin_thr, bw_inv):
    """Exact first-order low-pass update of the log towards ``l1``; ``cwdt`` = 2π fc dt, and
    the cut-off scales with ``(i1 + lin_thr) * bw_inv`` up to 1 (photocurrent-limited)."""
    s = min((i1 + lin_thr) * bw_inv, _F32(1.0))
    a = _one_minus_exp_neg(cwdt * s)
    lp1 = lp0 + a * (l1 - lp0)
    return l1 if abs(l1 - lp1) < _F32(1e-6) else lp1


@njit(cache=True, inline="always")
def _lowpass(lp0, l1, i1, cwdt, lin_thr, bw_inv):
    """:func:`_lowpass_on`, or ``l1`` itself when the low-pass is off (``cwdt == 0``)."""
    if cwdt > _F32(0.0):
        return _lowpass_on(lp0, l1, i1, cwdt, lin_thr, bw_inv)
    return l1


@njit(cache=True, inline="always")
def _crossings(lp_a, lp_b, base, tlast, ta, tb, thr_on, thr_off, refr, x, out_t, out_p, out_x, k):
    """Events of one segment lp_a -> lp_b over [ta, tb] of pixel column ``x``, written to
    ``out_*[k:]`` while they fit; return (base, tlast, n, k).

    One event per threshold level crossed, at the time the linear segment reaches the level.
    A crossing closer than ``refr`` to the previous emitted event is dropped (the memorised
    level still moves: the pixel is held in reset during its refractory period).
    """
    n = 0
    diff = lp_b - base
    if diff >= thr_on or diff <= -thr_off:
        if diff > 0:
            thr = thr_on
            pol = 1
        else:
            thr = thr_off
            pol = -1
        c = int(abs(diff) / thr)
        span = np.float64(lp_b) - np.float64(lp_a)
        inv_span = 1.0 / span if span != 0.0 else 0.0
        for e in range(1, c + 1):
            level = np.float64(base) + pol * e * np.float64(thr)
            f = (level - lp_a) * inv_span if span != 0.0 else 1.0
            if f < 0.0:
                f = 0.0
            elif f > 1.0:
                f = 1.0
            te = ta + f * (tb - ta)
            if te - tlast >= refr:
                if k < out_t.shape[0]:  # a full row buffer (pass 1) is re-run in _emit_*
                    out_t[k] = te
                    out_p[k] = pol
                    out_x[k] = x
                k += 1
                n += 1
                tlast = te
        base = _F32(base + pol * c * thr)
    return base, tlast, n, k


# Scalar parameters travel packed in one float64 array (fewer dispatcher arguments per step).
_T0, _DT, _CWDT, _LIN, _LOGLIN, _INVLIN, _BWINV, _REFR, _INVSUB, _GROUPS = range(10)
# Planes of the packed float32 state array.
_I_PREV, _LP, _BASE, _THR_ON, _THR_OFF = range(5)


@njit(cache=True, inline="always")
def _advance(i0, lp0, lp1, base, tlast, i1, thr_on, thr_off, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr,
             inv_sub, x, out_t, out_p, out_x, k):
    """Advance one pixel from (t0, i0) to (t0 + dt, i1); return (lp, base, tlast, n, k).

    ``lp0`` is the filtered log, ``lp1`` its one-step update (:func:`_lowpass` of ``L(i1)``),
    ``base`` the memorised log at the last event, ``tlast`` the time of the last emitted event
    (float µs). The ``n`` events of column ``x`` are written to ``out_*[k:k+n]`` (while they fit). When
    the one-step change of the filtered log exceeds ``1 / inv_sub`` of the smaller threshold, the
    step is split into sub-steps along a linear interpolation of the input.
    """
    m = 1
    if inv_sub > 0.0:
        d = abs(lp1 - lp0) * inv_sub / min(thr_on, thr_off)
        if d > 1.0:  # capped before ceil(), an int64 in numba: a larger d (substep_fraction 1e-20) wrapped to m < 0
            m = math.ceil(min(d, np.float64(_MAX_SUBSTEPS)))
    if m == 1:
        base, tlast, n, k = _crossings(lp0, lp1, base, tlast, t0, t0 + dt, thr_on, thr_off, refr,
                                       x, out_t, out_p, out_x, k)
        return lp1, base, tlast, n, k
    n = 0
    lp_a = lp0
    ta = t0
    sub_cwdt = _F32(cwdt / m)
    for j in range(1, m + 1):
        if j == m:
            ij = i1
            tb = t0 + dt
        else:
            ij = _F32(i0 + (i1 - i0) * _F32(j / m))
            tb = t0 + dt * (j / m)
        lj = _lin_log(ij, lin_thr, log_thr, inv_thr)
        lp_b = _lowpass(lp_a, lj, ij, sub_cwdt, lin_thr, bw_inv)
        base, tlast, c, k = _crossings(lp_a, lp_b, base, tlast, ta, tb, thr_on, thr_off, refr,
                                       x, out_t, out_p, out_x, k)
        n += c
        lp_a = lp_b
        ta = tb
    return lp_a, base, tlast, n, k


@njit(cache=True, inline="always")
def _pass1_rows(g, groups, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p,
                row_x):
    """Pass 1 (see :func:`_pass1_par`) on rows ``g, g + groups, g + 2 groups, ...``."""
    h = frame.shape[0]
    cwdt = _F32(prm[_CWDT])
    lin_thr = _F32(prm[_LIN])
    log_thr = _F32(prm[_LOGLIN])
    inv_thr = _F32(prm[_INVLIN])
    bw_inv = _F32(prm[_BWINV])
    inv_sub = prm[_INVSUB]
    inv_sub32 = _F32(inv_sub)
    t0 = prm[_T0]
    dt = prm[_DT]
    refr = prm[_REFR]
    i_prev = st[_I_PREV]
    lp = st[_LP]
    base = st[_BASE]
    thr_on = st[_THR_ON]
    thr_off = st[_THR_OFF]
    words = active.view(np.uint64)
    use_lp = cwdt > _F32(0.0)
    for y in range(g, h, groups):
        _pass1_row(y, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, active, words, saved, s_tl,
                   px_list, rows, use_lp, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, inv_sub32,
                   row_t[y], row_p[y], row_x[y])


@njit(cache=True, inline="always")
def _pass1_totals(rows):
    """(events, rows with bad inputs) of a pass 1."""
    n_sig = 0
    n_bad = 0
    for y in range(rows.shape[1]):
        n_sig += rows[0, y]
        n_bad += rows[2, y]
    return n_sig, n_bad


# Pass 1 has two builds: rows in parallel for large arrays, serial for small ones (where a
# parallel region's start-up costs more than the work, especially on a busy machine). They must
# be two Python functions: numba's cache keys an entry by the function's name, line, signature
# and CPU, not by its compile options, so two dispatchers of one function share one cache entry
# and whichever was saved last (after `make test`, the serial one) is loaded for both.
@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _pass1_par(frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x):
    """Update every pixel in place; record the old state of the pixels that emit events.

    Per row: a vectorised sweep, in blocks of 64 pixels that are skipped when they sit at a
    fixed point (same input, filtered log unchanged), computes the filtered log (kept in ``lp``,
    the previous value in ``lp_old``; the previous input goes to ``i_old`` when sub-stepping)
    and flags the pixels that may fire or need sub-steps (``active``, a byte per
    pixel, rows padded to 8 bytes so that they can be scanned a word at a time); a scalar sweep
    runs the full pixel model on the flagged ones only and writes their events to the row's
    buffer (``row_t``, ``row_p``, ``row_x``); the old state of the firing pixels is kept so that
    a row whose buffer overflows is re-run in :func:`_emit_par`. ``rows`` receives per row the event
    count, the number of firing pixels and whether it holds bad (negative or non-finite) inputs.
    Returns (events, rows with bad inputs).

    Rows are dealt to the threads in interleaved bands (``prm[_GROUPS]`` = 4 x threads): a
    moving edge keeps only a few rows busy, and contiguous halves would leave one thread idle.
    """
    groups = min(frame.shape[0], max(int(prm[_GROUPS]), 1))
    for g in prange(groups):
        _pass1_rows(g, groups, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t,
                    row_p, row_x)
    return _pass1_totals(rows)


@njit(cache=True, fastmath=_FASTMATH)
def _pass1_ser(frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x):
    """:func:`_pass1_par` on one thread."""
    _pass1_rows(0, 1, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x)
    return _pass1_totals(rows)


_BLOCK = 64
"""Pixels per block of the pass-1 sweep (a multiple of 8: blocks own whole words of ``active``)."""


@njit(cache=True, inline="always")
def _sweep(fr, ipr, lpr, lor, br, onr, offr, actr, ior, xa, xb, use_lp, cwdt, lin_thr, log_thr, inv_thr, bw_inv,
           inv_sub, inv_sub32):
    """The vectorised sweep of pass 1 over pixels [xa, xb) of one row; returns whether it met a
    bad input and whether it flagged a pixel (boolean reductions: cheaper than counts).

    Row views indexed by unsigned integers: no negative-index wraparound, so the loops vectorise.
    """
    bad = False
    any_act = False
    ua = np.uint64(xa)
    ub = np.uint64(xb)
    if inv_sub > 0.0:  # sub-steps interpolate from the previous input: keep it for the scalar sweep
        for i in range(ua, ub):
            ior[i] = ipr[i]
    if use_lp:  # two copies of the sweep so that each one vectorises without a branch
        for i in range(ua, ub):
            v = fr[i]
            bad |= not (v >= _F32(0.0) and v <= _FMAX)
            l1 = _lin_log(v, lin_thr, log_thr, inv_thr)
            lp0 = lpr[i]
            lp1 = _lowpass_on(lp0, l1, v, cwdt, lin_thr, bw_inv)
            d = lp1 - br[i]
            ton = onr[i]
            toff = offr[i]
            fire = (d >= ton) | (d <= -toff) | (abs(lp1 - lp0) * inv_sub32 > min(ton, toff))
            lor[i] = lp0
            lpr[i] = lp1
            ipr[i] = v
            actr[i] = fire
            any_act |= fire
    else:
        for i in range(ua, ub):
            v = fr[i]
            bad |= not (v >= _F32(0.0) and v <= _FMAX)
            l1 = _lin_log(v, lin_thr, log_thr, inv_thr)
            lp0 = lpr[i]
            d = l1 - br[i]
            ton = onr[i]
            toff = offr[i]
            fire = (d >= ton) | (d <= -toff) | (abs(l1 - lp0) * inv_sub32 > min(ton, toff))
            lor[i] = lp0
            lpr[i] = l1
            ipr[i] = v
            actr[i] = fire
            any_act |= fire
    return bad, any_act


@njit(cache=True, inline="always")
def _fire_run(y, xa, xb, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, words, saved, s_tl, px_list,
              t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, out_t, out_p, out_x, count, npx):
    """The scalar sweep of pass 1 over pixels [xa, xb) of row ``y``: the full pixel model on the
    flagged pixels, found 8 flags at a time (the set bytes of a word, lowest first); returns the
    row's updated (event count, firing pixels)."""
    for wi in range(xa // 8, (xb + 7) // 8):
        word = words[y, wi]
        while word != 0:
            x = wi * 8 + (trailing_zeros(word) >> 3)
            word &= word - np.uint64(1)
            i0 = i_old[y, x] if inv_sub > 0.0 else i_prev[y, x]  # (i0 is only read by sub-steps)
            lp0 = lp_old[y, x]
            b0 = base[y, x]
            tl0 = tlast[y, x]
            lp1, b1, tl1, n, k = _advance(i0, lp0, lp[y, x], b0, tl0, frame[y, x], thr_on[y, x], thr_off[y, x],
                                          t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, x,
                                          out_t, out_p, out_x, count)
            lp[y, x] = lp1
            base[y, x] = b1
            tlast[y, x] = tl1
            if n > 0:
                px_list[y, npx] = x
                saved[0, y, npx] = i0
                saved[1, y, npx] = lp0
                saved[2, y, npx] = b0
                s_tl[y, npx] = tl0
                npx += 1
                count += n
    return count, npx


@njit(cache=True, inline="always")
def _pass1_row(y, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, active, words, saved, s_tl, px_list,
               rows, use_lp, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, inv_sub32, out_t, out_p,
               out_x):
    """Pass 1 on row ``y`` (see :func:`_pass1_par`); the row's events go to ``out_*`` while they fit.

    The row is checked in blocks of 64 pixels. A block whose input equals the previous input
    and whose filtered log did not move in the previous step is at a fixed point of the model
    (no state change, no event), so it is skipped after one vectorised comparison. Each run of
    consecutive changed blocks is swept in one vectorised loop, then (when it flagged pixels and
    holds no bad input) scanned by the scalar sweep.
    """
    w = frame.shape[1]
    fr = frame[y]
    ipr = i_prev[y]
    lpr = lp[y]
    lor = lp_old[y]
    xa = 0  # pending run of changed blocks [xa, xb)
    xb = 0
    bad = False
    count = 0
    npx = 0
    for x0 in range(0, w + _BLOCK, _BLOCK):  # one block past the end closes the last run
        x1 = min(x0 + _BLOCK, w)
        same = True
        for i in range(np.uint64(x0), np.uint64(x1)):
            same &= (fr[i] == ipr[i]) & (lor[i] == lpr[i])
        if not same:
            xb = x1
            continue
        if xb > xa:
            run_bad, any_act = _sweep(fr, ipr, lpr, lor, base[y], thr_on[y], thr_off[y], active[y], i_old[y], xa,
                                      xb, use_lp, cwdt, lin_thr, log_thr, inv_thr, bw_inv, inv_sub, inv_sub32)
            bad |= run_bad
            if any_act and not run_bad:
                count, npx = _fire_run(y, xa, xb, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast,
                                       words, saved, s_tl, px_list, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv,
                                       refr, inv_sub, out_t, out_p, out_x, count, npx)
        xa = x1
        xb = x1
    rows[0, y] = count
    rows[1, y] = npx
    rows[2, y] = bad


@njit(cache=True, inline="always")
def _time_key(t, t_first, span):
    """The µs bin (0..span) of an event at float time ``t`` in a step starting at ``t_first``."""
    key = np.int64(math.floor(t + 0.5)) - t_first
    return min(max(key, 0), span)


@njit(cache=True, inline="always")
def _rerun_overflow(frame, st, saved, s_tl, px_list, rows, prm, cap):
    """Re-run the firing pixels of the rows whose pass-1 buffer overflowed from their saved state;
    return their events (in row order) and, per row, where its events start in them."""
    h = frame.shape[0]
    n_ov = 0
    ov_start = np.zeros(h, np.int64)
    for y in range(h):
        ov_start[y] = n_ov
        if rows[0, y] > cap:
            n_ov += rows[0, y]
    ov_t = np.empty(n_ov, np.float64)
    ov_p = np.empty(n_ov, np.int8)
    ov_x = np.empty(n_ov, np.uint16)
    if n_ov > 0:
        thr_on = st[_THR_ON]
        thr_off = st[_THR_OFF]
        t0 = prm[_T0]
        dt = prm[_DT]
        cwdt = _F32(prm[_CWDT])
        lin_thr = _F32(prm[_LIN])
        log_thr = _F32(prm[_LOGLIN])
        inv_thr = _F32(prm[_INVLIN])
        bw_inv = _F32(prm[_BWINV])
        refr = prm[_REFR]
        inv_sub = prm[_INVSUB]
        k = 0
        for y in range(h):
            if rows[0, y] <= cap:
                continue
            for j in range(rows[1, y]):
                x = px_list[y, j]
                i1 = frame[y, x]
                lp0 = saved[1, y, j]
                lp1 = _lowpass(lp0, _lin_log(i1, lin_thr, log_thr, inv_thr), i1, cwdt, lin_thr, bw_inv)
                _lp, _b, _tl, _n, k = _advance(saved[0, y, j], lp0, lp1, saved[2, y, j], s_tl[y, j], i1,
                                               thr_on[y, x], thr_off[y, x], t0, dt, cwdt, lin_thr, log_thr, inv_thr,
                                               bw_inv, refr, inv_sub, x, ov_t, ov_p, ov_x, k)
    return ov_t, ov_p, ov_x, ov_start


@njit(cache=True, inline="always")
def _row_bands(rows, chunks):
    """Bounds of ``chunks`` bands of consecutive rows holding about as many events each."""
    h = rows.shape[1]
    total = 0
    for y in range(h):
        total += rows[0, y]
    bounds = np.full(chunks + 1, h, np.int64)
    bounds[0] = 0
    c = 1
    seen = 0
    for y in range(h):
        while c < chunks and seen * chunks >= c * total:
            bounds[c] = y
            c += 1
        seen += rows[0, y]
    return bounds


@njit(cache=True, inline="always")
def _count_band(c, bounds, rows, cap, row_t, ov_t, ov_start, t_first, span, hist):
    """Histogram of the µs bins of band ``c``'s events into ``hist[c]``."""
    for y in range(bounds[c], bounds[c + 1]):
        m = rows[0, y]
        if m <= cap:
            for e in range(m):
                hist[c, _time_key(row_t[y, e], t_first, span)] += 1
        else:
            for e in range(ov_start[y], ov_start[y] + m):
                hist[c, _time_key(ov_t[e], t_first, span)] += 1


@njit(cache=True, inline="always")
def _place_band(c, bounds, rows, cap, row_t, row_p, row_x, ov_t, ov_p, ov_x, ov_start, t_first, span, slot, events):
    """Write band ``c``'s events to ``events`` at the next free slot of their µs bin (``slot[c]``)."""
    for y in range(bounds[c], bounds[c + 1]):
        m = rows[0, y]
        if m <= cap:
            for e in range(m):
                key = _time_key(row_t[y, e], t_first, span)
                j = slot[c, key]
                slot[c, key] = j + 1
                ev = events[j]
                ev.t = key + t_first
                ev.x = row_x[y, e]
                ev.y = y
                ev.p = row_p[y, e]
        else:
            for e in range(ov_start[y], ov_start[y] + m):
                key = _time_key(ov_t[e], t_first, span)
                j = slot[c, key]
                slot[c, key] = j + 1
                ev = events[j]
                ev.t = key + t_first
                ev.x = ov_x[e]
                ev.y = y
                ev.p = ov_p[e]


@njit(cache=True, inline="always")
def _emit_start(frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, chunks):
    """The overflow re-run, the row bands and a histogram with a last row for the noise events."""
    cap = row_t.shape[1]
    ov_t, ov_p, ov_x, ov_start = _rerun_overflow(frame, st, saved, s_tl, px_list, rows, prm, cap)
    t_first = np.int64(prm[_T0])
    span = np.int64(prm[_DT])
    bounds = _row_bands(rows, chunks)
    hist = np.zeros((chunks + 1, span + 1), np.int64)
    for i in range(noise_t.shape[0]):
        hist[chunks, _time_key(noise_t[i], t_first, span)] += 1
    return cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist


@njit(cache=True, inline="always")
def _emit_slots(hist):
    """Turn the bands' histograms into each band's first slot per µs bin, in place: the order of
    a stable counting sort over the bands in row order, then the noise (the last row)."""
    run = 0
    for key in range(hist.shape[1]):
        for c in range(hist.shape[0]):
            n = hist[c, key]
            hist[c, key] = run
            run += n
    return run


@njit(cache=True, inline="always")
def _place_noise(c, t_first, span, slot, noise_t, noise_x, noise_y, noise_p, events):
    """Write the noise events at the next free slot of their µs bin (``slot[c]``, after every band's)."""
    for i in range(noise_t.shape[0]):
        key = _time_key(noise_t[i], t_first, span)
        j = slot[c, key]
        slot[c, key] = j + 1
        ev = events[j]
        ev.t = key + t_first
        ev.x = noise_x[i]
        ev.y = noise_y[i]
        ev.p = noise_p[i]


# Like pass 1, the step's sort has a parallel and a serial build (two Python functions for
# numba's cache). Both order the events as one stable counting sort by rounded time over the
# rows in order, then the noise events: the bands only split that sequence, so the events are
# the same whatever the number of threads.
@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _emit_par(frame, st, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x, noise_t, noise_x, noise_y, noise_p):
    """The step's events, ordered by rounded time: bands of rows counted and placed in parallel.

    The firing pixels of a row whose buffer overflowed are first re-run from their saved state.
    """
    chunks = min(frame.shape[0], max(int(prm[_GROUPS]), 1))
    cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist = _emit_start(
        frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, chunks)
    for c in prange(chunks):
        _count_band(c, bounds, rows, cap, row_t, ov_t, ov_start, t_first, span, hist)
    events = np.empty(_emit_slots(hist), dtype=EVENT_DTYPE)
    for c in prange(chunks):
        _place_band(c, bounds, rows, cap, row_t, row_p, row_x, ov_t, ov_p, ov_x, ov_start, t_first, span, hist, events)
    _place_noise(chunks, t_first, span, hist, noise_t, noise_x, noise_y, noise_p, events)
    return events


@njit(cache=True, fastmath=_FASTMATH)
def _emit_ser(frame, st, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x, noise_t, noise_x, noise_y, noise_p):
    """:func:`_emit_par` on one thread (one band)."""
    cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist = _emit_start(
        frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, 1)
    _count_band(0, bounds, rows, cap, row_t, ov_t, ov_start, t_first, span, hist)
    events = np.empty(_emit_slots(hist), dtype=EVENT_DTYPE)
    _place_band(0, bounds, rows, cap, row_t, row_p, row_x, ov_t, ov_p, ov_x, ov_start, t_first, span, hist, events)
    _place_noise(1, t_first, span, hist, noise_t, noise_x, noise_y, noise_p, events)
    return events


PARALLEL_MIN_PIXELS = 32768
"""Arrays with fewer pixels than this run the serial builds of pass 1 (:func:`_pass1_ser`) and of
the sort (:func:`_emit_ser`)."""
PARALLEL_MIN_EVENTS = 16384
"""Steps with fewer events than this (or on one thread) sort them with :func:`_emit_ser`: below it,
the parallel regions cost more than they save."""


@njit(cache=True, fastmath=_FASTMATH)
def _init_log(frame, prm, out):
    h, w = frame.shape
    lin_thr = _F32(prm[_LIN])
    log_thr = _F32(prm[_LOGLIN])
    inv_thr = _F32(prm[_INVLIN])
    for y in range(h):
        for x in range(w):
            out[y, x] = _lin_log(frame[y, x], lin_thr, log_thr, inv_thr)


# --------------------------------------------------------------------------------------------
# simulator
# --------------------------------------------------------------------------------------------


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
        self.threshold_on = self._st[_THR_ON]
        self.threshold_off = self._st[_THR_OFF]
        self.threshold_on[...] = np.maximum(rng.normal(p.threshold_on_log, p.threshold_on_sigma_log, shape),
                                            p.threshold_min_log)
        self.threshold_off[...] = np.maximum(rng.normal(p.threshold_off_log, p.threshold_off_sigma_log, shape),
                                             p.threshold_min_log)
        leak = np.maximum(p.leak_rate_hz * (1.0 + p.leak_jitter * rng.standard_normal(width * height)), 0.0)
        self.leak_rate_hz = leak.reshape(shape).astype(np.float32)
        self._leak_cdf = np.cumsum(leak)
        self._noise_seed = int(rng.integers(2**63 - 1))
        self._prm = np.zeros(10, np.float64)
        self._prm[_LIN] = np.float32(p.lin_log_lux)
        self._prm[_LOGLIN] = np.float32(np.log(p.lin_log_lux))
        self._prm[_INVLIN] = np.float32(1.0 / p.lin_log_lux)
        self._prm[_BWINV] = np.float32(1.0 / p.bandwidth_ref_lux)
        self._prm[_REFR] = p.refractory_us
        self._prm[_INVSUB] = 1.0 / p.substep_fraction if p.substep_fraction > 0 else 0.0
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
        parallel = width * height >= PARALLEL_MIN_PIXELS
        self._pass1 = _pass1_par if parallel else _pass1_ser
        self._parallel = parallel
        self.reset()

    def reset(self) -> None:
        """Forget the pixel state and restart the noise stream; thresholds are kept."""
        self._st[:_THR_ON] = 0.0
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
            _init_log(frame, self._prm, self._st[_LP])
            self._st[_I_PREV] = frame
            self._st[_BASE] = self._st[_LP]
            self._lp_old[...] = self._st[_LP]
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
        prm[_T0] = self._t_prev
        prm[_DT] = dt
        prm[_CWDT] = np.float32(self._cut_w * prm[_DT])
        threads = numba.get_num_threads()
        prm[_GROUPS] = 4 * threads
        n_sig, bad_rows = self._pass1(frame, self._st, self._tlast, self._lp_old, self._i_old, self._active,
                                      self._saved, self._s_tl, self._px_list, self._rows, prm, self._row_t,
                                      self._row_p, self._row_x)
        if bad_rows:
            self._t_prev = None
            raise self._bad_frame(_count_bad(frame))
        if n_sig > _UNCHECKED_EVENTS:
            self._check_memory(n_sig, t_us)
        noise = self._noise(frame, self._t_prev, t_us)
        self._t_prev = t_us
        if n_sig + noise[0].size == 0:
            return empty_events()
        parallel = (self._parallel and threads > 1 and n_sig >= PARALLEL_MIN_EVENTS
                    and (prm[_GROUPS] + 1) * (dt + 1) <= _PARALLEL_SORT_BINS)
        emit = _emit_par if parallel else _emit_ser
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


@njit(cache=True)
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
    times = np.asarray(list(t_us) if not isinstance(t_us, np.ndarray) else t_us)
    if hasattr(frames, "__len__") and len(frames) != times.size:
        raise ParameterError(f"got {len(frames)} frames but {times.size} timestamps")
    chunks = []
    count = 0
    for frame, t in zip(frames, times, strict=False):
        chunks.append(sim.step(frame, t))
        count += 1
    if count != times.size:
        raise ParameterError(f"got {count} frames but {times.size} timestamps")
    return np.concatenate(chunks) if chunks else empty_events()


def num_threads() -> int:
    """Threads numba uses for the pixel kernels.

    Examples
    --------
    >>> n = num_threads()
    >>> isinstance(n, int), 1 <= n <= numba.config.NUMBA_NUM_THREADS
    (True, True)
    """
    return numba.get_num_threads()


__all__ = ["DvsParams", "DvsSimulator", "FIELD_RANGE", "MAX_NOISE_PER_STEP", "MAX_STEP_US", "MIN_CUTOFF_HZ", "NOISE_FIELD_MAX", "PRESETS",
           "noise_per_step", "simulate_frames", "EVENT_DTYPE"]
