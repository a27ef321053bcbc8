"""Task: frame reconstruction from events (CVAE) with its baselines, trained and scored on one protocol.

:func:`train` (``data, run_dir, config, log``; the settings are a
:class:`~evface.tasks.configs.ReconstructConfig`) cuts the samples of the configured protocol
(:mod:`evface.inputs.reconstruct`: extrapolation, interpolation or events-only, on one target
grid shared by hd and lr) once for every clip, then trains each part of the evaluation protocol
(:func:`~evface.tasks.recon_run.protocol_parts`: one subject split, or ``folds`` subject-grouped folds in which every
subject is tested once): it fits the direct-integration baseline's contrasts and leak by grid
search on the part's training samples and trains the CVAE (:class:`~evface.models.cvae.CVAE`)
and the E2VID-style recurrent UNet (:class:`~evface.models.e2vid.E2VIDRecurrent`) on random crops
with the shared engine (:func:`evface.tasks.engine.fit`: checkpoints, resume, early stopping on
validation SSIM, DDP under torchrun). Both networks see the same condition: the voxel grid of the
events since the previous sample, the leaked event counts since the keyframe, and the keyframe
where the protocol allows one. :func:`evaluate_run` scores every method on each part's test
subjects with that part's models, pools the per-sample scores of all parts
(:mod:`evface.tasks.recon_eval`: intervals resample every tested subject) and writes
``metrics.json``, ``apex.png`` and ``horizon.png``; :func:`train_and_evaluate` does both on the
same decoded samples (what ``evface train reconstruct`` calls).

The pieces, each a module of its own: the run folder's parts and files (:mod:`evface.tasks.recon_run`),
the networks' input and reconstructions (:mod:`evface.tasks.recon_nets`), the training loops of one
part (:mod:`evface.tasks.recon_training`), every method's reconstructions of a trained run's samples
(:mod:`evface.tasks.recon_predict`) and the networks' speed for ``evface bench train``
(:mod:`evface.tasks.recon_speed`); this module is the task itself, read top to bottom.

The same work in three steps, for ``evface run``, which runs each as a job of its own (so a
cluster trains the parts side by side): :func:`prepare` lays out the protocol from the manifest,
:func:`fit_part` trains one part, :func:`pool_parts` scores the run; the clips are decoded once,
by :func:`prepare`, into a memory-mapped cache. Either way gives the same files and numbers.

With ``seeds`` > 1 every part is trained that many times on the same subjects (the parts
``<fold>-s<seed>``) and each sample is scored by the mean of its trainings' scores
(:func:`evaluate_run`), beside what each training scores alone (``metrics.json["per_seed"]``).
A run given more seeds trains only the new ones (its parts keep their folders).

Run folder (``PART`` is ``RUN`` itself for one split, ``RUN/fold<i>`` under folds,
``RUN/fold<i>-s<seed>`` or ``RUN/split-s<seed>`` with several seeds, where a run of one seed
given more keeps its own folders for the first seed)::

    RUN/config.json        task "reconstruct", data, sample spec, model and training settings,
                           evaluation protocol, and per part its name, folder and subjects
    RUN/samples/           the decoded samples while the parts train as separate jobs (removed once scored)
    PART/part.json         the part's input scales, fitted integration parameters, training
                           summary, seconds and torch threads (written once both models are trained)
    PART/best.pt, checkpoint.pt, history.json          the part's CVAE
    PART/e2vid/best.pt, checkpoint.pt, history.json    the part's recurrent UNet baseline
    RUN/train.json         training time and epochs of both models, per part, and the torch threads
                           the parts trained on (``torch_threads``)
    RUN/metrics.json       see :func:`evface.tasks.recon_eval.score`, with the protocol, the
                           folds and the number of test subjects, clips and samples
    RUN/scores.csv         per test sample and method: SSIM and PSNR over the face box and in
                           the active AU regions (what ``evface compare`` pairs)
    RUN/apex.png           every method at the apex, the CVAE's K-sample mean and spread, the target
    RUN/horizon.png        SSIM and PSNR against the horizon, one curve per method
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evface.errors import DatasetError, ParameterError, choose_from, counted, where
from evface.executor import usable_cpus
from evface.inputs.recon_dataset import build_samples, check_memory, sample_bytes, write_samples
from evface.inputs.reconstruct import (
    GRID_SENSOR,
    NEEDS,
    NO_INTERPOLATION,
    NOTHING_TO_INTERPOLATE,
    ReconSamples,
    ReconSpec,
)
from evface.io.clip_reader import frames_and_truth_info
from evface.io.dataset import DatasetFolder
from evface.models.recon_baselines import fit_integration
from evface.tasks import figure_format, parallel, recon_eval, run_clips, run_evaluation, run_folder, run_resume
from evface.tasks.configs import ReconstructConfig
from evface.tasks.recon_nets import input_scales
from evface.tasks.recon_predict import predict_parts, scoring_parts
from evface.tasks.recon_run import (
    PART_JSON, SAMPLES_DIR, cached_samples, part_trained, protocol_parts, run_subjects, same_training, seed_groups,
    write_train_summary,
)
from evface.tasks.recon_training import train_part

TASK = "reconstruct"
FIT_SAMPLES = 256
"""At most this many training samples go into the integration baseline's grid search."""
RESUMABLE_CHANGES = ("device", "epochs", "patience", "threads", "world_size")
"""Settings a run folder may be resumed with after a change."""


# --------------------------------------------------------------------------- training


