"""Synchronisation by trigger pulses: the external trigger events of an event file, paired with
the RGB frames.

The RGB camera's exposure-start pulse (strobe / flash out) is wired to the event camera's trigger
input, so the event file holds one external-trigger event per RGB frame. Prophesee EVT2 / EVT3
``.raw`` files store them as ``EXT_TRIGGER`` words (type ``0xA``; EVT3: channel id in bits 11..8,
edge in bit 0, time from the ``EVT_TIME_HIGH`` / ``EVT_TIME_LOW`` state; EVT2: channel id in bits
12..8, edge in bit 0, time low in bits 27..22); faery's EVT decoder returns them with the full time
reconstruction, including the 24-bit EVT3 time wrap. AEDAT4 files store them in a ``triggers``
track (external input on channel 0, external generator on channel 1). Rising edge ``i`` of the
chosen channel is paired with RGB frame ``first_frame + i``. When the per-pair offsets agree within
2 µs the offset is their median (exact when the pulses are); otherwise the two clocks drift apart
(crystal tolerances are tens of ppm, a millisecond a minute at worst) and a line
``offset(t) = b + k (t - t_ref)`` is fitted, which every pair must follow within ``tolerance_us``
(a quarter of a frame period), with ``|k|`` at most 1000 ppm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evface.datasets.importers.sync import SyncError, SyncResult
from evface.errors import FormatError, ParameterError, where
from evface.io.aedat4 import AEDAT_TRIGGERS, check_aedat4
from evface.io.event_reader import EventsFileReader
from evface.io.event_checks import first_off_sensor, header_t0, off_sensor_error, prophesee_sensor_size, refuse_lost_evt3_time
from evface.io.formats import detect_format, read_prophesee_header

MAX_DRIFT_PPM = 1000.0
"""Clock drift beyond this (0.1 %) is taken as a pairing error, not as drift."""
JITTER_US = 2
"""Per-pair offsets that spread by at most this much are taken as one constant offset (exact)."""
TRIGGER_DTYPE = np.dtype([("t", "<i8"), ("channel", "u1"), ("rising", "?")])
"""External trigger events: time in µs (sensor clock), input channel, rising (True) or falling edge."""


def read_triggers(path: str | Path, sensor_size: tuple[int, int] | None = None) -> np.ndarray:
    """External trigger events of an event file (``.raw`` EVT2/EVT2.1/EVT3 or ``.aedat4``).

    ``.raw`` EVT 2.1 too: evface decodes its words itself, faery 0.7.1 having no EVT 2.1 (until
    2026-12-07 its trigger words were skipped, so an EVT 2.1 recording's pulses were "none"). Other
    formats give an empty array. ``sensor_size`` is for a ``.raw``
    header without a size line; by default it is what evface's reader infers (the plugin name). An
    event off the sensor (its header's size, or ``sensor_size``) is a FormatError naming the first
    such event and what to change, as evface's event reader says it (:func:`_off_sensor`).

    Returns
    -------
    ndarray of TRIGGER_DTYPE, sorted by time.
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError(where(path, "no such file"))
    fmt = detect_format(path)
    chunks: list[np.ndarray] = []
    size = None
    try:
        if fmt in ("evt2", "evt3"):
            from faery import evt  # lazy: faery only where a file of its formats is read

            size = sensor_size or EventsFileReader(path).sensor_size
            if fmt == "evt3":  # faery's decoder would put every trigger after such a step 16.8 s early
                refuse_lost_evt3_time(path, read_prophesee_header(path)[1])
            with evt.Decoder(path, size, None) as decoder:
                for packet in decoder:
                    trig = packet.get("triggers")
                    if trig is not None and len(trig):
                        out = np.empty(len(trig), dtype=TRIGGER_DTYPE)
                        out["t"] = trig["t"]
                        out["channel"] = trig["source"] if "source" in trig.dtype.names else trig["id"]
                        out["rising"] = trig["rising"]
                        chunks.append(out)
        elif fmt == "evt2.1":
            t, channel, rising = EventsFileReader(path, sensor_size=sensor_size).evt21_trigger_edges()
            out = np.empty(t.size, dtype=TRIGGER_DTYPE)
            out["t"], out["channel"], out["rising"] = t, channel, rising
            chunks.append(out)
        elif fmt == "aedat4":
            from faery import aedat  # lazy: faery only where a file of its formats is read

            check_aedat4(path)

            with aedat.Decoder(path) as decoder:
                ids = {t.id for t in decoder.tracks() if t.data_type == "triggers"}
                if ids:
                    for track, packet in decoder:
                        if track.id in ids and len(packet):
                            chunks.append(_aedat_triggers(packet))
    except FormatError:
        raise
    except Exception as exc:  # faery raises plain exceptions on bad files
        off = None if size is None else _off_sensor(path, fmt, size)
        raise off or FormatError(where(path, f"cannot read trigger events ({exc})")) from exc
    if not chunks:
        return np.zeros(0, dtype=TRIGGER_DTYPE)
    out = np.concatenate(chunks)
    return out[np.argsort(out["t"], kind="stable")]


def _off_sensor(path: Path, fmt: str, size: tuple[int, int]) -> FormatError | None:
    """The error naming the first event of the EVT 2.0/3.0 file ``path`` off the sensor that faery's
    decoder was given ``size`` of (or its header states, which faery takes over it), as evface's
    event reader names it (:func:`~evface.io.event_checks.first_off_sensor`,
    :func:`~evface.io.event_checks.off_sensor_error`: was "cannot read trigger events (x overflow
    ...)", no event named); None where no event lies off it (the decoder's error is then the file's)."""
    header, start = read_prophesee_header(path)
    stated, source = prophesee_sensor_size(path, header, None)  # the header's size line, else the plugin's
    if stated is None or (source == "plugin" and tuple(map(int, stated)) != tuple(size)):
        stated, source = size, "given"
    found = first_off_sensor(path, fmt, start, stated)
    if found is None:
        return None
    index, (t, x, y) = found
    return off_sensor_error(path, index, (t + header_t0(path, header), x, y), stated, source, header.get("plugin", ""))


def _aedat_triggers(packet: np.ndarray) -> np.ndarray:
    """AEDAT4 trigger packets (``t``, ``source`` = dv TriggerType) as TRIGGER_DTYPE."""
    source = packet["source"].astype(np.int64)
    keep = np.isin(source, list(AEDAT_TRIGGERS))
    out = np.zeros(int(keep.sum()), dtype=TRIGGER_DTYPE)
    out["t"] = packet["t"][keep]
    out["channel"] = [AEDAT_TRIGGERS[int(s)][0] for s in source[keep]]
    out["rising"] = [AEDAT_TRIGGERS[int(s)][1] for s in source[keep]]
    return out


def sync_from_triggers(
    trigger_t_us: np.ndarray,
    frame_t_us: np.ndarray,
    *,
    first_frame: int = 0,
    tolerance_us: int | None = None,
    source: str | None = None,
) -> SyncResult:
    """Offset from trigger pulses paired one-to-one with RGB frames.

    Parameters
    ----------
    trigger_t_us : (M,) int64
        Times of the rising edges (sensor clock), sorted.
    frame_t_us : (N,) int64
        Exposure starts of the RGB frames (session clock).
    first_frame : int
        The RGB frame that the first pulse belongs to.
    tolerance_us : int, optional
        Largest allowed spread of the per-pair offsets (default: a quarter of the frame period).

    Examples
    --------
    >>> sync_from_triggers(np.array([100, 133433, 266766]), np.array([5000, 138333, 271666])).offset_us
    4900
    """
    if isinstance(first_frame, bool) or not isinstance(first_frame, (int, np.integer)) or first_frame < 0:
        raise ParameterError(f"first_frame is the RGB frame index of the first pulse, >= 0; got {first_frame!r}")
    trig = np.asarray(trigger_t_us, dtype=np.int64)
    frames = np.asarray(frame_t_us, dtype=np.int64)[first_frame:]  # a negative index would count from the end
    if trig.size == 0:
        raise SyncError(where(source, "no trigger events in the event file; give an offset or use cross-correlation"))
    if frames.size == 0:
        raise SyncError(where(source, f"first_frame={first_frame} is past the last RGB frame"))
    n = min(trig.size, frames.size)
    offsets = frames[:n] - trig[:n]
    if tolerance_us is None:
        period = int(np.median(np.diff(frames))) if frames.size > 1 else 0
        tolerance_us = max(period // 4, 1)
    details = {"pairs": int(n), "n_triggers": int(trig.size), "n_frames": int(frames.size), "first_frame": int(first_frame)}
    spread = int(offsets.max() - offsets.min())
    if spread <= JITTER_US:
        return SyncResult(int(np.round(np.median(offsets))), "trigger", 1.0, {**details, "spread_us": spread})
    # Clocks drift apart (crystal tolerances are tens of ppm): fit offset(t) = b + k (t - t_ref).
    t_ref = int(trig[0])
    dt = (trig[:n] - t_ref).astype(np.float64)
    k, b = np.polyfit(dt, offsets.astype(np.float64), 1) if n > 1 else (0.0, float(offsets[0]))
    residual = offsets - (b + k * dt)
    worst = int(np.argmax(np.abs(residual)))
    if abs(residual[worst]) > tolerance_us or abs(k) * 1e6 > MAX_DRIFT_PPM:
        far = np.flatnonzero(np.abs(offsets - offsets[0]) > tolerance_us)
        j = int(far[0]) if far.size else worst
        raise SyncError(where(source, (
            f"trigger pulses do not match the RGB frames: {trig.size} pulses vs {frames.size} frames, "
            f"pair {j} is off from pair 0 by {int(offsets[j] - offsets[0])} µs, more than a clock drift explains "
            f"(tolerance {tolerance_us} µs); check the trigger channel, the first frame and the frame timestamps")))
    return SyncResult(int(round(b)), "trigger", 1.0, {**details, "spread_us": spread,
                                                      "residual_us": float(np.abs(residual).max())},
                      drift_ppm=float(k * 1e6), t_ref_us=t_ref)
