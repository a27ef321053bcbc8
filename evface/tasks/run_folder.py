"""A run folder's files: read and written whole, and a received one's checked.

Every task writes the same files into a run folder, and every command that reads a run (``eval``,
``compare``, ``report``, ``export-nir``, a resume) reads them here:

- :func:`json_text` / :func:`csv_text`: the text of a run's JSON and CSV files;
- :func:`write_json` / :func:`read_json` (atomic; a missing or invalid file is one error naming it),
  :func:`save_config` / :func:`load_config` (``RUN/config.json``, with the evface version that
  wrote it, :data:`VERSION`; :func:`load_task_config`: another task's run refused), :func:`write_metrics` (``metrics.json``), :func:`write_together`
  (files that must agree, such as an evaluation's ``metrics.json`` and ``scores.csv``: all or none,
  ``metrics.json`` recording the others' sha256) and :func:`check_written_together` (they are those
  it was written with);
- :func:`check_not_other_folder`: the output of ``evface run`` or a dataset folder, given where one
  run is wanted, said as such; :func:`outside_runs`: a new run inside another run's folder, refused;
- :func:`reading` / :func:`check_fields` / :func:`check_names` / :func:`check_folder`: a received run's files
  checked, one error line naming the file;
- :func:`threads_used` / :func:`check_threads`: the torch threads a run's trainings ran on (:data:`TORCH_THREADS`);
  :func:`scoring_threads`: those its scoring runs on.

The clips a run was trained on (``RUN/data-clips.json``) are :mod:`evface.tasks.run_clips`'s;
starting and resuming a run :mod:`evface.tasks.run_resume`'s; where an evaluation may write, and
what it says on other data, :mod:`evface.tasks.run_evaluation`'s. The checkpoints themselves are
:mod:`evface.tasks.checkpoints`'s.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from evface import __version__
from evface.errors import EvfaceError, FormatError, ParameterError, where
from evface.io.atomic_files import atomic_write_text, publish, uninterrupted
from evface.io.manifest import inside_path
from evface.io.temporary_files import NAME_MAX, temporary_beside
from evface.tasks.configs import MAX_THREADS, as_run_recorded

CONFIG = "config.json"
METRICS = "metrics.json"
STAGE_DONE = "stage.json"
"""The file ``evface run`` leaves in a stage's folder (``OUT/stages/<name>-<key>``) when the stage has finished."""
FILES_SHA256 = "files_sha256"
"""The key of a ``metrics.json`` written by :func:`write_together` that records the sha256 of each
file written with it (by name), which :func:`check_written_together` compares; runs and evaluations
made before 2026-12-06 have none."""
VERSION = "evface_version"
"""The key of ``config.json`` that names the evface version that wrote it (:func:`save_config`; runs
made before 2026-12-05 have none): the newest that did, where an older one resumed it."""
TORCH_THREADS = "torch_threads"
"""The key of the torch CPU threads a training ran on (``torch.get_num_threads()`` inside it; a
training resumed: the count it finished on): one model's count in its ``held_out.pt`` or ``part.json``, the run's distinct counts in its
``metrics.json`` and ``train.json`` (:func:`threads_used`). Another count changes the weights in the
last digits of a float (docs/architecture.md); runs made before 2026-12-06 have none."""


