"""A dataset's ``manifest.csv``: one row per clip, written and read back checked.

``manifest.csv`` has one row per clip with the columns of :data:`MANIFEST_COLUMNS`; ``aus`` is a
``+``-joined list (``"6+12"``). It is written atomically.

A manifest is not trusted: :func:`read_manifest` refuses short or long rows, empty ids, duplicated
clips or files and paths that are absolute or leave the folder (:func:`write_manifest` refuses the
same rows before writing them, and clip ids that differ only in case: :func:`case_twins`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, cast

from evface.errors import DatasetError, ParameterError, where
from evface.io.atomic_files import atomic_write_text
from evface.io.run_output import check_not_run_output

MANIFEST_COLUMNS = (
    "clip_id",
    "subject",
    "label",
    "aus",
    "lighting",
    "file",
    "onset_us",
    "apex_us",
    "offset_us",
    "duration_us",
    "source",
)
_INT_COLUMNS = ("onset_us", "apex_us", "offset_us", "duration_us")
_REQUIRED = ("clip_id", "subject", "label", "file")


def aus_to_str(aus: Iterable[int]) -> str:
    """``[6, 12] -> "6+12"``.

    Parameters
    ----------
    aus : iterable of int
        The action units.

    Returns
    -------
    str
        The AUs joined by ``+``; empty for none.

    Examples
    --------
    >>> aus_to_str([6, 12]), aus_to_str([])
    ('6+12', '')
    """
    return "+".join(str(int(a)) for a in aus)


def aus_from_str(text: str) -> list[int]:
    """``"6+12" -> [6, 12]``; the empty string gives ``[]``.

    Parameters
    ----------
    text : str
        AU numbers joined by ``+``, as a manifest's ``aus`` cell holds them.

    Returns
    -------
    list of int
        The action units.

    Raises
    ------
    ValueError
        A part is not a whole number.

    Examples
    --------
    >>> aus_from_str("6+12"), aus_from_str("")
    ([6, 12], [])
    """
    return [int(a) for a in text.split("+") if a.strip()]


CLIP_KEY_COLUMNS = tuple(key for key in MANIFEST_COLUMNS if key != "file")
"""The manifest columns that say which clip a row is (all but where its file lies)."""


def row_key(row: dict[str, Any]) -> tuple[str, ...]:
    """A manifest row as the text of its :data:`CLIP_KEY_COLUMNS`: two rows with equal keys
    describe the same clip (id, subject, label, AUs, lighting, times and source), wherever their
    folders and files lie.

    Parameters
    ----------
    row : dict of str
        A manifest row, as :func:`read_manifest` gives it (``aus`` a list of int); a column
        other than ``aus`` may be missing (read as empty).

    Returns
    -------
    tuple of str
        The row's :data:`CLIP_KEY_COLUMNS`, as text.

    Examples
    --------
    >>> row_key({"clip_id": "c0", "subject": "s0", "label": "AU4", "aus": [4], "lighting": "dim",
    ...          "file": "clips/c0.h5", "onset_us": 0, "apex_us": 5, "offset_us": 9, "duration_us": 10})
    ('c0', 's0', 'AU4', '4', 'dim', '0', '5', '9', '10', '')
    """
    return tuple(aus_to_str(row[key]) if key == "aus" else str(row.get(key, "")) for key in CLIP_KEY_COLUMNS)


def case_twins(ids: Iterable[str]) -> tuple[str, str] | None:
    """The first two of the clip ``ids`` that differ only in case (in the order given), or None.

    Parameters
    ----------
    ids : iterable of str
        The clip ids.

    Returns
    -------
    tuple of (str, str) or None
        The first id of the pair and the later one that differs from it only in case.

    Examples
    --------
    >>> case_twins(["S01_a", "s02_a", "s01_A"])
    ('S01_a', 's01_A')
    >>> case_twins(["s01_a", "s02_a"]) is None
    True
    """
    seen: dict[str, str] = {}
    for clip_id in ids:
        first = seen.setdefault(clip_id.casefold(), clip_id)
        if first != clip_id:
            return first, clip_id
    return None


def names_a_file(clip_id: str) -> bool:
    r"""Whether ``clip_id`` can name its clip's file ``clips/ID.h5`` in a dataset folder: it is not
    empty and holds no path separator (``/``, nor ``\``, Windows' own), which would place the
    file in another folder (a ``ClipSpec``, ``evface merge``).

    Parameters
    ----------
    clip_id : str
        The clip id.

    Returns
    -------
    bool
        True when the id can be a file name.

    Examples
    --------
    >>> names_a_file("s000_AU1+2_dim_r0"), names_a_file("a/b"), names_a_file("a\\b"), names_a_file("")
    (True, False, False, False)
    """
    return bool(clip_id) and "/" not in clip_id and "\\" not in clip_id


def differ_in_case(first: str, second: str) -> str:
    """Why the clip ids ``first`` and ``second``, which differ only in case, cannot both be in a
    dataset (what a writer refuses, before its advice).

    Parameters
    ----------
    first, second : str
        The two clip ids (:func:`case_twins`).

    Returns
    -------
    str
        The reason, without advice.

    Examples
    --------
    >>> differ_in_case("S01_a", "s01_A")
    "clip ids 'S01_a' and 's01_A' differ only in case: their files clips/ID.h5 would be one file on a case-insensitive file system (macOS, Windows), so a dataset holds ids unique regardless of case"
    """
    return (f"clip ids {first!r} and {second!r} differ only in case: their files clips/ID.h5 would be one file on a "
            "case-insensitive file system (macOS, Windows), so a dataset holds ids unique regardless of case")


def write_manifest(root: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``manifest.csv`` in ``root`` (rows sorted by clip id).

    The rows are checked as :func:`read_manifest` checks them before anything is written: a
    manifest that reader would refuse (a row without a subject, a clip listed twice, AUs that are
    no numbers) is a ``DatasetError`` naming the row, and the older manifest stays; so are two
    clip ids that differ only in case (:func:`case_twins`: a dataset written here stays whole on
    any file system).

    Parameters
    ----------
    root : str or Path
        The dataset folder; made if missing.
    rows : list of dict
        The manifest rows: :data:`MANIFEST_COLUMNS` as keys (a missing one is written empty),
        ``aus`` a list of int or text as ``"6+12"``.

    Returns
    -------
    Path
        The ``manifest.csv`` written.

    Raises
    ------
    DatasetError
        A row :func:`read_manifest` would refuse, or two clip ids that differ only in case.
    ParameterError
        ``rows`` is not a list of dicts.

    Examples
    --------
    >>> import tempfile
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [6, 12], "lighting": "bright",
    ...        "file": "clips/c1.h5", "onset_us": 0, "apex_us": 1500, "offset_us": 3000, "duration_us": 4000}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(write_manifest(folder, [row]).read_text())
    clip_id,subject,label,aus,lighting,file,onset_us,apex_us,offset_us,duration_us,source
    c1,s01,AU12,6+12,bright,clips/c1.h5,0,1500,3000,4000,
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_manifest(folder, [row, dict(row, file="clips/c2.h5")])
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...manifest.csv (not written): line 3: clip_id 'c1' is already on line 2
    """
    path = Path(root) / "manifest.csv"
    if isinstance(rows, (Mapping, str)) or not all(isinstance(row, Mapping) for row in rows):
        raise ParameterError(f"rows must be a list of manifest rows (dicts), got {type(rows).__name__}")
    twins = case_twins(str(row.get("clip_id", "")) for row in rows)
    if twins:
        raise DatasetError(where(f"{path} (not written)", f"{differ_in_case(*twins)}; give one of them another id"))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: str(r.get("clip_id", ""))):
        out = {key: row.get(key, "") for key in MANIFEST_COLUMNS}
        if isinstance(out["aus"], (list, tuple)):
            out["aus"] = aus_to_str(out["aus"])
        writer.writerow(out)
    _parse_manifest(f"{path} (not written)", io.StringIO(buf.getvalue()))
    atomic_write_text(path, buf.getvalue())
    return path

