"""Every file evface writes, written whole or not at all (:func:`atomic_write`), and read back as text.

A writer fills a temporary file of its own beside the output
(:func:`~evface.io.temporary_files.temporary_beside`) and renames it onto the output when it is
complete, so a failed or killed write leaves the older file as it was. A writer told not to
replace (:func:`publish` with ``replace=False``) puts its file in place only if none with something in
it is there when it is complete: a command's check before its work that it replaces nothing (``--force``
not given) also holds against a file made meanwhile (another program, a second command of one name).
Two names are swapped in one step where the system can (:func:`exchange`): a folder replaced whole
is never missing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from evface.errors import FormatError, where
from evface.io.temporary_files import make_folders, remove_made_folders, temporary_beside


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


def publish(tmp: Path, path: Path, replace: bool = True) -> None:
    """Rename the finished temporary file ``tmp`` onto ``path``; with ``replace`` False, only if no file
    with something in it (or a link, folder, device...) is at ``path`` then: a :class:`FileExistsError`
    naming ``path`` otherwise, ``tmp`` left for the caller to remove. An empty file holds nothing to
    lose (a name made by ``mktemp``) and is replaced.

    Without replacing, ``tmp`` is hard-linked to ``path``, which the system refuses atomically where
    anything is there, and then removed; on a file system without hard links (FAT, some network
    mounts) ``path`` is looked at just before the rename instead.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     tmp, path = Path(folder) / "new.tmp", Path(folder) / "out.txt"
    ...     _ = tmp.write_text("mine"), path.write_text("a newcomer's")
    ...     try:
    ...         publish(tmp, path, replace=False)
    ...     except FileExistsError as exc:
    ...         print(Path(exc.filename).name, path.read_text())
    ...     publish(tmp, path)
    ...     print(path.read_text(), tmp.exists())
    out.txt a newcomer's
    mine False
    """
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path, follow_symlinks=False)
    except OSError as exc:
        if not (exc.errno == errno.EEXIST or exc.errno in _NO_HARD_LINKS):
            raise
        if os.path.lexists(path) and not _empty_file(path):  # the error names path, not tmp as link's does
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}
"""What ``link`` answers on a file system that offers no hard links (or no more of them)."""


def _empty_file(path: Path) -> bool:
    """Whether ``path`` itself (not a link's target) is an empty regular file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == 0


def atomic_write(path: Path, write: Callable[[Path], object], replace: bool = True) -> Path:
    """``write(tmp)`` to a temporary file of its own beside ``path`` (``NAME.HOST-PID-RANDOM.tmp``,
    :func:`~evface.io.temporary_files.temporary_beside`), then rename it to ``path`` (:func:`publish`:
    with ``replace`` False a :class:`FileExistsError` where a file with something in it is there by
    then); on any error (a full disk included) the temporary file and the folders made for ``path``
    are removed and ``path`` is left as it was.

    Every file evface writes goes through this, or through a writer of its own that keeps the
    same promise (``io.clip_writer.write_clip``, ``io.event_writer``'s writer, ``sim.video_write.write_video``).

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
    made = make_folders(path.parent)
    try:
        tmp = temporary_beside(path)
    except BaseException:
        remove_made_folders(made)
        raise
    try:
        write(tmp)
        publish(tmp, path, replace)
    except BaseException:
        tmp.unlink(missing_ok=True)
        remove_made_folders(made)
        raise
    return path


def atomic_write_text(path: Path, text: str, replace: bool = True) -> None:
    """Write ``text`` to ``path`` (UTF-8) atomically (:func:`atomic_write`, ``replace`` as there).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_text(Path(folder) / "sub" / "a.txt", "12 µs")
    ...     print((Path(folder) / "sub" / "a.txt").read_bytes())
    b'12 \xc2\xb5s'
    """
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), replace)


def atomic_write_bytes(path: Path, data: bytes, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write`, ``replace`` as there).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_bytes(Path(folder) / "a.bin", bytes([1, 2, 3]))
    ...     print(list((Path(folder) / "a.bin").read_bytes()))
    [1, 2, 3]
    """
    atomic_write(path, lambda tmp: tmp.write_bytes(data), replace)


def exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` (two files or folders, both there) in one atomic step:
    ``renameat2`` with ``RENAME_EXCHANGE`` (Linux 3.15, glibc 2.28), so that each name always
    names one whole thing, before or after. False, nothing moved, where the call is missing (not
    Linux, an older C library) or refused (``ENOSYS``, ``EINVAL``: a file system without it, some
    network file systems): the caller renames in two steps instead. Any other error is raised
    as an :class:`OSError` naming both.

    Examples
    --------
    On Linux, on a local file system:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     a, b = Path(folder) / "a", Path(folder) / "b"
    ...     _ = a.write_text("first"), b.mkdir()
    ...     print(exchange(a, b), a.is_dir(), b.read_text())
    True True first
    """
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code), os.fspath(a), None, os.fspath(b))


def _renameat2() -> Callable[..., int] | None:
    """The C library's ``renameat2`` (``errno`` kept for :func:`ctypes.get_errno`), or None where it has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no C library to load, or one without the call (glibc < 2.28)
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


_RENAMEAT2 = _renameat2()
"""``renameat2`` for :func:`exchange`, or None."""
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
"""``renameat2``'s "relative to the working folder" and "swap the two names" (``linux/fcntl.h``)."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM,
                *(getattr(signal, name) for name in ("SIGHUP", "SIGXCPU") if hasattr(signal, name)))
"""The signals that stop an evface command with its clean-up: Ctrl-C, SIGTERM, and where the system
has them SIGHUP (the terminal gone: an ssh connection dropped, its window closed) and SIGXCPU (a soft
CPU-time limit reached); the steps that must not be cut hold them back."""


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM, SIGHUP and SIGXCPU (:data:`STOP_SIGNALS`) while the block runs (a few
    renames that must all happen, or none): one that comes meanwhile is raised again as the block ends, to the handler there before. The
    handlers are swapped, not the signal mask: a signal to the process reaches any of its threads
    (numba's, torch's), whose Python handler then runs in the main thread all the same. Only the
    main thread sets handlers; elsewhere the block runs as it is.

    Examples
    --------
    >>> taken = []
    >>> previous = signal.signal(signal.SIGTERM, lambda *_: taken.append("SIGTERM"))
    >>> with uninterrupted():
    ...     os.kill(os.getpid(), signal.SIGTERM)
    ...     print("in the block:", taken)
    in the block: []
    >>> print("after it:", taken); _ = signal.signal(signal.SIGTERM, previous)
    after it: ['SIGTERM']
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken: list[int] = []
    held = {number: signal.signal(number, lambda number, frame: taken.append(number))
            for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(taken):
            signal.raise_signal(number)
