"""Every text or JSON file a user writes by hand, malformed on purpose, through its reader.

The files people write in a text editor or a spreadsheet are the most likely to be malformed: the
annotation table of ``import session`` (µs and frame-indexed), its ``--rgb-timestamps`` file, its
``--points NAME=CSV`` (read and fitted) and ``--homography NAME=H.json``, the index table of
``import corpus``, and a dataset's ``manifest.csv`` and ``dataset.json``. Each starts from a valid
file like those the other tests write and is mutated: bytes replaced, inserted or deleted, lines
cut, duplicated or swapped, cells replaced with hostile text (:data:`HOSTILE`: empty, ``nan``,
``1e309``, ``'²'``, Arabic-Indic digits, ``0x10``, ``1_000``, a control character, a byte-order
mark, a bare ``\\r``, 5000 digits, bytes that are no UTF-8), columns shifted, a header alone.

The property (:func:`_check`): the reader returns, or raises one :class:`~evface.errors.EvfaceError`
on one line that names the file and, where it names a line, a line the file has; never another
exception (a traceback, exit 1 from the CLI). A deterministic sweep tries every hostile cell in
every cell of every line, every line dropped or doubled, and the file cut at every byte; a property
test lets hypothesis draw new mutations on every run. Each of these was a defect: 5000 digits (``int()`` reads no
more than 4300) as an action unit of either table, a corpus Subject or a ``dataset.json`` number
raising ValueError; arrays nested 100,000 deep in ``H.json`` or ``dataset.json`` RecursionError
(each an internal error, exit 1); and a vertical tab, ``\\x1c`` or NEL in a timestamp file counted
as a line break (errors naming lines the file has not, ``0<VT>5`` read as two timestamps).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evface import cli
from evface.commands.importers import _homography
from evface.datasets.importers.annotations import read_annotations
from evface.datasets.importers.corpus_table import read_corpus_table
from evface.datasets.importers.registration import homography_from_points, read_point_pairs
from evface.datasets.importers.rgb_scan import read_frame_times
from evface.errors import EvfaceError
from evface.io.dataset import read_dataset_json
from evface.io.manifest import read_manifest

HOSTILE = (b"", b" ", b"nan", b"inf", b"-inf", b"-0", b"1e309", b"1e-400", "²".encode(), "١٢".encode(), b"0x10",
           b"1_000", b"\x1c", b"\x00", codecs.BOM_UTF8, b"\r", b"9" * 5000, b"-" + b"9" * 40, "٩".encode() * 5000,
           b"\xff\xfe", b"\xe9", b'"', b'"a,b"', b"\x85", "\u2028".encode(), b"true", b"[", b"{}")
"""Cells a hand-edited file may hold, or that a fuzz should: no number, numbers ``int()`` or
``float()`` read unlike a spreadsheet or not at all, line breaks only some readers see, no text."""

FRAME_TIMES = np.arange(40, dtype=np.int64) * 33_333
"""The RGB frame times the frame-indexed annotation table is read against."""


def _annotations_us(path: Path) -> object:
    return read_annotations(path)


def _annotations_frames(path: Path) -> object:
    return read_annotations(path, frame_times_us=FRAME_TIMES)


def _points(path: Path) -> object:
    """``--points NAME=CSV`` as the import takes it: read, then fitted."""
    return homography_from_points(*read_point_pairs(path), source=str(path))


def _homography_json(path: Path) -> object:
    return _homography(str(path), "--homography hd")


@dataclass(frozen=True)
class Reader:
    """One hand-written file: its name, a valid one, and the call that reads it from its path."""

    name: str
    valid: bytes
    read: Callable[[Path], object]


READERS = {reader.name: reader for reader in (
    Reader("annotations.csv",
           b"subject,clip_id,start_us,onset_us,apex_us,offset_us,end_us,aus,label,lighting,face_x,face_y,face_w,face_h\n"
           b"s1,c1,0,10,20,30,40,1+2,,dim,10,20,64,64.5\n"
           b"s1,,50,60,70,80,90,AU12,smile,,,,,\n"
           b"s2,c3,100,110,120,130,140,L4+R7,,bright,1,2,30,30\n", _annotations_us),
    Reader("frames.csv",
           b"subject,start_frame,onset_frame,apex_frame,offset_frame,end_frame,aus\n"
           b"s2,1,2,3,4,5,AU4\n"
           b"s2,10,12,15,18,20,6+12\n", _annotations_frames),
    Reader("rgb.frames.csv", b"t_us,exposure_us,gain\n0,9000,1.0\n33333,9500,1.0\n66667,9000,1.0\n", read_frame_times),
    Reader("points.csv", b"rgb_x,rgb_y,x,y\n0,0,0,0\n100,0,50,0\n100,50,50,25\n0,50,0,25\n50,25,25,12.5\n", _points),
    Reader("H.json", b"[[0.5, 0.0, 3.0],\n [0.0, 0.5, 3.0],\n [0.0, 0.0, 1.0]]\n", _homography_json),
    Reader("table.csv",
           b"Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Action Units,Estimated Emotion\n"
           b"1,EP01_01,15,27,39,12,happiness\n"
           b"02,EP07_01,104,/,128,1+2,surprise\n", read_corpus_table),
    Reader("manifest.csv",
           b"clip_id,subject,label,aus,lighting,file,onset_us,apex_us,offset_us,duration_us,source\n"
           b"c1,s01,AU12,6+12,bright,clips/c1.h5,0,1500,3000,4000,\n"
           b"c2,s01,AU4,4,dim,clips/c2.h5,10,20,30,40,synth\n", lambda path: read_manifest(path.parent)),
    Reader("dataset.json", b'{\n  "classes": {\n    "AU12": [6, 12],\n    "AU4": [4]\n  },\n  "seed": 7\n}\n',
           lambda path: read_dataset_json(path.parent)),
)}


def _lines_in(data: bytes, name: str) -> int:
    """The lines of the file ``name`` holding ``data`` as a text editor shows them (``\\n``, ``\\r\\n``
    or ``\\r`` ends one), and of JSON the empty one after the last line end (where its error at the
    end of the text points)."""
    return len(data.splitlines()) + name.endswith(".json")


def _check(reader: Reader, folder: Path, data: bytes, label: str) -> None:
    """``data`` as ``reader``'s file in ``folder``: read, or one EvfaceError on one line naming the
    file and, where it names lines, lines the file has."""
    path = folder / reader.name
    path.write_bytes(data)
    try:
        reader.read(path)
    except EvfaceError as exc:
        message = str(exc)
        assert reader.name in message, f"{reader.name}, {label}: the error does not name the file: {message}"
        assert "\n" not in message and "\r" not in message, f"{reader.name}, {label}: not one line: {message!r}"
        if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-16 lines are not b"\n"
            for line in map(int, re.findall(r"\bline (\d+)", message)):
                assert 1 <= line <= _lines_in(data, reader.name), \
                    f"{reader.name}, {label}: names line {line} of a file of {_lines_in(data, reader.name)}: {message}"
    except Exception as exc:  # the property: nothing but an EvfaceError
        raise AssertionError(f"{reader.name}, {label}: {type(exc).__name__}: {str(exc)[:300]}") from exc


def _cells(line: bytes) -> list[bytes]:
    return line.split(b",")


def _sweep(data: bytes) -> Iterator[tuple[str, bytes]]:
    """``(label, bytes)``: every hostile cell in every cell of every line, every line dropped,
    doubled or shifted a column, the header alone, a byte-order mark before it, bare ``\\r`` line
    ends, JSON arrays nested past Python's stack, and the file cut at every byte."""
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        body, end = line.rstrip(b"\r\n"), line[len(line.rstrip(b"\r\n")):]
        cells = _cells(body)
        for j in range(len(cells)):
            for value in HOSTILE:
                changed = b",".join(cells[:j] + [value] + cells[j + 1:]) + end
                yield f"line {i + 1} cell {j + 1} = {value[:12]!r}", b"".join(lines[:i] + [changed] + lines[i + 1:])
        yield f"line {i + 1} dropped", b"".join(lines[:i] + lines[i + 1:])
        yield f"line {i + 1} doubled", b"".join(lines[:i + 1] + lines[i:])
        yield f"line {i + 1} shifted", b"".join(lines[:i] + [b"," + line] + lines[i + 1:])
    yield "header alone", lines[0]
    yield "byte-order mark", codecs.BOM_UTF8 + data
    yield "CR line ends", data.replace(b"\n", b"\r")
    yield "nested thousands deep", b"[" * 100_000
    for cut in range(len(data)):
        yield f"cut at {cut}", data[:cut]


