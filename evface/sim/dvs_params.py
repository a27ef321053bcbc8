"""The parameters of the DVS pixel model: :class:`DvsParams`, its sensor presets and the bounds of its fields.

The model they drive is described in :mod:`evface.sim.dvs` and ``docs/camera-models.md`` (the source
of every preset value, and the "Bounds" that :data:`NOISE_FIELD_MAX`, :data:`FIELD_RANGE` and
:data:`MIN_CUTOFF_HZ` enforce). :func:`noise_per_step` is the noise a step draws on average, the
figure :data:`MAX_NOISE_PER_STEP` bounds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evface.checks import as_int, as_real, number_fields, with_fields
from evface.errors import ParameterError, choose_from

NOISE_FIELD_MAX = {
    "leak_rate_hz": (1e3, "leak rates of real pixels are 0.01-0.1 Hz"),
    "shot_noise_rate_hz": (1e3, "shot-noise rates of real pixels are 0.1-5 Hz"),
    "shot_noise_max_factor": (1e3, "sqrt(noise_ref_lux / I) reaches 1000 a million times below noise_ref_lux"),
    "leak_jitter": (1.0, "a wider spread clips most pixels' leak at 0"),
}
"""The highest value of each noise field of :class:`DvsParams`, and why: generous bounds
(docs/camera-models.md) that keep a step's noise a countable number of events."""
FIELD_RANGE = {
    "threshold_min_log": (1e-3, math.inf, "every threshold is at least this; real pixels' are 0.13-0.22, and below "
                          "0.1 % contrast one bright step makes thousands of events a pixel"),
    "lin_log_lux": (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max),
                    "the pixel model computes in float32; outside its normal range L(I) was NaN"),
}
"""The range of the pixel fields of :class:`DvsParams` that numbers alone would let through, and why."""
MIN_CUTOFF_HZ = 1e-6
"""The smallest positive ``cutoff_hz`` (a time constant of 1.8 days); a smaller one underflowed the
float32 filter coefficient to 0, which means no low-pass at all."""
MAX_NOISE_PER_STEP = 1 << 24
"""The most noise events (leak and shot-noise candidates, expected) one step may draw: they are
drawn at once, about 50 bytes each, so a step stays under 1 GB."""


