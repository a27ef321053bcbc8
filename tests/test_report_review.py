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


def _tiny_arms(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A fake evface run of two classification arms with predictions.csv, their metrics.json naming the
    dataset they were scored on (as evface writes it)."""
    root = make_fake_run(tmp_path / "run")
    rows = [line.split(",") for line in (root / "data" / "manifest.csv").read_text().splitlines()]
    col = {k: i for i, k in enumerate(rows[0])}
    keep = ["clip_id", "subject", "lighting", "label", "onset_us", "apex_us", "offset_us"]
    pipeline = json.loads((root / "pipeline.json").read_text())
    arms = []
    for name, kind in (("ev", "events"), ("fr", "rgb")):
        run = root / "stages" / f"{name}-0"
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"task": "classify", "input": kind, "data": str(root / "data")}))
        lines = [",".join(keep + ["prediction"])] + [",".join([r[col[k]] for k in keep] + [r[col["label"]]]) for r in rows[1:]]
        (run / "predictions.csv").write_text("\n".join(lines) + "\n")
        (run / "metrics.json").write_text(json.dumps({"top1": 1.0, "uf1": 1.0, "uar": 1.0, "n": 6, "n_subjects": 2,
                                                      "data": str(root / "data")}))
        pipeline["stages"].append({"name": name, "task": "classify", "dir": f"stages/{name}-0", "seconds": 1.0})
        arms.append(run)
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    return root, arms[0], arms[1]


@pytest.mark.parametrize("line", ["c999,s9,dim,AU4,100000,180000,300000,AU4",  # a clip the dataset lacks
                                  "c000,s1,bright,AU1+2,100000,180000,300000,AU4"])  # another subject's
def test_a_prediction_of_a_clip_the_dataset_lacks_is_refused(tmp_path, capsys, line):
    # was: paired and counted, "3 / 7" subjects / clips beside a dataset of 2 subjects and 6 clips
    root, ev, fr = _tiny_arms(tmp_path)
    assert "<td>ev − fr</td><td>2 / 6</td>" in build_report([root], tmp_path / "r.html").read_text()
    for run in (ev, fr):  # both edited alike, so that the runs still pair on their clips
        text = (run / "predictions.csv").read_text()
        if line.startswith("c000"):
            text = "\n".join(x for x in text.splitlines() if not x.startswith("c000,")) + "\n"
        (run / "predictions.csv").write_text(text + line + "\n")
    clip = line.split(",")[0]
    out = tmp_path / "r2.html"
    assert main(["report", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {ev / 'predictions.csv'}: clip {clip} (subject ") and "is no clip of the dataset" in err
    assert err.count("\n") == 1 and not out.exists()
    assert main(["compare", str(ev), str(fr)]) == 2
    err = capsys.readouterr()
    assert err.out == "" and err.err.startswith(f"error: {ev / 'predictions.csv'}: clip {clip} (subject ")


def test_scores_of_a_clip_the_dataset_lacks_are_refused_by_compare(tmp_path, capsys):
    from evface.report.run_pairs import check_clips_known
    from evface.errors import FormatError

    scores = tmp_path / "scores.csv"
    scores.write_text("clip_id,subject,lighting,aus,t_us,horizon_ms,phase,method,face_ssim,face_psnr,active_ssim,"
                      "active_psnr\nc0,s0,dim,1+2,0,0,,cvae,0.9,30,0.9,30\n")
    rows = [["c0", "s0", "AU1+2", "1+2", "dim", "0", "5", "9", "10", ""]]
    check_clips_known(scores, rows, "d1")  # the clip, its AUs and lighting as the manifest has them
    with pytest.raises(FormatError, match=r"clip c0 \(subject s0, aus 1\+2, lighting dim\) is no clip of the dataset"):
        check_clips_known(scores, [["c0", "s0", "AU1+2", "1+2", "bright", "0", "5", "9", "10", ""]], "d1")


def test_compare_says_each_runs_protocol_and_training_seeds(tmp_path, capsys):
    # was: neither the folds (unless the runs' differed) nor the training seeds were said
    _, ev, fr = _tiny_arms(tmp_path)
    for run, seed, seeds in ((ev, 0, 1), (fr, 3, 2)):
        config = json.loads((run / "config.json").read_text())
        (run / "config.json").write_text(json.dumps(config | {"seed": seed, "seeds": seeds}))
        metrics = json.loads((run / "metrics.json").read_text())
        (run / "metrics.json").write_text(json.dumps(metrics | {"evaluated_on": "every subject, 2-fold subject-grouped "
                                                                                "cross-validation",
                                                                "seeds": list(range(seed, seed + seeds))}))
    out = tmp_path / "cmp.json"
    assert main(["compare", str(ev), str(fr), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ("tested: ev-0 every subject, 2-fold subject-grouped cross-validation, training seed 0; "
            "fr-0 every subject, 2-fold subject-grouped cross-validation, training seeds 3, 4") in lines
    assert json.loads(out.read_text())["tested"] == {
        "a": {"evaluated_on": "every subject, 2-fold subject-grouped cross-validation", "seeds": [0]},
        "b": {"evaluated_on": "every subject, 2-fold subject-grouped cross-validation", "seeds": [3, 4]}}
    (fr / "config.json").write_text(json.dumps(json.loads((fr / "config.json").read_text()) | {"seed": 0, "seeds": 1}))
    (fr / "metrics.json").write_text(json.dumps(json.loads((fr / "metrics.json").read_text()) | {"seeds": [0]}))
    assert main(["compare", str(ev), str(fr)]) == 0
    assert "tested: both every subject, 2-fold subject-grouped cross-validation, training seed 0" in capsys.readouterr().out


def test_the_test_subjects_of_a_reconstruction_split_are_named(fake_run, tmp_path):
    # was: "subject split, 1 test subject, 4 clips": which subject, and why not the others, said nowhere
    root = _copy(fake_run, tmp_path)
    _edit_metrics(root, "recon-hd-0", evaluation="subject split", subjects=["s1"], n_subjects=1, n_clips=3, n_samples=9)
    text = build_report([root], tmp_path / "r.html").read_text()
    assert ("recon-hd: subject split, 1 test subject (s1; the other subjects trained and validated the models), "
            "3 clips, 9 samples") in text
    _edit_metrics(root, "recon-hd-0", evaluation="2 subject folds", subjects=["s0", "s1"], n_subjects=2)
    assert "recon-hd: 2 subject folds, 2 test subjects, 3 clips" in build_report([root], tmp_path / "r.html").read_text()
    _edit_metrics(root, "recon-hd-0", evaluation="subject split", subjects=["<b>s1</b>"], n_subjects=1)
    assert "1 test subject (&lt;b&gt;s1&lt;/b&gt;; the other" in build_report([root], tmp_path / "r.html").read_text()


def test_the_report_knows_a_reconstruction_split_by_the_words_runs_record():
    from evface.report import recon_section
    from evface.tasks import recon_run

    assert recon_section.SPLIT == recon_run.SPLIT


@pytest.mark.parametrize("change, message", [
    ({"uar": 1.7}, "'uar' is 1.7, not a fraction in [0, 1]"),
    ({"top1": -0.25}, "'top1' is -0.25, not a fraction in [0, 1]"),
    ({"ci": {"top1": [0.4, 1.5]}}, "'ci' 'top1' is [0.4, 1.5], not an interval of fractions in [0, 1]"),
    ({"per_lighting": {"dim": {"top1": 2.0}}}, "'per_lighting' 'dim' 'top1' is 2.0, not a fraction in [0, 1]"),
])
def test_a_classification_score_outside_zero_to_one_is_refused(fake_run, tmp_path, capsys, change, message):
    # was: "1.700" shown as a UAR, a figure no classifier can score
    root = _copy(fake_run, tmp_path)
    path = _edit_metrics(root, "events-hd-0", **change)
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: not as evface writes it ({message})"
    assert not (tmp_path / "r.html").exists()


def test_a_score_that_is_not_finite_is_shown_as_such(fake_run, tmp_path):
    root = _copy(fake_run, tmp_path)
    _edit_metrics(root, "events-hd-0", uf1=float("nan"))
    assert "<td>n/a (not finite)</td>" in build_report([root], tmp_path / "r.html").read_text()


def test_chance_is_said_for_the_classes_as_tested(fake_run, tmp_path):
    # was: "Chance is 33.3 %" of 3 classes beside a top-1 that always guessing the largest class scores 80 % of
    root = _copy(fake_run, tmp_path)
    _edit_metrics(root, "events-hd-0", confusion_matrix=[[8, 0, 0], [1, 0, 0], [1, 0, 0]])
    text = build_report([root], tmp_path / "r.html").read_text()
    assert ("Chance is a UAR of 0.333 (1 of 3 classes); always predicting the largest class (8 of 10 clips) "
            "scores 80.0 % top-1.") in text
    _edit_metrics(root, "events-hd-0", confusion_matrix=[[2, 0, 0], [1, 1, 0], [0, 1, 1]])  # balanced: once
    assert "Chance is 33.3 %. UF1" in build_report([root], tmp_path / "r.html").read_text()
