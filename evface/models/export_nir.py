"""Export a trained :class:`~evface.models.snn.SpikingCNN` to NIR (Neuromorphic Intermediate Representation).

The graph is a chain ``input -> conv0 -> lif0 -> ... -> flatten -> fc -> li -> output``:

- each convolution carries its BatchNorm folded in (``w' = w g / sqrt(var + eps)``,
  ``b' = beta - mean g / sqrt(var + eps)``, inference statistics), as ``nir.Conv2d``;
- each snnTorch ``Leaky`` becomes ``nir.LIF`` with snnTorch's own mapping for a time step ``dt``:
  ``tau = dt / (1 - beta)``, ``r = tau / dt``, ``v_leak = 0``, ``v_reset = 0``; the Euler step
  ``v += dt / tau (v_leak - v + r I)`` is then exactly snnTorch's ``v = beta v + I``, and the
  reset-to-zero is exact for models trained with ``reset="zero"`` (the default; a
  ``"subtract"`` model is exported with the same approximation snnTorch's exporter makes, and
  the graph's metadata says so);
- the readout (leaky integrator without reset) becomes ``nir.LI``; the model's logits are the
  mean of its output over the time steps.

Why not ``snntorch.export_nir.export_to_nir``: with the installed snnTorch 1.0.0 that module
imports ``nirtorch`` at import time, which is not a dependency of evface (and not installed),
so it raises ``ModuleNotFoundError``; nirtorch would also have to trace the model's explicit
time loop. The node mapping here is the one snnTorch's exporter uses, written with the ``nir``
package alone. :func:`simulate` runs an exported graph step by step (numpy/torch) so that tests
can check the file reproduces the model. Reading a run folder is the caller's job
(:func:`evface.tasks.export.export_run`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evface.errors import ParameterError
from evface.models.snn import KERNEL, STRIDE, NetConfig, SpikingCNN

DT = 1e-4
"""Time step (s) used to express snnTorch's per-step ``beta`` as NIR time constants (snnTorch's choice)."""


def _nir():
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - nir is an optional extra
        raise ParameterError("NIR export needs the 'nir' package: pip install 'evface[nir]'") from exc
    return nir


def _fold(conv: torch.nn.Conv2d, norm: torch.nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    scale = (norm.weight / torch.sqrt(norm.running_var + norm.eps)).detach()
    w = conv.weight.detach() * scale[:, None, None, None]
    b = (norm.bias - norm.running_mean * scale).detach()
    if conv.bias is not None:
        b = b + conv.bias.detach() * scale
    return w.numpy().astype(np.float32), b.numpy().astype(np.float32)


def to_nir(model: SpikingCNN, dt: float = DT) -> Any:
    """The ``nir.NIRGraph`` of a (CPU) :class:`SpikingCNN`."""
    nir = _nir()
    if not isinstance(model, SpikingCNN):
        raise ParameterError(f"only SpikingCNN models can go to NIR, not {type(model).__name__}")
    cfg: NetConfig = model.cfg
    sizes, chans = cfg.sizes(), cfg.channels()
    tau = dt / (1 - cfg.beta) if cfg.beta < 1 else float("inf")
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array([cfg.in_channels, cfg.input_size, cfg.input_size]))}
    edges, prev = [], "input"
    for i, (conv, norm) in enumerate(zip(model.convs, model.norms)):
        w, b = _fold(conv, norm)
        nodes[f"conv{i}"] = nir.Conv2d(input_shape=(sizes[i], sizes[i]), weight=w, stride=STRIDE, padding=KERNEL // 2,
                                       dilation=1, groups=1, bias=b)
        shape = (chans[i], sizes[i + 1], sizes[i + 1])
        nodes[f"lif{i}"] = nir.LIF(tau=np.full(shape, tau, np.float32), r=np.full(shape, tau / dt, np.float32),
                                   v_leak=np.zeros(shape, np.float32), v_threshold=np.full(shape, cfg.threshold, np.float32),
                                   v_reset=np.zeros(shape, np.float32))
        edges += [(prev, f"conv{i}"), (f"conv{i}", f"lif{i}")]
        prev = f"lif{i}"
    nodes["flatten"] = nir.Flatten(input_type={"input": np.array([chans[-1], sizes[-1], sizes[-1]])}, start_dim=0, end_dim=-1)
    nodes["fc"] = nir.Affine(weight=model.fc.weight.detach().numpy().astype(np.float32),
                             bias=model.fc.bias.detach().numpy().astype(np.float32))
    n = cfg.n_classes
    nodes["li"] = nir.LI(tau=np.full(n, tau, np.float32), r=np.full(n, tau / dt, np.float32), v_leak=np.zeros(n, np.float32))
    nodes["output"] = nir.Output(output_type=np.array([n]))
    edges += [(prev, "flatten"), ("flatten", "fc"), ("fc", "li"), ("li", "output")]
    meta = {"source": "evface SpikingCNN", "dt": dt, "time_steps": cfg.time_steps, "readout": "mean of li over time",
            "reset": cfg.reset, "exact": cfg.reset == "zero"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def write(graph: Any, path: str | Path) -> Path:
    """Write a NIR graph to ``path`` (HDF5) through a temporary file."""
    nir = _nir()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    nir.write(str(tmp), graph)
    os.replace(tmp, path)
    return path


def export(model: SpikingCNN, path: str | Path, dt: float = DT) -> Path:
    """Write the NIR graph of ``model`` (switched to eval mode; on the CPU) to ``path``."""
    return write(to_nir(model.eval(), dt), path)


def simulate(graph: Any, x: np.ndarray) -> np.ndarray:
    """Run a chain NIR graph written by :func:`to_nir` on ``x`` (B, T, C, H, W); return the
    readout averaged over time (B, n_classes), i.e. what the model returns as logits."""
    nodes, edges = graph.nodes, graph.edges
    order, cur = [], "input"
    nxt = dict(edges)
    while cur != "output":
        cur = nxt[cur]
        order.append(cur)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    state: dict[str, torch.Tensor] = {}
    acc = 0
    for t in range(xt.shape[1]):
        h = xt[:, t]
        for name in order[:-1]:
            node = nodes[name]
            kind = type(node).__name__
            if kind == "Conv2d":
                h = torch.nn.functional.conv2d(h, torch.as_tensor(node.weight), torch.as_tensor(node.bias),
                                               stride=tuple(node.stride), padding=tuple(node.padding))
            elif kind == "Flatten":
                h = h.flatten(1)
            elif kind == "Affine":
                h = h @ torch.as_tensor(node.weight).T + torch.as_tensor(node.bias)
            elif kind in ("LIF", "LI"):
                k = torch.as_tensor(graph.metadata["dt"] / np.asarray(node.tau, dtype=np.float64)).float()
                v = state.get(name, torch.zeros_like(h))
                v = v + k * (torch.as_tensor(node.v_leak) - v + torch.as_tensor(node.r) * h)
                if kind == "LIF":
                    spk = (v > torch.as_tensor(node.v_threshold)).float()
                    v = torch.where(spk > 0, torch.as_tensor(node.v_reset).expand_as(v), v)
                    h = spk
                else:
                    h = v
                state[name] = v
            else:
                raise ParameterError(f"simulate() does not know NIR node {kind}")
        acc = acc + h
    return (acc / xt.shape[1]).numpy()
