"""The anti-flicker filter (``ops.anti_flicker_filter``, ``transforms.AntiFlicker``): a flickering
patch is removed, motion and flicker outside the band are kept, bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from evface import checks
from evface.errors import EventsError, ParameterError
from evface.events.core import concatenate, empty_events, make_events
from evface.events.ops import anti_flicker_filter
from evface.events.transforms import AntiFlicker, Compose, Crop

SENSOR = (24, 8)
PATCH = (4, 4)
"""The flickering patch: pixels x 0-3, y 0-3."""


def flicker(hz: float, t_end_us: int, rng: np.random.Generator, per_burst: int = 2, jitter_us: int = 150,
            x0: int = 0) -> np.ndarray:
    """Every pixel of the patch at ``x0`` fires ``per_burst`` ON events as the lamp brightens and as many
    OFF events as it dims, at ``hz``, its times jittered by up to ``jitter_us``."""
    period = 1e6 / hz
    t, x, y, p = [], [], [], []
    for cycle in range(int(t_end_us / period)):
        for half, polarity in ((0.0, 1), (0.5, -1)):
            for px in range(PATCH[0]):
                for py in range(PATCH[1]):
                    times = (cycle + half) * period + rng.integers(-jitter_us, jitter_us + 1, per_burst) + jitter_us
                    t += times.tolist()
                    x += [x0 + px] * per_burst
                    y += [py] * per_burst
                    p += [polarity] * per_burst
    order = np.argsort(t, kind="stable")
    return make_events(np.array(t)[order], np.array(x)[order], np.array(y)[order], np.array(p)[order], SENSOR)


def moving_edge(t_end_us: int) -> np.ndarray:
    """A bright bar 4 pixels wide crossing x 8-23, every row: ON as its leading edge reaches a pixel,
    OFF as its trailing edge leaves it, 4 steps later."""
    t, x, y, p = [], [], [], []
    step_us = t_end_us // 20
    for step, column in enumerate(range(8, 24)):
        for row in range(SENSOR[1]):
            t += [step * step_us, (step + 4) * step_us]
            x += [column, column]
            y += [row, row]
            p += [1, -1]
    order = np.argsort(t, kind="stable")
    return make_events(np.array(t)[order], np.array(x)[order], np.array(y)[order], np.array(p)[order], SENSOR)


def in_patch(events: np.ndarray, x0: int = 0) -> np.ndarray:
    return events[(events["x"] >= x0) & (events["x"] < x0 + PATCH[0]) & (events["y"] < PATCH[1])]


@pytest.mark.parametrize("block_size", [1, 4])
def test_a_100_hz_flickering_patch_is_removed_and_a_moving_edge_kept(block_size):
    rng = np.random.default_rng(0)
    lamp, edge = flicker(100.0, 400_000, rng), moving_edge(400_000)
    kept = anti_flicker_filter(concatenate([lamp, edge], sort=True), SENSOR, block_size=block_size)
    # 40 cycles, a period measured at each burst (ON and OFF in turn): the bursts before the 7th
    # agreeing period (at 40 ms) pass, 8 of 80, and nothing after them
    assert in_patch(kept).size <= 0.1 * lamp.size
    assert in_patch(kept)["t"].max() < 40_000
    np.testing.assert_array_equal(kept[kept["x"] >= 8], edge)


@pytest.mark.parametrize("hz", [10.0, 1000.0])
def test_a_flicker_outside_the_band_is_kept(hz):
    lamp = flicker(hz, 1_000_000, np.random.default_rng(1), per_burst=1, jitter_us=0 if hz > 500 else 150)
    np.testing.assert_array_equal(anti_flicker_filter(lamp, SENSOR, min_freq=50.0, max_freq=500.0), lamp)
    inside = anti_flicker_filter(lamp, SENSOR, min_freq=hz / 2, max_freq=hz * 2, filter_length=3)
    assert in_patch(inside).size <= 0.2 * lamp.size  # the same flicker in a band around it is removed


def test_periods_that_do_not_agree_are_no_flicker():
    # ON bursts 6 ms, then 14 ms apart, in turn: every period lies in the band, no two in a row agree
    t = np.cumsum([0] + [6_000, 14_000] * 20)
    starts = np.sort(np.concatenate([t, t + 3_000]))
    events = make_events(starts, np.zeros(starts.size), np.zeros(starts.size), np.tile([1, -1], t.size), SENSOR)
    np.testing.assert_array_equal(anti_flicker_filter(events, SENSOR, diff_thresh_us=1_500), events)
    assert anti_flicker_filter(events, SENSOR, diff_thresh_us=8_000).size < events.size


def test_a_pixel_that_fell_silent_keeps_its_next_events():
    # flicker detected, then a second of silence: an event of the same polarity as the last starts a
    # new burst (the silence is longer than 1 / min_freq), so it is judged afresh and kept
    lamp = flicker(100.0, 200_000, np.random.default_rng(2), per_burst=1, jitter_us=0)
    last = lamp[-1]
    later = make_events([int(last["t"]) + 1_000_000 + i for i in range(3)], [last["x"]] * 3, [last["y"]] * 3,
                        [last["p"]] * 3, SENSOR)
    kept = anti_flicker_filter(concatenate([lamp, later]), SENSOR)
    np.testing.assert_array_equal(kept[-3:], later)
    assert in_patch(kept).size < lamp.size  # the flicker before it was removed


def test_a_stream_longer_than_int32_microseconds_is_filtered_alike():
    lamp = flicker(100.0, 200_000, np.random.default_rng(3))
    late = lamp.copy()
    late["t"] += 2**33  # the same flicker 2.4 hours later: int64 state, and every pixel silent in between
    kept = anti_flicker_filter(concatenate([lamp, late]), SENSOR)
    first, second = kept[kept["t"] < 2**33], kept[kept["t"] >= 2**33]
    assert first.size < lamp.size
    np.testing.assert_array_equal(second["t"] - 2**33, first["t"])


def test_empty_events_give_an_empty_copy():
    events = empty_events()
    out = anti_flicker_filter(events, SENSOR)
    assert out.size == 0 and out is not events and out.dtype == events.dtype
    assert AntiFlicker(SENSOR)(events).size == 0


def test_unsorted_or_off_sensor_events_are_refused_as_the_other_filters_do():
    events = make_events([5, 10], [0, 0], [0, 0], [1, -1])
    events["t"] = [10, 5]
    with pytest.raises(EventsError, match="not sorted"):
        anti_flicker_filter(events, SENSOR)
    with pytest.raises(EventsError, match="not sorted"):
        AntiFlicker(SENSOR)(events)
    with pytest.raises(EventsError):
        anti_flicker_filter(make_events([0], [30], [0], [1]), SENSOR)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(min_freq=0.0), r"^anti-flicker min_freq must be a finite number in \(0, 1e\+06\], got 0.0"),
    (dict(max_freq=float("nan")), r"^anti-flicker max_freq must be a finite number"),
    (dict(min_freq=120.0, max_freq=100.0), r"^anti-flicker min_freq must be below max_freq \(100 Hz\), got 120.0"),
    (dict(filter_length=0), r"^anti-flicker filter_length must be in \[1, 255\], got 0"),
    (dict(filter_length=1.5), r"^anti-flicker filter_length must be a whole number, got 1.5"),
    (dict(diff_thresh_us=-1), r"^anti-flicker diff_thresh_us must be >= 0, got -1"),
    (dict(block_size=0), r"^anti-flicker block_size must be in \[1, 65536\], got 0"),
])
def test_a_bad_parameter_is_named(kwargs, message):
    events = make_events([0, 5], [0, 0], [0, 0], [1, -1])
    with pytest.raises(ParameterError, match=message):
        anti_flicker_filter(events, SENSOR, **kwargs)
    with pytest.raises(ParameterError, match=message):
        AntiFlicker(SENSOR, **kwargs)(events)


@pytest.mark.parametrize("transform", [
    AntiFlicker(SENSOR),
    AntiFlicker(list(SENSOR), min_freq=80.0, max_freq=120.0, filter_length=3, diff_thresh_us=500, block_size=4),
])
def test_the_transform_gives_the_functions_result(transform):
    events = concatenate([flicker(100.0, 300_000, np.random.default_rng(4)), moving_edge(300_000)], sort=True)
    expected = anti_flicker_filter(events, tuple(transform.sensor_size), transform.min_freq, transform.max_freq,
                                   transform.filter_length, transform.diff_thresh_us, transform.block_size)
    np.testing.assert_array_equal(transform(events), expected)
    assert hash(transform) == hash(AntiFlicker(**{f: getattr(transform, f) for f in transform.__dataclass_fields__}))
    composed = Compose((Crop((0, 0, 24, 8)), transform))(events)
    np.testing.assert_array_equal(composed, expected)


def test_a_state_past_half_the_memory_is_refused_by_sensor_size(monkeypatch):
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}  # a machine of 1 GiB
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    events = make_events([0, 5], [0, 0], [0, 0], [1, -1])
    with pytest.raises(ParameterError, match=r"^the anti-flicker filter's times on a 12000x12000 sensor_size takes "
                                             r"about 2\.1 GiB, more than half of this machine's 1 GiB; give a smaller "
                                             r"sensor_size"):
        anti_flicker_filter(events, (12000, 12000))
    assert anti_flicker_filter(events, (12000, 12000), block_size=4).size == 2  # a 16th of the state fits
