"""Camera event files: round trips for every format, streaming, atomic writes and bad input."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evface.cli import main
from evface.errors import DatasetError, EventsError, EvfaceError, FormatError, ParameterError
from evface.events.core import EVENT_DTYPE, make_events
from evface.io.aedat4 import check_aedat4
from evface.io.atomic_files import atomic_write
from evface.io.event_reader import iter_events_file, read_events_file
from evface.io.event_writer import GAP_PADDING_BYTES, MAX_GAP_US, open_events_writer, write_events_file
from evface.io.clip_schema import Clip
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder, read_dataset_json, write_dataset_json
from evface.io.manifest import MANIFEST_COLUMNS, read_manifest, read_manifest_lines, write_manifest
from evface.io.faery_bridge import from_faery, to_faery
from evface.io.file_info import file_info
from evface.io.formats import FORMATS, detect_format

SIZE = (640, 480)
TARGETS = [  # (file name, version, format name)
    ("a.raw", "evt3", "evt3"),
    ("a.raw", "evt2", "evt2"),
    ("a.raw", "evt2.1", "evt2.1"),
    ("a.dat", None, "dat"),
    ("a.aedat4", None, "aedat4"),
    ("a.es", None, "es"),
    ("a.csv", None, "csv"),
    ("a.h5", None, "clip"),
]
IDS = [fmt for _, _, fmt in TARGETS]


def tricky_stream(seed: int = 0, n: int = 3000) -> np.ndarray:
    """Dense bursts separated by long gaps: t far beyond 2^24 µs, EVT3 wraps crossed by dense and
    sparse stretches, both polarities, every sensor edge, repeated timestamps and pixels."""
    rng = np.random.default_rng(seed)
    starts = np.array([0, 2**24 - 3000, 3 * 2**24 + 17, 2_000_000_000, 4_000_000_000, 2**32 + 2**24 + 1])
    t = np.sort(np.concatenate([s + rng.integers(0, 6000, n // starts.size) for s in starts]))
    x = rng.integers(0, SIZE[0], t.size)
    y = rng.integers(0, SIZE[1], t.size)
    x[:4], y[:4] = [0, SIZE[0] - 1, 0, SIZE[0] - 1], [0, 0, SIZE[1] - 1, SIZE[1] - 1]
    x[-4:], y[-4:] = [SIZE[0] - 1, 0, SIZE[0] - 1, 0], [SIZE[1] - 1, SIZE[1] - 1, 0, 0]
    p = rng.choice([-1, 1], t.size)
    t[10:20] = t[10]  # one timestamp, several events (EVT2.1 vectors, EVT3 shared time)
    x[10:20], y[10:20], p[10:20] = np.arange(40, 50), 7, 1
    t[20:22], x[20:22], y[20:22] = t[19], 3, 3  # the same pixel twice at one time
    return make_events(t, x, y, p, SIZE)


@pytest.fixture(scope="module")
def stream() -> np.ndarray:
    return tricky_stream()


def fitting(stream: np.ndarray, fmt: str) -> np.ndarray:
    """``stream`` without the gaps of ~2e9 µs that Event Stream refuses (``MAX_GAP_US``); the first
    three bursts keep gaps of 16.8 s and 33.6 s."""
    return stream[stream["t"] < 10**9] if fmt == "es" else stream


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_round_trip_is_exact(tmp_path: Path, stream: np.ndarray, name: str, version: str | None, fmt: str) -> None:
    stream = fitting(stream, fmt)
    path = write_events_file(tmp_path / name, stream, SIZE, version=version)
    assert detect_format(path) == fmt
    back, size = read_events_file(path)
    assert size == SIZE
    assert back.dtype == EVENT_DTYPE
    np.testing.assert_array_equal(back, stream)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_late_start_keeps_absolute_time(tmp_path: Path, name: str, version: str | None, fmt: str) -> None:
    late = tricky_stream(seed=3, n=600)
    late = late[late["t"] < 2**24 + 5000]
    late["t"] += 3_000_000_000  # formats with a t0 header field must not rebase time on the first event
    if fmt == "es":  # Event Stream keeps no origin: refused, or written from the first event on request
        with pytest.raises(EventsError, match="--relative-time"):
            write_events_file(tmp_path / name, late, SIZE)
        assert not list(tmp_path.iterdir())
        path = write_events_file(tmp_path / name, late, SIZE, relative_time=True)
        back = read_events_file(path)[0]
        assert back["t"].tolist() == (late["t"] - late["t"][0]).tolist()
        return
    path = write_events_file(tmp_path / name, late, SIZE, version=version)
    np.testing.assert_array_equal(read_events_file(path)[0], late)


@pytest.mark.parametrize("version", ["evt2", "evt3"])
def test_reads_faery_files_with_t0_header(tmp_path: Path, stream: np.ndarray, version: str) -> None:
    import faery

    late = stream[(stream["t"] > 2_000_000_000) & (stream["t"] < 2_000_010_000)].copy()  # dense: faery's
    path = tmp_path / "faery.raw"  # own EVT3 encoder mis-writes gaps that cross a wrap (docs/file-formats.md)
    faery.file_encoder.events_to_file(iter([to_faery(late)]), path, SIZE, version=version, zero_t0=True)
    assert b"% t0 " in path.read_bytes()[:200]
    np.testing.assert_array_equal(read_events_file(path)[0], late)


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_streaming_write_and_chunked_read(tmp_path: Path, stream: np.ndarray, name: str, version: str | None,
                                          fmt: str) -> None:
    stream = fitting(stream, fmt)
    path = tmp_path / name
    with open_events_writer(path, SIZE, version=version) as writer:
        for part in np.array_split(stream, 7):
            writer.write(part)
    assert writer.count == stream.size
    reader = iter_events_file(path, chunk_events=500)
    assert reader.sensor_size == SIZE and reader.format == fmt
    chunks = list(reader)
    assert [c.size for c in chunks[:-1]] == [500] * (len(chunks) - 1)
    np.testing.assert_array_equal(np.concatenate(chunks), stream)
    window_us = 1_000_000
    chunks = list(iter_events_file(path, chunk_us=window_us))
    np.testing.assert_array_equal(np.concatenate(chunks), stream)
    for chunk in chunks:
        assert chunk["t"][0] // window_us == chunk["t"][-1] // window_us
    assert len({int(c["t"][0]) // window_us for c in chunks}) == len(chunks)


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_time_window_read(tmp_path: Path, stream: np.ndarray, name: str, version: str | None, fmt: str) -> None:
    stream = fitting(stream, fmt)
    path = write_events_file(tmp_path / name, stream, SIZE, version=version)
    t0, t1 = 2**24 - 1000, 3 * 2**24 + 3000
    back, _ = read_events_file(path, t_start_us=t0, t_end_us=t1)
    np.testing.assert_array_equal(back, stream[(stream["t"] >= t0) & (stream["t"] < t1)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gaps=st.lists(st.one_of(st.integers(0, 70), st.integers(0, 3 * 2**24)), min_size=1, max_size=60),
    seed=st.integers(0, 1000),
    version=st.sampled_from(["evt3", "evt2.1", "evt2"]),
)
def test_evt_round_trip_property(tmp_path: Path, gaps: list[int], seed: int, version: str) -> None:
    rng = np.random.default_rng(seed)
    t = np.cumsum(gaps)
    ev = make_events(t, rng.integers(0, 64, t.size), rng.integers(0, 4, t.size), rng.choice([-1, 1], t.size))
    path = write_events_file(tmp_path / f"p{seed}.raw", ev, (64, 4), version=version)
    np.testing.assert_array_equal(read_events_file(path)[0], ev)


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_empty_stream_round_trip(tmp_path: Path, name: str, version: str | None, fmt: str) -> None:
    path = write_events_file(tmp_path / name, make_events([], [], [], []), (64, 48), version=version)
    events, size = read_events_file(path)
    assert events.size == 0 and events.dtype == EVENT_DTYPE and size == (64, 48)
    assert file_info(path)["events"] == 0


def test_evt21_legacy_word_order(tmp_path: Path, stream: np.ndarray) -> None:
    path = write_events_file(tmp_path / "a.raw", stream, SIZE, version="evt2.1")
    data = path.read_bytes()
    cut = data.index(b"% end\n") + len(b"% end\n")
    words = np.frombuffer(data[cut:], dtype="<u8")
    swapped = (words << np.uint64(32)) | (words >> np.uint64(32))  # IMX636 order: high half first
    header = data[:cut].replace(b"EVT21;", b"EVT21;endianness=legacy;")
    path.write_bytes(header + swapped.astype("<u8").tobytes())
    np.testing.assert_array_equal(read_events_file(path)[0], stream)


def test_faery_dtype_conversion_keeps_every_field() -> None:
    ev = make_events([0, 2**40], [1, 65535], [65535, 2], [1, -1])
    back = from_faery(to_faery(ev))
    np.testing.assert_array_equal(back, ev)
    assert to_faery(ev)["on"].tolist() == [True, False]


def test_info_of_camera_file(tmp_path: Path, stream: np.ndarray) -> None:
    path = write_events_file(tmp_path / "a.raw", stream, SIZE)
    info = file_info(path)
    assert info["format"] == "evt3" and info["sensor_size"] == list(SIZE)
    assert info["events"] == stream.size
    assert info["duration_us"] == int(stream["t"][-1] - stream["t"][0])
    assert info["on_events"] == int(np.sum(stream["p"] > 0))
    assert info["mean_rate_hz"] == pytest.approx(stream.size / (info["duration_us"] * 1e-6))


def test_known_count_without_decoding(tmp_path: Path, stream: np.ndarray) -> None:
    for name, count in [("a.dat", stream.size), ("a.h5", stream.size), ("a.raw", None), ("a.csv", None)]:
        path = write_events_file(tmp_path / name, stream, SIZE)
        assert iter_events_file(path, t_start_us=0, t_end_us=1).known_count == count, name
    empty = write_events_file(tmp_path / "e.dat", stream[:0], SIZE)
    assert iter_events_file(empty, sensor_size=SIZE).known_count == 0


def test_format_names_are_stable() -> None:
    assert set(FORMATS) == {"evt3", "evt2", "evt2.1", "dat", "aedat4", "es", "csv", "clip"}


# ---------------------------------------------------------------------------- atomic writes


def test_error_inside_writer_leaves_nothing(tmp_path: Path, stream: np.ndarray) -> None:
    path = tmp_path / "a.aedat4"
    with pytest.raises(RuntimeError):
        with open_events_writer(path, SIZE) as writer:
            writer.write(stream[:100])
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_bad_chunk_leaves_nothing_and_old_file_intact(tmp_path: Path, stream: np.ndarray) -> None:
    path = write_events_file(tmp_path / "a.raw", stream, SIZE)
    before = path.read_bytes()
    with pytest.raises(EventsError, match="not sorted"):
        with open_events_writer(path, SIZE) as writer:
            writer.write(stream[100:200])
            writer.write(stream[:100])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.raw"]


@pytest.mark.parametrize(("chunk", "message"), [
    ([3], r"t\[2\]=3 < t\[1\]=5 \(the previous chunk's last event\)"),
    ([6, 9, 7], r"t\[4\]=7 < t\[3\]=9"),
])
def test_events_out_of_order_are_numbered_in_the_stream(tmp_path: Path, chunk, message) -> None:
    """Was: within the chunk, "t=7 (event 2 of the chunk) follows 9", where ClipEventsWriter numbers
    them in the stream."""
    path = tmp_path / "a.csv"
    with pytest.raises(EventsError, match=rf"^{re.escape(str(path))}: timestamps not sorted: {message}$"):
        with open_events_writer(path, SIZE) as writer:
            writer.write(make_events([0, 5], [1, 2], [3, 3], [1, -1]))
            events = make_events(sorted(chunk), [1] * len(chunk), [1] * len(chunk), [1] * len(chunk))
            events["t"] = chunk  # out of order, as make_events would not make them
            writer.write(events)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("x", "p", "message"), [
    ([1, 700], [1, 1], r"event 3 at t=7 µs \(x=700, y=1\) lies outside the 640x480 sensor"),
    ([1, 2], [0, 1], r"event 2 at t=6 µs \(x=1, y=1\) has polarity 0, expected -1 or \+1"),
    ([700, 2], [1, 3], r"event 2 at t=6 µs \(x=700, y=1\) lies outside the 640x480 sensor"),  # the first bad event of either kind
])
def test_events_off_the_sensor_or_of_bad_polarity_are_numbered_in_the_stream(tmp_path: Path, x, p, message) -> None:
    """Was: "coordinates outside the 640x480 sensor (x=700, y=1 at t=7 µs)", named by its time, and
    "polarity must be -1 or +1", naming no event (ClipEventsWriter numbers them in the stream)."""
    path = tmp_path / "a.csv"
    with pytest.raises(EventsError, match=rf"^{re.escape(str(path))}: {message}$"):
        with open_events_writer(path, SIZE) as writer:
            writer.write(make_events([0, 5], [1, 2], [3, 3], [1, -1]))
            events = make_events([6, 7], x, [1, 1], [1, 1])
            events["p"] = p  # as make_events would not make them
            writer.write(events)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("chunk", "message"), [
    (make_events([6, 7], [1, 9], [0, 0], [1, 1]), r"event 3 at t=7 µs \(x=9, y=0\) lies outside the 4x4 sensor$"),
    (make_events([3], [1], [1], [1]), r"timestamps not sorted: t\[2\]=3 < t\[1\]=5 \(the previous chunk's last event\)$"),
    (np.zeros(2), "events must be a 1-D array of "),
])
def test_a_clip_files_writer_names_the_sensor_of_a_refused_chunk(tmp_path: Path, chunk, message) -> None:
    """open_events_writer("x.h5", ...) said "x.h5: event 3 at t=7 µs (x=9, y=0) lies outside the 4x4
    sensor", where ClipEventsWriter under it says "x.h5: events/lr: event 3 ...": the clip file's
    writer now names the sensor's events as it does; another format's, which holds one sensor, not."""
    path = tmp_path / "x.h5"
    with pytest.raises(EventsError, match=rf"^{re.escape(str(path))}: events/lr: {message}"):
        with open_events_writer(path, (4, 4), sensor="lr") as writer:
            writer.write(make_events([0, 5], [1, 2], [3, 3], [1, -1]))
            writer.write(chunk)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(EventsError, match=rf"^{re.escape(str(tmp_path / 'x.csv'))}: event 1 at t=7 µs"):
        write_events_file(tmp_path / "x.csv", make_events([6, 7], [1, 9], [0, 0], [1, 1]), (4, 4))


def test_two_writers_of_one_output_never_share_a_temporary_file(tmp_path: Path, stream: np.ndarray) -> None:
    """Two `convert`s to one OUT both wrote NAME.tmp: the first failed "cannot write (No such file or
    directory)" and the second reported a corrupt AEDAT 4 as written. Each writer (the events writers
    and io.atomic_files.atomic_write) now has a temporary file of its own; the last to finish wins, whole."""
    path = tmp_path / "a.aedat4"
    first, second = open_events_writer(path, SIZE), open_events_writer(path, SIZE)
    first.write(stream[:1000])
    second.write(stream[1000:1500])
    second.close()
    first.write(stream[1000:2000])
    first.close()
    np.testing.assert_array_equal(read_events_file(path)[0], stream[:2000])
    text = tmp_path / "a.txt"
    atomic_write(text, lambda tmp: (tmp.write_text("first"), atomic_write(text, lambda t: t.write_text("second"))))
    assert text.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.aedat4", "a.txt"]


def test_dat_refuses_gaps_it_cannot_store(tmp_path: Path) -> None:
    t = [0, 2**31 - 10, 2**32 - 20, 2**32 + 2**31 - 30, 2**33 + 2**31]  # the last gap is too long
    ev = make_events(t, [0] * 5, [0] * 5, [1] * 5)
    path = write_events_file(tmp_path / "ok.dat", ev[:4], SIZE)
    np.testing.assert_array_equal(read_events_file(path)[0], ev[:4])
    with pytest.raises(EventsError, match="gap"):
        write_events_file(tmp_path / "bad.dat", ev, SIZE)
    assert not (tmp_path / "bad.dat").exists()


@pytest.mark.parametrize(("name", "version", "raw"), [
    ("a.es", None, ", or .raw"), ("a.raw", "evt3", ", or .raw with --version evt2"),
    ("a.raw", "evt2", ", or .raw with --version evt2.1"), ("a.raw", "evt2.1", "")], ids=["es", "evt3", "evt2", "evt2.1"])
def test_a_gap_whose_padding_would_fill_the_disk_is_refused(tmp_path: Path, name: str, version: str | None,
                                                            raw: str) -> None:
    """Two events 10^15 µs apart made a 7.9 TB Event Stream (477 MB EVT3, 60 MB EVT2): the formats fill
    a gap with time words or overflow bytes. A gap that costs at most GAP_PADDING_BYTES is written;
    a longer one is refused before its chunk is written, also when it falls between two chunks."""
    fmt = version or "es"
    limit = MAX_GAP_US[fmt]
    ok = make_events([0, 5, limit + 5], [1, 2, 3], [1, 2, 3], [1, -1, 1])
    path = write_events_file(tmp_path / name, ok, SIZE, version=version)
    np.testing.assert_array_equal(read_events_file(path)[0], ok)
    assert path.stat().st_size < GAP_PADDING_BYTES + 200
    before = path.read_bytes()
    with pytest.raises(EventsError) as err, open_events_writer(path, SIZE, version=version) as writer:
        writer.write(ok[:2])
        writer.write(make_events([limit + 6], [3], [3], [1]))
    assert str(err.value) == (f"{path}: a gap of {limit + 1:,} µs between events (t=5 to {limit + 6:,} µs): {fmt} fills "
                              f"a gap with padding, and evface writes at most 1 MiB of it per gap ({limit:,} µs); "
                              f"write .aedat4, .h5 or .csv{raw}, which hold it")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [name]


# ---------------------------------------------------------------------------- bad input


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "a.xyz"
    path.write_bytes(b"1234")
    with pytest.raises(FormatError, match=r"a\.xyz.*unknown extension"):
        read_events_file(path)
    with pytest.raises(FormatError, match="unknown extension"):
        write_events_file(tmp_path / "b.xyz", make_events([0], [0], [0], [1]), SIZE)


def test_format_and_version_names(tmp_path: Path, stream: np.ndarray) -> None:
    """A format that contradicts the extension wrote a file no reader could open (CSV text in a
    .raw, read as EVT); an EVT version that is no text was an AttributeError; names in any case."""
    ev = stream[:50]
    with pytest.raises(FormatError, match=r"a\.raw: format 'csv' contradicts the extension '\.raw'.*name the file \.csv"):
        write_events_file(tmp_path / "a.raw", ev, SIZE, format="csv")
    with pytest.raises(FormatError, match=r"b\.h5: format 'evt3' contradicts the extension '\.h5' \(clip\).*\.raw"):
        write_events_file(tmp_path / "b.h5", ev, SIZE, format="evt3")
    with pytest.raises(FormatError, match=r"unknown EVT version 3 \(version=\); expected one of evt3, evt2, evt2\.1"):
        write_events_file(tmp_path / "c.raw", ev, SIZE, version=3)
    with pytest.raises(FormatError, match="format 'evt2' and version 'evt3' disagree"):
        write_events_file(tmp_path / "c.raw", ev, SIZE, format="evt2", version="evt3")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    for format, version, name in [("EVT2", None, "evt2"), (None, "Evt2.1", "evt2.1"), ("CSV", None, "csv")]:
        path = write_events_file(tmp_path / f"d.{'csv' if name == 'csv' else 'raw'}", ev, SIZE, format=format,
                                 version=version)
        assert detect_format(path) == name
        np.testing.assert_array_equal(read_events_file(path)[0], ev)


def test_write_manifest_refuses_what_read_manifest_would(tmp_path: Path) -> None:
    """Rows without a subject, a clip listed twice or AUs that are no numbers were written, and
    the folder then refused by every reader; a dict for the rows was "string indices must be integers"."""
    row = {"clip_id": "c0", "subject": "s0", "label": "AU4", "aus": [4], "lighting": "dim", "file": "clips/c0.h5",
           "onset_us": 0, "apex_us": 1, "offset_us": 2, "duration_us": 3, "source": ""}
    write_manifest(tmp_path, [row])
    before = (tmp_path / "manifest.csv").read_bytes()
    for rows, message in [([{"clip_id": "c1"}], r"line 2: empty subject, label, file"),
                          ([row, row], r"line 3: clip_id 'c0' is already on line 2"),
                          ([{**row, "aus": "4+x"}], r"line 2: aus '4\+x' is not AU numbers joined by '\+' \(as 6\+12\)"),
                          ([{**row, "onset_us": ""}], r"line 2: onset_us '' is not a whole number of µs"),
                          ([{**row, "apex_us": 1.5}], r"line 2: apex_us '1.5' is not a whole number of µs")]:
        with pytest.raises(DatasetError, match=rf"manifest\.csv \(not written\): {message}"):
            write_manifest(tmp_path, rows)
    with pytest.raises(ParameterError, match=r"rows must be a list of manifest rows \(dicts\), got dict"):
        write_manifest(tmp_path, row)
    assert (tmp_path / "manifest.csv").read_bytes() == before and read_manifest(tmp_path)[0]["aus"] == [4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.csv"]


MANIFEST_HEADER = "clip_id,subject,label,aus,lighting,file,onset_us,apex_us,offset_us,duration_us,source\n"
"""The header of every manifest :func:`write_manifest` writes."""


def _spaced_manifest(folder: Path, last_apex_us: str = "1") -> Path:
    """A manifest of clips c0 and c1 (files clips/c0.h5, clips/c1.h5; c1's apex ``last_apex_us``) as a
    hand edit leaves it: a blank line before each row and c0's source a quoted cell holding a line
    break; c1's row starts on line 6."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = (f"\nc0,s0,AU4,4,dim,clips/c0.h5,0,1,2,3,\"two\nlines\"\n"
            f"\nc1,s0,AU4,4,dim,clips/c1.h5,0,{last_apex_us},2,3,\n")
    (folder / "manifest.csv").write_text(MANIFEST_HEADER + rows)
    return folder


