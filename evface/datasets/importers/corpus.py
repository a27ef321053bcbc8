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
(:func:`shared_folders`, :func:`clip_frames`); two rows naming one folder with the same window are
refused, naming both lines.

A clip's folder is read as ``evface simulate FOLDER --fps`` reads it
(:func:`evface.sim.video.numbered_frames`, :func:`~evface.sim.video.read_frame`): the pictures
whose names end in a number, with no gap and no number twice, all of one size, 8 bits a channel
(grayscale frames become gray RGB, an alpha channel is ignored, 16-bit and floating-point
pictures are refused; every frame of every clip is checked for both before any clip is
simulated, by its header and EXIF orientation: :func:`~evface.datasets.importers.rgb_scan.frame_header`),
read whole (a clip whose frames would take more than half of the machine's memory is refused
before any clip is simulated). Frame ``n`` of a folder starting at ``n0`` is at
``round((n - n0) * 1e6 / fps)`` µs, where ``evface simulate`` puts it. A clip given as a video
(``Filename`` naming ``EP01.avi``, or ``EP01`` where no such folder is and one file ``EP01.*`` is)
is read as ``import session --rgb VIDEO`` reads one (:class:`VideoClip`,
:func:`~evface.datasets.importers.rgb_scan.scan_video`,
:class:`~evface.datasets.importers.rgb_scan.FrameReader`): its frames numbered from 1 as decoded
(as ``ffmpeg -fps_mode passthrough`` extracts them), at the video's own rate (``fps`` is a
folder's, and that of a video that states none), a variable-frame-rate video's at its
container's timestamps, each exposed until the next, and windows cut in those numbers as in a
folder; the clips of one video are read in frame order from one pass over it
(:class:`ClipReader`). Conversion of each clip follows :mod:`evface.sim.footage`, as
``evface simulate`` does for a video:

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
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import re
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface import __version__
from evface.checks import as_box, as_int, as_real, numbers, within_memory
from evface.datasets.importers.annotations import CLIP_ID, NAME_RULE
from evface.datasets.importers.au_labels import class_set, label_from_aus, label_from_classes, parse_aus
from evface.datasets.importers.registration import box_kept, describe_cut, map_box
from evface.datasets.importers.face_box import FACE_FRAMES, box_in_frame, detect_face
from evface.datasets.importers.rgb_scan import FrameReader, frames_size, scan_video
from evface.datasets.importers.tables import columns_once, input_file, open_table, table_int, table_rows
from evface.errors import DatasetError, FormatError, ParameterError, where
from evface.events.core import concatenate
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.atomic_files import atomic_write_text
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_inputs_outside, check_replaceable, publish_partial, remove_partial
from evface.io.manifest import case_twins, differ_in_case, write_manifest
from evface.sim.dvs import MAX_STEP_US, DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.footage import MAX_SCENE_LUX, Cover, frame_to_lux, iter_lux_events
from evface.sim.sensors import SensorSpec, parse_sensor
from evface.sim.video import (FPS_RANGE, VideoInfo, at_rate, iter_frame_files, listed_frames, numbered_frames,
                              own_intervals, strays_from_rate, video_info)

_COLUMNS = {
    "subject": "subject", "filename": "filename", "onsetframe": "onset", "apexframe": "apex",
    "offsetframe": "offset", "actionunits": "aus", "estimatedemotion": "emotion",
}


@dataclass(frozen=True)
class CorpusRow:
    """One row of the corpus table (frame numbers as in the file names; apex None when unknown)."""

    subject: str
    filename: str
    onset: int
    apex: int | None
    offset: int
    aus: tuple[int, ...]
    emotion: str
    line: int


FOLDER_FPS = 200.0
"""The rate of a folder of frames where ``fps`` is not given: CASME II's (and SAMM's)."""

