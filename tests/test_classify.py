"""End-to-end tests of AU classification: training, evaluation, resume, DDP, CLI (inputs: tests/test_inputs.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder, write_dataset_json
from evface.io.manifest import write_manifest
from evface.errors import DatasetError, EvfaceWarning, ParameterError
from evface.events.core import make_events
from evface.tasks import checkpoints, run_clips, run_evaluation, run_folder
from evface.tasks.configs import ClassifyConfig

LABELS = ("AU1+2", "AU12", "AU4")
SENSORS = {"hd": (80, 60), "lr": (40, 30)}
BOXES = {"hd": [10, 5, 60, 50], "lr": [5, 3, 30, 25], "rgb": [8, 4, 48, 40]}
RGB_HW = (48, 64)
DURATION_US = 200_000
# where each class moves, as fractions of the face box (x0, y0, x1, y1)
REGIONS = {"AU1+2": (0.1, 0.05, 0.9, 0.3), "AU12": (0.2, 0.65, 0.8, 0.95), "AU4": (0.35, 0.2, 0.65, 0.45), "AU9": (0.3, 0.4, 0.7, 0.6)}


def _events(rng, label, sensor):
    w, h = SENSORS[sensor]
    bx, by, bw, bh = BOXES[sensor]
    x0, y0, x1, y1 = REGIONS[label]
    n_sig, n_bg = (1500, 300) if sensor == "hd" else (400, 80)
    t = np.concatenate([rng.normal(DURATION_US * 0.5, DURATION_US * 0.1, n_sig), rng.uniform(0, DURATION_US, n_bg)])
    x = np.concatenate([rng.uniform(bx + x0 * bw, bx + x1 * bw, n_sig), rng.uniform(0, w, n_bg)])
    y = np.concatenate([rng.uniform(by + y0 * bh, by + y1 * bh, n_sig), rng.uniform(0, h, n_bg)])
    p = np.where(rng.random(n_sig + n_bg) < 0.5, 1, -1)
    t = np.clip(t, 0, DURATION_US).astype(np.int64)
    order = np.argsort(t, kind="stable")
    return make_events(t[order], np.clip(x, 0, w - 1).astype(int)[order], np.clip(y, 0, h - 1).astype(int)[order], p[order])


def _frames(rng, label):
    n = 7
    t_us = np.arange(n, dtype=np.int64) * 33_333
    base = rng.uniform(60, 120)
    data = np.full((n, *RGB_HW, 3), base, dtype=np.float64)
    bx, by, bw, bh = BOXES["rgb"]
    x0, y0, x1, y1 = REGIONS[label]
    ys, xs = slice(int(by + y0 * bh), int(by + y1 * bh)), slice(int(bx + x0 * bw), int(bx + x1 * bw))
    for k in range(n):
        data[k, ys, xs] += 80 * np.sin(np.pi * k / (n - 1))
    data += rng.normal(0, 3, data.shape)
    return FrameSeries(np.clip(data, 0, 255).astype(np.uint8), t_us, np.full(n, 10_000, dtype=np.int64), fps=30.0)


def make_fake_dataset(root: Path, subjects=("s0", "s1", "s2", "s3", "s4"), labels=LABELS, per_class=2, seed=0,
                      lightings=("bright", "dim")) -> Path:
    """A tiny dataset folder with class-dependent events and RGB frames."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in subjects:
        for label in labels:
            for k in range(per_class):
                clip_id = f"{s}_{label.replace('+', 'p')}_{k}"
                lighting = lightings[k % len(lightings)]
                clip = Clip(
                    clip_id, s, label, [1], lighting, 60_000, 100_000, 140_000, DURATION_US,
                    events={name: _events(rng, label, name) for name in SENSORS},
                    sensors={name: SensorInfo(name, *size) for name, size in SENSORS.items()},
                    frames={"rgb": _frames(rng, label)},
                    calibration={"face_box": BOXES},
                )
                file = f"clips/{clip_id}.h5"
                write_clip(root / file, clip)
                rows.append({"clip_id": clip_id, "subject": s, "label": label, "aus": [1], "lighting": lighting,
                             "file": file, "onset_us": 60_000, "apex_us": 100_000, "offset_us": 140_000,
                             "duration_us": DURATION_US, "source": "test"})
    write_manifest(root, rows)
    write_dataset_json(root, {"generator": "test fake", "seed": seed})
    return root


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Path:
    return make_fake_dataset(tmp_path_factory.mktemp("fake"))


# --------------------------------------------------------------------------- training and evaluation

SMALL = ClassifyConfig(time_steps=4, size=16, depth=2, width=8, batch_size=6, learning_rate=0.01, device="cpu",
                       patience=0)
EVENTS_LR = replace(SMALL, input="events", sensor="lr", epochs=10)


