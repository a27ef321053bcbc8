"""Where a field on a grid is not negligible: its box, found at a coarse stride, and the field there.

The renderer keeps each AU's displacement and shading field as such a box and its values, and
adds only the boxes of the AUs a frame moves.
"""

from __future__ import annotations

import numpy as np


def _on_support(fn, u: np.ndarray, v: np.ndarray, tol: float):
    """Evaluate ``fn(points (N, 2)) -> (N,) or (N, 2)`` on the grid ``(u, v)`` where it exceeds
    ``tol``: (box, values cropped to box) or None. The support is found at a coarse stride."""
    k = max(1, int(min(u.shape) // 48))
    cu, cvv = u[::k, ::k], v[::k, ::k]
    coarse = np.abs(fn(np.stack([cu.ravel(), cvv.ravel()], axis=1))).reshape(cu.shape + (-1,)).max(axis=-1)
    box = _bbox(coarse > 0.2 * tol)
    if box is None:
        return None
    r0, r1 = max(box[0].start * k - 2 * k, 0), min(box[0].stop * k + 2 * k, u.shape[0])
    c0, c1 = max(box[1].start * k - 2 * k, 0), min(box[1].stop * k + 2 * k, u.shape[1])
    uu, vv = u[r0:r1, c0:c1], v[r0:r1, c0:c1]
    vals = np.asarray(fn(np.stack([uu.ravel(), vv.ravel()], axis=1)), np.float32)
    vals = vals.reshape(uu.shape + vals.shape[1:])
    return (slice(r0, r1), slice(c0, c1)), np.ascontiguousarray(vals)


def _union(boxes: list[tuple[slice, slice]]) -> tuple[slice, slice] | None:
    if not boxes:
        return None
    return (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
            slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))


def _bbox(mask: np.ndarray) -> tuple[slice, slice] | None:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
