"""Which clips a synthetic dataset holds: its presets, subjects, classes, lightings and shards.

A dataset is every (subject, class, lighting, repetition) of a :class:`SynthPreset`
(:func:`plan_subjects`, :func:`plan_clips`), each clip filmed by
:mod:`evface.datasets.synth_film` from a seed derived from the dataset seed and the clip's place
in that plan (:func:`evface.rig.record.clip_seed`).

Examples
--------
>>> preset = get_preset("tiny")
>>> subjects, _ = plan_subjects(preset, seed=0)
>>> [spec.clip_id for spec in plan_clips(subjects[:1], {"AU4": [4]}, ["bright", "dim"], 1)]
['s000_AU4_bright_r0', 's000_AU4_dim_r0']
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evface.checks import as_flag, as_int, whole_number
from evface.errors import DatasetError, EvfaceError, FaceNotFoundError, FormatError, ParameterError, choose_from, where
from evface.face.aus import DEFAULT_CLASSES
from evface.face.identity import (Identity, builtin_photo_identities, mirrored_face, other_face, photo_identity,
                                  read_photo)
from evface.rig.geometry import RigParams
from evface.rig.lighting import DEFAULT_LIGHTING, LIGHTING
from evface.rig.record import ClipSpec, int_seed
from evface.rig.timeline_draw import TimelineParams

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


# --------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthPreset:
    """How many clips of which kind: subjects x classes x lightings x repetitions, or with
    ``rotate_lightings`` subjects x classes x repetitions, each under one lighting
    (:func:`plan_clips`)."""

    name: str
    n_subjects: int
    n_classes: int | None
    lightings: tuple[str, ...]
    repetitions: int
    timeline: TimelineParams = field(default_factory=TimelineParams)
    rig: RigParams = field(default_factory=RigParams)
    builtin_photos: bool = False
    rotate_lightings: bool = False


PRESETS: dict[str, SynthPreset] = {
    "tiny": SynthPreset(
        "tiny", n_subjects=3, n_classes=2, lightings=("bright", "dim"), repetitions=1,
        timeline=TimelineParams(duration_us=400_000, margin_us=50_000, total_us_range=(200_000, 300_000),
                                onset_us_range=(60_000, 150_000)),
        rig=RigParams(lr_face_px=32.0, scene_rate_hz=200.0, truth_rate_hz=200.0, rgb_size=(160, 120)),
    ),
    "quick": SynthPreset(
        "quick", n_subjects=16, n_classes=None, lightings=("dim", "flicker"), repetitions=1,
        timeline=TimelineParams(duration_us=700_000, margin_us=60_000, total_us_range=(250_000, 480_000)),
        rig=RigParams(lr_face_px=64.0, hd_roi_margin=0.05, scene_rate_hz=200.0, truth_rate_hz=200.0,
                      rgb_size=(320, 240)),
        rotate_lightings=True,
    ),
    "full": SynthPreset(
        "full", n_subjects=24, n_classes=None, lightings=(*DEFAULT_LIGHTING, "flicker"), repetitions=2,
        timeline=TimelineParams(duration_us=700_000, margin_us=60_000, total_us_range=(250_000, 480_000)),
        rig=RigParams(lr_face_px=64.0, hd_roi_margin=0.05, scene_rate_hz=200.0, truth_rate_hz=200.0,
                      rgb_size=(320, 240)),
    ),
    "paper": SynthPreset(
        "paper", n_subjects=32, n_classes=None, lightings=tuple(LIGHTING), repetitions=2,
        timeline=TimelineParams(duration_us=1_000_000),
        rig=RigParams(lr_face_px=100.0, scene_rate_hz=1000.0, truth_rate_hz=200.0, rgb_size=(640, 480)),
        builtin_photos=True,
    ),
}
"""``tiny`` (tests, seconds), ``quick`` (16 subjects x 7 classes, each clip under dim or flicker
light in turn: 112 clips, fits ``make run``), ``full`` (the quick rig, 24 subjects x 7 classes x 4 lightings x 2 repetitions:
1,344 clips), ``paper`` (32 subjects, the larger rig at 1 kHz, every lighting, 2 repetitions).
The optional ``neutral`` class (no expression) is made only when named in ``classes``."""


def get_preset(name: str) -> SynthPreset:
    """The preset ``name`` or a ParameterError listing the known ones.

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.

    Returns
    -------
    SynthPreset
    """
    try:
        return PRESETS[name]
    except (KeyError, TypeError):  # TypeError: an array, unhashable
        raise ParameterError(f"unknown synth preset {name!r} (--preset); {choose_from(sorted(PRESETS))}") from None


def default_classes() -> dict[str, list[int]]:
    """The face module's default class set (label -> AUs).

    Returns
    -------
    dict of str to list of int
        Each class's action units.
    """
    return {str(k): [int(a) for a in v] for k, v in DEFAULT_CLASSES.items()}


# --------------------------------------------------------------------------------------------
# planning a dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A subject of the dataset: its id, index (seeds) and how to build its identity."""

    name: str
    index: int
    kind: str
    seed: int = 0
    photo: str | None = None
    photo_sha256: str | None = None


