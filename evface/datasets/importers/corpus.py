"""Import an RGB micro-expression corpus in the CASME II layout: frames -> events + RGB clips.

Layout::

    ROOT/sub01/EP02_01f/img46.jpg, img47.jpg, ...     one folder of numbered frames per clip
    TABLE.csv                                         one row per clip

The table (CSV; export CASME II's ``.xlsx`` sheet to CSV first) needs the columns ``Subject``,
``Filename``, ``OnsetFrame``, ``ApexFrame``, ``OffsetFrame`` and ``Action Units``;
``Estimated Emotion`` is optional (header names are matched ignoring case, spaces and
underscores). ``Subject`` ``1`` or ``01`` or ``sub01`` all name the folder ``sub01``. Frame
numbers are the numbers in the file names (``img46.jpg`` is frame 46). An apex given as ``/``
(unknown, as in some CASME II rows) becomes the middle of onset and offset and is flagged in the
clip's ``extra``.

A clip's folder is read as ``evface simulate FOLDER --fps`` reads it
(:func:`evface.sim.video.numbered_frames`, :func:`~evface.sim.video.read_frame`): the pictures
whose names end in a number, with no gap and no number twice, all of one size, 8 bits a channel
(grayscale frames become gray RGB, an alpha channel is ignored, 16-bit and floating-point
pictures are refused). Frame ``n`` of a folder starting at ``n0`` is at
``round((n - n0) * 1e6 / fps)`` µs, where ``evface simulate`` puts it. Conversion of each clip
follows :mod:`evface.sim.footage`, as ``evface simulate`` does for a video:

- **intensity**: the sRGB frames are decoded to linear luminance and multiplied by ``lux_white``
  (default 300 lux, an office-lit face: white = 300 lux);
- **geometry**: each frame is resized to cover the sensor (aspect ratio kept) and
  centre-cropped; the RGB -> sensor homography of that mapping is stored in the calibration.
  When the crop cuts the face box (a portrait corpus frame in a 16:9 window loses the chin and
  mouth), the report's ``warnings`` say how much of the box each sensor keeps and on which side;
- **time**: frame ``n``'s timestamp is the start of its exposure (evface's one convention,
  :func:`evface.sim.footage.scene_times`): it shows the scene over a whole frame period, so the
  simulation sees it at its mid-exposure, half a period later; between two corpus frames
  ``upsample - 1`` frames are interpolated linearly in lux (default: enough for 1 kHz, 5 at 200 fps);
- **events**: :class:`evface.sim.dvs.DvsSimulator` with the sensor's parameters, seeded by
  ``seed`` and the clip's row so that the same corpus and seed give the same dataset;
- **RGB**: the corpus frames at the corpus rate, or (``rgb_fps``) resampled: output frame ``j``
  averages the corpus frames whose time falls in ``[j / rgb_fps, (j + 1) / rgb_fps)`` (a box
  exposure over the whole output period).

Clips are written into ``OUT.partial`` one by one (atomically); an interrupted import resumes
there with the same options, and ``OUT`` appears only when the manifest is written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evface import __version__
from evface.checks import as_box, as_int, as_real, numbers
from evface.datasets.importers.annotations import check_name
from evface.datasets.importers.au_labels import class_set, label_from_aus, label_from_classes, parse_aus
from evface.datasets.importers.registration import box_kept, describe_cut, map_box
from evface.datasets.importers.face_box import FACE_FRAMES, box_in_frame, detect_face
from evface.datasets.importers.tables import columns_once, input_file, open_table, table_int, table_rows
from evface.errors import DatasetError, ParameterError, where
from evface.events.core import concatenate
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.dataset_output import check_inputs_outside, check_replaceable, publish_partial, remove_partial
from evface.io.manifest import case_twins, differ_in_case, write_manifest
from evface.sim.dvs import DvsSimulator
from evface.sim.dvs_params import DvsParams
from evface.sim.footage import MAX_SCENE_LUX, Cover, frame_times, frame_to_lux, iter_lux_events, scene_times
from evface.sim.sensors import SensorSpec, parse_sensor
from evface.sim.video import FPS_RANGE, iter_frame_files, numbered_frames, read_frame

_COLUMNS = {
    "subject": "subject", "filename": "filename", "onsetframe": "onset", "apexframe": "apex",
    "offsetframe": "offset", "actionunits": "aus", "estimatedemotion": "emotion",
}


@dataclass(frozen=True)
class CorpusRow:
    """One row of the corpus table (frame numbers as in the file names; apex None when unknown)."""

    subject: str
    filename: str
    onset: int
    apex: int | None
    offset: int
    aus: tuple[int, ...]
    emotion: str
    line: int


MAX_SEED = 2**46
"""The largest ``seed``: clip ``i``'s sensor ``j`` is seeded ``seed * 100_003 + i * 101 + j``,
which the simulator takes up to 2**63 - 1 (here for tables of up to 10**16 rows)."""


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus becomes a dataset (see the module docstring).

    ``sensors`` are named event sensors, optionally with a size: ``"davis346"``,
    ``"evk4:640x360"`` (:func:`evface.sim.sensors.parse_sensor`); a sensor's role (``lr``, ``hd``)
    names its events in the clips.
    ``label`` is ``"aus"`` (``AU1+2``) or ``"emotion"`` (the table's estimated emotion). With
    ``classes`` (a class set of :data:`evface.face.aus.CLASS_SETS`) clips are labelled by the class
    their AUs match and clips matching none are skipped (listed in the report). The face box is
    ``face_box`` (frame pixels) when given, else the Haar-cascade face found at one place in the
    most of the apex and frames spread over the clip (:func:`~evface.datasets.importers.face_box.detect_face`),
    implausible detections dropped (``min_face``: the smallest face
    side as a fraction of the frame's shorter side; corpus frames are cropped to the face), else
    the import stops.
    """

    sensors: tuple[str, ...] = ("davis346",)
    fps: float = 200.0
    rgb_fps: float | None = None
    lux_white: float = 300.0
    upsample: int | None = None
    seed: int = 0
    label: str = "aus"
    classes: str | None = None
    face_box: tuple[float, float, float, float] | None = None
    min_face: float = 0.5
    lighting: str = "corpus"
    overwrite: bool = False

    def __post_init__(self) -> None:
        numbers(self, "fps", "rgb_fps", "lux_white", "upsample", "seed", "min_face")
        as_int("seed", self.seed, 0, MAX_SEED)  # 2**63 stopped the first clip, the option unnamed and its seed shown
        if self.face_box is not None:
            as_box("face_box", self.face_box)
        if not isinstance(self.sensors, (tuple, list)) or not all(isinstance(n, str) for n in self.sensors):
            raise ParameterError(f"sensors must be a tuple of sensor names, got {self.sensors!r}")
        as_real("fps", self.fps, *FPS_RANGE)  # frames at most the DVS model's longest step apart
        if self.rgb_fps is not None and not 0 < self.rgb_fps <= self.fps:
            raise ParameterError(f"rgb_fps must lie in (0, fps = {self.fps}], got {self.rgb_fps}")
        as_real("lux_white", self.lux_white, 0, MAX_SCENE_LUX, low_open=True)
        if not 0 < self.min_face < 1:
            raise ParameterError(f"min_face is a fraction of the frame's shorter side in (0, 1), got {self.min_face}")
        if self.upsample is not None and not 1 <= self.upsample <= 1e6 / self.fps:
            raise ParameterError(f"upsample must lie in [1, {int(1e6 / self.fps)}] (steps of at least 1 µs at "
                                 f"{self.fps:g} fps), got {self.upsample}")
        if self.label not in ("aus", "emotion"):
            raise ParameterError(f"label must be 'aus' or 'emotion', got {self.label!r}")
        if self.classes is not None:
            class_set(self.classes)
        if not self.sensors:
            raise ParameterError("give at least one sensor preset")
        for s in self.sensors:
            corpus_sensor(s)

    @property
    def substeps(self) -> int:
        """Simulation steps per corpus frame interval."""
        return self.upsample if self.upsample is not None else max(1, math.ceil(1000.0 / self.fps))


