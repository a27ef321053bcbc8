"""The report's "Dataset" section: each dataset's clips per class and lighting, events per clip, what
varies from clip to clip, an import's sync, registration and warnings, and its figures."""

from __future__ import annotations

import html
from typing import Any

from evface.errors import counted
from evface.report.collect import ReportData, checked_data
from evface.report.html_parts import count_text, embedded_image, html_table, one_lighting_note
from evface.tasks.figure_format import one_lighting

MAX_IMPORT_WARNINGS = 20
"""The import warnings the report lists (the rest are counted)."""
MAX_SKIPPED_NAMED = 10
"""The skipped clips the report names (the rest are counted)."""


def build_dataset_section(data: ReportData) -> str:
    """Each dataset of the report: one as "Dataset"; several each under its label, with its runs.

    Parameters
    ----------
    data : ReportData
        What :func:`~evface.report.collect.collect` read.

    Returns
    -------
    str
        HTML: the section.

    Examples
    --------
    >>> from evface.report.collect import ReportData, checked_data
    >>> data = ReportData(run_dirs=[], generated="2026-01-01 00:00 UTC", versions={"evface": "0.1"})
    >>> build_dataset_section(data)
    '<section id="dataset"><h2>Dataset</h2><p>No dataset found in these runs.</p></section>'
    """
    data = checked_data(data)
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
    """One dataset's summary (:func:`~evface.report.dataset_summary.dataset_summary`), its headings ``h``."""
    if ds.get("missing"):
        return f"<p>{html.escape(ds['root'])}: no longer there, so not summarised.</p>"
    parts = [
        f'<p>{html.escape(ds["description"])}</p>',
        _changed_note(ds.get("changed", {})),
        f'<p>{count_text(ds["n_clips"], "clip")}, {count_text(ds["n_subjects"], "subject")}, classes {", ".join(map(html.escape, ds["labels"]))}.</p>',
        _class_counts(ds, h),
    ]
    parts.append(_import_record(ds.get("import"), h))
    if ds.get("event_table"):
        parts.append(_event_counts(ds, h))
    if ds.get("variation"):
        parts.append(f"<{h}>What varies from clip to clip</{h}>")
        parts.append(html_table(["quantity", "unit", "clips", "min", "median", "max"],
                            [[html.escape(c) for c in row] for row in ds["variation"]]))
    figs = []
    if ds.get("identity_grid"):
        figs.append(f'<figure class="wide">{embedded_image(ds["identity_grid"], "identities")}<figcaption>{count_text(ds["n_identities"], "identity", "identities")}: '
                    "each subject's first RGB frame" + (", with its head yaw and pitch" if ds.get("identity_poses") else "")
                    + ".</figcaption></figure>")
    if ds.get("box_grid"):
        boxed = ds.get("n_box_clips", ds["n_clips"])  # a merged dataset: its imported clips
        clips = count_text(boxed, "clip" if boxed == ds["n_clips"] else "imported clip")
        shown = f"{ds['n_boxes']} of the dataset's {clips}" if ds["n_boxes"] < boxed else f"the dataset's {clips}"
        figs.append(f'<figure class="wide">{embedded_image(ds["box_grid"], "face boxes")}<figcaption>The face box of {shown}, '
                    "each at its apex (the import warned of those marked !, shown first): training crops every input "
                    "to it, so check that each shows the face.</figcaption></figure>")
    if ds.get("face_grid"):
        figs.append(f'<figure class="wide">{embedded_image(ds["face_grid"], "sample faces")}<figcaption>RGB frames at the apex, one per class (columns)'
                    + ("" if one_lighting(ds["lightings"]) else " and lighting (rows)") + ".</figcaption></figure>")
    if ds.get("animation"):
        figs.append(f'<figure>{embedded_image(ds["animation"], "event vs RGB animation", "image/gif")}<figcaption>{html.escape(ds["animation_caption"])}</figcaption></figure>')
    if ds.get("rate_plot"):
        figs.append(f'<figure>{embedded_image(ds["rate_plot"], "event rate")}<figcaption>Event rate over one clip, per sensor and polarity.</figcaption></figure>')
    parts.append(f'<div class="grid">{"".join(figs)}</div>')
    return "".join(parts)


