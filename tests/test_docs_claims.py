"""Claims of the docs pages that can be checked against the code or against themselves.

**Signatures.** A function quoted with its parameters' names, ``where(path, message)``, names
parameters the function has, in its order: a renamed parameter leaves a page that sends a reader
to a keyword the function refuses. Checked: every inline code span ``name(a, b, c=...)`` or
``Class.method(a, ...)`` whose first item is a parameter's name in lower case (a call with a value
first, ``read_clip("c.h5")``, ``synthesize(OUT, ...)``, ``iter_events_file(..., sort=True)``, is
an example, not a signature), where ``name`` is a function, class or method defined in ``evface``
(any of that name; one taking ``**kwargs`` takes any other name). reliability.md is left out: its
calls give bad values on purpose, named for what they hold (``Denoise(size, nan)``).

**Paired differences.** The docs pages mark a paired difference bold exactly where its 95 %
interval excludes 0. The project's rule: a difference is claimed only where its interval excludes zero, and then it is
shown bold. Checked on every docs page's tables of paired differences. A table is one when a
header cell or a row's label is a difference, ``A − B`` (a minus sign U+2212 between spaces), or a
header says ``(paired)``:

- a first header cell that is a difference (``A − B``, ``CVAE − method``) makes every row a
  difference: every column holds claims but those of :data:`NOT_CLAIMS` and those whose header
  sets two scores side by side (``CVAE / UNet SSIM``: a ``/``, not a ``−``);
- otherwise only the columns headed by a difference (``hd − lr, face``) or ``(paired)``, and the
  rows whose label is a difference (``CVAE − UNet``), hold claims.

Every ``value [lo, hi]`` or ``[lo, hi]`` in a claim cell is bold if and only if both bounds have
one sign (a bound printed ``+0.0``, ``0.000`` or ``−0.0`` is zero, so the interval includes 0),
and a row's label is never bold (bold means a claim, and the label holds no interval). Tables of
scores (one method's value with its interval) name no difference and are not checked: their
intervals are not claims of a difference. The two-level tables' "subjects" column and verdict are
left out: the verdict follows the interval over subjects and seeds (or trainings), so the narrower
subject interval beside it is not a claim.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import evface

ROOT = Path(evface.__file__).parent.parent
DOCS = ROOT / "docs"
PAGES_WITH_PAIRED_TABLES = ("classification.md", "reconstruction.md", "camera-models.md")
"""The pages that hold tables of paired differences (every docs page is checked)."""
NUMBER = r"[+\-−]?\d+(?:\.\d+)?"
INTERVAL = re.compile(rf"(?:{NUMBER} )?\[({NUMBER}), ({NUMBER})\]")
DIFFERENCE = " − "
NOT_CLAIMS = {"subjects", "verdict"}
"""Column headers of the two-level tables whose intervals the verdict does not rest on."""


def _value(text: str) -> float:
    """A printed number as a float (the pages print a minus sign as U+2212)."""
    return float(text.replace("−", "-"))


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table row."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(lines: list[str]):
    """Each Markdown table as (header cells, [(line number, row cells)])."""
    number = 0
    while number < len(lines):
        if lines[number].startswith("|") and number + 1 < len(lines) and "---" in lines[number + 1]:
            header, rows = _cells(lines[number]), []
            number += 2
            while number < len(lines) and lines[number].startswith("|"):
                rows.append((number + 1, _cells(lines[number])))
                number += 1
            yield header, rows
        number += 1


def _claim_columns(header: list[str]) -> tuple[set[int], set[int]]:
    """The columns holding a difference in every row, and those holding none in any row."""
    scores = {i for i, h in enumerate(header) if i == 0 or h in NOT_CLAIMS or " / " in h}
    if DIFFERENCE in header[0]:
        return set(range(len(header))) - scores, scores
    return {i for i, h in enumerate(header) if DIFFERENCE in h or "(paired)" in h}, scores


def _claim_cells(lines: list[str]):
    """Each row of a paired table as (line number, label, [cells holding claims])."""
    for header, rows in _tables(lines):
        columns, scores = _claim_columns(header)
        for number, cells in rows:
            label = cells[0]
            if DIFFERENCE in label.replace("**", ""):
                claims = [c for i, c in enumerate(cells) if i not in scores]
            elif columns:
                claims = [c for i, c in enumerate(cells) if i in columns]
            else:
                continue
            yield number, label, claims


def _intervals(cell: str):
    """Each interval of a cell as (printed text, low, high, bold); bold spans ``**`` pairs."""
    for index, part in enumerate(cell.split("**")):
        for match in INTERVAL.finditer(part):
            yield match[0], _value(match[1]), _value(match[2]), index % 2 == 1


def _wrong_cells(lines: list[str]) -> list[str]:
    """Every cell of a paired table whose boldness disagrees with its interval, as 'line: cell'."""
    wrong = []
    for number, label, claims in _claim_cells(lines):
        if "**" in label:
            wrong.append(f"{number}: label {label!r} is bold")
        for cell in claims:
            for text, low, high, bold in _intervals(cell):
                if (low * high > 0) != bold:
                    wrong.append(f"{number}: {text!r}" + (" (bold)" if bold else ""))
    return wrong


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_a_paired_difference_is_bold_exactly_where_its_interval_excludes_zero(page):
    wrong = _wrong_cells((DOCS / page).read_text(encoding="utf-8").splitlines())
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES_WITH_PAIRED_TABLES)
def test_the_pages_paired_tables_are_found(page):
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    assert any(INTERVAL.search(" ".join(claims)) for _, _, claims in _claim_cells(lines))


@pytest.mark.parametrize(
    ("table", "wrong"),
    [
        (["| A − B | all | McNemar |", "| a − b | +1.0 [+0.3, +2.4] | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | **+1.0 [+0.3, +2.4]** | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| a − b | **+1.0 [−0.3, +2.4]** | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | +1.2 [+0.0, +2.7] | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| a − b | +1.2 [−0.0, +2.7] | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| **a − b** | +1.0 [−0.3, +2.4] | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | +1.0 | p = 1 |"], False),
        # bold over two intervals of one cell, "face / active": each is bold
        (["| A − B | all |", "| a − b | **+1.0 [+0.3, +2.4] / +0.4 [−0.1, +0.9]** |"], True),
        (["| A − B | all |", "| a − b | **+1.0 [+0.3, +2.4]** / +0.4 [−0.1, +0.9] |"], False),
        # a difference named by the first header cell: every column but a score pair ("/")
        (["| CVAE − UNet | bright | CVAE / UNet |", "| seed 1 | +0.01 [+0.00, +0.02] | 0.8 |"], False),
        (["| CVAE − UNet | bright | CVAE / UNet |", "| seed 1 | +0.01 [+0.01, +0.02] | 0.8 |"], True),
        (["| CVAE − UNet | bright | CVAE / UNet |", "| mean | +0.01 | 0.8 [0.7, 0.9] / 0.8 |"], False),
        # a difference named by a column's header: that column only
        (["| method | face | hd − lr |", "| CVAE | 0.8 [0.7, 0.9] | +0.08 [+0.07, +0.09] |"], True),
        (["| method | face | hd − lr |", "| CVAE | 0.8 [0.7, 0.9] | **+0.08 [+0.07, +0.09]** |"], False),
        # a difference named by a row's label: that row only
        (["| | face |", "| CVAE | **0.98 [0.97, 0.99]** |", "| CVAE − UNet | **−0.1 [−0.2, +0.1]** |"], True),
        (["| | face |", "| CVAE | **0.98 [0.97, 0.99]** |", "| CVAE − UNet | −0.1 [−0.2, +0.1] |"], False),
        # scores only: not a paired table
        (["| method | face |", "| CVAE | 0.98 [0.97, 0.99] |"], False),
    ],
)
def test_the_check_tells_a_claim_from_none(table, wrong):
    separator = "|" + "---|" * len(_cells(table[0]))
    assert bool(_wrong_cells([table[0], separator, *table[1:]])) is wrong


SIGNATURE = re.compile(r"(?<!`)`((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)\(([^()`]*)\)`(?!`)")
"""An inline code span of one call, ``module.name(...)`` or ``Class.method(...)``, not inside ``double``."""
PARAMETER = re.compile(r"^([a-z_][a-z0-9_]*)(?:=.*)?$")
"""An item of a quoted signature: a parameter's name, with or without a default."""
CALLS_ON_PURPOSE = {"reliability.md"}
"""Pages whose calls give bad values on purpose (variables named for what they hold)."""


