"""What native code (OpenCV and the decoders it calls: libpng, libjpeg, FFmpeg) writes straight to
file descriptor 2, kept for the one line that names the file (an error, or a picture's warning)
instead of reaching the terminal beside it: while a file opens (:func:`stderr_kept`), while a
video's frames are decoded (:class:`StderrKeeper`) and while a picture is decoded
(:func:`said_by`); and the file names OpenCV can take (:func:`opencv_name`). One thread at a time
turns file descriptor 2 aside (:data:`_FD2_TURNED`): threads reading photos or videos at once take
turns."""

from __future__ import annotations

import atexit
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from evface.errors import FormatError, where

T = TypeVar("T")

_FD2_TURNED = threading.RLock()
"""Held while file descriptor 2 is turned aside (:func:`_fd2_to`): two threads turning it at once
each saved what the other had put there, and the last to finish left it writing into the other's
temporary file, standard error lost to the process from then on."""


def opencv_name(path: str | Path) -> str:
    """``path`` as OpenCV's ``imread``, ``VideoCapture`` and ``VideoWriter`` take it; a
    FormatError naming it when it is not UTF-8 (a file named on a Latin-1 system, ``caf\\xe9.jpg``,
    read by Python as ``caf\\udce9.jpg``), on which OpenCV crashed the process, a segmentation
    fault.

    Examples
    --------
    >>> opencv_name(Path("faces") / "café.jpg")
    'faces/café.jpg'
    >>> opencv_name(os.fsdecode(b"caf\\xe9.jpg"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: caf...jpg: the name is not UTF-8, which OpenCV cannot open; rename the file
    """
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError(where(name, "the name is not UTF-8, which OpenCV cannot open; rename the file")) from None
    return name


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
    with tempfile.TemporaryFile() as log:
        try:
            with _fd2_to(log.fileno()):
                yield said
        finally:
            log.seek(0)
            said.extend(_lines(log.read()))


class StderrKeeper:
    """What native code writes to file descriptor 2 during each :meth:`call` (a decoder reading a
    video frame after frame), kept as :func:`stderr_kept` keeps it, in one temporary file for all
    the calls (a new one per call cost 50 µs a frame); :attr:`said` holds the first ``limit``
    lines. What is written between the calls (evface's own lines) reaches the terminal.

    Examples
    --------
    >>> with StderrKeeper() as native:
    ...     for line in (b"[mjpeg @ 0x55cb] overread 8\\n", b"[mjpeg @ 0x55cb] bad vlc: 1\\n"):
    ...         _ = native.call(os.write, 2, line)
    >>> native.said
    ['mjpeg: overread 8']
    """

    def __init__(self, limit: int = 1) -> None:
        self.said: list[str] = []
        self._limit = limit
        self._log = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - closed by close()

    def call(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``, what it writes to file descriptor 2 kept."""
        result, said = self.said_by(function, *args, wanted=self._limit - len(self.said))
        self.said.extend(said)
        return result

    def said_by(self, function: Callable[..., T], *args: object, wanted: int = 8) -> tuple[T, list[str]]:
        """``function(*args)`` and the first ``wanted`` lines it wrote to file descriptor 2, which
        no longer reach the terminal; :attr:`said` unchanged."""
        fd, said = self._log.fileno(), []
        try:
            with _fd2_to(fd):
                result = function(*args)
        finally:
            end = os.lseek(fd, 0, os.SEEK_CUR)
            if end:
                if wanted > 0:
                    os.lseek(fd, 0, os.SEEK_SET)
                    said = _lines(os.read(fd, end))[:wanted]
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
        return result, said

    def close(self) -> None:
        """Remove the temporary file."""
        self._log.close()

    def __enter__(self) -> StderrKeeper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def said_by(function: Callable[..., T], *args: object) -> tuple[T, list[str]]:
    """``function(*args)`` (a decoder reading a picture) and the lines native code wrote to file
    descriptor 2 meanwhile, kept off the terminal as :func:`stderr_kept` keeps them, in one
    temporary file the process keeps for all such calls (:func:`_shared_keeper`: a new file per
    call cost 20 µs, one held 3 µs, of a 320x240 JPEG's 400 µs).

    Examples
    --------
    >>> said_by(os.write, 2, b"Corrupt JPEG data: premature end of data segment\\n")
    (49, ['Corrupt JPEG data: premature end of data segment'])
    """
    with _FD2_TURNED:  # the shared file written and read by one thread at a time
        return _shared_keeper().said_by(function, *args)


@lru_cache(maxsize=1)
def _shared_keeper() -> StderrKeeper:
    """The :class:`StderrKeeper` of :func:`said_by`, made at its first call, its temporary file
    (unnamed: nothing on disk) closed when the process ends."""
    keeper = StderrKeeper()
    atexit.register(keeper.close)
    return keeper


@contextmanager
def _fd2_to(fd: int) -> Iterator[None]:
    """File descriptor 2 writing to ``fd`` in the block (Python's own buffered lines flushed before),
    :data:`_FD2_TURNED` held."""
    with _FD2_TURNED:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(fd, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _lines(written: bytes) -> list[str]:
    """The lines :func:`stderr_kept` keeps of what was ``written``.

    >>> _lines(b"[ERROR:0@0.4] global cap.cpp:1 a\\n\\x1b[2Kbar\\n \\nGot: R\\x01V.\\n[mjpeg @ 0x55cb] overread 8")
    ['a', 'Got: R?V.', 'mjpeg: overread 8']

    A lone escape byte is no terminal's control code: one of the bytes a demuxer quotes from memory
    (was: the line dropped, the demuxer's one message lost)

    >>> _lines(b"Unexpected element. Expected: LIST. Got: \\x1bV.")
    ['Unexpected element. Expected: LIST. Got: ?V.']
    """
    lines = [_printable(line).strip() for line in written.decode(errors="replace").splitlines()
             if line.strip() and "\x1b[" not in line]
    # OpenCV's "[ERROR:0@0.4] global loadsave.cpp:612 " says where in OpenCV, not what; FFmpeg's
    # "[mjpeg @ 0x55cbe623c180] " names the decoder and where it lies in memory, different each run
    return [re.sub(r"^\[(\w+) @ 0x[0-9a-f]+\] ", r"\1: ", re.sub(r"^\[[^]]*\] global \S+ ", "", line)) for line in lines]


def _printable(line: str) -> str:
    """``line`` with each character that does not print as ``?``.

    >>> _printable("Got: R\\x01V.")
    'Got: R?V.'
    """
    return "".join(c if c.isprintable() else "?" for c in line)
