"""The HTML report: self-contained, complete, and readable in a real browser."""

from __future__ import annotations

import html
import html.parser as html_parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evface.cli import main
from evface.errors import DatasetError, EvfaceWarning
from evface.report.html import build_report

from report_fixtures import HALF_RIGHT, LABELS, LIGHTINGS, classification_metrics, draw_each_figure_once, make_fake_run, predicted


@pytest.fixture(autouse=True)
def _each_figure_drawn_once(monkeypatch):
    """The tests build many reports of copies of one fake dataset and run, whose figures were drawn
    each time (:func:`report_fixtures.draw_each_figure_once`)."""
    draw_each_figure_once(monkeypatch)


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> Path:
    return make_fake_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def report(fake_run) -> Path:
    return build_report([fake_run], fake_run / "report.html")


def test_report_is_self_contained(report):
    text = report.read_text()
    # No external asset: every src is inline data, and no stylesheet or script is linked.
    sources = re.findall(r'src="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert "<link" not in text and "http://" not in text and "https://" not in text


def test_report_shows_tables_and_paper_numbers(report):
    text = report.read_text()
    for anchor in ('id="dataset"', 'id="classification"', 'id="reconstruction"', 'id="provenance"'):
        assert anchor in text
    assert "51.23" in text and "23.12" in text and "0.8513" in text and "26.89" in text
    for label in LABELS:
        assert label in text
    assert "50.0" in text  # the classification run's top-1, as a percentage
    assert "image/gif" in text  # the event-vs-RGB animation


def test_report_shows_reconstruction_at_the_apex_by_au_class_and_lighting(report):
    text = report.read_text()
    at_apex = text[text.index("<h3>At the apex</h3>"):]
    assert "0.6000 [0.5512, 0.6488]" in at_apex[:at_apex.index("</table>")]  # a level with its interval
    by_au = text[text.index("at the apex, by AU class"):]
    assert "1+2" in by_au[:by_au.index("</table>")] and "0.6543" in by_au[:by_au.index("</table>")]
    by_light = text[text.index("at the apex, by lighting"):]
    assert "0.6789" in by_light[:by_light.index("</table>")]
    assert "Each model was trained once per fold or split: an interval covers which subjects were tested" in at_apex
    by_light = text[text.index("<h3>CVAE − method per lighting, at the apex</h3>"):]
    by_light = by_light[:by_light.index("</table>")]
    assert "<th>dim</th>" in by_light and "<td>keyframe</td><td><b>-0.0123 [-0.0200, -0.0040]</b></td>" in by_light


def test_report_sets_each_reconstruction_training_beside_their_mean(fake_run, tmp_path):
    """A run trained with --seeds: each seed's CVAE − method at the apex beside the run's mean, and
    the once-per-fold caveat no longer said of it."""
    root = tmp_path / "run"
    shutil.copytree(fake_run, root)
    path = root / "stages" / "recon-hd-0" / "metrics.json"
    metrics = json.loads(path.read_text())
    def interval(mean, ci):
        return {"mean": mean, "ci": ci, "n": 4, "n_clusters": 2}

    per_seed = [{"seed": seed, "cvae_vs": {"keyframe": {"face": interval(mean, ci), "apex_by_lighting": {
        "dim": {"face": interval(-mean, [-ci[1], -ci[0]])}}}}}
        for seed, mean, ci in ((3, 0.0100, [0.0020, 0.0180]), (4, -0.0050, [-0.0150, 0.0040]))]
    metrics["cvae_vs"]["keyframe"]["apex_face_ssim"] = {"mean": 0.0025, "ci": [-0.0040, 0.0090], "n": 4, "n_clusters": 2}
    both = {"keyframe": {"face": interval(0.0025, [-0.0070, 0.0120]),
                         "apex_by_lighting": {"dim": {"face": interval(-0.0123, [-0.0300, 0.0050])}}}}
    path.write_text(json.dumps(metrics | {"seeds": [3, 4], "per_seed": per_seed, "cvae_vs_over_trainings": both}))
    text = build_report([root], root / "report.html").read_text()
    seeds = text[text.index("<h3>Between training seeds</h3>"):]
    seeds = seeds[:seeds.index("</table>")]
    assert "<th>seed 3</th><th>seed 4</th><th>mean over seeds</th><th>mean, subjects and trainings</th>" in seeds
    assert ("<td>keyframe</td><td>2 / 4</td><td><b>+0.0100 [+0.0020, +0.0180]</b></td><td>-0.0050 [-0.0150, +0.0040]</td>"
            "<td>+0.0025 [-0.0040, +0.0090]</td><td>+0.0025 [-0.0070, +0.0120]</td>") in seeds.replace("−", "-")
    # the run's own dim-light mean: clear of zero over subjects, not over subjects and trainings
    assert ("<td>keyframe, dim</td><td>2 / 2</td><td><b>-0.0100 [-0.0180, -0.0020]</b></td><td>+0.0050 [-0.0040, +0.0150]</td>"
            "<td><b>-0.0123 [-0.0200, -0.0040]</b></td><td>-0.0123 [-0.0300, +0.0050]</td>") in seeds.replace("−", "-")
    assert "was trained once per fold" not in text
    # the per-lighting table of the run claims what its interval over subjects and trainings allows
    by_light = text[text.index("<h3>CVAE − method per lighting, at the apex</h3>"):]
    by_light = by_light[:by_light.index("</table>")].replace("−", "-")
    assert "<td>keyframe</td><td>-0.0123 [-0.0300, +0.0050]</td>" in by_light
    assert "its interval resamples the subjects and each fold's trainings" in text
    path.write_text(json.dumps(metrics | {"seeds": [3, 4], "per_seed": per_seed}))  # scored before the two-level interval
    text = build_report([root], root / "report.html").read_text().replace("−", "-")
    assert "<td>+0.0025 [-0.0040, +0.0090]</td><td>–</td>" in text
    assert "<td>keyframe</td><td><b>-0.0123 [-0.0200, -0.0040]</b></td>" in text  # its subject-cluster interval
    assert "its interval resamples the subjects" not in text


def test_report_of_recorded_reconstruction_claims_no_truth_frames(fake_run, report, tmp_path):
    """A reconstruction run on imported recordings (scored against their own RGB frames): the
    section says so from its first line, interpolation is said to be refused there, and the AU
    regions are said to be approximate (was: "hd's face box, the clean hd truth" and "truth frames
    between frames", of data that has none, and the region scores without a word)."""
    assert "the clean hd truth" in report.read_text() and "take their scores as approximate" not in report.read_text()
    root = shutil.copytree(fake_run, tmp_path / "run")
    path = root / "stages" / "recon-hd-0" / "metrics.json"
    metrics = json.loads(path.read_text())
    path.write_text(json.dumps(metrics | {"grid": {"size": 128, "targets": {"truth": 0, "rgb": 6}}}))
    text = build_report([root], root / "report.html").read_text()
    section = text[text.index('id="reconstruction"'):text.index('id="provenance"')]
    assert "truth" not in section.replace("which have no truth frames", "").replace(
        "truth frames between frames; refused on recordings, which have none", "")
    assert "one target grid for hd and lr (each recording's RGB face box and its own RGB frames, below" in section
    assert section.count("placed by the synthetic face model's geometry in its detected face box: take their scores "
                         "as approximate") == 2  # the introduction and the table of AU regions


def test_report_says_which_reconstruction_models_were_still_improving(report):
    text = report.read_text()
    training = text[text.index("<h3>Training</h3>"):]
    training = training[:training.index("</table>")]
    assert "1 of 2 models had their best validation SSIM in their last epoch" in training
    cvae = training[training.index("<td>CVAE</td>"):]
    assert "<td>3 of 3</td><td>3</td><td>0.9494</td><td>yes</td>" in cvae[:cvae.index("</tr>")]
    unet = training[training.index("<td>E2VID-style UNet</td>"):]
    assert "<td>3 of 3</td><td>2</td><td>0.9415</td><td>no</td>" in unet[:unet.index("</tr>")]


def test_report_shows_identities_and_clip_variation(report):
    text = report.read_text()
    assert 'alt="identities"' in text and "2 identities" in text  # the fixture's subjects s0 and s1
    section = text[text.index("What varies"):text.index('alt="identities"')]
    # the fixture's clips all have onset 100 ms, apex 180 ms, offset 300 ms and no rig metadata
    assert re.search(r"onset to apex</td><td>ms</td><td>6</td><td>80</td><td>80</td><td>80<", section), section
    assert "head yaw" not in section
    assert "2 identities: each subject's first RGB frame.</figcaption>" in text  # no pose to show


def test_report_of_an_imported_dataset_shows_its_import_and_every_face_box(fake_run, report, tmp_path):
    """An imported dataset: the sensors' sync and registration, the import's warnings (a face box
    found in one frame of eight can be a hand) and the face box of every clip at its apex, those
    warned of first (was: "evface import session" and nothing else; the warnings only in
    dataset.json, and one clip per subject and per class shown)."""
    from evface.io.dataset import write_dataset_json

    assert "Import warnings" not in report.read_text() and 'alt="face boxes"' not in report.read_text()
    root = shutil.copytree(fake_run, tmp_path / "run")
    warning = "clip c003: the face box [449, 110, 58, 58] was found in only 1 of 8 frames: check it"
    write_dataset_json(root / "data", {"generator": "evface import session", "seed": None, "import": {
        "sensors": {"hd": {"file": "<hd>.raw", "sync": {"method": "xcorr", "offset_us": -8346, "confidence": 0.8427},
                           "registration": {"method": "ecc", "score": 0.9123}},
                    "lr": {"file": "lr.aedat4", "sync": {"method": "given", "offset_us": -1605537490718345,
                                                         "confidence": 1.0}, "registration": {"method": "given"}}},
        "warnings": [warning]}})
    text = build_report([root], root / "report.html").read_text()
    assert ('<tr class=""><td>hd</td><td>&lt;hd&gt;.raw</td><td>xcorr</td><td>-8346</td><td>0.84</td><td>ecc</td>'
            "<td>score 0.912</td></tr>") in text
    assert '<tr class=""><td>lr</td><td>lr.aedat4</td><td>given</td><td>-1605537490718345</td><td>-</td><td>given</td>' in text
    assert f"<li>{html.escape(warning)}</li>" in text and "1 problem that did not stop the import" in text
    assert 'alt="face boxes"' in text and "The face box of the dataset's 6 clips, each at its apex" in text


def test_report_of_an_import_with_classes_names_the_clips_it_skipped(fake_run, tmp_path):
    """A session imported with --classes default, whose AU12 clips match no class: the dataset
    section says below the import warnings how many annotated clips were not imported, which (the
    first 10, then "and N more") and why (was: only the imported clips and the warnings; the skipped
    clips printed once at import and kept in dataset.json's import.skipped)."""
    from evface.io.dataset import write_dataset_json
    from evface.report.dataset_summary import import_summary

    root = shutil.copytree(fake_run, tmp_path / "run")
    skipped = [{"clip_id": f"c{i:02d}", "aus": [12], "line": i + 2} for i in range(12)]
    record = {"sensors": {"hd": {"file": "hd.raw", "sync": {"method": "given", "offset_us": 0},
                                 "registration": {"method": "given"}}},
              "skipped": skipped, "warnings": ["clip c003: the face box was found in only 1 of 8 frames: check it"]}
    write_dataset_json(root / "data", {"generator": "evface import session", "seed": None,
                                       "params": {"classes": "default"}, "import": record})
    text = build_report([root], root / "report.html").read_text()
    named = ", ".join(f"c{i:02d} (AU12)" for i in range(10))
    line = ("<p>12 annotated clips were not imported: their AUs match no class of the <code>--classes default</code> "
            f"set (all in dataset.json, <code>import.skipped</code>): {named} and 2 more.</p>")
    assert line in text and text.index("Import warnings") < text.index(line)
    # a merged dataset's source: the clips named, its class set not
    merged = import_summary({"sources": [{"subjects": ["s1"], "dataset": {"params": {"classes": "default"},
                                                                          "import": record}}]})
    assert merged["skipped"][:1] == ["c00 (AU12)"] and len(merged["skipped"]) == 12 and merged["classes"] is None


def test_a_merged_dataset_shows_the_import_of_its_recorded_sources(fake_run, tmp_path):
    """A session merged with synthetic clips: its sync, registration, warnings and face boxes were
    not shown (they are in the merged dataset.json's sources), the import table only of a dataset
    imported alone."""
    from evface.io.dataset import DatasetFolder, read_dataset_json, write_dataset_json

    root = shutil.copytree(fake_run, tmp_path / "run")
    rows = DatasetFolder.open(root / "data").rows
    session = sorted({r["subject"] for r in rows})[:1]
    warning = f"clip {next(r['clip_id'] for r in rows if r['subject'] in session)}: the face box was found in 1 of 8 frames"
    imported = {"generator": "evface import session", "import": {
        "sensors": {"hd": {"file": "hd.raw", "sync": {"method": "xcorr", "offset_us": -5591, "confidence": 0.73},
                           "registration": {"method": "ecc", "score": 0.921}}}, "warnings": [warning]}}
    synthetic = {k: v for k, v in read_dataset_json(root / "data").items() if k != "import"}
    write_dataset_json(root / "data", {"generator": "evface merge", "seed": None, "sources": [
        {"folder": "session01", "clips": 3, "subjects": session, "dataset": imported},
        {"folder": "tiny", "clips": 3, "subjects": ["other"], "dataset": synthetic}]})
    text = build_report([root], root / "report.html").read_text()
    assert ('<tr class=""><td>hd</td><td>hd.raw</td><td>xcorr</td><td>-5591</td><td>0.73</td><td>ecc</td>'
            "<td>score 0.921</td></tr>") in text
    assert f"<li>{html.escape(warning)}</li>" in text
    n = sum(r["subject"] in session for r in rows)
    assert f"The face box of the dataset's {n} imported clips, each at its apex" in text


def test_report_says_intervals_over_few_subjects_are_too_narrow(fake_run, tmp_path):
    """3 subjects tested (an imported session of 3 people): the subject bootstrap has 10 distinct
    resamples and its "95 %" interval held the true difference in 88 % (classification) and 74 %
    (reconstruction) of simulated runs; the report says so in both sections (was: "95 % intervals"
    and bold differences without a word); with 12 subjects it does not."""
    root = shutil.copytree(fake_run, tmp_path / "run")

    def tested(n: int) -> str:
        for stage in ("events-hd-0", "recon-hd-0"):
            path = root / "stages" / stage / "metrics.json"
            path.write_text(json.dumps(json.loads(path.read_text()) | {"n_subjects": n}))
        return build_report([root], root / "report.html").read_text()

    text = tested(3)
    classification = text[text.index('id="classification"'):text.index('id="reconstruction"')]
    reconstruction = text[text.index('id="reconstruction"'):text.index('id="provenance"')]
    said = "Only 3 subjects were tested: a bootstrap over so few subjects has few distinct resamples (10 for 3)"
    assert said in classification and "docs/classification.md: 88 % with 3 subjects" in classification
    assert said in reconstruction and "docs/reconstruction.md: 74 % with 3 subjects" in reconstruction
    assert "so few subjects" not in tested(12)


CLIPS = len(LABELS) * len(LIGHTINGS)
"""The clips of :func:`make_fake_run`'s dataset: c000..c005, subject s0 the even ones (bright), s1 the odd (dim);
:data:`~report_fixtures.HALF_RIGHT` predicts 2 of subject s0's 3 correctly and 1 of s1's."""


def _add_arm(root: Path, name: str, input_kind: str, right: list[bool], **config) -> None:
    """A classification stage with protocol metrics and predictions.csv (right[i]: clip i predicted correctly),
    its scores computed from its predictions (:func:`report_fixtures.classification_metrics`)."""
    from evface.io.manifest import read_manifest
    from evface.tasks.class_compare import predictions_text

    rows = read_manifest(root / "data")
    run = root / "stages" / f"{name}-0"
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps({"task": "classify", "input": input_kind, "data": str(root / "data"),
                                                 **config}))
    predictions = predicted(rows, right)
    (run / "predictions.csv").write_text(predictions_text(rows, predictions))
    metrics = classification_metrics(rows, predictions)
    for part in metrics["per_lighting"].values():  # one subject a lighting: no interval, as evface writes it
        part["ci"] = {"top1": None} if part["n_subjects"] < 2 else {"top1": [0.1, 0.9]}
    (run / "metrics.json").write_text(json.dumps({
        **metrics, "ci": {"top1": [0.123, 0.987], "uf1": [0.1, 0.9], "uar": [0.1, 0.9]},
        "evaluated_on": "every subject, 2-fold subject-grouped cross-validation",
        "bootstrap": {"unit": "subject", "resamples": 2000, "level": 0.95, "seed": 0, "interval": "percentile"}}))
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"] = [s for s in pipeline["stages"] if s["name"] != name]
    pipeline["stages"].append({"name": name, "task": "classify", "dir": f"stages/{name}-0", "seconds": 5.0})
    (root / "pipeline.json").write_text(json.dumps(pipeline))


