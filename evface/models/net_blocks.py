"""The layers both classifier networks are built of: units, SEW blocks, stages and the readout's input.

A :class:`Unit` is the synaptic part of a layer (Conv3x3 -> norm); the spiking network puts a
neuron after each, the ANN twin a ReLU. :func:`body` builds the stages of a :class:`NetConfig`
(:func:`stage_units` gives them back typed), :func:`pool` gives the readout its input and
:func:`logits` averages a network's outputs over the steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import torch
from torch import nn

from evface.models.net_config import KERNEL, STRIDE, NetConfig


class Unit(nn.Module):
    """Conv3x3 -> norm: the synaptic part of one layer (the neuron is the network's business).

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    stride : int
        The convolution's stride.
    norm : bool
        BatchNorm after the convolution (else a bias in it).

    Examples
    --------
    >>> Unit(2, 4, stride=2, norm=True)(torch.zeros(1, 2, 8, 8)).shape
    torch.Size([1, 4, 4, 4])
    """

    def __init__(self, c_in: int, c_out: int, stride: int, norm: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, KERNEL, stride=stride, padding=KERNEL // 2, bias=not norm)
        self.norm = nn.BatchNorm2d(c_out) if norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


class Block(nn.Module):
    """A SEW residual block: two units; its output is the second unit's activation plus its input.

    The network applies the units ``a`` and ``b`` with its neurons between them and adds the input.

    Parameters
    ----------
    channels : int
        Input and output channels of both units.
    norm : bool
        As :class:`Unit`'s.

    Examples
    --------
    >>> block = Block(4, norm=False)
    >>> block.b(block.a(torch.zeros(1, 4, 8, 8))).shape
    torch.Size([1, 4, 8, 8])
    """

    def __init__(self, channels: int, norm: bool) -> None:
        super().__init__()
        self.a = Unit(channels, channels, 1, norm)
        self.b = Unit(channels, channels, 1, norm)


def body(cfg: NetConfig, in_channels: int) -> tuple[nn.ModuleList, nn.ModuleList]:
    """The down-sampling units of the stages and the SEW blocks of each stage (none in the stem).

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration.
    in_channels : int
        The stem's input channels.

    Returns
    -------
    downs : torch.nn.ModuleList
        One :class:`Unit` per stage.
    stages : torch.nn.ModuleList
        Each stage's :class:`Block` s.

    Examples
    --------
    >>> downs, stages = body(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2), 2)
    >>> len(downs), [len(blocks) for blocks in stages]
    (2, [0, 1])
    """
    downs, stages = nn.ModuleList(), nn.ModuleList()
    c_in, norm = in_channels, cfg.norm == "td"
    for i, c_out in enumerate(cfg.channels()):
        downs.append(Unit(c_in, c_out, STRIDE, norm))
        stages.append(nn.ModuleList(Block(c_out, norm) for _ in range(cfg.blocks if i else 0)))
        c_in = c_out
    return downs, stages


def stage_units(downs: nn.ModuleList, stages: nn.ModuleList) -> list[tuple[Unit, list[Block]]]:
    """Each stage's down-sampling unit and blocks, from :func:`body`'s two lists.

    torch's ``ModuleList`` yields plain ``Module`` s; this gives them their types.

    Parameters
    ----------
    downs, stages : torch.nn.ModuleList
        What :func:`body` returned (a network's ``downs`` and ``stages``).

    Returns
    -------
    list of tuple
        ``(unit, blocks)`` per stage: a :class:`Unit` and a list of :class:`Block`.

    Examples
    --------
    >>> units = stage_units(*body(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2), 2))
    >>> [(type(unit).__name__, len(blocks)) for unit, blocks in units]
    [('Unit', 0), ('Unit', 1)]
    """
    return [(cast(Unit, down), list(cast(Iterable[Block], blocks))) for down, blocks in zip(downs, stages, strict=True)]


def pool(h: torch.Tensor, readout: str) -> torch.Tensor:
    """(N, C, H, W) features -> (N, features) readout input.

    Parameters
    ----------
    h : torch.Tensor
        ``(N, C, H, W)``.
    readout : str
        ``"gap"`` (mean over space: ``C`` features) or ``"flatten"`` (``C * H * W``).

    Returns
    -------
    torch.Tensor

    Examples
    --------
    >>> pool(torch.ones(2, 4, 3, 3), "gap").shape, pool(torch.ones(2, 4, 3, 3), "flatten").shape
    (torch.Size([2, 4]), torch.Size([2, 36]))
    """
    return h.mean((-2, -1)) if readout == "gap" else h.flatten(1)


def logits(out: torch.Tensor) -> torch.Tensor:
    """Class scores (B, n_classes) of a network output (B, steps, n_classes): the mean over the steps.

    Parameters
    ----------
    out : torch.Tensor
        ``(B, steps, n_classes)``.

    Returns
    -------
    torch.Tensor
        ``(B, n_classes)``.

    Examples
    --------
    >>> logits(torch.tensor([[[1.0, 0.0], [3.0, 2.0]]]))
    tensor([[2., 1.]])
    """
    return out.mean(1)
