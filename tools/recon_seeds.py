"""One method against another at the apex, over several trainings of one reconstruction stage.

Not part of the package: how docs/reconstruction.md ("Dim light: training variance") set the
CVAE against the E2VID-style UNet over runs of one stage that differ only in their seed (each run
made with ``tools/run_stage.py ... --set seed=N``; under folds every run tests every subject once,
by models that never saw it). For each run, and for the per-sample mean over the runs, it prints
the mean paired SSIM difference at the apex per lighting with its 95 % subject-cluster bootstrap
interval, then each subject's mean difference in each run, where a sign that changes from run to
run is training, not the subject.

Run (from the repository root, with evface's virtualenv)::

    python tools/recon_seeds.py RUN_SEED0 RUN_SEED1 ... [--a cvae] [--b e2vid] [--area face|active] [--lighting dim]

Each RUN is a stage folder holding ``scores.csv`` (``OUT/stages/recon-...``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evface.errors import DatasetError, EvfaceError, where
from evface.tasks.image_metrics import cluster_mean_interval
from evface.tasks.recon_compare import at_apex, read_scores
from evface.tasks.recon_eval import SCORES_CSV

Sample = tuple[str, int]
"""A scored sample: its clip id and time (µs)."""


def apex_differences(run: Path, a: str, b: str, area: str) -> dict[Sample, tuple[str, str, float]]:
    """Per apex sample of ``run``: its subject, its lighting and SSIM of ``a`` minus SSIM of ``b`` in ``area``."""
    scores = read_scores(run)  # a folder without scores is named for what it is (a classify run, no run, ...)
    missing = [m for m in (a, b) if m not in scores]
    if missing:
        raise DatasetError(where(run / SCORES_CSV, f"no method {', '.join(missing)}; choose --a and --b from "
                                 f"{', '.join(sorted(scores))}"))
    return {k: (r["subject"], r["lighting"], float(r[f"{area}_ssim"]) - float(scores[b][k][f"{area}_ssim"]))
            for k, r in scores[a].items() if at_apex(r)}


def intervals(diffs: dict[Sample, tuple[str, str, float]]) -> list[str]:
    """The mean difference per lighting and over all, each with its subject-cluster interval."""
    lines = []
    for light in sorted({v[1] for v in diffs.values()}) + ["all"]:
        sel = [v for v in diffs.values() if light in ("all", v[1]) and np.isfinite(v[2])]
        if not sel:  # no active AU region in this lighting's apex samples
            lines.append(f"{light:9s} –")
            continue
        ci = cluster_mean_interval(np.array([v[2] for v in sel]), np.array([v[0] for v in sel]))
        lines.append(f"{light:9s} {ci['mean']:+.4f} [{ci['ci'][0]:+.4f}, {ci['ci'][1]:+.4f}]  "
                     f"{ci['n']} samples, {ci['n_clusters']} subjects")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="stage folders of one stage trained with other seeds")
    parser.add_argument("--a", default="cvae", help="method A (default cvae)")
    parser.add_argument("--b", default="e2vid", help="method B (default e2vid, the recurrent UNet)")
    parser.add_argument("--area", default="face", choices=("face", "active"), help="SSIM over the face or in the active AU regions")
    parser.add_argument("--lighting", default="dim", help="the lighting of the per-subject table (default dim)")
    args = parser.parse_args()
    try:  # one line, exit 2 (was: a traceback, exit 1)
        runs = [apex_differences(run, args.a, args.b, args.area) for run in args.runs]
    except EvfaceError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(f"{args.a} - {args.b}, SSIM ({args.area}) at the apex")
    for run, diffs in zip(args.runs, runs, strict=True):
        print(run, *intervals(diffs), sep="\n  ")
    common = set.intersection(*(set(d) for d in runs))
    if len(runs) > 1 and common:
        mean = {k: (runs[0][k][0], runs[0][k][1], float(np.mean([d[k][2] for d in runs]))) for k in sorted(common)}
        print(f"per-sample mean over the {len(runs)} runs ({len(common)} samples scored in all)",
              *intervals(mean), sep="\n  ")
    print(f"per subject, {args.lighting}: the mean difference in each run")
    for subject in sorted({v[0] for v in runs[0].values()}):
        means = [np.mean([v[2] for v in d.values() if v[0] == subject and v[1] == args.lighting] or [np.nan])
                 for d in runs]
        print(f"  {subject}", *(f"{m:+.4f}" for m in means))


if __name__ == "__main__":
    main()
