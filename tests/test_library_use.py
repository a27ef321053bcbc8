"""evface as a library in a researcher's own training loop: its models, datasets and files used
as PyTorch code uses them (whole-model pickles, ``DataLoader`` workers, NIR files read back)."""

from __future__ import annotations

import io

import pytest
import snntorch as snn
import torch
from snntorch import surrogate as surrogate_fns

from evface.errors import ParameterError
from evface.models.export_nir import export
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import checkpoints, run_folder
from evface.tasks.export import export_run


@pytest.mark.parametrize("surrogate", ["atan", "fast-sigmoid"])
def test_a_spiking_network_pickles_whole_with_snntorchs_surrogate(surrogate):
    """``torch.save(model)`` pickles the network itself (as ``multiprocessing`` does for another
    process): snnTorch's surrogate gradients are closures, which pickle refused ("Can't pickle local
    object 'atan.<locals>.inner'"). The module-level stand-in gives snnTorch's spike and gradient.
    Nothing is loaded back here: a whole pickled network is code, which evface never loads."""
    torch.manual_seed(0)
    net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1, width=4,
                               surrogate=surrogate, slope=3.0))
    torch.save(net, io.BytesIO())  # was: AttributeError
    grads = {layer.spike_grad for layer in net.modules() if isinstance(layer, snn.Leaky)}
    theirs = surrogate_fns.atan(alpha=3.0) if surrogate == "atan" else surrogate_fns.fast_sigmoid(slope=3.0)
    for grad in grads:
        ours_x, their_x = (torch.linspace(-1, 1, 21, requires_grad=True) for _ in range(2))
        ours, their = grad(ours_x), theirs(their_x)
        ours.sum().backward()
        their.sum().backward()
        assert torch.equal(ours, their) and torch.equal(ours_x.grad, their_x.grad)


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
