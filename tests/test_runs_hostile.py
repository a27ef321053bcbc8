"""A hostile user's round on runs: commands into the folders of an ``evface run`` that is writing them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evface.cli import main
from evface.commands.paths import sole_writer
from evface.errors import DatasetError
from evface.io.dataset import DatasetFolder, read_dataset_json
from evface.io.manifest import read_manifest
from evface.pipeline.earlier_run import record_start
from report_fixtures import make_fake_run


def test_a_command_into_a_stage_folder_of_a_run_going_on_is_refused(tmp_path, capsys):
    # was: let in while evface run held OUT (the lock was on the folder given alone), so that a
    # `train classify --out OUT/stages/STAGE` or an `eval STAGE` wrote the stage's checkpoints or scores
    # beside the run's own workers
    root = make_fake_run(tmp_path / "quick", subjects=3)
    stage = root / "stages" / "events-hd-0"
    before = sorted(p.name for p in stage.iterdir())
    said = (f"error: {stage}: inside {root}, which another evface command is writing into (evface run?); wait for it to "
            "finish or give --out another folder")
    with sole_writer(root):  # as evface run --out holds it
        assert main(["eval", str(stage), "--data", str(root / "data")]) == 2
        assert capsys.readouterr().err.strip() == said
        assert main(["train", "classify", "--data", str(root / "data"), "--out", str(stage)]) == 2
        assert capsys.readouterr().err.strip() == said
    assert sorted(p.name for p in stage.iterdir()) == before
    with sole_writer(stage):  # once the run has ended, the stage folder is anyone's again
        pass


def test_an_evaluation_inside_a_run_folder_is_refused_before_any_work(tmp_path, capsys):
    # was: written (e.g. into RUN/models/fold0-s1), and the model a later `--seeds 2` trained there was put
    # beside the evaluation's metrics.json, predictions.csv and seed_logits.csv without a word
    root = make_fake_run(tmp_path / "quick", subjects=3)
    stage = root / "stages" / "events-hd-0"
    for inside in (stage / "models" / "fold0-s1", stage / "evals" / "d2"):
        assert main(["eval", str(stage), "--data", str(root / "data"), "--out", str(inside)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: {inside}: inside the run folder {stage} (it holds config.json), where this evaluation would lie "
            "among that run's models; give --out a folder outside it")
        assert not inside.exists()


def test_a_run_folder_given_as_a_dataset_names_its_dataset(tmp_path, capsys):
    # was: `merge OUT A RUN` said "RUN/manifest.csv: no manifest: not an evface dataset folder" and `run --data RUN`
    # "RUN: holds no manifest.csv: not an evface dataset folder (--data)", neither naming RUN/data, the dataset
    root = make_fake_run(tmp_path / "quick", subjects=3)
    merged, out = tmp_path / "merged", tmp_path / "again"
    assert main(["merge", str(merged), str(root / "data"), str(root)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {root}: the output folder of evface run, not a dataset: give its "
                                               f"dataset, {root / 'data'}, as DATASET")
    assert main(["run", "--preset", "tiny", "--data", str(root), "--out", str(out), "--jobs", "1"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {root}: the output folder of evface run, not a dataset: give its "
                                               f"dataset, {root / 'data'}, as --data")
    on_given = tmp_path / "on-given"  # a run stopped early on a --data dataset: its record names that one
    on_given.mkdir()
    record_start(on_given, {"preset": "tiny", "seed": 0}, root / "data", built=False)
    assert main(["merge", str(merged), str(root / "data"), str(on_given)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {on_given}: the output folder of evface run, not a dataset: give "
                                               f"its dataset, {(root / 'data').absolute()}, as DATASET")
    assert not merged.exists() and not out.exists()


def test_a_run_folder_given_as_a_dataset_to_any_command_names_its_dataset(tmp_path, capsys):
    # was: "RUN/manifest.csv: no manifest: not an evface dataset folder" (train classify, train reconstruct, eval)
    # and "RUN/dataset.json: no dataset.json: not an evface dataset folder" (synth-merge), RUN/data not named
    root = make_fake_run(tmp_path / "quick", subjects=3)
    stage, out = root / "stages" / "events-hd-0", tmp_path / "out"
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    said = f"error: {root}: the output folder of evface run, not a dataset: give its dataset, {root / 'data'}, "
    for args, option in ((["train", "classify", "--data", str(root), "--out", str(out)], "as --data"),
                         (["train", "reconstruct", "--data", str(root), "--out", str(out)], "as --data"),
                         (["eval", str(stage), "--data", str(root), "--out", str(out)], "as --data"),
                         (["synth-merge", str(out), str(root)], "in its place")):
        assert main(args) == 2, args
        assert capsys.readouterr().err.strip() == said + option, args
    assert not out.exists() and {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == files
    for read in (DatasetFolder.open, read_dataset_json, read_manifest):  # every reader of a dataset folder
        with pytest.raises(DatasetError, match=f"^{re.escape(said[7:])}in its place$"):
            read(root)
    (root / "data").rename(tmp_path / "moved")  # its dataset gone: named as not there
    with pytest.raises(DatasetError, match=re.escape(f"its dataset ({root / 'data'}) is not there; give a dataset folder")):
        DatasetFolder.open(root)


def test_a_run_into_a_folder_inside_which_another_command_writes_is_refused(tmp_path, capsys):
    # was: `evface run --out OUT` started while `train --out OUT/stages/STAGE` (or an eval into it) went on: only the
    # folders above the one given were looked at, so the run trained that stage beside the other command
    root = make_fake_run(tmp_path / "quick", subjects=3)
    stage = root / "stages" / "events-hd-0"
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    args = ["run", "--preset", "tiny", "--data", str(root / "data"), "--out", str(root), "--jobs", "1"]
    for held in (stage, stage / "models"):  # the stage folder, or any folder deeper inside OUT
        with sole_writer(held):  # as `evface train --out` holds it
            assert main(args) == 2
            assert capsys.readouterr().err.strip() == (f"error: {root}: another evface command is writing into {held}, "
                                                       "inside it; wait for it to finish or give --out another folder")
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == files
    with sole_writer(root):  # once the other command has ended, OUT is the run's again
        pass


def test_a_run_is_refused_while_another_process_holds_a_stage_folder_of_its_out(tmp_path, capsys):
    # the same, the stage folder held by a second process as `evface train --out OUT/stages/STAGE` holds it
    root = make_fake_run(tmp_path / "quick", subjects=3)
    stage = root / "stages" / "events-hd-0"
    script = ("import sys; from pathlib import Path; from evface.commands.paths import sole_writer\n"
              "with sole_writer(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen([sys.executable, "-c", script, str(stage)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, env=env) as other:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        code = main(["run", "--preset", "tiny", "--data", str(root / "data"), "--out", str(root), "--jobs", "1"])
        other.communicate("", timeout=60)
    assert code == 2 and capsys.readouterr().err.strip() == (
        f"error: {root}: another evface command is writing into {stage}, inside it; wait for it to finish or give --out "
        "another folder")
