"""Training losses of the reconstruction networks, and the CVAE's KL warm-up.

Both networks, the CVAE (:mod:`evface.models.cvae`) and the E2VID-style UNet
(:mod:`evface.models.e2vid`), train on :func:`recon_loss`: mean L1 plus a weighted ``1 - SSIM``
(:func:`ssim_torch`, differentiable, in float32). The CVAE minimises
``recon + beta * KL(q || p) / (H * W)`` (see :func:`cvae_loss`), with beta warm-up
(:func:`beta_schedule`) and free bits per latent channel against posterior collapse.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from evface.checks import as_int, as_real
from evface.errors import ParameterError


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
        :meth:`~evface.models.cvae.CVAE.forward`'s output: ``recon`` ``(N, 1, H, W)`` and ``kl`` ``(N, z_channels)``.
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
