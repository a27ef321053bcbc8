"""The synthetic rig and dataset builder (tiny preset): determinism, resume, shards, geometry, CLI."""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from evface import __version__
from evface.cli import app, main
from evface.datasets import synth_plan
from evface.datasets.synth import synthesize
from evface.datasets.synth_film import subject_identity
from evface.datasets.synth_plan import PRESETS, get_preset, load_face_photos, parse_shard, plan_clips, plan_subjects
from evface.datasets.synth_shards import merge_shards
from evface.errors import DatasetError, FormatError, ParameterError
from evface.face.identity import procedural_identity
from evface.io.clip_reader import read_clip
from evface.io.dataset import DatasetFolder
from evface.io.file_info import file_info
from evface.rig.geometry import RigParams, renderer_face_fraction, rig_geometry
from evface.rig.scene import Scene
from evface.rig.timeline import Expression, HeadMotion, Timeline
from evface.sim.sensors import SENSORS

from pipe_fixtures import refused_within

SUBSET = dict(preset="tiny", seed=0, subjects=2, classes=["AU4"], lighting=["bright", "dim"])


pytestmark = pytest.mark.xdist_group("synth-reference")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`reference` and `subset_shards`: the 4-clip dataset, whole and as two shards) are built once (was: once in each worker)."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted build of a 4-clip tiny dataset."""
    return synthesize(tmp_path_factory.mktemp("ref"), **SUBSET)


@pytest.fixture(scope="module")
def subset_shards(tmp_path_factory):
    """The same dataset built as two shards (``shard="0/2"``, ``"1/2"``); read only."""
    root = tmp_path_factory.mktemp("shards")
    return [synthesize(root / f"shard{i}", **SUBSET, shard=f"{i}/2") for i in range(2)]


def _events(root: Path) -> dict:
    ds = DatasetFolder.open(root)
    return {row["clip_id"]: read_clip(ds.clip_path(row), frames=True, truth=False) for row in ds.rows}


def assert_same_dataset(a: Path, b: Path) -> None:
    assert (a / "manifest.csv").read_bytes() == (b / "manifest.csv").read_bytes()
    ca, cb = _events(a), _events(b)
    assert ca.keys() == cb.keys()
    for cid in ca:
        for sensor in ("hd", "lr"):
            assert ca[cid].events[sensor].tobytes() == cb[cid].events[sensor].tobytes(), (cid, sensor)
        assert np.array_equal(ca[cid].frames["rgb"].data, cb[cid].frames["rgb"].data)


def test_tiny_dataset_layout_and_clips(reference):
    ds = DatasetFolder.open(reference)
    assert len(ds.rows) == 4 and ds.subjects == ["s000", "s001"] and ds.labels == ["AU4"]
    assert ds.info["generator"] == "evface.data.synth" and ds.info["seed"] == 0
    clip = read_clip(ds.clip_path(ds.rows[0]))
    assert set(clip.sensors) == {"hd", "lr"} and set(clip.frames) == {"rgb", "rgb-webcam30-hd"} and set(clip.truth) == {"hd", "lr"}
    hd, lr = clip.sensors["hd"], clip.sensors["lr"]
    assert (lr.width, lr.height) == (346, 260)
    assert (hd.full_width, hd.full_height) == (1280, 720)
    x0, y0, w, h = hd.roi
    assert (w, h) == (hd.width, hd.height) and 0 <= x0 and x0 + w <= 1280 and 0 <= y0 and y0 + h <= 720
    for name in ("hd", "lr"):
        assert clip.events[name].size > 0
        truth = clip.truth[name]
        assert truth.data.shape[1:] == (clip.sensors[name].height, clip.sensors[name].width)
        assert np.diff(truth.t_us).max() <= 5000  # >= 200 Hz
        assert truth.data.dtype == np.float32 and truth.data.min() >= 0
    rgb = clip.frames["rgb"]
    assert rgb.data.dtype == np.uint8 and rgb.data.ndim == 4 and rgb.fps == 30
    e = (clip.onset_us, clip.apex_us, clip.offset_us)
    assert 0 < e[0] < e[1] < e[2] <= clip.duration_us and e[2] - e[0] <= 500_000 and e[1] - e[0] <= 250_000


