"""The events data model: construction, validation, concatenation, time slicing."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import EventsError, ParameterError
from evface.events.core import (
    EVENT_DTYPE,
    check_stream,
    concatenate,
    duration_us,
    empty_events,
    make_events,
    polarity_to_signed,
    search_time,
    slice_time,
    time_slice,
    validate_events,
)
from evface.events.integration import leaky_counts
from evface.events.representations import to_voxel_grid

FAST = settings(max_examples=60, deadline=None)


@st.composite
def streams(draw, max_events: int = 40):
    n = draw(st.integers(0, max_events))
    t = sorted(draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)))
    p = draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n))
    return make_events(t, np.arange(n) % 7, np.arange(n) % 5, p, (7, 5))


def test_make_events_fields_and_dtype():
    events = make_events([0, 3, 3], [1, 2, 6], [0, 4, 4], [1, -1, 1], (7, 5))
    assert events.dtype == EVENT_DTYPE
    assert events.tolist() == [(0, 1, 0, 1), (3, 2, 4, -1), (3, 6, 4, 1)]


@pytest.mark.parametrize("p", [[1, 0], [True, False], [1, -1], np.array([1, -1], np.int8)])
def test_polarity_encodings_map_to_signed(p):
    assert make_events([0, 1], [0, 0], [0, 0], p)["p"].tolist() == [1, -1]


def test_polarity_to_signed_rejects_other_values():
    with pytest.raises(EventsError, match="polarity"):
        polarity_to_signed(np.array([0, 2]))


@pytest.mark.parametrize(
    ("columns", "sensor", "message"),
    [
        (([1, 0], [0, 0], [0, 0], [1, 1]), None, "not sorted"),
        (([0, 1], [0, 7], [0, 0], [1, 1]), (7, 5), "outside the 7x5 sensor"),
        (([0, 1], [0, 0], [0, 5], [1, 1]), (7, 5), "outside the 7x5 sensor"),
        (([0, 1], [0, -1], [0, 0], [1, 1]), None, "x outside"),
        (([0, 1], [0, 0], [0, 70000], [1, 1]), None, "y outside"),
        (([0, 1], [0, 0], [0, 0], [1, 2]), None, "polarity"),
        (([0, 1], [0, 0], [0, 0], [-1, 0]), None, "polarity"),
        (([0, 0.5], [0, 0], [0, 0], [1, 1]), None, "whole microseconds"),
        (([0, 1], [0], [0, 0], [1, 1]), None, "column 'x'"),
    ],
)
def test_make_events_rejects_bad_columns_naming_the_source(columns, sensor, message):
    with pytest.raises(EventsError, match=message) as info:
        make_events(*columns, sensor, source="cam.csv")
    assert str(info.value).startswith("cam.csv: ")


def test_validate_rejects_wrong_dtype_and_shape():
    wrong = np.zeros(2, dtype=[("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "?")])
    with pytest.raises(EventsError, match="dtype"):
        validate_events(wrong, source="a.h5")
    with pytest.raises(EventsError, match="dtype"):
        validate_events([(0, 0, 0, 1)])
    with pytest.raises(EventsError, match="1-D"):
        validate_events(empty_events(4).reshape(2, 2))


TONIC = [("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")]


@pytest.mark.parametrize("check", [validate_events, slice_time, lambda a: concatenate([a])])
@pytest.mark.parametrize("dtype", [TONIC, [("t", ">i8"), ("x", ">u2"), ("y", ">u2"), ("p", "i1")],
                                   EVENT_DTYPE.descr + [("q", "<f4")]])
def test_a_structured_array_of_other_fields_is_told_how_to_become_events(check, dtype):
    """Was: "events must ... have dtype ..., got [('x', '<i8'), ...]" and nothing more, where
    ``a.astype(EVENT_DTYPE)``, the cast that comes to mind, matches fields by position (Tonic's x
    into t)."""
    a = np.zeros(3, dtype)
    a["t"], a["x"], a["p"] = [0, 1, 2], [3, 4, 5], [0, 1, 0]
    with pytest.raises(EventsError, match=r"; make_events\(a\['t'\], a\['x'\], a\['y'\], a\['p'\]\) builds one from it$"):
        check(a)
    made = make_events(a["t"], a["x"], a["y"], a["p"])
    assert made["t"].tolist() == [0, 1, 2] and made["x"].tolist() == [3, 4, 5] and made["p"].tolist() == [-1, 1, -1]


def test_an_events_array_of_two_axes_is_given_no_such_hint():
    with pytest.raises(EventsError, match=r"got \[\('t', '<i8'\), \('x', '<u2'\), \('y', '<u2'\), \('p', 'i1'\)\]$"):
        slice_time(empty_events(4).reshape(2, 2))


def test_validate_rejects_bad_polarity_and_returns_input():
    events = make_events([0, 1], [0, 0], [0, 0], [1, -1])
    assert validate_events(events, (1, 1)) is events
    events["p"][1] = 0
    with pytest.raises(EventsError, match="polarity"):
        validate_events(events)


def test_check_stream_names_an_event_of_bad_polarity_by_index_time_and_coordinates():
    """Was "event 11 has polarity 0, expected -1 or +1": no time or place to find it by, where one
    off the sensor was named "event 11 at t=5 µs (x=2, y=1)"."""
    events = make_events([0, 5, 9], [1, 2, 3], [0, 1, 1], [1, 1, -1])
    events["p"][1] = 0
    with pytest.raises(EventsError, match=r"^event 11 at t=5 µs \(x=2, y=1\) has polarity 0, expected -1 or \+1$"):
        check_stream(events, (4, 4), first=10)


def test_concatenate_checks_order_unless_sorting():
    a = make_events([0, 5], [0, 0], [0, 0], [1, 1])
    b = make_events([3, 9], [1, 1], [1, 1], [-1, -1])
    with pytest.raises(EventsError, match="not sorted"):
        concatenate([a, b])
    assert concatenate([a, b], sort=True)["t"].tolist() == [0, 3, 5, 9]
    assert concatenate([a, empty_events(), b[1:]])["t"].tolist() == [0, 5, 9]
    assert concatenate([]).size == 0


@FAST
@given(streams(), st.integers(-10, 510), st.integers(-10, 510))
def test_slice_is_a_half_open_view(events, t0, t1):
    t0, t1 = min(t0, t1), max(t0, t1)
    part = slice_time(events, t0, t1)
    expected = events[(events["t"] >= t0) & (events["t"] < t1)]
    np.testing.assert_array_equal(part, expected)
    if part.size:
        assert np.shares_memory(part, events)


@FAST
@given(streams(), st.lists(st.integers(-10, 510), min_size=1, max_size=5))
def test_adjacent_slices_partition_the_stream(events, cuts):
    edges = [None, *sorted(cuts), None]
    parts = [slice_time(events, a, b) for a, b in pairwise(edges)]
    np.testing.assert_array_equal(concatenate(parts), events)


def test_open_sides_and_duration():
    events = make_events([0, 10, 20], [0] * 3, [0] * 3, [1] * 3)
    assert slice_time(events, None, 10)["t"].tolist() == [0]
    assert slice_time(events, 10, None)["t"].tolist() == [10, 20]
    assert time_slice(events, 15, 15) == slice(2, 2)
    assert duration_us(events) == 20 and duration_us(events[:1]) == 0


def test_a_backwards_slice_is_refused_as_by_the_representations():
    """slice_time(ev, 30, 10) gave an empty slice while to_voxel_grid refused the same window."""
    events = make_events([0, 10, 20, 30], [0] * 4, [0] * 4, [1] * 4)
    for call in (lambda: slice_time(events, 30, 10), lambda: time_slice(events, 30, 10)):
        with pytest.raises(ParameterError, match=r"^t_end_us \(10\) must be >= t_start_us \(30\)$"):
            call()


def test_a_search_side_other_than_left_or_right_is_refused_for_every_column():
    """Was: a strided column (``events["t"]``) searched as 'left', a contiguous one NumPy's ValueError."""
    events = make_events([0, 10, 10, 30], [0] * 4, [0] * 4, [1] * 4)
    for column in (events["t"], np.ascontiguousarray(events["t"])):
        with pytest.raises(ParameterError, match=r"^side must be 'left' or 'right', got 'bogus'$"):
            search_time(column, 10, side="bogus")


