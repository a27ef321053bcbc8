"""Pictures shared by the tests of photo and frame readers (no tests here): a JPEG whose EXIF block
Pillow cannot parse whole, which OpenCV reads and turns upright regardless; a JPEG damaged inside
its coded data, which libjpeg decodes with its rows past the damage grey."""

from __future__ import annotations

import struct

import cv2
import numpy as np
from skimage import data


def jpeg_with_damaged_exif(path, damage: str) -> np.ndarray:
    """The astronaut, 512 wide and 384 high, as a JPEG stored turned a quarter turn anticlockwise,
    whose EXIF block (APP1) turns it upright (orientation 6) and is damaged: a tag whose data lies
    past the block's end, or a directory that says 5 entries and holds 1. Returns the upright RGB."""
    upright = data.astronaut()[:384]
    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(np.rot90(upright)[..., ::-1]))
    orientation = bytes.fromhex("1201 0300 01000000 0600 0000")
    past_the_end = bytes.fromhex("0e01 0200 64000000 e8030000")  # 100 ASCII bytes at offset 1000
    ifd = {"tag past the end": bytes.fromhex("0200") + orientation + past_the_end + bytes(4),
           "directory cut short": bytes.fromhex("0500") + orientation}[damage]
    exif = b"Exif\0\0" + bytes.fromhex("4949 2a00 08000000") + ifd
    app1 = bytes.fromhex("ffe1") + (len(exif) + 2).to_bytes(2, "big") + exif
    path.write_bytes(jpeg[:2].tobytes() + app1 + jpeg[2:].tobytes())
    return upright


DAMAGED_SCAN_SAYS = "Corrupt JPEG data: premature end of data segment"
"""What libjpeg says of :func:`jpeg_damaged_in_its_scan`."""


def jpeg_damaged_in_its_scan(path, picture: np.ndarray) -> None:
    """Write ``picture`` (BGR) to ``path`` as a JPEG whose coded data holds an end-of-image marker
    a third of the way in (two bytes set to ``FF D9``), as a damaged copy of a frame does: libjpeg
    decodes it with its rows past the marker grey and says :data:`DAMAGED_SCAN_SAYS`."""
    ok, encoded = cv2.imencode(".jpg", picture)
    jpeg = encoded.tobytes()
    sos = jpeg.index(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", jpeg[sos + 2:sos + 4])[0]  # the first coded byte
    third = start + (len(jpeg) - start) // 3
    path.write_bytes(jpeg[:third] + b"\xff\xd9" + jpeg[third + 2:])
