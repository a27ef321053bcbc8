"""Transforms: frozen, delegate to the pure functions, seeded, composable."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import EventsError, ParameterError
from evface.events import ops
from evface.events.core import make_events, slice_time
from evface.events.representations import to_event_frames, to_time_surface, to_voxel_grid
from evface.events.transforms import (
    Compose,
    CountImage,
    Crop,
    Denoise,
    DropEvents,
    EventFrames,
    FlipLR,
    FlipPolarity,
    FlipUD,
    RefractoryFilter,
    Resample,
    Shift,
    TimeSlice,
    TimeSurface,
    UniformNoise,
    VoxelGrid,
)

SENSOR = (16, 12)


def stream(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return make_events(
        np.sort(rng.integers(0, 10_000, n)),
        rng.integers(0, SENSOR[0], n),
        rng.integers(0, SENSOR[1], n),
        rng.choice([-1, 1], n),
        SENSOR,
    )


EVENTS = stream()


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        (TimeSlice(1000, 5000), lambda ev: slice_time(ev, 1000, 5000)),
        (Crop((2, 3, 8, 5)), lambda ev: ops.crop(ev, (2, 3, 8, 5))),
        (FlipLR(SENSOR), lambda ev: ops.flip_lr(ev, SENSOR)),
        (FlipUD(SENSOR), lambda ev: ops.flip_ud(ev, SENSOR)),
        (FlipPolarity(), ops.flip_polarity),
        (Shift(3, -2, SENSOR), lambda ev: ops.shift(ev, 3, -2, SENSOR)),
        (Resample(SENSOR, (4, 3)), lambda ev: ops.resample_sensor(ev, SENSOR, (4, 3))),
        (RefractoryFilter(SENSOR, 500), lambda ev: ops.refractory_filter(ev, SENSOR, 500)),
        (Denoise(SENSOR, 2000), lambda ev: ops.background_activity_filter(ev, SENSOR, 2000)),
        (EventFrames(SENSOR, 3, 100, 9000), lambda ev: to_event_frames(ev, SENSOR, 3, 100, 9000)),
        (
            EventFrames(SENSOR, 2, binary=True),
            lambda ev: to_event_frames(ev, SENSOR, 2, ev["t"][0], ev["t"][-1], binary=True),
        ),
        (VoxelGrid(SENSOR, 4), lambda ev: to_voxel_grid(ev, SENSOR, 4, ev["t"][0], ev["t"][-1])),
        (TimeSurface(SENSOR, 1000.0, 5000), lambda ev: to_time_surface(ev, SENSOR, 5000, 1000.0)),
    ],
)
def test_transform_delegates_to_pure_function(transform, expected):
    np.testing.assert_array_equal(transform(EVENTS), expected(EVENTS))


def test_transforms_are_frozen_and_hashable():
    transform = Crop((0, 0, 4, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        transform.roi = (1, 1, 2, 2)  # type: ignore[misc]
    assert hash(transform) == hash(Crop((0, 0, 4, 4)))


def test_fields_given_as_lists_are_kept_as_tuples():
    """Were kept as given: a frozen transform built with a list (``FlipLR([346, 260])``, ``Compose([...])``)
    could not be hashed, and changed when the list did."""
    roi = [0, 0, 4, 4]
    pipeline = Compose([Crop(roi), FlipLR(np.array([4, 4])), EventFrames([4, 4], n_bins=2)])
    roi[2] = 1
    assert pipeline == Compose((Crop((0, 0, 4, 4)), FlipLR((4, 4)), EventFrames((4, 4), n_bins=2)))
    assert hash(pipeline) == hash(Compose((Crop((0, 0, 4, 4)), FlipLR((4, 4)), EventFrames((4, 4), n_bins=2))))
    assert pipeline.transforms[0].roi == (0, 0, 4, 4) and type(pipeline.transforms[1].sensor_size[0]) is int


def test_default_windows_follow_the_events():
    frames = EventFrames(SENSOR, 5)(EVENTS)
    assert frames.sum() == EVENTS.size  # the last event sits on the window end and is kept
    assert VoxelGrid(SENSOR, 5)(EVENTS).sum() == pytest.approx(int(EVENTS["p"].sum()), abs=1e-3)
    last = EVENTS[-1]
    assert TimeSurface(SENSOR, 100.0)(EVENTS)[0 if last["p"] > 0 else 1, last["y"], last["x"]] == 1.0
    assert CountImage(SENSOR)(EVENTS).sum() == EVENTS.size
    assert EventFrames(SENSOR, 2)(EVENTS[:0]).shape == (2, 2, SENSOR[1], SENSOR[0])
    # a given side is never crossed by one taken from the events
    assert EventFrames(SENSOR, 2, t_start_us=20_000)(EVENTS).sum() == 0
    assert VoxelGrid(SENSOR, 2, t_end_us=-5)(EVENTS).sum() == 0
    assert EventFrames(SENSOR, 2, t_end_us=5_000)(EVENTS).sum() == np.count_nonzero(EVENTS["t"] <= 5_000)


def test_int_seed_repeats_and_generator_advances():
    drop = DropEvents(0.5, seed=4)
    np.testing.assert_array_equal(drop(EVENTS), drop(EVENTS))
    a, b = DropEvents(0.5, np.random.default_rng(4)), DropEvents(0.5, np.random.default_rng(4))
    first, second = a(EVENTS), a(EVENTS)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, b(EVENTS))
    np.testing.assert_array_equal(second, b(EVENTS))
    noise = UniformNoise(SENSOR, 20, seed=1)
    np.testing.assert_array_equal(noise(EVENTS), noise(EVENTS))
    assert noise(EVENTS).size == EVENTS.size + 20


@pytest.mark.parametrize("seed", [None, 1.5, True, "0", -1])
def test_bad_seed_raises(seed):
    with pytest.raises(ParameterError, match="seed"):
        DropEvents(0.1, seed)(EVENTS)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 50),
    st.integers(0, SENSOR[0] - 1),
    st.integers(0, SENSOR[1] - 1),
    st.integers(1, 8),
    st.integers(1, 8),
)
def test_compose_applies_in_order(seed, x0, y0, w, h):
    events = stream(60, seed)
    roi = (x0, y0, w, h)
    assert Compose((FlipLR(SENSOR), FlipLR(SENSOR)))(events).tolist() == events.tolist()
    counts = Compose((Crop(roi), CountImage((w, h))))(events)
    x, y = events["x"].astype(int), events["y"].astype(int)
    assert counts.sum() == np.count_nonzero((x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h))
    flipped_then_cropped = Compose((FlipPolarity(), Crop(roi)))(events)
    np.testing.assert_array_equal(flipped_then_cropped, ops.flip_polarity(ops.crop(events, roi)))
    assert Compose(())(events) is events


@pytest.mark.parametrize("transform", [EventFrames(SENSOR, 2), VoxelGrid(SENSOR, 2)])
def test_a_window_taken_from_unsorted_events_is_refused(transform):
    """Was: reversed events gave the window [last, first] and frames of zeros without a word (the
    binary search over an unsorted array found no event in it)."""
    with pytest.raises(EventsError, match="not sorted"):
        transform(EVENTS[::-1].copy())


@pytest.mark.parametrize("transform", [EventFrames(SENSOR, 2, 0, 100), VoxelGrid(SENSOR, 2, 0, 100),
                                       Compose((EventFrames(SENSOR, 2, 0, 100),))])
def test_a_list_given_to_a_representation_with_its_whole_window_set_is_named(transform):
    """Was: "list indices must be integers or slices, not str" (a TypeError from the window code,
    which read the times before checking the array when no side was left to take from it)."""
    with pytest.raises(EventsError, match=r"^events must be a 1-D array of dtype .*, got list$"):
        transform(EVENTS.tolist())


@pytest.mark.parametrize(("transforms", "message"), [
    (None, r"^Compose\.transforms must be a sequence of transforms, got None$"),
    (FlipPolarity(), r"^Compose\.transforms must be a sequence of transforms, got FlipPolarity\(\)$"),
    ((FlipPolarity(), 1), r"^Compose\.transforms\[1\] must be a transform \(callable\), got 1$"),
])
def test_compose_of_no_transforms_is_refused_where_it_is_built(transforms, message):
    """Were: TypeError "'NoneType' object is not iterable" or "'int' object is not callable" at the
    first call, far from where the pipeline was written."""
    with pytest.raises(ParameterError, match=message):
        Compose(transforms)


def test_an_error_of_a_composed_step_names_the_step_and_keeps_its_type():
    """Was: "events must be a 1-D array ..., got float32" with no word of which step of the
    pipeline failed, or that its input came from the step before it."""
    def as_frames(events):
        return EventFrames(SENSOR, 2)(events)

    with pytest.raises(EventsError, match=r"^Compose\.transforms\[1\] FlipPolarity\(\): events must be a 1-D array of "
                                          r"dtype .*, got float32; its input, what transforms\[0\] gave, is a float32 "
                                          r"array of shape \(2, 2, 12, 16\), not events$"):
        Compose((as_frames, FlipPolarity()))(EVENTS)
    with pytest.raises(ParameterError, match=r"^Compose\.transforms\[1\] DropEvents\(fraction=2\.0, seed=0\): "
                                             r"drop fraction must be a finite number in \[0, 1\], got 2\.0$"):
        Compose((FlipPolarity(), DropEvents(2.0, 0)))(EVENTS)
    # a transform called alone: its message as it was
    with pytest.raises(ParameterError, match=r"^drop fraction must be a finite number in \[0, 1\], got 2\.0$"):
        DropEvents(2.0, 0)(EVENTS)


@pytest.mark.parametrize(("before", "after"), [
    (EventFrames(SENSOR, 2), FlipPolarity()),
    (CountImage(SENSOR), Compose(())),
    (Compose((Crop((0, 0, 4, 4)), TimeSurface((4, 4), 100.0))), VoxelGrid((4, 4), 2)),
])
def test_a_transform_after_a_representation_is_refused_where_the_pipeline_is_built(before, after):
    """Was: accepted, then an EventsError at the first call, far from where the pipeline was written."""
    message = (rf"^Compose\.transforms\[2\] {re.escape(repr(after))} takes events, but transforms\[1\] "
               rf"{re.escape(repr(before))} gives none \(a representation\): move the representation after it")
    with pytest.raises(ParameterError, match=message):
        Compose((FlipLR(SENSOR), before, after))


def test_a_callable_of_ones_own_may_follow_a_representation():
    """As in Tonic (``ToFrame`` then ``torch.from_numpy``); an evface transform after that callable
    is not refused, as the callable may give events again."""
    flat = Compose((CountImage(SENSOR), np.ravel))(EVENTS)
    np.testing.assert_array_equal(flat, CountImage(SENSOR)(EVENTS).ravel())
    again = Compose((CountImage(SENSOR), lambda _: EVENTS, FlipPolarity()))(EVENTS)
    np.testing.assert_array_equal(again, FlipPolarity()(EVENTS))


def test_an_error_of_ones_own_composed_callable_is_raised_as_it_is_with_the_step_in_a_note():
    def broken(events):
        raise KeyError("t")

    with pytest.raises(KeyError) as raised:
        Compose((FlipPolarity(), broken))(EVENTS)
    assert str(raised.value) == "'t'"
    assert raised.value.__notes__ == [f"raised by Compose.transforms[1] {broken!r}"]


@pytest.mark.parametrize("transforms", [(), (FlipPolarity(),)])
def test_compose_takes_an_events_array_with_or_without_transforms(transforms):
    """Was: Compose(()) returned a list given to it as it was (with a transform: an EventsError)."""
    with pytest.raises(EventsError, match=r"^events must be a 1-D array of dtype .*, got list$"):
        Compose(transforms)(EVENTS.tolist())


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.Philox])
def test_a_generator_seeded_transform_augments_anew_in_each_dataloader_worker_and_epoch(bit_generator):
    """A torch ``DataLoader`` copies the transform, generator and all, into each worker, again each
    epoch (without ``persistent_workers``): the two workers dropped the same events, and every epoch
    repeated the first. Each worker's copy now takes a state of its own, reproducibly from torch's seed."""
    import torch  # lazy: the transforms never import torch

    events = make_events(np.arange(200), np.zeros(200), np.zeros(200), np.ones(200))

    class Copies(torch.utils.data.Dataset):
        def __init__(self, transform):
            self.transform = transform

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return torch.from_numpy(self.transform(events)["t"].astype(np.int64))

    def epochs():
        torch.manual_seed(0)
        data = Copies(DropEvents(0.5, seed=np.random.Generator(bit_generator(np.random.SeedSequence(3)))))
        loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=2)
        return [[tuple(t.tolist()) for t in loader] for _ in range(2)]

    first, second = epochs()
    assert len(set(first)) == 8 and not set(first) & set(second)  # no two workers, nor epochs, alike
    assert epochs() == [first, second]  # reproducible from torch's seed
    in_process = DropEvents(0.5, seed=np.random.Generator(bit_generator(np.random.SeedSequence(3))))(events)
    expected = ops.drop_random(events, 0.5, np.random.Generator(bit_generator(np.random.SeedSequence(3))))
    assert in_process["t"].tolist() == expected["t"].tolist()  # outside a worker: the generator as given
