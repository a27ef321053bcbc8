"""The memory of an event file's scan: its 100 µs rate histogram grows with the recording's
duration, so it is held once, in 4-byte counts, and grown in place."""

from __future__ import annotations

import tracemalloc

import numpy as np

from evface.datasets.importers import event_scan
from evface.datasets.importers.event_scan import scan_event_file
from evface.events.core import make_events
from evface.io.event_writer import write_events_file


def _peak_bytes(call):
    """``call()`` and the most memory traced (numpy's arrays included) while it ran."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_sparse_recordings_rate_histogram_is_held_once_in_4_byte_counts(tmp_path):
    """A sparse 1000 s recording (10 million bins of 100 µs): the histogram was int64, doubled by
    copying into a new array (old, zeros and new at once), and counted a chunk spanning the file
    into one more array of its span: 4x-5x its 80 MB at the peak (0.84 GB for an hour of an EVT 2.0
    file). Now the peak is the uint32 histogram (40 MB) and its growth step, and the counts are the
    events' bins."""
    t = np.arange(1000) * 1_000_003 + 17  # one event a second
    path = write_events_file(tmp_path / "sparse.es", make_events(t, t % 8, t % 4, np.ones(t.size, int)), (8, 4))
    scan, peak = _peak_bytes(lambda: scan_event_file(path, triggers=np.zeros(0, event_scan.TRIGGER_DTYPE)))
    nbins = (int(t[-1]) - int(t[0])) // 100 + 1
    assert scan.rate.counts.dtype == np.uint32 and scan.rate.counts.size == nbins
    assert np.array_equal(np.flatnonzero(scan.rate.counts), (t - t[0]) // 100) and scan.rate.counts.sum() == t.size
    assert peak < 1.25 * nbins * 4 + (16 << 20), f"{peak / 2**20:.0f} MB traced for {nbins * 4 / 2**20:.0f} MB of counts"


def test_a_bin_that_would_pass_the_count_dtype_widens_the_histogram(tmp_path, monkeypatch):
    """A bin whose count could pass RATE_DTYPE's maximum widens the histogram to int64 before it is
    added to (uint8 here, for 300 events in one bin: uint32 holds 4.3 billion), instead of wrapping."""
    monkeypatch.setattr(event_scan, "RATE_DTYPE", np.dtype(np.uint8))
    t = np.concatenate([np.full(300, 50), np.arange(200, 1000, 100)])
    path = write_events_file(tmp_path / "dense.es", make_events(t, t % 8, t % 4, np.ones(t.size, int)), (8, 4))
    counts = scan_event_file(path, triggers=np.zeros(0, event_scan.TRIGGER_DTYPE)).rate.counts
    assert counts.dtype == np.int64 and counts.tolist() == [300] + [1] * 8
