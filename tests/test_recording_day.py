"""A researcher's first day with a real session: `evface import session` of the hostile annotation
tables a lab writes (clips of one or two webcam frames, an apex on a clip's first or last frame),
then `evface train classify`, `evface train reconstruct`, `evface eval` and `evface report` on the
dataset, as docs/import-guide.md §1.6-1.7 runs them (tiny sizes, one epoch).

The session is :func:`import_fixtures.build_session`'s (EVT3 with triggers, an MP4 webcam), imported
with the given face box so that no detector runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from import_fixtures import RGB_EXPOSURE_US, build_session, write_aedat4

from evface.cli import main

pytestmark = pytest.mark.xdist_group("recording-day")

FACE = "20,4,88,88"
HEADER = "subject,clip_id,start_frame,onset_frame,apex_frame,offset_frame,end_frame,aus\n"
SHORT_CLIPS = (
    "s01,s01_a,3,6,6,6,14,1+2\n"   # onset = apex = offset
    "s02,s02_a,20,22,25,25,32,4\n"  # apex = offset
    "s01,s01_b,50,51,51,51,51,4\n"  # two frames, the apex the last
    "s02,s02_b,60,60,60,61,61,1+2\n"  # two frames, the apex the first
    "s03,s03_b,70,70,70,70,70,4\n"  # one frame: no sample after its keyframe
    "s03,s03_c,0,0,0,3,5,4\n"  # the apex on the video's first frame
    "s01,s01_c,110,112,119,119,119,1+2\n"  # the apex on the video's last frame
)
TRAIN = ["--epochs", "1", "--size", "32", "--threads", "1", "--folds", "3"]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """The session's files and its truth (read only)."""
    root = tmp_path_factory.mktemp("raw")
    return root, build_session(root)


@pytest.fixture(scope="module")
def short_clips(raw, tmp_path_factory):
    """The session imported with the table :data:`SHORT_CLIPS` (hd only, its trigger sync)."""
    root = tmp_path_factory.mktemp("day")
    (root / "raw").symlink_to(raw[0])
    (root / "annotations.csv").write_text(HEADER + SHORT_CLIPS)
    assert main(["import", "session", str(root / "data"), "--events", f"hd={root / 'raw' / 'hd.raw'}",
                 "--rgb", str(root / "raw" / "rgb.mp4"), "--rgb-exposure-us", str(RGB_EXPOSURE_US),
                 "--annotations", str(root / "annotations.csv"), "--face-box", FACE, "--homography", "hd=nominal"]) == 0
    return root


def test_reconstruct_names_the_clip_it_cannot_score(short_clips, capsys):
    """A clip of one webcam frame has no frame after its keyframe to score: the run and its
    evaluation say which clip went unscored and what a clip needs, in the printed figures,
    metrics.json and the report (was: "6 clips of 3 subjects" of a dataset of 7, without a word)."""
    run = short_clips / "recon"
    capsys.readouterr()
    assert main(["train", "reconstruct", "--data", str(short_clips / "data"), "--out", str(run), "--base", "4",
                 *TRAIN]) == 0
    said = "(6 clips of 3 subjects; 1 clip not scored, without a sample: s03_b (a clip needs a truth frame"
    assert said in "".join(capsys.readouterr())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_clips"] == 6 and metrics["unsampled"]["clips"] == ["s03_b"]
    assert main(["eval", str(run), "--data", str(short_clips / "data"), "--out", str(short_clips / "again")]) == 0
    assert said in "".join(capsys.readouterr())
    assert main(["report", str(run), "--out", str(short_clips / "report.html")]) == 0
    assert "1 clip not scored, without a sample: s03_b" in (short_clips / "report.html").read_text()


