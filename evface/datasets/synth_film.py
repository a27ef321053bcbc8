"""Filming one clip of a synthetic dataset's plan, in this process or a pool worker: the subject's
face and rig, the clip's timeline and cameras, one thread per clip."""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache

import cv2
import numba
import numpy as np

from evface.checks import as_int
from evface.datasets.synth_plan import Subject, SynthPreset, photo_digest
from evface.errors import DatasetError, where
from evface.executor import Executor, InProcess, ProcessPool, check_workers
from evface.face.identity import Identity, builtin_photo_identities, photo_identity, procedural_identity, read_photo
from evface.io.clip_schema import Clip
from evface.io.clip_writer import write_clip
from evface.rig.geometry import RigParams
from evface.rig.lighting import get_lighting
from evface.rig.record import ClipSpec, Rig, clip_seed
from evface.rig.timeline import Timeline
from evface.rig.timeline_draw import draw_timeline
from evface.sim.dvs import num_threads


def subject_identity(subject: Subject) -> Identity:
    """The face of ``subject`` (a photo subject's file is read again, and refused when its pixels
    are no longer those the dataset was planned with: its clips would show two faces)."""
    if subject.kind == "procedural":
        return procedural_identity(subject.seed)
    if subject.kind == "builtin":
        return builtin_photo_identities()[0]
    assert subject.photo is not None, "plan_subjects gives each photo subject its file"
    rgb = read_photo(subject.photo)
    if subject.photo_sha256 is not None and photo_digest(rgb) != subject.photo_sha256:
        raise DatasetError(where(subject.photo, f"face photo of {subject.name} changed since this dataset was "
                                                "planned; its clips would show two faces: put the photo back, or "
                                                "build the dataset with it into a new folder"))
    return photo_identity(rgb, subject.name, source=subject.photo)


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


def clip_timeline(spec: ClipSpec, preset: SynthPreset, dataset_seed: int) -> tuple[Timeline, np.random.SeedSequence]:
    """The timeline of the planned clip ``spec`` and the seed of its cameras, both from the clip's
    seed (:func:`~evface.rig.record.clip_seed`): drawing the timeline alone is cheap (no frame is
    rendered), so a resume can tell a clip file of this dataset from another's by its times."""
    timeline_ss, camera_ss = clip_seed(dataset_seed, spec).spawn(2)
    return draw_timeline(spec.aus, preset.timeline, timeline_ss), camera_ss


def make_clip(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int) -> Clip:
    """Film one clip of the plan (the subject's rig comes from :func:`subject_rig`)."""
    timeline, camera_ss = clip_timeline(spec, preset, dataset_seed)
    return subject_rig(subject, preset.rig).record(spec, timeline, get_lighting(spec.lighting), camera_ss)


def film_clip(spec: ClipSpec, subject: Subject, preset: SynthPreset, dataset_seed: int, path: str) -> None:
    """Film one clip and write it to ``path`` (a job of :func:`~evface.datasets.synth.synthesize`, run in
    any process).

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
    cv_threads, nb_threads = cv2.getNumThreads(), num_threads()  # torch's threads left as the caller set them
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
