"""The annotation table of a corpus import: one row per clip (:class:`CorpusRow`), read and checked
(:func:`read_corpus_table`), and the clip folder each row names (:func:`subject_folder`,
:func:`clip_folder`).

The table's columns and frame numbers are those :mod:`~evface.datasets.importers.corpus`
describes; :func:`~evface.datasets.importers.corpus.import_corpus` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evface.datasets.importers.annotations import CLIP_ID, NAME_RULE
from evface.datasets.importers.au_labels import parse_aus
from evface.datasets.importers.tables import columns_once, input_file, open_table, table_int, table_rows
from evface.errors import DatasetError, where


_COLUMNS = {
    "subject": "subject", "filename": "filename", "onsetframe": "onset", "apexframe": "apex",
    "offsetframe": "offset", "actionunits": "aus", "estimatedemotion": "emotion",
}


@dataclass(frozen=True)
class CorpusRow:
    """One row of the corpus table (frame numbers as in the file names; apex None when unknown)."""

    subject: str
    filename: str
    onset: int
    apex: int | None
    offset: int
    aus: tuple[int, ...]
    emotion: str
    line: int


def read_corpus_table(path: str | Path) -> list[CorpusRow]:
    """Read and validate a CASME II-style annotation table (CSV); a row with cells past the header
    that are not blank (an unquoted AU list ``4,7``) is refused naming its line and cells (was: the
    cells after it shifted, the last dropped without a word).

    Parameters
    ----------
    path : str or Path
        The table.

    Returns
    -------
    list of CorpusRow
        Its rows, in the table's order.
    """
    path = input_file(path, "annotation table")
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise DatasetError(where(path, "spreadsheets are not read; export the sheet to CSV"))
    with open_table(path) as reader:
        plain = {h: re.sub(r"[\s_]+", "", h.lower()) for h in reader.fieldnames or []}
        columns_once(path, [plain[h] for h in reader.fieldnames or []], set(_COLUMNS))
        names = {h: _COLUMNS.get(plain[h]) for h in plain}
        raw = [(line, {names[k]: (v or "").strip() for k, v in row.items() if names[k]}) for line, row in table_rows(reader, path)]
    missing = sorted({"subject", "filename", "onset", "apex", "offset", "aus"} - set(names.values()))
    if missing:
        wanted = {v: k for k, v in {"Subject": "subject", "Filename": "filename", "OnsetFrame": "onset", "ApexFrame": "apex",
                                    "OffsetFrame": "offset", "Action Units": "aus"}.items()}
        raise DatasetError(where(path, f"missing columns {[wanted[m] for m in missing]}"))
    if not raw:
        raise DatasetError(where(path, "no rows"))
    rows = []
    for line, r in raw:
        src = f"{path}: line {line}"
        onset = _frame_number(src, "onset", r.get("onset", ""))
        apex = None if r.get("apex", "") in ("/", "", "-") else _frame_number(src, "apex", r.get("apex", ""))
        offset = _frame_number(src, "offset", r.get("offset", ""))
        if offset < onset or (apex is not None and not onset <= apex <= offset):
            frames = {"onset": onset, "apex": apex, "offset": offset}
            raise DatasetError(f"{src}: frames must satisfy onset <= apex <= offset (got {frames})")
        if not r.get("subject") or not r.get("filename"):
            raise DatasetError(f"{src}: empty Subject or Filename")
        for column, name in (("Subject", subject_folder(r["subject"])), ("Filename", r["filename"])):
            if not CLIP_ID.match(name):  # both name a folder and the clip's file: nothing outside ROOT and OUT
                raise DatasetError(f"{src}: {column} {r[column.lower()]!r} {NAME_RULE}")  # the cell, not 'sub' + it
        rows.append(CorpusRow(r["subject"], r["filename"], onset, apex, offset,
                              tuple(parse_aus(r.get("aus", ""), source=src)), r.get("emotion", "").lower(), line))
    return rows


def _frame_number(src: str, key: str, cell: str) -> int:
    """The frame number in the ``key`` column's ``cell``; a ``DatasetError`` naming ``src``, the table
    and line, when it is none."""
    try:
        return table_int(cell)
    except ValueError:
        raise DatasetError(f"{src}: {key} frame must be a frame number, got {cell!r}") from None


def subject_folder(subject: str) -> str:
    """``"1"``, ``"01"`` or ``"sub01"`` -> ``"sub01"``; ``"1.0"`` too (a number as a spreadsheet
    may save it, as :func:`~evface.datasets.importers.tables.table_int` reads frame numbers); a
    number of more than 18 digits (leading zeros aside) is kept as it is written.

    Examples
    --------
    >>> [subject_folder(s) for s in ("1", "01", "sub01", "1.0", "Sub12", "07a")]
    ['sub01', 'sub01', 'sub01', 'sub01', 'sub12', 'sub07a']
    >>> subject_folder("0" * 30 + "7"), subject_folder("9" * 5000) == "sub" + "9" * 5000
    ('sub07', True)
    """
    s = subject.strip()
    if s.lower().startswith("sub"):
        s = s[3:]
    number = re.fullmatch(r"0*(\d{1,18})(\.0+)?", s)  # more digits: a name (int() reads no more than 4300, ValueError)
    return f"sub{int(number.group(1)):02d}" if number else f"sub{s}"


def clip_folder(row: CorpusRow) -> str:
    """A row's clip folder under ROOT, ``SUBJECT/FILENAME`` (``sub01/EP01_01``)."""
    return f"{subject_folder(row.subject)}/{row.filename}"
