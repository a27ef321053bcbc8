"""The torch threads a training ran on, recorded where each model trains and in the run's summary
(docs/architecture.md, "If I rerun, what will match?"): another count changes the weights in the last
digits of a float, and a run's ``config.json`` records only the setting (``threads`` 0: half the
cores), so a reviewer rerunning a study elsewhere could not match it, nor tell why it differs. A run
made before evface recorded the count still evaluates and reports. ``evface train classify --threads N``
trains on N (0: the process's count, as before it had the option), and a run made before the option still
resumes; ``evface run``'s stage folders keep their names. ``evface eval`` scores a run on the count it scored
itself on (``threads`` 0: the one count it records), so a stage of ``evface run`` is scored on its jobs' share.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.pipeline.stage_plan import Stage, plan
from evface.pipeline.stage_steps import POOL, START, run_step, timed
from evface.report.run_pairs import hd_vs_lr_event_comparisons
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
                                               "not a list of counts of threads (whole numbers from 1 to 1024))")
    assert not Path("bad").exists()
    Path("run/train.json").write_text(trained, encoding="utf-8")

    for name in ("part.json", "train.json", "metrics.json"):
        _without_threads(Path("run", name))
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
    assert "torch_threads" not in _json(Path("ev/metrics.json"))
    assert main(["report", "run", "--out", "old.html"]) == 0
    assert "torch_threads" not in Path("old.html").read_text(encoding="utf-8")



CLASSIFY = ["train", "classify", "--out", "run", "--sensor", "lr", "--epochs", "1", "--size", "8", "--time-steps", "2",
            "--depth", "1"]
"""A tiny classification (``--data`` added by each test)."""


def test_train_classify_threads_sets_the_count_every_model_trains_on_and_records_it(toy, tmp_path, monkeypatch):
    """``--threads 1`` under a caller of 2: the model trains on 1 (``held_out.pt``, ``metrics.json``), the
    caller keeps its 2, ``config.json`` records the setting. A resume given another ``--threads`` is let in,
    as a reconstruction's is (the count is not part of what the run is): the trained model is not trained
    again and its record stays. ``--threads 0`` (the default) leaves the caller's count: 2. Was: no
    ``--threads``, only ``OMP_NUM_THREADS``."""
    monkeypatch.chdir(tmp_path)
    train = [*CLASSIFY, "--data", str(toy)]
    with parallel.torch_threads(2):
        assert main([*train, "--threads", "1"]) == 0
        assert torch.get_num_threads() == 2
        assert checkpoints.load_checkpoint(Path("run/held_out.pt"))["torch_threads"] == 1
        assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
        assert _json(Path("run/config.json"))["threads"] == 1
        trained = Path("run/held_out.pt").read_bytes()
        assert main([*train, "--threads", "2"]) == 0  # resumed: nothing to train
        assert Path("run/held_out.pt").read_bytes() == trained
        assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
        assert main([*CLASSIFY[:3], "zero", *CLASSIFY[4:], "--data", str(toy), "--threads", "0"]) == 0
        assert checkpoints.load_checkpoint(Path("zero/held_out.pt"))["torch_threads"] == 2
        assert _json(Path("zero/metrics.json"))["torch_threads"] == [2]
        assert torch.get_num_threads() == 2


@pytest.mark.parametrize(("value", "problem"), [
    ("-1", "must be >= 0, got -1"),
    ("x", "Input should be a valid integer, unable to parse string as an integer, got 'x'"),
    ("1025", "must be <= 1024, got 1025"),
])
def test_train_classify_refuses_a_thread_count_naming_the_option(toy, tmp_path, monkeypatch, capsys, value, problem):
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main([*CLASSIFY, "--data", str(toy), "--threads", value]) == 2
    assert capsys.readouterr().err.strip() == (f"error: Invalid value for '--threads': {problem}; "
                                               "try 'evface train classify -h'")
    assert not Path("run").exists()


def test_a_classification_made_before_the_threads_option_still_resumes(toy, tmp_path, monkeypatch):
    """A run whose ``config.json`` has no ``threads`` (made before the option): resumed as it is, with
    ``--threads 1`` too, and its ``config.json`` then records the setting."""
    monkeypatch.chdir(tmp_path)
    train = [*CLASSIFY, "--data", str(toy)]
    with parallel.torch_threads(1):
        assert main(train) == 0
    config = _json(Path("run/config.json"))
    Path("run/config.json").write_text(json.dumps({k: v for k, v in config.items() if k != "threads"}), encoding="utf-8")
    trained = Path("run/held_out.pt").read_bytes()
    assert main(train) == 0
    assert main([*train, "--threads", "1"]) == 0
    assert Path("run/held_out.pt").read_bytes() == trained
    assert _json(Path("run/config.json"))["threads"] == 1
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0


def test_evface_run_keeps_the_folders_of_its_stages():
    """The classification stages' configurations hold no ``threads`` (0, the process's: the job's share), so
    the folders of ``--preset quick``'s stages are those it had before the option (resumed, not trained again);
    but ``rgb-flow``'s, which names its optical flow since TV-L1 became the default (DIS before: not that stage)."""
    assert [s.dirname for s in plan("quick", None, Path("runs/quick"))[1]] == [
        "stages/synth-3e43de2f8c", "stages/events-hd-1a7edfd1f4", "stages/events-lr-ec99b73f9a", "stages/rgb-335283c713",
        "stages/rgb-flow-1b38f8cff7", "stages/recon-extrapolation-hd-48ece5e931"]


