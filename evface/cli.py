"""The ``evface`` command: a thin typer layer over the library.

Each area registers its commands from a module in :mod:`evface.commands`; this file only
assembles them and is the one place where errors become messages: one line and exit code 2 for
bad input (:func:`main` says which errors), no traceback unless ``--debug``.
"""

from __future__ import annotations

import errno
import importlib
import inspect
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import typer

from evface import __version__
from evface.commands import environment, paths, terminal
from evface.commands.limits import cpu_time_reached, limit_reached, memory_kept_for_the_error
from evface.errors import EvfaceError
from evface.io.atomic_files import STOP_SIGNALS
from evface.io.temporary_files import output_of

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
_built: dict[str, typer.core.TyperGroup] = {}  # the click command of the app, built at the first run of main and
# kept: an error's line needs it, and building it again there ran out of memory where the error was memory running out


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
        assert sub.typer_instance is not None  # add_typer takes the instance
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
    scheduler ending the job) the same with exit 143, after the same clean-up, and SIGXCPU (the
    soft CPU-time limit, ``ulimit -St``) with exit 152 and a line naming the limit; SIGHUP (the
    terminal gone) with exit 129, silent where the terminal no longer takes the line; a signal the
    process was started ignoring (``nohup``) stays ignored. Called without ``argv`` (as the ``evface``
    script and ``python -m evface`` call it: the process ends after the command), SIGXCPU is ignored
    once the command's work is done, so that the process ends with the command's exit status though
    its shutdown passes the soft CPU-time limit (was: the signal's default action there, exit -24 and
    a core dump after a whole output; the 152 above is for a command the limit stopped, and this one
    was not). ``evface --debug
    ...`` shows the traceback instead. Characters the terminal's encoding cannot take (a file name
    that is not UTF-8, a 'µ' in the C locale) print as backslash escapes. What the library warns
    of (:class:`~evface.errors.EvfaceWarning`) is one ``warning:`` line each.
    """
    _debug["on"] = False
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as \udcff, never raises; in
        # the C locale standard output is ASCII with surrogateescape, which raised on the 'µs' of info's table
        if getattr(stream, "errors", None) in ("strict", "surrogateescape") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    terminated = {"by": 0}
    try:
        with (_sigterm_as_ctrl_c(terminated, last=argv is None), terminal.warnings_shown(err_console), terminal.stdout_named(),
              memory_kept_for_the_error()):  # given back before the error's line is made
            _run_app(argv)
    except SystemExit as exc:  # every run ends this way (_run_app), usage errors and Ctrl-C included
        if _interrupted(exc):
            _say_interrupted(terminated["by"])
            if terminated["by"]:
                return 128 + terminated["by"]
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (EvfaceError, OSError) as exc:
        if _debug["on"]:
            raise
        if _interrupted(exc) and _terminal_gone(exc):  # the interruption's clean-up wrote to it: a progress bar's end
            _say_interrupted(terminated["by"])
            return 128 + (terminated["by"] or signal.SIGINT)
        if isinstance(exc, BrokenPipeError) and exc.filename == terminal.STDOUT:
            return 1  # the reader stopped reading (`| head`), found at the last flush: as click ends it
        err_console.print(terminal.labelled("error:", "bold red", _limit_line(exc, argv) or _describe(exc)),
                          soft_wrap=True)
        return 2
    except Exception as exc:
        if _debug["on"]:
            raise
        if _interrupted(exc):  # the stop's KeyboardInterrupt raised inside native code, which wrapped it (numba's
            # dispatcher: "SystemError: CPUDispatcher(...) returned a result with an exception set"); clean-up ran
            _say_interrupted(terminated["by"])
            return 128 + (terminated["by"] or signal.SIGINT)
        if limit := _limit_line(exc, argv):
            err_console.print(terminal.labelled("error:", "bold red", limit), soft_wrap=True)
            return 2
        err_console.print(terminal.labelled("internal error:", "bold red", f"{type(exc).__name__}: {exc} (rerun with "
                                             "evface --debug ... for the traceback, and please report it)"),
                          soft_wrap=True)
        return 1
    return 0


def _run_app(argv: list[str] | None) -> None:
    """Run the app and end in ``SystemExit``, as a standalone click run ends: with the code of
    ``typer.Exit`` (``-h``, ``--version``), 2 after a usage error's line, 130 from Ctrl-C (the
    ``KeyboardInterrupt`` kept as its cause), 0 otherwise, after flushing standard output, so that a
    failed write there is an error, not a message at exit that left exit code 0 or 120. The app runs
    outside click's standalone mode, where typer printed a usage error as a box of several lines."""
    environment.settle()
    if "command" not in _built:  # the app's commands are all registered at import: built again, the same tree
        # (55 ms a call of main, on a loaded machine); a TyperGroup, as the app has several commands
        _built["command"] = cast(typer.core.TyperGroup, typer.main.get_command(app))
    command, args = _built["command"], sys.argv[1:] if argv is None else list(argv)
    words, leaf = _named(args)
    if len(words) > 1 and not hasattr(leaf, "commands"):  # a command, not a group: its words follow its name
        paths.refuse_empty_paths(leaf, args[args.index(words[-1]) + 1:], command.context_settings)
        if words[1] != "train":  # the trainings alone share their work among torchrun's processes
            environment.one_process(" ".join(words))
    try:
        with command.make_context("evface", args) as context:
            command.invoke(context)
    except KeyboardInterrupt as exc:
        raise SystemExit(130) from exc
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:  # click's errors: a usage error, exit 2
        if exc.format_message().strip():  # not so for a group given no command: its help is printed
            err_console.print(terminal.labelled("error:", "bold red", usage_line(exc, named_command(args))),
                              soft_wrap=True)
        code = exc.exit_code
    else:
        code = 0
    sys.stdout.flush()
    raise SystemExit(code)


