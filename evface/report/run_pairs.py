"""The paired differences the report shows of runs that differ in one thing: events against frames,
hd against lr events (classification) and hd against lr (reconstruction).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from evface.errors import DatasetError
from evface.tasks import recon_compare
from evface.tasks.class_compare import PREDICTIONS, compare_runs
from evface.tasks.recon_eval import SCORES_CSV
from evface.tasks.run_clips import recorded_clips
from evface.tasks.run_folder import VERSION


def _compare_pairs(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]],
                   compare: Callable[..., dict[str, Any]], scores: str) -> list[dict[str, Any]]:
    """``compare(a, b)`` of each pair of runs, or ``{"a", "b", "error"}`` when their clips or samples
    differ or a run has no per-clip or per-sample ``scores`` file (scored before evface wrote it, or
    left out of a copy; it was left out of the pairs without a word)."""
    out = []
    for a, b in pairs:
        lacking = [r["name"] for r in (a, b) if not (Path(r["dir"]) / scores).exists()]
        if lacking:
            out.append({"a": a["name"], "b": b["name"], "error": f"no {scores} in {' and '.join(lacking)} (left out "
                        "of a copy, or scored before evface wrote it: evface eval RUN --data DATA writes it)"})
            continue
        try:
            out.append(compare(a["dir"], b["dir"], names=(a["name"], b["name"])))
        except DatasetError as exc:
            out.append({"a": a["name"], "b": b["name"], "error": str(exc)})
    return out


def _alike(hd: list[dict[str, Any]], lr: list[dict[str, Any]],
           key: Callable[[dict[str, Any]], str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (hd, lr) pair of runs with the same ``key``, each run's key computed once (it reads
    the run's ``data-clips.json``)."""
    lr_keys = [key(b) for b in lr]
    return [(a, b) for a in hd for ka in [key(a)] for b, kb in zip(lr, lr_keys) if ka == kb]


def _trained_on(run: dict[str, Any]) -> Any:
    """What a run was trained on, for pairing runs: the clips of its ``data-clips.json`` with their
    files' sizes and hashes where recorded (so a dataset moved or copied between two trainings is
    still the same dataset, and the same rows rendered again with other event noise are not), or,
    for a run made before that file, the dataset folder its configuration names."""
    recorded = recorded_clips(run["dir"])
    return [recorded[0], recorded[1]] if recorded is not None else run["config"].get("data")


def event_vs_frame_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference of every event arm against every frame (RGB) arm scored on the same clips.

    A pair scored on different clips, or of a run without ``predictions.csv``, gets ``{"a", "b",
    "error"}`` instead of a comparison.
    """
    events = [r for r in runs if r["config"].get("input") == "events"]
    frames = [r for r in runs if r["config"].get("input") != "events"]
    return _compare_pairs(((a, b) for a in events for b in frames), compare_runs, PREDICTIONS)


def hd_vs_lr_event_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference hd - lr of every two event classification runs that differ only in the sensor.

    "Only in the sensor": the same configuration but for ``sensor`` (and the device the run used),
    so the same model, protocol and clips. A pair scored on different clips, or of a run without
    ``predictions.csv``, gets ``{"a", "b", "error"}``.
    """
    def key(r: dict[str, Any]) -> str:
        config = {k: v for k, v in r["config"].items() if k not in ("sensor", "device", "models", VERSION)}
        config["spec"] = {k: v for k, v in config.get("spec", {}).items() if k != "sensor"}
        config["data"] = _trained_on(r)
        return json.dumps(config, sort_keys=True, default=str)

    events = [r for r in runs if r["config"].get("input") == "events"]
    hd = [r for r in events if r["config"].get("sensor") == "hd"]
    lr = [r for r in events if r["config"].get("sensor") == "lr"]
    return _compare_pairs(_alike(hd, lr, key), compare_runs, PREDICTIONS)


def hd_vs_lr_comparisons(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paired difference hd - lr of every two reconstruction runs that differ only in the sensor.

    "Only in the sensor": the same dataset and sample spec but for ``sensor`` (so the same samples
    on the same grid). A pair whose samples differ, or of a run without ``scores.csv``, gets
    ``{"a", "b", "error"}``.
    """
    def key(r: dict[str, Any]) -> str:
        spec = {k: v for k, v in r["config"].get("spec", {}).items() if k != "sensor"}
        return json.dumps([_trained_on(r), spec], sort_keys=True)

    hd = [r for r in runs if r["config"].get("sensor") == "hd"]
    lr = [r for r in runs if r["config"].get("sensor") == "lr"]
    return _compare_pairs(_alike(hd, lr, key), recon_compare.compare_runs, SCORES_CSV)