@dataclass(frozen=True)
class FaceProblem:
    """A ``--faces`` file that was skipped, and why."""

    file: str
    reason: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "face"


def photo_name(stem: str) -> str:
    """The subject name of a ``--faces`` file of this stem: ``photo-`` and the stem's letters,
    digits, ``_`` and ``-`` (accents dropped); a stem that loses other characters on the way
    (another script, spaces) also gets 8 hex digits of its hash, so two such stems never share a
    name (was: every Chinese or Japanese name became ``photo-face``, and all but the first were
    skipped).

    Parameters
    ----------
    stem : str
        The file's name without its suffix.

    Returns
    -------
    str

    Examples
    --------
    >>> photo_name("anna_2"), photo_name("Zoë")
    ('photo-anna_2', 'photo-Zoe-c6a12698')
    >>> photo_name("张伟") != photo_name("李娜")
    True
    """
    if not isinstance(stem, str):
        raise ParameterError(f"stem must be text (a photo file's stem), got {stem!r:.80}")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    name = f"photo-{_slug(ascii_stem)}"
    if _slug(stem) == stem:
        return name
    composed = unicodedata.normalize("NFC", stem)  # macOS names files decomposed
    return f"{name}-{hashlib.sha256(composed.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def photo_digest(image: np.ndarray) -> str:
    """The sha256 of a decoded photo's pixels and shape: the same face whatever its file's name or
    format's metadata, and a file changed after a dataset was planned is told apart.

    Parameters
    ----------
    image : ndarray
        The decoded photo.

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> photo_digest(np.zeros((2, 3, 3), np.uint8)) == photo_digest(np.zeros((3, 2, 3), np.uint8))
    False
    """
    image = np.ascontiguousarray(image)
    return hashlib.sha256(f"{image.dtype} {image.shape}".encode() + image.tobytes()).hexdigest()


def turned_digests(image: np.ndarray) -> set[str]:
    """:func:`photo_digest` of ``image`` in each of its 8 orientations (turned by a quarter turn or
    more, mirrored or not): those an EXIF orientation can give the same stored pixels.

    Parameters
    ----------
    image : ndarray
        The decoded photo, (H, W) or (H, W, channels).

    Returns
    -------
    set of str

    Examples
    --------
    >>> image = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    >>> photo_digest(np.rot90(image)) in turned_digests(image), len(turned_digests(image))
    (True, 8)
    """
    image = np.asarray(image)
    if image.ndim < 2:
        raise ParameterError(f"image must be a picture (H, W) or (H, W, C), got shape {image.shape}")
    return {photo_digest(np.rot90(side, k)) for side in (image, image[:, ::-1]) for k in range(4)}


def load_face_photos(faces_dir: str | Path) -> tuple[list[tuple[str, Identity]], list[FaceProblem]]:
    """Load every image of ``faces_dir`` as a photo identity.

    Decision on bad input: a file that is not an image, cannot be read, has no detectable face,
    holds the same pixels as an earlier file, in any orientation (a copy turned by its EXIF
    orientation: one person would be two subjects, and could be trained on and tested on) or would give a subject name an earlier file has (names are compared
    regardless of case: their clip files would be one on macOS and Windows) is **skipped** and
    reported as a :class:`FaceProblem`; the others are used. An empty or missing folder, or one
    without a single usable face, is a DatasetError. Subfolders and hidden files are not read; a
    name that is no regular file (a named pipe, a link to nothing) is skipped.

    Parameters
    ----------
    faces_dir : str or Path
        The ``--faces`` folder.

    Returns
    -------
    identities : list of (subject name, Identity), sorted by file name
    problems : list of FaceProblem, one per skipped file
    """
    root = Path(faces_dir)
    if not root.is_dir():
        raise DatasetError(where(root, "--faces must be a folder of face photos"))
    identities, problems = [], []
    taken = _TakenFaces()
    for path in _photo_files(root):
        try:
            face = _usable_face(path, taken)
        except _Skipped as skip:
            problems.append(FaceProblem(str(path), f"skipped: {skip}"))
            continue
        taken.add(face)
        identities.append((face.name, face.identity))
    if not identities:
        raise DatasetError(where(root, f"no usable face photo ({_skipped_detail(problems) or _nothing_read(root)})"))
    return identities, problems


