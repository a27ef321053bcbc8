"""Operations on events: crop, flips, shift, resampling, filters, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface import checks
from evface.errors import EventsError, ParameterError
from evface.events.core import empty_events, make_events, validate_events
from evface.events.ops import (
    add_uniform_noise,
    background_activity_filter,
    crop,
    drop_random,
    flip_lr,
    flip_polarity,
    flip_ud,
    refractory_filter,
    resample_sensor,
    shift,
)

FAST = settings(max_examples=60, deadline=None)


@st.composite
def streams(draw, max_events: int = 40):
    """A sorted events array on a small random sensor, with its size."""
    width, height = draw(st.integers(1, 12)), draw(st.integers(1, 9))
    n = draw(st.integers(0, max_events))
    col = lambda hi: draw(st.lists(st.integers(0, hi), min_size=n, max_size=n))  # noqa: E731
    t, x, y = sorted(col(1000)), col(width - 1), col(height - 1)
    events = make_events(t, x, y, [1 if v else -1 for v in col(1)], (width, height))
    return events, (width, height)


def one_pixel(t, x=0, y=0):
    return make_events(t, [x] * len(t), [y] * len(t), [1] * len(t))


# --- crop, flips, shift ---------------------------------------------------------------------


@FAST
@given(streams(), st.data())
def test_crop_keeps_the_roi_and_shifts_to_its_origin(stream, data):
    events, (width, height) = stream
    x0, y0 = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, height - 1))
    w, h = data.draw(st.integers(1, width + 2)), data.draw(st.integers(1, height + 2))
    out = crop(events, (x0, y0, w, h))
    x, y = events["x"].astype(int), events["y"].astype(int)
    inside = (x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)
    assert out.size == np.count_nonzero(inside)
    np.testing.assert_array_equal(out["t"], events["t"][inside])
    np.testing.assert_array_equal(out["x"], x[inside] - x0)
    np.testing.assert_array_equal(out["y"], y[inside] - y0)
    validate_events(out, (w, h))


@pytest.mark.parametrize("roi", [(0, 0, 0, 4), (0, 0, 4, -1), (-1, 0, 4, 4)])
def test_crop_rejects_bad_roi(roi):
    with pytest.raises(ParameterError, match="ROI"):
        crop(one_pixel([0]), roi)


@FAST
@given(streams())
def test_flips_are_involutions_that_move_coordinates(stream):
    events, (width, height) = stream
    lr, ud, pol = flip_lr(events, (width, height)), flip_ud(events, (width, height)), flip_polarity(events)
    np.testing.assert_array_equal(lr["x"], width - 1 - events["x"].astype(int))
    np.testing.assert_array_equal(ud["y"], height - 1 - events["y"].astype(int))
    np.testing.assert_array_equal(pol["p"], -events["p"])
    np.testing.assert_array_equal(flip_lr(lr, (width, height)), events)
    np.testing.assert_array_equal(flip_ud(ud, (width, height)), events)
    np.testing.assert_array_equal(flip_polarity(pol), events)
    validate_events(lr, (width, height))


def test_flip_rejects_events_off_the_sensor():
    with pytest.raises(EventsError, match="outside the 4x4 sensor"):
        flip_lr(one_pixel([0], x=4), (4, 4))


@FAST
@given(streams(), st.integers(-5, 5), st.integers(-5, 5))
def test_shift_moves_and_drops_what_leaves(stream, dx, dy):
    events, sensor = stream
    out = shift(events, dx, dy, sensor)
    validate_events(out, sensor)
    x, y = events["x"].astype(int) + dx, events["y"].astype(int) + dy
    stays = (x >= 0) & (x < sensor[0]) & (y >= 0) & (y < sensor[1])
    np.testing.assert_array_equal(out["x"], x[stays])
    np.testing.assert_array_equal(out["t"], events["t"][stays])
    np.testing.assert_array_equal(shift(out, -dx, -dy, sensor), events[stays])


def test_shift_rejects_a_sensor_without_pixels():
    """A (0, 0) sensor dropped every event without a word, where every other op refuses it."""
    with pytest.raises(ParameterError, match=r"sensor_size width must be in \[1, 65536\], got 0"):
        shift(one_pixel([0]), 1, 0, (0, 0))


# --- resampling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"), [((1280, 720), (346, 260)), ((10, 10), (3, 7)), ((5, 5), (5, 5)), ((7, 3), (1, 1))]
)
def test_resample_maps_corners_and_centre(src, dst):
    (w, h), (dw, dh) = src, dst
    x, y = [0, w - 1, 0, w - 1, w // 2], [0, h - 1, h - 1, 0, h // 2]
    events = make_events([0, 1, 2, 3, 4], x, y, [1, -1, 1, -1, 1], src)
    out = resample_sensor(events, src, dst)
    corners = out[["x", "y"]].tolist()
    assert corners[:4] == [(0, 0), (dw - 1, dh - 1), (0, dh - 1), (dw - 1, 0)]
    assert abs(corners[4][0] - dw / 2) <= 1 and abs(corners[4][1] - dh / 2) <= 1
    np.testing.assert_array_equal(out["t"], events["t"])
    np.testing.assert_array_equal(out["p"], events["p"])


def test_upsampling_maps_each_pixel_to_the_one_holding_its_centre():
    events = make_events([0, 1], [0, 3], [0, 2], [1, 1], (4, 3))
    assert resample_sensor(events, (4, 3), (8, 6))[["x", "y"]].tolist() == [(1, 1), (7, 5)]


@FAST
@given(streams(), st.integers(1, 12), st.integers(1, 9))
def test_resample_stays_on_sensor_and_is_monotone(stream, dw, dh):
    events, sensor = stream
    out = resample_sensor(events, sensor, (dw, dh))
    validate_events(out, (dw, dh))
    order = np.argsort(events["x"], kind="stable")
    assert (np.diff(out["x"][order].astype(int)) >= 0).all()


def test_resample_rejects_events_off_the_source():
    with pytest.raises(EventsError, match="outside"):
        resample_sensor(one_pixel([0], x=20), (10, 10), (5, 5))


# --- filters --------------------------------------------------------------------------------


def test_refractory_filter_counts_from_the_last_kept_event():
    # pixel (0, 0): 0 kept, 50 dropped, 99 dropped, 100 kept, 150 dropped, 250 kept
    a = make_events([0, 50, 99, 100, 150, 250], [0] * 6, [0] * 6, [1, -1, 1, -1, 1, 1])
    b = make_events([50, 60], [1, 1], [0, 0], [1, 1])  # another pixel, independent
    events = np.sort(np.concatenate([a, b]), order="t", kind="stable")
    out = refractory_filter(events, (2, 1), 100)
    assert out[["t", "x"]].tolist() == [(0, 0), (50, 1), (100, 0), (250, 0)]
    assert refractory_filter(events, (2, 1), 0).size == events.size


def test_refractory_filter_rejects_bad_input():
    with pytest.raises(ParameterError):
        refractory_filter(one_pixel([0]), (1, 1), -1)
    with pytest.raises(EventsError, match="outside the 1x1 sensor"):
        refractory_filter(one_pixel([0], y=3), (1, 1), 10)
    assert refractory_filter(empty_events(), (1, 1), 10).size == 0


def test_background_activity_filter_keeps_supported_events():
    events = make_events(
        [0, 5, 10, 200, 300, 305, 1000],
        [5, 6, 9, 5, 5, 5, 0],
        [5, 5, 9, 6, 5, 5, 0],
        [1, 1, 1, -1, 1, 1, 1],
    )
    out = background_activity_filter(events, (10, 10), 100)
    # 0: no history; 5: neighbour (5,5) fired 5 µs before; 10: isolated corner; 200: neighbours
    # fired 195 µs before (> 100); 300: neighbour (5,6) fired 100 µs before (kept, inclusive);
    # 305: only its own pixel fired (not support); 1000: isolated corner pixel (0,0)
    assert out["t"].tolist() == [5, 300]


def test_background_activity_filter_window_and_edges():
    events = make_events([0, 50], [0, 1], [0, 1], [1, 1])  # diagonal neighbours at the corner
    assert background_activity_filter(events, (2, 2), 50)["t"].tolist() == [50]
    assert background_activity_filter(events, (2, 2), 49).size == 0
    with pytest.raises(ParameterError):
        background_activity_filter(events, (2, 2), 0)
    with pytest.raises(EventsError):
        background_activity_filter(events, (1, 1), 10)


def refractory_oracle(events, period_us):
    last, keep = {}, []
    for t, x, y, _ in events.tolist():
        ok = (x, y) not in last or t - last[(x, y)] >= period_us
        keep.append(ok)
        if ok:
            last[(x, y)] = t
    return events[np.array(keep, dtype=bool)]


def background_activity_oracle(events, dt_us):
    last, keep = {}, []
    for t, x, y, _ in events.tolist():
        cells = [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
        near = [last[c] for c in cells if c in last]
        keep.append(bool(near) and t - max(near) <= dt_us)
        last[(x, y)] = t
    return events[np.array(keep, dtype=bool)]


@FAST
@given(streams(max_events=60), st.integers(0, 300), st.booleans())
def test_filters_match_a_plain_python_oracle(stream, window_us, long_stream):
    events, sensor = stream
    if long_stream:  # past 2^30 µs the filters keep their state in int64 instead of int32
        events["t"] *= 2**22
        window_us *= 2**22
    np.testing.assert_array_equal(refractory_filter(events, sensor, window_us), refractory_oracle(events, window_us))
    if window_us > 0:
        np.testing.assert_array_equal(
            background_activity_filter(events, sensor, window_us), background_activity_oracle(events, window_us)
        )


def test_filters_with_windows_beyond_int32():
    events = make_events([0, 2**31, 2**31 + 1], [0, 1, 0], [0, 0, 0], [1, 1, 1])
    assert refractory_filter(events, (2, 1), 2**31)["t"].tolist() == [0, 2**31, 2**31 + 1]
    assert refractory_filter(events, (2, 1), 2**31 + 2)["t"].tolist() == [0, 2**31]
    assert background_activity_filter(events, (2, 1), 2**31)["t"].tolist() == [2**31, 2**31 + 1]
    assert background_activity_filter(events, (2, 1), 2**31 - 1)["t"].tolist() == [2**31 + 1]


@pytest.mark.parametrize("window_us", [10, 2**62, 2**63 - 1])
def test_filters_after_a_gap_of_2_62_us_and_with_windows_up_to_int64(window_us):
    # a pixel that never fired was a time 2^62 µs in the past: reached by windows from 2^62 µs
    # (isolated events kept, first events dropped) and overflowing after a gap of 2^62 µs
    gap = 2**62
    events = make_events([0, 1, gap, gap + 1, gap + 2], [0, 1, 5, 0, 4], [0] * 5, [1] * 5)
    np.testing.assert_array_equal(refractory_filter(events, (8, 1), window_us), refractory_oracle(events, window_us))
    np.testing.assert_array_equal(
        background_activity_filter(events, (8, 1), window_us), background_activity_oracle(events, window_us)
    )


def test_filters_refuse_a_stream_spanning_more_than_int64():
    events = make_events([-(2**62), 2**62 + 10], [0, 0], [0, 0], [1, 1])
    for call in (lambda: refractory_filter(events, (1, 1), 1), lambda: background_activity_filter(events, (1, 1), 1)):
        with pytest.raises(EventsError, match=r"from t=-4611686018427387904 to t=4611686018427387914 µs span more"):
            call()

# --- augmentation ---------------------------------------------------------------------------


def test_drop_random_is_seeded_and_bounded():
    events = one_pixel(list(range(1000)))
    a = drop_random(events, 0.3, np.random.default_rng(7))
    b = drop_random(events, 0.3, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert 600 < a.size < 800
    assert drop_random(events, 0.0, np.random.default_rng(0)).size == 1000
    assert drop_random(events, 1.0, np.random.default_rng(0)).size == 0
    with pytest.raises(ParameterError):
        drop_random(events, 1.5, np.random.default_rng(0))


def test_uniform_noise_is_seeded_sorted_and_on_sensor():
    events = make_events([100, 900], [0, 1], [0, 1], [1, -1])
    a = add_uniform_noise(events, (8, 6), 50, np.random.default_rng(3))
    b = add_uniform_noise(events, (8, 6), 50, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    validate_events(a, (8, 6))
    assert a.size == 52 and a["t"].min() == 100 and a["t"].max() == 900
    assert set(a["p"].tolist()) == {-1, 1}
    with pytest.raises(ParameterError):
        add_uniform_noise(events, (8, 6), -1, np.random.default_rng(0))


# --- the events a filter is given -------------------------------------------------------------


def raw(t, x, y, p, dtype=None):
    """An array of ``dtype`` (the events dtype by default) that make_events would refuse."""
    events = np.zeros(len(t), dtype=dtype or empty_events().dtype)
    events["t"], events["x"], events["y"], events["p"] = t, x, y, p
    return events


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ev: refractory_filter(ev, (2, 1), 3), "not sorted"),
        (lambda ev: background_activity_filter(ev, (2, 1), 3), "not sorted"),
        (lambda ev: add_uniform_noise(ev, (2, 1), 3, np.random.default_rng(0)), "not sorted"),
        (lambda ev: flip_lr(ev, (2, 1)), "not sorted"),
    ],
)
def test_operations_that_need_the_time_order_refuse_unsorted_events(call, message):
    """Were: the filters kept or dropped events by negative time differences without a word (the
    refractory filter kept [10, 5] of [10, 5, 0] at 3 µs), and the noise drew from a backwards span
    with numpy's "low >= high"."""
    with pytest.raises(EventsError, match=message):
        call(raw([10, 5, 0], [0, 1, 1], [0, 0, 0], [1, -1, 1]))


