"""The layers both classifier networks are built of: units, SEW blocks, stages and the readout's input.

A :class:`Unit` is the synaptic part of a layer (Conv3x3 -> norm); the spiking network puts a
neuron after each, the ANN twin a ReLU. :func:`body` builds the stages of a :class:`NetConfig`,
:func:`pool` gives the readout its input and :func:`logits` averages a network's outputs over the
steps.
"""

from __future__ import annotations

import torch
from torch import nn

from evface.models.net_config import KERNEL, STRIDE, NetConfig


class Unit(nn.Module):
    """Conv3x3 -> norm: the synaptic part of one layer (the neuron is the network's business)."""

    def __init__(self, c_in: int, c_out: int, stride: int, norm: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, KERNEL, stride=stride, padding=KERNEL // 2, bias=not norm)
        self.norm = nn.BatchNorm2d(c_out) if norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class Block(nn.Module):
    """A SEW residual block: two units; its output is the second unit's activation plus its input."""

    def __init__(self, channels: int, norm: bool) -> None:
        super().__init__()
        self.a = Unit(channels, channels, 1, norm)
        self.b = Unit(channels, channels, 1, norm)


def body(cfg: NetConfig, in_channels: int) -> tuple[nn.ModuleList, nn.ModuleList]:
    """The down-sampling units of the stages and the SEW blocks of each stage (none in the stem)."""
    downs, stages = nn.ModuleList(), nn.ModuleList()
    c_in, norm = in_channels, cfg.norm == "td"
    for i, c_out in enumerate(cfg.channels()):
        downs.append(Unit(c_in, c_out, STRIDE, norm))
        stages.append(nn.ModuleList(Block(c_out, norm) for _ in range(cfg.blocks if i else 0)))
        c_in = c_out
    return downs, stages


def pool(h: torch.Tensor, readout: str) -> torch.Tensor:
    """(N, C, H, W) features -> (N, features) readout input."""
    return h.mean((-2, -1)) if readout == "gap" else h.flatten(1)


def logits(out: torch.Tensor) -> torch.Tensor:
    """Class scores (B, n_classes) of a network output (B, steps, n_classes): the mean over the steps."""
    return out.mean(1)
