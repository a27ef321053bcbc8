"""The synthetic rig: a rendered face under a lighting condition, seen by three synchronized cameras.

One clip is made in three steps (docs/dataset.md has the figures and their sources):

1. **Timeline** (:mod:`evface.rig.timeline`): AU intensities and a rigid head pose as smooth
   functions of time (a micro-expression plus blinks, drift, wobble and breathing).
2. **Scene**: at every time sample the face is rendered for each camera at its own
   resolution from one timeline and one fixed canvas layout, so all cameras see the same face
   through one beam splitter: the ``hd`` sensor's hardware-ROI window only, at hd resolution
   (:meth:`FaceRenderer.render` with ``window``); the whole canvas at ``SUPERSAMPLE`` times the
   ``lr`` (and ``rgb``) canvas size, area-averaged to it (pixel integration). Views are
   converted to luminance (event sensors) and multiplied by the lighting's illuminance in lux.
3. **Cameras**: ``hd`` (Prophesee EVK4-like, 1280x720 array read through a hardware ROI around
   the face), ``lr`` (iniVation DAVIS346, whole 346x260 array) and ``rgb`` (a 30 fps webcam)
   turn lux into events or frames with their own physics (:mod:`evface.sim`). The event sensors
   see the scene sampled at ``scene_rate_hz`` and sub-step adaptively in between; clean truth
   frames for ``hd`` and ``lr`` are kept at ``truth_rate_hz``.

Geometry: both event sensors sit behind the same lens, so their fields of view scale with
pixel pitch (DAVIS346 18.5 µm, IMX636 4.86 µm): one ``lr`` pixel spans ``HD_SCALE`` = 3.81
``hd`` pixels, and the optical axis hits both arrays' centres. The RGB camera sees the ``lr``
field of view on its own pixel grid. ``calibration`` records, for every camera, the face box
and the affine homography from RGB pixel coordinates to that camera's recorded window.

:func:`synthesize` builds a whole dataset folder, resumably, optionally in a process pool or as
one shard of several; :func:`merge_shards` joins shards.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface.io.clip import Clip, SensorInfo, TruthSeries, read_clip_meta, write_clip
from evface.io.dataset import read_dataset_json, read_manifest, write_dataset_json, write_manifest
from evface.rig.lighting import DEFAULT_LIGHTING, LIGHTING, get_lighting
from evface.rig.timeline import Timeline, TimelineParams, au_intensities, draw_timeline, head_pose
from evface.errors import DatasetError, EvfaceError, FaceNotFoundError, FormatError, ParameterError, where
from evface.events.core import concatenate
from evface.face.aus import DEFAULT_CLASSES
from evface.face.identity import builtin_photo_identities, photo_identity, procedural_identity
from evface.face.render import FacePose, FaceRenderer
from evface.face.render import face_box as render_face_box
from evface.sim.dvs import DVS_SENSORS, DvsParams, DvsSimulator
from evface.sim.rgb import RgbCamera, RgbCameraParams

GENERATOR = "evface.data.synth"
"""The generator name recorded in dataset.json (its 0.1 module path, kept so that datasets stay byte-identical)."""
PIXEL_PITCH_UM = {"evk4": 4.86, "davis346": 18.5}
"""Pixel pitch of the event sensors (Prophesee IMX636 / EVK4 and iniVation DAVIS346 datasheets)."""
HD_SCALE = PIXEL_PITCH_UM["davis346"] / PIXEL_PITCH_UM["evk4"]
"""hd pixels per lr pixel behind a shared lens."""
CANVAS_ASPECT = 1.0
"""Height / width of the rendered face canvas."""
SUPERSAMPLE = 2
"""The lr and RGB views are rendered at this many times their canvas size and area-averaged
(pixel integration); the hd view is rendered at its own resolution."""
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
"""Rec. 709 luminance weights: what a monochrome event pixel integrates from the RGB render."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _params_dict(params: Any) -> dict[str, Any]:
    if hasattr(params, "to_dict"):
        return dict(params.to_dict())
    try:
        return asdict(params)
    except TypeError:
        return {}


