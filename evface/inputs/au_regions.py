"""Masks of the face regions where action units act (brows, eyes, nose, mouth, chin) on a face-box grid.

The regions come from the face model's mean geometry (:data:`evface.face.identity.TEMPLATE`
through :func:`~evface.face.identity.landmarks_from_geometry`) placed in the face box the rig
records (:data:`evface.face.canvas.FACE_BOX_FW`: the box spans ``u`` in ``[-w/2, w/2]`` and ``v``
from ``top`` to ``bottom``, in face widths, ``v`` pointing down). Each region is the union of one
ellipse per landmark group: the group's bounding box grown by the region's margin (face widths,
enough to cover the spread of procedural identities and the AUs' own reach). A mask is boolean
``(size, size)`` over the grid a face box is resampled to
(:func:`evface.inputs.clip_view.resize_area`), row 0 at the top of the box.

Examples
--------
>>> m = region_masks(128)
>>> sorted(m), m["mouth"].shape
(['brows', 'chin', 'eyes', 'mouth', 'nose'], (128, 128))
>>> bool(m["eyes"][:64].any()), bool(m["eyes"][96:].any())  # eyes in the upper half only
(True, False)
>>> active_regions([6, 12]), active_regions([1, 2])
(('eyes', 'mouth'), ('brows',))
"""

from __future__ import annotations

import numpy as np

from evface.checks import MAX_SENSOR_SIDE, as_int, within_memory
from evface.errors import ParameterError
from evface.face.aus import AU_TABLE
from evface.face.canvas import FACE_BOX_FW
from evface.face.identity import TEMPLATE, landmarks_from_geometry

REGIONS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    # region: landmark groups, margin (u, v) in face widths
    "brows": (("brow_l", "brow_r"), (0.04, 0.06)),
    "eyes": (("eye_l", "eye_r"), (0.04, 0.04)),
    "nose": (("nose",), (0.05, 0.03)),
    "mouth": (("mouth",), (0.06, 0.05)),
    "chin": (("chin",), (0.14, 0.08)),
}
"""The AU regions: which landmark groups outline each, and by how much the outline grows."""


GRID_BYTES = 48
"""Bytes :func:`region_masks` holds per grid pixel at its peak (37 measured: the grid's ``u`` and ``v``,
an ellipse's temporaries and the masks), checked in :func:`grid_uv` against the memory first
(size 65536 was a MemoryError for 32 GiB)."""


FACE_MODEL_REGION = {"cheeks": "eyes", "jaw": "chin"}
"""Where the face model's AU regions (:data:`evface.face.aus.AU_TABLE`) without a mask of their own
are scored: the cheek raiser (AU6) lifts the lower lids and makes crow's feet; the jaw moves the chin."""


def active_regions(aus: list[int] | tuple[int, ...]) -> tuple[str, ...]:
    """The regions of :data:`REGIONS` the action units ``aus`` act in (sorted; unknown AUs add none).

    Parameters
    ----------
    aus : list or tuple of int
        Action unit numbers (6 for AU6); a string or a non-integer item is a ParameterError.

    Returns
    -------
    tuple of str
        The region names, sorted; ``()`` when no AU is known.

    Examples
    --------
    >>> active_regions([6, 12]), active_regions([4]), active_regions([99])
    (('eyes', 'mouth'), ('brows',), ())
    >>> active_regions(["AU12"])  # was () without a word, as for an unknown AU
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: aus[0] must be an integer, got 'AU12'
    """
    if isinstance(aus, (str, bytes)) or not isinstance(aus, (list, tuple, np.ndarray)):
        raise ParameterError(f"aus must be a list of action unit numbers, got {aus!r}")
    aus = [as_int(f"aus[{i}]", a) for i, a in enumerate(aus)]
    found = {FACE_MODEL_REGION.get(AU_TABLE[a].region, AU_TABLE[a].region) for a in aus if a in AU_TABLE}
    return tuple(sorted(found & set(REGIONS)))


def grid_uv(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Face-width coordinates ``(u, v)`` of the pixel centres of a ``size x size`` face-box grid.

    Parameters
    ----------
    size : int
        Pixels on each side of the grid (1 to the largest sensor side).

    Returns
    -------
    u : ndarray of float64, shape (size, size)
        Across the box, from ``-w/2`` (left) to ``w/2``, face widths.
    v : ndarray of float64, shape (size, size)
        Down the box, from its top to its bottom, face widths.

    Examples
    --------
    >>> u, v = grid_uv(4)
    >>> u.shape, u[0].round(3).tolist(), v[:, 0].round(3).tolist()  # u across a row, v down a column
    ((4, 4), [-0.431, -0.144, 0.144, 0.431], [-0.456, -0.169, 0.119, 0.406])
    """
    size = as_int("size", size, 1, MAX_SENSOR_SIDE)
    within_memory(GRID_BYTES * size**2, f"an AU-region grid of size {size}", "give a smaller size")
    width, top, bottom = FACE_BOX_FW
    centres = (np.arange(size) + 0.5) / size
    u = -0.5 * width + centres * width
    v = top + centres * (bottom - top)
    vv, uu = np.meshgrid(v, u, indexing="ij")
    return uu, vv


def region_masks(size: int) -> dict[str, np.ndarray]:
    """Boolean ``(size, size)`` mask of each region of :data:`REGIONS` (see the module docstring).

    Parameters
    ----------
    size : int
        Pixels on each side of the face-box grid.

    Returns
    -------
    dict of str to ndarray of bool, shape (size, size)
        One mask per region name, in the order of :data:`REGIONS`; row 0 at the top of the box.

    Examples
    --------
    >>> masks = region_masks(32)
    >>> {name: int(mask.sum()) for name, mask in masks.items()}  # pixels per region
    {'brows': 68, 'eyes': 46, 'nose': 48, 'mouth': 48, 'chin': 14}
    """
    uu, vv = grid_uv(size)
    landmarks = landmarks_from_geometry(TEMPLATE)
    masks = {}
    for region, (groups, (mu, mv)) in REGIONS.items():
        mask = np.zeros((size, size), dtype=bool)
        for group in groups:
            pts = np.asarray(landmarks[group], dtype=np.float64)
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            cu, cv = (lo + hi) / 2
            au, av = (hi[0] - lo[0]) / 2 + mu, (hi[1] - lo[1]) / 2 + mv
            mask |= ((uu - cu) / au) ** 2 + ((vv - cv) / av) ** 2 <= 1.0
        masks[region] = mask
    return masks
