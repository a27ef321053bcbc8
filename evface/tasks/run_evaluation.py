"""An evaluation of a run: where it may write, and what it says when scored on other data.

- :func:`evaluation_folder` / :func:`evaluation_target`: the run folder takes only an evaluation on
  the very clips the run was trained on; ``--out`` a new folder or an earlier evaluation of this run;
- :func:`scored_by` / :func:`scored_elsewhere` (:data:`HELD_OUT`): the words of an evaluation on
  another dataset folder, in ``evaluated_on`` and in the report;
- :func:`trained_run` / :func:`pairing_hint`: the run whose models scored a run's or an
  evaluation's clips, and how to pair two that scored other clips.
"""

from __future__ import annotations

from pathlib import Path

from evface.errors import EvfaceError, ParameterError, counted, where
from evface.tasks.run_clips import is_training_data, other_data
from evface.tasks.run_folder import CONFIG, METRICS, load_config, read_json


def evaluation_folder(run_dir: str | Path, data: str | Path, out: str | Path | None) -> Path:
    """Where ``evface eval`` of ``run_dir`` on ``data`` writes its files: ``out``, else ``run_dir``.

    The run folder takes only an evaluation on the very data the run was trained on (its
    ``metrics.json`` is the run's test result): the same clip files in any folder
    (:func:`~evface.tasks.run_clips.other_data`; not the same manifest rows rendered again with other event noise or
    settings). ``out`` must be a new folder, or one an earlier evaluation of this run wrote (it holds
    ``metrics.json`` and no run; its ``run``, where recorded, is this run, and its ``task``, where
    recorded, this run's; one of them is recorded: a classification evaluation has named its run
    since evface's first version, a reconstruction one its task, and also its run since 2026-12-04).
    Anything else is a :class:`ParameterError` naming ``--out`` (or the ``metrics.json`` of another tool).

    Parameters
    ----------
    run_dir : str or Path
        The training run folder.
    data : str or Path
        The dataset folder it is evaluated on (``--data``).
    out : str or Path or None
        The evaluation's folder (``--out``); None: the run folder.

    Returns
    -------
    Path

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = Path("run").mkdir(); _ = write_json("run/config.json", {"task": "classify", "data": "data"})
    >>> evaluation_folder("run", "data", "new-folder"), evaluation_folder("run", "data", None)
    (PosixPath('new-folder'), PosixPath('run'))
    >>> _ = Path("notes").mkdir(); _ = Path("notes/todo.txt").write_text("mine")
    >>> evaluation_folder("run", "data", "notes")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: notes: holds files but no evaluation (no metrics.json); give --out a new folder
    """
    run_dir = Path(run_dir)
    target = Path(out) if out is not None else run_dir
    if target.resolve() == run_dir.resolve():
        differs = other_data(run_dir, data)
        if differs:
            raise ParameterError(where(run_dir, f"holds the run's test results on the data it was trained on, which an "
                                                f"evaluation on {data} would replace ({differs}); give --out a new "
                                                "folder"))
        return target
    if target.is_dir() and any(target.iterdir()):
        if (target / CONFIG).exists():
            raise ParameterError(where(target, "holds a training run whose results an evaluation would replace; "
                                               "give --out a new folder"))
        if not (target / METRICS).exists():
            raise ParameterError(where(target, "holds files but no evaluation (no metrics.json); give --out a new "
                                               "folder"))
        earlier = read_json(target / METRICS)
        if not isinstance(earlier, dict):  # was: taken for an earlier evaluation and written over
            raise ParameterError(where(target, f"holds a metrics.json that is no evaluation's (a JSON "
                                               f"{type(earlier).__name__}, not an object); give --out a new folder"))
        if "run" not in earlier and "task" not in earlier:  # was: taken for a legacy evaluation and written over
            raise ParameterError(where(target / METRICS, "names no run and no task: no evaluation of evface wrote it "
                                                         "(every one records its run or its task); give --out a new "
                                                         "folder"))
        task = load_config(run_dir)["task"]
        if "run" in earlier and Path(str(earlier["run"])) != run_dir.resolve():
            raise ParameterError(where(target, f"holds the evaluation of another run ({earlier['run']}), which this "
                                               "one would replace; give --out a new folder"))
        if earlier.get("task", task) != task:
            raise ParameterError(where(target, f"holds the evaluation of a {earlier['task']!r} run, which this "
                                               f"{task!r} run's would replace; give --out a new folder"))
    return target


def evaluation_target(run_dir: str | Path, data: str | Path, out: str | Path | None) -> tuple[Path, bool]:
    """:func:`evaluation_folder`, and whether ``data`` holds the very clips the run was trained on
    (:func:`~evface.tasks.run_clips.is_training_data`; so where the folder is the run's own, which takes nothing else)."""
    target = evaluation_folder(run_dir, data, out)
    return target, target.resolve() == Path(run_dir).resolve() or is_training_data(run_dir, data)