def test_hd_and_lr_runs_on_other_thread_counts_are_still_paired(tmp_path, monkeypatch):
    """The report pairs event runs that differ only in the sensor: the torch threads they trained on (or a
    run made before ``threads`` was a setting, which has none) are not a difference, as the device is not.
    Was: an lr run trained with ``--threads 1`` (or any run made after the option, beside one made before)
    was no pair."""
    monkeypatch.chdir(tmp_path)
    runs = []
    for name, threads in (("hd", {}), ("lr", {"threads": 1})):
        Path(name).mkdir()
        runs.append({"name": name, "dir": name, "config": {"input": "events", "sensor": name, "width": 8, **threads}})
    assert [(c["a"], c["b"]) for c in hd_vs_lr_event_comparisons(runs)] == [("hd", "lr")]


def test_a_reconstruction_scores_its_test_subjects_on_its_threads_not_the_callers(toy, tmp_path, monkeypatch):
    """``evface train reconstruct --threads 1`` under a caller of 1 and of 2 threads: the same weights and
    the same ``metrics.json``, which the run's own evaluation writes on the run's count. Was: the evaluation
    ran on the caller's threads after the training's were set back, and its SSIMs differed in their last
    digits (the recorded ``torch_threads`` [1] did not reproduce the run)."""
    monkeypatch.chdir(tmp_path)
    for run, caller in (("one", 1), ("two", 2)):
        with parallel.torch_threads(caller):
            assert main(["train", "reconstruct", "--data", str(toy), "--out", run, "--sensor", "lr", "--epochs", "1",
                         "--size", "32", "--base", "8", "--k-samples", "2", "--threads", "1"]) == 0
    assert Path("one/best.pt").read_bytes() == Path("two/best.pt").read_bytes()
    untimed = [{k: v for k, v in _json(Path(run, "metrics.json")).items() if not k.endswith("seconds")}
               for run in ("one", "two")]  # the time fields differ (docs/architecture.md)
    assert untimed[0] == untimed[1]
    with parallel.torch_threads(2):  # evface eval scores on the run's threads too (was: the caller's)
        assert main(["eval", "one", "--data", str(toy), "--out", "ev"]) == 0
        assert torch.get_num_threads() == 2
    assert _json(Path("ev/metrics.json"))["methods"] == untimed[0]["methods"]


def _scoring_counted(monkeypatch) -> list[int]:
    """The torch threads of each classification scoring from here on (``classify._mean_predictions``), in order."""
    from evface.tasks import classify

    scored_on: list[int] = []
    mean_predictions = classify._mean_predictions

    def counting(*args, **kwargs):
        scored_on.append(torch.get_num_threads())
        return mean_predictions(*args, **kwargs)

    monkeypatch.setattr(classify, "_mean_predictions", counting)
    return scored_on


def test_a_classification_is_evaluated_on_its_threads(toy, tmp_path, monkeypatch):
    """``evface eval`` of a run trained with ``--threads 1``, under a caller of 2: its models score on 1, as they
    predicted their test subjects in training, and the caller keeps 2; a run of ``--threads 0`` on the caller's."""
    monkeypatch.chdir(tmp_path)
    scored_on = _scoring_counted(monkeypatch)
    with parallel.torch_threads(2):
        for run, threads in (("run", "1"), ("zero", "0")):
            assert main([*CLASSIFY[:3], run, *CLASSIFY[4:], "--data", str(toy), "--threads", threads]) == 0
            assert main(["eval", run, "--data", str(toy), "--out", f"{run}-ev"]) == 0
        assert torch.get_num_threads() == 2
    assert scored_on == [1, 2]



RECON_STAGE = {"sensor": "lr", "epochs": 1, "size": 32, "base": 8, "k_samples": 2}
"""A tiny reconstruction stage's settings (``threads`` 0, as ``evface run``'s presets leave it)."""


def _stage_on(stage: Stage, run: Path, threads: int, pool_threads: int) -> None:
    """Every step of ``stage`` in ``run``, as ``evface run`` gives each job its share of the cores: its parts on
    ``threads`` torch threads, its pooling on ``pool_threads`` (another ``--jobs`` where the run was resumed)."""
    parts = timed(run_step, stage, run, START, threads)[1]
    for part in parts:
        timed(run_step, stage, run, part, threads)
    timed(run_step, stage, run, POOL, pool_threads)


