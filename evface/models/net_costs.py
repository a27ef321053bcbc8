"""What one pass of the classifier networks costs: synaptic operations and multiply-accumulates.

Counted from the layout of :func:`~evface.models.net_config.unit_layout`: :func:`conv_synops` for the
spikes that reach a convolution, :func:`ann_macs` for the ANN twin, :func:`snn_analog_macs` for
the spiking network's layers whose inputs are not spikes.
"""

from __future__ import annotations

import torch
from torch import nn

from evface.models.net_config import KERNEL, NetConfig, unit_layout


def conv_synops(conv: nn.Conv2d, spikes: torch.Tensor) -> torch.Tensor:
    """Synaptic operations of ``conv`` on spike counts ``spikes`` (N, C, H, W), per sample (N,).

    Each spike reaches ``out_channels`` synapses at every output position whose window covers it
    (padding and stride counted exactly): the count of input spikes under every output window,
    summed, times ``out_channels``.

    Parameters
    ----------
    conv : torch.nn.Conv2d
        The convolution the spikes reach.
    spikes : torch.Tensor
        ``(N, C, H, W)`` spike counts.

    Returns
    -------
    torch.Tensor
        ``(N,)``.

    Examples
    --------
    >>> conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
    >>> s = torch.zeros(1, 1, 4, 4); s[0, 0, 1, 1] = 1  # reaches the 4 windows around it
    >>> conv_synops(conv, s)
    tensor([16.])
    """
    ones = torch.ones(1, 1, *conv.kernel_size, device=spikes.device)
    covered = nn.functional.conv2d(spikes.sum(1, keepdim=True), ones, stride=conv.stride, padding=conv.padding)
    return covered.flatten(1).sum(1) * conv.out_channels


def ann_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of one :class:`AnnCNN` forward pass (one sample).

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration.

    Returns
    -------
    int

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> ann_macs(cfg)
    41856
    """
    units = unit_layout(cfg)
    total = 0
    for i, (c_in, c_out, _, size) in enumerate(units):
        total += size**2 * c_out * c_in * (cfg.time_steps if i == 0 else 1) * KERNEL * KERNEL
    return total + cfg.features() * cfg.n_classes


def snn_analog_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of the SNN over all T steps where its inputs are not spikes.

    The first convolution (it takes the event counts or frames, at each of its ``delays``; with
    ``stem_input="window"`` once, on all the steps), and with ``last_neuron="li"`` the readout
    Linear layer (it takes membrane potentials).

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration.

    Returns
    -------
    int

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> snn_analog_macs(cfg)  # the stem's convolution at each of the 4 steps
    18432
    """
    _, c_out, _, size = unit_layout(cfg)[0]
    stem = size**2 * c_out * cfg.stem_channels() * KERNEL * KERNEL
    readout = cfg.time_steps * cfg.features() * cfg.n_classes if cfg.last_neuron == "li" else 0
    return (stem if cfg.stem_input == "window" else cfg.time_steps * stem) + readout
