"""The optical flow of ``rgb-flow``: TV-L1 (the default, the micro-expression field's standard) or
OpenCV's DIS (``--flow dis``), in one convention; the setting reaching the samples; and runs
written before the setting (no ``flow`` in their ``config.json``), which ran DIS, read, evaluated,
compared and resumed as ``flow`` ``dis``."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from evface.cli import main
from evface.datasets.toy import toy_dataset
from evface.errors import ParameterError
from evface.inputs.classify import InputSpec
from evface.inputs.flow import FLOW_METHODS, dense_flow, flow_image, tvl1_flow
from evface.pipeline.stage_plan import Stage, plan
from evface.tasks.class_compare import compare_runs
from evface.tasks.classify import evaluate_run, load_run, prepare, train_and_evaluate
from evface.tasks.configs import ClassifyConfig
from evface.tasks.run_resume import ResumeRefused

CFG = ClassifyConfig(input="rgb-flow", sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none",
                     augment=False, device="cpu", folds=2, threads=1)
"""A tiny network, one epoch, two folds of the toy dataset's 4 subjects, on the flow of its 16 x 16 frames."""


def _pattern(dx: float, dy: float, side: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    return 0.5 + 0.2 * np.sin((xx - dx) / 4.0) * np.cos((yy - dy) / 5.0) + 0.05 * np.sin((xx - dx + yy - dy) / 7.0)


@pytest.mark.parametrize(("dx", "dy"), [(2.0, 0.0), (-1.5, 0.0), (0.0, 1.0), (1.0, -2.0)])
def test_tvl1_gives_the_flow_of_dis_in_its_axes_and_signs(dx, dy):
    """scikit-image's TV-L1 returns (rows, columns) = (v, u): taken as it comes, it would be the DIS
    flow's axes swapped. A pattern moved by (dx, dy): both methods give u = dx, v = dy."""
    onset, apex = _pattern(0, 0), _pattern(dx, dy)
    for flow in (tvl1_flow(onset, apex), dense_flow(onset, apex)):
        u, v = np.median(flow[16:48, 16:48], axis=(0, 1))
        assert flow.shape == (64, 64, 2) and flow.dtype == np.float32
        assert abs(u - dx) < 0.2 and abs(v - dy) < 0.2, (u, v)
    for method in FLOW_METHODS:  # the image of either: u, v in output pixels (64 -> 32: halved)
        image = flow_image(onset, apex, 32, method)
        assert abs(np.median(image[0, 8:24, 8:24]) - dx / 2) < 0.1 and abs(np.median(image[1, 8:24, 8:24]) - dy / 2) < 0.1


def test_the_flow_setting_reaches_the_samples(tmp_path):
    """A run with --flow tvl1 (the default) and one with --flow dis preprocess other inputs, each
    the flow image of its method; their config.json records the method in the settings and the spec."""
    data = toy_dataset(tmp_path / "data")
    inputs = {}
    for flow in FLOW_METHODS:
        prepare(data, tmp_path / flow, replace(CFG, flow=flow))
        inputs[flow] = torch.load(tmp_path / flow / "inputs.pt", weights_only=True)["x"].numpy()
        config = json.loads((tmp_path / flow / "config.json").read_text())
        assert config["flow"] == config["spec"]["flow"] == flow
    assert CFG.flow == "tvl1" and inputs["tvl1"].shape == inputs["dis"].shape
    assert not np.allclose(inputs["tvl1"], inputs["dis"], atol=1e-3)


@pytest.fixture(scope="module")
def old_runs(tmp_path_factory):
    """The toy dataset; a DIS rgb-flow run and an events run, each also as a run written before
    ``flow`` (the key taken out of its config.json and spec: ``old-dis``, ``old-events``)."""
    root = tmp_path_factory.mktemp("old")
    data = toy_dataset(root / "data")
    events = replace(CFG, input="events", flow="tvl1")
    for name, cfg in (("dis", replace(CFG, flow="dis")), ("events", events)):
        train_and_evaluate(data, root / name, cfg)
        old = shutil.copytree(root / name, root / f"old-{name}")
        config = json.loads((old / "config.json").read_text())
        del config["flow"], config["spec"]["flow"]
        (old / "config.json").write_text(json.dumps(config))
    return data, root


def test_a_run_written_before_the_flow_setting_reads_as_dis(old_runs):
    """Was: read with today's default, tvl1 (a DIS model evaluated on TV-L1 flow)."""
    data, root = old_runs
    config, cfg, _ = load_run(root / "old-dis")
    assert cfg.flow == "dis" and config["spec"]["flow"] == "dis"
    assert load_run(root / "old-events")[1].flow == "tvl1"  # other inputs ignore it: the default
    ours, theirs = (json.loads((root / name / "metrics.json").read_text()) for name in ("dis", "old-dis"))
    assert evaluate_run(root / "old-dis", data, root / "eval-old")["top1"] == ours["top1"] == theirs["top1"]


def test_a_run_written_before_the_flow_setting_compares_and_resumes_as_dis(old_runs):
    """Was: refused, "holds a run with other settings (flow, spec)", whatever --flow was given."""
    data, root = old_runs
    same = compare_runs(root / "old-dis", root / "dis")
    assert same["mcnemar"]["a_only"] == same["mcnemar"]["b_only"] == 0 and same["metrics"]["top1"]["diff"] == 0
    before = {p: p.stat().st_mtime_ns for p in (root / "old-dis").rglob("*.pt")}
    train_and_evaluate(data, root / "old-dis", replace(CFG, flow="dis"))  # resumed: nothing trained again
    assert {p: p.stat().st_mtime_ns for p in (root / "old-dis").rglob("*.pt")} == before
    assert json.loads((root / "old-dis" / "config.json").read_text())["flow"] == "dis"
    train_and_evaluate(data, root / "old-events", replace(CFG, input="events"))  # an events run: no --flow needed
    with pytest.raises(ResumeRefused, match=r"this run was trained with --flow dis; given --flow tvl1"):
        train_and_evaluate(data, root / "old-dis", CFG)  # TV-L1 models beside its DIS ones: refused


@pytest.mark.parametrize(("args", "says"), [
    (["--input", "rgb-flow", "--flow", "farneback"],
     "Invalid value for '--flow': must be one of its settings, not 'farneback'; choose from tvl1, dis"),
    (["--flow", "dis"], "error: --flow: not used by --input events, which would ignore it; leave it out"),
])
def test_a_bad_flow_is_refused_in_one_line_naming_the_option(tmp_path, capsys, args, says):
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err
    assert says in " ".join(err.replace("│", " ").split())
    assert not (tmp_path / "run").exists()
    with pytest.raises(ParameterError, match="^flow must be one of the optical flows, not 'DIS'; choose from tvl1, dis$"):
        InputSpec(kind="rgb-flow", flow="DIS")


def test_evface_run_trains_its_flow_arm_anew_not_an_earlier_runs_dis_stage():
    """The rgb-flow arms name the default flow in their configuration, so their folder's key is not
    that of an earlier run's stage (DIS, no ``flow``): was the same key, its DIS run skipped as done
    (or, stopped midway, refused on resuming) under the new default."""
    _, stages = plan("quick", None, Path("out"))
    for stage in (s for s in stages if s.config.get("input") == "rgb-flow"):
        earlier = Stage(stage.name, stage.task, {k: v for k, v in stage.config.items() if k != "flow"}, stage.root)
        assert stage.config["flow"] == ClassifyConfig.flow == "tvl1"
        assert earlier.dirname not in (stage.dirname, *stage.legacy_dirnames)
    assert all("flow" not in s.config for s in stages if s.config.get("input") not in (None, "rgb-flow"))
