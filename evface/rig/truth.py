"""Truth frames: the clean scene luminance each event sensor saw, stored compactly.

The rig keeps, at ``truth_rate_hz``, the lux image an event sensor was fed (before any camera
noise). Stored as float32 with a shortened mantissa (:func:`round_mantissa`), so that the
shuffle filter gives the compressor two all-zero byte planes.
"""

from __future__ import annotations

import numpy as np


def round_mantissa(x: np.ndarray, bits: int = 7, out: np.ndarray | None = None) -> np.ndarray:
    """Keep ``bits`` of float32 mantissa, rounding to nearest (relative error <= 2**-(bits+1):
    0.4 % for 7 bits, one 8-bit grey level at full scale).

    ``out``: a contiguous float32 array of ``x``'s shape to write into.

    Examples
    --------
    >>> round_mantissa(np.array([1000.0, 1003.0, 1007.0], np.float32)).tolist()  # steps of 4 near 1000
    [1000.0, 1004.0, 1008.0]
    """
    drop = 23 - bits
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    r = np.add(u, np.uint32(1 << (drop - 1)), out=None if out is None else out.view(np.uint32))
    np.bitwise_and(r, np.uint32(~((1 << drop) - 1) & 0xFFFFFFFF), out=r)
    return r.view(np.float32)