def test_events_out_of_time_order_are_refused_before_a_binary_search():
    """Was: slice_time of np.concatenate([a, b]) (two streams over the same second) gave b's
    events of the window and none of a's, of a reversed or shuffled array whatever the bisection
    met; to_voxel_grid and leaky_counts likewise: silently."""
    n = 100_000
    a = make_events(np.arange(n) * 10, np.zeros(n), np.zeros(n), np.ones(n))
    joined = np.concatenate([a, a])
    shuffled = np.random.default_rng(0).permutation(a)
    message = r"^timestamps not sorted: t\[\d+\]=\d+ < t\[\d+\]=\d+; a time window is found by binary search"
    for events in (joined, a[::-1], shuffled):
        for call in (lambda: slice_time(events, 250_000, 750_000), lambda: time_slice(events, None, 10),
                     lambda: to_voxel_grid(events, (1, 1), 2, 250_000, 750_000),
                     lambda: leaky_counts(events, (1, 1), 250_000, 750_000, 0.0)):
            with pytest.raises(EventsError, match=message):
                call()
    assert slice_time(concatenate([a, a], sort=True), 250_000, 750_000).size == 2 * 50_000  # sorted: taken


def test_no_events_array_or_list_of_them_is_named():
    """Were: slice_time of a list "list indices must be integers or slices, not str"; concatenate of
    one array "events must be a 1-D array of dtype D, got D" (its records taken as chunks), of None
    "'NoneType' object is not iterable"."""
    events = make_events([0, 10], [0, 0], [0, 0], [1, 1])
    with pytest.raises(EventsError, match="^events must be a 1-D array of dtype .*, got list$"):
        slice_time([1, 2], 0, 5)
    with pytest.raises(EventsError, match="^events must be a 1-D array of dtype .*, got list$"):
        duration_us([1, 2])  # was: "'list' object has no attribute 'size'"
    with pytest.raises(EventsError, match=r"^chunks must be a list of events arrays, got ndarray \(one events array: "
                                          r"put it in a list\)$"):
        concatenate(events)
    with pytest.raises(EventsError, match="^chunks must be a list of events arrays, got NoneType$"):
        concatenate(None)
    assert concatenate((events, events[:0])).tolist() == events.tolist()


