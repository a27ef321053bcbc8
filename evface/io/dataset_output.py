"""A dataset folder ``OUT`` built by an importer or a merge: first as ``OUT.partial`` beside it,
renamed onto ``OUT`` when whole.

Before the work begins, ``OUT`` is checked (:func:`check_replaceable`: new, empty, or an earlier
dataset to overwrite; :func:`check_apart`: not one of the folders read;
:func:`check_inputs_outside`: holding no file read); an ``OUT.partial`` that an interrupted run left
is removed (:func:`remove_partial`), and the finished one replaces ``OUT`` (:func:`publish_partial`:
swapped with it in one step where the system can). ``OUT.partial`` is :func:`partial_of`'s name, which
shortens ``OUT`` where ``OUT.partial`` would be too long for a file name.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from evface.errors import DatasetError, ParameterError, where
from evface.io.atomic_files import exchange, uninterrupted
from evface.io.temporary_files import fitting_base, temporaries_of, temporary_beside


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
        raise DatasetError(where(out, "output folder exists and is not empty; give a new one (--force, "
                                      "overwrite=True, replaces an earlier dataset there)"))  # was: "(use overwrite)"
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


def check_inputs_outside(out: str | Path, inputs: Mapping[str, str | Path | None]) -> None:
    """Refuse an ``out`` folder that is, or holds, a file or folder the command reads (``inputs``:
    how the error names each, its path or None): replacing the earlier dataset there (``overwrite``)
    deletes the whole folder, so the input would be lost (a :class:`ParameterError` naming both).

    Examples
    --------
    >>> check_inputs_outside("ds", {"the annotation table (--annotations)": "session/ann.csv", "the timestamps": None})
    >>> check_inputs_outside("ds", {"the annotation table (--annotations)": "ds/ann.csv"})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: ds: the annotation table (--annotations) ds/ann.csv lies in the output folder, which overwrite (--force) replaces whole; move it out of ds or give OUT another folder
    """
    here = Path(out).resolve()
    for name, path in inputs.items():
        if path is not None and (here == Path(path).resolve() or here in Path(path).resolve().parents):
            raise ParameterError(f"{out}: {name} {path} lies in the output folder, which overwrite (--force) replaces "
                                 f"whole; move it out of {out} or give OUT another folder")


def partial_of(out: Path) -> Path:
    """The folder ``OUT.partial`` beside ``out`` that an importer or a merge builds the dataset in,
    ``OUT`` shortened where the name would pass 255 bytes
    (:func:`~evface.io.temporary_files.fitting_base`; was: an ``OUT`` of 248 to 255 bytes refused,
    "File name too long"): always the same name for one ``out``, where an interrupted import resumes.

    Examples
    --------
    >>> partial_of(Path("data/out")).as_posix()
    'data/out.partial'
    >>> len(partial_of(Path("a" * 255)).name.encode())
    255
    """
    return out.with_name(fitting_base(out.name, len(".partial")) + ".partial")


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

    ``OUT.partial`` is renamed to a name of its own (``OUT.HOST-PID-RANDOM.tmp``,
    :func:`~evface.io.temporary_files.temporary_beside`) and swapped with ``out`` in one step
    (:func:`~evface.io.atomic_files.exchange`), so that ``out`` always names a whole dataset, the
    earlier until the swap and the new after it; then the earlier one, now under that name, is
    removed. ``kill -9`` before the swap leaves the earlier dataset in ``out`` and the new one aside,
    after it the new one in ``out`` and the earlier aside: the next run removes what is aside.
    Where the system cannot swap (not Linux, a file system without ``RENAME_EXCHANGE``), the earlier
    dataset is renamed aside and the new one onto ``out`` (was, everywhere: ``kill -9`` between
    those two renames left no ``out``, the earlier dataset whole aside). Ctrl-C and SIGTERM are held
    meanwhile (:func:`~evface.io.atomic_files.uninterrupted`), and the earlier dataset is removed
    only once the new one is in place (was: removed first, so that a stop while it was removed, or
    before the rename, lost it, and the clean-up of the stop the new one too).

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
    ...     print(sorted(p.name for p in Path(folder).iterdir()), (out / "manifest.csv").read_text(),
    ...           list((out / "clips").iterdir()))
    ['out'] new []
    """
    tmp, out = Path(tmp), Path(out)
    for left in [*tmp.glob("*.tmp"), *tmp.glob("clips/*.tmp")]:
        left.unlink()
    if not out.exists():
        os.replace(tmp, out)
        return
    new, aside = _name_beside(out), _name_beside(out)
    earlier = None
    try:
        with uninterrupted():  # a stop held here is raised as the block ends, once the new dataset is in place
            os.replace(tmp, new)  # OUT.partial never names the earlier dataset (an import resumes from it)
            try:
                earlier = _swap(new, out, aside)
            except BaseException:
                os.replace(new, tmp)  # where the caller removes it
                raise
    finally:
        if earlier is not None:  # removed only once the new one is in place: a failed put-back keeps the only copy
            shutil.rmtree(earlier, ignore_errors=True)


def _name_beside(out: Path) -> Path:
    """A free name of its own beside ``out`` for a folder to be renamed to
    (:func:`~evface.io.temporary_files.temporary_beside`, its empty file removed)."""
    name = temporary_beside(out)
    name.unlink()
    return name


def _swap(new: Path, out: Path, aside: Path) -> Path:
    """Put the folder ``new`` in place of the folder ``out``; returns where the earlier ``out`` is
    then: ``new`` where the two were swapped in one step, else ``aside``, renamed there before
    ``new`` was renamed to ``out`` (and renamed back if that failed)."""
    if exchange(new, out):
        return new
    os.replace(out, aside)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(aside, out)  # the earlier dataset back
        raise
    return aside
