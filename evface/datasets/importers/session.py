"""Import a recording session (event cameras + an RGB video + annotations) as a dataset folder.

A session is one event file per event camera (any format the I/O layer reads: Prophesee
``.raw`` EVT2/EVT3, ``.dat``, iniVation ``.aedat4``, ``.es``, ``.csv``), one RGB video (anything
OpenCV reads) with either a per-frame timestamp file or a frame rate and start time, and an
annotation CSV (:mod:`evface.datasets.importers.annotations`). The RGB clock is the session clock.

Steps (event files and the video are streamed a few times each: scan, triggers, registration,
cutting; nothing is held whole in memory, and at most one clip's events at a time):

1. validate every file and the annotation table against the RGB recording;
2. read the trigger pulses of each event file whose sync they decide (``auto`` without an offset)
   where they decide whether the video scan needs the motion (no sensor uses it anyway), scan the
   video: frame count, and the frame-difference energy and change image when a sync or
   registration may use them; find each clip's face box (the table's, ``face_box`` or the
   detector's in the video's own frames: a clip without one is refused before any event is read);
   scan each event file: sensor size, time range, event-rate histogram (only where its sync may
   cross-correlate, and dropped once it is synchronised) and external triggers (read only where its
   sync takes them, ``auto``, ``trigger``, in a pass of their own only where the scan met a trigger
   edge);
3. synchronise each event camera (:mod:`~evface.datasets.importers.sync`) and check that every clip
   lies inside every recording;
4. register each event camera to the RGB frame (:mod:`~evface.datasets.importers.registration`;
   estimation takes one more pass for the event counts over the RGB recording's span) and check
   that the homography is plausible (rejected, or kept with a warning under
   ``registration_check="warn"``);
5. cut the clips one by one in time order, each event file read once from start to end (events
   shifted to the clip's start, cropped to the ROI; RGB frames whose exposure starts inside the
   clip, read in groups that fit in memory), map the face box into the stored frames and each
   sensor, checking that it stays undistorted and inside the
   sensor window, and write the clips, the manifest and ``dataset.json`` into ``OUT.partial``,
   renamed to ``OUT`` only when everything is written.

The options are :mod:`~evface.datasets.importers.session_options`'s; the passes over the files
are :mod:`~evface.datasets.importers.event_scan` (event files) and
:mod:`~evface.datasets.importers.rgb_scan` (the RGB video or folder of frames); the frame times
:mod:`~evface.datasets.importers.rgb_timing`'s; each event camera's sync, registration and face box,
as its options choose and checked, :mod:`~evface.datasets.importers.calibration`'s; the face search
is :mod:`~evface.datasets.importers.face_box`.

Frame timing (the one convention of evface, shared with ``evface simulate``): frame ``k``'s
timestamp is the **start of its exposure**, and the frame shows the scene averaged over
``[t_k, t_k + exposure_us)``, so it is compared with the events at its mid-exposure.
Problems that do not stop the import are returned in the report's ``warnings`` (the CLI prints
them), with what the library warns of while the import runs (an RGB frame decoded with damage:
:func:`~evface.datasets.importers.import_warnings.warnings_kept`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from evface import __version__
from evface.checks import within_memory
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_inputs_outside, check_replaceable, partial_of, publish_partial, remove_partial
from evface.io.manifest import write_manifest
from evface.datasets.importers.annotations import check_annotation_table, read_annotations
from evface.datasets.importers.au_labels import class_set, label_from_classes
from evface.datasets.importers.sync import event_clock_hint, rgb_clock_hint
from evface.datasets.importers.calibration import (
    always_uses_motion,
    check_point_pairs,
    check_registration,
    event_camera_triggers,
    may_use_motion,
    model_size_note,
    register,
    resize_homography,
    scan_event_camera,
    sensor_face_box,
    sync_depends_on_triggers,
    synchronise,
)
from evface.datasets.importers.event_scan import EventScan, EventWindows
from evface.datasets.importers.face_box import FACE_FRAMES, MIN_IN_FRAME, box_in_frame, face_of_detections
from evface.datasets.importers.import_warnings import warnings_kept
from evface.datasets.importers.registration import Registration, box_kept, crop_homography, map_box
from evface.datasets.importers.rgb_scan import FrameReader, VideoScan, folder_frame_size, read_frame_times, scan_video
from evface.datasets.importers.rgb_timing import frame_rate, frame_time_source, frame_times, variable_rate_note
from evface.datasets.importers.session_options import EventSource, RgbSource, SessionOptions
from evface.datasets.importers.tables import input_file
from evface.datasets.importers.sync import SyncResult
from evface.errors import DatasetError, FormatError, ParameterError
from evface.events.ops import crop
from evface.face.detect import detect_faces
from evface.sim.video_read import video_info

Progress = Callable[[str, float], None]
"""``progress(stage, fraction_done)``; the CLI draws it, the library never prints."""

BATCH_BYTES = 1 << 28
"""RGB frames are read in groups of clips whose frames (at the video's size) fit in this many bytes."""

ClipFace = tuple[list[float], str | None, bool]
"""A clip's face box ``[x, y, w, h]`` in the video's pixels, the detector's note on it (None if
none), and whether the detector found it (else the table or ``face_box`` gave it, clipped to the
frame: :func:`~evface.datasets.importers.face_box.box_in_frame`)."""

SHORT_RECORDING = 1.5
"""A clip ending past this many times the RGB recording's length (on the video's own rate) names
what the video states and ``--rgb-fps`` / ``--rgb-timestamps`` (:func:`_read_clips`)."""

FACE_BOX_OPTION = "face_box (--face-box)"
"""How the errors and warnings name ``SessionOptions.face_box``."""


def _cut_clip_events(windows: EventWindows, sync: SyncResult, roi: tuple[int, int, int, int] | None,
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


def _inputs(events: list[EventSource], rgb: RgbSource, annotations: str | Path) -> dict[str, Path | str | None]:
    """The files and folders a session import reads, by how its errors name them."""
    return {"the annotation table (--annotations)": annotations, "the RGB video (--rgb)": rgb.path,
            "the frame timestamps (--rgb-timestamps)": rgb.timestamps,
            **{f"the event file of sensor {s.name!r} (--events)": s.path for s in events},
            **{f"the point pairs of sensor {s.name!r} (--points)": s.points for s in events}}


def _check_one_file_per_sensor(events: list[EventSource]) -> None:
    """Refuse two sensors given one event file (by another name, a link too): the same events
    imported as two cameras (was: imported, each sensor's clips the other's events)."""
    for i, s in enumerate(events):
        for first in events[:i]:
            if Path(s.path).samefile(first.path):
                raise ParameterError(f"--events {s.name}={s.path}: the event file of sensor {first.name!r} "
                                     f"({first.path}) too; give each sensor its own recording")


def _check_face_box_option(options: SessionOptions, rgb: RgbSource) -> None:
    """Refuse a ``face_box`` mostly outside the video's frame before any file is scanned
    (:func:`~evface.datasets.importers.face_box.box_in_frame`, at the size OpenCV states); not where
    it fits the frame turned a quarter: a phone's rotation flag turns the decoded frames, whose size
    :func:`_given_faces` checks it against after the scan, and a backend may state the stored size
    (OpenCV's FFmpeg backend states the turned one, tests/test_sim_video.py)."""
    if options.face_box is None:
        return
    info = video_info(rgb.path)
    if box_kept(options.face_box, (info.height, info.width))["kept"] < MIN_IN_FRAME:
        box_in_frame(options.face_box, (info.width, info.height), FACE_BOX_OPTION)


def _check_first_frames(events: list[EventSource], n_frames: int, frames: str) -> None:
    """Refuse a ``trigger_first_frame`` past the last of ``n_frames`` (``frames`` says whose: the
    video's, a timestamp file's), before the event files are scanned (was: "first_frame=K is past
    the last RGB frame", naming no option, after them)."""
    for s in events:
        if s.trigger_first_frame >= n_frames:
            raise ParameterError(f"sensor {s.name!r}: trigger_first_frame (--trigger-first-frame) {s.trigger_first_frame} "
                                 f"is past the last of the {n_frames} {frames}; give --trigger-first-frame "
                                 f"{s.name}=K below {n_frames}")


def _check_first_frames_up_front(events: list[EventSource], rgb: RgbSource) -> None:
    """:func:`_check_first_frames` before any pass over a file, where the frame count is known
    without one: a folder's numbered frames, a timestamp file's rows (the frames must match them).
    A video's stated count may be wrong: its frames are counted by the RGB scan (was: a second
    camera's ``trigger_first_frame`` past a folder's frames refused after the first camera's
    trigger pass, hours into a long recording)."""
    if not any(s.trigger_first_frame for s in events):
        return
    if rgb.timestamps is not None:
        n = read_frame_times(rgb.timestamps)[0].size
        _check_first_frames(events, n, f"frame times of {rgb.timestamps}")
    elif rgb.path.is_dir():
        _check_first_frames(events, video_info(rgb.path).n_frames, f"RGB frames of {rgb.path}")


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


def _face_frames(a: Any, idx: np.ndarray, t_frames: np.ndarray) -> list[int]:
    """The frames of a clip (``idx``, its frame indices) searched for its face: the apex frame
    (the last whose exposure starts at or before the apex), then
    :data:`~evface.datasets.importers.face_box.FACE_FRAMES` - 1 spread over the clip, each once."""
    apex = int(np.clip(np.searchsorted(t_frames[idx], a.apex_us, side="right") - 1, 0, idx.size - 1))
    picks = [apex, *np.linspace(0, idx.size - 1, FACE_FRAMES - 1).round().astype(int)]
    return [int(idx[k]) for k in dict.fromkeys(picks)]


def _given_faces(rows: list, size: tuple[int, int], options: SessionOptions, annotations: str | Path,
                 warnings: list[str]) -> dict[str, list[float] | None]:
    """Each clip's given face box, its row's else ``options.face_box`` (None where neither gives
    one), clipped to the video's frame of ``size`` (:func:`~evface.datasets.importers.face_box.box_in_frame`:
    a box mostly outside it is refused naming the table line or the option; a note on a clipped
    one is appended to ``warnings``, once for the option)."""
    option = None
    if options.face_box is not None:
        option, note = box_in_frame(options.face_box, size, FACE_BOX_OPTION)
        warnings += [note] if note else []
    given = {}
    for a in rows:
        given[a.clip_id] = option
        if a.face_box is not None:
            given[a.clip_id], note = box_in_frame(a.face_box, size, f"{annotations}: line {a.line}: face_x, face_y, "
                                                  "face_w, face_h", DatasetError)
            warnings += [note] if note else []
    return given


def _clip_faces(rows: list, clip_frames: dict[str, np.ndarray], t_frames: np.ndarray, rgb: RgbSource,
                size: tuple[int, int], options: SessionOptions, annotations: str | Path,
                tell: Progress, warnings: list[str]) -> dict[str, ClipFace]:
    """Each clip's face box (:data:`ClipFace`): its row's, else ``options.face_box`` (both
    :func:`_given_faces`, notes on them appended to ``warnings``), else the
    detector's (:func:`~evface.datasets.importers.face_box.face_of_detections`) in the clip's
    :func:`_face_frames` at the video's own ``size`` (a face 90 px high in a 640x360 video is 32 px
    in 128x128 stored frames, where the cascade misses it), read in one forward pass before any
    event file is scanned, so that a clip without a face is refused in seconds; a DatasetError
    names the first such clip in time."""
    given = _given_faces(rows, size, options, annotations, warnings)
    picks = {a.clip_id: _face_frames(a, clip_frames[a.clip_id], t_frames)
             for a in rows if given[a.clip_id] is None and options.detect_faces}
    wanted = sorted(set().union(*picks.values()))
    found: dict[int, tuple[np.ndarray, int]] = {}
    per_read = max(1, BATCH_BYTES // (3 * size[0] * size[1]))
    with closing(FrameReader(rgb.path, None, size)) as reader:
        for i in range(0, len(wanted), per_read):
            tell("find faces", i / len(wanted))
            found.update((k, (detect_faces(f), min(f.shape[:2]))) for k, f in reader.read(wanted[i:i + per_read]).items())
    faces = {}
    for a in sorted(rows, key=lambda a: a.start_us):
        box, note = given[a.clip_id], None
        if a.clip_id in picks:
            box, note = face_of_detections([found[k] for k in picks[a.clip_id]], options.min_face)
        if box is None:
            raise DatasetError(f"{annotations}: line {a.line}: {_no_face(a.clip_id, options)}")
        faces[a.clip_id] = (box, note, given[a.clip_id] is None)
    return faces


def _no_face(clip_id: str, options: SessionOptions) -> str:
    """Why clip ``clip_id`` has no face box, and the options that give one: the detector found
    none, or it was turned off (``--no-faces``) and no box was given.

    Examples
    --------
    >>> _no_face("s01_a", SessionOptions(detect_faces=False)).split(";")[0]
    'clip s01_a has no face box: --no-faces (detect_faces=False) turned the face detector off'
    """
    give = ("give its face box (the table's face_x, face_y, face_w, face_h columns, RGB pixels), --face-box X,Y,W,H "
            "for every clip")
    if not options.detect_faces:
        return f"clip {clip_id} has no face box: --no-faces (detect_faces=False) turned the face detector off; {give}, or leave out --no-faces"
    return f"no face found in the RGB frames of clip {clip_id}; {give}, or lower --min-face"


def _batches(rows: list, clip_frames: dict[str, np.ndarray], frame_bytes: int, budget_bytes: int) -> list[list]:
    """Consecutive clips grouped so that each group's RGB frames (``clip_frames``: each clip's frame
    indices) fit in ``budget_bytes``."""
    out: list[list] = []
    cur: list = []
    size = 0
    for a in rows:
        need = clip_frames[a.clip_id].size * frame_bytes
        if cur and size + need > budget_bytes:
            out.append(cur)
            cur, size = [], 0
        cur.append(a)
        size += need
    return out + ([cur] if cur else [])


def _write_session_clip(tmp: Path, a: Any, events: list[EventSource], scans: dict[str, EventScan],
                        syncs: dict[str, SyncResult], regs: dict[str, Registration], homographies: dict[str, np.ndarray],
                        frames: dict[int, np.ndarray], idx: np.ndarray, t_frames: np.ndarray,
                        clip_events: dict[str, np.ndarray], exposure_us: np.ndarray, fps: float, rgb: RgbSource,
                        rgb_scale: np.ndarray, face: ClipFace, options: SessionOptions, annotations: str | Path,
                        warnings: list[str]) -> dict[str, Any]:
    """Assemble one clip, write it into ``tmp/clips`` and return its manifest row (warnings are
    appended to ``warnings``); ``face`` is the clip's face box in the video's pixels (:func:`_clip_faces`)."""
    data = np.stack([frames[int(k)] for k in idx])
    video_box, note, detected = face
    if note:
        warnings.append(f"clip {a.clip_id}: {note} (--min-face {options.min_face:g}; give the clip's face box in the "
                        "annotation table's face_x, face_y, face_w, face_h columns, or --face-box X,Y,W,H for every clip)")
    box = map_box(rgb_scale, video_box)
    face_box = {"rgb": [round(v, 2) for v in box]}
    sensors = {}
    for s in events:
        full = scans[s.name].sensor_size
        w, h = (s.roi[2], s.roi[3]) if s.roi else full
        mapped, notes = sensor_face_box(s.name, homographies[s.name], box, (int(w), int(h)), options, a.clip_id,
                                        rgb_scale, s.roi)
        face_box[s.name] = [round(v, 2) for v in mapped]
        warnings += notes
        if not len(clip_events[s.name]):  # a sensor off, a gap in its file, or a wrong offset (was: without a word)
            warnings.append(f"clip {a.clip_id}: no {s.name} event in its window ({a.start_us}..{a.start_us + a.duration_us} "
                            f"µs on the session clock; {s.path.name}): its {s.name} input is empty; check the "
                            f"recording there, the offset (--offset {s.name}=US) or the clip's window")
        sensors[s.name] = SensorInfo(s.name, int(w), int(h), int(full[0]), int(full[1]),
                                     (*s.roi,) if s.roi else (0, 0, int(full[0]), int(full[1])), s.model, {"file": str(s.path)})
    clip = Clip(
        clip_id=a.clip_id, subject=a.subject, label=a.label, aus=list(a.aus), lighting=a.lighting,
        onset_us=a.onset_us - a.start_us, apex_us=a.apex_us - a.start_us, offset_us=a.offset_us - a.start_us,
        duration_us=a.duration_us, events=clip_events, sensors=sensors,
        frames={"rgb": FrameSeries(data, t_frames[idx] - a.start_us, exposure_us[idx],
                                   fps=fps, model="video", params={"file": str(rgb.path)})},
        calibration={
            "homography": {s.name: homographies[s.name].tolist() for s in events},
            "face_box": face_box,
            "sync": {s.name: syncs[s.name].to_dict() for s in events},
            "registration": {s.name: regs[s.name].to_dict() for s in events},
        },
        extra={"source": "session", "annotations": str(annotations), "line": a.line, "session_start_us": a.start_us,
               "face_box_detected": detected},
    )
    write_clip(tmp / "clips" / f"{a.clip_id}.h5", clip)
    return {"clip_id": a.clip_id, "subject": a.subject, "label": a.label, "aus": list(a.aus), "lighting": a.lighting,
            "file": f"clips/{a.clip_id}.h5", "onset_us": clip.onset_us, "apex_us": clip.apex_us,
            "offset_us": clip.offset_us, "duration_us": clip.duration_us, "source": "session"}


TRAINED_SENSORS = ("hd", "lr")
"""The sensor names ``evface train`` and ``evface run`` take (``--sensor``, :mod:`evface.tasks.configs`):
the event input of a sensor named otherwise can be imported, looked at and merged, not trained on."""


def _untrainable(source: EventSource) -> str:
    """The warning on an event camera whose name training does not take (was: found only when
    ``--sensor` of `evface train classify` and `reconstruct`` refused it, after the import).

    >>> print(_untrainable(EventSource("ev", Path("rec.es"))))
    --events ev=rec.es: training takes the event sensors hd and lr (the --sensor of evface train classify and reconstruct), so ev's events cannot be trained on; import it as --events hd=rec.es (a high-resolution camera, an EVK4) or lr=rec.es (a DAVIS346)
    """
    return (f"--events {source.name}={source.path}: training takes the event sensors hd and lr (the --sensor of evface train classify and reconstruct), "
            f"so {source.name}'s events cannot be trained on; import it as --events hd={source.path} (a high-resolution "
            f"camera, an EVK4) or lr={source.path} (a DAVIS346)")


@dataclass(frozen=True)
class _RgbRecording:
    """The RGB recording on the session clock: the scan of the video (:func:`~evface.datasets.importers.rgb_scan.scan_video`),
    each frame's exposure start and length (µs), the frame rate the clips record, the median frame
    period (µs) and the note on a variable frame rate (None if none)."""

    video: VideoScan
    t_frames: np.ndarray
    exposure_us: np.ndarray
    fps: float
    period_us: int
    variable_rate: str | None

    @property
    def end_us(self) -> int:
        """The end of the recording: the last frame's start and one frame period."""
        return int(self.t_frames[-1]) + self.period_us


@dataclass(frozen=True)
class _EventCameras:
    """Each event camera's scan, sync and checked registration, by sensor name."""

    scans: dict[str, EventScan]
    syncs: dict[str, SyncResult]
    regs: dict[str, Registration]


def _check_request(events: list[EventSource], rgb: RgbSource, annotations: str | Path, out: Path,
                   options: SessionOptions) -> None:
    """Refuse, before any pass over a file, what the options and file names decide: no sensor,
    sensor names twice or ``rgb``, an ``out`` that may not be replaced or holds an input, a missing
    event file, one file for two sensors, a ``face_box`` outside the frame, a
    ``trigger_first_frame`` past frames counted without a pass, and a folder of frames whose
    frames' headers give another size than the first's or more than 8 bits a sample
    (:func:`~evface.datasets.importers.rgb_scan.folder_frame_size`; was: found only where a
    clip's frames were read, after the event files' passes, or never outside every clip), and an
    annotation table that cannot be read whatever the video
    (:func:`~evface.datasets.importers.annotations.check_annotation_table`; was: after the trigger
    pass and the RGB scan), and a point-pair file that cannot be read or fitted
    (:func:`~evface.datasets.importers.calibration.check_point_pairs`; was: after every pass)."""
    names = [s.name for s in events]
    if not events:
        raise ParameterError("a session needs at least one event file")
    if len(set(names)) != len(names):
        raise ParameterError(f"sensor names must be unique, got {names}")
    if "rgb" in names:
        raise ParameterError("'rgb' is the RGB camera's name; choose another sensor name")
    check_replaceable(out, options.overwrite)
    check_inputs_outside(out, _inputs(events, rgb, annotations))
    for s in events:
        input_file(s.path, f"event file of sensor {s.name!r}", FormatError)
    _check_one_file_per_sensor(events)
    _check_face_box_option(options, rgb)
    _check_first_frames_up_front(events, rgb)
    if rgb.path.is_dir():
        folder_frame_size(rgb.path)
    check_annotation_table(annotations, options.subject)
    check_point_pairs(events)


def _deciding_pulses(events: list[EventSource], tell: Progress) -> dict[str, np.ndarray]:
    """The trigger pulses of each event camera whose sync they decide, read before the RGB scan
    where they decide whether it needs the motion of every frame; none when some sensor needs the
    motion anyway (then they are read with the event scan, after the faces are found)."""
    if any(always_uses_motion(s) for s in events):
        return {}
    tell("scan triggers", 0.0)
    return {s.name: event_camera_triggers(s) for s in events if sync_depends_on_triggers(s)}


def _scan_rgb(events: list[EventSource], rgb: RgbSource, pulses: dict[str, np.ndarray], tell: Progress) -> _RgbRecording:
    """Scan the RGB video (its motion only where a sensor may use it), check each
    ``trigger_first_frame`` against its frame count and place its frames on the session clock."""
    tell("scan video", 0.0)
    video = scan_video(rgb.path, motion=any(may_use_motion(s, pulses.get(s.name)) for s in events))
    _check_first_frames(events, video.n_frames, f"RGB frames of {rgb.path}")
    t_frames, exposure_us = frame_times(rgb, video)
    vfr = variable_rate_note(rgb, video)
    rgb_fps = frame_rate(rgb, video, t_frames)
    return _RgbRecording(video, t_frames, exposure_us, rgb_fps, int(np.median(np.diff(t_frames))), vfr)


def _read_clips(annotations: str | Path, rgb: RgbSource, recording: _RgbRecording,
                options: SessionOptions) -> tuple[list, list[dict[str, Any]]]:
    """The annotation table's clips to import, labelled by ``options.classes`` where given, and
    those skipped as matching none of its classes; a clip outside the RGB recording is refused
    (naming the side whose times are absolute where the table's and the frames' lie on two clocks,
    :func:`~evface.datasets.importers.sync.rgb_clock_hint`, else what the video states where
    its rate makes the recording far too short)."""
    t_frames = recording.t_frames
    rows = read_annotations(annotations, frame_times_us=t_frames, frame_period_us=recording.period_us,
                            default_subject=options.subject, default_lighting=options.lighting)
    skipped = []
    if options.classes:
        classes = class_set(options.classes)
        labelled = [(a, label_from_classes(a.aus, classes)) for a in rows]
        skipped = [{"clip_id": a.clip_id, "aus": list(a.aus), "line": a.line} for a, lab in labelled if lab is None]
        rows = [replace(a, label=lab) for a, lab in labelled if lab is not None]
        if not rows:
            raise DatasetError(f"{annotations}: no clip matches a class of the {options.classes!r} class set")
    for a in rows:
        if a.start_us < int(t_frames[0]) or a.end_us > recording.end_us:
            span = (int(t_frames[0]), recording.end_us)
            raise DatasetError(f"{annotations}: line {a.line}: clip {a.clip_id} ({a.start_us}..{a.end_us} µs) lies outside "
                               f"the RGB recording ({span[0]}..{span[1]} µs)"
                               + (rgb_clock_hint((a.start_us, a.end_us), span, rgb.timestamps, rgb.start_us)
                                  or _stated_rate_hint(rgb, recording, max(b.end_us for b in rows))))
    return rows, skipped


def _stated_rate_hint(rgb: RgbSource, recording: _RgbRecording, clips_end_us: int) -> str:
    """What the video states, and the options that place its frames otherwise, where its own rate
    times the frames and makes the recording far shorter than the clips (a screen recorder's or a
    broken header's 1000 fps for a 30 fps camera); else nothing."""
    start_us = int(recording.t_frames[0])
    duration_us = recording.end_us - start_us
    if rgb.timestamps is not None or rgb.fps is not None or clips_end_us - start_us <= SHORT_RECORDING * duration_us:
        return ""
    video = recording.video
    return (f": the video states {video.n_frames} frames at {video.fps:g} fps ({duration_us / 1e6:g} s), far shorter "
            "than the clips; give the camera's fps (--rgb-fps) or its timestamp file (--rgb-timestamps)")


def _clip_frame_indices(rows: list, t_frames: np.ndarray) -> dict[str, np.ndarray]:
    """Each clip's RGB frames: the indices of those whose exposure starts inside it."""
    return {a.clip_id: np.flatnonzero((t_frames >= a.start_us) & (t_frames < a.end_us)) for a in rows}


def _check_roi(s: EventSource, scan: EventScan) -> None:
    """Refuse a sensor's ROI that does not fit its sensor."""
    if s.roi is None:
        return
    x0, y0, w, h = s.roi
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > scan.sensor_size[0] or y0 + h > scan.sensor_size[1]:
        raise ParameterError(f"sensor {s.name!r}: ROI {s.roi} does not fit the {scan.sensor_size[0]}x{scan.sensor_size[1]} "
                             f"sensor of {s.path}; give --roi {s.name}=X0,Y0,W,H within it")


def _check_clips_in_recording(s: EventSource, scan: EventScan, sync: SyncResult, rows: list,
                              recording: _RgbRecording, annotations: str | Path) -> None:
    """Refuse a clip outside the synchronised event recording of ``s``, naming how its offset was
    found, and where the events and the clips lie on two clocks, which side is absolute and the
    offset that starts the events at the first frame
    (:func:`~evface.datasets.importers.sync.event_clock_hint`).

    A file does not store when recording started or stopped: its first and last events bound it up
    to the quiet time around them, so one RGB frame period of slack is allowed."""
    period_us = recording.period_us
    first, last = int(sync.to_session_us(scan.t_first_us)), int(sync.to_session_us(scan.t_last_us))
    lo, hi = first - period_us, last + 1 + period_us
    for a in rows:
        if a.start_us < lo or a.end_us > hi:
            found = (f"by cross-correlation with confidence {sync.confidence:.2f}: if it is wrong, give "
                     f"--offset {s.name}=US or --sync {s.name}=trigger" if sync.method == "xcorr" else
                     f"as given with --offset {s.name}=US" if sync.method == "given" else "from the trigger pulses")
            raise DatasetError(f"{annotations}: line {a.line}: clip {a.clip_id} ({a.start_us}..{a.end_us} µs) lies outside "
                               f"the {s.name} recording (its events span {first}..{last} µs on the session clock, and a "
                               f"clip may reach one RGB frame period, {period_us} µs, beyond them; offset "
                               f"{sync.offset_us} µs {found})"
                               + event_clock_hint((a.start_us, a.end_us), (first, last), s.name,
                                                  int(recording.t_frames[0]), scan.t_first_us))


def _calibrate_cameras(events: list[EventSource], pulses: dict[str, np.ndarray], rows: list, recording: _RgbRecording,
                       options: SessionOptions, annotations: str | Path, tell: Progress,
                       warnings: list[str]) -> _EventCameras:
    """Scan, synchronise and register each event camera in turn, checking its ROI, that every clip
    lies inside its recording and that its registration is plausible (notes appended to ``warnings``)."""
    scans: dict[str, EventScan] = {}
    syncs: dict[str, SyncResult] = {}
    regs: dict[str, Registration] = {}
    t_frames, video = recording.t_frames, recording.video
    for i, s in enumerate(events):
        tell(f"scan {s.name}", i / len(events))
        scan = scans[s.name] = scan_event_camera(s, pulses.get(s.name))
        _check_roi(s, scan)
        note = model_size_note(s, scan)
        if note:
            warnings.append(note)
        syncs[s.name] = sync = synchronise(s, scan, t_frames, video, recording.exposure_us, options)
        scans[s.name] = scan = replace(scan, rate=None)  # its histogram was the sync's: not held while the clips are cut
        _check_clips_in_recording(s, scan, sync, rows, recording, annotations)
        reg = register(s, scan, video, (int(sync.to_sensor_us(int(t_frames[0]))), int(sync.to_sensor_us(recording.end_us))))
        regs[s.name], notes = check_registration(s, reg, video.size, scan.sensor_size, options)
        warnings += notes
    return _EventCameras(scans, syncs, regs)


def _stored_homographies(events: list[EventSource], cameras: _EventCameras, rgb_scale: np.ndarray) -> dict[str, np.ndarray]:
    """Each sensor's homography from the stored RGB frames (``rgb_scale``: native video pixels to
    stored frame pixels) to its events, cropped to its ROI."""
    return {s.name: crop_homography(cameras.regs[s.name].homography, s.roi) @ np.linalg.inv(rgb_scale) for s in events}


def _write_clips(tmp: Path, rows: list, clip_frames: dict[str, np.ndarray], stored: tuple[int, int],
                 rgb_scale: np.ndarray, homographies: dict[str, np.ndarray], events: list[EventSource],
                 cameras: _EventCameras, rgb: RgbSource, recording: _RgbRecording, faces: dict[str, ClipFace],
                 options: SessionOptions, annotations: str | Path, tell: Progress,
                 warnings: list[str]) -> list[dict[str, Any]]:
    """Cut and write the clips in time order (:func:`_write_session_clip`), each event file read
    once from start to end and the RGB frames at the ``stored`` size in groups that fit in
    :data:`BATCH_BYTES`; returns the manifest rows."""
    syncs = cameras.syncs
    manifest = []
    ordered = sorted(rows, key=lambda a: a.start_us)
    done = 0
    cutters = {s.name: EventWindows(s.path, int(syncs[s.name].to_sensor_us(ordered[0].start_us)) - 2,
                                    sensor_size=cameras.scans[s.name].sensor_size) for s in events}
    with closing(FrameReader(rgb.path, options.rgb_size, recording.video.size)) as reader:  # one pass over the video for all the clips
        for batch in _batches(ordered, clip_frames, 3 * stored[0] * stored[1], BATCH_BYTES):
            tell("read frames", done / len(rows))
            frames = reader.read(np.concatenate([clip_frames[a.clip_id] for a in batch]))
            for a in batch:
                tell("cut events and write clips", done / len(rows))
                clip_events = {s.name: _cut_clip_events(cutters[s.name], syncs[s.name], s.roi, a.start_us, a.end_us) for s in events}
                later = [b.start_us for b in ordered[done + 1:]]
                for s in events:
                    cutters[s.name].release(int(syncs[s.name].to_sensor_us(min(later))) - 2 if later else np.iinfo(np.int64).max)
                manifest.append(_write_session_clip(tmp, a, events, cameras.scans, syncs, cameras.regs, homographies, frames,
                                                    clip_frames[a.clip_id], recording.t_frames, clip_events,
                                                    recording.exposure_us, recording.fps, rgb, rgb_scale, faces[a.clip_id],
                                                    options, annotations, warnings))
                del clip_events
                done += 1
            del frames
    return manifest


def _session_report(events: list[EventSource], rgb: RgbSource, annotations: str | Path, recording: _RgbRecording,
                    cameras: _EventCameras, rows: list, skipped: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    """The ``import`` section of ``dataset.json`` (see :func:`import_session`)."""
    scans, video = cameras.scans, recording.video
    return {
        "sensors": {s.name: {"file": str(s.path), "model": s.model, "sensor_size": list(scans[s.name].sensor_size),
                             "roi": list(s.roi) if s.roi else None, "events": scans[s.name].n_events,
                             "sync": cameras.syncs[s.name].to_dict(), "registration": cameras.regs[s.name].to_dict()}
                    for s in events},
        "rgb": {"file": str(rgb.path), "frames": video.n_frames, "size": list(video.size), "period_us": recording.period_us,
                "exposure_us": int(np.median(recording.exposure_us)), "timing": frame_time_source(rgb, video)},
        "annotations": str(annotations),
        "clips": [a.clip_id for a in rows],
        "skipped": skipped,
        "warnings": warnings,
    }


def import_session(
    events: list[EventSource],
    rgb: RgbSource,
    annotations: str | Path,
    out: str | Path,
    options: SessionOptions = SessionOptions(),
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import a session into the dataset folder ``out`` (see the module docstring).

    Parameters
    ----------
    events : list of EventSource
        One per event camera: its name, file, sync and registration
        (:class:`~evface.datasets.importers.session_options.EventSource`).
    rgb : RgbSource
        The RGB video or folder of frames and its timing
        (:class:`~evface.datasets.importers.session_options.RgbSource`).
    annotations : str or Path
        The annotation CSV (:mod:`evface.datasets.importers.annotations`).
    out : str or Path
        The dataset folder: new or empty (or an earlier dataset, with ``options.overwrite``).
    options : SessionOptions, optional
        Session-wide options: subject, lighting, face box, checks, class set
        (:class:`~evface.datasets.importers.session_options.SessionOptions`).
    progress : callable, optional
        ``progress(stage, fraction_done)`` as the passes go; None reports nothing.

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

    Examples
    --------
    docs/import-guide.md walks through a whole session (``evface import session`` calls this); a
    missing input is refused before any file is read:

    >>> from evface.datasets.importers.session_options import EventSource, RgbSource
    >>> import_session([EventSource("hd", Path("hd.raw"))], RgbSource(Path("face.mp4")), "clips.csv", "session")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: hd.raw: event file of sensor 'hd' not found
    """
    out = Path(out)
    tell = progress or (lambda stage, frac: None)
    warnings: list[str] = []
    with warnings_kept(warnings):  # what the library warns of meanwhile: an RGB frame decoded with damage
        _check_request(events, rgb, annotations, out, options)
        warnings += [_untrainable(s) for s in events if s.name not in TRAINED_SENSORS]
        pulses = _deciding_pulses(events, tell)
        recording = _scan_rgb(events, rgb, pulses, tell)
        rows, skipped = _read_clips(annotations, rgb, recording, options)
        clip_frames = _clip_frame_indices(rows, recording.t_frames)
        stored = options.rgb_size or recording.video.size  # the frames' size in the clips, and while they are held
        _check_clip_frames(rows, clip_frames, stored, annotations)
        warnings += [recording.variable_rate] if recording.variable_rate else []
        faces = _clip_faces(rows, clip_frames, recording.t_frames, rgb, recording.video.size, options, annotations, tell,
                            warnings)
        cameras = _calibrate_cameras(events, pulses, rows, recording, options, annotations, tell, warnings)
        rgb_scale = resize_homography(recording.video.size, stored)  # native video pixels -> stored frame pixels
        homographies = _stored_homographies(events, cameras, rgb_scale)

        tmp = partial_of(out)
        remove_partial(tmp)
        (tmp / "clips").mkdir(parents=True)
        try:
            manifest = _write_clips(tmp, rows, clip_frames, stored, rgb_scale, homographies, events, cameras, rgb,
                                    recording, faces, options, annotations, tell, warnings)
            report = _session_report(events, rgb, annotations, recording, cameras, rows, skipped, warnings)
            write_manifest(tmp, manifest)
            params = {"lighting": options.lighting, "subject": options.subject, "classes": options.classes}
            write_dataset_json(tmp, {"generator": "evface import session", "version": __version__, "seed": None,
                                     "params": params, "import": report})
            publish_partial(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    tell("done", 1.0)
    return report
