"""How much of a clip the anti-flicker filter keeps, over the whole sensor and in the AU regions.

Not part of the package: the measurement behind docs/representations.md, "Anti-flicker". For each
clip and event sensor it prints the events, those each setting of
:func:`evface.events.ops.anti_flicker_filter` keeps, the events in the regions of the clip's own
AUs (:func:`evface.inputs.au_regions.active_regions`, on a 64 x 64 grid over the sensor's face box)
between onset and apex, kept likewise, and each setting's seconds.

Run (from the repository root, with evface's virtualenv)::

    evface synth /tmp/af --preset full --subjects 1 --lighting flicker,office --classes AU4,AU6+12
    python tools/antiflicker_regions.py /tmp/af/clips/*.h5

Deeper flicker than the rig's 10 % (the measurement's 25 % and 50 %) is the same ``evface synth``
run in a process whose ``evface.rig.lighting.LIGHTING["flicker"]`` was replaced by a
``Lighting("flicker", 300.0, flicker_hz=100.0, flicker_depth=0.25)``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evface.errors import EvfaceError
from evface.events.ops import anti_flicker_filter
from evface.inputs.au_regions import active_regions, region_masks
from evface.inputs.clip_view import face_box
from evface.io.clip_reader import read_clip_meta, read_events

SETTINGS = {"default": {}, "filter_length=3": {"filter_length": 3}, "block_size=4": {"block_size": 4},
            "diff_thresh_us=3000": {"diff_thresh_us": 3000}}
GRID = 64


def _in_regions(events: np.ndarray, box: tuple[float, float, float, float], regions: np.ndarray,
                t0: int, t1: int) -> int:
    """How many of ``events`` in ``[t0, t1)`` fall in ``regions`` (a GRID x GRID mask over ``box``)."""
    bx, by, bw, bh = box
    window = (events["t"] >= t0) & (events["t"] < t1)
    gx = np.floor((events["x"] + 0.5 - bx) / bw * GRID).astype(int)
    gy = np.floor((events["y"] + 0.5 - by) / bh * GRID).astype(int)
    inside = window & (gx >= 0) & (gx < GRID) & (gy >= 0) & (gy < GRID)
    return int(regions[gy[inside], gx[inside]].sum())


def report(paths: list[str]) -> None:
    """Print the table's line of each clip of ``paths`` and event sensor, every clip read first."""
    clips = [(path, read_clip_meta(path)) for path in paths]  # a file that is no clip refused before the table
    masks = region_masks(GRID)
    print("clip sensor | events kept(" + ", ".join(SETTINGS) + ") | AU-region events kept(...) | seconds(...)")
    for path, clip in clips:
        regions = np.zeros((GRID, GRID), bool)
        for name in active_regions(clip.aus):
            regions |= masks[name]
        for sensor, info in clip.sensors.items():
            if sensor not in ("hd", "lr"):
                continue
            events = read_events(path, sensor)
            box = face_box(clip, sensor, path)
            kept, seconds = {}, {}
            for name, settings in SETTINGS.items():
                start = time.perf_counter()
                kept[name] = anti_flicker_filter(events, (info.width, info.height), **settings)
                seconds[name] = time.perf_counter() - start
            counts = [_in_regions(e, box, regions, clip.onset_us, clip.apex_us) for e in (events, *kept.values())]
            print(f"{clip.clip_id} ({clip.lighting}) {sensor} | {events.size} "
                  + " ".join(str(k.size) for k in kept.values()) + f" | {counts[0]} "
                  + " ".join(map(str, counts[1:])) + " | " + " ".join(f"{s:.3f}" for s in seconds.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="+", help="clip .h5 files of an evface dataset")
    args = parser.parse_args()
    try:  # one line, exit 2 (was: a traceback, exit 1)
        report(args.clips)
    except EvfaceError as exc:
        parser.exit(2, f"error: {exc}\n")


if __name__ == "__main__":
    main()
