"""Leaky per-pixel integration of events: the event term of direct integration.

Direct integration (Scheerlinck, Barnes and Mahony, ACCV 2018) adds every event's contrast to a
keyframe's log intensity and lets the difference decay at ``alpha`` rad/s. The event term does
not depend on the contrasts: per pixel and polarity it is a sum of exponentially leaked counts,

    D_on(t) = sum over ON events in [t_key, t] of exp(-alpha * (t - t_i))   (likewise OFF),

computed by :func:`leaky_counts`. The reconstruction samples store it for a few leak rates
(:data:`ALPHA_GRID_RAD_S`); the baseline in :mod:`evface.models.recon_baselines` fits the
contrasts and picks the rate.
"""

from __future__ import annotations

import math

import numpy as np

from evface.checks import as_int, as_real, sensor_dims, within_memory
from evface.errors import ParameterError
from evface.events.core import SensorSize, check_array, check_probed_order, search_time, validate_events

ALPHA_GRID_RAD_S = (0.0, 2 * np.pi, 10 * np.pi)
"""Leak rates (rad/s) for which :func:`leaky_counts` is computed by default."""


def leaky_counts(
    events: np.ndarray, sensor_size: SensorSize, t_key_us: int, t_end_us: int, alpha_rad_s: float
) -> np.ndarray:
    """Exponentially leaked ON and OFF event counts at ``t_end_us``: float32 (2, H, W).

    Events with ``t_key_us <= t <= t_end_us`` count, each weighted by
    ``exp(-alpha_rad_s * (t_end_us - t) / 1e6)``. Channel 0 is ON, channel 1 OFF (both >= 0).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        Events sorted by time.
    sensor_size : (width, height)
        The sensor the events lie on.
    t_key_us : int
        The keyframe's time: the earliest event time that counts.
    t_end_us : int
        The time the counts are taken at (the latest event time that counts), >= ``t_key_us``.
    alpha_rad_s : float
        Leak rate in rad/s, >= 0 (0: plain counts).

    Returns
    -------
    counts : ndarray of float32, shape (2, height, width)
        Channel 0 ON, channel 1 OFF.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 500_000, 1_000_000], [0, 0, 1], [0, 0, 0], [1, 1, -1])
    >>> leaky_counts(ev, (2, 1), 0, 1_000_000, 0.0)[:, 0].tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    >>> round(float(leaky_counts(ev, (2, 1), 0, 1_000_000, 1.0)[0, 0, 0]), 4)  # exp(-1) + exp(-0.5)
    0.9744
    """
    check_array(events)
    width, height = sensor_dims(sensor_size)
    t_key_us, t_end_us = as_int("t_key_us", t_key_us), as_int("t_end_us", t_end_us)
    if t_end_us < t_key_us:
        raise ParameterError(f"t_end_us ({t_end_us}) must be >= t_key_us ({t_key_us})")
    alpha_rad_s = as_real("alpha_rad_s", alpha_rad_s, 0.0, math.inf)
    within_memory(2 * height * width * 12, f"leaky counts on a {width}x{height} sensor_size",
                  "give a smaller sensor_size (crop or resample_sensor the events first)")
    t = events["t"]
    check_probed_order(t)
    lo, hi = search_time(t, t_key_us, "left"), search_time(t, t_end_us, "right")
    ev = validate_events(events[lo:hi], (width, height))
    age = np.subtract(t_end_us, ev["t"], dtype=np.float64)  # in int64 an age past 2^63 - 1 µs would wrap
    with np.errstate(over="ignore"):  # a product past the float range is a weight of exp(-inf) = 0, as it should be
        w = np.exp(-alpha_rad_s * age / 1e6)
    idx = ev["y"].astype(np.int64) * width + ev["x"].astype(np.int64)
    out = np.zeros((2, height * width), dtype=np.float64)
    on = ev["p"] > 0
    out[0] = np.bincount(idx[on], weights=w[on], minlength=height * width)
    out[1] = np.bincount(idx[~on], weights=w[~on], minlength=height * width)
    return out.reshape(2, height, width).astype(np.float32)


__all__ = ["ALPHA_GRID_RAD_S", "leaky_counts"]
