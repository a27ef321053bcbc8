"""A corpus clip's frames: a folder of numbered frames or a video (:class:`VideoClip`) as its
source, found for a table row (:func:`find_frames`), cut into a row's window where several rows
name one folder or video (:func:`shared_folders`, :func:`clip_frames`), their times and rate, and
read (:class:`ClipReader`: the clips of one video in frame order from one pass over it,
:func:`conversion_order`).

How a folder and a video are read is what :mod:`~evface.datasets.importers.corpus` describes.
"""

from __future__ import annotations

import glob
import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from evface.datasets.importers.corpus_options import CorpusOptions
from evface.datasets.importers.corpus_table import CorpusRow, clip_folder, subject_folder
from evface.datasets.importers.rgb_scan import FrameReader, scan_video
from evface.errors import DatasetError, FormatError, ParameterError, where
from evface.sim.frame_folder import iter_frame_files, numbered_frames
from evface.sim.video_read import FPS_RANGE, VideoInfo, video_info
from evface.sim.video_timing import at_rate, own_intervals, strays_from_rate


@dataclass(frozen=True, eq=False)
class VideoClip:
    """A clip given as a video file (:func:`find_frames`): its frames numbered from 1 as decoded,
    ``numbers`` those of the clip, their ``(width, height)``, the video's stated frame rate and its
    every frame's exposure start in µs from its first: the container's timestamps where they stray
    from ``i / fps`` (a variable frame rate, :func:`~evface.sim.video_timing.strays_from_rate`), else ``i / fps``."""

    path: Path
    numbers: list[int]
    size: tuple[int, int]
    fps: float
    times_us: np.ndarray


ClipFrames = list[tuple[int, Path]] | VideoClip
"""A clip's frames: a folder's numbered frame files, or a video's (:class:`VideoClip`)."""


def find_frames(root: Path, row: CorpusRow, videos: dict[Path, VideoClip] | None = None,
                fps: float | None = None) -> ClipFrames:
    """The numbered frames of a row's folder, sorted (:func:`evface.sim.frame_folder.numbered_frames`:
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
    _check_all_decode(path, scan.listed, scan.n_frames, line)
    if stated is not None:
        rate = stated
    else:
        assert fps is not None, "_stated_rate returns None only where fps is given"
        rate = float(fps)
    stamps = scan.times_us
    times = stamps if stamps is not None and stated and strays_from_rate(stamps, stated) else at_rate(scan.n_frames, rate)
    return VideoClip(path, list(range(1, scan.n_frames + 1)), scan.size, rate, times)


def _check_all_decode(path: Path, listed: int, decoded: int, line: int | None) -> None:
    """A FormatError naming the video where fewer frames decode than its file lists (damaged
    mid-stream or cut short; 0 listed: a count its file does not list, :func:`~evface.sim.video_read.listed_frames`): the table's frame numbers count a
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
    """The frame rate a video states, where it lies in :data:`~evface.sim.video_read.FPS_RANGE`; None
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


def shared_folders(rows: list[CorpusRow]) -> set[str]:
    """The clip folders (:func:`~evface.datasets.importers.corpus_table.clip_folder`) that several rows of the
    table name: a long recording holding several expressions (CAS(ME)^2), each row's clip the
    window of frames onset..offset.

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


def frame_timing(frames: ClipFrames, fps: float) -> tuple[np.ndarray, np.ndarray, int]:
    """A clip's frames' exposure starts (µs from its first frame), their exposures (µs) and the
    clip's duration (µs): a folder's frame ``i`` at ``i / fps``, exposed a period; a video's frames
    at their times (:class:`VideoClip`), each exposed until the next frame of the video
    (:func:`~evface.sim.video_timing.own_intervals`), as ``evface simulate VIDEO`` sees them."""
    if isinstance(frames, VideoClip):
        k = np.asarray(frames.numbers) - 1
        t_us, exposure = frames.times_us[k] - frames.times_us[k[0]], own_intervals(frames.times_us)[k]
        return t_us, exposure, int(t_us[-1] + exposure[-1])
    n = len(frames)
    return at_rate(n, fps), np.full(n, round(1e6 / fps), np.int64), round(n * 1e6 / fps)


def frame_rate(frames: ClipFrames, options: CorpusOptions) -> tuple[float, int]:
    """A clip's frame rate (a video's own, else ``options.folder_fps``) and its simulation steps per frame
    interval (``options.upsample``, else enough for 1 kHz at that rate)."""
    if not isinstance(frames, VideoClip):
        return options.folder_fps, options.substeps
    return frames.fps, options.upsample if options.upsample is not None else max(1, math.ceil(1000.0 / frames.fps))


def load_frames(frames: list[tuple[int, Path]]) -> np.ndarray:
    """Read a folder clip's numbered frame files into (N, H, W, 3) uint8 RGB
    (:func:`evface.sim.frame_folder.iter_frame_files`: 8-bit, one size for all); a video's clips are read
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
        reader = self._reader
        if reader is None or frames.path != self._path:  # None: no video read yet, no path either
            self.close()
            reader = self._reader = FrameReader(frames.path)
            self._path = frames.path
        rgb = np.stack(list(reader.read([n - 1 for n in frames.numbers]).values()))
        same = following if isinstance(following, VideoClip) and following.path == frames.path else None  # video's next clip
        reader.forget_before(None if same is None else same.numbers[0] - 1)
        return rgb

    def close(self) -> None:
        """Close the video being read."""
        if self._reader is not None:
            self._reader.close()
        self._reader = self._path = None