pytestmark = pytest.mark.xdist_group("classify-trained")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`trained`) are built once (was: once in each worker, 6-11 s each; pytest < 9.2: tests/test_xdist_groups.py)."""


@pytest.fixture(scope="module")
def trained(fake, tmp_path_factory):
    from evface.tasks.classify import train_and_evaluate

    run = tmp_path_factory.mktemp("run")
    lines = []
    metrics = train_and_evaluate(fake, run, EVENTS_LR, log=lines.append)
    return run, metrics, lines


def test_train_beats_chance_and_writes_the_run_folder(trained, fake):
    run, metrics, lines = trained
    assert metrics["train_top1"] > 0.6  # chance is 1/3
    for name in ("config.json", "metrics.json", "best.pt", "checkpoint.pt", "history.json"):
        assert (run / name).exists(), name
    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "classify" and config["labels"] == sorted(LABELS)
    [model] = config["models"]
    assert model["dir"] == "." and len(model["test"]) == 1 and set(model["test"]).isdisjoint(model["val"])
    on_disk = json.loads((run / "metrics.json").read_text())
    for key in ("top1", "macro_f1", "uar", "uf1", "confusion_matrix", "per_lighting", "per_sensor",
                "spike_rate_per_layer", "synops", "ann_macs", "train_seconds", "ci", "n_subjects", "bootstrap"):
        assert key in on_disk, key
    assert on_disk["n_subjects"] == 1 and on_disk["protocol"] == "one subject split"
    assert set(on_disk["per_lighting"]) == {"bright", "dim"}
    assert all(set(v["ci"]) == {"top1", "uf1", "uar"} for v in on_disk["per_lighting"].values())
    lines_csv = (run / "predictions.csv").read_text().splitlines()
    assert lines_csv[0] == "clip_id,subject,lighting,label,onset_us,apex_us,offset_us,prediction"
    assert len(lines_csv) == 1 + on_disk["n"]
    manifest = {r["clip_id"]: r for r in DatasetFolder.open(fake).rows}
    for line in lines_csv[1:]:
        cid, *_, onset, apex, offset, _ = line.split(",")
        assert [int(onset), int(apex), int(offset)] == [manifest[cid][k] for k in ("onset_us", "apex_us", "offset_us")]
    assert len(on_disk["spike_rate_per_layer"]) == 4 and all(0 < r < 1 for r in on_disk["spike_rate_per_layer"])
    assert on_disk["spike_rate_layers"] == ["stem", "stage1", "stage1.block0.a", "stage1.block0.b"]
    assert np.sum(on_disk["confusion_matrix"]) == on_disk["n"] == 6
    assert any(line.startswith("epoch") for line in lines)
    # the summary gives the figures as the report and `evface eval` do (was: "6 clips of 1 subjects: top-1 0.500 ...")
    [said] = [line for line in lines if line.startswith(on_disk["evaluated_on"] + ": ")]
    assert re.fullmatch(re.escape(f"{on_disk['evaluated_on']}: top-1 % {100 * on_disk['top1']:.1f}, UF1 {on_disk['uf1']:.3f}, "
                                  f"UAR {on_disk['uar']:.3f} (6 clips of 1 subject); train top-1 % "
                                  f"{100 * on_disk['train_top1']:.1f}, ") + r"\d+ s; one test subject: no interval", said)


def test_eval_on_unseen_dataset_and_cli(trained, fake, tmp_path, capsys):
    from evface.cli import main

    run, _, _ = trained
    other = make_fake_dataset(tmp_path / "other", subjects=("t0", "t1"), seed=5, lightings=("office",))
    assert main(["eval", str(run), "--data", str(other), "--out", str(tmp_path / "ev")]) == 0
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    out, err = capsys.readouterr()
    printed = json.loads(out.strip().splitlines()[-1])
    assert printed == {k: m[k] for k in ("top1", "macro_f1", "uar", "uf1", "n")}
    # the figures for a reader as the report gives them (was: only the fractions of the JSON line)
    ci = m["ci"]
    said, figures = err.strip().splitlines()
    assert figures == (
        f"top-1 % {100 * m['top1']:.1f} [{100 * ci['top1'][0]:.1f}, {100 * ci['top1'][1]:.1f}], "
        f"UF1 {m['uf1']:.3f} [{ci['uf1'][0]:.3f}, {ci['uf1'][1]:.3f}], UAR {m['uar']:.3f} [{ci['uar'][0]:.3f}, "
        f"{ci['uar'][1]:.3f}] (12 clips of 2 subjects)")
    assert m["n"] == 12 and m["evaluated_on"] == (f"scored on {other} by the models trained on {fake.resolve()} (one "
                                                  "subject split): every clip by the model")
    assert said == f"{tmp_path / 'ev' / 'metrics.json'}: {m['evaluated_on']}"  # what was done, said
    assert set(m["per_sensor"]) == {"lr", "hd"} and set(m["per_lighting"]) == {"office"}
    assert m["top1"] > 1 / 3


def test_eval_and_export_of_a_run_with_a_cut_short_checkpoint_say_which_file(trained, fake, tmp_path, capsys):
    from evface.cli import main

    run = shutil.copytree(trained[0], tmp_path / "run")
    best = next(run.rglob("best.pt"))
    best.write_bytes(best.read_bytes()[:1000])  # an interrupted copy
    for args in (["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")], ["export-nir", str(run), str(tmp_path / "m.nir")]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {best}: not a checkpoint evface wrote: not a whole zip archive") and "\n" not in err
    assert not (tmp_path / "ev").exists() and not (tmp_path / "m.nir").exists()


def test_eval_into_the_run_folder_keeps_what_training_recorded(trained, tmp_path):
    """`evface eval RUN --data DATA` (import-guide 1.7) writes into RUN: the training's record in
    metrics.json (train top-1 and seconds, which the report shows, protocol, epochs) is kept
    (was: replaced by the evaluation's keys, and the report's "train top-1 %" and "train s" read "–")."""
    from evface.tasks.classify import evaluate_run

    run = shutil.copytree(trained[0], tmp_path / "run")
    before = json.loads((run / "metrics.json").read_text())
    evaluate_run(run)
    after = json.loads((run / "metrics.json").read_text())
    kept = {k: before[k] for k in ("train_top1", "train_seconds", "protocol", "folds", "seeds", "epochs_run")}
    assert {k: after.get(k) for k in kept} == kept and after["top1"] == before["top1"]


def test_an_eval_that_fails_before_its_last_file_leaves_the_earlier_predictions_and_metrics(trained, fake, tmp_path,
                                                                                           monkeypatch):
    """A full disk while seed_logits.csv is written (injected between predictions.csv and
    metrics.json): was the new evaluation's predictions.csv (of the other dataset) beside the earlier
    metrics.json; now all three stay the earlier ones, no temporary file is left, and the same
    evaluation runs again."""
    import errno

    from evface.tasks.classify import evaluate_run

    run, ev = trained[0], tmp_path / "ev"
    evaluate_run(run, fake, ev, cross_sensor=False)
    names = ("metrics.json", "predictions.csv", "seed_logits.csv")
    earlier = {name: (ev / name).read_bytes() for name in names}
    other = make_fake_dataset(tmp_path / "other", subjects=("t0", "t1"), seed=5, lightings=("office",))
    real_write_text = Path.write_text

    def full_disk_for_seed_logits(path, *args, **kwargs):
        if path.name.startswith("seed_logits.csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(path, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", full_disk_for_seed_logits)
        with pytest.raises(OSError, match="No space left"):
            evaluate_run(run, other, ev, cross_sensor=False)
    assert {name: (ev / name).read_bytes() for name in names} == earlier
    assert not list(ev.glob("*.tmp"))
    metrics = evaluate_run(run, other, ev, cross_sensor=False)
    assert json.loads((ev / "metrics.json").read_text())["data"] == metrics["data"] == str(other)
    assert len((ev / "predictions.csv").read_text().splitlines()) == 1 + metrics["n"]


def test_eval_with_an_unknown_class_is_a_clear_error(trained, tmp_path, capsys):
    from evface.cli import main
    from evface.tasks.classify import evaluate_run

    run, _, _ = trained
    odd = make_fake_dataset(tmp_path / "odd", subjects=("u0",), labels=("AU12", "AU9"), per_class=1)
    with pytest.raises(DatasetError, match=r"labels 'AU9' are not classes of this model"):
        evaluate_run(run, odd, tmp_path / "x")
    assert main(["eval", str(run), "--data", str(odd), "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == (  # what to do, said (was: only which labels)
        f"error: {odd}: labels 'AU9' are not classes of this model (it knows AU1+2, AU12, AU4); evaluate it "
        "on a dataset of these classes (--classes of evface synth and of evface import session/corpus picks a dataset's "
        f"classes), or train a model on this one (evface train classify --data {odd})")
    assert not (tmp_path / "x" / "metrics.json").exists()


def test_eval_never_writes_over_a_runs_results_or_a_users_files(trained, fake, tmp_path, capsys):
    from evface.cli import main
    from evface.tasks import run_evaluation

    run, _, _ = trained
    other = make_fake_dataset(tmp_path / "other", subjects=("t0",), seed=5, lightings=("office",))
    own = {name: (run / name).read_bytes() for name in ("metrics.json", "predictions.csv")}
    assert main(["eval", str(run), "--data", str(other)]) == 2
    err = capsys.readouterr().err
    assert f"{run}: holds the run's test results on the data it was trained on" in err and "--out" in err
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "predictions.csv").write_text("mine")
    assert main(["eval", str(run), "--data", str(other), "--out", str(papers)]) == 2
    assert "holds files but no evaluation" in capsys.readouterr().err
    assert (papers / "predictions.csv").read_text() == "mine"
    (papers / "metrics.json").write_text("[1, 2]")  # another tool's metrics (was: written over as an evaluation's)
    assert main(["eval", str(run), "--data", str(other), "--out", str(papers)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {papers}: holds a metrics.json that is no evaluation's (a JSON "
                                               "list, not an object); give --out a new folder")
    assert (papers / "metrics.json").read_text() == "[1, 2]"
    another_run = tmp_path / "another-run"
    another_run.mkdir()
    (another_run / "config.json").write_text("{}")
    (another_run / "metrics.json").write_text("{}")
    assert main(["eval", str(run), "--data", str(other), "--out", str(another_run)]) == 2
    assert "holds a training run" in capsys.readouterr().err
    assert main(["eval", str(run), "--data", str(other), "--out", str(run)]) == 2
    assert {name: (run / name).read_bytes() for name in own} == own
    assert (another_run / "metrics.json").read_text() == "{}"
    assert main(["eval", str(run), "--data", str(other), "--out", str(tmp_path / "ev")]) == 0
    assert main(["eval", str(run), "--data", str(other), "--out", str(tmp_path / "ev")]) == 0  # an evaluation's folder
    assert run_evaluation.evaluation_folder(run, fake, None) == run  # the run's own dataset: into the run folder
    # another run's evaluation, or an evaluation of another task (a folder from before "run" was recorded): kept
    twin = shutil.copytree(run, tmp_path / "twin")
    before = (tmp_path / "ev" / "metrics.json").read_bytes()
    capsys.readouterr()
    assert main(["eval", str(twin), "--data", str(other), "--out", str(tmp_path / "ev")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'ev'}: holds the evaluation of another run ({run})")
    assert (tmp_path / "ev" / "metrics.json").read_bytes() == before
    recon = tmp_path / "recon-ev"
    recon.mkdir()
    (recon / "metrics.json").write_text('{"task": "reconstruct"}')
    assert main(["eval", str(run), "--data", str(other), "--out", str(recon)]) == 2
    assert "holds the evaluation of a 'reconstruct' run, which this 'classify' run's would replace" in capsys.readouterr().err


def test_eval_on_other_clips_of_the_training_rows_never_replaces_the_runs_results(trained, fake, tmp_path, capsys):
    # `evface eval RUN --data D2`, D2 the training data rendered again (`evface synth --noise noisy`: the same manifest
    # rows, other clip files; here another seed of the fake data, whose rows do not depend on it), wrote its scores
    # over the run's own test results
    from evface.cli import main

    run = shutil.copytree(trained[0], tmp_path / "run")
    results = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    seed1 = make_fake_dataset(tmp_path / "seed1", seed=1)
    first = sorted(DatasetFolder.open(fake).rows, key=lambda r: r["clip_id"])[0]["file"]
    assert main(["eval", str(run), "--data", str(seed1)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {run}: holds the run's test results on the data it was trained on, which an evaluation on "
        f"{seed1.resolve()} would replace (its clips have the manifest rows of the training data but other files "
        f"(e.g. {seed1.resolve() / first}: rendered again, with other event noise or settings)); give --out a new folder")
    noisy = shutil.copytree(fake, tmp_path / "noisy")  # one clip's bytes changed, its size kept
    blob = bytearray((noisy / first).read_bytes())
    blob[-1] ^= 0xFF
    (noisy / first).write_bytes(bytes(blob))
    assert main(["eval", str(run), "--data", str(noisy), "--out", str(run)]) == 2
    assert f"(e.g. {noisy.resolve() / first}: rendered again" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == results
    assert main(["eval", str(run), "--data", str(seed1), "--out", str(tmp_path / "ev")]) == 0  # elsewhere: scored
    # the very clips, moved or copied (the run with them): into the run folder, the same results
    moved = shutil.copytree(fake, tmp_path / "moved")
    assert main(["eval", str(run), "--data", str(moved)]) == 0
    assert (run / "predictions.csv").read_bytes() == results["predictions.csv"]
    # a run made before data-clips.json held the files knows its data by the folder's path
    clips = json.loads((run / run_clips.CLIPS).read_text())
    (run / run_clips.CLIPS).write_text(json.dumps({k: v for k, v in clips.items() if k != "files"}))
    assert run_evaluation.evaluation_folder(run, fake, None) == run
    with pytest.raises(ParameterError, match=f"it is not the folder the run was trained on \\({fake.resolve()}; "):
        run_evaluation.evaluation_folder(run, moved, None)
    capsys.readouterr()
    (run / run_clips.CLIPS).write_text(json.dumps({**clips, "files": [["12", 0]] * len(clips["clips"])}))  # received
    assert main(["eval", str(run), "--data", str(fake)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {run / run_clips.CLIPS}: expected {{'columns'")


def _tampered(run: Path, to: Path, name: str, change) -> Path:
    shutil.copytree(run, to)
    obj = json.loads((to / name).read_text())
    (to / name).write_text(json.dumps(change(obj)))
    return to


TAMPERED_CONFIGS = [  # (change, message, whether export-nir reads it too)
    (lambda c: {k: v for k, v in c.items() if k != "net"}, "config.json: not as evface writes it (has no 'net')", True),
    (lambda c: {**c, "net": {**c["net"], "width": -3}},
     "config.json: not as evface writes it (NetConfig.width must be >= 1, got -3)", True),
    (lambda c: {**c, "models": [{**c["models"][0], "dir": "../../elsewhere"}]},
     "config.json: not as evface writes it (the folder '../../elsewhere' leaves the run folder)", True),
    (lambda c: {**c, "models": [{**c["models"][0], "seed": "0"}]},
     "config.json: not as evface writes it ('seed' is '0', not of type int)", False),
    (lambda c: [c], "config.json: expected a JSON object with a 'task' key", True),
]


@pytest.mark.parametrize("change, message, exported", TAMPERED_CONFIGS)
def test_a_received_run_with_a_malformed_config_is_one_error_line(trained, fake, tmp_path, capsys, change, message,
                                                                 exported):
    from evface.cli import main

    run = _tampered(trained[0], tmp_path / "run", "config.json", change)
    commands = [["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]]
    commands += [["export-nir", str(run), str(tmp_path / "run.nir")]] if exported else []
    for args in commands:
        assert main(args) == 2, args  # was exit 1 ("internal error: KeyError: 'net'") or an error naming no file
        assert capsys.readouterr().err.strip() == f"error: {run}/{message}"
    assert not (tmp_path / "ev").exists() and not (tmp_path / "run.nir").exists()


def test_a_received_checkpoint_of_another_network_is_one_error_line(trained, fake, tmp_path, capsys):
    from evface.cli import main

    run = shutil.copytree(trained[0], tmp_path / "run")
    torch.save({"model": {"x": torch.zeros(1)}}, run / "best.pt")
    for args in (["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")], ["export-nir", str(run), str(tmp_path / "n.nir")]):
        assert main(args) == 2  # was exit 1: "internal error: RuntimeError: Error(s) in loading state_dict" and 70 names
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {run}/best.pt: does not fit the run's network: ") and "\n" not in err
        assert err.endswith("weights missing (e.g. downs.0.conv.weight), 1 unknown weight (e.g. x); not a checkpoint of this run")


@pytest.mark.parametrize("name", ["config.json", "data-clips.json"])
def test_a_received_run_file_that_is_not_text_is_one_error_line(trained, fake, tmp_path, capsys, name):
    from evface.cli import main

    run = shutil.copytree(trained[0], tmp_path / "run")
    (run / name).write_bytes(b"\xff\xfe\x00 not text")
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 2  # was exit 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {run}/{name}: not valid JSON ('utf-8' codec can't decode") and "\n" not in err
    assert not (tmp_path / "ev").exists()


def test_a_report_of_a_run_with_malformed_files_is_one_error_line(trained, tmp_path, capsys):
    from evface.cli import main

    bad = _tampered(trained[0], tmp_path / "bad", "metrics.json", lambda m: {**m, "top1": "abc"})
    listed = _tampered(trained[0], tmp_path / "listed", "config.json", lambda c: [c])
    matrix = _tampered(trained[0], tmp_path / "matrix", "metrics.json", lambda m: {**m, "confusion_matrix": "x"})
    labels = _tampered(trained[0], tmp_path / "labels", "metrics.json", lambda m: {**m, "labels": 5})
    for run, message in ((bad, "metrics.json: not as evface writes it (value must be a number, got 'abc')"),
                         (listed, "config.json: expected a JSON object, got list: not a file evface wrote"),
                         (matrix, "metrics.json: not as evface writes it (could not convert string to float: 'x')"),
                         (labels, "metrics.json: not as evface writes it (object of type 'int' has no len())")):
        assert main(["report", str(trained[0]), str(run), "--out", str(tmp_path / "r.html")]) == 2  # was exit 1
        assert capsys.readouterr().err.strip() == f"error: {run}/{message}"
        assert not (tmp_path / "r.html").exists()
    assert main(["report", str(trained[0]), "--out", str(tmp_path / "r.html")]) == 0


def test_resume_after_finish_does_not_retrain(trained, fake):
    from evface.tasks.classify import train_and_evaluate

    run, metrics, _ = trained
    lines = []
    again = train_and_evaluate(fake, run, EVENTS_LR, log=lines.append)
    assert not any(line.startswith("epoch") for line in lines)
    assert again["top1"] == metrics["top1"] and again["best_epoch"] == metrics["best_epoch"]


@pytest.mark.parametrize("kind", ["rgb", "rgb-diff"])
def test_rgb_inputs_train(fake, tmp_path, kind):
    from evface.tasks.classify import train_and_evaluate

    m = train_and_evaluate(fake, tmp_path, replace(SMALL, input=kind, epochs=2))
    assert m["per_sensor"].keys() == {"rgb"}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["spec"]["kind"] == kind and config["net"]["in_channels"] == 1
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 2 and history[-1]["loss"] < history[0]["loss"]  # the frames reach the network


RANKS_APART = """import os, time
from pathlib import Path
from evface.tasks import run_resume
if os.environ.get("LOCAL_RANK") == "0":  # the first rank's config.json takes 3 s under its temporary name
    save_config = run_resume.save_config
    def slow_save(run_dir, *args, **kwargs):
        pending = Path(run_dir) / "config.json.host-1-abc.tmp"
        pending.write_text("{}")
        time.sleep(3)
        pending.unlink()
        return save_config(run_dir, *args, **kwargs)
    run_resume.save_config = slow_save
