"""Micro-expression timelines and the distractors every clip shares.

A :class:`Timeline` says, for any time ``t_us`` of a clip, how strongly each Action Unit is
active (0..1, keyed as :func:`evface.face.aus.au_key` writes them), where the head is (a small
rigid pose in 3-D) and where the eyes look. It has four parts:

- the **expression**: one onset -> apex -> offset episode per AU of the class (:class:`AuCurve`),
  raised-cosine rise and fall; the total duration is drawn from a log-normal around the
  published mean micro-expression duration and kept within CASME II's limits (total <= 500 ms,
  onset <= 250 ms; Yan et al. 2014); the AUs of a class start up to ``au_lag_us_max`` apart, each
  with its own apex intensity; AU14 (and any AU given in ``unilateral``) may be one-sided;
- **blinks** (AU45), drawn at the spontaneous blink rate whatever the class;
- **rigid head motion**: a small fixed yaw and pitch per clip, slow drift, a small smooth
  wobble in all three rotations and breathing (0.2-0.3 Hz);
- **gaze**: fixations joined by saccades whose durations follow the main sequence
  (:func:`saccade_duration_us`), as the FACS eye-movement AUs 61-64.

Distractors are drawn from their own random streams, so they never depend on the class: the only
thing that differs between classes is which AUs the expression moves. docs/dataset.md gives the
figures and their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from evface.checks import as_int, as_real, number_fields
from evface.errors import ParameterError
from evface.face.aus import GAZE_AUS, GAZE_DEG, UNILATERAL_AUS, au_key, parse_au
from evface.face.render import MAX_DEPTH_TURN_DEG, FacePose

MAX_TOTAL_US = 500_000
"""Longest micro-expression, onset to offset (Yan et al. 2014, CASME II selection)."""
MAX_ONSET_US = 250_000
"""Longest onset phase, onset to apex (Yan et al. 2014)."""
BLINK_AU = 45
MAX_CLIP_US = 3_600_000_000
"""Longest timeline, one hour: the blinks and saccades of a longer one are too many to draw."""
MAX_DISTRACTOR_HZ = 10.0
"""Highest blink and saccade rate a :class:`TimelineParams` takes (people blink about 0.3 times
and make about 3 saccades a second)."""


def _phases(owner: str, names: tuple[str, ...], times: tuple[object, ...]) -> None:
    """A ParameterError unless ``times`` (µs, named ``owner.name``) are whole numbers in order."""
    values = [as_int(f"{owner}.{name}", t) for name, t in zip(names, times)]
    for (a, ta), (b, tb) in zip(zip(names, values), zip(names[1:], values[1:])):
        if ta > tb:
            raise ParameterError(f"{owner}: {a}={ta} comes after {b}={tb}; the phases must run "
                                 f"{' <= '.join(names)}")


def _expression_au(name: str, au: object, side: str = "") -> None:
    """A ParameterError unless ``au`` (on ``side``) is an AU an expression can move: a known AU
    that is not a gaze AU (61-64 are the timeline's gaze, which :func:`au_intensities` writes
    over them: was an "AU61" label on clips whose eyes followed the saccades only)."""
    number = as_int(name, au)
    parse_au(au_key(number, side))
    if number in GAZE_AUS:
        raise ParameterError(f"{name}: AU {number} is gaze, which the timeline's gaze_start_deg and saccades set; "
                             "an expression cannot move it")


def _gaze_angle(name: str, value: object) -> None:
    """A ParameterError unless ``value`` is a (horizontal, vertical) pair of angles within ``GAZE_DEG``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ParameterError(f"{name} must be (horizontal, vertical) degrees, got {value!r}")
    for v in value:  # was: 100 degrees drawn as 20 (the eye model's end) while the clip recorded 100
        as_real(f"{name} (the eye model turns at most {GAZE_DEG:g} degrees)", v, -GAZE_DEG, GAZE_DEG)


