"""Speed of the representations and of the main event operations, in events per second.

The stream is synthetic: ``n_events`` events over one second on a 1280x720 (EVK4) sensor with
uniformly random pixels and polarities. Random pixels are the worst case for the per-pixel
state and the scattered writes (no cache locality); real streams, whose events cluster on moving
edges, run faster. Each figure is the best of three runs after a warm-up call (which also
compiles the numba kernels), timed with ``time.perf_counter`` on one thread (and, under
``cpu_time``, with ``time.process_time``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from evface.bench import stream_size
from evface.checks import as_int, sensor_dims
from evface.events import ops
from evface.events.core import SensorSize, empty_events, slice_time
from evface.events.representations import to_count_image, to_event_frames, to_time_surface, to_voxel_grid

SENSOR: SensorSize = (1280, 720)
DURATION_US = 1_000_000
N_BINS = 5


def synthetic_stream(
    n_events: int, sensor_size: SensorSize = SENSOR, duration_us: int = DURATION_US, seed: int = 0
) -> np.ndarray:
    """``n_events`` sorted events with uniform random times, pixels and polarities.

    Examples
    --------
    >>> synthetic_stream(-1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n_events must be >= 1, got -1
    >>> synthetic_stream(10, sensor_size=(70000, 5))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: sensor_size width must be in [1, 65536], got 70000
    """
    n_events = stream_size(n_events)
    # was: a width over 65536 wrapped round in the uint16 x without a word; 0 and the others NumPy's errors
    sensor_size = sensor_dims(sensor_size)
    duration_us, seed = as_int("duration_us", duration_us, 1), as_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    events = empty_events(n_events)
    events["t"] = np.sort(rng.integers(0, duration_us, n_events))
    events["x"] = rng.integers(0, sensor_size[0], n_events)
    events["y"] = rng.integers(0, sensor_size[1], n_events)
    events["p"] = rng.integers(0, 2, n_events, dtype=np.int8) * 2 - 1
    return events


def events_per_second(fn: Callable[[], object], n_events: int, repeats: int = 3) -> tuple[float, float]:
    """``n_events`` over the best wall time and over the best CPU time of ``repeats`` calls of ``fn``.

    A warm-up call comes first. Wall time (``time.perf_counter``) is the figure; CPU time
    (``time.process_time``) leaves out the time other processes held the core, which matters on
    a shared machine.
    """
    repeats = as_int("repeats", repeats, 1)
    n_events = as_int("n_events", n_events, 1)  # was: -5 a rate of -6 million events/s
    fn()
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return n_events / wall, n_events / max(cpu, 1e-9)


def run(n_events: int = 10_000_000, *, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Events/s of each representation and operation on a synthetic 1280x720 stream.

    ``quick`` uses 1 M events (a smoke test; figures are not comparable). Keys are stable:
    ``event_frames``, ``voxel_grid``, ``time_surface``, ``count_image`` (5 bins / tau 50 ms over the
    whole stream), ``time_slice`` (view of the middle half), ``crop`` (central 640x360 ROI),
    ``refractory_filter`` (1 ms), ``background_activity_filter`` (10 ms), all by wall time; the
    same by CPU time under ``cpu_time``; plus ``n_events`` and ``load_average`` (the machine's
    1-minute load when the run ended: on a busy machine the figures drop, as the 1280x720
    per-pixel state competes for the shared cache).
    """
    n = 1_000_000 if quick else stream_size(n_events)
    events = synthetic_stream(n, seed=seed)
    t_end = int(events["t"][-1]) if n else 0
    width, height = SENSOR
    cases: dict[str, Callable[[], object]] = {
        "event_frames": lambda: to_event_frames(events, SENSOR, N_BINS, 0, t_end),
        "voxel_grid": lambda: to_voxel_grid(events, SENSOR, N_BINS, 0, t_end),
        "time_surface": lambda: to_time_surface(events, SENSOR, t_end, 50_000.0),
        "count_image": lambda: to_count_image(events, SENSOR),
        "time_slice": lambda: slice_time(events, DURATION_US // 4, 3 * DURATION_US // 4),
        "crop": lambda: ops.crop(events, (width // 4, height // 4, width // 2, height // 2)),
        "refractory_filter": lambda: ops.refractory_filter(events, SENSOR, 1_000),
        "background_activity_filter": lambda: ops.background_activity_filter(events, SENSOR, 10_000),
    }
    result: dict[str, Any] = {}
    cpu: dict[str, float] = {}
    for name, fn in cases.items():
        wall_rate, cpu_rate = events_per_second(fn, n)
        result[name], cpu[name] = round(wall_rate, 1), round(cpu_rate, 1)
    result["cpu_time"] = cpu
    result["n_events"] = n
    result["load_average"] = round(os.getloadavg()[0], 2)
    return result