# --------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RigParams:
    """Camera geometry and sampling of the rig.

    Attributes
    ----------
    lr_face_px : float
        Face width on the lr (DAVIS346) array, in pixels; the hd face is ``HD_SCALE`` times wider.
    hd_roi_margin : float
        The hd ROI is the hd face box grown by this fraction of the face size on every side.
    hd_roi_chin : float
        Further growth of the ROI below the face box (in face-box heights): the Haar-like face
        box ends at the lower lip, and the chin and jaw (AU17, AU26) must stay inside.
    scene_rate_hz : float
        Rate at which the event sensors sample the rendered scene (they sub-step in between).
    truth_rate_hz : float
        Rate of the clean truth frames (a divisor of ``scene_rate_hz``).
    rgb_size : (width, height)
        RGB frame size; it sees the lr field of view.
    rgb_preset, hd_preset, lr_preset : str
        Camera presets of :mod:`evface.sim`.
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

    def __post_init__(self) -> None:
        ratio = self.scene_rate_hz / self.truth_rate_hz
        if self.truth_rate_hz < 200 or abs(ratio - round(ratio)) > 1e-9:
            raise ParameterError(
                f"truth_rate_hz={self.truth_rate_hz} must be >= 200 and divide scene_rate_hz={self.scene_rate_hz}"
            )


@dataclass(frozen=True)
class SynthPreset:
    """How many clips of which kind: subjects x classes x lightings x repetitions."""

    name: str
    n_subjects: int
    n_classes: int | None
    lightings: tuple[str, ...]
    repetitions: int
    timeline: TimelineParams = field(default_factory=TimelineParams)
    rig: RigParams = field(default_factory=RigParams)
    builtin_photos: bool = False


PRESETS: dict[str, SynthPreset] = {
    "tiny": SynthPreset(
        "tiny", n_subjects=3, n_classes=2, lightings=("bright", "dim"), repetitions=1,
        timeline=TimelineParams(duration_us=400_000, margin_us=50_000, total_us_range=(200_000, 300_000),
                                onset_us_range=(60_000, 150_000)),
        rig=RigParams(lr_face_px=32.0, scene_rate_hz=200.0, truth_rate_hz=200.0, rgb_size=(160, 120)),
    ),
    "quick": SynthPreset(
        "quick", n_subjects=8, n_classes=None, lightings=DEFAULT_LIGHTING, repetitions=1,
        timeline=TimelineParams(duration_us=700_000, margin_us=60_000, total_us_range=(250_000, 480_000)),
        rig=RigParams(lr_face_px=64.0, hd_roi_margin=0.05, scene_rate_hz=200.0, truth_rate_hz=200.0,
                      rgb_size=(320, 240)),
    ),
    "paper": SynthPreset(
        "paper", n_subjects=16, n_classes=None, lightings=tuple(LIGHTING), repetitions=2,
        timeline=TimelineParams(duration_us=1_000_000),
        rig=RigParams(lr_face_px=100.0, scene_rate_hz=1000.0, truth_rate_hz=200.0, rgb_size=(640, 480)),
        builtin_photos=True,
    ),
}
"""``tiny`` (tests, seconds), ``quick`` (<= 3 min on 2 cores), ``paper`` (larger, every lighting)."""


def get_preset(name: str) -> SynthPreset:
    """The preset ``name`` or a ParameterError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown synth preset {name!r}; choose from {sorted(PRESETS)}") from None


def default_classes() -> dict[str, list[int]]:
    """The face module's default class set (label -> AUs)."""
    return {str(k): [int(a) for a in v] for k, v in DEFAULT_CLASSES.items()}


# --------------------------------------------------------------------------------------------
# the rig: geometry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RigGeometry:
    """Where the face canvas lands on every camera (all sizes ``(width, height)``).

    ``canvas_hd`` is the render size; ``roi`` the hd hardware window on the 1280x720 array and
    ``roi_in_canvas`` the same window in canvas pixels; ``canvas_lr`` / ``canvas_rgb`` the
    canvas resampled for lr / rgb and ``lr_offset`` / ``rgb_offset`` where it is pasted.
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
        """3x3 map from canvas (hd render) pixel-edge coordinates to ``camera``'s recorded window."""
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
        """The neutral face box ``[x, y, w, h]`` in ``camera``'s recorded window (pixels)."""
        a = self.affine(camera)
        x, y, w, h = self.face_box_canvas
        return [round(float(a[0, 0] * x + a[0, 2]), 3), round(float(a[1, 1] * y + a[1, 2]), 3),
                round(float(a[0, 0] * w), 3), round(float(a[1, 1] * h), 3)]

    def homography(self, camera: str) -> list[list[float]]:
        """3x3 map from RGB pixel coordinates to ``camera``'s pixel coordinates.

        Pixel ``(i, j)``'s centre is at ``(i, j)``; apply to ``(x, y, 1)`` column vectors.
        """
        edge = self.affine(camera) @ np.linalg.inv(self.affine("rgb"))
        centre = np.array([[1.0, 0, -0.5], [0, 1.0, -0.5], [0, 0, 1.0]]) @ edge @ np.array(
            [[1.0, 0, 0.5], [0, 1.0, 0.5], [0, 0, 1.0]]
        )
        return [[round(float(v), 9) for v in row] for row in centre]