def json_default(value: Any) -> Any:
    """The ``default`` of :func:`json.dumps` for a run's JSON files: numpy scalars and arrays as
    Python numbers and lists, paths as strings.

    Parameters
    ----------
    value : object
        What :mod:`json` cannot write itself.

    Returns
    -------
    object
        A value it can.

    Raises
    ------
    TypeError
        For any other type.

    Examples
    --------
    >>> json_default(np.float32(0.5)), json_default(np.arange(3)), json_default(Path("runs/a"))
    (0.5, [0, 1, 2], 'runs/a')
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def json_text(obj: Any) -> str:
    """``obj`` as the indented JSON of a run's files (numpy scalars and arrays are converted).

    Parameters
    ----------
    obj : object
        What to write.

    Returns
    -------
    str
        The JSON text, ending with a newline.

    Examples
    --------
    >>> print(json_text({"top1": np.float64(0.75), "n": np.int64(4)}), end="")
    {
      "top1": 0.75,
      "n": 4
    }
    """
    return json.dumps(obj, indent=2, default=json_default) + "\n"


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text of a run's table (``predictions.csv``, ``scores.csv``, ...): the header
    ``columns``, then one line per row, each ending with a newline.

    Parameters
    ----------
    columns : sequence of str
        The header.
    rows : iterable of sequence
        The rows, in order; each value written as :mod:`csv` writes it.

    Returns
    -------
    str

    Examples
    --------
    >>> print(csv_text(("clip_id", "prediction"), [("c1", "AU12"), ("c 2", "AU4, AU7")]), end="")
    clip_id,prediction
    c1,AU12
    c 2,"AU4, AU7"
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically (numpy scalars and arrays are converted).

    Parameters
    ----------
    path : str or Path
        The file; its folder must exist.
    obj : object
        What to write (:func:`json_text`).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> print(write_json("metrics.json", {"uf1": np.float64(0.5)}).read_text(), end="")
    {
      "uf1": 0.5
    }
    """
    path = Path(path)
    atomic_write_text(path, json_text(obj))
    return path


def write_together(texts: Mapping[Path, str], stale: Sequence[Path] = ()) -> None:
    """Write files that must agree, such as an evaluation's ``scores.csv`` and ``metrics.json``, all
    or none: every text to a temporary file beside its path first (UTF-8), then ``stale`` files
    removed and the temporary files renamed onto their paths in the order of ``texts`` (put the
    file that says the output is whole, ``metrics.json``, last). A failure while writing (a full
    disk) removes the temporary files and leaves every path as it was; Ctrl-C or SIGTERM is held
    while the files are renamed (:func:`~evface.io.atomic_files.uninterrupted`), and takes effect
    once all are in place.

    The renames are not one step: ``kill -9`` between them can leave new files beside the earlier
    ``metrics.json``. So a last file named ``metrics.json`` (a JSON object) records the sha256 of
    the others under :data:`FILES_SHA256`, and :func:`check_written_together` refuses files that
    are not those it was written with.

    Parameters
    ----------
    texts : mapping of Path to str
        Each file's text, in the order to publish them.
    stale : sequence of Path, optional
        Files to remove once every text is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     a, b = Path(folder, "scores.csv"), Path(folder, "metrics.json")
    ...     _ = a.write_text("old"), b.write_text("old")
    ...     try:
    ...         write_together({a: "new", b: object()})  # the second text is no text: its write fails
    ...     except TypeError:
    ...         pass
    ...     print(a.read_text(), b.read_text(), sorted(p.name for p in Path(folder).iterdir()))
    old old ['metrics.json', 'scores.csv']
    """
    texts = _with_hashes(texts)
    written: dict[Path, Path] = {}
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            written[path] = temporary_beside(path)
            written[path].write_text(text, encoding="utf-8")
    except BaseException:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
        raise
    try:
        with uninterrupted():  # was: Ctrl-C or SIGTERM between the renames left new files beside the earlier
            for path in stale:  # metrics.json, and the others' temporary files
                path.unlink(missing_ok=True)
            for path, tmp in written.items():
                publish(tmp, path)
    except BaseException:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
        raise


def _sha256(data: bytes) -> str:
    """The sha256 of ``data`` in hexadecimal."""
    return hashlib.sha256(data).hexdigest()


def _with_hashes(texts: Mapping[Path, str]) -> Mapping[Path, str]:
    """``texts``, where the last is a ``metrics.json`` object, with the sha256 of the others (their
    UTF-8 bytes, by file name) recorded in it under :data:`FILES_SHA256`."""
    paths = list(texts)
    if not paths or paths[-1].name != METRICS or not all(isinstance(t, str) for t in texts.values()):
        return texts
    metrics = json.loads(texts[paths[-1]])
    if not isinstance(metrics, dict):
        return texts
    metrics[FILES_SHA256] = {p.name: _sha256(texts[p].encode("utf-8")) for p in paths[:-1]}
    return {**texts, paths[-1]: json_text(metrics)}


