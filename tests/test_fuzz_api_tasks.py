"""The rest of the Python API a researcher imports in a notebook, each public callable called with
one argument at a time hostile, as ``tests/test_fuzz_api.py`` sweeps the events, files, camera
models, faces and the metrics, statistics, splits, AU regions and optical flow a researcher scores
with.

:func:`calls` lists, each with a valid baseline call on tiny inputs, the clip writer of
:mod:`evface.io.clip_writer`, the input builders of :mod:`evface.inputs` (classify and
reconstruct inputs, clip views), the configs, registry and figure formatting of
:mod:`evface.tasks`, the networks of :mod:`evface.models` (built
small, one forward pass), the plans of :mod:`evface.datasets`, the timelines of :mod:`evface.rig`
and the figures of :mod:`evface.report`; and, on a tiny clip and two one-clip dataset folders
written once per child, the clip schema's constructors, the inputs read from files (views,
classify inputs and datasets, augmentation, reconstruction samples), the rig's timelines, scene
and recording, the report's collection, pages and parts, and :func:`evface.datasets.merge.merge_datasets`. Each argument in turn is replaced by each of
:func:`fuzz_values.hostile_values`, and the call must keep :func:`fuzz_values.outcome`'s property:
a result shaped like the baseline's (numbers are compared as an array: a dict's numbers, a
tensor's values), an :class:`~evface.errors.EvfaceError`, or a TypeError or ValueError naming the
argument; nothing else, and no array given changed in place. Each group runs in a memory-capped
child Python (:func:`fuzz_children.run_child`).

The tests after the sweep pin each defect it found, one at a time, in this process.
"""

from __future__ import annotations

import dataclasses
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

from evface.datasets import merge, synth_plan
from evface.face.identity import procedural_identity
from evface.errors import DatasetError, EvfaceError, FormatError, ParameterError
from evface.events import core
from evface.inputs import clip_view, flow
from evface.inputs import classify as classify_inputs
from evface.inputs import reconstruct as reconstruct_inputs
from evface.inputs.classify import InputSpec
from evface.inputs import recon_dataset
from evface.inputs.classify_augment import Augment, augment_array
from evface.inputs.classify_dataset import ClassifyDataset
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.io import clip_checks, clip_reader, clip_writer
from evface.io.dataset import write_dataset_json
from evface.io.manifest import write_manifest
from evface.models import net_costs, recon_baselines, recon_blocks, recon_losses, snn
from evface.models.ann_cnn import AnnCNN
from evface.models.cvae import CVAE
from evface.models.e2vid import E2VIDRecurrent
from evface.models.net_config import NetConfig
from evface.models.spiking_cnn import SpikingCNN
from evface.io.dataset import DatasetFolder
from evface.report import (classify_section, collect, dataset_section, dataset_summary, figures, html, html_parts,
                           recon_section)
from evface.rig import geometry, lighting, record, timeline, timeline_draw, timeline_query
from evface.rig.lighting import LIGHTING
from evface.rig.scene import Scene
from evface.rig.record import ClipSpec
from evface.io.clip_schema import Clip, FrameSeries, SensorInfo, TruthSeries
from evface.tasks import class_metrics, configs, figure_format, image_metrics, registry, stats

from fuzz_children import run_child
from fuzz_values import Calls, events, numbers, sweep

SIZE = (8, 6)
"""The sensor of the baseline events: ``(width, height)``."""

PEAK_MB = 2500
"""The most memory a child may hold at its peak: no hostile size may allocate before it is refused."""


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
    classify, recon = configs.ClassifyConfig().to_dict(), configs.ReconstructConfig().to_dict()
    return {
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


def _frames() -> FrameSeries:
    """Five RGB frames of 20x20, brightening."""
    return FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]), np.arange(5) * 250,
                       np.full(5, 100))


