"""Events chunks as a reader yields them: joined, cut to a time window, and recut into chunks of a
count of events or of a window of time.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from evface.events.core import EVENT_DTYPE, empty_events


def _join(chunks: list[np.ndarray]) -> np.ndarray:
    """Concatenate events chunks as raw bytes: numpy's structured-dtype concatenate is ~6x slower."""
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return empty_events()
    raw = np.concatenate([np.ascontiguousarray(c).view(np.uint8) for c in chunks])
    return raw.view(EVENT_DTYPE)


def _window(chunks: Iterator[np.ndarray], t0: int | None, t1: int | None) -> Iterator[np.ndarray]:
    for chunk in chunks:
        t = chunk["t"]
        lo = 0 if t0 is None else int(np.searchsorted(t, t0, side="left"))
        hi = t.size if t1 is None else int(np.searchsorted(t, t1, side="left"))
        if hi > lo:
            yield chunk[lo:hi]
        if t1 is not None and t.size and t[-1] >= t1:
            return


def _by_count(chunks: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    pending: list[np.ndarray] = []
    have = 0
    for chunk in chunks:
        while chunk.size:
            take = min(n - have, chunk.size)
            pending.append(chunk[:take])
            have += take
            chunk = chunk[take:]
            if have == n:
                yield _join(pending)
                pending, have = [], 0
    if have:
        yield _join(pending)


def _by_time(chunks: Iterator[np.ndarray], chunk_us: int) -> Iterator[np.ndarray]:
    pending: list[np.ndarray] = []
    window = None
    for chunk in chunks:
        while chunk.size:
            k = int(chunk["t"][0]) // chunk_us
            if window is not None and k != window and pending:
                yield _join(pending)
                pending = []
            window = k
            cut = int(np.searchsorted(chunk["t"], (k + 1) * chunk_us, side="left"))
            pending.append(chunk[:cut])
            chunk = chunk[cut:]
    if pending:
        yield _join(pending)