@dataclass(frozen=True)
class TimelineParams:
    """Distributions the timeline is drawn from (durations in µs; ranges are uniform draws
    unless a field says otherwise).

    Defaults: docs/dataset.md ("Timelines") lists each with its source.

    Examples
    --------
    >>> p = TimelineParams()
    >>> p.duration_us, p.total_us_range, p.blink_rate_hz
    (1000000, (250000, 490000), 0.43)
    >>> TimelineParams(duration_us=500_000)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: duration_us=500000 is too short for a 490000 µs expression with 100000 µs margins
    """

    duration_us: int = 1_000_000
    margin_us: int = 100_000
    onset_us_range: tuple[int, int] = (60_000, 230_000)
    apex_hold_us_range: tuple[int, int] = (0, 60_000)
    total_us_range: tuple[int, int] = (250_000, 490_000)
    total_us_median: int = 315_000
    """Median of the log-normal total duration (truncated to ``total_us_range``)."""
    total_log_sd: float = 0.3
    onset_fraction_beta: tuple[float, float] = (4.0, 6.0)
    """Beta distribution of onset / total (mean 0.4: the rise is shorter than the fall)."""
    au_lag_us_max: int = 40_000
    """Largest delay of one AU of a class after its first (uniform)."""
    intensity_range: tuple[float, float] = (0.35, 0.7)
    au_intensity_log_sd: float = 0.2
    """Each AU's apex intensity: the clip's intensity times a log-normal factor of this spread."""
    unilateral: tuple[tuple[int, float], ...] = ((14, 0.7),)
    """(AU, probability of a one-sided episode, either side equally likely)."""
    blink_rate_hz: float = 0.43
    blink_duration_us_range: tuple[int, int] = (100_000, 150_000)
    blink_close_fraction: float = 0.35
    drift_per_s: float = 0.006
    wobble_amplitude: float = 0.0025
    wobble_hz_range: tuple[float, float] = (0.5, 2.0)
    roll_deg_amplitude: float = 0.4
    yaw_deg_range: float = 3.0
    """Fixed yaw per clip, uniform in +-this (degrees)."""
    pitch_deg_range: float = 2.0
    rotation_wobble_deg: float = 0.3
    """Largest amplitude of the yaw and pitch wobble (degrees)."""
    breathing_hz_range: tuple[float, float] = (0.2, 0.3)
    breathing_amplitude: float = 0.002
    saccade_rate_hz: float = 1.0
    saccade_amplitude_deg_mean: float = 4.0
    """Mean of the exponential saccade amplitude (degrees), capped at twice the gaze range."""
    gaze_range_deg: tuple[float, float] = (10.0, 6.0)
    """Largest horizontal and vertical gaze angle (degrees)."""

    def __post_init__(self) -> None:
        number_fields(self)
        if self.duration_us > MAX_CLIP_US:
            raise ParameterError(f"duration_us={self.duration_us} exceeds {MAX_CLIP_US} (one hour)")
        for name in ("blink_rate_hz", "saccade_rate_hz"):  # was: 1e12 a MemoryError, 1e9 a hang
            as_real(name, getattr(self, name), 0.0, MAX_DISTRACTOR_HZ)
        for v in self.intensity_range:  # was: an intensity of 5 recorded, AUs drawn at 1
            as_real("intensity_range", v, 0.0, 1.0)
        as_real("blink_close_fraction", self.blink_close_fraction, 0.0, 1.0)
        for v in self.onset_fraction_beta:  # was: numpy's ValueError "a <= 0"
            as_real("onset_fraction_beta", v, 0.0, math.inf, low_open=True)
        self._check_head_reach()
        lo, hi = self.total_us_range
        if not 0 < lo <= hi <= MAX_TOTAL_US:
            raise ParameterError(f"total_us_range {self.total_us_range} must lie in (0, {MAX_TOTAL_US}]")
        if not 0 < self.onset_us_range[0] <= self.onset_us_range[1] <= MAX_ONSET_US:
            raise ParameterError(f"onset_us_range {self.onset_us_range} must lie in (0, {MAX_ONSET_US}]")
        if self.duration_us < hi + 2 * self.margin_us:
            raise ParameterError(
                f"duration_us={self.duration_us} is too short for a {hi} µs expression with {self.margin_us} µs margins"
            )
        if not 0 <= self.au_lag_us_max <= hi - lo:
            raise ParameterError(f"au_lag_us_max={self.au_lag_us_max} must lie in [0, {hi - lo}] (the total_us_range width)")
        if not isinstance(self.unilateral, tuple) or not all(isinstance(e, tuple) and len(e) == 2 for e in self.unilateral):
            raise ParameterError(f"unilateral must be a tuple of (AU, probability) pairs, got {self.unilateral!r}")
        for au, p in self.unilateral:
            as_real(f"unilateral probability of AU {au}", p, 0.0, 1.0)
            if au not in UNILATERAL_AUS:
                raise ParameterError(f"unilateral: ({au}, {p}) needs an AU of {list(UNILATERAL_AUS)}")
        if max(self.yaw_deg_range, self.pitch_deg_range) + self.rotation_wobble_deg > MAX_DEPTH_TURN_DEG:
            raise ParameterError(f"yaw_deg_range {self.yaw_deg_range} / pitch_deg_range {self.pitch_deg_range} plus "
                                 f"rotation_wobble_deg {self.rotation_wobble_deg} exceed the renderer's "
                                 f"{MAX_DEPTH_TURN_DEG:g} degrees")
        if max(self.gaze_range_deg) > GAZE_DEG:
            raise ParameterError(f"gaze_range_deg {self.gaze_range_deg} exceeds the eye model's {GAZE_DEG} degrees")

    def _check_head_reach(self) -> None:
        """The farthest the drawn head can move must be a pose the renderer draws (was: a
        ParameterError about ``FacePose.dx`` part way through filming a clip)."""
        reach = self.drift_per_s * self.duration_us * 1e-6 + self.wobble_amplitude + self.breathing_amplitude
        try:
            FacePose(dx=reach, dy=reach, roll_deg=self.roll_deg_amplitude, scale=1.0 - 0.5 * self.breathing_amplitude)
        except ParameterError as exc:
            raise ParameterError(f"TimelineParams: the head would move beyond what the renderer draws ({exc}); lower "
                                 "drift_per_s (times duration_us), wobble_amplitude, breathing_amplitude or "
                                 "roll_deg_amplitude") from None