HELD_OUT = ("its clips have the manifest rows of the training data, so each was scored by the models that held out a "
            "subject of its name")
"""How a clip of another dataset folder whose manifest row is one the run was trained on (the
dataset rendered again with other event noise: :func:`~evface.tasks.run_clips.seen_in_training`) was scored, in the words of
``evaluated_on`` and of the report."""


def scored_by(data: str | Path, trained: str | Path | None, protocol: str | None) -> str:
    """The start of what an evaluation on a dataset folder other than the run's training data did
    (``evaluated_on``, the report): which data, by which run's models.

    Examples
    --------
    >>> scored_by("d2", "d1", "leave-one-subject-out")
    'scored on d2 by the models trained on d1 (leave-one-subject-out)'
    """
    return (f"scored on {data} by the models trained on {trained or 'a dataset the run does not name'}"
            + (f" ({protocol})" if protocol else ""))


def scored_elsewhere(data: str | Path, trained: str | Path, protocol: str, n_seen: int, n: int, left_out: int,
                     held_out: str, others: str) -> str:
    """``evaluated_on`` of an evaluation of ``n`` clips of the dataset folder ``data``, which does
    not hold the clips the run was trained on (:func:`~evface.tasks.run_clips.other_data`); ``n_seen`` of them have a
    manifest row the run was trained on, each scored by the models that held out a subject of its
    name (as ``held_out`` adds, e.g. ``" (mean logits of 2 training seeds)"``), the others by
    ``others``; ``left_out`` more have a row of a subject no model held out (a subject split's
    training subjects), and are not scored.

    Examples
    --------
    >>> scored_elsewhere("d2", "d1", "leave-one-subject-out", 4, 4, 0, "", "every model")
    'scored on d2 by the models trained on d1 (leave-one-subject-out); its clips have the manifest rows of the training data, so each was scored by the models that held out a subject of its name'
    >>> scored_elsewhere("d2", "d1", "2 folds", 3, 4, 0, "", "every model")
    'scored on d2 by the models trained on d1 (2 folds): its 3 clips with the manifest rows of the training data each by the models that held out a subject of its name; its 1 other clip by every model'
    >>> scored_elsewhere("d2", "d1", "one subject split", 2, 2, 4, "", "the model")[-56:]
    '; its 4 clips of subjects no model held out are left out'
    """
    said = scored_by(data, trained, protocol)
    if n_seen == n:
        said = f"{said}; {HELD_OUT}{held_out}"
    elif n_seen == 0:
        said = f"{said}: every clip by {others}"
    else:
        said = (f"{said}: its {counted(n_seen, 'clip')} with the manifest rows of the training data each by the "
                f"models that held out a subject of its name{held_out}; its {counted(n - n_seen, 'other clip')} by "
                f"{others}")
    left = f"{counted(left_out, 'clip')} of subjects no model held out {'is' if left_out == 1 else 'are'} left out"
    return said + (f"; its {left}" if left_out else "")


def pairing_hint(run_a: str | Path, run_b: str | Path, a_only: bool, b_only: bool,
                 split: str = "--seed and --test-fraction, --folds or --loso") -> str:
    """How to pair two runs or evaluations that scored other clips (``a_only`` / ``b_only``: whether A
    / B holds clips the other lacks): score the one holding more clips on the other's dataset with
    ``evface eval`` and compare the evaluation, naming the run folder and the dataset that their
    ``metrics.json`` record (``DATA`` where none is recorded).

    Where both scored the dataset each was trained on (:func:`_own_split`), an evaluation on it scores
    the same held-out clips again, so the advice is to hold out the same subjects (the options
    ``split`` of the task's training) or to score both on a dataset neither was trained on.

    Examples
    --------
    >>> pairing_hint("runs/session", "runs/merged", False, True)
    'to pair them on the clips of runs/session, score runs/merged on the dataset of runs/session (evface eval runs/merged --data DATA --out DIR) and compare runs/session with DIR'
    >>> pairing_hint("runs/x", "runs/y", True, True)[:63]
    'to pair them, score both on one dataset (evface eval RUN --data'
    """
    data = _own_split(run_a, run_b)
    if data is not None:
        return (f"each tested the clips of {data} of the subjects its own training held out, which evface eval on "
                f"{data} scores again: to pair them, train both holding out the same subjects (the same {split}), or "
                "score both on a dataset neither was trained on (evface eval RUN --data DATA --out DIR) and compare "
                "the two DIRs")
    if a_only and b_only:
        return "to pair them, score both on one dataset (evface eval RUN --data DATA --out DIR) and compare the two DIRs"
    narrow, wide = (run_a, run_b) if b_only else (run_b, run_a)
    run, data = _recorded(wide, "run") or wide, _recorded(narrow, "data") or "DATA"
    return (f"to pair them on the clips of {narrow}, score {wide} on the dataset of {narrow} (evface eval {run} --data {data} "
            f"--out DIR) and compare {narrow} with DIR")