def test_a_manifest_error_names_the_line_its_row_starts_on(tmp_path: Path) -> None:
    """Was: rows counted from line 2, so after a blank line or a quoted cell holding a line break
    the error named a line the row is not on ("line 3" for c1's row, on line 6)."""
    folder = _spaced_manifest(tmp_path / "ds", last_apex_us="x")
    with pytest.raises(DatasetError, match=r"manifest\.csv: line 6: apex_us 'x' is not a whole number of µs$"):
        read_manifest(folder)
    manifest = _spaced_manifest(tmp_path / "twice") / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("clips/c1.h5", "clips/c0.h5"))
    with pytest.raises(DatasetError, match=r"manifest\.csv: line 6: file 'clips/c0\.h5' is already on line 3$"):
        read_manifest(manifest.parent)


def test_a_manifest_with_blank_lines_reads_as_without_them(tmp_path: Path) -> None:
    """Lines are counted around the rows, which stay the dicts of the manifest's columns alone."""
    rows, lines = read_manifest_lines(_spaced_manifest(tmp_path / "ds"))
    assert lines == [3, 6] and [row["clip_id"] for row in rows] == ["c0", "c1"]
    assert set(rows[0]) == set(MANIFEST_COLUMNS) and rows[0]["source"] == "two\nlines" and rows[1]["aus"] == [4]
    assert read_manifest(tmp_path / "ds") == rows


