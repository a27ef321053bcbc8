"""The synthetic dataset: which clips to film, filmed by an executor (local processes or Ray), resumably, in shards.

A dataset is every (subject, class, lighting, repetition) of a :class:`SynthPreset`
(:func:`plan_subjects`, :func:`plan_clips`), each clip filmed by the rig (:mod:`evface.rig`)
from a seed derived from the dataset seed and the clip's place in that plan
(:func:`evface.rig.record.clip_seed`). So :func:`synthesize` can skip the clips already on disk
(an interrupted run resumes), make one shard of several (:func:`merge_shards` joins them), or
spread the clips over worker processes, and always write the same bytes.

Examples
--------
>>> preset = get_preset("tiny")
>>> subjects, _ = plan_subjects(preset, seed=0)
>>> [spec.clip_id for spec in plan_clips(subjects[:1], {"AU4": [4]}, ["bright", "dim"], 1)]
['s000_AU4_bright_r0', 's000_AU4_dim_r0']
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numba
import numpy as np

from evface import __version__
from evface.checks import as_int
from evface.executor import Executor, InProcess, Job, ProcessPool, check_workers
from evface.errors import DatasetError, EvfaceError, FaceNotFoundError, FormatError, ParameterError, counted, where
from evface.face.aus import DEFAULT_CLASSES
from evface.face.identity import Identity, builtin_photo_identities, photo_identity, procedural_identity
from evface.io.clip_reader import read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.clip_writer import write_clip
from evface.io.dataset import check_apart, read_dataset_json, read_manifest, write_dataset_json, write_manifest
from evface.io.temporary_files import temporaries_of
from evface.rig.geometry import RigParams
from evface.rig.lighting import DEFAULT_LIGHTING, LIGHTING, get_lighting
from evface.rig.record import GENERATOR, ClipSpec, Rig, clip_seed, int_seed
from evface.rig.timeline_draw import TimelineParams, draw_timeline
from evface.sim.rgb import RGB_PRESETS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


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
    """The preset ``name`` or a ParameterError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown synth preset {name!r} (--preset); choose from {sorted(PRESETS)}") from None


def default_classes() -> dict[str, list[int]]:
    """The face module's default class set (label -> AUs)."""
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


@dataclass(frozen=True)
class FaceProblem:
    """A ``--faces`` file that was skipped, and why."""

    file: str
    reason: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "face"


def load_face_photos(faces_dir: str | Path) -> tuple[list[tuple[str, Identity]], list[FaceProblem]]:
    """Load every image of ``faces_dir`` as a photo identity.

    Decision on bad input: a file that is not an image, cannot be read, or has no detectable
    face is **skipped** and reported as a :class:`FaceProblem`; the others are used. An
    empty or missing folder, or one without a single usable face, is a DatasetError.

    Returns
    -------
    identities : list of (subject name, Identity), sorted by file name
    problems : list of FaceProblem, one per skipped file
    """
    root = Path(faces_dir)
    if not root.is_dir():
        raise DatasetError(where(root, "--faces must be a folder of face photos"))
    identities, problems, seen = [], [], set()
    for path in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if path.is_dir():
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            problems.append(FaceProblem(str(path), f"skipped: not an image file (expected {', '.join(IMAGE_SUFFIXES)})"))
            continue
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            problems.append(FaceProblem(str(path), "skipped: unreadable or corrupt image"))
            continue
        name = f"photo-{_slug(path.stem)}"
        if name in seen:
            problems.append(FaceProblem(str(path), f"skipped: subject name {name!r} already taken by another file"))
            continue
        try:
            ident = photo_identity(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), name, source=str(path))
        except FaceNotFoundError as exc:
            problems.append(FaceProblem(str(path), f"skipped: no face found ({exc})"))
            continue
        except EvfaceError as exc:
            problems.append(FaceProblem(str(path), f"skipped: {exc}"))
            continue
        seen.add(name)
        identities.append((name, ident))
    if not identities:
        detail = "; ".join(f"{Path(p.file).name}: {p.reason}" for p in problems) or "folder is empty"
        raise DatasetError(where(root, f"no usable face photo ({detail})"))
    return identities, problems


