"""Real camera files renamed, cut and joined as a hostile user would: a recording without its
extension (or named ``.bin``) read by the format its content states, EVT 3.0 files joined on a
wide sensor, Event Stream files joined or cut inside their header, and ``.raw`` and ``.es`` files
cut inside a word or an event naming the byte (docs/file-formats.md, "Bad input"). Cut or joined
copies of ``../shared/real-events`` are made in ``tmp_path``; the tests that need them skip
without that folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.errors import FormatError
from evface.events.core import make_events
from evface.io.event_reader import read_events_file
from evface.io.event_writer import write_events_file
from evface.io.formats import detect_format, read_prophesee_header

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"
NCARS_SIZE = (304, 240)


def _real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


def _events(size: tuple[int, int], n: int = 600, seed: int = 0, later_by: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 400_000, n)) + later_by
    return make_events(t, rng.integers(0, size[0], n), rng.integers(0, size[1], n), rng.choice([-1, 1], n), size)


@pytest.mark.parametrize("name", ["faery_evt2.raw", "tonic_sample.aedat4", "faery_dvs.es", "tonic_sample_ncars.dat"])
@pytest.mark.parametrize("renamed", ["recording", "recording.bin"])
def test_a_recording_renamed_without_its_extension_is_read_by_its_content(
        name: str, renamed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: "recording: unknown extension '(none)'; expected one of .aedat, ...", though the
    Prophesee header (``% evt 2.0``, ``% Version 2``) or the magic bytes say what the file is."""
    source = _real(name)
    size = ["--sensor-size", "304x240"] if name.endswith(".dat") else []
    copy = Path(shutil.copy(source, tmp_path / renamed))
    expected = detect_format(source)
    assert detect_format(copy) == expected
    kw = {"sensor_size": NCARS_SIZE} if size else {}
    back, _ = read_events_file(copy, **kw)
    ref, _ = read_events_file(source, **kw)
    np.testing.assert_array_equal(back, ref)
    code, err = _cli(["info", str(copy), "--json", *size], capsys)
    assert (code, err) == (0, "")
    out = tmp_path / "o.h5"
    code, err = _cli(["convert", str(copy), str(out), *size], capsys)
    assert code == 0 and f"wrote {ref.size:,} events to {out} (clip)" in err
    np.testing.assert_array_equal(read_events_file(out)[0], ref)


def test_an_evt3_file_renamed_keeps_its_version(tmp_path: Path) -> None:
    """An EVT 3.0 ``.raw`` named ``rec`` or ``rec.bin`` is read as EVT 3.0, its header's version
    (was: "unknown extension"); a ``.dat`` name still says to name it ``.raw``."""
    ev = _events((1280, 720))
    path = write_events_file(tmp_path / "a.raw", ev, (1280, 720))
    for name in ("rec", "rec.bin"):
        copy = Path(shutil.copy(path, tmp_path / name))
        assert detect_format(copy) == "evt3"
        np.testing.assert_array_equal(read_events_file(copy)[0], ev)
    with pytest.raises(FormatError, match=r"the extension says \.dat but the header is a Prophesee RAW file's "
                                          r"\(evt3\): name it \.raw"):
        detect_format(shutil.copy(path, tmp_path / "rec.dat"))


def test_a_file_without_extension_whose_content_states_no_format_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV or text without extension is refused naming the file, the extensions and what content
    would do; an AEDAT 2.0 file without one says what it is (was: "unknown extension")."""
    text = tmp_path / "notes"
    text.write_text("t,x@4,y@4,on\n1,1,1,1\n")
    code, err = _cli(["info", str(text)], capsys)
    assert code == 2 and err.startswith(f"error: {text}: unknown extension '(none)'; expected one of .aedat, ")
    assert err.endswith("or content that states its format (a Prophesee '%' header naming its EVT version or DAT "
                        "Version; AEDAT 4, Event Stream or HDF5 magic bytes), which this file lacks\n")
    old = tmp_path / "old"
    old.write_bytes(b"#!AER-DAT2.0\r\n# This is a raw AE data file\r\n")
    code, err = _cli(["info", str(old)], capsys)
    assert (code, err) == (2, f"error: {old}: an AEDAT 2.0 file (jAER or cAER): not supported, evface reads AEDAT 4 "
                              "(convert it to AEDAT 4 with DV or dv-processing first)\n")


@pytest.mark.parametrize("size", [(1920, 1080), (2048, 2048)])
def test_evt3_files_joined_on_a_wide_sensor_are_refused(size: tuple[int, int], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Two EVT 3.0 recordings joined end to end (``cat a.raw b.raw``), the second's times after the
    first's, on a sensor where the second header's text decodes as events: was read as one file of
    1,215 events, 15 of them the header's text, exit 0."""
    a = write_events_file(tmp_path / "a.raw", _events(size), size)
    b = write_events_file(tmp_path / "b.raw", _events(size, seed=1, later_by=500_000), size)
    joined = tmp_path / "joined.raw"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    at = a.stat().st_size
    code, err = _cli(["convert", str(joined), str(tmp_path / "o.csv")], capsys)
    assert (code, err) == (2, f"error: {joined}: a second Prophesee header ('% evt 3.0') at byte {at:,}: two files "
                              "joined end to end (as `cat a.raw b.raw` makes them), which no reader decodes as one; "
                              "read or convert each file on its own\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.raw", "b.raw", "joined.raw"]


