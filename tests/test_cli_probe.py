"""Hostile-user checks of ``evface faces``, ``bench``, ``train`` and ``export-nir`` found by probing them."""

from __future__ import annotations

import pytest
import torch

from evface.errors import ParameterError
from evface.models.export_nir import to_nir
from evface.models.snn import NetConfig, SpikingCNN

NET = NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)


@pytest.mark.parametrize("norm", ["td", "none"])
def test_to_nir_computes_on_the_models_device_and_copies_to_the_cpu(norm):
    """A model off the CPU failed in to_nir: its bias of zeros was made on the CPU and mixed with the
    model's tensors ("Tensor on device meta is not on the expected device cpu!"; on CUDA likewise),
    and the weights went to numpy without leaving the device. The meta device (shapes without
    values) runs the same path on any machine up to the copy, where it is named."""
    pytest.importorskip("nir")
    model = SpikingCNN(NetConfig(**{**NET.to_dict(), "norm": norm})).to("meta")
    with pytest.raises(ParameterError, match=r"^model: its weights are on the meta device \(shapes without values\); "
                                             "load its weights before exporting it$"):
        to_nir(model)
    assert next(model.parameters()).is_meta  # the model stays where it was


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_to_nir_of_a_model_on_cuda_is_the_graph_of_the_same_model_on_the_cpu():
    """to_nir of a model on CUDA was "can't convert cuda:0 device type tensor to numpy"."""
    pytest.importorskip("nir")
    torch.manual_seed(0)
    model = SpikingCNN(NET).eval()
    on_cpu = to_nir(model)
    on_cuda = to_nir(model.cuda())
    assert next(model.parameters()).is_cuda  # not moved
    for name, node in on_cpu.nodes.items():
        for key, value in vars(node).items():
            if hasattr(value, "shape"):
                assert value == pytest.approx(getattr(on_cuda.nodes[name], key), abs=1e-6), (name, key)
