"""A run folder's files: its settings, the clips it was trained on, its metrics, and the checks of a received one.

Every task writes the same files into a run folder, and every command that reads a run (``eval``,
``compare``, ``report``, ``export-nir``, a resume) reads them here:

- :func:`write_json` / :func:`read_json` (atomic; a missing or invalid file is one error naming it),
  :func:`save_config` / :func:`load_config` (``RUN/config.json``), :func:`write_metrics`
  (``metrics.json``);
- :func:`record_clips` / :func:`trained_clips` / :func:`seen_in_training` / :func:`other_data` /
  :func:`is_training_data` (``RUN/data-clips.json``: which clips of a dataset the run was trained
  on, by their manifest rows and their files' sizes and hashes, wherever it moved);
- :func:`starting_run` (a run that never started leaves nothing behind), :func:`check_resume`
  (refuse to resume with other settings or other clips), :func:`version_warning` (a newer evface's
  run read without the settings this one does not know), :func:`grown_by_seeds` (a run given more
  training seeds keeps its trainings), :func:`evaluation_folder` / :func:`evaluation_target`
  (where ``evface eval`` may write, and whether that is the run's own data);
- :func:`reading` / :func:`check_fields` / :func:`check_folder`: a received run's files checked,
  one error line naming the file.

The checkpoints themselves are :mod:`evface.tasks.checkpoints`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from evface import __version__
from evface.errors import DatasetError, EvfaceError, FormatError, ParameterError, counted, where
from evface.io.atomic_files import atomic_write_text
from evface.io.manifest import CLIP_KEY_COLUMNS, inside_path, read_manifest, row_key
from evface.tasks.configs import TASK_CONFIGS

CONFIG = "config.json"
METRICS = "metrics.json"
CLIPS = "data-clips.json"
"""The manifest rows of the dataset a run was trained on and its clip files' sizes and hashes
(:func:`record_clips`): how an evaluation knows the run's clips by their content, wherever the
dataset folder has moved."""
VERSION = "evface_version"
"""The key of ``config.json`` that names the evface version that wrote it (:func:`save_config`; runs
made before 2026-12-05 have none)."""


class ResumeRefused(ParameterError):
    """A run folder that cannot be resumed as it stands: it holds files but no run, or a run of another
    evface version, of other settings, on other clips or of more training seeds (:func:`check_resume`,
    :func:`grown_by_seeds`). It is about the folder, not about the values of the options given."""


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically (numpy scalars and arrays are converted)."""
    path = Path(path)
    atomic_write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")
    return path


def read_json(path: str | Path) -> Any:
    """Read a JSON file, raising :class:`FormatError` naming it when missing or invalid."""
    path = Path(path)
    if not path.exists():
        raise FormatError(where(path, "no such file"))
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(where(path, f"not valid JSON ({exc})")) from exc


def save_config(run_dir: str | Path, config: Mapping[str, Any]) -> Path:
    """Write ``RUN/config.json`` with the evface version that writes it (:data:`VERSION`);
    ``config["task"]`` names the module in evface.tasks that evaluates it."""
    if "task" not in config:
        raise ParameterError("a run config needs a 'task' key (the evface.tasks module that evaluates it)")
    return write_json(Path(run_dir) / CONFIG, {**config, VERSION: __version__})


@contextmanager
def starting_run(run_dir: str | Path, config: Mapping[str, Any], rows: list[dict[str, Any]],
                 log: Callable[[str], None] | None = None) -> Iterator[None]:
    """Save ``RUN/config.json`` and the dataset's manifest ``rows`` with its clip files' sizes and
    hashes (:func:`record_clips`; the dataset is the folder ``config["data"]``), then run the
    block (the run's preprocessing). A resumed run begun by a newer evface (:func:`newer_than_this`;
    one with settings this one does not know was refused by :func:`check_resume`) is resumed with a
    warning to ``log``.

    A resumed run whose ``data-clips.json`` already holds the files (:func:`check_resume` found them
    unchanged) keeps it as it is. A resumed run made before they were recorded resumes on the
    dataset as it is now, which nothing could check against the clips it was trained on: they are
    recorded, and ``log`` is told so once (:func:`unchecked_resume`). When the block fails in a run that had no ``config.json`` before
    (a new run: by :func:`check_resume`, its folder was absent or empty), everything in the folder
    was written here and is removed, the folder too if this made it: a run that never started
    leaves nothing behind, and the same command runs again once its input is fixed.
    """
    run_dir = Path(run_dir)
    made, fresh = not run_dir.exists(), not (run_dir / CONFIG).exists()
    begun_by = None if fresh else load_config(run_dir).get(VERSION)
    if begun_by is not None and newer_than_this(begun_by) and log is not None:
        log(f"warning: {run_dir}: resumed a run of evface {begun_by}, newer than this evface {__version__}: what this "
            f"version trains may differ from what that one did, and its results may not be comparable; resume it with "
            f"evface {begun_by} to keep them alike")
    save_config(run_dir, config)
    try:
        recorded = recorded_clips(run_dir)
        if fresh or recorded is None or recorded[1] is None:
            if not fresh and log is not None:
                log(unchecked_resume(run_dir, config["data"], recorded is None))
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