MAX_SUBJECTS = 10_000
"""The most procedural subjects a dataset plans (a larger number was planned subject by subject, without end)."""


def plan_subjects(preset: SynthPreset, seed: int, n_subjects: int | None = None,
                  faces_dir: str | Path | None = None) -> tuple[list[Subject], list[FaceProblem]]:
    """Procedural subjects ``s000``... (identity seeds derived from ``seed``), then built-in and
    ``faces_dir`` photo subjects."""
    n = preset.n_subjects if n_subjects is None else as_int("--subjects", n_subjects, 0, MAX_SUBJECTS)
    seed = as_int("--seed", seed, 0)
    subjects = [Subject(f"s{i:03d}", i, "procedural", int_seed(np.random.SeedSequence([seed, 0x1D, i])))
                for i in range(n)]
    if preset.builtin_photos:
        subjects.append(Subject("builtin-astronaut", 900, "builtin"))
    problems: list[FaceProblem] = []
    if faces_dir is not None:
        photos, problems = load_face_photos(faces_dir)
        subjects += [Subject(name, 1000 + i, "photo", photo=ident.source)
                     for i, (name, ident) in enumerate(photos)]
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

    >>> subjects = [Subject(f"s{i:03d}", i, "procedural") for i in range(2)]
    >>> [spec.clip_id for spec in plan_clips(subjects, {"AU4": [4], "AU9": [9]}, ["dim", "flicker"], 1, True)]
    ['s000_AU4_dim_r0', 's000_AU9_flicker_r0', 's001_AU4_flicker_r0', 's001_AU9_dim_r0']
    """
    return [
        ClipSpec(f"{s.name}_{label}_{light}_r{rep}", s.name, s.index, label, tuple(aus), light, rep)
        for i, s in enumerate(subjects) for j, (label, aus) in enumerate(classes.items())
        for k, light in enumerate(lightings) for rep in range(repetitions)
        if not rotate_lightings or (i + j + rep) % len(lightings) == k
    ]


def preset_plan(name: str, seed: int = 0) -> tuple[list[Subject], list[ClipSpec]]:
    """The subjects and clips of the whole preset ``name`` as :func:`synthesize` plans them
    without overrides (no ``--faces`` photos).

    >>> [len(preset_plan(p)[1]) for p in ("quick", "full")]
    [112, 1344]
    """
    preset = get_preset(name)
    subjects, _ = plan_subjects(preset, seed)
    return subjects, plan_clips(subjects, _choose_classes(preset, None), preset.lightings, preset.repetitions,
                                preset.rotate_lightings)


NEUTRAL_CLASS = "neutral"
"""A class with no expression AU (blinks, gaze and head motion only), made only when named."""


def check_names(names: Sequence[str], option: str, empty_ok: bool = False) -> list[str]:
    """``names`` (a list option of :func:`synthesize`) as a list, or a ParameterError naming ``option``
    when it is a string (whose letters would be taken as names), names a name twice or, unless
    ``empty_ok``, nothing.

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
    names = list(names)
    if not names and not empty_ok:
        raise ParameterError(f"{option} names nothing (a dataset of no clips); give at least one name, or None for "
                             "the preset's")
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ParameterError(f"{option} names {twice} twice")
    return names


def _choose_classes(preset: SynthPreset, classes: Sequence[str] | None) -> dict[str, list[int]]:
    defaults = default_classes()
    if classes is None:
        names = list(defaults)[: preset.n_classes] if preset.n_classes else list(defaults)
        return {k: defaults[k] for k in names}
    available = {**defaults, NEUTRAL_CLASS: []}
    classes = check_names(classes, "--classes")
    unknown = [c for c in classes if c not in available]
    if unknown:
        raise ParameterError(f"unknown class(es) {unknown} (--classes); choose from {list(available)}")
    return {k: available[k] for k in classes}