def _inputs(folder: Path) -> Calls:
    spec, box, ev = InputSpec(size=8, time_steps=2), (0, 0, 8, 6), events()
    gray = np.linspace(0, 1, 3 * 16 * 16).reshape(3, 16, 16).astype(np.float32)
    return {
        "kind_channels": (lambda kind: np.array(classify_inputs.kind_channels(kind)), dict(kind="events")),
        "check_kind": (classify_inputs.check_kind, dict(kind="rgb", name="kind")),
        "InputSpec": (lambda kind, sensor, time_steps, size, color, window, rgb_camera, oracle_apex, flow: numbers(
            InputSpec(kind, sensor, time_steps, size, color, window, rgb_camera, oracle_apex, flow).to_dict()),
            dict(kind="events", sensor="hd", time_steps=2, size=8, color=False, window="clip", rgb_camera="webcam30",
                 oracle_apex=False, flow="tvl1")),
        "event_input": (classify_inputs.event_input, dict(events=ev, box=box, spec=spec, t0=0, t1=50)),
        "event_apex_input": (classify_inputs.event_apex_input, dict(events=ev, box=box, spec=spec, t0=0, t1=50,
                                                                    apex_us=30)),
        "flow_input": (classify_inputs.flow_input, dict(frames=_frames(), box=(2, 2, 16, 16),
                                                        spec=InputSpec(kind="rgb-flow", size=8), t0=0, t1=1000,
                                                        apex_us=None)),
        "rgb_input": (classify_inputs.rgb_input, dict(frames=_frames(), box=(2, 2, 16, 16),
                                                      spec=InputSpec(kind="rgb", size=8, time_steps=2), t0=0, t1=1000)),
        "normalize": (lambda x, kind: numbers(classify_inputs.normalize(x, kind)).ravel(), dict(x=np.ones((2, 2, 8, 8), np.float32), kind="events")),
        "augment_array": (lambda x, kind, rng, flip, max_shift, drop, noise, drop_time, drop_area: augment_array(
            x, kind, rng, flip=flip, max_shift=max_shift, drop=drop, noise=noise, drop_time=drop_time,
            drop_area=drop_area), dict(x=np.ones((2, 2, 8, 8), np.float32), kind="events", rng=np.random.default_rng(0),
                                       flip=True, max_shift=0.125, drop=0.1, noise=0.05, drop_time=0.5, drop_area=0.5)),
        "check_sensor": (clip_view.check_sensor, dict(sensor="hd")),
        "check_window": (clip_view.check_window, dict(window="clip")),
        "checked_homography": (clip_view.checked_homography, dict(hom=np.eye(3))),
        "box_in_image": (lambda calibration, camera, shape_hw: np.array(clip_view.box_in_image(
            calibration, camera, shape_hw)), dict(calibration={"face_box": {"rgb": [2, 2, 8, 8]}}, camera="rgb",
                                                    shape_hw=(20, 20))),
        "to_gray": (lambda rgb: numbers(clip_view.to_gray(rgb)).ravel(), dict(rgb=_frames().data)),
        "resize_area": (lambda img, size: numbers(clip_view.resize_area(img, size)).ravel(), dict(img=gray, size=8)),
        "register_to_box": (clip_view.register_to_box, dict(gray=gray, homography=np.eye(3), box=(2, 2, 8, 8), size=8)),
        "ReconSpec": (lambda sensor, size, n_bins, step_us, stride: numbers(ReconSpec(
            sensor=sensor, size=size, n_bins=n_bins, step_us=step_us, stride=stride).to_dict()),
            dict(sensor="lr", size=16, n_bins=2, step_us=1000, stride=1)),
        "compact": (lambda counts: reconstruct_inputs.compact(counts).astype(np.float64).ravel(), dict(counts=np.ones(8))),
    }


