"""The shading of FACS action units: wrinkles, furrows and bulges as multiplicative changes.

Coordinates and AU keys are those of :mod:`evface.face.aus`; the patterns are applied in skin
coordinates, so they move with the skin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from evface.face.aus import IMAGE_SIDE_SUFFIX, Landmarks, point

Sides = list[tuple[str, float]]
"""The image sides a pattern is drawn on, as ``(suffix letter, sign of u outwards)``."""
Pattern = Callable[[np.ndarray, np.ndarray, Landmarks, Sides], Iterator[np.ndarray]]
"""A shaded AU's pattern (:data:`_PATTERNS`): given ``u, v`` (``float64 (N,)``, the points' skin
coordinates in face units), the identity's ``landmarks`` (:mod:`evface.face.aus`) and the ``sides``
to draw on (:func:`_kept_sides`), it yields the terms of the shading change, each ``float64 (N,)``
(negative = darker). Every ``_name(u, v, landmarks, sides)`` function below is one."""


def _gauss(u: np.ndarray, v: np.ndarray, cu: float, cv: float, su: float, sv: float) -> np.ndarray:
    """An axis-aligned Gaussian bump of height 1.

    Parameters
    ----------
    u, v : numpy.ndarray
        ``float64 (N,)``: the points' coordinates.
    cu, cv : float
        Its centre.
    su, sv : float
        Its standard deviations along ``u`` and ``v``.

    Returns
    -------
    numpy.ndarray
        ``float64 (N,)`` in ``(0, 1]``.

    Examples
    --------
    >>> _gauss(np.array([0.0, 1.0]), np.array([0.0, 0.0]), 0.0, 0.0, 1.0, 1.0).round(3).tolist()
    [1.0, 0.607]
    """
    return np.exp(-0.5 * (((u - cu) / su) ** 2 + ((v - cv) / sv) ** 2))


def _lines(phase: np.ndarray, sharp: float = 6) -> np.ndarray:
    """Thin periodic lines: 1 at each whole ``phase``, falling to 0 half-way between.

    Parameters
    ----------
    phase : numpy.ndarray
        ``float64 (N,)``: the position across the lines, in line spacings.
    sharp : float
        The power that narrows each line (higher = thinner).

    Returns
    -------
    numpy.ndarray
        ``float64 (N,)`` in ``[0, 1]``.

    Examples
    --------
    >>> _lines(np.array([0.0, 0.25, 0.5, 1.0])).round(3).tolist()
    [1.0, 0.016, 0.0, 1.0]
    """
    return (0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** sharp


def _segment_distance(u: np.ndarray, v: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distance of each point from the segment ``a``-``b``, and where along it the nearest
    point lies.

    Parameters
    ----------
    u, v : numpy.ndarray
        ``float64 (N,)``: the points' coordinates.
    a, b : numpy.ndarray
        ``(2,)``: the segment's ends, as ``(u, v)``.

    Returns
    -------
    distance : numpy.ndarray
        ``float64 (N,)``: the Euclidean distance to the segment.
    t : numpy.ndarray
        ``float64 (N,)``: the nearest point's position, 0 at ``a`` to 1 at ``b``.

    Examples
    --------
    >>> d, t = _segment_distance(np.array([0.5, 2.0]), np.array([1.0, 0.0]), np.zeros(2), np.array([1.0, 0.0]))
    >>> d.tolist(), t.tolist()
    ([1.0, 1.0], [0.5, 1.0])
    """
    ab = b - a
    t = np.clip(((u - a[0]) * ab[0] + (v - a[1]) * ab[1]) / (ab @ ab), 0, 1)
    return np.hypot(u - a[0] - t * ab[0], v - a[1] - t * ab[1]), t


