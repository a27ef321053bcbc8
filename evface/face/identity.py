"""Face identities: procedural faces (unlimited, by seed) and faces from frontal photos.

An :class:`Identity` is resolution-free: its landmarks are in *face-normalised* coordinates
(``u`` right, ``v`` down, one unit = one face width, origin at the face centre between the
cheekbones, about 0.1 face widths below the eye line). The renderer
(:class:`evface.face.render.FaceRenderer`) rasterises it at any canvas size.

Landmark groups (``_l`` = image left, the subject's right):
``brow_l/brow_r`` (5, inner to outer), ``eye_l/eye_r`` (inner corner, upper lid middle, outer
corner, lower lid middle), ``iris_l/iris_r`` (centre), ``cheek_l/cheek_r``, ``nose`` (bridge, tip,
left ala, right ala), ``mouth`` (left corner, right corner, upper lip top, lower lip bottom,
stomion, left and right upper-lip peaks), ``chin``, ``jaw`` (9 points, left ear level to right).
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import JpegImagePlugin

from evface.checks import as_int, as_path
from evface.errors import FormatError, ParameterError, where
from evface.face.canvas import FACE_FRACTION, V_CENTER
from evface.face.detect import locate_face
from evface.io.pictures import decoded_picture


@dataclass(frozen=True, eq=False)
class Identity:
    """A face to animate.

    Parameters
    ----------
    name : str
        The identity's name, e.g. ``"proc-0003"`` or ``"astronaut"``.
    kind : str
        ``"procedural"`` or ``"photo"``.
    landmarks : mapping of str to ndarray, shape (k, 2)
        Neutral landmarks in face-normalised coordinates.
    params : mapping, optional
        Procedural: the drawn shape, colour and lighting parameters. Photo: detection boxes.
    seed : int or None, optional
        Seed of a procedural identity.
    photo : ndarray of uint8, shape (H, W, 3), or None, optional
        The photo of a photo identity.
    photo_from_face : ndarray, shape (2, 3), or None, optional
        Affine map from face-normalised ``(u, v, 1)`` to photo pixels ``(x, y)``.
    source : str or None, optional
        Where the photo came from (a path or a name).

    Examples
    --------
    >>> plain = Identity("plain", "photo", landmarks_from_geometry(TEMPLATE))
    >>> plain.name, plain.kind, len(plain.landmarks), plain.seed, plain.photo
    ('plain', 'photo', 12, None, None)
    """

    name: str
    kind: str
    landmarks: Mapping[str, np.ndarray]
    params: Mapping[str, object] = field(default_factory=dict)
    seed: int | None = None
    photo: np.ndarray | None = None
    photo_from_face: np.ndarray | None = None
    source: str | None = None


# Mean geometry (face widths); procedural identities vary around it. The proportions follow
# anthropometric averages: eye line ~0.86 face widths above the chin, inter-pupil ~0.42,
# mouth ~0.36 below the eye line, palpebral fissure ~0.065 high.
TEMPLATE: dict[str, float] = {
    "eye_v": -0.10, "eye_u": 0.205, "eye_half_w": 0.092, "eye_up_h": 0.034, "eye_lo_h": 0.030,
    "eye_tilt": 0.008, "iris_r": 0.042,
    "brow_gap": 0.105, "brow_arch": 0.025, "brow_inner_u": 0.085, "brow_len": 0.27, "brow_thick": 0.03,
    "nose_v": 0.17, "nose_w": 0.075,
    "mouth_v": 0.30, "mouth_half_w": 0.165, "lip_up_h": 0.032, "lip_lo_h": 0.042, "mouth_curve": 0.0,
    "chin_v": 0.70, "head_top_v": -0.98, "jaw_n": 2.3, "cheek_v": 0.06,
}

_RANGES: dict[str, tuple[float, float]] = {
    "eye_v": (-0.12, -0.08), "eye_u": (0.195, 0.215), "eye_half_w": (0.085, 0.1), "eye_up_h": (0.03, 0.04),
    "eye_lo_h": (0.024, 0.034), "eye_tilt": (-0.005, 0.02), "iris_r": (0.04, 0.045),
    "brow_gap": (0.09, 0.125), "brow_arch": (0.01, 0.04), "brow_inner_u": (0.07, 0.1),
    "brow_len": (0.24, 0.3), "brow_thick": (0.02, 0.042),
    "nose_v": (0.15, 0.2), "nose_w": (0.065, 0.09),
    "mouth_v": (0.28, 0.33), "mouth_half_w": (0.15, 0.185), "lip_up_h": (0.024, 0.04), "lip_lo_h": (0.03, 0.052),
    "mouth_curve": (-0.006, 0.01),
    "chin_v": (0.66, 0.74), "head_top_v": (-1.02, -0.94), "jaw_n": (2.0, 2.8), "cheek_v": (0.04, 0.08),
}


def landmarks_from_geometry(g: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Build the landmark groups from geometry parameters (see :data:`TEMPLATE`); ``g`` that is no
    mapping is a :class:`ParameterError` naming it (was: Python's ``TypeError: 'NoneType' object is
    not subscriptable``).

    Parameters
    ----------
    g : mapping of str to float
        Geometry parameters by name, face widths: every key of :data:`TEMPLATE`.

    Returns
    -------
    dict of str to ndarray
        The landmark groups (see the module's docstring), each ``(k, 2)`` in face-normalised
        coordinates.

    Examples
    --------
    >>> lm = landmarks_from_geometry(TEMPLATE)
    >>> sorted(lm)
    ['brow_l', 'brow_r', 'cheek_l', 'cheek_r', 'chin', 'eye_l', 'eye_r', 'iris_l', 'iris_r', 'jaw', 'mouth', 'nose']
    >>> lm["eye_l"].shape, lm["jaw"].shape, lm["mouth"][4].tolist()  # the stomion at mouth_v
    ((4, 2), (9, 2), [0.0, 0.3])
    >>> landmarks_from_geometry([0.2, 0.1])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: g must be a mapping of geometry parameters by name (as TEMPLATE), got list
    >>> landmarks_from_geometry({"eye_sep": 0.3})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: g lacks the geometry parameters eye_v, eye_u, eye_half_w, eye_up_h, eye_lo_h ... (TEMPLATE has every one)
    """
    if not isinstance(g, Mapping):
        raise ParameterError(f"g must be a mapping of geometry parameters by name (as TEMPLATE), "
                             f"got {type(g).__name__}")
    if missing := [key for key in TEMPLATE if key not in g]:  # was a bare KeyError: 'eye_u'
        raise ParameterError(f"g lacks the geometry parameters {', '.join(missing[:5])}"
                             f"{' ...' if len(missing) > 5 else ''} (TEMPLATE has every one)")
    lm: dict[str, np.ndarray] = {}
    for side, s in (("l", -1.0), ("r", 1.0)):
        ec = np.array([s * g["eye_u"], g["eye_v"]])
        inner = ec + [-s * g["eye_half_w"], g["eye_tilt"] * 0.5]
        outer = ec + [s * g["eye_half_w"], -g["eye_tilt"] * 0.5]
        upper = ec + [s * 0.008, -g["eye_up_h"]]
        lower = ec + [s * 0.01, g["eye_lo_h"]]
        lm[f"eye_{side}"] = np.array([inner, upper, outer, lower])
        lm[f"iris_{side}"] = np.array([ec + [0.0, -0.004]])
        t = np.linspace(0.0, 1.0, 5)
        bu = s * (g["brow_inner_u"] + t * g["brow_len"])
        bv = g["eye_v"] - g["brow_gap"] - g["brow_arch"] * np.sin(np.pi * np.clip(t * 1.25, 0, 1)) + 0.02 * t
        lm[f"brow_{side}"] = np.stack([bu, bv], axis=1)
        lm[f"cheek_{side}"] = np.array([[s * 0.22, g["cheek_v"]]])
    nv = g["nose_v"]
    lm["nose"] = np.array([[0.0, g["eye_v"]], [0.0, nv - 0.025], [-g["nose_w"], nv - 0.01], [g["nose_w"], nv - 0.01]])
    mv, mw = g["mouth_v"], g["mouth_half_w"]
    lm["mouth"] = np.array(
        [
            [-mw, mv - g["mouth_curve"]],
            [mw, mv - g["mouth_curve"]],
            [0.0, mv - g["lip_up_h"]],
            [0.0, mv + g["lip_lo_h"]],
            [0.0, mv],
            [-0.045, mv - g["lip_up_h"] - 0.004],
            [0.045, mv - g["lip_up_h"] - 0.004],
        ]
    )
    lm["chin"] = np.array([[0.0, 0.5 * (mv + g["lip_lo_h"]) + 0.5 * g["chin_v"] + 0.02]])
    ang = np.linspace(-np.pi / 2, np.pi / 2, 9)
    n = g["jaw_n"]
    top, bot = g["eye_v"] + 0.05, g["chin_v"]
    c, b = top, bot - top
    ju = -0.5 * np.sign(np.cos(ang + np.pi / 2)) * np.abs(np.cos(ang + np.pi / 2)) ** (2 / n)
    jv = c + b * np.abs(np.cos(ang)) ** (2 / n)
    lm["jaw"] = np.stack([ju, jv], axis=1)
    return lm


