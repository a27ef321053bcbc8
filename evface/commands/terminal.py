"""What the commands print: text exactly as written, control characters escaped.

rich reads ``[word ...]`` in a printed string as markup and drops it, so an error naming
``take[v2].raw`` or saying ``not [x, y, w, h]`` lost those characters. The consoles made here
print text as it is, each control character escaped (:func:`~evface.errors.printable`: a file
name holding a line break or a terminal's escape stays on its line and cannot drive the
terminal); only the fixed labels (``error:``, ``warning:``) are styled. Progress bars are drawn on
a terminal only (:func:`progress`). Inside :func:`stdout_named`, a failed write to standard output
names it.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID
from rich.text import Text

from evface.errors import EvfaceWarning, printable


STDOUT = "standard output"
"""The name an error gives standard output."""

TERMINAL_SIZES = ("COLUMNS", "LINES", "TERMINAL_WIDTH")
"""The environment variables that give the terminal's size: rich reads the first two, typer's help
the third."""


def drop_unreadable_sizes(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Remove each of :data:`TERMINAL_SIZES` that is not a size (ASCII digits, 1 or more) from
    ``environ``: the terminal's own size is used then, or 80 columns off a terminal, as
    :func:`shutil.get_terminal_size` reads them. rich took ``COLUMNS=0`` (what ``export
    COLUMNS=$(tput cols)`` gives in a batch job) as a width of 0 and printed nothing, an error's
    line included, and typer's help nothing with ``TERMINAL_WIDTH=0``; ``COLUMNS=²``, ``LINES=²``
    and ``TERMINAL_WIDTH=abc`` were a ``ValueError`` before any command ran. Called when this
    module is imported, before any console is made.

    Examples
    --------
    >>> environ = {"COLUMNS": "0", "LINES": "²", "TERMINAL_WIDTH": "120", "HOME": "/root"}
    >>> drop_unreadable_sizes(environ)
    >>> environ
    {'TERMINAL_WIDTH': '120', 'HOME': '/root'}
    """
    for name in TERMINAL_SIZES:
        value = environ.get(name)
        if value is not None and not (value.isascii() and value.isdigit() and int(value) > 0):
            del environ[name]


drop_unreadable_sizes()


