"""Frames of the real face video (``../shared/real-video``) saved as a lab's camera software saves
them, as a folder of pictures for ``evface simulate FOLDER``, ``info FOLDER`` and ``import session
--rgb FOLDER``; the tests skip without that folder."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from evface.cli import main

REAL_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "real-video" / "short_hamilton_clip.mp4"


def _save_frames(folder: Path, names: list[str]) -> None:
    """The real close-up's frames 120 on, 64x36 (shrunk), saved under ``names`` in ``folder``."""
    if not REAL_VIDEO.is_file():
        pytest.skip(f"{REAL_VIDEO} is absent")
    folder.mkdir()
    capture = cv2.VideoCapture(str(REAL_VIDEO))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
    for name in names:
        ok, frame = capture.read()
        assert ok
        cv2.imwrite(str(folder / name), cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA))
    capture.release()


def test_frames_named_by_their_timestamps_are_told_to_be_renamed(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A machine-vision export names each frame by its timestamp in µs (`frame_1605537493718345.png`,
    29.97 fps): the numbers are no frame numbers, which the line now says, with what to do (was: `6
    frames but numbers 1605537493718345..1605537493885179 have a gap after 1605537493718345`, as if
    frames were lost)."""
    times = [1_605_537_493_718_345 + round(k * 1e6 / 29.97) for k in range(6)]
    _save_frames(tmp_path / "cam", [f"frame_{t}.png" for t in times])
    for argv in (["info", str(tmp_path / "cam")],
                 ["simulate", str(tmp_path / "cam"), "--fps", "29.97", "--out", str(tmp_path / "ev.raw")]):
        assert main(argv) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert (f"cam: 6 frames numbered {times[0]}..{times[-1]} in steps of 33,366 to 33,367, never of 1: no frame "
                "numbers (times, as a camera's export names frames by their timestamps, or every k-th frame); evface "
                "takes the file numbered N0 + k for frame k: rename the files 0, 1, 2, ... in their order") in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam"]


def test_a_gap_in_the_frame_numbers_names_the_files_around_it(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A folder of real frames with frames 3 and 4 lost (a copy interrupted, a camera that dropped
    them): the line names the files either side and how many numbers are missing (was: the gap's
    number alone)."""
    _save_frames(tmp_path / "cam", [f"IMG_{k:04d}.JPG" for k in (0, 1, 2, 5, 6)])
    assert main(["info", str(tmp_path / "cam")]) == 2
    assert ("cam: 5 frames but numbers 0..6 have a gap after 2 (IMG_0002.JPG, then IMG_0005.JPG: 2 frame numbers "
            "missing): restore the missing frames") in " ".join(capsys.readouterr().err.split())