_SKIN_LIGHT = np.array([0.62, 0.46, 0.38])
_SKIN_DARK = np.array([0.11, 0.065, 0.045])
_HAIR = {
    "black": (0.02, 0.018, 0.016), "dark_brown": (0.05, 0.033, 0.022), "brown": (0.11, 0.068, 0.04),
    "blond": (0.38, 0.28, 0.15), "red": (0.2, 0.07, 0.03), "grey": (0.3, 0.29, 0.28),
}
_IRIS = {"brown": (0.09, 0.045, 0.02), "dark": (0.035, 0.02, 0.012), "blue": (0.12, 0.17, 0.24),
         "green": (0.1, 0.14, 0.08), "hazel": (0.14, 0.1, 0.045)}


def procedural_identity(seed: int) -> Identity:
    """A procedural face identity drawn from ``seed`` (same seed -> same identity).

    Parameters
    ----------
    seed : int
        Any whole number >= 0; the identity is named ``proc-<seed>``.

    Returns
    -------
    Identity
        Of kind ``"procedural"``: its geometry, skin, hair, eyes, glasses and lighting drawn from
        ``seed``.

    Examples
    --------
    >>> a = procedural_identity(3)
    >>> a.kind, a.name
    ('procedural', 'proc-0003')
    """
    seed = as_int("seed", seed, 0)
    rng = np.random.default_rng([seed, 0xFACE])
    geom = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in _RANGES.items()}
    tone = float(rng.beta(1.2, 1.2))
    skin = (1 - tone) * _SKIN_LIGHT + tone * _SKIN_DARK
    skin = skin * np.array([1.0, rng.uniform(0.94, 1.04), rng.uniform(0.92, 1.06)])
    hair_name = str(rng.choice(list(_HAIR), p=[0.3, 0.25, 0.15, 0.12, 0.06, 0.12]))
    params: dict[str, object] = dict(geom)
    params.update(
        skin_rgb=tuple(float(x) for x in skin),
        skin_tone=tone,
        hair=hair_name,
        hair_rgb=_HAIR[hair_name],
        hair_style=int(rng.choice(4, p=[0.35, 0.3, 0.25, 0.1])),
        hairline_v=float(rng.uniform(-0.58, -0.45)),
        iris=str(rng.choice(list(_IRIS))),
        lip_tint=float(rng.uniform(0.0, 1.0)),
        glasses=bool(rng.random() < 0.25),
        glasses_dark=bool(rng.random() < 0.6),
        background_rgb=tuple(float(x) for x in rng.uniform(0.25, 0.7) * rng.uniform(0.8, 1.2, 3)),
        light_dir=tuple(float(x) for x in (rng.uniform(-0.4, 0.4), rng.uniform(-0.5, -0.15), 1.0)),
        ambient=float(rng.uniform(0.3, 0.45)),
        texture_seed=int(rng.integers(2**31)),
    )
    params["iris_rgb"] = _IRIS[str(params["iris"])]
    # Skin sheen, from its own stream so the draws above stay as they were (docs/au-model.md).
    sheen = np.random.default_rng([seed, 0x5BEC])
    params.update(specular=float(sheen.uniform(0.02, 0.07)), shininess=float(sheen.uniform(10.0, 30.0)))
    # Slight asymmetry: real faces are not mirror images.
    lm = landmarks_from_geometry(geom)
    jitter = np.random.default_rng([seed, 0xA5])
    lm = {k: v + jitter.normal(0.0, 0.002, v.shape) for k, v in lm.items()}
    return Identity(name=f"proc-{seed:04d}", kind="procedural", landmarks=lm, params=params, seed=seed)


