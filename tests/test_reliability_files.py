"""Hostile files and faults: every event-file decoder and writer either works exactly or fails with
one clean :class:`~evface.errors.EvfaceError` naming the file, and never leaves a partial output.

Covers issue 17 (files part): real recordings against what independent readers agree on
(``../shared/real-events/README.md``), absolute camera timestamps, older headers, truncations at
many offsets, random bytes after valid headers, huge and negative values, a full disk (an injected
write error, and a 1 MB tmpfs where mounting is permitted), read-only and unwritable outputs,
overwriting an input or a richer clip. The sweep of corrupted bytes through every decoder is
``test_fuzz_decoders.py`` (in a child process, so that a native abort fails a test).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest

import evface.io.clip_writer as clip_writer
import evface.io.event_writer as event_writer
from evface.cli import main
from evface.errors import EventsError, FormatError
from evface.events.core import make_events
from evface.io.clip_reader import read_clip, read_clip_meta
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.event_reader import read_events_file
from evface.io.event_writer import write_events_file
from evface.io.file_info import file_info
from evface.io.formats import detect_format, read_prophesee_header

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"
SIZE = (64, 48)
DV_ORIGIN = 1_605_537_493_718_345  # UNIX-epoch µs, as AEDAT 4 files from DV carry
TARGETS = [("a.raw", "evt3"), ("a.raw", "evt2"), ("a.raw", "evt2.1"), ("a.dat", None), ("a.aedat4", None),
           ("a.es", None), ("a.csv", None), ("a.h5", None)]
IDS = ["evt3", "evt2", "evt2.1", "dat", "aedat4", "es", "csv", "clip"]
CLEAN = (FormatError, EventsError)


def _events(n: int = 300, origin: int = 0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = origin + np.sort(rng.integers(0, 200_000, n))
    return make_events(t, rng.integers(0, SIZE[0], n), rng.integers(0, SIZE[1], n), rng.choice([-1, 1], n), SIZE)


def _read_or_clean_error(path: Path, **kwargs) -> np.ndarray | None:
    """Read ``path``: the events if it decodes, ``None`` on a clean error; anything else fails the test."""
    try:
        events, size = read_events_file(path, **kwargs)
    except CLEAN as exc:
        assert str(path.name) in str(exc)
        return None
    assert np.all(np.diff(events["t"]) >= 0)
    if events.size:
        assert int(events["x"].max()) < size[0] and int(events["y"].max()) < size[1]
        assert set(np.unique(events["p"]).tolist()) <= {-1, 1}
    return events


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("valid")
    ev = _events()
    return {fmt: write_events_file(root / f"{fmt}_{name}", ev, SIZE, version=version).read_bytes()
            for (name, version), fmt in zip(TARGETS, IDS, strict=True)}


def _suffix(fmt: str) -> str:
    return dict(zip(IDS, [name for name, _ in TARGETS], strict=True))[fmt][1:]


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


# ---------------------------------------------------------------------------------- real files


def _needs_real() -> None:
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")


@pytest.mark.parametrize(("name", "kwargs", "count", "t_first", "t_last", "on"), [
    ("faery_evt2.raw", {}, 521_252, 913_716_224, 913_812_095, 185_861),
    ("tonic_sample.aedat4", {}, 111_954, 1_605_537_493_718_345, 1_605_537_494_308_262, 55_023),
    ("tonic_sample_ncars.dat", {"sensor_size": (304, 240)}, 2009, None, None, None),
    ("faery_dvs.es", {}, 473_225, 0, 999_000, 270_001),
])
def test_real_recordings_match_independent_readers(name, kwargs, count, t_first, t_last, on) -> None:
    _needs_real()
    events, size = read_events_file(REAL / name, **kwargs)
    assert events.size == count
    if t_first is not None:
        assert (int(events["t"][0]), int(events["t"][-1])) == (t_first, t_last)
        assert int(np.sum(events["p"] > 0)) == on
    assert size == {"faery_evt2.raw": (640, 480), "tonic_sample.aedat4": (320, 240),
                    "tonic_sample_ncars.dat": (304, 240), "faery_dvs.es": (320, 240)}[name]


def test_headerless_size_asks_with_the_cli_option(capsys: pytest.CaptureFixture[str]) -> None:
    _needs_real()
    code, err = _cli(["info", str(REAL / "tonic_sample_ncars.dat")], capsys)
    assert code == 2 and "--sensor-size WxH" in err and "Traceback" not in err
    assert _cli(["info", str(REAL / "tonic_sample_ncars.dat"), "--sensor-size", "304x240"], capsys)[0] == 0


@pytest.mark.parametrize(("size", "says"), [
    ("0x0", "error: --sensor-size must be WIDTHxHEIGHT in pixels from 1 to 65536, like 1280x720, got '0x0'"),
    ("99999999999999999999x5", "error: --sensor-size must be WIDTHxHEIGHT in pixels from 1 to 65536, like 1280x720, "
                               "got '99999999999999999999x5'"),  # named the library's sensor_size, not the option
    ("10x10", "the sensor size 10x10 was given (--sensor-size), not read from the file, and events outside it do not "
              "decode: give the sensor's full size"),
])
def test_a_wrong_sensor_size_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], size: str,
                                             says: str) -> None:
    """Was: "invalid sensor size 0x0 in the header", and "the file is corrupt" for a size too small."""
    _needs_real()
    code, err = _cli(["convert", str(REAL / "tonic_sample_ncars.dat"), str(tmp_path / "o.h5"), "--sensor-size", size],
                     capsys)
    errors = [line for line in err.splitlines() if line.startswith("error:")]  # beside the progress line
    assert code == 2 and len(errors) == 1 and says in errors[0] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "content", "size"), [
    ("big.raw", b"% evt 3.0\n% format EVT3;width=70000;height=480\n% end\n", "70000x480"),
    ("big.dat", b"% Version 2\n% Width 99999999999999999999\n% Height 4\n\x0c\x08", "99999999999999999999x4"),
    ("big.csv", b"t,x@70000,y@4,on\n1,2,3,1\n", "70000x4"),
], ids=["evt3", "dat", "csv"])
def test_a_header_whose_sensor_is_wider_than_events_can_address_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, size: str) -> None:
    """Was: `info` printed "sensor size 99999999999999999999x4" (and 70000x480: events address x and y
    0..65535), and `convert` blamed its output ("clip holds sensors up to 65536x65536")."""
    path = tmp_path / name
    path.write_bytes(content)
    says = f"error: {path}: invalid sensor size {size} in the header (each side from 1 to 65536): a corrupt header\n"
    for command in (["info", str(path)], ["convert", str(path), str(tmp_path / "o.h5")]):
        assert _cli(command, capsys) == (2, says)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(("name", "version"), [("a.raw", "evt3"), ("a.raw", "evt2"), ("a.raw", "evt2.1"), ("a.dat", None)],
                         ids=["evt3", "evt2", "evt2.1", "dat"])
@pytest.mark.parametrize("shift", range(2, 10))
def test_two_prophesee_files_joined_end_to_end_are_refused_as_such(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, version: str | None, shift: int) -> None:
    """`cat a.raw a.raw`: the second header was decoded as events, and refused only by luck, said as
    what the luck met: "truncated: 1 trailing byte after the last whole 2-byte evt3 word", "cannot
    decode (x overflow (x=1587 must be strictly smaller than width=64))". A comment line of 2 to 9
    bytes after the first line shifts the body, so that both the word count and the decoder meet
    the second header."""
    joined, says = _joined_to_itself(tmp_path, name, version, shift, SIZE)
    assert _cli(["info", str(joined)], capsys) == (2, says)
    assert _cli(["convert", str(joined), str(tmp_path / "o.h5")], capsys) == (2, says)
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize(("version", "shift", "size"), [("evt2", 3, (2048, 2048)), ("evt2", 7, (1920, 1080)),
                                                        ("evt2.1", 4, (2048, 2048))])
def test_a_join_whose_second_header_decodes_as_events_on_the_sensor_is_refused_in_evt2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, shift: int, size: tuple[int, int]) -> None:
    """On a sensor wide enough that the second header's text decodes as events on it, the join was
    read as one file with 1 to 11 stray events: nothing failed where the header was sought. The
    second file's time, gone back, is taken by the decoders for a wrap of the 2^34 µs time-high:
    that jump is where it is sought now."""
    joined, says = _joined_to_itself(tmp_path, "a.raw", version, shift, size)
    assert _cli(["convert", str(joined), str(tmp_path / "o.h5")], capsys) == (2, says)
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize("version", ["evt2", "evt2.1"])
def test_an_evt2_stream_with_a_gap_of_half_the_time_high_period_is_read_whole(tmp_path: Path, version: str) -> None:
    """The jump that has a join sought is read as it is where the file holds no second header."""
    ev = make_events([0, 10, 2**33 + 5, 2**33 + 9], [1, 2, 3, 4], [1, 1, 1, 1], [1, -1, 1, 1])
    back, _ = read_events_file(write_events_file(tmp_path / "a.raw", ev, SIZE, version=version))
    assert back["t"].tolist() == ev["t"].tolist()


def _joined_to_itself(tmp_path: Path, name: str, version: str | None, shift: int,
                      size: tuple[int, int]) -> tuple[Path, str]:
    """A Prophesee file of :func:`_events` on a ``size`` sensor, with a comment line of ``shift``
    bytes after its first line, joined to itself; and the CLI's line refusing it."""
    written = write_events_file(tmp_path / name, _events(), size, version=version).read_bytes()
    first, rest = written.split(b"\n", 1)
    one = first + b"\n" + b"%" + b"c" * (shift - 2) + b"\n" + rest
    joined = tmp_path / f"joined{Path(name).suffix}"
    joined.write_bytes(one + one)
    cat = f"cat a{joined.suffix} b{joined.suffix}"
    says = (f"error: {joined}: a second Prophesee header ({first.decode()!r}) at byte {len(one):,}: two files joined end "
            f"to end (as `{cat}` makes them), which no reader decodes as one; read or convert each file on its own\n")
    return joined, says


