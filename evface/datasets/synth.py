"""The synthetic dataset: which clips to film, filmed by an executor (local processes or Ray), resumably, in shards.

A dataset is every (subject, class, lighting, repetition) of a preset
(:mod:`evface.datasets.synth_plan`), each clip filmed by the rig (:mod:`evface.rig`, one job of
:mod:`evface.datasets.synth_film` each) from a seed derived from the dataset seed and the clip's
place in that plan (:func:`evface.rig.record.clip_seed`). So :func:`synthesize` can skip the clips
already on disk (an interrupted run resumes), make one shard of several
(:func:`evface.datasets.synth_shards.merge_shards` joins them), or spread the clips over worker
processes, and always write the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from evface import __version__
from evface.datasets.synth_film import clip_timeline, film_clip, local_executor
from evface.datasets.synth_options import made_with
from evface.datasets.synth_plan import (
    FaceProblem, Subject, SynthPreset, check_names, choose_classes, choose_lightings, get_preset, parse_shard,
    plan_clips, plan_subjects,
)
from evface.errors import DatasetError, EvfaceError, ParameterError, byte_size, choose_from, counted, where
from evface.executor import Executor, Job
from evface.io.clip_reader import read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.dataset import read_dataset_json, write_dataset_json
from evface.io.manifest import write_manifest
from evface.io.temporary_files import temporaries_of
from evface.rig.geometry import RigParams
from evface.rig.lighting import get_lighting
from evface.rig.record import GENERATOR, ClipSpec
from evface.sim.dvs_noise import NOISE_LEVELS
from evface.sim.rgb import RGB_PRESETS

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, message)``: called after each clip (``message`` names it)."""


def _row(spec: ClipSpec, meta: Clip) -> dict[str, Any]:
    """The manifest row of the clip ``spec``, whose file's metadata is ``meta``."""
    return {
        "clip_id": spec.clip_id, "subject": spec.subject, "label": spec.label, "aus": list(spec.aus),
        "lighting": spec.lighting, "file": f"clips/{spec.clip_id}.h5", "onset_us": meta.onset_us,
        "apex_us": meta.apex_us, "offset_us": meta.offset_us, "duration_us": meta.duration_us, "source": "synthetic",
    }


@dataclass(frozen=True)
class _Planned:
    """What each clip file of a plan must hold (:func:`_planned`): by clip id, its names and the times
    its timeline draws, and the ``--noise`` level and hd-view RGB cameras of every clip; and, for each
    noise level, the ``(model, DVS parameters)`` of the hd and lr sensors that a clip records."""

    clips: dict[str, dict[str, Any]]
    sensors_at: dict[str, dict[str, list[Any]]]


def _planned(plan: list[ClipSpec], preset: SynthPreset, seed: int) -> _Planned:
    """What the clip files of ``plan`` (of ``preset`` and ``seed``) must hold, each clip's timeline drawn
    once (was twice a run: for the clips to film and again for the manifest rows)."""
    rig = preset.rig
    cameras = {"noise": rig.cameras.noise, "rgb_hd_cameras": list(rig.rgb_hd_presets)}
    clips = {}
    for spec in plan:
        timeline = clip_timeline(spec, preset, seed)[0]
        clips[spec.clip_id] = {
            "clip_id": spec.clip_id, "subject": spec.subject, "label": spec.label, "aus": list(spec.aus),
            "lighting": spec.lighting, "generator": GENERATOR, "repetition": spec.repetition,
            "onset_us": timeline.expression.onset_us, "apex_us": timeline.expression.apex_us,
            "offset_us": timeline.expression.offset_us, "duration_us": timeline.duration_us, **cameras}
    sensors_at = {level: {role: [model, json.loads(json.dumps(replace(rig.cameras, noise=level).event_params(model)
                                                              .to_dict()))]
                          for role, model in (("hd", rig.hd_preset), ("lr", rig.lr_preset))}
                  for level in NOISE_LEVELS}
    return _Planned(clips, sensors_at)


