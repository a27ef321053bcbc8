"""A picture file decoded by OpenCV, a TIFF from its bytes: the one decoder of frames and photos.

OpenCV's ``imread`` allocates a TIFF's image at the size its header gives; its TIFF decoder,
turning the picture a quarter turn (orientation 5 to 8, libtiff's own reading), allocates it anew
at the turned size, and ``imread`` then discards the decoded picture ("Internal imread issue",
"can't read data"). ``imdecode`` keeps it and decodes any other TIFF as ``imread`` does, so TIFFs
are decoded from their bytes; every other file goes to ``imread``.

OpenCV allocates what a header states before it reads the data: a PNG's or JPEG's picture at the
size its header gives, a PNG chunk at the length its header gives. A PNG or JPEG whose header states
more than its bytes can hold (:func:`stated_beyond_the_file`) is refused unread: a 1 KB JPEG whose
frame header was damaged to 16000x12000 was decoded into 1.2 GB of grey, and a PNG whose chunk
length was damaged to 4 GB took 4 GB.

A picture whose coded data is damaged or cut short is decoded by libjpeg all the same, the rows it
could not decode grey or repeated, with a line of its own on standard error ("Corrupt JPEG data:
premature end of data segment", "Premature end of JPEG file") that named no file. What the decoder
writes is kept (:func:`~evface.io.native_stderr.said_by`) and handed to the reader with the picture
(:class:`Decoded`), which names the file in one line: :attr:`Decoded.damage`.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple

import cv2
import numpy as np

from evface.errors import FormatError, where
from evface.io.native_stderr import opencv_name, said_by

TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
"""The first four bytes of a TIFF (little- and big-endian) and of a BigTIFF."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
"""The first eight bytes of a PNG."""

DEFLATE_MAX_RATIO = 1032
"""The most bytes one byte of a deflate stream (a PNG's image data) can decompress to."""

JPEG_HUFFMAN_SOF = (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7)
"""The frame markers of Huffman-coded JPEGs (baseline, extended, progressive, lossless), each 8x8
block of whose picture takes at least one bit (its DC code); arithmetic-coded ones may take less."""

DAMAGE_SAID = re.compile(r"Corrupt JPEG data: (premature end|bad Huffman|bad arithmetic|found marker)|"
                         r"Premature end of JPEG file|Inconsistent progression sequence|Invalid SOS parameters")
"""The lines in which libjpeg says that it met damaged or missing coded data and decoded the
picture all the same, the blocks it could not decode grey or copied from those above: a marker or
a byte it cannot decode inside a scan, a restart marker out of turn, the file ending before the
picture's last block (libjpeg's ``JWRN_HIT_MARKER``, ``JWRN_HUFF_BAD_CODE``,
``JWRN_ARITH_BAD_CODE``, ``JWRN_MUST_RESYNC``, ``JWRN_JPEG_EOF``, ``JWRN_BOGUS_PROGRESSION``,
``JWRN_NOT_SEQUENTIAL``).

Its other warnings leave every pixel as coded and are no damage: "N extraneous bytes before marker"
(bytes between two segments that belong to neither and are skipped: padding a camera wrote, or
bytes after the picture's last block, all of which was decoded; a scan that ended early says so in
its own line above), "bad ICC marker" (a colour profile, which OpenCV does not apply), "unknown
JFIF revision". Nor are libpng's warnings ("iCCP: known incorrect sRGB profile", an ancillary
chunk's CRC error): they concern chunks beside the pixels, and damage in a PNG's image data is an
error, the picture not decoded."""


class Decoded(NamedTuple):
    """A picture file as :func:`decoded_picture` decodes it: ``picture``, None where it cannot be
    decoded, and ``said``, the lines its decoder wrote to standard error meanwhile (which no longer
    reach the terminal)."""

    picture: np.ndarray | None
    said: list[str]

    @property
    def damage(self) -> str | None:
        """The first line of :attr:`said` in which libjpeg says the picture's coded data is damaged
        or cut short (:data:`DAMAGE_SAID`), or None.

        Examples
        --------
        >>> Decoded(None, ["Corrupt JPEG data: 2 extraneous bytes before marker 0xd9"]).damage is None
        True
        >>> Decoded(None, ["Premature end of JPEG file"]).damage
        'Premature end of JPEG file'
        """
        return next((line for line in self.said if DAMAGE_SAID.match(line)), None)