def _parameters(node: ast.FunctionDef | ast.ClassDef) -> tuple[list[str], bool]:
    """A function's parameters in order (``self`` and ``cls`` left out; a class's ``__init__``'s, or
    a dataclass's fields) and whether it takes ``**kwargs``."""
    if isinstance(node, ast.ClassDef):
        init = next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
        if init is not None:
            return _parameters(init)
        return [b.target.id for b in node.body if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name)], False
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.arg not in ("self", "cls")]
    return names, args.kwarg is not None


def _signatures() -> dict[str, list[tuple[list[str], bool]]]:
    """Every function, class and method of ``evface`` by name (a method also as ``Class.method``)."""
    found: dict[str, list[tuple[list[str], bool]]] = {}
    for path in sorted((ROOT / "evface").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found.setdefault(node.name, []).append(_parameters(node))
            if isinstance(node, ast.ClassDef):
                for method in (b for b in node.body if isinstance(b, ast.FunctionDef)):
                    for name in (method.name, f"{node.name}.{method.name}"):
                        found.setdefault(name, []).append(_parameters(method))
    return found


SIGNATURES = _signatures()


def _fits(names: list[str], parameters: list[str], kwargs: bool) -> bool:
    """Whether ``names`` are parameters of a function of ``parameters`` (and ``**kwargs``), in its order."""
    at = -1
    for name in names:
        if name not in parameters:
            if not kwargs:
                return False
            continue
        if parameters.index(name) < at:
            return False
        at = parameters.index(name)
    return True


def wrong_signatures(text: str, signatures: dict = SIGNATURES) -> list[str]:
    """Each signature quoted in ``text`` that no function of its name has, as 'line: span'."""
    wrong = []
    for match in SIGNATURE.finditer(text):
        owner = match[1].rstrip(".").split(".")[-1]
        name = f"{owner}.{match[2]}" if owner[:1].isupper() else match[2]
        items = [PARAMETER.match(item.strip()) for item in " ".join(match[3].split()).split(",")]
        if name not in signatures or not all(items) or "=" in match[3].split(",")[0]:
            continue  # not evface's, or a call with values
        if not any(_fits([item[1] for item in items], *found) for found in signatures[name]):
            wrong.append(f"{text.count(chr(10), 0, match.start()) + 1}: {match[0]}")
    return wrong


@pytest.mark.parametrize("page", sorted(p.name for p in [*DOCS.glob("*.md"), ROOT / "README.md"]
                                        if p.name not in CALLS_ON_PURPOSE))
def test_a_quoted_signature_names_the_functions_parameters(page):
    path = ROOT / "README.md" if page == "README.md" else DOCS / page
    wrong = wrong_signatures(path.read_text(encoding="utf-8"))
    assert not wrong, f"{page} quotes parameters the function does not have:\n" + "\n".join(wrong)


def test_the_signature_check_tells_a_signature_from_a_call():
    signatures = {"where": [(["path", "message"], False)], "Lighting.lux_at": [(["t_us"], False)],
                  "preset": [(["name"], True)], "read_clip": [(["path", "sensors", "frames"], False)]}
    assert wrong_signatures("`where(path, msg)` and `Lighting.lux_at(t)`", signatures) == [
        "1: `where(path, msg)`", "1: `Lighting.lux_at(t)`"]
    assert wrong_signatures("`where(message, path)`", signatures) == ["1: `where(message, path)`"]
    assert wrong_signatures("`where(path, message)`, `evface.errors.where(path)`, `where(path,\nmessage)`",
                            signatures) == []
    assert wrong_signatures('`read_clip("c.h5")`, `read_clip(OUT, frames=True)`, `read_clip(..., sort=True)`, '
                            "`read_clip(frames=[...])`, ``read_clip(clip)``, `other(x)`", signatures) == []
    assert wrong_signatures("`preset(name, field=value)`, `read_clip(path, frames=True)`", signatures) == []
