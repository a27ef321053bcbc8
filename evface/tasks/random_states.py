"""Every random generator a training draws from: seeded, and its states saved and put back.

:func:`seed_everything` seeds Python's, numpy's global and torch's generators; :func:`rng_state` /
:func:`restore_rng_state` save and restore them with the task's own generators, per rank, as
tensors and plain data, so that :func:`evface.tasks.engine.fit` checkpoints them and a run killed
and resumed ends with the weights of an uninterrupted one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evface.checks import as_int
from evface.errors import FormatError, train_again


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


def restore_rng_state(state: Mapping[str, Any], generators: Mapping[str, RandomGenerator] | None = None,
                      checkpoint: str | Path | None = None) -> None:
    """Put back the random states of :func:`rng_state` (``generators`` are changed in place).

    Every state is tried on a generator of its kind first (:func:`check_rng_state`), so that a
    malformed one is refused before any state is put back.

    Parameters
    ----------
    state : mapping
        What :func:`rng_state` returned (read back from a checkpoint).
    generators : mapping of str to generator, optional
        The task's own generators by name, each put back to its state in ``state``.
    checkpoint : str or Path, optional
        The file ``state`` was read from, which an error names (else "checkpoint").

    Raises
    ------
    FormatError
        When ``state`` holds no state of one of ``generators``, or a state that is not one
        :func:`rng_state` saves (another type, length or dtype, a key missing); nothing is put back then.

    Examples
    --------
    >>> state = rng_state()
    >>> restore_rng_state(state, {"augment": np.random.default_rng(0)})
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: checkpoint has no state of the random generator 'augment'
    >>> restore_rng_state({**state, "torch": state["torch"].float()}, checkpoint="run/checkpoint.pt")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: run/checkpoint.pt: its torch random state is not one evface saves (TypeError: RNG state must be a torch.ByteTensor); train the run again in a new --out folder
    """
    check_rng_state(state, generators, checkpoint)
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    np.random.set_state(state["numpy"])
    random.setstate(_python_state(state["python"]))
    for name, g in (generators or {}).items():
        if isinstance(g, torch.Generator):
            g.set_state(state["generators"][name].cpu())
        else:
            g.bit_generator.state = state["generators"][name]


def check_rng_state(state: Any, generators: Mapping[str, RandomGenerator] | None = None,
                    checkpoint: str | Path | None = None) -> None:
    """Refuse random states that :func:`restore_rng_state` could not put back whole: each is tried on a
    new generator of its kind (Python's, numpy's, torch's and each of ``generators``').

    Parameters
    ----------
    state : object
        What a checkpoint holds as one process's random states.
    generators : mapping of str to generator, optional
        The task's own generators by name, whose states ``state`` must hold.
    checkpoint : str or Path, optional
        The file ``state`` was read from, which an error names (else "checkpoint").

    Raises
    ------
    FormatError
        One line naming ``checkpoint`` and the state.

    Examples
    --------
    >>> check_rng_state(rng_state())
    >>> check_rng_state({**rng_state(), "python": [3, [0, 1], None]}, checkpoint="best.pt")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: best.pt: its Python random state is not one evface saves (ValueError: state vector is the wrong size); train the run again in a new --out folder
    """
    source = f"{checkpoint if checkpoint is not None else 'checkpoint'}:"
    if not isinstance(state, Mapping) or not isinstance(state.get("generators"), Mapping):
        raise FormatError(f"{source} its random states are not those evface saves (a {type(state).__name__} without a mapping "
                          f"'generators'); {train_again()}")
    missing = [name for name in (generators or {}) if name not in state["generators"]]
    if missing:  # refused before any state is put back (was: the global ones restored, the task's not)
        raise FormatError(f"{source.rstrip(':') if checkpoint is None else source} has no state of the random "
                          f"generator {missing[0]!r}")
    for what, value, trial in _trials(state, generators or {}):
        try:
            if value is _MISSING:
                raise FormatError(f"{source} has no {what} random state; {train_again()}")
            trial(value)
        except (TypeError, ValueError, IndexError, KeyError, RuntimeError, AttributeError, OverflowError) as exc:
            said = str(exc).splitlines()[0] if str(exc) else ""
            raise FormatError(f"{source} its {what} random state is not one evface saves ({type(exc).__name__}: "
                              f"{said}); {train_again()}") from None


_MISSING = object()


def _trials(state: Mapping[str, Any], generators: Mapping[str, RandomGenerator]) -> Iterator[tuple[str, Any, Any]]:
    """Each random state of ``state`` (:data:`_MISSING` where absent): its name, its value and a
    function that puts it into a new generator of its kind, raising as :func:`restore_rng_state` would."""
    yield "torch", state.get("torch", _MISSING), lambda s: torch.Generator().set_state(s.cpu())
    yield "cuda", state.get("cuda", _MISSING), _check_cuda_states
    yield "numpy", state.get("numpy", _MISSING), lambda s: np.random.RandomState().set_state(s)
    yield "Python", state.get("python", _MISSING), lambda s: random.Random().setstate(_python_state(s))
    for name, g in generators.items():
        yield f"generator {name!r}", state["generators"][name], _generator_trial(g)


def _check_cuda_states(states: Any) -> None:
    """Raise a TypeError unless ``states`` is a list of byte tensors (one per GPU; put back only where
    the GPUs are there, so not tried on one)."""
    if not isinstance(states, list) or not all(isinstance(s, torch.Tensor) and s.dtype == torch.uint8 for s in states):
        raise TypeError("not a list of byte tensors")


def _generator_trial(g: RandomGenerator) -> Any:
    """A function that puts a state into a new generator of the kind of ``g`` (raising as ``g`` would)."""
    if isinstance(g, torch.Generator):
        return lambda s: torch.Generator(device=g.device).set_state(s.cpu())
    return lambda s: setattr(type(g.bit_generator)(), "state", s)


def _python_state(saved: Any) -> tuple[Any, ...]:
    """Python's random state as :func:`random.setstate` takes it, from the lists a checkpoint holds."""
    version, internal, gauss = saved
    return version, tuple(internal), gauss
