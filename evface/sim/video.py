"""Video in and out for the camera models: RGB video -> scene lux -> events / degraded frames.

Pixel values of a video are gamma-encoded. They are decoded with the sRGB curve to linear
[0, 1] and multiplied by ``lux`` (the illuminance a full-white pixel stands for); an event sensor
sees the luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B`` of the linear values. The picture is
scaled to cover the full sensor array keeping its aspect ratio (centre crop), then the sensor's
region of interest is cut out. Frame ``i`` is at ``round(i * 1e6 / fps)`` µs; ``upsample`` K
inserts K - 1 frames between two video frames by linear interpolation in lux (no learned
interpolator).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evface.errors import FormatError, ParameterError, where
from evface.events.core import SensorSize, empty_events
from evface.sim.dvs import DvsParams, DvsSimulator

Roi = tuple[int, int, int, int]
"""``(x0, y0, width, height)`` of a window on the full sensor array, in pixels."""

_LUMA = np.array([0.0722, 0.7152, 0.2126], np.float32)  # B, G, R weights (OpenCV order)


def srgb_decode_table() -> np.ndarray:
    """Linear value (float32) of each 8-bit sRGB code, 256 entries."""
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


_SRGB = srgb_decode_table()


@dataclass(frozen=True)
class VideoInfo:
    """What OpenCV reports about a video: frame rate, frame count (may be 0 if unknown), size."""

    path: str
    fps: float
    n_frames: int
    width: int
    height: int


def _capture(path: str | Path):
    import cv2

    path = Path(path)
    if not path.is_file():
        raise FormatError(where(path, "no such video file"))
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise FormatError(where(path, "OpenCV cannot open this video"))
    return cap


def video_info(path: str | Path) -> VideoInfo:
    """Frame rate, frame count and size of a video (raises FormatError when unreadable)."""
    import cv2

    cap = _capture(path)
    try:
        info = VideoInfo(str(path), float(cap.get(cv2.CAP_PROP_FPS) or 0.0), int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
                         int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    return info


def iter_video_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Decoded frames of a video, uint8 (H, W, 3) in OpenCV's BGR order.

    Raises FormatError when the file cannot be opened or holds no frame.
    """
    cap = _capture(path)
    try:
        count = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if frame is None or frame.size == 0:
                raise FormatError(where(path, f"frame {count} is empty"))
            if frame.ndim == 2:
                frame = np.repeat(frame[:, :, None], 3, axis=2)
            count += 1
            yield frame
        if count == 0:
            raise FormatError(where(path, "no decodable frame"))
    finally:
        cap.release()


def parse_sensor(text: str) -> tuple[str, SensorSize]:
    """``"davis346"``, ``"evk4"`` or ``"WxH"`` -> (preset name or ``"custom"``, (width, height)).

    Examples
    --------
    >>> parse_sensor("evk4"), parse_sensor("64x48")
    (('evk4', (1280, 720)), ('custom', (64, 48)))
    """
    from evface.sim.dvs import DVS_SENSORS

    key = text.strip().lower()
    if key in DVS_SENSORS:
        return key, DVS_SENSORS[key]
    parts = key.split("x")
    try:
        width, height = (int(v) for v in parts)
    except ValueError:
        raise ParameterError(f"sensor {text!r}: expected {sorted(DVS_SENSORS)} or WxH such as 640x480") from None
    if not (0 < width <= 65535 and 0 < height <= 65535):
        raise ParameterError(f"sensor {text!r}: width and height must be in 1..65535")
    return "custom", (width, height)


def parse_roi(text: str | None, sensor_size: SensorSize) -> Roi:
    """``"x0,y0,w,h"`` (or None for the whole array) -> a ROI checked against the sensor."""
    width, height = sensor_size
    if text is None:
        return (0, 0, width, height)
    try:
        x0, y0, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise ParameterError(f"roi {text!r}: expected x0,y0,width,height") from None
    if w <= 0 or h <= 0 or x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
        raise ParameterError(f"roi {text!r} does not fit the {width}x{height} sensor")
    return (x0, y0, w, h)


def cover_resize(image: np.ndarray, size: SensorSize) -> np.ndarray:
    """Scale ``image`` (H, W[, C]) to cover ``size`` (width, height) keeping its aspect, then
    crop the centre."""
    import cv2

    width, height = size
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ParameterError(f"cannot resize an empty {w}x{h} image")
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp) if (new_w, new_h) != (w, h) else image
    x0, y0 = (new_w - width) // 2, (new_h - height) // 2
    return resized[y0:y0 + height, x0:x0 + width]


def frame_to_lux(frame_bgr: np.ndarray, lux: float, sensor_size: SensorSize | None = None,
                 roi: Roi | None = None) -> np.ndarray:
    """Video frame (uint8 BGR) -> float32 (H, W) scene luminance in lux on the sensor grid.

    Examples
    --------
    >>> white = np.full((4, 6, 3), 255, np.uint8)
    >>> frame_to_lux(white, 300.0, (3, 2)).tolist()
    [[300.0, 300.0, 300.0], [300.0, 300.0, 300.0]]
    """
    if frame_bgr.dtype != np.uint8 or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ParameterError(f"expected a uint8 (H, W, 3) frame, got {frame_bgr.dtype} {frame_bgr.shape}")
    if frame_bgr.shape[0] == 0 or frame_bgr.shape[1] == 0:
        raise ParameterError(f"zero-size frame {frame_bgr.shape}")
    linear = _SRGB[frame_bgr]
    y = (linear @ _LUMA) * np.float32(lux)
    if sensor_size is not None:
        y = cover_resize(y, sensor_size)
    if roi is not None:
        x0, y0, w, h = roi
        y = y[y0:y0 + h, x0:x0 + w]
    return np.ascontiguousarray(y, dtype=np.float32)


