"""The stages of a colour camera around its photon budget: fixed-pattern noise, the Bayer colour
filter array and its demosaicing, and MJPEG (JPEG per frame) compression.

:class:`evface.sim.rgb.RgbCamera` strings them together; each is a pure function here. The
sources of the defaults are in ``docs/camera-models.md`` (section 2).

Examples
--------
A red picture through an RGGB filter: only the red sites see it, and demosaicing brings the
colour back.

>>> red = np.zeros((4, 6, 3), np.float32); red[..., 0] = 1.0
>>> raw = mosaic(red, "RGGB")
>>> raw[:2, :2].tolist()
[[1.0, 0.0], [0.0, 0.0]]
>>> demosaic(np.round(raw * 4095).astype(np.uint16), "RGGB")[2, 2].tolist()
[4095, 0, 0]
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from evface.checks import as_int, as_real
from evface.errors import ParameterError, choose_from

CFA_PATTERNS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "RGGB": ((0, 1), (1, 2)),
    "BGGR": ((2, 1), (1, 0)),
    "GRBG": ((1, 0), (2, 1)),
    "GBRG": ((1, 2), (0, 1)),
}
"""Bayer patterns: the colour channel (0 R, 1 G, 2 B) of the top-left 2x2 pixels, row by row."""

_CV2_DEMOSAIC = {
    # OpenCV names a Bayer pattern by the two pixels at (1, 1) and (1, 2) of the sensor
    "RGGB": cv2.COLOR_BayerBG2RGB,
    "BGGR": cv2.COLOR_BayerRG2RGB,
    "GRBG": cv2.COLOR_BayerGB2RGB,
    "GBRG": cv2.COLOR_BayerGR2RGB,
}


def _pattern(pattern: str) -> tuple[tuple[int, int], tuple[int, int]]:
    if pattern not in CFA_PATTERNS:
        raise ParameterError(f"unknown Bayer pattern {pattern!r}; {choose_from(['none', *sorted(CFA_PATTERNS)])}")
    return CFA_PATTERNS[pattern]


def cfa_channels(pattern: str, shape: tuple[int, int]) -> np.ndarray:
    """The colour channel (0 R, 1 G, 2 B) each pixel of an ``(H, W)`` sensor samples.

    Parameters
    ----------
    pattern : str
        The Bayer pattern: a key of :data:`CFA_PATTERNS` (``"RGGB"``).
    shape : tuple of int
        The sensor's ``(H, W)``.

    Returns
    -------
    ndarray of intp, shape (H, W)
        Each pixel's channel.

    Examples
    --------
    >>> cfa_channels("RGGB", (2, 4)).tolist()
    [[0, 1, 0, 1], [1, 2, 1, 2]]
    """
    tile = np.asarray(_pattern(pattern), np.intp)
    h, w = shape
    return np.tile(tile, (-(-h // 2), -(-w // 2)))[:h, :w]


def mosaic(image: np.ndarray, pattern: str) -> np.ndarray:
    """Sample an ``(H, W, 3)`` image through a Bayer filter: ``(H, W)``, one channel per pixel.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        The RGB picture on the sensor.
    pattern : str
        The Bayer pattern: a key of :data:`CFA_PATTERNS` (``"RGGB"``).

    Returns
    -------
    ndarray, shape (H, W)
        Each pixel's own channel of ``image``, of its dtype.

    Examples
    --------
    A picture whose R, G and B are 1, 2 and 3 everywhere, through two of the patterns:

    >>> image = np.broadcast_to(np.array([1.0, 2.0, 3.0]), (2, 2, 3))
    >>> mosaic(image, "RGGB").tolist(), mosaic(image, "BGGR").tolist()
    ([[1.0, 2.0], [2.0, 3.0]], [[3.0, 2.0], [2.0, 1.0]])
    >>> mosaic(np.zeros((4, 4)), "RGGB")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the image to mosaic must be an (H, W, 3) array, got shape (4, 4)
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        got = f"shape {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ParameterError(f"the image to mosaic must be an (H, W, 3) array, got {got}")
    channels = cfa_channels(pattern, image.shape[:2])
    return np.take_along_axis(image, channels[..., None], axis=2)[..., 0]


