"""Building blocks of the two reconstruction networks: the CVAE (:mod:`evface.models.cvae`) and the
E2VID-style UNet (:mod:`evface.models.e2vid`).

The checks of what both are given (:func:`model_sizes`, :func:`checked_condition`,
:func:`checked_state`), the layers both are built of (:func:`conv_block`, :class:`UpBlock`, and
:class:`ConvGRU`, the convolutional GRU whose state carries over from one window to the next within
a clip), and :func:`logit`: with a keyframe both predict a correction in logit space on top of it,
so an untrained network starts at "copy the keyframe".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from evface.checks import as_int, as_real
from evface.errors import ParameterError


def model_sizes(**sizes: object) -> dict[str, int]:
    """The whole-number sizes of a reconstruction model (each >= 1), as ints, checked by name.

    Parameters
    ----------
    **sizes : object
        Each size by its name (the name the error message gives).

    Returns
    -------
    dict of str to int
        The sizes, in the order given.

    Examples
    --------
    >>> model_sizes(c_in=5, base=16.0)
    {'c_in': 5, 'base': 16}
    >>> model_sizes(base=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: base must be >= 1, got 0
    """
    return {name: as_int(name, value, 1) for name, value in sizes.items()}


def checked_condition(c: torch.Tensor, c_in: int, dtype: torch.dtype) -> torch.Tensor:
    """The condition ``c`` of one window as the models take it: ``(N, c_in, H, W)`` real numbers, as ``dtype``.

    Parameters
    ----------
    c : torch.Tensor
        The condition ``(N, c_in, H, W)``.
    c_in : int
        The channels the model takes.
    dtype : torch.dtype
        The model's floating point type.

    Returns
    -------
    torch.Tensor
        ``c`` as ``dtype``.

    Raises
    ------
    TypeError
        ``c`` is not a tensor.
    ParameterError
        Another number of channels or dimensions, no sample or no pixel, complex numbers
        (torch's own errors named weights and "groups", not the condition), or a NaN or infinity
        (the models returned NaN frames without a word; the classifiers refuse them likewise).

    Examples
    --------
    >>> checked_condition(torch.zeros(2, 5, 32, 32, dtype=torch.float64), 5, torch.float32).dtype
    torch.float32
    >>> checked_condition(torch.zeros(2, 6, 32, 32), 5, torch.float32)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the model takes a condition (N, 5, H, W), got (2, 6, 32, 32)
    """
    if not isinstance(c, torch.Tensor):
        raise TypeError(f"the model takes a torch.Tensor, got {type(c).__name__}")
    if c.ndim != 4 or c.shape[1] != c_in:
        raise ParameterError(f"the model takes a condition (N, {c_in}, H, W), got {tuple(c.shape)}")
    if c.numel() == 0:
        raise ParameterError(f"the condition holds no sample or no pixel: {tuple(c.shape)}")
    if c.is_complex():
        raise ParameterError(f"the model takes real numbers, got {c.dtype}")
    c = c.to(dtype)
    if not bool(torch.isfinite(c).all()):
        raise ParameterError("the condition holds NaN or infinite values")
    return c


def checked_state(state: list[torch.Tensor] | None, n: int) -> None:
    """A :class:`ParameterError` unless ``state`` is ``None`` or ``n`` tensors (one per ConvGRU).

    Parameters
    ----------
    state : list of torch.Tensor or None
        The recurrent state a model was given.
    n : int
        The model's number of ConvGRUs.

    Examples
    --------
    >>> checked_state([torch.zeros(1)], 3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the recurrent state must be None (a clip's first window) or the 3 tensors the previous window returned, got a list of 1
    """
    if state is not None and (not isinstance(state, (list, tuple)) or len(state) != n):
        got = f"a {type(state).__name__} of {len(state)}" if isinstance(state, (list, tuple)) else type(state).__name__
        raise ParameterError(f"the recurrent state must be None (a clip's first window) or the {n} tensors the "
                             f"previous window returned, got {got}")


def conv_block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """3x3 conv (optionally strided) + GroupNorm + SiLU, then 3x3 conv + GroupNorm + SiLU.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels (4 GroupNorm groups where ``c_out`` is a multiple of 4, else 1).
    stride : int
        Stride of the first convolution (2 halves the height and width, rounding up).

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> conv_block(2, 8, stride=2)(torch.zeros(1, 2, 15, 16)).shape
    torch.Size([1, 8, 8, 8])
    """
    groups = 4 if c_out % 4 == 0 else 1
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1),
        nn.GroupNorm(groups, c_out),
        nn.SiLU(),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.GroupNorm(groups, c_out),
        nn.SiLU(),
    )


class UpBlock(nn.Module):
    """Nearest-neighbour upsampling to the skip's size, concatenation with the skip, then a conv block.

    Parameters
    ----------
    c_in : int
        Channels of the input to upsample.
    c_skip : int
        Channels of the skip.
    c_out : int
        Output channels (:func:`conv_block`).

    Examples
    --------
    >>> up = UpBlock(c_in=8, c_skip=4, c_out=4)
    >>> up(torch.zeros(1, 8, 4, 4), torch.zeros(1, 4, 8, 8)).shape
    torch.Size([1, 4, 8, 8])
    """

    def __init__(self, c_in: int, c_skip: int, c_out: int) -> None:
        super().__init__()
        self.block = conv_block(c_in + c_skip, c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.block(torch.cat([x, skip], dim=1))


class ConvGRU(nn.Module):
    """Convolutional GRU cell: ``h' = (1 - u) * h + u * tanh(W [x, r * h])``.

    Its forward takes ``x`` ``(N, c_in, H, W)`` and the state ``h`` (``None``: zeros) and returns
    the next state ``(N, c_hidden, H, W)``.

    Parameters
    ----------
    c_in : int
        Input channels.
    c_hidden : int
        State channels.

    Examples
    --------
    >>> gru = ConvGRU(2, 3)
    >>> h = gru(torch.zeros(1, 2, 4, 4), None)
    >>> gru(torch.zeros(1, 2, 4, 4), h).shape
    torch.Size([1, 3, 4, 4])
    """

    def __init__(self, c_in: int, c_hidden: int) -> None:
        super().__init__()
        self.gates = nn.Conv2d(c_in + c_hidden, 2 * c_hidden, 3, padding=1)
        self.cand = nn.Conv2d(c_in + c_hidden, c_hidden, 3, padding=1)
        self.c_hidden = c_hidden

    def forward(self, x: torch.Tensor, h: torch.Tensor | None) -> torch.Tensor:
        if h is None:
            h = x.new_zeros(x.shape[0], self.c_hidden, *x.shape[-2:])
        elif tuple(h.shape) != (x.shape[0], self.c_hidden, *x.shape[-2:]):
            raise ParameterError(f"the recurrent state {tuple(h.shape)} is not of this window's batch and size "
                                 f"{(x.shape[0], self.c_hidden, *x.shape[-2:])}: start every clip with state=None "
                                 "and pass its windows in order")
        h = h.to(x.dtype)  # a state of another float type: torch's "Input type (double) and bias type (float)"
        r, u = torch.sigmoid(self.gates(torch.cat([x, h], dim=1))).chunk(2, dim=1)
        cand = torch.tanh(self.cand(torch.cat([x, r * h], dim=1)))
        return (1 - u) * h + u * cand


def logit(p: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """log(p / (1 - p)) with ``p`` clamped to ``[eps, 1 - eps]``: a keyframe as a logit offset.

    Parameters
    ----------
    p : torch.Tensor
        Values in [0, 1] (a NaN is a ParameterError).
    eps : float
        The clamp, which keeps 0 and 1 finite: in (0, 0.5].

    Returns
    -------
    torch.Tensor
        Of ``p``'s shape.

    Examples
    --------
    >>> logit(torch.tensor([0.5, 0.0, 1.0])).abs().round(decimals=2)
    tensor([0.0000, 6.9100, 6.9100])
    """
    if not isinstance(p, torch.Tensor) or p.is_complex():
        raise ParameterError(f"p must be a tensor of real numbers, got {type(p).__name__} {getattr(p, 'dtype', '')}")
    eps = as_real("eps", eps, 0.0, 0.5, low_open=True)  # 0 or NaN gave infinite or NaN logits
    if bool(torch.isnan(p).any()):
        raise ParameterError("p holds NaN: its logit would be NaN")
    p = p.clamp(eps, 1 - eps)
    return torch.log(p) - torch.log1p(-p)
