"""Spatial registration: the homography from RGB pixels to an event sensor's pixels.

``H`` maps an RGB pixel ``(u, v, 1)`` to the sensor pixel ``(x, y, 1)`` (up to scale), in the
coordinates of the recorded window (after any ROI crop). Three sources:

- **points**: four or more user-measured pairs (RGB ``u, v`` -> sensor ``x, y``), fitted with
  ``cv2.findHomography`` (least squares for up to 5 pairs, RANSAC with a 2 px threshold beyond);
  the root-mean-square transfer error is reported.
- **estimate**: enhanced-correlation-coefficient alignment (``cv2.findTransformECC``,
  ``MOTION_HOMOGRAPHY``) of two *change images*, coarse to fine over an image pyramid: the
  sensor's event counts over the RGB recording's span (after synchronisation) and the summed
  absolute differences of consecutive log-grey RGB frames, ``sum_k |log(g[k+1] + 4) - log(g[k] + 4)|``.
  Both count how much each point of the scene changed over the same time, so they show the same
  moving edges (an RGB gradient image of the mean frame weighs edges by dwell time instead, and
  was measured here to be several times less accurate). Both are compressed before the
  alignment, the counts by ``log1p`` and the RGB sums by a square root: event counts grow with
  the distance an edge travels, while a frame difference saturates at the edge's contrast once
  the edge moves by more than its width between frames. On the synthetic test session (a face on
  a textured background) this choice gave 0.5 px against 0.9-2 px for uncompressed images. It starts from ``init`` (default
  :func:`nominal_homography`: the same field of view scaled onto the sensor) and needs a start
  within a few pixels at the coarsest level; the final correlation coefficient is reported as the
  score (1 = identical after warping).
- **given**: a 3x3 matrix.

Every homography is checked for plausibility (:func:`homography_quality`, :class:`QualityBounds`)
before it is used: two cameras looking at the same face are related by a nearly similar mapping,
so the local affine part of ``H`` over the RGB frame must keep the aspect ratio, shear and scale
within bounds (and, for an estimate, stay near its start). ECC on real footage can converge to a
high correlation on a wildly wrong warp (0.72 on a 96 px error); the geometry, not the score,
tells. The importer rejects an implausible homography or, on request, warns and keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface.datasets.importers.tables import (DECIMAL_COMMA_SPLIT, columns_once, input_file, open_table, separator_split,
                                              table_rows)
from evface.errors import DatasetError, where


class RegistrationError(DatasetError):
    """Registration failed or its input is unusable."""


@dataclass(frozen=True)
class Registration:
    """A fitted RGB -> sensor homography and how good it is.

    Parameters
    ----------
    homography : ndarray of float, shape (3, 3)
        Maps an RGB pixel ``(u, v, 1)`` to the sensor pixel ``(x, y, 1)``, up to scale.
    method : str
        How it was found: ``"points"``, ``"ecc"`` or ``"given"``.
    error_px : float, optional
        Root-mean-square transfer error of the point pairs, sensor pixels (NaN: none).
    score : float, optional
        ECC's final correlation coefficient, 1 = identical after warping (NaN: none).
    details : dict, optional
        More about the fit (point pairs and inliers, pyramid levels), kept in :meth:`to_dict`.

    Examples
    --------
    >>> reg = Registration(np.diag([0.5, 0.5, 1.0]), "points", error_px=0.25, details={"pairs": 4})
    >>> reg.to_dict()
    {'homography': [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 1.0]], 'method': 'points', 'error_px': 0.25, 'pairs': 4}
    """

    homography: np.ndarray
    method: str
    error_px: float = float("nan")
    score: float = float("nan")
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the matrix as nested lists).

        Returns
        -------
        dict
            ``homography``, ``method``, ``error_px`` and ``score`` where they are numbers, then
            ``details``' keys.
        """
        out = {"homography": np.asarray(self.homography, dtype=float).tolist(), "method": self.method}
        if np.isfinite(self.error_px):
            out["error_px"] = float(self.error_px)
        if np.isfinite(self.score):
            out["score"] = float(self.score)
        return {**out, **self.details}


