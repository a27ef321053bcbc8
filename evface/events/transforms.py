"""Transforms: small frozen dataclasses over the pure functions of ops and representations.

Each transform is configured once and applied with ``transform(events)``; it holds no state
besides its parameters (``DropEvents`` and ``UniformNoise`` excepted when given a
``numpy.random.Generator``, which they advance). Transforms that need the sensor size carry it
as a field. This follows Tonic's pattern, so a pipeline reads as::

    Compose((Crop((400, 100, 480, 480)), RefractoryFilter((480, 480), 1000),
             VoxelGrid((480, 480), n_bins=5)))

Representation transforms (``EventFrames``, ``VoxelGrid``, ``TimeSurface``, ``CountImage``)
use the span of the events they are given when no window is set, so a pipeline can be applied
to samples of any length.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from evface.checks import as_int
from evface.errors import EventsError, EvfaceError, ParameterError
from evface.events import ops
from evface.events.core import SensorSize, check_array, check_stream, slice_time
from evface.events.representations import to_count_image, to_event_frames, to_time_surface, to_voxel_grid

Seed = int | np.random.Generator


def _rng(seed: Seed) -> np.random.Generator:
    """A fresh generator for an int seed (same output every call), or the generator given (in a torch
    ``DataLoader`` worker, given a state of its own first: :func:`_own_in_worker`)."""
    if isinstance(seed, np.random.Generator):
        _own_in_worker(seed)
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(as_int("seed", seed, 0))
    raise ParameterError(f"seed must be an int or a numpy Generator, got {seed!r}")


_WORKER_SEEDS: dict[int, int] = {}
"""The id of each generator a ``DataLoader`` worker process gave a state of its own, and the worker
seed it was given for (:func:`_own_in_worker`)."""


def _own_in_worker(rng: np.random.Generator) -> None:
    """In a torch ``DataLoader`` worker, give this worker's copy of ``rng`` a state of its own, once
    per worker and epoch: seeded by the generator's own seed and the worker's torch seed, which torch
    draws anew for each worker and epoch, so that workers and epochs do not augment alike, and a run
    repeats after ``torch.manual_seed`` (was: each worker's copy, made again every epoch, in the
    parent's state). Outside a worker nothing changes; torch is never imported here."""
    torch = sys.modules.get("torch")
    info = torch.utils.data.get_worker_info() if torch is not None else None
    if info is None or _WORKER_SEEDS.get(id(rng)) == info.seed:
        return
    own = getattr(rng.bit_generator, "seed_seq", None)
    worker = (np.random.SeedSequence(own.entropy, spawn_key=(*own.spawn_key, info.seed))
              if isinstance(own, np.random.SeedSequence) else np.random.SeedSequence(info.seed))
    rng.bit_generator.state = type(rng.bit_generator)(worker).state
    _WORKER_SEEDS[id(rng)] = info.seed


def _span(events: np.ndarray, t_start_us: int | None, t_end_us: int | None) -> tuple[int, int]:
    """The window given, with an unset side taken from the first or last event.

    A side taken from the events never crosses a side that was given (so the window stays
    valid when all events lie outside it); with no events an unset side is 0 or the other side.
    Taking a side from the events needs them in time order, which is checked (EventsError): the
    first and last events of an unsorted array would give a window that leaves events out. Events
    that are no events array are an EventsError whether a side is taken or not (was, with both sides
    given: a list's "list indices must be integers or slices, not str").
    """
    check_array(events)
    if t_start_us is None or t_end_us is None:
        check_stream(events)
    t = events["t"]
    t_start_us = None if t_start_us is None else as_int("t_start_us", t_start_us)
    t_end_us = None if t_end_us is None else as_int("t_end_us", t_end_us)
    if t_start_us is None:
        t_start_us = int(t[0]) if t.size else (t_end_us if t_end_us is not None else 0)
        t_start_us = t_start_us if t_end_us is None else min(t_start_us, t_end_us)
    if t_end_us is None:
        t_end_us = max(int(t[-1]) if t.size else t_start_us, t_start_us)
    return t_start_us, t_end_us


class _Transform:
    """Base of the transforms: a list or 1-D array given for a field (a sensor size, a ROI, the
    transforms of :class:`Compose`) is kept as a tuple, so that the frozen transform can be hashed
    and cannot be changed through the list (was: ``hash(FlipLR([346, 260]))`` a TypeError).

    Examples
    --------
    >>> FlipLR([346, 260]) == FlipLR((346, 260)), hash(Crop(np.array([0, 0, 4, 4]))) == hash(Crop((0, 0, 4, 4)))
    (True, True)
    """

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]  # its subclasses are dataclasses
            value = getattr(self, f.name)
            if isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim == 1):
                object.__setattr__(self, f.name, tuple(value.tolist() if isinstance(value, np.ndarray) else value))