def test_calibration_maps_the_rgb_face_box_onto_each_sensor(reference):
    ds = DatasetFolder.open(reference)
    clip = read_clip(ds.clip_path(ds.rows[0]), frames=False, truth=False)
    boxes, hom = clip.calibration["face_box"], clip.calibration["homography"]
    x, y, w, h = boxes["rgb"]
    for cam in ("hd", "lr"):
        H = np.array(hom[cam])
        # pixel-edge corners of the rgb box -> centre coordinates -> sensor -> back to edges
        corners = np.array([[x - 0.5, y - 0.5, 1.0], [x + w - 0.5, y + h - 0.5, 1.0]]).T
        mapped = (H @ corners)[:2] + 0.5
        bx, by, bw, bh = boxes[cam]
        assert mapped[:, 0] == pytest.approx([bx, by], abs=0.02)
        assert mapped[:, 1] == pytest.approx([bx + bw, by + bh], abs=0.02)
    # beam splitter geometry: the hd face is ~3.8x the lr face
    assert boxes["hd"][2] / boxes["lr"][2] == pytest.approx(18.5 / 4.86, rel=0.02)
    assert boxes["lr"][2] == pytest.approx(PRESETS["tiny"].rig.lr_face_px, rel=0.05)


def test_truth_is_the_scene_the_event_sensors_saw(reference):
    """The truth frames change where the events are: the face moves, the backdrop does not."""
    ds = DatasetFolder.open(reference)
    clip = read_clip(ds.clip_path(ds.rows[0]))
    for name in ("hd", "lr"):
        truth = clip.truth[name].data
        change = np.abs(np.log(truth[-1] + 1) - np.log(truth[0] + 1)) + np.abs(np.log(truth.max(0) + 1) - np.log(truth.min(0) + 1))
        ev = clip.events[name]
        counts = np.zeros(truth.shape[1:])
        np.add.at(counts, (ev["y"], ev["x"]), 1)
        moving = change > 0.2
        assert moving.any()
        assert counts[moving].mean() > 5 * counts[~moving].mean()


def test_same_seed_and_resume_give_the_same_dataset(reference, tmp_path):
    out = tmp_path / "resumed"
    calls = []

    def stop_after_two(done, total, message):
        calls.append(done)
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        synthesize(out, **SUBSET, progress=stop_after_two)
    assert len(list((out / "clips").glob("*.h5"))) == 2 and not (out / "manifest.csv").exists()
    (out / "clips" / "s001_AU4_bright_r0.h5.0badf00d.tmp").write_bytes(b"partial")  # what a killed write leaves
    (out / "clips" / "notes.tmp").write_text("not evface's")
    seen = []
    synthesize(out, **SUBSET, progress=lambda d, t, m: seen.append(d))
    assert seen[0] == 2 and seen[-1] == 4  # the two finished clips were skipped
    assert [p.name for p in (out / "clips").glob("*.tmp")] == ["notes.tmp"]  # only its own partial file went
    assert_same_dataset(reference, out)


