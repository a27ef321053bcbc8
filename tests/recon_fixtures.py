"""A tiny fake reconstruction dataset (moving blobs) built with the clip API.

The reconstruction tests import :func:`make_clip` and :func:`make_fake_dataset` from here.
"""

import numpy as np

from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.manifest import write_manifest
from evface.events.core import make_events

RGB_SIZE = (48, 40)  # (width, height)
SENSOR_SCALE = {"hd": 2.0, "lr": 0.75}  # sensor pixels per RGB pixel
FPS = 30.0
TRUTH_HZ = 300.0
THRESHOLD_LOG = 0.2


def _scene(t_s, width, height, scale, phase, lux):
    """Linear intensity: a bright blob circling over a shaded background, in sensor pixels."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64) / scale
    cx = RGB_SIZE[0] / 2 + 8 * np.cos(2 * np.pi * 2.0 * t_s + phase)
    cy = RGB_SIZE[1] / 2 + 6 * np.sin(2 * np.pi * 2.0 * t_s + phase)
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 5.0**2))
    return lux * (0.2 + 0.3 * xx / RGB_SIZE[0] + 0.6 * blob)


def _events(truth, t_us):
    """One event per pixel and truth step where the log intensity moved by more than the threshold."""
    ref = np.log(truth[0])
    ts, xs, ys, ps = [], [], [], []
    for k in range(1, len(truth)):
        d = np.log(truth[k]) - ref
        y, x = np.nonzero(np.abs(d) >= THRESHOLD_LOG)
        n = np.floor(np.abs(d[y, x]) / THRESHOLD_LOG)
        sign = np.sign(d[y, x])
        ref[y, x] += sign * n * THRESHOLD_LOG
        ts.append(np.full(y.size, t_us[k]))
        xs.append(x), ys.append(y), ps.append(sign.astype(np.int8))
    cat = np.concatenate
    return make_events(cat(ts), cat(xs), cat(ys), cat(ps))


def make_clip(clip_id, subject, lighting, seed, duration_us=400_000):
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi)
    lux = {"bright": 1000.0, "dim": 10.0}[lighting]
    t_truth = np.arange(0, duration_us, int(1e6 / TRUTH_HZ), dtype=np.int64)
    sensors, events, truth, calib = {}, {}, {}, {"face_box": {}, "homography": {}}
    for name, s in SENSOR_SCALE.items():
        w, h = int(RGB_SIZE[0] * s), int(RGB_SIZE[1] * s)
        data = np.stack([_scene(t / 1e6, w, h, s, phase, lux) for t in t_truth]).astype(np.float32)
        sensors[name] = SensorInfo(name, w, h, model="fake")
        events[name] = _events(data, t_truth)
        truth[name] = TruthSeries(data, t_truth)
        calib["face_box"][name] = [int(4 * s), int(2 * s), int(40 * s), int(36 * s)]
        calib["homography"][name] = [[s, 0, 0], [0, s, 0], [0, 0, 1]]
    exposure_us = 10_000
    t_rgb = np.arange(0, duration_us - exposure_us, int(1e6 / FPS), dtype=np.int64)
    frames = []
    for t in t_rgb:
        lin = _scene((t + exposure_us / 2) / 1e6, *RGB_SIZE, 1.0, phase, lux)
        gray = (lin / lin.max()) ** (1 / 2.2)
        frames.append(np.repeat((gray * 255).round().astype(np.uint8)[..., None], 3, axis=2))
    rgb = FrameSeries(np.stack(frames), t_rgb, np.full(len(t_rgb), exposure_us), fps=FPS, model="fake")
    return Clip(clip_id, subject, "AU12", [12], lighting, 0, duration_us // 2, duration_us, duration_us,
                events=events, sensors=sensors, frames={"rgb": rgb}, truth=truth, calibration=calib)


def make_fake_dataset(root, n_subjects=4, clips_per_subject=2, duration_us=400_000, prefix="s", seed=0):
    rows = []
    for s in range(n_subjects):
        for c in range(clips_per_subject):
            cid = f"{prefix}{s:02d}_c{c:02d}"
            lighting = "bright" if (s + c) % 2 == 0 else "dim"
            clip = make_clip(cid, f"{prefix}{s:02d}", lighting, seed=seed + 10 * s + c, duration_us=duration_us)
            write_clip(root / "clips" / f"{cid}.h5", clip)
            rows.append({"clip_id": cid, "subject": clip.subject, "label": clip.label, "aus": clip.aus,
                         "lighting": lighting, "file": f"clips/{cid}.h5", "onset_us": 0,
                         "apex_us": clip.apex_us, "offset_us": clip.offset_us, "duration_us": duration_us,
                         "source": "fake"})
    write_manifest(root, rows)
    write_dataset_json(root, {"generator": "tests.recon_fixtures", "seed": 0})
    return root

