"""How often the intervals of a run of several trainings cover the true difference, by simulation.

Not part of the package: the figures of docs/reconstruction.md ("An interval over subjects and
trainings"). A run's per-sample paired differences are simulated as a subject effect, one offset
per training of each fold (the training variance) and per-sample noise, with a true mean of 0; the
95 % subject-cluster interval of the mean over trainings
(:func:`evface.tasks.image_metrics.cluster_mean_interval`) and the two-level interval over subjects
and trainings (:func:`~evface.tasks.image_metrics.cluster_training_interval`) are counted when they
hold 0. Run (from the repository root, with evface's virtualenv)::

    python tools/interval_coverage.py [--runs 300] [--subjects 12] [--folds 6] [--trainings 5]
"""

from __future__ import annotations

import argparse

import numpy as np

from evface.tasks.image_metrics import cluster_mean_interval, cluster_training_interval


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--subjects", type=int, default=12)
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--trainings", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20, help="apex samples per subject")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    print("subject sd, training sd, noise sd: coverage of the subject-cluster / two-level 95 % interval")
    for subject_sd, training_sd, noise_sd in ((0.004, 0.0, 0.02), (0.004, 0.005, 0.02), (0.004, 0.01, 0.02), (0.004, 0.02, 0.02)):
        one, two = coverage(args.runs, args.subjects, args.folds, args.trainings, args.samples, subject_sd,
                            training_sd, noise_sd, args.resamples)
        print(f"{subject_sd}, {training_sd}, {noise_sd}: {one:.3f} / {two:.3f}")


if __name__ == "__main__":
    main()
