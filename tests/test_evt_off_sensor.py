"""Prophesee files (EVT 2.0, 2.1, 3.0, DAT) whose events lie off the sensor size their header
states, or the size given with --sensor-size: one line naming the file, the first such event and
what to change, exit 2 (was: faery's "x overflow (x=500 must be strictly smaller than width=320)",
no event named, "the file is corrupt, truncated or not this format")."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.events.core import make_events
from evface.io.event_writer import write_events_file
from evface.io.formats import read_prophesee_header

VERSIONS = [("a.raw", "evt3"), ("a.raw", "evt2"), ("a.raw", "evt2.1"), ("a.dat", None)]
IDS = ["evt3", "evt2", "evt2.1", "dat"]
OFF = 300  # the index of the first event off 320x240, at a time past several time-high words of each format
STEP_US = 20_011
T_OFF = OFF * STEP_US


def _recording(tmp_path: Path, name: str, version: str | None) -> Path:
    """A 640x480 recording whose events lie in 320x240 up to event OFF, at x=500, y=400."""
    n = 400
    t = np.arange(n, dtype=np.int64) * STEP_US
    x, y = np.arange(n) % 300, np.arange(n) % 200
    x[OFF:], y[OFF:] = 500, 400
    events = make_events(t, x, y, np.where(np.arange(n) % 2, 1, -1))
    return write_events_file(tmp_path / "src" / name, events, (640, 480), **({"version": version} if version else {}))


def _edited(path: Path, replace: list[tuple[bytes, bytes]], out: Path) -> Path:
    data = path.read_bytes()
    end = read_prophesee_header(path)[1]
    header = data[:end]
    for old, new in replace:
        header = re.sub(old, new, header)
    out.write_bytes(header + data[end:])
    return out


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(("name", "version"), VERSIONS, ids=IDS)
def test_events_off_the_size_the_header_states_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          name: str, version: str | None) -> None:
    """`% geometry 320x240` (and the format or DAT size lines) on a 640x480 recording."""
    src = _recording(tmp_path, name, version)
    small = _edited(src, [(rb"width=640;height=480", b"width=320;height=240"), (rb"640x480", b"320x240"),
                          (rb"% Width 640", b"% Width 320"), (rb"% Height 480", b"% Height 240")], tmp_path / name)
    says = (f"error: {small}: event {OFF} at t={T_OFF} µs (x=500, y=400) lies outside the 320x240 sensor its header "
            "states: a header that understates its sensor")
    for argv in (["info", str(small)], ["convert", str(small), str(tmp_path / "o.h5")]):
        code, errors = _run(argv, capsys)
        assert code == 2 and len(errors) == 1 and errors[0].startswith(says), errors
        assert "correct the header's size lines" in errors[0]
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize(("name", "version"), VERSIONS, ids=IDS)
def test_events_off_a_given_sensor_size_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  name: str, version: str | None) -> None:
    """A header without a size line read with --sensor-size too small: the event and the option."""
    src = _recording(tmp_path, name, version)
    bare = _edited(src, [(rb"% format [^\n]*\n", b"% format " + (version or "").upper().encode() + b"\n"),
                         (rb"% geometry [^\n]*\n", b""), (rb"% (Width|Height) [^\n]*\n", b"")], tmp_path / name)
    says = (f"error: {bare}: event {OFF} at t={T_OFF} µs (x=500, y=400) lies outside the 320x240 sensor: the sensor "
            "size 320x240 was given (--sensor-size), not read from the file, and events outside it do not decode: give "
            "the sensor's full size with --sensor-size WxH")
    code, errors = _run(["convert", str(bare), str(tmp_path / "o.h5"), "--sensor-size", "320x240"], capsys)
    assert code == 2 and len(errors) == 1 and errors[0].startswith(says), errors
    assert not (tmp_path / "o.h5").exists()
    assert _run(["convert", str(bare), str(tmp_path / "o.h5"), "--sensor-size", "640x480"], capsys)[0] == 0


@pytest.mark.parametrize("version", ["evt3", "evt2", "evt2.1"])
def test_events_off_the_camera_plugins_size_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      version: str) -> None:
    """A header of no size line naming the Gen3 plugin (640x480, a guess) on a wider recording."""
    events = make_events([0, 10, 20], [3, 700, 5], [2, 100, 7], [1, -1, 1])
    src = write_events_file(tmp_path / "src" / "a.raw", events, (1280, 720), version=version)
    path = _edited(src, [(rb"% format [^\n]*\n", b"% plugin_name hal_plugin_gen3_fx3\n"),
                         (rb"% geometry [^\n]*\n", b"")], tmp_path / "a.raw")
    code, errors = _run(["info", str(path)], capsys)
    assert code == 2 and errors == [
        f"error: {path}: event 1 at t=10 µs (x=700, y=100) lies outside the 640x480 sensor of the camera plugin its "
        "header names (hal_plugin_gen3_fx3; no size line): give the sensor's full size with --sensor-size WxH "
        "(sensor_size=(width, height) from Python)"], errors
    assert _run(["info", str(path), "--sensor-size", "1280x720"], capsys)[0] == 0
