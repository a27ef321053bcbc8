"""A preset's synthetic dataset with fields of its timeline changed.

Not part of the package: the way the saccade-rate measurement of docs/dataset.md ("Timelines", the
gaze row) built the ``quick`` dataset with 3 saccades a second. ``evface synth`` builds a preset
as it is; this builds it as :func:`evface.datasets.synth.synthesize` does (the same clips, seeds,
resume and folder checks), with each ``--set FIELD=VALUE`` changing a field of the preset's
:class:`~evface.rig.timeline_draw.TimelineParams` (a JSON value; a list is a tuple:
``total_us_range=[250000,480000]``). The folder's ``dataset.json`` records the changed fields
under ``params.timeline``, so ``evface synth`` will not resume it as the preset's own; no default
changes, and without ``--set`` the dataset is the preset's, byte for byte. Train on it with
``evface run --preset PRESET --data OUT``.

Run (from the repository root, with evface's virtualenv)::

    python tools/synth_timeline.py OUT --preset quick --set saccade_rate_hz=3.0 [--seed 0] [--workers 1]

When done it prints the changed timeline fields and the dataset's folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from evface.checks import as_int
from evface.commands.paths import output_folder, outside_datasets, sole_writer
from evface.datasets import synth_plan
from evface.datasets.synth import synthesize
from evface.errors import EvfaceError, ParameterError
from evface.executor import check_workers
from evface.rig.timeline_draw import TimelineParams


def changed_preset(name: str, changes: dict[str, object]) -> synth_plan.SynthPreset:
    """The preset ``name`` with ``changes`` to its timeline's fields, or a :class:`ParameterError`
    naming ``--preset`` or the ``--set`` field (an unknown one, a value its check refuses)."""
    preset = synth_plan.get_preset(name)
    known = [f.name for f in dataclasses.fields(TimelineParams)]
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ParameterError(f"--set {', '.join(unknown)}: not a field of TimelineParams; choose from {', '.join(known)}")
    values: dict[str, Any] = {k: _tupled(v) for k, v in changes.items()}
    try:
        return dataclasses.replace(preset, timeline=dataclasses.replace(preset.timeline, **values))
    except (ParameterError, TypeError, ValueError) as exc:  # TypeError: a pair given one number
        raise ParameterError(f"--set {exc}") from None


def _tupled(value: object) -> object:
    """``value`` with each JSON list a tuple, as the fields of :class:`TimelineParams` hold them."""
    return tuple(map(_tupled, value)) if isinstance(value, list) else value


def synth_timeline(out: Path, preset: str, changes: dict[str, object], seed: int = 0, workers: int = 1) -> Path:
    """Build ``preset``'s dataset in ``out`` with ``changes`` to its timeline (every argument checked
    before anything is written); return ``out``."""
    as_int("--seed", seed, 0)
    check_workers(as_int("--workers", workers, 1), "--workers")
    changed = changed_preset(preset, changes)
    outside_datasets(output_folder(out, "OUT"), "OUT", own=True)  # as evface synth checks OUT
    original = synth_plan.PRESETS[preset]
    synth_plan.PRESETS[preset] = changed  # synthesize plans by name; its clip jobs carry this preset
    try:
        with sole_writer(out, "OUT"):  # a second writer into OUT at once refused, as evface synth refuses it
            synthesize(out, preset=preset, seed=seed, workers=workers)
    finally:
        synth_plan.PRESETS[preset] = original
    print("timeline", json.dumps({k: getattr(changed.timeline, k) for k in sorted(changes)}))
    return out


def _path(text: str) -> Path:
    if not text:  # Path("") is the current folder
        raise argparse.ArgumentTypeError("an empty text is no path; give a folder")
    return Path(text)


def _change(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set takes FIELD=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=_path, help="dataset folder to write (new, empty, or this tool's to resume)")
    parser.add_argument("--preset", default="quick", help="the evface synth preset (default quick)")
    parser.add_argument("--set", dest="changes", type=_change, action="append", default=[], metavar="FIELD=VALUE",
                        help="a field of the preset's TimelineParams, e.g. saccade_rate_hz=3.0")
    parser.add_argument("--seed", type=int, default=0, help="its evface synth --seed (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="processes filming clips (default 1)")
    args = parser.parse_args()
    try:
        print(synth_timeline(args.out, args.preset, dict(args.changes), args.seed, args.workers))
    except EvfaceError as exc:  # one line, exit 2, as evface's commands refuse
        parser.exit(2, f"error: {exc}\n")


if __name__ == "__main__":
    main()
