"""An RGB camera model: exposure with motion blur, photon budget, noise, auto-exposure, colour
filter, gamma and compression.

For each frame the camera (1) meters the scene and picks exposure then analogue gain
(auto-exposure), (2) averages ``exposure_samples`` renders of the scene spread over the exposure
(motion blur), (3) converts the scene illuminance to photo-electrons, sampled through the Bayer
colour filter (``cfa``) and scaled by the pixel's fixed response (PRNU), (4) adds photon shot
noise (Poisson), clips at the full well, adds the pixel's dark offset (DSNU) and read noise
(Gaussian), (5) applies gain, clips at full scale, demosaics, applies the sRGB transfer curve,
quantises to 8 bits and (6) optionally JPEG-compresses the frame (MJPEG). The stages of (3)-(6)
are in :mod:`evface.sim.rgb_pipeline`; the equations and the sources of the presets are in
``docs/camera-models.md``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evface.checks import as_int, as_real, number_fields, real_dtype, sensor_dims, with_fields, within_memory
from evface.errors import ParameterError, choose_from
from evface.io.clip_schema import FrameSeries
from evface.sim.rgb_pipeline import CFA_PATTERNS, demosaic, fixed_pattern, jpeg, mosaic

METERING_MODES = ("average", "centre")
"""Auto-exposure metering patterns of :class:`RgbCameraParams`."""

CENTRE_WEIGHT = 0.75
"""Share of the metering weight on the central disc in ``"centre"`` metering (Nikon's figure)."""

CENTRE_DISC = 1 / 3
"""Diameter of that disc as a fraction of the frame width: Nikon's standard 12-mm circle on a
36-mm frame (docs/camera-models.md)."""

PHOTONS_PER_LUX_S_UM2 = 4.09e3
"""Photons per second per µm² in 1 lux of 555 nm light (683 lm/W, E = hc/λ = 3.58e-19 J)."""


RGB_FIELD_RANGE: dict[str, tuple[float, float, str]] = {
    "fps": (1e-3, 1e6, "a frame every 1000 s, as in time-lapse, to one every µs, the resolution of the frame "
                       "times; high-speed video cameras reach about 1e6 fps"),
    "exposure_samples": (1, 1000, "renders of the scene per frame, each costing a render: 1000 sample even a "
                                  "33-ms exposure every 33 µs"),
    "gain": (1, 1e4, "80 dB; sensors' analogue gain reaches 24-48 dB"),
    "max_gain": (1, 1e4, "80 dB; sensors' analogue gain reaches 24-48 dB"),
    "ae_target": (0, 1, "a fraction of full scale"),
    "pixel_pitch_um": (0, 100, "sensor pixels are about 1-25 µm"),
    "f_number": (0.5, 128, "f/0.5 is the limit of a lens in air; large-format lenses stop down to f/64-f/128"),
    "transmission": (0, 1, "the fraction of the light the lens passes"),
    "qe": (0, 1, "the fraction of the photons that give an electron"),
    "full_well_e": (1, 1e7, "pixels hold about 1e3-1e6 electrons"),
    "read_noise_e": (0, 1e4, "sensors read out with about 0.5-50 electrons of noise"),
    "prnu": (0, 1, "a relative spread of the pixels' response; data sheets give 0.5-2 %"),
    "dsnu_e": (0, 1e4, "the spread of the pixels' dark offset in electrons; of the order of the read noise"),
    "antiflicker_hz": (0, 1e6, "lamps flicker at 100 or 120 Hz; a flicker period under 1 µs is below the "
                               "exposure's resolution"),
}
"""The range of each number field of :class:`RgbCameraParams` and why: generous bounds on what a
real camera can have (docs/camera-models.md, section 2). A field of :data:`_ABOVE_ZERO` must be
above its low end; the exposure fields are bounded by the frame period."""

_ABOVE_ZERO = frozenset({"ae_target", "pixel_pitch_um", "transmission", "qe"})


@dataclass(frozen=True)
class RgbCameraParams:
    """Parameters of the RGB camera model.

    Parameters
    ----------
    fps : float
        Frame rate.
    exposure_us : float
        Fixed exposure; 0 means auto-exposure (capped by ``max_exposure_us`` and the frame
        period, after which gain rises).
    max_exposure_us : float
        Longest auto-exposure; 0 means the frame period.
    gain : float
        Fixed analogue gain when ``exposure_us`` > 0 (ignored with auto-exposure).
    max_gain : float
        Highest analogue gain auto-exposure may use.
    ae_target : float
        Auto-exposure target: mean linear signal as a fraction of full scale (0.18 = mid-grey).
    exposure_samples : int
        Scene renders averaged inside one exposure (motion blur).
    pixel_pitch_um, f_number, transmission, qe : float
        Photon budget: pixel side, lens f-number, lens transmission, quantum efficiency per
        colour channel (colour filter included).
    full_well_e, read_noise_e : float
        Saturation charge and read noise in electrons (at unity gain, referred to the input).
    cfa : str
        Bayer pattern of the colour filter (``"RGGB"``, ...; :data:`~evface.sim.rgb_pipeline.CFA_PATTERNS`)
        or ``"none"`` (every pixel sees all three channels, as with three sensors).
    prnu, dsnu_e : float
        Fixed-pattern noise: pixel-to-pixel standard deviation of the response (relative) and of
        the dark offset (electrons), drawn once per camera from its ``fpn_seed``.
    jpeg_quality : int
        JPEG quality of MJPEG compression (1-100); 0 keeps the frames uncompressed.
    antiflicker_hz : float
        Frequency of the light's flicker that auto-exposure avoids (100 for lamps on 50 Hz
        mains, 120 on 60 Hz; 0: off): an exposure of at least one flicker period is shortened to
        a whole number of periods, so every frame integrates the same light, and gain makes up the
        rest (a UVC webcam's power-line-frequency control).
    metering : str
        What auto-exposure meters: ``"average"`` (the whole frame, equally weighted) or
        ``"centre"`` (centre-weighted: :data:`CENTRE_WEIGHT` of the weight on a central disc
        :data:`CENTRE_DISC` of the frame width across, the rest on the whole frame).

    Examples
    --------
    >>> params = RgbCameraParams(fps=60.0)
    >>> params.fps, params.exposure_us, params.cfa, params.jpeg_quality
    (60.0, 0.0, 'none', 0)
    >>> RgbCameraParams(exposure_us=50_000)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: RgbCameraParams.exposure_us=50000 exceeds the frame period 33333 µs
    """

    fps: float = 30.0
    exposure_us: float = 0.0
    max_exposure_us: float = 0.0
    gain: float = 1.0
    max_gain: float = 16.0
    ae_target: float = 0.18
    exposure_samples: int = 5
    pixel_pitch_um: float = 2.0
    f_number: float = 2.0
    transmission: float = 0.9
    qe: float = 0.5
    full_well_e: float = 6000.0
    read_noise_e: float = 3.0
    cfa: str = "none"
    prnu: float = 0.0
    dsnu_e: float = 0.0
    jpeg_quality: int = 0
    antiflicker_hz: float = 0.0
    metering: str = "average"

    def __post_init__(self) -> None:
        if not isinstance(self.cfa, str) or (self.cfa != "none" and self.cfa not in CFA_PATTERNS):
            raise ParameterError(f"RgbCameraParams.cfa must be 'none' or a Bayer pattern, got {self.cfa!r}; "
                                 f"{choose_from(['none', *sorted(CFA_PATTERNS)])}")
        if not isinstance(self.metering, str) or self.metering not in METERING_MODES:
            raise ParameterError(f"RgbCameraParams.metering must be one of the metering modes, got {self.metering!r}; "
                                 f"{choose_from(METERING_MODES)}")
        number_fields(self)
        for name, (low, high, why) in RGB_FIELD_RANGE.items():
            value = getattr(self, name)
            if not (value > low if name in _ABOVE_ZERO else value >= low) or value > high:
                interval = f"{'(' if name in _ABOVE_ZERO else '['}{low:g}, {high:g}]"
                raise ParameterError(f"RgbCameraParams.{name} must be in {interval} ({why}), got {value!r}")
        if self.jpeg_quality > 100:
            raise ParameterError(f"RgbCameraParams.jpeg_quality must be an integer in 0..100 (0: no compression), "
                                 f"got {self.jpeg_quality}")
        if self.exposure_us > self.period_us:
            raise ParameterError(f"RgbCameraParams.exposure_us={self.exposure_us} exceeds the frame period {self.period_us:.0f} µs")

    @property
    def period_us(self) -> float:
        """Frame period in µs."""
        return 1e6 / self.fps

    @property
    def electrons_per_lux_s(self) -> float:
        """Photo-electrons per second per pixel for 1 lux of scene value (see the docs)."""
        image_lux = self.transmission / (4.0 * self.f_number**2)
        return image_lux * self.pixel_pitch_um**2 * PHOTONS_PER_LUX_S_UM2 * self.qe

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> RgbCameraParams:
        """Parameters of a named camera (``"webcam30"`` or ``"highspeed200"``), with overrides.

        Parameters
        ----------
        name : str
            The preset: a key of :data:`RGB_PRESETS`; another name is a ParameterError listing them.
        **overrides
            Fields of :class:`RgbCameraParams` to set instead of the preset's values.

        Returns
        -------
        RgbCameraParams

        Examples
        --------
        >>> RgbCameraParams.preset("highspeed200").fps
        200.0
        """
        if not isinstance(name, str) or name not in RGB_PRESETS:
            raise ParameterError(f"unknown RGB camera preset {name!r}; {choose_from(sorted(RGB_PRESETS))}")
        return with_fields(RGB_PRESETS[name], overrides)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the parameters (for clip metadata).

        Returns
        -------
        dict of str to Any
            Each field's name and value.
        """
        return asdict(self)


RGB_PRESETS: dict[str, RgbCameraParams] = {
    # A 1/4"-class USB webcam sensor (see docs/camera-models.md), metering centre-weighted,
    # its anti-flicker set for 50 Hz mains like the rig's lamps.
    "webcam30": RgbCameraParams(
        fps=30.0, max_gain=16.0, exposure_samples=5, pixel_pitch_um=2.0, f_number=2.0,
        transmission=0.9, qe=0.5, full_well_e=6000.0, read_noise_e=3.0,
        cfa="RGGB", prnu=0.01, dsnu_e=1.0, antiflicker_hz=100.0, metering="centre",
    ),
    # Point Grey GRAS-03K2C (Kodak KAI-0340 CCD, 7.4 µm) as used for CASME II (Yan et al. 2014);
    # a machine-vision camera's auto-exposure meters its whole region of interest.
    "highspeed200": RgbCameraParams(
        fps=200.0, max_gain=16.0, exposure_samples=3, pixel_pitch_um=7.4, f_number=1.4,
        transmission=0.9, qe=0.35, full_well_e=40000.0, read_noise_e=15.0,
        cfa="RGGB", prnu=0.01, dsnu_e=5.0,
    ),
}
"""Named RGB camera parameter sets; use :meth:`RgbCameraParams.preset`."""


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve (IEC 61966-2-1) on values in [0, 1] (others are clipped to it).

    ``linear`` must hold real numbers, infinities clipped like the rest: text, ``None`` or a NaN is a
    ParameterError naming it (was NumPy's "ufunc 'clip' did not contain a loop", and a NaN encoded
    as NaN).

    Parameters
    ----------
    linear : array_like of float
        Linear values, any shape.

    Returns
    -------
    ndarray of float
        The encoded values in [0, 1], of the same shape (float32 stays float32, others float64).

    Examples
    --------
    >>> srgb_encode(np.array([0.0, 0.18, 1.0])).round(3).tolist()
    [0.0, 0.461, 1.0]
    >>> srgb_encode(np.array([0.5, np.nan]))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: linear holds 1 NaN of 2 values; the sRGB curve needs numbers
    """
    array = np.asarray(linear)
    if not real_dtype(array.dtype):
        raise ParameterError(f"linear must hold real numbers, got {type(linear).__name__} of dtype {array.dtype}")
    nans = int(np.count_nonzero(np.isnan(array)))
    if nans:
        raise ParameterError(f"linear holds {nans} NaN of {array.size} values; the sRGB curve needs numbers")
    linear = np.clip(array, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


@functools.cache
def _srgb8_of_16bit() -> np.ndarray:
    """The 8-bit sRGB code of every 16-bit linear level: a table lookup, the same bytes as
    ``round(srgb_encode(level / 65535) * 255)`` at a fraction of its cost."""
    return np.round(srgb_encode(np.arange(65536) / 65535.0) * 255.0).astype(np.uint8)


def _metered(image: np.ndarray, weights: np.ndarray | None) -> float:
    """The metered level of an (H, W, 3) image: its mean, or its channel mean averaged with
    ``weights``."""
    if weights is None:
        return float(image.mean())
    return float(np.einsum("hw,hw->", image.mean(axis=2, dtype=np.float64), weights))


def _scene(render: Callable[[int], np.ndarray], t_us: int, shape: tuple[int, ...] | None) -> np.ndarray:
    img = np.asarray(render(int(t_us)))
    if not real_dtype(img.dtype):
        raise ParameterError(f"render({t_us}) must return real numbers (lux), got dtype {img.dtype}")
    img = img.astype(np.float32, copy=False)
    if img.ndim != 3 or img.shape[2] != 3 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ParameterError(f"render({t_us}) must return a non-empty (H, W, 3) array, got shape {img.shape}")
    if shape is not None and img.shape != shape:
        raise ParameterError(f"render({t_us}) returned shape {img.shape}, earlier frames had {shape}")
    if not np.all(np.isfinite(img)) or img.min() < 0:
        raise ParameterError(f"render({t_us}) returned negative or non-finite lux values")
    return img


def metering_weights(shape: tuple[int, int], mode: str) -> np.ndarray:
    """Per-pixel weights (summing to 1) with which auto-exposure averages a frame of ``shape``
    ``(H, W)``: uniform for ``"average"``; for ``"centre"``, :data:`CENTRE_WEIGHT` of the total
    spread evenly over a central disc :data:`CENTRE_DISC` of the width across and the rest over
    the whole frame.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` of the frame.
    mode : str
        A metering mode of :data:`METERING_MODES`.

    Returns
    -------
    ndarray of float64, shape (H, W)
        The weights.

    Examples
    --------
    >>> w = metering_weights((240, 320), "centre")
    >>> round(float(w.sum()), 6), round(float(w[120, 160] / w[0, 0]), 1)
    (1.0, 26.8)
    """
    if not isinstance(mode, str) or mode not in METERING_MODES:
        raise ParameterError(f"metering mode must be one of the metering modes, got {mode!r}; {choose_from(METERING_MODES)}")
    try:
        h, w = shape
    except (TypeError, ValueError):  # was "'float' object is not iterable"
        raise ParameterError(f"shape must be (H, W), got {shape!r}") from None
    w, h = sensor_dims((w, h), "shape")
    within_memory(3 * 8 * h * w, f"metering weights of shape ({h}, {w})", "give a smaller shape")
    weights = np.full((h, w), 1.0 / (h * w))
    if mode == "average":
        return weights
    y, x = np.mgrid[:h, :w]
    distance2 = (x + 0.5 - w / 2) ** 2 + (y + 0.5 - h / 2) ** 2
    # a disc too small to hold a pixel's centre (a frame 2 pixels wide) is the pixels nearest the
    # centre: it was empty, and every weight NaN (0 / 0)
    disc = distance2 <= max((CENTRE_DISC * w / 2) ** 2, distance2.min())
    return (1 - CENTRE_WEIGHT) * weights + CENTRE_WEIGHT * disc / disc.sum()


def auto_exposure(mean_lux: float, params: RgbCameraParams) -> tuple[float, float]:
    """Exposure (µs) and gain that bring the mean signal to ``ae_target`` of full scale.

    Exposure grows first, up to ``max_exposure_us`` (or the frame period), in whole flicker
    periods once it reaches one when ``antiflicker_hz`` is set; gain then makes up the rest, up
    to ``max_gain``.

    Parameters
    ----------
    mean_lux : float
        The metered scene level in lux (>= 0).
    params : RgbCameraParams
        The camera; a fixed ``exposure_us`` (> 0) is returned with its ``gain`` as they are.

    Returns
    -------
    exposure_us : float
        The exposure in µs.
    gain : float
        The analogue gain (>= 1).

    Examples
    --------
    >>> exp_us, gain = auto_exposure(1.0, RgbCameraParams.preset("webcam30"))
    >>> round(exp_us), gain
    (30000, 16.0)
    >>> exp_us, gain = auto_exposure(100.0, RgbCameraParams.preset("webcam30"))  # two 10-ms periods
    >>> round(exp_us), round(gain, 3)
    (20000, 1.174)
    >>> round(auto_exposure(100.0, RgbCameraParams.preset("webcam30", antiflicker_hz=0))[0])
    23472
    """
    mean_lux = as_real("mean_lux", mean_lux, 0.0, math.inf)
    if not isinstance(params, RgbCameraParams):
        raise ParameterError(f"params must be RgbCameraParams, got {type(params).__name__}")
    if params.exposure_us > 0:
        return float(params.exposure_us), float(params.gain)
    cap = params.max_exposure_us if params.max_exposure_us > 0 else params.period_us
    cap = min(cap, params.period_us)
    rate = max(mean_lux, 1e-9) * params.electrons_per_lux_s  # e- per second at the mean
    need = params.ae_target * params.full_well_e / rate * 1e6  # µs at unity gain
    exposure = min(max(need, 1.0), cap)
    if params.antiflicker_hz > 0 and exposure * params.antiflicker_hz >= 1e6:
        flicker_period = 1e6 / params.antiflicker_hz
        exposure = math.floor(exposure / flicker_period + 1e-9) * flicker_period
    gain = min(max(need / exposure, 1.0), params.max_gain)
    return float(exposure), float(gain)


POISSON_MAX = 1e18
"""The most photo-electrons a pixel's shot noise is drawn for: far past any full well, below numpy's
limit of its Poisson mean (a scene of 1e30 lux was numpy's "lam value too large")."""


class RgbCamera:
    """A frame camera that captures a time-varying scene.

    Parameters
    ----------
    params : RgbCameraParams, optional
        The camera model (default ``RgbCameraParams()``).
    seed : int, optional
        Seeds the shot and read noise.
    fpn_seed : int, optional
        Seeds the fixed-pattern noise: one physical camera keeps its pattern from clip to clip,
        so give all its recordings the same ``fpn_seed`` (default: ``seed``).

    Examples
    --------
    >>> cam = RgbCamera(RgbCameraParams.preset("webcam30"), seed=0)
    >>> fs = cam.capture(lambda t: np.full((4, 6, 3), 300, np.float32), 0, 100_000)
    >>> fs.data.shape, fs.data.dtype.name
    ((3, 4, 6, 3), 'uint8')
    """

    def __init__(self, params: RgbCameraParams | None = None, seed: int = 0, fpn_seed: int | None = None) -> None:
        self.params = RgbCameraParams() if params is None else params
        if not isinstance(self.params, RgbCameraParams):
            raise ParameterError(f"params must be RgbCameraParams, got {type(self.params).__name__}")
        self.seed = as_int("seed", seed, 0)
        self.fpn_seed = self.seed if fpn_seed is None else as_int("fpn_seed", fpn_seed, 0)
        self._rng = np.random.default_rng(self.seed)
        self._fpn: tuple[np.ndarray, np.ndarray] | None = None

    def frame_times(self, t_start_us: int, t_end_us: int) -> np.ndarray:
        """Start times of the frames whose whole period lies in [t_start_us, t_end_us].

        Parameters
        ----------
        t_start_us : int
            Start of the interval in µs: the first frame's time.
        t_end_us : int
            End of the interval in µs.

        Returns
        -------
        ndarray of int64
            One time (µs) every frame period; empty when the interval is shorter than one.
        """
        p = self.params
        t_start_us, t_end_us = as_int("t_start_us", t_start_us), as_int("t_end_us", t_end_us)
        n = int(math.floor((t_end_us - t_start_us) / p.period_us + 1e-9))
        within_memory(8 * n, f"the times of {n:,} frames in [{t_start_us}, {t_end_us}] µs at {p.fps:g} fps",
                      "give a shorter interval")
        return t_start_us + np.round(np.arange(max(n, 0)) * p.period_us).astype(np.int64)

    def iter_capture(
        self, render: Callable[[int], np.ndarray], t_start_us: int, t_end_us: int
    ) -> Iterator[tuple[np.ndarray, int, int, float]]:
        """Capture frame by frame: yield ``(image uint8 (H, W, 3), t_us, exposure_us, gain)``.

        ``render`` is called with non-decreasing times, so it may stream its source; what cannot be
        called is a ParameterError naming it (was Python's "'float' object is not callable").

        Parameters
        ----------
        render : callable
            ``render(t_us)`` returns the scene at ``t_us`` as float32 (H, W, 3) lux.
        t_start_us : int
            Time of the first frame, in µs.
        t_end_us : int
            End of the interval in µs; at least one frame period after ``t_start_us``.

        Yields
        ------
        image : ndarray of uint8, shape (H, W, 3)
            The frame.
        t_us : int
            Start of its exposure, in µs.
        exposure_us : int
            Its exposure, in µs.
        gain : float
            Its analogue gain.
        """
        if not callable(render):
            raise ParameterError(f"render must be a function of the time in µs returning a frame, got {render!r}")
        p = self.params
        t_start_us, t_end_us = as_int("t_start_us", t_start_us), as_int("t_end_us", t_end_us)
        if t_end_us <= t_start_us:
            raise ParameterError(f"t_end_us ({t_end_us}) must be after t_start_us ({t_start_us})")
        times = self.frame_times(t_start_us, t_end_us)
        if times.size == 0:
            raise ParameterError(
                f"[{t_start_us}, {t_end_us}] µs is shorter than one frame period ({p.period_us:.0f} µs)"
            )
        # auto-exposure meters the previous frame's scene, like a real camera (the first frame: the scene at its start)
        first = _scene(render, int(times[0]), None)
        shape = first.shape
        # the plain mean for "average": the same float32 sum, so the frames stay byte-identical
        weights = None if p.metering == "average" else metering_weights(shape[:2], p.metering)
        metered = _metered(first, weights)
        for t0 in times:
            exposure, gain = auto_exposure(metered, p)
            exposure_us = max(int(round(exposure)), 1)
            acc = np.zeros(shape, np.float64)
            offsets = (np.arange(p.exposure_samples) + 0.5) / p.exposure_samples * exposure_us
            for off in offsets:
                acc += _scene(render, int(t0 + off), shape)
            acc /= p.exposure_samples
            metered = _metered(acc, weights)
            yield self._expose(acc, exposure_us, gain), int(t0), exposure_us, gain

    def capture(self, render: Callable[[int], np.ndarray], t_start_us: int, t_end_us: int) -> FrameSeries:
        """Capture the frames of ``render(t_us)`` (float32 (H, W, 3) lux) between two times.

        A frame is taken at ``t_start_us + k / fps`` for every whole frame period inside the
        interval. ``render`` is called with non-decreasing times.

        Parameters
        ----------
        render : callable
            ``render(t_us)`` returns the scene at ``t_us`` as float32 (H, W, 3) lux.
        t_start_us : int
            Time of the first frame, in µs.
        t_end_us : int
            End of the interval in µs; at least one frame period after ``t_start_us``.

        Returns
        -------
        FrameSeries
            ``data`` uint8 (N, H, W, 3), ``t_us`` start of each exposure, ``exposure_us``;
            ``params`` holds the camera parameters, the seed and the gain of each frame.
        """
        frames, times, exposures, gains = [], [], [], []
        for image, t_us, exposure_us, gain in self.iter_capture(render, t_start_us, t_end_us):
            frames.append(image)
            times.append(t_us)
            exposures.append(exposure_us)
            gains.append(gain)
        p = self.params
        return FrameSeries(
            data=np.stack(frames),
            t_us=np.asarray(times, np.int64),
            exposure_us=np.asarray(exposures, np.int64),
            fps=float(p.fps),
            model="rgb-camera",
            params={**p.to_dict(), "gain": [float(g) for g in gains], "seed": self.seed, "fpn_seed": self.fpn_seed},
        )

    def _fixed_pattern(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        if self._fpn is None or self._fpn[0].shape != shape:
            self._fpn = fixed_pattern(shape, self.params.prnu, self.params.dsnu_e, self.fpn_seed)
        return self._fpn

    def _expose(self, mean_lux: np.ndarray, exposure_us: int, gain: float) -> np.ndarray:
        p = self.params
        electrons = mean_lux * (p.electrons_per_lux_s * exposure_us * 1e-6)
        if p.cfa != "none":
            electrons = mosaic(electrons, p.cfa)
        if p.prnu > 0 or p.dsnu_e > 0:
            prnu_gain, dsnu_offset = self._fixed_pattern(electrons.shape)
            electrons = electrons * np.maximum(prnu_gain, 0.0)
        # numpy refuses a mean past ~9.2e18; any above 1e18 saturates the pixel all the same
        signal = self._rng.poisson(np.minimum(electrons, POISSON_MAX)).astype(np.float64)
        signal = np.minimum(signal, p.full_well_e)
        if p.dsnu_e > 0:
            signal += dsnu_offset
        if p.read_noise_e > 0:
            signal += self._rng.normal(0.0, p.read_noise_e, signal.shape)
        linear = signal * gain / p.full_well_e
        if p.cfa != "none":  # demosaic the linear raw frame, quantised to 16 bits like an ADC
            raw = np.round(np.clip(linear, 0.0, 1.0) * 65535.0).astype(np.uint16)
            image = _srgb8_of_16bit()[demosaic(raw, p.cfa)]
        else:
            image = np.round(srgb_encode(linear) * 255.0).astype(np.uint8)
        return jpeg(image, p.jpeg_quality) if p.jpeg_quality else image


__all__ = ["RgbCamera", "RgbCameraParams", "RGB_FIELD_RANGE", "RGB_PRESETS", "METERING_MODES", "auto_exposure", "metering_weights", "srgb_encode"]
