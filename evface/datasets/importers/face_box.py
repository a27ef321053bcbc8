"""A clip's face box in its RGB frames: the faces the detector finds, implausible ones dropped,
grouped by place, and the place found in the most frames, with a note when it is doubtful.

Used by session import (:mod:`~evface.datasets.importers.session`) and corpus import
(:mod:`~evface.datasets.importers.corpus`).
"""

from __future__ import annotations

import numpy as np

from evface.datasets.importers.registration import box_kept, describe_cut
from evface.errors import ParameterError
from evface.face.detect import detect_faces

FACE_FRAMES = 8
"""Frames per clip (the apex frame and others spread over the clip) searched for the face."""
MAX_FACE_ASPECT = 1.33
"""A detected face box whose sides differ by more than this ratio is not a face."""
FACE_SIZE_SPREAD = 0.35
"""Detections whose sides differ by more than this fraction show different things (:func:`_same_place`)."""
MIN_IN_FRAME = 0.5
"""A given face box of which less than this fraction lies inside the RGB frame is refused (:func:`box_in_frame`)."""


def box_in_frame(box: tuple[float, ...] | list[float], size: tuple[int, int], what: str,
                 error: type[Exception] = ParameterError) -> tuple[list[float], str | None]:
    """A given face box ``[x, y, w, h]`` clipped to an RGB frame of ``size`` (width, height), and a
    note saying so when it reached beyond the frame (a face at the frame's edge); an ``error``
    naming ``what`` (the option or table line that gave it) when less than :data:`MIN_IN_FRAME` of
    it lies inside: a box in another picture's pixels, or another unit, whose clipped remainder
    would be taken for the face (was: ``0,0,100000,100000`` became the whole frame, a warning at
    most). Pixel edges as in :func:`~evface.datasets.importers.registration.box_kept`.

    Examples
    --------
    >>> box_in_frame([600, 20, 80, 80], (640, 360), "--face-box")
    ([600.0, 20.0, 40.0, 80.0], '--face-box [600, 20, 80, 80] reaches beyond the 640x360 RGB frame: clipped to [600, 20, 40, 80]')
    >>> box_in_frame([0, 0, 100000, 100000], (640, 360), "--face-box")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --face-box [0, 0, 100000, 100000] lies over half outside the 640x360 RGB frame: it keeps 0% of the face box (loses 99% at the right, 100% at the bottom); give the face box in pixels of the RGB frames
    """
    kept = box_kept(box, size)
    shown = _box_text([float(v) for v in box])
    if kept["kept"] < MIN_IN_FRAME:
        raise error(f"{what} {shown} lies over half outside the {size[0]}x{size[1]} RGB frame: it {describe_cut(kept)}; "
                    "give the face box in pixels of the RGB frames")
    x, y, w, h = (float(v) for v in box)
    x0, y0 = max(x, 0.0), max(y, 0.0)
    clipped = [x0, y0, min(x + w, size[0]) - x0, min(y + h, size[1]) - y0]
    if kept["kept"] == 1:
        return clipped, None
    return clipped, f"{what} {shown} reaches beyond the {size[0]}x{size[1]} RGB frame: clipped to {_box_text(clipped)}"


def _side(box: np.ndarray) -> float:
    """The geometric mean of a box's width and height."""
    return float(np.sqrt(box[2] * box[3]))


