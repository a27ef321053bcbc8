"""Starting and resuming a run in its folder.

- :func:`starting_run`: a run's ``config.json`` and clips recorded around its first step (a run
  that never started leaves nothing behind);
- :func:`check_task` / :func:`check_resume`: refuse to resume a run of another task, with other
  settings (:class:`OtherSettings`) or on other clips (:class:`ResumeRefused`);
- :func:`check_step`: refuse a step of a prepared run (``fit_part``, ``pool_parts``) given other
  settings or another dataset folder than the run's (:func:`other_settings`: the one comparison of both);
- :func:`grown_by_seeds`: a run given more training seeds keeps its trainings;
- :func:`newer_than_this` / :func:`newest_version` / :func:`resume_warning` /
  :func:`unknown_settings` / :func:`version_warning` / :func:`warn_of_version`: a run of another
  evface version (:data:`~evface.tasks.run_folder.VERSION`), resumed with a warning (and still
  named by its ``config.json``), refused when it holds settings this one does not know, or read
  without them with a warning;
- :func:`unchecked_warning`: a run older than the record of its clip files, resumed with a warning.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evface import __version__
from evface.errors import DatasetError, EvfaceWarning, FormatError, ParameterError, counted, where
from evface.io.manifest import row_key
from evface.tasks.configs import TASK_CONFIGS
from evface.tasks.run_clips import CLIPS, other_data, record_clips, recorded_clips
from evface.tasks.run_folder import CONFIG, VERSION, check_fields, check_folder, json_default, load_config, read_json, reading, save_config


class ResumeRefused(ParameterError):
    """A run folder that cannot be resumed as it stands: it holds files but no run, or a run of another
    evface version, of other settings, on other clips or of more training seeds (:func:`check_resume`,
    :func:`grown_by_seeds`). It is about the folder, not about the values of the options given."""


class OtherSettings(ResumeRefused):
    """A resume refused for settings other than the run's (:func:`check_resume`): its message names them
    as ``evface train`` takes them; ``changed`` holds each setting's name with the run's value and the
    one given, as ``config.json`` holds them, for a caller whose user sets them otherwise (``evface run``:
    :func:`~evface.pipeline.stage_steps.run_step`).

    Parameters
    ----------
    message : str
        What the refusal says.
    changed : dict of str to (value, value)
        Each setting that differs: the run's value and the one given.

    Examples
    --------
    >>> refused = OtherSettings("r: this run was trained with --size 64; ...", {"size": (64, 96)})
    >>> str(refused), refused.changed
    ('r: this run was trained with --size 64; ...', {'size': (64, 96)})
    """

    def __init__(self, message: str, changed: dict[str, tuple[Any, Any]]) -> None:
        super().__init__(message, changed)  # both in args: a worker process's refusal is pickled whole
        self.changed = changed

    def __str__(self) -> str:
        return str(self.args[0])


@contextmanager
def starting_run(run_dir: str | Path, config: Mapping[str, Any], rows: list[dict[str, Any]],
                 log: Callable[[str], None] | None = None) -> Iterator[None]:
    """Save ``RUN/config.json`` and the dataset's manifest ``rows`` with its clip files' sizes and
    hashes (:func:`~evface.tasks.run_clips.record_clips`; the dataset is the folder ``config["data"]``), then run the
    block (the run's preprocessing). A resumed run begun by a newer evface is resumed with a warning
    to ``log`` (:func:`resume_warning`), and its ``config.json`` keeps naming that version
    (:func:`newest_version`), so that every later resume and read still knows it.

    A resumed run whose ``data-clips.json`` already holds the files (:func:`check_resume` found them
    unchanged) keeps it as it is. A resumed run made before they were recorded resumes on the
    dataset as it is now, which nothing could check against the clips it was trained on: they are
    recorded, and ``log`` is told so once (:func:`unchecked_warning`). When the block fails in a run that had no ``config.json`` before
    (a new run: by :func:`check_resume`, its folder was absent or empty), everything in the folder
    was written here and is removed, the folder too if this made it: a run that never started
    leaves nothing behind, and the same command runs again once its input is fixed.
    """
    run_dir = Path(run_dir)
    made, fresh = not run_dir.exists(), not (run_dir / CONFIG).exists()
    warning, unchecked = resume_warning(run_dir), unchecked_warning(run_dir, config["data"])
    for said in (warning, unchecked):
        if said is not None and log is not None:
            log(said)
    save_config(run_dir, config, newest_version(run_dir))
    try:
        if fresh or unchecked is not None:
            record_clips(run_dir, config["data"], rows)
        yield
    except BaseException:
        if fresh:
            for path in list(run_dir.iterdir()):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            if made:
                run_dir.rmdir()
        raise


def resume_warning(run_dir: str | Path) -> str | None:
    """The warning of resuming the run in ``run_dir`` begun by a newer evface (:func:`newer_than_this`);
    ``None`` for a run of this or an older evface, for no run, and for a run that holds settings
    this evface does not know (:func:`version_warning`: a resume refuses it, :func:`check_resume`).
    ``evface run`` says it before a stage's jobs start, which resume it without a log.

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = Path("r9").mkdir()
    >>> _ = write_json("r9/config.json", {"task": "classify", "epochs": 3, VERSION: "999.0"})
    >>> print(resume_warning("r9"))  # doctest: +ELLIPSIS
    warning: r9: resumed a run of evface 999.0, newer than this evface ...: what this version trains may differ from
    what that one did, and its results may not be comparable; resume it with evface 999.0 to keep them alike
    >>> resume_warning("no-run-here") is None
    True
    """
    begun_by = _recorded_version(run_dir)
    if begun_by is None or not newer_than_this(begun_by) or version_warning(run_dir) is not None:
        return None
    return (f"warning: {run_dir}: resumed a run of evface {begun_by}, newer than this evface {__version__}: what this "
            f"version trains may differ from what that one did, and its results may not be comparable; resume it with "
            f"evface {begun_by} to keep them alike")


def newest_version(run_dir: str | Path) -> str:
    """The evface version to record in the ``config.json`` of the run in ``run_dir`` when this
    evface writes it (:data:`~evface.tasks.run_folder.VERSION`): the version recorded there when it
    is newer (:func:`newer_than_this`), else this one. A run begun by a newer evface and resumed by
    this one keeps naming the newer, so that later resumes warn of it (:func:`resume_warning`) and
    reads know it (was: overwritten by the older version, and the newer forgotten).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = Path("r8").mkdir()
    >>> _ = write_json("r8/config.json", {"task": "classify", VERSION: "999.0"})
    >>> newest_version("r8"), newest_version("no-run-here") == __version__
    ('999.0', True)
    """
    recorded = _recorded_version(run_dir)
    return str(recorded) if recorded is not None and newer_than_this(recorded) else __version__


def _recorded_version(run_dir: str | Path) -> Any:
    """The evface version the ``config.json`` of ``run_dir`` records; ``None`` for no run yet, a run
    that names none, or a ``config.json`` that a resume refuses naming it."""
    try:
        config = read_json(Path(run_dir) / CONFIG)
    except FormatError:
        return None
    return config.get(VERSION) if isinstance(config, dict) else None


RELEASE_DIGITS = 9
"""The most digits a release number of a version text is read with (more: no version evface knows)."""


def _release(version: str) -> tuple[int, ...]:
    """The release numbers of a version text, trailing zeros dropped (``"0.10.0rc1+local"``: ``(0, 10)``;
    a text that starts with no number, or with one of more digits than a release has, ``"9" * 5000``: ``()``,
    was a ValueError of ``int()``).

    >>> _release("0.10.0rc1+local"), _release("dev"), _release("9" * 5000)
    ((0, 10), (), ())
    """
    match = re.match(r"\d+(?:\.\d+)*", version)
    parts = match.group().split(".") if match else []
    numbers = [int(n) for n in parts] if all(len(n) <= RELEASE_DIGITS for n in parts) else []
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def newer_than_this(version: Any) -> bool:
    """Whether the evface ``version`` a run records (:data:`~evface.tasks.run_folder.VERSION`) is a newer release than this
    evface, by release numbers (a pre-release or local part is not compared; a version that is no
    version text is not newer, and an evface of unknown version, run from a checkout that is not
    installed, ``0.0.0+unknown``, calls none newer).

    Examples
    --------
    >>> newer_than_this("999.1"), newer_than_this(__version__), newer_than_this("dev")
    (True, False, False)
    """
    theirs, mine = _release(str(version)), _release(__version__)
    return bool(theirs) and bool(mine) and theirs > mine


def unchecked_warning(run_dir: str | Path, data: str | Path) -> str | None:
    """The warning of resuming the run in ``run_dir`` on the dataset folder ``data`` without checking
    its clips (:func:`unchecked_resume`): a run made before ``data-clips.json`` held its clip files;
    ``None`` for no run yet, for a run that holds them, and for a ``data-clips.json`` that a resume
    refuses naming it (:func:`check_resume`). ``evface run`` says it before a stage's jobs start,
    which resume it without a log.

    Examples
    --------
    >>> _ = Path("r7").mkdir()
    >>> _ = Path("r7/config.json").write_text('{"task": "classify"}')
    >>> unchecked_warning("r7", "data")[:66]
    'warning: r7: resumed on data without checking its clips: the run i'
    >>> unchecked_warning("no-run-here", "data") is None
    True
    """
    if not (Path(run_dir) / CONFIG).exists():
        return None
    try:
        recorded = recorded_clips(run_dir)
    except FormatError:  # the resume refuses it, naming the file
        return None
    return unchecked_resume(run_dir, data, recorded is None) if recorded is None or recorded[1] is None else None


def unchecked_resume(run_dir: str | Path, data: str | Path, no_rows: bool) -> str:
    """The warning of a run resumed on the dataset folder ``data`` although it is older than the
    record of its clip files (``no_rows``: of its manifest rows too), so that the clips it was
    trained on could not be compared with those ``data`` holds now.

    Examples
    --------
    >>> print(unchecked_resume("runs/a", "data", no_rows=False))  # doctest: +NORMALIZE_WHITESPACE
    warning: runs/a: resumed on data without checking its clips: the run is older than evface's
    record of its clip files (data-clips.json), which holds those of data from now on; if the
    dataset was built or imported again since the run started, delete the run or give a new --out
    folder
    """
    what = "manifest rows and clip files" if no_rows else "clip files"
    return (f"warning: {run_dir}: resumed on {data} without checking its clips: the run is older than evface's record "
            f"of its {what} ({CLIPS}), which holds those of {data} from now on; if the dataset was built or imported "
            "again since the run started, delete the run or give a new --out folder")


def check_task(run_dir: str | Path, old: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Refuse to resume the run ``old`` (``run_dir``'s ``config.json``) as a run of another task than
    ``config``'s: one line naming both tasks.

    Examples
    --------
    >>> check_task("runs/ev", {"task": "classify"}, {"task": "reconstruct"})
    Traceback (most recent call last):
    ...
    evface.tasks.run_resume.ResumeRefused: runs/ev: holds a classify run, which evface train reconstruct cannot resume; give --out a new folder
    """
    if old.get("task") != config.get("task"):  # was: its settings listed as unknown to this evface, or as other
        raise ResumeRefused(where(run_dir, f"holds a {old.get('task')} run, which evface train {config.get('task')} "
                                            "cannot resume; give --out a new folder"))


def check_resume(run_dir: str | Path, config: Mapping[str, Any], free: tuple[str, ...] = (),
                 rows: list[dict[str, Any]] | None = None) -> None:
    """Refuse to resume a run folder of another task (:func:`check_task`), trained with other
    settings (its checkpoint would not fit) or on other clips.

    Compares ``config`` with the folder's ``config.json`` (if any) key by key, except the keys in
    ``free`` (settings such as ``epochs`` that a resumed run may change), and the dataset's manifest
    ``rows`` with ``RUN/data-clips.json`` (:func:`~evface.tasks.run_clips.record_clips`), and where it holds them, each
    clip file's size and hash (:func:`~evface.tasks.run_clips.other_data`: the same rows rendered again with other event
    noise are other clips); the same clips in a moved folder resume
    (``config["data"]`` may change). A folder that holds files but no
    ``config.json`` is refused too: a run never writes into someone's folder. So is a run written
    by an evface version (:data:`~evface.tasks.run_folder.VERSION`) whose ``config.json`` holds settings that ``config``
    lacks (a newer version's, which this one would train without).

    Parameters
    ----------
    run_dir : str or Path
        The run folder (``--out``).
    config : mapping
        The settings of the run to start or resume, with its ``task`` and ``data``.
    free : tuple of str, optional
        The keys that may differ from the run's.
    rows : list of dict, optional
        The dataset's manifest rows, compared with those the run recorded.

    Raises
    ------
    ResumeRefused
        Naming the folder and what differs (:class:`OtherSettings` for settings).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = Path("r5").mkdir(); _ = write_json("r5/config.json", {"task": "classify", "data": "d", "epochs": 3})
    >>> check_resume("r5", {"task": "classify", "data": "d", "epochs": 5}, free=("epochs",))
    >>> check_resume("r5", {"task": "classify", "data": "d", "epochs": 5})
    Traceback (most recent call last):
    ...
    evface.tasks.run_resume.OtherSettings: r5: this run was trained with --epochs 3; given --epochs 5: give the run's settings, or --out a new folder
    """
    if not (Path(run_dir) / CONFIG).exists():
        if Path(run_dir).is_dir() and any(Path(run_dir).iterdir()):
            raise ResumeRefused(where(run_dir, "holds files but no evface training run (no config.json); give --out "
                                                "a new folder"))
        return
    old = load_config(run_dir)
    check_task(run_dir, old, config)
    unknown = unknown_settings(old, config)
    if unknown:
        raise ResumeRefused(where(run_dir, f"holds a run written by evface {old[VERSION]} with settings this evface "
                                            f"{__version__} does not know ({', '.join(unknown)}), which it would train "
                                            f"without; resume it with evface {old[VERSION]}, or give --out a new folder"))
    recorded = recorded_clips(run_dir)
    if rows is not None and recorded is not None:
        if {row_key(r) for r in rows} != set(recorded[0]):
            differs: str | None = f"its {CLIPS} lists them"
        else:  # the same rows: the files too, where the run recorded them
            differs = other_data(run_dir, config["data"]) if recorded[1] is not None else None
        if differs:
            raise ResumeRefused(where(run_dir, f"holds a run started on other clips than {config['data']} holds now "
                                                f"({differs}); choose a new --out folder or delete this one"))
        free = (*free, "data")

    changed = _settable(other_settings(old, config, free), config)
    if changed:
        raise OtherSettings(where(run_dir, _other_settings_said(old, config, changed)),
                            {k: (_plain(old.get(k)), _plain(config[k])) for k in changed})


def _other_settings_said(run: Mapping[str, Any], config: Mapping[str, Any], changed: list[str]) -> str:
    """What a resume refused for the settings ``changed`` says: each as the command line gives it
    (:meth:`~evface.tasks.configs.TaskConfig.as_typed`), the run's value (``run``: its ``config.json``) and
    the one given (``config``), and what to do (was: the fields' names alone, ``other settings (size)``,
    not the options typed nor either value).

    Examples
    --------
    >>> print(_other_settings_said({"task": "classify", "size": 64, "learn_beta": True},
    ...                           {"task": "classify", "size": 96, "learn_beta": False}, ["learn_beta", "size"]))
    this run was trained with --learn-beta --size 64; given --fixed-beta --size 96: give the run's settings, or --out a new folder
    """
    task = TASK_CONFIGS.get(str(config.get("task")))
    typed = task.as_typed if task is not None else lambda k, v: f"{k} {json.dumps(v, default=str)}"
    run_said = " ".join(typed(k, _plain(run.get(k))) for k in changed)
    given = " ".join(typed(k, _plain(config[k])) for k in changed)
    return f"this run was trained with {run_said}; given {given}: give the run's settings, or --out a new folder"


def _plain(value: Any) -> Any:
    """``value`` as JSON reads it back (a tuple as a list, a Path as its text): how ``config.json`` holds it."""
    return json.loads(json.dumps(value, default=json_default))


def other_settings(run: Mapping[str, Any], config: Mapping[str, Any], free: Iterable[str] = ()) -> list[str]:
    """The keys of ``config`` whose value is not the run's (``run``: its ``config.json``, or its
    settings), as ``config.json`` would hold them, except those in ``free``; sorted. The one
    comparison of a resume (:func:`check_resume`) and of a step of a prepared run (:func:`check_step`).

    Examples
    --------
    >>> other_settings({"epochs": 3, "folds": 2, "size": (8, 8)}, {"epochs": 5, "folds": 3, "size": [8, 8]}, ("epochs",))
    ['folds']
    """
    free = set(free)
    return sorted(k for k in config if k not in free and _plain(run.get(k)) != _plain(config[k]))


def check_step(run_dir: str | Path, step: str, run: Mapping[str, Any], config: Mapping[str, Any], data: str | Path,
               free: Iterable[str] = ()) -> None:
    """Refuse a step of the run that ``prepare`` laid out in ``run_dir`` (a task's ``fit_part`` or
    ``pool_parts``, named ``step``) given other settings or another dataset folder than the run's,
    before the step reads or writes anything of the run (was: a model trained on the settings given
    and pooled with the run's others without a word, or an internal error deep inside the step:
    ``StopIteration``, ``KeyError``, a shape that did not fit).

    The settings ``config`` are compared with the run's ``run`` by :func:`other_settings` (all but
    ``free``: those a resumed run may change, such as ``epochs``); the dataset folder ``data`` with
    the clips the run recorded (``RUN/data-clips.json``) by
    :func:`~evface.tasks.run_clips.other_data`: the same manifest rows and clip files of the same
    sizes (their hashes are compared once, by ``prepare``), wherever the folder lies.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    step : str
        The step, as its message names it (``"fit_part"``).
    run : mapping
        The run's settings (its task's config, as a dict, read back from ``config.json``).
    config : mapping
        The settings the step was given, as a dict.
    data : str or Path
        The dataset folder the step was given.
    free : iterable of str, optional
        The settings that may differ from the run's.

    Raises
    ------
    ParameterError
        Naming the run folder and each setting that differs, with the run's value and the one given.
    DatasetError
        Naming ``data``, how it differs and the folder the run was prepared on.

    Examples
    --------
    A run that names its dataset folder only (made before ``data-clips.json``):

    >>> from evface.tasks.run_folder import write_json
    >>> _ = write_json("r4/config.json", {"task": "classify", "data": str(Path("d").resolve()), "folds": 2})
    >>> check_step("r4", "fit_part", {"folds": 2, "epochs": 3}, {"folds": 2, "epochs": 5}, "d", free=("epochs",))
    >>> check_step("r4", "fit_part", {"folds": 2, "input": "events"}, {"folds": 3, "input": "rgb"}, "d")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: r4: prepared with other settings than fit_part was given (folds: 2 in the run, 3 given; input: "events" in the run, "rgb" given); give it the run's own, load_run(run_dir)[1] of its task
    >>> check_step("r4", "pool_parts", {"folds": 2}, {"folds": 2}, "e")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: e: not the dataset folder the run r4 was prepared on (it is not the folder the run was trained on (.../d; ...)); give pool_parts that one, .../d
    """
    changed = other_settings(run, config, free)
    if changed:
        said = "; ".join(f"{k}: {json.dumps(_plain(run.get(k)))} in the run, {json.dumps(_plain(config[k]))} given"
                         for k in changed)
        raise ParameterError(where(run_dir, f"prepared with other settings than {step} was given ({said}); give it the "
                                            "run's own, load_run(run_dir)[1] of its task"))
    differs = other_data(run_dir, data, hashed=False)
    if differs:
        raise DatasetError(where(data, f"not the dataset folder the run {run_dir} was prepared on ({differs}); give "
                                       f"{step} that one, {load_config(run_dir)['data']}"))


def _settable(changed: list[str], config: Mapping[str, Any]) -> list[str]:
    """The keys of ``changed`` that a user sets (``data`` and the fields of ``config``'s task, not
    what the task derives from them, such as ``net``, ``spec`` or ``models``); all of ``changed``
    where none is.

    Examples
    --------
    >>> _settable(["net", "size", "spec"], {"task": "classify"}), _settable(["net"], {"task": "classify"})
    (['size'], ['net'])
    """
    task = TASK_CONFIGS.get(str(config.get("task")))
    derived = set(task.RUN_KEYS) - {"data"} if task is not None else set()
    return [k for k in changed if k not in derived] or changed


def unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """The settings of a run's ``config.json`` (``config``) that are not among ``known``, sorted,
    where the run names the evface version that wrote it (:data:`~evface.tasks.run_folder.VERSION`; a run made before
    versions were recorded may hold a setting since dropped, which is not counted).

    Examples
    --------
    >>> unknown_settings({"epochs": 3, "mixup": 0.2, VERSION: "9.0"}, {"epochs"})
    ['mixup']
    >>> unknown_settings({"epochs": 3, "mixup": 0.2}, {"epochs"})
    []
    """
    return sorted(set(config) - set(known) - {VERSION}) if VERSION in config else []


def version_warning(run_dir: str | Path) -> str | None:
    """What to warn of a run folder whose ``config.json`` holds settings this evface does not know
    (:func:`unknown_settings` against its task's :meth:`~evface.tasks.configs.TaskConfig.run_keys`:
    a newer evface's), which ``eval``, ``compare`` and ``report`` read it without; ``None`` for any
    other run (one of no task this evface knows, or with no readable ``config.json``, too: what
    reads it says what is wrong with it).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = Path("r").mkdir()
    >>> _ = write_json("r/config.json", {"task": "classify", "epochs": 3, "mixup": 0.2, VERSION: "9.0"})
    >>> version_warning("r")  # doctest: +ELLIPSIS
    'r: a run of evface 9.0 with settings this evface ... does not know (mixup): read without them, its results may not be comparable with those of runs of this version'
    """
    try:
        config = read_json(Path(run_dir) / CONFIG)
    except FormatError:  # no file, or not JSON: what reads the run says so
        return None
    task = TASK_CONFIGS.get(str(config.get("task"))) if isinstance(config, dict) else None
    unknown = unknown_settings(config, task.run_keys()) if task is not None else []
    if not unknown:
        return None
    return where(run_dir, f"a run of evface {config[VERSION]} with settings this evface {__version__} does not know "
                          f"({', '.join(unknown)}): read without them, its results may not be comparable with those "
                          "of runs of this version")


def warn_of_version(run_dir: str | Path) -> None:
    """Warn (:class:`~evface.errors.EvfaceWarning`, one ``warning:`` line in the CLI) of the
    :func:`version_warning` of the run folder ``run_dir``, or where it has none, of a run of a newer
    evface (:func:`newer_than_this`) whose settings this one all knows (was: said by a resume only):
    the one place that an evaluation (the tasks' ``evaluate_run``), ``evface compare`` and the report
    (:func:`~evface.report.collect.collect`) say it.

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _ = write_json("new/config.json", {"task": "classify", "mixup": 0.2, VERSION: "9.0"})
    >>> _ = write_json("newer/config.json", {"task": "classify", "epochs": 3, VERSION: "999.0"})
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_of_version("new"), warn_of_version("newer")
    (None, None)
    >>> said[0].category.__name__, str(said[0].message)[:36]
    ('EvfaceWarning', 'new: a run of evface 9.0 with settin')
    >>> print(said[1].message)  # doctest: +ELLIPSIS
    newer: a run of evface 999.0, newer than this evface ..., which may train and score differently: its results may not be comparable with those of runs of this version
    """
    warning = version_warning(run_dir)
    begun_by = _recorded_version(run_dir)
    if warning is None and begun_by is not None and newer_than_this(begun_by):
        warning = where(run_dir, f"a run of evface {begun_by}, newer than this evface {__version__}, which may train "
                                 "and score differently: its results may not be comparable with those of runs of this "
                                 "version")
    if warning is not None:
        warnings.warn(warning, EvfaceWarning, stacklevel=2)


def grown_by_seeds(run_dir: str | Path, config: dict[str, Any], key: str,
                   same: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``config`` for ``run_dir`` when it resumes the run there, perhaps with more training seeds;
    and the keys that may then differ from the run's (for :func:`check_resume`'s ``free``).

    The run there (of as many ``seeds`` or fewer; the key absent: one) keeps its trainings: every
    entry of its ``config[key]`` (the trainings: a classifier's models, a reconstruction's parts)
    that ``same`` pairs with an entry of ``config[key]`` gives that entry its ``dir``, and only the
    others are new. When an old entry has no pair, ``config`` is returned as it is
    (:func:`check_resume` then names what differs). A run with more seeds than ``config`` is a
    :class:`ParameterError` naming ``--seeds`` (a run is never shrunk).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> one = {"dir": ".", "seed": 0, "test": ["s1"]}  # a run of one seed trains in its own folder
    >>> _ = Path("r6").mkdir(); _ = write_json("r6/config.json", {"task": "classify", "seeds": 1, "models": [one]})
    >>> two = [{"dir": f"models/split-s{s}", "seed": s, "test": ["s1"]} for s in (0, 1)]
    >>> same = lambda old, new: (old["seed"], old["test"]) == (new["seed"], new["test"])
    >>> config, free = grown_by_seeds("r6", {"task": "classify", "seeds": 2, "models": two}, "models", same)
    >>> [m["dir"] for m in config["models"]], free  # seed 0 stays where it trained
    (['.', 'models/split-s1'], ('seeds', 'models'))
    """
    if not (Path(run_dir) / CONFIG).exists():
        return config, ()
    old = load_config(run_dir)
    check_task(run_dir, old, config)
    with reading(Path(run_dir) / CONFIG):  # was: a ValueError, TypeError or OverflowError of its seeds ("x", null, Infinity)
        check_fields(old, {"seeds": int} if "seeds" in old else {})
    before, now = old.get("seeds", 1), int(config.get("seeds", 1))
    if now < before:
        raise ResumeRefused(where(run_dir, f"holds a run of {counted(before, 'training seed')}; --seeds {now} would leave "
                                            f"some out (a run takes more seeds, not fewer): give --seeds {before} or "
                                            "more, or a new --out folder"))
    with reading(Path(run_dir) / CONFIG):  # the folders taken from it must lie inside the run, one per training
        olds = list(old.get(key, []))
        merged = []
        for entry in config[key]:
            pair = next((o for o in olds if same(o, entry)), None)
            if pair is not None:
                olds.remove(pair)
                check_folder(pair["dir"])
            merged.append(entry if pair is None else {**entry, "dir": pair["dir"]})
        if len({str(e["dir"]) for e in merged}) < len(merged):
            raise ValueError(f"two trainings share a folder: {[e['dir'] for e in merged]}")
    if olds:
        return config, ()
    return {**config, key: merged}, ("seeds", key)
