"""The ANN twin of the spiking classifier, :class:`AnnCNN`: the same units and blocks with ReLU, no time.

Its first convolution takes the ``T`` input steps stacked as channels (:mod:`evface.models.snn`).
"""

from __future__ import annotations

import torch
from torch import nn

from evface.models.net_blocks import body, pool, stage_units
from evface.models.net_config import NetConfig
from evface.models.net_input import check_norm_batch, checked_input


class AnnCNN(nn.Module):
    """The non-spiking twin: the same units and blocks with ReLU; the T steps are stacked as input channels.

    Its output has one step: ``(B, 1, n_classes)``, as a :class:`~evface.models.spiking_cnn.SpikingCNN`'s
    has ``T``.

    Parameters
    ----------
    cfg : NetConfig
        The network's sizes (its neuron settings are not used).

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> AnnCNN(cfg)(torch.zeros(2, 4, 2, 16, 16)).shape
    torch.Size([2, 1, 3])
    """

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.downs, self.stages = body(cfg, cfg.in_channels * cfg.time_steps)
        self.fc = nn.Linear(cfg.features(), cfg.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = checked_input(self.cfg, x, self.fc.weight.dtype).flatten(1, 2)
        check_norm_batch(self, self.cfg, h.shape[0])
        for down, blocks in stage_units(self.downs, self.stages):
            h = torch.relu(down(h))
            for block in blocks:
                inner = torch.relu(block.b(torch.relu(block.a(h))))
                h = inner + h if self.cfg.residual else inner
        return self.fc(pool(h, self.cfg.readout))[:, None]
