"""Conditional variational autoencoder that reconstructs a face intensity frame from events.

Condition ``c`` (``c_in`` channels): the event channels (in evface's reconstruction task a voxel
grid of the last window and the leaked event counts since the keyframe), optionally followed by
the keyframe (one channel, ``keyframe - 0.5``). Target ``x``: the face intensity frame (1
channel, values in [0, 1]).

- condition encoder: a small UNet encoder over ``c`` (features at 1, 1/2, 1/4, 1/8 resolution);
  with ``recurrent=True`` a convolutional GRU after each strided stage (as in the E2VID-style
  UNet) carries a state from one window to the next within a clip, so the condition is the whole
  event history, not only the current window;
- prior ``p(z|c)``: diagonal Gaussian from the 1/8-resolution condition features;
- posterior ``q(z|x,c)``: diagonal Gaussian from an encoder of ``x`` joined to the same features;
- decoder ``p(x|z,c)``: UNet decoder from ``[features, z]`` with skips from the condition
  encoder; ``z`` (upsampled) joins every decoder stage, so the skips cannot route around it. With a
  keyframe it predicts a correction in logit space on top of the keyframe, so the untrained model
  starts at "copy the keyframe".

The latent is spatial (``z_channels`` x H/8 x W/8). Training minimises
``recon + beta * KL(q || p) / (H * W)`` (see :func:`cvae_loss`), with beta warm-up and free bits
per latent channel against posterior collapse. Inference decodes the prior mean, or averages the
decodings of ``k`` prior samples (:meth:`CVAE.samples` returns them all: their spread is what the
latent adds). Every method takes the recurrent encoder's ``state`` and ``encode`` returns the next
one; step by step through a clip: ``feats, state = m.encode(c, state)``, then
``m.decode_mean(feats, c)`` or ``m.decode_samples(feats, c, k)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from evface.checks import as_flag, as_int, as_real
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


def gaussian_kernel(sigma: float = 1.5, truncate: float = 3.5) -> torch.Tensor:
    """1-D normalised Gaussian kernel of radius ``int(truncate * sigma + 0.5)``.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, in (0, 1000].
    truncate : float
        Radius in standard deviations, in [0, 100].

    Returns
    -------
    torch.Tensor
        float32 ``(2 * radius + 1,)``, summing to 1.

    Examples
    --------
    >>> k = gaussian_kernel()
    >>> k.shape, round(float(k.sum()), 3)
    (torch.Size([11]), 1.0)
    """
    sigma = as_real("sigma", sigma, 0.0, 1e3, low_open=True)  # NaN was "cannot convert float NaN to integer"
    truncate = as_real("truncate", truncate, 0.0, 100.0)
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def ssim_torch(a: torch.Tensor, b: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Differentiable SSIM per image of (N, 1, H, W) tensors: Gaussian window sigma 1.5.

    The same formula as :func:`evface.tasks.image_metrics.ssim` (reflect padding, border of the
    window radius excluded), in float32, for use in a training loss. Each side must be at least
    the window's 11 pixels, as there (a smaller image's SSIM was the mean of nothing: NaN, or a
    padding error of torch's), and the images of one channel (torch's convolution error named
    the kernel's weights).

    Parameters
    ----------
    a, b : torch.Tensor
        Images ``(N, 1, H, W)`` of one shape, ``H`` and ``W`` at least 11.
    data_range : float
        The images' range of values (sets SSIM's stabilising constants), > 0 and at most 1e6
        (float32 squares of more overflowed: NaN SSIM).

    Returns
    -------
    torch.Tensor
        ``(N,)``: 1 for identical images.

    Examples
    --------
    >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> ssim_torch(x, x)
    tensor([1., 1.])
    >>> ssim_torch(torch.ones(1, 1, 8, 8), torch.ones(1, 1, 8, 8))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: SSIM needs images of at least 11x11 pixels, got (1, 1, 8, 8)
    """
    data_range = as_real("data_range", data_range, 0.0, 1e6, low_open=True)  # NaN, or past float32's squares: NaN SSIM
    k = gaussian_kernel()
    r = k.numel() // 2
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) or a.ndim != 4 or a.shape[1] != 1 \
            or a.shape != b.shape:
        raise ParameterError(f"SSIM takes two (N, 1, H, W) tensors of one shape, got {tuple(getattr(a, 'shape', ()))} "
                             f"and {tuple(getattr(b, 'shape', ()))}")
    if min(a.shape[-2:]) < 2 * r + 1:
        raise ParameterError(f"SSIM needs images of at least {2 * r + 1}x{2 * r + 1} pixels, got {tuple(a.shape)}")
    k = k.to(a)
    kx, ky = k.view(1, 1, 1, -1), k.view(1, 1, -1, 1)

    def blur(t: torch.Tensor) -> torch.Tensor:
        t = F.pad(t, (r, r, r, r), mode="reflect")
        return F.conv2d(F.conv2d(t, kx), ky)

    ux, uy = blur(a), blur(b)
    vx = blur(a * a) - ux * ux
    vy = blur(b * b) - uy * uy
    vxy = blur(a * b) - ux * uy
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return s[..., r:-r, r:-r].mean(dim=(1, 2, 3))


