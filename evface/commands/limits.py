"""The one line for an error that is a limit of the machine or the job reached (memory, open files,
processes and threads: ``ulimit``, a scheduler's memory cap), not a fault of evface's: it names the
limit, its value and what to change (:func:`limit_reached`; :func:`cpu_time_reached` for the
CPU-time limit, which stops a command by a signal), and memory kept back so that the line can be
made when the command used up the rest (:func:`memory_kept_for_the_error`).
"""

from __future__ import annotations

import errno
import mmap
import os
import resource
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager

from evface.errors import EvfaceError, where


_MEMORY_WORDS = ("failed to map segment", "cannot allocate memory", "not enough memory", "can't allocate memory")
_THREAD_WORDS = ("can't start new thread", "resource temporarily unavailable")
_NATIVE_WORDS = ("could not create a primitive",)  # oneDNN's, for torch's convolutions, whatever failed
_MEMORY_LIMITS = ((resource.RLIMIT_AS, "address space", "-v"), (resource.RLIMIT_DATA, "data", "-d"))
_KEPT_BACK = 8 * 2**20  # bytes of address space for the error line: making and printing it took 64-256 KiB


def limit_reached(exc: BaseException, options: Collection[str] = ()) -> str | None:
    """One line for an error that is this process reaching a limit of its machine or its job, not a
    fault of evface's: memory (a :class:`MemoryError`, or a library that failed to load or allocate
    for want of it), open files (``EMFILE``, ``ENFILE``), processes and threads (``EAGAIN``, "can't
    start new thread"); ``None`` for any other error, and for an :class:`EvfaceError`, which says
    what happened itself (a folder locked by another command: raised while handling a
    ``BlockingIOError``, ``EAGAIN``). Under a memory limit (``ulimit -v`` or ``-d``), a failure of
    native code that named no cause (a :class:`SystemError`: "error return without exception
    set", as CPython's import machinery and libraries return when an allocation fails; oneDNN's
    "could not create a primitive") is probably memory running out: so named, with the error;
    without a limit it stays a bug. The line names the limit, its value (``ulimit``) and what to
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
    failed = next((error for error in _chain(exc) if _native_failure(error)), None)
    if failed is not None and _memory_limited():
        return _advice(f"probably out of memory ({type(failed).__name__}: {failed}, from native code under a "
                       f"memory limit): {_memory_limit()}", options, ("--batch-size",))
    return None


def cpu_time_reached() -> str:
    """What to say when the soft CPU-time limit stopped a command (SIGXCPU, ``ulimit -St``), with
    the CPU time this process spent (the kernel moves the soft limit on by a second as it signals,
    so the limit read afterwards is not the one set).

    Examples
    --------
    >>> cpu_time_reached()  # doctest: +ELLIPSIS
    'the CPU-time limit (ulimit -t) was reached after ... s of CPU time; raise it and run the command again'
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    return (f"the CPU-time limit (ulimit -t) was reached after {used.ru_utime + used.ru_stime:.0f} s of CPU time; "
            "raise it and run the command again")


@contextmanager
def memory_kept_for_the_error() -> Iterator[None]:
    """Inside the block, 8 MiB of address space are held back (a private mapping never written, so
    no memory is used), and given back as the block ends, so that the error line of a command that
    used up its memory limit (``ulimit -v``, ``-d``) can still be made and printed; nothing is held
    where not even that much is left.

    Examples
    --------
    >>> with memory_kept_for_the_error():
    ...     pass
    """
    try:
        kept = mmap.mmap(-1, _KEPT_BACK, flags=mmap.MAP_PRIVATE)
    except OSError:  # ENOMEM: the limit is that close already
        kept = None
    try:
        yield
    finally:
        if kept is not None:
            kept.close()


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


def _native_failure(error: BaseException) -> bool:
    """Whether ``error`` is native code failing without naming why: what it returns when an
    allocation fails, and, without a memory limit, a bug."""
    return isinstance(error, SystemError) or (
        isinstance(error, RuntimeError) and any(words in str(error).lower() for words in _NATIVE_WORDS))


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


def _memory_limited() -> bool:
    """Whether this process runs under a limit of its memory (``ulimit -v`` or ``-d``)."""
    return any(resource.getrlimit(kind)[0] != resource.RLIM_INFINITY for kind, _, _ in _MEMORY_LIMITS)


def _memory_limit() -> str:
    """The memory limit of this process, in words (the smaller of address space and data, where
    both are set), or that it has none."""
    limits = [(resource.getrlimit(kind)[0], words, flag) for kind, words, flag in _MEMORY_LIMITS]
    limits = [limit for limit in limits if limit[0] != resource.RLIM_INFINITY]
    if not limits:
        return "no address-space limit is set (ulimit -v unlimited), so the machine's or the job's memory is used up"
    limit, words, flag = min(limits)
    return f"this process may use {limit / 2**20:,.0f} MiB of {words} (ulimit {flag} {limit // 1024})"


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
