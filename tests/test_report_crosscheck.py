"""A run's metrics.json checked against its per-clip scores (:mod:`evface.report.score_check`) by the
report and ``evface compare``: the files evface writes pass, and a figure of metrics.json that its
predictions.csv or scores.csv contradicts (edited by hand, within [0, 1]) is refused on one line.

The runs' files are written by evface's own code: a classification's scores by
:func:`evface.tasks.classify.score` from its predictions, a reconstruction's per-sample scores and
metrics by :mod:`evface.tasks.recon_eval` from reconstructions of a fake target
(:func:`report_fixtures.write_reconstruction_scores`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.errors import FormatError
from evface.io.manifest import read_manifest
from evface.report.score_check import check_scores_agree

from report_fixtures import HALF_RIGHT, LABELS, draw_each_figure_once, make_fake_run, predicted, write_reconstruction_scores


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    draw_each_figure_once(monkeypatch)


def _classification_stage(root: Path, name: str, right: list[bool]) -> Path:
    """A classification stage of the fake ``evface run`` ``root`` whose predictions.csv predicts each clip
    right where ``right`` says, its metrics.json written by :func:`evface.tasks.classify.score` of them."""
    from evface.tasks.class_compare import predictions_text
    from evface.tasks.classify import score

    rows = read_manifest(root / "data")
    run = root / "stages" / f"{name}-0"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"task": "classify", "input": "events" if "events" in name else "rgb",
                                                 "data": str(root / "data")}))
    labels = predicted(rows, right)
    (run / "predictions.csv").write_text(predictions_text(rows, labels))
    metrics = score(np.array([LABELS.index(r["label"]) for r in rows]), np.array([LABELS.index(p) for p in labels]),
                    [r["lighting"] for r in rows], [r["subject"] for r in rows], LABELS)
    (run / "metrics.json").write_text(json.dumps({**metrics, "data": str(root / "data"),
                                                  "evaluated_on": "every subject, 2-fold subject-grouped cross-validation"}))
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"].append({"name": name, "task": "classify", "dir": f"stages/{name}-0", "seconds": 1.0})
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    return run


def _edited(path: Path, change) -> None:
    metrics = json.loads(path.read_text())
    change(metrics)
    path.write_text(json.dumps(metrics))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """A fake ``evface run`` of two classification arms and a reconstruction stage, every file as evface writes it."""
    root = make_fake_run(tmp_path_factory.mktemp("crosscheck") / "run")
    shutil.rmtree(root / "stages" / "events-hd-0")
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"] = [s for s in pipeline["stages"] if s["task"] != "classify"]
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    _classification_stage(root, "events-hd", [True] * len(HALF_RIGHT))
    _classification_stage(root, "rgb", HALF_RIGHT)
    write_reconstruction_scores(root / "stages" / "recon-hd-0", root / "data")
    return root


def test_the_files_evface_writes_agree(runs, tmp_path, capsys):
    for stage in ("events-hd-0", "rgb-0", "recon-hd-0"):
        check_scores_agree(runs / "stages" / stage)
    assert main(["report", str(runs), "--out", str(tmp_path / "r.html")]) == 0
    text = (tmp_path / "r.html").read_text()
    assert "<td>events-hd − rgb</td>" in text and "<td>events-hd</td><td>100.0" in text
    stages = runs / "stages"
    assert main(["compare", str(stages / "events-hd-0"), str(stages / "rgb-0")]) == 0
    other = shutil.copytree(stages / "recon-hd-0", tmp_path / "other")
    assert main(["compare", str(other), str(stages / "recon-hd-0")]) == 0
    assert "error" not in capsys.readouterr().err


CLASSIFICATION_EDITS = [  # the message's figures: the edited one, then that of the metrics.json evface wrote
    (lambda m: m.update(top1=0.75), "'top1' is 0.75, but the 6 clips of {p} give {m[top1]!r}"),
    (lambda m: m.update(uar=0.9), "'uar' is 0.9, but the 6 clips of {p} give {m[uar]!r}"),
    (lambda m: m.update(n_subjects=3), "'n_subjects' is 3, but the 6 clips of {p} give {m[n_subjects]!r}"),
    (lambda m: m["per_lighting"]["dim"].update(top1=0.5),
     "'per_lighting' 'dim' 'top1' is 0.5, but the 3 clips in 'dim' of {p} give {m[per_lighting][dim][top1]!r}"),
    (lambda m: m.update(confusion_matrix=[[2, 0, 0], [1, 1, 0], [0, 1, 1]]),
     "'confusion_matrix' is [[2, 0, 0], [1, 1, 0], [0, 1, 1]], but the 6 clips of {p} give {m[confusion_matrix]!r}"),
]


@pytest.mark.parametrize("change, said", CLASSIFICATION_EDITS,
                         ids=["top1", "uar", "n_subjects", "per-lighting top1", "confusion matrix"])
def test_a_classification_metrics_file_its_predictions_contradict_is_refused(runs, tmp_path, capsys, change, said):
    """Was: the arm's row of the report (and its confusion matrix) showed the edited figure beside paired
    differences and McNemar counts computed from the predictions that contradict it."""
    root = shutil.copytree(runs, tmp_path / "run")
    stage = root / "stages" / "rgb-0"
    written = json.loads((stage / "metrics.json").read_text())
    _edited(stage / "metrics.json", change)
    remedy = (f"not the scores of those predictions (edited, or copied from another run?); score the run again, which "
              f"writes both: evface eval {stage} --data {written['data']}")
    line = f"error: {stage}/metrics.json: {said.format(p=stage / 'predictions.csv', m=written)}: {remedy}"
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == line and not (tmp_path / "r.html").exists()
    assert main(["compare", str(root / "stages" / "events-hd-0"), str(stage)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == line and captured.out == ""


def test_an_evaluation_folder_names_the_command_that_scores_it_again(runs, tmp_path, capsys):
    stage = runs / "stages" / "rgb-0"
    ev = tmp_path / "ev-rgb"
    ev.mkdir()
    shutil.copy(stage / "predictions.csv", ev)
    metrics = json.loads((stage / "metrics.json").read_text())
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "top1": 0.6}))
    assert main(["report", str(ev), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip().endswith(
        f"score the run again, which writes both: evface eval {stage} --data {runs / 'data'} --out {ev}")


def test_a_prediction_of_a_class_the_metrics_do_not_list_is_refused(runs, tmp_path, capsys):
    root = shutil.copytree(runs, tmp_path / "run")
    stage = root / "stages" / "rgb-0"
    _edited(stage / "metrics.json", lambda m: m.update(labels=["AU1+2", "AU4", "AU9"]))
    assert main(["compare", str(root / "stages" / "events-hd-0"), str(stage)]) == 2
    assert (f"'labels' is ['AU1+2', 'AU4', 'AU9'], but the classes of the 6 clips of {stage / 'predictions.csv'} give "
            "['AU1+2', 'AU12', 'AU4']") in capsys.readouterr().err


def _apex_face_ssim(m: dict) -> None:
    m["methods"]["cvae"]["apex"]["face"]["ssim"] += 0.01


def _gain(m: dict) -> None:
    m["gain_over_keyframe"]["cvae"]["apex_active_ssim"]["mean"] += 0.001


def _dim_difference(m: dict) -> None:
    m["cvae_vs"]["e2vid"]["apex_by_lighting"]["dim"]["face"]["mean"] += 0.01


def _clips(m: dict) -> None:
    m["n_clips"] += 1


@pytest.mark.parametrize("change, field", [  # ids: the change's name
    (_apex_face_ssim, "'methods' 'cvae' 'apex' 'face' 'ssim'"),
    (_gain, "'gain_over_keyframe' 'cvae' 'apex_active_ssim' 'mean'"),
    (_dim_difference, "'cvae_vs' 'e2vid' 'apex_by_lighting' 'dim' 'face' 'mean'"),
    (_clips, "'n_clips'"),
])
def test_a_reconstruction_metrics_file_its_scores_contradict_is_refused(runs, tmp_path, capsys, change, field):
    """Was: the edited mean shown in the reconstruction tables as it stood."""
    root = shutil.copytree(runs, tmp_path / "run")
    stage = root / "stages" / "recon-hd-0"
    _edited(stage / "metrics.json", change)
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {stage}/metrics.json: {field} is ") and "\n" not in err
    assert f"of {stage / 'scores.csv'} give " in err and err.endswith(
        f"not the means of those per-sample scores (edited, or copied from another run?); score the run again, which "
        f"writes both: evface eval {stage} --data {runs / 'data'}")
    other = shutil.copytree(runs / "stages" / "recon-hd-0", tmp_path / "other")
    assert main(["compare", str(other), str(stage)]) == 2
    assert capsys.readouterr().err.strip() == err


def test_scores_within_the_rounding_of_scores_csv_pass(runs, tmp_path):
    """scores.csv keeps six significant digits: a mean that differs by less than their rounding is the
    same mean; one that differs past it is not."""
    from evface.report.score_check import SSIM_TOLERANCE

    stage = shutil.copytree(runs / "stages" / "recon-hd-0", tmp_path / "recon")
    kept = json.loads((stage / "metrics.json").read_text())
    for step, refused in ((SSIM_TOLERANCE / 10, False), (SSIM_TOLERANCE * 3, True)):
        metrics = json.loads(json.dumps(kept))
        metrics["methods"]["keyframe"]["all"]["ssim"] += step
        (stage / "metrics.json").write_text(json.dumps(metrics))
        if refused:
            with pytest.raises(FormatError, match="'methods' 'keyframe' 'all' 'ssim'"):
                check_scores_agree(stage)
        else:
            check_scores_agree(stage)


def test_compare_widens_a_column_to_its_longest_cell(tmp_path, capsys):
    """Two classification runs of clips in lightings with long names: each column of the table is as wide
    as its widest cell, two spaces apart, as the reconstruction compare's (was: fixed widths, into which a
    lighting's name ran on, ``office, blinds half closedtop-1 %``, and the columns after it shifted)."""
    from evface.tasks.class_compare import PREDICTION_COLUMNS

    lightings = ["office, blinds half closed", "dim"]
    truth = [(f"c{i:02d}", f"s{i % 6}", lightings[i % 2], f"L{i % 3}") for i in range(36)]
    header = ",".join(c for c in PREDICTION_COLUMNS if not c.endswith("_us"))
    for run, wrong in (("a-run-of-a-long-name", 0), ("b", 9)):
        (tmp_path / run).mkdir()
        (tmp_path / run / "predictions.csv").write_text(header + "\n" + "".join(
            f'{c},{s},"{lt}",{lab},{"L9" if k < wrong else lab}\n' for k, (c, s, lt, lab) in enumerate(truth)))
    assert main(["compare", str(tmp_path / "a-run-of-a-long-name"), str(tmp_path / "b")]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = lines[1:7]  # the heads, a row per metric over all clips, a top-1 row per lighting
    assert [line.split("  ")[0] for line in table[:5]] == ["", "all", "all", "all", "dim"]
    long_row = next(line for line in table if line.startswith(lightings[0]))
    assert long_row.startswith(lightings[0] + "  top-1 %")  # its name, then two spaces (was: run into the metric)
    for head in ("metric", "A - B", "interval", "subjects / clips", "verdict"):  # each column starts where its head does
        at = table[0].index(head) + (len(head) - 1 if head == "A - B" else 0)  # A - B: aligned on the right
        assert all(row[at] != " " for row in table[1:]), (head, table)


def test_a_reconstruction_of_several_seeds_agrees_with_the_mean_of_its_trainings(tmp_path, capsys):
    """A run of two trainings: scores.csv holds the per-sample mean of their scores, from which its
    metrics.json's means follow; the report and compare show it, and refuse it once a mean is edited."""
    root = make_fake_run(tmp_path / "run")
    stage = root / "stages" / "recon-hd-0"
    write_reconstruction_scores(stage, root / "data", seeds=(0, 1))
    check_scores_agree(stage)
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 0
    assert "<h3>Between training seeds</h3>" in (tmp_path / "r.html").read_text()
    other = shutil.copytree(stage, tmp_path / "other")
    assert main(["compare", str(other), str(stage)]) == 0
    _edited(stage / "metrics.json", lambda m: m["methods"]["e2vid"]["apex"]["active"].update(ssim=0.5))
    assert main(["compare", str(other), str(stage)]) == 2
    assert "'methods' 'e2vid' 'apex' 'active' 'ssim' is 0.5, but the 12 samples of" in capsys.readouterr().err


@pytest.mark.parametrize("stage, change, said", [
    ("recon-hd-0", {"data": None}, "'data' is None, not of type str"),
    ("events-hd-0", {"task": ["classify"]}, "'task' is ['classify'], not of type str"),
], ids=["data None", "task a list"])
def test_a_received_config_of_another_type_is_named(runs, tmp_path, capsys, stage, change, said):
    """Found by tests/test_fuzz_runs.py once its reconstruction stage's metrics.json named its dataset, as
    evface writes it: the report stopped with an internal error (exit 1), ``TypeError: expected str, bytes
    or os.PathLike object, not NoneType`` and ``unhashable type: 'list'``."""
    root = shutil.copytree(runs, tmp_path / "run")
    path = root / "stages" / stage / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))  # its metrics.json names a dataset
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: not as evface writes it ({said})"


def test_a_run_whose_config_names_no_dataset_scored_elsewhere_is_shown(runs, tmp_path):
    """A configuration without ``data`` (a run whose dataset is not recorded), scored on another folder
    (was: ``KeyError: 'data'``, exit 1)."""
    root = shutil.copytree(runs, tmp_path / "run")
    stage = root / "stages" / "recon-hd-0"
    config = json.loads((stage / "config.json").read_text())
    del config["data"]
    (stage / "config.json").write_text(json.dumps(config))
    other = shutil.copytree(root / "data", tmp_path / "other")
    (stage / "metrics.json").write_text(json.dumps({**json.loads((stage / "metrics.json").read_text()), "data": str(other)}))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 0
    assert f"recon-hd: scored on {other} by the models trained on {root / 'data'}" in (tmp_path / "r.html").read_text()
