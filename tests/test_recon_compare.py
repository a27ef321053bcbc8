"""Per-sample scores of reconstruction runs and their paired comparison (evface compare)."""

import csv
import json
import math
import re
import shutil
from dataclasses import replace

import numpy as np
import pytest
from recon_fixtures import make_fake_dataset

from evface.cli import main
from evface.errors import DatasetError, EvfaceWarning
from evface.tasks.configs import ReconstructConfig
from evface.tasks.recon_compare import DIGITS, compare_runs, format_comparison
from evface.tasks.recon_eval import SCORE_COLUMNS, SCORES_CSV, SEED_SCORE_COLUMNS, SEED_SCORES_CSV
from evface.tasks.reconstruct import train_and_evaluate

TINY = ReconstructConfig(size=32, crop=16, n_bins=3, base=4, z_channels=2, batch_size=8, epochs=1, patience=0,
                         k_samples=0, step_us=40_000, seq_len=3, threads=1, device="cpu", folds=2, e2vid=False,
                         val_fraction=0.5)


pytestmark = pytest.mark.xdist_group("recon-compare")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`runs`: an hd and an lr run trained) are built once (was: once in each worker)."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("recon-compare")
    data = make_fake_dataset(root / "data", n_subjects=4, clips_per_subject=1, duration_us=300_000)
    out = {}
    for sensor in ("hd", "lr"):
        out[sensor] = root / sensor
        out[sensor + "-metrics"] = train_and_evaluate(data, out[sensor], replace(TINY, sensor=sensor))
    return out


def _hand_made_metrics(run):
    """``run``'s metrics.json as text, for a run assembled by hand beside another scores.csv: without the
    sha256 of the files written with it (as an older evface wrote it), which compare would check first."""
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.pop("files_sha256")
    return json.dumps(metrics)


def _rows(run):
    with (run / SCORES_CSV).open(newline="") as f:
        return list(csv.DictReader(f))


def test_scores_csv_holds_every_test_sample_of_every_method(runs):
    metrics, rows = runs["hd-metrics"], _rows(runs["hd"])
    assert tuple(rows[0]) == SCORE_COLUMNS
    for method, m in metrics["methods"].items():
        mine = [r for r in rows if r["method"] == method]
        assert len(mine) == metrics["n_samples"]
        assert np.mean([float(r["face_ssim"]) for r in mine]) == pytest.approx(m["all"]["ssim"], abs=1e-5)
        apex = [float(r["active_ssim"]) for r in mine if "apex" in r["phase"].split("+")]
        assert len(apex) == metrics["n_clips"]
        assert np.mean(apex) == pytest.approx(m["apex"]["active"]["ssim"], abs=1e-5)


def test_hd_and_lr_runs_pair_sample_by_sample(runs):
    res = compare_runs(runs["hd"], runs["lr"])
    assert res["n"] == runs["hd-metrics"]["n_samples"] and res["n_subjects"] == 4 and res["n_apex"] == 4
    # keyframe copy sees no event: the same prediction on the shared grid, a difference of exactly 0
    copy = res["methods"]["keyframe"]["all"]["face_ssim"]
    assert copy["diff"] == 0 and copy["ci"] == [0.0, 0.0] and copy["verdict"] == "no detectable difference"
    cvae = res["methods"]["cvae"]["apex"]["active_ssim"]
    assert cvae["diff"] == pytest.approx(cvae["a"] - cvae["b"]) and cvae["diff"] != 0
    assert cvae["ci"][0] <= cvae["diff"] <= cvae["ci"][1] and cvae["n_clusters"] == 4
    assert res["methods"]["cvae"]["all"]["face_ssim"]["a"] == pytest.approx(runs["hd-metrics"]["methods"]["cvae"]["all"]["ssim"])
    assert "cvae" in format_comparison(res) and "hd" in format_comparison(res)
    # 4 subjects: the "95 %" intervals are too narrow, and the comparison says so (was: not a word)
    assert ("Only 4 subjects were tested: a bootstrap over so few subjects has few distinct resamples (35 for 4)"
            in format_comparison(res)) and "so few" not in format_comparison({**res, "n_subjects": 12})
    by_light = [res["methods"]["cvae"][f"apex, {lt}"]["face_ssim"] for lt in ("bright", "dim")]
    assert sum(d["n"] for d in by_light) == res["n_apex"]
    pooled = sum(d["n"] * d["diff"] for d in by_light) / res["n_apex"]
    assert pooled == pytest.approx(res["methods"]["cvae"]["apex"]["face_ssim"]["diff"])


