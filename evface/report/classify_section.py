"""The report's "AU classification" section: each arm's scores with intervals beside the paper's,
the paired differences (events vs frames, hd vs lr events), per lighting and between seeds,
confusion matrices and spiking activity."""

from __future__ import annotations

import html
from typing import Any

from evface.report.collect import ReportData, checked_data
from evface.report.html_parts import (PAPER, cells_with_counts, count_text, embedded_image, escaped_run_name,
                                      few_subjects_note, html_table, not_compared_list, one_lighting_note, pair_name,
                                      signed_difference, tested_run_name)
from evface.tasks.figure_format import CLASSIFY_COVERAGE, FIGURES, fixed, number, with_interval

METRIC_NAMES = {"top1": "top-1", "uf1": "UF1", "uar": "UAR"}


def _verdict(metrics: dict[str, dict[str, Any]]) -> str:
    """One phrase when top-1, UF1 and UAR agree, else one per metric."""
    verdicts = {METRIC_NAMES[k]: d["verdict"] for k, d in metrics.items()}
    if len(set(verdicts.values())) == 1:
        return html.escape(next(iter(verdicts.values())))
    return html.escape("; ".join(f"{k}: {v}" for k, v in verdicts.items()))


HEADING = '<section id="classification"><h2>AU classification (spiking CNN)</h2>'
"""The section's opening and title."""


def build_classify_section(data: ReportData) -> str:
    """The classification section: each arm's scores beside the paper's, its paired differences,
    spiking activity and confusion matrices.

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
    >>> build_classify_section(data)
    '<section id="classification"><h2>AU classification (spiking CNN)</h2><p>No classification runs found.</p></section>'
    """
    data = checked_data(data)
    runs = data.classify
    if not runs:
        return HEADING + "<p>No classification runs found.</p></section>"
    parts = [HEADING,
             _protocol(runs),
             _flow_note(runs),
             few_subjects_note(runs, CLASSIFY_COVERAGE),
             _scores_table(runs),
             _differences(data.comparisons, stages=_stage_names(runs)),
             _differences(data.event_sensor_comparisons, "high- vs low-resolution events",
                          "Each hd event arm minus the lr arm trained the same way", stages=_stage_names(runs)),
             _per_lighting(runs),
             _confusion_matrices(runs),
             _spiking_activity(runs)]
    return "".join(parts) + "</section>"


def _protocol(runs: list[dict[str, Any]]) -> str:
    """What the arms were tested on (once where all were tested alike, else per arm), the bootstrap
    of the intervals, chance and how the paper's figures compare."""
    first_run = runs[0]
    first = first_run["metrics"]
    n_labels = max(1, len(first.get("labels", [1])))
    boot = first.get("bootstrap")
    tested = {(r["metrics"].get("evaluated_on"), r["metrics"].get("n"), r["metrics"].get("n_subjects"), r.get("data_label"))
              for r in runs}
    if len(tested) == 1 and not first_run.get("elsewhere"):
        protocol = (f"Evaluated on {html.escape(str(first.get('evaluated_on', 'held-out subjects')))}: "
                    f"{count_text(first.get('n'), 'clip')} of {count_text(first.get('n_subjects'), 'subject')}, predictions pooled over "
                    "the folds. ")
    else:
        protocol = ("Tested: " + "; ".join(
            f"{tested_run_name(r)}: {html.escape(str(r.get('elsewhere') or r['metrics'].get('evaluated_on', 'held-out subjects')))}"
            f", {count_text(r['metrics'].get('n'), 'clip')} of {count_text(r['metrics'].get('n_subjects'), 'subject')}" for r in runs) + ". ")
    if boot:  # each figure checked as a count or number: a received file's text was written into the page
        protocol += (f"Brackets: {number(boot['level'], '.0%')} intervals from a bootstrap that resamples subjects, not "
                     f"clips ({count_text(boot['resamples'], 'resample')}, seed {count_text(boot['seed'])}), and for an "
                     "arm of several training seeds each fold's seeds too. ")
    return (f"<p>{protocol}{_training_seeds(runs)}{_chance(first, n_labels)} UF1 and UAR are the MEGC metrics "
            "(mean per-class F1 and recall over the pooled predictions). The paper's figures are on its real "
            "recordings and its own class set; ours are on the dataset of this report, so they are context, not a target.</p>")


