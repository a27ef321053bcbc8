"""CSV events files read: rows ``t,x,y,on`` parsed here (faery's CSV decoder silently clamps
decreasing timestamps, which would hide an unsorted file) and the sensor size a header line
``t,x@W,y@H,on`` gives.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from evface.checks import INT64
from evface.errors import EventsError, FormatError, where
from evface.events.core import EVENT_DTYPE, SensorSize


def parse_csv_rows(path: Path, body: bytes, first_row: int) -> np.ndarray:
    try:
        table = np.loadtxt(io.StringIO(body.decode("utf-8")), delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, UnicodeDecodeError) as exc:
        at = _first_bad_line(body, first_row) or f"rows from {first_row} ({exc})"
        raise FormatError(where(path, f"{at}: not a row of 4 whole numbers t,x,y,on; corrupt or truncated "
                                      "CSV")) from None
    if table.shape[1] != 4:
        raise FormatError(where(path, f"{_row_line(body, first_row, 0)}: {table.shape[1]} columns, expected 4 "
                                      "(t,x,y,on)"))
    t, x, y, on = table.T
    off = (x < 0) | (y < 0) | (x > 65535) | (y > 65535)
    bad_p = (on != 0) & (on != 1) & (on != -1)
    if off.any() or bad_p.any():
        k = int(np.flatnonzero(off | bad_p)[0])
        at = _row_line(body, first_row, k)
        if off[k]:
            raise EventsError(where(path, f"{at}: coordinates outside 0..65535"))
        raise FormatError(where(path, f"{at}: polarity {int(on[k])}, expected 1, 0 or -1"))
    events = np.empty(t.size, dtype=EVENT_DTYPE)
    events["t"], events["x"], events["y"] = t, x, y
    events["p"] = np.where(on > 0, 1, -1)
    return events


def _rows(body: bytes, first_row: int) -> Iterator[tuple[str, list[bytes]]]:
    """Each line of ``body`` (line ``first_row`` of the file on) that numpy's parser reads as a row,
    neither blank nor a ``#`` comment: ``line N: 'its text'`` and its fields."""
    for i, line in enumerate(body.split(b"\n")):
        fields = line.split(b"#")[0].strip().split(b",")
        if fields != [b""]:
            yield f"line {first_row + i}: {line.decode('utf-8', 'replace').strip()[:80]!r}", fields


def _row_line(body: bytes, first_row: int, k: int) -> str:
    """``line N: 'its text'`` for row ``k`` (from 0) of the table numpy parsed from ``body``.

    Examples
    --------
    >>> _row_line(b"0,1,1,1\\n\\n# note\\n5,2,2,7\\n", 2, 1)
    "line 5: '5,2,2,7'"
    """
    return next(itertools.islice(_rows(body, first_row), k, None))[0]


def _first_bad_line(body: bytes, first_row: int) -> str | None:
    """``line N: 'its text'`` for the first line of ``body`` (line ``first_row`` of the file on) that
    is neither blank, a ``#`` comment nor four whole numbers within int64, which numpy's parser
    refused (its message numbered rows and columns within the block from 0, and advised ``usecols``);
    None where each is one.

    Examples
    --------
    >>> _first_bad_line(b"0,1,1,1\\n\\n# note\\n5,2,2,0,9\\n", 2)
    "line 5: '5,2,2,0,9'"
    """
    return next((line for line, fields in _rows(body, first_row) if not _whole_numbers(fields)), None)


def _whole_numbers(fields: list[bytes]) -> bool:
    """Whether ``fields`` are four whole numbers within int64 (digits, a sign, no ``_``)."""
    return len(fields) == 4 and all(re.fullmatch(rb"\s*[+-]?[0-9]+\s*", field) and INT64[0] <= int(field) <= INT64[1]
                                    for field in fields)


_CSV_COLUMNS = (("t", "ts", "time", "timestamp"), ("x",), ("y",), ("on", "p", "pol", "polarity"))
"""The names a CSV header may give its four columns, in the order the rows hold them."""


_BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark that spreadsheet and Windows exporters write before the first line."""


def _first_line(path: Path) -> tuple[str, int]:
    """A CSV's first line (up to 4096 bytes) as text, and the byte offset it starts at: after the UTF-8
    byte-order mark if the file has one (it was read as part of the line: a header that began with it
    was refused, and a headerless file's first row was taken for a header and lost)."""
    with open(path, "rb") as f:
        line = f.readline(4096)
    start = len(_BOM) if line.startswith(_BOM) else 0
    return line[start:].decode("utf-8", "replace").strip(), start


def csv_rows_start(path: Path) -> tuple[int, int]:
    """The byte offset and line number of a CSV's first row: the second line after a header or
    comment line (a first line with a letter), else the first (after a byte-order mark)."""
    first, start = _first_line(path)
    if not any(c.isalpha() for c in first):
        return start, 1
    with open(path, "rb") as f:
        return len(f.readline()), 2


def csv_header_size(path: Path) -> SensorSize | None:
    """The sensor size in a CSV header (``t,x@W,y@H,on``), or None for a header without one, a
    comment (``# ...``) or a file without a header (a first line with no letter); a first line
    that is none of these is refused."""
    first, _ = _first_line(path)
    if first.startswith("#") or not any(c.isalpha() for c in first):
        return None
    columns = [column.partition("@") for column in first.split(",")]
    if len(columns) != 4 or any(name.strip().lower() not in names for (name, _, _), names in zip(columns, _CSV_COLUMNS, strict=True)):
        raise FormatError(where(path, f"the first line {first[:80]!r} is neither a header naming the columns "
                                      "t, x, y and on (or p), as in 't,x@W,y@H,on', a comment ('# ...') nor a row of "
                                      "4 integers"))
    width, height = columns[1][2].strip(), columns[2][2].strip()
    return (int(width), int(height)) if all(v.isascii() and v.isdigit() for v in (width, height)) else None