MAX_SEED = 2**46
"""The largest ``seed``: clip ``i``'s sensor ``j`` is seeded ``seed * 100_003 + i * 101 + j``,
which the simulator takes up to 2**63 - 1 (here for tables of up to 10**16 rows)."""


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus becomes a dataset (see the module docstring).

    ``fps`` is the rate of the folders of frames (None: :data:`FOLDER_FPS`) and of a video that
    states no usable rate (None: such a video is refused, naming ``fps``); a video that states its
    rate is read at it. ``rgb_fps`` is checked against each clip's own rate (:func:`_check_rgb_fps`).
    ``sensors`` are named event sensors, optionally with a size: ``"davis346"``,
    ``"evk4:640x360"`` (:func:`evface.sim.sensors.parse_sensor`); a sensor's role (``lr``, ``hd``)
    names its events in the clips.
    ``label`` is ``"aus"`` (``AU1+2``) or ``"emotion"`` (the table's estimated emotion). With
    ``classes`` (a class set of :data:`evface.face.aus.CLASS_SETS`) clips are labelled by the class
    their AUs match and clips matching none are skipped (listed in the report). The face box is
    ``face_box`` (frame pixels) when given, else the Haar-cascade face found at one place in the
    most of the apex and frames spread over the clip (:func:`~evface.datasets.importers.face_box.detect_face`),
    implausible detections dropped (``min_face``: the smallest face
    side as a fraction of the frame's shorter side; corpus frames are cropped to the face), else
    the import stops.
    """

    sensors: tuple[str, ...] = ("davis346",)
    fps: float | None = None
    rgb_fps: float | None = None
    lux_white: float = 300.0
    upsample: int | None = None
    seed: int = 0
    label: str = "aus"
    classes: str | None = None
    face_box: tuple[float, float, float, float] | None = None
    min_face: float = 0.5
    lighting: str = "corpus"
    overwrite: bool = False

    def __post_init__(self) -> None:
        numbers(self, "fps", "rgb_fps", "lux_white", "upsample", "seed", "min_face")
        as_int("seed", self.seed, 0, MAX_SEED)  # 2**63 stopped the first clip, the option unnamed and its seed shown
        if self.face_box is not None:
            as_box("face_box", self.face_box)
        if not isinstance(self.sensors, (tuple, list)) or not all(isinstance(n, str) for n in self.sensors):
            raise ParameterError(f"sensors must be a tuple of sensor names, got {self.sensors!r}")
        if self.fps is not None:
            as_real("fps", self.fps, *FPS_RANGE)  # frames at most the DVS model's longest step apart
        if self.rgb_fps is not None:  # at most each clip's own rate: _check_rgb_fps
            as_real("rgb_fps", self.rgb_fps, *FPS_RANGE)
        as_real("lux_white", self.lux_white, 0, MAX_SCENE_LUX, low_open=True)
        if not 0 < self.min_face < 1:
            raise ParameterError(f"min_face is a fraction of the frame's shorter side in (0, 1), got {self.min_face}")
        if self.upsample is not None and not 1 <= self.upsample <= 1e6 / self.folder_fps:
            raise ParameterError(f"upsample must lie in [1, {int(1e6 / self.folder_fps)}] (steps of at least 1 µs at "
                                 f"{self.folder_fps:g} fps), got {self.upsample}")
        if self.label not in ("aus", "emotion"):
            raise ParameterError(f"label must be 'aus' or 'emotion', got {self.label!r}")
        if self.classes is not None:
            class_set(self.classes)
        if not self.sensors:
            raise ParameterError("give at least one sensor preset")
        for s in self.sensors:
            corpus_sensor(s)

    @property
    def folder_fps(self) -> float:
        """The rate of a folder of frames: ``fps``, else :data:`FOLDER_FPS`."""
        return self.fps if self.fps is not None else FOLDER_FPS

    @property
    def substeps(self) -> int:
        """Simulation steps per frame interval of a folder of frames."""
        return self.upsample if self.upsample is not None else max(1, math.ceil(1000.0 / self.folder_fps))


FACE_KEPT = 0.98
"""A sensor window that keeps less of the face box than this gets a warning."""


def fitting_size(spec: SensorSpec, frame_size: tuple[int, int]) -> str:
    """The ``NAME:WxH`` of the largest window of the sensor with the frames' aspect ratio.

    Examples
    --------
    >>> fitting_size(parse_sensor("evk4:1280x720"), (280, 340))
    'evk4:593x720'
    """
    (w, h), (fw, fh) = spec.size, frame_size
    scale = min(w / fw, h / fh)
    return f"{spec.sensor.name}:{round(fw * scale)}x{round(fh * scale)}"


def corpus_sensor(text: str) -> tuple[str, SensorSpec]:
    """A sensor of the import: its clip name (the sensor's role) and its spec.

    Examples
    --------
    >>> name, spec = corpus_sensor("evk4:64x36")
    >>> name, spec.sensor.name, spec.size
    ('hd', 'evk4', (64, 36))
    """
    spec = parse_sensor(text)
    if spec.sensor is None:
        raise ParameterError(f"sensor {text!r}: a corpus sensor needs a name, which gives its pixel model and clip name, "
                             f"e.g. davis346:{spec.size[0]}x{spec.size[1]}")
    return spec.sensor.role, spec


def read_corpus_table(path: str | Path) -> list[CorpusRow]:
    """Read and validate a CASME II-style annotation table (CSV)."""
    path = input_file(path, "annotation table")
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise DatasetError(where(path, "spreadsheets are not read; export the sheet to CSV"))
    with open_table(path) as reader:
        plain = {h: re.sub(r"[\s_]+", "", h.lower()) for h in reader.fieldnames or []}
        columns_once(path, [plain[h] for h in reader.fieldnames or []], set(_COLUMNS))
        names = {h: _COLUMNS.get(plain[h]) for h in plain}
        raw = [(line, {names[k]: (v or "").strip() for k, v in row.items() if names[k]}) for line, row in table_rows(reader)]
    missing = sorted({"subject", "filename", "onset", "apex", "offset", "aus"} - set(names.values()))
    if missing:
        wanted = {v: k for k, v in {"Subject": "subject", "Filename": "filename", "OnsetFrame": "onset", "ApexFrame": "apex",
                                    "OffsetFrame": "offset", "Action Units": "aus"}.items()}
        raise DatasetError(where(path, f"missing columns {[wanted[m] for m in missing]}"))
    if not raw:
        raise DatasetError(where(path, "no rows"))
    rows = []
    for line, r in raw:
        src = f"{path}: line {line}"
        frames = {}
        for key in ("onset", "apex", "offset"):
            cell = r.get(key, "")
            if key == "apex" and cell in ("/", "", "-"):
                frames[key] = None
                continue
            try:
                frames[key] = table_int(cell)
            except ValueError:
                raise DatasetError(f"{src}: {key} frame must be a frame number, got {cell!r}") from None
        if frames["offset"] < frames["onset"] or (frames["apex"] is not None and not frames["onset"] <= frames["apex"] <= frames["offset"]):
            raise DatasetError(f"{src}: frames must satisfy onset <= apex <= offset (got {frames})")
        if not r.get("subject") or not r.get("filename"):
            raise DatasetError(f"{src}: empty Subject or Filename")
        for column, name in (("Subject", subject_folder(r["subject"])), ("Filename", r["filename"])):
            if not CLIP_ID.match(name):  # both name a folder and the clip's file: nothing outside ROOT and OUT
                raise DatasetError(f"{src}: {column} {r[column.lower()]!r} {NAME_RULE}")  # the cell, not 'sub' + it
        rows.append(CorpusRow(r["subject"], r["filename"], frames["onset"], frames["apex"], frames["offset"],
                              tuple(parse_aus(r.get("aus", ""), source=src)), r.get("emotion", "").lower(), line))
    return rows


def subject_folder(subject: str) -> str:
    """``"1"``, ``"01"`` or ``"sub01"`` -> ``"sub01"``; ``"1.0"`` too (a number as a spreadsheet
    may save it, as :func:`~evface.datasets.importers.tables.table_int` reads frame numbers).

    Examples
    --------
    >>> [subject_folder(s) for s in ("1", "01", "sub01", "1.0", "Sub12", "07a")]
    ['sub01', 'sub01', 'sub01', 'sub01', 'sub12', 'sub07a']
    """
    s = subject.strip()
    if s.lower().startswith("sub"):
        s = s[3:]
    number = re.fullmatch(r"(\d+)(\.0+)?", s)
    return f"sub{int(number.group(1)):02d}" if number else f"sub{s}"


@dataclass(frozen=True, eq=False)
class VideoClip:
    """A clip given as a video file (:func:`find_frames`): its frames numbered from 1 as decoded,
    ``numbers`` those of the clip, their ``(width, height)``, the video's stated frame rate and its
    every frame's exposure start in µs from its first: the container's timestamps where they stray
    from ``i / fps`` (a variable frame rate, :func:`~evface.sim.video.strays_from_rate`), else ``i / fps``."""

    path: Path
    numbers: list[int]
    size: tuple[int, int]
    fps: float
    times_us: np.ndarray


ClipFrames = list[tuple[int, Path]] | VideoClip
"""A clip's frames: a folder's numbered frame files, or a video's (:class:`VideoClip`)."""


def find_frames(root: Path, row: CorpusRow, videos: dict[Path, VideoClip] | None = None,
                fps: float | None = None) -> ClipFrames:
    """The numbered frames of a row's folder, sorted (:func:`evface.sim.video.numbered_frames`:
    no gap, no number twice), or where the row names a video (``Filename`` with or without its
    suffix), its frames (:func:`read_video_clip`, ``fps`` the rate of a video that states none;
    kept in ``videos`` when given, for the other rows naming it); checks that the row's frames are
    among them."""
    folder = root / subject_folder(row.subject) / row.filename
    if folder.is_dir():
        frames: ClipFrames = numbered_frames(folder)
    else:
        video = _video_of(folder, row.line)
        frames = videos[video] if videos is not None and video in videos else read_video_clip(video, fps, row.line)
        if videos is not None:
            videos[video] = frames
    numbers = frame_numbers(frames)
    first, last, what = numbers[0], numbers[-1], "video" if isinstance(frames, VideoClip) else "folder"
    for key, n in (("onset", row.onset), ("apex", row.apex), ("offset", row.offset)):
        if n is not None and not first <= n <= last:
            raise DatasetError(where(clip_source(frames), f"table line {row.line}: {key} frame {n} is outside the {what}'s "
                                                          f"frames {first}..{last}"))
    return frames


def read_video_clip(path: Path, fps: float | None = None, line: int | None = None) -> VideoClip:
    """A video's frames as a clip (:class:`VideoClip`), from one pass that decodes no picture
    (:func:`~evface.datasets.importers.rgb_scan.scan_video`), at its own rate, or ``fps`` where it
    states no usable rate (its frames then ``1 / fps`` apart: a bare stream's timestamps are its
    demuxer's guess); a FormatError or ParameterError naming the video (and the table ``line``)
    where it cannot be read, holds fewer than 2 frames, decodes fewer than it lists
    (:func:`_check_all_decode`) or states no usable rate and ``fps`` is None."""
    info = video_info(path)
    stated = _stated_rate(info, fps, line)
    scan = scan_video(path, motion=False)
    _check_all_decode(path, listed_frames(info), scan.n_frames, line)
    rate = stated or float(fps)
    times = scan.times_us if stated and strays_from_rate(scan.times_us, stated) else at_rate(scan.n_frames, rate)
    return VideoClip(path, list(range(1, scan.n_frames + 1)), scan.size, rate, times)


def _check_all_decode(path: Path, listed: int, decoded: int, line: int | None) -> None:
    """A FormatError naming the video where fewer frames decode than its file lists (damaged
    mid-stream or cut short; 0 listed: a count its file does not list, :func:`~evface.sim.video.listed_frames`): the table's frame numbers count a
    whole video's frames, and past a lost frame each would name a later one (was: read without a
    word, frames 1..38 of a 40-frame AVI that lost two mid-stream numbered as if none were lost).

    Examples
    --------
    >>> _check_all_decode(Path("sub01/EP01.avi"), 40, 38, 2)
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: sub01/EP01.avi: table line 2: the file lists 40 frames and 38 decode (damaged or cut short), so the table's frame numbers past a lost frame would name others; give a whole copy of the video, or extract the frames that decode into a folder (ffmpeg -i EP01.avi -fps_mode passthrough EP01/img%d.png), check the table's numbers against them and name the folder as Filename
    """
    if 0 < decoded < listed:
        at = "" if line is None else f"table line {line}: "
        raise FormatError(where(path, f"{at}the file lists {listed:,} frames and {decoded:,} decode (damaged or cut "
                                      "short), so the table's frame numbers past a lost frame would name others; give a "
                                      "whole copy of the video, or extract the frames that decode into a folder (ffmpeg "
                                      f"-i {path.name} -fps_mode passthrough {path.stem}/img%d.png), check the table's "
                                      "numbers against them and name the folder as Filename"))


def _stated_rate(info: VideoInfo, fps: float | None, line: int | None) -> float | None:
    """The frame rate a video states, where it lies in :data:`~evface.sim.video.FPS_RANGE`; None
    where it states none such and ``fps`` is given; else a ParameterError naming the video and
    ``fps (--fps)``.

    Examples
    --------
    >>> _stated_rate(VideoInfo("EP01.mjpeg", 0.0, 30, 64, 48), None, 3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: EP01.mjpeg: table line 3: the video states no frame rate; give the rate it was filmed at as fps (--fps)
    >>> _stated_rate(VideoInfo("EP01.avi", 25.0, 30, 64, 48), None, 3), _stated_rate(VideoInfo("EP01.mjpeg", 0.0, 30, 64, 48), 30.0, 3)
    (25.0, None)
    """
    low, high = FPS_RANGE
    if np.isfinite(info.fps) and low <= info.fps <= high:
        return float(info.fps)
    if fps is not None:
        return None
    said = f"states {info.fps:g} fps, outside [{low:g}, {high:g}]" if 0 < info.fps < math.inf else "states no frame rate"
    at = "" if line is None else f"table line {line}: "
    raise ParameterError(where(info.path, f"{at}the video {said}; give the rate it was filmed at as fps (--fps)"))


def frame_numbers(frames: ClipFrames) -> list[int]:
    """The frame numbers of a clip's frames, as the table counts them."""
    return frames.numbers if isinstance(frames, VideoClip) else [n for n, _ in frames]


def clip_source(frames: ClipFrames) -> Path:
    """A clip's folder of frames, or its video file."""
    return frames.path if isinstance(frames, VideoClip) else frames[0][1].parent


def _video_of(folder: Path, line: int) -> Path:
    """The video a row names where ``folder`` is no folder: the file itself, else the one file
    beside it that shares its name with a suffix (``EP01.avi`` for ``EP01``); a DatasetError where
    there is none or several."""
    if folder.exists():
        return folder
    beside = sorted(p.name for p in folder.parent.glob(f"{glob.escape(folder.name)}.*")) if folder.parent.is_dir() else []
    if len(beside) == 1:
        return folder.parent / beside[0]
    if beside:
        raise DatasetError(where(folder, f"frame folder of table line {line} not found, and several files share its "
                                         f"name: {', '.join(beside)}; give the video's name with its suffix as Filename"))
    raise DatasetError(where(folder, f"frame folder of table line {line} not found, nor a video {folder.name}.*"))


def clip_folder(row: CorpusRow) -> str:
    """A row's clip folder under ROOT, ``SUBJECT/FILENAME`` (``sub01/EP01_01``)."""
    return f"{subject_folder(row.subject)}/{row.filename}"


def shared_folders(rows: list[CorpusRow]) -> set[str]:
    """The clip folders (:func:`clip_folder`) that several rows of the table name: a long recording
    holding several expressions (CAS(ME)^2), each row's clip the window of frames onset..offset.

    Examples
    --------
    >>> rows = [CorpusRow("1", name, 10, None, 20, (4,), "", line) for line, name in enumerate(["A", "B", "A"], 2)]
    >>> shared_folders(rows)
    {'sub01/A'}
    """
    names = [clip_folder(r) for r in rows]
    return {n for n in names if names.count(n) > 1}


def clip_frames(row: CorpusRow, frames: ClipFrames, shared: set[str]) -> ClipFrames:
    """The frames of a row's clip: its folder's or video's ``frames`` (:func:`find_frames`), or
    where the folder is one of ``shared`` (:func:`shared_folders`), those of its window onset..offset."""
    if clip_folder(row) not in shared:
        return frames
    if isinstance(frames, VideoClip):
        return replace(frames, numbers=[n for n in frames.numbers if row.onset <= n <= row.offset])
    return [(n, path) for n, path in frames if row.onset <= n <= row.offset]


def load_frames(frames: list[tuple[int, Path]]) -> np.ndarray:
    """Read a folder clip's numbered frame files into (N, H, W, 3) uint8 RGB
    (:func:`evface.sim.video.iter_frame_files`: 8-bit, one size for all); a video's clips are read
    by :class:`ClipReader`."""
    return np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in iter_frame_files(frames)])


def conversion_order(folders: list[ClipFrames]) -> list[int]:
    """The order in which the rows' clips are read: the table's, except that the clips of one video
    follow its first row in frame order (by first frame, then row), so that :class:`ClipReader`
    decodes the video once from start to end over all its windows.

    Examples
    --------
    >>> video = VideoClip(Path("EP01.avi"), list(range(1, 101)), (64, 48), 30.0, np.zeros(100, np.int64))
    >>> conversion_order([replace(video, numbers=[50, 51]), [(1, Path("a/img1.jpg"))], replace(video, numbers=[10, 11])])
    [2, 0, 1]
    """
    first: dict[Path, int] = {}
    for i, frames in enumerate(folders):
        if isinstance(frames, VideoClip):
            first.setdefault(frames.path, i)

    def key(i: int) -> tuple[int, int, int]:
        frames = folders[i]
        return (first[frames.path], frames.numbers[0], i) if isinstance(frames, VideoClip) else (i, 0, i)

    return sorted(range(len(folders)), key=key)


class ClipReader:
    """Reads clips' frames into (N, H, W, 3) uint8 RGB in :func:`conversion_order`: a folder's
    (:func:`load_frames`), and the clips of one video from one :class:`~evface.datasets.importers.rgb_scan.FrameReader`, which decodes the video
    forward from where the last clip's frames stopped (was: from its start for each clip, a long
    recording cut into N windows decoded N times; the frames are the same), holding, between two
    clips, only the frames of the next one that this one read too (overlapping windows)."""

    def __init__(self) -> None:
        self._reader: FrameReader | None = None
        self._path: Path | None = None

    def read(self, frames: ClipFrames, following: ClipFrames | None) -> np.ndarray:
        """A clip's frames, its video's numbered from 1 as decoded; ``following``: the clip read next (None: none)."""
        if not isinstance(frames, VideoClip):
            self.close()
            return load_frames(frames)
        if frames.path != self._path:
            self.close()
            self._reader, self._path = FrameReader(frames.path), frames.path
        rgb = np.stack(list(self._reader.read([n - 1 for n in frames.numbers]).values()))
        same = isinstance(following, VideoClip) and following.path == frames.path
        self._reader.forget_before(following.numbers[0] - 1 if same else None)
        return rgb

    def close(self) -> None:
        """Close the video being read."""
        if self._reader is not None:
            self._reader.close()
        self._reader = self._path = None


def resample_rgb(rgb: np.ndarray, fps: float, rgb_fps: float, t_us: np.ndarray | None = None,
                 duration_us: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Box-average corpus frames into ``rgb_fps`` frames; returns (frames, t_us, exposure_us).
    The frames start at ``t_us`` (µs) and last ``duration_us`` in all, by default at ``i / fps``."""
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
class ClipTimes:
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


def _check_frames(rows: list[CorpusRow], folders: list[list[tuple[int, Path]]], options: CorpusOptions) -> None:
    """Refuse, before any clip is simulated, a frame that the clip's reading would stop at (another
    size than its folder's first frame, more than 8 bits a sample, unreadable: each file's header,
    :func:`~evface.datasets.importers.rgb_scan.frame_header`), a ``face_box`` mostly outside a
    clip's frames, and a clip whose frames, read whole and stacked (twice the frames), would take
    more than half of this machine's memory (:func:`~evface.checks.within_memory`), and an
    ``rgb_fps`` above a clip's own rate (:func:`_check_rgb_fps`), a window of one frame
    (:func:`_check_two_frames`) and a pause the DVS model cannot step over (:func:`_check_steps`)."""
    for row, frames in zip(rows, folders):
        _check_two_frames(row, frames)
        _check_steps(row, frames, options)
        _check_rgb_fps(row, frames, options)
        video = isinstance(frames, VideoClip)
        width, height = frames.size if video else frames_size(frames, "the clip's", f"table line {row.line}: ")
        folder, numbers = clip_source(frames), frame_numbers(frames)
        first, last = numbers[0], numbers[-1]
        if options.face_box is not None:
            box_in_frame(options.face_box, (width, height), f"{folder}: face_box (--face-box)")
        advice = (f"move the frames before OnsetFrame {row.onset} and after OffsetFrame {row.offset} out of the "
                  f"folder (it holds {first}..{last}), or give it fewer or smaller frames")
        if video:
            advice = f"the clip is the video's frames {first}..{last}: give a shorter video, or smaller frames"
        if (first, last) == (row.onset, row.offset):  # a window of a long recording, or a folder holding it alone
            advice = f"the clip is its frames {first}..{last} (OnsetFrame..OffsetFrame) alone: give it smaller frames"
        within_memory(2 * len(numbers) * height * width * 3,
                      f"{folder}: table line {row.line}: reading the clip's {len(numbers)} frames of {width}x{height} whole",
                      advice)


def _check_one_name(rows: list[CorpusRow], folders: list[ClipFrames]) -> None:
    """Refuse two rows that name one video or folder (:func:`clip_source`, links followed) by two
    names (``EP01`` and ``EP01.avi``): rows are cut into windows by the name they give
    (:func:`shared_folders`), so each was its whole video (was: two whole-video clips, each row's
    onset..offset only its times in it)."""
    named: dict[Path, CorpusRow] = {}
    for row, frames in zip(rows, folders):
        source = clip_source(frames)
        first = named.setdefault(source.resolve(), row)
        if clip_folder(first) != clip_folder(row):
            what = "video" if isinstance(frames, VideoClip) else "folder"
            raise DatasetError(where(source, f"table lines {first.line} and {row.line} name this {what} by two names, "
                                             f"{clip_folder(first)} and {clip_folder(row)}; give its rows one Filename "
                                             f"(the rows naming one {what} are its windows)"))


def _check_two_frames(row: CorpusRow, frames: ClipFrames) -> None:
    """Refuse a clip of one frame, the window of a row whose OnsetFrame is its OffsetFrame in a
    video or folder that other rows name too (a whole video or folder holds at least 2): a DVS
    sees the changes between frames, so its clip would hold no event (was: written, 0 events)."""
    if len(frame_numbers(frames)) < 2:
        raise DatasetError(where(clip_source(frames), f"table line {row.line}: the clip is the one frame {row.onset} "
                                                      "(OnsetFrame..OffsetFrame), and a DVS sees the changes between "
                                                      "frames: it would hold no event; give an OffsetFrame after its "
                                                      "OnsetFrame"))


def _check_steps(row: CorpusRow, frames: ClipFrames, options: CorpusOptions) -> None:
    """Refuse a clip whose frames' mid-exposures lie so far apart (a pause in a variable-frame-rate
    video, at its container's timestamps) that a simulation step between them, ``upsample`` steps a
    frame interval, would pass :data:`~evface.sim.dvs.MAX_STEP_US`; one line naming the clip's
    video, table line and frames and the ``upsample`` that steps over it (was: "t_us 25500000 is
    16,000,000 µs after the previous frame; ... give frames in between", naming no file nor
    option, after the clips before it were simulated)."""
    t_us, exposure_us, _ = _frame_timing(frames, options.folder_fps)
    step = np.diff(t_us + exposure_us // 2)
    k, substeps = int(np.argmax(step)), _frame_rate(frames, options)[1]
    if step[k] / substeps > MAX_STEP_US:
        n = frame_numbers(frames)[k]
        raise ParameterError(where(clip_source(frames), f"table line {row.line}: frames {n} and {n + 1} lie "
                                                        f"{step[k] / 1e6:.1f} s apart at their mid-exposures (a pause in "
                                                        f"the video), and the DVS model steps at most {MAX_STEP_US / 1e6:g} "
                                                        f"s; give upsample (--upsample) {-(-int(step[k]) // MAX_STEP_US)} or "
                                                        "more"))


def _check_rgb_fps(row: CorpusRow, frames: ClipFrames, options: CorpusOptions) -> None:
    """Refuse an ``options.rgb_fps`` above the clip's own rate (a video's, a folder's ``fps``):
    its frames are box-averaged into fewer, never more (was: checked against ``fps`` alone, so a
    30 fps video's frames were spread over 60 fps bins at odd times, and a 500 fps video refused 300)."""
    rate = _frame_rate(frames, options)[0]
    if options.rgb_fps is None or options.rgb_fps <= rate:
        return
    whose = "the video's own rate" if isinstance(frames, VideoClip) else "the rate of its folder of frames, fps (--fps)"
    raise ParameterError(where(clip_source(frames), f"table line {row.line}: rgb_fps (--rgb-fps) {options.rgb_fps:g} is "
                                                    f"above {whose}, {rate:g} fps; give rgb_fps {rate:g} or less "
                                                    "(the frames are averaged into fewer, never more)"))


def _clip_id(row: CorpusRow, shared: set[str]) -> str:
    """A row's clip id: ``SUBJECT_FILENAME``, and ``SUBJECT_FILENAME_ONSET-OFFSET`` where its folder
    is one of ``shared`` (:func:`shared_folders`: its clip is the window onset..offset).

    Examples
    --------
    >>> row = CorpusRow("15", "0502", 253, 270, 291, (4,), "", 2)
    >>> _clip_id(row, set()), _clip_id(row, {"sub15/0502"})
    ('sub15_0502', 'sub15_0502_253-291')
    """
    base = f"{subject_folder(row.subject)}_{row.filename}"
    return f"{base}_{row.onset}-{row.offset}" if clip_folder(row) in shared else base


def _clip_ids(rows: list[CorpusRow], table: str | Path, shared: set[str]) -> list[str]:
    """Each row's clip id (:func:`_clip_id`); refused, naming both table lines, where two rows give
    the same one (the same folder with the same window twice), or two ids differ only in case."""
    ids = [_clip_id(r, shared) for r in rows]
    first: dict[str, CorpusRow] = {}
    for row, clip_id in zip(rows, ids):
        if clip_id in first:
            a = first[clip_id]
            raise DatasetError(where(table, f"lines {a.line} and {row.line} both give clip {clip_id} ({_window(a)} and "
                                            f"{_window(row)}); remove one of the two rows"))
        first[clip_id] = row
    twins = case_twins(ids)
    if twins:
        raise DatasetError(where(table, f"{differ_in_case(*twins)}; rename one of the two clip folders and its "
                                        "Filename in the table"))
    return ids


def _window(row: CorpusRow) -> str:
    """A row's folder and frames, as a refusal names them: ``sub01/EP01 frames 10..40``."""
    return f"{clip_folder(row)} frames {row.onset}..{row.offset}"


def _sensors(options: CorpusOptions) -> list[tuple[str, SensorSpec]]:
    """The import's sensors (:func:`corpus_sensor`), refused where two share a clip name."""
    sensors = [corpus_sensor(s) for s in options.sensors]
    names = [name for name, _ in sensors]
    if len(set(names)) != len(names):
        raise ParameterError(f"two sensors share the clip name: {options.sensors}")
    return sensors


def _open_partial(out: Path, settings: dict[str, Any], sources: dict[str, str]) -> Path:
    """``OUT.partial`` with its ``clips`` folder, kept to resume where its ``import.json`` records
    the same ``settings`` (the options and :func:`_rows_key`), else made afresh; a kept clip whose
    source differs from the one recorded (``sources``: :func:`_source_key` by clip id) is removed,
    to be converted again, and the sources now are recorded; returns it."""
    tmp = out.with_name(out.name + ".partial")
    stamp = tmp / "import.json"
    before = json.loads(stamp.read_text()) if stamp.exists() else {}
    recorded = before.pop("sources", {})
    if tmp.exists() and before != json.loads(json.dumps(settings)):
        remove_partial(tmp)
        recorded = {}
    (tmp / "clips").mkdir(parents=True, exist_ok=True)
    for clip_id, key in sources.items():
        if recorded.get(clip_id) != key:  # replaced since its clip was written (or never recorded)
            (tmp / "clips" / f"{clip_id}.h5").unlink(missing_ok=True)
    atomic_write_text(stamp, json.dumps({**settings, "sources": sources}))
    return tmp


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
    >>> row = CorpusRow("1", "EP01", 3, None, 12, (4,), "", 2)
    >>> _rows_key([row]) == _rows_key([replace(row)]), _rows_key([row]) == _rows_key([replace(row, aus=(12,))])
    (True, False)
    """
    return hashlib.sha256(json.dumps([asdict(r) for r in rows]).encode()).hexdigest()


def _clip_times(row: CorpusRow, frames: ClipFrames, fps: float) -> ClipTimes:
    """A row's times in its clip (:func:`_frame_timing`): a folder's frame ``n`` at
    ``round((n - n0) * 1e6 / fps)`` µs, a video's at its own time from the clip's first frame."""
    n0 = frame_numbers(frames)[0]
    t_us, _, duration_us = _frame_timing(frames, fps)
    apex = row.apex if row.apex is not None else (row.onset + row.offset) // 2
    onset_us, apex_us, offset_us = (int(t_us[n - n0]) for n in (row.onset, apex, row.offset))
    return ClipTimes(n0, apex, onset_us, apex_us, offset_us, duration_us)


def _frame_timing(frames: ClipFrames, fps: float) -> tuple[np.ndarray, np.ndarray, int]:
    """A clip's frames' exposure starts (µs from its first frame), their exposures (µs) and the
    clip's duration (µs): a folder's frame ``i`` at ``i / fps``, exposed a period; a video's frames
    at their times (:class:`VideoClip`), each exposed until the next frame of the video
    (:func:`~evface.sim.video.own_intervals`), as ``evface simulate VIDEO`` sees them."""
    if isinstance(frames, VideoClip):
        k = np.asarray(frames.numbers) - 1
        t_us, exposure = frames.times_us[k] - frames.times_us[k[0]], own_intervals(frames.times_us)[k]
        return t_us, exposure, int(t_us[-1] + exposure[-1])
    n = len(frames)
    return at_rate(n, fps), np.full(n, round(1e6 / fps), np.int64), round(n * 1e6 / fps)


def _frame_rate(frames: ClipFrames, options: CorpusOptions) -> tuple[float, int]:
    """A clip's frame rate (a video's own, else ``options.folder_fps``) and its simulation steps per frame
    interval (``options.upsample``, else enough for 1 kHz at that rate)."""
    if not isinstance(frames, VideoClip):
        return options.folder_fps, options.substeps
    return frames.fps, options.upsample if options.upsample is not None else max(1, math.ceil(1000.0 / frames.fps))


def _clip_label(row: CorpusRow, options: CorpusOptions) -> str:
    """A row's label: its class of ``options.classes``, else its AUs or estimated emotion."""
    if options.classes:
        return label_from_classes(row.aus, class_set(options.classes))
    return label_from_aus(row.aus) if options.label == "aus" else (row.emotion or "unknown")


def _simulate_sensors(rgb: np.ndarray, seen_us: list[int], substeps: int, sensors: list[tuple[str, SensorSpec]],
                      index: int, options: CorpusOptions) -> tuple[dict[str, np.ndarray], dict[str, SensorInfo],
                                                                   dict[str, np.ndarray]]:
    """Each sensor's events of the clip's frames ``rgb`` (seen at their mid-exposures ``seen_us``,
    ``substeps`` steps apart), the clip being row ``index``, with its sensor info and RGB -> sensor
    homography."""
    events, infos, homs = {}, {}, {}
    for j, (name, spec) in enumerate(sensors):
        (w, h), preset = spec.size, spec.sensor.name
        homs[name] = Cover.of((rgb.shape[2], rgb.shape[1]), spec.size).homography
        sim = DvsSimulator(spec.size, DvsParams.preset(preset), seed=options.seed * 100_003 + index * 101 + j)
        lux = (frame_to_lux(f[:, :, ::-1], options.lux_white, spec.size) for f in rgb)  # RGB -> OpenCV's BGR
        events[name] = concatenate(list(iter_lux_events(sim, lux, seen_us, substeps)))
        infos[name] = SensorInfo(name, w, h, w, h, (0, 0, w, h), preset,
                                 {"lux_white": options.lux_white, "substeps": substeps})
    return events, infos, homs


def _rgb_face_box(rgb: np.ndarray, row: CorpusRow, frames: ClipFrames, clip_id: str, times: ClipTimes,
                  options: CorpusOptions, warnings: list[str]) -> list[float]:
    """The clip's face box in its frames' pixels: ``options.face_box`` clipped to them, else the
    detector's in the apex frame and frames spread over the clip (notes appended to ``warnings``);
    refused where neither gives one."""
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


def _convert_clip(index: int, row: CorpusRow, frames: ClipFrames, rgb: np.ndarray, clip_id: str, times: ClipTimes,
                  label: str, sensors: list[tuple[str, SensorSpec]], options: CorpusOptions,
                  warnings: list[str]) -> Clip:
    """Row ``index`` as a clip of its frames ``rgb`` (:class:`ClipReader`): each sensor's events
    simulated, its face box found and its RGB frames (resampled where asked); notes are appended to
    ``warnings``."""
    t_us, exposure_us, duration_us = _frame_timing(frames, options.folder_fps)
    fps, substeps = _frame_rate(frames, options)
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


def _manifest_row(row: CorpusRow, clip_id: str, label: str, times: ClipTimes, options: CorpusOptions) -> dict[str, Any]:
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

    Returns
    -------
    dict
        The ``import`` section of ``dataset.json`` (options and clip ids).
    """
    root, out = Path(root), Path(out)
    tell = progress or (lambda stage, frac: None)
    _check_request(root, table, out, options)
    every_row = read_corpus_table(table)
    shared = shared_folders(every_row)  # of the whole table: a row's clip id does not depend on --classes
    rows, skipped = _rows_of_classes(every_row, table, options)
    videos: dict[Path, VideoClip] = {}  # each video scanned once, however many rows cut it
    folders = [clip_frames(r, find_frames(root, r, videos, options.fps), shared) for r in rows]
    _check_one_name(rows, folders)
    _check_frames(rows, folders, options)
    ids = _clip_ids(rows, table, shared)
    sensors = _sensors(options)

    settings = {"root": str(root.resolve()), "table": str(Path(table).resolve()), **asdict(options)}
    settings.pop("overwrite")
    tmp = _open_partial(out, {**settings, "rows": _rows_key(rows)},
                        {clip_id: _source_key(frames) for clip_id, frames in zip(ids, folders)})
    manifest = []
    warnings: list[str] = []
    order = conversion_order(folders)
    with closing(ClipReader()) as reader:
        for done, (i, following) in enumerate(zip(order, [*order[1:], None])):
            tell("convert clips", done / len(rows))
            row, frames, clip_id = rows[i], folders[i], ids[i]
            times = _clip_times(row, frames, options.folder_fps)
            label = _clip_label(row, options)
            clip_path = tmp / "clips" / f"{clip_id}.h5"
            if not clip_path.exists():  # else written before an interruption, of the same source: resumed
                rgb = reader.read(frames, None if following is None else folders[following])
                write_clip(clip_path, _convert_clip(i, row, frames, rgb, clip_id, times, label, sensors, options, warnings))
            manifest.append(_manifest_row(row, clip_id, label, times, options))
    report = {"options": settings, "clips": ids, "skipped": skipped, "warnings": warnings}
    write_manifest(tmp, manifest)
    write_dataset_json(tmp, {"generator": "evface import corpus", "version": __version__, "seed": options.seed,
                             "params": settings, "import": report})
    (tmp / "import.json").unlink()
    publish_partial(tmp, out)
    tell("done", 1.0)
    return report
