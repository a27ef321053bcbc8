"""Event-file formats: which format a file is, from its magic bytes, extension and header.

Formats (``detect_format`` names): ``evt3``, ``evt2``, ``evt2.1`` (Prophesee ``.raw``), ``dat``
(Prophesee DAT), ``aedat4`` (iniVation AEDAT 4), ``es`` (Event Stream), ``csv`` (``t,x,y,on``
with the sensor size in the header, as faery writes it) and ``clip`` (evface's HDF5 clip file,
one sensor at a time). :func:`detect_format` names the format of an existing file,
:func:`output_format` the format a new file is written in, and :func:`read_prophesee_header`
parses the ``%`` header of a ``.raw`` or ``.dat`` file. Every problem with a file raises
:class:`~evface.errors.FormatError`, naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from evface.checks import as_path
from evface.errors import FormatError, where
from evface.events.core import SensorSize

FORMATS = ("evt3", "evt2", "evt2.1", "dat", "aedat4", "es", "csv", "clip")
"""Every format name :func:`detect_format` can return."""

EXTENSIONS = {
    ".raw": "evt3", ".evt": "evt3", ".dat": "dat", ".aedat4": "aedat4", ".aedat": "aedat4",
    ".es": "es", ".csv": "csv", ".h5": "clip", ".hdf5": "clip",
}
"""File extension -> format (``.raw`` holds any EVT version; the header says which)."""

EVT_VERSIONS = ("evt3", "evt2", "evt2.1")

PLUGIN_SIZES = {"gen3": (640, 480), "gen31": (640, 480), "gen4": (1280, 720), "gen41": (1280, 720),
                "imx636": (1280, 720)}
"""Sensor size of a Prophesee header without a size line (Metavision files of 2020 and earlier), from
the camera plugin it names (``% plugin_name hal_plugin_gen3_fx3``): Gen3 and Gen3.1 are VGA sensors,
Gen4, Gen4.1 and the IMX636 HD ones."""
_ES_TYPES = {0: "generic", 1: "DVS", 2: "ATIS", 3: "asynchronous display", 4: "color", 5: "liquid"}
_MAGIC = {b"#!AER-DAT4.0": "aedat4", b"Event Stream": "es", b"\x89HDF\r\n\x1a\n": "clip"}
MAX_HEADER_LINE = 1 << 20
"""The longest Prophesee header line read (bytes): longer text after ``%`` is no camera's header."""
_MAGIC_NAMES = {"aedat4": "an AEDAT 4", "es": "an Event Stream", "clip": "an HDF5 (evface clip)"}


def check_file_exists(path: Path, expected: str = "an events file") -> None:
    """Refuse a ``path`` that is missing, a folder (said as one where ``expected`` is wanted), a
    device, pipe or socket, or empty.

    Parameters
    ----------
    path : Path
        The file to check.
    expected : str, optional
        What the file should be, as the error for a folder says it.

    Raises
    ------
    FormatError
        Naming ``path`` and what is wrong with it.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("rec.raw").write_bytes(b"% end\\n")
    >>> check_file_exists(Path("rec.raw"))
    >>> Path("clips").mkdir()
    >>> check_file_exists(Path("clips"), "a clip file (.h5)")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: clips: is a folder, expected a clip file (.h5)
    """
    if not path.exists():
        raise FormatError(where(path, "no such file"))
    if path.is_dir():
        raise FormatError(where(path, f"is a folder, expected {expected}"))
    if not path.is_file():  # a pipe has no size, and a device no end: both were "empty file (0 bytes)"
        raise FormatError(where(path, "is a device, pipe or socket, not a file: evface reads events and clip files "
                                      "from disk, and needs their size (save the stream to a file first)"))
    if path.stat().st_size == 0:
        raise FormatError(where(path, "empty file (0 bytes)"))


def _format_from_extension(path: Path, unknown: str = "") -> str:
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise FormatError(where(path, f"unknown extension {ext or '(none)'!r}; expected one of {known}{unknown}"))
    return EXTENSIONS[ext]