SKIPS_NAMED = 3
"""How many skipped ``--faces`` files the "no usable face photo" line names; it counts the others."""


def _skipped_detail(problems: list[FaceProblem]) -> str:
    """The first :data:`SKIPS_NAMED` skipped files of ``problems`` with their reasons, then how many
    more (and how many of those are no image files): one line for a folder of hundreds (was: every
    file and its reason, a line of tens of kilobytes for ``--faces`` given a folder of documents)."""
    named = "; ".join(f"{Path(p.file).name}: {p.reason}" for p in problems[:SKIPS_NAMED])
    rest = problems[SKIPS_NAMED:]
    if not rest:
        return named
    not_images = sum(p.reason.startswith("skipped: not an image file") for p in rest)
    return named + f"; and {len(rest)} more skipped" + f", {not_images} of them not image files" * bool(not_images)


def _apart_from_builtin(photos: list[tuple[str, Identity]], problems: list[FaceProblem]) -> list[tuple[str, Identity]]:
    """The ``photos`` but those holding the pixels of the built-in astronaut (in any orientation),
    each of those added to ``problems``: with a preset of built-in photos (``paper``) the astronaut
    is a subject already, and one person as two subjects would sit on both sides of a subject split
    (was: ``--faces`` holding scikit-image's astronaut made ``photo-astronaut`` beside ``builtin-astronaut``)."""
    astronaut = builtin_photo_identities()[0].photo
    assert astronaut is not None, "the built-in identities are photos"
    builtin = turned_digests(astronaut)
    kept = []
    for name, ident in photos:
        if ident.photo is not None and photo_digest(ident.photo) in builtin:
            problems.append(FaceProblem(str(ident.source), "skipped: the same photo as the built-in subject "
                                                           "builtin-astronaut (scikit-image's astronaut, which this "
                                                           "preset films; one person would be two subjects)"))
        else:
            kept.append((name, ident))
    return kept


class _Skipped(Exception):
    """Why a ``--faces`` file is skipped (the text after ``skipped: ``)."""


@dataclass(frozen=True)
class _Face:
    """A usable ``--faces`` photo: its file, subject name, pixels as read, their digest and identity."""

    path: Path
    name: str
    rgb: np.ndarray
    digest: str
    identity: Identity


@dataclass(frozen=True)
class _TakenFaces:
    """The photos used so far: by subject name (casefolded), by the digest of each of their orientations
    (:func:`turned_digests`), and the digests of the orientations they were read in."""

    names: dict[str, Path] = field(default_factory=dict)
    digests: dict[str, Path] = field(default_factory=dict)
    as_read: set[str] = field(default_factory=set)

    def check_new(self, name: str, digest: str) -> None:
        """Raise :class:`_Skipped` when a used photo has this subject name or these pixels."""
        if name.casefold() in self.names:
            raise _Skipped(f"its subject name {name!r} is taken by {self.names[name.casefold()].name} (names are "
                           "compared regardless of case); rename one of them")
        if digest in self.digests:
            turned = "" if digest in self.as_read else ", turned or mirrored (its EXIF orientation)"
            raise _Skipped(f"the same photo as {self.digests[digest].name}{turned} (one person would be two subjects)")

    def add(self, face: _Face) -> None:
        """Count ``face`` as used."""
        self.names[face.name.casefold()] = face.path
        self.digests.update(dict.fromkeys(turned_digests(face.rgb), face.path))
        self.as_read.add(face.digest)


def _photo_files(root: Path) -> list[Path]:
    """The entries of ``root`` that may be photos, by name: no subfolder, no hidden file."""
    return [path for path in sorted(p for p in root.iterdir() if not p.name.startswith(".")) if not path.is_dir()]


