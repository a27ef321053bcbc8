"""`evface import corpus` on a generated mini corpus in the CASME II layout (synthetic faces)."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import warnings

import cv2
import numpy as np
import pytest

from evface.cli import main
from evface.io.clip_reader import read_clip
from evface.io.dataset import DatasetFolder
from evface.datasets.importers import corpus as corpus_module
from evface.datasets.importers.corpus import CorpusOptions, import_corpus, resample_rgb
from evface.datasets.importers.corpus_frames import read_video_clip
from evface.datasets.importers.corpus_options import corpus_sensor
from evface.datasets.importers.corpus_table import read_corpus_table, subject_folder
from evface.datasets.importers.registration import apply_homography
from evface.errors import DatasetError, EvfaceWarning, FormatError, ParameterError
from evface.sim.frame_folder import numbered_frames
from evface.sim.video_read import video_info

from picture_fixtures import DAMAGED_SCAN_SAYS, jpeg_damaged_in_its_scan, jpeg_with_damaged_exif

FPS = 200.0
N_FRAMES = 30
TABLE = "Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Action Units,Estimated Emotion\n"


def make_corpus(root, size=(96, 96)):
    """Two subjects, three clips of 30 frames at 200 fps: AU12 / AU1+2 / AU4 rising then falling,
    with a small head movement along (as in real footage)."""
    from evface.face.head_pose import FacePose
    from evface.face.identity import procedural_identity
    from evface.face.render import FaceRenderer

    clips = [("1", "EP01_01", 12, (12,), "happiness"), ("1", "EP02_03f", 5, (1, 2), "surprise"),
             ("02", "EP07_01", 101, (4,), "disgust")]
    lines = [TABLE]
    for subject, name, first, aus, emotion in clips:
        renderer = FaceRenderer(procedural_identity(int(subject)), size=size)
        folder = root / f"sub{int(subject):02d}" / name
        folder.mkdir(parents=True)
        for k in range(N_FRAMES):
            a = np.sin(np.pi * k / (N_FRAMES - 1))
            img = renderer.render({au: a for au in aus}, FacePose(dx=0.04 * a, dy=0.02 * a))
            rgb = np.clip(255 * img ** (1 / 2.2), 0, 255).astype(np.uint8)
            cv2.imwrite(str(folder / f"img{first + k}.jpg"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        au_text = "+".join(str(a) for a in aus)
        lines.append(f"{subject},{name},{first + 3},{first + 15},{first + 27},{au_text},{emotion}\n")
    (root / "table.csv").write_text("".join(lines))
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("casme"))


OPTS = dict(sensors=("davis346:40x32", "evk4:48x27"), seed=1, upsample=2)


@pytest.fixture(scope="module")
def imported(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "ds"
    report = import_corpus(corpus, corpus / "table.csv", out, CorpusOptions(**OPTS))
    return out, report


def test_corpus_import_writes_dataset(imported):
    out, report = imported
    ds = DatasetFolder.open(out)
    assert [r["clip_id"] for r in ds.rows] == ["sub01_EP01_01", "sub01_EP02_03f", "sub02_EP07_01"]
    assert ds.subjects == ["sub01", "sub02"] and ds.labels == ["AU1+2", "AU12", "AU4"]
    row = ds.rows[0]
    assert (row["onset_us"], row["apex_us"], row["offset_us"], row["duration_us"]) == (15_000, 75_000, 135_000, 150_000)
    clip = read_clip(ds.clip_path(row))
    assert set(clip.events) == {"lr", "hd"} and clip.sensors["lr"].size == (40, 32) and clip.sensors["hd"].model == "evk4"
    for name in ("lr", "hd"):
        ev = clip.events[name]
        assert ev.size > 100 and (ev["p"] == 1).any() and (ev["p"] == -1).any()
        assert 2_500 <= ev["t"].min() and ev["t"].max() < 150_000  # frames seen at mid-exposure: 2.5 ms after their start
    frames = clip.frames["rgb"]
    assert frames.data.shape == (N_FRAMES, 96, 96, 3) and frames.fps == FPS and frames.t_us[1] == 5000
    h = np.array(clip.calibration["homography"]["lr"])
    np.testing.assert_allclose(apply_homography(h, [[47.5, 47.5]]), [[19.5, 15.5]], atol=1e-9)
    assert clip.extra["emotion"] == "happiness" and clip.extra["first_frame"] == 12


def test_info_of_an_imported_clip_shows_each_cameras_face_box(imported):
    # `evface info CLIP` showed no face box; an imported clip's are in the RGB frames and mapped to each sensor
    from evface.commands.io import face_boxes
    from evface.inputs.clip_view import face_box
    from evface.io.file_info import file_info

    ds = DatasetFolder.open(imported[0])
    path = ds.clip_path(ds.rows[0])
    clip, shown = read_clip(path), face_boxes(file_info(path))
    assert set(shown) == {"rgb", "lr", "hd"}
    for camera, text in shown.items():
        x, y, w, h = face_box(clip, camera)
        assert text.startswith(f"x {x}, y {y}, {w}x{h} px in its "), text


def test_events_follow_the_expression(imported):
    """More events while the AU moves (rise and fall) than the neutral start would give."""
    out, _ = imported
    clip = read_clip(out / "clips" / "sub01_EP01_01.h5")
    t = clip.events["lr"]["t"]
    assert t.size > 0 and np.any(t > 50_000) and np.any(t < 100_000)


def test_same_seed_same_events_and_resume(corpus, imported, tmp_path):
    """A killed run leaves OUT.partial with finished clips; the rerun keeps them and simulates the
    rest, identical to an uninterrupted run with the same seed."""
    import json
    import shutil

    out, _ = imported
    partial = tmp_path / "ds.partial"
    (partial / "clips").mkdir(parents=True)
    shutil.copy(out / "clips" / "sub01_EP01_01.h5", partial / "clips" / "sub01_EP01_01.h5")
    stamp = {"root": str(corpus.resolve()), "table": str((corpus / "table.csv").resolve()),
             **{k: v for k, v in CorpusOptions(**OPTS).__dict__.items() if k != "overwrite"},
             "rows": corpus_module._rows_key(read_corpus_table(corpus / "table.csv")),
             "sources": {"sub01_EP01_01": corpus_module._source_key(numbered_frames(corpus / "sub01" / "EP01_01"))}}
    (partial / "import.json").write_text(json.dumps(stamp))
    (partial / "clips" / "sub02_EP07_01.h5.tmp").write_bytes(b"half a clip")
    import_corpus(corpus, corpus / "table.csv", tmp_path / "ds", CorpusOptions(**OPTS))
    assert not partial.exists() and sorted(p.name for p in (tmp_path / "ds" / "clips").iterdir()) == [
        "sub01_EP01_01.h5", "sub01_EP02_03f.h5", "sub02_EP07_01.h5"]
    for cid in ("sub01_EP02_03f", "sub02_EP07_01"):
        a = read_clip(out / "clips" / f"{cid}.h5")
        b = read_clip(tmp_path / "ds" / "clips" / f"{cid}.h5")
        for name in ("lr", "hd"):
            np.testing.assert_array_equal(a.events[name], b.events[name])


@pytest.mark.parametrize("stamp", ['{"root": "/', "[]"], ids=["cut", "a-list"])
def test_a_partial_import_whose_record_is_damaged_is_made_afresh(corpus, imported, tmp_path, stamp):
    """``OUT.partial/import.json`` cut short (a disk that filled) or not an object stopped the next
    import with an internal JSONDecodeError / TypeError, exit 1; the partial import is now made
    afresh, as for other settings, and gives the same clips."""
    out, _ = imported
    partial = tmp_path / "ds.partial"
    (partial / "clips").mkdir(parents=True)
    shutil.copy(out / "clips" / "sub01_EP01_01.h5", partial / "clips" / "sub01_EP01_01.h5")
    (partial / "import.json").write_text(stamp)
    import_corpus(corpus, corpus / "table.csv", tmp_path / "ds", CorpusOptions(**OPTS))
    assert not partial.exists()
    for path in sorted((out / "clips").iterdir()):
        np.testing.assert_array_equal(read_clip(path).events["lr"], read_clip(tmp_path / "ds" / "clips" / path.name).events["lr"])


def _clip_writes_stopped_at_the_second(monkeypatch) -> list[str]:
    """The file names of the clips ``import_corpus`` writes from now on, in order; the write that
    makes the list two long is a KeyboardInterrupt (Ctrl-C) instead (clear the list to stop again)."""
    written, write = [], corpus_module.write_clip

    def stop_at_the_second(path, clip):
        if written.append(path.name) or len(written) == 2:
            raise KeyboardInterrupt
        write(path, clip)

    monkeypatch.setattr(corpus_module, "write_clip", stop_at_the_second)
    return written


def test_a_resume_after_the_table_changed_converts_the_changed_rows_again(tmp_path, monkeypatch):
    """An import stopped after its first clip, resumed after that row's AUs and window changed in
    the table, kept the old clip (old label, frames and times) beside the new manifest row and
    published the dataset, exit 0; opening it then failed ("label 'AU12' contradicts its clip").
    A partial import is now kept only for the same rows; the same table still resumes."""
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    for name in ("EP01.avi", "EP02.avi"):
        writer = cv2.VideoWriter(str(root / "sub01" / name), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
        for k in range(40):
            writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
        writer.release()
    table = tmp_path / "t.csv"
    options = CorpusOptions(sensors=("davis346:16x12",), upsample=1, face_box=(20, 20, 56, 56))
    written = _clip_writes_stopped_at_the_second(monkeypatch)
    for rows in ("1,EP01,3,5,10,4,\n1,EP02,20,25,30,12,\n", "1,EP01,20,22,25,12,\n1,EP02,20,25,30,12,\n"):
        table.write_text(TABLE + rows)
        written.clear()
        with pytest.raises(KeyboardInterrupt):
            import_corpus(root, table, tmp_path / "ds", options)
        assert written == ["sub01_EP01.h5", "sub01_EP02.h5"]  # was: [sub01_EP02.h5] the second time, EP01's kept
    written.clear()
    import_corpus(root, table, tmp_path / "ds", options)  # the same table: resumed
    assert written == ["sub01_EP02.h5"]
    ds = DatasetFolder.open(tmp_path / "ds")
    assert [(r["label"], r["onset_us"]) for r in ds.rows] == [("AU12", 633_333), ("AU12", 633_333)]
    assert read_clip(ds.clip_path(ds.rows[0])).label == "AU12"


def _gray_video(path, level, n=40):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    for _ in range(n):
        writer.write(np.full((96, 96, 3), level, np.uint8))
    writer.release()


def _gray_frames(folder, level, n=12):
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(1, n + 1):
        cv2.imwrite(str(folder / f"img{k}.png"), np.full((96, 96, 3), level, np.uint8))


def test_a_resume_after_a_source_was_replaced_converts_its_clip_again(tmp_path, monkeypatch):
    """An import stopped after two clips, resumed after the first clip's video and the second's
    frame folder were replaced by others under the same names: both finished clips of the old
    sources were kept and published, exit 0. Each finished clip is now kept only while its video's
    or frame files' sizes and modification times are those recorded (import.json); the rest resume."""
    root = tmp_path / "c"
    _gray_video(root / "sub01" / "EP01.avi", 40)
    _gray_frames(root / "sub01" / "EP02", 40)
    _gray_video(root / "sub01" / "EP03.avi", 40)
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01,3,5,10,4,\n1,EP02,2,5,10,4,\n1,EP03,3,5,10,4,\n")
    options = CorpusOptions(sensors=("davis346:16x12",), upsample=1, face_box=(20, 20, 56, 56))
    written, write, stop = [], corpus_module.write_clip, [True]

    def stop_at_the_third(path, clip):
        if written.append(path.name) or stop[0] and len(written) == 3:
            raise KeyboardInterrupt
        write(path, clip)

    monkeypatch.setattr(corpus_module, "write_clip", stop_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        import_corpus(root, table, tmp_path / "ds", options)
    _gray_video(root / "sub01" / "EP01.avi", 200)
    shutil.rmtree(root / "sub01" / "EP02")
    _gray_frames(root / "sub01" / "EP02", 200)
    written.clear()
    stop[0] = False
    import_corpus(root, table, tmp_path / "ds", options)
    assert written == ["sub01_EP01.h5", "sub01_EP02.h5", "sub01_EP03.h5"]  # was: [sub01_EP03.h5], the old clips kept
    ds = DatasetFolder.open(tmp_path / "ds")
    levels = [int(np.median(read_clip(ds.clip_path(row)).frames["rgb"].data)) for row in ds.rows]
    assert levels[0] > 150 and levels[1] > 150 and levels[2] < 100


def test_a_resume_keeps_the_clips_of_unchanged_sources(tmp_path, monkeypatch):
    """The same corpus resumed converts only the clips not yet written."""
    root = tmp_path / "c"
    _gray_video(root / "sub01" / "EP01.avi", 40)
    _gray_frames(root / "sub01" / "EP02", 40)
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01,3,5,10,4,\n1,EP02,2,5,10,4,\n")
    options = CorpusOptions(sensors=("davis346:16x12",), upsample=1, face_box=(20, 20, 56, 56))
    written = _clip_writes_stopped_at_the_second(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        import_corpus(root, table, tmp_path / "ds", options)
    written.clear()
    import_corpus(root, table, tmp_path / "ds", options)
    assert written == ["sub01_EP02.h5"] and not (tmp_path / "ds.partial").exists()


def test_rgb_resampled_to_30fps_and_emotion_labels(corpus, tmp_path):
    import_corpus(corpus, corpus / "table.csv", tmp_path / "ds",
                  CorpusOptions(sensors=("davis346:32x24",), rgb_fps=30.0, label="emotion", upsample=2))
    ds = DatasetFolder.open(tmp_path / "ds")
    assert ds.labels == ["disgust", "happiness", "surprise"]
    clip = read_clip(ds.clip_path(ds.rows[0]))
    frames = clip.frames["rgb"]
    assert frames.fps == 30.0 and frames.data.shape[0] == 4 and frames.t_us.tolist() == [0, 33333, 66667, 100000]
    assert set(clip.events) == {"lr"} and clip.sensors["lr"].params["substeps"] == 2


def test_helpers():
    assert CorpusOptions().substeps == 5 and CorpusOptions(fps=1000.0).substeps == 1
    name, spec = corpus_sensor("evk4:64x36")
    assert (name, spec.sensor.name, spec.size) == ("hd", "evk4", (64, 36)) and corpus_sensor("davis346")[0] == "lr"
    rgb = np.stack([np.full((2, 2, 3), v, np.uint8) for v in range(0, 120, 10)])  # 12 frames at 120 fps
    data, t, exp = resample_rgb(rgb, 120.0, 30.0)
    assert data[:, 0, 0, 0].tolist() == [15, 55, 95] and t.tolist() == [0, 33333, 66667] and exp == 33333


def test_fitting_size_of_a_bare_size_is_refused_naming_it():
    """A spec of a bare ``WxH`` names no sensor to put before the window's size: was an
    AttributeError ('NoneType' object has no attribute 'name')."""
    from evface.sim.sensors import parse_sensor

    assert corpus_module.fitting_size(parse_sensor("evk4:1280x720"), (280, 340)) == "evk4:593x720"
    with pytest.raises(ParameterError, match=r"^fitting_size: spec 64x48 is a bare size, which names no sensor; "
                                             r"give a named sensor's spec \(NAME:WxH\)$"):
        corpus_module.fitting_size(parse_sensor("64x48"), (280, 340))


# ----------------------------------------------------------------------------- error paths


def copy_corpus(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_a_semicolon_table_with_a_byte_order_mark_reads(tmp_path):
    (tmp_path / "comma.csv").write_text(TABLE + "1,EP,10,15,20,4,\n")
    (tmp_path / "sheet.csv").write_bytes(b"\xef\xbb\xbf" + (TABLE + "1,EP,10,15,20,4,\n").replace(",", ";").encode())
    assert read_corpus_table(tmp_path / "sheet.csv") == read_corpus_table(tmp_path / "comma.csv")


def test_table_errors(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Subject,Filename,OnsetFrame,ApexFrame\n1,EP,1,2\n")
    with pytest.raises(DatasetError, match=r"missing columns \['Action Units', 'OffsetFrame'\]"):
        read_corpus_table(p)
    for cell in ("x", "inf", "12.5", "9" * 23):  # inf: OverflowError before (exit 1); 12.5: read as 12
        p.write_text(TABLE + f"1,EP,10,{cell},20,4,\n")
        with pytest.raises(DatasetError, match=f"line 2: apex frame must be a frame number, got '{cell}'"):
            read_corpus_table(p)
    p.write_text(TABLE + "1,EP,10,15,20," + "9" * 5000 + ",\n")  # more digits than int() reads: ValueError before
    with pytest.raises(DatasetError, match=r"t\.csv: line 2: action unit 9{5000} in '9{5000}' is not a FACS code"):
        read_corpus_table(p)
    p.write_text(TABLE + "9" * 5000 + ",EP,10,15,20,4,\n")  # a subject no number: ValueError before (exit 1)
    assert subject_folder(read_corpus_table(p)[0].subject) == "sub" + "9" * 5000
    p.write_text(TABLE + "1,EP,10.0,15,20,4,\n")  # a whole number as a spreadsheet may save it
    assert read_corpus_table(p)[0].onset == 10
    p.write_text(TABLE + "1,EP,10,30,20,4,\n")
    with pytest.raises(DatasetError, match="line 2: frames must satisfy"):
        read_corpus_table(p)
    p.write_text(TABLE + "1,EP,10,/,20,4+L10,\n")
    (row,) = read_corpus_table(p)
    assert row.apex is None and row.aus == (4, 10)
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    with pytest.raises(DatasetError, match="spreadsheets"):
        read_corpus_table(tmp_path / "t.xlsx")


def test_empty_rows_and_a_column_named_twice(tmp_path):
    """Rows of bare delimiters (a spreadsheet's formatted empty rows) are skipped like blank lines,
    and errors name the line in the file (was: "line 3: onset frame must be a frame number, got ''",
    and after a blank line the line before the bad row); a header naming a column twice
    (``OnsetFrame`` and ``Onset Frame``) is refused (was: the last one's cells read without a word)."""
    p = tmp_path / "t.csv"
    p.write_text(TABLE + "1,EP,10,15,20,4,\n,,,,,,\n\n1,EP2,10,x,20,4,\n")
    with pytest.raises(DatasetError, match="t.csv: line 5: apex frame must be a frame number, got 'x'"):
        read_corpus_table(p)
    p.write_text(TABLE + "1,EP,10,15,20,4,\n,,,,,,\n\n1,EP2,10,15,20,4,\n,,,,,,\n")
    assert [(r.filename, r.line) for r in read_corpus_table(p)] == [("EP", 2), ("EP2", 5)]
    p.write_text("Subject,Filename,OnsetFrame,Onset Frame,ApexFrame,OffsetFrame,Action Units\n1,EP,10,12,15,20,4\n")
    with pytest.raises(DatasetError, match="t.csv: the header names column 'onsetframe' twice; remove or rename one"):
        read_corpus_table(p)


def test_a_corpus_row_with_cells_past_the_header_is_refused(corpus, tmp_path, capsys):
    """An unquoted AU list ``4,7`` split the row: AU 4 imported, the emotion '7' and the real one
    dropped without a word; now ``import corpus`` refuses it naming the line and the cells (exit 2),
    before any clip is converted. Empty cells past the header (a spreadsheet's export) pass."""
    p = tmp_path / "t.csv"
    p.write_text(TABLE + "1,EP,10,15,20,4+7,happiness\n1,EP2,10,15,20,4,7,disgust\n")
    assert main(["import", "corpus", str(corpus), str(p), str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {p}: line 3: 8 cells, but the header names 7 columns (cell 8: 'disgust'); a comma inside a cell "
        "splits it (an AU list 1,2): join the AUs with '+' (1+2) or quote the cell, or name the column in the header")
    assert not (tmp_path / "out").exists()
    p.write_text(TABLE + "1,EP,10,15,20,4+7,happiness,,\n")
    assert [(r.aus, r.emotion) for r in read_corpus_table(p)] == [((4, 7), "happiness")]


def test_a_corpus_table_in_unicode_text_with_a_separator_line_or_in_latin1(tmp_path):
    """Excel's "Unicode text" (UTF-16, tabs) with its ``sep=`` line is read as the comma table (was:
    "not a readable CSV file ('utf-8' codec can't decode byte 0xff ..."); a Latin-1 table says to
    save it as UTF-8."""
    text = TABLE + "1,EP,10,15,20,4,happiness\n"
    (tmp_path / "comma.csv").write_text(text)
    (tmp_path / "t.txt").write_bytes(("sep=\t\n" + text.replace(",", "\t")).encode("utf-16"))
    assert [r.line for r in read_corpus_table(tmp_path / "t.txt")] == [3]
    assert [(r.filename, r.emotion) for r in read_corpus_table(tmp_path / "t.txt")] == [("EP", "happiness")]
    (tmp_path / "t.csv").write_bytes(text.replace("happiness", "fröhlich").encode("latin-1"))
    with pytest.raises(DatasetError, match=r"t\.csv: not UTF-8 text \(byte 0xf6 on line 2: .*save it as UTF-8"):
        read_corpus_table(tmp_path / "t.csv")


@pytest.mark.parametrize("subject, filename, says", [
    ("1", "../../escaped/EP01", "Filename '../../escaped/EP01'"),
    ("1", "EP01/../EP02", "Filename 'EP01/../EP02'"),
    ("01/../02", "EP01", "Subject '01/../02'"),  # the cell as written (was: 'sub01/../02')
])
def test_a_path_in_subject_or_filename_is_refused(tmp_path, subject, filename, says):
    """The two columns name a folder under ROOT and the clip's file under OUT: a path there would
    read or write outside them (a hostile table wrote clips over files outside OUT)."""
    p = tmp_path / "t.csv"
    p.write_text(TABLE + f"{subject},{filename},10,15,20,4,\n")
    with pytest.raises(DatasetError, match=f"line 2: {re.escape(says)} must use only letters, digits"):
        read_corpus_table(p)


def test_clip_ids_that_differ_only_in_case_are_refused_before_any_work(corpus, tmp_path):
    # was imported: clips/sub01_EP01_01.h5 and clips/sub01_ep01_01.h5, one file on macOS or Windows
    root = copy_corpus(corpus, tmp_path / "corpus")
    shutil.copytree(root / "sub01" / "EP01_01", root / "sub01" / "ep01_01")
    table = root / "table.csv"
    table.write_text(table.read_text() + "1,ep01_01,15,27,39,12,happiness\n")
    with pytest.raises(DatasetError, match=r"table.csv: clip ids 'sub01_EP01_01' and 'sub01_ep01_01' differ only in "
                                           r"case: .*; rename one of the two clip folders and its Filename in the "
                                           r"table$"):
        import_corpus(root, table, tmp_path / "ds")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


@pytest.mark.parametrize(("subject", "filename", "rows", "says"), [
    ("1", "E" * 250, ["15,27,39"], "Filename 'EEEEEEEEEEEEEEEE…EEEEEEEE' (250 characters) makes the clip's file name "
                                   "'sub01_EEEEEEEEEE…EEEEEEEE.h5' 259 bytes long"),
    ("9" * 5000, "EP01_01", ["15,27,39"], "Subject '9999999999999999…99999999' (5000 characters) makes the clip's "
                                          "file name 'sub9999999999999…_EP01_01.h5' 5014 bytes long"),
    # sub01_E…E.h5 fits, 253 bytes; a window of a folder two rows name adds _ONSET-OFFSET to the id
    ("1", "E" * 244, ["15,20,25", "26,30,39"], "Filename 'EEEEEEEEEEEEEEEE…EEEEEEEE' (244 characters) makes the "
                                               "clip's file name 'sub01_EEEEEEEEEE…EE_15-25.h5' 259 bytes long"),
], ids=["Filename", "Subject of 5000 digits", "a window's id"])
def test_a_clip_id_too_long_for_its_file_name_is_refused_before_any_frame_is_read(corpus, tmp_path, subject, filename,
                                                                                  rows, says):
    """Was: the clip's frames read and simulated, then "DS.partial/clips/sub01_EEE….h5: cannot write (File
    name too long)" naming a path and leaving DS.partial; a Subject of 5000 digits "File name too long"
    naming the frame folder."""
    root = tmp_path / "corpus"
    if len(filename) < 255:
        shutil.copytree(corpus / "sub01" / "EP01_01", root / "sub01" / filename)
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "".join(f"{subject},{filename},{frames},12,happiness\n" for frames in rows))
    with pytest.raises(DatasetError, match=rf"t\.csv: line 2: {re.escape(says)}, and a file name holds 255 bytes at "
                                           r"most; shorten (Filename|Subject) by \d+ characters$"):
        import_corpus(root, table, tmp_path / "ds", CorpusOptions(**OPTS))
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_missing_folder_and_frame_outside(corpus, tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text(TABLE + "1,EP99_01,1,2,3,4,\n")
    with pytest.raises(DatasetError, match="EP99_01: frame folder of table line 2 not found"):
        import_corpus(corpus, bad, tmp_path / "ds")
    bad.write_text(TABLE + "1,EP01_01,12,20,60,12,\n")
    with pytest.raises(DatasetError, match="offset frame 60 is outside the folder's frames 12..41"):
        import_corpus(corpus, bad, tmp_path / "ds")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_gap_and_unreadable_frame(corpus, tmp_path):
    c = copy_corpus(corpus, tmp_path / "c")
    (c / "sub01" / "EP01_01" / "img20.jpg").unlink()
    with pytest.raises(DatasetError, match="gap after 19"):
        import_corpus(c, c / "table.csv", tmp_path / "ds")
    c3 = copy_corpus(corpus, tmp_path / "c3")  # the same frame twice (a converted copy): was "a gap after 19"
    shutil.copy(c3 / "sub01" / "EP01_01" / "img20.jpg", c3 / "sub01" / "EP01_01" / "img020.png")
    with pytest.raises(DatasetError, match=r"EP01_01: frame number 20 is in two files, img020.png and img20.jpg; "
                                           r"keep one$"):
        import_corpus(c3, c3 / "table.csv", tmp_path / "ds")
    c2 = copy_corpus(corpus, tmp_path / "c2")
    (c2 / "sub02" / "EP07_01" / "img110.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(FormatError, match="img110.jpg: unreadable image"):
        import_corpus(c2, c2 / "table.csv", tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",)))
    assert not (tmp_path / "ds").exists()


def test_a_16_bit_frame_is_refused_not_cut_to_8_bits(corpus, tmp_path):
    """Was read as value // 256 without a word (a 16-bit PNG may be a depth map, as in CAS(ME)^3);
    the folder is read as ``evface simulate`` reads it (evface.sim.frame_folder.read_frame)."""
    c = copy_corpus(corpus, tmp_path / "c")
    (c / "sub01" / "EP01_01" / "img20.jpg").unlink()
    cv2.imwrite(str(c / "sub01" / "EP01_01" / "img20.png"), np.full((96, 96, 3), 40000, np.uint16))
    with pytest.raises(FormatError, match=r"EP01_01/img20.png: a 16-bit integer image; evface reads 8-bit sRGB frames"):
        import_corpus(c, c / "table.csv", tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",)))
    assert not (tmp_path / "ds").exists()


def test_no_face_needs_a_box(corpus, tmp_path):
    c = copy_corpus(corpus, tmp_path / "c")
    blank = np.full((96, 96, 3), 128, np.uint8)
    for p in (c / "sub02" / "EP07_01").iterdir():
        cv2.imwrite(str(p), blank)
    opts = dict(sensors=("davis346:16x12",), upsample=1)
    with pytest.raises(DatasetError, match="EP07_01: table line 4: no face found"):
        import_corpus(c, c / "table.csv", tmp_path / "ds", CorpusOptions(**opts))
    import_corpus(c, c / "table.csv", tmp_path / "ds", CorpusOptions(**opts, face_box=(20, 20, 56, 56)))
    clip = read_clip(tmp_path / "ds" / "clips" / "sub02_EP07_01.h5", frames=False)
    assert clip.calibration["face_box"]["rgb"] == [20.0, 20.0, 56.0, 56.0]
    assert clip.calibration["face_box"]["lr"] == [3.33, 1.33, 9.33, 9.33]  # 96x96 covers 16x12: x/6, y/6 - 2


def test_a_face_box_outside_the_frames_is_refused_before_any_clip_is_simulated(corpus, tmp_path, capsys, monkeypatch):
    """--face-box 0,0,2^63,10 converted every clip, a warning at most (training then cropped to the
    whole frame); a box reaching past the frames' edge is clipped to them with a warning."""
    import evface.datasets.importers.corpus as mod

    def simulate(*args, **kwargs):
        raise AssertionError("a clip was simulated")

    monkeypatch.setattr(mod, "DvsSimulator", simulate)
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(tmp_path / "ds"),
                 "--face-box", f"0,0,{2**63},10"]) == 2
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(r"error: .*/sub01/EP\w+: face_box \(--face-box\) \[0, 0, 9223372036854775808, 10\] lies over half "
                        r"outside the \d+x\d+ RGB frame: it keeps 0% of the face box \(loses 100% at the right\); give the "
                        r"face box in pixels of the RGB frames", err), err
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()
    monkeypatch.undo()
    report = import_corpus(corpus, corpus / "table.csv", tmp_path / "ds", CorpusOptions(
        sensors=("davis346:16x12",), upsample=1, face_box=(60, 20, 56, 56)))
    assert report["warnings"][0].endswith(": face_box (--face-box) [60, 20, 56, 56] reaches beyond the 96x96 RGB frame: "
                                          "clipped to [60, 20, 36, 56]")


def test_bad_options_and_existing_output(corpus, tmp_path):
    with pytest.raises(ParameterError, match="sensor 'kinect'"):
        CorpusOptions(sensors=("kinect",))
    with pytest.raises(ParameterError, match="a corpus sensor needs a name"):
        CorpusOptions(sensors=("64x48",))
    with pytest.raises(ParameterError, match="rgb_fps"):
        CorpusOptions(rgb_fps=0.0)
    with pytest.raises(ParameterError, match="unknown class set"):
        CorpusOptions(classes="emotions")
    with pytest.raises(ParameterError, match="WxH"):
        CorpusOptions(sensors=("evk4:big",))
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "x").write_text("keep")
    with pytest.raises(DatasetError, match="not empty"):
        import_corpus(corpus, corpus / "table.csv", tmp_path / "ds")


def test_overwrite_never_deletes_a_folder_that_is_not_a_dataset(corpus, tmp_path):
    documents = tmp_path / "documents"  # with --overwrite, any non-empty OUT was deleted once the import finished
    documents.mkdir()
    (documents / "thesis.tex").write_text("keep")
    with pytest.raises(DatasetError, match="holds files but no evface dataset"):
        import_corpus(corpus, corpus / "table.csv", documents, CorpusOptions(overwrite=True))
    assert (documents / "thesis.tex").read_text() == "keep"


@pytest.mark.parametrize("inside", ["table", "root"])
def test_cli_overwrite_of_a_dataset_holding_the_table_or_corpus_is_refused(corpus, tmp_path, capsys, inside):
    """A table (or the corpus itself) kept in the earlier dataset that --overwrite replaces was read,
    and then deleted with that dataset when the new one took its place."""
    out = tmp_path / "ds"
    (out / "clips").mkdir(parents=True)
    (out / "manifest.csv").write_text("clip_id,subject,label,file\n")
    root, table = corpus, out / "table.csv"
    shutil.copy(corpus / "table.csv", table)
    if inside == "root":
        root, table = shutil.copytree(corpus, out / "casme"), corpus / "table.csv"
    assert main(["import", "corpus", str(root), str(table), str(out), "--sensor", "davis346:24x20", "--upsample", "1",
                 "--overwrite"]) == 2
    name = "the annotation table (TABLE)" if inside == "table" else "the corpus folder (ROOT)"
    assert capsys.readouterr().err.strip() == (f"error: {out}: {name} {table if inside == 'table' else root} lies in the "
                                               f"output folder, which overwrite (--force) replaces whole; move it out "
                                               f"of {out} or give OUT another folder")
    assert (table if inside == "table" else root / "table.csv").read_text() == (corpus / "table.csv").read_text()


def test_cli_import_corpus(corpus, tmp_path):
    code = main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(tmp_path / "ds"),
                 "--sensor", "davis346:24x20", "--rgb-fps", "30", "--upsample", "1", "--classes", "default"])
    assert code == 0
    rows = DatasetFolder.open(tmp_path / "ds").rows
    assert [(r["clip_id"], r["label"]) for r in rows] == [("sub01_EP02_03f", "AU1+2"), ("sub02_EP07_01", "AU4")]
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(tmp_path / "x"), "--sensor", "nope"]) == 2


def test_cli_import_corpus_inside_another_dataset_is_refused(corpus, tmp_path, capsys):
    """OUT inside another dataset folder was imported there, among that dataset's clips."""
    data = tmp_path / "data"
    (data / "clips").mkdir(parents=True)
    (data / "dataset.json").write_text("{}")
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(data / "clips" / "ds")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {data / 'clips' / 'ds'}: inside the dataset folder {data} (it holds dataset.json), where what this "
        "command writes would lie among the dataset's files; give OUT a folder outside it")
    assert sorted(p.name for p in data.rglob("*")) == ["clips", "dataset.json"]


