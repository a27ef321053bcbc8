"""``evface merge``: one-subject folders (as one imported session each gives) joined into a dataset
that subject folds can train on; nothing joined that would mislead the splits or the labels."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import h5py
import pytest

from evface.cli import main
from evface.datasets.merge import merge_datasets
from evface.datasets.synth import synthesize
from evface.errors import DatasetError, ParameterError
from evface.io.clip_reader import read_clip
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder, read_dataset_json, write_dataset_json
from evface.io.manifest import write_manifest

COLUMNS = ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us", "offset_us", "duration_us")


pytestmark = pytest.mark.xdist_group("merge-sessions")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`sessions`) are built once (was: once in each worker, 6-11 s each; pytest < 9.2: tests/test_xdist_groups.py)."""


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> tuple[Path, list[Path]]:
    """A 3-subject tiny dataset, and the same clips as three one-subject folders (one per session)."""
    root = tmp_path_factory.mktemp("merge")
    whole = synthesize(root / "whole", preset="tiny", seed=0, subjects=3, classes=["AU4", "AU6+12"], lighting=["dim"])
    ds = DatasetFolder.open(whole)
    folders = []
    for subject in ds.subjects:
        folder = root / subject
        rows = [r for r in ds.rows if r["subject"] == subject]
        (folder / "clips").mkdir(parents=True)
        for row in rows:
            shutil.copyfile(ds.clip_path(row), folder / row["file"])
        write_manifest(folder, rows)
        write_dataset_json(folder, ds.info)
        folders.append(folder)
    return whole, folders


def _rows(root: Path) -> list[tuple]:
    return sorted(tuple(str(r[k]) for k in COLUMNS) for r in DatasetFolder.open(root).rows)


