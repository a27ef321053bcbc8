"""Tests of the SEW-ResNet spiking classifier, its ANN twin, the activity/energy estimates and the NIR export."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from evface.cli import main
from evface.errors import FormatError, ParameterError
from evface.models import export_nir
from evface.models import snn as snn_mod
from evface.models.export_nir import simulate, to_nir, write
from evface.models.net_costs import conv_synops
from evface.models.neurons import integrate
from evface.models.snn import AnnCNN, NetConfig, SpikingCNN, ann_macs, logits, snn_analog_macs
from evface.tasks import checkpoints, run_folder
from evface.tasks.class_run import net_config
from evface.tasks.configs import ClassifyConfig
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
    assert out.shape == ((5, 3, 6) if cls is SpikingCNN else (5, 1, 6))
    assert logits(out).shape == (5, 6)
    with pytest.raises(ParameterError):
        cls(cfg)(torch.rand(5, 3, channels + 1, 32, 32))


def test_the_twins_share_their_blocks():
    snn_names = {n for n, _ in SpikingCNN(CFG).named_parameters() if not n.startswith("lifs")}
    ann_names = {n for n, _ in AnnCNN(CFG).named_parameters()}
    assert snn_names == ann_names  # the same units, blocks and readout; only the neurons differ
    assert any(n.startswith("stages.1.0.") for n in ann_names)  # a SEW block after the stem


def test_time_constants_are_learnt_and_gradients_reach_the_first_layer():
    torch.manual_seed(0)
    model = SpikingCNN(CFG)
    betas = [lif.beta for lif in model.lifs]
    assert all(isinstance(b, torch.nn.Parameter) and b.item() == 0.5 for b in betas)
    assert len(betas) == 2 + 2 * 1  # stem, stage-1 down-sampling unit, the SEW block's two
    out = model(_x(4))
    torch.nn.functional.cross_entropy(logits(out), torch.tensor([0, 1])).backward()
    assert model.downs[0].conv.weight.grad.abs().sum() > 0
    assert all(b.grad is not None and b.grad.abs() > 0 for b in betas)
    assert not any(isinstance(lif.beta, torch.nn.Parameter) for lif in SpikingCNN(NetConfig(**{**CFG.to_dict(), "learn_beta": False})).lifs)


def test_subtract_reset_keeps_the_excess():
    # one neuron without leak driven by a constant 0.8: subtract reset keeps the excess (v = 0.8,
    # 1.6 spike, 1.4 spike, 1.2 spike, 1.0 silent, 1.8 spike); zero reset fires every other step
    for reset, expected in (("subtract", [0, 1, 1, 1, 0, 1]), ("zero", [0, 1, 0, 1, 0, 1])):
        lif = SpikingCNN(NetConfig(**{**CFG.to_dict(), "reset": reset, "beta": 1.0})).lifs[0]
        spikes = integrate(lif, torch.full((1, 6, 1), 0.8))[0, :, 0]
        assert spikes.tolist() == expected


def test_residual_switch_changes_the_network():
    with_skip = _trained_like(CFG)
    without = SpikingCNN(NetConfig(**{**CFG.to_dict(), "residual": False})).eval()
    without.load_state_dict(with_skip.state_dict())
    x = _x(5)
    assert not torch.equal(with_skip(x), without(x))


def test_synops_by_hand():
    conv = torch.nn.Conv2d(2, 4, 3, stride=2, padding=1)
    s = torch.zeros(1, 2, 4, 4)
    s[0, 0, 1, 1] = 2  # two spikes at a neuron covered by 2 x 2 windows
    s[0, 1, 3, 3] = 1  # one at a corner covered by 1 window
    assert conv_synops(conv, s).tolist() == [(2 * 4 + 1) * 4]


def test_activity_record():
    torch.manual_seed(0)
    model = SpikingCNN(CFG).eval()
    out, act = model.run(_x(6), record=True)
    assert torch.equal(out, model(_x(6)))
    assert act["rate"].shape == (2, len(model.lifs)) and ((act["rate"] >= 0) & (act["rate"] <= 1)).all()
    assert (act["synops"] > 0).all()


def test_macs_by_hand():
    cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=2, width=2)
    # ANN: stem 4x4 out x 2 ch x (8 in ch x 9); stage 1: 2x2 x 4 x (2 x 9), SEW block 2 x (2x2 x 4 x 4 x 9);
    # fc (4 ch x 2x2 flattened) x 3
    assert ann_macs(cfg) == 16 * 2 * 8 * 9 + 4 * 4 * 2 * 9 + 2 * 4 * 4 * 4 * 9 + 16 * 3
    assert snn_analog_macs(cfg) == 4 * 16 * 2 * 2 * 9
    li = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=2, width=2, last_neuron="li")
    assert snn_analog_macs(li) == 4 * (16 * 2 * 2 * 9 + 16 * 3)  # + the readout of 16 membrane potentials
    delays = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=2, width=2, delays=3)
    assert snn_analog_macs(delays) == 4 * 16 * 2 * (2 * 3) * 9  # the stem sees 3 delayed copies of the input
    window = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=2, width=2, stem_input="window")
    assert snn_analog_macs(window) == 16 * 2 * (2 * 4) * 9  # once, on the 4 steps stacked, as the twin's stem


def test_config_validation():
    with pytest.raises(ParameterError):
        NetConfig(in_channels=2, n_classes=1, time_steps=4)
    with pytest.raises(ParameterError):
        NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=4, depth=3)
    for bad in ({"reset": "none"}, {"surrogate": "sigmoid"}, {"norm": "bntt"}, {"readout": "max"}, {"blocks": -1},
                {"delays": 0}, {"delays": 5}, {"stem_input": "events"}, {"stem_input": "window", "delays": 2}):
        with pytest.raises(ParameterError):
            NetConfig(in_channels=2, n_classes=3, time_steps=4, **bad)
    with pytest.raises(ParameterError):
        snn_mod.build("transformer", CFG)


@pytest.mark.parametrize("field, value, message", [
    ("width", 2.5, "NetConfig.width must be a whole number, got 2.5"),  # was torch's "must be divisible by groups"
    ("in_channels", True, "NetConfig.in_channels must be an integer, got True"),
    ("threshold", float("nan"), "NetConfig.threshold must be a finite number > 0, got nan"),  # never spiked
    ("threshold", 0.0, "NetConfig.threshold must be a finite number > 0, got 0.0"),  # spiked on anything
    ("slope", -2.0, "NetConfig.slope must be a finite number > 0, got -2.0"),
    ("beta", True, "NetConfig.beta must be a number, got True"),  # was torch's "Only Tensors of floating point"
    ("residual", "no", "NetConfig.residual must be True or False, got 'no'"),  # was taken as True
    ("width", 10**7, r"the network \(\d+ weights\) takes about .* GiB, more than half of this machine's"),
])
def test_a_bad_network_setting_is_one_error_naming_it(field, value, message):
    with pytest.raises(ParameterError, match=f"^{message}"):
        NetConfig(**{**CFG.to_dict(), field: value})
    assert NetConfig(**{**CFG.to_dict(), "width": 4.0}).width == 4 and isinstance(
        NetConfig(**{**CFG.to_dict(), "width": 4.0}).width, int)


@pytest.mark.parametrize("cls", [SpikingCNN, AnnCNN])
def test_the_networks_check_their_input(cls):
    model = cls(CFG).eval()
    x = _x(7)
    expected = "the network takes input \\(B, T, C, S, S\\) = \\(B, 5, 2, 16, 16\\), got "
    for bad in (x[:, :3], x.transpose(1, 2).contiguous(), x[..., :8, :8]):  # other steps, T and C swapped, another size
        with pytest.raises(ParameterError, match=expected + re.escape(str(tuple(bad.shape)))):
            model(bad)
    nan = x.clone()
    nan[0, 1, 0, 3, 3] = float("nan")  # the SNN predicted from its biases: a NaN never crosses the threshold
    with pytest.raises(ParameterError, match="^the network's input holds NaN or infinite values$"):
        model(nan)
    with pytest.raises(ParameterError, match="no sample"):
        model(x[:0])
    with pytest.raises(TypeError, match="takes a torch.Tensor, got ndarray"):
        model(x.numpy())
    with torch.no_grad():
        assert torch.equal(model(x.double()), model(x))  # float64 (numpy's) input: as the weights' float32
        counts = x.round()
        assert torch.equal(model(counts.long()), model(counts))


@pytest.mark.parametrize("cls", [SpikingCNN, AnnCNN])
def test_training_on_one_sample_that_a_1x1_last_stage_cannot_normalise_is_refused(cls):
    """Was torch's "Expected more than 1 value per channel when training" from inside the network:
    a last stage of 1 x 1 pixel with BatchNorm, one sample (and, for the SNN, one step)."""
    cfg = NetConfig(in_channels=2, n_classes=3, time_steps=1, input_size=4, depth=2)
    model, x = cls(cfg), torch.rand(1, 1, 2, 4, 4)
    with pytest.raises(ParameterError, match=r"^the network cannot train on this batch of one sample: its last stage "
                                             r"is 1 x 1 pixel \(input_size 4, depth 2\), so its BatchNorm"):
        model(x)
    assert model(x.repeat(2, 1, 1, 1, 1)).shape == (2, 1, 3) and model.eval()(x).shape == (1, 1, 3)


# --------------------------------------------------------------------------- NIR export


def _trained_like(cfg, seed=0):
    torch.manual_seed(seed)
    model = SpikingCNN(cfg)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in norms:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.momentum = None  # running statistics: the average of the batches below
        for lif in model.lifs:
            lif.beta.uniform_(0.3, 0.9)  # learnt decays differ per layer
        for i in range(3):
            model(_x(seed + 10 + i, cfg))
    return model.eval()


def test_a_non_spiking_last_layer_passes_its_membrane_potential_to_the_readout():
    cfg = NetConfig(**{**CFG.to_dict(), "last_neuron": "li"})
    model = _trained_like(cfg)
    seen = []
    model.fc.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    _, act = model.run(_x(7), record=True)
    readout = seen[0]
    assert not torch.equal(readout, readout.round())  # graded values, not spike counts
    assert model.layer_names() == SpikingCNN(CFG).layer_names()[:-1]
    assert act["rate"].shape == (2, len(model.lifs) - 1)
    spiking = SpikingCNN(CFG).eval()
    spiking.load_state_dict(model.state_dict())
    seen.clear()
    spiking.fc.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    spiking(_x(7))
    assert torch.equal(seen[0], seen[0].round())  # the same weights with a spiking last layer: counts


def test_a_delayed_synapse_carries_the_previous_step_and_nothing_later():
    cfg = NetConfig(**{**CFG.to_dict(), "delays": 2})
    model = _trained_like(cfg)
    with torch.no_grad():
        model.downs[0].conv.weight[:, : cfg.in_channels] = 0  # the stem hears only the 1-step delay
        for lif in model.lifs:
            lif.beta.fill_(0)  # and no membrane remembers: each step sees exactly what reaches it
    x = _x(7, cfg)
    out = model(x)
    later, earlier = x.clone(), x.clone()
    later[:, -1] += 5  # the last step's input would arrive after the end
    earlier[:, 0] += 5  # the first step's input arrives at step 1
    assert torch.equal(model(later), out)
    changed = (model(earlier) - out).abs().flatten(2).amax(2)  # (B, T)
    assert (changed[:, 0] == 0).all() and (changed[:, 1] > 0).all()


def test_a_window_stem_sees_every_step_at_every_step():
    cfg = NetConfig(**{**CFG.to_dict(), "stem_input": "window"})
    model = _trained_like(cfg)
    assert model.downs[0].conv.in_channels == cfg.in_channels * cfg.time_steps
    x = _x(7, cfg)
    out = model(x)
    later = x.clone()
    later[:, -1] += 5  # the last bin reaches the first step's output too
    assert ((model(later) - out).abs().flatten(2).amax(2)[:, 0] > 0).all()
    step = SpikingCNN(CFG).eval()  # a stem fed one bin per step cannot know the last bin at step 0
    changed = (step(later) - step(x)).abs().flatten(2).amax(2)
    assert (changed[:, 0] == 0).all()
    _, act = model.run(x, record=True)
    assert act["rate"].shape == (2, len(model.lifs))  # the stem still spikes


def test_the_stem_input_option_reaches_the_network():
    assert net_config(ClassifyConfig(stem_input="window"), 7).stem_input == "window"
    assert net_config(ClassifyConfig(), 7).stem_input == "step"


def test_every_layer_of_the_test_network_spikes():
    _, act = _trained_like(CFG).run(_x(7), record=True)
    assert (act["rate"] > 0.01).all()  # so that the export tests below check spiking layers, not biases


@pytest.mark.parametrize("variant", [{}, {"reset": "zero"}, {"readout": "gap"}, {"readout": "gap", "residual": False},
                                     {"last_neuron": "li"}, {"delays": 3}, {"stem_input": "window", "last_neuron": "li"}])
def test_nir_file_reproduces_the_model(tmp_path, variant):
    nir = pytest.importorskip("nir")

    cfg = NetConfig(**{**CFG.to_dict(), **variant})
    model = _trained_like(cfg)
    path = write(to_nir(model), tmp_path / "m.nir")
    graph = nir.read(str(path))
    kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
    assert kinds["conv0"] == "Conv2d" and kinds["fc"] == "Affine"
    if cfg.reset == "subtract":  # the default: LI + Threshold with the reset as a recurrent edge
        assert kinds["lif0"] == "LI" and kinds["spike0"] == "Threshold" and kinds["reset0"] == "Scale"
        assert ("reset0", "lif0") in [tuple(e) for e in graph.edges]
    else:
        assert kinds["lif0"] == "LIF"
    edges = [tuple(e) for e in graph.edges]
    src = "spike" if cfg.reset == "subtract" else "lif"
    into_pool = sorted(a for a, b in edges if b == ("pool" if cfg.readout == "gap" else "flatten"))
    last = "lif3" if cfg.last_neuron == "li" else f"{src}3"
    if cfg.last_neuron == "li":
        assert kinds[last] == "LI" and "spike3" not in kinds
    # the SEW addition is two edges: from the block's last neuron and from the block's input
    assert into_pool == (sorted([f"{src}1", last]) if cfg.residual else [last])
    x = _x(7, cfg)
    with torch.no_grad():
        out, act = model.run(x, record=True)
    expected = logits(out).numpy()
    assert (act["rate"] > 0).all()  # every layer spikes: the graph is checked beyond its biases
    assert simulate(graph, x.numpy()) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("variant", [{}, {"reset": "zero"}, {"last_neuron": "li"}])
def test_a_layer_without_leak_is_an_integrator_in_nir(tmp_path, variant):
    """beta = 1 (a learnt decay past 1 is clamped to it) was written as tau = r = inf: a graph that computes NaN."""
    nir = pytest.importorskip("nir")

    cfg = NetConfig(**{**CFG.to_dict(), **variant})
    model = _trained_like(cfg)
    with torch.no_grad():
        model.lifs[1].beta.fill_(1.0)
        model.lifs[3].beta.fill_(1.4)  # learnt past 1: snnTorch uses 1
    graph = nir.read(str(write(to_nir(model), tmp_path / "m.nir")))
    kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
    leaky, plain = ("LIF", "IF") if cfg.reset == "zero" else ("LI", "I")
    assert (kinds["lif0"], kinds["lif1"], kinds["lif2"]) == (leaky, plain, leaky)
    assert kinds["lif3"] == ("I" if cfg.last_neuron == "li" else plain)
    for name in ("lif1", "lif3"):
        assert np.all(graph.nodes[name].r == np.float32(1 / export_nir.DT))
    x = _x(7, cfg)
    with torch.no_grad():
        out, act = model.run(x, record=True)
    assert (act["rate"] > 0).all()
    assert simulate(graph, x.numpy()) == pytest.approx(logits(out).numpy(), abs=1e-4)


def test_simulate_checks_the_graph_and_its_input(tmp_path):
    """NaN input gave the biases' output and another number of steps ran; a foreign graph was a KeyError,
    one whose metadata gives no time step a ZeroDivisionError."""
    nir = pytest.importorskip("nir")

    graph = to_nir(_trained_like(CFG))
    x = _x(7).numpy()
    expected = r"^the graph takes x \(B, T, C, H, W\) = \(B, 5, 2, 16, 16\) of real numbers, got float32 "
    for bad in (x[:, :3], x[0], x[:, :, :1]):
        with pytest.raises(ParameterError, match=expected + re.escape(str(bad.shape))):
            simulate(graph, bad)
    nan = x.copy()
    nan[0, 2, 1, 4, 4] = np.nan
    with pytest.raises(ParameterError, match="^x holds NaN or infinite values$"):
        simulate(graph, nan)
    foreign = nir.NIRGraph(nodes=graph.nodes, edges=graph.edges, metadata={})
    with pytest.raises(ParameterError, match="metadata gives dt and time_steps\\); this one's gives nothing$"):
        simulate(foreign, x)
    window = to_nir(_trained_like(NetConfig(**{**CFG.to_dict(), "stem_input": "window"})))
    assert simulate(window, x).shape == (2, CFG.n_classes)  # its input node takes C * T channels
    for stem in ("step", "window"):  # time_steps 0 was a ZeroDivisionError
        none = nir.NIRGraph(nodes=graph.nodes, edges=graph.edges,
                            metadata={**graph.metadata, "time_steps": 0, "stem_input": stem})
        with pytest.raises(ParameterError, match="^the graph's metadata gives time_steps 0; simulate"):
            simulate(none, x[:, :0])


def test_export_leaves_the_model_as_it_was_and_checks_dt(tmp_path):
    """export() switched the model to eval mode: a training loop that exported a snapshot went on with frozen
    norm statistics. dt = 0 was a ZeroDivisionError, a negative or NaN dt wrote time constants of its sign."""
    nir = pytest.importorskip("nir")

    model = _trained_like(CFG).train()
    export_nir.export(model, tmp_path / "m.nir")
    assert model.training
    graph = nir.read(str(tmp_path / "m.nir"))
    assert simulate(graph, _x(7).numpy()) == pytest.approx(logits(model.eval()(_x(7))).detach().numpy(), abs=1e-4)
    for dt in (0, -1e-4, float("nan")):
        with pytest.raises(ParameterError, match=f"^dt must be a finite number > 0, got {dt}$"):
            to_nir(model, dt)


def test_export_run_and_cli(tmp_path):
    pytest.importorskip("nir")

    model = _trained_like(CFG)
    run_folder.save_config(tmp_path / "run", {"task": "classify", "model": "snn", "net": CFG.to_dict()})
    checkpoints.save_checkpoint(tmp_path / "run" / "best.pt", {"model": model.state_dict()})
    assert export_run(tmp_path / "run", tmp_path / "a.nir") == (tmp_path / "a.nir", ".", 1)
    assert (tmp_path / "a.nir").stat().st_size > 0
    assert main(["export-nir", str(tmp_path / "run"), str(tmp_path / "b.nir")]) == 0
    # a run of one model named none when --model was given ("... it holds " and nothing)
    with pytest.raises(ParameterError, match=r"--model fold0: .* holds one model \(a run without --folds or --loso\); "
                                             "leave --model out"):
        export_run(tmp_path / "run", tmp_path / "z.nir", "fold0")
    assert not (tmp_path / "z.nir").exists()
    run_folder.save_config(tmp_path / "ann", {"task": "classify", "model": "ann", "net": CFG.to_dict()})
    with pytest.raises(ParameterError, match="not a spiking classification run"):
        export_run(tmp_path / "ann", tmp_path / "c.nir")


def test_the_nir_file_says_what_input_it_takes(tmp_path, capsys):
    """export-nir recorded neither the input kind nor the layout: a .nir did not say what to feed it."""
    pytest.importorskip("nir")
    import nir

    layouts = {"step": "x (T, C, H, W) = (5, 2, 16, 16) float32; at step t the input node takes x[t] (C, H, W)",
               "window": "x (T, C, H, W) = (5, 3, 16, 16) float32; at every step the input node takes all of x, its "
                         "T steps stacked as channels (T * C, H, W) = (15, 16, 16), step-major"}
    for kind, stem_input, channels in (("events", "step", 2), ("rgb-flow", "window", 3)):
        cfg = NetConfig(**{**CFG.to_dict(), "in_channels": channels, "stem_input": stem_input})
        run = tmp_path / kind
        run_folder.save_config(run, {"task": "classify", "model": "snn", "input": kind, "net": cfg.to_dict()})
        checkpoints.save_checkpoint(run / "best.pt", {"model": SpikingCNN(cfg).state_dict()})
        assert main(["export-nir", str(run), str(tmp_path / f"{kind}.nir")]) == 0
        meta = nir.read(tmp_path / f"{kind}.nir").metadata
        assert (meta["input_kind"], meta["input_shape"].tolist()) == (kind, [5, channels, 16, 16])
        assert meta["input_layout"] == layouts[stem_input]
    run_folder.save_config(tmp_path / "odd", {"task": "classify", "model": "snn", "input": 5, "net": CFG.to_dict()})
    capsys.readouterr()
    assert main(["export-nir", str(tmp_path / "odd"), str(tmp_path / "odd.nir")]) == 2
    odd_config = tmp_path / "odd" / "config.json"
    assert capsys.readouterr().err == f"error: {odd_config}: not as evface writes it ('input' is 5, not of type str)\n"
    assert not (tmp_path / "odd.nir").exists()
    with pytest.raises(ParameterError, match="input_kind must be the name of an input kind such as 'events', got 3"):
        export_nir.export(SpikingCNN(CFG), tmp_path / "three.nir", input_kind=3)
    assert not (tmp_path / "three.nir").exists()
    assert "input_kind" not in to_nir(SpikingCNN(CFG)).metadata  # not told: not guessed


@pytest.mark.parametrize("trained, config, entry", [
    ({}, {"reset": "zero"}, "lifs.0.reset_mechanism_val is 0 in the checkpoint and 1 by config.json"),
    ({"last_neuron": "li"}, {}, "lifs.3.reset_mechanism_val is 2 in the checkpoint and 0 by config.json"),
    ({"learn_beta": False}, {"learn_beta": False, "beta": 0.75}, "lifs.0.beta is 0.5 in the checkpoint and 0.75 by"),
])
def test_a_checkpoint_trained_with_other_neuron_settings_is_refused(tmp_path, trained, config, entry):
    """Same shapes, other neurons: the run evaluated a hybrid and export-nir wrote config.json's neurons."""
    pytest.importorskip("nir")

    run = tmp_path / "run"
    run_folder.save_config(run, {"task": "classify", "model": "snn", "net": {**CFG.to_dict(), **config}})
    checkpoints.save_checkpoint(run / "best.pt", {"model": SpikingCNN(NetConfig(**{**CFG.to_dict(), **trained})).state_dict()})
    with pytest.raises(FormatError, match=f"best.pt: was trained with other neuron settings than the run's config.json "
                                          rf"gives \(\d+ differ, e.g. {entry}"):
        export_run(run, tmp_path / "a.nir")
    assert not (tmp_path / "a.nir").exists()
    checkpoints.save_checkpoint(run / "best.pt", {"model": SpikingCNN(NetConfig(**{**CFG.to_dict(), **config})).state_dict()})
    assert export_run(run, tmp_path / "a.nir")[0].exists()  # the run's own network loads