@pytest.mark.parametrize("args, says", [  # each said the field, not the option (--fps and --rgb-fps in one line)
    (("--fps", "0"), "--fps: fps must be a finite number in [0.1, 1e+06], got 0.0"),
    (("--fps", "inf"), "--fps: fps must be a finite number in [0.1, 1e+06], got inf"),  # was "t_us must increase: got 0 after 0"
    (("--rgb-fps", "-5"), "--rgb-fps: rgb_fps must be a finite number in [0.1, 1e+06], got -5.0"),
    (("--lux-white", "-1"), "--lux-white: lux_white must be a finite number in (0, 1e+06], got -1.0"),
    (("--lux-white", "inf"), "--lux-white: lux_white must be a finite number in (0, 1e+06], got inf"),
    (("--lux-white", "1e30"), "--lux-white: lux_white must be a finite number in (0, 1e+06], got 1e+30"),  # was converted
    (("--min-face", "2"), "--min-face: min_face is a fraction of the frame's shorter side in (0, 1), got 2.0"),
    (("--label", "mood"), "--label: label must be 'aus' or 'emotion', got 'mood'"),
    (("--upsample", "10000"), "--upsample: upsample must lie in [1, 5000] (steps of at least 1 µs at 200 fps), got 10000"),
    (("--fps", "0.05", "--upsample", "1"),  # was simulated in steps of 20 s (320 MB of sort bins each)
     "--fps: fps must be a finite number in [0.1, 1e+06], got 0.05"),  # frames at most 10 s apart, as simulate's
    (("--face-box", "0,0,0,0"), "--face-box: face_box must be x, y, width, height with a positive size, got (0, 0, 0, 0)"),
    # was a ZeroDivisionError (exit 1); a negative width a warning that the window kept 0 % of the face
    (("--face-box", "1,2,-3,4"), "--face-box: face_box must be x, y, width, height with a positive size, got (1, 2, -3, 4)"),
    # was "seed must be at most 9223372036854775807 (2^63 - 1), got 922364873801588145127424", the first clip's seed
    (("--seed", "9223372036854775808"), "--seed: seed must be in [0, 70368744177664], got 9223372036854775808"),
    (("--seed", "70368744177665"), "--seed: seed must be in [0, 70368744177664], got 70368744177665"),
])
def test_cli_import_corpus_names_the_option_of_a_bad_value(corpus, tmp_path, capsys, args, says):
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(tmp_path / "ds"), *args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert not (tmp_path / "ds").exists()


