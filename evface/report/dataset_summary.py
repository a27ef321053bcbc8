"""A dataset folder's summary in the report: its counts, event statistics and sample figures.

What made it, how many clips of each class and lighting and their mean events per sensor, what
varies from clip to clip (:func:`variation_table`), each subject's face, an imported dataset's
sync, registration, warnings and face boxes, a face of each class and lighting, an event-rate plot
and an RGB-beside-events animation of one clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evface.errors import ParameterError
from evface.io.clip_reader import event_counts, read_clip, read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.dataset import DatasetFolder
from evface.report import figures
from evface.tasks.figure_format import number


def _dataset_description(info: dict[str, Any]) -> str:
    """What made a dataset, with its preset and seed where it has them (recordings have neither).

    >>> _dataset_description({"generator": "evface synth", "preset": "quick", "seed": 0})
    'evface synth (preset quick, seed 0)'
    >>> _dataset_description({"generator": "evface import session", "seed": None})
    'evface import session'
    """
    made_by = info.get("generator", info.get("importer", "dataset"))
    settings = [f"{key} {info[key]}" for key in ("preset", "seed") if info.get(key) is not None]
    return f"{made_by} ({', '.join(settings)})" if settings else made_by


def import_records(info: dict[str, Any]) -> list[tuple[dict[str, Any], list[str] | None]]:
    """The ``import`` records of a dataset's ``dataset.json`` (``info``), each with the subjects it
    covers: its own, for all its clips (``None``), or, for a merged dataset, each imported source's
    (merges of merges too) with that source's subjects.

    Parameters
    ----------
    info : dict
        A dataset's ``dataset.json``.

    Returns
    -------
    list of (dict, list of str or None)

    Examples
    --------
    >>> import_records({"import": {"sensors": {}}})
    [({'sensors': {}}, None)]
    >>> import_records({"sources": [{"subjects": ["s1"], "dataset": {"import": {"warnings": []}}},
    ...                             {"subjects": ["syn0"], "dataset": {"generator": "evface.data.synth"}}]})
    [({'warnings': []}, ['s1'])]
    """
    if isinstance(info.get("import"), dict):
        return [(info["import"], None)]
    found: list[tuple[dict[str, Any], list[str] | None]] = []
    for source in _list_or_empty(info.get("sources")):
        if isinstance(source, dict) and isinstance(source.get("dataset"), dict):
            subjects = [str(s) for s in _list_or_empty(source.get("subjects"))]
            found += [(record, covered if covered is not None else subjects)
                      for record, covered in import_records(source["dataset"])]
    return found


def import_summary(info: dict[str, Any]) -> dict[str, Any] | None:
    """How an imported dataset was made, from ``dataset.json``'s ``import`` records
    (:func:`import_records`: a merged dataset's imported sources too): one row of text per event
    sensor (name, file, sync method, offset, confidence, registration method, its error or score),
    the imports' warnings, the annotated clips they skipped as matching no class of ``--classes``
    (:func:`skipped_clips`) with the class set's name where one import made the dataset, and the
    subjects they cover (``None``: every clip); None for a dataset holding no import.

    Parameters
    ----------
    info : dict
        A dataset's ``dataset.json``.

    Returns
    -------
    dict or None
        ``sensors`` (rows of text), ``warnings``, ``skipped``, ``classes`` and ``subjects``.

    Examples
    --------
    >>> imp = import_summary({"import": {"sensors": {"hd": {"file": "hd.raw", "sync": {"method": "xcorr",
    ...     "offset_us": -8346, "confidence": 0.843}, "registration": {"method": "given"}}},
    ...     "warnings": ["clip s02_001: the face box [449, 110, 58, 58] was found in only 1 of 8 frames: check it"]}})
    >>> imp["sensors"], len(imp["warnings"]), imp["skipped"], imp["subjects"]
    ([['hd', 'hd.raw', 'xcorr', '-8346', '0.84', 'given', '-']], 1, [], None)
    """
    records = import_records(info)
    if not records:
        return None
    rows, warnings, skipped = [], [], []
    for record, _ in records:
        for name, entry in _dict_or_empty(record.get("sensors")).items():
            s = _dict_or_empty(entry)
            sync = _dict_or_empty(s.get("sync"))
            reg = _dict_or_empty(s.get("registration"))
            given = sync.get("method") == "given"
            quality = (f"{reg['error_px']:.3f} px" if isinstance(reg.get("error_px"), (int, float)) else
                       f"score {reg['score']:.3f}" if isinstance(reg.get("score"), (int, float)) else "-")
            confidence = sync.get("confidence")
            rows.append([str(name), str(s.get("file", "-")), str(sync.get("method", "-")), str(sync.get("offset_us", "-")),
                         f"{confidence:.2f}" if isinstance(confidence, (int, float)) and not given else "-",
                         str(reg.get("method", "-")), quality])
        warnings += [str(w) for w in _list_or_empty(record.get("warnings"))]
        skipped += skipped_clips(record)
    covered = [subjects for _, subjects in records if subjects is not None]
    subjects = sorted({s for c in covered for s in c}) if len(covered) == len(records) else None
    params = _dict_or_empty(info.get("params")) if isinstance(info.get("import"), dict) else {}
    classes = params.get("classes") if isinstance(params.get("classes"), str) else None
    return {"sensors": rows, "warnings": warnings, "skipped": skipped, "classes": classes, "subjects": subjects}


def skipped_clips(record: dict[str, Any]) -> list[str]:
    """The annotated clips an import (its ``dataset.json`` ``import`` ``record``) skipped as
    matching no class of its ``--classes`` set, each as its clip id (a corpus: its folder) and AUs.

    Examples
    --------
    >>> skipped_clips({"skipped": [{"clip_id": "a2", "aus": [6, 12], "line": 3}, {"folder": "s1/x", "aus": []}]})
    ['a2 (AU6+AU12)', 's1/x (no AU)']
    """
    named = []
    for clip in (c for c in _list_or_empty(record.get("skipped")) if isinstance(c, dict)):
        aus = _list_or_empty(clip.get("aus"))
        named.append(f"{clip.get('clip_id', clip.get('folder', '?'))} ({'+'.join(f'AU{a}' for a in aus) or 'no AU'})")
    return named


def _list_or_empty(value: object) -> list[Any]:
    """``value`` where it is a list (a ``dataset.json`` holds what its writer put there), else ``[]``."""
    return value if isinstance(value, list) else []


def _dict_or_empty(value: object) -> dict[Any, Any]:
    """``value`` where it is a dict, else ``{}``."""
    return value if isinstance(value, dict) else {}


def dataset_summary(ds: DatasetFolder) -> dict[str, Any]:
    """Counts, event statistics and sample figures of a dataset folder.

    Parameters
    ----------
    ds : DatasetFolder
        The dataset (anything else is a ParameterError naming ``ds``).

    Returns
    -------
    dict
        What the dataset section shows: counts per class and lighting, event statistics,
        :func:`variation_table`, :func:`import_summary` and sample figures (PNG bytes).
    """
    if not isinstance(ds, DatasetFolder):  # was an AttributeError about 'labels'
        raise ParameterError(f"ds must be a DatasetFolder (DatasetFolder.open(root)), got {type(ds).__name__}")
    labels = ds.labels
    lightings = sorted({row["lighting"] for row in ds.rows})
    first = _first_clips(ds.rows)
    summary: dict[str, Any] = {
        "root": str(ds.root),
        "description": _dataset_description(ds.info),
        "n_clips": len(ds.rows),
        "n_subjects": len(ds.subjects),
        "labels": labels,
        "lightings": lightings,
        "counts": _counts(ds.rows),
        "event_table": _event_table(ds),
        "import": import_summary(ds.info),
    }
    metas = {row["clip_id"]: read_clip_meta(ds.clip_path(row)) for row in ds.rows}
    summary["variation"] = variation_table(ds.rows, [metas[row["clip_id"]].extra for row in ds.rows])
    summary.update(_identity_figures(ds, metas))
    if summary["import"] is not None:
        summary.update(_box_figures(ds, summary["import"]))
    summary.update(_face_figures(ds, first, labels, lightings))
    row = first.get((labels[0], lightings[0])) if labels and lightings else None
    if row is not None:
        summary.update(_clip_figures(ds, row))
    return summary


def _first_clips(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The first row of each (class, lighting), in the order they first occur."""
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        first.setdefault((row["label"], row["lighting"]), row)
    return first


def _counts(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The clips of each class (outer) and lighting (inner).

    >>> _counts([{"label": "AU4", "lighting": "dim"}, {"label": "AU4", "lighting": "dim"},
    ...          {"label": "AU12", "lighting": "bright"}])
    {'AU4': {'dim': 2}, 'AU12': {'bright': 1}}
    """
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["label"], {}).setdefault(row["lighting"], 0)
        counts[row["label"]][row["lighting"]] += 1
    return counts


def _event_table(ds: DatasetFolder) -> dict[str, dict[str, float]]:
    """The mean events per clip of each class (outer) by ``"sensor lighting"`` (inner)."""
    events: dict[tuple[str, str], list[dict[str, int]]] = {}
    for row in ds.rows:
        events.setdefault((row["label"], row["lighting"]), []).append(event_counts(ds.clip_path(row)))
    event_table: dict[str, dict[str, float]] = {}
    for (label, lighting), cells in events.items():
        for sensor in cells[0]:
            event_table.setdefault(label, {})[f"{sensor} {lighting}"] = float(np.mean([c.get(sensor, 0) for c in cells]))
    return event_table


def _identity_figures(ds: DatasetFolder, metas: dict[str, Any]) -> dict[str, Any]:
    """The grid of each subject's face (:func:`identity_samples`), how many, and whether the captions
    give head poses (synthetic clips record them); nothing where no subject has RGB frames."""
    identities = identity_samples(ds, metas)
    if not identities:
        return {}
    return {"identity_grid": figures.identity_grid(identities), "n_identities": len(identities),
            "identity_poses": any("yaw" in caption for caption, _ in identities)}


def _box_figures(ds: DatasetFolder, imported: dict[str, Any]) -> dict[str, Any]:
    """An imported dataset's face boxes (:func:`face_box_samples`, :func:`import_summary` ``imported``):
    how many imported clips there are, and the grid of their boxes and how many it shows where any."""
    boxes, n_box_clips = face_box_samples(ds, imported["warnings"], imported["subjects"])
    shown: dict[str, Any] = {"n_box_clips": n_box_clips}
    if boxes:
        shown["box_grid"], shown["n_boxes"] = figures.identity_grid(boxes), len(boxes)
    return shown


def _face_figures(ds: DatasetFolder, first: dict[tuple[str, str], dict[str, Any]], labels: list[str],
                  lightings: list[str]) -> dict[str, Any]:
    """The grid of the apex face of the ``first`` clip of each class and lighting; nothing where none
    has RGB frames."""
    samples = {}
    for key, row in first.items():
        face = _apex_face(read_clip(ds.clip_path(row), sensors=[], truth=False))
        if face is not None:
            samples[key] = face
    return {"face_grid": figures.face_grid(samples, labels, lightings)} if samples else {}


def _clip_figures(ds: DatasetFolder, row: dict[str, Any]) -> dict[str, Any]:
    """The event-rate plot of the clip of ``row``, and its RGB frames beside its events (the ``hd``
    sensor's, else its first) where it has both, with a caption."""
    meta = read_clip_meta(ds.clip_path(row))
    clip = read_clip(ds.clip_path(row), truth=False)
    shown: dict[str, Any] = {"rate_plot": figures.event_rate_plot(clip)}
    sensor = "hd" if "hd" in meta.sensors else next(iter(meta.sensors), None)
    if sensor is not None and "rgb" in clip.frames:
        shown["animation"] = figures.side_by_side_gif(clip, sensor)
        shown["animation_caption"] = (f"{clip.clip_id} ({clip.label}, {clip.lighting}): RGB frames (left) and the "
                                      f"{sensor} events of the same 33 ms (right; blue ON, red OFF), played 3x slower.")
    return shown


def _apex_face(clip: Clip) -> np.ndarray | None:
    """The RGB frame of ``clip`` before its apex cropped to its face box, or None without RGB frames."""
    if "rgb" not in clip.frames or not len(clip.frames["rgb"].data):
        return None
    frames = clip.frames["rgb"]
    k = int(np.clip(np.searchsorted(frames.t_us, clip.apex_us) - 1, 0, len(frames.t_us) - 1))
    return figures.crop_box(frames.data[k], clip.calibration.get("face_box", {}).get("rgb"))


def _spread(name: str, unit: str, values: list[float], digits: int = 1) -> list[str]:
    """One row of :func:`variation_table`: name, unit, clips, min, median, max."""
    v = np.asarray(values, float)
    cells = (f"{x:.{digits}f}" for x in (v.min(), np.median(v), v.max()))
    return [name, unit, str(v.size), *(c.lstrip("-") if float(c) == 0 else c for c in cells)]  # no "-0.0"


def variation_table(rows: Sequence[dict[str, Any]], extras: Sequence[dict[str, Any]]) -> list[list[str]]:
    """What varies from clip to clip: timing, intensity, AU asynchrony, head pose, gaze, blinks, light.

    One row per quantity, ``[name, unit, clips, min, median, max]``; quantities that no clip records
    (imported recordings carry only the annotation's timing) are left out.

    Parameters
    ----------
    rows : sequence of dict
        The manifest's rows (``onset_us``, ``apex_us``, ``offset_us``).
    extras : sequence of dict
        Each clip's recorded extras, in the order of ``rows``.

    Returns
    -------
    list of list of str

    Examples
    --------
    >>> rows = [{"onset_us": 0, "apex_us": 120_000, "offset_us": 300_000}] * 2
    >>> extras = [{"intensity": 0.4, "head_motion": {"yaw_deg": -1.0}}, {"intensity": 0.6, "head_motion": {"yaw_deg": 2.0}}]
    >>> [r[0] for r in variation_table(rows, extras)]
    ['onset to apex', 'onset to offset', 'expression intensity', 'head yaw']
    >>> variation_table(rows, extras)[3]
    ['head yaw', 'deg', '2', '-1.0', '0.5', '2.0']
    >>> _spread("gaze", "deg", [-0.04, 0.01], 1)[3:]
    ['0.0', '0.0', '0.0']
    """
    table = [_spread("onset to apex", "ms", [(r["apex_us"] - r["onset_us"]) / 1e3 for r in rows], 0),
             _spread("onset to offset", "ms", [(r["offset_us"] - r["onset_us"]) / 1e3 for r in rows], 0)]
    head = [e.get("head_motion", {}) for e in extras]
    gaze = [e["gaze"] for e in extras if "gaze" in e]
    curves = [e["au_curves"] for e in extras if len(e.get("au_curves", [])) > 1]
    candidates = [
        ("expression intensity", "0-1", [e["intensity"] for e in extras if "intensity" in e], 2),
        ("AU onset spread within a clip", "ms", [(max(c["onset_us"] for c in cs) - min(c["onset_us"] for c in cs)) / 1e3
                                                 for cs in curves], 0),
        ("one-sided AUs per clip", "count", [sum(c.get("side", "") != "" for c in e["au_curves"])
                                             for e in extras if "au_curves" in e], 0),
        ("head yaw", "deg", [h["yaw_deg"] for h in head if "yaw_deg" in h], 1),
        ("head pitch", "deg", [h["pitch_deg"] for h in head if "pitch_deg" in h], 1),
        ("head roll amplitude", "deg", [h["roll_amp_deg"] for h in head if "roll_amp_deg" in h], 2),
        ("gaze at start, horizontal", "deg", [g["start_deg"][0] for g in gaze], 1),
        ("gaze at start, vertical", "deg", [g["start_deg"][1] for g in gaze], 1),
        ("saccades per clip", "count", [len(g["saccades"]) for g in gaze], 0),
        ("blinks per clip", "count", [len(e["blinks_us"]) for e in extras if "blinks_us" in e], 0),
        ("scene illuminance", "lux", [e["lux"] for e in extras if "lux" in e], 0),
    ]
    table += [_spread(name, unit, values, digits) for name, unit, values, digits in candidates if values]
    return table


MAX_BOX_CLIPS = 64
"""The clips of an imported dataset whose face boxes the report shows (those the import warned about first)."""


def face_box_samples(ds: DatasetFolder, warnings: list[str],
                     subjects: list[str] | None = None) -> tuple[list[tuple[str, np.ndarray]], int]:
    """The apex RGB frame of each clip of an imported dataset (of its imported ``subjects`` where it
    was merged with others, :func:`import_summary`) cropped to its face box, captioned with its clip
    id (``!`` after the id of a clip a warning names, and those first), at most
    :data:`MAX_BOX_CLIPS`; and how many such clips there are. Training crops every input to that box,
    and on real footage the detector can put it on a hand or the background.

    Parameters
    ----------
    ds : DatasetFolder
        The dataset.
    warnings : list of str
        The import's warnings (:func:`import_summary`).
    subjects : list of str, optional
        The imported subjects (``None``: every clip's).

    Returns
    -------
    faces : list of (str, numpy.ndarray)
        Captions and face crops, for :func:`~evface.report.figures.identity_grid`.
    n_clips : int
        The imported clips.
    """
    def warned(clip_id: str) -> bool:
        return any(w.startswith((f"clip {clip_id}:", f"{clip_id}:")) for w in warnings)

    imported = [r for r in ds.rows if subjects is None or str(r["subject"]) in subjects]
    rows = sorted(imported, key=lambda r: not warned(str(r["clip_id"])))
    out = []
    for row in rows[:MAX_BOX_CLIPS]:
        face = _apex_face(read_clip(ds.clip_path(row), sensors=[], truth=False))
        if face is not None:
            out.append((f"{row['clip_id']}{' !' if warned(str(row['clip_id'])) else ''}", face))
    return out, len(imported)


def identity_samples(ds: DatasetFolder, metas: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    """Each subject's face in the first RGB frame of its first clip, captioned with its head pose.

    Parameters
    ----------
    ds : DatasetFolder
        The dataset.
    metas : dict
        Each clip's metadata by clip id (its ``extra`` gives the head pose).

    Returns
    -------
    list of (str, numpy.ndarray)
        Captions and face crops, for :func:`~evface.report.figures.identity_grid`; a subject
        without RGB frames is left out.
    """
    out = []
    for subject in ds.subjects:
        row = next(r for r in ds.rows if r["subject"] == subject)
        clip = read_clip(ds.clip_path(row), sensors=[], truth=False)
        if "rgb" not in clip.frames or not len(clip.frames["rgb"].data):
            continue
        head = metas[row["clip_id"]].extra.get("head_motion", {})
        caption = subject
        if "yaw_deg" in head:
            caption += f'\nyaw {number(head["yaw_deg"], "+.1f")}° pitch {number(head.get("pitch_deg", 0.0), "+.1f")}°'
        out.append((caption, figures.crop_box(clip.frames["rgb"].data[0], clip.calibration.get("face_box", {}).get("rgb"))))
    return out
