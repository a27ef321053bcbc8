"""The numba kernels of the DVS pixel model: one step of every pixel, and the step's events in time order.

:class:`evface.sim.dvs.DvsSimulator` owns the arrays they work on: the per-pixel state, packed in
one float32 array (planes ``ST_I_PREV`` to ``ST_THR_OFF``), and the step's scalar parameters, packed in
one float64 array (indices ``PRM_T0`` to ``PRM_GROUPS``).

The per-pixel core is a numba kernel run over rows in parallel: pass 1 sweeps the changed parts
of each row with a vectorised loop, then runs the full model on the flagged pixels only and
writes their events to per-row buffers; the step's events are then ordered by time with a stable
counting sort (re-running the firing pixels of a row whose buffer overflowed), over bands of rows
in parallel when the step has many events.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import prange
from numba.core import types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

from evface.events.core import EVENT_DTYPE
from evface.kernel_cache import cached_jit

_MAX_SUBSTEPS = 256

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


@cached_jit(inline="always")
def _log_f32(x):
    """Natural log of a positive, normal float32 (branch-free)."""
    b = _f2i(x)  # type: ignore[call-arg, var-annotated]  # numba passes an intrinsic its typing context
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


@cached_jit(inline="always")
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
    scale = _i2f((np.int32(n) + 127) << 23)  # type: ignore[call-arg, var-annotated]  # numba passes an intrinsic its typing context
    return (_F32(1.0) - scale) - scale * em1


@cached_jit(inline="always")
def _lin_log(x, thr, log_thr, inv_thr):
    """log(x) above ``thr``; below it the tangent line at ``thr`` (C1, finite at 0)."""
    lin = log_thr + (x - thr) * inv_thr
    return _log_f32(x) if x > thr else lin


@cached_jit(inline="always")
def _lowpass_on(lp0, l1, i1, cwdt, lin_thr, bw_inv):
    """Exact first-order low-pass update of the log towards ``l1``; ``cwdt`` = 2π fc dt, and
    the cut-off scales with ``(i1 + lin_thr) * bw_inv`` up to 1 (photocurrent-limited)."""
    s = min((i1 + lin_thr) * bw_inv, _F32(1.0))
    a = _one_minus_exp_neg(cwdt * s)
    lp1 = lp0 + a * (l1 - lp0)
    return l1 if abs(l1 - lp1) < _F32(1e-6) else lp1


@cached_jit(inline="always")
def _lowpass(lp0, l1, i1, cwdt, lin_thr, bw_inv):
    """:func:`_lowpass_on`, or ``l1`` itself when the low-pass is off (``cwdt == 0``)."""
    if cwdt > _F32(0.0):
        return _lowpass_on(lp0, l1, i1, cwdt, lin_thr, bw_inv)
    return l1


@cached_jit(inline="always")
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


# Scalar parameters travel packed in one float64 array (fewer dispatcher arguments per step): its
# indices (PRM_*).
PRM_T0, PRM_DT, PRM_CWDT, PRM_LIN, PRM_LOGLIN, PRM_INVLIN, PRM_BWINV, PRM_REFR, PRM_INVSUB, PRM_GROUPS = range(10)
# Planes of the packed float32 state array (ST_*).
ST_I_PREV, ST_LP, ST_BASE, ST_THR_ON, ST_THR_OFF = range(5)


@cached_jit(inline="always")
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


@cached_jit(inline="always")
def _pass1_rows(g, groups, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p,
                row_x):
    """Pass 1 (see :func:`pass1_parallel`) on rows ``g, g + groups, g + 2 groups, ...``."""
    h = frame.shape[0]
    cwdt = _F32(prm[PRM_CWDT])
    lin_thr = _F32(prm[PRM_LIN])
    log_thr = _F32(prm[PRM_LOGLIN])
    inv_thr = _F32(prm[PRM_INVLIN])
    bw_inv = _F32(prm[PRM_BWINV])
    inv_sub = prm[PRM_INVSUB]
    inv_sub32 = _F32(inv_sub)
    t0 = prm[PRM_T0]
    dt = prm[PRM_DT]
    refr = prm[PRM_REFR]
    i_prev = st[ST_I_PREV]
    lp = st[ST_LP]
    base = st[ST_BASE]
    thr_on = st[ST_THR_ON]
    thr_off = st[ST_THR_OFF]
    words = active.view(np.uint64)
    use_lp = cwdt > _F32(0.0)
    for y in range(g, h, groups):
        _pass1_row(y, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, active, words, saved, s_tl,
                   px_list, rows, use_lp, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, inv_sub32,
                   row_t[y], row_p[y], row_x[y])


@cached_jit(inline="always")
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
@cached_jit(parallel=True, fastmath=_FASTMATH)
def pass1_parallel(frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x):
    """Update every pixel in place; record the old state of the pixels that emit events.

    Per row: a vectorised sweep, in blocks of 64 pixels that are skipped when they sit at a
    fixed point (same input, filtered log unchanged), computes the filtered log (kept in ``lp``,
    the previous value in ``lp_old``; the previous input goes to ``i_old`` when sub-stepping)
    and flags the pixels that may fire or need sub-steps (``active``, a byte per
    pixel, rows padded to 8 bytes so that they can be scanned a word at a time); a scalar sweep
    runs the full pixel model on the flagged ones only and writes their events to the row's
    buffer (``row_t``, ``row_p``, ``row_x``); the old state of the firing pixels is kept so that
    a row whose buffer overflows is re-run in :func:`emit_parallel`. ``rows`` receives per row the event
    count, the number of firing pixels and whether it holds bad (negative or non-finite) inputs.
    Returns (events, rows with bad inputs).

    Rows are dealt to the threads in interleaved bands (``prm[PRM_GROUPS]`` = 4 x threads): a
    moving edge keeps only a few rows busy, and contiguous halves would leave one thread idle.
    """
    groups = min(frame.shape[0], max(int(prm[PRM_GROUPS]), 1))
    for g in prange(groups):
        _pass1_rows(g, groups, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t,
                    row_p, row_x)
    return _pass1_totals(rows)


@cached_jit(fastmath=_FASTMATH)
def pass1_serial(frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x):
    """:func:`pass1_parallel` on one thread."""
    _pass1_rows(0, 1, frame, st, tlast, lp_old, i_old, active, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x)
    return _pass1_totals(rows)


_BLOCK = 64
"""Pixels per block of the pass-1 sweep (a multiple of 8: blocks own whole words of ``active``)."""


@cached_jit(inline="always")
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


@cached_jit(inline="always")
def _fire_run(y, xa, xb, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, words, saved, s_tl, px_list,
              t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, out_t, out_p, out_x, count, npx):
    """The scalar sweep of pass 1 over pixels [xa, xb) of row ``y``: the full pixel model on the
    flagged pixels, found 8 flags at a time (the set bytes of a word, lowest first); returns the
    row's updated (event count, firing pixels)."""
    for wi in range(xa // 8, (xb + 7) // 8):
        word = words[y, wi]
        while word != 0:
            x = wi * 8 + (trailing_zeros(word) >> 3)  # type: ignore[call-arg]  # numba passes an intrinsic its typing context
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


@cached_jit(inline="always")
def _pass1_row(y, frame, lp, lp_old, base, thr_on, thr_off, i_prev, i_old, tlast, active, words, saved, s_tl, px_list,
               rows, use_lp, t0, dt, cwdt, lin_thr, log_thr, inv_thr, bw_inv, refr, inv_sub, inv_sub32, out_t, out_p,
               out_x):
    """Pass 1 on row ``y`` (see :func:`pass1_parallel`); the row's events go to ``out_*`` while they fit.

    The row is checked in blocks of 64 pixels. A block whose input equals the previous input
    and whose filtered log did not move in the previous step is at a fixed point of the model
    (no state change, no event), so it is skipped after one vectorised comparison (made only when
    the block's first pixel is at its fixed point: in a dense step none is). Each run of
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
        same = x0 >= w or ((fr[x0] == ipr[x0]) & (lor[x0] == lpr[x0]))  # a dense block differs at once
        if same:
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


@cached_jit(inline="always")
def _time_key(t, t_first, span):
    """The µs bin (0..span) of an event at float time ``t`` in a step starting at ``t_first``."""
    key = np.int64(math.floor(t + 0.5)) - t_first
    return min(max(key, 0), span)


@cached_jit(inline="always")
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
        thr_on = st[ST_THR_ON]
        thr_off = st[ST_THR_OFF]
        t0 = prm[PRM_T0]
        dt = prm[PRM_DT]
        cwdt = _F32(prm[PRM_CWDT])
        lin_thr = _F32(prm[PRM_LIN])
        log_thr = _F32(prm[PRM_LOGLIN])
        inv_thr = _F32(prm[PRM_INVLIN])
        bw_inv = _F32(prm[PRM_BWINV])
        refr = prm[PRM_REFR]
        inv_sub = prm[PRM_INVSUB]
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


@cached_jit(inline="always")
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


@cached_jit(inline="always")
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


@cached_jit(inline="always")
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


@cached_jit(inline="always")
def _emit_start(frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, chunks):
    """The overflow re-run, the row bands and a histogram with a last row for the noise events."""
    cap = row_t.shape[1]
    ov_t, ov_p, ov_x, ov_start = _rerun_overflow(frame, st, saved, s_tl, px_list, rows, prm, cap)
    t_first = np.int64(prm[PRM_T0])
    span = np.int64(prm[PRM_DT])
    bounds = _row_bands(rows, chunks)
    hist = np.zeros((chunks + 1, span + 1), np.int64)
    for i in range(noise_t.shape[0]):
        hist[chunks, _time_key(noise_t[i], t_first, span)] += 1
    return cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist


@cached_jit(inline="always")
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


@cached_jit(inline="always")
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
@cached_jit(parallel=True, fastmath=_FASTMATH)
def emit_parallel(frame, st, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x, noise_t, noise_x, noise_y, noise_p):
    """The step's events, ordered by rounded time: bands of rows counted and placed in parallel.

    The firing pixels of a row whose buffer overflowed are first re-run from their saved state.
    """
    chunks = min(frame.shape[0], max(int(prm[PRM_GROUPS]), 1))
    cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist = _emit_start(
        frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, chunks)
    for c in prange(chunks):
        _count_band(c, bounds, rows, cap, row_t, ov_t, ov_start, t_first, span, hist)
    events = np.empty(_emit_slots(hist), dtype=EVENT_DTYPE)
    for c in prange(chunks):
        _place_band(c, bounds, rows, cap, row_t, row_p, row_x, ov_t, ov_p, ov_x, ov_start, t_first, span, hist, events)
    _place_noise(chunks, t_first, span, hist, noise_t, noise_x, noise_y, noise_p, events)
    return events


@cached_jit(fastmath=_FASTMATH)
def emit_serial(frame, st, saved, s_tl, px_list, rows, prm, row_t, row_p, row_x, noise_t, noise_x, noise_y, noise_p):
    """:func:`emit_parallel` on one thread (one band)."""
    cap, ov_t, ov_p, ov_x, ov_start, t_first, span, bounds, hist = _emit_start(
        frame, st, saved, s_tl, px_list, rows, prm, row_t, noise_t, 1)
    _count_band(0, bounds, rows, cap, row_t, ov_t, ov_start, t_first, span, hist)
    events = np.empty(_emit_slots(hist), dtype=EVENT_DTYPE)
    _place_band(0, bounds, rows, cap, row_t, row_p, row_x, ov_t, ov_p, ov_x, ov_start, t_first, span, hist, events)
    _place_noise(1, t_first, span, hist, noise_t, noise_x, noise_y, noise_p, events)
    return events


@cached_jit(fastmath=_FASTMATH)
def init_log(frame, prm, out):
    """Write the photoreceptor's log of ``frame`` (lux, float32) into ``out``: a simulator's first state."""
    h, w = frame.shape
    lin_thr = _F32(prm[PRM_LIN])
    log_thr = _F32(prm[PRM_LOGLIN])
    inv_thr = _F32(prm[PRM_INVLIN])
    for y in range(h):
        for x in range(w):
            out[y, x] = _lin_log(frame[y, x], lin_thr, log_thr, inv_thr)
