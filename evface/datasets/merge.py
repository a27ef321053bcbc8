"""Join dataset folders into one, so that subject folds see every subject.

A real session is imported into a folder of its own, usually one subject each
(:mod:`evface.datasets.importers.session`); training needs several subjects in one folder.
:func:`merge_datasets` joins any dataset folders (imported sessions, an imported corpus, a
synthetic dataset) into a new one: every folder is checked as training would check it
(:meth:`~evface.io.dataset.DatasetFolder.open`), clip ids must be unique across them, regardless of
case (each names its clip's file: :func:`~evface.io.manifest.case_twins`), a class
named in two folders must stand for the same AUs, and the clips are hard-linked where the file
system allows (else copied) into ``OUT.partial``, which becomes ``OUT`` only when complete.

A subject id found in two folders is one person to the splits (a subject recorded in two
sessions stays in one fold); the merge says so in a warning, as it does when the folders hold
different event sensors (a model of a sensor some clips lack cannot train on them).

Examples
--------
>>> from evface.io.clip_schema import Clip
>>> from evface.io.clip_writer import write_clip
>>> from evface.io.dataset import write_dataset_json
>>> from evface.io.manifest import write_manifest
>>> def session(folder, subject):
...     clip = Clip(f"{subject}_c000", subject, "AU4", [4], "dim", 0, 100_000, 200_000, 300_000)
...     _ = write_clip(f"{folder}/clips/{clip.clip_id}.h5", clip)
...     _ = write_manifest(folder, [{"clip_id": clip.clip_id, "subject": subject, "label": "AU4", "aus": [4],
...                                  "lighting": "dim", "file": f"clips/{clip.clip_id}.h5", "onset_us": 0,
...                                  "apex_us": 100_000, "offset_us": 200_000, "duration_us": 300_000}])
...     _ = write_dataset_json(folder, {"generator": "evface import session"})
>>> for subject in ("s01", "s02"):
...     session(subject, subject)
>>> report = merge_datasets("both", ["s01", "s02"])
>>> report["clips"], report["subjects"], report["warnings"]
(2, ['s01', 's02'], [])
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evface import __version__
from evface.checks import as_flag, as_path
from evface.errors import DatasetError, ParameterError, where
from evface.io.clip_reader import read_clip_meta
from evface.io.dataset import DatasetFolder, write_dataset_json
from evface.io.dataset_output import check_apart, check_replaceable, partial_of, publish_partial, remove_partial
from evface.io.manifest import aus_to_str, differ_in_case, names_a_file, write_manifest
from evface.rig.record import GENERATOR


def _classes(folders: list[DatasetFolder]) -> dict[str, list[int]] | None:
    """The union of the folders' class tables (``dataset.json``'s ``classes``), or None when a
    folder has none; a label that two folders give different AUs is refused."""
    found = [ds.info.get("classes") for ds in folders]
    tables = [t for t in found if isinstance(t, dict)]
    if len(tables) != len(found):
        return None
    merged: dict[str, list[int]] = {}
    owner: dict[str, Path] = {}
    for ds, table in zip(folders, tables, strict=True):
        for label, aus in table.items():
            if label in merged and list(aus) != merged[label]:
                raise DatasetError(where(ds.root / "dataset.json", f"class {label!r} is AUs {aus_to_str(aus)!r} here "
                                                                   f"and {aus_to_str(merged[label])!r} in {owner[label]}"))
            merged.setdefault(label, list(aus))
            owner.setdefault(label, ds.root)
    return merged


def _warnings(folders: list[DatasetFolder]) -> list[str]:
    """Subjects found in several folders, and folders whose clips hold other event sensors."""
    out = []
    seen: dict[str, list[str]] = {}
    for ds in folders:
        for subject in ds.subjects:
            seen.setdefault(subject, []).append(str(ds.root))
    for subject, roots in seen.items():
        if len(roots) > 1:
            out.append(f"subject {subject} is in {', '.join(roots)}: the splits treat it as one person")
    sensors = {str(ds.root): sorted({name for row in ds.rows for name in read_clip_meta(ds.clip_path(row)).sensors})
               for ds in folders}
    if len({tuple(s) for s in sensors.values()}) > 1:
        out.append("the folders hold other event sensors (" + "; ".join(f"{root}: {', '.join(s) or 'none'}"
                                                                        for root, s in sensors.items())
                   + "): a model of a sensor some clips lack cannot train on them")
    return out


_IMPORT_AGAIN = "import one session's clips under other ids (the annotation table's clip_id column)"


def _other_ids(ds: DatasetFolder, other: DatasetFolder) -> str:
    """What to do when ``ds`` holds a clip id of ``other``: :data:`_IMPORT_AGAIN` or, both folders
    synthetic datasets, make one of more subjects (each names its subjects s000, s001, ...: was told
    to import them again, under ids of an annotation table it has none of).

    Examples
    --------
    >>> synthetic = DatasetFolder(Path("a"), (), {"generator": GENERATOR})
    >>> _other_ids(synthetic, synthetic)
    'both are synthetic datasets, each naming its subjects s000, s001, ...: make one dataset of all the subjects with evface synth (a larger --subjects, --faces)'
    """
    if ds.info.get("generator") == GENERATOR == other.info.get("generator"):
        return ("both are synthetic datasets, each naming its subjects s000, s001, ...: make one dataset of all the "
                "subjects with evface synth (a larger --subjects, --faces)")
    return _IMPORT_AGAIN


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def merge_datasets(out: str | Path, sources: Sequence[str | Path], *, overwrite: bool = False) -> dict[str, Any]:
    """Join the dataset folders ``sources`` into the new folder ``out``.

    Returns ``{"clips", "subjects", "warnings"}`` (the warnings are also kept in ``dataset.json``,
    beside each source folder's own ``dataset.json``). ``out`` must be new or empty unless
    ``overwrite`` (True or False), and neither a source nor inside one; ``sources`` is a list of
    two or more folders.

    Parameters
    ----------
    out : str or Path
        The merged dataset's folder: new or empty (or replaced, with ``overwrite``).
    sources : list of str or Path
        Two or more dataset folders, each given once.
    overwrite : bool, optional
        Keyword only: replace the dataset already in ``out`` (False by default).

    Returns
    -------
    dict
        ``"clips"``: the number of clips merged; ``"subjects"``: their subject ids, sorted;
        ``"warnings"``: list of str (a subject in several folders, folders of other sensors).

    Raises
    ------
    ParameterError
        For ``sources`` that are not a list of two or more folders, a folder given twice, or an
        ``out`` that overlaps a source.
    DatasetError
        For an ``out`` that is not empty (with ``overwrite``: that holds no dataset), a folder that
        is no dataset, a clip id in two folders, or a class of other AUs in two.

    Examples
    --------
    A merge of two folders is the module's example; one folder is not a merge:

    >>> merge_datasets("both", ["s01"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: merge needs at least two dataset folders
    """
    out, roots = _checked_paths(out, sources, overwrite)
    folders = [DatasetFolder.open(r) for r in roots]
    _check_clip_ids(folders)
    classes, warnings = _classes(folders), _warnings(folders)
    rows = _build(out, folders, classes, warnings)
    return {"clips": len(rows), "subjects": sorted({row["subject"] for row in rows}), "warnings": warnings}


def _checked_paths(out: str | Path, sources: Sequence[str | Path], overwrite: object) -> tuple[Path, list[Path]]:
    """``out`` and the folders ``sources`` as paths, once the arguments allow the merge: a list of
    two or more folders, none given twice, apart from ``out``, which is new or empty unless
    ``overwrite``."""
    if isinstance(sources, (str, os.PathLike)):  # its letters would be taken as folders
        raise ParameterError(f"sources must be a list of dataset folders, got the one path {str(sources)!r}")
    if not isinstance(sources, Sequence):  # a number was "not iterable", an array's items no paths
        raise ParameterError(f"sources must be a list of dataset folders, got {sources!r:.80}")
    overwrite = as_flag("overwrite", overwrite)  # "no" would replace OUT
    out, roots = as_path("out", out), [as_path("sources", s) for s in sources]
    if len(roots) < 2:
        raise ParameterError("merge needs at least two dataset folders")
    resolved = [r.resolve() for r in roots]
    for i, r in enumerate(resolved):
        if r in resolved[:i]:
            raise ParameterError(f"{roots[i]}: given twice")
    check_apart(out, roots)
    check_replaceable(out, overwrite)
    return out, roots


def _check_clip_ids(folders: list[DatasetFolder]) -> None:
    """Refuse a clip id that names no file, or that two folders hold (regardless of case)."""
    owner: dict[str, tuple[str, DatasetFolder]] = {}  # by the id regardless of case: the first id and its folder
    for ds in folders:
        for line, row in zip(ds.lines or range(2, len(ds.rows) + 2), ds.rows, strict=True):  # the line each row starts on
            if not names_a_file(row["clip_id"]):  # it names the clip's file: nothing outside OUT
                raise DatasetError(where(ds.root / "manifest.csv", f"line {line}: clip id {row['clip_id']!r} is no "
                                         "file name (it holds a path separator); merge names each clip's file "
                                         "clips/ID.h5 by its id: import that clip again under an id without '/' or "
                                         "'\\'"))
            first, other = owner.setdefault(row["clip_id"].casefold(), (row["clip_id"], ds))
            if first != row["clip_id"]:
                raise DatasetError(where(ds.root / "manifest.csv", f"{differ_in_case(first, row['clip_id'])} ({first} "
                                                                   f"is in {other.root}); {_IMPORT_AGAIN}"))
            if other is not ds:
                raise DatasetError(where(ds.root / "manifest.csv", f"clip {first} is also in {other.root}; clip ids must "
                                                                   f"be unique across the folders; {_other_ids(ds, other)}"))


def _build(out: Path, folders: list[DatasetFolder], classes: dict[str, list[int]] | None,
           warnings: list[str]) -> list[dict[str, Any]]:
    """Write the merged dataset into ``OUT.partial`` and rename it to ``out`` (removed again if the
    merge fails or is stopped); returns its manifest's rows."""
    tmp = partial_of(out)
    remove_partial(tmp)
    (tmp / "clips").mkdir(parents=True)
    try:
        rows = _link_clips(tmp, folders)
        write_manifest(tmp, rows)
        write_dataset_json(tmp, _dataset_info(rows, folders, classes, warnings))
        publish_partial(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return rows


def _link_clips(tmp: Path, folders: list[DatasetFolder]) -> list[dict[str, Any]]:
    """Link (or copy) each folder's clips into ``tmp/clips`` as ``ID.h5``; returns their manifest rows."""
    rows = []
    for ds in folders:
        for row in ds.rows:
            file = f"clips/{row['clip_id']}.h5"
            _link_or_copy(ds.clip_path(row), tmp / file)
            rows.append({**row, "file": file})
    return rows


def _dataset_info(rows: list[dict[str, Any]], folders: list[DatasetFolder], classes: dict[str, list[int]] | None,
                  warnings: list[str]) -> dict[str, Any]:
    """The merged dataset's ``dataset.json``: the warnings, each source folder with its own
    ``dataset.json``, the joined class table where every folder has one, and the ``--faces`` files
    skipped where a folder records them (synthetic: every folder's, each once)."""
    info: dict[str, Any] = {"generator": "evface merge", "version": __version__, "seed": None,
                            "n_clips": len(rows), "warnings": warnings,
                            "sources": [{"folder": str(ds.root.resolve()), "clips": len(ds.rows),
                                         "subjects": ds.subjects, "dataset": ds.info} for ds in folders]}
    if classes is not None:
        info["classes"] = classes
    if any("skipped_faces" in ds.info for ds in folders):  # a synthetic dataset's (or a merge's of one)
        info["skipped_faces"] = all_skipped_faces([ds.info for ds in folders])  # was: none
    return info


def all_skipped_faces(infos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``--faces`` files that the ``dataset.json`` records ``infos`` list as skipped, in their
    order, each once: what a merge of their datasets records (``synth-merge`` of shards, which of
    one folder list the same files, and one made where that folder held another file lists it too;
    ``evface merge`` of any datasets, :func:`~evface.datasets.merge.merge_datasets`). A record
    without ``skipped_faces`` lists none.

    Parameters
    ----------
    infos : list of dict
        The datasets' ``dataset.json`` records.

    Returns
    -------
    list of dict
        Each skipped file's entry (``file``: its absolute path as ``evface synth`` wrote it,
        ``reason``), each once.

    Examples
    --------
    >>> all_skipped_faces([{"skipped_faces": [{"file": "/f/a.txt", "reason": "r"}]}, {},
    ...                    {"skipped_faces": [{"file": "/f/a.txt", "reason": "r"}, {"file": "/f/b.txt", "reason": "r"}]}])
    [{'file': '/f/a.txt', 'reason': 'r'}, {'file': '/f/b.txt', 'reason': 'r'}]
    """
    merged: list[dict[str, Any]] = []
    for info in infos:
        merged += [problem for problem in info.get("skipped_faces", []) if problem not in merged]
    return merged
