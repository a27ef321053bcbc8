"""The Python API a researcher imports, each public callable called with one argument at a time hostile.

:func:`calls` lists every public function, class and method of :mod:`evface.events` (the data model,
operations, representations, transforms and integration), the event files of :mod:`evface.io`
(reader, writer, format detection), the camera models of :mod:`evface.sim`, the entry points of
:mod:`evface.face`, and (group ``metrics``) what a researcher scores their own predictions with as
evface's protocol does: :mod:`evface.tasks.class_metrics` (the confusion matrix, top-1, macro-F1,
MEGC's UF1 and UAR), :mod:`evface.tasks.image_metrics` (SSIM, PSNR and MSE at EVREAL's settings,
AU-region scores, the cluster and training intervals), :mod:`evface.tasks.stats` (subject folds and
parts, the subject-cluster and training bootstraps, McNemar), :mod:`evface.inputs.au_regions`,
:mod:`evface.inputs.flow` (the apex, DIS flow, strain) and :mod:`evface.inputs.splits`, each with a
valid baseline call on tiny inputs; a float, list or dict result is compared by its numbers
(:func:`fuzz_values.numbers`). Every argument in turn is replaced by each of
:func:`fuzz_values.hostile_values`: NaN, infinities, 0, -1, 10**30, 2**63, a bool, text, None, an empty array,
arrays of the wrong dtype, shape or dimensions, events non-contiguous, read-only, unsorted, off the
sensor, of polarity 0 or of Tonic's field order, and sensor sizes (0, 0) and (10**9, 10**9).

The property (:func:`fuzz_values.outcome`): the call returns a result shaped like the baseline's (an array of
its dtype and number of dimensions, without NaN; events valid when the events given were), or
raises an :class:`~evface.errors.EvfaceError`, or a TypeError or ValueError whose message names the
argument or its value. Never another exception (IndexError, OverflowError, AttributeError, numba's
TypingError, a MemoryError), and no array given is changed in place. Each group of callables runs
in a child Python whose memory is capped (:func:`fuzz_children.limit_memory`), so that a size that
asks for terabytes fails the test, not the machine; its peak memory is bounded by :data:`PEAK_MB`.

The tests after the sweep pin each defect it found, one at a time, in this process; and those found
beside it by values of the right kind at their limits, which one hostile argument does not reach (a
label given twice, truth in 8-bit grey levels, subjects of two kinds, counts past int64's sums).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from evface import checks
from evface.errors import EventsError, ParameterError
from evface.events import core, integration, ops
from evface.events import representations as rep
from evface.events import transforms as tr
from evface.face import identity, render
from evface.inputs import au_regions, flow, splits
from evface.io import event_reader, event_writer, formats
from evface.sim import dvs, dvs_noise, dvs_params, dvs_readout, rgb, sensors
from evface.tasks import class_metrics, image_metrics, stats

from fuzz_children import run_child
from fuzz_values import Calls, Kinds, events, numbers, sweep

SIZE = (8, 6)
"""The sensor of the baseline events: ``(width, height)``."""

PEAK_MB = 2500
"""The most memory a child may hold at its peak: no hostile size may allocate before it is refused."""

ELEMENTWISE = {"srgb_encode", "label_indices"}
"""Callables whose array follows the shape of the array given (a scalar gives a 0-D array), and its
float type (``label_indices``: one index per label given, in the labels' shape)."""

NON_NEGATIVE = {"to_count_image", "to_event_frames", "leaky_counts", "HotPixels.pixels", "CountImage", "EventFrames",
                "confusion_matrix", "confusion_counts", "resample_counts", "mse", "optical_strain"}
"""Callables whose arrays hold counts, weights, squared errors or magnitudes: a negative value is a wrong result."""


def _frame(lux: float) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0]), lux, np.float32)


def _simulator() -> dvs.DvsSimulator:
    sim = dvs.DvsSimulator(SIZE, seed=0)
    sim.step(_frame(100.0), 0)
    return sim


def _joined(chunks: Iterator[np.ndarray]) -> np.ndarray:
    return np.concatenate([core.empty_events(), *chunks])


def _written(folder: Path, name: str) -> Callable[..., None]:
    def write(events: Any, sensor_size: Any, format: Any = None, version: Any = None, relative_time: Any = False,
              force: Any = True) -> None:
        event_writer.write_events_file(folder / name, events, sensor_size, format=format, version=version,
                                       relative_time=relative_time, force=force)
    return write


def _written_in_chunks(folder: Path) -> Callable[..., Path]:
    def write(events: Any) -> Path:
        with event_writer.open_events_writer(folder / "chunks.raw", SIZE, force=True) as writer:
            writer.write(events)
        return writer.path
    return write


def _camera() -> rgb.RgbCamera:
    return rgb.RgbCamera(rgb.RgbCameraParams(fps=100.0), seed=0)


def _lit(t_us: int) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), 100.0, np.float32)


