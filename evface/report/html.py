"""The self-contained HTML report: one file, images inline, no external assets.

:func:`build_report` gathers what the run folders hold (see :mod:`evface.report.collect`) and
:func:`render_html` turns it into a page that reads on a phone and on a desktop.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from evface.errors import counted
from evface.io.dataset import atomic_write_text
from evface.report.collect import ReportData, collect
from evface.tasks.run_folder import METRICS, reading
from evface.tasks.figure_format import (CLASSIFY_COVERAGE, FIGURES, RECON_COVERAGE, few_subjects, fixed, fixed_interval,
                                        mean_with_interval, number, one_lighting, with_interval)
from evface.tasks.stats import describe_difference

PAPER = {
    "classify": {"events": 51.23, "rgb": 23.12},
    "reconstruct": {"ssim": 0.8513, "psnr": 26.89},
    "source": "Mastropasqua et al., ICCV 2025 Workshops, arXiv 2508.11988",
}

FIGURE_CAPTIONS = {
    "apex.png": ": a few test clips at the apex, one column per method, and the target.",
    "horizon.png": (": SSIM and PSNR against the horizon, each point the mean over the samples of its bin, without "
                    "an interval: a gap between two curves is not tested (the paired tables above are)."),
}
"""What a reconstruction run's figures show, after the run's name (a figure of another name: the name alone)."""

LEVELS_ONLY = ('<p class="muted">Mean SSIM without intervals: a difference between two methods here is not '
               "tested (the paired differences above are, over the face and in the active regions).</p>")

TITLE = "<title>evface report</title>"
"""In the head of every report evface has written (:func:`render_html`): how ``report --out`` tells
an earlier report, which it replaces, from a page of someone else's (:func:`is_report`)."""

MAX_IMPORT_WARNINGS = 20
"""The import warnings the report lists (the rest are counted)."""
RECORDED_REGIONS = ("regions of a recording are placed by the synthetic face model's geometry in its detected face "
                    "box: take their scores as approximate (docs/import-guide.md, 1.7)")

METRIC_NAMES = {"top1": "top-1", "uf1": "UF1", "uar": "UAR"}

CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--accent:#2a5bd7;--bg:#fff;--soft:#f5f7fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:16px}
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


def build_report(run_dirs: list[str | Path], out: str | Path) -> Path:
    """Collect ``run_dirs`` and write the report to ``out`` (atomically). Returns ``out``.

    A run whose ``metrics.json`` the page cannot show (a received file evface did not write that
    way: a key of another type) is one :class:`FormatError` naming that file; nothing is written.
    """
    out = Path(out)
    data = collect([Path(d) for d in run_dirs])
    try:
        page = render_html(data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        _name_the_malformed_run(data)
        raise  # no single run's files explain it: a bug
    atomic_write_text(out, page)
    return out


def is_report(path: str | Path) -> bool:
    """Whether the file ``path`` is a report evface wrote (its :data:`TITLE` in the first 4 kB).

    >>> _ = Path("notes.html").write_text("<html><title>my notes</title></html>")
    >>> is_report("notes.html")
    False
    >>> _ = Path("report.html").write_text(f"<!DOCTYPE html><html><head>{TITLE}</head></html>")
    >>> is_report("report.html")
    True
    """
    with open(path, "rb") as fh:
        return TITLE.encode() in fh.read(4096)


def _name_the_malformed_run(data: ReportData) -> None:
    """Render each run alone; the first that fails is a :class:`FormatError` naming its ``metrics.json``."""
    bare = replace(data, classify=[], reconstruct=[], comparisons=[], event_sensor_comparisons=[],
                   sensor_comparisons=[])
    for task in ("classify", "reconstruct"):
        for run in getattr(data, task):
            with reading(Path(run["dir"]) / METRICS):
                render_html(replace(bare, **{task: [run]}))


def _img(data: bytes, alt: str, mime: str = "image/png") -> str:
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _excludes_zero(ci: Any) -> bool:
    """Whether the interval ``ci`` excludes 0 (finite, and clear of it by more than rounding):
    the one test of every bold difference on the page (:func:`~evface.tasks.stats.describe_difference`)."""
    return describe_difference("A", "B", ci).endswith(" higher")


def _count(value: Any, noun: str | None = None, plural: str | None = None) -> str:
    """A count from a run's files (clips, subjects, samples, epochs): ``–`` when absent; anything but
    a whole number is a ``TypeError`` (:func:`build_report` names the run's file), never markup. With
    ``noun``, the count and the noun in its number (:func:`~evface.errors.counted`).

    >>> _count(12), _count(None), _count(1, "clip"), _count(1344, "clip"), _count(None, "clip")
    ('12', '–', '1 clip', '1,344 clips', '– clips')
    >>> _count("<script>")
    Traceback (most recent call last):
    TypeError: expected a count, got '<script>'
    """
    if value is None:
        return "–" if noun is None else f"– {plural or noun + 's'}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a count, got {value!r}")
    return str(value) if noun is None else counted(value, noun, plural)


