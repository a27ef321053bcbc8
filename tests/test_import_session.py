"""`evface import session` on a synthetic session written in native formats.

hd: EVT3 .raw with one trigger per RGB frame; lr: AEDAT4 without triggers; rgb: MP4 (mp4v);
known clock offsets and RGB -> sensor homographies (see import_fixtures).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from import_fixtures import RGB_EXPOSURE_US, RGB_SIZE, build_session, store_sideways, write_aedat4, write_evt3
from picture_fixtures import DAMAGED_SCAN_SAYS, jpeg_damaged_in_its_scan

from evface.cli import main
from evface.io.clip_reader import read_clip
from evface.io.dataset import DatasetFolder
from evface.io.event_reader import read_events_file
from evface.datasets.importers.registration import RegistrationError, apply_homography, map_box
from evface.datasets.importers.rgb_scan import read_video_frames, scan_video
from evface.datasets.importers.rgb_timing import frame_times
from evface.datasets.importers.session import import_session
from evface.datasets.importers.session_options import EventSource, RgbSource, SessionOptions
from evface.datasets.importers.sync import SyncError
from evface.errors import DatasetError, EvfaceError, FormatError, ParameterError
import evface.sim.frame_folder
import evface.sim.video_read
from evface.sim.video_read import iter_video_frames


pytestmark = pytest.mark.xdist_group("import-session")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`session`, `imported`, `frame_folder`) are built once (was: once in each worker, 6-11 s each;
pytest < 9.2: tests/test_xdist_groups.py)."""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("session")
    truth = build_session(root)
    return root, truth


REAL_VIDEO = Path(__file__).parents[2] / "shared" / "real-video" / "short_hamilton_clip.mp4"


def sources(root, **kw):
    hd = {k[3:]: v for k, v in kw.items() if k.startswith("hd_")}
    lr = {k[3:]: v for k, v in kw.items() if k.startswith("lr_")}
    return [EventSource("hd", root / "hd.raw", "evk4", **hd), EventSource("lr", root / "lr.aedat4", "davis346", **lr)]


def rgb(root, **kw):
    return RgbSource(root / "rgb.mp4", exposure_us=RGB_EXPOSURE_US, **kw)


def sensor_error_px(h, h_true, size):
    """Largest disagreement over a grid on the sensor (pixels)."""
    x, y = np.meshgrid(np.linspace(0, size[0] - 1, 9), np.linspace(0, size[1] - 1, 9))
    pts = np.c_[x.ravel(), y.ravel()]
    rgb_pts = apply_homography(np.linalg.inv(h_true), pts)
    return float(np.abs(apply_homography(h, rgb_pts) - pts).max())


@pytest.fixture(scope="module")
def imported(session, tmp_path_factory):
    root, truth = session
    out = tmp_path_factory.mktemp("out") / "ds"
    report = import_session(sources(root), rgb(root), root / "annotations.csv", out)
    return out, report


def test_sync_trigger_exact_and_xcorr_within_1ms(session, imported):
    _, truth = session
    _, report = imported
    hd, lr = report["sensors"]["hd"]["sync"], report["sensors"]["lr"]["sync"]
    assert hd["method"] == "trigger" and hd["offset_us"] == truth["hd"].offset_us and hd["spread_us"] == 0
    assert lr["method"] == "xcorr" and abs(lr["offset_us"] - truth["lr"].offset_us) <= 1000
    assert lr["confidence"] > 0.5


@pytest.fixture(scope="module")
def vfr_session(tmp_path_factory):
    """A session whose video is of variable frame rate (:data:`import_fixtures.VFR_TICKS`), and its
    truth; read only."""
    root = tmp_path_factory.mktemp("vfr") / "raw"
    return root, build_session(root, vfr=True)


@pytest.mark.parametrize("motion", [False, True])
def test_variable_frame_rate_video_placed_at_its_container_timestamps(session, imported, vfr_session, tmp_path, capsys,
                                                                      motion):
    """Frames of a variable-frame-rate video (phones, webcams) are placed at their container
    timestamps, here up to 333 ms from ``i / fps`` (was: at ``i / fps``, so that the trigger pulses,
    sent at the true frame times, matched no frame: "trigger pulses do not match the RGB frames"),
    and the import says so in one line, kept in dataset.json (was: without a word). A video of
    constant rate, or a given --rgb-fps, keeps ``i / fps``."""
    root, truth = vfr_session
    t, _ = frame_times(rgb(root), scan_video(root / "rgb.mp4", motion=motion))
    assert t.tolist() == truth["t_rgb"].tolist()
    t, _ = frame_times(rgb(root, fps=30.0), scan_video(root / "rgb.mp4", motion=motion))
    assert t.tolist() == np.round(np.arange(t.size) * 1e6 / 30).tolist()
    constant, truth_constant = session
    t, _ = frame_times(rgb(constant), scan_video(constant / "rgb.mp4", motion=motion))
    assert t.tolist() == truth_constant["t_rgb"].tolist() == np.round(np.arange(t.size) * 1e6 / 30).tolist()
    if motion:
        assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--events",
                     f"lr={root / 'lr.aedat4'}", "--rgb", str(root / "rgb.mp4"), "--annotations",
                     str(root / "annotations.csv"), "--rgb-exposure-us", str(RGB_EXPOSURE_US)]) == 0
        said = f"{root / 'rgb.mp4'}: variable frame rate (frame intervals 16.7-66.7 ms, the video states 30 fps): frames placed at"
        report = json.loads((tmp_path / "ds" / "dataset.json").read_text())["import"]
        assert report["rgb"]["timing"] == "container" and report["warnings"][0].startswith(said)
        assert f"warning: {report['warnings'][0]}" in capsys.readouterr().err.splitlines()
        hd, lr = report["sensors"]["hd"]["sync"], report["sensors"]["lr"]["sync"]
        assert hd["method"] == "trigger" and hd["offset_us"] == truth["hd"].offset_us and hd["spread_us"] == 0
        assert lr["method"] == "xcorr" and abs(lr["offset_us"] - truth["lr"].offset_us) <= 1000
        _, constant_report = imported
        assert constant_report["rgb"]["timing"] == "fps" and not any("frame rate" in w for w in constant_report["warnings"])


def test_estimated_homography_within_1px(session, imported):
    _, truth = session
    _, report = imported
    for name in ("hd", "lr"):
        h = np.array(report["sensors"][name]["registration"]["homography"])
        assert sensor_error_px(h, truth[name].homography, truth[name].size) < 1.0


def test_clips_match_the_originals(session, imported):
    root, truth = session
    out, _ = imported
    ds = DatasetFolder.open(out)
    assert [r["clip_id"] for r in ds.rows] == ["s01_a", "s01_b"]
    assert ds.rows[0]["aus"] == [1, 2] and ds.rows[0]["label"] == "AU1+2" and ds.rows[1]["label"] == "AU12"
    clip = read_clip(ds.clip_path(ds.rows[1]))
    start, end = 1_000_000, 1_800_000
    assert (clip.onset_us, clip.apex_us, clip.offset_us, clip.duration_us) == (200_000, 300_000, 450_000, 800_000)
    # hd is trigger-synchronised: its events are exactly the originals in the window, shifted
    ev = truth["hd_events"]
    t_session = ev["t"] + truth["hd"].offset_us
    want = ev[(t_session >= start) & (t_session < end)]
    got = clip.events["hd"]
    assert got.size == want.size
    np.testing.assert_array_equal(got["t"], t_session[(t_session >= start) & (t_session < end)] - start)
    np.testing.assert_array_equal(got["x"], want["x"])
    assert clip.sensors["hd"].size == (160, 120) and clip.sensors["lr"].size == (96, 72)
    frames = clip.frames["rgb"]
    assert frames.data.shape == (24, RGB_SIZE[1], RGB_SIZE[0], 3)
    assert frames.t_us[0] == truth["t_rgb"][30] - start and np.all(frames.exposure_us == RGB_EXPOSURE_US)
    assert frames.fps == 30.0  # the video's rate (was 1e6 / the median period rounded to a µs: 30.0003)
    h = np.array(clip.calibration["homography"]["hd"])
    assert sensor_error_px(h, truth["hd"].homography, (160, 120)) < 1.0
    assert clip.calibration["sync"]["hd"]["method"] == "trigger"
    boxes = clip.calibration["face_box"]
    x, y, w, hh = boxes["rgb"]
    assert 30 < x + w / 2 < 100 and 20 < y + hh / 2 < 76 and w > 30  # the pasted face
    np.testing.assert_allclose(boxes["hd"], map_box(truth["hd"].homography, boxes["rgb"]), atol=1.0)
    info = json.loads((out / "dataset.json").read_text())
    assert info["generator"] == "evface import session"


def test_trigger_sync_follows_clock_drift(session, tmp_path):
    """The hd clock runs 100 ppm slow: the trigger fit recovers the drift and maps every event back."""
    root, truth = session
    hd, k = truth["hd"], 100e-6
    t_ref = int(truth["hd_events"]["t"][0])

    def slow(t):
        return np.round(t_ref + (np.asarray(t) - t_ref) / (1 + k)).astype(np.int64)

    ev = truth["hd_events"].copy()
    ev["t"] = slow(ev["t"])
    trig = np.zeros(truth["t_rgb"].size, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"], trig["rising"] = slow(truth["t_rgb"] - hd.offset_us), True
    write_evt3(tmp_path / "hd.raw", ev, hd.size, trig)
    report = run(root, tmp_path / "ds", src=[EventSource("hd", tmp_path / "hd.raw", homography=hd.homography,
                                                        registration="given")])
    sync = report["sensors"]["hd"]["sync"]
    assert sync["method"] == "trigger" and abs(sync["drift_ppm"] - 100) < 0.5 and sync["residual_us"] <= 1
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_b.h5", frames=False)
    t_session = truth["hd_events"]["t"] + hd.offset_us - 1_000_000
    want = np.sort(t_session[(t_session >= 10) & (t_session < 800_000 - 10)])
    got = clip.events["hd"]["t"]
    got = got[(got >= 10) & (got < 800_000 - 10)]
    assert got.size == want.size and np.abs(got - want).max() <= 1


def test_point_pairs_roi_and_given_offset(session, tmp_path):
    root, truth = session
    h_true = truth["hd"].homography
    uv = np.array([[10, 10], [110, 12], [115, 85], [8, 80], [60, 45], [30, 70]], dtype=float)
    xy = apply_homography(h_true, uv)
    lines = ["rgb_x,rgb_y,x,y"] + [f"{u},{v},{x},{y}" for (u, v), (x, y) in zip(uv, xy, strict=True)]
    (tmp_path / "points.csv").write_text("\n".join(lines) + "\n")
    src = [EventSource("hd", root / "hd.raw", sync="offset", offset_us=truth["hd"].offset_us,
                       points=tmp_path / "points.csv", roi=(20, 10, 100, 90))]
    report = import_session(src, rgb(root), root / "annotations.csv", tmp_path / "ds")
    reg = report["sensors"]["hd"]["registration"]
    assert reg["method"] == "points" and reg["error_px"] < 1e-3
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5")
    assert clip.sensors["hd"].size == (100, 90) and clip.sensors["hd"].roi == (20, 10, 100, 90)
    h_roi = np.array(clip.calibration["homography"]["hd"])
    np.testing.assert_allclose(apply_homography(h_roi, uv), xy - [20, 10], atol=1e-3)
    assert clip.events["hd"]["x"].max() < 100 and report["sensors"]["hd"]["sync"]["method"] == "given"


def test_cli_import_session(session, tmp_path):
    root, truth = session
    code = main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}",
                 "--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"),
                 "--rgb-exposure-us", str(RGB_EXPOSURE_US), "--offset", f"hd={truth['hd'].offset_us}",
                 "--sync", "hd=offset", "--no-faces", "--face-box", "40,24,48,48", "--classes", "default"])
    assert code == 0
    rows = DatasetFolder.open(tmp_path / "ds").rows
    assert [(r["clip_id"], r["label"]) for r in rows] == [("s01_a", "AU1+2")]  # AU12 alone is no default class
    info = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert info["import"]["skipped"] == [{"clip_id": "s01_b", "aus": [12], "line": 3}]
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}",
                 "--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv")]) == 2


