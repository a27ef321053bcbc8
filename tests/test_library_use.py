"""evface as a library in a researcher's own training loop: its models, datasets and files used
as PyTorch code uses them (whole-model pickles, ``DataLoader`` workers, NIR files read back)."""

from __future__ import annotations

import io

import pytest
import torch

from evface.models.snn import NetConfig, SpikingCNN


@pytest.mark.parametrize("surrogate", ["atan", "fast-sigmoid"])
def test_a_spiking_network_is_saved_whole_and_loads_back(surrogate):
    """``torch.save(model)`` pickles the network itself (as do ``multiprocessing`` and
    ``copy.deepcopy`` of a wrapper): snnTorch's surrogate gradients are closures, which pickle
    refused ("Can't pickle local object 'atan.<locals>.inner'")."""
    torch.manual_seed(0)
    net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1, width=4,
                               surrogate=surrogate))
    x = torch.rand(2, 4, 2, 8, 8) * 3
    buffer = io.BytesIO()
    torch.save(net, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    assert torch.equal(loaded(x), net(x))
    out = loaded(x).sum()
    out.backward()  # the surrogate's gradient reaches the weights, as before
    assert all(p.grad is not None for p in loaded.parameters() if p.requires_grad)
