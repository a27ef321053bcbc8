"""The rest of the Python API a researcher imports in a notebook, each public callable called with
one argument at a time hostile, as ``tests/test_fuzz_api.py`` sweeps the events, files, camera
models and faces.

:func:`calls` lists, each with a valid baseline call on tiny inputs, the clip writer of
:mod:`evface.io.clip_writer`, the input builders of :mod:`evface.inputs` (classify and
reconstruct inputs, splits, AU regions, flow, clip views), the statistics, metrics, configs,
registry and figure formatting of :mod:`evface.tasks`, the networks of :mod:`evface.models` (built
small, one forward pass), the plans of :mod:`evface.datasets`, the timelines of :mod:`evface.rig`
and the figures of :mod:`evface.report`. Each argument in turn is replaced by each of
:func:`fuzz_values.hostile_values`, and the call must keep :func:`fuzz_values.outcome`'s property:
a result shaped like the baseline's (numbers are compared as an array: a dict's numbers, a
tensor's values), an :class:`~evface.errors.EvfaceError`, or a TypeError or ValueError naming the
argument; nothing else, and no array given changed in place. Each group runs in a memory-capped
child Python (:func:`fuzz_children.run_child`).

The tests after the sweep pin each defect it found, one at a time, in this process.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

from evface.errors import FormatError, ParameterError
from evface.io import clip_reader, clip_writer
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries
from evface.tasks import class_metrics, configs, figure_format, image_metrics, registry, stats

from fuzz_children import run_child
from fuzz_values import Calls, events, sweep

SIZE = (8, 6)
"""The sensor of the baseline events: ``(width, height)``."""

PEAK_MB = 2500
"""The most memory a child may hold at its peak: no hostile size may allocate before it is refused."""


def numbers(value: Any) -> np.ndarray:
    """The numbers of a result as one float64 array: a dict's or list's (flattened, in order), a
    tensor's values; what is no number (text, None) is left out."""
    if isinstance(value, torch.Tensor):
        return value.detach().double().numpy()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        parts = [numbers(v).ravel() for v in value]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(value, (bool, int, float, np.number, np.ndarray)):
        return np.asarray(value, np.float64)
    return np.zeros(0)


def clip(fps: Any = 30.0, exposure_us: Any = None, t_us: Any = None, aus: Any = (12,)) -> Clip:
    """A tiny clip: six events on sensor ``lr``, two RGB frames, two truth frames; the frames'
    fields set after the :class:`FrameSeries` is made (what ``write_clip`` must check itself)."""
    frames = FrameSeries(np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 500]), np.array([100, 100]), fps=30.0)
    frames.fps = fps
    frames.t_us = np.array([0, 500]) if t_us is None else t_us
    frames.exposure_us = np.array([100, 100]) if exposure_us is None else exposure_us
    return Clip("c0", "s0", "AU12", aus, "bright", 0, 10, 20, 60, events={"lr": events()},
                sensors={"lr": SensorInfo("lr", *SIZE)}, frames={"rgb": frames},
                truth={"lr": TruthSeries(np.ones((2, SIZE[1], SIZE[0]), np.float32), np.array([0, 500]))})


def _clip_written(folder: Path) -> Callable[..., np.ndarray]:
    def write(fps: Any, exposure_us: Any, t_us: Any, aus: Any) -> np.ndarray:
        read = clip_reader.read_clip(clip_writer.write_clip(folder / "c0.h5", clip(fps, exposure_us, t_us, aus)))
        frames = read.frames["rgb"]
        return np.concatenate([[frames.fps], frames.exposure_us, frames.t_us]).astype(np.float64)
    return write


def _files(folder: Path) -> Calls:
    return {
        "write_clip": (_clip_written(folder), dict(fps=30.0, exposure_us=np.array([100, 100]),
                                                   t_us=np.array([0, 500]), aus=[12])),
        "write_clip (path)": (lambda path: numbers(clip_reader.read_clip(clip_writer.write_clip(path, clip())).aus),
                              dict(path=folder / "p.h5")),
    }


