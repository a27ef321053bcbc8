"""``evface bench io``'s faery baseline reads the AEDAT 4 event track evface's readers read: a file
of several tracks is refused naming --sensor, or read by the track asked for (was: faery's first
event track taken without a word)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evface.bench.io import _faery_read
from evface.errors import FormatError
from evface.events.core import make_events


def _two_tracks(path: Path) -> tuple[int, int]:
    """An AEDAT 4 file as DV records a stereo rig: 300 events of a 320x240 camera as stream 0 and
    500 of a 640x480 one as stream 1; returns the two counts."""
    import faery  # lazy: faery's encoder, for this fixture only
    from faery import aedat  # lazy: as above

    attr = aedat.DescriptionAttribute
    sizes, counts = [(320, 240), (640, 480)], [300, 500]

    def node(i: int) -> object:
        info = aedat.DescriptionNode("info", None, {"sizeX": attr("int", sizes[i][0]), "sizeY": attr("int", sizes[i][1]),
                                                    "source": attr("string", "DVXplorer")}, [])
        return aedat.DescriptionNode(str(i), None, {"compression": attr("string", "LZ4"),
                                                    "originalOutputName": attr("string", f"events_{i}"),
                                                    "typeIdentifier": attr("string", "EVTS")}, [info])

    desc = [aedat.DescriptionNode("outInfo", None, {}, [node(0), node(1)])]
    with aedat.Encoder(path, desc, aedat.LZ4_DEFAULT) as enc:
        for i, n in enumerate(counts):
            events = make_events(np.arange(n) * 10, np.arange(n) % sizes[i][0], np.arange(n) % sizes[i][1], [1] * n)
            packet = np.zeros(n, dtype=faery.EVENTS_DTYPE)
            packet["t"], packet["x"], packet["y"], packet["on"] = events["t"], events["x"], events["y"], True
            enc.write(i, packet)
    return counts[0], counts[1]


def test_the_faery_baseline_reads_the_aedat4_track_the_readers_read(tmp_path: Path) -> None:
    path = tmp_path / "stereo.aedat4"
    first, second = _two_tracks(path)
    with pytest.raises(FormatError, match=r"stereo\.aedat4: holds 2 event tracks.*choose it with --sensor 0 or "
                                          r"--sensor 1"):
        _faery_read(path, "aedat4")
    assert _faery_read(path, "aedat4", sensor="1") == second
    assert _faery_read(path, "aedat4", sensor="0") == first
