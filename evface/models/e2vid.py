"""A small E2VID-style recurrent UNet (Rebecq et al., TPAMI 2019), the learned baseline.

Input: the same condition as the CVAE (``c_in`` channels: event channels, optionally the keyframe
channel last). Each encoder
stage is a strided conv followed by a convolutional GRU whose state carries over from one window
to the next within a clip; a residual block at the bottom, then a UNet decoder with skips. The
output is a sigmoid intensity image; with a keyframe it is a correction of the keyframe in logit
space, like the CVAE's, so the two differ only in the latent variable and the recurrence (only in the
latent against a CVAE with ``recurrent=True``, whose encoder has the same ConvGRUs).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from evface.checks import as_flag
from evface.models.recon_blocks import ConvGRU, UpBlock, checked_condition, checked_state, conv_block, logit, model_sizes


class E2VIDRecurrent(nn.Module):
    """Recurrent UNet mapping a sequence of conditions to a sequence of frames.

    Parameters
    ----------
    c_in : int
        Condition channels (the keyframe channel included).
    keyframe : bool
        Whether the condition's last channel is the keyframe (``keyframe - 0.5``; the output is
        then a correction of it).
    base : int
        Channels of the first stage (doubling to ``4 * base``).

    Examples
    --------
    >>> m = E2VIDRecurrent(c_in=5, keyframe=False, base=8)
    >>> y, state = m(torch.zeros(2, 5, 32, 32))
    >>> y2, state = m(torch.zeros(2, 5, 32, 32), state)
    >>> tuple(y2.shape), len(state)
    ((2, 1, 32, 32), 3)

    Untrained, a model with a keyframe returns the keyframe:

    >>> k = E2VIDRecurrent(c_in=2, keyframe=True, base=4)
    >>> c = torch.stack([torch.zeros(1, 16, 16), torch.full((1, 16, 16), 0.25)], dim=1)  # keyframe 0.75
    >>> round(float(k(c)[0].detach().mean()), 3)
    0.75
    """

    def __init__(self, c_in: int = 5, keyframe: bool = False, base: int = 16) -> None:
        super().__init__()
        c_in, base = model_sizes(c_in=c_in, base=base).values()
        self.c_in, self.keyframe = c_in, as_flag("keyframe", keyframe)
        self.head = conv_block(c_in, base)
        chans = [base, 2 * base, 4 * base, 4 * base]
        self.down = nn.ModuleList([conv_block(chans[i], chans[i + 1], stride=2) for i in range(3)])
        self.rnn = nn.ModuleList([ConvGRU(chans[i + 1], chans[i + 1]) for i in range(3)])
        self.res = conv_block(chans[3], chans[3])
        self.up = nn.ModuleList([UpBlock(chans[3], chans[2], chans[2]), UpBlock(chans[2], chans[1], chans[1]), UpBlock(chans[1], chans[0], chans[0])])
        self.out = nn.Conv2d(base, 1, 1)
        nn.init.zeros_(self.out.weight)  # start at the keyframe (or mid-grey without one)
        assert self.out.bias is not None  # nn.Conv2d's default bias=True, just above
        nn.init.zeros_(self.out.bias)

    def forward(self, c: torch.Tensor, state: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One window: ``c`` (N, C, H, W) and the previous state -> (frame (N, 1, H, W), new state).

        ``c`` is checked by :func:`~evface.models.recon_blocks.checked_condition`; ``state`` is ``None`` for
        a clip's first window, then what the previous window returned.

        Parameters
        ----------
        c : torch.Tensor, shape (N, c_in, H, W)
            The window's condition.
        state : list of torch.Tensor, optional
            The previous window's state (one tensor per ConvGRU); ``None`` for a clip's first window.

        Returns
        -------
        frame : torch.Tensor, shape (N, 1, H, W)
            The reconstructed intensity, in (0, 1).
        state : list of torch.Tensor
            The new state, to pass with the clip's next window.
        """
        c = checked_condition(c, self.c_in, self.out.weight.dtype)
        checked_state(state, len(self.rnn))
        prior: Sequence[torch.Tensor | None] = state if state is not None else [None, None, None]
        h = self.head(c)
        skips, new_state = [h], []
        for down, rnn, s in zip(self.down, self.rnn, prior, strict=True):
            h = rnn(down(h), s)
            new_state.append(h)
            skips.append(h)
        h = h + self.res(h)
        for up, skip in zip(self.up, reversed(skips[:-1]), strict=True):
            h = up(h, skip)
        logits = self.out(h)
        if self.keyframe:
            logits = logits + logit(c[:, -1:] + 0.5)
        return torch.sigmoid(logits), new_state
