"""What a ``checkpoint.pt`` must hold for a training to resume from it, beyond weights that fit
(:func:`~evface.tasks.checkpoints.load_model_state`): the loop's fields as the engine writes them
(:func:`loop_fields_misfit`) and an optimiser state the first step can use (:func:`optimizer_misfit`).
A damaged or hand-edited checkpoint that ``torch.load`` reads and ``load_state_dict`` takes without a
word failed later, at the first epoch or step, with an internal error (``TypeError: can only
concatenate str``, ``RuntimeError: output with shape [3] doesn't match the broadcast shape``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from evface.checks import is_number


def loop_fields_misfit(ckpt: Mapping[str, Any]) -> list[str]:
    """The loop's fields of a checkpoint that are not what the engine writes: whole epochs
    (``epoch`` at least 0, ``best_epoch`` at least -1, ``bad_epochs`` at least 0), a ``best_score``
    that is a number or None, a ``history`` that is a list of rows (mappings) whose ``seconds`` are
    numbers, an ``optimizer`` state that is a mapping, a ``scheduler`` state that is one or None.

    >>> loop_fields_misfit({"epoch": "3", "best_epoch": 2, "bad_epochs": 0, "best_score": None,
    ...                     "history": [{"seconds": 1.5}, 7], "optimizer": {}})
    ['epoch', 'history']
    """
    history = ckpt["history"]
    fits = {"epoch": _whole(ckpt["epoch"], 0), "best_epoch": _whole(ckpt["best_epoch"], -1),
            "bad_epochs": _whole(ckpt["bad_epochs"], 0), "best_score": ckpt["best_score"] is None or is_number(ckpt["best_score"]),
            "history": isinstance(history, list) and all(isinstance(row, Mapping) and is_number(row.get("seconds", 0.0))
                                                         for row in history),
            "optimizer": isinstance(ckpt["optimizer"], Mapping),
            "scheduler": ckpt.get("scheduler") is None or isinstance(ckpt["scheduler"], Mapping)}
    return [k for k, ok in fits.items() if not ok]


def _whole(value: Any, low: int) -> bool:
    """Whether ``value`` is a Python int (not a bool) of at least ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def optimizer_misfit(optimizer: torch.optim.Optimizer, fresh: list[dict[str, Any]]) -> str:
    """What of ``optimizer``'s loaded state would fail its first step, or "": a setting that is a
    number (``lr``) or a tuple of numbers (``betas``) in the ``fresh`` groups and is not so loaded
    (:func:`_like`), or a weight's state of other keys than the others' or of a value that is neither
    None, a number nor a tensor of one element (``step``) or of the weight's shape (``exp_avg``), or
    whose elements share memory (:func:`_overlaps`)."""
    for group, before in zip(optimizer.param_groups, fresh, strict=True):
        for key, value in before.items():
            if key != "params" and not _like(group.get(key), value):
                return f"its {key} is {group.get(key)!r}"
    states = [(weight, state) for weight, state in optimizer.state.items()
              if isinstance(weight, torch.Tensor) and state]  # a state of no weight is unused
    keys = sorted({tuple(sorted(k if isinstance(k, str) else _shape_of(k) for k in state)) for _, state in states})
    if len(keys) > 1 or any(not isinstance(key, str) for _, state in states for key in state):
        return f"its weights' states hold other keys ({' and '.join(', '.join(k) for k in keys[:2])})"
    for weight, state in states:
        for key, value in state.items():
            if not (value is None or is_number(value) or isinstance(value, torch.Tensor)  # None: torch 2.1's SGD
                    and (value.numel() == 1 or value.shape == weight.shape)):         # without momentum
                return f"its {key} is {_shape_of(value)}, for a weight of shape {tuple(weight.shape)}"
            if isinstance(value, torch.Tensor) and _overlaps(value):  # the step updates it in place
                return f"its {key} is a tensor whose elements share memory (strides {value.stride()})"
    return ""


def _overlaps(tensor: torch.Tensor) -> bool:
    """Whether elements of ``tensor`` share memory (a stride of 0, or strides closer than the sizes
    below them span), which torch's in-place updates refuse.

    >>> _overlaps(torch.zeros(3, 4)), _overlaps(torch.zeros(3, 4).t()), _overlaps(torch.zeros(4).expand(3, 4))
    (False, False, True)
    """
    span = 0
    for stride, size in sorted((st, sz) for st, sz in zip(tensor.stride(), tensor.shape, strict=True) if sz > 1):
        if stride <= span:
            return True
        span += stride * (size - 1)
    return False


def _like(value: Any, fresh: Any) -> bool:
    """Whether an optimiser setting ``value`` is of the kind of ``fresh``: a number (or a tensor of
    one) where ``fresh`` is a number, a tuple of as many numbers where it is such a tuple; anything
    where it is something else (flags, None)."""
    if is_number(fresh):
        return is_number(value) or isinstance(value, torch.Tensor) and value.numel() == 1
    if isinstance(fresh, tuple) and all(is_number(v) for v in fresh):
        return isinstance(value, (tuple, list)) and len(value) == len(fresh) and all(_like(v, f) for v, f in zip(value, fresh, strict=True))
    return True


def _shape_of(value: Any) -> str:
    """A tensor's shape, or another value's type, for a message."""
    return f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else f"a {type(value).__name__}"