def inside_path(text: str) -> str | None:
    """Why ``text`` is not a relative path inside a dataset folder, or None when it is.

    Parameters
    ----------
    text : str
        A path as a manifest's ``file`` cell holds it (``/`` or ``\\`` separated).

    Returns
    -------
    str or None
        What is wrong with it (``'is an absolute path'``, ``'leaves the dataset folder'``), or None.

    Examples
    --------
    >>> inside_path("clips/a.h5") is None
    True
    >>> inside_path("/data/clips/a.h5"), inside_path("../other/clips/a.h5")
    ('is an absolute path', 'leaves the dataset folder')
    """
    posix = PurePosixPath(text.replace("\\", "/"))
    if posix.is_absolute() or PureWindowsPath(text).drive:
        return "is an absolute path"
    if ".." in posix.parts:
        return "leaves the dataset folder"
    return None


def _parse_row(path: str | Path, line: int, cells: dict[str | None, Any]) -> dict[str, Any]:
    if None in cells:
        raise DatasetError(where(path, f"line {line}: more fields than the {len(MANIFEST_COLUMNS)} columns of the header"))
    row = {key: value for key, value in cells.items() if key is not None}
    short = [key for key, value in row.items() if value is None]
    if short:
        raise DatasetError(where(path, f"line {line}: short row, no value for {', '.join(short)}"))
    empty = [key for key in _REQUIRED if not row[key].strip()]
    if empty:
        raise DatasetError(where(path, f"line {line}: empty {', '.join(empty)}"))
    problem = inside_path(row["file"])
    if problem:
        raise DatasetError(where(path, f"line {line}: file {row['file']!r} {problem}; "
                                       "clip files are given relative to the dataset folder"))
    try:
        row["aus"] = aus_from_str(row["aus"])
    except ValueError:
        raise DatasetError(where(path, f"line {line}: aus {row['aus']!r} is not AU numbers joined by '+' (as 6+12)")) from None
    for key in _INT_COLUMNS:
        try:
            row[key] = int(row[key])
        except ValueError:
            raise DatasetError(where(path, f"line {line}: {key} {row[key]!r} is not a whole number of µs")) from None
    return row


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Read ``manifest.csv`` of ``root``; ``aus`` becomes a list of ints, times become ints.

    Every row is checked for its shape: as many fields as the header, a clip id, subject, label
    and file, a file relative to the folder and inside it, no clip id or file listed twice.

    Parameters
    ----------
    root : str or Path
        The dataset folder.

    Returns
    -------
    list of dict
        The rows in the file's order, keyed by :data:`MANIFEST_COLUMNS`.

    Raises
    ------
    DatasetError
        No manifest in ``root`` (the output folder of ``evface run`` named as such, with its dataset:
        :func:`~evface.io.run_output.check_not_run_output`), or one that breaks a rule above, naming its line.

    Examples
    --------
    >>> import tempfile
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [6, 12], "lighting": "bright",
    ...        "file": "clips/c1.h5", "onset_us": 0, "apex_us": 1500, "offset_us": 3000, "duration_us": 4000}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rows = read_manifest(write_manifest(folder, [row]).parent)
    >>> rows[0]["aus"], rows[0]["apex_us"], rows[0]["source"]
    ([6, 12], 1500, '')
    """
    return read_manifest_lines(root)[0]


def read_manifest_lines(root: str | Path) -> tuple[list[dict[str, Any]], list[int]]:
    r"""The rows of ``manifest.csv`` of ``root`` (:func:`read_manifest`) and the line of the file
    each starts on, for errors about a row found later (a blank line or a cell holding a line
    break puts a row below its count).

    Parameters
    ----------
    root : str or Path
        The dataset folder.

    Returns
    -------
    rows : list of dict
        The rows, as :func:`read_manifest` gives them.
    lines : list of int
        The line of the file each row starts on (the header is line 1).

    Raises
    ------
    DatasetError
        As :func:`read_manifest`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "manifest.csv").write_text(
    ...         "clip_id,subject,label,aus,lighting,file,onset_us,apex_us,offset_us,duration_us,source\n"
    ...         '\nc1,s01,AU4,4,dim,clips/c1.h5,0,1,2,3,"two\nlines"\nc2,s01,AU4,4,dim,clips/c2.h5,0,1,2,3,\n')
    ...     rows, lines = read_manifest_lines(folder)
    >>> [row["clip_id"] for row in rows], lines
    (['c1', 'c2'], [3, 5])
    """
    path = Path(root) / "manifest.csv"
    if Path(root).is_file():
        raise DatasetError(where(Path(root), "is a file, not an evface dataset folder"))
    if not path.exists() and (Path(root) / "dataset.json").is_file():  # was: "not an evface dataset folder"
        raise DatasetError(where(path, "no manifest yet: a dataset whose build or merge stopped before its end "
                                       "(its dataset.json is there); run the evface synth or synth-merge command that "
                                       "began it again to finish it"))
    if not path.exists():
        check_not_run_output(Path(root))  # was: "no manifest", the run's dataset not named
        raise DatasetError(where(path, "no manifest: not an evface dataset folder"))
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:  # a spreadsheet's byte-order mark is dropped
            return _parse_manifest(path, fh)
    except UnicodeDecodeError as exc:
        raise DatasetError(where(path, f"not a readable CSV manifest ({exc})")) from exc


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""A line break as csv's reader counts lines (files opened with ``newline=""``: none translated)."""