def test_cli_import_session_inside_another_dataset_is_refused(session, tmp_path, capsys):
    """OUT inside another dataset folder was imported there, among that dataset's clips."""
    root, _ = session
    data = tmp_path / "data"
    (data / "clips").mkdir(parents=True)
    (data / "dataset.json").write_text("{}")
    assert main(["import", "session", str(data / "clips" / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box",
                 "40,24,48,48"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {data / 'clips' / 'ds'}: inside the dataset folder {data} (it holds dataset.json), where what this "
        "command writes would lie among the dataset's files; give OUT a folder outside it")
    assert sorted(p.name for p in data.rglob("*")) == ["clips", "dataset.json"]


def test_cli_import_session_prints_every_digit_of_the_offset(session, tmp_path, capsys, monkeypatch):
    """A narrow terminal or a log (80 columns) folds the table's cells instead of cutting them: an
    AEDAT4 file's UNIX-epoch offset was printed '-160553749071…'; a given offset has no confidence
    (was: 1.00)."""
    root, truth = session
    monkeypatch.setenv("COLUMNS", "44")
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}",
                 "--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"),
                 "--offset", f"hd={truth['hd'].offset_us}", "--sync", "hd=offset", "--no-faces",
                 "--face-box", "40,24,48,48"]) == 0
    rows = [line.split("│") for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    assert "".join(r[3].strip() for r in rows) == str(truth["hd"].offset_us)
    assert rows[0][4].strip() == "-"


# ----------------------------------------------------------------------------- error paths


def run(root, out, *, src=None, rgb_src=None, ann=None, **opts):
    return import_session(src or sources(root)[:1], rgb_src or rgb(root), ann or root / "annotations.csv", out,
                          SessionOptions(**{"detect_faces": False, "face_box": (40, 24, 48, 48), **opts}))


def assert_nothing_written(out):
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()


def test_missing_event_file(session, tmp_path):
    root, _ = session
    with pytest.raises(FormatError, match="nope.raw"):
        run(root, tmp_path / "ds", src=[EventSource("hd", tmp_path / "nope.raw")])
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("option", ["--events", "--annotations", "--rgb-timestamps"])
def test_cli_a_folder_given_for_an_input_file_says_it_is_a_folder(session, tmp_path, capsys, option):
    """A folder given as a file (a recording's folder for its .raw) was "event file of sensor 'hd' not found"."""
    root, _ = session
    given = {"--events": f"hd={root / 'hd.raw'}", "--annotations": str(root / "annotations.csv")}
    given[option] = f"hd={tmp_path}" if option == "--events" else str(tmp_path)
    assert main(["import", "session", str(tmp_path / "ds"), "--rgb", str(root / "rgb.mp4"), "--no-faces",
                 "--face-box", "40,24,48,48", *(word for pair in given.items() for word in pair)]) == 2
    what = {"--events": "event file of sensor 'hd'", "--annotations": "annotation file",
            "--rgb-timestamps": "frame-timestamp file"}[option]
    assert capsys.readouterr().err.strip() == f"error: {tmp_path}: is a folder, where the {what} is expected; give the file"
    assert_nothing_written(tmp_path / "ds")


def test_unreadable_event_file(session, tmp_path):
    root, _ = session
    (tmp_path / "bad.aedat4").write_bytes(b"not an aedat file at all")
    with pytest.raises(FormatError, match="bad.aedat4"):
        run(root, tmp_path / "ds", src=[EventSource("lr", tmp_path / "bad.aedat4")])
    assert_nothing_written(tmp_path / "ds")


def test_unreadable_and_missing_video(session, tmp_path):
    root, _ = session
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 1000)
    with pytest.raises(FormatError, match="bad.mp4"):
        run(root, tmp_path / "ds", rgb_src=RgbSource(tmp_path / "bad.mp4"))
    with pytest.raises(FormatError, match="missing.mp4"):
        run(root, tmp_path / "ds", rgb_src=RgbSource(tmp_path / "missing.mp4"))
    assert_nothing_written(tmp_path / "ds")


def test_frame_rate_or_start_beside_a_timestamp_file_is_refused(tmp_path):
    for kw in ({"fps": 25.0}, {"start_us": 5000}):
        with pytest.raises(ParameterError, match="would be ignored: the frame times come from the timestamp file"):
            RgbSource(tmp_path / "v.mp4", timestamps=tmp_path / "t.csv", **kw)


def test_timestamp_count_mismatch(session, tmp_path):
    root, _ = session
    (tmp_path / "ts.csv").write_text("t_us\n" + "\n".join(str(33_333 * k) for k in range(50)) + "\n")
    with pytest.raises(DatasetError, match="50 timestamps but the video"):
        run(root, tmp_path / "ds", rgb_src=rgb(root, timestamps=tmp_path / "ts.csv"))
    assert_nothing_written(tmp_path / "ds")


def test_annotation_outside_rgb_recording(session, tmp_path):
    root, _ = session
    ann = tmp_path / "a.csv"
    ann.write_text("subject,start_us,onset_us,apex_us,offset_us,end_us,aus\ns1,3800000,3850000,3900000,3950000,4200000,4\n")
    # a clip just past the recording names no frame rate (that hint is for clips far past it)
    with pytest.raises(DatasetError, match=r"line 2: clip s1_c000 .* outside the RGB recording \(0\.\.\d+ µs\)$"):
        run(root, tmp_path / "ds", ann=ann)
    assert_nothing_written(tmp_path / "ds")


EPOCH_US = 1_605_537_490_712_345
"""An absolute time, µs since the UNIX epoch (2020-11-16 14:38:10 UTC), as AEDAT 4 files and camera logs keep them."""
FRAMES_AS_NUMBERS = "or frame numbers in their place (start_frame, onset_frame, apex_frame, offset_frame, end_frame)"


def _cli_session(out, *extra):
    return main(["import", "session", str(out), "--no-faces", "--face-box", "40,24,48,48", *extra])


def test_cli_absolute_frame_times_against_relative_clip_times_say_which_is_absolute(session, tmp_path, capsys):
    """A camera's timestamp log in UNIX-epoch µs against an annotation table timed from the
    recording's start: was only "lies outside the RGB recording (1605537490712345..… µs)"; now says
    the frame times are absolute, from which file, and what to change in the table."""
    root, truth = session
    (tmp_path / "ts.csv").write_text("t_us\n" + "\n".join(str(EPOCH_US + int(t)) for t in truth["t_rgb"]) + "\n")
    assert _cli_session(tmp_path / "ds", "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
                        "--rgb-timestamps", str(tmp_path / "ts.csv"), "--annotations", str(root / "annotations.csv")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {root / 'annotations.csv'}: line 2: clip s01_a (100000..900000 µs) lies outside the "
                          f"RGB recording ({EPOCH_US}..")
    assert err.endswith(f"µs): the RGB frame times are absolute (µs since the UNIX epoch: the first frame at 2020-11-16 "
                        f"14:38:10 UTC), from the timestamp file {tmp_path / 'ts.csv'}, and the clip times relative to "
                        f"the recording; give the table's times on the frames' clock (add {EPOCH_US} µs, the first "
                        f"frame's time, to its *_us columns), {FRAMES_AS_NUMBERS}"), err
    assert_nothing_written(tmp_path / "ds")


def test_cli_absolute_clip_times_against_relative_frame_times_say_which_is_absolute(session, tmp_path, capsys):
    """An annotation table in UNIX-epoch µs against a video timed from 0 at its own rate: was "lies
    outside the RGB recording (0..… µs): the video states … frames at 30 fps, far shorter than the
    clips; give the camera's fps (--rgb-fps)", which no rate mends; now names the absolute side and
    --rgb-start-us."""
    root, _ = session
    ann = tmp_path / "a.csv"
    ann.write_text("subject,start_us,onset_us,apex_us,offset_us,end_us,aus\n"
                   + f"s1,{EPOCH_US},{EPOCH_US + 1000},{EPOCH_US + 2000},{EPOCH_US + 3000},{EPOCH_US + 4000},4\n")
    assert _cli_session(tmp_path / "ds", "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
                        "--annotations", str(ann)) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("µs): the clip times are absolute (µs since the UNIX epoch: the clip starts at 2020-11-16 "
                        "14:38:10 UTC), and the RGB frame times relative to the recording (at i / fps from "
                        "--rgb-start-us: the first frame at 0 µs); give the first frame's absolute time with "
                        "--rgb-start-us US, or the table's times relative to the first frame (less its absolute time), "
                        f"{FRAMES_AS_NUMBERS}"), err
    assert "far shorter" not in err
    assert_nothing_written(tmp_path / "ds")


def test_cli_absolute_event_times_against_relative_clip_times_say_which_is_absolute(session, tmp_path, capsys):
    """An AEDAT 4 file in UNIX-epoch µs given the offset of a relative clock (--offset lr=-377123):
    was only "lies outside the lr recording (its events span 16055… µs …; offset -377123 µs as given
    with --offset lr=US)"; now says the events are absolute and the offset that starts them at the
    first frame. The same file synchronised by that offset imports."""
    root, truth = session
    events = truth["lr_events"].copy()
    events["t"] += EPOCH_US
    write_aedat4(tmp_path / "lr.aedat4", events, truth["lr"].size)
    lr = f"lr={tmp_path / 'lr.aedat4'}"
    common = ["--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--sync", "lr=offset",
              "--homography", "lr=nominal", "--registration-check", "warn"]
    assert _cli_session(tmp_path / "ds", "--events", lr, "--offset", f"lr={truth['lr'].offset_us}", *common) == 2
    err = capsys.readouterr().err.strip()
    offset = int(truth["t_rgb"][0]) - int(events["t"][0])
    assert err.endswith(f"µs as given with --offset lr=US): the lr events lie at absolute times on the session clock (µs "
                        "since the UNIX epoch: the first at 2020-11-16 14:38:10 UTC), the RGB frames and clips at "
                        "relative ones; the offset must carry the file's times onto the RGB clock: --offset "
                        f"lr={offset} starts the events at the first frame, or sync by the trigger pulses (--sync "
                        f"lr=trigger) or cross-correlation (--sync lr=xcorr --offset lr={offset} centres its search)"), err
    assert_nothing_written(tmp_path / "ds")
    given = truth["lr"].offset_us - EPOCH_US
    assert _cli_session(tmp_path / "ds", "--events", lr, "--offset", f"lr={given}", *common) == 0


def test_annotation_outside_event_recording(session, tmp_path):
    root, truth = session
    src = [EventSource("hd", root / "hd.raw", sync="offset", offset_us=truth["hd"].offset_us + 2_000_000)]
    with pytest.raises(DatasetError, match=r"outside the hd recording \(.* offset -?\d+ µs as given with --offset hd=US\)$"):
        run(root, tmp_path / "ds", src=src)  # was "offset ... µs by given)"
    assert_nothing_written(tmp_path / "ds")


def test_triggers_that_do_not_match_the_frames(session, tmp_path):
    root, truth = session
    t = truth["t_rgb"].copy()
    t[40:] += 20_000  # the video's real frame times differ from the trigger pulses
    (tmp_path / "ts.csv").write_text("\n".join(map(str, t)) + "\n")
    with pytest.raises(SyncError, match="trigger pulses do not match"):
        run(root, tmp_path / "ds", rgb_src=rgb(root, timestamps=tmp_path / "ts.csv"))
    with pytest.raises(SyncError, match="no trigger events"):
        run(root, tmp_path / "ds", src=[EventSource("lr", root / "lr.aedat4", sync="trigger")])
    assert_nothing_written(tmp_path / "ds")


def test_low_confidence_estimate_is_refused(session, tmp_path):
    root, _ = session
    with pytest.raises(SyncError, match="confidence"):
        run(root, tmp_path / "ds", src=[EventSource("lr", root / "lr.aedat4")], min_confidence=1.0)
    assert_nothing_written(tmp_path / "ds")


def test_existing_output_and_bad_parameters(session, tmp_path):
    root, _ = session
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(DatasetError, match="not empty"):
        run(root, out)
    assert (out / "keep.txt").exists()
    with pytest.raises(ParameterError, match="unique"):
        run(root, tmp_path / "x", src=sources(root)[:1] * 2)
    with pytest.raises(ParameterError, match="offset_us"):
        EventSource("hd", root / "hd.raw", sync="offset")
    with pytest.raises(ParameterError, match=r"ROI \(150, 0, 20, 20\) does not fit the 160x120 sensor of .*hd.raw; "
                                             r"give --roi hd=X0,Y0,W,H within it$"):  # named no option
        run(root, tmp_path / "x", src=[EventSource("hd", root / "hd.raw", roi=(150, 0, 20, 20))])


def test_cli_a_negative_trigger_first_frame_is_refused(session, tmp_path, capsys):
    """--trigger-first-frame hd=-3 paired the first pulse with the third frame from the end
    (numpy's negative index) and synced the camera by that wrong offset: here the clips then fell
    outside the hd recording, which the error blamed; in a longer recording, without a word."""
    root, _ = session
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box",
                 "40,24,48,48", "--trigger-first-frame", "hd=-3"]) == 2
    assert capsys.readouterr().err.strip() == ("error: sensor 'hd': trigger_first_frame (--trigger-first-frame) is the RGB "
                                               "frame of the first pulse, a frame index >= 0; got -3")
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("channel", ["-1", "32", str(2**70)])
def test_cli_a_trigger_channel_no_file_has_is_refused_before_any_file_is_read(session, tmp_path, capsys, channel):
    """--trigger-channel hd=-1 (or 2^70) was taken, and after the scans the file had "no rising
    trigger edges on channel -1"."""
    root, _ = session
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(tmp_path / "none.mp4"), "--annotations", str(tmp_path / "none.csv"), "--no-faces", "--face-box",
                 "40,24,48,48", "--trigger-channel", f"hd={channel}"]) == 2
    assert capsys.readouterr().err.strip() == ("error: sensor 'hd': trigger_channel (--trigger-channel) must be in [0, 31], "
                                               f"got {channel}")
    assert_nothing_written(tmp_path / "ds")


