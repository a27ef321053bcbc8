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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evface.checks import as_path
from evface.errors import FormatError, where

MAGIC = b"#!AER-DAT4.0\r\n"
COMPRESSIONS = {0: "none", 1: "LZ4", 2: "LZ4 high", 3: "Zstd", 4: "Zstd high"}
_FRAME_MAGIC = {"LZ4": b"\x04\x22\x4d\x18", "Zstd": b"\x28\xb5\x2f\xfd"}
_TYPES = {"EVTS", "FRME", "IMUS", "TRIG", "BBOX", "POSE", "LAND"}  # dv-processing's stream type identifiers
_MAX_HEADER = 64 << 20
AEDAT_TRIGGERS = {1: (0, True), 2: (0, False), 3: (0, True), 4: (1, True), 5: (1, False)}
"""AEDAT 4 trigger types (dv ``TriggerType``) that are edges of a trigger input: external input rising
edge / falling edge / pulse (channel 0), external generator rising / falling edge (channel 1), as
``type: (channel, rising)``. Timestamp resets and APS frame or exposure markers are no edges."""


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
        raise FormatError(where(path, f"corrupt AEDAT 4 header: its stream description is not valid XML ({exc})")) from None
    streams: dict[int, str] = {}
    for out_info in root.iter("node"):
        if out_info.get("name") != "outInfo":
            continue
        for node in out_info.findall("node"):
            name = node.get("name", "")
            kind = next((a.text for a in node.findall("attr") if a.get("key") == "typeIdentifier"), None)
            if not (name.isascii() and name.isdigit()) or kind not in _TYPES:
                raise FormatError(where(path, f"corrupt AEDAT 4 header: stream {name!r} has type {kind!r}"))
            streams[int(name)] = kind
    if not streams:
        raise FormatError(where(path, "corrupt AEDAT 4 header: its description names no stream"))
    return streams


