"""The spiking classifier :class:`SpikingCNN`: SEW-ResNet stages of PLIF neurons over T steps.

Its architecture, neurons and readout are described in :mod:`evface.models.snn`; its layers come
from :mod:`evface.models.net_blocks`, its neurons from :mod:`evface.models.neurons`.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from evface.models.net_blocks import Unit, body, pool, stage_units
from evface.models.net_config import NetConfig
from evface.models.net_costs import conv_synops
from evface.models.net_input import check_norm_batch, checked_input, delayed
from evface.models.neurons import integrate, plif_layers


class SpikingCNN(nn.Module):
    """The spiking classifier; input ``(B, T, C, S, S)``, output per step ``(B, T, n_classes)``.

    Parameters
    ----------
    cfg : NetConfig
        The network's sizes and neuron settings.

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> net = SpikingCNN(cfg)
    >>> net(torch.zeros(2, 4, 2, 16, 16)).shape
    torch.Size([2, 4, 3])
    >>> out, stats = net.run(torch.zeros(2, 4, 2, 16, 16), record=True)
    >>> tuple(stats["rate"].shape), tuple(stats["synops"].shape)
    ((2, 4), (2,))
    """

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.downs, self.stages = body(cfg, cfg.stem_channels())
        self.lifs = plif_layers(cfg)
        self.fc = nn.Linear(cfg.features(), cfg.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]

    def settings_state(self) -> dict[str, torch.Tensor]:
        """The state entries that :attr:`cfg` sets and training never changes.

        Every neuron's threshold, spike scale and reset (snnTorch stores them in the state dict,
        and a loaded state dict's reset is the one the neurons then apply), and its decay where
        it is not learnt. A checkpoint whose entries differ was trained with other neuron settings
        (``reset``, ``last_neuron``, ``threshold``, a fixed ``beta``): loaded into this network, it
        would compute neither network, and its NIR export would describe yet another.

        Returns
        -------
        dict
            ``{"lifs.{i}.{name}": tensor}``, as in :meth:`state_dict`.

        Examples
        --------
        >>> net = SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1, reset="zero"))
        >>> {k: v.item() for k, v in net.settings_state().items()}
        {'lifs.0.threshold': 1.0, 'lifs.0.graded_spikes_factor': 1.0, 'lifs.0.reset_mechanism_val': 1}
        """
        names = ("threshold", "graded_spikes_factor", "reset_mechanism_val") + (() if self.cfg.learn_beta else ("beta",))
        state = self.state_dict()
        return {f"lifs.{i}.{name}": state[f"lifs.{i}.{name}"] for i in range(len(self.lifs)) for name in names}

    def layer_names(self) -> list[str]:
        """Names of the spiking layers, in the order of :attr:`lifs` and of :meth:`run`'s ``rate``.

        A non-spiking last layer (``last_neuron="li"``) is not among them.

        Examples
        --------
        >>> SpikingCNN(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)).layer_names()
        ['stem', 'stage1', 'stage1.block0.a', 'stage1.block0.b']
        """
        names = []
        for i in range(self.cfg.depth):
            names.append(f"stage{i}" if i else "stem")
            names += [f"stage{i}.block{j}.{ab}" for j in range(self.cfg.blocks if i else 0) for ab in "ab"]
        return names[:-1] if self.cfg.last_neuron == "li" else names

    def run(self, x: torch.Tensor, record: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Outputs per step and, when ``record``, activity.

        Parameters
        ----------
        x : torch.Tensor
            ``(B, T, C, S, S)`` (:func:`~evface.models.net_input.checked_input`).
        record : bool
            Whether to return the spike rates and synaptic operations.

        Returns
        -------
        out : (B, T, n_classes)
        stats : dict
            With ``record``: ``rate`` (B, layers): spikes per neuron per step of each spiking layer,
            in the order of :meth:`layer_names`; ``synops`` (B,): synaptic operations (every spike
            times the synapses it reaches, :func:`~evface.models.net_costs.conv_synops`; a readout of
            graded values is counted in :func:`~evface.models.net_costs.snn_analog_macs` instead); else empty.
        """
        x = checked_input(self.cfg, x, self.fc.weight.dtype)
        window_stem_only = self.cfg.stem_input == "window" and self.cfg.depth == 1  # the stem runs once
        check_norm_batch(self, self.cfg, x.shape[0] * (1 if window_stem_only else x.shape[1]))
        try:
            return self._layers(x, record)
        finally:
            self.clear_state()

    def clear_state(self) -> None:
        """Empty the neurons' ``mem`` buffers (snnTorch keeps the last state there).

        Run after every call so that the state dict, DDP's buffer broadcast and the next call
        never see a stale, batch-sized membrane tensor.
        """
        for lif in self.lifs:
            lif.mem = torch.zeros(0, device=cast(torch.Tensor, lif.mem).device)  # snnTorch's Leaky: untyped

    def _layers(self, x: torch.Tensor, record: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        b, t = x.shape[:2]
        rates: list[torch.Tensor] = []
        synops = torch.zeros(b, device=x.device)
        lifs = iter(enumerate(self.lifs))

        def layer(unit: Unit, h: torch.Tensor, spiking_input: bool) -> torch.Tensor:
            nonlocal synops
            flat = h.flatten(0, 1)
            cur = unit(flat)
            i, lif = next(lifs)
            integrator = self.cfg.is_integrator(i)
            cur = cur.view(b, h.shape[1], *cur.shape[1:]).expand(b, t, *cur.shape[1:])  # a window stem: once
            out = integrate(lif, cur, membrane=integrator)
            if record:
                if spiking_input:
                    synops = synops + conv_synops(unit.conv, flat.detach()).view(b, t).sum(1)
                if not integrator:
                    rates.append(out.detach().flatten(2).mean(2).mean(1))
            return out

        h = x.flatten(1, 2)[:, None] if self.cfg.stem_input == "window" else delayed(x, self.cfg.delays)
        for i, (down, blocks) in enumerate(stage_units(self.downs, self.stages)):
            h = layer(down, h, spiking_input=i > 0)
            for block in blocks:
                inner = layer(block.b, layer(block.a, h, True), True)
                h = inner + h if self.cfg.residual else inner
        feats = pool(h.flatten(0, 1), self.cfg.readout)
        if record and self.cfg.last_neuron == "lif":
            synops = synops + self.cfg.n_classes * h.detach().flatten(2).sum(2).sum(1)
        out = self.fc(feats).view(b, t, -1)
        return out, ({"rate": torch.stack(rates, 1), "synops": synops} if record else {})
