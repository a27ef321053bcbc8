"""The shape and neuron settings of the classifier networks (:class:`NetConfig`) and the layout of their units.

One :class:`NetConfig` builds the spiking network (:class:`~evface.models.spiking_cnn.SpikingCNN`)
or its ANN twin (:class:`~evface.models.ann_cnn.AnnCNN`); :func:`unit_layout` lists the convolutions
they are built of, which the weight count here and the costs of :mod:`evface.models.net_costs`
are taken from. The architecture is described in :mod:`evface.models.snn`.

Examples
--------
>>> [unit[:3] for unit in unit_layout(NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4))]
[(2, 4, 2), (4, 8, 2), (8, 8, 1), (8, 8, 1)]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from evface.checks import as_flag, as_int, as_real, within_memory
from evface.errors import ParameterError, choose_from

KERNEL = 3
STRIDE = 2
SURROGATES = ("atan", "fast-sigmoid")
INT_FIELDS = ("in_channels", "n_classes", "time_steps", "input_size", "depth", "width", "blocks", "delays")
"""The whole-number fields of :class:`NetConfig`."""


@dataclass(frozen=True)
class NetConfig:
    """Shape and neuron parameters shared by :class:`SpikingCNN` and :class:`AnnCNN`.

    The ANN twin, which sees every step at once, ignores ``delays`` and ``stem_input``. Every field
    is checked on construction: a :class:`ParameterError` names the one out of range.

    Parameters
    ----------
    in_channels : int
        Input channels per step.
    n_classes : int
        Classes, >= 2.
    time_steps : int
        Steps ``T`` of the input.
    input_size : int
        Side ``S`` of the square input.
    depth : int
        Stages, the stem included; channels ``width * 2**i``, each stage halving the size.
    width : int
        Channels of the stem.
    blocks : int
        SEW blocks of each stage after the stem.
    beta : float
        Initial membrane decay per step, in [0, 1].
    learn_beta : bool
        Whether the decay is learnt.
    threshold : float
        Firing threshold, > 0.
    reset : str
        ``"subtract"`` or ``"zero"``.
    surrogate : str
        The surrogate gradient: ``"atan"`` or ``"fast-sigmoid"``.
    slope : float
        Its steepness (ATan ``alpha``; fast-sigmoid ``slope``), > 0.
    norm : str
        ``"td"`` (BatchNorm over batch and time) or ``"none"``.
    residual : bool
        Whether the SEW blocks add their input.
    readout : str
        ``"gap"`` or ``"flatten"``.
    last_neuron : str
        ``"lif"`` (every layer spikes) or ``"li"`` (the last layer is a non-spiking leaky
        integrator whose membrane potential is read out).
    delays : int
        Synaptic delays (0 to ``delays - 1`` steps) of the spiking stem, in [1, ``time_steps``].
    stem_input : str
        ``"step"`` (bin ``t`` at step ``t``) or ``"window"`` (every bin at every step).

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> cfg.channels(), cfg.sizes(), cfg.neuron_layers(), cfg.features()
    ([4, 8], [16, 8, 4], 4, 128)
    >>> NetConfig(in_channels=2, n_classes=1, time_steps=4)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: a classifier needs at least 2 classes, got 1
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
                raise ParameterError(f"{name} must be one of its settings, not {getattr(self, name)!r}; {choose_from(allowed)}")
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
        convs = sum(c_in * c_out for c_in, c_out, _, _ in unit_layout(self)[1:]) + first * self.width
        return convs * KERNEL * KERNEL + self.features() * self.n_classes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def checked_config(cfg: object) -> NetConfig:
    """``cfg`` once it is a :class:`NetConfig`; otherwise a ParameterError naming ``cfg`` (a number
    was an AttributeError, ``no attribute 'in_channels'``).

    Examples
    --------
    >>> checked_config({"in_channels": 2})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: cfg must be a NetConfig, got dict
    """
    if not isinstance(cfg, NetConfig):
        raise ParameterError(f"cfg must be a NetConfig, got {type(cfg).__name__}")
    return cfg


def unit_layout(cfg: NetConfig) -> list[tuple[int, int, int, int]]:
    """(c_in, c_out, stride, output size) of every unit in execution order, the first taking the raw input.

    Parameters
    ----------
    cfg : NetConfig
        The network's configuration.

    Returns
    -------
    list of (int, int, int, int)

    Examples
    --------
    >>> cfg = NetConfig(in_channels=2, n_classes=3, time_steps=4, input_size=16, depth=2, width=4)
    >>> unit_layout(cfg)  # the stem, then stage 1's down-sampling unit and its SEW block's two
    [(2, 4, 2, 8), (4, 8, 2, 4), (8, 8, 1, 4), (8, 8, 1, 4)]
    """
    checked_config(cfg)
    out, c_in = [], cfg.in_channels
    for i, (c_out, size) in enumerate(zip(cfg.channels(), cfg.sizes()[1:], strict=True)):
        out.append((c_in, c_out, STRIDE, size))
        out += [(c_out, c_out, 1, size)] * (2 * cfg.blocks if i else 0)
        c_in = c_out
    return out
