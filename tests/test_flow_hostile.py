"""A hostile pass over the newest code: the optical flows (TV-L1 and DIS) given images of another
scale or beyond the memory, a non-square crop and a rotation, and TV-L1's settings against OpenCV's;
the exact McNemar test at discordant counts near the int64 end (scipy's incomplete beta gave 0
there); the report of a flow run whose config.json names no optical flow."""

from __future__ import annotations

import json
import math
import shutil

import cv2
import numpy as np
import pytest
from scipy.special import betainc, erfc
from skimage.registration import optical_flow_tvl1

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.errors import ParameterError
from evface.inputs.flow import FLOW_METHODS, TVL1_SETTINGS, dense_flow, flow_image, tvl1_flow
from evface.tasks import stats
from evface.tasks.classify import train_and_evaluate
from evface.tasks.configs import ClassifyConfig

CFG = ClassifyConfig(input="rgb-flow", sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none",
                     augment=False, device="cpu", folds=2, threads=1, flow="dis")
"""A tiny network, one epoch, two folds of the toy dataset's 4 subjects, on the DIS flow of its 16 x 16 frames."""


def _pattern(h: int, w: int, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return 0.5 + 0.2 * np.sin((xx - dx) / 4.0) * np.cos((yy - dy) / 5.0) + 0.05 * np.sin((xx - dx + yy - dy) / 7.0)


@pytest.mark.parametrize(("flow", "method"), [(tvl1_flow, "tvl1"), (dense_flow, "dis")])
@pytest.mark.parametrize("scale", [255, -1])
def test_grey_levels_outside_0_1_are_refused_naming_the_image(flow, method, scale):
    """Was: clipped to [0, 1] without a word, so 8-bit frames (0..255, as cv2.imread gives them) all
    but saturated and both flows said nothing moved (median u 0.0 for a 2 px shift)."""
    onset, apex = _pattern(64, 64), _pattern(64, 64, 2.0)
    says = r"^onset must hold grey levels in \[0, 1\], got -?[\d.]+\.\.-?[\d.]+ \(8-bit frames: divide by 255\)$"
    with pytest.raises(ParameterError, match=says):
        flow(onset * scale, apex * scale)
    with pytest.raises(ParameterError, match=says):
        flow(np.round(onset * 255).astype(np.uint8) if scale == 255 else onset * scale, apex)
    with pytest.raises(ParameterError, match=says.replace("onset", "apex")):
        flow(onset, apex * scale)
    with pytest.raises(ParameterError, match=says):
        flow_image(onset * scale, apex * scale, 16, method)


def test_grey_levels_a_rounding_past_0_1_and_whole_0_1_images_are_taken():
    """float32 rounding of an area average (1 + 1e-7) is not another scale; bool and 0/1 integer
    images are grey levels."""
    onset, apex = _pattern(32, 32), _pattern(32, 32, 1.0)
    onset[0, 0], apex[0, 0] = 1 + 1e-7, -1e-7
    for flow in (tvl1_flow, dense_flow):
        assert np.isfinite(flow(onset, apex)).all()
        assert flow(onset > 0.5, apex > 0.5).shape == flow((onset > 0.5).astype(np.int64), apex > 0.5).shape == (32, 32, 2)


@pytest.mark.parametrize(("h", "w"), [(40, 96), (96, 40)])
@pytest.mark.parametrize(("dx", "dy"), [(0.0, 1.5), (-1.0, 1.0)])
def test_a_non_square_crop_gives_each_axis_in_its_own_output_pixels(h, w, dx, dy):
    """flow_image shrinks a non-square crop to a square: u by size / w, v by size / h (swapped, a
    shift along y read in x's scale, the tests of square crops could not tell)."""
    onset, apex = _pattern(h, w), _pattern(h, w, dx, dy)
    for method in FLOW_METHODS:
        image = flow_image(onset, apex, 16, method)
        u, v = (float(np.median(image[i, 4:12, 4:12])) for i in (0, 1))
        assert u == pytest.approx(dx * 16 / w, abs=0.02) and v == pytest.approx(dy * 16 / h, abs=0.02), (method, u, v)


def test_a_rotation_is_followed_by_both_flows_in_one_convention():
    """A 3 degree turn about the centre: the flow at each pixel is M x - x, with u right and v down,
    for TV-L1 and DIS alike (a sign or axis of one flipped would turn it the other way)."""
    rng = np.random.default_rng(0)
    onset = cv2.GaussianBlur(rng.uniform(0, 1, (96, 96)).astype(np.float32), (0, 0), 2.5)
    onset = (onset - onset.min()) / (onset.max() - onset.min())
    m = cv2.getRotationMatrix2D((47.5, 47.5), 3.0, 1.0)
    apex = np.clip(cv2.warpAffine(onset, m, (96, 96), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT), 0, 1)
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float64)
    truth = np.stack([m[0, 0] * xx + m[0, 1] * yy + m[0, 2] - xx, m[1, 0] * xx + m[1, 1] * yy + m[1, 2] - yy], -1)
    inner = (slice(24, 72), slice(24, 72))
    for flow in (tvl1_flow(onset, apex), dense_flow(onset, apex)):
        assert np.median(np.abs(flow[inner] - truth[inner])) < 0.06  # the turn moves these pixels up to 1.3 px


