"""An EVT body under the header of another EVT version (a mislabelled file): refused in one line
naming the version its words read as (was: what the wrong decoder met, "the time high steps from
0x9BB to 0x1BA ...", "2 trailing bytes after the last whole 4-byte evt2 word", "x overflow")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.events.core import make_events
from evface.io.event_checks import refuse_mislabelled_body
from evface.io.event_writer import write_events_file
from evface.io.formats import read_prophesee_header

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"
HEADERS = {"evt3": b"% evt 3.0\n% format EVT3;width=640;height=480\n% end\n",
           "evt2": b"% evt 2.0\n% format EVT2;width=640;height=480\n% end\n",
           "evt2.1": b"% evt 2.1\n% format EVT21;width=640;height=480\n% end\n"}
NAMES = {"evt3": "EVT 3.0", "evt2": "EVT 2.0", "evt2.1": "EVT 2.1"}


def _errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]


def _body(tmp_path: Path, version: str, n: int) -> bytes:
    rng = np.random.default_rng(7)
    t = np.sort(rng.integers(0, 3_000_000, n))
    events = make_events(t, rng.integers(0, 640, n), rng.integers(0, 480, n), rng.choice([-1, 1], n))
    path = write_events_file(tmp_path / f"{version}.raw", events, (640, 480), version=version)
    return path.read_bytes()[read_prophesee_header(path)[1]:]


def test_the_real_evt2_recording_under_an_evt3_header_is_named_mislabelled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """faery_evt2.raw with its '% evt 2.0' line made '% evt 3.0'; was "the time high steps from 0x9BB
    to 0x1BA at byte 374, which the EVT 3.0 decoder evface uses (faery 0.7.1) would not follow"."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    data = (REAL / "faery_evt2.raw").read_bytes()
    path = tmp_path / "rec.raw"
    path.write_bytes(data.replace(b"% evt 2.0", b"% evt 3.0", 1))
    for argv in (["info", str(path)], ["convert", str(path), str(tmp_path / "o.h5")]):
        code, errors = _errors(argv, capsys)
        assert code == 2 and len(errors) == 1, errors
        assert errors[0].startswith(f"error: {path}: the header says EVT 3.0, but its events do not read as EVT 3.0 ")
        assert "and read as EVT 2.0" in errors[0] and "a mislabelled file" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.raw"]


@pytest.mark.parametrize(("body", "header"), [("evt3", "evt2"), ("evt3", "evt2.1"), ("evt2.1", "evt3"),
                                              ("evt2.1", "evt2"), ("evt2", "evt3"), ("evt2", "evt2.1")])
@pytest.mark.parametrize("n", [2000, 2001])
def test_a_body_under_another_versions_header_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       body: str, header: str, n: int) -> None:
    """Each way round, whether or not the body is a whole number of the header's words (was:
    "N trailing bytes after the last whole word", or what the decoder met)."""
    path = tmp_path / "rec.raw"
    path.write_bytes(HEADERS[header] + _body(tmp_path, body, n))
    code, errors = _errors(["info", str(path)], capsys)
    assert code == 2 and len(errors) == 1, errors
    assert f"the header says {NAMES[header]}, but its events do not read as {NAMES[header]}" in errors[0]
    assert f"read as {NAMES[body]}" in errors[0] or f"or {NAMES[body]}" in errors[0]


def test_the_real_evt2_recording_under_an_evt21_header_is_named_mislabelled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """faery_evt2.raw with its '% evt 2.0' line made '% evt 2.1': each 64-bit word is two EVT 2.0
    words, whose types and time highs pass as EVT 2.1 (the high word is laid out as a 2.1 word's top
    half, the low one taken for a validity mask); was "event 48522 at t=913716543 µs (x=646, y=300)
    lies outside the 640x480 sensor of the camera plugin its header names ... give the sensor's full
    size with --sensor-size WxH", and on a 1280x720 sensor 3,330,838 events from 0 to 913 s without a
    word, where it holds 521,252 over 10 s."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    data = (REAL / "faery_evt2.raw").read_bytes()
    path = tmp_path / "rec.raw"
    path.write_bytes(data.replace(b"% evt 2.0", b"% evt 2.1", 1))
    for argv in (["info", str(path)], ["convert", str(path), str(tmp_path / "o.h5")],
                 ["info", str(path), "--sensor-size", "1280x720"]):
        code, errors = _errors(argv, capsys)
        assert code == 2 and len(errors) == 1, errors
        assert errors[0].startswith(f"error: {path}: the header says EVT 2.1, but its events do not read as EVT 2.1 ")
        assert "8,171 validity masks" in errors[0] and "and read as EVT 2.0:" in errors[0], errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.raw"]


def test_an_evt21_body_of_a_narrow_sensor_is_not_taken_for_evt2(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An EVT 2.1 recording of a sensor 28 columns wide (its masks never set the bits EVT 2.0 keeps
    for types other than 0x0, 0x1 and 0x8), cut inside a word: its words read as EVT 2.0 types too,
    but as EVT 2.0 events they lie off the sensor, so it is named truncated, not mislabelled."""
    rng = np.random.default_rng(3)
    n = 5000
    events = make_events(np.sort(rng.integers(0, 1_000_000, n)), rng.integers(0, 28, n), rng.integers(0, 480, n),
                         rng.choice([-1, 1], n))
    header = b"% evt 2.1\n% format EVT21;width=28;height=480\n% end\n"
    path = tmp_path / "rec.raw"
    full = write_events_file(tmp_path / "full.raw", events, (28, 480), version="evt2.1")
    path.write_bytes(header + full.read_bytes()[read_prophesee_header(full)[1]:][:-4])
    code, errors = _errors(["info", str(path)], capsys)
    assert code == 2 and len(errors) == 1 and "truncated: 4 trailing bytes" in errors[0], errors


def test_a_file_of_its_headers_version_is_read(tmp_path: Path) -> None:
    """The check runs where the decoder meets trouble only, and passes a body of the version named."""
    for version in HEADERS:
        path = tmp_path / "ok.raw"
        path.write_bytes(HEADERS[version] + _body(tmp_path, version, 2000))
        refuse_mislabelled_body(path, version, len(HEADERS[version]))
