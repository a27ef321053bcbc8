"""A long synthetic recording session, written in bounded memory: the files that docs/file-formats.md,
"Long recordings", measures every command that reads a whole recording on.

Not part of the package. It writes, into one folder:

- ``hd.raw``: EVT 3.0 (1280x720, an EVK4's array) of ``--events`` events, with one rising and one
  falling external trigger edge (channel 0) per RGB frame, as a webcam's strobe wired to the
  camera's trigger input records them (``--format evt2``: ``hd_evt2.raw``, EVT 2.0, the same events
  and edges);
- ``rgb.mp4``: a small grey video of the same span (``--fps``), whose frame-to-frame change follows
  the event rate (so that ``import session --sync hd=xcorr`` has something to find);
- ``annotations.csv``: three clips, at the start, the middle and the end of the session.

Events come in groups of :data:`GROUP` on one row, consecutive columns, one time and polarity (about
2.75 bytes an event in EVT 3.0, 4.5 in EVT 2.0), at ``--rate`` events per second on average; the
words of a block of frames are made by numpy and appended, so memory stays that of one block
(:data:`BLOCK_EVENTS`) whatever the file's size. The sensor clock runs :data:`OFFSET_US` behind the
session's (``t_session = t_sensor + OFFSET_US``).

Run (from the repository root, with evface's virtualenv)::

    python tools/long_recording.py /tmp/long --events 300000000 --format evt3 --format evt2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from evface.errors import EvfaceError, FormatError, ParameterError
from evface.io.event_checks import refuse_lost_evt3_time

SIZE = (1280, 720)
GROUP = 8
"""Events of one group: one row, consecutive columns, one time and polarity."""
BLOCK_EVENTS = 1 << 22
"""About this many events are made and written at once."""
OFFSET_US = -1_234_567
"""``t_session = t_sensor + OFFSET_US``: the sensor's first event is at 1,234,567 µs on its clock."""
EXPOSURE_US = 10_000


def frame_activity(n_frames: int, seed: int) -> np.ndarray:
    """The scene's change from frame ``k`` to ``k + 1``, ``(n_frames - 1,)`` in [0.2, 1.8], mean about 1."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.2, 1.8, n_frames - 1)
    return np.convolve(raw, np.ones(3) / 3, mode="same")


def _groups(activity: np.ndarray, frame_t: np.ndarray, per_unit: float, rng: np.random.Generator):
    """Times (sensor clock, sorted), rows, first columns and polarities of the groups between each
    frame ``k`` and ``k + 1`` of this block (``activity[k] * per_unit`` groups, evenly spread)."""
    counts = np.maximum(1, np.round(activity * per_unit)).astype(np.int64)
    k = np.repeat(np.arange(counts.size), counts)
    within = np.arange(k.size) - np.repeat(np.cumsum(counts) - counts, counts)
    span = frame_t[1:] - frame_t[:-1]
    t = frame_t[k] + (within * span[k]) // counts[k]
    y = rng.integers(0, SIZE[1], k.size)
    x0 = rng.integers(0, SIZE[0] - GROUP + 1, k.size)
    on = rng.integers(0, 2, k.size)
    return t, y, x0, on


def _evt3_words(t, y, x0, on) -> np.ndarray:
    """EVT 3.0 words of the groups: TIME_HIGH, TIME_LOW, ADDR_Y, then one ADDR_X per event."""
    words = np.empty((t.size, 3 + GROUP), np.uint16)
    words[:, 0] = 0x8000 | ((t >> 12) & 0xFFF)
    words[:, 1] = 0x6000 | (t & 0xFFF)
    words[:, 2] = y
    words[:, 3:] = (0x2000 | (on << 11) | x0)[:, None] + np.arange(GROUP)
    return words.ravel()


def _evt3_trigger(t: int, rising: bool) -> np.ndarray:
    return np.array([0x8000 | ((t >> 12) & 0xFFF), 0x6000 | (t & 0xFFF), 0xA000 | int(rising)], np.uint16)


def _evt2_words(t, y, x0, on) -> np.ndarray:
    """EVT 2.0 words of the groups: TIME_HIGH (t >> 6), then one CD_ON / CD_OFF per event."""
    words = np.empty((t.size, 1 + GROUP), np.uint32)
    words[:, 0] = (0x8 << 28) | ((t >> 6) & 0xFFFFFFF)
    cd = ((on.astype(np.uint32) << 28) | ((t & 0x3F).astype(np.uint32) << 22) | (y.astype(np.uint32)))
    words[:, 1:] = (cd | (x0.astype(np.uint32) << 11))[:, None] + (np.arange(GROUP, dtype=np.uint32) << 11)
    return words.ravel()


def _evt2_trigger(t: int, rising: bool) -> np.ndarray:
    return np.array([(0x8 << 28) | ((t >> 6) & 0xFFFFFFF), (0xA << 28) | ((t & 0x3F) << 22) | int(rising)], np.uint32)


HEADERS = {
    "evt3": f"% evt 3.0\n% format EVT3;width={SIZE[0]};height={SIZE[1]}\n% geometry {SIZE[0]}x{SIZE[1]}\n% end\n",
    "evt2": f"% evt 2.0\n% format EVT2;width={SIZE[0]};height={SIZE[1]}\n% geometry {SIZE[0]}x{SIZE[1]}\n% end\n",
}
_WRITERS = {"evt3": (_evt3_words, _evt3_trigger), "evt2": (_evt2_words, _evt2_trigger)}


def session_frames(n_events: int, rate_hz: float, fps: float) -> np.ndarray:
    """The RGB frames' exposure starts (session clock, µs) of a session of ``n_events`` at ``rate_hz``."""
    duration_us = n_events / rate_hz * 1e6
    n = max(3, int(duration_us * fps / 1e6) + 1)
    return np.round(np.arange(n) * 1e6 / fps).astype(np.int64)


