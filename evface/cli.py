"""The ``evface`` command: a thin typer layer over the library.

Each area registers its commands from a module in :mod:`evface.commands`; this file only
assembles them and is the one place where errors become messages: one line and exit code 2 for
bad input (:func:`main` says which errors), no traceback unless ``--debug``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from evface import __version__
from evface.checks import whole_number
from evface.commands import terminal
from evface.errors import EvfaceError, ParameterError
from evface.kernel_cache import private_folder

app = typer.Typer(
    name="evface",
    help="Event-camera facial micro-expression analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command's, its subcommands' too
)
err_console = terminal.console()

# Modules in evface.commands that define ``register(app)``; each adds its commands.
COMMAND_MODULES = ["run", "synth", "train", "compare", "reconstruct", "importers", "merge", "sim", "io", "face", "bench"]


_debug = {"on": False}


def _version(value: bool) -> None:
    if value:
        print(f"evface {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show the Python traceback of an error."),
) -> None:
    """Event-camera facial micro-expression analysis."""
    _debug["on"] = debug
    if not debug:  # FFmpeg's and OpenCV's own lines ("moov atom not found", "imread_(...): can't open/read
        # file") would come before evface's one-line error; both read when cv2 is first imported or opens a video
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


def _flow_help(group: typer.Typer) -> None:
    """Join the source's line breaks inside each command's help paragraphs, so that the terminal wraps them.

    typer keeps them after the first paragraph, which left short orphan lines on an 80-column terminal.
    """
    for info in group.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        info.help = "\n\n".join(" ".join(paragraph.split()) for paragraph in doc.split("\n\n"))
    for sub in group.registered_groups:
        _flow_help(sub.typer_instance)


for _name in COMMAND_MODULES:
    importlib.import_module(f"evface.commands.{_name}").register(app)
_flow_help(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    A usage error (an option unknown or missing, a value typer cannot read or refuses) is one
    line naming the option, the value where typer read one, and the command's help, exit 2
    (:func:`usage_line`; was typer's usage line and a box of several lines); an
    :class:`~evface.errors.EvfaceError` or an operating-system error (a full disk, a missing
    permission; standard output full or closed: ``standard output: No space left on device``)
    prints one line naming the file and exits 2; a broken pipe (``evface info F | head``) ends in
    exit 1 without a word, as click ends it; anything else is a bug in evface: one line and exit 1;
    Ctrl-C prints "interrupted" and exits 130, SIGTERM (``timeout``, ``docker stop``, a batch
    scheduler ending the job) the same with exit 143, after the same clean-up. ``evface --debug
    ...`` shows the traceback instead. Characters the terminal's encoding cannot take (a file name
    that is not UTF-8, a 'µ' in the C locale) print as backslash escapes. What the library warns
    of (:class:`~evface.errors.EvfaceWarning`) is one ``warning:`` line each.
    """
    _debug["on"] = False
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as \udcff, never raises; in
        # the C locale standard output is ASCII with surrogateescape, which raised on the 'µs' of info's table
        if getattr(stream, "errors", None) in ("strict", "surrogateescape") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    terminated = {"by": False}
    try:
        with _sigterm_as_ctrl_c(terminated), terminal.warnings_shown(err_console), terminal.stdout_named():
            _run_app(argv)
    except SystemExit as exc:  # every run ends this way (_run_app), usage errors and Ctrl-C included
        if _interrupted(exc):
            err_console.print("interrupted")
            if terminated["by"]:
                return 128 + signal.SIGTERM
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (EvfaceError, OSError) as exc:
        if _debug["on"]:
            raise
        if isinstance(exc, BrokenPipeError) and exc.filename == terminal.STDOUT:
            return 1  # the reader stopped reading (`| head`), found at the last flush: as click ends it
        err_console.print(terminal.labelled("error:", "bold red", _describe(exc)), soft_wrap=True)
        return 2
    except Exception as exc:
        if _debug["on"]:
            raise
        err_console.print(terminal.labelled("internal error:", "bold red", f"{type(exc).__name__}: {exc} (rerun with "
                                             "evface --debug ... for the traceback, and please report it)"),
                          soft_wrap=True)
        return 1
    return 0


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
    if value.strip() and not 1 <= (whole_number(value) or 0) <= MAX_NUMBA_THREADS:
        raise ParameterError(f"NUMBA_NUM_THREADS={value!r}: not a number of threads; give 1 to {MAX_NUMBA_THREADS}, "
                             "or unset it")


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
    elif value is not None and not all(count.strip().isascii() and count.strip().isdigit()
                                       and 1 <= (whole_number(count) or 0) <= MAX_NUMBA_THREADS
                                       for count in value.split(",")):
        raise ParameterError(f"OMP_NUM_THREADS={value!r}: not a number of threads; give 1 to {MAX_NUMBA_THREADS}, "
                             "or unset it")


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


