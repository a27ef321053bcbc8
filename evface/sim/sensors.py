"""The one table of event sensors: product name, dataset role and array geometry.

A dataset names its event sensors by role, ``hd`` and ``lr``; the camera models and the command
line name them by product, ``evk4`` and ``davis346``. Every translation between the two goes
through :data:`SENSORS`.

Examples
--------
>>> SENSORS["evk4"].role, SENSORS["evk4"].size
('hd', (1280, 720))
>>> BY_ROLE["lr"].name
'davis346'
"""

from __future__ import annotations

from dataclasses import dataclass

from evface.events.core import SensorSize


@dataclass(frozen=True)
class EventSensor:
    """An event sensor model: ``name`` (product and DVS preset), ``role`` in a dataset, full
    ``size`` ``(width, height)`` and ``pixel_pitch_um`` (datasheets; docs/camera-models.md)."""

    name: str
    role: str
    size: SensorSize
    pixel_pitch_um: float


SENSORS: dict[str, EventSensor] = {
    "davis346": EventSensor("davis346", "lr", (346, 260), 18.5),  # iniVation DAVIS346 datasheet
    "evk4": EventSensor("evk4", "hd", (1280, 720), 4.86),  # Prophesee EVK4 / Sony IMX636 datasheet
}
"""Event sensors by product name."""

BY_ROLE: dict[str, EventSensor] = {s.role: s for s in SENSORS.values()}
"""Event sensors by dataset role (``hd``, ``lr``)."""

DVS_SENSORS: dict[str, SensorSize] = {name: s.size for name, s in SENSORS.items()}
"""Full-array ``(width, height)`` of the named event sensors."""
