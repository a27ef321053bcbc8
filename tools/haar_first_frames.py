"""An independent face detector on the first RGB frame of every clip of a synthetic preset.

Not part of the package: the acceptance check of issue 15 (OpenCV's Haar frontal cascade, not
evface's detector, finds a face in >= 95 % of first RGB frames across all lightings and head
poses of the ``full`` preset). Each clip's first frame of the ``rgb`` camera is drawn as
``evface synth`` draws it (the clip's seed, timeline and camera seed; only the first frame
period is rendered), so no dataset has to be written; ``--check DATA`` first compares the frames
with those of a written dataset of the same preset and seed, byte for byte.

Run (from the repository root, with evface's virtualenv)::

    python tools/haar_first_frames.py --preset full --workers 2 [--camera rgb|hd] [--min-neighbors 3] [--check DATA]

Prints, for the grey frame and for the grey frame after histogram equalisation (the preprocessing of
OpenCV's cascade tutorial), one line per lighting and per |yaw| band, the total, and the clips
without a face.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import zlib
from pathlib import Path

import cv2
import numpy as np

from evface.checks import as_int
from evface.datasets.synth_film import subject_rig
from evface.datasets.synth_plan import get_preset, preset_plan
from evface.errors import EvfaceError
from evface.io.clip_reader import read_clip
from evface.io.dataset import DatasetFolder
from evface.rig.geometry import rgb_hd_stream
from evface.rig.lighting import get_lighting
from evface.rig.record import clip_seed, int_seed
from evface.rig.timeline_draw import draw_timeline
from evface.sim.rgb import RgbCamera

CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def first_frame(preset_name: str, seed: int, clip_index: int, camera: str = "rgb") -> tuple[str, str, float, np.ndarray]:
    """Clip id, lighting, head yaw and the first frame (uint8 RGB) of one clip of the plan, from the
    ``rgb`` camera (lr's field of view) or ``hd`` (the first RGB camera framed like hd)."""
    preset = get_preset(preset_name)
    subjects, plan = preset_plan(preset_name, seed)
    by_name = {s.name: s for s in subjects}
    spec = plan[clip_index]
    timeline_ss, camera_ss = clip_seed(seed, spec).spawn(2)
    timeline = draw_timeline(spec.aus, preset.timeline, timeline_ss)
    rig = subject_rig(by_name[spec.subject], preset.rig)
    rgb_seed = int_seed(camera_ss.spawn(3)[2])  # the seeds as Rig.record draws them
    hd_view_seed = int_seed(camera_ss.spawn(1)[0])
    cams, lighting = preset.rig.cameras, get_lighting(spec.lighting)
    if camera == "rgb":
        cam = RgbCamera(cams.rgb_params(preset.rig.rgb_preset), seed=rgb_seed, fpn_seed=cams.camera_seed("rgb"))
        view = rig.scene.rgb
    else:
        name = preset.rig.rgb_hd_presets[0]
        cam_seed = int_seed(np.random.SeedSequence([hd_view_seed, zlib.crc32(name.encode())]))
        cam = RgbCamera(cams.rgb_params(name), seed=cam_seed, fpn_seed=cams.camera_seed(rgb_hd_stream(name)))
        view = rig.scene.rgb_hd
    render = lambda t: view(timeline, int(t), lighting.lux_at(int(t))) * cams.rgb_transmission  # noqa: E731
    image = next(iter(cam.iter_capture(render, 0, timeline.duration_us)))[0]
    return spec.clip_id, spec.lighting, float(timeline.head.yaw_deg), image


def detect(args: tuple[str, int, int, int, str]) -> tuple[str, str, float, bool, bool]:
    """Clip id, lighting, yaw, and whether the cascade finds a face in the grey frame and in the
    grey frame after histogram equalisation (OpenCV's cascade tutorial does the latter)."""
    preset_name, seed, clip_index, min_neighbors, camera = args
    cv2.setNumThreads(1)
    clip_id, lighting, yaw, image = first_frame(preset_name, seed, clip_index, camera)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    found = [len(CASCADE.detectMultiScale(g, 1.1, min_neighbors)) > 0 for g in (grey, cv2.equalizeHist(grey))]
    return clip_id, lighting, yaw, found[0], found[1]


def check_frames(data: Path, preset_name: str, seed: int, camera: str, hd_stream: str, n: int) -> None:
    """Print whether the first frames of clips 0, 1, n/2 and n-1 of the plan are those ``data`` holds."""
    DatasetFolder.open(data)  # a folder that is no dataset named as such
    stream = "rgb" if camera == "rgb" else hd_stream
    for i in (0, 1, n // 2, n - 1):
        clip_id, _, _, image = first_frame(preset_name, seed, i, camera)
        written = read_clip(data / "clips" / f"{clip_id}.h5", sensors=[], truth=False).frames[stream].data[0]
        print(f"check {clip_id}: first frame {'identical' if np.array_equal(image, written) else 'DIFFERS'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="full", help="the evface synth preset (default full)")
    parser.add_argument("--seed", type=int, default=0, help="its evface synth --seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--min-neighbors", type=int, default=3, help="the cascade's minNeighbors (default 3)")
    parser.add_argument("--camera", choices=("rgb", "hd"), default="rgb",
                        help="rgb: the camera with lr's field of view; hd: the RGB camera framed like hd")
    parser.add_argument("--check", type=Path, help="a dataset of the same preset and seed to compare first frames with")
    args = parser.parse_args()
    try:  # one line, exit 2 (was: a traceback, exit 1)
        workers = as_int("--workers", args.workers, 1)
        as_int("--seed", args.seed, 0)
        as_int("--min-neighbors", args.min_neighbors, 0)
        preset = get_preset(args.preset)
        n = len(preset_plan(args.preset, args.seed)[1])
        if args.check:
            check_frames(args.check, args.preset, args.seed, args.camera, rgb_hd_stream(preset.rig.rgb_hd_presets[0]), n)
    except EvfaceError as exc:
        parser.exit(2, f"error: {exc}\n")
    jobs = [(args.preset, args.seed, i, args.min_neighbors, args.camera) for i in range(n)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.map(detect, jobs, chunksize=8)
    for k, name in ((3, "grey"), (4, "equalised grey")):
        groups: dict[str, list[bool]] = collections.defaultdict(list)
        for r in results:
            groups[f"lighting {r[1]}"].append(bool(r[k]))
            band = "|yaw| < 1" if abs(r[2]) < 1 else "|yaw| 1-2" if abs(r[2]) < 2 else "|yaw| >= 2"
            groups[band].append(bool(r[k]))
        print(f"-- {name}")
        for group, found in sorted(groups.items()):
            print(f"{group}: {sum(found)}/{len(found)} = {100 * np.mean(found):.1f} %")
        hits = sum(bool(r[k]) for r in results)
        print(f"total ({args.preset}, seed {args.seed}, camera {args.camera}, {name}, minNeighbors {args.min_neighbors}): "
              f"{hits}/{n} = {100 * hits / n:.1f} %")
        missed = [r[0] for r in results if not r[k]]
        print(f"no face ({len(missed)}):", " ".join(missed[:30]), "..." if len(missed) > 30 else "")
        by_subject = collections.Counter(clip_id.split("_")[0] for clip_id in missed)
        print("no face, by subject:", ", ".join(f"{subject} {count}" for subject, count in by_subject.most_common()))

if __name__ == "__main__":
    main()