def _rescore(run: Path) -> None:
    """The scores and counts of the run folder ``run``'s ``metrics.json`` made those of its ``predictions.csv``
    again (:func:`report_fixtures.classification_metrics`), after a test edited the file."""
    import csv

    lines = list(csv.DictReader((run / "predictions.csv").read_text().splitlines()))
    path = run / "metrics.json"
    metrics = json.loads(path.read_text())
    scores = classification_metrics(lines, [line["prediction"] for line in lines])
    scores["per_lighting"] = {lt: {**metrics["per_lighting"].get(lt, {}), **v} for lt, v in scores["per_lighting"].items()}
    path.write_text(json.dumps(metrics | scores))


def test_report_shows_intervals_and_words_differences_by_them(tmp_path):
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", HALF_RIGHT)
    _add_arm(root, "rgb-same", "rgb-diff", [True] * CLIPS)
    text = build_report([root], root / "report.html").read_text()
    assert "Paired differences" in text and "events-hd − rgb" in text and "events-hd − rgb-same" in text
    assert "12.3, 98.7" in text  # the top-1 interval in percent
    assert "events-hd higher" in text  # every resample of the 2 subjects keeps the gap
    assert "no detectable difference" in text  # identical predictions
    assert "Top-1 difference per lighting" in text and "2-fold subject-grouped" in text
    per_lighting = text[text.index("Top-1 difference per lighting"):]
    assert per_lighting.startswith("Top-1 difference per lighting (points)</h4><p>Subjects / clips tested: "
                                   "bright 1 / 3; dim 1 / 3.</p>")  # was: no count of what each rests on
    assert "<th>subjects / clips</th>" in text and "<td>2 / 6</td>" in text  # what each difference rests on
    assert "Between training seeds" not in text  # one seed per arm: nothing to show, but said so
    assert "Every pair above rests on one training per fold" in text
    metrics = root / "stages" / "events-hd-0" / "metrics.json"
    metrics.write_text(json.dumps({**json.loads(metrics.read_text()), "top1_per_seed": [1.0, 0.75, 0.5]}))
    text = build_report([root], root / "report.html").read_text()
    section = text[text.index("Between training seeds"):]
    assert "<td>events-hd − rgb</td><td>3 × 1</td><td>+0.0 to +50.0</td><td>2 / 0 of 3</td>" in section
    assert "<th>pairs above 0 / below 0</th>" in section and "ahead" not in section  # counts, not a claim
    assert "one training per fold" not in text  # both pairs hold events-hd's three seeds
    assert "2 of the pairs above hold several seeds but were scored before each seed's logits" in text
    from evface.tasks.class_compare import write_seed_logits

    for name, seeds in (("events-hd", 3), ("rgb", 1), ("rgb-same", 1)):  # each seed's logits: the prediction's one-hot
        run = root / "stages" / f"{name}-0"
        rows = [line.split(",") for line in (run / "predictions.csv").read_text().splitlines()[1:]]
        onehot = np.stack([np.eye(len(LABELS))[LABELS.index(r[-1])] for r in rows])
        write_seed_logits(run, [r[0] for r in rows], ["0"] * len(rows), range(seeds), np.stack([onehot] * seeds), LABELS)
    text = build_report([root], root / "report.html").read_text()
    assert "<td>events-hd − rgb</td><td>2 / 6</td><td>3 × 1</td>" in text and "scored before each seed" not in text
    # an arm of several seeds: its own interval over subjects and seeds
    metrics.write_text(json.dumps({**json.loads(metrics.read_text()), "ci_trainings": {"top1": [0.5, 0.99]}}))
    assert "<td>events-hd</td><td>100.0 [50.0, 99.0]</td>" in build_report([root], root / "report.html").read_text()