# Haar frontal-face box on a real photo, in face widths: (width, top v). Measured on the
# astronaut photo in the frame fitted through its detected eyes (box 99 px, inter-ocular 44 px).
HAAR_BOX_FW = (0.92, -0.46)


def photo_identity(image_rgb_uint8: np.ndarray, name: str, source: str | None = None) -> Identity:
    """An identity from a frontal face photo.

    The face, eyes and mouth are located with OpenCV's bundled Haar cascades; the template
    landmarks are fitted to the eye centres (or to the face box) and the mouth, so the same AU
    fields animate the photo.

    Parameters
    ----------
    image_rgb_uint8 : ndarray of uint8, shape (H, W, 3)
        The photo.
    name : str
        The identity's name, non-empty.
    source : str, optional
        Where the photo came from (a path or a name), named in errors; ``name`` when None.

    Returns
    -------
    Identity
        Of kind ``"photo"``, holding a copy of the photo and the map from the face to it.

    Raises
    ------
    evface.errors.FaceNotFoundError
        When no face is found.
    FormatError
        When the array is not an (H, W, 3) uint8 image.
    ParameterError
        When ``name`` is not a non-empty ``str``.

    Examples
    --------
    >>> from skimage import data
    >>> astronaut = photo_identity(data.astronaut(), "astronaut")
    >>> astronaut.kind, astronaut.params["face_box"], astronaut.params["eyes"]
    ('photo', (177, 67, 93, 93), [[201.5, 100.5], [246.5, 102.5]])
    >>> astronaut.photo_from_face.round(1).tolist()  # face widths -> photo pixels
    [[109.8, -4.9, 223.5], [4.9, 109.8, 112.5]]
    >>> photo_identity(np.zeros((64, 64, 3), np.uint8), "blank")
    Traceback (most recent call last):
    ...
    evface.errors.FaceNotFoundError: blank: no frontal face found by the Haar cascade
    """
    if not isinstance(name, str) or not name:  # was: an array's "truth value ... is ambiguous"
        raise ParameterError(f"name must be a non-empty str (the identity's name), got {name!r}")
    img = np.asarray(image_rgb_uint8)
    det = locate_face(img, source=source or name)
    g = dict(TEMPLATE)
    x, y, w, h = det.face_box
    # Without both eyes the face box fixes the frame (HAAR_BOX_FW).
    if det.eyes is not None:
        el, er = det.eyes
        d = np.asarray(er, float) - np.asarray(el, float)
        scale = np.hypot(*d) / (2 * g["eye_u"])
        ang = np.arctan2(d[1], d[0])
        mid = 0.5 * (np.asarray(el, float) + np.asarray(er, float))
        origin = mid - scale * np.array([-np.sin(ang) * g["eye_v"], np.cos(ang) * g["eye_v"]])
    else:
        scale = w / HAAR_BOX_FW[0]
        ang = 0.0
        origin = np.array([x + w / 2.0, y - HAAR_BOX_FW[1] * scale])
    c, s = np.cos(ang) * scale, np.sin(ang) * scale
    A = np.array([[c, -s, origin[0]], [s, c, origin[1]]])
    if det.mouth is not None:
        Ai = np.linalg.inv(np.vstack([A, [0, 0, 1]]))[:2]
        mv = float((Ai @ np.array([det.mouth[0], det.mouth[1], 1.0]))[1])
        if 0.2 < mv < 0.42:
            g["mouth_v"] = mv
    lm = landmarks_from_geometry(g)
    params = {"face_box": tuple(int(t) for t in det.face_box),
              "eyes": None if det.eyes is None else np.asarray(det.eyes).tolist(),
              "mouth": None if det.mouth is None else [float(t) for t in det.mouth],
              "other_faces": [list(box) for box in det.others]}
    return Identity(name=name, kind="photo", landmarks=lm, params=params, photo=img.copy(),
                    photo_from_face=A, source=source)


