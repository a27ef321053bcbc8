"""Every file evface writes, written whole or not at all (:func:`atomic_write`), and read back as text.

A writer fills a temporary file of its own beside the output
(:func:`~evface.io.temporary_files.temporary_beside`) and renames it onto the output when it is
complete, so a failed or killed write leaves the older file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from evface.errors import FormatError, where
from evface.io.temporary_files import temporary_beside


def read_text(path: Path) -> str:
    """The text of a file evface writes (UTF-8); other bytes are a :class:`FormatError` naming it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "ok.txt").write_text("12 µs", encoding="utf-8")
    ...     read_text(Path(folder) / "ok.txt")
    '12 µs'
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "image.bin").write_bytes(bytes([0xFF, 0xD8]))
    ...     read_text(Path(folder) / "image.bin")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: ...image.bin: not text ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte): not a file evface wrote
    """
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(where(path, f"not text ({exc}): not a file evface wrote")) from exc


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` to a temporary file of its own beside ``path`` (``NAME.HOST-PID-RANDOM.tmp``,
    :func:`~evface.io.temporary_files.temporary_beside`), then rename it to ``path``; on any error (a full disk
    included) the temporary file is removed and ``path`` is left as it was.

    Every file evface writes goes through this, or through a writer of its own that keeps the
    same promise (``io.clip_writer.write_clip``, ``io.event_writer``'s writer, ``sim.video.write_video``).

    Examples
    --------
    A write that fails leaves the older file as it was and no temporary file behind:

    >>> import tempfile
    >>> def fails(tmp):
    ...     tmp.write_text("half")
    ...     raise OSError("disk full")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write(Path(folder) / "notes.txt", lambda tmp: tmp.write_text("whole"))
    ...     try:
    ...         atomic_write(path, fails)
    ...     except OSError as exc:
    ...         print(exc, path.read_text(), [p.name for p in Path(folder).iterdir()])
    disk full whole ['notes.txt']
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) atomically (:func:`atomic_write`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_text(Path(folder) / "sub" / "a.txt", "12 µs")
    ...     print((Path(folder) / "sub" / "a.txt").read_bytes())
    b'12 \xc2\xb5s'
    """
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_bytes(Path(folder) / "a.bin", bytes([1, 2, 3]))
    ...     print(list((Path(folder) / "a.bin").read_bytes()))
    [1, 2, 3]
    """
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
