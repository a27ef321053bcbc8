"""Whether a training run's own scores are whole: a run whose training stopped before it was scored
(no ``metrics.json``), or that was resumed with more seeds and stopped before they were scored, is
refused by every command that reads its scores (``evface report``, ``evface compare``), with the
same words of what to do: resume the run (``evface run --out OUT`` again for a stage of an ``evface
run`` output, else its ``evface train`` command), or leave it out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evface.errors import FormatError, where
from evface.tasks.run_folder import CONFIG, METRICS, STAGE_DONE, check_fields, read_json, reading

RUN_RECORDS = ("pipeline.json", "started.json")
"""What the output folder of ``evface run`` holds once the run has begun (its record when it ended,
or when it started)."""


def stage_of(run: Path) -> tuple[Path, str] | None:
    """The ``evface run`` output and stage name of the training run folder ``run`` where it is a
    stage's (``OUT/stages/<name>-<key>``, ``OUT`` holding a run's record, :data:`RUN_RECORDS`, or
    ``run`` its ``stage.json``), else ``None``.

    Parameters
    ----------
    run : Path
        A training run folder.

    Returns
    -------
    tuple of (Path, str) or None

    Examples
    --------
    >>> Path("quick/stages/events-hd-3a").mkdir(parents=True)
    >>> stage_of(Path("quick/stages/events-hd-3a")) is None  # no evface run's record there
    True
    >>> _ = Path("quick/started.json").write_text("{}")
    >>> stage_of(Path("quick/stages/events-hd-3a"))
    (PosixPath('quick'), 'events-hd')
    """
    root = run.parent.parent
    if run.parent.name != "stages" or not (any((root / name).is_file() for name in RUN_RECORDS)
                                           or (run / STAGE_DONE).is_file()):
        return None
    return root, run.name.rpartition("-")[0] or run.name


def not_evaluated(run: Path, stage: tuple[Path, str] | None, instead: str) -> str:
    """Why the training run folder ``run``, which has no ``metrics.json``, has no scores to read, and
    what to do: a training run is finished (or evaluated), or ``instead``; a stage (``stage``: its
    ``evface run`` folder and name) is finished by resuming its run, and one that finished (its
    ``stage.json`` there) lost the file in a copy.

    Parameters
    ----------
    run : Path
        The training run folder.
    stage : tuple of (Path, str) or None
        Its ``evface run`` folder and stage name where it is a stage's (:func:`stage_of`).
    instead : str
        What else the user may do (``"leave it out of the report"``).

    Returns
    -------
    str

    Examples
    --------
    >>> not_evaluated(Path("runs/quick/stages/events-hd-0"), (Path("runs/quick"), "events-hd"), "")
    "missing: stage events-hd of the run runs/quick was not evaluated (interrupted?); resume the run: 'evface run --out runs/quick' again, with the options it was started with"
    >>> not_evaluated(Path("runs/k4"), None, "give another run")
    "missing: this run was not evaluated (interrupted?); finish it, or run 'evface eval RUN', or give another run"
    """
    if stage is None:
        return f"missing: this run was not evaluated (interrupted?); finish it, or run 'evface eval RUN', or {instead}"
    root, name = stage
    again = f"'evface run --out {root}' again, with the options it was started with"
    if (run / STAGE_DONE).exists():  # a finished stage: the pipeline would skip it
        return (f"missing: stage {name} of the run {root} finished, but its scores are not here (left out of a "
                f"copy?); copy the file again, or delete the stage folder and resume the run: {again}")
    return f"missing: stage {name} of the run {root} was not evaluated (interrupted?); resume the run: {again}"


def check_all_seeds_scored(config: dict[str, Any], metrics: dict[str, Any], run: Path,
                           stage: tuple[Path, str] | None, instead: str) -> None:
    """Refuse the run folder ``run`` where its ``metrics.json`` scores fewer training seeds than its
    ``config.json`` lists (``seeds``; 1 where absent, as ``metrics.json``'s list of ``seeds``): the
    run was resumed with more seeds and has not finished, so its scores are those of the run before
    (was: shown beside the configuration of the larger run). One :class:`FormatError` naming the
    file, and what to do, as :func:`not_evaluated` says it.

    Parameters
    ----------
    config, metrics : dict
        The run's ``config.json`` and ``metrics.json``.
    run : Path
        The training run folder.
    stage : tuple of (Path, str) or None
        Its ``evface run`` folder and stage name where it is a stage's (:func:`stage_of`).
    instead : str
        What else the user may do (``"leave it out of the report"``).

    Examples
    --------
    >>> check_all_seeds_scored({"seeds": 3}, {"seeds": [0]}, Path("runs/k4"), None, "leave it out of the report")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: runs/k4/metrics.json: the scores of 1 of the run's 3 training seeds: it was resumed with more seeds and has not finished (interrupted?); finish it (its evface train command again), or leave it out of the report
    """
    for path, record, kind in ((run / CONFIG, config, int), (run / METRICS, metrics, list)):
        with reading(path):
            check_fields(record, {})  # an object first: was "argument of type 'NoneType' is not iterable"
            check_fields(record, {"seeds": kind} if "seeds" in record else {})
    listed, scored = config.get("seeds", 1), len(metrics.get("seeds") or [0])
    if scored >= listed:
        return
    said = f"the scores of {scored} of the run's {listed} training seeds: it was resumed with more seeds and has not finished"
    if stage is None:
        raise FormatError(where(run / METRICS, f"{said} (interrupted?); finish it (its evface train command again), "
                                               f"or {instead}"))
    root, name = stage
    raise FormatError(where(run / METRICS, f"stage {name} of the run {root}: {said} (interrupted?); resume the run: "
                                           f"'evface run --out {root}' again, with the options it was resumed with"))


def check_scored(run: Path, instead: str) -> None:
    """Refuse the folder ``run`` where it holds a training run (its ``config.json``) whose own scores
    are not whole: no ``metrics.json`` (its training stopped before it was scored; was, in ``evface
    compare``: "RUN is a reconstruction run and THIS is not", or "no predictions of a classification
    run here" of a reconstruction run), or those of fewer seeds than it lists
    (:func:`check_all_seeds_scored`; was: compared, and said to be of every seed). An evaluation's
    folder (no ``config.json``) passes.

    Parameters
    ----------
    run : Path
        A run or evaluation folder.
    instead : str
        What else the user may do (``"give another run"``).

    Examples
    --------
    >>> _ = Path("k4").mkdir(), Path("k4/config.json").write_text('{"task": "classify", "seeds": 1}')
    >>> check_scored(Path("k4"), "give another run")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: k4/metrics.json: missing: this run was not evaluated (interrupted?); finish it, or run 'evface eval RUN', or give another run
    """
    if not (run / CONFIG).is_file():
        return
    stage = stage_of(run)
    if not (run / METRICS).exists():
        raise FormatError(where(run / METRICS, not_evaluated(run, stage, instead)))
    check_all_seeds_scored(read_json(run / CONFIG), read_json(run / METRICS), run, stage, instead)
