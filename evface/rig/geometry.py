"""Where the face lands on every camera of the rig.

Both event sensors sit behind the same lens (a beam splitter), so their fields of view scale with
pixel pitch (:data:`evface.sim.sensors.SENSORS`: DAVIS346 18.5 µm, IMX636 4.86 µm): one ``lr``
pixel spans :attr:`RigParams.hd_per_lr_pixel` = 3.81 ``hd`` pixels, and the optical axis hits
both arrays' centres. The ``hd`` sensor is read through a hardware ROI around the face; the ``rgb``
camera sees the ``lr`` field of view on its own pixel grid. The RGB cameras of
:attr:`RigParams.rgb_hd_presets` see the face at ``hd``'s pixel size: each records exactly the
``hd`` ROI window (a longer lens on the same kind of sensor, framed like the hd ROI), so that the
events-vs-RGB comparison is at matched resolution.

Examples
--------
A face 32 lr pixels wide needs a 66x66 lr canvas, 251x251 hd pixels, of which the hd sensor reads
a 142x163 window around the face:

>>> g = rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=32.0))
>>> g.canvas_lr, g.canvas_hd, g.roi
((66, 66), (251, 251), (568, 297, 142, 163))
>>> [round(v) for v in g.face_box("lr")]  # x, y, w, h on the 346x260 lr array
[157, 116, 32, 32]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evface.checks import as_box, as_real, number_fields, sensor_dims
from evface.errors import ParameterError, choose_from
from evface.face.canvas import face_box as render_face_box
from evface.rig.cameras import CameraSettings
from evface.sim.rgb import RGB_PRESETS
from evface.sim.sensors import SENSORS

CANVAS_ASPECT = 1.0
"""Height / width of the rendered face canvas."""
MIN_CANVAS_PX = 8
"""The narrowest lr or RGB canvas: the scene renders them at twice their size
(:data:`evface.rig.scene.SUPERSAMPLE`) and a face renderer needs 16 pixels."""
MAX_SCENE_RATE_HZ = 1e6
"""The fastest scene rate: one sample per µs, the resolution of the rig's timestamps."""


