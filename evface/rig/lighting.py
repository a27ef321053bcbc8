"""Lighting conditions: the illuminance on the face, in lux, as a function of time.

Lighting reaches the cameras only through this physical value: the rig multiplies the face's
reflectance by :meth:`Lighting.lux_at`, and each camera model turns lux into noise, exposure,
motion blur (RGB auto-exposure) or bandwidth and noise (DVS). Nothing else about a camera is
changed by the lighting condition. docs/dataset.md lists the sources of the levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evface.errors import ParameterError


@dataclass(frozen=True)
class Lighting:
    """Scene illuminance ``lux`` with an optional mains flicker.

    Lamps on AC mains flicker at twice the mains frequency (100 Hz on 50 Hz grids, 120 Hz on
    60 Hz grids). ``flicker_depth`` is the modulation depth: illuminance swings between
    ``lux * (1 - depth)`` and ``lux * (1 + depth)``.

    Examples
    --------
    >>> Lighting("office", 500.0).lux_at(0)
    500.0
    >>> round(Lighting("lamp", 100.0, flicker_hz=100.0, flicker_depth=0.1).lux_at(0), 1)
    110.0
    """

    name: str
    lux: float
    flicker_hz: float = 0.0
    flicker_depth: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not self.lux > 0:
            raise ParameterError(f"lighting {self.name!r}: lux must be > 0, got {self.lux}")
        if not 0 <= self.flicker_depth < 1:
            raise ParameterError(f"lighting {self.name!r}: flicker_depth must be in [0, 1), got {self.flicker_depth}")
        if self.flicker_hz < 0:
            raise ParameterError(f"lighting {self.name!r}: flicker_hz must be >= 0, got {self.flicker_hz}")

    def lux_at(self, t_us: float | np.ndarray) -> float | np.ndarray:
        """Illuminance at ``t_us`` (a float for a scalar time)."""
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
    """The preset ``name``, or a ParameterError listing the known ones."""
    try:
        return LIGHTING[name]
    except KeyError:
        raise ParameterError(f"unknown lighting {name!r}; choose from {sorted(LIGHTING)}") from None
