"""``evface faces OUT.png``: a contact sheet of synthetic faces, action units, head poses and gaze."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from pathlib import Path

import typer

from evface.checks import as_int, real_number, whole_number
from evface.commands import terminal
from evface.commands.options import naming
from evface.commands.paths import file_argument, made_folder, named_for, output_file, replacing_as_checked
from evface.errors import FormatError, ParameterError, where
from evface.io.atomic_files import atomic_write_bytes


def _parse_aus(text: str) -> dict[int | str, float]:
    out: dict[int | str, float] = {}
    for part in filter(None, (p.strip(" \t") for p in text.replace("+", ",").split(","))):  # strip(): '\x1c5' was AU5
        au, colon, w = part.partition(":")
        key = au.strip(" \t").upper().removeprefix("AU")
        au_key: int | str | None = key if key[:1] in ("L", "R") else whole_number(key)  # was int(): '١٢' read as 12
        intensity = real_number(w) if colon else 1.0  # was: '12:' drawn at 1 as if no intensity were given
        if au_key is None or intensity is None:
            raise ParameterError(f"--aus: cannot read {part!r}; expected e.g. '12', '6+12', 'L14' or '12:0.5'")
        if au_key in out:  # was: '12+12:0.5' rendered the last intensity without a word
            raise ParameterError(f"--aus: {text!r} names AU {au_key} twice; give each AU of a column once")
        out[au_key] = intensity
    if not out:  # was: drawn as a second neutral column
        raise ParameterError(f"--aus: {text!r} names no AU, a column that would repeat the neutral face; give e.g. '12'")
    if not any(out.values()):  # was: '12:0' drawn as a second neutral column too
        raise ParameterError(f"--aus: {text!r} moves no AU (every intensity 0), a column that would repeat the neutral "
                             "face; give e.g. '12' or '12:0.5'")
    from evface.face.aus import check_aus  # lazy: numpy stays out of CLI start-up

    with naming("--aus"):
        check_aus(out)
    return out


POSE_FIELDS = {"yaw": "yaw_deg", "pitch": "pitch_deg", "roll": "roll_deg"}


def _parse_pose(text: str) -> dict[str, float]:
    out = {}
    for part in filter(None, (p.strip(" \t") for p in text.split(","))):
        name, _, value = part.partition("=")
        field, angle = POSE_FIELDS.get(name.strip(" \t").lower()), real_number(value)  # was float(): 'yaw=١٢' read as 12
        if field is None or angle is None:
            raise ParameterError(f"cannot read {part!r}; expected e.g. 'yaw=4', 'pitch=-3,roll=2'")  # naming adds --pose
        if field in out:  # was: 'yaw=4,yaw=-4' drew the last without a word
            raise ParameterError(f"{text!r} names {name.strip().lower()} twice; give each angle of a column once")
        out[field] = angle
    if not out:  # was: drawn as a second neutral column
        raise ParameterError(f"{text!r} names no angle, a column that would repeat the neutral face; give e.g. 'yaw=4'")
    if not any(out.values()):  # was: 'yaw=0' drawn as a second neutral column too
        raise ParameterError(f"{text!r} turns the head by no angle, a column that would repeat the neutral face; "
                             "give e.g. 'yaw=4'")
    return out


MAX_SHEET_PIXELS = 1 << 28
"""The largest contact sheet (pixels, 768 MB as RGB): more is refused before rendering."""
SHEET_MARK = b"tEXtSoftware\0evface faces"
"""The PNG text chunk (type and content) that marks a contact sheet evface wrote, right after the header."""


def marked(png: bytes) -> bytes:
    """The PNG ``png`` with :data:`SHEET_MARK` as its second chunk (after IHDR, which ends at byte 33).

    Examples
    --------
    >>> import io, cv2, numpy as np
    >>> from PIL import Image
    >>> png = marked(cv2.imencode(".png", np.zeros((2, 3, 3), np.uint8))[1].tobytes())
    >>> image = Image.open(io.BytesIO(png))  # checks each chunk's CRC
    >>> image.size, image.info
    ((3, 2), {'Software': 'evface faces'})
    >>> _ = Path("sheet.png").write_bytes(png)
    >>> is_sheet(Path("sheet.png"))
    True
    """
    length = (len(SHEET_MARK) - 4).to_bytes(4, "big")
    return png[:33] + length + SHEET_MARK + zlib.crc32(SHEET_MARK).to_bytes(4, "big") + png[33:]


def is_sheet(path: Path) -> bool:
    """Whether the file ``path`` is a contact sheet evface wrote (:data:`SHEET_MARK` after its header)."""
    with open(path, "rb") as fh:
        return SHEET_MARK in fh.read(64)


def _replaceable(out: Path) -> bool:
    """Whether ``out`` holds a contact sheet evface wrote, which ``faces`` replaces; False where there is
    nothing to lose there (no file, an empty one); a :class:`ParameterError` naming OUT for any other file.

    Examples
    --------
    >>> _ = Path("holiday.png").write_bytes(b"a photo")
    >>> _replaceable(Path("holiday.png"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: holiday.png: exists and is not a contact sheet evface wrote (sheets written before 2026-12-05 carry no mark of it), which this command would write over; give OUT another name, or move or delete the file
    """
    if not (out.is_file() and out.stat().st_size):
        return False
    if not is_sheet(out):
        raise ParameterError(where(out, "exists and is not a contact sheet evface wrote (sheets written before "
                                        "2026-12-05 carry no mark of it), which this command would write over; give "
                                        "OUT another name, or move or delete the file"))
    return True


def register(app: typer.Typer) -> None:
    """Add ``evface faces`` to ``app``.

    Parameters
    ----------
    app : typer.Typer
        The CLI's app (:mod:`evface.cli` calls this for each module of :mod:`evface.commands`).
    """

    @app.command("faces")
    def faces(
        out: Path = file_argument("OUT", "PNG file to write (an existing file is replaced only if it is a contact sheet evface wrote)."),
        seeds: str = typer.Option("0-7", help="Which procedural identities to draw, one row each, by seed: a range '0-7' or a list '1,4,9' (not a count, as run's --seeds is)."),
        aus: list[str] = typer.Option(["1+2", "4", "6+12", "9", "L14", "15", "17", "45", "61:0.5", "64:0.5"],
                                      "--aus", help="AU columns after the neutral one: '12', '6+12', 'L14' (one-sided, "
                                                    "the subject's left), '12:0.5'; gaze is 61-64 (1 = 20 degrees)."),
        pose: list[str] = typer.Option(["yaw=-4", "yaw=4", "pitch=3"], "--pose",
                                       help="Head-pose columns after the AU ones (neutral face): 'yaw=4,pitch=-2' "
                                            "(degrees; yaw > 0 turns the nose to the image right)."),
        size: int = typer.Option(192, min=16, help="Tile size in pixels."),
        photo: list[Path] = typer.Option([], help="Frontal face photo(s) to add as rows."),
        astronaut: bool = typer.Option(False, help="Add scikit-image's astronaut photo identity."),
        diff: float = typer.Option(0.0, help="Show |AU - neutral| x DIFF instead of the AU image (0 = off)."),
    ) -> None:
        """Render neutral, AU apex (intensity 1 = strong micro-expression), gaze and head poses for several faces."""
        sheet_there = _checked_out(out)
        if not (math.isfinite(diff) and diff >= 0):
            raise ParameterError(f"--diff: expected a number >= 0 (0 = off), got {diff}")
        seed_list = _parse_seeds(seeds)
        _check_photos(photo)
        if not seed_list and not (photo or astronaut):
            raise ParameterError(f"--seeds: {seeds!r} names no identity; expected e.g. '0-5' or '1,4,9'")
        _check_sheet_size(len(seed_list) + len(photo) + int(astronaut), 1 + len(aus) + len(pose), size)
        idents = _identities(seed_list, photo, astronaut)
        expressions, poses = _columns(aus, pose)
        from evface.face.preview import contact_sheet  # lazy: cv2 and the renderer stay out of CLI start-up

        sheet = contact_sheet(idents, expressions, size=size, poses=poses, difference_gain=diff)
        _write_sheet(out, sheet, sheet_there)
        terminal.result(f"wrote {out} ({len(idents)} face{'s' * (len(idents) != 1)} x {len(expressions)} columns)")


def _checked_out(out: Path) -> bool:
    """Whether OUT ``out`` holds a contact sheet to replace (:func:`_replaceable`), once it is a file
    name ending in ``.png`` (else a :class:`ParameterError` naming OUT)."""
    output_file(out, "OUT", replaces=(".png",))
    named_for(out, "OUT", (".png",), "a PNG image")  # was: PNG bytes written under any name (faces.jpg, faces.txt)
    return _replaceable(out)  # was: a photo of the user's replaced


def _parse_seeds(seeds: str) -> Sequence[int]:
    """The procedural identity seeds ``--seeds`` names: a range ``'0-7'`` or a list ``'1,4,9'``
    naming each seed once (else a :class:`ParameterError` naming --seeds).

    Examples
    --------
    >>> _parse_seeds("2-4"), _parse_seeds("1, 9")
    (range(2, 5), [1, 9])
    >>> _parse_seeds("3,3")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --seeds: '3,3' names seed 3 twice; give each identity once
    >>> _parse_seeds("5-2")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --seeds: '5-2' runs backwards; give the range low to high, e.g. '2-5'
    """
    try:
        if "-" in seeds:
            a, b = (as_int("--seeds", _seed(v), 0) for v in seeds.split("-"))
            if a > b:  # was: an empty range, "names no identity" (and, beside --photo, no procedural face)
                raise ParameterError(f"--seeds: {seeds!r} runs backwards; give the range low to high, e.g. '{b}-{a}'")
            seed_list: Sequence[int] = range(a, b + 1)  # not listed: the sheet's size bounds it below
        else:
            seed_list = [as_int("--seeds", _seed(s), 0) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ParameterError(f"--seeds: cannot read {seeds!r}; expected '0-5' or '1,4,9'") from None
    # was: '0,0' drew the same face in two rows (a range, not listed: the sheet's size bounds it, repeats none)
    if isinstance(seed_list, list) and len(set(seed_list)) < len(seed_list):
        twice = next(seed for seed in seed_list if seed_list.count(seed) > 1)
        raise ParameterError(f"--seeds: {seeds!r} names seed {twice} twice; give each identity once")
    return seed_list


def _seed(text: str) -> int:
    """One seed of ``--seeds`` (a ValueError where it is no whole number, :func:`~evface.checks.whole_number`:
    was ``int()``'s, '١٢' read as 12)."""
    seed = whole_number(text)
    if seed is None:
        raise ValueError(text)
    return seed


def _check_photos(photo: list[Path]) -> None:
    """A :class:`ParameterError` for a ``--photo`` given twice (was: the same photo drawn in two rows,
    under any name: ./x.png, a link), or a FormatError for one that is a folder or not a file on disk
    (:func:`~evface.face.identity.check_photo_file`, as every photo reader does; a pipe: was read
    for ever; a folder: was "unreadable or corrupt image"), before the sheet is sized. A missing or
    undecodable photo is :func:`~evface.face.identity.read_photo`'s to refuse."""
    from evface.face.identity import check_photo_file  # lazy: cv2 stays out of CLI start-up

    seen: dict[Path, Path] = {}
    for given in photo:
        first = seen.setdefault(given.resolve(), given)
        if first is not given:
            raise ParameterError(where(given, f"is the --photo {first} again; give each photo once"))
        check_photo_file(given, "give --photo an image file")


def _check_sheet_size(rows: int, columns: int, size: int) -> None:
    """A :class:`ParameterError` for a sheet of ``rows`` x ``columns`` tiles of ``size`` pixels above
    :data:`MAX_SHEET_PIXELS`, or a tile whose renderer would not fit in memory."""
    if rows * columns * size**2 > MAX_SHEET_PIXELS:
        raise ParameterError(f"--seeds, --aus, --pose, --size: {rows} face{'s' * (rows != 1)} x {columns} columns of "
                             f"{size} px tiles exceed a sheet's {MAX_SHEET_PIXELS:,} pixels; render fewer")
    from evface.face.canvas import check_memory  # lazy: numpy stays out of CLI start-up

    with naming("--size"):  # was: a MemoryError, or the process killed, while drawing a face
        check_memory((size, size), "give a smaller --size")


def _identities(seed_list: Sequence[int], photo: list[Path], astronaut: bool) -> list:
    """The sheet's rows: the procedural identities of ``seed_list``, then those of the photos
    (a mirrored one, or one whose canvas shows another face, warned of), then scikit-image's
    astronaut where asked."""
    from evface.face.identity import (builtin_photo_identities, mirrored_face, other_face,  # lazy: cv2 stays out of CLI start-up
                                      photo_identity, procedural_identity, read_photo)

    idents = [procedural_identity(s) for s in seed_list]
    for p in photo:  # a JPEG cut short is refused (was drawn, its missing rows grey)
        idents.append(photo_identity(read_photo(p), p.stem, source=str(p)))
        for why in (mirrored_face(idents[-1]), other_face(idents[-1])):
            if why:  # a preview still draws it; evface synth skips such a photo
                terminal.warn(terminal.console(), f"{p}: {why}")
    if astronaut:
        idents.extend(builtin_photo_identities())
    return idents


def _columns(aus: list[str], pose: list[str]) -> tuple[list[dict], list]:
    """The sheet's columns as AU intensities and head poses: the neutral face, one per ``--aus``,
    then one per ``--pose`` (neutral face)."""
    from evface.face.head_pose import FacePose  # lazy: cv2 (the procedural face's) stays out of CLI start-up

    au_columns = [_parse_aus(a) for a in aus]
    _each_once("--aus", aus, au_columns)
    with naming("--pose"):
        pose_columns = [FacePose(**_parse_pose(p)) for p in pose]
    _each_once("--pose", pose, pose_columns)
    return [{}] + au_columns + [{} for _ in pose], [FacePose()] * (1 + len(aus)) + pose_columns


def _each_once(option: str, given: list[str], columns: list) -> None:
    """A :class:`ParameterError` where two of the ``columns`` read from ``option``'s values ``given``
    are the same (was: ``--aus 12 --aus 12``, or ``--aus 6+12 --aus 12+6``, drew one column twice).

    Examples
    --------
    >>> _each_once("--aus", ["6+12", "12+6:1"], [{6: 1.0, 12: 1.0}, {12: 1.0, 6: 1.0}])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --aus: '12+6:1' draws the column of '6+12' again; give each column once
    """
    for i, column in enumerate(columns):
        if column in columns[:i]:
            first = given[columns.index(column)]
            raise ParameterError(f"{option}: {given[i]!r} draws the column of {first!r} again; give each column once")


def _write_sheet(out: Path, sheet, sheet_there: bool) -> None:
    """Write the RGB ``sheet`` to ``out`` as a marked PNG, all or nothing, replacing only what
    :func:`_replaceable` allowed when ``out`` was checked (``sheet_there``) and still allows."""
    import cv2  # lazy: cv2 stays out of CLI start-up

    ok, buf = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise FormatError(where(out, "PNG encoding failed"))
    png = marked(buf.tobytes())  # a full disk: no partial file, an older sheet kept; a file made at OUT
    with made_folder(out.parent):  # a folder made for OUT is removed if the write fails (was: left, empty)
        replacing_as_checked(out, lambda replace: atomic_write_bytes(out, png, replace),  # meanwhile as one there
                             _replaceable, sheet_there)  # before (was: replaced whatever it was)
