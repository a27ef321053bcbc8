"""The command line's one error path: usage errors, bad input and bugs each end in a short
message and a known exit code, never a traceback unless ``--debug``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evface import cli


def _evface(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evface.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def test_python_dash_m_evface_runs_the_command_line(tmp_path):
    """``python -m evface`` (and so ``torchrun -m evface``) is the ``evface`` script: its errors and
    exit codes (was: "No module named evface.__main__; 'evface' is a package and cannot be directly
    executed", exit 1)."""
    done = subprocess.run([sys.executable, "-m", "evface", "info", str(tmp_path / "none.raw")], capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stderr.strip()) == (2, f"error: {tmp_path / 'none.raw'}: no such file")


@pytest.mark.parametrize("args, says", [
    (("info",), "Missing argument"),
    (("bogus",), "No such command"),
    (("synth", "x", "--seed", "abc"), "--seed"),
])
def test_usage_errors_exit_2_without_a_traceback(args, says):
    result = _evface(*args)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("size", ["COLUMNS=0", "COLUMNS=²", "TERMINAL_WIDTH=abc"])
def test_a_terminal_size_that_is_not_one_leaves_errors_and_help_as_they_are(size):
    """``COLUMNS=0`` (``export COLUMNS=$(tput cols)`` in a batch job) printed nothing at all, the
    error line included, exit 2; ``TERMINAL_WIDTH=0`` an empty help; ``COLUMNS=²``, ``LINES=²`` and
    ``TERMINAL_WIDTH=abc`` were a ValueError before any command ran: now read as unknown sizes."""
    name, value = size.split("=")
    env = {**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TERMINAL_WIDTH")}, name: value}
    script = ("import sys; from evface import cli; code = cli.main(['info', '/no/such.raw']); "
              "print('---', file=sys.stderr); cli.main(['-h']); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert result.stderr == "error: /no/such.raw: no such file\n---\n"
    assert "Usage: evface" in result.stdout and "Commands" in result.stdout


def test_a_video_ffmpeg_cannot_read_is_one_line(tmp_path):
    # was two: FFmpeg's "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x...] moov atom not found", then evface's error
    video = tmp_path / "cut.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))  # an MP4 cut before its index
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_FFMPEG_LOGLEVEL"}
    result = subprocess.run([sys.executable, "-m", "evface.cli", "simulate", str(video), "--out", str(tmp_path / "o.h5")],
                            capture_output=True, text=True, timeout=120, env={**env, "COLUMNS": "200"})
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {video}: OpenCV cannot open this video"
    assert not (tmp_path / "o.h5").exists()
    debug = subprocess.run([sys.executable, "-m", "evface.cli", "--debug", "simulate", str(video), "--out",
                            str(tmp_path / "o.h5")], capture_output=True, text=True, timeout=120, env=env)
    assert "moov atom not found" in debug.stderr  # --debug keeps FFmpeg's own account


def test_info_describes_a_video(tmp_path, capsys):
    """The webcam video of a session, whose frame count and rate its annotation table's frame
    indices need: its size, frames, stated rate and duration (was: "unknown extension '.mp4'",
    exit 2, nothing said of what to use instead); options only an events file takes are refused."""
    import cv2  # lazy: OpenCV, for this test's video only
    import numpy as np  # lazy: as above

    video = tmp_path / "webcam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (64, 48))
    for k in range(12):
        writer.write(np.full((48, 64, 3), 20 * k, dtype=np.uint8))
    writer.release()
    assert cli.main(["info", str(video), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert (said["format"], said["size"], said["frames"], said["fps"], said["duration_us"]) == ("video", [64, 48], 12,
                                                                                              15.0, 800_000)
    assert cli.main(["info", str(video)]) == 0
    table = capsys.readouterr().out
    assert "64x48" in table and "12 (decoded: frame indices 0 .. 11)" in table and "15 fps" in table
    assert cli.main(["info", str(video), "--triggers"]) == 2
    assert "--triggers: is for an events or clip file, and webcam.avi is a video" in capsys.readouterr().err


def test_info_of_a_video_that_decodes_fewer_frames_than_it_lists_says_both(tmp_path, capsys):
    """A damaged or cut-short video was described by its decoded frames alone, the count a table's
    frame numbers were taken from unsaid; now the count its file lists too, as ``simulate`` warns."""
    import cv2  # lazy: OpenCV, for this test's video only
    import numpy as np  # lazy: as above

    video = tmp_path / "webcam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    for k in range(40):
        writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
    writer.release()
    data = bytearray(video.read_bytes())
    at = int(len(data) * 0.6)
    data[at:at + 200] = np.random.default_rng(0).bytes(200)  # frame 16 (from 0) lost
    video.write_bytes(bytes(data))
    assert cli.main(["info", str(video), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert (said["frames"], said["listed"]) == (39, 40)
    assert cli.main(["info", str(video)]) == 0
    assert ("39 (decoded: frame indices 0 .. 38); the file lists 40: cut short or damaged, frames after a lost one are "
            "numbered early") in " ".join(line.strip(" │") for line in capsys.readouterr().out.splitlines())


def test_info_of_a_video_that_states_no_rate_names_every_commands_option(tmp_path, capsys, monkeypatch):
    """A bare MJPEG stream (an IP camera's dump) states no frame rate: info said to give
    '--rgb-fps or --rgb-timestamps', import session's alone, where import corpus and simulate take
    it as --fps. Now each command's option, briefly."""
    import cv2  # lazy: OpenCV, for this test's video only
    import numpy as np  # lazy: as above

    cam = tmp_path / "cam.mjpeg"
    cam.write_bytes(b"".join(cv2.imencode(".jpg", np.full((48, 64, 3), 20 * k, np.uint8))[1].tobytes() for k in range(6)))
    monkeypatch.setenv("COLUMNS", "300")  # the row on one line
    assert cli.main(["info", str(cam)]) == 0
    rows = [line.strip("│ ") for line in capsys.readouterr().out.splitlines()]
    assert ("frame rate │ not stated (a bare codec stream): give it as import session --rgb-fps (or --rgb-timestamps), "
            "import corpus --fps, simulate --fps") in rows


def test_info_describes_a_folder_of_numbered_frames(tmp_path, capsys):
    """A machine-vision camera's frames (`import session --rgb FOLDER`): their count, the file
    numbers frame 0 and the last stand for, their size, and that a folder states no rate (was: "is
    a folder, and info reads one events or clip file (give one of its files)")."""
    import cv2  # lazy: OpenCV, for this test's frames only
    import numpy as np  # lazy: as above

    frames = tmp_path / "cam"
    frames.mkdir()
    for n in range(46, 52):
        cv2.imwrite(str(frames / f"img{n}.png"), np.full((48, 64, 3), 30 * (n - 46), dtype=np.uint8))
    assert cli.main(["info", str(frames), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert (said["format"], said["size"], said["frames"], said["first_number"], said["fps"]) == ("frames", [64, 48], 6,
                                                                                               46, 0.0)
    assert cli.main(["info", str(frames)]) == 0
    table = capsys.readouterr().out
    assert "6 (files numbered 46 .. 51: frame indices 0 .. 5)" in table and "--rgb-fps (or" in table
    assert cli.main(["info", str(frames), "--sensor", "hd"]) == 2
    assert "--sensor: is for an events or clip file, and cam is a folder of frames" in capsys.readouterr().err


@pytest.mark.parametrize("name, content, says", [
    ("cut.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(64), "cut.mp4: OpenCV cannot open this video"),
    ("notes.avi", b"not a video", "notes.avi: OpenCV cannot open this video"),
    ("empty.mp4", b"", "empty.mp4: empty file (0 bytes)"),
    ("gaps", [1, 2, 4], "gaps: 3 frames but numbers 1..4 have a gap after 2"),
    ("twice", [1, 1, 2], "twice: frame number 1 is in two files, img01.png and img1.png; keep one"),
    ("one", [7], "one: needs at least 2 numbered frames (.jpg, .jpeg, .png, .bmp, .tif, .tiff files named like img46.jpg), "
                 "found 1"),
    ("sizes", [1, 2, 3, -4], "sizes/img4.png: frame size 8x9 differs from the folder's first frame 8x8 (img1.png); give "
                             "all the folder's frames one size"),
], ids=["cut mp4", "text avi", "empty mp4", "gap", "number twice", "one frame", "another size"])
def test_info_of_a_broken_video_or_folder_of_frames_says_what_is_wrong(tmp_path, capsys, name, content, says):
    """A video OpenCV cannot open (cut before its index, a text file named .avi) was "unknown
    extension '.mp4'; expected one of .aedat, ...", as if info read no video; a folder of frames
    with a gap, a number twice or one frame was "is a folder, and info reads one events or clip
    file", one with a frame of another size described by its first: now what ``import session
    --rgb`` would say of it."""
    import cv2  # lazy: OpenCV, for this test's frames only
    import numpy as np  # lazy: as above

    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.mkdir()
        for k, n in enumerate(content):  # a negative number: a frame of another size
            cv2.imwrite(str(path / f"img{abs(n):0{1 + (k and n == content[k - 1])}d}.png"),
                        np.zeros((8 + (n < 0), 8, 3), np.uint8))
    assert cli.main(["info", str(path)]) == 2
    err = capsys.readouterr().err.strip()  # and the demuxer's line, where FFmpeg's log is caught
    assert err == f"error: {tmp_path / says}" or err.startswith(f"error: {tmp_path / says} (") and "\n" not in err


def test_a_photo_opencv_cannot_read_is_one_line(tmp_path):
    # was two: OpenCV's "[ WARN:0@0.054] global loadsave.cpp:278 findDecoder imread_('x.png'): can't open/read
    # file: check file path/integrity", then evface's error
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    photo = tmp_path / "x.png"
    args = [sys.executable, "-m", "evface.cli", "faces", str(tmp_path / "f.png"), "--photo", str(photo)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**env, "COLUMNS": "200"})
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {photo}: no such file"  # was: "unreadable or corrupt image"
    debug = subprocess.run([*args[:3], "--debug", *args[3:]], capture_output=True, text=True, timeout=120, env=env)
    assert "can't open/read file" in debug.stderr  # --debug keeps OpenCV's own account


@pytest.mark.parametrize("command", [("synth", "OUT"), ("run", "--out", "OUT"), ("simulate", "v.avi", "--out", "OUT"),
                                     ("import", "corpus", "root", "table.csv", "OUT")])
def test_a_negative_seed_is_refused_naming_the_option(tmp_path, capsys, command):
    # synth and run stopped in numpy ("expected non-negative integer"), run after creating OUT
    args = [str(tmp_path / a) if a in ("OUT", "v.avi", "root", "table.csv") else a for a in command]
    assert cli.main([*args, "--seed", "-1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Invalid value for '--seed'" in err and "greater than or equal to 0" in err
    assert not (tmp_path / "OUT").exists()


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    missing = tmp_path / "nope.raw"
    result = _evface("info", str(missing))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {missing}: no such file"]


def test_an_error_after_a_progress_bar_started_is_still_one_line(tmp_path):
    """In a log or a pipe the stopped bar left an empty line before the error (synth, simulate,
    convert, import corpus draw one); off a terminal no bar is drawn at all."""
    result = _evface("synth", str(tmp_path / "ds"), "--preset", "tiny", "--subjects", "0")
    assert result.returncode == 2
    assert result.stderr == "error: no subjects: give --subjects > 0 or --faces\n"


@pytest.mark.parametrize("args, says", [
    (("run", "--data", "{file}", "--out", "{out}"), "is a file, not an evface dataset folder (--data)"),
    (("train", "classify", "--data", "{file}", "--out", "{out}"), "is a file, not an evface dataset folder"),
    (("train", "reconstruct", "--data", "{file}", "--out", "{out}"), "is a file, not an evface dataset folder"),
    (("eval", "{file}", "--data", "{out}"), "is a file, not an evface run folder"),
    (("report", "{file}", "--out", "{out}/r.html"), "is a file, not a folder"),
    (("compare", "{file}", "{out}"), "is a file, not a run folder"),
])
def test_a_file_given_for_a_folder_is_called_a_file(tmp_path, capsys, args, says):
    """Each said the folder had no manifest, no config.json or no predictions, or that there was
    no such folder, about a file the user could see."""
    file = tmp_path / "notes.txt"
    file.write_text("a file")
    out = tmp_path / "out"
    assert cli.main([a.format(file=file, out=out) for a in args]) == 2
    assert capsys.readouterr().err == f"error: {file}: {says}\n"
    assert not out.exists() and file.read_text() == "a file"


@pytest.mark.parametrize("option, values", [("--events", ("hd=a.raw", "hd=b.raw")), ("--offset", ("hd=0", "hd=5000"))])
def test_a_sensor_named_twice_in_a_session_option_is_refused(tmp_path, capsys, option, values):
    """The second value replaced the first without a word (two recordings for one sensor: one imported)."""
    args = ["import", "session", str(tmp_path / "ds"), "--events", "hd=a.raw", "--rgb", "v.avi", "--annotations", "a.csv"]
    if option == "--events":
        args[3:5] = ["--events", values[0], "--events", values[1]]
    else:
        args += [option, values[0], option, values[1]]
    assert cli.main(args) == 2
    first, second = (v.partition("=")[2] for v in values)
    assert capsys.readouterr().err == f"error: {option} names hd twice ({first}, {second}); give each sensor once\n"
    assert not (tmp_path / "ds").exists()


def test_text_in_square_brackets_is_printed_as_written(tmp_path, capsys):
    """rich read "[v2]" in a printed path (and "[x, y, w, h]" in a message) as markup and dropped it:
    the error named /.../take/nope.raw for /.../take[v2]/nope.raw, convert said it wrote a file
    that does not exist, and info's table showed another name."""
    folder = tmp_path / "take[v2]"
    folder.mkdir()
    (folder / "a.csv").write_text("# sensor 10x10\n0,1,1,1\n5,2,2,0\n")
    assert cli.main(["info", str(folder / "nope.raw")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {folder / 'nope.raw'}: no such file"
    assert cli.main(["convert", str(folder / "a.csv"), str(folder / "[bold]b.h5"), "--sensor-size", "10x10"]) == 0
    assert f"wrote 2 events to {folder / '[bold]b.h5'} (clip)" in capsys.readouterr().err
    assert cli.main(["info", str(folder / "[bold]b.h5")]) == 0
    assert "take[v2]/[bold]b.h5" in capsys.readouterr().out


@pytest.mark.parametrize("args, option", [
    (("run", "--out", "{busy}"), "--out"),
    (("synth", "{busy}"), "OUT"),
    (("synth-merge", "{busy}", "{dir}"), "OUT"),
    (("train", "classify", "--data", "{dir}", "--out", "{busy}"), "--out"),
    (("train", "reconstruct", "--data", "{dir}", "--out", "{busy}"), "--out"),
    (("eval", "{run}", "--data", "{dir}", "--out", "{busy}"), "--out"),
    (("eval", "{busy}", "--data", "{dir}"), "--out"),
    (("merge", "{busy}", "{dir}", "{dir}"), "OUT"),
    (("import", "corpus", "{dir}", "{dir}/table.csv", "{busy}"), "OUT"),
    (("import", "session", "{busy}", "--events", "hd={dir}/a.raw", "--rgb", "{dir}/v.avi", "--annotations",
      "{dir}/a.csv"), "OUT"),
])
def test_a_folder_another_evface_writes_into_is_refused(tmp_path, capsys, args, option):
    """Two commands writing into one folder at once (make run in two terminals, a job array that
    launched one command twice) ran over each other: a second `train classify --out RUN` started
    12 s after the first "resumed" the fold the first was training, both wrote its checkpoints, and
    it died on the first's checkpoint.pt.tmp. Now the second is refused, the folder untouched."""
    from evface.commands.paths import sole_writer

    busy, folder, run = tmp_path / "busy", tmp_path / "d", tmp_path / "run"
    folder.mkdir()
    run.mkdir()
    (run / "config.json").write_text('{"task": "classify"}')
    names = {"busy": str(busy), "dir": str(folder), "run": str(run)}
    with sole_writer(busy):
        (busy / "partial.h5.tmp").write_text("a clip being written")
        (busy / "config.json").write_text('{"task": "classify"}')  # a run being trained, for eval RUN
        assert cli.main([a.format(**names) for a in args]) == 2
    message = f"error: {busy}: another evface command is writing into this folder; wait for it to finish or give {option} another folder"
    assert " ".join(capsys.readouterr().err.split()) == message
    assert sorted(p.name for p in busy.iterdir()) == ["config.json", "partial.h5.tmp"]


def test_a_folder_on_a_file_system_without_locks_is_written_unguarded(tmp_path, monkeypatch):
    import errno
    import fcntl

    from evface.commands.paths import sole_writer

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with sole_writer(tmp_path / "out") as out:
        (out / "a.txt").write_text("written")
    assert (tmp_path / "out" / "a.txt").read_text() == "written"


@pytest.mark.parametrize("content", ['[["a", "b", "c"], [0, 1, 0], [0, 0, 1]]', '{"h": 1}', "\udcff"])
def test_a_homography_file_that_is_not_numbers_is_one_error_line(tmp_path, capsys, content):
    """Strings, an object or bytes that are not text in the --homography file: exit 1 before."""
    bad = tmp_path / "H.json"
    bad.write_bytes(content.encode("utf-8", "surrogateescape"))
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.raw'}", "--rgb",
            str(tmp_path / "v.mp4"), "--annotations", str(tmp_path / "a.csv"), "--homography", f"hd={bad}"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --homography: {bad}: expected a JSON file holding a 3x3 matrix (") and "\n" not in err
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("timing, named", [(["--rgb-fps", "25"], "--rgb-fps"),
                                           (["--rgb-start-us", "5000", "--rgb-fps", "25"], "--rgb-fps, --rgb-start-us")])
def test_frame_timing_options_beside_a_timestamp_file_are_refused(tmp_path, capsys, timing, named):
    """--rgb-fps and --rgb-start-us were ignored without a word when --rgb-timestamps gave the times."""
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.raw'}", "--rgb",
            str(tmp_path / "v.mp4"), "--annotations", str(tmp_path / "a.csv"), "--rgb-timestamps", str(tmp_path / "t.csv")]
    assert cli.main(args + timing) == 2
    assert capsys.readouterr().err.strip() == (f"error: {named}: the frame times come from --rgb-timestamps "
                                               f"{tmp_path / 't.csv'}; give one or the other")
    assert not (tmp_path / "ds").exists()


def test_a_file_name_with_control_characters_prints_escaped_on_one_line(tmp_path, capsys):
    """A line break in a file name split the error naming it over two lines; an escape (ESC [2J)
    cleared the terminal. Both print as Python writes them in a string; other names as they are."""
    bad = tmp_path / "a\nb\x1b[2J.raw"
    bad.write_bytes(b"junk")
    assert cli.main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path}/a\\nb\\x1b[2J.raw: the .raw header names no EVT version (expected '% evt 3.0' or " \
                  "'% format EVT3;...')\n"
    plain = tmp_path / "take 1 café.raw"
    assert cli.main(["info", str(plain)]) == 2
    assert capsys.readouterr().err == f"error: {plain}: no such file\n"


def test_a_warning_naming_a_file_with_control_characters_is_one_line(tmp_path, capsys):
    import warnings

    from evface.commands import terminal
    from evface.errors import EvfaceWarning

    with terminal.warnings_shown(terminal.console()):
        warnings.warn(f"{tmp_path}/runs\r\n\x1b[31ma: read by an older evface", EvfaceWarning, stacklevel=1)
    assert capsys.readouterr().err == f"warning: {tmp_path}/runs\\r\\n\\x1b[31ma: read by an older evface\n"


def test_a_file_name_that_is_not_utf8_prints_on_a_strict_terminal(tmp_path):
    """On a terminal whose encoding is strict UTF-8 (en_US.UTF-8; not Python's C-locale mode), a
    name with a byte that is not UTF-8 made every message naming it an internal error, exit 1."""
    from evface.events.core import make_events
    from evface.io.event_writer import write_events_file

    name = tmp_path / os.fsdecode(b"take\xff.h5")
    write_events_file(name, make_events([0, 5], [1, 2], [1, 1], [1, -1], (16, 16)), (16, 16))
    result = subprocess.run([sys.executable, "-m", "evface.cli", "info", str(name)], capture_output=True,
                            timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", "COLUMNS": "200"})
    assert result.returncode == 0 and b"take\\udcff.h5" in result.stdout, result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = _evface("--debug", "info", str(tmp_path / "nope.raw"))
    assert result.returncode != 0 and "Traceback" in result.stderr and "FormatError" in result.stderr


def test_an_os_error_names_its_file(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.h5"))

    monkeypatch.setattr("evface.io.file_info.file_info", refuse)
    assert cli.main(["info", str(tmp_path / "x.raw")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'out.h5'}: Permission denied"


def test_a_bug_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("evface.io.file_info.file_info", broken)
    assert cli.main(["info", str(tmp_path / "x.raw")]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "--debug" in err and "Traceback" not in err


def test_ctrl_c_says_interrupted_and_exits_130(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("evface.io.file_info.file_info", interrupted)
    assert cli.main(["info", str(tmp_path / "x.raw")]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    assert cli.main(["info", "--help"]) == 0 and "interrupted" not in capsys.readouterr().err


@pytest.mark.parametrize("number, code, says", [
    (signal.SIGTERM, 143, r"interrupted"),
    (signal.SIGXCPU, 152, r"interrupted: the CPU-time limit \(ulimit -t\) was reached after \d+ s of CPU time; "
                          r"raise it and run the command again"),
])
def test_sigterm_and_sigxcpu_are_interruptions_with_their_clean_up(tmp_path, monkeypatch, capsys, number, code, says):
    """SIGTERM (timeout, docker stop, a batch scheduler) and SIGXCPU (the soft CPU-time limit,
    ``ulimit -St``) took the default action: half-written .tmp files of convert and simulate were
    left behind, with no word (SIGXCPU dumped core)."""
    from evface.io.event_reader import EventsFileReader

    source = tmp_path / "in.csv"
    source.write_text("t,x,y,p\n" + "".join(f"{t},1,1,1\n" for t in range(100)))
    chunks = EventsFileReader.__iter__

    def chunks_then_signal(self):
        yield from chunks(self)
        os.kill(os.getpid(), number)
        time.sleep(5)  # the handler raises here, before the file is finished

    monkeypatch.setattr(EventsFileReader, "__iter__", chunks_then_signal)
    before = signal.getsignal(number)
    assert cli.main(["convert", str(source), str(tmp_path / "out.raw"), "--sensor-size", "4x4"]) == code
    assert re.fullmatch(says, capsys.readouterr().err.strip())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no out.raw, no .tmp
    assert signal.getsignal(number) is before


def test_a_second_sigterm_does_not_cut_the_clean_up_short():
    """A process-group SIGTERM (Slurm, systemd) reaches this process again while the first one's
    clean-up runs (a pool's workers ending); it raised KeyboardInterrupt inside that clean-up."""
    terminated, cleaned = {"by": False}, []
    with pytest.raises(KeyboardInterrupt):
        with cli._sigterm_as_ctrl_c(terminated):
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises here
            finally:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.1)  # where the handler would raise again
                cleaned.append("done")
    assert cleaned == ["done"] and terminated["by"]


@pytest.mark.parametrize("args, says", [
    (("run", "--out", "{file}"), "{file}: is a file, not a folder; give --out a folder"),
    (("run", "--out", "{file}/run"), "{file}: is a file, not a folder; give --out a folder"),
    (("train", "classify", "--data", "{dir}", "--out", "{file}"), "{file}: is a file, not a folder; give --out a folder"),
    (("train", "reconstruct", "--data", "{dir}", "--out", "{file}"), "{file}: is a file, not a folder; give --out a folder"),
    (("eval", "{dir}", "--data", "{dir}", "--out", "{file}"), "{file}: is a file, not a folder; give --out a folder"),
    (("report", "{dir}", "--out", "{dir}"), "{dir}: is a folder; give --out a file name"),
    (("compare", "{dir}", "{dir}", "--out", "{dir}"), "{dir}: is a folder; give --out a file name"),
    (("simulate", "{file}", "--out", "{dir}"), "{dir}: is a folder; give --out a file name"),
    (("simulate", "{file}", "--out", "{dir}/e.raw", "--rgb-out", "{file}/v.avi"),
     "{file}: is a file, so {file}/v.avi cannot be made; give --rgb-out a path in a folder"),
    (("export-nir", "{dir}", "{dir}"), "{dir}: is a folder; give OUT a file name"),
    (("faces", "{dir}"), "{dir}: is a folder; give OUT a file name"),
    (("report", "{dir}", "--out", "{file}"),
     "{file}: exists and is not a .html or .htm file, which this command would write over; give --out another name"),
    (("compare", "{dir}", "{dir}", "--out", "{file}"),
     "{file}: exists and is not a .json file, which this command would write over; give --out another name"),
    (("export-nir", "{dir}", "{file}"),
     "{file}: exists and is not a .nir file, which this command would write over; give OUT another name"),
    (("faces", "{file}"), "{file}: exists and is not a .png file, which this command would write over; give OUT another name"),
    (("convert", "{file}", "{dir}"), "{dir}: is a folder; give OUT a file name"),
    (("convert", "{file}", "{file}/e.h5"), "{file}: is a file, so {file}/e.h5 cannot be made; give OUT a path in a folder"),
    # a name ending in / names a folder: convert said "new: unknown extension '(none)'", and wrote x.raw for x.raw/
    (("convert", "{file}", "{dir}/new/"), "{dir}/new/: names a folder; give OUT a file name (the folder and a name in it)"),
    (("convert", "{file}", "{dir}/x.raw/"), "{dir}/x.raw/: names a folder; give OUT a file name (the folder and a name in it)"),
    (("convert", "{file}", "{dir}/x.raw/."), "{dir}/x.raw/.: names a folder; give OUT a file name (the folder and a name "
                                              "in it)"),
    (("simulate", "{file}", "--out", "{dir}/new/"), "{dir}/new/: names a folder; give --out a file name (the folder and "
                                                    "a name in it)"),
    (("simulate", "{file}", "--out", "{dir}/e.raw", "--rgb-out", "{dir}/v.avi/"),
     "{dir}/v.avi/: names a folder; give --rgb-out a file name (the folder and a name in it)"),
    (("report", "{dir}", "--out", "{dir}/r/"), "{dir}/r/: names a folder; give --out a file name (the folder and a name "
                                               "in it)"),
    (("compare", "{dir}", "{dir}", "--out", "{dir}/c/"), "{dir}/c/: names a folder; give --out a file name (the folder "
                                                         "and a name in it)"),
    (("export-nir", "{dir}", "{dir}/m/"), "{dir}/m/: names a folder; give OUT a file name (the folder and a name in it)"),
    (("faces", "{dir}/f/"), "{dir}/f/: names a folder; give OUT a file name (the folder and a name in it)"),
    (("synth", "{file}/data"), "{file}: is a file, not a folder; give OUT a folder"),
    (("synth-merge", "{file}/data", "{dir}"), "{file}: is a file, not a folder; give OUT a folder"),
    (("merge", "{file}/data", "{dir}", "{dir}"), "{file}: is a file, not a folder; give OUT a folder"),
    (("import", "corpus", "{dir}", "{file}", "{file}/data"), "{file}: is a file, not a folder; give OUT a folder"),
    (("import", "session", "{file}/data", "--events", "hd={file}", "--rgb", "{file}", "--annotations", "{file}"),
     "{file}: is a file, not a folder; give OUT a folder"),
])
def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, args, says):
    (tmp_path / "notes.txt").write_text("keep me")
    names = {"file": str(tmp_path / "notes.txt"), "dir": str(tmp_path)}
    assert cli.main([a.format(**names) for a in args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says.format(**names)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("args, option", [
    (("convert", "{file}", "{locked}/e.raw"), "OUT"), (("convert", "{file}", "{locked}/new/e.raw"), "OUT"),
    (("simulate", "{file}", "--out", "{locked}/e.raw"), "--out"),
    (("simulate", "{file}", "--out", "{dir}/e.raw", "--rgb-out", "{locked}/v.avi"), "--rgb-out"),
    (("export-nir", "{dir}", "{locked}/m.nir"), "OUT"), (("faces", "{locked}/f.png"), "OUT"),
    (("report", "{dir}", "--out", "{locked}/r.html"), "--out"), (("synth", "{locked}/data"), "OUT"),
    (("train", "classify", "--data", "{dir}", "--out", "{locked}/run"), "--out"),
])
def test_an_output_in_a_folder_this_user_cannot_write_in_is_refused_before_any_work(tmp_path, capsys, monkeypatch,
                                                                                  args, option):
    """`simulate V --rgb-out ro/v.avi` simulated the events, then stopped with "ro/v.pending.HOST-PID-RANDOM.tmp.avi:
    Permission denied", a name the user never gave; `faces ro/f.png` likewise after rendering."""
    (tmp_path / "notes.txt").write_text("keep me")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    access = os.access  # as the system answers a user without root's right to write anywhere
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: access(path, mode, **kw) and Path(path) != locked)
    names = {"file": str(tmp_path / "notes.txt"), "dir": str(tmp_path), "locked": str(locked)}
    assert cli.main([a.format(**names) for a in args]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {locked}: is a folder this user cannot write in; give {option} "
                                               "a path where you can write")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["locked", "notes.txt"]


INSIDE = ("inside the dataset folder {data} (it holds dataset.json), where what this command writes would lie among the "
          "dataset's files; give --out a folder outside it")


@pytest.mark.parametrize("args, says", [
    (("train", "classify", "--data", "{data}", "--out", "{data}/clips/run"), "{data}/clips/run: " + INSIDE),
    (("train", "reconstruct", "--data", "{data}", "--out", "{data}/run"), "{data}/run: " + INSIDE),
    (("eval", "{run}", "--data", "{data}", "--out", "{data}/clips/evaluation"), "{data}/clips/evaluation: " + INSIDE),
    (("run", "--data", "{data}", "--out", "{data}/runs/quick"), "{data}/runs/quick: " + INSIDE),
    (("train", "classify", "--data", "{data}", "--out", "{data}"), "{data}: is a dataset folder (it holds dataset.json), "
     "where what this command writes would lie among the dataset's files; give --out a folder outside it"),
    (("report", "{data}", "--out", "{data}/report.html"), "{data}/report.html: " + INSIDE.replace("a folder", "a file")),
    (("compare", "{run}", "{data}", "--out", "{data}/clips/c.json"),
     "{data}/clips/c.json: " + INSIDE.replace("a folder", "a file")),
    (("export-nir", "{run}", "{data}/clips/net.nir"),
     "{data}/clips/net.nir: " + INSIDE.replace("a folder", "a file").replace("--out", "OUT")),
    (("synth", "{data}/clips/more", "--preset", "tiny"), "{data}/clips/more: " + INSIDE.replace("--out", "OUT")),
    (("synth-merge", "{data}/merged", "{run}"), "{data}/merged: " + INSIDE.replace("--out", "OUT")),
])
def test_a_run_or_evaluation_inside_a_dataset_folder_is_refused(tmp_path, capsys, args, says):
    """It was written there, among the dataset's clips; so were a report, a comparison and another dataset."""
    data = tmp_path / "data"
    (data / "clips").mkdir(parents=True)
    (data / "dataset.json").write_text("{}")
    names = {"data": str(data), "run": str(tmp_path / "run")}
    assert cli.main([a.format(**names) for a in args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says.format(**names)}"
    assert sorted(p.name for p in data.rglob("*")) == ["clips", "dataset.json"]


@pytest.mark.parametrize("args", [("train", "classify", "--data", "{data}", "--out", "{out}"),
                                  ("train", "reconstruct", "--data", "{data}", "--out", "{out}"),
                                  ("run", "--data", "{data}", "--out", "{out}")])
def test_a_run_inside_another_runs_folder_is_refused(tmp_path, capsys, args):
    """`--out run1/models/split-s2` trained a run among run1's models; run1 resumed with --seeds 3 then
    took that run's held-out predictions for its own third seed's, without a word."""
    run = tmp_path / "run1"
    (run / "models").mkdir(parents=True)
    (run / "config.json").write_text('{"task": "classify", "seeds": 2}')
    out = run / "models" / "split-s2"
    assert cli.main([a.format(data=tmp_path / "data", out=out) for a in args]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: inside the run folder {run} (it holds config.json), "
                                               "where this run would lie among that run's models; give --out a "
                                               "folder outside it")
    assert sorted(p.name for p in run.rglob("*")) == ["config.json", "models"]


@pytest.mark.parametrize("args", [("report", "{dir}", "--out", "{fifo}"), ("compare", "{dir}", "{dir}", "--out", "{fifo}"),
                                  ("export-nir", "{dir}", "{fifo}"), ("faces", "{fifo}"), ("convert", "{dir}", "{fifo}"),
                                  ("simulate", "{dir}", "--out", "{fifo}")])
def test_an_output_that_is_a_device_or_pipe_is_refused(tmp_path, capsys, args):
    """Outputs are written by rename: `export-nir RUN /dev/null` replaced /dev/null with a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert cli.main([a.format(dir=tmp_path, fifo=fifo) for a in args]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {fifo}: is a device, pipe or socket")
    assert fifo.is_fifo()


@pytest.mark.parametrize("args", [("info", "{source}"), ("convert", "{source}", "{dir}/out.h5")])
@pytest.mark.parametrize("source", ["fifo", "/dev/null"])
def test_an_input_that_is_a_device_or_pipe_is_named_so(tmp_path, capsys, args, source):
    """Was "empty file (0 bytes)" for a pipe (`info <(cat rec.raw)`, a FIFO) or /dev/null, neither a file."""
    if source == "fifo":
        source = tmp_path / "rec.raw"
        os.mkfifo(source)
    assert cli.main([a.format(source=source, dir=tmp_path) for a in args]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {source}: is a device, pipe or socket, not a file: evface reads "
                                               "events and clip files from disk, and needs their size (save the stream "
                                               "to a file first)")
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.parametrize("args, said", [
    (("compare", "{dir}/a", "{dir}/b", "--out", "{dir}/cmp"), "--out: {dir}/cmp would hold a comparison (JSON); give it a .json name"),
    (("compare", "{dir}/a", "{dir}/b", "--out", "{dir}/cmp.txt"),
     "--out: {dir}/cmp.txt would hold a comparison (JSON); give it a .json name"),
    (("report", "{dir}/a", "--out", "{dir}/r"), "--out: {dir}/r would hold an HTML page; give it a .html or .htm name"),
    (("report", "{dir}/a", "--out", "{dir}/r.json"), "--out: {dir}/r.json would hold an HTML page; give it a .html or .htm name"),
])
def test_a_file_output_is_written_only_under_a_name_of_its_kind(tmp_path, capsys, args, said):
    """``compare --out cmp`` and ``report --out r`` are refused before any work, as ``faces`` asks for
    .png and ``export-nir`` for .nir (was: the JSON or HTML written into a file of that name)."""
    assert cli.main([a.format(dir=tmp_path) for a in args]) == 2
    assert capsys.readouterr().err.strip() == "error: " + said.format(dir=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name, content", [("config.json", '{"task": "classify"}'), ("dataset.json", '{"classes": {}}'),
                                           ("notes.json", "not json")])
def test_compare_out_refuses_a_json_file_that_is_not_an_earlier_comparison(tmp_path, capsys, name, content):
    """``--out RUN/config.json`` (any .json other than a comparison) is refused before any work, untouched."""
    (tmp_path / name).write_text(content)
    assert cli.main(["compare", str(tmp_path), str(tmp_path), "--out", str(tmp_path / name)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / name}: exists and is not a comparison evface wrote, "
                                               "which this command would write over; give --out another name")
    assert (tmp_path / name).read_text() == content


def test_help_paragraphs_flow_to_the_terminal_width():
    """A 300-column terminal shows each paragraph of convert's help on one line (the source wraps it at 90)."""
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    out = subprocess.run([sys.executable, "-m", "evface.cli", "convert", "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout
    prose = out.split("Usage:")[1].split("╭")[0]
    lines = [line.strip() for line in prose.splitlines()[1:] if line.strip()]
    assert lines[0].startswith("Convert between any two supported formats") and lines[0].endswith("memory work).")
    assert lines[1].startswith("OUT is never the input file") and lines[1].endswith("only with --force.")
    assert lines[2].startswith("With --sort") and lines[2].endswith("keep their order).")
    assert len(lines) == 3


def test_run_stages_names_the_stages_there_are(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--preset", "tiny", "--out", str(out), "--stages", "recon-extrapolation-hd,nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --stages nope: not a stage of this run (--preset tiny); choose from events-hd,")
    assert not out.exists()


def _commands(group, prefix=()):
    """Each command of ``group`` (a click group), as the words that name it."""
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_every_command_shows_its_help_with_dash_h_and_dash_dash_help(capsys):
    """Only simulate, synth and synth-merge took -h (`evface info -h`: "No such option: -h", exit 2)."""
    import typer.main

    commands = [(), *_commands(typer.main.get_command(cli.app))]
    assert ("train", "classify") in commands and ("import", "session") in commands
    for words in commands:
        for flag in ("-h", "--help"):
            assert cli.main([*words, flag]) == 0, (words, flag, capsys.readouterr().err)
            assert "Usage:" in capsys.readouterr().out


def _usage_mistakes(words: tuple[str, ...], command) -> list[tuple[list[str], list[str]]]:
    """The usage mistakes one command can be given, each as its command line and what its error must
    name: an unknown option; each number option given a word (the option and the word); the last
    option that takes a value given none; and, where the command needs an argument or option, none."""
    mistakes = [([*words, "--no-such-option"], ["No such option: --no-such-option"])]
    options = [p for p in command.params if p.param_type_name == "option" and not p.is_flag]
    for option in options:
        if option.bare_type() in ("int", "float"):  # typer names the type
            mistakes.append(([*words, option.opts[0], "ten"], [option.opts[0], "got 'ten'"]))
    if options:
        mistakes.append(([*words, options[-1].opts[0]], [options[-1].opts[0], "requires an argument"]))
    if any(p.required for p in command.params):
        mistakes.append(([*words], ["Missing"]))
    return mistakes


def test_every_usage_error_is_one_line_naming_the_option_and_the_value(capsys):
    """A usage error of any command (an unknown option, a number option given a word, a value left
    out, an argument missing) is one ``error:`` line naming the option and the value, where to find
    the command's options, exit 2, nothing on standard output (was: typer's usage line, a hint line
    and a box of three or more lines, a long message wrapped inside it; a value typer could not read
    was not named: "Invalid value for '--epochs': Input should be a valid integer")."""
    import typer.main

    root = typer.main.get_command(cli.app)
    groups = [()] + [words for words in _commands(root) if hasattr(_command_at(root, words), "commands")]
    checked = 0
    for words in _commands(root):
        command = _command_at(root, words)
        mistakes = [] if hasattr(command, "commands") else _usage_mistakes(words, command)
        for argv, named in mistakes:
            code = cli.main(argv)
            out, err = capsys.readouterr()
            assert code == 2 and out == "", (argv, code, out)
            assert err.startswith("error: ") and err.count("\n") == 1, (argv, err)
            assert all(text in err for text in named), (argv, err)
            assert f"; try 'evface {' '.join(words)} -h'" in err, (argv, err)  # an option given no value too
            checked += 1
    for words in groups:
        assert cli.main([*words, "nope"]) == 2
        out, err = capsys.readouterr()
        assert err == f"error: No such command 'nope'; try '{' '.join(('evface', *words))} -h'\n" and out == ""
    assert checked > 100


def _command_at(root, words: tuple[str, ...]):
    """The click command that ``words`` name under ``root``."""
    for word in words:
        root = root.commands[word]
    return root


@pytest.mark.parametrize("words", [("export-nir",), ("faces",), ("convert",)])
def test_a_file_argument_is_named_out_in_help_as_its_errors_name_it(capsys, words):
    """``export-nir --help`` and ``faces --help`` named the file argument ``out``, while their errors say
    "give OUT a file name" and ``convert --help`` says ``OUT``."""
    assert cli.main([*words, "--help"]) == 0
    usage = capsys.readouterr().out
    assert "{OUT}" in usage and "{out}" not in usage


def _small_file(path: Path) -> Path:
    """A small events file at ``path``, written by evface (in this process's UTF-8 names)."""
    from evface.events.core import make_events
    from evface.io.event_writer import write_events_file

    return write_events_file(path, make_events([0, 5, 9], [1, 2, 3], [1, 1, 2], [1, -1, 1], (16, 16)), (16, 16))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("args", [("--version",), ("info", "{file}"), ("info", "--json", "{file}")])
def test_a_full_standard_output_is_named(tmp_path, args, unbuffered):
    """`evface info F > /dev/full` said "error: [Errno 28] No space left on device", naming no
    file; with Python's buffered standard output (no PYTHONUNBUFFERED) the write failed at exit:
    "Exception ignored in: <_io.TextIOWrapper name='<stdout>'...>", exit 120."""
    file = _small_file(tmp_path / "a.raw")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w", encoding="utf-8") as full:
        result = subprocess.run([sys.executable, "-m", "evface.cli", *(a.format(file=file) for a in args)],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                                env={**env, "COLUMNS": "200", **({"PYTHONUNBUFFERED": "1"} if unbuffered else {})})
    assert (result.returncode, result.stderr) == (2, "error: standard output: No space left on device\n")


def test_a_closed_standard_output_is_an_error_where_something_is_written_there(tmp_path, capsys, monkeypatch):
    """`evface info F >&-` (Python then has no sys.stdout) printed nothing and exited 0; a command
    that writes nothing there (convert's line is on standard error) still succeeds."""
    file = _small_file(tmp_path / "a.raw")
    monkeypatch.setattr(sys, "stdout", None)
    assert cli.main(["info", str(file)]) == 2
    assert capsys.readouterr().err == "error: standard output: Bad file descriptor\n"
    assert cli.main(["convert", str(file), str(tmp_path / "b.h5")]) == 0
    assert (tmp_path / "b.h5").is_file() and sys.stdout is None


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_that_stops_reading_ends_the_command_without_a_word(tmp_path, unbuffered):
    """`evface info --json F | head -0` with Python's buffered standard output printed "Exception
    ignored ... BrokenPipeError: [Errno 32] Broken pipe" and exited 120; it is exit 1, no output,
    as click ends a broken pipe."""
    file = _small_file(tmp_path / "a.raw")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    for args in (["info", "--json", str(file)], ["info", str(file)]):
        child = subprocess.Popen([sys.executable, "-m", "evface.cli", *args], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env={**env, **({"PYTHONUNBUFFERED": "1"} if unbuffered else {})})
        child.stdout.close()  # before the child, still starting Python, writes a byte
        assert (child.wait(timeout=120), child.stderr.read()) == (1, b"")
        child.stderr.close()


def test_result_lines_print_control_characters_escaped(tmp_path, capsys):
    """The error and warning lines escaped a file name's line break or terminal escape, the
    result lines did not: info's first line and convert's "wrote ... to NAME" were split or
    drove the terminal."""
    from evface.commands import terminal

    file = _small_file(tmp_path / "a\nb\x1b[2J.raw")
    assert cli.main(["info", str(file)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{tmp_path}/a\\nb\\x1b[2J.raw"
    out = tmp_path / "c\r.h5"
    assert cli.main(["convert", str(file), str(out)]) == 0
    assert capsys.readouterr().err == f"wrote 3 events to {tmp_path}/c\\r.h5 (clip)\n"
    bar = terminal.progress()
    task = bar.add_task("a\nb.raw -> c\x1b.h5")
    assert bar.tasks[0].description == "a\\nb.raw -> c\\x1b.h5"
    bar.update(task, description="d\re")
    assert bar.tasks[0].description == "d\\re"


def _c_locale(*args: str, cwd: Path, program: tuple[str, ...] = ("-m", "evface.cli")) -> subprocess.CompletedProcess:
    """``evface ARGS`` (or ``python PROGRAM ARGS``) in the C locale as Python keeps it (no UTF-8
    mode, no coercion): names and standard output ASCII, other bytes kept as surrogates."""
    return subprocess.run([sys.executable, *program, *args], capture_output=True, cwd=cwd, timeout=120,
                          env={**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0",
                               "COLUMNS": "200", "PYTHONPATH": str(Path(cli.__file__).parents[1])})


EACH_COMMAND = """
import sys
from evface import cli
codes, args = [], []
for word in [*sys.argv[1:], ";"]:
    if word != ";":
        args.append(word)
        continue
    codes.append((args, cli.main(args)))
    args = []
sys.exit(f"exit codes {codes}" if any(code for _, code in codes) else 0)
"""
"""``python -c EACH_COMMAND ARGS; ARGS; ...``: each ``evface ARGS`` in one process (its names read
from its command line, as ``evface`` reads them), exit 1 naming their exit codes where one is not 0."""


def test_info_prints_in_the_c_locale(tmp_path):
    """Standard output in the C locale is ASCII with surrogateescape, which raised on the 'µs' of
    info's table: "internal error: UnicodeEncodeError ...", exit 1."""
    _small_file(tmp_path / "a.raw")
    result = _c_locale("info", "a.raw", cwd=tmp_path)
    assert result.returncode == 0 and b"\\xb5s" in result.stdout, result.stderr


def test_a_utf8_name_is_read_and_written_by_faery_in_the_c_locale(tmp_path):
    """There Python decodes the name café.es as ASCII, keeping é's bytes as surrogates, and faery
    was refused it as "the file name is not UTF-8 text"; faery is given the name's real bytes."""
    from evface.io.event_reader import read_events_file

    _small_file(tmp_path / "café.es")
    outs = ("café.raw", "café.aedat4", "café.dat")
    commands = [word for out in outs for word in ("convert", "café.es", out, *(["--version", "evt2"] if out.endswith(
        "raw") else []), ";", "info", out, ";")][:-1]  # in one process: each took a second to start
    result = _c_locale(*commands, cwd=tmp_path, program=("-c", EACH_COMMAND))
    assert result.returncode == 0, result.stderr
    for out in outs:
        assert read_events_file(tmp_path / out)[0]["t"].tolist() == [0, 5, 9]


@pytest.mark.parametrize("words", [("export-nir",), ("faces",), ("convert",)])
def test_a_file_argument_shows_the_type_path_as_the_options_do(capsys, words):
    """The OUT of ``convert``, ``export-nir`` and ``faces`` showed ``<Path>`` in ``--help`` where every
    option and the other arguments show ``<path>`` (typer shows an argument given a ``parser`` by its
    annotation's class name, whatever its metavar)."""
    assert cli.main([*words, "--help"]) == 0
    usage = capsys.readouterr().out
    row = next(line for line in usage.splitlines() if line.split()[2:3] == ["OUT"])  # its row in Arguments
    assert row.split()[2:4] == ["OUT", "<path>"] and "<Path>" not in usage, usage


@pytest.mark.parametrize("value", ["0", "-1", "abc", "2.5", "\u00b2"])  # \u00b2: ValueError, exit 1
def test_a_thread_setting_numba_cannot_use_is_one_line(monkeypatch, capsys, value):
    """numba reads NUMBA_NUM_THREADS when first imported: 0 raised ValueError there (internal error, exit 1) and
    text was warned of and ignored; evface names the variable before any command runs."""
    monkeypatch.setenv("NUMBA_NUM_THREADS", value)
    assert cli.main(["info", "--help"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: NUMBA_NUM_THREADS='{value}': not a number of threads; give 1 "
                                               "to 4096, or unset it")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    assert cli.main(["info", "--help"]) == 0


SIGTERM_IN_HDF5 = """
import os, signal, sys
from pathlib import Path
import numpy as np
from evface import cli
import evface.io.clip_writer as cw
from evface.events.core import make_events
from evface.io.clip_schema import Clip, SensorInfo

i = np.arange(2000)
ev = make_events(i * 10, i % 4, i % 4, np.where(i % 2, 1, -1))
clip = Clip("c0", "s0", "AU12", [12], "bright", 0, 5, 10, 20, events={"lr": ev}, sensors={"lr": SensorInfo("lr", 4, 4)})
seek, calls = cw.GuardedFile.seek, {"n": 0, "at": 0}

def seek_then_sigterm(self, *args):
    calls["n"] += 1
    if calls["n"] == calls["at"]:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs in this call from HDF5
    return seek(self, *args)

def whole(path):
    cw.write_clip(path, clip)

def streamed(path):
    writer = cw.ClipEventsWriter(path, "lr", (4, 4), clip_id="c0")
    try:
        writer.write(ev[:1000])
        writer.write(ev[1000:])
        writer.close()
    except BaseException:
        writer.abort()
        raise

cw.GuardedFile.seek = seek_then_sigterm
out = Path(sys.argv[1])
for write in (whole, streamed):
    write(out / "all_seeks.h5")
    for at in range(1, calls["n"] + 1):
        calls.update(n=0, at=at)
        path = out / f"{write.__name__}{at}.h5"
        try:
            with cli._sigterm_as_ctrl_c({"by": False}):
                write(path)
            print(write.__name__, "finished", path.exists(), flush=True)
        except KeyboardInterrupt:
            print(write.__name__, "interrupted", path.exists(), flush=True)
    calls.update(n=0, at=0)
"""


def test_a_sigterm_while_hdf5_writes_a_clip_interrupts_it_after_the_write(tmp_path):
    """HDF5 writes a clip through GuardedFile's Python methods, some called from h5py's clean-up of
    a dataset, where the KeyboardInterrupt of a SIGTERM cannot propagate: a SIGTERM landing there
    printed "Exception ignored in: 'h5py._objects.ObjectID.__dealloc__'", let write_clip publish
    the clip and go on with the interrupt lost, or crashed the process (segfault in HDF5). Now a
    SIGTERM at any of the writer's calls ends the write with KeyboardInterrupt, no clip left."""
    result = subprocess.run([sys.executable, "-c", SIGTERM_IN_HDF5, str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert len(lines) > 20 and set(lines) == {"whole interrupted False", "streamed interrupted True"}


@pytest.mark.parametrize("args, option", [
    (("bench", "--out", "{out}"), "--out"), (("report", "{dir}", "--out", "{out}"), "--out"),
    (("compare", "{dir}", "{dir}", "--out", "{out}"), "--out"), (("export-nir", "{dir}", "{out}"), "OUT"),
    (("faces", "{out}"), "OUT"), (("convert", "{dir}/e.raw", "{out}"), "OUT"), (("simulate", "{dir}/v.mp4", "--out", "{out}"), "--out"),
    (("simulate", "{dir}/v.mp4", "--out", "{dir}/e.raw", "--rgb-out", "{out}"), "--rgb-out"),
])
@pytest.mark.parametrize("under", ["afile", "afile/deeper", "gone"])
def test_an_output_file_under_a_file_names_the_file_it_cannot_make(tmp_path, capsys, args, option, under):
    """`evface bench --out afile/b.json`, `afile` a file, said "afile: is a file, not a folder; give
    --out a folder", about an option that takes a file (every command whose output is a file: those
    of `paths.output_file`); a link to nothing on the way said "give --out another folder"."""
    (tmp_path / "afile").write_text("keep me")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    suffix = {"bench": ".json", "report": ".html", "compare": ".json", "export-nir": ".nir", "faces": ".png"}
    out = tmp_path / under / f"b{suffix.get(args[0], '.avi' if option == '--rgb-out' else '.h5')}"
    assert cli.main([a.format(dir=tmp_path, out=out) for a in args]) == 2
    top = tmp_path / under.split("/")[0]
    says = (f"is a symbolic link to {tmp_path / 'nowhere'}, which does not exist; give {option} a path in another "
            "folder, or make the one the link names") if under == "gone" else (
           f"is a file, so {out} cannot be made; give {option} a path in a folder")
    assert capsys.readouterr().err.strip() == f"error: {top}: {says}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "gone"]
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize("args, says", [
    (("run", "--preset", "nope"), "error: unknown --preset 'nope'; choose from full, paper, quick, tiny"),
    (("run", "--preset", "tiny", "--noise", "loud"), "error: unknown --noise 'loud'; choose from clean, typical, noisy"),
    (("train", "classify", "--sensor", "evk4"), "Invalid value for '--sensor': must be one of its settings, not 'evk4'; "
                                            "choose from hd, lr"),
    (("train", "classify", "--input", "event"), "Invalid value for '--input': must be one of its settings, not 'event'; "
                                                "choose from events, events-apex, rgb, rgb-diff, rgb-flow"),
    (("train", "reconstruct", "--protocol", "x"), "Invalid value for '--protocol': must be one of its settings, not 'x'; "
                                                  "choose from extrapolation, interpolation, events-only"),
])
def test_an_unknown_choice_lists_the_choices_as_every_option_does(tmp_path, capsys, args, says):
    """`evface run --preset nope` said "choose from ['full', 'paper', 'quick', 'tiny']" and `evface
    train classify --sensor evk4` "must be one of ('hd', 'lr'), not 'evk4'" (Python's list and
    tuple) where `--noise` says "choose from clean, typical, noisy"."""
    data = ["--data", str(tmp_path)] if args[0] == "train" else []
    assert cli.main([*args, *data, "--out", str(tmp_path / "run")]) == 2
    err = " ".join(capsys.readouterr().err.replace("│", " ").split())  # typer's box wraps the line
    assert says in err and "[" not in err.replace("[OPTIONS]", "") and "(" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, says", [
    (("synth", "{out}", "--preset", "nope"), "unknown synth preset 'nope' (--preset); choose from full, paper, quick, tiny"),
    (("synth", "{out}", "--preset", "tiny", "--lighting", "moon,sun"),
     "unknown lighting(s) 'moon', 'sun' (--lighting); choose from bright, dim, flicker, office"),
    (("synth", "{out}", "--preset", "tiny", "--classes", "AU99"),
     "unknown class(es) 'AU99' (--classes); choose from AU1+2, AU4, AU6+12, AU9, AU14, AU15, AU17, neutral"),
    (("synth", "{out}", "--preset", "tiny", "--noise", "loud"),
     "unknown noise level 'loud'; choose from clean, typical, noisy (--noise)"),
    (("synth", "{out}", "--preset", "tiny", "--rgb-hd-cameras", "x"),
     "unknown RGB camera(s) 'x' (--rgb-hd-cameras); choose from highspeed200, webcam30"),
    (("simulate", "{dir}/v.mp4", "--out", "{out}", "--model", "x"), "--model: unknown pixel model 'x'; choose from davis346, evk4, ideal"),
    (("simulate", "{dir}/v.mp4", "--out", "{out}", "--sensor", "x"),
     "--sensor: sensor 'x': expected a name (davis346, evk4), WxH such as 640x480, or NAME:WxH such as evk4:640x360"),
    (("simulate", "{dir}/v.mp4", "--out", "{out}", "--rgb-out", "{dir}/r.mp4", "--metering", "x"),
     "--metering: RgbCameraParams.metering must be one of the metering modes, got 'x'; choose from average, centre"),
])
def test_synth_and_simulate_list_an_options_choices_as_words(tmp_path, capsys, args, says):
    """`evface synth --preset nope` said "choose from ['full', 'paper', 'quick', 'tiny']", `--lighting
    moon` "unknown lighting(s) ['moon']", `simulate --sensor x` "expected a name of ['davis346',
    'evk4']" (Python's lists) where `run --preset` says "choose from full, paper, quick, tiny"."""
    (tmp_path / "v.mp4").write_bytes(b"not read: the options are checked first")
    out = tmp_path / "out"
    assert cli.main([a.format(dir=tmp_path, out=out) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {says}" and "[" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_the_pipelines_preset_and_an_rgb_cameras_bayer_pattern_list_their_choices_as_words(tmp_path):
    """`run_pipeline(out, preset="nope")` said "choose from ['full', 'paper', 'quick', 'tiny']" and
    `RgbCameraParams(cfa="x")` "must be 'none' or one of ['BGGR', ...]"."""
    from evface.errors import ParameterError
    from evface.pipeline.run import run_pipeline
    from evface.sim.rgb import RgbCameraParams

    with pytest.raises(ParameterError, match=r"^unknown --preset 'nope'; choose from full, paper, quick, tiny$"):
        run_pipeline(tmp_path / "run", preset="nope")
    with pytest.raises(ParameterError, match=r"^RgbCameraParams.cfa must be 'none' or a Bayer pattern, got 'x'; "
                                             r"choose from none, BGGR, GBRG, GRBG, RGGB$"):
        RgbCameraParams(cfa="x")
    assert not (tmp_path / "run").exists()


def _library_choices():
    """One unknown choice per library module that listed its choices as a Python list or tuple."""
    from evface.bench import run as run_benchmarks
    from evface.bench.sim import measure
    from evface.datasets.importers.au_labels import class_set
    from evface.errors import ParameterError
    from evface.datasets.importers.session_options import EventSource, SessionOptions
    from evface.face.aus import parse_au
    from evface.inputs.classify import InputSpec, check_kind
    from evface.inputs.clip_view import check_window
    from evface.inputs.reconstruct import ReconSpec
    from evface.models.net_config import NetConfig
    from evface.rig.geometry import RigParams
    from evface.rig.lighting import get_lighting
    from evface.rig.timeline_draw import TimelineParams
    from evface.sim.dvs_params import DvsParams
    from evface.events.core import empty_events
    from evface.sim.dvs_readout import limit_readout
    from evface.sim.rgb import RgbCameraParams, metering_weights
    from evface.sim.rgb_pipeline import cfa_channels
    from evface.tasks.configs import value_problem
    from evface.tasks.registry import get as get_task

    def problem():  # value_problem returns its words rather than raising them
        raise ParameterError(value_problem({"choices": ("gap", "flatten")}, "mean"))

    return [
        (lambda: get_lighting("moon"), "unknown lighting 'moon'; choose from bright, dim, flicker, office"),
        (lambda: RigParams(hd_preset="x"), "hd_preset='x' is not an event sensor; choose from davis346, evk4"),
        (lambda: parse_au("99"), "aus: unknown action unit '99'; choose from 1, 2, 4, 5, 6, ..."),
        (lambda: parse_au("L4"), "aus: AU4 has no one-sided variant 'L4'; those are AU2, AU10, AU12, AU14, AU15, AU20"),
        (lambda: TimelineParams(unilateral=((4, 0.5),)),
         "unilateral: (4, 0.5) needs one of the AUs with a one-sided variant; choose from 2, 10, 12, 14, 15, 20"),
        (lambda: metering_weights((4, 4), "spot"),
         "metering mode must be one of the metering modes, got 'spot'; choose from average, centre"),
        (lambda: cfa_channels("XYZW", (4, 4)), "unknown Bayer pattern 'XYZW'; choose from none, BGGR, GBRG, GRBG, RGGB"),
        (lambda: limit_readout(empty_events(), 1e3, "keep"), "unknown readout excess behaviour 'keep'; choose from drop, delay"),
        (lambda: DvsParams.preset("evk4", cutof_hz=1.0), "unknown DvsParams field(s) 'cutof_hz'; choose from "
         "bandwidth_ref_lux, cutoff_hz, leak_jitter, leak_rate_hz, lin_log_lux, noise_ref_lux, refractory_us, "
         "shot_noise_max_factor, shot_noise_rate_hz, substep_fraction, threshold_min_log, threshold_off_log, "
         "threshold_off_sigma_log, threshold_on_log, threshold_on_sigma_log"),
        (lambda: RgbCameraParams.preset("webcam30", jpeg_qualty=90),
         "unknown RgbCameraParams field(s) 'jpeg_qualty'; choose from ae_target, antiflicker_hz, ..."),
        (lambda: class_set("big"), "unknown class set 'big'; choose from ..."),
        (lambda: EventSource("hd", "e.raw", sync="gps"),
         "sensor 'hd': sync (--sync) must be one of the sync methods, got 'gps'; choose from auto, trigger, offset, xcorr"),
        (lambda: SessionOptions(registration_check="loose"),
         "registration_check must be one of the registration checks, got 'loose'; choose from strict, warn"),
        (lambda: check_kind("event"), "kind must be one of the input kinds, not 'event'; "
                                      "choose from events, events-apex, rgb, rgb-diff, rgb-flow"),
        (lambda: InputSpec(rgb_camera="x"), "rgb_camera must be one of the RGB camera presets, not 'x'; choose from ..."),
        (lambda: check_window("apex"), "window must be one of the time windows, not 'apex'; choose from clip, expression"),
        (lambda: ReconSpec(protocol="x"), "protocol must be one of the protocols, not 'x'; "
                                          "choose from extrapolation, interpolation, events-only"),
        (lambda: NetConfig(in_channels=2, n_classes=3, time_steps=4, reset="x"), "reset must be one of its settings, not 'x'; choose from subtract, zero"),
        (problem, "must be one of its settings, not 'mean'; choose from gap, flatten"),
        (lambda: run_benchmarks(("io", "gpu")), "unknown benchmark(s) 'gpu'; choose from io, sim, synth, train"),
        (lambda: measure((8, 8), DvsParams.ideal(0.2), steps=1, scene="rain"),
         "unknown benchmark scene 'rain'; choose from blob, flicker"),
        (lambda: get_task("synth"), "unknown task 'synth'; choose from classify, reconstruct"),
    ]


@pytest.mark.parametrize("case", range(len(_library_choices())))
def test_library_messages_list_their_choices_as_words(case):
    """Were Python lists and tuples where options say "choose from a, b": "unknown lighting 'moon';
    choose from ['bright', ...]", "kind must be one of ('events', ...), not 'event'", "unknown
    DvsParams field(s) ['nope']" (with no choices at all), "unknown task 'synth'; known: [...]";
    one per module. "..." stands for a list too long to pin."""
    from evface.errors import ParameterError

    call, says = _library_choices()[case]
    with pytest.raises(ParameterError) as caught:
        call()
    message = str(caught.value)
    assert not any(c in message for c in "[]") and "('" not in message, message
    head, _, _ = says.partition("...")
    assert message == says if head == says else message.startswith(head), message


@pytest.mark.parametrize("error, says", [
    (MemoryError(), "out of memory: "),
    (ImportError("libgomp.so.1: failed to map segment from shared object"), "out of memory: "),
    (OSError(12, "Cannot allocate memory"), "out of memory: "),
    (OSError(24, "Too many open files"), "too many open files: this process may open "),
    (RuntimeError("can't start new thread"), "cannot start another thread or process: "),
])
def test_a_limit_reached_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, error, says):
    """Running out of memory or open files, or starting no thread, under a limit (``ulimit``, a
    scheduler's memory cap) is not a bug: was "internal error: ImportError: ...: failed to map segment
    from shared object (rerun with evface --debug ...)", exit 1, and "error: [Errno 24] Too many open
    files", exit 2, naming no limit. Now one line naming the limit's ``ulimit`` and to raise it, exit 2."""
    def reach(*args, **kwargs):
        raise error

    monkeypatch.setattr("evface.io.file_info.file_info", reach)
    assert cli.main(["info", str(tmp_path / "x.raw")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {says}") and "ulimit -" in err and "raise the limit" in err, err
    assert err.count("\n") == 1 and "internal error" not in err


def test_a_limit_reached_names_the_option_that_asks_for_less(monkeypatch, capsys):
    """Of the command's options, the one that asks for less: ``--jobs`` of ``evface run`` (its pool's
    pipes are open files), none of ``evface info``."""
    def reach(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr("evface.pipeline.run.run_pipeline", reach)
    assert cli.main(["run", "--preset", "tiny", "--out", "out", "--jobs", "2"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("raise the limit, or give a smaller --jobs")


def test_an_array_beyond_the_machine_stays_a_bug(tmp_path, monkeypatch, capsys):
    """NumPy's "Unable to allocate 16.0 TiB" is a value evface should have refused, not a limit
    reached: still the internal error that the fuzz tests find, not "out of memory ... raise the limit"."""
    import numpy as np

    def huge(*args, **kwargs):
        return np.empty(2**44, np.uint8)

    monkeypatch.setattr("evface.io.file_info.file_info", huge)
    assert cli.main(["info", str(tmp_path / "x.raw")]) == 1
    assert "internal error: " in capsys.readouterr().err


CPU_LIMIT_AT_EXIT = """
import atexit, resource, sys
from evface import cli


def over_the_limit():  # as an interpreter's shutdown spends CPU (torch's, numba's teardown) past the soft limit
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    used = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    limit = int(used()) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))
    while used() < limit + 2:  # SIGXCPU comes as the soft limit is passed, and again every second after it
        pass


atexit.register(over_the_limit)
sys.argv = ["evface", *sys.argv[1:]]
sys.exit(cli.main())  # as the evface script calls it
"""
"""``python -c CPU_LIMIT_AT_EXIT ARGS``: ``evface ARGS``, then 3 s of CPU time spent at the interpreter's
shutdown under a soft CPU-time limit passed after the first of them."""


def test_a_cpu_time_limit_reached_after_the_command_ended_keeps_its_exit_status(tmp_path):
    """SIGXCPU arriving after the command's work was done (at the interpreter's shutdown, the
    handlers given back) took the signal's default action: exit -24 and a core dump, though the
    output was whole (seen in the suite: synth's "dataset ready", then the default action)."""
    _small_file(tmp_path / "a.raw")
    done = subprocess.run([sys.executable, "-c", CPU_LIMIT_AT_EXIT, "info", "a.raw"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[1])})
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "a.raw" in done.stdout and done.stderr == ""
