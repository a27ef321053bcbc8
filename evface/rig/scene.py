"""What each camera of the rig sees at one instant: the face in lux on the camera's pixel grid.

The face is rendered for each camera at its own resolution from one timeline and one canvas
layout (:mod:`evface.rig.geometry`), so all cameras see the same face through one beam splitter:
the ``hd`` sensor's ROI window only, at hd resolution (:meth:`FaceRenderer.render` with
``window``; in colour for the RGB cameras framed like it, :meth:`Scene.rgb_hd`); the whole canvas at :data:`SUPERSAMPLE` times the ``lr`` (and ``rgb``) canvas size,
area-averaged to it (pixel integration). Event-sensor views are converted to luminance
(:data:`LUMA`); every view is multiplied by the lighting's illuminance in lux. The world beyond
the rendered canvas is static: the neutral canvas's edges, replicated once (so a moving canvas
edge never drags the surroundings along).

Examples
--------
>>> from evface.face.identity import procedural_identity
>>> from evface.rig.geometry import RigParams, renderer_face_fraction, rig_geometry
>>> from evface.rig.timeline import Expression, Timeline
>>> params = RigParams(lr_face_px=32.0, rgb_size=(160, 120))
>>> scene = Scene(procedural_identity(0), rig_geometry(renderer_face_fraction(), params), params)
>>> timeline = Timeline(400_000, Expression((4,), 50_000, 150_000, 150_000, 300_000, 0.6))
>>> hd, lr = scene.views(timeline, 150_000, lux=1000.0)  # the hd ROI, the whole lr array
>>> hd.shape, lr.shape, scene.rgb(timeline, 150_000, lux=1000.0).shape
((163, 142), (260, 346), (120, 160, 3))
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from evface.checks import as_real
from evface.errors import ParameterError

from evface.face.canvas import check_memory
from evface.face.head_pose import FacePose
from evface.face.identity import Identity
from evface.face.render import FaceRenderer
from evface.rig.geometry import RigGeometry, RigParams
from evface.rig.timeline import Timeline
from evface.rig.timeline_query import au_intensities, head_pose
from evface.sim.sensors import SENSORS

SUPERSAMPLE = 2
"""The lr and RGB views are rendered at this many times their canvas size and area-averaged
(pixel integration); the hd view is rendered at its own resolution."""
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
"""Rec. 709 luminance weights: what a monochrome event pixel integrates from the RGB render."""


def backdrop(canvas: np.ndarray, offset: tuple[int, int], full: tuple[int, int]) -> np.ndarray:
    """A ``full`` (width, height) image with ``canvas`` at ``offset`` and its edges replicated
    beyond: the static scene around the rendered canvas.

    Parameters
    ----------
    canvas : ndarray, shape (h, w) or (h, w, 3)
        The rendered canvas.
    offset : tuple of int
        Where the canvas's top-left pixel lands, ``(x, y)``.
    full : tuple of int
        The view's size, ``(width, height)``.

    Returns
    -------
    ndarray, shape (height, width) or (height, width, 3)
        Of ``canvas``' dtype.

    Examples
    --------
    A 2x2 canvas at (1, 0) of a 4x3 view, its edges replicated:

    >>> backdrop(np.arange(4, dtype=np.float32).reshape(2, 2), (1, 0), (4, 3)).tolist()
    [[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]]
    """
    h, w = canvas.shape[:2]
    left, top = offset
    return cv2.copyMakeBorder(canvas, top, full[1] - h - top, left, full[0] - w - left, cv2.BORDER_REPLICATE)


def lit(backdrop: np.ndarray, canvas: np.ndarray, offset: tuple[int, int], lux: float) -> np.ndarray:
    """``backdrop`` with ``canvas`` written at ``offset``, times ``lux`` (a new float32 array).

    Parameters
    ----------
    backdrop : ndarray of float32, shape (H, W) or (H, W, 3)
        The static scene (:func:`backdrop`); left unchanged.
    canvas : ndarray, shape (h, w) or (h, w, 3)
        The rendered canvas at this instant.
    offset : tuple of int
        Where the canvas's top-left pixel lands, ``(x, y)``.
    lux : float
        The illuminance the scene is multiplied by.

    Returns
    -------
    ndarray of float32
        Of ``backdrop``'s shape.

    Examples
    --------
    >>> around = backdrop(np.arange(4, dtype=np.float32).reshape(2, 2), (1, 0), (4, 3))
    >>> lit(around, np.full((2, 2), 9, np.float32), (1, 0), 2.0).tolist()  # the new canvas, all times 2 lux
    [[0.0, 18.0, 18.0, 2.0], [4.0, 18.0, 18.0, 6.0], [4.0, 4.0, 6.0, 6.0]]
    """
    lux32 = np.float32(lux)
    out = backdrop * lux32
    h, w = canvas.shape[:2]
    np.multiply(canvas, lux32, out=out[offset[1] : offset[1] + h, offset[0] : offset[0] + w])
    return out


def _lux(lux: object) -> float:
    """``lux`` as a finite number > 0 (was: nan, inf or a negative lux lit the scene with it)."""
    return as_real("lux", lux, 0.0, math.inf, low_open=True)


def face_state(timeline: Timeline, t_us: int) -> tuple[dict[int | str, float], FacePose]:
    """AU intensities (gaze included) and head pose of ``timeline`` at ``t_us``.

    Parameters
    ----------
    timeline : Timeline
        The clip's timeline.
    t_us : int
        µs from the clip's start.

    Returns
    -------
    aus : dict of {int or str: float}
        Intensity by AU key (:func:`~evface.rig.timeline_query.au_intensities`).
    pose : FacePose
        The head's rigid pose (:func:`~evface.rig.timeline_query.head_pose`).

    Examples
    --------
    >>> from evface.rig.timeline import Expression
    >>> aus, pose = face_state(Timeline(400_000, Expression((12,), 50_000, 150_000, 150_000, 300_000, 0.6)), 150_000)
    >>> aus, pose.is_identity()
    ({12: 0.6}, True)
    """
    dx, dy, roll, scale, yaw, pitch = head_pose(timeline, t_us)
    return au_intensities(timeline, t_us), FacePose(dx, dy, roll, scale, yaw, pitch)


class Scene:
    """One identity's face laid out on the rig's cameras: a renderer per camera and the static
    backdrops around the lr and RGB canvases.

    Renderers keep scratch buffers (:class:`FaceRenderer`): use one scene per thread.

    Parameters
    ----------
    identity : Identity
        The face to render.
    geometry : RigGeometry
        Where the face lands on each camera (:func:`~evface.rig.geometry.rig_geometry`).
    params : RigParams
        The rig whose lr sensor and RGB size the backdrops take.

    Raises
    ------
    ParameterError
        When a renderer would take more than half of this machine's memory
        (:func:`evface.face.canvas.check_memory`), naming the rig parameter to lower; or when
        ``identity``, ``geometry`` or ``params`` is not an :class:`Identity`, :class:`RigGeometry`
        or :class:`RigParams`, naming it.

    Examples
    --------
    A small rig: a face 16 lr pixels wide, a 128x96 RGB camera:

    >>> from evface.face.identity import procedural_identity
    >>> from evface.rig.geometry import renderer_face_fraction, rig_geometry
    >>> from evface.rig.timeline import Expression
    >>> params = RigParams(lr_face_px=16.0, rgb_size=(128, 96))
    >>> scene = Scene(procedural_identity(0), rig_geometry(renderer_face_fraction(), params), params)
    >>> timeline = Timeline(400_000, Expression((12,), 50_000, 150_000, 150_000, 300_000, 0.6))
    >>> hd, lr = scene.views(timeline, 150_000, lux=100.0)
    >>> hd.shape, lr.shape, scene.rgb(timeline, 150_000, 100.0).shape, scene.rgb_hd(timeline, 150_000, 100.0).shape
    ((83, 72), (260, 346), (96, 128, 3), (83, 72, 3))
    >>> scene.views(timeline, 0, lux=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: lux must be a finite number > 0, got 0
    """

    def __init__(self, identity: Identity, geometry: RigGeometry, params: RigParams):
        for name, value, kind in (("identity", identity, Identity), ("geometry", geometry, RigGeometry),
                                  ("params", params, RigParams)):
            if not isinstance(value, kind):  # was an AttributeError, once the faces were drawn
                raise ParameterError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
        g = self.geometry = geometry
        # was: a MemoryError, or the process killed, part way through drawing the faces
        for size, advice in ((g.canvas_hd, "lower RigParams.lr_face_px"),
                             ((SUPERSAMPLE * g.canvas_rgb[0], SUPERSAMPLE * g.canvas_rgb[1]), "lower RigParams.rgb_size")):
            check_memory(size, advice)
        self.hd_renderer = FaceRenderer(identity, size=g.canvas_hd)  # only the ROI window is rendered
        self.lr_renderer = FaceRenderer(identity, size=(g.canvas_lr[0] * SUPERSAMPLE, g.canvas_lr[1] * SUPERSAMPLE))
        self.rgb_renderer = FaceRenderer(identity, size=(g.canvas_rgb[0] * SUPERSAMPLE, g.canvas_rgb[1] * SUPERSAMPLE))
        self._lr_backdrop = backdrop(self._lr_canvas(self.lr_renderer.render({})), g.lr_offset,
                                     SENSORS[params.lr_preset].size)
        self._rgb_backdrop = backdrop(self._rgb_canvas(self.rgb_renderer.render({})), g.rgb_offset, params.rgb_size)

    def _lr_canvas(self, reflectance: np.ndarray) -> np.ndarray:
        return cv2.resize(reflectance @ LUMA, self.geometry.canvas_lr, interpolation=cv2.INTER_AREA)

    def _rgb_canvas(self, reflectance: np.ndarray) -> np.ndarray:
        return cv2.resize(reflectance, self.geometry.canvas_rgb, interpolation=cv2.INTER_AREA)

    def views(self, timeline: Timeline, t_us: int, lux: float) -> tuple[np.ndarray, np.ndarray]:
        """Scene luminance in lux at ``t_us`` on the hd ROI and on the whole lr array
        (float32 (H, W) each), lit by ``lux`` (a finite number > 0, as :meth:`rgb` and
        :meth:`rgb_hd` take it; a ParameterError otherwise).

        Parameters
        ----------
        timeline : Timeline
            The clip's timeline.
        t_us : int
            µs from the clip's start.
        lux : float
            The illuminance on the face.

        Returns
        -------
        hd : ndarray of float32, shape (H, W)
            The hd ROI window.
        lr : ndarray of float32, shape (H, W)
            The whole lr array.
        """
        g = self.geometry
        lux = _lux(lux)
        aus, pose = face_state(timeline, t_us)
        hd = self.hd_renderer.render(aus, pose, window=g.roi_in_canvas) @ LUMA
        hd *= np.float32(lux)
        lr = lit(self._lr_backdrop, self._lr_canvas(self.lr_renderer.render(aus, pose)), g.lr_offset, lux)
        return hd, lr

    def rgb(self, timeline: Timeline, t_us: int, lux: float) -> np.ndarray:
        """Colour scene in lux on the RGB sensor at ``t_us`` (float32 (H, W, 3)).

        Parameters
        ----------
        timeline : Timeline
            The clip's timeline.
        t_us : int
            µs from the clip's start.
        lux : float
            The illuminance on the face, a finite number > 0.

        Returns
        -------
        ndarray of float32, shape (H, W, 3)
            The whole RGB frame (:attr:`RigParams.rgb_size <evface.rig.geometry.RigParams.rgb_size>`).
        """
        lux = _lux(lux)
        aus, pose = face_state(timeline, t_us)
        canvas = self._rgb_canvas(self.rgb_renderer.render(aus, pose))
        return lit(self._rgb_backdrop, canvas, self.geometry.rgb_offset, lux)

    def rgb_hd(self, timeline: Timeline, t_us: int, lux: float) -> np.ndarray:
        """Colour scene in lux on an RGB sensor framed like the hd ROI, at hd's pixel size
        (float32 (H, W, 3), the hd view before its conversion to luminance).

        Parameters
        ----------
        timeline : Timeline
            The clip's timeline.
        t_us : int
            µs from the clip's start.
        lux : float
            The illuminance on the face, a finite number > 0.

        Returns
        -------
        ndarray of float32, shape (H, W, 3)
            The hd ROI window.
        """
        lux = _lux(lux)
        aus, pose = face_state(timeline, t_us)
        return self.hd_renderer.render(aus, pose, window=self.geometry.roi_in_canvas) * np.float32(lux)
