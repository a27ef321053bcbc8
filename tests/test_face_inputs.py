"""Bad input to the face renderer's Python API and to ``evface faces``: one ParameterError (on the
command line one line, exit code 2) naming the value, before any drawing (docs/reliability.md)."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from evface import cli
from evface.commands.face import marked
from evface.errors import FormatError, ParameterError
from evface.face.au_eyes import gaze_shift
from evface.face.aus import check_aus
from evface.face.detect import detect_faces, to_gray_uint8
from evface.face.identity import photo_identity, procedural_identity
from evface.face.preview import contact_sheet, to_srgb8
from evface.face.render import FaceRenderer

_R = FaceRenderer(procedural_identity(2), (48, 48))


def _small_memory(monkeypatch, mib):
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": mib * 256}.get(name, real(name)))


@pytest.mark.parametrize("aus, match", [
    ({12: 0.5, "AU12": 0.9}, "'AU12' and 12 both name AU 12"),
    ({"L14": 0.5, "l14": 0.7}, "'l14' and 'L14' both name AU L14"),
    ({12: 0.0, "12": 0.9}, "'12' and 12 both name AU 12"),
])
def test_an_au_spelled_twice_is_refused(aus, match):
    # was: the last spelling's intensity rendered and the first's dropped without a word
    with pytest.raises(ParameterError, match=match):
        check_aus(aus)
    with pytest.raises(ParameterError, match=match):
        _R.render(aus)
    assert check_aus({14: 0.5, "L14": 0.2}) == {14: 0.5, "L14": 0.2}  # both sides and one side: two AUs


def test_aus_that_are_not_a_mapping_are_refused():
    # was: AttributeError: 'list' object has no attribute 'items'
    with pytest.raises(ParameterError, match="aus: expected a mapping of AU to intensity"):
        _R.render([12])


@pytest.mark.parametrize("intensity", [math.nan, 5.0])
def test_gaze_shift_checks_its_intensities(intensity):
    # was: nan irises, or an eye turned 100 degrees
    with pytest.raises(ParameterError, match="aus\\[61\\] intensity"):
        gaze_shift({61: intensity})


def test_the_renderer_names_an_identity_or_pose_of_the_wrong_kind():
    # was: AttributeError: 'int' object has no attribute 'landmarks' / 'dict' object has no attribute 'is_identity'
    with pytest.raises(ParameterError, match="identity: expected an Identity"):
        FaceRenderer(3, (32, 32))
    with pytest.raises(ParameterError, match="pose: expected a FacePose"):
        _R.render({}, pose={"yaw_deg": 3.0})
    with pytest.raises(ParameterError, match="pose: expected a FacePose"):
        _R.landmarks({}, pose=(0.1, 0.0))


@pytest.mark.parametrize("window", [(1.5, 0, 10, 10), (True, 0, 10, 10), (0, 0, 10.2, 10)])
def test_a_window_of_fractions_or_booleans_is_refused(window):
    # was: 1.5 rendered as 1 and True as 1
    with pytest.raises(ParameterError, match="window: expected \\(x0, y0, w, h\\) integers"):
        _R.render({}, window=window)


def test_a_renderer_beyond_memory_is_refused_before_drawing(monkeypatch):
    # was: a MemoryError, or the process killed part way through drawing the face
    _small_memory(monkeypatch, 16)
    with pytest.raises(ParameterError, match="a 512x512 face renderer takes about .* render a smaller size"):
        FaceRenderer(procedural_identity(0), (512, 512))
    assert FaceRenderer(procedural_identity(0), (16, 16)).render({}).shape == (16, 16, 3)


@pytest.mark.parametrize("args, says", [
    (["--aus", "12+AU12:0.5"], "error: --aus: '12+AU12:0.5' names AU 12 twice; give each AU of a column once"),
    (["--aus", "L14+l14"], "error: --aus: 'L14+l14' names AU L14 twice; give each AU of a column once"),
    (["--size", "512"], "error: --size: a 512x512 face renderer takes about"),
])
def test_faces_refuses_with_one_line_naming_the_option(tmp_path, capsys, monkeypatch, args, says):
    # was: '12+12:0.5' drew the last intensity without a word; a --size beyond memory a MemoryError
    _small_memory(monkeypatch, 16)
    out = tmp_path / "f.png"
    older = marked(bytes(33))  # an older sheet (by its mark), which faces would replace
    out.write_bytes(older)
    assert cli.main(["faces", str(out), "--seeds", "0", "--size", "16", "--pose", "yaw=1", *args]) == 2
    assert capsys.readouterr().err.startswith(says)
    assert out.read_bytes() == older  # nothing overwritten


def test_faces_is_the_same_sheet_in_two_processes(tmp_path):
    # same seeds, same bytes: a contact sheet is a reproducible figure
    sheets = []
    for name in ("a.png", "b.png"):
        args = [sys.executable, "-m", "evface.cli", "faces", str(tmp_path / name), "--seeds", "3,7", "--size", "32",
                "--aus", "12:0.5", "--pose", "yaw=2"]
        assert subprocess.run(args, capture_output=True, timeout=300).returncode == 0
        sheets.append((tmp_path / name).read_bytes())
    assert sheets[0] == sheets[1]


def test_an_image_without_pixels_is_a_format_error():
    # was: OpenCV's "!_src.empty() in function 'cvtColor'" (photo_identity) and an AttributeError (detect_faces)
    with pytest.raises(FormatError, match="x.png: expected an \\(H, W, 3\\) uint8 image, got uint8 \\(0, 0, 3\\)"):
        photo_identity(np.zeros((0, 0, 3), np.uint8), "x", source="x.png")
    with pytest.raises(FormatError, match="expected an image with pixels, got shape \\(0, 0\\)"):
        detect_faces(np.zeros((0, 0), np.uint8))


@pytest.mark.parametrize("call, match", [
    (lambda: detect_faces(np.zeros((32, 32), np.uint8), math.nan), "min_size_frac must be a finite number in \\[0, 1\\], got nan"),
    (lambda: detect_faces(np.zeros((32, 32), np.uint8), 1e9), "min_size_frac must be"),  # was: OpenCV's "Can't parse 'minSize'"
    (lambda: to_gray_uint8(np.ones((4, 4), np.float32), 0), "gamma must be a finite number > 0, got 0"),  # was: ZeroDivisionError
    (lambda: to_srgb8(np.ones((2, 2, 3), np.float32), math.nan), "gain must be a finite number >= 0, got nan"),  # was: all black
    (lambda: to_srgb8(np.array([[[0.5, math.nan, -math.inf]]], np.float32)),  # was: 0 (black) with NumPy's cast warning
     "^reflectance holds 2 of 3 values that are not finite numbers \\(NaN or infinity\\); an 8-bit image has no value"),
    (lambda: to_srgb8(np.array([[[1j, 0.5, 0.5]]])), "^reflectance must be an array of numbers, got dtype complex128$"),
    (lambda: to_srgb8("abc"), "^reflectance must be an array of numbers, got dtype <U3$"),  # was: float()'s ValueError
    (lambda: contact_sheet([_R.identity], [{}], size="64"), "size must be an integer, got '64'"),  # was: a TypeError
    (lambda: contact_sheet([_R.identity], [{}], size=24, difference_gain="1"),
     "difference_gain: expected a number >= 0 \\(0 = off\\), got '1'"),  # was: NumPy's "ufunc 'isfinite' not supported"
])
def test_detection_and_preview_numbers_are_checked(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