def test_a_row_contradicting_its_clip_is_named_by_the_line_it_starts_on(tmp_path: Path) -> None:
    """``DatasetFolder.open`` checked rows against their clips counting rows from line 2 too: "line 3"
    for c1's row on line 6."""
    folder = _spaced_manifest(tmp_path / "ds")
    for clip_id in ("c0", "c1"):
        write_clip(folder / "clips" / f"{clip_id}.h5", Clip(clip_id, "s0", "AU4", [4], "dim", 0, 1, 2, 3))
    write_dataset_json(folder, {"classes": {"AU4": [4]}})
    assert DatasetFolder.open(folder).lines == (3, 6)
    write_clip(folder / "clips" / "c1.h5", Clip("c1", "s0", "AU4", [4], "dim", 0, 2, 2, 3))
    with pytest.raises(DatasetError, match=r"manifest\.csv: line 6: apex_us 1 contradicts its clip clips/c1\.h5"):
        DatasetFolder.open(folder)


def test_check_aedat4_names_a_file_it_cannot_open(tmp_path: Path) -> None:
    """Was FileNotFoundError / IsADirectoryError from inside the check."""
    with pytest.raises(FormatError, match=r"nope\.aedat4: cannot read \(No such file or directory\)"):
        check_aedat4(tmp_path / "nope.aedat4")
    with pytest.raises(FormatError, match=r": cannot read \(Is a directory\)"):
        check_aedat4(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "a.raw"
    path.touch()
    with pytest.raises(FormatError, match=r"a\.raw.*empty"):
        read_events_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_events_file(tmp_path / "nope.es")


@pytest.mark.parametrize(("name", "version", "fmt"), TARGETS, ids=IDS)
def test_bytes_paths_read_and_write_every_format(tmp_path: Path, stream: np.ndarray, name: str, version: str | None,
                                                 fmt: str) -> None:
    """Was: "argument should be a str object or an os.PathLike object returning str, not <class 'bytes'>"
    (pathlib's TypeError, naming no parameter) from every reader and writer given ``b"/tmp/x.raw"``, the
    form ``os.listdir(b".")`` and ``os.fsencode`` give names in."""
    stream, path = fitting(stream, fmt), os.fsencode(tmp_path / name)
    assert write_events_file(path, stream, SIZE, version=version) == tmp_path / name
    with open_events_writer(os.fsencode(tmp_path / f"b{name}"), SIZE, version=version) as writer:
        writer.write(stream)
    for written in (path, os.fsencode(tmp_path / f"b{name}")):
        assert detect_format(written) == fmt
        np.testing.assert_array_equal(read_events_file(written)[0], stream)
        assert sum(chunk.size for chunk in iter_events_file(written, chunk_us=10**6)) == stream.size
        assert file_info(written)["events"] == stream.size
    if fmt == "aedat4":
        assert check_aedat4(path) == {0: "EVTS"}


def test_a_bytes_name_that_is_not_utf8_and_a_path_of_no_path_type(tmp_path: Path, stream: np.ndarray) -> None:
    """A bytes name that is not UTF-8 is the name ``sys.argv`` gives such a file (a clip is written
    under it, faery's formats refuse it); a path that is no path was pathlib's TypeError."""
    clip = write_events_file(os.fsencode(tmp_path) + b"/take\xff.h5", stream, SIZE)
    assert clip == tmp_path / os.fsdecode(b"take\xff.h5")
    np.testing.assert_array_equal(read_events_file(os.fsencode(clip))[0], stream)
    with pytest.raises(FormatError, match="take.xff.raw: the file name is not UTF-8 text"):
        write_events_file(os.fsencode(tmp_path) + b"/take\xff.raw", stream, SIZE)
    for call in (lambda: read_events_file(3), lambda: write_events_file(None, stream, SIZE),
                 lambda: detect_format(["a.raw"])):
        with pytest.raises(ParameterError, match=r"^path must be a file path \(str, bytes or os.PathLike\), got "):
            call()


@pytest.mark.parametrize(("name", "version"), [("a.raw", "evt3"), ("a.raw", "evt2.1"), ("a.dat", None)])
def test_truncated_word(tmp_path: Path, stream: np.ndarray, name: str, version: str | None) -> None:
    path = write_events_file(tmp_path / name, stream, SIZE, version=version)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(FormatError, match="truncated"):
        read_events_file(path)


def test_truncated_aedat4(tmp_path: Path, stream: np.ndarray) -> None:
    path = write_events_file(tmp_path / "a.aedat4", stream, SIZE)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(FormatError, match=r"a\.aedat4"):
        read_events_file(path)


def test_corrupt_evt3_body(tmp_path: Path, stream: np.ndarray) -> None:
    path = write_events_file(tmp_path / "a.raw", stream, SIZE)
    data = bytearray(path.read_bytes())
    header_end = data.index(b"% end\n") + len(b"% end\n")
    data[header_end + 40:header_end + 42] = (0x2000 | 0x7FF).to_bytes(2, "little")  # x = 2047 on a 640 sensor
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"a\.raw.*(corrupt|overflow)"):
        read_events_file(path)


