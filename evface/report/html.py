"""The self-contained HTML report: one file, images inline, no external assets.

:func:`build_report` gathers what the run folders hold (see :mod:`evface.report.collect`) and
:func:`render_html` turns it into a page that reads on a phone and on a desktop, section by section
(:mod:`~evface.report.dataset_section`, :mod:`~evface.report.classify_section`,
:mod:`~evface.report.recon_section`, made of :mod:`~evface.report.html_parts`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from evface.checks import as_flag, as_path
from evface.errors import ParameterError, where
from evface.io.atomic_files import atomic_write_text
from evface.report.classify_section import build_classify_section
from evface.report.collect import ReportData, checked_data, checked_folders, collect
from evface.report.dataset_section import build_dataset_section
from evface.report.html_parts import PAPER, html_table
from evface.report.recon_section import build_reconstruct_section
from evface.tasks.run_folder import METRICS, reading

TITLE = "<title>evface report</title>"
"""In the head of every report evface has written (:func:`render_html`): how ``report --out`` tells
an earlier report, which it replaces, from a page of someone else's (:func:`is_report`)."""

CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--accent:#2a5bd7;--bg:#fff;--soft:#f5f7fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1600px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;margin-top:1.8em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{font-size:1.05em;margin-top:1.2em}p,li{max-width:75ch}.muted{color:var(--muted);font-size:.9em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.6em 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92em}
th,td{border-bottom:1px solid var(--line);padding:.35em .7em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}thead th{background:var(--soft)}
tr.paper td{color:var(--muted);font-style:italic}
img{max-width:100%;height:auto}.grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{margin:0;flex:1 1 300px}.grid figure.wide{flex-basis:100%}
figcaption{font-size:.85em;color:var(--muted)}
details{background:var(--soft);border-radius:6px;padding:.4em .8em;margin:.5em 0}pre{white-space:pre-wrap;font-size:.8em}
nav a{margin-right:1em;color:var(--accent);text-decoration:none}
"""


def build_report(run_dirs: Sequence[str | Path], out: str | Path, replace: bool = True) -> Path:
    """Collect ``run_dirs`` and write the report to ``out`` (atomically; with ``replace`` False a
    :class:`FileExistsError` where a file with something in it is at ``out`` by then,
    :func:`~evface.io.atomic_files.atomic_write`). Returns ``out``.

    A run whose ``metrics.json`` the page cannot show (a received file evface did not write that
    way: a key of another type) is one :class:`FormatError` naming that file; nothing is written.

    Parameters
    ----------
    run_dirs : list or tuple of str or Path
        ``evface run`` outputs, training runs and evaluations (:func:`~evface.report.collect.collect`);
        at least one.
    out : str or Path
        The HTML file to write.
    replace : bool
        Whether a file already at ``out`` may be replaced.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ParameterError
        Where ``run_dirs`` names no folder (was: a page of its title only), or an argument is of
        the wrong kind (``out`` no path or a folder, ``replace`` not True or False), before any run
        is read.

    Examples
    --------
    >>> build_report([], "report.html")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: run_dirs names no run: give at least one run, evaluation or dataset folder
    """
    out, replace = as_path("out", out), as_flag("replace", replace)
    run_dirs = checked_folders(run_dirs)
    if out.is_dir():  # was an IsADirectoryError, once every run was read
        raise ParameterError(where(out, "is a folder: give the report's file name (out), e.g. report.html"))
    if not run_dirs:
        raise ParameterError("run_dirs names no run: give at least one run, evaluation or dataset folder")
    data = collect(run_dirs)
    try:
        page = render_html(data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ParameterError):  # ParameterError: a
        # figure of a received file that is no number, which the figure formats refuse naming no file
        _name_the_malformed_run(data)
        raise  # no single run's files explain it: a bug
    atomic_write_text(out, page, replace)
    return out


def is_report(path: str | Path) -> bool:
    """Whether the file ``path`` is a report evface wrote (its :data:`TITLE` in the first 4 kB);
    False where ``path`` is no file (a folder, nothing).

    Parameters
    ----------
    path : str or Path
        A file (a path: a number or anything else is a ParameterError naming ``path``).

    Returns
    -------
    bool

    Examples
    --------
    >>> _ = Path("notes.html").write_text("<html><title>my notes</title></html>")
    >>> is_report("notes.html")
    False
    >>> _ = Path("report.html").write_text(f"<!DOCTYPE html><html><head>{TITLE}</head></html>")
    >>> is_report("report.html")
    True
    """
    path = as_path("path", path)  # True or 0 opened, then closed, this process's stdout or stdin
    if not path.is_file():  # a folder was an IsADirectoryError
        return False
    with open(path, "rb") as fh:
        return TITLE.encode() in fh.read(4096)


def _name_the_malformed_run(data: ReportData) -> None:
    """Render each run alone; the first that fails is a :class:`FormatError` naming its ``metrics.json``."""
    bare = replace(data, classify=[], reconstruct=[], comparisons=[], event_sensor_comparisons=[],
                   sensor_comparisons=[])
    for task in ("classify", "reconstruct"):
        for run in getattr(data, task):
            with reading(Path(run["dir"]) / METRICS):
                alone: dict[str, Any] = {task: [run]}
                render_html(replace(bare, **alone))


def render_html(data: ReportData) -> str:
    """The whole report page as a string.

    Parameters
    ----------
    data : ReportData
        What :func:`~evface.report.collect.collect` read.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> data = ReportData(run_dirs=[], generated="2026-01-01 00:00 UTC", versions={"evface": "0.1"})
    >>> page = render_html(data)
    >>> page.startswith("<!DOCTYPE html>"), "No classification runs found." in page
    (True, True)
    """
    data = checked_data(data)
    sections = [build_dataset_section(data), build_classify_section(data), build_reconstruct_section(data),
                _provenance_section(data)]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{TITLE}<style>{CSS}</style></head>
<body><main>
<h1>evface report</h1>
<p class="muted">evface {html.escape(data.versions.get("evface", "?"))} · generated {html.escape(data.generated)} ·
runs: {html.escape(", ".join(str(r) for r in data.run_dirs))}</p>
{_left_out(data.left_out)}<nav><a href="#dataset">Dataset</a><a href="#classification">Classification</a><a href="#reconstruction">Reconstruction</a><a href="#provenance">Configs</a></nav>
{"".join(sections)}
</main></body></html>
"""


def _left_out(left_out: list[str]) -> str:
    """The stages ``evface run`` left out, and why, under the page's title (none: nothing)."""
    if not left_out:
        return ""
    return f'<p class="muted">Stages left out by evface run: {html.escape("; ".join(left_out))}.</p>'


def _provenance_section(data: ReportData) -> str:
    items = "".join(
        f"<details><summary>{html.escape(name)}</summary><pre>{html.escape(json.dumps(cfg, indent=2, sort_keys=True))}</pre></details>"
        for name, cfg in data.configs.items()
    )
    versions = html_table(["package", "version"], [[html.escape(k), html.escape(v)] for k, v in sorted(data.versions.items())])
    return f'<section id="provenance"><h2>Configs and versions</h2>{items}<h3>Versions</h3>{versions}<p class="muted">Paper figures: {html.escape(PAPER["source"])}.</p></section>'
