"""The clips a run was trained on (``RUN/data-clips.json``): their manifest rows and their files'
sizes and sha256, so that an evaluation or a resume knows them wherever the dataset moved, and
tells them from the same rows rendered again with other event noise or settings.

- :func:`record_clips` writes the file, :func:`recorded_clips` / :func:`trained_clips` read it;
- :func:`seen_in_training`: which rows of a dataset are clips of the run's dataset;
- :func:`other_data` / :func:`is_training_data`: whether a dataset folder holds the very clips the
  run was trained on, and how it differs otherwise;
- :func:`prints_kept`: within it, each file is hashed once (``evface report``, which checks one
  folder for several runs and pairs).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from evface.errors import DatasetError, FormatError, where
from evface.io.manifest import CLIP_KEY_COLUMNS, read_manifest, row_key
from evface.tasks.run_folder import load_config, read_json, write_json

CLIPS = "data-clips.json"
"""The manifest rows of the dataset a run was trained on and its clip files' sizes and hashes
(:func:`record_clips`): how an evaluation knows the run's clips by their content, wherever the
dataset folder has moved."""

_KEPT: ContextVar[dict[tuple[int, ...], list[Any]] | None] = ContextVar("kept_file_prints", default=None)
"""The :func:`file_print` of each file hashed within :func:`prints_kept`, by its device, inode,
size and modification time (``None`` outside it: nothing kept)."""


@contextmanager
def prints_kept() -> Iterator[None]:
    """Within it, :func:`file_print` hashes each file once and then returns what it found, until
    the file's size or modification time changes (one ``evface report`` checks an evaluation's
    dataset folder for each run and each pair of runs: it was hashed up to five times).

    Examples
    --------
    >>> _ = Path("kept.h5").write_bytes(b"abc")
    >>> with prints_kept():
    ...     file_print("kept.h5") == file_print("kept.h5")
    True
    """
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def file_print(path: str | Path) -> list[Any]:
    """``[bytes, sha256]`` of a clip file: equal for the same clip written twice (a clip file's bytes
    are deterministic), different for the clip rendered again with other event noise or settings.
    An unreadable file is a :class:`DatasetError` naming it. Within :func:`prints_kept`, a file
    hashed before and not changed since is not read again.

    Parameters
    ----------
    path : str or Path
        The clip file.

    Returns
    -------
    list
        ``[bytes, sha256 hex digest]``.

    Examples
    --------
    >>> _ = Path("clip.h5").write_bytes(b"abc")
    >>> file_print("clip.h5")
    [3, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']
    """
    try:
        with open(path, "rb") as fh:
            stat, kept = os.fstat(fh.fileno()), _KEPT.get()
            key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if kept is not None and key in kept:
                return list(kept[key])
            found = [stat.st_size, hashlib.file_digest(fh, "sha256").hexdigest()]
            if kept is not None:
                kept[key] = found
            return list(found)
    except OSError as exc:
        raise DatasetError(where(Path(path), f"cannot be read ({exc.strerror or exc})")) from exc


def record_clips(run_dir: str | Path, data: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``RUN/data-clips.json``: the manifest rows of the run's dataset folder ``data`` (every
    subject's: training, validation and test), each as the text of its columns (:func:`row_key`),
    and beside each its clip file's :func:`file_print` (``files``, in the same order: for the full
    preset's 14 GB, some 8 s of hashing at 1.7 GB/s besides reading the files).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    data : str or Path
        The run's dataset folder.
    rows : list of dict
        Its manifest rows (:func:`~evface.io.manifest.read_manifest`).

    Returns
    -------
    Path
        ``RUN/data-clips.json``.

    Examples
    --------
    >>> from evface.io.manifest import read_manifest, write_manifest
    >>> from evface.tasks.run_folder import save_config
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [12], "lighting": "bright", "file": "c1.h5",
    ...        "onset_us": 0, "apex_us": 1000, "offset_us": 2000, "duration_us": 3000}
    >>> for folder in ("rc", "rc-run"):
    ...     Path(folder).mkdir()
    >>> _ = Path("rc/c1.h5").write_bytes(b"abc"); rows = read_manifest(write_manifest("rc", [row]).parent)
    >>> _ = save_config("rc-run", {"task": "classify", "data": "rc"}); _ = record_clips("rc-run", "rc", rows)
    >>> recorded_clips("rc-run")
    ([('c1', 's01', 'AU12', '12', 'bright', '0', '1000', '2000', '3000', '')], [[3, 'ba78...15ad']])
    >>> trained_clips("rc-run") == {row_key(rows[0])}
    True
    """
    ordered = sorted((row_key(r), r["file"]) for r in rows)
    return write_json(Path(run_dir) / CLIPS, {"columns": list(CLIP_KEY_COLUMNS),
                                              "clips": [list(key) for key, _ in ordered],
                                              "files": [file_print(Path(data) / file) for _, file in ordered]})


def recorded_clips(run_dir: str | Path) -> tuple[list[tuple[str, ...]], list[list[Any]] | None] | None:
    """The clips ``RUN/data-clips.json`` lists (as :func:`row_key` tuples, sorted) and their
    :func:`file_print` (``None`` for a run made before evface recorded them, 2026-12-05); ``None``
    for a run made before the file (2026-12-03). A malformed file is a :class:`FormatError`.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.

    Returns
    -------
    tuple of (list of tuple of str, list of list or None), or None
        :func:`record_clips` has an example.
    """
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
    before evface recorded them (2026-12-03). A malformed file is a :class:`FormatError`.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.

    Returns
    -------
    set of tuple of str, or None
        :func:`record_clips` has an example.
    """
    recorded = recorded_clips(run_dir)
    return None if recorded is None else set(recorded[0])


def seen_in_training(run_dir: str | Path, data: str | Path, rows: Sequence[dict[str, Any]]) -> list[bool]:
    """Which of ``rows`` (manifest rows of the dataset folder ``data``) are clips of the run's
    dataset by their manifest rows, whose subjects its models were split by: those whose row
    equals one in ``RUN/data-clips.json``, wherever ``data`` lies (a moved or copied dataset, the
    same rows rendered again with other event noise, a dataset merged into a
    larger one). For a run made before that file, every row when ``data`` is the folder the run
    was trained on, else none.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    data : str or Path
        A dataset folder.
    rows : sequence of dict
        Manifest rows of ``data``.

    Returns
    -------
    list of bool
        One per row.

    Examples
    --------
    >>> from evface.io.manifest import read_manifest, write_manifest
    >>> from evface.tasks.run_folder import save_config
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [12], "lighting": "bright", "file": "c1.h5",
    ...        "onset_us": 0, "apex_us": 1000, "offset_us": 2000, "duration_us": 3000}
    >>> for folder in ("st", "st-run"):
    ...     Path(folder).mkdir()
    >>> _ = Path("st/c1.h5").write_bytes(b"abc"); rows = read_manifest(write_manifest("st", [row]).parent)
    >>> _ = save_config("st-run", {"task": "classify", "data": "st"}); _ = record_clips("st-run", "st", rows)
    >>> seen_in_training("st-run", "elsewhere", rows + [dict(rows[0], clip_id="c2")])
    [True, False]
    """
    recorded = trained_clips(run_dir)
    if recorded is None:
        return [_trained_on_folder(run_dir, data)] * len(rows)
    return [row_key(r) in recorded for r in rows]


def other_data(run_dir: str | Path, data: str | Path, hashed: bool = True) -> str | None:
    """How the dataset folder ``data`` differs from the one the run was trained on, in words; ``None``
    when it holds the very clips (wherever it lies: a moved or copied dataset).

    The same manifest rows (``RUN/data-clips.json``) are checked first; then each clip file's size
    (cheap: other event noise differs here) and, when every size agrees and ``hashed``, its
    sha256 (:func:`file_print`). A run made before the files were recorded knows its dataset by
    the folder's path only (``config.json``'s ``data``).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    data : str or Path
        A dataset folder.
    hashed : bool, optional
        Whether to compare the files' sha256 too (reading every clip), or their sizes only (the
        steps of a prepared run: :func:`~evface.tasks.run_resume.check_step`).

    Returns
    -------
    str or None

    Examples
    --------
    >>> from evface.io.manifest import read_manifest, write_manifest
    >>> from evface.tasks.run_folder import save_config
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [12], "lighting": "bright", "file": "c1.h5",
    ...        "onset_us": 0, "apex_us": 1000, "offset_us": 2000, "duration_us": 3000}
    >>> for folder in ("od", "od-run"):
    ...     Path(folder).mkdir()
    >>> _ = Path("od/c1.h5").write_bytes(b"abc"); rows = read_manifest(write_manifest("od", [row]).parent)
    >>> _ = save_config("od-run", {"task": "classify", "data": "od"}); _ = record_clips("od-run", "od", rows)
    >>> other_data("od-run", "od") is None
    True
    >>> _ = Path("od/c1.h5").write_bytes(b"abd")  # the clip rendered again
    >>> other_data("od-run", "od")
    'its clips have the manifest rows of the training data but other files (e.g. od/c1.h5: rendered again, with other event noise or settings)'
    """
    recorded = recorded_clips(run_dir)
    if recorded is not None:
        keys, prints = recorded
        rows = {row_key(r): r["file"] for r in read_manifest(data)}
        if set(rows) != set(keys):
            return "its manifest rows are not those the run was trained on"
        if prints is not None:
            paths = [Path(data) / rows[key] for key in keys]
            changed = next((p for p, (size, _) in zip(paths, prints, strict=True) if _size(p) != size), None)
            if hashed:
                changed = changed or next((p for p, (_, digest) in zip(paths, prints, strict=True)
                                           if file_print(p)[1] != digest), None)
            return None if changed is None else (
                f"its clips have the manifest rows of the training data but other files (e.g. {changed}: rendered "
                "again, with other event noise or settings)")
    if not _trained_on_folder(run_dir, data):
        return (f"it is not the folder the run was trained on ({load_config(run_dir)['data']}; the run is older than "
                "the record of its clip files)")
    return None


def is_training_data(run_dir: str | Path, data: str | Path) -> bool:
    """Whether the dataset folder ``data`` holds the very clips the run was trained on: every row
    and no other, each file as it was (:func:`other_data`).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    data : str or Path
        A dataset folder.

    Returns
    -------
    bool
    """
    return other_data(run_dir, data) is None


def _size(path: Path) -> int:
    """The size of a clip file, a :class:`DatasetError` naming it when it cannot be read."""
    try:
        return path.stat().st_size
    except OSError as exc:
        raise DatasetError(where(path, f"cannot be read ({exc.strerror or exc})")) from exc


def _trained_on_folder(run_dir: str | Path, data: str | Path) -> bool:
    """Whether ``data`` is the folder the run was trained on (how runs made before ``data-clips.json`` know it)."""
    return Path(data).resolve() == Path(load_config(run_dir)["data"]).resolve()
