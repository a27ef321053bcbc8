"""A SEW-ResNet-style spiking classifier (snnTorch PLIF neurons) and its ANN twin, built from the same blocks.

Architecture (``depth`` stages, channels ``width * 2**i``, every layer run over the T steps)::

    x[t] (B, C, S, S)  (with ``delays`` D > 1: x[t], x[t-1], ..., x[t-D+1] stacked, (B, C*D, S, S);
                        with ``stem_input="window"``: x[0], ..., x[T-1] stacked at every t, (B, C*T, S, S))
      -> stage 0 (stem): Conv3x3 stride 2 -> tdBN -> PLIF
      -> stage i >= 1:   Conv3x3 stride 2 -> tdBN -> PLIF                      (down-sampling unit)
                         then ``blocks`` SEW blocks, each
                         s -> Conv3x3 -> tdBN -> PLIF -> Conv3x3 -> tdBN -> PLIF -> (+ s)
      -> Flatten (or global average pool over space) -> Linear: one output per step (B, T, n_classes)

(with ``last_neuron="li"`` the network's last layer is a leaky integrator: no spikes, its
membrane potential is its output, so the readout sees graded values)

- **PLIF** neurons (snnTorch ``Leaky``, ``learn_beta``): ``U[t] = beta U[t-1] + I[t]``, spike
  ``S[t] = U[t] > threshold``, one decay ``beta`` per layer learnt by gradient descent (initial
  0.5: a time constant of 2 steps, the PLIF paper's initialisation), reset by subtracting the
  threshold (``reset="subtract"``; ``"zero"`` is available), ATan surrogate gradient (``slope``
  is its ``alpha``, 2 by default; ``surrogate="fast-sigmoid"`` for snnTorch's other one).
- **tdBN** (``norm="td"``): BatchNorm whose statistics are taken over the batch and the T steps
  together (threshold-dependent BatchNorm, Zheng et al. 2021, with its scale initialised to the
  threshold of 1); at inference it folds into the convolution, so the exported graph has no norm.
- **SEW blocks** (Fang et al. 2021, ADD connection): the block's input spikes are added to its
  output spikes (``residual``); in NIR the addition is two edges into the next node.
- **Synaptic delays** (``delays``, 1 by default: none): the stem's synapses carry the input
  with delays of 0, 1, ..., D - 1 steps, each delay with weights of its own (a causal temporal
  convolution of the input, as in SNNs with learnt synaptic delays, Hammouamri et al. 2023,
  with the delays fixed here), so that the first spiking layer sees how a pixel's events
  changed over the last D steps rather than one step at a time. Before step 0 the delayed
  input is zero. In NIR every delay is a ``nir.Delay`` node in front of a convolution of its own.
- **Stem input** (``stem_input``): ``"step"`` (the default) gives the stem time bin ``t`` at
  step ``t``; ``"window"`` gives it every bin of the window stacked as channels, the same at every
  step, as the ANN twin's first convolution sees them (the direct encoding of SNNs for static
  inputs: the stem's current is computed once and is constant over the T steps, and every later
  layer spikes as before). The stem then weighs how each pixel's events change over the window
  with analog weights, the part of the twin the spiking stem must otherwise rebuild from one bin at
  a time in its membranes. Not with synaptic delays.
- **Last neuron** (``last_neuron``): ``"lif"`` (the default) makes every layer spike; ``"li"``
  makes the last layer a non-spiking leaky integrator (``U[t] = beta U[t-1] + I[t]``, learnt
  ``beta``, no threshold or reset) whose membrane potential goes on, plus the SEW shortcut's
  spikes, to the readout: the usual membrane-potential readout of SNNs, an ``nir.LI`` node in NIR.
  The readout Linear layer then costs multiply-accumulates, not synaptic operations.
- **Readout**: the last stage's spikes flattened (``readout="flatten"``, the default: on the
  face-aligned crops where an AU acts is informative) or averaged over space (``"gap"``, shift
  invariant), then a Linear layer, at every step; the logits are the mean of the steps' outputs
  and training puts a loss on every step (TET, in :mod:`evface.tasks.class_training`).

Every call starts from zero membrane state, so a sample never sees the state left by another.
Layers run one after another over all T steps (no layer feeds back, so this is exactly the
step-by-step network), with each convolution batched over ``B * T``.

:class:`AnnCNN` is the twin: the same units and blocks with ReLU instead of PLIF and BatchNorm,
no time: its first convolution takes the ``T`` input steps stacked as channels. Both networks
return ``(B, steps, n_classes)`` (the ANN one step); :func:`logits` averages over the steps.

The code, by job: :mod:`evface.models.net_config` (:class:`NetConfig`, the layout of the units),
:mod:`evface.models.neurons` (PLIF layers and their surrogate gradient),
:mod:`evface.models.net_blocks` (units, SEW blocks, readout), :mod:`evface.models.net_input`
(input checks, synaptic delays), :mod:`evface.models.spiking_cnn` (:class:`SpikingCNN`),
:mod:`evface.models.ann_cnn` (:class:`AnnCNN`), :mod:`evface.models.net_costs` (synaptic
operations and multiply-accumulates); this module picks one of the twins (:func:`build`) and
keeps the names the tasks import.

Examples
--------
>>> import torch
>>> cfg = NetConfig(in_channels=2, n_classes=5, time_steps=4, input_size=32, depth=2, width=8)
>>> SpikingCNN(cfg)(torch.zeros(3, 4, 2, 32, 32)).shape
torch.Size([3, 4, 5])
>>> logits(AnnCNN(cfg)(torch.zeros(3, 4, 2, 32, 32))).shape
torch.Size([3, 5])
"""

from __future__ import annotations

from torch import nn

from evface.errors import ParameterError
from evface.models.ann_cnn import AnnCNN
from evface.models.net_blocks import logits
from evface.models.net_config import SURROGATES, NetConfig, checked_config
from evface.models.net_costs import ann_macs, snn_analog_macs
from evface.models.spiking_cnn import SpikingCNN


def build(kind: str, cfg: NetConfig) -> nn.Module:
    """``"snn"`` -> :class:`SpikingCNN`, ``"ann"`` -> :class:`AnnCNN`.

    Parameters
    ----------
    kind : str
        ``"snn"`` or ``"ann"``.
    cfg : NetConfig
        The network's sizes and settings.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1)
    >>> type(build("ann", cfg)).__name__
    'AnnCNN'
    >>> build("cnn", cfg)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: model must be 'snn' or 'ann', not 'cnn'
    """
    checked_config(cfg)
    if not isinstance(kind, str):
        raise ParameterError(f"model must be 'snn' or 'ann', not {kind!r:.80}")
    if kind == "snn":
        return SpikingCNN(cfg)
    if kind == "ann":
        return AnnCNN(cfg)
    raise ParameterError(f"model must be 'snn' or 'ann', not {kind!r:.80}")


__all__ = ["AnnCNN", "NetConfig", "SURROGATES", "SpikingCNN", "ann_macs", "build", "logits", "snn_analog_macs"]
