"""The results pages mark a paired difference bold exactly where its 95 % interval excludes 0.

The project's rule: a difference is claimed only where its interval excludes zero, and then it is
shown bold. Checked on docs/classification.md's tables of paired differences (a first column
headed ``A − B``, or a column headed ``(paired)``): every ``value [lo, hi]`` or ``[lo, hi]`` there
is bold if and only if both bounds have one sign (a bound printed ``+0.0`` or ``0.0`` is zero),
and a row's label is never bold (bold means a claim, and the label holds no interval). The
two-level table's "subjects" column and verdict are left out: its verdict follows the interval
over subjects and seeds, so the narrower subject interval beside it is not a claim.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import evface

ROOT = Path(evface.__file__).parent.parent
PAGE = ROOT / "docs" / "classification.md"
NUMBER = r"[+\-−]?\d+(?:\.\d+)?"
INTERVAL = re.compile(rf"(\*\*)?((?:{NUMBER} )?\[({NUMBER}), ({NUMBER})\])(\*\*)?")
NOT_CLAIMS = {"subjects", "verdict"}
"""Column headers of the two-level table whose intervals the verdict does not rest on."""


def _value(text: str) -> float:
    """A printed number as a float (the pages print a minus sign as U+2212)."""
    return float(text.replace("−", "-"))


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table row."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _paired_tables(lines: list[str]):
    """Each table of paired differences as (header cells, [(line number, row cells)])."""
    number = 0
    while number < len(lines):
        header = _cells(lines[number]) if lines[number].startswith("|") else []
        if header and (header[0].startswith("A − B") or any("(paired)" in h for h in header)):
            rows = []
            number += 2
            while number < len(lines) and lines[number].startswith("|"):
                rows.append((number + 1, _cells(lines[number])))
                number += 1
            yield header, rows
        number += 1


def _wrong_cells(lines: list[str]) -> list[str]:
    """Every cell of a paired table whose boldness disagrees with its interval, as 'line: cell'."""
    wrong = []
    for header, rows in _paired_tables(lines):
        claims = [i for i, h in enumerate(header) if i > 0 and h not in NOT_CLAIMS]
        if not header[0].startswith("A − B"):
            claims = [i for i, h in enumerate(header) if "(paired)" in h]
        for number, cells in rows:
            if "**" in cells[0]:
                wrong.append(f"{number}: label {cells[0]!r} is bold")
            for i in claims:
                for match in INTERVAL.finditer(cells[i]):
                    low, high = _value(match[3]), _value(match[4])
                    excludes = low * high > 0
                    if excludes != bool(match[1] and match[5]):
                        wrong.append(f"{number}: {match[0]!r}")
    return wrong


def test_a_paired_difference_is_bold_exactly_where_its_interval_excludes_zero():
    wrong = _wrong_cells(PAGE.read_text(encoding="utf-8").splitlines())
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("row", "wrong"),
    [
        ("| a − b | +1.0 [+0.3, +2.4] | 1 / 2, p = 1 |", True),
        ("| a − b | **+1.0 [+0.3, +2.4]** | 1 / 2, p = 1 |", False),
        ("| a − b | **+1.0 [−0.3, +2.4]** | 1 / 2, p = 1 |", True),
        ("| a − b | +1.2 [+0.0, +2.7] | 1 / 2, p = 1 |", False),
        ("| **a − b** | +1.0 [−0.3, +2.4] | 1 / 2, p = 1 |", True),
        ("| a − b | +1.0 | 1 / 2, p = 1 |", False),
    ],
)
def test_the_check_tells_a_claim_from_none(row, wrong):
    table = ["| A − B | all | McNemar |", "|---|---|---|", row]
    assert bool(_wrong_cells(table)) is wrong
