"""evface as a library in a researcher's own training loop: its models, datasets and files used
as PyTorch code uses them (whole-model pickles, ``DataLoader`` workers, NIR files read back)."""

from __future__ import annotations

import io

import pytest
import torch

from evface.errors import ParameterError
from evface.models.export_nir import export
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import checkpoints, run_folder
from evface.tasks.export import export_run


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


@pytest.mark.parametrize("kind, channels, values", [
    ("events", 2, "log1p(count)"), ("events-apex", 2, "log1p(count)"), ("rgb", 1, "in [0, 1]"),
    ("rgb-diff", 1, "in [-1, 1]"), ("rgb-flow", 3, "strain")])
def test_a_nir_file_says_what_values_its_input_takes(tmp_path, kind, channels, values):
    """A .nir of an events run said ``input_kind`` 'events' and a float32 layout, not that the network
    takes log1p of the counts: fed the counts themselves, as the file suggests, it answered otherwise."""
    nir = pytest.importorskip("nir")
    cfg = NetConfig(in_channels=channels, n_classes=3, time_steps=4, input_size=8, depth=1, width=4)
    run_folder.save_config(tmp_path / "run", {"task": "classify", "model": "snn", "input": kind, "net": cfg.to_dict()})
    checkpoints.save_checkpoint(tmp_path / "run" / "best.pt", {"model": SpikingCNN(cfg).state_dict()})
    export_run(tmp_path / "run", tmp_path / "a.nir")
    assert values in nir.read(tmp_path / "a.nir").metadata["input_values"]
    with pytest.raises(ParameterError, match="^input_values must say in words what values the input takes, got 3$"):
        export(SpikingCNN(cfg), tmp_path / "b.nir", input_values=3)
    assert not (tmp_path / "b.nir").exists()
