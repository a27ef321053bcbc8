"""A checkpoint records the run it was trained in: another stage's ``best.pt`` copied into a run is
refused by the commands that load it (``evface eval``, ``export-nir``), naming both files and the setting."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from evface.cli import main
from evface.tasks.checkpoints import NEW_OUT
from test_classify import SMALL, make_fake_dataset

pytestmark = pytest.mark.xdist_group("checkpoint-records")
"""One worker builds the module's runs once."""


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A dataset and two runs on it, as evface run's events-lr and events-hd stages (one epoch each)."""
    from evface.tasks.classify import train_and_evaluate  # lazy: torch for this module's runs only

    root = tmp_path_factory.mktemp("stages")
    data = make_fake_dataset(root / "data")
    runs = []
    for sensor in ("lr", "hd"):
        run = root / "stages" / f"events-{sensor}-0"
        train_and_evaluate(data, run, replace(SMALL, input="events", sensor=sensor, epochs=1))
        runs.append(run)
    return data, runs[0], runs[1]


def test_another_stages_best_checkpoint_is_refused_by_eval_and_export(stages, tmp_path, capsys):
    # was: events-lr's best.pt copied over events-hd's (the same network) evaluated and exported as events-hd's
    data, lr, hd = stages
    copy = tmp_path / "events-hd-0"
    shutil.copytree(hd, copy)
    assert main(["eval", str(copy), "--data", str(data), "--out", str(tmp_path / "ev")]) == 0  # its own: scored
    capsys.readouterr()
    shutil.copy(lr / "best.pt", copy / "best.pt")
    said = (f"error: {copy / 'best.pt'}: was trained with --sensor lr, and the run's {copy / 'config.json'} gives "
            f"--sensor hd: not a checkpoint of this run (another run's, copied here?); put this run's own back, or {NEW_OUT}")
    assert main(["eval", str(copy), "--data", str(data), "--out", str(tmp_path / "ev2")]) == 2
    assert capsys.readouterr().err.strip() == said
    assert main(["export-nir", str(copy), str(tmp_path / "net.nir")]) == 2
    assert capsys.readouterr().err.strip() == said
    assert not (tmp_path / "ev2").exists() and not (tmp_path / "net.nir").exists()