@dataclass(frozen=True)
class AuCurve:
    """One AU's episode: it rises from ``onset_us`` to ``apex_us``, holds until ``hold_end_us``
    and falls back to neutral at ``offset_us``; ``side`` is ``""`` (both sides), ``"L"`` or
    ``"R"`` (the subject's).

    Examples
    --------
    >>> AuCurve(14, 100, 200, 250, 400, 0.6, "L").key, AuCurve(14, 100, 200, 250, 400, 0.6).key
    ('L14', 14)
    >>> AuCurve(12, 200, 100, 250, 400, 0.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: AuCurve: onset_us=200 comes after apex_us=100; the phases must run onset_us <= apex_us <= hold_end_us <= offset_us
    >>> AuCurve(61, 0, 1, 2, 3, 0.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: AuCurve.au: AU 61 is gaze, which the timeline's gaze_start_deg and saccades set; an expression cannot move it
    """

    au: int
    onset_us: int
    apex_us: int
    hold_end_us: int
    offset_us: int
    intensity: float
    side: str = ""

    def __post_init__(self) -> None:
        if self.side not in ("", "L", "R"):
            raise ParameterError(f"AuCurve.side must be '', 'L' or 'R' (the subject's), got {self.side!r}")
        _expression_au("AuCurve.au", self.au, self.side)
        _phases("AuCurve", ("onset_us", "apex_us", "hold_end_us", "offset_us"),
                (self.onset_us, self.apex_us, self.hold_end_us, self.offset_us))
        as_real("AuCurve.intensity", self.intensity, 0.0, 1.0)

    @property
    def key(self) -> int | str:
        """The AU key the renderer reads (``14`` or ``"L14"``)."""
        return au_key(self.au, self.side)


@dataclass(frozen=True)
class Expression:
    """One micro-expression episode: from ``onset_us`` (the first AU's onset) through that AU's
    ``apex_us`` and ``hold_end_us`` to ``offset_us`` (the last AU's offset), at the clip's
    ``intensity``. ``curves`` gives each AU's own timing, intensity and side; without them every
    AU of ``aus`` follows the episode's curve at ``intensity``.

    Examples
    --------
    Without curves of their own, AU1 and AU2 both follow the episode:

    >>> e = Expression((1, 2), 100_000, 200_000, 220_000, 400_000, 0.5)
    >>> e.total_us, [(c.au, c.apex_us, c.intensity) for c in e.au_curves()]
    (300000, [(1, 200000, 0.5), (2, 200000, 0.5)])
    >>> Expression((12,), 0, 1, 2, 3, 1.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Expression.intensity must be a finite number in [0, 1], got 1.5
    """

    aus: tuple[int, ...]
    onset_us: int
    apex_us: int
    hold_end_us: int
    offset_us: int
    intensity: float
    curves: tuple[AuCurve, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.aus, (tuple, list)):
            raise ParameterError(f"Expression.aus must be a tuple of AU numbers, got {self.aus!r}")
        for au in self.aus:
            _expression_au("Expression.aus", au)
        _phases("Expression", ("onset_us", "apex_us", "hold_end_us", "offset_us"),
                (self.onset_us, self.apex_us, self.hold_end_us, self.offset_us))
        as_real("Expression.intensity", self.intensity, 0.0, 1.0)  # was: 2.0 taken, an error only at render time
        if not isinstance(self.curves, tuple) or not all(isinstance(c, AuCurve) for c in self.curves):
            raise ParameterError(f"Expression.curves must be a tuple of AuCurve, got {self.curves!r}")
        for c in self.curves:
            if c.onset_us < self.onset_us or c.offset_us > self.offset_us:
                raise ParameterError(f"Expression: the curve of AU {c.key} ({c.onset_us} to {c.offset_us} µs) must lie "
                                     f"within the episode's onset_us {self.onset_us} to offset_us {self.offset_us}")

    @property
    def total_us(self) -> int:
        """Onset to offset."""
        return self.offset_us - self.onset_us

    def au_curves(self) -> tuple[AuCurve, ...]:
        """Each AU's curve (``curves``, or the episode's curve for every AU)."""
        if self.curves:
            return self.curves
        return tuple(AuCurve(int(a), self.onset_us, self.apex_us, self.hold_end_us, self.offset_us, self.intensity)
                     for a in self.aus)


