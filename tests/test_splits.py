"""Subject-independent splits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.inputs.splits import subject_split
from evface.errors import DatasetError, ParameterError


def _rows(n_subjects, clips_per_subject):
    return [{"clip_id": f"s{s}_c{c}", "subject": f"s{s}"} for s in range(n_subjects) for c in range(clips_per_subject)]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(3, 30), k=st.integers(1, 5), val=st.floats(0.0, 0.3), test=st.floats(0.05, 0.3),
       seed=st.integers(0, 1000))
def test_subject_split_never_leaks_a_subject(n, k, val, test, seed):
    rows = _rows(n, k)
    try:
        parts = subject_split(rows, val, test, seed)
    except ParameterError:
        return
    subjects = {name: {r["subject"] for r in part} for name, part in parts.items()}
    assert not subjects["train"] & subjects["val"]
    assert not subjects["train"] & subjects["test"]
    assert not subjects["val"] & subjects["test"]
    assert sum(len(p) for p in parts.values()) == len(rows)
    assert subjects["train"] and subjects["test"]
    assert sorted(r["clip_id"] for p in parts.values() for r in p) == sorted(r["clip_id"] for r in rows)


def test_subject_split_is_seeded_and_sized():
    rows = _rows(10, 3)
    a = subject_split(rows, 0.2, 0.2, seed=1)
    assert a == subject_split(rows, 0.2, 0.2, seed=1)
    assert len({r["subject"] for r in a["test"]}) == 2 and len({r["subject"] for r in a["val"]}) == 2
    others = [subject_split(rows, 0.2, 0.2, seed=s)["test"] for s in range(2, 8)]
    assert any(o != a["test"] for o in others)


def test_fractions_that_leave_no_training_subject_name_their_options():
    with pytest.raises(ParameterError, match=r"^val_fraction=0.5 and test_fraction=0.5 must be >= 0 and sum below 1 "
                                             r"\(--val-fraction, --test-fraction\)$"):
        subject_split(_rows(6, 2), 0.5, 0.5, seed=0)


def test_subject_split_rejects_too_few_subjects():
    with pytest.raises(ParameterError, match=r"^2 subjects cannot give 1 validation and 1 test subject and keep "
                                             r"one for training \(--val-fraction, --test-fraction\); join more subjects' "
                                             r"folders first \(evface merge\)$"):
        subject_split(_rows(2, 4), 0.2, 0.2, seed=0)
    with pytest.raises(ParameterError):
        subject_split(_rows(5, 1), 0.6, 0.5, seed=0)


def test_folds_that_leave_too_few_training_subjects_are_named():
    from evface.tasks.stats import subject_parts

    with pytest.raises(ParameterError, match=r"^--folds 2 on 2 subjects: fold 0 leaves 1 subject to validate and "
                                             r"train on, too few at --val-fraction 0.15; give a dataset of more subjects "
                                             r"\(--data\)$"):  # was "use fewer folds", which leaves fewer
        subject_parts(_rows(2, 3), 2, 0.15, 0.0)
    with pytest.raises(ParameterError, match=r"fold 0 leaves 2 subjects to validate and train on, too few at "
                                             r"--val-fraction 0.9; give --folds 4 or a smaller --val-fraction or a "
                                             r"dataset of more subjects \(--data\)$"):
        subject_parts(_rows(4, 3), 2, 0.9, 0.0)
    assert [len(p["test"]) for p in subject_parts(_rows(3, 3), 3, 0.15, 0.0)] == [3, 3, 3]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"val_fraction": "0.1"}, "val_fraction must be a number, got '0.1'"),
    ({"test_fraction": None}, "test_fraction must be a number, got None"),
    ({"seed": -1}, "seed must be >= 0, got -1"),
    ({"seed": 1.5}, "seed must be a whole number, got 1.5"),
])
def test_a_fraction_or_seed_of_the_wrong_kind_is_named(kwargs, message):
    """Were: a comparison's TypeError for a string, numpy's "expected non-negative integer" and
    SeedSequence's TypeError for the seeds."""
    rows = [{"subject": f"s{i}"} for i in range(10)]
    with pytest.raises(ParameterError, match=message):
        subject_split(rows, **kwargs)


def test_a_subject_given_as_text_and_as_a_number_is_refused():
    """Was: subjects 1 and "1" compared as text, so two people (or one person typed twice) were
    silently one subject, in one part of the split or the same fold."""
    from evface.tasks.stats import subject_parts

    rows = [{"clip_id": f"c{i}", "subject": s} for i, s in enumerate([1, "1", 2, 3, 4, 5, 6])]
    message = r"^subject '1' is given both as int 1 and as str '1': give every subject as text"
    with pytest.raises(DatasetError, match=message):
        subject_split(rows, 0.2, 0.2, seed=0)
    with pytest.raises(DatasetError, match=message):
        subject_parts(rows, 3, 0.2, 0.0)
    numbers = [{**r, "subject": int(r["subject"])} for r in rows]  # all numbers, numpy's too: one subject 1
    numbers[1]["subject"] = np.int64(1)
    for seed in range(5):
        part_of = {r["clip_id"]: name for name, part in subject_split(numbers, 0.2, 0.2, seed).items() for r in part}
        assert len(part_of) == 7 and part_of["c0"] == part_of["c1"]