def _tasks(folder: Path) -> Calls:
    y, pred, subjects = [0, 1, 2, 0, 1, 2], [0, 1, 1, 0, 2, 2], ["a", "a", "b", "b", "c", "c"]
    cm, logits = class_metrics.confusion_matrix(y, pred, 3), np.random.default_rng(0).normal(size=(2, 6, 3))
    img = np.linspace(0, 1, 2 * 12 * 12).reshape(2, 12, 12).astype(np.float32)
    values, runs = np.linspace(0.1, 0.9, 6), np.array([0, 0, 1, 1, 0, 1])
    classify, recon = configs.ClassifyConfig().to_dict(), configs.ReconstructConfig().to_dict()
    return {
        "subject_folds": (stats.subject_folds, dict(clips_per_subject={"a": 2, "b": 3, "c": 1}, k=3, seed=0)),
        "subject_parts": (lambda rows, folds, val_fraction, test_fraction, seed: [
            len(part["train"]) for part in stats.subject_parts(rows, folds, val_fraction, test_fraction, seed)],
            dict(rows=[{"subject": s} for s in subjects], folds=0, val_fraction=0.3, test_fraction=0.3, seed=0)),
        "resample_counts": (stats.resample_counts, dict(n_groups=3, resamples=4, seed=0)),
        "percentile_interval": (stats.percentile_interval, dict(values=np.linspace(0, 1, 20), level=0.9)),
        "bootstrap_interval": (lambda y_true, y_pred, subjects, n_classes, resamples, level, seed: numbers(
            stats.bootstrap_interval(y_true, y_pred, subjects, n_classes, resamples=resamples, level=level, seed=seed)),
            dict(y_true=y, y_pred=pred, subjects=subjects, n_classes=3, resamples=20, level=0.95, seed=0)),
        "paired_bootstrap": (lambda y_true, pred_a, pred_b, subjects, n_classes: numbers(stats.paired_bootstrap(
            y_true, pred_a, pred_b, subjects, n_classes, resamples=20)),
            dict(y_true=y, pred_a=pred, pred_b=y, subjects=subjects, n_classes=3)),
        "training_bootstrap": (lambda y_true, logits, folds, subjects: numbers(stats.training_bootstrap(
            y_true, logits, folds, subjects, resamples=20)),
            dict(y_true=y, logits=logits, folds=[0] * 6, subjects=subjects)),
        "paired_training_bootstrap": (lambda logits_a, folds_a, logits_b, folds_b: numbers(
            stats.paired_training_bootstrap(y, logits_a, folds_a, logits_b, folds_b, subjects, resamples=20)),
            dict(logits_a=logits, folds_a=[0] * 6, logits_b=logits[::-1].copy(), folds_b=[0] * 6)),
        "mcnemar_exact": (stats.mcnemar_exact, dict(a_only=3, b_only=1)),
        "describe_difference": (stats.describe_difference, dict(name_a="a", name_b="b", ci=[0.1, 0.2])),
        "class_indices": (lambda values, n_classes: class_metrics.class_indices("values", values, n_classes).ravel(),
                          dict(values=y, n_classes=3)),
        "confusion_matrix": (class_metrics.confusion_matrix, dict(y_true=y, y_pred=pred, n_classes=3)),
        **{f"class_metrics.{f.__name__}": (f, dict(cm=cm)) for f in (
            class_metrics.counts, class_metrics.per_class_f1, class_metrics.per_class_recall, class_metrics.top1,
            class_metrics.macro_f1, class_metrics.uf1, class_metrics.uar)},
        "class_metrics.summarize": (lambda cm, labels: numbers(class_metrics.summarize(cm, labels)),
                                    dict(cm=cm, labels=["a", "b", "c"])),
        **{f"image_metrics.{f.__name__}": (f, dict(a=img, b=img[::-1].copy())) for f in (
            image_metrics.ssim_map, image_metrics.ssim, image_metrics.mse, image_metrics.psnr)},
        "image_metrics.ssim (data_range)": (lambda data_range: image_metrics.ssim(img, img[::-1].copy(), data_range),
                                            dict(data_range=1.0)),
        "image_metrics": (lambda pred, truth: numbers(image_metrics.image_metrics(pred, truth)),
                          dict(pred=img, truth=img[::-1].copy())),
        "region_metrics": (lambda pred, truth, masks: numbers(image_metrics.region_metrics(pred, truth, masks)["m"]),
                           dict(pred=img, truth=img[::-1].copy(), masks={"m": np.ones((12, 12), bool)})),
        "cluster_mean_interval": (lambda values, clusters, resamples, level, seed: numbers(
            image_metrics.cluster_mean_interval(values, clusters, resamples=resamples, level=level, seed=seed)),
            dict(values=values, clusters=subjects, resamples=20, level=0.95, seed=0)),
        "cluster_training_interval": (lambda values, clusters, units: numbers(image_metrics.cluster_training_interval(
            values, clusters, units, resamples=20)), dict(values=np.stack([values, values[::-1]]), clusters=subjects,
                                                          units=runs)),
        "paired_training_interval": (lambda values_a, units_a, values_b, units_b: numbers(
            image_metrics.paired_training_interval(values_a, units_a, values_b, units_b, subjects, resamples=20)),
            dict(values_a=values[None], units_a=runs, values_b=values[None] / 2, units_b=runs)),
        "image_metrics.summarize": (lambda per_image, groups: numbers(image_metrics.summarize(per_image, groups)),
                                    dict(per_image={"ssim": values}, groups={"subject": subjects})),
        "figure_format.number": (figure_format.number, dict(value=0.25, spec=".2f")),
        "figure_format.fixed": (figure_format.fixed, dict(value=0.25, digits=2, scale=100.0, sign="+")),
        "figure_format.fixed_interval": (figure_format.fixed_interval, dict(ci=[0.1, 0.2], digits=2, scale=1.0)),
        "figure_format.with_interval": (figure_format.with_interval, dict(value=0.1, ci=[0.0, 0.2], digits=2)),
        "figure_format.mean_with_interval": (figure_format.mean_with_interval,
                                             dict(d={"mean": 0.5, "ci": [0.4, 0.6]}, value=0.5, digits=4)),
        "figure_format.one_lighting": (figure_format.one_lighting, dict(lightings=["bright"])),
        "figure_format.few_subjects": (figure_format.few_subjects, dict(n=2, coverage="subjects")),
        "figure_format.interval": (figure_format.interval, dict(ci=[0.1, 0.2], spec=".2f")),
        **{f"ClassifyConfig.{key}": (lambda value, key=key: numbers(configs.ClassifyConfig.from_dict(
            {**classify, key: value}).to_dict()), dict(value=value)) for key, value in classify.items()},
        **{f"ReconstructConfig.{key}": (lambda value, key=key: numbers(configs.ReconstructConfig.from_dict(
            {**recon, key: value}).to_dict()), dict(value=value)) for key, value in recon.items()},
        "ClassifyConfig.given": (lambda config: configs.ClassifyConfig.given(config).size,
                                 dict(config=configs.ClassifyConfig())),
        "registry.get": (lambda name: registry.get(name).name, dict(name="classify")),
        "registry.task_of_run": (lambda run_dir: registry.task_of_run(run_dir).name, dict(run_dir=_run(folder))),
    }