def _tensor(value: Any) -> Any:
    """An array of real numbers as the tensor a network takes (a hostile array is then a hostile
    tensor); anything else as given."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return torch.as_tensor(value.copy())
    return value


def _forward(model: Callable[[], torch.nn.Module]) -> Callable[..., np.ndarray]:
    def run(x: Any) -> np.ndarray:
        torch.manual_seed(0)
        with torch.no_grad():
            return numbers(model()(_tensor(x)))
    return run


def _models(folder: Path) -> Calls:
    cfg = dict(in_channels=2, n_classes=2, time_steps=2, input_size=8, depth=1, width=2)
    net = NetConfig(**cfg)
    x, c = np.ones((1, 2, 2, 8, 8), np.float32), np.zeros((1, 3, 16, 16), np.float32)
    grey, times = np.full((1, 16, 16), 0.5, np.float32), np.array([0.0])
    e2vid, cvae_net, ann = E2VIDRecurrent(3, base=2).eval(), CVAE(3, base=2, z_channels=2).eval(), AnnCNN(net).eval()
    return {
        "NetConfig": (lambda **kw: numbers(NetConfig(**kw).to_dict()), cfg),
        "snn.build": (lambda kind, cfg: type(snn.build(kind, cfg)).__name__, dict(kind="ann", cfg=net)),
        "SpikingCNN.forward": (_forward(lambda: SpikingCNN(net).eval()), dict(x=x)),
        "AnnCNN.forward": (_forward(lambda: ann), dict(x=x)),
        "ann_macs": (net_costs.ann_macs, dict(cfg=net)),
        "snn_analog_macs": (net_costs.snn_analog_macs, dict(cfg=net)),
        "E2VIDRecurrent": (lambda c_in, keyframe, base: E2VIDRecurrent(c_in, keyframe, base).c_in,
                           dict(c_in=3, keyframe=False, base=2)),
        "E2VIDRecurrent.forward": (lambda c: numbers(e2vid(_tensor(c))[0]), dict(c=c)),
        "CVAE": (lambda c_in, keyframe, base, z_channels, recurrent: CVAE(c_in, keyframe, base, z_channels, recurrent).c_in,
                 dict(c_in=3, keyframe=False, base=2, z_channels=2, recurrent=False)),
        "CVAE.forward": (lambda x, c: numbers(cvae_net(_tensor(x), _tensor(c))["recon"]),
                         dict(x=np.zeros((1, 1, 16, 16), np.float32), c=c)),
        "CVAE.reconstruct": (lambda c, k: numbers(cvae_net.reconstruct(_tensor(c), k)),
                             dict(c=c, k=0)),
        "ssim_torch": (lambda a, b, data_range: numbers(recon_losses.ssim_torch(_tensor(a), _tensor(b), data_range)),
                       dict(a=np.zeros((1, 1, 16, 16), np.float32), b=np.ones((1, 1, 16, 16), np.float32), data_range=1.0)),
        "recon_loss": (lambda pred, target, ssim_weight: numbers(recon_losses.recon_loss(_tensor(pred), _tensor(target), ssim_weight)),
                       dict(pred=np.zeros((1, 1, 16, 16), np.float32), target=np.ones((1, 1, 16, 16), np.float32),
                            ssim_weight=0.5)),
        "logit": (lambda p, eps: numbers(recon_blocks.logit(_tensor(p), eps)).ravel(), dict(p=np.full(3, 0.5, np.float32), eps=1e-3)),
        "gaussian_kernel": (lambda sigma, truncate: numbers(recon_losses.gaussian_kernel(sigma, truncate)),
                            dict(sigma=1.5, truncate=3.5)),
        "copy_keyframe": (recon_baselines.copy_keyframe, dict(keyframe=grey)),
        "rgb_hold": (recon_baselines.rgb_hold, dict(last=grey)),
        "rgb_blend": (recon_baselines.rgb_blend, dict(a=grey, b=grey * 0, t_a=times, t_b=times + 10, t=times + 5)),
        "rgb_flow_interpolate": (recon_baselines.rgb_flow_interpolate, dict(a=grey, b=grey * 0, t_a=times,
                                                                            t_b=times + 10, t=times + 5)),
        "rgb_flow_extrapolate": (recon_baselines.rgb_flow_extrapolate, dict(prev=grey, last=grey * 0, t_prev=times,
                                                                            t_last=times + 10, t=times + 15)),
        "integrate": (recon_baselines.integrate, dict(keyframe=grey, counts=np.ones((1, 2, 16, 16)), c_on=0.2,
                                                      c_off=0.2, gamma=2.2)),
    }


def _datasets_rig_report(folder: Path) -> Calls:
    preset = synth_plan.get_preset("quick")
    subjects = synth_plan.plan_subjects(preset, 0, 2)[0]
    image = np.full((16, 16, 3), 128, np.uint8)
    params = timeline_draw.TimelineParams()
    spec = ClipSpec("s000_AU4_bright_r0", "s000", 0, "AU4", (4,), "bright", 0)
    return {
        "get_preset": (lambda name: synth_plan.get_preset(name).name, dict(name="quick")),
        "photo_name": (synth_plan.photo_name, dict(stem="face")),
        "photo_digest": (synth_plan.photo_digest, dict(image=image)),
        "turned_digests": (lambda image: len(synth_plan.turned_digests(image)), dict(image=image)),
        "plan_subjects": (lambda seed, n_subjects: len(synth_plan.plan_subjects(preset, seed, n_subjects)[0]),
                          dict(seed=0, n_subjects=2)),
        "plan_clips": (lambda subjects, classes, lightings, repetitions, rotate_lightings: len(synth_plan.plan_clips(
            subjects, classes, lightings, repetitions, rotate_lightings)),
            dict(subjects=subjects, classes={"AU4": [4]}, lightings=["bright"], repetitions=1, rotate_lightings=False)),
        "preset_plan": (lambda name, seed: len(synth_plan.preset_plan(name, seed)[1]), dict(name="quick", seed=0)),
        "check_names": (synth_plan.check_names, dict(names=["a", "b"], option="--classes", empty_ok=False)),
        "choose_classes": (lambda classes: len(synth_plan.choose_classes(preset, classes)), dict(classes=None)),
        "choose_lightings": (lambda lighting: len(synth_plan.choose_lightings(preset, lighting)), dict(lighting=None)),
        "parse_shard": (synth_plan.parse_shard, dict(shard="1/2")),
        "get_lighting": (lambda name: lighting.get_lighting(name).lux, dict(name="bright")),
        "rgb_hd_stream": (geometry.rgb_hd_stream, dict(preset="webcam30")),
        "rig_geometry": (lambda face_fraction, rig: rig_geometry_size(geometry.rig_geometry(face_fraction, rig)),
                         dict(face_fraction=geometry.renderer_face_fraction(), rig=geometry.RigParams())),
        "clip_seed": (lambda dataset_seed, spec: record.int_seed(record.clip_seed(dataset_seed, spec)),
                      dict(dataset_seed=0, spec=spec)),
        "draw_timeline": (lambda aus, params, seed: timeline_draw.draw_timeline(aus, params, seed).duration_us,
                          dict(aus=(4,), params=params, seed=0)),
        "saccade_duration_us": (timeline_draw.saccade_duration_us, dict(amplitude_deg=5.0)),
        "raised_cosine": (lambda t_us, start_us, end_us: np.ravel(timeline_query.raised_cosine(t_us, start_us, end_us)),
                          dict(t_us=np.array([0.0, 5.0, 10.0]), start_us=0.0, end_us=10.0)),
        "envelope": (lambda t_us, onset_us, apex_us, hold_end_us, offset_us: np.ravel(timeline_query.envelope(
            t_us, onset_us, apex_us, hold_end_us, offset_us)),
            dict(t_us=np.array([0.0, 5.0, 10.0]), onset_us=0.0, apex_us=3.0, hold_end_us=6.0, offset_us=9.0)),
        "crop_box": (lambda image, box, margin: np.array(figures.crop_box(image, box, margin).shape), dict(image=image, box=(2, 2, 8, 8), margin=0.15)),
        "event_image": (figures.event_image, dict(events=events(), sensor_size=SIZE)),
        "event_rate": (lambda t_us, duration_us, bin_us: np.stack(figures.event_rate(t_us, duration_us, bin_us)),
                       dict(t_us=np.array([0, 10, 20]), duration_us=50, bin_us=10)),
        "short_names": (collect.short_names, dict(folders=[Path("a/run1"), Path("b/run2")])),
    }


def _recon_clip(clip_id: str = "c0", subject: str = "s01") -> Clip:
    """A clip that makes reconstruction samples (:func:`recon_dataset.build_samples`' example) and
    classification inputs of sensor ``lr``: five RGB frames, twenty events."""
    frames = FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]), np.arange(5) * 100_000,
                         np.full(5, 10_000))
    ev = core.make_events(np.arange(0, 500_000, 25_000), np.arange(20) % 10, np.arange(20) % 8, np.ones(20))
    return Clip(clip_id, subject, "AU12", [12], "dim", 0, 250_000, 450_000, 500_000, events={"lr": ev},
                sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames},
                calibration={"face_box": {"rgb": [0, 0, 20, 20], "lr": [0, 0, 10, 8]}})


def _dataset(root: Path, clip_id: str, subject: str) -> Path:
    """A dataset folder of one clip (:func:`_recon_clip`), written with the clip writer."""
    made = _recon_clip(clip_id, subject)
    clip_writer.write_clip(root / "clips" / f"{clip_id}.h5", made)
    write_manifest(root, [{"clip_id": clip_id, "subject": subject, "label": made.label, "aus": made.aus,
                           "lighting": made.lighting, "file": f"clips/{clip_id}.h5", "onset_us": made.onset_us,
                           "apex_us": made.apex_us, "offset_us": made.offset_us, "duration_us": made.duration_us}])
    write_dataset_json(root, {"classes": {"AU12": [12]}})
    return root


def _series(folder: Path) -> Calls:
    """The clip schema's constructors, and a clip made of hostile fields written and read back."""
    data, t, exposure = np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 500]), np.array([100, 100])
    made = clip()
    fields = {key: getattr(made, key) for key in ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us",
                                                  "offset_us", "duration_us", "events", "sensors", "frames", "truth",
                                                  "calibration", "extra")}
    return {
        "FrameSeries": (lambda data, t_us, exposure_us: numbers([FrameSeries(data, t_us, exposure_us).data.shape]),
                        dict(data=data, t_us=t, exposure_us=exposure)),
        "TruthSeries": (lambda data, t_us: numbers([TruthSeries(data, t_us).data.shape]),
                        dict(data=np.ones((2, 6, 8), np.float32), t_us=t)),
        "Clip": (lambda **kw: numbers(clip_reader.read_clip(clip_writer.write_clip(folder / "k.h5", Clip(**kw))).aus),
                 fields),
        "checked_clip": (lambda path, made: numbers(clip_checks.checked_clip(path, made).aus),
                         dict(path=folder / "c.h5", made=made)),
    }


