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
