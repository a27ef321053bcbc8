"""Figures as evface writes them: a value or an interval to a fixed number of decimals, never
``-0.00``, ``n/a (not finite)`` for NaN or infinity (:func:`number` at the root of every one), each
classification metric's decimals (:data:`FIGURES`), and the sentences that stand beside a table:
one lighting (:func:`one_lighting`), intervals over few subjects (:func:`few_subjects`). The report,
``evface compare``, ``evface eval`` and ``evface train`` all format through this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evface.checks import as_int, as_real, is_number
from evface.errors import ParameterError, counted

FEW_SUBJECTS = 10
"""Below this many subjects (two or more) the report and ``evface compare`` say that the subject
bootstrap's intervals are too narrow (:func:`few_subjects`)."""
CLASSIFY_COVERAGE = "docs/classification.md: 88 % with 3 subjects, 90 % with 6"
RECON_COVERAGE = "docs/reconstruction.md: 74 % with 3 subjects, 84 % with 6"
"""Where the coverage of a subject-bootstrap interval over few subjects is documented, and its figures."""


NOT_FINITE = "n/a (not finite)"
"""How a value or interval that is NaN or infinite is shown, and the verdict of a difference with such an interval."""


_SIGN = re.compile(r"^((?:.?[<>=^])?[-+ ]?)z?")
"""A format spec's fill, alignment and sign: where the ``z`` option goes (Python 3.11)."""


def number(value: float, spec: str) -> str:
    """``value`` formatted by ``spec`` (a float format: ``f``, ``e``, ``g``, ``%``), or :data:`NOT_FINITE`
    where it is NaN or infinite; a negative value that rounds to zero reads as zero (``+0.00`` with a
    sign, ``0.00`` without: never ``-0.00``, which reads as a sign the figure does not have).

    >>> number(0.0834, "+.3f"), number(float("nan"), ".3f"), number(float("-inf"), "8.1f")
    ('+0.083', 'n/a (not finite)', 'n/a (not finite)')
    >>> number(-0.004, "+.2f"), number(-0.00004, ".4f"), number(-0.0, ">6.1f"), number(-0.006, "+.2f")
    ('+0.00', '0.0000', '   0.0', '-0.01')
    """
    value = as_number("value", value)
    if not math.isfinite(value):
        return NOT_FINITE
    if not isinstance(spec, str):
        raise ParameterError(f"spec must be a float format (such as '.3f'), got {spec!r:.80}")
    try:
        return f"{value:{_SIGN.sub(lambda m: m.group(1) + 'z', spec, count=1)}}"
    except ValueError as exc:
        raise ParameterError(f"spec {spec!r} is not a float format ({exc})") from None


def as_number(name: str, value: object) -> float:
    """``value`` as a float (NaN and infinities kept: :func:`number` shows them as
    :data:`NOT_FINITE`; an int past any float is infinite), once it is one real number, a 0-D array
    of one included; otherwise a ParameterError naming ``name`` (a bool, text or a list was
    Python's ``float()`` or format error, naming nothing).

    Examples
    --------
    >>> as_number("value", np.float32(0.5)), as_number("value", 10**400)
    (0.5, inf)
    >>> as_number("value", "0.5")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: value must be a number, got '0.5'
    """
    item = value.item() if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0 else value
    if not is_number(item):
        raise ParameterError(f"{name} must be a number, got {value!r:.80}")
    try:
        return float(item)
    except OverflowError:
        return math.inf if item > 0 else -math.inf


def checked_interval(name: str, ci: object) -> tuple[float, float]:
    """``ci`` as ``(low, high)`` floats (NaN or infinite allowed: shown as :data:`NOT_FINITE`), once it
    is two real numbers, the low one first; otherwise a ParameterError naming ``name`` (was, for an
    interval given high first: shown as given, by ``evface report`` of a received ``metrics.json``).

    Examples
    --------
    >>> checked_interval("ci", [0.1, 0.2])
    (0.1, 0.2)
    >>> checked_interval("ci", 0.1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: ci must be an interval [low, high] of two numbers, got 0.1
    >>> checked_interval("ci", [0.2, 0.1])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: ci must be an interval [low, high] of two numbers, the low one first, got [0.2, 0.1]
    """
    if isinstance(ci, (str, bytes)) or not isinstance(ci, Sequence | np.ndarray) or len(ci) != 2:
        raise ParameterError(f"{name} must be an interval [low, high] of two numbers, got {ci!r:.80}")
    try:
        lo, hi = as_number(name, ci[0]), as_number(name, ci[1])
    except ParameterError:
        raise ParameterError(f"{name} must be an interval [low, high] of two numbers, got {ci!r:.80}") from None
    if lo > hi:
        raise ParameterError(f"{name} must be an interval [low, high] of two numbers, the low one first, got {ci!r:.80}")
    return lo, hi


FIGURES = {"top1": (1, 100.0), "uf1": (3, 1.0), "uar": (3, 1.0)}
"""Each classification metric's decimals and scale as evface prints and reports it: top-1 in percent
(a difference of it in points), UF1 and UAR as fractions."""


