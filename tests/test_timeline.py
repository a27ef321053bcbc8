"""Micro-expression timelines, distractors and lighting."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.rig.lighting import LIGHTING, Lighting, get_lighting
from evface.rig.timeline import Expression, Timeline
from evface.rig.timeline_draw import MAX_ONSET_US, MAX_TOTAL_US, TimelineParams, draw_timeline
from evface.rig.timeline_query import au_intensities, envelope, head_pose
from evface.errors import ParameterError

PARAMS = TimelineParams()


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_expression_respects_micro_expression_limits(seed):
    tl = draw_timeline([6, 12], PARAMS, seed)
    e = tl.expression
    assert 0 < e.apex_us - e.onset_us <= MAX_ONSET_US
    assert e.offset_us - e.onset_us <= MAX_TOTAL_US
    assert e.onset_us < e.apex_us <= e.hold_end_us < e.offset_us
    assert PARAMS.margin_us <= e.onset_us and e.offset_us <= tl.duration_us - PARAMS.margin_us
    lo, hi = PARAMS.intensity_range
    assert lo <= e.intensity <= hi
    for b in tl.blinks:
        assert PARAMS.blink_duration_us_range[0] <= b.end_us - b.start_us <= PARAMS.blink_duration_us_range[1]


def test_intensity_curve_is_smooth_and_peaks_at_apex():
    e = Expression((12,), 200_000, 300_000, 320_000, 600_000, 0.4)
    tl = Timeline(1_000_000, e)
    t = np.arange(0, 1_000_001, 1000)
    values = np.array([au_intensities(tl, ti)[12] for ti in t])
    assert values[t < 200_000].max() == 0 and values[t > 600_000].max() == 0
    assert au_intensities(tl, 300_000)[12] == pytest.approx(0.4)
    assert au_intensities(tl, 310_000)[12] == pytest.approx(0.4)
    # raised cosine: no jump larger than the steepest slope allows (pi/2 * amp / rise per ms)
    assert np.abs(np.diff(values)).max() <= np.pi / 2 * 0.4 / 100 + 1e-9
    assert envelope(250_000, 200_000, 300_000, 300_000, 600_000) == pytest.approx(0.5)


def test_distractors_do_not_depend_on_the_class():
    a = draw_timeline([4], PARAMS, 7)
    b = draw_timeline([1, 2], PARAMS, 7)
    assert a.blinks == b.blinks and a.head == b.head
    assert a.expression.onset_us == b.expression.onset_us and a.expression.aus != b.expression.aus


def test_blinks_appear_at_the_configured_rate_and_close_the_eyes():
    n = sum(len(draw_timeline([4], PARAMS, s).blinks) for s in range(400))
    assert n / 400 == pytest.approx(PARAMS.blink_rate_hz, rel=0.25)
    tl = next(draw_timeline([4], PARAMS, s) for s in range(100) if draw_timeline([4], PARAMS, s).blinks)
    b = tl.blinks[0]
    if 0 <= b.closed_us <= tl.duration_us:
        assert au_intensities(tl, b.closed_us)[45] == pytest.approx(b.intensity)


def test_head_motion_is_small_and_breathing_in_range():
    for s in range(50):
        tl = draw_timeline([4], PARAMS, s)
        assert PARAMS.breathing_hz_range[0] <= tl.head.breathing_hz <= PARAMS.breathing_hz_range[1]
        poses = np.array([head_pose(tl, t) for t in range(0, tl.duration_us + 1, 10_000)])
        assert np.abs(poses[:, :2]).max() < 0.02  # under 2 % of the face width
        assert np.abs(poses[:, 2]).max() <= PARAMS.roll_deg_amplitude
        assert np.abs(poses[:, 3] - 1).max() < 0.005


def test_same_seed_same_timeline():
    assert draw_timeline([9], PARAMS, 3) == draw_timeline([9], PARAMS, 3)
    assert draw_timeline([9], PARAMS, 3) != draw_timeline([9], PARAMS, 4)


def test_timeline_params_reject_non_micro_ranges():
    with pytest.raises(ParameterError):
        TimelineParams(total_us_range=(300_000, 700_000))
    with pytest.raises(ParameterError):
        TimelineParams(onset_us_range=(60_000, 300_000))
    with pytest.raises(ParameterError):
        TimelineParams(duration_us=400_000)


def test_lighting_presets_and_flicker():
    assert {"bright", "office", "dim"} <= set(LIGHTING)
    assert LIGHTING["bright"].lux > LIGHTING["office"].lux > LIGHTING["dim"].lux
    lamp = Lighting("lamp", 200.0, flicker_hz=100.0, flicker_depth=0.2)
    t = np.arange(0, 20_000, 10)
    lux = lamp.lux_at(t)
    assert lux.mean() == pytest.approx(200.0, rel=1e-3)
    assert lux.max() == pytest.approx(240.0) and lux.min() == pytest.approx(160.0)
    assert lamp.lux_at(5_000) == pytest.approx(160.0)  # half a 100 Hz period
    with pytest.raises(ParameterError, match="unknown lighting"):
        get_lighting("moonlight")
    with pytest.raises(ParameterError):
        Lighting("bad", -1.0)


def test_expression_durations_follow_the_published_distribution():
    exprs = [draw_timeline([12], PARAMS, s).expression for s in range(400)]
    totals = np.array([e.total_us for e in exprs])
    onsets = np.array([e.apex_us - e.onset_us for e in exprs])
    assert totals.max() <= MAX_TOTAL_US and onsets.max() <= MAX_ONSET_US
    assert np.median(totals) == pytest.approx(PARAMS.total_us_median, rel=0.1)
    assert totals.std() > 30_000  # a distribution, not a constant
    assert np.mean(onsets / totals) < 0.5  # the rise is shorter than the fall


def test_aus_of_a_class_are_asynchronous_with_their_own_intensities():
    lags, spreads = [], []
    for s in range(100):
        e = draw_timeline([6, 12], PARAMS, s).expression
        onsets = [c.onset_us for c in e.curves]
        assert min(onsets) == e.onset_us and max(c.offset_us for c in e.curves) == e.offset_us
        lags.append(max(onsets) - min(onsets))
        spreads.append(abs(e.curves[0].intensity - e.curves[1].intensity))
    assert 0 < np.mean(lags) and max(lags) <= PARAMS.au_lag_us_max
    assert np.mean(spreads) > 0.02


def test_au14_is_usually_one_sided_and_keyed_by_side():
    sides = [draw_timeline([14], PARAMS, s).expression.curves[0].side for s in range(300)]
    assert np.mean([s != "" for s in sides]) == pytest.approx(dict(PARAMS.unilateral)[14], abs=0.1)
    assert {"L", "R"} <= set(sides)
    tl = next(t for t in (draw_timeline([14], PARAMS, s) for s in range(20)) if t.expression.curves[0].side)
    c = tl.expression.curves[0]
    assert au_intensities(tl, c.apex_us)[f"{c.side}14"] == pytest.approx(c.intensity)


def test_neutral_class_moves_no_expression_au():
    tl = draw_timeline([], PARAMS, 4)
    aus = au_intensities(tl, tl.expression.apex_us)
    assert set(aus) <= {45, 61, 62, 63, 64} and tl.expression.onset_us < tl.expression.offset_us


def test_saccades_follow_the_main_sequence_and_stay_in_range():
    from evface.rig.timeline_draw import saccade_duration_us
    from evface.rig.timeline_query import gaze_deg

    n = 0
    for s in range(100):
        tl = draw_timeline([4], PARAMS, s)
        prev = np.asarray(tl.gaze_start_deg)
        for sac in tl.saccades:
            amp = float(np.hypot(*(np.asarray(sac.to_deg) - prev)))
            assert sac.end_us - sac.start_us == saccade_duration_us(amp)
            prev = np.asarray(sac.to_deg)
            n += 1
        for t in range(0, tl.duration_us + 1, 20_000):
            h, v = gaze_deg(tl, t)
            assert abs(h) <= PARAMS.gaze_range_deg[0] + 1e-9 and abs(v) <= PARAMS.gaze_range_deg[1] + 1e-9
    assert n / 100 == pytest.approx(PARAMS.saccade_rate_hz * PARAMS.duration_us * 1e-6, rel=0.3)
    assert saccade_duration_us(1.0) < saccade_duration_us(10.0) < 50_000


def test_head_turns_a_few_degrees():
    poses = np.array([head_pose(draw_timeline([4], PARAMS, s), 300_000) for s in range(100)])
    yaw, pitch = poses[:, 4], poses[:, 5]
    assert np.abs(yaw).max() <= PARAMS.yaw_deg_range + PARAMS.rotation_wobble_deg
    assert np.abs(pitch).max() <= PARAMS.pitch_deg_range + PARAMS.rotation_wobble_deg
    assert yaw.std() > 1.0
