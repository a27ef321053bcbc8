"""The pieces every section of the report is made of: tables, counts, images, intervals and run names,
escaped, with the paper's figures the sections quote."""

from __future__ import annotations

import base64
import html
from typing import Any

from evface.errors import counted
from evface.tasks.figure_format import few_subjects, fixed, fixed_interval, one_lighting
from evface.tasks.stats import describe_difference

PAPER = {
    "classify": {"events": 51.23, "rgb": 23.12},
    "reconstruct": {"ssim": 0.8513, "psnr": 26.89},
    "source": "Mastropasqua et al., ICCV 2025 Workshops, arXiv 2508.11988",
}


def embedded_image(data: bytes, alt: str, mime: str = "image/png") -> str:
    """An ``<img>`` holding ``data`` itself (base64), so the page needs no other file; ``alt`` escaped.

    >>> embedded_image(b"GIF", "a <face>", "image/gif")
    '<img alt="a &lt;face&gt;" src="data:image/gif;base64,R0lG">'
    """
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _excludes_zero(ci: Any) -> bool:
    """Whether the interval ``ci`` excludes 0 (finite, and clear of it by more than rounding):
    the one test of every bold difference on the page (:func:`~evface.tasks.stats.describe_difference`)."""
    return describe_difference("A", "B", ci).endswith(" higher")


def count_text(value: Any, noun: str | None = None, plural: str | None = None) -> str:
    """A count from a run's files (clips, subjects, samples, epochs): ``–`` when absent; anything but
    a whole number is a ``TypeError`` (:func:`~evface.report.html.build_report` names the run's file), never markup. With
    ``noun``, the count and the noun in its number (:func:`~evface.errors.counted`).

    >>> count_text(12), count_text(None), count_text(1, "clip"), count_text(1344, "clip"), count_text(None, "clip")
    ('12', '–', '1 clip', '1,344 clips', '– clips')
    >>> count_text("<script>")
    Traceback (most recent call last):
    TypeError: expected a count, got '<script>'
    """
    if value is None:
        return "–" if noun is None else f"– {plural or noun + 's'}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a count, got {value!r}")
    return str(value) if noun is None else counted(value, noun, plural)


def cells_with_counts(grid: list[list[tuple[str, tuple[Any, Any]]]], columns: list[str],
                 unit: str) -> tuple[list[list[str]], str]:
    """Cells ``(text, (subjects, n))`` of a table with one column per lighting (``columns``), and
    the sentence saying how many subjects and ``unit`` each value rests on: once per column where
    every row of it agrees, else after each value.

    >>> cells_with_counts([[("50.0", (2, 6)), ("–", (None, None))], [("40.0", (2, 6)), ("30.0", (3, 9))]], ["bright", "dim"], "clips")
    ([['50.0', '–'], ['40.0', '30.0']], '<p>Subjects / clips tested: bright 2 / 6; dim 3 / 9.</p>')
    >>> cells_with_counts([[("50.0", (2, 6))], [("40.0", (3, 9))]], ["dim"], "clips")[0]
    [['50.0 (2 / 6)'], ['40.0 (3 / 9)']]
    """
    counts = [{cell[1] for row in grid if (cell := row[k])[1] != (None, None)} for k in range(len(columns))]
    if all(len(c) <= 1 for c in counts):
        said = "; ".join(f"{html.escape(col)} {count_text(s)} / {count_text(n)}" for col, c in zip(columns, counts) for s, n in c)
        return [[text for text, _ in row] for row in grid], (f"<p>Subjects / {unit} tested: {said}.</p>" if said else "")
    cells = [[text + (f" ({count_text(s)} / {count_text(n)})" if (s, n) != (None, None) else "") for text, (s, n) in row]
             for row in grid]
    return cells, f"<p>After each value, in brackets: the subjects / {unit} it rests on.</p>"


def html_table(head: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """A scrolling table: ``head`` escaped here, the cells of ``rows`` markup already escaped by the
    caller, each row of class ``row_classes[k]`` where given."""
    classes = row_classes or [""] * len(rows)
    body = "".join(
        f'<tr class="{c}">' + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row, c in zip(rows, classes)
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def escaped_run_name(run: dict[str, Any]) -> str:
    """A run's name in a table, with its dataset's where the report has several (“RUN on DATASET”), escaped."""
    return html.escape(run["name"] + (f" on {run['data_label']}" if run.get("data_label") else ""))


def tested_run_name(run: dict[str, Any]) -> str:
    """A run's name at the head of its "Tested:" words: :func:`escaped_run_name`, but the name alone for an
    evaluation on another dataset, whose words name that dataset (was "EV on d2: scored on /path/d2 ...",
    the dataset named twice)."""
    return html.escape(run["name"]) if run.get("elsewhere") else escaped_run_name(run)


def few_subjects_note(runs: list[dict[str, Any]], coverage: str) -> str:
    """:func:`~evface.tasks.figure_format.few_subjects` for the fewest subjects a run of ``runs`` tested."""
    counts = [n for r in runs if isinstance(n := r["metrics"].get("n_subjects"), int) and n > 1]
    note = few_subjects(min(counts), coverage) if counts else None
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def one_lighting_note(lightings: list[str]) -> str:
    """:func:`~evface.tasks.figure_format.one_lighting` as a paragraph, where the runs' clips are of one lighting."""
    note = one_lighting(lightings)
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def signed_difference(d: dict[str, Any], digits: int, scale: float) -> str:
    """A paired difference with its interval: over subjects and trainings where the comparison has one."""
    if d["ci"] is None:
        return f"{fixed(d['diff'], digits, scale, '+')} (one subject: no interval)"
    ci = d.get("ci_trainings") or d["ci"]
    text = f"{fixed(d['diff'], digits, scale, '+')} {fixed_interval(ci, digits, scale, '+')}"
    return f"<b>{text}</b>" if _excludes_zero(ci) else text


def not_compared_list(comparisons: list[dict[str, Any]]) -> str:
    """The pairs of runs left unpaired (scored on other clips or samples, or a run's scores of each
    clip or sample missing), each with the reason."""
    errors = [c for c in comparisons if "error" in c]
    if not errors:
        return ""
    items = "".join(f'<li>{html.escape(c["a"])} − {html.escape(c["b"])}: {html.escape(c["error"])}</li>' for c in errors)
    return f'<p class="muted">Not compared:</p><ul class="muted">{items}</ul>'


def signed_mean(d: dict[str, Any] | None, digits: int = 4) -> str:
    """``+0.0123 [+0.0050, +0.0200]``, bold when the interval excludes zero; a mean over one
    subject (``n_clusters`` 1) has no interval."""
    if not d:
        return "–"
    if d.get("n_clusters", 2) < 2:
        return f"{fixed(d['mean'], digits, sign='+')} (one subject: no interval)"
    text = f"{fixed(d['mean'], digits, sign='+')} {fixed_interval(d['ci'], digits, sign='+')}"
    return f"<b>{text}</b>" if _excludes_zero(d["ci"]) else text