def test_cli_a_trigger_first_frame_past_the_video_is_refused_before_the_event_scan(session, tmp_path, capsys,
                                                                                  monkeypatch):
    """--trigger-first-frame hd=10^12 was refused only after every event file was scanned, as
    "first_frame=1000000000000 is past the last RGB frame", naming no option."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows"):
        monkeypatch.setattr(mod, name, read_events)
    root, _ = session
    n = scan_video(root / "rgb.mp4", motion=False).n_frames
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box",
                 "40,24,48,48", "--sync", "hd=trigger", "--trigger-first-frame", f"hd={10**12}"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: sensor 'hd': trigger_first_frame (--trigger-first-frame) {10**12} is past the last of the {n} RGB frames "
        f"of {root / 'rgb.mp4'}; give --trigger-first-frame hd=K below {n}")
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("timing", ["folder", "timestamps"])
def test_cli_a_second_cameras_trigger_first_frame_past_known_frames_is_refused_before_any_trigger_pass(
        tmp_path, capsys, monkeypatch, timing):
    """With hd under ``auto`` (its pulses read first) and lr's --trigger-first-frame past the last
    of a folder's 3 frames or a timestamp file's 3 rows, lr's value was refused only after hd's
    trigger pass and the RGB scan (hours into a long recording): both counts are known up front."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows", "scan_video"):
        monkeypatch.setattr(mod, name, read_events)
    (tmp_path / "frames").mkdir()
    for k in range(3):
        assert cv2.imwrite(str(tmp_path / "frames" / f"img{k}.png"), np.zeros((8, 8, 3), np.uint8))
    for name in ("hd.raw", "lr.raw", "rgb.mp4", "ann.csv"):
        (tmp_path / name).write_bytes(b"x")  # never read
    (tmp_path / "t.csv").write_text("t_us\n0\n33333\n66667\n")
    rgb, frames = ((["--rgb", str(tmp_path / "frames"), "--rgb-fps", "30"], f"RGB frames of {tmp_path / 'frames'}")
                   if timing == "folder" else
                   (["--rgb", str(tmp_path / "rgb.mp4"), "--rgb-timestamps", str(tmp_path / "t.csv")],
                    f"frame times of {tmp_path / 't.csv'}"))
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.raw'}", "--events",
                 f"lr={tmp_path / 'lr.raw'}", *rgb, "--annotations", str(tmp_path / "ann.csv"), "--sync", "lr=trigger",
                 "--trigger-first-frame", "lr=3"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: sensor 'lr': trigger_first_frame (--trigger-first-frame) 3 is "
                                               f"past the last of the 3 {frames}; give --trigger-first-frame lr=K below 3")
    assert_nothing_written(tmp_path / "ds")


def test_cli_one_event_file_given_to_two_sensors_is_refused_before_any_file_is_read(tmp_path, capsys, monkeypatch):
    """``--events hd=a.raw --events lr=link.raw`` with link.raw a link to a.raw imported one
    recording as two cameras (seen with ../shared/real-events/faery_evt2.raw): each sensor's clips
    held the other's events."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows", "scan_video"):
        monkeypatch.setattr(mod, name, read_events)
    for name in ("a.raw", "rgb.mp4", "ann.csv"):
        (tmp_path / name).write_bytes(b"x")  # never read
    (tmp_path / "link.raw").symlink_to(tmp_path / "a.raw")
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'a.raw'}", "--events",
                 f"lr={tmp_path / 'link.raw'}", "--rgb", str(tmp_path / "rgb.mp4"), "--annotations",
                 str(tmp_path / "ann.csv")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --events lr={tmp_path / 'link.raw'}: the event file of sensor "
                                               f"'hd' ({tmp_path / 'a.raw'}) too; give each sensor its own recording")
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("aus", ["0", "1+2+123456789012345678901", pytest.param("9" * 5000, id="5000-digits")])
def test_cli_an_au_number_no_facs_code_has_is_refused_before_any_event_file_is_read(session, tmp_path, capsys,
                                                                                   monkeypatch, aus):
    """An annotation row's AU 0 (a table's "no AU"), or a number past int64, was refused only when
    its clip was written, after every scan, as "ds.partial/clips/s01_a.h5: Clip.aus must be >= 1"
    (or "in [1, ...]"), naming the unfinished clip file instead of the table line; one of 5000
    digits, more than int() reads, was an internal ValueError (exit 1)."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows"):
        monkeypatch.setattr(mod, name, read_events)
    root, _ = session
    table = (root / "annotations.csv").read_text().replace(",1+2,", f",{aus},")
    (tmp_path / "ann.csv").write_text(table)
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(tmp_path / "ann.csv"), "--no-faces", "--face-box",
                 "40,24,48,48"]) == 2
    au = aus.split("+")[-1]
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'ann.csv'}: line 2: action unit {au} in {aus!r} is not "
                                               "a FACS code (1 to 99); write no AUs as '', '-' or 'none'")
    assert_nothing_written(tmp_path / "ds")


def test_cli_overwrite_of_a_dataset_holding_an_input_is_refused_before_any_file_is_read(session, tmp_path, capsys,
                                                                                       monkeypatch):
    """An annotation table kept in the earlier dataset that --overwrite replaces was read, and then
    deleted with that dataset when the new one took its place."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows"):
        monkeypatch.setattr(mod, name, read_events)
    root, _ = session
    out = tmp_path / "ds"
    out.mkdir()
    (out / "manifest.csv").write_text("clip_id,subject,label,file\n")
    shutil.copy(root / "annotations.csv", out / "ann.csv")
    assert main(["import", "session", str(out), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
                 "--annotations", str(out / "ann.csv"), "--no-faces", "--face-box", "40,24,48,48", "--overwrite"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: the annotation table (--annotations) {out / 'ann.csv'} lies "
                                               f"in the output folder, which overwrite (--force) replaces whole; move "
                                               f"it out of {out} or give OUT another folder")
    assert (out / "ann.csv").read_text() == (root / "annotations.csv").read_text()


@pytest.mark.parametrize("kw, unused", [
    ({"sync": "trigger", "offset_us": 5}, "offset_us (--offset)"),
    ({"sync": "offset", "offset_us": 5, "trigger_channel": 1}, "trigger_channel (--trigger-channel)"),
    ({"sync": "xcorr", "trigger_first_frame": 3}, "trigger_first_frame (--trigger-first-frame)"),
    ({"registration": "estimate", "points": Path("p.csv")}, "points (--points)"),
    ({"registration": "points", "points": Path("p.csv"), "homography": np.eye(3)}, "homography (--homography)"),
])
def test_a_setting_the_chosen_method_ignores_is_refused(kw, unused):
    """Each was ignored without a word: an --offset under --sync trigger, a --points file under estimation."""
    with pytest.raises(ParameterError, match=re.escape(f"sensor 'hd': {unused} would be ignored with sync")):
        EventSource("hd", Path("hd.raw"), **kw)


@pytest.mark.parametrize("homography", ["nominal", np.eye(3)])
def test_points_and_a_homography_under_auto_registration_are_refused(session, tmp_path, capsys, homography):
    """--points hd=CSV with --homography hd=nominal (or hd=H.json) under the default --registration auto
    imported by the points alone, the homography ignored without a word; now refused naming both options,
    nothing written."""
    root, truth = session
    with pytest.raises(ParameterError) as caught:
        EventSource("hd", root / "hd.raw", points=tmp_path / "p.csv", homography=homography)
    assert str(caught.value) == ("sensor 'hd': points (--points) and a homography (--homography) are both given, and "
                                 "registration 'auto' takes the points, ignoring the homography; leave one out")
    (tmp_path / "p.csv").write_text("rgb_x,rgb_y,x,y\n0,0,0,0\n100,0,100,0\n0,80,0,80\n100,80,100,80\n")
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--sync", "hd=offset",
                 "--offset", f"hd={truth['hd'].offset_us}", "--homography", "hd=nominal", "--points",
                 f"hd={tmp_path / 'p.csv'}", "--no-faces", "--face-box", "40,24,48,48"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {caught.value}"
    assert not (tmp_path / "ds").exists()


def test_a_clip_without_a_face_is_refused_before_any_event_is_read(session, tmp_path, monkeypatch):
    """The faces are found on the RGB side, after the video scan and before the event files are
    read, so a clip without a face is refused in seconds (was: after the whole event scan and sync,
    42 s on a 577 MB file); the same message."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows"):
        monkeypatch.setattr(mod, name, read_events)
    root, _ = session
    for opts, says in (({"face_box": None, "detect_faces": True, "min_face": 0.95},  # the face is 88 of 96 px
                        "line 2: no face found in the RGB frames of clip s01_a; give its face box"),
                       ({"face_box": None}, "line 2: clip s01_a has no face box: --no-faces")):
        with pytest.raises(DatasetError, match=says):
            run(root, tmp_path / "ds", **opts)
        assert_nothing_written(tmp_path / "ds")


def test_no_faces_without_a_box_says_the_detector_was_turned_off(session, tmp_path):
    """``--no-faces`` and no box for a clip: the message names what was asked and the options that
    give the box (was: "no face found in the RGB frames of clip ...", the detector never run, and
    "or lower --min-face", which changed nothing)."""
    root, _ = session
    with pytest.raises(DatasetError) as info:
        run(root, tmp_path / "ds", face_box=None)
    assert str(info.value).endswith(
        "annotations.csv: line 2: clip s01_a has no face box: --no-faces (detect_faces=False) turned the face detector "
        "off; give its face box (the table's face_x, face_y, face_w, face_h columns, RGB pixels), --face-box X,Y,W,H for "
        "every clip, or leave out --no-faces"), info.value
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.skipif(not REAL_VIDEO.is_file(), reason="../shared/real-video is absent")
def test_faces_are_found_in_the_videos_own_frames_at_a_small_rgb_size(tmp_path):
    """Frames 160-199 of the real close-up (640x360, the face about 100 px) stored at --rgb-size
    128x128: the face is found in the video's own frames and mapped to the stored size, the box
    of the import at the video's size (was: searched in the 128x128 frames stretched to 228x128,
    where the cascade missed it in every frame: "no face found")."""
    from evface.datasets.importers.calibration import resize_homography
    from evface.datasets.importers.registration import nominal_homography
    from evface.events.core import make_events
    from evface.io.event_writer import write_events_file

    rng = np.random.default_rng(0)
    t = np.sort(rng.integers(0, 9_000_000, 5000))
    write_events_file(tmp_path / "lr.es", make_events(t, rng.integers(0, 346, t.size), rng.integers(0, 260, t.size),
                                                      rng.choice([-1, 1], t.size)), (346, 260))
    (tmp_path / "ann.csv").write_text("subject,start_frame,onset_frame,apex_frame,offset_frame,end_frame,aus\n"
                                      "s01,160,170,180,190,199,12\n")
    src = [EventSource("lr", tmp_path / "lr.es", "davis346", sync="offset", offset_us=0, registration="given",
                       homography=nominal_homography((640, 360), (346, 260)))]
    boxes = {}
    for size in (None, (128, 128)):
        out = tmp_path / f"ds{size}"
        import_session(src, RgbSource(REAL_VIDEO), tmp_path / "ann.csv", out, SessionOptions(rgb_size=size))
        boxes[size] = read_clip(out / "clips" / "s01_c000.h5").calibration["face_box"]
    native, small = boxes[None], boxes[(128, 128)]
    assert 90 < native["rgb"][2] < 120 and native["rgb"][2] == native["rgb"][3]
    np.testing.assert_allclose(small["rgb"], map_box(resize_homography((640, 360), (128, 128)), native["rgb"]), atol=0.01)
    assert small["lr"] == native["lr"]


def test_stored_rgb_resized(session, tmp_path):
    root, truth = session
    report = run(root, tmp_path / "ds", src=[EventSource("hd", root / "hd.raw", homography=truth["hd"].homography,
                                                        registration="given")], rgb_size=(64, 48))
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5")
    assert clip.frames["rgb"].data.shape[1:] == (48, 64, 3)
    h = np.array(clip.calibration["homography"]["hd"])  # stored (64x48) RGB pixel -> sensor
    uv = np.array([[10.0, 20.0], [100.0, 70.0]])
    np.testing.assert_allclose(apply_homography(h, (uv + 0.5) / 2 - 0.5), apply_homography(truth["hd"].homography, uv), atol=1e-6)
    assert clip.calibration["face_box"]["rgb"] == [20.0, 12.0, 24.0, 24.0]
    assert report["sensors"]["hd"]["registration"]["method"] == "given"


@pytest.mark.parametrize("detect", [False, True])
def test_stored_rgb_of_another_aspect_keeps_the_face_box_true(session, tmp_path, detect):
    """--rgb-size of another aspect than the video's (square frames for training, 64x96 of 128x96
    here): the face box is checked for distortion in the video's pixels and detected in the video's
    own frames (was: "the hd homography is wrong", aspect changed 2.00x, a refusal of a right
    homography; under --registration-check warn, a detected box squashed on hd)."""
    root, truth = session
    src = [EventSource("hd", root / "hd.raw", homography=truth["hd"].homography, registration="given")]
    opts = {"face_box": None, "detect_faces": True} if detect else {}
    native = run(root, tmp_path / "native", src=src, **opts)
    report = run(root, tmp_path / "ds", src=src, rgb_size=(64, 96), **opts)
    assert report["warnings"] == native["warnings"]
    for clip_id in report["clips"]:
        boxes = read_clip(tmp_path / "ds" / "clips" / f"{clip_id}.h5").calibration["face_box"]
        want = read_clip(tmp_path / "native" / "clips" / f"{clip_id}.h5").calibration["face_box"]
        np.testing.assert_allclose(boxes["hd"], want["hd"], atol=0.01)
        np.testing.assert_allclose(boxes["rgb"][2:], np.array(want["rgb"][2:]) * [0.5, 1.0], atol=0.01)


def test_failure_while_writing_leaves_nothing(session, tmp_path, monkeypatch):
    root, _ = session
    import evface.datasets.importers.session as mod

    real = mod.write_clip
    calls = []

    def boom(path, clip):
        calls.append(path)
        if len(calls) == 2:
            raise EvfaceError("disk full")
        return real(path, clip)

    monkeypatch.setattr(mod, "write_clip", boom)
    with pytest.raises(EvfaceError, match="disk full"):
        run(root, tmp_path / "ds")
    assert_nothing_written(tmp_path / "ds")


