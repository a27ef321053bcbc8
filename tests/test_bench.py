"""``evface bench synth`` measures every preset it names (figures are not asserted: machines differ)."""

from __future__ import annotations

from evface.bench import cpu_model
from evface.bench.synth import run
from evface.datasets.synth import preset_plan


def test_bench_synth_reports_each_preset_with_its_whole_preset_extrapolation():
    doc = run(quick=True)
    tiny = doc["presets"]["tiny"]
    assert tiny["clips"] == 2  # one subject, one class, the preset's two lightings, one repetition
    assert tiny["preset_clips"] == len(preset_plan("tiny")[1]) == 12
    assert tiny["bytes_per_clip"] > 0 and tiny["seconds_per_clip"] > 0 and tiny["events_per_clip"]["hd"] > 0
    assert tiny["preset_gb"] == round(12 * tiny["bytes_per_clip"] / 1e9, 2)
    assert tiny["preset_cpu_hours"] == round(12 * tiny["cpu_seconds_per_clip"] / 3600, 2)
    assert doc["preset"] == "tiny" and doc["bytes_per_clip"] == tiny["bytes_per_clip"]


def test_cpu_model_names_a_processor():
    assert cpu_model().strip()
