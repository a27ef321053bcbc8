"""The memory floor of one dense DVS step: how long pass 1's bytes alone take to move.

Not part of the package. When every pixel changes (flicker, a global light change), pass 1 of
``evface.sim.dvs_kernels`` reads the frame and the pixel state and writes the state back for every pixel:
about 48 bytes per pixel (reads: the frame, the filtered log, the previous input, the reference
level, both thresholds, the last event time; writes: the filtered log, the previous input and
their copies for the re-run). This kernel moves exactly those bytes with one add per pixel and
no model, on 1 and 2 numba threads, so its time per step is a floor for any pixel model that keeps
today's state layout.

Run (from the repository root, with evface's virtualenv)::

    python tools/dvs_memory_floor.py [--width 1280 --height 720 --steps 100]
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import njit, prange

from evface.checks import as_int, within_memory
from evface.errors import EvfaceError

BYTES_PER_PIXEL = 4 * 6 + 8 + 4 * 4  # reads: frame + 5 float32 state + float64 time; writes: 4 float32
ALLOCATED_PER_PIXEL = 4 * 5 + 8 + 4 * 2 + 4 * 8  # the state, the times, the two copies, the 8 frames


@njit(parallel=True)
def _touch(frame, st, tlast, lp_old, i_old):
    h, w = frame.shape
    for y in prange(h):
        for x in range(w):
            lp = st[0, y, x]
            lp_old[y, x] = lp
            i_old[y, x] = st[1, y, x]
            total = lp + st[2, y, x] + st[3, y, x] + st[4, y, x] + np.float32(tlast[y, x])
            st[0, y, x] = total * np.float32(1e-9) + frame[y, x]
            st[1, y, x] = frame[y, x]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=1280, help="frame width in pixels (default 1280)")
    ap.add_argument("--height", type=int, default=720, help="frame height in pixels (default 720)")
    ap.add_argument("--steps", type=int, default=100, help="steps timed in each of 5 tries (default 100)")
    args = ap.parse_args()
    try:  # one line, exit 2 (was: a traceback, or with --steps -3 negative times)
        w, h = as_int("--width", args.width, 1, 1 << 14), as_int("--height", args.height, 1, 1 << 14)
        steps = as_int("--steps", args.steps, 1)
        within_memory(h * w * ALLOCATED_PER_PIXEL, f"a {w}x{h} state and its 8 frames", "give a smaller --width or --height")
    except EvfaceError as exc:
        ap.exit(2, f"error: {exc}\n")
    rng = np.random.default_rng(0)
    st = rng.random((5, h, w), dtype=np.float32)
    tlast = np.zeros((h, w))
    lp_old, i_old = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    frames = [rng.random((h, w), dtype=np.float32) for _ in range(8)]  # 8 frames: more than the caches hold
    _touch(frames[0], st, tlast, lp_old, i_old)  # compile
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]  # numba sets its config names at run time
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for k in range(steps):
                _touch(frames[k % len(frames)], st, tlast, lp_old, i_old)
            best = min(best, (time.perf_counter() - t) / steps)
        mb = h * w * BYTES_PER_PIXEL / 1e6
        print(f"{w}x{h}, {numba.get_num_threads()} thread(s): {best * 1e3:.2f} ms per step "
              f"({mb:.1f} MB, {mb / 1e3 / best:.1f} GB/s), best of 5 x {steps} steps")


if __name__ == "__main__":
    main()