def _changed_note(changed: dict[str, list[str]]) -> str:
    """What the page says of a dataset folder changed since runs were trained on it (``changed``:
    why, and those runs' names; :func:`~evface.report.collect.collect`), ``""`` where none was.

    Examples
    --------
    >>> _changed_note({"its manifest rows are not those the run was trained on": ["events-hd", "rgb"]})
    '<p class="muted">Changed since events-hd, rgb were trained on it (its manifest rows are not those the run was trained on): what follows summarises the folder as it is now, not the clips those runs were trained and tested on.</p>'
    """
    said = [f"{', '.join(names)} {'was' if len(names) == 1 else 'were'} trained on it ({why})"
            for why, names in changed.items()]
    return (f'<p class="muted">Changed since {html.escape("; and since ".join(said))}: what follows summarises the '
            "folder as it is now, not the clips those runs were trained and tested on.</p>") if said else ""


def _class_counts(ds: dict[str, Any], h: str) -> str:
    """The table of a dataset's clips per class and lighting; where every clip is of one lighting
    (imported recordings), its clips per class and the lighting said once (:func:`one_lighting_note`)."""
    counts = ds["counts"]
    totals = [str(sum(counts.get(label, {}).values())) for label in ds["labels"]]
    if one_lighting(ds["lightings"]):
        return (f"<{h}>Clips per class</{h}>{one_lighting_note(ds['lightings'])}"
                + html_table(["class", "clips"], [[html.escape(label), n] for label, n in zip(ds["labels"], totals, strict=True)]))
    head = ["class"] + ds["lightings"] + ["total"]
    rows = [[html.escape(label)] + [str(counts.get(label, {}).get(lt, 0)) for lt in ds["lightings"]] + [n]
            for label, n in zip(ds["labels"], totals, strict=True)]
    return f"<{h}>Clips per class and lighting</{h}>{html_table(head, rows)}"


def _event_counts(ds: dict[str, Any], h: str) -> str:
    """The table of a dataset's mean events per clip, per class, sensor and lighting (columns
    ``"sensor lighting"``); per sensor alone where every clip is of one lighting."""
    columns = sorted({c for cells in ds["event_table"].values() for c in cells})
    one = one_lighting(ds["lightings"]) is not None
    head = ["class"] + [c.rsplit(" ", 1)[0] if one else c for c in columns]
    rows = [[html.escape(label)] + [f'{ds["event_table"][label].get(c, 0):,.0f}' for c in columns]
            for label in sorted(ds["event_table"])]
    return f"<{h}>Mean events per clip, per sensor{'' if one else ' and lighting'}</{h}>{html_table(head, rows)}"


def _import_record(record: dict[str, Any] | None, h: str) -> str:
    """An imported dataset's sensors (sync, registration), the warnings of its import and the clips
    it skipped (:func:`~evface.report.dataset_summary.import_summary`); nothing for a dataset that was not imported."""
    if not record:
        return ""
    parts = []
    if record["sensors"]:
        parts.append(f"<{h}>Import: synchronisation and registration</{h}>" + html_table(
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
    if record.get("skipped"):
        parts.append(_skipped_line(record["skipped"], record.get("classes")))
    return "".join(parts)


def _skipped_line(skipped: list[str], classes: str | None) -> str:
    """The annotated clips an import skipped (each as its id and AUs), the first
    :data:`MAX_SKIPPED_NAMED` named, and why: their AUs match no class of the ``classes`` set
    (``None``: of the import's, unnamed: a merged dataset's sources).

    >>> _skipped_line(["a2 (AU12)", "b2 (AU12)"], "default")  # doctest: +ELLIPSIS
    '<p>2 annotated clips were not imported: their AUs match no class of the <code>--classes default</code> set ...: a2 (AU12), b2 (AU12).</p>'
    """
    n = len(skipped)
    named = ", ".join(map(html.escape, skipped[:MAX_SKIPPED_NAMED]))
    more = f" and {n - MAX_SKIPPED_NAMED} more" if n > MAX_SKIPPED_NAMED else ""
    class_set = f"<code>--classes {html.escape(classes)}</code>" if classes else "import's <code>--classes</code>"
    return (f"<p>{counted(n, 'annotated clip')} {'was' if n == 1 else 'were'} not imported: "
            f"{'its' if n == 1 else 'their'} AUs match no class of the {class_set} set (all in dataset.json, "
            f"<code>import.skipped</code>): {named}{more}.</p>")
