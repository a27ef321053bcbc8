"""The process environment a command runs in, checked and settled before it starts.

The variables that evface's libraries read when first imported: a thread count numba or OpenMP
cannot use is one line naming the variable (:func:`check_thread_setting`,
:func:`check_openmp_threads`), as is a ``SOURCE_DATE_EPOCH`` that is no time
(:func:`check_source_date_epoch`); numba and OpenMP are given the CPUs a cgroup quota allows where it
allows fewer than they would start (:func:`threads_within_quota`); matplotlib is given no backend to
refuse and folders it can write (:func:`settle_matplotlib`). :func:`settle` does all of it; ``evface`` calls it before any command.
Under torchrun, :func:`one_process` refuses a command that does not train, and :func:`later_rank` tells
the ranks that leave to rank 0 what the job says once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evface.checks import source_date_epoch, whole_number
from evface.errors import ParameterError
from evface.executor import runnable_cpus, usable_cpus
from evface.kernel_cache import private_folder


def settle(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Check and settle ``environ`` for a command: :func:`check_thread_setting`,
    :func:`check_openmp_threads`, :func:`check_mkl_threads`, :func:`check_source_date_epoch`,
    :func:`threads_within_quota`, :func:`settle_matplotlib`."""
    check_thread_setting(environ)
    check_openmp_threads(environ)
    check_mkl_threads(environ)
    check_source_date_epoch(environ)
    threads_within_quota(environ)
    settle_matplotlib(environ)


def threads_within_quota(environ: dict[str, str] | os._Environ = os.environ, usable: int | None = None,
                         runnable: int | None = None) -> None:
    """Set ``NUMBA_NUM_THREADS`` and ``OMP_NUM_THREADS``, where unset, to the CPUs this process may use
    (``usable``: :func:`~evface.executor.usable_cpus`) where a cgroup CPU quota makes those fewer than
    the CPUs it may run on (``runnable``: :func:`~evface.executor.runnable_cpus`, its affinity), by which alone numba and torch size their
    thread pools (was: under a quota of 4 CPUs on a 64-core node each started 64 threads, unless the
    user set both). A value the user set is kept.

    Examples
    --------
    >>> environ = {"OMP_NUM_THREADS": "8"}
    >>> threads_within_quota(environ, usable=4, runnable=64)
    >>> environ
    {'OMP_NUM_THREADS': '8', 'NUMBA_NUM_THREADS': '4'}
    >>> environ = {}
    >>> threads_within_quota(environ, usable=64, runnable=64)
    >>> environ
    {}
    """
    usable = usable_cpus() if usable is None else usable
    if usable < (runnable_cpus() if runnable is None else runnable):
        for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
            environ.setdefault(name, str(usable))


MAX_NUMBA_THREADS = 4096
"""The most threads ``NUMBA_NUM_THREADS`` may ask for: numba starts them all at the first parallel
kernel (the camera model's), and 10**11 of them were the process killed for memory."""