def apply_homography(h: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Map ``(N, 2)`` points through ``h``.

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The homography.
    xy : array_like of float, shape (N, 2)
        The points, ``x, y`` per row.

    Returns
    -------
    ndarray of float64, shape (N, 2)
        The mapped points.

    Examples
    --------
    >>> apply_homography(np.diag([2.0, 2.0, 1.0]), np.array([[1.0, 3.0]])).tolist()
    [[2.0, 6.0]]
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    hom = np.c_[xy, np.ones(len(xy))] @ np.asarray(h, dtype=np.float64).T
    return hom[:, :2] / hom[:, 2:3]


def homography_from_points(rgb_xy: np.ndarray, sensor_xy: np.ndarray, *, source: str | None = None) -> Registration:
    """Fit the RGB -> sensor homography to point pairs (at least 4, not collinear).

    Up to 5 pairs are fitted by least squares, more by RANSAC with a 2 px threshold. Point arrays of
    different lengths, fewer than 4 pairs, or pairs that define no homography are a
    :class:`RegistrationError`.

    Parameters
    ----------
    rgb_xy : array_like of float, shape (N, 2)
        RGB pixels ``u, v``.
    sensor_xy : array_like of float, shape (N, 2)
        The sensor pixels ``x, y`` they show.
    source : str, optional
        The file the pairs came from, named in errors.

    Returns
    -------
    Registration
        Method ``"points"``, the RMS transfer error, and the pairs and inliers in ``details``.

    Examples
    --------
    >>> src = np.array([[0, 0], [100, 0], [100, 50], [0, 50]], dtype=float)
    >>> reg = homography_from_points(src, src / 2 + 3)
    >>> np.round(reg.homography, 6).tolist()[0]
    [0.5, 0.0, 3.0]
    """
    rgb_xy = np.asarray(rgb_xy, dtype=np.float64).reshape(-1, 2)
    sensor_xy = np.asarray(sensor_xy, dtype=np.float64).reshape(-1, 2)
    if rgb_xy.shape != sensor_xy.shape:
        raise RegistrationError(where(source, f"{len(rgb_xy)} RGB points but {len(sensor_xy)} sensor points"))
    if len(rgb_xy) < 4:
        raise RegistrationError(where(source, f"a homography needs at least 4 point pairs, got {len(rgb_xy)}"))
    method = 0 if len(rgb_xy) <= 5 else cv2.RANSAC
    h, mask = cv2.findHomography(rgb_xy, sensor_xy, method, 2.0)
    if h is None or not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
        raise RegistrationError(where(source, "the point pairs do not define a homography (collinear or repeated points?)"))
    h = h / h[2, 2]
    err = np.linalg.norm(apply_homography(h, rgb_xy) - sensor_xy, axis=1)
    inliers = int(mask.sum()) if mask is not None else len(rgb_xy)
    return Registration(h, "points", float(np.sqrt(np.mean(err**2))), details={"pairs": len(rgb_xy), "inliers": inliers})


def read_point_pairs(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a point-pair CSV with columns ``rgb_x, rgb_y, x, y`` (RGB pixel, sensor pixel).

    A missing file or column, a coordinate that is no finite number, or a row with cells past the
    header that are not blank (a decimal comma ``10,5`` in a comma-separated table: was read as two
    coordinates, the row's last ones dropped without a word) is a :class:`RegistrationError` naming
    the file (and the line).

    Parameters
    ----------
    path : str or Path
        The table (its separator sniffed; in a table not separated by commas, decimal commas).

    Returns
    -------
    rgb_xy : ndarray of float64, shape (N, 2)
        The RGB pixels.
    sensor_xy : ndarray of float64, shape (N, 2)
        The sensor pixels.

    Examples
    --------
    >>> _ = Path("pairs.csv").write_text("rgb_x,rgb_y,x,y\\n10,20,5,10\\n30,40,15,20.5\\n")
    >>> rgb_xy, sensor_xy = read_point_pairs("pairs.csv")
    >>> rgb_xy.tolist(), sensor_xy.tolist()
    ([[10.0, 20.0], [30.0, 40.0]], [[5.0, 10.0], [15.0, 20.5]])
    >>> _ = Path("bad.csv").write_text("rgb_x,rgb_y,x,y\\n10,20,5,ten\\n")
    >>> read_point_pairs("bad.csv")
    Traceback (most recent call last):
    ...
    evface.datasets.importers.registration.RegistrationError: bad.csv: line 2: coordinates must be numbers
    """
    return _point_pairs(input_file(path, "point-pair file", RegistrationError))


def _point_pairs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open_table(path, RegistrationError) as reader:
        comma_decimals = reader.reader.dialect.delimiter != ","  # 4,5 in a semicolon table
        cols = [c.strip().lower() for c in reader.fieldnames or []]
        columns_once(path, cols, {"rgb_x", "rgb_y", "x", "y"}, RegistrationError)
        missing = [c for c in ("rgb_x", "rgb_y", "x", "y") if c not in cols]
        if missing:
            raise RegistrationError(where(path, f"missing columns {missing} (expected rgb_x, rgb_y, x, y)"))
        rows = []
        split = DECIMAL_COMMA_SPLIT if not comma_decimals else separator_split(reader.reader.dialect.delimiter)
        for line, row in table_rows(reader, path, split, RegistrationError):
            row = {k.strip().lower(): v for k, v in row.items()}
            cells = [row[c] or "" for c in ("rgb_x", "rgb_y", "x", "y")]  # a short row leaves None: no number
            cells = [c.replace(",", ".") for c in cells] if comma_decimals else cells
            try:
                values = [float(v) for v in cells]
            except ValueError:
                raise RegistrationError(where(path, f"line {line}: coordinates must be numbers")) from None
            if not all(np.isfinite(values)):  # float() reads "nan", "inf" and 1e400
                raise RegistrationError(where(path, f"line {line}: coordinates must be finite numbers, got "
                                                    f"{', '.join(cells)}"))
            rows.append(values)
    pts = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    return pts[:, :2], pts[:, 2:]


def nominal_homography(rgb_size: tuple[int, int], sensor_size: tuple[int, int]) -> np.ndarray:
    """Scale the RGB image onto the sensor, same field of view and centre (aspect ratio kept, cover).

    Parameters
    ----------
    rgb_size : tuple of int
        The RGB image's width and height.
    sensor_size : tuple of int
        The sensor's width and height.

    Returns
    -------
    ndarray of float64, shape (3, 3)
        The homography: a scale and a translation, pixel centres mapped onto pixel centres.

    Examples
    --------
    >>> nominal_homography((640, 480), (320, 240)).tolist()[0]  # pixel centres: RGB x = 0.5 -> sensor x = 0
    [0.5, 0.0, -0.25]
    """
    (rw, rh), (sw, sh) = rgb_size, sensor_size
    s = max(sw / rw, sh / rh)
    # Pixel centres: x_s + 0.5 = s * (u + 0.5) + (sw - s * rw) / 2
    tx = (sw - s * rw) / 2 + 0.5 * s - 0.5
    ty = (sh - s * rh) / 2 + 0.5 * s - 0.5
    return np.array([[s, 0.0, tx], [0.0, s, ty], [0.0, 0.0, 1.0]])


def _change_image(image: np.ndarray, sigma_px: float = 1.0) -> np.ndarray:
    """Blurred activity image (H, W) or (2, H, W summed), float32 scaled to max 1."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image.sum(axis=0)
    img = cv2.GaussianBlur(image, (0, 0), sigma_px)
    return img / max(float(img.max()), 1e-12)


def estimate_homography(
    event_count: np.ndarray,
    rgb_change: np.ndarray,
    init: np.ndarray | None = None,
    *,
    levels: int = 3,
    iterations: int = 200,
    sigma_px: float = 0.7,
    source: str | None = None,
) -> Registration:
    """Estimate the RGB -> sensor homography by ECC on two change images (module docstring).

    Parameters
    ----------
    event_count : ndarray, shape (H, W) or (2, H, W)
        Event counts on the sensor over a stretch with motion (ON and OFF summed).
    rgb_change : ndarray, shape (h, w)
        Summed absolute log-grey differences of consecutive RGB frames over the same stretch
        (:func:`evface.datasets.importers.rgb_scan.scan_video` computes it).
    init : ndarray, shape (3, 3), optional
        Starting homography (default :func:`nominal_homography`).
    levels : int, default 3
        Pyramid levels (each halves both images; a level where either is under 16 px is skipped).
    iterations : int, default 200
        Most ECC iterations at each level.
    sigma_px : float, default 0.7
        Blur on the sensor grid (scaled onto the RGB grid).
    source : str, optional
        The recording, named in errors.

    Returns
    -------
    Registration
        Method ``"ecc"``, the final correlation coefficient as ``score``, ``levels`` in ``details``.

    Raises
    ------
    RegistrationError
        When there are no events, or ECC does not converge: give point pairs
        (:func:`homography_from_points`) or a closer ``init``.

    Examples
    --------
    Five rings on a 128x96 RGB change image, and the sensor's 64x48 counts of them seen 1.5 px
    right of and 1 px above where :func:`nominal_homography` puts them:

    >>> change = np.zeros((96, 128), np.float32)
    >>> for x, y, r in [(30, 30, 12), (90, 40, 18), (60, 70, 10), (100, 80, 8), (20, 75, 9)]:
    ...     _ = cv2.circle(change, (x, y), r, 1.0, 2)
    >>> true = np.array([[1, 0, 1.5], [0, 1, -1.0], [0, 0, 1]]) @ nominal_homography((128, 96), (64, 48))
    >>> count = cv2.warpPerspective(change, true, (64, 48)) * 10
    >>> reg = estimate_homography(count, change, levels=2)
    >>> reg.method, reg.score > 0.9
    ('ecc', True)
    >>> bool(np.abs(apply_homography(reg.homography, [[64, 48]]) - apply_homography(true, [[64, 48]])).max() < 0.1)
    True
    >>> estimate_homography(np.zeros((48, 64)), change, source="session")
    Traceback (most recent call last):
    ...
    evface.datasets.importers.registration.RegistrationError: session: no events to register (the event-count image is empty)
    """
    count = np.asarray(event_count, dtype=np.float32)
    if not np.any(count > 0):
        raise RegistrationError(where(source, "no events to register (the event-count image is empty)"))
    if count.ndim == 3:
        count = count.sum(axis=0)
    tmpl = _change_image(np.log1p(count), sigma_px)
    rgb_change = np.sqrt(np.maximum(np.asarray(rgb_change, dtype=np.float32), 0))
    rgb = _change_image(rgb_change, sigma_px * max(rgb_change.shape[1] / tmpl.shape[1], 1.0))
    h0 = nominal_homography((rgb.shape[1], rgb.shape[0]), (tmpl.shape[1], tmpl.shape[0])) if init is None else np.asarray(init, float)
    warp = np.linalg.inv(h0)  # ECC warps the input (RGB) onto the template (sensor): sensor -> RGB
    warp /= warp[2, 2]
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, 1e-6)
    rho = float("nan")
    for level in range(levels - 1, -1, -1):
        f = 2.0**level
        t_l = cv2.resize(tmpl, None, fx=1 / f, fy=1 / f, interpolation=cv2.INTER_AREA) if level else tmpl
        i_l = cv2.resize(rgb, None, fx=1 / f, fy=1 / f, interpolation=cv2.INTER_AREA) if level else rgb
        if min(t_l.shape) < 16 or min(i_l.shape) < 16:
            continue
        d = np.diag([f, f, 1.0])
        w_l = (np.linalg.inv(d) @ warp @ d).astype(np.float32)
        try:
            rho, w_l = cv2.findTransformECC(  # type: ignore[call-overload]  # cv2's stubs: no mask (None) with a filter size
                t_l, i_l, w_l, cv2.MOTION_HOMOGRAPHY, criteria, None, 3)
        except cv2.error as exc:
            raise RegistrationError(where(source, f"ECC registration did not converge at pyramid level {level}")) from exc
        warp = d @ w_l.astype(np.float64) @ np.linalg.inv(d)
    h = np.linalg.inv(warp)
    h /= h[2, 2]
    return Registration(h, "ecc", score=float(rho), details={"levels": levels})


@dataclass(frozen=True)
class QualityBounds:
    """Limits of a plausible RGB -> sensor homography (each ratio applies either way).

    ``max_aspect``: ratio of the local x and y scales; ``max_shear_deg``: departure of the mapped
    axes from a right angle; ``max_perspective``: ratio of the largest to the smallest local scale
    over the RGB frame; ``max_scale_change`` and ``max_shift_frac`` (of the sensor diagonal, mean
    over the RGB frame corners): how far an estimate may move from its start.

    Parameters
    ----------
    max_aspect : float, default 1.25
        Largest ratio of the local x and y scales.
    max_shear_deg : float, default 10.0
        Largest departure of the mapped axes from a right angle, degrees.
    max_perspective : float, default 1.5
        Largest ratio of the largest to the smallest local scale over the RGB frame.
    max_scale_change : float, default 1.5
        Largest change of scale of an estimate from its start.
    max_shift_frac : float, default 0.15
        Largest mean shift of the RGB frame's corners from an estimate's start, as a fraction of
        the sensor's diagonal.

    Examples
    --------
    >>> q = homography_quality(np.diag([0.5, 0.6, 1.0]), (100, 100))
    >>> round(q["aspect"], 2), quality_problems(q, (50, 60)), quality_problems(q, (50, 60), QualityBounds(max_aspect=1.1))
    (1.2, [], ['aspect 1.20 (limit 1.1)'])
    """

    max_aspect: float = 1.25
    max_shear_deg: float = 10.0
    max_perspective: float = 1.5
    max_scale_change: float = 1.5
    max_shift_frac: float = 0.15


def local_jacobian(h: np.ndarray, uv: tuple[float, float]) -> np.ndarray:
    """The 2x2 derivative of the mapping ``h`` at RGB point ``uv``.

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The homography.
    uv : tuple of float
        The RGB point ``u, v``.

    Returns
    -------
    ndarray of float64, shape (2, 2)
        ``d(x, y) / d(u, v)``: the columns are the images of the RGB axes.

    Examples
    --------
    >>> local_jacobian(np.diag([2.0, 3.0, 1.0]), (5.0, 5.0)).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    h = np.asarray(h, dtype=np.float64)
    u, v = uv
    w = h[2, 0] * u + h[2, 1] * v + h[2, 2]
    x = (h[0, 0] * u + h[0, 1] * v + h[0, 2]) / w
    y = (h[1, 0] * u + h[1, 1] * v + h[1, 2]) / w
    return np.array([[h[0, 0] - x * h[2, 0], h[0, 1] - x * h[2, 1]],
                     [h[1, 0] - y * h[2, 0], h[1, 1] - y * h[2, 1]]]) / w


def homography_quality(h: np.ndarray, rgb_size: tuple[int, int], reference: np.ndarray | None = None) -> dict[str, float]:
    """Plausibility numbers of an RGB -> sensor homography over an RGB frame of ``rgb_size``.

    ``aspect`` (>= 1), ``shear_deg`` and ``scale`` come from the local affine part at the frame
    centre; ``perspective`` (>= 1) compares the local scale at the frame corners; ``folds`` is
    True when the frame crosses the homography's line at infinity. With a ``reference`` (the start
    of an estimate), ``scale_change`` (>= 1) and ``shift_px`` (mean corner displacement, sensor
    pixels) say how far it moved.

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The RGB -> sensor homography.
    rgb_size : tuple of int
        The RGB frame's width and height.
    reference : ndarray of float, shape (3, 3), optional
        The homography an estimate started from.

    Returns
    -------
    dict of str to float
        ``aspect``, ``shear_deg``, ``scale``, ``perspective`` and ``folds`` (a bool); with a
        ``reference``, also ``scale_change`` and ``shift_px``.

    Examples
    --------
    >>> q = homography_quality(np.diag([2.0, 1.0, 1.0]), (100, 100))
    >>> q["aspect"], q["shear_deg"], q["perspective"]
    (2.0, 0.0, 1.0)
    """
    h = np.asarray(h, dtype=np.float64)
    w, hh = rgb_size
    corners = np.array([[0.0, 0.0], [w - 1.0, 0.0], [w - 1.0, hh - 1.0], [0.0, hh - 1.0]])
    denom = corners @ h[2, :2] + h[2, 2]
    folds = bool(np.any(np.sign(denom) != np.sign(denom[0])) or np.any(denom == 0))
    jac = local_jacobian(h, ((w - 1) / 2, (hh - 1) / 2))
    sx, sy = float(np.linalg.norm(jac[:, 0])), float(np.linalg.norm(jac[:, 1]))
    cos = abs(float(jac[:, 0] @ jac[:, 1])) / max(sx * sy, 1e-12)
    scales = [np.sqrt(abs(np.linalg.det(local_jacobian(h, tuple(c))))) for c in corners] if not folds else [1.0, np.inf]
    out = {
        "aspect": float(max(sx, sy) / max(min(sx, sy), 1e-12)),
        "shear_deg": float(np.degrees(np.arcsin(min(cos, 1.0)))),
        "scale": float(np.sqrt(abs(np.linalg.det(jac)))),
        "perspective": float(max(scales) / max(min(scales), 1e-12)),
        "folds": folds,
    }
    if reference is not None:
        ref = homography_quality(reference, rgb_size)["scale"]
        ratio = out["scale"] / max(ref, 1e-12)
        out["scale_change"] = float(max(ratio, 1.0 / max(ratio, 1e-12)))
        out["shift_px"] = float(np.mean(np.linalg.norm(apply_homography(h, corners) - apply_homography(reference, corners), axis=1)))
    return out


def quality_problems(quality: dict[str, float], sensor_size: tuple[int, int], bounds: QualityBounds = QualityBounds()) -> list[str]:
    """The bounds a homography's :func:`homography_quality` breaks, as readable phrases.

    Parameters
    ----------
    quality : dict of str to float
        What :func:`homography_quality` says of the homography.
    sensor_size : tuple of int
        The sensor's width and height (its diagonal sizes the shift allowed).
    bounds : QualityBounds, optional
        The limits (default: :class:`QualityBounds`' defaults).

    Returns
    -------
    list of str
        One phrase per bound broken; empty when the homography is plausible.

    Examples
    --------
    >>> quality_problems({"aspect": 2.0, "shear_deg": 1.0, "perspective": 1.0, "folds": False}, (100, 100))
    ['aspect 2.00 (limit 1.25)']
    """
    if quality.get("folds"):
        return ["the RGB frame crosses the line at infinity (the mapping folds)"]
    checks = [("aspect", "aspect {:.2f} (limit {})", bounds.max_aspect),
              ("shear_deg", "shear {:.1f}° (limit {}°)", bounds.max_shear_deg),
              ("perspective", "perspective {:.2f} (limit {})", bounds.max_perspective),
              ("scale_change", "scale change {:.2f}x from the start (limit {})", bounds.max_scale_change)]
    out = [text.format(quality[key], limit) for key, text, limit in checks if key in quality and quality[key] > limit]
    if "shift_px" in quality:
        limit = bounds.max_shift_frac * float(np.hypot(*sensor_size))
        if quality["shift_px"] > limit:
            out.append(f"moved {quality['shift_px']:.0f} px from the start (limit {limit:.0f} px)")
    return out


def box_distortion(h: np.ndarray, box: tuple[float, float, float, float] | list[float]) -> dict[str, float]:
    """How much a face box is distorted by ``h``.

    ``aspect_change`` (>= 1): ratio of the mapped box's aspect to the original's, either way;
    ``corner_error_px``: largest distance between a mapped corner and the corner of the stored
    (axis-aligned) box, in target pixels.

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The homography.
    box : tuple or list of float
        The face box ``[x, y, w, h]`` in the source image's pixels.

    Returns
    -------
    dict of str to float
        ``aspect_change`` and ``corner_error_px``.

    Examples
    --------
    >>> box_distortion(np.diag([1.0, 0.5, 1.0]), [0, 0, 10, 10])["aspect_change"]
    2.0
    """
    x, y, w, hh = (float(v) for v in box)
    x0, y0, x1, y1 = x - 0.5, y - 0.5, x + w - 0.5, y + hh - 0.5
    corners = apply_homography(h, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    box_corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    ratio = ((hi[0] - lo[0]) / max(hi[1] - lo[1], 1e-12)) / (w / max(hh, 1e-12))
    return {"aspect_change": float(max(ratio, 1.0 / max(ratio, 1e-12))),
            "corner_error_px": float(np.linalg.norm(corners - box_corners, axis=1).max())}


def box_kept(box: Sequence[float], size: tuple[int, int]) -> dict[str, float]:
    """Fractions of a box ``[x, y, w, h]`` that lie inside an image of ``size`` and that each side
    loses (``kept``, ``left``, ``right``, ``top``, ``bottom``), pixel edges as in :func:`map_box`.

    Parameters
    ----------
    box : tuple or list of float
        The box ``[x, y, w, h]``, pixels.
    size : tuple of int
        The image's width and height.

    Returns
    -------
    dict of str to float
        ``kept`` (the fraction of the box's area inside) and the fraction of its width or height
        that each side cuts off.

    Examples
    --------
    >>> box_kept([0, 50, 100, 100], (100, 100))["bottom"]
    0.5
    """
    x, y, w, hh = (float(v) for v in box)
    x0, y0, x1, y1 = x - 0.5, y - 0.5, x + w - 0.5, y + hh - 0.5
    width, height = size
    cut = {"left": max(0.0, -0.5 - x0) / w, "right": max(0.0, x1 - (width - 0.5)) / w,
           "top": max(0.0, -0.5 - y0) / hh, "bottom": max(0.0, y1 - (height - 0.5)) / hh}
    cut = {k: min(v, 1.0) for k, v in cut.items()}
    kept = max(0.0, 1 - cut["left"] - cut["right"]) * max(0.0, 1 - cut["top"] - cut["bottom"])
    return {"kept": float(kept), **{k: float(v) for k, v in cut.items()}}


def describe_cut(kept: dict[str, float]) -> str:
    """``box_kept`` as a phrase: ``"keeps 62% of the face box (loses 38% at the bottom)"``.

    Parameters
    ----------
    kept : dict of str to float
        What :func:`box_kept` returns.

    Returns
    -------
    str
        The phrase.

    Examples
    --------
    >>> describe_cut({"kept": 0.62, "left": 0.0, "right": 0.0, "top": 0.0, "bottom": 0.38})
    'keeps 62% of the face box (loses 38% at the bottom)'
    """
    sides = [f"{v:.0%} at the {k}" for k, v in kept.items() if k != "kept" and v > 0]
    return f"keeps {kept['kept']:.0%} of the face box (loses {', '.join(sides)})"


def map_box(h: np.ndarray, box: tuple[float, float, float, float] | list[float]) -> list[float]:
    """Bounding box ``[x, y, w, h]`` of a box mapped through ``h``.

    A box covers the pixels ``x .. x + w - 1`` (pixel centres at integer coordinates), so its
    edges ``x - 0.5`` and ``x + w - 0.5`` are mapped, as the synthetic rig does.

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The homography.
    box : tuple or list of float
        The box ``[x, y, w, h]`` in the source image's pixels.

    Returns
    -------
    list of float
        The mapped box's bounding box ``[x, y, w, h]`` in the target's pixels.

    Examples
    --------
    >>> map_box(np.array([[0.5, 0, -0.25], [0, 0.5, -0.25], [0, 0, 1]]), [40, 24, 48, 48])
    [20.0, 12.0, 24.0, 24.0]
    """
    x, y, w, hh = (float(v) for v in box)
    x0, y0, x1, y1 = x - 0.5, y - 0.5, x + w - 0.5, y + hh - 0.5
    corners = apply_homography(h, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    return [float(lo[0] + 0.5), float(lo[1] + 0.5), float(hi[0] - lo[0]), float(hi[1] - lo[1])]


def crop_homography(h: np.ndarray, roi: tuple[int, int, int, int] | None) -> np.ndarray:
    """The homography onto an ROI window ``(x0, y0, w, h)`` of the sensor (a translation by -x0, -y0).

    Parameters
    ----------
    h : ndarray of float, shape (3, 3)
        The RGB -> sensor homography, in the full sensor's pixels.
    roi : tuple of int or None
        The window ``x0, y0, w, h``; ``None``: the whole sensor.

    Returns
    -------
    ndarray of float64, shape (3, 3)
        The homography onto the window's pixels, normalised to ``h[2, 2] = 1`` (``h`` itself as
        float64 without an ROI).

    Examples
    --------
    >>> crop_homography(np.diag([0.5, 0.5, 1.0]), (10, 20, 64, 48)).tolist()
    [[0.5, 0.0, -10.0], [0.0, 0.5, -20.0], [0.0, 0.0, 1.0]]
    """
    if roi is None:
        return np.asarray(h, dtype=np.float64)
    t = np.array([[1.0, 0.0, -roi[0]], [0.0, 1.0, -roi[1]], [0.0, 0.0, 1.0]])
    out = t @ np.asarray(h, dtype=np.float64)
    return out / out[2, 2]