def _chance(metrics: dict[str, Any], n_labels: int) -> str:
    """Chance, as a run of ``metrics`` (its confusion matrix) was tested: ``1 / n_labels`` where its
    classes are balanced; else that for UAR and the top-1 of always predicting the largest class (was
    "Chance is 14.3 %" beside a top-1 that guessing the largest class beats).

    Examples
    --------
    >>> _chance({"confusion_matrix": [[3, 0], [3, 0]]}, 2), _chance({}, 4)
    ('Chance is 50.0 %.', 'Chance is 25.0 %.')
    >>> _chance({"confusion_matrix": [[6, 0], [1, 1]]}, 2)
    'Chance is a UAR of 0.500 (1 of 2 classes); always predicting the largest class (6 of 8 clips) scores 75.0 % top-1.'
    """
    support = [sum(row) for row in metrics.get("confusion_matrix") or []]
    total = sum(support)
    if not total or max(support) * n_labels == total:  # balanced, or not recorded
        return f"Chance is {100 / n_labels:.1f} %."
    return (f"Chance is a UAR of {1 / n_labels:.3f} (1 of {n_labels} classes); always predicting the largest class "
            f"({max(support):,} of {total:,} clips) scores {100 * max(support) / total:.1f} % top-1.")


def _training_seeds(runs: list[dict[str, Any]]) -> str:
    """The training seeds of the arms (their ``metrics.json`` ``seeds``), once where every arm that
    records them trained the same, else per arm; '' where none records them (a run older than the record).

    Examples
    --------
    >>> _training_seeds([{"name": "events-hd", "metrics": {"seeds": [0]}}, {"name": "rgb", "metrics": {"seeds": [0]}}])
    "Training seed 0 (each fold's model trained once). "
    >>> _training_seeds([{"name": "events-hd", "metrics": {"seeds": [0, 1]}}, {"name": "rgb", "metrics": {"seeds": [0]}}])
    "Training seeds: events-hd 0, 1; rgb 0 (each fold's model trained once per seed). "
    """
    seeds = [(r, [count_text(s) for s in r["metrics"]["seeds"]]) for r in runs if r["metrics"].get("seeds")]
    if not seeds:
        return ""
    several = any(len(s) > 1 for _, s in seeds)
    how = "each fold's model trained once per seed" if several else "each fold's model trained once"
    if len({tuple(s) for _, s in seeds}) == 1 and len(seeds) == len(runs):
        listed = seeds[0][1]
        return f"Training seed{'s' if len(listed) > 1 else ''} {', '.join(listed)} ({how}). "
    per_arm = "; ".join(escaped_run_name(r) + " " + ", ".join(s) for r, s in seeds)
    return f"Training seeds: {per_arm} ({how}). "


FLOW_WORDS = {
    "tvl1": "TV-L1 (Zach, Pock &amp; Bischof 2007; scikit-image's <code>optical_flow_tvl1</code> with OpenCV "
            "DualTVL1's settings as the micro-expression papers ran it: lambda 0.15 on 0-255 grey levels, theta 0.3, "
            "5 warps, the flow median-filtered before each warp)",
    "dis": "OpenCV's DIS (Kroeger et al. 2016, medium preset)",
}
"""The words of each optical flow of ``rgb-flow`` (``ClassifyConfig.flow``; docs/classification.md)."""


def _flow_note(runs: list[dict[str, Any]]) -> str:
    """Which optical flow the ``rgb-flow`` arms ran, and its settings ('' without such arms).

    Examples
    --------
    >>> print(_flow_note([{"name": "rgb-flow", "config": {"input": "rgb-flow", "flow": "dis"}},
    ...                   {"name": "events-hd", "config": {"input": "events"}}]))
    <p>Optical flow of rgb-flow: OpenCV's DIS (Kroeger et al. 2016, medium preset).</p>
    """
    by_flow: dict[str, list[str]] = {}
    for r in runs:
        if r["config"].get("input") == "rgb-flow":
            by_flow.setdefault(str(r["config"].get("flow")), []).append(escaped_run_name(r))
    said = "; ".join(f"{FLOW_WORDS.get(flow, html.escape(flow))}" + (f" in {', '.join(names)}" if len(by_flow) > 1 else "")
                     for flow, names in by_flow.items())
    arms = ", ".join(name for names in by_flow.values() for name in names)
    return f"<p>Optical flow of {arms}: {said}.</p>" if by_flow else ""


