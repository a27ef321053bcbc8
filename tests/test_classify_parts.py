"""A classification's steps from Python (evface.tasks.classify.prepare, fit_part, pool_parts) given
settings, a dataset folder, a run folder or a model folder that are not the run's: one line, and
nothing read from or written into the run (was: a model trained on the settings given and pooled
with the run's others, or a StopIteration, KeyError or IndexError from deep inside the step)."""

import re
import shutil
from dataclasses import replace

import pytest
from parts_fixtures import check_other_dataset_refused, check_other_settings_refused, copied_run, files_of

from evface.datasets.toy import toy_dataset
from evface.errors import ParameterError
from evface.tasks import reconstruct
from evface.tasks.classify import fit_part, pool_parts, prepare
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

CFG = ClassifyConfig(sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none", augment=False,
                     device="cpu", folds=2, threads=1)
"""A tiny network, one epoch, two folds of the toy dataset's 4 subjects."""
MODEL = "models/fold0-s0"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The toy dataset, a run prepared on it (``prepared``) and the same run with every model trained (``trained``)."""
    root = tmp_path_factory.mktemp("parts")
    data = toy_dataset(root / "data")
    assert prepare(data, root / "prepared", CFG) == [MODEL, "models/fold1-s0"]
    shutil.copytree(root / "prepared", root / "trained")
    for model_dir in prepare(data, root / "trained", CFG):
        fit_part(data, root / "trained", CFG, model_dir)
    return data, root


STEPS = {"fit_part": ("prepared", lambda data, run, cfg: fit_part(data, run, cfg, MODEL)),
         "pool_parts": ("trained", lambda data, run, cfg: pool_parts(data, run, cfg))}


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize(("change", "said"), [
    (dict(folds=3), "folds: 2 in the run, 3 given"),  # fit_part: StopIteration; pool_parts: pooled as folds 3
    (dict(val_fraction=0.4), "val_fraction: 0.15 in the run, 0.4 given"),  # fit_part: trained on other validation subjects
    (dict(input="rgb"), 'input: "events" in the run, "rgb" given'),  # fit_part: a shape "must have 1 or 3 channels"
    (dict(seeds=2), "seeds: 1 in the run, 2 given"),  # pool_parts: a seed of no model pooled as zero logits
    (dict(seed=1), "seed: 0 in the run, 1 given"),  # fit_part: StopIteration; pool_parts: KeyError: 0
    (dict(width=4, model="ann"),  # another network, trained and pooled with the run's
     'model: "snn" in the run, "ann" given; width: 2 in the run, 4 given'),
])
def test_a_step_given_other_settings_than_its_run_is_one_line_naming_each_and_writes_nothing(runs, tmp_path, step,
                                                                                               change, said):
    check_other_settings_refused(runs, tmp_path, STEPS, step, CFG, change, said)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_step_may_change_what_a_resume_may(runs, tmp_path, step):
    """epochs, patience, threads and device (RESUMABLE_CHANGES) are not what the run is: a step takes them,
    and a dataset folder moved elsewhere with the same clips."""
    data, _ = runs
    which, call = STEPS[step]
    run = copied_run(runs, which, tmp_path)
    moved = shutil.copytree(data, tmp_path / "moved")
    assert call(moved, run, replace(CFG, epochs=2, patience=3, threads=2, device="auto"))


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("dataset", ["fewer", "more"])
def test_a_step_given_another_dataset_folder_is_refused_naming_both(runs, tmp_path, step, dataset):
    """A clip removed (fit_part: trained on the rest without a word; pool_parts: IndexError) or a
    subject added (fit_part: StopIteration; pool_parts: scored the run on its rows' indices)."""
    check_other_dataset_refused(runs, tmp_path, STEPS, step, CFG, dataset)


def test_a_step_on_a_reconstruction_run_is_refused(runs, tmp_path):
    """Was KeyError: 'models' (fit_part), KeyError: 'labels' (pool_parts)."""
    data, _ = runs
    run = tmp_path / "recon"
    reconstruct.prepare(data, run, ReconstructConfig(sensor="lr", size=16, folds=2, device="cpu"), cache=False)
    before = files_of(run)
    for call in (lambda: fit_part(data, run, CFG, "fold0"), lambda: pool_parts(data, run, CFG)):
        with pytest.raises(ParameterError, match=f"^{re.escape(str(run))} is a 'reconstruct' run, not a classification run$"):
            call()
    assert files_of(run) == before


def test_a_model_folder_outside_the_run_is_refused_before_it_is_read(runs, tmp_path):
    """An absolute folder (or '..') is no model of the run: one of another run that was trained was taken
    as this run's, trained (fit_part returned 0.0), and the run's own model was left untrained."""
    data, root = runs
    run = copied_run(runs, "prepared", tmp_path)
    for model_dir in (str(root / "trained" / MODEL), ".."):
        with pytest.raises(ParameterError, match=f"^{re.escape(repr(model_dir))} is not a model of this protocol; "):
            fit_part(data, run, CFG, model_dir)
    assert not (run / MODEL).exists()


def test_a_step_given_a_dict_of_settings_says_what_to_give(runs, tmp_path):
    """Was AttributeError: 'dict' object has no attribute 'device' (prepare said what to give)."""
    data, _ = runs
    run = copied_run(runs, "prepared", tmp_path)
    for call in (lambda: fit_part(data, run, {"epochs": 1}, MODEL), lambda: pool_parts(data, run, {"epochs": 1})):
        with pytest.raises(ParameterError, match="^config must be a ClassifyConfig, got a dict"):
            call()