@pytest.mark.parametrize("name", list(READERS))
def test_every_hostile_cell_line_and_cut_reads_or_is_one_error_naming_the_file(name: str, tmp_path: Path) -> None:
    reader = READERS[name]
    _check(reader, tmp_path, reader.valid, "the valid file")
    for label, data in _sweep(reader.valid):
        _check(reader, tmp_path, data, label)


@st.composite
def _mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after 1 to 3 mutations drawn by hypothesis, a cell replaced the likeliest (the first
    problem of a file stops its reader: a mutation hidden behind another's error tests nothing)."""
    for _ in range(draw(st.integers(1, 3))):
        lines = data.splitlines(keepends=True) or [b""]
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("byte", "insert", "delete", "cut", "double", "swap", "drop", "cell", "cell", "cell",
                                   "cell", "shift", "bom", "header", "crlf")))
        if op == "byte" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif op == "insert":
            data = data[:at] + draw(st.sampled_from(HOSTILE) | st.binary(min_size=1, max_size=8)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 16)):]
        elif op == "cut":
            data = data[:at]
        elif op == "double":
            data = b"".join(lines[:i + 1] + lines[i:])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
            data = b"".join(lines)
        elif op == "drop":
            data = b"".join(lines[:i] + lines[i + 1:])
        elif op in ("cell", "shift"):
            body = lines[i].rstrip(b"\r\n")
            cells = _cells(body)
            k = draw(st.integers(0, len(cells) - 1))
            value = b"" if op == "shift" else draw(st.sampled_from(HOSTILE) | st.text(max_size=12).map(str.encode))
            cells[k:k + (op == "cell")] = [value]
            lines[i] = b",".join(cells) + lines[i][len(body):]
            data = b"".join(lines)
        elif op == "bom":
            data = codecs.BOM_UTF8 + data
        elif op == "header":
            data = lines[0]
        elif op == "crlf":
            data = data.replace(b"\n", draw(st.sampled_from((b"\r\n", b"\r", b"\n\n"))))
    return data


