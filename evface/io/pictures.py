"""A picture file decoded by OpenCV, a TIFF from its bytes: the one decoder of frames and photos.

OpenCV's ``imread`` allocates a TIFF's image at the size its header gives; its TIFF decoder,
turning the picture a quarter turn (orientation 5 to 8, libtiff's own reading), allocates it anew
at the turned size, and ``imread`` then discards the decoded picture ("Internal imread issue",
"can't read data"). ``imdecode`` keeps it and decodes any other TIFF as ``imread`` does, so TIFFs
are decoded from their bytes; every other file goes to ``imread``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from evface.io.native_stderr import opencv_name

TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
"""The first four bytes of a TIFF (little- and big-endian) and of a BigTIFF."""


def decoded_picture(path: str | Path, flags: int) -> np.ndarray | None:
    """The picture file ``path`` as OpenCV decodes it with ``flags``; None where it cannot.

    Parameters
    ----------
    path : str or Path
        A picture file (any format OpenCV reads).
    flags : int
        OpenCV's ``IMREAD_*`` flags.

    Returns
    -------
    ndarray or None
        The decoded picture, upright by its orientation tag where ``flags`` turn it (OpenCV's
        default); None where the file cannot be read or decoded.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     exif = Image.Exif()
    ...     exif[0x0112] = 6  # stored 3 wide, 2 high; shown turned 90 degrees clockwise
    ...     Image.new("RGB", (3, 2)).save(f"{folder}/img1.tif", exif=exif)
    ...     decoded_picture(f"{folder}/img1.tif", cv2.IMREAD_COLOR).shape
    (3, 2, 3)
    """
    name = opencv_name(path)  # a name not UTF-8 crashed OpenCV
    try:
        with open(path, "rb") as file:
            head = file.read(4)
            tiff = head + file.read() if head in TIFF_MAGIC else None
    except OSError:
        tiff = None  # cv2.imread fails on it as on any file it cannot read, and names what it finds there
    if tiff is None:
        return cv2.imread(name, flags)
    return cv2.imdecode(np.frombuffer(tiff, np.uint8), flags)