def _inputs_read(folder: Path) -> Calls:
    """The inputs read from clip files and datasets: views, classify inputs and datasets,
    augmentation, reconstruction samples."""
    root = _dataset(folder / "ds", "c0", "s01")
    path, rows = root / "clips" / "c0.h5", [{"file": "clips/c0.h5"}]
    spec, recon = InputSpec(sensor="lr", size=8, time_steps=2), ReconSpec(sensor="lr", size=16, n_bins=2, step_us=100_000)
    inputs = np.ones((3, 2, 2, 4, 4), np.float32)
    return {
        "InputSpec fields": (lambda **kw: numbers(InputSpec(**kw).to_dict()), InputSpec().to_dict()),
        "read_view": (lambda path, sensor, frames, truth: numbers(
            [len(clip_view.read_view(path, sensor, frames=frames, truth=truth).events)]),
            dict(path=path, sensor="lr", frames=["rgb"], truth=False)),
        "clip_input": (lambda path, spec: classify_inputs.clip_input(path, spec), dict(path=path, spec=spec)),
        "load_inputs": (lambda paths, spec: classify_inputs.load_inputs(paths, spec), dict(paths=[path], spec=spec)),
        "ClassifyDataset": (lambda inputs, targets, kind, augment, seed: numbers(list(ClassifyDataset(
            inputs, targets, kind, augment, seed)[1])), dict(inputs=inputs, targets=[0, 1, 1], kind="events",
                                                            augment=None, seed=0)),
        "Augment": (lambda **kw: Augment(**kw)(np.ones((2, 2, 8, 8), np.float32), np.random.default_rng(0)),
                    dict(kind="events", flip=True, max_shift=0.125, drop=0.1, noise=0.05, drop_time=0.5, drop_area=0.5)),
        "Augment.__call__": (lambda x, rng: Augment("events")(x, rng),
                             dict(x=np.ones((2, 2, 8, 8), np.float32), rng=np.random.default_rng(0))),
        "build_samples": (lambda root, rows, spec, remedy: numbers([len(recon_dataset.build_samples(
            root, rows, spec, remedy))]), dict(root=root, rows=rows, spec=recon, remedy=None)),
        "write_samples": (lambda root, rows, spec, folder: numbers([len(ReconSamples.load(recon_dataset.write_samples(
            root, rows, spec, folder)))]), dict(root=root, rows=rows, spec=recon, folder=folder / "samples")),
        "ReconSamples.load": (lambda folder: numbers([len(ReconSamples.load(folder))]),
                              dict(folder=recon_dataset.write_samples(root, rows, recon, folder / "kept"))),
    }


