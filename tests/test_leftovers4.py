"""``evface run`` leftovers: under ``--jobs 1`` a stage is pooled as soon as its last part has trained, a stage
folder refused for its settings names what a user of ``evface run`` can do, and ``evface merge`` keeps every
synthetic input's skipped ``--faces`` files."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pytest

from evface.errors import ParameterError
from evface.pipeline import stage_plan, stage_steps
from evface.pipeline import run as pipeline_run

from report_fixtures import copy_fake_results, draw_each_figure_once, make_fake_run

PARTS = ("part-a", "part-b")


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    """Each run writes its report: its figures drawn once per test session (as in test_pipeline.py)."""
    draw_each_figure_once(monkeypatch)


def _finished(out: Path, names: dict[str, str], file: str) -> set[str]:
    """The stages (by ``names``: a stage's folder name to its name) whose folder in ``out`` holds ``file``."""
    return {names[p.parent.name] for p in (out / "stages").glob(f"*/{file}")}


def recording_runner(fake: Path, out: Path, names: dict[str, str], steps: list[tuple[str, str, set[str], set[str]]],
                     stage: stage_plan.Stage, run_dir: Path, step: str) -> list[str]:
    """A stage runner that trains nothing: every stage is two parts and a pooling (which writes the fake run's
    metrics.json); each step is recorded with the stages that had their ``stage.json`` and ``metrics.json`` then."""
    steps.append((stage.name, step, _finished(out, names, pipeline_run.STAGE_DONE), _finished(out, names, "metrics.json")))
    if step == stage_steps.START:
        return list(PARTS)
    if step == stage_steps.POOL:
        copy_fake_results(fake, stage, run_dir, step)
    return []


def test_under_jobs_1_each_stage_is_pooled_as_soon_as_its_last_part_has_trained(tmp_path):
    """Was: a stage's pooling queued behind every part then waiting, of every stage: no stage had its metrics.json
    or stage.json until the last parts of the run had trained, and an interruption lost every stage's pooling."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)  # run checks the quick preset's 3 subject folds
    out = tmp_path / "out"
    stages = stage_plan.plan("quick", fake / "data", out)[1]
    names = {Path(s.dirname).name: s.name for s in stages}
    steps: list[tuple[str, str, set[str], set[str]]] = []
    pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1,
                              runner=functools.partial(recording_runner, fake, out, names, steps))
    order = [(name, step) for name, step, _, _ in steps]
    assert sorted(order) == sorted((s.name, step) for s in stages for step in (stage_steps.START, *PARTS, stage_steps.POOL))
    # the reconstruction, the longest chain, still goes first
    assert order[:4] == [("recon-extrapolation-hd", step) for step in (stage_steps.START, *PARTS, stage_steps.POOL)]
    pooled: set[str] = set()
    for i, (name, step, done, metrics) in enumerate(steps):
        assert done == metrics == pooled, f"step {i} ({name}: {step})"  # every stage pooled before is finished
        if step == PARTS[-1]:
            assert order[i + 1] == (name, stage_steps.POOL), f"{name} not pooled after its last part: {order}"
        if step == stage_steps.POOL:
            pooled.add(name)
    first, second = [name for name, step in order if step == stage_steps.POOL][1:3]  # the first two classifications
    assert order.index((first, stage_steps.POOL)) < order.index((second, PARTS[0]))


@pytest.mark.filterwarnings("ignore:.*is shown by none of:UserWarning")  # the fake dataset's 6 clips in 3 folds
def test_a_stage_folder_trained_with_other_settings_names_what_a_user_of_evface_run_can_do(tmp_path):
    """A stage folder (keyed by the settings the preset gives) holding a run of other settings than this evface
    gives the stage (one a hand trained there, or an evface of other defaults): the refusal named evface train's
    options ("this run was trained with --size 32; given --size 64: give the run's settings, or --out a new
    folder"), which evface run takes none of."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    out = tmp_path / "out"
    stage = {s.name: s for s in stage_plan.plan("quick", fake / "data", out)[1]}["events-hd"]
    folder = (out / stage.dirname).absolute()
    other = replace(stage_plan.anywhere(stage), config={**stage_plan.anywhere(stage).config, "size": 32})
    assert stage_steps.run_step(other, folder)  # prepared with --size 32, its models left to train
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(ParameterError) as caught:
        pipeline_run.run_pipeline(out, data_dir=fake / "data", jobs=1, only=["events-hd"])
    assert str(caught.value) == (
        f"stage events-hd: {folder}: holds a run trained with other settings than this run gives the stage (size: 32 "
        "there, 64 here; its --preset and this evface's defaults set them, not options of evface run): give --out a "
        "new folder, or move this folder aside and the stage is trained anew")
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_a_merge_of_synthetic_datasets_keeps_every_inputs_skipped_faces_once(tmp_path, monkeypatch):
    """Was: the merged dataset.json had no ``skipped_faces`` (each input's list lay only in ``sources``), while
    ``synth-merge`` keeps its shards' (test_cluster_cpus.py::test_a_merge_lists_every_shards_skipped_faces_once_by_absolute_path)."""
    import cv2
    from skimage import data

    from evface.cli import main
    from evface.io.dataset import read_dataset_json

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "anna.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    (photos / "notes.txt").write_text("not an image")
    plan = ["--preset", "tiny", "--subjects", "0", "--classes", "AU4", "--lighting", "dim"]
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "a", *plan, "--faces", "photos"]) == 0
    (photos / "anna.png").rename(photos / "bob.png")  # another subject: clip ids of its own
    (photos / "extra.txt").write_text("not an image either")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["synth", "../b", *plan, "--faces", "../photos"]) == 0
    assert main(["merge", "../merged", "../a", "../b"]) == 0
    skipped = read_dataset_json(tmp_path / "merged")["skipped_faces"]
    assert [problem["file"] for problem in skipped] == [str(photos / "notes.txt"), str(photos / "extra.txt")]
    assert all(problem["reason"].startswith("skipped: not an image file") for problem in skipped)
    (photos / "bob.png").rename(photos / "carol.png")
    (photos / "more.txt").write_text("nor this")
    assert main(["synth", "../c", *plan, "--faces", "../photos"]) == 0
    assert main(["merge", "../all", "../merged", "../c"]) == 0  # a merge of a merge keeps them too
    skipped = read_dataset_json(tmp_path / "all")["skipped_faces"]
    assert [problem["file"] for problem in skipped] == [str(photos / name) for name in ("notes.txt", "extra.txt", "more.txt")]