def rig_geometry(face_fraction: tuple[float, float, float, float], rig: RigParams) -> RigGeometry:
    """Lay out the rig for a renderer whose face box is ``face_fraction`` of its canvas.

    ``face_fraction`` is ``(x, y, w, h)`` of the face box divided by the canvas size.
    """
    fx, fy, fw, fh = face_fraction
    lr_w = int(round(rig.lr_face_px / fw))
    lr_h = int(round(lr_w * CANVAS_ASPECT))
    lr_full = DVS_SENSORS[rig.lr_preset]
    hd_full = DVS_SENSORS[rig.hd_preset]
    if lr_w > lr_full[0] or lr_h > lr_full[1]:
        raise ParameterError(
            f"lr_face_px={rig.lr_face_px} needs a {lr_w}x{lr_h} canvas, larger than the {lr_full[0]}x{lr_full[1]} lr array"
        )
    hd_w, hd_h = int(round(lr_w * HD_SCALE)), int(round(lr_h * HD_SCALE))
    lr_off = ((lr_full[0] - lr_w) // 2, (lr_full[1] - lr_h) // 2)
    rgb_scale = rig.rgb_size[0] / lr_full[0]
    rgb_w, rgb_h = int(round(lr_w * rgb_scale)), int(round(lr_h * rgb_scale))
    rgb_off = ((rig.rgb_size[0] - rgb_w) // 2, (rig.rgb_size[1] - rgb_h) // 2)
    box = (fx * hd_w, fy * hd_h, fw * hd_w, fh * hd_h)
    m = rig.hd_roi_margin
    x0 = max(0, int(np.floor(box[0] - m * box[2])))
    y0 = max(0, int(np.floor(box[1] - m * box[3])))
    x1 = min(hd_w, int(np.ceil(box[0] + (1 + m) * box[2])))
    y1 = min(hd_h, int(np.ceil(box[1] + (1 + m + rig.hd_roi_chin) * box[3])))
    # canvas origin on the hd array: lr and hd share the optical axis through both centres
    hd_canvas_x = hd_full[0] / 2 + HD_SCALE * (lr_off[0] - lr_full[0] / 2)
    hd_canvas_y = hd_full[1] / 2 + HD_SCALE * (lr_off[1] - lr_full[1] / 2)
    roi = (int(round(hd_canvas_x)) + x0, int(round(hd_canvas_y)) + y0, x1 - x0, y1 - y0)
    if roi[0] < 0 or roi[1] < 0 or roi[0] + roi[2] > hd_full[0] or roi[1] + roi[3] > hd_full[1]:
        raise ParameterError(f"hd ROI {roi} does not fit the {hd_full[0]}x{hd_full[1]} array; lower lr_face_px")
    return RigGeometry((hd_w, hd_h), (lr_w, lr_h), (rgb_w, rgb_h), lr_off, rgb_off,
                       (x0, y0, x1 - x0, y1 - y0), roi, box)


def _face_fraction(size: tuple[int, int]) -> tuple[float, float, float, float]:
    x, y, w, h = render_face_box(size)
    return (x / size[0], y / size[1], w / size[0], h / size[1])


def _backdrop(canvas: np.ndarray, offset: tuple[int, int], full: tuple[int, int]) -> np.ndarray:
    """A ``full`` (width, height) image with ``canvas`` at ``offset`` and its edges replicated
    beyond: the static scene around the rendered canvas."""
    h, w = canvas.shape[:2]
    left, top = offset
    return cv2.copyMakeBorder(canvas, top, full[1] - h - top, left, full[0] - w - left, cv2.BORDER_REPLICATE)


def _lit(backdrop: np.ndarray, canvas: np.ndarray, offset: tuple[int, int], lux: float) -> np.ndarray:
    """``backdrop`` with ``canvas`` written at ``offset``, times ``lux`` (a new float32 array)."""
    lux32 = np.float32(lux)
    out = backdrop * lux32
    h, w = canvas.shape[:2]
    np.multiply(canvas, lux32, out=out[offset[1] : offset[1] + h, offset[0] : offset[0] + w])
    return out


# --------------------------------------------------------------------------------------------
# the rig: one clip
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipSpec:
    """One planned clip; its content depends only on these fields and the dataset seed."""

    clip_id: str
    subject: str
    subject_index: int
    label: str
    aus: tuple[int, ...]
    lighting: str
    repetition: int


def clip_seed(dataset_seed: int, spec: ClipSpec) -> np.random.SeedSequence:
    """Seed of one clip, from the dataset seed and the clip's place in the full plan
    (subject, class, lighting, repetition), so subsets, shards and resumed runs agree."""
    key = [int(dataset_seed), spec.subject_index, zlib.crc32(spec.label.encode()),
           zlib.crc32(spec.lighting.encode()), spec.repetition]
    return np.random.SeedSequence(key)


def _int_seed(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, np.uint32)[0])


class Rig:
    """The three cameras around one identity (renderers and geometry are built once).

    Examples
    --------
    >>> rig = Rig(identity, PRESETS["tiny"].rig)                       # doctest: +SKIP
    >>> clip = rig.record(spec, timeline, LIGHTING["office"], seed)    # doctest: +SKIP
    """

    def __init__(self, identity: Any, rig: RigParams):
        probe_size = (400, int(round(400 * CANVAS_ASPECT)))
        self.params = rig
        self.identity = identity
        g = self.geometry = rig_geometry(_face_fraction(probe_size), rig)
        self.renderer = FaceRenderer(identity, size=g.canvas_hd)  # only the ROI window is rendered
        self.lr_renderer = FaceRenderer(identity, size=(g.canvas_lr[0] * SUPERSAMPLE, g.canvas_lr[1] * SUPERSAMPLE))
        self.rgb_renderer = FaceRenderer(identity, size=(g.canvas_rgb[0] * SUPERSAMPLE, g.canvas_rgb[1] * SUPERSAMPLE))
        # The world beyond the rendered canvas is static: the neutral canvas's edges, replicated
        # once (so a moving canvas edge never drags the surroundings along).
        self._lr_backdrop = _backdrop(self._lr_canvas(self.lr_renderer.render({})), g.lr_offset,
                                      DVS_SENSORS[rig.lr_preset])
        self._rgb_backdrop = _backdrop(self._rgb_canvas(self.rgb_renderer.render({})), g.rgb_offset, rig.rgb_size)

    def _lr_canvas(self, reflectance: np.ndarray) -> np.ndarray:
        return cv2.resize(reflectance @ LUMA, self.geometry.canvas_lr, interpolation=cv2.INTER_AREA)

    def _rgb_canvas(self, reflectance: np.ndarray) -> np.ndarray:
        return cv2.resize(reflectance, self.geometry.canvas_rgb, interpolation=cv2.INTER_AREA)

    @staticmethod
    def _state(timeline: Timeline, t_us: int) -> tuple[dict[int, float], FacePose]:
        dx, dy, roll, scale = head_pose(timeline, t_us)
        return au_intensities(timeline, t_us), FacePose(dx=dx, dy=dy, roll_deg=roll, scale=scale)

    def views(self, timeline: Timeline, t_us: int, lux: float) -> tuple[np.ndarray, np.ndarray]:
        """Scene luminance in lux at ``t_us`` on the hd ROI and on the whole lr array
        (float32 (H, W) each)."""
        g = self.geometry
        aus, pose = self._state(timeline, t_us)
        hd = self.renderer.render(aus, pose, window=g.roi_in_canvas) @ LUMA
        hd *= np.float32(lux)
        lr = _lit(self._lr_backdrop, self._lr_canvas(self.lr_renderer.render(aus, pose)), g.lr_offset, lux)
        return hd, lr

    def rgb_scene(self, timeline: Timeline, lighting: Any, t_us: int) -> np.ndarray:
        """Colour scene in lux on the RGB sensor at ``t_us`` (float32 (H, W, 3))."""
        aus, pose = self._state(timeline, t_us)
        canvas = self._rgb_canvas(self.rgb_renderer.render(aus, pose))
        return _lit(self._rgb_backdrop, canvas, self.geometry.rgb_offset, lighting.lux_at(t_us))

    def record(self, spec: ClipSpec, timeline: Timeline, lighting: Any, seed: np.random.SeedSequence) -> Clip:
        """Film one clip with all three cameras."""
        rp = self.params
        g = self.geometry
        hd_seed, lr_seed, rgb_seed = (_int_seed(s) for s in seed.spawn(3))
        hd_params = DvsParams.preset(rp.hd_preset)
        lr_params = DvsParams.preset(rp.lr_preset)
        hd_sim = DvsSimulator(g.roi[2:], hd_params, seed=hd_seed)
        lr_sim = DvsSimulator(DVS_SENSORS[rp.lr_preset], lr_params, seed=lr_seed)
        step_us = 1e6 / rp.scene_rate_hz
        n_steps = int(round(timeline.duration_us / step_us))
        truth_every = int(round(rp.scene_rate_hz / rp.truth_rate_hz))
        n_truth = n_steps // truth_every + 1
        truth_hd = np.empty((n_truth, g.roi[3], g.roi[2]), np.float32)
        truth_lr = np.empty((n_truth, *DVS_SENSORS[rp.lr_preset][::-1]), np.float32)
        hd_events, lr_events, truth_t = [], [], []
        for k in range(n_steps + 1):
            t_us = int(round(k * step_us))
            hd, lr = self.views(timeline, t_us, lighting.lux_at(t_us))
            hd_events.append(hd_sim.step(hd, t_us))
            lr_events.append(lr_sim.step(lr, t_us))
            if k % truth_every == 0:
                _round_mantissa(hd, out=truth_hd[len(truth_t)])
                _round_mantissa(lr, out=truth_lr[len(truth_t)])
                truth_t.append(t_us)
        rgb_params = RgbCameraParams.preset(rp.rgb_preset)
        frames = RgbCamera(rgb_params, seed=rgb_seed).capture(
            lambda t: self.rgb_scene(timeline, lighting, int(t)), 0, timeline.duration_us
        )
        frames = replace(frames, params=frames.params or _params_dict(rgb_params))
        lr_full = DVS_SENSORS[rp.lr_preset]
        hd_full = DVS_SENSORS[rp.hd_preset]
        sensors = {
            "hd": SensorInfo("hd", g.roi[2], g.roi[3], hd_full[0], hd_full[1], g.roi, rp.hd_preset, _params_dict(hd_params)),
            "lr": SensorInfo("lr", lr_full[0], lr_full[1], lr_full[0], lr_full[1], (0, 0, *lr_full), rp.lr_preset,
                             _params_dict(lr_params)),
        }
        truth_t_arr = np.asarray(truth_t, np.int64)
        expr = timeline.expression
        calibration = {
            "face_box": {cam: g.face_box(cam) for cam in ("hd", "lr", "rgb")},
            "homography": {cam: g.homography(cam) for cam in ("hd", "lr", "rgb")},
            "pixel_pitch_um": {"hd": PIXEL_PITCH_UM[rp.hd_preset], "lr": PIXEL_PITCH_UM[rp.lr_preset]},
            "hd_per_lr_pixel": HD_SCALE,
            "coordinates": "pixel (i, j) has its centre at (i, j); homography maps RGB (x, y, 1) to the sensor's recorded window",
        }
        extra = {
            "generator": GENERATOR,
            "identity": {"name": str(getattr(self.identity, "name", spec.subject)),
                         "kind": str(getattr(self.identity, "kind", "procedural"))},
            "repetition": spec.repetition,
            "lux": lighting.lux,
            "flicker_hz": lighting.flicker_hz,
            "intensity": expr.intensity,
            "hold_end_us": expr.hold_end_us,
            "blinks_us": [[b.start_us, b.closed_us, b.end_us] for b in timeline.blinks],
            "head_motion": asdict(timeline.head),
            "scene_rate_hz": rp.scene_rate_hz,
            "canvas_hd": list(g.canvas_hd),
            "truth_units": "lux (scene luminance on the sensor grid, before any camera)",
        }
        return Clip(
            clip_id=spec.clip_id, subject=spec.subject, label=spec.label, aus=list(spec.aus), lighting=spec.lighting,
            onset_us=expr.onset_us, apex_us=expr.apex_us, offset_us=expr.offset_us, duration_us=timeline.duration_us,
            events={"hd": concatenate(hd_events), "lr": concatenate(lr_events)},
            sensors=sensors,
            frames={"rgb": frames},
            truth={"hd": TruthSeries(truth_hd, truth_t_arr), "lr": TruthSeries(truth_lr, truth_t_arr)},
            calibration=calibration,
            extra=extra,
        )


def _round_mantissa(x: np.ndarray, bits: int = 7, out: np.ndarray | None = None) -> np.ndarray:
    """Keep ``bits`` of float32 mantissa, rounding to nearest (relative error <= 2**-(bits+1):
    0.4 % for 7 bits, one 8-bit grey level at full scale), so that truth frames compress
    (lzf + shuffle then finds two all-zero byte planes). ``out``: a contiguous float32 array of
    ``x``'s shape to write into."""
    drop = 23 - bits
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    r = np.add(u, np.uint32(1 << (drop - 1)), out=None if out is None else out.view(np.uint32))
    np.bitwise_and(r, np.uint32(~((1 << drop) - 1) & 0xFFFFFFFF), out=r)
    return r.view(np.float32)


# --------------------------------------------------------------------------------------------
# planning a dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A subject of the dataset: its id, index (seeds) and how to build its identity."""

    name: str
    index: int
    kind: str
    seed: int = 0
    photo: str | None = None


@dataclass(frozen=True)
class FaceProblem:
    """A ``--faces`` file that was skipped, and why."""

    file: str
    reason: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "face"


def load_face_photos(faces_dir: str | Path) -> tuple[list[tuple[str, Any]], list[FaceProblem]]:
    """Load every image of ``faces_dir`` as a photo identity.

    Decision on bad input: a file that is not an image, cannot be read, or has no detectable
    face is **skipped** and reported as a :class:`FaceProblem`; the others are used. An
    empty or missing folder, or one without a single usable face, is a DatasetError.

    Returns
    -------
    identities : list of (subject name, Identity), sorted by file name
    problems : list of FaceProblem, one per skipped file
    """
    root = Path(faces_dir)
    if not root.is_dir():
        raise DatasetError(where(root, "--faces must be a folder of face photos"))
    identities, problems, seen = [], [], set()
    for path in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if path.is_dir():
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            problems.append(FaceProblem(str(path), f"skipped: not an image file (expected {', '.join(IMAGE_SUFFIXES)})"))
            continue
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            problems.append(FaceProblem(str(path), "skipped: unreadable or corrupt image"))
            continue
        name = f"photo-{_slug(path.stem)}"
        if name in seen:
            problems.append(FaceProblem(str(path), f"skipped: subject name {name!r} already taken by another file"))
            continue
        try:
            ident = photo_identity(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), name, source=str(path))
        except FaceNotFoundError as exc:
            problems.append(FaceProblem(str(path), f"skipped: no face found ({exc})"))
            continue
        except EvfaceError as exc:
            problems.append(FaceProblem(str(path), f"skipped: {exc}"))
            continue
        seen.add(name)
        identities.append((name, ident))
    if not identities:
        detail = "; ".join(f"{Path(p.file).name}: {p.reason}" for p in problems) or "folder is empty"
        raise DatasetError(where(root, f"no usable face photo ({detail})"))
    return identities, problems


