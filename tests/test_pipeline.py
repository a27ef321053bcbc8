"""``evface run``: stages keyed by configuration, skipped once done, resumable after a kill."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from evface.errors import DatasetError, FormatError, ParameterError
from evface.pipeline import earlier_run, stage_plan, stage_steps
from evface.pipeline import run as pipeline_run
from evface.tasks import registry
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

from report_fixtures import copy_fake_results, draw_each_figure_once, make_fake_run


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    """Every finished run writes its report: the tests run many runs of the same dataset (a fake one,
    or the tiny preset's), whose figures were drawn each time (:func:`report_fixtures.draw_each_figure_once`)."""
    draw_each_figure_once(monkeypatch)


class Killed(Exception):
    pass


def fake_runner(calls: list[str], fake: Path, kill_at: str | None = None):
    def run(stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
        calls.append(stage.name)
        if stage.name == kill_at:
            raise Killed(stage.name)
        copy_fake_results(fake, stage, run_dir, step)
        return []

    return run


def test_plan_keys_follow_configuration(tmp_path):
    data, stages = stage_plan.plan("quick", None, tmp_path)
    assert data == tmp_path / "data"
    assert [s.name for s in stages][:1] == ["synth"]
    assert len({s.dirname for s in stages}) == len(stages)
    _, again = stage_plan.plan("quick", None, tmp_path)
    assert [s.key for s in stages] == [s.key for s in again]
    _, other_seed = stage_plan.plan("quick", None, tmp_path, seed=1)
    assert all(a.key != b.key for a, b in zip(stages, other_seed, strict=True))
    with pytest.raises(ParameterError, match="unknown --preset"):
        stage_plan.plan("huge", None, tmp_path)


def test_noise_level_keys_the_dataset_and_bad_levels_write_nothing(tmp_path):
    _, default = stage_plan.plan("quick", None, tmp_path)
    _, noisy = stage_plan.plan("quick", None, tmp_path, noise="noisy")
    assert "noise" not in default[0].config  # runs made before --noise keep their keys
    assert noisy[0].config["noise"] == "noisy" and noisy[0].key != default[0].key
    out = tmp_path / "run"
    with pytest.raises(ParameterError, match="--noise 'loud'"):
        pipeline_run.run_pipeline(out, preset="tiny", noise="loud")
    assert not out.exists()
    with pytest.raises(ParameterError, match="--noise sets the event noise of the dataset a run builds"):
        pipeline_run.run_pipeline(out, preset="tiny", data_dir=tmp_path / "given", noise="noisy")  # was ignored
    assert not out.exists()


def test_highspeed_films_the_200_fps_camera_and_adds_its_arms(tmp_path):
    _, default = stage_plan.plan("quick", None, tmp_path)
    _, fast = stage_plan.plan("quick", None, tmp_path, highspeed=True)
    assert "rgb_hd_cameras" not in default[0].config  # runs made before --highspeed keep their keys
    assert fast[0].config["rgb_hd_cameras"] == ["webcam30", "highspeed200"] and fast[0].key != default[0].key
    names = [s.name for s in fast]
    assert set(names) - {s.name for s in default} == set(stage_plan.HIGHSPEED_ARMS)
    assert {s.config.get("rgb_camera") for s in fast if s.name in stage_plan.HIGHSPEED_ARMS} == {"highspeed200"}
    _, given = stage_plan.plan("full", tmp_path / "data", tmp_path, highspeed=True)
    assert given[0].task == "classify" and set(stage_plan.HIGHSPEED_ARMS) <= {s.name for s in given}


def test_highspeed_on_a_dataset_filmed_without_that_camera_is_refused_before_out_is_made(tmp_path):
    from recon_fixtures import make_fake_dataset

    data = make_fake_dataset(tmp_path / "data", n_subjects=3, clips_per_subject=1, duration_us=100_000)
    out = tmp_path / "run"
    # was: every other stage prepared, then "choose another --sensor or --rgb-camera" (train classify's options)
    with pytest.raises(ParameterError, match=r"^--highspeed: 3 of the 3 clips of .*data \(first s00_c00\) were "
                                             r"filmed without the 200 fps camera; leave out --data .* evface synth "
                                             r"--rgb-hd-cameras webcam30,highspeed200$"):
        pipeline_run.run_pipeline(out, preset="tiny", data_dir=data, highspeed=True)
    assert not out.exists()


def test_every_preset_has_its_dataset_and_cross_validates_its_arms(tmp_path):
    from evface.datasets.synth_plan import get_preset

    for name, budget in stage_plan.PRESETS.items():
        dataset = get_preset(name)
        assert 2 <= budget["classify_folds"] <= dataset.n_subjects
        _, stages = stage_plan.plan(name, None, tmp_path)
        arms = [s for s in stages if s.task == "classify"]
        every = [arm for arm, _ in stage_plan.CLASSIFY_ARMS if arm not in stage_plan.HIGHSPEED_ARMS]
        assert [s.name for s in arms] == [arm for arm in every if arm in budget.get("arms", every)]
        assert {"events-hd", "events-lr", "rgb"} <= {s.name for s in arms}
        assert {s.config["folds"] for s in arms} == {budget["classify_folds"]}
    assert get_preset("quick").n_subjects >= 12 and get_preset("full").n_subjects >= 24
    assert "arms" not in stage_plan.PRESETS["full"]  # the docs' figures come from every arm
    recon = {name: [s.name for s in stage_plan.plan(name, None, tmp_path)[1] if s.task == "reconstruct"] for name in ("quick", "full")}
    assert recon["quick"] == ["recon-extrapolation-hd"]  # make run's 15 minutes
    assert len(recon["full"]) == len(stage_plan.RECONSTRUCT_SENSORS) * len(stage_plan.RECONSTRUCT_PROTOCOLS)
    assert {s.config["sensor"] for s in stage_plan.plan("full", None, tmp_path)[1] if s.task == "reconstruct"} == {"hd", "lr"}


def test_training_steps_run_their_task(tmp_path, monkeypatch):
    calls = []
    parts = {"classify": ["models/fold0-s0", "models/fold1-s0"], "reconstruct": ["fold0", "fold1", "fold2"]}
    for name in parts:
        task = registry.TASKS[name]
        monkeypatch.setitem(registry.TASKS, name, replace(
            task, prepare=lambda *args, name=name: calls.append(("prepare", *args)) or list(parts[name]),
            fit_part=lambda *args: calls.append(("fit", *args)) or 1.0,
            pool_parts=lambda *args: calls.append(("pool", *args)) or {},
            train_and_evaluate=lambda *args: pytest.fail("a stage runs in steps")))
    _, stages = stage_plan.plan("quick", tmp_path / "data", tmp_path)
    by_name = {s.name: s for s in stages}
    a, b, data = tmp_path / "a", tmp_path / "b", str(tmp_path / "data")
    assert stage_steps.run_step(by_name["events-lr"], a) == parts["classify"]
    assert stage_steps.run_step(by_name["events-lr"], a, "models/fold1-s0") == []
    assert stage_steps.run_step(by_name["events-lr"], a, stage_steps.POOL) == []
    assert stage_steps.run_step(by_name["recon-extrapolation-hd"], b) == ["fold0", "fold1", "fold2"]
    assert stage_steps.run_step(by_name["recon-extrapolation-hd"], b, "fold2") == []
    parts["classify"].clear()  # every model trained before: the first step pools at once
    assert stage_steps.run_step(by_name["events-lr"], a) == []
    budget = stage_plan.PRESETS["quick"]
    events = ClassifyConfig(input="events", sensor="lr", seed=0, folds=budget["classify_folds"],
                            epochs=budget["classify_epochs"], patience=budget["classify_patience"])
    recon = ReconstructConfig(sensor="hd", protocol="extrapolation", seed=0, folds=budget["reconstruct_folds"],
                              step_us=budget["reconstruct_step_us"], epochs=budget["reconstruct_epochs"],
                              patience=budget["reconstruct_patience"])
    assert calls == [
        ("prepare", data, a, events), ("fit", data, a, events, "models/fold1-s0"), ("pool", data, a, events),
        ("prepare", data, b, recon), ("fit", data, b, recon, "fold2"),
        ("prepare", data, a, events), ("pool", data, a, events),
    ]


def test_a_stage_refused_for_its_settings_says_which_stage_and_where_they_are_set(tmp_path, monkeypatch):
    def too_large(*args):
        raise ParameterError("the samples of 1344 clips at --size 128 take about 26.2 GiB; lower --size or raise --stride")

    monkeypatch.setitem(registry.TASKS, "reconstruct", replace(registry.TASKS["reconstruct"], prepare=too_large))
    _, stages = stage_plan.plan("quick", tmp_path / "data", tmp_path)
    stage = {s.name: s for s in stages}["recon-extrapolation-hd"]
    with pytest.raises(ParameterError) as caught:
        stage_steps.run_step(stage, tmp_path / "r")
    assert str(caught.value) == (
        "stage recon-extrapolation-hd: the samples of 1344 clips at --size 128 take about 26.2 GiB; lower --size or "
        f"raise --stride (options of evface train reconstruct, which trains this stage alone on {tmp_path / 'data'}; "
        "evface run takes them from its preset)")


def test_a_stage_whose_folder_cannot_be_resumed_is_not_blamed_on_the_training_options(tmp_path):
    # was: "... give --out a new folder (options of evface train classify, which trains this stage alone ...)"
    from evface import __version__

    fake = make_fake_run(tmp_path / "fake", subjects=3)
    stage = {s.name: s for s in stage_plan.plan("quick", fake / "data", tmp_path)[1]}["events-hd"]
    folder = tmp_path / "stage"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"task": "classify", "data": str(fake / "data"),
                                                    "evface_version": "9.0", "mixup": 0.2}))
    with pytest.raises(ParameterError) as caught:
        stage_steps.run_step(stage, folder)
    assert str(caught.value) == (f"stage events-hd: {folder}: holds a run written by evface 9.0 with settings this "
                                 f"evface {__version__} does not know (mixup), which it would train without; resume "
                                 "it with evface 9.0, or give --out a new folder")