def default_threads() -> int:
    """torch CPU threads when ``threads=0``: half the CPUs this process may use (at least 1).

    On a 2-core machine shared with other jobs, two torch threads ran a training step 16x slower
    than one (OpenMP threads waiting for each other on busy cores); half the cores leaves room.

    Returns
    -------
    int
        The threads, at least 1 and at most torch's own default.

    Examples
    --------
    >>> 1 <= default_threads() <= torch.get_num_threads()
    True
    """
    return max(1, min(torch.get_num_threads(), usable_cpus() // 2))  # was: the machine's CPUs, not the job's


def _part_samples(s: ReconSamples, subjects: Sequence[str], part: str) -> ReconSamples:
    """The samples of ``subjects`` (``s`` itself, not a copy, when that is all of them: the test set under folds)."""
    idx = s.of_subjects(subjects)
    if idx.size == 0:
        raise ParameterError(f"the {part} subjects {', '.join(subjects) or '(none)'} have no samples; "
                             "use a dataset with more subjects")
    return s if idx.size == len(s) else s.select(idx)


def _check_parts_sampled(data: Path, rows: Sequence[dict[str, Any]], parts: Sequence[dict[str, Any]],
                         s: ReconSamples, spec: ReconSpec) -> None:
    """Refuse, before any part trains, a part whose training or validation subjects have no sample
    (their clips all too short: a recording's clips of one RGB frame), naming the part, its subjects,
    their clips and what a clip needs (was: "the training subjects s03 have no samples; use a dataset
    with more subjects", once the parts before it had trained, the run left to fail again on resuming).

    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros((1, 1)) for name in ARRAYS},
    ...                  meta={"clip_id": np.array(["a"], object), "subject": np.array(["s1"], object)})
    >>> rows = [{"clip_id": "a", "subject": "s1", "duration_us": 400_000},
    ...         {"clip_id": "c", "subject": "s3", "duration_us": 33_333}]
    >>> _check_parts_sampled(Path("data"), rows, [{"name": "fold1", "train": ["s1"], "val": ["s3"]}], s, ReconSpec())
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: data: fold1's validation subject s3 has no extrapolation sample: its clip c (33.3 ms) is too short; a clip needs a truth frame (a recording: an RGB frame) after its first RGB frame's mid-exposure, on the --step-us grid through the apex (now 50000 µs); widen its window in the annotation table, leave it out, or give a dataset of more subjects
    """
    sampled = set(s.meta["subject"].astype(str).tolist())
    for part in parts:
        for role, word in (("train", "training"), ("val", "validation")):
            if set(part[role]) & sampled:
                continue
            clips = [r for r in rows if str(r["subject"]) in set(part[role])]
            named = ", ".join(f"{r['clip_id']} ({int(r['duration_us']) / 1000:.1f} ms)" for r in clips[:10])
            named += f" and {len(clips) - 10} more" if len(clips) > 10 else ""
            one = len(part[role]) == 1 and len(clips) == 1
            needs = (NEEDS["interpolation"] if spec.protocol == "interpolation"
                     else f"{NEEDS['extrapolation']} (now {spec.step_us} µs)")
            raise DatasetError(where(data, (
                f"{part['name']}'s {word} {'subject' if len(part[role]) == 1 else 'subjects'} {', '.join(part[role])} "
                f"{'has' if len(part[role]) == 1 else 'have'} no {spec.protocol} sample: "
                f"{'its clip' if one else 'their clips'} {named} {'is' if one else 'are'} too short; a clip needs "
                f"{needs}; widen {'its window' if one else 'their windows'} in the annotation table, leave "
                f"{'it' if one else 'them'} out, or give a dataset of more subjects")))


def _rows_of(data: Path, subjects: set[str], spec: ReconSpec, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """The manifest rows of ``subjects``' clips, in manifest order (a clip's samples do not depend on the others)."""
    rows = [r for r in DatasetFolder.open(data).rows if str(r["subject"]) in subjects]
    say(f"building samples ({spec.sensor}, {spec.protocol}) of {counted(len(rows), 'clip')} ...")
    return rows


def _samples_of(data: Path, subjects: set[str], spec: ReconSpec, say: Callable[[str], None]) -> ReconSamples:
    """Samples of every clip of ``subjects``, in manifest order, in memory."""
    return build_samples(data, _rows_of(data, subjects, spec, say), spec)


def train(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the CVAE and the recurrent baseline and fit the integration baseline, for every part of the protocol.

    Runs on ``config.threads`` torch threads (0: :func:`default_threads`), the caller's set back after.
    Seeds Python's, numpy's global and torch's random generators with the run's seed
    (:func:`~evface.tasks.random_states.seed_everything`: the run is reproduced); the process's other
    settings are left as found.

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder (created; an existing one trained with the same settings resumes).
    config : ReconstructConfig, optional
        The settings.
    log : callable, optional
        Called with progress lines on rank 0.

    Returns
    -------
    dict
        The content of ``RUN/train.json``.

    Examples
    --------
    :func:`train_and_evaluate` shows a run; the settings are a :class:`ReconstructConfig`, checked
    before anything is read or written:

    >>> train("data", "run", {"epochs": 1})
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: config must be a ReconstructConfig, got a dict: give ReconstructConfig(**settings), e.g. ReconstructConfig(epochs=3)
    """
    _spec(config)
    with parallel.distributed(config.device) as dist:
        return _train(config, Path(data), Path(run_dir), dist, log)[0]


def train_and_evaluate(data: str | Path, run_dir: str | Path, config: ReconstructConfig = ReconstructConfig(),
                       log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """:func:`train`, then the evaluation of :func:`evaluate_run` on the same samples (rank 0 only; other ranks
    return ``{}``): the clips are decoded once for training and test. Threads and random generators as in
    :func:`train`; the evaluation on the threads the parts trained on (:func:`_scoring_threads`, as
    :func:`evaluate_run` scores the run; was: the caller's, so that ``metrics.json`` differed with them in
    its last digits where ``--threads`` was the same, and until 2026-12-06 on :func:`default_threads` also
    where a run resumed on another machine had trained its parts on another count).

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder (created; an existing one trained with the same settings resumes).
    config : ReconstructConfig, optional
        The settings.
    log : callable, optional
        Called with progress lines on rank 0.

    Returns
    -------
    dict
        The content of ``RUN/metrics.json`` (``{}`` on the other ranks).

    Examples
    --------
    A toy dataset folder (:func:`~evface.datasets.toy.toy_dataset`: 8 clips of random events and
    frames) and a run on it (one subject split: the 2 clips of 1 subject tested):

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ReconstructConfig(sensor="lr", size=16, n_bins=2, step_us=100_000, crop=0, epochs=1, base=2,
    ...                            z_channels=1, k_samples=0, seq_len=2, batch_size=4, threads=1, device="cpu")
    >>> _ = toy_dataset("data")
    >>> metrics = train_and_evaluate("data", "run", config)
    >>> metrics["evaluated_on"]
    "2 clips of the run's own dataset, each by the models of the part that tested its subject"
    >>> sorted(metrics["methods"])
    ['cvae', 'e2vid', 'integration', 'keyframe', 'rgb_flow', 'rgb_hold']
    """
    _spec(config)
    with parallel.torch_threads(config.threads or default_threads()):
        with parallel.distributed(config.device) as dist:
            _, samples = _train(config, Path(data), Path(run_dir), dist, log)
        if not dist.is_main:
            return {}
        with parallel.torch_threads(_scoring_threads(Path(run_dir), config)):  # None: default_threads(), as trained
            return _evaluate(Path(run_dir), Path(data), Path(run_dir), samples)


def _spec(cfg: ReconstructConfig) -> ReconSpec:
    """The samples' specification (checks the config, its sensor, protocol and sizes before any work)."""
    cfg = ReconstructConfig.given(cfg)
    return ReconSpec(sensor=cfg.sensor, protocol=cfg.protocol, size=cfg.size, n_bins=cfg.n_bins, step_us=cfg.step_us,
                     stride=cfg.stride)


def _train(cfg: ReconstructConfig, data: Path, run_dir: Path, dist: parallel.DistInfo,
           log: Callable[[str], None] | None) -> tuple[dict[str, Any], ReconSamples]:
    """:func:`prepare`, :func:`fit_part` for every part still to train, then ``train.json``, on samples decoded
    once; a sample cache of earlier steps (:func:`prepare`, or a killed writer's ``samples.tmp``) is removed.
    Runs on ``cfg.threads`` torch threads (0: :func:`default_threads`), the caller's set back after."""
    with parallel.torch_threads(cfg.threads or default_threads()):
        todo, samples = _prepare(data, run_dir, cfg, dist, log, "memory")
        assert samples is not None  # "memory" cuts them on every rank
        config = run_folder.load_config(run_dir)
        for name in todo:
            fit_part(data, run_dir, cfg, name, dist, log, samples)
    summary = write_train_summary(run_dir, config, dist)
    if dist.is_main:
        _remove_caches(run_dir)
    return summary, samples


def prepare(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig = ReconstructConfig(),
            dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None,
            cache: bool = True) -> list[str]:
    """Lay out the evaluation protocol of a run; return the names of its parts still to train.

    Writes ``RUN/config.json`` (the settings, the sample spec and every part's subjects; an existing
    one must hold the same settings: the run resumes) and, with ``cache`` while a part is left to
    train, the samples of every clip the run uses, decoded once (``RUN/samples/``, memory-mapped
    by :func:`fit_part` and :func:`pool_parts`, removed by :func:`pool_parts`). Each part is then
    trained by :func:`fit_part` (one job per part under ``evface run``) and the run is scored by
    :func:`pool_parts`.

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder.
    cfg : ReconstructConfig
        The settings.
    dist : parallel.DistInfo, optional
        The process's rank (default: one process on ``cfg.device``).
    log : callable, optional
        Called with progress lines on the main rank.
    cache : bool
        Whether to decode the samples into ``RUN/samples/`` for the parts' jobs.

    Returns
    -------
    list of str
        The names of the parts still to train, in the protocol's order.

    Examples
    --------
    The steps of :func:`train_and_evaluate` one by one, on a toy dataset folder of 8 clips (one subject
    split: one part, ``"split"``):

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ReconstructConfig(sensor="lr", size=16, n_bins=2, step_us=100_000, crop=0, epochs=1, base=2,
    ...                            z_channels=1, k_samples=0, seq_len=2, batch_size=4, threads=1, device="cpu")
    >>> _ = toy_dataset("steps-data")
    >>> prepare("steps-data", "steps-run", config)
    ['split']
    >>> fit_part("steps-data", "steps-run", config, "split") > 0, fit_part("steps-data", "steps-run", config, "split")
    (True, 0.0)
    >>> pool_parts("steps-data", "steps-run", config)["n_clips"], Path("steps-run/samples").exists()
    (2, False)
    """
    cfg = ReconstructConfig.given(cfg)
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    return _prepare(Path(data), Path(run_dir), cfg, dist, log, "save" if cache else "none")[0]


def _check_protocol(ds: DatasetFolder, spec: ReconSpec, rows: Sequence[dict[str, Any]] | None = None,
                    refusal: str = NO_INTERPOLATION) -> None:
    """Refuse ``interpolation`` on a dataset with a recording (a clip without truth frames: nothing
    between its RGB frames to score) among ``rows`` (default: all of them), naming its clip and
    saying ``refusal``, before the run starts any work (it printed "building samples" first)."""
    if spec.protocol != "interpolation":
        return
    for row in ds.rows if rows is None else rows:
        if not frames_and_truth_info(ds.clip_path(row))[1].get(GRID_SENSOR, {}).get("count"):
            raise DatasetError(where(ds.clip_path(row), refusal))


def _prepare(data: Path, run_dir: Path, cfg: ReconstructConfig, dist: parallel.DistInfo,
             log: Callable[[str], None] | None, samples_mode: str) -> tuple[list[str], ReconSamples | None]:
    """:func:`prepare`; the samples are cached in the run (``"save"``, while a part is left to
    train), returned (``"memory"``, on every rank) or not cut (``"none"``). On the main rank they
    are cut inside :func:`run_resume.starting_run`: a new run whose clips cannot be read leaves nothing."""
    with parallel.checked_together(dist):  # an error said once, by rank 0 (was: by every rank under torchrun)
        spec = _spec(cfg)
        ds = DatasetFolder.open(data)
        rows = list(ds.rows)
        _check_protocol(ds, spec)
        protocol, parts = protocol_parts(cfg, rows)
        config = {
            "task": TASK, "data": str(data.resolve()), **cfg.to_dict(), "spec": spec.to_dict(),
            "world_size": dist.world_size, "evaluation": protocol, "parts": parts,
        }
        if cfg.seeds == 1:  # one training per part keeps the keys of runs made before --seeds (they resume)
            del config["seeds"]
        config, grown = run_resume.grown_by_seeds(run_dir, config, "parts",
                                                  lambda old, new: same_training(old, new, cfg.seed))
        run_resume.check_resume(run_dir, config, free=RESUMABLE_CHANGES + grown, rows=rows)
        todo = [p["name"] for p in config["parts"] if not part_trained(run_dir / p["dir"], cfg)]
    parallel.barrier(dist)  # every rank has read the folder before the main one writes into it
    say = parallel.main_log(log, dist)
    samples = None
    if dist.is_main:
        with run_resume.starting_run(run_dir, config, rows, say):
            if samples_mode == "memory":
                samples = _samples_of(data, run_subjects(config), spec, say)
            elif samples_mode == "save" and todo and not (run_dir / SAMPLES_DIR).exists():  # on disk, a clip at a time
                write_samples(data, _rows_of(data, run_subjects(config), spec, say), spec, run_dir / SAMPLES_DIR)
            cut = samples if samples is not None else cached_samples(run_dir)
            if cut is not None:
                _check_parts_sampled(data, rows, [p for p in config["parts"] if p["name"] in todo], cut, spec)
    parallel.barrier(dist)
    if samples_mode == "memory" and samples is None:  # the other ranks
        samples = _samples_of(data, run_subjects(config), spec, say)
    return todo, samples


def _prepared(data: Path, run_dir: Path, cfg: ReconstructConfig, step: str) -> dict[str, Any]:
    """The ``config.json`` of the reconstruction run :func:`prepare` laid out in ``run_dir``, once
    ``cfg`` and ``data`` are found to be the run's but for :data:`RESUMABLE_CHANGES`
    (:func:`~evface.tasks.run_resume.check_step`, naming ``step``; another task's run is
    :func:`load_run`'s ParameterError)."""
    config, theirs, _ = load_run(run_dir)
    run_resume.check_step(run_dir, step, theirs.to_dict(), cfg.to_dict(), data, RESUMABLE_CHANGES)
    return config


def fit_part(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig, name: str,
             dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None,
             samples: ReconSamples | None = None) -> float:
    """Train one part of the protocol (a name :func:`prepare` returned) and write ``PART/part.json``.

    On the part's training subjects: the input scales and the integration baseline's fit; then the
    CVAE (in ``PART``) and the recurrent UNet (in ``PART/e2vid``), early-stopped on its validation
    subjects. ``samples`` holds at least those subjects' samples (when ``None``: those
    :func:`prepare` cached, or else decoded here, the part's own subjects only).
    Runs on ``config.threads`` torch threads, or as many as the caller set when that is 0 (the
    caller's set back after: :func:`~evface.tasks.parallel.torch_threads`).
    A part with its ``part.json`` for these ``epochs`` and ``patience`` is not trained again.
    ``cfg`` and ``data`` must be those the run was prepared with (the run's ``config.json`` and
    ``data-clips.json``; :func:`~evface.tasks.run_resume.check_step`), but for what a resumed run may
    change (:data:`RESUMABLE_CHANGES`: ``epochs``, ``patience``, ``threads``, ``device``) and where the
    dataset folder lies: another setting is one ParameterError naming each that differs, with the run's
    value and the one given; another dataset folder (other manifest rows, or clip files of other sizes)
    a DatasetError naming both folders; a run of the other task, or a ``name`` that is not one of the
    run's parts, a ParameterError; all before anything of the run is read or written (was: a part
    trained on the settings given beside the run's others, or a shape that did not fit, from deep inside).
    Seeds Python's, numpy's global and torch's random generators with the part's seed
    (:func:`~evface.tasks.random_states.seed_everything`: the run is reproduced); the process's other
    settings are left as found.

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder :func:`prepare` laid out.
    cfg : ReconstructConfig
        The run's settings (:func:`load_run` reads them back).
    name : str
        The part's name, one :func:`prepare` returned.
    dist : parallel.DistInfo, optional
        The process's rank (default: one process on ``cfg.device``).
    log : callable, optional
        Called with progress lines on the main rank.
    samples : ReconSamples, optional
        Samples of at least the part's training and validation subjects (default: those
        :func:`prepare` cached, else decoded here).

    Returns
    -------
    float
        The seconds it took (0 for a part done before).

    Examples
    --------
    :func:`prepare` shows the steps of a run; a folder it did not lay out is refused:

    >>> fit_part("data", "nowhere", ReconstructConfig(), "split")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere/config.json: no config.json: not an evface run folder
    """
    cfg = ReconstructConfig.given(cfg)
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    data, run_dir = Path(data), Path(run_dir)
    parts = {p["name"]: p for p in _prepared(data, run_dir, cfg, "fit_part")["parts"]}
    if name not in parts:
        raise ParameterError(f"{name!r} is not a part of this protocol; {choose_from(sorted(parts))}")
    part, part_dir = parts[name], run_dir / parts[name]["dir"]
    if part_trained(part_dir, cfg):
        return 0.0
    cfg = replace(cfg, seed=part.get("seed", cfg.seed))  # a part of several trainings: its own seed
    # 0: the caller's threads (evface run gives each job its share of the cores)
    with parallel.torch_threads(cfg.threads or None):
        seconds = _fit_part(data, run_dir, cfg, part, part_dir, dist, parallel.main_log(log, dist), samples)
    parallel.barrier(dist)
    return seconds


def _fit_part(data: Path, run_dir: Path, cfg: ReconstructConfig, part: dict[str, Any], part_dir: Path,
              dist: parallel.DistInfo, say: Callable[[str], None], samples: ReconSamples | None) -> float:
    """:func:`fit_part` of ``part`` once its settings are checked and its threads set: the seconds it took."""
    start = time.perf_counter()
    name = part["name"]
    spec = _spec(cfg)
    samples = samples if samples is not None else cached_samples(run_dir)
    if samples is None:
        samples = _samples_of(data, set(part["train"] + part["val"]), spec, say)
    say(f"{name}: test {', '.join(part['test'])}")
    n_fit = len(samples.of_subjects(part["train"] + part["val"]))
    check_memory(sample_bytes(samples) * n_fit, f"the {n_fit} training and validation samples of {name} at --size "
                 f"{spec.size} take about {{gib}} GiB", spec)
    train_s = _part_samples(samples, part["train"], "training")
    val_s = _part_samples(samples, part["val"], "validation")
    del samples  # the copies above are all the part trains on
    fit_idx = np.sort(np.random.default_rng(cfg.seed).permutation(len(train_s))[:FIT_SAMPLES])
    inputs = {"scales": input_scales(train_s), "integration": fit_integration(
        train_s.key[fit_idx], train_s.hist[fit_idx].astype(np.float32), train_s.target[fit_idx],
        spec.alphas_rad_s, gamma=spec.gamma)}
    summary = train_part(cfg, spec, train_s, val_s, part | inputs, part_dir, dist, say)
    seconds = time.perf_counter() - start
    if dist.is_main:
        run_folder.write_json(part_dir / PART_JSON, {**inputs, "summary": summary, "epochs": cfg.epochs,
                                                 "patience": cfg.patience, "seconds": seconds,
                                                 run_folder.TORCH_THREADS: torch.get_num_threads()})
    return seconds


def pool_parts(data: str | Path, run_dir: str | Path, cfg: ReconstructConfig = ReconstructConfig(),
               dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write ``RUN/train.json`` from the parts' summaries and score the run on its test subjects
    (:func:`evaluate_run`, every part's test subjects by that part's models, on the samples
    :func:`prepare` cached, which it then removes, with any ``samples.tmp`` a killed writer left);
    return the metrics. Scores on the torch threads the parts trained on (:func:`_scoring_threads`; the
    caller's where they trained on several, as :func:`fit_part` trains where ``cfg.threads`` is 0), the
    caller's set back after (was: the caller's, so a stage of ``evface run`` resumed with another
    ``--jobs``, its parts trained on one count and pooled on another, scored itself on a count
    ``evface eval`` did not). ``cfg`` and ``data`` are checked as :func:`fit_part` checks them, before
    anything is written (was: the run scored as it was prepared, whatever the settings given, and on
    the samples it cached whatever ``data`` held).

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder, every part trained.
    cfg : ReconstructConfig
        The run's settings (:func:`load_run` reads them back; its device picks the process when
        ``dist`` is ``None``).
    dist : parallel.DistInfo, optional
        The process's rank (default: one process on ``cfg.device``).
    log : callable, optional
        Unused; the signature of every step.

    Returns
    -------
    dict
        The content of ``RUN/metrics.json`` (``{}`` on the other ranks).

    Examples
    --------
    :func:`prepare` shows the steps of a run; a folder it did not lay out is refused:

    >>> pool_parts("data", "nowhere")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere/config.json: no config.json: not an evface run folder
    """
    cfg = ReconstructConfig.given(cfg)
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    run_dir = Path(run_dir)
    write_train_summary(run_dir, _prepared(Path(data), run_dir, cfg, "pool_parts"), dist)
    if not dist.is_main:
        return {}
    with parallel.torch_threads(_scoring_threads(run_dir, cfg)):
        metrics = _evaluate(run_dir, Path(data), run_dir, cached_samples(run_dir))
    _remove_caches(run_dir)
    return metrics


def _scoring_threads(run_dir: Path, cfg: ReconstructConfig) -> int | None:
    """The torch threads the run in ``run_dir`` is scored on, by itself and by :func:`evaluate_run` alike:
    ``cfg.threads``, or where that is 0 the one count its parts trained on (``train.json``:
    :func:`run_folder.scoring_threads`); ``None`` where they trained on several, or the run records none."""
    return run_folder.scoring_threads(cfg.threads, run_dir / "train.json")


def _remove_caches(run_dir: Path) -> None:
    """Remove the samples :func:`prepare` cached in ``run_dir`` and any ``samples.tmp`` a killed writer
    (SIGKILL: the OOM killer) left: a trained run has no use for them."""
    for cache in (SAMPLES_DIR, f"{SAMPLES_DIR}.tmp"):
        shutil.rmtree(run_dir / cache, ignore_errors=True)


# --------------------------------------------------------------------------- evaluation


def _target_counts(s: ReconSamples) -> dict[str, int]:
    """Clips scored against the grid sensor's truth (``truth``) and recordings scored against their
    own RGB frames (``rgb``); samples cut before recordings were scored count as ``truth``."""
    kinds = s.meta.get("target", np.full(len(s), "truth", dtype=object))
    first = [int(idx[0]) for idx in s.clip_slices()]
    return {kind: sum(1 for i in first if kinds[i] == kind) for kind in ("truth", "rgb")}


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """What ``evface train reconstruct`` and ``evface eval`` print of a run's metrics: every method's
    SSIM, PSNR and MSE over the face at the apex.

    Parameters
    ----------
    metrics : dict
        A run's metrics (:func:`evaluate_run`).

    Returns
    -------
    dict
        ``{method: {"ssim", "psnr", "mse"}}``, rounded to four decimals.

    Examples
    --------
    >>> headline({"methods": {"cvae": {"apex": {"face": {"ssim": 0.812345, "psnr": 24.31449, "mse": 0.0037}}}}})
    {'cvae': {'ssim': 0.8123, 'psnr': 24.3145, 'mse': 0.0037}}
    """
    return {name: {k: round(m["apex"]["face"][k], 4) for k in ("ssim", "psnr", "mse")}
            for name, m in metrics["methods"].items()}


def figures(metrics: dict[str, Any]) -> str:
    """The apex figures of every method as the report's table gives them: SSIM over the face to four
    decimals with its 95 % subject-cluster interval, PSNR to two, and how many clips and subjects
    they are of; ``evface train reconstruct`` and ``evface eval`` print it above :func:`headline`.

    Parameters
    ----------
    metrics : dict
        A run's metrics (:func:`evaluate_run`).

    Returns
    -------
    str
        One line.

    Examples
    --------
    >>> figures({"n_clips": 12, "n_subjects": 3, "methods": {
    ...     "cvae": {"apex": {"face": {"ssim": 0.81234, "psnr": 24.314}},
    ...              "apex_interval": {"face": {"mean": 0.81234, "ci": [0.8, 0.823], "n_clusters": 3}}},
    ...     "keyframe": {"apex": {"face": {"ssim": 0.7, "psnr": 21.0}}}}})  # scored before intervals were
    'at the apex, SSIM over the face and PSNR: cvae 0.8123 [0.8000, 0.8230], 24.31 dB; keyframe 0.7000, 21.00 dB (12 clips of 3 subjects)'
    """
    said = [f"{name} "
            f"{figure_format.mean_with_interval(m.get('apex_interval', {}).get('face'), m['apex']['face']['ssim'])}, "
            f"{figure_format.fixed(m['apex']['face']['psnr'], 2)} dB" for name, m in metrics["methods"].items()]
    return (f"at the apex, SSIM over the face and PSNR: {'; '.join(said)} ({counted(metrics['n_clips'], 'clip')} of "
            f"{counted(metrics['n_subjects'], 'subject')}{figure_format.unsampled_said(metrics)})")


def evaluate_run(run_dir: str | Path, data: str | Path | None = None, out: str | Path | None = None,
                 frames: bool = False) -> dict[str, Any]:
    """Score the CVAE and every baseline on the test subjects; write metrics.json, scores.csv, apex.png and horizon.png.

    A clip of the run's own dataset (:func:`run_clips.seen_in_training`, wherever the folder lies)
    is scored by the models of the part that tested its subject (every subject once under folds;
    the clips of subjects the run trained or validated on are left out), any other clip by one
    part's models, the parts taking turns in clip order; the scores of all parts are pooled (a run
    of several seeds scores a sample by the mean over its part's trainings). Scores on the run's
    torch threads as the run scored itself (:func:`_scoring_threads`: its ``threads``, or where that is 0
    the one count its parts trained on, else :func:`default_threads`), the caller's set back after (was:
    the caller's, and the CVAE's scores differed from the run's own in their last digits; until
    2026-12-06 :func:`default_threads` where ``threads`` is 0, so a stage of ``evface run``, trained on its
    job's share, was scored on another count). A run of a newer
    evface with settings this one does not know is scored with a warning
    (:func:`run_resume.warn_of_version`).

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by :func:`train`.
    data : str or Path, optional
        The dataset folder (default: the one the run was trained on).
    out : str or Path, optional
        Where the files go (default: ``run_dir``; see :func:`run_evaluation.evaluation_folder`).
    frames : bool, optional
        Also write every method's reconstruction of every sample and its target to ``frames.h5``
        (:func:`recon_eval.write_frames`; a run of several seeds: its first seed's models).

    Returns
    -------
    dict
        The content of ``OUT/metrics.json`` (see :func:`evface.tasks.recon_eval.score`).

    Examples
    --------
    A run trained on a toy dataset folder (as in :func:`train_and_evaluate`), evaluated
    again into another folder, and read back by :func:`load_run`:

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ReconstructConfig(sensor="lr", size=16, n_bins=2, step_us=100_000, crop=0, epochs=1, base=2,
    ...                            z_channels=1, k_samples=0, seq_len=2, batch_size=4, threads=1, device="cpu")
    >>> _ = toy_dataset("eval-data")
    >>> trained = train_and_evaluate("eval-data", "eval-run", config)
    >>> again = evaluate_run("eval-run", out="eval-out")
    >>> again["evaluated_on"], again["methods"]["cvae"]["apex"] == trained["methods"]["cvae"]["apex"]
    ("2 clips of the run's own dataset, each by the models of the part that tested its subject", True)
    >>> load_run("eval-run")[1] == config
    True
    """
    run_dir = Path(run_dir)
    config, cfg, _ = load_run(run_dir)
    data = Path(data if data is not None else config["data"]).resolve()  # metrics.json names it from anywhere
    target, own = run_evaluation.evaluation_target(run_dir, data, out)
    run_resume.warn_of_version(run_dir)  # was: said by evface eval only
    with parallel.torch_threads(_scoring_threads(run_dir, cfg) or default_threads()):  # as the run scored itself
        return _evaluate(run_dir, data, target, frames=frames, own=own)


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], ReconstructConfig, ReconSpec]:
    """A reconstruction run's ``config.json``, its settings and its sample spec, checked as a
    received file: a key missing, a value of another type or out of range, or a part's folder
    outside the run is one :class:`FormatError` naming the file; another task's run is a
    :class:`ParameterError`.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.

    Returns
    -------
    tuple of (dict, ReconstructConfig, ReconSpec)
        The run's ``config.json``, its settings and its sample spec.

    Examples
    --------
    :func:`evaluate_run` shows a trained run read back; a folder that holds none is refused:

    >>> load_run("nowhere")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere/config.json: no config.json: not an evface run folder
    """
    run_dir = Path(run_dir)
    config = run_folder.load_task_config(run_dir, TASK, "reconstruction")
    with run_folder.reading(run_dir / run_folder.CONFIG):
        run_folder.check_fields(config, {"data": str, "spec": dict, "evaluation": str, "parts": list})
        for part in config["parts"]:
            run_folder.check_fields(part, {"name": str, "dir": str, "train": list, "val": list, "test": list})
            run_folder.check_names(part, ("train", "val", "test"))  # was: a subject no text, an internal error
            if "seed" in part or "group" in part:
                run_folder.check_fields(part, {"seed": int, "group": str})
            run_folder.check_folder(part["dir"])
        seed_groups(config["parts"])
        cfg, spec = ReconstructConfig.from_dict(config), ReconSpec.from_dict(config["spec"])
    return config, cfg, spec


@dataclass(frozen=True)
class _Scored:
    """The samples an evaluation scores and what it knows of them: ``other_ids``, the clips the run
    never saw; ``left_out``, the clips of the run's own dataset left out (of subjects no part tested);
    ``clip_ids``, every clip meant to be scored, those without a sample (:func:`_unsampled`) included."""

    samples: ReconSamples
    other_ids: set[str]
    left_out: int
    clip_ids: list[str]


@dataclass(frozen=True)
class _Predicted:
    """Every training's reconstructions, scored: the first seed's reconstructions (``preds``), KL per
    latent channel and prior draws (the latent, the figure and the frames are the first seed's), each
    seed's per-sample scores (``per_seed``) and the methods training changes (``trained``; empty for one seed)."""

    preds: dict[str, np.ndarray]
    kl_per: list[float]
    draws: np.ndarray | None
    per_seed: list[dict[str, Any]]
    trained: list[str]


def _evaluate(run_dir: Path, data: Path, out: Path, samples: ReconSamples | None = None,
              frames: bool = False, own: bool = True) -> dict[str, Any]:
    """:func:`evaluate_run` on ``samples`` (the samples of the run's own dataset; cut from ``data`` when ``None``);
    ``own``: ``data`` holds the very clips the run was trained on (:func:`run_clips.is_training_data`)."""
    config, cfg, spec = load_run(run_dir)
    groups = seed_groups(config["parts"])
    parts = [group[0] for group in groups]  # the subjects of each group; its seeds are trained alike
    tested = [subj for p in parts for subj in p["test"]]
    scored = _test_samples(run_dir, data, spec, tested) if samples is None else _Scored(
        _part_samples(samples, tested, "test"), set(), 0,
        [str(r["clip_id"]) for r in DatasetFolder.open(data).rows if str(r["subject"]) in set(tested)])
    s = scored.samples
    scored_by = scoring_parts(s, parts, scored.other_ids)
    apex = recon_eval.phase_indices(s)["apex"]
    seeds = [part.get("seed", cfg.seed) for part in groups[0]]
    predicted = _predict_seeds(run_dir, cfg, spec, groups, s, scored_by, apex)
    latent = _latent(predicted, s, apex)
    scores = recon_eval.mean_scores(predicted.per_seed)
    metrics = {
        **_metrics_head(config, spec, data, s, parts, _evaluated_on(
            s, scored.other_ids, len(parts), seeds, (data, config, scored.left_out) if not own else None)),
        **_unsampled(scored.clip_ids, s, spec),
        **recon_eval.score(scores, s, spec, reference="keyframe", challenger="cvae"),
        "latent": latent,
    }
    if len(seeds) > 1:
        metrics |= _seed_metrics(seeds, predicted.per_seed, s, scored_by)
    metrics |= _run_and_training(run_dir, out)
    _write_evaluation(out, metrics, scores, predicted, s, spec, seeds, scored_by, apex, frames)
    return metrics


def _test_samples(run_dir: Path, data: Path, spec: ReconSpec, tested: list[str]) -> _Scored:
    """The samples of ``data``'s clips to score: of the run's own dataset only the clips of its test
    subjects, any clip the run never saw (an interpolation run refused on a recording first)."""
    ds = DatasetFolder.open(data)
    rows: Sequence[dict[str, Any]] = ds.rows
    seen = run_clips.seen_in_training(run_dir, data, rows)
    other_ids = {str(r["clip_id"]) for r, known in zip(rows, seen, strict=True) if not known}
    n_rows, rows = len(rows), [r for r, known in zip(rows, seen, strict=True) if not known or str(r["subject"]) in set(tested)]
    left_out = n_rows - len(rows)
    if not rows:
        raise ParameterError(f"{data} has no clip of the run's test subjects ({', '.join(tested)}) and no clip "
                             "the run never saw")
    _check_protocol(ds, spec, rows, f"{NOTHING_TO_INTERPOLATE}; {run_dir} is an interpolation run: evaluate it on "
                                    "clips with truth frames (synthetic ones), or train a run with --protocol "
                                    "extrapolation or events-only on this dataset")  # was: '--protocol', which eval has not
    return _Scored(build_samples(data, rows, spec, f"{run_dir} is an {spec.protocol} run: evaluate it on a dataset of "
                                 "longer clips"), other_ids, left_out, [str(r["clip_id"]) for r in rows])


def _unsampled(clip_ids: list[str], s: ReconSamples, spec: ReconSpec) -> dict[str, Any]:
    """``{"unsampled": {"clips": [...], "needs": ...}}`` naming the clips of ``clip_ids`` without a
    sample in ``s`` (a recording's clip of one frame, or whose apex is its first: nothing after the
    keyframe to score) and what a clip needs; ``{}`` when every clip has samples (was: such a clip was
    left out of the scores without a word, "7 clips" of a dataset of 8).

    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros((1, 1)) for name in ARRAYS}, meta={"clip_id": np.array(["a"], object)})
    >>> _unsampled(["a", "b"], s, ReconSpec())["unsampled"]["clips"]
    ['b']
    >>> _unsampled(["a"], s, ReconSpec())
    {}
    """
    have = set(s.meta["clip_id"].astype(str).tolist())
    missing = [c for c in clip_ids if c not in have]
    if not missing:
        return {}
    return {"unsampled": {"clips": missing, "needs": NEEDS["interpolation" if spec.protocol == "interpolation"
                                                         else "extrapolation"]}}


def _predict_seeds(run_dir: Path, cfg: ReconstructConfig, spec: ReconSpec, groups: list[list[dict[str, Any]]],
                   s: ReconSamples, scored_by: np.ndarray, apex: np.ndarray) -> _Predicted:
    """Every training's reconstructions of ``s`` (the ``k``-th seed of every group of parts), each scored;
    one training's frames at a time beside the first's."""
    device = parallel.select_device(cfg.device)
    per_seed: list[dict[str, Any]] = []
    trained: list[str] = []
    for k in range(len(groups[0])):  # the latent, the figure and the frames: the first seed's models
        seed_preds, kl, seed_draws = predict_parts(run_dir, cfg, spec, [group[k] for group in groups], s, scored_by, apex,
                                                   device, first=k == 0)
        seed_scores = recon_eval.sample_scores(seed_preds, s, spec)
        if k == 0:
            preds, kl_per, draws = seed_preds, kl, seed_draws
        else:
            trained = list(seed_scores)
        # the baselines no training changes are the first seed's, scored once
        per_seed.append(seed_scores if k == 0 else per_seed[0] | seed_scores)
        del seed_preds  # one training's frames at a time beside the first's
    return _Predicted(preds, kl_per, draws, per_seed, trained)


def _metrics_head(config: dict[str, Any], spec: ReconSpec, data: Path, s: ReconSamples, parts: list[dict[str, Any]],
                  evaluated_on: str) -> dict[str, Any]:
    """What ``metrics.json`` says before the scores: the task, sensor and protocol, the data, the folds,
    which clips were scored (``evaluated_on``), the subjects, clips and samples, the grid and the SSIM settings."""
    return {
        "task": TASK, "sensor": spec.sensor, "protocol": spec.protocol, "keyframe": spec.keyframe, "data": str(data),
        "evaluation": config["evaluation"], "folds": [{"name": p["name"], "test": p["test"]} for p in parts],
        "evaluated_on": evaluated_on,
        "subjects": sorted(set(s.meta["subject"].tolist())), "n_subjects": len(set(s.meta["subject"].tolist())),
        "n_clips": len(s.clip_slices()), "n_samples": len(s),
        "grid": {"size": spec.size, "sensor": "hd face box, a recording's RGB face box (the same for hd and lr runs)",
                 "targets": _target_counts(s)},
        "ssim_settings": "skimage structural_similarity, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1",
    }


def _latent(predicted: _Predicted, s: ReconSamples, apex: np.ndarray) -> dict[str, Any]:
    """The CVAE's latent: its KL per channel and, with prior draws, their spread and the scores of their mean."""
    latent: dict[str, Any] = {"kl_per_channel": predicted.kl_per}
    if predicted.draws is not None:
        latent |= (recon_eval.spread_summary(predicted.draws, s, apex)
                   | recon_eval.sample_mean_scores(predicted.draws, predicted.preds["cvae"], s, apex))
    return latent


def _seed_metrics(seeds: list[int], per_seed: list[dict[str, Any]], s: ReconSamples,
                  scored_by: np.ndarray) -> dict[str, Any]:
    """A run of several seeds: the seeds, what each training scores alone and the CVAE's differences
    over subjects and trainings."""
    return {"seeds": seeds, "latent_seed": seeds[0],
            "per_seed": [{"seed": seed, **recon_eval.seed_summary(sc, s)} for seed, sc in zip(seeds, per_seed, strict=True)],
            "cvae_vs_over_trainings": recon_eval.training_intervals(per_seed, s, scored_by)}


def _run_and_training(run_dir: Path, out: Path) -> dict[str, Any]:
    """The run an evaluation's folder names (:func:`run_evaluation.evaluation_folder`; none when ``out`` is
    the run) and the run's training time (none without ``train.json``)."""
    said: dict[str, Any] = {}
    if out.resolve() != run_dir.resolve():  # an evaluation's folder names its run (run_evaluation.evaluation_folder)
        said["run"] = str(run_dir.resolve())
    train_json = run_dir / "train.json"
    if train_json.exists():
        said |= _training_said(train_json)
    return said


def _training_said(train_json: Path) -> dict[str, Any]:
    """What ``metrics.json`` says of the training in ``train_json`` (:func:`write_train_summary`):
    ``train_seconds``, both models' seconds, ``None`` (not measured) where it lacks either (was: 0
    seconds counted for it), and the ``torch_threads`` they ran on where it records them (runs made
    before 2026-12-06 do not). A value of another type, or a file that is no JSON object, is a
    :class:`FormatError` naming it."""
    t = run_folder.read_json(train_json)
    with run_folder.reading(train_json):
        run_folder.check_fields(t, {})
        given = [key for key in ("cvae_seconds", "e2vid_seconds") if key in t]
        run_folder.check_fields(t, {key: (int, float) for key in given})
        run_folder.check_threads(t)
    return ({"train_seconds": t["cvae_seconds"] + t["e2vid_seconds"] if len(given) == 2 else None}
            | {k: t[k] for k in (run_folder.TORCH_THREADS,) if k in t})


def _write_evaluation(out: Path, metrics: dict[str, Any], scores: dict[str, Any], predicted: _Predicted,
                      s: ReconSamples, spec: ReconSpec, seeds: list[int], scored_by: np.ndarray, apex: np.ndarray,
                      frames: bool) -> None:
    """The evaluation's files: the scores and metrics (:func:`_write_scores`), ``apex.png``, with ``frames``
    ``frames.h5``, and ``horizon.png``."""
    # an earlier evaluation's frames would no longer match scores.csv: gone before anything new is written (was:
    # replaced last, so an evaluation interrupted while writing its frames left the earlier ones beside the new scores)
    (out / recon_eval.FRAMES_H5).unlink(missing_ok=True)
    _write_scores(out, metrics, recon_eval.scores_text(scores, s, spec), None if len(seeds) == 1 else
                  recon_eval.seed_scores_text(predicted.per_seed, seeds, predicted.trained, s, scored_by))
    recon_eval.write_apex_figure(out / recon_eval.APEX_PNG, s, predicted.preds, apex, predicted.draws)
    if frames:
        recon_eval.write_frames(out / recon_eval.FRAMES_H5, predicted.preds, s, None if len(seeds) == 1 else (
            f"the trainings of seed {seeds[0]}; scores.csv holds the mean over seeds {', '.join(map(str, seeds))}"))
    recon_eval.write_horizon_figure(out / recon_eval.HORIZON_PNG, metrics, f"{spec.sensor}, {spec.protocol}")


def _write_scores(out: Path, metrics: dict[str, Any], scores: str, seed_scores: str | None) -> None:
    """``OUT/scores.csv``, ``OUT/seed_scores.csv`` (a run of several seeds; an earlier evaluation's is
    removed otherwise: its trainings would no longer match) and ``OUT/metrics.json``, which must
    agree: all or none (:func:`run_folder.write_together`; was: metrics.json first, so an evaluation
    interrupted before its scores left new metrics beside the earlier scores, or none)."""
    texts = {out / recon_eval.SCORES_CSV: scores}
    if seed_scores is not None:
        texts[out / recon_eval.SEED_SCORES_CSV] = seed_scores
    texts[out / run_folder.METRICS] = run_folder.json_text(metrics)
    run_folder.write_together(texts, stale=[out / recon_eval.SEED_SCORES_CSV] if seed_scores is None else [])


def _evaluated_on(s: ReconSamples, other_ids: set[str], n_parts: int, seeds: list[int],
                  elsewhere: tuple[Path, dict[str, Any], int] | None) -> str:
    """Which clips were scored and by which models, in words; ``elsewhere``: the dataset folder,
    the run's ``config.json`` and the number of clips left out (of subjects no part tested) where
    the clips are not the very ones the run was trained on (:func:`run_evaluation.scored_elsewhere`)."""
    clips = [str(c) for c in dict.fromkeys(s.meta["clip_id"].astype(str))]
    other = sum(c in other_ids for c in clips)
    mean = (f"; a sample's scores: the mean over the {len(seeds)} trainings of those models (seeds "
            f"{', '.join(map(str, seeds))})" if len(seeds) > 1 else "")
    if elsewhere is None:
        return f"{counted(len(clips), 'clip')} of the run's own dataset, each by the models of the part that tested its subject{mean}"
    data, config, left_out = elsewhere
    return run_evaluation.scored_elsewhere(data, config["data"], config["evaluation"], len(clips) - other, len(clips),
                                           left_out, "", _other_clips_by(n_parts)) + mean


def _other_clips_by(n_parts: int) -> str:
    """Which models score a clip the run never saw, in words: its one part's (a run without
    ``--folds``), else one part's, the ``n_parts`` parts taking turns.

    >>> _other_clips_by(1)
    "the run's models"
    >>> _other_clips_by(3)
    "one part's models (the 3 parts taking turns)"
    """
    return "the run's models" if n_parts == 1 else f"one part's models (the {n_parts} parts taking turns)"