@dataclass(frozen=True)
class TimeSlice(_Transform):
    """Keep ``t_start_us <= t < t_end_us`` (a view); ``None`` leaves a side open.

    Parameters
    ----------
    t_start_us, t_end_us : int, optional
        The half-open window in µs; ``None`` (the default) leaves that side open.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 10, 20, 30], [0] * 4, [0] * 4, [1] * 4)
    >>> TimeSlice(10, 30)(ev)["t"].tolist(), TimeSlice(t_end_us=10)(ev)["t"].tolist()
    ([10, 20], [0])
    """

    t_start_us: int | None = None
    t_end_us: int | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return slice_time(events, self.t_start_us, self.t_end_us)


@dataclass(frozen=True)
class Crop(_Transform):
    """Keep the events inside ``roi = (x0, y0, width, height)``, shifted to its origin.

    Parameters
    ----------
    roi : tuple of int
        ``(x0, y0, width, height)`` of the window, in pixels.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1, 2], [5, 6, 50], [5, 7, 5], [1, -1, 1])
    >>> Crop((4, 4, 10, 10))(ev)[["x", "y"]].tolist()
    [(1, 1), (2, 3)]
    """

    roi: ops.Roi

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.crop(events, self.roi)


@dataclass(frozen=True)
class FlipLR(_Transform):
    """Mirror left-right on a ``(width, height)`` sensor.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> FlipLR((10, 4))(make_events([0, 1], [0, 3], [1, 2], [1, -1]))["x"].tolist()
    [9, 6]
    """

    sensor_size: SensorSize

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.flip_lr(events, self.sensor_size)


@dataclass(frozen=True)
class FlipUD(_Transform):
    """Mirror up-down on a ``(width, height)`` sensor.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> FlipUD((10, 4))(make_events([0, 1], [0, 3], [1, 2], [1, -1]))["y"].tolist()
    [2, 1]
    """

    sensor_size: SensorSize

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.flip_ud(events, self.sensor_size)


@dataclass(frozen=True)
class FlipPolarity(_Transform):
    """Swap ON and OFF.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> FlipPolarity()(make_events([0, 1], [0, 0], [0, 0], [1, -1]))["p"].tolist()
    [-1, 1]
    """

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.flip_polarity(events)


@dataclass(frozen=True)
class Shift(_Transform):
    """Translate by ``(dx, dy)`` pixels, dropping events that leave the sensor.

    Parameters
    ----------
    dx, dy : int
        Pixels to move right and down (negative: left and up).
    sensor_size : (width, height)
        The sensor the events lie on, before and after the move.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [1, 8], [0, 0], [1, 1])
    >>> Shift(-1, 2, (10, 4))(ev)[["t", "x", "y"]].tolist()
    [(0, 0, 2), (1, 7, 2)]
    """

    dx: int
    dy: int
    sensor_size: SensorSize

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.shift(events, self.dx, self.dy, self.sensor_size)


@dataclass(frozen=True)
class Resample(_Transform):
    """See the stream through a ``dst_size`` pixel grid over the same field of view.

    Parameters
    ----------
    src_size : (width, height)
        The sensor the events lie on.
    dst_size : (width, height)
        The pixel grid to map them to.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1, 2], [0, 1, 3], [0, 1, 3], [1, 1, -1])
    >>> Resample((4, 4), (2, 2))(ev)[["x", "y"]].tolist()
    [(0, 0), (0, 0), (1, 1)]
    """

    src_size: SensorSize
    dst_size: SensorSize

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.resample_sensor(events, self.src_size, self.dst_size)


@dataclass(frozen=True)
class RefractoryFilter(_Transform):
    """Drop events closer than ``period_us`` to the pixel's last kept event.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    period_us : int
        Dead time (µs, >= 0) of a pixel after each of its kept events.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 300, 700], [1, 1, 1], [1, 1, 1], [1, 1, 1])
    >>> RefractoryFilter((4, 3), period_us=600)(ev)["t"].tolist()
    [0, 700]
    """

    sensor_size: SensorSize
    period_us: int

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.refractory_filter(events, self.sensor_size, self.period_us)


