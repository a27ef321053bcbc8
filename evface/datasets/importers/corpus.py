"""Import an RGB micro-expression corpus in the CASME II layout: frames -> events + RGB clips.

Layout::

    ROOT/sub01/EP02_01f/img46.jpg, img47.jpg, ...     one folder of numbered frames per clip
    TABLE.csv                                         one row per clip

The table (CSV; export CASME II's ``.xlsx`` sheet to CSV first) needs the columns ``Subject``,
``Filename``, ``OnsetFrame``, ``ApexFrame``, ``OffsetFrame`` and ``Action Units``;
``Estimated Emotion`` is optional (header names are matched ignoring case, spaces and
underscores). ``Subject`` ``1``, ``01``, ``1.0`` or ``sub01`` all name the folder ``sub01``. Frame
numbers are the numbers in the file names (``img46.jpg`` is frame 46). An apex given as ``/``
(unknown, as in some CASME II rows) becomes the middle of onset and offset and is flagged in the
clip's ``extra``.

A clip is its row's whole folder, its id ``SUBJECT_FILENAME``; where several rows name one folder
(a corpus cut from long recordings, CAS(ME)^2-style: one folder, several expression intervals), each
row's clip is the window of its frames onset..offset, its id ``SUBJECT_FILENAME_ONSET-OFFSET``
(:func:`~evface.datasets.importers.corpus_frames.shared_folders`,
:func:`~evface.datasets.importers.corpus_frames.clip_frames`); two rows naming one folder with the same window
are refused, naming both lines, and so is an id too long for its clip's file name, naming its line
(:func:`~evface.datasets.importers.annotations.check_clip_file`), before any folder is looked for.

A clip's folder is read as ``evface simulate FOLDER --fps`` reads it
(:func:`evface.sim.frame_folder.numbered_frames`, :func:`~evface.sim.frame_folder.read_frame`): the pictures
whose names end in a number, with no gap and no number twice, all of one size, 8 bits a channel
(grayscale frames become gray RGB, an alpha channel is ignored, 16-bit and floating-point
pictures are refused; every frame of every clip is checked for both before any clip is
simulated, by its header and EXIF orientation: :func:`~evface.datasets.importers.rgb_scan.frame_header`),
read whole (a clip whose frames would take more than half of the machine's memory is refused
before any clip is simulated). Frame ``n`` of a folder starting at ``n0`` is at
``round((n - n0) * 1e6 / fps)`` µs, where ``evface simulate`` puts it. A clip given as a video
(``Filename`` naming ``EP01.avi``, or ``EP01`` where no such folder is and one file ``EP01.*`` is)
is read as ``import session --rgb VIDEO`` reads one
(:class:`~evface.datasets.importers.corpus_frames.VideoClip`,
:func:`~evface.datasets.importers.rgb_scan.scan_video`,
:class:`~evface.datasets.importers.rgb_scan.FrameReader`): its frames numbered from 1 as decoded
(as ``ffmpeg -fps_mode passthrough`` extracts them), at the video's own rate (``fps`` is a
folder's, and that of a video that states none), a variable-frame-rate video's at its
container's timestamps, each exposed until the next, and windows cut in those numbers as in a
folder; the clips of one video are read in frame order from one pass over it
(:class:`~evface.datasets.importers.corpus_frames.ClipReader`). Conversion of each clip follows
:mod:`evface.sim.footage`, as ``evface simulate`` does for a video:

- **intensity**: the sRGB frames are decoded to linear luminance and multiplied by ``lux_white``
  (default 300 lux, an office-lit face: white = 300 lux);
- **geometry**: each frame is resized to cover the sensor (aspect ratio kept) and
  centre-cropped; the RGB -> sensor homography of that mapping is stored in the calibration.
  When the crop cuts the face box (a portrait corpus frame in a 16:9 window loses the chin and
  mouth), the report's ``warnings`` say how much of the box each sensor keeps and on which side;
- **time**: frame ``n``'s timestamp is the start of its exposure (evface's one convention,
  :func:`evface.sim.footage.scene_times`): it shows the scene over a whole frame period, so the
  simulation sees it at its mid-exposure, half a period later; between two corpus frames
  ``upsample - 1`` frames are interpolated linearly in lux (default: enough for 1 kHz, 5 at 200 fps);
- **events**: :class:`evface.sim.dvs.DvsSimulator` with the sensor's parameters, seeded by
  ``seed`` and the clip's row so that the same corpus and seed give the same dataset;
- **RGB**: the corpus frames at the clip's own rate, or (``rgb_fps``, at most each clip's own
  rate) resampled: output frame ``j`` averages the corpus frames whose time falls in
  ``[j / rgb_fps, (j + 1) / rgb_fps)`` (a box exposure over the whole output period).

Clips are written into ``OUT.partial`` one by one (atomically); an interrupted import resumes
there with the same options and table rows (:func:`_rows_key`), keeping each finished clip whose
video or frame files have the same sizes and modification times (:func:`_source_key`; a source
replaced since converts that clip again), and ``OUT`` appears only when the manifest is written.
The warnings of each clip converted (what the library warns of meanwhile, a frame decoded with
damage: :func:`~evface.datasets.importers.import_warnings.warnings_kept`, and its face box's
notes) are recorded in ``import.json`` before it is written, so that a resumed import reports them
as an uninterrupted one does (:func:`_record_warnings`).

This module converts each clip and holds :func:`import_corpus`, which reads top to bottom as its
steps; the table is read by :mod:`~evface.datasets.importers.corpus_table`, the options are
:mod:`~evface.datasets.importers.corpus_options`'s, a clip's frames are found, cut and read by
:mod:`~evface.datasets.importers.corpus_frames`, and checked before any clip is converted by
:mod:`~evface.datasets.importers.corpus_checks`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evface import __version__
from evface.datasets.importers.annotations import check_clip_file
from evface.datasets.importers.au_labels import class_set, label_from_aus, label_from_classes
from evface.datasets.importers.corpus_checks import check_frames, check_one_name, clip_ids
from evface.datasets.importers.corpus_frames import (ClipFrames, ClipReader, VideoClip, clip_frames, clip_source,
                                                     conversion_order, find_frames, frame_numbers, frame_rate,
                                                     frame_timing, shared_folders)
from evface.datasets.importers.corpus_options import CorpusOptions, corpus_sensor
from evface.datasets.importers.corpus_table import CorpusRow, clip_folder, read_corpus_table, subject_folder
from evface.datasets.importers.registration import box_kept, describe_cut, map_box
from evface.datasets.importers.face_box import FACE_FRAMES, box_in_frame, detect_face
from evface.datasets.importers.import_warnings import warnings_kept
from evface.errors import DatasetError, ParameterError, where
from evface.events.core import concatenate
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.atomic_files import atomic_write_text
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_inputs_outside, check_replaceable, partial_of, publish_partial, remove_partial
from evface.io.manifest import write_manifest
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.footage import Cover, frame_to_lux, iter_lux_events
from evface.sim.sensors import SensorSpec

FACE_KEPT = 0.98
"""A sensor window that keeps less of the face box than this gets a warning."""


def fitting_size(spec: SensorSpec, frame_size: tuple[int, int]) -> str:
    """The ``NAME:WxH`` of the largest window of the sensor with the frames' aspect ratio.

    Parameters
    ----------
    spec : SensorSpec
        The sensor and its window size (:func:`~evface.sim.sensors.parse_sensor`).
    frame_size : tuple of int
        ``(width, height)`` of the corpus frames.

    Returns
    -------
    str
        A ``--sensor`` value, e.g. ``"evk4:593x720"``.

    Raises
    ------
    ParameterError
        A ``spec`` of a bare ``WxH``, which names no sensor.

    Examples
    --------
    >>> from evface.sim.sensors import parse_sensor
    >>> fitting_size(parse_sensor("evk4:1280x720"), (280, 340))
    'evk4:593x720'
    """
    (w, h), (fw, fh) = spec.size, frame_size
    if spec.sensor is None:
        raise ParameterError(f"fitting_size: spec {w}x{h} is a bare size, which names no sensor; give a named sensor's "
                             "spec (NAME:WxH)")
    scale = min(w / fw, h / fh)
    return f"{spec.sensor.name}:{round(fw * scale)}x{round(fh * scale)}"


def resample_rgb(rgb: np.ndarray, fps: float, rgb_fps: float, t_us: np.ndarray | None = None,
                 duration_us: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Box-average corpus frames into ``rgb_fps`` frames; returns (frames, t_us, exposure_us).
    The frames start at ``t_us`` (µs) and last ``duration_us`` in all, by default at ``i / fps``.

    Output frame ``j`` averages the corpus frames whose time falls in
    ``[j / rgb_fps, (j + 1) / rgb_fps)``; a period holding no corpus frame gives none.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (N, H, W, 3)
        The corpus frames.
    fps : float
        Their frame rate (their times and length when ``t_us`` and ``duration_us`` are None).
    rgb_fps : float
        The output frame rate.
    t_us : ndarray of int, shape (N,), optional
        Each corpus frame's start, µs; by default ``i / fps``.
    duration_us : int, optional
        The clip's length, µs; by default ``N / fps``.

    Returns
    -------
    frames : ndarray of uint8, shape (M, H, W, 3)
        The averaged frames, rounded.
    t_us : ndarray of int64, shape (M,)
        Each output frame's start, µs.
    exposure_us : int
        The output frame period, µs: each frame's exposure.

    Examples
    --------
    >>> rgb = np.repeat(np.array([0, 10, 20, 30], np.uint8), 3).reshape(4, 1, 1, 3)  # four 1x1 frames at 120 fps
    >>> frames, t_us, exposure_us = resample_rgb(rgb, 120.0, 60.0)
    >>> frames[:, 0, 0, 0].tolist(), t_us.tolist(), exposure_us
    ([5, 25], [0, 16667], 16667)
    """
    n = rgb.shape[0]
    t = np.arange(n) / fps if t_us is None else np.asarray(t_us) / 1e6
    length = n / fps if duration_us is None else duration_us / 1e6
    period = 1.0 / rgb_fps
    m = max(1, int(np.floor(length / period + 1e-9)))
    out, times = [], []
    for j in range(m):
        sel = (t >= j * period - 1e-9) & (t < (j + 1) * period - 1e-9)
        if not sel.any():
            continue
        out.append(np.round(rgb[sel].astype(np.float32).mean(axis=0)).astype(np.uint8))
        times.append(round(j * period * 1e6))
    return np.stack(out), np.asarray(times, dtype=np.int64), round(period * 1e6)