def test_a_pair_whose_run_lacks_its_per_clip_scores_is_listed_as_not_compared(tmp_path):
    # was: left out of the paired differences without a word (a run copied without its predictions.csv)
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", [True] * CLIPS)
    (root / "stages" / "rgb-0" / "predictions.csv").unlink()
    note = build_report([root], root / "report.html").read_text().split("Not compared:</p>")[1]
    assert note.startswith('<ul class="muted"><li>events-hd − rgb: no predictions.csv in rgb (left out of a copy, or '
                           "scored before evface wrote it: evface eval RUN --data DATA writes it)</li></ul>")


def test_runs_scored_on_other_clips_are_listed_apart_not_as_rows_of_the_table(tmp_path):
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", [True] * CLIPS)
    predictions = root / "stages" / "rgb-0" / "predictions.csv"
    predictions.write_text("\n".join(predictions.read_text().splitlines()[:4]) + "\n")  # 3 of the clips
    _rescore(root / "stages" / "rgb-0")  # as an evaluation of those clips writes its metrics.json
    text = build_report([root], root / "report.html").read_text()
    assert "Not compared:</p>" in text
    note = text[text.index("Not compared"):]
    assert "<li>events-hd − rgb: " in note and "compare runs scored on the same clips" in note
    assert "<td>events-hd − rgb</td>" not in text  # was: a row of the table holding the error


def test_hd_and_lr_event_arms_trained_alike_are_paired(tmp_path):
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS, sensor="hd", model="snn", spec={"sensor": "hd", "size": 64},
             evface_version="0.1.0")
    _add_arm(root, "events-lr", "events", HALF_RIGHT, sensor="lr", model="snn",
             spec={"sensor": "lr", "size": 64}, evface_version="0.0.9")  # the evface that wrote it: not a setting
    _add_arm(root, "events-lr-ann", "events", [True] * CLIPS, sensor="lr", model="ann", spec={"sensor": "lr", "size": 64})
    text = build_report([root], root / "report.html").read_text()
    assert "Paired differences: high- vs low-resolution events" in text
    assert "events-hd − events-lr<" in text  # the arms that differ only in the sensor
    assert "events-hd − events-lr-ann" not in text  # another model: not a comparison of sensors



def test_hd_and_lr_arms_trained_on_other_renderings_of_the_rows_are_not_paired(tmp_path):
    """Arms that recorded the same manifest rows but other clip files (the dataset rendered again
    with other event noise) were trained on other clips: not an hd - lr comparison."""
    import shutil

    from evface.io.manifest import read_manifest
    from evface.tasks.run_clips import record_clips

    root = make_fake_run(tmp_path / "run")
    noisy = tmp_path / "noisy"
    shutil.copytree(root / "data", noisy)
    clip = noisy / read_manifest(noisy)[0]["file"]
    clip.write_bytes(clip.read_bytes() + b"\0")  # another rendering of the first clip
    spec = {"size": 64}
    _add_arm(root, "events-hd", "events", [True] * CLIPS, sensor="hd", model="snn", spec={**spec, "sensor": "hd"})
    _add_arm(root, "events-lr", "events", [i % 2 == 0 for i in range(CLIPS)], sensor="lr", model="snn",
             spec={**spec, "sensor": "lr"})
    record_clips(root / "stages" / "events-hd-0", root / "data", read_manifest(root / "data"))
    record_clips(root / "stages" / "events-lr-0", root / "data", read_manifest(root / "data"))
    assert "events-hd − events-lr<" in build_report([root], tmp_path / "same.html").read_text()
    record_clips(root / "stages" / "events-lr-0", noisy, read_manifest(noisy))
    with pytest.warns(EvfaceWarning, match="changed since events-lr was trained on it"):
        assert "events-hd − events-lr<" not in build_report([root], tmp_path / "other.html").read_text()

def test_runs_tested_on_other_clips_are_not_described_by_the_first(report, tmp_path):
    # the table's header said "Evaluated on ...: N clips of S subjects" from the first run alone
    assert "Evaluated on" in report.read_text()
    two, three = make_fake_run(tmp_path / "two", subjects=2), make_fake_run(tmp_path / "three", subjects=3)
    for run, n_subjects in ((two, 2), (three, 3)):
        path = run / "stages" / "events-hd-0" / "metrics.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "n": 12, "n_subjects": n_subjects,
                                    "evaluated_on": "every subject, leave-one-subject-out"}))
    text = build_report([two, three], tmp_path / "report.html").read_text()
    assert ("Tested: two/events-hd on two/data: every subject, leave-one-subject-out, 12 clips of 2 subjects; "
            "three/events-hd on three/data: every subject, leave-one-subject-out, 12 clips of 3 subjects.") in text
    assert "Evaluated on" not in text


def test_runs_on_different_datasets_are_each_shown_with_their_own(tmp_path):
    """Two ``evface run`` folders on two datasets: each dataset summarised with its runs, each row
    naming its dataset (was: the first run's dataset alone, both runs' rows under it)."""
    from evface.io.dataset import write_dataset_json

    one, other = make_fake_run(tmp_path / "one", subjects=2), make_fake_run(tmp_path / "other", subjects=3)
    write_dataset_json(other / "data", {"generator": "evface synth", "preset": "quick", "seed": 7})
    for run, n in ((one, 6), (other, 9)):
        path = run / "stages" / "events-hd-0" / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["per_lighting"] = {lt: {**v, "n": n, "n_subjects": n // 3} for lt, v in metrics["per_lighting"].items()}
        path.write_text(json.dumps(metrics))
    text = html.unescape(build_report([one, other], tmp_path / "report.html").read_text())
    datasets = text[text.index('id="dataset"'):text.index('id="classification"')]
    assert "<h2>Datasets</h2>" in datasets and "scored on 2 datasets" in datasets
    first, second = datasets.split("<h3>other/data</h3>")
    assert "<h3>one/data</h3>" in first and "runs scored on it: one/events-hd, one/recon-hd." in first
    assert "fake fixture (preset test, seed 0)" in first and "6 clips, 2 subjects" in first
    assert "runs scored on it: other/events-hd, other/recon-hd." in second
    assert "evface synth (preset quick, seed 7)" in second and "6 clips, 3 subjects" in second
    assert "<td>one/events-hd on one/data</td>" in text and "<td>other/events-hd on other/data</td>" in text
    assert "<td>other/recon-hd on other/data</td>" in text
    per_lighting = text[text.index("<h3>Top-1 % per lighting</h3>"):]  # was: the first run's clips, said of both
    assert per_lighting.startswith("<h3>Top-1 % per lighting</h3><p>After each value, in brackets: the subjects / "
                                   "clips it rests on.</p>")
    top1 = {lt: f"{100 * v['top1']:.1f}" for lt, v in metrics["per_lighting"].items()}  # other's, as its metrics give them
    assert (f"<td>other/events-hd on other/data</td><td>{top1['bright']} (3 / 9)</td><td>{top1['dim']} (3 / 9)</td>"
            in per_lighting)
    single = html.unescape(build_report([one], tmp_path / "single.html").read_text())
    assert "<h2>Dataset</h2>" in single and "<td>events-hd</td>" in single  # one dataset: no label


def test_names_from_a_received_run_are_shown_as_text_not_markup(tmp_path):
    """A report is built from runs and datasets someone else made: a stage name, a lighting or a
    class holding markup must not become script in the page."""
    root = make_fake_run(tmp_path / "run")
    bad = "<script>alert(1)</script>"
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"][0]["name"] = bad
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    metrics_path = root / "stages" / "events-hd-0" / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["per_lighting"][bad] = {"top1": 0.5}
    metrics["labels"] = [*metrics["labels"][:-1], bad]
    metrics["evaluated_on"] = '"><img src=x onerror=alert(2)> & co'
    metrics_path.write_text(json.dumps(metrics))
    from evface.io.dataset import write_dataset_json

    write_dataset_json(root / "data", {"generator": bad, "preset": '"><img src=x onerror=alert(3)>', "seed": "a&b"})
    text = build_report([root], tmp_path / "report.html").read_text()
    assert "<script" not in text and text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert "<img src=x" not in text and "a&amp;b" in text and "&gt; &amp; co" in text

    class Tags(html_parser.HTMLParser):  # what a browser would load or run: only the page's own inline images
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found += [(tag, k, v) for k, v in attrs if k.startswith("on") or k in ("src", "href") and not
                           v.startswith(("data:image/", "#"))]

    page = Tags()
    page.feed(text)
    assert page.found == [] and not re.search(r"url\(|@import|https?://", text)


def test_a_received_json_file_holding_utf8_text_is_read_as_utf8_in_any_locale(tmp_path):
    """JSON is UTF-8 (RFC 8259); evface writes it as ASCII, but a run folder edited by hand or written
    by another tool holds the text as it is. In a locale whose encoding is not UTF-8 (here the C
    locale as Python keeps it: ASCII) the report read it with that encoding."""
    root = make_fake_run(tmp_path / "run")
    metrics_path = root / "stages" / "events-hd-0" / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["evaluated_on"] = "données de José"
    metrics_path.write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.html"
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    done = subprocess.run([sys.executable, "-m", "evface.cli", "report", str(root), "--out", str(out)], env=env,
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=300)
    # was: exit 2, "metrics.json: cannot read JSON ('ascii' codec can't decode byte 0xc3 ...)"
    assert done.returncode == 0, done.stderr
    assert "données de José" in out.read_text(encoding="utf-8")


def test_names_holding_dollar_signs_are_drawn_as_text(tmp_path):
    # a stage or class named "$\\bad$" was read as mathtext: matplotlib raised, and the report was
    # refused naming the run's metrics.json
    root = make_fake_run(tmp_path / "run")
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"][0]["name"] = "events $\\bad$"
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    metrics_path = root / "stages" / "events-hd-0" / "metrics.json"
    metrics_path.write_text(json.dumps({**json.loads(metrics_path.read_text()), "labels": ["AU$1", "$x^{$", "AU12"]}))
    text = build_report([root], tmp_path / "report.html").read_text()
    assert 'alt="confusion events $\\bad$"' in text


@pytest.mark.parametrize("change, message", [
    (lambda m: {k: v for k, v in m.items() if k != "methods"}, "has no 'methods'"),
    (lambda m: {**m, "methods": {**m["methods"], "keyframe": {"apex": m["methods"]["keyframe"]["apex"]}}}, "has no 'all'"),
])
def test_a_reconstruction_metrics_file_without_its_scores_is_refused(tmp_path, capsys, change, message):
    # was: the run left out of the table of scores (or the method out of it) without a word, its other tables shown
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / "recon-hd-0" / "metrics.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: not as evface writes it ({message})"
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("stage, change", [
    ("events-hd-0", lambda m: {**m, "n": "<script>alert(1)</script>"}),
    ("events-hd-0", lambda m: {**m, "n_subjects": '"><img src=x onerror=alert(1)>'}),
    ("recon-hd-0", lambda m: {**m, "n_samples": "<script>alert(1)</script>"}),
    ("recon-hd-0", lambda m: {**m, "latent": {**m["latent"], "k": "<script>alert(1)</script>"}}),
])
def test_a_count_in_a_received_metrics_file_that_is_not_a_number_is_refused(tmp_path, capsys, stage, change):
    # was: written into the page as it stood, markup and all
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / stage / "metrics.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {path}: not as evface writes it (value must be a count (a whole number) or None, got ")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("name, change, message", [
    ("train.json", lambda t: {"parts": [{**t["parts"][0], "cvae": {**t["parts"][0]["cvae"], "epochs_run": "<b>3</b>"}}]},
     "'epochs_run' is '<b>3</b>', not of type int"),
    ("train.json", lambda t: {"parts": [{**t["parts"][0], "e2vid": {**t["parts"][0]["e2vid"], "best_epoch": 1.5}}]},
     "'best_epoch' is 1.5, not of type int"),
    ("train.json", lambda t: {"parts": ["fold0"]}, "expected a JSON object, got 'fold0'"),
    ("config.json", lambda c: {**c, "epochs": "<script>alert(1)</script>"},
     "'epochs' is '<script>alert(1)</script>', not of type int"),
])
def test_a_count_in_a_received_train_or_config_file_names_that_file(tmp_path, capsys, name, change, message):
    # was: "recon-hd-0/metrics.json: not as evface writes it (expected a count, got '<b>3</b>')", naming a file that
    # holds no such count
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / "recon-hd-0" / name
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: not as evface writes it ({message})"
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("change, message", [
    (lambda st: {**st, "dir": "../../elsewhere"}, "the folder '../../elsewhere' leaves the run folder"),
    (lambda st: {k: v for k, v in st.items() if k != "dir"}, "has no 'dir'"),
    (lambda st: "events-hd", "expected a JSON object, got 'events-hd'"),
    (lambda st: {**st, "seconds": "<b>12</b>"}, "'seconds' is '<b>12</b>', not of type int/float"),  # was: its metrics.json named
])
def test_a_received_pipeline_json_naming_folders_outside_the_run_is_refused(tmp_path, capsys, change, message):
    root = make_fake_run(tmp_path / "run")
    pipeline = json.loads((root / "pipeline.json").read_text())
    pipeline["stages"] = [change(stage) for stage in pipeline["stages"]]
    (root / "pipeline.json").write_text(json.dumps(pipeline))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2  # was: a stage read from outside, or exit 1
    assert capsys.readouterr().err.strip() == f"error: {root}/pipeline.json: not as evface writes it ({message})"
    assert not (tmp_path / "r.html").exists()


def test_the_stages_a_run_left_out_are_named_under_the_title(tmp_path, capsys):
    # were said only on the terminal of the run: the page read as if the study had no such arm
    root = make_fake_run(tmp_path / "run")
    pipeline = json.loads((root / "pipeline.json").read_text())
    why = "not every clip of <data> has lr events"
    (root / "pipeline.json").write_text(json.dumps({**pipeline, "left_out": [{"stages": ["events-lr"], "why": why}]}))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 0
    assert ('<p class="muted">Stages left out by evface run: events-lr (not every clip of &lt;data&gt; has lr '
            "events).</p>") in (tmp_path / "r.html").read_text()
    capsys.readouterr()
    (root / "pipeline.json").write_text(json.dumps({**pipeline, "left_out": [{"stages": [3], "why": why}]}))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {root}/pipeline.json: not as evface writes it ('stages' of "
                                               "'left_out' is [3], not a list of stage names)")


@pytest.mark.parametrize("stage, damage, what", [
    ("events-hd", shutil.rmtree, "is missing (deleted, or left out of a copy); put it back, or"),
    ("recon-hd", lambda folder: (folder / "config.json").unlink(),
     "holds no config.json (part of it left out of a copy?); copy it again, or delete it and"),
], ids=["deleted", "copied-in-part"])
def test_a_stage_folder_deleted_or_copied_in_part_is_named_as_such(tmp_path, capsys, stage, damage, what):
    # was: "cannot read JSON ([Errno 2] No such file or directory: ...)" about the stage's config.json
    root = make_fake_run(tmp_path / "run")
    damage(root / "stages" / f"{stage}-0")
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {root}/stages/{stage}-0: the folder of stage {stage}, which "
                                               f"{root}/pipeline.json lists, {what} run the run's evface run command "
                                               "again, which trains that stage again")
    assert not (tmp_path / "r.html").exists()