def test_resuming_a_dataset_begun_by_another_evface_version_is_refused(subset_shards, tmp_path, capsys):
    """A partial dataset of another evface version resumed silently: its clips and this version's
    mixed in one dataset. Refused naming the folder and both versions, nothing touched; so is a
    merge into an interrupted merge of shards of another version."""
    import json

    from evface import __version__

    out = tmp_path / "partial"

    def stop_after_one(done, total, message):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        synthesize(out, **SUBSET, progress=stop_after_one)
    meta = out / "dataset.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "evface_version": "0.0.1"}))
    before = _files(out)
    cli = ["synth", str(out), "--preset", "tiny", "--seed", "0", "--subjects", "2", "--classes", "AU4",
           "--lighting", "bright,dim"]
    assert main(cli) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{out}: dataset made by evface 0.0.1, this run by evface {__version__}" in err
    assert "use a new folder" in err and _files(out) == before

    shards = subset_shards
    merged = merge_shards(tmp_path / "merged", shards)
    (merged / "manifest.csv").unlink()  # an interrupted merge ...
    meta = merged / "dataset.json"  # ... of shards of another version
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "evface_version": "0.0.1"}))
    with pytest.raises(DatasetError, match=f"dataset made by evface 0.0.1, the shards by evface {__version__}"):
        merge_shards(merged, shards)
    assert not (merged / "manifest.csv").exists()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_subset_clips_equal_the_full_plan_and_seed_matters(reference, tmp_path):
    one = synthesize(tmp_path / "one", preset="tiny", seed=0, subjects=2, classes=["AU4"], lighting=["dim"])
    other = synthesize(tmp_path / "other", preset="tiny", seed=1, subjects=1, classes=["AU4"], lighting=["dim"])
    cid = "s000_AU4_dim_r0"
    a = read_clip(reference / "clips" / f"{cid}.h5", truth=False)
    b = read_clip(one / "clips" / f"{cid}.h5", truth=False)
    c = read_clip(other / "clips" / f"{cid}.h5", truth=False)
    assert a.events["hd"].tobytes() == b.events["hd"].tobytes()
    assert a.events["lr"].tobytes() != c.events["lr"].tobytes()


def test_worker_pool_gives_the_same_clips(reference, tmp_path):
    pooled = synthesize(tmp_path / "pool", preset="tiny", seed=0, subjects=2, classes=["AU4"], lighting=["bright"],
                        workers=2)
    for cid in ("s000_AU4_bright_r0", "s001_AU4_bright_r0"):
        a = read_clip(reference / "clips" / f"{cid}.h5", truth=True)
        b = read_clip(pooled / "clips" / f"{cid}.h5", truth=True)
        for sensor in ("hd", "lr"):
            assert a.events[sensor].tobytes() == b.events[sensor].tobytes()
            assert np.array_equal(a.truth[sensor].data, b.truth[sensor].data)


def test_refuses_to_mix_parameters_in_one_folder(reference):
    with pytest.raises(DatasetError, match="made with --seed 0, this run gives --seed 5"):
        synthesize(reference, preset="tiny", seed=5, subjects=2, classes=["AU4"], lighting=["bright", "dim"])
    with pytest.raises(DatasetError, match="made with --rgb-hd-cameras webcam30, this run gives --rgb-hd-cameras "
                                           "webcam30,highspeed200"):
        synthesize(reference, **SUBSET, rgb_hd_cameras=["webcam30", "highspeed200"])