def plan_subjects(preset: SynthPreset, seed: int, n_subjects: int | None = None,
                  faces_dir: str | Path | None = None) -> tuple[list[Subject], list[FaceProblem]]:
    """Procedural subjects ``s000``... (identity seeds derived from ``seed``), then built-in and
    ``faces_dir`` photo subjects."""
    n = preset.n_subjects if n_subjects is None else int(n_subjects)
    if n < 0:
        raise ParameterError(f"--subjects must be >= 0, got {n}")
    subjects = [Subject(f"s{i:03d}", i, "procedural", _int_seed(np.random.SeedSequence([int(seed), 0x1D, i])))
                for i in range(n)]
    if preset.builtin_photos:
        subjects.append(Subject("builtin-astronaut", 900, "builtin"))
    problems: list[FaceProblem] = []
    if faces_dir is not None:
        photos, problems = load_face_photos(faces_dir)
        subjects += [Subject(name, 1000 + i, "photo", photo=str(getattr(ident, "source", None) or name))
                     for i, (name, ident) in enumerate(photos)]
    if not subjects:
        raise ParameterError("no subjects: give --subjects > 0 or --faces")
    return subjects, problems


def plan_clips(subjects: Sequence[Subject], classes: dict[str, list[int]], lightings: Sequence[str],
               repetitions: int) -> list[ClipSpec]:
    """Every (subject, class, lighting, repetition), in that nesting order."""
    return [
        ClipSpec(f"{s.name}_{label}_{light}_r{rep}", s.name, s.index, label, tuple(aus), light, rep)
        for s in subjects for label, aus in classes.items() for light in lightings for rep in range(repetitions)
    ]


