"""Hostile inputs and faults around datasets, training and runs (issue 17, findings 5-8).

Each test names the fault it injects; every one of them ended in a crash, a silent overwrite, a
silently wrong result or a diverging resume before the fix.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from recon_fixtures import make_fake_dataset as make_recon_dataset
from test_classify import make_fake_dataset as make_classify_dataset

from evface.cli import main
from evface.datasets.synth import synthesize
from evface.errors import DatasetError, EvfaceWarning, FormatError
from evface.io import clip_writer
from evface.io.clip_schema import Clip, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder, write_dataset_json
from evface.io.manifest import write_manifest
from evface.tasks import checkpoints, random_states, run_folder, run_resume
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

ONE_CLIP = ["--preset", "tiny", "--subjects", "1", "--classes", "AU4", "--lighting", "bright"]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --------------------------------------------------------------------------- synth: where it writes


def test_synth_refuses_a_file_as_out(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert main(["synth", str(target), *ONE_CLIP]) == 2
    assert str(target) in _one_error_line(capsys.readouterr().err)
    assert target.read_text() == "keep me"


def test_synth_refuses_a_folder_that_is_not_its_dataset(tmp_path, capsys):
    """It overwrote manifest.csv and deleted clips/*.tmp of any folder."""
    folder = tmp_path / "mine"
    (folder / "clips").mkdir(parents=True)
    (folder / "manifest.csv").write_text("my own table\n")
    (folder / "clips" / "upload.tmp").write_text("half an upload")
    assert main(["synth", str(folder), *ONE_CLIP]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(folder) in line and "not empty" in line
    assert (folder / "manifest.csv").read_text() == "my own table\n"
    assert (folder / "clips" / "upload.tmp").read_text() == "half an upload"
    assert sorted(p.name for p in folder.rglob("*")) == ["clips", "manifest.csv", "upload.tmp"]


@pytest.mark.parametrize("workers", ["0", "-1", "100000"])  # 100000 spawned processes until memory ran out
def test_synth_refuses_fewer_than_one_worker(tmp_path, capsys, workers):
    assert main(["synth", str(tmp_path / "ds"), *ONE_CLIP, "--workers", workers]) == 2
    assert "--workers" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("subjects", ["-1", "10001", "99999999999999999999999"])
def test_synth_refuses_a_subject_count_out_of_range(tmp_path, capsys, subjects):
    """``--subjects 99999999999999999999999`` planned subjects one by one and never ended."""
    args = ["synth", str(tmp_path / "ds"), "--preset", "tiny", "--subjects", subjects]
    assert main(args) == 2
    assert f"--subjects must be in [0, 10000], got {subjects}" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("option, value", [("--seeds", "101"), ("--seed", "2147483648")])
def test_run_refuses_a_seed_count_or_seed_beyond_training_before_any_work(tmp_path, capsys, option, value):
    """Both were refused only when the first training stage was configured, after stages were queued."""
    assert main(["run", "--out", str(tmp_path / "run"), "--data", str(tmp_path / "none"), option, value]) == 2
    assert f"Invalid value for '{option}'" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("jobs", ["0", "-1", "100000"])
def test_run_refuses_fewer_than_one_job(tmp_path, capsys, jobs):
    """``evface run --jobs 0`` (or -1) ran as 1 without a word."""
    assert main(["run", "--out", str(tmp_path / "run"), "--data", str(tmp_path / "none"), "--jobs", jobs]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--jobs" in line and jobs in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("preset, subjects, need", [("quick", 1, 3), ("quick", 2, 3), ("full", 5, 6)])
def test_run_on_a_dataset_with_too_few_subjects_stops_before_writing(tmp_path, capsys, preset, subjects, need):
    """`evface run --data` on a one-subject import queued every stage, created OUT and its stage
    folders, then stopped naming `--folds`, an option `run` does not have."""
    from evface.io.manifest import write_manifest

    rows = [{"clip_id": f"c{i}", "subject": f"s{i}", "label": "AU4", "aus": "4", "lighting": "dim",
             "file": f"clips/c{i}.h5", "onset_us": 0, "apex_us": 1, "offset_us": 2, "duration_us": 3, "source": "x"}
            for i in range(subjects)]
    write_manifest(tmp_path / "data", rows)
    assert main(["run", "--preset", preset, "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    held = "1 subject" if subjects == 1 else f"{subjects} subjects"  # was: "1 subject(s)"
    assert line == (f"error: {tmp_path / 'data'}: holds {held}; the {preset!r} preset tests every model "
                    f"on held-out subjects in subject folds and needs at least {need} (--data, --preset)")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, made, this", [
    (("--seed", "1"), "--seed 0", "--seed 1"), (("--noise", "clean"), "--noise typical", "--noise clean"),
    (("--preset", "quick"), "--preset tiny", "--preset quick"), (("--highspeed",), "no --highspeed", "--highspeed"),
    (("--seed", "2", "--noise", "noisy"), "--seed 0, --noise typical", "--seed 2, --noise noisy")])
def test_run_into_the_out_of_a_run_with_other_options_stops_before_writing(tmp_path, capsys, args, made, this):
    """A second `evface run` into the OUT of one with another seed made a stage folder, then
    stopped with the data folder's "use a new folder to build this one", a folder run does not take;
    then it named dataset.json's keys ("other params" for another --noise), not the options."""
    from evface.datasets.synth import _plan, other_dataset

    data = tmp_path / "run" / "data"
    write_dataset_json(data, _plan("tiny", 0, None, None, None, None, None, None, None)[3])  # synth's first write
    assert other_dataset(data, "tiny", 0) == [] and other_dataset(tmp_path, "tiny", 1) == []
    assert main(["run", "--preset", "tiny", "--out", str(tmp_path / "run"), *args]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == (f"error: {data}: holds the dataset of an earlier run made with {made}, not {this}; give --out a "
                    f"new folder (or {made.replace(',', '')} to add to that run)")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["data"]


def test_run_into_the_out_of_a_run_whose_dataset_differs_in_no_option_names_what_differs(tmp_path, capsys):
    from evface.datasets.synth import _plan

    info = _plan("tiny", 0, None, None, None, None, None, None, None)[3]
    info["params"]["n_subjects"] += 1  # as another version of the preset would build it
    write_dataset_json(tmp_path / "run" / "data", info)
    assert main(["run", "--preset", "tiny", "--out", str(tmp_path / "run")]) == 2
    assert _one_error_line(capsys.readouterr().err) == (f"error: {tmp_path / 'run' / 'data'}: holds the dataset of an "
                                                        "earlier run with other params; give --out a new folder")


@pytest.mark.parametrize("args", [("train", "classify", "--data", "{data}", "--out", "{out}"),
                                  ("train", "reconstruct", "--data", "{data}", "--out", "{out}"),
                                  ("run", "--preset", "tiny", "--data", "{data}", "--out", "{out}")])
def test_a_folder_of_other_files_is_never_written_into(tmp_path, capsys, args):
    """`train --out` and `run --out` wrote their metrics.json, config.json and report.html over a
    user's files of those names in a folder that held no run."""
    out = tmp_path / "documents"
    out.mkdir()
    for name in ("metrics.json", "report.html"):
        (out / name).write_text("mine")
    data = make_classify_dataset(tmp_path / "data", subjects=("s0", "s1", "s2"), labels=("AU12", "AU4"), per_class=1)
    assert main([a.format(data=data, out=out) for a in args]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {out}: holds files but no evface ") and line.endswith("new folder")
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "report.html"]
    assert all((out / name).read_text() == "mine" for name in ("metrics.json", "report.html"))


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_during_a_clip_write_leaves_no_partial_file_and_resumes(tmp_path, monkeypatch, capsys):
    out = tmp_path / "ds"
    args = ["synth", str(out), "--preset", "tiny", "--subjects", "1", "--classes", "AU4", "--lighting", "bright,dim"]
    real = clip_writer._write_frames

    def fill_the_disk_on_the_second_clip(group, *a, **k):
        if group.file.attrs["lighting"] == "dim":  # the second clip; its .tmp holds its events by now
            _enospc()
        return real(group, *a, **k)

    monkeypatch.setattr(clip_writer, "_write_frames", fill_the_disk_on_the_second_clip)
    assert main(args) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line and "s000_AU4_dim_r0.h5" in line
    assert [p.name for p in out.rglob("*.tmp")] == []
    assert [p.name for p in (out / "clips").iterdir()] == ["s000_AU4_bright_r0.h5"]  # the finished clip stays
    monkeypatch.setattr(clip_writer, "_write_frames", real)  # space freed: the same command finishes the dataset
    assert main(args) == 0
    assert len(DatasetFolder.open(out).rows) == 2


def test_disk_full_while_writing_the_manifest_leaves_no_partial_file(tmp_path, monkeypatch):
    real = pathlib.Path.write_text

    def half_then_full(self, text, *a, **k):
        if self.name.startswith("manifest.csv.") and self.suffix == ".tmp":
            real(self, text[: len(text) // 2], *a, **k)
            _enospc()
        return real(self, text, *a, **k)

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        synthesize(tmp_path / "ds", preset="tiny", subjects=1, classes=["AU4"], lighting=["bright"])
    assert [p.name for p in (tmp_path / "ds").rglob("*.tmp")] == []
    assert not (tmp_path / "ds" / "manifest.csv").exists()


@pytest.fixture
def small_tmpfs():
    """A 1 MiB tmpfs (a real full disk); skipped where mounting is not permitted."""
    mnt = Path("/tmp") / f"evface-full-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        mnt.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
        mnt.rmdir()


def test_synth_on_a_full_disk_is_one_error_line(small_tmpfs):
    """It segfaulted (exit 139) inside h5py and left a .tmp."""
    done = subprocess.run([sys.executable, "-m", "evface.cli", "synth", str(small_tmpfs / "ds"), *ONE_CLIP],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "No space left on device" in _one_error_line(done.stderr)
    assert [p.name for p in small_tmpfs.rglob("*.tmp")] == []


# --------------------------------------------------------------------------- synth: workers die with it


def _spawned_children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_synth_workers_die_with_a_killed_parent(tmp_path):
    """After ``kill -9`` of ``evface synth --workers 2`` its workers went on writing clips."""
    out = tmp_path / "ds"
    parent = subprocess.Popen([sys.executable, "-m", "evface.cli", "synth", str(out), "--preset", "tiny",
                               "--subjects", "2", "--classes", "AU4,AU9", "--lighting", "bright", "--workers", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("clips/*.h5")):  # the pool is busy with the next clips
            assert parent.poll() is None and time.monotonic() < deadline, "synth ended before its first clip"
            time.sleep(0.05)
        workers = _spawned_children(parent.pid)
        assert len(workers) == 2
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    at_kill = {p.name for p in out.glob("clips/*.h5")}
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "workers outlived their parent"
    assert {p.name for p in out.glob("clips/*.h5")} == at_kill


# --------------------------------------------------------------------------- manifests are checked


def _two_clip_dataset(root: Path) -> Path:
    rows = []
    for i, (label, aus) in enumerate([("AU4", [4]), ("AU12", [12])]):
        cid = f"s00{i}_{label}"
        write_clip(root / "clips" / f"{cid}.h5", Clip(cid, f"s00{i}", label, aus, "dim", 0, 100, 200, 300))
        rows.append({"clip_id": cid, "subject": f"s00{i}", "label": label, "aus": aus, "lighting": "dim",
                     "file": f"clips/{cid}.h5", "onset_us": 0, "apex_us": 100, "offset_us": 200, "duration_us": 300,
                     "source": "test"})
    write_manifest(root, rows)
    write_dataset_json(root, {"generator": "test", "classes": {"AU4": [4], "AU12": [12]}})
    return root


def _line(text: str, clip_id: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(clip_id))


TAMPER = {
    "label in no class": (lambda t: t.replace("s000_AU4,s000,AU4,4", "s000_AU4,s000,AU99,4"), "not a class"),
    "label against its clip": (lambda t: t.replace("s000_AU4,s000,AU4,4", "s000_AU4,s000,AU12,12"), "contradicts"),
    "subject against its clip": (lambda t: t.replace("s000_AU4,s000,", "s000_AU4,s001,"), "contradicts"),
    "duplicated row": (lambda t: t + _line(t, "s001_AU12") + "\n", "already on line 3"),
    "absolute path": (lambda t: t.replace("clips/s000_AU4.h5", "/etc/passwd"), "absolute path"),
    "path leaving the folder": (lambda t: t.replace("clips/s000_AU4.h5", "../elsewhere/s000_AU4.h5"),
                                "leaves the dataset folder"),
    "short row": (lambda t: t.replace(_line(t, "s001_AU12"), ",".join(_line(t, "s001_AU12").split(",")[:5])),
                  "short row"),
    "long row": (lambda t: t.replace(_line(t, "s001_AU12"), _line(t, "s001_AU12") + ",extra"), "more fields"),
    "missing clip": (lambda t: t.replace("clips/s000_AU4.h5", "clips/gone.h5"), "no such file"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_a_tampered_manifest_is_refused_naming_the_line(tmp_path, case):
    root = _two_clip_dataset(tmp_path / "ds")
    DatasetFolder.open(root)  # as written, it is fine
    tamper, message = TAMPER[case]
    manifest = root / "manifest.csv"
    manifest.write_text(tamper(manifest.read_text()))
    with pytest.raises(DatasetError, match=message) as info:
        DatasetFolder.open(root)
    assert str(manifest) in str(info.value) and "line " in str(info.value)


@pytest.mark.parametrize("classes", [{"AU4": 4, "AU12": [12]}, None, ["AU4", "AU12"], "AU4",
                                     {"AU4": [float("nan")], "AU12": [12]}, {"AU4": ["4"], "AU12": [12]}])
def test_a_dataset_json_whose_classes_are_not_au_lists_is_refused(tmp_path, classes):
    """An int, null or NaN there was a TypeError or ValueError (exit 1) in train and merge; a list or a
    string was silently ignored."""
    root = _two_clip_dataset(tmp_path / "ds")
    (root / "dataset.json").write_text(json.dumps({"generator": "test", "classes": classes}))
    with pytest.raises(DatasetError, match="dataset.json: 'classes' must map each class name to its list of AU numbers"):
        DatasetFolder.open(root)


@pytest.mark.parametrize("shift", [1_600_000_000_000_000, -1000])
def test_a_clip_whose_events_lie_outside_its_window_is_refused(tmp_path, shift):
    """A clip holding a camera's absolute times (or negative ones) trained and scored on empty inputs, exit 0."""
    from evface.events.core import make_events

    root = tmp_path / "ds"
    t = np.arange(0, 300, 10)
    events = make_events(t + shift, t % 4, t % 3, np.where(t % 20, 1, -1))
    rows = []
    for i, (label, aus) in enumerate([("AU4", [4]), ("AU12", [12])]):
        cid = f"s00{i}_{label}"
        write_clip(root / "clips" / f"{cid}.h5", Clip(cid, f"s00{i}", label, aus, "dim", 0, 100, 200, 300,
                                                     events={"lr": events}, sensors={"lr": SensorInfo("lr", 4, 4)}))
        rows.append({"clip_id": cid, "subject": f"s00{i}", "label": label, "aus": aus, "lighting": "dim",
                     "file": f"clips/{cid}.h5", "onset_us": 0, "apex_us": 100, "offset_us": 200, "duration_us": 300,
                     "source": "test"})
    write_manifest(root, rows)
    write_dataset_json(root, {"generator": "test"})
    with pytest.raises(DatasetError, match=rf"line 2: the lr events of its clip clips/s000_AU4.h5 lie at {shift}\.\."):
        DatasetFolder.open(root)


def test_training_on_a_tampered_manifest_is_one_error_line(tmp_path, capsys):
    """A short row was a traceback; the other tampered rows trained and scored with exit 0."""
    root = _two_clip_dataset(tmp_path / "ds")
    manifest = root / "manifest.csv"
    manifest.write_text(TAMPER["short row"][0](manifest.read_text()))
    assert main(["train", "classify", "--data", str(root), "--out", str(tmp_path / "run"), "--epochs", "1"]) == 2
    assert "line 3: short row" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- report


def test_report_of_a_run_never_evaluated_is_an_error(tmp_path, capsys):
    """It was left out of the report, exit 0."""
    data = _two_clip_dataset(tmp_path / "ds")
    run = tmp_path / "run"
    run_folder.save_config(run, {"task": "classify", "data": str(data)})
    assert main(["report", str(run), "--out", str(tmp_path / "report.html")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(run / "metrics.json") in line and "not evaluated" in line
    assert not (tmp_path / "report.html").exists()


TRAINED = ClassifyConfig(epochs=1, patience=0, time_steps=2, size=16, depth=2, width=4, device="cpu")
"""The settings of the classification runs a newer evface may have begun or written settings into."""


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> tuple[Path, Path]:
    """The fake dataset and a run of :data:`TRAINED` on it, trained once for the tests that each copy
    the run (and change the copy); the dataset is only read."""
    from evface.tasks.classify import train_and_evaluate

    base = tmp_path_factory.mktemp("trained")
    data = make_classify_dataset(base / "data")
    train_and_evaluate(data, base / "run", TRAINED)
    return data, base / "run"


@pytest.mark.xdist_group("reliability-trained")  # make test's workers train the run once, in one of them
def test_eval_and_report_of_a_run_with_settings_this_evface_does_not_know_warn_and_work(tmp_path, capsys, monkeypatch,
                                                                                       trained_run):
    """A run of a newer evface was evaluated and reported without a word about the settings this one ignores."""
    from evface import __version__
    from evface.tasks.classify import evaluate_run
    from report_fixtures import draw_each_figure_once, make_fake_run

    draw_each_figure_once(monkeypatch)  # its reports show the same clips and runs

    data, run = trained_run[0], tmp_path / "run"
    shutil.copytree(trained_run[1], run)
    config = json.loads((run / "config.json").read_text())
    assert set(config) == ClassifyConfig.run_keys() | {run_folder.VERSION}  # what the settings are checked against
    assert main(["eval", str(run), "--data", str(data), "--out", str(tmp_path / "ev0")]) == 0
    assert "warning" not in capsys.readouterr().err  # a run of this evface
    (run / "config.json").write_text(json.dumps({**config, run_folder.VERSION: "9.0", "mixup": 0.2, "ema": True}))
    said = (f"warning: {run}: a run of evface 9.0 with settings this evface {__version__} does not know (ema, mixup): "
            "read without them, its results may not be comparable with those of runs of this version")
    assert main(["eval", str(run), "--data", str(data), "--out", str(tmp_path / "ev")]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0] == said and err.count("warning") == 1  # once, from the evaluation itself
    with pytest.warns(EvfaceWarning) as given:  # the Python API said nothing: the command alone warned
        evaluate_run(run, data, tmp_path / "ev-api")
    assert [f"warning: {w.message}" for w in given] == [said]
    assert main(["report", str(tmp_path / "ev"), "--out", str(tmp_path / "report.html")]) == 0  # an evaluation: its run
    assert said in capsys.readouterr().err.splitlines() and (tmp_path / "report.html").exists()
    # compare of the run or its evaluation (named by its absolute path): once (was: no word)
    assert main(["compare", str(tmp_path / "ev"), str(trained_run[1])]) == 0  # beside the run it was copied from
    assert [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")] == [said]
    fake = make_fake_run(tmp_path / "fake")  # an evface run: each stage named
    stage = fake / "stages" / "recon-hd-0" / "config.json"
    stage.write_text(json.dumps({**json.loads(stage.read_text()), run_folder.VERSION: "9.0", "ema": True}))
    assert main(["report", str(fake), "--out", str(tmp_path / "fake.html")]) == 0
    assert [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")] == [
        f"warning: {stage.parent}: a run of evface 9.0 with settings this evface {__version__} does not know (ema): "
        "read without them, its results may not be comparable with those of runs of this version"]


def test_eval_and_report_of_a_newer_evfaces_run_of_known_settings_warn_once(tmp_path, capsys, monkeypatch):
    """Only a resume said that the run was a newer evface's; its evaluation and report said nothing."""
    from evface import __version__
    from evface.tasks.classify import train_and_evaluate
    from report_fixtures import draw_each_figure_once

    draw_each_figure_once(monkeypatch)  # its two reports show the same clips

    data = make_classify_dataset(tmp_path / "data", subjects=("s0", "s1", "s2", "s3"))
    run = tmp_path / "run"
    train_and_evaluate(data, run, ClassifyConfig(epochs=1, patience=0, time_steps=2, size=16, depth=2, width=4,
                                                 device="cpu"))
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, run_folder.VERSION: "999.0"}))
    said = (f"warning: {run}: a run of evface 999.0, newer than this evface {__version__}, which may train and score "
            "differently: its results may not be comparable with those of runs of this version")
    for args in (["eval", str(run), "--data", str(data), "--out", str(tmp_path / "ev")],
                 ["report", str(run), "--out", str(tmp_path / "report.html")],
                 ["report", str(tmp_path / "ev"), "--out", str(tmp_path / "ev.html")]):
        assert main(args) == 0
        assert [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")] == [said]


@pytest.mark.xdist_group("reliability-trained")
def test_a_run_begun_by_a_newer_evface_resumes_with_a_warning(tmp_path, trained_run):
    """Without settings this evface does not know, it resumed without a word."""
    from evface import __version__
    from evface.tasks.classify import train_and_evaluate

    data, run, config = trained_run[0], tmp_path / "run", TRAINED
    shutil.copytree(trained_run[1], run)
    lines: list[str] = []
    train_and_evaluate(data, run, config, log=lines.append)  # this evface's own run: no warning
    assert not [line for line in lines if line.startswith("warning")]
    saved = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**saved, run_folder.VERSION: "999.0"}))
    said = (f"warning: {run}: resumed a run of evface 999.0, newer than this evface {__version__}: what this version "
            "trains may differ from what that one did, and its results may not be comparable; resume it with evface "
            "999.0 to keep them alike")
    train_and_evaluate(data, run, config, log=lines.append)
    assert [line for line in lines if line.startswith("warning")] == [said]
    # the newer version stays recorded (was: this one's, and the next resume and reads no longer knew it)
    assert json.loads((run / "config.json").read_text())[run_folder.VERSION] == "999.0"
    lines.clear()
    train_and_evaluate(data, run, config, log=lines.append)
    assert [line for line in lines if line.startswith("warning")] == [said]


def test_an_evface_of_unknown_version_calls_no_run_newer(monkeypatch):
    """Run from a checkout that is not installed (``0.0.0+unknown``), it called every run newer."""
    assert run_resume.newer_than_this("999.0") and not run_resume.newer_than_this("0.0.1+local")
    monkeypatch.setattr(run_resume, "__version__", "0.0.0+unknown")
    assert not run_resume.newer_than_this("999.0")


@pytest.mark.parametrize("changes, run, given", [
    ({"size": 32, "net": {"input_size": 32}, "spec": {"size": 32}}, "--size 64", "--size 32"),
    ({"folds": 2, "protocol": "2-fold", "models": []}, "--folds 0", "--folds 2"),
    # what the settings give changed alone: named, as nothing else is
    ({"net": {"input_size": 32}}, 'net {"input_size": 64}', 'net {"input_size": 32}'),
])
def test_a_resume_with_other_settings_names_only_those_a_user_sets(tmp_path, changes, run, given):
    """Was "other settings (net, size, spec)": the keys a run derives from its settings, listed beside them."""
    config = {"task": "classify", "data": "data", **ClassifyConfig().to_dict(), "labels": ["AU1", "AU12"],
              "net": {"input_size": 64}, "spec": {"size": 64}, "protocol": "split", "models": [{"dir": "."}]}
    run_folder.save_config(tmp_path, config)
    with pytest.raises(run_resume.ResumeRefused) as caught:
        run_resume.check_resume(tmp_path, {**config, **changes})
    assert str(caught.value) == (f"{tmp_path}: this run was trained with {run}; given {given}: give the run's settings, "
                                 "or --out a new folder")


# --------------------------------------------------------------------------- exact resume


class Interrupt(Exception):
    """Stands for a kill right after an epoch's checkpoint."""


def _stop_after(line_start: str):
    def log(line: str) -> None:
        if line.startswith(line_start):
            raise Interrupt(line)
    return log


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return checkpoints.load_checkpoint(path)["model"]


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_classification_resumed_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    """It said "resumed at epoch 4", then diverged: the augmentation generator was not checkpointed."""
    from evface.tasks.classify import train_and_evaluate

    data = make_classify_dataset(tmp_path / "data", subjects=("s0", "s1", "s2"), labels=("AU12", "AU4"), per_class=2)
    cfg = ClassifyConfig(input="events", sensor="lr", time_steps=2, size=16, depth=1, width=4, batch_size=2,
                         learning_rate=0.01, epochs=2, patience=0, augment=True, device="cpu")
    whole = train_and_evaluate(data, tmp_path / "whole", cfg)
    with pytest.raises(Interrupt):
        train_and_evaluate(data, tmp_path / "resumed", cfg, log=_stop_after("epoch   0"))
    assert checkpoints.load_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["epoch"] == 0
    lines = []
    resumed = train_and_evaluate(data, tmp_path / "resumed", cfg, log=lines.append)
    assert any("resumed from" in line and "at epoch 1" in line for line in lines)
    for name in ("checkpoint.pt", "best.pt"):
        _assert_same_weights(tmp_path / "whole" / name, tmp_path / "resumed" / name)
    timing = ("train_seconds", "preprocess_seconds")
    assert {k: v for k, v in resumed.items() if k not in timing} == {k: v for k, v in whole.items() if k not in timing}


def test_reconstruction_resumed_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    """Its flip generators (CVAE and recurrent UNet) were not checkpointed either."""
    from evface.tasks.reconstruct import train

    data = make_recon_dataset(tmp_path / "data", n_subjects=3, clips_per_subject=1, duration_us=150_000)
    cfg = ReconstructConfig(size=16, n_bins=3, base=4, z_channels=2, batch_size=4, epochs=2, patience=0,
                            seq_len=2, threads=1, device="cpu", val_fraction=0.25, test_fraction=0.25)
    threads = torch.get_num_threads()
    try:
        train(data, tmp_path / "whole", cfg)
        for stop in ("cvae epoch   0", "e2vid epoch   0"):
            with pytest.raises(Interrupt):
                train(data, tmp_path / "resumed", cfg, log=_stop_after(stop))
        train(data, tmp_path / "resumed", cfg)
    finally:
        torch.set_num_threads(threads)
    for name in ("checkpoint.pt", "best.pt", "e2vid/checkpoint.pt", "e2vid/best.pt"):
        _assert_same_weights(tmp_path / "whole" / name, tmp_path / "resumed" / name)


def test_checkpoints_hold_every_random_state_and_load_safely(tmp_path):
    g_np, g_torch = np.random.default_rng(1), torch.Generator().manual_seed(1)
    generators = {"np": g_np, "torch": g_torch}
    checkpoints.save_checkpoint(tmp_path / "c.pt", {"rng": [random_states.rng_state(generators)]})
    expected = (g_np.random(), torch.rand(1, generator=g_torch).item(), torch.rand(1).item(), np.random.rand())
    state = checkpoints.load_checkpoint(tmp_path / "c.pt")["rng"][0]  # weights_only=True
    random_states.restore_rng_state(state, generators)
    assert (g_np.random(), torch.rand(1, generator=g_torch).item(), torch.rand(1).item(), np.random.rand()) == expected
    with pytest.raises(Exception, match="no state of the random generator 'other'"):
        random_states.restore_rng_state(state, {**generators, "other": np.random.default_rng()})


def _draws():
    """One draw from each global random generator: torch's, numpy's and Python's."""
    return torch.rand(1).item(), np.random.rand(), random.random()


def test_a_refused_random_state_restore_leaves_every_random_state_as_it_was():
    saved = random_states.rng_state()  # holds no state of the generator 'augment'
    random_states.seed_everything(5)
    with pytest.raises(FormatError, match="no state of the random generator 'augment'"):
        random_states.restore_rng_state(saved, {"augment": np.random.default_rng(0)})
    refused = _draws()
    random_states.seed_everything(5)
    assert refused == _draws()  # was: the draws of `saved`, its states put back before the refusal


def test_a_run_of_one_seed_resumed_with_fewer_counts_its_seed_in_the_singular(tmp_path):
    one = {"dir": ".", "seed": 0, "test": ["s1"]}
    run_folder.write_json(tmp_path / "config.json", {"task": "classify", "seeds": 1, "models": [one]})
    with pytest.raises(run_resume.ResumeRefused, match=r": holds a run of 1 training seed; --seeds 0 would leave"):
        run_resume.grown_by_seeds(tmp_path, {"task": "classify", "seeds": 0, "models": []}, "models",
                                  lambda old, new: old == new)  # was: "a run of 1 training seeds"


@pytest.mark.xdist_group("reliability-trained")  # make test's workers train the run once, in one of them
def test_an_evaluation_says_the_seeds_that_scored_it_after_its_run_is_given_more(tmp_path, capsys, trained_run):
    """Was: an evaluation recorded no seeds, so `evface compare` read them from its run's config.json:
    once the run was given more seeds, its earlier evaluation was said to be of all of them."""
    data, run = trained_run[0], tmp_path / "run"
    shutil.copytree(trained_run[1], run)
    ev = tmp_path / "ev"
    assert main(["eval", str(run), "--data", str(data), "--out", str(ev)]) == 0
    assert json.loads((ev / "metrics.json").read_text())["seeds"] == [0]
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "seeds": 2}))  # the run given a second seed since
    capsys.readouterr()
    assert main(["compare", str(ev), str(trained_run[1])]) == 0
    tested = capsys.readouterr().out.splitlines()[-1]
    assert tested.startswith("tested: both ") and tested.endswith("training seed 0")