else:  # the second rank reads the run folder 1.5 s late, as a loaded machine may
    check_resume = run_resume.check_resume
    def late(*args, **kwargs):
        time.sleep(1.5)
        return check_resume(*args, **kwargs)
    run_resume.check_resume = late
"""


def test_ddp_two_cpu_processes(fake, tmp_path):
    """Two ranks train one run. The second reads the run folder while the first writes its config.json (was: the
    second saw the temporary file and refused "holds files but no evface training run": seen under load in a
    whole-suite run; the sitecustomize stretches that moment to seconds)."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed next to the interpreter")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(RANKS_APART)
    path = os.pathsep.join([str(tmp_path / "site"), *filter(None, [os.environ.get("PYTHONPATH")])])
    cmd = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "evface.cli", "train", "classify",
           "--data", str(fake), "--out", str(tmp_path / "run"), "--input", "events", "--sensor", "lr", "--epochs", "2",
           "--time-steps", "3", "--size", "16", "--depth", "2", "--width", "4", "--batch-size", "4", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path})
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["world_size"] == 2 and m["epochs_run"] == [2]
    assert proc.stderr.count("epoch   1") == 1  # rank 0 logs alone


def test_throughput_reports_samples_per_second():
    from evface.tasks.class_speed import throughput

    out = throughput(batch_size=2, time_steps=2, size=16, steps=1)
    assert out["events_train_samples_per_s"] > 0 and out["rgb_train_samples_per_s"] > 0
    assert out["events_ann_train_samples_per_s"] > 0


def test_resume_with_other_settings_is_refused(trained, fake):
    from evface.tasks.classify import train_and_evaluate

    run, _, _ = trained
    with pytest.raises(ParameterError, match=r"trained with --width 8; given --width 6"):
        train_and_evaluate(fake, run, replace(EVENTS_LR, width=6))


def test_resume_on_other_clips_is_refused_and_on_moved_clips_resumes(tmp_path):
    from evface.tasks.classify import train_and_evaluate

    data, run = tmp_path / "data", tmp_path / "run"
    make_fake_dataset(data, subjects=("s0", "s1", "s2"), per_class=1, lightings=("office",))
    cfg = replace(EVENTS_LR, epochs=1)
    first = train_and_evaluate(data, run, cfg)
    recorded = json.loads((run / run_clips.CLIPS).read_text())
    assert recorded["columns"][0] == "clip_id" and len(recorded["clips"]) == 9
    moved = data.rename(tmp_path / "moved")
    lines = []
    assert train_and_evaluate(moved, run, cfg, log=lines.append)["top1"] == first["top1"]  # resumed: nothing retrained
    assert not any(line.startswith("epoch") for line in lines)
    assert json.loads((run / "config.json").read_text())["data"] == str(moved.resolve())
    shutil.rmtree(moved)  # the same folder, refilled with clips filmed in other light (the same settings otherwise)
    make_fake_dataset(moved, subjects=("s0", "s1", "s2"), per_class=1, lightings=("dim",))
    with pytest.raises(ParameterError, match=f"{run}: holds a run started on other clips than {moved.resolve()}"):
        train_and_evaluate(moved, run, replace(cfg, epochs=2))
    assert json.loads((run / run_clips.CLIPS).read_text()) == recorded
    shutil.rmtree(moved)  # the same manifest rows, rendered with another seed: other clips too
    make_fake_dataset(moved, subjects=("s0", "s1", "s2"), per_class=1, lightings=("office",), seed=1)
    with pytest.raises(ParameterError, match="the manifest rows of the training data but other files"):
        train_and_evaluate(moved, run, cfg)  # was: resumed, the run's test scored again on these clips
    assert json.loads((run / run_clips.CLIPS).read_text()) == recorded