def _run(folder: Path) -> Path:
    """A run folder of the classify task, as far as :func:`registry.task_of_run` reads it."""
    run = folder / "run"
    run.mkdir(exist_ok=True)
    (run / "config.json").write_text(json.dumps({"task": "classify", **configs.ClassifyConfig().to_dict()}))
    return run


GROUPS = ("files", "tasks")


def calls(folder: Path, group: str) -> Calls:
    """``name: (callable, baseline arguments)`` of the public API in ``group``; files under ``folder``."""
    return {"files": _files, "tasks": _tasks}[group](folder)


def _sweep(group: str, folder: str) -> None:
    """Child process: every argument of every callable of ``group`` replaced by each hostile value;
    in ``folder``, where a path given as text (``"x"``) is written."""
    os.chdir(folder)
    sweep(lambda: calls(Path(folder), group), PEAK_MB)


@pytest.mark.parametrize("group", GROUPS)
def test_hostile_arguments(group: str, tmp_path: Path) -> None:
    run_child(__file__, "sweep", group, tmp_path, timeout=300, named=group)


def test_a_clip_frame_rate_or_exposure_off_range_is_refused_unwritten(tmp_path: Path) -> None:
    path = tmp_path / "c0.h5"
    for fps in (math.nan, -30.0, math.inf, "30", None):
        with pytest.raises(ParameterError, match=r"c0.h5: Clip.frames\['rgb'\].fps must be"):
            clip_writer.write_clip(path, clip(fps=fps))  # was: written, and read back as given
    with pytest.raises(ParameterError, match=r"Clip.frames\['rgb'\].exposure_us must be >= 0 µs, got -5 \(frame 1\)"):
        clip_writer.write_clip(path, clip(exposure_us=np.array([100, -5])))
    assert not path.exists() and list(tmp_path.iterdir()) == []
    assert clip_reader.read_clip(clip_writer.write_clip(path, clip(fps=0.0))).frames["rgb"].fps == 0.0  # not stated


