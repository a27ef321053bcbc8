"""faery, which reads and writes most camera formats for evface: its events dtype and its errors.

faery's events (``uint64 t``, ``bool on``) and evface's (:data:`evface.events.core.EVENT_DTYPE`,
``p`` of -1/+1) are 13 packed bytes with the same offsets; :func:`from_faery` and :func:`to_faery`
convert between them. Whatever faery or the file system raises while a file is read or written
becomes a :class:`~evface.errors.FormatError` naming the file (:func:`faery_errors`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from evface.errors import EventsError, FormatError, where
from evface.events.core import EVENT_DTYPE
from evface.io import evt as io_evt

FAERY_DTYPE = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("on", "?")])
FAERY_READ_FORMATS = ("evt3", "evt2", "dat", "es", "aedat4")
FAERY_WRITE_FORMATS = ("evt2", "dat", "es", "csv", "aedat4")


def faery_name(path: Path, fmt: str) -> Path:
    """``path`` as faery opens it: its bytes (:func:`os.fsencode`) decoded as UTF-8, as faery
    encodes the name it is given. In the C locale (``LC_ALL=C``, no UTF-8 mode) Python decodes a
    name as ASCII, keeping each other byte as a surrogate, which faery cannot encode: a valid
    UTF-8 name such as ``café.raw`` was refused as not UTF-8. A name that is not UTF-8 is refused:
    faery would read it as missing, and write it under another name that an error leaves behind.
    Writers check it for every format faery reads or writes, so that nothing is written that
    evface cannot read back.

    Examples
    --------
    >>> str(faery_name(Path(os.fsdecode(b"caf\\xc3\\xa9.raw")), "evt2"))
    'café.raw'
    """
    try:
        return Path(os.fsencode(path).decode("utf-8"))
    except UnicodeDecodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise FormatError(where(shown, f"the file name is not UTF-8 text, and faery, which evface uses for {fmt} "
                                      "files, takes UTF-8 names only: rename the file or its folder")) from None


def from_faery(packet: np.ndarray) -> np.ndarray:
    """faery events (uint64 t, bool on) -> evface events, reusing the buffer (no per-event loop).

    Both dtypes are 13 packed bytes with the same offsets, so the array is reinterpreted and the
    polarity byte mapped 0/1 -> -1/+1 in place (one numba pass, well under 1 ns/event).

    Examples
    --------
    >>> packet = np.array([(0, 1, 2, True), (7, 3, 4, False)], dtype=FAERY_DTYPE)
    >>> events = from_faery(packet)
    >>> events.dtype == EVENT_DTYPE, events["t"].tolist(), events["p"].tolist()
    (True, [0, 7], [1, -1])
    """
    if packet.dtype.itemsize != EVENT_DTYPE.itemsize or not packet.flags.writeable:
        packet = packet.astype(FAERY_DTYPE)
    events = packet.view(EVENT_DTYPE)
    io_evt.on_to_signed(events["p"])
    return events


def to_faery(events: np.ndarray) -> np.ndarray:
    """evface events -> a new array in faery's dtype (uint64 t, bool on).

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> packet = to_faery(make_events([0, 7], [1, 3], [2, 4], [1, -1]))
    >>> packet.dtype.names, packet["t"].tolist(), packet["on"].tolist()
    (('t', 'x', 'y', 'on'), [0, 7], [True, False])
    """
    out = events.copy().view(FAERY_DTYPE)
    out["on"] = events["p"] > 0
    return out


def _faery_error(path: Path, exc: BaseException, writing: bool, cause: str) -> FormatError:
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip()) or type(exc).__name__
    if writing:
        return FormatError(where(path, f"cannot write ({text}); nothing was written"))
    return FormatError(where(path, f"cannot decode ({text}): {cause or 'the file is corrupt, truncated or not this format'}"))


@contextlib.contextmanager
def faery_errors(path: Path, *, writing: bool = False, cause: str = "") -> Iterator[None]:
    """Turn anything faery or the file system raises (Rust panics are BaseExceptions) into FormatError
    (``cause``: what most likely went wrong in reading, when it is known better than "corrupt")."""
    try:
        yield
    except (FormatError, EventsError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3 panics derive from BaseException
        raise _faery_error(path, exc, writing, cause) from None
