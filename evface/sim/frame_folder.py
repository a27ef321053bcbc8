"""Folders of numbered frames: footage stored one picture file a frame, read as the video they make.

Footage is a video file OpenCV decodes or a folder of numbered frames (``img46.jpg``,
``img47.jpg``, ...: the layout of CASME II, SAMM, SMIC and CAS(ME)^3), read by ``evface simulate``
and ``evface import corpus`` alike (:func:`numbered_frames`, :func:`read_frame`): frame ``n`` of
a folder whose first frame is ``n0`` is frame ``i = n - n0`` of the video those frames make,
read one file at a time. :mod:`evface.sim.video_read` reads either kind of footage, a folder
through this module.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from evface.errors import DatasetError, EvfaceWarning, FormatError, counted, where
from evface.io.pictures import decoded_picture


FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
"""The picture files a folder of numbered frames is made of."""
_NUMBER = re.compile(r"(\d+)$")


def numbered_frames(folder: str | Path) -> list[tuple[int, Path]]:
    """``(number, file)`` of each frame in ``folder``, sorted by number: the pictures
    (:data:`FRAME_EXTENSIONS`) whose name ends in a number (``img46.jpg`` is frame 46), hidden
    files left out (macOS writes ``._img46.jpg`` beside each frame on some drives). A
    DatasetError naming the folder unless there are at least 2 and the numbers run without a gap
    or a repeat; one naming the entry where a frame's name is a folder, pipe, device or socket (its
    reader would wait on a pipe for ever) or a link to nothing.

    Parameters
    ----------
    folder : str or Path
        The folder of frames.

    Returns
    -------
    list of tuple of (int, Path)
        Each frame's number and file, the numbers consecutive.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())  # removed at the end
    >>> for name in ("img9.jpg", "img10.png", "img11.jpg", "notes.txt", "cover.jpg", "._img9.jpg"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [(n, p.name) for n, p in numbered_frames(folder)]
    [(9, 'img9.jpg'), (10, 'img10.png'), (11, 'img11.jpg')]
    >>> (folder / "img10.png").unlink()
    >>> numbered_frames(folder)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: ...: 2 frames but numbers 9..11 have a gap after 9 (img9.jpg, then img11.jpg: ...
    >>> import shutil; shutil.rmtree(folder)
    """
    folder = Path(folder)
    frames = []
    for p in folder.iterdir():
        m = _NUMBER.search(p.stem)
        if p.suffix.lower() in FRAME_EXTENSIONS and m and not p.name.startswith("."):
            frames.append((int(m.group(1)), p))
    frames.sort()
    for _, p in frames:
        if not p.is_file():  # follows a link: a link to a picture is read
            raise DatasetError(where(p, "not a picture file (a folder, pipe, device or socket, or a link to nothing); "
                                        "move it out of the folder of frames"))
    if len(frames) < 2:
        raise DatasetError(where(folder, f"needs at least 2 numbered frames ({', '.join(FRAME_EXTENSIONS)} files "
                                         f"named like img46.jpg), found {len(frames)}"))
    numbers = np.array([n for n, _ in frames])
    if np.any(np.diff(numbers) == 0):
        i = int(np.flatnonzero(np.diff(numbers) == 0)[0])
        raise DatasetError(where(folder, f"frame number {numbers[i]} is in two files, {frames[i][1].name} and "
                                         f"{frames[i + 1][1].name}; keep one"))
    steps = np.diff(numbers)
    if np.any(steps != 1):
        i = int(np.flatnonzero(steps != 1)[0])
        if steps.size >= 3 and np.all(steps > 1):  # was: a gap, as if frames were lost, for files named by times
            low, high = int(steps.min()), int(steps.max())
            step = f"{low:,}" if low == high else f"{low:,} to {high:,}"
            raise DatasetError(where(folder, f"{len(frames)} frames numbered {numbers[0]}..{numbers[-1]} in steps of "
                                             f"{step}, never of 1: no frame numbers (times, as a camera's export "
                                             "names frames by their timestamps, or every k-th frame); evface takes "
                                             "the file numbered N0 + k for frame k: rename the files 0, 1, 2, ... in "
                                             "their order (and give import session their times with "
                                             "--rgb-timestamps)"))
        raise DatasetError(where(folder, f"{len(frames)} frames but numbers {numbers[0]}..{numbers[-1]} have a gap "
                                         f"after {numbers[i]} ({frames[i][1].name}, then {frames[i + 1][1].name}: "
                                         f"{counted(int(steps[i]) - 1, 'frame number')} missing): restore the "
                                         "missing frames"))
    return frames


def read_frame(path: str | Path) -> np.ndarray:
    """A picture file as a uint8 (H, W, 3) frame in OpenCV's BGR order, as a video's frames are
    decoded: a grayscale picture (SAMM's) becomes three equal channels, an alpha channel is ignored
    (a frame is an opaque picture) and EXIF orientation is applied (a TIFF turned a quarter turn
    too: :func:`evface.io.pictures.decoded_picture`).

    A FormatError names the file when it is unreadable (a PNG or JPEG whose header states more
    than its bytes can hold refused unread: :func:`~evface.io.pictures.stated_beyond_the_file`),
    or when it holds more than 8 bits a channel: footage is 8-bit sRGB, and reading such a file as 8 bits would cut its precision
    without a word, or take what is no picture of light for one (a 16-bit PNG may be a depth map,
    as CAS(ME)^3 ships them).

    A JPEG whose coded data is damaged or cut short, which libjpeg decodes all the same, its rows
    past the damage grey or repeated, is read with one warning naming it and what libjpeg said
    (:class:`~evface.errors.EvfaceWarning`, a ``warning:`` line in the CLI), as a damaged video is
    read with one, frames and all: "f/img42.jpg: decoded with damage (Corrupt JPEG data: premature
    end of data segment): check the frame" (:attr:`evface.io.pictures.Decoded.damage`; was: only
    libjpeg's own line on standard error, naming no file, once per read of the frame).

    Parameters
    ----------
    path : str or Path
        The picture file.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        The picture, channels in BGR order.

    Examples
    --------
    >>> _ = cv2.imwrite("read_frame.png", np.full((2, 3), 200, np.uint8))  # a grayscale picture
    >>> frame = read_frame("read_frame.png")
    >>> frame.shape, frame[0, 0].tolist()
    ((2, 3, 3), [200, 200, 200])
    >>> read_frame("missing.png")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: missing.png: unreadable image (...)
    """
    decoded = decoded_picture(path, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    img = decoded.picture
    if img is None:  # and what its decoder said (was: on the terminal beside the error)
        raise FormatError(where(path, "unreadable image" + "".join(f" ({line})" for line in decoded.said[:1])))
    if decoded.damage:
        warnings.warn(where(path, f"decoded with damage ({decoded.damage}): check the frame"), EvfaceWarning,
                      stacklevel=2)
    if img.dtype != np.uint8:
        depth = f"{img.dtype.itemsize * 8}-bit {'floating-point' if img.dtype.kind == 'f' else 'integer'}"
        raise FormatError(where(path, f"a {depth} image; evface reads 8-bit sRGB frames (a 16-bit PNG may be a depth "
                                      "map): convert the colour frames to 8 bits"))
    return img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def iter_frame_files(frames: Iterable[tuple[int, Path]], first: tuple[int, ...] | None = None) -> Iterator[np.ndarray]:
    """:func:`read_frame` of each ``(number, file)``, one file at a time; a DatasetError naming the
    first file whose size differs from the first frame's (``first``, the folder's first frame's
    shape, when the files begin elsewhere).

    Parameters
    ----------
    frames : iterable of tuple of (int, Path)
        Numbered frame files, as :func:`numbered_frames` lists them.
    first : tuple of int, optional
        The shape every frame must have; default: the first file's.

    Yields
    ------
    ndarray of uint8, shape (H, W, 3)
        Each file's picture in BGR order (:func:`read_frame`).

    Examples
    --------
    >>> folder = Path("iter_frame_files")
    >>> folder.mkdir(exist_ok=True)
    >>> for k in (7, 8, 9):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((2, 3, 3), 10 * k, np.uint8))
    >>> [int(frame[0, 0, 0]) for frame in iter_frame_files(numbered_frames(folder))]
    [70, 80, 90]
    >>> next(iter_frame_files(numbered_frames(folder), first=(4, 6, 3)))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: iter_frame_files/img7.png: frame size 3x2 differs from the folder's first frame 6x4
    """
    for _, path in frames:
        img = read_frame(path)
        if first is None:
            first = img.shape
        elif img.shape != first:
            raise DatasetError(where(path, f"frame size {img.shape[1]}x{img.shape[0]} differs from the folder's first "
                                           f"frame {first[1]}x{first[0]}"))
        yield img
