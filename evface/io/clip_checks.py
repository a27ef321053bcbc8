"""The checks of a clip before it is written: every field of a :class:`~evface.io.clip_schema.Clip`
must be one that :func:`~evface.io.clip_reader.read_clip` reads back as given; otherwise one
``ParameterError`` (``EventsError`` for events) names the file and the field, before anything is
written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import as_int, sensor_dims
from evface.errors import FormatError, ParameterError, where
from evface.events.core import validate_events
from evface.io.clip_schema import TIME_ATTRS, Clip, FrameSeries, SensorInfo, TruthSeries, check_sensor_name
from evface.io.manifest import names_a_file


def checked_clip(path: Path, clip: Clip) -> Clip:
    """``clip`` with its times and AUs as ints, once every field is one
    :func:`~evface.io.clip_reader.read_clip` reads back as written; otherwise a ``ParameterError``
    (``EventsError`` for events) naming ``path`` and the field, before anything is written. A string
    time wrote a clip no reader could open, a fraction lost its part silently, a frames name with
    ``/`` nested groups that read as corrupt."""
    if not isinstance(clip, Clip):
        raise ParameterError(where(path, f"clip must be a Clip, got {type(clip).__name__}"))
    _check_fields_by_name(path, clip)  # before anything reads them: a list was "has no attribute 'items'",
    _check_series_times(path, clip)  # a number as times "too many indices"
    texts = {key: _text(path, f"Clip.{key}", getattr(clip, key)) for key in ("clip_id", "subject", "label", "lighting")}
    check_clip_id(path, "Clip.clip_id", texts["clip_id"])
    times = {key: check_field(path, key, lambda: as_int(f"Clip.{key}", getattr(clip, key))) for key in TIME_ATTRS}
    if not 0 <= times["onset_us"] <= times["apex_us"] <= times["offset_us"] <= times["duration_us"]:
        raise ParameterError(where(path, "Clip times must keep 0 <= onset_us <= apex_us <= offset_us <= duration_us, got "
                                         + ", ".join(f"{key}={times[key]}" for key in TIME_ATTRS)))
    # an integer keeps its own type, and the file its bytes; a whole float (1000.0) is stored as an int
    times = {key: t for key, t in times.items() if not isinstance(getattr(clip, key), (int, np.integer))}
    if isinstance(clip.aus, (str, bytes)) or not isinstance(clip.aus, Sequence | np.ndarray):
        raise ParameterError(where(path, f"Clip.aus must be a list of AU numbers, got {clip.aus!r}"))
    aus = check_field(path, "aus", lambda: [as_int("Clip.aus", au, 1) for au in clip.aus])
    for key in ("calibration", "extra"):
        _check_json_object(path, f"Clip.{key}", getattr(clip, key))
    for name, info in clip.sensors.items():
        check_sensor_name(path, name)
        check_field(path, name, lambda: _check_geometry(f"Clip.sensors[{name!r}]", info))
    for name, ev in clip.events.items():
        if name not in clip.sensors:
            raise FormatError(where(path, f"events for sensor {name!r} have no SensorInfo"))
        validate_events(ev, clip.sensors[name].size, source=f"{path} events/{name}")
    for name, frames in clip.frames.items():
        check_sensor_name(path, name, " (a camera of Clip.frames)")
        _check_images(path, f"Clip.frames[{name!r}]", frames.data, (np.uint8,), "(N, H, W) or (N, H, W, 3) of uint8")
        for key in ("t_us", "exposure_us"):
            _check_times(path, f"Clip.frames[{name!r}].{key}", getattr(frames, key))
    for name, truth in clip.truth.items():
        check_sensor_name(path, name, " (a sensor of Clip.truth)")
        _check_images(path, f"Clip.truth[{name!r}]", truth.data, (np.floating, np.integer), "(N, H, W) of numbers")
        _check_times(path, f"Clip.truth[{name!r}].t_us", truth.t_us)
        _check_truth_grid(path, name, truth.data.shape[1:], clip.sensors.get(name))
    checked: dict[str, Any] = {**texts, **times, "aus": aus}
    return replace(clip, **checked)


def _check_series_times(path: Path, clip: Clip) -> None:
    """A ``ParameterError`` naming ``path`` and the field unless the times (and exposures) of every
    frames and truth series of ``clip`` are 1-D, one per image. A series checks this when made, not
    when a field is set afterwards: a number there was an IndexError (``too many indices``).

    Examples
    --------
    >>> frames = FrameSeries(np.zeros((2, 2, 2), np.uint8), np.array([0, 9]), np.array([5, 5]))
    >>> frames.exposure_us = 5
    >>> clip = Clip("c0", "s0", "AU12", [12], "bright", 0, 5, 10, 20, frames={"rgb": frames})
    >>> _check_series_times(Path("c.h5"), clip)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: c.h5: Clip.frames['rgb'].exposure_us must be 1-D, one per image (2), got int64 ()
    """
    series: list[tuple[str, FrameSeries | TruthSeries, tuple[str, ...]]]
    series = [(f"Clip.frames[{name!r}]", s, ("t_us", "exposure_us")) for name, s in clip.frames.items()]
    series += [(f"Clip.truth[{name!r}]", s, ("t_us",)) for name, s in clip.truth.items()]
    for name, s, keys in series:
        n = len(s.data) if isinstance(s.data, np.ndarray) and s.data.ndim else None  # data: checked_clip
        for key in keys:
            t = np.asarray(getattr(s, key))
            if t.ndim != 1 or n not in (None, len(t)):
                raise ParameterError(where(path, f"{name}.{key} must be 1-D, one per image ({n}), got {t.dtype} {t.shape}"))

def _check_fields_by_name(path: Path, clip: Clip) -> None:
    """A ParameterError naming ``path`` and the field unless ``clip``'s ``sensors``, ``events``,
    ``frames`` and ``truth`` are dicts of what they hold (:func:`_check_by_name`).

    Parameters
    ----------
    path : Path
        The clip file, named in the error.
    clip : Clip
        The clip to be written.

    Examples
    --------
    >>> clip = Clip("c0", "s0", "AU12", [12], "bright", 0, 5, 10, 20)
    >>> clip.truth = None
    >>> _check_fields_by_name(Path("c.h5"), clip)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: c.h5: Clip.truth must be a dict of TruthSeries by camera or sensor name, got None
    """
    for key, kind in (("sensors", SensorInfo), ("events", None), ("frames", FrameSeries), ("truth", TruthSeries)):
        _check_by_name(path, key, getattr(clip, key), kind)


def _check_by_name(path: Path, key: str, value: object, kind: type | None) -> None:
    """A ParameterError unless ``value``, the clip's field ``key``, is a dict whose values are
    ``kind`` (any, for ``None``: events are checked as events), set after the clip was made or not
    (was an ``AttributeError`` naming no file: "'list' object has no attribute 'items'").

    Examples
    --------
    >>> _check_by_name(Path("c.h5"), "frames", [1, 2], FrameSeries)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: c.h5: Clip.frames must be a dict of FrameSeries by camera or sensor name, got [1, 2]
    >>> _check_by_name(Path("c.h5"), "sensors", {"hd": (4, 4)}, SensorInfo)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: c.h5: Clip.sensors['hd'] must be a SensorInfo, got tuple
    """
    what = kind.__name__ if kind else "events arrays"
    if not isinstance(value, dict):
        raise ParameterError(where(path, f"Clip.{key} must be a dict of {what} by camera or sensor name, "
                                         f"got {value!r:.80}"))
    for name, item in value.items():
        if kind is not None and not isinstance(item, kind):
            raise ParameterError(where(path, f"Clip.{key}[{name!r}] must be a {what}, got {type(item).__name__}"))


def _check_truth_grid(path: Path, name: str, shape: tuple[int, ...], sensor: SensorInfo | None) -> None:
    """Truth lies on its sensor's grid (docs/clip-format.md): readers crop it with the sensor's
    face box, so frames of another shape would be cut at the wrong pixels."""
    if sensor is None:
        raise ParameterError(where(path, f"Clip.truth[{name!r}] has no SensorInfo: truth lies on the grid of the "
                                         "sensor of its name"))
    grid = (int(sensor.height), int(sensor.width))
    if tuple(shape) != grid:
        raise ParameterError(where(path, f"Clip.truth[{name!r}].data has frames of (height, width) {tuple(shape)}, "
                                         f"sensor {name!r} is {grid}: truth lies on its sensor's grid"))


def check_field(path: Path, key: str, check: Any) -> Any:
    """``check()``, its ParameterError prefixed with ``path``."""
    try:
        return check()
    except ParameterError as exc:
        raise ParameterError(where(path, str(exc))) from None


def _check_geometry(name: str, info: SensorInfo) -> None:
    """A sensor's size, full size and ROI as :func:`~evface.io.clip_reader.read_clip_meta` reads them back."""
    sensor_dims(info.size, name)
    for key in ("full_width", "full_height"):
        if getattr(info, key) is not None:
            as_int(f"{name}.{key}", getattr(info, key), 1)
    if info.roi is not None:
        if isinstance(info.roi, (str, bytes)) or not isinstance(info.roi, Sequence | np.ndarray) or len(info.roi) != 4:
            raise ParameterError(f"{name}.roi must be (x0, y0, width, height), got {info.roi!r}")
        for v in info.roi:
            as_int(f"{name}.roi", v)


