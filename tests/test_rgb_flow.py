"""The onset -> apex inputs: optical flow and strain of the RGB camera at hd's pixel size
(``rgb-flow``), the event count image (``events-apex``), and their apex found from the data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from evface.datasets.synth_plan import get_preset
from evface.errors import DatasetError, ParameterError
from evface.events.core import make_events
from evface.events.ops import crop, resample_sensor
from evface.face.identity import procedural_identity
from evface.inputs.classify import InputSpec, clip_input, event_apex_input, flow_input, normalize
from evface.inputs.classify_augment import augment_array
from evface.inputs.classify_dataset import ClassifyDataset
from evface.inputs.clip_view import face_box, frame_stream, resize_area
from evface.inputs.au_regions import region_masks
from evface.inputs.flow import dense_flow, event_apex_us, flow_image, frame_apex_index
from evface.io.clip_writer import write_clip
from evface.models.snn import NetConfig, build, logits
from evface.rig.geometry import RigParams, renderer_face_fraction, rig_geometry
from evface.rig.lighting import LIGHTING
from evface.rig.record import ClipSpec, Rig, clip_seed
from evface.rig.scene import Scene
from evface.rig.timeline import Expression, Timeline
from evface.rig.timeline_draw import draw_timeline
from evface.sim.rgb import RgbCamera, RgbCameraParams

SIZE = 32
EXPRESSION = Expression((12,), onset_us=60_000, apex_us=200_000, hold_end_us=240_000, offset_us=380_000, intensity=0.6)
"""A lip-corner puller at 0.6 of the AU model's micro-expression apex (inside the rig's
0.35-0.7 range), no blinks and no head motion."""


@pytest.fixture(scope="module")
def au12(tmp_path_factory):
    """One bright AU12 clip of a tiny rig (face 122 hd pixels wide) and its rig."""
    rig = Rig(procedural_identity(3), RigParams(lr_face_px=32.0, scene_rate_hz=200.0, rgb_size=(160, 120)))
    spec = ClipSpec("s003_AU12_bright_r0", "s003", 3, "AU12", (12,), "bright", 0)
    clip = rig.record(spec, Timeline(400_000, EXPRESSION), LIGHTING["bright"], clip_seed(0, spec))
    return rig, clip, write_clip(tmp_path_factory.mktemp("au12") / "c.h5", clip)


def test_rgb_camera_at_hd_view_frames_the_hd_roi(au12):
    rig, clip, _ = au12
    stream = frame_stream(clip, "hd", "webcam30")
    assert stream == "rgb-webcam30-hd" and frame_stream(clip, "lr", "webcam30") == "rgb"
    assert clip.frames[stream].data.shape[1:3] == (clip.sensors["hd"].height, clip.sensors["hd"].width)
    assert face_box(clip, stream) == face_box(clip, "hd")
    assert face_box(clip, stream)[2] > 3.5 * face_box(clip, "rgb")[2]  # hd's pixel size, not lr's field of view


def test_au12_flow_is_at_the_mouth_corners(au12):
    rig, clip, path = au12
    flow = clip_input(path, InputSpec(kind="rgb-flow", sensor="hd", size=SIZE, time_steps=2, window="expression"))
    assert flow.shape == (2, 3, SIZE, SIZE) and np.array_equal(flow[0], flow[1])
    magnitude = np.hypot(flow[0, 0], flow[0, 1])
    # Where AU12 moves the face: the renderer's own displacement field, on the flow's grid
    g = rig.geometry
    truth = np.linalg.norm(rig.scene.hd_renderer.displacement({12: 1.0}), axis=-1)
    x, y, w, h = (int(round(v)) for v in g.face_box_canvas)
    moved = resize_area(truth[y:y + h, x:x + w], SIZE)
    corners = moved >= 0.5 * moved.max()
    assert 0.01 < corners.mean() < 0.2  # the mouth-corner region, a small part of the face
    ratio = np.median(magnitude[corners]) / np.median(magnitude)
    assert ratio >= 3.0, f"mouth-corner flow only {ratio:.2f}x the face median"


def test_rgb_flow_of_a_face_too_small_for_optical_flow_names_the_clip_and_the_options(au12):
    """The lr-view camera sees this face about 15 px wide (was: 'DIS optical flow needs images of
    at least 16x16 pixels, got (15, 15)', naming neither the clip nor an option)."""
    _, clip, path = au12
    w, h = face_box(clip, frame_stream(clip, "lr", "webcam30"))[2:]
    assert min(w, h) < 16
    with pytest.raises(DatasetError) as caught:
        clip_input(path, InputSpec(kind="rgb-flow", sensor="lr", size=SIZE, time_steps=2, window="expression"))
    assert str(caught.value) == (f"{path}: the face is {w}x{h} pixels in the 'rgb' frames, less than the 16x16 the "
                                 "optical flow of --input rgb-flow needs (at the frames' own resolution, whatever "
                                 "--size); give another --input, or an RGB camera that sees the face larger "
                                 "(--sensor hd, --rgb-camera)")


def test_apex_is_found_from_the_data(au12):
    _, clip, path = au12
    frames = clip.frames["rgb-webcam30-hd"]
    centre = frames.t_us + frames.exposure_us / 2
    spec = InputSpec(kind="rgb-flow", size=SIZE, time_steps=1, window="expression")
    box = face_box(clip, "rgb-webcam30-hd")
    found = flow_input(frames, box, spec, EXPRESSION.onset_us, EXPRESSION.offset_us)
    # the found apex frame is one of the frames exposed during the apex plateau (+- one period)
    period = 1e6 / frames.fps
    plateau = np.flatnonzero((centre > EXPRESSION.apex_us - period) & (centre < EXPRESSION.hold_end_us + period))
    candidates = [flow_input(frames, box, spec, EXPRESSION.onset_us, EXPRESSION.offset_us, int(centre[k])) for k in plateau]
    assert any(np.array_equal(found, c) for c in candidates)
    # events: the largest net change since the onset falls on the plateau (5 ms search steps)
    ev_box = face_box(clip, "hd")
    grid = resample_sensor(crop(clip.events["hd"], ev_box), ev_box[2:], (SIZE, SIZE))
    apex = event_apex_us(grid, (SIZE, SIZE), EXPRESSION.onset_us, EXPRESSION.offset_us)
    assert EXPRESSION.apex_us - 30_000 <= apex <= EXPRESSION.hold_end_us + 30_000
    counts = event_apex_input(clip.events["hd"], ev_box, InputSpec(size=SIZE, time_steps=1), EXPRESSION.onset_us,
                              EXPRESSION.offset_us)
    oracle = clip_input(path, InputSpec(kind="events-apex", size=SIZE, time_steps=1, window="expression", oracle_apex=True))
    assert counts.shape == oracle.shape == (1, 2, SIZE, SIZE) and counts.sum() > 0 and oracle.sum() > 0


def test_flipping_a_flow_image_negates_its_horizontal_flow():
    x = np.random.default_rng(0).normal(size=(2, 3, 8, 8)).astype(np.float32)
    seed = next(s for s in range(100) if np.random.default_rng(s).random() < 0.5)  # a generator that flips
    out = augment_array(x, "rgb-flow", np.random.default_rng(seed), max_shift=0.0)
    assert np.array_equal(out[:, 0], -x[:, 0, :, ::-1]) and np.array_equal(out[:, 1:], x[:, 1:, :, ::-1])


def test_the_rgb_camera_option_leaves_the_other_streams_unchanged():
    spec = ClipSpec("s001_AU4_dim_r0", "s001", 1, "AU4", (4,), "dim", 0)
    timeline = Timeline(100_000, Expression((4,), 10_000, 40_000, 40_000, 90_000, 0.6))
    clips = [Rig(procedural_identity(1), RigParams(lr_face_px=32.0, scene_rate_hz=200.0, rgb_size=(160, 120),
                                                   rgb_hd_presets=presets)).record(spec, timeline, LIGHTING["dim"],
                                                                                  clip_seed(0, spec))
             for presets in ((), ("highspeed200",), ("webcam30", "highspeed200"))]
    off, one, both = clips
    assert sorted(off.frames) == ["rgb"] and sorted(both.frames) == ["rgb", "rgb-highspeed200-hd", "rgb-webcam30-hd"]
    for clip in (one, both):
        assert all(np.array_equal(clip.events[s], off.events[s]) for s in ("hd", "lr"))
        assert np.array_equal(clip.frames["rgb"].data, off.frames["rgb"].data)
    # a camera's noise does not depend on which other cameras the rig has
    assert np.array_equal(one.frames["rgb-highspeed200-hd"].data, both.frames["rgb-highspeed200-hd"].data)
    assert both.frames["rgb-highspeed200-hd"].fps == 200.0 and len(both.frames["rgb-highspeed200-hd"].t_us) == 20
    with pytest.raises(DatasetError, match="no webcam30 RGB camera with the hd view.*--rgb-hd-cameras"):
        frame_stream(one, "hd", "webcam30")
    assert frame_stream(one, "hd", "highspeed200") == "rgb-highspeed200-hd"


@pytest.mark.slow
def test_the_rgb_flow_snn_fits_its_training_set():
    """The SNN fits the rgb-flow images of 20 clips (5 subjects x 4 classes, the tiny preset's
    timelines with their blinks and head motion, bright light): the frames of the RGB camera at
    hd's pixel size, filmed without the event sensors to keep the test short (7 s on the 2-core
    build machine, idle)."""
    preset = get_preset("tiny")
    rig = replace(preset.rig, rgb_hd_presets=("webcam30",))
    classes = {"AU1+2": (1, 2), "AU4": (4,), "AU6+12": (6, 12), "AU15": (15,)}
    spec = InputSpec(kind="rgb-flow", sensor="hd", size=32, time_steps=2, window="expression")
    x, y = [], []
    for subject in range(5):
        scene = Scene(procedural_identity(subject), rig_geometry(renderer_face_fraction(), rig), rig)
        box = tuple(int(round(v)) for v in scene.geometry.face_box("hd"))
        for label, aus in enumerate(classes.values()):
            timeline = draw_timeline(aus, preset.timeline, seed=[subject, label])
            lux = LIGHTING["bright"].lux
            frames = RgbCamera(RgbCameraParams.preset("webcam30"), seed=subject * 10 + label).capture(
                lambda t: scene.rgb_hd(timeline, t, lux), 0, timeline.duration_us)
            x.append(flow_input(frames, box, spec, timeline.expression.onset_us, timeline.expression.offset_us))
            y.append(label)
    x, y = np.stack(x), np.array(y)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny network: extra threads only wait on each other
    torch.manual_seed(0)
    model = build("snn", NetConfig(spec.channels, len(classes), spec.time_steps, spec.size, depth=2, width=8))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    loader = torch.utils.data.DataLoader(ClassifyDataset(x, y, spec.kind), batch_size=4, shuffle=True)
    for _ in range(30):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(logits(model(xb)), yb).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        train_top1 = float((logits(model(torch.from_numpy(normalize(x, spec.kind)))).argmax(1).numpy() == y).mean())
    torch.set_num_threads(threads)
    assert train_top1 >= 0.9


EVENTS_2X1 = make_events([0, 10, 20], [0, 1, 0], [0, 0, 0], [1, 1, -1])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: event_apex_us(EVENTS_2X1, (2, 1), 0, 100, 0), "step_us must be >= 1, got 0"),
    (lambda: event_apex_us(EVENTS_2X1, (2, 1), 100, 0), r"t_end_us \(0\) must be >= t_start_us \(100\)"),
    (lambda: event_apex_us(EVENTS_2X1, (2, 1), 0, float("nan")), "t_end_us must be a whole number, got nan"),
    (lambda: resize_area(np.ones((4, 4), np.float32), 0), r"size must be in \[1, 65536\], got 0"),
    (lambda: resize_area(np.ones((4, 4), np.float32), 2.5), "size must be a whole number, got 2.5"),
    (lambda: resize_area(np.ones(4, np.float32), 2), r"resize_area needs images \(..., H, W\) of at least one pixel, got shape \(4,\)"),
    (lambda: resize_area(np.ones((3, 0, 5), np.float32), 2), r"at least one pixel, got shape \(3, 0, 5\)"),
    (lambda: region_masks(0), r"size must be in \[1, 65536\], got 0"),
    (lambda: dense_flow(np.zeros((12, 4)), np.zeros((12, 4))), r"at least 16x16 pixels, got \(12, 4\)"),
    (lambda: dense_flow(np.zeros((12, 40)), np.zeros((12, 40))), r"at least 16x16 pixels, got \(12, 40\)"),
])
def test_input_helpers_name_a_bad_value(call, message):
    """Were: step_us=0 a ZeroDivisionError, a backwards window its start returned as the apex, a nan end
    "cannot convert float NaN to integer", size 0 or 2.5 OpenCV's assertion or overload error, a 1-D
    array resized as a 1 x W image, an image without pixels numpy's "cannot reshape", region masks of
    size 0 empty without a word, a 12x4 flow OpenCV's "either width or height >= 12" (both must be), a
    12x40 flow a segmentation fault of the process."""
    with pytest.raises(ParameterError, match=message):
        call()