def test_compare_gives_figures_as_the_report_and_no_rows_for_one_lighting(runs):
    """PSNR to two decimals and SSIM to four, as the report's tables (was: PSNR to four); a lighting
    that is the only one is not a row of its own (imported recordings: all "unknown")."""
    res = compare_runs(runs["hd"], runs["lr"])
    psnr, ssim = (res["methods"]["cvae"]["apex"][k] for k in ("face_psnr", "face_ssim"))
    lines = {tuple(line.split()[:3]): line.split()[3:] for line in format_comparison(res).splitlines()[3:]}
    lo, hi = psnr["ci"]
    # a bound that rounds to zero reads +0.00 (the 'z' of the format), never -0.00 (here lo rounds so)
    assert lines["cvae", "apex", "face_psnr"][:5] == [f"{psnr['a']:.2f}", f"{psnr['b']:.2f}", f"{psnr['diff']:+z.2f}",
                                                       f"[{lo:+z.2f},", f"{hi:+z.2f}]"]
    assert lines["cvae", "apex", "face_ssim"][:3] == [f"{ssim['a']:.4f}", f"{ssim['b']:.4f}", f"{ssim['diff']:+z.4f}"]
    assert ("cvae", "apex,", "dim") in lines  # two lightings: a row each
    one = {**res, "methods": {m: {k: v for k, v in entry.items() if k != "apex, dim"} for m, entry in res["methods"].items()}}
    text = format_comparison(one)
    assert "apex, bright" not in text and ("Every clip is of one lighting (bright): no breakdown per lighting, which "
                                           "would repeat the figures over all clips") in text.splitlines()


def test_compare_says_how_many_trainings_each_run_scores(runs, tmp_path):
    res = compare_runs(runs["hd"], runs["lr"])
    assert res["trainings"] == {"a": 1, "b": 1}
    assert format_comparison(res).splitlines()[-1].startswith("one training per fold of each run: an interval covers")
    several = tmp_path / "lr-s3"
    shutil.copytree(runs["lr"], several)
    metrics = json.loads((several / "metrics.json").read_text())
    (several / "metrics.json").write_text(json.dumps(metrics | {"seeds": [0, 1, 2]}))
    res = compare_runs(runs["hd"], several)
    assert res["trainings"] == {"a": 1, "b": 3}
    assert format_comparison(res).splitlines()[-1] == (
        "trainings per fold: 1 of hd, 3 of lr-s3 (a run of several scores each sample by the mean of its trainings); "
        "scored before each training's scores were written (seed_scores.csv): the intervals resample subjects only "
        "(evface eval RUN scores it again)")


def _write_seed_scores(run, method, offsets):
    """seed_scores.csv of ``method``: per seed k its scores.csv value + offsets[k][fold] (every score; an SSIM
    at most 1), folds by subject."""
    rows = [r for r in _rows(run) if r["method"] == method]
    lines = [",".join(SEED_SCORE_COLUMNS)]
    for k, offset in enumerate(offsets):
        for r in rows:
            fold = int(r["subject"][-1]) % 2
            lines.append(",".join([r["clip_id"], r["t_us"], method, str(fold), str(k)]
                                  + [f"{min(float(r[c]) + offset[fold], 1.0 if c.endswith('ssim') else math.inf):.6g}"
                                     for c in SEED_SCORE_COLUMNS[5:]]))
    (run / SEED_SCORES_CSV).write_text("\n".join(lines) + "\n")
    return lines


