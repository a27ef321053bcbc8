"""The lids and the eyeballs under FACS action units: lid closure and gaze (AU61-64).

Lid motion (AU5, AU6, AU7, AU43, AU45) is an occlusion, not a smooth field:
:func:`eye_displacement` moves the lid margins over the eyeball piecewise-linearly per column,
and turns the eyeball under them for the FACS eye-movement codes AU61-64 (gaze). Coordinates
and AU keys are those of :mod:`evface.face.aus`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from evface.face.aus import GAZE_AUS, GAZE_FW, Landmarks, check_aus

# Lid model: (upper-lid closure, lower-lid rise) per unit intensity, in fractions of the aperture.
# The upper lid follows vertical gaze (AU63 up, AU64 down) by as much as the iris moves (lid-eye
# coordination, Becker & Fuchs 1988): 20 degrees move the iris GAZE_FW = 0.029 face widths, 0.45 of
# a typical aperture of 0.065 face widths.
_LID_PER_GAZE = round(GAZE_FW / 0.065, 2)
LID_WEIGHTS: dict[int, tuple[float, float]] = {
    5: (-0.25, 0.0),
    6: (0.08, 0.12),
    7: (0.10, 0.25),
    43: (1.0, 0.0),
    45: (1.0, 0.0),
    63: (-_LID_PER_GAZE, 0.0),
    64: (_LID_PER_GAZE, 0.0),
}
UPPER_LID_ZONE_FW = 0.045  # skin between the lash line and the lid crease, at the eye centre
LOWER_LID_ZONE_FW = 0.03


def lid_state(aus: Mapping[int | str, float]) -> tuple[float, float]:
    """(upper-lid closure, lower-lid rise) as fractions of the eye aperture.

    Closure 1 brings the upper lid down to the lower lid; negative closure raises it (AU5); the
    upper lid follows vertical gaze (AU63, AU64).

    Examples
    --------
    >>> lid_state({45: 1.0}), lid_state({64: 0.5}), lid_state({63: 0.5})
    ((1.0, 0.0), (0.225, 0.0), (-0.225, 0.0))
    """
    up = lo = 0.0
    for key, w in check_aus(aus).items():
        a, b = LID_WEIGHTS.get(key, (0.0, 0.0)) if isinstance(key, int) else (0.0, 0.0)  # lid AUs have no one-sided keys
        up += w * a
        lo += w * b
    return min(max(up, -0.4), 1.0), min(max(lo, 0.0), 0.6)


def _parabola(p0, p1, p2, u):
    coef = np.polyfit([p0[0], p1[0], p2[0]], [p0[1], p1[1], p2[1]], 2)
    return np.polyval(coef, u)


def eye_geometry(landmarks: Landmarks, side: str, u: np.ndarray):
    """Per-column eye geometry: (inside mask, upper margin v, lower margin v, profile in [0, 1]).

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> inside, top, bottom, profile = eye_geometry(lm, "l", np.array([-0.205, -0.5]))
    >>> inside.tolist(), top[:1].round(3).tolist(), bottom[:1].round(3).tolist(), profile.round(2).tolist()
    ([True, False], [-0.134], [-0.069], [1.0, 0.0])
    """
    e = np.asarray(landmarks[f"eye_{side}"], dtype=np.float64)
    inner, upper, outer, lower = e
    lo_u, hi_u = min(inner[0], outer[0]), max(inner[0], outer[0])
    t = (u - 0.5 * (lo_u + hi_u)) / (0.5 * (hi_u - lo_u))
    inside = np.abs(t) < 1.0
    profile = np.clip(1.0 - t * t, 0.0, 1.0)
    v_top = _parabola(inner, upper, outer, u)
    v_bot = _parabola(inner, lower, outer, u)
    return inside, v_top, np.maximum(v_bot, v_top), profile


def _lid_zones(c_up, c_lo, geometry):
    inside, v_top, v_bot, prof = geometry
    ap = v_bot - v_top
    l_up = UPPER_LID_ZONE_FW * prof + 1e-9
    l_lo = LOWER_LID_ZONE_FW * prof + 1e-9
    m_lo = v_bot - c_lo * ap
    m_up = np.minimum(v_top + c_up * ap, m_lo)
    return inside, v_top, v_bot, m_up, m_lo, l_up, l_lo


def gaze_shift(aus: Mapping[int | str, float]) -> np.ndarray:
    """Iris motion ``(du, dv)`` in face widths of the gaze AUs 61-64 in ``aus``.

    Examples
    --------
    >>> gaze_shift({61: 0.5}).round(4).tolist()
    [0.0146, 0.0]
    """
    g = np.zeros(2)
    for key, w in check_aus(aus).items():  # was: nan or 5.0 taken (nan or far-off irises)
        if key in GAZE_AUS:
            g += float(w) * GAZE_FW * np.asarray(GAZE_AUS[key])
    return g


def eye_displacement(
    aus: Mapping[int | str, float], points: np.ndarray, landmarks: Landmarks, geometry: Mapping[str, tuple] | None = None
) -> np.ndarray:
    """Backward-warp displacement ``(N, 2)`` (face widths) of the lids and the eyeballs.

    A pixel at ``p`` shows the neutral texture at ``p - D``. Per column of each eye the upper
    lid skin ``[top - zone, top]`` is stretched to ``[top - zone, new margin]`` and covers the
    eyeball (occlusion); a raised lid (negative closure) reveals a stretched eyeball; the lower
    lid works alike from below. What shows of the eyeball is then moved by the gaze
    (:func:`gaze_shift`), tapering to nothing at the neutral lid margins and eye corners so
    the eyeball never samples lid skin. ``geometry`` optionally maps each side to move (``"l"``,
    ``"r"``) to its precomputed ``eye_geometry(landmarks, side, u)`` for these points; by default
    both eyes move. A side whose eye spans none of the points' columns leaves them still, so it
    may be left out.

    Examples
    --------
    A blink (AU45) moves the lid over the open eye, a gaze turn (AU61) the iris; the mouth stays:

    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> points = np.array([[-0.205, -0.10], [0.0, 0.3]])
    >>> (eye_displacement({45: 1.0}, points, lm).round(4) + 0.0).tolist()
    [[0.0, 0.0465], [0.0, 0.0]]
    >>> (eye_displacement({61: 1.0}, points, lm).round(4) + 0.0).tolist()
    [[0.0291, 0.0], [0.0, 0.0]]
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = np.zeros_like(points)
    aus = check_aus(aus)
    c_up, c_lo = lid_state(aus)
    g = gaze_shift(aus)
    g_norm = float(np.hypot(*g))
    if c_up == 0.0 and c_lo == 0.0 and g_norm == 0.0:
        return out
    u, v = points[:, 0], points[:, 1]
    if geometry is None:
        geometry = {side: eye_geometry(landmarks, side, u) for side in ("l", "r")}
    for side, geom in geometry.items():
        inside, v_top, v_bot, m_up, m_lo, l_up, l_lo = _lid_zones(c_up, c_lo, geom)
        top0, bot1 = v_top - l_up, v_bot + l_lo
        src = v.copy()
        z1 = inside & (v >= top0) & (v <= m_up)
        src[z1] = (top0 + (v - top0) * l_up / np.maximum(m_up - top0, 1e-9))[z1]
        if c_up < 0:
            z2 = inside & (v > m_up) & (v < m_lo)
            src[z2] = (v_top + (v - m_up) * (m_lo - v_top) / np.maximum(m_lo - m_up, 1e-9))[z2]
        z3 = inside & (v >= m_lo) & (v <= bot1) & ~z1
        src[z3] = (v_bot + (v - m_lo) * l_lo / np.maximum(bot1 - m_lo, 1e-9))[z3]
        if g_norm > 0.0:
            e = np.asarray(landmarks[f"eye_{side}"], dtype=np.float64)
            lo_u, hi_u = min(e[0, 0], e[2, 0]), max(e[0, 0], e[2, 0])
            ball = inside & ~z1 & ~z3 & (src > v_top) & (src < v_bot)
            room = np.minimum(np.minimum(src - v_top, v_bot - src), np.minimum(u - lo_u, hi_u - u))
            with np.errstate(over="ignore"):  # a subnormal gaze: room / g_norm is inf, clipped to 1 as meant
                w = np.where(ball, np.clip(room / g_norm, 0.0, 1.0), 0.0)
            out[:, 0] += w * g[0]
            src = src - w * g[1]
        out[:, 1] += v - src
    return out