def test_cli_upsample_takes_0_for_auto_and_refuses_below(corpus, tmp_path, capsys):
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), str(tmp_path / "ds"), "--upsample", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--upsample" in err and "greater than or equal to 0" in err  # 0 is the CLI's "enough for 1 kHz"
    assert not (tmp_path / "ds").exists()


def test_window_that_cuts_the_face_is_a_warning(imported):
    """96x96 frames cover the 16:9 evk4:48x27 window: the crop loses part of the face box, and the
    warning says how much, on which side, and the sensor size that keeps the frames' aspect."""
    _, report = imported
    cut = [w for w in report["warnings"] if "the 48x27 hd window keeps" in w]
    assert len(cut) == 3 and "at the bottom" in cut[0] and "--sensor evk4:27x27" in cut[0]
    assert not [w for w in report["warnings"] if "lr window" in w]


def test_cli_import_corpus_into_dot_is_refused(corpus, tmp_path, capsys, monkeypatch):
    """'evface import corpus ROOT TABLE .' in an empty folder (was: an internal error, exit 1)."""
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["import", "corpus", str(corpus), str(corpus / "table.csv"), "."]) == 2
    assert capsys.readouterr().err.strip() == ("error: .: give OUT a folder by its name, not '.' or '..' (the dataset "
                                               "is built as OUT.partial beside it and renamed to OUT)")
    assert not any((tmp_path / "here").iterdir())


