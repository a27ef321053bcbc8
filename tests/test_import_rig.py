"""A clip of the synthetic rig, exported to native camera formats and imported back.

hd -> EVT3 .raw with one trigger per RGB frame, lr -> AEDAT4, rgb -> MP4; each camera on its own
clock. The imported clip must carry the rig's events exactly, its frames (up to MP4 loss), its
homographies and face boxes.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from import_fixtures import write_aedat4, write_evt3

from evface.io.clip_reader import read_clip
from evface.datasets.importers.session import import_session
from evface.datasets.importers.session_options import EventSource, RgbSource, SessionOptions

SESSION_START_US = 500_000
OFFSETS = {"hd": -2_000_123, "lr": 345_678}  # t_session = t_sensor + offset


@pytest.fixture(scope="module")
def rig_clip():
    from evface.datasets import synth_film, synth_plan

    preset = synth_plan.get_preset("tiny")
    subjects, _ = synth_plan.plan_subjects(preset, 0, 1)
    spec = synth_plan.plan_clips(subjects, {"AU1+2": [1, 2]}, ["bright"], 1)[0]
    return synth_film.make_clip(spec, subjects[0], preset, 0)


def export(clip, root):
    frames = clip.frames["rgb"]
    t_rgb = frames.t_us + SESSION_START_US
    fps = round(1e6 / float(np.median(np.diff(frames.t_us))), 3)  # 30.0: frame k at round(k * 1e6 / fps)
    h, w = frames.data.shape[1:3]
    writer = cv2.VideoWriter(str(root / "rgb.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames.data:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    hd = clip.events["hd"].copy()
    hd["t"] += SESSION_START_US - OFFSETS["hd"]
    trig = np.zeros(t_rgb.size, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"], trig["rising"] = t_rgb - OFFSETS["hd"], True
    write_evt3(root / "hd.raw", hd, clip.sensors["hd"].size, trig)
    lr = clip.events["lr"].copy()
    lr["t"] += SESSION_START_US - OFFSETS["lr"]
    write_aedat4(root / "lr.aedat4", lr, clip.sensors["lr"].size)
    start, end = SESSION_START_US, SESSION_START_US + clip.duration_us
    on, ap, off = (SESSION_START_US + v for v in (clip.onset_us, clip.apex_us, clip.offset_us))
    (root / "ann.csv").write_text("subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,lighting\n"
                                  f"{clip.subject},back,{start},{on},{ap},{off},{end},{'+'.join(map(str, clip.aus))},{clip.lighting}\n")
    return fps


def test_rig_clip_round_trip(rig_clip, tmp_path):
    clip = rig_clip
    fps = export(clip, tmp_path)
    hom = clip.calibration["homography"]
    sources = [EventSource("hd", tmp_path / "hd.raw", "evk4", homography=np.array(hom["hd"]), registration="given"),
               EventSource("lr", tmp_path / "lr.aedat4", "davis346", sync="offset", offset_us=OFFSETS["lr"],
                           homography=np.array(hom["lr"]), registration="given")]
    report = import_session(sources, RgbSource(tmp_path / "rgb.mp4", fps=fps, start_us=SESSION_START_US,
                                               exposure_us=int(clip.frames["rgb"].exposure_us[0])),
                            tmp_path / "ann.csv", tmp_path / "ds",
                            SessionOptions(detect_faces=False, face_box=tuple(clip.calibration["face_box"]["rgb"])))
    assert report["sensors"]["hd"]["sync"] == {**report["sensors"]["hd"]["sync"], "method": "trigger", "offset_us": OFFSETS["hd"]}
    back = read_clip(tmp_path / "ds" / "clips" / "back.h5")
    for name in ("hd", "lr"):
        np.testing.assert_array_equal(back.events[name], clip.events[name])
        assert back.sensors[name].size == clip.sensors[name].size
        np.testing.assert_allclose(back.calibration["homography"][name], hom[name], atol=1e-9)
        np.testing.assert_allclose(back.calibration["face_box"][name], clip.calibration["face_box"][name], atol=0.01)
    assert (back.onset_us, back.apex_us, back.offset_us, back.duration_us) == (
        clip.onset_us, clip.apex_us, clip.offset_us, clip.duration_us)
    assert back.aus == clip.aus and back.label == "AU1+2" and back.subject == clip.subject
    np.testing.assert_array_equal(back.frames["rgb"].t_us, clip.frames["rgb"].t_us)
    diff = np.abs(back.frames["rgb"].data.astype(int) - clip.frames["rgb"].data.astype(int)).mean()
    assert diff < 6  # MP4 (mp4v) is lossy
