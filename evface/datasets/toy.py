"""A dataset folder of a few tiny clips, written in a moment: for examples and first tries of the API.

Its events and frames are random, so what a model learns from it means nothing; it only lets the
training and evaluation functions run end to end in seconds. A dataset whose figures mean something
is :func:`evface.datasets.synth.synthesize` (``evface synth``) or an imported recording.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import as_int, as_path
from evface.errors import DatasetError, ParameterError, where
from evface.events.core import make_events
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_replaceable, partial_of, publish_partial, remove_partial
from evface.io.manifest import write_manifest

DURATION_US = 500_000
ONSET_US, APEX_US, OFFSET_US = 0, 250_000, 450_000
EVENTS_PER_CLIP = 50
SENSOR_SIDE = 8
"""The ``lr`` event sensor of every clip: 8 x 8 pixels."""
FRAME_SIDE = 16
"""The ``rgb`` frames of every clip: 16 x 16 pixels, one every 100 ms."""


def toy_dataset(out: str | Path, subjects: int = 4, classes: Sequence[str] = ("AU4", "AU12"), seed: int = 0) -> Path:
    """Write a dataset folder of one tiny clip per subject and class, of random events and frames.

    Each clip lasts 0.5 s (onset 0, apex 250 ms, offset 450 ms) and holds 50 random events of an
    8 x 8 ``lr`` event sensor and five 16 x 16 ``rgb`` frames, one every 100 ms, the face box being
    the whole of each. Both tasks run on it: classification with ``sensor="lr"``, reconstruction
    with ``sensor="lr"`` (from the RGB frames; there are no truth frames). ``out`` must be new or
    empty; the folder is built as ``OUT.partial`` and renamed to ``out`` when whole.

    Parameters
    ----------
    out : str or Path
        The dataset folder to write.
    subjects : int, optional
        How many subjects (``s01``, ``s02``, ...), at least 1.
    classes : sequence of str, optional
        The class labels, each an AU (``"AU4"``); one clip of each per subject.
    seed : int, optional
        The seed of the random events and frames (the same seed writes the same clips).

    Returns
    -------
    Path
        The dataset folder.

    Examples
    --------
    >>> from evface.io.dataset import DatasetFolder
    >>> root = toy_dataset("toy")
    >>> ds = DatasetFolder.open(root)
    >>> len(ds.rows), sorted({r["subject"] for r in ds.rows}), sorted({r["label"] for r in ds.rows})
    (8, ['s01', 's02', 's03', 's04'], ['AU12', 'AU4'])
    >>> toy_dataset("toy")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: toy: exists and is not empty; toy_dataset writes only a new or empty folder: give out another
    """
    out = as_path("out", out)
    n_subjects = as_int("subjects", subjects, 1, 99)
    labels = _labels(classes)
    rng = np.random.default_rng(as_int("seed", seed, 0))
    if out.is_dir() and any(out.iterdir()):  # was: check_replaceable's advice, "--force, overwrite=True", neither of which it takes
        raise DatasetError(where(out, "exists and is not empty; toy_dataset writes only a new or empty folder: give out "
                                      "another"))
    check_replaceable(out, overwrite=False)
    tmp = partial_of(out)
    remove_partial(tmp)
    try:
        rows = [_write_toy_clip(tmp, f"s{i + 1:02d}", label, rng) for i in range(n_subjects) for label in labels]
        write_manifest(tmp, rows)
        write_dataset_json(tmp, {"toy": True, "seed": int(seed), "note": "random events and frames (evface.datasets.toy)"})
        publish_partial(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _labels(classes: object) -> list[str]:
    """``classes`` as a list of distinct AU labels (``AU4``)."""
    if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
        raise ParameterError(f"classes must be a list of AU labels such as ['AU4', 'AU12'], got {classes!r:.80}")
    labels = list(classes)
    for label in labels:
        if not isinstance(label, str) or not re.fullmatch(r"AU[1-9][0-9]?", label):
            raise ParameterError(f"classes: {label!r:.80} is no AU label (AU1 to AU99)")
    if len(set(labels)) < len(labels):
        raise ParameterError(f"classes: a label given twice in {labels}")
    return labels


def _write_toy_clip(root: Path, subject: str, label: str, rng: np.random.Generator) -> dict[str, Any]:
    """Write one toy clip into ``root/clips``; returns its manifest row."""
    clip_id = f"{subject}_{label}"
    t = np.sort(rng.integers(0, DURATION_US, EVENTS_PER_CLIP))
    xy = rng.integers(0, SENSOR_SIDE, (2, EVENTS_PER_CLIP))
    events = make_events(t, xy[0], xy[1], rng.choice([-1, 1], EVENTS_PER_CLIP))
    frames = FrameSeries(rng.integers(0, 256, (5, FRAME_SIDE, FRAME_SIDE, 3), dtype=np.uint8),
                         np.arange(5) * 100_000, np.full(5, 10_000), fps=10.0)
    aus = [int(label[2:])]
    clip = Clip(clip_id, subject, label, aus, "dim", ONSET_US, APEX_US, OFFSET_US, DURATION_US,
                events={"lr": events}, sensors={"lr": SensorInfo("lr", SENSOR_SIDE, SENSOR_SIDE)},
                frames={"rgb": frames},
                calibration={"face_box": {"lr": [0, 0, SENSOR_SIDE, SENSOR_SIDE], "rgb": [0, 0, FRAME_SIDE, FRAME_SIDE]}})
    write_clip(root / "clips" / f"{clip_id}.h5", clip)
    return {"clip_id": clip_id, "subject": subject, "label": label, "aus": aus, "lighting": "dim",
            "file": f"clips/{clip_id}.h5", "onset_us": ONSET_US, "apex_us": APEX_US, "offset_us": OFFSET_US,
            "duration_us": DURATION_US}