PHOTO_BACKGROUND = 128
"""The grey (each of R, G and B) that a photo's transparent pixels are laid over (:func:`read_photo`)."""


def check_photo_file(path: str | Path, give: str = "give an image file") -> None:
    """A :class:`FormatError` where ``path`` is there but is no regular file: a folder, or a
    device, pipe or socket (a named pipe called ``face.png``: opening it waited for a writer for
    ever), its message ending in the advice ``give`` (say, ``"give --photo an image file"``).
    Only ``os.stat`` looks at it, so nothing is opened. A missing name passes: the reader names it.
    A ``path`` that is no path (an int, read as a file descriptor before) is a ParameterError.

    Parameters
    ----------
    path : str or Path
        The photo's file.
    give : str, optional
        The advice that ends the error's message.

    Raises
    ------
    FormatError
        For a folder, device, pipe or socket.
    ParameterError
        For a ``path`` that is not a str or Path.

    Examples
    --------
    >>> check_photo_file(".", "give --photo an image file")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: .: is a folder; give --photo an image file
    >>> check_photo_file("/dev/null")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: /dev/null: is a device, pipe or socket, not a file; give an image file saved to disk
    """
    path = as_path("path", path)  # an int was stat-ed as an open file descriptor
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if stat.S_ISDIR(mode):
        raise FormatError(where(path, f"is a folder; {give}"))
    if not stat.S_ISREG(mode):
        raise FormatError(where(path, f"is a device, pipe or socket, not a file; {give} saved to disk"))


