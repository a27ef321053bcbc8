"""Bad numbers given to the event functions, transforms, event files, camera models, face renderer
and rig settings: one error naming the parameter (ParameterError; EventsError for event columns).

Before, ``nan``, ``inf``, a string, ``10**30`` or ``None`` surfaced in 80 of 340 calls (17
parameters of 13 transforms, 10 values, on events and on an empty array) as errors from inside
(OverflowError, NumPy casting errors, a numba TypingError from a compiled filter, "Maximum allowed
dimension exceeded").
"""

from __future__ import annotations

import numpy as np
import pytest

from evface.datasets.importers.corpus import CorpusOptions
from evface.datasets.importers.session_options import SessionOptions
from evface.errors import EvfaceError, ParameterError
from evface.events import transforms as T
from evface.events.core import make_events
from evface.events.integration import leaky_counts
from evface.face.head_pose import FacePose
from evface.face.identity import procedural_identity
from evface.face.render import FaceRenderer
from evface.io.event_reader import iter_events_file
from evface.io.event_writer import write_events_file
from evface.rig.geometry import RigParams
from evface.rig.timeline_draw import TimelineParams
from evface.sim.dvs import DvsSimulator, simulate_frames
from evface.sim.dvs_readout import limit_readout
from evface.sim.rgb import RgbCamera

EVENTS = make_events([0, 5, 9, 20], [0, 3, 1, 2], [0, 2, 1, 1], [1, -1, 1, 1])
SENSOR = (4, 3)
BAD = [float("nan"), float("inf"), 1.5, 10**30, True, "3", None]

TRANSFORMS = {
    "t_start_us": lambda v: T.TimeSlice(v, None),
    "ROI width": lambda v: T.Crop((0, 0, v, 2)),
    "sensor_size width": lambda v: T.FlipLR((v, 3)),
    "dx": lambda v: T.Shift(v, 0, SENSOR),
    "dst_size width": lambda v: T.Resample(SENSOR, (v, 2)),
    "refractory period_us": lambda v: T.RefractoryFilter(SENSOR, v),
    "background-activity window dt_us": lambda v: T.Denoise(SENSOR, v),
    "anti-flicker filter_length": lambda v: T.AntiFlicker(SENSOR, filter_length=v),
    "anti-flicker block_size": lambda v: T.AntiFlicker(SENSOR, block_size=v),
    "drop fraction": lambda v: T.DropEvents(v, 0),
    "number of noise events n": lambda v: T.UniformNoise(SENSOR, v, 0),
    "n_bins": lambda v: T.VoxelGrid(SENSOR, v),
    "t_end_us": lambda v: T.EventFrames(SENSOR, 2, 0, v),
    "tau_us": lambda v: T.TimeSurface(SENSOR, v),
    "sensor_size height": lambda v: T.CountImage((3, v)),
}