@pytest.mark.parametrize("record", ["rows", "none"])
def test_resuming_a_run_older_than_its_clip_record_warns_once(tmp_path, record):
    """A run made before data-clips.json (or before it held the clip files) resumed on whatever the
    dataset folder held now, and recorded those files as the run's without a word."""
    from evface.tasks.classify import train_and_evaluate

    data, run = tmp_path / "data", tmp_path / "run"
    make_fake_dataset(data, subjects=("s0", "s1", "s2"), per_class=1, lightings=("office",))
    cfg = replace(EVENTS_LR, epochs=1)
    first = train_and_evaluate(data, run, cfg)
    recorded = json.loads((run / run_clips.CLIPS).read_text())
    if record == "rows":
        (run / run_clips.CLIPS).write_text(json.dumps({k: v for k, v in recorded.items() if k != "files"}))
    else:
        (run / run_clips.CLIPS).unlink()
    lines: list[str] = []
    assert train_and_evaluate(data, run, cfg, log=lines.append)["top1"] == first["top1"]
    what = "clip files" if record == "rows" else "manifest rows and clip files"
    assert [line for line in lines if "warning" in line] == [
        f"warning: {run}: resumed on {data.resolve()} without checking its clips: the run is older than evface's "
        f"record of its {what} ({run_clips.CLIPS}), which holds those of {data.resolve()} from now on; if the "
        "dataset was built or imported again since the run started, delete the run or give a new --out folder"]
    assert json.loads((run / run_clips.CLIPS).read_text()) == recorded
    lines.clear()
    train_and_evaluate(data, run, cfg, log=lines.append)
    assert not [line for line in lines if "warning" in line]  # recorded now: checked, and said once only


