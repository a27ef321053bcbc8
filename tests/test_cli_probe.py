"""Hostile-user checks of ``evface faces``, ``bench``, ``train`` and ``export-nir`` found by probing them."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from skimage import data
from recon_fixtures import make_fake_dataset as make_recon_dataset
from test_classify import make_fake_dataset as make_classify_dataset

from evface.cli import main
from evface.errors import FormatError, ParameterError
from evface.face.detect import detect_faces
from evface.face.preview import to_srgb8
from evface.models.export_nir import to_nir
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import checkpoints, run_folder

NET = NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)


@pytest.mark.parametrize("norm", ["td", "none"])
def test_to_nir_computes_on_the_models_device_and_copies_to_the_cpu(norm):
    """A model off the CPU failed in to_nir: its bias of zeros was made on the CPU and mixed with the
    model's tensors ("Tensor on device meta is not on the expected device cpu!"; on CUDA likewise),
    and the weights went to numpy without leaving the device. The meta device (shapes without
    values) runs the same path on any machine up to the copy, where it is named."""
    pytest.importorskip("nir")
    model = SpikingCNN(NetConfig(**{**NET.to_dict(), "norm": norm})).to("meta")
    with pytest.raises(ParameterError, match=r"^model: its weights are on the meta device \(shapes without values\); "
                                             "load its weights before exporting it$"):
        to_nir(model)
    assert next(model.parameters()).is_meta  # the model stays where it was


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_to_nir_of_a_model_on_cuda_is_the_graph_of_the_same_model_on_the_cpu():
    """to_nir of a model on CUDA was "can't convert cuda:0 device type tensor to numpy"."""
    pytest.importorskip("nir")
    torch.manual_seed(0)
    model = SpikingCNN(NET).eval()
    on_cpu = to_nir(model)
    on_cuda = to_nir(model.cuda())
    assert next(model.parameters()).is_cuda  # not moved
    for name, node in on_cpu.nodes.items():
        for key, value in vars(node).items():
            if hasattr(value, "shape"):
                assert value == pytest.approx(getattr(on_cuda.nodes[name], key), abs=1e-6), (name, key)


def _snn_run(folder, model="snn", task="classify"):
    run_folder.save_config(folder, {"task": task, "model": model, "net": NET.to_dict()})
    checkpoints.save_checkpoint(folder / "best.pt", {"model": SpikingCNN(NET).state_dict()})
    return folder


@pytest.mark.parametrize("name", ["graph.txt", "graph", "best.pt.bak"])
def test_export_nir_writes_only_under_a_nir_name(tmp_path, capsys, name):
    """The NIR graph (HDF5) was written under any new name, as `faces` wrote PNG bytes under faces.jpg."""
    pytest.importorskip("nir")
    run = _snn_run(tmp_path / "run")
    assert main(["export-nir", str(run), str(tmp_path / name)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: OUT: {tmp_path / name} would hold a NIR graph (HDF5); give it "
                                               "a .nir name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert main(["export-nir", str(run), str(tmp_path / "graph.NIR")]) == 0


def test_export_nir_replaces_an_existing_graph_only_with_force(tmp_path, capsys):
    """An existing .nir (another run's network, exported with its own settings) was replaced without a word."""
    pytest.importorskip("nir")
    run = _snn_run(tmp_path / "run")
    graph = tmp_path / "other-run.nir"
    graph.write_bytes(b"another run's graph")
    assert main(["export-nir", str(run), str(graph)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {graph}: exists; give OUT another name, or add --force to "
                                               "replace it")
    assert graph.read_bytes() == b"another run's graph"
    assert main(["export-nir", str(run), str(graph), "--force"]) == 0
    assert graph.read_bytes().startswith(b"\x89HDF")


@pytest.mark.parametrize(("model", "task"), [("ann", "classify"), (None, "reconstruct")])
def test_export_nir_of_a_run_without_a_spiking_network_says_which_run_to_give(tmp_path, capsys, model, task):
    """It said what the run was, not what to give."""
    pytest.importorskip("nir")
    run = _snn_run(tmp_path / "run", model, task)
    assert main(["export-nir", str(run), str(tmp_path / "a.nir")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {run} is not a spiking classification run (task {task!r}, model "
                                               f"{model!r}); NIR holds spiking networks: give a run of evface train "
                                               "classify --model snn")
    assert not (tmp_path / "a.nir").exists()


@pytest.mark.parametrize(("task", "other", "make_dataset"), [
    ("reconstruct", "classify", make_recon_dataset), ("classify", "reconstruct", make_classify_dataset)])
def test_train_refuses_to_resume_a_run_of_the_other_task(tmp_path, capsys, task, other, make_dataset):
    """`train reconstruct --out RUN` on a classification run said RUN "holds a run written by evface
    0.1.0 with settings this evface 0.1.0 does not know (augment, balanced, beta, ...)" and to resume
    it with evface 0.1.0 (itself); of a run without a version, "holds a run with other settings"."""
    data = tmp_path / "data"
    make_dataset(data)
    run = tmp_path / "run"
    run_folder.save_config(run, {"task": other, "seeds": 3, f"{other}_setting": 1})
    before = (run / "config.json").read_bytes()
    assert main(["train", task, "--data", str(data), "--out", str(run), "--epochs", "1"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {run}: holds a {other} run, which evface train {task} cannot "
                                               "resume; give --out a new folder")
    assert sorted(p.name for p in run.iterdir()) == ["config.json"] and (run / "config.json").read_bytes() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine with a CUDA device")
def test_train_on_cuda_without_it_names_the_option(tmp_path, capsys):
    """It said "device 'cuda' requested but torch sees no CUDA device", naming neither --device nor why."""
    data = make_classify_dataset(tmp_path / "data")
    assert main(["train", "classify", "--data", str(data), "--out", str(tmp_path / "run"), "--device", "cuda"]) == 2
    assert re.fullmatch(r"error: --device cuda: torch sees no CUDA device \((this torch .* is built without CUDA|no GPU "
                        r"is visible to it .*)\); give --device auto or cpu", capsys.readouterr().err.strip())
    assert not (tmp_path / "run").exists()


def test_a_difference_gain_beyond_float32_draws_without_warnings(tmp_path, capsys):
    """`faces --diff 1e308` printed NumPy's "overflow encountered in multiply" and "invalid value
    encountered in cast" (the gain became inf in float32, and 0 x inf NaN) before writing the sheet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_srgb8(np.array([[[0.0, 1e-30, 0.5, 2.0]]]), gain=1e308).tolist() == [[[0, 255, 255, 255]]]
        assert main(["faces", str(tmp_path / "d.png"), "--seeds", "0", "--aus", "12", "--pose", "yaw=2", "--size", "32",
                     "--diff", "1e308"]) == 0
    out, err = capsys.readouterr()
    assert (out.strip(), err) == (f"wrote {tmp_path / 'd.png'} (1 face x 3 columns)", "")


def test_faces_replaces_an_earlier_sheet_but_not_a_photo_of_the_users(tmp_path, capsys):
    """`evface faces me.png` (meaning --photo me.png) replaced the user's photo with a contact sheet:
    any existing .png was replaced."""
    photo = tmp_path / "me.png"
    cv2.imwrite(str(photo), data.astronaut()[:, :, ::-1])
    before = photo.read_bytes()
    args = ["--seeds", "0", "--aus", "12", "--pose", "yaw=2", "--size", "32"]
    for given in (["faces", str(photo), *args], ["faces", str(photo), *args, "--photo", str(photo)]):
        assert main(given) == 2
        assert capsys.readouterr().err.strip() == (f"error: {photo}: exists and is not a contact sheet evface wrote "
                                                   "(sheets written before 2026-12-05 carry no mark of it), which this "
                                                   "command would write over; give OUT another name, or move or "
                                                   "delete the file")
        assert photo.read_bytes() == before
    sheet = tmp_path / "sheet.png"
    assert main(["faces", str(sheet), *args]) == 0 and main(["faces", str(sheet), *args, "--seeds", "1"]) == 0
    assert cv2.imread(str(sheet)).shape == (32, 96, 3) and sorted(p.name for p in tmp_path.iterdir()) == ["me.png",
                                                                                                          "sheet.png"]


@pytest.mark.parametrize("image", [
    (data.astronaut().astype(np.uint16) * 257),  # a 16-bit photo: every pixel >= 1, drawn white, "no face"
    data.astronaut().astype(np.int64),  # 0-255 as int: likewise
    np.where(data.astronaut() > 0, np.nan, 0.5),  # NaN: NumPy's "invalid value encountered in cast"
    data.astronaut()[None],  # (1, H, W, 3): no face, without a word
    data.astronaut()[..., :1],  # (H, W, 1): OpenCV's "Bad number of channels"
    data.astronaut()[0, :, 0],  # (W,)
])
def test_detect_faces_refuses_an_image_it_would_misread(image):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormatError, match=r"^expected an \(H, W\) or \(H, W, 3\) image of uint8, or of finite floats "
                                              rf"in \[0, 1\], got {image.dtype} {re.escape(str(image.shape))}$"):
            detect_faces(image)
    assert detect_faces(data.astronaut()).tolist() == [[177, 67, 93, 93]]
    assert detect_faces(data.astronaut() / 255.0).shape[1] == 4  # linear floats in [0, 1] are taken


@pytest.mark.parametrize(("args", "says"), [
    (("--pose", "yaw=4,yaw=-4"), "--pose: 'yaw=4,yaw=-4' names yaw twice; give each angle of a column once"),
    (("--pose", "Pitch=1, pitch=2"), "--pose: 'Pitch=1, pitch=2' names pitch twice; give each angle of a column once"),
    (("--seeds", "3,1,3"), "--seeds: '3,1,3' names seed 3 twice; give each identity once"),
    (("--photo", "face.png", "--photo", "link.png"), "link.png: is the --photo face.png again; give each photo once"),
    (("--aus", " + "), "--aus: ' + ' names no AU, a column that would repeat the neutral face; give e.g. '12'"),
    (("--pose", ""), "--pose: '' names no angle, a column that would repeat the neutral face; give e.g. 'yaw=4'"),
])
def test_faces_refuses_a_pose_angle_or_seed_given_twice_or_an_empty_column(tmp_path, monkeypatch, capsys, args,
                                                                          says):
    """The last angle was drawn and the first dropped; a seed or a photo twice drew the same face in
    two rows; an empty --aus or --pose drew the neutral face again."""
    monkeypatch.chdir(tmp_path)
    cv2.imwrite("face.png", data.astronaut()[..., ::-1])
    Path("link.png").symlink_to("face.png")
    assert main(["faces", "f.png", "--seeds", "0", "--aus", "12", "--size", "32", *args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["face.png", "link.png"]


@pytest.mark.parametrize(("crop", "size", "crops"), [("32", "16", ""), ("40", "40", ", or 16 to 39 for crops"),
                                                   ("64", "32", ", or 16 to 31 for crops")])
def test_train_reconstruct_refuses_a_crop_that_is_the_whole_image(tmp_path, capsys, crop, size, crops):
    """`--crop 32 --size 16` trained on whole images without a word (a crop that does not fit is no crop)."""
    data = tmp_path / "data"
    make_recon_dataset(data)
    assert main(["train", "reconstruct", "--data", str(data), "--out", str(tmp_path / "run"), "--size", size,
                 "--crop", crop, "--epochs", "1"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --crop {crop}: not smaller than --size {size}, so training would "
                                               f"take whole images; give --crop 0 for whole images{crops}")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("target_exists", [True, False])
def test_an_out_that_is_a_symbolic_link_is_refused_naming_it(tmp_path, capsys, target_exists):
    """`faces link.png` (and every command writing one file) replaced the link by a regular file and
    left the file it names as it was."""
    target = tmp_path / "sheets" / "faces.png"
    target.parent.mkdir()
    if target_exists:
        target.write_bytes(b"an earlier sheet")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert main(["faces", str(link), "--seeds", "0", "--aus", "12", "--size", "32"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {link}: is a symbolic link to {target}; the file is written beside it and renamed onto it, which "
        "would replace the link: give OUT the file the link names, or a new name")
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["link.png", "sheets"]
    assert (target.read_bytes() == b"an earlier sheet") if target_exists else not target.exists()


def test_faces_reads_photos_as_synth_does(tmp_path, capsys):
    """`faces --photo` read with cv2.imread alone: a JPEG cut short was drawn (its missing rows
    grey), and a face at the photo's edge beside its mirror image without a word."""
    whole = tmp_path / "whole.jpg"
    cv2.imwrite(str(whole), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert main(["faces", str(tmp_path / "f.png"), "--seeds", "0", "--size", "32", "--photo", str(cut)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {cut}: corrupt or cut short (") and "\n" not in err
    assert not (tmp_path / "f.png").exists()
    edge = tmp_path / "edge.png"
    cv2.imwrite(str(edge), cv2.cvtColor(np.ascontiguousarray(data.astronaut()[:, 170:]), cv2.COLOR_RGB2BGR))
    assert main(["faces", str(tmp_path / "f.png"), "--seeds", "0", "--size", "32", "--photo", str(edge)]) == 0
    out, err = capsys.readouterr()
    said = " ".join(err.split())  # the console wraps long lines
    assert said.startswith(f"warning: {edge}: the face runs past the photo's left edge") and "mirrored" in said


def test_export_nir_keeps_a_graph_made_at_out_while_it_worked(tmp_path, capsys, monkeypatch):
    """The check that OUT replaces nothing without --force ran before the export; a file made there
    meanwhile (a second export-nir of the same name) was renamed over."""
    pytest.importorskip("nir")
    import evface.models.export_nir as export_nir

    run, graph = _snn_run(tmp_path / "run"), tmp_path / "m.nir"

    def meanwhile(model, dt):
        graph.write_bytes(b"a newcomer's graph")
        return to_nir(model, dt)

    monkeypatch.setattr(export_nir, "to_nir", meanwhile)
    assert main(["export-nir", str(run), str(graph)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {graph}: exists; give OUT another name, or add --force to replace it"
    assert graph.read_bytes() == b"a newcomer's graph" and sorted(p.name for p in tmp_path.iterdir()) == ["m.nir", "run"]
    assert main(["export-nir", str(run), str(graph), "--force"]) == 0
    assert graph.read_bytes().startswith(b"\x89HDF")


def test_faces_keeps_a_file_made_at_out_while_it_rendered_unless_a_sheet(tmp_path, capsys, monkeypatch):
    """OUT was checked before rendering: a photo saved there meanwhile was renamed over by the sheet.
    One made there meanwhile is treated as one there before: a sheet evface wrote is replaced."""
    import evface.face.preview as preview

    sheet = tmp_path / "sheet.png"
    args = ["faces", str(sheet), "--seeds", "0", "--aus", "12", "--pose", "yaw=2", "--size", "32"]
    assert main(args) == 0
    earlier = sheet.read_bytes()
    sheet.unlink()
    contact_sheet = preview.contact_sheet

    def meanwhile(*given, **options):
        sheet.write_bytes(newcomer)
        return contact_sheet(*given, **options)

    monkeypatch.setattr(preview, "contact_sheet", meanwhile)
    newcomer = cv2.imencode(".png", np.zeros((2, 2, 3), np.uint8))[1].tobytes()  # a photo, no sheet
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (f"error: {sheet}: exists and is not a contact sheet evface wrote "
                                               "(sheets written before 2026-12-05 carry no mark of it), which this "
                                               "command would write over; give OUT another name, or move or "
                                               "delete the file")
    assert sheet.read_bytes() == newcomer and sorted(p.name for p in tmp_path.iterdir()) == ["sheet.png"]
    newcomer = earlier[:-1] + b"\0"  # another faces' sheet (damaged, to tell it apart)
    sheet.unlink()
    assert main(args) == 0 and sheet.read_bytes() == earlier



def _writing_under(command: str, runs: Path, out: Path) -> list[str]:
    """The arguments of ``command`` writing ``out`` from inputs made under ``runs``."""
    from evface.tasks.class_compare import PREDICTION_COLUMNS
    from report_fixtures import make_fake_run

    if command == "compare":
        for run in ("a", "b"):
            (runs / run).mkdir(parents=True)
            (runs / run / "predictions.csv").write_text(
                ",".join(c for c in PREDICTION_COLUMNS if not c.endswith("_us")) + "\n"
                + "".join(f"c{i},s{i % 3},dim,L{i % 2},L{i % 2}\n" for i in range(12)))
        return ["compare", str(runs / "a"), str(runs / "b"), "--out", str(out)]
    if command == "export-nir":
        runs.mkdir()
        return ["export-nir", str(_snn_run(runs)), str(out)]
    if command == "report":
        return ["report", str(make_fake_run(runs)), "--out", str(out)]
    return ["faces", str(out), "--seeds", "0"]


@pytest.mark.parametrize("command, name", [("compare", "c.json"), ("export-nir", "g.nir"), ("faces", "f.png"),
                                           ("report", "r.html")])
def test_a_failed_write_leaves_no_folder_made_for_the_output(tmp_path, monkeypatch, command, name):
    """A file output under missing folders (``compare --out new/sub/c.json``, ``export-nir RUN new/sub/g.nir``,
    ``faces new/sub/f.png``, ``report --out new/sub/r.html``): the folders are made, as ``convert`` and
    ``simulate`` make them, and removed again when the write fails, as theirs are (was: left behind, empty)."""
    from evface.io import atomic_files

    if command == "export-nir":
        pytest.importorskip("nir")
    args = _writing_under(command, tmp_path / "runs", tmp_path / "new" / "sub" / name)

    def disk_full(tmp, path, replace=True):
        raise OSError(28, "No space left on device", str(tmp))

    monkeypatch.setattr(atomic_files, "publish", disk_full)
    assert main(args) != 0
    assert not (tmp_path / "new").exists()