@dataclass(frozen=True)
class _ClipTimes:
    """A corpus clip's times (µs from its folder's first frame ``first_frame``) and its apex frame
    (the middle of onset and offset where the table gives none)."""

    first_frame: int
    apex_frame: int
    onset_us: int
    apex_us: int
    offset_us: int
    duration_us: int


def _check_request(root: Path, table: str | Path, out: Path, options: CorpusOptions) -> None:
    """Refuse a missing corpus folder, an ``out`` that may not be replaced or that holds an input."""
    if not root.is_dir():
        raise DatasetError(where(root, "corpus folder not found"))
    check_replaceable(out, options.overwrite)
    check_inputs_outside(out, {"the corpus folder (ROOT)": root, "the annotation table (TABLE)": table})


def _rows_of_classes(rows: list[CorpusRow], table: str | Path,
                     options: CorpusOptions) -> tuple[list[CorpusRow], list[dict[str, Any]]]:
    """The rows whose AUs match a class of ``options.classes`` (all rows without it), and those
    skipped as matching none; a table with no row left is refused."""
    if not options.classes:
        return rows, []
    classes = class_set(options.classes)
    skipped = [{"folder": clip_folder(r), "aus": list(r.aus), "line": r.line}
               for r in rows if label_from_classes(r.aus, classes) is None]
    rows = [r for r in rows if label_from_classes(r.aus, classes) is not None]
    if not rows:
        raise DatasetError(where(table, f"no row matches a class of the {options.classes!r} class set"))
    return rows, skipped


