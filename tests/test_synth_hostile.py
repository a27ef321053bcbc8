"""A hostile user's round on `evface synth`: datasets edited by hand, then resumed or extended."""

import shutil
from pathlib import Path

import pytest

from evface.datasets.synth import synthesize
from evface.errors import DatasetError

TWO = dict(preset="tiny", seed=0, subjects=1, classes=["AU4"], lighting=["bright", "dim"])

pytestmark = pytest.mark.xdist_group("synth-hostile")


@pytest.fixture(scope="module")
def two_clips(tmp_path_factory):
    """A finished 2-clip tiny dataset (s000_AU4_bright_r0, s000_AU4_dim_r0); read only."""
    return synthesize(tmp_path_factory.mktemp("two") / "data", **TWO)


def test_a_clip_copied_over_another_is_refused_on_resume(two_clips, tmp_path):
    """A clip file replaced by another clip (copied over it by hand, or one of another dataset):
    the resume kept it as the planned clip, wrote the row of the planned clip with the other
    clip's times and said "dataset ready", a dataset every reader then refused. Now one line
    naming the file and what it holds; the file and the manifest untouched."""
    out = tmp_path / "data"
    shutil.copytree(two_clips, out)
    bright, dim = out / "clips" / "s000_AU4_bright_r0.h5", out / "clips" / "s000_AU4_dim_r0.h5"
    shutil.copyfile(dim, bright)
    manifest = (out / "manifest.csv").read_bytes()
    with pytest.raises(DatasetError, match=r"s000_AU4_bright_r0\.h5: holds another clip than the s000_AU4_bright_r0 "
                                           r"this dataset plans .*clip_id 's000_AU4_dim_r0', not 's000_AU4_bright_r0'"
                                           r".*lighting 'dim', not 'bright'.*move it out"):
        synthesize(out, **TWO)
    assert bright.read_bytes() == dim.read_bytes() and (out / "manifest.csv").read_bytes() == manifest
    bright.unlink()  # as the line says: then the same command films it again
    synthesize(out, **TWO)
    assert bright.read_bytes() == (two_clips / "clips" / bright.name).read_bytes()
    assert (out / "manifest.csv").read_bytes() == (two_clips / "manifest.csv").read_bytes()


def test_faces_given_a_folder_of_documents_is_refused_in_a_short_line(tmp_path):
    """``--faces`` given a folder of hundreds of files, none a photo (a slip of the path: a folder of
    documents or code): the one error line named every file and its reason, tens of kilobytes. Now
    the first three and a count of the rest."""
    from evface.datasets.synth_plan import load_face_photos

    for i in range(200):
        (tmp_path / f"notes{i:03d}.txt").write_text("not a face")
    with pytest.raises(DatasetError) as err:
        load_face_photos(tmp_path)
    said = str(err.value)
    assert said.startswith(f"{tmp_path}: no usable face photo (notes000.txt: skipped: not an image file")
    assert "notes002.txt" in said and "notes003.txt" not in said
    assert said.endswith("; and 197 more skipped, 197 of them not image files)") and len(said) < 600


def _couple():
    """Two copies of the astronaut's face side by side, a photo of two people cheek to cheek."""
    import numpy as np
    from skimage import data

    half, pad = np.ascontiguousarray(data.astronaut()[:, 150:300]), np.full((512, 200, 3), 128, np.uint8)
    return np.concatenate([pad, half, half, pad], axis=1)


def test_a_face_photo_of_two_people_is_skipped(tmp_path):
    """``synth --faces`` given a photo of two people side by side: the larger face became the
    subject, and its clips showed the other face beside it, still while the subject's moved. Now
    skipped with one warning naming where the other face lies; the photos of one person are used."""
    import cv2
    from skimage import data

    from evface.datasets.synth_plan import load_face_photos

    cv2.imwrite(str(tmp_path / "couple.png"), _couple()[:, :, ::-1])
    cv2.imwrite(str(tmp_path / "solo.png"), data.astronaut()[:, :, ::-1])
    faces, problems = load_face_photos(tmp_path)
    assert [name for name, _ in faces] == ["photo-solo"]
    assert [(p.file, p.reason[:71]) for p in problems] == [
        (str(tmp_path / "couple.png"), "skipped: another face (100x100 px at x=225, y=64) lies within the canva")]
    assert problems[0].reason.endswith("which would show it beside this one; crop the photo to one person")