def test_batchnorm_recalibration_uses_exact_training_statistics():
    from evface.models.snn import NetConfig, SpikingCNN
    from evface.tasks.class_predict import recalibrate_batchnorm

    cfg = NetConfig(in_channels=2, n_classes=3, time_steps=3, input_size=16, depth=2, width=4)
    torch.manual_seed(0)
    model = SpikingCNN(cfg).eval()
    x = np.random.default_rng(0).poisson(2.0, size=(10, 3, 2, 16, 16)).astype(np.float32)
    recalibrate_batchnorm(model, x, "events", torch.device("cpu"), batch_size=5)  # equal batches: exact mean
    with torch.no_grad():
        conv0 = model.downs[0].conv(torch.log1p(torch.from_numpy(x)).flatten(0, 1))
    torch.testing.assert_close(model.downs[0].norm.running_mean, conv0.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert model.downs[0].norm.momentum == 0.1 and not model.training


def test_kfold_tests_every_subject_once_and_pools_the_folds(fake, tmp_path):
    from evface.tasks.class_compare import compare_runs, read_predictions, read_seed_logits
    from evface.tasks.classify import evaluate_run, train_and_evaluate

    run = tmp_path / "k3"
    m = train_and_evaluate(fake, run, replace(EVENTS_LR, folds=3, seeds=2, epochs=1, width=4))
    assert m["folds"] == 3 and m["seeds"] == [0, 1] and m["n"] == 30 and m["n_subjects"] == 5
    assert m["protocol"] == "3-fold subject-grouped cross-validation" and len(m["top1_per_seed"]) == 2
    models = json.loads((run / "config.json").read_text())["models"]
    assert len(models) == 6 and len({e["dir"] for e in models}) == 6
    tests = [s for e in models if e["seed"] == 0 for s in e["test"]]
    assert sorted(tests) == ["s0", "s1", "s2", "s3", "s4"]  # every subject tested once, never in two folds
    assert all(set(e["test"]).isdisjoint(e["val"]) for e in models)
    weights = [checkpoints.load_checkpoint(run / e["dir"] / "best.pt")["model"]["downs.0.conv.weight"] for e in models[:2]]
    assert not torch.equal(*weights)  # the two seeds of a fold are two trainings
    same = evaluate_run(run, fake, tmp_path / "same", cross_sensor=False)
    assert same["confusion_matrix"] == m["confusion_matrix"]  # each clip scored by the models that never saw it
    assert (tmp_path / "same" / "predictions.csv").read_text() == (run / "predictions.csv").read_text()
    seeds = read_seed_logits(run)  # each seed's logits: their mean is the run's prediction
    assert seeds.seeds == (0, 1) and len(set(seeds.folds.values())) == 3
    predicted = {r["clip_id"]: r["prediction"] for r in read_predictions(run)}
    assert {c: seeds.labels[int(v.mean(0).argmax())] for c, v in seeds.logits.items()} == predicted
    assert read_seed_logits(tmp_path / "same").folds == seeds.folds
    assert compare_runs(run, tmp_path / "same")["trainings"] == {"a": 2, "b": 2}
    assert set(m["ci_trainings"]) == {"top1", "uf1", "uar"} and same["ci_trainings"] == m["ci_trainings"]
    assert same["top1_per_seed"] == m["top1_per_seed"]  # an evaluation sets its seeds side by side too
    assert all("ci_trainings" in part for part in m["per_lighting"].values())
    other = make_fake_dataset(tmp_path / "other", subjects=("t0",), seed=9, per_class=1)
    ens = evaluate_run(run, other, tmp_path / "ens", cross_sensor=False)
    assert ens["n"] == 3 and ens["evaluated_on"] == (f"scored on {other} by the models trained on {fake.resolve()} (3-fold "
                                                     "subject-grouped cross-validation): every clip by every model "
                                                     "(mean logits of 6 models)")
    assert set(read_seed_logits(tmp_path / "ens").folds.values()) == {"all"}

    # The same clips in another folder are still the run's own: each scored by the models that never saw its
    # subject (before, a moved or copied dataset was "another dataset": every clip scored by all six models,
    # four of which had trained on it)
    moved = shutil.copytree(fake, tmp_path / "moved")
    again = evaluate_run(run, moved, tmp_path / "moved-eval", cross_sensor=False)
    assert again["evaluated_on"] == same["evaluated_on"] == "every subject, 3-fold subject-grouped cross-validation (mean logits of 2 training seeds)"
    assert (tmp_path / "moved-eval" / "predictions.csv").read_text() == (run / "predictions.csv").read_text()
    assert run_evaluation.evaluation_folder(run, moved, None) == run  # the run's own clips: into the run folder
    # A dataset merged from the run's and other clips, the run's under other file names: each clip scored by the
    # models its subject allows
    mixed = tmp_path / "mixed"
    shutil.copytree(fake / "clips", mixed / "clips" / "from-fake")
    shutil.copytree(other / "clips", mixed / "clips", dirs_exist_ok=True)
    shutil.copy(fake / "dataset.json", mixed)
    write_manifest(mixed, [*({**r, "file": r["file"].replace("clips/", "clips/from-fake/")} for r in DatasetFolder.open(fake).rows),
                           *DatasetFolder.open(other).rows])
    mix = evaluate_run(run, mixed, tmp_path / "mixed-eval", cross_sensor=False)
    assert mix["n"] == 33 and mix["evaluated_on"] == (
        f"scored on {mixed} by the models trained on {fake.resolve()} (3-fold subject-grouped cross-validation): its 30 "
        "clips with the manifest rows of the training data each by the models that held out a subject of its name "
        "(mean logits of 2 training seeds); its 3 other clips by every model (mean logits of 6 models)")
    mixed_lines = (tmp_path / "mixed-eval" / "predictions.csv").read_text().splitlines()
    assert set((run / "predictions.csv").read_text().splitlines()) < set(mixed_lines)
    with pytest.raises(ParameterError, match="its manifest rows are not those the run was trained on"):
        run_evaluation.evaluation_folder(run, mixed, None)
    # The same manifest rows rendered again (another seed): each clip scored by the models that held out its subject,
    # and said so (evaluated_on read "every subject, 3-fold subject-grouped cross-validation", as if cross-validated
    # on these clips)
    seed1 = make_fake_dataset(tmp_path / "seed1", seed=1)
    again = evaluate_run(run, seed1, tmp_path / "seed1-eval", cross_sensor=False)
    assert again["evaluated_on"] == (
        f"scored on {seed1} by the models trained on {fake.resolve()} (3-fold subject-grouped cross-validation); its "
        "clips have the manifest rows of the training data, so each was scored by the models that held out a subject "
        "of its name (mean logits of 2 training seeds)")
    assert read_seed_logits(tmp_path / "seed1-eval").folds == seeds.folds
    # A run made before data-clips.json knows its dataset by its path only
    old = shutil.copytree(run, tmp_path / "old-run")
    (old / run_clips.CLIPS).unlink()
    assert evaluate_run(old, moved, tmp_path / "old-eval", cross_sensor=False)["evaluated_on"] == (
        ens["evaluated_on"].replace(str(other), str(moved)))
    assert evaluate_run(old, fake, tmp_path / "old-own", cross_sensor=False)["evaluated_on"] == same["evaluated_on"]


def test_loso_is_one_fold_per_subject(fake, tmp_path):
    from evface.tasks.class_run import protocol_parts

    rows = DatasetFolder.open(fake).rows
    name, parts = protocol_parts(replace(EVENTS_LR, loso=True), rows)
    assert name == "leave-one-subject-out"
    assert sorted(tuple({r["subject"] for r in p["test"]}) for p in parts) == [(f"s{i}",) for i in range(5)]
    with pytest.raises(ParameterError, match="choose one"):
        protocol_parts(replace(EVENTS_LR, loso=True, folds=2), rows)


def test_a_class_only_test_subjects_show_is_warned_of_once_naming_it_and_them(tmp_path):
    """A fold whose test subject held a class that its training subjects never show trained models
    that cannot predict it, without a word."""
    from evface.tasks.classify import prepare

    root = make_fake_dataset(tmp_path / "data", subjects=("s0", "s1", "s2", "s3"), labels=(*LABELS, "AU9"), per_class=1)
    write_manifest(root, [r for r in DatasetFolder.open(root).rows if r["label"] != "AU9" or r["subject"] == "s0"])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        prepare(root, tmp_path / "run", replace(SMALL, loso=True, seeds=2))
    assert [str(w.message) for w in said if w.category is EvfaceWarning] == [
        f"{root}: class 'AU9' of test subject s0 (fold0) is shown by none of that part's training subjects, so its "
        "models cannot learn it and miss its clips"]


@pytest.mark.parametrize("n, options, says", [
    (1, {"loso": True}, "--loso on 1 subject: each subject is tested by models trained and validated on others, so "
                        "it needs 3 or more; give --data a dataset of more subjects"),  # was "--folds 1: needs 2 <= folds"
    (2, {"loso": True}, "--loso on 2 subjects: fold 0 leaves 1 subject to validate and train on, too few at "
                        "--val-fraction 0.15; give a dataset of more subjects (--data)"),  # was "use fewer folds"
    (2, {"folds": 2}, "--folds 2 on 2 subjects: fold 0 leaves 1 subject to validate and train on, too few at "
                      "--val-fraction 0.15; give a dataset of more subjects (--data)"),
    (3, {"folds": 2}, "--folds 2 on 3 subjects: fold 0 leaves 1 subject to validate and train on, too few at "
                      "--val-fraction 0.15; give --loso or a dataset of more subjects (--data)"),
    (4, {"folds": 3, "val_fraction": 0.8}, "--folds 3 on 4 subjects: fold 0 leaves 2 subjects to validate and train "
                                           "on, too few at --val-fraction 0.8; give --loso or a smaller --val-fraction "
                                           "or a dataset of more subjects (--data)"),
    (4, {"folds": 5}, "--folds 5: needs 2 <= folds <= the number of subjects (4)"),
])
def test_folds_too_many_for_the_subjects_name_the_option_given_and_advice_that_can_be_followed(n, options, says):
    from evface.tasks.class_run import protocol_parts

    rows = [{"subject": f"s{i}", "clip_id": f"c{i}-{j}"} for i in range(n) for j in range(2)]
    with pytest.raises(ParameterError) as caught:
        protocol_parts(ClassifyConfig(**options), rows)
    assert str(caught.value) == says


def _write_predictions(run, rows, header="clip_id,subject,lighting,label,prediction"):
    run.mkdir(parents=True)
    lines = [header] + [",".join(r) for r in rows]
    (run / "predictions.csv").write_text("\n".join(lines) + "\n")


def test_compare_refuses_another_dataset_with_the_same_clip_names(tmp_path):
    from evface.tasks.class_compare import compare_runs

    header = "clip_id,subject,lighting,label,onset_us,apex_us,offset_us,prediction"
    clips = [(f"c{i}", f"s{i % 4}", "dim", f"L{i % 3}", str(1000 * i), str(1000 * i + 500), str(1000 * i + 900)) for i in range(12)]
    _write_predictions(tmp_path / "a", [(*c, c[3]) for c in clips], header)
    _write_predictions(tmp_path / "same", [(*c, "L0") for c in clips], header)  # another camera of the same clips
    assert compare_runs(tmp_path / "a", tmp_path / "same")["n"] == 12
    other_seed = [(*c[:5], str(int(c[5]) + 40_000), c[6], c[3]) for c in clips]
    _write_predictions(tmp_path / "other", other_seed, header)
    with pytest.raises(DatasetError, match="clip c0 has apex_us '40500' here but '500' .* different datasets"):
        compare_runs(tmp_path / "a", tmp_path / "other")
    _write_predictions(tmp_path / "old", [(*c[:4], c[3]) for c in clips])  # made before the times were written
    assert compare_runs(tmp_path / "old", tmp_path / "a")["n"] == 12


def test_compare_of_other_clips_says_how_to_pair_them(tmp_path):
    """A session's run against a run on the session merged with more clips: the refusal names the
    `evface eval` that scores the larger run on the session's clips (the run and the dataset from
    their metrics.json), whichever run is given first; runs without a shared subset are told to
    score both on one dataset."""
    from evface.tasks.class_compare import compare_runs

    clips = [(f"c{i}", f"s{i % 4}", "office", f"L{i % 2}") for i in range(12)]
    extra = [(f"x{i}", f"t{i % 3}", "dim", f"L{i % 2}") for i in range(6)]
    _write_predictions(tmp_path / "session", [(*c, c[3]) for c in clips])
    (tmp_path / "session" / "metrics.json").write_text(json.dumps({"data": "data/session01"}))
    _write_predictions(tmp_path / "on_merged", [(*c, "L0") for c in clips + extra])
    (tmp_path / "on_merged" / "metrics.json").write_text(json.dumps({"run": "runs/all_hd", "data": "data/all"}))
    hint = "evface eval runs/all_hd --data data/session01 --out DIR) and compare "
    for a, b in (("session", "on_merged"), ("on_merged", "session")):
        with pytest.raises(DatasetError, match=re.escape(hint + str(tmp_path / "session")) + " with DIR"):
            compare_runs(tmp_path / a, tmp_path / b)
    (tmp_path / "session" / "metrics.json").unlink()  # nothing recorded: the folder and a placeholder
    with pytest.raises(DatasetError, match=re.escape("(evface eval runs/all_hd --data DATA --out DIR)")):
        compare_runs(tmp_path / "session", tmp_path / "on_merged")
    _write_predictions(tmp_path / "elsewhere", [(*c, c[3]) for c in extra])  # no clip in common
    with pytest.raises(DatasetError, match="score both on one dataset"):
        compare_runs(tmp_path / "session", tmp_path / "elsewhere")


def test_compare_of_runs_that_held_out_other_subjects_of_their_dataset_says_how_to_pair_them(tmp_path):
    """A split run against a --loso run (or its evaluation) of one dataset: an evaluation on that
    dataset scores each run's held-out clips again, so the refusal says to hold out the same subjects
    (was: "score the --loso run on the dataset of the split run", which gave the same clips back)."""
    from evface.tasks.class_compare import compare_runs

    clips = [(f"c{i}", f"s{i % 4}", "office", f"L{i % 2}") for i in range(12)]
    _write_predictions(tmp_path / "split", [(*c, c[3]) for c in clips if c[1] == "s3"])
    _write_predictions(tmp_path / "loso", [(*c, "L0") for c in clips])
    _write_predictions(tmp_path / "eval", [(*c, "L0") for c in clips])
    for name, recorded in (("split", {}), ("loso", {}), ("eval", {"run": str(tmp_path / "loso")})):
        (tmp_path / name / "metrics.json").write_text(json.dumps({"data": "data/d", **recorded}))
    for name in ("split", "loso"):
        (tmp_path / name / "config.json").write_text("{}")
    advice = ("each tested the clips of data/d of the subjects its own training held out, which evface eval on data/d "
              "scores again: to pair them, train both holding out the same subjects (the same --seed and "
              "--test-fraction, --folds or --loso)")
    for a, b in (("split", "loso"), ("loso", "split"), ("split", "eval")):
        with pytest.raises(DatasetError, match=re.escape(advice)):
            compare_runs(tmp_path / a, tmp_path / b)
    (tmp_path / "loso" / "metrics.json").write_text(json.dumps({"data": "data/merged"}))  # the eval's run: trained elsewhere
    with pytest.raises(DatasetError, match=re.escape(f"(evface eval {tmp_path / 'loso'} --data data/d --out DIR)")):
        compare_runs(tmp_path / "split", tmp_path / "eval")


def test_compare_pairs_the_clips_and_refuses_other_clips(tmp_path, capsys):
    from evface.cli import main
    from evface.tasks.class_compare import compare_runs

    rng = np.random.default_rng(0)
    truth = [(f"c{i}", f"s{i % 6}", ("dim", "bright")[i % 2], f"L{i % 3}") for i in range(60)]
    a = [(*r, r[3]) for r in truth]  # always right
    b = [(*r, r[3] if rng.random() < 0.3 else f"L{(int(r[3][1]) + 1) % 3}") for r in truth]
    _write_predictions(tmp_path / "a", a)
    _write_predictions(tmp_path / "b", b[::-1])  # the order of the lines does not matter
    res = compare_runs(tmp_path / "a", tmp_path / "b")
    wrong_b = sum(r[4] != r[3] for r in b)
    assert res["mcnemar"] == {"a_only": wrong_b, "b_only": 0, "p": pytest.approx(2 * 0.5**wrong_b)}
    assert res["metrics"]["top1"]["diff"] == pytest.approx(wrong_b / 60)
    assert res["metrics"]["top1"]["verdict"] == "a higher" and set(res["per_lighting"]) == {"bright", "dim"}
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp.json")]) == 0
    assert json.loads((tmp_path / "cmp.json").read_text())["n"] == 60
    _write_predictions(tmp_path / "c", a[1:])
    with pytest.raises(DatasetError, match=r"clips differ .* \(1 only there, 0 only here, e\.g\. c0\)"):
        compare_runs(tmp_path / "a", tmp_path / "c")
    _write_predictions(tmp_path / "d", [(*a[0][:3], "L2", "L2"), *a[1:]])
    with pytest.raises(DatasetError, match="clip c0 has label 'L2' here but 'L0'"):
        compare_runs(tmp_path / "a", tmp_path / "d")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "c")]) == 2
    assert "clips differ" in capsys.readouterr().err
    # a garbage line (cut short, one column too many, or an empty prediction) was read as another clip
    for n, bad in enumerate(("garbage", ",".join(a[5]) + ",extra", ",".join(a[5][:4]) + ",")):
        lines = (tmp_path / "a" / "predictions.csv").read_text().splitlines()
        lines[6] = bad
        (tmp_path / f"bad{n}").mkdir()
        (tmp_path / f"bad{n}" / "predictions.csv").write_text("\n".join(lines) + "\n")
        assert main(["compare", str(tmp_path / "a"), str(tmp_path / f"bad{n}")]) == 2
        err = capsys.readouterr().err
        assert f"bad{n}/predictions.csv: line 7 is not a row of 5 columns" in err and len(err.splitlines()) == 1
    (tmp_path / "bad0" / "predictions.csv").write_bytes(b"\xff\xfe\x00 not text")  # was exit 1
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "bad0")]) == 2
    assert "bad0/predictions.csv: not text (" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "x" / ".." / "a")]) == 2  # a run against itself
    assert f"{tmp_path / 'a'} is given as both runs" in capsys.readouterr().err
    _write_predictions(tmp_path / "again" / "a", b)  # two runs with one folder name: named by their parents
    res = compare_runs(tmp_path / "a", tmp_path / "again" / "a")
    assert (res["a"], res["b"]) == (f"{tmp_path.name}/a", "again/a")
    assert res["metrics"]["top1"]["verdict"] == f"{tmp_path.name}/a higher"


