"""Reading footage: a video file OpenCV decodes, or a folder of numbered frames, as one stream of frames.

Footage is a video file or a folder of numbered frames (:mod:`evface.sim.frame_folder`: frame
``n`` of a folder whose first frame is ``n0`` is frame ``i = n - n0`` of the video those frames
make). :func:`video_info` states what either holds (rate, count, size), :func:`video_fps` the rate
to use, :func:`count_frames` counts the frames decoding as little as it can, and
:func:`iter_video_frames` decodes them one at a time, with their container timestamps.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from evface.checks import is_number
from evface.errors import FormatError, ParameterError, where
from evface.io.native_stderr import StderrKeeper, opencv_name, stderr_kept
from evface.sim.dvs import MAX_STEP_US
from evface.sim.frame_folder import iter_frame_files, numbered_frames, read_frame


@dataclass(frozen=True)
class VideoInfo:
    """What OpenCV reports about a video: frame rate, frame count (may be 0 if unknown), size; for a
    folder of numbered frames the frame rate is 0 (unknown) and ``first_frame`` its first number.

    Parameters
    ----------
    path : str
        The video file or folder of frames.
    fps : float
        The frame rate the file states; 0 when unknown.
    n_frames : int
        The frame count; 0 when unknown.
    width, height : int
        The frames' size in pixels.
    first_frame : int or None, optional
        The number of a folder's first frame; None for a video file.

    Examples
    --------
    >>> info = VideoInfo("clip.avi", 30.0, 90, 640, 480)
    >>> info.fps, info.n_frames, info.first_frame
    (30.0, 90, None)
    """

    path: str
    fps: float
    n_frames: int
    width: int
    height: int
    first_frame: int | None = None


BARE_STREAMS = (".mjpeg", ".mjpg", ".h264", ".264", ".h265", ".265", ".hevc")
"""Video files that are a bare codec stream in no container (an IP camera's MJPEG dump, an H.264
elementary stream): they state no frame rate, and OpenCV's FFmpeg backend reports FFmpeg's guess
of 25 fps, with frame timestamps to match; :func:`video_info` states 0 (unknown) for them."""

FRAME_TABLE_CONTAINERS = (".avi", ".mp4", ".mov", ".m4v", ".3gp")
"""Containers whose index lists every frame (AVI's, MP4/QuickTime's sample table): the frame count
OpenCV reports for them is the file's own. For others (Matroska, WebM, bare streams) it is FFmpeg's
estimate from duration and rate, which a variable-rate recording misses without any frame lost."""


def listed_frames(info: VideoInfo) -> int:
    """The frame count the file of ``info`` lists in its index (:data:`FRAME_TABLE_CONTAINERS`), to
    compare with the frames that decode; 0 where it lists none (an estimate is no listing).

    Parameters
    ----------
    info : VideoInfo
        What :func:`video_info` reported of the file.

    Returns
    -------
    int
        The listed frame count, or 0.

    Examples
    --------
    >>> listed_frames(VideoInfo("a.avi", 30.0, 40, 64, 48)), listed_frames(VideoInfo("a.mkv", 30.0, 40, 64, 48))
    (40, 0)
    """
    return info.n_frames if Path(info.path).suffix.lower() in FRAME_TABLE_CONTAINERS else 0


def open_video(path: str | Path) -> cv2.VideoCapture:
    """An OpenCV capture of ``path``; a FormatError naming the file when it is missing or
    unreadable, with the first line its demuxer wrote to standard error (was: that line, and
    FFmpeg's, printed beside the error: "Unexpected element. Expected: LIST. Got: RV." for an AVI
    cut short, with bytes of the file in it).

    Parameters
    ----------
    path : str or Path
        The video file.

    Returns
    -------
    cv2.VideoCapture
        The opened capture; the caller releases it.

    Examples
    --------
    >>> from evface.sim.video_write import write_video
    >>> _ = write_video("open_video.avi", (np.zeros((16, 16, 3), np.uint8) for _ in range(2)), 25.0)
    >>> cap = open_video("open_video.avi")
    >>> cap.isOpened(), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    (True, 2)
    >>> cap.release()
    >>> open_video("missing.avi")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: missing.avi: no such video file
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError(where(path, "no such video file"))
    with stderr_kept() as said:
        cap = cv2.VideoCapture(opencv_name(path))  # a name not UTF-8 crashed OpenCV
    if not cap.isOpened():
        cap.release()
        raise FormatError(where(path, "OpenCV cannot open this video" + "".join(f" ({line})" for line in said[:1])))
    return cap


