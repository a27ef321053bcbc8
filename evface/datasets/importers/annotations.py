"""Annotation tables of recording sessions: CSV parsing and validation.

One row per clip. Columns (header names are case-insensitive; other columns are ignored):

=================  =========================================================================
``subject``        subject id, letters, digits, ``_ . -``, the first a letter or digit (:func:`check_name`;
                   may be left out when a default subject is given)
``aus``            action units, ``+``-joined: ``1+2``, ``AU6+AU12``, ``L12`` (side prefixes
                   ``L``/``R``/``B`` and an ``AU`` prefix are dropped), empty for none
times              either all five of ``start_us, onset_us, apex_us, offset_us, end_us``
                   (µs on the session clock, i.e. the RGB camera's timestamps) or all five of
                   ``start_frame, onset_frame, apex_frame, offset_frame, end_frame`` (0-based RGB
                   frame indices)
``clip_id``        optional; default ``<subject>_c<NNN>`` numbered in file order; short enough
                   for its file's name (:func:`check_clip_file`: 252 characters)
``label``          optional; default ``AU`` + the ``+``-joined sorted AUs (``AU1+2``)
``lighting``       optional; default ``unknown``
``face_x`` ...     optional, all four of ``face_x, face_y, face_w, face_h``: the clip's face
                   box in RGB pixels of the video, which wins over ``--face-box`` and the
                   detector (a row with the four cells empty keeps them)
=================  =========================================================================

A frame-indexed row maps frame ``k`` to the start of its exposure ``t[k]``; ``end_frame`` is
inclusive, so ``end_us = t[end_frame] + frame period``, or the next frame's start when it comes
sooner (frames placed at ``round(k / fps)``, a timestamp file's jitter, a variable frame rate): a
clip holds its frames ``start_frame .. end_frame``, no more. Every row must satisfy
``start <= onset <= apex <= offset <= end`` and ``start < end``.

The table is read as every importer's tables are (:mod:`~evface.datasets.importers.tables`), its
AU lists and labels by :mod:`~evface.datasets.importers.au_labels`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evface.datasets.importers.au_labels import label_from_aus, parse_aus
from evface.datasets.importers.tables import columns_once, input_file, open_table, table_int, table_rows
from evface.errors import DatasetError, where
from evface.io.manifest import differ_in_case
from evface.io.temporary_files import NAME_MAX

TIME_FIELDS = ("start", "onset", "apex", "offset", "end")
FACE_FIELDS = ("face_x", "face_y", "face_w", "face_h")
CLIP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # also a file name: no path separators
NAME_RULE = "must use only letters, digits, '_', '.', '-' and start with a letter or digit"
"""What :data:`CLIP_ID` allows, the whole rule, as the refusals of a clip id or subject say it (``.``,
``..`` and ``-x`` use only those characters: the first one is what refuses them)."""


def check_name(src: str, column: str, name: str) -> None:
    """A DatasetError naming ``src`` and ``column`` unless ``name`` (a row's subject, a corpus
    folder) is a name :data:`CLIP_ID` allows: every importer's subjects follow one rule.

    Examples
    --------
    >>> check_name("ann.csv: line 2", "subject", "s01")
    >>> check_name("ann.csv: line 2", "subject", "../s 01")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ann.csv: line 2: subject '../s 01' must use only letters, digits, '_', '.', '-' and start with a letter or digit
    """
    if not CLIP_ID.match(name):
        raise DatasetError(f"{src}: {column} {name!r} {NAME_RULE}")




def check_clip_file(src: str, column: str, cell: str, clip_id: str) -> None:
    """A DatasetError naming ``src`` and ``column`` (its ``cell``, what the id ``clip_id`` is made
    of) unless the clip's file ``ID.h5`` is a file name a file system takes
    (:data:`~evface.io.temporary_files.NAME_MAX` bytes; the temporary name it is written under is
    shortened to fit, :func:`~evface.io.temporary_files.fitting_base`; was: 62 bytes less, left for
    that name): refused as the table is read, not as the clip is written after the scans ("File
    name too long", naming a path).

    Examples
    --------
    >>> check_clip_file("ann.csv: line 2", "clip_id", "s01_a", "s01_a")
    >>> check_clip_file("ann.csv: line 2", "clip_id", "c" * 300, "c" * 300)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ann.csv: line 2: clip_id 'cccccccccccccccc…cccccccc' (300 characters) makes the clip's file name 'cccccccccccccccc…cccccccc.h5' 303 bytes long, and a file name holds 255 bytes at most; shorten clip_id by 48 characters
    """
    name = f"{clip_id}.h5"
    size = len(name.encode())
    if size > NAME_MAX:
        raise DatasetError(f"{src}: {column} {_shortened(cell)!r} ({len(cell)} characters) makes the clip's file name "
                           f"{_shortened(clip_id) + '.h5'!r} {size} bytes long, and a file name holds {NAME_MAX} bytes "
                           f"at most; shorten {column} by {size - NAME_MAX} character{'s' * (size - NAME_MAX > 1)}")


def _shortened(text: str) -> str:
    """``text`` as one line of an error shows it: its first 16 and last 8 characters around ``…``
    when it has more than 40.

    Examples
    --------
    >>> _shortened("s01_a"), _shortened("9" * 5000)
    ('s01_a', '9999999999999999…99999999')
    """
    return text if len(text) <= 40 else f"{text[:16]}…{text[-8:]}"


@dataclass(frozen=True)
class Annotation:
    """One annotated clip; times in µs on the session clock; ``line`` is its CSV line;
    ``face_box`` the row's own ``[x, y, w, h]`` (RGB pixels of the video), or None."""

    clip_id: str
    subject: str
    label: str
    aus: tuple[int, ...]
    lighting: str
    start_us: int
    onset_us: int
    apex_us: int
    offset_us: int
    end_us: int
    line: int = 0
    face_box: tuple[float, float, float, float] | None = None

    @property
    def duration_us(self) -> int:
        """Length of the clip window ``end_us - start_us``."""
        return self.end_us - self.start_us


def read_annotations(
    path: str | Path,
    *,
    frame_times_us: np.ndarray | None = None,
    frame_period_us: int | None = None,
    default_subject: str | None = None,
    default_lighting: str = "unknown",
) -> list[Annotation]:
    """Read and validate a session's annotation CSV.

    Parameters
    ----------
    path : path
        The CSV file (see the module docstring for its columns).
    frame_times_us : (N,) int64, optional
        Exposure start of each RGB frame on the session clock; needed for frame-indexed rows.
    frame_period_us : int, optional
        Added to ``t[end_frame]``, at most up to the next frame's start (default: the median frame
        spacing).
    default_subject : str, optional
        Used when the file has no ``subject`` column or the cell is empty.
    default_lighting : str
        Used when the file has no ``lighting`` column or the cell is empty.

    Returns
    -------
    list of Annotation, in file order.

    Raises
    ------
    DatasetError
        Naming the file, the line and the problem: a missing file or column, a column named
        twice, a subject :func:`check_name` refuses, a non-integer time, times out of order, a
        frame index outside the video, a duplicate clip id (or two that differ only in case), a
        subject's clip window listed twice, a face box that is not four numbers with a positive size,
        a clip id too long for its clip's file name (:func:`check_clip_file`), a cell that is not
        blank beyond the header's columns (a comma inside an unquoted AU list).
    """
    path = Path(path)
    header, rows = _table(path)
    unit = _check_header(path, header, rows, frame_times_us is not None, default_subject)
    frame_t = None if frame_times_us is None else np.asarray(frame_times_us, dtype=np.int64)
    if frame_t is not None and frame_period_us is None:
        frame_period_us = int(np.median(np.diff(frame_t))) if frame_t.size > 1 else 0
    ids = _ClipIds()
    out: list[Annotation] = []
    for line, row in rows:
        src = f"{path}: line {line}"
        subject = row.get("subject") or default_subject
        if not subject:
            raise DatasetError(f"{src}: empty subject")
        check_name(src, "subject", str(subject))
        times = _ordered(src, _row_times(src, row, unit, frame_t, frame_period_us or 0))
        aus = parse_aus(row.get("aus", ""), source=src)
        clip_id = ids.take(src, line, row.get("clip_id", ""), str(subject), times)
        check_clip_file(src, *_made_of(row, str(subject)), clip_id)
        out.append(Annotation(
            clip_id=clip_id, subject=str(subject), label=row.get("label") or label_from_aus(aus), aus=tuple(aus),
            lighting=row.get("lighting") or default_lighting,
            start_us=times[0], onset_us=times[1], apex_us=times[2], offset_us=times[3], end_us=times[4], line=line,
            face_box=_row_face_box(src, row),
        ))
    return out


def check_annotation_table(path: str | Path, default_subject: str | None = None) -> None:
    """Refuse, before any pass over a recording, what :func:`read_annotations` refuses without the
    RGB frame times: a missing or unreadable file, a header without a needed column, no rows, a row
    with cells beyond the header (was: found only after the trigger pass and the RGB scan of a
    session import, minutes into an hour's recording).

    Parameters
    ----------
    path : str or Path
        The annotation CSV.
    default_subject : str, optional
        The subject of a table without a ``subject`` column (``--subject``).

    Raises
    ------
    DatasetError
        Naming the file (and the line) and the problem.
    """
    path = Path(path)
    header, rows = _table(path)
    _check_header(path, header, rows, True, default_subject)  # frame-indexed rows are checked once the frames are timed


def _made_of(row: dict[str, str], subject: str) -> tuple[str, str]:
    """The column a row's clip id is made of and its text: its ``clip_id``, or else its subject, or
    else the default subject (``<subject>_c<NNN>``)."""
    if row.get("clip_id"):
        return "clip_id", row["clip_id"]
    return ("subject", subject) if row.get("subject") else ("default subject (--subject)", subject)


def _table(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The annotation table's header (names stripped, lower case) and rows
    (:func:`~evface.datasets.importers.tables.table_rows`: each with its line, cells by those names,
    stripped, a missing one empty); a header that names a column twice is refused
    (:func:`~evface.datasets.importers.tables.columns_once`), and a row with cells beyond the
    header's columns that are not blank."""
    input_file(path, "annotation file")
    with open_table(path) as reader:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        columns_once(path, header, {"subject", "aus", "clip_id", "label", "lighting", *FACE_FIELDS,
                                    *(f"{n}_{unit}" for n in TIME_FIELDS for unit in ("us", "frame"))})
        rows = [(line, {k.strip().lower(): (v or "").strip() for k, v in row.items()}) for line, row in table_rows(reader, path)]
    return header, rows


def _check_header(path: Path, header: list[str], rows: list, frame_times: bool, default_subject: str | None) -> str:
    """The table's time unit (``us`` or ``frame``: :func:`_time_unit`), after refusing a table
    without a header, rows or a needed column, frame-indexed rows without the RGB ``frame_times``,
    or some of the four face-box columns without the others."""
    if not header:
        raise DatasetError(where(path, "empty annotation file (expected a header line)"))
    unit = _time_unit(path, header)
    if unit == "frame" and not frame_times:
        raise DatasetError(where(path, "frame-indexed annotations need the RGB frame times"))
    if "subject" not in header and default_subject is None:
        raise DatasetError(where(path, "missing column 'subject' (or give a default subject)"))
    if "aus" not in header:
        raise DatasetError(where(path, "missing column 'aus'"))
    if not rows:
        raise DatasetError(where(path, "no annotation rows"))
    if any(f in header for f in FACE_FIELDS) and not all(f in header for f in FACE_FIELDS):
        raise DatasetError(where(path, f"a face box needs all four columns {', '.join(FACE_FIELDS)}; "
                                       f"missing {', '.join(f for f in FACE_FIELDS if f not in header)}"))
    return unit


def _ordered(src: str, times: list[int]) -> list[int]:
    """``times`` (start, onset, apex, offset, end), refused unless in order with ``start < end``.

    Examples
    --------
    >>> _ordered("a.csv: line 2", [0, 30, 20, 40, 50])
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: a.csv: line 2: times must satisfy start <= onset <= apex <= offset <= end and start < end (got start=0, onset=30, apex=20, offset=40, end=50 µs)
    """
    if not (times[0] <= times[1] <= times[2] <= times[3] <= times[4]) or times[0] >= times[4]:
        named = ", ".join(f"{n}={v}" for n, v in zip(TIME_FIELDS, times, strict=True))
        raise DatasetError(f"{src}: times must satisfy start <= onset <= apex <= offset <= end and start < end (got {named} µs)")
    return times


class _ClipIds:
    """The clip ids of one table's rows so far: a row's own or default one
    (``<subject>_c<NNN>``, numbered per subject in file order), refused when it is no file name,
    when another row took it (or one that differs only in case), or when another row of the same
    subject has the same clip window."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, int]] = {}  # by the id regardless of case: the first id and its line
        self._counters: dict[str, int] = {}
        self._windows: dict[tuple[str, int, int], int] = {}  # (subject, start, end): the first line

    def take(self, src: str, line: int, given: str, subject: str, times: list[int]) -> str:
        """The clip id of the row on ``line`` (``src`` names it): ``given``, or the default."""
        clip_id = given or f"{subject}_c{self._counters.get(subject, 0):03d}"
        self._counters[subject] = self._counters.get(subject, 0) + 1
        if not CLIP_ID.match(clip_id):  # a default one is: its subject passed check_name
            raise DatasetError(f"{src}: clip id {clip_id!r} {NAME_RULE}")
        first, first_line = self._seen.setdefault(clip_id.casefold(), (clip_id, line))
        if first_line != line:
            raise DatasetError(f"{src}: duplicate clip id {clip_id!r} (first on line {first_line})" if first == clip_id
                               else f"{src}: {differ_in_case(first, clip_id)} ({first!r} on line {first_line}); give "
                                    "one of the two rows another clip_id")
        first_window = self._windows.setdefault((subject, times[0], times[4]), line)
        if first_window != line:
            raise DatasetError(f"{src}: subject {subject}'s clip {times[0]}..{times[4]} µs is line {first_window}'s too: "
                               "the same frames and events twice (a repeated row?); remove one of the two")
        return clip_id


def _row_face_box(src: str, row: dict[str, str]) -> tuple[float, float, float, float] | None:
    """The row's face box from its four face columns, or None where they are empty (or absent).

    Examples
    --------
    >>> _row_face_box("a.csv: line 2", {"face_x": "10", "face_y": "20", "face_w": "64", "face_h": "64.5"})
    (10.0, 20.0, 64.0, 64.5)
    >>> _row_face_box("a.csv: line 2", {"face_x": "10", "face_y": "", "face_w": "64", "face_h": "64"})
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: a.csv: line 2: face_x, face_y, face_w, face_h must be four numbers (RGB pixels) with a positive size, or all empty; got '10', '', '64', '64'
    """
    cells = [row.get(f, "") for f in FACE_FIELDS]
    if not any(cells):
        return None
    problem = DatasetError(f"{src}: {', '.join(FACE_FIELDS)} must be four numbers (RGB pixels) with a positive size, "
                           f"or all empty; got {', '.join(repr(c) for c in cells)}")
    try:
        x, y, w, h = (float(c) for c in cells)
    except ValueError:
        raise problem from None
    if not np.all(np.isfinite((x, y, w, h))) or min(w, h) <= 0:
        raise problem
    return x, y, w, h


def _time_unit(path: Path, header: list[str]) -> str:
    for unit in ("us", "frame"):
        if all(f"{name}_{unit}" in header for name in TIME_FIELDS):
            return unit
    wanted = " or ".join(", ".join(f"{n}_{u}" for n in TIME_FIELDS) for u in ("us", "frame"))
    raise DatasetError(where(path, f"missing time columns: expected all of {wanted}"))


def _row_times(src: str, row: dict[str, str], unit: str, frame_t: np.ndarray | None, period_us: int) -> list[int]:
    values = []
    for name in TIME_FIELDS:
        cell = row.get(f"{name}_{unit}", "")
        try:
            value = table_int(cell)
        except ValueError:
            raise DatasetError(f"{src}: column {name}_{unit} must be an integer within ±2**62, got {cell!r}") from None
        values.append(value)
    if unit == "us":
        return values
    assert frame_t is not None
    for name, k in zip(TIME_FIELDS, values, strict=True):
        if not 0 <= k < frame_t.size:
            raise DatasetError(f"{src}: {name}_frame={k} is outside the recording (the video has {frame_t.size} frames)")
    times = [int(frame_t[k]) for k in values]
    after = values[4] + 1  # the clip ends before the next frame's exposure, which its period may pass
    times[4] = min(times[4] + period_us, int(frame_t[after])) if after < frame_t.size else times[4] + period_us
    return times