FACE_KEPT = 0.98
"""A sensor window that keeps less of the face box than this gets a warning."""


def fitting_size(spec: SensorSpec, frame_size: tuple[int, int]) -> str:
    """The ``NAME:WxH`` of the largest window of the sensor with the frames' aspect ratio.

    Examples
    --------
    >>> fitting_size(parse_sensor("evk4:1280x720"), (280, 340))
    'evk4:593x720'
    """
    (w, h), (fw, fh) = spec.size, frame_size
    scale = min(w / fw, h / fh)
    return f"{spec.sensor.name}:{round(fw * scale)}x{round(fh * scale)}"


def corpus_sensor(text: str) -> tuple[str, SensorSpec]:
    """A sensor of the import: its clip name (the sensor's role) and its spec.

    Examples
    --------
    >>> name, spec = corpus_sensor("evk4:64x36")
    >>> name, spec.sensor.name, spec.size
    ('hd', 'evk4', (64, 36))
    """
    spec = parse_sensor(text)
    if spec.sensor is None:
        raise ParameterError(f"sensor {text!r}: a corpus sensor needs a name, which gives its pixel model and clip name, "
                             f"e.g. davis346:{spec.size[0]}x{spec.size[1]}")
    return spec.sensor.role, spec


def read_corpus_table(path: str | Path) -> list[CorpusRow]:
    """Read and validate a CASME II-style annotation table (CSV)."""
    path = input_file(path, "annotation table")
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise DatasetError(where(path, "spreadsheets are not read; export the sheet to CSV"))
    with open_table(path) as reader:
        plain = {h: re.sub(r"[\s_]+", "", h.lower()) for h in reader.fieldnames or []}
        columns_once(path, [plain[h] for h in reader.fieldnames or []], set(_COLUMNS))
        names = {h: _COLUMNS.get(plain[h]) for h in plain}
        raw = [(line, {names[k]: (v or "").strip() for k, v in row.items() if names[k]}) for line, row in table_rows(reader)]
    missing = sorted({"subject", "filename", "onset", "apex", "offset", "aus"} - set(names.values()))
    if missing:
        wanted = {v: k for k, v in {"Subject": "subject", "Filename": "filename", "OnsetFrame": "onset", "ApexFrame": "apex",
                                    "OffsetFrame": "offset", "Action Units": "aus"}.items()}
        raise DatasetError(where(path, f"missing columns {[wanted[m] for m in missing]}"))
    if not raw:
        raise DatasetError(where(path, "no rows"))
    rows = []
    for line, r in raw:
        src = f"{path}: line {line}"
        frames = {}
        for key in ("onset", "apex", "offset"):
            cell = r.get(key, "")
            if key == "apex" and cell in ("/", "", "-"):
                frames[key] = None
                continue
            try:
                frames[key] = table_int(cell)
            except ValueError:
                raise DatasetError(f"{src}: {key} frame must be a frame number, got {cell!r}") from None
        if frames["offset"] < frames["onset"] or (frames["apex"] is not None and not frames["onset"] <= frames["apex"] <= frames["offset"]):
            raise DatasetError(f"{src}: frames must satisfy onset <= apex <= offset (got {frames})")
        if not r.get("subject") or not r.get("filename"):
            raise DatasetError(f"{src}: empty Subject or Filename")
        for column, name in (("Subject", subject_folder(r["subject"])), ("Filename", r["filename"])):
            check_name(src, column, name)  # both name a folder and the clip's file: nothing outside ROOT and OUT
        rows.append(CorpusRow(r["subject"], r["filename"], frames["onset"], frames["apex"], frames["offset"],
                              tuple(parse_aus(r.get("aus", ""), source=src)), r.get("emotion", "").lower(), line))
    return rows


