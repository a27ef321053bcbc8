"""Event files joined end to end or cut, where nothing fails by luck: an EVT 2.1 join whose second
file's times come after the first's and whose second header decodes as events on the sensor, the
search for such a header finding none in random bodies and real recordings, and an Event Stream cut
between its overflow bytes and the event they lead to (docs/file-formats.md, "Bad input")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.errors import FormatError
from evface.events.core import make_events
from evface.io.event_checks import refuse_joined_files
from evface.io.event_reader import read_events_file
from evface.io.event_writer import write_events_file
from evface.io.formats import read_prophesee_header

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"


def _events(size: tuple[int, int], n: int = 600, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 400_000, n))
    return make_events(t, rng.integers(0, size[0], n), rng.integers(0, size[1], n), rng.choice([-1, 1], n), size)


def _with_comment(header: bytes, shift: int) -> bytes:
    """``header`` with a comment line of ``shift`` bytes after its first line, which moves the body."""
    first, rest = header.split(b"\n", 1)
    return first + b"\n" + b"%" + b"c" * (shift - 2) + b"\n" + rest


def _refusal(path: Path, at: int) -> str:
    cat = f"cat a{path.suffix} b{path.suffix}"
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    return (f"error: {path}: a second Prophesee header ({first!r}) at byte {at:,}: two files joined end to end (as "
            f"`{cat}` makes them), which no reader decodes as one; read or convert each file on its own\n")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def _split_recording(tmp_path: Path, size: tuple[int, int], shift: int) -> tuple[Path, int]:
    """One EVT 2.1 recording cut in two at a time-high word, each piece with the header (a comment
    line of ``shift`` bytes after its first line), joined end to end: the second file's times come
    after the first's (a camera's clock runs on between recordings); and where the second begins."""
    path = write_events_file(tmp_path / "w.raw", _events(size), size, version="evt2.1")
    _, length = read_prophesee_header(path)
    data = path.read_bytes()
    words = np.frombuffer(data[length:], dtype="<u8")  # EVT 2.1: type in bits 63..60, 0x8 TIME_HIGH
    time_highs = np.flatnonzero((words >> np.uint64(60)) == 8)
    cut = int(time_highs[len(time_highs) // 2])
    header = _with_comment(data[:length], shift)
    joined = tmp_path / "joined.raw"
    joined.write_bytes(header + words[:cut].tobytes() + header + words[cut:].tobytes())
    return joined, len(header) + cut * words.itemsize


def test_an_evt21_join_whose_second_file_comes_later_is_refused(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Was: read as one recording of 608 events (600 and 8 decoded from the second header's text on
    a 2048x2048 sensor), exit 0: with no time going back there was no jump to seek the header at.
    EVT 2.1 bodies are now searched before decoding."""
    joined, at = _split_recording(tmp_path, (2048, 2048), 4)
    assert _cli(["info", str(joined)], capsys) == (2, _refusal(joined, at))
    assert _cli(["convert", str(joined), str(tmp_path / "o.h5")], capsys) == (2, _refusal(joined, at))
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize("version", ["evt3", "evt2.1"])
def test_the_search_before_decoding_finds_no_header_in_random_bodies(tmp_path: Path, version: str) -> None:
    """A header followed by random bytes (4 MiB, the first four bytes of the sought line planted at
    even offsets without the rest of a header line): no second header is found."""
    rng = np.random.default_rng(7)
    header = write_events_file(tmp_path / "h.raw", _events((64, 48), n=1), (64, 48), version=version).read_bytes()
    _, length = read_prophesee_header(tmp_path / "h.raw")
    body = bytearray(rng.integers(0, 256, 1 << 22, dtype=np.uint8).tobytes())
    for at in range(0, len(body) - 64, 1 << 18):
        body[at:at + 4] = b"% ev"  # then binary, not a line of header text
    path = tmp_path / "r.raw"
    path.write_bytes(header[:length] + bytes(body))
    refuse_joined_files(path, length, anywhere=False)


@pytest.mark.parametrize("name", ["faery_evt2.raw", "tonic_sample_ncars.dat"])
def test_the_search_before_decoding_finds_no_header_in_real_recordings(name: str) -> None:
    """The real Prophesee recordings hold no second header at any even offset of their body."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    path = REAL / name
    _, length = read_prophesee_header(path)
    refuse_joined_files(path, length + (2 if name.endswith(".dat") else 0), anywhere=False)


def test_an_event_stream_cut_after_its_overflow_bytes_is_refused(tmp_path: Path) -> None:
    """Was: read short without a word (the event the overflow bytes led to lost, and the cut not
    seen). A writer puts overflow bytes (0xFF, 127 µs each) only before an event."""
    events = make_events([0, 10, 5_000, 5_001], [1, 2, 3, 4], [1, 1, 1, 1], [1, -1, 1, 1])
    data = write_events_file(tmp_path / "a.es", events, (64, 48)).read_bytes()
    cut = data.rindex(b"\xff", 0, len(data) - 10) + 1  # after the 39 overflow bytes before t=5,000
    path = tmp_path / "cut.es"
    path.write_bytes(data[:cut])
    with pytest.raises(FormatError, match=r"cut\.es: truncated: the file ends in 39 overflow bytes \(0xFF, 127 µs "
                                          r"each\), which a writer puts only before the event they lead to"):
        read_events_file(path)
    assert read_events_file(tmp_path / "a.es")[0]["t"].tolist() == [0, 10, 5_000, 5_001]


def test_the_real_event_stream_cut_after_an_overflow_byte_is_refused(tmp_path: Path) -> None:
    """faery_dvs.es cut after its first overflow byte (its first 383,946 bytes): was read as a
    shorter recording, exit 0."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    path = tmp_path / "cut.es"
    path.write_bytes((REAL / "faery_dvs.es").read_bytes()[:383_946])
    with pytest.raises(FormatError, match="truncated: the file ends in 1 overflow byte "):
        read_events_file(path)