@pytest.mark.parametrize(
    "call",
    [
        lambda ev: crop(ev, (0, 0, 2, 2)),
        lambda ev: flip_lr(ev, (2, 2)),
        lambda ev: flip_polarity(ev),
        lambda ev: shift(ev, 1, 0, (2, 2)),
        lambda ev: refractory_filter(ev, (2, 2), 3),
        lambda ev: background_activity_filter(ev, (2, 2), 3),
        lambda ev: drop_random(ev, 0.5, np.random.default_rng(0)),
        lambda ev: add_uniform_noise(ev, (2, 2), 1, np.random.default_rng(0)),
    ],
)
def test_operations_refuse_an_array_of_another_dtype(call):
    """Were: float fields ran the background-activity filter to an empty result, int64 x/y and bool
    polarity cropped and flipped as if valid, a bool polarity's flip numpy's TypeError."""
    floats = raw([0, 1], [0, 1], [0, 0], [1, 1], [("t", "<f8"), ("x", "<f8"), ("y", "<f8"), ("p", "<f8")])
    with pytest.raises(EventsError, match="must be a 1-D array of dtype"):
        call(floats)
    with pytest.raises(EventsError, match="got list"):
        call([(0, 0, 0, 1)])


def test_flip_polarity_refuses_a_polarity_of_zero_and_one():
    """Was: an array filled by hand with polarity {0, 1} (as files and Tonic hold it) flipped to
    {0, -1}: the OFF events kept, the ON events made OFF, without a word."""
    with pytest.raises(EventsError, match=r"^event 0 at t=0 µs \(x=0, y=0\) has polarity 0, expected -1 or \+1$"):
        flip_polarity(raw([0, 1], [0, 1], [0, 0], [0, 1]))


