"""Micro-expression timelines and the distractors every clip shares.

A :class:`Timeline` says, for any time ``t_us`` of a clip, how strongly each Action Unit is
active (0..1) and where the head is (a small rigid pose). It has three parts:

- the **expression**: one onset -> apex -> offset episode of the class's AUs, with raised-cosine
  rise and fall, durations within the micro-expression limits of CASME II (total <= 500 ms,
  onset <= 250 ms; Yan et al. 2014) and a low apex intensity;
- **blinks** (AU45), drawn at the spontaneous blink rate whatever the class;
- **rigid head motion**: a slow drift, a small smooth wobble and breathing (0.2-0.3 Hz).

Distractors are drawn from their own random stream, so they never depend on the class: the only
thing that differs between classes is which AUs the expression moves. docs/dataset.md gives the
figures and their sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evface.errors import ParameterError

MAX_TOTAL_US = 500_000
"""Longest micro-expression, onset to offset (Yan et al. 2014, CASME II selection)."""
MAX_ONSET_US = 250_000
"""Longest onset phase, onset to apex (Yan et al. 2014)."""
BLINK_AU = 45


@dataclass(frozen=True)
class TimelineParams:
    """Ranges the timeline is drawn from (all durations in µs, uniform draws).

    Defaults: docs/dataset.md ("Timelines") lists each with its source.
    """

    duration_us: int = 1_000_000
    margin_us: int = 100_000
    onset_us_range: tuple[int, int] = (60_000, 230_000)
    apex_hold_us_range: tuple[int, int] = (0, 60_000)
    total_us_range: tuple[int, int] = (250_000, 490_000)
    intensity_range: tuple[float, float] = (0.35, 0.7)
    blink_rate_hz: float = 0.43
    blink_duration_us_range: tuple[int, int] = (100_000, 150_000)
    blink_close_fraction: float = 0.35
    drift_per_s: float = 0.006
    wobble_amplitude: float = 0.0025
    wobble_hz_range: tuple[float, float] = (0.5, 2.0)
    roll_deg_amplitude: float = 0.4
    breathing_hz_range: tuple[float, float] = (0.2, 0.3)
    breathing_amplitude: float = 0.002

    def __post_init__(self) -> None:
        lo, hi = self.total_us_range
        if not 0 < lo <= hi <= MAX_TOTAL_US:
            raise ParameterError(f"total_us_range {self.total_us_range} must lie in (0, {MAX_TOTAL_US}]")
        if not 0 < self.onset_us_range[0] <= self.onset_us_range[1] <= MAX_ONSET_US:
            raise ParameterError(f"onset_us_range {self.onset_us_range} must lie in (0, {MAX_ONSET_US}]")
        if self.duration_us < hi + 2 * self.margin_us:
            raise ParameterError(
                f"duration_us={self.duration_us} is too short for a {hi} µs expression with {self.margin_us} µs margins"
            )


@dataclass(frozen=True)
class Expression:
    """One micro-expression episode: AUs rise from ``onset_us`` to ``apex_us``, hold until
    ``hold_end_us``, and fall back to neutral at ``offset_us``."""

    aus: tuple[int, ...]
    onset_us: int
    apex_us: int
    hold_end_us: int
    offset_us: int
    intensity: float

    @property
    def total_us(self) -> int:
        """Onset to offset."""
        return self.offset_us - self.onset_us


@dataclass(frozen=True)
class Blink:
    """An AU45 blink: lid closes from ``start_us`` to ``closed_us``, reopens by ``end_us``."""

    start_us: int
    closed_us: int
    end_us: int
    intensity: float = 1.0


@dataclass(frozen=True)
class HeadMotion:
    """Rigid head motion: drift + sinusoidal wobble + breathing, in fractions of the face width."""

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


@dataclass(frozen=True)
class Timeline:
    """Everything that moves in one clip. Query with :func:`au_intensities` and :func:`head_pose`."""

    duration_us: int
    expression: Expression
    blinks: tuple[Blink, ...] = ()
    head: HeadMotion = field(default_factory=HeadMotion)


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


def expression_intensity(expr: Expression, t_us: np.ndarray | float) -> np.ndarray:
    """Intensity (0..1) of the expression's AUs at ``t_us``."""
    return expr.intensity * envelope(t_us, expr.onset_us, expr.apex_us, expr.hold_end_us, expr.offset_us)


