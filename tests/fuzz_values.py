"""What the API sweeps share (``tests/test_fuzz_api.py``, ``tests/test_fuzz_api_tasks.py``): the
hostile values each argument is replaced with (:func:`hostile_values`), the property a call must
keep (:func:`outcome`) and the sweep of a list of callables in a memory-capped child
(:func:`sweep`)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evface.errors import EventsError, EvfaceError
from evface.events import core

from fuzz_children import limit_memory, peak_mb

Calls = dict[str, tuple[Callable[..., Any], dict[str, Any]]]
"""``name: (callable, baseline arguments)``."""


@dataclass(frozen=True)
class Kinds:
    """Callables whose results :func:`outcome` checks further, by name."""

    elementwise: frozenset[str] = field(default_factory=frozenset)
    """Their array follows the shape of the (first) array given (a scalar gives a 0-D array), and its float type."""
    non_negative: frozenset[str] = field(default_factory=frozenset)
    """Their arrays hold counts or weights: a negative value is a wrong result."""


def numbers(value: Any) -> np.ndarray:
    """The numbers of a result as one float64 array, so that :func:`outcome` checks a result that is no
    array: a dict's or list's (flattened, in order), a number's, a tensor's values; what is no number
    (text, None) is left out."""
    if hasattr(value, "detach"):  # a torch tensor (torch is not imported here)
        return value.detach().double().numpy()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        parts = [numbers(v).ravel() for v in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(value, (bool, int, float, np.number, np.ndarray)):
        return np.asarray(value, np.float64)
    return np.zeros(0)


def events() -> np.ndarray:
    """Six valid events on a sensor of 8x6 (``test_fuzz_api.SIZE``)."""
    return core.make_events([0, 10, 20, 30, 40, 50], [0, 1, 2, 3, 7, 4], [0, 1, 2, 3, 5, 2], [1, -1, 1, 1, -1, 1])


def bad_events() -> dict[str, np.ndarray]:
    """Events arrays that break the data model, each by one thing."""
    unsorted, off, zero = events()[::-1].copy(), events(), events()
    off["x"][2] = 100
    zero["p"][1] = 0
    tonic = np.zeros(3, [("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])
    return {"events unsorted": unsorted, "events off the sensor": off, "events of polarity 0": zero,
            "events in Tonic's field order": tonic, "events 2-D": np.zeros((2, 2), core.EVENT_DTYPE),
            "events big-endian": events().astype(core.EVENT_DTYPE.newbyteorder(">"))}


def hostile_values() -> dict[str, Any]:
    """What each argument is replaced with, by label."""
    read_only, frozen_frame = events(), np.full((6, 8), 200.0)
    read_only.flags.writeable = frozen_frame.flags.writeable = False
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "0": 0, "-1": -1, "-0.5": -0.5, "1.5": 1.5,
            "10**30": 10**30, "2**63": 2**63, "True": True, "text": "x", "None": None,
            "empty float array": np.array([]), "float array": np.zeros(3), "2-D int array": np.ones((6, 8), np.int64),
            "2-D NaN frame": np.full((6, 8), np.nan, np.float32), "3-D array": np.ones((2, 6, 8)),
            "complex array": np.zeros(3, complex), "frame non-contiguous": np.full((6, 16), 200.0)[:, ::2],
            "frame read-only": frozen_frame, "float16 frame": np.full((6, 8), 200, np.float16),
            "uint8 frame": np.full((6, 8), 200, np.uint8), "bool frame": np.ones((6, 8), bool), "events non-contiguous": np.repeat(events(), 2)[::2],
            "events read-only": read_only, "no events": core.empty_events(), **bad_events(),
            "events at the int64 ends": core.make_events([-2**63, 0, 2**63 - 1], [0, 1, 2], [0, 1, 2], [1, -1, 1]),
            "size (0, 0)": (0, 0), "size (10**9, 10**9)": (10**9, 10**9), "size of 3": (1, 2, 3),
            "size (65536, 1)": (65536, 1), "size (1, 65536)": (1, 65536)}


def _events_valid(kwargs: dict[str, Any]) -> bool:
    """Whether every events array among ``kwargs`` is valid (a result then must be too)."""
    for value in kwargs.values():
        if isinstance(value, np.ndarray) and value.dtype.names:
            try:
                core.validate_events(value)
            except EventsError:
                return False
    return True


def _wrong_result(name: str, ref: Any, out: Any, kwargs: dict[str, Any], kinds: Kinds) -> str | None:
    """What is wrong with ``out`` given the baseline's ``ref``, or None."""
    if not isinstance(ref, np.ndarray):
        return None
    if name in kinds.elementwise and isinstance(out, np.ndarray) and out.dtype.kind == ref.dtype.kind:
        ref = np.empty(np.shape(next(iter(kwargs.values()))), out.dtype)  # float16 in, float16 out
    if not isinstance(out, np.ndarray) or out.dtype != ref.dtype or out.ndim != ref.ndim:
        return f"returned {type(out).__name__} {getattr(out, 'dtype', '')} {np.shape(out)}, baseline {ref.dtype} {ref.shape}"
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        return "returned NaN or infinity"
    if name in kinds.non_negative and out.size and out.min() < 0:
        return "returned a negative count"
    if out.dtype == core.EVENT_DTYPE and _events_valid(kwargs):
        try:
            core.validate_events(out)
        except EventsError as exc:
            return f"returned invalid events: {exc}"
    return None


def _named(exc: Exception, param: str, value: Any) -> bool:
    """Whether the message of ``exc`` names the argument ``param`` or its value."""
    message = str(exc)
    return param in message or (not isinstance(value, np.ndarray) and repr(value)[:30] in message)


def outcome(name: str, call: Callable[..., Any], ref: Any, kwargs: dict[str, Any], param: str,
            kinds: Kinds = Kinds()) -> str | None:
    """None when ``call(**kwargs)`` keeps the property, else what went wrong."""
    before = {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    try:
        problem = _wrong_result(name, ref, call(**kwargs), kwargs, kinds)
    except EvfaceError:
        problem = None
    except (TypeError, ValueError) as exc:
        problem = None if _named(exc, param, kwargs[param]) else f"{type(exc).__name__} naming nothing: {exc}"
    except Exception as exc:  # noqa: BLE001 - the property: nothing else
        problem = f"{type(exc).__name__}: {str(exc)[:300]}"
    changed = [k for k, v in before.items() if v.tobytes() != kwargs[k].tobytes()]
    return problem or (f"changed {changed} in place" if changed else None)


def sweep(make_calls: Callable[[], Calls], peak_limit_mb: float, kinds: Kinds = Kinds()) -> None:
    """In a child process: every argument of every callable that ``make_calls()`` lists (called
    once the memory is capped) replaced by each hostile value; fails listing every call that broke
    :func:`outcome`, or when the child's peak memory passes ``peak_limit_mb``."""
    limit_memory()
    warnings.simplefilter("ignore")
    failures = []
    for name, (call, baseline) in make_calls().items():
        ref = call(**baseline)
        for param in baseline:
            for label, value in hostile_values().items():
                print(f"{name}({param}={label})", flush=True)  # the last line the parent sees if the child dies
                problem = outcome(name, call, ref, {**baseline, param: value}, param, kinds)
                if problem:
                    failures.append(f"{name}({param}={label}): {problem}")
        assert peak_mb() < peak_limit_mb, f"{name}: peak memory {peak_mb():.0f} MB"
    assert not failures, "\n".join(failures)