def _scores_table(runs: list[dict[str, Any]]) -> str:
    """Each arm's top-1, UF1 and UAR with intervals, its counts and training, and the paper's rows below."""
    head = ["arm", "top-1 %", "UF1", "UAR", "subjects", "clips", "train top-1 %", "train s"]
    rows, classes = [], []
    for r in runs:
        m = r["metrics"]
        ci = m.get("ci_trainings") or m.get("ci", {})
        rows.append([escaped_run_name(r)] + [_score(m, ci.get(k), k) for k in ("top1", "uf1", "uar")]
                    + [count_text(m.get("n_subjects")), count_text(m.get("n")), fixed(m.get("train_top1"), *FIGURES["top1"]),
                       fixed(r.get("train_seconds"), 0)])
        classes.append("")
    for key, label in (("events", "paper: events"), ("rgb", "paper: RGB")):
        rows.append([label, f'{PAPER["classify"][key]:.2f}'] + ["–"] * (len(head) - 2))
        classes.append("paper")
    return html_table(head, rows, classes)


def _score(scores: dict[str, Any], ci: Any, key: str) -> str:
    """The metric ``key`` of ``scores`` (a run's, or one lighting's) with its interval ``ci``; a score of
    one subject says why it has none (was: a bare figure beside the others' intervals).

    Examples
    --------
    >>> _score({"top1": 0.5, "n_subjects": 1}, None, "top1"), _score({"uf1": 0.5, "n_subjects": 4}, [0.4, 0.6], "uf1")
    ('50.0 (one subject: no interval)', '0.500 [0.400, 0.600]')
    """
    text = with_interval(scores.get(key), ci, *FIGURES[key])
    return text + " (one subject: no interval)" if ci is None and scores.get("n_subjects") == 1 else text


def _per_lighting(runs: list[dict[str, Any]]) -> str:
    """Each arm's top-1 per lighting, with its counts; one lighting: a note saying so, and no table."""
    lightings = sorted({lt for r in runs for lt in r["metrics"].get("per_lighting", {})})
    note_one = one_lighting_note(lightings)
    if len(lightings) <= 1:
        return note_one
    grid = [[(_score(p, (p.get("ci_trainings") or p.get("ci", {})).get("top1"), "top1"),
              (p.get("n_subjects"), p.get("n")))
             for lt in lightings for p in [r["metrics"].get("per_lighting", {}).get(lt, {})]] for r in runs]
    cells, note = cells_with_counts(grid, lightings, "clips")  # was: the first run's clips, said of every run
    return (note_one + "<h3>Top-1 % per lighting</h3>" + note
            + html_table(["arm"] + lightings, [[escaped_run_name(r)] + row for r, row in zip(runs, cells, strict=True)]))


def _confusion_matrices(runs: list[dict[str, Any]]) -> str:
    """Each arm's confusion matrix, as an embedded image (the heading also where none has one)."""
    figs = [f'<figure>{embedded_image(r["confusion_png"], "confusion " + r["name"])}</figure>' for r in runs if r.get("confusion_png")]
    return f'<h3>Confusion matrices</h3><div class="grid">{"".join(figs)}</div>'


def _spiking_activity(runs: list[dict[str, Any]]) -> str:
    """Synaptic operations, the ANN's MACs and spike rates per layer of the arms that recorded them."""
    energy = [r for r in runs if r["metrics"].get("synops") is not None]
    if not energy:
        return ""
    rows = [[escaped_run_name(r), number(r["metrics"]["synops"], ".3g"), number(r["metrics"].get("ann_macs", 0), ".3g"),
             ", ".join(number(v, ".3f") for v in r["metrics"].get("spike_rate_per_layer", []))] for r in energy]
    return "<h3>Spiking activity</h3>" + html_table(["input", "SynOps / sample", "ANN MACs / sample", "spike rate per layer"], rows)


