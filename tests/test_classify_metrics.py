"""Classification metrics against hand-computed values (evface.tasks.class_metrics)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evface.errors import ParameterError
from evface.tasks import class_metrics as cm


def test_three_class_example_by_hand():
    # TP = [1, 2, 0], FP = [1, 1, 0], FN = [1, 0, 1]
    c = cm.confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert c.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert [v.tolist() for v in cm.counts(c)] == [[1, 2, 0], [1, 1, 0], [1, 0, 1]]
    assert cm.per_class_f1(c) == pytest.approx([0.5, 0.8, 0.0])
    assert cm.top1(c) == pytest.approx(0.6)
    assert cm.uf1(c) == pytest.approx(1.3 / 3)
    assert cm.macro_f1(c) == pytest.approx(1.3 / 3)
    assert cm.uar(c) == pytest.approx(0.5)


def test_absent_class_counts_in_macro_f1_but_not_in_uf1_uar():
    c = cm.confusion_matrix([0, 1, 2, 2], [0, 1, 2, 3], 4)  # class 3 never true, predicted once
    assert cm.uf1(c) == pytest.approx((1 + 1 + 2 / 3) / 3)
    assert cm.macro_f1(c) == pytest.approx((1 + 1 + 2 / 3 + 0) / 4)
    assert cm.uar(c) == pytest.approx((1 + 1 + 0.5) / 3)
    s = cm.summarize(c, ["a", "b", "c", "d"])
    assert s["per_class"]["d"] == {"support": 0, "recall": None, "f1": 0.0}
    assert s["n"] == 4 and s["confusion"] == c.tolist()


def test_stacked_matrices_give_the_metrics_of_each():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 5, size=(6, 4, 4))
    stack[2, 3] = 0  # a class without support
    for name in ("top1", "uf1", "uar", "macro_f1"):  # macro_f1 was one float, the mean over every matrix's classes
        values = getattr(cm, name)(stack)
        assert values.shape == (6,)
        assert values == pytest.approx([getattr(cm, name)(m) for m in stack])


def test_errors():
    with pytest.raises(ParameterError):
        cm.confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ParameterError):
        cm.confusion_matrix([0, 2], [0, 1], 2)
    assert np.isnan(cm.top1(np.zeros((2, 2))))


@pytest.mark.parametrize("y_true, y_pred, n_classes, named", [
    ([0.5, 1], [0, 1], 2, "y_true must be class indices (whole numbers), got 0.5"),  # was: counted in class 0
    ([0, 1], [0, float("nan")], 2, "y_pred must be class indices (whole numbers), got nan"),
    ([0, 1], [-1, 1], 2, "y_pred must be class indices in [0, 1]"),
    ([], [], 0, "n_classes must be"),  # was: an empty (0, 0) matrix
])
def test_labels_that_are_not_class_indices_are_refused_by_name(y_true, y_pred, n_classes, named):
    with pytest.raises(ParameterError, match=re.escape(named)):
        cm.confusion_matrix(y_true, y_pred, n_classes)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_properties(pairs):
    t, p = zip(*pairs, strict=True)
    c = cm.confusion_matrix(t, p, 4)
    assert c.sum() == len(pairs)
    for value in (cm.top1(c), cm.uf1(c), cm.uar(c), cm.macro_f1(c)):
        assert 0 <= value <= 1
    assert cm.macro_f1(c) <= cm.uf1(c) + 1e-12  # absent classes only lower the macro mean
    if t == p:
        assert cm.top1(c) == cm.uf1(c) == cm.uar(c) == 1
