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

import math
from dataclasses import asdict, dataclass
from typing import Any

import snntorch as snn
import torch
from snntorch import surrogate
from torch import nn

from evface.checks import as_flag, as_int, as_real, within_memory
from evface.errors import ParameterError

KERNEL = 3
STRIDE = 2
SURROGATES = ("atan", "fast-sigmoid")
INT_FIELDS = ("in_channels", "n_classes", "time_steps", "input_size", "depth", "width", "blocks", "delays")
"""The whole-number fields of :class:`NetConfig`."""


@dataclass(frozen=True)
class NetConfig:
    """Shape and neuron parameters shared by :class:`SpikingCNN` and :class:`AnnCNN`.

    ``beta`` is the initial membrane decay per step (learnt when ``learn_beta``), ``threshold``
    the firing threshold, ``reset`` ``"subtract"`` or ``"zero"``, ``surrogate`` and ``slope`` the
    surrogate gradient and its steepness (ATan ``alpha``; fast-sigmoid ``slope``), ``norm``
    ``"td"`` (BatchNorm over batch and time) or ``"none"``, ``blocks`` the SEW blocks of each
    stage after the stem, ``residual`` whether they add their input, ``readout`` ``"gap"`` or
    ``"flatten"``, ``last_neuron`` ``"lif"`` (every layer spikes) or ``"li"`` (the last layer is
    a non-spiking leaky integrator whose membrane potential is read out), ``delays`` the number
    of synaptic delays (0 to ``delays - 1`` steps) of the spiking stem, ``stem_input`` ``"step"``
    (bin ``t`` at step ``t``) or ``"window"`` (every bin at every step); the ANN twin, which sees
    every step at once, ignores the last two.
    """

    in_channels: int
    n_classes: int
    time_steps: int
    input_size: int = 64
    depth: int = 3
    width: int = 8
    blocks: int = 1
    beta: float = 0.5
    learn_beta: bool = True
    threshold: float = 1.0
    reset: str = "subtract"
    surrogate: str = "atan"
    slope: float = 2.0
    norm: str = "td"
    residual: bool = True
    readout: str = "flatten"
    last_neuron: str = "lif"
    delays: int = 1
    stem_input: str = "step"

    def __post_init__(self) -> None:
        for name in INT_FIELDS:  # 2.0 is taken as 2; 2.5, True or "2" are refused by name
            object.__setattr__(self, name, as_int(f"NetConfig.{name}", getattr(self, name)))
        for name in ("in_channels", "n_classes", "time_steps", "input_size", "depth", "width"):
            if getattr(self, name) < 1:
                raise ParameterError(f"NetConfig.{name} must be >= 1, got {getattr(self, name)}")
        if not 1 <= self.delays <= self.time_steps:
            raise ParameterError(f"delays must lie in [1, time_steps = {self.time_steps}], got {self.delays}")
        if self.blocks < 0:
            raise ParameterError(f"NetConfig.blocks must be >= 0, got {self.blocks}")
        if self.n_classes < 2:
            raise ParameterError(f"a classifier needs at least 2 classes, got {self.n_classes}")
        # a threshold of 0 or below spikes on nothing at all, one of nan never: both trained without a word
        object.__setattr__(self, "beta", as_real("NetConfig.beta", self.beta, 0, 1))
        for name in ("threshold", "slope"):
            object.__setattr__(self, name, as_real(f"NetConfig.{name}", getattr(self, name), 0, math.inf, low_open=True))
        for name in ("learn_beta", "residual"):
            object.__setattr__(self, name, as_flag(f"NetConfig.{name}", getattr(self, name)))
        for name, allowed in (("reset", ("subtract", "zero")), ("surrogate", SURROGATES), ("norm", ("td", "none")),
                              ("readout", ("gap", "flatten")), ("last_neuron", ("lif", "li")),
                              ("stem_input", ("step", "window"))):
            if getattr(self, name) not in allowed:
                raise ParameterError(f"{name} must be one of {allowed}, not {getattr(self, name)!r}")
        if self.stem_input == "window" and self.delays > 1:
            raise ParameterError("stem_input 'window' already gives the stem every step; use delays = 1")
        if self.input_size // 2 ** self.depth < 1:
            raise ParameterError(f"input_size {self.input_size} is too small for depth {self.depth}")
        within_memory(4 * self.weights(), f"the network ({self.weights()} weights)",
                      "give a smaller width, input_size, depth or blocks")

    def channels(self) -> list[int]:
        """Output channels of each stage."""
        return [self.width * 2**i for i in range(self.depth)]

    def sizes(self) -> list[int]:
        """Spatial size after each stage (input size first)."""
        sizes = [self.input_size]
        for _ in range(self.depth):
            sizes.append((sizes[-1] + 2 * (KERNEL // 2) - KERNEL) // STRIDE + 1)
        return sizes

    def stem_channels(self) -> int:
        """Input channels of the SNN's stem: the input's, times the delays or the window's steps."""
        return self.in_channels * (self.time_steps if self.stem_input == "window" else self.delays)

    def neuron_layers(self) -> int:
        """Neuron layers of :class:`SpikingCNN` (one after every unit)."""
        return self.depth + 2 * self.blocks * (self.depth - 1)

    def is_integrator(self, index: int) -> bool:
        """Whether neuron layer ``index`` is the non-spiking last layer (``last_neuron="li"``)."""
        return self.last_neuron == "li" and index == self.neuron_layers() - 1

    def features(self) -> int:
        """Inputs of the readout Linear layer."""
        return self.channels()[-1] * (1 if self.readout == "gap" else self.sizes()[-1] ** 2)

    def weights(self) -> int:
        """Weights of the convolutions and the readout of :class:`SpikingCNN` (the larger of the
        twins' when the ANN's first convolution takes more channels), biases and norms left out.

        Examples
        --------
        >>> NetConfig(in_channels=2, n_classes=3, time_steps=1, input_size=8, depth=1, width=4).weights()
        264
        """
        first = max(self.stem_channels(), self.in_channels * self.time_steps)
        convs = sum(c_in * c_out for c_in, c_out, _, _ in _units(self)[1:]) + first * self.width
        return convs * KERNEL * KERNEL + self.features() * self.n_classes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _body(cfg: NetConfig, in_channels: int) -> tuple[nn.ModuleList, nn.ModuleList]:
    """The down-sampling units of the stages and the SEW blocks of each stage (none in the stem)."""
    downs, stages = nn.ModuleList(), nn.ModuleList()
    c_in, norm = in_channels, cfg.norm == "td"
    for i, c_out in enumerate(cfg.channels()):
        downs.append(Unit(c_in, c_out, STRIDE, norm))
        stages.append(nn.ModuleList(Block(c_out, norm) for _ in range(cfg.blocks if i else 0)))
        c_in = c_out
    return downs, stages


def _pool(h: torch.Tensor, readout: str) -> torch.Tensor:
    """(N, C, H, W) features -> (N, features) readout input."""
    return h.mean((-2, -1)) if readout == "gap" else h.flatten(1)


def logits(out: torch.Tensor) -> torch.Tensor:
    """Class scores (B, n_classes) of a network output (B, steps, n_classes): the mean over the steps."""
    return out.mean(1)


class SpikingCNN(nn.Module):
    """The spiking classifier; input ``(B, T, C, S, S)``, output per step ``(B, T, n_classes)``."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.downs, self.stages = _body(cfg, cfg.stem_channels())
        grad = (surrogate.atan(alpha=cfg.slope) if cfg.surrogate == "atan"
                else surrogate.fast_sigmoid(slope=cfg.slope))
        self.lifs = nn.ModuleList(
            snn.Leaky(beta=torch.tensor(cfg.beta), learn_beta=cfg.learn_beta, threshold=cfg.threshold,
                      spike_grad=grad, reset_mechanism="none" if cfg.is_integrator(i) else cfg.reset)
            for i in range(cfg.neuron_layers())
        )
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
        """
        names = []
        for i in range(self.cfg.depth):
            names.append(f"stage{i}" if i else "stem")
            names += [f"stage{i}.block{j}.{ab}" for j in range(self.cfg.blocks if i else 0) for ab in "ab"]
        return names[:-1] if self.cfg.last_neuron == "li" else names

    def run(self, x: torch.Tensor, record: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Outputs per step and, when ``record``, activity.

        Returns
        -------
        out : (B, T, n_classes)
        stats : dict
            With ``record``: ``rate`` (B, layers): spikes per neuron per step of each spiking layer,
            in the order of :meth:`layer_names`; ``synops`` (B,): synaptic operations (every spike
            times the synapses it reaches, :func:`conv_synops`; a readout of graded values is
            counted in :func:`snn_analog_macs` instead); else empty.
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
            lif.mem = torch.zeros(0, device=lif.mem.device)

    @staticmethod
    def _integrate(lif: snn.Leaky, current: torch.Tensor, membrane: bool = False) -> torch.Tensor:
        """Run one neuron layer over time from zero state: (B, T, ...) currents -> spikes (or membrane potentials)."""
        mem = lif.reset_mem()
        out = []
        for t in range(current.shape[1]):
            spk, mem = lif(current[:, t], mem)
            out.append(mem if membrane else spk)
        return torch.stack(out, 1)

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
            out = self._integrate(lif, cur, membrane=integrator)
            if record:
                if spiking_input:
                    synops = synops + conv_synops(unit.conv, flat.detach()).view(b, t).sum(1)
                if not integrator:
                    rates.append(out.detach().flatten(2).mean(2).mean(1))
            return out

        h = x.flatten(1, 2)[:, None] if self.cfg.stem_input == "window" else delayed(x, self.cfg.delays)
        for i, (down, blocks) in enumerate(zip(self.downs, self.stages)):
            h = layer(down, h, spiking_input=i > 0)
            for block in blocks:
                inner = layer(block.b, layer(block.a, h, True), True)
                h = inner + h if self.cfg.residual else inner
        feats = _pool(h.flatten(0, 1), self.cfg.readout)
        if record and self.cfg.last_neuron == "lif":
            synops = synops + self.cfg.n_classes * h.detach().flatten(2).sum(2).sum(1)
        out = self.fc(feats).view(b, t, -1)
        return out, ({"rate": torch.stack(rates, 1), "synops": synops} if record else {})


def checked_input(cfg: NetConfig, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``x`` as the networks of ``cfg`` take it: ``(B, T, C, S, S)`` real numbers, as ``dtype``.

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration: ``T = time_steps``, ``C = in_channels``, ``S = input_size``.
    x : torch.Tensor
        The input, of booleans, integers (event counts) or floats; at least one sample.
    dtype : torch.dtype
        The network's weights' type, which ``x`` is converted to (float32 input is returned as is).

    Raises
    ------
    TypeError
        ``x`` is not a tensor.
    ParameterError
        Another shape (the two twins took some wrong ones: a spiking network ran on any number
        of steps, the ANN on T and C swapped, and another size failed inside the readout), no
        sample, complex numbers, or a NaN or infinity (a spiking network turned a NaN input into
        no spike at all and predicted from its biases).

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=8, depth=1)
    >>> checked_input(cfg, torch.ones(1, 4, 2, 8, 8, dtype=torch.int64), torch.float32).dtype
    torch.float32
    >>> checked_input(cfg, torch.ones(1, 2, 4, 8, 8), torch.float32)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the network takes input (B, T, C, S, S) = (B, 4, 2, 8, 8), got (1, 2, 4, 8, 8)
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"the network takes a torch.Tensor, got {type(x).__name__}")
    expected = (cfg.time_steps, cfg.in_channels, cfg.input_size, cfg.input_size)
    if x.ndim != 5 or tuple(x.shape[1:]) != expected:
        raise ParameterError(f"the network takes input (B, T, C, S, S) = (B, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ParameterError("the network's input holds no sample (B = 0)")
    if x.is_complex():
        raise ParameterError(f"the network takes real numbers, got {x.dtype}")
    x = x.to(dtype)
    if not bool(torch.isfinite(x).all()):
        raise ParameterError("the network's input holds NaN or infinite values")
    return x


def check_norm_batch(model: nn.Module, cfg: NetConfig, values: int) -> None:
    """A ParameterError when ``model`` (of ``cfg``) trains on a batch whose last stage, 1 x 1 pixel,
    gives its BatchNorm (``norm="td"``) ``values`` = 1 value per channel, which it cannot normalise
    (was torch's "Expected more than 1 value per channel when training" from inside the network).
    ``ClassifyConfig`` refuses such networks; :class:`NetConfig` keeps them for evaluation.

    Examples
    --------
    >>> net = AnnCNN(NetConfig(in_channels=2, n_classes=3, time_steps=1, input_size=4, depth=2))
    >>> net(torch.ones(1, 1, 2, 4, 4))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the network cannot train on this batch of one sample: its last stage is 1 x 1 pixel (input_size 4, depth 2), so its BatchNorm (norm 'td') would see one value per channel; train on batches of 2 or more samples, or evaluate it in eval() mode
    """
    if model.training and cfg.norm == "td" and cfg.sizes()[-1] == 1 and values == 1:
        raise ParameterError(f"the network cannot train on this batch of one sample: its last stage is 1 x 1 "
                             f"pixel (input_size {cfg.input_size}, depth {cfg.depth}), so its BatchNorm (norm 'td') "
                             "would see one value per channel; train on batches of 2 or more samples, or evaluate it "
                             "in eval() mode")


def delayed(x: torch.Tensor, delays: int) -> torch.Tensor:
    """Input (B, T, C, ...) and its copies delayed by 1 ... ``delays - 1`` steps, stacked as channels.

    Channel block ``d`` of step ``t`` is ``x[:, t - d]`` (zero before the first step).

    Examples
    --------
    >>> x = torch.arange(3.0).view(1, 3, 1)  # steps 0, 1, 2 of one channel
    >>> delayed(x, 2)[0].tolist()
    [[0.0, 0.0], [1.0, 0.0], [2.0, 1.0]]
    """
    if delays == 1:
        return x
    shifted = [nn.functional.pad(x[:, : x.shape[1] - d], (0,) * (2 * (x.ndim - 2)) + (d, 0)) for d in range(delays)]
    return torch.cat(shifted, 2)


class AnnCNN(nn.Module):
    """The non-spiking twin: the same units and blocks with ReLU; the T steps are stacked as input channels."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.downs, self.stages = _body(cfg, cfg.in_channels * cfg.time_steps)
        self.fc = nn.Linear(cfg.features(), cfg.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = checked_input(self.cfg, x, self.fc.weight.dtype).flatten(1, 2)
        check_norm_batch(self, self.cfg, h.shape[0])
        for down, blocks in zip(self.downs, self.stages):
            h = torch.relu(down(h))
            for block in blocks:
                inner = torch.relu(block.b(torch.relu(block.a(h))))
                h = inner + h if self.cfg.residual else inner
        return self.fc(_pool(h, self.cfg.readout))[:, None]


def build(kind: str, cfg: NetConfig) -> nn.Module:
    """``"snn"`` -> :class:`SpikingCNN`, ``"ann"`` -> :class:`AnnCNN`."""
    if kind == "snn":
        return SpikingCNN(cfg)
    if kind == "ann":
        return AnnCNN(cfg)
    raise ParameterError(f"model must be 'snn' or 'ann', not {kind!r}")


def conv_synops(conv: nn.Conv2d, spikes: torch.Tensor) -> torch.Tensor:
    """Synaptic operations of ``conv`` on spike counts ``spikes`` (N, C, H, W), per sample (N,).

    Each spike reaches ``out_channels`` synapses at every output position whose window covers it
    (padding and stride counted exactly): the count of input spikes under every output window,
    summed, times ``out_channels``.

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


def _units(cfg: NetConfig) -> list[tuple[int, int, int, int]]:
    """(c_in, c_out, stride, output size) of every unit in execution order, the first taking the raw input."""
    out, c_in = [], cfg.in_channels
    for i, (c_out, size) in enumerate(zip(cfg.channels(), cfg.sizes()[1:])):
        out.append((c_in, c_out, STRIDE, size))
        out += [(c_out, c_out, 1, size)] * (2 * cfg.blocks if i else 0)
        c_in = c_out
    return out


def ann_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of one :class:`AnnCNN` forward pass (one sample)."""
    units = _units(cfg)
    total = 0
    for i, (c_in, c_out, _, size) in enumerate(units):
        total += size**2 * c_out * c_in * (cfg.time_steps if i == 0 else 1) * KERNEL * KERNEL
    return total + cfg.features() * cfg.n_classes


def snn_analog_macs(cfg: NetConfig) -> int:
    """Multiply-accumulates of the SNN over all T steps where its inputs are not spikes.

    The first convolution (it takes the event counts or frames, at each of its ``delays``; with
    ``stem_input="window"`` once, on all the steps), and with ``last_neuron="li"`` the readout
    Linear layer (it takes membrane potentials).
    """
    _, c_out, _, size = _units(cfg)[0]
    stem = size**2 * c_out * cfg.stem_channels() * KERNEL * KERNEL
    readout = cfg.time_steps * cfg.features() * cfg.n_classes if cfg.last_neuron == "li" else 0
    return (stem if cfg.stem_input == "window" else cfg.time_steps * stem) + readout