def _check_clip_files(rows: list[CorpusRow], ids: list[str], table: str | Path) -> None:
    """Refuse, before any folder or video is looked for, a clip id too long for its clip's file name
    (:func:`~evface.datasets.importers.annotations.check_clip_file`), naming its table line and the
    longer of its ``Subject`` and ``Filename`` (was: "File name too long" naming the clip's path,
    after the frames were read and simulated, or the folder's path)."""
    for row, clip_id in zip(rows, ids, strict=True):
        column, cell = max((("Filename", row.filename), ("Subject", row.subject)), key=lambda named: len(named[1]))
        check_clip_file(f"{table}: line {row.line}", column, cell, clip_id)


def _sensors(options: CorpusOptions) -> list[tuple[str, SensorSpec]]:
    """The import's sensors (:func:`~evface.datasets.importers.corpus_options.corpus_sensor`), refused where
    two share a clip name."""
    sensors = [corpus_sensor(s) for s in options.sensors]
    names = [name for name, _ in sensors]
    if len(set(names)) != len(names):
        raise ParameterError(f"two sensors share the clip name: {options.sensors}")
    return sensors


def _open_partial(out: Path, settings: dict[str, Any], sources: dict[str, str]) -> tuple[Path, dict[str, list[str]]]:
    """``OUT.partial`` with its ``clips`` folder, kept to resume where its ``import.json`` records
    the same ``settings`` (the options and :func:`_rows_key`), else made afresh; a kept clip whose
    source differs from the one recorded (``sources``: :func:`_source_key` by clip id) is removed,
    to be converted again, and the sources now are recorded; returns it, and the warnings recorded
    of each clip kept (:func:`_record_warnings`; was: lost, a dataset resumed after an interruption
    silent on a damaged frame of a clip written before it)."""
    tmp = partial_of(out)
    stamp = tmp / "import.json"
    before = _recorded_settings(stamp)
    recorded, warned = before.pop("sources", {}), before.pop("warnings", {})
    if tmp.exists() and before != json.loads(json.dumps(settings)):
        remove_partial(tmp)
        recorded, warned = {}, {}
    (tmp / "clips").mkdir(parents=True, exist_ok=True)
    for clip_id, key in sources.items():
        if recorded.get(clip_id) != key:  # replaced since its clip was written (or never recorded)
            (tmp / "clips" / f"{clip_id}.h5").unlink(missing_ok=True)
    warned = {clip_id: notes for clip_id, notes in _well_formed(warned).items()
              if clip_id in sources and (tmp / "clips" / f"{clip_id}.h5").exists()}
    atomic_write_text(stamp, json.dumps({**settings, "sources": sources, "warnings": warned}))
    return tmp, warned


