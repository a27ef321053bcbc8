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

The latent is spatial (``z_channels`` x H/8 x W/8). The training pass returns the reconstruction
and the KL per latent channel (:func:`kl_diag_gaussians`), which the training loss weighs
(:func:`~evface.models.recon_losses.cvae_loss`). Inference decodes the prior mean, or averages the
decodings of ``k`` prior samples (:meth:`CVAE.samples` returns them all: their spread is what the
latent adds). Every method takes the recurrent encoder's ``state`` and ``encode`` returns the next
one; step by step through a clip: ``feats, state = m.encode(c, state)``, then
``m.decode_mean(feats, c)`` or ``m.decode_samples(feats, c, k)``.

The blocks it shares with the E2VID-style UNet (the checks of its sizes, condition and state, the
conv block, the ConvGRU) are in :mod:`evface.models.recon_blocks`; its training loss and KL
warm-up in :mod:`evface.models.recon_losses`.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import torch
import torch.nn.functional as F
from torch import nn

from evface.checks import as_flag, as_int
from evface.errors import ParameterError
from evface.models.recon_blocks import ConvGRU, UpBlock, checked_condition, checked_state, conv_block, logit, model_sizes


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


State = list[torch.Tensor] | None
"""The recurrent condition encoder's state: one tensor per ConvGRU (``None``: a fresh clip, or no recurrence)."""


class _TrainingPass(TypedDict):
    """What :meth:`CVAE.forward` returns: ``state`` only from a recurrent model."""

    recon: torch.Tensor
    kl: torch.Tensor
    state: NotRequired[list[torch.Tensor]]


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
        assert self.head.bias is not None  # nn.Conv2d's default bias=True, just above
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
        for up, skip in zip(self.up, (feats[2], feats[1], feats[0]), strict=True):
            zz = F.interpolate(z, size=h.shape[-2:], mode="nearest")
            h = up(torch.cat([h, zz], dim=1), skip)
        logits = self.head(h)
        if self.keyframe:
            logits = logits + logit(c[:, -1:].to(logits) + 0.5)
        return torch.sigmoid(logits)

    def _prior(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.prior(feats[3]).chunk(2, dim=1)
        return mu, logvar.clamp(-8.0, 8.0)

    def forward(self, x: torch.Tensor, c: torch.Tensor, state: State = None) -> _TrainingPass:
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
        dict
            ``recon`` ``(N, 1, H, W)`` and ``kl`` ``(N, z_channels)`` (tensors) and, when recurrent,
            ``state`` (a list of torch.Tensor, as :meth:`encode` returns).
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
        out: _TrainingPass = {"recon": self._decode(feats, z, c), "kl": kl}
        if new_state is not None:
            out["state"] = new_state
        return out

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
