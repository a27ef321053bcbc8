"""numba's cache of evface's compiled kernels, kept where it can be written.

numba keeps a kernel compiled with ``cache=True`` beside its source (``__pycache__``), else in the
user's cache folder (``~/.cache/numba``), else in ``NUMBA_CACHE_DIR``. Where none can be written
(evface installed read-only, system-wide or in a container image run as another user whose home is
not writable) it refused to make the kernel, and importing evface failed: every command an internal
``RuntimeError: cannot cache function ... no locator available``; so too where ``NUMBA_CACHE_DIR``
named a folder that cannot be written (a file, a volume not mounted): numba passes over it.
:func:`cached_jit` then keeps the cache in a folder of this user's own under the system's temporary
folder (:func:`private_folder`). matplotlib's font cache is kept there too where its own folders
cannot be written (:func:`evface.commands.environment.settle_matplotlib`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from evface.errors import ParameterError

F = TypeVar("F", bound=Callable[..., Any])

NO_PLACE = "no locator available"
"""What numba's error says where it found no folder to keep a kernel's cache in."""


def cached_jit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(cache=True, **options)``, its cache kept in :func:`private_folder` where numba
    finds no folder it can write (``NUMBA_CACHE_DIR`` included, where it is set). The function must lie in a
    source file, as numba's ``cache=True`` asks (not one typed at a prompt or in a doctest)."""

    import numba  # lazy: the command line reads this module (private_folder) before numba's threads are settled
    from numba.core import config  # lazy: as numba (commands/environment.threads_within_quota)

    def decorate(function: F) -> F:
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError as exc:
            if NO_PLACE not in str(exc):
                raise
            config.CACHE_DIR = private_folder()  # type: ignore[attr-defined]  # numba sets its config names at run time
            return numba.njit(cache=True, **options)(function)

    return decorate


def private_folder(library: str = "numba") -> str:
    """``evface-LIBRARY-UID`` in the system's temporary folder, made readable by this user only; a
    folder of that name that another user made, or that others may write into, is not used (numba's
    cache holds pickles, which run code when loaded), and a new private folder is made instead,
    removed at exit. Where no temporary folder can be written at all, a :class:`ParameterError`
    naming those tried and ``TMPDIR`` (was: ``[Errno 2] No usable temporary directory found in
    [...]``, which named no variable to set).

    Examples
    --------
    >>> folder = Path(private_folder())
    >>> folder.is_dir(), oct(folder.stat().st_mode & 0o777)
    (True, '0o700')
    """
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(_temporary_folder()) / f"evface-{library}-{uid}"
    if uid is not None:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
        except OSError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077:
            return str(folder)
    made = tempfile.mkdtemp(prefix=f"evface-{library}-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made


def _temporary_folder() -> str:
    """The system's temporary folder (:func:`tempfile.gettempdir`: ``TMPDIR``, ``TEMP``, ``TMP``,
    ``/tmp``, ``/var/tmp``, ``/usr/tmp``, the working folder, the first this user can write), or a
    :class:`ParameterError` naming those tried where none can be written."""
    try:
        return tempfile.gettempdir()
    except FileNotFoundError as exc:  # what gettempdir raises where it found none
        named = {os.environ[name]: f"{name}={os.environ[name]}" for name in ("TMP", "TEMP", "TMPDIR")
                 if os.environ.get(name)}
        candidates = getattr(tempfile, "_candidate_tempdir_list", lambda: list(named))  # private, in 3.11-3.14
        tried = ", ".join(named.get(folder, folder) for folder in candidates())
        raise ParameterError(f"no temporary folder can be written (tried {tried}); set TMPDIR to a folder this "
                             "user can write") from exc
