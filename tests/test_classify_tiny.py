"""End-to-end classification on the synthetic ``tiny`` preset (evface.datasets.synth)."""

from __future__ import annotations

import json

import pytest

from evface.datasets.synth import synthesize
from evface.tasks.classify import evaluate_run, train_and_evaluate
from evface.tasks.configs import ClassifyConfig


@pytest.mark.slow
def test_tiny_preset_train_and_eval(tmp_path):
    data = synthesize(tmp_path / "tiny", preset="tiny", seed=0, lighting=["bright"])
    config = ClassifyConfig(input="events", sensor="lr", epochs=8, patience=0, time_steps=4, size=32, depth=2, width=8,
                            batch_size=4, learning_rate=0.01, augment=False, device="cpu")
    metrics = train_and_evaluate(data, tmp_path / "run", config)
    assert metrics["train_top1"] > 0.5  # two classes: chance is 1/2
    again = evaluate_run(tmp_path / "run", data, tmp_path / "ev")
    assert again["evaluated_on"] == metrics["evaluated_on"] == "test subjects"
    assert again["top1"] == metrics["top1"] and again["n"] == metrics["n"]
    assert set(again["per_sensor"]) == {"lr", "hd"}
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["labels"] == metrics["labels"]
