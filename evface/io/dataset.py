"""The dataset folder: ``clips/``, ``manifest.csv`` and ``dataset.json``.

This module owns the folder around the clips (one clip file's content belongs to
:mod:`evface.io.clip_schema`) and the atomic writes of every file evface makes (:func:`atomic_write`).

``manifest.csv`` has one row per clip with the columns of :data:`MANIFEST_COLUMNS`; ``aus`` is a
``+``-joined list (``"6+12"``). ``dataset.json`` records who made the folder (generator or
importer), its parameters, the evface version and the seed. Both files are written atomically.

A manifest is not trusted: :func:`read_manifest` refuses short or long rows, empty ids, duplicated
clips or files and paths that are absolute or leave the folder (:func:`write_manifest` refuses the
same rows before writing them, and clip ids that differ only in case: :func:`case_twins`), and :meth:`DatasetFolder.open`
checks every row against its clip file's own attributes (id, subject, label, AUs, lighting,
times; the events are not read) and, when ``dataset.json`` lists the classes, against them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from evface.errors import DatasetError, EvfaceError, FormatError, ParameterError, where
from evface.io.clip_reader import indexed_event_times, read_clip_meta
from evface.io.temporary_files import temporaries_of, temporary_beside

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
_CLIP_FIELDS = ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us", "offset_us", "duration_us")
"""Manifest columns that repeat a clip file's own attributes (and must agree with them)."""