@dataclass(frozen=True)
class Blink:
    """An AU45 blink: lid closes from ``start_us`` to ``closed_us``, reopens by ``end_us``.

    Examples
    --------
    >>> blink_intensity((Blink(0, 50_000, 150_000, 0.9),), np.array([0, 25_000, 50_000, 150_000])).round(3).tolist()
    [0.0, 0.45, 0.9, 0.0]
    >>> Blink(100, 50, 150)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Blink: start_us=100 comes after closed_us=50; the phases must run start_us <= closed_us <= end_us
    """

    start_us: int
    closed_us: int
    end_us: int
    intensity: float = 1.0

    def __post_init__(self) -> None:
        _phases("Blink", ("start_us", "closed_us", "end_us"), (self.start_us, self.closed_us, self.end_us))
        as_real("Blink.intensity", self.intensity, 0.0, 1.0)


@dataclass(frozen=True)
class HeadMotion:
    """Rigid head motion: drift + sinusoidal wobble + breathing, in fractions of the face width;
    a fixed yaw and pitch (degrees) with small sinusoidal wobbles of their own.

    Examples
    --------
    A head drifting right by 0.01 face widths a second, turned 2 degrees:

    >>> tl = Timeline(1_000_000, Expression((), 0, 0, 0, 0, 0.0), head=HeadMotion(drift=(0.01, 0.0), yaw_deg=2.0))
    >>> head_pose(tl, 500_000)  # dx, dy, roll, scale, yaw, pitch
    (0.005, 0.0, 0.0, 1.0, 2.0, 0.0)
    >>> HeadMotion(yaw_deg=float("nan"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: HeadMotion.yaw_deg must be a finite number, got nan
    """

    drift: tuple[float, float] = (0.0, 0.0)
    wobble_amp: tuple[float, float] = (0.0, 0.0)
    wobble_hz: tuple[float, float] = (1.0, 1.0)
    wobble_phase: tuple[float, float] = (0.0, 0.0)
    roll_amp_deg: float = 0.0
    roll_hz: float = 0.5
    roll_phase: float = 0.0
    breathing_amp: float = 0.0
    breathing_hz: float = 0.25
    breathing_phase: float = 0.0
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    rotation_amp_deg: tuple[float, float] = (0.0, 0.0)
    rotation_hz: tuple[float, float] = (0.5, 0.5)
    rotation_phase: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        number_fields(self, low=-math.inf)  # was: nan or a string reached FacePose only at render time

    def check_sampled(self, rate_hz: float, option: str) -> None:
        """A ParameterError when a camera sampling the scene at ``rate_hz`` would alias a sinusoid
        of the head (wobble, roll, breathing, yaw and pitch wobble) of non-zero amplitude.

        At ``rate_hz`` below twice a sinusoid's frequency (the Nyquist rate) the samples show a
        slower motion than the head's, as :meth:`Lighting.check_sampled
        <evface.rig.lighting.Lighting.check_sampled>` says of a flicker. ``option`` names the rate.

        Examples
        --------
        >>> HeadMotion(wobble_amp=(0.002, 0.0), wobble_hz=(100.0, 900.0)).check_sampled(200.0, "scene_rate_hz")
        >>> HeadMotion(roll_amp_deg=0.3, roll_hz=150.0).check_sampled(200.0, "scene_rate_hz")
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: HeadMotion.roll_hz: a 150 Hz head motion needs scene_rate_hz >= 300 (twice its frequency), got 200; at 200 Hz it would be filmed as a 50 Hz motion (TimelineParams draws it from wobble_hz_range)
        """
        sinusoids = [(f"wobble_hz[{i}]", self.wobble_amp[i], self.wobble_hz[i]) for i in range(2)]
        sinusoids += [("roll_hz", self.roll_amp_deg, self.roll_hz), ("breathing_hz", self.breathing_amp, self.breathing_hz)]
        sinusoids += [(f"rotation_hz[{i}]", self.rotation_amp_deg[i], self.rotation_hz[i]) for i in range(2)]
        for name, amp, hz in sinusoids:
            hz = abs(hz)
            if amp == 0 or 2.0 * hz <= rate_hz:
                continue
            alias = abs(hz - rate_hz * round(hz / rate_hz))
            source = "breathing_hz_range" if name == "breathing_hz" else "wobble_hz_range"
            raise ParameterError(f"HeadMotion.{name}: a {hz:g} Hz head motion needs {option} >= {2 * hz:g} (twice its "
                                 f"frequency), got {rate_hz:g}; at {rate_hz:g} Hz it would be filmed as a {alias:g} Hz "
                                 f"motion (TimelineParams draws it from {source})")


@dataclass(frozen=True)
class Saccade:
    """A gaze shift from wherever the eyes look at ``start_us`` to ``to_deg`` (horizontal,
    positive to the subject's left; vertical, positive up) at ``end_us``.

    Examples
    --------
    >>> tl = Timeline(1_000_000, Expression((), 0, 0, 0, 0, 0.0), saccades=(Saccade(100_000, 143_000, (10.0, 0.0)),))
    >>> gaze_deg(tl, 100_000), gaze_deg(tl, 200_000)
    ((0.0, 0.0), (10.0, 0.0))
    >>> Saccade(0, 10, (30.0, 0.0))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Saccade.to_deg (the eye model turns at most 20 degrees) must be a finite number in [-20, 20], got 30.0
    """

    start_us: int
    end_us: int
    to_deg: tuple[float, float]

    def __post_init__(self) -> None:
        _phases("Saccade", ("start_us", "end_us"), (self.start_us, self.end_us))
        _gaze_angle("Saccade.to_deg", self.to_deg)