@pytest.mark.parametrize("subject", ["被试01", "s 01", "Müller"])
def test_a_subject_refused_is_named_as_the_table_writes_it(tmp_path, subject):
    """Was "Subject 'sub被试01' must use only ...": the folder name made of the cell, text the
    table does not hold."""
    p = tmp_path / "t.csv"
    p.write_text(TABLE + f"{subject},EP01,10,15,20,4,\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"t.csv: line 2: Subject '{subject}' must use only letters, digits"):
        read_corpus_table(p)


def _corpus_video(corpus, path, fourcc, ticks=None):
    """The 30 frames of sub01/EP01_01 as a 30 fps video; with ``ticks`` (sixtieths of a second, an
    MP4) each frame lasts its own ticks (a variable frame rate). Returns the frames' starts (µs) and
    the frames as OpenCV decodes them (RGB)."""
    from import_fixtures import set_mp4_durations  # lazy: only the video tests write container times

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30.0, (96, 96))
    for k in range(N_FRAMES):
        writer.write(cv2.imread(str(corpus / "sub01" / "EP01_01" / f"img{12 + k}.jpg")))
    writer.release()
    t_us = np.round(np.arange(N_FRAMES) * 1e6 / 30).astype(np.int64)
    if ticks is not None:
        set_mp4_durations(path, ticks)
        t_us = np.round(np.r_[0, np.cumsum(ticks)[:-1]] * 1e6 / 60).astype(np.int64)
    cap, decoded = cv2.VideoCapture(str(path)), []
    while (frame := cap.read()[1]) is not None:
        decoded.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return t_us, decoded