def _well_formed(warned: Any) -> dict[str, list[str]]:
    """The clips' warnings an ``import.json`` records (:func:`_record_warnings`), those not as
    written left out (a file edited by hand).

    Examples
    --------
    >>> _well_formed({"a": ["w1"], "b": "w2", "c": [3]}), _well_formed([])
    ({'a': ['w1']}, {})
    """
    if not isinstance(warned, dict):
        return {}
    return {clip_id: notes for clip_id, notes in warned.items()
            if isinstance(notes, list) and all(isinstance(note, str) for note in notes)}


def _record_warnings(tmp: Path, clip_id: str, notes: list[str]) -> None:
    """Record in ``tmp/import.json`` the warnings given while clip ``clip_id`` was converted, before
    its clip is written, so that an import resumed after it keeps them (:func:`_open_partial`)."""
    stamp = tmp / "import.json"
    record = json.loads(stamp.read_text(encoding="utf-8"))
    record["warnings"][clip_id] = notes
    atomic_write_text(stamp, json.dumps(record))


def _recorded_settings(stamp: Path) -> dict[str, Any]:
    """What ``OUT.partial/import.json`` records, or ``{}`` where it is missing or unreadable (cut by
    a full disk, edited by hand: was an internal JSONDecodeError), so that the partial import is
    made afresh (:func:`~evface.io.dataset_output.remove_partial` keeps a folder holding foreign files)."""
    try:
        before = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else {}
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError too), 5000 digits, nested past the stack
        return {}
    return before if isinstance(before, dict) else {}


def _source_key(frames: ClipFrames) -> str:
    """A digest of what a clip is read from, as cheap as a directory listing: the path, size and
    ``mtime_ns`` of its video file or of each of its frame files (no pixel read). A clip written
    before an interruption is kept only for the same key (was: a video or frame folder replaced
    under the same name between the stop and the resume kept the old source's clip).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     frame = Path(folder) / "img1.jpg"
    ...     _ = frame.write_bytes(b"old")
    ...     key = _source_key([(1, frame)])
    ...     _ = frame.write_bytes(b"newer")
    ...     key == _source_key([(1, frame)])
    False
    """
    files = [frames.path] if isinstance(frames, VideoClip) else [path for _, path in frames]
    stats = [(str(path), path.stat()) for path in files]
    return hashlib.sha256(json.dumps([[name, st.st_size, st.st_mtime_ns] for name, st in stats]).encode()).hexdigest()