def test_a_stage_not_evaluated_says_to_resume_the_run(tmp_path, capsys):
    # was: "...; finish it, or run 'evface eval RUN', or leave it out of the report": a stage of an evface run
    # folder cannot be left out of its report
    root = make_fake_run(tmp_path / "run")
    stage = root / "stages" / "recon-hd-0"
    (stage / "metrics.json").unlink()
    (stage / "stage.json").unlink()  # interrupted
    again = f"'evface run --out {root}' again, with the options it was started with"
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {stage}/metrics.json: missing: stage recon-hd of the run {root} "
                                               f"was not evaluated (interrupted?); resume the run: {again}")
    (stage / "stage.json").write_text("{}")  # finished: evface run would skip it
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {stage}/metrics.json: missing: stage recon-hd of the run {root} "
                                               "finished, but its scores are not here (left out of a copy?); copy the "
                                               f"file again, or delete the stage folder and resume the run: {again}")
    assert not (tmp_path / "r.html").exists()


def test_a_run_resumed_with_more_seeds_and_not_finished_is_not_shown_with_its_earlier_scores(tmp_path, capsys):
    # was: the scores of its first seed shown beside a configuration of 3 seeds, without a word
    root = make_fake_run(tmp_path / "run")
    stage = root / "stages" / "events-hd-0"
    config = json.loads((stage / "config.json").read_text())
    (stage / "config.json").write_text(json.dumps({**config, "seeds": 3}))  # prepared with --seeds 3, then stopped
    said = "the scores of 1 of the run's 3 training seeds: it was resumed with more seeds and has not finished (interrupted?)"
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {stage}/metrics.json: stage events-hd of the run {root}: {said}; "
                                               f"resume the run: 'evface run --out {root}' again, with the options it "
                                               "was resumed with")
    assert main(["report", str(stage), "--out", str(tmp_path / "r.html")]) == 2  # the training run alone
    assert capsys.readouterr().err.strip() == (f"error: {stage}/metrics.json: {said}; finish it (its evface train "
                                               "command again), or leave it out of the report")
    assert not (tmp_path / "r.html").exists()
    metrics = json.loads((stage / "metrics.json").read_text())
    (stage / "metrics.json").write_text(json.dumps({**metrics, "seeds": [0, 1, 2]}))  # finished
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 0


@pytest.mark.parametrize("args, which", [
    (("compare", "{run}", "{run}/stages/events-hd-0"), "run"), (("compare", "{run}/stages/recon-hd-0", "{run}"), "run"),
    (("eval", "{run}", "--data", "{run}/data"), "run"), (("export-nir", "{run}", "{tmp}/x.nir"), "run"),
    (("compare", "{run}/data", "{run}/stages/events-hd-0"), "data"), (("eval", "{run}/data", "--data", "{run}"), "data"),
])
def test_an_evface_run_output_or_a_dataset_given_for_one_run_says_what_to_give(fake_run, tmp_path, capsys, args, which):
    # was: "RUN/predictions.csv: no predictions of a classification run here (... evface eval RUN)", "RUN is a
    # reconstruction run and RUN is not" or "RUN/config.json: no config.json: not an evface run folder"
    assert main([a.format(run=fake_run, tmp=tmp_path) for a in args]) == 2
    says = {"run": f"{fake_run}: the output of evface run, not one training run: give one of its stage folders, e.g. "
                   f"{fake_run}/stages/events-hd-0 (2 finished in {fake_run}/stages)",
            "data": f"{fake_run}/data: a dataset folder, not a run folder: give the folder of a run trained on it "
                    "(evface train ... --out RUN)"}
    assert capsys.readouterr().err.strip() == f"error: {says[which]}"
    assert not any(tmp_path.iterdir())


