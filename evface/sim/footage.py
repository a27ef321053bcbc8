"""Recorded footage as a scene for the DVS: 8-bit sRGB pictures -> lux on the sensor -> events.

Used by ``evface simulate`` (a video) and ``evface import corpus`` (folders of frames) alike:

- **intensity**: pixel values are gamma-encoded; they are decoded with the sRGB curve to linear
  [0, 1] and multiplied by ``lux`` (the illuminance a full-white pixel stands for); the sensor sees
  the luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B`` of the linear values;
- **geometry**: the picture is scaled to cover the full sensor array keeping its aspect ratio
  (``INTER_AREA`` when shrinking, ``INTER_LINEAR`` when enlarging) and centre-cropped
  (:class:`Cover`); then the sensor's region of interest is cut out;
- **time**: evface's one frame-timing convention, shared by ``evface simulate``, ``evface import
  session`` and ``import corpus``, the RGB camera model and the clip files: **frame i's timestamp
  is the start of its exposure**, and the picture shows the scene averaged over
  ``[t_i, t_i + exposure)``. A simulation that takes a picture as one instant places it at its
  mid-exposure (:func:`scene_times`); a video's exposure is unknown and taken as its frame
  period, as ``evface import session`` assumes by default. ``upsample`` K inserts K - 1 frames
  between two frames by linear interpolation in lux (no learned interpolator), so that the DVS
  model's per-step interpolation follows motion.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from evface.checks import Roi, as_int, as_real, checked_roi, sensor_dims, whole_number
from evface.errors import ParameterError
from evface.events.core import SensorSize
from evface.sim.dvs import DvsSimulator

MAX_SCENE_LUX = 1e6
"""The most lux a white pixel of recorded footage may stand for (``simulate --lux``, ``import corpus
--lux-white``): ten times direct sunlight (about 1e5 lux), above any scene a camera films."""

_LUMA = np.array([0.0722, 0.7152, 0.2126], np.float32)  # B, G, R weights (OpenCV order)


def srgb_decode_table() -> np.ndarray:
    """Linear value (float32) of each 8-bit sRGB code, 256 entries.

    Returns
    -------
    ndarray of float32, shape (256,)
        The linear value, in [0, 1], of code ``i`` at index ``i``.

    Examples
    --------
    >>> srgb_decode_table()[[0, 255]].tolist()
    [0.0, 1.0]
    """
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


_SRGB = srgb_decode_table()


def parse_roi(text: str | None, sensor_size: SensorSize) -> Roi:
    """``"x0,y0,w,h"`` (or None for the whole array) -> a ROI checked against the sensor.

    Parameters
    ----------
    text : str or None
        The ROI as ``--roi`` takes it, ``"x0,y0,w,h"`` in pixels; None for the whole array.
    sensor_size : tuple of int
        The sensor array ``(width, height)`` the ROI lies on.

    Returns
    -------
    tuple of int
        ``(x0, y0, w, h)``, wholly on the array.

    Raises
    ------
    ParameterError
        Not four whole numbers, or a ROI not wholly on the array.

    Examples
    --------
    >>> parse_roi("1,2,3,4", (10, 10)), parse_roi(None, (10, 8))
    ((1, 2, 3, 4), (0, 0, 10, 8))
    """
    width, height = sensor_size
    if text is None:
        return (0, 0, width, height)
    values = [whole_number(v) for v in text.split(",")]  # was int(): '١٢,0,8,8' read as 12,0,8,8
    if len(values) != 4 or None in values:
        raise ParameterError(f"roi {text!r}: expected x0,y0,width,height")
    return checked_roi(tuple(values), sensor_size, repr(text))


@dataclass(frozen=True)
class Cover:
    """A picture of ``image_size`` scaled by ``scale`` to ``resized`` ``(w, h)``, then cropped at
    ``crop`` ``(x0, y0)``, covers a sensor array exactly (aspect ratio kept).

    Parameters
    ----------
    image_size : tuple of int
        The picture's ``(w, h)``.
    scale : float
        The factor the picture is scaled by (the larger of the two axes' factors).
    resized : tuple of int
        The scaled picture's ``(w, h)``, at least the sensor's on both axes.
    crop : tuple of int
        The top-left ``(x0, y0)`` of the sensor's array in the scaled picture.

    Examples
    --------
    >>> c = Cover.of((640, 480), (346, 260))
    >>> c.resized, c.crop
    ((347, 260), (0, 0))
    """

    image_size: tuple[int, int]
    scale: float
    resized: tuple[int, int]
    crop: tuple[int, int]

    @classmethod
    def of(cls, image_size: tuple[int, int], sensor_size: SensorSize) -> Cover:
        """The cover of a ``sensor_size`` ``(width, height)`` array by a picture of ``image_size``.

        Parameters
        ----------
        image_size : tuple of int
            The picture's ``(w, h)``.
        sensor_size : tuple of int
            The sensor array's ``(width, height)``.

        Returns
        -------
        Cover
            How the picture is scaled and cropped.

        Raises
        ------
        ParameterError
            An empty picture (a side of 0).
        """
        (w, h), (width, height) = image_size, sensor_size
        if h == 0 or w == 0:
            raise ParameterError(f"cannot resize an empty {w}x{h} image")
        scale = max(width / w, height / h)
        new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
        return cls((w, h), scale, (new_w, new_h), ((new_w - width) // 2, (new_h - height) // 2))

    @property
    def homography(self) -> np.ndarray:
        """3x3 matrix mapping picture pixels to sensor pixels (pixel centres at integer coordinates)."""
        (w, h), (rw, rh), (x0, y0) = self.image_size, self.resized, self.crop
        sx, sy = rw / w, rh / h
        return np.array([[sx, 0.0, 0.5 * sx - 0.5 - x0], [0.0, sy, 0.5 * sy - 0.5 - y0], [0.0, 0.0, 1.0]])


def cover_resize(image: np.ndarray, size: SensorSize) -> np.ndarray:
    """Scale ``image`` (H, W[, C]) to cover ``size`` (width, height) keeping its aspect, then
    crop the centre (:class:`Cover`).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        The picture.
    size : tuple of int
        The ``(width, height)`` to cover.

    Returns
    -------
    ndarray, shape (height, width) or (height, width, C)
        The scaled and cropped picture, of ``image``'s dtype; a view of ``image`` when no
        scaling is needed.

    Examples
    --------
    >>> cover_resize(np.zeros((20, 10), np.float32), (10, 10)).shape
    (10, 10)
    """
    h, w = image.shape[:2]
    size = sensor_dims(size, "size")
    cover = Cover.of((w, h), size)
    interp = cv2.INTER_AREA if cover.scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, cover.resized, interpolation=interp) if cover.resized != (w, h) else image
    (x0, y0), (width, height) = cover.crop, size
    return resized[y0:y0 + height, x0:x0 + width]


def frame_to_lux(frame_bgr: np.ndarray, lux: float, sensor_size: SensorSize | None = None,
                 roi: Roi | None = None) -> np.ndarray:
    """8-bit picture (uint8 (H, W, 3), OpenCV's BGR order) -> float32 (H, W) scene luminance in
    lux, covering ``sensor_size`` and cut to ``roi`` when given.

    Parameters
    ----------
    frame_bgr : ndarray of uint8, shape (H, W, 3)
        The picture, sRGB-encoded, in OpenCV's BGR order.
    lux : float
        The illuminance a white pixel stands for, in (0, :data:`MAX_SCENE_LUX`].
    sensor_size : tuple of int, optional
        The sensor array ``(width, height)`` the picture is made to cover (:func:`cover_resize`);
        default the picture's own size.
    roi : tuple of int, optional
        ``(x0, y0, w, h)`` cut from the covered picture; default all of it.

    Returns
    -------
    ndarray of float32, shape (h, w)
        The luminance in lux, C-contiguous.

    Raises
    ------
    ParameterError
        A frame that is no uint8 ``(H, W, 3)`` picture or empty, a ``lux`` out of range, or a
        ``roi`` not wholly on the picture.

    Examples
    --------
    >>> white = np.full((4, 6, 3), 255, np.uint8)
    >>> frame_to_lux(white, 300.0, (3, 2)).tolist()
    [[300.0, 300.0, 300.0], [300.0, 300.0, 300.0]]
    """
    lux = _checked(frame_bgr, lux)
    linear = _SRGB[frame_bgr]
    y = (linear @ _LUMA) * np.float32(lux)
    if sensor_size is not None:
        y = cover_resize(y, sensor_size)
    if roi is not None:
        x0, y0, w, h = checked_roi(roi, y.shape[::-1])
        y = y[y0:y0 + h, x0:x0 + w]
    return np.ascontiguousarray(y, dtype=np.float32)


def frame_to_rgb_lux(frame_bgr: np.ndarray, lux: float) -> np.ndarray:
    """8-bit picture (uint8 BGR) -> float32 (H, W, 3) linear RGB scene in lux.

    Parameters
    ----------
    frame_bgr : ndarray of uint8, shape (H, W, 3)
        The picture, sRGB-encoded, in OpenCV's BGR order.
    lux : float
        The illuminance a white pixel stands for, in (0, :data:`MAX_SCENE_LUX`].

    Returns
    -------
    ndarray of float32, shape (H, W, 3)
        The linear R, G and B in lux, in RGB order.

    Examples
    --------
    >>> frame_to_rgb_lux(np.full((1, 1, 3), 255, np.uint8), 100.0).tolist()
    [[[100.0, 100.0, 100.0]]]
    """
    lux = _checked(frame_bgr, lux)
    return np.ascontiguousarray(_SRGB[frame_bgr[:, :, ::-1]] * np.float32(lux))


def _checked(frame_bgr: np.ndarray, lux: object) -> float:
    """``lux`` in (0, :data:`MAX_SCENE_LUX`] after checking that ``frame_bgr`` is a non-empty uint8
    (H, W, 3) picture (a ParameterError naming either otherwise)."""
    frame_bgr = np.asarray(frame_bgr)
    if frame_bgr.dtype != np.uint8 or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ParameterError(f"expected a uint8 (H, W, 3) frame, got {frame_bgr.dtype} {frame_bgr.shape}")
    if frame_bgr.shape[0] == 0 or frame_bgr.shape[1] == 0:
        raise ParameterError(f"zero-size frame {frame_bgr.shape}")
    return as_real("lux", lux, 0.0, MAX_SCENE_LUX, low_open=True)


def frame_times(n_or_none: int | None, fps: float) -> Iterator[int]:
    """``round(i * 1e6 / fps)`` for i = 0, 1, ... (endless when ``n_or_none`` is None).

    Parameters
    ----------
    n_or_none : int or None
        The number of frames; None for no end.
    fps : float
        The frame rate, positive.

    Returns
    -------
    iterator of int
        Each frame's timestamp (its exposure start) in µs.

    Examples
    --------
    >>> list(frame_times(4, 30.0))
    [0, 33333, 66667, 100000]
    """
    fps = as_real("fps", fps, 0.0, math.inf, low_open=True)
    frames = itertools.count() if n_or_none is None else range(as_int("number of frames", n_or_none, 0))
    return (int(round(i * 1e6 / fps)) for i in frames)


def scene_times(frame_times_us: Iterable[int], exposure_us: int) -> Iterator[int]:
    """The instant each frame's picture stands for: its mid-exposure, ``t + exposure_us // 2``
    (frame timestamps are exposure starts; module docstring).

    Parameters
    ----------
    frame_times_us : iterable of int
        The frames' timestamps in µs (:func:`frame_times`).
    exposure_us : int
        The exposure time in µs, 0 or more.

    Returns
    -------
    iterator of int
        Each frame's mid-exposure in µs.

    Examples
    --------
    >>> list(scene_times(frame_times(3, 30.0), 33333))
    [16666, 49999, 83333]
    """
    half = as_int("exposure_us", exposure_us, 0) // 2
    return (int(t) + half for t in frame_times_us)


def check_upsample(upsample: object, fps: float, name: str = "upsample") -> int:
    """``upsample`` as an int that keeps the steps of a ``fps`` video at least 1 µs apart (the
    events' resolution); a ParameterError naming it as ``name`` otherwise.

    Parameters
    ----------
    upsample : object
        The value given, to be a positive int.
    fps : float
        The video's frame rate.
    name : str, optional
        What a message calls it (an option: ``--upsample``); default ``"upsample"``.

    Returns
    -------
    int
        ``upsample``.

    Raises
    ------
    ParameterError
        Not a positive integer, or steps less than 1 µs apart.

    Examples
    --------
    >>> check_upsample(4, 30.0)
    4
    >>> check_upsample(100_000, 30.0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: upsample 100000: steps 0.333 µs apart at 30 fps; at most 33333 (steps of 1 µs, the events' resolution)
    """
    if isinstance(upsample, bool) or not isinstance(upsample, (int, np.integer)) or not upsample > 0:
        raise ParameterError(f"{name} must be a positive integer, got {upsample!r}")
    if upsample > 1e6 / fps:
        raise ParameterError(f"{name} {upsample}: steps {1e6 / fps / upsample:.3g} µs apart at {fps:g} fps; "
                             f"at most {int(1e6 / fps)} (steps of 1 µs, the events' resolution)")
    return int(upsample)


def upsample_linear(frames: Iterable[np.ndarray], times_us: Iterable[int], factor: int) -> Iterator[tuple[np.ndarray, int]]:
    """Insert ``factor - 1`` linearly interpolated frames between consecutive frames.

    Parameters
    ----------
    frames : iterable of ndarray
        The frames (lux), all of one shape; read one at a time.
    times_us : iterable of int
        Each frame's time in µs; the shorter of the two ends the output.
    factor : int
        Steps per interval, 1 or more (1 yields the frames as given).

    Yields
    ------
    frame : ndarray
        A given or interpolated frame, of the given frames' dtype.
    t_us : int
        Its time, rounded to whole µs.

    Raises
    ------
    ParameterError
        A ``factor`` that is no integer of 1 or more.

    Examples
    --------
    >>> out = list(upsample_linear([np.zeros(1), np.ones(1)], [0, 1000], 4))
    >>> [(float(f[0]), t) for f, t in out]
    [(0.0, 0), (0.25, 250), (0.5, 500), (0.75, 750), (1.0, 1000)]
    """
    if int(factor) != factor or factor < 1:
        raise ParameterError(f"upsample factor must be an integer >= 1, got {factor}")
    prev: tuple[np.ndarray, int] | None = None
    for frame, t in zip(frames, times_us, strict=False):
        if prev is not None and factor > 1:
            prev_frame, prev_t = prev
            for j in range(1, factor):
                w = j / factor
                yield (prev_frame * (1 - w) + frame * w).astype(frame.dtype), int(round(prev_t + (t - prev_t) * w))
        yield frame, int(t)
        prev = frame, t


def iter_lux_events(simulator: DvsSimulator, frames_lux: Iterable[np.ndarray], times_us: Iterable[int],
                    upsample: int = 1) -> Iterator[np.ndarray]:
    """Step ``simulator`` through lux frames at ``times_us`` (``upsample`` steps per interval,
    :func:`upsample_linear`): one sorted chunk of events per step that has any.

    Parameters
    ----------
    simulator : DvsSimulator
        The DVS model, stepped in place.
    frames_lux : iterable of ndarray of float32
        The scene in lux, ``(height, width)`` of the simulator's array.
    times_us : iterable of int
        Each frame's time in µs (:func:`scene_times`), increasing.
    upsample : int, optional
        Steps per frame interval (:func:`upsample_linear`); default 1.

    Yields
    ------
    ndarray of EVENT_DTYPE
        The events of one step, sorted by time; steps without events yield nothing.

    Examples
    --------
    >>> from evface.sim.dvs_params import DvsParams
    >>> sim = DvsSimulator((2, 1), DvsParams.ideal(0.2))
    >>> frames = [np.full((1, 2), v, np.float32) for v in (100.0, 200.0)]
    >>> [chunk.size for chunk in iter_lux_events(sim, frames, [0, 1000], upsample=2)]  # 100 -> 150 -> 200 lux
    [4, 2]
    """
    for frame, t in upsample_linear(frames_lux, times_us, upsample):
        events = simulator.step(frame, t)
        if events.size:
            yield events
