"""Drawing a clip's timeline at random: the distributions (:class:`TimelineParams`) and the draw of each part.

Distractors are drawn from their own random streams, so they never depend on the class: the only
thing that differs between classes is which AUs the expression moves. docs/dataset.md gives the
figures and their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evface.checks import as_int, as_real, number_fields
from evface.errors import ParameterError, choose_from
from evface.face.aus import GAZE_DEG, UNILATERAL_AUS
from evface.face.head_pose import MAX_DEPTH_TURN_DEG, MAX_SHIFT_FW
from evface.rig.timeline import (
    MAX_CLIP_US, AuCurve, Blink, Expression, HeadMotion, Saccade, Timeline, expression_au_number,
)

MAX_TOTAL_US = 500_000
"""Longest micro-expression, onset to offset (Yan et al. 2014, CASME II selection)."""
MAX_ONSET_US = 250_000
"""Longest onset phase, onset to apex (Yan et al. 2014)."""
MAX_DISTRACTOR_HZ = 10.0
"""Highest blink and saccade rate a :class:`TimelineParams` takes (people blink about 0.3 times
and make about 3 saccades a second)."""


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
                raise ParameterError(f"unilateral: ({au}, {p}) needs one of the AUs with a one-sided variant; {choose_from(UNILATERAL_AUS)}")
        if max(self.yaw_deg_range, self.pitch_deg_range) + self.rotation_wobble_deg > MAX_DEPTH_TURN_DEG:
            raise ParameterError(f"yaw_deg_range {self.yaw_deg_range} / pitch_deg_range {self.pitch_deg_range} plus "
                                 f"rotation_wobble_deg {self.rotation_wobble_deg} exceed the renderer's "
                                 f"{MAX_DEPTH_TURN_DEG:g} degrees")
        if max(self.gaze_range_deg) > GAZE_DEG:
            raise ParameterError(f"gaze_range_deg {self.gaze_range_deg} exceeds the eye model's {GAZE_DEG} degrees")

    def _check_head_reach(self) -> None:
        """A ParameterError naming this class's fields when the farthest the drawn head can move is a
        pose the renderer does not draw (:class:`~evface.face.head_pose.FacePose`'s limits, as
        :meth:`HeadMotion.check_reach <evface.rig.timeline.HeadMotion.check_reach>` applies them; was:
        a ParameterError naming ``FacePose.dx``, a field the caller never set).

        Examples
        --------
        >>> TimelineParams(drift_per_s=10.0)
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: TimelineParams: drift_per_s 10 over duration_us 1000000 µs, wobble_amplitude 0.0025 and breathing_amplitude 0.002 move the head up to 10.0045 face widths; the renderer moves it at most 10
        """
        shift = self.drift_per_s * self.duration_us * 1e-6 + self.wobble_amplitude + self.breathing_amplitude
        if shift > MAX_SHIFT_FW:
            raise ParameterError(f"TimelineParams: drift_per_s {self.drift_per_s:g} over duration_us {self.duration_us} "
                                 f"µs, wobble_amplitude {self.wobble_amplitude:g} and breathing_amplitude "
                                 f"{self.breathing_amplitude:g} move the head up to {shift:g} face widths; the renderer "
                                 f"moves it at most {MAX_SHIFT_FW:g}")
        if self.roll_deg_amplitude > 360.0:
            raise ParameterError(f"TimelineParams: roll_deg_amplitude {self.roll_deg_amplitude:g} rolls the head up to "
                                 f"{self.roll_deg_amplitude:g} degrees; the renderer rolls it at most 360")
        if self.breathing_amplitude >= 2.0:
            raise ParameterError(f"TimelineParams: breathing_amplitude {self.breathing_amplitude:g} must be below 2: the "
                                 "head's scale 1 + breathing_amplitude / 2 * sin(...) would reach 0")


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
    for au, lag in zip(aus, lags, strict=True):
        a_int = float(np.clip(intensity * np.exp(p.au_intensity_log_sd * rng.standard_normal()), 0.05, 1.0))
        side = ""
        if rng.uniform() < one_sided.get(int(au), 0.0):
            side = "L" if rng.uniform() < 0.5 else "R"
        t0 = start + int(lag)
        curves.append(AuCurve(int(au), t0, t0 + onset, t0 + onset + hold, t0 + total, a_int, side))
    return Expression(tuple(int(a) for a in aus), start, start + onset, start + onset + hold,
                      start + total + max_lag, intensity, tuple(curves))


def draw_blinks(params: TimelineParams, rng: np.random.Generator) -> tuple[Blink, ...]:
    """Blinks as a Poisson process at ``blink_rate_hz`` (a blink may be cut by the clip's edges;
    one drawn wholly before the clip is left out).

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
        intensity = float(rng.uniform(0.85, 1.0))
        if start + dur > 0:  # was: a blink ending before the clip recorded in its truth (about 1 clip in 100)
            blinks.append(Blink(start, closed, start + dur, intensity))
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
        wobble_amp=_pair(rng.uniform(0, params.wobble_amplitude, size=2)),
        wobble_hz=_pair(rng.uniform(*params.wobble_hz_range, size=2)),
        wobble_phase=_pair(rng.uniform(0, 2 * np.pi, size=2)),
        roll_amp_deg=float(rng.uniform(0, params.roll_deg_amplitude)),
        roll_hz=float(rng.uniform(*params.wobble_hz_range)),
        roll_phase=float(rng.uniform(0, 2 * np.pi)),
        breathing_amp=float(rng.uniform(0.5, 1.0) * params.breathing_amplitude),
        breathing_hz=float(rng.uniform(*params.breathing_hz_range)),
        breathing_phase=float(rng.uniform(0, 2 * np.pi)),
        yaw_deg=float(rng.uniform(-params.yaw_deg_range, params.yaw_deg_range)),
        pitch_deg=float(rng.uniform(-params.pitch_deg_range, params.pitch_deg_range)),
        rotation_amp_deg=_pair(rng.uniform(0, params.rotation_wobble_deg, size=2)),
        rotation_hz=_pair(rng.uniform(*params.wobble_hz_range, size=2)),
        rotation_phase=_pair(rng.uniform(0, 2 * np.pi, size=2)),
    )