def test_shift_refuses_events_off_the_sensor_like_the_flips():
    """Was: an event at x=50 on a 2-pixel-wide sensor shifted by -49 landed on it without a word."""
    with pytest.raises(EventsError, match="outside the 2x1 sensor"):
        shift(one_pixel([0], x=50), -49, 0, (2, 1))


def test_augmentations_name_a_random_generator_that_is_not_one():
    """Was: AttributeError "'int' object has no attribute 'random'"."""
    with pytest.raises(ParameterError, match="rng must be a numpy.random.Generator, got 3"):
        drop_random(one_pixel([0]), 0.5, 3)
    with pytest.raises(ParameterError, match="rng must be a numpy.random.Generator, got 3"):
        add_uniform_noise(one_pixel([0]), (1, 1), 2, 3)


def test_uniform_noise_over_the_whole_int64_span_and_beyond_memory(monkeypatch):
    """Were: numpy's "low >= high" (the last time + 1 wrapped) and a MemoryError of 11.5 PiB."""
    events = one_pixel([-(2**63), 2**63 - 1])
    out = add_uniform_noise(events, (1, 1), 5, np.random.default_rng(0))
    assert out.size == 7 and validate_events(out, (1, 1)) is out
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}  # a machine of 1 GiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    with pytest.raises(ParameterError, match=r"adding n=100000000 noise events takes about .* GiB, more than half "
                                             r"of this machine's 1 GiB; give a smaller n"):
        add_uniform_noise(events, (1, 1), 10**8, np.random.default_rng(0))


@pytest.mark.parametrize(("name", "call"), [
    ("refractory", lambda ev: refractory_filter(ev, (12000, 12000), 10)),
    ("background-activity", lambda ev: background_activity_filter(ev, (12000, 12000), 10)),
])
def test_a_filter_whose_pixel_state_exceeds_memory_is_refused_by_sensor_size(monkeypatch, name, call):
    """Was: the per-pixel times allocated and filled whatever their size (16 GiB of them for one
    event on a 65536x65536 sensor, past a 24 GiB machine's half)."""
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}  # a machine of 1 GiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    with pytest.raises(ParameterError, match=rf"^the {name} filter's last times on a 12000x12000 sensor_size takes "
                                             r"about 0\.5 GiB, more than half of this machine's 1 GiB; give a smaller "
                                             r"sensor_size"):
        call(one_pixel([0, 5]))
