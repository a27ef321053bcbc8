"""What the classifier networks take: their input and batch checked, and the input the spiking stem sees.

:func:`checked_input` and :func:`check_norm_batch` turn a wrong input into one
:class:`~evface.errors.ParameterError`; :func:`delayed` stacks the delayed copies of the input
that a spiking stem with synaptic delays takes.
"""

from __future__ import annotations

import torch
from torch import nn

from evface.errors import ParameterError
from evface.models.net_config import NetConfig


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

    Returns
    -------
    torch.Tensor
        ``x`` as ``dtype``.

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
        raise TypeError(f"the network takes a torch.Tensor, got {type(x).__name__} for x")
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

    Parameters
    ----------
    model : torch.nn.Module
        The network (its ``training`` flag is read).
    cfg : NetConfig
        Its configuration.
    values : int
        The samples its norms see at once (batch size, times the steps where they run over time).

    Examples
    --------
    >>> from evface.models.ann_cnn import AnnCNN
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

    Parameters
    ----------
    x : torch.Tensor
        ``(B, T, C, ...)``.
    delays : int
        The delays, 0 to ``delays - 1`` steps (1: ``x`` itself).

    Returns
    -------
    torch.Tensor
        ``(B, T, C * delays, ...)``.

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
