"""Tests of the training ingredients of the spiking classifier: the TET loss and EventDrop augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evface.errors import ParameterError
from evface.inputs.classify_augment import Augment, augment_array
from evface.tasks.class_training import loss_of
from evface.tasks.configs import ClassifyConfig


def test_tet_is_the_mean_of_the_per_step_losses():
    g = torch.Generator().manual_seed(0)
    out, y = torch.randn(3, 4, 5, generator=g), torch.tensor([0, 2, 4])
    per_step = [torch.nn.functional.cross_entropy(out[:, t], y) for t in range(4)]
    torch.testing.assert_close(loss_of(out, y, "tet"), torch.stack(per_step).mean())
    torch.testing.assert_close(loss_of(out, y, "mean"), torch.nn.functional.cross_entropy(out.mean(1), y))
    one = out[:, :1]  # the ANN twin's single step: both losses are the cross-entropy
    torch.testing.assert_close(loss_of(one, y, "tet"), loss_of(one, y, "mean"))
    with pytest.raises(ParameterError):
        loss_of(out, y, "mse")


def test_event_drop_by_time_and_area():
    x = np.ones((8, 2, 16, 16), np.float32)
    by_time, by_area = [], []
    for seed in range(40):
        kw = dict(flip=False, max_shift=0, drop=0, noise=0)
        t = augment_array(x, "events", np.random.default_rng(seed), drop_time=0.25, **kw)
        steps = np.flatnonzero(t.sum((1, 2, 3)) == 0)
        assert len(steps) <= 2 and (len(steps) == 0 or np.ptp(steps) == len(steps) - 1)  # one run of <= 2 steps
        assert np.all(t.sum((1, 2, 3))[t.sum((1, 2, 3)) > 0] == x[0].sum())  # other steps untouched
        by_time.append(len(steps) > 0)
        a = augment_array(x, "events", np.random.default_rng(seed), drop_area=0.25, **kw)
        zero = np.argwhere(a[0, 0] == 0)
        if len(zero):
            side = zero.max(0) - zero.min(0) + 1
            assert side[0] == side[1] <= 4 and len(zero) == side[0] ** 2  # one square of side <= 4 px
            assert np.array_equal(a[:, :, a[0, 0] == 0], np.zeros_like(a[:, :, a[0, 0] == 0]))  # every step, both polarities
        by_area.append(len(zero) > 0)
    assert 10 < sum(by_time) < 30 and 10 < sum(by_area) < 30  # each applied with probability 1/2
    plain = augment_array(x, "events", np.random.default_rng(0), flip=False, max_shift=0, drop=0, noise=0)
    assert np.array_equal(plain, x)  # off by default


def test_default_shift_is_one_pixel_and_bounded():
    assert Augment("events").max_shift == ClassifyConfig().max_shift  # the transform's default is the run's
    x = np.zeros((2, 2, 64, 64), np.float32)
    x[..., 32, 32] = 1
    kw = dict(flip=False, drop=0, noise=0)
    offsets = set()
    for seed in range(40):
        y = augment_array(x, "events", np.random.default_rng(seed), max_shift=ClassifyConfig().max_shift, **kw)
        (r, c), = np.argwhere(y[0, 0])
        offsets.add((int(r) - 32, int(c) - 32))
        assert y.sum() == x.sum()
    assert offsets == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # every shift of up to 1 px, no more