def recon_loss(pred: torch.Tensor, target: torch.Tensor, ssim_weight: float = 0.5) -> torch.Tensor:
    """Mean L1 plus ``ssim_weight * (1 - SSIM)``; a scalar averaged over the batch.

    ``pred`` and ``target`` must be of one shape (a target of one sample was broadcast over every
    prediction: a :class:`ParameterError` now) and hold a sample (the mean of none was NaN);
    ``ssim_weight`` a finite number >= 0 (NaN left the SSIM term out without a word).

    Parameters
    ----------
    pred, target : torch.Tensor
        Frames ``(N, 1, H, W)`` of one shape (at least 11 x 11 pixels where ``ssim_weight > 0``).
    ssim_weight : float
        Weight of the SSIM term (0: L1 alone).

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> recon_loss(torch.zeros(1, 1, 16, 16), torch.full((1, 1, 16, 16), 0.25), ssim_weight=0.0)
    tensor(0.2500)
    >>> recon_loss(torch.zeros(2, 1, 16, 16), torch.zeros(1, 1, 16, 16))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the target (1, 1, 16, 16) is not of the prediction's shape (2, 1, 16, 16)
    """
    ssim_weight = as_real("ssim_weight", ssim_weight, 0, math.inf)
    for name, t in (("pred", pred), ("target", target)):
        if not isinstance(t, torch.Tensor):
            raise ParameterError(f"{name} must be a torch.Tensor, got {type(t).__name__}")  # was "no attribute 'shape'"
    if tuple(pred.shape) != tuple(target.shape):
        raise ParameterError(f"the target {tuple(target.shape)} is not of the prediction's shape {tuple(pred.shape)}")
    if pred.numel() == 0:
        raise ParameterError(f"the prediction holds no sample or no pixel: {tuple(pred.shape)}")
    loss = (pred - target).abs().mean()
    if ssim_weight > 0:
        loss = loss + ssim_weight * (1.0 - ssim_torch(pred, target)).mean()
    return loss


def kl_diag_gaussians(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor) -> torch.Tensor:
    """Elementwise KL(N(mu_q, var_q) || N(mu_p, var_p)) in nats.

    Parameters
    ----------
    mu_q, logvar_q : torch.Tensor
        Mean and log variance of ``q``.
    mu_p, logvar_p : torch.Tensor
        Mean and log variance of ``p`` (broadcast against ``q``'s).

    Returns
    -------
    torch.Tensor
        The KL of every element.

    Examples
    --------
    >>> zero = torch.zeros(3)
    >>> kl_diag_gaussians(torch.tensor([0.0, 1.0, 2.0]), zero, zero, zero)  # (mu_q - mu_p)**2 / 2 for unit variances
    tensor([0.0000, 0.5000, 2.0000])
    """
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0)


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


State = list[torch.Tensor] | None
"""The recurrent condition encoder's state: one tensor per ConvGRU (``None``: a fresh clip, or no recurrence)."""