def _choose_classes(preset: SynthPreset, classes: Sequence[str] | None) -> dict[str, list[int]]:
    available = default_classes()
    if classes is None:
        names = list(available)[: preset.n_classes] if preset.n_classes else list(available)
        return {k: available[k] for k in names}
    unknown = [c for c in classes if c not in available]
    if unknown:
        raise ParameterError(f"unknown class(es) {unknown}; choose from {list(available)}")
    return {k: available[k] for k in classes}


def _choose_lightings(preset: SynthPreset, lighting: Sequence[str] | None) -> tuple[str, ...]:
    names = tuple(preset.lightings if lighting is None else lighting)
    for name in names:
        get_lighting(name)
    return names


def parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``.

    Examples
    --------
    >>> parse_shard("1/4")
    (1, 4)
    """
    if shard is None:
        return None
    if isinstance(shard, str):
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard)
        if not m:
            raise ParameterError(f"--shard must look like I/N (for example 0/4), got {shard!r}")
        shard = (int(m.group(1)), int(m.group(2)))
    i, n = (int(v) for v in shard)
    if not 0 <= i < n:
        raise ParameterError(f"--shard {i}/{n}: need 0 <= I < N")
    return i, n


# --------------------------------------------------------------------------------------------
# making clips (in this process or a worker)
# --------------------------------------------------------------------------------------------

_RIGS: dict[tuple[str, RigParams], Rig] = {}
_PHOTOS: dict[str, Any] = {}


def _identity(subject: Subject) -> Any:
    if subject.kind == "procedural":
        return procedural_identity(subject.seed)
    if subject.kind == "builtin":
        return builtin_photo_identities()[0]
    if subject.photo not in _PHOTOS:
        bgr = cv2.imread(subject.photo, cv2.IMREAD_COLOR)
        if bgr is None:
            raise FormatError(where(subject.photo, "face photo became unreadable"))
        _PHOTOS[subject.photo] = photo_identity(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), subject.name, source=subject.photo)
    return _PHOTOS[subject.photo]


def _rig_for(subject: Subject, params: RigParams) -> Rig:
    key = (f"{subject.name}:{subject.seed}:{subject.photo}", params)
    if key not in _RIGS:
        if len(_RIGS) > 4:
            _RIGS.clear()
        _RIGS[key] = Rig(_identity(subject), params)
    return _RIGS[key]


def make_clip(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int) -> Clip:
    """Generate one clip (pure apart from caching the subject's renderer)."""
    ss = clip_seed(dataset_seed, spec)
    timeline_ss, camera_ss = ss.spawn(2)
    timeline = draw_timeline(spec.aus, preset.timeline, timeline_ss)
    return _rig_for(subject, preset.rig).record(spec, timeline, get_lighting(spec.lighting), camera_ss)


def _job(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int, path: str) -> dict[str, Any]:
    clip = make_clip(spec, subject, preset, dataset_seed)
    write_clip(path, clip)
    return {name: int(ev.size) for name, ev in clip.events.items()}


def _worker_init() -> None:
    """One thread per process: clips run in parallel, not pixels (the small per-step kernels
    lose far more to thread hand-offs than they gain on a shared machine)."""
    import numba

    cv2.setNumThreads(1)
    numba.set_num_threads(1)


@contextmanager
def _single_threaded():
    import numba

    cv_threads, nb_threads = cv2.getNumThreads(), numba.get_num_threads()
    _worker_init()
    try:
        yield
    finally:
        cv2.setNumThreads(cv_threads)
        numba.set_num_threads(nb_threads)


# --------------------------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------------------------

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, message)``: called after each clip (``message`` names it)."""


def _row(spec: ClipSpec, meta: Clip) -> dict[str, Any]:
    return {
        "clip_id": spec.clip_id, "subject": spec.subject, "label": spec.label, "aus": list(spec.aus),
        "lighting": spec.lighting, "file": f"clips/{spec.clip_id}.h5", "onset_us": meta.onset_us,
        "apex_us": meta.apex_us, "offset_us": meta.offset_us, "duration_us": meta.duration_us, "source": "synthetic",
    }


def _clip_ok(path: Path) -> Clip | None:
    if not path.exists():
        return None
    try:
        return read_clip_meta(path)
    except EvfaceError:
        return None


def _dataset_info(preset: SynthPreset, seed: int, subjects: list[Subject], classes: dict[str, list[int]],
                  lightings: tuple[str, ...], problems: list[FaceProblem]) -> dict[str, Any]:
    from evface import __version__

    return {
        "generator": GENERATOR,
        "evface_version": __version__,
        "seed": int(seed),
        "preset": preset.name,
        "params": json.loads(json.dumps(asdict(preset))),
        "subjects": [asdict(s) for s in subjects],
        "classes": classes,
        "lightings": {name: asdict(get_lighting(name)) for name in lightings},
        "sensors": {"hd": preset.rig.hd_preset, "lr": preset.rig.lr_preset, "rgb": preset.rig.rgb_preset},
        "skipped_faces": [asdict(p) for p in problems],
    }


def synthesize(
    out_dir: str | Path,
    preset: str = "quick",
    seed: int = 0,
    subjects: int | None = None,
    classes: Sequence[str] | None = None,
    lighting: Sequence[str] | None = None,
    faces_dir: str | Path | None = None,
    workers: int = 1,
    shard: str | tuple[int, int] | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Build (or finish building) a synthetic dataset folder and return its path.

    Clips already in ``out_dir/clips`` are kept and skipped, so an interrupted run resumes; each
    clip's content depends only on ``seed`` and its place in the plan, so the result equals an
    uninterrupted run's. With ``shard="I/N"`` only every N-th clip (from the I-th) is made;
    :func:`merge_shards` joins the shards.

    Parameters
    ----------
    out_dir : path
        Dataset folder (created). A folder made with other parameters is refused.
    preset : {"tiny", "quick", "paper"}
    seed : int
    subjects : int, optional
        Number of procedural subjects (default: the preset's).
    classes, lighting : list of str, optional
        Subsets of the default classes / lighting presets (default: the preset's).
    faces_dir : path, optional
        Folder of frontal face photos, each becoming one more subject; bad files are skipped and
        listed in ``dataset.json["skipped_faces"]`` (see :func:`load_face_photos`).
    workers : int
        Processes generating clips in parallel.
    progress : callable, optional
        ``progress(done, total, message)`` after each clip.

    Examples
    --------
    >>> import tempfile
    >>> root = synthesize(tempfile.mkdtemp(), preset="tiny", seed=0, subjects=1, classes=["AU4"], lighting=["bright"])  # doctest: +SKIP
    """
    spec_preset = get_preset(preset)
    out = Path(out_dir)
    subject_list, problems = plan_subjects(spec_preset, seed, subjects, faces_dir)
    class_map = _choose_classes(spec_preset, classes)
    lightings = _choose_lightings(spec_preset, lighting)
    plan = plan_clips(subject_list, class_map, lightings, spec_preset.repetitions)
    shard_t = parse_shard(shard)
    if shard_t is not None:
        plan = plan[shard_t[0] :: shard_t[1]]
    info = _dataset_info(spec_preset, seed, subject_list, class_map, lightings, problems)
    info["shard"] = list(shard_t) if shard_t else None
    info["n_clips"] = len(plan)
    _check_same_dataset(out, info)
    clips_dir = out / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    for stale in clips_dir.glob("*.tmp"):
        stale.unlink()
    write_dataset_json(out, info)
    by_name = {s.name: s for s in subject_list}
    todo = [spec for spec in plan if _clip_ok(clips_dir / f"{spec.clip_id}.h5") is None]
    done = len(plan) - len(todo)
    total = len(plan)
    if progress:
        progress(done, total, f"{done} clip(s) already there")
    jobs = [(spec, by_name[spec.subject], spec_preset, int(seed), str(clips_dir / f"{spec.clip_id}.h5")) for spec in todo]
    if workers <= 1 or len(jobs) <= 1:
        with _single_threaded():
            for job in jobs:
                _job(*job)
                done += 1
                if progress:
                    progress(done, total, job[0].clip_id)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=int(workers), mp_context=mp.get_context("spawn"),
                                 initializer=_worker_init) as pool:
            futures = {pool.submit(_job, *job): job[0].clip_id for job in jobs}
            try:
                for fut in as_completed(futures):
                    fut.result()
                    done += 1
                    if progress:
                        progress(done, total, futures[fut])
            except BaseException:  # interrupted or failed: do not start the clips still queued
                for fut in futures:
                    fut.cancel()
                raise
    rows = []
    for spec in plan:
        meta = _clip_ok(clips_dir / f"{spec.clip_id}.h5")
        if meta is None:
            raise DatasetError(where(clips_dir / f"{spec.clip_id}.h5", "clip missing after generation"))
        rows.append(_row(spec, meta))
    write_manifest(out, rows)
    return out