def test_two_real_recordings_joined_end_to_end_are_refused_as_such(tmp_path: Path) -> None:
    """The real EVT 2.0 and DAT recordings joined to themselves: refused naming the second header
    (was: "truncated: 2 trailing bytes after the last whole 4-byte evt2 word")."""
    _needs_real()
    for name, line in (("faery_evt2.raw", "% Date 2020-09-25 07:48:31"),
                       ("tonic_sample_ncars.dat", "% Data file containing N9Chronocam7Event2dE events.")):
        one = (REAL / name).read_bytes()
        joined = tmp_path / name
        joined.write_bytes(one + one)
        with pytest.raises(FormatError, match=rf"a second Prophesee header \({re.escape(repr(line))}\) at byte "
                                              f"{len(one):,}: two files joined end to end"):
            read_events_file(joined, sensor_size=(304, 240) if name.endswith(".dat") else None)


def test_a_sensor_size_option_replaces_a_plugins_guess_and_must_agree_with_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: --sensor-size ignored without a word for every file that gives a size or names a camera
    plugin (faery_evt2.raw stayed 640x480 with --sensor-size 1280x720; a size the header contradicts passed)."""
    _needs_real()
    args = ["convert", str(REAL / "faery_evt2.raw"), str(tmp_path / "hd.h5"), "--sensor-size", "1280x720"]
    assert _cli(args, capsys)[0] == 0
    assert read_events_file(tmp_path / "hd.h5")[1] == (1280, 720)  # the plugin's Gen3 640x480 was a guess
    code, err = _cli(["convert", str(REAL / "tonic_sample.aedat4"), str(tmp_path / "o.h5"), "--sensor-size", "640x480"],
                     capsys)
    assert code == 2 and err.strip().splitlines()[-1] == (
        f"error: {REAL / 'tonic_sample.aedat4'}: the file gives the sensor size 320x240, and the 640x480 given "
        "(--sensor-size, sensor_size=) disagrees: leave it out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hd.h5"]
    with pytest.raises(FormatError, match="the file gives the sensor size 320x240, and the 32x24 given"):
        read_events_file(REAL / "faery_dvs.es", sensor_size=(32, 24))
    assert read_events_file(REAL / "faery_dvs.es", sensor_size=(320, 240))[1] == (320, 240)


@pytest.mark.parametrize(("out", "version"), [("o.raw", "evt3"), ("o.raw", "evt2"), ("o.raw", "evt2.1"),
                                              ("o.dat", None), ("o.aedat4", None), ("o.csv", None), ("o.h5", None),
                                              ("o.es", None)])
def test_dv_recording_converts_exactly_and_small(tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str,
                                                 version: str | None) -> None:
    """Acceptance: tonic_sample.aedat4 (UNIX-epoch µs) to every format and back, exact, a few times its size."""
    _needs_real()
    src = REAL / "tonic_sample.aedat4"
    original, _ = read_events_file(src)
    extra = ["--version", version] if version else []
    if out.endswith(".es"):  # no time origin in the format: refused, then written from the first event on request
        code, err = _cli(["convert", str(src), str(tmp_path / out)], capsys)
        assert code == 2 and "--relative-time" in err and not list(tmp_path.iterdir())
        extra = ["--relative-time"]
    code, err = _cli(["convert", str(src), str(tmp_path / out), *extra], capsys)
    assert code == 0
    if out.endswith(".es"):  # the origin that is lost is said (was: not a word)
        assert ("(es); times from the first event, which was at t=1,605,537,493,718,345 µs in tonic_sample.aedat4\n"
                "warning: tonic_sample.aedat4 holds 475 IMU samples") in err  # the DV file's IMU track: not in OUT
    assert (tmp_path / out).stat().st_size <= 4 * src.stat().st_size
    assert _cli(["convert", str(tmp_path / out), str(tmp_path / "back.aedat4")], capsys)[0] == 0
    back, size = read_events_file(tmp_path / "back.aedat4")
    assert size == (320, 240)
    if out.endswith(".es"):
        original["t"] -= original["t"][0]
    np.testing.assert_array_equal(back, original)


def test_camera_clock_at_913_s_makes_a_small_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 3: an EVT2 file whose clock starts at 913 s became a 14 MB clip from 2 MB."""
    _needs_real()
    src = REAL / "faery_evt2.raw"
    assert _cli(["convert", str(src), str(tmp_path / "c.h5")], capsys)[0] == 0
    assert (tmp_path / "c.h5").stat().st_size <= 13 * 521_252 + 2_000_000  # 13 bytes an event + chunk slack
    np.testing.assert_array_equal(read_events_file(tmp_path / "c.h5")[0], read_events_file(src)[0])


# ------------------------------------------------------------------------ absolute timestamps


@pytest.mark.parametrize(("name", "version"), TARGETS, ids=IDS)
def test_absolute_origin_costs_nothing(tmp_path: Path, name: str, version: str | None) -> None:
    ev = _events(origin=DV_ORIGIN)
    if name.endswith(".es"):
        with pytest.raises(EventsError, match="keep no time origin"):
            write_events_file(tmp_path / name, ev, SIZE)
        assert not list(tmp_path.iterdir())
        return
    path = write_events_file(tmp_path / name, ev, SIZE, version=version)
    assert path.stat().st_size < 1_000_000  # clip: one 65 536-event chunk per column; the others ~10 kB
    np.testing.assert_array_equal(read_events_file(path)[0], ev)