def _stage_names(runs: list[dict[str, Any]]) -> frozenset[str]:
    """The names of the arms of ``runs`` that are stages of an ``evface run`` (trained by it)."""
    return frozenset(r["name"] for r in runs if r.get("stage_of"))


def _differences(comparisons: list[dict[str, Any]], title: str = "events vs frames",
                 pairs: str = "Each event arm minus each frame arm", stages: frozenset[str] = frozenset()) -> str:
    """Paired differences (events - frames, or hd - lr events), overall and per lighting, worded by their
    intervals; ``stages``: the arms trained by an ``evface run``, for the command that trains more seeds."""
    if not comparisons:
        return ""
    paired = [c for c in comparisons if "error" not in c]
    tables = _difference_tables(paired)
    spreads = [c for c in paired if c.get("seed_spread")]
    parts = [_differences_intro(title, pairs),
             tables,
             _seed_spread_table(spreads),
             _one_training_note([c for c in paired if not c.get("seed_spread")], bool(spreads), stages),
             _unsampled_seeds_note([c for c in spreads if not c.get("trainings")]),
             _unlike_pairs_note(paired)]
    return "".join(parts) + not_compared_list(comparisons)


def _differences_intro(title: str, pairs: str) -> str:
    """The heading ``title`` and how the differences of ``pairs`` are made, worded and tested."""
    return (f"<h3>Paired differences: {title}</h3>"
            f"<p>{pairs} on the same clips (top-1 in points). A difference is stated "
            "(in bold) only where its 95 % interval excludes 0; otherwise there is no detectable "
            "difference at this sample size. The interval resamples subjects, and also each fold's training seeds "
            "where an arm has several (column “seeds”: a two-level bootstrap). McNemar: clips right only in A / "
            "only in B, exact two-sided p.</p>")


def _difference_tables(paired: list[dict[str, Any]]) -> str:
    """The compared pairs' differences, and their top-1 difference per lighting where there are several
    (one lighting: said once, in the section); no pair: empty."""
    lightings = sorted({lt for c in paired for lt in c.get("per_lighting", {})})
    scored = [(_difference_row(c), _lighting_row(c, lightings)) for c in paired]
    if not scored:
        return ""
    table = html_table(["A − B", "subjects / clips", "seeds", "top-1 points", "UF1", "UAR", "McNemar", "verdict"],
                       [row for row, _ in scored])
    if len(lightings) <= 1:
        return table
    cells, note = cells_with_counts([by_lighting for _, by_lighting in scored], lightings, "clips")
    return (table + "<h4>Top-1 difference per lighting (points)</h4>" + note
            + html_table(["A − B"] + lightings, [[row[0]] + cells_row for (row, _), cells_row in zip(scored, cells, strict=True)]))


def _difference_row(comparison: dict[str, Any]) -> list[str]:
    """A pair's row: its counts, seeds, differences, McNemar and verdict."""
    c = comparison
    pair = pair_name(c)
    mc, m = c["mcnemar"], c["metrics"]
    seeds = f'{c["trainings"]["a"]} × {c["trainings"]["b"]}' if c.get("trainings") else "–"
    return ([pair, f'{c["n_subjects"]} / {c["n"]}', seeds] + [signed_difference(m[k], *FIGURES[k]) for k in ("top1", "uf1", "uar")]
            + [f'{mc["a_only"]} / {mc["b_only"]}, p = {number(mc["p"], ".2g")}', _verdict(m)])


def _lighting_row(comparison: dict[str, Any], lightings: list[str]) -> list[tuple[str, tuple[Any, Any]]]:
    """A pair's top-1 difference in each of ``lightings`` with its subjects and clips (“–” where it has none),
    for :func:`~evface.report.html_parts.cells_with_counts`."""
    per = comparison["per_lighting"]
    return [(signed_difference(per[lt]["metrics"]["top1"], *FIGURES["top1"]), (per[lt]["n_subjects"], per[lt]["n"])) if lt in per
            else ("–", (None, None)) for lt in lightings]


