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
  (:func:`~evface.rig.timeline_draw.saccade_duration_us`), as the FACS eye-movement AUs 61-64.

How a timeline is drawn at random (:mod:`evface.rig.timeline_draw`: the distractors from their own
random streams, so they never depend on the class) and what it says at a time ``t_us``
(:mod:`evface.rig.timeline_query`) are modules of their own. docs/dataset.md gives the figures
and their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from evface.checks import as_int, as_real, number_fields
from evface.errors import ParameterError
from evface.face.aus import GAZE_AUS, GAZE_DEG, au_key, parse_au
from evface.face.head_pose import MAX_DEPTH_TURN_DEG, MAX_SHIFT_FW

MAX_CLIP_US = 3_600_000_000
"""Longest timeline, one hour: the blinks and saccades of a longer one are too many to draw."""


def _phases(owner: str, names: tuple[str, ...], times: tuple[object, ...]) -> None:
    """A ParameterError unless ``times`` (µs, named ``owner.name``) are whole numbers in order."""
    values = [as_int(f"{owner}.{name}", t) for name, t in zip(names, times, strict=True)]
    for (a, ta), (b, tb) in pairwise(zip(names, values, strict=True)):
        if ta > tb:
            raise ParameterError(f"{owner}: {a}={ta} comes after {b}={tb}; the phases must run "
                                 f"{' <= '.join(names)}")


def expression_au_number(name: str, au: object, side: str = "") -> int:
    """``au`` as an int, or a ParameterError unless ``au`` (on ``side``) is an AU an expression can
    move: a known AU that is not a gaze AU (61-64 are the timeline's gaze, which :func:`au_intensities`
    writes over them: was an "AU61" label on clips whose eyes followed the saccades only).

    Parameters
    ----------
    name : str
        What the error calls ``au`` (``"AuCurve.au"``, ``"Expression.aus"``).
    au : int
        An AU number (a whole float is taken).
    side : {"", "L", "R"}, optional
        The subject's side the AU moves; ``""``: both.

    Returns
    -------
    int
        The AU number.

    Examples
    --------
    >>> expression_au_number("aus", 12.0)
    12
    >>> expression_au_number("aus", 61)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: aus: AU 61 is gaze, which the timeline's gaze_start_deg and saccades set; an expression cannot move it
    """
    number = as_int(name, au)
    parse_au(au_key(number, side))
    if number in GAZE_AUS:
        raise ParameterError(f"{name}: AU {number} is gaze, which the timeline's gaze_start_deg and saccades set; "
                             "an expression cannot move it")
    return number


