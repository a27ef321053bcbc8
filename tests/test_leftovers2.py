"""Small defects found beside other work: a folder without reconstruction scores said what it is,
per-sensor trigger options given at their defaults where the sync ignores them, ``convert
--chunk-us`` beside ``--sort``, ``info --triggers`` of an AEDAT 4 file, and a shard merge resumed
after a kill."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.datasets.importers.session_options import EventSource, check_used
from evface.datasets.synth_shards import merge_shards
from evface.datasets.toy import toy_dataset
from evface.errors import DatasetError, FormatError, ParameterError
from evface.events.core import make_events
from evface.io.event_writer import write_events_file
from evface.tasks.recon_compare import read_scores
from evface.tasks.run_folder import write_json

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"


def test_read_scores_names_what_a_folder_without_scores_is(tmp_path):
    """Every folder without ``scores.csv`` was told to "score the run with evface eval RUN --data
    DATA": a classification run or its evaluation, the output of ``evface run``, a folder of no run."""
    classify = tmp_path / "classify"
    write_json(classify / "config.json", {"task": "classify", "epochs": 3})
    with pytest.raises(DatasetError, match=r"classify: a classify run, not a reconstruction run$"):
        read_scores(classify)
    evaluation = tmp_path / "evaluation"
    write_json(evaluation / "metrics.json", {"run": str(classify), "top1": 0.5})
    (evaluation / "predictions.csv").write_text("clip_id,label,pred\n")
    with pytest.raises(DatasetError, match="evaluation: holds a classification run's predictions.csv, not a "
                                           "reconstruction run's scores.csv"):
        read_scores(evaluation)
    whole = tmp_path / "whole"
    write_json(whole / "pipeline.json", {})
    with pytest.raises(FormatError, match="whole: the output of evface run, not one training run"):
        read_scores(whole)
    with pytest.raises(FormatError, match="no config.json: not an evface run folder"):
        read_scores(tmp_path / "empty")
    for recon, name in ((tmp_path / "recon", "config.json"), (tmp_path / "recon-eval", "metrics.json")):
        write_json(recon / name, {"task": "reconstruct"})  # a run, or its evaluation, scored before scores.csv
        with pytest.raises(DatasetError, match=r"no per-sample scores of a reconstruction run here \(score the run"):
            read_scores(recon)


@pytest.mark.parametrize("option", ["--trigger-channel", "--trigger-first-frame"])
@pytest.mark.parametrize("sync", ["xcorr", "offset"])
def test_a_trigger_option_at_its_default_is_refused_where_the_sync_ignores_it(tmp_path, capsys, option, sync):
    """``--trigger-channel hd=0`` beside ``--sync hd=xcorr`` was accepted (its default), ``hd=1`` refused;
    both are now, before any file is read. The Python API keeps its own defaults."""
    offset = ["--offset", "hd=5"] if sync == "offset" else []
    assert main(["import", "session", str(tmp_path / "out"), "--events", f"hd={tmp_path / 'none.raw'}",
                 "--rgb", str(tmp_path / "none.mp4"), "--annotations", str(tmp_path / "none.csv"),
                 "--sync", f"hd={sync}", *offset, option, "hd=0"]) == 2
    field = option[2:].replace("-", "_")
    assert capsys.readouterr().err.strip() == (
        f"error: sensor 'hd': {field} ({option}) would be ignored with sync {sync!r} and registration 'auto'; leave it "
        "out or choose the method that uses it")
    assert not (tmp_path / "out").exists()
    source = EventSource("hd", tmp_path / "none.raw", sync=sync, offset_us=5, **{field: 0})
    check_used(source)  # not given: the defaults pass
    with pytest.raises(ParameterError, match=f"{field} .* would be ignored"):
        check_used(source, given={field})


