"""Writing videos and their frame-time sidecar: what the RGB camera model films (``evface simulate --rgb-out``).

A video written by the RGB camera model (``evface simulate --rgb-out rgb.avi``) has a sidecar
``rgb.frames.csv`` (:func:`write_frame_times`): a header ``t_us,exposure_us,gain``, then per frame
its exposure start and exposure time in µs on the events' clock and its analogue gain. A video
file cannot say how long each frame was exposed (auto-exposure changes it frame by frame); given as
``evface import session --rgb-timestamps rgb.frames.csv``, it lets the importer compare each frame
with the events at its true mid-exposure.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from evface.errors import FormatError, ParameterError, where
from evface.io.atomic_files import atomic_write
from evface.io.native_stderr import opencv_name
from evface.io.temporary_files import make_folders, remove_made_folders, temporary_beside


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
    >>> video_codec(os.fsdecode(b"caf\\xe9.avi"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: caf...avi: the name is not UTF-8, which OpenCV cannot write; give a UTF-8 name
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


def check_video_size(path: str | Path, width: int, height: int) -> None:
    """Refuse frames of an odd width or height for the video ``path``, before it is begun (by
    :func:`write_video`, and by ``evface simulate --rgb-out`` before any simulation): OpenCV's writer
    (every codec of its FFmpeg backend) drops their last column or row without a word, so the video
    would no longer be the frames (was: a 65x49 film written as 64x48, its geometry off the events'
    scene, and a 1x1 one as "OpenCV cannot write this video").

    Parameters
    ----------
    path : str or Path
        The video file to write.
    width, height : int
        The frames' size in pixels.

    Raises
    ------
    ParameterError
        For an odd width or height, naming the size and an even one to crop to.

    Examples
    --------
    >>> check_video_size("rgb.avi", 64, 48)
    >>> check_video_size("rgb.avi", 65, 48)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: cannot write a video of 65x48 frames (.avi): the videos OpenCV writes hold even sizes only (it would drop the last column of every frame); give frames of an even size, e.g. cropped to 64x48 (simulate --rgb-out: crop the video or the folder of frames)
    """
    if width % 2 or height % 2:
        sides = " and ".join(side for side, odd in (("column", width % 2), ("row", height % 2)) if odd)
        raise ParameterError(f"cannot write a video of {width}x{height} frames ({Path(path).suffix}): the videos OpenCV "
                             f"writes hold even sizes only (it would drop the last {sides} of every frame); give "
                             f"frames of an even size, e.g. cropped to {width - width % 2}x{height - height % 2} "
                             "(simulate --rgb-out: crop the video or the folder of frames)")


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
        The frames in RGB order, all of one size, its width and height even (an odd one is a
        :class:`~evface.errors.ParameterError`: OpenCV would drop a column or row); at least one.
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
    fourcc = cv2.VideoWriter.fourcc(*video_codec(path))
    tmp = None
    writer = None
    made = make_folders(path.parent)
    try:
        for frame in frames_rgb:
            if writer is None:
                h, w = frame.shape[:2]
                check_video_size(path, w, h)
                tmp = temporary_beside(path, keep_suffix=True)  # OpenCV picks the container from the extension
                writer = cv2.VideoWriter(opencv_name(tmp), fourcc, float(fps), (w, h))
                if not writer.isOpened():
                    raise FormatError(where(path, "OpenCV cannot write this video (check the extension)"))
            writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
        if writer is None or tmp is None:  # both are set with the first frame
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
    return atomic_write(path, lambda tmp: tmp.write_text("\n".join(["t_us,exposure_us,gain", *rows]) + "\n", encoding="utf-8"))