def calls(folder: Path, group: str) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """``name: (callable, baseline arguments)`` of the public API in ``group``; files under ``folder``."""
    ev, rng = events(), np.random.default_rng
    if group == "events":
        return {
            "make_events": (core.make_events, dict(t=[0, 1], x=[0, 1], y=[0, 1], p=[1, 0], sensor_size=SIZE)),
            "validate_events": (core.validate_events, dict(events=ev, sensor_size=SIZE)),
            "slice_time": (core.slice_time, dict(events=ev, t_start_us=5, t_end_us=35)),
            "concatenate": (lambda chunks, sort: core.concatenate(chunks, sort=sort), dict(chunks=[ev, ev], sort=True)),
            "concatenate (a chunk)": (lambda chunk: core.concatenate([ev, chunk]), dict(chunk=core.empty_events())),
            "empty_events": (core.empty_events, dict(n=3)),
            "duration_us": (core.duration_us, dict(events=ev)),
            "crop": (ops.crop, dict(events=ev, roi=(1, 1, 4, 4))),
            "flip_lr": (ops.flip_lr, dict(events=ev, sensor_size=SIZE)),
            "flip_ud": (ops.flip_ud, dict(events=ev, sensor_size=SIZE)),
            "flip_polarity": (ops.flip_polarity, dict(events=ev)),
            "shift": (ops.shift, dict(events=ev, dx=1, dy=-1, sensor_size=SIZE)),
            "resample_sensor": (ops.resample_sensor, dict(events=ev, src_size=SIZE, dst_size=(4, 3))),
            "refractory_filter": (ops.refractory_filter, dict(events=ev, sensor_size=SIZE, period_us=5)),
            "background_activity_filter": (ops.background_activity_filter, dict(events=ev, sensor_size=SIZE, dt_us=15)),
            "anti_flicker_filter": (ops.anti_flicker_filter, dict(events=ev, sensor_size=SIZE, min_freq=50.0, max_freq=500.0,
                                                                  filter_length=2, diff_thresh_us=1500, block_size=2)),
            "drop_random": (ops.drop_random, dict(events=ev, fraction=0.5, rng=rng(0))),
            "add_uniform_noise": (ops.add_uniform_noise, dict(events=ev, sensor_size=SIZE, n=3, rng=rng(0))),
            "to_event_frames": (rep.to_event_frames, dict(events=ev, sensor_size=SIZE, n_bins=2, t_start_us=0,
                                                          t_end_us=50, binary=False)),
            "to_voxel_grid": (rep.to_voxel_grid, dict(events=ev, sensor_size=SIZE, n_bins=2, t_start_us=0, t_end_us=50)),
            "to_time_surface": (rep.to_time_surface, dict(events=ev, sensor_size=SIZE, t_ref_us=50, tau_us=20.0,
                                                          t_start_us=0)),
            "to_count_image": (rep.to_count_image, dict(events=ev, sensor_size=SIZE, t_start_us=0, t_end_us=50)),
            "leaky_counts": (integration.leaky_counts, dict(events=ev, sensor_size=SIZE, t_key_us=0, t_end_us=50,
                                                            alpha_rad_s=1.0)),
            "TimeSlice": (lambda t_start_us, t_end_us, events: tr.TimeSlice(t_start_us, t_end_us)(events),
                          dict(t_start_us=5, t_end_us=35, events=ev)),
            "Crop": (lambda roi, events: tr.Crop(roi)(events), dict(roi=(1, 1, 4, 4), events=ev)),
            "FlipLR": (lambda sensor_size, events: tr.FlipLR(sensor_size)(events), dict(sensor_size=SIZE, events=ev)),
            "FlipUD": (lambda sensor_size, events: tr.FlipUD(sensor_size)(events), dict(sensor_size=SIZE, events=ev)),
            "FlipPolarity": (lambda events: tr.FlipPolarity()(events), dict(events=ev)),
            "Shift": (lambda dx, dy, sensor_size, events: tr.Shift(dx, dy, sensor_size)(events),
                      dict(dx=1, dy=1, sensor_size=SIZE, events=ev)),
            "Resample": (lambda src_size, dst_size, events: tr.Resample(src_size, dst_size)(events),
                         dict(src_size=SIZE, dst_size=(4, 3), events=ev)),
            "RefractoryFilter": (lambda sensor_size, period_us, events: tr.RefractoryFilter(sensor_size, period_us)(events),
                                 dict(sensor_size=SIZE, period_us=5, events=ev)),
            "Denoise": (lambda sensor_size, dt_us, events: tr.Denoise(sensor_size, dt_us)(events),
                        dict(sensor_size=SIZE, dt_us=15, events=ev)),
            "AntiFlicker": (lambda sensor_size, min_freq, max_freq, filter_length, diff_thresh_us, block_size, events:
                            tr.AntiFlicker(sensor_size, min_freq, max_freq, filter_length, diff_thresh_us,
                                           block_size)(events),
                            dict(sensor_size=SIZE, min_freq=50.0, max_freq=500.0, filter_length=2, diff_thresh_us=1500,
                                 block_size=2, events=ev)),
            "DropEvents": (lambda fraction, seed, events: tr.DropEvents(fraction, seed)(events),
                           dict(fraction=0.5, seed=1, events=ev)),
            "UniformNoise": (lambda sensor_size, n, seed, events: tr.UniformNoise(sensor_size, n, seed)(events),
                             dict(sensor_size=SIZE, n=3, seed=1, events=ev)),
            "EventFrames": (lambda sensor_size, n_bins, t_start_us, t_end_us, binary, events:
                            tr.EventFrames(sensor_size, n_bins, t_start_us, t_end_us, binary)(events),
                            dict(sensor_size=SIZE, n_bins=2, t_start_us=None, t_end_us=None, binary=True, events=ev)),
            "VoxelGrid": (lambda sensor_size, n_bins, t_start_us, t_end_us, events:
                          tr.VoxelGrid(sensor_size, n_bins, t_start_us, t_end_us)(events),
                          dict(sensor_size=SIZE, n_bins=2, t_start_us=None, t_end_us=None, events=ev)),
            "TimeSurface": (lambda sensor_size, tau_us, t_ref_us, events: tr.TimeSurface(sensor_size, tau_us, t_ref_us)(events),
                            dict(sensor_size=SIZE, tau_us=20.0, t_ref_us=None, events=ev)),
            "CountImage": (lambda sensor_size, events: tr.CountImage(sensor_size)(events), dict(sensor_size=SIZE, events=ev)),
            "Compose": (lambda transforms, events: tr.Compose(transforms)(events),
                        dict(transforms=(tr.FlipPolarity(),), events=ev)),
        }
    if group == "checks":  # the value checked is hostile; the bounds and wording are the library's own (finite,
        # within_memory and real_dtype take what the library computed: an array, a byte count, a dtype)
        return {
            "as_int": (lambda value: checks.as_int("n", value, 0, 10), dict(value=3)),
            "as_real": (lambda value: checks.as_real("r", value, 0.0, 1.0), dict(value=0.5)),
            "as_flag": (lambda value: checks.as_flag("b", value), dict(value=True)),
            "as_path": (lambda value: checks.as_path("path", value), dict(value="a.raw")),
            "as_box": (lambda value: checks.as_box("box", value), dict(value=(0, 0, 4, 4))),
            "sensor_dims": (checks.sensor_dims, dict(sensor_size=SIZE)),
            "checked_roi": (checks.checked_roi, dict(roi=(1, 1, 4, 4), sensor_size=SIZE)),
        }
    if group == "files":
        table, raw, clip = folder / "in.csv", folder / "in.raw", folder / "in.h5"
        for path in (table, raw, clip):
            event_writer.write_events_file(path, ev, SIZE)
        return {
            "read_events_file (a clip)": (lambda sensor, t_start_us: event_reader.read_events_file(
                clip, sensor=sensor, t_start_us=t_start_us)[0], dict(sensor="events", t_start_us=10)),
            "read_events_file": (lambda path, sensor, t_start_us, t_end_us, sensor_size: event_reader.read_events_file(
                path, sensor=sensor, t_start_us=t_start_us, t_end_us=t_end_us, sensor_size=sensor_size)[0],
                dict(path=table, sensor=None, t_start_us=0, t_end_us=40, sensor_size=SIZE)),
            "iter_events_file": (lambda path, chunk_us, chunk_events, t_start_us, t_end_us, sort: _joined(
                event_reader.iter_events_file(path, chunk_us=chunk_us, chunk_events=chunk_events, t_start_us=t_start_us,
                                              t_end_us=t_end_us, sort=sort)),
                dict(path=raw, chunk_us=20, chunk_events=None, t_start_us=None, t_end_us=None, sort=False)),
            "iter_events_file (chunk_events)": (lambda chunk_events, sort: _joined(event_reader.iter_events_file(
                table, chunk_events=chunk_events, sort=sort)), dict(chunk_events=2, sort=True)),
            **{f"write_events_file (.{ext})": (_written(folder, f"out.{ext}"),
                                               dict(events=ev, sensor_size=SIZE, relative_time=False, force=True))
               for ext in ("raw", "csv", "dat", "aedat4", "es", "h5")},
            "write_events_file (format, version)": (_written(folder, "out.raw"), dict(
                events=ev, sensor_size=SIZE, format="evt3", version=None)),
            "EventsFileWriter.write": (_written_in_chunks(folder), dict(events=ev)),
            "detect_format": (formats.detect_format, dict(path=raw)),
            "output_format": (formats.output_format, dict(path="out.raw", format="evt2", version=None)),
        }
    if group == "sim":
        frames = np.stack([_frame(100.0), _frame(300.0), _frame(900.0)])
        return {
            "DvsSimulator": (lambda sensor_size, params, seed: dvs.DvsSimulator(sensor_size, params, seed).sensor_size,
                             dict(sensor_size=SIZE, params=None, seed=0)),
            "DvsSimulator.step": (lambda frame_lux, t_us: _simulator().step(frame_lux, t_us),
                                  dict(frame_lux=_frame(300.0), t_us=1000)),
            "simulate_frames": (dvs.simulate_frames, dict(frames=frames, t_us=np.array([0, 1000, 2000]),
                                                          sensor_size=SIZE, params=None, seed=0)),
            "DvsParams.preset": (lambda name: dvs_params.DvsParams.preset(name).to_dict(), dict(name="davis346")),
            "DvsParams.ideal": (lambda threshold_log: dvs_params.DvsParams.ideal(threshold_log).to_dict(),
                                dict(threshold_log=0.2)),
            "noise_per_step": (dvs_params.noise_per_step, dict(params=dvs_params.DvsParams(), n_pixels=48, step_us=10.0)),
            "noise_params": (lambda params, level: dvs_noise.noise_params(params, level).to_dict(),
                             dict(params=dvs_params.DvsParams(), level="noisy")),
            "HotPixels.pixels": (lambda fraction, rate_hz, size, map_seed: dvs_noise.HotPixels(fraction, rate_hz).pixels(
                size, map_seed), dict(fraction=0.1, rate_hz=100.0, size=SIZE, map_seed=0)),
            "HotPixels.events": (lambda size, t_start_us, t_end_us, map_seed, seed, window: dvs_noise.HotPixels(
                0.1, 1000.0).events(size, t_start_us, t_end_us, map_seed, seed, window),
                dict(size=SIZE, t_start_us=0, t_end_us=10_000, map_seed=0, seed=0, window=None)),
            "limit_readout": (dvs_readout.limit_readout, dict(events=events(), max_rate_hz=1e5, excess="delay",
                                                              window_us=100)),
            "EventSensor": (lambda size, pixel_pitch_um, max_event_rate_hz, excess: sensors.EventSensor(
                "s", "hd", size, pixel_pitch_um, max_event_rate_hz, excess).size,
                dict(size=SIZE, pixel_pitch_um=4.0, max_event_rate_hz=1e6, excess="drop")),
            "SensorSpec": (lambda sensor, size: sensors.SensorSpec(sensor, size).size, dict(sensor=None, size=SIZE)),
            "parse_sensor": (lambda text: sensors.parse_sensor(text).size, dict(text="evk4:64x48")),
            "srgb_encode": (rgb.srgb_encode, dict(linear=np.linspace(0, 1, 12).reshape(3, 4))),
            "metering_weights": (rgb.metering_weights, dict(shape=(6, 8), mode="centre")),
            "auto_exposure": (rgb.auto_exposure, dict(mean_lux=100.0, params=rgb.RgbCameraParams())),
            "RgbCameraParams.preset": (lambda name: rgb.RgbCameraParams.preset(name).to_dict(), dict(name="webcam30")),
            "RgbCameraParams": (lambda cfa, metering, jpeg_quality: rgb.RgbCameraParams(
                cfa=cfa, metering=metering, jpeg_quality=jpeg_quality).to_dict(),
                dict(cfa="RGGB", metering="average", jpeg_quality=90)),
            "RgbCamera": (lambda params, seed, fpn_seed: rgb.RgbCamera(params, seed, fpn_seed).params.fps,
                          dict(params=None, seed=0, fpn_seed=None)),
            "RgbCamera.frame_times": (lambda t_start_us, t_end_us: _camera().frame_times(t_start_us, t_end_us),
                                      dict(t_start_us=0, t_end_us=50_000)),
            "RgbCamera.capture": (lambda render, t_start_us, t_end_us: _camera().capture(render, t_start_us, t_end_us).data,
                                  dict(render=_lit, t_start_us=0, t_end_us=20_000)),
        }
    if group == "metrics":
        return _metrics()
    face, photo = identity.procedural_identity(0), folder / "photo.png"
    cv2.imwrite(str(photo), np.full((16, 16, 3), 128, np.uint8))
    return {
        "procedural_identity": (lambda seed: identity.procedural_identity(seed).name, dict(seed=0)),
        "mirrored_face": (identity.mirrored_face, dict(identity=face)),
        "read_photo": (identity.read_photo, dict(path=photo)),
        "check_photo_file": (identity.check_photo_file, dict(path=photo)),
        "FaceRenderer": (lambda size: render.FaceRenderer(face, size).size, dict(size=(48, 48))),
        "FaceRenderer.render": (lambda aus, window: render.FaceRenderer(face, (48, 48)).render(aus, window=window),
                                dict(aus={12: 0.5}, window=(0, 0, 16, 16))),
        "FaceRenderer.landmarks": (lambda aus: render.FaceRenderer(face, (48, 48)).landmarks(aus)["eye_l"],
                                   dict(aus={12: 0.5})),
    }