def au_shading(au: int, points: np.ndarray, landmarks: Landmarks, side: str = "") -> np.ndarray:
    """Multiplicative shading change ``(N,)`` of one AU at intensity 1.0 (negative = darker);
    ``side`` (``"L"``/``"R"``, the subject's) keeps one side of a mirrored pattern.

    Forehead lines (AU1 centre, AU2 lateral), vertical furrows (AU4), crow's feet and lower-lid
    bulge (AU6), nasal wrinkles (AU9), nasolabial furrow (AU10, AU12), dimple (AU14), shadow under
    the lip corners (AU15), chin wrinkles and mentolabial sulcus (AU17), lip bulges (AU24).
    The result is applied in skin coordinates, so wrinkles move with the skin.

    Parameters
    ----------
    au : int
        The action unit; one without a pattern (:data:`SHADED_AUS` lists those with one) shades nothing.
    points : array_like
        Points ``(N, 2)`` (or one point ``(2,)``) in face units, as ``(u, v)``.
    landmarks : Landmarks
        The identity's landmarks (:mod:`evface.face.aus`).
    side : {"", "L", "R"}
        The subject's side to keep of a mirrored pattern; ``""`` keeps both.

    Returns
    -------
    numpy.ndarray
        ``float64 (N,)``: the change, added to 1 and multiplied into the reflectance.

    Examples
    --------
    The AU14 dimple darkens the skin just outside the image-left mouth corner, which is the
    subject's right (``"R"``):

    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> dimple = point(lm, "mouth_corner_l") + [-0.025, 0.0]
    >>> au_shading(14, dimple, lm).round(3).tolist(), au_shading(14, dimple, lm, "R").round(3).tolist()
    ([-0.2], [-0.2])
    >>> au_shading(14, dimple, lm, "L").tolist(), au_shading(26, dimple, lm).tolist()  # AU26 has no shading
    ([0.0], [0.0])
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = np.zeros(len(p))
    pattern = _PATTERNS.get(au)
    if pattern is not None:
        for term in pattern(p[:, 0], p[:, 1], landmarks, _kept_sides(side)):
            out += term
    return out


def _kept_sides(side: str) -> Sides:
    """The image sides ``(suffix letter, sign of u outwards)`` a pattern is drawn on: both for
    ``side`` ``""``, else the one that is the subject's ``side``.

    Parameters
    ----------
    side : {"", "L", "R"}
        The subject's side to keep; ``""`` keeps both.

    Returns
    -------
    list of (str, float)
        The kept image sides, image-left (``"l"``, outwards is ``-u``) first.

    Examples
    --------
    >>> _kept_sides(""), _kept_sides("R")
    ([('l', -1.0), ('r', 1.0)], [('l', -1.0)])
    """
    return [(s, sgn) for s, sgn in (("l", -1.0), ("r", 1.0)) if not side or f"_{s}" == IMAGE_SIDE_SUFFIX[side]]


def _glabella(landmarks: Landmarks) -> np.ndarray:
    """The point between the inner ends of the brows.

    Parameters
    ----------
    landmarks : Landmarks
        The identity's landmarks (:mod:`evface.face.aus`).

    Returns
    -------
    numpy.ndarray
        ``float64 (2,)``: the point, as ``(u, v)`` in face units.
    """
    return 0.5 * (point(landmarks, "brow_inner_l") + point(landmarks, "brow_inner_r"))


def _central_forehead_lines(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU1: horizontal lines curving down at the ends, above the glabella. Central: ``sides`` is unused."""
    c = _glabella(landmarks) + [0.0, -0.11]
    yield -0.16 * _lines((v - c[1] + 1.2 * (u - c[0]) ** 2) / 0.032) * _gauss(u, v, c[0], c[1], 0.11, 0.05)