def usage_line(exc: typer.TyperException, command: str = "evface") -> str:
    """One line for a usage error: click's message (its lines joined), the value typer failed to
    read (``got 'abc'``: typer's own message names the option only), and where the command's options
    are listed: the command of the error's context, else ``command`` (typer raises an option given
    no value without one).

    Examples
    --------
    >>> try:
    ...     typer.main.get_command(app).make_context("evface", ["--debg"])
    ... except typer.TyperException as exc:
    ...     print(usage_line(exc))
    No such option: --debg (Possible options: --debug); try 'evface -h'
    """
    message = " ".join(line.strip() for line in exc.format_message().splitlines()).rstrip(".")
    errors = getattr(exc.__cause__, "errors", None)
    read = errors() if callable(errors) else []
    if read and "input" in read[0] and "got " not in message:
        message += f", got {read[0]['input']!r}"
    context = getattr(exc, "ctx", None)
    return f"{message}; try '{command if context is None else context.command_path} -h'"


def named_command(args: list[str]) -> str:
    """The command that the words of ``args`` name, as far as they name one (the root's switches,
    ``--debug``, skipped).

    Examples
    --------
    >>> named_command(["--debug", "train", "classify", "--epochs"]), named_command(["nope", "train"])
    ('evface train classify', 'evface')
    """
    return " ".join(_named(args)[0])


def _named(args: list[str]) -> tuple[list[str], object]:
    """The words of ``args`` that name a command (:func:`named_command`) and the click command they name."""
    command, words = _built.get("command") or typer.main.get_command(app), ["evface"]
    for arg in args:
        if arg.startswith("-") and len(words) == 1:
            continue
        found = getattr(command, "commands", {}).get(arg)
        if found is None:
            break
        command = found
        words.append(arg)
    return words, command