def _rows_key(rows: list[CorpusRow]) -> str:
    """A digest of the rows to convert, whose clips an interrupted import keeps only for the same
    rows (was: a row changed in the table, its clip kept with the old label, frames and seed, and
    the dataset published with a manifest row contradicting its clip).

    Examples
    --------
    >>> from dataclasses import replace
    >>> row = CorpusRow("1", "EP01", 3, None, 12, (4,), "", 2)
    >>> _rows_key([row]) == _rows_key([replace(row)]), _rows_key([row]) == _rows_key([replace(row, aus=(12,))])
    (True, False)
    """
    return hashlib.sha256(json.dumps([asdict(r) for r in rows]).encode()).hexdigest()


def _clip_times(row: CorpusRow, frames: ClipFrames, fps: float) -> _ClipTimes:
    """A row's times in its clip (:func:`~evface.datasets.importers.corpus_frames.frame_timing`): a
    folder's frame ``n`` at ``round((n - n0) * 1e6 / fps)`` µs, a video's at its own time from the
    clip's first frame."""
    n0 = frame_numbers(frames)[0]
    t_us, _, duration_us = frame_timing(frames, fps)
    apex = row.apex if row.apex is not None else (row.onset + row.offset) // 2
    onset_us, apex_us, offset_us = (int(t_us[n - n0]) for n in (row.onset, apex, row.offset))
    return _ClipTimes(n0, apex, onset_us, apex_us, offset_us, duration_us)


def _clip_label(row: CorpusRow, options: CorpusOptions) -> str:
    """A row's label: its class of ``options.classes``, else its AUs or estimated emotion."""
    if options.classes:
        label = label_from_classes(row.aus, class_set(options.classes))
        assert label is not None, "_rows_of_classes kept the rows of a class only"
        return label
    return label_from_aus(row.aus) if options.label == "aus" else (row.emotion or "unknown")


def _simulate_sensors(rgb: np.ndarray, seen_us: list[int], substeps: int, sensors: list[tuple[str, SensorSpec]],
                      index: int, options: CorpusOptions) -> tuple[dict[str, np.ndarray], dict[str, SensorInfo],
                                                                   dict[str, np.ndarray]]:
    """Each sensor's events of the clip's frames ``rgb`` (seen at their mid-exposures ``seen_us``,
    ``substeps`` steps apart), the clip being row ``index``, with its sensor info and RGB -> sensor
    homography."""
    events, infos, homs = {}, {}, {}
    for j, (name, spec) in enumerate(sensors):
        (w, h), preset = spec.size, spec.name  # a named sensor: corpus_sensor
        homs[name] = Cover.of((rgb.shape[2], rgb.shape[1]), spec.size).homography
        sim = DvsSimulator(spec.size, DvsParams.preset(preset), seed=options.seed * 100_003 + index * 101 + j)
        lux = (frame_to_lux(f[:, :, ::-1], options.lux_white, spec.size) for f in rgb)  # RGB -> OpenCV's BGR
        events[name] = concatenate(list(iter_lux_events(sim, lux, seen_us, substeps)))
        infos[name] = SensorInfo(name, w, h, w, h, (0, 0, w, h), preset,
                                 {"lux_white": options.lux_white, "substeps": substeps})
    return events, infos, homs


def _rgb_face_box(rgb: np.ndarray, row: CorpusRow, frames: ClipFrames, clip_id: str, times: _ClipTimes,
                  options: CorpusOptions, warnings: list[str]) -> list[float]:
    """The clip's face box in its frames' pixels: ``options.face_box`` clipped to them, else the
    detector's in the apex frame and frames spread over the clip (notes appended to ``warnings``);
    refused where neither gives one."""
    box: list[float] | None
    if options.face_box:
        box, note = box_in_frame(options.face_box, (rgb.shape[2], rgb.shape[1]), "face_box (--face-box)")
        warnings += [f"{clip_id}: {note}"] if note else []
    else:
        picks = [times.apex_frame - times.first_frame, *np.linspace(0, len(rgb) - 1, FACE_FRAMES - 1).round().astype(int)]
        box, note = detect_face([rgb[k] for k in dict.fromkeys(picks)], options.min_face)
        if note:
            warnings.append(f"{clip_id}: {note} (--min-face {options.min_face:g}; give --face-box X,Y,W,H to skip detection)")
    if box is None:
        raise DatasetError(where(clip_source(frames), f"table line {row.line}: no face found in the frames; "
                                                      "give --face-box X,Y,W,H (pixels of the frames) or lower --min-face"))
    return box


