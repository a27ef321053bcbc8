"""How noisy an event sensor is: a sweepable noise level and the sensor's hot pixels.

:data:`NOISE_LEVELS` names three settings of the background activity of
:class:`~evface.sim.dvs.DvsSimulator` (its leak and shot-noise events):

* ``clean``: no leak, shot-noise or hot-pixel events (the pixel itself, thresholds, mismatch,
  bandwidth and refractory period, is unchanged);
* ``typical``: the sensor preset's own rates (:data:`evface.sim.dvs_params.PRESETS`) and its hot pixels;
* ``noisy``: v2e's ``--dvs_params noisy`` rates (leak 0.1 Hz, shot noise 5 Hz in the dark) and
  the sensor's hot pixels.

Hot pixels (:data:`HOT_PIXELS`) are a fixed set of pixels of the physical array, drawn once from a
map seed, each firing ON events as a Poisson process far above the background rate. Sources and
the mapping of v2e's settings onto this model are in ``docs/camera-models.md`` ("Noise levels").

Examples
--------
>>> from evface.sim.dvs_params import DvsParams
>>> [noise_params(DvsParams.preset("evk4"), level).shot_noise_rate_hz for level in NOISE_LEVELS]
[0.0, 0.05, 5.0]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from evface.checks import Roi, as_int, as_real, checked_roi, sensor_dims, within_memory
from evface.errors import ParameterError, choose_from
from evface.events.core import EVENT_DTYPE, SensorSize, empty_events
from evface.sim.dvs_params import DvsParams

NOISE_LEVELS = ("clean", "typical", "noisy")
"""The noise settings, quietest first."""

V2E_NOISY = {"leak_rate_hz": 0.1, "leak_jitter": 0.1, "shot_noise_rate_hz": 5.0, "noise_ref_lux": 10.0,
             "shot_noise_max_factor": 1.0}
"""v2e's ``noisy`` rates (``set_dvs_params`` in v2e's ``v2ecore/emulator.py``): leak 0.1 Hz with 10 %
jitter, shot noise 5 Hz per pixel in the dark. v2e's shot noise falls to a quarter in white; here it
is 5 Hz up to 10 lux and falls as ``sqrt(10 lux / I)`` above (1.6 Hz at 100 lux)."""


def noise_params(params: DvsParams, level: str) -> DvsParams:
    """``params`` with the background-activity rates of the noise ``level``.

    ``"clean"`` turns leak and shot noise off, ``"typical"`` keeps the rates of ``params`` and
    ``"noisy"`` takes :data:`V2E_NOISY`'s; the thresholds and the rest are kept.

    Parameters
    ----------
    params : DvsParams
        The sensor's parameters (a preset: its rates are the ``typical`` ones).
    level : str
        One of :data:`NOISE_LEVELS`.

    Returns
    -------
    DvsParams
        ``params`` with the level's leak and shot-noise rates.

    Raises
    ------
    ParameterError
        An unknown ``level``, or ``params`` not a DvsParams.

    Examples
    --------
    >>> davis = DvsParams.preset("davis346")
    >>> [(p.leak_rate_hz, p.shot_noise_rate_hz) for p in (noise_params(davis, level) for level in NOISE_LEVELS)]
    [(0.0, 0.0), (0.1, 0.1), (0.1, 5.0)]
    >>> noise_params(davis, "noisy").threshold_on_log == davis.threshold_on_log
    True
    """
    if not isinstance(level, str) or level not in NOISE_LEVELS:
        raise ParameterError(f"unknown noise level {level!r}; {choose_from(NOISE_LEVELS)} (--noise)")
    if not isinstance(params, DvsParams):
        raise ParameterError(f"params must be DvsParams, got {type(params).__name__}")  # was returned as given
    if level == "clean":
        return replace(params, leak_rate_hz=0.0, shot_noise_rate_hz=0.0)
    if level == "noisy":
        return replace(params, **V2E_NOISY)
    return params


MAX_HOT_RATE_HZ = 1e6
"""The highest rate of a hot pixel: one event a microsecond, the events' resolution (real hot pixels
fire 100x the background rate, tens of Hz)."""


@dataclass(frozen=True)
class HotPixels:
    """Hot pixels of a sensor: ``fraction`` of its pixels, each firing ON events at ``rate_hz``.

    Parameters
    ----------
    fraction : float
        The share of the array's pixels that are hot, in [0, 1].
    rate_hz : float
        Each hot pixel's mean ON-event rate, in [0, :data:`MAX_HOT_RATE_HZ`].

    Examples
    --------
    >>> hot = HotPixels(fraction=0.01, rate_hz=100.0)
    >>> ev = hot.events((64, 48), 0, 500_000, map_seed=1, seed=2)
    >>> len(hot.pixels((64, 48), map_seed=1)), len(np.unique(ev["x"].astype(int) * 48 + ev["y"]))
    (31, 31)
    >>> bool(np.all(np.diff(ev["t"]) >= 0)), int(ev["p"].min())
    (True, 1)
    """

    fraction: float
    rate_hz: float

    def __post_init__(self) -> None:
        as_real("HotPixels.fraction", self.fraction, 0.0, 1.0)
        as_real("HotPixels.rate_hz", self.rate_hz, 0.0, MAX_HOT_RATE_HZ)

    def pixels(self, size: SensorSize, map_seed: int) -> np.ndarray:
        """Flat indices ``y * width + x`` (sorted) of the hot pixels of a ``(width, height)`` array.

        A draw that would take more than half of this machine's memory is a ParameterError (was
        NumPy's MemoryError: 32 GiB asked for a 65536x65536 array at ``fraction`` 0.1).

        Parameters
        ----------
        size : tuple of int
            The full array ``(width, height)``.
        map_seed : int
            The seed that places the pixels: one physical sensor keeps one.

        Returns
        -------
        ndarray of int64
            The hot pixels' flat indices, ``round(fraction * width * height)`` of them.
        """
        width, height = sensor_dims(size, "size")
        n_px = width * height
        count = int(round(self.fraction * n_px))
        within_memory(_choice_bytes(n_px, count), f"hot pixels of fraction {self.fraction:g} on a {width}x{height} size",
                      "give a smaller size or fraction")
        rng = np.random.default_rng(as_int("map_seed", map_seed, 0))
        return np.sort(rng.choice(n_px, size=count, replace=False))

    def events(self, size: SensorSize, t_start_us: int, t_end_us: int, map_seed: int, seed: int,
               window: Roi | None = None) -> np.ndarray:
        """The hot pixels' events in ``(t_start_us, t_end_us]``, sorted by time.

        ``size`` is the full array; with ``window`` ``(x, y, w, h)`` (a hardware ROI) only the hot
        pixels inside it fire, in window coordinates; a window not wholly on the array is a
        ParameterError. ``map_seed`` places the pixels (one physical sensor keeps them); ``seed`` draws
        the events.

        Parameters
        ----------
        size : tuple of int
            The full array ``(width, height)``.
        t_start_us, t_end_us : int
            The span, in µs: events fall after ``t_start_us`` and up to ``t_end_us``.
        map_seed : int
            The seed that places the pixels (:meth:`pixels`).
        seed : int
            The seed that draws the events.
        window : tuple of int, optional
            A hardware ROI ``(x, y, w, h)`` on the array; default the whole array.

        Returns
        -------
        ndarray of EVENT_DTYPE
            ON events of the hot pixels, sorted by time; in window coordinates with ``window``.
        """
        t_start_us = as_int("t_start_us", t_start_us)
        span = as_int("t_end_us", t_end_us, t_start_us) - t_start_us
        idx = self.pixels(size, map_seed)
        width = int(size[0])
        x, y = idx % width, idx // width
        if window is not None:
            wx, wy, ww, wh = checked_roi(window, size)
            inside = (x >= wx) & (x < wx + ww) & (y >= wy) & (y < wy + wh)
            x, y = x[inside] - wx, y[inside] - wy
        mean = self.rate_hz * span * 1e-6
        within_memory(int(2 * x.size * mean) * (EVENT_DTYPE.itemsize + 16),
                      f"hot pixels at {self.rate_hz:g} Hz over {span:,} µs",
                      "give a shorter span or a lower rate_hz")
        rng = np.random.default_rng(as_int("seed", seed, 0))
        counts = rng.poisson(mean, size=x.size)
        n = int(counts.sum())
        if n == 0:
            return empty_events()
        ev = empty_events(n)
        ev["t"] = t_start_us + 1 + np.minimum((rng.random(n) * span).astype(np.int64), span - 1)
        ev["x"] = np.repeat(x, counts)
        ev["y"] = np.repeat(y, counts)
        ev["p"] = 1
        return ev[np.argsort(ev["t"], kind="stable")]


def _choice_bytes(n: int, k: int) -> int:
    """Bytes ``Generator.choice(n, k, replace=False)`` holds: all ``n`` indices shuffled where ``k``
    is over a 50th of ``n`` (and ``n`` over 10,000), else Floyd's draw of ``k`` with its hash set
    (numpy's ``_generator.pyx``), and the sorted copy of the ``k`` drawn."""
    return 8 * (n if n > 10_000 and k > n // 50 else 2 * k) + 16 * k


HOT_PIXELS: dict[str, HotPixels] = {
    # A hot pixel fires more than 100x the median background rate (Prophesee's definition); 0.1 %
    # of the array is our assumption. Rates: 100x the preset's leak + shot rate at 10 lux.
    "davis346": HotPixels(fraction=1e-3, rate_hz=20.0),
    "evk4": HotPixels(fraction=1e-3, rate_hz=10.0),
}
"""Hot pixels of the event sensors of :data:`evface.sim.sensors.SENSORS` (docs/camera-models.md)."""


__all__ = ["HOT_PIXELS", "HotPixels", "MAX_HOT_RATE_HZ", "NOISE_LEVELS", "V2E_NOISY", "noise_params"]