class _PlainConsole(Console):
    """A rich console that prints each string (a table's cells too) with its control characters escaped."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable(text), **options)


class _PlainProgress(Progress):
    """A rich progress bar whose task descriptions have their control characters escaped."""

    def add_task(self, description: str, *args: Any, **fields: Any) -> TaskID:
        return super().add_task(printable(description), *args, **fields)

    def update(self, task_id: TaskID, *, description: str | None = None, **fields: Any) -> None:
        super().update(task_id, description=None if description is None else printable(description), **fields)


def console(stderr: bool = True) -> Console:
    """A console (standard error by default) that prints strings as given: no markup, no
    highlighting, control characters escaped (was: a file name's line break split a result line).

    Examples
    --------
    >>> console(stderr=False).print("wrote 2 events to a\\nb\\x1b[2J.raw", soft_wrap=True)
    wrote 2 events to a\\nb\\x1b[2J.raw
    """
    return _PlainConsole(stderr=stderr, markup=False, highlight=False)


def progress(*columns: str | ProgressColumn, transient: bool = True) -> Progress:
    """A progress bar on standard error, drawn only on a terminal: in a log or a pipe it prints
    nothing, so an error stays the one line it is (a bar stopped there left an empty line). Its
    descriptions have their control characters escaped, as :func:`console` prints them."""
    out = console()
    return _PlainProgress(*columns, console=out, transient=transient, disable=not out.is_terminal)


def result(text: str) -> None:
    """Print ``text``, a command's result, on standard output, its control characters escaped.

    Examples
    --------
    >>> result("wrote a\\nb.h5 (2 faces)")
    wrote a\\nb.h5 (2 faces)
    """
    print(printable(text))


class _NamedStdout:
    """Standard output (``None`` where the process started with it closed) whose failed writes
    raise an :class:`OSError` naming it (:data:`STDOUT`); everything else is the stream's."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        stream = self._stream
        if stream is None:  # nothing to flush then: a command that writes nothing there succeeds
            raise OSError(errno.EBADF, os.strerror(errno.EBADF), STDOUT)
        return _named(stream, lambda: stream.write(text))

    def flush(self) -> None:
        stream = self._stream
        if stream is not None:
            _named(stream, stream.flush)


def _named(stream: TextIO, call: Callable[[], Any]) -> Any:
    """``call()``, a write or flush of ``stream``; its failure raised as an :class:`OSError` naming
    :data:`STDOUT`, after the rest of what ``stream`` holds is discarded."""
    try:
        return call()
    except OSError as exc:  # the same errno, so that a broken pipe is still one (EPIPE)
        _discard_rest(stream)
        raise OSError(exc.errno, exc.strerror, STDOUT) from exc


def _discard_rest(stream: TextIO) -> None:
    """Point ``stream``'s descriptor at :data:`os.devnull`, after a write to it failed: what it
    still holds is lost anyway, and Python's flush at exit failed on it again (``Exception ignored
    in: <_io.TextIOWrapper name='<stdout>'>`` after the error line, exit 120). A stream with no
    descriptor (a test's) is left as it is."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


@contextmanager
def stdout_named() -> Iterator[None]:
    """Inside the block, a failed write to standard output (a full disk, a closed descriptor:
    ``evface info F > /dev/full``, ``>&-``) raises an :class:`OSError` whose file name is
    :data:`STDOUT` (was: ``[Errno 28] No space left on device`` naming no file, and with standard
    output closed the output lost without a word and exit 0). A stream that replaced it meanwhile
    (click's, after a broken pipe) is left in place.
    """
    stream = sys.stdout
    sys.stdout = named = _NamedStdout(stream)
    try:
        yield
    finally:
        if sys.stdout is named:
            sys.stdout = stream


def warn(console: Console, text: str) -> None:
    """Print ``warning: text`` on ``console``, only the label styled, the text wrapped softly (a
    long path stays whole)."""
    console.print(labelled("warning:", "yellow", text), soft_wrap=True)


@contextmanager
def warnings_shown(console: Console) -> Iterator[None]:
    """Inside the block, each :class:`~evface.errors.EvfaceWarning` the library gives is one
    ``warning: text`` line on ``console`` (:func:`warn`), each text once however many times it is
    given (a run's warning from the evaluation and the comparison of one command); other warnings
    are shown as Python shows them.

    Examples
    --------
    >>> with warnings_shown(console(stderr=False)):
    ...     warnings.warn("runs/a: read by an older evface", EvfaceWarning)
    ...     warnings.warn("runs/a: read by an older evface", EvfaceWarning)
    warning: runs/a: read by an older evface
    """
    with warnings.catch_warnings():
        warnings.simplefilter("always", EvfaceWarning)  # shown once below, also where Python showed it before
        python_shows, shown = warnings.showwarning, set[str]()

        def show(message: Warning | str, category: type[Warning], *where: Any, **more: Any) -> None:
            if issubclass(category, EvfaceWarning):
                if str(message) not in shown:
                    shown.add(str(message))
                    warn(console, str(message))
            else:
                python_shows(message, category, *where, **more)

        warnings.showwarning = show
        yield


def labelled(label: str, style: str, text: str) -> Text:
    """``label text`` with only the label styled, a control character in ``text`` escaped
    (:func:`~evface.errors.printable`): a file name holding a line break or a terminal's escape,
    which an error or warning quotes, leaves the message one line (was: two lines, or the
    terminal cleared or recoloured).

    Examples
    --------
    >>> labelled("error:", "bold red", "take[v2].raw: no such file").plain
    'error: take[v2].raw: no such file'
    >>> print(labelled("warning:", "yellow", "a\\nb\\x1b[2J.raw: read by an older evface").plain)
    warning: a\\nb\\x1b[2J.raw: read by an older evface
    """
    return Text.assemble((label, style), " ", printable(text))