@dataclass(frozen=True)
class Timeline:
    """Everything that moves in one clip. Query with :func:`au_intensities` and :func:`head_pose`.

    Raises
    ------
    ParameterError
        When ``duration_us`` is not in ``[1, MAX_CLIP_US]``, the expression does not lie within
        the clip (its onset to offset), a part has the wrong type, or a gaze angle is beyond
        :data:`evface.face.aus.GAZE_DEG`. The parts check their own numbers: the phases of an
        :class:`Expression`, :class:`AuCurve`, :class:`Blink` or :class:`Saccade` must run in
        order, intensities lie in [0, 1].

    Examples
    --------
    >>> Timeline(400_000, Expression((12,), 300_000, 450_000, 450_000, 600_000, 0.5))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Timeline: the expression (onset_us 300000 to offset_us 600000) must lie within the clip's 0..400000 µs (duration_us)
    """

    duration_us: int
    expression: Expression
    blinks: tuple[Blink, ...] = ()
    head: HeadMotion = field(default_factory=HeadMotion)
    gaze_start_deg: tuple[float, float] = (0.0, 0.0)
    saccades: tuple[Saccade, ...] = ()

    def __post_init__(self) -> None:
        duration = as_int("Timeline.duration_us", self.duration_us, 1, MAX_CLIP_US)
        for name, kind in (("expression", Expression), ("head", HeadMotion)):
            if not isinstance(getattr(self, name), kind):
                raise ParameterError(f"Timeline.{name} must be a {kind.__name__}, got {getattr(self, name)!r}")
        for name, kind in (("blinks", Blink), ("saccades", Saccade)):
            parts = getattr(self, name)
            if not isinstance(parts, tuple) or not all(isinstance(p, kind) for p in parts):
                raise ParameterError(f"Timeline.{name} must be a tuple of {kind.__name__}, got {parts!r}")
        e = self.expression
        if e.onset_us < 0 or e.offset_us > duration:  # was: labels of an apex the clip never shows
            raise ParameterError(f"Timeline: the expression (onset_us {e.onset_us} to offset_us {e.offset_us}) must lie "
                                 f"within the clip's 0..{duration} µs (duration_us)")
        _gaze_angle("Timeline.gaze_start_deg", self.gaze_start_deg)