def format_from_content(path: Path, head: bytes) -> str | None:
    """The format an events file's content states, whatever its name: AEDAT 4, Event Stream and
    HDF5 by their magic bytes (as faery tells them), a Prophesee file by its ``%`` header (``% evt``
    for a RAW file, whose version :func:`detect_format` then reads; ``% Version`` for a DAT file);
    None for content that states no format (CSV, a headerless RAW or DAT, anything else).

    Parameters
    ----------
    path : Path
        The file.
    head : bytes
        Its first 16 bytes (or all of a shorter file).

    Returns
    -------
    str or None
        ``"evt3"`` for any EVT version, ``"dat"``, ``"aedat4"``, ``"es"`` or ``"clip"``; or None.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("renamed").write_bytes(b"% evt 3.0\\n% end\\n")
    >>> format_from_content(Path("renamed"), b"% evt 3.0\\n% end\\n"), format_from_content(Path("renamed"), b"t,x,y,on")
    ('evt3', None)
    """
    by_magic = next((fmt for magic, fmt in _MAGIC.items() if head.startswith(magic)), None)
    if by_magic is not None or not head.startswith(b"%"):
        return by_magic
    fields, _ = read_prophesee_header(path)
    return "evt3" if "version" in fields else "dat" if "dat_version" in fields else None


def read_prophesee_header(path: Path) -> tuple[dict[str, str], int]:
    """Parse the ``%`` header lines of a Prophesee ``.raw`` or ``.dat`` file.

    Returns the header as a dict (``version``, the EVT version of a ``.raw``; ``dat_version``, a
    DAT file's ``% Version``; ``width``, ``height``, ``t0``, ``endianness``, ``plugin`` when
    present; ``size_problem`` in the place of ``width`` and ``height`` where a size line states no
    WIDTHxHEIGHT or two disagree, :func:`_stated_size`) and its length in bytes. Parsing stops at ``% end`` or the first line that
    does not start with ``%`` or is not text; a ``%`` line of text that the end of the file cuts is a
    :class:`~evface.errors.FormatError` (a file truncated inside its header, whose cut line was
    decoded as events or taken for another EVT version).

    Parameters
    ----------
    path : Path
        The ``.raw`` or ``.dat`` file.

    Returns
    -------
    fields : dict of str to str
        The fields named above, their values as text.
    length : int
        The header's length in bytes: where the events start.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "rec.raw"
    ...     _ = path.write_bytes(b"% evt 3.0\\n% format EVT3;width=1280;height=720\\n% end\\n" + bytes(8))
    ...     read_prophesee_header(path)
    ({'version': 'evt3', 'width': '1280', 'height': '720'}, 52)
    """
    fields: dict[str, str] = {}
    stated: dict[str, tuple[str, str, str]] = {}  # the size each kind of line states: (line, width, height)
    length = 0
    with open(path, "rb") as f:
        while True:
            line = _header_line(path, f)
            if not line.startswith(b"%") or not is_header_text(line):
                break
            if not line.endswith(b"\n"):  # cut by the end of the file
                shown = line[:80].decode("ascii", "replace") + ("..." if len(line) > 80 else "")
                raise FormatError(where(path, f"truncated inside its header: the file ends in the line {shown!r}"))
            length += len(line)
            words = line[1:].decode("ascii", "replace").replace(";", " ").split()
            if not words:
                continue
            key = words[0]
            if key == "end":
                break
            if key == "evt" and len(words) > 1:
                fields["version"] = {"2": "evt2", "2.0": "evt2", "2.1": "evt2.1", "3": "evt3", "3.0": "evt3"}.get(
                    words[1], words[1])
            elif key == "Version" and len(words) > 1:  # a DAT file's version: '% Version 2'
                fields["dat_version"] = words[1]
            elif key == "format" and len(words) > 1:
                name = words[1].upper().replace("EVT2.0", "EVT2").replace("EVT3.0", "EVT3")
                fields["version"] = {"EVT2": "evt2", "EVT21": "evt2.1", "EVT2.1": "evt2.1", "EVT3": "evt3"}.get(
                    name, words[1])
                sides = dict(word.partition("=")[::2] for word in words[2:])
                if "endianness" in sides:
                    fields["endianness"] = sides["endianness"]
                if "width" in sides or "height" in sides:
                    stated["format"] = (_shown(line), sides.get("width", ""), sides.get("height", ""))
            elif key == "geometry":
                w, _, h = " ".join(words[1:]).lower().partition("x")
                stated["geometry"] = (_shown(line), w.strip(), h.strip())
            elif key in ("Width", "Height"):
                line_w, w, h = stated.get("dat", ("", "", ""))
                side = words[1] if len(words) > 1 else ""
                stated["dat"] = (f"{line_w}, {_shown(line)}".strip(", "), side if key == "Width" else w,
                                 side if key == "Height" else h)
            elif key in ("t0", "T0") and len(words) > 1:
                fields["t0"] = words[1]
            elif key == "plugin_name" and len(words) > 1:
                fields["plugin"] = words[1]
    fields.update(_stated_size(stated))
    return fields, length