def _choose_lightings(preset: SynthPreset, lighting: Sequence[str] | None) -> tuple[str, ...]:
    names = tuple(preset.lightings if lighting is None else check_names(lighting, "--lighting"))
    unknown = [name for name in names if name not in LIGHTING]
    if unknown:
        raise ParameterError(f"unknown lighting(s) {unknown} (--lighting); choose from {sorted(LIGHTING)}")
    return names


def parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``.

    Examples
    --------
    >>> parse_shard("1/4")
    (1, 4)
    """
    if shard is None:
        return None
    if isinstance(shard, str):
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard)
        if not m:
            raise ParameterError(f"--shard must look like I/N (for example 0/4), got {shard!r}")
        shard = (int(m.group(1)), int(m.group(2)))
    try:
        i, n = shard
    except (TypeError, ValueError):
        raise ParameterError(f"--shard must be 'I/N' or a pair (I, N), got {shard!r}") from None
    i, n = as_int("--shard I", i), as_int("--shard N", n)
    if not 0 <= i < n:
        raise ParameterError(f"--shard {i}/{n}: need 0 <= I < N")
    return i, n


# --------------------------------------------------------------------------------------------
# making clips (in this process or a worker)
# --------------------------------------------------------------------------------------------


def subject_identity(subject: Subject) -> Identity:
    """The face of ``subject`` (a photo subject's file is read again)."""
    if subject.kind == "procedural":
        return procedural_identity(subject.seed)
    if subject.kind == "builtin":
        return builtin_photo_identities()[0]
    bgr = cv2.imread(subject.photo, cv2.IMREAD_COLOR)
    if bgr is None:
        raise FormatError(where(subject.photo, "face photo became unreadable"))
    return photo_identity(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), subject.name, source=subject.photo)


@lru_cache(maxsize=4)
def subject_rig(subject: Subject, params: RigParams) -> Rig:
    """The rig filming ``subject`` with ``params``.

    Cached (``functools.lru_cache``, per process): building a rig renders the neutral face for
    three cameras, and the plan lists a subject's clips one after another, so each process (this
    one or a pool worker) builds a subject's rig once. A rig depends only on these arguments (and
    a photo subject's file) and recording does not change it, so a cached rig films the same bytes
    as a new one.
    """
    return Rig(subject_identity(subject), params)


def make_clip(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int) -> Clip:
    """Film one clip of the plan (the subject's rig comes from :func:`subject_rig`)."""
    ss = clip_seed(dataset_seed, spec)
    timeline_ss, camera_ss = ss.spawn(2)
    timeline = draw_timeline(spec.aus, preset.timeline, timeline_ss)
    return subject_rig(subject, preset.rig).record(spec, timeline, get_lighting(spec.lighting), camera_ss)


def film_clip(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int, path: str) -> None:
    """Film one clip and write it to ``path`` (a job of :func:`synthesize`, run in any process).

    One thread per call: clips run in parallel, not pixels (the small per-step kernels lose far
    more to thread hand-offs than they gain on a shared machine).
    """
    with _single_threaded():
        clip = make_clip(spec, subject, preset, dataset_seed)
    try:
        write_clip(path, clip)
    except OSError as exc:  # a full disk, a lost permission: one line naming the clip
        reason = os.strerror(exc.errno) if exc.errno else str(exc).splitlines()[0]
        raise DatasetError(where(path, f"cannot write this clip ({reason}); free space or choose another OUT folder, "
                                       "then run the same command again to resume")) from None


@contextmanager
def _single_threaded():
    cv_threads, nb_threads = cv2.getNumThreads(), numba.get_num_threads()
    cv2.setNumThreads(1)
    numba.set_num_threads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(cv_threads)
        numba.set_num_threads(nb_threads)


def local_executor(workers: int, option: str = "--workers") -> Executor:
    """This process (``workers=1``) or ``workers`` pool processes that end with this one
    (:func:`evface.executor.check_workers`: a bad count is an error naming ``option``)."""
    workers = check_workers(as_int(option, workers), option)
    return InProcess() if workers == 1 else ProcessPool(workers)