class ConditionEncoder(nn.Module):
    """UNet encoder: features at full, 1/2, 1/4 and 1/8 resolution; with ``recurrent``, a ConvGRU
    after each strided stage whose output (the new state) is the stage's feature.

    Its forward takes ``c`` and the state (``None`` unless recurrent: a state given to a
    feed-forward encoder is a :class:`ParameterError`) and returns the four features and the next
    state (``None`` unless recurrent).

    Parameters
    ----------
    c_in : int
        Condition channels.
    base : int
        Channels at full resolution (``base``, ``2 base``, ``4 base``, ``4 base`` by stage).
    recurrent : bool
        A ConvGRU after each strided stage.

    Examples
    --------
    >>> enc = ConditionEncoder(c_in=5, base=4, recurrent=True)
    >>> feats, state = enc(torch.zeros(1, 5, 32, 32))
    >>> [tuple(f.shape) for f in feats], len(state)
    ([(1, 4, 32, 32), (1, 8, 16, 16), (1, 16, 8, 8), (1, 16, 4, 4)], 3)
    """

    def __init__(self, c_in: int, base: int, recurrent: bool = False) -> None:
        super().__init__()
        chans = [base, 2 * base, 4 * base, 4 * base]
        self.stages = nn.ModuleList([conv_block(c_in, base)] +
                                    [conv_block(chans[i], chans[i + 1], stride=2) for i in range(3)])
        self.rnn = nn.ModuleList([ConvGRU(c, c) for c in chans[1:]]) if recurrent else None

    def forward(self, c: torch.Tensor, state: State = None) -> tuple[list[torch.Tensor], State]:
        if self.rnn is not None:
            checked_state(state, len(self.rnn))
        elif state is not None:  # was ignored without a word
            raise ParameterError("this model is not recurrent (recurrent=False) and takes no state: give state=None, "
                                 f"or build it with recurrent=True; got a {type(state).__name__}")
        feats = [self.stages[0](c)]
        for i, stage in enumerate(self.stages[1:]):
            h = stage(feats[-1])
            if self.rnn is not None:
                h = self.rnn[i](h, state[i] if state is not None else None)
            feats.append(h)
        return feats, (feats[1:] if self.rnn is not None else None)