def test_corrupt_magic(tmp_path: Path) -> None:
    path = tmp_path / "a.es"
    path.write_bytes(b"Not an event stream at all")
    with pytest.raises(FormatError, match=r"a\.es: not an Event Stream file"):
        read_events_file(path)


def test_raw_without_version(tmp_path: Path) -> None:
    path = tmp_path / "a.raw"
    path.write_bytes(b"% geometry 640x480\n\x00\x80")
    with pytest.raises(FormatError, match="no EVT version"):
        read_events_file(path)


def test_unsorted_timestamps_in_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("t,x@640,y@480,on\n10,1,1,1\n5,2,2,0\n")
    with pytest.raises(EventsError, match=r"a\.csv.*not sorted"):
        read_events_file(path)


@pytest.mark.parametrize("block_bytes", [1 << 24, 64], ids=["one-block", "blocks-of-64-bytes"])
def test_unsorted_events_in_a_file_are_numbered_as_the_writers_number_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    """Was "timestamps not sorted: 5 follows 10" (no index), where every writer says "t[n]=... <
    t[n-1]=..."; the index is the event's in the file, whichever block of it is decoded."""
    monkeypatch.setattr("evface.io.event_reader._CSV_BLOCK_BYTES", block_bytes)
    path = tmp_path / "a.csv"
    path.write_text("t,x@640,y@480,on\n" + "".join(f"{10 * k},1,1,1\n" for k in range(30)) + "5,2,2,0\n")
    with pytest.raises(EventsError, match=rf"^{re.escape(str(path))}: timestamps not sorted: t\[30\]=5 < t\[29\]=290 "
                                          r"\(`evface convert --sort` writes a sorted copy\)$"):
        read_events_file(path)


