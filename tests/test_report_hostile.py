"""The report and ``evface compare`` read by a reviewer who must trust every figure: no winner is
stated (in bold, or in a verdict) beside an interval that reads as touching 0."""

from __future__ import annotations

import json
import re

import pytest

from evface.report.html import build_report
from evface.report.html_parts import signed_difference, signed_mean
from evface.tasks import stats

from report_fixtures import draw_each_figure_once, make_fake_run


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    draw_each_figure_once(monkeypatch)


def _bounds(text: str) -> list[tuple[float, float]]:
    """The intervals ``[low, high]`` written in ``text``."""
    return [(float(lo), float(hi)) for lo, hi in re.findall(r"\[([-+]?\d+\.\d+), ([-+]?\d+\.\d+)\]", text)]


def _reads_clear_of_zero(text: str) -> bool:
    """Whether every interval in ``text`` reads as it is stated: both bounds on one side of 0, neither shown as 0."""
    return all((lo > 0 and hi > 0) or (lo < 0 and hi < 0) for lo, hi in _bounds(text))


@pytest.mark.parametrize("ci", [[-0.0236, -0.0004], [0.00004, 0.03], [-0.02, -0.000004]])
def test_a_bold_difference_never_shows_an_interval_touching_zero(ci):
    # was: '<b>-1.2 [-2.4, +0.0]</b>' for [-0.0236, -0.0004] in points: a winner beside an interval reading as 0
    for text in (signed_difference({"diff": sum(ci) / 2, "ci": ci}, 1, 100),
                 signed_mean({"mean": sum(ci) / 2, "ci": ci, "n_clusters": 4}, 4)):
        assert text.startswith("<b>") and _reads_clear_of_zero(text), text
    assert signed_difference({"diff": 0.01, "ci": [-0.0004, 0.02]}, 1, 100) == "+1.0 [+0.0, +2.0]"  # holds 0: as it was


def test_compare_states_no_winner_beside_an_interval_reading_as_zero():
    """The plain-text tables of both tasks (was: ``-0.01  [-0.02, +0.00]  r-lr higher`` of a face PSNR
    whose interval over subjects and trainings was [-0.0219, -0.0004])."""
    from evface.commands.compare import format_comparison
    from evface.tasks import recon_compare

    ci = [-0.0219, -0.0004]
    verdict = stats.describe_difference("A", "B", ci)
    assert verdict == "B higher"
    cell = {"a": 0.5, "b": 0.51, "diff": -0.0104, "ci": [-0.011, -0.009], "ci_trainings": ci, "verdict": verdict}
    res = {"a": "A", "b": "B", "n": 4, "n_subjects": 2, "metrics": {"uf1": cell}, "per_lighting": {},
           "mcnemar": {"a_only": 0, "b_only": 0, "p": 1.0}, "trainings": {"a": 2, "b": 1}}
    line = format_comparison(res).splitlines()[2]
    assert line.endswith("B higher") and _reads_clear_of_zero(line) and "[-0.022, -0.000]" not in line, line
    recon = {"a": "A", "b": "B", "n": 28, "n_apex": 4, "n_subjects": 4, "trainings": {"a": 2, "b": 1},
             "methods": {"cvae": {"all": {"face_psnr": {**cell, "n": 28, "n_clusters": 4}}}}}
    line = recon_compare.format_comparison(recon).splitlines()[3]  # after the head line, what the metrics are, the columns
    assert line.endswith("B higher") and _reads_clear_of_zero(line) and "+0.00]" not in line, line


def test_every_bold_figure_of_the_page_reads_clear_of_zero(tmp_path):
    """Reconstruction gains and per-lighting differences whose intervals exclude 0 by less than their
    last decimal (was: bold ``+0.0200 [+0.0000, +0.0300]``)."""
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / "recon-hd-0" / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["gain_over_keyframe"]["cvae"]["apex_active_ssim"]["ci"] = [0.00004, 0.03]
    metrics["cvae_vs"]["keyframe"]["apex_by_lighting"]["dim"]["face"]["ci"] = [-0.02, -0.00001]
    path.write_text(json.dumps(metrics))
    text = build_report([root], tmp_path / "report.html").read_text()
    bold = re.findall(r"<b>(.*?)</b>", text)
    assert "+0.02000 [+0.00004, +0.03000]" in bold and "-0.01230 [-0.02000, -0.00001]" in bold, bold
    assert all(_reads_clear_of_zero(b) for b in bold), bold


def _cell(n: int, n_clusters: int = 2) -> dict:
    """A difference of a reconstruction comparison resting on ``n`` samples of ``n_clusters`` subjects."""
    return {"a": 0.5, "b": 0.49, "diff": 0.01, "ci": [-0.01, 0.03], "n": n, "n_clusters": n_clusters,
            "verdict": "no detectable difference"}


