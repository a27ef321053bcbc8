"""tools/run_stage.py: one stage of a preset, its folds in processes side by side, pooled as
``evface run`` pools them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evface.datasets.synth import synthesize

from report_fixtures import make_fake_run

TOOL = Path(__file__).resolve().parents[1] / "tools" / "run_stage.py"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=600)


def test_one_reconstruction_stage_with_changed_settings_trains_every_fold(tmp_path: Path) -> None:
    data = synthesize(tmp_path / "tiny", preset="tiny", seed=0, subjects=3, classes=["AU4"], lighting=["bright"])
    # --jobs 2: two processes side by side, one of them training a second part after its first (a
    # third process, all at once, was three more seconds of torch's imports and no other path)
    done = _run(data, tmp_path / "run", "recon-extrapolation-hd", "--preset", "tiny", "--set", "folds=3",
                "--set", "step_us=100000", "--threads", "1", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "3 parts to train" in done.stdout
    assert all(f"fold{k}: trained in" in done.stdout for k in range(3))
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "run" / "stages" and folder.name.startswith("recon-extrapolation-hd-")
    config = json.loads((folder / "config.json").read_text())
    assert (config["folds"], config["step_us"], config["epochs"]) == (3, 100000, 1)  # changed, changed, the preset's
    metrics = json.loads((folder / "metrics.json").read_text())
    assert len(metrics["folds"]) == 3 and metrics["n_subjects"] == 3
    assert sorted(s for f in metrics["folds"] for s in f["test"]) == ["s000", "s001", "s002"]


def _refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """The one line the tool's ``main`` stops with for ``args`` (exit 2, as evface's commands),
    run in this process (a child process per call took 3 s of imports; the test above runs the
    tool as a script)."""
    spec = importlib.util.spec_from_file_location("run_stage_tool", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, "argv", [str(TOOL), *map(str, args)])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    said = capsys.readouterr().err
    assert stopped.value.code == 2 and said.startswith("error: ") and said.count("\n") == 1, said
    return said.rstrip("\n")


def test_an_unknown_stage_or_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    said = _refused(monkeypatch, capsys, tmp_path, tmp_path / "run", "recon-nothing", "--preset", "tiny")
    assert "recon-extrapolation-hd" in said and "events-hd" in said
    said = _refused(monkeypatch, capsys, tmp_path, tmp_path / "run", "recon-extrapolation-hd", "--preset", "tiny", "--set", "steps=3")
    assert "--set steps: not a setting of reconstruct" in said
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Path:
    """A fake run of 3 subjects (report_fixtures.make_fake_run): its dataset is the DATA the tool is given."""
    return make_fake_run(tmp_path_factory.mktemp("fake") / "fake", subjects=3)


def test_run_stage_refuses_a_bad_argument_in_one_line_before_writing(tmp_path, fake, monkeypatch, capsys):
    # each was a traceback (exit 1) after OUT/stages/NAME-KEY was made, or OUT written into
    data, out = fake / "data", tmp_path / "run"
    stage = ("rgb", "--preset", "tiny")
    assert _refused(monkeypatch, capsys, data, out, *stage, "--set", "folds=abc") == (
        "error: --set folds must be an integer, got 'abc'")
    assert _refused(monkeypatch, capsys, data, out, *stage, "--set", "input=foo").startswith(
        "error: --set input must be one of its settings, not 'foo'; choose from events,")
    assert _refused(monkeypatch, capsys, tmp_path / "nowhere", out, *stage) == (
        f"error: {tmp_path / 'nowhere'}: no such dataset folder")
    assert _refused(monkeypatch, capsys, data, out, *stage, "--jobs", "-2") == (
        "error: --jobs -2: give 0 (the default) or more")
    assert not out.exists()
    assert _refused(monkeypatch, capsys, data, data / "clips", *stage).startswith(
        f"error: {data / 'clips'}: inside the dataset folder {data} (it holds dataset.json)")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert _refused(monkeypatch, capsys, data, mine, *stage) == (
        f"error: {mine}: holds files but no evface run (no pipeline.json, stages or data); give OUT a new folder")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in data.iterdir()) == ["clips", "dataset.json", "manifest.csv"]
