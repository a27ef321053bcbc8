"""``evface run``: from nothing to a report, in stages that are skipped once done.

The stages are: build the synthetic dataset (unless a dataset folder is given), train and
evaluate the classifier for events-hd, events-lr, rgb and rgb-diff, train and evaluate the
reconstructor for hd and lr (with its baselines), then write the report. Each stage runs in its
own folder ``OUT/stages/<name>-<key>`` where ``key`` hashes the stage's configuration, and
leaves ``stage.json`` there when it has finished; a second run skips every stage whose
``stage.json`` exists, so an interrupted run resumes where it stopped (training itself resumes
from its last checkpoint). ``OUT/pipeline.json`` lists the stages for the report.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evface.data.dataset import atomic_write_text
from evface.errors import ParameterError

STAGE_DONE = "stage.json"

PRESETS: dict[str, dict[str, Any]] = {
    # Training budgets sized so that ``make run`` finishes within ~15 minutes on 2 cores.
    "quick": {"classify_epochs": 30, "reconstruct_epochs": 12, "patience": 8},
    "paper": {"classify_epochs": 80, "reconstruct_epochs": 40, "patience": 15},
}

CLASSIFY_VARIANTS = (
    ("events-hd", {"input": "events", "sensor": "hd"}),
    ("events-lr", {"input": "events", "sensor": "lr"}),
    ("rgb", {"input": "rgb", "sensor": "hd"}),
    ("rgb-diff", {"input": "rgb-diff", "sensor": "hd"}),
)
RECONSTRUCT_VARIANTS = (
    ("recon-hd", {"sensor": "hd", "keyframe": True}),
    ("recon-lr", {"sensor": "lr", "keyframe": True}),
)


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a task name, its configuration and its folder."""

    name: str
    task: str
    config: dict[str, Any] = field(hash=False)

    @property
    def key(self) -> str:
        """First 10 hex digits of the SHA-256 of the configuration (stable across runs)."""
        blob = json.dumps({"task": self.task, **self.config}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def dirname(self) -> str:
        return f"stages/{self.name}-{self.key}"


def plan(preset: str, data_dir: Path | None, out: Path, seed: int = 0) -> tuple[Path, list[Stage]]:
    """The dataset folder and the stages of a run, without running anything."""
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    budget = PRESETS[preset]
    stages: list[Stage] = []
    if data_dir is None:
        data_dir = out / "data"
        stages.append(Stage("synth", "synth", {"preset": preset, "seed": seed, "out": str(data_dir)}))
    for name, variant in CLASSIFY_VARIANTS:
        stages.append(Stage(name, "classify", {"data": str(data_dir), "seed": seed, "epochs": budget["classify_epochs"],
                                               "patience": budget["patience"], **variant}))
    for name, variant in RECONSTRUCT_VARIANTS:
        stages.append(Stage(name, "reconstruct", {"data": str(data_dir), "seed": seed,
                                                  "epochs": budget["reconstruct_epochs"], **variant}))
    return data_dir, stages


def _run_stage(stage: Stage, run_dir: Path) -> None:
    cfg = dict(stage.config)
    if stage.task == "synth":
        from evface.data.synth import synthesize

        synthesize(Path(cfg["out"]), preset=cfg["preset"], seed=cfg["seed"])
    elif stage.task == "classify":
        from evface.tasks import classify

        classify.train_and_evaluate(run_dir=run_dir, **cfg)
    elif stage.task == "reconstruct":
        from evface.tasks import reconstruct

        reconstruct.train_and_evaluate(run_dir=run_dir, **cfg)
    else:  # pragma: no cover - plan() only makes the tasks above
        raise ParameterError(f"unknown stage task {stage.task!r}")


def run_pipeline(
    out: str | Path,
    preset: str = "quick",
    data_dir: str | Path | None = None,
    seed: int = 0,
    log: Callable[[str], None] = lambda message: None,
) -> Path:
    """Run every stage not yet done, write ``OUT/report.html`` and return its path."""
    from evface.report.html import build_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data, stages = plan(preset, Path(data_dir) if data_dir is not None else None, out, seed)
    record = {"preset": preset, "data": str(data.resolve()), "config": {"preset": preset, "seed": seed, **PRESETS[preset]},
              "stages": []}
    for i, stage in enumerate(stages, start=1):
        run_dir = out / stage.dirname
        done = run_dir / STAGE_DONE
        if done.exists():
            info = json.loads(done.read_text())
            log(f"[{i}/{len(stages)}] {stage.name}: done before ({info['seconds']:.0f} s), skipped")
        else:
            log(f"[{i}/{len(stages)}] {stage.name}: running")
            run_dir.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            _run_stage(stage, run_dir)
            info = {"name": stage.name, "task": stage.task, "config": stage.config, "seconds": time.perf_counter() - start}
            atomic_write_text(done, json.dumps(info, indent=2, sort_keys=True))
            log(f"[{i}/{len(stages)}] {stage.name}: finished in {info['seconds']:.0f} s")
        record["stages"].append({"name": stage.name, "task": stage.task, "dir": stage.dirname, "seconds": info["seconds"]})
    atomic_write_text(out / "pipeline.json", json.dumps(record, indent=2, sort_keys=True))
    report = build_report([out], out / "report.html")
    log(f"report: {report}")
    return report