def _clip_of_100_events(tmp_path: Path) -> Path:
    """A clip of 100 events 10 µs apart on an 8x4 sensor, to be damaged with h5py."""
    n = 100
    return write_events_file(tmp_path / "a.h5", make_events(np.arange(n) * 10, np.arange(n) % 8, [0] * n, [1] * n),
                             (8, 4))


def _both_readers_refuse(path: Path, window: tuple, says: str) -> None:
    """The whole read and the chunked one, in ``window``, both raise an EventsError matching ``says``."""
    t_start_us, t_end_us = window
    with pytest.raises(EventsError, match=says):
        read_events_file(path, t_start_us=t_start_us, t_end_us=t_end_us)
    with pytest.raises(EventsError, match=says):
        list(iter_events_file(path, chunk_events=7, t_start_us=t_start_us, t_end_us=t_end_us))


@pytest.mark.parametrize("window", [(None, None), (300, None), (300, 800)])
def test_unsorted_events_in_a_clip_window_are_numbered_in_the_file(tmp_path: Path, window: tuple) -> None:
    """A clip's window is read through its t_index, not decoded from the file's start; was: the
    event out of order numbered from the window's start (t[21] for the file's t[51])."""
    path = _clip_of_100_events(tmp_path)
    with h5py.File(path, "r+") as f:
        f["events/events/t"][50:52] = [510, 500]
    says = rf"^{re.escape(str(path))}: timestamps not sorted: t\[51\]=500 < t\[50\]=510 "
    _both_readers_refuse(path, window, says)


