"""``evface bench synth``'s whole-preset figures say something for a preset of a few minutes."""

from __future__ import annotations

import pytest

from evface.bench.synth import run


@pytest.fixture(scope="module")
def tiny():
    """The ``tiny`` entry of ``evface bench synth --quick`` (2 clips measured, 12 planned)."""
    return run(quick=True)["presets"]["tiny"]


def test_the_quick_bench_projects_the_tiny_preset_in_nonzero_minutes(tiny):
    """``bench synth --quick``: the tiny preset's 12 clips take seconds, and its projected hours
    (rounded to 0.01 h) read 0.0. Now minutes to 3 significant figures beside them: non-zero, and
    the clips times the seconds per clip."""
    for key, per_clip in (("preset_minutes_one_process", tiny["seconds"] / tiny["clips"]),
                          ("preset_cpu_minutes", tiny["cpu_seconds_per_clip"])):
        assert tiny[key] > 0, key
        assert tiny[key] == pytest.approx(12 * per_clip / 60, rel=0.01), key