@pytest.mark.parametrize("pool_threads", [1, 2])
def test_evface_eval_of_a_reconstruction_stage_scores_it_on_the_count_its_jobs_trained_on(toy, tmp_path, monkeypatch,
                                                                                          pool_threads):
    """A stage of ``evface run`` (``threads`` 0) whose parts trained on 1 thread, pooled on 1 or (resumed with
    another ``--jobs``) 2, evaluated where half the cores are 2: the pooling and ``evface eval`` both score on
    the parts' recorded count, and the evaluation's figures are the run's ``metrics.json``'s, bit for bit.
    Was: ``evface eval`` on :func:`~evface.tasks.reconstruct.default_threads`, the pooling on its job's
    count, and their SSIMs differed in the last digits."""
    from evface.tasks import reconstruct

    monkeypatch.chdir(tmp_path)
    _stage_on(Stage("recon", "reconstruct", {"data": str(toy), **RECON_STAGE}), tmp_path / "run", 1, pool_threads)
    assert _json(Path("run/train.json"))["torch_threads"] == [1]
    monkeypatch.setattr(reconstruct, "default_threads", lambda: 2)  # half the cores of a machine of 4
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
    assert _json(Path("ev/metrics.json"))["methods"] == _json(Path("run/metrics.json"))["methods"]


def test_a_reconstruction_resumed_elsewhere_scores_itself_on_the_count_its_parts_trained_on(toy, tmp_path, monkeypatch):
    """``evface train reconstruct`` (``--threads 0``: half the cores) trained where that is 1, resumed where it is
    2 (nothing left to train, scored again): the run and ``evface eval`` score on the parts' 1, and agree bit for
    bit. Was: the run scored itself on the resuming machine's 2, ``evface eval`` on the parts' 1."""
    from evface.tasks import reconstruct

    monkeypatch.chdir(tmp_path)
    train = ["train", "reconstruct", "--data", str(toy), "--out", "run", "--sensor", "lr", "--epochs", "1", "--size",
             "32", "--base", "8", "--k-samples", "2"]
    monkeypatch.setattr(reconstruct, "default_threads", lambda: 1)
    assert main(train) == 0
    monkeypatch.setattr(reconstruct, "default_threads", lambda: 2)
    assert main(train) == 0
    assert _json(Path("run/train.json"))["torch_threads"] == [1]
    assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
    assert _json(Path("ev/metrics.json"))["methods"] == _json(Path("run/metrics.json"))["methods"]


def test_evface_eval_of_a_classification_stage_scores_it_on_the_count_its_jobs_trained_on(toy, tmp_path, monkeypatch):
    """A classification stage of ``evface run`` (``threads`` 0) whose job trained on 1 thread, evaluated by a
    process of 2: its models score on 1, as they predicted their test subjects, and its figures are the run's;
    where the run records several counts (resumed with another ``--jobs``) or none (made before 2026-12-06),
    on the process's 2. Was: always on the process's count. (At this size a count does not change a
    classification's figures, so the count is what is checked.)"""
    from evface.tasks import classify

    monkeypatch.chdir(tmp_path)
    settings = {"data": str(toy), "sensor": "lr", "epochs": 1, "size": 8, "time_steps": 2, "depth": 1}
    _stage_on(Stage("events-lr", "classify", settings), tmp_path / "run", 1, 1)
    assert _json(Path("run/metrics.json"))["torch_threads"] == [1]
    scored_on = _scoring_counted(monkeypatch)
    metrics = Path("run/metrics.json").read_text(encoding="utf-8")
    with parallel.torch_threads(2):
        assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
        for record in ({"torch_threads": [1, 2]}, {}):
            Path("run/metrics.json").write_text(json.dumps({k: v for k, v in json.loads(metrics).items()
                                                             if k != "torch_threads"} | record), encoding="utf-8")
            assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 0
        assert torch.get_num_threads() == 2
    assert scored_on == [1, 2, 2]
    assert classify.headline(_json(Path("ev/metrics.json"))) == classify.headline(json.loads(metrics))


def test_evface_eval_refuses_a_run_whose_recorded_threads_are_no_counts_in_one_line_naming_it(toy, tmp_path, monkeypatch,
                                                                                               capsys):
    """A received classification whose ``metrics.json`` records threads that are no counts torch takes, or more than
    ``--threads`` takes: ``evface eval`` (which scores on the run's count) says so in one line naming the file, exit 2,
    nothing written. Was: 2**31 an internal error from ``torch.set_num_threads`` (exit 1), 1025 scored on 1025."""
    monkeypatch.chdir(tmp_path)
    with parallel.torch_threads(1):
        assert main([*CLASSIFY, "--data", str(toy)]) == 0
    metrics = _json(Path("run/metrics.json"))
    for counts in ([2**31], [1025], [1, "2"]):
        Path("run/metrics.json").write_text(json.dumps({**metrics, "torch_threads": counts}), encoding="utf-8")
        capsys.readouterr()
        assert main(["eval", "run", "--data", str(toy), "--out", "ev"]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: run/metrics.json: not as evface writes it ('torch_threads' is {counts!r}, not a list of counts of "
            "threads (whole numbers from 1 to 1024))")
        assert not Path("ev").exists()
