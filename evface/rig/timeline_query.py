"""What a timeline says at a time ``t_us``: AU intensities, gaze and the rigid head pose.

The expression's AUs and the blinks follow raised-cosine envelopes (:func:`envelope`), the gaze
moves along its saccades and is written as the FACS eye-movement AUs 61-64. :func:`gaze_deg`,
:func:`au_intensities` and :func:`head_pose` take a :class:`~evface.rig.timeline.Timeline` and a
finite time (a ParameterError otherwise; was: ``nan`` gave no AU and a pose of NaNs, a string
``'1'`` was read as 1 µs, ``None`` or a list a ``TypeError``).
"""

from __future__ import annotations

import math

import numpy as np

from evface.checks import as_real, real_dtype
from evface.errors import ParameterError
from evface.face.aus import GAZE_DEG
from evface.rig.timeline import AuCurve, Blink, Timeline

BLINK_AU = 45


def _query(timeline: object, t_us: object) -> float:
    """``t_us`` as a finite float, after checking that ``timeline`` is a Timeline (ParameterError).

    Examples
    --------
    >>> from evface.rig.timeline import Expression
    >>> _query(Timeline(10, Expression((), 0, 0, 0, 0, 0.0)), float("nan"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: t_us must be a finite number, got nan
    """
    if not isinstance(timeline, Timeline):
        raise ParameterError(f"timeline must be a Timeline, got {timeline!r}")
    return as_real("t_us", t_us, -math.inf, math.inf)


def raised_cosine(t_us: np.ndarray | float, start_us: float, end_us: float) -> np.ndarray:
    """Smooth step from 0 at ``start_us`` to 1 at ``end_us`` (half a cosine period).

    Examples
    --------
    >>> raised_cosine(np.array([0, 50, 100]), 0, 100).round(3).tolist()
    [0.0, 0.5, 1.0]
    """
    t = np.asarray(t_us)
    if not real_dtype(t.dtype) or not np.isfinite(t).all():
        raise ParameterError(f"t_us must be finite times in µs, got {t.dtype} {t.ravel()[:3].tolist()}")
    t = t.astype(np.float64)
    start_us, end_us = (as_real(name, v, -math.inf, math.inf) for name, v in (("start_us", start_us), ("end_us", end_us)))
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
    onset_us, apex_us, hold_end_us, offset_us = (as_real(name, v, -math.inf, math.inf) for name, v in (
        ("onset_us", onset_us), ("apex_us", apex_us), ("hold_end_us", hold_end_us), ("offset_us", offset_us)))
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

    >>> from evface.rig.timeline import Expression, Saccade
    >>> tl = Timeline(1_000_000, Expression((), 0, 0, 0, 0, 0.0), saccades=(Saccade(100_000, 143_000, (10.0, 0.0)),))
    >>> [round(a, 3) for a in gaze_deg(tl, 121_500)]
    [5.0, 0.0]
    """
    t_us = _query(timeline, t_us)
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
    >>> from evface.rig.timeline import Expression
    >>> tl = Timeline(1_000_000, Expression((12,), 300_000, 400_000, 400_000, 600_000, 0.5))
    >>> au_intensities(tl, 400_000)
    {12: 0.5}
    """
    t_us = _query(timeline, t_us)
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
    >>> from evface.rig.timeline import Expression, HeadMotion
    >>> head = HeadMotion(breathing_amp=0.002, breathing_hz=0.25, pitch_deg=-1.0)
    >>> tl = Timeline(2_000_000, Expression((), 0, 0, 0, 0, 0.0), head=head)
    >>> [round(v, 4) for v in head_pose(tl, 1_000_000)]  # a breath in: up (dy) and 0.1 % larger
    [0.0, 0.002, 0.0, 1.001, 0.0, -1.0]
    """
    t_us = _query(timeline, t_us)
    h = timeline.head
    s = float(t_us) * 1e-6
    two_pi = 2.0 * np.pi
    breath = h.breathing_amp * np.sin(two_pi * h.breathing_hz * s + h.breathing_phase)
    dx = h.drift[0] * s + h.wobble_amp[0] * np.sin(two_pi * h.wobble_hz[0] * s + h.wobble_phase[0])
    dy = h.drift[1] * s + h.wobble_amp[1] * np.sin(two_pi * h.wobble_hz[1] * s + h.wobble_phase[1]) + breath
    roll = h.roll_amp_deg * np.sin(two_pi * h.roll_hz * s + h.roll_phase)
    yaw, pitch = (base + amp * np.sin(two_pi * hz * s + ph) for base, amp, hz, ph in
                  zip((h.yaw_deg, h.pitch_deg), h.rotation_amp_deg, h.rotation_hz, h.rotation_phase, strict=True))
    scale = 1.0 + 0.5 * breath
    return float(dx), float(dy), float(roll), float(scale), float(yaw), float(pitch)