@pytest.mark.parametrize("window", [(None, None), (300, None)])
def test_a_polarity_other_than_one_in_a_clip_names_the_first_such_event(tmp_path: Path, window: tuple) -> None:
    """Was "2 polarity values other than -1 or +1: corrupt file", no event named; now the first,
    by its index in the file, time and value, as one off the sensor or out of order is named."""
    path = _clip_of_100_events(tmp_path)
    with h5py.File(path, "r+") as f:
        f["events/events/p"][60], f["events/events/p"][70] = 0, 5
    says = (rf"^{re.escape(str(path))}: event 60 at t=600 µs \(x=4, y=0\) has polarity 0, expected -1 or \+1: "
            "corrupt file$")
    _both_readers_refuse(path, window, says)


@pytest.mark.parametrize("name", ["a.csv", "a.h5"])
def test_sort_reads_an_unsorted_file_in_time_order(tmp_path: Path, stream: np.ndarray, name: str) -> None:
    """A CSV and a clip file with two events out of order: an error naming `convert --sort`
    without it, the events in stable time order with it. (Of the formats faery decodes, EVT and
    Event Stream carry time as a running state, and DAT reads a decrease as its 32-bit wrap.)"""
    i = int(np.flatnonzero(np.diff(stream["t"]) > 0)[5])  # events i and i + 1 have different times
    path = write_events_file(tmp_path / name, stream, SIZE)
    if name.endswith(".csv"):
        lines = path.read_text().splitlines(keepends=True)
        lines[i + 1], lines[i + 2] = lines[i + 2], lines[i + 1]  # line 0 is the header
        path.write_text("".join(lines))
    else:
        with h5py.File(path, "r+") as f:
            for column in f["events/events"].values():
                if column.shape == stream.shape:
                    column[i : i + 2] = column[i : i + 2][::-1]
    with pytest.raises(EventsError, match=r"not sorted.*convert --sort"):
        read_events_file(path)
    chunks = list(iter_events_file(path, chunk_events=1000, sort=True))
    assert [c.size for c in chunks[:-1]] == [1000] * (len(chunks) - 1)
    np.testing.assert_array_equal(np.concatenate(chunks), stream)


