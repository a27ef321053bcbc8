"""Events chunks as a reader yields them: joined, cut to a time window, and recut into chunks of a
count of events or of a window of time.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from evface.events.core import EVENT_DTYPE, empty_events


def join_chunks(chunks: list[np.ndarray]) -> np.ndarray:
    """Concatenate events chunks as raw bytes: numpy's structured-dtype concatenate is ~6x slower."""
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return empty_events()
    raw = np.concatenate([np.ascontiguousarray(c).view(np.uint8) for c in chunks])
    return raw.view(EVENT_DTYPE)


def window_chunks(chunks: Iterator[np.ndarray], t0: int | None, t1: int | None) -> Iterator[np.ndarray]:
    """The events of ``chunks`` (in time order) from ``t0`` up to ``t1`` (µs, excluded; None: no bound),
    stopping at the first chunk that reaches ``t1``."""
    for chunk in chunks:
        t = chunk["t"]
        lo = 0 if t0 is None else int(np.searchsorted(t, t0, side="left"))
        hi = t.size if t1 is None else int(np.searchsorted(t, t1, side="left"))
        if hi > lo:
            yield chunk[lo:hi]
        if t1 is not None and t.size and t[-1] >= t1:
            return


def rechunk_by_count(chunks: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    """The events of ``chunks`` recut into chunks of ``n`` events (the last may hold fewer)."""
    pending: list[np.ndarray] = []
    have = 0
    for chunk in chunks:
        while chunk.size:
            take = min(n - have, chunk.size)
            pending.append(chunk[:take])
            have += take
            chunk = chunk[take:]
            if have == n:
                yield join_chunks(pending)
                pending, have = [], 0
    if have:
        yield join_chunks(pending)


def rechunk_by_time(chunks: Iterator[np.ndarray], chunk_us: int) -> Iterator[np.ndarray]:
    """The events of ``chunks`` (in time order) recut into one chunk per window of ``chunk_us`` µs that
    holds events (windows aligned on multiples of ``chunk_us``; empty ones are skipped)."""
    pending: list[np.ndarray] = []
    window = None
    for chunk in chunks:
        while chunk.size:
            k = int(chunk["t"][0]) // chunk_us
            if window is not None and k != window and pending:
                yield join_chunks(pending)
                pending = []
            window = k
            cut = int(np.searchsorted(chunk["t"], (k + 1) * chunk_us, side="left"))
            pending.append(chunk[:cut])
            chunk = chunk[cut:]
    if pending:
        yield join_chunks(pending)
