"""Bad input to the rig's Python API (lighting, timelines, rig parameters, recording): one
ParameterError naming the value, before any work (docs/reliability.md)."""

import math
import os

import numpy as np
import pytest

from evface.errors import ParameterError
from evface.face.identity import procedural_identity
from evface.rig.geometry import RigParams, renderer_face_fraction, rig_geometry
from evface.rig.lighting import Lighting
from evface.rig.record import ClipSpec, Rig, clip_seed
from evface.rig.scene import Scene
from evface.rig.timeline import AuCurve, Blink, Expression, HeadMotion, Saccade, Timeline
from evface.rig.timeline_draw import TimelineParams, draw_timeline
from evface.rig.timeline_query import au_intensities, gaze_deg, head_pose

SMALL_RIG = RigParams(lr_face_px=32.0, scene_rate_hz=200.0, truth_rate_hz=200.0, rgb_size=(160, 120), rgb_hd_presets=())
SPEC = ClipSpec("s000_AU4_lamp_r0", "s000", 0, "AU4", (4,), "lamp", 0)
SHORT = Timeline(40_000, Expression((4,), 2_000, 8_000, 8_000, 18_000, 0.6))  # one RGB frame


@pytest.fixture(scope="module")
def rig():
    return Rig(procedural_identity(0), SMALL_RIG)


@pytest.mark.parametrize("fields, match", [
    (dict(lux=math.inf), "lux must be a finite number in \\(0, 1e\\+06\\]"),
    (dict(lux=1e30), "lux must be"),
    (dict(lux="500"), "lux must be a number, got '500'"),
    (dict(lux=True), "lux must be a number, got True"),
    (dict(lux=100.0, flicker_hz=math.nan, flicker_depth=0.1), "flicker_hz must be a finite number >= 0, got nan"),
    (dict(lux=100.0, flicker_hz=math.inf, flicker_depth=0.1), "flicker_hz must be a finite number >= 0, got inf"),
    (dict(lux=100.0, flicker_hz="100"), "flicker_hz must be a number"),
    (dict(lux=100.0, flicker_depth=1.0), "flicker_depth must be in \\[0, 1\\)"),
])
def test_lighting_refuses_numbers_that_light_nothing(fields, match):
    # was: inf lux or a nan / infinite flicker_hz accepted (inf or nan pixels), a string a TypeError
    with pytest.raises(ParameterError, match=match):
        Lighting("lamp", **fields)


@pytest.mark.parametrize("name, description, match", [
    (3, "", r"^Lighting\.name must be a non-empty str, got 3$"),
    ("", "", r"^Lighting\.name must be a non-empty str, got ''$"),
    (None, "", r"^Lighting\.name must be a non-empty str, got None$"),
    ("lamp", None, r"^lighting 'lamp': description must be a str, got None$"),
    ("lamp", ["a lamp"], r"^lighting 'lamp': description must be a str, got \['a lamp'\]$"),
])
def test_lighting_refuses_a_name_or_description_that_is_no_text(name, description, match):
    # was: taken as given; the name labels every clip filmed under the lighting (ClipSpec.lighting must equal it)
    with pytest.raises(ParameterError, match=match):
        Lighting(name, 300.0, description=description)


def test_recording_refuses_a_flicker_the_scene_rate_would_alias(rig):
    # was: a 120 Hz lamp (a 60 Hz grid) sampled at the 200 Hz scene rate and filmed as an 80 Hz flicker
    lamp = Lighting("lamp", 300.0, flicker_hz=120.0, flicker_depth=0.1)
    with pytest.raises(ParameterError, match="120 Hz flicker needs scene_rate_hz >= 240.*80 Hz"):
        rig.record(SPEC, SHORT, lamp, clip_seed(0, SPEC))
    steady = Lighting("lamp", 300.0, flicker_hz=120.0, flicker_depth=0.0)  # no flicker to alias
    assert rig.record(SPEC, SHORT, steady, clip_seed(0, SPEC)).duration_us == 40_000



