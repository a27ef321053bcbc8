"""``file_info``: the summary of an events file (format, sensor size, count, duration, rate, ON/OFF).

The file is streamed through :class:`~evface.io.event_reader.EventsFileReader`, so any size
works; a clip file's summary covers each of its sensors and adds its labels and frames.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import as_path
from evface.errors import FormatError, where
from evface.events.core import SensorSize
from evface.io.clip_reader import frames_and_truth_info, read_clip_meta
from evface.io.event_checks import agreeing_sensor_size
from evface.io.event_reader import EventsFileReader
from evface.io.formats import detect_format


def file_info(path: str | Path, *, sensor: str | None = None, sensor_size: SensorSize | None = None) -> dict[str, Any]:
    """Summarise an events file: format, sensor size, event count, duration, mean rate, ON/OFF.

    For a clip file the summary covers every sensor (``"sensors"``; the top-level numbers are the
    chosen or first sensor's) and adds the clip's labels and frames. The file is streamed, so
    any size works.

    Parameters
    ----------
    path : path
        Any supported events file.
    sensor : str, optional
        For a clip file: the sensor whose numbers are the top-level ones.
    sensor_size : (width, height), optional
        Fallback for files whose header gives no size; a size the file (a clip: the chosen
        sensor) gives and this one disagrees with is a :class:`FormatError`.

    Returns
    -------
    dict
        ``path``, ``format``, ``file_bytes``, ``sensor_size``, ``events``, ``t_first_us``,
        ``t_last_us``, ``duration_us``, ``mean_rate_hz`` (None where events lie at one time only:
        no rate over no time; 0.0 for no events), ``on_events``, ``off_events`` and
        ``on_fraction`` (a clip file adds its sensors, labels and frames).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> ev = make_events([0, 10_000, 60_000, 70_000], [0, 1, 2, 3], [0, 0, 1, 1], [1, -1, 1, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     info = file_info(write_events_file(Path(folder) / "rec.raw", ev, (346, 260)))
    >>> [info[k] for k in ("format", "sensor_size", "events", "duration_us", "on_fraction")]
    ['evt3', [346, 260], 4, 70000, 0.75]
    """
    path = as_path("path", path)
    fmt = detect_format(path)
    if fmt == "clip":
        return _clip_info(path, sensor, sensor_size)
    reader = EventsFileReader(path, sensor=sensor, sensor_size=sensor_size)  # a sensor here: refused, not ignored
    info: dict[str, Any] = {"path": str(path), "format": fmt, "file_bytes": path.stat().st_size}
    info.update(_stream_stats(reader, reader.sensor_size))
    return info


def _stream_stats(chunks, sensor_size: SensorSize) -> dict[str, Any]:
    n = n_on = 0
    t_first = t_last = None
    for chunk in chunks:
        n += chunk.size
        n_on += int(np.count_nonzero(chunk["p"] > 0))
        if t_first is None:
            t_first = int(chunk["t"][0])
        t_last = int(chunk["t"][-1])
    duration = 0 if t_first is None or t_last is None else t_last - t_first  # both None, or neither
    return {
        "sensor_size": list(sensor_size),
        "events": n,
        "t_first_us": t_first,
        "t_last_us": t_last,
        "duration_us": duration,
        # events over no time have no rate (was 0.0 beside a count of events); no events, a rate of 0
        "mean_rate_hz": (n / (duration * 1e-6)) if duration > 0 else None if n else 0.0,
        "on_events": n_on,
        "off_events": n - n_on,
        "on_fraction": (n_on / n) if n else 0.0,
    }


def _clip_info(path: Path, sensor: str | None, sensor_size: SensorSize | None) -> dict[str, Any]:
    meta = read_clip_meta(path)
    names = sorted(meta.sensors)
    if sensor is not None and sensor not in meta.sensors:
        raise FormatError(where(path, f"no sensor {sensor!r} in this clip (it has {', '.join(names) or 'none'})"))
    chosen = sensor or (names[0] if names else None)
    if chosen is not None:  # was: a size the chosen sensor disagrees with ignored without a word, as convert refuses it
        agreeing_sensor_size(path, meta.sensors[chosen].size, sensor_size)
    sensors = {name: _stream_stats(EventsFileReader(path, sensor=name), meta.sensors[name].size) for name in names}
    for name, stats in sensors.items():
        s = meta.sensors[name]
        stats.update(full_size=[s.full_width, s.full_height], roi=list(s.roi) if s.roi else None, model=s.model)
    frames, truth = frames_and_truth_info(path)
    info: dict[str, Any] = {"path": str(path), "format": "clip", "file_bytes": path.stat().st_size}
    if chosen is not None:
        info["sensor"] = chosen
        info.update(sensors[chosen])
    info["sensors"] = sensors
    info["frames"] = frames
    info["truth"] = truth
    info["clip"] = {
        "clip_id": meta.clip_id, "subject": meta.subject, "label": meta.label, "aus": meta.aus,
        "lighting": meta.lighting, "onset_us": meta.onset_us, "apex_us": meta.apex_us,
        "offset_us": meta.offset_us, "duration_us": meta.duration_us,
        # per camera, as stored: x, y, w, h in the pixels of its recorded window or frames
        "face_box": meta.calibration.get("face_box") if isinstance(meta.calibration, dict) else None,
    }
    json.dumps(info)  # the summary is JSON-ready by construction; fail here, not in a caller
    return info