@dataclass(frozen=True)
class Denoise(_Transform):
    """Background-activity filter: keep events with a neighbour active in the last ``dt_us``.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    dt_us : int, optional
        How recently (µs) one of the eight neighbours must have fired; 10 ms by default.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 40, 60], [0, 1, 5], [1, 1, 3], [1, 1, 1])
    >>> Denoise((8, 4), dt_us=100)(ev)[["t", "x", "y"]].tolist()
    [(40, 1, 1)]
    """

    sensor_size: SensorSize
    dt_us: int = 10_000

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.background_activity_filter(events, self.sensor_size, self.dt_us)


@dataclass(frozen=True)
class AntiFlicker(_Transform):
    """Drop the events of pixels flickering in ``[min_freq, max_freq]``, as a camera's anti-flicker filter does.

    :func:`~evface.events.ops.anti_flicker_filter`: a pixel (or a ``block_size`` square of pixels,
    4 as the IMX636's AFK) whose bursts of same-polarity events recur ``filter_length`` times in a
    row with a period in the band, each within ``diff_thresh_us`` of the one before, loses its
    events until its period leaves the band; pixels that do not flicker keep theirs.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    min_freq, max_freq : float, optional
        The band to remove, in Hz; 50-500 by default (the AFK's band).
    filter_length : int, optional
        Periods in a row that must agree before a pixel counts as flickering (1 to 255); 7 by default.
    diff_thresh_us : int, optional
        How far (µs) a period may differ from the one before and still agree; 1500 by default.
    block_size : int, optional
        The side of the square of pixels measured together; 1 (each pixel) by default.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> t = np.arange(0, 100_000, 5_000)
    >>> flicker = make_events(t, np.zeros(t.size), np.zeros(t.size), np.where(t % 10_000, -1, 1))
    >>> AntiFlicker((1, 1), filter_length=3)(flicker)["t"].tolist()
    [0, 5000, 10000, 15000]
    >>> AntiFlicker((1, 1), min_freq=150.0)(flicker).size  # 100 Hz lies outside 150-500 Hz: all kept
    20
    """

    sensor_size: SensorSize
    min_freq: float = 50.0
    max_freq: float = 500.0
    filter_length: int = 7
    diff_thresh_us: int = 1500
    block_size: int = 1

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.anti_flicker_filter(events, self.sensor_size, self.min_freq, self.max_freq, self.filter_length,
                                       self.diff_thresh_us, self.block_size)


@dataclass(frozen=True)
class DropEvents(_Transform):
    """Drop each event with probability ``fraction``.

    An int ``seed`` gives the same drop on every call; a ``numpy.random.Generator`` is advanced,
    giving a new (reproducible) drop each call, as augmentation wants. A torch ``DataLoader`` with
    workers copies the transform, generator and all, into each worker, again each epoch; each
    worker's copy is reseeded once per worker and epoch (by its seed and the worker's torch seed), so
    workers and epochs do not drop alike, reproducibly after ``torch.manual_seed``.

    Parameters
    ----------
    fraction : float
        Probability in [0, 1] that an event is dropped.
    seed : int or numpy.random.Generator
        An int gives the same drop on every call; a generator is advanced by each call.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events(np.arange(100), np.zeros(100), np.zeros(100), np.ones(100))
    >>> same = DropEvents(0.5, seed=3)
    >>> same(ev).size == same(ev).size, same(ev)["t"].tolist() == same(ev)["t"].tolist()
    (True, True)
    >>> advancing = DropEvents(0.5, seed=np.random.default_rng(3))
    >>> advancing(ev)["t"].tolist() == advancing(ev)["t"].tolist()
    False
    """

    fraction: float
    seed: Seed

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.drop_random(events, self.fraction, _rng(self.seed))


@dataclass(frozen=True)
class UniformNoise(_Transform):
    """Add ``n`` uniformly distributed events over the stream's span (seeded like DropEvents).

    An empty stream has no span, so it is returned unchanged (:func:`~evface.events.ops.add_uniform_noise`).

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the noise is spread over.
    n : int
        Number of noise events added by each call.
    seed : int or numpy.random.Generator
        As in :class:`DropEvents`: an int gives the same noise on every call.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([100, 900], [0, 0], [0, 0], [1, 1])
    >>> noisy = UniformNoise((32, 24), n=10, seed=0)(ev)
    >>> noisy.size, int(noisy["t"][0]), int(noisy["t"][-1])
    (12, 100, 900)
    """

    sensor_size: SensorSize
    n: int
    seed: Seed

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return ops.add_uniform_noise(events, self.sensor_size, self.n, _rng(self.seed))