def test_export_picks_a_model_of_a_cross_validated_run_and_says_which(tmp_path, capsys):
    pytest.importorskip("nir")
    import nir

    run = tmp_path / "run"
    dirs = ["models/fold0-s0", "models/fold1-s0"]
    run_folder.save_config(run, {"task": "classify", "model": "snn", "net": CFG.to_dict(),
                             "models": [{"dir": d} for d in dirs]})
    for seed, d in enumerate(dirs):
        checkpoints.save_checkpoint(run / d / "best.pt", {"model": _trained_like(CFG, seed).state_dict()})
    assert main(["export-nir", str(run), str(tmp_path / "a.nir")]) == 0
    assert capsys.readouterr().err.strip() == (f"wrote {tmp_path / 'a.nir'} (the network of models/fold0-s0, one of "
                                               "the run's 2 models; --model picks another)")
    assert export_run(run, tmp_path / "b.nir", "fold1-s0")[1:] == ("models/fold1-s0", 2)
    assert export_run(run, tmp_path / "c.nir", "models/fold0-s0")[1] == "models/fold0-s0"
    weights = [nir.read(tmp_path / name).nodes for name in ("a.nir", "b.nir", "c.nir")]
    first = [k for k, node in weights[0].items() if hasattr(node, "weight")][0]
    assert not np.array_equal(weights[0][first].weight, weights[1][first].weight)  # another fold's network
    assert np.array_equal(weights[0][first].weight, weights[2][first].weight)
    assert main(["export-nir", str(run), str(tmp_path / "d.nir"), "--model", "fold7"]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --model fold7: {run} holds no such model; it holds "
                                               "fold0-s0, fold1-s0")
    assert not (tmp_path / "d.nir").exists()