def write_events(path: Path, fmt: str, n_events: int, rate_hz: float, fps: float, seed: int = 0) -> int:
    """Write the event file ``path`` (``fmt`` evt3 or evt2); returns its events (about ``n_events``)."""
    frame_t = session_frames(n_events, rate_hz, fps) - OFFSET_US  # the sensor's clock
    activity = frame_activity(frame_t.size, seed)
    per_unit = n_events / GROUP / activity.sum()  # groups per unit of activity
    frames_per_block = max(1, int(BLOCK_EVENTS / (GROUP * per_unit * activity.mean())))
    words_of, trigger_of = _WRITERS[fmt]
    rng = np.random.default_rng(seed + 1)
    written = 0
    with open(path, "wb") as f:
        f.write(HEADERS[fmt].encode())
        for lo in range(0, activity.size, frames_per_block):
            hi = min(activity.size, lo + frames_per_block)
            t, y, x0, on = _groups(activity[lo:hi], frame_t[lo:hi + 1], per_unit, rng)
            edges = [(int(frame_t[k]), True) for k in range(lo, hi)]
            edges += [(int(frame_t[k]) + EXPOSURE_US, False) for k in range(lo, hi)]
            edges.sort()
            words = words_of(t, y, x0, on)
            per_group = words.size // t.size
            at = 0
            for edge_t, rising in edges:  # each edge between the groups before it and after it
                cut = int(np.searchsorted(t, edge_t, side="left"))
                f.write(words[at * per_group:cut * per_group].tobytes())
                f.write(trigger_of(edge_t, rising).tobytes())
                at = cut
            f.write(words[at * per_group:].tobytes())
            written += t.size * GROUP
    if fmt == "evt3":  # a sparse stream's time high may skip 0xFFF at a wrap, which faery cannot follow
        try:
            refuse_lost_evt3_time(path, len(HEADERS[fmt]))
        except FormatError as exc:
            path.unlink()
            raise ParameterError(f"--format evt3 at --rate {rate_hz:g}: the groups leave the time high silent "
                                 f"across a 24-bit wrap ({exc}); give --format evt2 or a higher --rate") from None
    return written


def write_video(path: Path, frame_t: np.ndarray, seed: int = 0, size: tuple[int, int] = (64, 48)) -> None:
    """A grey MP4 (mp4v) whose mean absolute change from frame ``k`` to ``k + 1`` is the scene's activity."""
    import cv2  # lazy: OpenCV for the video only

    activity = frame_activity(frame_t.size, seed)
    level, levels = 128.0, [128.0]
    for a in activity * 20:
        level = level + a if level + a <= 230 else level - a
        levels.append(level)
    fps = 1e6 / float(np.median(np.diff(frame_t)))
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size, isColor=False)
    try:
        for value in levels:
            out.write(np.full((size[1], size[0]), int(round(value)), np.uint8))
    finally:
        out.release()


def write_annotations(path: Path, frame_t: np.ndarray) -> None:
    """Three 1 s clips (session clock): at the start, the middle and the end of the RGB recording."""
    end = int(frame_t[-1])
    starts = [200_000, end // 2, end - 1_300_000]
    rows = ["subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,lighting"]
    for i, s in enumerate(starts):
        rows.append(f"s01,s01_{i},{s},{s + 200_000},{s + 400_000},{s + 700_000},{s + 1_000_000},AU12,office")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Write the session into the folder given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--events", type=int, default=300_000_000)
    parser.add_argument("--rate", type=float, default=2e6, help="mean events per second")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--format", action="append", choices=sorted(_WRITERS), help="repeatable (default evt3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        _write_session(args)
    except EvfaceError as exc:
        print(f"long_recording.py: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _write_session(args: argparse.Namespace) -> None:
    args.folder.mkdir(parents=True, exist_ok=True)
    frame_t = session_frames(args.events, args.rate, args.fps)
    for fmt in args.format or ["evt3"]:
        name = "hd.raw" if fmt == "evt3" else f"hd_{fmt}.raw"
        n = write_events(args.folder / name, fmt, args.events, args.rate, args.fps, args.seed)
        print(f"{args.folder / name}: {n:,} events, {(args.folder / name).stat().st_size:,} bytes")
    write_video(args.folder / "rgb.mp4", frame_t, args.seed)
    write_annotations(args.folder / "annotations.csv", frame_t)
    print(f"{args.folder / 'rgb.mp4'}: {frame_t.size:,} frames at {args.fps:g} fps; {args.folder / 'annotations.csv'}")


if __name__ == "__main__":
    main()