def demosaic(raw: np.ndarray, pattern: str) -> np.ndarray:
    """Interpolate a uint8 or uint16 Bayer mosaic ``(H, W)`` to ``(H, W, 3)`` RGB of the same dtype.

    OpenCV's bilinear demosaicing (``cv2.cvtColor`` with a ``COLOR_Bayer*2RGB`` code), the
    method of simple camera pipelines; the image must be at least 2 x 2 pixels.

    Parameters
    ----------
    raw : ndarray of uint8 or uint16, shape (H, W)
        The mosaic, as the sensor reads it out.
    pattern : str
        The Bayer pattern: a key of :data:`CFA_PATTERNS` (``"RGGB"``).

    Returns
    -------
    ndarray, shape (H, W, 3)
        The RGB image, of ``raw``'s dtype.

    Examples
    --------
    >>> rgb = demosaic(np.full((4, 4), 100, np.uint16), "GRBG")
    >>> rgb.shape, rgb.dtype, rgb[1, 1].tolist()
    ((4, 4, 3), dtype('uint16'), [100, 100, 100])
    >>> demosaic(np.zeros((1, 4), np.uint8), "RGGB")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: a Bayer mosaic must be (H, W) with H, W >= 2, got shape (1, 4)
    >>> demosaic(np.zeros((4, 4), np.uint8), "RGB")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown Bayer pattern 'RGB'; choose from none, BGGR, GBRG, GRBG, RGGB
    """
    _pattern(pattern)
    if raw.ndim != 2 or raw.shape[0] < 2 or raw.shape[1] < 2:
        raise ParameterError(f"a Bayer mosaic must be (H, W) with H, W >= 2, got shape {raw.shape}")
    return cv2.cvtColor(np.ascontiguousarray(raw), _CV2_DEMOSAIC[pattern])


def fixed_pattern(shape: tuple[int, ...], prnu: float, dsnu_e: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A camera's fixed-pattern noise: per-pixel gain and dark offset, drawn once from ``seed``.

    ``gain ~ N(1, prnu)`` multiplies the photo-electrons (photo-response non-uniformity, PRNU) and
    ``offset_e ~ N(0, dsnu_e)`` adds electrons in the dark (dark-signal non-uniformity, DSNU), as
    EMVA 1288 defines them.

    Parameters
    ----------
    shape : tuple of int
        The pixel array's shape (``(H, W)``).
    prnu : float
        The gain's standard deviation, a fraction (0.01 is 1 %); 0 or more.
    dsnu_e : float
        The dark offset's standard deviation, in electrons; 0 or more.
    seed : int
        The seed of the draw: one camera keeps one.

    Returns
    -------
    gain : ndarray of float64
        Per-pixel gain, of ``shape``.
    offset_e : ndarray of float64
        Per-pixel dark offset in electrons, of ``shape``.

    Examples
    --------
    >>> gain, offset = fixed_pattern((200, 200), 0.01, 2.0, seed=3)
    >>> round(float(gain.std()), 2), round(float(offset.std()), 1)
    (0.01, 2.0)
    """
    prnu, dsnu_e = as_real("prnu", prnu, 0.0, math.inf), as_real("dsnu_e", dsnu_e, 0.0, math.inf)
    rng = np.random.default_rng(as_int("seed", seed, 0))
    gain = 1.0 + prnu * rng.standard_normal(shape)
    offset = dsnu_e * rng.standard_normal(shape)
    return gain, offset


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 RGB frame after JPEG encoding at ``quality`` (1-100) and decoding.

    MJPEG, the compressed mode of USB (UVC) webcams, is one JPEG per frame. OpenCV's JPEG codec
    (libjpeg-turbo, 4:2:0 chroma subsampling) does both halves.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        The RGB frame.
    quality : int
        The JPEG quality, 1 (smallest file) to 100.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        The decoded RGB frame.

    Examples
    --------
    >>> img = np.full((16, 16, 3), (200, 120, 40), np.uint8)
    >>> bool(np.abs(jpeg(img, 90).astype(int) - img).max() <= 2)
    True
    """
    quality = as_int("JPEG quality", quality, 1, 100)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ParameterError(f"OpenCV could not JPEG-encode a frame of shape {image.shape}")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert decoded is not None  # the JPEG OpenCV has just encoded
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


__all__ = ["CFA_PATTERNS", "cfa_channels", "demosaic", "fixed_pattern", "jpeg", "mosaic"]