@dataclass(frozen=True)
class RigParams:
    """Camera geometry and sampling of the rig.

    Parameters
    ----------
    lr_face_px : float, optional
        Face width on the lr (DAVIS346) array, in pixels; the hd face is
        :attr:`hd_per_lr_pixel` times wider.
    hd_roi_margin : float, optional
        The hd ROI is the hd face box grown by this fraction of the face size on every side.
    hd_roi_chin : float, optional
        Further growth of the ROI below the face box (in face-box heights): the Haar-like face
        box ends at the lower lip, and the chin and jaw (AU17, AU26) must stay inside.
    scene_rate_hz : float, optional
        Rate at which the event sensors sample the rendered scene (they sub-step in between).
    truth_rate_hz : float, optional
        Rate of the clean truth frames (a divisor of ``scene_rate_hz``).
    rgb_size : tuple of int, optional
        RGB frame size ``(width, height)``; it sees the lr field of view.
    rgb_preset, hd_preset, lr_preset : str, optional
        Camera presets of :mod:`evface.sim`; ``hd_preset`` and ``lr_preset`` name event sensors
        of :data:`evface.sim.sensors.SENSORS`.
    rgb_hd_presets : tuple of str, optional
        RGB camera presets (:data:`evface.sim.rgb.RGB_PRESETS`) of further RGB cameras that see
        the face at hd's pixel size, each recording the hd ROI window (frame stream
        :func:`rgb_hd_stream`); empty: only the ``rgb`` camera at the lr field of view.
    cameras : CameraSettings, optional
        Noise level, beam splitter, readout limit and RGB pipeline of the rig's cameras
        (:mod:`evface.rig.cameras`).

    Raises
    ------
    ParameterError
        For a field out of its range, an unknown preset, or an ``lr_face_px`` and ``rgb_size``
        that :func:`rig_geometry` cannot lay out for the face renderer (a canvas over the lr array
        or under :data:`MIN_CANVAS_PX`, an hd ROI off the hd array), before any face is rendered.

    Examples
    --------
    >>> round(RigParams().hd_per_lr_pixel, 3)
    3.807
    >>> RigParams(lr_face_px=16.0, rgb_size=(64, 48))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: lr_face_px=16.0 with rgb_size=(64, 48) gives a 33x33 lr and a 6x6 rgb canvas, under the 8 pixels the renderer needs; raise lr_face_px or rgb_size
    """

    lr_face_px: float = 100.0
    hd_roi_margin: float = 0.08
    hd_roi_chin: float = 0.18
    scene_rate_hz: float = 1000.0
    truth_rate_hz: float = 200.0
    rgb_size: tuple[int, int] = (320, 240)
    rgb_preset: str = "webcam30"
    hd_preset: str = "evk4"
    lr_preset: str = "davis346"
    rgb_hd_presets: tuple[str, ...] = ("webcam30",)
    cameras: CameraSettings = CameraSettings()

    def __post_init__(self) -> None:
        number_fields(self)
        if self.lr_face_px <= 0 or min(self.rgb_size) < 1:
            raise ParameterError(f"lr_face_px {self.lr_face_px} and rgb_size {self.rgb_size} must be positive")
        sensor_dims(self.rgb_size, "RigParams.rgb_size")
        # was: scene_rate_hz 0 taken (a ZeroDivisionError when filming), truth_rate_hz 0 a ZeroDivisionError
        as_real("RigParams.scene_rate_hz", self.scene_rate_hz, 0.0, MAX_SCENE_RATE_HZ, low_open=True)
        ratio = self.scene_rate_hz / self.truth_rate_hz if self.truth_rate_hz >= 200 else 0.0
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            raise ParameterError(
                f"truth_rate_hz={self.truth_rate_hz} must be >= 200 and divide scene_rate_hz={self.scene_rate_hz}"
            )
        if not isinstance(self.cameras, CameraSettings):
            raise ParameterError(f"cameras must be CameraSettings, got {type(self.cameras).__name__}")
        if not isinstance(self.rgb_hd_presets, tuple) or not all(isinstance(n, str) for n in self.rgb_hd_presets):
            raise ParameterError(f"rgb_hd_presets must be a tuple of RGB camera preset names, got {self.rgb_hd_presets!r}")
        for role, name in (("hd_preset", self.hd_preset), ("lr_preset", self.lr_preset)):
            if not isinstance(name, str) or name not in SENSORS:  # was: a list's "unhashable type: 'list'"
                raise ParameterError(f"{role}={name!r} is not an event sensor; {choose_from(sorted(SENSORS))}")
        for name in (self.rgb_preset, *self.rgb_hd_presets):
            if not isinstance(name, str) or name not in RGB_PRESETS:
                raise ParameterError(f"RGB camera preset {name!r} unknown; {choose_from(sorted(RGB_PRESETS))}")
        if len(set(self.rgb_hd_presets)) != len(self.rgb_hd_presets):
            raise ParameterError(f"rgb_hd_presets {self.rgb_hd_presets} names a preset twice")
        rig_geometry(renderer_face_fraction(), self)  # was: lr_face_px=16 with rgb_size=(64, 48) refused only by Rig()

    @property
    def hd_per_lr_pixel(self) -> float:
        """hd pixels per lr pixel behind the shared lens: the ratio of their pixel pitches."""
        return SENSORS[self.lr_preset].pixel_pitch_um / SENSORS[self.hd_preset].pixel_pitch_um


def rgb_hd_stream(preset: str) -> str:
    """Name of the frame stream of the RGB camera ``preset`` that sees the face at hd's pixel size.

    Parameters
    ----------
    preset : str
        An RGB camera preset of :attr:`RigParams.rgb_hd_presets`.

    Returns
    -------
    str
        The stream's key in a clip's ``frames``.

    Examples
    --------
    >>> rgb_hd_stream("highspeed200")
    'rgb-highspeed200-hd'
    """
    return f"rgb-{preset}-hd"


