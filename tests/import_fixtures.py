"""Builders shared by the importer tests (no tests here): a tiny synthetic session in native formats.

The scene is a procedural face pasted on a random texture of soft discs, translated rigidly along a bursty path (still, then
quick moves), which gives both the event rate and the RGB frame differences a distinctive time
course. The same scene is rendered on the RGB grid and, through a known homography, on each event
sensor's grid; the event cameras run on their own clocks (``t_sensor = t_session - offset``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from evface.datasets.importers.registration import apply_homography
from evface.events.core import EVENT_DTYPE

RGB_SIZE = (128, 96)
RGB_FPS = 30.0
RGB_EXPOSURE_US = 10_000
DURATION_US = 4_000_000
MARGIN = 40


def write_evt3(path: Path, events: np.ndarray, size: tuple[int, int], triggers: np.ndarray | None = None) -> None:
    """Minimal EVT 3.0 writer with external triggers (one TIME_HIGH, TIME_LOW per event).

    ``triggers`` has fields ``t``, ``channel``, ``rising``. Times must stay below 2^24 µs here
    (no wrap handling; this writer is for short test recordings only).
    """
    trig = np.zeros(0, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")]) if triggers is None else triggers
    assert events["t"].max(initial=0) < 1 << 24 and trig["t"].max(initial=0) < 1 << 24
    n, m = events.size, trig.size
    t = np.concatenate([events["t"], trig["t"]]).astype(np.int64)
    kind = np.r_[np.zeros(n, np.int8), np.ones(m, np.int8)]
    order = np.lexsort((kind, t))
    t, kind = t[order], kind[order]
    a = np.r_[events["x"], trig["channel"]].astype(np.uint16)[order]
    b = np.r_[events["y"], np.zeros(m)].astype(np.uint16)[order]
    c = np.r_[events["p"] > 0, trig["rising"]].astype(np.uint16)[order]
    words = np.zeros((t.size, 4), np.uint16)
    words[:, 0] = 0x8000 | ((t >> 12) & 0xFFF)
    words[:, 1] = 0x6000 | (t & 0xFFF)
    cd = kind == 0
    words[cd, 2] = b[cd]
    words[cd, 3] = 0x2000 | (c[cd] << 11) | a[cd]
    words[~cd, 2] = 0xA000 | (a[~cd] << 8) | c[~cd]
    keep = np.ones(words.shape, bool)
    keep[~cd, 3] = False
    header = f"% evt 3.0\n% format EVT3;width={size[0]};height={size[1]}\n% geometry {size[0]}x{size[1]}\n% end\n"
    path.write_bytes(header.encode() + words[keep].astype("<u2").tobytes())


def write_aedat4(path: Path, events: np.ndarray, size: tuple[int, int]) -> None:
    """AEDAT4 through the I/O layer."""
    from evface.io.event_writer import write_events_file

    write_events_file(path, events, size)


def texture(seed: int, size: tuple[int, int]) -> np.ndarray:
    """Soft random discs, float32 lux in about [40, 600], (H, W)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.full((h, w), 120.0, np.float32)
    for _ in range(60):
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(3, 16)),
                   float(rng.uniform(40, 600)), -1)
    return cv2.GaussianBlur(img, (0, 0), 1.2)


def with_face(tex: np.ndarray, identity: int = 3, size: int = 88) -> np.ndarray:
    """Paste a procedural face (grey, up to 600 lux) in the middle of the texture.

    Identity 3 has no glasses; OpenCV's frontal-face cascade finds it at this size.
    """
    from evface.face.identity import procedural_identity
    from evface.face.render import FaceRenderer

    face = FaceRenderer(procedural_identity(identity), size=(size, size)).render({})
    out = tex.copy()
    y0, x0 = (tex.shape[0] - size) // 2, (tex.shape[1] - size) // 2
    out[y0:y0 + size, x0:x0 + size] = (face @ np.array([0.299, 0.587, 0.114], np.float32)) * 600
    return out


def motion_path(seed: int, t_us: np.ndarray) -> np.ndarray:
    """Rigid translation (dx, dy) in RGB pixels: still, with quick moves (20-50 ms, up to 4 px per
    axis, about six a second) in random directions."""
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.uniform(-300_000, DURATION_US + 300_000, round(6e-6 * DURATION_US)))
    out = np.zeros((t_us.size, 2))
    for s in starts:
        dur = rng.uniform(20_000, 50_000)
        step = rng.uniform(-4, 4, 2)
        ramp = np.clip((t_us - s) / dur, 0, 1)
        ramp = 0.5 - 0.5 * np.cos(np.pi * ramp)
        out += ramp[:, None] * step[None, :]
    return out


