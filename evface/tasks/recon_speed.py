"""The reconstruction networks' speed: training and inference samples/s of the CVAE and the
recurrent UNet on random inputs, for ``evface bench train`` (:func:`throughput`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from evface.checks import as_int, within_memory
from evface.inputs.reconstruct import ReconSpec
from evface.models.cvae import CVAE
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_losses import cvae_loss, recon_loss
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

    Parameters
    ----------
    batch_size : int
        Samples per step.
    size : int
        Side of the square inputs, pixels.
    n_bins : int
        Event bins of the condition.
    keyframe : bool
        Whether the condition holds a keyframe channel.
    steps : int
        Timed steps of each measurement (after one warm-up step).
    base : int
        Channels of the networks' first layer.
    device : str
        The device to run on (:func:`evface.tasks.parallel.select_device`).
    seed : int
        Seed of the random inputs and weights.

    Returns
    -------
    dict
        The settings (``batch_size``, ``size``, ``n_bins``, ``keyframe``, ``base``, ``device``,
        ``threads``), then per network (``cvae``, ``e2vid``) ``NAME_train_samples_per_s``,
        ``NAME_infer_samples_per_s`` and ``NAME_parameters``.

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
    _check_memory(batch_size, c_in, size)
    random_states.seed_everything(seed)
    dev = parallel.select_device(device)
    c = torch.randn(batch_size, c_in, size, size, device=dev)
    x = torch.rand(batch_size, 1, size, size, device=dev)
    bench = _Bench(c, x, dev, steps, batch_size)
    result: dict[str, Any] = {"batch_size": batch_size, "size": size, "n_bins": n_bins, "keyframe": keyframe, "base": base,
                              "device": str(dev), "threads": torch.get_num_threads()}
    cvae = CVAE(c_in, keyframe, base, ReconstructConfig.z_channels).to(dev)
    e2vid = E2VIDRecurrent(c_in, keyframe, base).to(dev)
    result |= _model_speed("cvae", cvae, lambda: cvae_loss(cvae(x, c), x, 1.0)["loss"], lambda: cvae.reconstruct(c), bench)
    result |= _model_speed("e2vid", e2vid, lambda: recon_loss(e2vid(c)[0], x), lambda: e2vid(c), bench)
    return result


@dataclass(frozen=True)
class _Bench:
    """What every timed step runs on: the condition ``c`` and target ``x`` on ``dev``, and how many
    ``steps`` of ``batch_size`` samples to time."""

    c: torch.Tensor
    x: torch.Tensor
    dev: torch.device
    steps: int
    batch_size: int


def _check_memory(batch_size: int, c_in: int, size: int) -> None:
    """A ParameterError when a training step's inputs (:data:`TRAIN_BYTES_PER_INPUT_BYTE`) would not fit in memory."""
    # was: torch's allocator error, or the process killed part way through the step
    within_memory(TRAIN_BYTES_PER_INPUT_BYTE * 4 * batch_size * (c_in + 1) * size**2,
                  f"batch_size {batch_size:,} of {c_in + 1} x {size} x {size} inputs (a training step)",
                  "give a smaller batch_size or size")


def _model_speed(name: str, model: torch.nn.Module, loss: Callable[[], torch.Tensor], infer: Callable[[], object],
                 bench: _Bench) -> dict[str, float | int]:
    """``model``'s training samples/s (Adam steps on ``loss``), inference samples/s (``infer``
    without gradients) and number of parameters, keyed ``NAME_...``."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def train_step() -> None:
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    model.train()
    train = _samples_per_s(train_step, bench)
    model.eval()
    with torch.no_grad():
        inference = _samples_per_s(infer, bench)
    return {f"{name}_train_samples_per_s": train, f"{name}_infer_samples_per_s": inference,
            f"{name}_parameters": sum(p.numel() for p in model.parameters())}


def _samples_per_s(fn: Callable[[], object], bench: _Bench) -> float:
    """Samples per second of ``bench.steps`` calls of ``fn`` after one warm-up call (CUDA synchronised)."""
    fn()  # warm-up
    if bench.dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(bench.steps):
        fn()
    if bench.dev.type == "cuda":
        torch.cuda.synchronize()
    return bench.batch_size * bench.steps / (time.perf_counter() - t0)