def test_report_cli_and_bad_folder(fake_run, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(fake_run), "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert main(["report", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_report_out_replaces_an_earlier_report_but_not_a_page_of_the_users(fake_run, report, tmp_path, capsys):
    out = tmp_path / "index.html"  # was: replaced by the report, the user's page lost
    out.write_text("<html><body>my notes</body></html>")
    assert main(["report", str(fake_run), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: exists and is not a report evface wrote, which this "
                                               "command would write over; give --out another name")
    assert out.read_text() == "<html><body>my notes</body></html>"
    shutil.copyfile(report, out)
    assert main(["report", str(fake_run), "--out", str(out)]) == 0 and out.stat().st_size > 10_000


def test_runs_of_several_folders_keep_apart_and_a_folder_given_twice_is_refused(fake_run, tmp_path, capsys):
    from evface.report.collect import collect

    for copy in ("a/quick", "b/quick", "seed1"):
        shutil.copytree(fake_run, tmp_path / copy, ignore=shutil.ignore_patterns("report.html"))
    data = collect([tmp_path / "a/quick", tmp_path / "seed1"])
    assert [r["name"] for r in data.classify] == ["quick/events-hd", "seed1/events-hd"]
    assert {"quick/pipeline", "seed1/pipeline", "quick/events-hd", "seed1/events-hd"} <= set(data.configs)
    data = collect([tmp_path / "a/quick", tmp_path / "b/quick"])  # alike names: the paths as given
    assert [r["name"] for r in data.reconstruct] == [f"{tmp_path}/a/quick/recon-hd", f"{tmp_path}/b/quick/recon-hd"]
    assert [r["name"] for r in collect([fake_run, tmp_path / "a/quick/data"]).classify] == ["events-hd"]
    assert [d["root"] for d in collect([tmp_path / "b/quick"]).datasets] == [str(tmp_path / "b/quick/data")]  # its own
    with pytest.raises(DatasetError, match="seed1: given twice: give each folder once"):
        collect([tmp_path / "seed1"] * 2)
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "seed1"), str(tmp_path / "a/../seed1"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}/a/../seed1: the folder {tmp_path}/seed1 again: give each")
    assert not out.exists()


def test_event_and_frame_arms_trained_on_other_renderings_of_the_rows_are_not_paired(tmp_path):
    """An event arm and a frame arm whose runs recorded the same manifest rows but other clip files
    (a copy of the dataset built with another --noise) were paired as if scored on the same clips."""
    from evface.io.manifest import read_manifest
    from evface.tasks.run_clips import record_clips

    root = make_fake_run(tmp_path / "run")
    noisy = shutil.copytree(root / "data", tmp_path / "noisy")
    clip = noisy / read_manifest(noisy)[0]["file"]
    clip.write_bytes(clip.read_bytes() + b"\0")  # another rendering of the first clip
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", [i % 2 == 0 for i in range(CLIPS)])
    record_clips(root / "stages" / "events-hd-0", root / "data", read_manifest(root / "data"))
    record_clips(root / "stages" / "rgb-0", root / "data", read_manifest(root / "data"))
    assert "<td>events-hd − rgb</td>" in build_report([root], tmp_path / "same.html").read_text()
    record_clips(root / "stages" / "rgb-0", noisy, read_manifest(noisy))  # trained on the data as it was then
    with pytest.warns(EvfaceWarning, match="changed since rgb was trained on it"):
        text = html.unescape(build_report([root], tmp_path / "other.html").read_text())
    assert "<td>events-hd − rgb</td>" not in text
    assert (f"<li>events-hd − rgb: scored on other clips: events-hd and rgb on {root / 'data'} as it was when each was "
            "trained, which have the same manifest rows but other clip files (the dataset rendered again, e.g. with "
            "other event noise); score both on one dataset (evface eval RUN --data DATA --out DIR) and compare the "
            "two DIRs</li>") in text
    # two evaluations: each on the folder it names (a copy built with another --noise)
    for name, arm, data in (("ev-hd", "events-hd", root / "data"), ("ev-rgb", "rgb", noisy)):
        stage = root / "stages" / f"{arm}-0"
        (tmp_path / name).mkdir()
        shutil.copy(stage / "predictions.csv", tmp_path / name)
        metrics = json.loads((stage / "metrics.json").read_text())
        (tmp_path / name / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(data)}))
    record_clips(root / "stages" / "rgb-0", root / "data", read_manifest(root / "data"))
    text = html.unescape(build_report([tmp_path / "ev-hd", tmp_path / "ev-rgb"], tmp_path / "ev.html").read_text())
    assert "<td>ev-hd − ev-rgb</td>" not in text
    assert f"<li>ev-hd − ev-rgb: scored on other clips: ev-hd on {root / 'data'}, ev-rgb on {noisy}, which have" in text
    # two training runs made before data-clips.json, on other dataset folders: nothing tells their clips alike
    for arm, data in (("events-hd", root / "data"), ("rgb", noisy)):
        run = shutil.copytree(root / "stages" / f"{arm}-0", tmp_path / arm, ignore=shutil.ignore_patterns("data-clips.json"))
        config = json.loads((run / "config.json").read_text())
        (run / "config.json").write_text(json.dumps({**config, "data": str(data)}))
    text = html.unescape(build_report([tmp_path / "events-hd", tmp_path / "rgb"], tmp_path / "old.html").read_text())
    assert "<td>events-hd − rgb</td>" not in text
    assert (f"<li>events-hd − rgb: scored on other dataset folders: events-hd on {root / 'data'}, rgb on {noisy}, which "
            "evface cannot tell hold the same clips (a run older than the record of its clips, data-clips.json)") in text


def test_a_report_hashes_each_clip_file_of_an_evaluations_dataset_once(tmp_path, monkeypatch):
    """Three evaluations of an evface run's arms on a copy of its dataset: each run's evaluation and
    each list of pairs hashed the copy again (5 times; 0.8 s more for 300 MB). Nothing is kept
    from one report to the next."""
    import hashlib

    from evface.io.manifest import read_manifest
    from evface.tasks.run_clips import record_clips

    root = make_fake_run(tmp_path / "run")
    for arm, kind, sensor in (("events-hd", "events", "hd"), ("events-lr", "events", "lr"), ("rgb", "rgb", "hd")):
        _add_arm(root, arm, kind, [True] * CLIPS, sensor=sensor, model="snn", spec={"size": 64, "sensor": sensor})
        record_clips(root / "stages" / f"{arm}-0", root / "data", read_manifest(root / "data"))
    copy = shutil.copytree(root / "data", tmp_path / "copy")
    evaluations = []
    for arm in ("events-hd", "events-lr", "rgb"):
        stage, ev = root / "stages" / f"{arm}-0", tmp_path / f"ev-{arm}"
        ev.mkdir()
        shutil.copy(stage / "predictions.csv", ev)
        metrics = json.loads((stage / "metrics.json").read_text())
        (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(copy)}))
        evaluations.append(ev)
    hashed: list[str] = []
    digest = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda fh, name: hashed.append(fh.name) or digest(fh, name))
    text = html.unescape(build_report(evaluations, tmp_path / "r.html").read_text())
    assert "<td>ev-events-hd − ev-events-lr</td>" in text and "<td>ev-events-hd − ev-rgb</td>" in text
    assert sorted(hashed) == sorted(str(copy / r["file"]) for r in read_manifest(copy))
    hashed.clear()
    build_report(evaluations, tmp_path / "r.html")
    assert sorted(hashed) == sorted(str(copy / r["file"]) for r in read_manifest(copy))  # nothing kept between reports


def test_an_evaluation_of_an_hd_arm_pairs_with_the_lr_arm_trained_alike(tmp_path):
    """Its run's data-clips.json was looked for in the evaluation's folder: never paired with a run."""
    from evface.io.manifest import read_manifest
    from evface.tasks.run_clips import record_clips

    root = make_fake_run(tmp_path / "run")
    for arm, sensor in (("events-hd", "hd"), ("events-lr", "lr")):
        _add_arm(root, arm, "events", [True] * CLIPS, sensor=sensor, model="snn", spec={"size": 64, "sensor": sensor})
        record_clips(root / "stages" / f"{arm}-0", root / "data", read_manifest(root / "data"))
    stage, ev = root / "stages" / "events-hd-0", tmp_path / "ev"
    ev.mkdir()
    shutil.copy(stage / "predictions.csv", ev)
    metrics = json.loads((stage / "metrics.json").read_text())
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(root / "data")}))
    assert "<td>ev − events-lr-0</td>" in build_report([ev, root / "stages" / "events-lr-0"], tmp_path / "r.html").read_text()


def test_an_evaluation_on_the_data_its_run_was_trained_on_given_with_the_run_is_refused(fake_run, tmp_path, capsys):
    """Its scores are the run's own held-out scores: it was a second row of the table, and each pair
    with another arm was shown twice."""
    from evface.io.manifest import read_manifest
    from evface.report.collect import collect
    from evface.tasks.run_clips import record_clips

    fake_run = shutil.copytree(fake_run, tmp_path / "quick", ignore=shutil.ignore_patterns("report.html"))
    stage = fake_run / "stages" / "events-hd-0"
    record_clips(stage, fake_run / "data", read_manifest(fake_run / "data"))
    copy, other = shutil.copytree(fake_run / "data", tmp_path / "copy"), shutil.copytree(fake_run / "data", tmp_path / "d2")
    clip = other / read_manifest(other)[0]["file"]
    clip.write_bytes(clip.read_bytes() + b"\0")  # rendered again: other clips
    metrics = json.loads((stage / "metrics.json").read_text())
    for name, data in (("ev", fake_run / "data"), ("ev-copy", copy), ("ev-d2", other)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(data)}))
    for name in ("ev", "ev-copy"):  # the dataset itself, or a copy of its very files
        assert main(["report", str(fake_run), str(tmp_path / name), "--out", str(tmp_path / "r.html")]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: {tmp_path / name}: an evaluation of {stage} on the clips it was trained on: the same held-out "
            "scores as its own, which the report shows as quick/events-hd; give one of the two folders")
    assert not (tmp_path / "r.html").exists()
    assert [r["name"] for r in collect([tmp_path / "ev"]).classify] == ["ev"]  # alone, it stands for its run
    assert [r["name"] for r in collect([fake_run, tmp_path / "ev-d2"]).classify] == ["quick/events-hd", "ev-d2"]


def test_an_evaluation_folder_is_reported_with_its_runs_settings(fake_run, tmp_path):
    from evface.report.collect import collect

    stage = fake_run / "stages" / "recon-hd-0"
    ev = tmp_path / "ev"  # as evface eval RUN --data DATA --out ev writes it
    ev.mkdir()
    metrics = json.loads((stage / "metrics.json").read_text())
    never = "4 clips the run never saw, each by one part's models (the 2 parts taking turns)"
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(fake_run / "data"),
                                                 "evaluated_on": never}))
    page = build_report([ev], tmp_path / "ev.html").read_text()
    assert f"Tested: ev: one subject split, 0 test subjects, – clips, – samples ({never})" in html.unescape(page)
    data = collect([ev])
    assert [r["name"] for r in data.reconstruct] == ["ev"] and data.reconstruct[0]["dir"] == str(ev)
    assert data.configs["ev"] == {**json.loads((stage / "config.json").read_text()), "scored_on": str(fake_run / "data"),
                                  "torch_threads": [1]}  # the threads its training ran on, which its metrics.json says
    assert data.reconstruct[0]["training"]["parts"][0]["name"] == "fold0"  # the run's train.json
    assert [d["root"] for d in data.datasets] == [str(fake_run / "data")]
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(tmp_path / "gone")}))
    with pytest.raises(DatasetError, match="an evaluation whose run folder is not named or no longer there"):
        collect([ev])


