"""Checks of the numbers the Python API takes: a bad one is one ParameterError naming it.

The event operations, representations and transforms, the event files, the camera models, the
face renderer, the rig's settings and the image metrics pass their parameters through these before
any work, so that ``nan``, a string, ``10**30`` or a negative size is reported by name instead of
surfacing as an overflow, a NumPy casting error or a numba typing error from inside a compiled loop.
Settings dataclasses check all their number fields at once with :func:`number_fields`. The
file readers and writers of :mod:`evface.io` take their paths through :func:`as_path`.

Examples
--------
>>> as_int("n_bins", 4.0)
4
>>> sensor_dims((346, 260))
(346, 260)
>>> as_int("period_us", float("nan"))
Traceback (most recent call last):
...
evface.errors.ParameterError: period_us must be a whole number, got nan
>>> as_int("seed", 10**23, 0)
Traceback (most recent call last):
...
evface.errors.ParameterError: seed must be at most 9223372036854775807 (2^63 - 1), got 100000000000000000000000: too large
"""

from __future__ import annotations

import dataclasses
import math
import operator
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

import numpy as np

from evface.errors import ParameterError, choose_from

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Dataclass = TypeVar("_Dataclass", bound="DataclassInstance")

INT64 = (-(2**63), 2**63 - 1)
"""The range of an event timestamp (int64 µs)."""

MAX_SENSOR_SIDE = 2**16
"""The widest sensor an events array can address (``x`` and ``y`` are uint16)."""

MAX_GRID_SIDE = 1024
"""The largest side of the square grid a model sees (``InputSpec.size``, ``ReconSpec.size``, the
tasks' ``--size``): more pixels than any event camera has across a face."""

MAX_TIME_BINS = 256
"""The most time bins of a model's input (``InputSpec.time_steps``, ``ReconSpec.n_bins``, the
tasks' ``--time-steps`` and ``--n-bins``)."""

MAX_INT = 2**31 - 1
"""The largest value of a task's integer setting without a maximum of its own (``--seed
99999999999999999999999`` and ``--batch-size`` of that size were overflow errors inside torch and
itertools), and of ``ReconSpec.step_us`` and ``ReconSpec.stride``, as ``--step-us`` and ``--stride``."""

Roi = tuple[int, int, int, int]
"""``(x0, y0, width, height)`` of a window on the full sensor array, in pixels."""


def as_int(name: str, value: object, low: int = INT64[0], high: int = INT64[1]) -> int:
    """``value`` as a Python int in ``[low, high]``; integral floats are taken, booleans are not.

    Examples
    --------
    >>> as_int("n_bins", 5.0), as_int("n_bins", np.int16(3), 1)
    (5, 3)
    >>> as_int("n_bins", 2.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n_bins must be a whole number, got 2.5
    >>> as_int("n_bins", 0, 1, 64)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n_bins must be in [1, 64], got 0
    """
    if isinstance(value, np.generic):
        value = value.item()  # shown as 1.5, not np.float64(1.5)
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ParameterError(f"{name} must be a whole number, got {value!r}")
        value = int(value)
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # any object: index() refuses a non-integer
    except TypeError:
        raise ParameterError(f"{name} must be an integer, got {value!r}") from None
    if number > high == INT64[1] and low > INT64[0]:  # the range in words (">= low") leaves this bound out
        raise ParameterError(f"{name} must be at most {high} (2^63 - 1), got {number}: too large")
    if not low <= number <= high:
        raise ParameterError(f"{name} must be {_int_range(low, high)}, got {number}")
    return number


def _int_range(low: int, high: int) -> str:
    """``low`` and ``high`` in words, leaving out a bound that is only int64's."""
    if (low, high) == INT64:
        return "an integer of at most 64 bits"
    if high == INT64[1]:
        return f">= {low}"
    return f"<= {high}" if low == INT64[0] else f"in [{low}, {high}]"


