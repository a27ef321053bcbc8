"""Outputs whose names come near the 255 bytes a file name holds: the names evface writes them under
first (``NAME.HOST-PID-RANDOM.tmp``, ``OUT.partial``) shorten ``NAME`` to fit
(``evface.io.temporary_files.fitting_base``). Was: an output name of 194 to 255 bytes refused, "File
name too long", though the file system takes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.events.core import make_events
from evface.io.dataset import DatasetFolder
from evface.io.event_reader import read_events_file
from evface.io.event_writer import write_events_file
from evface.io.temporary_files import NAME_MAX, temporaries_of, temporary_beside
from evface.sim.video_write import write_video


def _named(tmp_path: Path, stem: str, suffix: str, size: int) -> Path:
    """A path in ``tmp_path`` whose name is ``stem`` repeated to ``size`` bytes with ``suffix``."""
    count = (size - len(suffix.encode())) // len(stem.encode())
    path = tmp_path / (stem * count + suffix)
    assert len(path.name.encode()) == size
    return path


def _dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


@pytest.mark.parametrize(("stem", "suffix", "size"), [("a", ".h5", 250), ("a", ".raw", 255), ("é", ".csv", 254)])
def test_an_output_name_up_to_255_bytes_converts_and_leaves_no_temporary_file(tmp_path, capsys, stem, suffix, size):
    """Was: `evface convert in.raw /tmp/aaa….h5` (248 bytes) → "error: /tmp/aaa….h5: cannot write (File
    name too long); nothing was written", exit 2, from its temporary NAME.HOST-PID-RANDOM.tmp."""
    events = make_events([0, 10, 20], [1, 2, 3], [1, 1, 1], [1, 0, 1])
    source = write_events_file(tmp_path / "in.csv", events, (8, 8))
    out = _named(tmp_path / "out", stem, suffix, size)
    out.parent.mkdir()
    assert main(["convert", str(source), str(out)]) == 0, capsys.readouterr().err
    assert os.listdir(out.parent) == [out.name]
    assert read_events_file(out)[0].tolist() == events.tolist()


@pytest.mark.parametrize("keep_suffix", [False, True])
def test_a_killed_writers_temporary_of_a_long_name_is_found_and_cleared_by_the_next(tmp_path, keep_suffix):
    """The shortened base is the same for one name each time, so `temporaries_of` finds the leftover of
    a killed writer of that output and the next `temporary_beside` removes it."""
    path = _named(tmp_path, "a", ".avi", NAME_MAX)
    mine = temporary_beside(path, keep_suffix)
    left = mine.rename(mine.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")))
    assert temporaries_of(path, keep_suffix) == [left]
    made = temporary_beside(path, keep_suffix)
    assert temporaries_of(path, keep_suffix) == [made] and not left.exists()
    assert len(made.name.encode()) <= NAME_MAX and made.name.endswith(".tmp.avi" if keep_suffix else ".tmp")


def test_two_long_names_sharing_their_first_200_bytes_get_different_temporary_bases(tmp_path):
    first, second = tmp_path / ("a" * 200 + "x" * 50), tmp_path / ("a" * 200 + "y" * 50)
    one, other = temporary_beside(first), temporary_beside(second)
    base = one.name.split(".")[0]
    assert base.startswith("a" * 150) and "~" in base and base != other.name.split(".")[0]
    assert temporaries_of(first) == [one] and temporaries_of(second) == [other]


@pytest.mark.parametrize("name", ["é" * 126 + ".h5", "a" + "é" * 125 + ".h5", "a" + "日本" * 41 + ".h5"])
def test_a_multi_byte_name_is_shortened_between_characters(tmp_path, name):
    made = temporary_beside(tmp_path / name)
    made.name.encode("utf-8")  # no half character: a lone surrogate would not encode
    base = made.name.split(".")[0]
    assert len(made.name.encode()) <= NAME_MAX and name.startswith(base[:-9]) and len(base[:-9].encode()) >= 180


def test_a_dataset_folder_of_250_bytes_is_built_beside_it_and_renamed(tmp_path):
    """Was: "OUT.partial": File name too long, for an OUT of 248 to 255 bytes (import, merge, toy)."""
    out = toy_dataset(_named(tmp_path, "d", "", 250), subjects=1, classes=("AU4",))
    assert os.listdir(tmp_path) == [out.name] and len(DatasetFolder.open(out).rows) == 1


def test_an_rgb_out_whose_frame_times_name_would_pass_255_bytes_is_refused_before_any_work(tmp_path, capsys):
    """``simulate --rgb-out NAME.avi`` of 245 to 255 bytes: its frame times, ``NAME.frames.csv``, have a
    name a file system refuses. Was: refused after the whole simulation, "File name too long" naming
    the frame-times file; now one line naming ``--rgb-out`` before any work, nothing written."""
    video = write_video(tmp_path / "in.avi", (np.full((24, 32, 3), 100 + 10 * k, np.uint8) for k in range(3)), 25.0)
    out, rgb = tmp_path / "ev.raw", _named(tmp_path, "a", ".avi", 250)
    assert main(["simulate", str(video), "--out", str(out), "--rgb-out", str(rgb)]) == 2
    assert capsys.readouterr().err == (f"error: {rgb}: its frame times' name (NAME.frames.csv) would be 257 bytes, "
                                       "more than the 255 a file name holds; give --rgb-out a name at least 2 bytes "
                                       "shorter\n")
    assert list(tmp_path.iterdir()) == [video]