def _face_boxes(box: list[float], homs: dict[str, np.ndarray], sensors: list[tuple[str, SensorSpec]],
                frame_size: tuple[int, int], clip_id: str, warnings: list[str]) -> dict[str, list[float]]:
    """The face box in the frames (``rgb``) and mapped into each sensor, warning of a sensor
    window that keeps less than :data:`FACE_KEPT` of it."""
    face_box = {"rgb": [round(float(v), 2) for v in box]}
    for (name, spec) in sensors:
        face_box[name] = [round(v, 2) for v in map_box(homs[name], box)]
        kept = box_kept(face_box[name], spec.size)
        if kept["kept"] < FACE_KEPT:
            warnings.append(f"{clip_id}: the {spec.size[0]}x{spec.size[1]} {name} window {describe_cut(kept)}; "
                            f"give --sensor {fitting_size(spec, frame_size)} (the frames' aspect)")
    return face_box


def _rgb_series(rgb: np.ndarray, t_us: np.ndarray, exposure_us: np.ndarray, duration_us: int, fps: float,
                options: CorpusOptions) -> FrameSeries:
    """The clip's RGB frames: the corpus frames at their times ``t_us`` (the clip's rate ``fps``),
    or resampled to ``options.rgb_fps``."""
    data, rate = rgb, fps
    if options.rgb_fps:
        data, t_us, exposure = resample_rgb(rgb, fps, options.rgb_fps, t_us, duration_us)
        exposure_us, rate = np.full(len(t_us), exposure, np.int64), options.rgb_fps
    return FrameSeries(data, t_us, exposure_us, fps=float(rate), model="corpus", params={"source_fps": fps})