def test_tvl1_is_opencvs_lambda_on_0_255_grey_levels():
    """docs/classification.md: OpenCV DualTVL1's lambda 0.15 weighs 0-255 grey levels; tvl1_flow gives
    scikit-image [0, 1] levels with attachment 0.15 x 255. Both are the same flow (scaling the images
    by s scales lambda by s); scikit-image's default attachment, 15, is another (0.35 px apart here)."""
    rng = np.random.default_rng(0)
    onset = cv2.GaussianBlur(rng.uniform(0, 1, (64, 64)).astype(np.float32), (0, 0), 2)
    onset = (onset - onset.min()) / (onset.max() - onset.min())
    apex = np.roll(onset, 2, axis=1)
    ours = tvl1_flow(onset, apex)
    levels = [np.round(x * 255).astype(np.float32) for x in (onset, apex)]
    settings = {**TVL1_SETTINGS, "attachment": 0.15}
    opencv_units = np.stack(optical_flow_tvl1(*levels, dtype=np.float32, **settings)[::-1], axis=-1)
    assert np.abs(ours - opencv_units).max() < 1e-3
    default = np.stack(optical_flow_tvl1(*(x / 255 for x in levels), dtype=np.float32, **{**TVL1_SETTINGS, "attachment": 15})[::-1],
                       axis=-1)
    assert np.abs(ours - default).max() > 0.1


def _normal_tail(a_only: int, b_only: int) -> float:
    """2 P(X <= min) of Bin(a + b, 1/2) by the continuity-corrected normal limit, computed here apart."""
    return float(erfc((abs(a_only - b_only) - 1) / math.sqrt(2 * (a_only + b_only))))


@pytest.mark.parametrize(("a_only", "b_only"), [(2**62, 2**62 + 10**10), (2**62 + 10**10, 2**62),
                                                (3 * 2**60, 3 * 2**60 + 5 * 10**9), (2**61, 2**61 + 10**10)])
def test_mcnemar_near_the_int64_end_is_the_binomial_tail_not_zero(a_only, b_only):
    """Was 0.0 (scipy's betainc underflows past about 2^61 discordant clips): 2^62 vs 2^62 + 10^10 is
    3.3 standard deviations apart, p = 0.00099. At these counts the symmetric binomial's tail is the
    normal one to far below 1e-9 (its error falls as 1 / n)."""
    assert stats.mcnemar_exact(a_only, b_only) == pytest.approx(_normal_tail(a_only, b_only), rel=1e-9)
    assert 1e-6 < stats.mcnemar_exact(a_only, b_only) < 0.5


def test_mcnemar_is_continuous_where_it_leaves_the_incomplete_beta():
    """Either side of 2^53 discordant clips (where the counts stop being exact floats) the p-value of
    a 0.5 to 8 standard deviation imbalance is the incomplete beta's to its own accuracy there."""
    for z in (0.5, 2.0, 5.0, 8.0):
        for n in (2**53 - 2**20, 2**53 + 2**20):
            a_only = (n - 2 * int(z * math.sqrt(n) / 2)) // 2  # n even: b_only - a_only = 2 int(z sqrt(n) / 2)
            b_only = n - a_only
            k = min(a_only, b_only)
            assert stats.mcnemar_exact(a_only, b_only) == pytest.approx(2 * float(betainc(n - k, k + 1, 0.5)), rel=1e-5)


@pytest.fixture(scope="module")
def dis_run(tmp_path_factory):
    """A tiny rgb-flow run (:data:`CFG`)."""
    root = tmp_path_factory.mktemp("dis")
    train_and_evaluate(toy_dataset(root / "data"), root / "dis", CFG)
    return root / "dis"


@pytest.mark.parametrize("flow", [None, 5, "farneback", ["dis"]])
def test_a_report_of_a_flow_run_whose_config_names_no_flow_is_refused_naming_the_file(dis_run, tmp_path, capsys, flow):
    """Was: written, saying "Optical flow of run: None." (or 5, or farneback), a flow evface never ran,
    where evface eval refuses the same file; a run without ``flow`` is DIS (test_flow_methods.py)."""
    run = shutil.copytree(dis_run, tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    config["flow"] = config["spec"]["flow"] = flow
    (run / "config.json").write_text(json.dumps(config))
    assert main(["report", str(run), "--out", str(tmp_path / "report.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {run / 'config.json'}: not as evface writes it (flow must be one of the optical flows, "
                   f"not {flow!r}; choose from tvl1, dis)")
    assert not (tmp_path / "report.html").exists()


def test_a_flow_of_images_beyond_the_memory_is_refused_before_any_work(monkeypatch):
    """Were: taken, whatever the memory (TV-L1 holds 139 bytes a pixel, DIS 60). Here a machine of
    8 MiB: 256 x 256 pixels are too many for either flow, 128 x 128 fit DIS and TV-L1 (2.5 MiB)."""
    import os

    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2048}.get(name, real(name)))
    for flow, method in ((tvl1_flow, "tvl1"), (dense_flow, "dis")):
        with pytest.raises(ParameterError, match=f"^the {method} optical flow of images of 65536 pixels takes about "
                                                 r"0\.0 GiB, more than half of this machine's 0 GiB; shrink the images first$"):
            flow(_pattern(256, 256), np.full((256, 256), np.nan))  # refused before the NaN is looked for
        assert flow(_pattern(128, 128), _pattern(128, 128, 1.0)).shape == (128, 128, 2)
