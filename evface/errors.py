"""The one exception family of evface, its warning, and the words its messages share.

Every error a user can cause (bad file, bad field, bad parameter) is an :class:`EvfaceError`
whose message names the file or field and what was expected. The CLI prints these without a
traceback; anything else is a bug. What the library warns of is an :class:`EvfaceWarning`.
:func:`where` names a message's file (:func:`printable`: a control character in it escaped),
:func:`counted` a number of things, in an error or in what a command prints, :func:`choose_from`
the values a parameter or option takes, and :func:`train_again` the advice to train a run again
in a new output folder.
"""

from __future__ import annotations

import errno
import numbers
import os
import re
import resource
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path


class EvfaceError(Exception):
    """Base class of all errors raised on bad input."""


class FormatError(EvfaceError):
    """A file is missing, unreadable, truncated, corrupt or of an unknown format."""


class EventsError(EvfaceError):
    """An events array breaks the data model (dtype, order, polarity, coordinates)."""


class ParameterError(EvfaceError):
    """A parameter is out of range or inconsistent with another."""


class DatasetError(EvfaceError):
    """A dataset folder, manifest or annotation table is inconsistent."""


class FaceNotFoundError(EvfaceError):
    """No face was found in a photo given as an identity."""


class EvfaceWarning(UserWarning):
    """A result made as asked, which its reader should know more about (a run of a newer evface read
    by this one): :func:`warnings.warn` in the library, one ``warning:`` line in the CLI
    (:func:`evface.commands.terminal.warnings_shown`)."""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with each control character (a line break, a terminal's escape, ``\\x00``-``\\x1f``,
    ``\\x7f``-``\\x9f``, the Unicode line and paragraph separators) written as Python writes it in a
    string (``\\n``, ``\\x1b``): a file name holding one stays on the one line of the message that
    names it, and cannot drive the terminal. Other characters are kept as they are.

    Examples
    --------
    >>> print(printable("a\\nb.raw"), printable("\\x1b[2Jtake 1 café.raw"))
    a\\nb.raw \\x1b[2Jtake 1 café.raw
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def where(path: str | Path | None, message: str) -> str:
    """Prefix ``message`` with the file it concerns, when there is one, its control characters
    escaped (:func:`printable`).

    Examples
    --------
    >>> where("a.raw", "truncated")
    'a.raw: truncated'
    >>> where(None, "truncated")
    'truncated'
    >>> print(where("a\\nb.raw", "truncated"))
    a\\nb.raw: truncated
    """
    return f"{printable(str(path))}: {message}" if path else message


def counted(n: float, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number that ``n`` takes (``plural``: default ``noun + "s"``), a
    whole number thousands separated, any other in its shortest form.

    Examples
    --------
    >>> counted(1, "clip"), counted(0, "clip"), counted(1344, "clip"), counted(2, "class", "classes")
    ('1 clip', '0 clips', '1,344 clips', '2 classes')
    >>> counted(1.0, "CPU"), counted(0.5, "GPU")
    ('1 CPU', '0.5 GPUs')
    >>> import numpy as np
    >>> counted(np.int64(12000), "event")
    '12,000 events'
    """
    number = f"{int(n):,}" if isinstance(n, numbers.Integral) else f"{n:g}"
    return f"{number} {noun if n == 1 else plural or noun + 's'}"


def choose_from(allowed: Iterable[object]) -> str:
    """How a message lists the values a parameter or option takes, as words (was, in many messages,
    a Python list or tuple: "choose from ['full', 'paper', 'quick', 'tiny']", "must be one of ('hd', 'lr')").

    Examples
    --------
    >>> choose_from(("clean", "typical", "noisy"))
    'choose from clean, typical, noisy'
    """
    return "choose from " + ", ".join(map(str, allowed))


def train_again(change: str = "") -> str:
    """The advice to train a run again in a new ``--out`` folder, with what to ``change`` (a lower
    ``--learning-rate``) or why a new folder: one wording in every message that gives it (was also
    "train the run again into a new --out with ..." and "try ..., in a new --out folder"). A run
    trained again in its own folder skips every model and part it finished, so the advice names a
    new one.

    Examples
    --------
    >>> train_again("with a lower --learning-rate")
    'train the run again in a new --out folder with a lower --learning-rate'
    >>> train_again()
    'train the run again in a new --out folder'
    """
    return "train the run again in a new --out folder" + (f" {change}" if change else "")


_MEMORY_WORDS = ("failed to map segment", "cannot allocate memory", "not enough memory", "can't allocate memory")
_THREAD_WORDS = ("can't start new thread", "resource temporarily unavailable")


def limit_reached(exc: BaseException, options: Collection[str] = ()) -> str | None:
    """One line for an error that is this process reaching a limit of its machine or its job, not a
    fault of evface's: memory (a :class:`MemoryError`, or a library that failed to load or allocate
    for want of it), open files (``EMFILE``, ``ENFILE``), processes and threads (``EAGAIN``, "can't
    start new thread"); ``None`` for any other error, and for an :class:`EvfaceError`, which says
    what happened itself (a folder locked by another command: raised while handling a
    ``BlockingIOError``, ``EAGAIN``). The line names the limit, its value (``ulimit``) and what to
    change: raising it, or, of the command's ``options``, the one that asks for less
    (``--batch-size``, ``--jobs``, ``--workers``). The error's causes are looked at too (a library's
    error raised from a :class:`MemoryError`).

    Examples
    --------
    >>> limit_reached(OSError(errno.EMFILE, "Too many open files"), {"--jobs", "--out"})  # doctest: +ELLIPSIS
    'too many open files: this process may open ... (ulimit -n ...); raise the limit, or give a smaller --jobs'
    >>> limit_reached(ValueError("bad value")) is None
    True
    """
    if isinstance(exc, EvfaceError):
        return None
    for error in _chain(exc):
        if _out_of_memory(error):
            return _advice(f"out of memory: {_memory_limit()}", options, ("--batch-size",))
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            return _advice(where(error.filename, f"too many open files: this process may open {limit} "
                                                 f"(ulimit -n {limit})"), options, ("--jobs", "--workers"))
        if _no_new_task(error):
            return _advice(f"cannot start another thread or process: {_task_limit()}", options,
                           ("--jobs", "--workers"))
    return None


def _chain(exc: BaseException | None) -> Iterable[BaseException]:
    """``exc`` and the errors it was raised from or while handling, the first first."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` says that memory ran out (a library's own words for it included); not so for
    a NumPy array larger than this machine's memory ("Unable to allocate 16.0 TiB"), which no limit
    stopped: a value evface should have refused, a bug."""
    if isinstance(error, MemoryError) and getattr(error, "_total_size", 0) > _machine_memory():
        return False
    if isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno == errno.ENOMEM):
        return True
    return isinstance(error, (ImportError, OSError, RuntimeError)) and any(
        words in str(error).lower() for words in _MEMORY_WORDS)


def _machine_memory() -> int:
    """The bytes of memory this machine has (``sysconf``; none known: no bound)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 2**63


def _no_new_task(error: BaseException) -> bool:
    """Whether ``error`` says that no thread or process could be started (``fork``, ``pthread_create``)."""
    if isinstance(error, OSError):
        return error.errno == errno.EAGAIN and resource.getrlimit(resource.RLIMIT_NPROC)[0] != resource.RLIM_INFINITY
    return isinstance(error, RuntimeError) and any(words in str(error).lower() for words in _THREAD_WORDS)


def _memory_limit() -> str:
    """The address-space limit of this process, in words, or that it has none."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return "no address-space limit is set (ulimit -v unlimited), so the machine's or the job's memory is used up"
    return f"this process may use {limit / 2**20:,.0f} MiB of address space (ulimit -v {limit // 1024})"


def _task_limit() -> str:
    """The limit of processes and threads of this user, in words."""
    limit = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    if limit == resource.RLIM_INFINITY:
        return "the machine refused a new one (ulimit -u unlimited)"
    return f"this user may run {limit} processes and threads (ulimit -u {limit})"


def _advice(problem: str, options: Collection[str], smaller: Sequence[str]) -> str:
    """``problem`` and what to change: raise the limit, or the first of ``smaller`` among ``options``."""
    option = next((name for name in smaller if name in options), None)
    return f"{problem}; raise the limit" + (f", or give a smaller {option}" if option else "")
