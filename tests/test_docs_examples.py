"""The Python examples of the format, representation and face pages run as written.

Each ``python`` block of docs/clip-format.md, docs/file-formats.md, docs/representations.md and
docs/au-model.md is executed in a folder that holds the files it names: ``rec.raw`` and ``hd.raw``
(a real EVT 2.0 recording, ``../shared/real-events/faery_evt2.raw``, 640x480) and ``clip.h5`` /
``clips/c0001.h5`` (a small clip of two sensors, ``hd`` and the DAVIS346-sized ``lr``, with RGB
frames). Until 2026-12-06 the file-formats example fed its streaming writer from a ``chunks`` it
never defined (``NameError``). docs/dataset.md's blocks build datasets and time clips, and are not
run here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from evface.events.core import make_events
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.event_reader import read_events_file

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real-events"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: str) -> list[str]:
    """The ``python`` code blocks of ``docs/<page>``, in order."""
    return PYTHON_BLOCK.findall((ROOT / "docs" / page).read_text(encoding="utf-8"))


def _events(size: tuple[int, int], n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 400_000, n))
    return make_events(t, rng.integers(0, size[0], n), rng.integers(0, size[1], n), rng.choice([-1, 1], n), size)


def _clip() -> Clip:
    """A clip with the sensors and streams the examples read: ``hd`` (a 142x163 ROI), ``lr``, ``rgb``."""
    hd, lr = SensorInfo("hd", 142, 163, 1280, 720, (568, 297, 142, 163), "evk4"), SensorInfo("lr", 346, 260)
    frames = np.zeros((3, 120, 160, 3), np.uint8)
    t = np.array([0, 100_000, 200_000], np.int64)
    rgb = FrameSeries(frames, t, np.full(3, 30_000, np.int64), fps=10.0)
    return Clip("c0001", "s000", "AU4", [4], "dim", 60_000, 140_000, 300_000, 400_000,
                events={"hd": _events((142, 163), 500, 0), "lr": _events((346, 260), 900, 1)},
                sensors={"hd": hd, "lr": lr}, frames={"rgb": rgb})


@pytest.fixture
def example_folder(tmp_path, monkeypatch) -> Path:
    """A working folder holding the files the examples name."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    for name in ("rec.raw", "hd.raw"):
        shutil.copy(REAL / "faery_evt2.raw", tmp_path / name)
    write_clip(tmp_path / "clip.h5", _clip())
    write_clip(tmp_path / "clips" / "c0001.h5", _clip())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(page: str) -> dict:
    blocks = python_blocks(page)
    assert blocks, page
    names: dict = {}
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), names)  # noqa: S102 - the page's own example
    return names


def test_the_clip_format_example_runs(example_folder):
    names = _run("clip-format.md")
    window = names["window"]
    assert window.size and window["t"].min() >= 60_000 and window["t"].max() < 300_000
    assert list(names["clip"].events) == ["lr"] and "rgb" in names["clip"].frames


def test_the_file_formats_example_runs(example_folder):
    names = _run("file-formats.md")
    assert (names["width"], names["height"]) == (640, 480)
    assert names["size"] == (142, 163) and names["events"]["t"].max() <= 50_000
    events, size = read_events_file("out.aedat4")
    assert size == (346, 260) and events.size == 900
    assert read_events_file("out.raw")[1] == (1280, 720)
    assert names["file_info"]("rec.raw")["events"] == 521_252


def test_the_representations_example_runs(example_folder):
    names = _run("representations.md")
    assert names["sensor_size"] == (640, 480)
    voxels = names["voxels"]
    assert voxels.dtype == np.float32 and voxels.shape == (5, 480, 480) and np.abs(voxels).sum() > 0


def test_the_au_model_example_runs(example_folder):
    names = _run("au-model.md")
    img = names["img"]
    assert img.dtype == np.float32 and img.shape == (320, 320, 3) and 0 <= img.min() and img.max() <= 1
    assert names["lm"]["mouth"].shape == (7, 2) and names["w"] == names["h"] > 0