def test_a_clip_without_events_is_said(raw, tmp_path, capsys):
    """An event recording with a gap (a sensor that stopped, a USB hiccup) leaves a clip with no
    event at all: the import says so, naming the clip, the sensor, the window and the options, and
    keeps it in dataset.json (was: imported without a word, its event input empty in training)."""
    root, truth = raw
    hd = truth["hd_events"]
    t_session = hd["t"] + truth["hd"].offset_us
    write_aedat4(tmp_path / "gap.aedat4", hd[(t_session < 1_000_000) | (t_session >= 2_000_000)], truth["hd"].size)
    (tmp_path / "annotations.csv").write_text(HEADER + "s01,s01_a,3,6,8,10,14,1+2\ns01,s01_b,33,35,37,39,45,4\n")
    assert main(["import", "session", str(tmp_path / "data"), "--events", f"hd={tmp_path / 'gap.aedat4'}",
                 "--rgb", str(root / "rgb.mp4"), "--rgb-exposure-us", str(RGB_EXPOSURE_US),
                 "--annotations", str(tmp_path / "annotations.csv"), "--face-box", FACE, "--homography", "hd=nominal",
                 "--sync", "hd=offset", "--offset", f"hd={truth['hd'].offset_us}"]) == 0
    said = ("clip s01_b: no hd event in its window (1100000..1533333 µs on the session clock; gap.aedat4): its hd "
            "input is empty; check the recording there, the offset (--offset hd=US) or the clip's window")
    assert f"warning: {said}" in capsys.readouterr().err.splitlines()
    assert json.loads((tmp_path / "data" / "dataset.json").read_text())["import"]["warnings"] == [said]

REAL = Path(__file__).parents[2] / "shared"
REAL_ES, REAL_VIDEO = REAL / "real-events" / "faery_dvs.es", REAL / "real-video" / "short_hamilton_clip.mp4"


@pytest.mark.skipif(not (REAL_ES.is_file() and REAL_VIDEO.is_file()), reason="../shared/real-* is absent")
def test_a_sensor_name_training_does_not_take_is_said_at_the_import(tmp_path, capsys):
    """A real camera's events (an ATIS .es, 1 s) beside the real video, imported under a name of the
    lab's choosing (``ev``, as the guide's own timing footnote names it): the import says that
    training takes hd and lr only and how to import it (was: found out by `evface train classify --sensor ev`,
    "choose from hd, lr", after the import, which had to be run again)."""
    (tmp_path / "annotations.csv").write_text(HEADER + "s01,a,0,2,4,6,8,1+2\ns02,b,9,11,13,15,17,4\n")
    assert main(["import", "session", str(tmp_path / "data"), "--events", f"ev={REAL_ES}", "--rgb", str(REAL_VIDEO),
                 "--annotations", str(tmp_path / "annotations.csv"), "--sync", "ev=offset", "--offset", "ev=0",
                 "--homography", "ev=nominal", "--face-box", "200,50,200,200"]) == 0
    said = (f"--events ev={REAL_ES}: training takes the event sensors hd and lr (the --sensor of evface train classify and reconstruct), so ev's events "
            f"cannot be trained on; import it as --events hd={REAL_ES} (a high-resolution camera, an EVK4) or "
            f"lr={REAL_ES} (a DAVIS346)")
    assert f"warning: {said}" in capsys.readouterr().err.splitlines()
    assert json.loads((tmp_path / "data" / "dataset.json").read_text())["import"]["warnings"] == [said]


def test_a_subject_of_one_frame_clips_is_refused_before_any_training(raw, tmp_path, capsys):
    """A subject whose only clip is one webcam frame has no reconstruction sample: a fold that trains
    or validates on it alone is refused before any part trains, naming the fold, the subject, the
    clip, its length and what to change; no run folder (was: "the training subjects s03 have no
    samples; use a dataset with more subjects" once fold0 had trained, the run left to fail again)."""
    (tmp_path / "annotations.csv").write_text(
        HEADER + "s01,s01_a,3,6,8,10,14,1+2\ns02,s02_a,20,22,25,28,32,4\ns03,s03_a,40,40,40,40,40,4\n")
    assert main(["import", "session", str(tmp_path / "data"), "--events", f"hd={raw[0] / 'hd.raw'}",
                 "--rgb", str(raw[0] / "rgb.mp4"), "--rgb-exposure-us", str(RGB_EXPOSURE_US),
                 "--annotations", str(tmp_path / "annotations.csv"), "--face-box", FACE, "--homography", "hd=nominal"]) == 0
    capsys.readouterr()
    assert main(["train", "reconstruct", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"), "--base", "4",
                 *TRAIN]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: {tmp_path / 'data'}: fold") and (
        "subject s03 has no extrapolation sample: its clip s03_a (33.3 ms) is too short; a clip needs a truth frame "
        "(a recording: an RGB frame) after its first RGB frame's mid-exposure, on the --step-us grid through the apex "
        "(now 50000 µs); widen its window in the annotation table, leave it out, or give a dataset of more subjects"
    ) in err
    assert not (tmp_path / "run").exists()