def test_a_clip_given_as_a_video_is_read_at_its_own_frame_times(corpus, tmp_path, monkeypatch):
    """A corpus shipping videos (CAS(ME)^2) was refused, "import corpus reads each clip as a folder
    of numbered frames: extract a video's frames into one". A row naming a video (with or without
    its suffix) is read as ``import session --rgb VIDEO`` reads one: frames numbered from 1 as
    decoded, at the container's times where the frame rate varies, windows in frames as for a folder;
    each video scanned once, however many rows cut it."""
    from evface.datasets.importers import corpus_frames as mod  # lazy: only this test counts the scans

    scanned, scan = [], mod.scan_video
    monkeypatch.setattr(mod, "scan_video", lambda path, motion: scanned.append(path.name) or scan(path, motion))
    ticks = np.array([2] * 10 + [1] * 10 + [3] * 10)  # 30 frames in 1 s: 30, 60 and 20 fps
    vfr_t, vfr = _corpus_video(corpus, tmp_path / "c" / "sub01" / "EP01.mp4", "mp4v", ticks)
    cfr_t, cfr = _corpus_video(corpus, tmp_path / "c" / "sub02" / "EP07.avi", "MJPG")
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01,3,8,12,12,\n1,EP01,15,20,28,4,\n2,EP07.avi,5,9,26,4,\n")
    report = import_corpus(tmp_path / "c", table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), upsample=1,
                                                                                  face_box=(20, 20, 56, 56)))
    assert report["clips"] == ["sub01_EP01_3-12", "sub01_EP01_15-28", "sub02_EP07.avi"]
    assert scanned == ["EP01.mp4", "EP07.avi"]
    rows = {r["clip_id"]: r for r in DatasetFolder.open(tmp_path / "ds").rows}
    for clip_id, t, decoded, (first, last), (onset, apex, offset) in [
            ("sub01_EP01_3-12", vfr_t, vfr, (3, 12), (3, 8, 12)), ("sub01_EP01_15-28", vfr_t, vfr, (15, 28), (15, 20, 28)),
            ("sub02_EP07.avi", cfr_t, cfr, (1, 30), (5, 9, 26))]:
        clip = read_clip(tmp_path / "ds" / "clips" / f"{clip_id}.h5")
        own = np.append(np.diff(t), int(np.median(np.diff(t))))[first - 1:last]
        frames = clip.frames["rgb"]
        np.testing.assert_array_equal(frames.data, np.stack(decoded[first - 1:last]))
        assert frames.t_us.tolist() == (t[first - 1:last] - t[first - 1]).tolist()
        assert frames.fps == 30.0 and frames.params["source_fps"] == 30.0
        assert frames.exposure_us.tolist() == own.tolist() and clip.extra["first_frame"] == first
        times = [int(t[n - 1] - t[first - 1]) for n in (onset, apex, offset)] + [int(t[last - 1] - t[first - 1] + own[-1])]
        assert [rows[clip_id][k] for k in ("onset_us", "apex_us", "offset_us", "duration_us")] == times
        assert clip.events["lr"].size > 0 and clip.events["lr"]["t"].max() < times[-1]