def read_photo(path: str | Path) -> np.ndarray:
    """A photo file as OpenCV decodes it: an (H, W, 3) RGB uint8 array, turned upright by its EXIF
    orientation, grey and 16-bit reduced to 8-bit RGB, the first frame of an animated GIF. A photo
    with transparent pixels is laid over plain grey (:data:`PHOTO_BACKGROUND`; was: the colours
    stored under them, which its viewer never shows, filmed as the face's surroundings).

    Raises
    ------
    FormatError
        Naming the file: not there (was: "unreadable or corrupt image"), or what its decoder said
        when it cannot be decoded, or is a JPEG cut
        short or damaged inside its coded data (OpenCV decodes one, the rows past the damage grey
        or repeated: was used as a face, with only libjpeg's "Premature end of JPEG file" on
        standard error; one whose scan held a marker, "Corrupt JPEG data: premature end of data
        segment", still was until libjpeg's line was read: :attr:`evface.io.pictures.Decoded.damage`).
        A photo is refused where a frame of footage is read with a warning
        (:func:`evface.sim.frame_folder.read_frame`): the one photo is the subject's whole face. The decoders' own lines (libpng's "Read
        Error", OpenCV's ``[ERROR:0@0.4]`` ones) go into the message, not onto standard error. A
        photo of any size OpenCV decodes is read (was: one of over 179 megapixels, Pillow's limit
        on decompression bombs, skipped as "corrupt or cut short"). A name that is not UTF-8 is
        refused (:func:`~evface.io.native_stderr.opencv_name`; was: the process crashed). A TIFF
        turned a quarter turn by its orientation tag (5 to 8) is read turned (was: refused as
        "unreadable or corrupt image (... can't read data ...)":
        :func:`evface.io.pictures.decoded_picture`). A folder, device, pipe or socket is refused
        unopened (:func:`check_photo_file`; was: a named pipe waited for a writer for ever).
        A JPEG whose EXIF block Pillow cannot parse whole is read without a word
        (:func:`_check_jpeg_whole`; was: Pillow's "UserWarning: Corrupt EXIF data" on standard error).
        A PNG or JPEG whose header states more than its bytes can hold is refused unread
        (:func:`~evface.io.pictures.stated_beyond_the_file`; was: a 1 KB JPEG stating 16000x12000
        pixels read as a picture of grey, 1.8 GB; a PNG chunk damaged to 4 GB allocated), and a
        size OpenCV refuses by assertion is unreadable (was: ``cv2.error``, an internal error).

    Parameters
    ----------
    path : str or Path
        The photo's file (any format OpenCV decodes: PNG, JPEG, TIFF, GIF, ...).

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        The photo in RGB.

    Examples
    --------
    >>> read_photo("missing.png")  # and, in brackets, what OpenCV said of it (at its log level)
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: missing.png: no such file...
    >>> _ = Path("junk.png").write_bytes(b"not a picture")
    >>> read_photo("junk.png")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: junk.png: unreadable or corrupt image...
    """
    path = as_path("path", path)
    check_photo_file(path)
    decoded = decoded_picture(path, cv2.IMREAD_COLOR)
    bgr = decoded.picture
    if bgr is None:
        said = "".join(f" ({line})" for line in decoded.said[:1])
        # a name that is not there was "unreadable or corrupt image", as of a damaged file
        raise FormatError(where(path, ("unreadable or corrupt image" if path.exists() else "no such file") + said))
    if decoded.damage:
        raise FormatError(where(path, f"corrupt or cut short ({decoded.damage})"))
    try:
        with open(path, "rb") as file:
            jpeg = file.read(3) == b"\xff\xd8\xff"
        if jpeg:  # not Image.open: its limit on decompression bombs refused a 200-megapixel photo OpenCV had decoded
            _check_jpeg_whole(path)
    except (OSError, SyntaxError) as exc:
        raise FormatError(where(path, f"corrupt or cut short ({exc})")) from None
    return cv2.cvtColor(_flattened(path, bgr), cv2.COLOR_BGR2RGB)