def test_events_are_held_one_clip_at_a_time(session, tmp_path, monkeypatch):
    """Session import streams each event file once and holds only the clip being written: at
    every clip write, the memory held besides that clip is a small part of all clips' events
    (before, a whole group of clips' events was collected first: 2.5 GB on a 4 s hd + lr session)."""
    import tracemalloc

    import evface.datasets.importers.session as mod

    root, truth = session
    ann = tmp_path / "a.csv"
    rows = [f"s1,{s},{s + 50_000},{s + 100_000},{s + 150_000},{s + 350_000},4" for s in range(200_000, 3_400_000, 400_000)]
    ann.write_text("subject,start_us,onset_us,apex_us,offset_us,end_us,aus\n" + "\n".join(rows) + "\n")
    src = [EventSource(n, root / f, sync="offset", offset_us=truth[n].offset_us, registration="given",
                       homography=truth[n].homography) for n, f in (("hd", "hd.raw"), ("lr", "lr.aedat4"))]
    real, held, clip_bytes = mod.write_clip, [], []

    def spy(path, clip):
        own = sum(ev.nbytes for ev in clip.events.values()) + sum(f.data.nbytes for f in clip.frames.values())
        held.append(tracemalloc.get_traced_memory()[0] - base - own)
        clip_bytes.append(sum(ev.nbytes for ev in clip.events.values()))
        return real(path, clip)

    monkeypatch.setattr(mod, "write_clip", spy)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run(root, tmp_path / "ds", src=src, ann=ann, rgb_size=(32, 24))
    finally:
        tracemalloc.stop()
    assert len(held) == 8 and sum(clip_bytes) > 4_000_000
    assert max(held) < 0.3 * sum(clip_bytes), (held, clip_bytes)


# ----------------------------------------------------------------------------- plausibility


def test_implausible_homography_is_refused_or_kept_with_warnings(session, tmp_path, capsys):
    """A squashing homography (half height) stops the import, naming the numbers and the options;
    with --registration-check warn it is kept and every clip's squashed face box is a warning."""
    root, truth = session
    squash = np.diag([1.0, 0.5, 1.0]) @ truth["hd"].homography
    src = [EventSource("hd", root / "hd.raw", homography=squash, registration="given")]
    with pytest.raises(RegistrationError, match=r"aspect 2\.00 \(limit 1\.25\).*--homography hd=H.json.*--registration-check warn"):
        run(root, tmp_path / "ds", src=src)
    assert_nothing_written(tmp_path / "ds")
    report = run(root, tmp_path / "ds", src=src, registration_check="warn")
    assert report["sensors"]["hd"]["registration"]["quality"]["aspect"] == pytest.approx(2.0, rel=0.01)
    assert any("homography is implausible" in w for w in report["warnings"])
    assert any("clip s01_a: the 48x48 RGB face box becomes" in w and "aspect changed 2.0" in w for w in report["warnings"]), report["warnings"]
    (tmp_path / "H.json").write_text(json.dumps(squash.tolist()))
    args = ["import", "session", str(tmp_path / "cli"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
            "--annotations", str(root / "annotations.csv"), "--homography", f"hd={tmp_path / 'H.json'}",
            "--no-faces", "--face-box", "40,24,48,48"]
    assert main(args) == 2 and "aspect 2.00" in capsys.readouterr().err
    assert main([*args, "--registration-check", "warn"]) == 0 and "warning:" in capsys.readouterr().err


def test_real_ecc_failure_is_caught():
    """The homographies ECC returned on the real close-up (short_hamilton_clip.mp4 frames 82-201,
    events from ``evface simulate``, score 0.718 / 0.746) break the plausibility bounds."""
    from evface.datasets.importers.registration import homography_quality, nominal_homography, quality_problems

    bad = {(1280, 720): [[2.554, -0.951, 16.192], [0.333, 0.932, -6.494], [0.002, -0.003, 1.0]],
           (346, 260): [[1.464, -0.357, -135.228], [0.329, 0.19, 10.3], [0.004, -0.004, 1.0]]}
    for size, h in bad.items():
        assert quality_problems(homography_quality(np.array(h), (640, 360), nominal_homography((640, 360), size)), size)
    good = np.array([[1.0, 0.02, 2.5], [-0.015, 1.0, 1.5], [0, 0, 1.0]]) @ nominal_homography((640, 360), (1280, 720))
    assert not quality_problems(homography_quality(good, (640, 360), nominal_homography((640, 360), (1280, 720))), (1280, 720))


def test_face_box_option_wins_over_the_detector(session, tmp_path):
    root, truth = session
    src = [EventSource("hd", root / "hd.raw", homography=truth["hd"].homography, registration="given")]
    run(root, tmp_path / "ds", src=src, detect_faces=True, face_box=(30, 20, 60, 60))
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5", frames=False)
    assert clip.calibration["face_box"]["rgb"] == [30.0, 20.0, 60.0, 60.0] and clip.extra["face_box_detected"] is False


def test_a_clips_own_face_box_in_the_table_wins(session, tmp_path):
    """A performer who moves needs a box per clip (a clip's detections can miss the face): the
    table's face_x, face_y, face_w, face_h give it, over --face-box and the detector; a row with
    them empty keeps those (was: one --face-box for every clip, the columns ignored)."""
    root, _ = session
    ann = tmp_path / "ann.csv"
    ann.write_text("subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,face_x,face_y,face_w,face_h\n"
                   "s01,s01_a,100000,300000,400000,600000,900000,1+2,30,20,50.5,50\n"
                   "s01,s01_b,1000000,1200000,1300000,1450000,1800000,12,,,,\n")
    run(root, tmp_path / "ds", ann=ann)
    a = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5", frames=False)
    b = read_clip(tmp_path / "ds" / "clips" / "s01_b.h5", frames=False)
    assert a.calibration["face_box"]["rgb"] == [30.0, 20.0, 50.5, 50.0] and a.extra["face_box_detected"] is False
    assert b.calibration["face_box"]["rgb"] == [40.0, 24.0, 48.0, 48.0]
    ann.write_text(ann.read_text().replace("30,20,50.5,50", "30,,50,50"))
    with pytest.raises(DatasetError, match=re.escape("ann.csv: line 2: face_x, face_y, face_w, face_h must be four "
                                                     "numbers (RGB pixels) with a positive size, or all empty; "
                                                     "got '30', '', '50', '50'")):
        run(root, tmp_path / "ds2", ann=ann)
    ann.write_text(ann.read_text().replace(",face_h", ",height"))
    with pytest.raises(DatasetError, match="ann.csv: a face box needs all four columns face_x, face_y, face_w, face_h; "
                                           "missing face_h"):
        run(root, tmp_path / "ds2", ann=ann)
    assert_nothing_written(tmp_path / "ds2")


def test_a_face_box_mostly_outside_the_rgb_frame_is_refused_before_any_file_is_scanned(session, tmp_path, capsys,
                                                                                       monkeypatch):
    """--face-box 0,0,100000,100000 on a 640x360 video imported with at most a warning that a sensor
    window "keeps 0% of the face box" (training then cropped to the whole frame); a box beside the
    frame was refused only after the scans, blaming the homography."""
    import evface.datasets.importers.session as mod

    def read_events(*args, **kwargs):
        raise AssertionError("an event file was read")

    for name in ("event_camera_triggers", "scan_event_camera", "EventWindows", "scan_video"):
        monkeypatch.setattr(mod, name, read_events)
    root, _ = session
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
            "--annotations", str(root / "annotations.csv"), "--no-faces"]
    for box, says in (("0,0,100000,100000", "over half outside the 128x96 RGB frame: it keeps 0% of the face box (loses 100% "
                                            "at the right, 100% at the bottom)"),
                      ("200,24,48,48", "over half outside the 128x96 RGB frame: it keeps 0% of the face box (loses 100% at "
                                       "the right)")):
        assert main([*args, "--face-box", box]) == 2
        assert capsys.readouterr().err.strip() == (f"error: face_box (--face-box) [{box.replace(',', ', ')}] lies {says}; "
                                                   "give the face box in pixels of the RGB frames")
        assert_nothing_written(tmp_path / "ds")


def test_a_face_box_is_checked_early_in_either_orientation_of_the_stated_size(session, tmp_path, monkeypatch):
    """A phone video whose rotation flag turns the decoded frames may be stated at its stored size
    (by a backend other than OpenCV's FFmpeg one): a box in the decoded frames' pixels is not
    refused by the check before the scans."""
    import evface.datasets.importers.session as mod
    from evface.sim.video_read import VideoInfo

    root, _ = session
    monkeypatch.setattr(mod, "video_info", lambda path: VideoInfo(str(path), 30.0, 0, RGB_SIZE[1], RGB_SIZE[0]))
    run(root, tmp_path / "ds", face_box=(100, 10, 20, 20))  # outside a 96x128 frame, inside the 128x96 one decoded
    assert read_clip(tmp_path / "ds" / "clips" / "s01_a.h5", frames=False).calibration["face_box"]["rgb"] == [100, 10, 20, 20]


def test_a_face_box_partly_outside_the_rgb_frame_is_clipped_with_a_warning(session, tmp_path):
    """A box reaching past the frame's edge (a face at the edge) is clipped to the frame, with a
    warning; a table row's box mostly outside is refused naming its line (was: both taken as given)."""
    root, _ = session
    report = run(root, tmp_path / "ds", face_box=(100, 24, 48, 48))
    assert report["warnings"][0] == ("face_box (--face-box) [100, 24, 48, 48] reaches beyond the 128x96 RGB frame: "
                                     "clipped to [100, 24, 28, 48]")
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5", frames=False)
    assert clip.calibration["face_box"]["rgb"] == [100.0, 24.0, 28.0, 48.0]
    ann = tmp_path / "ann.csv"
    ann.write_text("subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,face_x,face_y,face_w,face_h\n"
                   "s01,s01_a,100000,300000,400000,600000,900000,1+2,-40,20,50,50\n")
    with pytest.raises(DatasetError, match=re.escape("ann.csv: line 2: face_x, face_y, face_w, face_h [-40, 20, 50, 50] "
                                                     "lies over half outside the 128x96 RGB frame")):
        run(root, tmp_path / "ds2", ann=ann)
    assert_nothing_written(tmp_path / "ds2")


def test_window_that_cuts_the_face_is_a_warning(session, tmp_path):
    root, truth = session
    src = [EventSource("hd", root / "hd.raw", homography=truth["hd"].homography, registration="given", roi=(0, 0, 80, 120))]
    report = run(root, tmp_path / "ds", src=src)
    cut = [w for w in report["warnings"] if "the 80x120 hd window keeps" in w]
    assert len(cut) == 2 and "at the right" in cut[0] and "--roi hd=X0,Y0,W,H" in cut[0]


def test_an_event_file_without_a_size_takes_sensor_size(session, tmp_path, capsys):
    """A headerless CSV (or an N-CARS .dat) was refused with "give it with --sensor-size WxH", an
    option import session did not have."""
    from evface.io.event_reader import read_events_file

    root, truth = session
    events, size = read_events_file(root / "hd.raw")
    np.savetxt(tmp_path / "hd.csv", np.c_[events["t"], events["x"], events["y"], events["p"] > 0], fmt="%d", delimiter=",",
               header="t,x,y,on", comments="")
    (tmp_path / "H.json").write_text(json.dumps(truth["hd"].homography.tolist()))
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.csv'}", "--rgb", str(root / "rgb.mp4"),
            "--annotations", str(root / "annotations.csv"), "--sync", "hd=offset", "--offset", f"hd={truth['hd'].offset_us}",
            "--homography", f"hd={tmp_path / 'H.json'}", "--no-faces", "--face-box", "40,24,48,48"]
    assert main(args) == 2
    assert "the header gives no sensor size; give it with --sensor-size hd=WxH" in capsys.readouterr().err
    assert_nothing_written(tmp_path / "ds")
    assert main([*args, "--sensor-size", "hd=160x120"]) == 0
    clip = read_clip(tmp_path / "ds" / "clips" / "s01_a.h5", frames=False)
    assert (clip.sensors["hd"].width, clip.sensors["hd"].height) == size and clip.events["hd"].size
    with pytest.raises(ParameterError, match=r"sensor 'hd': sensor_size \(--sensor-size\) width must be in"):
        EventSource("hd", Path("hd.csv"), sensor_size=(0, 120))


REAL_EVT2 = Path(__file__).parents[2] / "shared" / "real-events" / "faery_evt2.raw"