def subject_folder(subject: str) -> str:
    """``"1"``, ``"01"`` or ``"sub01"`` -> ``"sub01"``."""
    s = subject.strip()
    if s.lower().startswith("sub"):
        s = s[3:]
    return f"sub{int(s):02d}" if s.isdigit() else f"sub{s}"


def find_frames(root: Path, row: CorpusRow) -> list[tuple[int, Path]]:
    """The numbered frames of a row's folder, sorted (:func:`evface.sim.video.numbered_frames`:
    no gap, no number twice); checks that the row's frames are among them."""
    folder = root / subject_folder(row.subject) / row.filename
    if not folder.is_dir():
        raise DatasetError(where(folder, f"frame folder of table line {row.line} not found"))
    frames = numbered_frames(folder)
    first, last = frames[0][0], frames[-1][0]
    for key, n in (("onset", row.onset), ("apex", row.apex), ("offset", row.offset)):
        if n is not None and not first <= n <= last:
            raise DatasetError(where(folder, f"table line {row.line}: {key} frame {n} is outside the folder's frames {first}..{last}"))
    return frames


def load_frames(frames: list[tuple[int, Path]]) -> np.ndarray:
    """Read numbered frames into (N, H, W, 3) uint8 RGB (:func:`evface.sim.video.iter_frame_files`:
    8-bit, one size for all)."""
    return np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in iter_frame_files(frames)])


