"""A reconstruction's steps from Python (evface.tasks.reconstruct.prepare, fit_part, pool_parts) given
settings, a dataset folder or a run folder that are not the run's: one line, and nothing read from or
written into the run (was: a part trained on the settings given beside the run's others, a shape that
did not fit from deep inside the training, a KeyError)."""

import re
import shutil
from dataclasses import replace

import pytest
from parts_fixtures import check_other_dataset_refused, check_other_settings_refused, copied_run, files_of

from evface.datasets.toy import toy_dataset
from evface.errors import ParameterError
from evface.tasks import classify
from evface.tasks.configs import ClassifyConfig, ReconstructConfig
from evface.tasks.reconstruct import fit_part, pool_parts, prepare

CFG = ReconstructConfig(sensor="lr", size=16, n_bins=2, step_us=100_000, crop=0, epochs=1, base=2, z_channels=1,
                        k_samples=0, seq_len=2, batch_size=4, threads=1, device="cpu", folds=2)
"""Tiny networks, one epoch, two folds of the toy dataset's 4 subjects."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The toy dataset, a run prepared on it (``prepared``, its samples cached) and the same run with every
    part trained (``trained``)."""
    root = tmp_path_factory.mktemp("parts")
    data = toy_dataset(root / "data")
    assert prepare(data, root / "prepared", CFG) == ["fold0", "fold1"]
    shutil.copytree(root / "prepared", root / "trained")
    for name in prepare(data, root / "trained", CFG):
        fit_part(data, root / "trained", CFG, name)
    return data, root


STEPS = {"fit_part": ("prepared", lambda data, run, cfg: fit_part(data, run, cfg, "fold0")),
         "pool_parts": ("trained", lambda data, run, cfg: pool_parts(data, run, cfg))}


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize(("change", "said"), [
    (dict(folds=3), "folds: 2 in the run, 3 given"),  # fit_part: trained the run's fold0 on these settings
    (dict(val_fraction=0.4), "val_fraction: 0.15 in the run, 0.4 given"),
    (dict(protocol="events-only"), 'protocol: "extrapolation" in the run, "events-only" given'),  # on the run's samples
    (dict(n_bins=3), "n_bins: 2 in the run, 3 given"),  # fit_part: "the model takes a condition (N, 8, H, W), got (4, 7, ...)"
    (dict(seeds=2), "seeds: 1 in the run, 2 given"),
    (dict(base=4, e2vid=False),  # other networks, beside the run's other part's
     "base: 2 in the run, 4 given; e2vid: true in the run, false given"),
])
def test_a_step_given_other_settings_than_its_run_is_one_line_naming_each_and_writes_nothing(runs, tmp_path, step,
                                                                                               change, said):
    check_other_settings_refused(runs, tmp_path, STEPS, step, CFG, change, said)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_step_may_change_what_a_resume_may(runs, tmp_path, step):
    """epochs, patience, threads and device (RESUMABLE_CHANGES) are not what the run is: a step takes them,
    and a dataset folder moved elsewhere with the same clips (threads only where it scores: a training on
    two threads of this shared machine's two cores takes seconds)."""
    data, _ = runs
    which, call = STEPS[step]
    run = copied_run(runs, which, tmp_path)
    moved = shutil.copytree(data, tmp_path / "moved")
    assert call(moved, run, replace(CFG, epochs=2, patience=3, device="auto", threads=0 if step == "pool_parts" else 1))


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("dataset", ["fewer", "more"])
def test_a_step_given_another_dataset_folder_is_refused_naming_both(runs, tmp_path, step, dataset):
    """A clip removed or a subject added: was trained and scored on the samples prepare cached without a word."""
    check_other_dataset_refused(runs, tmp_path, STEPS, step, CFG, dataset)


def test_a_step_on_a_classification_run_is_refused(runs, tmp_path):
    """Was KeyError: 'parts' (fit_part), KeyError: 'evaluation' (pool_parts)."""
    data, _ = runs
    run = tmp_path / "classify"
    classify.prepare(data, run, ClassifyConfig(sensor="lr", size=8, depth=1, time_steps=1, norm="none", folds=2,
                                               device="cpu"))
    before = files_of(run)
    for call in (lambda: fit_part(data, run, CFG, "fold0"), lambda: pool_parts(data, run, CFG)):
        with pytest.raises(ParameterError, match=f"^{re.escape(str(run))} is a 'classify' run, not a reconstruction run$"):
            call()
    assert files_of(run) == before


@pytest.mark.parametrize("name", ["..", "/tmp/fold0"])
def test_a_part_name_outside_the_run_is_refused(runs, tmp_path, name):
    data, _ = runs
    run = copied_run(runs, "prepared", tmp_path)
    before = files_of(run)
    with pytest.raises(ParameterError, match=f"^{re.escape(repr(name))} is not a part of this protocol; choose from fold0, fold1$"):
        fit_part(data, run, CFG, name)
    assert files_of(run) == before
