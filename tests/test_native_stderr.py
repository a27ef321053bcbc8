"""Tests of what native decoders write to standard error while evface reads a video's frames
(evface.io.native_stderr, used by evface.sim.frame_folder and evface.sim.video_read)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _mjpg_avi(path: Path, damage: bytes, after: int) -> Path:
    """Six frames of noise in an MJPG AVI, in each frame's JPEG ``damage`` written ``after`` bytes
    past each marker ``FF DA`` (start of scan: ``after`` 40, inside the coded pixels) or ``FF C4``
    (a Huffman table: ``after`` 2, its length)."""
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    assert writer.isOpened()
    for _ in range(6):
        writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    writer.release()
    data = bytearray(path.read_bytes())
    marker = b"\xff\xda" if after > 2 else b"\xff\xc4"
    start = 0
    while (i := data.find(marker, start)) >= 0:
        data[i + after:i + after + len(damage)] = damage
        start = i + after + len(damage)
    path.write_bytes(bytes(data))
    return path


def _frames_in_a_fresh_python(path: Path) -> subprocess.CompletedProcess:
    """Decode ``path`` with iter_video_frames, then count its frames (count_frames), in a new interpreter whose FFmpeg logs at its default
    level (the CLI quiets it, and a test of the CLI in this process may have set its variable)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENCV_FFMPEG_LOGLEVEL", "OPENCV_LOG_LEVEL")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = ("import sys; from evface.sim.video_read import count_frames, iter_video_frames\n"
            "print(sum(1 for _ in iter_video_frames(sys.argv[1])), count_frames(sys.argv[1])[0])")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_a_damaged_frames_decoder_lines_stay_off_the_terminal(tmp_path):
    """FFmpeg's "[mjpeg @ 0x55cbe623c180] overread 8" and "bad vlc" lines, one or more per damaged
    frame, reached the terminal between evface's own lines (only the opening was kept)."""
    damaged = _mjpg_avi(tmp_path / "damaged.avi", b"\xff" * 20, 40)
    done = _frames_in_a_fresh_python(damaged)
    assert done.returncode == 0, done.stderr
    decoded, counted = map(int, done.stdout.split())
    assert decoded > 0 and counted > 0 and done.stderr == ""


def test_a_video_of_no_decodable_frame_names_what_its_decoder_said(tmp_path):
    """A video whose every frame's Huffman table is damaged: "no decodable frame", and in brackets
    the decoder's first line without its address in memory (was: that line on the terminal)."""
    broken = _mjpg_avi(tmp_path / "broken.avi", b"\xff\x05", 2)
    done = _frames_in_a_fresh_python(broken)
    assert done.returncode == 1
    assert "broken.avi: no decodable frame (mjpeg: dht: invalid len" in done.stderr.splitlines()[-1]
    assert "[mjpeg @" not in done.stderr


def test_a_name_that_is_not_utf8_is_refused_not_a_crash(tmp_path):
    """OpenCV's imread and VideoCapture crashed the process (a segmentation fault: `evface synth
    --faces` over a photo named on a Latin-1 system, `evface simulate` of such a video)."""
    for suffix in (b".png", b".avi"):
        Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9" + suffix)).write_bytes(b"not decoded: refused by name")
    code = ("import os, sys\n"
            "from evface.errors import FormatError\n"
            "from evface.face.identity import read_photo\n"
            "from evface.sim.frame_folder import read_frame\n"
            "from evface.sim.video_read import video_info\n"
            "for read, name in ((read_photo, 'caf\\udce9.png'), (read_frame, 'caf\\udce9.png'), (video_info, 'caf\\udce9.avi')):\n"
            "    try:\n"
            "        read(os.path.join(sys.argv[1], name))\n"
            "    except FormatError as exc:\n"
            "        print(ascii(str(exc)))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    said = ascii(f"{tmp_path}/caf\udce9")
    rest = ": the name is not UTF-8, which OpenCV cannot open; rename the file'"
    assert done.stdout.splitlines() == [f"{said[:-1]}.png{rest}", f"{said[:-1]}.png{rest}", f"{said[:-1]}.avi{rest}"]


def test_two_threads_reading_frames_at_once_leave_standard_error_as_it_was(tmp_path):
    """Each decoder call turns file descriptor 2 aside; two threads doing so at once each saved the
    other's temporary file as the one to put back, and standard error stayed turned into it: lost."""
    damaged = _mjpg_avi(tmp_path / "damaged.avi", b"\xff" * 20, 40)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENCV_FFMPEG_LOGLEVEL", "OPENCV_LOG_LEVEL")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = ("import os, sys\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "from evface.sim.video_read import iter_video_frames\n"
            "before = os.fstat(2).st_ino\n"
            "read = lambda _: sum(1 for _ in iter_video_frames(sys.argv[1]))\n"
            "with ThreadPoolExecutor(2) as pool:\n"
            "    counts = list(pool.map(read, range(40)))\n"
            "print(len(set(counts)), os.fstat(2).st_ino == before)\n"
            "os.write(2, b'standard error after the threads\\n')\n")
    done = subprocess.run([sys.executable, "-c", code, str(damaged)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]
    assert done.stderr == "standard error after the threads\n"
