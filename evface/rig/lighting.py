"""Lighting conditions: the illuminance on the face, in lux, as a function of time.

Lighting reaches the cameras only through this physical value: the rig multiplies the face's
reflectance by :meth:`Lighting.lux_at`, and each camera model turns lux into noise, exposure,
motion blur (RGB auto-exposure) or bandwidth and noise (DVS). Nothing else about a camera is
changed by the lighting condition. docs/dataset.md lists the sources of the levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import math

import numpy as np

from evface.checks import as_real
from evface.errors import ParameterError, choose_from

MAX_LUX = 1e6
"""The brightest lighting taken, in lux: ten times direct sunlight (about 10^5 lx). Far beyond it
the lit scene (reflectance times lux, float32) loses its meaning and, from about 3e38 lx,
overflows to infinity."""


@dataclass(frozen=True)
class Lighting:
    """Scene illuminance ``lux`` with an optional mains flicker.

    Lamps on AC mains flicker at twice the mains frequency (100 Hz on 50 Hz grids, 120 Hz on
    60 Hz grids). ``flicker_depth`` is the modulation depth: illuminance swings between
    ``lux * (1 - depth)`` and ``lux * (1 + depth)``.

    Parameters
    ----------
    name : str
        The lighting's name (a key of :data:`LIGHTING` for the presets).
    lux : float
        Mean illuminance on the face, in ``(0, MAX_LUX]``.
    flicker_hz : float, optional
        Flicker frequency, finite and >= 0 (0: steady). A camera that samples the scene must
        sample it at more than twice this rate (:meth:`check_sampled`).
    flicker_depth : float, optional
        Modulation depth in ``[0, 1)``.
    description : str, optional
        Where the level comes from.

    Raises
    ------
    ParameterError
        For a number out of its range, ``nan``, an infinity or something that is not a number; a
        ``name`` that is no non-empty ``str`` or a ``description`` that is no ``str``.

    Examples
    --------
    >>> Lighting("office", 500.0).lux_at(0)
    500.0
    >>> round(Lighting("lamp", 100.0, flicker_hz=100.0, flicker_depth=0.1).lux_at(0), 1)
    110.0
    >>> Lighting("lamp", 100.0, flicker_hz=float("nan"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: lighting 'lamp': flicker_hz must be a finite number >= 0, got nan
    """

    name: str
    lux: float
    flicker_hz: float = 0.0
    flicker_depth: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:  # was: any value, the label of every clip filmed under it
            raise ParameterError(f"Lighting.name must be a non-empty str, got {self.name!r}")
        if not isinstance(self.description, str):
            raise ParameterError(f"lighting {self.name!r}: description must be a str, got {self.description!r}")
        # was: inf lux, a nan or infinite flicker_hz taken (nan or inf pixels), a string a TypeError
        as_real(f"lighting {self.name!r}: lux", self.lux, 0.0, MAX_LUX, low_open=True)
        as_real(f"lighting {self.name!r}: flicker_hz", self.flicker_hz, 0.0, math.inf)
        depth = as_real(f"lighting {self.name!r}: flicker_depth", self.flicker_depth, 0.0, 1.0)
        if depth == 1.0:
            raise ParameterError(f"lighting {self.name!r}: flicker_depth must be in [0, 1), got {self.flicker_depth!r}")

    def check_sampled(self, rate_hz: float, option: str) -> None:
        """A ParameterError when a camera sampling the scene at ``rate_hz`` would alias the flicker.

        At ``rate_hz`` below twice ``flicker_hz`` (the Nyquist rate) the samples show a slower
        flicker than the lamp's (120 Hz sampled at 200 Hz looks like 80 Hz); exactly twice samples
        its peaks and troughs. ``option`` names the rate in the message.

        Parameters
        ----------
        rate_hz : float
            The camera's sampling rate, in Hz.
        option : str
            The setting that gives ``rate_hz``, named in the error.

        Raises
        ------
        ParameterError
            When ``rate_hz`` is below twice ``flicker_hz`` and the flicker is not 0 deep.

        Examples
        --------
        >>> Lighting("lamp", 300.0, flicker_hz=100.0, flicker_depth=0.1).check_sampled(200.0, "scene_rate_hz")
        >>> Lighting("lamp", 300.0, flicker_hz=120.0, flicker_depth=0.1).check_sampled(200.0, "scene_rate_hz")
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: lighting 'lamp': its 120 Hz flicker needs scene_rate_hz >= 240 (twice the flicker), got 200; at 200 Hz it would show as a 80 Hz flicker
        """
        if self.flicker_depth == 0 or 2.0 * self.flicker_hz <= rate_hz:
            return
        alias = abs(self.flicker_hz - rate_hz * round(self.flicker_hz / rate_hz))
        raise ParameterError(f"lighting {self.name!r}: its {self.flicker_hz:g} Hz flicker needs {option} >= "
                             f"{2 * self.flicker_hz:g} (twice the flicker), got {rate_hz:g}; at {rate_hz:g} Hz it "
                             f"would show as a {alias:g} Hz flicker")

    @overload
    def lux_at(self, t_us: float) -> float: ...

    @overload
    def lux_at(self, t_us: np.ndarray) -> np.ndarray: ...

    def lux_at(self, t_us: float | np.ndarray) -> float | np.ndarray:
        """Illuminance at ``t_us`` (a float for a scalar time).

        Parameters
        ----------
        t_us : float or ndarray
            Time or times, µs from the clip's start.

        Returns
        -------
        float or ndarray of float64
            Lux at each time, of ``t_us``'s shape.

        Examples
        --------
        >>> Lighting("lamp", 100.0, flicker_hz=100.0, flicker_depth=0.1).lux_at(np.array([0, 2_500, 5_000])).round(1)
        array([110., 100.,  90.])
        """
        if self.flicker_hz == 0 or self.flicker_depth == 0:
            return self.lux if np.isscalar(t_us) else np.full(np.shape(t_us), self.lux)
        value = self.lux * (1.0 + self.flicker_depth * np.cos(2.0 * np.pi * self.flicker_hz * np.asarray(t_us) * 1e-6))
        return float(value) if np.isscalar(t_us) else value


LIGHTING: dict[str, Lighting] = {
    "bright": Lighting("bright", 1000.0, description="face lit by daylight near a window (~1000 lx)"),
    "office": Lighting("office", 500.0, description="office lighting, EN 12464-1 task illuminance 500 lx"),
    "dim": Lighting("dim", 15.0, description="dim room, ~10-20 lx (evening living room, corridor at night)"),
    "flicker": Lighting(
        "flicker", 300.0, flicker_hz=100.0, flicker_depth=0.1,
        description="300 lx from lamps on 50 Hz mains with 10 % modulation at 100 Hz",
    ),
}
"""Lighting presets by name. ``bright``, ``office`` and ``dim`` are steady; ``flicker`` adds
100 Hz mains flicker."""

DEFAULT_LIGHTING = ("bright", "office", "dim")


def get_lighting(name: str) -> Lighting:
    """The preset ``name``, or a ParameterError listing the known ones.

    Parameters
    ----------
    name : str
        A key of :data:`LIGHTING`.

    Returns
    -------
    Lighting
        The preset.

    Examples
    --------
    >>> get_lighting("dim").lux, get_lighting("flicker").flicker_hz
    (15.0, 100.0)
    >>> get_lighting("moon")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown lighting 'moon'; choose from bright, dim, flicker, office
    """
    try:
        return LIGHTING[name]
    except (KeyError, TypeError):  # TypeError: an array, unhashable
        raise ParameterError(f"unknown lighting {name!r}; {choose_from(sorted(LIGHTING))}") from None
