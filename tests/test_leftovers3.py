"""Training and metrics leftovers: a refused resume names the options typed and both values, ``--threads``
past the CPUs this process may use is capped with a warning, Ctrl-C under torchrun says "interrupted" once,
the image metrics refuse inputs whose score would mean nothing, and a received run's config.json holding a
value refused today is one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.commands.train import threads_within_cpus
from evface.datasets.toy import toy_dataset
from evface.errors import ParameterError
from evface.tasks import run_folder, run_resume
from evface.tasks.configs import ReconstructConfig
from evface.tasks.image_metrics import image_metrics, mse, psnr, ssim, ssim_map

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


def test_ctrl_c_under_torchrun_says_interrupted_once(tmp_path):
    """Ctrl-C in the terminal reaches torchrun and both ranks: each rank printed "interrupted" (was: twice)."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed next to the interpreter")
    data = toy_dataset(tmp_path / "data")
    path = os.pathsep.join([str(Path(__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])
    proc = subprocess.Popen([str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "evface.cli", "train",
                             "classify", "--data", str(data), "--out", str(tmp_path / "run"), *TINY, "--epochs", "500",
                             "--patience", "500"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path})
    try:
        said = []
        while not (said and said[-1].startswith("epoch")):  # training: both ranks are in the fit loop
            said.append(proc.stderr.readline())
            assert said[-1], "".join(said)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends its foreground process group
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    lines = "".join(said).splitlines() + rest.splitlines()
    assert lines.count("interrupted") == 1, rest[-3000:]


def test_threads_past_the_cpus_of_the_process_are_capped_with_one_warning(tmp_path, capsys):
    """``--threads 1024`` on 2 CPUs trained 8x slower (torch's threads waiting for each other); now capped at the
    CPUs this process may use, with a warning naming both, and the run records the count it trained on."""
    cpus = len(os.sched_getaffinity(0))
    data, run = toy_dataset(tmp_path / "data"), tmp_path / "run"
    assert main(["train", "classify", "--data", str(data), "--out", str(run), *TINY, "--threads", "1024"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warned == [f"warning: --threads 1024: more than the {cpus} CPU{'s' if cpus > 1 else ''} this process may "
                      f"use; training on {cpus} threads (more would only wait for each other)"]
    assert json.loads((run / "config.json").read_text())["threads"] == cpus
    assert json.loads((run / "metrics.json").read_text())["torch_threads"] == [cpus]


def test_a_later_rank_leaves_the_threads_warning_to_rank_0(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank, warned in (("1", 0), ("0", 1)):
        monkeypatch.setenv("RANK", rank)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            assert threads_within_cpus(8, cpus=2) == 2
        assert len(said) == warned


@pytest.mark.parametrize("metric", [ssim, psnr, ssim_map])
def test_ssim_and_psnr_refuse_images_outside_their_data_range_by_name(metric):
    """8-bit grey levels at the default data_range of 1 scored a SSIM of 0.99 and a PSNR of -20 dB without a word."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (2, 16, 16)).astype(float)
    pred = np.clip(truth + rng.normal(0, 10, truth.shape), 0, 255)
    for a, b, name, span in ((pred, truth / 255, "a", "0..255"), (truth / 255, truth - 128, "b", "-128..127")):
        low, high = span.split("..")
        with pytest.raises(ParameterError, match=rf"^{name} holds intensities {low}(\.\d+)?\.\.{high}(\.\d+)?, outside "
                                                 r"\[0, data_range\] = \[0, 1\]; give the data_range of the images "
                                                 r"\(255 for 8-bit grey levels\), or scale them into it$"):
            metric(a, b)
    np.testing.assert_allclose(metric(pred, truth, 255), metric(pred / 255, truth / 255), rtol=1e-9, atol=1e-12)
    assert mse(pred, truth).shape == (2,)  # an error in the images' own units: any scale


def test_image_arguments_of_other_types_or_shapes_are_named():
    """Were "images must hold real numbers" and "images have shapes ...", naming neither argument."""
    with pytest.raises(ParameterError, match=r"^b: images must hold real numbers, got dtype complex128$"):
        ssim(np.zeros((16, 16)), np.zeros((16, 16)) + 1j)
    with pytest.raises(ParameterError, match=r"^pred, truth: images have shapes \(2, 16, 16\) and \(1, 16, 16\)"):
        image_metrics(np.zeros((2, 16, 16)), np.zeros((1, 16, 16)))
