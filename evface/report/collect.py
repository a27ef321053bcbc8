"""Gather what the report shows from run folders, dataset folders and ``evface run`` outputs.

A folder given to the report may be:

- an ``evface run`` output (it holds ``pipeline.json``): its dataset and every stage run;
- a training run (it holds ``config.json`` with a ``task``): that run and the dataset it names;
  a run without ``metrics.json`` (never evaluated) is an error, not left out silently;
- a dataset folder (it holds ``manifest.csv``).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from evface.io.clip import event_counts, read_clip, read_clip_meta
from evface.io.dataset import DatasetFolder
from evface.errors import DatasetError, FormatError, where
from evface.report import figures
from evface.tasks.classify import PREDICTIONS, compare_runs

PACKAGES = ("evface", "numpy", "scipy", "numba", "torch", "snntorch", "h5py", "opencv-python-headless",
            "scikit-image", "faery", "matplotlib")


@dataclass
class ReportData:
    """Everything the page shows, as plain values and encoded images."""

    run_dirs: list[Path]
    generated: str
    versions: dict[str, str]
    dataset: dict[str, Any] | None = None
    classify: list[dict[str, Any]] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    reconstruct: list[dict[str, Any]] = field(default_factory=list)
    configs: dict[str, Any] = field(default_factory=dict)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the results depend on."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(where(path, f"cannot read JSON ({exc})")) from exc


def collect(run_dirs: list[Path]) -> ReportData:
    """Read every folder in ``run_dirs`` into one :class:`ReportData`."""
    data = ReportData(run_dirs=run_dirs, versions=package_versions(),
                      generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    dataset_root: Path | None = None
    for root in run_dirs:
        if not root.is_dir():
            raise DatasetError(where(root, "no such folder"))
        if (root / "pipeline.json").exists():
            pipeline = _read_json(root / "pipeline.json")
            data.configs[f"{root.name}/pipeline"] = pipeline.get("config", {})
            dataset_root = dataset_root or Path(pipeline["data"])
            for stage in pipeline.get("stages", []):
                if stage.get("task") in ("classify", "reconstruct"):
                    _add_run(data, root / stage["dir"], stage["name"], stage.get("seconds"))
        elif (root / "config.json").exists():
            config = _read_json(root / "config.json")
            _add_run(data, root, root.name, None)
            if config.get("data"):
                dataset_root = dataset_root or Path(config["data"])
        elif (root / "manifest.csv").exists():
            dataset_root = dataset_root or root
        else:
            raise DatasetError(where(root, "neither an evface run, a training run nor a dataset folder"))
    if dataset_root is not None and (dataset_root / "manifest.csv").exists():
        data.dataset = dataset_summary(DatasetFolder.open(dataset_root))
    data.comparisons = event_vs_frame_comparisons(data.classify)
    return data


def event_vs_frame_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference of every event arm against every frame (RGB) arm scored on the same clips.

    Runs without ``predictions.csv`` (made before the protocol) are left out; a pair scored on
    different clips gets ``{"a", "b", "error"}`` instead of a comparison.
    """
    scored = [r for r in runs if (Path(r["dir"]) / PREDICTIONS).exists()]
    events = [r for r in scored if r["config"].get("input") == "events"]
    frames = [r for r in scored if r["config"].get("input") != "events"]
    out = []
    for a in events:
        for b in frames:
            try:
                out.append(compare_runs(a["dir"], b["dir"], names=(a["name"], b["name"])))
            except DatasetError as exc:
                out.append({"a": a["name"], "b": b["name"], "error": str(exc)})
    return out


def _add_run(data: ReportData, run: Path, name: str, seconds: float | None) -> None:
    config = _read_json(run / "config.json")
    metrics_path = run / "metrics.json"
    if not metrics_path.exists():
        raise FormatError(where(metrics_path, "missing: this run was not evaluated (interrupted?); finish it, "
                                              "or run 'evface eval RUN', or leave it out of the report"))
    metrics = _read_json(metrics_path)
    entry = {"name": name, "dir": str(run), "config": config, "metrics": metrics,
             "train_seconds": seconds if seconds is not None else metrics.get("train_seconds")}
    data.configs[name] = config
    if config.get("task") == "classify":
        if metrics.get("confusion_matrix") is not None:
            entry["confusion_png"] = figures.confusion_png(metrics["confusion_matrix"], metrics.get("labels", []), name)
        data.classify.append(entry)
    elif config.get("task") == "reconstruct":
        entry["strips"] = [p.read_bytes() for p in sorted(run.glob("*.png"))]
        data.reconstruct.append(entry)


def dataset_summary(ds: DatasetFolder) -> dict[str, Any]:
    """Counts, event statistics and sample figures of a dataset folder."""
    labels = ds.labels
    lightings = sorted({row["lighting"] for row in ds.rows})
    counts: dict[str, dict[str, int]] = {}
    events: dict[str, list[dict[str, int]]] = {}
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for row in ds.rows:
        counts.setdefault(row["label"], {}).setdefault(row["lighting"], 0)
        counts[row["label"]][row["lighting"]] += 1
        events.setdefault((row["label"], row["lighting"]), []).append(event_counts(ds.clip_path(row)))
        first.setdefault((row["label"], row["lighting"]), row)
    event_table: dict[str, dict[str, float]] = {}  # class -> "sensor lighting" -> mean events per clip
    for (label, lighting), cells in events.items():
        for sensor in cells[0]:
            event_table.setdefault(label, {})[f"{sensor} {lighting}"] = float(np.mean([c.get(sensor, 0) for c in cells]))
    summary: dict[str, Any] = {
        "root": str(ds.root),
        "description": f'{ds.info.get("generator", ds.info.get("importer", "dataset"))} '
                       f'(preset {ds.info.get("preset", "–")}, seed {ds.info.get("seed", "–")})',
        "n_clips": len(ds.rows),
        "n_subjects": len(ds.subjects),
        "labels": labels,
        "lightings": lightings,
        "counts": counts,
        "event_table": event_table,
    }
    samples = {}
    for key, row in first.items():
        clip = read_clip(ds.clip_path(row), sensors=[], truth=False)
        if "rgb" in clip.frames and len(clip.frames["rgb"].data):
            frames = clip.frames["rgb"]
            k = int(np.clip(np.searchsorted(frames.t_us, clip.apex_us) - 1, 0, len(frames.t_us) - 1))
            samples[key] = figures.crop_box(frames.data[k], clip.calibration.get("face_box", {}).get("rgb"))
    if samples:
        summary["face_grid"] = figures.face_grid(samples, labels, lightings)
    row = first.get((labels[0], lightings[0])) if labels and lightings else None
    if row is not None:
        meta = read_clip_meta(ds.clip_path(row))
        clip = read_clip(ds.clip_path(row), truth=False)
        summary["rate_plot"] = figures.event_rate_plot(clip)
        sensor = "hd" if "hd" in meta.sensors else next(iter(meta.sensors), None)
        if sensor is not None and "rgb" in clip.frames:
            summary["animation"] = figures.side_by_side_gif(clip, sensor)
            summary["animation_caption"] = (f"{clip.clip_id} ({clip.label}, {clip.lighting}): RGB frames (left) and the "
                                            f"{sensor} events of the same 33 ms (right; blue ON, red OFF), played 3x slower.")
    return summary