def _shown(line: bytes) -> str:
    """A header line as an error names it: its text without the line end, cut at 80 characters."""
    text = line.decode("ascii", "replace").rstrip("\r\n")
    return text[:80] + ("..." if len(text) > 80 else "")


def _stated_size(stated: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """The ``width`` and ``height`` fields from the header's size lines (``% format ...;width=W;height=H``,
    ``% geometry WxH``, DAT ``% Width``/``% Height``), or a ``size_problem`` field saying why they give
    none: a line that states no WIDTHxHEIGHT (``% geometry 640X480``, a width without a height), or two
    that disagree (``% format`` 640x480 and ``% geometry`` 1280x720, a header edited in one place)
    (was: such a line read as no size line, "the header gives no sensor size" or the camera plugin's
    size taken without a word, and of two sizes the last line's)."""
    sizes: dict[tuple[int, int], str] = {}
    for line, width, height in stated.values():
        if not (width.isascii() and width.isdigit() and height.isascii() and height.isdigit()):
            return {"size_problem": f"the header's size line {line!r} states no WIDTHxHEIGHT"}
        sizes.setdefault((int(width), int(height)), line)
    if len(sizes) > 1:
        return {"size_problem": "the header states the sensor size " + " and ".join(
            f"{w}x{h} ({line!r})" for (w, h), line in sizes.items()) + ", which disagree"}
    if not sizes:
        return {}
    ((width_px, height_px),) = sizes
    return {"width": str(width_px), "height": str(height_px)}


def _header_line(path: Path, f: BinaryIO) -> bytes:
    """The next line of a Prophesee header from ``f``, read in pieces of 4096 bytes: whole however long
    while it is ``%`` text (a long ``% serial`` or comment line was cut at 4096 bytes and its rest taken
    for event words), up to :data:`MAX_HEADER_LINE` bytes; a line of text longer than that is refused."""
    line = piece = f.readline(4096)
    while len(piece) == 4096 and not piece.endswith(b"\n") and line.startswith(b"%") and is_header_text(piece):
        if len(line) >= MAX_HEADER_LINE:
            raise FormatError(where(path, f"a header line of text longer than {MAX_HEADER_LINE:,} bytes, beginning "
                                          f"{line[:40].decode('ascii', 'replace')!r}: not a Prophesee header"))
        piece = f.readline(4096)
        line += piece
    return line


def is_header_text(line: bytes) -> bool:
    """Whether ``line`` holds no control byte but tab, carriage return and newline: a header line,
    not events (an EVT 2.0 body, after a header without ``% end``, may start with the byte ``%``).

    Parameters
    ----------
    line : bytes
        A line of a Prophesee file.

    Returns
    -------
    bool
        True for text.

    Examples
    --------
    >>> is_header_text(b"% evt 3.0\\r\\n"), is_header_text(b"%\\x00\\x40\\x07")
    (True, False)
    """
    return all(32 <= b != 127 or b in b"\t\r\n" for b in line)


def prophesee_header_size(fields: dict[str, str]) -> SensorSize | None:
    """The size a Prophesee header's size line gives, or None (see :func:`plugin_sensor_size` then).

    Parameters
    ----------
    fields : dict of str to str
        The header, as :func:`read_prophesee_header` gives it.

    Returns
    -------
    tuple of int or None
        ``(width, height)``; None when the header gives no size, or one that is not two integers.

    Examples
    --------
    >>> prophesee_header_size({"width": "1280", "height": "720"})
    (1280, 720)
    >>> print(prophesee_header_size({"plugin": "hal_plugin_gen31_fx3"}))
    None
    """
    try:
        return (int(fields["width"]), int(fields["height"]))
    except (KeyError, ValueError):
        return None


def plugin_sensor_size(fields: dict[str, str]) -> SensorSize | None:
    """The size of the camera plugin a Prophesee header names (:data:`PLUGIN_SIZES`), or None.

    Parameters
    ----------
    fields : dict of str to str
        The header, as :func:`read_prophesee_header` gives it.

    Returns
    -------
    tuple of int or None
        ``(width, height)`` of the plugin's sensor; None when the header names no known plugin.

    Examples
    --------
    >>> plugin_sensor_size({"plugin": "hal_plugin_gen31_fx3"}), plugin_sensor_size({"plugin": "hal_plugin_imx636"})
    ((640, 480), (1280, 720))
    >>> print(plugin_sensor_size({}))
    None
    """
    plugin = fields.get("plugin", "").lower()
    for part in plugin.replace("-", "_").split("_"):
        if part in PLUGIN_SIZES:
            return PLUGIN_SIZES[part]
    return None


def detect_format(path: str | Path) -> str:
    """The format of an existing events file, from its magic bytes, extension and header.

    A file whose extension is no events file's (none, ``.bin``, ``.txt``: a recording renamed or
    saved under another name) is read by the format its content states
    (:func:`format_from_content`; faery too tells AEDAT 4 and Event Stream files by their magic
    bytes before their extension); a known extension that contradicts the content is refused,
    naming the extension to give.

    Parameters
    ----------
    path : str or Path
        The events file.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    FormatError
        A missing or empty file, an unknown extension (or none) on a file whose content states no
        format, a ``.raw`` without an EVT version, or an extension that contradicts the file's content.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> path = write_events_file("recording.raw", make_events([0, 5], [1, 2], [3, 4], [1, -1]), (640, 480),
    ...                          version="evt2")
    >>> detect_format(path)  # a .raw file: its header names the EVT version
    'evt2'
    >>> import shutil
    >>> detect_format(shutil.copy(path, "recording.bin"))  # renamed: the header still says what it is
    'evt2'
    """
    path = as_path("path", path)
    check_file_exists(path)
    with open(path, "rb") as f:
        head = f.read(20)
    if head.startswith(b"#!AER-DAT") and len(head) > 9 and not head.startswith(b"#!AER-DAT4"):
        aedat = head[9:12].decode("ascii", "replace").strip()
        raise FormatError(where(path, f"an AEDAT {aedat} file (jAER or cAER): not supported, evface reads AEDAT 4 "
                                      "(convert it to AEDAT 4 with DV or dv-processing first)"))
    by_ext = EXTENSIONS.get(path.suffix.lower()) or format_from_content(path, head) or _format_from_extension(
        path, ", or content that states its format (a Prophesee '%' header naming its EVT version or DAT Version; "
              "AEDAT 4, Event Stream or HDF5 magic bytes), which this file lacks")
    by_magic = next((fmt for magic, fmt in _MAGIC.items() if head.startswith(magic)), None)
    if by_magic is not None and by_magic != by_ext:
        said = f"{path.suffix} (EVT)" if by_ext == "evt3" else path.suffix
        name = next(ext for ext, fmt in EXTENSIONS.items() if fmt == by_magic)
        raise FormatError(where(path, f"the extension says {said} but the content is {_MAGIC_NAMES[by_magic]} file: "
                                      f"name it {name}"))
    magic = next((m for m, fmt in _MAGIC.items() if fmt == by_ext), b"")
    if by_magic is None and len(head) < len(magic) and magic.startswith(head):
        raise FormatError(where(path, f"truncated inside its header: the file ends at byte {len(head)}, inside the "
                                      f"{len(magic)} magic bytes of {_MAGIC_NAMES[by_ext]} file"))
    if by_magic is None and by_ext in ("aedat4", "es", "clip"):
        raise FormatError(where(path, f"not {_MAGIC_NAMES[by_ext]} file (its magic bytes are missing: corrupt or wrong "
                                      "extension)"))
    if by_magic == "es":
        _check_event_stream_header(path, head)
    if by_ext in ("evt3", "dat"):
        fields, _ = read_prophesee_header(path)
        _check_prophesee_kind(path, by_ext, fields)
    if by_ext == "evt3":
        version = fields.get("version")
        if version is None:
            raise FormatError(where(path, "the .raw header names no EVT version (expected '% evt 3.0' or "
                                          "'% format EVT3;...')"))
        if version not in EVT_VERSIONS:
            raise FormatError(where(path, f"unsupported EVT version {version!r} (expected evt2, evt2.1 or evt3)"))
        return version
    return by_ext


def _check_prophesee_kind(path: Path, by_ext: str, fields: dict[str, str]) -> None:
    """Refuse a Prophesee DAT file named ``.raw`` and a RAW (EVT) file named ``.dat``: their headers
    look alike, and the other format's decoder called either one "truncated". A DAT header says
    ``% Version 2`` (and may copy the RAW lines of the recording it came from), a RAW one ``% evt``."""
    if by_ext == "evt3" and "version" not in fields and "dat_version" in fields:
        raise FormatError(where(path, f"the extension says {path.suffix} (EVT) but the header is a Prophesee DAT file's "
                                      f"('% Version {fields['dat_version']}', no '% evt'): name it .dat"))
    if by_ext == "dat" and "version" in fields and "dat_version" not in fields:
        raise FormatError(where(path, f"the extension says .dat but the header is a Prophesee RAW file's "
                                      f"({fields['version']}): name it .raw"))


def _check_event_stream_header(path: Path, head: bytes) -> None:
    """Refuse Event Stream versions and types evface cannot read, saying which they are, and a DVS
    Event Stream cut inside its 20-byte header (``head``: up to its first 20 bytes)."""
    if len(head) < 16:
        raise FormatError(where(path, f"truncated Event Stream header: the file ends at byte {len(head)}, inside its "
                                      "version and type (bytes 12 to 15)"))
    major, minor, patch, kind = head[12], head[13], head[14], head[15]
    if major != 2:
        raise FormatError(where(path, f"an Event Stream version {major}.{minor}.{patch} file: not supported, evface "
                                      "reads version 2"))
    if kind != 1:
        name = _ES_TYPES.get(kind, f"unknown (type byte {kind})")
        raise FormatError(where(path, f"an Event Stream of {name} events: not supported, evface reads DVS Event "
                                      "Streams (type byte 1)"))
    if len(head) < 20:
        raise FormatError(where(path, f"truncated Event Stream header: the file ends at byte {len(head)}, inside its "
                                      "sensor size (bytes 16 to 19)"))


def output_format(path: str | Path, format: str | None = None, version: str | None = None) -> str:
    """The format a new file at ``path`` is written in: its extension's (``.raw`` defaults to EVT 3.0).

    ``format`` and ``version`` are names in any case (``"EVT2"``); ``format`` must agree with the
    extension, since a reader tells the format from it (``format="csv"`` on ``a.raw`` wrote a file
    no reader could open), so it only picks the EVT version of a ``.raw``, as ``version`` does.

    Parameters
    ----------
    path : str or Path
        The file to write.
    format : str, optional
        One of :data:`FORMATS`; None: the extension's.
    version : str, optional
        ``evt3``, ``evt2`` or ``evt2.1``, for a ``.raw`` file; None: the one ``format`` gives, else EVT 3.0.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    FormatError
        An unknown extension or name, a ``format`` that contradicts the extension, a ``version`` for
        a file that is not ``.raw``, or a ``format`` and ``version`` that disagree.

    Examples
    --------
    >>> output_format("a.raw"), output_format("a.raw", version="EVT2"), output_format("a.raw", format="evt2.1")
    ('evt3', 'evt2', 'evt2.1')
    >>> output_format("a.raw", format="csv")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: a.raw: format 'csv' contradicts the extension '.raw' (evt3, evt2 or evt2.1), from which every reader tells the format: name the file .csv
    """
    path = as_path("path", path)
    fmt = _format_from_extension(path)
    format, version = _format_name(path, "format", format, FORMATS), _format_name(path, "version", version, EVT_VERSIONS)
    if format is not None:
        if format != fmt and not (format in EVT_VERSIONS and fmt in EVT_VERSIONS):
            family = "evt3, evt2 or evt2.1" if fmt in EVT_VERSIONS else fmt
            ext = next(e for e, f in EXTENSIONS.items() if f == ("evt3" if format in EVT_VERSIONS else format))
            raise FormatError(where(path, f"format {format!r} contradicts the extension {path.suffix!r} ({family}), "
                                          f"from which every reader tells the format: name the file {ext}"))
        fmt = format
    if version is not None:
        if fmt not in EVT_VERSIONS:
            raise FormatError(where(path, f"an EVT version applies to .raw files only, not to {fmt}"))
        if format is not None and format != version:
            raise FormatError(where(path, f"format {format!r} and version {version!r} disagree; give one of them"))
        fmt = version
    return fmt


def _format_name(path: Path, option: str, value: object, names: tuple[str, ...]) -> str | None:
    """``value`` (a format or EVT version name in any case, or None) as the lower-case name it is."""
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in names:
        what = "EVT version" if option == "version" else "format"
        raise FormatError(where(path, f"unknown {what} {value!r} ({option}=); expected one of {', '.join(names)}"))
    return value.lower()
