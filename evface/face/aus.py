"""FACS action units as displacement fields and shading changes over a face's own landmarks.

Coordinates are *face-normalised*: ``u`` to the image right, ``v`` down, unit = one face width,
origin at the face centre (see :mod:`evface.face.identity`). Landmark groups ending in ``_l`` are
on the image left (the subject's right).

Each AU is a sum of anisotropic Gaussian displacement kernels anchored at landmarks
(:data:`AU_KERNELS`, linear in the intensity 0..1, masked below the jaw line), plus a
multiplicative shading pattern (wrinkles, furrows, bulges). Kernels gated to the lower or upper
lip are composed across a hard lip seam (:func:`combine_lips`) so the mouth opens into a dark gap.
Lid motion (AU5, AU6, AU7, AU43, AU45) is an occlusion, not a smooth field:
:func:`eye_displacement` moves the lid margins over the eyeball piecewise-linearly per column,
and turns the eyeball under them for the FACS eye-movement codes AU61-64 (gaze).

An AU key is its number (bilateral) or a FACS side prefix and the number, ``"L14"`` / ``"R14"``
(the subject's left / right: the image right / left), for the AUs of :data:`UNILATERAL_AUS`.

The displacement ``D(p)`` is the *forward* motion of the skin: a feature at ``s`` appears at
``p = s + D(p)``; the renderer samples the neutral texture at ``p - D(p)`` (backward warp), and
:func:`forward_points` solves the same equation for landmarks, so both move consistently.

Intensity 1.0 is a strong micro-expression apex (see docs/au-model.md for the amplitudes and
their sources); AU43/45 at 1.0 is a fully closed eye.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from evface.checks import as_real
from evface.errors import ParameterError

Landmarks = Mapping[str, np.ndarray]

# Named single points: name -> (landmark group, index). Names ending in _l are mirrored to _r.
POINTS: dict[str, tuple[str, int]] = {
    "brow_inner_l": ("brow_l", 0), "brow_mid_l": ("brow_l", 2), "brow_outer_l": ("brow_l", 4),
    "brow_inner_r": ("brow_r", 0), "brow_mid_r": ("brow_r", 2), "brow_outer_r": ("brow_r", 4),
    "eye_inner_l": ("eye_l", 0), "eye_upper_l": ("eye_l", 1), "eye_outer_l": ("eye_l", 2),
    "eye_lower_l": ("eye_l", 3),
    "eye_inner_r": ("eye_r", 0), "eye_upper_r": ("eye_r", 1), "eye_outer_r": ("eye_r", 2),
    "eye_lower_r": ("eye_r", 3),
    "cheek_l": ("cheek_l", 0), "cheek_r": ("cheek_r", 0),
    "nose_bridge": ("nose", 0), "nose_tip": ("nose", 1), "ala_l": ("nose", 2), "ala_r": ("nose", 3),
    "mouth_corner_l": ("mouth", 0), "mouth_corner_r": ("mouth", 1), "lip_upper": ("mouth", 2),
    "lip_lower": ("mouth", 3), "stomion": ("mouth", 4),
    "lip_upper_l": ("mouth", 5), "lip_upper_r": ("mouth", 6),
    "chin": ("chin", 0), "iris": ("iris_l", 0),
}


def point(landmarks: Landmarks, name: str) -> np.ndarray:
    """Return the named landmark point ``(2,)`` (see :data:`POINTS`).

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> point(lm, "mouth_corner_l").tolist(), point(lm, "eye_upper_r").round(3).tolist()
    ([-0.165, 0.3], [0.213, -0.134])
    """
    group, index = POINTS[name]
    return np.asarray(landmarks[group][index], dtype=np.float64)


@dataclass(frozen=True)
class ActionUnit:
    """One FACS action unit and the motion this model gives it.

    ``landmark`` is the reference point whose displacement at intensity 1.0 is ``apex_fw`` face
    widths, within ``apex_range_fw``, along ``direction`` (unit vector ``(du, dv)`` in the face
    frame, for the image-left point when the AU is bilateral).

    Examples
    --------
    >>> au = AU_TABLE[12]
    >>> au.name, au.landmark, au.apex_fw, au.direction  # the image-left corner moves left and up
    ('lip corner puller', 'mouth_corner_l', 0.025, (-0.6, -0.8))
    """

    number: int
    name: str
    region: str
    motion: str
    landmark: str
    direction: tuple[float, float]
    apex_fw: float
    apex_range_fw: tuple[float, float]


@dataclass(frozen=True)
class Kernel:
    """A Gaussian displacement kernel anchored at a named landmark.

    ``out_up`` is the motion at the anchor at intensity 1.0, in face widths, as (away from the
    midline, upwards); ``sigma_fw`` the (horizontal, vertical) extent; ``gate`` restricts the kernel
    to one side of the lip seam (``"above"``, ``"below"`` or ``""``); ``mirror`` adds the same
    kernel on the other side for ``_l`` anchors.

    Examples
    --------
    >>> k = AU_KERNELS[12][0]
    >>> k.anchor, k.out_up, k.sigma_fw, k.gate, k.mirror
    ('mouth_corner_l', (0.6, 0.8), (0.055, 0.05), '', True)
    """

    anchor: str
    out_up: tuple[float, float]
    sigma_fw: tuple[float, float]
    gate: str = ""
    mirror: bool = True


def _au(n, name, region, motion, landmark, out_up, apex):
    d = np.asarray(out_up, dtype=float)
    d = d / np.linalg.norm(d)
    side = -1.0 if landmark.endswith("_l") else 1.0
    direction = (float(side * d[0]) if d[0] else 0.0, float(-d[1]) if d[1] else 0.0)
    return n, ActionUnit(n, name, region, motion, landmark, direction, apex, (0.7 * apex, 1.3 * apex))


EYEBALL_RADIUS_FW = 0.085
"""Eyeball radius (12 mm) over a bizygomatic face width of 14 cm (docs/au-model.md, "Gaze")."""
GAZE_DEG = 20.0
"""Eye rotation of AU61-64 at intensity 1.0, degrees."""
GAZE_FW = round(EYEBALL_RADIUS_FW * float(np.sin(np.deg2rad(GAZE_DEG))), 4)
"""Iris-centre motion at intensity 1.0 (face widths)."""
GAZE_AUS: dict[int, tuple[float, float]] = {61: (1.0, 0.0), 62: (-1.0, 0.0), 63: (0.0, -1.0), 64: (0.0, 1.0)}
"""AU61-64: unit iris motion ``(du, dv)`` in the image (u right, v down)."""
UNILATERAL_AUS = (2, 10, 12, 14, 15, 20)
"""AUs with a one-sided variant (``"L14"``, ``"R14"``): their kernels and shading come in mirrored pairs."""

# Apex displacement at intensity 1.0 in face widths; sources and reasoning in docs/au-model.md.
AU_TABLE: dict[int, ActionUnit] = dict(
    [
        _au(1, "inner brow raiser", "brows", "inner brow ends rise", "brow_inner_l", (0, 1), 0.020),
        _au(2, "outer brow raiser", "brows", "outer brow ends rise", "brow_outer_l", (0, 1), 0.020),
        _au(4, "brow lowerer", "brows", "brows lower and draw together", "brow_inner_l", (-0.55, -0.85), 0.020),
        _au(5, "upper lid raiser", "eyes", "upper lid rises", "eye_upper_l", (0, 1), 0.016),
        _au(6, "cheek raiser", "cheeks", "cheeks and lower lid rise; crow's feet", "cheek_l", (0, 1), 0.015),
        _au(7, "lid tightener", "eyes", "lower lid rises, aperture narrows", "eye_lower_l", (0, 1), 0.016),
        _au(9, "nose wrinkler", "nose", "nose wings rise; nasal wrinkles", "ala_l", (0.15, 1), 0.018),
        _au(10, "upper lip raiser", "mouth", "upper lip rises; nasolabial furrow deepens", "lip_upper", (0, 1), 0.018),
        _au(12, "lip corner puller", "mouth", "lip corners move up and outward", "mouth_corner_l", (0.6, 0.8), 0.025),
        _au(14, "dimpler", "mouth", "lip corners tighten inward; dimple", "mouth_corner_l", (-1, 0.15), 0.012),
        _au(15, "lip corner depressor", "mouth", "lip corners move down", "mouth_corner_l", (0.1, -1), 0.018),
        _au(17, "chin raiser", "chin", "chin boss and lower lip push up; chin wrinkles", "chin", (0, 1), 0.018),
        _au(20, "lip stretcher", "mouth", "lip corners pulled laterally", "mouth_corner_l", (1, -0.1), 0.022),
        _au(23, "lip tightener", "mouth", "lips narrow and tighten", "mouth_corner_l", (-1, 0), 0.010),
        _au(24, "lip pressor", "mouth", "lips press together", "lip_lower", (0, 1), 0.008),
        _au(25, "lips part", "mouth", "lower lip drops, lips separate", "lip_lower", (0, -1), 0.015),
        _au(26, "jaw drop", "jaw", "jaw lowers, mouth opens", "chin", (0, -1), 0.030),
        _au(43, "eyes closed", "eyes", "upper lid comes down to the lower lid", "eye_upper_l", (0, -1), 0.065),
        _au(45, "blink", "eyes", "upper lid comes down (fast close and open)", "eye_upper_l", (0, -1), 0.065),
        _au(61, "eyes turn left", "gaze", "both eyes turn to the subject's left (image right)", "iris", (1, 0), GAZE_FW),
        _au(62, "eyes turn right", "gaze", "both eyes turn to the subject's right (image left)", "iris", (-1, 0), GAZE_FW),
        _au(63, "eyes up", "gaze", "both eyes turn up", "iris", (0, 1), GAZE_FW),
        _au(64, "eyes down", "gaze", "both eyes turn down", "iris", (0, -1), GAZE_FW),
    ]
)
# AU43/45 apex: the whole eye aperture (about 0.065 face widths for the template eye).

# Smooth displacement kernels; the amplitude of each is relative to the AU's apex_fw.
AU_KERNELS: dict[int, tuple[Kernel, ...]] = {
    1: (Kernel("brow_inner_l", (0.0, 1.0), (0.06, 0.07)), Kernel("brow_mid_l", (0.0, 0.25), (0.05, 0.06))),
    2: (Kernel("brow_outer_l", (0.0, 1.0), (0.07, 0.07)), Kernel("brow_mid_l", (0.0, 0.4), (0.05, 0.06))),
    4: (Kernel("brow_inner_l", (-0.55, -0.85), (0.06, 0.055)), Kernel("brow_mid_l", (-0.2, -0.5), (0.06, 0.05))),
    6: (Kernel("cheek_l", (0.0, 1.0), (0.08, 0.06)),),
    9: (
        Kernel("ala_l", (0.15, 1.0), (0.035, 0.04)),
        Kernel("nose_bridge", (0.0, 0.5), (0.03, 0.05), mirror=False),
        Kernel("brow_inner_l", (-0.2, -0.4), (0.04, 0.04)),
        Kernel("lip_upper_l", (0.0, 0.4), (0.05, 0.03), gate="above"),
    ),
    10: (Kernel("lip_upper_l", (0.0, 1.0), (0.06, 0.035), gate="above"), Kernel("ala_l", (0.0, 0.35), (0.04, 0.04))),
    12: (Kernel("mouth_corner_l", (0.6, 0.8), (0.055, 0.05)), Kernel("cheek_l", (0.2, 0.3), (0.06, 0.05))),
    14: (Kernel("mouth_corner_l", (-1.0, 0.15), (0.03, 0.035)),),
    15: (Kernel("mouth_corner_l", (0.1, -1.0), (0.045, 0.045)),),
    17: (
        Kernel("chin", (0.0, 1.0), (0.09, 0.07), mirror=False),
        Kernel("lip_lower", (0.0, 0.6), (0.08, 0.03), gate="below", mirror=False),
    ),
    20: (Kernel("mouth_corner_l", (1.0, -0.1), (0.05, 0.045)),),
    23: (
        Kernel("mouth_corner_l", (-1.0, 0.0), (0.04, 0.035)),
        Kernel("lip_upper", (0.0, -0.5), (0.07, 0.015), gate="above", mirror=False),
        Kernel("lip_lower", (0.0, 0.5), (0.07, 0.02), gate="below", mirror=False),
    ),
    24: (
        Kernel("lip_lower", (0.0, 1.0), (0.08, 0.025), gate="below", mirror=False),
        Kernel("lip_upper", (0.0, -0.7), (0.08, 0.02), gate="above", mirror=False),
    ),
    25: (
        Kernel("lip_lower", (0.0, -1.0), (0.07, 0.06), gate="below", mirror=False),
        Kernel("lip_upper", (0.0, 0.25), (0.06, 0.03), gate="above", mirror=False),
    ),
    26: (Kernel("chin", (0.0, -1.0), (0.3, 0.45), gate="below", mirror=False),),
}

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
SEAM_WIDTH_FW = 0.02  # width of the smooth lip-seam gate used beyond the mouth corners

CLASS_SETS: dict[str, dict[str, list[int]]] = {
    "default": {
        "AU1+2": [1, 2],
        "AU4": [4],
        "AU6+12": [6, 12],
        "AU9": [9],
        "AU14": [14],
        "AU15": [15],
        "AU17": [17],
    },
    "compact": {"AU1+2": [1, 2], "AU4": [4], "AU6+12": [6, 12], "AU15": [15], "AU17": [17]},
    "mouth": {"AU10": [10], "AU12": [12], "AU14": [14], "AU15": [15], "AU17": [17], "AU20": [20], "AU25": [25]},
}
DEFAULT_CLASSES: dict[str, list[int]] = CLASS_SETS["default"]


def parse_au(key: int | str) -> tuple[int, str]:
    """``(number, side)`` of an AU key: side ``""`` (both), ``"L"`` or ``"R"`` (the subject's).

    Examples
    --------
    >>> parse_au(14), parse_au("R14"), parse_au("AU12")
    ((14, ''), (14, 'R'), (12, ''))
    """
    text = str(key).strip().upper().removeprefix("AU")
    side = text[:1] if text[:1] in ("L", "R") else ""
    try:
        au = int(text[len(side):])
    except ValueError:
        raise ParameterError(f"aus: cannot read action unit {key!r}; expected e.g. 12 or 'L14'") from None
    if au not in AU_TABLE:
        raise ParameterError(f"aus: unknown action unit {key!r}; expected one of {sorted(AU_TABLE)}")
    if side and au not in UNILATERAL_AUS:
        raise ParameterError(f"aus: AU{au} has no one-sided variant {key!r}; those are {list(UNILATERAL_AUS)}")
    return au, side


def au_key(au: int, side: str = "") -> int | str:
    """The AU key of ``au`` on ``side`` (``""``, ``"L"``, ``"R"``): an int, or e.g. ``"L14"``.

    Examples
    --------
    >>> au_key(12), au_key(14, "L"), au_key(*parse_au("r14"))
    (12, 'L14', 'R14')
    """
    return int(au) if not side else f"{side}{int(au)}"


def check_aus(aus: Mapping[int | str, float]) -> dict[int | str, float]:
    """Validate an AU key -> intensity mapping; return it with zero intensities dropped (keys as
    :func:`au_key` writes them).

    Raises
    ------
    ParameterError
        For something other than a mapping, an unknown AU or side, an AU given twice under two
        spellings (``12`` and ``"AU12"``), or an intensity outside [0, 1].

    Examples
    --------
    >>> check_aus({"AU12": 0.5, "l14": 0.25, 4: 0.0})
    {12: 0.5, 'L14': 0.25}
    >>> check_aus({12: 0.5, "AU12": 0.9})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: aus: 'AU12' and 12 both name AU 12; give each AU once
    """
    if not isinstance(aus, Mapping):  # was: an AttributeError about 'items'
        raise ParameterError(f"aus: expected a mapping of AU to intensity, e.g. {{12: 0.5}}, got {aus!r}")
    out: dict[int | str, float] = {}
    named: dict[int | str, object] = {}
    for key, w in aus.items():
        au, side = parse_au(key)
        k = au_key(au, side)
        if k in named:  # was: the last spelling's intensity rendered, the first's silently dropped
            raise ParameterError(f"aus: {key!r} and {named[k]!r} both name AU {k}; give each AU once")
        named[k] = key
        w = min(as_real(f"aus[{key}] intensity", w, 0.0, 1.0 + 1e-6), 1.0)
        if w > 0:
            out[k] = w
    return out


def _mirror_name(name: str) -> str | None:
    return name[:-2] + "_r" if name.endswith("_l") else None


def lip_seam_v(u: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """The lip seam as the parabola through both mouth corners and the stomion.

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> lip_seam_v(np.array([-0.165, 0.0, 0.5]), lm).round(3).tolist()  # a straight mouth: flat at its v
    [0.3, 0.3, 0.3]
    """
    cl, cr, st = point(landmarks, "mouth_corner_l"), point(landmarks, "mouth_corner_r"), point(landmarks, "stomion")
    coef = np.polyfit([cl[0], st[0], cr[0]], [cl[1], st[1], cr[1]], 2)
    return np.polyval(coef, u)


def seam_gate(points: np.ndarray, landmarks: Landmarks, side: str) -> np.ndarray:
    """Smooth weight in [0, 1] of being below (``side="below"``) or above the lip seam.

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> points = np.array([[0.0, 0.2], [0.0, 0.4], [0.5, 0.3]])  # above, below, on the seam
    >>> seam_gate(points, lm, "below").round(3).tolist(), seam_gate(points, lm, "above").round(3).tolist()
    ([0.0, 1.0, 0.5], [1.0, 0.0, 0.5])
    """
    z = (points[:, 1] - lip_seam_v(points[:, 0], landmarks)) / SEAM_WIDTH_FW
    below = 0.5 * (1.0 + np.tanh(np.clip(z, -20, 20)))
    return below if side == "below" else 1.0 - below


def lip_blend(points: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """Weight in [0, 1] of the hard lip seam (1 between the corners, tapering to 0 at them).

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> lip_blend(np.array([[0.0, 0.3], [0.1, 0.3], [0.3, 0.3]]), lm).round(3).tolist()  # centre, inside, beyond a corner
    [1.0, 0.795, 0.0]
    """
    cl, cr = point(landmarks, "mouth_corner_l"), point(landmarks, "mouth_corner_r")
    x = (points[:, 0] - 0.5 * (cl[0] + cr[0])) / (0.5 * (cr[0] - cl[0]))
    return np.sqrt(np.clip(1.0 - x * x, 0.0, 1.0))


def combine_lips(free, below, above, points, landmarks, seam=None, blend=None, gate=None) -> np.ndarray:
    """Compose the smooth field with the lower-lip/jaw (``below``) and upper-lip (``above``)
    vertical motions, for points ``(N, 2)``; all in one unit (face widths or pixels).

    Between the mouth corners the seam is a hard edge: a point whose source lies below the seam
    takes ``below``, above it ``above``, and a point in the gap between separated lips samples the
    seam itself (the dark mouth opening, which therefore grows as the lips part). Beyond the
    corners the two motions blend smoothly. ``seam`` (v of the seam per point, same unit as the
    points), ``blend`` (:func:`lip_blend`) and ``gate`` (smooth below-weight) may be precomputed.

    Examples
    --------
    The lower lip drops 0.02 face widths: a point below the seam moves with it, one above stays,
    and one on the seam now lies in the opening:

    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> points = np.array([[0.0, 0.25], [0.0, 0.35], [0.0, 0.3]])
    >>> combine_lips(np.zeros((3, 2)), np.full(3, 0.02), np.zeros(3), points, lm)[:, 1].round(3).tolist()
    [0.0, 0.02, 0.0]
    """
    y = points[:, 1]
    if seam is None:
        seam = lip_seam_v(points[:, 0], landmarks)
    if blend is None:
        blend = lip_blend(points, landmarks)
    if gate is None:
        gate = seam_gate(points, landmarks, "below")
    out = np.array(free, dtype=np.result_type(free, np.float32), copy=True)
    out[:, 1] += lip_motion(y, below, above, seam, blend, gate)
    return out


def lip_motion(y, below, above, seam, blend, gate):
    """Vertical lip displacement at heights ``y`` (see :func:`combine_lips`); any array shapes.

    Examples
    --------
    Seam at 0.3, lower lip down 0.02, upper lip up 0.01, on the hard seam (blend 1):

    >>> lip_motion(np.array([0.28, 0.31, 0.35]), 0.02, -0.01, 0.3, 1.0, 0.5).round(3).tolist()
    [-0.01, 0.01, 0.02]
    """
    hard = np.where(y - below >= seam, below, np.where(y - above <= seam, above, y - seam))
    return blend * hard + (1.0 - blend) * (gate * below + (1.0 - gate) * above)


def au_components(au: int, points: np.ndarray, landmarks: Landmarks,
                  side: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One AU at intensity 1.0 as (smooth field ``(N, 2)``, lower-lip motion ``(N,)``, upper-lip
    motion ``(N,)``), face widths, forward. The lip parts are vertical and combined by
    :func:`combine_lips`. All are scaled together so that the AU's reference landmark moves
    exactly ``AU_TABLE[au].apex_fw`` in the bilateral AU; ``side`` (``"L"``/``"R"``, the subject's)
    keeps the kernels of one side at that scale.

    Examples
    --------
    AU12 moves its reference landmark, the image-left mouth corner, by exactly ``apex_fw``:

    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> free, below, above = au_components(12, point(lm, "mouth_corner_l"), lm)
    >>> free.round(4).tolist(), round(float(np.hypot(*free[0])), 4), below.tolist(), above.tolist()
    ([[-0.015, -0.02]], 0.025, [0.0], [0.0])
    >>> free, _, _ = au_components(12, np.stack([point(lm, "mouth_corner_l"), point(lm, "mouth_corner_r")]), lm, "L")
    >>> (free.round(4) + 0.0).tolist()  # the subject's left: the image right corner only
    [[0.0, 0.0], [0.015, -0.02]]
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    parts = _kernel_sum(au, points, landmarks, side)
    ref_pt = point(landmarks, AU_TABLE[au].landmark)[None]
    f, b, a = _kernel_sum(au, ref_pt, landmarks)
    below = ref_pt[0, 1] > lip_seam_v(ref_pt[:, 0], landmarks)[0]
    ref = f[0] + [0.0, b[0] if below else a[0]]
    norm = float(np.hypot(*ref))
    k = AU_TABLE[au].apex_fw / norm if norm > 0 else 1.0
    return parts[0] * k, parts[1] * k, parts[2] * k


def jaw_mask(points: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """1 on the face down to 0.01 face widths below the jaw line, 0 from 0.05 below: the face
    outline moves with the skin, the neck, clothes and background beside the neck do not.

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> jaw_mask(np.array([[0.0, 0.0], [0.0, 0.7], [0.0, 0.9]]), lm).round(2).tolist()  # cheek, chin, neck
    [1.0, 1.0, 0.0]
    """
    jaw = np.asarray(landmarks["jaw"], dtype=np.float64)
    order = np.argsort(jaw[:, 0])
    v_jaw = np.interp(points[:, 0], jaw[order, 0], jaw[order, 1])
    return np.clip((v_jaw + 0.05 - points[:, 1]) / 0.04, 0.0, 1.0)


_IMAGE_SUFFIX = {"L": "_r", "R": "_l"}  # the subject's left is on the image right


def _kernel_sum(au: int, points: np.ndarray, landmarks: Landmarks, side: str = ""):
    free = np.zeros_like(points)
    lips = {"below": np.zeros(len(points)), "above": np.zeros(len(points))}
    mask = jaw_mask(points, landmarks)
    for k in AU_KERNELS.get(au, ()):
        names = [k.anchor]
        if k.mirror and _mirror_name(k.anchor):
            names.append(_mirror_name(k.anchor))
        if side:
            names = [n for n in names if n.endswith(_IMAGE_SUFFIX[side])]
        for name in names:
            a = point(landmarks, name)
            sign = -1.0 if name.endswith("_l") else (1.0 if name.endswith("_r") else 0.0)
            g = mask * np.exp(
                -0.5 * (((points[:, 0] - a[0]) / k.sigma_fw[0]) ** 2 + ((points[:, 1] - a[1]) / k.sigma_fw[1]) ** 2)
            )
            if k.gate:
                lips[k.gate] += -k.out_up[1] * g
            else:
                free[:, 0] += sign * k.out_up[0] * g
                free[:, 1] += -k.out_up[1] * g
    return free, lips["below"], lips["above"]


def displacement(aus: Mapping[int, float], points: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """Forward displacement ``(N, 2)`` in face widths of all ``aus`` (lids excluded): the
    intensity-weighted sums of the components, composed by :func:`combine_lips`.

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> corners = np.stack([point(lm, "mouth_corner_l"), point(lm, "mouth_corner_r"), [0.0, -0.5]])
    >>> (displacement({12: 1.0}, corners, lm).round(4) + 0.0).tolist()  # both corners out and up; the forehead still
    [[-0.015, -0.02], [0.015, -0.02], [0.0, 0.0]]
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    free = np.zeros_like(points)
    below, above = np.zeros(len(points)), np.zeros(len(points))
    for key, w in check_aus(aus).items():
        au, side = parse_au(key)
        if au in AU_KERNELS:
            f, b, a = au_components(au, points, landmarks, side)
            free += w * f
            below += w * b
            above += w * a
    return combine_lips(free, below, above, points, landmarks)


def lid_state(aus: Mapping[int, float]) -> tuple[float, float]:
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
        a, b = LID_WEIGHTS.get(key, (0.0, 0.0))  # lid AUs have no one-sided keys
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
    aus: Mapping[int | str, float], points: np.ndarray, landmarks: Landmarks, geometry: tuple | None = None
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


def lid_forward(aus: Mapping[int, float], points: np.ndarray, landmarks: Landmarks, side: str) -> np.ndarray:
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


def forward_points(
    aus: Mapping[int, float], points: np.ndarray, landmarks: Landmarks, iterations: int = 4
) -> np.ndarray:
    """Where skin points ``(N, 2)`` appear under ``aus``: solves ``p = s + D(p)`` by fixed point.

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> corner = point(lm, "mouth_corner_l")
    >>> (forward_points({12: 1.0}, corner, lm) - corner).round(4).tolist()
    [[-0.0136, -0.0181]]
    """
    s = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = s.copy()
    for _ in range(iterations):
        p = s + displacement(aus, p, landmarks)
    return p


def moved_landmarks(aus: Mapping[int | str, float], landmarks: Landmarks) -> dict[str, np.ndarray]:
    """All landmark groups displaced by ``aus`` (smooth fields, then the lids for the eye groups
    and the gaze for the irises).

    Examples
    --------
    >>> from evface.face.identity import TEMPLATE, landmarks_from_geometry
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> moved = moved_landmarks({12: 1.0, 45: 1.0, 61: 0.5}, lm)
    >>> sorted(moved) == sorted(lm), (moved["mouth"][0] - lm["mouth"][0]).round(4).tolist()
    (True, [-0.0136, -0.0181])
    >>> round(float(moved["eye_l"][1, 1] - lm["eye_l"][1, 1]), 3), ((moved["iris_r"] - lm["iris_r"]).round(4) + 0.0).tolist()
    (0.064, [[0.0146, 0.0]])
    """
    aus = check_aus(aus)
    out = {k: forward_points(aus, v, landmarks) for k, v in landmarks.items()}
    for side in ("l", "r"):
        e = np.asarray(landmarks[f"eye_{side}"], dtype=np.float64)
        lid = lid_forward(aus, e, landmarks, side) - e
        out[f"eye_{side}"] = out[f"eye_{side}"] + lid
        out[f"iris_{side}"] = out[f"iris_{side}"] + gaze_shift(aus)
    return out


# --- shading -------------------------------------------------------------------------------

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
    sides = [(s, sgn) for s, sgn in (("l", -1.0), ("r", 1.0)) if not side or f"_{s}" == _IMAGE_SUFFIX[side]]
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