@pytest.mark.parametrize("fmt", ["evt3", "evt2", "evt2.1", "dat"])
def test_a_header_time_origin_that_is_no_time_is_refused(tmp_path: Path, valid_files: dict[str, bytes],
                                                         fmt: str) -> None:
    """Was: faery ignored a `% t0` (DAT `% T0`) it could not parse, so every time lost its origin without
    a word (`abc`, `-5`, `1e3`, `99999999999999999999`: read from 0, not from 1,000); it wrapped
    `18446744073709551615` to negative times and 2^63 - 1 plus the events' times to an unsorted array,
    both returned as valid events from EVT files; EVT 2.1 raised `OverflowError`. A t0 up to the
    int64 limit that the events' times fit under still reads exactly."""
    ev = _events(origin=1_000)
    path = tmp_path / f"a.{_suffix(fmt)}"
    data = write_events_file(path, ev, SIZE, version=None if fmt == "dat" else fmt).read_bytes()
    key = b"% T0 " if fmt == "dat" else b"% t0 "
    line = key + str(ev["t"][0]).encode() + b"\n"
    assert line in data
    for t0 in ("abc", "-5", "1e3", "99999999999999999999", "18446744073709551615", str(2**63 - 1)):
        path.write_bytes(data.replace(line, key + t0.encode() + b"\n"))
        says = (f"the header's t0 {int(t0):,} µs plus the events' times passes 2\\^63 - 1 µs" if t0 == str(2**63 - 1)
                else f"the header's t0 '{t0}' is not a time in µs \\(a whole number from 0 to 2\\^63 - 1\\)")
        with pytest.raises(FormatError, match=rf"^{path}: {says}: a corrupt header$"):
            read_events_file(path)
    path.write_bytes(data.replace(line, key + str(2**63 - 300_000).encode() + b"\n"))
    np.testing.assert_array_equal(read_events_file(path)[0]["t"], ev["t"] - ev["t"][0] + (2**63 - 300_000))


@pytest.mark.parametrize("t_last", [2**40, 2**53, 2**62])
def test_huge_gap_in_a_clip(tmp_path: Path, t_last: int) -> None:
    ev = make_events([0, 5, t_last], [0, 1, 2], [0, 0, 0], [1, -1, 1])
    path = write_events_file(tmp_path / "a.h5", ev, SIZE)
    np.testing.assert_array_equal(read_events_file(path, t_start_us=5)[0], ev[1:])


def test_negative_and_huge_values_refused_on_write(tmp_path: Path) -> None:
    with pytest.raises(EventsError, match="negative"):
        write_events_file(tmp_path / "a.raw", make_events([-5, 0], [0, 0], [0, 0], [1, 1]), SIZE)
    with pytest.raises(EventsError, match="outside"):
        write_events_file(tmp_path / "a.h5", make_events([0], [65_535], [0], [1]), SIZE)
    with pytest.raises(FormatError, match="holds sensors up to"):
        write_events_file(tmp_path / "a.raw", make_events([0], [0], [0], [1]), (70_000, 10))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("header", "out", "says"), [
    ("t,x@65536,y@65536,on", "o.es", "es holds sensors up to 65535x65535, got 65536x65536; write .h5 or .csv, which "
                                     "hold it"),
    ("t,x@40000,y@100,on", "o.aedat4", "aedat4 holds sensors up to 32767x32767, got 40000x100; write .h5, .csv or "
                                       ".es, which hold it"),
    ("t,x@100,y@32768,on", "o.aedat4", "aedat4 holds sensors up to 32767x32767, got 100x32768; write .h5, .csv or "
                                       ".es, which hold it"),
], ids=["es", "aedat4-wide", "aedat4-tall"])
def test_a_sensor_larger_than_the_output_format_holds_is_refused_before_writing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, out: str, says: str) -> None:
    """Was faery's raw message after the output was begun: "out of range integral type conversion
    attempted" (Event Stream), "expected a number in the range [0, 32768)" (AEDAT 4)."""
    source = tmp_path / "in.csv"
    source.write_text(f"{header}\n0,1,2,1\n5,3,4,0\n")
    assert _cli(["convert", str(source), str(tmp_path / out)], capsys) == (2, f"error: {tmp_path / out}: {says}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]


@pytest.mark.parametrize("row", [b"-5,1,1,1\n", b"99999999999999999999999,1,1,1\n", b"1,70000,1,1\n", b"1,1,1,7\n",
                                 b"1,1\n", b"a,b,c,d\n"])
def test_hostile_csv_rows(tmp_path: Path, row: bytes) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"t,x@64,y@48,on\n0,1,1,1\n" + row)
    assert _read_or_clean_error(path) is None


@pytest.mark.parametrize(("head", "size"), [(b"t,x@64,y@48,on\n", None), (b"t,x,y,p\n", SIZE), (b"T,X,Y,ON\n", SIZE),
                                          (b"t,x@64,y@48,polarity\n", None), (b"timestamp,x,y,polarity\n", SIZE),
                                          (b"ts,x,y,pol\n", SIZE), (b"# sensor 64x48\n", SIZE), (b"", SIZE)])
def test_every_csv_header_form_reads(tmp_path: Path, head: bytes, size: tuple[int, int] | None) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(head + b"0,1,1,1\n5,63,47,0\n")
    events, got = read_events_file(path, sensor_size=size)
    assert got == SIZE and events["t"].tolist() == [0, 5] and events["p"].tolist() == [1, -1]


@pytest.mark.parametrize("row", [b"5,1,1,1,9", b"5.5,1,1,1", b"99999999999999999999999,1,1,1", b"5,1,1", b"1_0,1,1,1",
                                 b"5,1,1,\xff"])
def test_a_csv_row_that_is_not_four_whole_numbers_is_named_by_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        row: bytes) -> None:
    """Was: "rows from 2: not 't,x,y,on' integers (the number of columns changed from 4 to 5 at row 1;
    use `usecols` to select a subset and avoid this error)": numpy's row counted from 0 within a block
    of up to 16 MB that began at the line given, and advice for numpy's own call. Here the file is
    read in blocks of 64 bytes, a blank line and a comment before the bad row."""
    monkeypatch.setattr("evface.io.event_reader._CSV_BLOCK_BYTES", 64)
    path = tmp_path / "a.csv"
    path.write_bytes(b"t,x@64,y@48,on\n" + b"0,1,1,1\n" * 40 + b"\n# note\n" + row + b"\n6,1,1,1\n")
    shown = row.decode("utf-8", "replace")
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: line 44: {re.escape(repr(shown))}: not a row of 4 "
                                          r"whole numbers t,x,y,on; corrupt or truncated CSV$"):
        read_events_file(path)


@pytest.mark.parametrize(("row", "says"), [
    (b"5,70000,1,1", "coordinates outside 0..65535"), (b"5,1,-1,1", "coordinates outside 0..65535"),
    (b"5,1,1,7", "polarity 7, expected 1, 0 or -1"),
])
def test_a_csv_row_off_every_sensor_or_of_bad_polarity_is_named_by_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: bytes, says: str) -> None:
    """Was "rows from 42: coordinates outside 0..65535", "rows from 42: polarity values other than 1,
    0 or -1": the first line of the block it lay in, not its own. Blocks of 64 bytes, a blank line and
    a comment before the bad row, as for a row that is not four numbers."""
    monkeypatch.setattr("evface.io.event_reader._CSV_BLOCK_BYTES", 64)
    path = tmp_path / "a.csv"
    path.write_bytes(b"t,x@64,y@48,on\n" + b"0,1,1,1\n" * 40 + b"\n# note\n" + row + b"\n6,1,1,1\n")
    with pytest.raises((EventsError, FormatError),
                       match=rf"^{re.escape(str(path))}: line 44: {re.escape(repr(row.decode()))}: {re.escape(says)}$"):
        read_events_file(path)


def test_a_csv_of_rows_of_another_width_names_the_first_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "rows from 2: 5 columns, expected 4 (t,x,y,on)"."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"t,x@64,y@48,on\n# note\n0,1,1,1,9\n5,1,1,0,9\n")
    assert _cli(["info", str(path)], capsys) == (2, f"error: {path}: line 3: '0,1,1,1,9': 5 columns, expected 4 "
                                                    "(t,x,y,on)\n")


