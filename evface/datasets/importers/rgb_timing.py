"""When each RGB frame of a session was exposed, on the session clock (the RGB clock): from the
timestamp file, at ``i / fps``, or at a variable-frame-rate video's own container timestamps.

Frame timing (the one convention of evface, shared with ``evface simulate``): frame ``k``'s
timestamp is the **start of its exposure**, and the frame shows the scene averaged over
``[t_k, t_k + exposure_us)``. :func:`~evface.datasets.importers.session.import_session` uses them.
"""

from __future__ import annotations

import numpy as np

from evface.datasets.importers.rgb_scan import VideoScan, read_frame_times
from evface.datasets.importers.session_options import RgbSource
from evface.errors import DatasetError, FormatError, ParameterError, where
from evface.sim.video_read import FPS_RANGE
from evface.sim.video_timing import at_rate, own_intervals, strays_from_rate
from evface.sim.video_timing import variable_rate_note as rate_note


def frame_times(rgb: RgbSource, scan: VideoScan) -> tuple[np.ndarray, np.ndarray]:
    """Exposure start and exposure time (µs) of every frame on the session clock (:class:`~evface.datasets.importers.session_options.RgbSource`):
    from the timestamp file, else at ``i / fps`` from ``start_us``, or at the frames' container
    timestamps when the rate is the video's own and they stray from it (:func:`container_timed`).

    A video that decodes fewer frames than its file lists is refused (:func:`check_all_decode`).

    The exposure is the given one, else the timestamp file's ``exposure_us`` column, else the frame
    period: each frame's own interval at container timestamps (:func:`~evface.sim.video_timing.own_intervals`: a frame of a
    variable-frame-rate video at 60 fps is not exposed for its median 33 ms, into the next frame's),
    else the median interval (a timestamp log's longer gaps are dropped frames, its jitter the
    clock's, not the exposure's).
    """
    exposure = None
    if rgb.timestamps is not None:
        t, exposure = read_frame_times(rgb.timestamps)
        check_all_decode(rgb, scan, t.size)
        if t.size != scan.n_frames:
            what = "folder" if rgb.path.is_dir() else "video"
            raise DatasetError(where(rgb.timestamps, f"{t.size} timestamps but the {what} {rgb.path} has {scan.n_frames} frames"))
    else:
        check_all_decode(rgb, scan)
        fps = rgb.fps or scan.fps
        if not fps or fps <= 0:
            what = "a folder of frames states no" if rgb.path.is_dir() else "the video does not state its"
            raise ParameterError(f"{rgb.path}: {what} frame rate; give fps (--rgb-fps) or a timestamp file (--rgb-timestamps)")
        if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:  # frames hours apart, or several in one µs
            raise ParameterError(f"{rgb.path}: the video states {fps:g} fps, outside [{FPS_RANGE[0]:g}, {FPS_RANGE[1]:g}] "
                                 "(frames 10 s to 1 µs apart); give fps (--rgb-fps) or a timestamp file (--rgb-timestamps)")
        stamps = scan.times_us  # not None where container_timed
        t = rgb.start_us + (stamps if stamps is not None and container_timed(rgb, scan) else at_rate(scan.n_frames, fps))
    if rgb.exposure_us is not None:
        exposure = np.full(t.size, int(rgb.exposure_us), np.int64)
    elif exposure is None:
        exposure = own_intervals(t) if container_timed(rgb, scan) else np.full(t.size, int(np.median(np.diff(t))), np.int64)
    return t, exposure


