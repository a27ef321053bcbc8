"""Film one clip: a face's timeline under one lighting, seen by the rig's three cameras.

``hd`` (Prophesee EVK4-like, full array read through a hardware ROI around the face), ``lr``
(iniVation DAVIS346, whole array), ``rgb`` (a 30 fps webcam at the lr field of view) and the RGB
cameras of :attr:`~evface.rig.geometry.RigParams.rgb_hd_presets` (framed like the hd ROI, at hd's
pixel size; streams named by :func:`~evface.rig.geometry.rgb_hd_stream`) turn the scene's lux
(:mod:`evface.rig.scene`) into events or frames with their own physics (:mod:`evface.sim`). The
event sensors see the scene sampled at ``scene_rate_hz`` and sub-step adaptively in between;
clean truth frames for ``hd`` and ``lr`` are kept at ``truth_rate_hz`` (stored compactly by
:func:`evface.io.clip_schema.encode_truth`).
``calibration`` records, for every camera, the face box and the affine homography from RGB pixel
coordinates to that camera's recorded window (:mod:`evface.rig.geometry`);
``calibration["frame_cameras"]`` says, for every frame stream, which event sensor's view it has
(``"lr"`` or ``"hd"``) and its camera preset, so that an input can pick the RGB camera that
matches an event sensor. :attr:`RigParams.cameras <evface.rig.geometry.RigParams.cameras>`
(:mod:`evface.rig.cameras`) sets the cameras' noise level, the light through the beam splitter,
the event sensors' hot pixels and readout limit (counted per clip in ``extra["event_readout"]``)
and the RGB cameras' Bayer filter, fixed-pattern noise and compression.

A clip's randomness comes from one :func:`clip_seed`, derived from the dataset seed and the
clip's place in the dataset plan, so subsets, shards and resumed runs film the same clip.

Examples
--------
>>> bright = ClipSpec("s000_AU4_bright_r0", "s000", 0, "AU4", (4,), "bright", 0)
>>> dim = ClipSpec("s000_AU4_dim_r0", "s000", 0, "AU4", (4,), "dim", 0)
>>> int_seed(clip_seed(0, bright)), int_seed(clip_seed(0, dim))
(372881408, 1869986946)
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evface.checks import as_int, within_memory
from evface.events.core import concatenate
from evface.face.canvas import canvas_geometry
from evface.face.identity import Identity
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries
from evface.io.manifest import names_a_file
from evface.errors import ParameterError
from evface.rig.geometry import RigGeometry, RigParams, renderer_face_fraction, rgb_hd_stream, rig_geometry
from evface.rig.lighting import Lighting
from evface.rig.scene import Scene, face_state
from evface.rig.timeline import Timeline
from evface.sim.dvs import DvsSimulator
from evface.sim.rgb import RgbCamera
from evface.sim.sensors import SENSORS

GENERATOR = "evface.data.synth"
"""The generator name recorded in every clip and in dataset.json (its 0.1 module path, kept so
that datasets stay byte-identical)."""


@dataclass(frozen=True)
class ClipSpec:
    """One planned clip; its content depends only on these fields and the dataset seed.

    Parameters
    ----------
    clip_id : str
        The clip's name; it names its file ``clips/ID.h5``.
    subject : str
        The subject's name.
    subject_index : int
        The subject's place in the dataset plan, >= 0.
    label : str
        The class label.
    aus : tuple of int
        The AUs of the class, as the timeline's expression moves them.
    lighting : str
        The lighting's name (:data:`~evface.rig.lighting.LIGHTING`).
    repetition : int
        Which repetition of this subject, class and lighting, >= 0.

    Raises
    ------
    ParameterError
        For a name that is no ``str``, a ``clip_id`` that names no file (empty, or holding ``/``
        or ``\\``: :func:`~evface.io.manifest.names_a_file`), a ``subject_index`` or
        ``repetition`` that is no integer >= 0, or ``aus`` that are no tuple of AU numbers (was:
        a ``label`` of ``None`` an ``AttributeError`` in :func:`clip_seed`, a ``subject_index`` of
        ``-1`` NumPy's "expected non-negative integer").

    Examples
    --------
    >>> ClipSpec("s000_AU4_bright_r0", "s000", -1, "AU4", (4,), "bright", 0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: ClipSpec.subject_index must be >= 0, got -1
    """

    clip_id: str
    subject: str
    subject_index: int
    label: str
    aus: tuple[int, ...]
    lighting: str
    repetition: int

    def __post_init__(self) -> None:
        for name in ("clip_id", "subject", "label", "lighting"):
            _instance(f"ClipSpec.{name}", getattr(self, name), str, "a str")
        if not names_a_file(self.clip_id):  # was: "" or "a/b" taken, the clip written as clips/.h5 or in clips/a/
            raise ParameterError(f"ClipSpec.clip_id must be non-empty, without '/' or '\\' (it names the clip's file "
                                 f"clips/ID.h5), got {self.clip_id!r}")
        for name in ("subject_index", "repetition"):
            as_int(f"ClipSpec.{name}", getattr(self, name), 0)
        _instance("ClipSpec.aus", self.aus, tuple, "a tuple of AU numbers")
        for au in self.aus:
            as_int("ClipSpec.aus", au, 0)


def _instance(name: str, value: object, kind: type | tuple[type, ...], what: str) -> None:
    """A ParameterError naming ``name`` unless ``value`` is a ``kind`` (``what``, in words)."""
    if not isinstance(value, kind):
        raise ParameterError(f"{name} must be {what}, got {value!r}")


def clip_seed(dataset_seed: int, spec: ClipSpec) -> np.random.SeedSequence:
    """Seed of one clip, from the dataset seed and the clip's place in the full plan
    (subject, class, lighting, repetition), so subsets, shards and resumed runs agree.

    Parameters
    ----------
    dataset_seed : int
        The dataset's seed, >= 0.
    spec : ClipSpec
        The clip; its ``clip_id`` and ``subject`` name do not count.

    Returns
    -------
    numpy.random.SeedSequence
        The clip's seed (:meth:`Rig.record` spawns each camera's from it).

    Raises
    ------
    ParameterError
        For a ``dataset_seed`` that is no integer >= 0 or a ``spec`` that is no :class:`ClipSpec`.

    Examples
    --------
    The same clip planned under another name has the same seed; another dataset seed changes it:

    >>> spec = ClipSpec("s000_AU4_bright_r0", "s000", 0, "AU4", (4,), "bright", 0)
    >>> renamed = ClipSpec("first", "s000", 0, "AU4", (4,), "bright", 0)
    >>> int_seed(clip_seed(0, spec)), int_seed(clip_seed(0, renamed)), int_seed(clip_seed(1, spec))
    (372881408, 372881408, 3647297886)
    """
    _instance("spec", spec, ClipSpec, "a ClipSpec")
    key = [as_int("dataset_seed", dataset_seed, 0), spec.subject_index, zlib.crc32(spec.label.encode()),
           zlib.crc32(spec.lighting.encode()), spec.repetition]
    return np.random.SeedSequence(key)


def check_head_in_roi(geometry: RigGeometry, timeline: Timeline, times_us: np.ndarray) -> None:
    """A ParameterError when the head's in-plane motion (drift, wobble, breathing, roll) at one of
    ``times_us`` moves a corner of the neutral face box out of the hd ROI window: the hd camera,
    read through that window, would film part of the face. Yaw and pitch are left out (they turn
    the face within its box).

    Parameters
    ----------
    geometry : RigGeometry
        The rig's layout: the neutral face box and the hd ROI window in canvas pixels.
    timeline : Timeline
        The clip's timeline.
    times_us : ndarray of int
        The times to check, µs from the clip's start (the scene samples).

    Raises
    ------
    ParameterError
        At the first such time, naming the pose and the options to change.

    Examples
    --------
    >>> from evface.rig.geometry import renderer_face_fraction, rig_geometry
    >>> from evface.rig.timeline import Expression, HeadMotion
    >>> g = rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=32.0))
    >>> drifting = Timeline(1_000_000, Expression((4,), 0, 0, 0, 0, 0.5), head=HeadMotion(drift=(0.2, 0.0)))
    >>> check_head_in_roi(g, drifting, np.arange(0, 1_000_001, 100_000))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: at 500000 µs the head has moved the face box out of the hd ROI window (pose dx 0.100, dy 0.000 face widths, roll 0.00 degrees): the hd camera would film part of the face; lower the timeline's head motion (drift, wobble, breathing) or raise RigParams.hd_roi_margin
    """
    fw, centre = canvas_geometry(geometry.canvas_hd)
    x, y, w, h = geometry.face_box_canvas
    corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x, y + h, 1.0], [x + w, y + h, 1.0]])
    rx, ry, rw, rh = geometry.roi_in_canvas
    for t in times_us:
        pose = face_state(timeline, int(t))[1]
        moved = corners @ pose.matrix(centre, fw).T
        if moved[:, 0].min() < rx or moved[:, 0].max() > rx + rw or moved[:, 1].min() < ry or moved[:, 1].max() > ry + rh:
            raise ParameterError(f"at {int(t)} µs the head has moved the face box out of the hd ROI window (pose dx "
                                 f"{pose.dx:.3f}, dy {pose.dy:.3f} face widths, roll {pose.roll_deg:.2f} degrees): the hd "
                                 "camera would film part of the face; lower the timeline's head motion (drift, wobble, "
                                 "breathing) or raise RigParams.hd_roi_margin")


def int_seed(ss: np.random.SeedSequence) -> int:
    """One 32-bit integer seed drawn from ``ss`` (for the camera models' ``seed`` argument).

    Parameters
    ----------
    ss : numpy.random.SeedSequence
        The seed sequence to draw from (its state is not changed).

    Returns
    -------
    int
        In ``[0, 2**32)``.

    Examples
    --------
    >>> int_seed(np.random.SeedSequence(0)), int_seed(np.random.SeedSequence([0, 1]))
    (2968811710, 3964924996)
    """
    return int(ss.generate_state(1, np.uint32)[0])


class Rig:
    """The three cameras around one identity (geometry and renderers are built once).

    Parameters
    ----------
    identity : Identity
        The face to film.
    params : RigParams
        The cameras' geometry, presets and sampling rates.

    Raises
    ------
    ParameterError
        For ``params`` that are no :class:`RigParams`, or when :class:`~evface.rig.scene.Scene`
        refuses the ``identity`` or the renderers' memory.

    Examples
    --------
    >>> from evface.face.identity import procedural_identity
    >>> from evface.rig.lighting import LIGHTING
    >>> from evface.rig.timeline import Expression, Timeline
    >>> rig = Rig(procedural_identity(0), RigParams(lr_face_px=32.0, scene_rate_hz=200.0, rgb_size=(160, 120)))
    >>> spec = ClipSpec("s000_AU4_bright_r0", "s000", 0, "AU4", (4,), "bright", 0)
    >>> timeline = Timeline(100_000, Expression((4,), 10_000, 40_000, 40_000, 90_000, 0.6))
    >>> clip = rig.record(spec, timeline, LIGHTING["bright"], clip_seed(0, spec))
    >>> sorted(clip.events), clip.truth["lr"].data.shape, clip.frames["rgb"].data.shape
    (['hd', 'lr'], (21, 260, 346), (3, 120, 160, 3))
    >>> clip.frames["rgb-webcam30-hd"].data.shape[1:3] == clip.truth["hd"].data.shape[1:]  # the hd ROI window
    True
    >>> clip.calibration["frame_cameras"]["rgb-webcam30-hd"]
    {'view': 'hd', 'preset': 'webcam30'}
    """

    def __init__(self, identity: Identity, params: RigParams):
        _instance("params", params, RigParams, "a RigParams")  # was: an AttributeError about 'hd_per_lr_pixel'
        self.params = params
        self.identity = identity
        self.geometry = rig_geometry(renderer_face_fraction(), params)
        self.scene = Scene(identity, self.geometry, params)

    def record(self, spec: ClipSpec, timeline: Timeline, lighting: Lighting, seed: np.random.SeedSequence) -> Clip:
        """Film one clip with all three cameras.

        Parameters
        ----------
        spec : ClipSpec
            The clip's name and labels: its ``aus`` and ``lighting`` must be ``timeline``'s and
            ``lighting``'s.
        timeline : Timeline
            What moves in the clip, and its duration.
        lighting : Lighting
            The illuminance on the face.
        seed : numpy.random.SeedSequence
            The clip's seed (:func:`clip_seed`).

        Returns
        -------
        Clip
            Events of ``hd`` and ``lr``, frames of every RGB camera, truth frames, calibration and
            how the clip was made (``extra``).

        Raises
        ------
        ParameterError
            For an argument of another type, a ``spec`` whose ``aus`` or ``lighting`` are not the
            timeline's expression's or the lighting's name (the clip would be labelled with what it
            does not show), or when the event sensors' ``scene_rate_hz`` is below twice the
            lighting's flicker or a frequency of the head's motion (either would be filmed as a
            slower one), the head moves the face out of the hd ROI (:func:`check_head_in_roi`), or
            the clip's truth frames would not fit in memory.
        """
        _check_record_args(spec, timeline, lighting, seed)
        sampling = _sampling(self.params, timeline.duration_us)
        self._check_filmable(timeline, lighting, sampling)
        seeds = _camera_seeds(seed)
        pixel_events, truth = self._film_event_sensors(timeline, lighting, sampling, seeds)
        frames, frame_cameras = self._film_rgb_cameras(timeline, lighting, seeds)
        events, readout = self._event_output(pixel_events, timeline.duration_us, seeds)
        expr = timeline.expression
        return Clip(
            clip_id=spec.clip_id, subject=spec.subject, label=spec.label, aus=list(spec.aus), lighting=spec.lighting,
            onset_us=expr.onset_us, apex_us=expr.apex_us, offset_us=expr.offset_us, duration_us=timeline.duration_us,
            events=events,
            sensors=self._sensor_info(),
            frames=frames,
            truth=truth,
            calibration=self._calibration(frame_cameras),
            extra=self._extra(spec, timeline, lighting, readout),
        )

    def _check_filmable(self, timeline: Timeline, lighting: Lighting, sampling: _Sampling) -> None:
        """A ParameterError when ``scene_rate_hz`` would film the lighting's flicker or the head's
        motion as a slower one, the head leaves the hd ROI at a scene sample, or the truth frames
        would not fit in memory."""
        rp = self.params
        lighting.check_sampled(rp.scene_rate_hz, "scene_rate_hz")  # was: a 120 Hz flicker filmed as 80 Hz at 200 Hz
        timeline.head.check_sampled(rp.scene_rate_hz, "scene_rate_hz")  # was: a 150 Hz wobble filmed as 50 Hz at 200 Hz
        g = self.geometry
        check_head_in_roi(g, timeline, sampling.times_us())  # was: a face cut by the ROI, silently
        lr_w, lr_h = SENSORS[rp.lr_preset].size
        within_memory(4 * sampling.n_truth * (g.roi[2] * g.roi[3] + lr_w * lr_h),
                      f"the truth frames of a {timeline.duration_us} µs clip",
                      "film a shorter timeline (duration_us) or lower truth_rate_hz")

    def _film_event_sensors(self, timeline: Timeline, lighting: Lighting, sampling: _Sampling,
                            seeds: _CameraSeeds) -> tuple[dict[str, np.ndarray], dict[str, TruthSeries]]:
        """Step the scene through the clip: the events of the hd and lr pixels (before hot pixels
        and readout) and, every ``sampling.truth_every``-th step, their clean truth frames."""
        rp = self.params
        cams = rp.cameras
        g = self.geometry
        lr_size = SENSORS[rp.lr_preset].size
        hd_sim = DvsSimulator(g.roi[2:], cams.event_params(rp.hd_preset), seed=seeds.hd)
        lr_sim = DvsSimulator(lr_size, cams.event_params(rp.lr_preset), seed=seeds.lr)
        truth_hd = np.empty((sampling.n_truth, g.roi[3], g.roi[2]), np.float32)
        truth_lr = np.empty((sampling.n_truth, *lr_size[::-1]), np.float32)
        hd_events: list[np.ndarray] = []
        lr_events: list[np.ndarray] = []
        truth_t: list[int] = []
        for k in range(sampling.n_steps + 1):
            t_us = int(round(k * sampling.step_us))
            hd, lr = self.scene.views(timeline, t_us, lighting.lux_at(t_us))
            hd_events.append(hd_sim.step(hd * cams.event_transmission, t_us))
            lr_events.append(lr_sim.step(lr * cams.event_transmission, t_us))
            if k % sampling.truth_every == 0:
                truth_hd[len(truth_t)] = hd
                truth_lr[len(truth_t)] = lr
                truth_t.append(t_us)
        truth_t_arr = np.asarray(truth_t, np.int64)
        return ({"hd": concatenate(hd_events), "lr": concatenate(lr_events)},
                {"hd": TruthSeries(truth_hd, truth_t_arr), "lr": TruthSeries(truth_lr, truth_t_arr)})

    def _film_rgb_cameras(self, timeline: Timeline, lighting: Lighting,
                          seeds: _CameraSeeds) -> tuple[dict[str, FrameSeries], dict[str, dict[str, str]]]:
        """The frames of the ``rgb`` camera (lr view) and of each of ``rgb_hd_presets`` (hd view),
        and each stream's view and preset (``calibration["frame_cameras"]``)."""
        rp = self.params
        cams = rp.cameras
        rgb_light = cams.rgb_transmission
        frames = {"rgb": RgbCamera(cams.rgb_params(rp.rgb_preset), seed=seeds.rgb, fpn_seed=cams.camera_seed("rgb")).capture(
            lambda t: self.scene.rgb(timeline, int(t), lighting.lux_at(int(t))) * rgb_light, 0, timeline.duration_us
        )}
        frame_cameras = {"rgb": {"view": "lr", "preset": rp.rgb_preset}}
        for preset in rp.rgb_hd_presets:
            name = rgb_hd_stream(preset)
            cam_seed = int_seed(np.random.SeedSequence([seeds.hd_view, zlib.crc32(preset.encode())]))
            frames[name] = RgbCamera(cams.rgb_params(preset), seed=cam_seed, fpn_seed=cams.camera_seed(name)).capture(
                lambda t: self.scene.rgb_hd(timeline, int(t), lighting.lux_at(int(t))) * rgb_light, 0,
                timeline.duration_us,
            )
            frame_cameras[name] = {"view": "hd", "preset": preset}
        return frames, frame_cameras

    def _event_output(self, pixel_events: dict[str, np.ndarray], duration_us: int,
                      seeds: _CameraSeeds) -> tuple[dict[str, np.ndarray], dict[str, dict[str, int]]]:
        """The events that leave the hd and lr cameras (hot pixels added, readout limited:
        :meth:`~evface.rig.cameras.CameraSettings.event_output`) and each one's readout counts."""
        rp = self.params
        events = {}
        readout = {}
        for role, sensor, window, hot_seed in (
            ("hd", rp.hd_preset, self.geometry.roi, seeds.hot_hd),
            ("lr", rp.lr_preset, (0, 0, *SENSORS[rp.lr_preset].size), seeds.hot_lr),
        ):
            events[role], readout[role] = rp.cameras.event_output(role, sensor, pixel_events[role], window,
                                                                  duration_us, hot_seed)
        return events, readout

    def _sensor_info(self) -> dict[str, SensorInfo]:
        """The recorded window, array size, preset and DVS parameters of the hd and lr sensors."""
        rp = self.params
        g = self.geometry
        (lr_w, lr_h), (hd_w, hd_h) = SENSORS[rp.lr_preset].size, SENSORS[rp.hd_preset].size
        return {
            "hd": SensorInfo("hd", g.roi[2], g.roi[3], hd_w, hd_h, g.roi, rp.hd_preset,
                             rp.cameras.event_params(rp.hd_preset).to_dict()),
            "lr": SensorInfo("lr", lr_w, lr_h, lr_w, lr_h, (0, 0, lr_w, lr_h), rp.lr_preset,
                             rp.cameras.event_params(rp.lr_preset).to_dict()),
        }

    def _calibration(self, frame_cameras: dict[str, dict[str, str]]) -> dict[str, Any]:
        """Every camera's face box and homography from RGB pixels, the sensors' pixel pitch, and
        ``frame_cameras`` (the view and preset of each frame stream)."""
        rp = self.params
        g = self.geometry
        return {
            "face_box": {**{cam: g.face_box(cam) for cam in ("hd", "lr", "rgb")},
                         **{rgb_hd_stream(p): g.face_box("hd") for p in rp.rgb_hd_presets}},
            "homography": {cam: g.homography(cam) for cam in ("hd", "lr", "rgb")},
            "pixel_pitch_um": {"hd": SENSORS[rp.hd_preset].pixel_pitch_um, "lr": SENSORS[rp.lr_preset].pixel_pitch_um},
            "hd_per_lr_pixel": rp.hd_per_lr_pixel,
            "coordinates": "pixel (i, j) has its centre at (i, j); homography maps RGB (x, y, 1) to the sensor's recorded window",
            "frame_cameras": frame_cameras,
        }

    def _extra(self, spec: ClipSpec, timeline: Timeline, lighting: Lighting,
               readout: dict[str, dict[str, int]]) -> dict[str, Any]:
        """What the clip records of how it was made: generator, identity, lighting, the
        timeline's expression, blinks, head motion and gaze, the scene rate, and ``readout``."""
        expr = timeline.expression
        return {
            "generator": GENERATOR,
            "identity": {"name": self.identity.name, "kind": self.identity.kind},
            "repetition": spec.repetition,
            "lux": lighting.lux,
            "flicker_hz": lighting.flicker_hz,
            "intensity": expr.intensity,
            "hold_end_us": expr.hold_end_us,
            "blinks_us": [[b.start_us, b.closed_us, b.end_us] for b in timeline.blinks],
            "head_motion": asdict(timeline.head),
            "au_curves": [asdict(c) for c in expr.au_curves()],
            "gaze": {"start_deg": list(timeline.gaze_start_deg), "saccades": [asdict(s) for s in timeline.saccades]},
            "scene_rate_hz": self.params.scene_rate_hz,
            "canvas_hd": list(self.geometry.canvas_hd),
            "truth_units": "lux (scene luminance on the sensor grid, before any camera)",
            "event_readout": readout,
        }


