"""The options of a session import: each event camera (:class:`EventSource`), the RGB video
(:class:`RgbSource`) and the session-wide settings (:class:`SessionOptions`), each checked when it is
made, so that a bad value is one error naming it before any file is read.

:func:`~evface.datasets.importers.session.import_session` takes them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evface.checks import as_box, as_int, numbers, sensor_dims
from evface.datasets.importers.annotations import CLIP_ID, NAME_RULE
from evface.datasets.importers.au_labels import class_set
from evface.datasets.importers.registration import QualityBounds
from evface.errors import ParameterError, choose_from
from evface.sim.video_read import FPS_RANGE

SYNC_METHODS = ("auto", "trigger", "offset", "xcorr")
REGISTRATION_METHODS = ("auto", "points", "estimate", "given")
REGISTRATION_CHECKS = ("strict", "warn")
MIN_RGB_SIDE = 16
"""The smallest side of the stored RGB frames (``rgb_size``, ``--rgb-size``): the optical flow of
``--input rgb-flow`` needs the face at least 16x16 pixels in them, and the reconstruction
baselines' flow frames of 16 pixels a side (:data:`evface.inputs.flow.DIS_MIN_SIDE`; not imported:
the datasets come before the inputs); a smaller frame holds no face any task can use."""
NOMINAL = "nominal"
"""The homography (``--homography NAME=nominal``) that scales the RGB frame onto the full sensor, the
same field of view and centre (:func:`~evface.datasets.importers.registration.nominal_homography`),
made once the video's and the sensor's sizes are known."""
MAX_TRIGGER_CHANNEL = 31
"""The highest trigger input an event file names (EVT 2.0's 5-bit channel id; EVT 3.0 has 4 bits,
AEDAT 4 two inputs)."""


@dataclass(frozen=True)
class EventSource:
    """One event camera of the session.

    Parameters
    ----------
    name : str
        Sensor name in the clips (``hd``, ``lr``, ...).
    path : path
        The event file.
    model : str
        Free text stored with the clip (``evk4``, ``davis346``); a sensor evface knows
        (:data:`~evface.sim.sensors.SENSORS`) whose array is not the file's size is warned of
        (:func:`~evface.datasets.importers.calibration.model_size_note`).
    roi : (x0, y0, w, h), optional
        Crop window on the full sensor; the homography and face box refer to it.
    sync : str
        ``auto`` (triggers if the file has them on ``trigger_channel``, else ``offset_us`` if given,
        else cross-correlation; an ``offset_us`` beside such pulses, or a trigger setting without
        them, is refused rather than ignored), ``trigger``, ``offset`` or ``xcorr``.
    offset_us : int, optional
        ``t_session = t_sensor + offset_us`` (for ``offset``; also the search centre of ``xcorr``),
        within ±2**62 µs.
    trigger_channel : int
        Trigger input whose rising edges mark the RGB exposure starts, 0 to :data:`MAX_TRIGGER_CHANNEL`.
    trigger_first_frame : int
        RGB frame of the first pulse.
    registration : str
        ``auto`` (``points`` if given, else ``given`` if a homography is given, else
        ``estimate``; points and a homography together are refused: it would ignore the homography),
        ``points``, ``estimate`` or ``given``.
    points : path, optional
        Point-pair CSV (``rgb_x, rgb_y, x, y``; full-sensor coordinates).
    homography : (3, 3) or "nominal", optional
        RGB -> full-sensor homography (for ``given``; also the start of ``estimate``), or
        :data:`NOMINAL` for the nominal one of the video's and the sensor's sizes.
    sensor_size : (width, height), optional
        The full sensor's size for a file whose header gives none (an N-CARS ``.dat``, a
        headerless ``.csv``); a size the header gives wins.
    """

    name: str
    path: Path
    model: str = ""
    roi: tuple[int, int, int, int] | None = None
    sync: str = "auto"
    offset_us: int | None = None
    trigger_channel: int = 0
    trigger_first_frame: int = 0
    registration: str = "auto"
    points: Path | None = None
    homography: np.ndarray | str | None = None
    sensor_size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.sensor_size is not None:
            object.__setattr__(self, "sensor_size", sensor_dims(self.sensor_size, f"sensor {self.name!r}: sensor_size (--sensor-size)"))
        if self.sync not in SYNC_METHODS:
            raise ParameterError(f"sensor {self.name!r}: sync (--sync) must be one of the sync methods, got "
                                 f"{self.sync!r}; {choose_from(SYNC_METHODS)}")
        if self.registration not in REGISTRATION_METHODS:
            raise ParameterError(f"sensor {self.name!r}: registration (--registration) must be one of the registration "
                                 f"methods, got {self.registration!r}; {choose_from(REGISTRATION_METHODS)}")
        as_int(f"sensor {self.name!r}: trigger_channel (--trigger-channel)", self.trigger_channel, 0, MAX_TRIGGER_CHANNEL)
        if self.trigger_first_frame < 0:
            raise ParameterError(f"sensor {self.name!r}: trigger_first_frame (--trigger-first-frame) is the RGB frame of the "
                                 f"first pulse, a frame index >= 0; got {self.trigger_first_frame}")
        if self.offset_us is not None:  # 2**63 overflowed in the sync (exit 1), 2**63 - 1 wrapped round
            as_int(f"sensor {self.name!r}: offset_us (--offset)", self.offset_us, -(2**62), 2**62)
        if self.sync == "offset" and self.offset_us is None:
            raise ParameterError(f"sensor {self.name!r}: sync 'offset' needs offset_us")
        if self.registration == "points" and self.points is None:
            raise ParameterError(f"sensor {self.name!r}: registration 'points' needs a point-pair file")
        if isinstance(self.homography, str) and self.homography != NOMINAL:
            raise ParameterError(f"sensor {self.name!r}: homography (--homography) is a 3x3 matrix or {NOMINAL!r}, "
                                 f"got {self.homography!r}")
        if self.registration == "given" and self.homography is None:
            raise ParameterError(f"sensor {self.name!r}: registration 'given' needs a homography")
        if self.registration == "auto" and self.points is not None and self.homography is not None:  # was: ignored
            raise ParameterError(f"sensor {self.name!r}: points (--points) and a homography (--homography) are both "
                                 f"given, and registration 'auto' takes the points, ignoring the homography; leave one out")
        check_used(self)


def check_used(source: EventSource, given: Collection[str] = ()) -> None:
    """Refuse a setting of ``source`` that its sync or registration method ignores: one away from its
    default, or one of the fields named in ``given`` at any value (the command line's per-sensor
    options, so that ``--trigger-channel hd=0`` beside ``--sync hd=xcorr`` is refused as ``hd=1`` is;
    was: accepted, as the default it equals). :class:`EventSource` checks itself with no ``given``.

    Parameters
    ----------
    source : EventSource
        The event camera.
    given : collection of str
        Fields of ``source`` that were given, whatever their value.

    Raises
    ------
    ParameterError
        Naming the sensor, the settings ignored and the methods.

    Examples
    --------
    >>> source = EventSource("hd", Path("rec.raw"), sync="xcorr")
    >>> check_used(source, given={"trigger_channel"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: sensor 'hd': trigger_channel (--trigger-channel) would be ignored with sync 'xcorr' and registration 'auto'; leave it out or choose the method that uses it
    """
    s = source
    untriggered = s.sync in ("offset", "xcorr")
    unused = [what for what, ignored in (
        ("offset_us (--offset)", s.sync == "trigger" and s.offset_us is not None),
        ("trigger_channel (--trigger-channel)", untriggered and (s.trigger_channel != 0 or "trigger_channel" in given)),
        ("trigger_first_frame (--trigger-first-frame)",
         untriggered and (s.trigger_first_frame != 0 or "trigger_first_frame" in given)),
        ("points (--points)", s.registration in ("estimate", "given") and s.points is not None),
        ("homography (--homography)", s.registration == "points" and s.homography is not None)) if ignored]
    if unused:
        raise ParameterError(f"sensor {s.name!r}: {', '.join(unused)} would be ignored with sync {s.sync!r} and "
                             f"registration {s.registration!r}; leave it out or choose the method that uses it")


MAX_EXPOSURE_US = 10_000_000
"""The longest frame exposure an RGB source takes (a 23-digit one was an overflow inside NumPy)."""


@dataclass(frozen=True)
class RgbSource:
    """The RGB video, or folder of numbered frames (:func:`~evface.sim.frame_folder.numbered_frames`), and its timing.

    Either ``timestamps`` (a text/CSV file with one exposure-start time in µs per frame; a
    header line is skipped) or ``fps`` (default: the video's own, or the frames' container
    timestamps for a video of variable frame rate, :func:`~evface.datasets.importers.rgb_timing.frame_times`; a folder states none) and ``start_us``.
    The exposure of each frame is ``exposure_us`` when given, else the timestamp file's
    ``exposure_us`` column when its header names one (``evface simulate --rgb-out`` writes such a
    file beside the video), else the frame period (a webcam indoors exposes for most of it).
    """

    path: Path
    fps: float | None = None
    start_us: int = 0
    timestamps: Path | None = None
    exposure_us: int | None = None

    def __post_init__(self) -> None:
        if self.fps is not None and not (np.isfinite(self.fps) and self.fps > 0):
            raise ParameterError(f"rgb fps must be a positive number, got {self.fps}")
        if self.fps is not None and not FPS_RANGE[0] <= self.fps <= FPS_RANGE[1]:
            raise ParameterError(f"rgb fps must be in [{FPS_RANGE[0]:g}, {FPS_RANGE[1]:g}] (frames 10 s to 1 µs apart), got {self.fps:g}")
        if self.exposure_us is not None and self.exposure_us <= 0:
            raise ParameterError(f"rgb exposure_us must be positive, got {self.exposure_us}")
        if self.exposure_us is not None and self.exposure_us > MAX_EXPOSURE_US:
            raise ParameterError(f"rgb exposure_us must be at most {MAX_EXPOSURE_US:,} µs (10 s), got {self.exposure_us}")
        if abs(self.start_us) > 2**62:
            raise ParameterError(f"rgb start_us must lie within ±2**62 µs, got {self.start_us}")
        if self.timestamps is not None and (self.fps is not None or self.start_us):
            raise ParameterError("rgb fps and start_us would be ignored: the frame times come from the timestamp "
                                 f"file {self.timestamps}; give one or the other")


@dataclass(frozen=True)
class SessionOptions:
    """Session-wide options.

    The face box of each clip is its annotation row's (``face_x`` ... columns) or else
    ``face_box`` (RGB pixels of the video) when given: it wins over the detector. Otherwise it is the Haar-cascade face found at one place in the most of the
    clip's apex frame and frames spread over the clip (:func:`~evface.datasets.importers.face_box.detect_face`), where implausible
    detections (a side under ``min_face`` of the frame's shorter side, sides unequal by more than
    :data:`~evface.datasets.importers.face_box.MAX_FACE_ASPECT`) are dropped with a warning, and a box found in fewer than half the
    frames, or in no more than another place, is a warning too; without
    any, the import stops: training crops clips to it. ``registration_check`` is
    ``strict`` (an implausible homography or face box stops the import) or ``warn`` (kept, with
    a warning); ``bounds`` are the limits. ``classes`` names an AU class set
    (:data:`evface.face.aus.CLASS_SETS`): each clip is then labelled with the class whose AUs it
    shows (:func:`label_from_classes`; this replaces the CSV's labels) and clips that match no
    class are skipped and listed in the report.
    """

    subject: str | None = None
    lighting: str = "unknown"
    max_offset_us: int = 5_000_000
    min_confidence: float = 0.3
    rgb_size: tuple[int, int] | None = None
    detect_faces: bool = True
    face_box: tuple[float, float, float, float] | None = None
    min_face: float = 0.1
    registration_check: str = "strict"
    bounds: QualityBounds = QualityBounds()
    classes: str | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        numbers(self, "max_offset_us", "min_confidence", "min_face")
        if self.subject is not None and not CLIP_ID.match(str(self.subject)):  # the rule of the table's subjects
            raise ParameterError(f"subject (--subject) {self.subject!r} {NAME_RULE}")
        if self.registration_check not in REGISTRATION_CHECKS:
            raise ParameterError(f"registration_check must be one of the registration checks, got {self.registration_check!r}; "
                                 f"{choose_from(REGISTRATION_CHECKS)}")
        if not 0 < self.min_face < 1:
            raise ParameterError(f"min_face is a fraction of the frame's shorter side in (0, 1), got {self.min_face}")
        if self.max_offset_us <= 0:
            raise ParameterError(f"max_offset_us must be positive, got {self.max_offset_us}")
        if not 0 <= self.min_confidence <= 1:
            raise ParameterError(f"min_confidence is a confidence in [0, 1], got {self.min_confidence}")
        if self.face_box is not None:
            as_box("face_box", self.face_box)
        if self.classes is not None:  # was: checked only after the passes over the event files and the video
            class_set(self.classes)
        if self.rgb_size is not None:  # 0 was a singular homography and -5 OpenCV's assertion, both after the scans (exit 1)
            object.__setattr__(self, "rgb_size", sensor_dims(self.rgb_size, "rgb_size"))
            _check_rgb_size(self.rgb_size)


def _check_rgb_size(size: tuple[int, int]) -> None:
    """A ParameterError naming ``rgb_size`` (``--rgb-size`` on the command line) and
    :data:`MIN_RGB_SIDE` where a side of ``size`` is under it (was: 1x1 frames stored).

    Examples
    --------
    >>> _check_rgb_size((16, 120))
    >>> _check_rgb_size((1, 1))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: rgb_size 1x1: the stored RGB frames need at least 16 pixels a side (the face at least 16x16 for the optical flow of rgb-flow and the reconstruction baselines); give a larger size, or none to store the video's own
    """
    if min(size) < MIN_RGB_SIDE:
        raise ParameterError(f"rgb_size {size[0]}x{size[1]}: the stored RGB frames need at least {MIN_RGB_SIDE} pixels "
                             f"a side (the face at least {MIN_RGB_SIDE}x{MIN_RGB_SIDE} for the optical flow of rgb-flow "
                             "and the reconstruction baselines); give a larger size, or none to store the video's own")