def test_recording_refuses_a_head_motion_the_scene_rate_would_alias(rig):
    # was: TimelineParams(wobble_hz_range=(0, 1e9)) taken, its wobble filmed as a slower one, as the flicker once was
    fast = draw_timeline([4], TimelineParams(wobble_hz_range=(0.0, 1e9)), 0)
    with pytest.raises(ParameterError, match=r"HeadMotion\.wobble_hz\[0\]: a .* Hz head motion needs scene_rate_hz >= "
                                             r".* got 200; .* \(TimelineParams draws it from wobble_hz_range\)"):
        rig.record(SPEC, fast, Lighting("lamp", 300.0), clip_seed(0, SPEC))
    rolling = Timeline(40_000, SHORT.expression, head=HeadMotion(roll_amp_deg=0.3, roll_hz=150.0))
    with pytest.raises(ParameterError, match="roll_hz: a 150 Hz head motion needs scene_rate_hz >= 300 .* as a 50 Hz motion"):
        rig.record(SPEC, rolling, Lighting("lamp", 300.0), clip_seed(0, SPEC))
    still = Timeline(40_000, SHORT.expression, head=HeadMotion(roll_hz=150.0))  # no roll to alias
    assert rig.record(SPEC, still, Lighting("lamp", 300.0), clip_seed(0, SPEC)).duration_us == 40_000

def test_recording_refuses_truth_frames_beyond_memory(rig, monkeypatch):
    # was: np.empty of the truth frames (a MemoryError, or the clip filmed into swap)
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 256}.get(name, real(name)))
    with pytest.raises(ParameterError, match="truth frames of a 40000 µs clip .* lower truth_rate_hz"):
        rig.record(SPEC, SHORT, Lighting("lamp", 300.0), clip_seed(0, SPEC))


EPISODE = (2_000, 8_000, 8_000, 18_000)