@dataclass(frozen=True)
class _Sampling:
    """When the event sensors see the scene in one clip: ``n_steps + 1`` samples ``step_us``
    apart from 0, a truth frame at every ``truth_every``-th (``n_truth`` in all)."""

    step_us: float
    n_steps: int
    truth_every: int
    n_truth: int

    def times_us(self) -> np.ndarray:
        """The sample times, rounded to whole µs."""
        return np.round(np.arange(self.n_steps + 1) * self.step_us)


def _sampling(params: RigParams, duration_us: int) -> _Sampling:
    """The scene samples of a clip of ``duration_us`` at ``params``' scene and truth rates."""
    step_us = 1e6 / params.scene_rate_hz
    n_steps = int(round(duration_us / step_us))
    truth_every = int(round(params.scene_rate_hz / params.truth_rate_hz))
    return _Sampling(step_us, n_steps, truth_every, n_steps // truth_every + 1)


@dataclass(frozen=True)
class _CameraSeeds:
    """The seeds of one clip's cameras: the hd and lr pixels, the ``rgb`` camera, the hd-view
    RGB cameras (one per preset is derived from ``hd_view``) and the hd and lr hot pixels."""

    hd: int
    lr: int
    rgb: int
    hd_view: int
    hot_hd: int
    hot_lr: int


def _camera_seeds(seed: np.random.SeedSequence) -> _CameraSeeds:
    """The camera seeds spawned from a clip's ``seed``, in the order of the features that added
    them (hd, lr and rgb first, then the hd-view cameras, then hot pixels), so that no feature
    changed the seeds of an earlier one."""
    hd, lr, rgb = (int_seed(s) for s in seed.spawn(3))
    hd_view = int_seed(seed.spawn(1)[0])
    hot_hd, hot_lr = (int_seed(s) for s in seed.spawn(2))
    return _CameraSeeds(hd, lr, rgb, hd_view, hot_hd, hot_lr)


def _check_record_args(spec: ClipSpec, timeline: Timeline, lighting: Lighting, seed: np.random.SeedSequence) -> None:
    """A ParameterError unless :meth:`Rig.record`'s arguments have their types and ``spec``
    labels what ``timeline`` and ``lighting`` film (was: an ``AttributeError`` for another type;
    a clip labelled AU12 or "bright" that showed AU4 under another lamp)."""
    for name, value, kind in (("spec", spec, ClipSpec), ("timeline", timeline, Timeline), ("lighting", lighting, Lighting),
                              ("seed", seed, np.random.SeedSequence)):
        _instance(name, value, kind, f"a {kind.__name__}" + (" (clip_seed)" if name == "seed" else ""))
    aus = tuple(int(a) for a in timeline.expression.aus)
    if tuple(int(a) for a in spec.aus) != aus:
        raise ParameterError(f"spec.aus {spec.aus} are not the timeline's expression's aus {aus}: the clip would be "
                             "labelled with AUs it does not show")
    if spec.lighting != lighting.name:
        raise ParameterError(f"spec.lighting {spec.lighting!r} is not the lighting's name {lighting.name!r}: the clip "
                             "would be labelled with a lighting it was not filmed under")
