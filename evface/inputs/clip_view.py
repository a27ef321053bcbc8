"""How every model input looks at a clip: which sensor, which face box, which time window, which grey.

The classifier inputs (:mod:`evface.inputs.classify`) and the reconstruction samples
(:mod:`evface.inputs.reconstruct`) share this geometry:

- the event sensors are named by dataset role (:data:`SENSORS`, from
  :data:`evface.sim.sensors.BY_ROLE`); :func:`read_view` reads the parts of a clip an input needs
  and :func:`require_sensor` names the file when it lacks the sensor, or holds events off it;
- a camera's face box is ``calibration["face_box"][camera] = [x, y, w, h]`` in that camera's
  recorded-window pixels (pixel-edge coordinates, possibly fractional). :func:`face_box` snaps
  each of the four values to the nearest whole pixel (Python's ``round``: halves go to the even
  integer), then clips the box to the image;
- the time window is the whole clip ``[0, duration_us]`` or the annotated expression
  ``[onset_us, offset_us]`` (:func:`time_window`);
- grey is ITU-R BT.601 luma in [0, 1] (:func:`to_gray`); images shrink by area (pixel)
  averaging (:func:`resize_area`);
- the RGB camera an input compares with event sensor ``hd`` or ``lr`` is the frame stream whose
  ``calibration["frame_cameras"]`` entry has that ``view`` and the asked camera ``preset``
  (:func:`frame_stream`); a clip without that table (a recording) has one RGB camera, ``rgb``;
- RGB frames are registered onto an event sensor's face box with
  ``calibration["homography"][sensor]`` (RGB pixel -> sensor-window pixel; :func:`register_to_box`).

A clip that lacks what an input needs raises one :class:`~evface.errors.DatasetError` naming the
file and the missing sensor, frames or calibration entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface.checks import MAX_SENSOR_SIDE, as_int, finite, real_dtype
from evface.errors import DatasetError, EventsError, ParameterError, choose_from, where
from evface.events.core import check_array, check_stream
from evface.io.clip_reader import read_clip, read_clip_meta
from evface.io.clip_schema import Clip, FrameSeries
from evface.sim.sensors import BY_ROLE

SENSORS = tuple(sorted(BY_ROLE))
"""The event sensors of a dataset, by role: ``("hd", "lr")``."""
WINDOWS = ("clip", "expression")
"""Time windows: the whole clip or the annotated expression."""
RECORDED_PRESET = "webcam30"
"""The one RGB camera preset a recording answers to (the default of ``--rgb-camera``): its frames
are whatever camera recorded them, so another preset would only mislabel them."""

Box = tuple[int, int, int, int]
"""A face box ``(x, y, w, h)`` in whole pixels."""


def check_sensor(sensor: str) -> str:
    """``sensor`` if it is one of :data:`SENSORS`, else a ParameterError naming the option.

    Parameters
    ----------
    sensor : str
        The event sensor's name.

    Returns
    -------
    str
        ``sensor``.

    Examples
    --------
    >>> check_sensor("lr")
    'lr'
    >>> check_sensor("evk4")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: sensor must be one of the rig's event sensors, not 'evk4'; choose from hd, lr
    """
    if not isinstance(sensor, str) or sensor not in SENSORS:  # an array was "truth value ... ambiguous"
        raise ParameterError(f"sensor must be one of the rig's event sensors, not {sensor!r}; {choose_from(SENSORS)}")
    return sensor


def check_window(window: str) -> str:
    """``window`` if it is one of :data:`WINDOWS`, else a ParameterError naming the option.

    Parameters
    ----------
    window : str
        The time window's name.

    Returns
    -------
    str
        ``window``.

    Examples
    --------
    >>> check_window("expression")
    'expression'
    >>> check_window("apex")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: window must be one of the time windows, not 'apex'; choose from clip, expression
    """
    if not isinstance(window, str) or window not in WINDOWS:
        raise ParameterError(f"window must be one of the time windows, not {window!r}; {choose_from(WINDOWS)}")
    return window


def require_sensor(clip: Clip, sensor: str, source: str | Path | None = None) -> None:
    """A DatasetError naming the file, ``sensor`` and the sensors it has, unless ``clip`` has it;
    an EventsError naming the first event that lies off it, or is out of time order, where the
    clip holds that sensor's events (one compiled scan, as :func:`~evface.io.clip_reader.read_clip`
    checks a file's; a :class:`Clip` made in Python is checked only by
    :func:`~evface.io.clip_writer.write_clip`, and an input crops such events without a word).

    Parameters
    ----------
    clip : Clip
        The clip, or its metadata (:func:`~evface.io.clip_reader.read_clip_meta`).
    sensor : str
        The event sensor the input needs.
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import SensorInfo
    >>> clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, sensors={"lr": SensorInfo("lr", 40, 30)})
    >>> require_sensor(clip, "lr")  # nothing to say
    >>> require_sensor(clip, "hd", "c.h5")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: c.h5: no events of sensor 'hd' (this clip has lr): give a dataset whose clips have it, or train with --sensor one of these
    >>> clip.events["lr"] = make_events([0, 5], [3, 40], [2, 2], [1, 1])
    >>> require_sensor(clip, "lr")
    Traceback (most recent call last):
    ...
    evface.errors.EventsError: the events of sensor 'lr': event 1 at t=5 µs (x=40, y=2) lies outside the 40x30 sensor
    """
    if sensor not in clip.sensors:
        other = ", or train with --sensor one of these" if clip.sensors else ""
        raise DatasetError(where(source, f"no events of sensor {sensor!r} (this clip has "
                                         f"{', '.join(sorted(clip.sensors)) or 'none'}): give a dataset whose clips have it{other}"))
    if sensor in clip.events:
        try:
            check_array(clip.events[sensor])
            check_stream(clip.events[sensor], clip.sensors[sensor].size)
        except EventsError as exc:
            raise EventsError(where(source, f"the events of sensor {sensor!r}: {exc}")) from None


def read_view(path: str | Path, sensor: str | None, *, frames: bool | Sequence[str],
              truth: bool | Sequence[str] = False) -> Clip:
    """Read the events of ``sensor`` (none when ``None``), and the frames and truth if asked
    (all of them, or the streams and sensors named, as :func:`~evface.io.clip_reader.read_clip`).

    A clip without ``sensor`` is a DatasetError (:func:`require_sensor`) before any event is read;
    a ``sensor`` that is no name (text) nor None a ParameterError naming it.

    Parameters
    ----------
    path : str or Path
        The clip file.
    sensor : str or None
        The event sensor whose events to read; None: no events.
    frames : bool or sequence of str
        All frame streams (True), none (False), or the streams named.
    truth : bool or sequence of str, optional
        All truth series, none (False, the default), or those of the sensors named.

    Returns
    -------
    Clip
        The clip with only the parts asked for.

    Examples
    --------
    >>> import tempfile
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import SensorInfo
    >>> from evface.io.clip_writer import write_clip
    >>> frames = FrameSeries(np.zeros((2, 2, 4, 3), np.uint8), np.array([0, 500]), np.array([100, 100]))
    >>> clip = Clip("c0", "s01", "AU12", [12], "bright", 0, 1500, 3000, 4000, frames={"rgb": frames},
    ...             events={"lr": make_events([0, 1000, 2000], [0, 1, 2], [0, 1, 1], [1, -1, 1])},
    ...             sensors={"lr": SensorInfo("lr", 4, 2)})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_clip(Path(folder) / "c0.h5", clip)
    ...     events_only = read_view(path, "lr", frames=False)
    ...     frames_only = read_view(path, None, frames=True)
    ...     read_view(path, "hd", frames=True)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: .../c0.h5: no events of sensor 'hd' (this clip has lr): give a dataset whose clips have it, or train with --sensor one of these
    >>> len(events_only.events["lr"]), list(events_only.frames), list(frames_only.events), list(frames_only.frames)
    (3, [], [], ['rgb'])
    """
    if sensor is None:
        return read_clip(path, sensors=[], frames=frames, truth=truth)
    if not isinstance(sensor, str):  # an array was "unhashable type"
        raise ParameterError(f"sensor must be a sensor's name or None, got {sensor!r:.80}")
    require_sensor(read_clip_meta(path), sensor, path)
    clip = read_clip(path, sensors=[sensor], frames=frames, truth=truth)
    require_sensor(clip, sensor, path)  # its events in time order (the readers leave that to convert --sort)
    return clip


NEEDS_FRAMES = ("the RGB inputs of train classify (--input rgb, rgb-diff, rgb-flow) and every protocol of train "
                "reconstruct need them; give clips that have them, or classify with --input events or events-apex")
"""What a clip without the RGB frames asked for cannot be used for, and the ways out (:func:`rgb_frames`)."""


def rgb_frames(clip: Clip, source: str | Path | None = None, stream: str = "rgb") -> FrameSeries:
    """The clip's frames of ``stream`` (default ``rgb``); a DatasetError when it has none.

    Parameters
    ----------
    clip : Clip
        The clip, read with its frames.
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.
    stream : str, optional
        The frame stream (default ``"rgb"``).

    Returns
    -------
    FrameSeries
        The stream's frames, at least one.

    Examples
    --------
    >>> frames = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 500]), np.array([100, 100]))
    >>> rgb_frames(Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, frames={"rgb": frames})).data.shape
    (2, 4, 6, 3)
    >>> rgb_frames(Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3), "c.h5")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: c.h5: no 'rgb' frames in this clip: the RGB inputs of train classify (--input rgb, rgb-diff, rgb-flow) and every protocol of train reconstruct need them; give clips that have them, or classify with --input events or events-apex
    """
    frames = clip.frames.get(stream)
    if frames is None or len(frames.t_us) == 0:
        raise DatasetError(where(source, f"no {stream!r} frames in this clip: {NEEDS_FRAMES}"))
    return frames


def frame_stream(clip: Clip, view: str, preset: str, source: str | Path | None = None) -> str:
    """Name of the frame stream of RGB camera ``preset`` that sees the face like sensor ``view``.

    ``calibration["frame_cameras"]`` maps each stream to its ``view`` (``"lr"``: the lr field of
    view; ``"hd"``: hd's pixel size) and camera ``preset``. A clip without that table (a
    recording) has one RGB camera: ``rgb``, whatever ``view``; a ``preset`` other than
    :data:`RECORDED_PRESET` is refused there (it would name a camera that did not film the frames).

    Parameters
    ----------
    clip : Clip
        The clip, or its metadata.
    view : {'hd', 'lr'}
        The event sensor whose view the camera matches.
    preset : str
        The RGB camera preset (``webcam30``, ``highspeed200``).
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.

    Returns
    -------
    str
        The name of the frame stream.

    Examples
    --------
    >>> cams = {"rgb": {"view": "lr", "preset": "webcam30"}, "rgb-webcam30-hd": {"view": "hd", "preset": "webcam30"}}
    >>> clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, calibration={"frame_cameras": cams})
    >>> frame_stream(clip, "hd", "webcam30"), frame_stream(clip, "lr", "webcam30")
    ('rgb-webcam30-hd', 'rgb')
    """
    table = clip.calibration.get("frame_cameras")
    if table is None:
        if preset != RECORDED_PRESET:
            raise DatasetError(where(source, f"a recording: its one RGB camera is the one that filmed it, not the "
                                             f"synthetic {preset}; leave --rgb-camera at {RECORDED_PRESET}"))
        return "rgb"
    for name, cam in table.items():
        if cam.get("view") == view and cam.get("preset") == preset:
            return name
    have = ", ".join(f"{c.get('preset')} at {c.get('view')}" for c in table.values())
    raise DatasetError(where(source, f"no {preset} RGB camera with the {view} view in this clip (it has {have}); "
                                     "choose another --sensor or --rgb-camera, or synthesize with that camera "
                                     "(evface synth --rgb-hd-cameras)"))


def face_box(clip: Clip, camera: str, source: str | Path | None = None) -> Box:
    """The face box ``(x, y, w, h)`` of ``camera`` in whole pixels, clipped to its image.

    ``camera`` is an event sensor of the clip (its recorded window bounds the box) or a frame
    camera such as ``rgb`` (its frames do). Each value of the calibration's box is rounded to
    the nearest integer before clipping.

    Parameters
    ----------
    clip : Clip
        The clip, or its metadata.
    camera : str
        An event sensor or a frame stream of the clip.
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.

    Returns
    -------
    tuple of int
        ``(x, y, w, h)``, pixels.

    Examples
    --------
    >>> from evface.io.clip_schema import SensorInfo
    >>> clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, sensors={"lr": SensorInfo("lr", 40, 30)},
    ...             calibration={"face_box": {"lr": [4.6, -2.2, 30.4, 25.5]}})
    >>> face_box(clip, "lr")
    (5, 0, 30, 24)
    """
    if camera in clip.sensors:
        shape_hw = (clip.sensors[camera].height, clip.sensors[camera].width)
    elif camera in clip.frames:
        shape_hw = np.asarray(clip.frames[camera].data).shape[1:3]
    else:
        raise DatasetError(where(source, f"no camera {camera!r} in this clip to take a face box from"))
    return box_in_image(clip.calibration, camera, shape_hw, source)


def box_in_image(calibration: Mapping[str, Any], camera: str, shape_hw: Sequence[int],
                 source: str | Path | None = None) -> Box:
    """``calibration["face_box"][camera]`` as :func:`face_box` takes it: ``(x, y, w, h)`` in whole
    pixels (each value rounded to the nearest integer), clipped to an image of ``shape_hw``
    (height, width); a :class:`DatasetError` naming ``source`` where it is missing, not four numbers
    or outside the image.

    Parameters
    ----------
    calibration : dict
        The clip's calibration.
    camera : str
        The camera whose face box to take.
    shape_hw : sequence of int
        The camera image's ``(height, width)``.
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.

    Returns
    -------
    tuple of int
        ``(x, y, w, h)``, pixels.

    Examples
    --------
    >>> box_in_image({"face_box": {"hd": [-3.4, 10.6, 40, 40]}}, "hd", (48, 64))
    (0, 11, 37, 37)
    """
    if not isinstance(calibration, Mapping):
        raise ParameterError(f"calibration must be a clip's calibration (a dict), got {type(calibration).__name__}")
    if isinstance(shape_hw, (str, bytes)) or not isinstance(shape_hw, Sequence | np.ndarray) or len(shape_hw) < 2:
        raise ParameterError(f"shape_hw must be an image's (height, width, ...), got {shape_hw!r:.80}")
    shape_hw = (as_int("shape_hw", shape_hw[0], 1), as_int("shape_hw", shape_hw[1], 1))
    try:
        x, y, w, h = (int(round(float(v))) for v in calibration["face_box"][camera])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: an infinite value
        raise DatasetError(where(source, f"calibration['face_box'][{camera!r}] missing or not [x, y, w, h] ({exc})")) from exc
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(shape_hw[1], x + w), min(shape_hw[0], y + h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise DatasetError(where(source, f"face box {[x, y, w, h]} of {camera!r} lies outside its {shape_hw[1]}x{shape_hw[0]} image"))
    return x0, y0, x1 - x0, y1 - y0


def homography(clip: Clip, sensor: str, source: str | Path | None = None) -> np.ndarray:
    """The 3x3 map from RGB pixel to ``sensor``-window pixel, ``calibration["homography"][sensor]``.

    Parameters
    ----------
    clip : Clip
        The clip, or its metadata.
    sensor : str
        The event sensor.
    source : str or Path or None, optional
        The clip's file, named in the errors; None (default): no name.

    Returns
    -------
    ndarray of float64, shape (3, 3)
        The map, which can be inverted; a DatasetError naming ``source`` where it is missing or not one.

    Examples
    --------
    >>> clip = Clip("c", "s", "AU12", [12], "dim", 0, 1, 2, 3, calibration={"homography": {"lr": np.eye(3).tolist()}})
    >>> homography(clip, "lr").diagonal().tolist()
    [1.0, 1.0, 1.0]
    >>> homography(clip, "hd", "c.h5")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: c.h5: calibration['homography']['hd'] missing
    """
    hom = clip.calibration.get("homography", {}).get(sensor)
    if hom is None:
        raise DatasetError(where(source, f"calibration['homography'][{sensor!r}] missing"))
    try:
        return checked_homography(hom)
    except ParameterError as exc:
        raise DatasetError(where(source, f"calibration['homography'][{sensor!r}]: {exc}")) from None


def checked_homography(hom: object) -> np.ndarray:
    """``hom`` as a float64 3x3 map that can be inverted; a ParameterError otherwise.

    A map holding NaN warped every pixel to one border value, and a singular one (which OpenCV's
    warp inverts) to zeros, without a word.

    Parameters
    ----------
    hom : array_like
        The map, 3x3.

    Returns
    -------
    ndarray of float64, shape (3, 3)
        ``hom``.

    Examples
    --------
    >>> checked_homography(np.eye(3)).shape
    (3, 3)
    >>> checked_homography(np.zeros((3, 3)))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: homography must be a 3x3 map of finite numbers that can be inverted, got [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    try:
        m = np.asarray(hom, dtype=np.float64)
    except (TypeError, ValueError):
        m = np.full(0, np.nan)
    if m.shape != (3, 3) or not np.isfinite(m).all() or np.linalg.matrix_rank(m) < 3:
        shown = m.tolist() if m.size else hom
        raise ParameterError(f"homography must be a 3x3 map of finite numbers that can be inverted, got {shown!r}")
    return m


def time_window(clip: Clip, window: str) -> tuple[int, int]:
    """``(t_start_us, t_end_us)`` of ``window``: the whole clip or its expression (at least 1 µs).

    Parameters
    ----------
    clip : Clip
        The clip, or its metadata.
    window : {'clip', 'expression'}
        The whole clip, or the annotated expression (onset to offset).

    Returns
    -------
    t_start_us : int
        Start of the window, µs.
    t_end_us : int
        End of the window, µs.

    Examples
    --------
    >>> clip = Clip("c", "s", "AU12", [12], "dim", onset_us=100, apex_us=150, offset_us=200, duration_us=900)
    >>> time_window(clip, "clip"), time_window(clip, "expression")
    ((0, 900), (100, 200))
    """
    if check_window(window) == "expression":  # a misspelt window was the whole clip
        return int(clip.onset_us), int(max(clip.offset_us, clip.onset_us + 1))
    return 0, int(max(clip.duration_us, 1))


_CHANNELS = {1: "1 channel", 2: "2 channels (grey and alpha)", 4: "4 channels (RGBA)"}
_DROP_CHANNELS = {1: "frames[..., 0]", 2: "frames[..., 0] where the alpha is opaque",
                  4: "frames[..., :3] where the alpha is opaque"}


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of uint8 RGB frames (..., H, W, 3) (or grey (..., H, W)) as float32 in [0, 1].

    Frames of another type are a :class:`ParameterError` (float frames in [0, 1], as a
    ``FrameSeries`` built in Python may hold them, were divided by 255: black, silently), and so
    are frames ending in 1, 2 or 4 channels (grey or RGBA with a channel axis; were read as grey
    frames that many pixels wide) and arrays of fewer than two axes: what lies under an alpha is
    not the picture, so dropping it is left to the caller.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (..., H, W, 3) or (..., H, W)
        The frames.

    Returns
    -------
    ndarray of float32, shape (..., H, W)
        Grey levels in [0, 1].

    Examples
    --------
    >>> to_gray(np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8))
    array([[0.299, 0.114]], dtype=float32)
    >>> to_gray(np.ones((2, 2, 3), np.float32))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: frames must be uint8 (0..255, as clips store them), got float32; scale frames in [0, 1] by 255 and round
    >>> to_gray(np.zeros((4, 6, 4), np.uint8))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: frames of shape (4, 6, 4) end in 4 channels (RGBA); give RGB (..., H, W, 3) or grey (..., H, W) frames, e.g. frames[..., :3] where the alpha is opaque
    >>> to_gray(np.zeros((4, 6, 1), np.uint8))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: frames of shape (4, 6, 1) end in 1 channel; give RGB (..., H, W, 3) or grey (..., H, W) frames, e.g. frames[..., 0]
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise ParameterError(f"frames must be uint8 (0..255, as clips store them), got {rgb.dtype}; "
                             "scale frames in [0, 1] by 255 and round")
    if rgb.ndim < 2:
        raise ParameterError(f"frames must be images (..., H, W[, 3]), got shape {rgb.shape}")
    if rgb.ndim >= 3 and rgb.shape[-1] in (1, 2, 4):
        raise ParameterError(f"frames of shape {rgb.shape} end in {_CHANNELS[rgb.shape[-1]]}; give RGB (..., H, W, 3) "
                             f"or grey (..., H, W) frames, e.g. {_DROP_CHANNELS[rgb.shape[-1]]}")
    if rgb.ndim >= 3 and rgb.shape[-1] == 3:
        g = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    else:
        g = rgb.astype(np.float64)
    return (g / 255.0).astype(np.float32)


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Resize (..., H, W) to (..., size, size): pixel averaging when shrinking, bilinear when growing.

    Parameters
    ----------
    img : ndarray of real numbers, shape (..., H, W)
        The images, finite.
    size : int
        Side of the output, pixels.

    Returns
    -------
    ndarray of float32, shape (..., size, size)
        The resized images.

    Examples
    --------
    >>> resize_area(np.arange(16, dtype=np.float32).reshape(4, 4), 2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]

    Images of no real numbers are a ParameterError (were: complex values cut to their real part,
    objects such as ``None`` made NaN):

    >>> resize_area(np.array([[None, 1]]), 2)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: resize_area needs images of real numbers, got dtype object
    """
    size = as_int("size", size, 1, MAX_SENSOR_SIDE)
    img = np.asarray(img)
    if not real_dtype(img.dtype):
        raise ParameterError(f"resize_area needs images of real numbers, got dtype {img.dtype}")
    img = img.astype(np.float32, copy=False)
    if img.ndim < 2 or 0 in img.shape[-2:]:
        raise ParameterError(f"resize_area needs images (..., H, W) of at least one pixel, got shape {img.shape}")
    finite("img", img, "resizing spreads a NaN over its neighbours")
    lead = img.shape[:-2]
    flat = img.reshape(-1, *img.shape[-2:])
    h, w = flat.shape[-2:]
    interp = cv2.INTER_AREA if (h >= size and w >= size) else cv2.INTER_LINEAR
    out = np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in flat]) if flat.shape[0] else np.zeros((0, size, size), np.float32)
    return out.reshape(*lead, size, size)


def register_to_box(gray: np.ndarray, homography: np.ndarray, box: Sequence[int], size: int) -> np.ndarray:
    """Warp grey RGB frames onto a sensor's face box and resize to ``size`` x ``size``.

    ``homography`` maps RGB pixel coordinates to sensor-window coordinates; the box is
    ``(x, y, w, h)`` in sensor-window pixels. Warping goes to the box at native sensor
    resolution, then :func:`resize_area`.

    Parameters
    ----------
    gray : ndarray of real numbers, shape (N, H, W)
        Grey RGB frames in [0, 1] (:func:`to_gray`).
    homography : ndarray, shape (3, 3)
        Map from RGB pixel to sensor-window pixel (:func:`homography`).
    box : sequence of int
        The sensor's face box ``(x, y, w, h)``, sensor-window pixels.
    size : int
        Side of the output, pixels.

    Returns
    -------
    ndarray of float32, shape (N, size, size)
        The registered frames, clipped to [0, 1].

    Examples
    --------
    A frame whose column ``x`` has grey ``x / 10``; with the identity map the box keeps columns 2
    to 5, which shrink to two averages. RGB pixels half the size of the sensor's (the map halves
    coordinates) bring every other column:

    >>> gray = np.tile(np.arange(8, dtype=np.float32) / 10, (1, 6, 1))
    >>> register_to_box(gray, np.eye(3), (2, 1, 4, 4), 2)[0].astype(float).round(2).tolist()
    [[0.25, 0.45], [0.25, 0.45]]
    >>> register_to_box(gray, np.diag([0.5, 0.5, 1.0]), (0, 0, 4, 3), 4)[0, 0].astype(float).round(2).tolist()
    [0.0, 0.2, 0.4, 0.6]
    """
    gray = np.asarray(gray)
    if gray.ndim != 3 or not real_dtype(gray.dtype) or gray.dtype == bool:
        raise ParameterError(f"gray must be grey frames (N, H, W) of numbers, got {gray.dtype} {gray.shape}")
    try:
        x0, y0, w, h = box
    except (TypeError, ValueError):
        raise ParameterError(f"box must be (x, y, w, h), got {box!r}") from None
    x0, y0 = as_int("box x", x0), as_int("box y", y0)
    w, h = as_int("box w", w, 1, MAX_SENSOR_SIDE), as_int("box h", h, 1, MAX_SENSOR_SIDE)  # OpenCV takes 0 as the image's size
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
    m = shift @ checked_homography(homography)
    warped = np.stack([cv2.warpPerspective(g, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for g in gray])
    return np.clip(resize_area(warped, size), 0.0, 1.0)
