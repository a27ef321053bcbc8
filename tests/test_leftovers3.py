"""Training and metrics leftovers: a refused resume names the options typed and both values, ``--threads``
past the CPUs this process may use is capped with a warning, Ctrl-C under torchrun says "interrupted" once,
the image metrics refuse inputs whose score would mean nothing, and a received run's config.json holding a
value refused today is one line."""

from __future__ import annotations

import pytest

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.tasks import run_folder, run_resume
from evface.tasks.configs import ReconstructConfig

TINY = ["--sensor", "lr", "--epochs", "1", "--size", "8", "--depth", "1", "--width", "2", "--time-steps", "1",
        "--norm", "none", "--no-augment", "--device", "cpu", "--threads", "1"]


def test_a_resume_with_other_settings_names_the_options_typed_and_both_values(tmp_path, capsys):
    """Was "RUN: holds a run with other settings (learning_rate, size); choose a new --out folder or delete this
    one": the config's fields, not the options typed, and neither value."""
    data, run = toy_dataset(tmp_path / "data"), tmp_path / "run"
    assert main(["train", "classify", "--data", str(data), "--out", str(run), *TINY]) == 0
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*")}
    capsys.readouterr()
    assert main(["train", "classify", "--data", str(data), "--out", str(run), *TINY, "--size", "12",
                 "--learning-rate", "0.01", "--fixed-beta"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {run}: this run was trained with --learn-beta --learning-rate 0.005 --size 8; given --fixed-beta "
        "--learning-rate 0.01 --size 12: give the run's settings, or --out a new folder")
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*")} == before


def test_a_reconstruction_resume_names_its_options_alike(tmp_path):
    """The one message of both tasks (``run_resume.check_resume``): a switch by its on or off option, a text
    value as typed."""
    config = {"task": "reconstruct", "data": "data", **ReconstructConfig().to_dict()}
    run_folder.save_config(tmp_path, config)
    with pytest.raises(run_resume.ResumeRefused) as caught:
        run_resume.check_resume(tmp_path, {**config, "data": "my data", "e2vid": False, "protocol": "events-only",
                                           "size": 96})
    assert str(caught.value) == (f"{tmp_path}: this run was trained with --data data --e2vid --protocol extrapolation "
                                 "--size 128; given --data 'my data' --no-e2vid --protocol events-only --size 96: give "
                                 "the run's settings, or --out a new folder")