def _with_counts(grid: list[list[tuple[str, tuple[Any, Any]]]], columns: list[str],
                 unit: str) -> tuple[list[list[str]], str]:
    """Cells ``(text, (subjects, n))`` of a table with one column per lighting (``columns``), and
    the sentence saying how many subjects and ``unit`` each value rests on: once per column where
    every row of it agrees, else after each value.

    >>> _with_counts([[("50.0", (2, 6)), ("–", (None, None))], [("40.0", (2, 6)), ("30.0", (3, 9))]], ["bright", "dim"], "clips")
    ([['50.0', '–'], ['40.0', '30.0']], '<p>Subjects / clips tested: bright 2 / 6; dim 3 / 9.</p>')
    >>> _with_counts([[("50.0", (2, 6))], [("40.0", (3, 9))]], ["dim"], "clips")[0]
    [['50.0 (2 / 6)'], ['40.0 (3 / 9)']]
    """
    counts = [{cell[1] for row in grid if (cell := row[k])[1] != (None, None)} for k in range(len(columns))]
    if all(len(c) <= 1 for c in counts):
        said = "; ".join(f"{html.escape(col)} {_count(s)} / {_count(n)}" for col, c in zip(columns, counts) for s, n in c)
        return [[text for text, _ in row] for row in grid], (f"<p>Subjects / {unit} tested: {said}.</p>" if said else "")
    cells = [[text + (f" ({_count(s)} / {_count(n)})" if (s, n) != (None, None) else "") for text, (s, n) in row]
             for row in grid]
    return cells, f"<p>After each value, in brackets: the subjects / {unit} it rests on.</p>"


