"""Real recordings converted and read as a researcher does with an EVK4 or a DAVIS346 and a
webcam: what a conversion keeps and what it says it drops (docs/file-formats.md). The events are
those of ``../shared/real-events`` where a test needs a real stream; those tests skip without that
folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from import_fixtures import write_evt3

from evface.cli import main
from evface.errors import FormatError
from evface.datasets.importers.sync_triggers import read_triggers
from evface.io.event_reader import EventsFileReader, read_events_file

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-events"


def _real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def _aedat4(path: Path, tracks: list[tuple[np.ndarray, tuple[int, int] | None]]) -> None:
    """An AEDAT 4 file as DV writes one: a track per entry, an event track of those events on a
    sensor of that size, or (size None) a TRIG track of those trigger records."""
    import faery  # lazy: faery's encoder, for this fixture only
    from faery import aedat  # lazy: as above

    attr = aedat.DescriptionAttribute

    def track(i: int, sides: tuple[int, int] | None) -> object:
        info = [aedat.DescriptionNode("info", None, {"sizeX": attr("int", sides[0]), "sizeY": attr("int", sides[1]),
                                                     "source": attr("string", "DAVIS346")}, [])] if sides else []
        return aedat.DescriptionNode(str(i), None, {
            "compression": attr("string", "LZ4"),
            "originalOutputName": attr("string", f"events_{i}" if sides else "triggers"),
            "typeIdentifier": attr("string", "EVTS" if sides else "TRIG")}, info)

    desc = [aedat.DescriptionNode("outInfo", None, {}, [track(i, sides) for i, (_, sides) in enumerate(tracks)])]
    with aedat.Encoder(path, desc, aedat.LZ4_DEFAULT) as enc:
        for i, (records, sides) in enumerate(tracks):
            if sides is None:
                enc.write(i, records)
                continue
            ev = np.zeros(records.size, dtype=faery.EVENTS_DTYPE)
            ev["t"], ev["x"], ev["y"], ev["on"] = records["t"], records["x"], records["y"], records["p"] > 0
            enc.write(i, ev)


def _aedat4_with_triggers(path: Path, events: np.ndarray, size: tuple[int, int]) -> None:
    """An AEDAT 4 file as DV writes one with its trigger input on: an event track and a TRIG
    track of 4 edges, a timestamp reset and an APS exposure marker (no edges)."""
    trig = np.zeros(6, dtype=[("t", "<u8"), ("source", "u1")])
    t0 = int(events["t"][0])
    trig["t"], trig["source"] = [t0, t0 + 5, t0 + 9, t0 + 12, t0 + 20, t0 + 30], [1, 2, 0, 4, 6, 3]
    _aedat4(path, [(events, size), (trig, None)])


@pytest.mark.parametrize("out_name, options", [("o.h5", []), ("o.csv", []), ("o.dat", []), ("o.es", []),
                                               ("o.raw", ["--version", "evt2"])])
def test_convert_says_it_drops_the_trigger_edges_of_a_real_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                      out_name: str, options: list[str]) -> None:
    """The first 20,000 events of the real Gen3 recording with 3 trigger edges (an RGB camera's
    strobe on the EVK4's trigger input) converted to a format that holds no edge (an evface clip,
    CSV, DAT, Event Stream, EVT 2.0 through faery): OUT holds the events alone, and convert says
    the edges are not in OUT (was: dropped without a word; `info --triggers` of OUT then asked whether
    the camera's trigger input was enabled, and `import session --sync trigger` found no pulse)."""
    events, size = read_events_file(_real("faery_evt2.raw"))
    events = events[:20_000].copy()
    events["t"] -= events["t"][0]  # the fixture's EVT 3.0 writer holds times below 2^24 µs
    trig = np.zeros(3, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"], trig["rising"] = [100, 2_000, 3_900], [True, False, True]
    source = tmp_path / "evk4.raw"
    write_evt3(source, events, size, trig)
    assert main(["convert", str(source), str(tmp_path / out_name), *options]) == 0
    err = capsys.readouterr().err
    assert "wrote 20,000 events" in err
    assert (f"warning: evk4.raw holds 3 external trigger edges, which {out_name} does not: evface converts events "
            "alone; keep evk4.raw for `evface import session --sync NAME=trigger`") in " ".join(err.split())
    back, _ = read_events_file(tmp_path / out_name)
    assert np.array_equal(back, events)  # the events themselves are kept exactly


def test_convert_says_it_drops_the_trigger_edges_of_an_aedat4_file(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A DV recording (the real DVXplorer events) with a trigger track: its 4 edges (types 1-5;
    a timestamp reset and an APS marker are none) are counted as the events are read, in the same
    pass, and named by convert; the real file itself (its TRIG stream empty, 475 IMU samples in its
    IMUS stream) is said to lose its IMU samples alone (was: dropped without a word)."""
    events, size = read_events_file(_real("tonic_sample.aedat4"))
    source = tmp_path / "dv.aedat4"
    _aedat4_with_triggers(source, events[:5_000], size)
    reader = EventsFileReader(source)
    assert sum(chunk.size for chunk in reader) == 5_000 and reader.trigger_edges == 4
    assert main(["convert", str(source), str(tmp_path / "o.csv")]) == 0
    assert "dv.aedat4 holds 4 external trigger edges, which o.csv does not" in " ".join(capsys.readouterr().err.split())
    assert main(["convert", str(_real("tonic_sample.aedat4")), str(tmp_path / "plain.raw")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert ("warning: tonic_sample.aedat4 holds 475 IMU samples, which plain.raw does not: evface converts events "
            "alone") in err and "trigger" not in err


def test_an_aedat4_file_of_two_event_tracks_is_read_by_the_track_chosen(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A stereo rig recorded by DV in one file: the real DVXplorer events (320x240) as stream 0 and
    the real Gen3 ones (640x480) as stream 1. Without a choice `info`, `convert` and any reader (so
    `import session --events`) refuse it naming the tracks and `--sensor` (was: stream 0 read, the
    second camera's 30,000 events dropped without a word: `info` counted 111,954 events, `convert`
    wrote them alone); `--sensor 1` (`sensor="1"`) reads the second camera's events exactly."""
    dv, dv_size = read_events_file(_real("tonic_sample.aedat4"))
    gen3, gen3_size = read_events_file(_real("faery_evt2.raw"))
    gen3 = gen3[:30_000].copy()
    stereo = tmp_path / "stereo.aedat4"
    _aedat4(stereo, [(dv, dv_size), (gen3, gen3_size)])
    assert main(["info", str(stereo)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert ("stereo.aedat4: holds 2 event tracks, one camera each (a stereo rig DV recorded in one file): stream 0 "
            "(320x240), stream 1 (640x480); evface reads one: choose it with --sensor 0 or --sensor 1") in err
    assert main(["convert", str(stereo), str(tmp_path / "o.h5")]) == 2 and not (tmp_path / "o.h5").exists()
    capsys.readouterr()
    assert main(["convert", str(stereo), str(tmp_path / "cam1.h5"), "--sensor", "1"]) == 0
    back, size = read_events_file(tmp_path / "cam1.h5", sensor="events")
    assert size == gen3_size and np.array_equal(back, gen3)
    first, size = read_events_file(stereo, sensor="0")
    assert size == dv_size and np.array_equal(first, dv)
    assert main(["info", str(stereo), "--sensor", "2", "--json"]) == 2
    assert "no event track '2' in this AEDAT 4 file" in capsys.readouterr().err


def _write_evt21(path: Path, events: np.ndarray, size: tuple[int, int], triggers: np.ndarray, t0: int) -> None:
    """An EVT 2.1 file as a Metavision camera writes one (OpenEB's ``Evt21Raw`` words): a TIME_HIGH
    word where the time's high 28 bits change, one single-pixel CD word per event and an
    EXT_TRIGGER word (type 0xA: time low in bits 59..54, channel in 44..40, edge in 32) per edge,
    times from ``t0`` (written as the header's ``% t0``)."""
    n = events.size
    t = np.r_[events["t"], triggers["t"]].astype(np.int64) - t0
    order = np.argsort(t, kind="stable")
    words: list[int] = []
    high = -1
    for i in order:
        ti = int(t[i])
        if ti >> 6 != high:
            high = ti >> 6
            words.append((0x8 << 60) | ((high & 0xFFFFFFF) << 32))
        low = (ti & 63) << 54
        if i < n:
            x, y, p = int(events["x"][i]), int(events["y"][i]), int(events["p"][i])
            words.append(((1 if p > 0 else 0) << 60) | low | ((x & ~31) << 43) | (y << 32) | (1 << (x & 31)))
        else:
            k = i - n
            words.append((0xA << 60) | low | (int(triggers["channel"][k]) << 40) | (int(triggers["rising"][k]) << 32))
    header = f"% evt 2.1\n% format EVT21;width={size[0]};height={size[1]}\n% t0 {t0}\n% end\n"
    path.write_bytes(header.encode() + np.array(words, dtype="<u8").tobytes())


def test_the_trigger_edges_of_an_evt21_recording_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An EVK4 recording in EVT 2.1 (the real Gen3 events, the camera clock at 913 s) with an RGB
    camera's strobe on trigger input 0 and 2 edges on input 1: `read_triggers` (so `import session
    --sync trigger` and `auto`) and `info --triggers` read its EXT_TRIGGER words at the events' clock,
    and `convert` names them as it drops them (was: skipped by evface's EVT 2.1 decoder, so the
    recording had "no trigger events", `auto` fell back to cross-correlation without a word, and `info
    --triggers` said evface reads no trigger events from EVT 2.1 files)."""
    events, size = read_events_file(_real("faery_evt2.raw"))
    events = events[:40_000].copy()
    t0 = int(events["t"][0])
    trig = np.zeros(7, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"] = t0 + np.array([0, 50, 3_000, 3_050, 5_000, 6_001, 6_030])
    trig["channel"] = [0, 0, 0, 0, 1, 0, 1]
    trig["rising"] = [True, False, True, False, True, True, False]
    source = tmp_path / "evk4.raw"
    _write_evt21(source, events, size, trig, t0)
    back, _ = read_events_file(source)
    assert np.array_equal(back, events)  # the fixture writes the events as evface reads them
    got = read_triggers(source)
    assert got["t"].tolist() == trig["t"].tolist() and got["channel"].tolist() == trig["channel"].tolist()
    assert got["rising"].tolist() == trig["rising"].tolist()
    assert main(["info", str(source), "--triggers", "--json"]) == 0
    import json  # lazy: this check only

    channels = json.loads(capsys.readouterr().out)["triggers"]["channels"]
    assert [(c["channel"], c["rising"], c["falling"], c["t_first_us"]) for c in channels] == [
        (0, 3, 2, t0), (1, 1, 1, t0 + 5_000)]
    assert main(["convert", str(source), str(tmp_path / "o.h5")]) == 0
    assert "evk4.raw holds 7 external trigger edges, which o.h5 does not" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("lines, says", [
    (b"% format EVT2;width=640\n", "the header's size line '% format EVT2;width=640' states no WIDTHxHEIGHT"),
    (b"% geometry 1280x720\n% format EVT2;width=640;height=480\n",
     "the header states the sensor size 1280x720 ('% geometry 1280x720') and 640x480 ('% format "
     "EVT2;width=640;height=480'), which disagree"),
])
def test_a_header_whose_size_lines_give_no_one_size_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             lines: bytes, says: str) -> None:
    """The real Gen3 recording's 2020 header (plugin name, no size line) edited by hand: a size line
    evface cannot read, or two that disagree, is named with `--sensor-size` (was: the unreadable line
    taken for none and the plugin's 640x480 used without a word; of two sizes the last line's, 1280x720,
    without a word); with `--sensor-size 640x480` the events read exactly."""
    real = _real("faery_evt2.raw").read_bytes()
    edited = tmp_path / "edited.raw"
    edited.write_bytes(real.replace(b"% evt 2.0\n", b"% evt 2.0\n" + lines, 1))
    assert main(["info", str(edited)]) == 2
    assert f"edited.raw: {says}; give the sensor's size with --sensor-size WxH" in " ".join(capsys.readouterr().err.split())
    assert main(["convert", str(edited), str(tmp_path / "o.h5"), "--sensor-size", "640x480"]) == 0
    back, size = read_events_file(tmp_path / "o.h5")
    events, _ = read_events_file(_real("faery_evt2.raw"))
    assert size == (640, 480) and np.array_equal(back, events)


def test_a_geometry_line_in_capitals_or_with_spaces_is_read(tmp_path: Path) -> None:
    """`% geometry 640X480` and `% geometry 640 x 480` (headers typed or edited by hand) in the real
    Gen3 recording, its plugin line removed: read as 640x480 (was: "the header gives no sensor size")."""
    real = _real("faery_evt2.raw").read_bytes().replace(b"% plugin_name hal_plugin_gen3_fx3\n", b"", 1)
    events, _ = read_events_file(_real("faery_evt2.raw"))
    for line in (b"% geometry 640X480\n", b"% geometry 640 x 480\n"):
        edited = tmp_path / "edited.raw"
        edited.write_bytes(real.replace(b"% evt 2.0\n", b"% evt 2.0\n" + line, 1))
        back, size = read_events_file(edited)
        assert size == (640, 480) and np.array_equal(back, events)


def _edges(path: Path) -> list[tuple[int, int, bool]]:
    """The external trigger edges of ``path`` as ``read_triggers`` (so `import session --sync
    trigger`) reads them: (time, channel, rising), in time order."""
    trig = read_triggers(path)
    return list(zip(trig["t"].tolist(), trig["channel"].tolist(), trig["rising"].tolist(), strict=True))


def _sources(tmp_path: Path) -> dict[str, Path]:
    """Recordings with trigger edges on inputs 0 and 1, made of real events: the real Gen3 events
    in EVT 3.0 (times from 0) and in EVT 2.1 (the camera clock at 913 s, written as the header's
    ``% t0``), the real DVXplorer events in AEDAT 4 with a TRIG track (UNIX-epoch µs)."""
    gen3, size = read_events_file(_real("faery_evt2.raw"))
    gen3 = gen3[:20_000].copy()
    t0 = int(gen3["t"][0])
    trig = np.zeros(6, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"] = [0, 100, 2_000, 3_900, 3_900, int(gen3["t"][-1] - t0)]  # at the first event, ..., at the last
    trig["channel"], trig["rising"] = [0, 0, 1, 0, 1, 0], [True, False, True, False, False, True]
    evt3 = gen3.copy()
    evt3["t"] -= t0  # the fixture's EVT 3.0 writer holds times below 2^24 µs
    write_evt3(tmp_path / "evk4.raw", evt3, size, trig)
    trig["t"] += t0
    _write_evt21(tmp_path / "evk4_21.raw", gen3, size, trig, t0)
    dv, dv_size = read_events_file(_real("tonic_sample.aedat4"))
    _aedat4_with_triggers(tmp_path / "dv.aedat4", dv[:5_000], dv_size)
    return {"evt3": tmp_path / "evk4.raw", "evt2.1": tmp_path / "evk4_21.raw", "aedat4": tmp_path / "dv.aedat4"}


@pytest.mark.parametrize("source_format", ["evt3", "evt2.1", "aedat4"])
@pytest.mark.parametrize("out_name, options", [("o.aedat4", []), ("o.raw", ["--chunk-us", "997"]), ("o.raw", []),
                                               ("o21.raw", ["--version", "evt2.1", "--chunk-us", "997"])])
def test_convert_carries_the_trigger_edges_into_a_format_that_holds_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], source_format: str, out_name: str, options: list[str]) -> None:
    """A recording with an RGB camera's strobe on the trigger input (real events, edges on inputs 0
    and 1, one at the first event's time, one at the last's) converted to AEDAT 4 (a TRIG track, as
    DV writes one), EVT 3.0 or EVT 2.1 (``EXT_TRIGGER`` words among the events, streamed in windows
    of 997 µs or the default chunks): `read_triggers` of OUT, so `import session --sync NAME=trigger`,
    reads IN's edges exactly, the events are kept exactly, and convert warns of nothing (was: the
    edges dropped with a warning; OUT had "no trigger events")."""
    source = _sources(tmp_path)[source_format]
    out = tmp_path / out_name
    assert main(["convert", str(source), str(out), *options]) == 0
    assert "warning" not in capsys.readouterr().err
    assert _edges(out) == _edges(source) and len(_edges(source)) in (4, 6)
    assert np.array_equal(read_events_file(out)[0], read_events_file(source)[0])
    reader = EventsFileReader(out)
    assert sum(chunk.size for chunk in reader) and reader.trigger_edges == len(_edges(source))


def test_convert_names_the_trigger_edges_an_aedat4_file_cannot_hold(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """An EVK4 recording (the real Gen3 events) with edges on trigger inputs 0, 1 and 3 converted to
    AEDAT 4, whose trigger track has types for an external input and an external generator only:
    the edges of inputs 0 and 1 are in OUT, and convert names the 2 of input 3 it leaves out (was:
    all dropped with a warning)."""
    events, size = read_events_file(_real("faery_evt2.raw"))
    events = events[:20_000].copy()
    events["t"] -= events["t"][0]
    trig = np.zeros(5, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"], trig["channel"], trig["rising"] = [10, 20, 30, 40, 50], [0, 3, 1, 3, 0], [True, True, True, False, False]
    source = tmp_path / "evk4.raw"
    write_evt3(source, events, size, trig)
    assert main(["convert", str(source), str(tmp_path / "o.aedat4")]) == 0
    assert ("warning: evk4.raw holds 2 external trigger edges, which o.aedat4 does not (AEDAT 4 holds those of "
            "inputs 0 and 1: an external input and an external generator)") in " ".join(capsys.readouterr().err.split())
    assert _edges(tmp_path / "o.aedat4") == [(10, 0, True), (30, 1, True), (50, 0, False)]


# sha256 of what convert wrote before trigger edges were carried (fix-trig83's first commit, dev at b23314be)
_NO_TRIGGER_DIGESTS = {
    ("faery_evt2.raw", "o.raw"): "70ffd4d1a8d1abf8210d9b7cae52018c5270cea481cfe601874fac7c995530d6",
    ("faery_evt2.raw", "o.aedat4"): "794cbfbd37661922a7a4507253b5c233b0da93f7de5467a5598a9d8e66e33b98",
    ("faery_evt2.raw", "o21.raw"): "5f2f348209e2939102f38dd37d1923cae042cd30590e8bfabc4361d2443bd496",
    ("tonic_sample.aedat4", "o.raw"): "6828c996b3e12cd6c1b23372e9d95c6da05f35fd5de8bba8dce0dd050a3d89cc",
    ("tonic_sample.aedat4", "o.aedat4"): "207e7bcc041bbf7cd992888015fb5d9d3e47928bcf89122873e305ed87c6a9b3",
    ("tonic_sample.aedat4", "o21.raw"): "272442e7c4b3380e05da940b52d6bc45853d5fc2b5be97295e6bcaf7132b7202",
}


@pytest.mark.parametrize("name, out_name", sorted(_NO_TRIGGER_DIGESTS))
def test_a_recording_without_trigger_edges_converts_to_the_same_bytes(tmp_path: Path, name: str, out_name: str) -> None:
    """The real recordings without trigger edges (the DVXplorer's TRIG stream declared but empty)
    converted to the formats that now carry edges: byte for byte what convert wrote before (no TRIG
    track declared, no word added)."""
    import hashlib  # lazy: this check only

    out = tmp_path / out_name
    options = ["--version", "evt2.1"] if out_name == "o21.raw" else []
    assert main(["convert", str(_real(name)), str(out), *options]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == _NO_TRIGGER_DIGESTS[name, out_name]


def test_one_camera_of_a_stereo_aedat4_file_is_converted_with_its_trigger_edges(tmp_path: Path) -> None:
    """A stereo rig DV recorded in one file (the real DVXplorer events as stream 0, the real Gen3
    ones as stream 1) with a trigger track: `convert --sensor 1` writes the second camera's events
    and the file's edges, which the refusal of the file without --sensor now says go along (was:
    "events alone: sync such a file by --sync NAME=offset or xcorr, not its trigger edges")."""
    dv, dv_size = read_events_file(_real("tonic_sample.aedat4"))
    gen3, gen3_size = read_events_file(_real("faery_evt2.raw"))
    gen3 = gen3[:30_000].copy()
    trig = np.zeros(3, dtype=[("t", "<u8"), ("source", "u1")])
    trig["t"], trig["source"] = int(gen3["t"][0]) + np.array([0, 40, 90]), [1, 2, 4]  # the rig's one clock
    stereo = tmp_path / "stereo.aedat4"
    _aedat4(stereo, [(dv, dv_size), (gen3, gen3_size), (trig, None)])
    with pytest.raises(FormatError, match="--sensor 1` \\(the file's trigger edges go along, for --sync NAME=trigger\\)"):
        EventsFileReader(stereo)
    assert main(["convert", str(stereo), str(tmp_path / "cam1.raw"), "--sensor", "1"]) == 0
    assert _edges(tmp_path / "cam1.raw") == _edges(stereo) and len(_edges(stereo)) == 3
    assert np.array_equal(read_events_file(tmp_path / "cam1.raw")[0], gen3)


@pytest.mark.parametrize("out_name", ["o.raw", "o.aedat4", "o21.raw"])
def test_relative_time_from_a_trigger_edge_before_the_first_event_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], out_name: str) -> None:
    """An EVK4 recording in EVT 2.1 (the real Gen3 events, the camera clock at 913 s) whose first
    trigger edge comes 250 µs before its first event, converted with `--relative-time`: events and
    edges keep one origin, the first edge's time (an edge at -250 µs fits no format, and an origin of
    its own would move the edges off the events they time), and the result line says that origin is
    the edge's, 250 µs before the first event (was: "times from the first event, which was at" the
    edge's time)."""
    gen3, size = read_events_file(_real("faery_evt2.raw"))
    gen3 = gen3[:20_000].copy()
    t0 = int(gen3["t"][0])
    trig = np.zeros(3, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
    trig["t"], trig["rising"] = t0 + np.array([-250, 100, 3_900]), [True, False, True]
    source = tmp_path / "evk4.raw"
    _write_evt21(source, gen3, size, trig, t0 - 250)
    out = tmp_path / out_name
    options = ["--version", "evt2.1"] if out_name == "o21.raw" else []
    assert main(["convert", str(source), str(out), "--relative-time", *options]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert (f"wrote 20,000 events to {out} ({'evt2.1' if options else out_name[2:].replace('raw', 'evt3')}); times "
            f"from the first trigger edge, which was at t={t0 - 250:,} µs in evk4.raw, 250 µs before the first "
            "event (now at t=250 µs)") in err and "first event, which" not in err
    assert _edges(out) == [(t - t0 + 250, 0, r) for t, r in zip(trig["t"].tolist(), trig["rising"].tolist(), strict=True)]
    back, _ = read_events_file(out)
    assert np.array_equal(back["t"], gen3["t"] - t0 + 250)
