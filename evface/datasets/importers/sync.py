"""Time synchronisation of an event camera with the RGB camera: what a sync is.

The session clock is the RGB camera's: frame ``k`` starts its exposure at ``frame_t_us[k]``. An
event camera has its own clock; ``offset_us`` (and, from triggers, a drift) maps it onto the
session clock::

    t_session = t_sensor + offset_us + drift_ppm * 1e-6 * (t_sensor - t_ref_us)

Three ways to get ``offset_us``, in order of preference:

1. **Trigger** (exact): one pulse per RGB frame in the event file
   (:mod:`~evface.datasets.importers.sync_triggers`).
2. **Given**: the user states the offset.
3. **Cross-correlation** (estimated): the event rate against the RGB frame-difference energy
   (:mod:`~evface.datasets.importers.sync_xcorr`, with the event counts of
   :mod:`~evface.datasets.importers.sync_counts` and the FFT estimate of
   :mod:`~evface.datasets.importers.sync_fft`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evface.errors import DatasetError


class SyncError(DatasetError):
    """Synchronisation failed: no usable triggers, or an estimate without confidence."""


@dataclass(frozen=True)
class SyncResult:
    """How one event camera's clock maps onto the session clock.

    ``t_session = t + offset_us + drift_ppm * 1e-6 * (t - t_ref_us)`` (``t`` on the sensor
    clock); without drift this is the exact integer ``t + offset_us``.
    """

    offset_us: int
    method: str
    confidence: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)
    drift_ppm: float = 0.0
    t_ref_us: int = 0

    def to_session_us(self, t_us: np.ndarray | int) -> np.ndarray:
        """Sensor times -> session times (int64, rounded to the µs under drift)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t + self.offset_us
        return t + self.offset_us + np.round(self.drift_ppm * 1e-6 * (t - self.t_ref_us)).astype(np.int64)

    def to_sensor_us(self, t_us: np.ndarray | int) -> np.ndarray:
        """Session times -> sensor times (the inverse of :meth:`to_session_us`, rounded)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t - self.offset_us
        k = self.drift_ppm * 1e-6
        return np.round(self.t_ref_us + (t - self.offset_us - self.t_ref_us) / (1.0 + k)).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``dataset.json`` and clip calibration."""
        return {"offset_us": int(self.offset_us), "method": self.method, "confidence": float(self.confidence),
                "drift_ppm": float(self.drift_ppm), "t_ref_us": int(self.t_ref_us), **self.details}
