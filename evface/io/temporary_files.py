"""Temporary files beside an output: each writer fills one of its own and renames it onto the output.

A temporary file is named ``NAME.HOST-PID-RANDOM.tmp`` and created exclusively
(:func:`temporary_beside`), so two writers of one output never share one; those that killed writers
of this machine left are found (:func:`temporaries_of`) and removed. Every writer of evface goes
through it: clip files, events files, videos and :func:`~evface.io.atomic_files.atomic_write`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import socket
from pathlib import Path


def temporary_beside(path: Path, keep_suffix: bool = False) -> Path:
    """A new empty file beside ``path`` for one writer to fill and rename onto ``path``.

    Named ``NAME.HOST-PID-RANDOM.tmp`` (``STEM.HOST-PID-RANDOM.tmp.EXT`` with ``keep_suffix``, for
    writers that take the format from the extension) and created exclusively, so two writers of one
    output never share a temporary file: the last to finish wins, whole. Those this machine's
    killed writers left for ``path`` (their process gone; files, or folders renamed aside) are
    removed first; a live writer's, or another machine's on shared storage, are left alone. The
    folder must exist.

    Examples
    --------
    >>> tmp = temporary_beside(Path("rec.raw"))
    >>> tmp.name.startswith("rec.raw.") and tmp.name.endswith(".tmp") and temporaries_of(Path("rec.raw")) == [tmp]
    True
    """
    for left in temporaries_of(path, keep_suffix):
        with contextlib.suppress(OSError):
            if _abandoned(left.name):
                _remove(left)
    while True:
        owner = f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
        tmp = path.with_name(f"{path.stem}.{owner}.tmp{path.suffix}" if keep_suffix else f"{path.name}.{owner}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


_HOST = re.sub(r"[^A-Za-z0-9]+", "-", socket.gethostname())[:40] or "host"
"""This machine's name as it stands in temporary file names (letters, digits and '-')."""

NAME_MAX = 255
"""The most bytes one name of a path holds (UTF-8) on Linux and macOS file systems (NTFS: 255 characters)."""

TEMPORARY_NAME_BYTES = len(".") + 40 + len("-") + 7 + len("-") + 8 + len(".tmp")
"""The most bytes :func:`temporary_beside` adds to a file's name (``.HOST-PID-RANDOM.tmp``: a host
name cut to 40 characters, a process id of up to 7 digits, 8 random hex digits), on any machine."""


def _remove(left: Path) -> None:
    """Remove the temporary file ``left``, or the folder of that name (an earlier dataset that a killed
    run had renamed aside: :func:`~evface.io.dataset_output.publish_partial`)."""
    if left.is_dir() and not left.is_symlink():
        shutil.rmtree(left)
    else:
        left.unlink()


def _abandoned(name: str) -> bool:
    """Whether the temporary file ``name`` (``….HOST-PID-RANDOM.tmp…``) is a writer's of this machine that is gone."""
    ours = re.search(rf"\.{re.escape(_HOST)}-(\d+)-[0-9a-f]{{8}}\.tmp", name)
    if ours is None:
        return False
    try:
        os.kill(int(ours[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def temporaries_of(path: Path, keep_suffix: bool = False) -> list[Path]:
    """The temporary files :func:`temporary_beside` made for ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "rec.csv"
    ...     before = temporaries_of(target)
    ...     made = temporary_beside(target, keep_suffix=True)
    ...     print(before, temporaries_of(target, keep_suffix=True) == [made], made.suffixes[-2:])
    [] True ['.tmp', '.csv']
    """
    pattern = f"{glob.escape(path.stem)}.*.tmp{glob.escape(path.suffix)}" if keep_suffix else f"{glob.escape(path.name)}.*.tmp"
    return sorted(path.parent.glob(pattern))


def make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those it created, deepest first, for
    :func:`remove_made_folders`. A file in the way raises ``NotADirectoryError`` when the writer
    creates its temporary file or a folder under it (``mkdir(exist_ok=True)`` said "File exists").

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     made = make_folders(Path(folder) / "a" / "b")
    ...     remove_made_folders(made)
    ...     print([p.name for p in made], list(Path(folder).iterdir()))
    ['b', 'a'] []
    """
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    if missing:
        missing[0].mkdir(parents=True, exist_ok=True)
    return missing


def remove_made_folders(folders: list[Path]) -> None:
    """Remove the folders :func:`make_folders` made, deepest first, those that are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