def _own_split(run_a: str | Path, run_b: str | Path) -> str | None:
    """The dataset both runs (or evaluations) scored where it is also the one each run was trained on
    (their ``metrics.json`` record it; for an evaluation, its run's): then each scored the clips its
    training held out, which another evaluation on it scores again. ``None`` otherwise.

    Examples
    --------
    >>> for name, data in (("a", "data/d"), ("b", "data/./d"), ("c", "data/e")):
    ...     _ = Path(name).mkdir()
    ...     _ = Path(name, "config.json").write_text("{}")  # a training run: it scored the data it records
    ...     _ = Path(name, "metrics.json").write_text(f'{{"data": "{data}"}}')
    >>> _own_split("a", "b"), _own_split("a", "c")
    ('data/d', None)
    """
    recorded = []
    for folder in (run_a, run_b):
        run = trained_run(folder)
        recorded += [_recorded(folder, "data"), _recorded(run, "data") if run is not None else None]
    data = [d for d in recorded if d is not None]
    if len(data) < len(recorded) or len({Path(d).resolve() for d in data}) > 1:
        return None
    return data[0]


def trained_run(folder: str | Path) -> Path | None:
    """The training run whose models made the scores in ``folder``: ``folder`` itself where it holds
    ``config.json`` (a run), else the run its ``metrics.json`` names (an evaluation, ``evface eval
    RUN --out folder``); ``None`` where neither is there.

    Examples
    --------
    >>> _ = Path("ev").mkdir()
    >>> _ = Path("ev/metrics.json").write_text('{"run": "/runs/a", "top1": 0.5}')
    >>> str(trained_run("ev")), trained_run(".")
    ('/runs/a', None)
    """
    if (Path(folder) / CONFIG).is_file():
        return Path(folder)
    run = _recorded(folder, "run")
    return Path(run) if run is not None else None


def _recorded(folder: str | Path, key: str) -> str | None:
    """The path ``key`` (``run``, ``data``) of a run's or evaluation's ``metrics.json``; ``None`` where
    the file or the entry is missing or unreadable (it only completes a message)."""
    try:
        value = read_json(Path(folder) / "metrics.json").get(key)
    except (EvfaceError, OSError, AttributeError):  # no file, not JSON, not an object
        return None
    return value if isinstance(value, str) and value else None


def _on_training_data(folder: Path, run: Path) -> bool | None:
    """Whether the scores in ``folder`` (the run ``run`` itself, or an evaluation of it) are of the
    clips the run was trained on: the run's own test (its ``metrics.json`` naming no other ``data``
    than its ``config.json``), or an evaluation on a folder holding those very clips
    (:func:`~evface.tasks.run_clips.is_training_data`); ``None`` where that cannot be told (no
    dataset named, or no longer there)."""
    data = _recorded(folder, "data")
    try:
        trained = load_config(run).get("data")
    except EvfaceError:  # its reader names what is wrong with it
        return None
    if folder.resolve() == run.resolve() and data in (None, trained):
        return True
    if data is None or not (Path(data) / "manifest.csv").is_file():
        return None
    return is_training_data(run, data)


def check_not_one_run_twice(a: str | Path, b: str | Path) -> None:
    """Refuse the run or evaluation folders ``a`` and ``b`` where their scores are of one training
    run on the same clips (a run and its evaluation on the data it was trained on, or two such
    evaluations): the same models scoring the same clips again, so every difference is 0 and the
    comparison says nothing (was: compared, "no detectable difference" with intervals of
    ``[+0.0, +0.0]``; the same folder given twice was refused already, and the report refuses such
    an evaluation beside its run). One :class:`ParameterError` naming both and the run.

    Parameters
    ----------
    a, b : str or Path
        The two folders given to ``evface compare``.

    Examples
    --------
    >>> _ = Path("r1").mkdir(), Path("r1/config.json").write_text('{"task": "classify", "data": "d1"}')
    >>> _ = Path("r1/metrics.json").write_text('{"data": "d1", "top1": 0.5}')
    >>> _ = Path("e1").mkdir(), Path("e1/metrics.json").write_text('{"run": "r1", "data": "d1"}')
    >>> check_not_one_run_twice("r1", "e1")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: r1 and e1 hold the scores of one training run (r1) on the same clips: the same models scoring them again, every difference 0; compare two different runs
    """
    runs = [trained_run(folder) for folder in (a, b)]
    if runs[0] is None or runs[1] is None or runs[0].resolve() != runs[1].resolve():
        return
    run = runs[0]
    data = [_recorded(folder, "data") for folder in (a, b)]
    same = (data[0] is not None and data[0] == data[1]) or all(_on_training_data(Path(folder), run)
                                                                 for folder in (a, b))
    if same:
        raise ParameterError(f"{a} and {b} hold the scores of one training run ({run}) on the same clips: the same "
                             "models scoring them again, every difference 0; compare two different runs")