@pytest.mark.parametrize(
    ("t", "x", "message"),
    [
        ([0, 1e30], [0, 0], r"timestamps outside the int64 range of µs \(0\.\.1000000000000000019884624838656\)"),
        (np.array([0, 2**63 + 5], np.uint64), [0, 0], r"timestamps outside the int64 range of µs \(0\.\.9223372036854775813\)"),
        ([0, 2**63 + 5, -1], [0, 0, 0], r"timestamps outside the int64 range of µs \(-1\.\.9223372036854775813\)$"),
        ([0, 2**64 + 1], [0, 0], r"timestamps outside the int64 range of µs \(0\.\.18446744073709551617\)$"),
        ([0, 1], [0, 2**64], r"^x outside 0\.\.65535$"),
        ([0, 1], np.array([0, 1 + 1j]), "column 'x' must hold real numbers, got dtype complex128"),
        (0, 0, r"column 't' must be 1-D, got shape \(\)"),
    ],
)
def test_make_events_refuses_columns_it_would_cast_wrongly(t, x, message):
    """Were: a timestamp of 1e30 stored as -2^63 and a uint64 past 2^63 - 1 wrapped negative, both
    without a word; the imaginary part of a complex x dropped with a ComplexWarning; a scalar t
    "column 'x' has shape (), expected () like 't'"; a list of ints holding one past 2^63 - 1 and a
    negative one, which NumPy makes float64, "(-1..9223372036854775808)" for 2^63 + 5, and one with
    an int past 2^64 - 1 (objects to NumPy) "must hold real numbers, got dtype object"."""
    with pytest.raises(EventsError, match=message):
        make_events(t, x, np.zeros_like(x, dtype=int), np.ones_like(x, dtype=int))


def test_concatenate_checks_the_chunks_also_when_sorting():
    """Were: sort=True returned any structured array unchecked (bool polarity kept), and a list in
    the chunks an AttributeError."""
    bool_polarity = np.zeros(2, dtype=[("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "?")])
    with pytest.raises(EventsError, match="dtype"):
        concatenate([bool_polarity], sort=True)
    with pytest.raises(EventsError, match="got list"):
        concatenate([[0, 1]])
    bad = make_events([0, 1], [0, 0], [0, 0], [1, 1])
    bad["p"][1] = 0
    with pytest.raises(EventsError, match="polarity"):
        concatenate([bad], sort=True)


def test_duration_of_a_stream_spanning_more_than_int64():
    """Was: the int64 subtraction wrapped, a negative duration."""
    events = make_events([-(2**62) - 2**61, 2**62 + 2**61], [0, 0], [0, 0], [1, 1])
    assert duration_us(events) == 2**63 + 2**62