def _metrics() -> Calls:
    """The metrics a researcher scores their own predictions with, as evface's protocol does: MEGC's
    UF1 and UAR and the confusion matrix, SSIM, PSNR and MSE (EVREAL's settings), AU-region scores,
    the subject-cluster bootstrap intervals, subject splits and folds, the optical-flow front end. A
    float, list or dict result is compared by its numbers (:func:`fuzz_values.numbers`), so a NaN in
    it is a wrong result."""
    y, pred, subjects = [0, 1, 2, 0, 1, 2], [0, 1, 1, 0, 2, 2], ["a", "a", "b", "b", "c", "c"]
    cm, logits = class_metrics.confusion_matrix(y, pred, 3), np.random.default_rng(0).normal(size=(2, 6, 3))
    img = np.linspace(0, 1, 2 * 12 * 12).reshape(2, 12, 12).astype(np.float32)
    values, runs, draws = np.linspace(0.1, 0.9, 6), np.array([0, 0, 1, 1, 0, 1]), dict(resamples=20, level=0.95, seed=0)
    gray, rows = np.linspace(0, 1, 3 * 16 * 16).reshape(3, 16, 16).astype(np.float32), [{"subject": s} for s in "aabbccdd"]
    return {
        "confusion_matrix": (class_metrics.confusion_matrix, dict(y_true=y, y_pred=pred, n_classes=3)),
        "class_indices": (lambda values, n_classes: class_metrics.class_indices("values", values, n_classes).ravel(),
                          dict(values=y, n_classes=3)),
        "confusion_counts": (class_metrics.confusion_counts, dict(cm=cm)),
        **{f"class_metrics.{f.__name__}": (lambda cm, f=f: numbers(f(cm)), dict(cm=cm)) for f in (
            class_metrics.counts, class_metrics.per_class_f1, class_metrics.per_class_recall, class_metrics.top1,
            class_metrics.macro_f1, class_metrics.uf1, class_metrics.uar)},
        "class_metrics.summarize": (lambda cm, labels: numbers(class_metrics.summarize(cm, labels)),
                                    dict(cm=cm, labels=["a", "b", "c"])),
        **{f"{f.__name__}": (f, dict(a=img, b=img[::-1].copy())) for f in (
            image_metrics.ssim_map, image_metrics.ssim, image_metrics.mse, image_metrics.psnr)},
        **{f"{f.__name__} (data_range)": (lambda data_range, f=f: f(img, img[::-1].copy(), data_range),
                                          dict(data_range=1.0))
           for f in (image_metrics.ssim_map, image_metrics.ssim, image_metrics.psnr)},
        "image_metrics": (lambda pred, truth: numbers(image_metrics.image_metrics(pred, truth)),
                          dict(pred=img, truth=img[::-1].copy())),
        "region_metrics": (lambda pred, truth, masks: numbers(image_metrics.region_metrics(pred, truth, masks)["m"]),
                           dict(pred=img, truth=img[::-1].copy(), masks={"m": np.ones((12, 12), bool)})),
        "cluster_mean_interval": (lambda values, clusters, resamples, level, seed: numbers(
            image_metrics.cluster_mean_interval(values, clusters, resamples=resamples, level=level, seed=seed)),
            dict(values=values, clusters=subjects, **draws)),
        "cluster_training_interval": (lambda values, clusters, units, resamples, level, seed: numbers(
            image_metrics.cluster_training_interval(values, clusters, units, resamples=resamples, level=level, seed=seed)),
            dict(values=np.stack([values, values[::-1]]), clusters=subjects, units=runs, **draws)),
        "paired_training_interval": (lambda values_a, units_a, values_b, units_b, clusters, resamples, level, seed: numbers(
            image_metrics.paired_training_interval(values_a, units_a, values_b, units_b, clusters, resamples=resamples,
                                                   level=level, seed=seed)),
            dict(values_a=values[None], units_a=runs, values_b=values[None] / 2, units_b=runs, clusters=subjects, **draws)),
        "image_metrics.summarize": (lambda per_image, groups: numbers(image_metrics.summarize(per_image, groups)),
                                    dict(per_image={"ssim": values}, groups={"subject": subjects})),
        "subject_folds": (lambda clips_per_subject, k, seed: numbers([len(fold) for fold in stats.subject_folds(
            clips_per_subject, k, seed)]), dict(clips_per_subject={"a": 2, "b": 3, "c": 1}, k=3, seed=0)),
        "subject_parts": (lambda rows, folds, val_fraction, test_fraction, seed: numbers([
            len(part["train"]) for part in stats.subject_parts(rows, folds, val_fraction, test_fraction, seed)]),
            dict(rows=[{"subject": s} for s in subjects], folds=0, val_fraction=0.3, test_fraction=0.3, seed=0)),
        "label_indices": (lambda labels: stats.label_indices("labels", labels), dict(labels=subjects)),
        "resample_counts": (stats.resample_counts, dict(n_groups=3, resamples=4, seed=0)),
        "percentile_interval": (lambda values, level: numbers(stats.percentile_interval(values, level)),
                                dict(values=np.linspace(0, 1, 20), level=0.9)),
        "bootstrap_interval": (lambda y_true, y_pred, subjects, n_classes, resamples, level, seed: numbers(
            stats.bootstrap_interval(y_true, y_pred, subjects, n_classes, resamples=resamples, level=level, seed=seed)),
            dict(y_true=y, y_pred=pred, subjects=subjects, n_classes=3, **draws)),
        "paired_bootstrap": (lambda y_true, pred_a, pred_b, subjects, n_classes, resamples, level, seed: numbers(
            stats.paired_bootstrap(y_true, pred_a, pred_b, subjects, n_classes, resamples=resamples, level=level,
                                   seed=seed)),
            dict(y_true=y, pred_a=pred, pred_b=y, subjects=subjects, n_classes=3, **draws)),
        "training_bootstrap": (lambda y_true, logits, folds, subjects, resamples, level, seed: numbers(
            stats.training_bootstrap(y_true, logits, folds, subjects, resamples=resamples, level=level, seed=seed)),
            dict(y_true=y, logits=logits, folds=[0] * 6, subjects=subjects, **draws)),
        "paired_training_bootstrap": (
            lambda y_true, logits_a, folds_a, logits_b, folds_b, subjects, resamples, level, seed: numbers(
                stats.paired_training_bootstrap(y_true, logits_a, folds_a, logits_b, folds_b, subjects,
                                                resamples=resamples, level=level, seed=seed)),
            dict(y_true=y, logits_a=logits, folds_a=[0] * 6, logits_b=logits[::-1].copy(), folds_b=[0] * 6,
                 subjects=subjects, **draws)),
        "mcnemar_exact": (lambda a_only, b_only: numbers(stats.mcnemar_exact(a_only, b_only)), dict(a_only=3, b_only=1)),
        "describe_difference": (stats.describe_difference, dict(name_a="a", name_b="b", ci=[0.1, 0.2])),
        "active_regions": (au_regions.active_regions, dict(aus=[12, 4])),
        "grid_uv": (lambda size: np.stack(au_regions.grid_uv(size)), dict(size=8)),
        "region_masks": (lambda size: np.stack(list(au_regions.region_masks(size).values())), dict(size=8)),
        "frame_apex_index": (lambda gray: numbers(flow.frame_apex_index(gray)), dict(gray=gray)),
        "event_apex_us": (lambda events, size, t_start_us, t_end_us, step_us: numbers(flow.event_apex_us(
            events, size, t_start_us, t_end_us, step_us)), dict(events=events(), size=SIZE, t_start_us=0, t_end_us=50,
                                                                 step_us=10)),
        "dense_flow": (flow.dense_flow, dict(onset=gray[0], apex=gray[1])),
        "tvl1_flow": (flow.tvl1_flow, dict(onset=gray[0], apex=gray[1])),
        "optical_strain": (flow.optical_strain, dict(flow=np.zeros((16, 16, 2), np.float32))),
        "flow_image": (flow.flow_image, dict(onset=gray[0], apex=gray[1], size=8, method="tvl1")),
        "subject_split": (lambda rows, val_fraction, test_fraction, seed: numbers(
            [len(part) for part in splits.subject_split(rows, val_fraction, test_fraction, seed).values()]),
            dict(rows=rows, val_fraction=0.25, test_fraction=0.25, seed=0)),
        "subjects_of": (splits.subjects_of, dict(rows=rows)),
    }