@pytest.mark.parametrize("name", list(READERS))
def test_random_mutations_read_or_are_one_error_naming_the_file(name: str, tmp_path: Path) -> None:
    """Property-based: new mutations of the valid file on every run (a failure shrunk to its least)."""
    reader = READERS[name]

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=_mutated(reader.valid))
    def mutated_file_reads_or_is_named(data: bytes) -> None:
        _check(reader, tmp_path, data, f"{data[:200]!r}")

    mutated_file_reads_or_is_named()


def test_a_homography_file_nested_past_pythons_stack_is_one_error_line(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A ``--homography`` file of arrays nested 100,000 deep was RecursionError: an internal error, exit 1."""
    bad = tmp_path / "H.json"
    bad.write_bytes(b"[" * 100_000)
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.raw'}", "--rgb",
            str(tmp_path / "v.mp4"), "--annotations", str(tmp_path / "a.csv"), "--homography", f"hd={bad}"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --homography: {bad}: expected a JSON file holding a 3x3 matrix (maximum recursion")
    assert "\n" not in err and not (tmp_path / "ds").exists()


@pytest.mark.parametrize("entry", ["9" * 5000, "1e309", "NaN"], ids=["5000 digits", "1e309", "NaN"])
def test_a_homography_of_a_number_past_any_float_says_so_in_the_users_terms(tmp_path: Path, entry: str,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Was, for 5000 digits: "... (Exceeds the limit (4300 digits) for integer string conversion: value has
    5000 digits; use sys.set_int_max_str_digits() to increase the limit)", Python's advice to a programmer;
    1e309 and NaN passed, refused only after the scans."""
    bad = tmp_path / "H.json"
    bad.write_text(f"[[0.5, 0, {entry}], [0, 0.5, 3], [0, 0, 1]]")
    args = ["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'hd.raw'}", "--rgb",
            str(tmp_path / "v.mp4"), "--annotations", str(tmp_path / "a.csv"), "--homography", f"hd={bad}"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: --homography: {bad}: the matrix holds NaN, Infinity or a number too large to compute "
                   "with (of more than 308 digits, past 1.8e308); give its 9 entries as ordinary numbers, as 0.5 or 3.0")
    assert not (tmp_path / "ds").exists()