def test_compare_resamples_the_trainings_of_a_run_of_several_seeds(runs, tmp_path, capsys):
    """lr's CVAE as three trainings whose mean is its scores.csv, one fold's trainings far apart: the
    interval over subjects and trainings is wider than the subject one and the verdict follows it;
    keyframe copy, trained by no one, keeps the subject interval."""
    several = shutil.copytree(runs["lr"], tmp_path / "lr-s3")
    metrics = json.loads((several / "metrics.json").read_text())
    (several / "metrics.json").write_text(json.dumps(metrics | {"seeds": [0, 1, 2]}))
    lines = _write_seed_scores(several, "cvae", [(0.3, 0.0), (0.0, 0.0), (-0.3, 0.0)])
    res = compare_runs(runs["hd"], several)
    cvae, copy = res["methods"]["cvae"]["apex"]["face_ssim"], res["methods"]["keyframe"]["apex"]["face_ssim"]
    assert cvae["diff"] == pytest.approx(compare_runs(runs["hd"], runs["lr"])["methods"]["cvae"]["apex"]["face_ssim"]["diff"])
    lo, hi = cvae["ci_trainings"]
    assert lo < cvae["ci"][0] - 0.05 and hi > cvae["ci"][1] + 0.05 and cvae["verdict"] == "no detectable difference"
    assert "ci_trainings" not in copy and copy["verdict"] == "no detectable difference"
    text = format_comparison(res)
    assert "over subjects and trainings where a run trained a method several times" in text
    assert "scored before" not in text
    line = next(x for x in text.splitlines() if x.startswith("cvae") and "apex " in x and "face_ssim" in x)
    assert line.count("[") == 2 and line.endswith("no detectable difference")
    from evface.report.html import build_report

    report = build_report([runs["hd"], several], tmp_path / "report.html").read_text().replace("−", "-")
    assert f"<td>{cvae['diff']:+.4f} [{lo:+.4f}, {hi:+.4f}]</td>" in report  # the report's cell: over trainings too
    assert "scored before each training's scores" not in report
    (several / SEED_SCORES_CSV).rename(tmp_path / "kept.csv")  # a run scored before the file: said so
    assert "1 of the pairs above holds several trainings but was scored before" in build_report(
        [runs["hd"], several], tmp_path / "report.html").read_text()
    (tmp_path / "kept.csv").rename(several / SEED_SCORES_CSV)
    # alike trainings: the interval is the subject one's, near enough
    _write_seed_scores(several, "cvae", [(0.0, 0.0)] * 3)
    alike = compare_runs(runs["hd"], several)["methods"]["cvae"]["apex"]["face_ssim"]
    assert alike["ci_trainings"] == pytest.approx(alike["ci"], abs=1e-3)
    # a received file evface did not write: one line naming it
    for n, (bad, message) in enumerate([(lines[2].rsplit(",", 1)[0], "line 3 is not a sample's scores of one seed"),
                                         (lines[2].replace(",cvae,0,", ",cvae,1,", 1) if ",cvae,0," in lines[2]
                                          else lines[2].replace(",cvae,1,", ",cvae,0,", 1), "seed 1 twice"),
                                         (lines[2].replace(",cvae,", ",unet,", 1), "method 'cvae' lacks some seed")]):
        run = shutil.copytree(several, tmp_path / f"bad{n}")
        (run / SEED_SCORES_CSV).write_text("\n".join(lines[:2] + [bad] + lines[3:]) + "\n")
        assert main(["compare", str(runs["hd"]), str(run)]) == 2
        err = capsys.readouterr().err
        assert f"bad{n}/{SEED_SCORES_CSV}: " in err and message in err and len(err.splitlines()) == 1, err


