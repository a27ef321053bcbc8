"""The reconstruction networks' speed: training and inference samples/s of the CVAE and the
recurrent UNet on random inputs, for ``evface bench train`` (:func:`throughput`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from evface.checks import as_int, within_memory
from evface.inputs.reconstruct import ReconSpec
from evface.models.cvae import CVAE, cvae_loss, recon_loss
from evface.models.e2vid import E2VIDRecurrent
from evface.tasks import parallel, random_states
from evface.tasks.configs import DEFAULT_CROP, ReconstructConfig


TRAIN_BYTES_PER_INPUT_BYTE = 40
"""The memory a training step of :func:`throughput` takes per byte of its float32 inputs (condition
and target: the activations kept for the backward pass; about 24 at the defaults, measured)."""


def throughput(batch_size: int = ReconstructConfig.batch_size, size: int = DEFAULT_CROP,
               n_bins: int = ReconstructConfig.n_bins, keyframe: bool = True, steps: int = 5,
               base: int = ReconstructConfig.base, device: str = "cpu", seed: int = 0) -> dict[str, Any]:
    """Training and inference speed of the CVAE and the recurrent UNet on random inputs (samples/s).

    The defaults are the training defaults (64 x 64 crops, 5 bins, the event history of the
    default spec, keyframe channel, ``base`` 8). ``steps`` and ``batch_size`` are integers of at
    least 1 (a ParameterError naming them; ``steps=0`` was a ZeroDivisionError), ``size``,
    ``n_bins`` and ``base`` in the ranges of :class:`ReconstructConfig`'s ``size``, ``n_bins`` and
    ``base``, and a training step's memory (:data:`TRAIN_BYTES_PER_INPUT_BYTE`) is checked against
    the machine's before anything is allocated.

    Examples
    --------
    >>> throughput(size=0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: size must be in [16, 1024], got 0
    >>> throughput(batch_size=10**6)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: batch_size 1,000,000 of 11 x 64 x 64 inputs (a training step) takes about 6713.9 GiB, more than half of this machine's ... GiB; give a smaller batch_size or size
    """
    steps, batch_size = as_int("steps", steps, 1), as_int("batch_size", batch_size, 1)
    # was: size 0 "the condition holds no sample or no pixel", naming no argument
    size, n_bins, base = as_int("size", size, 16, 1024), as_int("n_bins", n_bins, 1, 256), as_int("base", base, 1, 512)
    c_in = n_bins + 2 * len(ReconSpec.alphas_rad_s) + int(keyframe)
    # was: torch's allocator error, or the process killed part way through the step
    within_memory(TRAIN_BYTES_PER_INPUT_BYTE * 4 * batch_size * (c_in + 1) * size**2,
                  f"batch_size {batch_size:,} of {c_in + 1} x {size} x {size} inputs (a training step)",
                  "give a smaller batch_size or size")
    random_states.seed_everything(seed)
    dev = parallel.select_device(device)
    c = torch.randn(batch_size, c_in, size, size, device=dev)
    x = torch.rand(batch_size, 1, size, size, device=dev)
    result: dict[str, Any] = {"batch_size": batch_size, "size": size, "n_bins": n_bins, "keyframe": keyframe, "base": base,
                              "device": str(dev), "threads": torch.get_num_threads()}
    cvae = CVAE(c_in, keyframe, base, ReconstructConfig.z_channels).to(dev)
    e2vid = E2VIDRecurrent(c_in, keyframe, base).to(dev)

    def timed(fn: Callable[[], None]) -> float:
        fn()  # warm-up
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return batch_size * steps / (time.perf_counter() - t0)

    for name, model, step in (
        ("cvae", cvae, lambda: cvae_loss(cvae(x, c), x, 1.0)["loss"]),
        ("e2vid", e2vid, lambda: recon_loss(e2vid(c)[0], x)),
    ):
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def train_step(step=step, opt=opt) -> None:
            opt.zero_grad(set_to_none=True)
            step().backward()
            opt.step()

        model.train()
        result[f"{name}_train_samples_per_s"] = timed(train_step)
        model.eval()
        with torch.no_grad():
            infer = (lambda: cvae.reconstruct(c)) if name == "cvae" else (lambda: e2vid(c))
            result[f"{name}_infer_samples_per_s"] = timed(infer)
        result[f"{name}_parameters"] = sum(p.numel() for p in model.parameters())
    return result
