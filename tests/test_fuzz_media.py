"""The pictures and videos a user gives evface, corrupted on purpose, through every reader, in a child process.

Photos (``faces --photo``, ``synth --faces DIR``: :func:`~evface.face.identity.read_photo`), frame
files (:func:`~evface.sim.frame_folder.read_frame`, :func:`~evface.datasets.importers.rgb_scan.frame_header`),
videos and folders of numbered frames (``simulate``, ``info``, ``import session --rgb``, ``import
corpus``: :func:`~evface.sim.video_read.video_info`, :func:`~evface.sim.video_read.count_frames`,
:func:`~evface.sim.video_read.iter_video_frames`, :func:`~evface.datasets.importers.rgb_scan.scan_video`,
:func:`~evface.datasets.importers.corpus_frames.read_video_clip`,
:func:`~evface.datasets.importers.rgb_scan.folder_frame_size`). Each starts from a small valid file
made here with OpenCV or Pillow (an RGB, grey and RGBA PNG, a JPEG turned by its EXIF orientation,
8-bit, 16-bit and floating-point TIFFs, an MJPG AVI of 15 frames of 32x32, a folder of 4 PNG frames)
and is cut at offsets, has bytes set to 0x00 and 0xFF, a few random bytes changed, and its stated
size set huge (a PNG's IHDR of 65535x65535 and 30000x30000, a JPEG's frame header, a TIFF's width
and length of 100000, an AVI's frame size and frame count).

The property (:func:`_check`): the reader returns sensible data (uint8 frames of one size, a
photo of 3 channels), or raises one :class:`~evface.errors.EvfaceError` naming the file or its
folder; never another exception, a native crash (the child dies: the test names the last example
it began), a hang (the child's timeout) or a huge allocation: the child's peak resident memory
stays under :data:`PEAK_MB` (a JPEG of 1 KB stating 16000x12000 pixels was decoded into 1.2 GB).
A deterministic sweep runs on every run; hypothesis draws new corruptions besides (derandomized
under CI, as in :mod:`tests.test_fuzz_decoders`). What it found (:data:`DEFECTS`) was a PNG or
JPEG header stating more than the file holds, decoded or allocated as stated, and sizes OpenCV
refuses by assertion, each an internal error; the video readers held (a seeded defect, a
``ValueError`` for a video of no decodable frame, fails the video sweep).
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image
from fuzz_children import cut_and_set, cuts_and_changes, limit_memory, peak_mb, run_child

from evface.datasets.importers.corpus_frames import read_video_clip
from evface.datasets.importers.rgb_scan import folder_frame_size, frame_header, read_video_frames, scan_video
from evface.cli import main
from evface.errors import EvfaceError, EvfaceWarning, FormatError
from evface.face.identity import read_photo
from evface.sim.frame_folder import read_frame
from evface.sim.video_read import count_frames, iter_video_frames, video_info

ROOT = Path(__file__).resolve().parents[1]
PEAK_MB = 1024
"""The most resident memory a child may reach (its imports take about 130 MB)."""
MEDIA = ("photo", "frame", "video", "folder")


def _picture(seed: int = 0, size: tuple[int, int] = (32, 24)) -> np.ndarray:
    """A small BGR picture with structure (a gradient and noise), so every format compresses it into real data."""
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.add.outer(np.arange(h) * 5, np.arange(w) * 3).astype(np.uint8)
    return np.dstack([ramp, ramp[::-1], rng.integers(0, 255, (h, w))]).astype(np.uint8)


def _encoded(ext: str, img: np.ndarray, *params: int) -> bytes:
    ok, buf = cv2.imencode(ext, img, list(params))
    assert ok
    return buf.tobytes()


def _jpeg_turned() -> bytes:
    """A JPEG stored 32x24, its EXIF orientation 6 turning it upright to 24x32."""
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.fromarray(_picture()[..., ::-1]).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def pictures() -> dict[str, bytes]:
    """The valid pictures the photo and frame readers are fuzzed from, by file name."""
    img = _picture()
    return {
        "rgb.png": _encoded(".png", img),
        "grey.png": _encoded(".png", cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)),
        "rgba.png": _encoded(".png", np.dstack([img, np.tile(np.arange(0, 256, 8, dtype=np.uint8), (24, 1))])),
        "turned.jpg": _jpeg_turned(),
        "plain.jpg": _encoded(".jpg", img, cv2.IMWRITE_JPEG_QUALITY, 90),
        "u8.tif": _encoded(".tif", img),
        "u16.tif": _encoded(".tif", img.astype(np.uint16) * 257),
        "f32.tif": _encoded(".tif", img.astype(np.float32) / 255),
    }


def video_bytes(folder: Path) -> bytes:
    """An MJPG AVI of 15 frames of 32x32 at 15 fps."""
    path = folder / "valid.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (32, 32))
    for k in range(15):
        writer.write(np.roll(_picture(k, (32, 32)), k, axis=1))
    writer.release()
    return path.read_bytes()


def _png_chunk(data: bytes, kind: bytes) -> int:
    """The offset of the first ``kind`` chunk's length field."""
    at = 8
    while at + 8 <= len(data):
        length, name = struct.unpack(">I4s", data[at:at + 8])
        if name == kind:
            return at
        at += 12 + length
    raise AssertionError(kind)