def _convert_clip(index: int, row: CorpusRow, frames: ClipFrames, rgb: np.ndarray, clip_id: str, times: _ClipTimes,
                  label: str, sensors: list[tuple[str, SensorSpec]], options: CorpusOptions,
                  warnings: list[str]) -> Clip:
    """Row ``index`` as a clip of its frames ``rgb`` (:class:`~evface.datasets.importers.corpus_frames.ClipReader`):
    each sensor's events simulated, its face box found and its RGB frames (resampled where asked);
    notes are appended to ``warnings``."""
    t_us, exposure_us, duration_us = frame_timing(frames, options.folder_fps)
    fps, substeps = frame_rate(frames, options)
    seen_us = (t_us + exposure_us // 2).tolist()  # mid-exposures, as simulate's frames
    events, infos, homs = _simulate_sensors(rgb, seen_us, substeps, sensors, index, options)
    box = _rgb_face_box(rgb, row, frames, clip_id, times, options, warnings)
    face_box = _face_boxes(box, homs, sensors, (rgb.shape[2], rgb.shape[1]), clip_id, warnings)
    return Clip(
        clip_id=clip_id, subject=subject_folder(row.subject), label=label, aus=list(row.aus),
        lighting=options.lighting, onset_us=times.onset_us, apex_us=times.apex_us, offset_us=times.offset_us,
        duration_us=times.duration_us, events=events, sensors=infos,
        frames={"rgb": _rgb_series(rgb, t_us, exposure_us, duration_us, fps, options)},
        calibration={"homography": {n: homs[n].tolist() for n, _ in sensors}, "face_box": face_box},
        extra={"source": "corpus", "folder": clip_folder(row), "line": row.line,
               "emotion": row.emotion, "apex_estimated": row.apex is None, "first_frame": times.first_frame},
    )


def _write_converted(tmp: Path, reader: ClipReader, following: ClipFrames | None, index: int, row: CorpusRow,
                     frames: ClipFrames, clip_id: str, times: _ClipTimes, label: str,
                     sensors: list[tuple[str, SensorSpec]], options: CorpusOptions, given: list[str]) -> list[str]:
    """Read and convert row ``index``'s clip (:func:`_convert_clip`; ``following``: the frames of
    the clip read next), record its warnings (:func:`_record_warnings`): those given meanwhile
    (``given``, :func:`~evface.datasets.importers.import_warnings.warnings_kept`'s: a frame decoded
    with damage) and its notes; write it into ``tmp/clips``; return those warnings."""
    start = len(given)
    notes: list[str] = []
    rgb = reader.read(frames, following)
    clip = _convert_clip(index, row, frames, rgb, clip_id, times, label, sensors, options, notes)
    notes = [*dict.fromkeys(given[start:]), *notes]
    _record_warnings(tmp, clip_id, notes)
    write_clip(tmp / "clips" / f"{clip_id}.h5", clip)
    return notes


def _manifest_row(row: CorpusRow, clip_id: str, label: str, times: _ClipTimes, options: CorpusOptions) -> dict[str, Any]:
    """A clip's manifest row."""
    return {"clip_id": clip_id, "subject": subject_folder(row.subject), "label": label, "aus": list(row.aus),
            "lighting": options.lighting, "file": f"clips/{clip_id}.h5", "onset_us": times.onset_us,
            "apex_us": times.apex_us, "offset_us": times.offset_us, "duration_us": times.duration_us, "source": "corpus"}


def import_corpus(
    root: str | Path,
    table: str | Path,
    out: str | Path,
    options: CorpusOptions = CorpusOptions(),
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    """Convert a CASME II-style corpus into a dataset folder (see the module docstring).

    Every row is validated (folder, frames, frame numbers, each frame's size and bit depth from
    its header) before any clip is simulated.

    Parameters
    ----------
    root : str or Path
        The corpus folder, holding one folder per subject (``sub01``, ...).
    table : str or Path
        The annotation CSV, one row per clip.
    out : str or Path
        The dataset folder: new or empty (or an earlier dataset, with ``options.overwrite``); an
        interrupted import with the same options resumes in ``OUT.partial``.
    options : CorpusOptions, optional
        Sensors, frame rates, lux, seed, class set and the rest
        (:class:`~evface.datasets.importers.corpus_options.CorpusOptions`).
    progress : callable, optional
        ``progress(stage, fraction_done)`` as the clips are converted; None reports nothing.

    Returns
    -------
    dict
        The ``import`` section of ``dataset.json`` (options and clip ids).

    Examples
    --------
    docs/import-guide.md walks through a corpus (``evface import corpus`` calls this); a missing
    corpus folder is refused before the table is read:

    >>> import_corpus("CASME2/frames", "CASME2/coding.csv", "casme2")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: CASME2/frames: corpus folder not found
    """
    root, out = Path(root), Path(out)
    tell = progress or (lambda stage, frac: None)
    warnings: list[str] = []
    with warnings_kept(warnings) as given:  # what the library warns of as it reads the frames: one decoded with damage
        _check_request(root, table, out, options)
        every_row = read_corpus_table(table)
        shared = shared_folders(every_row)  # of the whole table: a row's clip id does not depend on --classes
        rows, skipped = _rows_of_classes(every_row, table, options)
        ids = clip_ids(rows, table, shared)
        _check_clip_files(rows, ids, table)
        videos: dict[Path, VideoClip] = {}  # each video scanned once, however many rows cut it
        folders = [clip_frames(r, find_frames(root, r, videos, options.fps), shared) for r in rows]
        check_one_name(rows, folders)
        check_frames(rows, folders, options)
        sensors = _sensors(options)

        settings = {"root": str(root.resolve()), "table": str(Path(table).resolve()), **asdict(options)}
        settings.pop("overwrite")
        tmp, warned = _open_partial(out, {**settings, "rows": _rows_key(rows)},
                                    {clip_id: _source_key(frames) for clip_id, frames in zip(ids, folders, strict=True)})
        manifest = []
        order = conversion_order(folders)
        with closing(ClipReader()) as reader:
            for done, (i, following) in enumerate(zip(order, [*order[1:], None], strict=True)):
                tell("convert clips", done / len(rows))
                row, frames, clip_id = rows[i], folders[i], ids[i]
                times = _clip_times(row, frames, options.folder_fps)
                label = _clip_label(row, options)
                if (tmp / "clips" / f"{clip_id}.h5").exists():  # written before an interruption, of the same source: resumed
                    notes = warned.get(clip_id, [])
                else:
                    notes = _write_converted(tmp, reader, None if following is None else folders[following], i, row,
                                             frames, clip_id, times, label, sensors, options, given)
                warnings += [note for note in notes if note not in warnings]
                manifest.append(_manifest_row(row, clip_id, label, times, options))
    report = {"options": settings, "clips": ids, "skipped": skipped, "warnings": warnings}
    write_manifest(tmp, manifest)
    write_dataset_json(tmp, {"generator": "evface import corpus", "version": __version__, "seed": options.seed,
                             "params": settings, "import": report})
    (tmp / "import.json").unlink()
    publish_partial(tmp, out)
    tell("done", 1.0)
    return report
