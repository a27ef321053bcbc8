"""Where the skin moves under FACS action units: smooth displacement fields across a hard lip seam.

Each AU is a sum of anisotropic Gaussian displacement kernels anchored at landmarks
(:data:`AU_KERNELS`, linear in the intensity 0..1, masked below the jaw line). Kernels gated to
the lower or upper lip are composed across a hard lip seam (:func:`combine_lips`) so the mouth
opens into a dark gap. Coordinates and AU keys are those of :mod:`evface.face.aus`; the lids and
the eyeballs move by :mod:`evface.face.au_eyes`.

The displacement ``D(p)`` is the *forward* motion of the skin: a feature at ``s`` appears at
``p = s + D(p)``; the renderer samples the neutral texture at ``p - D(p)`` (backward warp), and
:func:`forward_points` solves the same equation for landmarks, so both move consistently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evface.face.au_eyes import gaze_shift, lid_forward
from evface.face.aus import AU_TABLE, IMAGE_SIDE_SUFFIX, Landmarks, check_aus, parse_au, point


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

SEAM_WIDTH_FW = 0.02  # width of the smooth lip-seam gate used beyond the mouth corners


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


def _kernel_sum(au: int, points: np.ndarray, landmarks: Landmarks, side: str = ""):
    free = np.zeros_like(points)
    lips = {"below": np.zeros(len(points)), "above": np.zeros(len(points))}
    mask = jaw_mask(points, landmarks)
    for k in AU_KERNELS.get(au, ()):
        names = [k.anchor]
        mirrored = _mirror_name(k.anchor) if k.mirror else None
        if mirrored:
            names.append(mirrored)
        if side:
            names = [n for n in names if n.endswith(IMAGE_SIDE_SUFFIX[side])]
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


def displacement(aus: Mapping[int | str, float], points: np.ndarray, landmarks: Landmarks) -> np.ndarray:
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


def forward_points(
    aus: Mapping[int | str, float], points: np.ndarray, landmarks: Landmarks, iterations: int = 4
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
