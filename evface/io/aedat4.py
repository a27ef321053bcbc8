"""AEDAT 4 structure check, in Python, before a file reaches faery's native decoder.

faery's decoder aborts the whole process (a Rust panic across the FFI boundary, which Python cannot
catch) on some corrupted files, e.g. a header description that is not UTF-8. :func:`check_aedat4`
walks the container without decoding any event and raises one :class:`~evface.errors.FormatError`
naming the file and the first inconsistency.

The container (iniVation's AEDAT 4.0 spec, as DV and dv-processing write it)::

    "#!AER-DAT4.0\\r\\n"                 14 bytes
    uint32 n, IOHeader flatbuffer       n bytes, identifier "IOHE":
        compression: int32               0 none, 1 LZ4, 2 LZ4 high, 3 Zstd, 4 Zstd high
        dataTablePosition: int64         byte offset of the FileDataTable, -1 if none
        infoNode: string                 XML naming each stream (<node name="ID"> with typeIdentifier)
    packets                              int32 stream id, int32 size, then ``size`` bytes of the
                                         (compressed) size-prefixed flatbuffer
    FileDataTable                        from dataTablePosition to the end of the file

All integers are little-endian. The check reads the header and the 8-byte packet headers only, so
it costs one pass of small reads over a file of any size.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from evface.checks import as_path
from evface.errors import FormatError, where

MAGIC = b"#!AER-DAT4.0\r\n"
COMPRESSIONS = {0: "none", 1: "LZ4", 2: "LZ4 high", 3: "Zstd", 4: "Zstd high"}
_FRAME_MAGIC = {"LZ4": b"\x04\x22\x4d\x18", "Zstd": b"\x28\xb5\x2f\xfd"}
_TYPES = {"EVTS", "FRME", "IMUS", "TRIG", "BBOX", "POSE", "LAND"}  # dv-processing's stream type identifiers
_MAX_HEADER = 64 << 20


class _Flatbuffer:
    """Bounds-checked reads of one flatbuffer table (the generated accessors check nothing)."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.what = data, what
        self.table = self._u32(0)
        vtable = self.table - self._i32(self.table)
        self._vtable_size = self._u16(vtable)
        if self._vtable_size < 4 or self._vtable_size % 2:
            raise ValueError(f"{what}: invalid vtable size {self._vtable_size}")
        self._need(vtable, self._vtable_size)
        self._vtable = vtable

    def _need(self, at: int, size: int) -> None:
        if at < 0 or at + size > len(self.data):
            raise ValueError(f"{self.what}: offset {at} outside its {len(self.data)} bytes")

    def _u16(self, at: int) -> int:
        self._need(at, 2)
        return struct.unpack_from("<H", self.data, at)[0]

    def _u32(self, at: int) -> int:
        self._need(at, 4)
        return struct.unpack_from("<I", self.data, at)[0]

    def _i32(self, at: int) -> int:
        self._need(at, 4)
        return struct.unpack_from("<i", self.data, at)[0]

    def _field(self, index: int) -> int | None:
        slot = 4 + 2 * index
        offset = self._u16(self._vtable + slot) if slot < self._vtable_size else 0
        return self.table + offset if offset else None

    def int_field(self, index: int, fmt: str, default: int) -> int:
        at = self._field(index)
        if at is None:
            return default
        self._need(at, struct.calcsize(fmt))
        return struct.unpack_from(fmt, self.data, at)[0]

    def string_field(self, index: int) -> bytes:
        at = self._field(index)
        if at is None:
            return b""
        start = at + self._u32(at)
        length = self._u32(start)
        self._need(start + 4, length)
        return self.data[start + 4:start + 4 + length]


def _streams(path: Path, info: bytes) -> dict[int, str]:
    """Stream id -> type identifier, from the header's XML description."""
    try:
        root = ElementTree.fromstring(info.decode("utf-8"))
    except (UnicodeDecodeError, ElementTree.ParseError) as exc:
        raise FormatError(where(path, f"corrupt AEDAT 4 header: its stream description is not valid XML ({exc})"))
    streams: dict[int, str] = {}
    for out_info in root.iter("node"):
        if out_info.get("name") != "outInfo":
            continue
        for node in out_info.findall("node"):
            name = node.get("name", "")
            kind = next((a.text for a in node.findall("attr") if a.get("key") == "typeIdentifier"), None)
            if not name.isdigit() or kind not in _TYPES:
                raise FormatError(where(path, f"corrupt AEDAT 4 header: stream {name!r} has type {kind!r}"))
            streams[int(name)] = kind
    if not streams:
        raise FormatError(where(path, "corrupt AEDAT 4 header: its description names no stream"))
    return streams


