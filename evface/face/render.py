"""Render an identity with action units and a small rigid head pose.

The neutral texture (shaded reflectance over its backdrop, with a margin), the
per-AU displacement basis fields and the per-AU shading patterns are all computed once, at
construction. A frame is then a weighted sum of basis fields, the lid model in two small eye
windows, one ``cv2.remap`` of the texture (plus one of the displacement field when the pose is not
the identity).

Where the face sits on the canvas is :mod:`evface.face.canvas`; the head's pose and its motion in
depth are :mod:`evface.face.head_pose`; a photo identity's texture is :mod:`evface.face.photo_texture`,
the boxes of the basis fields and shading patterns :mod:`evface.face.field_support`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from evface.checks import as_int, sensor_dims
from evface.errors import ParameterError
from evface.face import au_eyes, au_motion, au_shading
from evface.face import aus as au_model
from evface.face.aus import Landmarks
from evface.face.canvas import MARGIN_FW, canvas_geometry, check_memory, face_box
from evface.face.field_support import bbox, on_support, union
from evface.face.head_pose import FacePose, head_depth, rotation_flow
from evface.face.identity import Identity
from evface.face.photo_texture import photo_texture
from evface.face.procedural import draw_procedural

TEETH_RGB = np.array([0.62, 0.58, 0.5], np.float32)
"""Reflectance of the front teeth (enamel is slightly yellow; shaded in the mouth)."""
TOOTH_FW = 0.022
"""Height of the upper incisors' visible crowns below the upper lip (3 mm of a 14 cm face)."""
TOOTH_EDGES_FW = (0.0, 0.061, 0.108, 0.153)
"""Tooth boundaries from the midline: central incisors 8.5 mm, laterals 6.5 mm, canines 6.5 mm wide."""


