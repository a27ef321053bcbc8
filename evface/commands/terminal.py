"""What the commands print: text exactly as written.

rich reads ``[word ...]`` in a printed string as markup and drops it, so an error naming
``take[v2].raw`` or saying ``not [x, y, w, h]`` lost those characters. The consoles made here
print text as it is; only the fixed labels (``error:``, ``warning:``) are styled. Progress bars
are drawn on a terminal only (:func:`progress`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.text import Text

from evface.errors import EvfaceWarning, printable


def console(stderr: bool = True) -> Console:
    """A console (standard error by default) that prints strings as given: no markup, no highlighting."""
    return Console(stderr=stderr, markup=False, highlight=False)


def progress(*columns: str | ProgressColumn, transient: bool = True) -> Progress:
    """A progress bar on standard error, drawn only on a terminal: in a log or a pipe it prints
    nothing, so an error stays the one line it is (a bar stopped there left an empty line)."""
    out = console()
    return Progress(*columns, console=out, transient=transient, disable=not out.is_terminal)


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