def _usable_face(path: Path, taken: _TakenFaces) -> _Face:
    """The photo ``path`` as a subject's face, or :class:`_Skipped` saying why it is none."""
    _check_photo_file(path)
    rgb = _read_photo(path)
    name, digest = photo_name(path.stem), photo_digest(rgb)
    taken.check_new(name, digest)
    return _Face(path, name, rgb, digest, _face_identity(rgb, name, path))


def _check_photo_file(path: Path) -> None:
    """Raise :class:`_Skipped` unless ``path`` is a regular file named as an image."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise _Skipped(f"not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
    if not path.is_file():  # was: OpenCV waited for a named pipe's writer without end
        raise _Skipped("not a regular file (a named pipe, a device, or a link to nothing)")


def _read_photo(path: Path) -> np.ndarray:
    """The photo's RGB pixels, or :class:`_Skipped` when it cannot be read."""
    try:
        return read_photo(path)
    except FormatError as exc:
        raise _Skipped(_about(exc, path)) from None


def _face_identity(rgb: np.ndarray, name: str, path: Path) -> Identity:
    """The identity of the face in ``rgb``, or :class:`_Skipped` when none is found, it is a mirrored
    face, or its canvas would show another person's face too."""
    try:
        identity = photo_identity(rgb, name, source=str(path))
    except FaceNotFoundError as exc:
        raise _Skipped(f"no face found ({_about(exc, path)})") from None
    except EvfaceError as exc:
        raise _Skipped(_about(exc, path)) from None
    why = mirrored_face(identity) or other_face(identity)
    if why is not None:
        raise _Skipped(why)
    return identity


def _about(exc: Exception, path: Path) -> str:
    """The message of ``exc`` without the file it starts with (the warning names it once).

    >>> _about(FormatError("a.png: unreadable"), Path("a.png"))
    'unreadable'
    """
    return str(exc).removeprefix(f"{path}: ")


def _nothing_read(root: Path) -> str:
    """Why a ``--faces`` folder gave no file at all: empty, or only subfolders and hidden files."""
    skipped = sorted(p.name + "/" * p.is_dir() for p in root.iterdir())
    if not skipped:
        return "folder is empty"
    return f"it holds only subfolders and hidden files, which are not read: {', '.join(skipped[:5])}"


MAX_SUBJECTS = 10_000
"""The most procedural subjects a dataset plans (a larger number was planned subject by subject, without end)."""


def plan_subjects(preset: SynthPreset, seed: int, n_subjects: int | None = None,
                  faces_dir: str | Path | None = None) -> tuple[list[Subject], list[FaceProblem]]:
    """Procedural subjects ``s000``... (identity seeds derived from ``seed``), then built-in and
    ``faces_dir`` photo subjects (each recording its photo's absolute path: was the path as given,
    ``faces/x.png``, which a Ray task on a node started in another folder could not read).

    Parameters
    ----------
    preset : SynthPreset
        Gives the number of procedural subjects and whether to add the built-in photo.
    seed : int
        The dataset seed (``--seed``).
    n_subjects : int, optional
        Procedural subjects instead of the preset's (``--subjects``, at most :data:`MAX_SUBJECTS`).
    faces_dir : str or Path, optional
        A folder of face photos (``--faces``, :func:`load_face_photos`).

    Returns
    -------
    subjects : list of Subject
    problems : list of FaceProblem
        The ``faces_dir`` files skipped.
    """
    n = preset.n_subjects if n_subjects is None else as_int("--subjects", n_subjects, 0, MAX_SUBJECTS)
    seed = as_int("--seed", seed, 0)
    subjects = [Subject(f"s{i:03d}", i, "procedural", int_seed(np.random.SeedSequence([seed, 0x1D, i])))
                for i in range(n)]
    if preset.builtin_photos:
        subjects.append(Subject("builtin-astronaut", 900, "builtin"))
    problems: list[FaceProblem] = []
    if faces_dir is not None:
        photos, problems = load_face_photos(faces_dir)
        if preset.builtin_photos:
            photos = _apart_from_builtin(photos, problems)
        for i, (name, ident) in enumerate(photos):
            assert ident.source is not None and ident.photo is not None, "load_face_photos: identities of photo files"
            subjects.append(Subject(name, 1000 + i, "photo", photo=str(Path(ident.source).absolute()),
                                    photo_sha256=photo_digest(ident.photo)))
    if not subjects:
        raise ParameterError("no subjects: give --subjects > 0 or --faces")
    return subjects, problems


