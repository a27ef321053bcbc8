"""External trigger edges written among the events by :class:`~evface.io.event_writer.EventsFileWriter`
(``write_triggers``): EVT 3.0 and 2.1 ``EXT_TRIGGER`` words, an AEDAT 4 trigger track, read back by
``read_triggers`` (so ``import session --sync NAME=trigger``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evface.datasets.importers.sync_triggers import read_triggers
from evface.errors import EventsError
from evface.events.core import make_events
from evface.io.event_reader import read_events_file
from evface.io.event_writer import open_events_writer
from evface.io.evt import TRIGGER_EDGE_DTYPE


def _edges(t: list[int], channel: list[int], rising: list[bool]) -> np.ndarray:
    edges = np.zeros(len(t), TRIGGER_EDGE_DTYPE)
    edges["t"], edges["channel"], edges["rising"] = t, channel, rising
    return edges


@pytest.mark.parametrize("name, version", [("o.raw", "evt3"), ("o.raw", "evt2.1"), ("o.aedat4", None)])
def test_edges_before_between_and_after_the_events_are_read_back(tmp_path: Path, name: str, version: str | None) -> None:
    """Edges before the first event (the EVT header's ``% t0`` is then the first edge's time), among
    two chunks (one crossing a 2^24 µs EVT 3.0 wrap) and after the last event are read back exactly,
    and so are the events."""
    t0 = 1_000_000_000
    first = make_events(t0 + np.arange(0, 50_000, 10), np.arange(5_000) % 64, np.arange(5_000) % 48, [1, -1] * 2_500)
    second = make_events(t0 + (1 << 24) + np.arange(0, 500, 10), np.arange(50), np.arange(50) % 48, [1] * 50)
    edges = _edges([t0 - 7, t0, t0 + 1_234, t0 + (1 << 24) + 3, t0 + (1 << 25)], [0, 1, 0, 1, 0],
                   [True, True, False, False, True])
    with open_events_writer(tmp_path / name, (64, 48), version=version, trigger_track=True) as writer:
        writer.write_triggers(edges[:3])
        writer.write(first)
        writer.write_triggers(edges[3:])
        writer.write(second)
    assert writer.trigger_edges == 5
    back = read_triggers(tmp_path / name)
    assert back["t"].tolist() == edges["t"].tolist() and back["channel"].tolist() == edges["channel"].tolist()
    assert back["rising"].tolist() == edges["rising"].tolist()
    assert np.array_equal(read_events_file(tmp_path / name)[0], np.concatenate([first, second]))
    if version:
        assert f"% t0 {t0 - 7}\n".encode() in (tmp_path / name).read_bytes()[:200]


def test_an_edge_before_the_events_written_is_refused(tmp_path: Path) -> None:
    """An edge given after events later than it (it would be read at the later time) is refused
    naming both times, and the file is not made."""
    with pytest.raises(EventsError, match=r"o.raw: a trigger edge at t=50 µs, before the events written \(up to t=90"):
        with open_events_writer(tmp_path / "o.raw", (8, 8)) as writer:
            writer.write(make_events([10, 90], [1, 2], [1, 2], [1, 1]))
            writer.write_triggers(_edges([50], [0], [True]))
    assert not (tmp_path / "o.raw").exists()


@pytest.mark.parametrize("name, track", [("o.aedat4", False), ("o.csv", True), ("o.h5", True)])
def test_a_format_or_track_that_holds_no_edge_counts_none_written(tmp_path: Path, name: str, track: bool) -> None:
    """AEDAT 4 without ``trigger_track``, CSV and the clip file hold no edge: ``trigger_edges`` stays
    0 (``evface convert`` names them as left out) and the events are written alone."""
    events = make_events([10, 90], [1, 2], [1, 2], [1, 1])
    with open_events_writer(tmp_path / name, (8, 8), trigger_track=track) as writer:
        writer.write_triggers(_edges([5, 50], [0, 1], [True, False]))
        writer.write(events)
    assert writer.trigger_edges == 0 and np.array_equal(read_events_file(tmp_path / name)[0], events)


def test_an_edge_far_from_the_events_is_refused_where_its_gap_would_be_padded(tmp_path: Path) -> None:
    """An edge 10^15 µs after the last event (a trigger track on another clock) in EVT 3.0 is refused
    as a gap between events is, naming the formats that hold it, and the file is not made (was: the
    gap walked with time-high words: a 477 MB file for 2 events)."""
    with pytest.raises(EventsError, match=r"o.raw: a gap of 999,999,999,999,910 µs between events and trigger edges "
                                          r"\(t=90 to 1,000,000,000,000,000 µs\).*write .aedat4, .h5 or .csv"):
        with open_events_writer(tmp_path / "o.raw", (8, 8)) as writer:
            writer.write(make_events([10, 90], [1, 2], [1, 2], [1, 1]))
            writer.write_triggers(_edges([10**15], [0], [True]))
    assert not list(tmp_path.iterdir())


def test_faery_writes_no_edges_into_evt2(tmp_path: Path) -> None:
    """Why an EVT 2.0 OUT, which faery 0.7.1 writes, holds no edge (convert names them left out):
    its encoder's ``write({"events": ..., "triggers": ...})`` checks the triggers array as events
    (fields t, x, y, on) and then encodes the events array in its place, so edges in the dtype its
    decoder gives are refused, and for any array it takes the events' bytes are written as edges.
    Should this fail, faery writes edges: carry them into EVT 2.0 as into EVT 3.0."""
    import faery  # lazy: faery's own encoder, for this check only
    from faery.extension import evt  # lazy: as above

    events = np.zeros(3, faery.EVENTS_DTYPE)
    events["t"], events["x"], events["y"] = [10, 20, 30], [1, 2, 3], [4, 5, 6]
    edges = np.zeros(1, [("t", "<u8"), ("source", "u1"), ("rising", "?")])  # as faery's EVT decoder gives them
    edges["t"], edges["rising"] = 15, True
    with pytest.raises(RuntimeError, match='the array must have a field "x"'), \
            evt.Encoder(tmp_path / "o.raw", "evt2", True, (64, 48), True) as enc:
        enc.write({"events": events, "triggers": edges})
    as_events = np.zeros(1, faery.EVENTS_DTYPE)
    as_events["t"] = 15
    with evt.Encoder(tmp_path / "o.raw", "evt2", True, (64, 48), True) as enc:
        enc.write({"events": events, "triggers": as_events})
    with evt.Decoder(tmp_path / "o.raw", (64, 48), None) as decoder:
        written = [edge for packet in decoder for edge in packet.get("triggers", np.zeros(0)).tolist()]
    assert written == [(10, 1, False), (20, 2, False), (30, 3, False)]  # each event's t and x, not the edge at 15
