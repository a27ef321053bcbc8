"""Footage for the camera models: a video or folder of numbered frames -> scene lux -> events / the RGB camera's scene.

Footage is read by :mod:`evface.sim.video_read` (a folder of numbered frames:
:mod:`evface.sim.frame_folder`), and frame ``i`` is seen at its mid-exposure as
:mod:`evface.sim.video_timing` times it (at ``i / fps``, or at a variable-frame-rate video's
container timestamps). Its pixels become lux on the sensor as :mod:`evface.sim.footage` describes
(sRGB decoding, cover-resize, ``upsample``). What the RGB camera model films is written by
:mod:`evface.sim.video_write`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from evface.checks import Roi, as_real, checked_roi, sensor_dims
from evface.errors import FormatError, ParameterError, where
from evface.events.core import SensorSize, concatenate
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.footage import MAX_SCENE_LUX, check_upsample, frame_to_lux, frame_to_rgb_lux, iter_lux_events
from evface.sim.video_read import iter_video_frames, video_fps, video_info
from evface.sim.video_timing import (check_pauses, checked_times_us, fastest_rate, variable_rate_times,
                                     video_scene_times)


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
    timestamps (:func:`~evface.sim.video_timing.variable_rate_times`, unless ``fps`` is given), else at ``i / fps``.

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
        Each frame's exposure start in µs (one per frame, increasing), instead of rate or timestamps.
    on_frame : callable, optional
        Called with each frame's index once it is read.

    Yields
    ------
    ndarray of EVENT_DTYPE
        The events of one step, sorted by t, in the coordinates of ``roi``.

    Examples
    --------
    >>> import cv2
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
    times_us = variable_rate_times(path, info, fps) if times_us is None else checked_times_us(times_us)
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

    yield from iter_lux_events(sim, lux_frames(), one_per_frame(times_us, rate), upsample)
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
    >>> import cv2
    >>> folder = Path("simulate_video")
    >>> folder.mkdir(exist_ok=True)
    >>> for k, level in enumerate((50, 100)):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((4, 6, 3), level, np.uint8))
    >>> events = simulate_video(folder, (6, 4), DvsParams.ideal(0.2), roi=(0, 0, 2, 2), fps=25.0)
    >>> events.size, int(events["x"].max())
    (24, 1)
    """
    return concatenate(list(iter_video_events(path, sensor_size, params, **kwargs)))


def one_per_frame(times_us: np.ndarray | None, fps: float) -> Iterator[int]:
    """The frames' mid-exposures (:func:`~evface.sim.video_timing.video_scene_times`), one per frame.

    Where a frame asks for a time past the last of ``times_us``, a ParameterError says so (was: the
    frames after it dropped without a word, or a bare ``StopIteration``). Times left over once the
    video ends are not used.

    Parameters
    ----------
    times_us : ndarray of int64 or None
        The frames' exposure starts in µs, or None for frames at ``i / fps``.
    fps : float
        The frame rate, used without ``times_us``.

    Yields
    ------
    int
        Each frame's mid-exposure in µs.

    Examples
    --------
    >>> times = one_per_frame(np.array([0, 20_000]), 50.0)
    >>> next(times), next(times)
    (10000, 30000)
    >>> next(times)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: times_us gives 2 frame times and the video has more frames; give one per frame
    """
    yield from video_scene_times(times_us, fps)
    if times_us is not None:
        raise ParameterError(f"times_us gives {len(times_us)} frame times and the video has more frames; give one per frame")


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
        Each frame's exposure start in µs (one per frame, increasing), instead of rate or timestamps.

    Examples
    --------
    >>> import cv2
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
        times_us = variable_rate_times(path, self.info, fps) if times_us is None else checked_times_us(times_us)
        self._times = one_per_frame(times_us, self.fps)
        # iter_video_frames refuses a video or folder with no frame (FormatError, DatasetError)
        self._a, self._ta = frame_to_rgb_lux(next(self._frames), self.lux), next(self._times)
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
