"""The one table of event sensors: product name, dataset role and array geometry.

A dataset names its event sensors by role, ``hd`` and ``lr``; the camera models and the command
line name them by product, ``evk4`` and ``davis346``. Every translation between the two goes
through :data:`SENSORS`; :func:`parse_sensor` reads the one sensor syntax of the command line.

Examples
--------
>>> SENSORS["evk4"].role, SENSORS["evk4"].size
('hd', (1280, 720))
>>> BY_ROLE["lr"].name
'davis346'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from evface.checks import as_real, sensor_dims, whole_number
from evface.errors import ParameterError, choose_from
from evface.events.core import SensorSize
from evface.sim.dvs_readout import EXCESS


@dataclass(frozen=True)
class EventSensor:
    """An event sensor model: ``name`` (product and DVS preset), ``role`` in a dataset, full
    ``size`` ``(width, height)``, ``pixel_pitch_um``, and its readout: at most
    ``max_event_rate_hz`` events per second leave the camera, and the ``excess`` is either
    ``"drop"``-ped (an event-rate controller) or ``"delay"``-ed (a saturated AER bus)
    (datasheets; docs/camera-models.md, "Readout limit").

    Parameters
    ----------
    name : str
        The product name, also the name of its DVS preset (:data:`evface.sim.dvs_params.PRESETS`).
    role : str
        The sensor's role in a dataset, ``"hd"`` or ``"lr"``.
    size : tuple of int
        The full array ``(width, height)``.
    pixel_pitch_um : float
        The pixel pitch, in µm.
    max_event_rate_hz : float
        The most events a second the readout passes.
    excess : str
        What becomes of events above that rate: one of :data:`~evface.sim.dvs_readout.EXCESS`.

    Examples
    --------
    >>> davis = SENSORS["davis346"]
    >>> davis.role, davis.size, davis.max_event_rate_hz, davis.excess
    ('lr', (346, 260), 12000000.0, 'delay')
    """

    name: str
    role: str
    size: SensorSize
    pixel_pitch_um: float
    max_event_rate_hz: float
    excess: str

    def __post_init__(self) -> None:
        """A ParameterError naming the field that is no size, positive number or ``excess`` of
        :data:`~evface.sim.dvs_readout.EXCESS` (was kept: a size ``(nan, 4)`` met later)."""
        object.__setattr__(self, "size", sensor_dims(self.size, "EventSensor.size"))
        for name in ("pixel_pitch_um", "max_event_rate_hz"):
            as_real(f"EventSensor.{name}", getattr(self, name), 0.0, math.inf, low_open=True)
        if not isinstance(self.excess, str) or self.excess not in EXCESS:
            raise ParameterError(f"EventSensor.excess must be one of the readout behaviours, got {self.excess!r}; "
                                 f"{choose_from(EXCESS)}")


SENSORS: dict[str, EventSensor] = {
    # iniVation DAVIS346 datasheet: 12 Mev/s through its AER bus, which stalls when saturated
    "davis346": EventSensor("davis346", "lr", (346, 260), 18.5, 12e6, "delay"),
    # Prophesee EVK4 / Sony IMX636: the 1.6 Gbit/s USB 3 link at 32 bits per event, kept by the ERC
    "evk4": EventSensor("evk4", "hd", (1280, 720), 4.86, 50e6, "drop"),
}
"""Event sensors by product name."""

BY_ROLE: dict[str, EventSensor] = {s.role: s for s in SENSORS.values()}
"""Event sensors by dataset role (``hd``, ``lr``)."""

DVS_SENSORS: dict[str, SensorSize] = {name: s.size for name, s in SENSORS.items()}
"""Full-array ``(width, height)`` of the named event sensors."""


@dataclass(frozen=True)
class SensorSpec:
    """A sensor as the command line names it: a sensor of the table (``None`` for a bare size)
    and the full array ``size`` ``(width, height)`` to simulate.

    Parameters
    ----------
    sensor : EventSensor or None
        The sensor of :data:`SENSORS` named; None for a bare ``WxH``.
    size : tuple of int
        The full array ``(width, height)`` to simulate.

    Examples
    --------
    >>> SensorSpec(SENSORS["evk4"], (640, 360)).name, SensorSpec(None, (64, 48)).name
    ('evk4', 'custom')
    """

    sensor: EventSensor | None
    size: SensorSize

    def __post_init__(self) -> None:
        """A ParameterError naming a ``size`` that is no ``(width, height)`` or a ``sensor`` that is
        no :class:`EventSensor` (was kept as given)."""
        if self.sensor is not None and not isinstance(self.sensor, EventSensor):
            raise ParameterError(f"SensorSpec.sensor must be an EventSensor or None, got {self.sensor!r}")
        object.__setattr__(self, "size", sensor_dims(self.size, "SensorSpec.size"))

    @property
    def name(self) -> str:
        """The product name, or ``"custom"`` for a bare ``WxH``."""
        return self.sensor.name if self.sensor is not None else "custom"


_SPEC = re.compile(r"(?:([a-z][a-z0-9]*)(?::(?=[0-9])|$))?(?:([0-9]+)x([0-9]+))?")  # ASCII: \d took '١٢x260'


def parse_sensor(text: str) -> SensorSpec:
    """``"NAME"``, ``"WxH"`` or ``"NAME:WxH"`` (case-insensitive) -> a :class:`SensorSpec`.

    ``NAME`` is a key of :data:`SENSORS` and gives the array size unless ``WxH`` replaces it;
    a bare ``WxH`` names no sensor.

    Parameters
    ----------
    text : str
        The sensor as ``--sensor`` takes it: ``NAME``, ``WxH`` or ``NAME:WxH``.

    Returns
    -------
    SensorSpec
        The sensor named (if any) and the array size.

    Raises
    ------
    ParameterError
        An unknown name, a malformed text or a size outside 1..65535.

    Examples
    --------
    >>> [(s.name, s.size) for s in map(parse_sensor, ["DAVIS346", "evk4:640x360", "64x48"])]
    [('davis346', (346, 260)), ('evk4', (640, 360)), ('custom', (64, 48))]
    """
    if not isinstance(text, str):
        raise ParameterError(f"sensor must be text (NAME, WxH or NAME:WxH), got {text!r}")
    key = text.strip(" \t").lower()  # was strip(): '\x1c5x260' read as 5x260
    m = _SPEC.fullmatch(key)
    if not key or m is None or (m.group(1) is not None and m.group(1) not in SENSORS):
        raise ParameterError(f"sensor {text!r}: expected a name ({', '.join(sorted(SENSORS))}), WxH such as 640x480, "
                             "or NAME:WxH such as evk4:640x360")
    sensor = SENSORS[m.group(1)] if m.group(1) is not None else None
    if m.group(2) is None and sensor is not None:  # a bare NAME (the empty text, neither, is refused above)
        return SensorSpec(sensor, sensor.size)
    width, height = whole_number(m.group(2)) or 0, whole_number(m.group(3)) or 0  # was int(): 5000 digits, ValueError
    if not (0 < width <= 65535 and 0 < height <= 65535):
        raise ParameterError(f"sensor {text!r}: width and height of WxH must be in 1..65535")
    return SensorSpec(sensor, (width, height))
