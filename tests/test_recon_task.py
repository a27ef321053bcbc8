"""Frame reconstruction end to end: training, evaluation, resume, CLI (evface.tasks.reconstruct)."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from recon_fixtures import SENSOR_SCALE, make_clip, make_fake_dataset

from evface.cli import main
from evface.errors import ParameterError
from evface.tasks import engine
from evface.tasks.configs import ReconstructConfig
from evface.tasks.reconstruct import evaluate_run, sequences, throughput, train, train_and_evaluate

TINY = ReconstructConfig(size=16, n_bins=3, base=4, z_channels=2, batch_size=8, epochs=3, patience=0, k_samples=2,
                         seq_len=3, threads=1, device="cpu", val_fraction=0.25, test_fraction=0.25)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return make_fake_dataset(tmp_path_factory.mktemp("recon") / "data", n_subjects=4, clips_per_subject=1,
                             duration_us=300_000)


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_fake_clip_has_events_of_both_polarities():
    clip = make_clip("c", "s", "bright", 0, duration_us=100_000)
    for name in SENSOR_SCALE:
        p = clip.events[name]["p"]
        assert (p > 0).any() and (p < 0).any()
    assert clip.events["hd"].size > clip.events["lr"].size


def test_end_to_end_train_evaluate_resume(fake, tmp_path):
    run = tmp_path / "run"
    metrics = train_and_evaluate(fake, run, replace(TINY, keyframe=True))
    assert set(metrics["methods"]) == {"cvae", "cvae_mean2", "e2vid", "integration", "keyframe"}
    for m in metrics["methods"].values():
        assert 0.5 < m["ssim"] < 1 and 10 < m["psnr"] < 100  # near the target, yet not the target itself
        assert m["mse"] == pytest.approx(np.average([v["mse"] for v in m["per_lighting"].values()],
                                                    weights=[v["n"] for v in m["per_lighting"].values()]))
        assert set(m["per_sensor"]) == {"hd"} and set(m["per_lighting"]) <= {"bright", "dim"}
        assert sum(v["n"] for v in m["per_lighting"].values()) == m["n"] == metrics["n_samples"]
    on_disk = json.loads((run / "metrics.json").read_text())
    assert on_disk["methods"]["cvae"]["ssim"] == pytest.approx(metrics["methods"]["cvae"]["ssim"])
    assert (run / "strip.png").stat().st_size > 1000
    config = engine.load_config(run)
    assert config["task"] == "reconstruct" and config["keyframe"] is True
    assert set(config["split"]["test"]).isdisjoint(config["split"]["train"])
    history = json.loads((run / "history.json").read_text())
    assert len(history) == 3
    assert history[-1]["loss"] < history[0]["loss"]  # training lowers the loss
    assert min(h["kl"] for h in history) > 1e-3  # and the posterior does not collapse
    assert len(json.loads((run / "e2vid" / "history.json").read_text())) == 3
    # resume: a finished run is not trained again
    again = train(fake, run, replace(TINY, keyframe=True))
    assert again["cvae"]["epochs_run"] == 3
    assert len(json.loads((run / "history.json").read_text())) == 3
    # evaluation elsewhere leaves the run's metrics alone
    other = evaluate_run(run, fake, tmp_path / "eval")
    assert other["methods"]["keyframe"]["ssim"] == pytest.approx(metrics["methods"]["keyframe"]["ssim"])
    assert (tmp_path / "eval" / "metrics.json").exists()
    # resuming with other settings is refused, naming them
    with pytest.raises(ParameterError, match=r"other settings \(base\)"):
        train(fake, run, replace(TINY, keyframe=True, base=8))


def test_cli_reconstruct_and_eval(fake, tmp_path, capsys):
    run = tmp_path / "cli"
    args = ["train", "reconstruct", "--data", str(fake), "--out", str(run), "--sensor", "lr", "--target", "truth",
            "--epochs", "1", "--size", "16", "--n-bins", "2", "--base", "4", "--z-channels", "2", "--batch-size", "8",
            "--k-samples", "0", "--no-e2vid", "--threads", "1", "--device", "cpu"]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(printed) == {"cvae", "integration", "keyframe"}
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 0
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["target"] == "truth"
    assert main(["train", "reconstruct", "--data", str(fake), "--out", str(tmp_path / "bad"), "--sensor", "xx"]) == 2


def test_sequences_are_consecutive_within_clips(fake):
    from evface.io.dataset import DatasetFolder
    from evface.inputs.reconstruct import ReconSpec, build_samples

    s = build_samples(fake, DatasetFolder.open(fake).rows[:2], ReconSpec(sensor="lr", size=16))
    runs = sequences(s, 4)
    assert runs.shape[1] == 4
    for r in runs:
        assert len(set(s.meta["clip_id"][r])) == 1 and np.all(np.diff(s.seq[r]) == 1)


def test_unknown_sensor_and_throughput(tmp_path):
    with pytest.raises(ParameterError, match="sensor must be one of"):
        train(tmp_path, tmp_path / "run", replace(TINY, sensor="xx"))
    t = throughput(batch_size=2, size=16, n_bins=2, steps=1, base=4)
    assert t["cvae_train_samples_per_s"] > 0 and t["e2vid_infer_samples_per_s"] > 0


def test_on_synthetic_tiny_dataset(tmp_path):
    from evface.io.dataset import DatasetFolder
    from evface.inputs.reconstruct import ReconSpec, build_samples
    from evface.datasets.synth import synthesize
    from evface.tasks.image_metrics import ssim

    root = synthesize(tmp_path / "tiny", preset="tiny", seed=0, subjects=3, classes=["AU4"], lighting=["bright"])
    rows = DatasetFolder.open(root).rows
    for sensor in ("hd", "lr"):
        rgb = build_samples(root, rows, ReconSpec(sensor=sensor, size=32))
        truth = build_samples(root, rows, ReconSpec(sensor=sensor, size=32, target="truth"))
        # the registered RGB frame and the sensor's own clean frame show the same face in the same place
        assert ssim(rgb.target, truth.target).mean() > 0.6
        assert np.abs(rgb.voxel).sum() > 0
    metrics = train_and_evaluate(root, tmp_path / "run", replace(TINY, epochs=1, e2vid=False, size=32))
    test = engine.load_config(tmp_path / "run")["split"]["test"]
    assert metrics["subjects"] == test and len(test) == 1
    test_rows = [r for r in rows if r["subject"] in test]
    assert metrics["n_samples"] == len(build_samples(root, test_rows, ReconSpec(sensor="hd", size=32)))