def check_aedat4(path: str | Path) -> dict[int, str]:
    """Check an AEDAT 4 file's header and packet structure without decoding events.

    Returns
    -------
    dict
        Stream id -> type identifier (``"EVTS"``, ``"IMUS"``, ...), as the header declares them.

    Raises
    ------
    FormatError
        Naming the file and the first inconsistency: a file that cannot be opened, a header that is cut, not a flatbuffer or not
        UTF-8 XML, an unknown compression, a data table outside the file, a packet of an undeclared
        stream, a size that runs past the end, or a payload that does not start as its compression
        says.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> ev = make_events(np.array([5, 9]), np.array([1, 2]), np.array([3, 4]), np.array([1, -1]), (8, 8))
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = write_events_file(Path(tmp.name) / "a.aedat4", ev, (8, 8))
    >>> check_aedat4(path)
    {0: 'EVTS'}
    >>> data = bytearray(path.read_bytes()); data[200] = 0xC9
    >>> _ = (Path(tmp.name) / "b.aedat4").write_bytes(bytes(data))
    >>> check_aedat4(Path(tmp.name) / "b.aedat4")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: .../b.aedat4: corrupt AEDAT 4 header: its stream description is not valid XML (...)
    >>> tmp.cleanup()
    """
    path = as_path("path", path)
    try:
        size = path.stat().st_size
        file = open(path, "rb")
    except OSError as exc:  # missing, a folder, unreadable
        raise FormatError(where(path, f"cannot read ({exc.strerror or exc})")) from None
    with file:
        if file.read(len(MAGIC)) != MAGIC:
            raise FormatError(where(path, "not an AEDAT 4 file (no '#!AER-DAT4.0' line)"))
        raw = file.read(4)
        length = struct.unpack("<I", raw)[0] if len(raw) == 4 else 0
        body = len(MAGIC) + 4 + length
        if not 8 <= length <= min(_MAX_HEADER, size - len(MAGIC) - 4):
            raise FormatError(where(path, f"truncated or corrupt AEDAT 4 header: length {length} in a {size}-byte file"))
        header = file.read(length)
        try:
            table = _Flatbuffer(header, "header")
            if header[4:8] != b"IOHE":
                raise ValueError("no 'IOHE' identifier")
            compression = table.int_field(0, "<i", 0)
            data_table = table.int_field(1, "<q", -1)
            info = table.string_field(2)
        except (ValueError, struct.error) as exc:
            raise FormatError(where(path, f"corrupt AEDAT 4 header ({exc})")) from None
        if compression not in COMPRESSIONS:
            raise FormatError(where(path, f"corrupt AEDAT 4 header: unknown compression {compression}"))
        if data_table != -1 and not body <= data_table < size:
            raise FormatError(where(path, f"corrupt AEDAT 4 header: data table at byte {data_table}, outside the "
                                          f"packets (bytes {body} to {size})"))
        streams = _streams(path, info)
        end = size if data_table == -1 else data_table
        magic = _FRAME_MAGIC.get(COMPRESSIONS[compression].split()[0])
        at = body
        while at < end:
            head = file.read(8)
            if len(head) < 8 or at + 8 > end:
                raise FormatError(where(path, f"truncated AEDAT 4 packet header at byte {at}"))
            stream, packet = struct.unpack("<ii", head)
            if stream not in streams:
                raise FormatError(where(path, f"corrupt AEDAT 4 packet at byte {at}: stream {stream} is not in the "
                                              f"header (it declares {sorted(streams)})"))
            if packet <= 0 or at + 8 + packet > end:
                raise FormatError(where(path, f"truncated or corrupt AEDAT 4 packet at byte {at}: {packet} bytes "
                                              f"declared, {end - at - 8} left"))
            start = file.read(12)
            if magic is not None and start[:4] != magic:
                raise FormatError(where(path, f"corrupt AEDAT 4 packet at byte {at}: not {COMPRESSIONS[compression]} "
                                              "data as the header says"))
            if magic is None and start[8:12] != streams[stream].encode():
                raise FormatError(where(path, f"corrupt AEDAT 4 packet at byte {at}: not a {streams[stream]} "
                                              f"flatbuffer, as stream {stream} should be"))
            at += 8 + packet
            file.seek(at)
    return streams