def test_a_model_evface_knows_of_another_array_size_is_warned_of(session, tmp_path, capsys):
    """--model is free text: a 160x120 file imported with --model hd=evk4 (a 1280x720 sensor) was
    stored as "160x120 evk4" without a word. Now one warning names the file, both sizes, where the
    file's comes from and --model, and the import goes on (a file cropped to a window is smaller);
    a model of the file's size, or one evface does not know, says nothing."""
    from types import SimpleNamespace

    from evface.datasets.importers.calibration import model_size_note

    root, truth = session
    (tmp_path / "H.json").write_text(json.dumps(truth["hd"].homography.tolist()))
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--model", "hd=EVK4",
            "--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--sync", "hd=offset",
            "--offset", f"hd={truth['hd'].offset_us}", "--homography", f"hd={tmp_path / 'H.json'}", "--no-faces",
            "--face-box", "40,24,48,48"]
    assert main(args) == 0
    said = (f"{root / 'hd.raw'}: 160x120 pixels as its header states, but --model hd=EVK4 names a 1280x720 sensor; "
            "give the camera's model (--model hd=NAME), or keep it if the file holds a window cropped from that sensor "
            "(its header records no crop window)")
    assert f"warning: {said}" in " ".join(capsys.readouterr().err.split())
    assert said in json.loads((tmp_path / "ds" / "dataset.json").read_text())["import"]["warnings"]
    scan = SimpleNamespace(sensor_size=(160, 120))
    for model in ("", "gen3", "prophesee evk4"):
        assert model_size_note(EventSource("hd", root / "hd.raw", model), scan) is None
    assert model_size_note(EventSource("lr", root / "lr.aedat4", "davis346"), SimpleNamespace(sensor_size=(346, 260))) is None
    assert "96x72 pixels as its header states, but --model lr=davis346 names a 346x260 sensor" in model_size_note(
        EventSource("lr", root / "lr.aedat4", "davis346"), SimpleNamespace(sensor_size=(96, 72)))
    np.savetxt(tmp_path / "hd.csv", [[0, 1, 1, 1]], fmt="%d", delimiter=",", header="t,x,y,on", comments="")
    assert "160x120 pixels as --sensor-size gives (its header states none), but" in model_size_note(
        EventSource("hd", tmp_path / "hd.csv", "evk4", sensor_size=(160, 120)), scan)
    if REAL_EVT2.is_file():  # a 2020 Gen3 recording: its header names the camera plugin, no size
        assert model_size_note(EventSource("hd", REAL_EVT2, "evk4"), SimpleNamespace(sensor_size=(640, 480))).startswith(
            f"{REAL_EVT2}: 640x480 pixels, the size of the camera plugin its header names (hal_plugin_gen3_fx3; the "
            "header states no size), but --model hd=evk4 names a 1280x720 sensor")


def test_homography_nominal_is_the_guides_one_liner(session, tmp_path, capsys):
    """--homography hd=nominal imports as the JSON file of the guide's one-liner
    (nominal_homography(video size, sensor size)) does (was: only the file, written by hand first);
    any other word is refused naming the option."""
    from evface.datasets.importers.registration import nominal_homography

    root, truth = session
    (tmp_path / "H.json").write_text(json.dumps(nominal_homography(RGB_SIZE, (160, 120)).tolist()))
    registered = []
    for h, out in (("nominal", "by-name"), (str(tmp_path / "H.json"), "by-file")):
        assert main(["import", "session", str(tmp_path / out), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                     str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--sync", "hd=offset",
                     "--offset", f"hd={truth['hd'].offset_us}", "--homography", f"hd={h}", "--no-faces",
                     "--face-box", "40,24,48,48"]) == 0
        registered.append(json.loads((tmp_path / out / "dataset.json").read_text())["import"]["sensors"]["hd"]["registration"])
    assert registered[0] == registered[1] and registered[0]["method"] == "given"
    assert np.array_equal(*(read_clip(tmp_path / out / "clips" / "s01_a.h5", frames=False).calibration["homography"]["hd"]
                            for out in ("by-name", "by-file")))
    with pytest.raises(ParameterError, match="sensor 'hd': homography \\(--homography\\) is a 3x3 matrix or 'nominal', "
                                             "got 'nomnal'"):
        EventSource("hd", root / "hd.raw", homography="nomnal")


@pytest.mark.parametrize("value, hint", [
    ("hd=NOMINAL", "; the nominal homography is spelled 'nominal'"),
    ("hd=nominal,lr=H.json", "; give --homography once per sensor (--homography hd=nominal --homography lr=H.json)"),
])
def test_a_homography_that_names_no_file_says_what_it_may_have_meant(session, tmp_path, capsys, value, hint):
    """--homography hd=NOMINAL, or two sensors in one value, said only that no such file exists."""
    root, truth = session
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--homography", value,
                 "--no-faces", "--face-box", "40,24,48,48"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --homography: ") and err.endswith(hint) and err.count("\n") == 0
    assert not (tmp_path / "ds").exists()


def test_a_face_box_wholly_outside_a_sensor_is_refused_naming_the_homography(session, tmp_path):
    """A homography that puts the face beside the sensor (a wrong --homography, or one for another
    sensor size) was a warning advising --roi, though none was given, and training then refused
    every clip ("face box ... lies outside its image")."""
    root, truth = session
    shifted = np.array([[1.0, 0, 500], [0, 1, 0], [0, 0, 1]]) @ truth["hd"].homography
    src = [EventSource("hd", root / "hd.raw", homography=shifted, registration="given")]
    with pytest.raises(RegistrationError, match=r"clip s01_a: the RGB face box \[40, 24, 48, 48\] lies wholly outside the "
                                                r"160x120 hd window .*; check the hd homography \(--points hd=CSV or "
                                                r"--homography hd=H.json\) .*--registration-check warn$"):
        run(root, tmp_path / "ds", src=src)
    assert_nothing_written(tmp_path / "ds")
    report = run(root, tmp_path / "ds", src=src, registration_check="warn")
    assert sum("lies wholly outside" in w for w in report["warnings"]) == 2
    half = [EventSource("hd", root / "hd.raw", homography=np.array([[1.0, 0, 100], [0, 1, 0], [0, 0, 1]]) @ truth["hd"].homography,
                        registration="given")]
    cut = [w for w in run(root, tmp_path / "ds2", src=half)["warnings"] if "hd window keeps" in w]
    assert cut and "--roi" not in cut[0] and "check the hd homography" in cut[0]  # no --roi was given to move


def test_an_estimate_that_does_not_converge_names_the_options(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from evface.datasets.importers import calibration as importer

    def no_convergence(*args, **kwargs):
        raise RegistrationError("hd.raw: ECC registration did not converge at pyramid level 2")

    monkeypatch.setattr(importer, "estimate_homography", no_convergence)
    monkeypatch.setattr(importer, "count_image", lambda *args, **kwargs: np.zeros((4, 4), np.float32))
    source = EventSource("hd", tmp_path / "hd.raw")
    with pytest.raises(RegistrationError, match=r"pyramid level 2; give point pairs \(--points hd=CSV\) or a "
                                                 r"homography \(--homography hd=H\.json\)$"):
        importer.register(source, SimpleNamespace(sensor_size=(4, 4)), SimpleNamespace(change=np.zeros((4, 4))))


def test_a_failed_cross_correlation_names_the_options(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from evface.datasets.importers import calibration as importer

    def no_overlap(*args, **kwargs):
        raise SyncError("lr.aedat4: the event stream and the RGB video overlap in fewer than 10 frame pairs")

    monkeypatch.setattr(importer, "sync_by_xcorr", no_overlap)
    scan = SimpleNamespace(triggers=np.zeros(0, [("t", "<i8"), ("channel", "u1"), ("rising", "?")]), rate=object())  # counted: xcorr may run
    with pytest.raises(SyncError, match=r"frame pairs \(--offset lr=US centres the search, --max-offset-us widens it, "
                                        r"--sync lr=offset takes the offset as given\)$"):
        importer.synchronise(EventSource("lr", tmp_path / "lr.aedat4", sync="xcorr"), scan, np.arange(3),
                             SimpleNamespace(energy=np.zeros(2)), np.ones(3), SessionOptions())
    # under --sync auto (the default) an --offset alone is taken as given, not searched around (was:
    # "--offset lr=US centres the search" there too, and that offset was imported unchecked)
    with pytest.raises(SyncError, match=r"frame pairs \(--sync lr=xcorr --offset lr=US centres the search, "
                                        r"--max-offset-us widens it; --offset lr=US alone takes the offset as given\)$"):
        importer.synchronise(EventSource("lr", tmp_path / "lr.aedat4"), scan, np.arange(3),
                             SimpleNamespace(energy=np.zeros(2)), np.ones(3), SessionOptions())


def test_trigger_sync_without_pulses_on_the_channel_names_what_to_give(tmp_path):
    """Was "no trigger events in the event file; give an offset or use cross-correlation" for a
    wrong --trigger-channel too, naming neither the channel the pulses are on nor any option."""
    from types import SimpleNamespace

    from evface.datasets.importers.calibration import synchronise
    from evface.datasets.importers.sync_triggers import TRIGGER_DTYPE

    pulses = np.zeros(6, TRIGGER_DTYPE)
    pulses["t"], pulses["rising"] = np.arange(6) * 1000, [True, False] * 3
    source = EventSource("hd", tmp_path / "hd.raw", sync="trigger", trigger_channel=1)
    with pytest.raises(SyncError, match=r"hd.raw: no rising trigger edges on channel 1 \(the file has 3 on channel 0\); "
                                        r"give --trigger-channel hd=CH$"):
        synchronise(source, SimpleNamespace(triggers=pulses), np.arange(3), None, np.ones(3), SessionOptions())
    with pytest.raises(SyncError, match=r"no trigger events in the event file \(was the camera's trigger input enabled\?\); "
                                        r"give the offset \(--sync hd=offset --offset hd=US\) or estimate it \(--sync hd=xcorr\)$"):
        synchronise(EventSource("hd", tmp_path / "hd.raw", sync="trigger"), SimpleNamespace(triggers=pulses[:0]),
                    np.arange(3), None, np.ones(3), SessionOptions())


def test_auto_sync_refuses_a_setting_it_would_ignore(tmp_path):
    """Under --sync auto an --offset beside trigger pulses was ignored without a word, and a
    --trigger-channel with no pulse on it fell back to cross-correlation without a word."""
    from types import SimpleNamespace

    from evface.datasets.importers.calibration import synchronise
    from evface.datasets.importers.sync_triggers import TRIGGER_DTYPE

    pulses = np.zeros(3, TRIGGER_DTYPE)
    pulses["t"], pulses["rising"] = np.arange(3) * 1000, True

    def sync(triggers, **kw):
        return synchronise(EventSource("hd", tmp_path / "hd.raw", **kw), SimpleNamespace(triggers=triggers),
                           np.arange(3) * 1000, None, np.ones(3), SessionOptions())

    with pytest.raises(ParameterError, match=r"3 trigger pulses on channel 0 sync hd exactly \(--sync hd=auto\), so "
                                             r"--offset hd=5 would be ignored; leave it out, or give --sync hd=offset"):
        sync(pulses, offset_us=5)
    with pytest.raises(SyncError, match=r"no rising trigger edges on channel 1 \(the file has 3 on channel 0\)"):
        sync(pulses, trigger_channel=1)
    with pytest.raises(SyncError, match=r"\(--sync hd=xcorr\) without --trigger-channel and --trigger-first-frame$"):
        sync(pulses[:0], trigger_first_frame=2)
    assert sync(pulses).method == "trigger" and sync(pulses[:0], offset_us=7).offset_us == 7


def test_a_chance_correlation_over_a_short_overlap_does_not_win_the_sync(tmp_path):
    """In the seed-1 session the lr cross-correlation peaked at +3.37 s (true -0.38 s) with
    confidence 1.00: a few frame pairs at the recordings' edges correlated perfectly by chance."""
    from import_fixtures import build_session

    build_session(tmp_path / "raw", seed=1)
    report = import_session([EventSource("lr", tmp_path / "raw" / "lr.aedat4", "davis346")], rgb(tmp_path / "raw"),
                            tmp_path / "raw" / "annotations.csv", tmp_path / "ds")
    assert abs(report["sensors"]["lr"]["sync"]["offset_us"] - (-377_123)) < 2_000


def test_a_clip_outside_a_recording_after_a_cross_correlation_names_the_estimate(session, tmp_path):
    # a guess 3 s off, searched within 0.1 s and accepted at any confidence: the error named the
    # offset only, not that it was an estimate one can replace
    root, truth = session
    lr = EventSource("lr", root / "lr.aedat4", "davis346", offset_us=truth["lr"].offset_us + 3_000_000, sync="xcorr")
    with pytest.raises(DatasetError, match=r"lies outside the lr recording .*offset -?\d+ µs by cross-correlation with "
                                           r"confidence \d\.\d\d: if it is wrong, give --offset lr=US or --sync lr=trigger\)$") as err:
        import_session([lr], rgb(root), root / "annotations.csv", tmp_path / "ds",
                       SessionOptions(max_offset_us=100_000, min_confidence=0.0))
    assert not (tmp_path / "ds").exists()
    # the span is the events' own (was: widened by a frame period each side, 67 ms longer than the file)
    first, last, period = map(int, re.search(r"its events span (-?\d+)\.\.(-?\d+) µs on the session clock, and a clip "
                                             r"may reach one RGB frame period, (\d+) µs, beyond them", str(err.value)).groups())
    t = read_events_file(root / "lr.aedat4")[0]["t"]
    assert last - first == int(t[-1]) - int(t[0]) and period == round(1e6 / 30)


@pytest.mark.parametrize("args, says", [
    (("--rgb-fps", "-1"), "--rgb-fps: rgb fps must be a positive number, got -1.0"),
    (("--rgb-fps", "0"), "--rgb-fps: rgb fps must be a positive number, got 0.0"),  # was the video's rate, unsaid
    # frames 0 µs apart: was "times must satisfy start <= onset ..." blaming a frame-indexed annotation table
    (("--rgb-fps", "1e9"), "--rgb-fps: rgb fps must be in [0.1, 1e+06] (frames 10 s to 1 µs apart), got 1e+09"),
    (("--rgb-fps", "0.001"), "--rgb-fps: rgb fps must be in [0.1, 1e+06] (frames 10 s to 1 µs apart), got 0.001"),
    (("--max-offset-us", "0"), "--max-offset-us: max_offset_us must be positive, got 0"),  # was refused after the scan
    (("--min-confidence", "2"), "--min-confidence: min_confidence is a confidence in [0, 1], got 2.0"),  # refused all
    (("--min-face", "0"), "--min-face: min_face is a fraction of the frame's shorter side in (0, 1), got 0.0"),
    (("--rgb-exposure-us", "0"), "--rgb-exposure-us: rgb exposure_us must be positive, got 0"),
    # both were an OverflowError inside NumPy, exit 1
    (("--rgb-exposure-us", "99999999999999999999999"),
     "--rgb-exposure-us: rgb exposure_us must be at most 10,000,000 µs (10 s), got 99999999999999999999999"),
    (("--rgb-start-us", "99999999999999999999999"),
     "--rgb-start-us: rgb start_us must lie within ±2**62 µs, got 99999999999999999999999"),
    # a singular homography and OpenCV's assertion, after the video and event scans (exit 1); 2**63 refused for memory
    (("--rgb-size", "0,10"), "--rgb-size: rgb_size width must be in [1, 65536], got 0"),
    (("--rgb-size", "64,-5"), "--rgb-size: rgb_size height must be in [1, 65536], got -5"),
    (("--rgb-size", "9223372036854775808,10"), "--rgb-size: rgb_size width must be in [1, 65536], got 9223372036854775808"),
])
def test_bad_rgb_timing_is_refused_naming_the_option(session, tmp_path, capsys, args, says):
    root, _ = session
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), *args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert not (tmp_path / "ds").exists()
    with pytest.raises(ParameterError, match="fps must be a positive number"):
        RgbSource(root / "rgb.mp4", fps=float("nan"))


@pytest.mark.parametrize("offset", ["9223372036854775808", "9223372036854775807", "-4611686018427387905"])
def test_an_offset_beyond_2_62_us_is_refused_naming_the_option(session, tmp_path, capsys, offset):
    """``--offset hd=2**63`` was an OverflowError in the sync after the scans (exit 1), and 2**63 - 1
    wrapped round there (the events "spanned -9223372035941059585.. µs")."""
    root, _ = session
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb",
                 str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--sync", "hd=offset",
                 "--offset", f"hd={offset}", "--no-faces", "--face-box", "40,24,48,48"]) == 2
    assert capsys.readouterr().err.strip() == ("error: sensor 'hd': offset_us (--offset) must be in "
                                               f"[-4611686018427387904, 4611686018427387904], got {offset}")
    assert not (tmp_path / "ds").exists()


