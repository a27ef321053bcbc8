"""The pieces every section of the report is made of: tables, counts, images, intervals and run names,
escaped, with the paper's figures the sections quote."""

from __future__ import annotations

import base64
import html
from typing import Any, Literal, overload

from evface.errors import ParameterError, counted
from evface.tasks.figure_format import clear_digits, few_subjects, fixed, fixed_interval, one_lighting
from evface.tasks.stats import describe_difference

PAPER: dict[str, Any] = {
    "classify": {"events": 51.23, "rgb": 23.12},
    "reconstruct": {"ssim": 0.8513, "psnr": 26.89},
    "source": "Mastropasqua et al., ICCV 2025 Workshops, arXiv 2508.11988",
}


@overload
def _text(name: str, value: object, optional: Literal[False] = False) -> str: ...
@overload
def _text(name: str, value: object, optional: bool) -> str | None: ...
def _text(name: str, value: object, optional: bool = False) -> str | None:
    """``value`` once it is text (or None where ``optional``); else a TypeError naming ``name``.
    A TypeError, not a ParameterError: a run's file that evface did not write so is named by
    :func:`~evface.report.html.build_report`, which catches it."""
    if not (isinstance(value, str) or (optional and value is None)):
        raise TypeError(f"{name} must be text{' or None' if optional else ''}, got {value!r:.80}")
    return value


def _texts(name: str, value: object) -> list[str]:
    """``value`` once it is a list (or tuple) of text; else a TypeError naming ``name``."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a list of text, got {value!r:.80}")
    return list(value)


def _record(name: str, value: object, *keys: str) -> dict[str, Any]:
    """``value`` once it is a dict holding ``keys``; else a TypeError naming ``name`` and the keys."""
    if not isinstance(value, dict) or not all(k in value for k in keys):
        raise TypeError(f"{name} must be a dict with {', '.join(map(repr, keys))}, got {value!r:.80}")
    return value


def _records(name: str, value: object, *keys: str) -> list[dict[str, Any]]:
    """``value`` once it is a list of dicts, each holding ``keys``; else a TypeError naming ``name``."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, dict) and all(k in v for k in keys) for v in value):
        raise TypeError(f"{name} must be a list of dicts with {', '.join(map(repr, keys))}, got {value!r:.80}")
    return list(value)


