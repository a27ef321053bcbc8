"""The shading of FACS action units: wrinkles, furrows and bulges as multiplicative changes.

Coordinates and AU keys are those of :mod:`evface.face.aus`; the patterns are applied in skin
coordinates, so they move with the skin.
"""

from __future__ import annotations

import numpy as np

from evface.face.aus import IMAGE_SIDE_SUFFIX, Landmarks, point


def _gauss(u, v, cu, cv, su, sv):
    return np.exp(-0.5 * (((u - cu) / su) ** 2 + ((v - cv) / sv) ** 2))


def _lines(phase, sharp=6):
    return (0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** sharp


def _segment_distance(u, v, a, b):
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
    u, v = p[:, 0], p[:, 1]
    out = np.zeros(len(p))
    P = lambda n: point(landmarks, n)  # noqa: E731
    sides = [(s, sgn) for s, sgn in (("l", -1.0), ("r", 1.0)) if not side or f"_{s}" == IMAGE_SIDE_SUFFIX[side]]
    bi_l, bi_r = P("brow_inner_l"), P("brow_inner_r")
    glab = 0.5 * (bi_l + bi_r)
    if au == 1:
        c = glab + [0.0, -0.11]
        out += -0.16 * _lines((v - c[1] + 1.2 * (u - c[0]) ** 2) / 0.032) * _gauss(u, v, c[0], c[1], 0.11, 0.05)
    elif au == 2:
        for n in (f"brow_mid_{s}" for s, _ in sides):
            c = P(n) + [0.0, -0.09]
            out += -0.14 * _lines((v - c[1] + 1.5 * (u - c[0]) ** 2) / 0.032) * _gauss(u, v, c[0], c[1], 0.07, 0.045)
    elif au == 4:
        c = glab + [0.0, -0.015]
        for du in (-0.018, 0.018):
            out += -0.22 * _gauss(u, v, c[0] + du, c[1], 0.004, 0.03)
        out += -0.05 * _gauss(u, v, c[0], c[1], 0.05, 0.03)
    elif au == 6:
        for s, sgn in sides:
            o = P(f"eye_outer_{s}") + [sgn * 0.012, 0.0]
            du, dv = sgn * (u - o[0]), v - o[1]
            r, th = np.hypot(du, dv), np.arctan2(dv, du)
            ring = np.exp(-0.5 * ((r - 0.035) / 0.014) ** 2) * (np.abs(th) < 1.1)
            out += -0.16 * _lines(th / 0.22) * ring
            lo = P(f"eye_lower_{s}")
            out += 0.06 * _gauss(u, v, lo[0], lo[1] + 0.025, 0.05, 0.012)
    elif au == 9:
        c = P("nose_bridge") + [0.0, 0.05]
        out += -0.18 * _lines((v - c[1]) / 0.014) * _gauss(u, v, c[0], c[1], 0.03, 0.03)
    elif au in (10, 12):
        depth = -0.14 if au == 10 else -0.16
        for s, sgn in sides:
            a = P(f"ala_{s}") + [sgn * 0.02, 0.0]
            b = P(f"mouth_corner_{s}") + [sgn * 0.03, 0.04]
            d, t = _segment_distance(u, v, a, b)
            env = np.sin(np.pi * t) ** 0.5
            out += depth * np.exp(-0.5 * (d / 0.007) ** 2) * env
            out += 0.05 * np.exp(-0.5 * ((d - 0.025) / 0.015) ** 2) * env * (sgn * (u - a[0]) > 0)
    elif au == 14:
        for s, sgn in sides:
            c = P(f"mouth_corner_{s}") + [sgn * 0.025, 0.0]
            out += -0.2 * _gauss(u, v, c[0], c[1], 0.008, 0.012)
    elif au == 15:
        for s, sgn in sides:
            c = P(f"mouth_corner_{s}") + [sgn * 0.01, 0.035]
            out += -0.1 * _gauss(u, v, c[0], c[1], 0.015, 0.025)
    elif au == 17:
        c = P("chin")
        bumps = np.cos(2 * np.pi * u / 0.018) * np.cos(2 * np.pi * v / 0.02 + 1.3 * np.cos(2 * np.pi * u / 0.05))
        out += -0.14 * np.maximum(bumps, 0) * _gauss(u, v, c[0], c[1], 0.05, 0.035)
        s = P("lip_lower") + [0.0, 0.035]
        out += -0.12 * _gauss(u, v, s[0], s[1], 0.06, 0.007)
    elif au == 24:
        for n, dv in (("lip_upper", -0.02), ("lip_lower", 0.02)):
            c = P(n) + [0.0, dv]
            out += 0.07 * _gauss(u, v, c[0], c[1], 0.07, 0.012)
    return out


SHADED_AUS = (1, 2, 4, 6, 9, 10, 12, 14, 15, 17, 24)
