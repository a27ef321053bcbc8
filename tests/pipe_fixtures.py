"""A helper shared by the tests of named pipes (no tests here): a read that must not wait for a writer.

A reader that opens a named pipe waits for its writer for ever, so a test that hands one to evface
runs the read in a thread, gives it a few seconds, and fails (rather than hangs) if it is still
waiting, after letting it go.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path


def refused_within(read: Callable[[], object], pipe: Path, error: type[Exception], seconds: float = 20) -> list[str]:
    """The messages of ``error`` that ``read()`` raises, in a thread that must end within ``seconds``.

    Parameters
    ----------
    read : callable
        The call under test, without arguments.
    pipe : pathlib.Path
        The named pipe it is given (or one in the folder it is given).
    error : type
        The exception class whose messages are collected; any other propagates out of the thread
        and leaves the list empty.
    seconds : float
        How long the read may take.

    Returns
    -------
    list of str
        The messages of ``error`` raised (none or one).

    Raises
    ------
    AssertionError
        If ``read()`` is still running after ``seconds``: a reader still waiting on ``pipe`` is let
        go first (its writer opened and closed, so it reads the end of the file).
    """
    said: list[str] = []

    def run() -> None:
        try:
            read()
        except error as exc:
            said.append(str(exc))

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    reader.join(seconds)
    if reader.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        raise AssertionError(f"{pipe}: still being read after {seconds} s")
    return said