@pytest.mark.parametrize(("head", "size"), [(b"t,x@64,y@48,on\n", None), (b"t,x,y,p\r\n", SIZE), (b"", SIZE)])
def test_a_csv_that_begins_with_a_utf8_byte_order_mark_reads_whole(tmp_path: Path, head: bytes,
                                                                   size: tuple[int, int] | None) -> None:
    """Spreadsheet and Windows exports begin with the mark EF BB BF. Was: a header after it refused
    ("the first line '\\ufefft,x@64,y@48,on' is neither a header ..."), and a headerless file's
    first row taken for a header (the mark's bytes read as letters) and dropped without a word."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbf" + head + b"0,1,1,1\n5,63,47,0\n")
    events, got = read_events_file(path, sensor_size=size)
    assert got == SIZE and events["t"].tolist() == [0, 5] and events["p"].tolist() == [1, -1]


@pytest.mark.parametrize(("width", "size"), [("\x1c64", SIZE), ("6\u00b2", None)])
def test_a_csv_header_size_that_is_not_ascii_digits_is_read_or_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                    width: str, size: tuple[int, int] | None) -> None:
    """Was: ValueError, exit 1 with a traceback, for a size of characters that Python calls space or
    digits and int() does not read (the control character 0x1C, found by the property fuzz; '²')."""
    path = tmp_path / "a.csv"
    path.write_bytes(f"t,x@{width},y@48,on\n".encode() + b"0,1,1,1\n5,63,47,0\n")
    if size:
        assert read_events_file(path)[1] == size
    else:
        code, err = _cli(["info", str(path)], capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "give it with --sensor-size" in err, err


@pytest.mark.parametrize("head", [b"garbage\n", b"t,y,x,on\n", b"t,x,y\n", b"time;x;y;on\n"])
def test_a_csv_whose_first_line_names_no_columns_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             head: bytes) -> None:
    """Any first line was taken as the header: `garbage` made a 0-event recording, exit 0."""
    path = tmp_path / "a.csv"
    path.write_bytes(head + b"0,1,1,1\n")
    code, err = _cli(["convert", str(path), str(tmp_path / "x.raw"), "--sensor-size", "10x10"], capsys)
    first = head.decode().strip()
    assert code == 2 and " ".join(err.split()) == (f"error: {path}: the first line {first!r} is neither a header naming "
                                                   "the columns t, x, y and on (or p), as in 't,x@W,y@H,on', a "
                                                   "comment ('# ...') nor a row of 4 integers")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


# ----------------------------------------------------------------- older and unsupported files


def _prophesee_header_length(data: bytes) -> int:
    length = 0
    for line in data.split(b"\n"):
        if not line.startswith(b"%"):
            break
        length += len(line) + 1
        if line.startswith(b"% end"):
            break
    return length


def _prophesee(tmp_path: Path, header: bytes, name: str = "old.raw") -> Path:
    body = write_events_file(tmp_path / "x.raw", _events(20), SIZE, version="evt2").read_bytes()
    body = body[_prophesee_header_length(body):]
    path = tmp_path / name
    path.write_bytes(header + body)
    return path


@pytest.mark.parametrize(("plugin", "size"), [("hal_plugin_gen3_fx3", (640, 480)), ("hal_plugin_gen31_fx3", (640, 480)),
                                              ("hal_plugin_gen41_evk3", (1280, 720)),
                                              ("hal_plugin_imx636_evk4", (1280, 720))])
def test_size_from_the_plugin_name(tmp_path: Path, plugin: str, size: tuple[int, int]) -> None:
    path = _prophesee(tmp_path, f"% Date 2020-09-25 07:48:31\n% plugin_name {plugin}\n% evt 2.0\n".encode())
    assert read_events_file(path)[1] == size


def test_unknown_plugin_asks_for_the_size(tmp_path: Path) -> None:
    path = _prophesee(tmp_path, b"% plugin_name hal_plugin_mystery\n% evt 2.0\n")
    with pytest.raises(FormatError, match="--sensor-size WxH"):
        read_events_file(path)
    assert read_events_file(path, sensor_size=SIZE)[0].size == 20


def test_dat_event2d_is_read(tmp_path: Path, valid_files: dict[str, bytes]) -> None:
    """Finding 4: DAT 'Event2d' files (type byte 0x00, N-CARS) carry polarity and read like 'cd' ones."""
    data = valid_files["dat"]
    body = data[data.index(b"\x0c\x08"):]
    path = tmp_path / "e.dat"
    path.write_bytes(b"% Data file containing Event2d events.\n% Version 2\n% Width 64\n% Height 48\n" +
                     data[data.index(b"% T0"):data.index(b"\x0c\x08")] + b"\x00" + body[1:])
    np.testing.assert_array_equal(read_events_file(path)[0], _events())


@pytest.mark.parametrize(("head", "message"), [
    (b"#!AER-DAT2.0\r\n# This is a raw AE data file\r\n", "an AEDAT 2.0 file"),
    (b"#!AER-DAT3.1\r\n", "an AEDAT 3.1 file"),
    (b"Event Stream\x02\x00\x00\x02\x40\x00\x30\x00\x01\x02\x03", "Event Stream of ATIS events: not supported"),
    (b"Event Stream\x02\x00\x00\x00\x01\x02\x03", "Event Stream of generic events: not supported"),
    (b"Event Stream\x01\x00\x00\x01\x40\x00\x30\x00", "Event Stream version 1.0.0 file: not supported"),
])
def test_unsupported_files_say_what_they_are(tmp_path: Path, capsys: pytest.CaptureFixture[str], head: bytes,
                                             message: str) -> None:
    path = tmp_path / ("f.aedat" if head.startswith(b"#!") else "f.es")
    path.write_bytes(head + bytes(40))
    code, err = _cli(["info", str(path)], capsys)
    assert code == 2 and message in err and "corrupt" not in err and "Traceback" not in err


@pytest.mark.parametrize(("name", "renamed", "says"), [
    ("faery_evt2.raw", "rec.dat", "rec.dat: the extension says .dat but the header is a Prophesee RAW file's (evt2): "
                                  "name it .raw"),
    ("tonic_sample_ncars.dat", "rec.raw", "rec.raw: the extension says .raw (EVT) but the header is a Prophesee DAT "
                                          "file's ('% Version 2', no '% evt'): name it .dat"),
    ("tonic_sample_ncars.dat", "rec.evt", "rec.evt: the extension says .evt (EVT) but the header is a Prophesee DAT "
                                          "file's ('% Version 2', no '% evt'): name it .dat"),  # was: "says .raw"
], ids=["raw-named-dat", "dat-named-raw", "dat-named-evt"])
def test_a_raw_named_dat_or_a_dat_named_raw_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                    renamed: str, says: str) -> None:
    """Was: "truncated: 6 trailing bytes after the last whole 8-byte dat word" (the RAW decoded as
    DAT) and "truncated: 2 trailing bytes ... evt2 word" (the DAT's '% Version 2' taken for EVT 2.0)."""
    _needs_real()
    path = tmp_path / renamed
    path.write_bytes((REAL / name).read_bytes())
    code, err = _cli(["convert", str(path), str(tmp_path / "out.h5"), "--sensor-size", "304x240"], capsys)
    assert code == 2 and err.strip().splitlines()[-1] == f"error: {path.parent / says}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [renamed]


@pytest.mark.parametrize(("name", "renamed", "says"), [
    ("tonic_sample.aedat4", "rec.raw", "rec.raw: the extension says .raw (EVT) but the content is an AEDAT 4 file: "
                                       "name it .aedat4"),
    ("faery_dvs.es", "rec.H5", "rec.H5: the extension says .H5 but the content is an Event Stream file: name it .es"),
], ids=["aedat4-named-raw", "es-named-h5"])
def test_a_file_whose_magic_bytes_contradict_its_extension_names_both(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str], name: str,
                                                                      renamed: str, says: str) -> None:
    """Was: "the extension says evt3 but the content is aedat4" (evt3 for any ``.raw``, format names
    for extensions, no name to give the file)."""
    _needs_real()
    path = tmp_path / renamed
    path.write_bytes((REAL / name).read_bytes())
    for command in (["info", str(path)], ["convert", str(path), str(tmp_path / "out.csv")]):
        assert _cli(command, capsys) == (2, f"error: {path.parent / says}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [renamed]


# ------------------------------------------------------------------ truncations and garbage


@pytest.mark.parametrize("fmt", IDS)
def test_truncations_at_many_offsets(tmp_path: Path, valid_files: dict[str, bytes], fmt: str) -> None:
    """A cut file fails cleanly, reads whole (cut in a trailer: AEDAT 4's file table, CSV's last newline)
    or, cut on a word boundary of a streaming format, reads as a prefix."""
    data, original = valid_files[fmt], _events()
    for cut in sorted({*np.linspace(1, len(data) - 1, 23).astype(int).tolist(), len(data) - 1, len(data) - 2}):
        path = tmp_path / f"cut{cut}.{_suffix(fmt)}"
        path.write_bytes(data[:cut])
        events = _read_or_clean_error(path)
        if events is not None and events.size == original.size:
            np.testing.assert_array_equal(events, original)
        elif events is not None:
            assert fmt in ("evt3", "evt2", "evt2.1", "dat", "es", "csv"), f"{fmt} cut at {cut} read without error"
            assert events.size < original.size
            np.testing.assert_array_equal(events["t"][:-1], original["t"][:events.size - 1])


def test_truncated_event_stream_is_detected(tmp_path: Path, valid_files: dict[str, bytes]) -> None:
    """Finding 7: an Event Stream cut inside an event was read without a word."""
    data = valid_files["es"]
    for drop in (1, 2, 3, 4):
        path = tmp_path / f"cut{drop}.es"
        path.write_bytes(data[:-drop])
        with pytest.raises(FormatError, match="truncated"):
            read_events_file(path)


@pytest.mark.parametrize("fmt", ["evt3", "evt2", "evt2.1", "dat"])
def test_a_prophesee_file_cut_inside_its_header_says_so(tmp_path: Path, valid_files: dict[str, bytes],
                                                        fmt: str) -> None:
    """Was: the cut header line taken for events or for the header, so a cut download read as 0 events
    (``rec.dat`` cut after '% Width 6' with the size given), "cannot decode (unknown version 'E')", "the
    sensor size 64x48 was given ... events outside it do not decode" or "N trailing bytes after the last
    whole word"; cuts at a line's end still read as a header-only file (0 events)."""
    data = valid_files[fmt]
    whole = tmp_path / f"whole.{_suffix(fmt)}"
    whole.write_bytes(data)
    for cut in range(1, read_prophesee_header(whole)[1]):
        path = tmp_path / f"cut{cut}.{_suffix(fmt)}"
        path.write_bytes(data[:cut])
        if data[cut - 1:cut] == b"\n":
            assert read_events_file(path, sensor_size=SIZE)[0].size == 0
            continue
        with pytest.raises(FormatError, match=rf"{path.name}: truncated inside its header: the file ends in the line "
                                              rf"'{data[data.rindex(b'%', 0, cut):cut].decode()}'$"):
            read_events_file(path, sensor_size=SIZE)


@pytest.mark.parametrize("fmt", ["evt3", "evt2", "evt2.1", "dat"])
def test_info_of_a_prophesee_file_of_a_header_only_says_so(tmp_path: Path, valid_files: dict[str, bytes],
                                                           capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """A file cut right after its header, or a recording of no events, reads as 0 events (exit 0);
    was: "events 0" in the table, as if counted, with nothing to tell a cut download from it."""
    whole = tmp_path / f"whole.{_suffix(fmt)}"
    whole.write_bytes(valid_files[fmt])
    cut = tmp_path / f"cut.{_suffix(fmt)}"
    cut.write_bytes(valid_files[fmt][:read_prophesee_header(whole)[1]])
    empty = write_events_file(tmp_path / f"empty.{_suffix(fmt)}", _events(0), SIZE,
                              version=None if fmt == "dat" else fmt)
    for path in (cut, empty):
        assert main(["info", str(path)]) == 0
        assert re.search(r"events\s*│ 0: the file holds a header and no events", capsys.readouterr().out)
    assert main(["info", str(whole)]) == 0
    assert re.search(r"events\s*│ 300\s*│", capsys.readouterr().out)


@pytest.mark.parametrize("fmt", ["evt3", "evt2", "evt2.1", "dat"])
@pytest.mark.parametrize("length", [4095, 4096, 4097, 9000])
def test_a_header_line_over_4096_bytes_is_read_as_a_header_line(tmp_path: Path, valid_files: dict[str, bytes],
                                                                 fmt: str, length: int) -> None:
    """Was: a '%' line of text longer than 4096 bytes ended the header there, and the rest of it was
    decoded as event words ("truncated: 7 trailing bytes after the last whole 8-byte evt2.1 word", or
    "the .raw header names no EVT version" when the version line came after it)."""
    data = valid_files[fmt]
    whole, path = tmp_path / f"whole.{_suffix(fmt)}", tmp_path / f"long.{_suffix(fmt)}"
    whole.write_bytes(data)
    line = b"% serial_number " + b"7" * length + b"\n"
    second = data.index(b"\n") + 1
    path.write_bytes(data[:second] + line + data[second:])
    assert detect_format(path) == fmt
    assert read_prophesee_header(path)[1] == read_prophesee_header(whole)[1] + len(line)
    np.testing.assert_array_equal(read_events_file(path)[0], _events())


def test_a_header_line_of_text_over_a_mebibyte_is_refused(tmp_path: Path, valid_files: dict[str, bytes]) -> None:
    """A '%' line of text that long is no camera's header: one line naming the file, not its bytes read on."""
    path = tmp_path / "long.raw"
    path.write_bytes(b"% comment " + b"x" * (1 << 20) + b"\n" + valid_files["evt3"])
    with pytest.raises(FormatError, match=r"long.raw: a header line of text longer than 1,048,576 bytes, beginning "
                                          r"'% comment xxx.*': not a Prophesee header$"):
        read_events_file(path)


@pytest.mark.parametrize("y", [4, 10])
def test_an_evt2_body_that_starts_with_a_percent_byte_is_read_as_events(tmp_path: Path, y: int) -> None:
    """EVT 2.0 headers (faery's, 2020 Metavision ones) have no '% end', and a first word whose low byte
    is 0x25 ('%') was taken for a header line up to the next byte 0x0A (here y=10): "truncated: 3
    trailing bytes after the last whole 4-byte evt2 word", a file faery decodes; its control bytes say
    it is events. Without a byte 0x0A (y=4) it must not be taken for a header cut by the file's end."""
    words = np.array([0x8000_0025, (1 << 28) | (5 << 22) | (3 << 11) | y, (1 << 28) | (6 << 22) | (4 << 11) | 11],
                     dtype="<u4")
    path = tmp_path / "rec.raw"
    path.write_bytes(b"% evt 2.0\n% format EVT2;width=64;height=48\n" + words.tobytes())
    events, _ = read_events_file(path)
    assert events.tolist() == [((0x25 << 6) + 5, 3, y, 1), ((0x25 << 6) + 6, 4, 11, 1)]


@pytest.mark.parametrize(("body", "message"), [
    (b"\x0c", "truncated: the file ends inside the two bytes (event type, event size) that follow its header"),
    (b"t,x,y,on\n10,2,3,1\n", "the two bytes after the header give event type 0x74 and event size 44, where a "
                              "Prophesee DAT file gives size 8: corrupt, or not a DAT file"),
], ids=["cut", "csv"])
def test_a_dat_file_without_whole_event_bytes_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 body: bytes, message: str) -> None:
    """Was: "truncated: 7 trailing bytes after the last whole 8-byte dat word" for a DAT cut inside
    the event type and size bytes after its header, "... 1 trailing bytes" for a CSV named ``.dat``
    (and "cannot decode (the event size (44) not supported): the sensor size ... was given" for
    another length)."""
    path = tmp_path / "rec.dat"
    path.write_bytes(b"% Version 2\n% Width 64\n% Height 48\n" + body)
    assert _cli(["info", str(path)], capsys) == (2, f"error: {path}: {message}\n")


def _aedat4_with(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def _aedat4_corruptions(data: bytes) -> list[tuple[bytes, str]]:
    """Targeted corruptions of faery's AEDAT 4 layout, each with the message it must give."""
    body = 18 + int.from_bytes(data[14:18], "little")
    table = data.rindex(b"\x04\x22\x4d\x18")  # the file data table: the last LZ4 frame
    position = data.index(table.to_bytes(8, "little"), 18)
    return [(_aedat4_with(data, 14, (10**6).to_bytes(4, "little")), "truncated or corrupt AEDAT 4 header"),
            (_aedat4_with(data, 22, b"XXXX"), "no 'IOHE' identifier"),
            (_aedat4_with(data, position - 8, (9).to_bytes(4, "little")), "unknown compression 9"),
            (_aedat4_with(data, position - 8, (0).to_bytes(4, "little")), "not a EVTS flatbuffer"),
            (_aedat4_with(data, position, (10**9).to_bytes(8, "little")), "data table at byte 1000000000"),
            (_aedat4_with(data, body, (7).to_bytes(4, "little")), "stream 7 is not in the header"),
            (_aedat4_with(data, body + 4, (10**6).to_bytes(4, "little")), "1000000 bytes declared"),
            (_aedat4_with(data, body + 8, b"\0"), "not LZ4 data as the header says"),
            (_aedat4_with(data, position, (-1).to_bytes(8, "little", signed=True))[:body + 5],
             "truncated AEDAT 4 packet header"),
            (data.replace(b"typeIdentifier\" type=\"string\">EVTS", b"typeIdentifier\" type=\"string\">XXXX"),
             "stream '0' has type 'XXXX'"),
            (data.replace(b'<node name="0" path="/mainloop/Recorder/outInfo/0/">',  # '\u00b2': int() raised ValueError
                          '<node name="\u00b2" path="/mainloop/Recorder/outInfo/0">'.encode()), "stream '\u00b2' has type"),
            (data.replace(b"</dv>", b"</dx>"), "not valid XML")]


def test_corrupt_aedat4_structure_is_named_before_faery(tmp_path: Path, valid_files: dict[str, bytes],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Remaining gap of issue 17: a corrupted AEDAT 4 file could abort the process inside faery's
    decoder; evface now checks the container first and names the first inconsistency."""
    for i, (data, message) in enumerate(_aedat4_corruptions(valid_files["aedat4"])):
        path = tmp_path / f"c{i}.aedat4"
        path.write_bytes(data)
        code, err = _cli(["info", str(path)], capsys)
        assert code == 2 and message in err and str(path) in err and len(err.strip().splitlines()) == 1, (message, err)


@pytest.mark.parametrize("tail", ["joined", "two bytes", "cut table"])
def test_an_aedat4_file_whose_data_table_is_not_its_end_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   tail: str) -> None:
    """Was: two recordings joined with ``cat`` (or any bytes after the data table) read as the first
    alone, "111,954 events" for the DV sample joined to itself, the second's lost without a word
    (faery stops at the data table); a table cut by the end of the file was faery's "cannot decode
    (Range [4, 8) is out of bounds.)"."""
    _needs_real()
    data = (REAL / "tonic_sample.aedat4").read_bytes()
    path = tmp_path / "a.aedat4"
    path.write_bytes({"joined": data + data, "two bytes": data + b"\n\n", "cut table": data[:-10]}[tail])
    says = {"joined": "corrupt AEDAT 4 file: 949,253 bytes after its data table, which ends at byte 949,253 (another "
                      "AEDAT 4 file follows: files joined end to end); evface reads one recording per file",
            "two bytes": "corrupt AEDAT 4 file: 2 bytes after its data table, which ends at byte 949,253; evface reads "
                         "one recording per file",
            "cut table": "truncated AEDAT 4 file: its data table at byte 945243 runs past the end of the file"}[tail]
    assert _cli(["info", str(path)], capsys) == (2, f"error: {path}: {says}\n")


# --------------------------------------------------------------------- faults on writing


class _FullDisk:
    """A binary file whose writes fail with ENOSPC after ``room`` bytes."""

    def __init__(self, path, mode="rb", room: int = 4096):
        self._file = open(path, mode)  # noqa: SIM115 - closed by close()
        self._room = room

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        if n > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= n
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.mark.parametrize(("name", "version", "module"), [("a.raw", "evt3", event_writer), ("a.raw", "evt2.1", event_writer),
                                                         ("a.h5", None, clip_writer)])
def test_injected_full_disk_keeps_the_old_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                                 version: str | None, module) -> None:
    old = write_events_file(tmp_path / name, _events(10), SIZE, version=version)
    before = old.read_bytes()
    monkeypatch.setattr(module, "open", _FullDisk, raising=False)
    with pytest.raises(FormatError, match="No space left on device") as info:
        write_events_file(tmp_path / name, _events(200_000, seed=1), SIZE, version=version)
    assert str(tmp_path / name) in str(info.value)
    assert old.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_injected_full_disk_in_write_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    clip = Clip("c", "s", "AU4", [4], "dim", 0, 1, 2, 3, events={"lr": _events()}, sensors={"lr": SensorInfo("lr", *SIZE)},
                frames={"rgb": FrameSeries(rng.integers(0, 255, (4, 48, 64, 3), dtype=np.uint8), np.arange(4),
                                           np.ones(4, dtype=np.int64))})
    monkeypatch.setattr(clip_writer, "open", _FullDisk, raising=False)
    with pytest.raises(FormatError, match="No space left"):
        write_clip(tmp_path / "c.h5", clip)
    assert not list(tmp_path.iterdir())


def test_write_clip_copies_no_whole_event_column(tmp_path: Path) -> None:
    """``write_clip`` copied each strided event column whole before writing it (8 bytes an event
    for ``t``), which with the largest clip set the peak memory of a session import."""
    import tracemalloc

    n = 2_000_000
    events = make_events(np.arange(n), np.zeros(n, int), np.zeros(n, int), np.ones(n, int), SIZE)
    clip = Clip("c", "s", "AU4", [4], "dim", 0, 1, 2, n, events={"lr": events}, sensors={"lr": SensorInfo("lr", *SIZE)})
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        write_clip(tmp_path / "c.h5", clip)
        extra = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert extra < 0.3 * events.nbytes, f"{extra / events.nbytes:.0%} of the events array"
    np.testing.assert_array_equal(read_clip(tmp_path / "c.h5").events["lr"], events)


@contextlib.contextmanager
def _tmpfs(path: Path, options: str):
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.parametrize("out", ["a.h5", "a.raw", "a.es", "a.aedat4", "a.dat", "a.csv"])
def test_real_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str) -> None:
    """Finding 5: converting to .h5 on a full disk segfaulted (exit 139) and left a .tmp (a 256 kB tmpfs)."""
    src = write_events_file(tmp_path / "src.h5", _events(150_000, seed=2), SIZE)
    with _tmpfs(tmp_path / "full", "size=256k") as full:
        (full / out).write_bytes(b"old")
        code, err = _cli(["convert", str(src), str(full / out), "--force"], capsys)
        assert code == 2 and str(full / out) in err and "Traceback" not in err
        assert (full / out).read_bytes() == b"old" and [p.name for p in full.iterdir()] == [out]


def test_read_only_file_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_events_file(tmp_path / "src.raw", _events(), SIZE)
    with _tmpfs(tmp_path / "ro", "size=1m,ro") as ro:
        for out in ("a.h5", "a.raw", "a.es"):
            code, err = _cli(["convert", str(src), str(ro / out)], capsys)
            assert code == 2 and str(ro) in err and "Traceback" not in err, err
            assert err.count("\n") <= 2


def test_unwritable_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_events_file(tmp_path / "src.raw", _events(), SIZE)
    (tmp_path / "folder.h5").mkdir()
    (tmp_path / "file").write_text("x")
    for out in ("folder.h5", "file/a.raw", "file/a.h5"):
        code, err = _cli(["convert", str(src), str(tmp_path / out)], capsys)
        assert code == 2 and out.split("/")[0] in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.h5", "src.raw"]


@pytest.mark.parametrize("force", [False, True])
def test_the_writer_never_replaces_a_pipe(tmp_path: Path, force: bool) -> None:
    """Was: ``write_events_file("pipe.raw", ..., force=True)`` replaced the FIFO by a regular file (the
    CLI's OUT check refuses it before the writer), and without ``force`` called it "an existing file
    that is no .raw events file"."""
    fifo = tmp_path / "pipe.raw"
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match=rf"^{fifo}: is a device, pipe or socket, not a file this writer can "
                                          r"replace \(it renames a new file onto it\); give the output a file name$"):
        write_events_file(fifo, _events(), SIZE, force=force)
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["pipe.raw"]


