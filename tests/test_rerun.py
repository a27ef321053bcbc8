"""Reruns: the same command on the same inputs with the same seed writes the same bytes, but for the
fields that time it (docs/architecture.md, "If I rerun, what will match?").

Each test runs its commands twice into the same folder names (the first outputs moved aside before
the second run, as a reviewer reruns a study) and compares every file written: byte for byte, or,
for the files that record how long a step took, every field but those whose name ends in
``seconds``. The commands of the other tests' reproducibility checks (``synth``, ``simulate``,
``import corpus``, ``convert``) are not repeated here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.tasks import parallel

TIMED = {"metrics.json", "history.json", "part.json", "train.json", "checkpoint.pt", "held_out.pt"}
"""The files that record seconds: equal but for those fields."""


def _untimed(value: object) -> object:
    """``value`` without the fields whose name ends in ``seconds``, at any depth."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not str(k).endswith("seconds")}
    if isinstance(value, list | tuple):
        return [_untimed(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value


def _contents(path: Path) -> object:
    """What a file holds for the comparison: its bytes, or for a file of :data:`TIMED` its data
    without the time fields."""
    if path.name not in TIMED:
        return path.read_bytes()
    if path.suffix == ".pt":
        return _untimed(torch.load(path, weights_only=True))
    return _untimed(json.loads(path.read_text(encoding="utf-8")))


def _files(folder: Path) -> dict[str, object]:
    return {str(p.relative_to(folder)): _contents(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _twice(tmp_path: Path, monkeypatch, commands: list[list[str]]) -> tuple[dict, dict]:
    """Run ``commands`` in ``tmp_path/work`` twice, the first outputs moved aside in between; return
    the files of each run."""
    work = tmp_path / "work"
    runs = []
    for n in range(2):
        work.mkdir()
        monkeypatch.chdir(work)
        assert [main(args) for args in commands] == [0] * len(commands)
        runs.append(_files(work))
        work.rename(tmp_path / f"run{n}")
    return runs[0], runs[1]


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    return toy_dataset(tmp_path_factory.mktemp("toy") / "data")


def test_a_classification_its_evaluation_and_report_rerun_to_the_same_bytes(toy, tmp_path, monkeypatch):
    """A checkpoint carried the temporary name it was saved under (``best.pt.HOST-PID-RANDOM``, as
    the name of the archive's folder), so that two trainings to the same weights wrote different
    ``best.pt`` bytes; the report dated itself by the clock alone (``SOURCE_DATE_EPOCH`` now). A
    report is compared with one of the same folders: of a rerun, its training seconds differ."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    threads = 2  # not 1 (make test's workers run torch on 1, tests/conftest.py), so that a count recorded as 1 fails
    with parallel.torch_threads(threads):
        first, second = _twice(tmp_path, monkeypatch, [
            ["train", "classify", "--data", str(toy), "--out", "run", "--sensor", "lr", "--epochs", "2", "--size", "8",
             "--time-steps", "2", "--depth", "1", "--seed", "3"],
            ["eval", "run", "--data", str(toy), "--out", "eval"],
            ["report", "run", "--out", "report.html"],
            ["report", "run", "--out", "again.html"]])
    assert sorted(first) == sorted(second) and "run/best.pt" in first
    assert [name for name in first if first[name] != second[name] and not name.endswith(".html")] == []
    assert first["report.html"] == first["again.html"] and b"generated 2023-11-14 22:13 UTC" in first["report.html"]
    # what it trained on, recorded: a rerun elsewhere gives it (OMP_NUM_THREADS)
    assert first["run/held_out.pt"]["torch_threads"] == threads and first["run/metrics.json"]["torch_threads"] == [threads]


def test_a_reconstruction_reruns_to_the_same_bytes(toy, tmp_path, monkeypatch):
    first, second = _twice(tmp_path, monkeypatch, [
        ["train", "reconstruct", "--data", str(toy), "--out", "run", "--sensor", "lr", "--epochs", "1", "--size", "16",
         "--base", "2", "--no-e2vid", "--seed", "3", "--threads", "1"]])
    assert {"run/best.pt", "run/scores.csv", "run/apex.png"} <= set(first) and sorted(first) == sorted(second)
    assert first["run/part.json"]["torch_threads"] == 1 and first["run/metrics.json"]["torch_threads"] == [1]
    assert [name for name in first if first[name] != second[name]] == []