def test_an_evaluation_on_another_dataset_is_shown_as_such(fake_run, tmp_path):
    # its row sat under the caption of the run's dataset, and the page never named the dataset it was scored on
    from evface.report.collect import collect

    other = shutil.copytree(fake_run / "data", tmp_path / "d2")
    for name in ("events-hd-0", "recon-hd-0"):
        stage, ev = fake_run / "stages" / name, tmp_path / f"ev-{name}"
        ev.mkdir()
        metrics = json.loads((stage / "metrics.json").read_text())
        (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(other), "evaluated_on": "all clips"}))
    for order in ([fake_run, tmp_path / "ev-events-hd-0", tmp_path / "ev-recon-hd-0"],
                  [tmp_path / "ev-events-hd-0", tmp_path / "ev-recon-hd-0", fake_run]):  # the run's dataset first either way
        data = collect(order)
        assert [(d["root"], d["label"], d["runs"], d["n_clips"]) for d in data.datasets] == [
            (str(fake_run / "data"), "data", [f"{fake_run.name}/events-hd", f"{fake_run.name}/recon-hd"], 6),
            (str(other), "d2", ["ev-events-hd-0", "ev-recon-hd-0"], 6)]
    text = html.unescape(build_report(order, tmp_path / "r.html").read_text())
    assert f"<h3>d2</h3><p>{other}; runs scored on it: ev-events-hd-0, ev-recon-hd-0.</p>" in text
    assert "<td>ev-events-hd-0 on d2</td>" in text and f"<td>{fake_run.name}/events-hd on data</td>" in text
    assert "Evaluated on" not in text
    # the table's label names the dataset, and in the "Tested:" words the sentence does, once (was "ev-events-hd-0
    # on d2: scored on /path/d2 ...")
    assert (f"Tested: ev-events-hd-0: scored on {other} by the models trained on {fake_run / 'data'}: all clips, "
            "– clips of – subjects") in text
    assert (f"ev-recon-hd-0: scored on {other} by the models trained on {fake_run / 'data'}: all clips, "
            "– clips of 0 subjects, – samples") in text
    assert " on d2: " not in text and f"<td>{fake_run.name}/recon-hd on data</td>" in text
    alone = collect([tmp_path / "ev-events-hd-0"])  # its dataset is the report's only one
    assert [d["root"] for d in alone.datasets] == [str(other)] and "data_label" not in alone.classify[0]
    assert "scored on" in alone.classify[0]["elsewhere"]


def test_a_reconstruction_evaluated_on_another_dataset_says_what_it_was_tested_on(fake_run, tmp_path):
    """``evface eval RUN --data D2`` of a reconstruction run: the "Tested:" line said the run's own
    protocol, "N test subjects", and then what the evaluation did, naming the protocol again."""
    from evface.tasks.run_evaluation import scored_elsewhere

    run = shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))
    stage, d2, ev = run / "stages" / "recon-hd-0", shutil.copytree(run / "data", tmp_path / "d2"), tmp_path / "ev"
    config = json.loads((stage / "config.json").read_text())
    (stage / "config.json").write_text(json.dumps({**config, "evaluation": "2 folds"}))
    ev.mkdir()
    said = scored_elsewhere(d2, run / "data", "2 folds", 0, 6, 0, "", "one part's models (the 2 parts taking turns)")
    metrics = json.loads((stage / "metrics.json").read_text())
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(d2), "evaluation": "2 folds",
                                                 "evaluated_on": said, "n_subjects": 2, "n_clips": 6, "n_samples": 40}))
    text = html.unescape(build_report([ev], tmp_path / "r.html").read_text())
    tested = f"<p>Tested: ev: {said}, 6 clips of 2 subjects, 40 samples.</p>"
    assert tested in text and said.count("2 folds") == 1 and "test subject" not in text


def test_a_reconstruction_scored_only_elsewhere_is_not_said_to_be_held_out(fake_run, tmp_path):
    # the section ended "(under folds every subject is tested once, by the models that never saw it, ...)"
    # after "scored on D2 by the models trained on DATA: every clip by one part's models"
    other = shutil.copytree(fake_run / "data", tmp_path / "d2")
    stage, ev = fake_run / "stages" / "recon-hd-0", tmp_path / "ev"
    ev.mkdir()
    metrics = json.loads((stage / "metrics.json").read_text())
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(other), "evaluated_on": "all clips"}))
    alone = html.unescape(build_report([ev], tmp_path / "alone.html").read_text())
    assert (f"by the models trained on {fake_run / 'data'}: all clips, – clips of 0 subjects, – samples.</p>" in alone
            and "never saw" not in alone)
    both = html.unescape(build_report([fake_run, ev], tmp_path / "both.html").read_text())
    assert "(under folds every subject is tested once, by the models that never saw it" in both


def test_an_evaluation_on_the_same_manifest_rows_says_what_was_done(fake_run, tmp_path):
    """``evface eval RUN --data D2`` where D2 has the training data's manifest rows (rendered again, e.g.
    with other event noise): each clip is scored by the models that held out its subject. The page said
    "Evaluated on every subject, leave-one-subject-out" as if D2 had been cross-validated."""
    from evface.io.manifest import read_manifest
    from evface.tasks.run_clips import record_clips
    from evface.tasks.run_evaluation import scored_elsewhere

    run = tmp_path / "run"
    shutil.copytree(fake_run, run, ignore=shutil.ignore_patterns("report.html"))
    stage = run / "stages" / "events-hd-0"
    config = json.loads((stage / "config.json").read_text())
    (stage / "config.json").write_text(json.dumps({**config, "data": str(run / "data"), "protocol": "leave-one-subject-out"}))
    record_clips(stage, run / "data", read_manifest(run / "data"))
    d2 = shutil.copytree(run / "data", tmp_path / "seed1")
    ev = tmp_path / "ev"
    ev.mkdir()
    metrics = json.loads((stage / "metrics.json").read_text())
    (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(d2), "n": 6, "n_subjects": 2,
                                                 "evaluated_on": "every subject, leave-one-subject-out"}))
    text = html.unescape(build_report([ev], tmp_path / "r.html").read_text())
    # D2 a copy of the very clip files: said so (was "(the clips may differ: rendered again, ...)", though the
    # run's data-clips.json holds their hashes)
    assert (f"Tested: ev: scored on {d2} by the models trained on {run / 'data'} (leave-one-subject-out); its clips "
            "are the very files the run was trained on (their sizes and sha256 hashes match), so each was scored by "
            "the models that held out a subject of its name, as in the run's own test, 6 clips of 2 subjects.") in text
    clip = next(d2.rglob("*.h5"))
    clip.write_bytes(clip.read_bytes() + b"\0")  # the same row, another file: rendered again, for all the hashes tell
    text = html.unescape(build_report([ev], tmp_path / "r.html").read_text())
    assert "Evaluated on every subject" not in text
    assert (f"Tested: ev: scored on {d2} by the models trained on {run / 'data'} (leave-one-subject-out); its clips "
            "have the manifest rows of the training data, so each was scored by the models that held out a subject "
            "of its name, as in the run's own test (the clips may differ: rendered again, e.g. with other event noise), "
            "6 clips of 2 subjects.") in text
    # the same evaluation written into the run's own folder (evface eval RUN --data D2 takes it there)
    (stage / "metrics.json").write_text((ev / "metrics.json").read_text())
    text = html.unescape(build_report([run], tmp_path / "r.html").read_text())
    assert f"Tested: events-hd: scored on {d2} by the models trained on {run / 'data'}" in text
    assert "<h3>data</h3>" in text and "runs scored on it: recon-hd." in text, text[text.index("<h2>Data"):][:600]
    (stage / "data-clips.json").unlink()  # a run made before the file: other clips for all it can tell
    text = html.unescape(build_report([ev], tmp_path / "r.html").read_text())
    # an older evaluation's words, which name the protocol: named once (was "(leave-one-subject-out): every subject,
    # leave-one-subject-out")
    assert (f"scored on {d2} by the models trained on {run / 'data'}: every subject, leave-one-subject-out, 6 clips "
            "of 2 subjects.") in text
    # an evaluation that says what it did (evface eval since 2026-12-05), in the same words: shown once, as it says
    said = scored_elsewhere(d2, run / "data", "leave-one-subject-out", 0, 6, 0, "", "every model (mean logits of 2 models)")
    (ev / "metrics.json").write_text(json.dumps({**json.loads((ev / "metrics.json").read_text()), "evaluated_on": said}))
    text = html.unescape(build_report([ev], tmp_path / "r.html").read_text())
    assert f"Tested: ev: {said}, 6 clips of 2 subjects." in text and text.count(f"scored on {d2}") == 1


def test_a_stage_folder_of_a_run_given_with_the_run_is_refused(fake_run, tmp_path, capsys):
    # the model was shown twice, and each paired table paired it with itself
    stage = fake_run / "stages" / "events-hd-0"
    for folders in ([fake_run, stage], [Path(f"{stage}/"), fake_run]):
        assert main(["report", *map(str, folders), "--out", str(tmp_path / "r.html")]) == 2
        assert capsys.readouterr().err.strip() == (f"error: {stage}: stage events-hd of the run {fake_run}, given too: "
                                                   "give each folder once")
    assert not (tmp_path / "r.html").exists()


def test_report_rejects_unknown_folder(tmp_path):
    with pytest.raises(DatasetError, match="neither an evface run"):
        build_report([tmp_path], tmp_path / "r.html")


def test_an_evface_run_not_finished_yet_says_so(tmp_path, capsys):
    # was: "neither an evface run, a training run, an evaluation nor a dataset folder" of an evface run output
    # whose first run is going on or was stopped (pipeline.json is written when the run ends)
    root = make_fake_run(tmp_path / "quick")
    for name in ("pipeline.json", "stages/events-hd-0/stage.json", "stages/recon-hd-0/stage.json"):
        (root / name).unlink()  # its first run stopped before any stage finished
    again = f"an evface run that has not finished (its pipeline.json is written when it ends): resume it, 'evface run " \
            f"--out {root}' again with the options it was started with"
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {root}: {again}"
    (root / "stages" / "recon-hd-0" / "stage.json").write_text("{}")
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {root}: {again}, or give the stages it finished "
                                               f"({root}/stages/recon-hd-0)")
    assert not (tmp_path / "r.html").exists()
    for args in (["compare", str(root), str(root / "stages" / "events-hd-0")], ["eval", str(root), "--data", str(root)],
                 ["export-nir", str(root), str(tmp_path / "x.nir")]):  # was: "no predictions ...", "no config.json"
        assert main(args) == 2
        # a finished one (was: {root}/stages/events-hd-0, still training or stopped, "(2 in ...)")
        assert capsys.readouterr().err.strip() == (f"error: {root}: the output of evface run, not one training run: give "
                                                   f"one of its stage folders, e.g. {root}/stages/recon-hd-0 (1 finished "
                                                   f"in {root}/stages)")


