"""How often the intervals of a run of several trainings cover the true difference, by simulation.

Not part of the package: the figures of docs/reconstruction.md ("An interval over subjects and
trainings") and, with ``--classify``, of docs/classification.md ("An interval over subjects and
training seeds").

Reconstruction: a run's per-sample paired differences are simulated as a subject effect, one
offset per training of each fold (the training variance) and per-sample noise, with a true mean of
0; the 95 % subject-cluster interval of the mean over trainings
(:func:`evface.tasks.image_metrics.cluster_mean_interval`) and the two-level interval over subjects
and trainings (:func:`~evface.tasks.image_metrics.cluster_training_interval`) are counted when they
hold 0.

Classification (``--classify``): two alike arms, each an ensemble of K trainings per fold whose
logits are a subject's difficulty (shared by both arms), one skill offset per training of each
fold and per-clip noise; their top-1 difference has a true mean of 0. The subject-cluster interval
of the ensembles' difference (:func:`evface.tasks.stats.paired_bootstrap`) and the interval over
subjects and seeds (:func:`~evface.tasks.stats.paired_training_bootstrap`) are counted when they
hold 0. Run (from the repository root, with evface's virtualenv)::

    python tools/interval_coverage.py [--runs 300] [--subjects 12] [--folds 6] [--trainings 5] [--classify]
"""

from __future__ import annotations

import argparse
from typing import cast

import numpy as np

from evface.checks import as_int
from evface.errors import EvfaceError
from evface.tasks.image_metrics import cluster_mean_interval, cluster_training_interval
from evface.tasks.stats import paired_bootstrap, paired_training_bootstrap


def coverage(runs: int, subjects: int, folds: int, trainings: int, samples: int, subject_sd: float,
             training_sd: float, noise_sd: float, resamples: int) -> tuple[float, float]:
    """The share of ``runs`` simulated runs whose subject-only and two-level intervals hold the true mean 0."""
    rng = np.random.default_rng(0)
    subject = np.repeat(np.arange(subjects), samples)
    fold = subject % folds
    held = np.zeros(2)
    for run in range(runs):
        values = (rng.normal(0, subject_sd, subjects)[subject] + rng.normal(0, training_sd, (trainings, folds))[:, fold]
                  + rng.normal(0, noise_sd, (trainings, subject.size)))
        for j, ci in enumerate((cluster_mean_interval(values.mean(0), subject, resamples=resamples, seed=run)["ci"],
                                cluster_training_interval(values, subject, fold, resamples=resamples, seed=run)["ci"])):
            held[j] += ci[0] <= 0 <= ci[1]
    return held[0] / runs, held[1] / runs


def ensemble_coverage(runs: int, subjects: int, folds: int, trainings: int, clips: int, subject_sd: float,
                      training_sd: float, noise_sd: float, resamples: int, classes: int = 5) -> tuple[float, float]:
    """The share of ``runs`` simulated pairs of alike classifier arms whose subject-only and
    over-subjects-and-seeds intervals of the top-1 difference hold 0."""
    rng = np.random.default_rng(0)
    subject = np.repeat(np.arange(subjects), clips)
    fold = subject % folds
    held = np.zeros(2)
    for run in range(runs):
        y = rng.integers(0, classes, subject.size)
        ease = rng.normal(0, subject_sd, subjects)[subject]  # how easy each subject is, for both arms

        def arm() -> np.ndarray:
            out = rng.normal(0, noise_sd, (trainings, subject.size, classes))
            out[:, np.arange(subject.size), y] += 1.0 + ease + rng.normal(0, training_sd, (trainings, folds))[:, fold]
            return out

        a, b = arm(), arm()
        one = cast(list[float], paired_bootstrap(y, a.mean(0).argmax(1), b.mean(0).argmax(1), subject.astype(str),
                                                 classes, resamples=resamples, seed=run)["top1"]["ci"])
        two = paired_training_bootstrap(y, a, fold, b, fold, subject.astype(str), resamples=resamples, seed=run)["top1"]
        for j, ci in enumerate((one, two)):
            held[j] += ci[0] <= 0 <= ci[1]
    return held[0] / runs, held[1] / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=300, help="simulated runs per setting (default 300)")
    parser.add_argument("--subjects", type=int, default=12, help="subjects (default 12; 2 or more)")
    parser.add_argument("--folds", type=int, default=6, help="folds the subjects are split into (default 6; at most --subjects)")
    parser.add_argument("--trainings", type=int, default=5, help="trainings (seeds) per fold (default 5)")
    parser.add_argument("--samples", type=int, default=20, help="apex samples (or clips) per subject (default 20)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of each interval (default 1000)")
    parser.add_argument("--classify", action="store_true", help="two classifier arms' ensembles instead")
    args = parser.parse_args()
    try:  # one line, exit 2 (was: a traceback, or with --runs 0 a table of nan)
        subjects = as_int("--subjects", args.subjects, 2)
        sizes = (as_int("--runs", args.runs, 1), subjects, as_int("--folds", args.folds, 1, subjects),
                 as_int("--trainings", args.trainings, 1), as_int("--samples", args.samples, 1))
        resamples = as_int("--resamples", args.resamples, 1)
    except EvfaceError as exc:
        parser.exit(2, f"error: {exc}\n")
    if args.classify:
        print("subject sd, training sd, noise sd (logits): coverage of the subject-cluster / two-level 95 % interval")
        for subject_sd, training_sd, noise_sd in ((0.5, 0.0, 1.5), (0.5, 0.5, 1.5), (0.5, 1.0, 1.5), (0.5, 2.0, 1.5)):
            one, two = ensemble_coverage(*sizes, subject_sd, training_sd, noise_sd, resamples)
            print(f"{subject_sd}, {training_sd}, {noise_sd}: {one:.3f} / {two:.3f}")
        return
    print("subject sd, training sd, noise sd: coverage of the subject-cluster / two-level 95 % interval")
    for subject_sd, training_sd, noise_sd in ((0.004, 0.0, 0.02), (0.004, 0.005, 0.02), (0.004, 0.01, 0.02), (0.004, 0.02, 0.02)):
        one, two = coverage(*sizes, subject_sd, training_sd, noise_sd, resamples)
        print(f"{subject_sd}, {training_sd}, {noise_sd}: {one:.3f} / {two:.3f}")

if __name__ == "__main__":
    main()