def _table(head: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    classes = row_classes or [""] * len(rows)
    body = "".join(
        f'<tr class="{c}">' + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row, c in zip(rows, classes)
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def render_html(data: ReportData) -> str:
    """The whole report page as a string."""
    sections = [_dataset_section(data), _classify_section(data), _reconstruct_section(data), _provenance_section(data)]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{TITLE}<style>{CSS}</style></head>
<body><main>
<h1>evface report</h1>
<p class="muted">evface {html.escape(data.versions.get("evface", "?"))} · generated {html.escape(data.generated)} ·
runs: {html.escape(", ".join(str(r) for r in data.run_dirs))}</p>
<nav><a href="#dataset">Dataset</a><a href="#classification">Classification</a><a href="#reconstruction">Reconstruction</a><a href="#provenance">Configs</a></nav>
{"".join(sections)}
</main></body></html>
"""


def _run_name(run: dict[str, Any]) -> str:
    """A run's name in a table, with its dataset's where the report has several (“RUN on DATASET”), escaped."""
    return html.escape(run["name"] + (f" on {run['data_label']}" if run.get("data_label") else ""))


def _tested_name(run: dict[str, Any]) -> str:
    """A run's name at the head of its "Tested:" words: :func:`_run_name`, but the name alone for an
    evaluation on another dataset, whose words name that dataset (was "EV on d2: scored on /path/d2 ...",
    the dataset named twice)."""
    return html.escape(run["name"]) if run.get("elsewhere") else _run_name(run)


def _dataset_section(data: ReportData) -> str:
    """Each dataset of the report: one as "Dataset"; several each under its label, with its runs."""
    if not data.datasets:
        return '<section id="dataset"><h2>Dataset</h2><p>No dataset found in these runs.</p></section>'
    if len(data.datasets) == 1:
        return f'<section id="dataset"><h2>Dataset</h2>{_dataset(data.datasets[0], "h3")}</section>'
    parts = ['<section id="dataset"><h2>Datasets</h2><p>The runs of this report were scored on '
             f"{len(data.datasets)} datasets; each row of the tables below names its own (“RUN on DATASET”).</p>"]
    for ds in data.datasets:
        runs = ", ".join(ds["runs"]) or "none"
        parts.append(f'<h3>{html.escape(ds["label"])}</h3><p>{html.escape(ds["root"])}; runs scored on it: '
                     f"{html.escape(runs)}.</p>{_dataset(ds, 'h4')}")
    return "".join(parts) + "</section>"


def _dataset(ds: dict[str, Any], h: str) -> str:
    """One dataset's summary (:func:`~evface.report.collect.dataset_summary`), its headings ``h``."""
    if ds.get("missing"):
        return f"<p>{html.escape(ds['root'])}: no longer there, so not summarised.</p>"
    parts = [
        f'<p>{html.escape(ds["description"])}</p>',
        f'<p>{_count(ds["n_clips"], "clip")}, {_count(ds["n_subjects"], "subject")}, classes {", ".join(map(html.escape, ds["labels"]))}.</p>',
        _class_counts(ds, h),
    ]
    parts.append(_import_record(ds.get("import"), h))
    if ds.get("event_table"):
        parts.append(_event_counts(ds, h))
    if ds.get("variation"):
        parts.append(f"<{h}>What varies from clip to clip</{h}>")
        parts.append(_table(["quantity", "unit", "clips", "min", "median", "max"],
                            [[html.escape(c) for c in row] for row in ds["variation"]]))
    figs = []
    if ds.get("identity_grid"):
        figs.append(f'<figure class="wide">{_img(ds["identity_grid"], "identities")}<figcaption>{_count(ds["n_identities"], "identity", "identities")}: '
                    "each subject's first RGB frame" + (", with its head yaw and pitch" if ds.get("identity_poses") else "")
                    + ".</figcaption></figure>")
    if ds.get("box_grid"):
        clips = _count(ds["n_clips"], "clip")
        shown = f"{ds['n_boxes']} of the dataset's {clips}" if ds["n_boxes"] < ds["n_clips"] else f"the dataset's {clips}"
        figs.append(f'<figure class="wide">{_img(ds["box_grid"], "face boxes")}<figcaption>The face box of {shown}, '
                    "each at its apex (the import warned of those marked !, shown first): training crops every input "
                    "to it, so check that each shows the face.</figcaption></figure>")
    if ds.get("face_grid"):
        figs.append(f'<figure class="wide">{_img(ds["face_grid"], "sample faces")}<figcaption>RGB frames at the apex, one per class (columns)'
                    + ("" if one_lighting(ds["lightings"]) else " and lighting (rows)") + ".</figcaption></figure>")
    if ds.get("animation"):
        figs.append(f'<figure>{_img(ds["animation"], "event vs RGB animation", "image/gif")}<figcaption>{html.escape(ds["animation_caption"])}</figcaption></figure>')
    if ds.get("rate_plot"):
        figs.append(f'<figure>{_img(ds["rate_plot"], "event rate")}<figcaption>Event rate over one clip, per sensor and polarity.</figcaption></figure>')
    parts.append(f'<div class="grid">{"".join(figs)}</div>')
    return "".join(parts)


def _class_counts(ds: dict[str, Any], h: str) -> str:
    """The table of a dataset's clips per class and lighting; where every clip is of one lighting
    (imported recordings), its clips per class and the lighting said once (:func:`_one_lighting`)."""
    counts = ds["counts"]
    totals = [str(sum(counts.get(label, {}).values())) for label in ds["labels"]]
    if one_lighting(ds["lightings"]):
        return (f"<{h}>Clips per class</{h}>{_one_lighting(ds['lightings'])}"
                + _table(["class", "clips"], [[html.escape(label), n] for label, n in zip(ds["labels"], totals)]))
    head = ["class"] + ds["lightings"] + ["total"]
    rows = [[html.escape(label)] + [str(counts.get(label, {}).get(lt, 0)) for lt in ds["lightings"]] + [n]
            for label, n in zip(ds["labels"], totals)]
    return f"<{h}>Clips per class and lighting</{h}>{_table(head, rows)}"


def _event_counts(ds: dict[str, Any], h: str) -> str:
    """The table of a dataset's mean events per clip, per class, sensor and lighting (columns
    ``"sensor lighting"``); per sensor alone where every clip is of one lighting."""
    columns = sorted({c for cells in ds["event_table"].values() for c in cells})
    one = one_lighting(ds["lightings"]) is not None
    head = ["class"] + [c.rsplit(" ", 1)[0] if one else c for c in columns]
    rows = [[html.escape(label)] + [f'{ds["event_table"][label].get(c, 0):,.0f}' for c in columns]
            for label in sorted(ds["event_table"])]
    return f"<{h}>Mean events per clip, per sensor{'' if one else ' and lighting'}</{h}>{_table(head, rows)}"


def _few_subjects(runs: list[dict[str, Any]], coverage: str) -> str:
    """:func:`~evface.tasks.figure_format.few_subjects` for the fewest subjects a run of ``runs`` tested."""
    counts = [n for r in runs if isinstance(n := r["metrics"].get("n_subjects"), int) and n > 1]
    note = few_subjects(min(counts), coverage) if counts else None
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def _one_lighting(lightings: list[str]) -> str:
    """:func:`~evface.tasks.figure_format.one_lighting` as a paragraph, where the runs' clips are of one lighting."""
    note = one_lighting(lightings)
    return f'<p class="muted">{html.escape(note)}.</p>' if note else ""


def _import_record(record: dict[str, Any] | None, h: str) -> str:
    """An imported dataset's sensors (sync, registration) and the warnings of its import
    (:func:`~evface.report.collect.import_summary`); nothing for a dataset that was not imported."""
    if not record:
        return ""
    parts = []
    if record["sensors"]:
        parts.append(f"<{h}>Import: synchronisation and registration</{h}>" + _table(
            ["sensor", "file", "sync", "offset µs", "confidence", "registration", "error / score"],
            [[html.escape(c) for c in row] for row in record["sensors"]]))
    warnings = record["warnings"]
    if warnings:
        shown = warnings[:MAX_IMPORT_WARNINGS]
        more = f"<li>… and {len(warnings) - len(shown)} more</li>" if len(warnings) > len(shown) else ""
        parts.append(f"<{h}>Import warnings</{h}><p>{counted(len(warnings), 'problem')} that did not "
                     "stop the import (all in dataset.json, <code>import.warnings</code>): a face box that rests on "
                     "few detections can be a hand or the background, which every input is then cropped to.</p><ul>"
                     + "".join(f"<li>{html.escape(w)}</li>" for w in shown) + more + "</ul>")
    return "".join(parts)


def _signed(d: dict[str, Any], digits: int, scale: float) -> str:
    """A paired difference with its interval: over subjects and trainings where the comparison has one."""
    if d["ci"] is None:
        return f"{fixed(d['diff'], digits, scale, '+')} (one subject: no interval)"
    ci = d.get("ci_trainings") or d["ci"]
    text = f"{fixed(d['diff'], digits, scale, '+')} {fixed_interval(ci, digits, scale, '+')}"
    return f"<b>{text}</b>" if _excludes_zero(ci) else text


def _verdict(metrics: dict[str, dict[str, Any]]) -> str:
    """One phrase when top-1, UF1 and UAR agree, else one per metric."""
    verdicts = {METRIC_NAMES[k]: d["verdict"] for k, d in metrics.items()}
    if len(set(verdicts.values())) == 1:
        return html.escape(next(iter(verdicts.values())))
    return html.escape("; ".join(f"{k}: {v}" for k, v in verdicts.items()))


def _classify_section(data: ReportData) -> str:
    runs = data.classify
    parts = ['<section id="classification"><h2>AU classification (spiking CNN)</h2>']
    if not runs:
        return "".join(parts) + "<p>No classification runs found.</p></section>"
    first_run = runs[0]
    first = first_run["metrics"]
    n_labels = max(1, len(first.get("labels", [1])))
    boot = first.get("bootstrap")
    tested = {(r["metrics"].get("evaluated_on"), r["metrics"].get("n"), r["metrics"].get("n_subjects"), r.get("data_label"))
              for r in runs}
    if len(tested) == 1 and not first_run.get("elsewhere"):
        protocol = (f"Evaluated on {html.escape(str(first.get('evaluated_on', 'held-out subjects')))}: "
                    f"{_count(first.get('n'), 'clip')} of {_count(first.get('n_subjects'), 'subject')}, predictions pooled over "
                    "the folds. ")
    else:
        protocol = ("Tested: " + "; ".join(
            f"{_tested_name(r)}: {html.escape(str(r.get('elsewhere') or r['metrics'].get('evaluated_on', 'held-out subjects')))}"
            f", {_count(r['metrics'].get('n'), 'clip')} of {_count(r['metrics'].get('n_subjects'), 'subject')}" for r in runs) + ". ")
    if boot:
        protocol += (f"Brackets: {boot['level']:.0%} intervals from a bootstrap that resamples subjects, not clips "
                     f"({_count(boot['resamples'], 'resample')}, seed {boot['seed']}), and for an arm of several training seeds "
                     "each fold's seeds too. ")
    parts.append(f"<p>{protocol}Chance is {100 / n_labels:.1f} %. UF1 and UAR are the MEGC metrics "
                 "(mean per-class F1 and recall over the pooled predictions). The paper's figures are on its real "
                 "recordings and its own class set; ours are on the dataset of this report, so they are context, not a target.</p>")
    parts.append(_few_subjects(runs, CLASSIFY_COVERAGE))
    head = ["arm", "top-1 %", "UF1", "UAR", "subjects", "clips", "train top-1 %", "train s"]
    rows, classes = [], []
    for r in runs:
        m = r["metrics"]
        ci = m.get("ci_trainings") or m.get("ci", {})
        rows.append([_run_name(r)] + [with_interval(m.get(k), ci.get(k), *FIGURES[k]) for k in ("top1", "uf1", "uar")]
                    + [_count(m.get("n_subjects")), _count(m.get("n")), fixed(m.get("train_top1"), *FIGURES["top1"]),
                       fixed(r.get("train_seconds"), 0)])
        classes.append("")
    for key, label in (("events", "paper: events"), ("rgb", "paper: RGB")):
        rows.append([label, f'{PAPER["classify"][key]:.2f}'] + ["–"] * (len(head) - 2))
        classes.append("paper")
    parts.append(_table(head, rows, classes))
    parts.append(_differences(data.comparisons))
    parts.append(_differences(data.event_sensor_comparisons, "high- vs low-resolution events",
                              "Each hd event arm minus the lr arm trained the same way"))
    lightings = sorted({lt for r in runs for lt in r["metrics"].get("per_lighting", {})})
    parts.append(_one_lighting(lightings))
    if len(lightings) > 1:
        grid = [[(with_interval(p.get("top1"), (p.get("ci_trainings") or p.get("ci", {})).get("top1"), *FIGURES["top1"]),
                  (p.get("n_subjects"), p.get("n")))
                 for lt in lightings for p in [r["metrics"].get("per_lighting", {}).get(lt, {})]] for r in runs]
        cells, note = _with_counts(grid, lightings, "clips")  # was: the first run's clips, said of every run
        parts.append("<h3>Top-1 % per lighting</h3>" + note
                     + _table(["arm"] + lightings, [[_run_name(r)] + row for r, row in zip(runs, cells)]))
    figs = [f'<figure>{_img(r["confusion_png"], "confusion " + r["name"])}</figure>' for r in runs if r.get("confusion_png")]
    parts.append(f'<h3>Confusion matrices</h3><div class="grid">{"".join(figs)}</div>')
    energy = [r for r in runs if r["metrics"].get("synops") is not None]
    if energy:
        rows3 = [[_run_name(r), number(r["metrics"]["synops"], ".3g"), number(r["metrics"].get("ann_macs", 0), ".3g"),
                  ", ".join(number(v, ".3f") for v in r["metrics"].get("spike_rate_per_layer", []))] for r in energy]
        parts.append("<h3>Spiking activity</h3>" + _table(["input", "SynOps / sample", "ANN MACs / sample", "spike rate per layer"], rows3))
    return "".join(parts) + "</section>"


def _differences(comparisons: list[dict[str, Any]], title: str = "events vs frames",
                 pairs: str = "Each event arm minus each frame arm") -> str:
    """Paired differences (events - frames, or hd - lr events), overall and per lighting, worded by their intervals."""
    if not comparisons:
        return ""
    parts = [f"<h3>Paired differences: {title}</h3>",
             f"<p>{pairs} on the same clips (top-1 in points). A difference is stated "
             "(in bold) only where its 95 % interval excludes 0; otherwise there is no detectable "
             "difference at this sample size. The interval resamples subjects, and also each fold's training seeds "
             "where an arm has several (column “seeds”: a two-level bootstrap). McNemar: clips right only in A / "
             "only in B, exact two-sided p.</p>"]
    paired = [c for c in comparisons if "error" not in c]
    rows, lightings = [], sorted({lt for c in paired for lt in c.get("per_lighting", {})})
    pairs, grid = [], []
    for c in paired:
        pair = f'{html.escape(c["a"])} − {html.escape(c["b"])}'
        mc, m = c["mcnemar"], c["metrics"]
        seeds = f'{c["trainings"]["a"]} × {c["trainings"]["b"]}' if c.get("trainings") else "–"
        rows.append([pair, f'{c["n_subjects"]} / {c["n"]}', seeds] + [_signed(m[k], *FIGURES[k]) for k in ("top1", "uf1", "uar")]
                    + [f'{mc["a_only"]} / {mc["b_only"]}, p = {number(mc["p"], ".2g")}', _verdict(m)])
        per = c["per_lighting"]
        pairs.append(pair)
        grid.append([(_signed(per[lt]["metrics"]["top1"], *FIGURES["top1"]), (per[lt]["n_subjects"], per[lt]["n"])) if lt in per
                     else ("–", (None, None)) for lt in lightings])
    if rows:
        parts.append(_table(["A − B", "subjects / clips", "seeds", "top-1 points", "UF1", "UAR", "McNemar", "verdict"], rows))
    if grid and len(lightings) > 1:  # one lighting: said once, in the section
        cells, note = _with_counts(grid, lightings, "clips")
        parts.append("<h4>Top-1 difference per lighting (points)</h4>" + note
                     + _table(["A − B"] + lightings, [[pair] + row for pair, row in zip(pairs, cells)]))
    spreads = [c for c in paired if c.get("seed_spread")]
    if spreads:
        rows3 = [[f'{html.escape(c["a"])} − {html.escape(c["b"])}',
                  f'{len(c["seed_spread"]["a_top1"])} × {len(c["seed_spread"]["b_top1"])}',
                  f'{fixed(c["seed_spread"]["min"], *FIGURES["top1"], "+")} to {fixed(c["seed_spread"]["max"], *FIGURES["top1"], "+")}',
                  f'{c["seed_spread"]["a_ahead"]} / {c["seed_spread"]["b_ahead"]} of {c["seed_spread"]["n_pairs"]}']
                 for c in spreads]
        parts.append("<h4>Between training seeds</h4><p>Every single training of A against every one of B "
                     "(top-1 points): how far one seed's comparison can stray from the ensembles' above.</p>"
                     + _table(["A − B", "seeds", "top-1 A − B", "pairs above 0 / below 0"], rows3))
    single = len(paired) - len(spreads)
    if single:
        which = "Every pair above" if not spreads else f"{single} of the pairs above"
        parts.append(f'<p class="muted">{which} rests on one training per fold of each run: its interval covers which '
                     "subjects were tested, not how another training seed would come out. Train the arms with "
                     "<code>--seeds N</code> (<code>evface train classify</code>) and the interval resamples the seeds "
                     "too.</p>")
    unsampled = [c for c in spreads if not c.get("trainings")]
    if unsampled:
        one = len(unsampled) == 1
        parts.append(f'<p class="muted">{len(unsampled)} of the pairs above {"holds" if one else "hold"} several seeds '
                     f'but {"was" if one else "were"} scored before each seed\'s logits were written '
                     "(<code>seed_logits.csv</code>; “–” in column “seeds”): "
                     + ("its interval resamples" if one else "their intervals resample")
                     + " subjects only; <code>evface eval RUN</code> scores a run again with them.</p>")
    unlike = [f'{html.escape(c["a"])} − {html.escape(c["b"])}: '
              + "; ".join(([f'the models know other classes ({html.escape(", ".join(map(str, c["classes"]["a"])))} / '
                            f'{html.escape(", ".join(map(str, c["classes"]["b"])))})'] if "classes" in c else [])
                          + ([f'the clips were tested in other folds ({html.escape(c["folds"]["a"])} / '
                              f'{html.escape(c["folds"]["b"])}): the difference includes that of the protocols']
                             if "folds" in c else []))
              for c in paired if "classes" in c or "folds" in c]
    if unlike:
        parts.append('<p class="muted">Pairs made differently (A / B): ' + "; ".join(unlike) + ".</p>")
    return "".join(parts) + _not_compared(comparisons)


def _not_compared(comparisons: list[dict[str, Any]]) -> str:
    """The pairs of runs left unpaired (scored on other clips or samples, or a run's scores of each
    clip or sample missing), each with the reason."""
    errors = [c for c in comparisons if "error" in c]
    if not errors:
        return ""
    items = "".join(f'<li>{html.escape(c["a"])} − {html.escape(c["b"])}: {html.escape(c["error"])}</li>' for c in errors)
    return f'<p class="muted">Not compared:</p><ul class="muted">{items}</ul>'


def _interval(d: dict[str, Any] | None, digits: int = 4) -> str:
    """``+0.0123 [+0.0050, +0.0200]``, bold when the interval excludes zero; a mean over one
    subject (``n_clusters`` 1) has no interval."""
    if not d:
        return "–"
    if d.get("n_clusters", 2) < 2:
        return f"{fixed(d['mean'], digits, sign='+')} (one subject: no interval)"
    text = f"{fixed(d['mean'], digits, sign='+')} {fixed_interval(d['ci'], digits, sign='+')}"
    return f"<b>{text}</b>" if _excludes_zero(d["ci"]) else text


def _sensor_differences(comparisons: list[dict[str, Any]]) -> str:
    """hd - lr reconstruction runs paired sample by sample, per method, worded by their intervals."""
    if not comparisons:
        return ""
    rows, unsampled = [], 0
    for c in comparisons:
        if "error" in c:
            continue
        pair = f'{html.escape(c["a"])} − {html.escape(c["b"])}'
        cells = [d for entry in c["methods"].values() for part in entry.values() for d in part.values()]
        unsampled += max(c.get("trainings", {"a": 1}).values()) > 1 and not any("ci_trainings" in d for d in cells)
        for method, entry in c["methods"].items():
            apex, every = entry.get("apex", {}), entry.get("all", {})

            def cell(d: dict[str, Any] | None) -> str:
                return _interval({**d, "mean": d["diff"], "ci": d.get("ci_trainings") or d["ci"]}) if d else "–"

            verdict = apex.get("active_ssim", {}).get("verdict", "–")
            rows.append([pair, html.escape(method), f'{c["n_subjects"]} / {c["n_apex"]}', cell(apex.get("face_ssim")),
                         cell(apex.get("active_ssim")), cell(every.get("face_ssim")), html.escape(verdict)])
    return ("<h3>High- vs low-resolution events, paired on the same samples</h3><p>Each hd run minus the lr run "
            "of the same protocol and samples; the targets are the same, so the methods that see no event "
            "(keyframe copy, the RGB-only baselines) differ by exactly 0. SSIM differences with 95 % "
            "subject-cluster bootstrap intervals, over subjects and trainings where a run trained the method with "
            "several seeds; a difference is stated only where the interval excludes 0.</p>"
            + (_table(["hd − lr", "method", "subjects / apex samples", "SSIM at the apex", "SSIM active AUs at the apex",
                       "SSIM all horizons", "verdict (active, apex)"], rows) if rows else "")
            + (f'<p class="muted">{unsampled} of the pairs above {"holds" if unsampled == 1 else "hold"} several '
               f'trainings but {"was" if unsampled == 1 else "were"} scored before each training\'s scores were written '
               "(<code>seed_scores.csv</code>): " + ("its interval resamples" if unsampled == 1 else
                                                     "their intervals resample")
               + " subjects only; <code>evface eval RUN</code> scores a run again with them.</p>" if unsampled else "")
            + "".join(f'<p class="muted">{html.escape(c["a"])} − {html.escape(c["b"])}: not compared, scored by one '
                      "run only: " + html.escape("; ".join(f"{', '.join(c['not_compared'][k])} ({c[k]})" for k in ("a", "b")
                                                          if c["not_compared"][k])) + ".</p>"
                      for c in comparisons if c.get("not_compared"))
            + _not_compared(comparisons))


def _training_table(runs: list[dict[str, Any]]) -> str:
    """Each reconstruction model's best epoch per part: a best epoch that is the last one run means
    the model was still improving when its budget ran out."""
    rows, still = [], 0
    for r in runs:
        cfg = r["config"]
        for part in r.get("training", {}).get("parts", []):
            for model, label in (("cvae", "CVAE"), ("e2vid", "E2VID-style UNet")):
                fit = part.get(model)
                if not fit:
                    continue
                learning = fit["best_epoch"] == fit["epochs_run"] - 1 and not fit["stopped_early"]
                still += learning
                rows.append([_run_name(r), html.escape(str(part.get("name", "–"))), label,
                             f"{_count(fit['epochs_run'])} of {_count(cfg.get('epochs'))}", _count(fit["best_epoch"] + 1),
                             fixed(fit["best_score"], 4), "yes" if learning else "no"])
    if not rows:
        return ""
    note = (f"{still} of {counted(len(rows), 'model')} had their best validation SSIM in their last epoch: they were still "
            "improving, so these are the scores of models that had not converged."
            if still else "Every model stopped improving before its last epoch.")
    return ("<h3>Training</h3><p>Epochs run (of the budget), the best epoch on the validation subjects (counted "
            f"from 1) and its SSIM. {html.escape(note)}</p>"
            + _table(["run", "part", "model", "epochs", "best epoch", "validation SSIM", "still improving"], rows))


def _recon_seeds(runs: list[dict[str, Any]], by_lighting: bool) -> str:
    """Per run trained with several seeds, each training's CVAE − method at the apex beside the
    mean over them (what the run scores), and per lighting where ``by_lighting``; for the runs of
    one training, a caveat."""
    several = [r for r in runs if r["metrics"].get("per_seed")]
    parts = []
    if several:
        seeds = {tuple(e.get("seed") for e in r["metrics"]["per_seed"]) for r in several}
        n = max(len(s) for s in seeds)
        heads = [f"seed {s}" for s in next(iter(seeds))] if len(seeds) == 1 else [f"training {k + 1}" for k in range(n)]
        rows = []
        for r in several:
            m = r["metrics"]
            for method, pooled in m.get("cvae_vs", {}).items():
                per_seed = [e.get("cvae_vs", {}).get(method, {}) for e in m["per_seed"]]
                both = m.get("cvae_vs_over_trainings", {}).get(method, {})  # runs scored before 2026-12-05 lack it
                rows.append([_run_name(r), html.escape(method)] + [_interval(v.get("face")) for v in per_seed]
                            + ["–"] * (n - len(per_seed)) + [_interval(pooled.get("apex_face_ssim")),
                                                              _interval(both.get("face"))])
                for light in sorted({x for v in per_seed for x in v.get("apex_by_lighting", {})} if by_lighting else ()):
                    cells = [v.get("apex_by_lighting", {}).get(light, {}).get("face") for v in per_seed]
                    mean = pooled.get("apex_by_lighting", {}).get(light, {}).get("face")
                    rows.append([_run_name(r), html.escape(f"{method}, {light}")] + [_interval(c) for c in cells]
                                + ["–"] * (n - len(cells)) + [_interval(mean), _interval(
                                    both.get("apex_by_lighting", {}).get(light, {}).get("face"))])
        parts.append("<h3>Between training seeds</h3><p>Runs that trained every part several times score a sample by "
                     "the mean over the trainings (the tables above). Here each training alone: CVAE − method, SSIM "
                     "over the face at the apex, in all and per lighting, with 95 % subject-cluster intervals; a sign "
                     "that changes between seeds is a difference that one training cannot decide. The mean over seeds "
                     "is shown twice: with the subject-cluster interval of the tables above, and with an interval that "
                     "resamples the subjects and each fold's trainings both (a two-level bootstrap), which covers how "
                     "other trainings would come out; a difference is claimed where that one excludes 0.</p>"
                     + _table(["run", "CVAE − method"] + heads + ["mean over seeds", "mean, subjects and trainings"], rows))
    if len(several) < len(runs):
        which = "Each model" if not several else "Each model of the runs not in that table"
        parts.append(f'<p class="muted">{which} was trained once per fold or split: an interval covers which subjects '
                     "were tested, not how another training seed would come out, which in dim light can reverse the "
                     "sign of the CVAE − UNet difference (docs/reconstruction.md, \"Dim light: training variance\"); "
                     "<code>--seeds N</code> trains each N times.</p>")
    return "".join(parts)


def _recon_tested(run: dict[str, Any]) -> str:
    """What a reconstruction run was tested on, for the section's "Tested:" line: its protocol and
    its test subjects; for an evaluation on another dataset, what the evaluation did (which names
    the run's protocol once) and the clips and subjects of that dataset it scored."""
    m = run["metrics"]
    subjects = m.get("n_subjects", len(m.get("subjects", [])))
    samples = _count(m.get("n_samples"), "sample")
    if run.get("elsewhere"):
        return (f"{_tested_name(run)}: {html.escape(run['elsewhere'])}, {_count(m.get('n_clips'), 'clip')} of "
                f"{_count(subjects, 'subject')}, {samples}")
    never = str(m.get("evaluated_on", ""))
    return (f"{_run_name(run)}: {html.escape(str(m.get('evaluation', 'one subject split')))}, "
            f"{_count(subjects, 'test subject')}, {_count(m.get('n_clips'), 'clip')}, {samples}"
            + (f" ({html.escape(never)})" if "never saw" in never else ""))


def _reconstruct_section(data: ReportData) -> str:
    runs = data.reconstruct
    parts = ['<section id="reconstruction"><h2>Frame reconstruction from events (CVAE)</h2>']
    if not runs:
        return "".join(parts) + "<p>No reconstruction runs found.</p></section>"
    recorded = [f"{_run_name(r)}: {_count(n)} of {_count(m.get('n_clips'), 'clip')}" for r in runs
                if (n := (m := r["metrics"]).get("grid", {}).get("targets", {}).get("rgb"))]
    synthetic = any(r["metrics"].get("grid", {}).get("targets", {}).get("truth", 1) for r in runs)
    grid = ("hd's face box, the clean hd truth" + ("; a recording's RGB face box and its own RGB frames, below"
                                                   if recorded else "") if synthetic else
            "each recording's RGB face box and its own RGB frames, below")
    parts.append(f"<p>Held-out subjects, one target grid for hd and lr ({grid}, so both "
                 "sensors' keyframe-copy scores are equal). Protocols: <i>extrapolation</i> (the RGB keyframe at the "
                 "clip start, neutral in synthetic clips, and the events up to t), <i>interpolation</i> (the previous "
                 "30 fps frame and the events since, truth frames between frames"
                 + ("; refused on recordings, which have none" if recorded else "") + "), <i>events-only</i> (no "
                 "keyframe). SSIM with EVREAL's settings "
                 "(Gaussian weights, σ = 1.5, population covariance, data range 1), also inside the AU regions "
                 "(brows, eyes, nose, mouth, chin) and inside each clip's <i>active</i> regions, where its own AUs "
                 "act" + (f"; {RECORDED_REGIONS}" if recorded else "") + ". Intervals: 95 % subject-cluster bootstrap "
                 "of the mean SSIM at the apex and of the per-sample paired differences; a difference is bold when its "
                 "interval excludes 0.</p>")
    parts.append("<p>Tested: " + "; ".join(map(_recon_tested, runs))
                 + (" (under folds every subject is tested once, by the models that never saw it, and the intervals "
                    "resample all of them)" if not all(r.get("elsewhere") for r in runs) else "") + ".</p>")
    parts.append(_few_subjects(runs, RECON_COVERAGE))
    lightings = sorted({x for r in runs for v in r["metrics"].get("methods", {}).values()
                        for x in v.get("apex_by", {}).get("lighting", {})})
    parts.append(_one_lighting(lightings))  # and no table per lighting, which would repeat the figures over all
    by_lighting = len(lightings) > 1
    if recorded:
        parts.append("<p>Recordings, which have no truth frames, are scored against their own RGB frames: the "
                     "sample times are frame mid-exposures, the target is the frame at t on the same grid, and the "
                     "RGB-only methods see only earlier frames (" + "; ".join(recorded) + ").</p>")
    rows = []
    for r in runs:
        m = r["metrics"]
        gains, versus = m.get("gain_over_keyframe", {}), m.get("cvae_vs", {})
        both = m.get("cvae_vs_over_trainings", {})  # several seeds: the interval over subjects and trainings
        for method, v in m.get("methods", {}).items():
            apex, ci = v.get("apex", {}), v.get("apex_interval", {})
            rows.append([_run_name(r), html.escape(method),
                         mean_with_interval(ci.get("face"), apex.get("face", {}).get("ssim")),
                         mean_with_interval(ci.get("active"), apex.get("active", {}).get("ssim")), fixed(apex.get("face", {}).get("psnr"), 2),
                         fixed(v.get("all", {}).get("ssim"), 4),
                         _interval(gains.get(method, {}).get("apex_active_ssim")),
                         _interval(both.get(method, {}).get("active") or versus.get(method, {}).get("apex_active_ssim"))])
    parts.append("<h3>At the apex</h3>" + ("<p>CVAE − method of a run of several training seeds: its interval "
                                           "resamples the subjects and each fold's trainings (\"Between training "
                                           "seeds\" below).</p>" if any("cvae_vs_over_trainings" in r["metrics"]
                                                                         for r in runs) else "") + _table(
        ["run", "method", "SSIM", "SSIM active AUs", "PSNR dB", "SSIM all horizons", "gain over keyframe (active)",
         "CVAE − method (active)"], rows))
    parts.append(_recon_seeds(runs, by_lighting))
    by_light = [(r, method, r["metrics"].get("cvae_vs_over_trainings", {}).get(method, {}).get(
                 "apex_by_lighting") or v.get("apex_by_lighting", {}))
                for r in runs for method, v in r["metrics"].get("cvae_vs", {}).items()]
    lights = sorted({x for _, _, g in by_light for x in g})
    if lights and by_lighting:
        grid = [[(_interval(d), (d.get("n_clusters"), d.get("n")) if d else (None, None))
                 for x in lights for d in [g.get(x, {}).get("face")]] for _, _, g in by_light]
        cells, note = _with_counts(grid, lights, "apex samples")
        rows_l = [[_run_name(r), html.escape(method)] + row for (r, method, _), row in zip(by_light, cells)]
        parts.append("<h3>CVAE − method per lighting, at the apex</h3><p>SSIM over the face, paired per sample, with "
                     "95 % subject-cluster intervals (bold where they exclude 0; for a run of several training seeds "
                     "over subjects and trainings): where one lighting carries a difference.</p>" + note + _table(["run", "CVAE − method"] + [html.escape(x) for x in lights], rows_l))
    parts.append(_sensor_differences(data.sensor_comparisons))
    parts.append(_training_table(runs))
    regions = [x for x in ("brows", "eyes", "nose", "mouth", "chin") if any(x in v.get("apex", {}) for r in runs
                                                                        for v in r["metrics"].get("methods", {}).values())]
    if regions:
        rows2 = [[_run_name(r), html.escape(method)] + [fixed(v.get("apex", {}).get(x, {}).get("ssim"), 4) for x in regions]
                 for r in runs for method, v in r["metrics"].get("methods", {}).items()]
        parts.append("<h3>SSIM per AU region at the apex</h3>" + LEVELS_ONLY
                     + (f'<p class="muted">The {RECORDED_REGIONS}.</p>' if recorded else "")
                     + _table(["run", "method"] + regions, rows2))
    for group, title in (("aus", "AU class"), ("lighting", "lighting")):
        by = [(r, method, v.get("apex_by", {}).get(group, {}))
              for r in runs for method, v in r["metrics"].get("methods", {}).items()]
        labels = sorted({k for _, _, g in by for k in g})
        if labels and (by_lighting or group != "lighting"):
            rows3 = [[_run_name(r), html.escape(method)] + [fixed(g.get(x, {}).get("active_ssim"), 4) for x in labels]
                     for r, method, g in by]
            parts.append(f"<h3>SSIM in the active AU regions at the apex, by {title}</h3>" + LEVELS_ONLY
                         + _table(["run", "method"] + [html.escape(x) for x in labels], rows3))

    def k_mean(lt: dict[str, Any], which: str) -> str:
        return fixed(lt.get(f"apex_ssim_{which}", {}).get("active"), 4)

    latent_rows = [[_run_name(r), " ".join(number(k, ".2f") for k in lt.get("kl_per_channel", [])), _count(lt.get("k")),
                    fixed(lt.get("spread_face"), 4), fixed(lt.get("spread_moving"), 4), fixed(lt.get("spread_static"), 4),
                    k_mean(lt, f"mean_of_{lt.get('k')}"), k_mean(lt, "prior_mean")]
                   for r in runs if (lt := r["metrics"].get("latent"))]
    if latent_rows:
        parts.append("<h3>The CVAE's latent</h3><p>At the apex: KL(q‖p) per latent channel (nats; near 0 = unused), "
                     "the standard deviation over K prior samples over the face, where the face moved most (top 10 % "
                     "of |target − keyframe|) and elsewhere, and the SSIM in the active AU regions of the mean of the K "
                     "samples beside that of the prior-mean decoding.</p>"
                     + _table(["run", "KL per channel", "K", "spread face", "spread moving", "spread static",
                               "SSIM mean of K", "SSIM prior mean"], latent_rows))
    parts.append(f'<p class="muted">Paper (hd events, CVAE): SSIM {PAPER["reconstruct"]["ssim"]:.4f}, PSNR '
                 f'{PAPER["reconstruct"]["psnr"]:.2f} dB, on its own protocol; compare with the events-only runs.</p>')
    figs = [f'<figure class="wide">{_img(png, "figure " + r["name"])}<figcaption>{_run_name(r)}'
            f'{FIGURE_CAPTIONS.get(name, "")}</figcaption></figure>' for r in runs for name, png in r.get("strips", [])]
    parts.append(f'<div class="grid">{"".join(figs)}</div>')
    return "".join(parts) + "</section>"


def _provenance_section(data: ReportData) -> str:
    items = "".join(
        f"<details><summary>{html.escape(name)}</summary><pre>{html.escape(json.dumps(cfg, indent=2, sort_keys=True))}</pre></details>"
        for name, cfg in data.configs.items()
    )
    versions = _table(["package", "version"], [[html.escape(k), html.escape(v)] for k, v in sorted(data.versions.items())])
    return f'<section id="provenance"><h2>Configs and versions</h2>{items}<h3>Versions</h3>{versions}<p class="muted">Paper figures: {html.escape(PAPER["source"])}.</p></section>'
