"""The CSV tables an importer reads, as people write them in spreadsheets: the separator Excel
names or the header uses (comma, semicolon, tab), UTF-8 or UTF-16 text with its byte-order mark
dropped, bytes that are no text named by their line, rows named by their line in the file, blank
and bare-delimiter rows skipped, a column named twice refused, and whole numbers as spreadsheets
save them (``33333.0``).
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from evface.errors import DatasetError, where
from evface.io.manifest import row_start_line

def input_file(path: str | Path, what: str, error: type[Exception] = DatasetError) -> Path:
    """``path``, the ``what`` an importer reads, when it is a file; else ``error`` naming it: a
    folder (was: "not found", of a folder that is there), or not found.

    Examples
    --------
    >>> input_file(".", "annotation file")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: .: is a folder, where the annotation file is expected; give the file
    >>> input_file("missing.csv", "annotation file")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: missing.csv: annotation file not found
    """
    path = Path(path)
    if path.is_dir():
        raise error(where(path, f"is a folder, where the {what} is expected; give the file"))
    if not path.is_file():
        raise error(where(path, f"{what} not found"))
    return path


INT_LIMIT = 1 << 62
"""The largest time or frame number a table may hold (int64 arrays take them, with room for sums)."""


def table_int(cell: str) -> int:
    """The whole number a table cell holds (``33333``, or ``33333.0`` as a spreadsheet may save it).

    Raises ValueError for text that is not a whole number (``12.5``, ``inf``, ``nan``) or lies
    beyond :data:`INT_LIMIT` either way (numpy's int64 arrays would refuse it later).

    Examples
    --------
    >>> table_int(" 33333 "), table_int("12.0")
    (33333, 12)
    >>> table_int("1" + "0" * 20)
    Traceback (most recent call last):
    ...
    ValueError: 100000000000000000000 lies beyond 2**62
    """
    text = cell.strip()
    try:
        value = int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a whole number") from None
        value = int(number)
    if not -INT_LIMIT <= value <= INT_LIMIT:
        raise ValueError(f"{text} lies beyond 2**62")
    return value


SEPARATOR_LINE = re.compile(r'^"?sep=([^\w\s"]|\t)"?\s*$', re.IGNORECASE)
"""Excel's first line naming the table's separator (``sep=;``), written for some locales."""
SAVE_AS_UTF8 = 'save it as UTF-8 (in Excel: Save As "CSV UTF-8")'


def table_reader(fh: TextIO) -> csv.DictReader:
    """A :class:`csv.DictReader` over ``fh`` with the separator that Excel's first line names
    (``sep=;``, then skipped), else the header line's: a comma, or the semicolon or tab that
    spreadsheets write in many locales (open ``fh`` with :func:`table_encoding`: their byte-order
    mark is dropped).

    Examples
    --------
    >>> import io
    >>> next(table_reader(io.StringIO("subject;aus\\ns01;1+2\\n")))
    {'subject': 's01', 'aus': '1+2'}
    >>> reader = table_reader(io.StringIO("sep=;\\r\\nsubject;aus\\r\\ns01;1,2\\r\\n"))
    >>> next(reader), reader.line_num
    ({'subject': 's01', 'aus': '1,2'}, 3)
    """
    first = fh.readline()
    fh.seek(0)
    named = SEPARATOR_LINE.match(first)
    reader = csv.DictReader(fh, delimiter=named.group(1) if named else max((",", ";", "\t"), key=first.count))
    if named:
        next(reader.reader)  # the line counts, so that rows are named by their line in the file
    return reader


def table_encoding(path: Path) -> str:
    """``utf-16`` for a file that starts with a UTF-16 byte-order mark (Excel's "Unicode text"),
    else ``utf-8-sig`` (UTF-8, a byte-order mark dropped)."""
    with path.open("rb") as fh:
        return "utf-16" if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"


UTF16_SAMPLE = 4096
"""Characters at the start of a UTF-16 table that :func:`utf16_nonsense` looks at."""


def utf16_nonsense(text: str) -> bool:
    """Whether ``text``, decoded as UTF-16 from a file that starts with its byte-order mark, is no
    table but other bytes read as UTF-16 (two bytes of ASCII or UTF-8 make one CJK ideograph): its
    first line that is not blank holds no ASCII letter, digit, sign or separator (every header and
    number is written in them), or its first :data:`UTF16_SAMPLE` characters hold a NUL or an
    unassigned character.

    Examples
    --------
    >>> utf16_nonsense("subject\\taus\\ns01\\t12\\n"), utf16_nonsense("t_us\\n0\\n")
    (False, False)
    >>> utf16_nonsense(b"subject,aus\\ns01,1\\n".decode("utf-16-le"))
    True
    """
    sample = text[:UTF16_SAMPLE]
    first = next((line for line in sample.splitlines() if line.strip()), None)
    if first is not None and not any(" " < c < "\x7f" or c == "\t" for c in first):
        return True
    return any(c == "\0" or unicodedata.category(c) in ("Cn", "Cs") for c in sample)


def undecodable(path: Path, encoding: str) -> str:
    """Why ``path`` is no text in ``encoding`` (:func:`table_encoding`), naming the line of the first
    byte that is not, and what to do.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "a.csv"
    ...     _ = path.write_bytes("subject\\nM\\u00fcller\\n".encode("latin-1"))
    ...     undecodable(path, "utf-8-sig")
    'not UTF-8 text (byte 0xfc on line 2: a Latin-1 or Windows file?); save it as UTF-8 (in Excel: Save As "CSV UTF-8")'
    """
    if encoding == "utf-16":  # its bytes 0x0a are not all line ends
        return f"not UTF-16 text, though it starts with UTF-16's byte-order mark; {SAVE_AS_UTF8}"
    decoder = codecs.getincrementaldecoder(encoding)()
    line, chunk = 1, b"-"
    with path.open("rb") as fh:
        while chunk:
            chunk = fh.read(1 << 16)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:  # exc.object: a partial character held over (no line end), then chunk
                at = line + exc.object.count(b"\n", 0, exc.start)
                return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {at}: a Latin-1 or Windows file?); {SAVE_AS_UTF8}"
            line += chunk.count(b"\n")
    return f"not UTF-8 text; {SAVE_AS_UTF8}"  # the file changed since it was read


@contextmanager
def open_table(path: Path, error: type[Exception] = DatasetError) -> Iterator[csv.DictReader]:
    """The :func:`table_reader` of the table at ``path``, read in its :func:`table_encoding`; bytes
    that are no text in it, UTF-16 text that is no table (:func:`utf16_nonsense`), or a CSV error,
    raise one ``error`` naming the file (and for bytes the line and what to do: :func:`undecodable`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "a.csv"
    ...     _ = path.write_text("subject\\taus\\ns01\\t12\\n", encoding="utf-16")
    ...     with open_table(path) as reader:
    ...         list(reader)
    [{'subject': 's01', 'aus': '12'}]
    """
    encoding = table_encoding(path)
    try:
        with path.open(newline="", encoding=encoding) as fh:
            if encoding == "utf-16" and utf16_nonsense(fh.read(UTF16_SAMPLE)):  # was: "missing columns"
                raise error(where(path, undecodable(path, encoding)))
            fh.seek(0)
            yield table_reader(fh)
    except UnicodeDecodeError:
        raise error(where(path, undecodable(path, encoding))) from None
    except csv.Error as exc:
        raise error(where(path, f"not a readable CSV file ({exc})")) from exc


def delimiter_name(delimiter: str) -> str:
    """How a hint names a table's ``delimiter``: ``a comma``, ``a semicolon``, ``a tab``, else the
    character quoted (Excel's ``sep=|``).

    Parameters
    ----------
    delimiter : str
        The table's delimiter (:func:`table_reader`'s).

    Returns
    -------
    str
        Its name, with its article.

    Examples
    --------
    >>> delimiter_name(";"), delimiter_name("|")
    ('a semicolon', "a '|'")
    """
    return {",": "a comma", ";": "a semicolon", "\t": "a tab"}.get(delimiter, f"a {delimiter!r}")


def au_list_split(delimiter: str) -> str:
    """What :func:`table_rows` says splits a row of an annotation or corpus table separated by
    ``delimiter`` into more cells than its header names, and what to do: the delimiter inside an
    unquoted AU list (was: "a comma inside a cell", of a semicolon or tab table too).

    Parameters
    ----------
    delimiter : str
        The table's delimiter.

    Returns
    -------
    str
        The hint.

    Examples
    --------
    >>> au_list_split(";")
    "a semicolon inside a cell splits it (an AU list 1;2): join the AUs with '+' (1+2) or quote the cell"
    >>> au_list_split("\\t")
    "a tab inside a cell splits it: join the AUs with '+' (1+2) or quote the cell"
    """
    example = "" if delimiter == "\t" else f" (an AU list 1{delimiter}2)"
    return f"{delimiter_name(delimiter)} inside a cell splits it{example}: join the AUs with '+' (1+2) or quote the cell"


def separator_split(delimiter: str) -> str:
    """What :func:`table_rows` says splits a row of a table of numbers separated by ``delimiter``
    (a semicolon or tab: a decimal comma splits none of its cells) into more cells than its header
    names, and what to do.

    Parameters
    ----------
    delimiter : str
        The table's delimiter.

    Returns
    -------
    str
        The hint.

    Examples
    --------
    >>> separator_split(";")
    'a semicolon inside a cell splits it: quote the cell'
    """
    return f"{delimiter_name(delimiter)} inside a cell splits it: quote the cell"


DECIMAL_COMMA_SPLIT = ("a comma inside a cell splits it (a decimal comma 10,5): write 10.5, or separate the columns "
                       "with ';' (decimal commas are read then), or quote the cell")
"""What :func:`table_rows` says splits a row of a comma-separated table of numbers (point pairs)."""


def table_rows(reader: csv.DictReader, refuse_beyond: Path | None = None, split: str | None = None,
               error: type[Exception] = DatasetError) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Each row of ``reader`` (:func:`table_reader`) that holds a cell, with the line in the file it
    starts on (a quoted cell may hold line breaks; was: the line it ends on),
    and its cells by the header's names (cells beyond the header dropped, a short row's missing
    ones None). csv skips blank lines, so rows counted from line 2 named the wrong line after one;
    a row of bare delimiters (``,,,,``: spreadsheets export the empty rows they once formatted) is
    skipped like a blank line. With ``refuse_beyond`` (the table's path), a row with a cell that is
    not blank beyond the header is refused (:func:`_beyond_header`: an ``error`` saying ``split``,
    what splits a cell and what to do, by default :func:`au_list_split` of the table's delimiter),
    not dropped; empty cells past the header (a spreadsheet's export) pass.

    Examples
    --------
    >>> import io
    >>> list(table_rows(table_reader(io.StringIO("a,b\\n1,2\\n\\n,\\n3,4\\n"))))
    [(2, {'a': '1', 'b': '2'}), (5, {'a': '3', 'b': '4'})]
    >>> [line for line, _ in table_rows(table_reader(io.StringIO('a,b\\n"two\\nlines",2\\n3,4\\n')))]
    [2, 4]
    """
    for row in reader:
        cells = {k: v for k, v in row.items() if k is not None}
        every = [c or "" for c in [*cells.values(), *(row.get(None) or [])]]
        if any(c.strip() for c in every):  # csv counts the line a row ends on: a quoted cell may hold line breaks
            line = row_start_line(reader.line_num, every)
            if refuse_beyond is not None:
                hint = split if split is not None else au_list_split(reader.reader.dialect.delimiter)
                _beyond_header(refuse_beyond, line, len(cells), row.get(None) or [], hint, error)
            yield line, cells


def _beyond_header(path: Path, line: int, columns: int, beyond: Sequence[str], split: str,
                   error: type[Exception] = DatasetError) -> None:
    """Refuse the row on ``line`` of the table at ``path`` whose cells ``beyond`` its header's
    ``columns`` are not all blank: a comma inside an unquoted cell (an AU list ``1,2``, a decimal
    comma ``10,5``) shifts the cells after it (was: AU 1 imported, the label '2', the lighting the
    next cell's, the last one dropped without a word); an ``error`` naming the line, the cells and,
    in ``split``, what splits a cell and what to do.

    Examples
    --------
    >>> _beyond_header(Path("ann.csv"), 2, 3, ["", " "], au_list_split(","))
    >>> _beyond_header(Path("ann.csv"), 2, 3, ["dim"], au_list_split(","))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ann.csv: line 2: 4 cells, but the header names 3 columns (cell 4: 'dim'); a comma inside a cell splits it (an AU list 1,2): join the AUs with '+' (1+2) or quote the cell, or name the column in the header
    """
    filled = [(columns + 1 + k, c) for k, c in enumerate(beyond) if (c or "").strip()]
    if filled:
        cells = ", ".join(f"cell {k}: {c!r}" for k, c in filled[:3])
        raise error(f"{path}: line {line}: {columns + len(beyond)} cells, but the header names {columns} columns "
                    f"({cells}); {split}, or name the column in the header")


def columns_once(path: Path, names: list[str], used: set[str] | dict[str, str], error: type[Exception] = DatasetError) -> None:
    """Refuse a header that names a column of ``used`` twice (``Subject`` and ``subject``: the
    table's reader kept the last one's cells without a word); ``names`` are the header's names as
    the reader compares them.

    Examples
    --------
    >>> columns_once(Path("a.csv"), ["subject", "aus", "subject"], {"subject", "aus"})
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: a.csv: the header names column 'subject' twice; remove or rename one
    """
    twice = [n for n in dict.fromkeys(names) if n in used and names.count(n) > 1]
    if twice:
        raise error(where(path, f"the header names column {twice[0]!r} twice; remove or rename one"))
