"""A small, fake but well-formed ``evface run`` output for the report tests.

The clips carry random events and flat RGB frames; the metrics files follow the task modules'
layout, a classification's scores computed from its predictions by evface's own metric code
(:func:`classification_metrics`). Nothing here is a result: it only exercises the page.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np

from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.manifest import read_manifest, write_manifest
from evface.events.core import make_events
from evface.tasks import class_metrics

LABELS = ["AU1+2", "AU4", "AU12"]
LIGHTINGS = ["bright", "dim"]
HALF_RIGHT = [True, True, False, False, True, False]
"""An arm's clips of :func:`make_fake_run`'s dataset predicted correctly: half of them."""


def predicted(rows: list[dict], right: list[bool]) -> list[str]:
    """The label predicted for each manifest row of ``rows``: its own where ``right``, else the next of
    :data:`LABELS`."""
    return [r["label"] if ok else LABELS[(LABELS.index(r["label"]) + 1) % len(LABELS)]
            for r, ok in zip(rows, right, strict=True)]


def classification_metrics(rows: list[dict], predictions: list[str], labels: list[str] = LABELS) -> dict:
    """The scores and counts of a classification's ``metrics.json`` for ``predictions`` of the manifest
    ``rows``, over all clips and per lighting, computed as evface computes them
    (:func:`evface.tasks.class_metrics.clip_scores`; ``per_lighting`` without ``labels``); the intervals
    are the caller's (one subject: ``None``, as evface writes them)."""

    def one(mask: list[bool]) -> dict:
        sel = [(r, p) for r, p, m in zip(rows, predictions, mask, strict=True) if m]
        scores = class_metrics.clip_scores(class_metrics.indices_of([r["label"] for r, _ in sel], labels),
                                           class_metrics.indices_of([p for _, p in sel], labels),
                                           [r["subject"] for r, _ in sel], labels)
        scores["confusion_matrix"] = scores.pop("confusion")
        return scores

    out = one([True] * len(rows))
    out["per_lighting"] = {lt: {k: v for k, v in one([r["lighting"] == lt for r in rows]).items()
                                if k not in ("labels", "confusion_matrix")}
                           for lt in sorted({r["lighting"] for r in rows})}
    return out


def _clip(clip_id: str, subject: str, label: str, lighting: str, rng: np.random.Generator) -> Clip:
    n = 2000
    sensors = {"hd": SensorInfo("hd", 64, 48, 1280, 720, (600, 300, 64, 48), "evk4"), "lr": SensorInfo("lr", 32, 24, model="davis346")}
    events = {
        name: make_events(np.sort(rng.integers(0, 400_000, n)), rng.integers(0, s.width, n), rng.integers(0, s.height, n),
                          rng.choice([-1, 1], n))
        for name, s in sensors.items()
    }
    t = np.arange(0, 400_000, 33_333)
    frames = np.full((t.size, 48, 64, 3), 120, dtype=np.uint8)
    frames[:, 10:38, 16:48] = rng.integers(150, 220, 3, dtype=np.uint8)
    return Clip(clip_id, subject, label, [int(a) for a in label[2:].split("+")], lighting, 100_000, 180_000, 300_000, 400_000,
                events=events, sensors=sensors,
                frames={"rgb": FrameSeries(frames, t, np.full(t.size, 10_000), fps=30.0, model="webcam30")},
                truth={"hd": TruthSeries(np.full((t.size, 48, 64), 100.0, np.float32), t)},  # synthetic, as far as `run` can tell
                calibration={"face_box": {"rgb": [16, 10, 32, 28], "hd": [16, 10, 32, 28], "lr": [8, 5, 16, 14]}})