def check_clip_id(path: Path, name: str, clip_id: object) -> str:
    r"""``clip_id`` as a ``str``, once it is text that can name its clip's file ``clips/ID.h5`` in a
    dataset (:func:`~evface.io.manifest.names_a_file`); otherwise a ``ParameterError`` naming
    ``path``, ``name`` and the id. An empty id, or one with ``/`` or ``\``, was written and read back
    as the id of a clip that a dataset would store as ``clips/.h5`` or in another folder.

    Examples
    --------
    >>> check_clip_id(Path("c.h5"), "clip_id", "s000_c001")
    's000_c001'
    >>> check_clip_id(Path("c.h5"), "clip_id", "a/b")
    Traceback (most recent call last):
    evface.errors.ParameterError: c.h5: clip_id must be non-empty, without '/' or '\' (it names the clip's file clips/ID.h5), got 'a/b'
    """
    text = _text(path, name, clip_id)
    if not names_a_file(text):
        raise ParameterError(where(path, f"{name} must be non-empty, without '/' or '\\' (it names the clip's file "
                                         f"clips/ID.h5), got {text!r}"))
    return text


def _check_json_object(path: Path, name: str, value: object) -> None:
    """A dict that JSON stores (its arrays and NumPy numbers as lists and numbers, as the writer
    stores them): a number was written and then refused by the reader ("must be a JSON object"),
    a complex array a TypeError naming nothing.

    Examples
    --------
    >>> _check_json_object(Path("c.h5"), "Clip.extra", {"gain": np.float32(2.0), "roi": np.arange(2)})
    >>> _check_json_object(Path("c.h5"), "Clip.extra", {"z": 1j})
    Traceback (most recent call last):
    evface.errors.ParameterError: c.h5: Clip.extra cannot be stored as JSON (complex)
    """
    if not isinstance(value, dict):
        raise ParameterError(where(path, f"{name} must be a dict (a JSON object), got {value!r:.80}"))
    try:
        json.dumps(value, default=_json_value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ParameterError(where(path, f"{name} cannot be stored as JSON ({exc})")) from None


def _json_value(value: object) -> object:
    """A NumPy number or array as JSON takes it; else a TypeError naming its type."""
    if isinstance(value, np.generic) and not np.iscomplexobj(value):
        return value.item()
    if isinstance(value, np.ndarray) and not np.iscomplexobj(value):
        return value.tolist()
    raise TypeError(f"{value.dtype} values" if isinstance(value, np.ndarray | np.generic) else type(value).__name__)


def _text(path: Path, name: str, value: object) -> str:
    """``value`` as a plain ``str`` (h5py stores no ``numpy.str_``) of UTF-8 text."""
    if not isinstance(value, str):
        raise ParameterError(where(path, f"{name} must be text, got {value!r}"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(where(path, f"{name} {value!r} is not UTF-8 text")) from None
    return str(value)


def _check_images(path: Path, name: str, data: object, kinds: tuple[type, ...], shape: str) -> None:
    """Frames or truth: an array of the shape and dtype the schema stores (docs/clip-format.md)."""
    if not isinstance(data, np.ndarray):
        raise ParameterError(where(path, f"{name}.data must be {shape}, got {type(data).__name__}"))
    ok = any(np.issubdtype(data.dtype, kind) for kind in kinds)
    if ok and data.ndim == 4 and kinds == (np.uint8,):
        ok = data.shape[3] == 3
    elif ok:
        ok = data.ndim == 3
    if not ok:
        raise ParameterError(where(path, f"{name}.data must be {shape}, got {data.dtype} {data.shape}"))
    if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
        raise ParameterError(where(path, f"{name}.data holds nan or infinite values"))


def _check_times(path: Path, name: str, values: object) -> None:
    """Microseconds as whole numbers (a fraction was cut off silently when stored as int64); a
    single number is shown as itself (it was an IndexError)."""
    t = np.asarray(values)
    if t.dtype.kind in "iu":
        return
    if t.dtype.kind != "f" or not (np.isfinite(t).all() and (t == np.round(t)).all()):
        raise ParameterError(where(path, f"{name} must be whole microseconds, got {t.dtype} {np.ravel(t)[:3].tolist()}"))
