"""The rest of the Python API a researcher imports in a notebook, each public callable called with
one argument at a time hostile, as ``tests/test_fuzz_api.py`` sweeps the events, files, camera
models and faces.

:func:`calls` lists, each with a valid baseline call on tiny inputs, the clip writer of
:mod:`evface.io.clip_writer`, the input builders of :mod:`evface.inputs` (classify and
reconstruct inputs, splits, AU regions, flow, clip views), the statistics, metrics, configs,
registry and figure formatting of :mod:`evface.tasks`, the networks of :mod:`evface.models` (built
small, one forward pass), the plans of :mod:`evface.datasets`, the timelines of :mod:`evface.rig`
and the figures of :mod:`evface.report`. Each argument in turn is replaced by each of
:func:`fuzz_values.hostile_values`, and the call must keep :func:`fuzz_values.outcome`'s property:
a result shaped like the baseline's (numbers are compared as an array: a dict's numbers, a
tensor's values), an :class:`~evface.errors.EvfaceError`, or a TypeError or ValueError naming the
argument; nothing else, and no array given changed in place. Each group runs in a memory-capped
child Python (:func:`fuzz_children.run_child`).

The tests after the sweep pin each defect it found, one at a time, in this process.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

from evface.errors import FormatError, ParameterError
from evface.io import clip_reader, clip_writer
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries

from fuzz_children import run_child
from fuzz_values import Calls, events, sweep

SIZE = (8, 6)
"""The sensor of the baseline events: ``(width, height)``."""

PEAK_MB = 2500
"""The most memory a child may hold at its peak: no hostile size may allocate before it is refused."""


def numbers(value: Any) -> np.ndarray:
    """The numbers of a result as one float64 array: a dict's or list's (flattened, in order), a
    tensor's values; what is no number (text, None) is left out."""
    if isinstance(value, torch.Tensor):
        return value.detach().double().numpy()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        parts = [numbers(v).ravel() for v in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(value, (bool, int, float, np.number, np.ndarray)):
        return np.asarray(value, np.float64)
    return np.zeros(0)


def clip(fps: Any = 30.0, exposure_us: Any = None, t_us: Any = None, aus: Any = (12,)) -> Clip:
    """A tiny clip: six events on sensor ``lr``, two RGB frames, two truth frames; the frames'
    fields set after the :class:`FrameSeries` is made (what ``write_clip`` must check itself)."""
    frames = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 500]), np.array([100, 100]), fps=30.0)
    frames.fps = fps
    frames.t_us = np.array([0, 500]) if t_us is None else t_us
    frames.exposure_us = np.array([100, 100]) if exposure_us is None else exposure_us
    return Clip("c0", "s0", "AU12", aus, "bright", 0, 10, 20, 60, events={"lr": events()},
                sensors={"lr": SensorInfo("lr", *SIZE)}, frames={"rgb": frames},
                truth={"lr": TruthSeries(np.ones((2, SIZE[1], SIZE[0]), np.float32), np.array([0, 500]))})


def _clip_written(folder: Path) -> Callable[..., np.ndarray]:
    def write(fps: Any, exposure_us: Any, t_us: Any, aus: Any) -> np.ndarray:
        read = clip_reader.read_clip(clip_writer.write_clip(folder / "c0.h5", clip(fps, exposure_us, t_us, aus)))
        frames = read.frames["rgb"]
        return np.concatenate([[frames.fps], frames.exposure_us, frames.t_us]).astype(np.float64)
    return write


def _files(folder: Path) -> Calls:
    return {
        "write_clip": (_clip_written(folder), dict(fps=30.0, exposure_us=np.array([100, 100]),
                                                   t_us=np.array([0, 500]), aus=[12])),
        "write_clip (path)": (lambda path: numbers(clip_reader.read_clip(clip_writer.write_clip(path, clip())).aus),
                              dict(path=folder / "p.h5")),
    }


GROUPS = ("files",)


def calls(folder: Path, group: str) -> Calls:
    """``name: (callable, baseline arguments)`` of the public API in ``group``; files under ``folder``."""
    return {"files": _files}[group](folder)


def _sweep(group: str, folder: str) -> None:
    """Child process: every argument of every callable of ``group`` replaced by each hostile value."""
    sweep(lambda: calls(Path(folder), group), PEAK_MB)


@pytest.mark.parametrize("group", GROUPS)
def test_hostile_arguments(group: str, tmp_path: Path) -> None:
    run_child(__file__, "sweep", group, tmp_path, timeout=300, named=group)


def test_a_clip_frame_rate_or_exposure_off_range_is_refused_unwritten(tmp_path: Path) -> None:
    path = tmp_path / "c0.h5"
    for fps in (math.nan, -30.0, math.inf, "30", None):
        with pytest.raises(ParameterError, match=r"c0.h5: Clip.frames\['rgb'\].fps must be"):
            clip_writer.write_clip(path, clip(fps=fps))  # was: written, and read back as given
    with pytest.raises(ParameterError, match=r"Clip.frames\['rgb'\].exposure_us must be >= 0 µs, got -5 \(frame 1\)"):
        clip_writer.write_clip(path, clip(exposure_us=np.array([100, -5])))
    assert not path.exists() and list(tmp_path.iterdir()) == []
    assert clip_reader.read_clip(clip_writer.write_clip(path, clip(fps=0.0))).frames["rgb"].fps == 0.0  # not stated


def test_clip_frame_times_set_after_the_series_was_made_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "c0.h5"
    for key, value in (("t_us", 0), ("exposure_us", 1.5), ("t_us", 2**63), ("exposure_us", np.array([100, 100, 100]))):
        with pytest.raises(ParameterError, match=rf"c0.h5: Clip.frames\['rgb'\].{key} must be 1-D, one per image \(2\)"):
            clip_writer.write_clip(path, clip(**{key: value}))  # was an IndexError (too many indices), or an OverflowError
    made = clip()
    made.truth["lr"].t_us = np.zeros((2, 2), np.int64)
    with pytest.raises(ParameterError, match=r"Clip.truth\['lr'\].t_us must be 1-D"):
        clip_writer.write_clip(path, made)
    assert not path.exists()


def _set(path: Path, member: str, key: str | None, value: Any) -> None:
    with h5py.File(path, "r+") as f:
        if key is None:
            f[member][...] = value
        else:
            f[member].attrs[key] = value


def test_a_clip_frame_rate_or_exposure_off_range_is_reported_on_read(tmp_path: Path) -> None:
    for member, key, value, match in (("frames/rgb", "fps", math.nan, "fps is nan"),
                                      ("frames/rgb", "fps", -30.0, "fps is -30.0"),
                                      ("frames/rgb/exposure_us", None, [100, -5], "negative exposure")):
        path = clip_writer.write_clip(tmp_path / f"{match.replace(' ', '_')}.h5", clip())
        _set(path, member, key, value)
        with pytest.raises(FormatError, match=f"{path.name}: .*{match}"):
            clip_reader.read_clip(path)  # was: read back as given
        if key:
            with pytest.raises(FormatError, match=match):
                clip_reader.frames_and_truth_info(path)


if __name__ == "__main__":
    {"sweep": _sweep}[sys.argv[1]](*sys.argv[2:])
