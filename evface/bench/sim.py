"""``evface bench sim``: speed of the DVS pixel model.

Two scenes, sampled at 1 kHz. *Sparse*: a bright Gaussian blob (peak 1000 lux, sigma = height /
16) circling over a dim 20 lux background at 1 pixel per step; most of the frame is static.
*Dense*: the same scene under 100 Hz mains flicker of depth 0.1 (the rig's ``flicker`` lighting):
every pixel changes every step. Only the simulator's ``step`` is timed (scene generation is
excluded).

Keys (stable): ``<mode>_<W>x<H>`` (sparse scene) and ``flicker_<mode>_<W>x<H>`` (dense scene) with
``mode`` in {ideal, realistic}, each holding ``mpix_per_s``, ``events_per_s``, ``events``,
``steps``, ``seconds`` (wall clock), ``cpu_seconds`` (CPU time of the process over the same steps,
all threads: the steadier figure on a shared machine) and ``threads_used`` (``cpu_seconds /
seconds``: about 1 when the kernels run on one thread); plus ``threads`` (numba's thread count),
``scene``, ``dense_scene`` and ``load_avg`` (1-minute load average at the end of the run).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from evface.checks import as_int, sensor_dims, within_memory
from evface.errors import ParameterError, choose_from
from evface.sim.dvs import STATE_BYTES_PER_PIXEL, DvsSimulator, num_threads
from evface.sim.dvs_params import DvsParams

SIZES = ((346, 260), (1280, 720))
STEP_US = 1000
BACKGROUND_LUX = 20.0
PEAK_LUX = 1000.0
FLICKER_HZ = 100.0
FLICKER_DEPTH = 0.1
SCENE_BYTES_PER_PIXEL = 16
"""The memory a scene frame takes per pixel while it is made (the float32 outer product and its
scaled copies), beside the simulator's own (:data:`~evface.sim.dvs.STATE_BYTES_PER_PIXEL`)."""


def modes() -> dict[str, DvsParams]:
    """The two parameter sets of the benchmark."""
    return {
        "ideal": DvsParams.ideal(0.2),
        "realistic": DvsParams(
            threshold_on_log=0.2, threshold_off_log=0.2, threshold_on_sigma_log=0.03,
            threshold_off_sigma_log=0.03, cutoff_hz=300.0, leak_rate_hz=0.1, shot_noise_rate_hz=1.0,
            refractory_us=500.0,
        ),
    }


def blob_frame(size: tuple[int, int], step: float) -> np.ndarray:
    """The benchmark scene at a given 1 kHz step (a fraction between steps): float32 (H, W) lux."""
    width, height = size
    sigma = height / 16.0
    radius = height / 4.0
    omega = 1.0 / radius  # one pixel per step along the circle
    cx = width / 2.0 + radius * np.cos(omega * step)
    cy = height / 2.0 + radius * np.sin(omega * step)
    gx = np.exp(-0.5 * ((np.arange(width, dtype=np.float32) - cx) / sigma) ** 2).astype(np.float32)
    gy = np.exp(-0.5 * ((np.arange(height, dtype=np.float32) - cy) / sigma) ** 2).astype(np.float32)
    return (BACKGROUND_LUX + PEAK_LUX * np.outer(gy, gx)).astype(np.float32)


def flicker_frame(size: tuple[int, int], step: float) -> np.ndarray:
    """The dense benchmark scene: :func:`blob_frame` under 100 Hz flicker of depth 0.1."""
    light = 1.0 + FLICKER_DEPTH * np.cos(2.0 * np.pi * FLICKER_HZ * step * STEP_US * 1e-6)
    return (blob_frame(size, step) * np.float32(light)).astype(np.float32)


SCENES = {"blob": blob_frame, "flicker": flicker_frame}
"""The benchmark scenes by name: sparse (``blob``) and dense (``flicker``)."""


def measure(size: tuple[int, int], params: DvsParams, steps: int, seed: int = 0, warmup: int = 5,
            scene: str = "blob") -> dict[str, Any]:
    """Time ``steps`` simulator steps on a scene of :data:`SCENES`, after ``warmup`` untimed ones
    (which also trigger numba's compilation or cache load).

    ``size`` is checked against the machine's memory before anything is allocated.

    Examples
    --------
    >>> measure((32, 24), DvsParams.ideal(0.2), steps=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: steps must be >= 1, got 0
    >>> measure((60000, 60000), DvsParams.ideal(0.2), steps=1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: size 60000x60000 (the simulator's state and the scene's frames) takes about 388.9 GiB, more than half of this machine's ... GiB; give a smaller size
    """
    if scene not in SCENES:
        raise ParameterError(f"unknown benchmark scene {scene!r}; {choose_from(SCENES)}")
    steps = as_int("steps", steps, 1)
    warmup = as_int("warmup", warmup, 0)
    width, height = size = sensor_dims(size, "size")
    # was: the simulator's own check, naming sensor_size and evface simulate's options
    within_memory((STATE_BYTES_PER_PIXEL + SCENE_BYTES_PER_PIXEL) * width * height,
                  f"size {width}x{height} (the simulator's state and the scene's frames)", "give a smaller size")
    make_frame = SCENES[scene]
    sim = DvsSimulator(size, params, seed)
    for k in range(warmup + 1):
        sim.step(make_frame(size, k), k * STEP_US)
    elapsed = 0.0
    cpu = 0.0
    n_events = 0
    for k in range(warmup + 1, warmup + 1 + steps):
        frame = make_frame(size, k)
        c0 = time.process_time()
        t0 = time.perf_counter()
        ev = sim.step(frame, k * STEP_US)
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        n_events += ev.size
    pixels = size[0] * size[1] * steps
    return {
        "mpix_per_s": pixels / elapsed / 1e6,
        "events_per_s": n_events / elapsed,
        "events": int(n_events),
        "steps": steps,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "threads_used": cpu / elapsed,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure both modes on both scenes at 346x260 and 1280x720; return one JSON-ready dict."""
    out: dict[str, Any] = {
        "threads": num_threads(),
        "scene": f"Gaussian blob {PEAK_LUX:g} lux over {BACKGROUND_LUX:g} lux, 1 px/step, 1 kHz",
        "dense_scene": f"the same under {FLICKER_HZ:g} Hz flicker of depth {FLICKER_DEPTH:g}",
    }
    for scene, prefix in (("blob", ""), ("flicker", "flicker_")):
        for name, params in modes().items():
            for size in SIZES:
                steps = (50 if size[0] > 1000 else 200) if quick else (300 if size[0] > 1000 else 2000)
                out[f"{prefix}{name}_{size[0]}x{size[1]}"] = measure(size, params, steps, scene=scene)
    out["load_avg"] = os.getloadavg()[0]
    return out