def resample_rgb(rgb: np.ndarray, fps: float, rgb_fps: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Box-average corpus frames into ``rgb_fps`` frames; returns (frames, t_us, exposure_us)."""
    n = rgb.shape[0]
    t = np.arange(n) / fps
    period = 1.0 / rgb_fps
    m = max(1, int(np.floor(n / fps / period + 1e-9)))
    out, times = [], []
    for j in range(m):
        sel = (t >= j * period - 1e-9) & (t < (j + 1) * period - 1e-9)
        if not sel.any():
            continue
        out.append(np.round(rgb[sel].astype(np.float32).mean(axis=0)).astype(np.uint8))
        times.append(round(j * period * 1e6))
    return np.stack(out), np.asarray(times, dtype=np.int64), round(period * 1e6)


def import_corpus(
    root: str | Path,
    table: str | Path,
    out: str | Path,
    options: CorpusOptions = CorpusOptions(),
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    """Convert a CASME II-style corpus into a dataset folder (see the module docstring).

    Every row is validated (folder, frames, frame numbers) before any clip is simulated.

    Returns
    -------
    dict
        The ``import`` section of ``dataset.json`` (options and clip ids).
    """
    root, out = Path(root), Path(out)
    tell = progress or (lambda stage, frac: None)
    if not root.is_dir():
        raise DatasetError(where(root, "corpus folder not found"))
    check_replaceable(out, options.overwrite)
    check_inputs_outside(out, {"the corpus folder (ROOT)": root, "the annotation table (TABLE)": table})
    rows = read_corpus_table(table)
    skipped = []
    if options.classes:
        classes = class_set(options.classes)
        skipped = [{"folder": f"{subject_folder(r.subject)}/{r.filename}", "aus": list(r.aus), "line": r.line}
                   for r in rows if label_from_classes(r.aus, classes) is None]
        rows = [r for r in rows if label_from_classes(r.aus, classes) is not None]
        if not rows:
            raise DatasetError(where(table, f"no row matches a class of the {options.classes!r} class set"))
    folders = [find_frames(root, r) for r in rows]
    if options.face_box is not None:  # before any clip is simulated: a box mostly outside a clip's frames is refused
        for frames in folders:
            height, width = read_frame(frames[0][1]).shape[:2]
            box_in_frame(options.face_box, (width, height), f"{frames[0][1].parent}: face_box (--face-box)")
    ids = [f"{subject_folder(r.subject)}_{r.filename}" for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise DatasetError(where(table, f"several rows name the same clip folder: {sorted(dup)}"))
    twins = case_twins(ids)
    if twins:
        raise DatasetError(where(table, f"{differ_in_case(*twins)}; rename one of the two clip folders and its "
                                        "Filename in the table"))
    sensors = [corpus_sensor(s) for s in options.sensors]
    names = [name for name, _ in sensors]
    if len(set(names)) != len(names):
        raise ParameterError(f"two sensors share the clip name: {options.sensors}")

    tmp = out.with_name(out.name + ".partial")
    settings = {"root": str(root.resolve()), "table": str(Path(table).resolve()), **asdict(options)}
    settings.pop("overwrite")
    stamp = tmp / "import.json"
    if tmp.exists() and (not stamp.exists() or json.loads(stamp.read_text()) != json.loads(json.dumps(settings))):
        remove_partial(tmp)
    (tmp / "clips").mkdir(parents=True, exist_ok=True)
    if not stamp.exists():
        stamp.write_text(json.dumps(settings))

    period_us = 1e6 / options.fps
    manifest = []
    warnings: list[str] = []
    for i, (row, frames, clip_id) in enumerate(zip(rows, folders, ids)):
        tell("convert clips", i / len(rows))
        n0 = frames[0][0]
        apex = row.apex if row.apex is not None else (row.onset + row.offset) // 2
        clip_path = tmp / "clips" / f"{clip_id}.h5"
        onset_us, apex_us, offset_us = (round((n - n0) * 1e6 / options.fps) for n in (row.onset, apex, row.offset))
        duration_us = round(len(frames) * 1e6 / options.fps)
        if options.classes:
            label = label_from_classes(row.aus, classes)
        else:
            label = label_from_aus(row.aus) if options.label == "aus" else (row.emotion or "unknown")
        if not clip_path.exists():
            rgb = load_frames(frames)
            t_us = np.fromiter(frame_times(len(frames), options.fps), np.int64, len(frames))  # as simulate's video frames
            seen_us = list(scene_times(t_us, round(period_us)))
            events, infos, homs = {}, {}, {}
            for j, (name, spec) in enumerate(sensors):
                (w, h), preset = spec.size, spec.sensor.name
                homs[name] = Cover.of((rgb.shape[2], rgb.shape[1]), spec.size).homography
                sim = DvsSimulator(spec.size, DvsParams.preset(preset), seed=options.seed * 100_003 + i * 101 + j)
                lux = (frame_to_lux(f[:, :, ::-1], options.lux_white, spec.size) for f in rgb)  # RGB -> OpenCV's BGR
                events[name] = concatenate(list(iter_lux_events(sim, lux, seen_us, options.substeps)))
                infos[name] = SensorInfo(name, w, h, w, h, (0, 0, w, h), preset,
                                         {"lux_white": options.lux_white, "substeps": options.substeps})
            if options.face_box:
                box, note = box_in_frame(options.face_box, (rgb.shape[2], rgb.shape[1]), "face_box (--face-box)")
                warnings += [f"{clip_id}: {note}"] if note else []
            else:
                box, note = detect_face(
                    [rgb[k] for k in dict.fromkeys([apex - n0, *np.linspace(0, len(rgb) - 1, FACE_FRAMES - 1).round().astype(int)])],
                    options.min_face)
                if note:
                    warnings.append(f"{clip_id}: {note} (--min-face {options.min_face:g}; give --face-box X,Y,W,H to skip detection)")
            if box is None:
                raise DatasetError(where(frames[0][1].parent, f"table line {row.line}: no face found in the frames; "
                                                              "give --face-box X,Y,W,H (pixels of the frames) or lower --min-face"))
            face_box = {"rgb": [round(float(v), 2) for v in box]}
            for (name, spec) in sensors:
                face_box[name] = [round(v, 2) for v in map_box(homs[name], box)]
                kept = box_kept(face_box[name], spec.size)
                if kept["kept"] < FACE_KEPT:
                    warnings.append(f"{clip_id}: the {spec.size[0]}x{spec.size[1]} {name} window {describe_cut(kept)}; "
                                    f"give --sensor {fitting_size(spec, (rgb.shape[2], rgb.shape[1]))} (the frames' aspect)")
            if options.rgb_fps:
                data, rgb_t, exposure = resample_rgb(rgb, options.fps, options.rgb_fps)
                rgb_fps = options.rgb_fps
            else:
                data, rgb_t, exposure, rgb_fps = rgb, t_us, round(period_us), options.fps
            clip = Clip(
                clip_id=clip_id, subject=subject_folder(row.subject), label=label, aus=list(row.aus),
                lighting=options.lighting, onset_us=onset_us, apex_us=apex_us, offset_us=offset_us,
                duration_us=duration_us, events=events, sensors=infos,
                frames={"rgb": FrameSeries(data, rgb_t, np.full(len(rgb_t), exposure, np.int64), fps=float(rgb_fps),
                                           model="corpus", params={"source_fps": options.fps})},
                calibration={"homography": {n: homs[n].tolist() for n in names}, "face_box": face_box},
                extra={"source": "corpus", "folder": f"{subject_folder(row.subject)}/{row.filename}", "line": row.line,
                       "emotion": row.emotion, "apex_estimated": row.apex is None, "first_frame": n0},
            )
            write_clip(clip_path, clip)
        manifest.append({"clip_id": clip_id, "subject": subject_folder(row.subject), "label": label, "aus": list(row.aus),
                         "lighting": options.lighting, "file": f"clips/{clip_id}.h5", "onset_us": onset_us,
                         "apex_us": apex_us, "offset_us": offset_us, "duration_us": duration_us, "source": "corpus"})
    report = {"options": settings, "clips": ids, "skipped": skipped, "warnings": warnings}
    write_manifest(tmp, manifest)
    write_dataset_json(tmp, {"generator": "evface import corpus", "version": __version__, "seed": options.seed,
                             "params": settings, "import": report})
    stamp.unlink()
    publish_partial(tmp, out)
    tell("done", 1.0)
    return report