@pytest.mark.parametrize(("name", "value"), [
    (name, value) for name in TRANSFORMS for value in BAD
    if not (value is None and name in ("t_start_us", "t_end_us"))  # None leaves that side of the window open
], ids=repr)
def test_a_bad_number_is_named(name, value):
    if name in ("drop fraction", "tau_us") and value in (1.5, 10**30):
        value = -value  # real-valued: 1.5 and 10**30 may be right, their negatives are not
    with pytest.raises(ParameterError, match=f"^{name} must be"):
        TRANSFORMS[name](value)(EVENTS)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: T.Crop((0, 0, 0, 2))(EVENTS), r"ROI width must be in \[1, 65536\], got 0"),
    (lambda: T.Crop((-1, 0, 2, 2))(EVENTS), r"ROI x0 must be in \[0, 65535\], got -1"),
    (lambda: T.Crop((0, 0, 2))(EVENTS), r"ROI must be \(x0, y0, width, height\)"),
    (lambda: T.CountImage((70000, 3))(EVENTS), r"sensor_size width must be in \[1, 65536\], got 70000"),
    (lambda: T.VoxelGrid(SENSOR, 0)(EVENTS), r"n_bins must be in \[1, 2147483647\], got 0"),
    (lambda: T.TimeSurface(SENSOR, 0.0)(EVENTS), "tau_us must be a finite number > 0, got 0.0"),
    (lambda: DvsSimulator((4, 4), seed=-1), "seed must be >= 0, got -1"),
    (lambda: DvsSimulator((4, 4)).step(np.ones((4, 4), np.float32), float("nan")), "t_us must be a whole number, got nan"),
    (lambda: simulate_frames(np.ones((2, 4, 4), np.float32), [0.0, 1.5], (4, 4)), "t_us must be a whole number, got 1.5"),
    (lambda: RgbCamera(seed=1.5), "seed must be a whole number, got 1.5"),
    (lambda: RgbCamera(fpn_seed=-1), "fpn_seed must be >= 0, got -1"),
    (lambda: RgbCamera().capture(lambda t: np.ones((8, 8, 3), np.float32), 0, float("inf")),
     "t_end_us must be a whole number, got inf"),
    (lambda: limit_readout(EVENTS, 10**30, "drop"), r"max_rate_hz must be a finite number in \(0, 1e\+15\]"),
    (lambda: limit_readout(EVENTS, 1e3, "drop", float("nan")), "window_us must be a whole number, got nan"),
])
def test_out_of_range_values_say_the_range(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize("ext", ["raw", "h5", "csv", "aedat4"])
def test_event_files_name_a_bad_chunk_or_sensor_size(ext, tmp_path):
    """Were: "slice indices must be integers" for chunk_events=1.5, "cannot convert float NaN" for a size."""
    path = write_events_file(tmp_path / f"a.{ext}", EVENTS, SENSOR)
    with pytest.raises(ParameterError, match="^chunk_events must be an integer, got '3'"):
        iter_events_file(path, chunk_events="3")
    with pytest.raises(ParameterError, match="^chunk_us must be >= 1, got 0"):
        iter_events_file(path, chunk_us=0)
    with pytest.raises(ParameterError, match="^chunk_events must be a whole number, got 1.5"):
        iter_events_file(path, chunk_events=1.5)
    with pytest.raises(ParameterError, match="^sensor_size width must be a whole number, got nan"):
        write_events_file(tmp_path / f"b.{ext}", EVENTS, (float("nan"), 3))
    with pytest.raises(ParameterError, match="^sensor_size height must be"):
        iter_events_file(path, sensor_size=(4, float("inf")))
    assert not list(tmp_path.glob("b.*"))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: FacePose(dx=float("nan")), r"FacePose.dx must be a finite number in \[-10, 10\], got nan"),
    (lambda: FacePose(dx=1e30), r"FacePose.dx must be a finite number in \[-10, 10\], got 1e\+30"),
    (lambda: FacePose(roll_deg="3"), "FacePose.roll_deg must be a number, got '3'"),
    (lambda: FacePose(scale=0.0), r"FacePose.scale must be a finite number in \(0, 10\], got 0.0"),
    (lambda: FacePose(yaw_deg=None), "FacePose.yaw_deg: the renderer turns the head in depth by at most 10 degrees"),
    (lambda: procedural_identity(float("inf")), "seed must be a whole number, got inf"),
    (lambda: FaceRenderer(procedural_identity(0), (float("nan"), 32)), "size width must be a whole number, got nan"),
    (lambda: FaceRenderer(procedural_identity(0), (32, 32)).render({12: None}, FacePose()),
     r"aus\[12\] intensity must be a number, got None"),
])
def test_face_poses_and_identities_name_a_bad_number(call, message):
    """Were: OpenCV's 'Bad argument' for dx 1e30, NumPy casting errors for nan, a ufunc error for '3'."""
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: TimelineParams(blink_rate_hz=float("nan")), "TimelineParams.blink_rate_hz must be a finite number >= 0, got nan"),
    (lambda: TimelineParams(drift_per_s=-1.0), "TimelineParams.drift_per_s must be a finite number >= 0, got -1.0"),
    (lambda: TimelineParams(margin_us=None), "TimelineParams.margin_us must be an integer, got None"),
    (lambda: TimelineParams(intensity_range=(0.7, 0.3)), r"TimelineParams.intensity_range \(0.7, 0.3\) runs backwards"),
    (lambda: TimelineParams(wobble_hz_range=1.0), "TimelineParams.wobble_hz_range must be a tuple of 2 numbers, got 1.0"),
    (lambda: TimelineParams(unilateral=None), r"unilateral must be a tuple of \(AU, probability\) pairs, got None"),
    (lambda: TimelineParams(unilateral=((14, "x"),)), "unilateral probability of AU 14 must be a number, got 'x'"),
    (lambda: RigParams(lr_face_px=float("inf")), "RigParams.lr_face_px must be a finite number >= 0, got inf"),
    (lambda: RigParams(lr_face_px=0.0), "lr_face_px 0.0 and rgb_size"),
    (lambda: RigParams(rgb_size=(320, "240")), "RigParams.rgb_size\\[1\\] must be an integer, got '240'"),
    (lambda: RigParams(rgb_hd_presets=None), "rgb_hd_presets must be a tuple of RGB camera preset names, got None"),
    (lambda: RigParams(cameras=3), "cameras must be CameraSettings, got int"),
])
def test_rig_settings_name_a_bad_number(call, message):
    """Were accepted (a nan blink rate, a negative drift, a backwards range, any ``cameras``) or
    "'NoneType' object is not iterable"."""
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: leaky_counts(EVENTS, (4, 3), 0, 20, None), "alpha_rad_s must be a number, got None"),
    (lambda: leaky_counts(EVENTS, (4, 3), 0, 20, -1.0), "alpha_rad_s must be a finite number >= 0, got -1.0"),
    (lambda: leaky_counts(EVENTS, (4, 3), 0, "3", 1.0), "t_end_us must be an integer, got '3'"),
    (lambda: leaky_counts(EVENTS, (3, 3), 0, 20, 1.0), "coordinates outside the 3x3 sensor"),
    (lambda: leaky_counts(EVENTS, (4, 3), 20, 0, 1.0), r"t_end_us \(0\) must be >= t_key_us \(20\)"),
    (lambda: leaky_counts([(0, 0, 0, 1)], (4, 3), 0, 20, 1.0), "events must be a 1-D array of dtype"),
    (lambda: make_events([0, 1], [0, float("nan")], [0, 1], [1, 1]), "x must hold whole pixels"),
    (lambda: make_events([0, 1], [0, 1.5], [0, 1], [1, 1]), "x must hold whole pixels"),
    (lambda: make_events([0, 10**30], [0, 1], [0, 1], [1, 1]), rf"timestamps outside the int64 range of µs \(0\.\.{10**30}\)"),
    (lambda: make_events([0, 1], ["0", "1"], [0, 1], [1, 1]), "column 'x' must hold real numbers, got dtype <U1"),
    (lambda: make_events([0, 1], [0, 1], [0, 1], [1, 1], (None, 4)), "sensor_size width must be an integer, got None"),
])
def test_integration_and_event_columns_name_a_bad_value(call, message):
    """Were: a nan x cast to 0 with only a RuntimeWarning, 1.5 truncated to 1, a sensor narrower than
    the events a broadcasting error, a None leak rate float()'s TypeError, a window ending before its
    keyframe zeros (the representations refuse it), a list "list indices must be integers"."""
    with pytest.raises(EvfaceError, match=message):
        call()