def _check_same_dataset(out: Path, info: dict[str, Any]) -> None:
    if not (out / "dataset.json").exists():
        return
    old = read_dataset_json(out)
    keys = ("generator", "seed", "preset", "params", "subjects", "classes", "lightings", "shard")
    diff = [k for k in keys if old.get(k) != json.loads(json.dumps(info.get(k)))]
    if diff:
        raise DatasetError(where(out, f"holds a dataset made with other {', '.join(diff)}; use a new folder to build this one"))


def merge_shards(out_dir: str | Path, shard_dirs: Sequence[str | Path]) -> Path:
    """Join shard folders made by ``synthesize(..., shard="I/N")`` into one dataset folder.

    Every shard must come from the same parameters and together they must hold every shard
    ``0..N-1``; clip files are hard-linked when possible, else copied.
    """
    import shutil

    out = Path(out_dir)
    if not shard_dirs:
        raise ParameterError("merge needs at least one shard folder")
    infos = [(Path(d), read_dataset_json(d)) for d in shard_dirs]
    first = infos[0][1]
    keys = ("generator", "seed", "preset", "params", "subjects", "classes", "lightings")
    shards: dict[int, tuple[Path, dict[str, Any]]] = {}
    n = None
    for d, info in infos:
        diff = [k for k in keys if info.get(k) != first.get(k)]
        if diff:
            raise DatasetError(where(d, f"shard made with other {', '.join(diff)} than {infos[0][0]}"))
        sh = info.get("shard")
        if not sh:
            raise DatasetError(where(d, "not a shard (dataset.json has no 'shard')"))
        if n is not None and sh[1] != n:
            raise DatasetError(where(d, f"shard {sh[0]}/{sh[1]} does not match N={n} of the others"))
        n = sh[1]
        if sh[0] in shards:
            raise DatasetError(where(d, f"shard {sh[0]}/{n} given twice (also {shards[sh[0]][0]})"))
        shards[sh[0]] = (d, info)
    missing = sorted(set(range(n)) - set(shards))
    if missing:
        raise DatasetError(f"shard(s) {missing} of {n} missing")
    rows = []
    (out / "clips").mkdir(parents=True, exist_ok=True)
    for i in sorted(shards):
        d, info = shards[i]
        shard_rows = read_manifest(d)
        if len(shard_rows) != info.get("n_clips", len(shard_rows)):
            raise DatasetError(where(d, f"manifest has {len(shard_rows)} clips, dataset.json promises {info['n_clips']}: shard unfinished"))
        for row in shard_rows:
            src, dst = d / row["file"], out / row["file"]
            if not dst.exists():
                tmp = dst.with_name(dst.name + ".tmp")
                try:
                    os.link(src, tmp)
                except OSError:
                    shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
            rows.append(row)
    merged = dict(first)
    merged["shard"] = None
    merged["n_clips"] = len(rows)
    write_dataset_json(out, merged)
    write_manifest(out, rows)
    return out
