"""``evface run``: stages keyed by configuration, skipped once done, resumable after a kill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evface.pipeline as pipeline
from evface.errors import ParameterError

from report_fixtures import make_fake_run


class Killed(Exception):
    pass


def fake_runner(calls: list[str], fake: Path, kill_at: str | None = None):
    def run(stage: pipeline.Stage, run_dir: Path) -> None:
        calls.append(stage.name)
        if stage.name == kill_at:
            raise Killed(stage.name)
        source = fake / ("stages/events-hd-0" if stage.task == "classify" else "stages/recon-hd-0")
        for name in ("config.json", "metrics.json"):
            (run_dir / name).write_text((source / name).read_text())

    return run


def test_plan_keys_follow_configuration(tmp_path):
    data, stages = pipeline.plan("quick", None, tmp_path)
    assert data == tmp_path / "data"
    assert [s.name for s in stages][:1] == ["synth"]
    assert len({s.dirname for s in stages}) == len(stages)
    _, again = pipeline.plan("quick", None, tmp_path)
    assert [s.key for s in stages] == [s.key for s in again]
    _, other_seed = pipeline.plan("quick", None, tmp_path, seed=1)
    assert all(a.key != b.key for a, b in zip(stages, other_seed))
    with pytest.raises(ParameterError, match="unknown preset"):
        pipeline.plan("huge", None, tmp_path)


def test_killed_run_resumes_without_redoing_stages(tmp_path, monkeypatch):
    fake = make_fake_run(tmp_path / "fake")
    out = tmp_path / "out"
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "_run_stage", fake_runner(calls, fake, kill_at="rgb"))
    with pytest.raises(Killed):
        pipeline.run_pipeline(out, data_dir=fake / "data")
    assert calls == ["events-hd", "events-lr", "rgb"]
    assert not (out / "report.html").exists()

    calls.clear()
    monkeypatch.setattr(pipeline, "_run_stage", fake_runner(calls, fake))
    report = pipeline.run_pipeline(out, data_dir=fake / "data")
    assert calls == ["rgb", "rgb-diff", "recon-hd", "recon-lr"]
    assert report.exists() and "events-lr" in report.read_text()
    record = json.loads((out / "pipeline.json").read_text())
    assert [s["name"] for s in record["stages"]] == ["events-hd", "events-lr", "rgb", "rgb-diff", "recon-hd", "recon-lr"]

    calls.clear()
    pipeline.run_pipeline(out, data_dir=fake / "data")
    assert calls == []
