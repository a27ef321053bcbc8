"""`evface synth --faces DIR` with the photos a researcher really has: the same photo twice, names in
other scripts or differing only in case, a photo replaced while a dataset is built in shards, a JPEG
cut short, a face at the edge of its photo, a photo of 8000x6000 pixels."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from evface.datasets.synth import differing_keys, synthesize
from evface.datasets.synth_film import subject_identity, subject_rig
from evface.datasets.synth_plan import get_preset, load_face_photos, plan_subjects
from evface.face.identity import read_photo
from evface.errors import DatasetError, FormatError

from pipe_fixtures import refused_within


def _save(path, rgb) -> None:
    assert cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))


def test_the_same_photo_twice_is_skipped_naming_the_first(tmp_path):
    # was: two subjects of one face (one person could be trained on and tested on)
    astronaut = data.astronaut()
    _save(tmp_path / "anna.png", astronaut)
    _save(tmp_path / "copy-of-anna.png", astronaut)
    _save(tmp_path / "ben.png", np.clip(astronaut.astype(int) + 8, 0, 255).astype(np.uint8))  # another exposure
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-anna", "photo-ben"]
    assert [(p.file, p.reason) for p in problems] == [
        (str(tmp_path / "copy-of-anna.png"), "skipped: the same photo as anna.png (one person would be two subjects)")]


@pytest.mark.parametrize("orientation", [3, 6, 2])  # a half turn, a quarter turn, mirrored
def test_a_copy_turned_by_its_exif_orientation_is_the_same_photo(tmp_path, orientation):
    """A copy whose EXIF orientation a viewer changed (the same stored pixels, shown turned) was a
    second subject of one face: digests compared the pixels upright only."""
    from PIL import Image  # lazy: only the EXIF tests write an orientation

    Image.fromarray(data.astronaut()).save(tmp_path / "anna.png")
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(data.astronaut()).save(tmp_path / "turned-anna.png", exif=exif.tobytes())
    assert not np.array_equal(read_photo(tmp_path / "turned-anna.png"), data.astronaut())  # OpenCV turns it
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-anna"]
    assert [(p.file, p.reason) for p in problems] == [
        (str(tmp_path / "turned-anna.png"), "skipped: the same photo as anna.png, turned or mirrored (its EXIF "
                                            "orientation) (one person would be two subjects)")]


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_a_photo_is_read_upright_whatever_its_exif_orientation(tmp_path, suffix):
    """A TIFF turned a quarter turn (orientation 5 to 8) was refused as "unreadable or corrupt image
    (... can't read data ...)", skipped by `synth --faces`: OpenCV's imread discarded what its TIFF
    decoder had turned. Each format and orientation reads as Pillow shows it upright."""
    from PIL import Image, ImageOps  # lazy: only the EXIF tests write an orientation

    rows, cols = np.mgrid[0:48, 0:64]
    stored = np.dstack([rows * 5, cols * 4, (rows + cols) * 2]).astype(np.uint8)  # no two corners alike
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"turned-{orientation}{suffix}"
        Image.fromarray(stored).save(path, exif=exif, lossless=True, quality=95)
        with Image.open(path) as image:
            upright = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        read = read_photo(path)
        assert read.shape == upright.shape == ((64, 48, 3) if orientation > 4 else (48, 64, 3)), orientation
        assert np.abs(read.astype(int) - upright).max() <= (8 if suffix == ".jpg" else 0), orientation


def test_names_in_other_scripts_are_kept_apart_and_case_twins_skipped(tmp_path):
    # was: both Chinese names became "photo-face" (the second skipped); Anna and anna were both filmed,
    # then the manifest was refused for clip ids that differ only in case
    astronaut = data.astronaut()
    _save(tmp_path / "张伟.png", astronaut)
    _save(tmp_path / "李娜.png", (astronaut * 0.7).astype(np.uint8))  # another photo (a mirror image is the same one)
    _save(tmp_path / "Anna.png", (astronaut * 0.8).astype(np.uint8))
    _save(tmp_path / "anna.jpg", (astronaut * 0.9).astype(np.uint8))
    identities, problems = load_face_photos(tmp_path)
    names = [name for name, _ in identities]
    assert len(names) == 3 and names[0] == "photo-Anna"
    assert all(name.startswith("photo-face-") for name in names[1:]) and names[1] != names[2]
    assert [p.file for p in problems] == [str(tmp_path / "anna.jpg")]
    assert "'photo-anna' is taken by Anna.png" in problems[0].reason and "rename" in problems[0].reason


def test_a_photo_replaced_during_a_build_is_refused(tmp_path):
    # was: a shard (or a resumed run) filmed with the new photo, merged with the old one's clips without a word
    faces = tmp_path / "faces"
    faces.mkdir()
    _save(faces / "x.png", data.astronaut())
    options = dict(preset="tiny", subjects=0, classes=["AU4"], lighting=["bright", "dim"], faces_dir=faces)
    synthesize(tmp_path / "s0", shard="0/2", **options)
    subjects, _ = plan_subjects(get_preset("tiny"), 0, 0, faces)
    _save(faces / "x.png", data.astronaut()[:, ::-1])
    with pytest.raises(DatasetError, match="made with other subjects"):
        synthesize(tmp_path / "s0", shard="0/2", **options)
    with pytest.raises(DatasetError, match="x.png: face photo of photo-x changed since this dataset was planned"):
        subject_identity(subjects[0])


def test_a_record_from_before_photo_digests_is_the_same_dataset():
    old = {"subjects": [{"name": "s000", "index": 0, "kind": "procedural", "seed": 5, "photo": None}]}
    new = {"subjects": [{**old["subjects"][0], "photo_sha256": None}]}
    assert differing_keys(old, new, ("subjects",)) == []
    assert differing_keys(old, {"subjects": [{**new["subjects"][0], "seed": 6}]}, ("subjects",)) == ["subjects"]


def test_a_folder_of_subfolders_says_they_are_not_read(tmp_path):
    # was: "no usable face photo (folder is empty)" for photos sorted into one folder per person
    (tmp_path / "alice").mkdir()
    _save(tmp_path / "alice" / "1.png", data.astronaut())
    with pytest.raises(DatasetError, match=r"it holds only subfolders and hidden files, which are not read: alice/\)"):
        load_face_photos(tmp_path)


def test_a_large_photo_is_blurred_only_where_the_texture_samples_it(monkeypatch):
    # was: the whole photo converted and blurred for each renderer: an 8000x6000 photo took 54 s and
    # 2.2 GB for one tiny clip (now 18 s, 0.95 GB, the same bytes)
    from evface.face import photo_texture
    from evface.face.canvas import MARGIN_FW, canvas_geometry
    from evface.face.identity import photo_identity

    photo = np.full((1500, 2000, 3), 120, np.uint8)
    photo[200:1224, 500:1524] = cv2.resize(data.astronaut(), (1024, 1024))
    identity = photo_identity(photo, "large")
    fw, centre = canvas_geometry((160, 120))
    margin = int(np.ceil(MARGIN_FW * fw))
    size = (160 + 2 * margin, 120 + 2 * margin)
    blurred = []
    blur = cv2.GaussianBlur
    monkeypatch.setattr(photo_texture.cv2, "GaussianBlur", lambda img, *a: blurred.append(img.shape) or blur(img, *a))
    texture = photo_texture.photo_texture(identity, size, margin, fw, centre)
    monkeypatch.undo()
    assert blurred and blurred[0][0] * blurred[0][1] < photo.shape[0] * photo.shape[1] / 2
    # the texture of the whole photo blurred, as before
    T = np.array([[1 / fw, 0, -(margin + centre[0]) / fw], [0, 1 / fw, -(margin + centre[1]) / fw], [0, 0, 1]])
    M = identity.photo_from_face @ T
    lin = cv2.GaussianBlur((photo.astype(np.float32) / 255) ** 2.2, (0, 0), 0.45 * np.sqrt(abs(np.linalg.det(M[:, :2]))))
    whole = cv2.warpAffine(lin, M, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)
    assert np.array_equal(texture[..., :3], whole)


def test_a_photo_cut_short_is_skipped_and_its_decoders_lines_go_into_the_warning(tmp_path, capfd):
    # was: a JPEG cut short used as a face (OpenCV fills its missing rows grey), with libjpeg's "Premature
    # end of JPEG file" on standard error, and libpng's "Read Error" printed beside evface's warning
    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    for suffix in (".jpg", ".png"):
        whole = cv2.imencode(suffix, astronaut)[1].tobytes()
        (tmp_path / f"cut{suffix}").write_bytes(whole[: len(whole) * 2 // 3])
    _save(tmp_path / "whole.png", data.astronaut())
    capfd.readouterr()
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-whole"]
    assert [p.file for p in problems] == [str(tmp_path / "cut.jpg"), str(tmp_path / "cut.png")]
    assert problems[0].reason == "skipped: corrupt or cut short (Premature end of JPEG file)"  # libjpeg's words
    assert problems[1].reason == "skipped: unreadable or corrupt image (libpng error: Read Error)"
    assert capfd.readouterr().err == ""


def test_a_face_at_the_edge_of_its_photo_is_skipped_not_filmed_beside_its_mirror_image(tmp_path):
    # was: filmed with a mirrored second face beside it (the renderer reflects the photo at its edges)
    _save(tmp_path / "centred.png", data.astronaut())
    _save(tmp_path / "edge.png", data.astronaut()[:, 150:])
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-centred"]
    assert [p.file for p in problems] == [str(tmp_path / "edge.png")]
    assert problems[0].reason.startswith("skipped: the face lies 13 px inside the photo's left edge, and the canvas "
                                         "reaches 65 px beyond it, where the photo is drawn mirrored: a second face")


def test_a_progress_bar_drawn_while_a_photo_is_read_stays_out_of_its_reason(tmp_path, monkeypatch):
    # a bar's refresh thread may draw while the decoders' lines are kept: its frame is no reason
    from evface.face import identity

    monkeypatch.chdir(tmp_path)
    Path("x.png").write_bytes(b"a damaged PNG")  # a photo that is not there is named so, unread

    def imread(path, flags):
        os.write(2, b"\r\x1b[2Ksynth ---- 1/4\nlibpng error: Read Error\n")

    monkeypatch.setattr(identity.cv2, "imread", imread)
    with pytest.raises(FormatError, match=r"^x.png: unreadable or corrupt image \(libpng error: Read Error\)$"):
        identity.read_photo("x.png")


def test_shards_of_one_photo_folder_given_by_other_paths_merge(tmp_path, monkeypatch):
    # was: "shard made with other subjects" for `--faces photos` run in one folder and
    # `--faces /abs/photos` (another node's working folder, a shard run again from elsewhere)
    from evface.datasets.synth_shards import merge_shards

    faces = tmp_path / "faces"
    faces.mkdir()
    _save(faces / "x.png", data.astronaut())
    options = dict(preset="tiny", subjects=0, classes=["AU4"], lighting=["bright", "dim"])
    monkeypatch.chdir(tmp_path)
    synthesize(tmp_path / "s0", shard="0/2", faces_dir="faces", **options)
    synthesize(tmp_path / "s1", shard="1/2", faces_dir=faces, **options)
    merged = merge_shards(tmp_path / "merged", [tmp_path / "s0", tmp_path / "s1"])
    assert sorted(p.name for p in (merged / "clips").iterdir()) == ["photo-x_AU4_bright_r0.h5", "photo-x_AU4_dim_r0.h5"]


class _Elsewhere:
    """An executor whose jobs run in another working folder, as on a Ray node started there."""

    def __init__(self, folder) -> None:
        self.folder = folder

    def run(self, jobs, on_done) -> None:
        for job in jobs:
            with contextlib.chdir(self.folder):
                result = job.fn(*job.args)
            on_done(job, result)


def test_photos_given_by_a_relative_path_are_read_by_workers_started_elsewhere(tmp_path, monkeypatch):
    # was: dataset.json and every job held "faces/x.png", so a Ray task on a node started in another
    # folder stopped the run: "faces/x.png: unreadable or corrupt image (... can't open/read file ...)"
    subject_rig.cache_clear()  # a rig of another test's "faces/x.png" would film without reading it
    (tmp_path / "faces").mkdir()
    (tmp_path / "node").mkdir()
    _save(tmp_path / "faces" / "x.png", data.astronaut())
    monkeypatch.chdir(tmp_path)
    root = synthesize("ds", preset="tiny", subjects=0, classes=["AU4"], lighting=["bright"], faces_dir="faces",
                      executor=_Elsewhere(tmp_path / "node"))
    assert [p.name for p in (root / "clips").iterdir()] == ["photo-x_AU4_bright_r0.h5"]
    info = json.loads((root / "dataset.json").read_text())
    assert [s["photo"] for s in info["subjects"]] == [str(tmp_path / "faces" / "x.png")]
    info["subjects"][0]["photo"] = "faces/x.png"  # as earlier versions recorded it: the same dataset, resumed
    (root / "dataset.json").write_text(json.dumps(info))
    assert synthesize("ds", preset="tiny", subjects=0, classes=["AU4"], lighting=["bright"], faces_dir="faces") == root


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_photo_past_pillows_decompression_bomb_limit_is_read(tmp_path, monkeypatch, suffix):
    # was: a photo of over 179 million pixels (a 200-megapixel phone's 16320x12240) skipped as "corrupt or cut short
    # (Image size ... could be decompression bomb DOS attack.)", after OpenCV had decoded it; Pillow's limit stands
    # lowered here for the astronaut's 262,144 pixels
    from PIL import Image  # lazy: only this test lowers its limit

    _save(tmp_path / f"anna{suffix}", data.astronaut())
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50_000)
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-anna"] and problems == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_name_that_is_no_regular_file_is_skipped(tmp_path):
    # was: a named pipe called pipe.jpg in --faces: OpenCV waited for its writer, synth without end
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "gone.png").symlink_to(tmp_path / "nowhere.png")
    said = refused_within(lambda: load_face_photos(tmp_path), tmp_path / "pipe.jpg", DatasetError, seconds=30)
    skipped = "skipped: not a regular file (a named pipe, a device, or a link to nothing)"
    assert said == [f"{tmp_path}: no usable face photo (gone.png: {skipped}; pipe.jpg: {skipped})"]


def test_a_gif_a_tiny_photo_and_a_transparent_one_are_told_apart(tmp_path):
    # was: a GIF "not an image file", a 20x20 photo "no frontal face found", and an RGBA photo's colours
    # under its transparent pixels (green here) filmed as the face's surroundings
    astronaut = data.astronaut()
    assert cv2.imwrite(str(tmp_path / "gif.gif"), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    _save(tmp_path / "tiny.png", astronaut[:20, :20])
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[:, :60] = (0, 255, 0, 0)
    assert cv2.imwrite(str(tmp_path / "rgba.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    identities, problems = load_face_photos(tmp_path)
    assert [name for name, _ in identities] == ["photo-gif", "photo-rgba"]
    assert [(p.file, p.reason) for p in problems] == [
        (str(tmp_path / "tiny.png"), "skipped: no face found (the image is 20x20 px, too small for a face: the Haar "
                                     "cascade finds faces of 24x24 px and larger; use a larger photo)")]
    photo = identities[1][1].photo
    assert (photo[:, :60] == 128).all() and np.array_equal(photo[:, 60:], astronaut[:, 60:])


def test_a_transparent_photo_turned_by_its_exif_orientation_is_skipped(tmp_path):
    # OpenCV turns the colours upright but reads the alpha unturned: laid over grey, they would not match
    rgba = np.dstack([data.astronaut(), np.full((512, 512), 255, np.uint8)])
    rgba[:, :60, 3] = 0
    from PIL import Image  # lazy: only this test writes an EXIF orientation

    exif = Image.Exif()
    exif[0x0112] = 6  # turned 90 degrees
    Image.fromarray(rgba).save(tmp_path / "turned.png", exif=exif.tobytes())
    with pytest.raises(FormatError, match="turned.png: has transparent pixels that evface cannot lay over a "
                                          "background .*; save it without transparency$"):
        read_photo(tmp_path / "turned.png")


def test_evface_synth_on_a_disk_without_room_stops_after_its_first_clip(tmp_path, monkeypatch, capsys):
    """Was: no check, so ``evface synth --preset paper`` (about 95 GB) on a smaller disk ran for hours
    and stopped at the first clip that could not be written. Now the first clip tells what the rest
    takes, and a disk without the room is one line naming the sizes; the clip written stays for a resume."""
    import shutil  # lazy: this test only

    from evface.cli import main  # lazy: as above

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12, 2_000_000))
    out = tmp_path / "out"
    assert main(["synth", str(out), "--preset", "tiny", "--subjects", "2", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    clips = list((out / "clips").glob("*.h5"))
    assert len(clips) == 1 and not (out / "manifest.csv").exists()
    assert err.startswith(f"error: {out}: the 7 clips left to film take about ") and err.count("\n") == 1, err
    assert err.rstrip().endswith("and its disk has 2.0 MB free; free space, or build the dataset on a larger disk "
                                 "(the clips written are kept: the same command resumes)")
