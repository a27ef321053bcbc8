"""A spiking convolutional classifier (snnTorch LIF neurons) and its non-spiking twin.

Architecture (``depth`` blocks, channels ``width * 2**i``)::

    x[t] (B, C, S, S) -> [Conv3x3 stride 2 -> BatchNorm -> LIF] x depth -> Flatten -> Linear -> LI readout

The network runs over the ``T`` time steps of its input ``(B, T, C, S, S)``; every call starts
from zero membrane state (``reset_mem``), so a sample never sees the state left by the previous
one. Hidden neurons are leaky integrate-and-fire (snnTorch ``Leaky``: ``U[t] = beta U[t-1] + I[t]``,
spike when ``U > threshold``, then reset to zero) trained with a fast-sigmoid surrogate
gradient. The readout is a leaky integrator without reset; the logits are its membrane
potential averaged over time (a smoother target for cross-entropy than spike counts).

Down-sampling uses stride-2 convolutions rather than max-pooling so that the network maps onto
NIR primitives (Conv2d, LIF, Flatten, Affine) without approximation.

:class:`AnnCNN` is the twin: the same blocks with ReLU and no time, its first convolution taking
the ``T`` input steps stacked as channels.

Examples
--------
>>> import torch
>>> cfg = NetConfig(in_channels=2, n_classes=5, time_steps=4, input_size=32, depth=2, width=8)
>>> SpikingCNN(cfg)(torch.zeros(3, 4, 2, 32, 32)).shape
torch.Size([3, 5])
>>> AnnCNN(cfg)(torch.zeros(3, 4, 2, 32, 32)).shape
torch.Size([3, 5])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from evface.errors import ParameterError

KERNEL = 3
STRIDE = 2


@dataclass(frozen=True)
class NetConfig:
    """Shape and neuron parameters shared by :class:`SpikingCNN` and :class:`AnnCNN`.

    ``beta`` is the membrane decay per time step, ``threshold`` the firing threshold,
    ``slope`` the steepness of the fast-sigmoid surrogate gradient (snnTorch's default is 25)
    and ``reset`` the hidden neurons' reset: ``"zero"`` (the NIR LIF semantics, so that an
    exported graph behaves exactly like the trained model) or ``"subtract"`` (snnTorch's default).
    """

    in_channels: int
    n_classes: int
    time_steps: int
    input_size: int = 64
    depth: int = 3
    width: int = 16
    beta: float = 0.9
    threshold: float = 1.0
    slope: float = 25.0
    dropout: float = 0.0
    reset: str = "zero"

    def __post_init__(self) -> None:
        for name in ("in_channels", "n_classes", "time_steps", "input_size", "depth", "width"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"NetConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.n_classes < 2:
            raise ParameterError(f"a classifier needs at least 2 classes, got {self.n_classes}")
        if not 0 < self.beta <= 1:
            raise ParameterError(f"beta must lie in (0, 1], got {self.beta}")
        if self.reset not in ("zero", "subtract"):
            raise ParameterError(f"reset must be 'zero' or 'subtract', not {self.reset!r}")
        if self.input_size // 2 ** self.depth < 1:
            raise ParameterError(f"input_size {self.input_size} is too small for depth {self.depth}")

    def channels(self) -> list[int]:
        """Output channels of each convolution block."""
        return [self.width * 2**i for i in range(self.depth)]

    def sizes(self) -> list[int]:
        """Spatial size after each block (input size first)."""
        sizes = [self.input_size]
        for _ in range(self.depth):
            sizes.append((sizes[-1] + 2 * (KERNEL // 2) - KERNEL) // STRIDE + 1)
        return sizes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _blocks(cfg: NetConfig, in_channels: int) -> tuple[nn.ModuleList, nn.ModuleList]:
    convs, norms = nn.ModuleList(), nn.ModuleList()
    c_in = in_channels
    for c_out in cfg.channels():
        convs.append(nn.Conv2d(c_in, c_out, KERNEL, stride=STRIDE, padding=KERNEL // 2, bias=False))
        norms.append(nn.BatchNorm2d(c_out))
        c_in = c_out
    return convs, norms


def _features(cfg: NetConfig) -> int:
    return cfg.channels()[-1] * cfg.sizes()[-1] ** 2


class SpikingCNN(nn.Module):
    """The spiking classifier; input ``(B, T, C, S, S)``, output logits ``(B, n_classes)``."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        grad = surrogate.fast_sigmoid(slope=cfg.slope)
        self.convs, self.norms = _blocks(cfg, cfg.in_channels)
        self.lifs = nn.ModuleList(
            snn.Leaky(beta=cfg.beta, threshold=cfg.threshold, spike_grad=grad, reset_mechanism=cfg.reset)
            for _ in range(cfg.depth)
        )
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(_features(cfg), cfg.n_classes)
        self.readout = snn.Leaky(beta=cfg.beta, threshold=cfg.threshold, spike_grad=grad, reset_mechanism="none")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]

    def run(self, x: torch.Tensor, record: bool = False) -> tuple[torch.Tensor, dict[str, Any]]:
        """Logits and, when ``record``, per-layer activity.

        Returns
        -------
        logits : (B, n_classes)
        stats : dict
            With ``record``: ``spikes`` (list per hidden layer of (B, C, H, W) spike counts summed
            over time), else empty.
        """
        if x.ndim != 5 or x.shape[2] != self.cfg.in_channels:
            raise ParameterError(f"expected input (B, T, {self.cfg.in_channels}, H, W), got {tuple(x.shape)}")
        try:
            logits, sums = self._layers(x, record)
        finally:
            self.clear_state()
        return logits, ({"spikes": sums} if record else {})

    def clear_state(self) -> None:
        """Empty the neurons' ``mem`` buffers (snnTorch keeps the last state there).

        Run after every call so that the state dict, DDP's buffer broadcast and the next call
        never see a stale, batch-sized membrane tensor.
        """
        for lif in (*self.lifs, self.readout):
            lif.mem = torch.zeros(0, device=lif.mem.device)

    @staticmethod
    def _integrate(lif: snn.Leaky, current: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run one neuron layer over time from zero state: (B, T, ...) currents -> spikes, membranes."""
        mem = lif.reset_mem()
        spikes, mems = [], []
        for t in range(current.shape[1]):
            spk, mem = lif(current[:, t], mem)
            spikes.append(spk)
            mems.append(mem)
        return torch.stack(spikes, 1), torch.stack(mems, 1)

    def _layers(self, x: torch.Tensor, record: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        # Layer by layer over all T steps at once: exactly the step-by-step network (no layer
        # feeds back), with the convolutions batched over B*T and BatchNorm statistics taken over
        # every step together (per-step statistics would blow up the quiet steps of a clip).
        b, t = x.shape[:2]
        h = x
        sums = []
        for conv, norm, lif in zip(self.convs, self.norms, self.lifs):
            cur = norm(conv(h.flatten(0, 1)))
            h, _ = self._integrate(lif, cur.view(b, t, *cur.shape[1:]))
            if record:
                sums.append(h.detach().sum(1))
        _, mem = self._integrate(self.readout, self.fc(self.dropout(h.flatten(2))))
        return mem.mean(1), sums


class AnnCNN(nn.Module):
    """The non-spiking twin: same blocks with ReLU; the T steps are stacked as input channels."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.convs, self.norms = _blocks(cfg, cfg.in_channels * cfg.time_steps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(_features(cfg), cfg.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] * x.shape[2] != self.cfg.in_channels * self.cfg.time_steps:
            raise ParameterError(
                f"expected input (B, {self.cfg.time_steps}, {self.cfg.in_channels}, H, W), got {tuple(x.shape)}"
            )
        h = x.flatten(1, 2)
        for conv, norm in zip(self.convs, self.norms):
            h = torch.relu(norm(conv(h)))
        return self.fc(self.dropout(h.flatten(1)))


def build(kind: str, cfg: NetConfig) -> nn.Module:
    """``"snn"`` -> :class:`SpikingCNN`, ``"ann"`` -> :class:`AnnCNN`."""
    if kind == "snn":
        return SpikingCNN(cfg)
    if kind == "ann":
        return AnnCNN(cfg)
    raise ParameterError(f"model must be 'snn' or 'ann', not {kind!r}")


def ann_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of one :class:`AnnCNN` forward pass (one sample)."""
    sizes, chans = cfg.sizes(), cfg.channels()
    c_in = cfg.in_channels * cfg.time_steps
    total = 0
    for i, c_out in enumerate(chans):
        total += sizes[i + 1] ** 2 * c_out * c_in * KERNEL * KERNEL
        c_in = c_out
    return total + _features(cfg) * cfg.n_classes


def snn_input_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of the SNN's first convolution over all T steps (its input is not spikes)."""
    return cfg.time_steps * cfg.sizes()[1] ** 2 * cfg.channels()[0] * cfg.in_channels * KERNEL * KERNEL


def fanout_maps(cfg: NetConfig) -> list[torch.Tensor]:
    """Per hidden layer, the (H, W) number of synapses leaving each neuron (same for every channel).

    A neuron of block ``i`` feeds every output position of block ``i + 1`` whose 3x3 stride-2
    window covers it, in every output channel; the last block feeds the ``n_classes`` readout.
    """
    sizes, chans = cfg.sizes(), cfg.channels()
    maps = []
    for i in range(cfg.depth):
        if i + 1 < cfg.depth:
            ones_out = torch.ones(1, 1, sizes[i + 2], sizes[i + 2])
            reach = nn.functional.conv_transpose2d(
                ones_out, torch.ones(1, 1, KERNEL, KERNEL), stride=STRIDE, padding=KERNEL // 2,
                output_padding=sizes[i + 1] - ((sizes[i + 2] - 1) * STRIDE - 2 * (KERNEL // 2) + KERNEL),
            )[0, 0]
            maps.append(reach * chans[i + 1])
        else:
            maps.append(torch.full((sizes[i + 1], sizes[i + 1]), float(cfg.n_classes)))
    return maps


def activity(cfg: NetConfig, spikes: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per-sample spike rates and synaptic operations from :meth:`SpikingCNN.run` ``spikes``.

    Returns ``rate`` (B, depth): spikes per neuron per time step; ``spikes`` (B, depth): total
    spikes; ``synops`` (B,): sum over layers of spikes x fan-out (synaptic events).
    """
    maps = fanout_maps(cfg)
    rates, totals, synops = [], [], 0
    for s, fmap in zip(spikes, maps):
        total = s.flatten(1).sum(1)
        totals.append(total)
        rates.append(total / (s[0].numel() * cfg.time_steps))
        synops = synops + (s * fmap.to(s.device)).flatten(1).sum(1)
    return {"rate": torch.stack(rates, 1), "spikes": torch.stack(totals, 1), "synops": synops}