@pytest.mark.parametrize("option", ["--trigger-channel", "--trigger-first-frame"])
def test_a_trigger_option_typed_under_auto_sync_asks_for_the_pulses(tmp_path, option):
    """Under ``--sync auto`` (the default), ``--trigger-channel hd=1`` on a file without pulses stopped the import
    (docs/import-guide.md, "auto"), while ``hd=0``, typed alike, fell back to cross-correlation without a word: a
    trigger option typed, at any value, now makes the sensor's sync ``trigger``, whose missing pulses are said."""
    from evface.commands.importers import _SENSOR_FIELDS, _event_source

    per = {opt: {} for opt in (*_SENSOR_FIELDS, "--sync", "--registration", "--model")}
    per[option]["hd"] = "0"
    assert _event_source("hd", str(tmp_path / "hd.raw"), per).sync == "trigger"
    per["--sync"]["hd"] = "auto"
    assert _event_source("hd", str(tmp_path / "hd.raw"), per).sync == "trigger"
    del per[option]["hd"]
    assert _event_source("hd", str(tmp_path / "hd.raw"), per).sync == "auto"  # none typed: auto as before


def test_convert_chunk_us_says_how_it_acts_beside_sort(capsys, monkeypatch):
    """``--chunk-us`` still cuts OUT into windows with ``--sort`` (an AEDAT 4 output's packets), while
    IN is read whole; its help said only "stream in windows"."""
    monkeypatch.setenv("COLUMNS", "1000")
    assert main(["convert", "--help"]) == 0
    row = next(" ".join(line.strip("│ ").split()) for line in capsys.readouterr().out.splitlines()
               if "--chunk-us" in line)
    assert "an AEDAT 4 OUT starts a packet at each window. With --sort IN is still read whole, and only OUT is " \
           "written in these windows." in row


def test_info_triggers_says_whether_an_aedat4_file_declares_a_trigger_stream(tmp_path, capsys):
    """An AEDAT 4 file without trigger edges said "none in this file" whether or not its header
    declared a trigger stream; a declared stream that stayed empty is what a user debugging sync needs."""
    ev = make_events(np.array([5, 9]), np.array([1, 2]), np.array([3, 4]), np.array([1, -1]), (8, 8))
    path = write_events_file(tmp_path / "a.aedat4", ev, (8, 8))
    assert main(["info", str(path), "--triggers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["triggers"]["note"] == (
        "none in this file: its header declares no trigger stream, only EVTS (was the camera's trigger input enabled?)")
    real = REAL / "tonic_sample.aedat4"  # streams EVTS, IMUS and TRIG declared; no TRIG packet
    if not real.is_file():
        pytest.skip(f"{real} not here")
    assert main(["info", str(real), "--triggers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["triggers"]["note"] == (
        "none in this file: its header declares a trigger stream (TRIG), which holds no trigger edge (was the "
        "camera's trigger input enabled?)")


def test_a_merge_killed_between_its_link_and_its_rename_is_resumed(tmp_path, capsys):
    """A merge killed after hard-linking a clip to ``NAME.h5.tmp`` and before renaming it: the next
    merge's link met the file, its copy fell back onto the same file, and it stopped on "... are the
    same file" (exit 2) until run once more. A clip already in OUT came there whole (the rename), so
    it is kept unread."""
    shard = toy_dataset(tmp_path / "shard0", subjects=2, classes=("AU4",))  # a one-shard split, made in a moment
    meta = shard / "dataset.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "shard": [0, 1]}))
    out = merge_shards(tmp_path / "merged", [shard])
    clip = sorted((out / "clips").glob("*.h5"))[0]
    (out / "manifest.csv").unlink()
    clip.unlink()
    os.link(shard / clip.relative_to(out), clip.with_name(clip.name + ".tmp"))
    assert main(["synth-merge", str(out), str(shard)]) == 0, capsys.readouterr().err
    assert clip.read_bytes() == (shard / clip.relative_to(out)).read_bytes()
    assert not list((out / "clips").glob("*.tmp"))