def test_compare_cli_writes_json_and_refuses_other_samples(runs, tmp_path, capsys):
    assert main(["compare", str(runs["hd"]), str(runs["lr"]), "--out", str(tmp_path / "cmp.json")]) == 0
    assert "subject-cluster bootstrap" in capsys.readouterr().out
    assert json.loads((tmp_path / "cmp.json").read_text())["methods"]["keyframe"]["all"]["face_ssim"]["diff"] == 0
    assert main(["compare", str(runs["lr"]), str(runs["hd"]), "--out", str(tmp_path / "cmp.json")]) == 0  # replaces it
    assert json.loads((tmp_path / "cmp.json").read_text())["run_a"] == str(runs["lr"])
    # another run that scored fewer samples: one clear line naming the file, exit 2
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    (fewer / "metrics.json").write_text(_hand_made_metrics(runs["lr"]))
    rows = _rows(runs["lr"])
    dropped = rows[0]["clip_id"], rows[0]["t_us"]
    with (fewer / SCORES_CSV).open("w", newline="") as f:
        w = csv.DictWriter(f, SCORE_COLUMNS)
        w.writeheader()
        w.writerows(r for r in rows if (r["clip_id"], r["t_us"]) != dropped)
    with pytest.raises(DatasetError, match="its samples differ"):
        compare_runs(runs["hd"], fewer)
    capsys.readouterr()
    assert main(["compare", str(runs["hd"]), str(fewer)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(fewer / SCORES_CSV) in err and "1 only there" in err
    assert "one protocol and sample step" in err  # the same clips, sampled otherwise


def test_a_run_of_fewer_clips_is_told_how_to_pair_them(runs, tmp_path):
    """A run scored on a subset of the other's clips (a session against the session merged with
    more): the refusal names the `evface eval` that scores the larger run on the subset's dataset."""
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    (fewer / "metrics.json").write_text(json.dumps({**json.loads((runs["lr"] / "metrics.json").read_text()),
                                                    "data": "data/session01"}))
    rows = _rows(runs["lr"])
    with (fewer / SCORES_CSV).open("w", newline="") as f:
        w = csv.DictWriter(f, SCORE_COLUMNS)
        w.writeheader()
        w.writerows(r for r in rows if r["clip_id"] != rows[0]["clip_id"])
    hint = f"score {runs['hd']} on the dataset of {fewer} (evface eval {runs['hd']} --data data/session01 --out DIR)"
    for a, b in ((runs["hd"], fewer), (fewer, runs["hd"])):
        with pytest.raises(DatasetError, match=re.escape(hint)):
            compare_runs(a, b)


def test_a_garbage_line_or_metrics_file_is_one_error_line(runs, tmp_path, capsys):
    """A line cut short, one with a time or score that is not a number, or a metrics.json that is not
    a JSON object made `evface compare` exit 1 ("internal error: ValueError" or "TypeError")."""
    lines = (runs["lr"] / SCORES_CSV).read_text().splitlines()
    fields = lines[3].split(",")
    bad_lines = {"garbage": "garbage", "time": ",".join(fields[:4] + ["soon"] + fields[5:]),
                 "score": ",".join(fields[:-1] + ["high"]), "extra": lines[3] + ",1",
                 "ssim": ",".join(fields[:8] + ["1e300"] + fields[9:]),  # was printed as a 300-digit SSIM
                 "psnr": ",".join(fields[:-1] + ["-inf"])}
    for name, bad in bad_lines.items():
        run = tmp_path / name
        run.mkdir()
        (run / "metrics.json").write_text(_hand_made_metrics(runs["lr"]))
        (run / SCORES_CSV).write_text("\n".join(lines[:3] + [bad] + lines[4:]) + "\n")
        assert main(["compare", str(runs["hd"]), str(run)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"{run / SCORES_CSV}: line 4 is not a row of 12 columns" in err
    (tmp_path / "score" / SCORES_CSV).write_bytes(b"\xff\xfe\x00 not text")  # was exit 1
    assert main(["compare", str(runs["hd"]), str(tmp_path / "score")]) == 2
    assert f"{tmp_path / 'score' / SCORES_CSV}: not text (" in capsys.readouterr().err
    (tmp_path / "score" / SCORES_CSV).write_text((runs["lr"] / SCORES_CSV).read_text())
    (tmp_path / "score" / "metrics.json").write_text("[1, 2]")
    assert main(["compare", str(runs["hd"]), str(tmp_path / "score")]) == 2
    assert "metrics.json: not a metrics file evface wrote" in capsys.readouterr().err


def test_one_subject_gets_no_verdict(runs, tmp_path):
    for sensor in ("hd", "lr"):  # both runs cut down to one subject's samples
        (tmp_path / sensor).mkdir()
        (tmp_path / sensor / "metrics.json").write_text(_hand_made_metrics(runs[sensor]))
        with (tmp_path / sensor / SCORES_CSV).open("w", newline="") as f:
            w = csv.DictWriter(f, SCORE_COLUMNS)
            w.writeheader()
            w.writerows(r for r in _rows(runs[sensor]) if r["subject"] == "s00")
    res = compare_runs(tmp_path / "hd", tmp_path / "lr")
    cvae = res["methods"]["cvae"]["apex"]["face_ssim"]
    assert res["n_subjects"] == 1 and cvae["diff"] != 0 and cvae["verdict"] == "one subject: no interval"
    assert cvae["ci"] is None  # was [x, x], printed as an interval
    assert "[" not in next(line for line in format_comparison(res).splitlines() if line.startswith("cvae"))


def test_compare_refuses_another_grid_and_a_run_without_scores(runs, tmp_path):
    other = tmp_path / "other-grid"
    other.mkdir()
    metrics = json.loads((runs["lr"] / "metrics.json").read_text())
    metrics["grid"]["size"] = 64
    (other / "metrics.json").write_text(json.dumps(metrics))
    (other / SCORES_CSV).write_text((runs["lr"] / SCORES_CSV).read_text())
    with pytest.raises(DatasetError, match="64-pixel grid"):
        compare_runs(runs["hd"], other)
    old = tmp_path / "old"
    old.mkdir()
    (old / "metrics.json").write_text(json.dumps(metrics | {"grid": {"size": 32}}))
    with pytest.raises(DatasetError, match="evface eval RUN"):
        compare_runs(runs["hd"], old)


def test_report_pairs_the_hd_and_lr_runs(runs, tmp_path):
    from evface.report.html import build_report

    text = build_report([runs["hd"], runs["lr"]], tmp_path / "report.html").read_text()
    section = text[text.index("High- vs low-resolution events"):]
    table = section[:section.index("</table>")]
    assert "hd − lr" in table and "4 / 4" in table  # subjects / apex samples
    diff = compare_runs(runs["hd"], runs["lr"])["methods"]["cvae"]["apex"]["active_ssim"]["diff"]
    assert f"{diff:+.4f}" in table and "+0.0000 [+0.0000, +0.0000]" in table  # keyframe copy: exactly 0
    # runs of one dataset that moved between their trainings are paired by its clips, not its path
    moved = shutil.copytree(runs["lr"], tmp_path / "moved-lr")
    config = json.loads((moved / "config.json").read_text())
    (moved / "config.json").write_text(json.dumps({**config, "data": str(tmp_path / "elsewhere")}))
    text = build_report([runs["hd"], moved], tmp_path / "moved.html").read_text()
    assert "hd − moved-lr" in text  # was: not paired, no hd-vs-lr section
    # and runs of other clips under the same path are not
    other = shutil.copytree(runs["lr"], tmp_path / "other-lr")
    clips = json.loads((other / "data-clips.json").read_text())
    (other / "data-clips.json").write_text(json.dumps({**clips, "clips": clips["clips"][1:], "files": clips["files"][1:]}))
    with pytest.warns(EvfaceWarning, match="changed since other-lr was trained on it"):
        assert "hd − other-lr" not in build_report([runs["hd"], other], tmp_path / "other.html").read_text()
    # a run copied without its scores.csv is said to be not compared (was: left out without a word)
    bare = shutil.copytree(runs["lr"], tmp_path / "bare-lr", ignore=shutil.ignore_patterns(SCORES_CSV))
    assert ("<li>hd − bare-lr: no scores.csv in bare-lr (left out of a copy, or scored before evface wrote it: "
            "evface eval RUN --data DATA writes it)</li>") in build_report([runs["hd"], bare], tmp_path / "b.html").read_text()


def test_compare_refuses_runs_of_two_tasks(runs, tmp_path, capsys):
    classification = tmp_path / "classify-run"
    classification.mkdir()
    (classification / "predictions.csv").write_text("clip_id,subject,lighting,label,pred\n")
    for a, b in ((runs["hd"], classification), (classification, runs["hd"])):
        assert main(["compare", str(a), str(b)]) == 2
        assert capsys.readouterr().err.strip() == (f"error: {runs['hd']} is a reconstruction run and {classification} "
                                                   "is not: compare two runs of one task")
    for a, b in ((runs["hd"], tmp_path / "typo"), (tmp_path / "typo", runs["hd"])):  # was: "typo ... is not" one
        assert main(["compare", str(a), str(b)]) == 2
        assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'typo'}: no such folder"


def test_methods_scored_by_one_run_only_are_named(runs, tmp_path, capsys):
    # were left out of the comparison without a word
    from evface.report.recon_section import _sensor_differences

    fewer = tmp_path / "fewer"
    fewer.mkdir()
    (fewer / "metrics.json").write_text(_hand_made_metrics(runs["lr"]))
    rows = _rows(runs["lr"])
    with (fewer / SCORES_CSV).open("w", newline="") as f:
        w = csv.DictWriter(f, SCORE_COLUMNS)
        w.writeheader()
        w.writerows(r for r in rows if r["method"] != "keyframe")
    res = compare_runs(runs["hd"], fewer, names=("hd", "lr"))
    assert res["not_compared"] == {"a": ["keyframe"], "b": []} and "keyframe" not in res["methods"]
    assert "not compared, scored by one run only: keyframe (hd)" in format_comparison(res).splitlines()
    assert "hd − lr: not compared, scored by one run only: keyframe (hd).</p>" in _sensor_differences([res])
    assert "not_compared" not in compare_runs(runs["hd"], runs["lr"])


def test_runs_of_other_protocols_on_the_same_samples_are_compared_and_named(runs, tmp_path):
    # were paired without a word: events-only against extrapolation on the same samples read as
    # a difference of the models alone
    events_only = tmp_path / "events-only"
    events_only.mkdir()
    metrics = json.loads((runs["lr"] / "metrics.json").read_text())
    (events_only / "metrics.json").write_text(json.dumps(metrics | {"protocol": "events-only"}))
    (events_only / SCORES_CSV).write_text((runs["lr"] / SCORES_CSV).read_text())
    res = compare_runs(runs["hd"], events_only, names=("hd", "eo"))
    assert res["protocols"] == {"a": metrics["protocol"], "b": "events-only"}
    assert (f"the runs are of other protocols (hd: {metrics['protocol']}; eo: events-only): the samples and targets "
            "are the same, but each method was given other inputs, so the difference includes that of the "
            "protocols") in format_comparison(res).splitlines()
    assert "protocols" not in compare_runs(runs["hd"], runs["lr"])


def test_a_method_lacking_samples_the_others_scored_is_one_error_line(runs, tmp_path, capsys):
    """A scores.csv with one method's row of a sample missing (in both runs: their samples still
    agree) made `evface compare` stop with "internal error: KeyError"."""
    pair = []
    for sensor in ("hd", "lr"):
        lines = (runs[sensor] / SCORES_CSV).read_text().splitlines()
        gone = next(i for i, line in enumerate(lines) if line.split(",")[7] == "keyframe")
        (tmp_path / sensor).mkdir()
        (tmp_path / sensor / "metrics.json").write_text(_hand_made_metrics(runs[sensor]))
        (tmp_path / sensor / SCORES_CSV).write_text("\n".join(lines[:gone] + lines[gone + 1:]) + "\n")
        pair.append(str(tmp_path / sensor))
        clip, t_us = lines[gone].split(",")[0], lines[gone].split(",")[4]
    assert main(["compare", *pair]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'hd' / SCORES_CSV}: method 'keyframe' lacks 1 "
                                               f"sample the other methods scored (e.g. clip {clip} at {t_us} µs): "
                                               "not a file evface wrote")


@pytest.mark.parametrize("metrics_json", ["without grid", "missing"])
def test_a_run_whose_grid_is_unknown_is_told_to_be_scored_again(runs, tmp_path, capsys, metrics_json):
    """A run whose metrics.json records no ``grid`` (or is not there) beside its scores.csv was refused as
    "scored on a None-pixel grid, ... on a 32-pixel one" (compared in either order), or compared
    unchecked against another such run. Every evface that writes scores.csv records the grid (it came
    first): the run's metrics.json is not the one written with its scores, and scoring it again mends it."""
    unknown = [tmp_path / "unknown", tmp_path / "unknown-too"]
    for run in unknown:
        run.mkdir()
        (run / SCORES_CSV).write_text((runs["lr"] / SCORES_CSV).read_text())
        if metrics_json == "without grid":
            metrics = json.loads((runs["lr"] / "metrics.json").read_text())
            (run / "metrics.json").write_text(json.dumps({k: v for k, v in metrics.items() if k != "grid"}))
    says = "records no target grid" if metrics_json == "without grid" else "not here"
    for a, b in ((runs["hd"], unknown[0]), (unknown[0], runs["hd"]), (unknown[0], unknown[1])):
        assert main(["compare", str(a), str(b)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {unknown[0] / 'metrics.json'}: {says}") and len(err.splitlines()) == 1, err
        assert err.endswith("score the run again: evface eval RUN --data DATA"), err


def test_compare_says_once_that_psnr_is_in_db_and_which_ssim_settings(runs):
    """The printed comparison named its metrics ``face_psnr`` and ``face_ssim`` only: neither the PSNR's
    unit (dB) nor the SSIM's settings (EVREAL's, as the report uses) was said."""
    text = format_comparison(compare_runs(runs["hd"], runs["lr"]))
    said = [line for line in text.splitlines() if "EVREAL" in line]
    assert said == [("face_ssim, active_ssim: SSIM over the face box and in the active AU regions, with EVREAL's "
                     "settings (scikit-image structural_similarity: Gaussian weights, sigma 1.5, population "
                     "covariance, data range 1); face_psnr: PSNR over the face box in dB (each sample's, capped at "
                     "100 dB); A - B and its interval in the metric's units")], text
    assert text.count(" dB") == 2 and text.count("sigma") == 1


_ROW = re.compile(r"(\S+) +(all|apex|apex, \S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\[\S+, \S+\]|-) +(\d+) / (\d+) +(\S.*)")


def _parsed_rows(text):
    """Each table row of a printed comparison, split into its cells by the regular expression above."""
    rows = {}
    for line in text.splitlines()[3:]:
        m = _ROW.fullmatch(line)
        if m:
            rows[m[1], m[2], m[3]] = m.groups()[3:]
    return rows


def test_every_row_shows_its_interval_apart_from_its_subjects_and_samples(runs):
    """An interval of more decimals than its column (one that excludes 0 near it) ran into the
    subjects / samples count beside it (``[-0.00025, -0.00005]4 / 28``), and a difference of more
    decimals into the B column: each row now reads as its cells, with its interval and how many
    subjects and samples it rests on."""
    res = compare_runs(runs["hd"], runs["lr"])
    tiny = json.loads(json.dumps(res))
    tiny["methods"]["cvae"]["all"]["face_ssim"] |= {"diff": -3e-7, "ci": [-5e-7, -1e-7]}
    for r in (res, tiny):
        rows = _parsed_rows(format_comparison(r))
        cells = [(m, label, metric, d) for m, entry in r["methods"].items() for label, part in entry.items()
                 for metric, d in part.items()]
        assert len(rows) == len(cells) == 5 * 4 * 3  # every row read: 5 methods, 4 selections, 3 metrics
        for method, label, metric, d in cells:
            a, b, diff, interval, subjects, samples, verdict = rows[method, label, metric]
            assert (int(subjects), int(samples), verdict) == (d["n_clusters"], d["n"], d["verdict"])
            assert [float(a), float(b)] == pytest.approx([d["a"], d["b"]], abs=10 ** -DIGITS[metric])
            assert float(diff) == pytest.approx(d["diff"], abs=10 ** -DIGITS[metric])
            lo, hi = (float(x) for x in interval.strip("[]").split(", "))
            assert [lo, hi] == pytest.approx(d["ci"], abs=10 ** -DIGITS[metric])
    assert rows["cvae", "all", "face_ssim"][2:4] == ("-0.0000003", "[-0.0000005, -0.0000001]")


def test_a_run_stopped_before_its_scores_is_named_so_not_as_of_another_task(runs, tmp_path, capsys):
    # was: "HD is a reconstruction run and STOPPED is not: compare two runs of one task" (either order),
    # and of two such runs "STOPPED/predictions.csv: no predictions of a classification run here"
    stopped = tmp_path / "stopped"
    shutil.copytree(runs["lr"], stopped)
    for name in ("metrics.json", SCORES_CSV):
        (stopped / name).unlink()
    said = (f"error: {stopped / 'metrics.json'}: missing: this run was not evaluated (interrupted?); finish it, or run "
            "'evface eval RUN', or compare another run")
    for a, b in ((runs["hd"], stopped), (stopped, runs["hd"])):
        assert main(["compare", str(a), str(b)]) == 2
        assert capsys.readouterr().err.strip() == said
    stage = tmp_path / "out" / "stages" / "recon-interpolation-lr-640c4c8616"  # a stage of an evface run stopped
    shutil.copytree(stopped, stage)
    (tmp_path / "out" / "started.json").write_text("{}")
    assert main(["compare", str(runs["hd"]), str(stage)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {stage / 'metrics.json'}: missing: stage recon-interpolation-lr of the run {tmp_path / 'out'} was not "
        f"evaluated (interrupted?); resume the run: 'evface run --out {tmp_path / 'out'}' again, with the options it "
        "was started with")


def test_a_run_resumed_with_more_seeds_and_stopped_is_not_compared_as_of_every_seed(runs, tmp_path, capsys):
    # was: compared on the scores of its first seed, the closing line saying "training seeds 0, 1"
    grown = tmp_path / "grown"
    shutil.copytree(runs["lr"], grown)
    config = json.loads((grown / "config.json").read_text())
    (grown / "config.json").write_text(json.dumps(config | {"seeds": 2}))
    assert main(["compare", str(runs["hd"]), str(grown)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {grown / 'metrics.json'}: the scores of 1 of the run's 2 training seeds: it was resumed with more "
        "seeds and has not finished (interrupted?); finish it (its evface train command again), or compare another run")


def test_a_run_and_its_evaluation_on_its_own_clips_are_not_compared(runs, tmp_path, capsys):
    # was: compared, "no detectable difference" with every difference 0: the same models scoring the same
    # samples again (a run given twice was refused already)
    data = json.loads((runs["hd"] / "config.json").read_text())["data"]
    ev = tmp_path / "ev"
    assert main(["eval", str(runs["hd"]), "--data", data, "--out", str(ev)]) == 0
    capsys.readouterr()
    said = "hold the scores of one training run ({}) on the same clips: the same models scoring them again, every difference 0"
    for a, b in ((runs["hd"], ev), (ev, runs["hd"])):
        assert main(["compare", str(a), str(b)]) == 2
        assert capsys.readouterr().err.strip().startswith(f"error: {a} and {b} {said.format(runs['hd'])}")
    copy = tmp_path / "data-copy"  # the same clips in another folder
    shutil.copytree(data, copy)
    ev2 = tmp_path / "ev2"
    assert main(["eval", str(runs["hd"]), "--data", str(copy), "--out", str(ev2)]) == 0
    capsys.readouterr()
    assert main(["compare", str(ev), str(ev2)]) == 2
    assert said.format(runs["hd"]) in capsys.readouterr().err
    assert main(["compare", str(runs["hd"]), str(runs["lr"])]) == 0  # two runs: compared
