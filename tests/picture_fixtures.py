"""Pictures shared by the tests of photo and frame readers (no tests here): a JPEG whose EXIF block
Pillow cannot parse whole, which OpenCV reads and turns upright regardless."""

from __future__ import annotations

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
