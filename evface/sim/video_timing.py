"""A video's frame timing: when each frame was exposed, at its stated rate or at its container's timestamps.

Frame ``i`` of a video starts its exposure at ``round(i * 1e6 / fps)`` µs and, its exposure being
unknown, is taken to expose for the whole frame period: the DVS and the RGB camera model see its
picture at its mid-exposure, half a period later (:func:`evface.sim.footage.scene_times`, the
convention ``evface import session`` reads frames by). A variable-frame-rate video (phones,
webcams), whose container timestamps stray from ``i / fps`` at its stated rate, has its frames at
those timestamps instead, each exposed until the next (:func:`variable_rate_times`, the rule
``evface import session`` places them by).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from evface.checks import finite, real_array
from evface.errors import ParameterError, where
from evface.sim.dvs import MAX_STEP_US
from evface.sim.footage import frame_times, scene_times
from evface.sim.video_read import VideoInfo, count_frames


def container_times(times_ms: list[float], n_frames: int) -> np.ndarray | None:
    """The frames' container timestamps (ms, as OpenCV reports them) as µs from the first frame, or
    None when they are no timestamps: not one per frame, not finite, negative (-1: none), or not
    increasing frame by frame, as a container without them gives (all 0).

    Parameters
    ----------
    times_ms : list of float
        The timestamps OpenCV reported (:func:`~evface.sim.video_read.count_frames`), in ms.
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


def checked_times_us(times_us: object) -> np.ndarray:
    """The frames' exposure starts a caller gives, checked: int64 µs, at least 2, increasing.

    A ParameterError names ``times_us`` unless it is a 1-D array of at least 2 whole numbers >= 0,
    strictly increasing (a frame's interval runs to the next one's start). Was: a repeated time a
    ZeroDivisionError, a decreasing one an ``upsample`` error quoting negative fps, fewer than 2
    numpy's "cannot convert float NaN to integer".

    Parameters
    ----------
    times_us : array_like
        The frames' exposure starts in µs, one per frame.

    Returns
    -------
    ndarray of int64
        The same times.

    Examples
    --------
    >>> checked_times_us([0, 33_333, 66_667.0]).tolist()
    [0, 33333, 66667]
    >>> checked_times_us([0, 40_000, 40_000])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: times_us must increase from frame to frame (a frame is exposed until the next one starts); time 2 is 40000 after 40000
    """
    t = finite("times_us", real_array("times_us", times_us), "frames are placed at these times")
    if t.ndim != 1 or t.size < 2:
        raise ParameterError(f"times_us must be a 1-D array of at least 2 frame times (µs), got shape {t.shape}")
    odd = t[(t < 0) | (t > 2**62) | (t != np.round(t))]
    if odd.size:
        raise ParameterError(f"times_us must hold whole µs in [0, 2**62], got {float(odd[0]):g}")
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        k = int(bad[0]) + 1
        raise ParameterError(f"times_us must increase from frame to frame (a frame is exposed until the next one starts); "
                             f"time {k} is {int(t[k])} after {int(t[k - 1])}")
    return t.astype(np.int64)


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


def _mid_exposures(times_us: np.ndarray) -> np.ndarray:
    """Each frame's mid-exposure (µs), the frames at container timestamps ``times_us`` each exposed
    for its own interval (:func:`own_intervals`)."""
    return times_us + own_intervals(times_us) // 2


def variable_rate_times(path: str | Path, info: VideoInfo, fps: float | None) -> np.ndarray | None:
    """The exposure starts (µs from the first frame) of a variable-frame-rate video's frames: its
    container timestamps, when ``fps`` is not given and they stray from ``i / fps`` at the stated
    rate (:func:`strays_from_rate`); None where frame ``i`` is at ``i / fps`` (``fps`` given, a
    folder of frames, a container without timestamps or of a constant rate). A video's frames are
    counted for it, undecoded into pictures (:func:`~evface.sim.video_read.count_frames`).

    Parameters
    ----------
    path : str or Path
        The video file or folder of frames.
    info : VideoInfo
        What :func:`~evface.sim.video_read.video_info` reported of it.
    fps : float or None
        The frame rate the user gave, or None.

    Returns
    -------
    ndarray of int64 or None
        The frames' exposure starts in µs, or None.

    Examples
    --------
    >>> from evface.sim.video_read import video_info
    >>> from evface.sim.video_write import write_video
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
    return iter(_mid_exposures(times_us).tolist())


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
    return int(np.diff(_mid_exposures(times_us)).max())


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
    own, mids = own_intervals(times_us), _mid_exposures(times_us)
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