def _check_jpeg_whole(path: str | Path) -> None:
    """Decode the JPEG at ``path`` with Pillow, which raises OSError where libjpeg only warns (a
    file cut short), saying nothing of a damaged EXIF block.

    Pillow parses a JPEG's EXIF as it opens one (for its resolution) and shows a ``UserWarning``
    ("Corrupt EXIF data", "Tag data larger than file") on standard error for a block it cannot
    parse whole. Nothing of that parse is used: OpenCV reads the orientation tag itself, and the
    pixels are whole. So those warnings are not shown (was: Python's two-line warning on standard
    error, once per photo read).

    Examples
    --------
    >>> import tempfile
    >>> _, jpeg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    >>> app1 = bytes.fromhex("ffe1 0012") + b"Exif" + bytes.fromhex("0000 4949 2a00 08000000 0500")  # 5 entries, none there
    >>> with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
    ...     warnings.simplefilter("error")  # a warning shown would be raised here
    ...     _ = Path(folder, "a.jpg").write_bytes(jpeg[:2].tobytes() + app1 + jpeg[2:].tobytes())
    ...     _check_jpeg_whole(f"{folder}/a.jpg")
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.TiffImagePlugin")
        with JpegImagePlugin.JpegImageFile(path) as image:
            image.load()


def _flattened(path: str | Path, bgr: np.ndarray) -> np.ndarray:
    """``bgr``, the photo at ``path`` decoded without its alpha, laid over :data:`PHOTO_BACKGROUND`
    where the alpha the file holds is below opaque; a FormatError when its alpha does not match
    ``bgr`` (OpenCV reads the alpha unturned by the EXIF orientation that turned ``bgr``; or its
    samples are not 8- or 16-bit integers).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     half = np.dstack([np.full((1, 2, 3), 255, np.uint8), [[255, 0]]]).astype(np.uint8)
    ...     _ = cv2.imwrite(f"{folder}/half.png", half)
    ...     _flattened(f"{folder}/half.png", half[..., :3]).tolist()
    [[[255, 255, 255], [128, 128, 128]]]
    """
    raw = decoded_picture(path, cv2.IMREAD_UNCHANGED).picture
    if raw is None or raw.ndim != 3 or raw.shape[2] != 4:
        return bgr
    top = np.iinfo(raw.dtype).max if np.issubdtype(raw.dtype, np.integer) else 1.0
    alpha = raw[..., 3:].astype(np.float32) / top
    if alpha.min() >= 1.0:
        return bgr
    if raw.dtype not in (np.uint8, np.uint16) or not np.array_equal(raw[..., :3] >> (8 * raw.itemsize - 8), bgr):
        raise FormatError(where(path, "has transparent pixels that evface cannot lay over a background (it is turned "
                                      "by its EXIF orientation, or its samples are not 8- or 16-bit); save it "
                                      "without transparency"))
    flat = bgr.astype(np.float32) * alpha + PHOTO_BACKGROUND * (1.0 - alpha)
    return np.round(flat).astype(np.uint8)


@lru_cache(maxsize=1)
def _astronaut() -> Identity:
    from skimage import data  # lazy: scikit-image only where the astronaut photo is used

    return photo_identity(data.astronaut(), "astronaut", source="skimage.data.astronaut")


def builtin_photo_identities() -> list[Identity]:
    """The photo identities shipped with evface: scikit-image's ``astronaut`` (Eileen Collins).

    Returns
    -------
    list of Identity
        One identity of kind ``"photo"`` per shipped photo (made once, then cached).

    Examples
    --------
    >>> [(i.name, i.kind, i.source) for i in builtin_photo_identities()]
    [('astronaut', 'photo', 'skimage.data.astronaut')]
    """
    return [_astronaut()]


_CANVAS_FW = (-0.5 / FACE_FRACTION, V_CENTER - 0.5 / FACE_FRACTION, 0.5 / FACE_FRACTION, V_CENTER + 0.5 / FACE_FRACTION)
"""The square canvas (:mod:`evface.face.canvas`) in face-normalised ``(u0, v0, u1, v1)``."""

FACE_REGION_FW = (-0.5, -0.35, 0.5, 0.75)
"""The face (cheek to cheek, brows to chin) in face-normalised ``(u0, v0, u1, v1)``: what must not
be drawn twice (mirrored hair or forehead at a canvas's edge is no second face)."""


def mirrored_face(identity: Identity) -> str | None:
    """Why a photo identity's face would be drawn twice, or None: a (square) canvas reaches farther
    beyond an edge of the photo than the face lies inside it, and the renderer fills what lies
    beyond with the photo mirrored at that edge (was: a face at the edge of its photo filmed beside
    its own mirror image).

    Parameters
    ----------
    identity : Identity
        The identity to check; a procedural one has no photo and passes.

    Returns
    -------
    str or None
        What would be mirrored, and the advice; None when nothing would.

    Raises
    ------
    ParameterError
        For an ``identity`` that is not an :class:`Identity`.

    Examples
    --------
    >>> from skimage import data
    >>> print(mirrored_face(photo_identity(data.astronaut(), "astronaut")))
    None
    >>> mirrored_face(photo_identity(np.ascontiguousarray(data.astronaut()[:, 170:]), "edge"))[:56]
    "the face runs past the photo's left edge, and the canvas"
    >>> mirrored_face(photo_identity(np.ascontiguousarray(data.astronaut()[:, 150:]), "near"))[:64]
    "the face lies 13 px inside the photo's left edge, and the canvas"
    >>> print(mirrored_face(procedural_identity(0)))  # no photo, nothing mirrored
    None
    """
    if not isinstance(identity, Identity):
        raise ParameterError(f"identity must be an Identity, got {type(identity).__name__}")
    if identity.photo is None or identity.photo_from_face is None:  # was a ValueError from matmul
        return None  # a procedural face: no photo to mirror
    half = 0.5 / FACE_FRACTION
    (cx0, cy0, cx1, cy1), (fx0, fy0, fx1, fy1) = (_photo_box(identity, box) for box in (_CANVAS_FW, FACE_REGION_FW))
    h, w = identity.photo.shape[:2]
    for side, beyond, inside in (("left", -cx0, fx0), ("top", -cy0, fy0), ("right", cx1 - (w - 1), (w - 1) - fx1),
                                 ("bottom", cy1 - (h - 1), (h - 1) - fy1)):
        if beyond > max(inside, 0.0):
            where_face = f"lies {inside:.0f} px inside" if inside >= 0 else "runs past"
            return (f"the face {where_face} the photo's {side} edge, and the canvas reaches {beyond:.0f} px beyond "
                    "it, where the photo is drawn mirrored: a second face would show; use a photo with more room "
                    f"around the face (about {half:.1f} face widths from its centre to each side)")
    return None


def other_face(identity: Identity) -> str | None:
    """Why a photo identity's canvas would show a second person, or None: another face found in
    the photo (``params["other_faces"]``: :func:`~evface.face.detect.locate_face`) lies, in part
    at least, within the square canvas around the face (was: a couple's photo filmed with the
    other face beside the subject's, still while the subject's face moved).

    Parameters
    ----------
    identity : Identity
        The identity to check; a procedural one has no photo and passes.

    Returns
    -------
    str or None
        Where the other face lies, and the advice; None when the canvas shows no other face.

    Raises
    ------
    ParameterError
        For an ``identity`` that is not an :class:`Identity`.

    Examples
    --------
    >>> from skimage import data
    >>> print(other_face(photo_identity(data.astronaut(), "astronaut")))
    None
    >>> half = np.ascontiguousarray(data.astronaut()[:, 150:300])
    >>> pair = np.concatenate([np.full((512, 200, 3), 128, np.uint8), half, half,
    ...                        np.full((512, 200, 3), 128, np.uint8)], axis=1)
    >>> other_face(photo_identity(pair, "pair"))[:70]
    'another face (100x100 px at x=225, y=64) lies within the canvas around'
    """
    if not isinstance(identity, Identity):
        raise ParameterError(f"identity must be an Identity, got {type(identity).__name__}")
    if identity.photo is None or identity.photo_from_face is None:
        return None  # a procedural face: no photo, no other face
    cx0, cy0, cx1, cy1 = _photo_box(identity, _CANVAS_FW)
    for x, y, w, h in identity.params.get("other_faces", []):  # type: ignore[attr-defined]
        if x < cx1 and x + w > cx0 and y < cy1 and y + h > cy0:
            return (f"another face ({w}x{h} px at x={x}, y={y}) lies within the canvas around the face "
                    f"(x {max(cx0, 0):.0f}..{cx1:.0f}, y {max(cy0, 0):.0f}..{cy1:.0f}), which would show it "
                    "beside this one; crop the photo to one person")
    return None


def _photo_box(identity: Identity, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The bounding box in photo pixels of a face-normalised ``(u0, v0, u1, v1)`` box."""
    u0, v0, u1, v1 = box
    corners = np.asarray(identity.photo_from_face) @ np.array([[u0, u1, u0, u1], [v0, v0, v1, v1], [1, 1, 1, 1]])
    return corners[0].min(), corners[1].min(), corners[0].max(), corners[1].max()