# ------------------------------------------------------------------------------ overwriting


def _dataset_clip(path: Path) -> Path:
    rng = np.random.default_rng(0)
    return write_clip(path, Clip("c", "s01", "AU12", [12], "dim", 0, 1, 2, 3,
                                 events={"hd": _events(), "lr": _events(seed=1)},
                                 sensors={"hd": SensorInfo("hd", *SIZE), "lr": SensorInfo("lr", *SIZE)},
                                 frames={"rgb": FrameSeries(rng.integers(0, 255, (2, 4, 4, 3), dtype=np.uint8),
                                                            np.arange(2), np.ones(2, dtype=np.int64))}))


def test_convert_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 6: `evface convert clip.h5 clip.h5 --sensor lr` dropped every other sensor, frames and labels."""
    path = _dataset_clip(tmp_path / "c.h5")
    before = path.read_bytes()
    code, err = _cli(["convert", str(path), str(path), "--sensor", "lr"], capsys)
    assert code == 2 and "is the input file" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("out, args, says", [
    ("o.xyz", (), "o.xyz: unknown extension '.xyz'"),  # was refused after the progress bar had started
    ("o.raw", ("--version", "evt9"), "--version evt9: expected one of evt3, evt2, evt2.1"),  # named the file, no option
    ("o.h5", ("--chunk-us", "0"), "Invalid value for '--chunk-us'"),  # was 'IN: chunk_us must be positive'
    ("o.h5", ("--chunk-us", "9" * 20), "Invalid value for '--chunk-us': Input should be less than or equal"),
    # was 'chunk_us must be >= 1', naming no option and calling the value too small
    ("o.raw", ("--sensor", "hd"), "--sensor hd: names the sensor of a clip file, and neither IN (in.csv) nor OUT "
                                  "(o.raw) is one"),  # was ignored: written as if not given
    *[("o.h5", ("--sensor", name), f"o.h5: sensor name {name!r} (--sensor NAME, sensor=NAME): a clip's sensor names "
                                   "hold letters, digits, '_', '-' and '.' and start with a letter or digit, like hd or lr")
      for name in ("a/b", "../x", "")],  # a/b was written as events/a/b, which info called corrupt
])
def test_convert_refuses_a_bad_output_or_option_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               out: str, args: tuple[str, ...], says: str) -> None:
    source = tmp_path / "in.csv"
    write_events_file(source, _events(), SIZE)
    code, err = _cli(["convert", str(source), str(tmp_path / out), *args], capsys)
    assert code == 2 and says in " ".join(err.split())
    assert "events" not in err  # no progress bar
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_clip_is_never_written_with_a_sensor_name_that_is_no_hdf5_name(tmp_path: Path) -> None:
    """`convert --sensor a/b` wrote the events under events/a/b, a clip evface then called corrupt."""
    clip = Clip("c", "s", "", [], "", 0, 0, 0, 0, events={"a/b": _events()}, sensors={"a/b": SensorInfo("a/b", *SIZE)})
    with pytest.raises(FormatError, match=r"c\.h5: sensor name 'a/b': a clip's sensor names hold letters"):
        write_clip(tmp_path / "c.h5", clip)
    with pytest.raises(FormatError, match=r"e\.h5: sensor name '\.\.' \(--sensor NAME, sensor=NAME\)"):
        write_events_file(tmp_path / "e.h5", _events(), SIZE, sensor="..")
    assert list(tmp_path.iterdir()) == []


def test_info_refuses_a_sensor_of_a_file_that_is_not_a_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evface info rec.raw --sensor lr` printed rec.raw's figures as if --sensor named something in it."""
    source = write_events_file(tmp_path / "in.raw", _events(), SIZE)
    code, err = _cli(["info", str(source), "--sensor", "lr"], capsys)
    assert code == 2 and "--sensor lr: names the sensor of a clip file, and in.raw is evt3" in " ".join(err.split())
    with pytest.raises(FormatError, match="sensor='lr' applies to clip files only"):
        file_info(source, sensor="lr")