@pytest.mark.parametrize("make, match", [
    (lambda: Expression((12,), 400, 300, 200, 100, 0.5), "onset_us=400 comes after apex_us=300"),
    (lambda: Expression((12,), *EPISODE, 2.0), "Expression.intensity must be a finite number in \\[0, 1\\], got 2.0"),
    (lambda: Expression((12,), math.nan, 8_000, 8_000, 18_000, 0.5), "Expression.onset_us must be a whole number, got nan"),
    (lambda: Expression((99,), *EPISODE, 0.5), "unknown action unit 99"),
    (lambda: Expression((12.5,), *EPISODE, 0.5), "Expression.aus must be a whole number, got 12.5"),
    (lambda: Expression((12,), *EPISODE, 0.5, (AuCurve(12, 0, 8_000, 8_000, 18_000, 0.5),)),
     "curve of AU 12 \\(0 to 18000 µs\\) must lie within the episode's onset_us 2000"),
    (lambda: AuCurve(12, 0, 10, 5, 20, 0.5), "apex_us=10 comes after hold_end_us=5"),
    (lambda: AuCurve(12, *EPISODE, 0.5, side="X"), "AuCurve.side must be '', 'L' or 'R'"),
    (lambda: AuCurve(4, *EPISODE, 0.5, side="L"), "AU4 has no one-sided variant"),
    (lambda: Blink(10, 5, 20), "start_us=10 comes after closed_us=5"),
    (lambda: Blink(0, 5, 20, intensity=-1.0), "Blink.intensity must be"),
    (lambda: Saccade(0, 10, (math.nan, 0.0)), "Saccade.to_deg .* got nan"),
    (lambda: HeadMotion(drift=(math.nan, 0.0)), "HeadMotion.drift\\[0\\] must be a finite number, got nan"),
    (lambda: HeadMotion(drift=(0.0,)), "HeadMotion.drift must be a tuple of 2 numbers, got \\(0.0,\\)"),
    (lambda: HeadMotion(yaw_deg="3"), "HeadMotion.yaw_deg must be a number, got '3'"),
    (lambda: HeadMotion(yaw_deg=-math.inf), "HeadMotion.yaw_deg must be a finite number, got -inf"),
    (lambda: Timeline(0, SHORT.expression), "Timeline.duration_us must be in \\[1, 3600000000\\], got 0"),
    (lambda: Timeline(-1, SHORT.expression), "Timeline.duration_us must be in"),
    (lambda: Timeline(10_000, SHORT.expression), "the expression \\(onset_us 2000 to offset_us 18000\\) must lie within"),
    (lambda: Timeline(40_000, SHORT.expression, blinks=[Blink(0, 5, 20)]), "Timeline.blinks must be a tuple of Blink"),
    # was: taken, the clip's truth listing a blink or saccade it never shows (one before the clip moved the gaze away
    # from gaze_start_deg); saccades out of order read as a jump back to where an earlier one went
    (lambda: Timeline(40_000, SHORT.expression, blinks=(Blink(50_000, 60_000, 70_000),)),
     r"^Timeline\.blinks\[0\] \(50000 to 70000 µs\) lies outside the clip's 0\.\.40000 µs \(duration_us\): the clip "
     r"would record a blink it never shows$"),
    (lambda: Timeline(40_000, SHORT.expression, blinks=(Blink(-90_000, -50_000, 0),)), r"^Timeline\.blinks\[0\] \(-90000"),
    (lambda: Timeline(40_000, SHORT.expression, saccades=(Saccade(0, 30_000, (5.0, 0.0)), Saccade(40_000, 50_000, (0.0, 0.0)))),
     r"^Timeline\.saccades\[1\] \(40000 to 50000 µs\) lies outside .* would record a saccade it never shows$"),
    (lambda: Timeline(40_000, SHORT.expression, saccades=(Saccade(-30_000, -1, (5.0, 0.0)),)), r"^Timeline\.saccades\[0\]"),
    (lambda: Timeline(40_000, SHORT.expression, saccades=(Saccade(20_000, 30_000, (5.0, 0.0)), Saccade(0, 10_000, (0.0, 0.0)))),
     r"^Timeline\.saccades\[1\] starts at 0 µs, before saccades\[0\] ends at 30000 µs: the saccades must follow one "
     r"another in time$"),
])
def test_timeline_parts_refuse_what_the_clip_would_misreport(make, match):
    # was: phases out of order, intensities above 1, an apex beyond the clip's end and nan times
    # all taken: the clip recorded labels its frames never showed, or an error came at render time
    with pytest.raises(ParameterError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: HeadMotion(yaw_deg=30.0), r"^HeadMotion: yaw_deg 30 and rotation_amp_deg\[0\] 0 turn the head up to 30 "
                                       r"degrees in depth; the renderer turns it at most 10 \(a warp without"),
    (lambda: HeadMotion(pitch_deg=-9.0, rotation_amp_deg=(0.0, 2.0)), r"^HeadMotion: pitch_deg -9 and rotation_amp_deg"),
    (lambda: HeadMotion(roll_amp_deg=400.0), r"^HeadMotion: roll_amp_deg 400 rolls the head up to 400 degrees"),
    (lambda: HeadMotion(wobble_amp=(0.0, 9.0), breathing_amp=1.5),
     r"^HeadMotion: wobble_amp\[1\] 9 and breathing_amp 1\.5 move the head up to 10\.5 face widths"),
    (lambda: HeadMotion(breathing_amp=2.0), r"^HeadMotion: breathing_amp 2 must be below 2: the head's scale"),
    (lambda: HeadMotion(roll_hz=-5.0), r"^HeadMotion\.roll_hz must be a finite number >= 0, got -5"),
    (lambda: HeadMotion(wobble_amp=(0.0, -1.0)), r"^HeadMotion\.wobble_amp\[1\] must be a finite number >= 0, got -1"),
    (lambda: Timeline(2_000_000, SHORT.expression, head=HeadMotion(drift=(0.0, -6.0))),
     r"^HeadMotion: drift\[1\] -6 over the clip's 2000000 µs \(Timeline\.duration_us\), wobble_amp\[1\] 0 and "
     r"breathing_amp 0 move the head up to 12 face widths; the renderer moves it at most 10$"),
])
def test_a_head_motion_beyond_what_the_renderer_draws_is_refused_when_made(make, match):
    # was: taken, and refused only when recording, as "FacePose.yaw_deg: the renderer turns the head in depth by at
    # most 10 degrees" (a field of no class the caller made); a negative frequency or amplitude taken
    with pytest.raises(ParameterError, match=match):
        make()
    assert Timeline(1_000_000, SHORT.expression, head=HeadMotion(drift=(0.0, -6.0), yaw_deg=9.0, roll_amp_deg=360.0))


