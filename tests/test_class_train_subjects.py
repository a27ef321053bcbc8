"""A classification run records each model's training subjects in ``config.json``'s ``models``
(``train``, beside ``test`` and ``val``), so that a reader sees that no subject is in two of them
without inferring them; a ``config.json`` whose model trains on a subject it validates or tests on
is refused as one line naming the file; a run written before (no ``train``) still reads and resumes."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.io.dataset import DatasetFolder
from evface.tasks.classify import evaluate_run, train_and_evaluate
from evface.tasks.configs import ClassifyConfig

CFG = ClassifyConfig(sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none", augment=False,
                     device="cpu", folds=2, threads=1)
"""A tiny network, one epoch, two folds of the toy dataset's 4 subjects."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The toy dataset and a run of two folds trained on it."""
    root = tmp_path_factory.mktemp("trainsubj")
    data = toy_dataset(root / "data")
    train_and_evaluate(data, root / "run", CFG)
    return data, root / "run"


def _config(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


def _rewritten(run: Path, to: Path, change) -> Path:
    """A copy of ``run`` at ``to`` whose ``config.json`` is ``change`` of its own."""
    shutil.copytree(run, to)
    (to / "config.json").write_text(json.dumps(change(_config(to)), indent=2))
    return to


def _without_train(config: dict) -> dict:
    """``config`` as a run written before models recorded their training subjects holds it."""
    return {**config, "models": [{k: v for k, v in e.items() if k != "train"} for e in config["models"]]}


def test_every_model_records_its_training_subjects_apart_from_its_validation_and_test_ones(trained):
    data, run = trained
    subjects = sorted({str(r["subject"]) for r in DatasetFolder.open(data).rows})
    models = _config(run)["models"]
    assert len(models) == 2
    for entry in models:
        train, val, test = entry["train"], entry["val"], entry["test"]
        assert train == sorted(train) and train  # sorted names, like test and val
        assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
        assert sorted(train + val + test) == subjects  # every subject of the dataset, each once


def test_a_run_written_before_train_was_recorded_evaluates_and_resumes_as_before(trained, tmp_path, capsys):
    """A run whose entries lack ``train`` evaluates, compares and reports as the same run with them;
    resumed (with as many seeds or more) it is not refused, its models are not trained again, and
    its entries gain the training subjects of their folds."""
    data, run = trained
    old = _rewritten(run, tmp_path / "old", _without_train)
    fresh = evaluate_run(run, data, tmp_path / "fresh-ev")
    assert evaluate_run(old, data, tmp_path / "old-ev")["confusion_matrix"] == fresh["confusion_matrix"]
    assert main(["eval", str(old), "--data", str(data), "--out", str(tmp_path / "cli-ev")]) == 0
    assert main(["compare", str(old), str(run), "--out", str(tmp_path / "cmp.json")]) == 0
    assert main(["report", str(old), "--out", str(tmp_path / "r.html")]) == 0
    capsys.readouterr()
    trained_before = {e["dir"]: (old / e["dir"] / "best.pt").read_bytes() for e in _config(old)["models"]}
    train_and_evaluate(data, old, CFG)  # resumed: every model trained already, none again
    assert {d: (old / d / "best.pt").read_bytes() for d in trained_before} == trained_before
    assert _config(old)["models"] == _config(run)["models"]  # resumed, its models gain their training subjects
    grown = _rewritten(old, tmp_path / "grown", _without_train)
    train_and_evaluate(data, grown, replace(CFG, seeds=2))  # given more seeds: only the new ones train
    assert {d: (grown / d / "best.pt").read_bytes() for d in trained_before} == trained_before
    models = _config(grown)["models"]
    by_fold = {tuple(e["test"]): e["train"] for e in _config(run)["models"]}
    assert len(models) == 4 and all(e["train"] == by_fold[tuple(e["test"])] for e in models)


@pytest.mark.parametrize("change, said", [
    (lambda e: {**e, "train": [*e["train"], e["test"][0]]}, "subject {t} is in both 'train' and 'test'"),
    (lambda e: {**e, "train": [*e["train"], e["val"][0]]}, "subject {v} is in both 'train' and 'val'"),
    (lambda e: {**e, "train": "s0"}, "'train' is 's0', not a list of names"),
])
def test_a_config_json_whose_model_trains_on_a_subject_it_tests_is_one_line_naming_it(trained, tmp_path, capsys,
                                                                                      change, said):
    """Was: read without a word, a run that would leak a test subject into training taken as sound."""
    data, run = trained
    first = _config(run)["models"][0]
    bad = _rewritten(run, tmp_path / "bad", lambda c: {**c, "models": [change(c["models"][0]), *c["models"][1:]]})
    assert main(["eval", str(bad), "--data", str(data), "--out", str(tmp_path / "ev")]) == 2
    err = capsys.readouterr().err.strip()
    said = said.format(t=repr(first["test"][0]), v=repr(first["val"][0]))
    assert err.startswith(f"error: {bad}/config.json: not as evface writes it (") and said in err and "\n" not in err
    assert not (tmp_path / "ev").exists()