def check_thread_setting(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Refuse a ``NUMBA_NUM_THREADS`` numba cannot use: numba reads it when first imported, where 0
    or less raised ``ValueError`` (an internal error of any command) and text was warned of and
    ignored (all cores used); more than :data:`MAX_NUMBA_THREADS` (was: the process killed at the
    first parallel kernel, or 5000 digits a ValueError). The number is read as the number options
    read one (:func:`~evface.checks.whole_number`).

    >>> check_thread_setting({"NUMBA_NUM_THREADS": "2"})
    >>> check_thread_setting({"NUMBA_NUM_THREADS": "0"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: NUMBA_NUM_THREADS='0': not a number of threads; give 1 to 4096, or unset it
    """
    value = environ.get("NUMBA_NUM_THREADS", "")
    if value.strip() and not _threads(value):
        raise _not_threads("NUMBA_NUM_THREADS", value)


def check_openmp_threads(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Refuse an ``OMP_NUM_THREADS`` the OpenMP runtime cannot read (torch's reads it when first
    imported) and drop a blank one (what ``export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK`` gives in a job
    that asked for no number): each was ignored, all cores used, with a message of two lines before
    the command's output (an empty one, then ``libgomp: Invalid value for environment variable
    OMP_NUM_THREADS``). A number of threads is 1 to :data:`MAX_NUMBA_THREADS`, ASCII digits; OpenMP's
    list of them for nested levels (``4,2``) is kept.

    >>> check_openmp_threads({"OMP_NUM_THREADS": " 4,2"})
    >>> check_openmp_threads({"OMP_NUM_THREADS": "0"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: OMP_NUM_THREADS='0': not a number of threads; give 1 to 4096, or unset it
    """
    value = environ.get("OMP_NUM_THREADS")
    if value is not None and not value.strip():
        del environ["OMP_NUM_THREADS"]
    elif value is not None and not all(_thread_count(count) for count in value.split(",")):
        raise _not_threads("OMP_NUM_THREADS", value)


def check_mkl_threads(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Refuse an ``MKL_NUM_THREADS`` that is not a number of threads and drop a blank one: torch reads
    it when first imported, and took text, a fraction or a negative number (``abc``, ``1.5``,
    ``-3``; a blank, and a number with a space, ``2 ``) as 1, so that a training ran on one thread
    without a word. One number of 1 to :data:`MAX_NUMBA_THREADS`, ASCII digits (MKL takes no
    list), its spaces dropped.

    >>> check_mkl_threads({"MKL_NUM_THREADS": "2"})
    >>> check_mkl_threads({"MKL_NUM_THREADS": "1.5"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: MKL_NUM_THREADS='1.5': not a number of threads; give 1 to 4096, or unset it
    """
    value = environ.get("MKL_NUM_THREADS")
    if value is None:
        return
    if not value.strip():
        del environ["MKL_NUM_THREADS"]
    elif not _thread_count(value):
        raise _not_threads("MKL_NUM_THREADS", value)
    else:
        environ["MKL_NUM_THREADS"] = value.strip()  # torch took " 2" as 1


def check_source_date_epoch(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Refuse a ``SOURCE_DATE_EPOCH`` that is no time (:func:`~evface.checks.source_date_epoch`; the
    report dates itself by it) and drop a blank one: numpy reads it with ``int()`` when scipy first
    loads ``numpy.f2py``, which ended every command that draws on scipy (``evface info``, ``evface
    report``, ...) in ``internal error: ValueError: invalid literal for int() with base 10: 'abc'``,
    exit 1, a blank one (``''``) alike.

    >>> environ = {"SOURCE_DATE_EPOCH": " "}
    >>> check_source_date_epoch(environ)
    >>> environ
    {}
    >>> check_source_date_epoch({"SOURCE_DATE_EPOCH": "-1"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: SOURCE_DATE_EPOCH='-1': not a whole number of seconds since 1970-01-01 UTC; give 0 to 253402300799, or unset it
    """
    if source_date_epoch(environ) is None:
        environ.pop("SOURCE_DATE_EPOCH", None)


def one_process(command: str, environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Refuse ``command`` started by torchrun with more than one process (``WORLD_SIZE`` over 1 and
    ``RANK`` set): every rank would do the whole work again and write the same files, the folder's
    lock held by rank 0 only (was: ``torchrun --nproc_per_node 2 -m evface.cli eval RUN ...`` ran twice,
    ``synth`` filmed every clip twice into one folder). ``evface`` calls it before every command but
    ``train``. Rank 0 says it in one line, the other ranks leave silently with the same exit code, 2.

    Examples
    --------
    >>> one_process("evface eval")  # not under torchrun
    """
    world = whole_number(environ.get("WORLD_SIZE", "1")) or 1
    if world <= 1 or "RANK" not in environ:
        return
    if later_rank(environ):  # rank 0 says it
        raise SystemExit(2)
    raise ParameterError(f"{command} runs in one process: under torchrun (WORLD_SIZE={world}) each rank would do "
                         "the whole work and write the same files; run it without torchrun (only evface train "
                         "classify and train reconstruct train with several processes)")


def later_rank(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    """Whether this process is a rank other than 0 of a torchrun job (``WORLD_SIZE`` over 1 and ``RANK``
    over 0; a ``RANK`` that is no number reads as rank 0), which leaves to rank 0 what the job says
    once: :func:`one_process`'s refusal, "interrupted" after Ctrl-C, a training's warnings.

    Examples
    --------
    >>> later_rank({"WORLD_SIZE": "2", "RANK": "1"}), later_rank({"WORLD_SIZE": "2", "RANK": "0"}), later_rank({})
    (True, False, False)
    """
    world = whole_number(environ.get("WORLD_SIZE", "1")) or 1
    return world > 1 and "RANK" in environ and whole_number(environ["RANK"]) not in (0, None)


def _thread_count(text: str) -> bool:
    """Whether ``text`` is ASCII digits (spaces around them allowed) giving a number of threads."""
    return text.strip().isascii() and text.strip().isdigit() and _threads(text)


def _threads(text: str) -> bool:
    """Whether ``text`` is a number of threads, 1 to :data:`MAX_NUMBA_THREADS` (read as the number
    options read one: :func:`~evface.checks.whole_number`)."""
    return 1 <= (whole_number(text) or 0) <= MAX_NUMBA_THREADS


def _not_threads(name: str, value: str) -> ParameterError:
    """The error of an environment variable ``name`` whose ``value`` is no number of threads."""
    return ParameterError(f"{name}={value!r}: not a number of threads; give 1 to {MAX_NUMBA_THREADS}, or unset it")


def settle_matplotlib(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Set matplotlib's environment for the figures a command draws, before it is imported: no
    ``MPLBACKEND`` (evface draws with :class:`~matplotlib.figure.Figure` itself and needs no backend;
    matplotlib refused one it does not know when imported: ``MPLBACKEND=bogus`` was ``internal error:
    ValueError: Key backend: 'bogus' is not a valid value for backend ...``, exit 1, of ``evface
    report``, ``evface run``'s report and a reconstruction's figures), and ``MPLCONFIGDIR`` this user's
    :func:`~evface.kernel_cache.private_folder` where matplotlib's own folders cannot be written (a
    ``HOME``, ``XDG_CONFIG_HOME``, ``XDG_CACHE_HOME`` or ``MPLCONFIGDIR`` that is a file or read-only:
    matplotlib made a temporary folder each time and printed two lines, "mkdir -p failed ..." and
    "Matplotlib created a temporary cache directory ...", before the command's result; its font cache
    is kept there between commands instead). No matplotlibrc is lost: matplotlib reads none from a
    folder it cannot use.

    >>> environ = {"MPLBACKEND": "bogus", "MPLCONFIGDIR": "/dev/null"}
    >>> settle_matplotlib(environ)
    >>> sorted(environ), environ["MPLCONFIGDIR"] == private_folder("matplotlib")
    (['MPLCONFIGDIR'], True)
    """
    environ.pop("MPLBACKEND", None)
    if not all(_writable_folder(folder) for folder in _matplotlib_folders(environ)):
        environ["MPLCONFIGDIR"] = private_folder("matplotlib")


def _matplotlib_folders(environ: dict[str, str] | os._Environ) -> list[Path]:
    """The folders matplotlib keeps its settings and its font cache in, as it finds them."""
    if environ.get("MPLCONFIGDIR"):
        return [Path(environ["MPLCONFIGDIR"])]
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    if not sys.platform.startswith(("linux", "freebsd")):
        return [home / ".matplotlib"]
    return [Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib",
            Path(environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"]


def _writable_folder(path: Path) -> bool:
    """Whether ``path`` is a folder this user may write into, or could be made as one (the nearest
    of its parents there is is such a folder)."""
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            return folder.is_dir() and os.access(folder, os.W_OK)
    return False