@dataclass
class Sensor:
    name: str
    size: tuple[int, int]
    homography: np.ndarray  # RGB -> sensor
    offset_us: int  # t_session = t_sensor + offset


def render(tex: np.ndarray, d: np.ndarray, h: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The scene translated by ``d`` seen through homography ``h`` (RGB -> target) on a ``size`` grid."""
    m = h @ np.array([[1.0, 0, d[0] - MARGIN], [0, 1.0, d[1] - MARGIN], [0, 0, 1.0]])
    return cv2.warpPerspective(tex, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def ideal_dvs(frames_log: np.ndarray, t_us: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """A minimal ideal DVS (numpy): one event per threshold crossing of each pixel's log intensity.

    Crossing times are interpolated linearly between frames. A stand-in that keeps these tests
    fast; the camera simulation has its own tests.
    """
    ref = frames_log[0].copy()
    prev = frames_log[0]
    h, w = ref.shape
    out = []
    for k in range(1, len(frames_log)):
        cur = frames_log[k]
        n = np.trunc((cur - ref) / threshold).astype(np.int64)
        idx = np.flatnonzero(n)
        if idx.size:
            cnt = np.abs(n.ravel()[idx])
            pix = np.repeat(idx, cnt)
            sign = np.sign(n.ravel()[pix])
            j = np.arange(pix.size) - np.repeat(np.cumsum(cnt) - cnt, cnt) + 1
            level = ref.ravel()[pix] + sign * j * threshold
            p0, p1 = prev.ravel()[pix], cur.ravel()[pix]
            frac = np.clip((level - p0) / np.where(p1 != p0, p1 - p0, 1), 0, 1)
            ev = np.empty(pix.size, dtype=EVENT_DTYPE)
            ev["t"] = np.round(t_us[k - 1] + frac * (t_us[k] - t_us[k - 1]))
            ev["x"], ev["y"], ev["p"] = pix % w, pix // w, sign
            out.append(ev[np.argsort(ev["t"], kind="stable")])
            ref = ref + n * threshold
        prev = cur
    return np.concatenate(out)


def simulate_sensor(tex: np.ndarray, sensor: Sensor, seed: int, rate_hz: float = 500.0,
                    t_session: tuple[int, int] = (-200_000, DURATION_US + 200_000)) -> np.ndarray:
    """Events of one sensor on its own clock."""
    t = np.arange(t_session[0], t_session[1], int(1e6 / rate_hz), dtype=np.int64)
    d = motion_path(seed, t)
    frames = np.log(np.stack([render(tex, d[i], sensor.homography, sensor.size) for i in range(t.size)]))
    return ideal_dvs(frames, t - sensor.offset_us)


VFR_TICKS = np.r_[np.full(60, 2), np.full(10, 4), np.full(20, 1), np.full(30, 2)]
"""Frame durations of the variable-frame-rate video, in 60ths of a second: 30 fps, a third of a
second at 15 fps (frame 70 is 333 ms after 70 / 30 s), two thirds at 60 fps, 30 fps again; as long
as 120 frames at 30 fps."""


def write_rgb(path: Path, tex: np.ndarray, seed: int, vfr: bool = False) -> np.ndarray:
    """MP4 (mp4v) of the scene at 30 fps from session time 0, or with the frame durations
    VFR_TICKS in the container (``vfr``); returns the exposure starts (µs)."""
    n = int(DURATION_US * RGB_FPS / 1e6)
    t = np.round(np.arange(n) * 1e6 / RGB_FPS).astype(np.int64)
    if vfr:
        t = np.round(np.r_[0, np.cumsum(VFR_TICKS)[:-1]] * 1e6 / 60).astype(np.int64)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), RGB_FPS, RGB_SIZE)
    eye = np.eye(3)
    for t0 in t:
        sub = t0 + np.linspace(0, RGB_EXPOSURE_US, 5)
        d = motion_path(seed, sub)
        lux = np.mean([render(tex, d[i], eye, RGB_SIZE) for i in range(sub.size)], axis=0)
        g = np.clip(255 * (lux / 650.0) ** (1 / 2.2), 0, 255).astype(np.uint8)
        writer.write(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR))
    writer.release()
    if vfr:
        set_mp4_durations(path, VFR_TICKS)
    return t


def _mp4_box(buf: bytes, path: list[bytes], lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """``(offset, size)`` of each box along ``path`` (``[b"moov", b"trak", ...]``) in an MP4 file's bytes."""
    hi = len(buf) if hi is None else hi
    while lo < hi:
        size, kind = struct.unpack(">I4s", buf[lo:lo + 8])
        if kind == path[0]:
            inner = [] if len(path) == 1 else _mp4_box(buf, path[1:], lo + 8, lo + size)
            if len(path) == 1 or inner:
                return [(lo, size)] + inner
        lo += size
    return []


def set_mp4_durations(path: Path, ticks: np.ndarray) -> None:
    """Give the frames of a one-track MP4 that OpenCV wrote (its index after the frames) the
    durations ``ticks`` (one per frame, in units that sum to the video's length): rewrites the
    time-to-sample table (``stts``), which is how a variable-frame-rate MP4 stores its frame times
    (OpenCV cannot write one)."""
    buf = bytearray(path.read_bytes())
    chain = _mp4_box(bytes(buf), [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    (off, size), (mdhd, _) = chain[-1], _mp4_box(bytes(buf), [b"moov", b"trak", b"mdia", b"mdhd"])[-1]
    _, count, delta = struct.unpack(">III", buf[off + 12:off + 24])  # OpenCV writes one entry: count frames of delta
    unit, rest = divmod(count * delta, int(np.sum(ticks)))
    assert buf[mdhd + 8] == 0 and rest == 0 and len(ticks) == count, "an MP4 of version-0 boxes with one stts entry"
    table = struct.pack(">I4sII", 16 + 8 * len(ticks), b"stts", 0, len(ticks))
    table += b"".join(struct.pack(">II", 1, int(k) * unit) for k in ticks)
    for o, s in chain[:-1]:
        struct.pack_into(">I", buf, o, s + len(table) - size)
    buf[off:off + size] = table
    path.write_bytes(bytes(buf))


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Give a one-track MP4 that OpenCV wrote a phone's rotation flag: the track header's (``tkhd``,
    version 0) display matrix turned ``degrees`` (90, 180 or 270) clockwise, the stored frames as
    they were (OpenCV cannot write one)."""
    one, cos, sin = 0x10000, round(np.cos(np.radians(degrees))), round(np.sin(np.radians(degrees)))
    buf = bytearray(path.read_bytes())
    off, _ = _mp4_box(bytes(buf), [b"moov", b"trak", b"tkhd"])[-1]
    assert buf[off + 8] == 0, "an MP4 of version-0 boxes"
    # size, type, version+flags, 5 times and ids, 8 reserved, layer, group, volume, 2 reserved: the matrix
    struct.pack_into(">9i", buf, off + 48, cos * one, sin * one, 0, -sin * one, cos * one, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(buf))


def nominal(size: tuple[int, int]) -> np.ndarray:
    from evface.datasets.importers.registration import nominal_homography

    return nominal_homography(RGB_SIZE, size)


def build_session(root: Path, seed: int = 0, *, hd_triggers: bool = True, vfr: bool = False) -> dict:
    """Write hd.raw (EVT3 + triggers), lr.aedat4, rgb.mp4 (of variable frame rate with ``vfr``,
    :data:`VFR_TICKS`) and annotations.csv; return the truth."""
    root.mkdir(parents=True, exist_ok=True)
    tex = with_face(texture(seed, (RGB_SIZE[0] + 2 * MARGIN, RGB_SIZE[1] + 2 * MARGIN)))
    hd_h = np.array([[1.0, 0.02, 2.5], [-0.015, 1.0, 1.5], [0, 0, 1.0]]) @ nominal((160, 120))
    lr_h = np.array([[1.0, -0.01, -1.5], [0.01, 1.0, 2.0], [0, 0, 1.0]]) @ nominal((96, 72))
    hd = Sensor("hd", (160, 120), hd_h, offset_us=-1_234_567)
    lr = Sensor("lr", (96, 72), lr_h, offset_us=-377_123)
    t_rgb = write_rgb(root / "rgb.mp4", tex, seed, vfr)
    hd_ev = simulate_sensor(tex, hd, seed)
    lr_ev = simulate_sensor(tex, lr, seed)
    trig = None
    if hd_triggers:
        trig = np.zeros(2 * t_rgb.size, dtype=[("t", "<i8"), ("channel", "u1"), ("rising", "?")])
        trig["t"][0::2] = t_rgb - hd.offset_us
        trig["t"][1::2] = t_rgb - hd.offset_us + RGB_EXPOSURE_US
        trig["rising"][0::2] = True
    write_evt3(root / "hd.raw", hd_ev, hd.size, trig)
    write_aedat4(root / "lr.aedat4", lr_ev, lr.size)
    (root / "annotations.csv").write_text(
        "subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,lighting\n"
        "s01,s01_a,100000,300000,400000,600000,900000,1+2,office\n"
        "s01,s01_b,1000000,1200000,1300000,1450000,1800000,AU12,office\n"
    )
    return {"hd": hd, "lr": lr, "t_rgb": t_rgb, "hd_events": hd_ev, "lr_events": lr_ev, "texture": tex}


def transfer_distance_px(h_a: np.ndarray, h_b: np.ndarray, rgb_size: tuple[int, int], n: int = 5) -> float:
    """Largest distance between two homographies' images of an ``n x n`` grid over the RGB frame."""
    u, v = np.meshgrid(np.linspace(0, rgb_size[0] - 1, n), np.linspace(0, rgb_size[1] - 1, n))
    pts = np.c_[u.ravel(), v.ravel()]
    return float(np.linalg.norm(apply_homography(h_a, pts) - apply_homography(h_b, pts), axis=1).max())


def store_sideways(video: Path, out: Path, degrees: int) -> None:
    """Write ``video``'s frames to the MP4 ``out`` as a phone stores them: turned ``degrees``
    counter-clockwise, with the rotation flag that turns them back (:func:`set_mp4_rotation`), so
    that a reader honouring the flag decodes ``video``'s frames upright (re-encoded once more)."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        stored = np.ascontiguousarray(np.rot90(frame, degrees // 90))
        if writer is None:
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, stored.shape[1::-1])
        writer.write(stored)
    cap.release()
    writer.release()
    set_mp4_rotation(out, degrees)


def set_mp4_frame_durations(path: Path, seconds: list[float]) -> None:
    """Give the frames of a one-track MP4 that OpenCV wrote the durations ``seconds`` (one per
    frame, any total: a screen recorder's pause), the stated lengths (``mdhd``, ``mvhd``, ``tkhd``
    and the edit list, past whose end FFmpeg drops frames) to match."""
    buf = bytearray(path.read_bytes())
    chain = _mp4_box(bytes(buf), [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    (off, size), (mdhd, _) = chain[-1], _mp4_box(bytes(buf), [b"moov", b"trak", b"mdia", b"mdhd"])[-1]
    mvhd, tkhd = _mp4_box(bytes(buf), [b"moov", b"mvhd"])[-1][0], _mp4_box(bytes(buf), [b"moov", b"trak", b"tkhd"])[-1][0]
    elst = _mp4_box(bytes(buf), [b"moov", b"trak", b"edts", b"elst"])[-1][0]
    assert buf[mdhd + 8] == buf[mvhd + 8] == buf[tkhd + 8] == buf[elst + 8] == 0, "an MP4 of version-0 boxes"
    scale, movie_scale = struct.unpack(">I", buf[mdhd + 20:mdhd + 24])[0], struct.unpack(">I", buf[mvhd + 20:mvhd + 24])[0]
    deltas = [round(s * scale) for s in seconds]
    movie_length = round(sum(seconds) * movie_scale)
    struct.pack_into(">I", buf, mdhd + 24, sum(deltas))
    struct.pack_into(">I", buf, mvhd + 24, movie_length)
    struct.pack_into(">I", buf, tkhd + 28, movie_length)
    struct.pack_into(">I", buf, elst + 16, movie_length)  # the first entry's segment duration
    table = struct.pack(">I4sII", 16 + 8 * len(deltas), b"stts", 0, len(deltas))
    table += b"".join(struct.pack(">II", 1, d) for d in deltas)
    for o, s in chain[:-1]:
        struct.pack_into(">I", buf, o, s + len(table) - size)
    buf[off:off + size] = table
    path.write_bytes(bytes(buf))
