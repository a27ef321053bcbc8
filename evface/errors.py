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

import numbers
import re
from collections.abc import Iterable
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

    Parameters
    ----------
    text : str
        The text to show, a file name most often.

    Returns
    -------
    str
        ``text`` with its control characters escaped.

    Examples
    --------
    >>> print(printable("a\\nb.raw"), printable("\\x1b[2Jtake 1 café.raw"))
    a\\nb.raw \\x1b[2Jtake 1 café.raw
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def where(path: str | Path | None, message: str) -> str:
    """Prefix ``message`` with the file it concerns, when there is one, its control characters
    escaped (:func:`printable`).

    Parameters
    ----------
    path : str or Path or None
        The file the message concerns; None (or empty) for none.
    message : str
        What is wrong.

    Returns
    -------
    str
        ``"path: message"``, or ``message`` alone.

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


def byte_size(nbytes: float) -> str:
    """``nbytes`` in MB below a GB, else in GB, to three figures at most.

    Parameters
    ----------
    nbytes : float
        A size in bytes.

    Returns
    -------
    str
        The size in words (``'1.2 GB'``).

    Examples
    --------
    >>> byte_size(2.1e6), byte_size(25.4e6), byte_size(1.234e9), byte_size(95.2e9)
    ('2.1 MB', '25 MB', '1.2 GB', '95 GB')
    """
    value, unit = (nbytes / 1e9, "GB") if nbytes >= 1e9 else (nbytes / 1e6, "MB")
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def counted(n: float, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number that ``n`` takes (``plural``: default ``noun + "s"``), a
    whole number thousands separated, any other in its shortest form.

    Parameters
    ----------
    n : int or float
        How many.
    noun : str
        The thing counted, singular.
    plural : str, optional
        Its plural, when not ``noun + "s"``.

    Returns
    -------
    str
        The number and the noun (``'1,344 clips'``).

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

    Parameters
    ----------
    allowed : iterable of object
        The values, in the order to list them.

    Returns
    -------
    str
        ``"choose from a, b, c"``.

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

    Parameters
    ----------
    change : str, optional
        What to change, or why a new folder, appended as given; default none.

    Returns
    -------
    str
        The advice, to end a message with.

    Examples
    --------
    >>> train_again("with a lower --learning-rate")
    'train the run again in a new --out folder with a lower --learning-rate'
    >>> train_again()
    'train the run again in a new --out folder'
    """
    return "train the run again in a new --out folder" + (f" {change}" if change else "")