def test_cli_convert_sort(tmp_path: Path, stream: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_events_file(tmp_path / "a.csv", stream, SIZE)
    lines = src.read_text().splitlines(keepends=True)
    lines[1:] = lines[:0:-1]  # every event in reverse order
    src.write_text("".join(lines))
    assert main(["convert", str(src), str(tmp_path / "b.raw")]) == 2
    assert "convert --sort" in capsys.readouterr().err and not (tmp_path / "b.raw").exists()
    assert main(["convert", "--sort", str(src), str(tmp_path / "b.raw")]) == 0
    back, _ = read_events_file(tmp_path / "b.raw")
    order = np.lexsort((-np.arange(stream.size), stream["t"]))  # equal times stay in the file's (reversed) order
    np.testing.assert_array_equal(back, stream[order])


@pytest.mark.parametrize("name", ["a.csv", "a.h5"])
def test_sort_refuses_a_file_too_large_for_memory(tmp_path: Path, stream: np.ndarray, name: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The event count (estimated from a CSV's first rows, read from a clip) times 40 bytes against
    half the machine's memory, before any event is decoded; convert then writes nothing."""
    src = write_events_file(tmp_path / name, stream, SIZE)
    need, real = stream.size * 40, os.sysconf

    def memory(total: int) -> None:  # a machine of ``total`` bytes, in pages of 1 byte
        monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 1, "SC_PHYS_PAGES": total}.get(name, real(name)))

    memory(2 * need + 4096)
    assert len(np.concatenate(list(iter_events_file(src, sort=True)))) == stream.size
    memory(2 * need - 4096)
    with pytest.raises(ParameterError, match=r"sorting its events in memory \(about 0 M events\) takes about 0.0 GiB, "
                                             r"more than half.*sort the file on disk"):
        next(iter(iter_events_file(src, sort=True)))
    assert main(["convert", "--sort", str(src), str(tmp_path / "b.raw")]) == 2
    assert "sort the file on disk first" in capsys.readouterr().err and not (tmp_path / "b.raw").exists()


@pytest.mark.parametrize(("name", "version"), [("a.raw", "evt3"), ("a.raw", "evt2.1"), ("a.csv", None), ("a.es", None)])
def test_a_window_bound_that_is_no_whole_number_is_named(tmp_path: Path, stream: np.ndarray, name: str,
                                                        version: str | None) -> None:
    """A string bound was compared with the times as text (half the events, silently), nan gave none."""
    path = write_events_file(tmp_path / name, fitting(stream, "es"), SIZE, version=version)
    for bound in ({"t_start_us": "5"}, {"t_end_us": float("nan")}, {"t_start_us": 5.5}):
        with pytest.raises(ParameterError, match=f"{next(iter(bound))} must be"):
            read_events_file(path, **bound)
    t = fitting(stream, "es")["t"]
    assert read_events_file(path, t_start_us=float(t[5]))[0].size == t.size - 5
    with pytest.raises(ParameterError, match=rf"t_end_us \({t[5]}\) must be >= t_start_us \({t[9]}\)"):
        read_events_file(path, t_start_us=int(t[9]), t_end_us=int(t[5]))  # backwards, as slice_time


def test_headerless_csv_needs_a_size(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("0,1,1,1\n7,3,2,0\n")
    with pytest.raises(FormatError, match="no sensor size"):
        read_events_file(path)
    events, size = read_events_file(path, sensor_size=(4, 3))
    assert size == (4, 3) and events["t"].tolist() == [0, 7] and events["p"].tolist() == [1, -1]


def test_coordinates_outside_sensor_in_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("t,x@640,y@480,on\n10,1,1,1\n12,700,2,0\n")
    with pytest.raises(EvfaceError, match=r"a\.csv"):
        read_events_file(path)


def test_coordinates_outside_the_sensor_name_one_real_event(tmp_path: Path) -> None:
    """The message gave the chunk's largest x and largest y, (x=12, y=7), an event that does not exist."""
    ev = make_events([1, 6, 7], [2, 12, 3], [7, 3, 3], [1, -1, 1])
    with pytest.raises(EventsError, match=r"a\.raw: event 1 at t=6 µs \(x=12, y=3\) lies outside the 10x8 sensor$"):
        write_events_file(tmp_path / "a.raw", ev, (10, 8))
    says = "event 1 at t=6 µs (x=12, y=3) lies outside the 10x8 sensor"
    path = tmp_path / "a.csv"
    path.write_text("t,x@10,y@8,on\n1,2,7,1\n6,12,3,0\n7,3,3,1\n")
    with pytest.raises(EventsError, match=rf"a\.csv: {re.escape(says)}$"):
        read_events_file(path)


def test_an_event_off_the_sensor_is_named_alike_by_the_readers_and_the_writers(tmp_path: Path, monkeypatch) -> None:
    """Was: the events readers named it by its time ("coordinates outside the 10x8 sensor (x=12, y=3 at
    t=50 µs)"; EVT 2.1: "x=12 outside the 10x8 sensor", neither), the writers by its index in the
    stream ("event 5 at (x=12, y=3)"). Now both give its index in the file or stream, its time, x and y
    (a Prophesee file also where the size came from and what to change),
    the index counting the chunks decoded before its own (here the CSV is read in blocks of 16 bytes)."""
    x = [1, 2, 3, 4, 5, 12, 6, 7]
    ev = make_events(np.arange(8) * 10, x, [3] * 8, [1, -1] * 4)
    says = r"event 5 at t=50 µs \(x=12, y=3\) lies outside the 10x8 sensor"
    with pytest.raises(EventsError, match=rf"a\.csv: {says}$"):
        write_events_file(tmp_path / "a.csv", ev, (10, 8))
    monkeypatch.setattr("evface.io.event_reader._CSV_BLOCK_BYTES", 16)
    path = tmp_path / "b.csv"
    path.write_text("t,x@10,y@8,on\n" + "".join(f"{t},{x},3,{int(p > 0)}\n" for t, x, _, p in ev.tolist()))
    with pytest.raises(EventsError, match=rf"b\.csv: {says}$"):
        read_events_file(path)
    path = write_events_file(tmp_path / "c.raw", ev, (16, 8), version="evt2.1")
    path.write_bytes(path.read_bytes().replace(b"width=16", b"width=10").replace(b"geometry 16x8", b"geometry 10x8"))
    with pytest.raises(FormatError, match=rf"c\.raw: {says} its header states: a header that understates its sensor"):
        read_events_file(path)  # EVT 2.0/3.0 and DAT alike: test_evt_off_sensor.py


def test_coordinates_outside_sensor_on_write(tmp_path: Path) -> None:
    ev = make_events([0, 1], [0, 640], [0, 0], [1, 1])
    with pytest.raises(EventsError, match=r"outside the 640x480 sensor"):
        write_events_file(tmp_path / "a.es", ev, SIZE)
    assert list(tmp_path.iterdir()) == []


def test_unsorted_events_on_write(tmp_path: Path) -> None:
    ev = np.zeros(2, EVENT_DTYPE)
    ev["t"], ev["p"] = [5, 1], 1
    with pytest.raises(EventsError, match=r"a\.raw.*not sorted"):
        write_events_file(tmp_path / "a.raw", ev, SIZE)


def test_cli_bad_input_exit_code_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.aedat4"
    path.write_bytes(b"garbage")
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "broken.aedat4" in err and "Traceback" not in err
    assert main(["convert", str(tmp_path / "none.raw"), str(tmp_path / "out.es")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out.es").exists()


# ---------------------------------------------------------------------------- CLI


def test_cli_convert_every_format_and_info(tmp_path: Path, stream: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_events_file(tmp_path / "src.aedat4", stream, SIZE)
    outputs = ["b.raw", "c.dat", "e.csv", "f.h5"]
    for name in outputs:
        assert main(["convert", str(src), str(tmp_path / name), "--chunk-us", "2000000"]) == 0
    assert main(["convert", str(src), str(tmp_path / "g.raw"), "--version", "evt2.1"]) == 0
    assert main(["convert", str(tmp_path / "f.h5"), str(tmp_path / "h.raw"), "--version", "evt2"]) == 0
    for name in [*outputs, "g.raw", "h.raw"]:
        np.testing.assert_array_equal(read_events_file(tmp_path / name)[0], stream)
    short = write_events_file(tmp_path / "short.aedat4", fitting(stream, "es"), SIZE)
    assert main(["convert", str(short), str(tmp_path / "d.es"), "--chunk-us", "2000000"]) == 0
    np.testing.assert_array_equal(read_events_file(tmp_path / "d.es")[0], fitting(stream, "es"))
    assert detect_format(tmp_path / "g.raw") == "evt2.1"
    capsys.readouterr()
    assert main(["info", str(tmp_path / "b.raw")]) == 0
    out = capsys.readouterr().out
    assert "evt3" in out and f"{stream.size:,}" in out and "640x480" in out


@pytest.mark.parametrize("text", ['{"seed": ' + "9" * 5000 + "}", "[" * 100_000])
def test_a_dataset_json_of_a_number_int_cannot_read_or_nested_too_deep_is_one_error_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    """More digits than int() reads (4300) was ValueError, and arrays nested past Python's stack
    RecursionError: an internal error (exit 1) of train, merge and synth."""
    data = tmp_path / "data"
    write_manifest(data, [{"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [12], "lighting": "dim",
                           "file": "clips/c1.h5", "onset_us": 0, "apex_us": 1, "offset_us": 2, "duration_us": 3}])
    (data / "dataset.json").write_text(text)
    message = f"{data / 'dataset.json'}: not a dataset.json evface wrote (a number of thousands of digits, or lists nested"
    with pytest.raises(DatasetError, match=re.escape(message)):
        read_dataset_json(data)
    assert main(["train", "classify", "--data", str(data), "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {message}")
    assert not (tmp_path / "run").exists()


def test_cli_info_of_a_folder_says_what_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evface info DATASET` said "is a directory, expected an events file" and no more."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.csv").write_text("clip_id\n")
    assert main(["info", str(tmp_path / "data")]) == 2
    assert "evface report FOLDER --out report.html describes its clips" in capsys.readouterr().err
    assert main(["info", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path}: is a folder, and info reads one events, clip or "
                                               "video file or a folder of numbered frames (give one of its files)")


def test_cli_info_of_a_clip_shows_each_cameras_face_box(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evface info CLIP` showed no face box, which every input crops by (clip_view.face_box)."""
    import json

    from evface.commands.io import face_boxes
    from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
    from evface.io.clip_writer import write_clip

    ev = make_events([0, 1000, 2000], [0, 1, 2], [0, 1, 1], [1, -1, 1])
    t = np.array([0, 33_333])
    clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 1000, 2000, 3000, events={"lr": ev},
                sensors={"lr": SensorInfo("lr", 40, 30)},
                frames={"rgb": FrameSeries(np.zeros((2, 48, 64, 3), np.uint8), t, np.full(2, 9000), fps=30.0)},
                calibration={"face_box": {"lr": [30.4, 4.6, 20, 20], "rgb": [10.6, 8.2, 32, 30], "hd": [1, 2, 3, 4]}})
    path = write_clip(tmp_path / "c0.h5", clip)
    assert face_boxes(file_info(path)) == {
        "lr": "x 30, y 5, 10x20 px in its 40x30 event window (stored [30.4, 4.6, 20, 20], clipped to it)",
        "rgb": "x 11, y 8, 32x30 px in its 64x48 frames",
        "hd": "[1, 2, 3, 4]: no camera 'hd' in this clip"}
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clip"]["face_box"] == clip.calibration["face_box"]
    assert main(["info", str(path)]) == 0
    assert re.search(r"face box rgb\s*│ x 11, y 8, 32x30 px in its 64x48 frames", capsys.readouterr().out)
    clip.calibration = {"face_box": {"lr": [50, 40, 10, 10]}}
    assert face_boxes(file_info(write_clip(tmp_path / "c1.h5", clip))) == {
        "lr": "face box [50, 40, 10, 10] of 'lr' lies outside its 40x30 image"}
    clip.calibration = {}
    assert face_boxes(file_info(write_clip(tmp_path / "c2.h5", clip))) == {
        "": "none in the clip's calibration: the inputs cannot crop its face"}


def test_a_clip_of_two_sensors_read_without_one_names_them_as_words(tmp_path: Path) -> None:
    """Was "clip has sensors ['hd', 'lr']; choose one ...", a Python list."""
    from evface.io.clip_schema import Clip, SensorInfo
    from evface.io.clip_writer import write_clip

    ev = make_events([0, 1000], [0, 1], [0, 1], [1, -1])
    clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 1000, 2000, 3000, events={"hd": ev, "lr": ev},
                sensors={"hd": SensorInfo("hd", 40, 30), "lr": SensorInfo("lr", 40, 30)})
    path = write_clip(tmp_path / "c0.h5", clip)
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: clip has sensors hd, lr; choose one "
                                          r"\(sensor=NAME, or --sensor NAME\)$"):
        read_events_file(path)


def test_a_clip_without_events_says_so_when_its_events_are_read(tmp_path: Path, capsys) -> None:
    """A clip of RGB frames alone (no event sensor): reading its events said "clip has sensors ;
    choose one", and naming a sensor "no sensor 'hd' in this clip (it has )", an empty list."""
    from evface.io.clip_schema import Clip, FrameSeries
    from evface.io.clip_writer import write_clip

    frames = FrameSeries(np.zeros((2, 8, 8, 3), np.uint8), np.array([0, 1000]), np.full(2, 500))
    path = write_clip(tmp_path / "c0.h5", Clip("c0", "s01", "AU12", [12], "dim", 0, 250, 450, 5000, frames={"rgb": frames}))
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: clip holds no events \(no event sensor\)$"):
        read_events_file(path)
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: no sensor 'hd' in this clip \(it has none\)$"):
        read_events_file(path, sensor="hd")
    with pytest.raises(FormatError, match=r"no sensor 'hd' in this clip \(it has none\)$"):
        file_info(path, sensor="hd")
    assert main(["convert", str(path), str(tmp_path / "out.raw")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: clip holds no events (no event sensor)"


def test_a_failed_atomic_write_removes_the_folders_it_made(tmp_path: Path) -> None:
    """Was: a failed write to ``new/sub/notes.txt`` left ``new/sub`` behind, and a file in the path's
    way (``a/notes.txt``, ``a`` a file) was ``[Errno 17] File exists``."""
    def fails(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(tmp_path / "new" / "sub" / "notes.txt", fails)
    assert not list(tmp_path.iterdir())
    (tmp_path / "a").write_text("keep")
    with pytest.raises(NotADirectoryError):
        atomic_write(tmp_path / "a" / "notes.txt", lambda tmp: tmp.write_text("x"))
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert atomic_write(tmp_path / "new" / "notes.txt", lambda tmp: tmp.write_text("whole")).read_text() == "whole"