def test_a_video_stating_a_frame_rate_out_of_range_is_refused_naming_the_options(session, tmp_path):
    """A video whose header states 0.01 fps put its frames 100 s apart (and --rgb-fps 1e9 all at 0 µs):
    the import was then refused for a wrong reason (trigger pulses that do not match the frames, a
    clip outside the recording), naming no frame rate."""
    root, _ = session
    writer = cv2.VideoWriter(str(tmp_path / "slow.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 0.01, RGB_SIZE)
    for k in range(5):
        writer.write(np.full((RGB_SIZE[1], RGB_SIZE[0], 3), 40 * k, np.uint8))
    writer.release()
    with pytest.raises(ParameterError, match=r"slow.avi: the video states 0.01 fps, outside \[0.1, 1e\+06\] \(frames 10 s "
                                             r"to 1 µs apart\); give fps \(--rgb-fps\) or a timestamp file \(--rgb-timestamps\)$"):
        run(root, tmp_path / "ds", rgb_src=RgbSource(tmp_path / "slow.avi"))
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("name", ["a/b", "..", "-x"])
def test_a_sensor_name_that_is_no_clip_group_is_refused_naming_events(tmp_path, capsys, name):
    """It was refused by the clip writer after the import had started, without naming --events."""
    args = ["import", "session", str(tmp_path / "out"), "--events", f"{name}=rec.raw", "--rgb", "v.mp4",
            "--annotations", "a.csv"]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (f"error: --events {name}=rec.raw: a sensor name holds letters, digits, "
                                               "'_', '-' and '.' and starts with a letter or digit, like hd or lr")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- a folder of numbered frames as --rgb


@pytest.fixture(scope="module")
def frame_folder(session, tmp_path_factory):
    """The session's RGB frames as a folder of PNGs (img0.png, ...) and as an FFV1 (lossless) video."""
    root, _ = session
    tmp = tmp_path_factory.mktemp("frames")
    frames = list(iter_video_frames(root / "rgb.mp4"))
    writer = cv2.VideoWriter(str(tmp / "rgb.avi"), cv2.VideoWriter_fourcc(*"FFV1"), 30.0, frames[0].shape[1::-1])
    if not writer.isOpened():
        pytest.skip("OpenCV here writes no FFV1 (lossless) video")
    (tmp / "rgb").mkdir()
    for k, img in enumerate(frames):
        writer.write(img)
        assert cv2.imwrite(str(tmp / "rgb" / f"img{k}.png"), img)
    writer.release()
    return tmp / "rgb", tmp / "rgb.avi"


def test_a_folder_of_frames_imports_as_the_video_of_those_frames(session, frame_folder, tmp_path):
    """--rgb FOLDER: frame k of the folder is frame k of the video; the clips' frames and events are
    those of the same frames as a losslessly written video."""
    root, _ = session
    folder, video = frame_folder
    clips = {}
    for name, path in (("video", video), ("folder", folder)):
        import_session(sources(root), RgbSource(path, fps=30.0, exposure_us=RGB_EXPOSURE_US), root / "annotations.csv",
                       tmp_path / name)
        ds = DatasetFolder.open(tmp_path / name)
        clips[name] = [read_clip(ds.clip_path(row)) for row in ds.rows]
    assert len(clips["folder"]) == 2
    for a, b in zip(clips["video"], clips["folder"], strict=True):
        for field in ("data", "t_us", "exposure_us"):
            np.testing.assert_array_equal(getattr(a.frames["rgb"], field), getattr(b.frames["rgb"], field))
        for sensor in ("hd", "lr"):
            np.testing.assert_array_equal(a.events[sensor], b.events[sensor])
        assert a.calibration == b.calibration


def test_a_folder_of_frames_reads_only_the_wanted_files(frame_folder, monkeypatch):
    """read_video_frames of a folder decodes the wanted frames' files alone (a long capture holds far
    more frames than its clips use), and gives the frames a video of them gives."""
    folder, video = frame_folder
    read = []
    real_read_frame = evface.sim.frame_folder.read_frame
    for module in (evface.sim.frame_folder, evface.sim.video_read):
        monkeypatch.setattr(module, "read_frame", lambda path: read.append(Path(path).name) or real_read_frame(path))
    frames = read_video_frames(folder, np.array([7, 3, 7]), (32, 24))
    assert read == ["img3.png", "img7.png"]
    expected = read_video_frames(video, np.array([3, 7]), (32, 24))
    assert frames.keys() == expected.keys()
    for k in expected:
        np.testing.assert_array_equal(frames[k], expected[k])
    n = len(list(folder.iterdir()))
    with pytest.raises(FormatError, match=f"video ended at frame {n}, before frame {n}"):
        read_video_frames(folder, np.array([1, n]))


def test_cli_a_folder_of_frames_needs_a_rate_or_timestamps(session, frame_folder, tmp_path, capsys):
    root, _ = session
    folder, _ = frame_folder
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(folder),
            "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box", "40,24,48,48"]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (f"error: --rgb {folder}: a folder of frames states no frame rate; give "
                                               "--rgb-fps or --rgb-timestamps")
    assert_nothing_written(tmp_path / "ds")
    (tmp_path / "ts.csv").write_text("t_us\n" + "\n".join(str(round(k * 1e6 / 30)) for k in range(120)) + "\n")
    assert main([*args, "--rgb-timestamps", str(tmp_path / "ts.csv")]) == 0
    assert len(DatasetFolder.open(tmp_path / "ds").rows) == 2


@pytest.mark.parametrize("keep", [0, 1])
def test_cli_a_folder_without_two_frames_says_so_before_asking_for_a_rate(session, tmp_path, capsys, keep):
    """Was 'a folder of frames states no frame rate; give --rgb-fps or --rgb-timestamps' for an
    empty folder (or one of a single frame), which no frame rate makes importable."""
    root, _ = session
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(keep):
        cv2.imwrite(str(folder / f"img{k}.png"), np.zeros((RGB_SIZE[1], RGB_SIZE[0], 3), np.uint8))
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(folder),
                 "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box", "40,24,48,48"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {folder}: needs at least 2 numbered frames (.jpg, .jpeg, .png, "
                                               f".bmp, .tif, .tiff files named like img46.jpg), found {keep}")
    assert_nothing_written(tmp_path / "ds")


def _broken_gap(folder):
    (folder / "img5.png").unlink()


def _broken_duplicate(folder):
    shutil.copy(folder / "img5.png", folder / "img05.png")


def _broken_size(folder):
    cv2.imwrite(str(folder / "img5.png"), np.zeros((10, 12, 3), np.uint8))


def _broken_depth(folder):
    cv2.imwrite(str(folder / "img5.png"), np.zeros((RGB_SIZE[1], RGB_SIZE[0], 3), np.uint16))


def _broken_one_frame(folder):
    for path in folder.glob("*.png"):
        if path.name != "img0.png":
            path.unlink()


@pytest.mark.parametrize("break_it, says", [
    (_broken_gap, "have a gap after 4"),
    (_broken_duplicate, "frame number 5 is in two files"),
    (_broken_size, "img5.png: frame size 12x10 differs from the folder's first frame 128x96"),
    (_broken_depth, "img5.png: a 16-bit integer image"),
    (_broken_one_frame, "needs at least 2 numbered frames"),
])
def test_cli_a_broken_folder_of_frames_is_refused(session, frame_folder, tmp_path, capsys, break_it, says):
    root, _ = session
    folder = shutil.copytree(frame_folder[0], tmp_path / "frames")
    break_it(folder)
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(folder),
                 "--rgb-fps", "30", "--annotations", str(root / "annotations.csv"), "--no-faces",
                 "--face-box", "40,24,48,48"]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1
    assert_nothing_written(tmp_path / "ds")


# ----------------------------------------------------------------------------- reading the RGB frames of many clips


def _overlapping_clips(tmp_path):
    """An annotation table of 9 clips of 18 frames that start 12 frames apart (each shares 6 frames
    with the next), out of order."""
    rows = [f"s1,c{k},{s},{s + 2},{s + 9},{s + 15},{s + 17},12" for k, s in enumerate(range(0, 108, 12))]
    ann = tmp_path / "a.csv"
    ann.write_text("subject,clip_id,start_frame,onset_frame,apex_frame,offset_frame,end_frame,aus\n"
                   + "\n".join(rows[::-1]) + "\n")
    return ann


def _counted_decodes(monkeypatch) -> list[int]:
    """A list that gains an item for every frame decoded from a video or read from a folder."""
    decoded: list[int] = []
    real_decoded, real_read_frame = evface.sim.video_read._decoded, evface.sim.frame_folder.read_frame

    def counting(video_path, times=None):
        for frame in real_decoded(video_path, times):
            decoded.append(1)
            yield frame

    monkeypatch.setattr(evface.sim.video_read, "_decoded", counting)
    for module in (evface.sim.frame_folder, evface.sim.video_read):
        monkeypatch.setattr(module, "read_frame", lambda p: decoded.append(1) or real_read_frame(p))
    return decoded


@pytest.mark.parametrize("kind", ["video", "folder"])
def test_many_clips_read_the_rgb_once(session, frame_folder, tmp_path, monkeypatch, kind):
    """The clips' RGB frames come from one forward pass over the video, and each file of a folder is
    read once, in groups of clips (one clip a group here) that hold only their own frames; the
    frames are those the whole video decodes to. Before, every group decoded the video from its
    first frame (an hour-long webcam video as 500 clips: 500 decodes of up to an hour each), and a
    frame two groups share was read twice."""
    import evface.datasets.importers.session as mod

    root, truth = session
    folder, video = frame_folder
    path = video if kind == "video" else folder
    decoded = _counted_decodes(monkeypatch)
    monkeypatch.setattr(mod, "BATCH_BYTES", 1)
    real_scan = mod.scan_video
    monkeypatch.setattr(mod, "scan_video", lambda *args, **kw: (real_scan(*args, **kw), decoded.clear())[0])
    held = []
    real_write = mod._write_session_clip
    monkeypatch.setattr(mod, "_write_session_clip", lambda *args: held.append(sorted(args[7])) or real_write(*args))
    src = [EventSource("hd", root / "hd.raw", sync="offset", offset_us=truth["hd"].offset_us, registration="given",
                       homography=truth["hd"].homography)]
    run(root, tmp_path / "ds", src=src, ann=_overlapping_clips(tmp_path),
        rgb_src=RgbSource(path, fps=30.0, exposure_us=RGB_EXPOSURE_US))
    assert held == [list(range(s, s + 18)) for s in range(0, 108, 12)]
    assert len(decoded) == 114  # after the scan, frames 0 .. 113, each once
    want = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in iter_video_frames(video)]
    ds = DatasetFolder.open(tmp_path / "ds")
    for row in ds.rows:
        start = int(row["clip_id"][1:]) * 12
        np.testing.assert_array_equal(read_clip(ds.clip_path(row)).frames["rgb"].data, np.stack(want[start:start + 18]))