def _set(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def _huge_png(data: bytes) -> Iterator[tuple[str, bytes]]:
    ihdr = _png_chunk(data, b"IHDR")
    for w, h in ((65535, 65535), (30000, 30000), (16000, 12000), (2**31 - 1, 1), (1, 2**31 - 1)):
        changed = _set(data, ihdr + 8, struct.pack(">II", w, h))
        yield f"IHDR {w}x{h}, bad CRC", changed
        yield f"IHDR {w}x{h}", _set(changed, ihdr + 21, struct.pack(">I", zlib.crc32(changed[ihdr + 4:ihdr + 21])))
    idat = _png_chunk(data, b"IDAT")
    yield "IDAT length 2^31-1", _set(data, idat, struct.pack(">I", 2**31 - 1))


def _huge_jpeg(data: bytes) -> Iterator[tuple[str, bytes]]:
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            for w, h in ((65535, 65535), (30000, 30000), (16000, 12000), (4000, 3000)):
                yield f"SOF {w}x{h}", _set(data, at + 5, struct.pack(">HH", h, w))
    app1 = data.find(b"\xff\xe1")
    if app1 >= 0:
        yield "APP1 length 65535", _set(data, app1 + 2, b"\xff\xff")


def _huge_tiff(data: bytes) -> Iterator[tuple[str, bytes]]:
    end = "<" if data[:2] == b"II" else ">"
    ifd = struct.unpack(end + "I", data[4:8])[0]
    for k in range(struct.unpack(end + "H", data[ifd:ifd + 2])[0]):
        entry = ifd + 2 + 12 * k
        tag = struct.unpack(end + "H", data[entry:entry + 2])[0]
        if tag in (256, 257):
            for value in (100_000, 30_000, 2**32 - 1):
                yield f"tag {tag} = {value} (LONG)", _set(data, entry + 2, struct.pack(end + "HII", 4, 1, value))
        if tag in (273, 279):  # strip offsets and byte counts
            yield f"tag {tag} count 2^30", _set(data, entry + 4, struct.pack(end + "I", 2**30))
    yield "IFD entries 65535", _set(data, ifd, struct.pack(end + "H", 65535))
    yield "IFD offset past the end", _set(data, 4, struct.pack(end + "I", 2**32 - 8))


def _huge_avi(data: bytes) -> Iterator[tuple[str, bytes]]:
    avih = data.find(b"avih")
    for name, at in (("avih total frames", avih + 8 + 16), ("strh length", data.find(b"strh") + 8 + 32)):
        yield f"{name} 2^31-1", _set(data, at, struct.pack("<I", 2**31 - 1))
    for w, h in ((65535, 65535), (30000, 30000), (16000, 12000)):
        yield f"avih {w}x{h}", _set(data, avih + 8 + 32, struct.pack("<II", w, h))
        yield f"strf {w}x{h}", _set(data, data.find(b"strf") + 8 + 4, struct.pack("<ii", w, h))
        sof = data.find(b"\xff\xc0")
        yield f"first frame's SOF {w}x{h}", _set(data, sof + 5, struct.pack(">HH", h, w))
        every = data.replace(b"\xff\xc0\x00\x11\x08\x00\x20\x00\x20", b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", h, w))
        yield f"every frame's SOF {w}x{h}", every
    yield "movi list length 2^32-1", _set(data, data.find(b"movi") - 4, b"\xff\xff\xff\xff")
    yield "idx1 length 2^31", _set(data, data.find(b"idx1") + 4, struct.pack("<I", 2**31))


def huge(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """``(label, bytes)``: ``data`` (a file called ``name``) stating a huge size or length."""
    suffix = Path(name).suffix
    yield from {".png": _huge_png, ".jpg": _huge_jpeg, ".tif": _huge_tiff, ".avi": _huge_avi}[suffix](data)


def corruptions(name: str, data: bytes, seed: int, scale: int = 1) -> Iterator[tuple[str, bytes]]:
    """``(label, bytes)`` for every corrupted variant of ``data`` the sweep tries: cut at 24 offsets,
    each of 48 header bytes set to 0x00 and 0xFF, 40 sets of 1-8 random bytes anywhere (times
    ``scale``), and the huge sizes of :func:`huge`."""
    rng = np.random.default_rng(seed)
    for cut in sorted({*np.linspace(1, len(data) - 1, 24 * scale).astype(int).tolist()}):
        yield f"cut at {cut}", data[:cut]
    for at in sorted({*np.linspace(0, min(len(data), 400) - 1, 48 * scale).astype(int).tolist()}):
        for value in (0x00, 0xFF):
            if data[at] != value:
                yield f"byte {at} = {value:#04x}", _set(data, at, bytes([value]))
    for i in range(40 * scale):
        flipped = bytearray(data)
        for at, value in zip(rng.integers(0, len(data), rng.integers(1, 9)), rng.integers(0, 256, 8), strict=False):  # 1 to 8 positions, as many of the 8 values
            flipped[at] = value
        yield f"random bytes #{i}", bytes(flipped)
    yield from huge(name, data)


def _sensible_frame(frame: object, label: str) -> tuple[int, ...]:
    assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 \
        and frame.size > 0, f"{label}: not an 8-bit colour frame: {getattr(frame, 'shape', frame)!r}"
    return frame.shape


def _sensible_size(size: tuple[int, int], label: str) -> None:
    assert min(size) > 0, f"{label}: a frame of {size[0]}x{size[1]}"


def _frames_of_one_size(frames: list[np.ndarray], label: str) -> None:
    assert len({_sensible_frame(f, label) for f in frames}) <= 1, f"{label}: frames of several sizes"


def readers(media: str, path: Path) -> dict[str, Callable[[str], object]]:
    """The readers of ``media`` whose file is ``path`` (a folder's: the folder is read), each
    checking what it returns."""

    def frames(label: str) -> None:
        _frames_of_one_size(list(iter_video_frames(path)), label)

    def counted(label: str) -> None:
        n, (w, h) = count_frames(path)
        assert n >= 1 and w > 0 and h > 0, f"{label}: {n} frames of {w}x{h}"

    def scanned(label: str) -> None:
        scan = scan_video(path)
        assert scan.n_frames >= 2 and scan.energy.size == scan.n_frames - 1, f"{label}: {scan}"

    def some_frames(label: str) -> None:
        _frames_of_one_size(list(read_video_frames(path, np.array([0, 1])).values()), label)

    if media == "folder":
        path = path.parent
    if media == "photo":
        return {"read_photo": lambda label: _sensible_frame(read_photo(path), label)}
    if media == "frame":
        return {"read_frame": lambda label: _sensible_frame(read_frame(path), label),
                "frame_header": lambda label: _sensible_size(frame_header(path).size, label)}
    common = {"video_info": lambda label: video_info(path), "count_frames": counted, "iter_video_frames": frames,
              "scan_video": scanned, "read_video_frames": some_frames}
    if media == "video":
        return {**common, "read_video_clip": lambda label: read_video_clip(path)}
    return {**common, "folder_frame_size": lambda label: folder_frame_size(path)}


def _check(media: str, path: Path, label: str) -> None:
    """Every reader of ``media`` at ``path``: sensible data or one EvfaceError naming the file or
    its folder; and the process's peak memory under :data:`PEAK_MB`."""
    for name, read in readers(media, path).items():
        print(f"{name}: {label}", flush=True)  # the last line the parent sees if a decoder takes the process down
        try:
            read(f"{name}: {label}")
        except EvfaceError as exc:
            message = str(exc)
            assert path.name in message or path.parent.name in message, f"{name}, {label}: names no file: {message}"
            assert "\n" not in message, f"{name}, {label}: not one line: {message!r}"
        except AssertionError:
            raise
        except Exception as exc:  # the property: nothing but an EvfaceError
            raise AssertionError(f"{name}, {label}: {type(exc).__name__}: {str(exc)[:300]}") from exc
        peak = peak_mb()
        assert peak < PEAK_MB, f"{name}, {label}: peak memory {peak:.0f} MB"




def cases(media: str, folder: Path) -> Iterator[tuple[Path, bytes, str]]:
    """``(path, valid bytes, name)`` of the files of ``media`` to corrupt, written to ``path``."""
    if media in ("photo", "frame"):
        for name, data in pictures().items():
            yield folder / name, data, name
    elif media == "video":
        yield folder / "fuzz.avi", video_bytes(folder), "clip.avi"
    else:
        frames = folder / "EP01"
        frames.mkdir()
        for k in range(4):
            (frames / f"img{k + 1}.png").write_bytes(_encoded(".png", _picture(k)))
        for k in (1, 2):  # the first frame (read for the size) and one after it
            yield frames / f"img{k}.png", (frames / f"img{k}.png").read_bytes(), "rgb.png"




def _sweep(media: str, folder: str) -> None:
    """Child process: every seeded corruption of each valid file of ``media`` through its readers."""
    limit_memory()
    for seed, (path, data, name) in enumerate(cases(media, Path(folder))):
        path.write_bytes(data)
        _check(media, path, f"{name}: the valid file")
        for label, corrupted in corruptions(name, data, seed, scale=2 if media == "video" else 1):
            path.write_bytes(corrupted)
            _check(media, path, f"{name}: {label}")
        path.write_bytes(data)


def _property_fuzz(media: str, folder: str) -> None:
    """Child process: hypothesis draws new cuts and byte changes of each valid file on every run."""
    limit_memory()
    for path, data, name in cases(media, Path(folder)):

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(**cuts_and_changes(data, 8))
        def corrupted_file_reads_or_is_named(cut: int, changes: list[tuple[int, int]]) -> None:
            path.write_bytes(cut_and_set(data, cut, changes))
            _check(media, path, f"{name}: cut at {cut}, bytes {changes}")

        corrupted_file_reads_or_is_named()
        path.write_bytes(data)


DEFECTS = {
    "a PNG chunk 4 GB long": ("rgb.png", "byte 33 = 0xff"),
    "a 1 KB JPEG of 16000x12000": ("plain.jpg", "SOF 16000x12000"),
    "a TIFF 4294967295 wide": ("u8.tif", "tag 256 = 4294967295 (LONG)"),
    "a PNG of 65535x65535": ("rgb.png", "IHDR 65535x65535"),
}
"""What the sweep found, each a damaged file by its label in :func:`corruptions`: before, the PNG
whose IDAT length was damaged to 4,278,191,272 bytes took 4.2 GB (then "unreadable image"); the
1 KB JPEG whose frame header states 16000x12000 was read as a 16000x12000 picture, grey past its
32x24 pixels (1.2 GB; 1.8 GB as a photo; 30000x30000 took 5.3 GB); the TIFF whose width tag is
4294967295 and the PNG whose header states 65535x65535 raised OpenCV's ``cv2.error`` (an assertion
in ``validateInputImageSize``), an internal error."""


def damaged(name: str, label: str) -> bytes:
    """The corruption ``label`` of the valid picture ``name``."""
    data = pictures()[name]
    return dict(corruptions(name, data, seed=0))[label]


def _refused(defect: str, folder: str) -> None:
    """Child process: every photo and frame reader that decodes refuses the damaged file of
    ``defect`` with one EvfaceError naming it, within :data:`PEAK_MB` (``frame_header`` reads a
    size from the header alone, where it can: the frame's decoding refuses it later)."""
    limit_memory()
    name, label = DEFECTS[defect]
    path = Path(folder) / f"damaged{Path(name).suffix}"
    path.write_bytes(damaged(name, label))
    for media in ("photo", "frame"):
        for reader, read in readers(media, path).items():
            print(reader, flush=True)
            try:
                got = read(label) if reader != "frame_header" else None
            except EvfaceError as exc:
                assert str(exc).startswith(f"{path}: "), f"{reader}: {exc}"
            else:
                assert got is None, f"{reader}: {label}: read without error: {getattr(got, 'shape', got)}"
        _check(media, path, label)


def _run_child(mode: str, *args: str | Path) -> None:
    run_child(__file__, mode, *args, timeout=120, named=str(args[0]))


@pytest.mark.parametrize("media", MEDIA)
def test_corrupted_pictures_and_videos_read_or_are_named(media: str, tmp_path: Path) -> None:
    _run_child("sweep", media, tmp_path)


@pytest.mark.parametrize("media", MEDIA)
def test_random_corruptions_read_or_are_named(media: str, tmp_path: Path) -> None:
    """Property-based: new random corruptions on every run, in a child process like the sweep."""
    _run_child("property", media, tmp_path)


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_a_picture_stating_more_than_it_holds_is_refused_unread(defect: str, tmp_path: Path) -> None:
    _run_child("refused", defect, tmp_path)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``evface ARGS`` in a child whose address space is capped (:func:`limit_memory`)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "evface.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path, preexec_fn=limit_memory)


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_cli_refuses_a_damaged_photo_or_frame_in_one_line(defect: str, tmp_path: Path) -> None:
    """The damaged picture as ``faces --photo`` (the JPEG, the PNG of 65535x65535) or as the first
    frame of a folder given to ``info`` (the PNG chunk, the TIFF): one line naming the file, exit 2,
    nothing written (was: a 16000x12000 photo of grey read; ``internal error: error: OpenCV(4.14.0)
    ... validateInputImageSize``, exit 1)."""
    name, label = DEFECTS[defect]
    suffix = Path(name).suffix
    if suffix == ".jpg" or "IHDR" in label:
        picture = tmp_path / f"face{suffix}"
        args = ("faces", "sheet.png", "--photo", str(picture))
    else:
        (tmp_path / "EP01").mkdir()
        picture = tmp_path / "EP01" / f"img1{suffix}"
        (tmp_path / "EP01" / f"img2{suffix}").write_bytes(pictures()[name])
        args = ("info", str(picture.parent))
    picture.write_bytes(damaged(name, label))
    before = sorted(tmp_path.rglob("*"))
    done = _cli(tmp_path, *args)
    said = done.stderr.startswith((f"error: {picture}: corrupt or cut short (", f"error: {picture}: unreadable "))
    assert done.returncode == 2 and said, f"{args[0]}: exit {done.returncode}: {done.stderr[-800:]}"
    assert done.stderr.count("\n") == 1 and sorted(tmp_path.rglob("*")) == before, done.stderr


def _scan_start(jpeg: bytes) -> int:
    """The offset of a JPEG's first coded byte: past its start-of-scan segment (``FF DA``)."""
    at = jpeg.index(b"\xff\xda")
    return at + 2 + struct.unpack(">H", jpeg[at + 2:at + 4])[0]


def _damaged_jpegs() -> dict[str, tuple[bytes, str]]:
    """A 64x48 JPEG damaged as footage is, with what libjpeg says of it: cut after its first rows
    (an interrupted copy), an end-of-image marker or a restart marker out of turn a third into its
    coded data (a byte set to 0xFF before a marker byte)."""
    jpeg = _encoded(".jpg", _picture(size=(64, 48)), cv2.IMWRITE_JPEG_QUALITY, 90)
    third = _scan_start(jpeg) + (len(jpeg) - _scan_start(jpeg)) // 3
    return {"cut short": (jpeg[:third], "Premature end of JPEG file"),
            "EOI in the scan": (_set(jpeg, third, b"\xff\xd9"), "Corrupt JPEG data: premature end of data segment"),
            "RST in the scan": (_set(jpeg, third, b"\xff\xd0"), "Corrupt JPEG data: premature end of data segment")}


def _whole_pictures() -> dict[str, bytes]:
    """Pictures whose decoder says something of bytes beside the pixels, every pixel decoded: a JPEG
    with bytes before its start of scan ("Corrupt JPEG data: 3 extraneous bytes before marker 0xda"),
    a PNG whose text chunk fails its CRC ("libpng warning: tEXt: CRC error"); and clean ones."""
    jpeg, png = _encoded(".jpg", _picture(size=(64, 48))), _encoded(".png", _picture(size=(64, 48)))
    sos = jpeg.index(b"\xff\xda")
    text = b"tEXt" + b"Comment\x00frames"
    bad_crc = struct.pack(">I", len(text) - 4) + text + struct.pack(">I", zlib.crc32(text) ^ 1)
    return {"a.jpg": jpeg, "b.png": png, "extraneous.jpg": jpeg[:sos] + b"\0\0\0" + jpeg[sos:],
            "text-crc.png": png[:33] + bad_crc + png[33:]}


@pytest.mark.parametrize("damage", ["cut short", "EOI in the scan", "RST in the scan"])
def test_a_frame_decoded_with_damage_is_one_warning_naming_it(damage: str, tmp_path: Path, capfd) -> None:
    """A JPEG frame whose coded data is damaged or cut short, decoded with its rows past the damage
    grey, is read with one EvfaceWarning naming the file and what libjpeg said, nothing on standard
    error (was: libjpeg's own line there, "Premature end of JPEG file", naming no file)."""
    data, said = _damaged_jpegs()[damage]
    path = tmp_path / "img42.jpg"
    path.write_bytes(data)
    with pytest.warns(EvfaceWarning) as warned:
        assert read_frame(path).shape == (48, 64, 3)
    assert [str(w.message) for w in warned] == [f"{path}: decoded with damage ({said}): check the frame"]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("damage", ["cut short", "EOI in the scan", "RST in the scan"])
def test_a_photo_decoded_with_damage_is_refused_naming_it(damage: str, tmp_path: Path, capfd) -> None:
    """A photo damaged as those frames are is refused, as one cut short was, naming what libjpeg
    said (was: one with a marker in its scan read as the face, its lower rows grey, without a word;
    one cut short refused with Pillow's "image file is truncated", libjpeg's line on stderr)."""
    data, said = _damaged_jpegs()[damage]
    path = tmp_path / "face.jpg"
    path.write_bytes(data)
    with pytest.raises(FormatError) as refused:
        read_photo(path)
    assert str(refused.value) == f"{path}: corrupt or cut short ({said})"
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", list(_whole_pictures()))
def test_a_whole_picture_is_read_without_a_word(name: str, tmp_path: Path, capfd) -> None:
    """A clean picture, and one whose decoder notes bytes it skipped beside the pixels, is read as a
    frame and as a photo with no warning and nothing on standard error (was: libjpeg's "extraneous
    bytes" and libpng's "CRC error" lines there, naming no file)."""
    path = tmp_path / name
    path.write_bytes(_whole_pictures()[name])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_frame(path).shape == (48, 64, 3) and read_photo(path).shape == (48, 64, 3)
    assert capfd.readouterr().err == ""


def test_the_cli_warns_once_of_a_damaged_frame_in_a_folder(tmp_path: Path, capfd) -> None:
    """``simulate FOLDER`` whose third of five frames has a marker in its scan: one ``warning:``
    line naming the frame before the result, however often the frame is read, exit 0, as a damaged
    video is simulated (was: libjpeg's "Corrupt JPEG data: premature end of data segment" naming
    no file)."""
    folder = tmp_path / "EP01"
    folder.mkdir()
    for k in range(1, 6):
        (folder / f"img{k}.jpg").write_bytes(_encoded(".jpg", np.roll(_picture(size=(64, 48)), 4 * k, axis=1)))
    (folder / "img3.jpg").write_bytes(_damaged_jpegs()["EOI in the scan"][0])
    assert main(["simulate", str(folder), "--fps", "200", "--out", str(tmp_path / "ev.raw")]) == 0
    lines = capfd.readouterr().err.splitlines()
    assert lines[0] == (f"warning: {folder / 'img3.jpg'}: decoded with damage (Corrupt JPEG data: premature end of data "
                        "segment): check the frame")
    assert len(lines) == 2 and " events from 5 frames " in lines[1], lines


def test_an_undecodable_frame_names_what_its_decoder_said(tmp_path: Path, capfd) -> None:
    """A PNG frame whose image data is damaged: "unreadable image" and, in brackets, libpng's line,
    nothing on standard error (was: that line on the terminal beside the error)."""
    png = _encoded(".png", _picture(size=(64, 48)))
    at = png.index(b"IDAT") + 50
    path = tmp_path / "img7.png"
    path.write_bytes(_set(png, at, bytes([png[at] ^ 0xFF])))
    with pytest.raises(FormatError, match=r"img7\.png: unreadable image \(libpng error: "):
        read_frame(path)
    assert capfd.readouterr().err == ""


if __name__ == "__main__":
    {"sweep": _sweep, "property": _property_fuzz, "refused": _refused}[sys.argv[1]](*sys.argv[2:])


def test_a_frame_cut_inside_its_png_header_is_named(tmp_path: Path) -> None:
    """Found by the property fuzz under ``make test``: a PNG cut inside its IHDR chunk, whose length
    byte is damaged, makes Pillow raise ValueError ("Truncated IHDR chunk"), which ``frame_header``
    let out (an internal error of ``info FOLDER`` and the imports); now decoded as OpenCV decodes
    it, and refused naming the file."""
    data = bytearray(_encoded(".png", _picture(0))[:16])
    data[11] = 0
    path = tmp_path / "img1.png"
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}: "):
        frame_header(path)
