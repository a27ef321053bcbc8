"""Export a trained :class:`~evface.models.spiking_cnn.SpikingCNN` to NIR (Neuromorphic Intermediate Representation).

Every unit of the network becomes ``conv{k}`` followed by its neuron; the residual additions of
the SEW blocks are graph edges (NIR sums the inputs of a node), so the convolution after a block
has two incoming edges, from the block's last neuron and from the block's input. The graph::

    input -> conv0 -> neuron0 -> conv1 -> neuron1 -> conv2 -> neuron2 -> conv3 -> neuron3 ─┬─> ... -> pool -> flatten -> fc -> output
                                      └──────────────(SEW shortcut)──────────────────────┘

- each convolution carries its tdBN folded in (``w' = w g / sqrt(var + eps)``,
  ``b' = beta - mean g / sqrt(var + eps)``, inference statistics), as ``nir.Conv2d``;
- with synaptic delays (``delays`` D > 1) the stem is D convolutions into the same neuron:
  ``conv0`` on the input and ``conv0.delay{d}`` on ``nir.Delay`` node ``delay{d}`` (``d`` steps,
  ``d * dt`` seconds), each with its slice of the stem's weights;
- with the whole window as the stem's input (``stem_input="window"``) the graph's input has
  ``C * T`` channels: every time step gets the T bins stacked (the metadata says so);
- a neuron with a learnt or fixed decay ``beta`` uses snnTorch's own mapping for a time step
  ``dt``: ``tau = dt / (1 - beta)``, ``r = tau / dt``, ``v_leak = 0``, so that the Euler step
  ``v += dt / tau (v_leak - v + r I)`` is exactly snnTorch's ``v = beta v + I``; a layer without
  leak (``beta = 1``, where a learnt decay that grew past 1 is clamped) has no finite ``tau`` and is
  ``nir.I`` / ``nir.IF`` (``v += dt r I`` with ``r = 1 / dt``) in place of ``nir.LI`` / ``nir.LIF``;
- a non-spiking last layer (``last_neuron="li"``) is ``nir.LI`` (``lif{k}``), its membrane
  potential the node's output;
- reset to zero (``reset="zero"``) is ``nir.LIF`` with ``v_reset = 0`` (node ``lif{k}``);
- reset by subtraction (the default) has no NIR neuron of its own (``nir.LIF`` resets *to*
  ``v_reset``), so it is written as what it is: a leaky integrator ``nir.LI`` (``lif{k}``, its
  output the membrane), a ``nir.Threshold`` (``spike{k}``: the spikes) and a recurrent edge
  through ``nir.Scale(-threshold)`` (``reset{k}``) back into the integrator. Under NIR's
  recurrent semantics (a back edge carries the previous step's value) this is exactly
  snnTorch's ``v[t] = beta v[t-1] + I[t] - threshold S[t-1]``;
- the global average pool is ``nir.AvgPool2d`` over the whole map (``readout="flatten"`` has
  none), then ``nir.Flatten`` and ``nir.Affine``; the model's logits are the mean of the output
  over the time steps (the graph's metadata says so);
- the metadata also says what to feed the graph: ``input_layout`` (:func:`input_layout`: the
  shape ``(T, C, H, W)`` and what the input node takes at each step), ``input_shape``
  ``[T, C, H, W]``, ``input_kind``, the kind of input the model was trained on (``events``,
  ``rgb``, ``rgb-flow``, ...: ``evface train classify --input``), and ``input_values``, what values of
  it the network takes (``log1p(count)`` for event counts), where :func:`export` is given them.

Why not ``snntorch.export_nir.export_to_nir``: with the installed snnTorch 1.0.0 that module
imports ``nirtorch`` at import time, which is not a dependency of evface (and not installed),
and nirtorch would have to trace the model's explicit time loop; it also maps a subtract-reset
``Leaky`` to ``nir.LIF``, which resets to zero. :func:`simulate` runs an exported graph step by
step so that tests can check the file reproduces the model. Reading a run folder is the
caller's job (:func:`evface.tasks.export.export_run`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from evface.checks import as_real, real_dtype
from evface.errors import ParameterError
from evface.io.atomic_files import atomic_write
from evface.models.net_blocks import Unit, stage_units
from evface.models.net_config import KERNEL, NetConfig
from evface.models.spiking_cnn import SpikingCNN

DT = 1e-4
"""Time step (s) used to express snnTorch's per-step ``beta`` as NIR time constants (snnTorch's choice)."""


def _nir():
    try:
        import nir  # lazy: nir is an optional extra, needed only by the NIR export
    except ImportError as exc:  # pragma: no cover - nir is an optional extra
        raise ParameterError("NIR export needs the 'nir' package: pip install 'evface[nir]'") from exc
    return nir


def _array(tensor: torch.Tensor) -> np.ndarray:
    """``tensor`` as a float32 array, copied to the CPU from whatever device it is on (a model on
    ``meta``, shapes without values, has nothing to copy: a ParameterError)."""
    if tensor.is_meta:
        raise ParameterError("model: its weights are on the meta device (shapes without values); load its "
                             "weights before exporting it")
    return tensor.detach().cpu().numpy().astype(np.float32)


def _fold(unit: Unit) -> tuple[np.ndarray, np.ndarray]:
    """The weight and bias of ``unit``'s convolution with its BatchNorm (if any) folded in, as
    float32 arrays (computed on the model's device, then copied to the CPU)."""
    conv, norm = unit.conv, unit.norm
    w = conv.weight.detach()
    b = conv.bias.detach() if conv.bias is not None else torch.zeros(conv.out_channels, device=w.device)
    if isinstance(norm, torch.nn.BatchNorm2d):
        mean, var = norm.running_mean, norm.running_var
        assert mean is not None and var is not None  # Unit's BatchNorm2d(c_out) tracks running statistics
        scale = (norm.weight / torch.sqrt(var + norm.eps)).detach()
        w = w * scale[:, None, None, None]
        b = (norm.bias - mean * scale).detach() + b * scale
    return _array(w), _array(b)


def _membrane(nir: Any, beta: float, dt: float, full: Callable[[float], np.ndarray], **spiking: np.ndarray) -> Any:
    """The NIR neuron whose Euler step of ``dt`` is snnTorch's ``v = beta v + I``.

    Parameters
    ----------
    nir : module
        The ``nir`` package.
    beta : float
        The layer's decay per step, in [0, 1].
    dt : float
        The time step (s).
    full : callable
        ``value -> array`` of the layer's shape.
    **spiking : np.ndarray
        ``v_threshold`` and ``v_reset`` for a spiking neuron (reset to zero); none for a leaky
        integrator.

    Returns
    -------
    nir.NIRNode
        ``nir.LI`` / ``nir.LIF`` with ``tau = dt / (1 - beta)``, ``r = tau / dt``; with ``beta = 1``
        (no leak: snnTorch clamps a learnt decay to 1) ``nir.I`` / ``nir.IF`` with ``r = 1 / dt``,
        where ``tau`` would be infinite and ``r`` with it.
    """
    if beta >= 1:
        return nir.IF(r=full(1 / dt), **spiking) if spiking else nir.I(r=full(1 / dt))
    tau = dt / (1 - beta)
    if spiking:
        return nir.LIF(tau=full(tau), r=full(tau / dt), v_leak=full(0), **spiking)
    return nir.LI(tau=full(tau), r=full(tau / dt), v_leak=full(0))


def input_layout(cfg: NetConfig) -> str:
    """What the graph of a network of ``cfg`` takes, in words (its metadata ``input_layout``).

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration.

    Returns
    -------
    str

    Examples
    --------
    >>> input_layout(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1))
    'x (T, C, H, W) = (4, 2, 8, 8) float32; at step t the input node takes x[t] (C, H, W)'
    >>> input_layout(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1, stem_input="window"))
    'x (T, C, H, W) = (4, 2, 8, 8) float32; at every step the input node takes all of x, its T steps stacked as channels (T * C, H, W) = (8, 8, 8), step-major'
    """
    t, c, s = cfg.time_steps, cfg.in_channels, cfg.input_size
    whole = f"x (T, C, H, W) = ({t}, {c}, {s}, {s}) float32"
    if cfg.stem_input == "window":
        return (f"{whole}; at every step the input node takes all of x, its T steps stacked as channels "
                f"(T * C, H, W) = ({t * c}, {s}, {s}), step-major")
    return f"{whole}; at step t the input node takes x[t] (C, H, W)"


@dataclass(frozen=True)
class _Draft:
    """The graph :func:`to_nir` is building: the ``nir`` package, the network's configuration, the
    time step (s), and the nodes and edges added so far (each step adds to them, in graph order)."""

    nir: Any
    cfg: NetConfig
    dt: float
    nodes: dict[str, Any]
    edges: list[tuple[str, str]]


def to_nir(model: SpikingCNN, dt: float = DT) -> Any:
    """The ``nir.NIRGraph`` of a :class:`SpikingCNN` for time steps of ``dt`` seconds.

    The model may be on any device with values (its arrays are copied to the CPU; the model stays
    where it is, and in its mode: the graph takes the inference statistics of its norms either way).
    The graph's metadata says what to feed it: ``input_layout`` (:func:`input_layout`) and
    ``input_shape`` ``[T, C, H, W]``; the kind of input the model was trained on, which the model
    does not know, is :func:`export`'s to record.

    Parameters
    ----------
    model : SpikingCNN
        The network.
    dt : float
        The time step in seconds (> 0) that sets the neurons' time constants.

    Returns
    -------
    nir.NIRGraph

    Examples
    --------
    >>> net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1))
    >>> graph = to_nir(net)
    >>> sorted(graph.nodes)  # subtract reset: integrator, threshold and a recurrent reset edge
    ['conv0', 'fc', 'flatten', 'input', 'lif0', 'output', 'reset0', 'spike0']
    >>> graph.metadata["input_shape"]
    array([4, 2, 8, 8])
    """
    nir = _nir()
    if not isinstance(model, SpikingCNN):
        raise ParameterError(f"only SpikingCNN models can go to NIR, not {type(model).__name__}")
    dt = as_real("dt", dt, 0, math.inf, low_open=True)  # 0 was a ZeroDivisionError, -1e-4 or nan a graph of such taus
    draft = _Draft(nir, model.cfg, dt, nodes={"input": _input_node(nir, model.cfg)}, edges=[])
    sources = _add_body(draft, model)
    if model.cfg.readout == "gap":
        sources = _add_pool(draft, sources)
    _add_readout(draft, model, sources)
    return nir.NIRGraph(nodes=draft.nodes, edges=draft.edges, metadata=_metadata(model.cfg, dt))


def _input_node(nir: Any, cfg: NetConfig) -> Any:
    """The graph's input: one step's ``(C, H, W)``, or the whole window's ``(T * C, H, W)`` for a
    window stem."""
    channels = cfg.stem_channels() if cfg.stem_input == "window" else cfg.in_channels
    return nir.Input(input_type=np.array([channels, cfg.input_size, cfg.input_size]))


def _add_body(draft: _Draft, model: SpikingCNN) -> list[str]:
    """Every unit of ``model`` with its neuron, stage by stage: the stage's down-sampling unit,
    then its SEW blocks, each two units whose output is summed with the block's input (where
    ``residual``: both as sources of what follows). Returns the nodes that feed the readout."""
    neurons = iter(enumerate(model.lifs))
    sources, sizes = ["input"], draft.cfg.sizes()
    for i, (down, blocks) in enumerate(stage_units(model.downs, model.stages)):
        sources = _add_layer(draft, down, next(neurons), sources, sizes[i])
        for block in blocks:
            inner = _add_layer(draft, block.a, next(neurons), sources, sizes[i + 1])
            inner = _add_layer(draft, block.b, next(neurons), inner, sizes[i + 1])
            sources = inner + sources if draft.cfg.residual else inner
    return sources


def _add_layer(draft: _Draft, unit: Unit, neuron: tuple[int, torch.nn.Module], sources: list[str],
               size_in: int) -> list[str]:
    """Unit ``k`` of the network (``neuron`` is ``(k, its snnTorch Leaky layer)``) on a map of ``size_in``
    pixels a side: its convolutions fed by ``sources``, into its neuron. Returns the nodes whose
    outputs are the layer's."""
    k, lif = neuron
    _add_convolutions(draft, k, unit, sources, size_in)
    size = (size_in + 2 * (KERNEL // 2) - KERNEL) // unit.conv.stride[0] + 1
    return _add_neuron(draft, k, lif, (unit.conv.out_channels, size, size))


def _add_convolutions(draft: _Draft, k: int, unit: Unit, sources: list[str], size_in: int) -> None:
    """``conv{k}`` (norm folded in) from ``sources`` into ``lif{k}``; for the stem with synaptic
    delays (D > 1) also ``conv{k}.delay{d}`` from ``delay{d}``, each with its slice of the weights."""
    w, b = _fold(unit)
    delays = draft.cfg.delays if k == 0 else 1
    for d, w_d in enumerate(np.split(w, delays, axis=1)):  # the stem: one convolution per synaptic delay
        conv, inputs = f"conv{k}", sources
        if d:
            conv, inputs = f"conv{k}.delay{d}", [_add_delay(draft, d, size_in)]
        draft.nodes[conv] = draft.nir.Conv2d(input_shape=(size_in, size_in), weight=w_d, stride=unit.conv.stride,
                                             padding=KERNEL // 2, dilation=1, groups=1,
                                             bias=b if d == 0 else np.zeros_like(b))
        draft.edges.extend((src, conv) for src in inputs)
        draft.edges.append((conv, f"lif{k}"))


def _add_delay(draft: _Draft, d: int, size: int) -> str:
    """The ``nir.Delay`` node ``delay{d}`` of ``d`` steps on the graph's input; returns its name."""
    name = f"delay{d}"
    draft.nodes[name] = draft.nir.Delay(delay=np.full((draft.cfg.in_channels, size, size), d * draft.dt, np.float32))
    draft.edges.append(("input", name))
    return name


def _add_neuron(draft: _Draft, k: int, lif: torch.nn.Module, shape: tuple[int, int, int]) -> list[str]:
    """Neuron layer ``k`` of output ``shape``: the last layer's integrator (``last_neuron="li"``),
    a LIF resetting to zero, or a subtract reset's integrator, threshold and reset edge. Returns
    the node whose output is the layer's."""
    beta = float(cast(torch.Tensor, lif.beta).detach().clamp(0, 1))  # snnTorch's Leaky: untyped
    threshold = float(cast(torch.Tensor, lif.threshold))
    full = partial(np.full, shape, dtype=np.float32)
    if draft.cfg.is_integrator(k):
        draft.nodes[f"lif{k}"] = _membrane(draft.nir, beta, draft.dt, full)
        return [f"lif{k}"]
    if draft.cfg.reset == "zero":
        draft.nodes[f"lif{k}"] = _membrane(draft.nir, beta, draft.dt, full, v_threshold=full(threshold),
                                           v_reset=full(0))
        return [f"lif{k}"]
    return _add_subtract_reset(draft, k, beta, threshold, full)


def _add_subtract_reset(draft: _Draft, k: int, beta: float, threshold: float,
                        full: Callable[[float], np.ndarray]) -> list[str]:
    """A neuron that resets by subtraction: integrator ``lif{k}``, ``spike{k}`` (the spikes) and the
    recurrent edge through ``reset{k}`` (``-threshold``) back into the integrator."""
    nir = draft.nir
    draft.nodes[f"lif{k}"] = _membrane(nir, beta, draft.dt, full)
    draft.nodes[f"spike{k}"] = nir.Threshold(threshold=full(threshold))
    draft.nodes[f"reset{k}"] = nir.Scale(scale=full(-threshold))
    draft.edges.extend([(f"lif{k}", f"spike{k}"), (f"spike{k}", f"reset{k}"), (f"reset{k}", f"lif{k}")])
    return [f"spike{k}"]


def _add_pool(draft: _Draft, sources: list[str]) -> list[str]:
    """The global average pool (``readout="gap"``) over the last stage's whole map."""
    s = draft.cfg.sizes()[-1]
    draft.nodes["pool"] = draft.nir.AvgPool2d(kernel_size=np.array([s, s]), stride=np.array([s, s]),
                                              padding=np.array([0, 0]))
    draft.edges.extend((src, "pool") for src in sources)
    return ["pool"]


def _add_readout(draft: _Draft, model: SpikingCNN, sources: list[str]) -> None:
    """``flatten`` (of the pooled 1x1 map or the last stage's whole map), the ``fc`` layer and the
    graph's output."""
    nir, cfg = draft.nir, draft.cfg
    s = 1 if cfg.readout == "gap" else cfg.sizes()[-1]
    draft.nodes["flatten"] = nir.Flatten(input_type={"input": np.array([cfg.channels()[-1], s, s])},
                                         start_dim=0, end_dim=-1)
    draft.edges.extend((src, "flatten") for src in sources)
    draft.nodes["fc"] = nir.Affine(weight=_array(model.fc.weight), bias=_array(model.fc.bias))
    draft.nodes["output"] = nir.Output(output_type=np.array([cfg.n_classes]))
    draft.edges.extend([("flatten", "fc"), ("fc", "output")])


def _metadata(cfg: NetConfig, dt: float) -> dict[str, Any]:
    """The graph's metadata: how it was made and what to feed it."""
    return {"source": "evface SpikingCNN (SEW-ResNet)", "dt": dt, "time_steps": cfg.time_steps,
            "readout": "mean of output over time", "reset": cfg.reset,
            "last_neuron": cfg.last_neuron, "delays": cfg.delays, "stem_input": cfg.stem_input,
            "input_layout": input_layout(cfg),
            "input_shape": np.array([cfg.time_steps, cfg.in_channels, cfg.input_size, cfg.input_size])}


def write(graph: Any, path: str | Path, replace: bool = True) -> Path:
    """Write a NIR graph to ``path`` (HDF5) through a temporary file; with ``replace`` False a
    :class:`FileExistsError` where a file with something in it is at ``path`` by then
    (:func:`~evface.io.atomic_files.atomic_write`).

    Parameters
    ----------
    graph : nir.NIRGraph
        The graph (:func:`to_nir`).
    path : str or Path
        The file to write.
    replace : bool
        Whether a file already at ``path`` may be replaced.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> graph = to_nir(SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1)))
    >>> write(graph, "net.nir").name
    'net.nir'
    >>> write(graph, "net.nir", replace=False)
    Traceback (most recent call last):
    ...
    FileExistsError: ...
    """
    nir = _nir()
    return atomic_write(Path(path), lambda tmp: nir.write(str(tmp), graph), replace)


def export(model: SpikingCNN, path: str | Path, dt: float = DT, replace: bool = True,
           input_kind: str | None = None, input_values: str | None = None) -> Path:
    """Write the NIR graph of ``model`` (:func:`to_nir`) to ``path`` (``replace``: as :func:`write`),
    with ``input_kind`` (``evface train classify --input``: ``events``, ``rgb``, ``rgb-flow``, ...)
    and ``input_values`` (what the network was trained to take, in words), where given, in its metadata.

    The model (on any device) is left where it is and in its mode: it was switched to eval mode,
    so a training loop that exported a snapshot went on with frozen norm statistics.

    Parameters
    ----------
    model : SpikingCNN
        The network.
    path : str or Path
        The file to write.
    dt : float
        The time step in seconds, as in :func:`to_nir`.
    replace : bool
        As in :func:`write`.
    input_kind : str, optional
        The kind of input the model was trained on.
    input_values : str, optional
        The values of that input the network takes, in words (for event counts ``log1p(count)``:
        :data:`evface.inputs.classify.INPUT_VALUES`); the graph computes otherwise on other values.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import nir
    >>> net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1))
    >>> path = export(net, "net.nir", input_kind="events", input_values="log1p(count)")
    >>> meta = nir.read(str(path)).metadata
    >>> meta["input_kind"], meta["input_values"]
    ('events', 'log1p(count)')
    """
    if input_kind is not None and (not isinstance(input_kind, str) or not input_kind):
        raise ParameterError(f"input_kind must be the name of an input kind such as 'events', got {input_kind!r}")
    if input_values is not None and (not isinstance(input_values, str) or not input_values):
        raise ParameterError(f"input_values must say in words what values the input takes, got {input_values!r}")
    graph = to_nir(model, dt)
    for key, value in (("input_kind", input_kind), ("input_values", input_values)):
        if value is not None:
            graph.metadata[key] = value
    return write(graph, path, replace)


def schedule(edges: list[tuple[str, str]]) -> tuple[list[str], set[tuple[str, str]]]:
    """An evaluation order of a graph from ``"input"`` and its recurrent (back) edges.

    Parameters
    ----------
    edges : list of (str, str)
        The graph's edges, source first; the graph starts at ``"input"``.

    Returns
    -------
    order : list of str
        The nodes reachable from ``"input"``, each after the nodes of its forward edges in.
    back : set of (str, str)
        The recurrent edges.

    Depth-first from ``input``: an edge into a node still being explored closes a cycle and is a
    back edge (it carries the previous step's value); the reverse post-order of the rest is a
    topological order.

    Examples
    --------
    >>> schedule([("input", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("b", "output")])
    (['input', 'a', 'b', 'output', 'c'], {('c', 'a')})
    """
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    done: list[str] = []
    on_stack: set[str] = set()
    seen: set[str] = set()
    back: set[tuple[str, str]] = set()

    def visit(node: str) -> None:
        seen.add(node)
        on_stack.add(node)
        for nxt in succ.get(node, []):
            if nxt in on_stack:
                back.add((node, nxt))
            elif nxt not in seen:
                visit(nxt)
        on_stack.discard(node)
        done.append(node)

    visit("input")
    return done[::-1], back


def _step(node: Any, h: torch.Tensor, state: dict[str, torch.Tensor], name: str, dt: float) -> torch.Tensor:
    kind = type(node).__name__
    if kind == "Conv2d":
        return torch.nn.functional.conv2d(h, torch.as_tensor(node.weight), torch.as_tensor(node.bias),
                                          stride=tuple(node.stride), padding=tuple(node.padding))
    if kind == "AvgPool2d":
        return torch.nn.functional.avg_pool2d(h, tuple(node.kernel_size), tuple(node.stride), tuple(node.padding))
    if kind == "Flatten":
        return h.flatten(1)
    if kind == "Affine":
        return h @ torch.as_tensor(node.weight).T + torch.as_tensor(node.bias)
    if kind == "Scale":
        return h * torch.as_tensor(node.scale)
    if kind == "Threshold":
        return (h > torch.as_tensor(node.threshold)).float()
    if kind == "Output":
        return h
    if kind == "Delay":  # the input of ``delay / dt`` steps ago (zero before)
        steps = int(round(float(np.max(node.delay)) / dt))
        past = state.get(name, torch.zeros((steps, *h.shape)))
        state[name] = torch.cat([past[1:], h[None]])
        return past[0]
    if kind in ("LIF", "LI", "IF", "I"):
        v = state.get(name, torch.zeros_like(h))
        if kind in ("IF", "I"):  # no leak: dv/dt = r I
            v = v + dt * torch.as_tensor(node.r) * h
        else:
            k = torch.as_tensor(dt / np.asarray(node.tau, dtype=np.float64)).float()
            v = v + k * (torch.as_tensor(node.v_leak) - v + torch.as_tensor(node.r) * h)
        if kind in ("LI", "I"):
            state[name] = v
            return v
        spk = (v > torch.as_tensor(node.v_threshold)).float()
        state[name] = torch.where(spk > 0, torch.as_tensor(node.v_reset).expand_as(v), v)
        return spk
    raise ParameterError(f"simulate() does not know NIR node {kind}")


def _graph_input(graph: Any, x: np.ndarray) -> np.ndarray:
    """``x`` as float32 after checking it is what the graph of :func:`to_nir` takes (see :func:`simulate`)."""
    arr = np.asarray(x)
    steps = int(graph.metadata["time_steps"])
    if steps < 1:  # was: a ZeroDivisionError
        raise ParameterError(f"the graph's metadata gives time_steps {steps}; simulate() runs graphs of 1 step or more")
    c, h, w = (int(v) for v in graph.nodes["input"].input_type["input"])
    if graph.metadata.get("stem_input") == "window":
        c //= steps  # the input node takes the T steps stacked
    if not real_dtype(arr.dtype) or arr.shape[1:] != (steps, c, h, w):
        raise ParameterError(f"the graph takes x (B, T, C, H, W) = (B, {steps}, {c}, {h}, {w}) of real numbers, "
                             f"got {arr.dtype} {arr.shape}")
    if not len(arr):
        raise ParameterError("x holds no sample (B = 0)")
    if not np.isfinite(arr).all():
        raise ParameterError("x holds NaN or infinite values")
    return arr.astype(np.float32)


def simulate(graph: Any, x: np.ndarray) -> np.ndarray:
    """Run a NIR graph written by :func:`to_nir` on ``x`` (B, T, C, H, W) under NIR's semantics.

    Every node's inputs are summed; a recurrent edge carries its source's output of the previous
    step (nothing at the first); a graph whose stem takes the whole window (metadata
    ``stem_input`` ``"window"``) gets the T steps of ``x`` stacked as channels at every step.
    Returns the output averaged over time (B, n_classes): what the model's
    :func:`~evface.models.net_blocks.logits` are.

    Raises
    ------
    ParameterError
        A graph without :func:`to_nir`'s metadata (``dt``, ``time_steps``: a ``KeyError``
        before) or whose ``time_steps`` is below 1 (a ``ZeroDivisionError``), or an ``x`` that
        is not ``(B, time_steps, C, H, W)`` real numbers for the graph's input ``(C, H, W)``,
        holds no sample, or holds NaN or infinity (a NaN never crossed a
        threshold: the output was the biases', without a word; another number of steps ran too).

    Parameters
    ----------
    graph : nir.NIRGraph
        A graph of :func:`to_nir` (or read back from its file).
    x : array_like
        ``(B, T, C, H, W)`` real numbers.

    Returns
    -------
    numpy.ndarray
        float32 ``(B, n_classes)``.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1)).eval()
    >>> x = (torch.rand(2, 4, 2, 8, 8) < 0.3).float()
    >>> from evface.models.net_blocks import logits
    >>> bool(np.allclose(simulate(to_nir(net), x.numpy()), logits(net(x)).detach().numpy(), atol=1e-5))
    True
    """
    meta = graph.metadata
    if not {"dt", "time_steps"} <= set(meta):
        raise ParameterError("simulate() runs graphs written by evface's to_nir (their metadata gives dt and "
                             f"time_steps); this one's gives {sorted(meta) or 'nothing'}")
    order, back = schedule([tuple(e) for e in graph.edges])
    preds: dict[str, list[str]] = {}
    for a, b in graph.edges:
        preds.setdefault(b, []).append(a)
    dt = float(meta["dt"])
    xt = torch.as_tensor(_graph_input(graph, x))
    window = xt.flatten(1, 2) if graph.metadata.get("stem_input") == "window" else None
    state: dict[str, torch.Tensor] = {}
    prev: dict[str, torch.Tensor] = {}
    acc = torch.zeros(())
    for t in range(xt.shape[1]):
        cur: dict[str, torch.Tensor] = {"input": window if window is not None else xt[:, t]}
        for name in order[1:]:
            ins = [prev[a] if (a, name) in back else cur[a] for a in preds[name] if (a, name) not in back or a in prev]
            cur[name] = _step(graph.nodes[name], sum(ins[1:], ins[0]), state, name, dt)
        prev = cur
        acc = acc + cur["output"]
    return (acc / xt.shape[1]).numpy()
