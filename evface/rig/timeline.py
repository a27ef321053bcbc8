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

from dataclasses import dataclass, field

import numpy as np

from evface.checks import as_real, number_fields
from evface.errors import ParameterError
from evface.face.aus import GAZE_DEG, UNILATERAL_AUS, au_key
from evface.face.render import MAX_DEPTH_TURN_DEG

MAX_TOTAL_US = 500_000
"""Longest micro-expression, onset to offset (Yan et al. 2014, CASME II selection)."""
MAX_ONSET_US = 250_000
"""Longest onset phase, onset to apex (Yan et al. 2014)."""
BLINK_AU = 45


@dataclass(frozen=True)
class TimelineParams:
    """Distributions the timeline is drawn from (durations in µs; ranges are uniform draws
    unless a field says otherwise).

    Defaults: docs/dataset.md ("Timelines") lists each with its source.
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


@dataclass(frozen=True)
class AuCurve:
    """One AU's episode: it rises from ``onset_us`` to ``apex_us``, holds until ``hold_end_us``
    and falls back to neutral at ``offset_us``; ``side`` is ``""`` (both sides), ``"L"`` or
    ``"R"`` (the subject's)."""

    au: int
    onset_us: int
    apex_us: int
    hold_end_us: int
    offset_us: int
    intensity: float
    side: str = ""

    @property
    def key(self) -> int | str:
        """The AU key the renderer reads (``14`` or ``"L14"``)."""
        return au_key(self.au, self.side)


@dataclass(frozen=True)
class Expression:
    """One micro-expression episode: from ``onset_us`` (the first AU's onset) through that AU's
    ``apex_us`` and ``hold_end_us`` to ``offset_us`` (the last AU's offset), at the clip's
    ``intensity``. ``curves`` gives each AU's own timing, intensity and side; without them every
    AU of ``aus`` follows the episode's curve at ``intensity``."""

    aus: tuple[int, ...]
    onset_us: int
    apex_us: int
    hold_end_us: int
    offset_us: int
    intensity: float
    curves: tuple[AuCurve, ...] = ()

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
    """An AU45 blink: lid closes from ``start_us`` to ``closed_us``, reopens by ``end_us``."""

    start_us: int
    closed_us: int
    end_us: int
    intensity: float = 1.0


@dataclass(frozen=True)
class HeadMotion:
    """Rigid head motion: drift + sinusoidal wobble + breathing, in fractions of the face width;
    a fixed yaw and pitch (degrees) with small sinusoidal wobbles of their own."""

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


@dataclass(frozen=True)
class Saccade:
    """A gaze shift from wherever the eyes look at ``start_us`` to ``to_deg`` (horizontal,
    positive to the subject's left; vertical, positive up) at ``end_us``."""

    start_us: int
    end_us: int
    to_deg: tuple[float, float]


@dataclass(frozen=True)
class Timeline:
    """Everything that moves in one clip. Query with :func:`au_intensities` and :func:`head_pose`."""

    duration_us: int
    expression: Expression
    blinks: tuple[Blink, ...] = ()
    head: HeadMotion = field(default_factory=HeadMotion)
    gaze_start_deg: tuple[float, float] = (0.0, 0.0)
    saccades: tuple[Saccade, ...] = ()


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
    """Rise (onset -> apex), hold, fall (hold end -> offset): a 0..1 curve, zero outside."""
    return raised_cosine(t_us, onset_us, apex_us) * (1.0 - raised_cosine(t_us, hold_end_us, offset_us))


def curve_intensity(curve: AuCurve, t_us: np.ndarray | float) -> np.ndarray:
    """Intensity (0..1) of one AU's curve at ``t_us``."""
    return curve.intensity * envelope(t_us, curve.onset_us, curve.apex_us, curve.hold_end_us, curve.offset_us)


def blink_intensity(blinks: tuple[Blink, ...], t_us: np.ndarray | float) -> np.ndarray:
    """AU45 intensity at ``t_us`` (the maximum over the blinks)."""
    t = np.asarray(t_us, dtype=np.float64)
    out = np.zeros_like(t)
    for b in blinks:
        out = np.maximum(out, b.intensity * envelope(t, b.start_us, b.closed_us, b.closed_us, b.end_us))
    return out


def gaze_deg(timeline: Timeline, t_us: float) -> tuple[float, float]:
    """Gaze angle ``(horizontal, vertical)`` in degrees at ``t_us`` (positive: subject's left, up)."""
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
    """Blinks as a Poisson process at ``blink_rate_hz`` (a blink may be cut by the clip's edges)."""
    n = int(rng.poisson(params.blink_rate_hz * params.duration_us * 1e-6))
    blinks = []
    for start in np.sort(rng.uniform(-params.blink_duration_us_range[1], params.duration_us, size=n)):
        dur = int(rng.integers(params.blink_duration_us_range[0], params.blink_duration_us_range[1] + 1))
        start = int(start)
        closed = start + int(round(params.blink_close_fraction * dur))
        blinks.append(Blink(start, closed, start + dur, float(rng.uniform(0.85, 1.0))))
    return tuple(blinks)


def draw_head_motion(params: TimelineParams, rng: np.random.Generator) -> HeadMotion:
    """Random slow drift, wobble, roll, yaw, pitch and breathing within the parameters' amplitudes."""
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
    gaze by an exponential amplitude in a uniform direction, kept within ``gaze_range_deg``."""
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


def draw_timeline(aus: tuple[int, ...] | list[int], params: TimelineParams, seed: int | np.random.SeedSequence) -> Timeline:
    """Draw a whole clip timeline for an expression of ``aus``.

    The expression and the distractors (blinks, head, gaze) use independent streams spawned
    from ``seed``, so the distractors of a clip do not depend on its class.

    Examples
    --------
    >>> tl = draw_timeline([12], TimelineParams(), seed=0)
    >>> tl.expression.total_us <= MAX_TOTAL_US and tl.expression.apex_us - tl.expression.onset_us <= MAX_ONSET_US
    True
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    expr_ss, blink_ss, head_ss, gaze_ss = ss.spawn(4)
    expression = draw_expression(tuple(aus), params, np.random.default_rng(expr_ss))
    blinks = draw_blinks(params, np.random.default_rng(blink_ss))
    head = draw_head_motion(params, np.random.default_rng(head_ss))
    gaze_start, saccades = draw_gaze(params, np.random.default_rng(gaze_ss))
    return Timeline(params.duration_us, expression, blinks, head, gaze_start, saccades)