def check_written_together(folder: str | Path) -> None:
    """Refuse the files of a run or an evaluation in ``folder`` that are not those its
    ``metrics.json`` was written with (:func:`write_together` recorded their sha256: a run or an
    evaluation stopped between its renames, or a file replaced since), with one :class:`FormatError`
    naming both files and the command that writes them again. A ``metrics.json`` without the record
    (written before 2026-12-06, or by hand) passes, as does a folder without one.

    Parameters
    ----------
    folder : str or Path
        A run folder, or an evaluation's (``evface eval RUN --out FOLDER``).

    Raises
    ------
    FormatError
        Naming the file whose sha256 differs and ``metrics.json`` (a missing file is left to its reader, which says so).

    Examples
    --------
    >>> _ = Path("ev").mkdir()
    >>> write_together({Path("ev/scores.csv"): "a,b\\n", Path("ev/metrics.json"): json_text({"run": "/runs/r", "data": "/d"})})
    >>> check_written_together("ev")
    >>> _ = Path("ev/scores.csv").write_text("a,b\\n1,2\\n")  # a newer evaluation stopped before its metrics.json
    >>> check_written_together("ev")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: ev/scores.csv: not the file that ev/metrics.json was written with (its sha256 differs: an evaluation or run stopped between writing them, or the file was replaced); write both again: evface eval /runs/r --data /d --out ev
    """
    folder = Path(folder)
    metrics = read_json(folder / METRICS) if (folder / METRICS).is_file() else None
    if not isinstance(metrics, dict):
        return
    recorded = metrics.get(FILES_SHA256)
    if not isinstance(recorded, dict):
        return
    for name, digest in recorded.items():
        if not isinstance(name, str) or Path(name).name != name or name in (".", ".."):  # was: read outside the folder
            raise FormatError(where(folder / METRICS, f"{FILES_SHA256} names {name!r}, not a file of this folder: "
                                                      "not as evface writes it"))
        path = folder / name
        if path.is_file() and _sha256(path.read_bytes()) != digest:  # a missing one: its reader says so
            raise FormatError(where(path, f"not the file that {folder / METRICS} was written with (its sha256 differs: an evaluation "
                                          "or run stopped between writing them, or the file was replaced); write both "
                                          f"again: {_written_by(folder, metrics)}"))


def _written_by(folder: Path, metrics: Mapping[str, Any]) -> str:
    """The command that writes the scores in ``folder`` again: ``evface eval RUN --data DATA`` into a
    run folder (``--data`` is required: the dataset its ``metrics.json`` records; was ``evface eval
    RUN`` alone, which stops at "Missing option '--data'"), else the evaluation its ``metrics.json``
    records (its run and dataset)."""
    data = metrics.get("data", "DATA")
    if (folder / CONFIG).is_file():
        return f"evface eval {folder} --data {data}"
    return f"evface eval {metrics.get('run', 'RUN')} --data {data} --out {folder}"


