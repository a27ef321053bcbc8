"""FACS action units: what each one is, the keys that name them and the class sets built of them.

Coordinates are *face-normalised*: ``u`` to the image right, ``v`` down, unit = one face width,
origin at the face centre (see :mod:`evface.face.identity`). Landmark groups ending in ``_l`` are
on the image left (the subject's right).

An AU key is its number (bilateral) or a FACS side prefix and the number, ``"L14"`` / ``"R14"``
(the subject's left / right: the image right / left), for the AUs of :data:`UNILATERAL_AUS`.

Intensity 1.0 is a strong micro-expression apex (see docs/au-model.md for the amplitudes and
their sources); AU43/45 at 1.0 is a fully closed eye.

How an AU moves and shades the face is the model of three modules: the smooth displacement
field composed across the lip seam (:mod:`evface.face.au_motion`), the lids and the eyeballs
(:mod:`evface.face.au_eyes`) and the wrinkles, furrows and bulges (:mod:`evface.face.au_shading`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evface.checks import as_real, whole_number
from evface.errors import ParameterError, choose_from

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

    Parameters
    ----------
    landmarks : mapping of str to ndarray
        Landmark groups in face-normalised coordinates, as
        :func:`~evface.face.identity.landmarks_from_geometry` gives them.
    name : str
        A key of :data:`POINTS`, e.g. ``"mouth_corner_l"``.

    Returns
    -------
    ndarray of float64, shape (2,)
        The point's ``(u, v)``.

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

    Parameters
    ----------
    number : int
        The FACS number, e.g. 12.
    name : str
        The FACS name, e.g. ``"lip corner puller"``.
    region : str
        The part of the face that moves, e.g. ``"mouth"``.
    motion : str
        What moves, in words.
    landmark : str
        The reference point, a key of :data:`POINTS`.
    direction : tuple of float
        Unit vector ``(du, dv)`` of the reference point's motion in the face frame.
    apex_fw : float
        The reference point's displacement at intensity 1.0, face widths.
    apex_range_fw : tuple of float
        ``(low, high)``: the range of that displacement.

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
OPPOSITE_GAZE = ((61, 62), (63, 64))
"""Gaze AUs of opposite directions (left and right, up and down): one AU mapping holds one of each pair."""
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

    Parameters
    ----------
    key : int or str
        An AU key: ``12``, ``"12"``, ``"AU12"``, ``"L14"`` (case and an ``AU`` prefix ignored).

    Returns
    -------
    number : int
        The AU's number, a key of :data:`AU_TABLE`.
    side : str
        ``""``, ``"L"`` or ``"R"``.

    Raises
    ------
    ParameterError
        For a key that is not a number, an unknown AU, or a side on an AU not in :data:`UNILATERAL_AUS`.

    Examples
    --------
    >>> parse_au(14), parse_au("R14"), parse_au("AU12")
    ((14, ''), (14, 'R'), (12, ''))
    """
    text = str(key).strip().upper().removeprefix("AU")
    side = text[:1] if text[:1] in ("L", "R") else ""
    au = whole_number(text[len(side):])  # was int(): 'L١٤' read as L14
    if au is None:
        raise ParameterError(f"aus: cannot read action unit {key!r}; expected e.g. 12 or 'L14'")
    if au not in AU_TABLE:
        raise ParameterError(f"aus: unknown action unit {key!r}; {choose_from(sorted(AU_TABLE))}")
    if side and au not in UNILATERAL_AUS:
        raise ParameterError(f"aus: AU{au} has no one-sided variant {key!r}; those are AU{', AU'.join(map(str, UNILATERAL_AUS))}")
    return au, side


def au_key(au: int, side: str = "") -> int | str:
    """The AU key of ``au`` on ``side`` (``""``, ``"L"``, ``"R"``): an int, or e.g. ``"L14"``.

    Parameters
    ----------
    au : int
        The AU's number.
    side : str, optional
        ``""`` (both sides, the default), ``"L"`` or ``"R"``.

    Returns
    -------
    int or str
        ``au`` itself without a side, else the side and the number, e.g. ``"L14"``.

    Examples
    --------
    >>> au_key(12), au_key(14, "L"), au_key(*parse_au("r14"))
    (12, 'L14', 'R14')
    """
    return int(au) if not side else f"{side}{int(au)}"


IMAGE_SIDE_SUFFIX = {"L": "_r", "R": "_l"}
"""The suffix of the landmark names on the subject's side ``L`` or ``R`` of a one-sided AU: the
subject's left is on the image right."""


def check_aus(aus: Mapping[int | str, float]) -> dict[int | str, float]:
    """Validate an AU key -> intensity mapping; return it with zero intensities dropped (keys as
    :func:`au_key` writes them).

    Parameters
    ----------
    aus : mapping of int or str to float
        AU key (see :func:`parse_au`) to intensity in [0, 1].

    Returns
    -------
    dict of int or str to float
        The AUs with an intensity above 0, keyed as :func:`au_key` writes them.

    Raises
    ------
    ParameterError
        For something other than a mapping, an unknown AU or side, an AU given twice under two
        spellings (``12`` and ``"AU12"``), an intensity outside [0, 1], or gaze AUs of opposite
        directions at once (:data:`OPPOSITE_GAZE`: 61 and 62, or 63 and 64, both above 0).

    Examples
    --------
    >>> check_aus({"AU12": 0.5, "l14": 0.25, 4: 0.0})
    {12: 0.5, 'L14': 0.25}
    >>> check_aus({12: 0.5, "AU12": 0.9})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: aus: 'AU12' and 12 both name AU 12; give each AU once
    >>> check_aus({61: 1.0, "AU62": 0.5})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: aus: 61 (eyes turn left) and 'AU62' (eyes turn right) turn the eyes opposite ways, which FACS scores as one or the other; give one of the two
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
    for a, b in OPPOSITE_GAZE:  # was: both drawn, their iris motions summed (61 and 62 at 1: eyes straight ahead)
        if a in out and b in out:
            raise ParameterError(f"aus: {named[a]!r} ({AU_TABLE[a].name}) and {named[b]!r} ({AU_TABLE[b].name}) turn "
                                 "the eyes opposite ways, which FACS scores as one or the other; give one of the two")
    return out
