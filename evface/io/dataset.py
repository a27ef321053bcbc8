"""The dataset folder: ``clips/``, ``manifest.csv`` and ``dataset.json``.

This module owns the folder around the clips (one clip file's content belongs to
:mod:`evface.io.clip`) and the atomic writes of its text files.

``manifest.csv`` has one row per clip with the columns of :data:`MANIFEST_COLUMNS`; ``aus`` is a
``+``-joined list (``"6+12"``). ``dataset.json`` records who made the folder (generator or
importer), its parameters, the evface version and the seed. Both files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evface.errors import DatasetError, where

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


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def aus_to_str(aus: list[int]) -> str:
    """``[6, 12] -> "6+12"``."""
    return "+".join(str(int(a)) for a in aus)


def aus_from_str(text: str) -> list[int]:
    """``"6+12" -> [6, 12]``; the empty string gives ``[]``."""
    return [int(a) for a in text.split("+") if a.strip()]


def write_manifest(root: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``manifest.csv`` in ``root`` (rows sorted by clip id)."""
    root = Path(root)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["clip_id"]):
        out = {key: row.get(key, "") for key in MANIFEST_COLUMNS}
        if isinstance(out["aus"], (list, tuple)):
            out["aus"] = aus_to_str(out["aus"])
        writer.writerow(out)
    path = root / "manifest.csv"
    atomic_write_text(path, buf.getvalue())
    return path


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Read ``manifest.csv`` of ``root``; ``aus`` becomes a list of ints, times become ints."""
    path = Path(root) / "manifest.csv"
    if not path.exists():
        raise DatasetError(where(path, "no manifest: not an evface dataset folder"))
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(where(path, f"missing columns {sorted(missing)}"))
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                row["aus"] = aus_from_str(row["aus"])
                for key in _INT_COLUMNS:
                    row[key] = int(row[key])
            except ValueError as exc:
                raise DatasetError(where(path, f"line {line}: {exc}")) from exc
            rows.append(row)
    return rows


def write_dataset_json(root: str | Path, info: dict[str, Any]) -> Path:
    """Write ``dataset.json`` in ``root``."""
    path = Path(root) / "dataset.json"
    atomic_write_text(path, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return path


def read_dataset_json(root: str | Path) -> dict[str, Any]:
    """Read ``dataset.json`` of ``root``."""
    path = Path(root) / "dataset.json"
    if not path.exists():
        raise DatasetError(where(path, "no dataset.json: not an evface dataset folder"))
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(where(path, f"not valid JSON ({exc})")) from exc


@dataclass(frozen=True)
class DatasetFolder:
    """A dataset folder opened for reading.

    Examples
    --------
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
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(where(root, "no such dataset folder"))
        return cls(root=root, rows=tuple(read_manifest(root)), info=read_dataset_json(root))

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