def _exists(path: Path) -> str:
    return f"error: {path}: exists; give OUT another name, or add --force to replace it"


def test_convert_replaces_an_existing_out_only_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`convert a.raw b.raw` with the names swapped in a script replaced the camera's recording
    b.raw (an events file of OUT's format) without a word, exit 0."""
    src = write_events_file(tmp_path / "a.raw", _events(), SIZE)
    recording = write_events_file(tmp_path / "b.raw", _events(seed=1), SIZE, version="evt2")
    before = recording.read_bytes()
    code, err = _cli(["convert", str(src), str(recording)], capsys)
    assert code == 2 and err.strip() == _exists(recording)
    assert "events" not in err.replace(str(tmp_path), "")  # before any work: no progress bar
    assert recording.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["a.raw", "b.raw"]
    assert _cli(["convert", str(src), str(recording), "--force"], capsys)[0] == 0
    np.testing.assert_array_equal(read_events_file(recording)[0], _events())
    for name in ("made-by-mktemp.raw", "made-by-mktemp.h5"):  # nothing to lose (an empty .h5 was "not a clip")
        empty = tmp_path / name
        empty.touch()
        assert _cli(["convert", str(src), str(empty)], capsys)[0] == 0
        np.testing.assert_array_equal(read_events_file(empty)[0], _events())


@pytest.mark.parametrize("name", ["b.raw", "b.h5", "b.csv"])
def test_convert_keeps_a_file_made_at_out_while_it_worked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """OUT was checked before the work only: a file made there meanwhile (a second `convert` to one
    name started in parallel, another program) was renamed over without --force."""
    src, out = write_events_file(tmp_path / "a.raw", _events(), SIZE), tmp_path / name
    write = event_writer.EventsFileWriter.write

    def meanwhile(self, events):
        if not out.exists():
            out.write_bytes(b"a newcomer's file")
        write(self, events)

    monkeypatch.setattr(event_writer.EventsFileWriter, "write", meanwhile)
    code, err = _cli(["convert", str(src), str(out)], capsys)
    assert code == 2 and err.strip() == _exists(out)
    assert out.read_bytes() == b"a newcomer's file" and sorted(p.name for p in tmp_path.iterdir()) == ["a.raw", name]
    assert _cli(["convert", str(src), str(out), "--force"], capsys)[0] == 0  # replaced, as one there before
    np.testing.assert_array_equal(read_events_file(out)[0], _events())


def test_publish_without_hard_links_still_keeps_a_file_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a file system without hard links (FAT, some network mounts: link fails with EPERM), a file at
    the output is looked for just before the rename: kept unless empty."""
    from evface.io.atomic_files import atomic_write

    def no_links(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    kept, empty = tmp_path / "kept.txt", tmp_path / "empty.txt"
    kept.write_text("theirs")
    empty.touch()
    with pytest.raises(FileExistsError) as refused:
        atomic_write(kept, lambda tmp: tmp.write_text("mine"), replace=False)
    assert refused.value.filename == str(kept) and kept.read_text() == "theirs"
    atomic_write(empty, lambda tmp: tmp.write_text("mine"), replace=False)
    atomic_write(tmp_path / "new.txt", lambda tmp: tmp.write_text("mine"), replace=False)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"kept.txt": "theirs", "empty.txt": "mine",
                                                                    "new.txt": "mine"}


def test_convert_refuses_to_replace_a_richer_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _dataset_clip(tmp_path / "c.h5")
    before = path.read_bytes()
    src = write_events_file(tmp_path / "cam.raw", _events(), SIZE)
    code, err = _cli(["convert", str(src), str(path), "--sensor", "hd"], capsys)
    assert code == 2 and err.strip() == _exists(path)
    with pytest.raises(FormatError, match=r"c\.h5: an existing clip that also holds sensor 'lr', frames 'rgb', labels "
                                          r"\(subject 's01', label 'AU12'\); writing it would keep only the 'hd' events"):
        write_events_file(path, _events(), SIZE, sensor="hd")  # the writer's own check, for Python callers
    assert path.read_bytes() == before
    assert _cli(["convert", str(src), str(path), "--sensor", "hd", "--force"], capsys)[0] == 0
    assert list(read_clip(path).events) == ["hd"]
    write_events_file(path, _events(), SIZE, sensor="hd")  # nothing more to lose now


def test_convert_refuses_to_replace_an_hdf5_file_that_is_not_a_clip(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`convert a.es precious.h5` replaced an HDF5 file of network weights, exit 0: only clips that
    held more than the events written were protected."""
    import h5py

    precious = tmp_path / "precious.h5"
    with h5py.File(precious, "w") as f:
        f["weights"] = np.arange(10.0)
    before = precious.read_bytes()
    src = write_events_file(tmp_path / "cam.es", _events(), SIZE)
    code, err = _cli(["convert", str(src), str(precious)], capsys)
    assert code == 2 and err.strip() == _exists(precious)
    with pytest.raises(FormatError) as refused:
        write_events_file(precious, _events(), SIZE)
    assert str(refused.value) == (f"{precious}: an existing file that is not an evface clip (another HDF5 file, or a "
                                  "corrupt clip); choose another output, or replace it with --force (force=True)")
    assert precious.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["cam.es", "precious.h5"]
    assert _cli(["convert", str(src), str(precious), "--force"], capsys)[0] == 0
    assert read_events_file(precious)[0].size == 300


@pytest.mark.parametrize(("name", "content"), [
    ("notes.csv", b"name,age\nbob,3\n"),  # a table, a typo for OUT
    ("rec.raw", None),  # the shared N-CARS DAT under a .raw name
    ("rec.aedat4", b"my notes\n"),
], ids=["table-csv", "dat-named-raw", "text-aedat4"])
def test_convert_never_replaces_a_file_that_is_no_events_file_of_its_format(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes | None) -> None:
    """Was: replaced, exit 0 (only an .h5 was checked). From Python (write_events_file) an earlier
    events file of the format is still replaced; convert replaces any existing OUT only with --force."""
    _needs_real()
    out = tmp_path / name
    out.write_bytes(content if content is not None else (REAL / "tonic_sample_ncars.dat").read_bytes())
    before = out.read_bytes()
    events, size = read_events_file(REAL / "faery_dvs.es")
    with pytest.raises(FormatError) as refused:
        write_events_file(out, events, size)
    assert str(refused.value) == (
        f"{out}: an existing file that is no {out.suffix} events file (by its header), which this would write "
        "over; choose another output, or replace it with --force (force=True)")
    code, err = _cli(["convert", str(REAL / "faery_dvs.es"), str(out)], capsys)
    assert code == 2 and err.strip() == _exists(out)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert _cli(["convert", str(REAL / "faery_dvs.es"), str(out), "--force"], capsys)[0] == 0
    write_events_file(out, events, size)  # an earlier events file of the format: replaced
    assert read_events_file(out)[0].size == 473_225


@pytest.mark.parametrize("width", [-5, 0, 70_000])
def test_a_clip_whose_sensor_size_is_no_size_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       width: int) -> None:
    """A clip whose sensor width was -5 or 0 gave "sensor_size width must be >= 1, got -5", naming no file."""
    import h5py

    path = write_events_file(tmp_path / "c.h5", _events(), SIZE)
    with h5py.File(path, "r+") as f:
        f["events/events"].attrs["width"] = width
    code, err = _cli(["convert", str(path), str(tmp_path / "o.raw")], capsys)
    assert code == 2 and " ".join(err.split()) == (f"error: {path}: corrupt sensor attributes under /events (sensor "
                                                   f"'events' is {width}x{SIZE[1]}; each side must be 1 to 65536)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.h5"]