class FaceRenderer:
    """Renders one identity at one canvas size.

    Parameters
    ----------
    identity : Identity
        The face to draw.
    size : tuple of int, optional
        ``(width, height)`` of the canvas in pixels, at least 16x16.

    Raises
    ------
    ParameterError
        For a size below 16x16 or one whose buffers would take more than half of this
        machine's memory (:func:`~evface.face.canvas.check_memory`), or an ``identity`` that is not an
        :class:`~evface.face.identity.Identity`.

    Notes
    -----
    A renderer keeps per-frame scratch buffers: use one instance per thread.

    Examples
    --------
    >>> from evface.face.identity import procedural_identity
    >>> r = FaceRenderer(procedural_identity(0), size=(96, 96))
    >>> img = r.render({12: 0.5}, FacePose(dx=0.01))
    >>> img.shape, img.dtype
    ((96, 96, 3), dtype('float32'))
    """

    def __init__(self, identity: Identity, size: tuple[int, int] = (320, 320)):
        layout = _layout(_checked_size(identity, size))
        self.identity = identity
        self.size, self.face_width_px, self.centre_px = layout.size, layout.face_width_px, layout.centre_px
        self._margin = layout.margin
        lm = identity.landmarks
        # The neutral texture (canvas plus margin, in face units) with its backdrop baked in: a pose
        # moves the view of head and backdrop together (the backdrop is smooth, so this changes no
        # edge but the head's own); the rigid overlay (glasses) in canvas pixels.
        self._tu, self._tv = _texture_grid(layout)
        tex, backdrop, overlay = _drawn_identity(identity, layout, self._tu, self._tv)
        self._tex = _on_backdrop(tex, backdrop)
        self._overlay = _overlay_on_canvas(overlay, layout.margin)
        self._work = self._tex.copy()
        self._dirty: list[tuple[slice, slice]] = []
        # The canvas grid in texture pixels, in canvas pixels and in face units; the displacement
        # scratch, non-zero only in _D_box.
        self._grid, self._xy, self._cu, self._cv = _canvas_grids(layout)
        self._D = np.zeros((layout.size[1], layout.size[0], 2), np.float32)
        self._D_box: tuple[slice, slice] | None = None
        # Displacement basis (canvas pixels) and shading patterns (texture pixels), each evaluated
        # only on its support, found on a coarse grid first; the mouth window where the lip seam
        # is composed lies around the lips' bases.
        self._basis: dict[int | str, tuple[tuple[slice, slice], np.ndarray] | None] = {}
        self._lips: dict[int | str, list[tuple[tuple[slice, slice], np.ndarray] | None]] = {}
        for au in au_motion.AU_KERNELS:
            self._add_basis(au)
        self._mouth = _mouth_window(self._lips, self._cu, self._cv, lm, layout.face_width_px)
        self._tooth_look = None if self._mouth is None else _tooth_look(self._mouth[3], lm)
        self._shading: dict[int | str, tuple[tuple[slice, slice], np.ndarray] | None] = {}
        for au in au_shading.SHADED_AUS:
            self._add_shading(au)
        # Rotation in depth: per-pixel depth and head weight on the canvas (face widths).
        self._depth, self._head = head_depth(self._cu, self._cv, identity)
        self._rot: tuple[np.ndarray, np.ndarray] | None = None
        self._anchors: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._eyes = _eye_windows(lm, self._cu, self._cv)

    def _add_basis(self, key: int | str) -> None:
        """Displacement basis (canvas pixels) of one AU key, evaluated only on its support."""
        au, side = au_model.parse_au(key)
        lm, fw = self.identity.landmarks, self.face_width_px
        self._basis[key] = None
        for part in range(3):
            fn = lambda pts, part=part: au_motion.au_components(au, pts, lm, side)[part] * fw  # noqa: E731
            found = on_support(fn, self._cu, self._cv, 0.01)
            if found is None:
                continue
            if part == 0:
                self._basis[key] = found
            else:
                self._lips.setdefault(key, [None, None])[part - 1] = found

    def _add_shading(self, key: int | str) -> None:
        au, side = au_model.parse_au(key)
        fn = lambda pts: au_shading.au_shading(au, pts, self.identity.landmarks, side)  # noqa: E731
        self._shading[key] = on_support(fn, self._tu, self._tv, 2e-3) if au in au_shading.SHADED_AUS else None

    def _prepare(self, aus: Mapping[int | str, float]) -> None:
        """Build the bases of one-sided AU keys on their first use (bilateral ones exist)."""
        for key in aus:
            if isinstance(key, str) and key not in self._basis:
                self._add_basis(key)
                self._add_shading(key)

    @property
    def face_box(self) -> tuple[int, int, int, int]:
        """Face box ``(x, y, w, h)`` in pixels at the neutral pose (about what a Haar cascade reports)."""
        return face_box(self.size)

    def displacement(self, aus: Mapping[int | str, float]) -> np.ndarray:
        """Backward displacement field ``(H, W, 2)`` in pixels at the neutral pose: pixel ``p``
        shows the neutral texture at ``p - D(p)``.

        Parameters
        ----------
        aus : mapping of int or str to float
            AU keys to intensities in [0, 1], as :meth:`render` takes them.

        Returns
        -------
        ndarray of float32, shape (H, W, 2)
            ``(dx, dy)`` of each canvas pixel; zero where no AU moves the face.

        Raises
        ------
        ParameterError
            For an unknown AU key or an intensity out of range.
        """
        w, h = self.size
        D = np.zeros((h, w, 2), np.float32)
        aus = au_model.check_aus(aus)
        self._prepare(aus)
        self._displacement_into(D, aus)
        return D

    def _displacement_into(self, D: np.ndarray, aus: Mapping[int | str, float]) -> list[tuple[slice, slice]]:
        """Add the displacement of ``aus`` into the zeroed ``D``; return the boxes written (and
        keep the lips' vertical motions for :meth:`_teeth`)."""
        boxes = []
        self._lip_parts: tuple[np.ndarray, np.ndarray] | None = None
        for au, wt in aus.items():
            basis = self._basis.get(au)
            if basis is not None:
                box, f = basis
                D[box] += np.float32(wt) * f
                boxes.append(box)
        if self._mouth is not None and any(au in self._lips for au in aus):
            mb, y, seam, blend, gate = self._mouth
            parts = [np.zeros(y.shape, np.float32), np.zeros(y.shape, np.float32)]
            for au, wt in aus.items():
                for acc, found in zip(parts, self._lips.get(au, (None, None)), strict=True):
                    if found is not None:
                        (rs, cs), vals = found
                        acc[rs.start - mb[0].start : rs.stop - mb[0].start, cs.start - mb[1].start : cs.stop - mb[1].start] += (
                            np.float32(wt) * vals
                        )
            D[mb][..., 1] += au_motion.lip_motion(y, parts[0], parts[1], seam, blend, gate)
            self._lip_parts = (parts[0], parts[1])
            boxes.append(mb)
        if au_eyes.lid_state(aus) != (0.0, 0.0) or au_eyes.gaze_shift(aus).any():
            for box, pts, geom in self._eyes:
                d = au_eyes.eye_displacement(aus, pts, self.identity.landmarks, geom) * self.face_width_px
                D[box] += d.reshape(D[box].shape).astype(np.float32)
                boxes.append(box)
        return boxes

    def _texture(self, aus: Mapping[int | str, float]) -> np.ndarray:
        for box in self._dirty:
            self._work[box] = self._tex[box]
        self._dirty = []
        for au, wt in aus.items():
            shading = self._shading.get(au)
            if shading is not None:
                box, s = shading
                self._work[box][..., :3] *= (1.0 + np.float32(wt) * s)[..., None]
                self._dirty.append(box)
        return self._work

    def render(self, aus: Mapping[int | str, float] | None = None, pose: FacePose = FacePose(),
               window: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Shaded reflectance ``float32 (H, W, 3)`` in [0, 1] of the face with ``aus`` at ``pose``.

        The frame's steps: the displacement field of ``aus``, where each output pixel samples the
        neutral texture (the field moved by the pose), the texture shaded by ``aus`` sampled there,
        then the rigid layers (teeth, glasses) laid over it.

        Parameters
        ----------
        aus : mapping, optional
            AU keys (numbers, or one-sided ``"L14"``) to intensities in [0, 1] (43/45: eye closure,
            61-64: gaze); None for none.
        pose : FacePose
            The head's pose.
        window : (x0, y0, w, h), optional
            Render only that part of the canvas (canvas pixels), bit-identical to
            ``render(aus, pose)[y0:y0+h, x0:x0+w]`` at about ``w * h / (W * H)`` of the cost.

        Returns
        -------
        numpy.ndarray
            ``float32 (H, W, 3)`` (``(h, w, 3)`` for a ``window``) in [0, 1].

        Raises
        ------
        ParameterError
            For an unknown AU key or an intensity out of range, a ``pose`` that is not a
            :class:`FacePose`, or a ``window`` that is not a non-empty part of the canvas.

        Examples
        --------
        >>> from evface.face.identity import procedural_identity
        >>> r = FaceRenderer(procedural_identity(0), size=(96, 96))
        >>> full, part = r.render({12: 1.0}), r.render({12: 1.0}, window=(20, 30, 40, 25))
        >>> part.shape, bool((part == full[30:55, 20:60]).all())
        ((25, 40, 3), True)
        """
        aus = au_model.check_aus({} if aus is None else aus)  # was: 0, [] or () drawn as no AUs
        _check_pose(pose)
        self._prepare(aus)
        window = self._window(window)
        self._displace(aus)
        if pose.is_identity() and not aus:
            return self._neutral(window)
        A = None if pose.is_identity() else pose.matrix(self.centre_px, self.face_width_px)
        maps = self._unposed_maps(window) if A is None else self._posed_maps(A, pose, window)
        out = cv2.remap(self._texture(aus), maps, None, cv2.INTER_LINEAR,  # type: ignore[call-overload]  # cv2's stubs omit map2=None
                        borderMode=cv2.BORDER_REPLICATE)
        return self._rigid_layers(out, A, pose, window[:2])

    def _displace(self, aus: Mapping[int | str, float]) -> None:
        """Set the displacement scratch :attr:`_D` to the field of ``aus`` (zeroing the box the last
        frame wrote) and :attr:`_D_box` to the box it is non-zero in."""
        if self._D_box is not None:
            self._D[self._D_box] = 0.0
        self._D_box = union(self._displacement_into(self._D, aus))

    def _neutral(self, window: tuple[int, int, int, int]) -> np.ndarray:
        """The neutral face at the neutral pose in ``window`` ``(x0, y0, w, h)``: the texture, with
        the rigid overlay."""
        wx, wy, ww, wh = window
        m = self._margin
        return self._lay(self._tex[m + wy : m + wy + wh, m + wx : m + wx + ww].copy(), self._overlay, None, (wx, wy))

    def _unposed_maps(self, window: tuple[int, int, int, int]) -> np.ndarray:
        """Where each pixel of ``window`` samples the texture at the neutral pose: its own place less
        the displacement."""
        win = _slices(window)
        return self._grid[win] - self._D[win]

    def _posed_maps(self, A: np.ndarray, pose: FacePose, window: tuple[int, int, int, int]) -> np.ndarray:
        """Where each pixel of ``window`` samples the texture at ``pose`` (its matrix ``A``).

        Output pixel p shows the neutral-pose canvas point q = A^-1 p (moved back by the
        rotation in depth), whose skin came from q - D(q).
        """
        win = _slices(window)
        Ai = cv2.invertAffineTransform(A)
        Ai[:, 2] += self._margin
        maps: np.ndarray = cv2.transform(self._xy[win], Ai)
        if not pose.in_plane():
            by, bp = self._rotation_basis()
            maps -= np.float32(pose.yaw_deg) * by[win] + np.float32(pose.pitch_deg) * bp[win]
        if self._D_box is not None:
            self._subtract_posed_displacement(maps, A, window, self._D_box)
        return maps

    def _subtract_posed_displacement(self, maps: np.ndarray, A: np.ndarray, window: tuple[int, int, int, int],
                                     box: tuple[slice, slice]) -> None:
        """Subtract from ``maps`` (of ``window``) the displacement moved by the pose ``A``: D is
        non-zero only around its ``box`` (:attr:`_D_box`), so it is resampled only there."""
        w, h = self.size
        wx, wy, ww, wh = window
        rs, cs = box
        corners = np.array([[cs.start, rs.start, 1], [cs.stop, rs.start, 1],
                            [cs.start, rs.stop, 1], [cs.stop, rs.stop, 1]], float) @ A.T
        # The warp's origin (x0, y0) must not depend on the window (warpAffine rounds
        # its coordinates relative to it); its far end may stop at the window's.
        x0, y0 = (max(int(np.floor(v)) - 2, 0) for v in corners.min(axis=0))
        x1 = min(int(np.ceil(corners[:, 0].max())) + 2, w, wx + ww)
        y1 = min(int(np.ceil(corners[:, 1].max())) + 2, h, wy + wh)
        ix0, iy0 = max(x0, wx), max(y0, wy)
        if x1 > ix0 and y1 > iy0:
            M = A.copy()
            M[:, 2] -= (x0, y0)
            dw = cv2.warpAffine(self._D, M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT)
            maps[iy0 - wy : y1 - wy, ix0 - wx : x1 - wx] -= dw[iy0 - y0 :, ix0 - x0 :]

    def _rigid_layers(self, out: np.ndarray, A: np.ndarray | None, pose: FacePose,
                      origin: tuple[int, int]) -> np.ndarray:
        """Lay the teeth (while the lips are parted) and the rigid overlay (glasses) over ``out``,
        the canvas window at ``origin``, each moved with the landmarks it hangs on."""
        teeth = self._teeth()
        if teeth is not None:
            out = self._lay(out, teeth, self._rigid(A, pose, ("mouth", 4)), origin)
        if self._overlay is None:
            return out
        return self._lay(out, self._overlay, self._rigid(A, pose, ("iris_l", 0), ("iris_r", 0)), origin)

    def _rigid(self, A: np.ndarray | None, pose: FacePose, *anchors: tuple[str, int]) -> np.ndarray | None:
        """The pose ``A`` for a rigid layer, plus the mean motion in depth (yaw, pitch) of the
        landmark ``anchors`` it hangs on."""
        if A is None or pose.in_plane():
            return A
        if anchors not in self._anchors:  # landmarks and depths are fixed: computed once
            lm = self.identity.landmarks
            pts = np.array([lm[group][i] for group, i in anchors], np.float64)
            self._anchors[anchors] = (pts, *head_depth(pts[:, 0], pts[:, 1], self.identity))
        pts, depth, head = self._anchors[anchors]
        A = A.copy()
        A[:, 2] += rotation_flow(pts[:, 0], pts[:, 1], depth, head, pose.yaw_deg, pose.pitch_deg).mean(axis=0) * self.face_width_px
        return A

    def _teeth(self) -> tuple[tuple[int, int], np.ndarray] | None:
        """The upper teeth in the gap of parted lips, as ``((x0, y0), premultiplied RGBA)`` over the
        mouth window, or None while the lips touch.

        The gap runs from the upper lip's new lower edge (seam + its motion) to the lower lip's;
        the incisors' edges show :data:`TOOTH_FW` below the upper lip, darker towards the
        mouth corners and between teeth (boundaries at :data:`TOOTH_EDGES_FW` from the midline).
        """
        if self._lip_parts is None or self._mouth is None or self._tooth_look is None:  # the last two are set whenever _lip_parts is
            return None
        below, above = self._lip_parts
        mb, y, seam, blend, _ = self._mouth
        top, bottom = seam + above, seam + below
        if float((bottom - top).max()) <= 0.25:
            return None
        fw = np.float32(self.face_width_px)
        gap = np.clip(y - top + 0.5, 0, 1) * np.clip(bottom - y + 0.5, 0, 1) * (blend > 0)
        crown = np.clip((top + TOOTH_FW * fw - y) / max(1.0, 0.004 * float(fw)) + 0.5, 0, 1)
        opacity, shade = self._tooth_look
        alpha = (gap * crown * opacity).astype(np.float32)
        rgba = np.empty(alpha.shape + (4,), np.float32)
        rgba[..., :3] = TEETH_RGB * (shade * alpha)[..., None]
        rgba[..., 3] = alpha
        return (mb[1].start, mb[0].start), rgba

    def _rotation_basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Image motion (canvas pixels) per degree of yaw and of pitch: :func:`rotation_flow`
        by central differences at +-1 degree (its second-order terms are below 0.1 % at 3
        degrees). Built on first use."""
        if self._rot is None:
            cu, cv, fw = self._cu, self._cv, np.float32(self.face_width_px)
            flows = [rotation_flow(cu, cv, self._depth, self._head, *a) for a in ((1, 0), (-1, 0), (0, 1), (0, -1))]
            self._rot = (((flows[0] - flows[1]) * (0.5 * fw)).astype(np.float32),
                         ((flows[2] - flows[3]) * (0.5 * fw)).astype(np.float32))
        return self._rot

    def _window(self, window: tuple[int, int, int, int] | None) -> tuple[int, int, int, int]:
        w, h = self.size
        if window is None:
            return 0, 0, w, h
        try:
            x0, y0, ww, wh = (as_int("window", v) for v in window)  # was: 1.5 taken as 1, True as 1
        except (TypeError, ValueError, ParameterError):
            raise ParameterError(f"window: expected (x0, y0, w, h) integers, got {window!r}") from None
        if ww < 1 or wh < 1 or x0 < 0 or y0 < 0 or x0 + ww > w or y0 + wh > h:
            raise ParameterError(f"window: {window!r} is not a non-empty part of the {w}x{h} canvas")
        return x0, y0, ww, wh

    def _lay(self, out: np.ndarray, overlay: tuple[tuple[int, int], np.ndarray] | None, A: np.ndarray | None,
             origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Lay a rigid ``overlay`` ``((x0, y0), premultiplied RGBA)`` in canvas pixels (glasses,
        teeth) over ``out``, the canvas window at ``origin``, moved by the pose ``A`` (None: identity)."""
        if overlay is None:
            return out
        (ox, oy), rgba = overlay
        oh, ow = rgba.shape[:2]
        w, h = self.size
        wx, wy = origin
        if A is None:
            M = np.array([[1.0, 0.0, ox], [0.0, 1.0, oy]])
        else:
            M = A.copy()
            M[:, 2] += A[:, :2] @ [ox, oy]
        corners = np.array([[0, 0, 1], [ow, 0, 1], [0, oh, 1], [ow, oh, 1]], float) @ M.T
        # as in render: the warp's origin is the canvas's, only its far end follows the window
        x0, y0 = (max(int(np.floor(c)) - 1, 0) for c in corners.min(axis=0))
        x1 = min(int(np.ceil(corners[:, 0].max())) + 1, w, wx + out.shape[1])
        y1 = min(int(np.ceil(corners[:, 1].max())) + 1, h, wy + out.shape[0])
        ix0, iy0 = max(x0, wx), max(y0, wy)
        if x1 <= ix0 or y1 <= iy0:
            return out
        M[:, 2] -= (x0, y0)
        o = cv2.warpAffine(rgba, M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        o = o[iy0 - y0 :, ix0 - x0 :]
        region = out[iy0 - wy : y1 - wy, ix0 - wx : x1 - wx]
        region *= 1.0 - o[..., 3:]
        region += o[..., :3]
        return out

    def landmarks(self, aus: Mapping[int | str, float] | None = None, pose: FacePose = FacePose()) -> dict[str, np.ndarray]:
        """Landmark groups ``(k, 2)`` in canvas pixels, displaced by ``aus`` and moved by ``pose``.

        Parameters
        ----------
        aus : mapping of int or str to float, optional
            AU keys to intensities in [0, 1], as :meth:`render` takes them; None for none.
        pose : FacePose, optional
            The head's pose; the neutral pose by default.

        Returns
        -------
        dict of str to ndarray
            Each landmark group (the keys of the identity's landmarks) as ``(k, 2)`` canvas
            pixels ``(x, y)``.

        Raises
        ------
        ParameterError
            For an unknown AU key or an intensity out of range, or a ``pose`` that is not a
            :class:`FacePose`.
        """
        _check_pose(pose)
        moved = au_motion.moved_landmarks({} if aus is None else aus, self.identity.landmarks)
        A = pose.matrix(self.centre_px, self.face_width_px)
        c = np.asarray(self.centre_px)
        out = {}
        for k, v in moved.items():
            if not pose.in_plane():
                depth, head = head_depth(v[:, 0], v[:, 1], self.identity)
                v = v + rotation_flow(v[:, 0], v[:, 1], depth, head, pose.yaw_deg, pose.pitch_deg)
            p = c + v * self.face_width_px
            out[k] = p @ A[:, :2].T + A[:, 2]
        return out


@dataclass(frozen=True)
class _Layout:
    """Where the face sits on a renderer's canvas: the canvas ``(width, height)``, the face's width
    and centre in pixels (:func:`~evface.face.canvas.canvas_geometry`) and the margin (pixels) of
    the texture around the canvas on every side."""

    size: tuple[int, int]
    face_width_px: float
    centre_px: tuple[float, float]
    margin: int


def _checked_size(identity: object, size: tuple[int, int]) -> tuple[int, int]:
    """The canvas ``(width, height)`` of a renderer of ``identity`` at ``size``, once ``size`` is at
    least 16x16 and within memory and ``identity`` an :class:`Identity` (else a ParameterError)."""
    w, h = sensor_dims(size, "size")
    if w < 16 or h < 16:
        raise ParameterError(f"size: expected at least 16x16 pixels, got {size}")
    if not isinstance(identity, Identity):  # was: an AttributeError about 'landmarks'
        raise ParameterError(f"identity: expected an Identity (procedural_identity, photo_identity), got {identity!r}")
    check_memory((w, h))  # was: a MemoryError or the process killed part way through drawing
    return w, h


def _layout(size: tuple[int, int]) -> _Layout:
    """The face's place on a canvas of ``size`` and the texture's margin around it."""
    fw, centre = canvas_geometry(size)
    return _Layout(size, fw, centre, int(np.ceil(MARGIN_FW * fw)))


def _texture_grid(layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """The texture's pixels (the canvas plus its margin) in face units ``(u, v)``, float32."""
    (w, h), m, fw = layout.size, layout.margin, layout.face_width_px
    cx, cy = layout.centre_px
    xs = (np.arange(w + 2 * m, dtype=np.float32) - m - cx) / fw
    ys = (np.arange(h + 2 * m, dtype=np.float32) - m - cy) / fw
    tu, tv = np.meshgrid(xs, ys)
    return tu, tv


def _drawn_identity(identity: Identity, layout: _Layout, tu: np.ndarray,
                    tv: np.ndarray) -> tuple[np.ndarray, np.ndarray | float, tuple | None]:
    """The identity's neutral face on the texture grid ``(tu, tv)``: RGBA, the backdrop behind it,
    and (procedural glasses) the overlay ``((rows, cols) in texture pixels, RGBA crop)`` or None."""
    (w, h), m, fw = layout.size, layout.margin, layout.face_width_px
    if identity.kind == "procedural":
        return draw_procedural(identity, tu, tv, 1.0 / fw)
    if identity.kind == "photo":
        return photo_texture(identity, (w + 2 * m, h + 2 * m), m, fw, layout.centre_px), 0.0, None
    raise ParameterError(f"identity.kind: expected 'procedural' or 'photo', got {identity.kind!r}")


def _on_backdrop(tex: np.ndarray, backdrop: np.ndarray | float) -> np.ndarray:
    """The RGBA texture ``tex`` over ``backdrop``: RGB in [0, 1], float32, contiguous."""
    rgb = tex[..., :3] + (1.0 - tex[..., 3:]) * backdrop
    return np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32)


def _overlay_on_canvas(overlay: tuple | None, margin: int) -> tuple[tuple[int, int], np.ndarray] | None:
    """A rigid overlay ``((rows, cols), RGBA crop)`` placed in the texture as ``((x0, y0), RGBA)`` in
    canvas pixels (float32, contiguous), or None for none."""
    if overlay is None:
        return None
    (rs, cs), rgba = overlay
    return (cs.start - margin, rs.start - margin), np.ascontiguousarray(rgba, dtype=np.float32)


def _canvas_grids(layout: _Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The canvas's pixels ``(H, W, 2)`` in texture pixel coordinates and in canvas pixel
    coordinates, and its ``u`` and ``v`` ``(H, W)`` in face units."""
    (w, h), m, fw = layout.size, layout.margin, layout.face_width_px
    cx, cy = layout.centre_px
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.stack([gx + m, gy + m], axis=-1), np.stack([gx, gy], axis=-1), (gx - cx) / fw, (gy - cy) / fw


def _mouth_window(lips: dict, cu: np.ndarray, cv: np.ndarray, lm: Landmarks,
                  fw: float) -> tuple | None:
    """The mouth window where the lip seam is composed (the box around the lips' basis fields
    ``lips``), with its fixed per-pixel geometry: ``(box, y, seam, blend, gate)`` (``y`` and the
    seam in canvas pixels; see :meth:`FaceRenderer._displacement_into`), or None without lip fields."""
    boxes = [b[0] for parts in lips.values() for b in parts if b is not None]
    if not boxes:
        return None
    mb = (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
          slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))
    mpts = np.stack([cu[mb].ravel(), cv[mb].ravel()], axis=1).astype(np.float64)
    shape = cu[mb].shape
    seam = au_motion.lip_seam_v(mpts[:, 0], lm).reshape(shape)
    return (
        mb,
        (cv[mb] * fw).astype(np.float32),
        (seam * fw).astype(np.float32),
        au_motion.lip_blend(mpts, lm).reshape(shape).astype(np.float32),
        au_motion.seam_gate(mpts, lm, "below").reshape(shape).astype(np.float32),
    )


def _tooth_look(blend: np.ndarray, lm: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """The teeth's fixed opacity profile and shading across the mouth window (see
    :meth:`FaceRenderer._teeth`), from the window's lip ``blend``: darker towards the mouth corners
    and between teeth (boundaries at :data:`TOOTH_EDGES_FW` from the midline)."""
    from_mid = np.sqrt(np.clip(1.0 - blend * blend, 0, 1)) * np.float32(0.5 * (lm["mouth"][1, 0] - lm["mouth"][0, 0]))
    edges = sum(np.exp(-0.5 * ((from_mid - e) / 0.003) ** 2) for e in TOOTH_EDGES_FW)
    return 0.3 + 0.7 * blend, (0.35 + 0.65 * blend**1.5) * (1.0 - 0.6 * np.clip(edges, 0, 1))


def _eye_windows(lm: Landmarks, cu: np.ndarray,
                 cv: np.ndarray) -> list[tuple[tuple[slice, slice], np.ndarray, dict]]:
    """The windows (canvas pixels) of the lid model, one around each eye with its lid zones:
    ``(box, points in face units, {side: eye geometry})`` for the eyes that span the window's
    columns (only they move its pixels)."""
    eyes = []
    for side in ("l", "r"):
        e = np.asarray(lm[f"eye_{side}"])
        u0, u1 = e[:, 0].min() - 0.01, e[:, 0].max() + 0.01
        v0 = e[:, 1].min() - au_eyes.UPPER_LID_ZONE_FW - 0.01
        v1 = e[:, 1].max() + au_eyes.LOWER_LID_ZONE_FW + 0.01
        box = bbox((cu >= u0) & (cu <= u1) & (cv >= v0) & (cv <= v1))
        if box is not None:
            pts = np.stack([cu[box].ravel(), cv[box].ravel()], axis=1).astype(np.float64)
            geom = {s: au_eyes.eye_geometry(lm, s, pts[:, 0]) for s in ("l", "r")}
            eyes.append((box, pts, {s: g for s, g in geom.items() if g[0].any()}))
    return eyes


def _slices(window: tuple[int, int, int, int]) -> tuple[slice, slice]:
    """The rows and columns of the canvas window ``(x0, y0, w, h)``."""
    wx, wy, ww, wh = window
    return slice(wy, wy + wh), slice(wx, wx + ww)


def _check_pose(pose: object) -> None:
    """A ParameterError unless ``pose`` is a :class:`FacePose` (was: an AttributeError)."""
    if not isinstance(pose, FacePose):
        raise ParameterError(f"pose: expected a FacePose, e.g. FacePose(yaw_deg=3.0), got {pose!r}")