def test_a_stage_begun_by_a_newer_evface_resumes_with_one_warning(tmp_path):
    """Its jobs resume it with no log: the warning evface train gives was not shown."""
    from evface import __version__

    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out = tmp_path / "out"
    stage = {s.name: s for s in stage_plan.plan("quick", fake / "data", out)[1]}["events-hd"]
    (out / stage.dirname).mkdir(parents=True)
    (out / stage.dirname / "config.json").write_text(json.dumps({"task": "classify", "evface_version": "999.0"}))
    lines: list[str] = []
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner([], fake), log=lines.append)
    assert [line for line in lines if "resumed a run of" in line] == [  # (its clips unchecked: the test below)
        f"warning: {out / stage.dirname}: resumed a run of evface 999.0, newer than this evface {__version__}: what "
        "this version trains may differ from what that one did, and its results may not be comparable; resume it "
        "with evface 999.0 to keep them alike"]


def test_a_stage_older_than_the_record_of_its_clips_resumes_with_one_warning(tmp_path, monkeypatch):
    """Its jobs resume it with no log: evface train's warning that its clips went unchecked was not shown.
    It names the dataset as evface train does, resolved (was: --data as given)."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    stage = {s.name: s for s in stage_plan.plan("quick", Path("fake/data"), out)[1]}["events-hd"]
    (out / stage.dirname).mkdir(parents=True)
    (out / stage.dirname / "config.json").write_text(json.dumps({"task": "classify"}))  # no data-clips.json
    lines: list[str] = []
    pipeline_run.run_pipeline(out, data_dir=Path("fake/data"), jobs=1, runner=fake_runner([], fake), log=lines.append)
    data = fake / "data"
    assert [line for line in lines if "warning" in line] == [
        f"warning: {out / stage.dirname}: resumed on {data} without checking its clips: the run is older than "
        f"evface's record of its manifest rows and clip files (data-clips.json), which holds those of {data} from "
        "now on; if the dataset was built or imported again since the run started, delete the run or give a new "
        "--out folder"]


def test_killed_run_resumes_without_redoing_stages(tmp_path):
    fake = make_fake_run(tmp_path / "fake", subjects=3)  # run checks the quick preset's 3 subject folds
    out = tmp_path / "out"
    calls: list[str] = []
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake, kill_at="rgb"))
    stages = stage_plan.plan("quick", fake / "data", out)[1]
    names = [stage.name for stage in stages]
    # the reconstructions, the longest stages, run first; then the rest in plan order
    order = [s.name for s in stages if s.task == "reconstruct"] + [s.name for s in stages if s.task != "reconstruct"]
    killed = order.index("rgb")
    assert calls == order[:killed + 1]
    assert not (out / "report.html").exists()

    calls.clear()
    report = pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == order[killed:]
    assert report.exists() and "events-lr" in report.read_text()
    record = json.loads((out / "pipeline.json").read_text())
    assert [s["name"] for s in record["stages"]] == names

    calls.clear()
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == []
    # a stage's done-file that evface did not write (a received run resumed): exit 1 before
    done = out / stages[0].dirname / pipeline_run.STAGE_DONE
    for content, says in (('{"seconds": "soon", "config": {}}', "not as evface writes it"),
                          ('{"seconds": 1, "config": {"seeds": "two"}}', "not as evface writes it"),
                          ('{"seconds": 1}', "has no 'config'"), ("\udcff", "not valid JSON")):
        done.write_bytes(content.encode("utf-8", "surrogateescape"))
        with pytest.raises(FormatError, match=rf"{pipeline_run.STAGE_DONE}: {says}"):
            pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))


def test_stages_given_from_python_as_one_text_are_its_comma_separated_names(tmp_path):
    _, stages = stage_plan.plan("tiny", None, tmp_path)
    chosen = stage_plan.selected_stages(stages, "rgb,events-hd", "tiny")  # was: --stages r,g,b,...: not a stage
    assert [s.name for s in chosen] == ["synth", "events-hd", "rgb"]
    with pytest.raises(ParameterError, match=r"--stages rgb-200 \(trained with --highspeed only\): not a stage"):
        stage_plan.selected_stages(stages, "rgb-200", "tiny")


def test_stages_runs_only_the_named_stages_and_the_record_keeps_every_stage_done(tmp_path):
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match=r"--stages recon-nothing: not a stage of this run \(--preset quick\); "
                                             r"choose from events-hd,"):
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, only=["rgb", "recon-nothing"])
    assert not out.exists()
    calls: list[str] = []
    report = pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake),
                                   only=["rgb", "recon-extrapolation-hd"])
    assert calls == ["recon-extrapolation-hd", "rgb"]
    recorded = lambda: [s["name"] for s in json.loads((out / "pipeline.json").read_text())["stages"]]  # noqa: E731
    assert recorded() == ["rgb", "recon-extrapolation-hd"] and report.exists()
    names = [s.name for s in stage_plan.plan("quick", fake / "data", out)[1]]
    calls.clear()
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake))
    assert sorted(calls) == sorted(set(names) - {"rgb", "recon-extrapolation-hd"})
    calls.clear()
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake), only=["events-hd"])
    assert calls == [] and recorded() == names  # done before; the record still lists every stage done


def test_a_run_into_the_out_of_a_run_on_another_dataset_is_refused_before_writing(tmp_path):
    # `--data d1 --stages events-hd` into a finished run on its own OUT/data was accepted: pipeline.json then
    # named d1 and one stage, the report lost every other stage, and OUT/stages held two datasets' stages
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, given, calls = tmp_path / "out", tmp_path / "given", []
    shutil.copytree(fake / "data", given)
    pipeline_run.run_pipeline(out, data_dir=given, jobs=1, runner=fake_runner(calls, fake))
    files = lambda: {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}  # noqa: E731
    before = files()
    for data, this in ((fake / "data", f"--data {fake / 'data'} is another"),
                       (None, f"this run (no --data) would build its own in {out / 'data'}")):
        with pytest.raises(DatasetError) as caught:
            pipeline_run.run_pipeline(out, data_dir=data, jobs=1, runner=fake_runner(calls, fake), only=["events-hd"])
        assert str(caught.value) == (f"{out}: holds a run on the dataset {given}, and {this}: give --data {given} "
                                     "to add to that run, or give --out a new folder")
    assert files() == before
    moved = out.rename(tmp_path / "moved")  # its dataset outside it: still the same folder
    calls.clear()
    pipeline_run.run_pipeline(moved, data_dir=given, jobs=1, runner=fake_runner(calls, fake), only=["events-hd"])
    assert calls == [] and json.loads((moved / "pipeline.json").read_text())["data"] == str(given)
    with pytest.raises(DatasetError, match="no such dataset folder \\(--data\\)$"):
        pipeline_run.run_pipeline(tmp_path / "new", data_dir=tmp_path / "nothing", jobs=1)  # was "nothing/manifest.csv: no manifest"
    assert not (tmp_path / "new").exists()


def test_the_dataset_of_a_run_is_read_from_its_record_wherever_the_run_lies(tmp_path):
    out = tmp_path / "run"
    (out / "data").mkdir(parents=True)
    assert earlier_run.run_dataset(out) == (out / "data", True)  # a run that started building its dataset
    record = {"data": "data", "stages": []}  # a dataset inside OUT: relative to it
    (out / "pipeline.json").write_text(json.dumps(record))
    assert earlier_run.run_dataset(out) == (out / "data", False)
    # written by older versions, absolute: a run that built its dataset finds it moved; another run's gone is unknown
    (out / "pipeline.json").write_text(json.dumps({"data": "/gone/data", "stages": [{"name": "synth", "task": "synth"}]}))
    assert earlier_run.run_dataset(out) == (out / "data", True)
    (out / "pipeline.json").write_text(json.dumps({"data": "/gone/data", "stages": []}))
    assert earlier_run.run_dataset(out) is None
    (out / "pipeline.json").write_text(json.dumps({"data": 3, "stages": []}))
    with pytest.raises(FormatError, match="pipeline.json: not as evface writes it"):
        earlier_run.run_dataset(out)
    (out / "pipeline.json").write_text('{"data": "da')  # cut short: named once (was "RUN/pipeline.json: not as evface
    with pytest.raises(FormatError) as cut:  # writes it (RUN/pipeline.json: not valid JSON (...)))")
        earlier_run.run_dataset(out)
    assert str(cut.value).startswith(f"{out / 'pipeline.json'}: not valid JSON (Unterminated string")


def test_a_run_under_another_spelling_of_out_or_moved_keeps_its_stages(tmp_path, monkeypatch):
    # the stage keys hashed the folders as spelled: `--out runs/x` then `--out /abs/runs/x`, or the run
    # folder moved to a bigger disk, trained every stage again into new folders
    monkeypatch.chdir(tmp_path)
    _, spelled = stage_plan.plan("quick", None, Path("runs/x"))
    _, absolute = stage_plan.plan("quick", None, tmp_path / "runs" / "x")
    _, moved = stage_plan.plan("quick", None, tmp_path / "elsewhere")
    assert [s.dirname for s in spelled] == [s.dirname for s in absolute] == [s.dirname for s in moved]
    _, given = stage_plan.plan("quick", Path("data"), Path("runs/x"))
    _, given_absolute = stage_plan.plan("quick", tmp_path / "data", tmp_path / "runs" / "x")
    assert [s.key for s in given] == [s.key for s in given_absolute]  # a dataset outside OUT: by its absolute path
    assert given[0].key != stage_plan.plan("quick", tmp_path / "other", Path("runs/x"))[1][0].key

    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []
    shutil.copytree(fake / "data", out / "data")  # the run's own dataset, inside OUT
    pipeline_run.run_pipeline(out, data_dir=out / "data", jobs=1, runner=fake_runner(calls, fake))
    assert len(calls) == len(stage_plan.plan("quick", out / "data", out)[1])
    moved = out.rename(tmp_path / "moved")
    calls.clear()
    pipeline_run.run_pipeline(Path(os.path.relpath(moved)), data_dir=moved / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == []
    # a run folder started before the keys were portable: its stage folders are taken over, not trained again
    stages = stage_plan.plan("quick", moved / "data", moved)[1]
    for stage in stages:
        (moved / stage.dirname).rename(moved / stage.legacy_dirnames[0])
    pipeline_run.run_pipeline(moved, data_dir=moved / "data", jobs=1, runner=fake_runner(calls, fake))
    assert calls == [] and all((moved / s.dirname / pipeline_run.STAGE_DONE).exists() for s in stages)


def test_every_step_gets_its_folders_absolute_whichever_executor_runs_it(tmp_path, monkeypatch):
    """A stage's ``config.json`` and ``metrics.json`` name its dataset (``data``) as the step was given
    it: relative to where a local run with a relative ``--out`` was started, absolute under ``--ray``
    (same numbers, other text; the relative one names another place from any other folder). Every
    executor's steps now get them absolute (as a Ray task always did)."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    shutil.copytree(fake / "data", tmp_path / "runs" / "x" / "data")
    monkeypatch.chdir(tmp_path)
    seen = []

    def runner(stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
        seen.append((stage.config["data"], run_dir))
        return fake_runner([], fake)(stage, run_dir, step)

    pipeline_run.run_pipeline(Path("runs/x"), data_dir=Path("runs/x/data"), jobs=1, runner=runner,
                          only=["events-hd", "recon-extrapolation-hd"])
    stages = {s.name: s for s in stage_plan.plan("quick", tmp_path / "runs" / "x" / "data", tmp_path / "runs" / "x")[1]}
    assert seen == [(str(tmp_path / "runs" / "x" / "data"), tmp_path / "runs" / "x" / stages[name].dirname)
                    for name in ("recon-extrapolation-hd", "events-hd")]


def test_more_seeds_train_each_stage_again_in_its_folder_and_fewer_skip_it(tmp_path):
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []

    def runner(stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
        """The fake runner, its run's config.json and metrics.json holding the stage's seeds as a task writes them."""
        left = fake_runner(calls, fake)(stage, run_dir, step)
        for name, seeds in (("config.json", stage.seeds), ("metrics.json", list(range(stage.seeds)))):
            record = json.loads((run_dir / name).read_text())
            (run_dir / name).write_text(json.dumps({**record, "seeds": seeds}))
        return left

    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner)
    trained, folders = sorted(calls), sorted((out / "stages").iterdir())
    calls.clear()
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner, seeds=2)
    assert sorted(calls) == trained and sorted((out / "stages").iterdir()) == folders  # the new seeds, in place
    calls.clear()
    lines: list[str] = []
    for seeds in (2, 1):  # as many seeds as done, or fewer (make run again after --seeds 2): nothing to train
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner, seeds=seeds, log=lines.append)
    assert calls == [] and any(line.endswith(", 2 seeds), skipped") for line in lines)
    # a stage folder of a run made before the keys left the seeds out is taken over
    stages = [s for s in stage_plan.plan("quick", fake / "data", out, seeds=2)[1] if (out / s.dirname).exists()]
    for stage in stages:
        (out / stage.dirname).rename(out / stage.legacy_dirnames[-1])
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner, seeds=2)
    assert calls == [] and sorted((out / "stages").iterdir()) == folders
    # a stage started with more seeds and not finished is finished, never shrunk
    config = out / stages[-1].dirname / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "seeds": 3}))
    (out / stages[-1].dirname / pipeline_run.STAGE_DONE).unlink()
    with pytest.raises(ParameterError, match=r"started with --seeds 3 and not finished: give --seeds 3 to finish it"):
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner, seeds=2)
    assert calls == []