GROUPS = ("events", "checks", "files", "sim", "face", "metrics")


def _sweep(group: str, folder: str) -> None:
    """Child process: every argument of every callable of ``group`` replaced by each hostile value."""
    sweep(lambda: calls(Path(folder), group), PEAK_MB, Kinds(frozenset(ELEMENTWISE), frozenset(NON_NEGATIVE)))


@pytest.mark.parametrize("group", GROUPS)
def test_hostile_arguments(group: str, tmp_path: Path) -> None:
    run_child(__file__, "sweep", group, tmp_path, timeout=300, named=group)


def test_empty_events_takes_only_a_count() -> None:
    for n in (-1, 1.5, math.nan, "3", None, (0, 0), True):
        with pytest.raises(ParameterError, match="^n must"):
            core.empty_events(n)
    with pytest.raises(ParameterError, match="events takes about"):
        core.empty_events(2**62)
    assert core.empty_events(np.int64(2)).shape == (2,) and core.empty_events(3.0).shape == (3,)


def test_file_flags_are_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    event_writer.write_events_file(path, events(), SIZE)
    for value in ("no", None, 1, np.array([True])):
        with pytest.raises(ParameterError, match="^sort must be True or False"):
            event_reader.EventsFileReader(path, sort=value)
        for flag in ("relative_time", "force", "replace"):
            with pytest.raises(ParameterError, match=f"^{flag} must be True or False"):
                event_writer.EventsFileWriter(tmp_path / "out.raw", SIZE, **{flag: value})
    assert not (tmp_path / "out.raw").exists()