def test_the_hd_lr_table_says_what_each_difference_rests_on():
    """Was: one column, "subjects / apex samples" (2 / 4), for the difference over all horizons too,
    which rests on every sample (32), and for the active regions', scored on 3 of the apex samples."""
    from evface.report import recon_section

    pair = {"a": "hd", "b": "lr", "n": 32, "n_apex": 4, "n_subjects": 2, "trainings": {"a": 1, "b": 1},
            "methods": {"cvae": {"all": {"face_ssim": _cell(32)},
                                 "apex": {"face_ssim": _cell(4), "active_ssim": _cell(3)}}}}
    text = recon_section._sensor_differences([pair])
    assert "<th>subjects / samples: apex; all horizons</th>" in text
    assert ("<td>cvae</td><td>2 / 4; 2 / 32</td><td>+0.0100 [-0.0100, +0.0300]</td>"
            "<td>+0.0100 [-0.0100, +0.0300] (2 / 3)</td>") in text, text


def test_each_row_of_compare_says_the_subjects_and_clips_it_rests_on():
    """A lighting's row, or a region scored on fewer samples, rests on fewer subjects and clips than the
    head line counts (was: the head line's count alone, "12 clips of 3 subjects", above a row of 6 clips)."""
    from evface.commands.compare import format_comparison
    from evface.tasks import recon_compare

    cell = {"a": 0.5, "b": 0.5, "diff": 0.0, "ci": [-0.1, 0.1], "verdict": "no detectable difference"}
    res = {"a": "A", "b": "B", "n": 12, "n_subjects": 3, "metrics": {"top1": cell},
           "per_lighting": {"bright": {"n": 6, "n_subjects": 3, "metrics": {"top1": cell}},
                            "dim": {"n": 5, "n_subjects": 2, "metrics": {"top1": cell}}},
           "mcnemar": {"a_only": 0, "b_only": 0, "p": 1.0}}
    lines = format_comparison(res).splitlines()
    assert "subjects / clips" in lines[1], lines[1]
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert "  3 / 12  " in rows["all"] and "  3 / 6  " in rows["bright"] and "  2 / 5  " in rows["dim"], rows
    recon = {"a": "A", "b": "B", "n": 28, "n_apex": 4, "n_subjects": 4, "trainings": {"a": 1, "b": 1},
             "methods": {"cvae": {"all": {"face_ssim": {**cell, "n": 28, "n_clusters": 4}},
                                  "apex": {"active_ssim": {**cell, "n": 3, "n_clusters": 2}}}}}
    lines = recon_compare.format_comparison(recon).splitlines()
    assert "subjects / samples" in lines[2] and "  4 / 28  " in lines[3] and "  2 / 3  " in lines[4], lines


def test_the_apex_table_says_what_its_intervals_rest_on(tmp_path):
    """Was: no count in the table, only the "Tested:" line's clips and samples of every horizon; a
    difference in the active regions, scored on fewer apex samples, says its own."""
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / "recon-hd-0" / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["gain_over_keyframe"]["cvae"]["apex_active_ssim"] |= {"n": 3}
    path.write_text(json.dumps(metrics))
    text = build_report([root], tmp_path / "report.html").read_text()
    table = text[text.index("<h3>At the apex</h3>"):]
    table = table[:table.index("</table>")]
    assert "<th>method</th><th>subjects / apex samples</th>" in table
    assert "<td>cvae</td><td>2 / 4</td><td>0.6000 [0.5512, 0.6488]</td>" in table
    assert "<td><b>+0.0200 [+0.0100, +0.0300]</b> (2 / 3)</td>" in table, table


@pytest.mark.parametrize("first", [True, False])
def test_compare_of_an_empty_folder_says_it_holds_no_run(tmp_path, capsys, first):
    """Was "EMPTY/predictions.csv: no predictions of a classification run here (... evface eval RUN)"
    beside a classification run, and "RUN is a reconstruction run and EMPTY is not" beside a reconstruction run."""
    from evface.cli import main

    empty, recon = tmp_path / "empty", tmp_path / "recon"
    empty.mkdir(), recon.mkdir()
    (recon / "metrics.json").write_text(json.dumps({"task": "reconstruct"}))
    assert main(["compare", *map(str, (empty, recon) if first else (recon, empty))]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {empty}: holds no run (no config.json, metrics.json, "
                                               "predictions.csv or scores.csv): give the folder of a training run "
                                               "(evface train ... --out RUN) or of an evaluation (evface eval RUN "
                                               "--out DIR)")


def test_the_dataset_stage_of_an_evface_run_given_to_the_report_names_its_run(tmp_path, capsys):
    """Was "neither an evface run, a training run, an evaluation nor a dataset folder" of
    ``OUT/stages/synth-KEY``, which holds the record of the stage that built the dataset and no run."""
    from evface.cli import main

    stage = tmp_path / "quick" / "stages" / "synth-9f59"
    stage.mkdir(parents=True)
    (stage / "stage.json").write_text(json.dumps({"name": "synth", "task": "synth", "config": {}}))
    assert main(["report", str(stage), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {stage}: the dataset stage of the evface run {tmp_path / 'quick'}, "
                                               f"which holds no run: give the run ({tmp_path / 'quick'}), or the dataset "
                                               "folder it built")
    assert not (tmp_path / "r.html").exists()
    (stage / "stage.json").write_text(json.dumps({"name": "rgb", "task": "classify"}))  # a training stage, emptied
    assert main(["report", str(stage), "--out", str(tmp_path / "r.html")]) == 2
    assert "dataset stage" not in capsys.readouterr().err