def test_compare_refuses_predictions_not_written_with_their_metrics(tmp_path, capsys):
    """A run whose predictions.csv is not the one its metrics.json recorded (a stop between the renames
    of a later evaluation into it, or a file replaced) was paired as it stood; now one line naming both."""
    from evface.cli import main

    truth = [(f"c{i}", f"s{i % 6}", "dim", f"L{i % 3}") for i in range(30)]
    for name in ("a", "b"):
        lines = ["clip_id,subject,lighting,label,prediction"] + [",".join((*r, r[3])) for r in truth]
        (tmp_path / name).mkdir()
        run_folder.write_together({tmp_path / name / "predictions.csv": "\n".join(lines) + "\n",
                                   tmp_path / name / "metrics.json": run_folder.json_text({"run": str(tmp_path / name), "top1": 1.0})})
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    capsys.readouterr()
    lines = (tmp_path / "b" / "predictions.csv").read_text().splitlines()
    (tmp_path / "b" / "predictions.csv").write_text("\n".join([*lines[:-1], lines[-1][:-1] + "9"]) + "\n")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'b'}/predictions.csv: not the file that {tmp_path / 'b'}/metrics.json was written with" in err
    assert len(err.splitlines()) == 1


def test_compare_shows_how_the_difference_varies_between_training_seeds(tmp_path, capsys):
    from evface.cli import main
    from evface.tasks.class_compare import compare_runs

    truth = [(f"c{i}", f"s{i % 4}", "dim", f"L{i % 2}") for i in range(8)]
    _write_predictions(tmp_path / "a", [(*r, r[3]) for r in truth])
    _write_predictions(tmp_path / "b", [(*r, r[3] if k < 5 else "L9") for k, r in enumerate(truth)])  # 5 of 8 right
    assert "seed_spread" not in compare_runs(tmp_path / "a", tmp_path / "b")  # no metrics.json: nothing to add
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "one training per fold of each run" in (out := capsys.readouterr().out)  # said so
    top1 = compare_runs(tmp_path / "a", tmp_path / "b")["metrics"]["top1"]  # in percent as in the report (was: 0.750)
    figures = [f"{100 * top1['a']:.1f}", f"{100 * top1['b']:.1f}", f"{100 * top1['diff']:+.1f}"]
    assert re.search(r"^all +top-1 % +" + " +".join(map(re.escape, figures)) + "  ", out, re.M)  # columns as wide as their cells
    (tmp_path / "a" / "metrics.json").write_text(json.dumps({"top1": 1.0, "top1_per_seed": [0.5, 0.625, 0.75]}))
    (tmp_path / "b" / "metrics.json").write_text(json.dumps({"top1": 0.625}))
    spread = compare_runs(tmp_path / "a", tmp_path / "b")["seed_spread"]
    assert spread["a_top1"] == [0.5, 0.625, 0.75] and spread["b_top1"] == [0.625] and spread["n_pairs"] == 3
    assert (spread["min"], spread["max"], spread["a_ahead"], spread["b_ahead"]) == (-0.125, 0.125, 1, 1)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert ("single trainings (3 seeds of a x 1 of b): top-1 A - B from -12.5 to +12.5 points; above 0 in 1 of 3 pairs, "
            "below 0 in 1 (single trainings, no interval: not a difference detected)") \
        in (out := capsys.readouterr().out) and "one training per fold" not in out
    for received in ({"top1": "high"}, {"top1": 0.5, "top1_per_seed": [float("nan"), 0.5]}, {"top1": 1e308}):
        (tmp_path / "b" / "metrics.json").write_text(json.dumps(received))  # nan, 1e308: were printed as top-1
        assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
        assert f"{tmp_path / 'b' / 'metrics.json'}: not as evface writes it" in capsys.readouterr().err