def _pair(values: np.ndarray) -> tuple[float, float]:
    """The first two of ``values`` as Python floats.

    Examples
    --------
    >>> _pair(np.array([0.5, 2.0, 9.0]))
    (0.5, 2.0)
    """
    return float(values[0]), float(values[1])


def saccade_duration_us(amplitude_deg: float) -> int:
    """Saccade duration from the main sequence, 2.2 ms per degree + 21 ms (Carpenter 1988;
    the main sequence: Bahill, Clark & Stark 1975).

    Examples
    --------
    >>> saccade_duration_us(10.0)
    43000
    """
    return int(round((21.0 + 2.2 * as_real("amplitude_deg", amplitude_deg, 0.0, 360.0)) * 1000.0))


def draw_gaze(params: TimelineParams, rng: np.random.Generator) -> tuple[tuple[float, float], tuple[Saccade, ...]]:
    """A starting gaze and saccades as a Poisson process at ``saccade_rate_hz``: each moves the
    gaze by an exponential amplitude in a uniform direction, kept within ``gaze_range_deg``, and
    starts once the previous one has ended, within the clip.

    Examples
    --------
    >>> start, saccades = draw_gaze(TimelineParams(duration_us=2_000_000), np.random.default_rng(1))
    >>> [round(a, 2) for a in start], [(s.start_us, s.end_us) for s in saccades]
    ([0.12, 2.7], [(846652, 872040), (1655405, 1676666)])
    """
    rx, ry = params.gaze_range_deg
    pos = np.array([rng.uniform(-rx, rx), rng.uniform(-ry, ry)]) * 0.5
    start = (float(pos[0]), float(pos[1]))
    n = int(rng.poisson(params.saccade_rate_hz * params.duration_us * 1e-6))
    saccades, free_from = [], 0
    for t in np.sort(rng.uniform(0, params.duration_us, size=n)):
        amp = min(rng.exponential(params.saccade_amplitude_deg_mean), 2.0 * max(rx, ry))
        angle = rng.uniform(0, 2 * np.pi)
        target = np.clip(pos + amp * np.array([np.cos(angle), np.sin(angle)]), [-rx, -ry], [rx, ry])
        amp = float(np.hypot(*(target - pos)))
        t0 = max(int(t), free_from)
        if t0 >= params.duration_us:  # this and every later one would start after the clip (was: recorded)
            break
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
        For ``aus`` that are no list or tuple of known AU numbers (a one-sided AU comes from
        ``params.unilateral``), ``params`` that are no :class:`TimelineParams`, or a seed that is
        not a non-negative integer, a non-empty sequence of them or a SeedSequence.

    Examples
    --------
    >>> tl = draw_timeline([12], TimelineParams(), seed=0)
    >>> tl.expression.total_us <= MAX_TOTAL_US and tl.expression.apex_us - tl.expression.onset_us <= MAX_ONSET_US
    True
    """
    if not isinstance(aus, (tuple, list)):  # was: "'int' object is not iterable"
        raise ParameterError(f"aus must be a list or tuple of AU numbers, got {aus!r}")
    if not isinstance(params, TimelineParams):  # was: "'NoneType' object has no attribute 'total_us_range'"
        raise ParameterError(f"params must be a TimelineParams, got {params!r}")
    aus = tuple(as_int("aus", a) for a in aus)  # was: 12.5 drawn as AU12, True as AU1
    for au in aus:
        expression_au_number("aus", au)
    ss = _seed_sequence(seed)
    expr_ss, blink_ss, head_ss, gaze_ss = ss.spawn(4)
    expression = draw_expression(tuple(aus), params, np.random.default_rng(expr_ss))
    blinks = draw_blinks(params, np.random.default_rng(blink_ss))
    head = draw_head_motion(params, np.random.default_rng(head_ss))
    gaze_start, saccades = draw_gaze(params, np.random.default_rng(gaze_ss))
    return Timeline(params.duration_us, expression, blinks, head, gaze_start, saccades)
