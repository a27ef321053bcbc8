"""tools/run_stage.py: one stage of a preset, its folds in processes side by side, pooled as
``evface run`` pools them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evface.datasets.synth import synthesize

TOOL = Path(__file__).resolve().parents[1] / "tools" / "run_stage.py"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=600)


def test_one_reconstruction_stage_with_changed_settings_trains_every_fold(tmp_path: Path) -> None:
    data = synthesize(tmp_path / "tiny", preset="tiny", seed=0, subjects=3, classes=["AU4"], lighting=["bright"])
    done = _run(data, tmp_path / "run", "recon-extrapolation-hd", "--preset", "tiny", "--set", "folds=3",
                "--set", "step_us=100000", "--threads", "1")
    assert done.returncode == 0, done.stderr
    assert "3 parts to train" in done.stdout
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "run" / "stages" and folder.name.startswith("recon-extrapolation-hd-")
    config = json.loads((folder / "config.json").read_text())
    assert (config["folds"], config["step_us"], config["epochs"]) == (3, 100000, 1)  # changed, changed, the preset's
    metrics = json.loads((folder / "metrics.json").read_text())
    assert len(metrics["folds"]) == 3 and metrics["n_subjects"] == 3
    assert sorted(s for f in metrics["folds"] for s in f["test"]) == ["s000", "s001", "s002"]


def test_an_unknown_stage_or_setting_is_named(tmp_path: Path) -> None:
    done = _run(tmp_path, tmp_path / "run", "recon-nothing", "--preset", "tiny")
    assert done.returncode != 0
    assert "recon-extrapolation-hd" in done.stderr and "events-hd" in done.stderr
    done = _run(tmp_path, tmp_path / "run", "recon-extrapolation-hd", "--preset", "tiny", "--set", "steps=3")
    assert done.returncode != 0 and "--set steps: not a setting of reconstruct" in done.stderr
    assert not (tmp_path / "run").exists()
