"""Import a recording session (event cameras + an RGB video + annotations) as a dataset folder.

A session is one event file per event camera (any format the I/O layer reads: Prophesee
``.raw`` EVT2/EVT3, ``.dat``, iniVation ``.aedat4``, ``.es``, ``.csv``), one RGB video (anything
OpenCV reads) with either a per-frame timestamp file or a frame rate and start time, and an
annotation CSV (:mod:`evface.datasets.importers.annotations`). The RGB clock is the session clock.

Steps (event files and the video are streamed a few times each: scan, triggers, registration,
cutting; nothing is held whole in memory, and at most one clip's events at a time):

1. validate every file and the annotation table against the RGB recording;
2. read the trigger pulses of each event file whose sync they decide (``auto`` without an offset),
   scan the video: frame count, and the frame-difference energy and change image when a sync or
   registration may use them; scan each event file: sensor size, time range, event-rate
   histogram and external triggers;
3. synchronise each event camera (:mod:`~evface.datasets.importers.sync`) and check that every clip
   lies inside every recording;
4. register each event camera to the RGB frame (:mod:`~evface.datasets.importers.registration`;
   estimation takes one more pass for the event counts over the RGB recording's span) and check
   that the homography is plausible (rejected, or kept with a warning under
   ``registration_check="warn"``);
5. cut the clips one by one in time order, each event file read once from start to end (events
   shifted to the clip's start, cropped to the ROI; RGB frames whose exposure starts inside the
   clip, read in groups that fit in memory), take the face box (``face_box`` if given, else the
   detector's) and map it into each sensor, checking that it stays undistorted and inside the
   sensor window, and write the clips, the manifest and ``dataset.json`` into ``OUT.partial``,
   renamed to ``OUT`` only when everything is written.

The passes over the files are :mod:`~evface.datasets.importers.event_scan` (event files) and
:mod:`~evface.datasets.importers.rgb_scan` (the RGB video or folder of frames); the face search is
:mod:`~evface.datasets.importers.face_box`.

Frame timing (the one convention of evface, shared with ``evface simulate``): frame ``k``'s
timestamp is the **start of its exposure**, and the frame shows the scene averaged over
``[t_k, t_k + exposure_us)``, so it is compared with the events at its mid-exposure.
Problems that do not stop the import are returned in the report's ``warnings`` (the CLI prints
them).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface import __version__
from evface.checks import as_box, numbers, sensor_dims, within_memory
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_replaceable, publish_partial, remove_partial
from evface.io.manifest import write_manifest
from evface.datasets.importers.annotations import class_set, label_from_classes, read_annotations
from evface.datasets.importers.event_scan import EventScan, EventWindows, count_image, event_file_triggers, scan_event_file
from evface.datasets.importers.face_box import FACE_FRAMES, detect_face
from evface.datasets.importers.registration import (
    QualityBounds,
    Registration,
    RegistrationError,
    box_distortion,
    box_kept,
    crop_homography,
    describe_cut,
    estimate_homography,
    homography_from_points,
    homography_quality,
    map_box,
    nominal_homography,
    quality_problems,
    read_point_pairs,
)
from evface.datasets.importers.rgb_scan import FrameReader, VideoScan, read_frame_times, scan_video
from evface.datasets.importers.sync import SyncError, SyncResult, sync_by_xcorr, sync_from_triggers
from evface.errors import DatasetError, FormatError, ParameterError, where
from evface.io.event_reader import SIZE_HINT
from evface.events.ops import crop
from evface.sim.video import FPS_RANGE

Progress = Callable[[str, float], None]
"""``progress(stage, fraction_done)``; the CLI draws it, the library never prints."""

SYNC_METHODS = ("auto", "trigger", "offset", "xcorr")
REGISTRATION_METHODS = ("auto", "points", "estimate", "given")
BATCH_BYTES = 1 << 28
"""RGB frames are read in groups of clips whose frames (at the video's size) fit in this many bytes."""
REGISTRATION_CHECKS = ("strict", "warn")
MIN_FACE_KEPT = 0.98
"""A sensor window that keeps less of the face box than this gets a warning."""


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
        Free text stored with the clip (``evk4``, ``davis346``).
    roi : (x0, y0, w, h), optional
        Crop window on the full sensor; the homography and face box refer to it.
    sync : str
        ``auto`` (triggers if the file has them on ``trigger_channel``, else ``offset_us`` if given,
        else cross-correlation; an ``offset_us`` beside such pulses, or a trigger setting without
        them, is refused rather than ignored), ``trigger``, ``offset`` or ``xcorr``.
    offset_us : int, optional
        ``t_session = t_sensor + offset_us`` (for ``offset``; also the search centre of ``xcorr``).
    trigger_channel : int
        Trigger input whose rising edges mark the RGB exposure starts.
    trigger_first_frame : int
        RGB frame of the first pulse.
    registration : str
        ``auto`` (``points`` if given, else ``given`` if a homography is given, else
        ``estimate``), ``points``, ``estimate`` or ``given``.
    points : path, optional
        Point-pair CSV (``rgb_x, rgb_y, x, y``; full-sensor coordinates).
    homography : (3, 3), optional
        RGB -> full-sensor homography (for ``given``; also the start of ``estimate``).
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
    homography: np.ndarray | None = None
    sensor_size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.sensor_size is not None:
            object.__setattr__(self, "sensor_size", sensor_dims(self.sensor_size, f"sensor {self.name!r}: sensor_size (--sensor-size)"))
        if self.sync not in SYNC_METHODS:
            raise ParameterError(f"sensor {self.name!r}: sync must be one of {SYNC_METHODS}, got {self.sync!r}")
        if self.registration not in REGISTRATION_METHODS:
            raise ParameterError(f"sensor {self.name!r}: registration must be one of {REGISTRATION_METHODS}, got {self.registration!r}")
        if self.trigger_first_frame < 0:
            raise ParameterError(f"sensor {self.name!r}: trigger_first_frame (--trigger-first-frame) is the RGB frame of the "
                                 f"first pulse, a frame index >= 0; got {self.trigger_first_frame}")
        if self.sync == "offset" and self.offset_us is None:
            raise ParameterError(f"sensor {self.name!r}: sync 'offset' needs offset_us")
        if self.registration == "points" and self.points is None:
            raise ParameterError(f"sensor {self.name!r}: registration 'points' needs a point-pair file")
        if self.registration == "given" and self.homography is None:
            raise ParameterError(f"sensor {self.name!r}: registration 'given' needs a homography")
        unused = [what for what, ignored in (
            ("offset_us (--offset)", self.sync == "trigger" and self.offset_us is not None),
            ("trigger_channel (--trigger-channel)", self.sync in ("offset", "xcorr") and self.trigger_channel != 0),
            ("trigger_first_frame (--trigger-first-frame)", self.sync in ("offset", "xcorr") and self.trigger_first_frame != 0),
            ("points (--points)", self.registration in ("estimate", "given") and self.points is not None),
            ("homography (--homography)", self.registration == "points" and self.homography is not None)) if ignored]
        if unused:
            raise ParameterError(f"sensor {self.name!r}: {', '.join(unused)} would be ignored with sync {self.sync!r} and "
                                 f"registration {self.registration!r}; leave it out or choose the method that uses it")


MAX_EXPOSURE_US = 10_000_000
"""The longest frame exposure an RGB source takes (a 23-digit one was an overflow inside NumPy)."""


@dataclass(frozen=True)
class RgbSource:
    """The RGB video, or folder of numbered frames (:func:`~evface.sim.video.numbered_frames`), and its timing.

    Either ``timestamps`` (a text/CSV file with one exposure-start time in µs per frame; a
    header line is skipped) or ``fps`` (default: the video's own, or the frames' container
    timestamps for a video of variable frame rate, :func:`frame_times`; a folder states none) and ``start_us``.
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
        if self.registration_check not in REGISTRATION_CHECKS:
            raise ParameterError(f"registration_check must be one of {REGISTRATION_CHECKS}, got {self.registration_check!r}")
        if not 0 < self.min_face < 1:
            raise ParameterError(f"min_face is a fraction of the frame's shorter side in (0, 1), got {self.min_face}")
        if self.max_offset_us <= 0:
            raise ParameterError(f"max_offset_us must be positive, got {self.max_offset_us}")
        if not 0 <= self.min_confidence <= 1:
            raise ParameterError(f"min_confidence is a confidence in [0, 1], got {self.min_confidence}")
        if self.face_box is not None:
            as_box("face_box", self.face_box)


def frame_times(rgb: RgbSource, scan: VideoScan) -> tuple[np.ndarray, np.ndarray]:
    """Exposure start and exposure time (µs) of every frame on the session clock (:class:`RgbSource`):
    from the timestamp file, else at ``i / fps`` from ``start_us``, or at the frames' container
    timestamps when the rate is the video's own and they stray from it (:func:`container_timed`)."""
    exposure = None
    if rgb.timestamps is not None:
        t, exposure = read_frame_times(rgb.timestamps)
        if t.size != scan.n_frames:
            what = "folder" if rgb.path.is_dir() else "video"
            raise DatasetError(where(rgb.timestamps, f"{t.size} timestamps but the {what} {rgb.path} has {scan.n_frames} frames"))
    else:
        fps = rgb.fps or scan.fps
        if not fps or fps <= 0:
            what = "a folder of frames states no" if rgb.path.is_dir() else "the video does not state its"
            raise ParameterError(f"{rgb.path}: {what} frame rate; give fps (--rgb-fps) or a timestamp file (--rgb-timestamps)")
        if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:  # frames hours apart, or several in one µs
            raise ParameterError(f"{rgb.path}: the video states {fps:g} fps, outside [{FPS_RANGE[0]:g}, {FPS_RANGE[1]:g}] "
                                 "(frames 10 s to 1 µs apart); give fps (--rgb-fps) or a timestamp file (--rgb-timestamps)")
        t = rgb.start_us + (scan.times_us if container_timed(rgb, scan) else _at_rate(scan.n_frames, fps))
    if rgb.exposure_us is not None:
        exposure = np.full(t.size, int(rgb.exposure_us), np.int64)
    elif exposure is None:
        exposure = np.full(t.size, int(np.median(np.diff(t))), np.int64)
    return t, exposure


def _at_rate(n_frames: int, fps: float) -> np.ndarray:
    """Frame ``i`` at ``i / fps``, in µs."""
    return np.round(np.arange(n_frames) * 1e6 / fps).astype(np.int64)


def container_timed(rgb: RgbSource, scan: VideoScan) -> bool:
    """Whether :func:`frame_times` places the frames at their container timestamps: no timestamp
    file and no ``fps`` given, and some frame's container timestamp more than half a frame period
    from ``i / fps`` at the video's own rate (a variable-frame-rate video: phones, webcams).

    Examples
    --------
    >>> scan = VideoScan(4, (8, 8), 30.0, None, None, np.array([0, 33333, 100000, 133333]))
    >>> container_timed(RgbSource(Path("v.mp4")), scan), container_timed(RgbSource(Path("v.mp4"), fps=30.0), scan)
    (True, False)
    >>> container_timed(RgbSource(Path("v.mp4")), VideoScan(4, (8, 8), 30.0, None, None))  # no container timestamps
    False
    """
    if rgb.timestamps is not None or rgb.fps is not None or scan.times_us is None or not scan.fps > 0:
        return False
    return bool(np.abs(scan.times_us - _at_rate(scan.n_frames, scan.fps)).max() > 0.5e6 / scan.fps)


def variable_rate_note(rgb: RgbSource, scan: VideoScan) -> str | None:
    """The one line that tells that a variable-frame-rate video's frames were placed at their
    container timestamps (:func:`container_timed`), else None.

    Examples
    --------
    >>> scan = VideoScan(4, (8, 8), 30.0, None, None, np.array([0, 33333, 100000, 133333]))
    >>> variable_rate_note(RgbSource(Path("v.mp4")), scan)  # doctest: +NORMALIZE_WHITESPACE
    "v.mp4: variable frame rate (frame intervals 33.3-66.7 ms, the video states 30 fps): frames placed at the
    container's timestamps; give --rgb-fps to place frame k at k / fps, or the camera's --rgb-timestamps"
    """
    if not container_timed(rgb, scan):
        return None
    gaps = np.diff(scan.times_us) / 1000.0
    return where(rgb.path, f"variable frame rate (frame intervals {gaps.min():.1f}-{gaps.max():.1f} ms, the video states "
                           f"{scan.fps:g} fps): frames placed at the container's timestamps; give --rgb-fps to place "
                           "frame k at k / fps, or the camera's --rgb-timestamps")


def _timing(rgb: RgbSource, scan: VideoScan) -> str:
    """Where the frame times of the import record come from: ``timestamps`` (the file), ``container``
    (a variable-frame-rate video's own timestamps) or ``fps`` (``i / fps``)."""
    return "timestamps" if rgb.timestamps is not None else "container" if container_timed(rgb, scan) else "fps"


def cut_clip_events(windows: EventWindows, sync: SyncResult, roi: tuple[int, int, int, int] | None,
                    start_us: int, end_us: int) -> np.ndarray:
    """The events of one clip ``[start_us, end_us)`` (session clock), on the clip's clock
    (0 = start) and cropped to ``roi``."""
    ev = windows.take(int(sync.to_sensor_us(start_us)) - 2, int(sync.to_sensor_us(end_us)) + 2)
    if sync.drift_ppm == 0.0:
        ev["t"] += sync.offset_us - start_us  # in place: a clip's events can be hundreds of MB
    else:
        ev["t"] = sync.to_session_us(ev["t"]) - start_us
    ev = ev[np.searchsorted(ev["t"], 0):np.searchsorted(ev["t"], end_us - start_us)]  # sorted: a view, not a copy
    return crop(ev, roi) if roi is not None else ev


def _sync_undecided(source: EventSource) -> bool:
    """Whether the sync of ``source`` depends on its file's trigger pulses: ``auto`` without an
    offset or trigger settings (triggers if the file has them, else cross-correlation)."""
    return (source.sync == "auto" and source.offset_us is None
            and source.trigger_channel == 0 and source.trigger_first_frame == 0)


def _rising(source: EventSource, triggers: np.ndarray) -> np.ndarray:
    """The rising trigger edges on the trigger channel of ``source``."""
    return triggers[(triggers["channel"] == source.trigger_channel) & triggers["rising"]]


def _uses_motion(source: EventSource, triggers: np.ndarray | None = None) -> bool:
    """Whether the sync or registration of ``source`` may use the RGB video's motion
    (:class:`~evface.datasets.importers.rgb_scan.VideoScan`'s energy or change): cross-correlation, which ``auto`` falls back to
    without an offset, trigger settings or pulses in the file (``triggers``, read before the RGB
    scan for such a source), or an estimated homography."""
    xcorr = source.sync == "xcorr" or (_sync_undecided(source) and not (triggers is not None and _rising(source, triggers).size))
    estimate = source.registration == "estimate" or (source.registration == "auto" and source.points is None
                                                      and source.homography is None)
    return xcorr or estimate


def _check_clip_frames(rows: list, clip_frames: dict[str, np.ndarray], size: tuple[int, int],
                       annotations: str | Path) -> None:
    """Refuse a clip without an RGB frame, or one whose frames at the stored ``size`` would not fit
    in memory (:func:`~evface.checks.within_memory`): a clip's frames are read whole and stacked
    into the clip, however many groups of :data:`BATCH_BYTES` they make."""
    for a in rows:
        n = int(clip_frames[a.clip_id].size)
        if n == 0:
            raise DatasetError(f"{annotations}: line {a.line}: clip {a.clip_id} contains no RGB frame")
        within_memory(2 * n * 3 * size[0] * size[1],  # the frames read, and their stack in the clip
                      f"{annotations}: line {a.line}: clip {a.clip_id} ({n} RGB frames of {size[0]}x{size[1]}, written in one piece)",
                      "store smaller frames with --rgb-size W,H (SessionOptions(rgb_size=(width, height)) from Python), "
                      "or cut the clip shorter")


def _batches(rows: list, clip_frames: dict[str, np.ndarray], frame_bytes: int, budget_bytes: int) -> list[list]:
    """Consecutive clips grouped so that each group's RGB frames (``clip_frames``: each clip's frame
    indices) fit in ``budget_bytes``."""
    out, cur, size = [], [], 0
    for a in rows:
        need = clip_frames[a.clip_id].size * frame_bytes
        if cur and size + need > budget_bytes:
            out.append(cur)
            cur, size = [], 0
        cur.append(a)
        size += need
    return out + ([cur] if cur else [])


def _scan(source: EventSource, triggers: np.ndarray | None = None) -> EventScan:
    """:func:`~evface.datasets.importers.event_scan.scan_event_file` of one event camera (its
    ``triggers`` when already read); a file without a size asks for ``--sensor-size NAME=WxH``."""
    return _asking_size(source, lambda: scan_event_file(source.path, sensor_size=source.sensor_size, triggers=triggers))


def _triggers(source: EventSource) -> np.ndarray:
    """:func:`~evface.datasets.importers.event_scan.event_file_triggers` of one event camera; a
    file without a size asks for ``--sensor-size NAME=WxH``."""
    return _asking_size(source, lambda: event_file_triggers(source.path, source.sensor_size))


def _asking_size(source: EventSource, read: Callable[[], Any]) -> Any:
    """``read()``, its FormatError for a file without a sensor size naming ``--sensor-size NAME=WxH``."""
    try:
        return read()
    except FormatError as exc:
        if SIZE_HINT not in str(exc):
            raise
        raise FormatError(str(exc).replace(SIZE_HINT, f"give it with --sensor-size {source.name}=WxH "
                                                      "(EventSource(sensor_size=(width, height)) from Python)")) from exc


def synchronise(source: EventSource, scan: EventScan, t_frames: np.ndarray, video: VideoScan,
                exposure_us: np.ndarray, options: SessionOptions) -> SyncResult:
    """Pick and run the sync method of one event camera (see :class:`EventSource`)."""
    method = source.sync
    trig = scan.triggers
    rising = _rising(source, trig)
    name = source.name
    if method == "auto":
        if rising.size and source.offset_us is not None:
            raise ParameterError(where(source.path, (
                f"{rising.size} trigger pulses on channel {source.trigger_channel} sync {name} exactly (--sync {name}=auto), "
                f"so --offset {name}={source.offset_us} would be ignored; leave it out, or give --sync {name}=offset to "
                "take the offset instead")))
        trigger_options = source.trigger_channel != 0 or source.trigger_first_frame != 0
        method = "trigger" if rising.size or trigger_options else ("offset" if source.offset_us is not None else "xcorr")
    if method == "trigger":
        if not rising.size:
            raise SyncError(where(source.path, _no_pulses(source, trig)))
        return sync_from_triggers(rising["t"], t_frames,
                                  first_frame=source.trigger_first_frame, source=str(source.path))
    if method == "offset":
        return SyncResult(int(source.offset_us), "given", 1.0)
    try:
        result = sync_by_xcorr(scan.rate, t_frames, video.energy, exposure_us=exposure_us, guess_us=source.offset_us or 0,
                               max_offset_us=options.max_offset_us, source=str(source.path))
    except SyncError as exc:
        raise SyncError(f"{exc} (--offset {name}=US centres the search, --max-offset-us widens it, "
                        f"--sync {name}=offset takes the offset as given)") from exc
    if result.confidence < options.min_confidence:
        raise SyncError(where(source.path, (
            f"cross-correlation offset {result.offset_us} µs has confidence {result.confidence:.2f} < "
            f"{options.min_confidence} (peak r={result.details['r_peak']:.2f}, runner-up r={result.details['r_alt']:.2f}); "
            f"give the offset (--sync {name}=offset --offset {name}=US), record triggers, or lower --min-confidence")))
    return result


def _no_pulses(source: EventSource, triggers: np.ndarray) -> str:
    """Why trigger sync found no pulse on the source's channel, and what to give instead."""
    name, channel = source.name, source.trigger_channel
    on = triggers["channel"][triggers["rising"]]
    if on.size:
        found = ", ".join(f"{int((on == c).sum())} on channel {c}" for c in np.unique(on))
        return f"no rising trigger edges on channel {channel} (the file has {found}); give --trigger-channel {name}=CH"
    without = " without --trigger-channel and --trigger-first-frame" if channel or source.trigger_first_frame else ""
    return (f"no trigger events in the event file (was the camera's trigger input enabled?); give the offset "
            f"(--sync {name}=offset --offset {name}=US) or estimate it (--sync {name}=xcorr){without}")


def register(source: EventSource, scan: EventScan, video: VideoScan, span_us: tuple[int, int] = (0, 0)) -> Registration:
    """Pick and run the registration method of one event camera (full-sensor coordinates).

    ``span_us`` is the RGB recording's span on the sensor clock (used by ``estimate``).
    """
    method = source.registration
    if method == "auto":
        method = "points" if source.points is not None else ("given" if source.homography is not None else "estimate")
    if method == "points":
        rgb_xy, sensor_xy = read_point_pairs(source.points)
        return homography_from_points(rgb_xy, sensor_xy, source=str(source.points))
    if method == "given":
        h = np.asarray(source.homography, dtype=np.float64)
        if h.shape != (3, 3) or not np.all(np.isfinite(h)):
            raise ParameterError(f"sensor {source.name!r}: the homography must be a finite 3x3 matrix")
        return Registration(h / h[2, 2], "given")
    count = count_image(source.path, scan.sensor_size, *span_us)
    try:
        return estimate_homography(count, video.change, source.homography, source=str(source.path))
    except RegistrationError as exc:
        raise RegistrationError(f"{exc}; give point pairs (--points {source.name}=CSV) or a homography "
                                f"(--homography {source.name}=H.json)") from exc


def check_registration(source: EventSource, reg: Registration, rgb_size: tuple[int, int], sensor_size: tuple[int, int],
                       options: SessionOptions) -> tuple[Registration, list[str]]:
    """The registration with its plausibility numbers (``details["quality"]``) and the warnings
    it raises; an implausible one stops the import unless ``registration_check`` is ``warn``.

    An estimate is also held to its start (the given homography or the nominal one).
    """
    reference = None
    if reg.method == "ecc":
        reference = source.homography if source.homography is not None else nominal_homography(rgb_size, sensor_size)
    quality = homography_quality(reg.homography, rgb_size, reference)
    problems = quality_problems(quality, sensor_size, options.bounds)
    reg = replace(reg, details={**reg.details, "quality": {k: (v if isinstance(v, bool) else round(v, 4)) for k, v in quality.items()}})
    if not problems:
        return reg, []
    fit = f"ECC correlation {reg.score:.3f}" if np.isfinite(reg.score) else (f"RMS error {reg.error_px:.2f} px" if np.isfinite(reg.error_px) else "")
    what = f"the {reg.method} RGB -> {source.name} homography is implausible: {', '.join(problems)}" + (f" ({fit})" if fit else "")
    if options.registration_check == "strict":
        raise RegistrationError(where(source.path, f"{what}; give point pairs (--points {source.name}=CSV) or a homography "
                                                   f"(--homography {source.name}=H.json), or keep it with --registration-check warn"))
    return reg, [where(source.path, f"{what}; kept (--registration-check warn)")]


def sensor_face_box(name: str, h: np.ndarray, box: list[float], size: tuple[int, int], options: SessionOptions,
                    clip: str, rgb_scale: np.ndarray, roi: tuple[int, int, int, int] | None = None
                    ) -> tuple[list[float], list[str]]:
    """The face box (stored RGB pixels, ``rgb_scale`` from the video's: :func:`resize_homography`)
    mapped into one sensor's window (``roi``, else the whole sensor) by ``h``, checked: a box that
    the homography distorts in the video's pixels (not a ``--rgb-size`` of another aspect), or one
    wholly outside the window, stops the import (or warns, ``registration_check="warn"``); a box
    the window cuts gives a warning."""
    mapped = map_box(h, box)
    warnings = []
    native = map_box(np.linalg.inv(rgb_scale), box)
    dist = box_distortion(h @ rgb_scale, native)
    if dist["aspect_change"] > options.bounds.max_aspect:
        what = (f"clip {clip}: the {native[2]:.0f}x{native[3]:.0f} RGB face box becomes {mapped[2]:.0f}x{mapped[3]:.0f} on {name} "
                f"(aspect changed {dist['aspect_change']:.2f}x, limit {options.bounds.max_aspect}; corners off the stored box by "
                f"{dist['corner_error_px']:.1f} px)")
        _refuse_or_keep(f"{what}: the {name} homography is wrong; give --points {name}=CSV or --homography {name}=H.json",
                        options, warnings)
    kept = box_kept(mapped, size)
    move_roi = f"widen or move --roi {name}=X0,Y0,W,H, " if roi else ""
    if kept["kept"] == 0:  # training crops every input to the box: nothing of this sensor would be left
        _refuse_or_keep(f"clip {clip}: the RGB face box {[round(v) for v in box]} lies wholly outside the {size[0]}x{size[1]} "
                        f"{name} window (at {[round(v) for v in mapped]}), so training would find no face there; "
                        f"{move_roi}check the {name} homography (--points {name}=CSV or --homography {name}=H.json) and "
                        f"the face box (--face-box X,Y,W,H)", options, warnings)
    elif kept["kept"] < MIN_FACE_KEPT:
        warnings.append(f"clip {clip}: the {size[0]}x{size[1]} {name} window {describe_cut(kept)}; {move_roi}"
                        f"frame the face inside this camera's view, or check the {name} homography")
    return mapped, warnings


def resize_homography(size: tuple[int, int], to: tuple[int, int]) -> np.ndarray:
    """The map from the pixels of a ``(width, height)`` picture to those of it resized to ``to``
    (cv2.resize keeps pixel centres).

    Examples
    --------
    >>> resize_homography((640, 360), (320, 180)).tolist()
    [[0.5, 0.0, -0.25], [0.0, 0.5, -0.25], [0.0, 0.0, 1.0]]
    """
    sx, sy = to[0] / size[0], to[1] / size[1]
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def detect_at_video_aspect(frames: list[np.ndarray], rgb_scale: np.ndarray, min_face: float) -> tuple[list[float] | None, str | None]:
    """:func:`~evface.datasets.importers.face_box.detect_face` on frames stored at another aspect
    than the video's (``rgb_scale``, :func:`resize_homography`), stretched back to the video's
    aspect first (a squashed face escapes the cascade, or gives a box of the wrong shape); the box
    in stored pixels."""
    sx, sy = rgb_scale[0, 0], rgb_scale[1, 1]
    height, width = frames[0].shape[:2]
    size = (round(width * max(sx, sy) / sx), round(height * max(sx, sy) / sy))
    if size == (width, height):
        return detect_face(frames, min_face)
    box, note = detect_face([cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames], min_face)
    return (None if box is None else map_box(resize_homography(size, (width, height)), box)), note


def _refuse_or_keep(problem: str, options: SessionOptions, warnings: list[str]) -> None:
    """Stop the import on ``problem`` (``registration_check="strict"``) or keep it as a warning."""
    if options.registration_check == "strict":
        raise RegistrationError(f"{problem}, or keep it with --registration-check warn")
    warnings.append(problem)


def _write_session_clip(tmp: Path, a: Any, events: list[EventSource], scans: dict[str, EventScan],
                        syncs: dict[str, SyncResult], regs: dict[str, Registration], homographies: dict[str, np.ndarray],
                        frames: dict[int, np.ndarray], idx: np.ndarray, t_frames: np.ndarray,
                        clip_events: dict[str, np.ndarray], exposure_us: np.ndarray, period_us: int, rgb: RgbSource,
                        rgb_scale: np.ndarray, options: SessionOptions, annotations: str | Path,
                        warnings: list[str]) -> dict[str, Any]:
    """Assemble one clip, write it into ``tmp/clips`` and return its manifest row (warnings are
    appended to ``warnings``)."""
    data = np.stack([frames[int(k)] for k in idx])
    box = None
    given = a.face_box if a.face_box is not None else options.face_box
    if given is not None:
        box = map_box(rgb_scale, given)
    elif options.detect_faces:
        apex = int(np.clip(np.searchsorted(t_frames[idx], a.apex_us, side="right") - 1, 0, idx.size - 1))
        picks = [apex, *np.linspace(0, idx.size - 1, FACE_FRAMES - 1).round().astype(int)]
        box, note = detect_at_video_aspect([data[k] for k in dict.fromkeys(picks)], rgb_scale, options.min_face)
        if note:
            warnings.append(f"clip {a.clip_id}: {note} (--min-face {options.min_face:g}; give the clip's face box in the "
                            "annotation table's face_x, face_y, face_w, face_h columns, or --face-box X,Y,W,H for every clip)")
    if box is None:
        raise DatasetError(f"{annotations}: line {a.line}: no face found in the RGB frames of clip {a.clip_id}; "
                           "give its face box (the table's face_x, face_y, face_w, face_h columns, RGB pixels), "
                           "--face-box X,Y,W,H for every clip, or lower --min-face")
    face_box = {"rgb": [round(v, 2) for v in box]}
    sensors = {}
    for s in events:
        full = scans[s.name].sensor_size
        w, h = (s.roi[2], s.roi[3]) if s.roi else full
        mapped, notes = sensor_face_box(s.name, homographies[s.name], box, (int(w), int(h)), options, a.clip_id,
                                        rgb_scale, s.roi)
        face_box[s.name] = [round(v, 2) for v in mapped]
        warnings += notes
        sensors[s.name] = SensorInfo(s.name, int(w), int(h), int(full[0]), int(full[1]),
                                     tuple(s.roi) if s.roi else (0, 0, int(full[0]), int(full[1])), s.model, {"file": str(s.path)})
    clip = Clip(
        clip_id=a.clip_id, subject=a.subject, label=a.label, aus=list(a.aus), lighting=a.lighting,
        onset_us=a.onset_us - a.start_us, apex_us=a.apex_us - a.start_us, offset_us=a.offset_us - a.start_us,
        duration_us=a.duration_us, events=clip_events, sensors=sensors,
        frames={"rgb": FrameSeries(data, t_frames[idx] - a.start_us, exposure_us[idx],
                                   fps=1e6 / period_us, model="video", params={"file": str(rgb.path)})},
        calibration={
            "homography": {s.name: homographies[s.name].tolist() for s in events},
            "face_box": face_box,
            "sync": {s.name: syncs[s.name].to_dict() for s in events},
            "registration": {s.name: regs[s.name].to_dict() for s in events},
        },
        extra={"source": "session", "annotations": str(annotations), "line": a.line, "session_start_us": a.start_us,
               "face_box_detected": given is None},
    )
    write_clip(tmp / "clips" / f"{a.clip_id}.h5", clip)
    return {"clip_id": a.clip_id, "subject": a.subject, "label": a.label, "aus": list(a.aus), "lighting": a.lighting,
            "file": f"clips/{a.clip_id}.h5", "onset_us": clip.onset_us, "apex_us": clip.apex_us,
            "offset_us": clip.offset_us, "duration_us": clip.duration_us, "source": "session"}


def import_session(
    events: list[EventSource],
    rgb: RgbSource,
    annotations: str | Path,
    out: str | Path,
    options: SessionOptions = SessionOptions(),
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import a session into the dataset folder ``out`` (see the module docstring).

    Returns
    -------
    dict
        The ``import`` section written to ``dataset.json``: per sensor the sync result
        (offset, method, confidence) and the registration (homography, method, error/score),
        and the clip ids.

    Raises
    ------
    EvfaceError
        On any bad input, before anything is written to ``out``.
    """
    out = Path(out)
    tell = progress or (lambda stage, frac: None)
    names = [s.name for s in events]
    if not events:
        raise ParameterError("a session needs at least one event file")
    if len(set(names)) != len(names):
        raise ParameterError(f"sensor names must be unique, got {names}")
    if "rgb" in names:
        raise ParameterError("'rgb' is the RGB camera's name; choose another sensor name")
    check_replaceable(out, options.overwrite)
    for s in events:
        if not Path(s.path).is_file():
            raise FormatError(where(s.path, f"event file of sensor {s.name!r} not found"))

    tell("scan triggers", 0.0)  # the pulses decide whether the RGB scan needs the motion of every frame
    pulses = {s.name: _triggers(s) for s in events if _sync_undecided(s)}
    tell("scan video", 0.0)
    video = scan_video(rgb.path, motion=any(_uses_motion(s, pulses.get(s.name)) for s in events))
    t_frames, exposure_us = frame_times(rgb, video)
    vfr = variable_rate_note(rgb, video)
    period_us = int(np.median(np.diff(t_frames)))
    rows = read_annotations(annotations, frame_times_us=t_frames, frame_period_us=period_us,
                            default_subject=options.subject, default_lighting=options.lighting)
    skipped = []
    if options.classes:
        classes = class_set(options.classes)
        labelled = [(a, label_from_classes(a.aus, classes)) for a in rows]
        skipped = [{"clip_id": a.clip_id, "aus": list(a.aus), "line": a.line} for a, lab in labelled if lab is None]
        rows = [replace(a, label=lab) for a, lab in labelled if lab is not None]
        if not rows:
            raise DatasetError(f"{annotations}: no clip matches a class of the {options.classes!r} class set")
    rec_end = int(t_frames[-1]) + period_us
    for a in rows:
        if a.start_us < int(t_frames[0]) or a.end_us > rec_end:
            raise DatasetError(f"{annotations}: line {a.line}: clip {a.clip_id} ({a.start_us}..{a.end_us} µs) lies outside "
                               f"the RGB recording ({int(t_frames[0])}..{rec_end} µs)")
    clip_frames = {a.clip_id: np.flatnonzero((t_frames >= a.start_us) & (t_frames < a.end_us)) for a in rows}
    stored = options.rgb_size or video.size  # the frames' size in the clips, and while they are held
    _check_clip_frames(rows, clip_frames, stored, annotations)

    warnings: list[str] = [vfr] if vfr else []
    scans: dict[str, EventScan] = {}
    syncs: dict[str, SyncResult] = {}
    regs: dict[str, Registration] = {}
    for i, s in enumerate(events):
        tell(f"scan {s.name}", i / len(events))
        scan = scans[s.name] = _scan(s, pulses.get(s.name))
        if s.roi is not None:
            x0, y0, w, h = s.roi
            if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > scan.sensor_size[0] or y0 + h > scan.sensor_size[1]:
                raise ParameterError(f"sensor {s.name!r}: ROI {s.roi} does not fit the {scan.sensor_size[0]}x{scan.sensor_size[1]} "
                                     f"sensor of {s.path}; give --roi {s.name}=X0,Y0,W,H within it")
        syncs[s.name] = sync = synchronise(s, scan, t_frames, video, exposure_us, options)
        # A file does not store when recording started or stopped: its first and last events bound
        # it up to the quiet time around them, so one RGB frame period of slack is allowed.
        lo = int(sync.to_session_us(scan.t_first_us)) - period_us
        hi = int(sync.to_session_us(scan.t_last_us)) + 1 + period_us
        for a in rows:
            if a.start_us < lo or a.end_us > hi:
                found = (f"by cross-correlation with confidence {sync.confidence:.2f}: if it is wrong, give "
                         f"--offset {s.name}=US or --sync {s.name}=trigger" if sync.method == "xcorr" else
                         f"as given with --offset {s.name}=US" if sync.method == "given" else "from the trigger pulses")
                raise DatasetError(f"{annotations}: line {a.line}: clip {a.clip_id} ({a.start_us}..{a.end_us} µs) lies outside "
                                   f"the {s.name} recording ({lo}..{hi} µs on the session clock, offset {sync.offset_us} µs "
                                   f"{found})")
        reg = register(s, scan, video, (int(sync.to_sensor_us(int(t_frames[0]))), int(sync.to_sensor_us(rec_end))))
        regs[s.name], notes = check_registration(s, reg, video.size, scan.sensor_size, options)
        warnings += notes

    rgb_scale = resize_homography(video.size, stored)  # native video pixels -> stored frame pixels
    homographies = {s.name: crop_homography(regs[s.name].homography, s.roi) @ np.linalg.inv(rgb_scale) for s in events}

    tmp = out.with_name(out.name + ".partial")
    remove_partial(tmp)
    (tmp / "clips").mkdir(parents=True)
    manifest = []
    ordered = sorted(rows, key=lambda a: a.start_us)
    try:
        done = 0
        cutters = {s.name: EventWindows(s.path, int(syncs[s.name].to_sensor_us(ordered[0].start_us)) - 2,
                                        sensor_size=scans[s.name].sensor_size) for s in events}
        with closing(FrameReader(rgb.path, options.rgb_size, video.size)) as reader:  # one pass over the video for all the clips
            for batch in _batches(ordered, clip_frames, 3 * stored[0] * stored[1], BATCH_BYTES):
                tell("read frames", done / len(rows))
                frames = reader.read(np.concatenate([clip_frames[a.clip_id] for a in batch]))
                for a in batch:
                    tell("cut events and write clips", done / len(rows))
                    clip_events = {s.name: cut_clip_events(cutters[s.name], syncs[s.name], s.roi, a.start_us, a.end_us) for s in events}
                    later = [b.start_us for b in ordered[done + 1:]]
                    for s in events:
                        cutters[s.name].release(int(syncs[s.name].to_sensor_us(min(later))) - 2 if later else np.iinfo(np.int64).max)
                    manifest.append(_write_session_clip(tmp, a, events, scans, syncs, regs, homographies, frames,
                                                        clip_frames[a.clip_id], t_frames, clip_events,
                                                        exposure_us, period_us, rgb, rgb_scale, options, annotations, warnings))
                    del clip_events
                    done += 1
                del frames
        report = {
            "sensors": {s.name: {"file": str(s.path), "model": s.model, "sensor_size": list(scans[s.name].sensor_size),
                                 "roi": list(s.roi) if s.roi else None, "events": scans[s.name].n_events,
                                 "sync": syncs[s.name].to_dict(), "registration": regs[s.name].to_dict()} for s in events},
            "rgb": {"file": str(rgb.path), "frames": video.n_frames, "size": list(video.size), "period_us": period_us,
                    "exposure_us": int(np.median(exposure_us)), "timing": _timing(rgb, video)},
            "annotations": str(annotations),
            "clips": [a.clip_id for a in rows],
            "skipped": skipped,
            "warnings": warnings,
        }
        write_manifest(tmp, manifest)
        write_dataset_json(tmp, {"generator": "evface import session", "version": __version__, "seed": None,
                                 "params": {"lighting": options.lighting, "subject": options.subject, "classes": options.classes}, "import": report})
        publish_partial(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tell("done", 1.0)
    return report
