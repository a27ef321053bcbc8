"""Augmentation of the cached classifier inputs (a run preprocesses every clip once:
:mod:`evface.inputs.classify`).

Horizontal flip (which also negates the horizontal flow ``u``) and a small integer shift (exactly
:func:`evface.events.ops.flip_lr` and :func:`evface.events.ops.shift` on the events), and for
event counts independent event drop (binomial thinning of the counts: the distribution of
:func:`evface.events.ops.drop_random`) and uniform noise events (Poisson counts, the dense
analogue of :func:`evface.events.ops.add_uniform_noise`), and EventDrop's drop by time and by
area (Gu et al. 2021: the events of a run of steps, or of a square of the face, removed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evface.checks import as_flag, as_real, real_dtype
from evface.errors import ParameterError
from evface.inputs.classify import EVENT_KINDS, check_kind


def augment_array(
    x: np.ndarray, kind: str, rng: np.random.Generator, *, flip: bool = True, max_shift: float = 0.015625,
    drop: float = 0.1, noise: float = 0.05, drop_time: float = 0.0, drop_area: float = 0.0,
) -> np.ndarray:
    """A randomly augmented copy of one input (T, C, S, S).

    Geometric for every kind: left-right flip with probability 1/2 (for ``rgb-flow`` the
    horizontal flow, channel 0, changes sign) and an integer shift of up to
    ``round(max_shift * S)`` pixels in x and y (1 px at S = 64; vacated pixels are 0). Event counts only: each event dropped with a
    probability drawn in ``[0, drop]`` and noise events amounting to a fraction drawn in
    ``[0, noise]`` of the clip's events, spread uniformly over steps, polarities and pixels;
    EventDrop's drop by time (with probability 1/2, the events of a random run of up to
    ``round(drop_time * T)`` consecutive steps) and by area (with probability 1/2, the events in
    a random square of side up to ``round(drop_area * S)`` pixels). Each stage draws from ``rng``
    only when it is on, so a setting of 0 leaves the other stages' draws unchanged.

    Examples
    --------
    >>> x = np.ones((4, 2, 8, 8), np.float32)
    >>> y = augment_array(x, "events", np.random.default_rng(2), flip=False, max_shift=0, drop=0, noise=0,
    ...                   drop_time=0.5)
    >>> (y.sum(axis=(1, 2, 3)) == 0).tolist()  # the events of one step dropped
    [False, True, False, False]
    >>> augment_array(x, "events", np.random.default_rng(2), drop=2.0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: drop must be a finite number in [0, 1], got 2.0
    """
    flip, max_shift, drop, noise, drop_time, drop_area = _augment_settings(kind, flip, max_shift, drop, noise,
                                                                           drop_time, drop_area)
    _check_augmented(x, kind, rng)
    out = np.array(x, dtype=np.float32, copy=True)
    if flip and rng.random() < 0.5:
        out = out[..., ::-1]
        if kind == "rgb-flow":
            out[:, 0] *= -1
    px = int(round(max_shift * out.shape[-1]))
    if px > 0:
        dx, dy = (int(v) for v in rng.integers(-px, px + 1, size=2))
        out = np.roll(out, (dy, dx), axis=(-2, -1))
        if dy > 0:
            out[..., :dy, :] = 0
        elif dy < 0:
            out[..., dy:, :] = 0
        if dx > 0:
            out[..., :, :dx] = 0
        elif dx < 0:
            out[..., :, dx:] = 0
    if kind in EVENT_KINDS:
        if drop > 0:
            keep = 1.0 - rng.uniform(0.0, drop)
            out = rng.binomial(np.rint(out).astype(np.int64), keep).astype(np.float32)
        if noise > 0:
            rate = rng.uniform(0.0, noise) * float(out.sum()) / out.size
            out = out + rng.poisson(rate, size=out.shape).astype(np.float32)
        steps = int(round(drop_time * out.shape[0]))
        if steps > 0 and rng.random() < 0.5:
            n = int(rng.integers(1, steps + 1))
            start = int(rng.integers(0, out.shape[0] - n + 1))
            out[start:start + n] = 0
        side = int(round(drop_area * out.shape[-1]))
        if side > 0 and rng.random() < 0.5:
            n = int(rng.integers(1, side + 1))
            y0, x0 = (int(v) for v in rng.integers(0, out.shape[-1] - n + 1, size=2))
            out[..., y0:y0 + n, x0:x0 + n] = 0
    return np.ascontiguousarray(out)


def _augment_settings(kind: str, flip: object, *shares: object) -> tuple[bool, float, float, float, float, float]:
    """The settings of :func:`augment_array` after ``kind``, checked: ``flip`` a flag, ``max_shift``,
    ``drop``, ``noise``, ``drop_time`` and ``drop_area`` shares in [0, 1] (a ParameterError naming
    the first that is not; a share above 1 drew a drop probability, a run of steps or a square
    larger than the input, a numpy error at random part way through training)."""
    check_kind(kind)
    names = ("max_shift", "drop", "noise", "drop_time", "drop_area")
    return (as_flag("flip", flip), *(as_real(name, v, 0.0, 1.0) for name, v in zip(names, shares, strict=True)))  # type: ignore[return-value]  # 1 + 5 values


def _check_augmented(x: np.ndarray, kind: str, rng: np.random.Generator) -> None:
    """A ParameterError unless ``x`` is one input (T, C, S, S) of real numbers (:func:`check_values`),
    none of its sides 0 (the noise rate divided by its size), and ``rng`` a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {rng!r}")
    x = np.asarray(x)
    if x.ndim != 4 or 0 in x.shape or not real_dtype(x.dtype):
        raise ParameterError(f"x must be one input (time_steps, channels, size, size) of numbers, no side 0, got shape "
                             f"{x.shape} and dtype {x.dtype}")
    check_values("x", x, kind)


MAX_COUNT = 2**62
"""The largest event count an input may hold: augmentation thins the counts by int64 binomial draws
and adds Poisson noise at their mean rate, which NumPy takes up to about 2^63 (a count of 1e30
wrapped negative: NumPy's "n < 0")."""


_VALUES = {
    "events": (0.0, float(MAX_COUNT), "event counts (finite, >= 0 and at most 2^62)"),
    "events-apex": (0.0, float(MAX_COUNT), "event counts (finite, >= 0 and at most 2^62)"),
    "rgb": (0.0, 1.0, "intensities in [0, 1] (frames of 0..255: divide by 255)"),
    "rgb-diff": (-1.0, 1.0, "differences of intensities in [-1, 1] (frames of 0..255: divide by 255)"),
    "rgb-flow": (-np.inf, np.inf, "finite numbers"),
}
"""The values inputs of each kind hold: ``(lowest, highest, in words)``."""


def check_values(name: str, x: np.ndarray, kind: str) -> None:
    """A ParameterError naming ``name`` unless ``x`` holds what inputs of ``kind`` hold: event counts
    (finite, >= 0 and at most :data:`MAX_COUNT`) for the event kinds, intensities in [0, 1] for
    ``rgb``, their differences in [-1, 1] for ``rgb-diff`` and finite numbers for ``rgb-flow``
    (was: frames of 0..255 taken as they were, a network trained on another scale, silently).

    Two reductions (the smallest and largest value; a NaN makes both NaN), at memory speed; the
    values that fail are counted only for the message. A negative count became NaN or -inf in
    ``log1p`` (:func:`~evface.inputs.classify.normalize`), and a NaN input trained the network to NaN without a word.

    Examples
    --------
    >>> check_values("x", np.array([[0.0, 2.0]]), "events")
    >>> check_values("inputs", np.array([[0.0, -1.0], [np.nan, 1.0]]), "events")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: inputs of kind 'events' must hold event counts (finite, >= 0 and at most 2^62); 2 of its 4 values are not, the first at [0, 1]: -1.0
    >>> check_values("inputs", np.array([[0.0, 255.0]]), "rgb")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: inputs of kind 'rgb' must hold intensities in [0, 1] (frames of 0..255: divide by 255); 1 of its 2 values are not, the first at [0, 1]: 255.0
    """
    x = np.asarray(x)
    if x.size == 0:
        return
    low, high, need = _VALUES[check_kind(kind)]
    lowest, highest = float(np.min(x)), float(np.max(x))
    if math.isfinite(lowest) and math.isfinite(highest) and low <= lowest and highest <= high:
        return
    bad = ~(np.isfinite(x) & (x >= low) & (x <= high))
    first = np.unravel_index(int(np.argmax(bad)), x.shape)
    raise ParameterError(f"{name} of kind {kind!r} must hold {need}; {int(np.count_nonzero(bad))} of its {x.size} "
                         f"values are not, the first at {[int(i) for i in first]}: {x[first].item()!r}")


@dataclass(frozen=True)
class Augment:
    """Frozen transform wrapping :func:`augment_array` (called with an explicit generator).

    Examples
    --------
    >>> x = np.full((2, 2, 4, 4), 10, np.float32)
    >>> thin = Augment("events", flip=False, max_shift=0, noise=0, drop=0.5)
    >>> y = thin(x, np.random.default_rng(0))
    >>> y.shape, 320 <= float(y.sum()) < 640, bool(np.all(y == np.round(y)))  # whole counts, up to half dropped
    ((2, 2, 4, 4), True, True)
    """

    kind: str
    flip: bool = True
    max_shift: float = 0.015625
    drop: float = 0.1
    noise: float = 0.05
    drop_time: float = 0.0
    drop_area: float = 0.0

    def __post_init__(self) -> None:
        settings = _augment_settings(self.kind, self.flip, self.max_shift, self.drop, self.noise, self.drop_time,
                                     self.drop_area)
        for name, value in zip(("flip", "max_shift", "drop", "noise", "drop_time", "drop_area"), settings, strict=True):
            object.__setattr__(self, name, value)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return augment_array(x, self.kind, rng, flip=self.flip, max_shift=self.max_shift, drop=self.drop, noise=self.noise,
                             drop_time=self.drop_time, drop_area=self.drop_area)