def _run_app(argv: list[str] | None) -> None:
    """Run the app and end in ``SystemExit``, as a standalone click run ends: with the code of
    ``typer.Exit`` (``-h``, ``--version``), 2 after a usage error's line, 130 from Ctrl-C (the
    ``KeyboardInterrupt`` kept as its cause), 0 otherwise, after flushing standard output, so that a
    failed write there is an error, not a message at exit that left exit code 0 or 120. The app runs
    outside click's standalone mode, where typer printed a usage error as a box of several lines."""
    check_thread_setting()
    check_openmp_threads()
    settle_matplotlib()
    command = typer.main.get_command(app)
    try:
        with command.make_context("evface", sys.argv[1:] if argv is None else list(argv)) as context:
            command.invoke(context)
    except KeyboardInterrupt as exc:
        raise SystemExit(130) from exc
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # click's errors: a usage error, exit 2
        if exc.format_message().strip():  # not so for a group given no command: its help is printed
            err_console.print(terminal.labelled("error:", "bold red", usage_line(exc)), soft_wrap=True)
        code = exc.exit_code
    else:
        code = 0
    sys.stdout.flush()
    raise SystemExit(code)


def usage_line(exc: typer.TyperException) -> str:
    """One line for a usage error: click's message (its lines joined), the value typer failed to
    read (``got 'abc'``: typer's own message names the option only), and where the command's options
    are listed.

    Examples
    --------
    >>> try:
    ...     typer.main.get_command(app).make_context("evface", ["--debg"])
    ... except typer.TyperException as exc:
    ...     print(usage_line(exc))
    No such option: --debg (Possible options: --debug); try 'evface -h'
    """
    message = " ".join(line.strip() for line in exc.format_message().splitlines()).rstrip(".")
    read = exc.__cause__.errors() if callable(getattr(exc.__cause__, "errors", None)) else []
    if read and "input" in read[0] and "got " not in message:
        message += f", got {read[0]['input']!r}"
    context = getattr(exc, "ctx", None)
    return f"{message}; try '{context.command_path} -h'" if context is not None else message


@contextmanager
def _sigterm_as_ctrl_c(terminated: dict[str, bool]) -> Iterator[None]:
    """Inside the block, SIGTERM raises ``KeyboardInterrupt`` as Ctrl-C does, so that its clean-up
    runs (temporary files removed, worker processes ended; the default action left half-written
    ``.tmp`` files); ``terminated["by"]`` records it. A later SIGTERM is ignored, so that it cannot
    cut that clean-up short (a process-group SIGTERM, as Slurm and systemd send, reaches a pool's
    workers and then this process again as they end). Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if terminated["by"]:
            return
        terminated["by"] = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` ends a chain that began with Ctrl-C (:func:`_run_app` turns it into exit code 130)."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _describe(exc: BaseException) -> str:
    """One line for an error: an OSError names its file (``strerror: filename``)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
