"""The checks of an events file as :class:`~evface.io.event_reader.EventsFileReader` opens and
decodes it: the sensor size it states against the one given, its header's time origin, a DAT
file's event bytes, an Event Stream's last event, and the order, time, coordinates and polarity of
its decoded events, each problem one error naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from evface.checks import INT64
from evface.errors import EventsError, FormatError, counted, where
from evface.events.core import SensorSize, check_stream
from evface.io import evt as io_evt
from evface.io.formats import MAX_HEADER_LINE, is_header_text, plugin_sensor_size, prophesee_header_size

_ES_DVS_HEADER = 20
_Stated = TypeVar("_Stated", bound=SensorSize | None)


def agreeing_sensor_size(path: Path, stated: _Stated, given: SensorSize | None) -> _Stated:
    """The sensor size the file ``stated`` (None if it states none), refused if the one ``given``
    (``--sensor-size``, ``sensor_size=``) differs: a size given for a file that has one was ignored."""
    if stated is not None and given is not None and tuple(map(int, stated)) != tuple(given):
        raise FormatError(where(path, f"the file gives the sensor size {int(stated[0])}x{int(stated[1])}, and the "
                                      f"{given[0]}x{given[1]} given (--sensor-size, sensor_size=) disagrees: leave "
                                      "it out"))
    return stated


def prophesee_sensor_size(path: Path, header: dict[str, str],
                          given: SensorSize | None) -> tuple[SensorSize | None, str]:
    """The sensor size of a Prophesee file (``header`` as :func:`~evface.io.formats.read_prophesee_header`
    gives it) and where it comes from: ``"header"`` (a size line; a size given must agree,
    :func:`agreeing_sensor_size`), ``"given"`` (``--sensor-size``, ``sensor_size=``) or ``"plugin"``
    (the camera plugin's size, a guess; None without one), for :func:`off_sensor_error`."""
    stated = agreeing_sensor_size(path, prophesee_header_size(header), given)
    if stated is not None:
        return stated, "header"
    if given is not None:
        return given, "given"
    return plugin_sensor_size(header), "plugin"


def off_sensor_error(path: Path, index: int, event: tuple[int, int, int], size: SensorSize, source: str,
                     plugin: str = "") -> FormatError:
    """The error for event ``index`` of the Prophesee file ``path``, ``event`` = (t, x, y), off the
    sensor of ``size`` that ``source`` gave (:func:`prophesee_sensor_size`; ``plugin``: the plugin
    the header names): one line naming the event and ``--sensor-size`` (was: faery's "x overflow
    (x=500 must be strictly smaller than width=320)", no event named, and "the file is corrupt")."""
    (t, x, y), (width, height) = event, size
    off = f"event {index} at t={t} µs (x={x}, y={y}) lies outside the {width}x{height} sensor"
    option = "give the sensor's full size with --sensor-size WxH (sensor_size=(width, height) from Python)"
    if source == "given":
        return FormatError(where(path, f"{off}: the sensor size {width}x{height} was given (--sensor-size), not read "
                                       f"from the file, and events outside it do not decode: {option}"))
    if source == "plugin":
        return FormatError(where(path, f"{off} of the camera plugin its header names ({plugin}; no size line): "
                                       f"{option}"))
    return FormatError(where(path, f"{off} its header states: a header that understates its sensor (a size line "
                                   "edited, or written for another camera), or a corrupt file; correct the header's "
                                   "size lines ('% format ...;width=W;height=H', '% geometry WxH'; a DAT file's "
                                   "'% Width', '% Height') to the sensor's full size (--sensor-size cannot replace "
                                   "a size the header states: faery, which decodes the file, takes the header's)"))


def header_t0(path: Path, header: dict[str, str]) -> int:
    """The time origin of a Prophesee header (``% t0``, ``% T0``: the first event's time, as evface
    and faery write it; 0 without one), refused unless a whole number of µs from 0 to 2^63 - 1:
    faery ignored any other text, so that every time lost its origin, and wrapped larger numbers."""
    text = header.get("t0", "0")
    if not (text.isascii() and text.isdigit()) or int(text) > INT64[1]:
        raise FormatError(where(path, f"the header's t0 {text!r} is not a time in µs (a whole number from 0 to "
                                      "2^63 - 1): a corrupt header"))
    return int(text)


def times_within_int64(path: Path, events: np.ndarray, t0: int) -> np.ndarray:
    """``events`` (or faery's), whose times the header's ``t0`` was added to, unless that took the
    last past 2^63 - 1 µs, where it reads as negative (faery adds in uint64, EVT 2.1 in int64)."""
    if events.size and events["t"][-1].astype(np.int64) < 0:
        raise FormatError(where(path, f"the header's t0 {t0:,} µs plus the events' times passes 2^63 - 1 µs: a "
                                      "corrupt header"))
    return events


SEARCH_BLOCK = 1 << 23
"""Bytes of a body read at once where it is searched (:func:`_joined_header`,
:func:`check_event_stream_end`, :func:`refuse_joined_event_streams`): the memory a search holds,
whatever the file's size (was: the whole file mapped, so that the resident memory of a reader of an
EVT 3.0 file grew with it, 0.8 GB for a 0.55 GB file: docs/file-formats.md, "Long recordings")."""


def _blocks(f: BinaryIO, start: int, overlap: int) -> Iterator[tuple[int, bytes]]:
    """The bytes of the open file ``f`` from ``start`` to its end as ``(offset, block)``: blocks of
    :data:`SEARCH_BLOCK` bytes, each but the last followed by the first ``overlap`` bytes of the
    next, so that what is sought across a block's end is found in that block."""
    size = f.seek(0, 2)
    for at in range(start, size, SEARCH_BLOCK):
        f.seek(at)
        yield at, f.read(SEARCH_BLOCK + overlap)


def _joined_header(path: Path, start: int, anywhere: bool) -> tuple[int, str] | None:
    """The byte offset and first line of another Prophesee header in the body of ``path`` (from
    ``start``, where its events begin), or None: two files joined end to end (``cat a.raw b.raw``),
    whose second header a decoder reads as events.

    The sought bytes are the file's own first header line up to its first word (``% Date ``,
    ``% evt ``, ``% Version ``), followed by text to the end of the line, as pieces of one recording
    or of one writer begin. Without ``anywhere`` they are sought at even offsets from ``start``
    only, where a header follows a body of whole words (2, 4 or 8 bytes), by their first four bytes
    (:func:`~evface.io.evt.find_word_pair`: 0.04 to 0.15 ms per MB); with it at every byte
    (``bytes.find``: 0.5 to 1.2 ms per MB; docs/file-formats.md names the CPUs), for a body that is
    not whole words or that the decoder refused. The body is read in blocks of
    :data:`SEARCH_BLOCK` bytes.
    """
    with open(path, "rb") as f:
        first = f.readline(MAX_HEADER_LINE)
        key, space, _ = first[2:].partition(b" ")
        if not first.startswith(b"% ") or not key or not space or f.seek(0, 2) <= start:
            return None
        needle = b"% " + key + b" "
        for offset, block in _blocks(f, start, len(needle)):
            found = _header_line_in(f, offset, block, needle, anywhere)
            if found is not None:
                return found
    return None


def _header_line_in(f: BinaryIO, offset: int, block: bytes, needle: bytes, anywhere: bool) -> tuple[int, str] | None:
    """The offset in the file ``f`` and the text of the first line that begins with ``needle`` at
    an offset of ``block`` (the file's bytes from ``offset``, :func:`_blocks`) below
    :data:`SEARCH_BLOCK` and is header text (at every byte, or at even offsets of the block:
    ``offset`` is an even number of bytes from where the body starts), or None."""
    end = min(len(block), SEARCH_BLOCK + len(needle) - 1)  # a needle that begins in the next block: found there
    words = None if anywhere else np.frombuffer(block, dtype="<u2", count=end // 2)
    first, second = np.frombuffer(needle[:4], dtype="<u2")
    at = 0
    while True:
        if words is None:
            at = block.find(needle, at, end)
        else:
            j = io_evt.find_word_pair(words, first, second, (at + 1) // 2)
            at = -1 if j < 0 else 2 * j
        if at < 0 or at >= SEARCH_BLOCK:
            return None
        f.seek(offset + at)
        line = f.readline(MAX_HEADER_LINE)
        if line.startswith(needle) and line.endswith(b"\n") and is_header_text(line):
            return offset + at, line[:-1].decode("ascii")[:80]
        at += 1


def refuse_joined_files(path: Path, start: int, *, anywhere: bool = True) -> None:
    """Refuse ``path`` in one line if its body from ``start`` holds another Prophesee header
    (:func:`_joined_header`, at every byte or, without ``anywhere``, at even offsets from
    ``start``); nothing otherwise, for the caller to raise the trouble it found, if any."""
    joined = _joined_header(path, start, anywhere)
    if joined is not None:
        at, line = joined
        raise FormatError(where(path, _joined(path, f"Prophesee header ({line!r})", at)))


def first_off_sensor(path: Path, fmt: str, start: int, size: SensorSize) -> tuple[int, tuple[int, int, int]] | None:
    """The first event of the EVT 2.0/3.0 or DAT file ``path`` (its events from byte ``start``) off
    a sensor of ``size``, as ``(index, (t, x, y))`` (t without the header's ``t0``), or None. The body
    is read in blocks of :data:`SEARCH_BLOCK` bytes, on the error path only: faery's decoder, which
    takes the size a header states over any given, says "x overflow" without the event
    (:func:`~evface.io.evt.evt2_first_off`, :func:`~evface.io.evt.evt3_first_off`; a DAT event is
    t (32 bits, wrapping), then x (14 bits), y (14 bits) and polarity)."""
    (width, height), state = size, np.zeros(6, np.int64)
    dtype = {"evt3": "<u2", "evt2": "<u4", "dat": "<u4"}[fmt]
    with open(path, "rb") as f:
        for _, block in _blocks(f, start, 0):
            count = len(block) // np.dtype(dtype).itemsize
            words = np.frombuffer(block, dtype=dtype, count=count - count % 2 if fmt == "dat" else count)
            if fmt == "dat":
                t, xy = words[0::2].astype(np.int64), words[1::2]
                x, y = xy & 0x3FFF, (xy >> 14) & 0x3FFF
                wraps = state[1] + np.cumsum(t < np.concatenate([state[:1], t[:-1]]))
                off = np.flatnonzero((x >= width) | (y >= height))
                if off.size:
                    i = int(off[0])
                    return int(state[2]) + i, (int((wraps[i] << 32) + t[i]), int(x[i]), int(y[i]))
                if t.size:
                    state[0], state[1], state[2] = t[-1], wraps[-1], state[2] + t.size
                continue
            kernel = io_evt.evt3_first_off if fmt == "evt3" else io_evt.evt2_first_off
            index, t_us, x_at, y_at = kernel(words, width, height, state)
            if index >= 0:
                return int(index), (int(t_us), int(x_at), int(y_at))
    return None


_WORD_TYPES = {"evt3": (0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0xA, 0xE, 0xF), "evt2": (0x0, 0x1, 0x8, 0xA, 0xE, 0xF),
               "evt2.1": (0x0, 0x1, 0x8, 0xA, 0xE, 0xF)}
"""The word types of each EVT version (OpenEB's documentation: bits 15..12, 31..28, 63..60)."""
_WORD_BYTES = {"evt3": 2, "evt2": 4, "evt2.1": 8}
_NAMES = {"evt3": "EVT 3.0", "evt2": "EVT 2.0", "evt2.1": "EVT 2.1"}
PROBE_BYTES = 1 << 16
"""Bytes at a body's start that :func:`refuse_mislabelled_body` reads (where a decoder met trouble)."""


def _misfit(data: bytes, fmt: str) -> tuple[int, str] | None:
    """Where the body bytes ``data`` stop reading as EVT ``fmt`` words and why, as ``(byte, reason)``,
    or None: a word of a type the version has not, or a time high that goes back by less than half
    its period (a wrap goes back by more). EVT 3.0 time highs as
    :func:`~evface.io.evt.evt3_time_high_lost` takes them."""
    size = _WORD_BYTES[fmt]
    words = np.frombuffer(data, dtype=f"<u{size}", count=len(data) // size).astype(np.uint64)
    kinds = (words >> np.uint64(8 * size - 4)).astype(np.int64)
    wrong = np.flatnonzero(~np.isin(kinds, _WORD_TYPES[fmt]))
    if wrong.size:
        return size * int(wrong[0]), f"a word of type 0x{kinds[wrong[0]]:X}, which {_NAMES[fmt]} has not,"
    if fmt == "evt3":
        at = int(io_evt.evt3_time_high_lost(words.astype(np.uint16), 0)[0])
        return None if at < 0 else (2 * at, "a time high that no camera writes")
    highs = np.flatnonzero(kinds == 8)
    values = ((words[highs] >> np.uint64(32 if fmt == "evt2.1" else 0)) & np.uint64(0xFFFFFFF)).astype(np.int64)
    back = np.flatnonzero((values[1:] < values[:-1]) & (values[:-1] - values[1:] < 1 << 27))
    return (size * int(highs[back[0] + 1]), "a time high that goes back") if back.size else None


MIN_EVT2_MASKS = 64
"""Validity masks that must all be EVT 2.0 words (:func:`_evt2_pairs`) before an EVT 2.1 body is
named an EVT 2.0 one: a real EVT 2.1 mask fails about one time in eight (a pixel of bits 29 or 30
fires, whose 2.0 reading is a type EVT 2.0 has not)."""


def _evt2_pairs(data: bytes, size: SensorSize) -> int:
    """How many validity masks the EVT 2.1 body bytes ``data`` hold where every 64-bit word of them
    reads as two EVT 2.0 words of events on a ``size`` sensor (:func:`_misfit` passes them as EVT 2.0
    and no event lies off it, :func:`~evface.io.evt.evt2_first_off`); 0 otherwise.

    Such a body passes as EVT 2.1 (EVT 2.0's types are among EVT 2.1's, and its TD and time-high words
    are laid out as the top halves of EVT 2.1's, of the same time), the word before each taken for a
    32-bit validity mask. A real EVT 2.1 body reads as EVT 2.0 only where no mask sets bits 29 or 30
    (measured: none in 64 KiB of a sensor 28 columns wide; about one mask in eight fails on the real
    Gen3 events written as EVT 2.1), and then as events off its sensor: a mask's pixel bits 11..21
    make an EVT 2.0 x of 1 to 2047."""
    data = data[:len(data) - len(data) % 8]
    if _misfit(data, "evt2") is not None:
        return 0
    words = np.frombuffer(data, dtype="<u8")
    masks = int(np.count_nonzero((words >> np.uint64(60)) <= np.uint64(1)))
    width, height = size
    off = io_evt.evt2_first_off(np.frombuffer(data, dtype="<u4"), width, height, np.zeros(3, np.int64))[0]
    return masks if masks >= MIN_EVT2_MASKS and off < 0 else 0


def refuse_evt2_body_as_evt21(path: Path, start: int, size: SensorSize) -> None:
    """Refuse the EVT 2.1 file ``path`` in one line, before it is decoded, where the first
    :data:`PROBE_BYTES` of its body (from ``start``) are EVT 2.0 words (:func:`_evt2_pairs`), as
    :func:`refuse_mislabelled_body` names a mislabelled file; nothing otherwise. Such a body decodes
    as EVT 2.1 without a word on a sensor wide enough (the real Gen3 recording on 1280x720: 3,330,838
    events from 0 to 913 s, where it holds 521,252 over 10 s), or fails far in (its event 48,522 off
    the 640x480 sensor). One read of 64 KiB (0.09 ms where the body is EVT 2.1).

    Parameters
    ----------
    path : Path
        An EVT 2.1 file (by its header).
    start : int
        The byte its body starts at, after the header.
    size : (width, height)
        The sensor its events lie on.

    Raises
    ------
    FormatError
        Naming the file as mislabelled, its body EVT 2.0.
    """
    _refuse_evt2_pairs(path, start, size, _probe(path, start))


def _probe(path: Path, start: int) -> bytes:
    """The first :data:`PROBE_BYTES` of ``path``'s body, from ``start``."""
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(PROBE_BYTES)


def _refuse_evt2_pairs(path: Path, start: int, size: SensorSize, data: bytes) -> None:
    """Refuse ``path``, whose header says EVT 2.1, where its body's first bytes ``data`` are EVT 2.0 words."""
    masks = _evt2_pairs(data, size)
    if masks:
        reason = f"its {masks:,} validity masks each an EVT 2.0 word of an event on the sensor, from the word"
        raise _mislabelled(path, "evt2.1", start, (0, reason), ["evt2"])


def refuse_mislabelled_body(path: Path, fmt: str, start: int, size: SensorSize | None = None) -> None:
    """Refuse the EVT file ``path`` in one line where the first :data:`PROBE_BYTES` of its body (from
    ``start``) do not read as the version its header names, ``fmt``, and do read as another (an EVT
    2.0 body under an EVT 3.0 header, or the reverse: a mislabelled file), naming that version;
    nothing otherwise, for the caller to raise the trouble it found (was: "the time high steps from
    0x94B to 0x000 ...", "N trailing bytes", "x overflow": what the wrong decoder met). An EVT 2.0
    body under an EVT 2.1 header, whose words pass as EVT 2.1, is told by its validity masks, each
    an EVT 2.0 word of an event on the ``size`` sensor, where ``size`` is given (:func:`_evt2_pairs`, as
    :func:`refuse_evt2_body_as_evt21` seeks it before decoding; was: "event 48522 ... lies outside
    the 640x480 sensor", or a truncated last word)."""
    data = _probe(path, start)
    misfit = _misfit(data, fmt)
    if misfit is None and fmt == "evt2.1" and size is not None:
        _refuse_evt2_pairs(path, start, size, data)
    if misfit is None:
        return
    fits = [other for other in _WORD_BYTES if other != fmt and len(data) >= _WORD_BYTES[other]
            and _misfit(data[:len(data) - len(data) % _WORD_BYTES[other]], other) is None]
    if fits:
        raise _mislabelled(path, fmt, start, misfit, fits)


def _mislabelled(path: Path, fmt: str, start: int, misfit: tuple[int, str], fits: list[str]) -> FormatError:
    """The error naming ``path``'s body as written in the versions ``fits``, not ``fmt``, for ``misfit``."""
    at, reason = misfit
    likely = " or ".join(_NAMES[other] for other in fits)
    return FormatError(where(path, f"the header says {_NAMES[fmt]}, but its events do not read as {_NAMES[fmt]} "
                                   f"({reason} at byte {start + at:,}) and read as {likely}: a body written in "
                                   "another format than its header names (a mislabelled file); give it the "
                                   f"header of its format ('% evt' and '% format' lines), or decode it with "
                                   "the tools of the camera that wrote it"))


def refuse_lost_evt3_time(path: Path, start: int) -> None:
    """Refuse the EVT 3.0 file ``path`` (its body from ``start``) in one line where a time-high word
    moves time in a way faery's decoder, which evface reads EVT 3.0 with, drops
    (:func:`~evface.io.evt.evt3_time_high_lost`: a 24-bit wrap that skips 0xFFF, or a rise of 4094
    units or more, as a first time high of 0xFFE or 0xFFF is): every later event would come up to 16.8 s early,
    without a word (was: read so). The body is read in blocks of :data:`SEARCH_BLOCK` bytes (0.5 ms
    of CPU per MB, 12 % of a whole EVT 3.0 read: docs/file-formats.md); nothing otherwise."""
    held = 0
    with open(path, "rb") as f:
        for offset, block in _blocks(f, start, 0):
            words = np.frombuffer(block, dtype="<u2", count=len(block) // 2)
            at, held_after = io_evt.evt3_time_high_lost(words, held)
            if at >= 0:
                value = int(words[at]) & 0xFFF
                raise FormatError(where(path, f"the time high steps from 0x{held_after:03X} to 0x{value:03X} at byte "
                                              f"{offset + 2 * at:,}, which the EVT 3.0 decoder evface uses (faery "
                                              "0.7.1) would not follow (a 24-bit wrap that skips 0xFFF, or a rise of "
                                              "4094 units or more), putting every later event up to 16.8 s early; decode "
                                              "it with Prophesee's OpenEB (metavision_evt3_raw_file_decoder, to CSV), "
                                              "which evface reads"))
            held = int(held_after)


def refuse_joined_event_streams(path: Path) -> None:
    """Refuse the Event Stream ``path`` in one line if its body holds another Event Stream header
    (its magic bytes, sought at every byte: about 0.5 ms per MB, searched where the decoder found
    trouble, as the second header's ``Event Stream`` decodes at x 25,974, off any sensor narrower);
    nothing otherwise, for the caller to raise the trouble it found."""
    magic = b"Event Stream"
    with open(path, "rb") as f:
        for offset, block in _blocks(f, _ES_DVS_HEADER, len(magic)):
            at = block.find(magic, 0, SEARCH_BLOCK + len(magic) - 1)
            if at >= 0:
                raise FormatError(where(path, _joined(path, "Event Stream header", offset + at)))


def _joined(path: Path, header: str, at: int) -> str:
    """The message for a second ``header`` at byte ``at`` of ``path``: two files joined end to end."""
    cat = f"cat a{path.suffix} b{path.suffix}"
    return (f"a second {header} at byte {at:,}: two files joined end to end (as `{cat}` makes them), which no reader "
            "decodes as one; read or convert each file on its own")


def check_dat_event_bytes(path: Path, start: int, body: int) -> None:
    """A DAT file's ``body`` bytes from ``start`` begin with its event type and event size bytes:
    refuse a file that ends inside them, and one whose events are not 8 bytes (the only size DAT
    files have, and faery reads; a text or another format named ``.dat`` was called "truncated")."""
    if body < 2:
        raise FormatError(where(path, "truncated: the file ends inside the two bytes (event type, event size) that "
                                      "follow its header"))
    with open(path, "rb") as f:
        f.seek(start)
        kind, size = f.read(2)
    if size != 8:
        raise FormatError(where(path, f"the two bytes after the header give event type 0x{kind:02X} and event size "
                                      f"{size}, where a Prophesee DAT file gives size 8: corrupt, or not a DAT file"))


def check_event_stream_end(path: Path) -> None:
    """A DVS Event Stream must end on a whole event (faery drops a cut one without a word), and not
    in overflow bytes, which writers put only before the event they lead to: the file was cut
    between them and it (was: read short without a word). A cut after a whole event leaves no
    trace: the format has no event count and no end mark."""
    end, overflows = _ES_DVS_HEADER, 0
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        for offset, block in _blocks(f, _ES_DVS_HEADER, 0):  # walked block by block (was: the whole file mapped)
            data = np.frombuffer(block, dtype=np.uint8)
            within, overflows = io_evt.es_dvs_walk(data, end - offset, overflows)
            end = offset + int(within)
    if end != size:
        kept = 5 - (end - size)
        raise FormatError(where(path, f"truncated: the last event has {kept} of its 5 bytes (it begins at byte "
                                      f"{size - kept:,}, the file ends at byte {size:,})"))
    if overflows:
        raise FormatError(where(path, f"truncated: the file ends in {counted(overflows, 'overflow byte')} (0xFF, "
                                      "127 µs each), which a writer puts only before the event they lead to"))


def raise_if_bad_scan(path: Path, events: np.ndarray, bad: int, start: int, t0: int, xmax: int, ymax: int,
                  size: SensorSize, first: int) -> None:
    """Turn the findings of a numba scan of ``events`` into the error they mean, if any; ``first`` is
    the index of ``events[0]`` in the file, by which an event out of order or off the sensor is
    numbered (with its time and the one before, or its coordinates, as the writers name it:
    :func:`~evface.events.core.check_stream`; was "timestamps not sorted: 5 follows 10", no index)."""
    t, (width, height) = events["t"], size
    if bad >= 0:
        n, before = first + bad, int(t[bad - 1]) if bad else int(start)
        raise EventsError(where(path, f"timestamps not sorted: t[{n}]={int(t[bad])} < t[{n - 1}]={before} "
                                      "(`evface convert --sort` writes a sorted copy)"))
    if t.size and t0 < 0:
        raise EventsError(where(path, f"negative timestamp {int(t0)}"))
    if t.size and (xmax >= width or ymax >= height):
        try:
            check_stream(events, size, first=first)
        except EventsError as exc:
            raise EventsError(where(path, str(exc))) from None


def refuse_bad_polarity(path: Path, events: np.ndarray, first: int) -> None:
    """Refuse ``events`` (``events[0]`` the file's event ``first``) naming the first whose polarity
    is not -1 or +1 by its index in the file, its time, coordinates and value, as one off the
    sensor is named (was: "2 polarity values other than -1 or +1: corrupt file", no event named)."""
    p = events["p"]
    i = int(np.flatnonzero((p != 1) & (p != -1))[0])
    t, x, y = (int(events[f][i]) for f in "txy")
    raise EventsError(where(path, f"event {first + i} at t={t} µs (x={x}, y={y}) has polarity {int(p[i])}, "
                                  "expected -1 or +1: corrupt file"))