def test_a_failed_convert_removes_the_folders_it_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`convert uns.csv newdir1/deep/x.raw` made newdir1/deep, failed on the unsorted input (exit 2)
    and left both folders behind. Only the folders it made go, and only while empty."""
    source = tmp_path / "uns.csv"
    source.write_bytes(b"t,x@64,y@48,on\n5,1,1,1\n1,2,2,0\n")
    (tmp_path / "kept").mkdir()
    for out in ("newdir1/deep/x.raw", "kept/new/x.h5"):
        code, err = _cli(["convert", str(source), str(tmp_path / out)], capsys)
        assert code == 2 and "timestamps not sorted" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["kept", "uns.csv"]


def test_detect_format_of_every_written_file(tmp_path: Path, valid_files: dict[str, bytes]) -> None:
    for fmt, data in valid_files.items():
        path = tmp_path / f"x.{_suffix(fmt)}"
        path.write_bytes(data)
        assert detect_format(path) == fmt


def test_a_file_name_faery_cannot_open_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name in another encoding than UTF-8 (byte 0xFF): faery read it as missing ("cannot decode
    (No such file or directory)") and wrote its ``.tmp`` under another name, which the error left behind."""
    src = write_events_file(tmp_path / "src.raw", _events(), SIZE)
    for ext, options in [("raw", ["--version", "evt2"]), ("raw", []), ("dat", []), ("es", []), ("csv", []),
                         ("aedat4", [])]:  # EVT 3.0 (evface writes it, faery reads it) was written, then not read
        out = tmp_path / os.fsdecode(b"take\xff." + ext.encode())
        code, err = _cli(["convert", str(src), str(out), *options], capsys)
        assert code == 2 and "not UTF-8" in err and "rename the file" in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.raw"]
    evt21 = tmp_path / os.fsdecode(b"take\xff.raw")  # evface writes and reads EVT 2.1 itself: any name works
    assert _cli(["convert", str(src), str(evt21), "--version", "evt2.1"], capsys)[0] == 0
    np.testing.assert_array_equal(read_events_file(evt21)[0], _events())
    evt21.unlink()
    received = tmp_path / os.fsdecode(b"got\xff.raw")
    os.link(src, received)
    code, err = _cli(["info", str(received)], capsys)
    assert code == 2 and "not UTF-8" in err and "No such file" not in err, err