def plan_clips(subjects: Sequence[Subject], classes: dict[str, list[int]], lightings: Sequence[str],
               repetitions: int, rotate_lightings: bool = False) -> list[ClipSpec]:
    """Every (subject, class, lighting, repetition), in that nesting order.

    With ``rotate_lightings`` every (subject, class, repetition) is filmed under one lighting
    only, the lightings taking turns (the ``i``-th subject's ``j``-th class, repetition ``r``:
    lighting ``(i + j + r) mod L``), so each class and each subject meet every lighting about
    equally often, in 1/L of the clips. A clip is the same clip in both designs (its seed
    depends on its subject, class, lighting and repetition only).

    Parameters
    ----------
    subjects : sequence of Subject
        The subjects to film.
    classes : dict of str to list of int
        Each class's action units.
    lightings : sequence of str
        The lightings to film under.
    repetitions : int
        Clips of each (subject, class, lighting), 1 to 1000; the plan holds at most
        :data:`MAX_PLANNED_CLIPS` clips (a ParameterError names what is off, before any is planned).
    rotate_lightings : bool
        Film each (subject, class, repetition) under one lighting, in turn.

    Returns
    -------
    list of ClipSpec

    Examples
    --------
    >>> subjects = [Subject(f"s{i:03d}", i, "procedural") for i in range(2)]
    >>> [spec.clip_id for spec in plan_clips(subjects, {"AU4": [4], "AU9": [9]}, ["dim", "flicker"], 1, True)]
    ['s000_AU4_dim_r0', 's000_AU9_flicker_r0', 's001_AU4_flicker_r0', 's001_AU9_dim_r0']
    """
    subjects, classes, lightings, repetitions = _plan_inputs(subjects, classes, lightings, repetitions)
    rotate_lightings = as_flag("rotate_lightings", rotate_lightings)
    return [
        ClipSpec(f"{s.name}_{label}_{light}_r{rep}", s.name, s.index, label, tuple(aus), light, rep)
        for i, s in enumerate(subjects) for j, (label, aus) in enumerate(classes.items())
        for k, light in enumerate(lightings) for rep in range(repetitions)
        if not rotate_lightings or (i + j + rep) % len(lightings) == k
    ]


MAX_PLANNED_CLIPS = 1_000_000
"""The most clips :func:`plan_clips` plans (a repetition count of 10**30 filled the memory)."""


def _plan_inputs(subjects: object, classes: object, lightings: object,
                 repetitions: object) -> tuple[list[Subject], dict[str, list[int]], list[str], int]:
    """The arguments of :func:`plan_clips`, checked: a ParameterError naming the one off."""
    if isinstance(subjects, (str, bytes)) or not isinstance(subjects, Sequence) or not all(
            isinstance(s, Subject) for s in subjects):
        raise ParameterError(f"subjects must be a list of Subject, got {subjects!r:.80}")
    if not isinstance(classes, dict) or not all(isinstance(label, str) for label in classes):
        raise ParameterError(f"classes must map each class name to its AUs, got {classes!r:.80}")
    if isinstance(lightings, (str, bytes)) or not isinstance(lightings, Sequence) or not all(
            isinstance(light, str) for light in lightings):
        raise ParameterError(f"lightings must be a list of lighting names, got {lightings!r:.80}")
    repetitions = as_int("repetitions", repetitions, 1, 1000)
    n = len(subjects) * len(classes) * len(lightings) * repetitions
    if n > MAX_PLANNED_CLIPS:
        raise ParameterError(f"{n:,} clips planned, more than {MAX_PLANNED_CLIPS:,}: give fewer subjects, classes, "
                             "lightings or repetitions")
    return list(subjects), classes, list(lightings), repetitions


def preset_plan(name: str, seed: int = 0) -> tuple[list[Subject], list[ClipSpec]]:
    """The subjects and clips of the whole preset ``name`` as
    :func:`~evface.datasets.synth.synthesize` plans them without overrides (no ``--faces`` photos).

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    seed : int
        The dataset seed.

    Returns
    -------
    subjects : list of Subject
    clips : list of ClipSpec

    Examples
    --------
    >>> [len(preset_plan(p)[1]) for p in ("quick", "full")]
    [112, 1344]
    """
    preset = get_preset(name)
    subjects, _ = plan_subjects(preset, seed)
    return subjects, plan_clips(subjects, choose_classes(preset, None), preset.lightings, preset.repetitions,
                                preset.rotate_lightings)


