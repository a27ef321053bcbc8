"""How fast can a dense *ideal* DVS step be with today's arithmetic? A stripped kernel, timed beside evface's.

Not part of the package. In ideal mode (``DvsParams.ideal``: equal thresholds, no low-pass, refractory period,
sub-steps or noise) most of ``evface.sim.dvs_kernels``'s generality does nothing: the per-pixel thresholds, the
fixed-point skip, the last event times, the saved state for a row whose buffer overflows. This kernel keeps only
what the ideal model needs (the log of the frame, the previous log in a second buffer, the reference level), runs
pass 1's vector sweep and scalar firing sweep over it with the very arithmetic of ``dvs_kernels`` (its ``_lin_log``
and the crossings of ``_crossings``), and orders the events with evface's own ``emit_parallel`` /
``emit_serial``. Its events are checked to be the same bytes as ``DvsSimulator``'s; its time per step is then
about the least any kernel of today's model arithmetic and event order takes on this CPU, the sort included.

Both run on the ``flicker`` scene of ``evface bench sim`` (every pixel changes every step) at 1 kHz, one thread
count at a time, alternated, best of ``--repeats`` runs of ``--steps`` steps (after 5 untimed ones).

Run (from the repository root, with evface's virtualenv)::

    python tools/dvs_ideal_floor.py [--width 1280 --height 720 --steps 100 --repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable

import numba
import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import trailing_zeros

from evface.bench.sim import flicker_frame
from evface.checks import as_int, within_memory
from evface.errors import EvfaceError
from evface.events.core import empty_events
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_kernels import (PRM_DT, PRM_GROUPS, PRM_INVLIN, PRM_LIN, PRM_LOGLIN, PRM_T0, _F32, _lin_log,
                                    emit_parallel, emit_serial, init_log)
from evface.sim.dvs_params import DvsParams

THRESHOLD = 0.2
ALLOCATED_PER_PIXEL = 4 * 3 + 1 + 4 * (8 + 2 + 1 + 2) + 200
"""Bytes per pixel: this kernel's state, its row buffers (4 events a pixel), the frames and evface's simulator."""


@njit(inline="always")
def _row(fr, lp_prev, lp, base, act, words, thr, lin, log_lin, inv_lin, t0, dt, out_t, out_p, out_x):
    """One row: the vector sweep (log, flags) then the scalar sweep of the flagged pixels; returns its event count."""
    any_act = False
    for i in range(np.uint64(0), np.uint64(fr.shape[0])):
        l1 = _lin_log(fr[i], lin, log_lin, inv_lin)
        d = l1 - base[i]
        fire = (d >= thr) | (d <= -thr)
        lp[i] = l1
        act[i] = fire
        any_act |= fire
    k = 0
    if not any_act:
        return k
    for wi in range(words.shape[0]):
        word = words[wi]
        while word != 0:
            x = wi * 8 + (trailing_zeros(word) >> 3)  # type: ignore[call-arg]  # numba passes an intrinsic its typing context
            word &= word - np.uint64(1)
            lp_a = lp_prev[x]
            b = base[x]
            pol = 1 if lp[x] - b > 0 else -1
            c = int(abs(lp[x] - b) / thr)
            span = np.float64(lp[x]) - np.float64(lp_a)
            inv_span = 1.0 / span if span != 0.0 else 0.0
            for e in range(1, c + 1):
                f = (np.float64(b) + pol * e * np.float64(thr) - lp_a) * inv_span if span != 0.0 else 1.0
                if k < out_t.shape[0]:  # a fuller row is refused after the pass
                    out_t[k] = t0 + min(max(f, 0.0), 1.0) * dt
                    out_p[k] = pol
                    out_x[k] = x
                k += 1
            base[x] = _F32(b + pol * c * thr)
    return k


@njit(parallel=True, fastmath={"contract"})
def _pass(frame, lp_prev, lp, base, act, thr, prm, rows, row_t, row_p, row_x):
    """Pass 1 of the stripped model over interleaved bands of rows, as ``dvs_kernels.pass1_parallel`` deals them."""
    h = frame.shape[0]
    words = act.view(np.uint64)
    groups = min(h, max(int(prm[PRM_GROUPS]), 1))
    lin, log_lin, inv_lin = _F32(prm[PRM_LIN]), _F32(prm[PRM_LOGLIN]), _F32(prm[PRM_INVLIN])
    for g in prange(groups):
        for y in range(g, h, groups):
            rows[0, y] = _row(frame[y], lp_prev[y], lp[y], base[y], act[y], words[y], thr, lin, log_lin, inv_lin,
                              prm[PRM_T0], prm[PRM_DT], row_t[y], row_p[y], row_x[y])


class IdealFloor:
    """The stripped ideal model: the same ``step(frame, t_us)`` and events as ``DvsSimulator(size, DvsParams.ideal(0.2))``."""

    def __init__(self, size: tuple[int, int]) -> None:
        width, height = size
        self.lp = [np.empty((height, width), np.float32), np.empty((height, width), np.float32)]
        self.base = np.empty((height, width), np.float32)
        self.act = np.zeros((height, -(-width // 8) * 8), np.uint8)
        cap = 4 * width + 64
        self.rows = np.zeros((3, height), np.int64)
        self.row_t = np.empty((height, cap))
        self.row_p = np.empty((height, cap), np.int8)
        self.row_x = np.empty((height, cap), np.uint16)
        lin = DvsParams.ideal(THRESHOLD).lin_log_lux
        self.prm = np.zeros(10)
        self.prm[PRM_LIN], self.prm[PRM_LOGLIN], self.prm[PRM_INVLIN] = np.float32(lin), np.float32(np.log(lin)), np.float32(1 / lin)
        # what emit_* reads only for a row that overflowed (never here), and no noise events
        self.unused = (np.zeros((5, 1, 1), np.float32), np.zeros((3, 1, 1), np.float32), np.zeros((1, 1)),
                       np.zeros((1, 1), np.int32))
        self.noise = (np.empty(0), np.empty(0, np.uint16), np.empty(0, np.uint16), np.empty(0, np.int8))
        self.t_prev: int | None = None

    def step(self, frame: np.ndarray, t_us: int) -> np.ndarray:
        if self.t_prev is None:
            init_log(frame, self.prm, self.lp[0])
            self.base[...] = self.lp[0]
            self.t_prev = t_us
            return empty_events()
        threads = numba.get_num_threads()
        self.prm[PRM_T0], self.prm[PRM_DT], self.prm[PRM_GROUPS] = self.t_prev, t_us - self.t_prev, 4 * threads
        _pass(frame, self.lp[0], self.lp[1], self.base, self.act, np.float32(THRESHOLD), self.prm, self.rows,
              self.row_t, self.row_p, self.row_x)
        if self.rows[0].max() > self.row_t.shape[1]:
            raise RuntimeError("a row's buffer overflowed: this stripped kernel does not re-run rows")
        self.lp.reverse()
        self.t_prev = t_us
        emit = emit_parallel if threads > 1 and self.rows[0].sum() >= 16384 else emit_serial
        st, saved, s_tl, px_list = self.unused
        return emit(frame, st, saved, s_tl, px_list, self.rows, self.prm, self.row_t, self.row_p, self.row_x, *self.noise)


def _timed(sim: DvsSimulator | IdealFloor, frames: list[np.ndarray]) -> tuple[float, str]:
    """(seconds per timed step, sha256 of the timed steps' events) after 5 untimed steps."""
    for k in range(5):
        sim.step(frames[k], k * 1000)
    digest = hashlib.sha256()
    start = time.perf_counter()
    out = [sim.step(frames[k], k * 1000) for k in range(5, len(frames))]
    seconds = (time.perf_counter() - start) / (len(frames) - 5)
    for events in out:
        digest.update(events.tobytes())
    return seconds, digest.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=1280, help="frame width in pixels (default 1280)")
    ap.add_argument("--height", type=int, default=720, help="frame height in pixels (default 720)")
    ap.add_argument("--steps", type=int, default=100, help="steps timed in each run (default 100)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each kernel and thread count (default 5)")
    args = ap.parse_args()
    try:
        w, h = as_int("--width", args.width, 8, 1 << 14), as_int("--height", args.height, 8, 1 << 14)
        steps = as_int("--steps", args.steps, 1, 100_000)
        repeats = as_int("--repeats", args.repeats, 1)
        within_memory(h * w * (ALLOCATED_PER_PIXEL + 4 * (steps + 5)), f"a {w}x{h} state and its {steps + 5} frames",
                      "give a smaller --width, --height or --steps")
    except EvfaceError as exc:
        ap.exit(2, f"error: {exc}\n")
    frames = [flicker_frame((w, h), k) for k in range(steps + 5)]
    kernels: dict[str, Callable[[], DvsSimulator | IdealFloor]] = {
        "evface": lambda: DvsSimulator((w, h), DvsParams.ideal(THRESHOLD)), "stripped": lambda: IdealFloor((w, h))}
    for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):  # type: ignore[attr-defined]  # numba sets its config names at run time
        numba.set_num_threads(threads)
        best = {name: float("inf") for name in kernels}
        digests = {}
        for _ in range(repeats):
            for name, make in kernels.items():
                seconds, digests[name] = _timed(make(), frames)
                best[name] = min(best[name], seconds)
        same = "the same events" if digests["evface"] == digests["stripped"] else "DIFFERENT events"
        print(f"{w}x{h}, {threads} thread(s), best of {repeats} x {steps} steps: evface {best['evface'] * 1e3:.2f} ms "
              f"per step, stripped {best['stripped'] * 1e3:.2f} ms ({best['evface'] / best['stripped']:.2f}x); {same}")


if __name__ == "__main__":
    main()