def test_a_clip_sensor_that_is_no_name_is_named(tmp_path: Path) -> None:
    clip = tmp_path / "take.h5"
    event_writer.write_events_file(clip, events(), SIZE)
    for sensor in (np.array(["events"]), ["events"], 3):
        with pytest.raises(ParameterError, match="^sensor must be the name of a clip's sensor"):
            event_reader.read_events_file(clip, sensor=sensor)  # an array was "the file is corrupt or truncated"


def test_limit_readout_checks_its_events() -> None:
    unsorted = events()[::-1].copy()
    for excess in ("drop", "delay"):
        with pytest.raises(EventsError, match="timestamps not sorted"):
            dvs_readout.limit_readout(unsorted, 1e5, excess)
    for bad in (None, np.zeros(3), [(0, 0, 0, 1)]):
        with pytest.raises(EventsError, match="events must be a 1-D array"):
            dvs_readout.limit_readout(bad, 1e5, "drop")
    with pytest.raises(ParameterError, match="unknown readout excess behaviour"):
        dvs_readout.limit_readout(events(), 1e5, np.array(["drop", "delay"]))


def test_noise_per_step_checks_its_arguments() -> None:
    params = dvs_params.DvsParams(leak_rate_hz=1.0)
    for args, match in (((None, 48, 1.0), "params must be DvsParams"), ((params, -1, 1.0), "n_pixels must be >= 0"),
                        ((params, 48, math.nan), "step_us must be a finite"), ((params, 48, -5.0), "step_us must be"),
                        ((params, "48", 1.0), "n_pixels must be an integer")):
        with pytest.raises(ParameterError, match=match):
            dvs_params.noise_per_step(*args)