def test_the_stages_an_unfinished_evface_run_names_are_those_the_report_takes(tmp_path, capsys):
    """A stage being resumed with more seeds (its stage.json of fewer kept until it finishes) and the
    dataset's stage were named among the finished stages to give, which the report then refused."""
    root = make_fake_run(tmp_path / "quick")
    (root / "pipeline.json").unlink()  # its first run stopped, then resumed with --seeds 3 and stopped again
    config = root / "stages" / "events-hd-0" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "seeds": 3}))
    (root / "stages" / "synth-0").mkdir()
    (root / "stages" / "synth-0" / "stage.json").write_text(json.dumps({"name": "synth", "config": {}}))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"or give the stages it finished ({root}/stages/recon-hd-0)")
    assert main(["report", str(root / "stages" / "events-hd-0"), "--out", str(tmp_path / "r.html")]) == 2
    assert "resumed with more seeds and has not finished" in capsys.readouterr().err
    assert main(["compare", str(root), str(root / "stages" / "recon-hd-0")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"e.g. {root}/stages/recon-hd-0 (1 finished in {root}/stages)")
    assert not (tmp_path / "r.html").exists()


def test_a_folder_of_runs_given_for_them_names_them(fake_run, tmp_path, capsys):
    # was: "neither an evface run, a training run, an evaluation nor a dataset folder", as of an empty folder
    stages = fake_run / "stages"
    assert main(["report", str(stages), str(stages / "events-hd-0"), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {stages}: neither an evface run, a training run, an evaluation nor a dataset folder, but it holds 2 "
        f"such folders ({stages}/events-hd-0, {stages}/recon-hd-0): give those instead")
    assert not (tmp_path / "r.html").exists()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


@pytest.mark.slow
@pytest.mark.parametrize("window", [(1280, 2000), (390, 1600)], ids=["desktop", "phone"])
def test_report_renders_in_chromium(report, tmp_path, window):
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium package)")
        pytest.skip("Chromium not installed: apt-get install chromium to run the browser test")
    profile = tmp_path / "profile"
    url = report.resolve().as_uri()
    dom = subprocess.run([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    assert not console_errors, console_errors
    assert dom.stdout.count("<table") >= 3 and "AU classification" in dom.stdout
    shot = tmp_path / f"report-{window[0]}.png"
    subprocess.run([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}",
                    f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (window[1], window[0])
    assert pixels.std() > 10  # not a blank page
    keep = os.environ.get("EVFACE_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)


def test_a_mean_over_one_subject_is_shown_without_interval_or_bold():
    from evface.report.html_parts import signed_mean
    from evface.tasks.figure_format import mean_with_interval

    one = {"mean": 0.02, "ci": [0.02, 0.02], "n_clusters": 1}
    assert signed_mean(one) == "+0.0200 (one subject: no interval)"
    assert mean_with_interval(one, 0.02) == "0.0200 (one subject: no interval)"
    assert signed_mean({**one, "n_clusters": 4}) == "<b>+0.0200 [+0.0200, +0.0200]</b>"


def test_values_that_are_not_finite_read_as_such_and_never_win():
    # were "nan" / "+inf", and an interval [nan, -0.1] was bold, a difference claimed
    from evface.report.html_parts import signed_difference, signed_mean
    from evface.tasks.figure_format import fixed, mean_with_interval, with_interval

    nan, inf = float("nan"), float("inf")
    assert fixed(nan, 3) == "n/a (not finite)" and fixed(inf, 1, 100) == "n/a (not finite)"
    assert with_interval(0.5, [nan, 0.9], 1, 100) == "50.0 [n/a (not finite)]"
    assert signed_mean({"mean": 0.1, "ci": [nan, -0.1], "n_clusters": 4}) == "+0.1000 [n/a (not finite)]"
    assert signed_mean({"mean": nan, "ci": [-inf, -0.1], "n_clusters": 4}) == "n/a (not finite) [n/a (not finite)]"
    assert mean_with_interval({"mean": 0.9, "ci": [0.8, inf], "n_clusters": 4}, 0.9) == "0.9000 [n/a (not finite)]"
    d = {"diff": 0.2, "ci": [0.1, inf], "verdict": "a higher"}  # a verdict written before non-finite bounds counted
    assert signed_difference(d, 1, 100) == "+20.0 [n/a (not finite)]"


def test_the_compare_table_shows_values_that_are_not_finite_as_such():
    from evface.commands.compare import format_comparison

    nan = float("nan")
    cell = {"a": 0.5, "b": nan, "diff": nan, "ci": [nan, nan], "verdict": "n/a (not finite)"}
    res = {"a": "A", "b": "B", "n": 4, "n_subjects": 2, "metrics": {"top1": cell}, "per_lighting": {},
           "mcnemar": {"a_only": 0, "b_only": 0, "p": 1.0}}
    line = format_comparison(res).splitlines()[2]
    assert "nan" not in line and line.count("n/a (not finite)") == 4, line


def test_counts_take_their_number(fake_run, tmp_path):
    """A run of one test clip of one subject (was: "1 clips of 1 subjects", "1 test subjects")."""
    root = shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))
    for stage, counts in (("events-hd-0", {"n": 1, "n_subjects": 1}),
                          ("recon-hd-0", {"n_subjects": 1, "n_clips": 1, "n_samples": 1})):
        path = root / "stages" / stage / "metrics.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | counts))
    text = build_report([root], tmp_path / "r.html").read_text()
    assert ": 1 clip of 1 subject, predictions pooled over the folds." in text
    assert "one subject split, 1 test subject, 1 clip, 1 sample (" in text


def test_one_lighting_is_said_once_not_tabled_as_a_copy_of_all_clips(fake_run, tmp_path):
    """Imported recordings are all of lighting "unknown": a table or rows per lighting repeated the
    figures over all clips; the report and `evface compare` say so in one sentence instead."""
    from evface.commands.compare import format_comparison

    root = shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))
    for stage, change in (("events-hd-0", lambda m: {**m, "per_lighting": {"unknown": {"top1": 0.5, "n": 6}}}),
                          ("recon-hd-0", lambda m: {**m, "methods": {k: {**v, "apex_by": {**v["apex_by"], "lighting": {
                              "unknown": {"n": 4, "face_ssim": 0.7, "active_ssim": 0.6}}}} for k, v in m["methods"].items()}})):
        path = root / "stages" / stage / "metrics.json"
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
    text = build_report([root], tmp_path / "r.html").read_text()
    said = "Every clip is of one lighting (unknown): no breakdown per lighting, which would repeat the figures over all clips."
    assert text.count(said) == 2  # in the classification and the reconstruction section
    for table in ("Top-1 % per lighting", "CVAE − method per lighting", "at the apex, by lighting"):
        assert table not in text
    cell = {"a": 0.5, "b": 0.25, "diff": 0.25, "ci": [0.1, 0.4], "verdict": "A higher"}
    res = {"a": "A", "b": "B", "n": 4, "n_subjects": 2, "metrics": {"top1": cell},
           "per_lighting": {"unknown": {"metrics": {"top1": cell}}}, "mcnemar": {"a_only": 1, "b_only": 0, "p": 1.0}}
    lines = format_comparison(res).splitlines()
    assert not any(line.startswith("unknown") for line in lines) and said[:-1] in lines
    res["per_lighting"]["dim"] = res["per_lighting"]["unknown"]  # two lightings: a row each
    assert sorted(line.split("  ")[0] for line in format_comparison(res).splitlines()[3:5]) == ["dim", "unknown"]


def test_a_dataset_of_one_lighting_is_counted_per_class_with_its_lighting_said_once(fake_run, report, tmp_path):
    """Clips all of one lighting (imported clips are all "unknown"): the dataset's clips per class and
    its mean events per sensor, the lighting said once (was: a "bright" column beside an equal
    "total", and columns "hd bright", "lr bright"); clips of several lightings keep their columns."""
    assert "<h3>Clips per class and lighting</h3>" in report.read_text()
    root = shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))
    manifest = root / "data" / "manifest.csv"
    lines = manifest.read_text().splitlines()
    col = lines[0].split(",").index("lighting")
    manifest.write_text("\n".join(line for line in lines if line.split(",")[col] != "dim") + "\n")
    text = build_report([root], tmp_path / "r.html").read_text()
    section = text[text.index('id="dataset"'):text.index('id="classification"')]
    said = "Every clip is of one lighting (bright): no breakdown per lighting, which would repeat the figures over all clips."
    assert section.count(said) == 1 and "Clips per class and lighting" not in section
    per_class = section[section.index("<h3>Clips per class</h3>"):]
    assert per_class.index(said) < per_class.index("<th>class</th><th>clips</th></tr>")
    for label in LABELS:
        assert f"<td>{html.escape(label)}</td><td>1</td></tr>" in per_class
    events = section[section.index("<h3>Mean events per clip, per sensor</h3>"):]
    events = events[:events.index("</table>")]
    assert "<th>class</th><th>hd</th><th>lr</th></tr>" in events and "bright" not in events
    assert "one per class (columns)." in section and "lighting (rows)" not in section


