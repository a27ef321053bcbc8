"""The report's "Frame reconstruction" section: each method's SSIM at the apex with intervals, its
gain over keyframe copy, CVAE − method per lighting and between seeds, hd − lr pairs, training,
AU regions, the CVAE's latent and the figures."""

from __future__ import annotations

import html
from typing import Any

from evface.errors import counted
from evface.report.collect import ReportData, checked_data
from evface.report.html_parts import (PAPER, cells_with_counts, count_text, embedded_image, escaped_run_name,
                                      few_subjects_note, html_table, not_compared_list, one_lighting_note, pair_name,
                                      signed_mean, tested_run_name)
from evface.tasks.figure_format import RECON_COVERAGE, fixed, mean_with_interval, number, unsampled_said

FIGURE_CAPTIONS = {
    "apex.png": ": a few test clips at the apex, one column per method, and the target.",
    "horizon.png": (": SSIM and PSNR against the horizon, each point the mean over the samples of its bin, without "
                    "an interval: a gap between two curves is not tested (the paired tables above are)."),
}
"""What a reconstruction run's figures show, after the run's name (a figure of another name: the name alone)."""

LEVELS_ONLY = ('<p class="muted">Mean SSIM without intervals: a difference between two methods here is not '
               "tested (the paired differences above are, over the face and in the active regions).</p>")

RECORDED_REGIONS = ("regions of a recording are placed by the synthetic face model's geometry in its detected face "
                    "box: take their scores as approximate (docs/import-guide.md, 1.7)")


SENSOR_INTRO = ("<h3>High- vs low-resolution events, paired on the same samples</h3><p>Each hd run minus the lr run "
                "of the same protocol and samples; the targets are the same, so the methods that see no event "
                "(keyframe copy, the RGB-only baselines) differ by exactly 0. SSIM differences with 95 % "
                "subject-cluster bootstrap intervals, over subjects and trainings where a run trained the method with "
                "several seeds; a difference is stated only where the interval excludes 0.</p>")
"""The hd − lr section's heading and how its differences are made and worded."""


def _sensor_differences(comparisons: list[dict[str, Any]]) -> str:
    """hd - lr reconstruction runs paired sample by sample, per method, worded by their intervals."""
    if not comparisons:
        return ""
    rows, unsampled = _sensor_rows(comparisons)
    return (SENSOR_INTRO
            + (html_table(["hd − lr", "method", "subjects / samples: apex; all horizons", "SSIM at the apex",
                           "SSIM active AUs at the apex",
                           "SSIM all horizons", "verdict (active, apex)"], rows) if rows else "")
            + _seed_scores_note(unsampled)
            + _one_run_only_notes(comparisons)
            + not_compared_list(comparisons))


def _sensor_rows(comparisons: list[dict[str, Any]]) -> tuple[list[list[str]], int]:
    """The compared pairs' rows, one per method, and how many pairs of several trainings were scored
    before each training's scores were written (their intervals resample subjects only)."""
    rows, unsampled = [], 0
    for c in comparisons:
        if "error" in c:
            continue
        pair = pair_name(c)
        unsampled += _scored_before_seed_scores(c)
        rows += [_sensor_row(pair, c, method, entry) for method, entry in c["methods"].items()]
    return rows, unsampled


def _scored_before_seed_scores(comparison: dict[str, Any]) -> bool:
    """Whether a pair holds a run of several trainings but no difference over them (``ci_trainings``)."""
    cells = [d for entry in comparison["methods"].values() for part in entry.values() for d in part.values()]
    return max(comparison.get("trainings", {"a": 1}).values()) > 1 and not any("ci_trainings" in d for d in cells)


def _sensor_row(pair: str, comparison: dict[str, Any], method: str, entry: dict[str, Any]) -> list[str]:
    """A method's row of the pair: the subjects and samples its differences rest on (at the apex; over
    every horizon), hd − lr SSIM at the apex (face, active AUs), over every horizon, and the verdict in
    the active regions at the apex. The active regions' difference, which rests on the samples where
    they are scored, says its own counts where they are not the apex's (was: every column under the
    apex's counts, the all-horizons one resting on every sample)."""
    apex, every = entry.get("apex", {}), entry.get("all", {})
    verdict = apex.get("active_ssim", {}).get("verdict", "–")
    at_apex = _rests_on(apex.get("face_ssim")) or f'{count_text(comparison["n_subjects"])} / {count_text(comparison["n_apex"])}'
    active = _sensor_cell(apex.get("active_ssim")) + _own_counts(apex.get("active_ssim"), at_apex)
    return [pair, html.escape(method), f'{at_apex}; {_rests_on(every.get("face_ssim")) or "–"}',
            _sensor_cell(apex.get("face_ssim")), active, _sensor_cell(every.get("face_ssim")), html.escape(verdict)]


