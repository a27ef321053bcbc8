"""The output folder of ``evface run`` given where a dataset folder belongs: recognised, and its dataset named.

``evface run --out RUN`` writes its records into ``RUN`` (``pipeline.json``, and :data:`STARTED`
before its first stage) and its stages into ``RUN/stages``; the dataset it trains on is
``RUN/data``, where it builds it, or the ``--data`` folder its record names
(:func:`recorded_dataset`). Every reader of a dataset folder refuses such a folder naming that
dataset (:func:`check_not_run_output`; was: "no manifest", the dataset inside not named).
What else a run's records hold, and a resume's checks of them, are
:mod:`evface.pipeline.earlier_run`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evface.errors import DatasetError, where

PIPELINE = "pipeline.json"
"""The record ``evface run`` writes into ``RUN`` as it ends (its options, dataset and stages)."""

STARTED = "started.json"
"""The record of the options and dataset a run into ``OUT`` was started with (``{"config": ..., "data": ...}``,
as ``pipeline.json``'s, and ``"built"``: whether the run builds it), written before its first stage starts:
a run stopped before it wrote ``pipeline.json`` is checked against it."""


def is_run_output(folder: Path) -> bool:
    """Whether ``folder`` is the output folder of ``evface run`` and no dataset: it holds a run's
    record (:data:`PIPELINE` or :data:`STARTED`) or its ``stages``, and no ``manifest.csv``.

    Parameters
    ----------
    folder : Path
        A folder given as a dataset.

    Returns
    -------
    bool
        True for a run's folder.

    Examples
    --------
    >>> Path("r/stages").mkdir(parents=True)
    >>> is_run_output(Path("r")), is_run_output(Path("r/stages"))
    (True, False)
    """
    if (folder / "manifest.csv").is_file():
        return False
    return any((folder / name).is_file() for name in (PIPELINE, STARTED)) or (folder / "stages").is_dir()


def recorded_dataset(out: Path, written: Mapping[str, Any], started: bool) -> tuple[Path, bool]:
    """The dataset folder a run's record ``written`` names, read as evface writes it, and whether
    the run built it: ``out/data`` where it did (a :data:`STARTED` record, ``started``, says so;
    ``pipeline.json`` lists the synth stage among those done), else its ``"data"``, relative to
    ``out`` when inside it (older records name it absolute). The record's fields are not checked
    here: a ``KeyError`` or ``TypeError`` where they are not as evface writes them.

    Parameters
    ----------
    out : Path
        The run's folder.
    written : mapping
        What its record holds.
    started : bool
        Whether the record is :data:`STARTED` (else ``pipeline.json``).

    Returns
    -------
    tuple of (Path, bool)
        The dataset folder, there or not, and whether the run built it.

    Examples
    --------
    >>> recorded_dataset(Path("run"), {"data": "data", "stages": [{"task": "synth"}]}, started=False)
    (PosixPath('run/data'), True)
    >>> recorded_dataset(Path("run"), {"data": "/datasets/real", "built": False}, started=True)
    (PosixPath('/datasets/real'), False)
    """
    if started:
        built = written["built"]
    else:
        built = any(isinstance(stage, Mapping) and stage.get("task") == "synth" for stage in written["stages"])
    return (out / "data" if built else out / written["data"]), bool(built)


def check_not_run_output(folder: Path, option: str | None = None) -> None:
    """Refuse the output folder of ``evface run`` (:func:`is_run_output`) given as a dataset, naming
    its dataset (:func:`recorded_dataset`; ``RUN/data`` where its record cannot be read) as the folder
    to give ``option`` (``evface merge``'s DATASET, ``--data``), or in its place where the reader does
    not know the option. A dataset folder, or any other, passes.

    Parameters
    ----------
    folder : Path
        The folder given as a dataset.
    option : str, optional
        The argument or option that gave it, named in the message.

    Raises
    ------
    DatasetError
        ``folder`` is an ``evface run`` output and holds no ``manifest.csv``.

    Examples
    --------
    >>> Path("quick/stages").mkdir(parents=True)
    >>> Path("quick/data").mkdir()
    >>> check_not_run_output(Path("quick"), "--data")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: quick: the output folder of evface run, not a dataset: give its dataset, quick/data, as --data
    >>> check_not_run_output(Path("quick"))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: quick: the output folder of evface run, not a dataset: give its dataset, quick/data, in its place
    >>> check_not_run_output(Path("quick/data"))  # no run's folder
    """
    if not is_run_output(folder):
        return
    data = _named_dataset(folder)
    try:
        there = data.exists()
    except OSError:  # a name too long for the file system: no such folder
        there = False
    if not there:
        raise DatasetError(where(folder, f"the output folder of evface run, not a dataset, and its dataset ({data}) is "
                                         f"not there; give {option + ' ' if option else ''}a dataset folder"))
    raise DatasetError(where(folder, f"the output folder of evface run, not a dataset: give its dataset, {data}, "
                                     f"{'as ' + option if option else 'in its place'}"))


def _named_dataset(folder: Path) -> Path:
    """The dataset folder the record of the run in ``folder`` names (:func:`recorded_dataset`), there
    or not; ``folder/data``, where a run builds it, when it has no record or one evface did not
    write (a resume refuses that one: :func:`evface.pipeline.earlier_run.run_dataset`)."""
    record = folder / PIPELINE if (folder / PIPELINE).is_file() else folder / STARTED
    try:
        written = json.loads(record.read_text(encoding="utf-8"))
        if not isinstance(written, dict) or not isinstance(written.get("data"), str):
            return folder / "data"
        return recorded_dataset(folder, written, started=record.name == STARTED)[0]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):  # none, or not as evface writes it
        return folder / "data"