def read_text(path: Path) -> str:
    """The text of a file evface writes (UTF-8); other bytes are a :class:`FormatError` naming it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "ok.txt").write_text("12 µs", encoding="utf-8")
    ...     read_text(Path(folder) / "ok.txt")
    '12 µs'
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "image.bin").write_bytes(bytes([0xFF, 0xD8]))
    ...     read_text(Path(folder) / "image.bin")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: ...image.bin: not text ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte): not a file evface wrote
    """
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(where(path, f"not text ({exc}): not a file evface wrote")) from exc


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` to a temporary file of its own beside ``path`` (``NAME.HOST-PID-RANDOM.tmp``,
    :func:`~evface.io.temporary_files.temporary_beside`), then rename it to ``path``; on any error (a full disk
    included) the temporary file is removed and ``path`` is left as it was.

    Every file evface writes goes through this, or through a writer of its own that keeps the
    same promise (``io.clip_writer.write_clip``, ``io.event_writer``'s writer, ``sim.video.write_video``).

    Examples
    --------
    A write that fails leaves the older file as it was and no temporary file behind:

    >>> import tempfile
    >>> def fails(tmp):
    ...     tmp.write_text("half")
    ...     raise OSError("disk full")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write(Path(folder) / "notes.txt", lambda tmp: tmp.write_text("whole"))
    ...     try:
    ...         atomic_write(path, fails)
    ...     except OSError as exc:
    ...         print(exc, path.read_text(), [p.name for p in Path(folder).iterdir()])
    disk full whole ['notes.txt']
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) atomically (:func:`atomic_write`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_text(Path(folder) / "sub" / "a.txt", "12 µs")
    ...     print((Path(folder) / "sub" / "a.txt").read_bytes())
    b'12 \xc2\xb5s'
    """
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write_bytes(Path(folder) / "a.bin", bytes([1, 2, 3]))
    ...     print(list((Path(folder) / "a.bin").read_bytes()))
    [1, 2, 3]
    """
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def aus_to_str(aus: list[int]) -> str:
    """``[6, 12] -> "6+12"``.

    Examples
    --------
    >>> aus_to_str([6, 12]), aus_to_str([])
    ('6+12', '')
    """
    return "+".join(str(int(a)) for a in aus)


def aus_from_str(text: str) -> list[int]:
    """``"6+12" -> [6, 12]``; the empty string gives ``[]``.

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

    Examples
    --------
    >>> row_key({"clip_id": "c0", "subject": "s0", "label": "AU4", "aus": [4], "lighting": "dim",
    ...          "file": "clips/c0.h5", "onset_us": 0, "apex_us": 5, "offset_us": 9, "duration_us": 10})
    ('c0', 's0', 'AU4', '4', 'dim', '0', '5', '9', '10', '')
    """
    return tuple(aus_to_str(row[key]) if key == "aus" else str(row.get(key, "")) for key in CLIP_KEY_COLUMNS)


def case_twins(ids: Iterable[str]) -> tuple[str, str] | None:
    """The first two of the clip ``ids`` that differ only in case (in the order given), or None.

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


def differ_in_case(first: str, second: str) -> str:
    """Why the clip ids ``first`` and ``second``, which differ only in case, cannot both be in a
    dataset (what a writer refuses, before its advice).

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


def check_replaceable(out: str | Path, overwrite: bool) -> None:
    """Refuse to write a dataset into ``out`` unless it is new, empty, or, with ``overwrite``, an
    evface dataset folder (it has a ``manifest.csv``): overwriting never deletes a folder of
    anything else, whatever its name. ``out`` must have a name (not ``.`` or ``..``): the
    importers and merge build it as ``OUT.partial`` beside it. A symbolic link is refused whatever
    it names (the dataset is renamed onto ``out``: :func:`publish_partial`).

    Examples
    --------
    >>> _ = Path("notes/todo.txt").parent.mkdir(), Path("notes/todo.txt").write_text("keep")
    >>> check_replaceable("notes", overwrite=True)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: notes: holds files but no evface dataset (no manifest.csv); overwrite replaces only a dataset folder, give a new one
    >>> check_replaceable(".", overwrite=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: .: give OUT a folder by its name, not '.' or '..' (the dataset is built as OUT.partial beside it and renamed to OUT)
    """
    out = Path(out)
    if out.name in ("", ".."):  # '.', './', '..': no name to put '.partial' after
        raise ParameterError(f"{out}: give OUT a folder by its name, not '.' or '..' (the dataset is built as "
                             "OUT.partial beside it and renamed to OUT)")
    if out.is_symlink():  # the finished folder is renamed onto OUT: that would replace the link, not its folder
        raise DatasetError(where(out, f"is a symbolic link to {os.readlink(out)}; the dataset is built beside OUT and "
                                      "renamed onto it, which would replace the link: give OUT the folder the link "
                                      "names, or a new folder"))
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise DatasetError(where(out, "output folder exists and is not empty (use overwrite)"))
    if not (out / "manifest.csv").is_file():
        raise DatasetError(where(out, "holds files but no evface dataset (no manifest.csv); overwrite replaces only a "
                                      "dataset folder, give a new one"))


PARTIAL_ENTRIES = frozenset({"clips", "manifest.csv", "dataset.json", "import.json"})
"""What an importer or a merge writes into ``OUT.partial`` while it builds ``OUT``."""


def check_apart(out: str | Path, sources: Sequence[str | Path]) -> None:
    """Refuse an ``out`` folder that is one of the ``sources``, lies inside one or holds one: writing
    it would change what is being read (a :class:`ParameterError` naming both).

    Examples
    --------
    >>> check_apart("joined", ["shard0", "shard1"])
    >>> check_apart("shard0/clips/x", ["shard0", "shard1"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: shard0/clips/x: overlaps the dataset folder shard0; give OUT a folder of its own
    """
    here = Path(out).resolve()
    for source in sources:
        there = Path(source).resolve()
        if here == there or there in here.parents or here in there.parents:
            raise ParameterError(f"{out}: overlaps the dataset folder {source}; give OUT a folder of its own")


def remove_partial(tmp: str | Path) -> None:
    """Remove ``OUT.partial`` left by an interrupted import or merge, unless it holds anything
    such a run does not write (then it is someone's folder: refused, untouched).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> partial = Path(tmp.name) / "out.partial"
    >>> (partial / "clips").mkdir(parents=True)
    >>> _ = (partial / "manifest.csv").write_text("clip_id")
    >>> remove_partial(partial)
    >>> partial.exists()
    False
    >>> (partial / "clips").mkdir(parents=True)
    >>> _ = (partial / "thesis.tex").write_text("mine")
    >>> remove_partial(partial)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...out.partial: holds files an interrupted import did not write; move them away or give OUT another name
    >>> sorted(p.name for p in partial.iterdir())  # untouched
    ['clips', 'thesis.tex']
    >>> tmp.cleanup()
    """
    tmp = Path(tmp)
    if not tmp.exists():
        return
    ours = PARTIAL_ENTRIES | {p.name for entry in PARTIAL_ENTRIES for p in temporaries_of(tmp / entry)}
    foreign = sorted(p.name for p in tmp.iterdir() if p.name not in ours) if tmp.is_dir() else [tmp.name]
    if foreign or any(p.suffix not in (".h5", ".tmp") for p in (tmp / "clips").glob("*")):
        raise DatasetError(where(tmp, "holds files an interrupted import did not write; move them away or give "
                                      "OUT another name"))
    shutil.rmtree(tmp)


def publish_partial(tmp: str | Path, out: str | Path) -> None:
    """Make the finished ``OUT.partial`` the folder ``out``, in place of the earlier dataset there
    (which :func:`check_replaceable` allowed before the work began); the temporary files that
    writers killed in an earlier attempt left in it (``*.tmp``) are removed first.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     partial, out = Path(folder) / "out.partial", Path(folder) / "out"
    ...     (partial / "clips").mkdir(parents=True)
    ...     _ = (partial / "manifest.csv").write_text("new")
    ...     _ = (partial / "clips" / "c1.h5.host-1-abcd0123.tmp").write_text("killed writer's")
    ...     out.mkdir()
    ...     _ = (out / "manifest.csv").write_text("old")
    ...     publish_partial(partial, out)
    ...     print(partial.exists(), (out / "manifest.csv").read_text(), list((out / "clips").iterdir()))
    False new []
    """
    tmp, out = Path(tmp), Path(out)
    for left in [*tmp.glob("*.tmp"), *tmp.glob("clips/*.tmp")]:
        left.unlink()
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)


def inside_path(text: str) -> str | None:
    """Why ``text`` is not a relative path inside a dataset folder, or None when it is.

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


def _parse_row(path: str | Path, line: int, row: dict[str | None, Any]) -> dict[str, Any]:
    if None in row:
        raise DatasetError(where(path, f"line {line}: more fields than the {len(MANIFEST_COLUMNS)} columns of the header"))
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
        for key in _INT_COLUMNS:
            row[key] = int(row[key])
    except ValueError as exc:
        raise DatasetError(where(path, f"line {line}: {exc}")) from exc
    return row


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Read ``manifest.csv`` of ``root``; ``aus`` becomes a list of ints, times become ints.

    Every row is checked for its shape: as many fields as the header, a clip id, subject, label
    and file, a file relative to the folder and inside it, no clip id or file listed twice.

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
    path = Path(root) / "manifest.csv"
    if Path(root).is_file():
        raise DatasetError(where(Path(root), "is a file, not an evface dataset folder"))
    if not path.exists():
        raise DatasetError(where(path, "no manifest: not an evface dataset folder"))
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:  # a spreadsheet's byte-order mark is dropped
            return _parse_manifest(path, fh)
    except UnicodeDecodeError as exc:
        raise DatasetError(where(path, f"not a readable CSV manifest ({exc})")) from exc


def _parse_manifest(path: str | Path, text: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of a manifest's ``text``, checked (:func:`read_manifest`); errors name ``path``."""
    rows: list[dict[str, Any]] = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        reader = csv.DictReader(text)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(where(path, f"missing columns {sorted(missing)}"))
        for line, raw in enumerate(reader, start=2):
            row = _parse_row(path, line, raw)
            for key in ("clip_id", "file"):
                seen = first_line.setdefault((key, row[key]), line)
                if seen != line:
                    raise DatasetError(where(path, f"line {line}: {key} {row[key]!r} is already on line {seen}"))
            rows.append(row)
    except csv.Error as exc:
        raise DatasetError(where(path, f"not a readable CSV manifest ({exc})")) from exc
    return rows


def write_dataset_json(root: str | Path, info: dict[str, Any]) -> Path:
    """Write ``dataset.json`` in ``root`` (keys sorted, indented); returns its path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_dataset_json(folder, {"seed": 7, "classes": {"AU12": [6, 12]}})
    ...     print(path.name, read_dataset_json(folder))
    dataset.json {'classes': {'AU12': [6, 12]}, 'seed': 7}
    """
    path = Path(root) / "dataset.json"
    atomic_write_text(path, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return path


def read_dataset_json(root: str | Path) -> dict[str, Any]:
    """Read ``dataset.json`` of ``root``.

    A missing file, text that is no JSON object or ``classes`` that do not map names to lists of
    AU numbers are a ``DatasetError`` naming the file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "dataset.json").write_text('{"classes": {"AU12": ["12"]}}')
    ...     read_dataset_json(folder)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...dataset.json: 'classes' must map each class name to its list of AU numbers (e.g. {"AU4": [4], "AU1+2": [1, 2]}): not a dataset.json evface wrote
    """
    path = Path(root) / "dataset.json"
    if not path.exists():
        raise DatasetError(where(path, "no dataset.json: not an evface dataset folder"))
    try:
        info = json.loads(path.read_text(encoding="utf-8-sig"))  # a BOM: as Windows editors save it
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(where(path, f"not valid JSON ({exc})")) from exc
    if not isinstance(info, dict):
        raise DatasetError(where(path, "expected a JSON object"))
    classes = info.get("classes", {})
    if not isinstance(classes, dict) or not all(
            isinstance(aus, list) and all(type(au) is int and au > 0 for au in aus) for aus in classes.values()):
        raise DatasetError(where(path, "'classes' must map each class name to its list of AU numbers "
                                       '(e.g. {"AU4": [4], "AU1+2": [1, 2]}): not a dataset.json evface wrote'))
    return info


def check_rows(root: Path, rows: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
    """Check each manifest row against the classes of ``dataset.json`` (when it lists them) and
    against its clip file's attributes; a DatasetError names the line and what disagrees.

    Examples
    --------
    >>> import tempfile
    >>> from evface.io.clip_schema import Clip
    >>> from evface.io.clip_writer import write_clip
    >>> row = {"clip_id": "c1", "subject": "s01", "label": "AU12", "aus": [6, 12], "lighting": "bright",
    ...        "file": "clips/c1.h5", "onset_us": 0, "apex_us": 1500, "offset_us": 3000, "duration_us": 4000}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = Path(folder)
    ...     _ = write_clip(root / "clips" / "c1.h5", Clip("c1", "s01", "AU12", [6, 12], "bright", 0, 1500, 3000, 4000))
    ...     check_rows(root, (row,), {"classes": {"AU12": [6, 12]}})
    ...     check_rows(root, (dict(row, apex_us=2000),), {})
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...manifest.csv: line 2: apex_us 2000 contradicts its clip clips/c1.h5 (apex_us 1500)
    """
    manifest = root / "manifest.csv"
    classes = info.get("classes")
    for line, row in enumerate(rows, start=2):
        if isinstance(classes, dict):
            if row["label"] not in classes:
                raise DatasetError(where(manifest, f"line {line}: label {row['label']!r} is not a class of this "
                                                   f"dataset ({', '.join(map(str, classes))}, in dataset.json)"))
            if list(classes[row["label"]]) != row["aus"]:
                raise DatasetError(where(manifest, f"line {line}: AUs {aus_to_str(row['aus'])!r} are not those of "
                                                   f"class {row['label']!r} ({aus_to_str(classes[row['label']])!r})"))
        try:
            meta = read_clip_meta(root / row["file"])
        except EvfaceError as exc:
            raise DatasetError(where(manifest, f"line {line}: {exc}")) from exc
        for key in _CLIP_FIELDS:
            ours, theirs = row[key], getattr(meta, key)
            if key == "aus":
                ours, theirs = aus_to_str(ours), aus_to_str(theirs)
            if ours != theirs:
                raise DatasetError(where(manifest, f"line {line}: {key} {ours!r} contradicts its clip "
                                                   f"{row['file']} ({key} {theirs!r})"))
        for sensor, (first, last) in indexed_event_times(root / row["file"]).items():
            if first < 0 or last > meta.duration_us:  # e.g. a camera's absolute times: every window would be empty
                raise DatasetError(where(manifest, f"line {line}: the {sensor} events of its clip {row['file']} lie "
                                                   f"at {first}..{last} µs, outside the clip's 0..{meta.duration_us} "
                                                   "µs; a dataset clip's events count from its start "
                                                   "(evface import session writes them so)"))


@dataclass(frozen=True)
class DatasetFolder:
    """A dataset folder opened for reading, every manifest row checked against its clip.

    Examples
    --------
    >>> from evface.io.clip_schema import Clip
    >>> from evface.io.clip_writer import write_clip
    >>> _ = write_clip("data/clips/s000_c000.h5", Clip("s000_c000", "s000", "AU4", [4], "dim", 0, 100_000, 200_000, 300_000))
    >>> row = {"clip_id": "s000_c000", "subject": "s000", "label": "AU4", "aus": [4], "lighting": "dim",
    ...        "file": "clips/s000_c000.h5", "onset_us": 0, "apex_us": 100_000, "offset_us": 200_000,
    ...        "duration_us": 300_000, "source": "synth"}
    >>> _ = write_manifest("data", [row])
    >>> _ = write_dataset_json("data", {"seed": 0})
    >>> ds = DatasetFolder.open("data")
    >>> ds.clip_path(ds.rows[0]).as_posix(), ds.rows[0]["aus"], ds.labels
    ('data/clips/s000_c000.h5', [4], ['AU4'])
    """

    root: Path
    rows: tuple[dict[str, Any], ...]
    info: dict[str, Any]

    @classmethod
    def open(cls, root: str | Path) -> "DatasetFolder":
        """Read the folder and check it (:func:`read_manifest`, :func:`check_rows`)."""
        root = Path(root)
        if not root.exists():  # a file: read_manifest says so
            raise DatasetError(where(root, "no such dataset folder"))
        rows, info = tuple(read_manifest(root)), read_dataset_json(root)
        check_rows(root, rows, info)
        return cls(root=root, rows=rows, info=info)

    def clip_path(self, row: dict[str, Any]) -> Path:
        """Absolute path of a manifest row's clip file."""
        return self.root / row["file"]

    @property
    def labels(self) -> list[str]:
        """Sorted class labels present in the manifest."""
        return sorted({row["label"] for row in self.rows})

    @property
    def subjects(self) -> list[str]:
        """Sorted subject ids present in the manifest."""
        return sorted({row["subject"] for row in self.rows})