def fixed(value: Any, digits: int = 2, scale: float = 1.0, sign: str = "") -> str:
    """``value`` (times ``scale``) to ``digits`` decimals (``sign`` "+": always signed); ``–`` when
    absent, :data:`NOT_FINITE` when NaN or infinite: a figure as the report, ``evface compare``,
    ``evface eval`` and ``evface train`` give it.

    >>> fixed(0.5123, 1, 100), fixed(0.0834, 3, sign="+"), fixed(None), fixed(float("nan"), 3)
    ('51.2', '+0.083', '–', 'n/a (not finite)')
    """
    if value is None:
        return "–"
    return number(as_number("value", value) * as_real("scale", scale, -math.inf, math.inf), f"{_sign(sign)}.{_digits(digits)}f")


def _digits(digits: object) -> int:
    return as_int("digits", digits, 0, 20)


def _sign(sign: object) -> str:
    if not isinstance(sign, str) or sign not in ("", "+"):
        raise ParameterError(f"sign must be '' or '+', got {sign!r:.80}")
    return sign


def fixed_interval(ci: Sequence[float], digits: int, scale: float = 1.0, sign: str = "") -> str:
    """An interval ``[low, high]`` formatted as :func:`fixed` formats its bounds.

    >>> fixed_interval([0.41, 0.6], 1, 100), fixed_interval([-0.012, 0.05], 3, sign="+")
    ('[41.0, 60.0]', '[-0.012, +0.050]')
    """
    scale = as_real("scale", scale, -math.inf, math.inf)
    return interval([v * scale for v in checked_interval("ci", ci)], f"{_sign(sign)}.{_digits(digits)}f")


TOUCHES_ZERO = 1e-9
"""An interval bound this close to 0 touches it (float rounding, not a difference: a metric recomputed
from the same confusion matrix in another order, UAR vs top-1 on balanced classes, differs from 0 only
by it): the threshold of :func:`~evface.tasks.stats.describe_difference`'s verdict, which
:func:`clear_digits` keeps the figures in line with."""


def clear_digits(ci: Sequence[float] | None, digits: int, scale: float = 1.0) -> int:
    """The decimals a difference with the interval ``ci`` (times ``scale``) is shown to: ``digits``, or
    more where the interval excludes 0 (a verdict names a winner, :func:`~evface.tasks.stats.describe_difference`)
    but a bound would round to 0, so that no winner is stated beside an interval that reads as
    touching 0 (was ``-0.01 [-0.02, +0.00]``, “B higher”, for ``[-0.0236, -0.0004]``); ``digits``
    where there is no interval, or it holds 0 or a bound that is not finite.

    >>> clear_digits([-0.0236, -0.0004], 2), clear_digits([0.00004, 0.03], 1, 100), clear_digits([-0.02, 0.0004], 2)
    (4, 3, 2)
    >>> clear_digits([5.6e-17, 0.107], 2), clear_digits(None, 2), clear_digits([0.5, 0.9], 1, 100)
    (2, 2, 1)
    """
    digits = _digits(digits)
    if ci is None:
        return digits
    lo, hi = checked_interval("ci", ci)
    if not np.isfinite([lo, hi]).all() or not (lo > TOUCHES_ZERO or hi < -TOUCHES_ZERO):
        return digits
    near = min(abs(lo), abs(hi)) * abs(as_real("scale", scale, -math.inf, math.inf))
    while near > 0 and digits < 20 and float(f"{near:.{digits}f}") == 0:
        digits += 1
    return digits


def with_interval(value: Any, ci: Sequence[float] | None, digits: int, scale: float = 1.0) -> str:
    """``value [low, high]`` as :func:`fixed` and :func:`fixed_interval` give them (the interval only
    when there is one).

    >>> with_interval(0.5, [0.41, 0.6], 1, 100), with_interval(0.4, None, 3)
    ('50.0 [41.0, 60.0]', '0.400')
    """
    if ci is None:
        return fixed(value, digits, scale)
    return f"{fixed(value, digits, scale)} {fixed_interval(ci, digits, scale)}"


