"""The passes over a session's RGB video or folder of numbered frames: its scan (frame count,
size, frame rate, frame-difference energy, change image), its frames read in groups, and the
frame-timestamp file; and a frame file's size from its header alone
(:func:`frame_header`), and so a folder's or clip's frames checked to be of one size (:func:`frames_size`).

:func:`~evface.datasets.importers.session.import_session` uses them, and
:func:`~evface.datasets.importers.corpus.import_corpus` the headers.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageFile, TiffImagePlugin

from evface.datasets.importers.sync_xcorr import frame_difference_energy
from evface.datasets.importers.tables import input_file, open_table, separator_split, table_int, table_rows
from evface.errors import DatasetError, FormatError, where
from evface.sim.frame_folder import iter_frame_files, numbered_frames, read_frame
from evface.sim.video_read import count_frames, iter_video_frames, listed_frames, video_info
from evface.sim.video_timing import container_times

ENERGY_WIDTH_PX = 160
"""Frames are shrunk to this width before the frame-difference energy is computed."""


@dataclass
class VideoScan:
    """What one pass over the RGB video tells; ``energy`` and ``change`` are None when no sync or
    registration of the session uses them (:func:`scan_video`), ``times_us`` when the frames have
    no container timestamps (a folder, or a container without them); ``listed`` is the frame
    count the video's file lists (:func:`~evface.sim.video_read.listed_frames`; 0 for a folder or a
    file that lists none), which ``n_frames`` falls short of where frames were lost."""

    n_frames: int
    size: tuple[int, int]
    fps: float
    energy: np.ndarray | None
    change: np.ndarray | None
    times_us: np.ndarray | None = None
    listed: int = 0


def scan_video(path: str | Path, motion: bool = True) -> VideoScan:
    """One pass over the video or folder of numbered frames (:func:`~evface.sim.video_read.iter_video_frames`):
    frame count and size, fps (0 for a folder), the frame count a video's file lists, each video frame's container timestamp
    (:func:`~evface.sim.video_timing.container_times`), and with ``motion`` the frame-difference energy (cross-correlation
    sync) and change image (homography estimate); without, only what
    :func:`~evface.sim.video_read.count_frames` reads (a folder's first file, a video's frames undecoded
    into pictures)."""
    path = Path(path)
    info = None if path.is_dir() else video_info(path)
    times: list[float] = []
    if motion:
        n, size, energy, change = _scan_motion(path, times)
    else:
        (n, size), energy, change = count_frames(path, times), None, None
    if n < 2 or size is None:  # no size: no frame decoded
        raise FormatError(where(path, f"unreadable video or fewer than 2 frames ({n} decoded)"))
    fps, listed = (0.0, 0) if info is None else (info.fps, listed_frames(info))
    return VideoScan(n, size, fps, energy, change, container_times(times, n), listed)


def _scan_motion(path: Path, times: list[float]) -> tuple[int, tuple[int, int] | None, np.ndarray, np.ndarray | None]:
    """Frame count, size (None without a frame), frame-difference energy and change image of one
    pass over the frames (:func:`scan_video`); ``times`` gets the container timestamps."""
    energy: list[float] = []  # one number per frame pair: an hour of small frames held whole was gigabytes
    change = prev = small_prev = None
    n = 0
    for frame in iter_video_frames(path, times):
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        log = np.log(gray.astype(np.float32) + 4.0)
        if prev is not None:
            change = np.abs(log - prev) if change is None else change + np.abs(log - prev)
        prev = log
        scale = min(1.0, ENERGY_WIDTH_PX / gray.shape[1])
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        if small_prev is not None:
            energy.append(float(frame_difference_energy(np.stack([small_prev, small]))[0]))
        small_prev = small
        n += 1
    size = None if prev is None else (prev.shape[1], prev.shape[0])
    return n, size, np.asarray(energy, np.float64), change


def read_video_frames(path: str | Path, indices: np.ndarray, size: tuple[int, int] | None = None) -> dict[int, np.ndarray]:
    """RGB (H, W, 3) uint8 frames at ``indices`` of a video or folder of numbered frames, in one
    pass (resized to ``size`` if given): a video is decoded up to its last wanted frame, a folder's
    wanted files alone are read (:class:`FrameReader`)."""
    with closing(FrameReader(path, size)) as reader:
        return reader.read(indices)


class FrameReader:
    """RGB frames of a video or folder of numbered frames, read in groups of frame indices that
    move forward (the frames of consecutive clips), resized to ``size`` if given.

    A video is decoded once from start to end over all the groups, a folder's wanted files alone
    are read (each checked to have the size ``first``, the first frame's ``(width, height)``, when
    given); a group's frames that the previous group read are handed on, not read again (the
    frames of clips that overlap), and only the group being read is held.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())  # removed at the end
    >>> for k in range(4):
    ...     _ = cv2.imwrite(str(folder / f"img{k}.png"), np.full((2, 2, 3), k, np.uint8))
    >>> with closing(FrameReader(folder)) as reader:
    ...     [(k, int(f[0, 0, 0])) for k, f in reader.read([1, 2]).items()], sorted(reader.read([2, 3]))
    ([(1, 1), (2, 2)], [2, 3])
    >>> import shutil; shutil.rmtree(folder)
    """

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None, first: tuple[int, int] | None = None) -> None:
        self._path = Path(path)
        self._size = size
        self._first = None if first is None else (first[1], first[0], 3)
        self._files = numbered_frames(self._path) if self._path.is_dir() else None
        self._decoder: Iterator[np.ndarray] | None = None
        self._next = 0  # the frame the decoder yields next
        self._held: dict[int, np.ndarray] = {}

    def read(self, indices: np.ndarray | list[int]) -> dict[int, np.ndarray]:
        """The frames at ``indices`` by index; a FormatError naming the video when it ends before the last."""
        wanted = sorted(set(int(i) for i in indices))
        out = {k: self._held[k] for k in wanted if k in self._held}
        self._held = {}  # only the group being read is held
        todo = [k for k in wanted if k not in out]
        for k, frame in zip(todo, self._frames_at(todo), strict=True):
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            out[k] = cv2.resize(rgb, self._size, interpolation=cv2.INTER_AREA) if self._size else rgb
        self._held = out = dict(sorted(out.items()))
        return out

    def forget_before(self, index: int | None) -> None:
        """Forget the frames held before ``index`` (all of them: None), which the next group does
        not read again."""
        self._held = {} if index is None else {k: f for k, f in self._held.items() if k >= index}

    def close(self) -> None:
        """Close the video and forget the frames held."""
        if self._decoder is not None:
            self._decoder.close()  # type: ignore[attr-defined]  # a generator, held as an iterator
            self._decoder = None
        self._held = {}

    def _frames_at(self, wanted: list[int]) -> Iterator[np.ndarray]:
        """The BGR frames at the sorted indices ``wanted``, decoding the video forward from where
        the last group stopped (from its start again only for a frame before that)."""
        last = wanted[-1] if wanted else -1
        if self._files is not None:
            if last >= len(self._files):
                raise FormatError(where(self._path, f"video ended at frame {len(self._files)}, before frame {last}"))
            yield from iter_frame_files((self._files[k] for k in wanted), self._first)
            return
        if wanted and wanted[0] < self._next:
            self.close()
        if self._decoder is None:
            self._decoder, self._next = iter_video_frames(self._path), 0
        keep = set(wanted)
        while self._next <= last:
            frame = next(self._decoder, None)
            if frame is None:
                raise FormatError(where(self._path, f"video ended at frame {self._next}, before frame {last}"))
            self._next += 1
            if self._next - 1 in keep:
                yield frame


QUARTER_TURNS = (5, 6, 7, 8)
"""The EXIF orientations that turn a picture a quarter turn (mirrored or not): its upright width
is its stored height."""

_HEADER_FORMATS = ("JPEG", "PNG", "BMP", "TIFF")
"""The picture formats whose header :func:`frame_header` reads as :func:`~evface.sim.frame_folder.read_frame`
decodes them (other files are decoded)."""


@dataclass(frozen=True)
class FrameHeader:
    """A frame file's ``(width, height)`` as :func:`~evface.sim.frame_folder.read_frame` reads it
    (upright) and its EXIF orientation (1: none)."""

    size: tuple[int, int]
    orientation: int = 1

    def __str__(self) -> str:
        """``64x48``; turned, the size as turned and as stored (as ``identify`` or a file browser
        gives it): ``48x64 as its orientation tag 6 turns it (stored 64x48)``."""
        width, height = self.size
        if self.orientation not in QUARTER_TURNS:
            return f"{width}x{height}"
        return f"{width}x{height} as its orientation tag {self.orientation} turns it (stored {height}x{width})"


def frame_header(path: str | Path) -> FrameHeader:
    """A frame file's upright size, from its header (Pillow's ``Image.open`` reads no
    pixels) and EXIF orientation, as :func:`~evface.sim.frame_folder.read_frame` reads the file: OpenCV
    turns a JPEG, PNG or TIFF upright by its orientation, so 5 to 8 swap the stored width and
    height (a PNG's ``eXIf`` chunk counts after the pixels too; a TIFF's orientation tag, its
    stored size from its tags: 0.6 ms a 640x480 LZW frame, where decoding it took 11 ms). A file
    whose header cannot say is read by :func:`~evface.sim.frame_folder.read_frame`, which refuses it where
    the import would (a FormatError naming it): more than 8 bits a sample, another format, no
    picture Pillow knows, and a JPEG whose EXIF block Pillow cannot parse whole (its orientation
    unsure; decoded without a word, where Pillow's "UserWarning: Corrupt EXIF data" or "Tag data
    larger than file" went to standard error, once per frame).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     exif = Image.Exif()
    ...     exif[ExifTags.Base.Orientation] = 6  # stored 3 wide, 2 high; shown turned
    ...     Image.new("RGB", (3, 2)).save(f"{folder}/img1.jpg", exif=exif)
    ...     header = frame_header(f"{folder}/img1.jpg")
    ...     str(header), read_frame(f"{folder}/img1.jpg").shape
    ('2x3 as its orientation tag 6 turns it (stored 3x2)', (3, 2, 3))
    """
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # frames this large are refused for memory
            with Image.open(path) as image:
                header = _read_header(image, Path(path))
        if any(issubclass(w.category, UserWarning) for w in said):  # an EXIF block Pillow could not parse whole
            header = None
    # no picture Pillow knows (a PNG cut inside its header: ValueError 'Truncated IHDR chunk'): as OpenCV decodes it
    except (OSError, ValueError, Image.DecompressionBombError):
        header = None
    if header is None:
        height, width = read_frame(path).shape[:2]
        header = FrameHeader((width, height))
    return header


def _read_header(image: ImageFile.ImageFile, path: Path) -> FrameHeader | None:
    """:func:`frame_header` of an opened picture; None where only decoding it can tell (an EXIF
    block Pillow cannot parse among them)."""
    if image.format not in _HEADER_FORMATS or _over_8_bits(image):
        return None
    try:
        exif = image.getexif() if image.format != "PNG" or "exif" in image.info else _png_exif(path)
    except SyntaxError:  # EXIF that is no TIFF structure ("not a TIFF file"): OpenCV reads the picture regardless
        return None
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    width, height = _stored_size(image)
    return FrameHeader((height, width) if orientation in QUARTER_TURNS else (width, height), orientation)


def _stored_size(image: ImageFile.ImageFile) -> tuple[int, int]:
    """An opened picture's ``(width, height)`` as stored, before any turn: a TIFF's from its
    ImageWidth and ImageLength tags (Pillow 13 gives a TIFF turned a quarter turn the turned
    ``size`` already; the tags hold the stored size)."""
    if isinstance(image, TiffImagePlugin.TiffImageFile):  # format "TIFF"
        return int(image.tag_v2[256]), int(image.tag_v2[257])
    return image.size


def _over_8_bits(image: ImageFile.ImageFile) -> bool:
    """Whether a JPEG, PNG, BMP or TIFF header gives more than 8 bits a sample (a 16-bit PNG, a
    floating-point TIFF), which :func:`~evface.sim.frame_folder.read_frame` refuses."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return True
    if image.format == "PNG":  # 16-bit colour is mode RGB, its raw mode RGB;16B
        return any(";16" in str(tile[3]) for tile in image.tile)
    if isinstance(image, TiffImagePlugin.TiffImageFile):  # format "TIFF"
        bits = image.tag_v2.get(258, 1)  # BitsPerSample: one per channel
        return max(bits if isinstance(bits, tuple) else (bits,)) > 8
    return getattr(image, "bits", 8) > 8  # a JPEG's sample precision


def _png_exif(path: Path) -> Image.Exif:
    """The EXIF of a PNG whose ``eXIf`` chunk follows its pixels (Pillow's ``getexif`` decodes the
    whole picture to reach it), found by reading the chunk headers alone; empty where there is none."""
    exif = Image.Exif()
    with open(path, "rb") as file:
        file.seek(8)  # the PNG signature
        while len(head := file.read(8)) == 8:
            length, kind = struct.unpack(">I4s", head)
            if kind == b"eXIf":
                exif.load(file.read(length))
                break
            if kind == b"IEND":
                break
            file.seek(length + 4, 1)  # the chunk's data and CRC
    return exif


def folder_frame_size(folder: str | Path) -> tuple[int, int]:
    """The ``(width, height)`` of every numbered frame of ``folder``
    (:func:`~evface.sim.frame_folder.numbered_frames`), checked to be one: :func:`frames_size`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for k, size in enumerate([(3, 2), (3, 2), (2, 3)]):
    ...         Image.new("RGB", size).save(f"{folder}/img{k}.png")
    ...     folder_frame_size(folder)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: .../img2.png: frame size 2x3 differs from the folder's first frame 3x2 (img0.png); give all the folder's frames one size
    """
    return frames_size(numbered_frames(folder))


def frames_size(frames: list[tuple[int, Path]], whose: str = "the folder's", line: str = "") -> tuple[int, int]:
    """The ``(width, height)`` of every one of the numbered ``frames`` as
    :func:`~evface.sim.frame_folder.read_frame` reads them, from their headers (:func:`frame_header`: about
    0.5 ms a frame, against 4 ms to decode a 640x480 JPEG and 18 ms a PNG): a DatasetError naming
    the first frame of another size than the first, ``FILE: {line}frame size ... differs from {whose}
    first frame ...; give all {whose} frames one size`` (a turned frame's size as turned and as
    stored: :class:`FrameHeader`), a FormatError naming one
    :func:`~evface.sim.frame_folder.read_frame` refuses (more than 8 bits a sample).

    Parameters
    ----------
    frames : list of (int, Path)
        Frame numbers and files (:func:`~evface.sim.frame_folder.numbered_frames`), at least one.
    whose : str
        Whose frames they are, as the refusal says it: ``"the folder's"``, ``"the clip's"``.
    line : str
        What the refusal says before the sizes: ``""``, ``"table line 4: "``.

    Returns
    -------
    tuple of int
        The frames' ``(width, height)``.
    """
    first = frame_header(frames[0][1])
    for _, path in frames[1:]:
        header = frame_header(path)
        if header.size != first.size:
            raise DatasetError(where(path, f"{line}frame size {header} differs from {whose} first frame {first} "
                                           f"({frames[0][1].name}); give all {whose} frames one size"))
    return first.size


FRAME_TIME_SPLIT = ("a comma inside a cell splits it (a thousands separator 33,333): write the µs without "
                    "separators, or quote the cell")
"""What :func:`read_frame_times` says splits a row of a comma-separated timestamp file into more cells
than its header names (another delimiter's: :func:`~evface.datasets.importers.tables.separator_split`)."""


def read_frame_times(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Frame timestamps in µs, one per line (the header's ``t_us`` column, else the first column of a
    CSV; a header line is skipped, and Excel's ``sep=;`` line before it), and the per-frame
    exposures (µs) when the header names an ``exposure_us`` column, else ``None``. A DatasetError names the first line whose time does not
    follow the one before (a log of ``frame,t_us`` rows read by its first column was times 1 µs apart).
    The table is read by the rules of the other tables
    (:func:`~evface.datasets.importers.tables.table_rows`): a row with a cell that is not blank past
    the header's columns (past the first row's, in a file without a header) is refused (was: its
    first cell read, the rest dropped: ``33,333`` read as 33 µs).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "rgb.frames.csv"
    ...     _ = path.write_text("t_us,exposure_us,gain\\n0,9000,1.0\\n33333,9500,1.0\\n")
    ...     read_frame_times(path)
    (array([    0, 33333]), array([9000, 9500]))
    """
    path = input_file(path, "frame-timestamp file")
    with open_table(path) as reader:  # the shared table rules: separator, encoding, blank rows, lines
        first = reader.fieldnames or []
        names = [c.strip() for c in first]
        rows: list[tuple[int, list[str | None]]] = []
        try:
            table_int(names[0] if names else "")
        except ValueError:
            time_column = names.index("t_us") if "t_us" in names else 0
            column = names.index("exposure_us") if "exposure_us" in names else None
        else:  # no header: the first line is the first frame's
            time_column, column = 0, None
            rows.append((reader.line_num, list(first)))
        reader.fieldnames = [str(k) for k in range(len(first))]  # cells by position: a name given twice keeps both
        delimiter = reader.reader.dialect.delimiter
        split = FRAME_TIME_SPLIT if delimiter == "," else separator_split(delimiter)
        rows += [(line, list(row.values())) for line, row in table_rows(reader, path, split)]
    times, exposures, lines = [], [], []
    for line_no, cells in rows:
        try:
            times.append(table_int(cells[time_column] or ""))
            if column is not None:
                exposures.append(table_int(cells[column] or ""))
        except ValueError:
            raise DatasetError(where(path, f"line {line_no}: timestamp and exposure must be integers in µs within "
                                           f"±2**62, got {delimiter.join(c or '' for c in cells)!r}")) from None
        lines.append(line_no)
    t = np.asarray(times, dtype=np.int64)
    if t.size < 2:
        raise DatasetError(where(path, f"need at least two frame timestamps, found {t.size}"))
    back = np.flatnonzero(np.diff(t) <= 0)
    if back.size:
        k = int(back[0]) + 1
        raise DatasetError(where(path, f"line {lines[k]}: frame timestamp {t[k]} µs does not follow the one before it "
                                       f"({t[k - 1]} µs, line {lines[k - 1]}); frame timestamps must increase strictly"))
    if column is None:
        return t, None
    exposure = np.asarray(exposures, dtype=np.int64)
    if np.any(exposure <= 0):
        raise DatasetError(where(path, f"line {lines[int(np.argmax(exposure <= 0))]}: exposure_us must be positive"))
    return t, exposure