def raised_cosine(t_us: np.ndarray | float, start_us: float, end_us: float) -> np.ndarray:
    """Smooth step from 0 at ``start_us`` to 1 at ``end_us`` (half a cosine period).

    Examples
    --------
    >>> raised_cosine(np.array([0, 50, 100]), 0, 100).round(3).tolist()
    [0.0, 0.5, 1.0]
    """
    t = np.asarray(t_us, dtype=np.float64)
    if end_us <= start_us:
        return (t >= start_us).astype(np.float64)
    u = np.clip((t - start_us) / (end_us - start_us), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def envelope(t_us: np.ndarray | float, onset_us: float, apex_us: float, hold_end_us: float, offset_us: float) -> np.ndarray:
    """Rise (onset -> apex), hold, fall (hold end -> offset): a 0..1 curve, zero outside.

    Examples
    --------
    >>> envelope(np.array([0, 50, 100, 150, 200, 250]), 0, 100, 150, 250).round(3).tolist()
    [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """
    return raised_cosine(t_us, onset_us, apex_us) * (1.0 - raised_cosine(t_us, hold_end_us, offset_us))


def curve_intensity(curve: AuCurve, t_us: np.ndarray | float) -> np.ndarray:
    """Intensity (0..1) of one AU's curve at ``t_us``.

    Examples
    --------
    >>> curve = AuCurve(14, 100, 200, 250, 400, 0.6, "L")
    >>> curve_intensity(curve, np.array([100, 150, 200, 325, 400])).round(3).tolist()
    [0.0, 0.3, 0.6, 0.3, 0.0]
    """
    return curve.intensity * envelope(t_us, curve.onset_us, curve.apex_us, curve.hold_end_us, curve.offset_us)


def blink_intensity(blinks: tuple[Blink, ...], t_us: np.ndarray | float) -> np.ndarray:
    """AU45 intensity at ``t_us`` (the maximum over the blinks).

    Examples
    --------
    Two blinks, the second closing only to 0.5; where they overlap the larger counts (at 125 ms
    the second's 0.25 on its way in, not the first's 0.146 on its way out):

    >>> blinks = (Blink(0, 50_000, 150_000), Blink(100_000, 150_000, 250_000, 0.5))
    >>> blink_intensity(blinks, np.array([50_000, 125_000, 150_000, 300_000])).round(3).tolist()
    [1.0, 0.25, 0.5, 0.0]
    """
    t = np.asarray(t_us, dtype=np.float64)
    out = np.zeros_like(t)
    for b in blinks:
        out = np.maximum(out, b.intensity * envelope(t, b.start_us, b.closed_us, b.closed_us, b.end_us))
    return out


def gaze_deg(timeline: Timeline, t_us: float) -> tuple[float, float]:
    """Gaze angle ``(horizontal, vertical)`` in degrees at ``t_us`` (positive: subject's left, up).

    Examples
    --------
    Half way through a saccade from straight ahead to 10 degrees to the subject's left:

    >>> tl = Timeline(1_000_000, Expression((), 0, 0, 0, 0, 0.0), saccades=(Saccade(100_000, 143_000, (10.0, 0.0)),))
    >>> [round(a, 3) for a in gaze_deg(tl, 121_500)]
    [5.0, 0.0]
    """
    pos = np.asarray(timeline.gaze_start_deg, dtype=np.float64)
    for s in timeline.saccades:
        if t_us <= s.start_us:
            break
        pos = pos + (np.asarray(s.to_deg) - pos) * float(raised_cosine(t_us, s.start_us, s.end_us))
    return float(pos[0]), float(pos[1])


def au_intensities(timeline: Timeline, t_us: float) -> dict[int | str, float]:
    """AU key -> intensity at ``t_us``: the expression's AUs, AU45 from blinks and the gaze as
    AU61-64 (intensity 1 = :data:`evface.face.aus.GAZE_DEG`).

    Examples
    --------
    >>> tl = Timeline(1_000_000, Expression((12,), 300_000, 400_000, 400_000, 600_000, 0.5))
    >>> au_intensities(tl, 400_000)
    {12: 0.5}
    """
    aus: dict[int | str, float] = {}
    for curve in timeline.expression.au_curves():
        aus[curve.key] = max(aus.get(curve.key, 0.0), float(curve_intensity(curve, t_us)))
    if timeline.blinks:
        blink = float(blink_intensity(timeline.blinks, t_us))
        aus[BLINK_AU] = max(aus.get(BLINK_AU, 0.0), blink)
    h, v = gaze_deg(timeline, t_us)
    for value, pos_au, neg_au in ((h, 61, 62), (v, 63, 64)):
        if value:
            aus[pos_au if value > 0 else neg_au] = min(abs(value) / GAZE_DEG, 1.0)
    return aus


def head_pose(timeline: Timeline, t_us: float) -> tuple[float, float, float, float, float, float]:
    """Rigid pose ``(dx, dy, roll_deg, scale, yaw_deg, pitch_deg)`` at ``t_us``; dx, dy in
    fractions of the face width.

    Breathing moves the head up and down and changes its apparent size very slightly.

    Examples
    --------
    >>> head = HeadMotion(breathing_amp=0.002, breathing_hz=0.25, pitch_deg=-1.0)
    >>> tl = Timeline(2_000_000, Expression((), 0, 0, 0, 0, 0.0), head=head)
    >>> [round(v, 4) for v in head_pose(tl, 1_000_000)]  # a breath in: up (dy) and 0.1 % larger
    [0.0, 0.002, 0.0, 1.001, 0.0, -1.0]
    """
    h = timeline.head
    s = float(t_us) * 1e-6
    two_pi = 2.0 * np.pi
    breath = h.breathing_amp * np.sin(two_pi * h.breathing_hz * s + h.breathing_phase)
    dx = h.drift[0] * s + h.wobble_amp[0] * np.sin(two_pi * h.wobble_hz[0] * s + h.wobble_phase[0])
    dy = h.drift[1] * s + h.wobble_amp[1] * np.sin(two_pi * h.wobble_hz[1] * s + h.wobble_phase[1]) + breath
    roll = h.roll_amp_deg * np.sin(two_pi * h.roll_hz * s + h.roll_phase)
    yaw, pitch = (base + amp * np.sin(two_pi * hz * s + ph) for base, amp, hz, ph in
                  zip((h.yaw_deg, h.pitch_deg), h.rotation_amp_deg, h.rotation_hz, h.rotation_phase))
    scale = 1.0 + 0.5 * breath
    return float(dx), float(dy), float(roll), float(scale), float(yaw), float(pitch)


def _truncated_lognormal(rng: np.random.Generator, median: float, log_sd: float, lo: float, hi: float) -> float:
    """A log-normal draw kept within [lo, hi] by redrawing (at most 64 times, then clipped)."""
    for _ in range(64):
        x = median * np.exp(log_sd * rng.standard_normal())
        if lo <= x <= hi:
            return float(x)
    return float(np.clip(x, lo, hi))


def draw_expression(aus: tuple[int, ...], params: TimelineParams, rng: np.random.Generator) -> Expression:
    """Draw one micro-expression episode of ``aus`` placed at a random time in the clip.

    The episode's phases come from its total duration (log-normal, truncated) split by a Beta
    onset fraction; each AU starts after its own delay (the first AU, chosen at random, at 0),
    reaches its own apex intensity and may be one-sided. An empty ``aus`` (the ``neutral``
    class) still draws the episode's times, so that every clip has an expression window.

    Examples
    --------
    >>> e = draw_expression((6, 12), TimelineParams(), np.random.default_rng(0))
    >>> e.aus, e.total_us <= MAX_TOTAL_US, [c.au for c in e.au_curves()], min(c.onset_us for c in e.curves) == e.onset_us
    ((6, 12), True, [6, 12], True)
    >>> neutral = draw_expression((), TimelineParams(), np.random.default_rng(0))
    >>> neutral.aus, neutral.curves, neutral.onset_us < neutral.offset_us  # times, but no AU
    ((), (), True)
    """
    p = params
    lo, hi = p.total_us_range
    total = int(round(_truncated_lognormal(rng, p.total_us_median, p.total_log_sd, lo, hi - p.au_lag_us_max)))
    frac = float(rng.beta(*p.onset_fraction_beta))
    onset = int(np.clip(round(frac * total), p.onset_us_range[0], min(p.onset_us_range[1], total // 2)))
    hold = int(rng.integers(p.apex_hold_us_range[0], min(p.apex_hold_us_range[1], total - onset - onset // 2) + 1))
    start = int(rng.integers(p.margin_us, p.duration_us - p.margin_us - total - p.au_lag_us_max + 1))
    intensity = float(rng.uniform(*p.intensity_range))
    # per AU, after the episode (so the episode's times do not depend on the class)
    n = len(aus)
    lags = rng.integers(0, p.au_lag_us_max + 1, size=n)
    if n:
        lags[rng.integers(n)] = 0
    max_lag = int(lags.max()) if n else 0
    one_sided = dict(p.unilateral)
    curves = []
    for au, lag in zip(aus, lags):
        a_int = float(np.clip(intensity * np.exp(p.au_intensity_log_sd * rng.standard_normal()), 0.05, 1.0))
        side = ""
        if rng.uniform() < one_sided.get(int(au), 0.0):
            side = "L" if rng.uniform() < 0.5 else "R"
        t0 = start + int(lag)
        curves.append(AuCurve(int(au), t0, t0 + onset, t0 + onset + hold, t0 + total, a_int, side))
    return Expression(tuple(int(a) for a in aus), start, start + onset, start + onset + hold,
                      start + total + max_lag, intensity, tuple(curves))


def draw_blinks(params: TimelineParams, rng: np.random.Generator) -> tuple[Blink, ...]:
    """Blinks as a Poisson process at ``blink_rate_hz`` (a blink may be cut by the clip's edges).

    Examples
    --------
    >>> blinks = draw_blinks(TimelineParams(duration_us=60_000_000), np.random.default_rng(0))
    >>> 10 <= len(blinks) <= 45, all(100_000 <= b.end_us - b.start_us <= 150_000 for b in blinks)  # about 26 a minute
    (True, True)
    """
    n = int(rng.poisson(params.blink_rate_hz * params.duration_us * 1e-6))
    blinks = []
    for start in np.sort(rng.uniform(-params.blink_duration_us_range[1], params.duration_us, size=n)):
        dur = int(rng.integers(params.blink_duration_us_range[0], params.blink_duration_us_range[1] + 1))
        start = int(start)
        closed = start + int(round(params.blink_close_fraction * dur))
        blinks.append(Blink(start, closed, start + dur, float(rng.uniform(0.85, 1.0))))
    return tuple(blinks)


def draw_head_motion(params: TimelineParams, rng: np.random.Generator) -> HeadMotion:
    """Random slow drift, wobble, roll, yaw, pitch and breathing within the parameters' amplitudes.

    Examples
    --------
    >>> params = TimelineParams()
    >>> head = draw_head_motion(params, np.random.default_rng(0))
    >>> abs(head.yaw_deg) <= params.yaw_deg_range, abs(head.pitch_deg) <= params.pitch_deg_range, head.roll_amp_deg <= 0.4
    (True, True, True)
    """
    angle = rng.uniform(0, 2 * np.pi)
    speed = rng.uniform(0, params.drift_per_s)
    return HeadMotion(
        drift=(float(speed * np.cos(angle)), float(speed * np.sin(angle))),
        wobble_amp=tuple(float(a) for a in rng.uniform(0, params.wobble_amplitude, size=2)),
        wobble_hz=tuple(float(f) for f in rng.uniform(*params.wobble_hz_range, size=2)),
        wobble_phase=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, size=2)),
        roll_amp_deg=float(rng.uniform(0, params.roll_deg_amplitude)),
        roll_hz=float(rng.uniform(*params.wobble_hz_range)),
        roll_phase=float(rng.uniform(0, 2 * np.pi)),
        breathing_amp=float(rng.uniform(0.5, 1.0) * params.breathing_amplitude),
        breathing_hz=float(rng.uniform(*params.breathing_hz_range)),
        breathing_phase=float(rng.uniform(0, 2 * np.pi)),
        yaw_deg=float(rng.uniform(-params.yaw_deg_range, params.yaw_deg_range)),
        pitch_deg=float(rng.uniform(-params.pitch_deg_range, params.pitch_deg_range)),
        rotation_amp_deg=tuple(float(a) for a in rng.uniform(0, params.rotation_wobble_deg, size=2)),
        rotation_hz=tuple(float(f) for f in rng.uniform(*params.wobble_hz_range, size=2)),
        rotation_phase=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, size=2)),
    )


def saccade_duration_us(amplitude_deg: float) -> int:
    """Saccade duration from the main sequence, 2.2 ms per degree + 21 ms (Carpenter 1988;
    the main sequence: Bahill, Clark & Stark 1975).

    Examples
    --------
    >>> saccade_duration_us(10.0)
    43000
    """
    return int(round((21.0 + 2.2 * float(amplitude_deg)) * 1000.0))


def draw_gaze(params: TimelineParams, rng: np.random.Generator) -> tuple[tuple[float, float], tuple[Saccade, ...]]:
    """A starting gaze and saccades as a Poisson process at ``saccade_rate_hz``: each moves the
    gaze by an exponential amplitude in a uniform direction, kept within ``gaze_range_deg``.

    Examples
    --------
    >>> start, saccades = draw_gaze(TimelineParams(duration_us=2_000_000), np.random.default_rng(1))
    >>> [round(a, 2) for a in start], [(s.start_us, s.end_us) for s in saccades]
    ([0.12, 2.7], [(846652, 872040), (1655405, 1676666)])
    """
    rx, ry = params.gaze_range_deg
    pos = np.array([rng.uniform(-rx, rx), rng.uniform(-ry, ry)]) * 0.5
    start = tuple(float(v) for v in pos)
    n = int(rng.poisson(params.saccade_rate_hz * params.duration_us * 1e-6))
    saccades, free_from = [], 0
    for t in np.sort(rng.uniform(0, params.duration_us, size=n)):
        amp = min(rng.exponential(params.saccade_amplitude_deg_mean), 2.0 * max(rx, ry))
        angle = rng.uniform(0, 2 * np.pi)
        target = np.clip(pos + amp * np.array([np.cos(angle), np.sin(angle)]), [-rx, -ry], [rx, ry])
        amp = float(np.hypot(*(target - pos)))
        t0 = max(int(t), free_from)
        if amp < 0.1:
            continue
        t1 = t0 + saccade_duration_us(amp)
        saccades.append(Saccade(t0, t1, (float(target[0]), float(target[1]))))
        pos, free_from = target, t1
    return start, tuple(saccades)


def _seed_sequence(seed: int | list[int] | tuple[int, ...] | np.random.SeedSequence) -> np.random.SeedSequence:
    """``seed`` (a non-negative int, a non-empty sequence of them, or a SeedSequence) as a SeedSequence.

    Was: None a fresh random timeline on every call, -1 or 1.5 a NumPy error.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (list, tuple)) and seed:
        return np.random.SeedSequence([as_int("seed", s, 0) for s in seed])
    return np.random.SeedSequence(as_int("seed", seed, 0))


def draw_timeline(aus: tuple[int, ...] | list[int], params: TimelineParams,
                  seed: int | list[int] | tuple[int, ...] | np.random.SeedSequence) -> Timeline:
    """Draw a whole clip timeline for an expression of ``aus``.

    The expression and the distractors (blinks, head, gaze) use independent streams spawned
    from ``seed``, so the distractors of a clip do not depend on its class.

    Raises
    ------
    ParameterError
        For an AU that is not a known AU number (a one-sided AU comes from ``params.unilateral``)
        or a seed that is not a non-negative integer, a non-empty sequence of them or a SeedSequence.

    Examples
    --------
    >>> tl = draw_timeline([12], TimelineParams(), seed=0)
    >>> tl.expression.total_us <= MAX_TOTAL_US and tl.expression.apex_us - tl.expression.onset_us <= MAX_ONSET_US
    True
    """
    aus = tuple(as_int("aus", a) for a in aus)  # was: 12.5 drawn as AU12, True as AU1
    for au in aus:
        _expression_au("aus", au)
    ss = _seed_sequence(seed)
    expr_ss, blink_ss, head_ss, gaze_ss = ss.spawn(4)
    expression = draw_expression(tuple(aus), params, np.random.default_rng(expr_ss))
    blinks = draw_blinks(params, np.random.default_rng(blink_ss))
    head = draw_head_motion(params, np.random.default_rng(head_ss))
    gaze_start, saccades = draw_gaze(params, np.random.default_rng(gaze_ss))
    return Timeline(params.duration_us, expression, blinks, head, gaze_start, saccades)