def _lateral_forehead_lines(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU2: shorter, more curved lines above the middle of each brow."""
    for s, _ in sides:
        c = point(landmarks, f"brow_mid_{s}") + [0.0, -0.09]
        yield -0.14 * _lines((v - c[1] + 1.5 * (u - c[0]) ** 2) / 0.032) * _gauss(u, v, c[0], c[1], 0.07, 0.045)


def _glabellar_furrows(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU4: two vertical furrows between the brows and a shadow around them. Central: ``sides`` is unused."""
    c = _glabella(landmarks) + [0.0, -0.015]
    for du in (-0.018, 0.018):
        yield -0.22 * _gauss(u, v, c[0] + du, c[1], 0.004, 0.03)
    yield -0.05 * _gauss(u, v, c[0], c[1], 0.05, 0.03)


def _crows_feet(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU6: a fan of lines outside each eye's outer corner, and the bulge below the lower lid."""
    for s, sgn in sides:
        o = point(landmarks, f"eye_outer_{s}") + [sgn * 0.012, 0.0]
        du, dv = sgn * (u - o[0]), v - o[1]
        r, th = np.hypot(du, dv), np.arctan2(dv, du)
        ring = np.exp(-0.5 * ((r - 0.035) / 0.014) ** 2) * (np.abs(th) < 1.1)
        yield -0.16 * _lines(th / 0.22) * ring
        lo = point(landmarks, f"eye_lower_{s}")
        yield 0.06 * _gauss(u, v, lo[0], lo[1] + 0.025, 0.05, 0.012)


def _nasal_wrinkles(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU9: horizontal wrinkles across the nose below its bridge. Central: ``sides`` is unused."""
    c = point(landmarks, "nose_bridge") + [0.0, 0.05]
    yield -0.18 * _lines((v - c[1]) / 0.014) * _gauss(u, v, c[0], c[1], 0.03, 0.03)


def _nasolabial_furrows(depth: float) -> Pattern:
    """AU10 and AU12: the furrow from each nose wing to beyond the mouth corner, ``depth`` deep,
    with the cheek bulging beside it.

    Parameters
    ----------
    depth : float
        The furrow's shading change at its line (negative = darker).

    Returns
    -------
    callable
        The pattern ``pattern(u, v, landmarks, sides)``, yielding its terms as the other patterns
        of this module do.
    """

    def pattern(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
        for s, sgn in sides:
            a = point(landmarks, f"ala_{s}") + [sgn * 0.02, 0.0]
            b = point(landmarks, f"mouth_corner_{s}") + [sgn * 0.03, 0.04]
            d, t = _segment_distance(u, v, a, b)
            env = np.sin(np.pi * t) ** 0.5
            yield depth * np.exp(-0.5 * (d / 0.007) ** 2) * env
            yield 0.05 * np.exp(-0.5 * ((d - 0.025) / 0.015) ** 2) * env * (sgn * (u - a[0]) > 0)

    return pattern


def _dimples(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU14: a dimple just outside each mouth corner."""
    for s, sgn in sides:
        c = point(landmarks, f"mouth_corner_{s}") + [sgn * 0.025, 0.0]
        yield -0.2 * _gauss(u, v, c[0], c[1], 0.008, 0.012)


def _shadows_below_corners(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU15: a shadow below each lowered mouth corner."""
    for s, sgn in sides:
        c = point(landmarks, f"mouth_corner_{s}") + [sgn * 0.01, 0.035]
        yield -0.1 * _gauss(u, v, c[0], c[1], 0.015, 0.025)


def _chin_wrinkles(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU17: the chin's orange-peel bumps, and the mentolabial sulcus below the lower lip.
    Central: ``sides`` is unused."""
    c = point(landmarks, "chin")
    bumps = np.cos(2 * np.pi * u / 0.018) * np.cos(2 * np.pi * v / 0.02 + 1.3 * np.cos(2 * np.pi * u / 0.05))
    yield -0.14 * np.maximum(bumps, 0) * _gauss(u, v, c[0], c[1], 0.05, 0.035)
    s = point(landmarks, "lip_lower") + [0.0, 0.035]
    yield -0.12 * _gauss(u, v, s[0], s[1], 0.06, 0.007)


def _lip_bulges(u: np.ndarray, v: np.ndarray, landmarks: Landmarks, sides: Sides) -> Iterator[np.ndarray]:
    """AU24: the skin bulging above the upper lip and below the lower one. Central: ``sides`` is unused."""
    for n, dv in (("lip_upper", -0.02), ("lip_lower", 0.02)):
        c = point(landmarks, n) + [0.0, dv]
        yield 0.07 * _gauss(u, v, c[0], c[1], 0.07, 0.012)


_PATTERNS: dict[int, Pattern] = {
    1: _central_forehead_lines, 2: _lateral_forehead_lines, 4: _glabellar_furrows, 6: _crows_feet,
    9: _nasal_wrinkles, 10: _nasolabial_furrows(-0.14), 12: _nasolabial_furrows(-0.16), 14: _dimples,
    15: _shadows_below_corners, 17: _chin_wrinkles, 24: _lip_bulges}
"""Each shaded AU's pattern: ``pattern(u, v, landmarks, sides)`` yields the terms of its shading
change at the points ``(u, v)`` (added in order), on the image ``sides`` of :func:`_kept_sides`."""

SHADED_AUS = tuple(_PATTERNS)