def check_aedat4(path: str | Path) -> dict[int, str]:
    """Check an AEDAT 4 file's header and packet structure without decoding events.

    The checks, in order: the file opened, its magic line and IOHeader, the header's stream
    description, every packet, the end of the data table.

    Returns
    -------
    dict
        Stream id -> type identifier (``"EVTS"``, ``"IMUS"``, ...), as the header declares them.

    Raises
    ------
    FormatError
        Naming the file and the first inconsistency: a file that cannot be opened, a header that is cut, not a flatbuffer or not
        UTF-8 XML, an unknown compression, a data table outside the file, a packet of an undeclared
        stream, a size that runs past the end, a payload that does not start as its compression
        says, or a data table that does not end where the file does (cut, or followed by bytes such
        as a second file joined to it).

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
    file, size = _opened(path)
    with file:
        header = _read_header(path, file, size)
        streams = _streams(path, header.info)
        _check_packets(path, file, header, streams)
        if header.data_table != -1:
            _check_data_table_end(path, file, header.data_table, size, header.compression.split()[0])
    return streams


def packet_counts(path: str | Path) -> dict[int, tuple[str, int]]:
    """The packets of each stream of an AEDAT 4 file, from the 8-byte packet headers alone (nothing
    decompressed): a trigger stream (TRIG) declared by DV with its input off holds none.

    Parameters
    ----------
    path : str or Path
        An AEDAT 4 file (:func:`check_aedat4` refuses what this does not read).

    Returns
    -------
    dict
        Stream id -> (type identifier, packets), every stream the header declares (0 packets for
        one without any).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from evface.events.core import make_events
    >>> from evface.io.event_writer import write_events_file
    >>> ev = make_events(np.array([5, 9]), np.array([1, 2]), np.array([3, 4]), np.array([1, -1]), (8, 8))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(packet_counts(write_events_file(Path(folder) / "a.aedat4", ev, (8, 8))))
    {0: ('EVTS', 1)}
    """
    path = as_path("path", path)
    file, size = _opened(path)
    with file:
        header = _read_header(path, file, size)
        streams = _streams(path, header.info)
        counts = dict.fromkeys(streams, 0)
        at = header.body
        while at < header.end:
            file.seek(at)
            stream, packet = _packet_header(path, file, at, header.end, streams)
            counts[stream] += 1
            at += 8 + packet
    return {stream: (kind, counts[stream]) for stream, kind in streams.items()}


@dataclass(frozen=True)
class _Header:
    """What the IOHeader declares: the packets' compression (a :data:`COMPRESSIONS` name), the data
    table's byte offset (-1 if none), the XML stream description; and the packets' first byte and
    the byte they end at (the data table, else the end of the file)."""

    compression: str
    data_table: int
    info: bytes
    body: int
    end: int


def _opened(path: Path) -> tuple[BinaryIO, int]:
    """The file open for reading, and its size; a :class:`FormatError` if it cannot be read."""
    try:
        size = path.stat().st_size
        file = open(path, "rb")  # noqa: SIM115 - the caller closes it (with file:)
    except OSError as exc:  # missing, a folder, unreadable
        raise FormatError(where(path, f"cannot read ({exc.strerror or exc})")) from None
    return file, size


def _read_header(path: Path, file: BinaryIO, size: int) -> _Header:
    """The magic line and the IOHeader from the start of ``file``: its length within the file, a
    flatbuffer with the 'IOHE' identifier, a known compression, a data table among the packets."""
    magic = file.read(len(MAGIC))
    if magic != MAGIC and size < len(MAGIC) and MAGIC.startswith(magic):
        raise FormatError(where(path, f"truncated inside its header: the file ends at byte {size}, inside its "
                                      "'#!AER-DAT4.0' line"))
    if magic != MAGIC:
        raise FormatError(where(path, "not an AEDAT 4 file (no '#!AER-DAT4.0' line)"))
    raw = file.read(4)
    length = struct.unpack("<I", raw)[0] if len(raw) == 4 else 0
    body = len(MAGIC) + 4 + length
    if not 8 <= length <= min(_MAX_HEADER, size - len(MAGIC) - 4):
        raise FormatError(where(path, f"truncated or corrupt AEDAT 4 header: length {length} in a {size}-byte file"))
    compression, data_table, info = _header_fields(path, file.read(length))
    if compression not in COMPRESSIONS:
        raise FormatError(where(path, f"corrupt AEDAT 4 header: unknown compression {compression}"))
    if data_table != -1 and not body <= data_table < size:
        raise FormatError(where(path, f"corrupt AEDAT 4 header: data table at byte {data_table}, outside the "
                                      f"packets (bytes {body} to {size})"))
    return _Header(COMPRESSIONS[compression], data_table, info, body, size if data_table == -1 else data_table)


def _header_fields(path: Path, header: bytes) -> tuple[int, int, bytes]:
    """The IOHeader flatbuffer's compression, data table position and stream description."""
    try:
        table = _Flatbuffer(header, "header")
        if header[4:8] != b"IOHE":
            raise ValueError("no 'IOHE' identifier")
        return table.int_field(0, "<i", 0), table.int_field(1, "<q", -1), table.string_field(2)
    except (ValueError, struct.error) as exc:
        raise FormatError(where(path, f"corrupt AEDAT 4 header ({exc})")) from None


def _check_packets(path: Path, file: BinaryIO, header: _Header, streams: dict[int, str]) -> None:
    """Every packet from the header to the data table (or the end): a declared stream, a size within
    the packets, a payload that starts as the header's compression says (or, uncompressed, as a
    flatbuffer of its stream's type). Reads the 8-byte packet headers and 12 bytes of each payload."""
    magic = _FRAME_MAGIC.get(header.compression.split()[0])
    at = header.body
    while at < header.end:
        stream, packet = _packet_header(path, file, at, header.end, streams)
        start = file.read(12)
        if magic is not None and start[:4] != magic:
            raise FormatError(where(path, f"corrupt AEDAT 4 packet at byte {at}: not {header.compression} "
                                          "data as the header says"))
        if magic is None and start[8:12] != streams[stream].encode():
            raise FormatError(where(path, f"corrupt AEDAT 4 packet at byte {at}: not a {streams[stream]} "
                                          f"flatbuffer, as stream {stream} should be"))
        at += 8 + packet
        file.seek(at)