def split_runner(fake: Path, broken: str, stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
    """A fake classification stage of two models and a pooling step, each leaving a file (its
    process id); the other stages in one step. The step named ``broken`` (``stage: step``) raises."""
    if f"{stage.name}: {step}" == broken:
        raise Killed(broken)
    (run_dir / f"{step.replace('/', '-')}.pid").write_text(str(os.getpid()))
    if stage.task == "classify" and step == stage_steps.START:
        return ["models/a", "models/b"]
    if stage.task == "classify" and step == stage_steps.POOL:
        assert (run_dir / "models-a.pid").exists() and (run_dir / "models-b.pid").exists(), "pooled before its models"
    copy_fake_results(fake, stage, run_dir, step)
    return []


def test_stages_and_their_models_run_side_by_side_in_worker_processes_and_a_failed_one_is_not_dropped(tmp_path):
    fake = make_fake_run(tmp_path / "fake", subjects=3)  # run checks the quick preset's 3 subject folds
    out = tmp_path / "out"
    lines: list[str] = []
    with pytest.raises(Killed, match="rgb: models/b"):
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=2, log=lines.append,
                              runner=functools.partial(split_runner, fake, "rgb: models/b"))
    stages = {s.name: s for s in stage_plan.plan("quick", fake / "data", out)[1]}
    assert not (out / stages["rgb"].dirname / pipeline_run.STAGE_DONE).exists()
    assert not (out / stages["rgb"].dirname / "pool.pid").exists()
    lines.clear()
    for left in out.rglob("*.pid"):
        left.unlink()
    report = pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=2, log=lines.append,
                                   runner=functools.partial(split_runner, fake, ""))
    assert "rgb" in report.read_text()
    assert all((out / stage.dirname / pipeline_run.STAGE_DONE).exists() for stage in stages.values())
    assert {p.name for p in (out / stages["rgb"].dirname).glob("*.pid")} == {"start.pid", "models-a.pid", "models-b.pid", "pool.pid"}
    pids = {p.read_text() for p in out.rglob("*.pid")}
    assert str(os.getpid()) not in pids and 1 <= len(pids) <= 2  # every step in one of the 2 worker processes
    assert any(line.startswith("rgb: models/b: trained in") for line in lines)