@pytest.mark.parametrize("filename", ["EP01.mp4", "EP01"])
def test_a_clip_given_as_a_file_that_is_no_video_is_refused_naming_it(tmp_path, capsys, filename):
    root = tmp_path / "corpus"
    (root / "sub01").mkdir(parents=True)
    (root / "sub01" / "EP01.mp4").write_bytes(b"a video, never opened")
    (root / "t.csv").write_text(TABLE + f"1,{filename},10,15,20,4,\n")
    assert main(["import", "corpus", str(root), str(root / "t.csv"), str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err.strip()  # and the demuxer's line, where FFmpeg's log is caught
    assert err.startswith(f"error: {root / 'sub01' / 'EP01.mp4'}: OpenCV cannot open this video") and "\n" not in err
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_a_clip_folder_missing_beside_several_files_of_its_name_is_refused_naming_them(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub01").mkdir(parents=True)
    for name in ("EP01.mp4", "EP01.txt"):
        (root / "sub01" / name).write_bytes(b"")
    (root / "t.csv").write_text(TABLE + "1,EP01,10,15,20,4,\n")
    with pytest.raises(DatasetError, match=r"sub01/EP01: frame folder of table line 2 not found, and several files "
                                           r"share its name: EP01.mp4, EP01.txt; give the video's name with its suffix "
                                           r"as Filename$"):
        import_corpus(root, root / "t.csv", tmp_path / "ds")


def test_a_subject_saved_as_a_decimal_names_its_folder(corpus, tmp_path):
    """``1.0`` (a spreadsheet's number, as frames ``10.0`` are read) names ``sub01`` (was: folder
    ``sub1.0`` not found)."""
    from evface.datasets.importers.corpus import find_frames

    p = tmp_path / "t.csv"
    p.write_text(TABLE + "1.0,EP01_01,15,27,39,12,\n")
    (row,) = read_corpus_table(p)
    assert find_frames(corpus, row)[0] == (12, corpus / "sub01" / "EP01_01" / "img12.jpg")


def test_a_clip_whose_frames_would_not_fit_in_memory_is_refused_before_any_clip_is_simulated(corpus, tmp_path,
                                                                                             monkeypatch):
    """A clip's frames are read whole: a folder of thousands of large frames (a long recording
    cut into pictures) ended in a MemoryError or the system killing the import, after the clips
    before it were simulated. Here the machine is made to have 400 kB."""
    import os

    sysconf = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 100 if name == "SC_PHYS_PAGES" else sysconf(name))
    with pytest.raises(ParameterError, match=r"sub01/EP01_01: table line 2: reading the clip's 30 frames of 96x96 "
                                             r"whole takes about 0\.0 GiB, more than half of this machine's .* GiB; "
                                             r"move the frames before OnsetFrame 15 and after OffsetFrame 39 out of the "
                                             r"folder \(it holds 12\.\.41\), or give it fewer or smaller frames$"):
        import_corpus(corpus, corpus / "table.csv", tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",)))
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


@pytest.mark.parametrize("filename", [".", "..", "-x"])
def test_a_name_refused_for_its_first_character_is_told_the_whole_rule(tmp_path, filename):
    """A Filename ``.``, ``..`` or ``-x`` uses only letters, digits, ``_ . -``: the refusal said that it
    must use only those (was: "Filename '-x' must use only letters, digits, '_', '.', '-'")."""
    p = tmp_path / "t.csv"
    p.write_text(TABLE + f"1,{filename},10,15,20,4,\n")
    with pytest.raises(DatasetError) as info:
        read_corpus_table(p)
    assert str(info.value) == (f"{p}: line 2: Filename {filename!r} must use only letters, digits, '_', '.', '-' and start with a "
                               "letter or digit")


def _refuse_simulation(monkeypatch):
    """Make any clip simulated fail the test."""
    import evface.datasets.importers.corpus as mod  # lazy: only the tests of the checks before simulation patch it

    def simulate(*args, **kwargs):
        raise AssertionError("a clip was simulated")

    monkeypatch.setattr(mod, "DvsSimulator", simulate)


@pytest.mark.parametrize("fault, says", [
    ("size", "img120.jpg: table line 4: frame size 64x48 differs from the clip's first frame 96x96 (img101.jpg); "
             "give all the clip's frames one size"),
    ("depth", "img120.png: a 16-bit integer image; evface reads 8-bit sRGB frames (a 16-bit PNG may be a depth map): "
              "convert the colour frames to 8 bits"),
])
def test_a_bad_frame_in_the_last_clip_is_refused_before_any_clip_is_simulated(corpus, tmp_path, capsys, monkeypatch,
                                                                               fault, says):
    """A frame of another size or of 16 bits in the last clip stopped the import only when that clip
    was read, after the clips before it had been simulated into OUT.partial; every frame's header
    is now checked first (one line, exit 2, nothing written)."""
    c = copy_corpus(corpus, tmp_path / "c")
    frame = c / "sub02" / "EP07_01" / "img120.jpg"
    if fault == "size":
        cv2.imwrite(str(frame), np.full((48, 64, 3), 90, np.uint8))
    else:
        frame.unlink()
        cv2.imwrite(str(frame.with_suffix(".png")), np.full((96, 96, 3), 40000, np.uint16))
    _refuse_simulation(monkeypatch)
    assert main(["import", "corpus", str(c), str(c / "table.csv"), str(tmp_path / "ds"), "--sensor", "davis346:16x12"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {c / 'sub02' / 'EP07_01'}/{says}"
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def _clip_with_a_turned_frame(corpus, root, stored_wide):
    """A one-clip corpus of six 96x80 frames, its fourth a JPEG whose EXIF orientation 6 turns it a
    quarter turn: stored 80x96 (upright 96x80, as the others) or, ``stored_wide``, 96x80."""
    from PIL import Image  # lazy: only the EXIF tests write an orientation

    folder = root / "sub01" / "EP01"
    folder.mkdir(parents=True)
    for k in range(6):
        rgb = cv2.cvtColor(cv2.imread(str(corpus / "sub01" / "EP01_01" / f"img{12 + k}.jpg")), cv2.COLOR_BGR2RGB)[8:88]
        if k != 3:
            Image.fromarray(rgb).save(folder / f"img{k + 1}.jpg")
            continue
        exif = Image.Exif()
        exif[0x0112] = 6  # shown turned a quarter turn clockwise
        stored = rgb if stored_wide else np.ascontiguousarray(np.rot90(rgb))  # rot90: a quarter turn back
        Image.fromarray(stored).save(folder / "img4.jpg", exif=exif)
    (root / "table.csv").write_text(TABLE + "1,EP01,1,3,6,12,happiness\n")
    return root


def test_a_frame_turned_by_its_exif_orientation_is_checked_as_the_reader_turns_it(corpus, tmp_path, capsys, monkeypatch):
    """The frames are read turned upright by their EXIF orientation: a frame stored 80x96 and turned
    to 96x80 fits a clip of 96x80 frames, and one stored 96x80 and turned to 80x96 is refused before
    any clip is simulated (a check of the stored size alone would pass it, and the reader stop at it)."""
    good = _clip_with_a_turned_frame(corpus, tmp_path / "good", stored_wide=False)
    import_corpus(good, good / "table.csv", tmp_path / "ds",
                  CorpusOptions(sensors=("davis346:16x12",), upsample=1, face_box=(10, 0, 70, 70)))
    assert read_clip(tmp_path / "ds" / "clips" / "sub01_EP01.h5").frames["rgb"].data.shape == (6, 80, 96, 3)
    bad = _clip_with_a_turned_frame(corpus, tmp_path / "bad", stored_wide=True)
    _refuse_simulation(monkeypatch)
    assert main(["import", "corpus", str(bad), str(bad / "table.csv"), str(tmp_path / "ds2"),
                 "--sensor", "davis346:16x12", "--face-box", "10,0,70,70"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {bad / 'sub01' / 'EP01' / 'img4.jpg'}: table line 2: frame size 80x96 as its orientation tag 6 turns "
        "it (stored 96x80) differs from the clip's first frame 96x80 (img1.jpg); give all the clip's frames one size")
    assert not (tmp_path / "ds2").exists() and not (tmp_path / "ds2.partial").exists()


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".bmp", ".tif", "-exif-after-pixels.png"])
def test_frame_headers_give_the_size_the_reader_reads(tmp_path, suffix):
    """The header check agrees with evface.sim.frame_folder.read_frame for every EXIF orientation, a PNG's
    eXIf chunk after its pixels included (OpenCV turns by it; Pillow finds it only by decoding)."""
    import struct  # lazy: only this test moves a PNG chunk

    from PIL import Image  # lazy: only the EXIF tests write an orientation

    from evface.datasets.importers.rgb_scan import frame_header  # lazy: only this test reads headers directly
    from evface.sim.frame_folder import read_frame  # lazy: as frame_header

    stored = np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"img{orientation}{suffix}"
        Image.fromarray(stored).save(path, format=None if suffix != "-exif-after-pixels.png" else "PNG", exif=exif)
        if suffix == "-exif-after-pixels.png":  # eXIf moved to just before IEND
            data, chunks, pos = path.read_bytes(), [], 8
            while pos < len(data):
                length = struct.unpack(">I", data[pos:pos + 4])[0]
                chunks.append(data[pos:pos + 12 + length])
                pos += 12 + length
            exif_chunk = [ch for ch in chunks if ch[4:8] == b"eXIf"]
            rest = [ch for ch in chunks if ch[4:8] != b"eXIf"]
            path.write_bytes(data[:8] + b"".join(rest[:-1] + exif_chunk + rest[-1:]))
        height, width = read_frame(path).shape[:2]
        turned = orientation > 4 and suffix != ".bmp"
        assert frame_header(path).size == (width, height) == ((48, 64) if turned else (64, 48)), orientation


def test_a_tiff_turned_a_quarter_turn_is_sized_from_its_header_not_decoded(tmp_path, monkeypatch):
    """A TIFF turned by its orientation tag (5 to 8) was decoded whole to learn its size: 11 ms a
    640x480 LZW frame, against 0.6 ms from its tags (200 frames: 2.24 s, now 0.12 s)."""
    from PIL import Image  # lazy: only the EXIF tests write an orientation

    from evface.datasets.importers import rgb_scan  # lazy: only the header tests reach into the scan

    def decoded(path):
        raise AssertionError(f"{path} decoded")

    monkeypatch.setattr(rgb_scan, "read_frame", decoded)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"img{orientation}.tif"
        Image.new("RGB", (64, 48)).save(path, exif=exif, compression="tiff_lzw")
        header = rgb_scan.frame_header(path)
        assert header.size == ((48, 64) if orientation > 4 else (64, 48)), orientation
    assert str(header) == "48x64 as its orientation tag 8 turns it (stored 64x48)"


@pytest.mark.parametrize("where_", ["before-pixels", "after-pixels"])
@pytest.mark.parametrize("exif", [b"garbage!", b"ab"])
def test_a_png_whose_exif_chunk_is_no_exif_has_the_size_the_reader_reads(tmp_path, where_, exif):
    """A PNG whose ``eXIf`` chunk holds no TIFF structure (OpenCV reads the picture and ignores it):
    the header check gives the size read_frame reads (was: Pillow's "SyntaxError: not a TIFF
    file", an internal error of import corpus and import session --rgb FOLDER)."""
    import io  # lazy: only this test builds a PNG chunk by chunk
    import struct  # lazy: as io
    import zlib  # lazy: as io

    from PIL import Image  # lazy: only the EXIF tests write pictures with Pillow

    from evface.datasets.importers.rgb_scan import frame_header  # lazy: only these tests read headers directly
    from evface.sim.frame_folder import read_frame  # lazy: as frame_header

    buf = io.BytesIO()
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(buf, "PNG")
    png = buf.getvalue()
    at = png.index(b"IDAT") - 4 if where_ == "before-pixels" else png.rindex(b"IEND") - 4
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    path = tmp_path / "img1.png"
    path.write_bytes(png[:at] + chunk + png[at:])
    assert read_frame(path).shape == (48, 64, 3)
    assert frame_header(path).size == (64, 48)


def test_rows_naming_one_folder_with_different_windows_are_clips_of_their_windows(corpus, tmp_path):
    """A corpus cut from long recordings (CAS(ME)^2: one folder, several expressions) was refused:
    "several rows name the same clip folder". Each row is now the clip of its frames onset..offset,
    its id ``SUBJECT_FILENAME_ONSET-OFFSET``; a folder named once stays one whole clip."""
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01_01,12,18,25,12,happiness\n1,EP01_01,20,30,41,4,disgust\n02,EP07_01,104,116,128,4,\n")
    report = import_corpus(corpus, table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), upsample=1,
                                                                          face_box=(20, 20, 56, 56)))
    assert report["clips"] == ["sub01_EP01_01_12-25", "sub01_EP01_01_20-41", "sub02_EP07_01"]
    rows = {r["clip_id"]: r for r in DatasetFolder.open(tmp_path / "ds").rows}
    for clip_id, first, n, (onset, apex, offset) in [("sub01_EP01_01_12-25", 12, 14, (12, 18, 25)),
                                                      ("sub01_EP01_01_20-41", 20, 22, (20, 30, 41)),
                                                      ("sub02_EP07_01", 101, 30, (104, 116, 128))]:
        clip = read_clip(tmp_path / "ds" / "clips" / f"{clip_id}.h5")
        assert clip.frames["rgb"].data.shape[0] == n and clip.extra["first_frame"] == first
        times = [round((k - first) * 1e6 / FPS) for k in (onset, apex, offset)] + [round(n * 1e6 / FPS)]
        assert [rows[clip_id][k] for k in ("onset_us", "apex_us", "offset_us", "duration_us")] == times
    whole = read_clip(tmp_path / "ds" / "clips" / "sub01_EP01_01_20-41.h5").frames["rgb"].data
    np.testing.assert_array_equal(whole[0], cv2.cvtColor(cv2.imread(str(corpus / "sub01" / "EP01_01" / "img20.jpg")),
                                                         cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("names", [("EP01", "EP01.avi"), ("EP01.avi", "EP02")])
def test_one_video_named_by_two_filenames_is_refused_naming_both_lines(tmp_path, names):
    """Rows naming one video as ``EP01`` and ``EP01.avi`` (or through a link) were each its whole
    video, two clips of all 40 frames, not the windows the rows give; refused now, before any clip
    is converted."""
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    writer = cv2.VideoWriter(str(root / "sub01" / "EP01.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    for k in range(40):
        writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
    writer.release()
    (root / "sub01" / "EP02.avi").symlink_to(root / "sub01" / "EP01.avi")
    table = tmp_path / "t.csv"
    table.write_text(TABLE + f"1,{names[0]},3,5,10,4,\n1,{names[1]},20,25,30,12,\n")
    said = re.escape(f"table lines 2 and 3 name this video by two names, sub01/{names[0]} and sub01/{names[1]}; give its "
                     "rows one Filename (the rows naming one video are its windows)")
    with pytest.raises(DatasetError, match=f"EP0[12].avi: {said}$"):
        import_corpus(root, table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), face_box=(20, 20, 56, 56)))
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_a_video_that_decodes_fewer_frames_than_it_lists_is_refused_naming_both_counts(tmp_path, capsys):
    """An AVI that lost its frame 17 mid-stream (bytes damaged) decodes 39 of the 40 frames it
    lists: it was read without a word, every frame after the loss numbered one too early (the
    window 20..30 was the video's frames 21..31). Refused now, naming the video, the table line and
    both counts, before any clip is converted."""
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    video = root / "sub01" / "EP01.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    for k in range(40):
        writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
    writer.release()
    data = bytearray(video.read_bytes())
    at = int(len(data) * 0.6)
    data[at:at + 200] = np.random.default_rng(0).bytes(200)  # inside frame 17 (numbered from 1)
    video.write_bytes(bytes(data))
    (root / "t.csv").write_text(TABLE + "1,EP01,3,5,10,4,\n1,EP01,20,25,30,12,\n")
    assert main(["import", "corpus", str(root), str(root / "t.csv"), str(tmp_path / "ds"), "--sensor", "davis346:16x12",
                 "--face-box", "20,20,56,56"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {video}: table line 2: the file lists 40 frames and 39 decode (damaged or cut short), so the table's frame "
        "numbers past a lost frame would name others; give a whole copy of the video, or extract the frames that decode "
        "into a folder (ffmpeg -i EP01.avi -fps_mode passthrough EP01/img%d.png), check the table's numbers against them "
        "and name the folder as Filename")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_a_matroska_video_whose_count_is_an_estimate_is_read_whole(tmp_path):
    """Matroska lists no frame count: OpenCV estimates one from the duration and the rate, which a
    recording whose last frame is held (its duration past frames / rate) overshoots with no frame
    lost. Such a video was refused as damaged ("the file lists 80 frames and 40 decode"); it is
    read now, its 40 frames as they decode (an AVI's or MP4's own count is still compared)."""
    video = tmp_path / "EP01.mkv"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for k in range(40):
        writer.write(np.full((48, 64, 3), 5 * k, np.uint8))
    writer.release()
    data = bytearray(video.read_bytes())
    at = data.find(b"\x44\x89\x88")  # the Info's Duration, an 8-byte float (ms)
    data[at + 3:at + 11] = struct.pack(">d", 2 * struct.unpack(">d", data[at + 3:at + 11])[0])
    video.write_bytes(bytes(data))
    assert video_info(video).n_frames == 80  # OpenCV's estimate, no listing
    clip = read_video_clip(video)
    assert clip.numbers == list(range(1, 41))


@pytest.mark.parametrize("filename", ["EP01_01", "A.avi"])
def test_a_window_of_one_frame_is_refused_naming_its_line(corpus, tmp_path, filename):
    """A row whose OnsetFrame is its OffsetFrame, in a folder or video other rows name too, was a
    clip of one frame and no event, written without a word; refused now, before any clip is converted."""
    root = tmp_path / "c"
    shutil.copytree(corpus / "sub01" / "EP01_01", root / "sub01" / "EP01_01")
    writer = cv2.VideoWriter(str(root / "sub01" / "A.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (96, 96))
    for k in range(40):
        writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
    writer.release()
    table = tmp_path / "t.csv"
    table.write_text(TABLE + f"1,{filename},14,16,20,4,\n1,{filename},25,25,25,12,\n")
    with pytest.raises(DatasetError, match=rf"sub01/{filename}: table line 3: the clip is the one frame 25 "
                                           r"\(OnsetFrame\.\.OffsetFrame\), and a DVS sees the changes between frames: it "
                                           r"would hold no event; give an OffsetFrame after its OnsetFrame$"):
        import_corpus(root, table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), face_box=(20, 20, 56, 56)))
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_a_pause_in_a_variable_frame_rate_video_is_refused_naming_the_frames_and_upsample(tmp_path, capsys):
    """A 0.5 fps phone-style MP4 whose frame 11 lasts 31 s: at --upsample 1 the DVS model stepped
    16 s between two frames' mid-exposures and stopped with "t_us 25500000 is 16,000,000 µs after
    the previous frame; ... give frames in between", naming no file or option, after OUT.partial
    was made. Refused now before any clip is converted, naming the video, line, frames and the
    --upsample that steps over it; a window that misses the pause is converted."""
    from import_fixtures import set_mp4_durations  # lazy: only the video tests write container times

    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    video = root / "sub01" / "EP01.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 0.5, (96, 96))
    for k in range(30):
        writer.write(np.full((96, 96, 3), 5 * k, np.uint8))
    writer.release()
    set_mp4_durations(video, np.array([1] * 10 + [31] + [1] * 19))  # 60 s: frames of 1 s, frame 11 of 31 s
    (root / "t.csv").write_text(TABLE + "1,EP01,3,5,8,4,\n1,EP01,8,12,20,12,\n")
    args = ["import", "corpus", str(root), str(root / "t.csv"), str(tmp_path / "ds"), "--sensor", "davis346:16x12",
            "--face-box", "20,20,56,56"]
    assert main([*args, "--upsample", "1"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {video}: table line 3: frames 10 and 11 lie 16.0 s apart at "
                                               "their mid-exposures (a pause in the video), and the DVS model steps at "
                                               "most 10 s; give upsample (--upsample) 2 or more")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()
    assert main([*args, "--upsample", "2"]) == 0


def test_one_folder_with_the_same_window_twice_is_refused_naming_both_lines(corpus, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01_01,12,18,25,12,\n02,EP07_01,104,116,128,4,\n1,EP01_01,12,20,25,4,\n")
    with pytest.raises(DatasetError, match=r"t.csv: lines 2 and 4 both give clip sub01_EP01_01_12-25 \(sub01/EP01_01 "
                                           r"frames 12..25 and sub01/EP01_01 frames 12..25\); remove one of the two "
                                           r"rows$"):
        import_corpus(corpus, table, tmp_path / "ds")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_a_window_that_would_not_fit_in_memory_is_told_to_shrink_its_frames(corpus, tmp_path, monkeypatch):
    """Moving frames out of the folder, as a whole-folder clip is told, cannot shrink a window."""
    import os

    sysconf = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 100 if name == "SC_PHYS_PAGES" else sysconf(name))
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01_01,12,18,25,12,\n1,EP01_01,20,30,41,4,\n")
    with pytest.raises(ParameterError, match=r"sub01/EP01_01: table line 2: reading the clip's 14 frames of 96x96 whole "
                                             r".*; the clip is its frames 12\.\.25 \(OnsetFrame\.\.OffsetFrame\) alone: "
                                             r"give it smaller frames$"):
        import_corpus(corpus, table, tmp_path / "ds")


def test_a_variable_frame_rate_videos_frames_are_resampled_at_their_own_times(corpus, tmp_path):
    """``rgb_fps`` box-averages a video's frames by their container times, not ``i / fps``."""
    ticks = np.array([2] * 10 + [1] * 10 + [3] * 10)  # frames 0-9 at 30 fps, 10-19 at 60, 20-29 at 20
    t_us, decoded = _corpus_video(corpus, tmp_path / "c" / "sub01" / "EP01.mp4", "mp4v", ticks)
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,EP01,3,8,12,12,\n")
    import_corpus(tmp_path / "c", table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), upsample=1,
                                                                        face_box=(20, 20, 56, 56), rgb_fps=15.0))
    frames = read_clip(tmp_path / "ds" / "clips" / "sub01_EP01.h5").frames["rgb"]
    # 983 ms in all (the last frame lasts the median interval): 14 frames of 1 / 15 s
    assert frames.data.shape[0] == 14 and frames.t_us[7] == 466_667 and frames.fps == 15.0
    inside = (t_us >= 466_666) & (t_us < 533_333)  # frames 18, 19 and 20
    assert np.flatnonzero(inside).tolist() == [18, 19, 20]
    expected = np.round(np.stack(decoded)[inside].astype(np.float32).mean(axis=0)).astype(np.uint8)
    np.testing.assert_array_equal(frames.data[7], expected)


@pytest.mark.parametrize("damage", ["tag past the end", "directory cut short"])
def test_a_frame_whose_exif_pillow_cannot_parse_is_sized_by_the_reader_without_a_word(tmp_path, capsys, monkeypatch,
                                                                                      damage):
    """Pillow's "UserWarning: Corrupt EXIF data" (or "Tag data larger than file. Skipping tag 270")
    went to standard error for each frame whose EXIF block it could not parse whole, as the header
    check read it. Such a frame is now decoded by the reader (OpenCV) for its size, turned upright by
    the orientation OpenCV finds, and nothing is said."""
    from evface.datasets.importers import rgb_scan  # lazy: only the header tests reach into the scan

    folder = tmp_path / "c" / "sub01" / "EP01"
    folder.mkdir(parents=True)
    upright = [jpeg_with_damaged_exif(folder / f"img{k}.jpg", damage) for k in range(1, 4)]
    (tmp_path / "t.csv").write_text(TABLE + "1,EP01,1,2,3,12,\n")
    decoded, read_frame = [], rgb_scan.read_frame
    monkeypatch.setattr(rgb_scan, "read_frame", lambda path: decoded.append(path.name) or read_frame(path))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        assert main(["import", "corpus", str(tmp_path / "c"), str(tmp_path / "t.csv"), str(tmp_path / "ds"),
                     "--sensor", "davis346:16x12", "--upsample", "1", "--face-box", "100,50,200,200"]) == 0
    assert [str(w.message) for w in said] == [] and "EXIF" not in capsys.readouterr().err
    assert decoded == ["img1.jpg", "img2.jpg", "img3.jpg"]  # each sized as the reader reads it
    assert rgb_scan.frame_header(folder / "img1.jpg").size == (512, 384) == upright[0].shape[1::-1]
    rgb = read_clip(tmp_path / "ds" / "clips" / "sub01_EP01.h5").frames["rgb"].data
    assert rgb.shape == (3, 384, 512, 3) and np.abs(rgb[0].astype(int) - upright[0]).mean() < 4


def test_the_windows_of_a_long_video_are_read_from_one_pass_over_it(corpus, tmp_path, monkeypatch):
    """A video cut into N windows was decoded from its start for each (N decodes: 400 frames of
    640x480 cut into 4 windows, 960 frames decoded, 1.37 s; now 390, 0.52 s). Its windows are read
    in frame order from one reader, whatever the table's order (overlapping windows, a folder's clip
    and another video between them), each window's frames those a decode from the start gives, the
    report listing the clips in the table's order."""
    from evface.datasets.importers import rgb_scan  # lazy: only this test counts the decodes

    opened, decode = [], rgb_scan.iter_video_frames
    monkeypatch.setattr(rgb_scan, "iter_video_frames", lambda path, *a: opened.append(path.name) or decode(path, *a))
    frames = [cv2.imread(str(corpus / "sub01" / "EP01_01" / f"img{12 + k}.jpg")) for k in range(N_FRAMES)]
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    shutil.copytree(corpus / "sub01" / "EP02_03f", root / "sub01" / "EP02_03f")
    for name, fourcc, picked in [("A.mp4", "mp4v", frames + frames[::-1]), ("B.avi", "MJPG", frames)]:
        writer = cv2.VideoWriter(str(root / "sub01" / name), cv2.VideoWriter_fourcc(*fourcc), 30.0, (96, 96))
        for frame in picked:
            writer.write(frame)
        writer.release()
    table = tmp_path / "t.csv"
    table.write_text(TABLE + "1,A.mp4,40,45,55,4,\n1,EP02_03f,8,20,32,1+2,\n1,A.mp4,5,10,20,4,\n1,A.mp4,15,20,30,4,\n"
                             "1,B.avi,3,8,12,4,\n1,A.mp4,50,52,58,4,\n")
    report = import_corpus(root, table, tmp_path / "ds", CorpusOptions(sensors=("davis346:16x12",), upsample=1,
                                                                       face_box=(20, 20, 56, 56)))
    assert opened == ["A.mp4", "B.avi"]  # was A.mp4 four times, once per window
    ids = ["sub01_A.mp4_40-55", "sub01_EP02_03f", "sub01_A.mp4_5-20", "sub01_A.mp4_15-30", "sub01_B.avi", "sub01_A.mp4_50-58"]
    assert report["clips"] == ids and [r["clip_id"] for r in DatasetFolder.open(tmp_path / "ds").rows] == sorted(ids)
    for name, clip_id, first, last in [("A.mp4", ids[0], 40, 55), ("A.mp4", ids[2], 5, 20), ("A.mp4", ids[3], 15, 30),
                                       ("A.mp4", ids[5], 50, 58), ("B.avi", ids[4], 1, 30)]:
        cap, decoded = cv2.VideoCapture(str(root / "sub01" / name)), []  # from the start, as each window was read
        while len(decoded) < last and (frame := cap.read()[1]) is not None:
            decoded.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        cap.release()
        rgb = read_clip(tmp_path / "ds" / "clips" / f"{clip_id}.h5").frames["rgb"].data
        np.testing.assert_array_equal(rgb, np.stack(decoded[first - 1:last]), err_msg=clip_id)


def test_a_video_that_states_no_frame_rate_is_read_at_fps(corpus, tmp_path, capsys):
    """A video that states no frame rate (an IP camera's bare MJPEG stream) was refused with "give the
    rate it was filmed at", which import corpus had no option for: now ``--fps`` gives it (its frames
    1 / fps apart, not at the 25 fps its demuxer guesses), and the refusal names the option."""
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    frames = [cv2.imread(str(corpus / "sub01" / "EP01_01" / f"img{12 + k}.jpg")) for k in range(N_FRAMES)]
    cam = root / "sub01" / "EP01.mjpeg"
    cam.write_bytes(b"".join(cv2.imencode(".jpg", f)[1].tobytes() for f in frames))
    (root / "t.csv").write_text(TABLE + "1,EP01,3,8,12,12,\n")
    args = ["import", "corpus", str(root), str(root / "t.csv"), str(tmp_path / "ds"), "--sensor", "davis346:16x12",
            "--upsample", "1", "--face-box", "20,20,56,56"]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (f"error: {cam}: table line 2: the video states no frame rate; give the "
                                               "rate it was filmed at as fps (--fps)")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()
    assert main([*args, "--fps", "15"]) == 0
    rgb = read_clip(tmp_path / "ds" / "clips" / "sub01_EP01.h5").frames["rgb"]
    assert rgb.fps == 15.0 and rgb.t_us.tolist() == [round(k * 1e6 / 15) for k in range(N_FRAMES)]
    assert DatasetFolder.open(tmp_path / "ds").rows[0]["duration_us"] == 2_000_000


def test_rgb_fps_is_checked_against_each_clips_own_rate(corpus, tmp_path, capsys, monkeypatch):
    """``--rgb-fps`` was checked against ``--fps`` (200 by default) alone: a 30 fps video's frames
    were "resampled" to 60 fps (30 frames stamped 0, 16667, 66667, ... µs, each exposed 16.7 ms), and
    a 300 fps video refused 250. Each clip's own rate bounds it now: a video's, a folder's ``--fps``;
    above it, one line names the clip, before any clip is simulated."""
    root = tmp_path / "c"
    (root / "sub01").mkdir(parents=True)
    shutil.copytree(corpus / "sub01" / "EP01_01", root / "sub01" / "EP01_01")
    for name, rate in [("slow.avi", 30.0), ("fast.avi", 300.0)]:
        writer = cv2.VideoWriter(str(root / "sub01" / name), cv2.VideoWriter_fourcc(*"MJPG"), rate, (96, 96))
        for k in range(N_FRAMES):
            writer.write(cv2.imread(str(corpus / "sub01" / "EP01_01" / f"img{12 + k}.jpg")))
        writer.release()
    (root / "fast.csv").write_text(TABLE + "1,fast.avi,3,8,12,12,\n")
    (root / "all.csv").write_text(TABLE + "1,fast.avi,3,8,12,12,\n1,EP01_01,15,20,25,12,\n1,slow.avi,3,8,12,12,\n")
    args = ["--sensor", "davis346:16x12", "--upsample", "1", "--face-box", "20,20,56,56"]
    assert main(["import", "corpus", str(root), str(root / "fast.csv"), str(tmp_path / "ds"), *args, "--rgb-fps", "250"]) == 0
    rgb = read_clip(tmp_path / "ds" / "clips" / "sub01_fast.avi.h5").frames["rgb"]
    assert rgb.fps == 250.0 and rgb.params["source_fps"] == 300.0 and rgb.data.shape[0] == 25  # 0.1 s in 4 ms frames
    _refuse_simulation(monkeypatch)
    for rgb_fps, source, says in [
            ("60", "slow.avi", "table line 4: rgb_fps (--rgb-fps) 60 is above the video's own rate, 30 fps; give rgb_fps 30 "
                               "or less"),
            ("250", "EP01_01", "table line 3: rgb_fps (--rgb-fps) 250 is above the rate of its folder of frames, fps "
                               "(--fps), 200 fps; give rgb_fps 200 or less")]:
        assert main(["import", "corpus", str(root), str(root / "all.csv"), str(tmp_path / "ds2"), *args,
                     "--rgb-fps", rgb_fps]) == 2
        assert capsys.readouterr().err.strip() == (f"error: {root / 'sub01' / source}: {says} (the frames are averaged "
                                                   "into fewer, never more)")
        assert not (tmp_path / "ds2").exists() and not (tmp_path / "ds2.partial").exists()


# ----------------------------------------------------------------------------- a frame decoded with damage


def _corpus_with_a_damaged_frame(root):
    """Two clips of eight 64x48 frames, ``sub01/EP01`` and ``sub01/EP02``, EP01's third frame damaged
    inside its coded data (:func:`picture_fixtures.jpeg_damaged_in_its_scan`); returns the table and
    the warning that frame gives."""
    for name in ("EP01", "EP02"):
        (root / "sub01" / name).mkdir(parents=True)
        for k in range(1, 9):
            img = np.full((48, 64, 3), 20 * k, np.uint8)
            img[10:30, 10 + k:30 + k] = 250
            cv2.imwrite(str(root / "sub01" / name / f"img{k}.jpg"), img)
    damaged = root / "sub01" / "EP01" / "img3.jpg"
    jpeg_damaged_in_its_scan(damaged, cv2.imread(str(damaged)))
    table = root.parent / "t.csv"
    table.write_text(TABLE + "1,EP01,2,4,7,12,\n1,EP02,2,4,7,4,\n")
    return table, f"{damaged}: decoded with damage ({DAMAGED_SCAN_SAYS}): check the frame"


def test_a_frame_decoded_with_damage_is_kept_in_the_datasets_warnings(tmp_path, capfd):
    """A JPEG frame damaged inside its coded data was one ``warning:`` line on the terminal and
    nothing in the dataset: ``dataset.json`` ``import.warnings`` and ``evface report`` did not name
    it. It is now kept there, and printed once."""
    table, said = _corpus_with_a_damaged_frame(tmp_path / "c")
    assert main(["import", "corpus", str(tmp_path / "c"), str(table), str(tmp_path / "ds"), "--sensor", "davis346:16x12",
                 "--upsample", "1", "--face-box", "10,10,40,30"]) == 0
    assert capfd.readouterr().err.splitlines() == [f"warning: {said}"]
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["import"]["warnings"] == [said]
    assert main(["report", str(tmp_path / "ds"), "--out", str(tmp_path / "r.html")]) == 0
    assert f"<li>{html.escape(said)}</li>" in (tmp_path / "r.html").read_text()


def test_a_resumed_import_keeps_the_warnings_of_the_clips_written_before_it(tmp_path, monkeypatch):
    """An import stopped after its first clip, whose frame was decoded with damage (and whose face
    box was clipped to the frames), gave the warnings as it stopped; resumed, its dataset kept only
    the warnings of the clips converted after the stop: the damaged frame and the first clip's note
    were lost. The resumed dataset now lists what an uninterrupted import lists."""
    table, said = _corpus_with_a_damaged_frame(tmp_path / "c")
    options = CorpusOptions(sensors=("davis346:16x12",), upsample=1, face_box=(40, 10, 40, 30))  # past the right edge
    whole = import_corpus(tmp_path / "c", table, tmp_path / "whole", options)["warnings"]
    assert len(whole) == 3 and whole[0] == said and "sub01_EP01: " in whole[1] and "sub01_EP02: " in whole[2]
    written = _clip_writes_stopped_at_the_second(monkeypatch)
    with pytest.warns(EvfaceWarning) as given, pytest.raises(KeyboardInterrupt):
        import_corpus(tmp_path / "c", table, tmp_path / "ds", options)
    assert [str(w.message) for w in given] == [said]  # told as the import stopped
    written.clear()
    assert import_corpus(tmp_path / "c", table, tmp_path / "ds", options)["warnings"] == whole
    assert written == ["sub01_EP02.h5"]  # resumed
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["import"]["warnings"] == whole


@pytest.mark.parametrize(("delimiter", "says"), [
    (";", "a semicolon inside a cell splits it (an AU list 1;2)"),
    ("\t", "a tab inside a cell splits it")])
def test_a_split_corpus_row_is_worded_by_the_tables_delimiter(tmp_path, delimiter, says):
    """A semicolon- or tab-separated corpus table (Excel in many locales) whose row is split by its
    own delimiter: the refusal names that delimiter (was: "a comma inside a cell splits it (an AU
    list 1,2)", where a comma splits nothing)."""
    p = tmp_path / "t.csv"
    p.write_text((TABLE + "1,EP2,10,15,20,4,7,disgust\n").replace(",", delimiter))
    with pytest.raises(DatasetError) as caught:
        read_corpus_table(p)
    assert str(caught.value) == (f"{p}: line 2: 8 cells, but the header names 7 columns (cell 8: 'disgust'); {says}: "
                                 "join the AUs with '+' (1+2) or quote the cell, or name the column in the header")