def test_a_200_fps_camera_adds_a_stream_and_changes_nothing_else(reference, tmp_path, capsys):
    cid = "s001_AU4_dim_r0"
    assert main(["synth", str(tmp_path / "fast"), "--preset", "tiny", "--subjects", "2", "--classes", "AU4",
                 "--lighting", "dim", "--rgb-hd-cameras", "webcam30,highspeed200"]) == 0
    fast = read_clip(tmp_path / "fast" / "clips" / f"{cid}.h5", truth=False)
    default = read_clip(reference / "clips" / f"{cid}.h5", truth=False)
    assert sorted(fast.frames) == sorted([*default.frames, "rgb-highspeed200-hd"])
    assert fast.frames["rgb-highspeed200-hd"].fps == 200.0
    for name, series in default.frames.items():
        assert np.array_equal(fast.frames[name].data, series.data), name
    for sensor in ("hd", "lr"):
        assert fast.events[sensor].tobytes() == default.events[sensor].tobytes()
    capsys.readouterr()
    assert main(["synth", str(tmp_path / "bad"), "--preset", "tiny", "--rgb-hd-cameras", "webcam60"]) == 2
    assert "'webcam60' (--rgb-hd-cameras)" in capsys.readouterr().err and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("option, value, says", [
    ("--classes", "", "--classes '' names nothing; give at least one name, or leave --classes out"),  # was 0 clips
    ("--lighting", " , ", "--lighting ' , ' names nothing"),
    ("--rgb-hd-cameras", "webcam30,webcam30", "--rgb-hd-cameras names webcam30 twice"),  # was "rgb_hd_presets ..."
])
def test_a_list_option_naming_nothing_or_a_name_twice_is_refused(tmp_path, capsys, option, value, says):
    assert main(["synth", str(tmp_path / "out"), "--preset", "tiny", option, value]) == 2
    assert says in capsys.readouterr().err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("given, says", [
    ({"seed": -1}, "--seed must be >= 0, got -1"),  # was numpy's "expected non-negative integer"
    ({"seed": 1.5}, "--seed must be a whole number, got 1.5"),  # was taken as seed 1
    ({"seed": float("nan")}, "--seed must be a whole number, got nan"),
    ({"seed": True}, "--seed must be an integer, got True"),  # was seed 1
    ({"workers": 1.5}, "--workers must be a whole number, got 1.5"),  # was 1 process
    ({"shard": (True, 2)}, "--shard I must be an integer, got True"),  # was shard 1/2
    ({"shard": (0, 1, 2)}, "--shard must be 'I/N' or a pair (I, N), got (0, 1, 2)"),
    ({"classes": []}, "--classes names nothing"),  # was a dataset of 0 clips
    ({"lighting": []}, "--lighting names nothing"),
    ({"classes": "AU4"}, "--classes must be a list of names, got the string 'AU4'"),  # was "unknown ['A', 'U', '4']"
    ({"lighting": ["dim", "dim"]}, "--lighting names dim twice; give each name once"),  # was refused by the manifest after filming
    ({"rgb_hd_cameras": "webcam30"}, "--rgb-hd-cameras must be a list of names"),
])
def test_synthesize_names_a_bad_argument_before_anything_is_made(tmp_path, given, says):
    args = {"preset": "tiny", "subjects": 1, "classes": ["AU4"], "lighting": ["dim"], **given}
    with pytest.raises(ParameterError) as err:
        synthesize(tmp_path / "out", **args)
    assert says in str(err.value) and not (tmp_path / "out").exists()


@pytest.mark.parametrize("shard", [[0, None], [0, "2"], "0/2", [0], [True, 2], [2, 2], 7])
def test_a_shard_whose_dataset_json_holds_no_shard_pair_is_refused(tmp_path, capsys, shard):
    """A shard's ``dataset.json`` whose ``shard`` is no ``[I, N]`` (0 <= I < N): was a TypeError
    ('NoneType' object cannot be interpreted as an integer), an IndexError, or a shard 1/True."""
    folder = tmp_path / "shard0"
    folder.mkdir()
    (folder / "dataset.json").write_text(json.dumps({"evface_version": __version__, "shard": shard}))
    with pytest.raises(DatasetError, match=r"shard0: dataset\.json's shard .* is no \[I, N\] with 0 <= I < N: "
                                           r"not a shard evface made; make it again with evface synth --shard I/N"):
        merge_shards(tmp_path / "merged", [folder])
    assert main(["synth-merge", str(tmp_path / "merged"), str(folder)]) == 2
    assert not (tmp_path / "merged").exists()