@dataclass(frozen=True)
class RigGeometry:
    """Where the face canvas lands on every camera (all sizes ``(width, height)``).

    ``canvas_hd`` is the render size; ``roi`` the hd hardware window on the full hd array and
    ``roi_in_canvas`` the same window in canvas pixels; ``canvas_lr`` / ``canvas_rgb`` the
    canvas resampled for lr / rgb and ``lr_offset`` / ``rgb_offset`` where it is pasted.

    Parameters
    ----------
    canvas_hd : tuple of int
        Size of the face canvas rendered at hd resolution.
    canvas_lr : tuple of int
        The canvas's size on the lr array.
    canvas_rgb : tuple of int
        The canvas's size on the RGB frame.
    lr_offset : tuple of int
        Top-left corner ``(x, y)`` of the canvas on the lr array.
    rgb_offset : tuple of int
        Top-left corner ``(x, y)`` of the canvas on the RGB frame.
    roi_in_canvas : tuple of int
        The hd ROI window ``(x, y, w, h)`` in canvas pixels.
    roi : tuple of int
        The hd ROI window ``(x, y, w, h)`` on the full hd array.
    face_box_canvas : tuple of float
        The neutral face box ``(x, y, w, h)`` in canvas pixels.

    Examples
    --------
    >>> g = rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=16.0, rgb_size=(128, 96)))
    >>> g.canvas_hd, g.canvas_lr, g.lr_offset, g.roi
    ((126, 126), (33, 33), (156, 113), (602, 326, 72, 83))
    >>> g.affine("lr").round(3).tolist()  # canvas pixel edges -> lr array
    [[0.262, 0.0, 156.0], [0.0, 0.262, 113.0], [0.0, 0.0, 1.0]]
    >>> g.homography("lr")  # RGB pixel centres -> lr pixel centres
    [[2.75, 0.0, -2.625], [0.0, 2.75, -1.625], [0.0, 0.0, 1.0]]
    >>> g.affine("ir")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown camera 'ir'
    """

    canvas_hd: tuple[int, int]
    canvas_lr: tuple[int, int]
    canvas_rgb: tuple[int, int]
    lr_offset: tuple[int, int]
    rgb_offset: tuple[int, int]
    roi_in_canvas: tuple[int, int, int, int]
    roi: tuple[int, int, int, int]
    face_box_canvas: tuple[float, float, float, float]

    def affine(self, camera: str) -> np.ndarray:
        """3x3 map from canvas (hd render) pixel-edge coordinates to ``camera``'s recorded window.

        Parameters
        ----------
        camera : {"hd", "lr", "rgb"}
            The camera; another name is a ParameterError.

        Returns
        -------
        ndarray of float64, shape (3, 3)
            Scale and offset, applied to ``(x, y, 1)`` column vectors.
        """
        cw, ch = self.canvas_hd
        if camera == "hd":
            sx = sy = 1.0
            ox, oy = -self.roi_in_canvas[0], -self.roi_in_canvas[1]
        elif camera == "lr":
            sx, sy = self.canvas_lr[0] / cw, self.canvas_lr[1] / ch
            ox, oy = self.lr_offset
        elif camera == "rgb":
            sx, sy = self.canvas_rgb[0] / cw, self.canvas_rgb[1] / ch
            ox, oy = self.rgb_offset
        else:
            raise ParameterError(f"unknown camera {camera!r}")
        return np.array([[sx, 0.0, ox], [0.0, sy, oy], [0.0, 0.0, 1.0]])

    def face_box(self, camera: str) -> list[float]:
        """The neutral face box ``[x, y, w, h]`` in ``camera``'s recorded window (pixels).

        Parameters
        ----------
        camera : {"hd", "lr", "rgb"}
            The camera.

        Returns
        -------
        list of float
            ``x, y, w, h``, rounded to 0.001 pixel.
        """
        a = self.affine(camera)
        x, y, w, h = self.face_box_canvas
        return [round(float(a[0, 0] * x + a[0, 2]), 3), round(float(a[1, 1] * y + a[1, 2]), 3),
                round(float(a[0, 0] * w), 3), round(float(a[1, 1] * h), 3)]

    def homography(self, camera: str) -> list[list[float]]:
        """3x3 map from RGB pixel coordinates to ``camera``'s pixel coordinates.

        Pixel ``(i, j)``'s centre is at ``(i, j)``; apply to ``(x, y, 1)`` column vectors.

        Parameters
        ----------
        camera : {"hd", "lr", "rgb"}
            The camera whose pixel coordinates the map gives.

        Returns
        -------
        list of list of float
            The 3x3 matrix, row by row (JSON-ready, as a clip's calibration stores it).
        """
        edge = self.affine(camera) @ np.linalg.inv(self.affine("rgb"))
        centre = np.array([[1.0, 0, -0.5], [0, 1.0, -0.5], [0, 0, 1.0]]) @ edge @ np.array(
            [[1.0, 0, 0.5], [0, 1.0, 0.5], [0, 0, 1.0]]
        )
        return [[round(float(v), 9) for v in row] for row in centre]


def renderer_face_fraction() -> tuple[float, float, float, float]:
    """The face box of a :class:`~evface.face.render.FaceRenderer` canvas (of aspect
    :data:`CANVAS_ASPECT`) as ``(x, y, w, h)`` divided by the canvas size.

    Returns
    -------
    tuple of float
        ``x, y, w, h`` as fractions of the canvas's width and height.

    Examples
    --------
    >>> renderer_face_fraction()
    (0.2575, 0.29, 0.4825, 0.4825)
    """
    size = (400, int(round(400 * CANVAS_ASPECT)))
    x, y, w, h = render_face_box(size)
    return (x / size[0], y / size[1], w / size[0], h / size[1])


