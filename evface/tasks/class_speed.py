"""The classifier's speed: training samples/s of the SNN on each input kind and of its ANN twin,
on random inputs, for ``evface bench train`` (:func:`throughput`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch

from evface.checks import as_int, within_memory
from evface.errors import ParameterError
from evface.inputs.classify import InputSpec
from evface.models.snn import build
from evface.tasks import random_states
from evface.tasks.class_run import net_config
from evface.tasks.class_training import loss_of
from evface.tasks.configs import ClassifyConfig


TRAIN_BYTES_PER_INPUT_BYTE = 40
"""The memory a training step of :func:`throughput` takes per byte of its float32 input batch (the
activations kept for the backward pass: about 31 for the default SNN, measured)."""


def throughput(inputs: Sequence[str] = ("events", "rgb"), batch_size: int = ClassifyConfig.batch_size,
               time_steps: int = ClassifyConfig.time_steps, size: int = ClassifyConfig.size, steps: int = 5,
               n_classes: int = 7, seed: int = 0) -> dict[str, Any]:
    """Training samples per second (forward, TET loss, backward, optimiser step) on random inputs.

    The default network of :class:`ClassifyConfig`: the SNN on each input kind, and its ANN twin
    on the first. Returns ``{"<input>_train_samples_per_s": ..., "<input>_ann_train_samples_per_s",
    "batch_size", "time_steps", "size", "width", "threads"}``; the first step of each model is a
    warm-up and is not timed. ``steps`` and ``batch_size`` are integers of at least 1 (a
    ParameterError naming them; ``steps=0`` was a ZeroDivisionError), ``inputs`` a list of input
    kinds, and a training step's memory (:data:`TRAIN_BYTES_PER_INPUT_BYTE`) is checked against the
    machine's before anything is allocated.

    Examples
    --------
    >>> throughput("events")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: inputs must be a list of input kinds, got the string 'events' (give ('events',))
    >>> throughput(batch_size=10**9)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: batch_size 1,000,000,000 of 4 x 2 x 64 x 64 inputs (a training step) takes about 4882812.5 GiB, more than half of this machine's ... GiB; give a smaller batch_size or size
    """
    steps, batch_size = as_int("steps", steps, 1), as_int("batch_size", batch_size, 1)
    if isinstance(inputs, str):  # was: its letters taken as input kinds ("not 'e'")
        raise ParameterError(f"inputs must be a list of input kinds, got the string {inputs!r} (give ({inputs!r},))")
    if not inputs:  # was: an IndexError
        raise ParameterError("inputs names no input kind; give e.g. ('events',)")
    cfg = ClassifyConfig(time_steps=time_steps, size=size)
    channels = max(InputSpec(kind=kind, time_steps=time_steps, size=size).channels for kind in inputs)
    # was: torch's allocator error, or the process killed part way through the step
    within_memory(TRAIN_BYTES_PER_INPUT_BYTE * 4 * batch_size * time_steps * channels * size**2,
                  f"batch_size {batch_size:,} of {time_steps} x {channels} x {size} x {size} inputs (a training step)",
                  "give a smaller batch_size or size")
    random_states.seed_everything(seed)
    out: dict[str, Any] = {"batch_size": batch_size, "time_steps": time_steps, "size": size, "width": cfg.width,
                           "threads": torch.get_num_threads()}
    runs = [(kind, "snn") for kind in inputs] + [(inputs[0], "ann")]
    for kind, model_kind in runs:
        spec = InputSpec(kind=kind, time_steps=time_steps, size=size)
        model = build(model_kind, net_config(replace(cfg, input=kind), n_classes))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(seed)
        x = torch.rand(batch_size, time_steps, spec.channels, size, size, generator=g) * (3 if kind == "events" else 1)
        y = torch.randint(0, n_classes, (batch_size,), generator=g)
        elapsed = 0.0
        for step in range(steps + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_of(model(x), y, cfg.loss).backward()
            opt.step()
            if step:
                elapsed += time.perf_counter() - t0
        name = kind if model_kind == "snn" else f"{kind}_ann"
        out[f"{name}_train_samples_per_s"] = steps * batch_size / elapsed
    return out