def decoded_picture(path: str | Path, flags: int) -> Decoded:
    """The picture file ``path`` as OpenCV decodes it with ``flags``, with what its decoder wrote
    to standard error (:class:`Decoded`; was: written to the terminal, naming no file).

    Parameters
    ----------
    path : str or Path
        A picture file (any format OpenCV reads).
    flags : int
        OpenCV's ``IMREAD_*`` flags.

    Returns
    -------
    Decoded
        The decoded picture, upright by its orientation tag where ``flags`` turn it (OpenCV's
        default); None where the file cannot be read or decoded (was: OpenCV's ``cv2.error``
        for a TIFF stating a width of 4294967295, an internal error); and the decoder's lines.

    Raises
    ------
    FormatError
        Naming the file, unread, where its header states more than its bytes can hold
        (:func:`stated_beyond_the_file`).

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     exif = Image.Exif()
    ...     exif[0x0112] = 6  # stored 3 wide, 2 high; shown turned 90 degrees clockwise
    ...     Image.new("RGB", (3, 2)).save(f"{folder}/img1.tif", exif=exif)
    ...     decoded_picture(f"{folder}/img1.tif", cv2.IMREAD_COLOR).picture.shape
    (3, 2, 3)
    """
    name = opencv_name(path)  # a name not UTF-8 crashed OpenCV
    try:
        with open(path, "rb") as file:
            head = file.read(8)
            tiff = head + file.read() if head[:4] in TIFF_MAGIC else None
            beyond = stated_beyond_the_file(file, head)
    except OSError:
        tiff, beyond = None, None  # cv2.imread fails on it as on any file it cannot read, and names what it finds there
    if beyond:
        raise FormatError(where(path, f"corrupt or cut short ({beyond})"))
    if tiff is None:
        return Decoded(*said_by(_opencv_decoded, cv2.imread, name, flags))
    return Decoded(*said_by(_opencv_decoded, cv2.imdecode, np.frombuffer(tiff, np.uint8), flags))


def _opencv_decoded(decode: Callable[..., np.ndarray | None], source: str | np.ndarray, flags: int) -> np.ndarray | None:
    """``decode(source, flags)`` (``cv2.imread`` or ``cv2.imdecode``); None where it raises."""
    try:
        return decode(source, flags)
    except cv2.error:  # a size OpenCV refuses by assertion (a TIFF 4294967295 wide), or memory it cannot allocate
        return None


def stated_beyond_the_file(file: BinaryIO, head: bytes) -> str | None:
    """What the header of the PNG or JPEG open as ``file`` (its first bytes ``head``) states beyond
    what the file can hold, or None: a PNG chunk longer than the rest of the file and than its
    picture can need, a PNG picture larger than its image data can decompress to
    (:data:`DEFLATE_MAX_RATIO`), a Huffman-coded JPEG picture of more 8x8 blocks than the bits
    after its frame header. Only headers are read (the file's position moves).

    Examples
    --------
    >>> import io
    >>> ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    >>> huge = png.tobytes()[:16] + struct.pack(">II", 30000, 30000) + png.tobytes()[24:]
    >>> stated_beyond_the_file(io.BytesIO(png.tobytes()), png.tobytes()[:8]) is None
    True
    >>> stated_beyond_the_file(io.BytesIO(huge), huge[:8])
    'its header states 30000x30000 pixels, more than its 29 bytes of image data can hold'
    """
    if head == PNG_MAGIC:
        return _png_beyond(file)
    if head[:2] == b"\xff\xd8":
        return _jpeg_beyond(file)
    return None


def _png_beyond(file: BinaryIO) -> str | None:
    """:func:`stated_beyond_the_file` of a PNG, reading its chunks' headers from byte 8."""
    size = file.seek(0, 2)
    at, raw, present, width, height = 8, None, 0, 0, 0
    while at + 8 <= size:
        file.seek(at)
        length, kind = struct.unpack(">I4s", file.read(8))
        if kind == b"IHDR" and length >= 13 and at + 18 <= size:
            width, height, depth, colour = struct.unpack(">IIBB", file.read(10))
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
            raw = height * (1 + -(-width * channels * depth // 8))
        if at + 12 + length > size and length > 2 * (raw or 0) + 65536:
            return (f"its {kind.decode('latin-1')!a} chunk at byte {at} states {length:,} bytes, past the end of the "
                    f"file's {size:,}")
        present += min(length, size - at - 8) if kind == b"IDAT" else 0
        at += 12 + length
        if kind == b"IEND":
            break
    if raw is not None and raw > DEFLATE_MAX_RATIO * present + 65536:
        return f"its header states {width}x{height} pixels, more than its {present:,} bytes of image data can hold"
    return None


def _jpeg_beyond(file: BinaryIO) -> str | None:
    """:func:`stated_beyond_the_file` of a JPEG, reading its segments' headers up to its frame header."""
    size = file.seek(0, 2)
    at = 2
    while at + 4 <= size:
        file.seek(at)
        marker, length = struct.unpack(">2sH", file.read(4))
        if marker[0] != 0xFF or marker[1] == 0xDA:  # no marker, or the first scan: no frame header before it
            return None
        if marker[1] in JPEG_HUFFMAN_SOF and length >= 7 and at + 9 <= size:
            height, width = struct.unpack(">xHH", file.read(5))
            blocks = -(-width // 8) * -(-height // 8)
            if blocks > 8 * (size - at):
                return (f"its header states {width}x{height} pixels, more than its {size - at:,} bytes after it "
                        "can hold")
            return None
        at += 2 + length
    return None