def test_compare_resamples_the_seeds_where_both_runs_hold_their_logits(tmp_path, capsys):
    """A's three seeds: one sure and right, two less sure and wrong, so their mean is right on every
    clip. Over subjects alone A beats B clearly; a fold that draws the two wrong seeds is wrong
    throughout, so over subjects and seeds nothing is detected, and the verdict says so."""
    from evface.cli import main
    from evface.commands.compare import format_comparison
    from evface.tasks.class_compare import compare_runs, read_seed_logits, write_seed_logits

    truth = [(f"c{i:02d}", f"s{i % 12}", ("dim", "bright")[i % 2], f"L{i % 2}") for i in range(48)]
    ids, y = [r[0] for r in truth], np.array([i % 2 for i in range(48)])
    folds = [str(i % 12 // 4) for i in range(48)]  # three folds of four subjects
    onehot = np.eye(2)[y]
    logits_a = np.stack([3 * onehot, 1 - onehot, 1 - onehot])  # means: right 1, wrong 2/3
    b_right = np.random.default_rng(0).random(48) < 0.5
    logits_b = np.where(b_right[:, None], onehot, 1 - onehot)[None]
    _write_predictions(tmp_path / "a", [(*r, r[3]) for r in truth])
    _write_predictions(tmp_path / "b", [(*r, r[3] if ok else f"L{1 - int(r[3][1])}") for r, ok in zip(truth, b_right, strict=True)])
    assert compare_runs(tmp_path / "a", tmp_path / "b")["metrics"]["top1"]["verdict"] == "a higher"  # no seed logits yet
    write_seed_logits(tmp_path / "a", ids, folds, [0, 1, 2], logits_a, ["L0", "L1"])
    assert "trainings" not in compare_runs(tmp_path / "a", tmp_path / "b")  # B scored before the file: subjects only
    write_seed_logits(tmp_path / "b", ids, folds, [0], logits_b, ["L0", "L1"])
    back = read_seed_logits(tmp_path / "a")
    assert back.seeds == (0, 1, 2) and back.labels == ("L0", "L1") and back.folds["c05"] == "1"
    assert np.array_equal(back.logits["c05"], logits_a[:, 5])

    res = compare_runs(tmp_path / "a", tmp_path / "b")
    top1 = res["metrics"]["top1"]
    assert res["trainings"] == {"a": 3, "b": 1} and top1["diff"] == pytest.approx(1 - b_right.mean())
    assert top1["ci"][0] > 0 and top1["ci_trainings"][0] < 0 < top1["ci_trainings"][1]
    assert {d["verdict"] for d in res["metrics"].values()} == {"no detectable difference"}
    assert all("ci_trainings" in part["metrics"]["top1"] for part in res["per_lighting"].values())
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "over subjects and training seeds (3 of A, 1 of B; the verdict follows it)" in out
    assert "so few subjects" not in out  # 12 subjects; with 3 the comparison says its intervals are too narrow
    assert "Only 3 subjects were tested: a bootstrap over so few" in format_comparison({**res, "n_subjects": 3})
    line = next(x for x in out.splitlines() if x.startswith("all") and "top-1" in x)
    assert line.endswith("no detectable difference") and line.count("[") == 2
    spread = res["seed_spread"]  # each seed's top-1 from its logits (a metrics.json said 2 values for 3 seeds)
    assert spread["a_top1"] == [1.0, 0.0, 0.0] and spread["b_top1"] == [float(b_right.mean())]
    assert spread["n_pairs"] == 3 and "single trainings (3 seeds of a x 1 of b)" in out

    # one seed each side: the subject interval only
    write_seed_logits(tmp_path / "a", ids, folds, [0], logits_a[:1], ["L0", "L1"])
    res = compare_runs(tmp_path / "a", tmp_path / "b")
    assert res["trainings"] == {"a": 1, "b": 1} and "ci_trainings" not in res["metrics"]["top1"]
    assert "over subjects and training seeds" not in format_comparison(res)

    # a received file evface did not write: one line naming it
    good = (tmp_path / "b" / "seed_logits.csv").read_text().splitlines()
    write_seed_logits(tmp_path / "a", ids, folds, [0, 1, 2], logits_a, ["L0", "L1"])
    for n, (line_no, bad, message) in enumerate([(3, "c02,0,0,1.0", "line 4 is not a clip's logits of one seed"),
                                                 (3, "c02,0,0,nan,1", "line 4 is not a clip's logits of one seed"),
                                                 (3, "c02,1,0,1,0", "line 5 is not a clip's logits of one seed"),
                                                 (3, "c99,0,0,1,0", "its clips are not those of the predictions.csv"),
                                                 (3, "c02,0,7,1,0", "not every clip has the logits of every seed")]):
        run = shutil.copytree(tmp_path / "b", tmp_path / f"bad{n}")
        lines = list(good)
        lines[line_no] = bad
        if n == 2:
            lines.insert(line_no, "c02,0,1,1,0")  # another seed of c02, in another fold
        (run / "seed_logits.csv").write_text("\n".join(lines) + "\n")
        assert main(["compare", str(tmp_path / "a"), str(run)]) == 2
        err = capsys.readouterr().err
        assert f"bad{n}/seed_logits.csv: " in err and message in err and len(err.splitlines()) == 1, err


def test_more_seeds_extend_a_run_and_fewer_are_refused(fake, tmp_path):
    """A one-split run of one seed keeps its model in the run folder; given --seeds 2 it trains the
    second seed only and scores as a run of two seeds from the start."""
    from evface.tasks.classify import prepare, train_and_evaluate

    cfg = replace(EVENTS_LR, epochs=1, width=4)
    train_and_evaluate(fake, tmp_path / "one", cfg)
    first_model = (tmp_path / "one" / "best.pt").read_bytes()
    assert prepare(fake, tmp_path / "one", replace(cfg, seeds=2)) == ["models/split-s1"]
    assert [e["dir"] for e in run_folder.load_config(tmp_path / "one")["models"]] == [".", "models/split-s1"]
    grown = train_and_evaluate(fake, tmp_path / "one", replace(cfg, seeds=2))
    fresh = train_and_evaluate(fake, tmp_path / "two", replace(cfg, seeds=2))
    assert (tmp_path / "one" / "best.pt").read_bytes() == first_model
    times = ("seconds", "train_s", "preprocess_s")
    assert {k: v for k, v in grown.items() if not k.endswith(times)} == {k: v for k, v in fresh.items() if not k.endswith(times)}
    with pytest.raises(ParameterError, match=r"one: holds a run of 2 training seeds; --seeds 1 would leave some out"):
        prepare(fake, tmp_path / "one", cfg)


def test_distillation_term_pulls_every_step_towards_the_teacher():
    from evface.tasks.class_training import distill_of

    teacher = torch.tensor([[3.0, 0.0, -2.0], [-1.0, 2.0, 0.5]])
    out = torch.zeros(2, 4, 3, requires_grad=True)
    opt = torch.optim.SGD([out], lr=1.0)
    start = float(distill_of(out.detach(), teacher))
    for _ in range(200):
        opt.zero_grad()
        distill_of(out, teacher, temperature=2.0).backward()
        opt.step()
    assert float(distill_of(out.detach(), teacher)) < 0.01 * start
    assert (out.argmax(-1) == teacher.argmax(-1)[:, None]).all()  # every step, not only the mean
    mean_only = torch.zeros(2, 4, 3)
    mean_only[:, 0] = 4 * teacher  # the mean output is the teacher's: nothing left to learn for "mean"
    assert float(distill_of(mean_only, teacher, "mean")) < 1e-6 < float(distill_of(mean_only, teacher, "tet"))


def test_distillation_needs_a_teacher_trained_on_the_same_folds(fake, tmp_path):
    from evface.tasks.classify import train_and_evaluate

    base = replace(EVENTS_LR, folds=3, epochs=2, width=4)
    twin = tmp_path / "twin"
    train_and_evaluate(fake, twin, replace(base, model="ann"))
    taught = train_and_evaluate(fake, tmp_path / "kd", replace(base, teacher=str(twin), distill_weight=0.7))
    assert taught["n"] == 30 and taught["n_subjects"] == 5
    assert json.loads((tmp_path / "kd" / "config.json").read_text())["teacher"] == str(twin)
    other_folds = tmp_path / "twin2"
    train_and_evaluate(fake, other_folds, replace(base, model="ann", folds=2, epochs=1))
    with pytest.raises(ParameterError, match=r"--teacher .*twin2: it has no model models/fold0-s0 of test subjects"):
        train_and_evaluate(fake, tmp_path / "leak", replace(base, teacher=str(other_folds)))
    assert not (tmp_path / "leak" / "config.json").exists()  # refused before anything was written
    with pytest.raises(ParameterError, match="--teacher .*nowhere.*config.json"):
        train_and_evaluate(fake, tmp_path / "none", replace(base, teacher=str(tmp_path / "nowhere")))
    with pytest.raises(ParameterError, match="distill_weight must be <= 1, got 1.5"):
        train_and_evaluate(fake, tmp_path / "w", replace(base, teacher=str(twin), distill_weight=1.5))


@pytest.mark.slow  # 6.6 s: the teacher trains
def test_a_part_whose_teacher_has_no_such_model_is_refused(fake, tmp_path):
    """fit_part given a --teacher without the part's model (prepare checked another, or none) was a
    TypeError, 'NoneType' object is not subscriptable; now check_teacher's line. A teacher the run was
    not prepared with is refused before it is read (test_classify_parts: any other setting); so is
    one trained again on other folds after prepare checked it."""
    from evface.tasks.classify import fit_part, prepare

    base = replace(EVENTS_LR, folds=2, epochs=1, width=4)
    teacher = tmp_path / "teacher"
    for model_dir in prepare(fake, teacher, replace(base, model="ann")):
        fit_part(fake, teacher, replace(base, model="ann"), model_dir)
    taught = replace(base, teacher=str(teacher))
    todo = prepare(fake, tmp_path / "run", taught)
    prepare(fake, tmp_path / "untaught", base)
    with pytest.raises(ParameterError, match=r'^.*untaught: prepared with other settings than fit_part was given '
                                             r'\(teacher: "" in the run, ".*teacher" given\)'):
        fit_part(fake, tmp_path / "untaught", taught, todo[0])
    shutil.rmtree(teacher)
    prepare(fake, teacher, replace(base, model="ann", folds=3))  # trained again: its config.json holds 3 folds
    with pytest.raises(ParameterError, match=r"^--teacher .*teacher: it has no model models/fold0-s0 of test subjects"):
        fit_part(fake, tmp_path / "run", taught, todo[0])


def test_one_subject_gets_no_interval_and_no_verdict(tmp_path):
    """A subject-cluster bootstrap over one subject has no spread: [x, x] read as an interval, and
    a difference over one subject was worded as a finding ("a higher")."""
    from evface.tasks.class_compare import compare_runs
    from evface.tasks.classify import score

    labels = ["L0", "L1", "L2"]
    y = np.array([0, 1, 2, 0, 1, 2])
    one = score(y, y, ["dim"] * 6, ["s0"] * 6, labels)
    assert one["n_subjects"] == 1 and one["ci"] == {"top1": None, "uf1": None, "uar": None}
    assert one["per_lighting"]["dim"]["ci"]["top1"] is None
    two = score(y, y, ["dim"] * 6, ["s0", "s1"] * 3, labels)
    assert two["ci"]["top1"] == [1.0, 1.0] and two["n_subjects"] == 2
    truth = [(f"c{i}", "s0", "dim", f"L{i % 3}") for i in range(12)]
    _write_predictions(tmp_path / "a", [(*r, r[3]) for r in truth])
    _write_predictions(tmp_path / "b", [(*r, "L0") for r in truth])
    res = compare_runs(tmp_path / "a", tmp_path / "b")
    assert res["metrics"]["top1"]["diff"] == pytest.approx(8 / 12)
    assert {d["verdict"] for d in res["metrics"].values()} == {"one subject: no interval"}
    assert {d["ci"] for d in res["metrics"].values()} == {None}  # was [x, x], printed as an interval
    from evface.commands.compare import format_comparison

    assert "[" not in format_comparison({**res, "a": "a", "b": "b"})


@pytest.mark.parametrize("newcomer", ['{"task": "classify"}', '{"run_a": "x", "run_b": "y"}'])
def test_compare_out_made_meanwhile_is_kept_unless_an_earlier_comparison(tmp_path, capsys, monkeypatch, newcomer):
    """--out was checked before the comparison: a file made there meanwhile (a run's config.json
    copied in, a second compare) was renamed over; it is treated as one there before now."""
    import evface.tasks.class_compare as class_compare
    from evface.cli import main

    truth = [(f"c{i}", f"s{i % 6}", "dim", f"L{i % 3}") for i in range(30)]
    for run in ("a", "b"):
        _write_predictions(tmp_path / run, [(*r, r[3]) for r in truth])
    out, compare_runs = tmp_path / "cmp.json", class_compare.compare_runs

    def meanwhile(*runs):
        out.write_text(newcomer)
        return compare_runs(*runs)

    monkeypatch.setattr(class_compare, "compare_runs", meanwhile)
    comparison = newcomer.startswith('{"run_a"')
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == (0 if comparison else 2)
    assert capsys.readouterr().err.strip() == ("" if comparison else f"error: {out}: exists and is not a comparison "
                                               "evface wrote, which this command would write over; give --out another name")
    assert (json.loads(out.read_text())["n"] == 30) if comparison else (out.read_text() == newcomer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "cmp.json"]


# --------------------------------------------------------------------------- logits that are not finite


def test_pooling_a_model_whose_held_out_logits_are_not_finite_is_one_error_naming_its_file(trained, fake, tmp_path):
    """A model that diverged (NaN logits in its held_out.pt): was pooled, and argmax scored its clips as
    the first class without a word (one seed: no training bootstrap to refuse it); now one line naming
    the file, the clip and the class, and no metrics.json is written."""
    from evface.tasks.classify import pool_parts

    run = shutil.copytree(trained[0], tmp_path / "run")
    (run / "metrics.json").unlink()
    held = sorted(run.glob("**/held_out.pt"))[0]
    state = checkpoints.load_checkpoint(held)
    state["logits"][1, 0] = float("nan")
    checkpoints.save_checkpoint(held, state)
    with pytest.raises(ParameterError, match=re.escape(f"{held}: 1 logit is not finite (nan for clip ")
                       + r".*the model diverged: train the run again in a new --out folder with a lower "
                         r"--learning-rate$"):
        pool_parts(fake, run, EVENTS_LR)
    assert not (run / "metrics.json").exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_evaluating_a_model_that_gives_logits_that_are_not_finite_is_one_error_naming_it(trained, fake, tmp_path,
                                                                                       monkeypatch, value):
    """eval of a model whose logits hold a NaN or an infinity: was scored (a NaN clip as class 0), and a
    NaN of the other sensor's pass dropped that sensor as if its events were absent; now one line
    naming the model's folder, and nothing is written."""
    from evface.tasks import classify

    real_predict = classify.predict

    def diverged(*args, **kwargs):
        out = real_predict(*args, **kwargs)
        out["logits"][0, 1] = value
        return out

    monkeypatch.setattr(classify, "predict", diverged)
    with pytest.raises(ParameterError, match=re.escape(str(trained[0])) + r"(/\S+)?: 1 logit is not finite \((nan|inf) for clip "):
        classify.evaluate_run(trained[0], fake, tmp_path / "ev")
    assert not (tmp_path / "ev").exists()


def test_a_report_of_an_evaluation_whose_predictions_are_not_those_of_its_metrics_is_one_error_line(trained, fake,
                                                                                                   tmp_path):
    """A later evaluation into the same folder stopped between its renames leaves its predictions.csv
    beside the earlier metrics.json: was read by the report as one evaluation; now one line naming
    both files and the evface eval that writes them again. Without the recorded sha256 (an older
    evaluation) its metrics.json is refused as not the scores of the clips left
    (:func:`evface.report.score_check.check_scores_agree`; was: loaded)."""
    from evface.errors import FormatError
    from evface.report.collect import collect
    from evface.tasks.classify import evaluate_run

    ev = tmp_path / "ev"
    evaluate_run(trained[0], fake, ev, cross_sensor=False)
    collect([ev])
    lines = (ev / "predictions.csv").read_text().splitlines()
    (ev / "predictions.csv").write_text("\n".join(lines[:-1]) + "\n")  # a newer evaluation's, of fewer clips
    with pytest.raises(FormatError, match=re.escape(f"{ev}/predictions.csv: not the file that {ev}/metrics.json was "
                                                    "written with (its sha256 differs")
                       + r".*write both again: evface eval " + re.escape(f"{trained[0].resolve()} --data {fake} --out {ev}")):
        collect([ev])
    metrics = json.loads((ev / "metrics.json").read_text())
    assert set(metrics.pop("files_sha256")) == {"predictions.csv", "seed_logits.csv"}
    run_folder.write_json(ev / "metrics.json", metrics)
    with pytest.raises(FormatError, match=re.escape(f"{ev}/metrics.json: ") + r"'\w+' is .*, but the \d+ clips of "
                       + re.escape(f"{ev}/predictions.csv give")):
        collect([ev])


def test_a_single_splits_model_is_named_as_its_part_in_the_lines_of_its_training(trained):
    """Was ".: 18 train, 6 validation, 6 test clips": the folder the model trains in, the run's own."""
    assert "split: 18 train, 6 validation, 6 test clips" in trained[2]
    assert not any(line.startswith(".") for line in trained[2])


@pytest.mark.parametrize("damage", ["missing", "cut short"])
def test_a_trained_models_lost_checkpoint_is_advised_a_new_out_as_its_folder_trains_it_no_more(trained, fake, tmp_path,
                                                                                               capsys, damage):
    """A run whose best.pt is missing or cut short said "... or train the run again": trained again
    in its folder, a model with its held_out.pt is not trained again, so the file stayed as it was."""
    from evface.cli import main
    from evface.tasks.classify import train_and_evaluate

    run = shutil.copytree(trained[0], tmp_path / "run")
    best = run / checkpoints.BEST
    if damage == "missing":
        best.unlink()
    else:
        best.write_bytes(best.read_bytes()[:1000])  # an interrupted copy
    before = best.read_bytes() if best.exists() else None
    train_and_evaluate(fake, run, EVENTS_LR)  # the advice followed as it was worded
    assert (best.read_bytes() if best.exists() else None) == before
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {best}: ") and "\n" not in err
    assert err.endswith("train the run again in a new --out folder (a model trained before is not trained again)")
    if damage == "missing":
        assert f"copy them into {run} from where the run was trained, or train" in err
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("damage", ["missing", "cut short"])
def test_a_teachers_lost_or_cut_short_checkpoint_is_named_before_anything_is_written(trained, fake, tmp_path, damage):
    """A single-split `--teacher` whose (trained) model lost its best.pt said "its model . is not
    trained (no best.pt)": the run's folder named as its model, a model with its held_out.pt called
    untrained, no way out. One whose best.pt was cut short was refused only in the training, after
    the student's config.json was written and its inputs preprocessed."""
    from evface.tasks.classify import train_and_evaluate

    teacher = shutil.copytree(trained[0], tmp_path / "teacher")
    best = teacher / checkpoints.BEST
    if damage == "missing":
        best.unlink()
    else:
        best.write_bytes(best.read_bytes()[:1000])  # an interrupted copy
    student = tmp_path / "student"
    with pytest.raises(ParameterError) as info:
        train_and_evaluate(fake, student, replace(EVENTS_LR, epochs=1, teacher=str(teacher)))
    message = str(info.value)
    assert message.startswith(f"--teacher {teacher}: {best}: ") and "\n" not in message
    assert "is not trained (no" not in message and " . " not in message
    assert message.endswith("train the run again in a new --out folder (a model trained before is not trained again)")
    assert not student.exists()


def test_a_teacher_not_trained_yet_is_asked_to_finish(trained, fake, tmp_path):
    """A teacher's model with neither best.pt nor held_out.pt has not been trained: say so, and how to finish it."""
    from evface.tasks.classify import train_and_evaluate

    teacher = shutil.copytree(trained[0], tmp_path / "teacher")
    for name in (checkpoints.BEST, "held_out.pt"):
        (teacher / name).unlink()
    with pytest.raises(ParameterError) as info:
        train_and_evaluate(fake, tmp_path / "student", replace(EVENTS_LR, epochs=1, teacher=str(teacher)))
    assert str(info.value) == (f"--teacher {teacher}: {teacher / checkpoints.BEST}: no such checkpoint: this model of "
                               f"the teacher is not trained yet; finish the teacher's training (evface train classify "
                               f"--out {teacher} with its options), or give another --teacher")
    assert not (tmp_path / "student").exists()