def _fields(value: Any) -> dict[str, Any]:
    """The fields of a dataclass ``value`` by name, as its constructor takes them."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _rig_report_merge(folder: Path) -> Calls:
    """The rig's timelines, scenes and rig, the report's collection and pages, and the merge of
    two dataset folders of one clip each."""
    expression = timeline.Expression((12,), 50_000, 150_000, 150_000, 300_000, 0.6)
    line = timeline.Timeline(400_000, expression)
    params = geometry.RigParams(lr_face_px=16.0, rgb_size=(128, 96))
    face, rig_geometry = procedural_identity(0), geometry.rig_geometry(geometry.renderer_face_fraction(), params)
    scene = Scene(face, rig_geometry, params)
    rig = record.Rig(face, dataclasses.replace(params, scene_rate_hz=200.0))
    spec = ClipSpec("s000_AU12_bright_r0", "s000", 0, "AU12", (12,), "bright", 0)
    short = timeline.Timeline(40_000, timeline.Expression((12,), 2_000, 8_000, 8_000, 38_000, 0.6))
    a, b = _dataset(folder / "a", "c0", "s01"), _dataset(folder / "b", "c1", "s02")
    data = collect.collect([a])
    few = [{"metrics": {"n_subjects": 40}}, {"metrics": {"n_subjects": 3}}]
    return {
        **{name: (lambda kind=kind, **kw: numbers([getattr(kind(**kw), "duration_us", 0)]), _fields(made))
           for name, kind, made in (("AuCurve", timeline.AuCurve, timeline.AuCurve(14, 100, 200, 250, 400, 0.6, "L")),
                                    ("Expression", timeline.Expression, expression),
                                    ("Blink", timeline.Blink, timeline.Blink(0, 50_000, 150_000, 0.9)),
                                    ("HeadMotion", timeline.HeadMotion, timeline.HeadMotion()),
                                    ("Saccade", timeline.Saccade, timeline.Saccade(100_000, 143_000, (10.0, 0.0))),
                                    ("Timeline", timeline.Timeline, line))},
        "Scene": (lambda identity, geometry, params: numbers([Scene(identity, geometry, params).geometry.canvas_hd]),
                  dict(identity=face, geometry=rig_geometry, params=params)),
        **{f"Scene.{view}": (lambda timeline, t_us, lux, view=view: numbers(getattr(scene, view)(timeline, t_us, lux)),
                             dict(timeline=line, t_us=150_000, lux=100.0)) for view in ("views", "rgb", "rgb_hd")},
        "Rig": (lambda identity, params: numbers([record.Rig(identity, params).geometry.canvas_hd]),
                dict(identity=face, params=params)),
        "Rig.record": (lambda spec, timeline, lighting, seed: numbers([rig.record(spec, timeline, lighting, seed).truth[
            "lr"].data.shape]), dict(spec=spec, timeline=short, lighting=LIGHTING["bright"], seed=record.clip_seed(0, spec))),
        "collect": (lambda run_dirs: numbers([len(collect.collect(run_dirs).datasets)]), dict(run_dirs=[a])),
        "trained_runs": (collect.trained_runs, dict(run_dirs=[a])),
        "folder_labels": (collect.folder_labels, dict(run_dirs=[a, b])),
        "dataset_summary": (lambda ds: numbers([dataset_summary.dataset_summary(ds)["n_clips"]]),
                            dict(ds=DatasetFolder.open(a))),
        "build_report": (lambda run_dirs, out, replace: numbers([html.is_report(html.build_report(run_dirs, out, replace))]),
                         dict(run_dirs=[a], out=folder / "report.html", replace=True)),
        "is_report": (html.is_report, dict(path=folder / "report.html")),
        **{f"{build.__module__}.{build.__name__}": (build, dict(data=data)) for build in (
            html.render_html, dataset_section.build_dataset_section, classify_section.build_classify_section,
            recon_section.build_reconstruct_section)},
        "embedded_image": (html_parts.embedded_image, dict(data=b"GIF", alt="a <face>", mime="image/gif")),
        "count_text": (html_parts.count_text, dict(value=1344, noun="clip", plural="clips")),
        "cells_with_counts": (html_parts.cells_with_counts, dict(
            grid=[[("50.0", (2, 6)), ("-", (None, None))], [("40.0", (2, 6)), ("30.0", (3, 9))]],
            columns=["bright", "dim"], unit="clips")),
        "html_table": (html_parts.html_table, dict(head=["arm"], rows=[["events"], ["rgb"]], row_classes=["paper", ""])),
        "escaped_run_name": (html_parts.escaped_run_name, dict(run={"name": "ev<1>", "data_label": "d2"})),
        "tested_run_name": (html_parts.tested_run_name, dict(run={"name": "ev", "data_label": "d2",
                                                                  "elsewhere": {"data": "/path/d2"}})),
        "few_subjects_note": (html_parts.few_subjects_note, dict(runs=few, coverage="clips")),
        "one_lighting_note": (html_parts.one_lighting_note, dict(lightings=["bright"])),
        "signed_difference": (html_parts.signed_difference, dict(d={"diff": 0.0123, "ci": [0.005, 0.02]}, digits=2,
                                                                 scale=100)),
        "pair_name": (html_parts.pair_name, dict(comparison={"a": "events <hd>", "b": "rgb"})),
        "not_compared_list": (html_parts.not_compared_list, dict(comparisons=[{"a": "ev", "b": "rgb", "error": "x"}])),
        "signed_mean": (html_parts.signed_mean, dict(d={"mean": 0.0123, "ci": [-0.005, 0.02], "n_clusters": 5}, digits=4)),
        "merge_datasets": (lambda out, sources, overwrite: numbers([merge.merge_datasets(
            out, sources, overwrite=overwrite)["clips"]]), dict(out=folder / "merged", sources=[a, b], overwrite=True)),
    }


def rig_geometry_size(g: Any) -> np.ndarray:
    """The numbers of a rig geometry, as one array."""
    return numbers([v for v in vars(g).values() if isinstance(v, (int, float, tuple, list, np.ndarray))])


def _run(folder: Path) -> Path:
    """A run folder of the classify task, as far as :func:`registry.task_of_run` reads it."""
    run = folder / "run"
    run.mkdir(exist_ok=True)
    (run / "config.json").write_text(json.dumps({"task": "classify", **configs.ClassifyConfig().to_dict()}))
    return run


GROUPS = ("files and plans", "tasks", "inputs", "models", "clips, rig, report and merge")
"""The groups, each swept in one child (a child's imports cost about 2 s of CPU)."""


def calls(folder: Path, group: str) -> Calls:
    """``name: (callable, baseline arguments)`` of the public API in ``group``; files under ``folder``."""
    if group == "files and plans":
        return {**_files(folder), **_datasets_rig_report(folder)}
    if group == "clips, rig, report and merge":
        return {**_series(folder), **_inputs_read(folder), **_rig_report_merge(folder)}
    return {"tasks": _tasks, "inputs": _inputs, "models": _models}[group](folder)


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


def test_input_builders_name_a_spec_box_frames_or_time_of_the_wrong_kind() -> None:
    spec, box, ev, frames = InputSpec(size=8, time_steps=2), (0, 0, 8, 6), events(), _frames()
    for call, match in ((lambda: classify_inputs.event_input(ev, box, 0.5, 0, 50), "spec must be an InputSpec"),
                        (lambda: classify_inputs.event_apex_input(ev, box, spec, 0, 50, -math.inf), "apex_us must be"),
                        (lambda: classify_inputs.event_apex_input(ev, box, spec, np.zeros((6, 8)), 50), "t0 must be"),
                        (lambda: classify_inputs.rgb_input(frames, 0.5, spec, 0, 1000), r"box must be \(x, y, w, h\)"),
                        (lambda: classify_inputs.rgb_input(0.5, box, spec, 0, 1000), "frames must be a FrameSeries"),
                        (lambda: classify_inputs.flow_input(frames, (2, 2, 16, 16), spec, 0, np.zeros(2)), "t1 must be"),
                        (lambda: InputSpec(rgb_camera=np.zeros(2)), "rgb_camera must be one of"),
                        (lambda: clip_view.check_sensor(np.zeros(2)), "sensor must be one of"),
                        (lambda: clip_view.check_window(np.zeros(2)), "window must be one of"),
                        (lambda: ReconSpec(sensor=np.zeros(2)), "sensor must be one of"),
                        (lambda: clip_view.box_in_image(np.zeros(2), "rgb", (20, 20)), "calibration must be"),
                        (lambda: clip_view.box_in_image({"face_box": {"rgb": [2, 2, 8, 8]}}, "rgb", 0.5), "shape_hw must be"),
                        (lambda: clip_view.register_to_box(0.5, np.eye(3), (0, 0, 4, 4), 4), "gray must be grey frames"),
                        (lambda: clip_view.resize_area(np.full((6, 8), np.nan), 4), "img holds 48 of 48 values"),
                        (lambda: flow.frame_apex_index(np.zeros((2, 4), core.EVENT_DTYPE)), "gray must hold real numbers"),
                        (lambda: flow.dense_flow(np.zeros((16, 16)), np.zeros((16, 16), core.EVENT_DTYPE)), "apex must hold"),
                        (lambda: flow.optical_strain(0.5), r"flow must be a flow field \(H, W, 2\)"),
                        (lambda: classify_inputs.normalize(np.array([1.0, -1.0]), "events"), "x must hold event counts"),
                        (lambda: classify_inputs.normalize(ev, "events"), "x must be an array or tensor of real numbers"),
                        (lambda: reconstruct_inputs.compact(0.5), "counts must be an array of real numbers"),
                        (lambda: reconstruct_inputs.compact(np.array([1.0, np.nan])), "counts hold NaN")):
        with pytest.raises(ParameterError, match=match):
            call()  # were AttributeErrors, unpacking errors, numpy's "truth value ... ambiguous" or "Cannot cast
            # array data", an OverflowError, or NaN / -inf returned
    assert classify_inputs.normalize(torch.zeros(2), "events").tolist() == [0.0, 0.0]


def test_network_helpers_name_a_config_tensor_or_setting_of_the_wrong_kind() -> None:
    img = torch.zeros(1, 1, 16, 16)
    for call, match in ((lambda: snn.build("ann", math.nan), "cfg must be a NetConfig"),
                        (lambda: snn.build(np.zeros(0), NetConfig(2, 2, 2, 8, 1, 2)), "model must be 'snn' or 'ann'"),
                        (lambda: net_costs.ann_macs(math.nan), "cfg must be a NetConfig"),
                        (lambda: net_costs.snn_analog_macs({"in_channels": 2}), "cfg must be a NetConfig"),
                        (lambda: recon_losses.ssim_torch(img, img, math.nan), "data_range must be"),
                        (lambda: recon_losses.ssim_torch(img, img, 10**30), "data_range must be"),
                        (lambda: recon_losses.recon_loss(0.5, img), "pred must be a torch.Tensor"),
                        (lambda: recon_blocks.logit(0.5), "p must be a tensor"),
                        (lambda: recon_blocks.logit(torch.full((2,), math.nan)), "p holds NaN"),
                        (lambda: recon_blocks.logit(torch.zeros(2), math.nan), "eps must be"),
                        (lambda: recon_losses.gaussian_kernel(math.nan), "sigma must be"),
                        (lambda: recon_losses.gaussian_kernel(1.5, math.inf), "truncate must be")):
        with pytest.raises(ParameterError, match=match):
            call()  # were AttributeErrors, "cannot convert float NaN to integer", or NaN returned
    with pytest.raises(TypeError, match="torch.Tensor, got ndarray for x"):
        AnnCNN(NetConfig(2, 2, 2, 8, 1, 2))(np.ones((1, 2, 2, 8, 8)))


def test_plans_rig_and_report_figures_name_arguments_of_the_wrong_kind() -> None:
    preset = synth_plan.get_preset("quick")
    subjects = synth_plan.plan_subjects(preset, 0, 2)[0]
    for call, match in ((lambda: synth_plan.plan_clips(subjects, {"AU4": [4]}, ["bright"], -1), "repetitions must be"),
                        (lambda: synth_plan.plan_clips(subjects, {"AU4": [4]}, ["bright"], 1.5), "repetitions must be"),
                        (lambda: synth_plan.plan_clips(3, {"AU4": [4]}, ["bright"], 1), "subjects must be a list"),
                        (lambda: synth_plan.get_preset(np.zeros(2)), "unknown synth preset"),
                        (lambda: synth_plan.photo_name(math.nan), "stem must be text"),
                        (lambda: synth_plan.turned_digests(math.nan), "image must be a picture"),
                        (lambda: synth_plan.check_names(math.nan, "--classes"), "--classes must be a list of names"),
                        (lambda: synth_plan.choose_lightings(preset, [3]), "--lighting must be a list of names"),
                        (lambda: lighting.get_lighting(np.zeros(2)), "unknown lighting"),
                        (lambda: geometry.rig_geometry(math.nan, geometry.RigParams()), "face_fraction must be"),
                        (lambda: geometry.rig_geometry(geometry.renderer_face_fraction(), math.nan), "rig must be RigParams"),
                        (lambda: timeline_draw.saccade_duration_us(math.nan), "amplitude_deg must be"),
                        (lambda: timeline_query.raised_cosine(math.nan, 0, 10), "t_us must be finite times"),
                        (lambda: timeline_query.envelope(5.0, 0, math.nan, 6, 9), "apex_us must be"),
                        (lambda: figures.crop_box(math.nan, (0, 0, 2, 2)), "image must be a picture"),
                        (lambda: figures.crop_box(np.zeros((4, 4)), (0, 0, 2, 2), math.nan), "margin must be"),
                        (lambda: figures.event_image(events(), math.nan), "sensor_size must be"),
                        (lambda: figures.event_image(events(), (4, 4)), "events lie off the 4x4 sensor_size"),
                        (lambda: figures.event_rate([0, 10], math.nan, 10), "duration_us must be"),
                        (lambda: figures.event_rate(events(), 50, 10), "t_us must be event times")):
        with pytest.raises(ParameterError, match=match):
            call()  # were an empty plan, "'float' object cannot be interpreted as an integer", "unhashable type",
            # AttributeErrors, unpacking and "cannot convert float NaN to integer" errors, NaN curves, an IndexError
            # or an event drawn in another row
    with pytest.raises(ParameterError, match="clips planned, more than"):  # 10**30 repetitions filled the memory:
        synth_plan.plan_clips(subjects * 10, {"AU4": [4]}, ["bright"] * 100, 1000)  # the sweep's child tries them
    with pytest.raises(EvfaceError, match="folders must be a list of run folders"):
        collect.short_names(math.nan)


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


def test_clip_series_and_clips_name_times_images_and_parts_of_the_wrong_kind(tmp_path: Path) -> None:
    data, t = np.zeros((2, 4, 6, 3), np.uint8), np.array([0, 500])
    for call, match in ((lambda: FrameSeries(data, 0.5, t), r"FrameSeries.t_us must be 1-D real numbers"),
                        (lambda: FrameSeries(data, t, 100), r"FrameSeries.exposure_us must be 1-D real numbers"),
                        (lambda: FrameSeries(data, t, np.zeros(3)), "FrameSeries.exposure_us holds 3 exposures for 2"),
                        (lambda: FrameSeries(np.zeros(3), t, t), r"FrameSeries.data must be an array of images"),
                        (lambda: TruthSeries(data[..., 0], np.zeros(2, complex)), "TruthSeries.t_us must be 1-D real"),
                        (lambda: TruthSeries(data[..., 0], t[::-1]), "TruthSeries.t_us: the times of the images are not")):
        with pytest.raises(ValueError, match=match):
            call()  # were "object of type 'float' has no len()", a comparison's TypeError, or naming no field
    with pytest.raises(ParameterError, match=r"c.h5: Clip.frames\['rgb'\].t_us must be whole microseconds, got float64 \[0.5\]"):
        clip_checks._check_times(tmp_path / "c.h5", "Clip.frames['rgb'].t_us", 0.5)  # was an IndexError
    for key in ("events", "sensors", "frames", "truth"):
        with pytest.raises(ParameterError, match=f"Clip.{key} must be a dict of"):
            Clip("c0", "s0", "AU12", [12], "bright", 0, 10, 20, 60, **{key: math.nan})  # was "no attribute 'items'" on write
    path = tmp_path / "c0.h5"
    for key, value, match in (("calibration", math.nan, "must be a dict"), ("extra", {"z": np.zeros(2, complex)},
                                                                             r"cannot be stored as JSON \(complex128 values\)")):
        made = clip()
        setattr(made, key, value)
        with pytest.raises(ParameterError, match=f"c0.h5: Clip.{key} {match}"):
            clip_writer.write_clip(path, made)  # nan was written and refused on read, complex "cannot store complex"
    assert not path.exists()


def test_inputs_read_from_files_name_a_spec_rows_paths_or_parts_of_the_wrong_kind(tmp_path: Path) -> None:
    spec, recon, rows = InputSpec(sensor="lr", size=8), ReconSpec(sensor="lr", size=16), [{"file": "clips/c0.h5"}]
    inputs = np.ones((3, 2, 2, 4, 4), np.float32)
    for call, match in ((lambda: classify_inputs.clip_input(tmp_path / "c0.h5", 0.5), "spec must be an InputSpec"),
                        (lambda: classify_inputs.load_inputs([tmp_path / "c0.h5"], 8), "spec must be an InputSpec"),
                        (lambda: classify_inputs.load_inputs(0.5, spec), "paths must be a list of clip files"),
                        (lambda: classify_inputs.load_inputs("c0.h5", spec), "paths must be a list of clip files"),
                        (lambda: ClassifyDataset(inputs, 0.5, "events"), "targets must be a list of class indices"),
                        (lambda: ClassifyDataset(inputs, [0, 1, 1], "events", 0.5), "augment must be an Augment"),
                        (lambda: clip_view.read_view(tmp_path / "c0.h5", np.zeros(2), frames=False), "sensor must be"),
                        (lambda: recon_dataset.build_samples(tmp_path, rows, 16), "spec must be a ReconSpec"),
                        (lambda: recon_dataset.build_samples(0.5, rows, recon), "root must be a file path"),
                        (lambda: recon_dataset.build_samples(tmp_path, np.ones((6, 8)), recon), "rows must be a list"),
                        (lambda: recon_dataset.write_samples(tmp_path, [{"clip": 1}], recon, tmp_path / "s"), "rows must"),
                        (lambda: recon_dataset.write_samples(tmp_path, rows, recon, 0.5), "folder must be a file path"),
                        (lambda: ReconSamples.load(0.5), "folder must be a file path")):
        with pytest.raises(ParameterError, match=match):
            call()  # were AttributeErrors (no 'kind', 'sensor', 'time_steps'), "no len()", "not callable",
            # "unhashable type", "no field of name file", an IndexError or os.fspath's TypeError
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_rig_report_and_merge_name_arguments_of_the_wrong_kind(tmp_path: Path) -> None:
    params = geometry.RigParams(lr_face_px=16.0, rgb_size=(128, 96))
    rig_geometry = geometry.rig_geometry(geometry.renderer_face_fraction(), params)
    folder, ds = tmp_path / "folder", _dataset(tmp_path / "ds", "c0", "s01")
    folder.mkdir()
    for call, match in ((lambda: Scene(procedural_identity(0), rig_geometry, 0.5), "params must be a RigParams"),
                        (lambda: Scene(procedural_identity(0), 0.5, params), "geometry must be a RigGeometry"),
                        (lambda: timeline.AuCurve(12, 0, 1, 2, 3, 0.5, np.zeros(2)), "AuCurve.side must be"),
                        (lambda: html.is_report(0.5), "path must be a file path"),  # True closed stdout (fd 1)
                        (lambda: html.build_report([ds], folder), "folder: is a folder"),
                        (lambda: html.build_report([ds], tmp_path / "r.html", np.zeros(2)), "replace must be"),
                        (lambda: collect.collect(math.nan), "run_dirs must be a list of folders"),
                        (lambda: collect.trained_runs(np.zeros(2)), "run_dirs must be a list of folders"),
                        (lambda: html.render_html(0.5), "data must be the ReportData"),
                        (lambda: dataset_section.build_dataset_section(None), "data must be the ReportData"),
                        (lambda: dataset_summary.dataset_summary(0.5), "ds must be a DatasetFolder"),
                        (lambda: merge.merge_datasets(0.5, [ds, folder]), "out must be a file path"),
                        (lambda: merge.merge_datasets(tmp_path / "m", 0.5), "sources must be a list")):
        with pytest.raises(ParameterError, match=match):
            call()  # were AttributeErrors, os.fspath's TypeError, numpy's "truth value ... ambiguous", "not
            # iterable", and the report of a folder an IsADirectoryError once every run was read
    with pytest.raises(DatasetError, match="nowhere: no such folder"):
        collect.collect(["nowhere"])  # a folder as text was an AttributeError about 'is_dir'
    assert html.is_report(folder) is False  # was an IsADirectoryError
    for call, match in ((lambda: html_parts.count_text(1, np.zeros(2)), "noun must be text"),
                        (lambda: html_parts.embedded_image(0.5, "a"), "data must be the image file's bytes"),
                        (lambda: html_parts.html_table(0.5, []), "head must be a list of text"),
                        (lambda: html_parts.pair_name(0.5), "comparison must be a dict with 'a', 'b'"),
                        (lambda: html_parts.signed_mean(np.zeros(2)), "d must be a dict with 'mean', 'ci'"),
                        (lambda: html_parts.few_subjects_note([{"metrics": 0.5}], "clips"), "runs' metrics must be")):
        with pytest.raises(TypeError, match=match):  # a TypeError: build_report names the run file that has it
            call()  # were AttributeErrors, IndexErrors, numpy's "truth value ... ambiguous" naming nothing


if __name__ == "__main__":
    {"sweep": _sweep}[sys.argv[1]](*sys.argv[2:])