@pytest.mark.parametrize("kind", ["video", "folder"])
def test_a_session_that_needs_no_rgb_motion_scans_the_rgb_without_decoding_it(session, frame_folder, tmp_path,
                                                                               monkeypatch, kind):
    """With every sensor's offset and homography known (given, from triggers or from point pairs),
    no frame-difference energy or change image is needed: the scan reads a folder's first file
    alone and decodes a video's first frame alone (the rest it counts undecoded into pictures).
    Before, it decoded every frame, and a machine-vision camera's hour of PNGs took as long to
    scan as to import. A frame of another size inside a clip is still refused, naming its file."""
    import evface.datasets.importers.session as mod

    root, truth = session
    folder, video = frame_folder
    path = video if kind == "video" else shutil.copytree(folder, tmp_path / "frames")
    decoded = _counted_decodes(monkeypatch)
    in_scan = []
    real_scan = mod.scan_video
    monkeypatch.setattr(mod, "scan_video",  # the decodes in the scan (the --face-box check before it reads one file)
                        lambda *args, **kw: (decoded.clear(), real_scan(*args, **kw), in_scan.append(len(decoded)))[1])
    src = [EventSource("hd", root / "hd.raw", sync="offset", offset_us=truth["hd"].offset_us, registration="given",
                       homography=truth["hd"].homography)]
    report = run(root, tmp_path / "ds", src=src, rgb_src=RgbSource(path, fps=30.0, exposure_us=RGB_EXPOSURE_US))
    assert in_scan == [1]
    assert report["rgb"]["frames"] == len(list(iter_video_frames(video))) and report["rgb"]["size"] == list(RGB_SIZE)
    if kind == "folder":
        _broken_size(path)
        with pytest.raises(DatasetError, match=r"img5.png: frame size 12x10 differs from the folder's first frame 128x96"):
            run(root, tmp_path / "ds2", src=src, rgb_src=RgbSource(path, fps=30.0, exposure_us=RGB_EXPOSURE_US))
        assert_nothing_written(tmp_path / "ds2")


def test_auto_sync_reads_the_triggers_before_the_rgb_scan(session, tmp_path, monkeypatch):
    """--sync auto without --offset: the event file's trigger pulses are read before the RGB scan,
    so a session synced by them with its homography given decodes one frame in the scan, not all
    of them (the frame-difference energy for a cross-correlation it would not run was computed
    before the pulses were found); the triggers are read once, not again in the event scan."""
    import evface.datasets.importers.event_scan as event_scan
    import evface.datasets.importers.session as mod

    root, truth = session
    decoded = _counted_decodes(monkeypatch)
    in_scan = []
    real_scan = mod.scan_video
    monkeypatch.setattr(mod, "scan_video", lambda *args, **kw: (real_scan(*args, **kw), in_scan.append(len(decoded)))[0])
    reads = []
    real_triggers = event_scan.read_triggers
    monkeypatch.setattr(event_scan, "read_triggers", lambda *args: reads.append(1) or real_triggers(*args))
    src = [EventSource("hd", root / "hd.raw", registration="given", homography=truth["hd"].homography)]
    report = run(root, tmp_path / "ds", src=src)
    assert report["sensors"]["hd"]["sync"]["method"] == "trigger"
    assert in_scan == [1] and len(reads) == 1


class _ShrinkingCapture:
    """A video capture whose frames from the 41st on come out at 64x48, as a decoder that hands on
    a mid-stream size change would give them (OpenCV's FFmpeg backend scales them back)."""

    def __init__(self, cap):
        self._cap, self._count = cap, 0

    def read(self):
        ok, frame = self._cap.read()
        self._count += ok
        return ok, (cv2.resize(frame, (64, 48)) if ok and self._count > 40 else frame)

    def __getattr__(self, name):
        return getattr(self._cap, name)


@pytest.mark.parametrize("given", [False, True])
def test_a_video_that_changes_size_mid_stream_is_refused_naming_the_frame(session, tmp_path, monkeypatch, given):
    """Was a numpy broadcast error in the RGB scan (or in stacking a clip's frames when the scan
    decodes none: offset and homography given; resized by --rgb-size, the frames were kept
    stretched)."""
    root, truth = session
    real_open = evface.sim.video_read.open_video
    monkeypatch.setattr(evface.sim.video_read, "open_video", lambda path: _ShrinkingCapture(real_open(path)))
    src = ([EventSource("hd", root / "hd.raw", sync="offset", offset_us=truth["hd"].offset_us, registration="given",
                        homography=truth["hd"].homography)] if given else None)
    with pytest.raises(FormatError, match=r"rgb.mp4: frame 40 is 64x48, unlike the video's first frame 128x96; "
                                          r"re-encode the video at one size$"):
        run(root, tmp_path / "ds", src=src, rgb_size=(64, 48))
    assert_nothing_written(tmp_path / "ds")


def _avi_losing_frame(source, video, lost):
    """``source``'s frames as an MJPG AVI whose frame ``lost`` (from 0) cannot be read: its chunk
    header is overwritten, so it decodes one frame fewer than its index lists."""
    frames = list(iter_video_frames(source))
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, frames[0].shape[1::-1])
    for img in frames:
        writer.write(img)
    writer.release()
    data = bytearray(video.read_bytes())
    chunks = [m.start() for m in re.finditer(b"00dc....\xff\xd8", bytes(data), re.DOTALL)]
    data[chunks[lost]:chunks[lost] + 200] = np.random.default_rng(0).bytes(200)
    video.write_bytes(bytes(data))
    return len(frames)


@pytest.mark.parametrize("timestamps", [False, True], ids=["at its rate", "a timestamp for each listed frame"])
def test_cli_a_video_that_decodes_fewer_frames_than_it_lists_is_refused_naming_both_counts(session, tmp_path, capsys,
                                                                                          timestamps):
    """An MJPG AVI that lost its frame 30 mid-stream decodes 119 of the 120 frames it lists, and
    OpenCV's container times are those of the frames as decoded (no gap where one was lost): it was
    imported without a word, exit 0, every frame after the loss timed a period early against the
    events. Refused now naming both counts and what to give, nothing written; a timestamp file
    with a time for each listed frame was "120 timestamps but the video ... has 119 frames"."""
    root, _ = session
    video = tmp_path / "webcam.avi"
    assert _avi_losing_frame(root / "rgb.mp4", video, 30) == 120
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(video),
            "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box", "40,24,48,48"]
    if timestamps:
        (tmp_path / "t.csv").write_text("t_us\n" + "".join(f"{33_333 * k}\n" for k in range(120)))
        args += ["--rgb-timestamps", str(tmp_path / "t.csv")]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {video}: the file lists 120 frames and 119 decode (damaged or cut short), so the frames after a lost one "
        "would be timed early against the events, a frame period for each frame lost; give a whole copy of the video, or "
        "the times of the 119 frames that decode as a timestamp file (--rgb-timestamps)")
    assert_nothing_written(tmp_path / "ds")


def test_a_clip_whose_frames_would_not_fit_in_memory_is_refused_before_the_import(session, tmp_path, monkeypatch):
    """A clip's frames are read whole and stacked into the clip however far they exceed the 256 MB
    groups: on a machine of 2 MiB, clip s01_a's 24 frames of 128x96 (1.7 MB read and stacked) are
    refused before any event file is scanned, naming the clip and --rgb-size (was: held whole, and a
    long clip of a large video ended in a MemoryError or the system killing the import); at
    --rgb-size 64,48 the same clips import."""
    import os

    import evface.datasets.importers.session as mod

    root, _ = session
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 512}.get(name, real(name)))
    scanned = []
    real_scan = mod.scan_event_camera
    monkeypatch.setattr(mod, "scan_event_camera", lambda *args: scanned.append(1) or real_scan(*args))
    with pytest.raises(ParameterError, match=(r"annotations.csv: line 2: clip s01_a \(24 RGB frames of 128x96, written in one "
                                              r"piece\) takes about 0.0 GiB, more than half of this machine's 0 GiB; store "
                                              r"smaller frames with --rgb-size W,H .*or cut the clip shorter$")):
        run(root, tmp_path / "ds")
    assert scanned == [] and not (tmp_path / "ds.partial").exists()
    assert run(root, tmp_path / "ds", rgb_size=(64, 48))["clips"] == ["s01_a", "s01_b"]


def test_the_rgb_scan_holds_no_more_than_a_few_frames(tmp_path):
    """scan_video keeps one energy number per frame pair, not every frame: an hour of webcam video
    (108,000 frames) held whole as 160-pixel-wide frames, then as float32 twice over, was over 20 GB
    (1.25 GB for 200 s of 640x360); the energy and change image are what they were."""
    import tracemalloc

    from evface.datasets.importers.rgb_scan import scan_video
    from evface.datasets.importers.sync_xcorr import frame_difference_energy

    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (240, 320, 3), np.uint8)
    writer = cv2.VideoWriter(str(tmp_path / "v.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    for k in range(600):
        writer.write(np.roll(base, k, axis=1))
    writer.release()
    tracemalloc.start()
    try:
        scan = scan_video(tmp_path / "v.avi")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scan.n_frames == 600 and peak < 40 * 320 * 240 * 4, peak  # 40 float32 frames; 600 were held before
    gray = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            for f in iter_video_frames(tmp_path / "v.avi")]
    np.testing.assert_array_equal(scan.energy, frame_difference_energy(np.stack(gray)))


def test_cli_import_session_into_dot_is_refused_before_any_work(session, tmp_path, capsys, monkeypatch):
    """'evface import session . ...' in an empty folder (was: the whole import, then an internal error,
    exit 1: "PosixPath('.') has an empty name")."""
    root, truth = session
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["import", "session", ".", "--events", f"hd={root / 'hd.raw'}", "--rgb", str(root / "rgb.mp4"),
                 "--annotations", str(root / "annotations.csv"), "--offset", f"hd={truth['hd'].offset_us}",
                 "--sync", "hd=offset", "--no-faces", "--face-box", "40,24,48,48"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: .: give OUT a folder by its name, not '.' or '..' (the dataset is built as OUT.partial "
                   "beside it and renamed to OUT)"), err
    assert list(tmp_path.iterdir()) == [tmp_path / "here"] and not any((tmp_path / "here").iterdir())


@pytest.mark.parametrize("degrees", [90, 270])
def test_a_phone_video_stored_sideways_with_a_rotation_flag_imports_as_the_upright_one(session, imported, tmp_path,
                                                                                       degrees):
    """A phone held upright stores its frames turned a quarter with a rotation flag (the MP4 track's
    display matrix): the scan, the face detector, the registration and the clips' frames all see
    the frames turned upright, as the upright video's import (same size, same sync, homographies
    within 1 px of the truth, the clips' frames the same pictures)."""
    root, truth = session
    upright_out, upright = imported
    sideways = tmp_path / "phone.mp4"
    store_sideways(root / "rgb.mp4", sideways, degrees)
    report = import_session(sources(root), RgbSource(sideways, exposure_us=RGB_EXPOSURE_US), root / "annotations.csv",
                            tmp_path / "ds")
    assert report["rgb"]["size"] == list(RGB_SIZE) == upright["rgb"]["size"]
    assert report["sensors"]["hd"]["sync"]["offset_us"] == truth["hd"].offset_us
    for name in ("hd", "lr"):
        h = np.array(report["sensors"][name]["registration"]["homography"])
        assert sensor_error_px(h, truth[name].homography, truth[name].size) < 1.0
    ds, ref = DatasetFolder.open(tmp_path / "ds"), DatasetFolder.open(upright_out)
    a, b = (read_clip(d.clip_path(d.rows[0])).frames["rgb"].data for d in (ds, ref))
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < 4  # one more mp4v encoding


def test_a_bare_mjpeg_stream_needs_its_frame_rate(session, tmp_path):
    """An IP camera's MJPEG dump (JPEG pictures in no container) states no frame rate; the 25 fps
    OpenCV reports, FFmpeg's guess, was taken: the session's 30 fps frames placed 40 ms apart."""
    root, truth = session
    cam = tmp_path / "cam.mjpeg"
    cam.write_bytes(b"".join(cv2.imencode(".jpg", f)[1].tobytes() for f in iter_video_frames(root / "rgb.mp4")))
    with pytest.raises(ParameterError, match=f"^{re.escape(str(cam))}: the video does not state its frame rate; give "
                                             r"fps \(--rgb-fps\)"):
        run(root, tmp_path / "ds", rgb_src=RgbSource(cam, exposure_us=RGB_EXPOSURE_US))
    assert_nothing_written(tmp_path / "ds")
    report = run(root, tmp_path / "ds", rgb_src=RgbSource(cam, fps=30.0, exposure_us=RGB_EXPOSURE_US))
    assert report["rgb"]["period_us"] == 33333 and report["sensors"]["hd"]["sync"]["offset_us"] == truth["hd"].offset_us


def test_cli_a_video_stating_too_high_a_rate_names_what_it_states_and_the_options(session, tmp_path, capsys):
    """A 30 fps recording whose header states 1000 fps (a screen recorder's, a broken header) lasts
    0.12 s at that rate: the clip outside it was refused with only the two spans, not why; now the
    message says what the video states and names --rgb-fps / --rgb-timestamps. A clip just past
    the end of a recording at its true rate gets no such hint (test_annotation_outside_rgb_recording)."""
    root, _ = session
    fast = tmp_path / "fast.mp4"
    frames = list(iter_video_frames(root / "rgb.mp4"))
    writer = cv2.VideoWriter(str(fast), cv2.VideoWriter_fourcc(*"mp4v"), 1000, frames[0].shape[1::-1])
    for f in frames:
        writer.write(f)
    writer.release()
    assert main(["import", "session", str(tmp_path / "ds"), "--rgb", str(fast), "--events", f"hd={root / 'hd.raw'}",
                 "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box", "40,24,48,48"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {root / 'annotations.csv'}: line 2: clip s01_a (100000..900000 µs) lies outside the RGB recording "
        f"(0..{len(frames) * 1000} µs): the video states {len(frames)} frames at 1000 fps ({len(frames) / 1000:g} s), "
        "far shorter than the clips; give the camera's fps (--rgb-fps) or its timestamp file (--rgb-timestamps)")
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize("column, name", [("subject", "."), ("subject", ".."), ("subject", "-x"), ("clip id", "..")])
def test_a_name_refused_for_its_first_character_is_told_the_whole_rule(tmp_path, column, name):
    """``.``, ``..`` and ``-x`` use only letters, digits, ``_ . -``: the refusal said that they must
    use only those (was: "subject '-x' must use only letters, digits, '_', '.', '-'"); it names the
    first character's rule too."""
    from evface.datasets.importers.annotations import read_annotations  # lazy: one unit test here

    subject, clip_id = (name, "c") if column == "subject" else ("s1", name)
    p = tmp_path / "ann.csv"
    p.write_text(f"subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus\n{subject},{clip_id},0,1,2,3,4,1\n")
    with pytest.raises(DatasetError) as info:
        read_annotations(p)
    assert str(info.value) == (f"{p}: line 2: {column} {name!r} must use only letters, digits, '_', '.', '-' and start "
                               "with a letter or digit")


def test_a_default_subject_refused_for_its_first_character_is_told_the_whole_rule(tmp_path, capsys):
    """``import session --subject -x`` (was: "must use only letters, digits, '_', '.', '-'", which it does)."""
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'none.raw'}", "--rgb",
                 str(tmp_path / "none.mp4"), "--annotations", str(tmp_path / "none.csv"), "--subject=-x"]) == 2
    assert capsys.readouterr().err.strip().endswith("subject (--subject) '-x' must use only letters, digits, '_', "
                                                    "'.', '-' and start with a letter or digit")
    assert not (tmp_path / "ds").exists()