def test_faces_warns_of_a_photo_of_two_people(tmp_path):
    """``evface faces --photo couple.png`` draws the photo, as for a mirrored face, with one warning."""
    import cv2
    from typer.testing import CliRunner

    from evface.cli import app

    cv2.imwrite(str(tmp_path / "couple.png"), _couple()[:, :, ::-1])
    result = CliRunner().invoke(app, ["faces", str(tmp_path / "sheet.png"), "--seeds", "0", "--aus", "12",
                                      "--pose", "yaw=4", "--size", "32", "--photo", str(tmp_path / "couple.png")])
    assert result.exit_code == 0, result.output
    assert "couple.png: another face (100x100 px at x=225, y=64) lies within the canvas" in " ".join(result.output.split())
    assert (tmp_path / "sheet.png").is_file()


def test_toy_dataset_into_a_used_folder_gives_advice_it_can_follow(tmp_path):
    """``toy_dataset(OUT)`` where OUT holds files: the refusal said to give "--force, overwrite=True",
    neither of which ``toy_dataset`` takes (``overwrite=True`` a TypeError). Now it says to give another folder."""
    from evface.datasets.toy import toy_dataset

    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(DatasetError) as err:
        toy_dataset(tmp_path)
    assert "overwrite" not in str(err.value) and "--force" not in str(err.value)
    assert str(err.value).endswith("toy_dataset writes only a new or empty folder: give out another")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_clip_of_another_seed_under_the_planned_name_is_refused_on_resume(two_clips, tmp_path):
    """A clip of the same name from a dataset of another ``--seed`` (two builds' ``clips/`` copied
    together): kept without a word, the dataset no longer the one its seed gives. Now refused by
    the times its timeline draws (cheap: no frame rendered), the file kept."""
    other = synthesize(tmp_path / "seed1", **{**TWO, "seed": 1, "lighting": ["bright"]})
    out = tmp_path / "data"
    shutil.copytree(two_clips, out)
    bright = out / "clips" / "s000_AU4_bright_r0.h5"
    shutil.copyfile(other / "clips" / bright.name, bright)
    with pytest.raises(DatasetError, match=r"s000_AU4_bright_r0\.h5: holds another clip than the s000_AU4_bright_r0 "
                                           r"this dataset plans under that name \(onset_us \d+, not \d+.*another "
                                           r"--seed, --preset, --noise or --rgb-hd-cameras\); move it out"):
        synthesize(out, **TWO)
    assert bright.read_bytes() == (other / "clips" / bright.name).read_bytes()


def test_synth_merge_refuses_a_shard_clip_copied_over_another(tmp_path):
    """``synth-merge`` of a shard whose clip file was replaced by another clip (shard 0's copied
    over shard 1's): "merged 2 shards", and the merged dataset's manifest row contradicted its
    clip, which every reader refused. Now one line naming the file, what differs and how to film it
    again; OUT not made."""
    from evface.datasets.synth_shards import merge_shards

    shards = [synthesize(tmp_path / f"sh{i}", **TWO, shard=f"{i}/2") for i in range(2)]
    (clip0,), (clip1,) = (sorted((s / "clips").glob("*.h5")) for s in shards)
    shutil.copyfile(clip0, clip1)
    with pytest.raises(DatasetError, match=rf"{clip1.name}: holds another clip than its shard's manifest row names "
                                           r"\(clip_id 's000_AU4_bright_r0', not 's000_AU4_dim_r0'.*move it out of the "
                                           r"shard folder, then run its evface synth --shard 1/2 command again"):
        merge_shards(tmp_path / "merged", shards)
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("record, said", [
    ({"generator": "evface merge", "seed": None, "classes": {"AU4": [4]}}, "made by evface merge"),
    ({"generator": "evface import session", "seed": None}, "made by evface import session"),
    ({"toy": True, "seed": 0}, "a toy dataset of evface.datasets.toy"),
    ({"seed": 0}, "its dataset.json names no generator"),
])
def test_synth_into_a_dataset_it_did_not_make_says_so(tmp_path, record, said):
    """``evface synth OUT`` (or ``synth-merge OUT``) where OUT holds a merged, imported or toy
    dataset: "holds a dataset made with --preset None, --subjects 0, --classes None, --lighting
    None, ... other generator", options no one gave. Now what made it, and to give a new folder."""
    from evface.datasets.synth_shards import merge_shards
    from evface.io.dataset import write_dataset_json

    out = tmp_path / "data"
    write_dataset_json(out, record)
    (out / "manifest.csv").write_text("clip_id\n")
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    line = rf"^{out}: holds a dataset evface synth did not make \({said}\); give OUT a new or empty folder$"
    with pytest.raises(DatasetError, match=line):
        synthesize(out, **TWO)
    with pytest.raises(DatasetError, match=line):
        merge_shards(out, [synthesize(tmp_path / f"sh{i}", **{**TWO, "lighting": ["bright"]}, shard=f"{i}/2")
                           for i in range(2)])
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before


