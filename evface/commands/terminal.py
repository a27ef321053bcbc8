"""What the commands print: text exactly as written.

rich reads ``[word ...]`` in a printed string as markup and drops it, so an error naming
``take[v2].raw`` or saying ``not [x, y, w, h]`` lost those characters. The consoles made here
print text as it is; only the fixed labels (``error:``, ``warning:``) are styled. Progress bars
are drawn on a terminal only (:func:`progress`).
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.text import Text


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


def labelled(label: str, style: str, text: str) -> Text:
    """``label text`` with only the label styled.

    Examples
    --------
    >>> labelled("error:", "bold red", "take[v2].raw: no such file").plain
    'error: take[v2].raw: no such file'
    """
    return Text.assemble((label, style), " ", text)