def _same_place(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two face boxes show one thing: centres closer than half the smaller side, and sides
    within :data:`FACE_SIZE_SPREAD` of each other."""
    small, large = sorted((_side(a), _side(b)))
    distance = np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2)
    return bool(distance <= 0.5 * small and large <= (1 + FACE_SIZE_SPREAD) * small)


def detect_face(frames: list[np.ndarray], min_face: float = 0.1) -> tuple[list[float] | None, str | None]:
    """The face box ``[x, y, w, h]`` of a clip from the frontal faces (OpenCV Haar cascade) found
    in its ``frames``, or None; and a note on what makes it doubtful, or None.

    Every face the cascade finds in a frame counts, except implausible ones (a side under
    ``min_face`` of the frame's shorter side, sides unequal by more than :data:`MAX_FACE_ASPECT`).
    Detections linked by :func:`_same_place`, directly or through others (a face moving over the
    clip), form a group; the face is the median box of the group found in the most frames (of
    equally many, the larger boxes'): on real footage the cascade also fires on hands, cuffs and
    curtains, now and then or in several frames, and a median over every frame's largest
    detection was a box between them. The note names the implausible detections dropped, and
    says when the box was found in fewer than half the frames, or in no more frames than another
    place (naming the other places): such a box is a guess.

    Examples
    --------
    >>> detect_face([np.zeros((64, 64, 3), np.uint8)])
    (None, None)
    """
    return face_of_detections([(detect_faces(f), min(f.shape[:2])) for f in frames], min_face)


def face_of_detections(frames: list[tuple[np.ndarray, int]], min_face: float = 0.1) -> tuple[list[float] | None, str | None]:
    """:func:`detect_face` from each frame's detections (the cascade's ``(n, 4)`` boxes) and shorter
    side (px), found beforehand (a session import searches every clip before reading any events).

    Examples
    --------
    >>> face_of_detections([(np.array([[10, 10, 40, 40]]), 100), (np.array([[12, 10, 40, 40]]), 100)])
    ([11.0, 10.0, 40.0, 40.0], None)
    """
    found = [(i, box, short) for i, (boxes, short) in enumerate(frames) for box in boxes]
    implausible: list[str] = []
    kept: list[tuple[int, np.ndarray]] = []
    for i, box, short in found:
        w, h = int(box[2]), int(box[3])
        if min(w, h) < min_face * short:
            implausible.append(f"{w}x{h} px is under {min_face:g} of the frame's {short} px")
        elif max(w, h) > MAX_FACE_ASPECT * min(w, h):
            implausible.append(f"{w}x{h} px is not face-shaped (aspect limit {MAX_FACE_ASPECT})")
        else:
            kept.append((i, box))
    groups = _linked(kept)
    groups.sort(key=lambda g: (-_frames_of(g), -float(np.median([_side(b) for _, b in g]))))
    notes = ([f"dropped {len(implausible)} of {len(found)} face detections: {'; '.join(dict.fromkeys(implausible))}"]
             if implausible else [])
    if not groups:
        return None, notes[0] if notes else None
    face, others = groups[0], groups[1:]
    box = _median(face)
    tie = bool(others) and _frames_of(others[0]) == _frames_of(face)
    rest = others[1:] if tie else others
    if tie or 2 * _frames_of(face) < len(frames):
        notes.append(f"the face box {_box_text(box)} was found in only {_frames_of(face)} of {len(frames)} frames"
                     + (f", as often as {_box_text(_median(others[0]))}" if tie else "")
                     + (f" (other detections at {', '.join(_box_text(_median(g)) for g in rest)})" if rest else "")
                     + ": check it")
    return box, "; ".join(notes) or None


def _linked(detections: list[tuple[int, np.ndarray]]) -> list[list[tuple[int, np.ndarray]]]:
    """``(frame, box)`` detections grouped by :func:`_same_place`, directly or through others."""
    groups: list[list[tuple[int, np.ndarray]]] = []
    for d in detections:
        near = [g for g in groups if any(_same_place(d[1], b) for _, b in g)]
        groups = [g for g in groups if all(g is not n for n in near)] + [[d, *(x for g in near for x in g)]]
    return groups


def _frames_of(group: list[tuple[int, np.ndarray]]) -> int:
    """The number of frames with a detection in ``group``."""
    return len({i for i, _ in group})


def _median(group: list[tuple[int, np.ndarray]]) -> list[float]:
    """The median box of ``group``."""
    return [float(v) for v in np.median(np.asarray([b for _, b in group], np.float64), axis=0)]


def _box_text(box: list[float]) -> str:
    """``[x, y, w, h]`` in whole pixels."""
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"