def video_info(path: str | Path) -> VideoInfo:
    """Frame rate, frame count and size of a video or a folder of numbered frames (module
    docstring); a FormatError or DatasetError naming what is missing or unreadable. The rate of a
    bare codec stream (:data:`BARE_STREAMS`) is 0, unknown: the 25 fps OpenCV reports is no rate
    the file states (was: taken, a 15 fps camera's frames simulated and imported 40 ms apart).

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.

    Returns
    -------
    VideoInfo
        What the file states.

    Examples
    --------
    >>> from evface.sim.video_write import write_video
    >>> _ = write_video("video_info.avi", (np.zeros((16, 24, 3), np.uint8) for _ in range(3)), 25.0)
    >>> video_info("video_info.avi")
    VideoInfo(path='video_info.avi', fps=25.0, n_frames=3, width=24, height=16, first_frame=None)
    """
    if Path(path).is_dir():
        frames = numbered_frames(path)
        height, width = read_frame(frames[0][1]).shape[:2]
        return VideoInfo(str(path), 0.0, len(frames), width, height, first_frame=frames[0][0])
    if not Path(path).exists():
        raise FormatError(where(path, "no such video file or folder of frames"))
    cap = open_video(path)
    try:
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)  # < 0 when unknown: a still image gave -2^63
        fps = 0.0 if Path(path).suffix.lower() in BARE_STREAMS else float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        info = VideoInfo(str(path), fps, max(count, 0),
                         int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    return info


def count_frames(path: str | Path, times: list[float] | None = None) -> tuple[int, tuple[int, int]]:
    """The number of frames of a video or folder of numbered frames and their ``(width, height)``,
    decoding as little as it can: a folder's first file alone is read, a video is demuxed and
    decoded to its end without converting the frames (its frame-count metadata is unreliable).
    ``times``, when given, gets each video frame's container timestamp (:func:`iter_video_frames`).

    Raises FormatError when the file cannot be opened or holds no frame.

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.
    times : list of float, optional
        A list that each video frame's container timestamp (ms) is appended to.

    Returns
    -------
    n_frames : int
        The number of frames.
    size : tuple of int
        ``(width, height)`` of the frames.

    Examples
    --------
    >>> from evface.sim.video_write import write_video
    >>> _ = write_video("count_frames.avi", (np.zeros((16, 24, 3), np.uint8) for _ in range(3)), 25.0)
    >>> times = []
    >>> count_frames("count_frames.avi", times), times
    ((3, (24, 16)), [0.0, 40.0, 80.0])
    """
    if Path(path).is_dir():
        frames = numbered_frames(path)
        height, width = read_frame(frames[0][1]).shape[:2]
        return len(frames), (width, height)
    decoded = _decoded(path)
    try:
        height, width = next(decoded).shape[:2]
    finally:
        decoded.close()
    cap, native = open_video(path), StderrKeeper()  # a damaged frame's decoder lines kept off the terminal
    try:
        count = 0
        while native.call(cap.grab):
            count += 1
            if times is not None:
                times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
    finally:
        cap.release()
        native.close()
    return count, (width, height)


def iter_video_frames(path: str | Path, times: list[float] | None = None) -> Iterator[np.ndarray]:
    """Decoded frames of a video or of a folder of numbered frames (:func:`~evface.sim.frame_folder.iter_frame_files`),
    uint8 (H, W, 3) in OpenCV's BGR order, one at a time. ``times``, when given, gets each video
    frame's container timestamp in ms as it is decoded (OpenCV's ``CAP_PROP_POS_MSEC``: 0 or -1
    when the container has none; a folder's frames get none).

    Raises FormatError when the file cannot be opened or holds no frame.

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.
    times : list of float, optional
        A list that each video frame's container timestamp (ms) is appended to.

    Returns
    -------
    iterator of ndarray of uint8, shape (H, W, 3)
        The frames, in order.

    Examples
    --------
    >>> from evface.sim.video_write import write_video
    >>> _ = write_video("iter_video_frames.avi", (np.zeros((16, 24, 3), np.uint8) for _ in range(2)), 25.0)
    >>> times = []
    >>> [frame.shape for frame in iter_video_frames("iter_video_frames.avi", times)], times
    ([(16, 24, 3), (16, 24, 3)], [0.0, 40.0])
    """
    if Path(path).is_dir():
        return iter_frame_files(numbered_frames(path))
    return _decoded(path, times)


def _decoded(path: str | Path, times: list[float] | None = None) -> Generator[np.ndarray, None, None]:
    """The frames OpenCV decodes from the video file ``path`` (:func:`iter_video_frames`); a
    FormatError naming the frame whose size differs from the first frame's (OpenCV's FFmpeg
    backend scales such a frame to the stream's first size; another backend hands it on)."""
    cap, native = open_video(path), StderrKeeper()  # a damaged frame's decoder lines kept for an error
    try:
        count = 0
        first = None
        while True:
            ok, frame = native.call(cap.read)
            if not ok:
                break
            if frame is None or frame.size == 0:
                raise FormatError(where(path, f"frame {count} is empty"))
            if frame.ndim == 2:
                frame = np.repeat(frame[:, :, None], 3, axis=2)
            if first is None:
                first = frame.shape
            elif frame.shape != first:
                raise FormatError(where(path, f"frame {count} is {frame.shape[1]}x{frame.shape[0]}, unlike the video's first "
                                              f"frame {first[1]}x{first[0]}; re-encode the video at one size"))
            count += 1
            if times is not None:
                times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
            yield frame
        if count == 0:
            raise FormatError(where(path, "no decodable frame" + "".join(f" ({line})" for line in native.said)))
    finally:
        cap.release()
        native.close()


FPS_RANGE = (1e6 / MAX_STEP_US, 1e6)
"""The frame rates a video is simulated at: frames at most :data:`~evface.sim.dvs.MAX_STEP_US` (10 s)
apart, the DVS model's longest step, and at least 1 µs apart, the events' resolution."""


def video_fps(info: VideoInfo, fps: float | None) -> float:
    """The frame rate to use: ``fps`` when given, else the file's (a folder of frames has none);
    either in :data:`FPS_RANGE`.

    Parameters
    ----------
    info : VideoInfo
        What :func:`video_info` reported of the file.
    fps : float or None
        The rate the user gave, or None for the file's.

    Returns
    -------
    float
        The frame rate.

    Examples
    --------
    >>> video_fps(VideoInfo("in.avi", 0.0, 0, 64, 48), 1e-6)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: fps must be in [0.1, 1e+06] (frames 10 s to 1 µs apart), got 1e-06
    >>> video_fps(VideoInfo("EP02_01f", 0.0, 30, 640, 480, first_frame=46), None)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: EP02_01f: a folder of frames states no frame rate; give the rate it was filmed at (CASME II and SAMM: 200)
    """
    low, high = FPS_RANGE
    bounds = f"[{low:g}, {high:g}] (frames {MAX_STEP_US / 1e6:g} s to 1 µs apart)"
    if fps is not None:
        if not (is_number(fps) and low <= fps <= high):
            raise ParameterError(f"fps must be in {bounds}, got {fps}")
        return float(fps)
    if info.first_frame is not None:
        raise ParameterError(where(info.path, "a folder of frames states no frame rate; give the rate it was filmed "
                                              "at (CASME II and SAMM: 200)"))
    if not info.fps or not np.isfinite(info.fps) or info.fps <= 0:
        raise ParameterError(where(info.path, "the video states no frame rate; give the rate it was filmed at"))
    if not low <= info.fps <= high:
        raise ParameterError(where(info.path, f"the video states {info.fps:g} fps, outside {bounds}; pass fps"))
    return float(info.fps)