def _rests_on(d: dict[str, Any] | None) -> str | None:
    """“subjects / samples” of one difference (its ``n_clusters`` and ``n``); ``None`` where it has none."""
    return f'{count_text(d.get("n_clusters"))} / {count_text(d.get("n"))}' if d and "n" in d else None


def _sensor_cell(d: dict[str, Any] | None) -> str:
    """One hd − lr difference with its interval (over subjects and trainings where there is one); none: “–”."""
    return signed_mean({**d, "mean": d["diff"], "ci": d.get("ci_trainings") or d["ci"]}) if d else "–"


def _seed_scores_note(unsampled: int) -> str:
    """The caveat on the ``unsampled`` pairs of several trainings scored before each training's scores were
    written; none: empty."""
    if not unsampled:
        return ""
    return (f'<p class="muted">{unsampled} of the pairs above {"holds" if unsampled == 1 else "hold"} several '
            f'trainings but {"was" if unsampled == 1 else "were"} scored before each training\'s scores were written '
            "(<code>seed_scores.csv</code>): " + ("its interval resamples" if unsampled == 1 else
                                                  "their intervals resample")
            + " subjects only; <code>evface eval RUN</code> scores a run again with them.</p>")


def _one_run_only_notes(comparisons: list[dict[str, Any]]) -> str:
    """Per pair, the methods scored by one run only, which are not compared."""
    return "".join(f'<p class="muted">{pair_name(c)}: not compared, scored by one '
                   "run only: " + html.escape("; ".join(f"{', '.join(c['not_compared'][k])} ({c[k]})" for k in ("a", "b")
                                                       if c["not_compared"][k])) + ".</p>"
                   for c in comparisons if c.get("not_compared"))


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
                rows.append([escaped_run_name(r), html.escape(str(part.get("name", "–"))), label,
                             f"{count_text(fit['epochs_run'])} of {count_text(cfg.get('epochs'))}", count_text(fit["best_epoch"] + 1),
                             fixed(fit["best_score"], 4), "yes" if learning else "no"])
    if not rows:
        return ""
    note = (f"{still} of {counted(len(rows), 'model')} had their best validation SSIM in their last epoch: they were still "
            "improving, so these are the scores of models that had not converged."
            if still else "Every model stopped improving before its last epoch.")
    return ("<h3>Training</h3><p>Epochs run (of the budget), the best epoch on the validation subjects (counted "
            f"from 1) and its SSIM. {html.escape(note)}</p>"
            + html_table(["run", "part", "model", "epochs", "best epoch", "validation SSIM", "still improving"], rows))


def _recon_seeds(runs: list[dict[str, Any]], by_lighting: bool) -> str:
    """Per run trained with several seeds, each training's CVAE − method at the apex beside the
    mean over them (what the run scores), and per lighting where ``by_lighting``; for the runs of
    one training, a caveat."""
    several = [r for r in runs if r["metrics"].get("per_seed")]
    parts = [_seeds_table(several, by_lighting)] if several else []
    if len(several) < len(runs):
        parts.append(_trained_once_note(some_several=bool(several)))
    return "".join(parts)


SEEDS_INTRO = ("<h3>Between training seeds</h3><p>Runs that trained every part several times score a sample by "
               "the mean over the trainings (the tables above). Here each training alone: CVAE − method, SSIM "
               "over the face at the apex, in all and per lighting, with 95 % subject-cluster intervals; a sign "
               "that changes between seeds is a difference that one training cannot decide. The mean over seeds "
               "is shown twice: with the subject-cluster interval of the tables above, and with an interval that "
               "resamples the subjects and each fold's trainings both (a two-level bootstrap), which covers how "
               "other trainings would come out; a difference is claimed where that one excludes 0.</p>")
"""The "Between training seeds" heading and what its table shows."""