def read_json(path: str | Path) -> Any:
    """Read a JSON file, raising :class:`FormatError` naming it when missing or invalid.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    object
        What it holds.

    Examples
    --------
    >>> _ = write_json("metrics.json", {"uf1": 0.5})
    >>> read_json("metrics.json")
    {'uf1': 0.5}
    >>> read_json("nothing.json")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nothing.json: no such file
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(where(path, "no such file"))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # not JSON or UTF-8, 5000 digits, lists nested past the stack
        raise FormatError(where(path, f"not valid JSON ({exc})")) from exc


def save_config(run_dir: str | Path, config: Mapping[str, Any], version: str = __version__) -> Path:
    """Write ``RUN/config.json`` with the evface ``version`` it records (:data:`VERSION`: this one's,
    or a newer one that wrote the run before, :func:`~evface.tasks.run_resume.newest_version`);
    ``config["task"]`` names the module in evface.tasks that evaluates it.

    Parameters
    ----------
    run_dir : str or Path
        The run folder; it must exist.
    config : mapping
        The run's settings, with its ``task``.
    version : str, optional
        The evface version to record.

    Returns
    -------
    Path
        ``RUN/config.json``.

    Examples
    --------
    >>> _ = Path("run").mkdir()
    >>> save_config("run", {"task": "classify", "epochs": 3}, version="1.0").as_posix()
    'run/config.json'
    >>> read_json("run/config.json")
    {'task': 'classify', 'epochs': 3, 'evface_version': '1.0'}
    """
    if "task" not in config:
        raise ParameterError("a run config needs a 'task' key (the evface.tasks module that evaluates it)")
    return write_json(Path(run_dir) / CONFIG, {**config, VERSION: version})


def check_not_other_folder(folder: str | Path) -> None:
    """Refuse, where one training run is wanted, the output folder of ``evface run`` (it holds
    ``pipeline.json``, or while its first run goes on or after it stopped, ``stages``; its
    trainings are its stage folders, of which a finished one, :func:`finished_stages`, is named) or a dataset folder (``manifest.csv``), with a
    :class:`FormatError` saying what the folder is and what to give; anything else passes.

    Parameters
    ----------
    folder : str or Path
        The folder given as a run.

    Examples
    --------
    >>> _ = Path("runs/quick/stages/events-hd-3a/config.json").parent.mkdir(parents=True)
    >>> _ = Path("runs/quick/stages/events-hd-3a/config.json").write_text("{}")
    >>> _ = Path("runs/quick/stages/events-hd-3a/stage.json").write_text("{}")
    >>> _ = Path("runs/quick/pipeline.json").write_text("{}")
    >>> check_not_other_folder("runs/quick")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: runs/quick: the output of evface run, not one training run: give one of its stage folders, e.g. runs/quick/stages/events-hd-3a (1 finished in runs/quick/stages)
    """
    folder = Path(folder)
    if (folder / "pipeline.json").is_file() or (folder / "stages").is_dir():  # was: only a run that had ended
        # a finished stage (was: any stage begun, perhaps still training or stopped, named first)
        stages = finished_stages(folder)
        which = (f"e.g. {stages[0]} ({len(stages)} finished in {folder / 'stages'})" if stages
                 else f"none of {folder / 'stages'} has finished yet")
        raise FormatError(where(folder, f"the output of evface run, not one training run: give one of its stage "
                                        f"folders, {which}"))
    if (folder / "manifest.csv").is_file():
        raise FormatError(where(folder, "a dataset folder, not a run folder: give the folder of a run trained on it "
                                        "(evface train ... --out RUN)"))


def outside_runs(path: Path, option: str = "--out", what: str = "this run") -> Path:
    """Return ``path`` unless it lies inside a run folder (a folder above it holds a run's
    ``config.json``, an object with a ``task``); a :class:`ParameterError` naming ``option`` and the
    run then, before anything is written: a run (or an evaluation, ``evface eval --out``) there
    would lie among that run's models, where that run, given more seeds, takes a folder such as
    ``models/fold0-s2`` for its own trained model (an evaluation there was mixed with that model's
    files without a word).

    Parameters
    ----------
    path : Path
        The folder a new run would be written to.
    option : str, optional
        The option that gave it.
    what : str, optional
        What would be written there, for the message (``"this evaluation"``).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> _ = write_json("runs/a/config.json", {"task": "classify"})
    >>> outside_runs(Path("runs/a/models/fold0-s2"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: runs/a/models/fold0-s2: inside the run folder runs/a (it holds config.json), where this run would lie among that run's models; give --out a folder outside it
    >>> str(outside_runs(Path("runs/a"))), str(outside_runs(Path("runs/b")))  # the run itself resumes
    ('runs/a', 'runs/b')
    """
    for folder in path.resolve().parents:
        if _is_run(folder):
            named = folder if path.is_absolute() else Path(os.path.relpath(folder))
            raise ParameterError(where(path, f"inside the run folder {named} (it holds {CONFIG}), where {what} "
                                             f"would lie among that run's models; give {option} a folder outside it"))
    return path


def _is_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run's ``config.json`` (a JSON object with a ``task``)."""
    if not (folder / CONFIG).is_file():
        return False
    try:
        config = read_json(folder / CONFIG)
    except FormatError:
        return False
    return isinstance(config, dict) and "task" in config


def finished_stages(folder: str | Path) -> list[Path]:
    """The training stage folders of the ``evface run`` output ``folder`` that have finished, sorted:
    those whose :data:`STAGE_DONE` records as many seeds as their ``config.json`` lists. A stage
    being resumed with more seeds keeps the ``stage.json`` of its fewer until it finishes, and is
    refused until then by the report, which takes a run only with every seed scored (was: named as
    finished); the dataset's stage has no ``config.json``. A stage whose files cannot be read as
    JSON is named, so that what reads it names the file.

    Parameters
    ----------
    folder : str or Path
        The output folder of ``evface run``.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> for name, seeds in (("rgb-1", 1), ("events-hd-2", 3)):
    ...     _ = write_json(f"quick/stages/{name}/config.json", {"task": "classify", "seeds": seeds})
    ...     _ = write_json(f"quick/stages/{name}/stage.json", {"config": {}})  # 1 seed, as recorded before --seeds
    >>> [stage.name for stage in finished_stages("quick")]  # events-hd: resumed with --seeds 3
    ['rgb-1']
    """
    return sorted(c.parent for c in Path(folder).glob(f"stages/*/{CONFIG}") if _all_seeds_done(c.parent))


def _all_seeds_done(stage_dir: Path) -> bool:
    """Whether the stage folder ``stage_dir`` holds :data:`STAGE_DONE` of as many seeds as its
    ``config.json`` lists (:func:`finished_stages`)."""
    if not (stage_dir / STAGE_DONE).is_file():
        return False
    try:
        done, config = read_json(stage_dir / STAGE_DONE), read_json(stage_dir / CONFIG)
    except FormatError:
        return True
    planned = done.get("config") if isinstance(done, dict) else None
    return _seeds(planned) >= _seeds(config)


def _seeds(config: Any) -> int:
    """The ``seeds`` a stage's or a run's configuration lists (1 where it names none, or not as a number)."""
    seeds = config.get("seeds", 1) if isinstance(config, dict) else 1
    return seeds if type(seeds) is int else 1


def load_config(run_dir: str | Path) -> dict[str, Any]:
    """Read ``RUN/config.json`` (a :class:`FormatError` when it is missing: not a run folder; the
    output of ``evface run`` or a dataset folder said as such, :func:`check_not_other_folder`).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.

    Returns
    -------
    dict
        The settings, with the ``task`` that wrote them; those evface added since the run was
        written at the values it was trained with (:func:`~evface.tasks.configs.as_run_recorded`).

    Examples
    --------
    >>> _ = Path("data").mkdir(); _ = Path("data/manifest.csv").write_text("clip_id")
    >>> load_config("data")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: data: a dataset folder, not a run folder: give the folder of a run trained on it (evface train ... --out RUN)
    """
    path = Path(run_dir) / CONFIG
    if Path(run_dir).is_file():
        raise FormatError(where(Path(run_dir), "is a file, not an evface run folder"))
    if not path.exists():
        check_not_other_folder(run_dir)
        raise FormatError(where(path, "no config.json: not an evface run folder"))
    config = read_json(path)
    if not isinstance(config, dict) or "task" not in config:
        raise FormatError(where(path, "expected a JSON object with a 'task' key"))
    return as_run_recorded(config)


def load_task_config(run_dir: str | Path, task: str, kind: str) -> dict[str, Any]:
    """:func:`load_config` of a run of ``task``: another task's run is a :class:`ParameterError`.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    task : str
        The ``task`` its ``config.json`` must name (``"classify"``, ``"reconstruct"``).
    kind : str
        The run that task makes, in the error (``"classification"``, ``"reconstruction"``).

    Returns
    -------
    dict
        The settings, as :func:`load_config` returns them.

    Examples
    --------
    >>> _ = Path("recon-run").mkdir(); _ = save_config("recon-run", {"task": "reconstruct"})
    >>> load_task_config("recon-run", "classify", "classification")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: recon-run is a 'reconstruct' run, not a classification run
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    if config.get("task") != task:
        raise ParameterError(f"{run_dir} is a {config.get('task')!r} run, not a {kind} run")
    return config


@contextmanager
def reading(path: str | Path) -> Iterator[None]:
    """Read a received run file (``config.json``, ``metrics.json``) inside this block: what a file
    that evface did not write makes the code raise (a key missing, a value of another type or out
    of range) becomes one :class:`FormatError` naming ``path``; an error that names ``path`` already
    (the file is not JSON) is passed on as it is.

    Parameters
    ----------
    path : str or Path
        The file read inside the block.

    Examples
    --------
    >>> _ = Path("pipeline.json").write_text('{"data": "da')
    >>> with reading("pipeline.json"):
    ...     read_json("pipeline.json")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: pipeline.json: not valid JSON (Unterminated string starting at: line 1 column 10 (char 9))
    """
    try:
        yield
    except KeyError as exc:
        raise FormatError(where(path, f"has no {exc.args[0]!r}: not a file evface wrote")) from exc
    except EvfaceError as exc:
        if str(exc).startswith(where(path, "")):  # it names this file already (:func:`read_json` of it)
            raise
        raise FormatError(where(path, f"not as evface writes it ({exc})")) from exc
    except (TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as exc:  # ArithmeticError: was an
        # OverflowError of Infinity where a count is read (a confusion matrix's), a ZeroDivisionError of a zero
        raise FormatError(where(path, f"not as evface writes it ({exc})")) from exc


def check_fields(obj: Any, types: Mapping[str, type | tuple[type, ...]]) -> None:
    """Check that the JSON object ``obj`` has each key of ``types`` with a value of that type
    (a ``ValueError``, which :func:`reading` turns into one line naming the file).

    Parameters
    ----------
    obj : object
        What a JSON file held.
    types : mapping of str to type or tuple of type
        Each key ``obj`` must have, and the types its value may be (``bool`` only where named).

    Examples
    --------
    >>> check_fields({"dir": "fold0", "test": ["s1"]}, {"dir": str, "test": list})
    >>> check_fields({"dir": 3}, {"dir": str})
    Traceback (most recent call last):
    ValueError: 'dir' is 3, not of type str
    """
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {obj!r:.60}")
    for key, kind in types.items():
        if key not in obj:
            raise ValueError(f"has no {key!r}")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(obj[key], kinds) or (isinstance(obj[key], bool) and bool not in kinds):
            raise ValueError(f"{key!r} is {obj[key]!r:.60}, not of type {'/'.join(k.__name__ for k in kinds)}")


def check_names(obj: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Check that each list ``obj[key]`` of a received run file (the subjects a model or a part was
    trained, validated and tested on) holds names, texts (a ``ValueError``, which :func:`reading` turns
    into one line naming the file; was an internal error where the names were counted or looked up).

    Examples
    --------
    >>> check_names({"test": ["s1", "s2"], "val": []}, ("test", "val"))
    >>> check_names({"test": [["s1"]]}, ("test",))
    Traceback (most recent call last):
    ValueError: 'test' is [['s1']], not a list of names
    """
    for key in keys:
        if not all(isinstance(name, str) for name in obj[key]):
            raise ValueError(f"{key!r} is {obj[key]!r:.60}, not a list of names")


def check_folder(text: str) -> None:
    """Check that a folder named in a run's ``config.json`` (a model's or a part's) or its
    ``pipeline.json`` (a stage's) lies inside the run and can be a path (:func:`check_path_text`; was:
    an OSError, "File name too long", of a name of thousands of characters).

    Parameters
    ----------
    text : str
        The folder, relative to the run.

    Raises
    ------
    ValueError
        Which :func:`reading` turns into one line naming the file.

    Examples
    --------
    >>> check_folder("models/fold0-s0")
    >>> check_folder("../other")
    Traceback (most recent call last):
    ...
    ValueError: the folder '../other' ...
    """
    why = inside_path(text)
    if why is not None:
        raise ValueError(f"the folder {text!r} {why.replace('dataset', 'run')}")
    check_path_text(text)


def check_path_text(text: str) -> None:
    """Check that the folder ``text`` a received run file names (its dataset's) can be a path: no name
    in it longer than :data:`NAME_MAX` bytes (was: an OSError, "File name too long", naming the path
    of thousands of characters and not the file).

    Parameters
    ----------
    text : str
        The folder, as the file names it.

    Raises
    ------
    ValueError
        Which :func:`reading` turns into one line naming the file.

    Examples
    --------
    >>> check_path_text("/datasets/real")
    >>> check_path_text("runs/" + "9" * 300)
    Traceback (most recent call last):
    ValueError: the folder 'runs/99999999999999999999'... holds a name of 300 bytes, more than a file system takes (255)
    """
    longest = max((len(part.encode("utf-8", "surrogatepass")) for part in Path(text).parts), default=0)
    if longest > NAME_MAX:
        shown = f"{text[:25]!r}" + ("..." if len(text) > 25 else "")
        raise ValueError(f"the folder {shown} holds a name of {longest} bytes, more than a file system takes ({NAME_MAX})")


def threads_used(counts: Sequence[Any]) -> dict[str, list[int]]:
    """The run's record of the torch threads its trainings ran on: ``{"torch_threads": [the distinct
    counts, sorted]}`` (one list, so that a reader reads one type; a run trained alike on one count:
    ``[N]``), or ``{}`` where some training recorded none (a model trained before evface recorded
    it, in a run resumed since: the run's counts are not known).

    Parameters
    ----------
    counts : sequence
        Each training's :data:`TORCH_THREADS` (``None`` where it has none).

    Returns
    -------
    dict

    Examples
    --------
    >>> threads_used([1, 1]), threads_used([2, 1, 2]), threads_used([1, None])
    ({'torch_threads': [1]}, {'torch_threads': [1, 2]}, {})
    """
    if not counts or any(count is None for count in counts):
        return {}
    return {TORCH_THREADS: sorted(set(counts))}


def check_threads(record: Mapping[str, Any]) -> None:
    """Check that the run's :data:`TORCH_THREADS` in a received ``record`` (``metrics.json``,
    ``train.json``), where it has them, list counts of threads: whole numbers from 1 to
    :data:`~evface.tasks.configs.MAX_THREADS`, as ``--threads`` takes (was: of at least 1, and a
    count past what torch takes was an internal error of ``evface eval``, which scores on it) (a
    ``ValueError``, which :func:`reading` turns into one line naming the file). A record without
    them (a run made before evface recorded them) passes.

    Examples
    --------
    >>> check_threads({}), check_threads({"torch_threads": [1, 2]})
    (None, None)
    >>> check_threads({"torch_threads": [0]})
    Traceback (most recent call last):
    ValueError: 'torch_threads' is [0], not a list of counts of threads (whole numbers from 1 to 1024)
    """
    if TORCH_THREADS not in record:
        return
    check_fields(record, {TORCH_THREADS: list})
    if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_THREADS for n in record[TORCH_THREADS]):
        raise ValueError(f"{TORCH_THREADS!r} is {record[TORCH_THREADS]!r:.60}, not a list of counts of threads "
                         f"(whole numbers from 1 to {MAX_THREADS})")


def scoring_threads(threads: int, record: str | Path) -> int | None:
    """The torch threads a run is scored on, by the run itself and by ``evface eval`` alike: its
    ``threads`` setting, or where that is 0 the one count its trainings ran on, as its ``record``
    (``metrics.json`` of a classification, ``train.json`` of a reconstruction: :func:`threads_used`)
    lists it; ``None`` (the caller's count, or the task's default) where it lists several, none (a run
    made before 2026-12-06), or there is no such file. ``evface run`` trains a stage (``threads`` 0) on
    each job's share of the cores, so its stages are scored on that share wherever they are evaluated
    (was: on the evaluating process's count, or half its cores, and the figures differed from the
    run's own in their last digits). A record that is no JSON object, or whose threads are no counts,
    is a :class:`FormatError` naming it.

    Parameters
    ----------
    threads : int
        The run's ``threads`` setting (0: the process's).
    record : str or Path
        The run's record of its trainings' threads.

    Returns
    -------
    int or None

    Examples
    --------
    >>> _ = write_json("train.json", {"torch_threads": [2]})
    >>> scoring_threads(1, "train.json"), scoring_threads(0, "train.json"), scoring_threads(0, "no-such.json")
    (1, 2, None)
    >>> _ = write_json("train.json", {"torch_threads": [1, 2]})
    >>> print(scoring_threads(0, "train.json"))
    None
    """
    record = Path(record)
    if threads or not record.is_file():
        return threads or None
    with reading(record):
        said = read_json(record)
        check_fields(said, {})
        check_threads(said)
    counts = said.get(TORCH_THREADS, [])
    return counts[0] if len(counts) == 1 else None


def write_metrics(out_dir: str | Path, metrics: Mapping[str, Any], name: str = METRICS) -> Path:
    """Write ``OUT/metrics.json`` atomically.

    Parameters
    ----------
    out_dir : str or Path
        The folder; it must exist.
    metrics : mapping
        What to write (:func:`json_text`).
    name : str, optional
        The file's name.

    Returns
    -------
    Path
        The file written.
    """
    return write_json(Path(out_dir) / name, dict(metrics))