def test_event_streams_joined_end_to_end_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real ``faery_dvs.es`` joined to itself, and a piece of it cut inside an event joined to
    another: was "cannot decode (x overflow (x=25974 must be strictly smaller than width=320)): the
    file is corrupt, truncated or not this format"."""
    data = _real("faery_dvs.es").read_bytes()
    for first in (data, data[:300_003]):
        joined = tmp_path / "joined.es"
        joined.write_bytes(first + data[:300_000])
        code, err = _cli(["info", str(joined)], capsys)
        assert (code, err) == (2, f"error: {joined}: a second Event Stream header at byte {len(first):,}: two files "
                                  "joined end to end (as `cat a.es b.es` makes them), which no reader decodes as "
                                  "one; read or convert each file on its own\n")


def test_an_event_stream_cut_inside_its_header_says_where(tmp_path: Path) -> None:
    """The real ``faery_dvs.es`` cut at each of its first 19 bytes: was "not an Event Stream file
    (its magic bytes are missing: corrupt or wrong extension)" for the first 11 and "cannot decode
    (failed to fill whole buffer)" inside the sensor size; cut after them, a header of no events."""
    data = _real("faery_dvs.es").read_bytes()
    cut = tmp_path / "cut.es"
    for n in range(1, 20):
        cut.write_bytes(data[:n])
        inside = ("the 12 magic bytes of an Event Stream file" if n < 12 else
                  "its version and type (bytes 12 to 15)" if n < 16 else "its sensor size (bytes 16 to 19)")
        with pytest.raises(FormatError, match=rf"truncated .*the file ends at byte {n}, inside {re.escape(inside)}$"):
            read_events_file(cut)
    cut.write_bytes(data[:20])
    events, size = read_events_file(cut)
    assert (events.size, size) == (0, (320, 240))


def test_an_aedat4_file_cut_inside_its_magic_line_says_where(tmp_path: Path) -> None:
    """The real ``tonic_sample.aedat4`` cut at each of its first 13 bytes, inside its
    ``#!AER-DAT4.0\\r\\n`` line: was "an AEDAT  file (jAER or cAER): not supported" at 9 bytes
    (no version after ``#!AER-DAT``), "not an AEDAT 4 file (its magic bytes are missing ...)" and
    "not an AEDAT 4 file (no '#!AER-DAT4.0' line)" elsewhere."""
    data = _real("tonic_sample.aedat4").read_bytes()
    cut = tmp_path / "cut.aedat4"
    for n in range(1, 14):
        cut.write_bytes(data[:n])
        with pytest.raises(FormatError, match=rf"^{re.escape(str(cut))}: truncated inside its header: the file ends "
                                              rf"at byte {n}, inside "):
            read_events_file(cut)


def test_a_cut_inside_a_word_or_an_event_names_the_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real recordings cut inside a word (EVT 2.0 at 2 bytes past a word, EVT 3.0 at an odd byte) or
    inside an Event Stream event: the byte the last whole word or the cut event begins at and the
    file's end are named (was: "truncated: 2 trailing bytes after the last whole 4-byte evt2 word",
    no byte); ``convert`` writes nothing. A cut on a word boundary reads as the recording's start."""
    evt2 = _real("faery_evt2.raw")
    evt3 = tmp_path / "e3.raw"
    assert main(["convert", str(evt2), str(evt3)]) == 0
    capsys.readouterr()
    es = _real("faery_dvs.es")
    for source, word in ((evt2, 4), (evt3, 2)):
        data = source.read_bytes()
        _, header = read_prophesee_header(source)
        whole, _ = read_events_file(source)
        end = header + word * 1000
        cut = tmp_path / f"cut{source.suffix}"
        cut.write_bytes(data[:end])
        prefix, _ = read_events_file(cut)
        np.testing.assert_array_equal(prefix, whole[:prefix.size])
        cut.write_bytes(data[:end + 1])
        out = tmp_path / "o.h5"
        code, err = _cli(["convert", str(cut), str(out)], capsys)
        fmt = "evt2" if word == 4 else "evt3"
        assert (code, err) == (2, f"error: {cut}: truncated: 1 trailing byte after the last whole {word}-byte {fmt} "
                                  f"word, which ends at byte {end:,} (the file ends at byte {end + 1:,}, inside a "
                                  "word)\n")
        assert not out.exists()
    cut = tmp_path / "cut.es"
    cut.write_bytes(es.read_bytes()[:1_000_003])
    with pytest.raises(FormatError) as caught:
        read_events_file(cut)
    said = re.search(r"truncated: the last event has (\d) of its 5 bytes \(it begins at byte ([\d,]+), the file "
                     r"ends at byte 1,000,003\)$", str(caught.value))
    assert said is not None and int(said[2].replace(",", "")) + int(said[1]) == 1_000_003