def test_clip_frame_times_set_after_the_series_was_made_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "c0.h5"
    for key, value in (("t_us", 0), ("exposure_us", 1.5), ("t_us", 2**63), ("exposure_us", np.array([100, 100, 100]))):
        with pytest.raises(ParameterError, match=rf"c0.h5: Clip.frames\['rgb'\].{key} must be 1-D, one per image \(2\)"):
            clip_writer.write_clip(path, clip(**{key: value}))  # was an IndexError (too many indices), or an OverflowError
    made = clip()
    made.truth["lr"].t_us = np.zeros((2, 2), np.int64)
    with pytest.raises(ParameterError, match=r"Clip.truth\['lr'\].t_us must be 1-D"):
        clip_writer.write_clip(path, made)
    assert not path.exists()


def test_class_metrics_name_a_matrix_that_is_no_confusion_matrix() -> None:
    metrics = (class_metrics.counts, class_metrics.per_class_f1, class_metrics.per_class_recall, class_metrics.top1,
               class_metrics.macro_f1, class_metrics.uf1, class_metrics.uar)
    for cm, match in (([1, 2], "cm must be a confusion matrix"), (np.zeros((2, 3)), "cm must be a confusion matrix"),
                      (math.inf, "cm must be a confusion matrix"), ([[1, -1], [0, 2]], "cm must hold counts"),
                      ([[0.5, 1], [0, 2]], "cm must hold counts"), ([[1e30, 0], [0, 1]], "cm must hold counts"),
                      ([["a", "b"], ["c", "d"]], "cm must be a confusion matrix of counts")):
        for metric in metrics:  # was numpy's "diag requires ...", an OverflowError, or a metric of negative counts
            with pytest.raises(ParameterError, match=match):
                metric(cm)
    with pytest.raises(ParameterError, match="labels must be a list of class names"):
        class_metrics.summarize(np.eye(2, dtype=int), 2.0)  # was "object of type 'float' has no len()"
    for n_classes in (math.nan, "3", None):
        with pytest.raises(ParameterError, match="n_classes must"):
            class_metrics.class_indices("y", [0, 1], n_classes)  # was numpy's "ufunc 'greater_equal' ..."
    with pytest.raises(ParameterError, match="y must be class indices, got dtype"):
        class_metrics.class_indices("y", np.zeros(0, [("t", "<i8")]), 3)  # was numpy's "Cannot cast array data ..."
    assert class_metrics.uf1(np.stack([np.eye(3, dtype=int)] * 2)).tolist() == [1.0, 1.0]


def test_stats_name_subjects_counts_and_values_of_the_wrong_kind() -> None:
    rows = [{"subject": s} for s in "aabbcc"]
    for bad, match in ((math.nan, "clips_per_subject must map"), ({"a": 1.5, "b": 2}, "clips_per_subject must be"),
                       ({"a": -1, "b": 2}, "clips_per_subject must be")):
        with pytest.raises(ParameterError, match=match):
            stats.subject_folds(bad, 2)  # was "'float' object is not iterable", or folds of negative clips
    for bad in (math.nan, np.zeros((6, 8)), "rows"):
        with pytest.raises(ParameterError, match="rows must be a list of manifest rows"):
            stats.subject_parts(bad, 0, 0.3, 0.3)  # an array was an IndexError
    with pytest.raises(ParameterError, match="folds must be"):
        stats.subject_parts(rows, np.zeros(3), 0.3, 0.3)  # was "The truth value of an array ... is ambiguous"
    for n_groups in (math.inf, math.nan, 0, "3"):
        with pytest.raises(ParameterError, match="n_groups must be"):
            stats.resample_counts(n_groups, 4, 0)  # was an OverflowError or numpy's ValueError
    with pytest.raises(ParameterError, match="values must hold real numbers"):
        stats.percentile_interval(events(), 0.9)  # was numpy's "Cannot cast array data ..."
    logits = np.zeros((1, 6, 3))
    with pytest.raises(ParameterError, match="logits must hold real numbers"):
        stats.training_bootstrap([0] * 6, events(), [0] * 6, list("aabbcc"))
    for y_true in (math.inf, 10**30):
        with pytest.raises(ParameterError):
            stats.training_bootstrap(y_true, logits, [0] * 6, list("aabbcc"))  # was an OverflowError
    for ci in (math.nan, [0.1], ["a", "b"]):
        with pytest.raises(ParameterError, match="ci must be an interval"):
            stats.describe_difference("a", "b", ci)  # was "cannot unpack non-iterable float object"