def test_shards_merge_into_the_unsharded_dataset(reference, tmp_path, capsys):
    """``evface synth OUT --shard I/N`` then ``evface synth-merge OUT SHARD_DIR...``; a shard
    folder may well be called ``merge``: ``synth`` takes one folder and nothing else."""
    shards = [tmp_path / "merge", tmp_path / "shard1"]
    subset = ["--preset", "tiny", "--seed", "0", "--subjects", "2", "--classes", "AU4", "--lighting", "bright,dim"]
    for i, shard in enumerate(shards):
        assert main(["synth", str(shard), *subset, "--shard", f"{i}/2"]) == 0
    assert sum(len(DatasetFolder.open(s).rows) for s in shards) == 4
    with pytest.raises(DatasetError, match="missing"):
        merge_shards(tmp_path / "partial", shards[:1])
    with pytest.raises(ParameterError, match="shard_dirs must be a list of shard folders, got the one path"):
        merge_shards(tmp_path / "partial", str(shards[0]))  # was: its letters taken as folders
    assert main(["synth-merge", str(tmp_path / "partial"), str(shards[0])]) == 2
    assert "shard 1 of 2 missing (given: 0 of 2); add its folder, or make it with the shards' evface synth command and " \
           "--shard 1/2" in " ".join(capsys.readouterr().err.split())  # was: "shard 1 of 2 missing", nothing more
    assert main(["synth-merge", str(tmp_path / "merged"), *map(str, shards)]) == 0
    merged = tmp_path / "merged"
    assert_same_dataset(reference, merged)
    assert DatasetFolder.open(merged).info["shard"] is None
    assert main(["synth-merge", str(merged), *map(str, shards)]) == 0  # merging again into its own merge is fine
    assert_same_dataset(reference, merged)
    for into in (shards[1], shards[1] / "clips" / "x"):  # but not into a shard, nor inside one (was accepted)
        with pytest.raises(ParameterError, match="overlaps the dataset folder"):
            merge_shards(into, shards)
    assert not (shards[1] / "clips" / "x").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(DatasetError, match="not empty"):  # nor into a folder of something else
        merge_shards(tmp_path / "notes", shards)
    assert [p.name for p in (tmp_path / "notes").iterdir()] == ["todo.txt"]
    old_form = CliRunner().invoke(app, ["synth", "merge", str(merged), *map(str, shards)])  # now synth-merge
    assert old_form.exit_code == 2 and "unexpected extra argument" in old_form.output
    assert parse_shard("1/2") == (1, 2)
    for bad in ("2/2", "x", "1-2"):
        with pytest.raises(ParameterError):
            parse_shard(bad)