@dataclass(frozen=True)
class EventFrames(_Transform):
    """:func:`~evface.events.representations.to_event_frames` over ``[t_start_us, t_end_us]``.

    An unset side of the window is taken from the first or last event.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    n_bins : int
        Number of time bins, >= 1.
    t_start_us, t_end_us : int, optional
        Closed window in µs; ``None`` (the default) takes that side from the first or last event.
    binary : bool, optional
        1 where a pixel saw an event of that polarity in the bin, instead of the count.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> EventFrames((4, 3), n_bins=2)(make_events([0, 9], [0, 3], [0, 2], [1, -1])).shape
    (2, 2, 3, 4)
    """

    sensor_size: SensorSize
    n_bins: int
    t_start_us: int | None = None
    t_end_us: int | None = None
    binary: bool = False

    def __call__(self, events: np.ndarray) -> np.ndarray:
        t0, t1 = _span(events, self.t_start_us, self.t_end_us)
        return to_event_frames(events, self.sensor_size, self.n_bins, t0, t1, binary=self.binary)


@dataclass(frozen=True)
class VoxelGrid(_Transform):
    """:func:`~evface.events.representations.to_voxel_grid`; window as in :class:`EventFrames`.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    n_bins : int
        Number of time bins, >= 1.
    t_start_us, t_end_us : int, optional
        Closed window in µs; ``None`` (the default) takes that side from the first or last event.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 500, 1000], [0, 1, 3], [0, 2, 1], [1, -1, 1])
    >>> grid = VoxelGrid((4, 3), n_bins=2)(ev)
    >>> grid.shape, grid[:, 0, 0].tolist(), grid[:, 2, 1].tolist(), grid[:, 1, 3].tolist()
    ((2, 3, 4), [1.0, 0.0], [-0.5, -0.5], [0.0, 1.0])
    """

    sensor_size: SensorSize
    n_bins: int
    t_start_us: int | None = None
    t_end_us: int | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        t0, t1 = _span(events, self.t_start_us, self.t_end_us)
        return to_voxel_grid(events, self.sensor_size, self.n_bins, t0, t1)


@dataclass(frozen=True)
class TimeSurface(_Transform):
    """:func:`~evface.events.representations.to_time_surface` at ``t_ref_us`` (default: last event).

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.
    tau_us : float
        Decay time constant in µs, > 0.
    t_ref_us : int, optional
        The time the surface is taken at; by default the last event's.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 500, 1000], [0, 1, 3], [0, 2, 1], [1, -1, 1])
    >>> surface = TimeSurface((4, 3), tau_us=1000)(ev)
    >>> surface.shape, surface[0].astype(float).round(3).tolist(), round(float(surface[1, 2, 1]), 3)
    ((2, 3, 4), [[0.368, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]], 0.607)
    """

    sensor_size: SensorSize
    tau_us: float
    t_ref_us: int | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        t_ref = _span(events, None, self.t_ref_us)[1]
        return to_time_surface(events, self.sensor_size, t_ref, self.tau_us)


@dataclass(frozen=True)
class CountImage(_Transform):
    """:func:`~evface.events.representations.to_count_image` of all events given.

    Parameters
    ----------
    sensor_size : (width, height)
        The sensor the events lie on.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 5, 9], [0, 0, 3], [0, 0, 1], [1, 1, -1])
    >>> counts = CountImage((4, 3))(ev)
    >>> counts.shape, counts[0].tolist(), counts[1, 1].tolist()
    ((2, 3, 4), [[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [0.0, 0.0, 0.0, 1.0])
    """

    sensor_size: SensorSize

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return to_count_image(events, self.sensor_size)


