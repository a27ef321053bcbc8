"""Where a field on a grid is not negligible: its box, found at a coarse stride, and the field there.

The renderer keeps each AU's displacement and shading field as such a box and its values, and
adds only the boxes of the AUs a frame moves.
"""

from __future__ import annotations

import numpy as np


def on_support(fn, u: np.ndarray, v: np.ndarray, tol: float):
    """Evaluate ``fn(points (N, 2)) -> (N,) or (N, 2)`` on the grid ``(u, v)`` where it exceeds
    ``tol``: (box, values cropped to box) or None. The support is found at a coarse stride."""
    k = max(1, int(min(u.shape) // 48))
    cu, cvv = u[::k, ::k], v[::k, ::k]
    coarse = np.abs(fn(np.stack([cu.ravel(), cvv.ravel()], axis=1))).reshape(cu.shape + (-1,)).max(axis=-1)
    box = bbox(coarse > 0.2 * tol)
    if box is None:
        return None
    r0, r1 = max(box[0].start * k - 2 * k, 0), min(box[0].stop * k + 2 * k, u.shape[0])
    c0, c1 = max(box[1].start * k - 2 * k, 0), min(box[1].stop * k + 2 * k, u.shape[1])
    uu, vv = u[r0:r1, c0:c1], v[r0:r1, c0:c1]
    vals = np.asarray(fn(np.stack([uu.ravel(), vv.ravel()], axis=1)), np.float32)
    vals = vals.reshape(uu.shape + vals.shape[1:])
    return (slice(r0, r1), slice(c0, c1)), np.ascontiguousarray(vals)


def union(boxes: list[tuple[slice, slice]]) -> tuple[slice, slice] | None:
    """The smallest box holding every box of ``boxes`` (``(rows, cols)`` slices); None when there are none.

    Examples
    --------
    >>> union([(slice(2, 5), slice(0, 3)), (slice(4, 9), slice(1, 2))])
    (slice(2, 9, None), slice(0, 3, None))
    >>> union([]) is None
    True
    """
    if not boxes:
        return None
    return (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
            slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))


def bbox(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The ``(rows, cols)`` slices of the smallest box holding every True of the 2-D ``mask``; None when it has none.

    Examples
    --------
    >>> mask = np.zeros((4, 5), bool)
    >>> mask[1, 2] = mask[2, 3] = True
    >>> rows, cols = bbox(mask)
    >>> (int(rows.start), int(rows.stop)), (int(cols.start), int(cols.stop))
    ((1, 3), (2, 4))
    >>> bbox(np.zeros((4, 5), bool)) is None
    True
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