def test_an_expression_keeps_its_aus_as_a_tuple_of_ints():
    # was: a list kept as given, so the frozen Expression and its Timeline could not be hashed ("unhashable type:
    # 'list'") nor equal one made of the tuple; 4.0 kept as a float
    listed = Expression([4.0], *EPISODE, 0.6)
    assert listed.aus == (4,) and type(listed.aus[0]) is int
    assert listed == Expression((4,), *EPISODE, 0.6) and hash(listed) == hash(Expression((4,), *EPISODE, 0.6))
    assert hash(Timeline(40_000, listed))


@pytest.mark.parametrize("seed", [115, 1461])
def test_drawn_blinks_and_saccades_reach_into_the_clip(seed):
    # was: seed 115 drew a blink that ended before the clip, seed 1461 a saccade that started after it: recorded in
    # the clip's truth (and counted by the dataset summary), never filmed
    timeline = draw_timeline([12], TimelineParams(), seed)
    assert all(b.end_us > 0 and b.start_us < 1_000_000 for b in timeline.blinks)
    assert all(s.end_us > 0 and s.start_us < 1_000_000 for s in timeline.saccades)
    kept = Timeline(40_000, SHORT.expression, blinks=(Blink(-50_000, 0, 10_000), Blink(30_000, 40_000, 60_000)),
                    saccades=(Saccade(-10_000, 10_000, (5.0, 0.0)), Saccade(10_000, 50_000, (0.0, 0.0))))
    assert len(kept.blinks) == len(kept.saccades) == 2  # cut by the clip's edges, back to back


@pytest.mark.parametrize("gaze", [(100.0, 0.0), (0.0, -21.0), (math.nan, 0.0)])
def test_gaze_beyond_the_eye_model_is_refused(gaze):
    # was: 100 degrees drawn as the eye model's 20 while the clip's extra recorded 100
    with pytest.raises(ParameterError, match="the eye model turns at most 20 degrees"):
        Timeline(40_000, SHORT.expression, gaze_start_deg=gaze)
    with pytest.raises(ParameterError, match="the eye model turns at most 20 degrees"):
        Saccade(0, 10_000, gaze)


@pytest.mark.parametrize("fields, match", [
    (dict(blink_rate_hz=1e12), "blink_rate_hz must be a finite number in \\[0, 10\\]"),  # was: a 7 TiB MemoryError
    (dict(saccade_rate_hz=1e9), "saccade_rate_hz must be a finite number in \\[0, 10\\]"),  # was: a hang
    (dict(duration_us=10**15), "exceeds 3600000000"),  # was: a hang drawing 4e8 blinks
    (dict(intensity_range=(0.5, 5.0)), "intensity_range must be a finite number in \\[0, 1\\], got 5.0"),
    (dict(blink_close_fraction=5.0), "blink_close_fraction must be"),
    (dict(onset_fraction_beta=(0.0, 1.0)), "onset_fraction_beta must be a finite number > 0"),  # was: numpy's "a <= 0"
    # the head's reach in TimelineParams' own fields (was: "the head would move beyond what the renderer
    # draws (FacePose.dx must be a finite number in [-10, 10], got 1e+06)", fields the caller never set)
    (dict(drift_per_s=10.0), r"^TimelineParams: drift_per_s 10 over duration_us 1000000 µs, wobble_amplitude 0.0025 and "
                             r"breathing_amplitude 0.002 move the head up to 10.0045 face widths; the renderer moves it "
                             r"at most 10$"),
    (dict(roll_deg_amplitude=1e6), r"^TimelineParams: roll_deg_amplitude 1e\+06 rolls the head up to 1e\+06 degrees; "
                                   r"the renderer rolls it at most 360$"),
    (dict(breathing_amplitude=3.0), r"^TimelineParams: breathing_amplitude 3 must be below 2: the head's scale "
                                    r"1 \+ breathing_amplitude / 2 \* sin\(...\) would reach 0$"),
])
def test_timeline_params_refuse_what_would_hang_or_fail_mid_clip(fields, match):
    with pytest.raises(ParameterError, match=match):
        TimelineParams(**fields)