@dataclass(frozen=True)
class DvsParams:
    """Parameters of the DVS pixel model (see docs/camera-models.md for sources).

    Parameters
    ----------
    threshold_on_log, threshold_off_log : float
        Mean ON / OFF contrast thresholds, in natural-log units.
    threshold_on_sigma_log, threshold_off_sigma_log : float
        Pixel-to-pixel standard deviation of the thresholds (drawn once per simulator).
    threshold_min_log : float
        Lower clip of the drawn thresholds.
    cutoff_hz : float
        Photoreceptor 3 dB cut-off at and above ``bandwidth_ref_lux``; 0 disables the low-pass.
    bandwidth_ref_lux : float
        Illuminance from which the cut-off reaches ``cutoff_hz``; below it the cut-off scales
        with ``(I + lin_log_lux) / bandwidth_ref_lux`` (photocurrent-limited bandwidth).
    refractory_us : float
        Minimum time between two events of one pixel; 0 disables it.
    leak_rate_hz : float
        Mean rate of leak (ON) events per pixel.
    leak_jitter : float
        Relative pixel-to-pixel standard deviation of the leak rate.
    shot_noise_rate_hz : float
        Rate of shot-noise events (ON + OFF) per pixel at ``noise_ref_lux``.
    noise_ref_lux : float
        Illuminance at which the shot-noise rate equals ``shot_noise_rate_hz``; the rate scales
        as ``sqrt(noise_ref_lux / I)``, capped at ``shot_noise_max_factor`` times.
    shot_noise_max_factor : float
        Cap of the low-light increase of the shot-noise rate.
    lin_log_lux : float
        Illuminance below which the log response turns linear (dark-current equivalent).
    substep_fraction : float
        Sub-step so that no pixel's log change per sub-step exceeds this fraction of its
        smaller threshold; 0 disables sub-stepping.

    Examples
    --------
    >>> params = DvsParams(threshold_on_log=0.25, refractory_us=100)
    >>> params.threshold_on_log, params.threshold_off_log, params.to_dict()["refractory_us"]
    (0.25, 0.2, 100)
    >>> DvsParams(threshold_on_log=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: DvsParams.threshold_on_log must be > 0, got 0
    """

    threshold_on_log: float = 0.2
    threshold_off_log: float = 0.2
    threshold_on_sigma_log: float = 0.03
    threshold_off_sigma_log: float = 0.03
    threshold_min_log: float = 0.01
    cutoff_hz: float = 0.0
    bandwidth_ref_lux: float = 1000.0
    refractory_us: float = 0.0
    leak_rate_hz: float = 0.0
    leak_jitter: float = 0.1
    shot_noise_rate_hz: float = 0.0
    noise_ref_lux: float = 10.0
    shot_noise_max_factor: float = 10.0
    lin_log_lux: float = 1.0
    substep_fraction: float = 0.0

    def __post_init__(self) -> None:
        number_fields(self)
        for name in ("threshold_on_log", "threshold_off_log", "threshold_min_log", "lin_log_lux",
                     "bandwidth_ref_lux", "noise_ref_lux"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"DvsParams.{name} must be > 0, got {getattr(self, name)}")
        if self.shot_noise_max_factor < 1:
            raise ParameterError(f"DvsParams.shot_noise_max_factor must be >= 1, got {self.shot_noise_max_factor}")
        for name, (high, why) in NOISE_FIELD_MAX.items():
            if getattr(self, name) > high:
                raise ParameterError(f"DvsParams.{name} must be <= {high:g} ({why}), got {getattr(self, name)}")
        for name, (low, high, why) in FIELD_RANGE.items():
            if not low <= getattr(self, name) <= high:
                raise ParameterError(f"DvsParams.{name} must be in [{low:g}, {high:g}] ({why}), got {getattr(self, name)}")
        if 0 < self.cutoff_hz < MIN_CUTOFF_HZ:
            raise ParameterError(f"DvsParams.cutoff_hz must be 0 (no low-pass) or at least {MIN_CUTOFF_HZ:g} Hz, "
                                 f"got {self.cutoff_hz}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> DvsParams:
        """Parameters of a named sensor (``"davis346"`` or ``"evk4"``), with overrides.

        Parameters
        ----------
        name : str
            The preset: a key of :data:`PRESETS`; another name is a ParameterError listing them.
        **overrides
            Fields of :class:`DvsParams` to set instead of the preset's values.

        Returns
        -------
        DvsParams

        Examples
        --------
        >>> DvsParams.preset("davis346", refractory_us=0).refractory_us
        0
        """
        if not isinstance(name, str) or name not in PRESETS:
            raise ParameterError(f"unknown DVS preset {name!r}; {choose_from(sorted(PRESETS))}")
        return with_fields(PRESETS[name], overrides)

    @classmethod
    def ideal(cls, threshold_log: float = 0.2, **overrides: Any) -> DvsParams:
        """A noiseless model: no mismatch, bandwidth limit, refractory period or noise.

        Parameters
        ----------
        threshold_log : float, optional
            The ON and OFF contrast threshold, in natural-log units.
        **overrides
            Fields of :class:`DvsParams` to set instead of the noiseless values.

        Returns
        -------
        DvsParams

        Examples
        --------
        >>> DvsParams.ideal(0.3).threshold_off_log
        0.3
        """
        base = cls(
            threshold_on_log=threshold_log, threshold_off_log=threshold_log,
            threshold_on_sigma_log=0.0, threshold_off_sigma_log=0.0,
        )
        return with_fields(base, overrides)

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the parameters (for clip metadata).

        Returns
        -------
        dict of str to float
            Each field's name and value.
        """
        return asdict(self)


def noise_per_step(params: DvsParams, n_pixels: int, step_us: float) -> float:
    """The noise events (leak, and shot-noise candidates before thinning) a step of ``step_us``
    over ``n_pixels`` draws on average: what :data:`MAX_NOISE_PER_STEP` bounds.

    Parameters
    ----------
    params : DvsParams
        The pixel model; its leak and shot-noise rates (at their low-light cap) count.
    n_pixels : int
        Pixels of the sensor.
    step_us : float
        Length of the step, in µs.

    Returns
    -------
    float
        The expected number of noise events.

    Examples
    --------
    >>> round(noise_per_step(DvsParams.preset("davis346"), 346 * 260, 33_333))
    3299

    ``params`` must be :class:`DvsParams`, ``n_pixels`` a whole number >= 0 and ``step_us`` a finite
    number >= 0 (a ParameterError naming it; was an AttributeError, or a NaN or negative count):

    >>> noise_per_step(DvsParams(), 48, -1.0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: step_us must be a finite number >= 0, got -1.0
    """
    if not isinstance(params, DvsParams):
        raise ParameterError(f"params must be DvsParams, got {type(params).__name__}")
    n_pixels = as_int("n_pixels", n_pixels, 0)
    step_us = as_real("step_us", step_us, 0.0, math.inf)
    rate_hz = params.leak_rate_hz + params.shot_noise_rate_hz * params.shot_noise_max_factor
    return n_pixels * rate_hz * step_us * 1e-6


PRESETS: dict[str, DvsParams] = {
    # iniVation DAVIS346; every value and its source is in docs/camera-models.md.
    "davis346": DvsParams(
        threshold_on_log=0.134, threshold_off_log=0.203,  # ln(1.143), ln(1.225): 14.3 % / 22.5 %
        threshold_on_sigma_log=0.03, threshold_off_sigma_log=0.03,
        cutoff_hz=3000.0, bandwidth_ref_lux=3000.0, refractory_us=500.0,
        leak_rate_hz=0.1, leak_jitter=0.1, shot_noise_rate_hz=0.1, noise_ref_lux=10.0,
        lin_log_lux=1.0, substep_fraction=0.5,
    ),
    # Prophesee EVK4 (Sony IMX636); every value and its source is in docs/camera-models.md.
    "evk4": DvsParams(
        threshold_on_log=0.223, threshold_off_log=0.223,  # ln(1.25): 25 % nominal contrast
        threshold_on_sigma_log=0.03, threshold_off_sigma_log=0.03,
        cutoff_hz=1600.0, bandwidth_ref_lux=1000.0, refractory_us=100.0,
        leak_rate_hz=0.05, leak_jitter=0.1, shot_noise_rate_hz=0.05, noise_ref_lux=10.0,
        lin_log_lux=0.1, substep_fraction=0.5,
    ),
}
"""Named parameter sets; use :meth:`DvsParams.preset`."""


__all__ = ["DvsParams", "FIELD_RANGE", "MAX_NOISE_PER_STEP", "MIN_CUTOFF_HZ", "NOISE_FIELD_MAX", "PRESETS",
           "noise_per_step"]
