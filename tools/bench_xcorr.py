"""The cross-correlation sync (``evface import session --sync NAME=xcorr``) of a long synthetic session.

Not part of the package. An event histogram of 100 µs bins whose rate follows bursts of activity
(8 a minute, 5 to 20 ms wide, about 330 events a second), 30 fps frame times starting 2 s into it,
and the frame-difference energy the activity gives each frame pair (its mean over each exposure,
differenced, with 2 % noise); the true offset is 1 234 567 µs. Only ``sync_by_xcorr`` is timed;
``sync_peak_mb`` is its peak of traced allocations (``--trace``, which slows it). To compare two
versions, run it with each one's checkout first on ``PYTHONPATH``.

Run (from the repository root, with evface's virtualenv)::

    python tools/bench_xcorr.py --minutes 60 [--exposure-us 20000] [--trace]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from evface.checks import as_int, as_real, within_memory
from evface.datasets.importers.sync_counts import EventRate
from evface.datasets.importers.sync_xcorr import sync_by_xcorr
from evface.errors import EvfaceError

OFFSET_US = 1_234_567
BIN_US = 100


def session(minutes: float, exposure_us: int) -> tuple[EventRate, np.ndarray, np.ndarray]:
    """The event histogram (sensor clock from 0), the frame times and the frames' energy."""
    rng = np.random.default_rng(5)
    n_bins = int(minutes * 60e6 + 10e6) // BIN_US
    act = np.full(n_bins, 0.05)
    for c in rng.uniform(0, n_bins, int(minutes * 8)):
        w = rng.uniform(50, 200)
        i = np.arange(max(0, int(c - 5 * w)), min(n_bins, int(c + 5 * w)))
        act[i] += np.exp(-0.5 * ((i - c) / w) ** 2) * rng.uniform(0.5, 2)
    rate = EventRate(0, BIN_US, rng.poisson(act * 0.6).astype(np.int64))
    frames = np.round(OFFSET_US + 2_000_000 + np.arange(int(minutes * 1800)) * 1e6 / 30).astype(np.int64)
    edges = OFFSET_US + BIN_US * np.arange(n_bins + 1)
    cum = np.r_[0.0, np.cumsum(act)]
    if exposure_us:
        area = np.r_[0.0, np.cumsum((cum[1:] + cum[:-1]) / 2 * BIN_US)]
        mean = (np.interp(frames + exposure_us, edges, area) - np.interp(frames, edges, area)) / exposure_us
    else:
        mean = np.interp(frames, edges, cum)
    energy = np.abs(np.diff(mean))
    return rate, frames, energy + rng.normal(0, 0.02 * energy.std(), energy.size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=4.0, help="the session's length (default 4; 0.01 or more)")
    ap.add_argument("--exposure-us", type=int, default=20_000, help="each frame's exposure (default 20000; 0: none)")
    ap.add_argument("--trace", action="store_true", help="measure the peak of traced allocations")
    args = ap.parse_args()
    try:  # one line, exit 2 (was: a traceback)
        minutes = as_real("--minutes", args.minutes, 0.01, 24 * 60)
        exposure_us = as_int("--exposure-us", args.exposure_us, 0, 1_000_000)
        within_memory(int((minutes * 60e6 + 10e6) // BIN_US) * 8 * 6, f"a {minutes:g}-minute session's 100 µs bins",
                      "give fewer --minutes")
    except EvfaceError as exc:
        ap.exit(2, f"error: {exc}\n")
    rate, frames, energy = session(minutes, exposure_us)
    if args.trace:
        tracemalloc.start()
    t = time.perf_counter()
    result = sync_by_xcorr(rate, frames, energy, exposure_us=exposure_us)
    wall = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else None
    print(json.dumps({"minutes": minutes, "frames": int(frames.size), "events": int(rate.counts.sum()),
                      "wall_s": round(wall, 2), "sync_peak_mb": peak and round(peak), "offset_us": result.offset_us,
                      "true_offset_us": OFFSET_US, "confidence": result.confidence, **{
                          k: result.details[k] for k in ("r_peak", "r_alt")}}))


if __name__ == "__main__":
    main()