@pytest.mark.parametrize("aus, seed, match", [
    ([12.5], 0, "aus must be a whole number, got 12.5"),  # was: drawn as AU12
    ([True], 0, "aus must be an integer, got True"),  # was: drawn as AU1
    (["L14"], 0, "aus must be an integer, got 'L14'"),  # was: int()'s ValueError
    ([12], None, "seed must be an integer, got None"),  # was: a fresh random timeline on every call
    ([12], -1, "seed must be >= 0, got -1"),  # was: NumPy's "expected non-negative integer"
    ([12], 1.5, "seed must be a whole number, got 1.5"),
    ([12], [3, -1], "seed must be >= 0, got -1"),
    ([12], [], "seed must be an integer, got \\[\\]"),
    (12, 0, "^aus must be a list or tuple of AU numbers, got 12$"),  # was: "'int' object is not iterable"
    (None, 0, "^aus must be a list or tuple of AU numbers, got None$"),
])
def test_draw_timeline_refuses_what_it_would_draw_as_something_else(aus, seed, match):
    with pytest.raises(ParameterError, match=match):
        draw_timeline(aus, TimelineParams(), seed)
    # was: "'NoneType' object has no attribute 'total_us_range'"
    with pytest.raises(ParameterError, match="^params must be a TimelineParams, got None$"):
        draw_timeline([12], None, 0)
    assert draw_timeline([12], TimelineParams(), [3, 1]) == draw_timeline([12], TimelineParams(), np.random.SeedSequence([3, 1]))


@pytest.mark.parametrize("fields, match", [
    (dict(scene_rate_hz=0), "RigParams.scene_rate_hz must be a finite number in \\(0, 1e\\+06\\], got 0"),  # was: ZeroDivisionError in record
    (dict(scene_rate_hz=2e6), "RigParams.scene_rate_hz must be"),  # was: steps shorter than the µs timestamps
    (dict(truth_rate_hz=0), "truth_rate_hz=0 must be >= 200"),  # was: ZeroDivisionError
    (dict(rgb_size=(100_000, 100_000)), "RigParams.rgb_size width must be in \\[1, 65536\\]"),
    # was: taken when built, refused only by rig_geometry when a Rig was made of them
    (dict(lr_face_px=16, rgb_size=(64, 48)), "lr_face_px=16 with rgb_size=\\(64, 48\\) gives a 33x33 lr and a 6x6 rgb canvas"),
    (dict(lr_face_px=400.0), "lr_face_px=400.0 needs a 829x829 canvas, larger than the 346x260 lr array"),
    # was: TypeError "unhashable type: 'list'"
    (dict(hd_preset=["evk4"]), r"^hd_preset=\['evk4'\] is not an event sensor; choose from davis346, evk4$"),
    (dict(rgb_preset=["webcam30"]), r"^RGB camera preset \['webcam30'\] unknown; choose from [a-z0-9]+(, [a-z0-9]+)*$"),
])
def test_rig_params_refuse_rates_and_sizes_that_cannot_be_filmed(fields, match):
    with pytest.raises(ParameterError, match=match):
        RigParams(**fields)