def _seed_spread_table(spreads: list[dict[str, Any]]) -> str:
    """How far single trainings' top-1 differences stray from the ensembles', per pair of several seeds; none: empty."""
    if not spreads:
        return ""
    rows = [[pair_name(c),
             f'{len(c["seed_spread"]["a_top1"])} × {len(c["seed_spread"]["b_top1"])}',
             f'{fixed(c["seed_spread"]["min"], *FIGURES["top1"], "+")} to {fixed(c["seed_spread"]["max"], *FIGURES["top1"], "+")}',
             f'{c["seed_spread"]["a_ahead"]} / {c["seed_spread"]["b_ahead"]} of {c["seed_spread"]["n_pairs"]}']
            for c in spreads]
    return ("<h4>Between training seeds</h4><p>Every single training of A against every one of B "
            "(top-1 points): how far one seed's comparison can stray from the ensembles' above.</p>"
            + html_table(["A − B", "seeds", "top-1 A − B", "pairs above 0 / below 0"], rows))


def _one_training_note(single: list[dict[str, Any]], several_seeds: bool, stages: frozenset[str]) -> str:
    """The caveat on the ``single`` pairs of one training per fold (every pair, unless some hold
    ``several_seeds``), with the command that trains their arms more times (``stages``: the arms
    trained by an ``evface run``); none: empty.

    >>> "<code>evface run --seeds N</code> again" in _one_training_note([{"a": "events-hd", "b": "rgb"}], False,
    ...                                                                 frozenset({"events-hd", "rgb"}))
    True
    """
    if not single:
        return ""
    which = "Every pair above" if not several_seeds else f"{len(single)} of the pairs above"
    return (f'<p class="muted">{which} rests on one training per fold of each run: its interval covers which '
            f"subjects were tested, not how another training seed would come out. {_seeds_command(single, stages)} "
            "and the interval resamples the seeds too.</p>")


def _seeds_command(single: list[dict[str, Any]], stages: frozenset[str]) -> str:
    """How to train the arms of the pairs ``single`` several times: ``evface run --seeds N`` where every
    arm is a stage of an ``evface run`` (in ``stages``), ``evface train classify ... --seeds N`` where
    none is, else both (was: ``evface train classify`` for the stages of an ``evface run`` too)."""
    arms = {c[k] for c in single for k in ("a", "b")}
    if arms <= stages:
        return ("Train the arms with <code>evface run --seeds N</code> again, with the options the run was started "
                "with (it trains only the new seeds),")
    if not arms & stages:
        return "Train the arms with <code>evface train classify ... --seeds N</code>"
    return ("Train the arms with <code>--seeds N</code> (<code>evface run</code> again for the stages of an "
            "<code>evface run</code>, <code>evface train classify</code> for the other runs)")


def _unsampled_seeds_note(unsampled: list[dict[str, Any]]) -> str:
    """The caveat on the pairs of several seeds scored before each seed's logits were written; none: empty."""
    if not unsampled:
        return ""
    one = len(unsampled) == 1
    return (f'<p class="muted">{len(unsampled)} of the pairs above {"holds" if one else "hold"} several seeds '
            f'but {"was" if one else "were"} scored before each seed\'s logits were written '
            "(<code>seed_logits.csv</code>; “–” in column “seeds”): "
            + ("its interval resamples" if one else "their intervals resample")
            + " subjects only; <code>evface eval RUN</code> scores a run again with them.</p>")


def _unlike_pairs_note(paired: list[dict[str, Any]]) -> str:
    """The pairs whose models know other classes or whose clips were tested in other folds; none: empty."""
    unlike = [pair_name(c) + ": " + "; ".join(_unlike_reasons(c)) for c in paired if "classes" in c or "folds" in c]
    if not unlike:
        return ""
    return '<p class="muted">Pairs made differently (A / B): ' + "; ".join(unlike) + ".</p>"


def _unlike_reasons(comparison: dict[str, Any]) -> list[str]:
    """How a pair was made differently: other classes (A / B), other folds (A / B)."""
    c = comparison
    return (([f'the models know other classes ({html.escape(", ".join(map(str, c["classes"]["a"])))} / '
              f'{html.escape(", ".join(map(str, c["classes"]["b"])))})'] if "classes" in c else [])
            + ([f'the clips were tested in other folds ({html.escape(c["folds"]["a"])} / '
                f'{html.escape(c["folds"]["b"])}): the difference includes that of the protocols']
               if "folds" in c else []))