def test_a_shard_beyond_a_small_plan_is_empty_says_so_and_merges(tmp_path, capsys):
    """A Slurm array of fixed size over a smaller preset: ``--shard 2/3`` of a 1-clip plan is a
    valid empty shard (every array task succeeds, so its ``afterok`` merge runs) and the merge is
    the unsharded dataset. It said only "dataset ready", as of a shard that holds clips."""
    one = ["--preset", "tiny", "--subjects", "1", "--classes", "AU4", "--lighting", "bright"]
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    for i, shard in enumerate(shards):
        assert main(["synth", str(shard), *one, "--shard", f"{i}/3"]) == 0
        said = capsys.readouterr().err
        assert (f"dataset ready: {shard} (1 clip)" in said) if i == 0 else (
            f"(no clips: the plan has fewer than {i + 1} clips, so shard {i}/3 gets none; synth-merge takes it" in said)
    assert main(["synth-merge", str(tmp_path / "merged"), *map(str, shards)]) == 0
    assert "merged 3 shards into" in capsys.readouterr().err
    assert main(["synth", str(tmp_path / "whole"), *one]) == 0
    merged, whole = DatasetFolder.open(tmp_path / "merged"), DatasetFolder.open(tmp_path / "whole")
    assert merged.rows == whole.rows and merged.info["n_clips"] == 1
    name = merged.rows[0]["file"]
    assert (tmp_path / "merged" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_an_unfinished_or_odd_shard_is_refused_before_anything_is_written(subset_shards, tmp_path, capsys):
    """A shard killed before its manifest, one missing a clip file, one made by another evface
    version: refused naming the shard and what to do, and OUT not made. The check of each shard
    came while its clips were linked, so that those before it were in OUT with a dataset.json of
    a merged dataset and no manifest; a missing manifest said only "not an evface dataset
    folder", a missing clip file was an OSError, and another version was accepted."""
    import json
    import shutil

    shards = subset_shards
    cases = {
        "no manifest": (lambda d: (d / "manifest.csv").unlink(), "shard 1/2 unfinished: run its evface synth "
                                                                 r"--shard 1/2 command again to finish it \(it has no"),
        "a clip gone": (lambda d: next((d / "clips").iterdir()).unlink(), "clip file missing; shard 1/2 unfinished"),
        "another version": (lambda d: (d / "dataset.json").write_text(json.dumps(
            {**json.loads((d / "dataset.json").read_text()), "evface_version": "0.0.1"})), "made by evface 0.0.1"),
    }
    for name, (spoil, message) in cases.items():
        odd = tmp_path / name
        shutil.copytree(shards[1], odd)
        spoil(odd)
        assert main(["synth-merge", str(tmp_path / "out"), str(shards[0]), str(odd)]) == 2, name
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        with pytest.raises(DatasetError, match=message):
            merge_shards(tmp_path / "out", [shards[0], odd])
        assert not (tmp_path / "out").exists(), name


def test_every_clip_passes_evface_info(reference, capsys):
    ds = DatasetFolder.open(reference)
    for row in ds.rows:
        for sensor in ("hd", "lr"):
            info = file_info(ds.clip_path(row), sensor=sensor)
            assert info["events"] > 0
        assert main(["info", str(ds.clip_path(row))]) == 0


def test_plan_and_cli_errors(tmp_path, capsys):
    subjects, _ = plan_subjects(PRESETS["tiny"], seed=0)
    plan = plan_clips(subjects, {"AU4": [4], "AU1+2": [1, 2]}, ["bright", "dim"], 1)
    assert len(plan) == 3 * 2 * 2 and len({p.clip_id for p in plan}) == len(plan)
    assert main(["synth", str(tmp_path / "x"), "--preset", "huge"]) == 2
    assert "unknown synth preset" in capsys.readouterr().err
    for option, value in (("--classes", "AU99"), ("--lighting", "moon"), ("--rgb-hd-cameras", "webcam60")):
        assert main(["synth", str(tmp_path / "x"), "--preset", "tiny", option, value]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and value in err[0] and f"({option})" in err[0]  # one line, no progress bar left
    assert not (tmp_path / "x").exists()
    no_shard = CliRunner().invoke(app, ["synth-merge", str(tmp_path / "m")])
    assert no_shard.exit_code == 2 and "Missing argument" in no_shard.output


def _write_face_folder(folder: Path) -> None:
    from skimage import data

    folder.mkdir()
    cv2.imwrite(str(folder / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "wall.png"), np.full((200, 200, 3), 128, np.uint8))  # no face
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")  # unreadable
    (folder / "notes.txt").write_text("not an image")


def test_bad_faces_are_reported_file_by_file_and_skipped(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "faces"
    _write_face_folder(folder)
    identities, problems = load_face_photos(folder)
    assert [name for name, _ in identities] == ["photo-astronaut"]
    reasons = {Path(p.file).name: p.reason for p in problems}
    assert set(reasons) == {"wall.png", "broken.jpg", "notes.txt"}
    assert "no face" in reasons["wall.png"] and "unreadable" in reasons["broken.jpg"]
    assert "not an image" in reasons["notes.txt"] and all(r.startswith("skipped") for r in reasons.values())

    decoded = []  # was: each photo decoded twice to plan (once for the warnings, once by synthesize)
    read = synth_plan.read_photo
    monkeypatch.setattr(synth_plan, "read_photo", lambda path: decoded.append(Path(path).name) or read(path))
    out = tmp_path / "ds"
    code = main(["synth", str(out), "--preset", "tiny", "--subjects", "0", "--classes", "AU4",
                 "--lighting", "bright", "--faces", str(folder)])
    assert code == 0
    assert decoded == ["astronaut.png", "broken.jpg", "wall.png"]
    err = capsys.readouterr().err
    for name in ("wall.png", "broken.jpg", "notes.txt"):
        assert f"warning: {folder / name}: skipped" in err
    ds = DatasetFolder.open(out)
    assert ds.subjects == ["photo-astronaut"]
    assert {Path(p["file"]).name for p in ds.info["skipped_faces"]} == {"wall.png", "broken.jpg", "notes.txt"}
    assert read_clip(ds.clip_path(ds.rows[0])).events["hd"].size > 0


def test_faces_folder_without_a_usable_face_is_an_error(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"nope")
    with pytest.raises(DatasetError, match="broken.png"):
        load_face_photos(folder)
    with pytest.raises(DatasetError):
        load_face_photos(tmp_path / "missing")


def test_hd_and_lr_see_one_view(reference):
    """The hd ROI, area-averaged to lr pixels, matches the lr truth where the calibration puts it."""
    clip = read_clip(reference / "clips" / "s000_AU4_bright_r0.h5")
    hd, lr = clip.truth["hd"].data[0], clip.truth["lr"].data[0]
    H = np.array(clip.calibration["homography"]["lr"]) @ np.linalg.inv(np.array(clip.calibration["homography"]["hd"]))
    scale = H[0, 0]  # lr pixels per hd pixel
    x0, y0 = H[0, 2] + 0.5 - 0.5 * scale, H[1, 2] + 0.5 - 0.5 * scale  # hd window's edge in lr edge coordinates
    w, h = int(hd.shape[1] * scale) - 2, int(hd.shape[0] * scale) - 2
    xi, yi = int(np.ceil(x0)), int(np.ceil(y0))
    lr_crop = lr[yi : yi + h, xi : xi + w]
    # sample the hd window at the lr pixels' footprints
    hd_small = cv2.resize(hd, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ox, oy = int(round(xi - x0)), int(round(yi - y0))
    hd_crop = hd_small[oy : oy + h, ox : ox + w]
    corr = np.corrcoef(hd_crop.ravel(), lr_crop.ravel())[0, 1]
    assert corr > 0.95
    assert np.median(np.abs(hd_crop - lr_crop) / lr_crop.mean()) < 0.05


def test_world_outside_the_rendered_canvas_is_static():
    params = PRESETS["tiny"].rig
    g = rig_geometry(renderer_face_fraction(), params)
    scene = Scene(procedural_identity(0), g, params)
    tl = Timeline(400_000, Expression((4,), 50_000, 150_000, 150_000, 300_000, 0.6), head=HeadMotion(drift=(0.1, 0.1)))
    _, lr_a = scene.views(tl, 0, 100.0)
    _, lr_b = scene.views(tl, 400_000, 100.0)
    inside = np.zeros(lr_a.shape, bool)
    inside[g.lr_offset[1] : g.lr_offset[1] + g.canvas_lr[1], g.lr_offset[0] : g.lr_offset[0] + g.canvas_lr[0]] = True
    assert np.array_equal(lr_a[~inside], lr_b[~inside])
    assert not np.array_equal(lr_a[inside], lr_b[inside])


def test_rig_geometry_follows_the_sensor_table():
    params = RigParams()
    assert params.hd_per_lr_pixel == SENSORS["davis346"].pixel_pitch_um / SENSORS["evk4"].pixel_pitch_um
    g = rig_geometry(renderer_face_fraction(), params)
    x, y, w, h = g.roi
    assert 0 <= x and x + w <= SENSORS["evk4"].size[0] and 0 <= y and y + h <= SENSORS["evk4"].size[1]
    with pytest.raises(ParameterError, match="not an event sensor"):
        RigParams(hd_preset="webcam30")
    with pytest.raises(ParameterError, match="larger than"):
        rig_geometry(renderer_face_fraction(), RigParams(lr_face_px=400.0))


def test_full_preset_plans_the_issue_scale():
    from evface.datasets.synth_plan import choose_classes, choose_lightings

    p = get_preset("full")
    subjects, _ = plan_subjects(p, seed=0)
    plan = plan_clips(subjects, choose_classes(p, None), choose_lightings(p, None), p.repetitions)
    assert len(subjects) >= 24 and len(plan) >= 1000 and p.repetitions == 2
    assert {"bright", "office", "dim", "flicker"} <= set(p.lightings)


def test_neutral_class_is_made_only_when_named(tmp_path):
    from evface.datasets.synth_plan import choose_classes

    assert "neutral" not in choose_classes(get_preset("quick"), None)
    root = synthesize(tmp_path / "n", preset="tiny", subjects=1, classes=["neutral"], lighting=["bright"])
    clip = read_clip(root / "clips" / "s000_neutral_bright_r0.h5", frames=False, truth=False)
    assert clip.aus == [] and clip.extra["au_curves"] == []


def test_rotated_lightings_film_each_class_once_per_subject_balanced():
    """quick films every (subject, class) once, under dim or flicker in turn: each class and each
    lighting as often as the other, and each clip the same clip the crossed design films."""
    from collections import Counter

    from evface.datasets.synth_plan import plan_clips, plan_subjects, preset_plan

    preset = get_preset("quick")
    subjects, plan = preset_plan("quick")
    assert preset.rotate_lightings and len(subjects) >= 12
    assert len({(c.subject, c.label) for c in plan}) == len(plan) == len(subjects) * 7
    per_class = Counter((c.label, c.lighting) for c in plan)
    assert set(per_class.values()) == {len(subjects) // 2}  # 16 subjects: 8 dim, 8 flicker per class
    per_subject = Counter((c.subject, c.lighting) for c in plan)
    assert all(abs(per_subject[(s.name, "dim")] - per_subject[(s.name, "flicker")]) == 1 for s in subjects)
    crossed = plan_clips(subjects, {c.label: list(c.aus) for c in plan}, preset.lightings, 1)
    assert set(plan) < set(crossed) and len(crossed) == 2 * len(plan)
    assert plan_subjects(preset, 0)[0] == subjects


def test_a_dataset_written_before_a_preset_field_existed_still_resumes(tmp_path):
    """dataset.json files written before ``rotate_lightings`` existed resume (the field's default
    plans the clips they hold); one that says otherwise is refused."""
    import json

    from evface.datasets.synth import synthesize

    args = dict(preset="tiny", subjects=1, classes=["AU4"], lighting=["bright"])
    root = synthesize(tmp_path / "d", **args)
    meta = root / "dataset.json"
    info = json.loads(meta.read_text())
    del info["params"]["rotate_lightings"]
    meta.write_text(json.dumps(info))
    assert synthesize(root, **args) == root
    info["params"]["rotate_lightings"] = True
    meta.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match="other params"):
        synthesize(root, **args)


def test_synth_merge_of_a_shard_folder_that_is_missing_or_a_file_says_so(tmp_path, capsys):
    # was: "SHARD/dataset.json: no dataset.json: not an evface dataset folder", for a typo in the folder's name
    (tmp_path / "notes.txt").write_text("")
    for shard, said in (("shard0", "no such folder"), ("notes.txt", "is a file, not a shard folder")):
        assert main(["synth-merge", str(tmp_path / "merged"), str(tmp_path / shard)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == f"error: {tmp_path / shard}: {said}; give the folders that 'evface synth --shard I/N' made"
    assert not (tmp_path / "merged").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_planned_face_photo_since_replaced_by_a_pipe_is_refused_unopened(tmp_path):
    """Filming reads a photo subject's file again (a shard, a resumed build): a named pipe put in its
    place was opened and waited on for ever; now one line naming it (`read_photo`'s os.stat check).
    Planning already skips a pipe in --faces with a warning, as it skips the folder's non-images."""
    photo = tmp_path / "x.png"
    os.mkfifo(photo)
    subject = synth_plan.Subject("photo-x", 0, "photo", photo=str(photo), photo_sha256="0" * 64)
    said = refused_within(lambda: subject_identity(subject), photo, FormatError)
    assert said == [f"{photo}: is a device, pipe or socket, not a file; give an image file saved to disk"]