def test_noise_params_checks_params_and_level() -> None:
    for params in (None, 0.5, "davis346"):
        with pytest.raises(ParameterError, match="params must be DvsParams"):
            dvs_noise.noise_params(params, "typical")  # was: the value given back as the parameters
    with pytest.raises(ParameterError, match="unknown noise level"):
        dvs_noise.noise_params(dvs_params.DvsParams(), np.array(["clean", "noisy"]))


def test_names_of_presets_modes_and_sensors_are_text() -> None:
    many = np.array(["davis346", "evk4"])
    with pytest.raises(ParameterError, match="unknown DVS preset"):
        dvs_params.DvsParams.preset(many)
    with pytest.raises(ParameterError, match="unknown RGB camera preset"):
        rgb.RgbCameraParams.preset(many)
    for field in ("cfa", "metering"):
        with pytest.raises(ParameterError, match=f"RgbCameraParams.{field} must be"):
            rgb.RgbCameraParams(**{field: many})
    with pytest.raises(ParameterError, match="metering mode must be"):
        rgb.metering_weights((6, 8), many)
    for text in (None, 346, b"davis346"):
        with pytest.raises(ParameterError, match="sensor must be text"):
            sensors.parse_sensor(text)


def test_auto_exposure_takes_only_camera_params() -> None:
    with pytest.raises(ParameterError, match="params must be RgbCameraParams"):
        rgb.auto_exposure(100.0, dvs_params.DvsParams())


def test_rgb_camera_names_render_and_shape() -> None:
    with pytest.raises(ParameterError, match="^render must be a function"):
        _camera().capture(np.zeros((6, 8, 3)), 0, 20_000)  # was "'numpy.ndarray' object is not callable"
    for shape in (6, None, 1.5):
        with pytest.raises(ParameterError, match=r"^shape must be \(H, W\)"):
            rgb.metering_weights(shape, "centre")  # was "'int' object is not iterable"


def test_centre_metering_of_a_narrow_frame_has_weights() -> None:
    for shape in ((2, 2), (4, 2), (10, 1), (65536, 1)):
        weights = rgb.metering_weights(shape, "centre")  # was NaN everywhere: a disc without a pixel, 0 / 0
        assert np.all(np.isfinite(weights)) and math.isclose(weights.sum(), 1.0)
    assert np.count_nonzero(rgb.metering_weights((2, 2), "centre") == 0.25) == 4


def test_hot_pixels_of_a_huge_array_are_refused_before_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 4 << 20}  # a machine of 16 GiB, whatever this one has
    monkeypatch.setattr(checks.os, "sysconf", pages.__getitem__)
    with pytest.raises(ParameterError, match="hot pixels of fraction 0.1 on a 65536x65536 size takes about"):
        dvs_noise.HotPixels(0.1, 10.0).pixels((65536, 65536), 0)  # was NumPy's MemoryError for 32 GiB


def test_srgb_encode_refuses_nan_and_text() -> None:
    with pytest.raises(ParameterError, match="linear holds 1 NaN of 3 values"):
        rgb.srgb_encode(np.array([0.2, np.nan, 1.0]))
    for value in (None, "x", np.zeros(2, complex)):
        with pytest.raises(ParameterError, match="linear must hold real numbers"):
            rgb.srgb_encode(value)
    assert rgb.srgb_encode(np.array([-np.inf, np.inf])).round(6).tolist() == [0.0, 1.0]  # infinities clip


def test_lin_log_lux_past_int64_simulates() -> None:
    sim = dvs.DvsSimulator(SIZE, dvs_params.DvsParams(lin_log_lux=10**30), seed=0)
    sim.step(_frame(1.0), 0)
    assert sim.step(_frame(5.0), 1000).dtype == core.EVENT_DTYPE  # was numpy's TypeError from np.log(10**30)