# --------------------------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------------------------

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, message)``: called after each clip (``message`` names it)."""


def _row(spec: ClipSpec, meta: Clip) -> dict[str, Any]:
    return {
        "clip_id": spec.clip_id, "subject": spec.subject, "label": spec.label, "aus": list(spec.aus),
        "lighting": spec.lighting, "file": f"clips/{spec.clip_id}.h5", "onset_us": meta.onset_us,
        "apex_us": meta.apex_us, "offset_us": meta.offset_us, "duration_us": meta.duration_us, "source": "synthetic",
    }


def _clip_ok(path: Path) -> Clip | None:
    if not path.exists():
        return None
    try:
        return read_clip_meta(path)
    except EvfaceError:
        return None


def _dataset_info(preset: SynthPreset, seed: int, subjects: list[Subject], classes: dict[str, list[int]],
                  lightings: tuple[str, ...], problems: list[FaceProblem]) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "evface_version": __version__,
        "seed": int(seed),
        "preset": preset.name,
        "params": json.loads(json.dumps(asdict(preset))),
        "subjects": [asdict(s) for s in subjects],
        "classes": classes,
        "lightings": {name: asdict(get_lighting(name)) for name in lightings},
        "sensors": {"hd": preset.rig.hd_preset, "lr": preset.rig.lr_preset, "rgb": preset.rig.rgb_preset},
        "skipped_faces": [asdict(p) for p in problems],
    }


def synthesize(
    out_dir: str | Path,
    preset: str = "quick",
    seed: int = 0,
    subjects: int | None = None,
    classes: Sequence[str] | None = None,
    lighting: Sequence[str] | None = None,
    faces_dir: str | Path | None = None,
    workers: int = 1,
    shard: str | tuple[int, int] | None = None,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
    noise: str | None = None,
    rgb_hd_cameras: Sequence[str] | None = None,
) -> Path:
    """Build (or finish building) a synthetic dataset folder and return its path.

    Clips already in ``out_dir/clips`` are kept and skipped, so an interrupted run resumes; each
    clip's content depends only on ``seed`` and its place in the plan, so the result equals an
    uninterrupted run's. With ``shard="I/N"`` only every N-th clip (from the I-th) is made;
    :func:`merge_shards` joins the shards.

    Parameters
    ----------
    out_dir : path
        Dataset folder: new, empty, or made by an earlier run with the same parameters (which
        resumes). A file, a folder holding anything else, or one made with other parameters or
        by another evface version (its clips need not be this version's) is refused (nothing in
        it is touched). On any error (a full disk included) no partial clip
        file is left; the finished clips stay, and the same call resumes.
    preset : {"tiny", "quick", "full", "paper"}
    seed : int
    subjects : int, optional
        Number of procedural subjects (default: the preset's).
    classes, lighting : list of str, optional
        Subsets of the default classes / lighting presets (default: the preset's).
    faces_dir : path, optional
        Folder of frontal face photos, each becoming one more subject; bad files are skipped and
        listed in ``dataset.json["skipped_faces"]`` (see :func:`load_face_photos`).
    workers : int
        Processes generating clips in parallel (at least 1); they end with this process, even
        when it is killed.
    progress : callable, optional
        ``progress(done, total, message)`` after each clip.
    executor : evface.executor.Executor, optional
        Where the clips are filmed instead of ``workers`` local processes, e.g.
        ``RayCluster("auto")``: one task per clip, each writing its file into ``out_dir`` (which
        every node must see at the same path). The bytes do not depend on the executor.
    noise : {"clean", "typical", "noisy"}, optional
        Event-camera noise level (:data:`evface.sim.dvs_noise.NOISE_LEVELS`; default: the
        preset's, ``typical``).
    rgb_hd_cameras : list of str, optional
        RGB camera presets (:data:`evface.sim.rgb.RGB_PRESETS`) filmed framed like the ``hd``
        ROI, at its pixel size (default: the preset's, ``("webcam30",)``); add ``"highspeed200"``
        for the 200 fps upper bound of frame cameras (about 3x the cost and size of a clip).

    Examples
    --------
    One clip of the ``tiny`` preset (about a second):

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = synthesize(folder, preset="tiny", subjects=1, classes=["AU4"], lighting=["bright"])
    ...     [p.name for p in sorted(root.iterdir())], [p.name for p in (root / "clips").iterdir()]
    (['clips', 'dataset.json', 'manifest.csv'], ['s000_AU4_bright_r0.h5'])
    """
    executor = executor or local_executor(workers)
    spec_preset, subject_list, plan, info = _plan(preset, seed, subjects, classes, lighting, faces_dir, shard, noise,
                                                  rgb_hd_cameras)
    out = Path(out_dir)
    _claim_folder(out, info, _SAME_DATASET + ("shard",), "this run",
                  "resuming it would mix the clips of two versions; use a new folder to build this one (or finish "
                  "that one with its version)")
    clips_dir = out / "clips"
    paths = {spec.clip_id: clips_dir / f"{spec.clip_id}.h5" for spec in plan}
    try:
        write_dataset_json(out, info)
        clips_dir.mkdir(exist_ok=True)
        _remove_partial(paths.values())  # left by a run that was killed
        _make_clips(plan, paths, {s.name: s for s in subject_list}, spec_preset, int(seed), executor, progress)
        rows = []
        for spec in plan:
            meta = _clip_ok(paths[spec.clip_id])
            if meta is None:
                raise DatasetError(where(paths[spec.clip_id], "clip missing after generation"))
            rows.append(_row(spec, meta))
        write_manifest(out, rows)
    except BaseException:
        _remove_partial(paths.values())
        raise
    return out


def _plan(preset: str, seed: int, subjects: int | None, classes: Sequence[str] | None, lighting: Sequence[str] | None,
          faces_dir: str | Path | None, shard: str | tuple[int, int] | None, noise: str | None,
          rgb_hd_cameras: Sequence[str] | None) -> tuple[SynthPreset, list[Subject], list[ClipSpec], dict[str, Any]]:
    """The preset, subjects and clips :func:`synthesize` makes for these arguments, and the
    ``dataset.json`` record that tells its dataset from another."""
    spec_preset = get_preset(preset)
    rig = spec_preset.rig
    if noise is not None:
        rig = replace(rig, cameras=replace(rig.cameras, noise=noise))
    if rgb_hd_cameras is not None:
        rgb_hd_cameras = check_names(rgb_hd_cameras, "--rgb-hd-cameras", empty_ok=True)
        unknown = [name for name in rgb_hd_cameras if name not in RGB_PRESETS]
        if unknown:
            raise ParameterError(f"unknown RGB camera(s) {unknown} (--rgb-hd-cameras); choose from {sorted(RGB_PRESETS)}")
        rig = replace(rig, rgb_hd_presets=tuple(rgb_hd_cameras))
    spec_preset = replace(spec_preset, rig=rig)
    subject_list, problems = plan_subjects(spec_preset, seed, subjects, faces_dir)
    class_map = _choose_classes(spec_preset, classes)
    lightings = _choose_lightings(spec_preset, lighting)
    plan = plan_clips(subject_list, class_map, lightings, spec_preset.repetitions, spec_preset.rotate_lightings)
    shard_t = parse_shard(shard)
    if shard_t is not None:
        plan = plan[shard_t[0] :: shard_t[1]]
    info = _dataset_info(spec_preset, seed, subject_list, class_map, lightings, problems)
    info["shard"] = list(shard_t) if shard_t else None
    info["n_clips"] = len(plan)
    return spec_preset, subject_list, plan, info


def other_dataset(out_dir: str | Path, preset: str = "quick", seed: int = 0, noise: str | None = None,
                  rgb_hd_cameras: Sequence[str] | None = None) -> list[str]:
    """The parameters (``dataset.json`` keys) on which the dataset in ``out_dir`` differs from the
    one :func:`synthesize` would build there with these arguments; empty when ``out_dir`` holds
    no dataset or the same one (which a call then resumes)."""
    if not (Path(out_dir) / "dataset.json").is_file():
        return []
    info = _plan(preset, seed, None, None, None, None, None, noise, rgb_hd_cameras)[3]
    return _differing(read_dataset_json(out_dir), info, _SAME_DATASET + ("shard",))


def _make_clips(plan: list[ClipSpec], paths: dict[str, Path], subjects: dict[str, Subject], preset: SynthPreset,
                seed: int, executor: Executor, progress: ProgressFn | None) -> None:
    """Film and write the clips of ``plan`` not yet on disk, one job each on ``executor``."""
    todo = [spec for spec in plan if _clip_ok(paths[spec.clip_id]) is None]
    done = len(plan) - len(todo)
    total = len(plan)
    if progress:
        progress(done, total, f"{counted(done, 'clip')} already there")
    jobs = [Job(spec.clip_id, film_clip, (spec, subjects[spec.subject], preset, seed, str(paths[spec.clip_id].absolute())))
            for spec in todo]

    def finished(job: Job, _: None) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, job.name)

    executor.run(jobs, finished)


def _remove_partial(paths: Iterable[Path]) -> None:
    """Remove the temporary files of these clips (only theirs: the folder may hold other ``.tmp``)."""
    for path in paths:
        for tmp in temporaries_of(path):
            tmp.unlink(missing_ok=True)


_SAME_DATASET = ("generator", "seed", "preset", "params", "subjects", "classes", "lightings")
"""The ``dataset.json`` keys that make two synthetic datasets (or shards) the same dataset."""


def _differing(a: dict[str, Any], b: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The ``keys`` on which two ``dataset.json`` records differ. A :class:`SynthPreset` field
    added after a record was written (``rotate_lightings``) counts as its default there, which
    plans the same clips."""
    defaults = {f.name: f.default for f in fields(SynthPreset) if f.default is not MISSING}

    def value(info: dict[str, Any], key: str) -> Any:
        v = json.loads(json.dumps(info.get(key)))
        return {**defaults, **v} if key == "params" and isinstance(v, dict) else v

    return [k for k in keys if value(a, k) != value(b, k)]


def _claim_folder(out: Path, info: dict[str, Any], keys: tuple[str, ...], writer: str, advice: str) -> None:
    """Refuse ``out`` unless it is new, empty, or a dataset whose ``dataset.json`` agrees with
    ``info`` on ``keys`` and on the evface version (then this run finishes it); create it.
    ``writer`` names what makes ``info`` and ``advice`` says what to do, for the message of
    another version (:func:`_same_version`)."""
    if out.exists() and not out.is_dir():
        raise DatasetError(where(out, "is a file, not a folder; give OUT a new or empty folder"))
    if (out / "dataset.json").exists():
        found = read_dataset_json(out)
        diff = _differing(found, info, keys)
        if diff:
            raise DatasetError(where(out, f"holds a dataset made with other {', '.join(diff)}; "
                                          "use a new folder to build this one"))
        _same_version(out, "dataset", found, writer, info, advice)
    elif out.is_dir() and any(out.iterdir()):
        raise DatasetError(where(out, "is not empty and holds no evface synthetic dataset (no dataset.json); "
                                      "give OUT a new or empty folder"))
    out.mkdir(parents=True, exist_ok=True)


def merge_shards(out_dir: str | Path, shard_dirs: Sequence[str | Path]) -> Path:
    """Join shard folders made by ``synthesize(..., shard="I/N")`` into one dataset folder.

    Every shard must come from the same parameters and the same evface version, be finished, and
    together they must hold every shard ``0..N-1``; all this is checked before anything is
    written. Clip files are hard-linked when possible, else copied. ``out_dir`` must be new,
    empty, or an earlier (possibly interrupted) merge of the same dataset.
    """
    out = Path(out_dir)
    if isinstance(shard_dirs, (str, os.PathLike)):  # its letters would be taken as folders
        raise ParameterError(f"shard_dirs must be a list of shard folders, got the one path {str(shard_dirs)!r}")
    if not shard_dirs:
        raise ParameterError("merge needs at least one shard folder")
    check_apart(out, shard_dirs)
    shards = _finished_shards([Path(d) for d in shard_dirs])
    merged = dict(shards[0][1])
    merged["shard"] = None
    _claim_folder(out, merged, _SAME_DATASET + ("shard",), "the shards",
                  "merging them into it would mix the clips of two versions; give OUT a new folder")
    write_dataset_json(out, merged)  # first: an interrupted merge can be run again into this folder
    rows = []
    (out / "clips").mkdir(exist_ok=True)
    for d, _, shard_rows in shards:
        for row in shard_rows:
            src, dst = d / row["file"], out / row["file"]
            if not dst.exists():
                tmp = dst.with_name(dst.name + ".tmp")
                try:
                    try:
                        os.link(src, tmp)
                    except OSError:
                        shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
            rows.append(row)
    merged["n_clips"] = len(rows)
    write_dataset_json(out, merged)
    write_manifest(out, rows)
    return out


def _same_version(folder: Path, what: str, found: dict[str, Any], other: str, info: dict[str, Any],
                  advice: str) -> None:
    """A :class:`DatasetError` naming ``folder`` and both versions, and saying ``advice``, when the
    ``dataset.json`` record ``found`` (of ``what``: a dataset, a shard) was made by another evface
    version than ``info`` (that of ``other``): its clips need not be the ones this version films.

    Examples
    --------
    >>> _same_version(Path("d"), "dataset", {"evface_version": "0.1"}, "this run",
    ...               {"evface_version": "0.2"}, "use a new folder")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: d: dataset made by evface 0.1, this run by evface 0.2; use a new folder
    """
    made, wanted = found.get("evface_version"), info.get("evface_version")
    if made != wanted:
        raise DatasetError(where(folder, f"{what} made by evface {made}, {other} by evface {wanted}; {advice}"))


def _finished_shards(shard_dirs: list[Path]) -> list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]:
    """The folder, ``dataset.json`` and manifest rows of each shard, in shard order; a
    :class:`DatasetError` naming the shard when one was made with other parameters or by another
    evface version (its clips need not be those one run makes), is given twice or missing, or is
    unfinished (no manifest yet, fewer clips than planned, a clip file gone)."""
    infos = [(d, read_dataset_json(d)) for d in shard_dirs]
    first_dir, first = infos[0]
    shards: dict[int, tuple[Path, dict[str, Any]]] = {}
    n = None
    for d, info in infos:
        diff = _differing(info, first, _SAME_DATASET)
        if diff:
            raise DatasetError(where(d, f"shard made with other {', '.join(diff)} than {first_dir}"))
        _same_version(d, "shard", info, str(first_dir), first, "make every shard with one version (run the synth "
                                                                 "--shard command of the odd ones again into new folders)")
        sh = info.get("shard")
        if not sh:
            raise DatasetError(where(d, "not a shard (dataset.json has no 'shard')"))
        if n is not None and sh[1] != n:
            raise DatasetError(where(d, f"shard {sh[0]}/{sh[1]} does not match N={n} of the others"))
        n = sh[1]
        if sh[0] in shards:
            raise DatasetError(where(d, f"shard {sh[0]}/{n} given twice (also {shards[sh[0]][0]})"))
        shards[sh[0]] = (d, info)
    missing = sorted(set(range(n)) - set(shards))
    if missing:
        raise DatasetError(f"{'shard' if len(missing) == 1 else 'shards'} {', '.join(map(str, missing))} of {n} missing")
    result = []
    for i in sorted(shards):
        d, info = shards[i]
        again = f"shard {i}/{n} unfinished: run its evface synth --shard {i}/{n} command again to finish it"
        if not (d / "manifest.csv").exists():
            raise DatasetError(where(d, f"{again} (it has no manifest.csv yet)"))
        rows = read_manifest(d)
        if len(rows) != info.get("n_clips", len(rows)):
            raise DatasetError(where(d, f"{again} (manifest has {counted(len(rows), 'clip')}, dataset.json promises "
                                        f"{info['n_clips']})"))
        gone = next((row["file"] for row in rows if not (d / row["file"]).is_file()), None)
        if gone is not None:
            raise DatasetError(where(d / gone, f"clip file missing; {again}"))
        result.append((d, info, rows))
    return result
