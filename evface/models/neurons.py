"""The neurons of the spiking network: snnTorch PLIF layers with their surrogate gradient, run over time.

:func:`plif_layers` builds one snnTorch ``Leaky`` (learnt decay ``beta``, ATan or fast-sigmoid
surrogate gradient, which pickles with the network, reset by subtraction or to zero; no reset for a non-spiking last layer) per
neuron layer of a :class:`~evface.models.net_config.NetConfig`; :func:`integrate` runs one of them
over the T steps from zero state.
"""

from __future__ import annotations

from dataclasses import dataclass

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from evface.models.net_config import NetConfig


@dataclass(frozen=True)
class _SpikeGrad:
    """A spike with snnTorch's ATan (``kind`` ``"atan"``, ``slope`` its ``alpha``) or fast-sigmoid
    surrogate gradient, as ``surrogate.atan(alpha)`` / ``surrogate.fast_sigmoid(slope)`` make it, but
    a module-level object that pickles: theirs are closures, so ``torch.save(model)`` of a network
    failed ("Can't pickle local object 'atan.<locals>.inner'").

    Examples
    --------
    >>> _SpikeGrad("atan", 2.0)(torch.tensor([-0.5, 0.5])).tolist()
    [0.0, 1.0]
    """

    kind: str
    slope: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        spike = surrogate.ATan if self.kind == "atan" else surrogate.FastSigmoid
        return spike.apply(x, self.slope)


def plif_layers(cfg: NetConfig) -> nn.ModuleList:
    """One PLIF neuron layer (snnTorch ``Leaky``) for each of ``cfg.neuron_layers()``.

    Parameters
    ----------
    cfg : NetConfig
        The neurons' settings (``beta``, ``learn_beta``, ``threshold``, ``reset``, ``surrogate``,
        ``slope``, ``last_neuron``).

    Returns
    -------
    torch.nn.ModuleList

    Examples
    --------
    >>> len(plif_layers(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)))
    4
    """
    grad = _SpikeGrad(cfg.surrogate, cfg.slope)
    return nn.ModuleList(
        snn.Leaky(beta=torch.tensor(cfg.beta), learn_beta=cfg.learn_beta, threshold=cfg.threshold,
                  spike_grad=grad, reset_mechanism="none" if cfg.is_integrator(i) else cfg.reset)
        for i in range(cfg.neuron_layers())
    )


def integrate(lif: snn.Leaky, current: torch.Tensor, membrane: bool = False) -> torch.Tensor:
    """Run one neuron layer over time from zero state: (B, T, ...) currents -> spikes (or membrane potentials).

    Parameters
    ----------
    lif : snntorch.Leaky
        The neuron layer.
    current : torch.Tensor
        ``(B, T, ...)``: its input current at each step.
    membrane : bool
        Return the membrane potentials instead of the spikes.

    Returns
    -------
    torch.Tensor
        Of ``current``'s shape.

    Examples
    --------
    >>> lif = plif_layers(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1))[0]
    >>> current = torch.full((1, 4, 1), 0.6)  # beta 0.5, threshold 1, reset by subtraction
    >>> integrate(lif, current).flatten().tolist()
    [0.0, 0.0, 1.0, 0.0]
    >>> [round(v, 3) for v in integrate(lif, current, membrane=True).flatten().tolist()]  # the reset a step later
    [0.6, 0.9, 1.05, 0.125]
    """
    mem = lif.reset_mem()
    out = []
    for t in range(current.shape[1]):
        spk, mem = lif(current[:, t], mem)
        out.append(mem if membrane else spk)
    return torch.stack(out, 1)