def _held(meta: Clip, planned: _Planned) -> dict[str, Any]:
    """What the clip file of metadata ``meta`` holds, said as :func:`_planned` says a planned clip: its
    ``noise`` is the level whose sensor models and DVS parameters its hd and lr sensors record (none
    of them: their models or parameters are no level's), its ``rgb_hd_cameras`` the presets of the
    frame cameras its calibration films at the hd view."""
    recorded = {role: [info.model, info.params] for role, info in meta.sensors.items()}
    noise = next((level for level, sensors in planned.sensors_at.items() if recorded == sensors),
                 f"none of {', '.join(NOISE_LEVELS)}")
    frame_cameras = meta.calibration.get("frame_cameras")
    rgb_hd = [c.get("preset") for c in frame_cameras.values() if isinstance(c, dict) and c.get("view") == "hd"] \
        if isinstance(frame_cameras, dict) else None
    return {"clip_id": meta.clip_id, "subject": meta.subject, "label": meta.label, "aus": meta.aus,
            "lighting": meta.lighting, "generator": meta.extra.get("generator"),
            "repetition": meta.extra.get("repetition"), "onset_us": meta.onset_us, "apex_us": meta.apex_us,
            "offset_us": meta.offset_us, "duration_us": meta.duration_us, "noise": noise, "rgb_hd_cameras": rgb_hd}


