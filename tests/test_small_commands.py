"""Hostile-user checks of the small commands (``evface info``, ``faces``, ``bench``, ``export-nir``)
found by probing them: each test fails without the fix it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evface.cli import main
from evface.events.core import make_events
from evface.io.event_writer import write_events_file
from evface.io.file_info import file_info


@pytest.mark.parametrize("name", ["rec.raw", "rec.csv", "rec.h5"])
def test_info_gives_no_rate_for_events_all_at_one_time(tmp_path, capsys, name):
    """A file whose events share one time (one event, or a burst of one timestamp) was said to have a
    mean rate of 0 events/s, beside a count of events: the rate over no time is none."""
    path = write_events_file(tmp_path / name, make_events([7, 7, 7], [0, 1, 2], [0, 0, 0], [1, -1, 1]), (8, 6))
    assert file_info(path)["mean_rate_hz"] is None
    assert main(["info", str(path)]) == 0
    rate = next(line for line in capsys.readouterr().out.splitlines() if "mean rate" in line)
    assert "n/a: all 3 events at 7 µs" in rate
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mean_rate_hz"] is None


def test_info_of_a_header_only_file_keeps_a_rate_of_zero(tmp_path, capsys):
    """No events over no time: the rate is 0 (as before), and the table says the file holds a header only."""
    path = write_events_file(tmp_path / "rec.raw", make_events([], [], [], []), (8, 6))
    assert file_info(path)["mean_rate_hz"] == 0.0
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0: the file holds a header and no events" in out and "0.000 M events/s" in out


def test_info_of_a_clip_refuses_a_sensor_size_its_sensor_disagrees_with(tmp_path, capsys):
    """``info CLIP --sensor-size 9x9`` was ignored without a word (the clip's 8x6 shown), where
    ``convert CLIP ... --sensor-size 9x9`` and ``info`` of any other file with a size refuse it."""
    path = write_events_file(tmp_path / "c.h5", make_events([1, 2], [0, 1], [0, 0], [1, 1]), (8, 6))
    assert main(["info", str(path), "--sensor-size", "9x9"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {path}: the file gives the sensor size 8x6, and the 9x9 given "
                                               "(--sensor-size, sensor_size=) disagrees: leave it out")
    assert main(["info", str(path), "--sensor-size", "8x6", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sensor_size"] == [8, 6]


def test_faces_names_a_photo_that_is_not_there(tmp_path, capsys):
    """``faces --photo me.jpg`` of a name that is not there said "unreadable or corrupt image", as of a
    damaged file: the photo is missing (a typo, another folder), not corrupt."""
    photo = tmp_path / "me.jpg"
    assert main(["faces", str(tmp_path / "sheet.png"), "--seeds", "0", "--photo", str(photo)]) == 2
    err = capsys.readouterr().err.strip()  # and, in brackets, OpenCV's line where its log level shows it
    assert err == f"error: {photo}: no such file" or err.startswith(f"error: {photo}: no such file (") and "\n" not in err
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == []


def test_an_output_folder_that_takes_no_new_file_is_named_with_the_output(tmp_path, capsys, monkeypatch):
    """A folder that the check before any work passes (``os.access``) but that takes no new file when the
    output is written (made read-only meanwhile, an NFS export that squashes root, ``/proc``) was named
    only by the temporary file the output is written as: ``error: out/sheet.png.HOST-PID-RANDOM.tmp:
    Permission denied``, a name the user never gave."""
    import errno
    import os

    from evface.io import temporary_files

    real_open = os.open

    def read_only_folder(name, flags, mode=0o777):
        if not os.fspath(name).endswith(".tmp"):
            return real_open(name, flags, mode)
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(name))

    monkeypatch.setattr(temporary_files.os, "open", read_only_folder)
    out = tmp_path / "sheet.png"
    assert main(["faces", str(out), "--seeds", "0", "--aus", "12", "--pose", "yaw=4", "--size", "16"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {out}: Permission denied (writing its temporary file sheet.png.")
    assert err.endswith(".tmp beside it); give an output in a folder this user may write to") and "\n" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "option", "ending"), [(["faces", "--seeds", "0"], "OUT", ".png"),
                                                       (["bench", "io", "--out"], "--out", ".json")])
def test_an_output_named_by_its_ending_alone_is_asked_for_a_name(tmp_path, capsys, argv, option, ending):
    """``faces .png`` (``bench --out .json``, ``export-nir RUN .nir``: a hidden file of no extension) was
    told to "give it a .png name", the name it had been given."""
    out = tmp_path / ending
    assert main([*argv, str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {option}: {out} is a hidden file of no extension, not a "
                                               f"name ending in {ending}; give it a name before {ending}, such as "
                                               f"x{ending}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("column", ["12:0", "6:0+12:0", "R14:0"])
def test_faces_refuses_an_au_column_of_no_intensity(tmp_path, capsys, column):
    """``--aus 12:0`` drew a second neutral column, where ``--pose yaw=0`` and an empty ``--aus`` are refused."""
    out = tmp_path / "sheet.png"
    assert main(["faces", str(out), "--seeds", "0", "--aus", column, "--size", "16"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --aus: {column!r} moves no AU (every intensity 0), a column "
                                               "that would repeat the neutral face; give e.g. '12' or '12:0.5'")
    assert not out.exists()


@pytest.mark.parametrize("model", ["", "/", " "])
def test_export_nir_refuses_a_model_of_no_name(tmp_path, capsys, model):
    """``export-nir RUN OUT --model ''`` (a variable left unset) exported the run's only model, where
    ``--model x`` is refused: the empty name matched the run folder's own, ``.``, by its name ``''``."""
    pytest.importorskip("nir")
    from evface.models.snn import NetConfig, SpikingCNN
    from evface.tasks import checkpoints, run_folder

    net = NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)
    run_folder.save_config(tmp_path / "run", {"task": "classify", "model": "snn", "net": net.to_dict()})
    checkpoints.save_checkpoint(tmp_path / "run" / "best.pt", {"model": SpikingCNN(net).state_dict()})
    assert main(["export-nir", str(tmp_path / "run"), str(tmp_path / "g.nir"), "--model", model]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --model {model!r}: names no model; give one of the run's "
                                               "models by its folder (e.g. fold1-s0), or leave --model out")
    assert not (tmp_path / "g.nir").exists()


@pytest.mark.parametrize("photo", [False, True])
def test_faces_refuses_a_range_of_seeds_that_runs_backwards(tmp_path, capsys, photo):
    """``--seeds 5-2`` was an empty range: "names no identity", and beside ``--photo`` a sheet of the
    photo alone without a word."""
    argv = ["faces", str(tmp_path / "sheet.png"), "--seeds", "5-2", "--size", "16"]
    assert main([*argv, "--astronaut"] if photo else argv) == 2
    assert capsys.readouterr().err.strip() == ("error: --seeds: '5-2' runs backwards; give the range low to high, "
                                               "e.g. '2-5'")
    assert not (tmp_path / "sheet.png").exists()
