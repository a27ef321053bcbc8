"""A hostile user's round on runs: commands into the folders of an ``evface run`` that is writing them."""

from __future__ import annotations

from evface.cli import main
from evface.commands.paths import sole_writer
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