def test_simulate_frames_names_frames_and_times() -> None:
    frames = np.stack([_frame(1.0), _frame(2.0)])
    for t_us in (5, None, [0, np.zeros(3)], [[0, 1]], ["a", "b"]):
        with pytest.raises(ParameterError, match="^t_us must be a sequence of frame times"):
            dvs.simulate_frames(frames, t_us, SIZE)
    for bad in (5.0, None, _frame(1.0)):
        with pytest.raises(ParameterError, match="^frames must be an"):
            dvs.simulate_frames(bad, [0, 1000], SIZE)


def test_a_photo_path_that_is_no_path_is_named() -> None:
    for path in (0, 3, -1, 10**30, None):  # an int was a file descriptor: fd 0 read as "is a device ...", 10**30 an OverflowError
        for call in (identity.read_photo, identity.check_photo_file):
            with pytest.raises(ParameterError, match="^path must be a file path"):
                call(path)


def test_mirrored_face_of_a_procedural_identity_is_none() -> None:
    assert identity.mirrored_face(identity.procedural_identity(0)) is None  # was a ValueError from matmul
    with pytest.raises(ParameterError, match="^identity must be an Identity"):
        identity.mirrored_face("astronaut")


def test_event_sensor_and_spec_check_their_fields() -> None:
    for size in ((math.nan, 4), (0, 0), (10**9, 10**9), None):
        with pytest.raises(ParameterError, match="EventSensor.size"):
            sensors.EventSensor("s", "hd", size, 4.0, 1e6, "drop")
        with pytest.raises(ParameterError, match="SensorSpec.size"):
            sensors.SensorSpec(None, size)
    with pytest.raises(ParameterError, match="EventSensor.excess"):
        sensors.EventSensor("s", "hd", SIZE, 4.0, 1e6, "queue")
    with pytest.raises(ParameterError, match="EventSensor.max_event_rate_hz"):
        sensors.EventSensor("s", "hd", SIZE, 4.0, -1.0, "drop")
    with pytest.raises(ParameterError, match="SensorSpec.sensor"):
        sensors.SensorSpec("evk4", SIZE)



def test_an_interval_of_infinite_values_is_refused() -> None:
    for values in ([math.inf], [-math.inf, 0.0, math.inf], [0.0, 1.0, math.inf]):
        with pytest.raises(ParameterError, match="bootstrap values? (is|are) infinite"):
            stats.percentile_interval(np.array(values), 0.95)  # was [nan, nan], or [0.05, nan]
    inf = np.array([math.inf, 0.2, 0.1, 0.3])  # the PSNR of identical images
    with pytest.raises(ParameterError, match="^values holds 1 infinite of 4 values"):
        image_metrics.cluster_mean_interval(inf, list("aabb"))  # was "498 of 2,000 bootstrap values are NaN"
    with pytest.raises(ParameterError, match="^values_b holds 1 infinite of 4 values"):
        image_metrics.paired_training_interval(np.ones((1, 4)), [0] * 4, inf[None], [0] * 4, list("aabb"))



def test_image_scores_refuse_truth_that_is_no_intensity_in_0_1() -> None:
    truth, pred = np.full((12, 12), 200.0), np.full((12, 12), 190.0)  # 8-bit grey levels, not scaled to [0, 1]
    with pytest.raises(ParameterError, match=r"^truth must hold intensities in \[0, 1\], got 200\.\.200"):
        image_metrics.image_metrics(pred, truth)  # was SSIM 0.01, PSNR -46 dB: pred clipped to 1, truth not
    with pytest.raises(ParameterError, match=r"^truth must hold intensities in \[0, 1\], got -0\.5\.\.-0\.5"):
        image_metrics.region_metrics(pred / 255, np.full((12, 12), -0.5), {"m": np.ones((12, 12), bool)})
    edge = np.float32(1) + np.finfo(np.float32).eps  # an area average of ones, rounded up
    assert image_metrics.image_metrics(np.ones((12, 12)), np.full((12, 12), edge))["mse"][0] < 1e-12


def test_class_summaries_refuse_a_label_given_twice() -> None:
    with pytest.raises(ParameterError, match="^labels must name each class once, got 'a' twice or more"):
        class_metrics.summarize(np.eye(3, dtype=int), ["a", "a", "b"])  # was a per_class of two classes, one lost


