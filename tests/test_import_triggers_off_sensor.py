"""The trigger pass of an EVT 2.0/3.0 file whose events lie off its header's sensor size (or the size
given with --sensor-size) names the first such event and what to change, as evface's event reader
does (was: "cannot read trigger events (x overflow (x=500 must be strictly smaller than
width=320))", faery's words, no event named)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from evface.cli import main
from evface.datasets.importers.sync_triggers import read_triggers
from evface.errors import FormatError
from evface.events.core import make_events
from evface.io.event_writer import write_events_file
from evface.io.formats import read_prophesee_header

OFF = 300  # the first event off 320x240
STEP_US = 20_011
SAYS = f"event {OFF} at t={OFF * STEP_US} µs (x=500, y=400) lies outside the 320x240 sensor"


def _recording(tmp_path: Path, version: str, header: list[tuple[bytes, bytes]]) -> Path:
    """A 640x480 recording whose events lie in 320x240 up to event OFF, its header edited by ``header``."""
    n = 400
    x, y = np.arange(n) % 300, np.arange(n) % 200
    x[OFF:], y[OFF:] = 500, 400
    events = make_events(np.arange(n, dtype=np.int64) * STEP_US, x, y, np.where(np.arange(n) % 2, 1, -1))
    src = write_events_file(tmp_path / "src" / "a.raw", events, (640, 480), version=version)
    data, end = src.read_bytes(), read_prophesee_header(src)[1]
    text = data[:end]
    for old, new in header:
        text = re.sub(old, new, text)
    (out := tmp_path / "a.raw").write_bytes(text + data[end:])
    return out


STATED = [(rb"width=640;height=480", b"width=320;height=240"), (rb"640x480", b"320x240")]


@pytest.mark.parametrize("version", ["evt3", "evt2"])
def test_triggers_of_a_file_with_events_off_its_header_size_name_the_event(tmp_path, version):
    path = _recording(tmp_path, version, STATED)
    with pytest.raises(FormatError) as caught:
        read_triggers(path, (320, 240))
    assert str(caught.value).startswith(f"{path}: {SAYS} its header states: a header that understates its sensor")
    assert "correct the header's size lines" in str(caught.value)


@pytest.mark.parametrize("version", ["evt3", "evt2"])
def test_triggers_of_a_file_with_events_off_a_given_size_name_the_event_and_the_option(tmp_path, version):
    path = _recording(tmp_path, version, [(rb"% format [^\n]*\n", b"% format " + version.upper().encode() + b"\n"),
                                          (rb"% geometry [^\n]*\n", b"")])
    with pytest.raises(FormatError) as caught:
        read_triggers(path, (320, 240))
    assert str(caught.value).startswith(f"{path}: {SAYS}: the sensor size 320x240 was given (--sensor-size), not read "
                                        "from the file, and events outside it do not decode: give the sensor's full "
                                        "size with --sensor-size WxH")
    assert read_triggers(path, (640, 480)).size == 0


def test_import_session_whose_trigger_pass_meets_an_event_off_the_sensor_names_it(tmp_path, capsys):
    """``--sync auto`` reads the pulses before the video's scan, by faery's decoder."""
    path = _recording(tmp_path, "evt3", STATED)
    writer = cv2.VideoWriter(str(tmp_path / "rgb.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for k in range(10):
        writer.write(np.full((48, 64, 3), 20 * k, np.uint8))
    writer.release()
    (tmp_path / "ann.csv").write_text("subject,start_us,onset_us,apex_us,offset_us,end_us,aus\ns,0,1,2,3,4,1\n")
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={path}", "--rgb", str(tmp_path / "rgb.avi"),
                 "--annotations", str(tmp_path / "ann.csv"), "--no-faces", "--face-box", "1,1,10,10",
                 "--homography", "hd=nominal"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: {SAYS} its header states"), err
    assert not (tmp_path / "ds").exists()
