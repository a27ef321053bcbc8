"""Tests of the spiking CNN, its ANN twin and the activity/energy estimates (evface.models.snn)."""

from __future__ import annotations

import doctest

import pytest
import torch

from evface.cli import main
from evface.errors import ParameterError
from evface.models import snn as snn_mod
from evface.models.export_nir import simulate, to_nir, write
from evface.models.snn import AnnCNN, NetConfig, SpikingCNN, activity, ann_macs, fanout_maps, snn_input_macs
from evface.tasks import engine
from evface.tasks.export import export_run

CFG = NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)


def _x(seed, cfg=CFG, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, cfg.time_steps, cfg.in_channels, cfg.input_size, cfg.input_size, generator=g) * scale


def test_state_is_reset_for_every_sample():
    torch.manual_seed(0)
    model = SpikingCNN(CFG).eval()
    a, b = _x(1), _x(2)
    first = model(a)
    assert torch.equal(model(a), first)  # the same sample twice in a row
    model(b)
    assert torch.equal(model(a), first)  # whatever ran before
    fresh = SpikingCNN(CFG).eval()
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh(a), first)
    assert all(lif.mem.numel() == 0 for lif in model.lifs)  # no stale batch-sized state left behind


def test_samples_in_a_batch_are_independent():
    torch.manual_seed(0)
    model = SpikingCNN(CFG).eval()
    x = _x(3)
    both = model(x)
    assert torch.allclose(model(x[:1]), both[:1], atol=1e-6)
    assert torch.allclose(model(x[1:]), both[1:], atol=1e-6)


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("cls", [SpikingCNN, AnnCNN])
def test_shapes_for_each_input_kind(cls, channels):
    cfg = NetConfig(in_channels=channels, n_classes=6, time_steps=3, input_size=32, depth=3, width=4)
    out = cls(cfg)(torch.rand(5, 3, channels, 32, 32))
    assert out.shape == (5, 6)
    with pytest.raises(ParameterError):
        cls(cfg)(torch.rand(5, 3, channels + 1, 32, 32))


def test_surrogate_gradients_reach_the_first_layer():
    torch.manual_seed(0)
    model = SpikingCNN(CFG)
    loss = torch.nn.functional.cross_entropy(model(_x(4)), torch.tensor([0, 1]))
    loss.backward()
    assert model.convs[0].weight.grad is not None and model.convs[0].weight.grad.abs().sum() > 0


def test_fanout_and_synops_by_hand():
    cfg = NetConfig(in_channels=1, n_classes=3, time_steps=2, input_size=8, depth=2, width=2)
    assert cfg.sizes() == [8, 4, 2]
    f0, f1 = fanout_maps(cfg)
    # 4x4 layer-0 neurons feed a 3x3 stride-2 conv with 4 output channels onto 2x2:
    # index 0 is covered by output 0 only, 1 by outputs 0 and 1, 2 by output 1, 3 by output 1 only
    per_axis = torch.tensor([1.0, 2.0, 1.0, 1.0])
    assert torch.equal(f0, torch.outer(per_axis, per_axis) * 4)
    assert torch.equal(f1, torch.full((2, 2), 3.0))  # the readout has 3 neurons
    s0 = torch.zeros(1, 2, 4, 4)
    s0[0, 0, 1, 1] = 2  # two spikes at a neuron with 2x2x4 = 16 synapses
    s1 = torch.ones(1, 4, 2, 2)  # 16 spikes, 3 synapses each
    act = activity(cfg, [s0, s1])
    assert act["synops"].item() == 2 * 16 + 16 * 3
    assert act["spikes"].tolist() == [[2, 16]]
    assert act["rate"][0].tolist() == pytest.approx([2 / (2 * 16 * 2), 16 / (4 * 4 * 2)])


def test_macs_by_hand():
    cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=2, width=2)
    # ANN: conv1 4x4 out x 2 ch x (8 in ch x 9); conv2 2x2 x 4 x (2 x 9); fc 16 x 3
    assert ann_macs(cfg) == 16 * 2 * 8 * 9 + 4 * 4 * 2 * 9 + 16 * 3
    assert snn_input_macs(cfg) == 4 * 16 * 2 * 2 * 9


def test_config_validation():
    with pytest.raises(ParameterError):
        NetConfig(in_channels=2, n_classes=1, time_steps=4)
    with pytest.raises(ParameterError):
        NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=4, depth=3)
    with pytest.raises(ParameterError):
        snn_mod.build("transformer", CFG)


def test_doctests():
    assert doctest.testmod(snn_mod).failed == 0


# --------------------------------------------------------------------------- NIR export


def _trained_like(cfg, seed=0):
    torch.manual_seed(seed)
    model = SpikingCNN(cfg)
    for _ in range(3):  # move the BatchNorm statistics away from their initial values
        model(_x(seed + 10, cfg))
    with torch.no_grad():
        for norm in model.norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.2, 0.2)
    return model.eval()


def test_nir_file_reproduces_the_model(tmp_path):
    nir = pytest.importorskip("nir")

    model = _trained_like(CFG)
    path = write(to_nir(model), tmp_path / "m.nir")
    graph = nir.read(str(path))
    assert {"conv0", "lif0", "conv1", "lif1", "flatten", "fc", "li"} <= set(graph.nodes)
    assert type(graph.nodes["lif0"]).__name__ == "LIF" and type(graph.nodes["li"]).__name__ == "LI"
    x = _x(7)
    with torch.no_grad():
        expected = model(x).numpy()
    assert abs(expected).max() > 0.01
    assert simulate(graph, x.numpy()) == pytest.approx(expected, abs=1e-4)


def test_export_run_and_cli(tmp_path):
    pytest.importorskip("nir")

    model = _trained_like(CFG)
    engine.save_config(tmp_path / "run", {"task": "classify", "model": "snn", "net": CFG.to_dict()})
    engine.save_checkpoint(tmp_path / "run" / "best.pt", {"model": model.state_dict()})
    assert export_run(tmp_path / "run", tmp_path / "a.nir").stat().st_size > 0
    assert main(["export-nir", str(tmp_path / "run"), str(tmp_path / "b.nir")]) == 0
    engine.save_config(tmp_path / "ann", {"task": "classify", "model": "ann", "net": CFG.to_dict()})
    with pytest.raises(ParameterError, match="not a spiking classification run"):
        export_run(tmp_path / "ann", tmp_path / "c.nir")
