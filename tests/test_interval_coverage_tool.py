"""tools/interval_coverage.py: how often the subject-cluster and the two-level intervals hold the true difference."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "interval_coverage.py"


def test_the_two_level_interval_holds_the_truth_where_training_variance_defeats_the_subject_interval():
    spec = importlib.util.spec_from_file_location("interval_coverage", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    subject_only, two_level = tool.coverage(runs=60, subjects=12, folds=6, trainings=3, samples=10, subject_sd=0.004,
                                            training_sd=0.02, noise_sd=0.02, resamples=400)
    assert subject_only < 0.85 and two_level >= 0.9


def test_the_seed_interval_of_two_classifier_ensembles_holds_the_truth_where_the_subject_one_does_not():
    spec = importlib.util.spec_from_file_location("interval_coverage", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    subject_only, two_level = tool.ensemble_coverage(runs=60, subjects=12, folds=6, trainings=5, clips=20,
                                                     subject_sd=0.5, training_sd=2.0, noise_sd=1.5, resamples=300)
    assert subject_only < 0.8 and two_level >= 0.9