def test_a_clip_file_under_a_name_that_is_not_utf8_is_written_and_read(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """evface writes clip files itself (h5py takes any name), but stored the name's stem as the
    clip id, an HDF5 text attribute: "cannot write ('utf-8' codec can't encode ...)"."""
    src = write_events_file(tmp_path / "src.raw", _events(), SIZE)
    out = tmp_path / os.fsdecode(b"take\xff.h5")
    assert _cli(["convert", str(src), str(out)], capsys)[0] == 0
    back, _ = read_events_file(out)
    np.testing.assert_array_equal(back, _events())
    assert read_clip_meta(out).clip_id == "take\ufffd"


def _half_then_full_disk(tmp: Path | str | BinaryIO) -> None:
    """Write half a file to ``tmp`` (a name, or the open file a checkpoint is saved through), then fail as a full disk does."""
    if isinstance(tmp, str | Path):
        Path(tmp).write_bytes(b"half")
    else:
        tmp.write(b"half")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_other_writers_leave_no_half_file_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure and a NIR graph whose write failed midway (the disk full) left their ``.tmp`` behind;
    they and the checkpoints now go through ``io.atomic_files.atomic_write``: no ``.tmp``, and an
    earlier file of the same name is kept."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    import evface.models.export_nir as export_nir
    from evface.tasks import checkpoints, recon_eval

    monkeypatch.setattr(torch, "save", lambda obj, f: _half_then_full_disk(f))
    fig = plt.figure()
    monkeypatch.setattr(fig, "savefig", lambda f, **kw: _half_then_full_disk(f))
    monkeypatch.setattr(export_nir, "_nir", lambda: type("Nir", (), {"write": staticmethod(lambda f, g: _half_then_full_disk(f))}))
    writers = {"best.pt": lambda p: checkpoints.save_checkpoint(p, {"w": 1}),
               "apex.png": lambda p: recon_eval._save(fig, p), "model.nir": lambda p: export_nir.write(None, p)}
    for name, write in writers.items():
        (tmp_path / name).write_text("earlier")
        with pytest.raises(OSError, match="No space"):
            write(tmp_path / name)
        assert (tmp_path / name).read_text() == "earlier", name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(writers)
