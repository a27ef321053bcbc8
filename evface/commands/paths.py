"""Checks of the paths a command will write, before it starts work, and one writer per folder.

An operating-system error would name the file too, but late (after minutes of work) and in the
system's words ("File exists", "Not a directory"); these name the option to change.
"""

from __future__ import annotations

import fcntl
import os
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from evface.errors import ParameterError, printable, where


def refuse_empty_paths(command: Any, args: Sequence[str], settings: Mapping[str, Any] | None = None) -> None:
    """Refuse an empty text given to a path option or argument of ``command`` (a typer command, given
    ``args``, the words after its name, and ``settings``, the context settings of the app it is of):
    a :class:`ParameterError` naming the option (was: read as ``.``, the current folder: ``evface run
    --out ""`` ran into it, ``--data ""`` read it as the dataset). Words the command cannot parse are
    left for it to refuse.

    Examples
    --------
    >>> from evface.cli import app
    >>> root = typer.main.get_command(app)
    >>> run = root.commands["run"]
    >>> refuse_empty_paths(run, ["--out", "runs/quick"], root.context_settings)
    >>> refuse_empty_paths(run, ["--data", "data", "--out="], root.context_settings)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --out is empty, which names no folder or file (it would be read as the current folder); give a path
    """
    try:
        # the app's settings: the command keeps the help option its first context makes (-h, --help)
        context = command.make_context(command.name, [], resilient_parsing=True, **(settings or {}))
        given, _, _ = command.make_parser(context).parse_args(list(args))
    except typer.TyperException:  # click's usage errors: the command's own parse says them
        return
    for param in command.params:
        annotation = param.type_descriptor.annotation
        value = given.get(param.name)
        values = value if isinstance(value, (tuple, list)) else (value,)
        if Path in (annotation, *typing.get_args(annotation)) and "" in values:
            name = param.opts[0] if param.param_type_name == "option" else (param.metavar or param.name.upper()).rstrip(".")
            raise ParameterError(f"{name} is empty, which names no folder or file (it would be read as the current "
                                 "folder); give a path")


def output_folder(path: Path, option: str = "--out", made: Path | None = None) -> Path:
    """Return ``path`` if a folder can be made or used there; raise :class:`ParameterError` if it,
    or a folder on the way to it, is a file, or the folder it is (or the nearest one on the way to
    it that exists) is one this user cannot write in. ``made``: the file ``option`` names in
    ``path`` (:func:`output_file`), which the message names instead of asking for a folder.

    Examples
    --------
    >>> str(output_folder(Path("runs/quick")))
    'runs/quick'
    >>> Path("notes.txt").write_text("")
    0
    >>> output_folder(Path("notes.txt/run"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: notes.txt: is a file, not a folder; give --out a folder
    >>> output_folder(Path("notes.txt"), made=Path("notes.txt/b.json"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: notes.txt: is a file, so notes.txt/b.json cannot be made; give --out a path in a folder
    """
    a_path_in = "a path in " if made else ""  # was: "give --out a folder" for an option naming a file
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                is_a_file = f"so {printable(str(made))} cannot be made" if made else "not a folder"
                raise ParameterError(where(p, f"is a file, {is_a_file}; give {option} {a_path_in}a folder"))
            if not os.access(p, os.W_OK | os.X_OK):  # was: the system's "Permission denied" on an internal name
                raise ParameterError(where(p, f"is a folder this user cannot write in; give {option} a path where "
                                              "you can write"))
            break
        if p.is_symlink():  # no folder can be made under its name (was: the system's "File exists")
            raise ParameterError(where(p, f"is a symbolic link to {os.readlink(p)}, which does not exist; give "
                                          f"{option} {a_path_in}another folder, or make the one the link names"))
    return path