def blink_intensity(blinks: tuple[Blink, ...], t_us: np.ndarray | float) -> np.ndarray:
    """AU45 intensity at ``t_us`` (the maximum over the blinks)."""
    t = np.asarray(t_us, dtype=np.float64)
    out = np.zeros_like(t)
    for b in blinks:
        out = np.maximum(out, b.intensity * envelope(t, b.start_us, b.closed_us, b.closed_us, b.end_us))
    return out


def au_intensities(timeline: Timeline, t_us: float) -> dict[int, float]:
    """AU number -> intensity at ``t_us``: the expression's AUs plus AU45 from blinks.

    Examples
    --------
    >>> tl = Timeline(1_000_000, Expression((12,), 300_000, 400_000, 400_000, 600_000, 0.5))
    >>> au_intensities(tl, 400_000)
    {12: 0.5}
    """
    value = float(expression_intensity(timeline.expression, t_us))
    aus = {int(au): value for au in timeline.expression.aus}
    if timeline.blinks:
        blink = float(blink_intensity(timeline.blinks, t_us))
        aus[BLINK_AU] = max(aus.get(BLINK_AU, 0.0), blink)
    return aus


def head_pose(timeline: Timeline, t_us: float) -> tuple[float, float, float, float]:
    """Rigid pose ``(dx, dy, roll_deg, scale)`` at ``t_us``; dx, dy in fractions of the face width.

    Breathing moves the head up and down and changes its apparent size very slightly.
    """
    h = timeline.head
    s = float(t_us) * 1e-6
    two_pi = 2.0 * np.pi
    breath = h.breathing_amp * np.sin(two_pi * h.breathing_hz * s + h.breathing_phase)
    dx = h.drift[0] * s + h.wobble_amp[0] * np.sin(two_pi * h.wobble_hz[0] * s + h.wobble_phase[0])
    dy = h.drift[1] * s + h.wobble_amp[1] * np.sin(two_pi * h.wobble_hz[1] * s + h.wobble_phase[1]) + breath
    roll = h.roll_amp_deg * np.sin(two_pi * h.roll_hz * s + h.roll_phase)
    scale = 1.0 + 0.5 * breath
    return float(dx), float(dy), float(roll), float(scale)


def draw_expression(aus: tuple[int, ...], params: TimelineParams, rng: np.random.Generator) -> Expression:
    """Draw one micro-expression episode of ``aus`` placed at a random time in the clip."""
    total = int(rng.integers(params.total_us_range[0], params.total_us_range[1] + 1))
    onset = int(rng.integers(params.onset_us_range[0], min(params.onset_us_range[1], total // 2) + 1))
    hold = int(rng.integers(params.apex_hold_us_range[0], min(params.apex_hold_us_range[1], total - onset - onset // 2) + 1))
    start = int(rng.integers(params.margin_us, params.duration_us - params.margin_us - total + 1))
    intensity = float(rng.uniform(*params.intensity_range))
    return Expression(tuple(int(a) for a in aus), start, start + onset, start + onset + hold, start + total, intensity)


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
    """Random slow drift, wobble, roll and breathing within the parameters' amplitudes."""
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
    )


def draw_timeline(aus: tuple[int, ...] | list[int], params: TimelineParams, seed: int | np.random.SeedSequence) -> Timeline:
    """Draw a whole clip timeline for an expression of ``aus``.

    The expression and the distractors use independent streams spawned from ``seed``, so the
    distractors of a clip do not depend on its class.

    Examples
    --------
    >>> tl = draw_timeline([12], TimelineParams(), seed=0)
    >>> tl.expression.total_us <= MAX_TOTAL_US and tl.expression.apex_us - tl.expression.onset_us <= MAX_ONSET_US
    True
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    expr_ss, blink_ss, head_ss = ss.spawn(3)
    expression = draw_expression(tuple(aus), params, np.random.default_rng(expr_ss))
    blinks = draw_blinks(params, np.random.default_rng(blink_ss))
    head = draw_head_motion(params, np.random.default_rng(head_ss))
    return Timeline(params.duration_us, expression, blinks, head)
