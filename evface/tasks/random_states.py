"""Every random generator a training draws from: seeded, and its states saved and put back.

:func:`seed_everything` seeds Python's, numpy's global and torch's generators; :func:`rng_state` /
:func:`restore_rng_state` save and restore them with the task's own generators, per rank, as
tensors and plain data, so that :func:`evface.tasks.engine.fit` checkpoints them and a run killed
and resumed ends with the weights of an uninterrupted one.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

import numpy as np
import torch

from evface.checks import as_int
from evface.errors import FormatError


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's global and torch's generators (CPU and CUDA) with the integer ``seed``
    (a ParameterError naming it otherwise: ``1.5`` met numpy's casting error, ``"3"`` Python's
    string formatting).

    Parameters
    ----------
    seed : int
        Any 64-bit integer (numpy's global generator takes it modulo 2**32).

    Examples
    --------
    >>> seed_everything(7); a = (random.random(), np.random.rand(), torch.rand(1).item())
    >>> seed_everything(7); a == (random.random(), np.random.rand(), torch.rand(1).item())
    True
    >>> seed_everything(1.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: seed must be a whole number, got 1.5
    """
    seed = as_int("seed", seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


# --------------------------------------------------------------------------- random states

RandomGenerator = torch.Generator | np.random.Generator


def _plain(value: Any) -> Any:
    """Tuples and arrays as lists, numpy scalars as Python ones: what ``weights_only`` loads."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def rng_state(generators: Mapping[str, RandomGenerator] | None = None) -> dict[str, Any]:
    """This process's random states, as tensors and plain data (a checkpoint holding them still
    loads with ``torch.load(weights_only=True)``).

    Parameters
    ----------
    generators : mapping of str to generator, optional
        The task's own generators (torch or numpy) by name, saved with the global ones.

    Returns
    -------
    dict
        ``torch``, ``cuda``, ``numpy``, ``python`` and ``generators`` states.

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> state = rng_state({"augment": g})
    >>> a = (torch.rand(1).item(), random.random(), np.random.rand(), g.random())
    >>> restore_rng_state(state, {"augment": g})
    >>> a == (torch.rand(1).item(), random.random(), np.random.rand(), g.random())
    True
    """
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": _plain(np.random.get_state(legacy=False)),
        "python": _plain(random.getstate()),
        "generators": {name: g.get_state() if isinstance(g, torch.Generator) else _plain(g.bit_generator.state)
                       for name, g in (generators or {}).items()},
    }


def restore_rng_state(state: Mapping[str, Any], generators: Mapping[str, RandomGenerator] | None = None) -> None:
    """Put back the random states of :func:`rng_state` (``generators`` are changed in place).

    Parameters
    ----------
    state : mapping
        What :func:`rng_state` returned (read back from a checkpoint).
    generators : mapping of str to generator, optional
        The task's own generators by name, each put back to its state in ``state``.

    Raises
    ------
    FormatError
        When ``state`` holds no state of one of ``generators``; nothing is put back then.

    Examples
    --------
    >>> state = rng_state()
    >>> restore_rng_state(state, {"augment": np.random.default_rng(0)})
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: checkpoint has no state of the random generator 'augment'
    """
    missing = [name for name in (generators or {}) if name not in state["generators"]]
    if missing:  # refused before any state is put back (was: the global ones restored, the task's not)
        raise FormatError(f"checkpoint has no state of the random generator {missing[0]!r}")
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    np.random.set_state(state["numpy"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    for name, g in (generators or {}).items():
        if isinstance(g, torch.Generator):
            g.set_state(state["generators"][name].cpu())
        else:
            g.bit_generator.state = state["generators"][name]