def lid_forward(aus: Mapping[int | str, float], points: np.ndarray, landmarks: Landmarks, side: str) -> np.ndarray:
    """Forward lid motion of points of one eye (``side`` "l"/"r"): where each appears after the lids move.

    Examples
    --------
    Closed by AU45, the upper lid margin (the second eye point) comes down onto the lower (the fourth):

    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> lid_forward({45: 1.0}, lm["eye_l"], lm, "l")[:, 1].round(3).tolist(), lm["eye_l"][:, 1].round(3).tolist()
    ([-0.096, -0.07, -0.104, -0.07], [-0.096, -0.134, -0.104, -0.07])
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2).copy()
    u, s = points[:, 0], points[:, 1]
    c_up, c_lo = lid_state(aus)
    inside, v_top, v_bot, m_up, m_lo, l_up, l_lo = _lid_zones(c_up, c_lo, eye_geometry(landmarks, side, u))
    top0, bot1 = v_top - l_up, v_bot + l_lo
    v = s.copy()
    eps = 1e-9
    up = inside & (s >= top0) & (s <= v_top + eps)
    v[up] = (top0 + (s - top0) * (m_up - top0) / l_up)[up]
    lo = inside & (s >= v_bot - eps) & (s <= bot1)
    v[lo] = (m_lo + (s - v_bot) * (bot1 - m_lo) / l_lo)[lo]
    points[:, 1] = v
    return points
