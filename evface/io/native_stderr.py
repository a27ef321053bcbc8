"""What native code (OpenCV and the decoders it calls: libpng, libjpeg, FFmpeg) writes straight to
file descriptor 2, kept for the one-line error that names the file instead of reaching the terminal
beside it (:func:`stderr_kept`)."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stderr_kept() -> Iterator[list[str]]:
    """Keep what native code writes to file descriptor 2 in the block; the list holds its
    non-empty lines afterwards, but those holding a terminal's control codes (a progress bar
    drawn meanwhile by another thread: it draws again at its next refresh), other characters
    that do not print (bytes of a damaged file that a demuxer quotes) as ``?``.

    Examples
    --------
    >>> with stderr_kept() as said:
    ...     _ = os.write(2, b"[ERROR:0@0.4] global loadsave.cpp:612 imread_ can't open file\\n\\n")
    >>> said
    ["imread_ can't open file"]
    """
    said: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield said
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
            # OpenCV's "[ERROR:0@0.4] global loadsave.cpp:612 " says where in OpenCV, not what
            said.extend(re.sub(r"^\[[^]]*\] global \S+ ", "", _printable(line).strip()) for line in lines
                        if line.strip() and "\x1b" not in line)


def _printable(line: str) -> str:
    """``line`` with each character that does not print as ``?``.

    >>> _printable("Got: R\\x01V.")
    'Got: R?V.'
    """
    return "".join(c if c.isprintable() else "?" for c in line)
