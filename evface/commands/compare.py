"""``evface compare RUN_A RUN_B``: the paired difference of two runs, classification (the same clips) or
reconstruction (the same samples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from evface.commands.paths import file_name, made_folder, named_for, output_file, outside_datasets, replacing_as_checked
from evface.errors import DatasetError, ParameterError, counted, printable, where
from evface.io.atomic_files import atomic_write_text

NAMES = {"top1": "top-1 %", "uf1": "UF1", "uar": "UAR"}


def format_comparison(res: dict[str, Any]) -> str:
    """The comparison of :func:`evface.tasks.class_compare.compare_runs` as a plain-text table, its
    figures as the report gives them (:data:`evface.tasks.figure_format.FIGURES`), each column as wide
    as its widest cell (:func:`~evface.tasks.figure_format.aligned_columns`)."""
    trainings = _trainings(res)
    lines = [_head(res, trainings)]
    lines += _table(res, trainings)
    lines += _caveats(res)
    lines.append(_mcnemar_line(res))
    lines += _seed_lines(res, trainings)
    return "\n".join(lines)


def _trainings(res: dict[str, Any]) -> dict[str, int] | None:
    """The trainings per fold of each run (``{"a", "b"}``) where either run has several, else None:
    the intervals then cover the training seeds too."""
    return res.get("trainings") if max(res.get("trainings", {"a": 1}).values()) > 1 else None


def _head(res: dict[str, Any], trainings: dict[str, int] | None) -> str:
    """The line naming the runs, the clips and the intervals."""
    return (f"A = {res['a']}, B = {res['b']}: {counted(res['n'], 'clip')} of {counted(res['n_subjects'], 'subject')}, "
            "paired; 95 % intervals from a subject-cluster bootstrap"
            + (f", and over subjects and training seeds ({trainings['a']} of A, {trainings['b']} of B; "
               "the verdict follows it)" if trainings else ""))


def _table(res: dict[str, Any], trainings: dict[str, int] | None) -> list[str]:
    """The column heads and a row per metric over all clips, then a top-1 row per lighting (each row says
    the subjects / clips it rests on: a lighting's are fewer than the head line's), its columns as wide as
    their widest cell (was: fixed widths, into which a long lighting's name or a wide interval ran on);
    where every clip is of one lighting, the sentence saying so in place of those rows."""
    from evface.tasks.figure_format import aligned_columns, one_lighting  # lazy: numpy loads for this command only

    heads = (["", "metric", "A", "B", "A - B", "interval"] + (["with seeds"] if trainings else [])
             + ["subjects / clips", "verdict"])
    single = one_lighting(list(res["per_lighting"]))  # one lighting: said below the table, not repeated
    rows = [_row(group, key, d, part, trainings)
            for group, part in [("all", res)] + ([] if single else list(res["per_lighting"].items()))
            for key, d in part["metrics"].items() if group == "all" or key == "top1"]
    return aligned_columns([heads] + rows, {2, 3, 4}) + ([single] if single else [])


def _row(group: str, key: str, d: dict[str, Any], part: dict[str, Any], trainings: dict[str, int] | None) -> list[str]:
    """One row's cells: the clips (all, or a lighting), the metric ``key``, its value in A and in B, the
    difference ``d`` and its interval(s), the subjects / clips of ``part`` and the verdict."""
    from evface.tasks.figure_format import FIGURES, clear_digits, fixed  # lazy: numpy loads for this command only

    digits, scale = FIGURES[key]
    digits = clear_digits(d.get("ci_trainings") or d["ci"], digits, scale)  # as the interval its verdict follows
    return ([group, NAMES[key], fixed(d["a"], *FIGURES[key]), fixed(d["b"], *FIGURES[key]),
             fixed(d["diff"], digits, scale, "+"), _interval(d["ci"], key)]
            + ([_interval(d.get("ci_trainings"), key)] if trainings else [])
            + [f"{part.get('n_subjects', '–')} / {part.get('n', '–')}", d["verdict"]])


def _interval(ci: list[float] | None, key: str) -> str:
    """The interval ``ci`` of the metric ``key`` in its column, ``-`` where there is none; one that
    excludes 0 to the decimals it takes to read so (:func:`~evface.tasks.figure_format.clear_digits`)."""
    from evface.tasks.figure_format import FIGURES, clear_digits, fixed_interval  # lazy: numpy loads for this command only

    digits, scale = FIGURES[key]
    return fixed_interval(ci, clear_digits(ci, digits, scale), scale, "+") if ci else "-"


def _caveats(res: dict[str, Any]) -> list[str]:
    """What the pairing includes besides the models: other classes, other folds, and intervals
    over too few subjects."""
    from evface.tasks import figure_format  # lazy: numpy loads for this command only

    a, b = res["a"], res["b"]
    lines = []
    if "classes" in res:
        classes = res["classes"]
        lines.append(f"the models know other classes ({a}: {', '.join(map(str, classes['a']))}; {b}: "
                     f"{', '.join(map(str, classes['b']))}): the clips and their true classes are the same, but a "
                     "model can predict a class the other cannot")
    if "folds" in res:
        lines.append(f"the clips were tested in other folds ({a}: {res['folds']['a']}; {b}: {res['folds']['b']}): "
                     "the difference includes that of the protocols")
    caution = figure_format.few_subjects(res["n_subjects"], figure_format.CLASSIFY_COVERAGE)
    if caution:
        lines.append(caution)
    return lines


def _mcnemar_line(res: dict[str, Any]) -> str:
    """The exact McNemar test: the clips right in one run only, and its p."""
    from evface.tasks.figure_format import number  # lazy: numpy loads for this command only

    mc = res["mcnemar"]
    return (f"exact McNemar: {counted(mc['a_only'], 'clip')} right only in {res['a']}, {mc['b_only']} only in "
            f"{res['b']}, p = {number(mc['p'], '.3g')}")


def _seed_lines(res: dict[str, Any], trainings: dict[str, int] | None) -> list[str]:
    """How single trainings' top-1 differences spread over the seeds, and what the intervals cover:
    subjects only where the seeds' logits were not resampled, or one training per fold."""
    from evface.tasks.figure_format import FIGURES, fixed  # lazy: numpy loads for this command only

    a, b = res["a"], res["b"]
    spread = res.get("seed_spread")
    lines = []
    if spread:
        lines.append(f"single trainings ({counted(len(spread['a_top1']), 'seed')} of {a} x {len(spread['b_top1'])} of {b}): "
                     f"top-1 A - B from {fixed(spread['min'], *FIGURES['top1'], '+')} to "
                     f"{fixed(spread['max'], *FIGURES['top1'], '+')} points; "
                     f"above 0 in {spread['a_ahead']} of {counted(spread['n_pairs'], 'pair')}, below 0 in {spread['b_ahead']} "
                     "(single trainings, no interval: not a difference detected)")
    if spread and not trainings:
        lines.append("a run scored before its seed_logits.csv was written: the intervals resample subjects only "
                     "(evface eval RUN scores it again with the seeds' logits)")
    elif not spread:
        lines.append("one training per fold of each run: the interval covers which subjects were tested, not how "
                     "another training seed would come out (train with --seeds N to see that)")
    return lines


def tested(run: Path, reconstruction: bool) -> dict[str, Any]:
    """What made the scores of the run or evaluation folder ``run``: how it was tested (its
    ``metrics.json`` ``evaluated_on``; a reconstruction's ``evaluation``, its split or folds) and the
    training seeds whose models scored it (its ``metrics.json`` ``seeds``; a reconstruction's that
    records none, the first; else its run's ``config.json`` ``seed`` and ``seeds``, which a run given
    more seeds after an evaluation outgrows); each ``None`` where not recorded. A value of another
    type is a :class:`FormatError` naming its file.

    Parameters
    ----------
    run : Path
        A run or evaluation folder.
    reconstruction : bool
        Whether it is a reconstruction run's.

    Returns
    -------
    dict
        ``evaluated_on`` (str or None) and ``seeds`` (list of int or None).
    """
    from evface.tasks import run_evaluation, run_folder  # lazy: as the command's own imports

    key = "evaluation" if reconstruction else "evaluated_on"
    metrics = run_folder.read_json(run / "metrics.json") if (run / "metrics.json").is_file() else {}
    with run_folder.reading(run / "metrics.json"):
        run_folder.check_fields(metrics, {key: str} if metrics.get(key) is not None else {})
    trained = run_evaluation.trained_run(run)
    path = trained / "config.json" if trained is not None else None
    config = run_folder.read_json(path) if path is not None and path.is_file() else {}
    seeds = None
    if path is not None and "seed" in config:
        with run_folder.reading(path):
            run_folder.check_fields(config, {"seed": int} | ({"seeds": int} if "seeds" in config else {}))
            seeds = list(range(config["seed"], config["seed"] + config.get("seeds", 1)))
    if "seeds" in metrics:  # those whose models scored it: an evaluation's, made before its run was given more
        with run_folder.reading(run / "metrics.json"):
            run_folder.check_fields(metrics, {"seeds": list})
            seeds = [int(seed) for seed in metrics["seeds"]]
    elif reconstruction and seeds and metrics:  # a reconstruction records its seeds where it has several only
        seeds = seeds[:1]
    return {"evaluated_on": metrics.get(key), "seeds": seeds}


def tested_line(res: dict[str, Any]) -> str | None:
    """The line saying how each run of the comparison ``res`` was tested and with which training seeds
    (its ``tested``), once where both were alike; ``None`` where neither records either.

    Examples
    --------
    >>> said = {"evaluated_on": "every subject, 3-fold subject-grouped cross-validation", "seeds": [0]}
    >>> tested_line({"a": "hd", "b": "rgb", "tested": {"a": said, "b": said}})
    'tested: both every subject, 3-fold subject-grouped cross-validation, training seed 0'
    >>> tested_line({"a": "hd", "b": "rgb", "tested": {"a": said, "b": {"evaluated_on": None, "seeds": [0, 1]}}})
    'tested: hd every subject, 3-fold subject-grouped cross-validation, training seed 0; rgb training seeds 0, 1'
    """
    def words(t: dict[str, Any]) -> str:
        seeds = t["seeds"] and f"training seed{'s' if len(t['seeds']) > 1 else ''} {', '.join(map(str, t['seeds']))}"
        return ", ".join(w for w in (t["evaluated_on"], seeds) if w) or "not recorded"

    a, b = res["tested"]["a"], res["tested"]["b"]
    if not any(t[k] for t in (a, b) for k in ("evaluated_on", "seeds")):
        return None
    return f"tested: both {words(a)}" if a == b else f"tested: {res['a']} {words(a)}; {res['b']} {words(b)}"


RUN_FILES = ("config.json", "metrics.json", "predictions.csv", "scores.csv")
"""What a training run or an evaluation folder holds, one of them at least."""


def _check_holds_a_run(run: Path) -> None:
    """Refuse the folder ``run`` where it holds none of :data:`RUN_FILES` (an empty folder, a mistyped
    one of other files): one :class:`DatasetError` saying so, not the words for a run of the other task
    or one scored before its per-clip scores were written."""
    if not any((run / name).is_file() for name in RUN_FILES):
        raise DatasetError(where(run, "holds no run (no config.json, metrics.json, predictions.csv or scores.csv): give "
                                      "the folder of a training run (evface train ... --out RUN) or of an evaluation "
                                      "(evface eval RUN --out DIR)"))


def _printable_strings(value: Any) -> Any:
    """``value`` (a comparison) with each string in it, keys too, passed through
    :func:`~evface.errors.printable`: what the table prints of it (run names, which are folder names,
    lightings, classes) stays on its line and cannot drive the terminal; the JSON keeps them as they are.

    Examples
    --------
    >>> _printable_strings({"a": "hd\\x1b[2J", "per_lighting": {"dim\\nlit": [0.5, "b\\nc"]}})
    {'a': 'hd\\\\x1b[2J', 'per_lighting': {'dim\\\\nlit': [0.5, 'b\\\\nc']}}
    """
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable_strings(k): _printable_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(map(_printable_strings, value))
    return value


def earlier_comparison_only(path: Path) -> Path:
    """Return ``path`` unless it is an existing file other than an earlier comparison (a JSON object
    with ``run_a`` and ``run_b``): a run's ``config.json`` or ``metrics.json``, a dataset's
    ``dataset.json`` or a notes file is refused with :class:`ParameterError`, untouched.

    Examples
    --------
    >>> Path("config.json").write_text('{"task": "classify"}')
    20
    >>> earlier_comparison_only(Path("config.json"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: config.json: exists and is not a comparison evface wrote, which this command would write over; give --out another name
    >>> Path("hd-vs-lr.json").write_text('{"run_a": "hd", "run_b": "lr"}')
    30
    >>> str(earlier_comparison_only(Path("hd-vs-lr.json")))
    'hd-vs-lr.json'
    """
    output_file(path, replaces=(".json",))
    if path.is_file():
        try:
            earlier = json.loads(path.read_bytes())
        except (ValueError, RecursionError, OSError):
            earlier = None
        if not (isinstance(earlier, dict) and {"run_a", "run_b"} <= earlier.keys()):
            raise ParameterError(where(path, "exists and is not a comparison evface wrote, which this command would "
                                             "write over; give --out another name"))
    return path


def register(app: typer.Typer) -> None:
    """Add ``evface compare`` to ``app``."""

    @app.command("compare")
    def compare(
        run_a: Path = typer.Argument(..., metavar="A", help="A classification run (predictions.csv) or reconstruction run (scores.csv)."),
        run_b: Path = typer.Argument(..., metavar="B", help="Another run of the same task scored on the same clips / samples."),
        out: Path | None = typer.Option(None, "--out", parser=file_name("--out"), metavar="<path>", help="Also write the comparison as JSON to this file (a name ending in .json; an existing file is replaced only if it is an earlier comparison)."),
    ) -> None:
        """Paired difference A - B with subject-bootstrap intervals (over subjects and training seeds too
        for runs of several seeds): top-1, UF1, UAR and an exact McNemar test of two classification runs,
        or SSIM and PSNR per method of two reconstruction runs."""
        from evface.tasks import class_compare, recon_compare, run_evaluation, run_folder, run_scored  # lazy: scoring modules load for this command only
        from evface.tasks.run_resume import warn_of_version  # lazy: as above
        from evface.report import run_pairs, score_check  # lazy: as above

        if out is not None:
            outside_datasets(earlier_comparison_only(out), kind="file")  # was: written among a dataset's files
            named_for(out, "--out", (".json",), "a comparison (JSON)")  # was: JSON written under any name (--out cmp)
            earlier = out.is_file()
        if run_a.resolve() == run_b.resolve():
            raise ParameterError(f"{run_a} is given as both runs: compare two different runs")

        for run in (run_a, run_b):  # was: a mistyped path beside a reconstruction run "is not" a reconstruction run
            if not run.is_dir():
                raise DatasetError(where(run, "is a file, not a run folder" if run.exists() else "no such folder"))
            run_folder.check_not_other_folder(run)  # was: "no predictions ... evface eval RUN" of an evface run output
            _check_holds_a_run(run)  # was: "no predictions ... evface eval RUN" of an empty folder, or "... is not" a reconstruction run
            run_folder.check_written_together(run)  # was: a predictions.csv or scores.csv paired whatever metrics.json it lay beside
            run_scored.check_scored(run, "compare another run")  # was: a reconstruction run stopped before its
            # scores "is not" a reconstruction run; one resumed with more seeds compared as of every seed
        run_evaluation.check_not_one_run_twice(run_a, run_b)  # was: compared, every difference 0
        kinds = {run: recon_compare.is_reconstruction_run(run) for run in (run_a, run_b)}
        if kinds[run_a] != kinds[run_b]:
            recon, other = (run_a, run_b) if kinds[run_a] else (run_b, run_a)
            raise ParameterError(f"{recon} is a reconstruction run and {other} is not: compare two runs of one task")
        res = (recon_compare if kinds[run_a] else class_compare).compare_runs(run_a, run_b)  # reads them: a
        for run in (run_a, run_b):  # line cut short is named as such; was: a clip the dataset lacks counted
            run_pairs.check_scored_clips(run, recon_compare.SCORES_CSV if kinds[run_a] else class_compare.PREDICTIONS)
            score_check.check_scores_agree(run)  # was: a metrics.json that contradicts it
        for run in filter(None, map(run_evaluation.trained_run, (run_a, run_b))):  # was: no word of a newer evface's
            warn_of_version(run)
        res["tested"] = {k: tested(run, kinds[run_a]) for k, run in (("a", run_a), ("b", run_b))}  # was: said nowhere
        shown = _printable_strings(res)  # was: a run folder's line break or escape printed as it is
        print(recon_compare.format_comparison(shown) if kinds[run_a] else format_comparison(shown))
        line = tested_line(shown)
        if line is not None:
            print(line)
        if out is not None:
            text = json.dumps(res, indent=2)  # a file made at --out meanwhile as one there before (was: replaced)
            with made_folder(out.parent):  # a folder made for --out is removed if the write fails (was: left, empty)
                replacing_as_checked(out, lambda replace: atomic_write_text(out, text, replace), earlier_comparison_only,
                                     earlier)