@pytest.mark.parametrize("argv, out", [([], "runs/quick"), (["--preset", "full"], "runs/full"),
                                       (["--preset", "full", "--out", "mine"], "mine")])
def test_run_writes_each_preset_into_its_own_folder(tmp_path, monkeypatch, argv, out):
    """`evface run --preset full` after `make run` wrote into runs/quick, and was refused there
    (its dataset differs) until given an --out."""
    from evface.cli import main

    given = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pipeline_run, "run_pipeline", lambda out, **kw: given.append((out, kw["seeds"])) or out / "report.html")
    assert main(["run", *argv]) == 0
    assert given == [(Path(out), 1)]
    assert main(["run", *argv, "--seeds", "5"]) == 0 and given[-1] == (Path(out), 5)


def test_seeds_train_each_model_several_times(tmp_path):
    _, one = stage_plan.plan("quick", None, tmp_path)
    _, five = stage_plan.plan("quick", None, tmp_path, seeds=5)
    assert [(s.task, s.config.get("seeds")) for s in five if s.task != "synth"] == [("classify", 5)] * 4 + [
        ("reconstruct", 5)]
    assert all("seeds" not in s.config for s in one)  # one seed keeps the keys of earlier runs
    assert [(s.name, s.key) for s in one if s.task == "synth"] == [(s.name, s.key) for s in five if s.task == "synth"]
    for stage in five:  # every stage's config is one its task takes
        if stage.task == "reconstruct":
            assert ReconstructConfig.from_dict(stage.config).seeds == 5
    with pytest.raises(ParameterError, match="--seeds must be >= 1, got 0"):
        stage_plan.plan("quick", None, tmp_path, seeds=0)