@contextmanager
def sole_writer(path: Path, option: str = "--out") -> Iterator[Path]:
    """Check ``path`` as :func:`output_folder` does and hold it while the block runs: a second
    evface command writing into the same folder at the same time is refused naming ``option``
    (two trainings of one run trained the same fold at once and clashed on its checkpoint's
    temporary file), and so is one writing into a folder above it or inside it
    (:func:`_check_no_writer_above`, :func:`_check_no_writer_below`), in whichever order the two
    begin: each takes its own folder's lock before it looks for the other's. The lock is ``flock``
    on the folder itself, so nothing is written for it; it ends with the process. Folders made for
    it and left empty are removed. Under ``torchrun`` only rank 0 holds it; on a file system that
    offers no locks the block runs unguarded.

    Examples
    --------
    >>> with sole_writer(Path("runs/a")):
    ...     with sole_writer(Path("runs/a")):
    ...         pass
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: runs/a: another evface command is writing into this folder; wait for it to finish or give --out another folder
    >>> Path("runs").exists()  # made for the lock, left empty: removed
    False
    """
    output_folder(path, option)
    with made_folder(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            if os.environ.get("RANK", "0") == "0":
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ParameterError(where(path, "another evface command is writing into this folder; wait for "
                                                     f"it to finish or give {option} another folder")) from None
                except OSError:  # a file system without locks (some network mounts): go on unguarded
                    pass
                _check_no_writer_above(path, option)
                _check_no_writer_below(path, option)
            yield path
        finally:
            os.close(fd)


def _check_no_writer_above(path: Path, option: str) -> None:
    """Refuse ``path`` where a folder above it is held by another evface command's :func:`sole_writer`:
    ``evface train --out`` or ``evface eval`` into a stage folder of an ``evface run`` that is
    training it (was: let in, both writing the stage's checkpoints and scores; the lock was on
    the folder given alone). A folder that cannot be opened or locked is passed over.

    Examples
    --------
    >>> with sole_writer(Path("runs/quick")):
    ...     with sole_writer(Path("runs/quick/stages/events-hd-3a")):
    ...         pass
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: runs/quick/stages/events-hd-3a: inside runs/quick, which another evface command is writing into (evface run?); wait for it to finish or give --out another folder
    """
    for above in path.parents:
        if _held_by_another(above):
            raise ParameterError(where(path, f"inside {above}, which another evface command is writing into (evface "
                                             f"run?); wait for it to finish or give {option} another folder"))


def _check_no_writer_below(path: Path, option: str) -> None:
    """Refuse ``path`` where a folder inside it is held by another evface command's :func:`sole_writer`:
    ``evface run --out OUT`` while ``evface train --out OUT/stages/STAGE`` or ``evface eval`` into a
    stage folder goes on (was: let in, the run training that stage beside the other command; only a
    folder above was looked at). Symbolic links are not followed; a folder that cannot be opened or
    locked is passed over.

    Examples
    --------
    >>> with sole_writer(Path("runs/quick/stages/events-hd-3a")):
    ...     with sole_writer(Path("runs/quick")):
    ...         pass
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: runs/quick: another evface command is writing into runs/quick/stages/events-hd-3a, inside it; wait for it to finish or give --out another folder
    """
    for folder, _, _ in os.walk(path):
        if folder == os.fspath(path):  # held by this command
            continue
        if _held_by_another(Path(folder)):
            raise ParameterError(where(path, f"another evface command is writing into {folder}, inside it; wait for it "
                                             f"to finish or give {option} another folder"))


def _held_by_another(folder: Path) -> bool:
    """Whether another evface command's :func:`sole_writer` holds ``folder``: its shared lock cannot
    be taken. A folder that cannot be opened (gone meanwhile, or not ours to read: no evface command
    of this user holds it) or locked (a file system without locks) is not held."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # taken only if no command holds it for writing
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # the shared lock, if taken, ends with it
    return False


@contextmanager
def made_folder(path: Path) -> Iterator[Path]:
    """Make the folder ``path`` and the missing ones on the way to it for the block; those it made
    and the block left empty are removed after it (a failed command leaves no empty folder).

    Examples
    --------
    >>> with made_folder(Path("videos/rgb")) as folder:
    ...     folder.is_dir()
    True
    >>> Path("videos").exists()
    False
    """
    made = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        for folder in made:  # deepest first
            if not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()


def file_name(option: str) -> Callable[[str | Path], Path]:
    """A typer ``parser`` for ``option``, which names a file the command writes: the name as a
    :class:`~pathlib.Path`; a :class:`ParameterError` when it ends in ``/`` (or ``/.``, ``/..``),
    which names a folder, a thing that ``Path`` forgets (was: ``convert a.h5 new/`` said
    "new: unknown extension '(none)'", and ``convert a.h5 x.raw/`` wrote the file ``x.raw``).

    Examples
    --------
    >>> file_name("OUT")("clips/a.h5")
    PosixPath('clips/a.h5')
    >>> file_name("OUT")("clips/")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: clips/: names a folder; give OUT a file name (the folder and a name in it)
    """
    def parse(text: str | Path) -> Path:
        text = os.fspath(text)
        if os.path.basename(text) in ("", ".", ".."):
            raise ParameterError(where(text, f"names a folder; give {option} a file name (the folder and a name in it)"))
        return Path(text)

    return parse


def file_argument(name: str, text: str) -> Any:
    """A required typer argument ``name`` (``OUT``), helped by ``text``, naming a file the command writes, checked by
    :func:`file_name`, shown in ``--help`` as ``<path>`` as the options are (was: ``<Path>``: typer
    0.29 shows the annotation's class name for an argument given a ``parser``, whatever its
    ``metavar``). Typer passes the name as typed (``path_type=str``: a ``Path`` forgets a trailing
    ``/``) to :func:`file_name`, as a callback, whose ``Path`` the command gets.

    Examples
    --------
    >>> file_argument("OUT", "PNG file to write.").path_type
    <class 'str'>
    """
    return typer.Argument(..., metavar=name, path_type=str, callback=file_name(name), help=text)


def output_file(path: Path, option: str = "--out", replaces: tuple[str, ...] | None = None) -> Path:
    """Return ``path`` if a file can be written there; raise :class:`ParameterError` if it is a
    symbolic link, a folder, a device, pipe or socket, or a folder on the way to it is a file, or (with
    ``replaces``, the file name endings of what the command writes) an existing file of another kind.

    Examples
    --------
    >>> str(output_file(Path("report.html")))
    'report.html'
    >>> output_file(Path("."), "--out")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: .: is a folder; give --out a file name
    >>> Path("report.html").write_text("an earlier report")
    17
    >>> str(output_file(Path("report.html"), "--out", replaces=(".html",)))
    'report.html'
    >>> Path("config.json").write_text("{}")
    2
    >>> output_file(Path("config.json"), "--out", replaces=(".html",))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: config.json: exists and is not a .html file, which this command would write over; give --out another name
    """
    if path.is_symlink():  # was: the link replaced by the file, the file it names left as it was
        raise ParameterError(where(path, f"is a symbolic link to {os.readlink(path)}; the file is written beside it "
                                         f"and renamed onto it, which would replace the link: give {option} the file "
                                         "the link names, or a new name"))
    if path.is_dir():
        raise ParameterError(where(path, f"is a folder; give {option} a file name"))
    if path.exists() and not path.is_file():  # written by rename: /dev/null itself would be replaced
        raise ParameterError(where(path, f"is a device, pipe or socket, not a file this command can replace; "
                                         f"give {option} a file name"))
    if replaces is not None and path.is_file() and path.suffix.lower() not in replaces:
        raise ParameterError(where(path, f"exists and is not a {' or '.join(replaces)} file, which this command "
                                         f"would write over; give {option} another name"))
    output_folder(path.parent, option, made=path)
    return path


def named_for(path: Path, option: str, endings: tuple[str, ...], holds: str) -> Path:
    """Return ``path`` if its name ends in one of ``endings`` (any case), the kinds of file the command
    writes; else a :class:`ParameterError` naming ``option`` and what the file would hold, before any
    work (was: a NIR graph, PNG, JSON comparison or HTML report written under any name: ``--out cmp``).

    Examples
    --------
    >>> str(named_for(Path("hd-vs-lr.JSON"), "--out", (".json",), "a comparison (JSON)"))
    'hd-vs-lr.JSON'
    >>> named_for(Path("cmp"), "--out", (".json",), "a comparison (JSON)")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --out: cmp would hold a comparison (JSON); give it a .json name
    >>> named_for(Path(".json"), "--out", (".json",), "a comparison (JSON)")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --out: .json is a hidden file of no extension, not a name ending in .json; give it a name before .json, such as x.json
    """
    if path.name.lower() in endings:  # was: told to give it the .json name it was given
        raise ParameterError(f"{option}: {path} is a hidden file of no extension, not a name ending in {path.name}; "
                             f"give it a name before {path.name}, such as x{path.name}")
    if path.suffix.lower() not in endings:
        raise ParameterError(f"{option}: {path} would hold {holds}; give it a {' or '.join(endings)} name")
    return path


def not_replacing(path: Path, option: str, force: bool, what: str = "") -> Path:
    """Return ``path`` unless it is a file with something in it and ``force`` is not set: then a
    :class:`ParameterError` naming it, ``option`` and ``--force``, before the command does any
    work; ``what``, when given, says in words why the command writes there (a file beside
    ``option``'s own). An empty file holds nothing to lose (a name made by ``mktemp``).

    Examples
    --------
    >>> Path("recording.raw").write_bytes(b"% evt 3.0")
    9
    >>> not_replacing(Path("recording.raw"), "OUT", force=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: recording.raw: exists; give OUT another name, or add --force to replace it
    >>> str(not_replacing(Path("recording.raw"), "OUT", force=True))
    'recording.raw'
    """
    if not force and path.is_file() and path.stat().st_size > 0:
        raise _exists(path, option, what)
    return path


@contextmanager
def refusing_newcomer(path: Path, option: str, what: str = "") -> Iterator[None]:
    """Run the block, whose writer puts ``path`` in place without replacing a file (``--force`` not
    given: :func:`~evface.io.atomic_files.publish` with ``replace=False``), and turn the
    :class:`FileExistsError` it raises for ``path`` into :func:`not_replacing`'s :class:`ParameterError`:
    a file made there while the command worked (another program, a second command writing the same
    name) is kept, as one there before it would have been.

    Examples
    --------
    >>> from evface.io.atomic_files import atomic_write
    >>> def newcomer(tmp):
    ...     _ = Path("late.csv").write_text("t,x,y,p"), tmp.write_text("mine")
    >>> with refusing_newcomer(Path("late.csv"), "OUT"):
    ...     atomic_write(Path("late.csv"), newcomer, replace=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: late.csv: exists; give OUT another name, or add --force to replace it
    >>> Path("late.csv").read_text(), sorted(p.name for p in Path(".").glob("late.csv*"))
    ('t,x,y,p', ['late.csv'])
    """
    try:
        yield
    except FileExistsError as exc:
        if exc.filename is None or Path(exc.filename) != path:
            raise
        raise _exists(path, option, what) from None


def replacing_as_checked(path: Path, write: Callable[[bool], object], replaceable: Callable[[Path], object],
                         there: bool) -> None:
    """``write(replace)`` for an output a command replaces only if it is of its own kind (an earlier
    report, comparison or contact sheet; ``replaceable(path)`` raises a :class:`ParameterError` for
    any other file): ``replace`` is ``there``, whether such a file was at ``path`` when the command
    checked it. A file made at ``path`` meanwhile (another program, a second command of one name;
    the writer's :class:`FileExistsError`, :func:`~evface.io.atomic_files.publish`) is put to
    ``replaceable`` as one there before would have been, and replaced only if it lets it through.

    Examples
    --------
    >>> from evface.io.atomic_files import atomic_write_text
    >>> def only_notes(path):
    ...     if not path.read_text().startswith("notes"):
    ...         raise ParameterError(where(path, "is not notes; give --out another name"))
    >>> def write(replace):  # a photo saved at the name while the command worked
    ...     _ = Path("n.txt").write_text("a photo")
    ...     atomic_write_text(Path("n.txt"), "notes 2", replace=replace)
    >>> replacing_as_checked(Path("n.txt"), write, only_notes, there=False)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: n.txt: is not notes; give --out another name
    >>> Path("n.txt").read_text()
    'a photo'
    """
    try:
        write(there)
    except FileExistsError as exc:
        if exc.filename is None or Path(exc.filename) != path:
            raise
        replaceable(path)
        write(True)


def _exists(path: Path, option: str, what: str) -> ParameterError:
    """The error of :func:`not_replacing` for ``path``."""
    why = f" ({what})" if what else ""
    return ParameterError(where(path, f"exists{why}; give {option} another name, or add --force to replace it"))


def not_the_input(path: Path, source: Path, option: str) -> Path:
    """Return ``path`` unless it is the file or folder ``source`` (under any name); a :class:`ParameterError`
    naming ``option`` then, before the command reads ``source`` or writes over it.

    Examples
    --------
    >>> Path("take1.mp4").write_bytes(b"video")
    5
    >>> not_the_input(Path("./take1.mp4"), Path("take1.mp4"), "--rgb-out")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: take1.mp4: is the input file; give --rgb-out another name
    """
    if path.exists() and source.exists() and path.resolve() == source.resolve():
        raise ParameterError(where(path, f"is the input {'folder' if source.is_dir() else 'file'}; give {option} "
                                         "another name"))
    return path


def outside_datasets(path: Path, option: str = "--out", kind: str = "folder", own: bool = False) -> Path:
    """Return ``path`` unless it is a dataset folder or lies inside one (a folder above it holds
    ``dataset.json``); a :class:`ParameterError` naming ``option`` and the dataset then, before
    anything is written: a run, an evaluation, a report or comparison (``kind`` ``"file"``), or
    another dataset written there would lie among the dataset's clips. With ``own``, ``path``
    itself may be a dataset folder (the dataset the command builds, resumes or merges into).

    Examples
    --------
    >>> _ = Path("data/clips").mkdir(parents=True)
    >>> _ = Path("data/dataset.json").write_text("{}")
    >>> outside_datasets(Path("data/clips/run1"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: data/clips/run1: inside the dataset folder data (it holds dataset.json), where what this command writes would lie among the dataset's files; give --out a folder outside it
    >>> str(outside_datasets(Path("runs/run1"))), str(outside_datasets(Path("data"), "OUT", own=True))
    ('runs/run1', 'data')
    >>> outside_datasets(Path("data/report.html"), kind="file")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: data/report.html: inside the dataset folder data (it holds dataset.json), where what this command writes would lie among the dataset's files; give --out a file outside it
    """
    absolute = path.resolve()
    for folder in (*(() if own else (absolute,)), *absolute.parents):
        if (folder / "dataset.json").is_file():
            named = folder if path.is_absolute() else Path(os.path.relpath(folder))
            place = "is a dataset folder" if folder == absolute else f"inside the dataset folder {named}"
            raise ParameterError(where(path, f"{place} (it holds dataset.json), where what this command writes would "
                                             f"lie among the dataset's files; give {option} a {kind} outside it"))
    return path
