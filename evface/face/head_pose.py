"""The head's small rigid pose (:class:`FacePose`) and the image motion of a turn in depth.

A pose moves the face in the image plane (shift, roll, zoom) and turns the head in depth (yaw,
pitch) about a centre behind the face, seen in perspective (:func:`rotation_flow`) on the depth of
the head's surface (:func:`head_depth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evface.checks import as_real, is_number
from evface.errors import ParameterError
from evface.face.identity import Identity
from evface.face.procedural import height_field

MAX_DEPTH_TURN_DEG = 10.0  # the largest yaw or pitch the warp draws: linear in the angles, no self-occlusion
MAX_SHIFT_FW = 10.0  # the largest dx, dy in face widths: farther the face has left any canvas
MAX_SCALE = 10.0  # the largest zoom


@dataclass(frozen=True)
class FacePose:
    """Small rigid head motion.

    ``dx``, ``dy``: translation in face widths (right, down); ``roll_deg``: rotation about the face
    centre, positive = counter-clockwise on screen; ``scale``: zoom about the face centre;
    ``yaw_deg`` (positive: the nose turns to the image right) and ``pitch_deg`` (positive: the
    nose turns up): rotation in depth about the head's centre, seen in perspective
    (:func:`rotation_flow`).

    Parameters
    ----------
    dx, dy : float, optional
        Translation in face widths, right and down; within +-10.
    roll_deg : float, optional
        Rotation about the face centre in degrees, counter-clockwise on screen; within +-360.
    scale : float, optional
        Zoom about the face centre; above 0, at most 10.
    yaw_deg : float, optional
        Turn in depth in degrees, positive: the nose to the image right; within +-10.
    pitch_deg : float, optional
        Turn in depth in degrees, positive: the nose up; within +-10.

    Raises
    ------
    ParameterError
        Naming the field, for a value outside its range or not a real number.

    Examples
    --------
    >>> pose = FacePose(dx=0.1, roll_deg=90)
    >>> pose.is_identity(), pose.in_plane(), FacePose(yaw_deg=5).in_plane()
    (False, True, False)
    >>> pose.matrix((50, 50), 100).round(3).tolist()  # a quarter turn about (50, 50), then 10 px right
    [[0.0, 1.0, 10.0], [-1.0, 0.0, 100.0]]
    >>> FacePose(yaw_deg=30)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: FacePose.yaw_deg: the renderer turns the head in depth by at most 10 degrees (a warp without self-occlusion), got 30
    """

    dx: float = 0.0
    dy: float = 0.0
    roll_deg: float = 0.0
    scale: float = 1.0
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0

    def __post_init__(self) -> None:
        for name, limit in (("dx", MAX_SHIFT_FW), ("dy", MAX_SHIFT_FW), ("roll_deg", 360.0)):
            as_real(f"FacePose.{name}", getattr(self, name), -limit, limit)
        as_real("FacePose.scale", self.scale, 0.0, MAX_SCALE, low_open=True)
        for name in ("yaw_deg", "pitch_deg"):
            value = getattr(self, name)
            value = value.item() if isinstance(value, np.generic) else value
            if not is_number(value) or not abs(value) <= MAX_DEPTH_TURN_DEG:
                raise ParameterError(f"FacePose.{name}: the renderer turns the head in depth by at most "
                                     f"{MAX_DEPTH_TURN_DEG:g} degrees (a warp without self-occlusion), got {value!r}")

    def is_identity(self) -> bool:
        """True when the pose moves nothing: no shift, roll, zoom or turn in depth.

        Returns
        -------
        bool
            Whether every field has its default value.
        """
        return (self.dx == 0.0 and self.dy == 0.0 and self.roll_deg == 0.0 and self.scale == 1.0
                and self.yaw_deg == 0.0 and self.pitch_deg == 0.0)

    def in_plane(self) -> bool:
        """True when the pose has no rotation in depth.

        Returns
        -------
        bool
            Whether ``yaw_deg`` and ``pitch_deg`` are both 0.
        """
        return self.yaw_deg == 0.0 and self.pitch_deg == 0.0

    def matrix(self, centre_px: tuple[float, float], face_width_px: float) -> np.ndarray:
        """Forward 2x3 affine map of canvas pixels (neutral pose -> this pose).

        The in-plane part only (shift, roll, zoom); the turn in depth is :func:`rotation_flow`.

        Parameters
        ----------
        centre_px : tuple of float
            ``(x, y)`` of the face centre on the canvas, pixels.
        face_width_px : float
            One face width in pixels (the unit of ``dx``, ``dy``).

        Returns
        -------
        ndarray of float64, shape (2, 3)
            ``[R | t]``: a canvas point ``p`` of the neutral face moves to ``R @ p + t``.
        """
        a = np.deg2rad(self.roll_deg)
        c, s = np.cos(a) * self.scale, np.sin(a) * self.scale
        R = np.array([[c, s], [-s, c]])
        ctr = np.asarray(centre_px, float)
        t = ctr - R @ ctr + np.array([self.dx, self.dy]) * face_width_px
        return np.hstack([R, t[:, None]])


HEAD_AXIS_FW = 0.68
"""Depth of the head's rotation centre behind the face's front (face widths): half a head depth
of 19 cm over a 14 cm face width (docs/au-model.md, "Head pose")."""
CAMERA_DISTANCE_FW = 7.0
"""Camera to the head's rotation centre (face widths): about 1 m for a 14 cm face."""