def test_one_subject_folders_merge_into_a_dataset_that_trains_by_subject_folds(sessions, tmp_path, capsys):
    whole, folders = sessions
    # one session alone cannot be split by subject
    assert main(["train", "classify", "--data", str(folders[0]), "--out", str(tmp_path / "one"), "--epochs", "1"]) == 2
    assert "subject" in capsys.readouterr().err
    out = tmp_path / "all"
    assert main(["merge", str(out), *map(str, folders)]) == 0
    assert capsys.readouterr().out.strip() == f"{out}: 6 clips of 3 subjects"
    assert _rows(out) == _rows(whole)
    merged = DatasetFolder.open(out)
    for row in merged.rows:
        source = next(f for f in folders if (f / "clips" / Path(row["file"]).name).exists())
        assert merged.clip_path(row).read_bytes() == (source / "clips" / Path(row["file"]).name).read_bytes()
    info = read_dataset_json(out)
    assert info["generator"] == "evface merge" and [s["clips"] for s in info["sources"]] == [2, 2, 2]
    assert info["classes"] == read_dataset_json(whole)["classes"] and info["warnings"] == []
    assert not out.with_name("all.partial").exists()
    assert main(["train", "classify", "--data", str(out), "--out", str(tmp_path / "run"), "--folds", "3",
                 "--epochs", "1", "--size", "16", "--depth", "2"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["n"] == 6 and metrics["n_subjects"] == 3


def test_clips_are_hard_linked_where_the_file_system_allows(sessions, tmp_path):
    _, folders = sessions
    assert main(["merge", str(tmp_path / "all"), *map(str, folders[:2])]) == 0
    merged = DatasetFolder.open(tmp_path / "all")
    for row in merged.rows:
        source = next(f / row["file"] for f in folders if (f / row["file"]).exists())
        assert os.stat(merged.clip_path(row)).st_ino == os.stat(source).st_ino


def _refused(args: list[str], capsys, says: str, out: Path) -> None:
    assert main(["merge", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()


def test_a_clip_id_in_two_folders_is_refused_naming_both(sessions, tmp_path, capsys):
    _, folders = sessions
    again = tmp_path / "again"
    shutil.copytree(folders[0], again)  # the same session imported twice
    _refused([str(folders[0]), str(again)], capsys,
             f"{again / 'manifest.csv'}: clip s000_AU4_dim_r0 is also in {folders[0]}", tmp_path / "out")


def test_two_synthetic_datasets_are_refused_saying_how_to_make_one_of_all_their_subjects(sessions, tmp_path, capsys):
    # was: "...; import one session's clips under other ids (the annotation table's clip_id column)", which a
    # synthetic dataset has none of: every one names its subjects s000, s001, ... (another seed, other people)
    whole, _ = sessions
    other_seed = tmp_path / "seed1"
    shutil.copytree(whole, other_seed)
    _refused([str(whole), str(other_seed)], capsys,
             f"{other_seed / 'manifest.csv'}: clip s000_AU4_dim_r0 is also in {whole}; clip ids must be unique across "
             "the folders; both are synthetic datasets, each naming its subjects s000, s001, ...: make one dataset of "
             "all the subjects with evface synth (a larger --subjects, --faces)", tmp_path / "out")


def test_clip_ids_that_differ_only_in_case_are_refused_naming_both(sessions, tmp_path, capsys):
    # was merged: clips/s000_AU4_dim_r0.h5 and clips/S000_au4_dim_r0.h5, one file on macOS or Windows
    _, folders = sessions
    received = tmp_path / "received"
    ds = DatasetFolder.open(folders[0])
    clip = read_clip(ds.clip_path(ds.rows[0]))
    clip.clip_id = "S000_au4_dim_r0"
    write_clip(received / "clips" / "c.h5", clip)
    write_manifest(received, [{**ds.rows[0], "clip_id": clip.clip_id, "file": "clips/c.h5"}])
    write_dataset_json(received, ds.info)
    _refused([str(folders[0]), str(received)], capsys,
             f"{received / 'manifest.csv'}: clip ids 's000_AU4_dim_r0' and 'S000_au4_dim_r0' differ only in case: their "
             "files clips/ID.h5 would be one file on a case-insensitive file system (macOS, Windows), so a dataset "
             f"holds ids unique regardless of case (s000_AU4_dim_r0 is in {folders[0]}); import one session's clips "
             "under other ids", tmp_path / "out")
    # every dataset writer (synth, synth-merge, import, merge) writes its manifest through write_manifest
    twins = [{**ds.rows[0], "file": "clips/a.h5"}, {**ds.rows[0], "clip_id": clip.clip_id, "file": "clips/b.h5"}]
    with pytest.raises(DatasetError, match=r"manifest.csv \(not written\): clip ids 's000_AU4_dim_r0' and "
                                           r"'S000_au4_dim_r0' differ only in case: .*; give one of them another id$"):
        write_manifest(tmp_path / "new", twins)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("clip_id", ["../../escaped", "sub/dir"])
def test_a_clip_id_that_is_no_file_name_is_refused_and_nothing_lands_outside_out(sessions, tmp_path, capsys, clip_id):
    _, folders = sessions
    received = tmp_path / "received"  # a received folder whose clip (and manifest row) has a path for its id
    ds = DatasetFolder.open(folders[0])
    write_clip(received / "clips" / "c.h5", read_clip(ds.clip_path(ds.rows[0])))
    with h5py.File(received / "clips" / "c.h5", "r+") as f:  # written by another tool: write_clip refuses such an id
        f.attrs["clip_id"] = clip_id
    manifest = write_manifest(received, [{**ds.rows[0], "clip_id": clip_id, "file": "clips/c.h5"}])
    header, rest = manifest.read_text().split("\n", 1)
    manifest.write_text(f"{header}\n\n{rest}")  # a blank line (a hand edit): the row is on line 3 (was: named line 2)
    write_dataset_json(received, ds.info)
    before = sorted(tmp_path.rglob("*"))
    _refused([str(received), str(folders[1])], capsys, f"{received / 'manifest.csv'}: line 3: {received / 'clips' / 'c.h5'}: "
             "corrupt clip attributes (Clip.clip_id must be non-empty, without '/'", tmp_path / "work" / "out")
    # the clip's own attributes are read first: the clip reader refuses what write_clip would (was: the manifest's
    # "clip id '../../escaped' is no file name", after the folder was read)
    assert sorted(tmp_path.rglob("*")) == before  # was: the clip linked to tmp_path/escaped.h5 and left there


def test_a_class_with_other_aus_is_refused(sessions, tmp_path, capsys):
    _, folders = sessions
    one, other = tmp_path / "one", tmp_path / "other"  # two class tables that define AU9 differently
    for folder, source, aus in ((one, folders[0], [9]), (other, folders[1], [9, 10])):
        shutil.copytree(source, folder)
        info = read_dataset_json(folder)
        info["classes"]["AU9"] = aus
        write_dataset_json(folder, info)
    _refused([str(one), str(other)], capsys, f"{other / 'dataset.json'}: class 'AU9' is AUs '9+10' here and '9' in "
             f"{one}", tmp_path / "out")


@pytest.mark.parametrize("out, cwd", [(".", "here"), ("./", "here"), ("..", "here/sub")])
def test_an_out_that_is_no_folder_name_is_refused(sessions, tmp_path, capsys, monkeypatch, out, cwd):
    _, folders = sessions
    (tmp_path / cwd).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / cwd)  # 'evface merge . A B' to merge into the empty folder one is in
    assert main(["merge", out, *map(str, folders[:2])]) == 2  # '.' was exit 1: "PosixPath('.') has an empty name"
    err = capsys.readouterr().err.strip()
    assert err.endswith("give OUT a folder by its name, not '.' or '..' (the dataset is built as OUT.partial beside "
                        "it and renamed to OUT)") and len(err.splitlines()) == 1, err
    made = {"here": ["here"], "here/sub": ["here", "here/sub"]}[cwd]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == made  # nothing written


@pytest.mark.parametrize("case", ["twice", "one", "out-is-a-source", "not-a-dataset"])
def test_bad_folders_are_refused_before_anything_is_written(sessions, tmp_path, capsys, case):
    _, folders = sessions
    a, b = map(str, folders[:2])
    args, says = {"twice": ([a, a], f"{a}: given twice"),
                  "one": ([a], "merge needs at least two dataset folders"),
                  "out-is-a-source": ([a, b], "overlaps the dataset folder"),
                  "not-a-dataset": ([a, str(tmp_path / "empty")], "no manifest: not an evface dataset folder")}[case]
    (tmp_path / "empty").mkdir()
    out = Path(a) / "merged" if case == "out-is-a-source" else tmp_path / "out"
    _refused(args, capsys, says, out)


def test_merge_datasets_names_one_path_for_its_sources_or_a_flag_that_is_no_bool(sessions, tmp_path):
    _, folders = sessions
    with pytest.raises(ParameterError, match="sources must be a list of dataset folders, got the one path"):
        merge_datasets(tmp_path / "out", str(folders[0]))  # was: its letters taken as folders ("/", "t", "m", ...)
    assert merge_datasets(tmp_path / "out", folders[:2])["clips"] == 4
    with pytest.raises(ParameterError, match="overwrite must be True or False, got 'no'"):
        merge_datasets(tmp_path / "out", folders[1:], overwrite="no")  # was: the earlier dataset replaced
    assert DatasetFolder.open(tmp_path / "out").subjects == ["s000", "s001"]


def test_a_shared_subject_and_other_sensors_are_warned_about(sessions, tmp_path, capsys):
    _, folders = sessions
    relabelled = tmp_path / "relabelled"  # s001's clips under new ids, still subject s001: a second session of it
    ds = DatasetFolder.open(folders[1])
    rows = []
    (relabelled / "clips").mkdir(parents=True)
    for row in ds.rows:
        clip = read_clip(ds.clip_path(row), frames=True, truth=True)
        clip.clip_id = clip.clip_id + "_b"
        del clip.events["lr"], clip.sensors["lr"], clip.truth["lr"]
        write_clip(relabelled / "clips" / f"{clip.clip_id}.h5", clip)
        rows.append({**row, "clip_id": clip.clip_id, "file": f"clips/{clip.clip_id}.h5"})
    write_manifest(relabelled, rows)
    write_dataset_json(relabelled, ds.info)
    assert main(["merge", str(tmp_path / "out"), str(folders[1]), str(relabelled)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"warning: subject s001 is in {folders[1]}, {relabelled}: the splits treat it as one person" in err
    assert f"{folders[1]}: hd, lr; {relabelled}: hd" in err
    assert len(read_dataset_json(tmp_path / "out")["warnings"]) == 2


def test_overwrite_replaces_a_dataset_but_never_a_folder_of_other_files(sessions, tmp_path, capsys):
    _, folders = sessions
    a, b, c = map(str, folders)
    out = tmp_path / "out"
    assert main(["merge", str(out), a, b]) == 0
    assert main(["merge", str(out), a, c]) == 2  # not empty: refused without --overwrite
    assert "not empty; give a new one (--force, overwrite=True, replaces" in capsys.readouterr().err  # was: "use overwrite"
    assert main(["merge", str(out), a, c, "--overwrite"]) == 0
    assert DatasetFolder.open(out).subjects == ["s000", "s002"]
    documents = tmp_path / "documents"  # a typo away from OUT; import session/corpus --overwrite deleted such a folder
    documents.mkdir()
    (documents / "thesis.tex").write_text("keep")
    assert main(["merge", str(documents), a, b, "--overwrite"]) == 2
    assert "holds files but no evface dataset (no manifest.csv)" in capsys.readouterr().err
    assert (documents / "thesis.tex").read_text() == "keep"


def test_an_out_that_is_a_symbolic_link_is_refused_before_any_work(sessions, tmp_path, capsys, monkeypatch):
    """OUT is replaced by renaming OUT.partial onto it: was "error: Cannot call rmtree on a symbolic
    link", naming no path, after the whole merge was built."""
    _, folders = sessions
    a, b = map(str, folders[:2])
    earlier, empty = tmp_path / "earlier", tmp_path / "empty"
    assert main(["merge", str(earlier), a, b]) == 0
    empty.mkdir()
    manifest = (earlier / "manifest.csv").read_bytes()
    monkeypatch.setattr("evface.datasets.merge._link_or_copy", lambda *args: pytest.fail("the merge began"))
    for target, extra in ((earlier, ["--overwrite"]), (empty, []), (tmp_path / "gone", [])):
        link = tmp_path / "link"
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        assert main(["merge", str(link), a, b, *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"{link}: is a symbolic link to {target}" in err, err
        assert link.is_symlink() and not (tmp_path / "link.partial").exists()
    assert (earlier / "manifest.csv").read_bytes() == manifest and not any(empty.iterdir())


def test_a_left_over_partial_folder_is_cleared_but_a_foreign_one_is_kept(sessions, tmp_path, capsys):
    _, folders = sessions
    a, b = map(str, folders[:2])
    partial = tmp_path / "out.partial"  # what an interrupted merge leaves
    (partial / "clips").mkdir(parents=True)
    (partial / "clips" / "half.h5.tmp").write_bytes(b"\0")
    (partial / "manifest.csv.host-99-0badcafe.tmp").write_text("clip_id")  # its manifest, cut short (was foreign)
    assert main(["merge", str(tmp_path / "out"), a, b]) == 0
    assert not partial.exists() and len(DatasetFolder.open(tmp_path / "out").rows) == 4
    partial.mkdir()  # someone's own folder of that name
    (partial / "notes.txt").write_text("keep")
    assert main(["merge", str(tmp_path / "other"), a, b]) == 0  # another OUT: not touched
    assert main(["merge", str(tmp_path / "out"), a, b, "--overwrite"]) == 2
    assert "holds files an interrupted import did not write" in capsys.readouterr().err
    assert (partial / "notes.txt").read_text() == "keep"


def test_three_imported_sessions_merge_and_train_by_subject_folds(tmp_path, capsys):
    """The guide's path for a lab with one event camera and a webcam: one session per subject,
    imported, merged, then both arms trained on subjects they never saw."""
    from import_fixtures import RGB_EXPOSURE_US, build_session

    folders = []
    for seed, subject in enumerate(("s01", "s02", "s03")):
        raw = tmp_path / f"raw-{subject}"
        build_session(raw, seed=seed)
        table = raw / "annotations.csv"
        table.write_text(table.read_text().replace("s01", subject))
        folders.append(str(tmp_path / subject))
        assert main(["import", "session", folders[-1], "--events", f"hd={raw / 'hd.raw'}", "--model", "hd=evk4",
                     "--rgb", str(raw / "rgb.mp4"), "--annotations", str(table),
                     "--rgb-exposure-us", str(RGB_EXPOSURE_US)]) == 0
    data = tmp_path / "all"
    assert main(["merge", str(data), *folders]) == 0
    assert DatasetFolder.open(data).subjects == ["s01", "s02", "s03"]
    capsys.readouterr()
    # what the recordings lack is refused, and a run that never started leaves no run folder behind
    for args, says in ((("train", "reconstruct", "--folds", "3", "--protocol", "interpolation"),
                        "no frames between its RGB frames to score interpolation on"),
                       (("train", "classify", "--folds", "3", "--sensor", "lr"), "no events of sensor 'lr'"),
                       (("train", "classify", "--folds", "3", "--input", "rgb", "--rgb-camera", "highspeed200"),
                        "a recording: its one RGB camera is the one that filmed it, not the synthetic highspeed200")):
        run = tmp_path / "never"
        assert main([*args, "--data", str(data), "--out", str(run), "--epochs", "1"]) == 2
        assert says in capsys.readouterr().err
        assert not run.exists()
        run.mkdir()  # a folder the user made for it stays, empty
        assert main([*args, "--data", str(data), "--out", str(run), "--epochs", "1"]) == 2
        assert run.is_dir() and not any(run.iterdir())
        run.rmdir()
    # `evface run --data` on the recordings runs what they allow and says what it left out
    out = tmp_path / "study"
    assert main(["run", "--data", str(data), "--preset", "tiny", "--out", str(out)]) == 0
    said = " ".join("".join(capsys.readouterr()).split())  # the console wraps long lines
    assert "left out (not every clip of" in said and "has lr events): events-lr" in said
    assert "interpolation on): recon-interpolation-hd" in said and "has lr events): " in said
    stages = [s["name"] for s in json.loads((out / "pipeline.json").read_text())["stages"]]
    assert sorted(stages) == ["events-hd", "recon-events-only-hd", "recon-extrapolation-hd", "rgb"]
    for arm in ("events-hd", "rgb"):  # both arms, 3 subject folds (tiny's): each subject tested by models that never saw it
        metrics = json.loads(next((out / "stages").glob(f"{arm}-*/metrics.json")).read_text())
        assert metrics["n"] == 6 and metrics["n_subjects"] == 3 and metrics["ci"]["top1"] is not None, arm
        assert json.loads(next((out / "stages").glob(f"{arm}-*/config.json")).read_text())["folds"] == 3, arm
    left_out = json.loads((out / "pipeline.json").read_text())["left_out"]
    assert any("events-lr" in entry["stages"] and "has lr events" in entry["why"] for entry in left_out)
    assert "Stages left out by evface run: events-lr" in (out / "report.html").read_text()
    # reconstruction scores the recordings against their own RGB frames
    recon = json.loads(next((out / "stages").glob("recon-extrapolation-hd-*/metrics.json")).read_text())
    assert recon["n_clips"] >= 2 and recon["grid"]["targets"] == {"truth": 0, "rgb": recon["n_clips"]}
    assert "scored against their own RGB frames" in (out / "report.html").read_text()
    assert main(["run", "--data", str(data), "--preset", "tiny", "--out", str(tmp_path / "fast"), "--highspeed"]) == 2
    assert "--highspeed" in capsys.readouterr().err and not (tmp_path / "fast").exists()


def test_an_out_inside_another_dataset_folder_is_refused(sessions, tmp_path, capsys):
    # was: merged into whole/clips/more, a dataset among another's clips (synth and synth-merge refused it)
    whole, folders = sessions
    out = whole / "clips" / "more"
    _refused(list(map(str, folders[:2])), capsys, f"{out}: inside the dataset folder {whole} (it holds dataset.json), "
             "where what this command writes would lie among the dataset's files; give OUT a folder outside it", out)