def test_an_event_apex_search_that_finds_no_change_returns_the_onset():
    """Was: the end of the first step (t_start_us + step_us), undocumented, for a window with no
    events or only drift, a time the data did not pick; now the onset, as frame_apex_index gives
    the onset frame when no frame differs, so the events-apex image holds no motion."""
    drift = make_events(np.arange(0, 100, 10), np.ones(10), np.zeros(10), np.ones(10))  # one ON event a step
    for events in (EVENTS_2X1[:0], drift):
        assert event_apex_us(events, (2, 1), 0, 100, 10) == 0
        counts = event_apex_input(events, (0, 0, 2, 1), InputSpec(kind="events-apex", time_steps=1, size=4), 0, 100)
        assert counts.sum() <= 1  # the events of the onset's microsecond only (was: the first step's)
    assert event_apex_us(EVENTS_2X1, (2, 1), 0, 100, 10) == 20  # a change: the step end where it is largest


def test_frames_holding_nan_are_refused_by_the_apex_search_and_the_flow():
    """Were taken: the frame of a NaN was the apex (its score NaN, which argmax picks first), and a
    NaN grey level was cast to an arbitrary byte (0 here) before the flow, with only a NumPy warning."""
    frames = np.ones((3, 16, 16))
    frames[2, :4] = 1.5  # the apex
    frames[1, 0, 0] = np.nan
    with pytest.raises(ParameterError, match=r"^gray holds 1 of 768 values that are not finite numbers \(NaN or infinity\)"):
        frame_apex_index(frames)
    for onset, apex, name in ((frames[1], frames[2], "onset"), (frames[2], np.full((16, 16), np.inf), "apex")):
        with pytest.raises(ParameterError, match=f"^{name} holds .* not finite numbers .*; optical flow needs grey levels$"):
            flow_image(onset, apex, 8)