def _clip_ok(path: Path, spec: ClipSpec, planned: _Planned) -> Clip | None:
    """The metadata of the clip file ``path`` of the planned clip ``spec`` (``planned``: what each clip
    of its dataset must hold), or ``None`` when it is missing or unreadable (then it is filmed). A
    readable file holding another clip is a :class:`DatasetError` naming it: another name, subject,
    class or lighting (a clip copied over it by hand), other times than the clip's timeline draws (a
    clip of another ``--seed`` or ``--preset`` under the same name), or event sensors of another
    noise level or other hd-view RGB cameras (of another ``--noise`` or ``--rgb-hd-cameras``: was kept
    as this dataset's, its timeline being the same). It is neither kept as ``spec`` (was: "dataset
    ready", the manifest row contradicting its clip, or a clip of the other seed kept without a
    word) nor filmed over."""
    if not path.exists():
        return None
    try:
        meta = read_clip_meta(path)
    except EvfaceError:
        return None
    wanted, held = planned.clips[spec.clip_id], _held(meta, planned)
    wrong = [key for key in wanted if held[key] != wanted[key]]
    if wrong:
        raise DatasetError(where(path, f"holds another clip than the {spec.clip_id} this dataset plans under that name "
                                       f"({', '.join(f'{key} {held[key]!r}, not {wanted[key]!r}' for key in wrong)}; "
                                       "a clip of another dataset, or of another --seed, --preset, --noise or "
                                       "--rgb-hd-cameras); move it out of the dataset folder, then run the same "
                                       "command again to film this clip"))
    return meta


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
        "plan_order": {"classes": list(classes), "lightings": list(lightings)},  # dataset.json sorts the keys
        "sensors": {"hd": preset.rig.hd_preset, "lr": preset.rig.lr_preset, "rgb": preset.rig.rgb_preset},
        # absolute, as a photo subject's "photo" (was: as --faces gave it, relative to a folder nothing records)
        "skipped_faces": [{"file": os.path.abspath(p.file), "reason": p.reason} for p in problems],
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
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Build (or finish building) a synthetic dataset folder and return its path.

    Clips already in ``out_dir/clips`` are kept and skipped, so an interrupted run resumes; each
    clip's content depends only on ``seed`` and its place in the plan, so the result equals an
    uninterrupted run's. With ``shard="I/N"`` only every N-th clip (from the I-th) is made;
    :func:`~evface.datasets.synth_shards.merge_shards` joins the shards.

    Parameters
    ----------
    out_dir : path
        Dataset folder: new, empty, or made by an earlier run with the same parameters (which
        resumes). A file, a folder holding anything else, or one made with other parameters or
        by another evface version (its clips need not be this version's) is refused (nothing in
        it is touched). On any error (a full disk included) no partial clip
        file is left; the finished clips stay, and the same call resumes.
    preset : {"tiny", "quick", "full", "paper"}
        The plan of clips, sensors and cameras (:func:`~evface.datasets.synth_plan.get_preset`).
    seed : int
        The dataset seed: each clip's seed derives from it and the clip's place in the plan.
    subjects : int, optional
        Number of procedural subjects (default: the preset's).
    classes, lighting : list of str, optional
        Subsets of the default classes / lighting presets (default: the preset's).
    faces_dir : path, optional
        Folder of frontal face photos, each becoming one more subject; bad files are skipped and
        listed in ``dataset.json["skipped_faces"]`` (see :func:`~evface.datasets.synth_plan.load_face_photos`).
    workers : int
        Processes generating clips in parallel (at least 1); they end with this process, even
        when it is killed.
    shard : str or tuple of int, optional
        ``"I/N"`` or ``(I, N)``: make only every N-th clip of the plan, from the I-th (0-based);
        None makes them all.
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
    warn : callable, optional
        ``warn(text)`` for each ``faces_dir`` file skipped (``FILE: reason``, as
        ``dataset.json["skipped_faces"]`` lists it), before anything is written or filmed:
        ``evface synth`` prints these lines without reading the photos a second time.

    Returns
    -------
    Path
        ``out_dir``, holding ``dataset.json``, ``manifest.csv`` and the clips in ``clips/``.

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
    _warn_skipped_faces(info, warn)
    out = Path(out_dir)
    claim_dataset_folder(out, info, SAME_DATASET_KEYS + ("shard",), "this run",
                  "resuming it would mix the clips of two versions; use a new folder to build this one (or finish "
                  "that one with its version)")
    clips_dir = out / "clips"
    paths = {spec.clip_id: clips_dir / f"{spec.clip_id}.h5" for spec in plan}
    try:
        write_dataset_json(out, info)
        clips_dir.mkdir(exist_ok=True)
        _remove_partial(paths.values())  # left by a run that was killed
        planned = _planned(plan, spec_preset, int(seed))
        _make_clips(plan, paths, planned, {s.name: s for s in subject_list}, spec_preset, int(seed), executor,
                    progress)
        write_manifest(out, _manifest_rows(plan, paths, planned))
    except BaseException:
        _remove_partial(paths.values())
        raise
    return out


def _warn_skipped_faces(info: dict[str, Any], warn: Callable[[str], None] | None) -> None:
    """``warn(FILE: reason)`` for each face photo the plan ``info`` skipped (none without ``warn``)."""
    if warn:
        for problem in info["skipped_faces"]:
            warn(f"{problem['file']}: {problem['reason']}")


def _manifest_rows(plan: list[ClipSpec], paths: dict[str, Path], planned: _Planned) -> list[dict[str, Any]]:
    """The manifest rows of the clips of ``plan`` (which must hold what ``planned`` says), read back from
    their files ``paths``; a :class:`DatasetError` naming the first clip that is missing, unreadable or another clip."""
    rows = []
    for spec in plan:
        meta = _clip_ok(paths[spec.clip_id], spec, planned)
        if meta is None:
            raise DatasetError(where(paths[spec.clip_id], "clip missing after generation"))
        rows.append(_row(spec, meta))
    return rows


def _plan(preset: str, seed: int, subjects: int | None, classes: Sequence[str] | None, lighting: Sequence[str] | None,
          faces_dir: str | Path | None, shard: str | tuple[int, int] | None, noise: str | None,
          rgb_hd_cameras: Sequence[str] | None) -> tuple[SynthPreset, list[Subject], list[ClipSpec], dict[str, Any]]:
    """The preset, subjects and clips :func:`synthesize` makes for these arguments, and the
    ``dataset.json`` record that tells its dataset from another."""
    spec_preset = get_preset(preset)
    spec_preset = replace(spec_preset, rig=_rig_with(spec_preset.rig, noise, rgb_hd_cameras))
    subject_list, problems = plan_subjects(spec_preset, seed, subjects, faces_dir)
    class_map = choose_classes(spec_preset, classes)
    lightings = choose_lightings(spec_preset, lighting)
    plan = plan_clips(subject_list, class_map, lightings, spec_preset.repetitions, spec_preset.rotate_lightings)
    shard_t = parse_shard(shard)
    if shard_t == (0, 1):  # one shard of one is the whole dataset (was: recorded as a shard, to synth-merge)
        shard_t = None
    if shard_t is not None:
        plan = plan[shard_t[0] :: shard_t[1]]
    info = _dataset_info(spec_preset, seed, subject_list, class_map, lightings, problems)
    info["shard"] = list(shard_t) if shard_t else None
    info["n_clips"] = len(plan)
    return spec_preset, subject_list, plan, info


def _rig_with(rig: RigParams, noise: str | None, rgb_hd_cameras: Sequence[str] | None) -> RigParams:
    """``rig`` with the ``noise`` level and ``rgb_hd_cameras`` asked for (``None``: the preset's);
    a ParameterError for an unknown RGB camera (``--rgb-hd-cameras``)."""
    if noise is not None:
        rig = replace(rig, cameras=replace(rig.cameras, noise=noise))
    if rgb_hd_cameras is not None:
        rgb_hd_cameras = check_names(rgb_hd_cameras, "--rgb-hd-cameras", empty_ok=True)
        unknown = [name for name in rgb_hd_cameras if name not in RGB_PRESETS]
        if unknown:
            raise ParameterError(f"unknown RGB camera(s) {', '.join(map(repr, unknown))} (--rgb-hd-cameras); "
                                 f"{choose_from(sorted(RGB_PRESETS))}")
        rig = replace(rig, rgb_hd_presets=tuple(rgb_hd_cameras))
    return rig


def other_dataset(out_dir: str | Path, preset: str = "quick", seed: int = 0, noise: str | None = None,
                  rgb_hd_cameras: Sequence[str] | None = None) -> list[str]:
    """The parameters (``dataset.json`` keys) on which the dataset in ``out_dir`` differs from the
    one :func:`synthesize` would build there with these arguments; empty when ``out_dir`` holds
    no dataset or the same one (which a call then resumes).

    Parameters
    ----------
    out_dir : str or Path
        The dataset folder.
    preset : str, optional
        The preset :func:`synthesize` would be given (``"quick"`` by default).
    seed : int, optional
        The dataset seed it would be given.
    noise : str, optional
        Its event-camera noise level; None: the preset's.
    rgb_hd_cameras : list of str, optional
        Its RGB cameras framed like ``hd``; None: the preset's.

    Returns
    -------
    list of str
        The differing keys, in the order of :data:`SAME_DATASET_KEYS` (then ``shard``).

    Examples
    --------
    >>> from evface.io.dataset import write_dataset_json
    >>> other_dataset("empty")  # no dataset.json: no dataset to differ from
    []
    >>> _ = write_dataset_json("old", {"seed": 3, "preset": "quick"})  # a record of two keys only
    >>> other_dataset("old", "tiny", seed=3)
    ['generator', 'preset', 'params', 'subjects', 'classes', 'lightings']
    """
    if not (Path(out_dir) / "dataset.json").is_file():
        return []
    info = _plan(preset, seed, None, None, None, None, None, noise, rgb_hd_cameras)[3]
    return differing_keys(read_dataset_json(out_dir), info, SAME_DATASET_KEYS + ("shard",))


def _make_clips(plan: list[ClipSpec], paths: dict[str, Path], planned: _Planned, subjects: dict[str, Subject],
                preset: SynthPreset, seed: int, executor: Executor, progress: ProgressFn | None) -> None:
    """Film and write the clips of ``plan`` not yet on disk (or unreadable: :func:`_clip_ok` with
    ``planned``), one job each on ``executor``."""
    todo = [spec for spec in plan if _clip_ok(paths[spec.clip_id], spec, planned) is None]
    done = len(plan) - len(todo)
    total = len(plan)
    if progress:
        progress(done, total, f"{counted(done, 'clip')} already there")
    jobs = [Job(spec.clip_id, film_clip, (spec, subjects[spec.subject], preset, seed, str(paths[spec.clip_id].absolute())))
            for spec in todo]

    first = done + 1  # the first clip this call films: then what the dataset takes is known

    def finished(job: Job, _: None) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, job.name)
        if done == first and done < total:
            check_room(paths[job.name].parent, total)

    executor.run(jobs, finished)


def dataset_room(clips: Path, total: int) -> tuple[float, int, int]:
    """What a dataset of ``total`` clips being built in the folder ``clips`` takes on disk, by the
    clip files written there so far: the bytes of a clip, the clips still to write, and the free bytes
    of the folder's disk.

    Parameters
    ----------
    clips : Path
        The dataset's ``clips`` folder, holding at least one clip file.
    total : int
        The clips the dataset will hold.

    Returns
    -------
    tuple of (float, int, int)
        The mean bytes of the clip files written, the clips left to write, the disk's free bytes.

    Examples
    --------
    >>> from evface.datasets.toy import toy_dataset
    >>> each, left, free = dataset_room(toy_dataset("toy-room", subjects=1) / "clips", 10)
    >>> each > 0, left, free > 0  # the toy dataset holds 2 clips
    (True, 8, True)
    """
    sizes = [path.stat().st_size for path in clips.glob("*.h5")]
    return sum(sizes) / max(len(sizes), 1), max(total - len(sizes), 0), shutil.disk_usage(clips).free


def check_room(clips: Path, total: int) -> None:
    """Refuse, once a clip is written, a dataset of ``total`` clips whose clips still to write would
    not fit on the disk of ``clips`` (:func:`dataset_room`): a :class:`DatasetError` naming the sizes
    (was: a ``paper`` build, about 95 GB, on a smaller disk stopped hours in, at the first clip that could
    not be written). The clips written stay, so the same command resumes.

    Parameters
    ----------
    clips : Path
        The dataset's ``clips`` folder, holding at least one clip file.
    total : int
        The clips the dataset will hold.

    Examples
    --------
    >>> from evface.datasets.toy import toy_dataset
    >>> check_room(toy_dataset("toy-roomy", subjects=1) / "clips", 10)  # 8 more clips of a few kB fit
    """
    each, left, free = dataset_room(clips, total)
    if each * left > free:
        raise DatasetError(where(clips.parent, f"the {counted(left, 'clip')} left to film take about "
                                               f"{byte_size(each * left)} (about {byte_size(each)} each, as those "
                                               f"written), and its disk has {byte_size(free)} free; free space, or "
                                               "build the dataset on a larger disk (the clips written are kept: the "
                                               "same command resumes)"))


def _remove_partial(paths: Iterable[Path]) -> None:
    """Remove the temporary files of these clips (only theirs: the folder may hold other ``.tmp``)."""
    for path in paths:
        for tmp in temporaries_of(path):
            tmp.unlink(missing_ok=True)


SAME_DATASET_KEYS = ("generator", "seed", "preset", "params", "subjects", "classes", "lightings", "plan_order")
"""The ``dataset.json`` keys that make two synthetic datasets (or shards) the same dataset. ``plan_order``
is the order in which ``--classes`` and ``--lighting`` named them (``dataset.json`` writes ``classes``
and ``lightings`` with their keys sorted): it decides which clips each shard makes, and with a preset
that rotates the lightings which lighting each clip has (was: ``--lighting dim,bright`` resumed a
shard begun with ``bright,dim``, filming the other shard's clips)."""


def differing_keys(a: dict[str, Any], b: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The ``keys`` on which two ``dataset.json`` records differ. A :class:`SynthPreset` or
    :class:`Subject` field added after a record was written (``rotate_lightings``,
    ``photo_sha256``) counts as its default there, which plans the same clips, and a record without
    ``plan_order`` (written before 2026-12-07) agrees with any order, and a ``shard`` of ``[0, 1]`` (one
    shard of one, recorded as a shard before 2026-12-08) is the whole dataset's ``None``. A photo subject
    whose pixels are recorded is that photo from any path (``--faces photos`` here,
    ``--faces /data/photos`` on another node).

    Parameters
    ----------
    a, b : dict
        The two records, as :func:`~evface.io.dataset.read_dataset_json` reads them.
    keys : tuple of str
        The keys compared (e.g. :data:`SAME_DATASET_KEYS`); a key missing from one record differs
        from a value in the other.

    Returns
    -------
    list of str
        The differing ``keys``, in their order.

    Examples
    --------
    >>> differing_keys({"seed": 0, "preset": "tiny"}, {"seed": 1, "preset": "tiny"}, ("seed", "preset"))
    ['seed']
    >>> differing_keys({"params": {"name": "tiny"}}, {"params": {"name": "tiny", "rotate_lightings": False}},
    ...                ("params",))  # a field added later, at its default
    []
    """
    defaults = {f.name: f.default for f in fields(SynthPreset) if f.default is not MISSING}
    subject_defaults = {f.name: f.default for f in fields(Subject) if f.default is not MISSING}

    def subject(s: Any) -> Any:
        if not isinstance(s, dict):
            return s
        s = {**subject_defaults, **s}
        return {k: v for k, v in s.items() if k != "photo"} if s["photo_sha256"] is not None else s

    def value(info: dict[str, Any], key: str) -> Any:
        v = json.loads(json.dumps(info.get(key)))
        if key == "subjects" and isinstance(v, list):
            return [subject(s) for s in v]
        if key == "shard" and v == [0, 1]:  # one shard of one, as recorded before 2026-12-08: the whole dataset
            return None
        return {**defaults, **v} if key == "params" and isinstance(v, dict) else v

    return [k for k in keys if value(a, k) != value(b, k) and not (k == "plan_order" and None in (a.get(k), b.get(k)))]


def claim_dataset_folder(out: Path, info: dict[str, Any], keys: tuple[str, ...], writer: str, advice: str) -> None:
    """Refuse ``out`` unless it is new, empty, or a dataset whose ``dataset.json`` agrees with
    ``info`` on ``keys`` and on the evface version (then this run finishes it); create it.
    ``writer`` names what makes ``info`` and ``advice`` says what to do, for the message of
    another version (:func:`check_same_version`).

    Parameters
    ----------
    out : Path
        The dataset folder; created (with its parents) when missing.
    info : dict
        The ``dataset.json`` record this run writes there.
    keys : tuple of str
        The keys on which a dataset already there must agree with ``info``.
    writer : str
        What makes ``info`` (e.g. ``"this run"``), for the message of another version.
    advice : str
        What to do instead, for that message.

    Raises
    ------
    DatasetError
        Naming ``out``: a file, a folder holding something else, or a dataset that differs on
        ``keys`` or was made by another evface version.

    Examples
    --------
    >>> claim_dataset_folder(Path("new"), {"seed": 0}, ("seed",), "this run", "use a new folder")
    >>> Path("new").is_dir()
    True
    >>> _ = Path("new", "notes.txt").write_text("mine")
    >>> claim_dataset_folder(Path("new"), {"seed": 0}, ("seed",), "this run", "use a new folder")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: new: is not empty and holds no evface synthetic dataset (no dataset.json); give OUT a new or empty folder
    """
    if out.exists() and not out.is_dir():
        raise DatasetError(where(out, "is a file, not a folder; give OUT a new or empty folder"))
    if (out / "dataset.json").exists():
        found = read_dataset_json(out)
        diff = differing_keys(found, info, keys)
        if "generator" in diff:  # was: "made with --preset None, --subjects 0, --classes None, ..., other generator"
            raise DatasetError(where(out, f"holds a dataset evface synth did not make ({_made_by(found)}); give OUT a "
                                          "new or empty folder"))
        if diff:
            earlier, this = made_with(found, info, diff)
            raise DatasetError(where(out, f"holds a dataset made with {earlier}" + f", this run gives {this}" * bool(this) +
                                          "; use a new folder to build this one"))  # was: "made with other params"
        check_same_version(out, "dataset", found, writer, info, advice)
    elif out.is_dir() and any(out.iterdir()):
        raise DatasetError(where(out, "is not empty and holds no evface synthetic dataset (no dataset.json); "
                                      "give OUT a new or empty folder"))
    out.mkdir(parents=True, exist_ok=True)


def _made_by(found: dict[str, Any]) -> str:
    """What made the dataset whose ``dataset.json`` record is ``found``, said for a refusal:
    ``made by evface merge``, ``a toy dataset of evface.datasets.toy``, or that it names nothing."""
    made = found.get("generator")
    if isinstance(made, str) and made:
        return f"made by {made}"
    return "a toy dataset of evface.datasets.toy" if found.get("toy") is True else "its dataset.json names no generator"


def check_same_version(folder: Path, what: str, found: dict[str, Any], other: str, info: dict[str, Any],
                  advice: str) -> None:
    """A :class:`DatasetError` naming ``folder`` and both versions, and saying ``advice``, when the
    ``dataset.json`` record ``found`` (of ``what``: a dataset, a shard) was made by another evface
    version than ``info`` (that of ``other``): its clips need not be the ones this version films.

    Parameters
    ----------
    folder : Path
        The folder of ``found``, named in the message.
    what : str
        What ``found`` records: ``"dataset"`` or ``"shard"``.
    found : dict
        The ``dataset.json`` record in ``folder``.
    other : str
        What made ``info`` (e.g. ``"this run"``).
    info : dict
        The record compared with.
    advice : str
        What to do instead, ending the message.

    Raises
    ------
    DatasetError
        When the two records' ``evface_version`` differ.

    Examples
    --------
    >>> check_same_version(Path("d"), "dataset", {"evface_version": "0.1"}, "this run",
    ...               {"evface_version": "0.2"}, "use a new folder")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: d: dataset made by evface 0.1, this run by evface 0.2; use a new folder
    """
    made, wanted = found.get("evface_version"), info.get("evface_version")
    if made != wanted:
        raise DatasetError(where(folder, f"{what} made by evface {made}, {other} by evface {wanted}; {advice}"))