def head_depth(u: np.ndarray, v: np.ndarray, identity: Identity) -> tuple[np.ndarray, np.ndarray]:
    """Depth of the head surface in front of its rotation centre (face widths) and how much each
    point moves with the head: 1 on it, 0 on the backdrop far from it (which stays still).

    An ellipsoid of the head (half width 0.56, from the crown to the chin), plus a procedural
    identity's own relief. The weight is 1 on the head and falls smoothly to 0 over 0.6 face
    widths beyond its outline: the backdrop near the head follows it a little (as it does for
    the in-plane pose, which moves the whole view), so no edge of the head is dragged or left
    behind, and the backdrop far from the head stays still.

    Parameters
    ----------
    u, v : ndarray
        Face-normalised coordinates of the points (one face width = 1, origin at the face centre).
    identity : Identity
        The face; a procedural one adds its own relief.

    Returns
    -------
    depth : ndarray of float32
        Depth in front of the rotation centre, face widths, times ``weight``; shape of ``u``.
    weight : ndarray of float32
        1 on the head, falling to 0 beyond its outline.

    Examples
    --------
    The face centre and the nose bridge lie on the head; a point three face widths to the side does not:

    >>> from evface.face.identity import procedural_identity
    >>> depth, weight = head_depth(np.array([0.0, 0.0, 3.0]), np.array([0.0, -0.05, 0.0]), procedural_identity(0))
    >>> depth.astype(float).round(3).tolist(), weight.tolist()
    ([0.714, 0.703, 0.0], [1.0, 1.0, 0.0])
    """
    c0 = -0.05
    r = np.sqrt((u / 0.56) ** 2 + ((v - c0) / np.where(v > c0, 0.75, 0.95)) ** 2)
    dome = np.sqrt(np.clip(1.0 - r * r, 0.0, None))
    z = HEAD_AXIS_FW * (0.55 + 0.45 * dome)
    if identity.kind == "procedural":
        z = z + height_field(u, v, identity.params, identity.landmarks) - 0.35 * dome
    weight = np.clip((1.6 - r) / 0.6, 0.0, 1.0)
    return (z * weight).astype(np.float32), weight.astype(np.float32)


def rotation_flow(u: np.ndarray, v: np.ndarray, depth: np.ndarray, weight: np.ndarray,
                  yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Image motion ``(..., 2)`` (face widths) of head points seen at ``(u, v)`` with ``depth``
    in front of the rotation centre, when the head turns by ``yaw_deg`` and ``pitch_deg``,
    in perspective from :data:`CAMERA_DISTANCE_FW`; ``weight`` (0 off the head) scales it.

    Parameters
    ----------
    u, v : ndarray
        Face-normalised image coordinates of the points.
    depth : ndarray
        Their depth in front of the rotation centre, face widths (:func:`head_depth`).
    weight : ndarray
        Scale of the motion, 1 on the head and 0 off it (:func:`head_depth`).
    yaw_deg : float
        Turn in depth in degrees, positive: the nose to the image right.
    pitch_deg : float
        Turn in depth in degrees, positive: the nose up.

    Returns
    -------
    ndarray, shape (..., 2)
        ``(du, dv)`` of each point, face widths.

    Examples
    --------
    >>> z, w = np.array([0.7]), np.array([1.0])
    >>> rotation_flow(np.array([0.0]), np.array([0.0]), z, w, 2.0, 0.0).round(4).tolist()  # nose moves right
    [[0.0271, 0.0]]
    """
    d = CAMERA_DISTANCE_FW
    k = (d - depth) / d  # image -> world at the point's depth
    X, Y, Z = u * k, v * k, depth
    a, b = np.deg2rad(yaw_deg), np.deg2rad(pitch_deg)
    X1 = X * np.cos(a) + Z * np.sin(a)
    Z1 = -X * np.sin(a) + Z * np.cos(a)
    Y2 = Y * np.cos(b) - Z1 * np.sin(b)
    Z2 = Y * np.sin(b) + Z1 * np.cos(b)
    q = d / (d - Z2)
    return np.stack([(X1 * q - u) * weight, (Y2 * q - v) * weight], axis=-1)