def frame_to_rgb_lux(frame_bgr: np.ndarray, lux: float) -> np.ndarray:
    """Video frame (uint8 BGR) -> float32 (H, W, 3) linear RGB scene in lux."""
    return np.ascontiguousarray(_SRGB[frame_bgr[:, :, ::-1]] * np.float32(lux))


def upsample_linear(frames: Iterator[np.ndarray], times_us: Iterator[int], factor: int) -> Iterator[tuple[np.ndarray, int]]:
    """Insert ``factor - 1`` linearly interpolated frames between consecutive frames.

    Yields ``(frame, t_us)``; times are rounded to whole µs.

    Examples
    --------
    >>> out = list(upsample_linear(iter([np.zeros(1), np.ones(1)]), iter([0, 1000]), 4))
    >>> [(float(f[0]), t) for f, t in out]
    [(0.0, 0), (0.25, 250), (0.5, 500), (0.75, 750), (1.0, 1000)]
    """
    if int(factor) != factor or factor < 1:
        raise ParameterError(f"upsample factor must be an integer >= 1, got {factor}")
    prev = prev_t = None
    for frame, t in zip(frames, times_us, strict=False):
        if prev is not None and factor > 1:
            for j in range(1, factor):
                w = j / factor
                yield (prev * (1 - w) + frame * w).astype(frame.dtype), int(round(prev_t + (t - prev_t) * w))
        yield frame, int(t)
        prev, prev_t = frame, t


def frame_times(n_or_none: int | None, fps: float) -> Iterator[int]:
    """``round(i * 1e6 / fps)`` for i = 0, 1, ... (endless when ``n_or_none`` is None)."""
    i = 0
    while n_or_none is None or i < n_or_none:
        yield int(round(i * 1e6 / fps))
        i += 1


def video_fps(info: VideoInfo, fps: float | None) -> float:
    """The frame rate to use: ``fps`` when given, else the file's (error when it has none)."""
    rate = fps if fps else info.fps
    if not rate or not np.isfinite(rate) or rate <= 0:
        raise ParameterError(where(info.path, "the video has no frame rate; pass fps"))
    return float(rate)


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
    on_frame: Callable[[int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Stream the events of a video seen by a DVS: one sorted chunk per simulator step.

    ``sensor_size`` is the full array; events are in the coordinates of ``roi`` (default: the
    whole array). ``on_frame(i)`` is called after each video frame (for progress bars).
    """
    if not (lux > 0 and np.isfinite(lux)):
        raise ParameterError(f"lux must be a positive number, got {lux}")
    info = video_info(path)
    rate = video_fps(info, fps)
    roi = roi if roi is not None else (0, 0, int(sensor_size[0]), int(sensor_size[1]))
    sim = DvsSimulator((roi[2], roi[3]), params, seed)
    counter = {"i": 0}

    def lux_frames() -> Iterator[np.ndarray]:
        for frame in iter_video_frames(path):
            yield frame_to_lux(frame, lux, sensor_size, roi)
            if on_frame is not None:
                on_frame(counter["i"])
            counter["i"] += 1

    for frame, t in upsample_linear(lux_frames(), frame_times(None, rate), upsample):
        ev = sim.step(frame, t)
        if ev.size:
            yield ev


def simulate_video(path: str | Path, sensor_size: SensorSize, params: DvsParams | None = None, **kwargs) -> np.ndarray:
    """All the events of :func:`iter_video_events` in one array."""
    chunks = list(iter_video_events(path, sensor_size, params, **kwargs))
    return np.concatenate(chunks) if chunks else empty_events()


class VideoScene:
    """``render(t_us)`` over a video for the RGB camera: linear RGB lux, interpolated in time.

    Frames are decoded on demand, so times must not decrease (the camera guarantees this);
    after the last frame the scene holds still.
    """

    def __init__(self, path: str | Path, lux: float = 300.0, fps: float | None = None) -> None:
        self.info = video_info(path)
        self.fps = video_fps(self.info, fps)
        self.lux = float(lux)
        self._frames = iter_video_frames(path)
        self._times = frame_times(None, self.fps)
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


def write_video(path: str | Path, frames_rgb: Iterator[np.ndarray], fps: float) -> Path:
    """Write uint8 (H, W, 3) RGB frames with OpenCV (MJPG in .avi, mp4v otherwise), atomically."""
    import cv2

    path = Path(path)
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")
    writer = None
    try:
        for frame in frames_rgb:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(tmp), fourcc, float(fps), (w, h))
                if not writer.isOpened():
                    raise FormatError(where(path, "OpenCV cannot write this video (check the extension)"))
            writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
        if writer is None:
            raise FormatError(where(path, "no frame to write"))
        writer.release()
        writer = None
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if tmp.exists():
            tmp.unlink()
    return path