def row_start_line(line_num: int, cells: Iterable[str | None]) -> int:
    r"""The line of the file where a CSV row of ``cells`` starts, read up to line ``line_num`` (csv's
    ``reader.line_num``, the line the row ends on: a quoted cell may hold line breaks, and blank
    lines before it are skipped unseen).

    Parameters
    ----------
    line_num : int
        The line the row ends on (``reader.line_num`` just after reading it).
    cells : iterable of str or None
        The row's cells; None (a short row's missing cell) counts as no line break.

    Returns
    -------
    int
        The line the row starts on.

    Examples
    --------
    >>> reader = csv.DictReader(io.StringIO('a,b\n\n1,"x\ny"\n'))
    >>> row = next(reader)
    >>> reader.line_num, row_start_line(reader.line_num, row.values())
    (4, 3)
    """
    return line_num - sum(len(_LINE_BREAK.findall(c)) for c in cells if c)


def _parse_manifest(path: str | Path, text: Iterable[str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows of a manifest's ``text``, checked (:func:`read_manifest`), and the line each starts
    on; errors name ``path``."""
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        reader = csv.DictReader(text)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(where(path, f"missing columns {sorted(missing)}"))
        for raw in reader:
            line = row_start_line(reader.line_num, [v for k, v in raw.items() if k is not None]
                                  + cast("list[str]", raw.get(None) or []))  # csv's stubs type the extra cells' list as str
            row = _parse_row(path, line, raw)
            for key in ("clip_id", "file"):
                seen = first_line.setdefault((key, row[key]), line)
                if seen != line:
                    raise DatasetError(where(path, f"line {line}: {key} {row[key]!r} is already on line {seen}"))
            rows.append(row)
            lines.append(line)
    except csv.Error as exc:
        raise DatasetError(where(path, f"not a readable CSV manifest ({exc})")) from exc
    return rows, lines
