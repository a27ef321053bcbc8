"""Frames of the real face video (``../shared/real-video``) cut to the sizes a lab's footage comes in
(a face crop of odd width or height, as corpora and machine-vision cameras give) through ``evface
simulate --rgb-out`` and :func:`~evface.sim.video_write.write_video`; the tests skip without that
folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from evface.cli import main
from evface.errors import ParameterError
from evface.sim.video_read import iter_video_frames
from evface.sim.video_write import write_video

REAL_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "real-video" / "short_hamilton_clip.mp4"


def _face_crops(width: int, height: int, n: int = 6) -> list[np.ndarray]:
    """``n`` RGB frames of the real close-up (frames 120 on), cut to ``width`` x ``height`` around the face."""
    if not REAL_VIDEO.is_file():
        pytest.skip(f"{REAL_VIDEO} is absent")
    capture = cv2.VideoCapture(str(REAL_VIDEO))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
    frames = []
    for _ in range(n):
        ok, frame = capture.read()
        assert ok
        frames.append(np.ascontiguousarray(frame[60:60 + height, 260:260 + width, ::-1]))
    capture.release()
    return frames


@pytest.mark.parametrize("size", [(81, 60), (80, 61), (81, 61), (1, 1)])
def test_a_video_of_odd_sized_frames_is_refused_not_cropped(tmp_path: Path, size: tuple[int, int]) -> None:
    """OpenCV's writer drops the last column or row of odd-sized frames (every codec of its FFmpeg
    backend): an 81x61 film of the real face was written as 80x60 without a word, its geometry no
    longer the scene's, and a 1x1 one as "OpenCV cannot write this video". Now refused before the
    video is begun, nothing left; an even size is written whole."""
    out = tmp_path / "rgb.avi"
    with pytest.raises(ParameterError, match=rf"cannot write a video of {size[0]}x{size[1]} frames \(\.avi\): the "
                                             r"videos OpenCV writes hold even sizes only"):
        write_video(out, iter(_face_crops(*size)), 29.97)
    assert list(tmp_path.iterdir()) == []
    write_video(out, iter(_face_crops(80, 60)), 29.97)
    assert [frame.shape for frame in iter_video_frames(out)] == [(60, 80, 3)] * 6


def test_simulate_rgb_out_of_an_odd_sized_folder_of_real_frames_writes_nothing(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate FOLDER --rgb-out` of real face crops 81x61 (a corpus's crop): one line, exit 2, neither the
    events nor the video nor its frame times (was: exit 0, the RGB video 80x60)."""
    folder = tmp_path / "crop"
    folder.mkdir()
    for k, frame in enumerate(_face_crops(81, 61)):
        cv2.imwrite(str(folder / f"img{k}.png"), frame[:, :, ::-1])
    code = main(["simulate", str(folder), "--fps", "29.97", "--sensor", "64x48", "--out", str(tmp_path / "ev.raw"),
                 "--rgb-out", str(tmp_path / "rgb.avi")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "cannot write a video of 81x61 frames (.avi)" in err and "cropped to 80x60" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crop"]


def test_simulate_rgb_out_of_odd_sized_real_frames_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate FOLDER --rgb-out` of real face crops 65x48: refused with the writer's own words before the
    input's timing is read or a frame simulated (was: every event simulated, then the video refused as it
    was begun)."""
    import evface.commands.sim as sim_command
    import evface.sim.video as sim_video

    folder = tmp_path / "crop"
    folder.mkdir()
    for k, frame in enumerate(_face_crops(65, 48)):
        cv2.imwrite(str(folder / f"img{k}.png"), frame[:, :, ::-1])
    work: list[str] = []
    read_timing, iter_events = sim_command._read_timing, sim_video.iter_video_events
    monkeypatch.setattr(sim_command, "_read_timing", lambda *a, **k: work.append("timing") or read_timing(*a, **k))
    monkeypatch.setattr(sim_video, "iter_video_events", lambda *a, **k: work.append("simulated") or iter_events(*a, **k))
    code = main(["simulate", str(folder), "--fps", "30", "--sensor", "64x48", "--out", str(tmp_path / "ev.raw"),
                 "--rgb-out", str(tmp_path / "rgb.mp4")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and err == ("error: cannot write a video of 65x48 frames (.mp4): the videos OpenCV writes hold even "
                                 "sizes only (it would drop the last column of every frame); give frames of an even "
                                 "size, e.g. cropped to 64x48 (simulate --rgb-out: crop the video or the folder of frames)")
    assert work == [] and sorted(p.name for p in tmp_path.iterdir()) == ["crop"]