NEUTRAL_CLASS = "neutral"
"""A class with no expression AU (blinks, gaze and head motion only), made only when named."""


def check_names(names: Sequence[str], option: str, empty_ok: bool = False) -> list[str]:
    """``names`` (a list option of :func:`~evface.datasets.synth.synthesize`) as a list, or a
    ParameterError naming ``option`` when it is a string (whose letters would be taken as names),
    names a name twice or, unless ``empty_ok``, nothing.

    Parameters
    ----------
    names : sequence of str
        The names given.
    option : str
        The option named in an error (``--lighting``).
    empty_ok : bool
        Whether no name at all is allowed.

    Returns
    -------
    list of str

    Examples
    --------
    >>> check_names(["bright", "dim"], "--lighting")
    ['bright', 'dim']
    >>> check_names("dim", "--lighting")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --lighting must be a list of names, got the string 'dim' (give ['dim'])
    """
    if isinstance(names, str):
        raise ParameterError(f"{option} must be a list of names, got the string {names!r} (give [{names!r}])")
    if not isinstance(names, Sequence | np.ndarray) or not all(isinstance(name, str) for name in names):
        raise ParameterError(f"{option} must be a list of names, got {names!r:.80}")
    names = list(names)
    if not names and not empty_ok:
        raise ParameterError(f"{option} names nothing (a dataset of no clips); give at least one name, or None for "
                             "the preset's")
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ParameterError(f"{option} names {twice} twice; give each name once")
    return names


def choose_classes(preset: SynthPreset, classes: Sequence[str] | None) -> dict[str, list[int]]:
    """The classes to film (name -> AUs): ``classes`` (``--classes``, ``neutral`` allowed), or the
    preset's first ``n_classes`` default classes when None; a ParameterError names an unknown one.

    Parameters
    ----------
    preset : SynthPreset
        Gives ``n_classes`` when ``classes`` is None.
    classes : sequence of str or None
        The class names given.

    Returns
    -------
    dict of str to list of int
        Each class's action units, in the order given.
    """
    defaults = default_classes()
    if classes is None:
        names = list(defaults)[: preset.n_classes] if preset.n_classes else list(defaults)
        return {k: defaults[k] for k in names}
    available = {**defaults, NEUTRAL_CLASS: []}
    classes = check_names(classes, "--classes")
    unknown = [c for c in classes if c not in available]
    if unknown:
        raise ParameterError(f"unknown class(es) {', '.join(map(repr, unknown))} (--classes); {choose_from(available)}")
    return {k: available[k] for k in classes}


def choose_lightings(preset: SynthPreset, lighting: Sequence[str] | None) -> tuple[str, ...]:
    """The lightings to film: ``lighting`` (``--lighting``), or the preset's when None; a
    ParameterError names an unknown one.

    Parameters
    ----------
    preset : SynthPreset
        Gives the lightings when ``lighting`` is None.
    lighting : sequence of str or None
        The lighting names given.

    Returns
    -------
    tuple of str
    """
    names = tuple(preset.lightings if lighting is None else check_names(lighting, "--lighting"))
    unknown = [name for name in names if name not in LIGHTING]
    if unknown:
        raise ParameterError(f"unknown lighting(s) {', '.join(map(repr, unknown))} (--lighting); {choose_from(sorted(LIGHTING))}")
    return names


def parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``.

    Parameters
    ----------
    shard : str or tuple of int or None
        ``--shard`` as given: ``"I/N"`` or ``(I, N)``.

    Returns
    -------
    tuple of int or None
        ``(I, N)``; None when ``shard`` is None.

    Examples
    --------
    >>> parse_shard("1/4")
    (1, 4)
    """
    if shard is None:
        return None
    if isinstance(shard, str):
        i_text, slash, n_text = shard.partition("/")
        i, n = whole_number(i_text), whole_number(n_text)  # was \d+ and int(): '١/٤' read, 5000 digits a ValueError
        if not slash or i is None or n is None:
            raise ParameterError(f"--shard must look like I/N (for example 0/4), got {shard!r}")
        shard = (i, n)
    try:
        i, n = shard
    except (TypeError, ValueError):
        raise ParameterError(f"--shard must be 'I/N' or a pair (I, N), got {shard!r}") from None
    i, n = as_int("--shard I", i), as_int("--shard N", n)
    if not 0 <= i < n:
        raise ParameterError(f"--shard {i}/{n}: need 0 <= I < N")
    return i, n