def write_reconstruction_scores(folder: Path, data: Path, seeds: tuple[int, ...] = (0,), noise_seed: int = 0) -> dict:
    """A reconstruction's ``scores.csv``, ``metrics.json`` and, for several ``seeds``, ``seed_scores.csv`` in
    ``folder``, as ``evface eval`` scores a run (:mod:`evface.tasks.recon_eval`: each training's
    :func:`~evface.tasks.recon_eval.sample_scores`, their mean, :func:`~evface.tasks.recon_eval.score` of it
    and each training's summary), of noisy copies of a random target by three methods (``cvae`` and
    ``e2vid`` trained, other noise each training; ``keyframe``): two samples of each clip of the dataset
    folder ``data``, the second its apex, on a 32-pixel grid, each subject tested by the part of its parity.
    Returns the metrics written."""
    from evface.inputs.reconstruct import ARRAYS, ReconSamples, ReconSpec
    from evface.tasks import recon_eval

    rows = read_manifest(data)
    n = 2 * len(rows)
    meta = {k: np.repeat(np.array([str(r[k]) for r in rows]), 2) for k in ("clip_id", "subject", "lighting")}
    meta |= {"aus": np.repeat(np.array(["+".join(str(a) for a in r["aus"]) for r in rows]), 2),
             "onset_us": np.zeros(n), "apex_us": np.full(n, 100), "offset_us": np.full(n, 150)}
    s = ReconSamples(**{name: np.zeros(n, np.int64) for name in ARRAYS}, meta=meta)
    s.t_us[:] = np.tile([50, 100], len(rows))
    rng = np.random.default_rng(noise_seed)
    s.target = rng.random((n, 32, 32))
    spec = ReconSpec(size=32, step_us=50)
    keyframe = np.clip(s.target + rng.normal(0, 0.2, s.target.shape), 0, 1)
    per_seed = [recon_eval.sample_scores({m: np.clip(s.target + rng.normal(0, noise, s.target.shape), 0, 1)
                                          for m, noise in (("cvae", 0.05), ("e2vid", 0.1))} | {"keyframe": keyframe}, s, spec)
                for _ in seeds]
    scores = recon_eval.mean_scores(per_seed)
    subjects = sorted(set(meta["subject"].tolist()))
    metrics = recon_eval.score(scores, s, spec) | {
        "task": "reconstruct", "grid": {"size": 32}, "n_samples": n, "n_clips": len(rows), "n_subjects": len(subjects),
        "subjects": subjects, "evaluation": "2 subject folds", "data": str(data), "seeds": list(seeds)}
    (folder / "scores.csv").write_text(recon_eval.scores_text(scores, s, spec))
    if len(seeds) > 1:
        parts = np.array([subjects.index(x) % 2 for x in meta["subject"]])
        metrics |= {"per_seed": [{"seed": seed, **recon_eval.seed_summary(sc, s)} for seed, sc in zip(seeds, per_seed, strict=True)],
                    "cvae_vs_over_trainings": recon_eval.training_intervals(per_seed, s, parts)}
        (folder / "seed_scores.csv").write_text(recon_eval.seed_scores_text(per_seed, list(seeds), ["cvae", "e2vid"], s, parts))
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return metrics


