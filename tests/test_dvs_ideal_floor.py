"""tools/dvs_ideal_floor.py's stripped ideal kernel is a floor of evface's DVS step only if it makes the
same events: checked here on a small frame, dense and sparse, over several steps (its timing is a tool's
job, not a test's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from evface.bench.sim import blob_frame, flicker_frame
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams

TOOL = Path(__file__).resolve().parents[1] / "tools" / "dvs_ideal_floor.py"


def _tool():
    spec = importlib.util.spec_from_file_location("dvs_ideal_floor_tool", TOOL)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_stripped_kernel_makes_evface_s_ideal_events():
    tool = _tool()
    size = (40, 24)
    for scene in (flicker_frame, blob_frame):
        evface = DvsSimulator(size, DvsParams.ideal(tool.THRESHOLD))
        stripped = tool.IdealFloor(size)
        total = 0
        for k in range(30):
            frame = scene(size, 3.0 * k)  # 3 px per step: several crossings per pixel now and then
            expected, got = evface.step(frame, 1000 * k), stripped.step(frame, 1000 * k)
            assert got.dtype == expected.dtype and np.array_equal(got, expected), (scene.__name__, k)
            total += expected.size
        assert total > 1000  # the scenes fire: the comparison says something