@pytest.mark.parametrize("given, message", [
    ({"seeds": 2.5}, "--seeds must be a whole number, got 2.5"),  # was: planned, each stage's seeds read as 2
    ({"seeds": "2"}, "--seeds must be an integer, got '2'"),  # was: TypeError '<' not supported
    ({"seeds": 101}, "--seeds must be at most 100, got 101"),  # was: planned, refused by the first training stage
    ({"seed": -1}, "--seed must be >= 0, got -1"),  # was: planned, refused only by a stage that ran
])
def test_a_plan_of_seeds_no_stage_takes_is_refused_before_any_stage(tmp_path, given, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        stage_plan.plan("tiny", None, tmp_path, **given)



def _built_once(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """The pipeline's ``synthesize`` building each dataset once: asked again for a missing folder
    with the same options, it copies the first build's files there, the bytes a build gives again
    (synthesis is deterministic: test_synth.py::test_same_seed_and_resume_give_the_same_dataset);
    a folder that exists is built (resumed) as ever."""
    real, built = pipeline_run.synthesize, {}

    def synthesize(out: Path, **options) -> Path:
        key = (str(out), *(repr(options.get(k)) for k in ("preset", "seed", "noise", "rgb_hd_cameras")))
        if key in built and not out.exists():
            return Path(shutil.copytree(built[key], out))
        real(out, **options)
        if key not in built:
            built[key] = Path(shutil.copytree(out, cache / str(len(built))))
        return out

    monkeypatch.setattr(pipeline_run, "synthesize", synthesize)


def test_a_run_whose_built_dataset_was_moved_or_deleted_builds_it_again_and_checks_its_clips(tmp_path, monkeypatch):
    # it said "synth: done before, skipped", then "OUT/data: no such dataset folder" at the first stage
    from evface.io.manifest import read_manifest
    from evface.tasks import run_clips

    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls, said = tmp_path / "out", [], []

    def runner(stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:  # records its clips, as a task does
        fake_runner(calls, fake)(stage, run_dir, step)
        run_clips.record_clips(run_dir, stage.config["data"], read_manifest(stage.config["data"]))
        return []

    _built_once(monkeypatch, tmp_path / "built")
    run = functools.partial(pipeline_run.run_pipeline, out, preset="tiny", jobs=1, runner=runner, log=said.append)
    run(only=["events-hd"])
    synth = out / stage_plan.plan("tiny", None, out)[1][0].dirname
    kept = shutil.copytree(out / "data", tmp_path / "kept")
    shutil.rmtree(out / "data")
    said.clear()
    calls.clear()
    assert run(only=["events-hd", "rgb"]).exists() and calls == ["rgb"]  # events-hd, trained on it, stays done
    assert said[0] == (f"synth: done before, but {out / 'data'} holds no dataset now (moved or deleted): built again, "
                       "the same clips, checked against those the stages were trained on")
    assert run_clips.is_training_data(out / stage_plan.plan("tiny", None, out)[1][1].dirname, out / "data")
    # built again as other clips (another evface version): refused, and built and checked again by the next run
    shutil.rmtree(out / "data")
    real = pipeline_run.synthesize

    def other_clips(data: Path, **options) -> Path:
        shutil.copytree(kept, data)
        with open(next((data / "clips").iterdir()), "ab") as clip:
            clip.write(b"other")
        return data

    monkeypatch.setattr(pipeline_run, "synthesize", other_clips)
    with pytest.raises(DatasetError) as caught:
        run()
    assert str(caught.value).startswith(f"{out / 'data'}: the dataset built here again (the run's was moved or "
                                        "deleted) is not the one stage events-hd was trained on (its clips have")
    assert str(caught.value).endswith(f"; move the run's dataset back to {out / 'data'} in place of this one, or give "
                                      "--out a new folder")
    assert not (synth / pipeline_run.STAGE_DONE).exists()
    monkeypatch.setattr(pipeline_run, "synthesize", real)
    with pytest.raises(DatasetError, match="is not the one stage events-hd was trained on"):
        run()
    shutil.rmtree(out / "data")
    shutil.copytree(kept, out / "data")  # the run's dataset moved back
    calls.clear()
    assert run(only=["events-hd", "rgb"]).exists() and calls == [] and (synth / pipeline_run.STAGE_DONE).exists()


@pytest.mark.parametrize("folder", ["empty", "run"])
def test_a_data_folder_holding_no_dataset_names_the_option(tmp_path, folder):
    # `--data RUN` (an evface run output, not its dataset) or an empty folder said
    # "RUN/manifest.csv: no manifest: not an evface dataset folder", naming no option
    data = tmp_path / folder
    data.mkdir()
    if folder == "run":
        (data / "pipeline.json").write_text("{}")
        (data / "data").mkdir()
    with pytest.raises(DatasetError) as caught:
        pipeline_run.run_pipeline(tmp_path / "out", preset="tiny", data_dir=data, jobs=1)
    assert str(caught.value) == (f"{data}: the output folder of evface run, not a dataset: give its dataset, {data / 'data'}, "
                                 "as --data" if folder == "run" else
                                 f"{data}: holds no manifest.csv: not an evface dataset folder (--data)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("given, earlier, this", [({"preset": "quick"}, "--preset tiny", "--preset quick"),
                                                  ({"seed": 3}, "--seed 0", "--seed 3")])
def test_a_run_on_a_given_dataset_resumed_with_another_preset_or_seed_is_refused(tmp_path, given, earlier, this):
    # `--data D --preset quick` into the OUT of a `--data D --preset tiny` run trained new stages beside the
    # old ones; pipeline.json then listed only the new ones and the report lost the earlier run's
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []
    options = dict(preset="tiny", data_dir=fake / "data", jobs=1, only=["rgb"])
    pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **options)
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ParameterError) as caught:
        pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **{**options, **given})
    assert str(caught.value) == (f"{out}: holds a run made with {earlier}, not {this}; give --out a new folder "
                                 f"(or {earlier} to add to that run)")
    assert calls == ["rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def _a_run_killed_in_its_rgb_stage(tmp_path):
    """A fake tiny run of the rgb stage killed in that stage, before its pipeline.json: the fake run,
    OUT, the list of the runner's calls and the options of ``run_pipeline``."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []
    options = dict(preset="tiny", data_dir=fake / "data", jobs=1, only=["rgb"])
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake, kill_at="rgb"), **options)
    return fake, out, calls, options


@pytest.mark.parametrize("given, earlier, this", [({"preset": "quick"}, "--preset tiny", "--preset quick"),
                                                  ({"seed": 3}, "--seed 0", "--seed 3")])
def test_a_first_run_stopped_before_its_record_resumed_with_another_preset_or_seed_is_refused(tmp_path, given,
                                                                                             earlier, this):
    # a first run killed after its first stage's folder appeared left no pipeline.json: a resume with --seed 3
    # was accepted and trained stages/rgb-<other key> beside the stopped run's stages/rgb-<key>
    fake, out, calls, options = _a_run_killed_in_its_rgb_stage(tmp_path)
    assert not (out / "pipeline.json").exists() and len(list((out / "stages").iterdir())) == 1
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ParameterError) as caught:
        pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **{**options, **given})
    assert str(caught.value) == (f"{out}: holds a run made with {earlier}, not {this}; give --out a new folder "
                                 f"(or {earlier} to add to that run)")
    assert calls == ["rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **options)  # its own options resume it
    assert calls == ["rgb", "rgb"] and len(list((out / "stages").iterdir())) == 1


def test_a_first_run_stopped_before_its_record_resumed_on_another_dataset_is_refused(tmp_path):
    # a first run on --data d1 killed after its first stage's folder appeared left no pipeline.json and no
    # OUT/data: a resume with --data d2 (or building its own) was accepted and trained stages/rgb-<d2 key>
    # beside the stopped run's stages/rgb-<d1 key>
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, other, calls = tmp_path / "out", tmp_path / "other", []
    shutil.copytree(fake / "data", other)
    options = dict(preset="tiny", jobs=1, only=["rgb"])
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(out, data_dir=fake / "data", runner=fake_runner(calls, fake, kill_at="rgb"), **options)
    assert not (out / "pipeline.json").exists() and len(list((out / "stages").iterdir())) == 1
    assert json.loads((out / earlier_run.STARTED).read_text())["data"] == str(fake / "data")  # as pipeline.json names it
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for data, this in ((other, f"--data {other} is another"),
                       (None, f"this run (no --data) would build its own in {out / 'data'}")):
        with pytest.raises(DatasetError) as caught:
            pipeline_run.run_pipeline(out, data_dir=data, runner=fake_runner(calls, fake), **options)
        assert str(caught.value) == (f"{out}: holds a run on the dataset {fake / 'data'}, and {this}: give --data "
                                     f"{fake / 'data'} to add to that run, or give --out a new folder")
    assert calls == ["rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    pipeline_run.run_pipeline(out, data_dir=fake / "data", runner=fake_runner(calls, fake), **options)  # its own resumes it
    assert calls == ["rgb", "rgb"] and len(list((out / "stages").iterdir())) == 1
    assert json.loads((out / "pipeline.json").read_text())["data"] == str(fake / "data")


def test_the_started_record_names_a_dataset_inside_out_relative_to_it(tmp_path):
    # as pipeline.json does: a stopped run moved with its dataset inside it still names that dataset
    out = tmp_path / "run"
    (out / "given").mkdir(parents=True)
    earlier_run.record_start(out, {"preset": "tiny", "seed": 0}, out / "given", built=False)
    assert json.loads((out / earlier_run.STARTED).read_text())["data"] == "given"
    moved = out.rename(tmp_path / "moved")
    assert earlier_run.run_dataset(moved) == (moved / "given", False)
    (moved / earlier_run.STARTED).write_text(json.dumps({"config": {}, "data": "given"}))  # not as evface writes it
    with pytest.raises(FormatError, match=rf"{earlier_run.STARTED}: not as evface writes it \(has no 'built'\)"):
        earlier_run.run_dataset(moved)


@pytest.mark.parametrize("config, said", [({"preset": "tiny", "seed": "0"}, "'seed' is '0', not of type int"),
                                          ({"preset": "tiny", "seed": True}, "'seed' is True, not of type int"),
                                          ({"preset": 3, "seed": 0}, "'preset' is 3, not of type str"),
                                          ({"seed": 0}, "has no 'preset'"),
                                          ([1], "'config' is [1], not of type dict"),
                                          (None, "has no 'config'")])
def test_a_started_record_whose_options_are_not_as_evface_writes_them_is_refused_naming_it(tmp_path, config, said):
    # a started.json seed of "0" refused a resume with --seed 0 as 'made with --seed 0, not --seed 0', and a
    # config that was no object (or none) was taken as no options: a resume with any --preset or --seed trained
    fake, out, calls, options = _a_run_killed_in_its_rgb_stage(tmp_path)
    record = json.loads((out / earlier_run.STARTED).read_text())
    record.pop("config") if config is None else record.update(config=config)
    (out / earlier_run.STARTED).write_text(json.dumps(record))
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(FormatError) as caught:
        pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **options)
    assert str(caught.value) == f"{out / earlier_run.STARTED}: not as evface writes it ({said})"
    assert calls == ["rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def test_a_started_record_whose_dataset_is_gone_names_the_dataset_of_the_run_it_let_in(tmp_path, monkeypatch):
    # a started.json naming a dataset since deleted (or a build stopped before it made OUT/data) let a resume on
    # d2 in, as it should, but kept naming the gone one: stopped again, a resume on d3 (or building its own)
    # was let in too and trained stages/rgb-<d3 key> beside those of d2
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []
    for name in ("d1", "d2", "d3"):
        shutil.copytree(fake / "data", tmp_path / name)
    options = dict(preset="tiny", jobs=1, only=["rgb"])
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(out, data_dir=tmp_path / "d1", runner=fake_runner(calls, fake, kill_at="rgb"), **options)
    shutil.rmtree(tmp_path / "d1")
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(out, data_dir=tmp_path / "d2", runner=fake_runner(calls, fake, kill_at="rgb"), **options)
    assert json.loads((out / earlier_run.STARTED).read_text())["data"] == str(tmp_path / "d2")
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(DatasetError, match=rf"^{out}: holds a run on the dataset {tmp_path / 'd2'}, and --data "
                                           rf"{tmp_path / 'd3'} is another: give --data {tmp_path / 'd2'} to add"):
        pipeline_run.run_pipeline(out, data_dir=tmp_path / "d3", runner=fake_runner(calls, fake), **options)
    assert calls == ["rgb", "rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    built = tmp_path / "built"  # a build stopped before it made its dataset, then a run on d2 stopped

    def stopped_build(*args, **kwargs):
        raise Killed("synth")

    monkeypatch.setattr(pipeline_run, "synthesize", stopped_build)
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(built, runner=fake_runner(calls, fake), **options)
    with pytest.raises(Killed):
        pipeline_run.run_pipeline(built, data_dir=tmp_path / "d2", runner=fake_runner(calls, fake, kill_at="rgb"), **options)
    with pytest.raises(DatasetError, match=rf"^{built}: holds a run on the dataset {tmp_path / 'd2'}, and this run "
                                           r"\(no --data\) would build its own"):
        pipeline_run.run_pipeline(built, runner=fake_runner(calls, fake), **options)


def test_a_run_killed_while_it_wrote_its_started_record_is_resumed(tmp_path):
    # a first run killed (kill -9, the OOM killer) while it wrote started.json left OUT holding only that
    # record's temporary file: the resume with the same options was refused as 'holds files but no evface
    # run ...; give --out a new folder'
    import subprocess
    import sys

    from evface.io import temporary_files

    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out, calls = tmp_path / "out", []
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = out / f"{earlier_run.STARTED}.{temporary_files._HOST}-{int(gone.stdout)}-0123abcd.tmp"
    out.mkdir()
    left.write_text('{"config": {"pre')
    pipeline_run.run_pipeline(out, preset="tiny", data_dir=fake / "data", jobs=1, runner=fake_runner(calls, fake),
                              only=["rgb"])
    assert calls == ["rgb"] and not left.exists() and (out / "pipeline.json").is_file()


@pytest.mark.parametrize("text, said", [("{not json", "not valid JSON (Expecting property name"),
                                        ('{"config": {"preset": "tiny"', "not valid JSON (Expecting ',' delimiter"),
                                        ("", "not valid JSON (Expecting value"),
                                        ("null", "not as evface writes it (expected a JSON object, got None)"),
                                        ("[1, 2]", "not as evface writes it (expected a JSON object, got [1, 2])"),
                                        ('{"config": {}, "data": 3, "built": false}', "not as evface writes it ('data' is 3"),
                                        ('{"config": {}, "data": "d", "built": "no"}', "not as evface writes it ('built' is 'no'")])
def test_a_damaged_started_record_is_refused_naming_it(tmp_path, text, said):
    # probed: each is one line naming OUT/started.json before anything is written
    fake, out, calls, options = _a_run_killed_in_its_rgb_stage(tmp_path)
    (out / earlier_run.STARTED).write_text(text)
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(FormatError, match=f"^{re.escape(f'{out / earlier_run.STARTED}: {said}')}"):
        pipeline_run.run_pipeline(out, runner=fake_runner(calls, fake), **options)
    assert calls == ["rgb"] and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
