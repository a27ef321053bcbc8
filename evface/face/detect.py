"""Face, eye and mouth detection with OpenCV's bundled Haar cascades (``cv2.data.haarcascades``).

Used to build photo identities, to check the realism of procedural faces, and to locate faces in
real footage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import cv2.data  # its own module to type checkers (cv2 loads it at import)
import numpy as np

from evface.checks import as_real
from evface.errors import FaceNotFoundError, FormatError, where

MIN_FACE_PX = 24
"""The smallest face side, in pixels, that the frontal-face cascade finds (its window)."""


@cache
def cascade(name: str) -> cv2.CascadeClassifier:
    """Load a bundled cascade, e.g. ``"haarcascade_frontalface_default.xml"``.

    Parameters
    ----------
    name : str
        The cascade's file name in ``cv2.data.haarcascades``.

    Returns
    -------
    cv2.CascadeClassifier
        The loaded cascade (one per name: cached).

    Raises
    ------
    FormatError
        When OpenCV cannot load the file.

    Examples
    --------
    >>> cascade("haarcascade_eye.xml").empty()
    False
    """
    c = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if c.empty():
        raise FormatError(where(cv2.data.haarcascades + name, "cannot load the Haar cascade"))
    return c


def to_gray_uint8(image: np.ndarray, gamma: float = 2.2) -> np.ndarray:
    """8-bit grey image from uint8 RGB/grey, or from linear float reflectance/intensity in [0, 1]
    (encoded with ``1/gamma``, a finite number > 0, checked whatever the image).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3)
        uint8 RGB or grey, or finite floats (linear values, clipped to [0, 1]).
    gamma : float, optional
        The encoding gamma of a float image (2.2 by default); a uint8 image is taken as it is.

    Returns
    -------
    ndarray of uint8, shape (H, W)
        The grey image (an RGB one converted by its luma).

    Raises
    ------
    ParameterError
        For a ``gamma`` that is not a finite number > 0.
    FormatError
        For an image without pixels, of another dtype or shape.

    Examples
    --------
    >>> to_gray_uint8(np.array([[[255, 0, 0], [0, 255, 0]]], np.uint8)).tolist()  # RGB: luma
    [[76, 150]]
    >>> to_gray_uint8(np.array([[0.0, 0.18, 1.0]])).tolist()  # linear: gamma 1 / 2.2
    [[0, 117, 255]]
    >>> to_gray_uint8(np.zeros((2, 2)), gamma=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: gamma must be a finite number > 0, got 0
    >>> to_gray_uint8(np.full((2, 2, 3), 40000, np.uint16))
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: expected an (H, W) or (H, W, 3) image of uint8, or of finite floats in [0, 1], got uint16 (2, 2, 3)
    """
    gamma = as_real("gamma", gamma, 0.0, np.inf, low_open=True)  # was: 0 a ZeroDivisionError, nan unread for uint8
    img = np.asarray(image)
    if img.size == 0:  # was: OpenCV's "!_src.empty() in function 'cvtColor'"
        raise FormatError(f"expected an image with pixels, got shape {img.shape}")
    kind = img.dtype == np.uint8 or (np.issubdtype(img.dtype, np.floating) and bool(np.isfinite(img).all()))
    if not kind or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        # was: other integers (a 16-bit image, 0-255 as int) read as floats, every pixel >= 1 drawn white; other
        # shapes an OpenCV error or, (N, H, W, 3) or (W,), an answer about no image
        raise FormatError(f"expected an (H, W) or (H, W, 3) image of uint8, or of finite floats in [0, 1], got "
                          f"{img.dtype} {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(np.asarray(img, np.float32), 0.0, 1.0) ** (1.0 / gamma)
        img = (img * 255.0 + 0.5).astype(np.uint8)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return img


def detect_faces(image: np.ndarray, min_size_frac: float = 0.1) -> np.ndarray:
    """Frontal faces as an ``(n, 4)`` int array of ``(x, y, w, h)``, largest first.

    ``min_size_frac`` (in [0, 1]) is the smallest face side looked for, as a fraction of the
    image's shorter side (at least :data:`MIN_FACE_PX` pixels).

    Parameters
    ----------
    image : ndarray
        The image, as :func:`to_gray_uint8` takes it.
    min_size_frac : float, optional
        The smallest face side looked for, a fraction of the image's shorter side (0.1 by default).

    Returns
    -------
    ndarray of int64, shape (n, 4)
        ``(x, y, w, h)`` of each face found, pixels, the largest first; ``(0, 4)`` when none is.

    Raises
    ------
    ParameterError
        For a ``min_size_frac`` outside [0, 1] or not a number (was: nan a ValueError, 1e9
        OpenCV's "Can't parse 'minSize'").
    FormatError
        For an image without pixels (was: an AttributeError), or not as :func:`to_gray_uint8` takes it.

    Examples
    --------
    >>> from skimage import data
    >>> detect_faces(data.astronaut()).tolist(), detect_faces(np.zeros((64, 64), np.uint8)).shape
    ([[177, 67, 93, 93]], (0, 4))
    >>> detect_faces(data.astronaut(), min_size_frac=2)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: min_size_frac must be a finite number in [0, 1], got 2
    """
    min_size_frac = as_real("min_size_frac", min_size_frac, 0.0, 1.0)
    gray = cv2.equalizeHist(to_gray_uint8(image))
    m = max(MIN_FACE_PX, int(min_size_frac * min(gray.shape)))
    found = cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(m, m)
    )
    faces = np.asarray(found, dtype=np.int64).reshape(-1, 4)
    return faces[np.argsort(-faces[:, 2] * faces[:, 3], kind="stable")]


@dataclass(frozen=True)
class FaceDetection:
    """Face box ``(x, y, w, h)``, eye centres ``((xl, yl), (xr, yr))`` (image left first) or None,
    mouth centre ``(x, y)`` or None; pixels.

    Parameters
    ----------
    face_box : tuple of int
        ``(x, y, w, h)`` of the face.
    eyes : tuple of tuple of float or None
        ``((xl, yl), (xr, yr))``: the eye centres, the image left first; None when not found.
    mouth : tuple of float or None
        ``(x, y)`` of the mouth centre; None when not found.
    others : tuple of tuple of int, optional
        ``(x, y, w, h)`` of every other face found in the image, the largest first (a second
        person beside the face: :func:`~evface.face.identity.other_face` tells whether a canvas
        would show it).

    Examples
    --------
    >>> FaceDetection((10, 20, 40, 40), None, (30.0, 50.0)).eyes is None
    True
    """

    face_box: tuple[int, int, int, int]
    eyes: tuple[tuple[float, float], tuple[float, float]] | None
    mouth: tuple[float, float] | None
    others: tuple[tuple[int, int, int, int], ...] = ()


def _eyes(gray, box):
    x, y, w, h = box
    roi = gray[y : y + int(0.6 * h), x : x + w]
    found = cascade("haarcascade_eye.xml").detectMultiScale(roi, 1.1, 4, minSize=(max(8, w // 10),) * 2)
    upper = [f for f in np.asarray(found).reshape(-1, 4) if f[1] + f[3] / 2 < 0.55 * h]
    left = [f for f in upper if f[0] + f[2] / 2 < w / 2]
    right = [f for f in upper if f[0] + f[2] / 2 >= w / 2]
    if not left or not right:
        return None
    pick = lambda fs: max(fs, key=lambda f: f[2] * f[3])  # noqa: E731
    (lx, ly, lw, lh), (rx, ry, rw, rh) = pick(left), pick(right)
    el = (x + lx + lw / 2.0, y + ly + lh / 2.0)
    er = (x + rx + rw / 2.0, y + ry + rh / 2.0)
    d = np.hypot(er[0] - el[0], er[1] - el[1])
    if not (0.25 * w < d < 0.65 * w) or abs(er[1] - el[1]) > 0.25 * d:
        return None
    return el, er


def _mouth(gray, box):
    x, y, w, h = box
    y0 = y + int(0.6 * h)
    roi = gray[y0 : y + int(1.1 * h), x + w // 6 : x + w - w // 6]
    if roi.size == 0:
        return None
    found = cascade("haarcascade_smile.xml").detectMultiScale(roi, 1.1, 15, minSize=(max(10, w // 5), max(6, w // 10)))
    boxes = np.asarray(found).reshape(-1, 4)
    if len(boxes) == 0:
        return None
    fx, fy, fw, fh = max(boxes, key=lambda f: f[2] * f[3])
    return (x + w // 6 + fx + fw / 2.0, y0 + fy + fh / 2.0)


def locate_face(image_rgb: np.ndarray, source: str | None = None) -> FaceDetection:
    """Largest frontal face in an RGB (or grey) uint8 image, with its eyes and mouth when found.

    Parameters
    ----------
    image_rgb : ndarray of uint8, shape (H, W, 3) or (H, W)
        The image.
    source : str, optional
        What the image is (e.g. its file), to name in an error; None names nothing.

    Returns
    -------
    FaceDetection
        The face box of the largest face, its eyes and mouth (None where not found), and the
        boxes of the other faces found.

    Raises
    ------
    FaceNotFoundError
        When the frontal-face cascade finds nothing, or the image is smaller than the smallest face
        it finds (:data:`MIN_FACE_PX`; was: "no frontal face found" for a 20x20 photo).
    FormatError
        When ``image_rgb`` is not a 2-D or (H, W, 3) uint8 array with pixels.

    Examples
    --------
    >>> from skimage import data
    >>> found = locate_face(data.astronaut())
    >>> found.face_box, np.asarray(found.eyes).tolist(), [float(c) for c in found.mouth]
    ((177, 67, 93, 93), [[201.5, 100.5], [246.5, 102.5]], [223.5, 144.5])
    >>> locate_face(np.zeros((64, 64, 3), np.uint8), "blank.png")
    Traceback (most recent call last):
    ...
    evface.errors.FaceNotFoundError: blank.png: no frontal face found by the Haar cascade
    >>> locate_face(np.zeros((20, 30, 3), np.uint8), "icon.png")
    Traceback (most recent call last):
    ...
    evface.errors.FaceNotFoundError: icon.png: the image is 30x20 px, too small for a face: the Haar cascade finds faces of 24x24 px and larger; use a larger photo
    >>> locate_face(np.zeros((64, 64), np.float32), "depth.png")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: depth.png: expected an (H, W, 3) uint8 image, got float32 (64, 64)
    """
    img = np.asarray(image_rgb)
    # was: an empty (0, 0, 3) image reached OpenCV's "!_src.empty() in function 'cvtColor'"
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)) or img.size == 0:
        raise FormatError(where(source, f"expected an (H, W, 3) uint8 image, got {img.dtype} {img.shape}"))
    if min(img.shape[:2]) < MIN_FACE_PX:
        raise FaceNotFoundError(where(source, f"the image is {img.shape[1]}x{img.shape[0]} px, too small for a face: "
                                              f"the Haar cascade finds faces of {MIN_FACE_PX}x{MIN_FACE_PX} px and "
                                              "larger; use a larger photo"))
    gray = cv2.equalizeHist(to_gray_uint8(img))
    faces = detect_faces(img)
    if len(faces) == 0:
        raise FaceNotFoundError(where(source, "no frontal face found by the Haar cascade"))
    x, y, w, h = (int(t) for t in faces[0])
    box = (x, y, w, h)
    others = tuple(tuple(int(t) for t in face) for face in faces[1:])
    return FaceDetection(box, _eyes(gray, box), _mouth(gray, box), others)  # type: ignore[arg-type]