def test_image_metrics_name_masks_columns_and_values_of_the_wrong_kind() -> None:
    img = np.zeros((1, 12, 12), np.float32)
    with pytest.raises(ParameterError, match="masks must map"):
        image_metrics.region_metrics(img, img, np.ones((12, 12), bool))  # was "no attribute 'items'"
    for per_image, groups, match in ((math.nan, None, "per_image must map"), ({"ssim": np.ones(2)}, 3, "groups must map"),
                                     ({"ssim": np.ones((2, 2))}, None, r"per_image\['ssim'\] must be one value per image"),
                                     ({"ssim": events()}, None, r"per_image\['ssim'\] must hold real numbers")):
        with pytest.raises(ParameterError, match=match):
            image_metrics.summarize(per_image, groups)  # was an AttributeError or numpy's "truth value ... ambiguous"
    for call in (lambda: image_metrics.cluster_mean_interval(events(), list("abcdef")),
                 lambda: image_metrics.cluster_training_interval(events()[None], list("abcdef"), [0] * 6),
                 lambda: image_metrics.paired_training_interval(np.ones((1, 6)), [0] * 6, events()[None], [0] * 6, list("abcdef"))):
        with pytest.raises(ParameterError, match="values(_b)? must hold real numbers"):
            call()  # was numpy's "Cannot cast array data ..."


def test_figure_format_names_values_digits_signs_and_intervals() -> None:
    for call, match in ((lambda: figure_format.number(0.5, 3), "spec must be a float format"),
                        (lambda: figure_format.number(0.5, "d"), "spec 'd' is not a float format"),
                        (lambda: figure_format.number("0.5", ".2f"), "value must be a number"),
                        (lambda: figure_format.fixed(0.5, 1.5), "digits must be"),
                        (lambda: figure_format.fixed(0.5, 2, "x"), "scale must be"),
                        (lambda: figure_format.fixed(0.5, 2, 1.0, np.zeros(2)), "sign must be"),
                        (lambda: figure_format.fixed([0.5], 2), "value must be a number"),
                        (lambda: figure_format.fixed_interval(0.5, 2), "ci must be an interval"),
                        (lambda: figure_format.interval([0.1, (0.2,)], ".2f"), "ci must be an interval"),
                        (lambda: figure_format.mean_with_interval(3, 0.5), "d must be a subject-cluster interval"),
                        (lambda: figure_format.one_lighting(3), "lightings must be a list"),
                        (lambda: figure_format.few_subjects("3", "docs"), "n must be")):
        with pytest.raises(ParameterError, match=match):
            call()  # were Python's format, float() or unpacking errors, naming nothing
    assert figure_format.number(10**400, ".2f") == figure_format.NOT_FINITE  # was an OverflowError
    assert figure_format.fixed(np.float32(0.5), 1, 100) == "50.0" and figure_format.fixed(np.array(0.25), 2) == "0.25"


def test_task_registry_and_configs_name_what_is_no_name_or_folder() -> None:
    with pytest.raises(ParameterError, match="unknown task"):
        registry.get(np.zeros(2))  # was "unhashable type: 'numpy.ndarray'"
    with pytest.raises(ParameterError, match="run_dir must be a"):
        registry.task_of_run(1.5)  # was "expected str, bytes or os.PathLike object, not float"
    with pytest.raises(ParameterError, match="crop"):
        configs.ReconstructConfig.from_dict({**configs.ReconstructConfig().to_dict(), "crop": events()})
    assert configs.ReconstructConfig.from_dict(configs.ReconstructConfig(size=32).to_dict()).crop is None


def _set(path: Path, member: str, key: str | None, value: Any) -> None:
    with h5py.File(path, "r+") as f:
        if key is None:
            f[member][...] = value
        else:
            f[member].attrs[key] = value


def test_a_clip_frame_rate_or_exposure_off_range_is_reported_on_read(tmp_path: Path) -> None:
    for member, key, value, match in (("frames/rgb", "fps", math.nan, "fps is nan"),
                                      ("frames/rgb", "fps", -30.0, "fps is -30.0"),
                                      ("frames/rgb/exposure_us", None, [100, -5], "negative exposure")):
        path = clip_writer.write_clip(tmp_path / f"{match.replace(' ', '_')}.h5", clip())
        _set(path, member, key, value)
        with pytest.raises(FormatError, match=f"{path.name}: .*{match}"):
            clip_reader.read_clip(path)  # was: read back as given
        if key:
            with pytest.raises(FormatError, match=match):
                clip_reader.frames_and_truth_info(path)


if __name__ == "__main__":
    {"sweep": _sweep}[sys.argv[1]](*sys.argv[2:])
