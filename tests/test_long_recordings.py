"""Long recordings: every check of a whole events file reads it in bounded blocks, and the generator
of docs/file-formats.md's "Long recordings" measurement writes files the readers take.

The measurement itself (files of 200 M events) is too large for a test; here the searches run with a
block of a few bytes, so that what crosses a block's end is exercised, and a reader of a file larger
than the block is shown to hold no more of it than a block at once.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

from evface.errors import FormatError
from evface.events.core import make_events
from evface.io import event_checks
from evface.io.event_reader import iter_events_file, read_events_file
from evface.io.event_writer import write_events_file

TOOL = Path(__file__).resolve().parents[1] / "tools" / "long_recording.py"


def _events(n: int):
    t = np.arange(n, dtype=np.int64) * 7
    return make_events(t, t % 640, (t // 640) % 480, np.where(t % 3, 1, -1))


@pytest.fixture
def small_block(monkeypatch):
    monkeypatch.setattr(event_checks, "SEARCH_BLOCK", 64, raising=False)  # absent before the fix
    return 64


class _Reads:
    """The largest read of a file whose name ends in ``suffix``, through ``open`` (was: none, the
    whole file mapped)."""

    def __init__(self, monkeypatch, suffix: str) -> None:
        self.largest = 0
        self.mapped = False
        real_open = builtins.open
        reads = self

        class Counted(io.BufferedReader):
            def read(self, size=-1):
                data = super().read(size)
                reads.largest = max(reads.largest, len(data))
                return data

        def counted_open(file, mode="r", *args, **kwargs):
            if str(file).endswith(suffix) and mode == "rb":
                return Counted(io.FileIO(file, "rb"))
            return real_open(file, mode, *args, **kwargs)

        def no_map(*args, **kwargs):
            reads.mapped = True
            raise AssertionError("the whole file mapped")

        monkeypatch.setattr(builtins, "open", counted_open)
        if hasattr(event_checks, "mmap"):
            monkeypatch.setattr(event_checks.mmap, "mmap", no_map)
        monkeypatch.setattr(event_checks.np, "memmap", no_map)


@pytest.mark.parametrize("suffix,version", [(".raw", "evt3"), (".raw", "evt2.1"), (".es", None)])
def test_a_reader_holds_a_block_of_the_file_at_a_time_not_the_whole_file(tmp_path, monkeypatch, small_block, suffix,
                                                                         version):
    """The search for a second header before an EVT 3.0 or 2.1 body is decoded, and the walk to an
    Event Stream's last event, mapped the whole file: a reader's resident memory grew with the
    file (0.8 GB read of a 0.55 GB EVT 3.0 file, 0.3 GB of an EVT 2.0 one, whose body is not
    searched). Now they read blocks of SEARCH_BLOCK bytes."""
    events = _events(5_000)
    path = write_events_file(tmp_path / f"rec{suffix}", events, (640, 480), version=version, relative_time=True)
    assert path.stat().st_size > 20 * small_block
    reads = _Reads(monkeypatch, suffix)
    event_checks.check_event_stream_end(path) if suffix == ".es" else event_checks.refuse_joined_files(
        path, len(path.read_bytes().split(b"% end\n")[0]) + 6, anywhere=False)
    event_checks.refuse_joined_files(path, 0 if suffix == ".es" else 6)  # at every byte, as on trouble
    assert not reads.mapped and 0 < reads.largest <= small_block + 64


@pytest.mark.parametrize("anywhere", [False, True])
@pytest.mark.parametrize("pad", range(16))
def test_a_second_header_across_a_block_end_is_found(tmp_path, monkeypatch, anywhere, pad):
    """A joined file's second header is refused wherever it lies against the blocks the body is
    read in (blocks of 16 bytes here, the header's first word 6): across a block's end, at its
    start, inside one; at odd offsets too when sought at every byte."""
    monkeypatch.setattr(event_checks, "SEARCH_BLOCK", 16)
    first = write_events_file(tmp_path / "a.raw", _events(40), (640, 480), version="evt2.1")
    body_start = len(first.read_bytes().split(b"% end\n")[0]) + 6
    joined = tmp_path / "j.raw"
    joined.write_bytes(first.read_bytes() + b"\x00" * pad + first.read_bytes())
    if pad % 2 and not anywhere:  # no whole number of words before it: sought at every byte only
        event_checks.refuse_joined_files(joined, body_start, anywhere=False)
    else:
        with pytest.raises(FormatError, match=f"at byte {first.stat().st_size + pad:,}: two files joined"):
            event_checks.refuse_joined_files(joined, body_start, anywhere=anywhere)
    event_checks.refuse_joined_files(first, body_start, anywhere=anywhere)  # one file alone: nothing found


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("overflows", [0, 1, 40])
def test_an_event_stream_walked_in_blocks_is_refused_as_when_whole(tmp_path, monkeypatch, small_block, cut, overflows):
    """Walked block by block, an Event Stream cut inside its last event, or ending in overflow
    bytes (one block of them and more), is refused with the numbers of a whole-file walk."""
    path = write_events_file(tmp_path / "rec.es", _events(300), (640, 480))
    data = path.read_bytes()
    damaged = tmp_path / "damaged.es"
    damaged.write_bytes(data[:len(data) - cut] + b"\xff" * overflows)
    monkeypatch.setattr(event_checks, "SEARCH_BLOCK", 1 << 30)
    try:
        event_checks.check_event_stream_end(damaged)
        whole = None
    except FormatError as exc:
        whole = str(exc)
    monkeypatch.setattr(event_checks, "SEARCH_BLOCK", small_block)
    if whole is None:
        event_checks.check_event_stream_end(damaged)
    else:
        with pytest.raises(FormatError) as caught:
            event_checks.check_event_stream_end(damaged)
        assert str(caught.value) == whole
    assert (whole is None) == (cut == overflows == 0) or cut and overflows


def _tool():
    spec = importlib.util.spec_from_file_location("long_recording", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.mark.parametrize("fmt", ["evt3", "evt2"])
def test_the_generator_writes_a_recording_the_readers_take_with_its_triggers(tmp_path, fmt):
    from evface.datasets.importers.sync_triggers import read_triggers

    tool = _tool()
    n = tool.write_events(tmp_path / "hd.raw", fmt, 200_000, 2e6, 30.0)
    events, size = read_events_file(tmp_path / "hd.raw")
    assert size == tool.SIZE and events.size == n and n % tool.GROUP == 0 and abs(n - 200_000) < 2_000
    assert np.all(np.diff(events["t"]) >= 0) and events["t"][0] == -tool.OFFSET_US
    frames = tool.session_frames(200_000, 2e6, 30.0) - tool.OFFSET_US
    trig = read_triggers(tmp_path / "hd.raw", size)
    rising = trig["t"][trig["rising"]]
    assert rising.tolist() == frames[:-1].tolist()  # one per frame but the last, which has no events after it
    assert sum(c.size for c in iter_events_file(tmp_path / "hd.raw", chunk_events=4096)) == n


def test_the_generator_main_writes_the_session(tmp_path):
    tool = _tool()
    tool.main([str(tmp_path / "s"), "--events", "100000", "--rate", "50000"])
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["annotations.csv", "hd.raw", "rgb.mp4"]
    assert len((tmp_path / "s" / "annotations.csv").read_text().splitlines()) == 4


EVT3_HEADER = b"% evt 3.0\n% format EVT3;width=640;height=480\n% geometry 640x480\n% end\n"


def _evt3_file(path: Path, time_highs: list[int]) -> Path:
    """An EVT 3.0 file of one event (x 5, y 7, ON) at the start of each time high in ``time_highs``."""
    words = []
    for th in time_highs:
        words += [0x8000 | th, 0x6000, 0x0007, 0x2000 | 1 << 11 | 5]
    path.write_bytes(EVT3_HEADER + np.array(words, dtype="<u2").tobytes())
    return path


def test_a_wrap_that_skips_0xfff_is_refused_not_read_16_8_s_early(tmp_path):
    """A sparse camera silent over the last milliseconds of a 24-bit period writes its time high
    0xFF0 then 0x002: faery's decoder counts a wrap only on 0xFFF -> 0x000, so the event after it,
    and every later one, came 2^24 µs early (here: at the same time as the one before)."""
    from evface.io.faery_bridge import from_faery
    from faery.extension import evt

    path = _evt3_file(tmp_path / "skip.raw", [0xFF0, 0x002, 0x003])
    with evt.Decoder(str(path), (640, 480), "evt3") as decoder:  # what evface read before
        t = np.concatenate([from_faery(p["events"])["t"] for p in decoder if "events" in p])
    assert t.tolist() == [0xFF0 << 12] * 3  # was: 16.8 s of time lost, without a word
    with pytest.raises(FormatError, match=r"skip\.raw: the time high steps from 0xFF0 to 0x002 at byte 78, which the "
                                          r"EVT 3\.0 decoder evface uses \(faery 0\.7\.1\) would not follow"):
        read_events_file(path)
    through = _evt3_file(tmp_path / "through.raw", [0xFF0, 0xFFF, 0x000, 0x002])  # a camera that says each step
    assert read_events_file(through)[0]["t"].tolist() == [0xFF0 << 12, 0xFFF << 12, 1 << 24, (1 << 24) + (2 << 12)]


@pytest.mark.parametrize(("time_highs", "refused_at"), [
    ([0xFFE, 0x001], 0),  # faery holds 0 at the start and drops a rise of 4094 units
    ([0x100, 0xF00, 0x005], 2),  # a rise of 3584 (14.7 s silent) is followed; the wrap after it is dropped
    ([0x100, 0x0FF, 0x101, 0x102], -1),  # a step back of one unit: dropped by every decoder alike
    ([0xFFE, 0xFFF, 0x000], 0),
    ([0xFFD, 0xFFE, 0xFFF, 0x000, 0x001], -1),  # a camera's own steps through a wrap
], ids=["first-0xffe", "wrap-after-a-silence", "step-back", "first-0xffe-then-wrap", "through-the-wrap"])
def test_every_time_high_faery_drops_by_half_a_period_or_more_is_found(time_highs, refused_at):
    """The time highs faery's decoder drops, a step of 2048 units or more, are found; a smaller
    step back, and the steps of a camera through its wrap, are not."""
    from evface.io import evt

    words = np.array([0x8000 | th for th in time_highs], dtype=np.uint16)
    assert int(evt.evt3_time_high_lost(words, 0)[0]) == refused_at


def test_a_wrap_across_a_block_end_is_found(tmp_path, small_block):
    """The time high faery holds is carried from block to block."""
    path = _evt3_file(tmp_path / "skip.raw", [0x010 + k for k in range(0, 4000, 200)] + [0x005])
    with pytest.raises(FormatError, match="steps from 0xEE8 to 0x005 at byte 230"):
        read_events_file(path)


def test_the_generator_refuses_a_sparse_evt3_file(tmp_path, capsys):
    """At 200 events/s the generator's groups leave the time high silent across wraps: it says so
    and keeps no file (was: wrote a file read 2^24 µs short per wrap)."""
    spec = importlib.util.spec_from_file_location("long_recording", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as stop:
        tool.main([str(tmp_path / "s"), "--events", "40000", "--rate", "200", "--format", "evt3"])
    assert stop.value.code == 2 and not (tmp_path / "s" / "hd.raw").exists()
    assert "give --format evt2 or a higher --rate" in capsys.readouterr().err


def test_the_triggers_of_a_file_with_such_a_step_are_refused_too(tmp_path):
    """`import session --sync trigger` reads an EVT 3.0 file's triggers through faery as well: refused
    alike (was: each trigger after the step 2^24 µs early)."""
    from evface.datasets.importers.sync_triggers import read_triggers

    words = [0x8FF0, 0x6000, 0xA001, 0x8002, 0x6000, 0xA000]  # a rising edge, a wrap skipping 0xFFF, a falling one
    path = tmp_path / "trig.raw"
    path.write_bytes(EVT3_HEADER + np.array(words, dtype="<u2").tobytes())
    with pytest.raises(FormatError, match=r"trig\.raw: the time high steps from 0xFF0 to 0x002 at byte 76"):
        read_triggers(path)
    path.write_bytes(EVT3_HEADER + np.array(words[:3] + [0x8FFF, 0x8000] + words[3:], dtype="<u2").tobytes())
    assert read_triggers(path)["t"].tolist() == [0xFF0 << 12, (1 << 24) + (2 << 12)]
