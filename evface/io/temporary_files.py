"""Temporary files beside an output: each writer fills one of its own and renames it onto the output.

A temporary file is named ``NAME.HOST-PID-RANDOM.tmp`` and created exclusively
(:func:`temporary_beside`), so two writers of one output never share one; those that killed writers
of this machine left are found (:func:`temporaries_of`) and removed. Every writer of evface goes
through it: clip files, events files, videos and :func:`~evface.io.atomic_files.atomic_write`.
Where ``NAME`` and that suffix would pass the :data:`NAME_MAX` bytes of a file name, ``NAME`` stands
in it shortened (:func:`fitting_base`: its first bytes, ``~`` and a hash of the whole name), so that an
output of any name a file system takes can be written (was: a name of 194 to 255 bytes refused, "File
name too long").
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import itertools
import os
import re
import secrets
import shutil
import socket
from pathlib import Path


def temporary_beside(path: Path, keep_suffix: bool = False) -> Path:
    """A new empty file beside ``path`` for one writer to fill and rename onto ``path``.

    Named ``NAME.HOST-PID-RANDOM.tmp`` (``STEM.HOST-PID-RANDOM.tmp.EXT`` with ``keep_suffix``, for
    writers that take the format from the extension; ``NAME`` or ``STEM`` shortened by
    :func:`fitting_base` where the name would be too long) and created exclusively, so two writers of one
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
    base, suffix = _base(path, keep_suffix)
    while True:
        tmp = path.with_name(f"{base}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp{suffix}")
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

KEPT_SUFFIX_BYTES = 16
"""The room :func:`temporary_beside` leaves, with ``keep_suffix``, for the extension kept after
``.tmp`` or an ending a writer puts in its place (``STEM.HOST-PID-RANDOM.tmp.frames.csv``, the frame
times of a pending video: :func:`~evface.sim.video_write.frame_times_path`)."""


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


def output_of(temporary: str | os.PathLike[str]) -> Path | None:
    """The output that ``temporary``, a temporary file this process named by :func:`temporary_beside`,
    stands for (``NAME`` of ``NAME.HOST-PID-RANDOM.tmp``, ``STEM.EXT`` of ``STEM.HOST-PID-RANDOM.tmp.EXT``),
    for an error that names the temporary file to name the output instead; None for any other name,
    and for one whose ``NAME`` was shortened (:func:`fitting_base`: not to be undone).

    Examples
    --------
    >>> output_of(temporary_beside(Path("rec.csv"), keep_suffix=True)), output_of(temporary_beside(Path("a.nir")))
    (PosixPath('rec.csv'), PosixPath('a.nir'))
    >>> output_of("rec.csv") is None
    True
    """
    path = Path(temporary)
    mine = re.fullmatch(rf"(.+)\.{re.escape(_HOST)}-{os.getpid()}-[0-9a-f]{{8}}\.tmp(\.[^.]*)?", path.name)
    if mine is None or re.search(r"~[0-9a-f]{8}$", mine[1]):
        return None
    return path.with_name(mine[1] + (mine[2] or ""))


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
    base, suffix = _base(path, keep_suffix)
    return sorted(path.parent.glob(f"{glob.escape(base)}.*.tmp{glob.escape(suffix)}"))


def _base(path: Path, keep_suffix: bool) -> tuple[str, str]:
    """What a temporary name of ``path`` starts with and ends with, after ``.HOST-PID-RANDOM.tmp``:
    ``(NAME, "")``, or ``(STEM, EXT)`` with ``keep_suffix``, the first shortened where it must be
    (:func:`fitting_base`; with ``keep_suffix`` leaving :data:`KEPT_SUFFIX_BYTES` or the extension's
    length, the longer)."""
    if keep_suffix:
        room = TEMPORARY_NAME_BYTES + max(KEPT_SUFFIX_BYTES, _size(path.suffix))
        return fitting_base(path.stem, room), path.suffix
    return fitting_base(path.name, TEMPORARY_NAME_BYTES), ""


def fitting_base(name: str, room: int) -> str:
    """``name`` where ``room`` more bytes after it still make a file name a file system takes
    (:data:`NAME_MAX` bytes), else a shortening of it that leaves that room: its first bytes (cut
    before a character, not within one), ``~`` and 8 hex digits of a hash of the whole ``name``.

    The same ``name`` is always shortened the same way (so that the leftovers of a killed writer
    of one output are found by the next), and two names that differ only past the bytes kept are
    told apart by the hash.

    Examples
    --------
    >>> fitting_base("rec.raw", 62)
    'rec.raw'
    >>> short = fitting_base("é" * 120 + ".h5", 62)
    >>> len(short.encode()), short[-10:-9], short[-9]
    (193, 'é', '~')
    >>> fitting_base("a" * 200 + "1", 62) != fitting_base("a" * 200 + "2", 62)
    True
    """
    if _size(name) + room <= NAME_MAX:
        return name
    mark = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    most = NAME_MAX - room - len(mark)
    end = sum(1 for kept in itertools.accumulate(_size(char) for char in name) if kept <= most)
    return name[:end] + mark


def _size(name: str) -> int:
    """The bytes ``name`` takes on the file system (UTF-8; a byte that is not UTF-8 one, as Python
    reads such a name)."""
    return len(os.fsencode(name))


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