def check_all_decode(rgb: RgbSource, scan: VideoScan, timed: int | None = None) -> None:
    """A FormatError naming the video where fewer frames decode than its file lists
    (``scan.listed``: damaged mid-stream or cut short) and no timestamp file gives the times of
    the frames that decode (``timed``: its count of times, None without one): at ``i / fps``, or
    at the container's times as OpenCV reads them (those of the frames as decoded, a lost one
    leaving no gap), each frame after a lost one would be timed early against the events, a frame
    period for each frame lost (was: imported without a word).

    Examples
    --------
    >>> from pathlib import Path
    >>> scan = VideoScan(119, (8, 8), 30.0, None, None, None, 120)
    >>> check_all_decode(RgbSource(Path("webcam.avi")), scan)
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: webcam.avi: the file lists 120 frames and 119 decode (damaged or cut short), so the frames after a lost one would be timed early against the events, a frame period for each frame lost; give a whole copy of the video, or the times of the 119 frames that decode as a timestamp file (--rgb-timestamps)
    >>> check_all_decode(RgbSource(Path("webcam.avi"), timestamps=Path("t.csv")), scan, 119)  # their own times
    """
    if not 0 < scan.n_frames < scan.listed or timed == scan.n_frames:
        return
    raise FormatError(where(rgb.path, f"the file lists {scan.listed:,} frames and {scan.n_frames:,} decode (damaged or "
                                      "cut short), so the frames after a lost one would be timed early against the "
                                      "events, a frame period for each frame lost; give a whole copy of the video, or "
                                      f"the times of the {scan.n_frames:,} frames that decode as a timestamp file "
                                      "(--rgb-timestamps)"))


def frame_rate(rgb: RgbSource, scan: VideoScan, t: np.ndarray) -> float:
    """The frame rate the clips record (``fps`` of their frames): the rate given or the video's own
    where the frames lie at ``i / fps``, else the mean rate of the frame times ``t`` (a timestamp
    file, a variable-frame-rate video).

    Examples
    --------
    >>> from pathlib import Path
    >>> scan = VideoScan(4, (8, 8), 29.97, None, None)
    >>> frame_rate(RgbSource(Path("v.mp4")), scan, at_rate(4, 29.97))  # was 1e6 / 33367 µs, 29.9697
    29.97
    >>> frame_rate(RgbSource(Path("v.mp4"), timestamps=Path("t.csv")), scan, np.array([0, 40000, 80000, 120000]))
    25.0
    """
    if rgb.timestamps is None and not container_timed(rgb, scan):
        return float(rgb.fps or scan.fps)
    return (t.size - 1) * 1e6 / max(int(t[-1] - t[0]), 1)


def container_timed(rgb: RgbSource, scan: VideoScan) -> bool:
    """Whether :func:`frame_times` places the frames at their container timestamps: no timestamp
    file and no ``fps`` given, and some frame's container timestamp more than half a frame period
    from ``i / fps`` at the video's own rate (a variable-frame-rate video: phones, webcams).

    Examples
    --------
    >>> from pathlib import Path
    >>> scan = VideoScan(4, (8, 8), 30.0, None, None, np.array([0, 33333, 100000, 133333]))
    >>> container_timed(RgbSource(Path("v.mp4")), scan), container_timed(RgbSource(Path("v.mp4"), fps=30.0), scan)
    (True, False)
    >>> container_timed(RgbSource(Path("v.mp4")), VideoScan(4, (8, 8), 30.0, None, None))  # no container timestamps
    False
    """
    return rgb.timestamps is None and rgb.fps is None and strays_from_rate(scan.times_us, scan.fps)


def variable_rate_note(rgb: RgbSource, scan: VideoScan) -> str | None:
    """The one line that tells that a variable-frame-rate video's frames were placed at their
    container timestamps (:func:`container_timed`), else None.

    Examples
    --------
    >>> from pathlib import Path
    >>> scan = VideoScan(4, (8, 8), 30.0, None, None, np.array([0, 33333, 100000, 133333]))
    >>> variable_rate_note(RgbSource(Path("v.mp4")), scan)  # doctest: +NORMALIZE_WHITESPACE
    "v.mp4: variable frame rate (frame intervals 33.3-66.7 ms, the video states 30 fps): frames placed at the
    container's timestamps; give --rgb-fps to place frame k at k / fps, or the camera's --rgb-timestamps"
    """
    if scan.times_us is None or not container_timed(rgb, scan):
        return None
    return rate_note(rgb.path, scan.times_us, scan.fps, "give --rgb-fps to place frame k at k / fps, or the camera's "
                                                       "--rgb-timestamps")


def frame_time_source(rgb: RgbSource, scan: VideoScan) -> str:
    """Where the frame times of the import record come from: ``timestamps`` (the file), ``container``
    (a variable-frame-rate video's own timestamps) or ``fps`` (``i / fps``)."""
    return "timestamps" if rgb.timestamps is not None else "container" if container_timed(rgb, scan) else "fps"