def test_the_astronaut_among_the_faces_of_the_paper_preset_is_one_subject(tmp_path):
    """``synth --preset paper --faces DIR`` where DIR holds scikit-image's astronaut (a common test
    photo): the preset films it as ``builtin-astronaut`` and the photo made ``photo-astronaut`` too,
    one person as two subjects, on both sides of a subject split. Now the photo is skipped with a
    warning; without the built-in subject (``tiny``) it is used."""
    import cv2
    from skimage import data

    from evface.datasets.synth_plan import get_preset, plan_subjects

    cv2.imwrite(str(tmp_path / "astronaut.png"), data.astronaut()[:, :, ::-1])
    subjects, problems = plan_subjects(get_preset("paper"), 0, 0, tmp_path)
    assert [s.name for s in subjects] == ["builtin-astronaut"]
    assert [(Path(p.file).name, p.reason[:65]) for p in problems] == [
        ("astronaut.png", "skipped: the same photo as the built-in subject builtin-astronaut")]
    assert [s.name for s in plan_subjects(get_preset("tiny"), 0, 0, tmp_path)[0]] == ["photo-astronaut"]


@pytest.mark.parametrize(("option", "said"), [
    ({"noise": "noisy"}, r"noise 'noisy', not 'typical'"),
    ({"rgb_hd_cameras": []}, r"rgb_hd_cameras \[\], not \['webcam30'\]"),
])
def test_a_clip_of_other_camera_options_under_the_planned_name_is_refused_on_resume(two_clips, tmp_path, option, said):
    """A clip of the same name from a dataset of another ``--noise`` (or ``--rgb-hd-cameras``): its
    timeline is the same, so the check of its times kept it as this dataset's, events of another
    noise level among the dataset's. Now refused by the noise level its event sensors record (the
    cameras its calibration lists), the file kept."""
    other = synthesize(tmp_path / "other", **{**TWO, "lighting": ["bright"], **option})
    out = tmp_path / "data"
    shutil.copytree(two_clips, out)
    bright = out / "clips" / "s000_AU4_bright_r0.h5"
    shutil.copyfile(other / "clips" / bright.name, bright)
    manifest = (out / "manifest.csv").read_bytes()
    with pytest.raises(DatasetError, match=rf"s000_AU4_bright_r0\.h5: holds another clip than the s000_AU4_bright_r0 "
                                           rf"this dataset plans under that name \({said}; a clip of another dataset, "
                                           r"or of another --seed, --preset, --noise or --rgb-hd-cameras\); move it out"):
        synthesize(out, **TWO)
    assert bright.read_bytes() == (other / "clips" / bright.name).read_bytes()
    assert (out / "manifest.csv").read_bytes() == manifest


def test_a_resume_draws_each_clips_timeline_once(two_clips, tmp_path, monkeypatch):
    """The check of the clips there (which to film) and the manifest rows drew each clip's timeline
    again, twice a run (0.7 ms a clip). Now once: a resume of a finished 2-clip dataset draws 2."""
    from evface.datasets import synth

    drawn = []
    real = synth.clip_timeline
    monkeypatch.setattr(synth, "clip_timeline", lambda spec, *args: drawn.append(spec.clip_id) or real(spec, *args))
    out = tmp_path / "data"
    shutil.copytree(two_clips, out)
    synthesize(out, **TWO)
    assert sorted(drawn) == ["s000_AU4_bright_r0", "s000_AU4_dim_r0"]
    assert (out / "manifest.csv").read_bytes() == (two_clips / "manifest.csv").read_bytes()
