"""The report as a hostile reviewer reads it: nothing of a received run file runs as markup, every
figure says what it rests on (its interval, or why it has none), and the training seeds are said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evface.cli import main
from evface.report.html import build_report

from report_fixtures import draw_each_figure_once, make_fake_run


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    draw_each_figure_once(monkeypatch)


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> Path:
    return make_fake_run(tmp_path_factory.mktemp("run"))


def _copy(fake_run: Path, tmp_path: Path) -> Path:
    return shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))


def _edit_metrics(root: Path, stage: str, **changes) -> Path:
    path = root / "stages" / stage / "metrics.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))
    return path


BOOTSTRAP = {"unit": "subject", "resamples": 2000, "level": 0.95, "seed": 0, "interval": "percentile"}


@pytest.mark.parametrize("field, value", [("seed", "<script>alert(1)</script>"), ("seed", 0.5),
                                          ("level", "<b>95</b>"), ("resamples", "<i>2000</i>")])
def test_a_bootstrap_record_that_is_not_numbers_is_refused_not_written_into_the_page(fake_run, tmp_path, capsys,
                                                                                    field, value):
    # was: "(2,000 resamples, seed <script>alert(1)</script>)" written into the page as it stood
    root = _copy(fake_run, tmp_path)
    path = _edit_metrics(root, "events-hd-0", bootstrap=BOOTSTRAP | {field: value})
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: not as evface writes it (") and err.count("\n") == 1, err
    assert not (tmp_path / "r.html").exists()


def test_the_bootstrap_of_the_intervals_is_said_with_its_seed(fake_run, tmp_path):
    root = _copy(fake_run, tmp_path)
    _edit_metrics(root, "events-hd-0", bootstrap=BOOTSTRAP | {"seed": 7})
    text = build_report([root], tmp_path / "r.html").read_text()
    assert "(2,000 resamples, seed 7)" in text and "95% intervals" in text


def test_the_training_seeds_of_each_arm_are_said(fake_run, tmp_path):
    # was: said nowhere but in the configurations' JSON at the foot of the page
    root = _copy(fake_run, tmp_path)
    _edit_metrics(root, "events-hd-0", seeds=[0], folds=3)
    text = build_report([root], tmp_path / "r.html").read_text()
    assert "Training seed 0 (each fold's model trained once)." in text
    _edit_metrics(root, "events-hd-0", seeds=[3, 4, 5, 6, 7])
    text = build_report([root], tmp_path / "r.html").read_text()
    assert "Training seeds 3, 4, 5, 6, 7 (each fold's model trained once per seed)." in text


def test_the_training_seeds_of_arms_trained_otherwise_are_said_per_arm(tmp_path):
    root = make_fake_run(tmp_path / "run")
    events = root / "stages" / "events-hd-0"
    rgb = root / "stages" / "rgb-0"
    shutil.copytree(events, rgb)
    (rgb / "config.json").write_text(json.dumps({**json.loads((rgb / "config.json").read_text()), "input": "rgb"}))
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"].append({"name": "rgb", "task": "classify", "dir": "stages/rgb-0", "seconds": 1.0})
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    _edit_metrics(root, "events-hd-0", seeds=[0])
    _edit_metrics(root, "rgb-0", seeds=[0, 1])
    text = build_report([root], tmp_path / "r.html").read_text()
    assert "Training seeds: events-hd 0; rgb 0, 1 (each fold's model trained once per seed)." in text


def test_a_score_of_one_subject_says_why_it_has_no_interval(fake_run, tmp_path):
    # was: a bare "50.0" beside the other arms' "[low, high]", with no word why
    root = _copy(fake_run, tmp_path)
    per_lighting = {lt: {"top1": 0.5, "n": 3, "n_subjects": 1, "ci": {"top1": None}} for lt in ("bright", "dim")}
    _edit_metrics(root, "events-hd-0", n=6, n_subjects=1, ci={"top1": None, "uf1": None, "uar": None},
                  per_lighting=per_lighting)
    text = build_report([root], tmp_path / "r.html").read_text()
    row = text[text.index("<td>events-hd</td>"):]
    row = row[:row.index("</tr>")]
    assert row.count("(one subject: no interval)") == 3, row
    lighting = text[text.index("Top-1 % per lighting"):]
    assert lighting[:lighting.index("</table>")].count("50.0 (one subject: no interval)") == 2