@pytest.mark.parametrize("fields, says", [
    (dict(lr_face_px=3.0), "gives a 6x6 lr and a 6x6 rgb canvas"),
    (dict(lr_face_px=100.0, rgb_size=(1, 1)), "gives a 207x207 lr and a 1x1 rgb canvas"),
])
def test_rig_geometry_refuses_canvases_too_small_to_render(fields, says):
    # was: the renderer's "size: expected at least 16x16 pixels", naming neither lr_face_px nor rgb_size
    with pytest.raises(ParameterError, match=f"{says}, under the 8 pixels the renderer needs; raise lr_face_px or rgb_size"):
        rig_geometry(renderer_face_fraction(), RigParams(**fields))


def test_scene_names_the_rig_parameter_when_a_renderer_exceeds_memory(monkeypatch):
    # was: a MemoryError, or the process killed, while drawing the RGB camera's face
    params = RigParams(lr_face_px=32.0, rgb_size=(2000, 1500))
    geometry = rig_geometry(renderer_face_fraction(), params)
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 64 * 256}.get(name, real(name)))
    with pytest.raises(ParameterError, match="face renderer takes about .*; lower RigParams.rgb_size"):
        Scene(procedural_identity(0), geometry, params)


def test_recording_refuses_a_head_that_leaves_the_hd_roi(rig):
    # was: filmed, the hd camera (read through the ROI around the neutral face) cutting the face off
    drifting = Timeline(40_000, SHORT.expression, head=HeadMotion(drift=(5.0, 0.0)))
    with pytest.raises(ParameterError, match="the head has moved the face box out of the hd ROI window .* raise "
                                             "RigParams.hd_roi_margin"):
        rig.record(SPEC, drifting, Lighting("lamp", 300.0), clip_seed(0, SPEC))


def test_an_expression_of_a_gaze_au_is_refused():
    # was: the gaze (saccades) wrote over the expression's AU61: clips labelled AU61 whose eyes never followed it
    with pytest.raises(ParameterError, match="Expression.aus: AU 61 is gaze"):
        Expression((61,), *EPISODE, 0.5)
    with pytest.raises(ParameterError, match="AuCurve.au: AU 64 is gaze"):
        AuCurve(64, *EPISODE, 0.5)
    with pytest.raises(ParameterError, match="aus: AU 62 is gaze"):
        draw_timeline([62], TimelineParams(), 0)


@pytest.mark.parametrize("lux", [math.nan, math.inf, -5.0, 0.0, "500"])
def test_the_scene_refuses_a_lux_that_lights_nothing(rig, lux):
    # was: nan, inf or negative luminance on every pixel, without a word
    for view in (rig.scene.views, rig.scene.rgb, rig.scene.rgb_hd):
        with pytest.raises(ParameterError, match="lux must be"):
            view(SHORT, 0, lux)


@pytest.mark.parametrize("args, match", [
    (dict(spec=("s000_AU4_lamp_r0", "s000", 0)), r"^spec must be a ClipSpec, got \("),
    (dict(timeline=None), r"^timeline must be a Timeline, got None$"),
    (dict(lighting="lamp"), r"^lighting must be a Lighting, got 'lamp'$"),
    (dict(seed=0), r"^seed must be a SeedSequence \(clip_seed\), got 0$"),
    # was: filmed, the clip labelled AU12 (or "bright") while it showed AU4 under the 300 lx lamp
    (dict(spec=ClipSpec("s000_AU12_lamp_r0", "s000", 0, "AU12", (12,), "lamp", 0)),
     r"^spec\.aus \(12,\) are not the timeline's expression's aus \(4,\): the clip would be labelled with AUs it "
     r"does not show$"),
    (dict(spec=ClipSpec("s000_AU4_bright_r0", "s000", 0, "AU4", (4,), "bright", 0)),
     r"^spec\.lighting 'bright' is not the lighting's name 'lamp': the clip would be labelled with a lighting it was "
     r"not filmed under$"),
])
def test_recording_refuses_arguments_of_another_type_or_labels_it_would_not_film(rig, args, match):
    # was: an AttributeError ('tuple' object has no attribute 'repetition', 'NoneType' ... 'head', 'str' ...
    # 'check_sampled', 'int' ... 'spawn') part way into record, or a clip labelled with what it did not show
    call = {"spec": SPEC, "timeline": SHORT, "lighting": Lighting("lamp", 300.0), "seed": clip_seed(0, SPEC), **args}
    with pytest.raises(ParameterError, match=match):
        rig.record(**call)