def _seeds_table(several: list[dict[str, Any]], by_lighting: bool) -> str:
    """The runs of ``several`` seeds: per method (and lighting, where ``by_lighting``), each training's
    CVAE − method and the mean over them, with both of its intervals."""
    heads, n = _seed_heads(several)
    rows = [row for r in several for method, pooled in r["metrics"].get("cvae_vs", {}).items()
            for row in _method_seed_rows(r, method, pooled, n, by_lighting)]
    return SEEDS_INTRO + html_table(["run", "CVAE − method", "subjects / apex samples"] + heads
                                    + ["mean over seeds", "mean, subjects and trainings"], rows)


def _seed_heads(several: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The columns of the trainings (“seed S” where every run trained the same seeds, else “training K”)
    and how many there are at most."""
    seeds = {tuple(e.get("seed") for e in r["metrics"]["per_seed"]) for r in several}
    n = max(len(s) for s in seeds)
    return ([f"seed {s}" for s in next(iter(seeds))] if len(seeds) == 1 else [f"training {k + 1}" for k in range(n)]), n


def _method_seed_rows(run: dict[str, Any], method: str, pooled: dict[str, Any], n: int,
                      by_lighting: bool) -> list[list[str]]:
    """A method's rows of a run of several seeds: over all lightings, then per lighting where ``by_lighting``
    (``pooled``: CVAE − method of the mean over the trainings, with its subject-cluster interval)."""
    m = run["metrics"]
    per_seed = [e.get("cvae_vs", {}).get(method, {}) for e in m["per_seed"]]
    both = m.get("cvae_vs_over_trainings", {}).get(method, {})  # runs scored before 2026-12-05 lack it
    mean = pooled.get("apex_face_ssim")
    rows = [_seed_row(escaped_run_name(run), html.escape(method), _rests_on(mean),
                      [signed_mean(v.get("face")) for v in per_seed], n, signed_mean(mean), signed_mean(both.get("face")))]
    for light in sorted({x for v in per_seed for x in v.get("apex_by_lighting", {})} if by_lighting else ()):
        cells = [v.get("apex_by_lighting", {}).get(light, {}).get("face") for v in per_seed]
        mean = pooled.get("apex_by_lighting", {}).get(light, {}).get("face")
        rows.append(_seed_row(escaped_run_name(run), html.escape(f"{method}, {light}"), _rests_on(mean),
                              [signed_mean(c) for c in cells], n, signed_mean(mean),
                              signed_mean(both.get("apex_by_lighting", {}).get(light, {}).get("face"))))
    return rows


def _seed_row(run_name: str, label: str, counts: str | None, trainings: list[str], n: int, mean: str,
              over_trainings: str) -> list[str]:
    """A row of the seeds table: the run and what it compares, the subjects / apex samples its
    differences rest on (a lighting's fewer than all: was not said), each training's difference (“–”
    for the trainings a run has fewer of than ``n``), the mean's with its subject-cluster interval and
    with its interval over subjects and trainings."""
    return [run_name, label, counts or "–"] + trainings + ["–"] * (n - len(trainings)) + [mean, over_trainings]


def _trained_once_note(some_several: bool) -> str:
    """The caveat on models trained once (every model, unless ``some_several`` runs trained several seeds)."""
    which = "Each model" if not some_several else "Each model of the runs not in that table"
    return (f'<p class="muted">{which} was trained once per fold or split: an interval covers which subjects '
            "were tested, not how another training seed would come out, which in dim light can reverse the "
            "sign of the CVAE − UNet difference (docs/reconstruction.md, \"Dim light: training variance\"); "
            "<code>--seeds N</code> trains each N times.</p>")


def _recon_tested(run: dict[str, Any]) -> str:
    """What a reconstruction run was tested on, for the section's "Tested:" line: its protocol and
    its test subjects; for an evaluation on another dataset, what the evaluation did (which names
    the run's protocol once) and the clips and subjects of that dataset it scored."""
    m = run["metrics"]
    subjects = m.get("n_subjects", len(m.get("subjects", [])))
    samples = count_text(m.get("n_samples"), "sample")
    if run.get("elsewhere"):
        return (f"{tested_run_name(run)}: {html.escape(run['elsewhere'])}, {count_text(m.get('n_clips'), 'clip')} of "
                f"{count_text(subjects, 'subject')}, {samples}")
    never = str(m.get("evaluated_on", ""))
    return (f"{escaped_run_name(run)}: {html.escape(str(m.get('evaluation', 'one subject split')))}, "
            f"{count_text(subjects, 'test subject')}{_split_subjects(m)}, {count_text(m.get('n_clips'), 'clip')}, {samples}"
            + (f" ({html.escape(never)})" if "never saw" in never else "") + html.escape(unsampled_said(m)))


SPLIT = "subject split"
"""A reconstruction run's ``evaluation`` of one subject split: :data:`evface.tasks.recon_run.SPLIT`, which
the report does not import (that module loads torch)."""
SPLIT_NAMED = 10
"""The most test subjects of a subject split the "Tested:" line names (more: the first, then "…")."""


def _split_subjects(metrics: dict[str, Any]) -> str:
    """`` (s1, s4; the other subjects trained and validated the models)``: the test subjects of a
    subject split (its ``metrics.json`` ``subjects``), escaped, and why the others were not tested;
    '' under folds, where every subject is tested (the line says so), or where they are not recorded.

    Examples
    --------
    >>> _split_subjects({"evaluation": "subject split", "subjects": ["s1", "s4"]})
    ' (s1, s4; the other subjects trained and validated the models)'
    >>> _split_subjects({"evaluation": "3 subject folds", "subjects": ["s1", "s4"]})
    ''
    """
    tested = metrics.get("subjects")
    if metrics.get("evaluation") != SPLIT or not isinstance(tested, list) or not tested:
        return ""
    named = ", ".join(html.escape(str(s)) for s in tested[:SPLIT_NAMED]) + (", …" if len(tested) > SPLIT_NAMED else "")
    return f" ({named}; the other subjects trained and validated the models)"


HEADING = '<section id="reconstruction"><h2>Frame reconstruction from events (CVAE)</h2>'
"""The section's opening and title."""


def build_reconstruct_section(data: ReportData) -> str:
    """The reconstruction section: each run's scores per method beside the paper's, its training,
    the paired differences (between methods, sensors and training seeds, per lighting and AU
    region), the CVAE's latent and each run's figure.

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
    >>> build_reconstruct_section(data)
    '<section id="reconstruction"><h2>Frame reconstruction from events (CVAE)</h2><p>No reconstruction runs found.</p></section>'
    """
    data = checked_data(data)
    runs = data.reconstruct
    if not runs:
        return HEADING + "<p>No reconstruction runs found.</p></section>"
    recorded = _recorded_targets(runs)
    parts = [HEADING, _protocol(runs, recorded), _tested(runs), few_subjects_note(runs, RECON_COVERAGE)]
    lightings = _apex_lightings(runs)
    by_lighting = len(lightings) > 1
    parts += [one_lighting_note(lightings),  # and no table per lighting, which would repeat the figures over all
              _recordings_note(recorded),
              _apex_table(runs),
              _recon_seeds(runs, by_lighting),
              _cvae_vs_per_lighting(runs, by_lighting),
              _sensor_differences(data.sensor_comparisons),
              _training_table(runs),
              _region_table(runs, recorded),
              _grouped_tables(runs, by_lighting),
              _latent_table(runs),
              _paper_note(),
              _figures(runs)]
    return "".join(parts) + "</section>"


def _recorded_targets(runs: list[dict[str, Any]]) -> list[str]:
    """Per run scored on recordings (against their own RGB frames), its name and how many of its
    clips: empty where every run is of synthetic clips."""
    return [f"{escaped_run_name(r)}: {count_text(n)} of {count_text(m.get('n_clips'), 'clip')}" for r in runs
            if (n := (m := r["metrics"]).get("grid", {}).get("targets", {}).get("rgb"))]


def _protocol(runs: list[dict[str, Any]], recorded: list[str]) -> str:
    """The target grid, the protocols, the SSIM and its regions, and the intervals, worded for the
    clips the runs were scored on (``recorded``: :func:`_recorded_targets`)."""
    synthetic = any(r["metrics"].get("grid", {}).get("targets", {}).get("truth", 1) for r in runs)
    grid = ("hd's face box, the clean hd truth" + ("; a recording's RGB face box and its own RGB frames, below"
                                                   if recorded else "") if synthetic else
            "each recording's RGB face box and its own RGB frames, below")
    return (f"<p>Held-out subjects, one target grid for hd and lr ({grid}, so both "
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


def _tested(runs: list[dict[str, Any]]) -> str:
    """The "Tested:" line: each run's test (:func:`_recon_tested`), and how folds test every subject."""
    return ("<p>Tested: " + "; ".join(map(_recon_tested, runs))
            + (" (under folds every subject is tested once, by the models that never saw it, and the intervals "
               "resample all of them)" if not all(r.get("elsewhere") for r in runs) else "") + ".</p>")


def _apex_lightings(runs: list[dict[str, Any]]) -> list[str]:
    """The lightings the runs' methods were scored in at the apex, sorted."""
    return sorted({x for r in runs for v in r["metrics"].get("methods", {}).values()
                   for x in v.get("apex_by", {}).get("lighting", {})})


def _recordings_note(recorded: list[str]) -> str:
    """How recordings, without truth frames, are scored (``recorded``: :func:`_recorded_targets`; none: empty)."""
    if not recorded:
        return ""
    return ("<p>Recordings, which have no truth frames, are scored against their own RGB frames: the "
            "sample times are frame mid-exposures, the target is the frame at t on the same grid, and the "
            "RGB-only methods see only earlier frames (" + "; ".join(recorded) + ").</p>")


def _apex_table(runs: list[dict[str, Any]]) -> str:
    """Each run's methods at the apex: the subjects / apex samples its intervals rest on (a
    difference in the active regions its own where they are not those of the face: was none, the
    "Tested:" line's counts of every horizon's samples alone), SSIM over the face and the active
    regions with intervals, PSNR, SSIM over every horizon, the gain over keyframe copy and CVAE − method."""
    rows = []
    for r in runs:
        m = r["metrics"]
        gains, versus = m.get("gain_over_keyframe", {}), m.get("cvae_vs", {})
        both = m.get("cvae_vs_over_trainings", {})  # several seeds: the interval over subjects and trainings
        for method, v in m.get("methods", {}).items():
            apex, ci = v.get("apex", {}), v.get("apex_interval", {})
            gain = gains.get(method, {}).get("apex_active_ssim")
            vs = both.get(method, {}).get("active") or versus.get(method, {}).get("apex_active_ssim")
            counts = _rests_on(ci.get("face")) or _rests_on(gain) or _rests_on(vs)
            rows.append([escaped_run_name(r), html.escape(method), counts or "–",
                         mean_with_interval(ci.get("face"), apex.get("face", {}).get("ssim")),
                         mean_with_interval(ci.get("active"), apex.get("active", {}).get("ssim"))
                         + _own_counts(ci.get("active"), counts), fixed(apex.get("face", {}).get("psnr"), 2),
                         fixed(v.get("all", {}).get("ssim"), 4),
                         signed_mean(gain) + _own_counts(gain, counts), signed_mean(vs) + _own_counts(vs, counts)])
    return ("<h3>At the apex</h3>" + ("<p>CVAE − method of a run of several training seeds: its interval "
                                      "resamples the subjects and each fold's trainings (\"Between training "
                                      "seeds\" below).</p>" if any("cvae_vs_over_trainings" in r["metrics"]
                                                                   for r in runs) else "") + html_table(
        ["run", "method", "subjects / apex samples", "SSIM", "SSIM active AUs", "PSNR dB", "SSIM all horizons",
         "gain over keyframe (active)", "CVAE − method (active)"], rows))


def _own_counts(d: dict[str, Any] | None, counts: str | None) -> str:
    """`` (S / N)``: the subjects / samples of the interval ``d`` where they are not the row's ``counts``; else empty."""
    own = _rests_on(d)
    return f" ({own})" if own and own != counts else ""


def _cvae_vs_per_lighting(runs: list[dict[str, Any]], by_lighting: bool) -> str:
    """CVAE − method at the apex per lighting, with counts, where the runs hold several lightings
    (``by_lighting``); else empty."""
    by_light = [(r, method, r["metrics"].get("cvae_vs_over_trainings", {}).get(method, {}).get(
                 "apex_by_lighting") or v.get("apex_by_lighting", {}))
                for r in runs for method, v in r["metrics"].get("cvae_vs", {}).items()]
    lights = sorted({x for _, _, g in by_light for x in g})
    if not (lights and by_lighting):
        return ""
    grid = [[(signed_mean(d), (d.get("n_clusters"), d.get("n")) if d else (None, None))
             for x in lights for d in [g.get(x, {}).get("face")]] for _, _, g in by_light]
    cells, note = cells_with_counts(grid, lights, "apex samples")
    rows = [[escaped_run_name(r), html.escape(method)] + row for (r, method, _), row in zip(by_light, cells, strict=True)]
    return ("<h3>CVAE − method per lighting, at the apex</h3><p>SSIM over the face, paired per sample, with "
            "95 % subject-cluster intervals (bold where they exclude 0; for a run of several training seeds "
            "over subjects and trainings): where one lighting carries a difference.</p>" + note
            + html_table(["run", "CVAE − method"] + [html.escape(x) for x in lights], rows))


def _region_table(runs: list[dict[str, Any]], recorded: list[str]) -> str:
    """Each method's SSIM per AU region at the apex, levels without intervals; with a caveat on the
    regions of recordings (``recorded``: :func:`_recorded_targets`). No region scored: empty."""
    regions = [x for x in ("brows", "eyes", "nose", "mouth", "chin") if any(x in v.get("apex", {}) for r in runs
                                                                        for v in r["metrics"].get("methods", {}).values())]
    if not regions:
        return ""
    rows = [[escaped_run_name(r), html.escape(method)] + [fixed(v.get("apex", {}).get(x, {}).get("ssim"), 4) for x in regions]
            for r in runs for method, v in r["metrics"].get("methods", {}).items()]
    return ("<h3>SSIM per AU region at the apex</h3>" + LEVELS_ONLY
            + (f'<p class="muted">The {RECORDED_REGIONS}.</p>' if recorded else "")
            + html_table(["run", "method"] + regions, rows))


def _grouped_tables(runs: list[dict[str, Any]], by_lighting: bool) -> str:
    """Each method's SSIM in the active AU regions at the apex by AU class, and by lighting where
    the runs hold several (``by_lighting``): levels without intervals."""
    parts = []
    for group, title in (("aus", "AU class"), ("lighting", "lighting")):
        by = [(r, method, v.get("apex_by", {}).get(group, {}))
              for r in runs for method, v in r["metrics"].get("methods", {}).items()]
        labels = sorted({k for _, _, g in by for k in g})
        if labels and (by_lighting or group != "lighting"):
            rows = [[escaped_run_name(r), html.escape(method)] + [fixed(g.get(x, {}).get("active_ssim"), 4) for x in labels]
                    for r, method, g in by]
            parts.append(f"<h3>SSIM in the active AU regions at the apex, by {title}</h3>" + LEVELS_ONLY
                         + html_table(["run", "method"] + [html.escape(x) for x in labels], rows))
    return "".join(parts)


def _latent_table(runs: list[dict[str, Any]]) -> str:
    """The CVAE's latent at the apex, per run that scored it: KL per channel, the spread of K prior
    samples and the SSIM of their mean beside the prior mean's. None: empty."""
    rows = [[escaped_run_name(r), " ".join(number(k, ".2f") for k in lt.get("kl_per_channel", [])), count_text(lt.get("k")),
             fixed(lt.get("spread_face"), 4), fixed(lt.get("spread_moving"), 4), fixed(lt.get("spread_static"), 4),
             _active_ssim(lt, f"mean_of_{lt.get('k')}"), _active_ssim(lt, "prior_mean")]
            for r in runs if (lt := r["metrics"].get("latent"))]
    if not rows:
        return ""
    return ("<h3>The CVAE's latent</h3><p>At the apex: KL(q‖p) per latent channel (nats; near 0 = unused), "
            "the standard deviation over K prior samples over the face, where the face moved most (top 10 % "
            "of |target − keyframe|) and elsewhere, and the SSIM in the active AU regions of the mean of the K "
            "samples beside that of the prior-mean decoding.</p>"
            + html_table(["run", "KL per channel", "K", "spread face", "spread moving", "spread static",
                          "SSIM mean of K", "SSIM prior mean"], rows))


def _active_ssim(latent: dict[str, Any], which: str) -> str:
    """The SSIM in the active AU regions at the apex of the decoding ``which`` of the latent's scores."""
    return fixed(latent.get(f"apex_ssim_{which}", {}).get("active"), 4)


def _paper_note() -> str:
    """The paper's SSIM and PSNR, on its own protocol."""
    return (f'<p class="muted">Paper (hd events, CVAE): SSIM {PAPER["reconstruct"]["ssim"]:.4f}, PSNR '
            f'{PAPER["reconstruct"]["psnr"]:.2f} dB, on its own protocol; compare with the events-only runs.</p>')


def _figures(runs: list[dict[str, Any]]) -> str:
    """Each run's figures, embedded, with what they show (:data:`FIGURE_CAPTIONS`)."""
    figs = [f'<figure class="wide">{embedded_image(png, "figure " + r["name"])}<figcaption>{escaped_run_name(r)}'
            f'{FIGURE_CAPTIONS.get(name, "")}</figcaption></figure>' for r in runs for name, png in r.get("strips", [])]
    return f'<div class="grid">{"".join(figs)}</div>'