def _gaze_angle(name: str, value: object) -> None:
    """A ParameterError unless ``value`` is a (horizontal, vertical) pair of angles within ``GAZE_DEG``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ParameterError(f"{name} must be (horizontal, vertical) degrees, got {value!r}")
    for v in value:  # was: 100 degrees drawn as 20 (the eye model's end) while the clip recorded 100
        as_real(f"{name} (the eye model turns at most {GAZE_DEG:g} degrees)", v, -GAZE_DEG, GAZE_DEG)


@dataclass(frozen=True)
class AuCurve:
    """One AU's episode: it rises from ``onset_us`` to ``apex_us``, holds until ``hold_end_us``
    and falls back to neutral at ``offset_us``; ``side`` is ``""`` (both sides), ``"L"`` or
    ``"R"`` (the subject's).

    Parameters
    ----------
    au : int
        The AU number (:mod:`evface.face.aus`; not a gaze AU 61-64).
    onset_us, apex_us, hold_end_us, offset_us : int
        The phases' times, µs from the clip's start, in this order.
    intensity : float
        Intensity at the apex, in [0, 1].
    side : {"", "L", "R"}, optional
        The subject's side the AU moves; ``""``: both.

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
        if not isinstance(self.side, str) or self.side not in ("", "L", "R"):  # an array: numpy's "truth value"
            raise ParameterError(f"AuCurve.side must be '', 'L' or 'R' (the subject's), got {self.side!r}")
        expression_au_number("AuCurve.au", self.au, self.side)
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

    Parameters
    ----------
    aus : tuple of int
        The AUs of the class (any list or tuple of AU numbers; kept as a tuple of int).
    onset_us, apex_us, hold_end_us, offset_us : int
        The episode's phases, µs from the clip's start, in this order.
    intensity : float
        The clip's intensity at the apex, in [0, 1].
    curves : tuple of AuCurve, optional
        Each AU's own curve, within ``onset_us`` to ``offset_us``; empty: every AU follows the
        episode.

    Examples
    --------
    Without curves of their own, AU1 and AU2 both follow the episode:

    >>> e = Expression((1, 2), 100_000, 200_000, 220_000, 400_000, 0.5)
    >>> e.total_us, [(c.au, c.apex_us, c.intensity) for c in e.au_curves()]
    (300000, [(1, 200000, 0.5), (2, 200000, 0.5)])
    >>> Expression([12.0], 0, 1, 2, 3, 0.5).aus  # any list or tuple of AU numbers, kept as a tuple of ints
    (12,)
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
        # a tuple of ints whatever sequence was given (was: a list kept, so the frozen Expression could not be hashed)
        object.__setattr__(self, "aus", tuple(expression_au_number("Expression.aus", au) for au in self.aus))
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
        """Each AU's curve (``curves``, or the episode's curve for every AU).

        Returns
        -------
        tuple of AuCurve
            One per AU, in ``curves``' or ``aus``' order.
        """
        if self.curves:
            return self.curves
        return tuple(AuCurve(int(a), self.onset_us, self.apex_us, self.hold_end_us, self.offset_us, self.intensity)
                     for a in self.aus)


@dataclass(frozen=True)
class Blink:
    """An AU45 blink: lid closes from ``start_us`` to ``closed_us``, reopens by ``end_us``.

    Parameters
    ----------
    start_us, closed_us, end_us : int
        The phases' times, µs from the clip's start, in this order.
    intensity : float, optional
        AU45's intensity when closed, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from evface.rig.timeline_query import blink_intensity
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


_TURN = ("turn", "degrees in depth", " (a warp without self-occlusion)")
_MOVE = ("move", "face widths", "")


@dataclass(frozen=True)
class HeadMotion:
    """Rigid head motion: drift + sinusoidal wobble + breathing, in fractions of the face width;
    a fixed yaw and pitch (degrees) with small sinusoidal wobbles of their own.

    Each sinusoid is ``amp * sin(2 pi hz t + phase)``, ``t`` in seconds, ``phase`` in radians
    (:func:`~evface.rig.timeline_query.head_pose`).

    Parameters
    ----------
    drift : tuple of float, optional
        Steady ``(dx, dy)`` motion, in face widths per second.
    wobble_amp : tuple of float, optional
        ``(dx, dy)`` amplitudes of the wobble, in face widths.
    wobble_hz : tuple of float, optional
        The wobble's ``(dx, dy)`` frequencies, Hz.
    wobble_phase : tuple of float, optional
        The wobble's ``(dx, dy)`` phases.
    roll_amp_deg : float, optional
        Amplitude of the in-plane roll, degrees.
    roll_hz : float, optional
        The roll's frequency, Hz.
    roll_phase : float, optional
        The roll's phase.
    breathing_amp : float, optional
        Amplitude of breathing in ``dy`` (face widths); the head's scale swings by half of it.
    breathing_hz : float, optional
        The breathing rate, Hz.
    breathing_phase : float, optional
        The breathing's phase.
    yaw_deg, pitch_deg : float, optional
        Fixed turn of the head in depth, degrees.
    rotation_amp_deg : tuple of float, optional
        ``(yaw, pitch)`` amplitudes of the turn's wobble, degrees.
    rotation_hz : tuple of float, optional
        ``(yaw, pitch)`` frequencies of that wobble, Hz.
    rotation_phase : tuple of float, optional
        ``(yaw, pitch)`` phases of that wobble.

    Raises
    ------
    ParameterError
        For a field that is no finite number, a negative amplitude or frequency, or a motion
        beyond what the renderer draws (:class:`~evface.face.head_pose.FacePose`): a yaw or pitch
        with its wobble beyond 10 degrees, a roll wobble beyond 360 degrees, a shift beyond 10 face
        widths or a ``breathing_amp`` of 2 or more (the head's scale ``1 + breathing_amp / 2 *
        sin`` would reach 0). :class:`Timeline` adds the drift over its duration to the shift.

    Examples
    --------
    A head drifting right by 0.01 face widths a second, turned 2 degrees:

    >>> from evface.rig.timeline_query import head_pose
    >>> tl = Timeline(1_000_000, Expression((), 0, 0, 0, 0, 0.0), head=HeadMotion(drift=(0.01, 0.0), yaw_deg=2.0))
    >>> head_pose(tl, 500_000)  # dx, dy, roll, scale, yaw, pitch
    (0.005, 0.0, 0.0, 1.0, 2.0, 0.0)
    >>> HeadMotion(yaw_deg=float("nan"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: HeadMotion.yaw_deg must be a finite number, got nan
    >>> HeadMotion(yaw_deg=8.0, rotation_amp_deg=(3.0, 0.0))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: HeadMotion: yaw_deg 8 and rotation_amp_deg[0] 3 turn the head up to 11 degrees in depth; the renderer turns it at most 10 (a warp without self-occlusion)
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
        for name in ("wobble_amp", "wobble_hz", "roll_amp_deg", "roll_hz", "breathing_amp", "breathing_hz",
                     "rotation_amp_deg", "rotation_hz"):  # was: -5 Hz or a negative amplitude taken
            value = getattr(self, name)
            items = [(f"{name}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, tuple) else [(name, value)]
            for label, v in items:
                as_real(f"HeadMotion.{label}", v, 0.0, math.inf)
        self.check_reach(0)

    def check_reach(self, duration_us: int) -> None:
        """A ParameterError naming the fields when the head, over a clip of ``duration_us``, would
        reach a pose the renderer does not draw (:class:`~evface.face.head_pose.FacePose`'s
        limits; was: a ParameterError about ``FacePose.yaw_deg`` part way through recording).

        Each sinusoid counts at its full amplitude, the drift over the whole clip.

        Parameters
        ----------
        duration_us : int
            The clip's length, µs; 0 leaves the drift out.

        Raises
        ------
        ParameterError
            Naming the fields and the renderer's limit.

        Examples
        --------
        >>> HeadMotion(drift=(0.01, 0.0)).check_reach(1_000_000)
        >>> HeadMotion(drift=(0.01, 0.0)).check_reach(3_600_000_000)
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: HeadMotion: drift[0] 0.01 over the clip's 3600000000 µs (Timeline.duration_us) and wobble_amp[0] 0 move the head up to 36 face widths; the renderer moves it at most 10
        """
        drift = [f"drift[{i}] {self.drift[i]:g} over the clip's {duration_us} µs (Timeline.duration_us)"
                 for i in range(2)] if duration_us else ["", ""]
        seconds = duration_us * 1e-6
        reach = (  # (the fields and their values, how far they move the head, the renderer's limit, its words)
            ([f"yaw_deg {self.yaw_deg:g}", f"rotation_amp_deg[0] {self.rotation_amp_deg[0]:g}"],
             abs(self.yaw_deg) + self.rotation_amp_deg[0], MAX_DEPTH_TURN_DEG, _TURN),
            ([f"pitch_deg {self.pitch_deg:g}", f"rotation_amp_deg[1] {self.rotation_amp_deg[1]:g}"],
             abs(self.pitch_deg) + self.rotation_amp_deg[1], MAX_DEPTH_TURN_DEG, _TURN),
            ([f"roll_amp_deg {self.roll_amp_deg:g}"], self.roll_amp_deg, 360.0, ("roll", "degrees", "")),
            ([drift[0], f"wobble_amp[0] {self.wobble_amp[0]:g}"],
             abs(self.drift[0]) * seconds + self.wobble_amp[0], MAX_SHIFT_FW, _MOVE),
            ([drift[1], f"wobble_amp[1] {self.wobble_amp[1]:g}", f"breathing_amp {self.breathing_amp:g}"],
             abs(self.drift[1]) * seconds + self.wobble_amp[1] + self.breathing_amp, MAX_SHIFT_FW, _MOVE),
        )
        for parts, value, limit, (verb, unit, why) in reach:
            if value > limit:
                parts = [part for part in parts if part]
                named = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
                raise ParameterError(f"HeadMotion: {named} {verb}{'s' if len(parts) == 1 else ''} the head up to "
                                     f"{value:g} {unit}; the renderer {verb}s it at most {limit:g}{why}")
        if self.breathing_amp >= 2.0:
            raise ParameterError(f"HeadMotion: breathing_amp {self.breathing_amp:g} must be below 2: the head's scale "
                                 "1 + breathing_amp / 2 * sin(...) would reach 0")

    def check_sampled(self, rate_hz: float, option: str) -> None:
        """A ParameterError when a camera sampling the scene at ``rate_hz`` would alias a sinusoid
        of the head (wobble, roll, breathing, yaw and pitch wobble) of non-zero amplitude.

        At ``rate_hz`` below twice a sinusoid's frequency (the Nyquist rate) the samples show a
        slower motion than the head's, as :meth:`Lighting.check_sampled
        <evface.rig.lighting.Lighting.check_sampled>` says of a flicker. ``option`` names the rate.

        Parameters
        ----------
        rate_hz : float
            The camera's sampling rate, in Hz.
        option : str
            The setting that gives ``rate_hz``, named in the error.

        Raises
        ------
        ParameterError
            Naming the first sinusoid sampled too slowly and the frequency it would be filmed at.

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

    Parameters
    ----------
    start_us, end_us : int
        Start and end of the shift, µs from the clip's start.
    to_deg : tuple of float
        Where the eyes look at ``end_us``: ``(horizontal, vertical)`` degrees, within
        :data:`evface.face.aus.GAZE_DEG`.

    Examples
    --------
    >>> from evface.rig.timeline_query import gaze_deg
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


def _within_clip(blinks: tuple[Blink, ...], saccades: tuple[Saccade, ...], duration_us: int) -> None:
    """A ParameterError unless every blink and saccade reaches into the clip's ``0..duration_us``
    (one may be cut by its edges) and the saccades follow one another, each starting at or after the
    previous one's end (:func:`~evface.rig.timeline_query.gaze_deg` reads them in this order).

    Was: a blink or saccade wholly outside the clip recorded in its truth but never filmed (a
    saccade before it moved the gaze away from ``gaze_start_deg``), saccades out of order read as
    jumps back to where an earlier one went.

    Examples
    --------
    >>> _within_clip((Blink(-50_000, 0, 50_000),), (), 1_000)  # cut by the clip's start
    >>> _within_clip((Blink(2_000, 2_050, 2_100),), (), 1_000)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Timeline.blinks[0] (2000 to 2100 µs) lies outside the clip's 0..1000 µs (duration_us): the clip would record a blink it never shows
    """
    groups: tuple[tuple[str, tuple[Blink | Saccade, ...]], ...] = (("blinks", blinks), ("saccades", saccades))
    for name, parts in groups:
        for i, part in enumerate(parts):
            if part.end_us <= 0 or part.start_us >= duration_us:
                raise ParameterError(f"Timeline.{name}[{i}] ({part.start_us} to {part.end_us} µs) lies outside the "
                                     f"clip's 0..{duration_us} µs (duration_us): the clip would record a {name[:-1]} "
                                     "it never shows")
    for i, (before, after) in enumerate(pairwise(saccades)):
        if after.start_us < before.end_us:
            raise ParameterError(f"Timeline.saccades[{i + 1}] starts at {after.start_us} µs, before saccades[{i}] "
                                 f"ends at {before.end_us} µs: the saccades must follow one another in time")


@dataclass(frozen=True)
class Timeline:
    """Everything that moves in one clip. Query with :func:`~evface.rig.timeline_query.au_intensities` and
    :func:`~evface.rig.timeline_query.head_pose`.

    Parameters
    ----------
    duration_us : int
        The clip's length, µs, in ``[1, MAX_CLIP_US]``.
    expression : Expression
        The micro-expression, within ``0..duration_us``.
    blinks : tuple of Blink, optional
        The blinks, each reaching into the clip.
    head : HeadMotion, optional
        The rigid head motion; default: a still head.
    gaze_start_deg : tuple of float, optional
        Where the eyes look at the start, ``(horizontal, vertical)`` degrees.
    saccades : tuple of Saccade, optional
        Gaze shifts, in time order, each reaching into the clip.

    Raises
    ------
    ParameterError
        When ``duration_us`` is not in ``[1, MAX_CLIP_US]``, the expression does not lie within
        the clip (its onset to offset), a blink or saccade lies wholly outside it, a saccade
        starts before the previous one ends, a part has the wrong type, or a gaze angle is beyond
        :data:`evface.face.aus.GAZE_DEG`. The parts check their own numbers: the phases of an
        :class:`Expression`, :class:`AuCurve`, :class:`Blink` or :class:`Saccade` must run in
        order, intensities lie in [0, 1].

    Examples
    --------
    A smile whose apex is at 150 ms and a blink closed at 250 ms:

    >>> from evface.rig.timeline_query import au_intensities
    >>> tl = Timeline(400_000, Expression((12,), 50_000, 150_000, 150_000, 300_000, 0.6),
    ...               blinks=(Blink(200_000, 250_000, 300_000),))
    >>> au_intensities(tl, 150_000), au_intensities(tl, 250_000)[45]
    ({12: 0.6, 45: 0.0}, 1.0)
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
        for name, part_kind in (("blinks", Blink), ("saccades", Saccade)):
            parts = getattr(self, name)
            if not isinstance(parts, tuple) or not all(isinstance(p, part_kind) for p in parts):
                raise ParameterError(f"Timeline.{name} must be a tuple of {part_kind.__name__}, got {parts!r}")
        e = self.expression
        if e.onset_us < 0 or e.offset_us > duration:  # was: labels of an apex the clip never shows
            raise ParameterError(f"Timeline: the expression (onset_us {e.onset_us} to offset_us {e.offset_us}) must lie "
                                 f"within the clip's 0..{duration} µs (duration_us)")
        _gaze_angle("Timeline.gaze_start_deg", self.gaze_start_deg)
        _within_clip(self.blinks, self.saccades, duration)
        self.head.check_reach(duration)  # was: a drift beyond any canvas refused as FacePose.dx at render time