def test_an_apex_search_whose_steps_outgrow_memory_is_refused_naming_step_us(monkeypatch):
    """Were: 10^11 steps refused as "n_bins must be in [1, 2147483647]", a parameter the caller never
    gave; a search whose count frames fit half the memory went on to hold six times as much."""
    import os

    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 256 * 256}.get(name, real(name)))
    for size, t_end_us, steps in (((64, 64), 10_000, 1000), ((2, 1), 10**12, 10**11)):  # 31 MiB of frames; 10^11 steps
        with pytest.raises(ParameterError, match=f"^the apex search over {steps} steps of step_us 10 µs on a "
                                                 f"{size[0]}x{size[1]} grid takes about .* GiB, more than half of this "
                                                 "machine's 0 GiB; give a larger step_us or a shorter window$"):
            event_apex_us(EVENTS_2X1, size, 0, t_end_us, 10)



def test_the_strain_of_a_float32_flow_is_computed_in_float32():
    """The API sweep's dtype check cast the flow to float64 before its gradients: rgb-flow inputs
    moved in their last bits and `make run`'s rgb-flow arm scored 57.1 % where it had scored 55.4 %,
    with no change meant. The strain of dense_flow's float32 field is computed as before."""
    from evface.inputs.flow import optical_strain

    flow = np.random.default_rng(0).normal(size=(32, 48, 2)).astype(np.float32)
    du_dy, du_dx = np.gradient(flow[..., 0])
    dv_dy, dv_dx = np.gradient(flow[..., 1])
    exy = 0.5 * (du_dy + dv_dx)
    assert np.array_equal(optical_strain(flow), np.sqrt(du_dx**2 + dv_dy**2 + 2 * exy**2))
