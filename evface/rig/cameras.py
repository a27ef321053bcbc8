"""The rig's camera settings: noise level, beam splitter, readout limit and the RGB pipeline.

:class:`CameraSettings` (the field ``cameras`` of :class:`~evface.rig.geometry.RigParams`) holds
what the rig adds to the camera models of :mod:`evface.sim`, and builds their parameters:

* both event sensors look through one 50:50 beam splitter, so each gets
  ``event_transmission`` of the light the lens collects (the RGB cameras have their own lenses:
  ``rgb_transmission``);
* the DVS background activity follows ``noise`` (:data:`evface.sim.dvs_noise.NOISE_LEVELS`), with
  the sensor's hot pixels (:data:`evface.sim.dvs_noise.HOT_PIXELS`) unless ``clean``;
* the events then pass the sensor's readout limit (:mod:`evface.sim.dvs_readout`);
* the RGB cameras sample through their Bayer filter and carry fixed-pattern noise as their preset
  says (``rgb_bayer`` / ``rgb_fixed_pattern`` switch them off) and are optionally MJPEG-compressed.

The fixed parts of the physical cameras (hot-pixel positions, PRNU/DSNU maps) come from
``rig_seed`` and the camera's name, so every clip of a dataset is filmed by the same cameras.
Sources of every default: ``docs/camera-models.md``.

Examples
--------
>>> cams = CameraSettings(noise="noisy")
>>> cams.event_params("davis346").shot_noise_rate_hz, cams.rgb_params("webcam30").cfa
(5.0, 'RGGB')
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, fields

import numpy as np

from evface.errors import ParameterError, choose_from
from evface.events.core import concatenate
from evface.sim.dvs_params import DvsParams
from evface.sim.dvs_noise import HOT_PIXELS, NOISE_LEVELS, noise_params
from evface.sim.dvs_readout import limit_readout
from evface.sim.rgb import RgbCameraParams
from evface.sim.sensors import SENSORS


@dataclass(frozen=True)
class CameraSettings:
    """What the rig does to its cameras (see the module docstring).

    Attributes
    ----------
    noise : {"clean", "typical", "noisy"}
        DVS background activity and hot pixels.
    readout_limit : bool
        Apply each event sensor's readout limit (:data:`evface.sim.sensors.SENSORS`).
    event_transmission, rgb_transmission : float
        Fraction of the scene light each event sensor / RGB camera receives through the rig's
        optics beyond its own lens (0.45: one arm of a 50:50 beam splitter with its losses).
    rgb_bayer, rgb_fixed_pattern : bool
        Keep the RGB presets' Bayer filter and fixed-pattern noise.
    rgb_jpeg_quality : int
        MJPEG quality of the RGB cameras (1-100); 0: uncompressed frames.
    rig_seed : int
        Seeds the fixed pattern of the physical cameras (hot pixels, PRNU, DSNU).

    Examples
    --------
    >>> CameraSettings(rgb_bayer=False).rgb_params("webcam30").cfa, CameraSettings(rgb_fixed_pattern=False).rgb_params("webcam30").prnu
    ('none', 0.0)
    >>> cams = CameraSettings()
    >>> cams.camera_seed("hd") == CameraSettings().camera_seed("hd") != cams.camera_seed("lr")  # per camera, fixed
    True

    Three events of the lr camera, with its hot pixels (typical noise) and without (clean):

    >>> from evface.events.core import make_events
    >>> events = make_events([0, 10, 20], [1, 2, 3], [1, 1, 1], [1, 1, 1])
    >>> out, counts = cams.event_output("lr", "davis346", events, (0, 0, 346, 260), 1_000_000, seed=0)
    >>> out.size, counts
    (1893, {'hot_pixel_events': 1890, 'dropped': 0, 'delayed': 0})
    >>> CameraSettings(noise="clean").event_output("lr", "davis346", events, (0, 0, 346, 260), 1_000_000, seed=0)[0].size
    3
    >>> CameraSettings(noise="loud")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown noise level 'loud'; choose from clean, typical, noisy (--noise)
    """

    noise: str = "typical"
    readout_limit: bool = True
    event_transmission: float = 0.45
    rgb_transmission: float = 1.0
    rgb_bayer: bool = True
    rgb_fixed_pattern: bool = True
    rgb_jpeg_quality: int = 0
    rig_seed: int = 0

    def __post_init__(self) -> None:
        if self.noise not in NOISE_LEVELS:
            raise ParameterError(f"unknown noise level {self.noise!r}; {choose_from(NOISE_LEVELS)} (--noise)")
        for name in ("event_transmission", "rgb_transmission"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= 1):
                raise ParameterError(f"CameraSettings.{name} must be in (0, 1], got {value!r}")
        for f in fields(self):
            if f.type == "bool" and not isinstance(getattr(self, f.name), bool):
                raise ParameterError(f"CameraSettings.{f.name} must be true or false, got {getattr(self, f.name)!r}")
        for name, low, high in (("rgb_jpeg_quality", 0, 100), ("rig_seed", 0, 2**63 - 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ParameterError(f"CameraSettings.{name} must be an integer in {low}..{high}, got {value!r}")

    def event_params(self, sensor: str) -> DvsParams:
        """The DVS parameters of ``sensor`` (a key of :data:`~evface.sim.sensors.SENSORS`) at this noise level."""
        return noise_params(DvsParams.preset(sensor), self.noise)

    def rgb_params(self, preset: str) -> RgbCameraParams:
        """The parameters of the RGB camera ``preset`` with these settings."""
        overrides: dict[str, object] = {"jpeg_quality": self.rgb_jpeg_quality}
        if not self.rgb_bayer:
            overrides["cfa"] = "none"
        if not self.rgb_fixed_pattern:
            overrides.update(prnu=0.0, dsnu_e=0.0)
        return RgbCameraParams.preset(preset, **overrides)

    def camera_seed(self, camera: str) -> int:
        """The fixed-pattern seed of the rig's camera named ``camera`` (a stream or sensor role)."""
        ss = np.random.SeedSequence([int(self.rig_seed), zlib.crc32(camera.encode())])
        return int(ss.generate_state(1, np.uint32)[0])

    def event_output(self, role: str, sensor: str, events: np.ndarray, window: tuple[int, int, int, int],
                     duration_us: int, seed: int) -> tuple[np.ndarray, dict[str, int]]:
        """The events that leave the event camera ``role`` (``sensor`` of the table, read through
        ``window`` ``(x, y, w, h)`` of its array): the pixels' ``events`` of a clip of
        ``duration_us`` plus its hot pixels (drawn from ``seed``), through its readout limit.

        Returns the events and a count of what the camera added and changed (``hot_pixel_events``,
        ``dropped``, ``delayed``).
        """
        spec = SENSORS[sensor]
        n_hot = 0
        if self.noise != "clean":
            hot = HOT_PIXELS[sensor].events(spec.size, 0, duration_us, self.camera_seed(role), seed, window)
            n_hot = int(hot.size)
            events = concatenate([events, hot], sort=True)
        out = events
        if self.readout_limit:
            out = limit_readout(events, spec.max_event_rate_hz, spec.excess)
        delayed = int(np.count_nonzero(out["t"] != events["t"])) if out.size == events.size else 0
        return out, {"hot_pixel_events": n_hot, "dropped": int(events.size - out.size), "delayed": delayed}


__all__ = ["CameraSettings"]
