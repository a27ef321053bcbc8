"""A photo identity's texture: the photo resampled onto the renderer's texture grid, read from the part it samples."""

from __future__ import annotations

import cv2
import numpy as np

from evface.face.identity import Identity


def photo_texture(identity: Identity, size_wh, margin, fw, centre_px) -> np.ndarray:
    """The photo resampled onto the texture grid (linear reflectance; alpha 1)."""
    A = np.asarray(identity.photo_from_face, float)  # (u, v, 1) -> photo px
    cx, cy = centre_px
    # texture px -> face units -> photo px
    T = np.array([[1.0 / fw, 0.0, -(margin + cx) / fw], [0.0, 1.0 / fw, -(margin + cy) / fw], [0, 0, 1]])
    M = A @ T
    ratio = np.sqrt(abs(np.linalg.det(M[:, :2])))  # photo px per texture px
    sigma = 0.45 * ratio if ratio > 1.2 else 0.0
    crop, M = _photo_footprint(np.asarray(identity.photo), M, size_wh, sigma)
    img = np.asarray(crop, np.float32) / 255.0
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    lin: np.ndarray = img**2.2
    if sigma:
        lin = cv2.GaussianBlur(lin, (0, 0), sigma)
    rgb = cv2.warpAffine(lin, M, tuple(int(t) for t in size_wh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT_101)
    alpha = np.ones(rgb.shape[:2] + (1,), np.float32)
    return np.concatenate([rgb, alpha], axis=-1)


def _photo_footprint(photo: np.ndarray, M: np.ndarray, size_wh, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The part of ``photo`` that the texture of ``size_wh`` samples through ``M`` (texture px ->
    photo px), with room for a Gaussian blur of ``sigma`` and for the reflection at the photo's
    edges, and ``M`` moved to it: the same texture as from the whole photo, without blurring all
    of it (was: an 8000x6000 photo blurred whole for each of a rig's three renderers, 36 s and
    2 GB for one subject).

    Examples
    --------
    >>> photo = np.zeros((6000, 8000, 3), np.uint8)
    >>> crop, moved = _photo_footprint(photo, np.array([[10.0, 0, 3000], [0, 10.0, 1000]]), (100, 80), 4.5)
    >>> crop.shape, moved[:, 2].tolist()
    ((840, 1040, 3), [20.0, 20.0])
    """
    h, w = photo.shape[:2]
    corners = np.array([[0, 0, 1], [size_wh[0], 0, 1], [0, size_wh[1], 1], [size_wh[0], size_wh[1], 1]], float)
    src = corners @ M.T
    pad = int(np.ceil(4 * sigma)) + 2  # OpenCV's kernel reaches 4 sigma; bilinear reads the next pixel
    box = []
    for lo, hi, n in ((src[:, 0].min(), src[:, 0].max(), w), (src[:, 1].min(), src[:, 1].max(), h)):
        lo, hi = int(np.floor(lo)) - pad, int(np.ceil(hi)) + pad
        hi = max(hi, -lo + pad)  # what lies beyond an edge is read reflected into the photo
        lo = min(lo, 2 * (n - 1) - hi - pad)
        box.append((max(lo, 0), min(hi, n)))
    (x0, x1), (y0, y1) = box
    moved = M.copy()
    moved[:, 2] -= (x0, y0)
    return photo[y0:y1, x0:x1], moved