def _release(version: str) -> tuple[int, ...]:
    """The release numbers of a version text, trailing zeros dropped (``"0.10.0rc1+local"``: ``(0, 10)``;
    a text that starts with no number: ``()``)."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    numbers = [int(n) for n in match.group().split(".")] if match else []
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def newer_than_this(version: Any) -> bool:
    """Whether the evface ``version`` a run records (:data:`VERSION`) is a newer release than this
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


def file_print(path: str | Path) -> list[Any]:
    """``[bytes, sha256]`` of a clip file: equal for the same clip written twice (a clip file's bytes
    are deterministic), different for the clip rendered again with other event noise or settings.
    An unreadable file is a :class:`DatasetError` naming it.

    Examples
    --------
    >>> _ = Path("clip.h5").write_bytes(b"abc")
    >>> file_print("clip.h5")
    [3, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']
    """
    try:
        with open(path, "rb") as fh:
            return [os.fstat(fh.fileno()).st_size, hashlib.file_digest(fh, "sha256").hexdigest()]
    except OSError as exc:
        raise DatasetError(where(Path(path), f"cannot be read ({exc.strerror or exc})")) from exc


def record_clips(run_dir: str | Path, data: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``RUN/data-clips.json``: the manifest rows of the run's dataset folder ``data`` (every
    subject's: training, validation and test), each as the text of its columns (:func:`row_key`),
    and beside each its clip file's :func:`file_print` (``files``, in the same order: for the full
    preset's 14 GB, some 8 s of hashing at 1.7 GB/s besides reading the files)."""
    ordered = sorted((row_key(r), r["file"]) for r in rows)
    return write_json(Path(run_dir) / CLIPS, {"columns": list(CLIP_KEY_COLUMNS),
                                              "clips": [list(key) for key, _ in ordered],
                                              "files": [file_print(Path(data) / file) for _, file in ordered]})


def recorded_clips(run_dir: str | Path) -> tuple[list[tuple[str, ...]], list[list[Any]] | None] | None:
    """The clips ``RUN/data-clips.json`` lists (as :func:`row_key` tuples, sorted) and their
    :func:`file_print` (``None`` for a run made before evface recorded them, 2026-12-05); ``None``
    for a run made before the file (2026-12-03). A malformed file is a :class:`FormatError`."""
    path = Path(run_dir) / CLIPS
    if not path.exists():
        return None
    obj = read_json(path)
    clips = obj.get("clips") if isinstance(obj, dict) else None
    files = obj.get("files") if isinstance(obj, dict) else None
    if (not isinstance(clips, list) or obj.get("columns") != list(CLIP_KEY_COLUMNS)
            or not all(isinstance(c, list) and len(c) == len(CLIP_KEY_COLUMNS) and all(isinstance(v, str) for v in c)
                       for c in clips)
            or (files is not None and (not isinstance(files, list) or len(files) != len(clips) or not all(
                isinstance(f, list) and len(f) == 2 and type(f[0]) is int and isinstance(f[1], str) for f in files)))):
        raise FormatError(where(path, f"expected {{'columns': {list(CLIP_KEY_COLUMNS)}, 'clips': [[...], ...], "
                                      "'files': [[bytes, sha256], ...]}"))
    return [tuple(c) for c in clips], files


def trained_clips(run_dir: str | Path) -> set[tuple[str, ...]] | None:
    """The clips ``RUN/data-clips.json`` lists (as :func:`row_key` tuples); ``None`` for a run made
    before evface recorded them (2026-12-03). A malformed file is a :class:`FormatError`."""
    recorded = recorded_clips(run_dir)
    return None if recorded is None else set(recorded[0])


def seen_in_training(run_dir: str | Path, data: str | Path, rows: list[dict[str, Any]]) -> list[bool]:
    """Which of ``rows`` (manifest rows of the dataset folder ``data``) are clips of the run's
    dataset by their manifest rows, whose subjects its models were split by: those whose row
    equals one in ``RUN/data-clips.json``, wherever ``data`` lies (a moved or copied dataset, the
    same rows rendered again with other event noise, a dataset merged into a
    larger one). For a run made before that file, every row when ``data`` is the folder the run
    was trained on, else none.
    """
    recorded = trained_clips(run_dir)
    if recorded is None:
        return [_trained_on_folder(run_dir, data)] * len(rows)
    return [row_key(r) in recorded for r in rows]


def other_data(run_dir: str | Path, data: str | Path) -> str | None:
    """How the dataset folder ``data`` differs from the one the run was trained on, in words; ``None``
    when it holds the very clips (wherever it lies: a moved or copied dataset).

    The same manifest rows (``RUN/data-clips.json``) are checked first; then each clip file's size
    (cheap: other event noise differs here) and, when every size agrees, its
    sha256 (:func:`file_print`). A run made before the files were recorded knows its dataset by
    the folder's path only (``config.json``'s ``data``).
    """
    recorded = recorded_clips(run_dir)
    if recorded is not None:
        keys, prints = recorded
        rows = {row_key(r): r["file"] for r in read_manifest(data)}
        if set(rows) != set(keys):
            return "its manifest rows are not those the run was trained on"
        if prints is not None:
            paths = [Path(data) / rows[key] for key in keys]
            changed = next((p for p, (size, _) in zip(paths, prints) if _size(p) != size), None)
            changed = changed or next((p for p, (_, digest) in zip(paths, prints) if file_print(p)[1] != digest), None)
            return None if changed is None else (
                f"its clips have the manifest rows of the training data but other files (e.g. {changed}: rendered "
                "again, with other event noise or settings)")
    if not _trained_on_folder(run_dir, data):
        return (f"it is not the folder the run was trained on ({load_config(run_dir)['data']}; the run is older than "
                "the record of its clip files)")
    return None


def is_training_data(run_dir: str | Path, data: str | Path) -> bool:
    """Whether the dataset folder ``data`` holds the very clips the run was trained on: every row
    and no other, each file as it was (:func:`other_data`)."""
    return other_data(run_dir, data) is None


HELD_OUT = ("its clips have the manifest rows of the training data, so each was scored by the models that held out a "
            "subject of its name")
"""How a clip of another dataset folder whose manifest row is one the run was trained on (the
dataset rendered again with other event noise: :func:`seen_in_training`) was scored, in the words of
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
    not hold the clips the run was trained on (:func:`other_data`); ``n_seen`` of them have a
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


def pairing_hint(run_a: str | Path, run_b: str | Path, a_only: bool, b_only: bool) -> str:
    """How to pair two runs or evaluations that scored other clips (``a_only`` / ``b_only``: whether A
    / B holds clips the other lacks): score the one holding more clips on the other's dataset with
    ``evface eval`` and compare the evaluation, naming the run folder and the dataset that their
    ``metrics.json`` record (``DATA`` where none is recorded).

    Examples
    --------
    >>> pairing_hint("runs/session", "runs/merged", False, True)
    'to pair them on the clips of runs/session, score runs/merged on the dataset of runs/session (evface eval runs/merged --data DATA --out DIR) and compare runs/session with DIR'
    >>> pairing_hint("runs/x", "runs/y", True, True)[:63]
    'to pair them, score both on one dataset (evface eval RUN --data'
    """
    if a_only and b_only:
        return "to pair them, score both on one dataset (evface eval RUN --data DATA --out DIR) and compare the two DIRs"
    narrow, wide = (run_a, run_b) if b_only else (run_b, run_a)
    run, data = _recorded(wide, "run") or wide, _recorded(narrow, "data") or "DATA"
    return (f"to pair them on the clips of {narrow}, score {wide} on the dataset of {narrow} (evface eval {run} --data {data} "
            f"--out DIR) and compare {narrow} with DIR")


def _recorded(folder: str | Path, key: str) -> str | None:
    """The path ``key`` (``run``, ``data``) of a run's or evaluation's ``metrics.json``; ``None`` where
    the file or the entry is missing or unreadable (it only completes a message)."""
    try:
        value = read_json(Path(folder) / "metrics.json").get(key)
    except (EvfaceError, OSError, AttributeError):  # no file, not JSON, not an object
        return None
    return value if isinstance(value, str) and value else None


def _size(path: Path) -> int:
    """The size of a clip file, a :class:`DatasetError` naming it when it cannot be read."""
    try:
        return path.stat().st_size
    except OSError as exc:
        raise DatasetError(where(path, f"cannot be read ({exc.strerror or exc})")) from exc


def _trained_on_folder(run_dir: str | Path, data: str | Path) -> bool:
    """Whether ``data`` is the folder the run was trained on (how runs made before ``data-clips.json`` know it)."""
    return Path(data).resolve() == Path(load_config(run_dir)["data"]).resolve()


def check_not_other_folder(folder: str | Path) -> None:
    """Refuse, where one training run is wanted, the output folder of ``evface run`` (it holds
    ``pipeline.json``; its trainings are its stage folders) or a dataset folder (``manifest.csv``),
    with a :class:`FormatError` saying what the folder is and what to give; anything else passes.

    Examples
    --------
    >>> _ = Path("runs/quick/stages/events-hd-3a/config.json").parent.mkdir(parents=True)
    >>> _ = Path("runs/quick/stages/events-hd-3a/config.json").write_text("{}")
    >>> _ = Path("runs/quick/pipeline.json").write_text("{}")
    >>> check_not_other_folder("runs/quick")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: runs/quick: the output of evface run, not one training run: give one of its stage folders, e.g. runs/quick/stages/events-hd-3a (1 in runs/quick/stages)
    """
    folder = Path(folder)
    if (folder / "pipeline.json").is_file():
        stages = sorted(c.parent for c in folder.glob(f"stages/*/{CONFIG}"))
        which = (f"e.g. {stages[0]} ({len(stages)} in {folder / 'stages'})" if stages
                 else f"none of {folder / 'stages'} has trained yet")
        raise FormatError(where(folder, f"the output of evface run, not one training run: give one of its stage "
                                        f"folders, {which}"))
    if (folder / "manifest.csv").is_file():
        raise FormatError(where(folder, "a dataset folder, not a run folder: give the folder of a run trained on it "
                                        "(evface train ... --out RUN)"))


def load_config(run_dir: str | Path) -> dict[str, Any]:
    """Read ``RUN/config.json`` (a :class:`FormatError` when it is missing: not a run folder; the
    output of ``evface run`` or a dataset folder said as such, :func:`check_not_other_folder`)."""
    path = Path(run_dir) / CONFIG
    if Path(run_dir).is_file():
        raise FormatError(where(Path(run_dir), "is a file, not an evface run folder"))
    if not path.exists():
        check_not_other_folder(run_dir)
        raise FormatError(where(path, "no config.json: not an evface run folder"))
    config = read_json(path)
    if not isinstance(config, dict) or "task" not in config:
        raise FormatError(where(path, "expected a JSON object with a 'task' key"))
    return config


@contextmanager
def reading(path: str | Path) -> Iterator[None]:
    """Read a received run file (``config.json``, ``metrics.json``) inside this block: what a file
    that evface did not write makes the code raise (a key missing, a value of another type or out
    of range) becomes one :class:`FormatError` naming ``path``; an error that names ``path`` already
    (the file is not JSON) is passed on as it is.

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
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        raise FormatError(where(path, f"not as evface writes it ({exc})")) from exc


def check_fields(obj: Any, types: Mapping[str, type | tuple[type, ...]]) -> None:
    """Check that the JSON object ``obj`` has each key of ``types`` with a value of that type
    (a ``ValueError``, which :func:`reading` turns into one line naming the file).

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


def check_folder(text: str) -> None:
    """Check that a folder named in a run's ``config.json`` (a model's or a part's) lies inside the run."""
    why = inside_path(text)
    if why is not None:
        raise ValueError(f"the folder {text!r} {why.replace('dataset', 'run')}")


def check_task(run_dir: str | Path, old: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Refuse to resume the run ``old`` (``run_dir``'s ``config.json``) as a run of another task than
    ``config``'s: one line naming both tasks.

    Examples
    --------
    >>> check_task("runs/ev", {"task": "classify"}, {"task": "reconstruct"})
    Traceback (most recent call last):
    ...
    evface.tasks.run_folder.ResumeRefused: runs/ev: holds a classify run, which evface train reconstruct cannot resume; give --out a new folder
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
    ``rows`` with ``RUN/data-clips.json`` (:func:`record_clips`), and where it holds them, each
    clip file's size and hash (:func:`other_data`: the same rows rendered again with other event
    noise are other clips); the same clips in a moved folder resume
    (``config["data"]`` may change). A folder that holds files but no
    ``config.json`` is refused too: a run never writes into someone's folder. So is a run written
    by an evface version (:data:`VERSION`) whose ``config.json`` holds settings that ``config``
    lacks (a newer version's, which this one would train without).
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

    def plain(value: Any) -> Any:
        return json.loads(json.dumps(value, default=_json_default))

    changed = sorted(k for k in config if k not in free and plain(old.get(k)) != plain(config[k]))
    if changed:
        raise ResumeRefused(where(run_dir, f"holds a run with other settings ({', '.join(changed)}); "
                                            "choose a new --out folder or delete this one"))


def unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """The settings of a run's ``config.json`` (``config``) that are not among ``known``, sorted,
    where the run names the evface version that wrote it (:data:`VERSION`; a run made before
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
    a newer evface's), which ``eval`` and ``report`` read it without; ``None`` for any other run
    (one of no task this evface knows too: what reads it says what is wrong with it).

    Examples
    --------
    >>> _ = Path("r").mkdir()
    >>> _ = write_json("r/config.json", {"task": "classify", "epochs": 3, "mixup": 0.2, VERSION: "9.0"})
    >>> version_warning("r")  # doctest: +ELLIPSIS
    'r: a run of evface 9.0 with settings this evface ... does not know (mixup): read without them, its results may not be comparable with those of runs of this version'
    """
    config = read_json(Path(run_dir) / CONFIG)
    task = TASK_CONFIGS.get(str(config.get("task"))) if isinstance(config, dict) else None
    unknown = unknown_settings(config, task.run_keys()) if task is not None else []
    if not unknown:
        return None
    return where(run_dir, f"a run of evface {config[VERSION]} with settings this evface {__version__} does not know "
                          f"({', '.join(unknown)}): read without them, its results may not be comparable with those "
                          "of runs of this version")


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
    """
    if not (Path(run_dir) / CONFIG).exists():
        return config, ()
    old = load_config(run_dir)
    check_task(run_dir, old, config)
    before, now = int(old.get("seeds", 1)), int(config.get("seeds", 1))
    if now < before:
        raise ResumeRefused(where(run_dir, f"holds a run of {before} training seeds; --seeds {now} would leave "
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


def evaluation_folder(run_dir: str | Path, data: str | Path, out: str | Path | None) -> Path:
    """Where ``evface eval`` of ``run_dir`` on ``data`` writes its files: ``out``, else ``run_dir``.

    The run folder takes only an evaluation on the very data the run was trained on (its
    ``metrics.json`` is the run's test result): the same clip files in any folder
    (:func:`other_data`; not the same manifest rows rendered again with other event noise or
    settings). ``out`` must be a new folder, or one an earlier evaluation of this run wrote (it holds
    ``metrics.json`` and no run; its ``run``, where recorded, is this run, and its ``task``, where
    recorded, this run's). Anything else is a :class:`ParameterError` naming ``--out``.
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
        earlier = earlier if isinstance(earlier, dict) else {}
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
    (:func:`is_training_data`; so where the folder is the run's own, which takes nothing else)."""
    target = evaluation_folder(run_dir, data, out)
    return target, target.resolve() == Path(run_dir).resolve() or is_training_data(run_dir, data)


def write_metrics(out_dir: str | Path, metrics: Mapping[str, Any], name: str = METRICS) -> Path:
    """Write ``OUT/metrics.json`` atomically."""
    return write_json(Path(out_dir) / name, dict(metrics))