def _packet_header(path: Path, file: BinaryIO, at: int, end: int, streams: dict[int, str]) -> tuple[int, int]:
    """The stream id and payload size of the packet at byte ``at``: a stream the header declares,
    a payload that ends by ``end``."""
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
    return stream, packet


def _check_data_table_end(path: Path, file: BinaryIO, start: int, size: int, compression: str) -> None:
    """The data table from byte ``start`` (one size-prefixed flatbuffer, or one LZ4 or Zstd frame of
    it) must end where the file does: two files joined with ``cat`` read as the first alone (faery
    stops at its table), and the events of the second were lost without a word."""
    file.seek(start)
    data = file.read(min(size - start, _MAX_HEADER))  # a table is far shorter; files joined may be long
    try:
        end = start + {"none": _prefixed_end, "LZ4": _lz4_frame_end, "Zstd": _zstd_frame_end}[compression](data)
    except (IndexError, struct.error):  # its framing runs past the bytes read
        end = size + 1
    if end > size:
        raise FormatError(where(path, f"truncated AEDAT 4 file: its data table at byte {start} runs past the end of "
                                      "the file"))
    if end < size:
        joined = " (another AEDAT 4 file follows: files joined end to end)" if data[end - start:].startswith(MAGIC) else ""
        raise FormatError(where(path, f"corrupt AEDAT 4 file: {size - end:,} bytes after its data table, which ends "
                                      f"at byte {end:,}{joined}; evface reads one recording per file"))


def _prefixed_end(data: bytes) -> int:
    """Length of the size-prefixed flatbuffer at the start of ``data``.

    Examples
    --------
    >>> _prefixed_end(bytes([3, 0, 0, 0, 7, 7, 7, 9]))  # 4 + 3 bytes, then one that is not its
    7
    """
    return 4 + struct.unpack_from("<I", data)[0]


def _lz4_frame_end(data: bytes) -> int:
    """Length of the LZ4 frame at the start of ``data``, from its block sizes (nothing is decompressed).

    Examples
    --------
    >>> head = bytes.fromhex("04224d18 40 40 c0")  # magic, FLG (no checksums, no content size), BD, HC
    >>> _lz4_frame_end(head + (0x80000002).to_bytes(4, "little") + b"ab" + bytes(4) + b"more")  # + block, end mark
    17
    """
    flags = data[4]
    at = 7 + 8 * bool(flags & 0x08) + 4 * bool(flags & 0x01)  # magic, FLG, BD, content size, dictionary id, HC
    while (block := struct.unpack_from("<I", data, at)[0]) != 0:
        at += 4 + (block & 0x7FFFFFFF) + 4 * bool(flags & 0x10)  # block checksums
    return at + 4 + 4 * bool(flags & 0x04)  # end mark, content checksum


def _zstd_frame_end(data: bytes) -> int:
    """Length of the Zstandard frame at the start of ``data``, from its block headers.

    Examples
    --------
    >>> head = bytes.fromhex("28b52ffd 24 05")  # magic, single segment with a checksum, content size 5
    >>> raw, rle = (2 << 3).to_bytes(3, "little") + b"ab", (1 | 1 << 1 | 3 << 3).to_bytes(3, "little") + b"c"
    >>> _zstd_frame_end(head + raw + rle + bytes(4) + b"more")  # a raw block, a last RLE block, the checksum
    19
    """
    descriptor = data[4]
    single = bool(descriptor & 0x20)
    at = 5 + (not single) + (0, 1, 2, 4)[descriptor & 3] + (int(single), 2, 4, 8)[descriptor >> 6]
    last = False
    while not last:
        header = struct.unpack_from("<I", data[at:at + 3] + b"\0")[0]  # a struct.error where the data ends
        last, kind = header & 1, (header >> 1) & 3
        at += 3 + (1 if kind == 1 else header >> 3)
    return at + 4 * bool(descriptor & 0x04)  # content checksum