def make_fake_run(root: Path, subjects: int = 2) -> Path:
    """Write a dataset of ``subjects`` subjects and one classification and one reconstruction run
    under ``root``."""
    rng = np.random.default_rng(0)
    data = root / "data"
    rows = []
    for i, (label, lighting) in enumerate((lb, lt) for lb in LABELS for lt in LIGHTINGS):
        clip = _clip(f"c{i:03d}", f"s{i % subjects}", label, lighting, rng)
        write_clip(data / "clips" / f"{clip.clip_id}.h5", clip)
        rows.append({"clip_id": clip.clip_id, "subject": clip.subject, "label": label, "aus": clip.aus, "lighting": lighting,
                     "file": f"clips/{clip.clip_id}.h5", "onset_us": 100_000, "apex_us": 180_000, "offset_us": 300_000,
                     "duration_us": 400_000, "source": "fake"})
    write_manifest(data, rows)
    write_dataset_json(data, {"generator": "fake fixture", "preset": "test", "seed": 0})
    stages = []
    cls = root / "stages" / "events-hd-0"
    cls.mkdir(parents=True)
    (cls / "config.json").write_text(json.dumps({"task": "classify", "input": "events", "sensor": "hd", "data": str(data)}))
    scores = classification_metrics(rows, predicted(rows, HALF_RIGHT))  # a run scored before predictions.csv
    for part in [scores, *scores["per_lighting"].values()]:
        del part["n"], part["n_subjects"]  # counts not recorded: "–" on the page
    (cls / "metrics.json").write_text(json.dumps({**scores, "synops": 1.2e6, "ann_macs": 3.4e6,
                                                  "spike_rate_per_layer": [0.1, 0.05], "torch_threads": [1]}))
    stages.append({"name": "events-hd", "task": "classify", "dir": "stages/events-hd-0", "seconds": 12.0})
    rec = root / "stages" / "recon-hd-0"
    rec.mkdir(parents=True)
    (rec / "config.json").write_text(json.dumps({"task": "reconstruct", "sensor": "hd", "data": str(data), "epochs": 3}))
    fits = {"cvae": {"best_epoch": 2, "best_score": 0.9494, "epochs_run": 3, "stopped_early": False},
            "e2vid": {"best_epoch": 1, "best_score": 0.9415, "epochs_run": 3, "stopped_early": False}}
    (rec / "train.json").write_text(json.dumps({"parts": [{"name": "fold0", **fits, "torch_threads": 1}], "torch_threads": [1]}))
    scores = {"ssim": 0.6, "psnr": 20.0, "mse": 0.01}
    methods = {m: {"all": scores | {"per_lighting": {lt: scores for lt in LIGHTINGS}},
                   "apex": {area: scores for area in ("face", "active", "brows", "mouth")},
                   "apex_by": {"aus": {"1+2": {"n": 2, "face_ssim": 0.7, "active_ssim": 0.6543}},
                               "lighting": {"bright": {"n": 2, "face_ssim": 0.7, "active_ssim": 0.6123},
                                            "dim": {"n": 2, "face_ssim": 0.7, "active_ssim": 0.6789}}}}
               for m in ("cvae", "integration", "keyframe")}
    methods["cvae"]["apex_interval"] = {"face": {"mean": 0.6, "ci": [0.5512, 0.6488], "n": 4, "n_clusters": 2}}
    gain = {"apex_active_ssim": {"mean": 0.02, "ci": [0.01, 0.03], "n": 4, "n_clusters": 2}}
    (rec / "metrics.json").write_text(json.dumps({"methods": methods, "gain_over_keyframe": {"cvae": gain},
                                                  "cvae_vs": {"keyframe": gain | {"apex_by_lighting": {"dim": {
                                                      "face": {"mean": -0.0123, "ci": [-0.02, -0.004], "n": 2,
                                                               "n_clusters": 2}}}}},
                                                  "latent": {"kl_per_channel": [1.0, 0.5], "k": 4, "spread_face": 0.01,
                                                             "spread_moving": 0.02, "spread_static": 0.005},
                                                  "torch_threads": [1]}))
    stages.append({"name": "recon-hd", "task": "reconstruct", "dir": "stages/recon-hd-0", "seconds": 30.0})
    for stage in stages:  # finished, as evface run marks them
        (root / stage["dir"] / "stage.json").write_text(json.dumps({**stage, "config": {}}))
    record = {"preset": "test", "data": "data", "config": {}, "stages": stages}  # inside the run: relative to it
    (root / "pipeline.json").write_text(json.dumps(record))
    return root


def copy_fake_results(fake: Path, stage, run_dir: Path, jobs: int) -> None:
    """A stage runner for pipeline tests: copy the fake run's results instead of training.

    Module-level (picklable) so that the pipeline's worker processes can run it.
    """
    source = fake / ("stages/events-hd-0" if stage.task == "classify" else "stages/recon-hd-0")
    for name in ("config.json", "metrics.json"):
        (run_dir / name).write_text((source / name).read_text())
    (run_dir / "ran-in-pid").write_text(str(__import__("os").getpid()))


_DRAWN: dict[bytes, bytes] = {}


def draw_each_figure_once(monkeypatch) -> None:
    """Make the report's figures of inputs drawn before in this process those bytes again, for the
    rest of the test (``monkeypatch``): tests that build many reports of the same clips and runs drew
    their figures each time (about 0.3 s each, most of a report's time). A figure of other inputs
    is drawn."""
    from evface.report import figures  # lazy: matplotlib, for the tests that build reports only

    for name in ("identity_grid", "face_grid", "event_rate_plot", "side_by_side_gif", "confusion_png"):
        monkeypatch.setattr(figures, name, _drawn_once(name, getattr(figures, name)))


def _drawn_once(name: str, draw):
    """``draw``, remembering its bytes by the pickled inputs."""
    def drawn(*args, **kwargs):
        key = hashlib.sha256(pickle.dumps((name, args, sorted(kwargs.items())))).digest()
        if key not in _DRAWN:
            _DRAWN[key] = draw(*args, **kwargs)
        return _DRAWN[key]
    return drawn