def as_real(name: str, value: object, low: float, high: float, low_open: bool = False) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``).

    Examples
    --------
    >>> as_real("fraction", 1, 0.0, 1.0)
    1.0
    >>> as_real("tau_us", 0, 0.0, math.inf, low_open=True)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: tau_us must be a finite number > 0, got 0
    """
    if isinstance(value, np.generic):
        value = value.item()
    if not is_number(value):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = math.inf
    if not (math.isfinite(number) and (number > low if low_open else number >= low) and number <= high):
        if high == math.inf:
            interval = "" if low == -math.inf else f" {'>' if low_open else '>='} {low:g}"
        else:
            interval = f" in {'(' if low_open else '['}{low:g}, {high:g}]"
        raise ParameterError(f"{name} must be a finite number{interval}, got {value!r}")
    return number


_WHOLE = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*")


def _plain(text: str) -> str | None:
    """``text`` without the spaces and tabs around it where the rest is printable ASCII, else None."""
    stripped = text.strip(" \t")
    return stripped if stripped.isascii() and stripped.isprintable() else None


def whole_number(text: str) -> int | None:
    """The whole number ``text`` writes as the command line's number options take one (typer's
    ``int``): ASCII digits, a sign, ``_`` between digits, spaces around; else None. A digit of
    another script (``'١٢'``, ``'０'``) or a superscript (``'²'``), which ``int()`` takes or refuses
    by Unicode category, a control character (``int('\\x1c5')`` is 5) and more digits than
    ``int()`` reads (4300: a ValueError) are None; the caller names its option.

    Examples
    --------
    >>> whole_number(" 12 "), whole_number("-1_000"), whole_number("+0")
    (12, -1000, 0)
    >>> [whole_number(t) for t in ("١٢", "０", "²", "\x1c5", "1.5", "0x10", "", "9" * 5000)]
    [None, None, None, None, None, None, None, None]
    """
    plain = _plain(text)
    if plain is None or not _WHOLE.fullmatch(plain):
        return None
    try:
        return int(plain)
    except ValueError:  # more digits than int() reads
        return None


def real_number(text: str) -> float | None:
    """The number ``text`` writes as the command line's number options take one (typer's
    ``float``: ``1.5``, ``-2e3``, ``1_000``, spaces around; ``nan`` and ``inf`` too, which the caller's
    range check refuses), else None: digits of another script and control characters, which
    ``float()`` takes, are None.

    Examples
    --------
    >>> real_number(" 0.5 "), real_number("1e3"), real_number("١٢"), real_number("\x1c5"), real_number("")
    (0.5, 1000.0, None, None, None)
    """
    plain = _plain(text)
    if plain is None:
        return None
    try:
        return float(plain)
    except ValueError:
        return None


MAX_SOURCE_DATE_EPOCH = 253402300799
"""The last second ``SOURCE_DATE_EPOCH`` may name (9999-12-31 23:59:59 UTC): ``datetime`` goes no further."""


def source_date_epoch(environ: dict[str, str] | os._Environ = os.environ) -> int | None:
    """The seconds since 1970-01-01 UTC that ``SOURCE_DATE_EPOCH`` gives (the reproducible-builds
    convention: the instant a reproducible output dates itself by), None where it is unset or
    blank (as Python's ``py_compile`` reads it). Anything but ASCII digits (spaces around them
    allowed) giving 0 to :data:`MAX_SOURCE_DATE_EPOCH` is a ParameterError naming the variable and
    its value.

    Examples
    --------
    >>> source_date_epoch({"SOURCE_DATE_EPOCH": " 1700000000 "}), source_date_epoch({"SOURCE_DATE_EPOCH": ""})
    (1700000000, None)
    >>> source_date_epoch({"SOURCE_DATE_EPOCH": "1.5"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: SOURCE_DATE_EPOCH='1.5': not a whole number of seconds since 1970-01-01 UTC; give 0 to 253402300799, or unset it
    """
    value = environ.get("SOURCE_DATE_EPOCH", "")
    digits = value.strip()
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12 and int(digits) <= MAX_SOURCE_DATE_EPOCH):
        raise ParameterError(f"SOURCE_DATE_EPOCH={value!r:.80}: not a whole number of seconds since 1970-01-01 UTC; "
                             f"give 0 to {MAX_SOURCE_DATE_EPOCH}, or unset it")
    return int(digits)


def as_flag(name: str, value: object) -> bool:
    """``value`` as a bool: ``True`` or ``False`` (a NumPy bool too), nothing else.

    A flag is not read by truth value: ``"no"`` or ``"false"`` would be true, ``2`` or ``None``
    taken silently.

    Examples
    --------
    >>> as_flag("binary", np.bool_(True))
    True
    >>> as_flag("binary", "no")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: binary must be True or False, got 'no'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_path(name: str, value: object) -> Path:
    """``value`` as a :class:`~pathlib.Path`: a ``str``, an ``os.PathLike`` or ``bytes`` (a name as
    the operating system gives it, decoded as :func:`os.fsdecode` does, as Python decodes ``sys.argv``).

    Examples
    --------
    >>> as_path("path", b"rec.raw"), as_path("path", b"take\\xff.h5") == Path(os.fsdecode(b"take\\xff.h5"))
    (PosixPath('rec.raw'), True)
    >>> as_path("path", 3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: path must be a file path (str, bytes or os.PathLike), got 3
    """
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise ParameterError(f"{name} must be a file path (str, bytes or os.PathLike), got {value!r}")
    return Path(os.fsdecode(value))


def as_box(name: str, value: object) -> tuple[float, ...]:
    """``value`` as a box ``(x, y, width, height)`` of four finite numbers with a positive size.

    Examples
    --------
    >>> as_box("face_box", (10, 20, 0, 5))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: face_box must be x, y, width, height with a positive size, got (10, 20, 0, 5)
    """
    problem = ParameterError(f"{name} must be x, y, width, height with a positive size, got {value!r}")
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        raise problem
    try:
        box = tuple(as_real(name, v, -math.inf, math.inf) for v in value)
    except ParameterError:
        raise problem from None
    if min(box[2:]) <= 0:
        raise problem
    return box


def numbers(params: object, *names: str) -> None:
    """A ParameterError unless each field ``names`` of the dataclass ``params`` holds a number (or
    None where its default is None); the class checks the ranges in its own words (a string or
    ``None`` met a comparison's TypeError there).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Options:
    ...     fps: float = 200.0
    ...     rgb_fps: float | None = None
    >>> numbers(Options(), "fps", "rgb_fps")
    >>> numbers(Options(fps="200"), "fps")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: fps must be a number, got '200'
    """
    defaults = {f.name: f.default for f in dataclasses.fields(params)}  # type: ignore[arg-type]  # a dataclass's
    for name in names:
        value = getattr(params, name)
        if value is None and defaults[name] is None:
            continue
        if not is_number(value.item() if isinstance(value, np.generic) else value):
            raise ParameterError(f"{name} must be a number, got {value!r}")


def number_fields(params: object, low: float = 0.0) -> None:
    """Check every number field of a dataclass ``params`` by the type of its default.

    A field whose default is an int must hold an integer, a float a finite number, and a tuple
    of numbers a tuple of as many; each at least ``low``; a ``*_range`` pair must not run
    backwards. Other fields (names, nested settings) are left to the class. The name in a message
    is ``Class.field`` (``Class.field[i]`` for a tuple's item); ``low=-math.inf`` takes any finite number.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class P:
    ...     rate_hz: float = 1.0
    ...     size_range: tuple[int, int] = (1, 4)
    >>> number_fields(P(size_range=(5, 2)))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: P.size_range (5, 2) runs backwards: the low end exceeds the high end
    """
    for f in dataclasses.fields(params):  # type: ignore[arg-type]  # a dataclass's
        name, value, default = f"{type(params).__name__}.{f.name}", getattr(params, f.name), f.default
        if is_number(default):
            _field_number(name, value, default, low)
        elif isinstance(default, tuple) and default and all(is_number(d) for d in default):
            if not isinstance(value, tuple) or len(value) != len(default):
                raise ParameterError(f"{name} must be a tuple of {len(default)} numbers, got {value!r}")
            for i, (v, d) in enumerate(zip(value, default, strict=True)):
                _field_number(f"{name}[{i}]", v, d, low)
            if f.name.endswith("_range") and value[0] > value[-1]:
                raise ParameterError(f"{name} {value} runs backwards: the low end exceeds the high end")


def with_fields(params: _Dataclass, overrides: Mapping[str, Any]) -> _Dataclass:
    """A copy of the dataclass ``params`` with the fields ``overrides`` names set (a preset's
    overrides); a name that is no field of its class is a ParameterError naming it and listing the
    fields.

    Parameters
    ----------
    params : dataclass instance
        The settings to start from.
    overrides : mapping of str to Any
        Field names and their new values.

    Returns
    -------
    dataclass instance
        A copy of ``params``, of its class, with those fields replaced.

    Examples
    --------
    >>> from dataclasses import make_dataclass
    >>> P = make_dataclass("P", [("rate_hz", float, 1.0)], frozen=True)
    >>> with_fields(P(), {"rate_hz": 2.0})
    P(rate_hz=2.0)
    >>> with_fields(P(), {"rate": 2.0, "hz": 1})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown P field(s) 'hz', 'rate'; choose from rate_hz
    """
    known = {f.name for f in dataclasses.fields(params)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ParameterError(f"unknown {type(params).__name__} field(s) {', '.join(map(repr, unknown))}; "
                             f"{choose_from(sorted(known))}")
    return dataclasses.replace(params, **overrides)


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether ``value`` is a Python int or float and not a bool (``True`` is an int to Python, and
    JSON's ``true`` is read as one, but neither is a number a user gave).

    Parameters
    ----------
    value : object
        Anything: a setting, a field of a received JSON file.

    Returns
    -------
    bool
        True for an int or a float (NaN and infinities included), False for a bool, a NumPy scalar,
        text, ``None`` or anything else.

    Examples
    --------
    >>> [is_number(v) for v in (3, 0.5, float("nan"), True, "3", None, np.float32(0.5))]
    [True, True, True, False, False, False, False]
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field_number(name: str, value: object, default: int | float, low: float) -> None:
    if isinstance(default, int):
        as_int(name, value, math.ceil(low))
    else:
        as_real(name, value, low, math.inf)


def real_dtype(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` hold real numbers: booleans, integers or floats (not complex
    numbers, text or objects).

    Examples
    --------
    >>> real_dtype(np.dtype(np.uint8)), real_dtype(np.dtype(bool)), real_dtype(np.dtype(complex))
    (True, True, False)
    """
    return np.issubdtype(dtype, np.bool_) or np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)


def real_array(name: str, values: object) -> np.ndarray:
    """``values`` as a float64 array, once they are real numbers (booleans, integers or floats:
    :func:`real_dtype`); otherwise a ParameterError naming ``name`` (a structured or complex array
    was numpy's ``Cannot cast array data ...``, a ragged list numpy's "inhomogeneous shape").

    Examples
    --------
    >>> real_array("values", [1, 2]).tolist()
    [1.0, 2.0]
    >>> real_array("values", ["a"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: values must hold real numbers, got <U1 (1,)
    """
    try:
        a = np.asarray(values)
    except ValueError:  # a ragged list
        a = np.asarray(values, dtype=object)
    if not real_dtype(a.dtype):
        raise ParameterError(f"{name} must hold real numbers, got {a.dtype} {a.shape}")
    return a.astype(np.float64)


def finite(name: str, array: np.ndarray, need: str) -> np.ndarray:
    """``array`` unchanged when all its values are finite; else a ParameterError naming ``name``,
    how many values are NaN or infinite, and ``need`` (what needs them finite).

    A NaN passes every comparison and casts to an arbitrary integer, so it would otherwise come
    out as a plausible wrong number (a frame chosen, a flow computed from zeros).

    Examples
    --------
    >>> finite("gray", np.array([0.5, np.nan, np.inf]), "the apex search needs finite frames")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: gray holds 2 of 3 values that are not finite numbers (NaN or infinity); the apex search needs finite frames
    """
    bad = array.size - int(np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ParameterError(f"{name} holds {bad} of {array.size} values that are not finite numbers (NaN or infinity); "
                             f"{need}")
    return array


def within_memory(need: int, what: str, advice: str) -> None:
    """A ParameterError when ``need`` bytes would take more than half of this machine's memory.

    Checked before anything is allocated: numpy would raise a ``MemoryError``, or the system kill
    the process part way through filling the array. The message reads "``what`` takes about X
    GiB, more than half of this machine's Y GiB; ``advice``".

    Examples
    --------
    >>> within_memory(2**70, "the frames", "give fewer n_bins")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the frames takes about 1099511627776.0 GiB, more than half of this machine's ... GiB; give fewer n_bins
    """
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > memory / 2:
        raise ParameterError(f"{what} takes about {need / 2**30:.1f} GiB, more than half of this machine's "
                             f"{memory / 2**30:.0f} GiB; {advice}")


def sensor_dims(sensor_size: object, name: str = "sensor_size", limit: int = MAX_SENSOR_SIDE) -> tuple[int, int]:
    """``(width, height)`` as ints, each in ``[1, limit]`` (by default the uint16 coordinates' range;
    a file writer passes a larger ``limit`` and names its format's own).

    Examples
    --------
    >>> sensor_dims([346.0, 260])
    (346, 260)
    >>> sensor_dims((1280,))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: sensor_size must be (width, height), got (1280,)
    >>> sensor_dims((0, 720), "roi")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: roi width must be in [1, 65536], got 0
    """
    width: object
    height: object
    try:
        width, height = sensor_size  # type: ignore[misc]  # any object: one that is no pair is refused below
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be (width, height), got {sensor_size!r}") from None
    return as_int(f"{name} width", width, 1, limit), as_int(f"{name} height", height, 1, limit)


def checked_roi(roi: object, sensor_size: object, shown: str | None = None) -> Roi:
    """``roi`` ``(x0, y0, width, height)`` as ints, a non-empty window inside the ``sensor_size``
    array; a ParameterError naming it (as ``shown``, by default its value) otherwise.

    Examples
    --------
    >>> checked_roi((-64, 0, 32, 32), (64, 48))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: roi (-64, 0, 32, 32) does not fit the 64x48 sensor
    """
    width, height = sensor_dims(sensor_size)
    shown = shown if shown is not None else repr(roi)
    x0: object
    y0: object
    w: object
    h: object
    try:
        x0, y0, w, h = roi  # type: ignore[misc]  # any object: one that is no 4-tuple is refused below
    except (TypeError, ValueError):
        raise ParameterError(f"roi {shown}: expected (x0, y0, width, height)") from None
    x0, y0, w, h = (as_int(f"roi {name}", v) for name, v in zip(("x0", "y0", "width", "height"), (x0, y0, w, h), strict=True))
    if w <= 0 or h <= 0 or x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
        raise ParameterError(f"roi {shown} does not fit the {width}x{height} sensor")
    return (x0, y0, w, h)


__all__ = ["INT64", "MAX_GRID_SIDE", "MAX_SENSOR_SIDE", "MAX_TIME_BINS", "Roi", "as_box", "as_flag", "as_int", "as_real", "checked_roi", "finite", "number_fields", "numbers",
           "real_dtype", "sensor_dims", "within_memory"]
