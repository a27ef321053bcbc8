"""``evface run``: stages keyed by configuration, skipped once done, resumable after a kill."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

import evface.pipeline as pipeline
from evface.errors import ParameterError
from evface.tasks import registry
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

from report_fixtures import copy_fake_results, make_fake_run


class Killed(Exception):
    pass


def fake_runner(calls: list[str], fake: Path, kill_at: str | None = None):
    def run(stage: pipeline.Stage, run_dir: Path, jobs: int) -> None:
        calls.append(stage.name)
        if stage.name == kill_at:
            raise Killed(stage.name)
        copy_fake_results(fake, stage, run_dir, jobs)

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


def test_noise_level_keys_the_dataset_and_bad_levels_write_nothing(tmp_path):
    _, default = pipeline.plan("quick", None, tmp_path)
    _, noisy = pipeline.plan("quick", None, tmp_path, noise="noisy")
    assert "noise" not in default[0].config  # runs made before --noise keep their keys
    assert noisy[0].config["noise"] == "noisy" and noisy[0].key != default[0].key
    out = tmp_path / "run"
    with pytest.raises(ParameterError, match="--noise 'loud'"):
        pipeline.run_pipeline(out, preset="tiny", noise="loud")
    assert not out.exists()


def test_every_preset_has_its_dataset_and_cross_validates_its_arms(tmp_path):
    from evface.datasets.synth import get_preset

    for name, budget in pipeline.PRESETS.items():
        dataset = get_preset(name)
        assert 2 <= budget["classify_folds"] <= dataset.n_subjects
        _, stages = pipeline.plan(name, None, tmp_path)
        arms = [s for s in stages if s.task == "classify"]
        every = [arm for arm, _ in pipeline.CLASSIFY_ARMS]
        assert [s.name for s in arms] == [arm for arm in every if arm in budget.get("arms", every)]
        assert {"events-hd", "events-lr", "rgb"} <= {s.name for s in arms}
        assert {s.config["folds"] for s in arms} == {budget["classify_folds"]}
    assert get_preset("quick").n_subjects >= 12 and get_preset("full").n_subjects >= 24
    assert "arms" not in pipeline.PRESETS["full"]  # the docs' figures come from every arm
    recon = {name: [s.name for s in pipeline.plan(name, None, tmp_path)[1] if s.task == "reconstruct"] for name in ("quick", "full")}
    assert recon["quick"] == ["recon-extrapolation-hd", "recon-extrapolation-lr"]  # make run's 15 minutes
    assert len(recon["full"]) == 2 * len(pipeline.RECONSTRUCT_PROTOCOLS)


def test_training_stages_run_their_task_from_the_registry(tmp_path, monkeypatch):
    calls = []
    for name, config in (("classify", ClassifyConfig), ("reconstruct", ReconstructConfig)):
        task = registry.Task(name, config, lambda *args, **kw: calls.append((args, kw)) or {}, lambda *a: {})
        monkeypatch.setitem(registry.TASKS, name, task)
    _, stages = pipeline.plan("quick", tmp_path / "data", tmp_path)
    by_name = {s.name: s for s in stages}
    pipeline.run_stage(by_name["events-lr"], tmp_path / "a")
    pipeline.run_stage(by_name["recon-extrapolation-hd"], tmp_path / "b")
    budget = pipeline.PRESETS["quick"]
    assert calls == [
        ((str(tmp_path / "data"), tmp_path / "a", ClassifyConfig(input="events", sensor="lr", seed=0,
                                                                  folds=budget["classify_folds"],
                                                                  epochs=budget["classify_epochs"],
                                                                  patience=budget["classify_patience"])), {}),
        ((str(tmp_path / "data"), tmp_path / "b", ReconstructConfig(sensor="hd", protocol="extrapolation", seed=0,
                                                                     folds=budget["reconstruct_folds"],
                                                                     step_us=budget["reconstruct_step_us"],
                                                                     epochs=budget["reconstruct_epochs"],
                                                                     patience=budget["reconstruct_patience"])), {}),
    ]


def test_killed_run_resumes_without_redoing_stages(tmp_path):
    fake = make_fake_run(tmp_path / "fake")
    out = tmp_path / "out"
    calls: list[str] = []
    with pytest.raises(Killed):
        pipeline.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake, kill_at="rgb"))
    stages = pipeline.plan("quick", fake / "data", out)[1]
    names = [stage.name for stage in stages]
    # the reconstructions, the longest stages, run first; then the rest in plan order
    order = [s.name for s in stages if s.task == "reconstruct"] + [s.name for s in stages if s.task != "reconstruct"]
    killed = order.index("rgb")
    assert calls == order[:killed + 1]
    assert not (out / "report.html").exists()

    calls.clear()
    report = pipeline.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == order[killed:]
    assert report.exists() and "events-lr" in report.read_text()
    record = json.loads((out / "pipeline.json").read_text())
    assert [s["name"] for s in record["stages"]] == names

    calls.clear()
    pipeline.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == []


def test_training_stages_run_side_by_side_in_worker_processes(tmp_path):
    fake = make_fake_run(tmp_path / "fake")
    out = tmp_path / "out"
    report = pipeline.run_pipeline(out, data_dir=fake / "data", jobs=2, runner=functools.partial(copy_fake_results, fake))
    _, stages = pipeline.plan("quick", fake / "data", out)
    pids = {(out / s.dirname / "ran-in-pid").read_text() for s in stages}
    assert str(os.getpid()) not in pids and 1 <= len(pids) <= 2
    assert all((out / s.dirname / pipeline.STAGE_DONE).exists() for s in stages)
    assert "recon-extrapolation-lr" in report.read_text()