def test_leaky_counts_of_events_older_than_int64_allows():
    """Was: t_end_us - t wrapped to -1 µs in int64, an event weighted exp(+1e-6) > 1."""
    ev = make_events([-(2**63), 2**63 - 1], [0, 1], [0, 0], [1, 1])
    out = leaky_counts(ev, (2, 1), -(2**63), 2**63 - 1, 1.0)
    assert out[0, 0].tolist() == [0.0, 1.0]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: CorpusOptions(fps="200"), "fps must be a number, got '200'"),
    (lambda: CorpusOptions(min_face=None), "min_face must be a number, got None"),
    (lambda: CorpusOptions(fps=1e6, rgb_fps=30.0, upsample=2), "upsample must lie in"),
    (lambda: CorpusOptions(sensors=3), "sensors must be a tuple of sensor names, got 3"),
    (lambda: CorpusOptions(face_box=(0, 0, 10)), "face_box must be x, y, width, height with a positive size"),
    (lambda: CorpusOptions(fps=10**400), r"fps must be a finite number in \[0.1, 1e\+06\], got 1000"),  # was an OverflowError
    (lambda: CorpusOptions(lux_white=10**400), r"lux_white must be a finite number in \(0, 1e\+06\], got 1000"),
    (lambda: SessionOptions(max_offset_us=None), "max_offset_us must be a number, got None"),
    (lambda: SessionOptions(face_box=float("nan")), "face_box must be x, y, width, height with a positive size"),
])
def test_import_options_name_a_value_that_is_no_number(call, message):
    """Were TypeErrors of a comparison ('<' not supported between 'int' and 'str'), or of
    ``np.isfinite`` on a 31-digit int, or ``len()`` of a float."""
    with pytest.raises(ParameterError, match=message):
        call()


def test_integral_floats_and_numpy_integers_are_taken():
    """What worked before still works: 2.0 bins, a numpy int shift, a numpy float window."""
    assert T.VoxelGrid(SENSOR, 2.0)(EVENTS).shape == (2, 3, 4)
    assert T.Shift(np.int64(1), 0, SENSOR)(EVENTS)["x"].tolist() == [1, 2, 3]
    assert T.TimeSlice(np.float64(5.0), 10)(EVENTS)["t"].tolist() == [5, 9]
    assert T.Shift(10**6, 0, SENSOR)(EVENTS).size == 0  # far beyond any sensor: every event leaves
    assert FacePose(np.float32(0.5), 0, np.float64(3), 1, np.float32(4.0), np.int64(-2)).yaw_deg == 4.0