def test_compare_says_where_the_runs_know_other_classes_or_tested_in_other_folds(tmp_path, capsys):
    """Two classification runs on the same clips, one trained on a third class or tested in other
    folds: paired as before, and said (was: paired silently)."""
    from evface.tasks.class_compare import PREDICTION_COLUMNS, compare_runs, write_seed_logits

    truth = [(f"c{i:02d}", f"s{i % 6}", "dim", f"L{i % 2}") for i in range(24)]
    ids, y = [r[0] for r in truth], np.array([i % 2 for i in range(24)])
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "predictions.csv").write_text(
            ",".join(c for c in PREDICTION_COLUMNS if not c.endswith("_us")) + "\n"
            + "".join(f"{c},{s},{lt},{lab},{lab}\n" for c, s, lt, lab in truth))
    three = [str(i % 6 // 2) for i in range(24)]  # three folds of two subjects
    write_seed_logits(tmp_path / "a", ids, three, [0], np.eye(2)[y][None], ["L0", "L1"])
    write_seed_logits(tmp_path / "b", ids, three, [0], np.eye(3)[y][None], ["L0", "L1", "L2"])
    res = compare_runs(tmp_path / "a", tmp_path / "b")
    assert res["classes"] == {"a": ["L0", "L1"], "b": ["L0", "L1", "L2"]} and "folds" not in res
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert ("the models know other classes (a: L0, L1; b: L0, L1, L2): the clips and their true classes are the "
            "same, but a model can predict a class the other cannot") in capsys.readouterr().out
    six = [str(i % 6) for i in range(24)]  # leave-one-subject-out
    write_seed_logits(tmp_path / "b", ids, six, [0], np.eye(2)[y][None], ["L0", "L1"])
    res = compare_runs(tmp_path / "a", tmp_path / "b")
    assert res["folds"] == {"a": "3 folds", "b": "6 folds"} and "classes" not in res
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert ("the clips were tested in other folds (a: 3 folds; b: 6 folds): the difference includes that of the "
            "protocols") in capsys.readouterr().out
    write_seed_logits(tmp_path / "b", ids, [str((int(f) + 1) % 3) for f in three], [0], np.eye(2)[y][None], ["L0", "L1"])
    assert "folds" not in compare_runs(tmp_path / "a", tmp_path / "b")  # the same groups under other names
    pairs = [str((0, 1, 0, 1, 2, 2)[i % 6]) for i in range(24)]  # three folds of two subjects, paired otherwise
    write_seed_logits(tmp_path / "b", ids, pairs, [0], np.eye(2)[y][None], ["L0", "L1"])
    assert compare_runs(tmp_path / "a", tmp_path / "b")["folds"] == {"a": "3 folds", "b": "3 folds grouping the subjects otherwise"}
    from evface.report.classify_section import _differences

    write_seed_logits(tmp_path / "b", ids, six, [0], np.eye(3)[y][None], ["L0", "L1", "L2"])
    page = _differences([compare_runs(tmp_path / "a", tmp_path / "b", names=("events", "rgb"))])
    assert ('<p class="muted">Pairs made differently (A / B): events − rgb: the models know other classes (L0, L1 / '
            "L0, L1, L2); the clips were tested in other folds (3 folds / 6 folds): the difference includes that of "
            "the protocols.</p>") in page


def test_reconstruction_means_without_intervals_say_they_test_no_difference(fake_run, tmp_path):
    # the AU-region and AU-class tables and the horizon curves were shown bare, as if comparisons
    root = shutil.copytree(fake_run, tmp_path / "run", ignore=shutil.ignore_patterns("report.html"))
    Image.new("RGB", (4, 4)).save(root / "stages" / "recon-hd-0" / "horizon.png")
    text = build_report([root], tmp_path / "r.html").read_text()
    for title in ("SSIM per AU region at the apex", "at the apex, by AU class", "at the apex, by lighting"):
        after = text[text.index(title):]
        assert "without intervals: a difference between two methods here is not tested" in after[:after.index("<table>")]
    assert ("<figcaption>recon-hd: SSIM and PSNR against the horizon, each point the mean over the samples of its bin, "
            "without an interval: a gap between two curves is not tested") in text


def test_a_head_pose_that_rounds_to_zero_is_captioned_without_a_minus(fake_run):
    # a subject's face was captioned "yaw -0.0° pitch +0.0°"
    from types import SimpleNamespace

    from evface.io.dataset import DatasetFolder
    from evface.report.dataset_summary import identity_samples

    ds = DatasetFolder.open(fake_run / "data")
    metas = {row["clip_id"]: SimpleNamespace(extra={"head_motion": {"yaw_deg": -0.04, "pitch_deg": -1.26}})
             for row in ds.rows}
    assert [caption for caption, _ in identity_samples(ds, metas)] == [f"{s}\nyaw +0.0° pitch -1.3°" for s in ds.subjects]


def test_event_rate_of_a_recorded_clip_counts_its_short_last_bin_by_its_length():
    """An imported clip lasts no whole number of 5 ms bins (300.3 ms for 9 frames at 29.97 fps): its
    last bin covers 0.3 ms, and a steady stream was drawn falling to 6 % of its rate there."""
    from evface.report.figures import event_rate

    centres_ms, rate = event_rate(np.arange(0, 300_299, 10), 300_299, 5_000)  # 100 k events/s throughout
    assert len(rate) == 61 and centres_ms[-1] == pytest.approx(300.1495)
    assert rate == pytest.approx(np.full(61, 1e5), rel=0.05)


def test_report_out_made_meanwhile_is_kept_unless_an_earlier_report(fake_run, report, tmp_path, capsys, monkeypatch):
    """--out was checked before the runs were read: a page of the user's saved there meanwhile was
    renamed over by the report. It is treated as one there before now: an earlier report is replaced."""
    import evface.report.html as html

    out, render_html, newcomer = tmp_path / "index.html", html.render_html, ["<html>my notes</html>"]

    def meanwhile(data):
        out.write_text(newcomer[0])
        return render_html(data)

    monkeypatch.setattr(html, "render_html", meanwhile)
    assert main(["report", str(fake_run), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: exists and is not a report evface wrote, which this "
                                               "command would write over; give --out another name")
    assert out.read_text() == "<html>my notes</html>" and sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]
    out.unlink()
    newcomer[0] = report.read_text() + "<!-- another report command's: x7f3a -->"
    assert main(["report", str(fake_run), "--out", str(out)]) == 0 and "x7f3a" not in out.read_text()


def test_compare_prints_run_names_with_their_control_characters_escaped(tmp_path, capsys):
    """Two classification runs whose folder names hold a terminal's escape and a line break: each
    line of the table keeps the names escaped, as every other result line (was: printed as they
    are, the line break splitting the first line and the escape reaching the terminal); the JSON
    keeps the names as they are."""
    from evface.tasks.class_compare import PREDICTION_COLUMNS

    truth = [(f"c{i:02d}", f"s{i % 6}", "dim", f"L{i % 2}") for i in range(24)]
    a, b = tmp_path / "a\x1b[2Jx", tmp_path / "b\nc"
    for run, wrong in ((a, 0), (b, 3)):
        run.mkdir()
        (run / "predictions.csv").write_text(
            ",".join(c for c in PREDICTION_COLUMNS if not c.endswith("_us")) + "\n"
            + "".join(f"{c},{s},{lt},{lab},{'L9' if k < wrong else lab}\n" for k, (c, s, lt, lab) in enumerate(truth)))
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A = a\\x1b[2Jx, B = b\\nc: 24 clips of 6 subjects, paired")
    assert "\x1b" not in out and "a\\x1b[2Jx higher" in out and "3 clips right only in a\\x1b[2Jx, 0 only in b\\nc" in out
    assert json.loads((tmp_path / "cmp.json").read_text())["a"] == "a\x1b[2Jx"


def test_the_seeds_hint_names_the_command_that_trained_the_arms(tmp_path):
    # was: `evface train classify` named on a page of an evface run too, whose stages more seeds come from
    # `evface run --seeds N`
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", HALF_RIGHT)
    note = build_report([root], root / "report.html").read_text()
    note = note[note.index("rests on one training per fold"):]
    assert "Train the arms with <code>evface run --seeds N</code> again, with the options the run was started" in note
    assert "evface train classify" not in note[:note.index("</p>")]
    arms = [shutil.copytree(root / "stages" / f"{name}-0", tmp_path / name) for name in ("events-hd", "rgb")]
    note = build_report(arms, tmp_path / "runs.html").read_text()  # training runs, not stages
    note = note[note.index("rests on one training per fold"):]
    assert "Train the arms with <code>evface train classify ... --seeds N</code> and the interval" in note
    note = build_report([root, arms[1]], tmp_path / "both.html").read_text()  # a stage against a training run
    note = note[note.index("rests on one training per fold"):]
    assert ("<code>--seeds N</code> (<code>evface run</code> again for the stages of an <code>evface run</code>, "
            "<code>evface train classify</code> for the other runs)") in note


def test_the_seeds_hint_of_an_evaluation_or_a_stage_folder_of_an_evface_run_names_evface_run(tmp_path):
    # `evface eval R/stages/ARM-KEY --out ev-ARM` of two arms of an evface run, or those stage folders given
    # alone, were worded as training runs: "Train the arms with evface train classify ... --seeds N"
    root = make_fake_run(tmp_path / "run")
    _add_arm(root, "events-hd", "events", [True] * CLIPS)
    _add_arm(root, "rgb", "rgb", HALF_RIGHT)
    stages = [root / "stages" / f"{name}-0" for name in ("events-hd", "rgb")]
    evaluations = []
    for stage in stages:
        ev = tmp_path / f"ev-{stage.name}"
        ev.mkdir()
        shutil.copy(stage / "predictions.csv", ev)
        metrics = json.loads((stage / "metrics.json").read_text())
        (ev / "metrics.json").write_text(json.dumps({**metrics, "run": str(stage), "data": str(root / "data")}))
        evaluations.append(ev)
    for folders in (evaluations, stages):
        note = build_report(folders, tmp_path / "r.html").read_text()
        note = note[note.index("rests on one training per fold"):]
        assert "Train the arms with <code>evface run --seeds N</code> again, with the options the run was started" in note
        assert "evface train classify" not in note[:note.index("</p>")]


def test_a_dataset_changed_since_its_runs_were_trained_is_said_so(tmp_path, capsys):
    # was: the dataset section summarised the folder as it is now ("5 clips") above the scores of
    # the 6 clips the runs tested, without a word
    from evface.io.manifest import read_manifest, write_manifest
    from evface.tasks.run_clips import record_clips

    root = make_fake_run(tmp_path / "run")
    record_clips(root / "stages" / "events-hd-0", root / "data", read_manifest(root / "data"))
    assert main(["report", str(root), "--out", str(tmp_path / "same.html")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert "Changed since" not in (tmp_path / "same.html").read_text()
    write_manifest(root / "data", read_manifest(root / "data")[:-1])  # a clip taken out after training
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().err.startswith(
        f"warning: {root / 'data'}: changed since events-hd was trained on it (its manifest rows are not those the run "
        "was trained on): the report summarises the dataset as it is now, not the clips those runs were trained and "
        "tested on")
    text = html.unescape(re.sub(r"<[^>]+>", "", (tmp_path / "r.html").read_text()))
    assert ("Changed since events-hd was trained on it (its manifest rows are not those the run was trained on): what "
            "follows summarises the folder as it is now") in text
