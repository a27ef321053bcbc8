"""Video in and out for the camera models: RGB video -> scene lux -> events / degraded frames.

Footage is a video file OpenCV decodes or a folder of numbered frames (``img46.jpg``,
``img47.jpg``, ...: the layout of CASME II, SAMM, SMIC and CAS(ME)^3), read by ``evface simulate``
and ``evface import corpus`` alike (:func:`numbered_frames`, :func:`read_frame`): frame ``n`` of
a folder whose first frame is ``n0`` is frame ``i = n - n0`` of the video those frames make,
read one file at a time.

Frame ``i`` of a video starts its exposure at ``round(i * 1e6 / fps)`` µs and, its exposure being
unknown, is taken to expose for the whole frame period: the DVS and the RGB camera model see its
picture at its mid-exposure, half a period later (:func:`evface.sim.footage.scene_times`, the
convention ``evface import session`` reads frames by). A variable-frame-rate video (phones,
webcams), whose container timestamps stray from ``i / fps`` at its stated rate, has its frames at
those timestamps instead, each exposed until the next (:func:`variable_rate_times`, the rule
``evface import session`` places them by). Its pixels become lux on the sensor as
:mod:`evface.sim.footage` describes (sRGB decoding, cover-resize, ``upsample``).

A video written by the RGB camera model (``evface simulate --rgb-out rgb.avi``) has a sidecar
``rgb.frames.csv`` (:func:`write_frame_times`): a header ``t_us,exposure_us,gain``, then per frame
its exposure start and exposure time in µs on the events' clock and its analogue gain. A video
file cannot say how long each frame was exposed (auto-exposure changes it frame by frame); given as
``evface import session --rgb-timestamps rgb.frames.csv``, it lets the importer compare each frame
with the events at its true mid-exposure.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from evface.checks import Roi, as_real, checked_roi, sensor_dims
from evface.errors import DatasetError, EvfaceWarning, FormatError, ParameterError, where
from evface.events.core import SensorSize, concatenate
from evface.io.atomic_files import atomic_write
from evface.io.native_stderr import StderrKeeper, opencv_name, stderr_kept
from evface.io.pictures import decoded_picture
from evface.io.temporary_files import make_folders, remove_made_folders, temporary_beside
from evface.sim.dvs import MAX_STEP_US, DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.footage import (
    MAX_SCENE_LUX, check_upsample, frame_times, frame_to_lux, frame_to_rgb_lux, iter_lux_events, scene_times,
)


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


FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
"""The picture files a folder of numbered frames is made of."""
_NUMBER = re.compile(r"(\d+)$")


def numbered_frames(folder: str | Path) -> list[tuple[int, Path]]:
    """``(number, file)`` of each frame in ``folder``, sorted by number: the pictures
    (:data:`FRAME_EXTENSIONS`) whose name ends in a number (``img46.jpg`` is frame 46), hidden
    files left out (macOS writes ``._img46.jpg`` beside each frame on some drives). A
    DatasetError naming the folder unless there are at least 2 and the numbers run without a gap
    or a repeat; one naming the entry where a frame's name is a folder, pipe, device or socket (its
    reader would wait on a pipe for ever) or a link to nothing.

    Parameters
    ----------
    folder : str or Path
        The folder of frames.

    Returns
    -------
    list of tuple of (int, Path)
        Each frame's number and file, the numbers consecutive.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())  # removed at the end
    >>> for name in ("img9.jpg", "img10.png", "img11.jpg", "notes.txt", "cover.jpg", "._img9.jpg"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [(n, p.name) for n, p in numbered_frames(folder)]
    [(9, 'img9.jpg'), (10, 'img10.png'), (11, 'img11.jpg')]
    >>> (folder / "img10.png").unlink()
    >>> numbered_frames(folder)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...: 2 frames but numbers 9..11 have a gap after 9
    >>> import shutil; shutil.rmtree(folder)
    """
    folder = Path(folder)
    frames = []
    for p in folder.iterdir():
        m = _NUMBER.search(p.stem)
        if p.suffix.lower() in FRAME_EXTENSIONS and m and not p.name.startswith("."):
            frames.append((int(m.group(1)), p))
    frames.sort()
    for _, p in frames:
        if not p.is_file():  # follows a link: a link to a picture is read
            raise DatasetError(where(p, "not a picture file (a folder, pipe, device or socket, or a link to nothing); "
                                        "move it out of the folder of frames"))
    if len(frames) < 2:
        raise DatasetError(where(folder, f"needs at least 2 numbered frames ({', '.join(FRAME_EXTENSIONS)} files "
                                         f"named like img46.jpg), found {len(frames)}"))
    numbers = np.array([n for n, _ in frames])
    if np.any(np.diff(numbers) == 0):
        i = int(np.flatnonzero(np.diff(numbers) == 0)[0])
        raise DatasetError(where(folder, f"frame number {numbers[i]} is in two files, {frames[i][1].name} and "
                                         f"{frames[i + 1][1].name}; keep one"))
    if np.any(np.diff(numbers) != 1):
        gap = int(numbers[np.flatnonzero(np.diff(numbers) != 1)[0]])
        raise DatasetError(where(folder, f"{len(frames)} frames but numbers {numbers[0]}..{numbers[-1]} have a gap after {gap}"))
    return frames


def read_frame(path: str | Path) -> np.ndarray:
    """A picture file as a uint8 (H, W, 3) frame in OpenCV's BGR order, as a video's frames are
    decoded: a grayscale picture (SAMM's) becomes three equal channels, an alpha channel is ignored
    (a frame is an opaque picture) and EXIF orientation is applied (a TIFF turned a quarter turn
    too: :func:`evface.io.pictures.decoded_picture`).

    A FormatError names the file when it is unreadable (a PNG or JPEG whose header states more
    than its bytes can hold refused unread: :func:`~evface.io.pictures.stated_beyond_the_file`),
    or when it holds more than 8 bits a channel: footage is 8-bit sRGB, and reading such a file as 8 bits would cut its precision
    without a word, or take what is no picture of light for one (a 16-bit PNG may be a depth map,
    as CAS(ME)^3 ships them).

    A JPEG whose coded data is damaged or cut short, which libjpeg decodes all the same, its rows
    past the damage grey or repeated, is read with one warning naming it and what libjpeg said
    (:class:`~evface.errors.EvfaceWarning`, a ``warning:`` line in the CLI), as a damaged video is
    read with one, frames and all: "f/img42.jpg: decoded with damage (Corrupt JPEG data: premature
    end of data segment): check the frame" (:attr:`evface.io.pictures.Decoded.damage`; was: only
    libjpeg's own line on standard error, naming no file, once per read of the frame).

    Parameters
    ----------
    path : str or Path
        The picture file.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        The picture, channels in BGR order.

    Examples
    --------
    >>> _ = cv2.imwrite("read_frame.png", np.full((2, 3), 200, np.uint8))  # a grayscale picture
    >>> frame = read_frame("read_frame.png")
    >>> frame.shape, frame[0, 0].tolist()
    ((2, 3, 3), [200, 200, 200])
    >>> read_frame("missing.png")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: missing.png: unreadable image (...)
    """
    decoded = decoded_picture(path, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    img = decoded.picture
    if img is None:  # and what its decoder said (was: on the terminal beside the error)
        raise FormatError(where(path, "unreadable image" + "".join(f" ({line})" for line in decoded.said[:1])))
    if decoded.damage:
        warnings.warn(where(path, f"decoded with damage ({decoded.damage}): check the frame"), EvfaceWarning,
                      stacklevel=2)
    if img.dtype != np.uint8:
        depth = f"{img.dtype.itemsize * 8}-bit {'floating-point' if img.dtype.kind == 'f' else 'integer'}"
        raise FormatError(where(path, f"a {depth} image; evface reads 8-bit sRGB frames (a 16-bit PNG may be a depth "
                                      "map): convert the colour frames to 8 bits"))
    return img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def iter_frame_files(frames: Iterable[tuple[int, Path]], first: tuple[int, ...] | None = None) -> Iterator[np.ndarray]:
    """:func:`read_frame` of each ``(number, file)``, one file at a time; a DatasetError naming the
    first file whose size differs from the first frame's (``first``, the folder's first frame's
    shape, when the files begin elsewhere).

    Parameters
    ----------
    frames : iterable of tuple of (int, Path)
        Numbered frame files, as :func:`numbered_frames` lists them.
    first : tuple of int, optional
        The shape every frame must have; default: the first file's.

    Yields
    ------
    ndarray of uint8, shape (H, W, 3)
        Each file's picture in BGR order (:func:`read_frame`).

    Examples
    --------
    >>> folder = Path("iter_frame_files")
    >>> folder.mkdir(exist_ok=True)
    >>> for k in (7, 8, 9):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((2, 3, 3), 10 * k, np.uint8))
    >>> [int(frame[0, 0, 0]) for frame in iter_frame_files(numbered_frames(folder))]
    [70, 80, 90]
    >>> next(iter_frame_files(numbered_frames(folder), first=(4, 6, 3)))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: iter_frame_files/img7.png: frame size 3x2 differs from the folder's first frame 6x4
    """
    for _, path in frames:
        img = read_frame(path)
        if first is None:
            first = img.shape
        elif img.shape != first:
            raise DatasetError(where(path, f"frame size {img.shape[1]}x{img.shape[0]} differs from the folder's first "
                                           f"frame {first[1]}x{first[0]}"))
        yield img


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


def container_times(times_ms: list[float], n_frames: int) -> np.ndarray | None:
    """The frames' container timestamps (ms, as OpenCV reports them) as µs from the first frame, or
    None when they are no timestamps: not one per frame, not finite, negative (-1: none), or not
    increasing frame by frame, as a container without them gives (all 0).

    Parameters
    ----------
    times_ms : list of float
        The timestamps OpenCV reported (:func:`count_frames`), in ms.
    n_frames : int
        The number of frames decoded.

    Returns
    -------
    ndarray of int64 or None
        The timestamps in µs from the first frame's, or None.

    Examples
    --------
    >>> container_times([0.0, 33.3667, 66.7333, 133.4667], 4).tolist()
    [0, 33367, 66733, 133467]
    >>> container_times([0.0, 0.0, 0.0], 3) is None, container_times([-1.0, -1.0], 2) is None
    (True, True)
    """
    t = np.asarray(times_ms, dtype=np.float64)
    if t.size != n_frames or t.size < 2 or not np.all(np.isfinite(t)) or t[0] < 0:
        return None
    us = np.round((t - t[0]) * 1000.0).astype(np.int64)
    return us if np.all(np.diff(us) > 0) else None


def at_rate(n_frames: int, fps: float) -> np.ndarray:
    """Frame ``i`` at ``round(i * 1e6 / fps)``, in µs.

    Parameters
    ----------
    n_frames : int
        The number of frames.
    fps : float
        The frame rate.

    Returns
    -------
    ndarray of int64
        Each frame's time in µs.

    Examples
    --------
    >>> at_rate(4, 30.0).tolist()
    [0, 33333, 66667, 100000]
    """
    return np.round(np.arange(n_frames) * 1e6 / fps).astype(np.int64)


def strays_from_rate(times_us: np.ndarray | None, fps: float) -> bool:
    """Whether some frame's container timestamp (µs from the first, :func:`container_times`) lies
    more than half a frame period from ``i / fps`` at the stated rate ``fps``: a variable-frame-rate
    video, whose frames belong at their timestamps. False without timestamps or a rate.

    Parameters
    ----------
    times_us : ndarray of int64 or None
        The container timestamps in µs from the first frame's.
    fps : float
        The rate the video states.

    Returns
    -------
    bool
        True for a variable-frame-rate video.

    Examples
    --------
    >>> strays_from_rate(np.array([0, 33333, 100000, 133333]), 30.0), strays_from_rate(np.array([0, 33000, 67000]), 30.0)
    (True, False)
    """
    if times_us is None or not fps > 0:
        return False
    return bool(np.abs(times_us - at_rate(times_us.size, fps)).max() > 0.5e6 / fps)


def own_intervals(t: np.ndarray) -> np.ndarray:
    """Each frame's interval to the next frame's start (µs), the last frame's the median interval
    (the one the recording is taken to end a frame period after).

    Parameters
    ----------
    t : ndarray of int64
        The frames' start times in µs, increasing; at least 2.

    Returns
    -------
    ndarray of int64
        One interval (µs) per frame.

    Examples
    --------
    >>> own_intervals(np.array([0, 16667, 33333, 100000, 133333])).tolist()
    [16667, 16666, 66667, 33333, 25000]
    """
    gaps = np.diff(t)
    return np.append(gaps, int(np.median(gaps))).astype(np.int64)


def variable_rate_times(path: str | Path, info: VideoInfo, fps: float | None) -> np.ndarray | None:
    """The exposure starts (µs from the first frame) of a variable-frame-rate video's frames: its
    container timestamps, when ``fps`` is not given and they stray from ``i / fps`` at the stated
    rate (:func:`strays_from_rate`); None where frame ``i`` is at ``i / fps`` (``fps`` given, a
    folder of frames, a container without timestamps or of a constant rate). A video's frames are
    counted for it, undecoded into pictures (:func:`count_frames`).

    Parameters
    ----------
    path : str or Path
        The video file or folder of frames.
    info : VideoInfo
        What :func:`video_info` reported of it.
    fps : float or None
        The frame rate the user gave, or None.

    Returns
    -------
    ndarray of int64 or None
        The frames' exposure starts in µs, or None.

    Examples
    --------
    >>> _ = write_video("variable_rate_times.avi", (np.zeros((16, 16, 3), np.uint8) for _ in range(3)), 25.0)
    >>> variable_rate_times("variable_rate_times.avi", video_info("variable_rate_times.avi"), None) is None  # AVI: a constant rate
    True
    """
    if fps is not None or info.first_frame is not None or not info.fps > 0:
        return None
    times: list[float] = []
    n, _ = count_frames(path, times)
    t = container_times(times, n)
    return t if strays_from_rate(t, info.fps) else None


def variable_rate_note(path: str | Path, times_us: np.ndarray, fps: float, instead: str) -> str:
    """The one line that tells that a variable-frame-rate video's frames were placed at their
    container timestamps ``times_us`` rather than at ``i / fps``, and what to give ``instead``.

    Parameters
    ----------
    path : str or Path
        The video file.
    times_us : ndarray of int64
        The frames' container timestamps in µs.
    fps : float
        The rate the video states.
    instead : str
        What the user may give to place the frames at ``i / fps``.

    Returns
    -------
    str
        The line, naming ``path``.

    Examples
    --------
    >>> variable_rate_note("v.mp4", np.array([0, 33333, 100000, 133333]), 30.0, "give --fps")  # doctest: +NORMALIZE_WHITESPACE
    "v.mp4: variable frame rate (frame intervals 33.3-66.7 ms, the video states 30 fps): frames placed at the
    container's timestamps; give --fps"
    """
    gaps = np.diff(times_us) / 1000.0
    return where(path, f"variable frame rate (frame intervals {gaps.min():.1f}-{gaps.max():.1f} ms, the video states "
                       f"{fps:g} fps): frames placed at the container's timestamps; {instead}")


def video_scene_times(times_us: np.ndarray | None, fps: float) -> Iterator[int]:
    """The instant each frame's picture stands for: its mid-exposure, each frame exposed for its
    own interval at container timestamps ``times_us`` (:func:`variable_rate_times`), else for the
    period ``1 / fps`` from ``i / fps`` (:func:`~evface.sim.footage.scene_times`).

    Parameters
    ----------
    times_us : ndarray of int64 or None
        The frames' container timestamps in µs, or None for frames at ``i / fps``.
    fps : float
        The frame rate, used without timestamps.

    Returns
    -------
    iterator of int
        Each frame's mid-exposure in µs (endless without timestamps).

    Examples
    --------
    >>> list(video_scene_times(np.array([0, 20000, 60000]), 30.0)), next(video_scene_times(None, 30.0))
    ([10000, 40000, 75000], 16666)
    """
    if times_us is None:
        return scene_times(frame_times(None, fps), round(1e6 / fps))
    return iter((times_us + own_intervals(times_us) // 2).tolist())


def longest_step_us(times_us: np.ndarray | None, fps: float) -> int:
    """The longest interval between two frames' mid-exposures (:func:`video_scene_times`), the
    DVS model's longest step before ``upsample`` divides it.

    Parameters
    ----------
    times_us : ndarray of int64 or None
        The frames' container timestamps in µs, or None for frames at ``i / fps``.
    fps : float
        The frame rate, used without timestamps.

    Returns
    -------
    int
        The longest step in µs.

    Examples
    --------
    >>> longest_step_us(np.array([0, 20000, 60000]), 30.0), longest_step_us(None, 30.0)
    (35000, 33333)
    """
    if times_us is None:
        return round(1e6 / fps)
    return int(np.diff(times_us + own_intervals(times_us) // 2).max())


def check_pauses(path: str | Path, times_us: np.ndarray | None, upsample: int, names: tuple[str, str] = ("upsample", "fps")) -> None:
    """A ParameterError naming ``path`` when two frames of a variable-frame-rate video lie so far
    apart at their container timestamps ``times_us`` (a screen recorder's pause) that a DVS step
    between their mid-exposures, divided by ``upsample``, is longer than
    :data:`~evface.sim.dvs.MAX_STEP_US`; it names ``names``, the upsample and the rate option.

    Parameters
    ----------
    path : str or Path
        The video file, named in the error.
    times_us : ndarray of int64 or None
        The frames' container timestamps in µs; None (frames at ``i / fps``) passes.
    upsample : int
        DVS steps per frame interval.
    names : tuple of str, optional
        How the error names the upsample and the frame-rate options.

    Examples
    --------
    >>> check_pauses("rec.mp4", np.array([0, 33333, 25033333, 25066666]), 1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: rec.mp4: frame 1 lasts 25.0 s at the container's timestamps (a pause in a variable-frame-rate recording): the DVS model would step 12.5 s from frame 0's mid-exposure to frame 1's, and steps at most 10 s; give upsample 2 or more, or fps to place frame k at k / fps
    """
    if times_us is None:
        return
    own = own_intervals(times_us)
    mids = times_us + own // 2
    k = int(np.argmax(np.diff(mids)))
    gap, j = int(mids[k + 1] - mids[k]), k if own[k] >= own[k + 1] else k + 1
    if gap / upsample > MAX_STEP_US:
        raise ParameterError(where(path, f"frame {j} lasts {own[j] / 1e6:.1f} s at the container's timestamps (a pause in "
                                         f"a variable-frame-rate recording): the DVS model would step {gap / 1e6:.1f} s "
                                         f"from frame {k}'s mid-exposure to frame {k + 1}'s, and steps at most "
                                         f"{MAX_STEP_US / 1e6:g} s; give {names[0]} {-(-gap // MAX_STEP_US)} or more, or "
                                         f"{names[1]} to place frame k at k / fps"))


def fastest_rate(times_us: np.ndarray | None, fps: float) -> float:
    """The rate of the two frames closest in time: at container timestamps ``times_us`` one over
    their shortest interval, else ``fps`` (what ``upsample`` may divide, :func:`~evface.sim.footage.check_upsample`).

    Parameters
    ----------
    times_us : ndarray of int64 or None
        The frames' container timestamps in µs, or None for frames at ``i / fps``.
    fps : float
        The frame rate, used without timestamps.

    Returns
    -------
    float
        The fastest rate in frames per second.

    Examples
    --------
    >>> fastest_rate(np.array([0, 20000, 60000]), 30.0), fastest_rate(None, 30.0)
    (50.0, 30.0)
    """
    return fps if times_us is None else 1e6 / float(np.diff(times_us).min())


def iter_video_frames(path: str | Path, times: list[float] | None = None) -> Iterator[np.ndarray]:
    """Decoded frames of a video or of a folder of numbered frames (:func:`iter_frame_files`),
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
    >>> _ = write_video("iter_video_frames.avi", (np.zeros((16, 24, 3), np.uint8) for _ in range(2)), 25.0)
    >>> times = []
    >>> [frame.shape for frame in iter_video_frames("iter_video_frames.avi", times)], times
    ([(16, 24, 3), (16, 24, 3)], [0.0, 40.0])
    """
    if Path(path).is_dir():
        return iter_frame_files(numbered_frames(path))
    return _decoded(path, times)


def _decoded(path: str | Path, times: list[float] | None = None) -> Iterator[np.ndarray]:
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
        if isinstance(fps, bool) or not (isinstance(fps, (int, float)) and low <= fps <= high):
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


def iter_video_events(
    path: str | Path,
    sensor_size: SensorSize,
    params: DvsParams | None = None,
    *,
    seed: int = 0,
    roi: Roi | None = None,
    lux: float = 300.0,
    upsample: int = 1,
    fps: float | None = None,
    times_us: np.ndarray | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Stream the events of a video (or a folder of numbered frames, module docstring) seen by a
    DVS: one sorted chunk per simulator step.

    ``sensor_size`` is the full array; events are in the coordinates of ``roi`` (default: the
    whole array). ``on_frame(i)`` is called after each video frame (for progress bars). Frame
    ``i`` is at ``times_us[i]`` when given, else at a variable-frame-rate video's container
    timestamps (:func:`variable_rate_times`, unless ``fps`` is given), else at ``i / fps``.

    Raises FormatError naming the file when it holds a single frame (a still image OpenCV opens
    as a video): a DVS sees the changes between frames, and one frame has none.

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.
    sensor_size : tuple of int
        ``(width, height)`` of the full sensor array; the frames are resized to cover it.
    params : DvsParams, optional
        The pixel model (default ``DvsParams()``).
    seed : int, optional
        Seeds the simulator, as in :class:`~evface.sim.dvs.DvsSimulator`.
    roi : tuple of int, optional
        ``(x0, y0, width, height)`` of the window simulated (default: the whole array).
    lux : float, optional
        The illuminance of a white pixel (255), in lux.
    upsample : int, optional
        DVS steps per frame interval, the frames interpolated between.
    fps : float, optional
        The frame rate, instead of the file's (a folder of frames needs it).
    times_us : ndarray of int64, optional
        Each frame's exposure start in µs, instead of rate or timestamps.
    on_frame : callable, optional
        Called with each frame's index once it is read.

    Yields
    ------
    ndarray of EVENT_DTYPE
        The events of one step, sorted by t, in the coordinates of ``roi``.

    Examples
    --------
    >>> folder = Path("iter_video_events")
    >>> folder.mkdir(exist_ok=True)
    >>> for k, level in enumerate((50, 100, 200)):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((4, 6, 3), level, np.uint8))
    >>> chunks = list(iter_video_events(folder, (6, 4), DvsParams.ideal(0.2), fps=25.0))
    >>> [int(chunk.size) for chunk in chunks]  # 24 pixels, 6 then 8 events each
    [144, 192]
    >>> bool(20_000 < chunks[0]["t"].min() and chunks[1]["t"].max() <= 100_000)  # between mid-exposures
    True
    """
    as_real("lux", lux, 0, MAX_SCENE_LUX, low_open=True)
    info = video_info(path)
    rate = video_fps(info, fps)
    if times_us is None:
        times_us = variable_rate_times(path, info, fps)
    upsample = check_upsample(upsample, fastest_rate(times_us, rate))
    check_pauses(path, times_us, upsample)
    roi = checked_roi(roi if roi is not None else (0, 0, *sensor_dims(sensor_size)), sensor_size)
    sim = DvsSimulator((roi[2], roi[3]), params, seed)
    counter = {"i": 0}

    def lux_frames() -> Iterator[np.ndarray]:
        for frame in iter_video_frames(path):
            yield frame_to_lux(frame, lux, sensor_size, roi)
            if on_frame is not None:
                on_frame(counter["i"])
            counter["i"] += 1

    yield from iter_lux_events(sim, lux_frames(), video_scene_times(times_us, rate), upsample)
    if counter["i"] < 2:
        raise FormatError(where(path, "1 frame decoded, and a DVS sees the changes between frames: no events to "
                                      "simulate; give a video of at least 2 frames"))


def simulate_video(path: str | Path, sensor_size: SensorSize, params: DvsParams | None = None, **kwargs) -> np.ndarray:
    """All the events of :func:`iter_video_events` in one array.

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.
    sensor_size : tuple of int
        ``(width, height)`` of the full sensor array.
    params : DvsParams, optional
        The pixel model (default ``DvsParams()``).
    **kwargs
        The keyword arguments of :func:`iter_video_events` (``seed``, ``roi``, ``lux``, ...).

    Returns
    -------
    ndarray of EVENT_DTYPE
        The events, in time order.

    Examples
    --------
    >>> folder = Path("simulate_video")
    >>> folder.mkdir(exist_ok=True)
    >>> for k, level in enumerate((50, 100)):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((4, 6, 3), level, np.uint8))
    >>> events = simulate_video(folder, (6, 4), DvsParams.ideal(0.2), roi=(0, 0, 2, 2), fps=25.0)
    >>> events.size, int(events["x"].max())
    (24, 1)
    """
    return concatenate(list(iter_video_events(path, sensor_size, params, **kwargs)))


class VideoScene:
    """``render(t_us)`` over a video or a folder of numbered frames for the RGB camera: linear RGB lux, interpolated in time
    between the frames' mid-exposures (module docstring), the frames timed as :func:`iter_video_events` times them.

    Frames are decoded on demand, so times must not decrease (the camera guarantees this);
    after the last frame the scene holds still.

    Parameters
    ----------
    path : str or Path
        A video file or a folder of numbered frames.
    lux : float, optional
        The illuminance of a white pixel (255), in lux.
    fps : float, optional
        The frame rate, instead of the file's (a folder of frames needs it).
    times_us : ndarray of int64, optional
        Each frame's exposure start in µs, instead of rate or timestamps.

    Examples
    --------
    >>> folder = Path("VideoScene")
    >>> folder.mkdir(exist_ok=True)
    >>> for k, level in enumerate((0, 255)):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((2, 2, 3), level, np.uint8))
    >>> scene = VideoScene(folder, lux=100.0, fps=10.0)  # mid-exposures at 50 and 150 ms
    >>> [float(scene(t)[0, 0, 0]) for t in (0, 50_000, 100_000, 150_000, 200_000)]
    [0.0, 0.0, 50.0, 100.0, 100.0]
    """

    def __init__(self, path: str | Path, lux: float = 300.0, fps: float | None = None,
                 times_us: np.ndarray | None = None) -> None:
        self.info = video_info(path)
        self.fps = video_fps(self.info, fps)
        self.lux = as_real("lux", lux, 0, MAX_SCENE_LUX, low_open=True)
        self._frames = iter_video_frames(path)
        if times_us is None:
            times_us = variable_rate_times(path, self.info, fps)
        self._times = video_scene_times(times_us, self.fps)
        self._a, self._ta = self._next()
        self._b, self._tb = self._next()

    def _next(self) -> tuple[np.ndarray | None, int]:
        frame = next(self._frames, None)
        if frame is None:
            return None, -1
        return frame_to_rgb_lux(frame, self.lux), next(self._times)

    def __call__(self, t_us: int) -> np.ndarray:
        while self._b is not None and t_us >= self._tb:
            self._a, self._ta = self._b, self._tb
            self._b, self._tb = self._next()
        if self._b is None or t_us <= self._ta:
            return self._a
        w = np.float32((t_us - self._ta) / (self._tb - self._ta))
        return self._a * (1 - w) + self._b * w


VIDEO_CODECS = {".avi": "MJPG", ".mp4": "mp4v"}
"""The videos :func:`write_video` writes, by extension, and the codec of each."""


def video_codec(path: str | Path) -> str:
    """The codec :func:`write_video` writes for ``path``'s extension; a ParameterError for another,
    or for a name that is not UTF-8, which OpenCV's ``VideoWriter`` crashed the process on (a
    segmentation fault, after the whole simulation: :func:`~evface.io.native_stderr.opencv_name`).

    Parameters
    ----------
    path : str or Path
        The video file to write.

    Returns
    -------
    str
        The codec's FourCC, a value of :data:`VIDEO_CODECS`.

    Examples
    --------
    >>> video_codec("rgb.AVI")
    'MJPG'
    >>> video_codec("rgb.mkv")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: rgb.mkv: evface writes .avi (MJPG) or .mp4 (mp4v) videos, not .mkv
    >>> video_codec(os.fsdecode(b"caf\\xe9.avi"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: caf\udce9.avi: the name is not UTF-8, which OpenCV cannot write; give a UTF-8 name
    """
    try:
        opencv_name(path)
    except FormatError:
        raise ParameterError(where(path, "the name is not UTF-8, which OpenCV cannot write; give a UTF-8 name")) from None
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_CODECS:
        known = " or ".join(f"{ext} ({codec})" for ext, codec in VIDEO_CODECS.items())
        raise ParameterError(f"{path}: evface writes {known} videos, not {suffix or 'a name without an extension'}")
    return VIDEO_CODECS[suffix]


def write_video(path: str | Path, frames_rgb: Iterator[np.ndarray], fps: float) -> Path:
    """Write uint8 (H, W, 3) RGB frames with OpenCV (:data:`VIDEO_CODECS`), atomically, into
    ``path``'s folder, made where missing and removed again (while empty) if the write fails, as
    :func:`~evface.io.atomic_files.atomic_write` does (was: a missing folder raised a bare
    FileNotFoundError naming the temporary file).

    Parameters
    ----------
    path : str or Path
        The video file, ``.avi`` or ``.mp4``; replaced when it exists.
    frames_rgb : iterable of ndarray of uint8, shape (H, W, 3)
        The frames in RGB order, all of one size; at least one.
    fps : float
        The frame rate the video states.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     frames = (np.full((16, 16, 3), 10 * k, np.uint8) for k in range(3))
    ...     print(write_video(Path(folder) / "new" / "v.avi", frames, 30.0).relative_to(folder).as_posix())
    new/v.avi
    """
    path = Path(path)
    fourcc = cv2.VideoWriter_fourcc(*video_codec(path))
    tmp = None
    writer = None
    made = make_folders(path.parent)
    try:
        for frame in frames_rgb:
            if writer is None:
                h, w = frame.shape[:2]
                tmp = temporary_beside(path, keep_suffix=True)  # OpenCV picks the container from the extension
                writer = cv2.VideoWriter(opencv_name(tmp), fourcc, float(fps), (w, h))
                if not writer.isOpened():
                    raise FormatError(where(path, "OpenCV cannot write this video (check the extension)"))
            writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
        if writer is None:
            raise FormatError(where(path, "no frame to write"))
        writer.release()
        writer = None
        os.replace(tmp, path)
    except BaseException:
        if writer is not None:
            writer.release()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        remove_made_folders(made)
        raise
    return path


def frame_times_path(video: str | Path) -> Path:
    """The frame-timing sidecar of a video: ``rgb.avi`` -> ``rgb.frames.csv`` (module docstring).

    Parameters
    ----------
    video : str or Path
        The video file.

    Returns
    -------
    Path
        The sidecar beside it.

    Examples
    --------
    >>> frame_times_path("out/rgb.avi").as_posix()
    'out/rgb.frames.csv'
    """
    video = Path(video)
    return video.with_name(video.stem + ".frames.csv")


def write_frame_times(path: str | Path, t_us: Iterable[int], exposure_us: Iterable[int], gain: Iterable[float]) -> Path:
    """Write the frame-timing sidecar ``t_us,exposure_us,gain`` (one row per frame), atomically.

    Parameters
    ----------
    path : str or Path
        The sidecar file (:func:`frame_times_path`).
    t_us : iterable of int
        Each frame's exposure start in µs.
    exposure_us : iterable of int
        Each frame's exposure in µs.
    gain : iterable of float
        Each frame's analogue gain.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_frame_times(Path(tmp) / "rgb.frames.csv", [0, 33333], [9000, 9500], [1.0, 1.25])
    ...     print(path.read_text(), end="")
    t_us,exposure_us,gain
    0,9000,1
    33333,9500,1.25
    """
    path = Path(path)
    rows = [f"{int(t)},{int(e)},{float(g):g}" for t, e, g in zip(t_us, exposure_us, gain, strict=True)]
    return atomic_write(path, lambda tmp: tmp.write_text("\n".join(["t_us,exposure_us,gain", *rows]) + "\n"))