def embedded_image(data: bytes, alt: str, mime: str = "image/png") -> str:
    """An ``<img>`` holding ``data`` itself (base64), so the page needs no other file; ``alt`` escaped.

    Parameters
    ----------
    data : bytes
        The image file's bytes.
    alt : str
        The image's text alternative.
    mime : str
        The image's media type.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> embedded_image(b"GIF", "a <face>", "image/gif")
    '<img alt="a &lt;face&gt;" src="data:image/gif;base64,R0lG">'
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"data must be the image file's bytes, got {type(data).__name__}")
    alt, mime = _text("alt", alt), _text("mime", mime)
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _excludes_zero(ci: Any) -> bool:
    """Whether the interval ``ci`` excludes 0 (finite, and clear of it by more than rounding):
    the one test of every bold difference on the page (:func:`~evface.tasks.stats.describe_difference`)."""
    return describe_difference("A", "B", ci).endswith(" higher")


def count_text(value: Any, noun: str | None = None, plural: str | None = None) -> str:
    """A count from a run's files (clips, subjects, samples, epochs): ``–`` when absent; anything but
    a whole number is a ``TypeError`` (:func:`~evface.report.html.build_report` names the run's file), never markup. With
    ``noun``, the count and the noun in its number (:func:`~evface.errors.counted`).

    Parameters
    ----------
    value : int or None
        The count.
    noun : str, optional
        What is counted, in the singular.
    plural : str, optional
        Its plural, where not ``noun + "s"``.

    Returns
    -------
    str

    Examples
    --------
    >>> count_text(12), count_text(None), count_text(1, "clip"), count_text(1344, "clip"), count_text(None, "clip")
    ('12', '–', '1 clip', '1,344 clips', '– clips')
    >>> count_text("<script>")
    Traceback (most recent call last):
    TypeError: value must be a count (a whole number) or None, got '<script>'
    """
    noun, plural = _text("noun", noun, optional=True), _text("plural", plural, optional=True)
    if value is None:
        return "–" if noun is None else f"– {plural or noun + 's'}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"value must be a count (a whole number) or None, got {value!r:.80}")
    return str(value) if noun is None else counted(value, noun, plural)


def cells_with_counts(grid: list[list[tuple[str, tuple[Any, Any]]]], columns: list[str],
                 unit: str) -> tuple[list[list[str]], str]:
    """Cells ``(text, (subjects, n))`` of a table with one column per lighting (``columns``), and
    the sentence saying how many subjects and ``unit`` each value rests on: once per column where
    every row of it agrees, else after each value.

    Parameters
    ----------
    grid : list of list of (str, (int, int))
        One row per table row, one cell per column: its text and its (subjects, count), ``(None,
        None)`` where the cell rests on nothing.
    columns : list of str
        The lightings, one per column.
    unit : str
        What is counted (``"clips"``, ``"apex samples"``).

    Returns
    -------
    cells : list of list of str
        The cells' texts.
    sentence : str
        HTML: the paragraph saying what the values rest on.

    Examples
    --------
    >>> cells_with_counts([[("50.0", (2, 6)), ("–", (None, None))], [("40.0", (2, 6)), ("30.0", (3, 9))]], ["bright", "dim"], "clips")
    ([['50.0', '–'], ['40.0', '30.0']], '<p>Subjects / clips tested: bright 2 / 6; dim 3 / 9.</p>')
    >>> cells_with_counts([[("50.0", (2, 6))], [("40.0", (3, 9))]], ["dim"], "clips")[0]
    [['50.0 (2 / 6)'], ['40.0 (3 / 9)']]
    """
    columns, unit = _texts("columns", columns), _text("unit", unit)
    if not isinstance(grid, list | tuple) or not all(isinstance(row, list | tuple) and len(row) == len(columns) and all(
            isinstance(cell, tuple) and len(cell) == 2 and isinstance(cell[1], tuple) and len(cell[1]) == 2
            for cell in row) for row in grid):
        raise TypeError(f"grid must be rows of {len(columns)} cells (text, (subjects, count)), one per column, "
                        f"got {grid!r:.80}")
    counts = [{cell[1] for row in grid if (cell := row[k])[1] != (None, None)} for k in range(len(columns))]
    if all(len(c) <= 1 for c in counts):
        said = "; ".join(f"{html.escape(col)} {count_text(s)} / {count_text(n)}" for col, c in zip(columns, counts, strict=True) for s, n in c)
        return [[text for text, _ in row] for row in grid], (f"<p>Subjects / {unit} tested: {said}.</p>" if said else "")
    cells = [[text + (f" ({count_text(s)} / {count_text(n)})" if (s, n) != (None, None) else "") for text, (s, n) in row]
             for row in grid]
    return cells, f"<p>After each value, in brackets: the subjects / {unit} it rests on.</p>"


def html_table(head: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """A scrolling table: ``head`` escaped here, the cells of ``rows`` markup already escaped by the
    caller, each row of class ``row_classes[k]`` where given.

    Parameters
    ----------
    head : list of str
        The column headings (text).
    rows : list of list of str
        The cells (HTML).
    row_classes : list of str, optional
        One CSS class per row (was: rows past the last class left out of the table without a word).

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> html_table(["<n>"], [["1"]], ["paper"])
    '<div class="scroll"><table><thead><tr><th>&lt;n&gt;</th></tr></thead><tbody><tr class="paper"><td>1</td></tr></tbody></table></div>'
    >>> html_table(["arm"], [["events"], ["rgb"]], ["paper"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: row_classes: 1 for 2 rows
    """
    head = _texts("head", head)
    if not isinstance(rows, list | tuple) or not all(isinstance(row, list | tuple) for row in rows):
        raise TypeError(f"rows must be a list of rows of cells, got {rows!r:.80}")
    if row_classes is not None:
        row_classes = _texts("row_classes", row_classes)
    if row_classes is not None and len(row_classes) != len(rows):
        raise ParameterError(f"row_classes: {len(row_classes)} for {len(rows)} rows")
    classes = row_classes or [""] * len(rows)
    body = "".join(
        f'<tr class="{c}">' + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row, c in zip(rows, classes, strict=True)
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def escaped_run_name(run: dict[str, Any]) -> str:
    """A run's name in a table, with its dataset's where the report has several (“RUN on DATASET”), escaped.

    Parameters
    ----------
    run : dict
        A run of the report: its ``name``, and ``data_label`` where the report has several datasets.

    Returns
    -------
    str
        Escaped text.

    Examples
    --------
    >>> escaped_run_name({"name": "ev<1>", "data_label": "d2"})
    'ev&lt;1&gt; on d2'
    """
    run = _record("run", run, "name")
    label = _text("run['data_label']", run.get("data_label"), optional=True)
    return html.escape(_text("run['name']", run["name"]) + (f" on {label}" if label else ""))


def tested_run_name(run: dict[str, Any]) -> str:
    """A run's name at the head of its "Tested:" words: :func:`escaped_run_name`, but the name alone for an
    evaluation on another dataset, whose words name that dataset (was "EV on d2: scored on /path/d2 ...",
    the dataset named twice).

    Parameters
    ----------
    run : dict
        A run of the report: its ``name``, and ``data_label`` where the report has several datasets.

    Returns
    -------
    str
        Escaped text.

    Examples
    --------
    >>> tested_run_name({"name": "ev", "data_label": "d2", "elsewhere": {"data": "/path/d2"}})
    'ev'
    """
    run = _record("run", run, "name")
    return html.escape(_text("run['name']", run["name"])) if run.get("elsewhere") else escaped_run_name(run)


def few_subjects_note(runs: list[dict[str, Any]], coverage: str) -> str:
    """:func:`~evface.tasks.figure_format.few_subjects` for the fewest subjects a run of ``runs`` tested.

    Parameters
    ----------
    runs : list of dict
        Runs of the report, each with its ``metrics`` (``n_subjects``).
    coverage : str
        What the bootstrap's coverage was simulated on, as :func:`~evface.tasks.figure_format.few_subjects` takes it.

    Returns
    -------
    str
        HTML: a paragraph, or ``""`` where every run tested enough subjects (or one).

    Examples
    --------
    >>> few_subjects_note([{"metrics": {"n_subjects": 40}}], "clips")
    ''
    >>> few_subjects_note([{"metrics": {"n_subjects": 40}}, {"metrics": {"n_subjects": 3}}], "clips")
    '<p class="muted">Only 3 subjects were tested: ...</p>'
    """
    runs = _records("runs", runs, "metrics")
    counts = [n for r in runs if isinstance(n := _record("runs' metrics", r["metrics"]).get("n_subjects"), int) and n > 1]
    note = few_subjects(min(counts), coverage) if counts else None
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def one_lighting_note(lightings: list[str]) -> str:
    """:func:`~evface.tasks.figure_format.one_lighting` as a paragraph, where the runs' clips are of one lighting.

    Parameters
    ----------
    lightings : list of str
        The lightings of the runs' clips.

    Returns
    -------
    str
        HTML: a paragraph, or ``""`` with several lightings.

    Examples
    --------
    >>> one_lighting_note(["bright", "dim"])
    ''
    >>> one_lighting_note(["bright"])
    '<p class="muted">Every clip is of one lighting (bright): ...</p>'
    """
    note = one_lighting(lightings)
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def signed_difference(d: dict[str, Any], digits: int, scale: float) -> str:
    """A paired difference with its interval: over subjects and trainings where the comparison has one.

    Bold where the interval excludes zero, to the decimals it takes to read so
    (:func:`~evface.tasks.figure_format.clear_digits`).

    Parameters
    ----------
    d : dict
        ``diff``, ``ci`` (``None``: one subject) and optionally ``ci_trainings``.
    digits : int
        Decimals shown.
    scale : float
        Factor applied before showing (100 for percentage points).

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> signed_difference({"diff": 0.0123, "ci": [0.005, 0.02]}, 2, 100)
    '<b>+1.23 [+0.50, +2.00]</b>'
    >>> signed_difference({"diff": 0.0123, "ci": None}, 2, 100)
    '+1.23 (one subject: no interval)'
    >>> signed_difference({"diff": -0.0123, "ci": [-0.0236, -0.00004]}, 1, 100)
    '<b>-1.230 [-2.360, -0.004]</b>'
    """
    d = _record("d", d, "diff", "ci")
    if d["ci"] is None:
        return f"{fixed(d['diff'], digits, scale, '+')} (one subject: no interval)"
    ci = d.get("ci_trainings") or d["ci"]
    digits = clear_digits(ci, digits, scale)  # a bold interval never reads as touching 0
    text = f"{fixed(d['diff'], digits, scale, '+')} {fixed_interval(ci, digits, scale, '+')}"
    return f"<b>{text}</b>" if _excludes_zero(ci) else text


def pair_name(comparison: dict[str, Any]) -> str:
    """The name of a pair of compared runs, “A − B” (the difference the pair's figures give), escaped:
    how every section of the report names a pair.

    Parameters
    ----------
    comparison : dict
        A comparison of runs ``a`` and ``b`` (their names).

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> pair_name({"a": "events <hd>", "b": "rgb"})
    'events &lt;hd&gt; − rgb'
    """
    comparison = _record("comparison", comparison, "a", "b")
    a, b = (html.escape(_text(f"comparison[{key!r}]", comparison[key])) for key in ("a", "b"))
    return f"{a} − {b}"


def not_compared_list(comparisons: list[dict[str, Any]]) -> str:
    """The pairs of runs left unpaired (scored on other clips or samples, or a run's scores of each
    clip or sample missing), each with the reason.

    Parameters
    ----------
    comparisons : list of dict
        Comparisons of runs ``a`` and ``b``; an unpaired one has an ``error``.

    Returns
    -------
    str
        HTML: a list, or ``""`` where every pair was compared.

    Examples
    --------
    >>> not_compared_list([{"a": "ev", "b": "rgb", "error": "scored on other clips"}, {"a": "ev", "b": "lr"}])
    '<p class="muted">Not compared:</p><ul class="muted"><li>ev − rgb: scored on other clips</li></ul>'
    """
    errors = [c for c in _records("comparisons", comparisons, "a", "b") if "error" in c]
    if not errors:
        return ""
    items = "".join(f'<li>{pair_name(c)}: {html.escape(c["error"])}</li>' for c in errors)
    return f'<p class="muted">Not compared:</p><ul class="muted">{items}</ul>'


def signed_mean(d: dict[str, Any] | None, digits: int = 4) -> str:
    """``+0.0123 [+0.0050, +0.0200]``, bold when the interval excludes zero, to the decimals it takes
    to read so (:func:`~evface.tasks.figure_format.clear_digits`); a mean over one subject
    (``n_clusters`` 1) has no interval.

    Parameters
    ----------
    d : dict or None
        ``mean``, ``ci`` and ``n_clusters`` (the subjects); ``None`` or empty: no mean.
    digits : int
        Decimals shown.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> signed_mean({"mean": 0.0123, "ci": [-0.005, 0.02], "n_clusters": 5})
    '+0.0123 [-0.0050, +0.0200]'
    >>> signed_mean({"mean": 0.0123, "ci": [0.00004, 0.02], "n_clusters": 5})
    '<b>+0.01230 [+0.00004, +0.02000]</b>'
    >>> signed_mean(None)
    '–'
    """
    if d is None or (isinstance(d, dict) and not d):
        return "–"
    d = _record("d", d, "mean", "ci")
    if d.get("n_clusters", 2) < 2:
        return f"{fixed(d['mean'], digits, sign='+')} (one subject: no interval)"
    digits = clear_digits(d["ci"], digits)  # a bold interval never reads as touching 0
    text = f"{fixed(d['mean'], digits, sign='+')} {fixed_interval(d['ci'], digits, sign='+')}"
    return f"<b>{text}</b>" if _excludes_zero(d["ci"]) else text