@pytest.mark.parametrize("make, match", [
    (lambda: Rig(procedural_identity(0), None), r"^params must be a RigParams, got None$"),  # was: AttributeError
    (lambda: ClipSpec("c", "s", 0, None, (4,), "lamp", 0), r"^ClipSpec\.label must be a str, got None$"),
    (lambda: ClipSpec("c", "s", -1, "AU4", (4,), "lamp", 0), r"^ClipSpec\.subject_index must be >= 0, got -1$"),
    (lambda: ClipSpec("c", "s", 0, "AU4", (4,), "lamp", "x"), r"^ClipSpec\.repetition must be an integer, got 'x'$"),
    (lambda: ClipSpec("c", "s", 0, "AU4", None, "lamp", 0), r"^ClipSpec\.aus must be a tuple of AU numbers, got None$"),
    (lambda: ClipSpec("c", "s", 0, "AU4", (4.5,), "lamp", 0), r"^ClipSpec\.aus must be a whole number, got 4\.5$"),
    # was: taken, and the dataset's clip written as clips/.h5 or into a folder clips/a/ (or above clips/ with "../")
    (lambda: ClipSpec("", "s", 0, "AU4", (4,), "lamp", 0),
     r"^ClipSpec\.clip_id must be non-empty, without '/' or '\\' \(it names the clip's file clips/ID\.h5\), got ''$"),
    (lambda: ClipSpec("a/b", "s", 0, "AU4", (4,), "lamp", 0), r"^ClipSpec\.clip_id must be non-empty, .* got 'a/b'$"),
    (lambda: ClipSpec("..\\b", "s", 0, "AU4", (4,), "lamp", 0), r"^ClipSpec\.clip_id must be non-empty, .* got '\.\."),
    (lambda: clip_seed(-1, SPEC), r"^dataset_seed must be >= 0, got -1$"),  # was: NumPy's "expected non-negative integer"
    (lambda: clip_seed(1.5, SPEC), r"^dataset_seed must be a whole number, got 1\.5$"),  # was: the seed of dataset 1
    (lambda: clip_seed(None, SPEC), r"^dataset_seed must be an integer, got None$"),  # was: int()'s TypeError
    (lambda: clip_seed(0, "s000_AU4_lamp_r0"), r"^spec must be a ClipSpec, got 's000_AU4_lamp_r0'$"),
])
def test_a_rig_clip_spec_and_clip_seed_refuse_what_they_cannot_seed_or_label(make, match):
    # was: a ClipSpec of any fields, met by clip_seed's AttributeError ('NoneType' object has no attribute
    # 'encode'), NumPy's "unrecognized seed string" or "expected non-negative integer"
    with pytest.raises(ParameterError, match=match):
        make()


@pytest.mark.parametrize("t_us, match", [
    (math.nan, r"^t_us must be a finite number, got nan$"),  # was: no AU, a pose of NaNs
    (math.inf, r"^t_us must be a finite number, got inf$"),
    ("1", r"^t_us must be a number, got '1'$"),  # was: read as 1 µs
    (None, r"^t_us must be a number, got None$"),  # was: a TypeError from float()
])
def test_a_timeline_is_queried_at_a_finite_time_only(t_us, match):
    for query in (au_intensities, head_pose, gaze_deg):
        with pytest.raises(ParameterError, match=match):
            query(SHORT, t_us)
    with pytest.raises(ParameterError, match=r"^timeline must be a Timeline, got None$"):
        head_pose(None, 0)