def rig_geometry(face_fraction: tuple[float, float, float, float], rig: RigParams) -> RigGeometry:
    """Lay out the rig for a renderer whose face box is ``face_fraction`` of its canvas.

    ``face_fraction`` is ``(x, y, w, h)`` of the face box divided by the canvas size
    (:func:`renderer_face_fraction`).

    Parameters
    ----------
    face_fraction : tuple of float
        The renderer's face box ``(x, y, w, h)`` as fractions of its canvas.
    rig : RigParams
        The rig's face size, ROI margins, RGB size and sensors.

    Returns
    -------
    RigGeometry
        The canvas sizes, offsets, hd ROI and face box.

    Raises
    ------
    ParameterError
        When the lr canvas would be larger than the lr array, the lr or RGB canvas narrower than
        :data:`MIN_CANVAS_PX`, or the hd ROI would not fit the hd array.

    Examples
    --------
    >>> rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=16.0, rgb_size=(128, 96))).canvas_rgb
    (12, 12)
    >>> rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=16.0, rgb_size=(64, 48)))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: lr_face_px=16.0 with rgb_size=(64, 48) gives a 33x33 lr and a 6x6 rgb canvas, under the 8 pixels the renderer needs; raise lr_face_px or rgb_size
    """
    if not isinstance(rig, RigParams):
        raise ParameterError(f"rig must be RigParams, got {type(rig).__name__}")
    fx, fy, fw, fh = as_box("face_fraction", face_fraction)
    scale = rig.hd_per_lr_pixel
    lr_w = int(round(rig.lr_face_px / fw))
    lr_h = int(round(lr_w * CANVAS_ASPECT))
    lr_full = SENSORS[rig.lr_preset].size
    hd_full = SENSORS[rig.hd_preset].size
    if lr_w > lr_full[0] or lr_h > lr_full[1]:
        raise ParameterError(
            f"lr_face_px={rig.lr_face_px} needs a {lr_w}x{lr_h} canvas, larger than the {lr_full[0]}x{lr_full[1]} lr array"
        )
    hd_w, hd_h = int(round(lr_w * scale)), int(round(lr_h * scale))
    lr_off = ((lr_full[0] - lr_w) // 2, (lr_full[1] - lr_h) // 2)
    rgb_scale = rig.rgb_size[0] / lr_full[0]
    rgb_w, rgb_h = int(round(lr_w * rgb_scale)), int(round(lr_h * rgb_scale))
    if min(lr_w, lr_h, rgb_w, rgb_h) < MIN_CANVAS_PX:  # was: the renderer's "size: expected at least 16x16"
        raise ParameterError(f"lr_face_px={rig.lr_face_px} with rgb_size={rig.rgb_size} gives a {lr_w}x{lr_h} lr and a "
                             f"{rgb_w}x{rgb_h} rgb canvas, under the {MIN_CANVAS_PX} pixels the renderer needs; "
                             "raise lr_face_px or rgb_size")
    rgb_off = ((rig.rgb_size[0] - rgb_w) // 2, (rig.rgb_size[1] - rgb_h) // 2)
    box = (fx * hd_w, fy * hd_h, fw * hd_w, fh * hd_h)
    m = rig.hd_roi_margin
    x0 = max(0, int(np.floor(box[0] - m * box[2])))
    y0 = max(0, int(np.floor(box[1] - m * box[3])))
    x1 = min(hd_w, int(np.ceil(box[0] + (1 + m) * box[2])))
    y1 = min(hd_h, int(np.ceil(box[1] + (1 + m + rig.hd_roi_chin) * box[3])))
    # canvas origin on the hd array: lr and hd share the optical axis through both centres
    hd_canvas_x = hd_full[0] / 2 + scale * (lr_off[0] - lr_full[0] / 2)
    hd_canvas_y = hd_full[1] / 2 + scale * (lr_off[1] - lr_full[1] / 2)
    roi = (int(round(hd_canvas_x)) + x0, int(round(hd_canvas_y)) + y0, x1 - x0, y1 - y0)
    if roi[0] < 0 or roi[1] < 0 or roi[0] + roi[2] > hd_full[0] or roi[1] + roi[3] > hd_full[1]:
        raise ParameterError(f"hd ROI {roi} does not fit the {hd_full[0]}x{hd_full[1]} array; lower lr_face_px")
    return RigGeometry((hd_w, hd_h), (lr_w, lr_h), (rgb_w, rgb_h), lr_off, rgb_off,
                       (x0, y0, x1 - x0, y1 - y0), roi, box)