class CVAE(nn.Module):
    """Conditional VAE for event-to-frame reconstruction.

    Parameters
    ----------
    c_in : int
        Condition channels (the keyframe channel included).
    keyframe : bool
        Whether the condition's last channel is the keyframe (and the output a correction of it).
    base : int
        Channels of the first UNet stage (doubling to ``4 * base``).
    z_channels : int
        Latent channels per 1/8-resolution position.
    recurrent : bool
        ConvGRUs in the condition encoder; the state runs through a clip's windows in time order.

    Examples
    --------
    >>> m = CVAE(c_in=6, keyframe=True, base=8, z_channels=4)
    >>> c, x = torch.zeros(2, 6, 32, 32), torch.rand(2, 1, 32, 32)
    >>> out = m(x, c)
    >>> tuple(out["recon"].shape), tuple(out["kl"].shape), tuple(m.reconstruct(c).shape)
    ((2, 1, 32, 32), (2, 4), (2, 1, 32, 32))
    >>> tuple(m.samples(c, k=3).shape)
    (3, 2, 1, 32, 32)
    >>> r = CVAE(c_in=6, keyframe=True, base=8, z_channels=4, recurrent=True)
    >>> feats, state = r.encode(c)
    >>> feats, state = r.encode(c, state)
    >>> tuple(r.decode_mean(feats, c).shape), len(state)
    ((2, 1, 32, 32), 3)
    """

    def __init__(self, c_in: int = 5, keyframe: bool = False, base: int = 16, z_channels: int = 8,
                 recurrent: bool = False) -> None:
        super().__init__()
        c_in, base, z_channels = model_sizes(c_in=c_in, base=base, z_channels=z_channels).values()
        keyframe, recurrent = as_flag("keyframe", keyframe), as_flag("recurrent", recurrent)
        self.c_in, self.keyframe, self.z_channels, self.recurrent = c_in, keyframe, z_channels, recurrent
        top = 4 * base
        self.cond = ConditionEncoder(c_in, base, recurrent)
        self.x_enc = nn.Sequential(
            conv_block(1, base, stride=2), conv_block(base, 2 * base, stride=2), conv_block(2 * base, top, stride=2)
        )
        self.prior = nn.Sequential(conv_block(top, top), nn.Conv2d(top, 2 * z_channels, 1))
        self.posterior = nn.Sequential(conv_block(2 * top, top), nn.Conv2d(top, 2 * z_channels, 1))
        self.bottom = conv_block(top + z_channels, top)
        z = z_channels
        self.up = nn.ModuleList([UpBlock(top + z, 4 * base, 2 * base), UpBlock(2 * base + z, 2 * base, base),
                                 UpBlock(base + z, base, base)])
        self.head = nn.Conv2d(base, 1, 1)
        nn.init.zeros_(self.head.weight)  # start at the keyframe (or mid-grey without one)
        nn.init.zeros_(self.head.bias)

    def encode(self, c: torch.Tensor, state: State = None) -> tuple[list[torch.Tensor], State]:
        """Condition features of one window, and the encoder's next state (``None`` unless recurrent).

        Parameters
        ----------
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).
        state : list of torch.Tensor or None
            ``None`` for a clip's first window, then what :meth:`encode` returned for the previous one
            (always ``None`` unless recurrent: a state given to a feed-forward model is refused).

        Returns
        -------
        feats : list of torch.Tensor
            The features at full, 1/2, 1/4 and 1/8 resolution.
        state : list of torch.Tensor or None
            The state for the next window (``None`` unless recurrent).
        """
        return self.cond(checked_condition(c, self.c_in, self.head.weight.dtype), state)

    def _decode(self, feats: list[torch.Tensor], z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.bottom(torch.cat([feats[3], z], dim=1))
        for up, skip in zip(self.up, (feats[2], feats[1], feats[0])):
            zz = F.interpolate(z, size=h.shape[-2:], mode="nearest")
            h = up(torch.cat([h, zz], dim=1), skip)
        logits = self.head(h)
        if self.keyframe:
            logits = logits + logit(c[:, -1:].to(logits) + 0.5)
        return torch.sigmoid(logits)

    def _prior(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.prior(feats[3]).chunk(2, dim=1)
        return mu, logvar.clamp(-8.0, 8.0)

    def forward(self, x: torch.Tensor, c: torch.Tensor, state: State = None) -> dict[str, torch.Tensor]:
        """Training pass: sample z from q(z|x,c), decode; ``kl`` is (N, z_channels), summed over
        positions; a recurrent model also returns its next ``state``.

        Parameters
        ----------
        x : torch.Tensor
            The target frames ``(N, 1, H, W)``.
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).
        state : list of torch.Tensor or None
            ``None`` for a clip's first window, then what :meth:`encode` returned for the previous one.

        Returns
        -------
        dict of str to torch.Tensor
            ``recon`` ``(N, 1, H, W)``, ``kl`` ``(N, z_channels)`` and, when recurrent, ``state``.
        """
        feats, new_state = self.encode(c, state)
        if not isinstance(x, torch.Tensor) or tuple(x.shape) != (c.shape[0], 1, *c.shape[-2:]):
            raise ParameterError(f"the target frame must be (N, 1, H, W) = {(c.shape[0], 1, *c.shape[-2:])} "
                                 f"as the condition's, got {tuple(getattr(x, 'shape', ()))}")
        x = x.to(self.head.weight.dtype)
        if not bool(torch.isfinite(x).all()):  # was: a NaN reconstruction and KL
            raise ParameterError("the target frame holds NaN or infinite values")
        mu_p, logvar_p = self._prior(feats)
        hx = self.x_enc(x)
        hx = F.interpolate(hx, size=feats[3].shape[-2:], mode="bilinear", align_corners=False)
        mu_q, logvar_q = self.posterior(torch.cat([feats[3], hx], dim=1)).chunk(2, dim=1)
        logvar_q = logvar_q.clamp(-8.0, 8.0)
        z = mu_q + torch.randn_like(mu_q) * (0.5 * logvar_q).exp()
        kl = kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p).sum(dim=(2, 3))
        out = {"recon": self._decode(feats, z, c), "kl": kl}
        return out | {"state": new_state} if new_state is not None else out

    def _encoded_from(self, feats: list[torch.Tensor], c: torch.Tensor) -> torch.Tensor:
        """``c`` checked (:func:`checked_condition`), and a ParameterError unless ``feats`` are what
        :meth:`encode` returned for a window of its batch and size (was: torch's "The size of tensor
        a (32) must match ..." inside the decoder, or a condition's keyframe of another window).

        Examples
        --------
        >>> m = CVAE(c_in=2, base=4, z_channels=2)
        >>> m.decode_mean(m.encode(torch.zeros(1, 2, 32, 32))[0], torch.zeros(1, 2, 48, 48))
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: the condition (1, 2, 48, 48) is not of the batch and size (N, H, W) = (1, 32, 32) of the window that feats encode: give the c given to encode
        """
        c = checked_condition(c, self.c_in, self.head.weight.dtype)
        if not isinstance(feats, (list, tuple)) or len(feats) != len(self.cond.stages) \
                or not all(isinstance(f, torch.Tensor) and f.ndim == 4 for f in feats):
            raise ParameterError(f"feats must be the {len(self.cond.stages)} feature tensors that encode returned")
        window = (feats[0].shape[0], *feats[0].shape[-2:])
        if (c.shape[0], *c.shape[-2:]) != window:
            raise ParameterError(f"the condition {tuple(c.shape)} is not of the batch and size (N, H, W) = {window} "
                                 "of the window that feats encode: give the c given to encode")
        return c

    @torch.no_grad()
    def decode_mean(self, feats: list[torch.Tensor], c: torch.Tensor) -> torch.Tensor:
        """The decoding of the prior mean (N, 1, H, W).

        Parameters
        ----------
        feats : list of torch.Tensor
            What :meth:`encode` returned for ``c``.
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).

        Returns
        -------
        torch.Tensor
        """
        c = self._encoded_from(feats, c)
        return self._decode(feats, self._prior(feats)[0], c)

    @torch.no_grad()
    def decode_samples(self, feats: list[torch.Tensor], c: torch.Tensor, k: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Decodings of ``k`` prior samples (``k >= 1``): (k, N, 1, H, W).

        Parameters
        ----------
        feats : list of torch.Tensor
            What :meth:`encode` returned for ``c``.
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).
        k : int
            The samples, >= 1.
        generator : torch.Generator, optional
            The random numbers of the samples (CPU).

        Returns
        -------
        torch.Tensor
        """
        k, c = as_int("k", k, 1), self._encoded_from(feats, c)
        mu_p, logvar_p = self._prior(feats)
        std = (0.5 * logvar_p).exp()
        return torch.stack([
            self._decode(feats, mu_p + std * torch.randn(mu_p.shape, generator=generator).to(mu_p), c) for _ in range(k)
        ])

    @torch.no_grad()
    def samples(self, c: torch.Tensor, k: int, generator: torch.Generator | None = None,
                state: State = None) -> torch.Tensor:
        """Decodings of ``k`` prior samples: (k, N, 1, H, W).

        Parameters
        ----------
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).
        k : int
            The samples, >= 1.
        generator : torch.Generator, optional
            The random numbers of the samples (CPU).
        state : list of torch.Tensor or None
            ``None`` for a clip's first window, then what :meth:`encode` returned for the previous one.

        Returns
        -------
        torch.Tensor
        """
        return self.decode_samples(self.encode(c, state)[0], c, k, generator)

    @torch.no_grad()
    def reconstruct(self, c: torch.Tensor, k: int = 0, generator: torch.Generator | None = None,
                    state: State = None) -> torch.Tensor:
        """Decode the prior mean (``k == 0``) or the mean of ``k`` decodings of prior samples.

        Parameters
        ----------
        c : torch.Tensor
            The window's condition ``(N, c_in, H, W)`` (:func:`checked_condition`).
        k : int
            0, or the samples to average.
        generator : torch.Generator, optional
            The random numbers of the samples (CPU).
        state : list of torch.Tensor or None
            ``None`` for a clip's first window, then what :meth:`encode` returned for the previous one.

        Returns
        -------
        torch.Tensor
            ``(N, 1, H, W)``.

        Examples
        --------
        >>> m = CVAE(c_in=2, keyframe=True, base=4, z_channels=2)
        >>> c = torch.zeros(1, 2, 16, 16)
        >>> c[:, 1] = 0.25  # the keyframe, 0.75, minus 0.5
        >>> round(float(m.reconstruct(c).mean()), 3)  # untrained: the keyframe
        0.75
        >>> a = m.reconstruct(c, k=3, generator=torch.Generator().manual_seed(0))
        >>> torch.equal(a, m.samples(c, 3, generator=torch.Generator().manual_seed(0)).mean(0))
        True
        """
        k = as_int("k", k, 0)  # a negative k decoded the prior mean without a word
        feats = self.encode(c, state)[0]
        return self.decode_samples(feats, c, k, generator).mean(0) if k > 0 else self.decode_mean(feats, c)


def cvae_loss(
    out: dict[str, torch.Tensor], target: torch.Tensor, beta: float, free_bits: float = 0.0, ssim_weight: float = 0.5,
    mse_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """``loss = recon + beta * max(KL_j, free_bits) summed over channels j / (H * W)``.

    ``recon`` is :func:`recon_loss` plus ``mse_weight`` times the mean squared error. The squared
    error is what makes the latent worth using: under L1 alone any value between two equally likely
    outcomes is optimal, so a decoder that ignores ``z`` loses nothing (measured on a toy with a
    patch that brightens or darkens at random: with L1 the K decodings agreed to 1e-4, with
    ``mse_weight=20`` they spread 0.11 inside the patch and 0.03 outside; see
    tests/test_recon_models.py). ``KL_j`` is the batch-mean KL of latent channel ``j`` (nats,
    summed over positions); channels below ``free_bits`` contribute a constant, so nothing pushes
    them further to zero (Kingma et al. 2016).

    Parameters
    ----------
    out : dict
        :meth:`CVAE.forward`'s output: ``recon`` ``(N, 1, H, W)`` and ``kl`` ``(N, z_channels)``.
    target : torch.Tensor
        The target frames ``(N, 1, H, W)``.
    beta : float
        Weight of the KL term (:func:`beta_schedule`).
    free_bits : float
        Nats per latent channel below which its KL is not pushed down.
    ssim_weight, mse_weight : float
        Weights of the SSIM and squared error terms of ``recon``.

    Returns
    -------
    dict of str to torch.Tensor
        ``loss``, ``recon`` and ``kl`` (the plain KL summed over channels, batch mean, for
        logging); scalars.

    Examples
    --------
    >>> out = {"recon": torch.full((2, 1, 16, 16), 0.5), "kl": torch.ones(2, 4)}
    >>> cvae_loss(out, torch.full((2, 1, 16, 16), 0.5), beta=1.0, free_bits=2.0)  # 4 channels at 2 nats / 256 px
    {'loss': tensor(0.0312), 'recon': tensor(0.), 'kl': tensor(4.)}
    """
    beta, free_bits, ssim_weight, mse_weight = (as_real(name, value, 0, math.inf) for name, value in (
        ("beta", beta), ("free_bits", free_bits), ("ssim_weight", ssim_weight), ("mse_weight", mse_weight)))
    rec = recon_loss(out["recon"], target, ssim_weight)
    if mse_weight > 0:
        rec = rec + mse_weight * ((out["recon"] - target) ** 2).mean()
    kl_per_channel = out["kl"].mean(0)
    kl_term = torch.clamp(kl_per_channel, min=free_bits).sum() if free_bits > 0 else kl_per_channel.sum()
    n_pix = target.shape[-1] * target.shape[-2]
    return {"loss": rec + beta * kl_term / n_pix, "recon": rec, "kl": kl_per_channel.sum()}


def beta_schedule(epoch: int, beta: float, warmup_epochs: int) -> float:
    """Linear KL warm-up from ``beta / (warmup_epochs + 1)`` at epoch 0 to ``beta``.

    Parameters
    ----------
    epoch : int
        The epoch, from 0.
    beta : float
        The KL weight after the warm-up.
    warmup_epochs : int
        Epochs of warm-up (0: ``beta`` from the start).

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        Unless ``epoch`` and ``warmup_epochs`` are whole numbers >= 0 and ``beta`` a finite number
        >= 0 (a negative epoch gave a negative beta, a NaN beta a NaN one, which :func:`cvae_loss`
        refused only later).

    Examples
    --------
    >>> [beta_schedule(epoch, 1.0, warmup_epochs=3) for epoch in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    >>> beta_schedule(-5, 1.0, warmup_epochs=3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: epoch must be >= 0, got -5
    """
    epoch, warmup_epochs = as_int("epoch", epoch, 0), as_int("warmup_epochs", warmup_epochs, 0)
    beta = as_real("beta", beta, 0, math.inf)
    if warmup_epochs == 0:
        return beta
    return beta * min(1.0, (epoch + 1) / (warmup_epochs + 1))
