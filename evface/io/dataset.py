"""The dataset folder: ``clips/``, ``manifest.csv`` and ``dataset.json``.

This module owns the folder around the clips (one clip file's content belongs to
:mod:`evface.io.clip_schema`, the manifest's rows to :mod:`evface.io.manifest`): ``dataset.json``
and the folder opened for reading (:class:`DatasetFolder`). Building a folder is
:mod:`evface.io.dataset_output`; every file evface makes is written by :mod:`evface.io.atomic_files`.

``dataset.json`` records who made the folder (generator or
importer), its parameters, the evface version and the seed. It is written atomically.

:meth:`DatasetFolder.open`
checks every row against its clip file's own attributes (id, subject, label, AUs, lighting,
times; the events are not read) and, when ``dataset.json`` lists the classes, against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evface.errors import DatasetError, EvfaceError, where
from evface.io.atomic_files import atomic_write_text
from evface.io.clip_reader import indexed_event_times, read_clip_meta
from evface.io.manifest import aus_to_str, read_manifest_lines
from evface.io.run_output import check_not_run_output

_CLIP_FIELDS = ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us", "offset_us", "duration_us")
"""Manifest columns that repeat a clip file's own attributes (and must agree with them)."""


def write_dataset_json(root: str | Path, info: dict[str, Any]) -> Path:
    """Write ``dataset.json`` in ``root`` (keys sorted, indented); returns its path.

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    info : dict
        What made the folder: generator or importer, its parameters, the evface version, the seed,
        the classes (JSON-serialisable).

    Returns
    -------
    Path
        ``root/dataset.json``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_dataset_json(folder, {"seed": 7, "classes": {"AU12": [6, 12]}})
    ...     print(path.name, read_dataset_json(folder))
    dataset.json {'classes': {'AU12': [6, 12]}, 'seed': 7}
    """
    path = Path(root) / "dataset.json"
    atomic_write_text(path, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return path


def read_dataset_json(root: str | Path) -> dict[str, Any]:
    """Read ``dataset.json`` of ``root``.

    A missing file (in the output folder of ``evface run``, named as such, with its dataset:
    :func:`~evface.io.run_output.check_not_run_output`), text that is no JSON object (also a number
    of more than 4300 digits, which ``int()`` refuses, or lists nested past Python's stack) or
    ``classes`` that do not map names to lists of AU numbers are a ``DatasetError`` naming the file.

    Parameters
    ----------
    root : str or Path
        The dataset folder.

    Returns
    -------
    dict
        The JSON object of ``root/dataset.json``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "dataset.json").write_text('{"classes": {"AU12": ["12"]}}')
    ...     read_dataset_json(folder)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...dataset.json: 'classes' must map each class name to its list of AU numbers (e.g. {"AU4": [4], "AU1+2": [1, 2]}): not a dataset.json evface wrote
    """
    path = Path(root) / "dataset.json"
    if not path.exists():
        check_not_run_output(Path(root))  # was: "no dataset.json" (evface synth-merge of a run's folder)
        raise DatasetError(where(path, "no dataset.json: not an evface dataset folder"))
    try:
        info = json.loads(path.read_text(encoding="utf-8-sig"))  # a BOM: as Windows editors save it
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(where(path, f"not valid JSON ({exc})")) from exc
    except (ValueError, RecursionError):  # int() of more than 4300 digits; arrays nested past Python's stack
        raise DatasetError(where(path, "not a dataset.json evface wrote (a number of thousands of digits, or lists "
                                       "nested thousands deep)")) from None
    if not isinstance(info, dict):
        raise DatasetError(where(path, "expected a JSON object"))
    classes = info.get("classes", {})
    if not isinstance(classes, dict) or not all(
            isinstance(aus, list) and all(type(au) is int and au > 0 for au in aus) for aus in classes.values()):
        raise DatasetError(where(path, "'classes' must map each class name to its list of AU numbers "
                                       '(e.g. {"AU4": [4], "AU1+2": [1, 2]}): not a dataset.json evface wrote'))
    return info


def _check_rows(root: Path, rows: tuple[dict[str, Any], ...], info: dict[str, Any], lines: tuple[int, ...]) -> None:
    """Check each manifest row against the classes of ``dataset.json`` (when it lists them) and
    against its clip file's attributes; a DatasetError names the row's line (of ``lines``, the line
    each row starts on: :func:`~evface.io.manifest.read_manifest_lines`) and what disagrees.

    Examples
    --------
    >>> import tempfile
    >>> from evface.io.clip_schema import Clip
    >>> from evface.io.clip_writer import write_clip
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [6, 12], "lighting": "bright",
    ...        "file": "clips/c1.h5", "onset_us": 0, "apex_us": 1500, "offset_us": 3000, "duration_us": 4000}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = Path(folder)
    ...     _ = write_clip(root / "clips" / "c1.h5", Clip("c1", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000))
    ...     _check_rows(root, (row,), {"classes": {"AU12": [6, 12]}}, (2,))
    ...     _check_rows(root, (dict(row, apex_us=2000),), {}, (2,))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...manifest.csv: line 2: apex_us 2000 contradicts its clip clips/c1.h5 (apex_us 1500)
    """
    manifest = root / "manifest.csv"
    classes = info.get("classes")
    for line, row in zip(lines, rows, strict=True):
        if isinstance(classes, dict):
            if row["label"] not in classes:
                raise DatasetError(where(manifest, f"line {line}: label {row['label']!r} is not a class of this "
                                                   f"dataset ({', '.join(map(str, classes))}, in dataset.json)"))
            if list(classes[row["label"]]) != row["aus"]:
                raise DatasetError(where(manifest, f"line {line}: AUs {aus_to_str(row['aus'])!r} are not those of "
                                                   f"class {row['label']!r} ({aus_to_str(classes[row['label']])!r})"))
        try:
            meta = read_clip_meta(root / row["file"])
        except EvfaceError as exc:
            raise DatasetError(where(manifest, f"line {line}: {exc}")) from exc
        for key in _CLIP_FIELDS:
            ours, theirs = row[key], getattr(meta, key)
            if key == "aus":
                ours, theirs = aus_to_str(ours), aus_to_str(theirs)
            if ours != theirs:
                raise DatasetError(where(manifest, f"line {line}: {key} {ours!r} contradicts its clip "
                                                   f"{row['file']} ({key} {theirs!r})"))
        for sensor, (first, last) in indexed_event_times(root / row["file"]).items():
            if first < 0 or last > meta.duration_us:  # e.g. a camera's absolute times: every window would be empty
                raise DatasetError(where(manifest, f"line {line}: the {sensor} events of its clip {row['file']} lie "
                                                   f"at {first}..{last} µs, outside the clip's 0..{meta.duration_us} "
                                                   "µs; a dataset clip's events count from its start "
                                                   "(evface import session writes them so)"))


@dataclass(frozen=True)
class DatasetFolder:
    """A dataset folder opened for reading, every manifest row checked against its clip.

    Made by :meth:`open`, which reads and checks the folder; constructing one directly checks nothing.

    Parameters
    ----------
    root : Path
        The dataset folder.
    rows : tuple of dict
        The manifest's rows (:func:`~evface.io.manifest.read_manifest_lines`).
    info : dict
        ``dataset.json`` (:func:`read_dataset_json`).
    lines : tuple of int, optional
        The line of ``manifest.csv`` each row starts on; empty for a folder not read from a manifest.

    Examples
    --------
    >>> from evface.io.clip_schema import Clip
    >>> from evface.io.clip_writer import write_clip
    >>> from evface.io.manifest import write_manifest
    >>> _ = write_clip("data/clips/s000_c000.h5", Clip("s000_c000", "s000", "AU4", [4], "dim", 0, 100_000, 200_000, 300_000))
    >>> row = {"clip_id": "s000_c000", "subject": "s000", "label": "AU4", "aus": [4], "lighting": "dim",
    ...        "file": "clips/s000_c000.h5", "onset_us": 0, "apex_us": 100_000, "offset_us": 200_000,
    ...        "duration_us": 300_000, "source": "synth"}
    >>> _ = write_manifest("data", [row])
    >>> _ = write_dataset_json("data", {"seed": 0})
    >>> ds = DatasetFolder.open("data")
    >>> ds.clip_path(ds.rows[0]).as_posix(), ds.rows[0]["aus"], ds.labels
    ('data/clips/s000_c000.h5', [4], ['AU4'])
    """

    root: Path
    rows: tuple[dict[str, Any], ...]
    info: dict[str, Any]
    lines: tuple[int, ...] = ()
    """The line of ``manifest.csv`` each row starts on (a blank line or a cell holding a line break
    puts a row below its count); empty for a folder not read from a manifest."""

    @classmethod
    def open(cls, root: str | Path) -> DatasetFolder:
        """Read the folder and check it (:func:`~evface.io.manifest.read_manifest_lines`, :func:`_check_rows`).

        Parameters
        ----------
        root : str or Path
            The dataset folder.

        Returns
        -------
        DatasetFolder
            The folder, its rows in the manifest's order.

        Raises
        ------
        DatasetError
            A missing folder, manifest or ``dataset.json``, or a row that disagrees with its clip
            file or with the classes of ``dataset.json``.
        """
        root = Path(root)
        if not root.exists():  # a file: read_manifest says so
            raise DatasetError(where(root, "no such dataset folder"))
        rows, lines = read_manifest_lines(root)
        folder = cls(root=root, rows=tuple(rows), info=read_dataset_json(root), lines=tuple(lines))
        _check_rows(root, folder.rows, folder.info, folder.lines)
        return folder

    def clip_path(self, row: dict[str, Any]) -> Path:
        """Path of a manifest row's clip file: its ``file`` under :attr:`root`.

        Parameters
        ----------
        row : dict
            A row of :attr:`rows`.

        Returns
        -------
        Path
            ``root / row["file"]`` (relative when ``root`` is).
        """
        return self.root / row["file"]

    @property
    def labels(self) -> list[str]:
        """Sorted class labels present in the manifest."""
        return sorted({row["label"] for row in self.rows})

    @property
    def subjects(self) -> list[str]:
        """Sorted subject ids present in the manifest."""
        return sorted({row["subject"] for row in self.rows})