def test_class_scores_of_more_clips_than_int64_sums_are_refused() -> None:
    big = 2**61  # each cell within int64, the total not
    for cm in ([[big, big], [big, big]], [[3 * big // 2, 0], [0, 0]]):
        with pytest.raises(ParameterError, match=r"^cm must hold counts of at most 2\*\*61 clips"):
            class_metrics.top1(cm)  # was NaN: the total past int64 wrapped round to 0
        with pytest.raises(ParameterError, match=r"^cm must hold counts of at most 2\*\*61 clips"):
            class_metrics.uar(cm)
    assert class_metrics.top1([[class_metrics.MAX_COUNT, 0], [0, 0]]) == 1.0
    assert class_metrics.per_class_f1([[class_metrics.MAX_COUNT, 0], [0, 0]]).tolist() == [1.0, 0.0]


def test_a_class_index_that_is_infinite_or_huge_is_shown_as_given() -> None:
    for value, shown in ((math.inf, "0..inf"), (-math.inf, "-inf..0"), (1e300, "0..1e+300")):
        with pytest.raises(ParameterError, match=re.escape(f"y_true must be class indices in [0, 2] for 3 classes, got {shown}")):
            class_metrics.confusion_matrix([0, value], [0, 1], 3)  # was "got -9223372036854775808..0"


def test_a_data_range_whose_square_is_no_float_is_refused() -> None:
    image = np.zeros((12, 12))
    for data_range in (1e300, 1e-300):
        for call in (image_metrics.ssim, image_metrics.psnr, image_metrics.ssim_map):
            with pytest.raises(ParameterError, match="^data_range must be"):
                call(image, image, data_range)  # was an OverflowError (1e300) or NaN (1e-300)
    assert image_metrics.ssim(image, image, 255.0).tolist() == [1.0]


def test_a_region_mask_that_is_no_array_is_named() -> None:
    image = np.zeros((12, 12))
    for mask in ([[1], [1, 2]], "x", None):
        with pytest.raises(ParameterError, match="^mask 'm' "):
            image_metrics.region_metrics(image, image, {"m": mask})  # a ragged list was numpy's "inhomogeneous shape"



def test_a_class_count_or_resampling_past_memory_is_refused_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 4 << 20}  # a machine of 16 GiB, whatever this one has
    monkeypatch.setattr(checks.os, "sysconf", pages.__getitem__)
    y, subjects = [0, 1], ["a", "b"]
    for call, match in (  # were a MemoryError, or numpy's "array is too big" naming nothing
            (lambda: class_metrics.confusion_matrix(y, y, 10**6), "^a confusion matrix of 1,000,000 classes takes about"),
            (lambda: stats.resample_counts(10**9, 10**9, 0), "^1,000,000,000 resamples of 1,000,000,000 groups takes"),
            (lambda: stats.bootstrap_interval(y, y, subjects, 10**9, resamples=5), "^the bootstrap's 5 resamples of 2 subjects"),
            (lambda: stats.paired_bootstrap(y, y, y, subjects, 10**5), "^the bootstrap's 2,000 resamples of 2 subjects"),
            (lambda: stats.training_bootstrap(y, np.zeros((1, 2, 10**5)), [0, 0], subjects), "^the bootstrap's 2,000"),
            (lambda: stats.paired_training_bootstrap(y, np.zeros((1, 2, 10**5)), [0, 0], np.zeros((1, 2, 10**5)), [0, 0],
                                                     subjects), "^the bootstrap's 2,000")):
        with pytest.raises(ParameterError, match=match):
            call()
    with pytest.raises(ParameterError, match="^resamples must be an integer"):
        stats.bootstrap_interval(y, y, subjects, 2, resamples="5")
    for call, match in ((lambda: flow.flow_image(np.zeros((16, 16)), np.zeros((16, 16)), 65536), "^a flow image of size"),
                        (lambda: au_regions.grid_uv(65536), "^an AU-region grid of size 65536 takes about"),
                        (lambda: au_regions.region_masks(65536), "^an AU-region grid of size 65536 takes about")):
        with pytest.raises(ParameterError, match=match):
            call()  # were OpenCV's "Insufficient memory", a MemoryError for 32 GiB


def test_labels_of_two_kinds_are_named() -> None:
    y, mixed = [0, 1, 0, 1], ["a", None, "b", "b"]
    for call, match in (  # were numpy's "'<' not supported between instances of 'NoneType' and 'str'"
            (lambda: stats.bootstrap_interval(y, y, mixed, 2, resamples=20), "^subjects must be labels of one kind"),
            (lambda: stats.training_bootstrap(y, np.zeros((1, 4, 2)), mixed, list("aabb")), "^folds must be labels"),
            (lambda: stats.paired_training_bootstrap(y, np.zeros((1, 4, 2)), [0] * 4, np.zeros((1, 4, 2)), mixed,
                                                     list("aabb")), "^folds_b must be labels"),
            (lambda: image_metrics.cluster_mean_interval(np.ones(4), mixed), "^clusters must be labels"),
            (lambda: image_metrics.cluster_training_interval(np.ones((1, 4)), list("aabb"), mixed), "^units must be labels"),
            (lambda: image_metrics.summarize({"ssim": np.ones(4)}, {"lighting": mixed}), r"^groups\['lighting'\] must be"),
            (lambda: stats.subject_folds({1: 2, "a": 3, "b": 1}, 2), "^clips_per_subject must map each subject's name")):
        with pytest.raises(ParameterError, match=match):
            call()
    per_nan = image_metrics.summarize({"ssim": np.array([0.2, 0.4, 0.9])}, {"g": [math.nan, math.nan, 1.0]})["per_g"]
    assert per_nan == {"1.0": {"n": 1, "ssim": 0.9}, "nan": {"n": 2, "ssim": 0.30000000000000004}}  # was n 0, NaN


def test_subjects_given_as_a_number_and_as_text_are_not_merged() -> None:
    """Subject 1 and subject "1" are two labels of two kinds, as splits.subject_texts says of a manifest
    (was: numpy made both text and the bootstrap drew them as one subject)."""
    y = [0, 1, 0, 1]
    with pytest.raises(ParameterError, match="^subjects must be labels of one kind .*got int and str"):
        stats.bootstrap_interval(y, y, [1, "1", "b", "b"], 2, resamples=20)
    with pytest.raises(ParameterError, match="^clusters must be labels of one kind"):
        image_metrics.cluster_mean_interval(np.ones(4), [1, "1", 2, 2])
    assert stats.label_indices("subjects", [1, 1.0, 2]).tolist() == [0, 0, 1]  # numbers of two types: one kind
    assert stats.label_indices("subjects", np.array(["s1", "s0"])).tolist() == [1, 0]


def test_the_strain_of_a_flow_that_is_not_finite_is_refused() -> None:
    field = np.zeros((16, 16, 2), np.float32)
    field[3, 3, 0] = math.nan
    with pytest.raises(ParameterError, match="^flow holds 1 of 512 values that are not finite"):
        flow.optical_strain(field)  # was NaN at four pixels about it, without a word


if __name__ == "__main__":
    {"sweep": _sweep}[sys.argv[1]](*sys.argv[2:])