def aligned_columns(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """The table ``rows`` (the heads first) as lines: each column as wide as its widest cell and two spaces
    apart, the columns of ``right`` (the figures) aligned on the right, the last column not padded, so that
    a long cell widens its column instead of running into the next (``evface compare``'s tables).

    Parameters
    ----------
    rows : sequence of sequence of str
        The cells, every row of as many.
    right : set of int
        The indices of the columns aligned on the right.

    Returns
    -------
    list of str

    Examples
    --------
    >>> aligned_columns([["", "metric", "A"], ["all", "top-1 %", "50.0"], ["very dim light", "top-1 %", "100.0"]], {2})
    ['                metric   A', 'all             top-1 %  50.0', 'very dim light  top-1 %  100.0']
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([cell.rjust(w) if i in right else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row[:-1], widths, strict=True))] + [row[-1]]) for row in rows]


def mean_with_interval(d: Mapping[str, Any] | None, value: Any, digits: int = 4) -> str:
    """``0.9432 [0.9389, 0.9474]``: the mean of a subject-cluster interval ``d`` (``{"mean", "ci",
    "n_clusters"}``) with its interval; ``value`` alone where there is no ``d`` (runs scored without
    one), and no interval for a mean over one subject.

    >>> mean_with_interval({"mean": 0.94321, "ci": [0.9389, 0.9474], "n_clusters": 3}, 0.9), mean_with_interval(None, 0.9)
    ('0.9432 [0.9389, 0.9474]', '0.9000')
    >>> mean_with_interval({"mean": 0.02, "ci": None, "n_clusters": 1}, 0.02)
    '0.0200 (one subject: no interval)'
    """
    if d is not None and not isinstance(d, Mapping):
        raise ParameterError(f"d must be a subject-cluster interval {{'mean', 'ci', 'n_clusters'}} or None, got {d!r:.80}")
    if not d:
        return fixed(value, digits)
    if d.get("n_clusters", 2) < 2:
        return f"{fixed(d['mean'], digits)} (one subject: no interval)"
    return f"{fixed(d['mean'], digits)} {fixed_interval(d['ci'], digits)}"


def one_lighting(lightings: Sequence[str]) -> str | None:
    """Where every clip was of the one lighting in ``lightings`` (imported recordings are all
    ``unknown``), the sentence that stands for a breakdown per lighting, which would only repeat the
    figures over all clips; None where there are several (or none).

    >>> one_lighting(["unknown"])
    'Every clip is of one lighting (unknown): no breakdown per lighting, which would repeat the figures over all clips'
    >>> one_lighting(["bright", "dim"]) is None
    True
    """
    if isinstance(lightings, str) or not isinstance(lightings, Sequence | np.ndarray):
        raise ParameterError(f"lightings must be a list of lighting names, got {lightings!r:.80}")
    if len(lightings) != 1:
        return None
    return (f"Every clip is of one lighting ({lightings[0]}): no breakdown per lighting, which would repeat the "
            "figures over all clips")


def few_subjects(n: int, coverage: str) -> str | None:
    """The caution for intervals over ``n`` subjects, 2 to :data:`FEW_SUBJECTS` - 1, or None;
    ``coverage`` names where the simulated coverage is documented.

    >>> few_subjects(3, "docs/classification.md: 88 % with 3 subjects")
    'Only 3 subjects were tested: a bootstrap over so few subjects has few distinct resamples (10 for 3) and its 95 % intervals hold the true value less often than 95 % (docs/classification.md: 88 % with 3 subjects, simulated), so read a difference stated as tentative'
    >>> few_subjects(12, "") is None
    True
    """
    if not 1 < as_int("n", n, 0) < FEW_SUBJECTS:
        return None
    return (f"Only {n} subjects were tested: a bootstrap over so few subjects has few distinct resamples "
            f"({math.comb(2 * n - 1, n)} for {n}) and its 95 % intervals hold the true value less often than 95 % "
            f"({coverage}, simulated), so read a difference stated as tentative")


def interval(ci: Sequence[float], spec: str) -> str:
    """``[low, high]``, each bound formatted by ``spec``; ``[n/a (not finite)]`` where a bound is NaN or infinite.

    >>> interval((-0.0123, 0.05), "+.3f"), interval((float("nan"), 0.05), "+.3f"), interval((-0.001, 0.01), "+.2f")
    ('[-0.012, +0.050]', '[n/a (not finite)]', '[+0.00, +0.01]')
    """
    lo, hi = checked_interval("ci", ci)
    return f"[{number(lo, spec)}, {number(hi, spec)}]" if np.isfinite([lo, hi]).all() else f"[{NOT_FINITE}]"


def unsampled_said(metrics: dict[str, Any]) -> str:
    """The clips an evaluation left unscored for want of a sample (``metrics["unsampled"]``), as
    :func:`~evface.tasks.reconstruct.figures` and the report's "Tested:" line end on them; ``""`` when every clip was scored (or
    a received file's ``unsampled`` is no record of clips).

    Parameters
    ----------
    metrics : dict
        A reconstruction run's ``metrics.json``.

    Returns
    -------
    str
        ``"; N clips not scored, without a sample: ... (a clip needs ...)"``, or ``""``.

    Examples
    --------
    >>> unsampled_said({"unsampled": {"clips": ["s03_b"], "needs": "an RGB frame after its first"}})
    '; 1 clip not scored, without a sample: s03_b (a clip needs an RGB frame after its first)'
    >>> unsampled_said({})
    ''
    """
    unsampled = metrics.get("unsampled")
    if not isinstance(unsampled, dict) or not isinstance(unsampled.get("clips"), list):
        return ""
    clips = [str(c) for c in unsampled["clips"]]
    named = ", ".join(clips[:10]) + (f" and {len(clips) - 10} more" if len(clips) > 10 else "")
    return (f"; {counted(len(clips), 'clip')} not scored, without a sample: {named} "
            f"(a clip needs {unsampled.get('needs', 'a sample')})")
