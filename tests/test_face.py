"""Realism and consistency tests for the face model (identities, AUs, renderer)."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from evface.errors import FaceNotFoundError, FormatError, ParameterError
from evface.face.aus import AU_TABLE, CLASS_SETS, DEFAULT_CLASSES, OPPOSITE_GAZE, check_aus
from evface.face.detect import detect_faces, to_gray_uint8
from evface.face.head_pose import FacePose
from evface.face.identity import (TEMPLATE, builtin_photo_identities, landmarks_from_geometry, photo_identity,
                                  procedural_identity, read_photo)
from evface.face.render import FaceRenderer

from picture_fixtures import jpeg_with_damaged_exif
from pipe_fixtures import refused_within

SIZE = (320, 320)


@pytest.fixture(scope="module")
def renderers():
    return {s: FaceRenderer(procedural_identity(s), SIZE) for s in range(20)}


def test_haar_finds_neutral_procedural_faces(renderers):
    found = 0
    for r in renderers.values():
        gray = to_gray_uint8(np.clip(r.render({}) * 1.2, 0, 1))  # bright light, gamma 2.2
        found += len(detect_faces(gray)) > 0
    assert found >= 18  # >= 90 %


def test_haar_box_matches_face_box(renderers):
    r = renderers[0]
    faces = detect_faces(r.render({}))
    assert len(faces)
    x, y, w, h = faces[0]
    bx, by, bw, bh = r.face_box
    assert abs((x + w / 2) - (bx + bw / 2)) < 0.1 * bw and abs((y + h / 2) - (by + bh / 2)) < 0.15 * bh
    assert 0.8 < w / bw < 1.25


def test_seeds_give_different_identities(renderers):
    imgs = [renderers[s].render({}) for s in range(6)]
    again = renderers[0].render({})
    assert np.array_equal(imgs[0], again)  # re-rendering is exact
    jitter = np.abs(renderers[0].render({}, FacePose(dx=0.002)) - imgs[0]).mean()
    for i in range(6):
        for j in range(i + 1, 6):
            d = np.abs(imgs[i] - imgs[j]).mean()
            assert d > 0.02 and d > 10 * jitter


def test_rendering_is_deterministic():
    a = FaceRenderer(procedural_identity(7), (96, 80)).render({12: 0.6, 45: 0.3}, FacePose(0.01, -0.01, 1.5, 1.02))
    b = FaceRenderer(procedural_identity(7), (96, 80)).render({12: 0.6, 45: 0.3}, FacePose(0.01, -0.01, 1.5, 1.02))
    assert a.dtype == np.float32 and a.shape == (80, 96, 3)
    assert np.array_equal(a, b)
    assert 0.0 <= a.min() and a.max() <= 1.0


def test_two_sizes_are_one_view():
    ident = procedural_identity(3)
    small = FaceRenderer(ident, (160, 120)).render({4: 1.0})
    big = FaceRenderer(ident, (320, 240)).render({4: 1.0})
    down = big.reshape(120, 2, 160, 2, 3).mean(axis=(1, 3))
    assert np.abs(down - small).mean() < 0.02
    lm_s = FaceRenderer(ident, (160, 120)).landmarks({12: 1.0})
    lm_b = FaceRenderer(ident, (320, 240)).landmarks({12: 1.0})
    assert np.allclose((lm_b["mouth"] + 0.5) / 2 - 0.5, lm_s["mouth"], atol=0.05)


@pytest.fixture(scope="module")
def small_renderers():
    return {s: FaceRenderer(procedural_identity(s), (200, 200)) for s in (0, 11)}


@pytest.mark.parametrize("seed", [0, 11])
@pytest.mark.parametrize("au", sorted(AU_TABLE))
def test_au_apex_displacement_in_range_and_direction(small_renderers, seed, au):
    r = small_renderers[seed]
    info = AU_TABLE[au]
    from evface.face.aus import POINTS

    group, idx = POINTS[info.landmark]
    d = (r.landmarks({au: 1.0})[group][idx] - r.landmarks({})[group][idx]) / r.face_width_px
    mag = float(np.hypot(*d))
    lo, hi = info.apex_range_fw
    assert lo <= mag <= hi, (au, mag, info.apex_range_fw)
    cos = float(d @ np.asarray(info.direction)) / mag
    assert cos > 0.9, (au, d, info.direction)
    # Bilateral AUs move the mirrored landmark the mirrored way.
    if info.landmark.endswith("_l"):
        g2, i2 = POINTS[info.landmark[:-2] + "_r"]
        d2 = (r.landmarks({au: 1.0})[g2][i2] - r.landmarks({})[g2][i2]) / r.face_width_px
        assert np.allclose(d2, [-d[0], d[1]], atol=0.25 * mag)


def _mean_flow(a, b, box):
    import cv2

    ga, gb = to_gray_uint8(a), to_gray_uint8(b)
    flow = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 9, 5, 5, 1.1, 0)
    x0, y0, x1, y1 = (int(t) for t in box)
    return flow[y0:y1, x0:x1].reshape(-1, 2).mean(axis=0)


def test_image_content_moves_in_the_facs_direction():
    r = FaceRenderer(procedural_identity(2), (320, 320))
    neutral = r.render({})
    lm = r.landmarks({})
    fw = r.face_width_px
    # AU12: the left lip corner region moves up and to the image left (outward).
    c = lm["mouth"][0]
    f = _mean_flow(neutral, r.render({12: 1.0}), (c[0] - 0.03 * fw, c[1] - 0.03 * fw, c[0] + 0.03 * fw, c[1] + 0.03 * fw))
    assert f[0] < -0.3 and f[1] < -0.3
    # AU4: the inner end of the right brow moves down and towards the midline (image left).
    b = lm["brow_r"][0]
    f = _mean_flow(neutral, r.render({4: 1.0}), (b[0] - 0.02 * fw, b[1] - 0.03 * fw, b[0] + 0.04 * fw, b[1] + 0.03 * fw))
    assert f[1] > 0.3 and f[0] < -0.1
    # AU1: inner brow up.
    f = _mean_flow(neutral, r.render({1: 1.0}), (b[0] - 0.02 * fw, b[1] - 0.03 * fw, b[0] + 0.04 * fw, b[1] + 0.03 * fw))
    assert f[1] < -0.3


def test_landmarks_follow_the_warp():
    r = FaceRenderer(procedural_identity(5), (256, 256))
    aus = {12: 1.0, 4: 0.7, 26: 0.8}
    D = r.displacement(aus)
    lm0, lm1 = r.landmarks({}), r.landmarks(aus)
    for group in ("mouth", "brow_l", "brow_r", "chin"):
        for s, p in zip(lm0[group], lm1[group], strict=True):
            x, y = int(round(p[0])), int(round(p[1]))
            assert np.allclose(D[y, x], p - s, atol=0.35)


def test_specific_facs_directions():
    r = FaceRenderer(procedural_identity(4), (256, 256))
    n = r.landmarks({})
    brow_gap = lambda lm: lm["brow_r"][0, 0] - lm["brow_l"][0, 0]  # noqa: E731
    au4 = r.landmarks({4: 1.0})
    assert brow_gap(au4) < brow_gap(n) and au4["brow_l"][0, 1] > n["brow_l"][0, 1]
    au12 = r.landmarks({12: 1.0})
    mw = lambda lm: lm["mouth"][1, 0] - lm["mouth"][0, 0]  # noqa: E731
    assert mw(au12) > mw(n) and (au12["mouth"][:2, 1] < n["mouth"][:2, 1]).all()
    au15 = r.landmarks({15: 1.0})
    assert (au15["mouth"][:2, 1] > n["mouth"][:2, 1]).all()
    au26 = r.landmarks({26: 1.0})
    assert au26["chin"][0, 1] > n["chin"][0, 1] and au26["mouth"][3, 1] > n["mouth"][3, 1]
    assert abs(au26["mouth"][2, 1] - n["mouth"][2, 1]) < 0.2  # upper lip stays
    au43 = r.landmarks({43: 1.0})
    for s in ("l", "r"):
        assert abs(au43[f"eye_{s}"][1, 1] - n[f"eye_{s}"][3, 1]) < 1.0  # upper lid meets lower lid
    au5 = r.landmarks({5: 1.0})
    assert au5["eye_l"][1, 1] < n["eye_l"][1, 1]


def test_blink_darkens_nothing_but_covers_the_eye():
    r = FaceRenderer(procedural_identity(8), (256, 256))
    lm = r.landmarks({})
    c = lm["iris_l"][0]
    x, y = int(round(c[0])), int(round(c[1]))
    open_px = r.render({})[y, x].mean()
    closed_px = r.render({45: 1.0})[y, x].mean()
    assert open_px < 0.1 < closed_px  # the dark pupil is covered by lid skin


def test_jaw_drop_shows_the_upper_teeth_over_a_dark_mouth():
    r = FaceRenderer(procedural_identity(9), (256, 256))
    m = r.landmarks({})["mouth"]
    x = int(round(m[4, 0] + 0.03 * r.face_width_px))  # the middle of a central incisor
    y0, y1 = int(m[4, 1]) - 2, int(m[4, 1]) + 12
    column = lambda img: img[y0:y1, x].mean(axis=-1)  # noqa: E731
    closed, opened = column(r.render({})), column(r.render({25: 1.0, 26: 1.0}))
    teeth = np.flatnonzero(opened > 0.4)  # enamel: brighter than any lip or skin of the closed mouth
    assert len(teeth) >= 2 and closed.max() < 0.3
    assert opened[teeth.max() + 1 :].min() < 0.09  # the dark mouth below the teeth


def test_check_aus_rejects_bad_input():
    with pytest.raises(ParameterError):
        check_aus({99: 0.5})
    with pytest.raises(ParameterError):
        check_aus({12: 1.5})
    assert check_aus({12: 0.0, 4: 0.2}) == {4: 0.2}


@pytest.mark.parametrize("gamma", [float("nan"), -1.0, "2.2", None])
def test_to_gray_refuses_a_gamma_that_is_no_positive_number_whatever_the_image(gamma):
    """Was: taken without a word for a uint8 image (a float image's gamma was checked)."""
    with pytest.raises(ParameterError, match=r"^gamma must be a"):
        to_gray_uint8(np.zeros((4, 4, 3), np.uint8), gamma)


def test_to_gray_and_photo_identity_refuse_an_empty_image_or_a_name_that_is_no_str():
    """Were: OpenCV's "(-215:Assertion failed) !_src.empty() in function 'cvtColor'"; NumPy's "The truth
    value of an array with more than one element is ambiguous" for an array given as the name."""
    with pytest.raises(FormatError, match=r"^expected an image with pixels, got shape \(0, 0, 3\)$"):
        to_gray_uint8(np.zeros((0, 0, 3), np.uint8))
    image = np.zeros((64, 64, 3), np.uint8)
    for name in (image, None, ""):
        with pytest.raises(ParameterError, match=r"^name must be a non-empty str \(the identity's name\), got "):
            photo_identity(image, name)


@pytest.mark.parametrize("geometry", [None, 0.2, [0.2, 0.1], "eye_v", np.zeros(23)])
def test_geometry_that_is_no_mapping_is_refused_naming_the_argument(geometry):
    """Was Python's error: ``TypeError: 'NoneType' object is not subscriptable``, "list indices must be
    integers or slices, not str", an array's "only integers, slices ... are valid indices"."""
    with pytest.raises(ParameterError, match=r"^g must be a mapping of geometry parameters by name \(as TEMPLATE\), "
                                             r"got (NoneType|float|list|str|ndarray)$"):
        landmarks_from_geometry(geometry)


def test_geometry_lacking_parameters_is_refused_naming_them():
    """Was a bare ``KeyError: 'eye_u'`` for the first key the drawing reached."""
    with pytest.raises(ParameterError, match=r"^g lacks the geometry parameters mouth_v \(TEMPLATE has every one\)$"):
        landmarks_from_geometry({k: v for k, v in TEMPLATE.items() if k != "mouth_v"})


@pytest.mark.parametrize("aus", [0, [], (), ""])
def test_aus_that_are_no_mapping_are_refused_even_when_empty(aus):
    """Were: drawn as the neutral face (``aus or {}``), where ``[12]`` or ``1`` was refused."""
    r = FaceRenderer(procedural_identity(0), size=(32, 32))
    for call in (r.render, r.landmarks):
        with pytest.raises(ParameterError, match=r"^aus: expected a mapping of AU to intensity, e\.g\. \{12: 0\.5\}, got "):
            call(aus)
    assert r.render(None).shape == r.render({}).shape == (32, 32, 3)


@pytest.mark.parametrize("aus, named", [
    ({61: 1.0, 62: 1.0}, r"61 \(eyes turn left\) and 62 \(eyes turn right\)"),
    ({"AU64": 0.2, 63: 0.5, 12: 0.5}, r"63 \(eyes up\) and 'AU64' \(eyes down\)"),
])
def test_gaze_aus_of_opposite_directions_are_refused(aus, named):
    """Were: both drawn, their iris motions summed ({61: 1, 62: 1} looked straight ahead)."""
    r = FaceRenderer(procedural_identity(0), size=(32, 32))
    for call in (r.render, r.landmarks):
        with pytest.raises(ParameterError, match=rf"^aus: {named} turn the eyes opposite ways, which FACS scores as "
                                                 "one or the other; give one of the two$"):
            call(aus)
    assert r.render({61: 1.0, 62: 0.0, 64: 0.5}).shape == (32, 32, 3)  # an AU at 0 is absent


def test_class_sets():
    assert 6 <= len(DEFAULT_CLASSES) <= 8
    for classes in CLASS_SETS.values():
        for aus in classes.values():
            assert aus and all(a in AU_TABLE for a in aus)


def test_photo_identity_astronaut():
    (astro,) = builtin_photo_identities()
    assert astro.kind == "photo" and astro.name == "astronaut"
    r = FaceRenderer(astro, (256, 256))
    img = r.render({12: 1.0, 45: 0.5})
    assert img.shape == (256, 256, 3) and np.isfinite(img).all()
    assert len(detect_faces(r.render({}))) == 1
    x, y, w, h = r.face_box
    eyes = r.landmarks({})["iris_l"][0], r.landmarks({})["iris_r"][0]
    for e in eyes:  # eyes inside the upper half of the face box
        assert x < e[0] < x + w and y < e[1] < y + h / 2 + 0.1 * h


def test_photo_without_face_raises():
    rng = np.random.default_rng(0)
    img = (rng.random((120, 160, 3)) * 40 + 100).astype(np.uint8)
    with pytest.raises(FaceNotFoundError, match="no frontal face"):
        photo_identity(img, "noise")


def test_procedural_identity_rejects_negative_seed():
    with pytest.raises(ParameterError):
        procedural_identity(-1)


def test_pose_moves_image_and_landmarks_together():
    r = FaceRenderer(procedural_identity(6), (200, 200))
    fw = r.face_width_px
    base = r.render({})
    pose = FacePose(dx=5 / fw, dy=-3 / fw)  # a whole-pixel shift: (+5, -3) px
    moved = r.render({}, pose)
    assert np.allclose(moved[20:-20, 20:-20], base[23:-17, 15:-25], atol=1e-4)
    lm0, lm1 = r.landmarks({}), r.landmarks({}, pose)
    assert np.allclose(lm1["mouth"] - lm0["mouth"], [5, -3], atol=1e-6)
    # roll about the face centre keeps the centre still and rotates the eye line
    rolled = r.landmarks({}, FacePose(roll_deg=10))
    eye_l, eye_r = rolled["iris_l"][0], rolled["iris_r"][0]
    angle = np.degrees(np.arctan2(-(eye_r[1] - eye_l[1]), eye_r[0] - eye_l[0]))
    assert 8 < angle < 12  # counter-clockwise on screen


def test_pose_and_aus_compose():
    r = FaceRenderer(procedural_identity(6), (200, 200))
    fw = r.face_width_px
    pose = FacePose(dx=4 / fw)
    a = r.render({12: 1.0, 45: 0.6})
    b = r.render({12: 1.0, 45: 0.6}, pose)
    assert np.allclose(b[20:-20, 24:-16], a[20:-20, 20:-20], atol=1e-4)


def test_non_square_canvas_keeps_the_face_fraction():
    r = FaceRenderer(procedural_identity(1), (240, 160))
    x, y, w, h = r.face_box
    assert abs(w - 1.15 * 0.42 * 160) <= 1
    assert r.render({}).shape == (160, 240, 3)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_R96 = FaceRenderer(procedural_identity(21), (96, 96))


@settings(max_examples=25, deadline=None)
@given(
    aus=st.dictionaries(st.sampled_from(sorted(AU_TABLE)), st.floats(0.0, 1.0), max_size=4).filter(
        lambda aus: not any(aus.get(a, 0) > 0 and aus.get(b, 0) > 0 for a, b in OPPOSITE_GAZE)),  # FACS: one of each
    dx=st.floats(-0.05, 0.05),
    dy=st.floats(-0.05, 0.05),
    roll=st.floats(-5, 5),
    scale=st.floats(0.95, 1.05),
)
def test_any_aus_and_pose_render_a_valid_image(aus, dx, dy, roll, scale):
    pose = FacePose(dx, dy, roll, scale)
    img = _R96.render(aus, pose)
    assert img.shape == (96, 96, 3) and img.dtype == np.float32
    assert np.isfinite(img).all() and img.min() >= 0.0 and img.max() <= 1.0
    lm = _R96.landmarks(aus, pose)
    assert all(np.isfinite(v).all() for v in lm.values())


@settings(max_examples=20, deadline=None)
@given(au=st.sampled_from([1, 2, 4, 6, 9, 12, 14, 15, 20]), w=st.floats(0.05, 1.0))
def test_smooth_aus_scale_linearly_with_intensity(au, w):
    from evface.face.aus import POINTS

    g, i = POINTS[AU_TABLE[au].landmark]
    n = _R96.landmarks({})[g][i]
    full = _R96.landmarks({au: 1.0})[g][i] - n
    part = _R96.landmarks({au: w})[g][i] - n
    # linear in the field; the landmark solves p = s + D(p), which bends it by a few per cent
    assert np.abs(part - w * full).max() <= 0.1 * np.abs(full).max()


def test_photo_without_detected_eyes_falls_back_to_the_face_box():
    import cv2
    from skimage import data

    img = data.astronaut()
    sharp = photo_identity(img, "sharp")
    small = photo_identity(cv2.resize(img, (200, 200), interpolation=cv2.INTER_AREA), "small")
    assert sharp.params["eyes"] is not None and small.params["eyes"] is None
    k = 200 / 512
    centre_sharp = sharp.photo_from_face @ [0.0, 0.0, 1.0] * k
    centre_small = small.photo_from_face @ [0.0, 0.0, 1.0]
    fw_sharp = np.hypot(*sharp.photo_from_face[:, 0]) * k
    fw_small = np.hypot(*small.photo_from_face[:, 0])
    assert np.hypot(*(centre_sharp - centre_small)) < 0.1 * fw_sharp
    assert abs(fw_small / fw_sharp - 1) < 0.15


def test_contact_sheet_and_cli(tmp_path):
    import cv2

    from evface.cli import main
    from evface.face.preview import contact_sheet

    sheet = contact_sheet([procedural_identity(0), procedural_identity(1)], [{}, {12: 1.0}, {4: 1.0}], size=48,
                          difference_gain=8.0)
    assert sheet.shape == (96, 144, 3) and sheet.dtype == np.uint8
    assert sheet[:, 48:].max() > 0  # the AU columns differ from neutral
    with pytest.raises(ParameterError, match="difference_gain: expected a number >= 0"):
        contact_sheet([procedural_identity(0)], [{}], size=48, difference_gain=float("nan"))
    out = tmp_path / "faces.png"
    assert main(["faces", str(out), "--seeds", "0-1", "--aus", "6+12", "--aus", "R14:0.5", "--pose", "yaw=4,pitch=-2",
                 "--size", "48"]) == 0
    assert cv2.imread(str(out)).shape == (96, 192, 3)
    assert main(["faces", str(out), "--pose", "tilt=3"]) == 2
    assert main(["faces", str(out), "--aus", "99"]) == 2  # unknown AU: one-line error
    assert main(["faces", str(out), "--seeds", "x"]) == 2
    for name in ("faces.jpg", "faces"):  # was: PNG bytes under a JPEG name, or no extension
        assert main(["faces", str(tmp_path / name), "--seeds", "0"]) == 2
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("args, says", [
    (("--aus", "99"), "--aus: aus: unknown action unit"),  # was 'aus: unknown ...', no option
    (("--aus", "12:7"), "--aus: aus[12] intensity must be a finite number in [0, 1], got 7.0"),
    (("--seeds", "5-2"), "--seeds: '5-2' runs backwards"),  # was 'contact_sheet: expected at least one identity', then 'names no identity'
    (("--pose", "yaw=40"), "--pose: FacePose.yaw_deg: the renderer turns the head in depth by at most 10 degrees"),
    (("--seeds", "0-100000"), "--seeds, --aus, --pose, --size: 100001 faces x 14 columns of 192 px tiles exceed"),
    (("--seeds", "0-99999999999"), "--seeds, --aus, --pose, --size: 100000000000 faces"),  # was listed: MemoryError
    (("--seeds", "9" * 23), "--seeds must be"),  # was "seed must be >= 0", not naming the option
    (("--seeds", "0", "--size", "20000"), "--seeds, --aus, --pose, --size: 1 face x 14 columns of 20000 px tiles"),  # said "1 faces"
    (("--diff", "-3"), "--diff: expected a number >= 0 (0 = off), got -3.0"),  # -3 and nan were drawn as off
    (("--diff", "nan"), "--diff: expected a number >= 0 (0 = off), got nan"),
    (("--pose", "dx=1"), "--pose: cannot read 'dx=1'; expected e.g. 'yaw=4', 'pitch=-3,roll=2'"),  # said --pose twice
])
def test_cli_faces_names_the_option_of_a_bad_value(tmp_path, capsys, args, says):
    from evface.cli import main

    assert main(["faces", str(tmp_path / "faces.png"), *args]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {says}")
    assert not (tmp_path / "faces.png").exists()


def test_head_turns_beyond_the_warps_range_are_refused():
    # at 20 degrees the linear warp bent the neck and cheek into a crescent (drawn without complaint)
    assert FacePose(yaw_deg=10.0, pitch_deg=-10.0).yaw_deg == 10.0
    for kw in ({"yaw_deg": 20.0}, {"pitch_deg": -10.5}, {"yaw_deg": float("nan")}):
        with pytest.raises(ParameterError, match="at most 10 degrees"):
            FacePose(**kw)
    from evface.rig.timeline_draw import TimelineParams

    with pytest.raises(ParameterError, match="exceed the renderer's 10 degrees"):
        TimelineParams(yaw_deg_range=9.9)  # plus its 0.3 degree wobble


def test_glasses_are_rigid():
    seed = next(s for s in range(50) if procedural_identity(s).params["glasses"])
    r = FaceRenderer(procedural_identity(seed), (400, 400))
    (ox, oy), rgba = r._overlay
    ys, xs = np.nonzero(rgba[..., 3] > 0.999)  # opaque: nothing of the moving skin shows through
    ys, xs = ys + oy, xs + ox
    a, b = r.render({}), r.render({1: 1.0, 2: 1.0, 4: 1.0, 45: 1.0})
    assert len(ys) > 50
    assert np.allclose(a[ys, xs], b[ys, xs], atol=1e-5)  # frames do not bend with brows or lids
    shifted = r.render({}, FacePose(dx=3 / r.face_width_px))
    assert np.allclose(shifted[ys, xs + 3], a[ys, xs], atol=1e-4)  # but move with the head


def test_skin_motion_stops_below_the_jaw_line():
    r = FaceRenderer(procedural_identity(3), (256, 256))
    D = r.displacement({26: 1.0, 17: 1.0, 15: 1.0})
    x, y = (int(round(t)) for t in r.landmarks({})["jaw"][4])  # chin on the face outline
    assert np.hypot(*D[y, x]) > 1.0  # the outline moves with the jaw
    below = D[y + int(0.1 * r.face_width_px):, :]
    assert np.abs(below).max() == 0.0  # neck, clothes and background stay


_GLASSES = FaceRenderer(procedural_identity(next(s for s in range(50) if procedural_identity(s).params["glasses"])),
                        (256, 240))


@settings(max_examples=40, deadline=None)
@given(
    aus=st.dictionaries(st.sampled_from([1, 4, 12, 17, 25, 26, 45]), st.floats(0.0, 1.0), max_size=3),
    pose=st.one_of(st.just(FacePose()), st.builds(FacePose, st.floats(-0.05, 0.05), st.floats(-0.05, 0.05),
                                                   st.floats(-5, 5), st.floats(0.95, 1.05))),
    x0=st.integers(0, 255), y0=st.integers(0, 239), w=st.integers(1, 256), h=st.integers(1, 240),
)
def test_window_is_the_crop_of_the_full_render(aus, pose, x0, y0, w, h):
    w, h = min(w, 256 - x0), min(h, 240 - y0)
    full = _GLASSES.render(aus, pose)
    part = _GLASSES.render(aus, pose, window=(x0, y0, w, h))
    assert part.shape == (h, w, 3) and part.dtype == np.float32
    assert np.array_equal(part, full[y0 : y0 + h, x0 : x0 + w])  # bit-identical, glasses included
    assert np.array_equal(_GLASSES.render(aus, pose), full)  # a window leaves no trace in the next frame


def test_window_must_lie_on_the_canvas():
    for bad in [(0, 0, 0, 5), (-1, 0, 5, 5), (90, 0, 7, 5), (0, 90, 5, 7), (0, 0, 5), "abcd"]:
        with pytest.raises(ParameterError, match="window"):
            _R96.render({}, window=bad)


def test_windows_starting_inside_the_moving_parts_are_exact():
    """Windows that cut through the displaced region and the glasses under a pose: the hard cases."""
    aus, pose = {1: 1.0, 4: 0.7, 12: 1.0, 26: 0.8, 45: 0.5}, FacePose(0.03, -0.02, 3.0, 1.03)
    full = _GLASSES.render(aus, pose)
    for x0 in range(0, 256, 17):
        for y0 in range(0, 240, 19):
            w, h = min(70, 256 - x0), min(60, 240 - y0)
            assert np.array_equal(_GLASSES.render(aus, pose, window=(x0, y0, w, h)), full[y0 : y0 + h, x0 : x0 + w])


def test_one_sided_au14_moves_only_the_subjects_side():
    r = FaceRenderer(procedural_identity(3), (200, 200))
    n = r.landmarks({})["mouth"]
    left = r.landmarks({"L14": 1.0})["mouth"] - n  # the subject's left: the image-right corner (index 1)
    both = r.landmarks({14: 1.0})["mouth"] - n
    assert np.hypot(*left[1]) == pytest.approx(np.hypot(*both[1]), rel=0.1)
    assert np.hypot(*left[0]) < 0.1 * np.hypot(*both[0])
    img, neutral = r.render({"L14": 1.0}), r.render({})
    diff = np.abs(img - neutral).sum(axis=2)
    assert diff[:, 100:].sum() > 10 * diff[:, :100].sum()
    with pytest.raises(ParameterError):
        check_aus({"L4": 0.5})


def test_gaze_moves_the_iris_inside_the_eye():
    r = FaceRenderer(procedural_identity(1), (320, 320))
    lm = r.landmarks({})
    c = lm["iris_l"][0]
    fw = r.face_width_px
    f = _mean_flow(r.render({}), r.render({61: 0.5}), (c[0] - 0.03 * fw, c[1] - 0.02 * fw, c[0] + 0.03 * fw, c[1] + 0.02 * fw))
    assert f[0] > 0.5 and abs(f[1]) < 0.5 * f[0]
    far = r.render({61: 1.0}) - r.render({})
    brow = lm["brow_l"][2]
    assert np.abs(far[int(brow[1]) - 5 : int(brow[1]) + 5]).max() == 0  # the lids and brows stay


def test_upper_lid_follows_vertical_gaze_but_not_horizontal():
    r = FaceRenderer(procedural_identity(1), (320, 320))
    lid = {name: r.landmarks(aus)["eye_l"][1] for name, aus in
           (("neutral", {}), ("down", {64: 0.5}), ("up", {63: 0.5}), ("left", {61: 0.5}))}
    iris_drop = r.landmarks({64: 0.5})["iris_l"][0][1] - r.landmarks({})["iris_l"][0][1]
    lid_drop = lid["down"][1] - lid["neutral"][1]
    assert 0.5 * iris_drop < lid_drop < 1.5 * iris_drop  # the lid moves about as far as the iris
    assert lid["up"][1] < lid["neutral"][1]
    assert np.allclose(lid["left"], lid["neutral"])


def test_yaw_moves_the_nose_more_than_the_face_outline_and_not_the_far_backdrop():
    r = FaceRenderer(procedural_identity(2), (320, 320))
    pose = FacePose(yaw_deg=3.0)
    nose = r.landmarks({}, pose)["nose"][1] - r.landmarks({})["nose"][1]
    jaw = r.landmarks({}, pose)["jaw"][0] - r.landmarks({})["jaw"][0]
    assert nose[0] > jaw[0] > 0
    diff = np.abs(r.render({}, pose) - r.render({})).sum(axis=2)
    assert diff[:, :5].max() == 0 and diff[:, -5:].max() == 0  # the canvas edges stay still


def test_each_eye_window_moves_with_its_own_eye_only():
    """The renderer evaluates only the eye that spans a window's columns: the other eye leaves
    those pixels exactly still, so skipping it changes no pixel."""
    from evface.face import au_eyes

    r = FaceRenderer(procedural_identity(0), size=(200, 200))
    lm = r.identity.landmarks
    state = {43: 0.6, 61: 0.5, 64: 0.3}  # lids half closed, gaze left and down
    assert [sorted(geom) for _, _, geom in r._eyes] == [["l"], ["r"]]
    for _, pts, geom in r._eyes:
        both = au_eyes.eye_displacement(state, pts, lm)  # both eyes evaluated
        own = au_eyes.eye_displacement(state, pts, lm, geom)
        assert np.abs(both).max() > 0.0 and np.array_equal(both, own)


def test_a_subnormal_gaze_renders_without_a_warning():
    # hypothesis found it: gaze intensities around 1e-310 overflowed room / |gaze| to inf (clipped
    # to 1 as meant, but with a RuntimeWarning)
    r = FaceRenderer(procedural_identity(0), (96, 96))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = r.render({61: 1e-310})
    assert np.isfinite(image).all()


@pytest.mark.parametrize("kind, says", [("folder", "is a folder; give --photo an image file"),
                                        ("pipe", "is a device, pipe or socket, not a file; give --photo an image file saved to disk")])
def test_faces_refuses_a_photo_that_is_a_folder_or_a_pipe(tmp_path, kind, says):
    """`evface faces --photo` of a named pipe waited for a writer for ever, and of a folder said
    "unreadable or corrupt image": now one line naming it, exit code 2 and no sheet written."""
    photo = tmp_path / "face.png"
    photo.mkdir() if kind == "folder" else os.mkfifo(photo)
    out = tmp_path / "f.png"
    args = [sys.executable, "-m", "evface.cli", "faces", str(out), "--seeds", "0", "--size", "16", "--photo", str(photo)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert (result.returncode, result.stderr.strip()) == (2, f"error: {photo}: {says}")
    assert not out.exists()


@pytest.mark.parametrize("args, says", [
    (("--aus", "12", "--aus", "12"), "--aus: '12' draws the column of '12' again; give each column once"),
    (("--aus", "6+12", "--aus", "12:1+6"), "--aus: '12:1+6' draws the column of '6+12' again; give each column once"),
    (("--pose", "yaw=2", "--pose", "pitch=0,yaw=2"),
     "--pose: 'pitch=0,yaw=2' draws the column of 'yaw=2' again; give each column once"),
])
def test_faces_refuses_a_column_given_twice(tmp_path, capsys, args, says):
    """`evface faces --aus 12 --aus 12` drew the same column twice without a word (a seed, a photo,
    an AU within a column or an angle given twice was already refused)."""
    from evface.cli import main  # lazy: one CLI test among the renderer's

    out = tmp_path / "f.png"
    assert main(["faces", str(out), "--seeds", "0", "--size", "16", "--aus", "4", "--pose", "roll=1", *args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert not out.exists()


@pytest.mark.parametrize("pose", ["yaw=0", "pitch=0,roll=-0.0", "yaw=0,pitch=0,roll=0"])
def test_faces_refuses_a_pose_column_of_zero_angles(tmp_path, pose):
    """`evface faces --pose yaw=0` drew a column that repeats the neutral face (a column naming no
    angle was already refused for that): now one line naming the value and --pose, exit code 2."""
    out = tmp_path / "f.png"
    args = [sys.executable, "-m", "evface.cli", "faces", str(out), "--seeds", "0", "--size", "16", "--pose", pose]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    said = (f"error: --pose: {pose!r} turns the head by no angle, a column that would repeat the neutral face; "
            "give e.g. 'yaw=4'")
    assert (result.returncode, result.stderr.strip()) == (2, said)
    assert not out.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("kind, says", [("pipe", "is a device, pipe or socket, not a file; give an image file saved to disk"),
                                        ("folder", "is a folder; give an image file")])
def test_read_photo_refuses_a_pipe_or_a_folder_unopened(tmp_path, kind, says):
    """`face.identity.read_photo` of a named pipe called face.png waited for its writer for ever
    (only `evface faces --photo` refused one, at the command), and of a folder said "unreadable or
    corrupt image": now one line naming it, from os.stat, nothing opened."""
    photo = tmp_path / "face.png"
    photo.mkdir() if kind == "folder" else os.mkfifo(photo)
    assert refused_within(lambda: read_photo(photo), photo, FormatError) == [f"{photo}: {says}"]


@pytest.mark.parametrize("damage", ["tag past the end", "directory cut short"])
def test_read_photo_of_a_jpeg_with_damaged_exif_warns_of_nothing(tmp_path, damage):
    """Pillow's "UserWarning: Corrupt EXIF data" (or "Tag data larger than file") went to standard
    error for a photo whose EXIF block it could not parse whole; Pillow only checks that the JPEG is
    whole, OpenCV reads the picture and its orientation (upright here), so nothing is said now."""
    photo = tmp_path / "face.jpg"
    upright = jpeg_with_damaged_exif(photo, damage)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rgb = read_photo(photo)
    assert rgb.shape == upright.shape  # turned by its orientation, which OpenCV still finds
    assert np.abs(rgb.astype(int) - upright).mean() < 4


def test_faces_of_a_photo_with_damaged_exif_prints_no_python_warning(tmp_path):
    """`evface faces --photo face.jpg` of a JPEG with a damaged EXIF block printed Pillow's
    "UserWarning: Corrupt EXIF data. Expecting to read 12 bytes but only got 2." and its source
    line on standard error: now nothing, and the sheet is drawn."""
    photo, out = tmp_path / "face.jpg", tmp_path / "f.png"
    jpeg_with_damaged_exif(photo, "directory cut short")
    args = [sys.executable, "-m", "evface.cli", "faces", str(out), "--seeds", "0", "--size", "16", "--aus", "12",
            "--pose", "yaw=2", "--photo", str(photo)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert (result.returncode, result.stderr) == (0, "")
    assert out.exists()