# ----------------------------------------------------------------------------- a folder's frames read from their headers


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_tiff_turned_by_its_exif_orientation_has_the_header_size_its_reader_reads(tmp_path, orientation):
    """A TIFF turned a quarter turn by its orientation tag (5 to 8) was "unreadable image" to
    evface.sim.frame_folder.read_frame (OpenCV's imread: "Internal imread issue"), and so to the header
    check, which hands it to read_frame; both read it upright now, at the same size."""
    from PIL import Image  # lazy: only this test writes an orientation

    from evface.datasets.importers.rgb_scan import frame_header  # lazy: only this test reads a header directly
    from evface.sim.frame_folder import read_frame  # lazy: as frame_header

    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "img1.tif"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8)).save(path, exif=exif)
    height, width = read_frame(path).shape[:2]
    assert frame_header(path).size == (width, height) == ((48, 64) if orientation > 4 else (64, 48))


def _late_size(folder):
    cv2.imwrite(str(folder / "img50.png"), np.zeros((10, 12, 3), np.uint8))


def _late_depth(folder):
    cv2.imwrite(str(folder / "img50.png"), np.zeros((RGB_SIZE[1], RGB_SIZE[0], 3), np.uint16))


@pytest.mark.parametrize("break_it, says", [
    (_late_size, "img50.png: frame size 12x10 differs from the folder's first frame 128x96 (img0.png); give all the "
                 "folder's frames one size"),
    (_late_depth, "img50.png: a 16-bit integer image; evface reads 8-bit sRGB frames"),
])
def test_cli_a_late_frame_of_another_size_or_depth_is_refused_before_any_pass(session, frame_folder, tmp_path, capsys,
                                                                             monkeypatch, break_it, says):
    """A frame of another size (or of 16 bits) late in the folder was found only where it was
    decoded: by the RGB scan, after every frame before it (minutes, in an hour's capture), or, where
    no sensor needs the video's motion, when its clip's frames were read, after the event scans, the
    sync and the registration (a frame in no clip: never). Every frame's header is checked before
    any pass over the files, one line naming the frame."""
    import evface.datasets.importers.session as mod

    root, _ = session
    folder = shutil.copytree(frame_folder[0], tmp_path / "frames")
    break_it(folder)
    passes = []
    for name in ("scan_video", "scan_event_camera", "event_camera_triggers"):
        monkeypatch.setattr(mod, name, lambda *args, name=name, real=getattr(mod, name), **kw: passes.append(name)
                            or real(*args, **kw))
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(folder),
                 "--rgb-fps", "30", "--annotations", str(root / "annotations.csv"), "--no-faces",
                 "--face-box", "40,24,48,48"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {folder / says}") and err.count("\n") == 1
    assert passes == []
    assert_nothing_written(tmp_path / "ds")


def test_a_frame_decoded_with_damage_is_kept_in_the_datasets_warnings(session, frame_folder, tmp_path, capfd):
    """``--rgb FOLDER`` whose frame 10 (in clip s01_a) is a JPEG damaged inside its coded data: the
    frame's warning was a ``warning:`` line on the terminal alone, the dataset's ``import.warnings``
    silent on it. It is now kept there, and printed once."""
    root, _ = session
    folder = tmp_path / "rgb"
    shutil.copytree(frame_folder[0], folder)
    damaged = folder / "img10.jpg"
    jpeg_damaged_in_its_scan(damaged, cv2.imread(str(folder / "img10.png")))
    (folder / "img10.png").unlink()
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={root / 'hd.raw'}", "--rgb", str(folder),
                 "--rgb-fps", "30", "--annotations", str(root / "annotations.csv"), "--no-faces", "--face-box",
                 "40,24,48,48"]) == 0
    said = f"{damaged}: decoded with damage ({DAMAGED_SCAN_SAYS}): check the frame"
    assert capfd.readouterr().err.splitlines() == [f"warning: {said}"]
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["import"]["warnings"] == [said]


@pytest.mark.parametrize("sync", ["offset", "xcorr"])
def test_a_sync_that_takes_no_pulse_reads_no_trigger(session, tmp_path, monkeypatch, sync):
    """--sync NAME=offset or xcorr: the event file's trigger pulses are not read (was: one more pass
    over the whole file for them, a third of the decoding of a long EVT 3.0 recording synced by a
    given offset), and the clips are those of the import that read them."""
    import evface.datasets.importers.event_scan as event_scan

    root, truth = session
    hd = truth["hd"]
    src = [EventSource("hd", root / "hd.raw", sync=sync, offset_us=hd.offset_us, registration="given",
                       homography=hd.homography)]
    reads = []
    real_triggers = event_scan.read_triggers
    monkeypatch.setattr(event_scan, "read_triggers", lambda *args: reads.append(1) or real_triggers(*args))
    run(root, tmp_path / "ds", src=src)
    assert reads == []
    auto = [EventSource("hd", root / "hd.raw", registration="given", homography=hd.homography)]
    run(root, tmp_path / "by_triggers", src=auto)
    assert len(reads) == 1
    if sync == "offset":  # the pulses give the same offset: the same clips
        for name in ("s01_a", "s01_b"):
            a, b = read_clip(tmp_path / "ds" / "clips" / f"{name}.h5"), read_clip(tmp_path / "by_triggers" / "clips" / f"{name}.h5")
            assert np.array_equal(a.events["hd"], b.events["hd"]) and a.events["hd"].size


def test_the_event_scan_reads_no_trigger_pulses_from_a_file_it_decoded_without_one(session, tmp_path, monkeypatch):
    """--sync auto with an estimated homography (the defaults, a webcam without a trigger wire): the
    pulses are looked for in the event scan, and where its pass met no trigger edge
    (``EventsFileReader.trigger_edges``) they are not read in another pass over the whole file
    (was: read, none found); a file with pulses still has them read once, and synced by them."""
    import evface.datasets.importers.event_scan as event_scan

    root, truth = session
    write_evt3(tmp_path / "quiet.raw", truth["hd_events"], truth["hd"].size)
    reads = []
    real_triggers = event_scan.read_triggers
    monkeypatch.setattr(event_scan, "read_triggers", lambda *args: reads.append(args[0]) or real_triggers(*args))
    quiet = run(root, tmp_path / "quiet", src=[EventSource("hd", tmp_path / "quiet.raw")], min_confidence=0.0)
    assert reads == [] and quiet["sensors"]["hd"]["sync"]["method"] == "xcorr"
    pulsed = run(root, tmp_path / "pulsed", src=[EventSource("hd", root / "hd.raw")])
    assert reads == [root / "hd.raw"] and pulsed["sensors"]["hd"]["sync"]["method"] == "trigger"


def test_the_event_rate_histogram_is_counted_only_for_a_cross_correlation_and_dropped_once_synced(session, tmp_path,
                                                                                                  monkeypatch):
    """The scan's 100 µs event-rate histogram (4 bytes a bin: 144 MB an hour) is counted only where
    the sync may cross-correlate (``xcorr``, ``auto`` without an offset or trigger settings), and no
    scan holds it while the clips are cut (was: counted for every file, held to the end)."""
    import evface.datasets.importers.session as mod
    from evface.datasets.importers.calibration import scan_event_camera

    root, truth = session
    hd = truth["hd"]
    assert scan_event_camera(EventSource("hd", root / "hd.raw", sync="offset", offset_us=0)).rate is None
    assert scan_event_camera(EventSource("hd", root / "hd.raw", offset_us=0)).rate is None
    assert scan_event_camera(EventSource("hd", root / "hd.raw", sync="trigger")).rate is None
    counted = scan_event_camera(EventSource("hd", root / "hd.raw", sync="xcorr"))
    assert counted.rate is not None and counted.rate.counts.sum() == counted.n_events
    held = []
    real_write = mod._write_clips
    monkeypatch.setattr(mod, "_write_clips", lambda *args: held.extend(args[7].scans.values()) or real_write(*args))
    src = [EventSource("hd", root / "hd.raw", sync="xcorr", offset_us=hd.offset_us, registration="given",
                       homography=hd.homography)]
    report = run(root, tmp_path / "ds", src=src)
    assert report["sensors"]["hd"]["sync"]["method"] == "xcorr" and [s.rate for s in held] == [None]


@pytest.mark.parametrize(("table", "says"), [
    (None, "annotation file not found"),
    ("", "empty annotation file"),
    ("subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,lighting\n", "no annotation rows"),
    ("subject,clip_id,start_us,end_us,aus\ns01,a,0,9,1\n", "onset_us"),
    ("subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,lighting\n"
     "s01,a,100000,300000,400000,600000,900000,1,2,office\n", r"line 2: 10 cells, but the header names 9 columns"),
], ids=["missing", "empty", "no rows", "a column missing", "a row past the header"])
def test_an_annotation_table_that_cannot_be_read_is_refused_before_any_pass_over_a_file(session, tmp_path, monkeypatch,
                                                                                        table, says):
    """A missing annotation file, or one whose header or cells are wrong whatever the video, is
    refused before the trigger pass and the RGB scan (was: after both, minutes into an hour's
    recording), as a missing event file or video is."""
    import evface.datasets.importers.session as mod

    root, _ = session
    ann = tmp_path / "clips.csv"
    if table is not None:
        ann.write_text(table)
    passes = []
    monkeypatch.setattr(mod, "scan_video", lambda *args, **kw: passes.append("rgb scan"))
    monkeypatch.setattr(mod, "event_camera_triggers", lambda *args: passes.append("triggers"))
    with pytest.raises(DatasetError, match=says):
        run(root, tmp_path / "ds", src=[EventSource("hd", root / "hd.raw", registration="given",
                                                    homography=np.eye(3))], ann=ann)
    assert passes == []
    assert_nothing_written(tmp_path / "ds")


@pytest.mark.parametrize(("rows", "says"), [
    (["10,20,5,10", "30,40,15,ten"], r"points.csv: line 3: coordinates must be numbers$"),
    (["10,20,5,10", "30,40,15,20", "50,60,25,30"], r"points.csv: a homography needs at least 4 point pairs, got 3$")])
def test_a_bad_point_pair_file_is_refused_before_any_pass_over_a_file(session, tmp_path, monkeypatch, rows, says):
    """--points hd=CSV with a cell that is no number, or too few pairs: refused before any pass over
    the event files or the video (was: read only when registering, after the trigger pass, the RGB
    scan and the event scan: minutes into a long recording)."""
    import evface.datasets.importers.session as mod

    root, truth = session
    (tmp_path / "points.csv").write_text("\n".join(["rgb_x,rgb_y,x,y", *rows]) + "\n")
    passes = []
    for name in ("scan_video", "scan_event_camera", "event_camera_triggers"):
        monkeypatch.setattr(mod, name, lambda *args, name=name, real=getattr(mod, name), **kw: passes.append(name)
                            or real(*args, **kw))
    src = [EventSource("hd", root / "hd.raw", points=tmp_path / "points.csv")]
    with pytest.raises(RegistrationError, match=says):
        run(root, tmp_path / "ds", src=src)
    assert passes == []
    assert_nothing_written(tmp_path / "ds")