@dataclass(frozen=True)
class Compose(_Transform):
    """Apply ``transforms`` in order to an events array.

    As in Tonic, a Compose of no transforms is the identity: it returns the array it is given (the
    same object). The input is checked to be an events array whatever the transforms (an
    ``EventsError``, as every transform here gives; was: ``Compose(())`` returned a list as given).
    As in Tonic, a callable of one's own may follow a representation (``EventFrames``,
    ``VoxelGrid``, ``TimeSurface``, ``CountImage``), e.g. ``torch.from_numpy``; a transform of this
    module right after one (or after a Compose ending in one) cannot read its array and is a
    ``ParameterError`` where the pipeline is built, naming both steps. An error of a step names it,
    ``Compose.transforms[i]`` and its repr, before its own message, keeping its type; where the
    step's input was no events array, the message says what the step before gave. An error that is
    no :class:`~evface.errors.EvfaceError` (a bug in a callable of one's own) is raised as it is,
    the step named in a note under its traceback.

    Parameters
    ----------
    transforms : sequence of callable
        The steps, in order: the first takes the events, each next one what the step before gave.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> ev = make_events([0, 1], [0, 5], [0, 5], [1, 1])
    >>> Compose((Crop((4, 4, 2, 2)), FlipPolarity()))(ev)[["x", "y", "p"]].tolist()
    [(1, 1, -1)]
    >>> Compose([FlipPolarity()])  # a list is kept as a tuple, like every field of a frozen transform
    Compose(transforms=(FlipPolarity(),))
    >>> Compose(())(ev) is ev
    True
    >>> Compose((CountImage((8, 8)), np.ravel))(ev).shape  # a callable of one's own after a representation
    (128,)
    >>> Compose((CountImage((8, 8)), FlipPolarity()))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: Compose.transforms[1] FlipPolarity() takes events, but transforms[0] CountImage(sensor_size=(8, 8)) gives none (a representation): move the representation after it (only callables of one's own, such as torch.from_numpy, may follow a representation)
    """

    transforms: Sequence[Callable[[np.ndarray], np.ndarray]]

    def __post_init__(self) -> None:
        if isinstance(self.transforms, (str, bytes)) or not isinstance(self.transforms, Sequence):
            raise ParameterError(f"Compose.transforms must be a sequence of transforms, got {self.transforms!r}")
        for i, transform in enumerate(self.transforms):
            if not callable(transform):
                raise ParameterError(f"Compose.transforms[{i}] must be a transform (callable), got {transform!r}")
            if i and isinstance(transform, _Transform) and _gives_no_events(self.transforms[i - 1]):
                raise ParameterError(
                    f"Compose.transforms[{i}] {transform!r} takes events, but transforms[{i - 1}] "
                    f"{self.transforms[i - 1]!r} gives none (a representation): move the representation after "
                    "it (only callables of one's own, such as torch.from_numpy, may follow a representation)")
        super().__post_init__()

    def __call__(self, events: np.ndarray) -> np.ndarray:
        check_array(events)
        for i, transform in enumerate(self.transforms):
            events = _step(i, transform, events)
        return events


_REPRESENTATIONS = (EventFrames, VoxelGrid, TimeSurface, CountImage)
"""The transforms that give an array of no events (frames, a grid, a surface or an image)."""


def _gives_no_events(transform: object) -> bool:
    """Whether ``transform`` surely gives no events: a representation, or a Compose ending in one.

    Examples
    --------
    >>> _gives_no_events(CountImage((4, 4))), _gives_no_events(Compose((CountImage((4, 4)), np.ravel)))
    (True, False)
    """
    if isinstance(transform, Compose):
        return bool(transform.transforms) and _gives_no_events(transform.transforms[-1])
    return isinstance(transform, _REPRESENTATIONS)


def _step(i: int, transform: Callable[[np.ndarray], np.ndarray], events: np.ndarray) -> np.ndarray:
    """``transform(events)``; an error of it names the step ``Compose.transforms[i]`` (see :class:`Compose`)."""
    try:
        return transform(events)
    except EvfaceError as exc:
        exc.args = (f"Compose.transforms[{i}] {transform!r}: {exc}{_input_note(i, events)}",)
        raise
    except Exception as exc:
        exc.add_note(f"raised by Compose.transforms[{i}] {transform!r}")
        raise


def _input_note(i: int, value: object) -> str:
    """What the step before step ``i`` gave, when it is no events array; else nothing."""
    try:
        check_array(value)
    except EventsError:
        what = f"a {value.dtype} array of shape {value.shape}" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
        return f"; its input, what transforms[{i - 1}] gave, is {what}, not events"
    return ""


__all__ = [
    "AntiFlicker",
    "Compose",
    "CountImage",
    "Crop",
    "Denoise",
    "DropEvents",
    "EventFrames",
    "FlipLR",
    "FlipPolarity",
    "FlipUD",
    "RefractoryFilter",
    "Resample",
    "Shift",
    "TimeSlice",
    "TimeSurface",
    "UniformNoise",
    "VoxelGrid",
]
