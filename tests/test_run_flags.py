"""``evface run``'s options together, and ``tools/run_stage.py``'s arguments, as a user reaches for them:
each works and says what it did, or is refused in one line naming the option, before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evface.errors import DatasetError, ParameterError, byte_size
from evface.pipeline import run as pipeline_run
from evface.pipeline import stage_plan

from report_fixtures import copy_fake_results, draw_each_figure_once, make_fake_run



@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    draw_each_figure_once(monkeypatch)  # every finished run writes its report (report_fixtures.draw_each_figure_once)


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Path:
    """A fake run of 3 subjects, whose dataset the runs below train on (no stage trains: :func:`runner`)."""
    return make_fake_run(tmp_path_factory.mktemp("fake") / "fake", subjects=3)


def runner(calls: list[str], fake: Path):
    """A stage runner that copies the fake run's results, recording the stages it ran."""
    def run(stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
        calls.append(stage.name)
        copy_fake_results(fake, stage, run_dir, step)
        return []

    return run


@pytest.mark.parametrize("preset, only, said", [
    # was: "--stages rgb-diff: not a stage of this run (--preset quick); choose from ...", never saying which preset has it
    ("quick", "rgb-diff", "--stages rgb-diff (a stage of --preset full or paper): not a stage of this run (--preset quick); "),
    ("tiny", "rgb-flow", "--stages rgb-flow (a stage of --preset full, paper or quick): not a stage of this run "
                         "(--preset tiny); "),
    # was: the same, never naming --highspeed
    ("quick", "rgb-200, nope", "--stages rgb-200 (trained with --highspeed only), nope: not a stage of this run "
                               "(--preset quick); "),
    # was: "--stages (none): not a stage of this run"
    ("quick", " , ", "--stages names no stage; "),
])
def test_stages_that_another_option_would_plan_say_which_option(tmp_path, preset, only, said):
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as caught:
        pipeline_run.run_pipeline(out, preset=preset, only=only)
    assert str(caught.value).startswith(said) and "choose from events-hd," in str(caught.value)
    assert not out.exists()


def test_stages_naming_a_stage_the_given_dataset_leaves_out_says_why(tmp_path, fake, monkeypatch):
    # was: "--stages events-lr: not a stage of this run (--preset quick); choose from events-hd,...", on a dataset
    # without lr events, as if the preset had no such stage
    why = f"not every clip of {fake / 'data'} has lr events"

    def without_lr(data, stages, highspeed, log):
        return [s for s in stages if s.name != "events-lr"], {why: ["events-lr"]}

    monkeypatch.setattr(pipeline_run, "stages_the_data_allows", without_lr)
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as caught:
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, only="events-lr")
    assert str(caught.value).startswith(f"--stages events-lr (left out: {why}): not a stage of this run (--preset quick); "
                                        "choose from events-hd,rgb,")
    assert not out.exists()


def test_a_dataset_given_inside_out_is_not_taken_for_other_files(tmp_path, fake):
    # `--data OUT/mine --out OUT` was refused as "OUT: holds files but no evface run", while `--data OUT/data`
    # was let in and pipeline.json names a dataset inside OUT relative to it
    out, calls = tmp_path / "out", []
    shutil.copytree(fake / "data", out / "mine")
    pipeline_run.run_pipeline(out, data_dir=out / "mine", jobs=1, runner=runner(calls, fake), only="rgb, rgb")
    assert calls == ["rgb"]  # named twice, run once
    other = tmp_path / "other"
    shutil.copytree(fake / "data", other / "mine")
    (other / "notes.txt").write_text("mine")  # a folder of the user's files besides: never written into
    with pytest.raises(DatasetError, match=r"other: holds files but no evface run \(no pipeline.json, stages or data\); "
                                           r"give --out a new folder$"):
        pipeline_run.run_pipeline(other, data_dir=other / "mine", jobs=1, runner=runner(calls, fake))
    assert sorted(p.name for p in other.iterdir()) == ["mine", "notes.txt"]


def test_a_dataset_its_disk_cannot_hold_is_refused_after_its_first_clip(tmp_path, fake, monkeypatch):
    # was: nothing said of what the dataset takes, and a --preset paper build (about 95 GB) on a smaller disk
    # stopped hours in, at the first clip that could not be written
    free = 2_000_000  # bytes: less than the 11 tiny clips left take
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12, free))
    out, lines, calls = tmp_path / "out", [], []
    with pytest.raises(DatasetError) as caught:
        pipeline_run.run_pipeline(out, preset="tiny", jobs=1, runner=runner(calls, fake), log=lines.append, only="rgb")
    clips = list((out / "data" / "clips").glob("*.h5"))
    each = clips[0].stat().st_size
    assert len(clips) == 1 and calls == [] and not (out / "data" / "manifest.csv").exists()
    size = byte_size
    assert lines[-1] == (f"synth: 12 clips of about {size(each)} each (as those written): about {size(12 * each)}, "
                         f"2.0 MB free on the disk of {out / 'data'}")
    assert str(caught.value) == (f"{out / 'data'}: the 11 clips left to film take about {size(11 * each)} "
                                 f"(about {size(each)} each, as those written), and its disk has 2.0 MB free; "
                                 "free space, or build the dataset on a larger disk (the clips written are kept: "
                                 "the same command resumes)")


def test_seeds_past_the_largest_seed_are_refused_before_out_is_made(tmp_path, fake, capsys):
    # was: OUT, its started.json and stages/ made, "events-hd: queued", then the stage refused as it started
    # (without --data, after the dataset was built)
    from evface.cli import main

    out = tmp_path / "out"
    args = ["run", "--preset", "tiny", "--data", str(fake / "data"), "--out", str(out), "--jobs", "1", "--stages", "events-hd"]
    assert main([*args, "--seed", "2147483647", "--seeds", "2"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --seed 2147483647 with --seeds 2: the trainings' seeds would run to "
                                               "2147483648, past 2147483647; give --seed 2147483646 or less")
    assert not out.exists()


def test_the_progress_counts_the_stages_this_run_runs(tmp_path, fake):
    # was: `--stages rgb,events-hd` said "(1/9 stages done)", "(2/9 stages done)": every stage of the plan
    # counted, as were those done before
    out, calls, lines = tmp_path / "out", [], []
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner(calls, fake), only="rgb,events-hd",
                              log=lines.append)
    done = [line.partition("s (")[2] for line in lines if ": finished in " in line]
    assert sorted(calls) == ["events-hd", "rgb"] and done == ["1/2 stages done)", "2/2 stages done)"]
    calls.clear()
    lines.clear()
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, runner=runner(calls, fake), only="rgb,events-hd,rgb-flow",
                              log=lines.append)  # rgb and events-hd done before: skipped, not counted
    assert calls == ["rgb-flow"] and [line.partition("s (")[2] for line in lines if ": finished in " in line] == [
        "1/1 stage done)"]