@contextmanager
def _sigterm_as_ctrl_c(terminated: dict[str, int], last: bool = False) -> Iterator[None]:
    """Inside the block, SIGTERM, SIGHUP (the terminal gone) and SIGXCPU (a soft CPU-time limit
    reached) raise ``KeyboardInterrupt`` as Ctrl-C does, so that its clean-up runs (temporary files
    removed, worker processes ended; the default action left half-written ``.tmp`` files);
    ``terminated["by"]`` records the signal's number. A later one is ignored, so that it cannot cut
    that clean-up short (a process-group SIGTERM, as Slurm and systemd send, reaches a pool's workers
    and then this process again as they end; SIGXCPU comes again every second of CPU time until the
    hard limit). A signal this process was started ignoring stays ignored, as Python leaves an
    ignored Ctrl-C: ``nohup evface ...`` goes on when the terminal goes (was, for SIGTERM and SIGXCPU
    started ignored: taken all the same). Where the process ends after the block (``last``), SIGXCPU
    is ignored after it rather than given back its default action, which dumps core: the command is
    done, and the interpreter's shutdown (torch's and numba's teardown) may pass the soft limit.
    Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if terminated["by"]:
            return
        terminated["by"] = signum
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in _STOPS
                if signal.getsignal(number) != signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_IGN if last and number == getattr(signal, "SIGXCPU", None) else handler)


_STOPS = [number for number in STOP_SIGNALS if number != signal.SIGINT]
"""The signals that stop a command as Ctrl-C does: SIGTERM, and SIGHUP and SIGXCPU where the system has them."""


def _say_interrupted(signum: int) -> None:
    """Print "interrupted" (and the limit that SIGXCPU names) after the clean-up; nothing where the
    terminal is gone (a hang-up: the write fails with EIO, or EPIPE from a pipe whose reader went
    with it; was a traceback and exit 1), nor on a rank other than 0 of a torchrun job, which Ctrl-C
    stops together (:func:`~evface.commands.environment.later_rank`: rank 0 says it once; was: once per rank)."""
    if environment.later_rank():
        return
    try:
        err_console.print("interrupted" + _cpu_limit_words(signum), soft_wrap=True)
    except OSError:
        pass  # the clean-up has run: the exit code says the rest


def _terminal_gone(exc: BaseException) -> bool:
    """Whether ``exc`` is a write to a terminal that is gone (EIO: its hang-up) or to a pipe whose
    reader went with it (EPIPE)."""
    return isinstance(exc, OSError) and exc.errno in (errno.EIO, errno.EPIPE)


def _cpu_limit_words(signum: int) -> str:
    """What follows "interrupted" when the soft CPU-time limit stopped the command (SIGXCPU)."""
    if signum != getattr(signal, "SIGXCPU", None):
        return ""
    return f": {cpu_time_reached()}"


def _interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` ends a chain that began with Ctrl-C (:func:`_run_app` turns it into exit code 130)."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _limit_line(exc: BaseException, argv: list[str] | None) -> str | None:
    """The line of an error that is a limit of the machine or the job reached (memory, open files,
    processes: :func:`~evface.commands.limits.limit_reached`), with the options of the command ``argv`` names
    that ask for less; ``None`` for any other error."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = _named(args)[1]
    options = {name for param in getattr(command, "params", ()) for name in param.opts}
    return limit_reached(exc, options)


def _describe(exc: BaseException) -> str:
    """One line for an error: an OSError names its file (``strerror: filename``); where that is the
    temporary file an output is written as (:func:`~evface.io.temporary_files.output_of`), the output,
    and, for a folder that takes no new file after all (the check before any work passed), what to
    change (was: only the temporary file's name, ``OUT.HOST-PID-RANDOM.tmp: Permission denied``)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        output = output_of(exc.filename)
        if output is None:
            return f"{exc.filename}: {exc.strerror or exc}"
        give = ("; give an output in a folder this user may write to"
                if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "")
        return f"{output}: {exc.strerror or exc} (writing its temporary file {Path(exc.filename).name} beside it){give}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
