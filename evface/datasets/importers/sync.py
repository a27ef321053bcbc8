"""Time synchronisation of an event camera with the RGB camera: what a sync is.

The session clock is the RGB camera's: frame ``k`` starts its exposure at ``frame_t_us[k]``. An
event camera has its own clock; ``offset_us`` (and, from triggers, a drift) maps it onto the
session clock::

    t_session = t_sensor + offset_us + drift_ppm * 1e-6 * (t_sensor - t_ref_us)

Three ways to get ``offset_us``, in order of preference:

1. **Trigger** (exact): one pulse per RGB frame in the event file
   (:mod:`~evface.datasets.importers.sync_triggers`).
2. **Given**: the user states the offset.
3. **Cross-correlation** (estimated): the event rate against the RGB frame-difference energy
   (:mod:`~evface.datasets.importers.sync_xcorr`, with the event counts of
   :mod:`~evface.datasets.importers.sync_counts` and the FFT estimate of
   :mod:`~evface.datasets.importers.sync_fft`).

Where a clip lies far outside a recording because the two are on different clocks, one side's
times absolute (µs since the UNIX epoch, as an AEDAT 4 file or a camera's timestamp log keeps them)
and the other's relative to the recording, :func:`rgb_clock_hint` and :func:`event_clock_hint` say
which side is absolute and the option or table column to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from evface.errors import DatasetError


class SyncError(DatasetError):
    """Synchronisation failed: no usable triggers, or an estimate without confidence."""


@dataclass(frozen=True)
class SyncResult:
    """How one event camera's clock maps onto the session clock.

    ``t_session = t + offset_us + drift_ppm * 1e-6 * (t - t_ref_us)`` (``t`` on the sensor
    clock); without drift this is the exact integer ``t + offset_us``.
    """

    offset_us: int
    method: str
    confidence: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)
    drift_ppm: float = 0.0
    t_ref_us: int = 0

    def to_session_us(self, t_us: np.ndarray | int) -> np.ndarray:
        """Sensor times -> session times (int64, rounded to the µs under drift)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t + self.offset_us
        return t + self.offset_us + np.round(self.drift_ppm * 1e-6 * (t - self.t_ref_us)).astype(np.int64)

    def to_sensor_us(self, t_us: np.ndarray | int) -> np.ndarray:
        """Session times -> sensor times (the inverse of :meth:`to_session_us`, rounded)."""
        t = np.asarray(t_us, dtype=np.int64)
        if self.drift_ppm == 0.0:
            return t - self.offset_us
        k = self.drift_ppm * 1e-6
        return np.round(self.t_ref_us + (t - self.offset_us - self.t_ref_us) / (1.0 + k)).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``dataset.json`` and clip calibration."""
        return {"offset_us": int(self.offset_us), "method": self.method, "confidence": float(self.confidence),
                "drift_ppm": float(self.drift_ppm), "t_ref_us": int(self.t_ref_us), **self.details}


EPOCH_US = (946_684_800_000_000, 4_102_444_800_000_000)
"""The times in µs taken for absolute ones, since the UNIX epoch: 2000-01-01 to 2100-01-01 (UTC)."""
APART_US = 10**12
"""How far (µs, 11.6 days) a clip must lie from a recording for the two to be taken as on two clocks."""


def epoch_like(t_us: int) -> bool:
    """Whether ``t_us`` reads as an absolute time, µs since the UNIX epoch in :data:`EPOCH_US`.

    Examples
    --------
    >>> epoch_like(1_605_537_490_712_345), epoch_like(913_716_224)
    (True, False)
    """
    return EPOCH_US[0] <= t_us < EPOCH_US[1]


def _date(t_us: int) -> str:
    """``t_us`` since the UNIX epoch as a UTC date and time: ``2020-11-16 14:38:10 UTC``."""
    return datetime.fromtimestamp(t_us // 10**6, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clocks_differ(clip: tuple[int, int], span: tuple[int, int]) -> bool:
    """Whether the ``clip`` (start, end) lies :data:`APART_US` or more from the recording's ``span``
    (first, last) and exactly one of the two starts at an absolute time (:func:`epoch_like`)."""
    apart = max(span[0] - clip[1], clip[0] - span[1])
    return apart >= APART_US and epoch_like(clip[0]) != epoch_like(span[0])


def rgb_clock_hint(clip: tuple[int, int], span: tuple[int, int], timestamps: Path | None, start_us: int) -> str:
    """What to change where the ``clip`` (start, end: the annotation table's ``*_us`` times) lies
    outside the RGB recording's ``span`` (first frame, end) because one is absolute and the other
    relative (:func:`_clocks_differ`), as a clause to append to the refusal (``": ..."``); ``""``
    otherwise. The frame times come from the ``timestamps`` file (``--rgb-timestamps``), else from
    ``start_us`` (``--rgb-start-us``) and the frame rate.

    Parameters
    ----------
    clip : tuple of int
        The clip's start and end (µs) as the table gives them.
    span : tuple of int
        The RGB recording's first frame and end (µs, the session clock).
    timestamps : Path or None
        The frame-timestamp file, where the frame times come from one.
    start_us : int
        The first frame's time given (``--rgb-start-us``) where there is no timestamp file.

    Returns
    -------
    str
        The clause, or ``""``.

    Examples
    --------
    >>> rgb_clock_hint((100_000, 900_000), (1_605_537_490_712_345, 1_605_537_500_000_000), Path("t.csv"), 0)
    ... # doctest: +NORMALIZE_WHITESPACE
    ": the RGB frame times are absolute (µs since the UNIX epoch: the first frame at 2020-11-16 14:38:10 UTC),
    from the timestamp file t.csv, and the clip times relative to the recording; give the table's times on the
    frames' clock (add 1605537490712345 µs, the first frame's time, to its *_us columns), or frame numbers in
    their place (start_frame, onset_frame, apex_frame, offset_frame, end_frame)"
    """
    if not _clocks_differ(clip, span):
        return ""
    first = span[0]
    if epoch_like(first):
        where = f"from the timestamp file {timestamps}" if timestamps is not None else f"from --rgb-start-us {start_us}"
        instead = "" if timestamps is not None else ", or leave out --rgb-start-us (the first frame at 0 µs)"
        return (f": the RGB frame times are absolute (µs since the UNIX epoch: the first frame at {_date(first)}), "
                f"{where}, and the clip times relative to the recording; give the table's times on the frames' clock "
                f"(add {first} µs, the first frame's time, to its *_us columns){instead}, or frame numbers in their "
                "place (start_frame, onset_frame, apex_frame, offset_frame, end_frame)")
    if timestamps is not None:
        where, give = (f"from the timestamp file {timestamps}",
                       "give the camera's absolute frame times in the timestamp file (--rgb-timestamps)")
    else:
        where, give = "at i / fps from --rgb-start-us", "give the first frame's absolute time with --rgb-start-us US"
    return (f": the clip times are absolute (µs since the UNIX epoch: the clip starts at {_date(clip[0])}), and the "
            f"RGB frame times relative to the recording ({where}: the first frame at {first} µs); {give}, or the "
            f"table's times relative to the first frame (less its absolute time), or frame numbers in their place "
            "(start_frame, onset_frame, apex_frame, offset_frame, end_frame)")


def event_clock_hint(clip: tuple[int, int], span: tuple[int, int], name: str, first_frame_us: int,
                     first_event_us: int) -> str:
    """What to change where the ``clip`` (start, end, on the session clock) lies outside the
    synchronised recording of event camera ``name`` (``span``: its first and last event on the
    session clock) because one is absolute and the other relative (:func:`_clocks_differ`), as a
    clause to append to the refusal; ``""`` otherwise. The clip lies inside the RGB recording (it was
    checked first), so the offset is what carries the events onto the wrong clock: the clause names
    ``--offset NAME=US`` with the offset that starts the events (``first_event_us``, on their own
    clock) at the first RGB frame (``first_frame_us``), and the syncs that find it.

    Parameters
    ----------
    clip : tuple of int
        The clip's start and end (µs, the session clock).
    span : tuple of int
        The first and last event (µs, the session clock).
    name : str
        The event camera's name.
    first_frame_us : int
        The first RGB frame's time (µs, the session clock).
    first_event_us : int
        The first event's time on the event file's own clock (µs).

    Returns
    -------
    str
        The clause, or ``""``.

    Examples
    --------
    >>> event_clock_hint((100_000, 900_000), (1_605_537_490_000_000, 1_605_537_500_000_000), "lr", 0,
    ...                  1_605_537_490_000_000)  # doctest: +NORMALIZE_WHITESPACE
    ": the lr events lie at absolute times on the session clock (µs since the UNIX epoch: the first at 2020-11-16
    14:38:10 UTC), the RGB frames and clips at relative ones; the offset must carry the file's times onto the
    RGB clock: --offset lr=-1605537490000000 starts the events at the first frame, or sync by the trigger pulses
    (--sync lr=trigger) or cross-correlation (--sync lr=xcorr --offset lr=-1605537490000000 centres its search)"
    """
    if not _clocks_differ(clip, span):
        return ""
    events, frames = f"{name} events", "RGB frames and clips"
    absolute, relative, at = (events, frames, span[0]) if epoch_like(span[0]) else (frames, events, first_frame_us)
    offset = first_frame_us - first_event_us
    return (f": the {absolute} lie at absolute times on the session clock (µs since the UNIX epoch: the first at "
            f"{_date(at)}), the {relative} at relative ones; the offset must carry the file's times onto the RGB clock: "
            f"--offset {name}={offset} starts the events at the first frame, or sync by the trigger pulses (--sync "
            f"{name}=trigger) or cross-correlation (--sync {name}=xcorr --offset {name}={offset} centres its search)")
