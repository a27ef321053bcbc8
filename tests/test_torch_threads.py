"""The torch threads a training ran on, recorded where each model trains and in the run's summary
(docs/architecture.md, "If I rerun, what will match?"): another count changes the weights in the last
digits of a float, and a run's ``config.json`` records only the setting (``threads`` 0: half the
cores), so a reviewer rerunning a study elsewhere could not match it, nor tell why it differs. A run
made before evface recorded the count still evaluates and reports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.tasks import checkpoints, parallel


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    return toy_dataset(tmp_path_factory.mktemp("toy") / "data")


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _without_threads(path: Path) -> None:
    """``path`` (a JSON file) as a run made before the threads were recorded wrote it."""
    record = _json(path)
    path.write_text(json.dumps({k: v for k, v in record.items() if k != "torch_threads"}
                               | ({"parts": [{k: v for k, v in p.items() if k != "torch_threads"} for p in record["parts"]]}
                                  if "parts" in record else {})), encoding="utf-8")


def test_a_classification_records_the_threads_its_models_trained_on_and_an_old_run_still_reads(toy, tmp_path, monkeypatch):
    """``evface train classify`` trains on the process's threads (``OMP_NUM_THREADS``; ``evface run``: the
    job's share): the model's ``held_out.pt`` records that count, the run's ``metrics.json`` its counts,
    an evaluation into the run keeps them and the report shows them beside the settings. Without them
    (a run made before): trained again it pools without them, evaluates and reports."""
    monkeypatch.chdir(tmp_path)
    train = ["train", "classify", "--data", str(toy), "--out", "run", "--sensor", "lr", "--epochs", "1", "--size", "8",
             "--time-steps", "2", "--depth", "1"]
    with parallel.torch_threads(1):
        assert main(train) == 0
    held_out = Path("run/held_out.pt")
    assert checkpoints.load_checkpoint(held_out)["torch_threads"] == 1
    assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
    assert main(["eval", "run", "--data", str(toy)]) == 0
    assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
    assert main(["report", "run", "--out", "report.html"]) == 0
    assert "&quot;torch_threads&quot;: [\n    1\n  ]" in Path("report.html").read_text(encoding="utf-8")

    old = {k: v for k, v in checkpoints.load_checkpoint(held_out).items() if k != "torch_threads"}
    checkpoints.save_checkpoint(held_out, old)
    _without_threads(Path("run/metrics.json"))
    with parallel.torch_threads(1):
        assert main(train) == 0  # its model trained: pooled again
    assert "torch_threads" not in _json(Path("run/metrics.json"))
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
    assert main(["report", "run", "--out", "old.html"]) == 0
    assert "torch_threads" not in Path("old.html").read_text(encoding="utf-8")


def test_a_reconstruction_records_the_threads_its_parts_trained_on_and_an_old_run_still_reads(toy, tmp_path, monkeypatch,
                                                                                             capsys):
    """``--threads 1`` under a caller of 2 threads: the part trains on 1, and its ``part.json``, the run's
    ``train.json`` (per part and the run's counts) and ``metrics.json`` say 1, as the report does. Without
    them (a run made before): it evaluates and reports. A received ``train.json`` whose threads are no counts:
    ``evface eval`` says so in one line naming it, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    with parallel.torch_threads(2):
        assert main(["train", "reconstruct", "--data", str(toy), "--out", "run", "--sensor", "lr", "--epochs", "1",
                     "--size", "16", "--base", "2", "--no-e2vid", "--k-samples", "0", "--threads", "1"]) == 0
        assert torch.get_num_threads() == 2
    train = _json(Path("run/train.json"))
    assert _json(Path("run/part.json"))["torch_threads"] == 1
    assert train["torch_threads"] == [1] and [p["torch_threads"] for p in train["parts"]] == [1]
    assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
    assert main(["report", "run", "--out", "report.html"]) == 0
    assert "&quot;torch_threads&quot;: [\n    1\n  ]" in Path("report.html").read_text(encoding="utf-8")
    capsys.readouterr()
    trained = Path("run/train.json").read_text(encoding="utf-8")
    Path("run/train.json").write_text(json.dumps({**train, "torch_threads": [0]}), encoding="utf-8")
    assert main(["eval", "run", "--data", str(toy), "--out", "bad"]) == 2
    assert capsys.readouterr().err.strip() == ("error: run/train.json: not as evface writes it ('torch_threads' is [0], "
                                               "not a list of counts of threads (whole numbers of at least 1))")
    assert not Path("bad").exists()
    Path("run/train.json").write_text(trained, encoding="utf-8")

    for name in ("part.json", "train.json", "metrics.json"):
        _without_threads(Path("run", name))
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
    assert "torch_threads" not in _json(Path("ev/metrics.json"))
    assert main(["report", "run", "--out", "old.html"]) == 0
    assert "torch_threads" not in Path("old.html").read_text(encoding="utf-8")

