"""AU classification: train and evaluate the spiking CNN (or its ANN twin) on one input kind.

:func:`train_and_evaluate` (``data, run_dir, config, log``; the settings are a
:class:`~evface.tasks.configs.ClassifyConfig`) is what ``evface train classify`` and ``evface run``
run: open the dataset folder, preprocess every clip once into an in-memory array
(:mod:`evface.inputs.classify`), lay out the evaluation protocol (:func:`~evface.tasks.class_run.protocol_parts`: one
subject split, subject-grouped K folds or leave-one-subject-out; ``seeds`` trainings per part),
train each model with class-balanced sampling and augmentation through
:func:`evface.tasks.engine.fit` (early stopping on the validation UF1, checkpoints, resume, DDP
under torchrun), pool the held-out predictions of every model (mean logits of a part's seeds)
and write ``RUN/metrics.json`` and ``RUN/predictions.csv``. Those are three steps,
:func:`prepare`, :func:`fit_part` (one model: one part and seed) and :func:`pool_parts`, so that
``evface run`` can train the models of a run side by side (docs/scale-out.md).

:func:`evaluate_run` is what ``evface eval`` runs for a classification run: it evaluates a
trained run on any dataset folder. Each clip of the run's own dataset (known by its manifest row,
wherever the folder lies) is scored by the models that never saw its subject; any other clip by
the mean logits of all models.
The paired comparison of two runs (``evface compare``) is :mod:`evface.tasks.class_compare`.

The pieces, each a module of its own: the run's inputs, network, protocol and files
(:mod:`evface.tasks.class_run`), one model's loss and training loop (:mod:`evface.tasks.class_training`),
a trained model's predictions and their cost (:mod:`evface.tasks.class_predict`) and the networks'
speed for ``evface bench train`` (:mod:`evface.tasks.class_speed`); this module is
the task itself, read top to bottom, with the ``--teacher`` checks (:func:`check_teacher`: they read
the teacher's run with :func:`load_run`) and the scores of metrics.json (:func:`score`).

metrics.json keys: ``top1``, ``macro_f1``, ``uar``, ``uf1``, ``n``, ``n_subjects``, ``ci`` (95 %
subject-cluster bootstrap intervals of top-1, UF1, UAR; ``ci_trainings`` for several seeds: over
subjects and seeds), ``bootstrap``, ``labels``,
``confusion_matrix`` (rows true, columns predicted), ``per_class``, ``per_lighting`` (the same
metrics, counts and intervals per lighting), ``per_sensor`` (the trained sensor and, for event
models, the other sensor seen through the same network), ``spike_rate_per_layer`` (spikes per
neuron per time step of each PLIF layer, named in ``spike_rate_layers``), ``synops`` (synaptic
operations per sample: spikes x fan-out),
``snn_analog_macs`` (multiply-accumulates over T steps where the input is not spikes: the first
convolution, and the readout of a non-spiking last layer), ``ann_macs`` (the ANN twin's multiply-accumulates per sample), ``evaluated_on``,
``data``; for a run of several seeds ``top1_per_seed``; after training (kept by an evaluation into the
run folder) also ``protocol``, ``folds``, ``seeds``,
``train_top1`` (mean accuracy of the models on their training subjects), ``train_seconds``,
``best_epoch`` and ``epochs_run`` (one per model), ``torch_threads`` (the distinct torch CPU threads
the models trained on, sorted: :func:`run_folder.threads_used`; none in runs made before 2026-12-06);
``files_sha256`` (of ``predictions.csv`` and ``seed_logits.csv``, recorded by :func:`run_folder.write_together`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from evface.errors import DatasetError, EvfaceError, EvfaceWarning, ParameterError, choose_from, counted, train_again, where
from evface.inputs.classify import InputSpec, load_inputs
from evface.inputs.clip_view import SENSORS
from evface.io.dataset import DatasetFolder
from evface.io.manifest import CLIP_KEY_COLUMNS
from evface.models.snn import NetConfig, build
from evface.tasks import class_metrics as cm
from evface.tasks import checkpoints, figure_format, parallel, run_clips, run_evaluation, run_folder, run_resume, stats
from evface.tasks.class_compare import PREDICTIONS, SEED_LOGITS, predictions_text, seed_logits_text
from evface.tasks.class_predict import energy_metrics, load_run_models, predict
from evface.tasks.class_run import (
    HELD_OUT, INPUTS, SPLIT, check_models, check_network, check_trained_subjects, fold_names, input_spec, matching_model,
    model_fitted, net_config, protocol_models, split_indices, untaught_classes,
)
from evface.tasks.class_training import fit_model
from evface.tasks.configs import ClassifyConfig

TASK = "classify"
RESUMABLE_CHANGES = ("device", "epochs", "patience", "threads")
"""Settings a run folder may be resumed with after a change (``threads``: as a reconstruction; each model
records the count it trained on, :data:`~evface.tasks.run_folder.TORCH_THREADS`)."""
TRAINING_KEYS = ("protocol", "folds", "seeds", "train_top1", "best_epoch", "epochs_run", "train_seconds",
                 "preprocess_seconds", "world_size", run_folder.TORCH_THREADS)
"""What metrics.json says of the training (:func:`pool_parts`); an evaluation into the run's own
folder keeps them (its models are the ones trained)."""


# --------------------------------------------------------------------------- training


def check_teacher(cfg: ClassifyConfig, config: dict[str, Any], run_dir: Path) -> None:
    """A ParameterError naming ``--teacher`` unless its run can teach the run of ``config``: same
    classes and inputs, and for every model of the run a trained model of the same part and seed
    (the same test and validation subjects, so no test subject reaches training through it) whose
    checkpoint loads into the teacher's network (:func:`_check_teacher_model`), all before
    anything of the run is written (was: a teacher's ``best.pt`` cut short was refused only once
    ``RUN/config.json`` was written and the inputs preprocessed).

    Parameters
    ----------
    cfg : ClassifyConfig
        The run's settings (``teacher``: the teacher's run folder, or empty for none).
    config : dict
        The run's ``config.json`` (``labels``, ``spec`` and ``models``).
    run_dir : Path
        The run folder (a run cannot teach itself).

    Examples
    --------
    Without ``--teacher`` there is nothing to check; a run cannot teach itself:

    >>> check_teacher(ClassifyConfig(), {}, Path("run")) is None
    True
    >>> check_teacher(ClassifyConfig(teacher="run"), {}, Path("run"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --teacher run: a run cannot teach itself; give another run folder
    """
    if not cfg.teacher:
        return
    teacher = Path(cfg.teacher)
    if teacher.resolve() == Path(run_dir).resolve():
        raise ParameterError(f"--teacher {teacher}: a run cannot teach itself; give another run folder")
    try:
        theirs, their_cfg, net = load_run(teacher)
    except EvfaceError as exc:
        raise ParameterError(f"--teacher {teacher}: {exc}") from exc
    for key, what in (("labels", "classes"), ("spec", "inputs")):
        if theirs.get(key) != config[key]:
            raise ParameterError(f"--teacher {teacher}: other {what} ({theirs.get(key)} against {config[key]}); "
                                 "train the teacher with the same dataset and input options")
    for entry in config["models"]:
        same = _teachers_model(teacher, theirs, entry)
        _check_teacher_model(teacher, teacher / same["dir"], build(their_cfg.model, net))


def _teachers_model(teacher: Path, theirs: Mapping[str, Any], entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """The entry of the teacher's ``config.json`` (``theirs``) that trains what ``entry`` trains; a
    ParameterError naming ``--teacher`` where it has none."""
    same = matching_model(theirs.get("models", []), entry)
    if same is None:
        raise ParameterError(f"--teacher {teacher}: it has no model {entry['dir']} of test subjects "
                             f"{', '.join(entry['test'])} and seed {entry['seed']}; train it with the same "
                             "--folds, --seed and --seeds on this dataset")
    return same


def _check_teacher_model(teacher: Path, model_dir: Path, model: nn.Module) -> None:
    """A ParameterError naming ``--teacher`` and the checkpoint file unless ``model_dir``'s
    ``best.pt`` loads into ``model``: one not written yet (no ``held_out.pt`` either: a model not
    trained) asks for its training to finish; one lost from a trained model, cut short, damaged or
    of another network is :func:`~evface.tasks.checkpoints.load_model_state`'s line, with its way out
    (was, for a lost one: "its model . is not trained (no best.pt)", the run's own folder named
    as a single split's model, a trained model called untrained, and no way out)."""
    best = model_dir / checkpoints.BEST
    if not best.exists() and not (model_dir / HELD_OUT).exists():
        untrained = where(best, "no such checkpoint: this model of the teacher is not trained yet")
        raise ParameterError(f"--teacher {teacher}: {untrained}; finish the teacher's training (evface train "
                             f"classify --out {teacher} with its options), or give another --teacher")
    try:
        checkpoints.load_model_state(model_dir, model)
    except EvfaceError as exc:
        raise ParameterError(f"--teacher {teacher}: {exc}") from exc


def _teacher_model(cfg: ClassifyConfig, entry: dict[str, Any], device: torch.device) -> nn.Module | None:
    """The ``--teacher`` run's model of the training ``entry`` (checked by :func:`check_teacher`), in eval mode."""
    if not cfg.teacher:
        return None
    config, theirs, net = load_run(cfg.teacher)
    same = _teachers_model(Path(cfg.teacher), config, entry)  # was: a TypeError where fit_part's --teacher had none
    model = build(theirs.model, net).to(device)
    checkpoints.load_model_state(Path(cfg.teacher) / same["dir"], model)
    return model.eval()


def _targets(rows: Sequence[dict[str, Any]], labels: Sequence[str], source: str | Path) -> np.ndarray:
    """Each row's class index among ``labels``; a label the model does not know is a
    :class:`DatasetError` naming the dataset folder ``source`` and the ways out."""
    index = {lab: i for i, lab in enumerate(labels)}
    unknown = sorted({r["label"] for r in rows} - set(index))
    if unknown:
        raise DatasetError(where(source, f"labels {', '.join(map(repr, unknown))} are not classes of this model "
                                         f"(it knows {', '.join(labels)}); "
                                         "evaluate it on a dataset of these classes (--classes of evface synth and "
                                         "of evface import session/corpus picks a dataset's classes), or train a model "
                                         f"on this one (evface train classify --data {source})"))
    return np.array([index[r["label"]] for r in rows], dtype=np.int64)


def train_and_evaluate(data: str | Path, run_dir: str | Path, config: ClassifyConfig = ClassifyConfig(),
                       log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train a classifier on dataset folder ``data`` into ``run_dir`` and evaluate it on held-out subjects.

    :func:`prepare`, then :func:`fit_part` for each model still to train, then :func:`pool_parts`
    (``evface run`` runs the same three steps, each model as a job of its own). Works unchanged
    under ``torchrun`` (one process per rank; rank 0 writes files and calls ``log``). An existing
    ``run_dir`` resumes when it was trained with the same settings. Seeds Python's, numpy's global and torch's random generators with the run's seed
    (:func:`~evface.tasks.random_states.seed_everything`: the run is reproduced); the process's other
    settings are left as found.

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder (new, or one to resume).
    config : ClassifyConfig, optional
        The settings.
    log : callable, optional
        Takes each line said of the training.

    Returns
    -------
    dict
        The metrics written to ``RUN/metrics.json``.

    Examples
    --------
    A toy dataset folder (:func:`~evface.datasets.toy.toy_dataset`: 8 clips of random events) and a
    run on it (one subject split: 2 clips of 1 subject tested):

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ClassifyConfig(sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none",
    ...                         augment=False, device="cpu")  # a tiny network, one epoch
    >>> _ = toy_dataset("data")
    >>> metrics = train_and_evaluate("data", "run", config)
    >>> metrics["evaluated_on"], metrics["n"], metrics["labels"]
    ('test subjects', 2, ['AU12', 'AU4'])
    >>> all(Path("run", name).is_file() for name in ("config.json", "metrics.json", "predictions.csv"))
    True
    """
    config = ClassifyConfig.given(config)
    with parallel.distributed(config.device) as dist:
        for model_dir in prepare(data, run_dir, config, dist, log):
            fit_part(data, run_dir, config, model_dir, dist, log)
        return pool_parts(data, run_dir, config, dist, log)


def prepare(data: str | Path, run_dir: str | Path, cfg: ClassifyConfig = ClassifyConfig(),
            dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None) -> list[str]:
    """Lay out the protocol of a run and preprocess its inputs; return the models still to train.

    Writes ``RUN/config.json`` (an existing one must hold the same settings: the run resumes)
    and, unless every model is trained, the inputs of every clip preprocessed once, ``RUN/inputs.pt``,
    which :func:`fit_part` reads and :func:`pool_parts` removes. Returns the folders of the models
    (one per part of the protocol and seed: config.json's ``models``) that have no held-out
    predictions yet, in protocol order. Warns (:class:`~evface.errors.EvfaceWarning`) of each class
    that test subjects of a part show and none of its training subjects do
    (:func:`~evface.tasks.class_run.untaught_classes`).

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder (new, or one to resume).
    cfg : ClassifyConfig, optional
        The settings.
    dist : parallel.DistInfo, optional
        The process group (default: one process on ``cfg.device``); rank 0 writes the files.
    log : callable, optional
        Takes the line said of the preprocessing.

    Returns
    -------
    list of str
        The model folders still to train.

    Examples
    --------
    The three steps of :func:`train_and_evaluate` one by one, on a toy dataset folder of 8 clips (one
    subject split: its one model trains in the run folder itself, ``"."``):

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ClassifyConfig(sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none",
    ...                         augment=False, device="cpu")  # a tiny network, one epoch
    >>> _ = toy_dataset("steps-data")
    >>> prepare("steps-data", "steps-run", config)
    ['.']
    >>> fit_part("steps-data", "steps-run", config, ".") > 0, fit_part("steps-data", "steps-run", config, ".")
    (True, 0.0)
    >>> pool_parts("steps-data", "steps-run", config)["n"], Path("steps-run/inputs.pt").exists()
    (2, False)
    """
    cfg = ClassifyConfig.given(cfg)
    input_spec(cfg)  # validates input kind and window
    net_config(cfg, 2)  # validates the network settings
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    # every rank checks the folders, and has read them before the main one writes into them (was: a rank read the
    # run folder as the main one started the run, and refused "holds files but no evface training run"); an error
    # is said once, by rank 0 (was: by every rank)
    with parallel.checked_together(dist):
        data, run_dir = Path(data).resolve(), Path(run_dir)
        ds = DatasetFolder.open(data)
        rows = list(ds.rows)
        labels = ds.labels
        if len(labels) < 2:
            raise DatasetError(where(ds.root, f"classification needs at least 2 classes, found {labels}"))
        _targets(rows, labels, ds.root)
        spec = input_spec(cfg)
        protocol, models = protocol_models(cfg, rows)
        config: dict[str, Any] = {"task": TASK, "data": str(data), **cfg.to_dict(), "labels": labels,
                                  "net": net_config(cfg, len(labels)).to_dict(), "spec": spec.to_dict(),
                                  "protocol": protocol, "models": [entry for entry, _ in models]}
        config, grown = run_resume.grown_by_seeds(run_dir, config, "models", lambda old, new: matching_model([old], new) is not None)
        check_teacher(cfg, config, run_dir)
        run_resume.check_resume(run_dir, config, free=RESUMABLE_CHANGES + grown, rows=rows)
        if grown:  # the run there resumes, its models' entries paired with these (their ``train`` replaced by these)
            with run_folder.reading(run_dir / run_folder.CONFIG):
                check_trained_subjects(run_folder.load_config(run_dir)["models"], {str(r["subject"]) for r in rows})
        todo = [entry["dir"] for entry in config["models"] if not model_fitted(run_dir / entry["dir"], cfg)]
    if dist.is_main:
        for line in untaught_classes({part["name"]: part for _, part in models}.values()):
            warnings.warn(where(ds.root, line), EvfaceWarning, stacklevel=2)
        with run_resume.starting_run(run_dir, config, rows, log):
            if todo and not (run_dir / INPUTS).exists():
                start = time.perf_counter()
                x = load_inputs([ds.clip_path(r) for r in rows], spec)
                seconds = time.perf_counter() - start
                checkpoints.save_checkpoint(run_dir / INPUTS, {"x": torch.from_numpy(x), "seconds": seconds})
                parallel.main_log(log, dist)(f"preprocessed {counted(len(rows), 'clip')} ({spec.kind}"
                                f"{'/' + spec.sensor if spec.kind == 'events' else ''}) in {seconds:.1f} s")
    parallel.barrier(dist)
    return todo


def _prepared(data: str | Path, run_dir: Path, cfg: ClassifyConfig, step: str) -> dict[str, Any]:
    """The ``config.json`` of the classification run :func:`prepare` laid out in ``run_dir``, once
    ``cfg`` and ``data`` are found to be the run's but for :data:`RESUMABLE_CHANGES`
    (:func:`~evface.tasks.run_resume.check_step`, naming ``step``; another task's run is
    :func:`load_run`'s ParameterError)."""
    config, theirs, _ = load_run(run_dir)
    run_resume.check_step(run_dir, step, theirs.to_dict(), cfg.to_dict(), data, RESUMABLE_CHANGES)
    return config


def fit_part(data: str | Path, run_dir: str | Path, cfg: ClassifyConfig, model_dir: str,
             dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None) -> float:
    """Train one model of the protocol (one part and seed: a folder :func:`prepare` listed) in
    ``RUN/<model_dir>`` and save its predictions on its test subjects there (``held_out.pt``, with
    its training's seconds and the torch threads it ran on, :data:`~evface.tasks.run_folder.TORCH_THREADS`).

    ``cfg`` and ``data`` must be those the run was prepared with (the run's ``config.json`` and
    ``data-clips.json``; :func:`~evface.tasks.run_resume.check_step`), but for what a resumed run may
    change (:data:`RESUMABLE_CHANGES`: ``epochs``, ``patience``, ``threads``, ``device``) and where the
    dataset folder lies: another setting is one ParameterError naming each that differs, with the run's
    value and the one given; another dataset folder (other manifest rows, or clip files of other sizes)
    a DatasetError naming both folders; a run of the other task, or a ``model_dir`` that is not one of
    the run's models (``..``, an absolute folder, a model of another run), a ParameterError; all before
    anything of the run is read or written (was: a model trained on the settings given and pooled with
    the run's others, or a StopIteration from deep inside).

    A model that has them (for these ``epochs`` and ``patience``) is not trained again. Trains on
    ``cfg.threads`` torch threads, or as many as the caller set when that is 0 (the caller's set
    back after: :func:`~evface.tasks.parallel.torch_threads`). Seeds Python's, numpy's global and torch's random generators with the model's seed
    (:func:`~evface.tasks.random_states.seed_everything`: the run is reproduced); the process's other
    settings are left as found.

    Parameters
    ----------
    data : str or Path
        The dataset folder.
    run_dir : str or Path
        The run folder :func:`prepare` laid out.
    cfg : ClassifyConfig
        The run's settings (:func:`load_run` reads them back).
    model_dir : str
        The model's folder, one of config.json's ``models``.
    dist : parallel.DistInfo, optional
        The process group (default: one process on ``cfg.device``); rank 0 writes the files.
    log : callable, optional
        Takes each line said of the training.

    Returns
    -------
    float
        The seconds it took (0 for a model done before).

    Examples
    --------
    :func:`prepare` shows the steps of a run; a folder it did not lay out is refused:

    >>> fit_part("nowhere", "nowhere-run", ClassifyConfig(), ".")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere-run/config.json: no config.json: not an evface run folder
    """
    cfg = ClassifyConfig.given(cfg)
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    run_dir = Path(run_dir)
    entries = {entry["dir"]: entry for entry in _prepared(data, run_dir, cfg, "fit_part")["models"]}
    if model_dir not in entries:  # before anything is read from it: '..', another run's model, an absolute folder
        raise ParameterError(f"{model_dir!r} is not a model of this protocol; {choose_from(sorted(entries))}")
    if model_fitted(run_dir / model_dir, cfg):
        return 0.0
    start = time.perf_counter()
    say = parallel.main_log(log, dist)
    ds = DatasetFolder.open(Path(data).resolve())
    rows = list(ds.rows)
    labels = ds.labels
    y = _targets(rows, labels, ds.root)
    entry = entries[model_dir]
    part = next(part for e, part in protocol_models(cfg, rows)[1] if matching_model([e], entry) is not None)
    inputs = checkpoints.load_checkpoint(run_dir / INPUTS)
    x = inputs["x"].numpy()
    tr, va, te = (split_indices(rows, part[k]) for k in ("train", "val", "test"))
    name = part["name"] if model_dir == "." else model_dir  # a single split's model trains in the run's folder
    say(f"{name}: {len(tr)} train, {len(va)} validation, {len(te)} test clips")  # was ".: 18 train, ..." for it
    # 0: the caller's threads (evface run gives each job its share of the cores)
    with parallel.torch_threads(cfg.threads or None):
        model, result = fit_model(replace(cfg, seed=entry["seed"]), run_dir / model_dir, x, y, tr, va, labels, dist, say,
                                  _teacher_model(cfg, entry, dist.device))
        out = predict(model, x[te], cfg.input, dist.device)
        train_pred = predict(model, x[tr], cfg.input, dist.device)["logits"].argmax(1)
        threads = torch.get_num_threads()
    held_out = {"test": torch.from_numpy(te), **{k: torch.from_numpy(v) for k, v in out.items()},
                "train_top1": float(cm.top1(cm.confusion_matrix(y[tr], train_pred, len(labels)))),
                "best_epoch": int(result["best_epoch"]), "epochs_run": int(result["epochs_run"]),
                "seconds": time.perf_counter() - start + result["resumed_seconds"], "preprocess_seconds": inputs["seconds"],
                run_folder.TORCH_THREADS: threads, "epochs": cfg.epochs, "patience": cfg.patience}
    if dist.is_main:
        checkpoints.save_checkpoint(run_dir / model_dir / HELD_OUT, held_out)
    parallel.barrier(dist)
    return held_out["seconds"]


def pool_parts(data: str | Path, run_dir: str | Path, cfg: ClassifyConfig = ClassifyConfig(),
               dist: parallel.DistInfo | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Pool the held-out predictions of every model of the run (a clip's logits: the mean over the
    seeds of the models that tested it), write ``RUN/metrics.json`` and ``RUN/predictions.csv``,
    remove ``RUN/inputs.pt``, and return the metrics. A model without its held-out predictions is a
    :class:`FormatError` naming its file. ``cfg`` and ``data`` are checked as :func:`fit_part` checks
    them, before anything is written (was: a KeyError or IndexError, or the run's models pooled as
    those of other folds or seeds).

    Parameters
    ----------
    data : str or Path
        The dataset folder the run was trained on.
    run_dir : str or Path
        The run folder (:func:`prepare` laid it out, :func:`fit_part` trained its models).
    cfg : ClassifyConfig, optional
        The run's settings (:func:`load_run` reads them back).
    dist : parallel.DistInfo, optional
        The process group (default: one process on ``cfg.device``); rank 0 writes the files.
    log : callable, optional
        Takes the line said of the run's figures.

    Returns
    -------
    dict
        The metrics written to ``RUN/metrics.json``.

    Examples
    --------
    :func:`prepare` shows the steps of a run; a folder it did not lay out is refused:

    >>> pool_parts("nowhere", "nowhere")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere/config.json: no config.json: not an evface run folder
    """
    cfg = ClassifyConfig.given(cfg)
    dist = dist if dist is not None else parallel.single_process(cfg.device)
    data, run_dir = Path(data).resolve(), Path(run_dir)
    config = _prepared(data, run_dir, cfg, "pool_parts")
    ds = DatasetFolder.open(data)
    rows = list(ds.rows)
    labels = list(config["labels"])
    y = _targets(rows, labels, ds.root)
    spec = input_spec(cfg)
    net = net_config(cfg, len(labels))
    models = config["models"]
    seeds = list(range(cfg.seed, cfg.seed + cfg.seeds))
    held_outs = [checkpoints.load_checkpoint(run_dir / entry["dir"] / HELD_OUT) for entry in models]
    for entry, held_out in zip(models, held_outs, strict=True):  # was: a NaN logit pooled, and argmax scored its clip as class 0
        check_finite_logits(held_out["logits"].numpy(), run_dir / entry["dir"] / HELD_OUT,
                            [rows[i]["clip_id"] for i in held_out["test"].numpy()], labels)
    pool = _pool_held_out(models, held_outs, len(rows), len(labels), seeds)
    metrics = _pooled_metrics(pool, rows, y, labels, net, cfg.model)
    metrics.update(_training_record(config["protocol"], models, held_outs, seeds))
    metrics.update(per_sensor={spec.camera: {k: metrics[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")}},
                   train_seconds=sum(held_out["seconds"] for held_out in held_outs),
                   preprocess_seconds=held_outs[0]["preprocess_seconds"], data=str(data), world_size=dist.world_size,
                   **run_folder.threads_used([held_out.get(run_folder.TORCH_THREADS) for held_out in held_outs]))
    if dist.is_main:
        tested = pool.tested
        _write_results(run_dir, metrics, predictions_text([rows[i] for i in tested], [labels[p] for p in pool.pred]),
                       seed_logits_text([rows[i]["clip_id"] for i in tested], list(pool.fold_of[tested]), seeds,
                                        pool.seed_logits, labels))
        (run_dir / INPUTS).unlink(missing_ok=True)
        parallel.main_log(log, dist)(_pooled_line(metrics))
    parallel.barrier(dist)
    return metrics


@dataclass(frozen=True)
class _Pool:
    """The held-out predictions of a run's models, pooled per clip of its dataset (:func:`_pool_held_out`)."""

    tested: np.ndarray
    """Indices of the clips some model tested."""
    seed_logits: np.ndarray
    """(K, N, C) each seed's logits of the tested clips."""
    pred: np.ndarray
    """(N,) the class of the largest mean logit over the models that tested a clip."""
    fold_of: np.ndarray
    """Each clip's fold (of every clip of the dataset; ``None`` where no model tested it)."""
    activity: dict[str, np.ndarray]
    """The tested clips' mean spike rate and synaptic operations (an SNN's)."""


def _pool_held_out(models: Sequence[dict[str, Any]], held_outs: Sequence[dict[str, Any]], n_rows: int, n_labels: int,
                   seeds: Sequence[int]) -> _Pool:
    """Add up each model's held-out logits (per seed) and activity on the clips it tested, and pool
    them: a clip's logits are the mean over the models that tested it."""
    logits = {s: np.zeros((n_rows, n_labels), np.float32) for s in seeds}
    activity_sum: dict[str, np.ndarray] = {}
    n_models = np.zeros(n_rows, np.int64)
    folds = fold_names(models)
    fold_of = np.empty(n_rows, object)
    for entry, held_out in zip(models, held_outs, strict=True):
        te = held_out["test"].numpy()
        logits[entry["seed"]][te] += held_out["logits"].numpy()
        n_models[te] += 1
        fold_of[te] = folds[tuple(entry["test"])]
        for key in ("rate", "synops"):
            if key in held_out:
                activity_sum.setdefault(key, np.zeros((n_rows,) + tuple(held_out[key].shape[1:])))[te] += held_out[key].numpy()
    tested = np.flatnonzero(n_models)
    mean_logits = sum(logits.values(), np.zeros((n_rows, n_labels), np.float32))[tested] / n_models[tested, None]
    activity = {k: v[tested] / n_models[tested].reshape((-1,) + (1,) * (v.ndim - 1)) for k, v in activity_sum.items()}
    return _Pool(tested, np.stack([logits[s][tested] for s in seeds]), mean_logits.argmax(1), fold_of, activity)


def _pooled_metrics(pool: _Pool, rows: Sequence[dict[str, Any]], y: np.ndarray, labels: Sequence[str],
                    net: NetConfig, model_kind: str) -> dict[str, Any]:
    """The scores (:func:`score`) and energy metrics of the pooled predictions of the tested clips."""
    tested = pool.tested
    light = np.array([r["lighting"] for r in rows])
    subjects = np.array([str(r["subject"]) for r in rows])
    metrics = score(y[tested], pool.pred, light[tested], subjects[tested], labels, (pool.seed_logits, pool.fold_of[tested]))
    metrics.update(energy_metrics(pool.activity, net, model_kind))
    return metrics


def _training_record(protocol: str, models: Sequence[dict[str, Any]], held_outs: Sequence[dict[str, Any]],
                     seeds: Sequence[int]) -> dict[str, Any]:
    """What metrics.json says of the protocol and of each model's training (:data:`TRAINING_KEYS`)."""
    return dict(protocol=protocol, folds=len(models) // len(seeds), seeds=seeds,
                evaluated_on=_evaluated_on(protocol, len(seeds)),
                train_top1=float(np.mean([held_out["train_top1"] for held_out in held_outs])),
                best_epoch=[held_out["best_epoch"] for held_out in held_outs],
                epochs_run=[held_out["epochs_run"] for held_out in held_outs])


def _pooled_line(metrics: Mapping[str, Any]) -> str:
    """The line said of a run's pooled figures, training top-1 and seconds."""
    return (f"{metrics['evaluated_on']}: {figures(metrics)}; train top-1 % "
            f"{figure_format.fixed(metrics['train_top1'], *figure_format.FIGURES['top1'])}, {metrics['train_seconds']:.0f} s"
            + ("; one test subject: no interval" if metrics["n_subjects"] < 2 else ""))


# --------------------------------------------------------------------------- scores


def score(y_true: np.ndarray, y_pred: np.ndarray, lighting: Sequence[str], subjects: Sequence[str],
          labels: Sequence[str], seeds: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Overall metrics plus ``per_lighting``, with metrics.json's key names.

    Beside the metrics of :func:`class_metrics.summarize`: ``n_subjects``, ``ci`` (95 %
    subject-cluster bootstrap intervals of top-1, UF1 and UAR, :func:`stats.bootstrap_interval`)
    and ``bootstrap`` (how they were drawn); each lighting has its own ``n``, ``n_subjects`` and ``ci``.
    A subject-cluster bootstrap of one subject has no spread: its intervals are ``None``.
    ``seeds``, each training seed's logits (K, N, C) and each clip's fold (N,), adds for K > 1
    ``ci_trainings``, the intervals over subjects and seeds (:func:`stats.training_bootstrap`), and
    ``top1_per_seed``, each seed's own top-1.

    Parameters
    ----------
    y_true, y_pred : ndarray
        (N,) true and predicted class indices.
    lighting, subjects : sequence of str
        Each clip's lighting and subject.
    labels : sequence of str
        The class names.
    seeds : tuple of ndarray, optional
        Each training seed's logits (K, N, C) and each clip's fold (N,).

    Returns
    -------
    dict
        metrics.json's scores.

    Examples
    --------
    >>> m = score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), ["office"] * 4, ["s1", "s1", "s2", "s2"], ["AU4", "AU12"])
    >>> m["top1"], m["n"], m["n_subjects"], m["confusion_matrix"], sorted(m["per_lighting"])
    (0.75, 4, 2, [[2, 0], [1, 1]], ['office'])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    lights, groups = np.asarray(lighting), np.asarray(subjects)
    trainings = seeds if seeds is not None and len(seeds[0]) > 1 else None  # several seeds

    def one(mask: np.ndarray) -> dict[str, Any]:
        out = cm.clip_scores(y_true[mask], y_pred[mask], groups[mask], labels)
        out["ci"] = (stats.bootstrap_interval(y_true[mask], y_pred[mask], groups[mask], len(labels))
                     if out["n_subjects"] > 1 else dict.fromkeys(stats.METRICS))  # one subject: no interval
        if trainings is not None and out["n_subjects"] > 1:
            out["ci_trainings"] = stats.training_bootstrap(y_true[mask], trainings[0][:, mask], trainings[1][mask], groups[mask])
        return out

    out = one(np.ones(len(y_true), bool))
    out["confusion_matrix"] = out.pop("confusion")
    if trainings is not None:
        out["top1_per_seed"] = [cm.top1(cm.confusion_matrix(y_true, v.argmax(1), len(labels))) for v in trainings[0]]
    out["bootstrap"] = {"unit": "subject", "resamples": stats.RESAMPLES, "level": stats.LEVEL, "seed": stats.SEED,
                        "interval": "percentile"}
    out["per_lighting"] = {str(lt): {k: v for k, v in one(lights == lt).items() if k != "labels"}
                           for lt in sorted(set(lights.tolist()))}
    return out


def _evaluated_on(protocol: str, n_seeds: int) -> str:
    held_out = "test subjects" if protocol == SPLIT else f"every subject, {protocol}"
    return held_out + (f" (mean logits of {n_seeds} training seeds)" if n_seeds > 1 else "")


def _evaluated_on_data(data: Path, config: dict[str, Any], own: bool, n_seen: int, n: int, left_out: int,
                       n_seeds: int, n_models: int) -> str:
    """``evaluated_on`` of an evaluation of ``n`` clips of ``data``: the run's own test where it
    holds the very clips the run was trained on (``own``); else which models scored which clips
    (:func:`run_evaluation.scored_elsewhere`), ``n_seen`` of them with a manifest row of the training
    data, ``left_out`` not scored (of subjects no model held out)."""
    if own:
        return _evaluated_on(config["protocol"], n_seeds)
    seeds = f" (mean logits of {n_seeds} training seeds)" if n_seeds > 1 else ""
    others = f"every model (mean logits of {n_models} models)" if n_models > 1 else "the model"
    return run_evaluation.scored_elsewhere(data, config["data"], config["protocol"], n_seen, n, left_out, seeds, others)


# --------------------------------------------------------------------------- evaluation of a run


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], ClassifyConfig, NetConfig]:
    """A classification run's ``config.json``, its settings and its network, checked as a received
    file: a key missing, a value of another type or out of range, or a model folder outside the
    run is one :class:`FormatError` naming the file; another task's run is a :class:`ParameterError`.

    Parameters
    ----------
    run_dir : str or Path
        The classification run folder.

    Returns
    -------
    tuple of (dict, ClassifyConfig, NetConfig)
        Its ``config.json``, its settings and its network.

    Examples
    --------
    :func:`evaluate_run` shows a trained run read back; a folder that holds none is refused:

    >>> load_run("nowhere")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: nowhere/config.json: no config.json: not an evface run folder
    """
    run_dir = Path(run_dir)
    config = run_folder.load_task_config(run_dir, TASK, "classification")
    with run_folder.reading(run_dir / run_folder.CONFIG):
        run_folder.check_fields(config, {"data": str, "labels": list, "net": dict, "spec": dict, "protocol": str,
                                     "models": list})
        for entry in config["models"]:
            run_folder.check_fields(entry, {"dir": str, "test": list, "val": list, "seed": int})
            run_folder.check_folder(entry["dir"])
        check_models(config["models"])  # was: a subject no text, a fold without a seed, an internal error
        cfg, net = ClassifyConfig.from_dict(config), NetConfig(**config["net"])
        check_network(config["labels"], cfg, net)  # was: a label no text an internal error, a time step a line naming no file
    recorded = run_clips.recorded_clips(run_dir) if any("train" in entry for entry in config["models"]) else None
    if recorded is not None:  # the subjects of the dataset it was trained on, as data-clips.json lists its clips
        with run_folder.reading(run_dir / run_folder.CONFIG):
            check_trained_subjects(config["models"], {key[CLIP_KEY_COLUMNS.index("subject")] for key in recorded[0]})
    return config, cfg, net


def figures(metrics: Mapping[str, Any]) -> str:
    """The headline figures of a classification's ``metrics`` as the report's table gives them
    (:data:`~evface.tasks.figure_format.FIGURES`: top-1 in percent to one decimal, UF1 and UAR to three,
    each with its interval where there is one, over subjects and trainings where the metrics hold
    that one), and how many clips and subjects they are of: what ``evface train classify`` and
    ``evface eval`` print for a reader, above :func:`headline`.

    Parameters
    ----------
    metrics : mapping
        A classification's metrics (``top1``, ``uf1``, ``uar``, ``n``, ``n_subjects``, ``ci``).

    Returns
    -------
    str

    Examples
    --------
    >>> figures({"top1": 0.5123, "uf1": 0.4, "uar": 0.45, "n": 41, "n_subjects": 1,
    ...          "ci": {"top1": None, "uf1": None, "uar": None}})
    'top-1 % 51.2, UF1 0.400, UAR 0.450 (41 clips of 1 subject)'
    >>> figures({"top1": 0.5123, "uf1": 0.4, "uar": 0.45, "n": 41, "n_subjects": 3,
    ...          "ci": {"top1": [0.41, 0.6], "uf1": [0.3, 0.5], "uar": [0.35, 0.55]}})
    'top-1 % 51.2 [41.0, 60.0], UF1 0.400 [0.300, 0.500], UAR 0.450 [0.350, 0.550] (41 clips of 3 subjects)'
    """
    ci = metrics.get("ci_trainings") or metrics.get("ci") or {}
    said = ", ".join(f"{name} {figure_format.with_interval(metrics[key], ci.get(key), *figure_format.FIGURES[key])}"
                     for key, name in (("top1", "top-1 %"), ("uf1", "UF1"), ("uar", "UAR")))
    return f"{said} ({counted(metrics['n'], 'clip')} of {counted(metrics['n_subjects'], 'subject')})"


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """What ``evface eval`` prints of a run's metrics: top-1, macro F1, UAR, UF1 and the number of clips.

    Parameters
    ----------
    metrics : dict
        A classification's metrics.

    Returns
    -------
    dict
        Those of its keys that it holds.

    Examples
    --------
    >>> headline({"top1": 0.75, "uf1": 0.7, "n": 4, "per_lighting": {}})
    {'top1': 0.75, 'uf1': 0.7, 'n': 4}
    """
    return {k: metrics[k] for k in ("top1", "macro_f1", "uar", "uf1", "n") if k in metrics}


def evaluate_run(run_dir: str | Path, data: str | Path | None = None, out: str | Path | None = None, *,
                 cross_sensor: bool = True) -> dict[str, Any]:
    """Evaluate the trained run ``run_dir`` on dataset folder ``data``; write ``metrics.json`` and ``predictions.csv``.

    ``data`` defaults to the run's own dataset; the files go to ``out`` when given, else into
    ``run_dir``, which takes only the very clips the run was trained on
    (:func:`run_evaluation.evaluation_folder` says which folders may take them). A clip whose manifest
    row is one the run was trained on (wherever the folder lies, also rendered again with other
    event noise: :func:`run_clips.seen_in_training`) is scored by the models that
    did not see its subject (the protocol's test folds); any other clip by the mean logits of every
    model. ``evaluated_on`` says which (:func:`run_evaluation.scored_elsewhere`, on other data). Into
    ``run_dir``, the :data:`TRAINING_KEYS` of its earlier ``metrics.json`` are kept.
    ``cross_sensor`` also scores an event model on the other sensor's events. Scores on the torch
    threads its models predicted their test subjects on: the run's ``threads``, or where that is 0
    the one count its ``metrics.json`` records (:func:`run_folder.scoring_threads`: ``evface run``'s
    job's share; was: the caller's), else the caller's; the caller's set back after. A dataset with a
    class the model does not know raises :class:`DatasetError`. A run of a newer evface with
    settings this one does not know is scored with a warning (:func:`run_resume.warn_of_version`).

    Parameters
    ----------
    run_dir : str or Path
        The trained classification run.
    data : str or Path, optional
        The dataset folder to score (default: the run's own).
    out : str or Path, optional
        Where the files go (default: ``run_dir``).
    cross_sensor : bool, optional
        Also score an event model on the other sensor's events (``per_sensor``).

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.

    Examples
    --------
    A run trained on a toy dataset folder (as in :func:`train_and_evaluate`), evaluated
    again into another folder, and read back by :func:`load_run`:

    >>> from evface.datasets.toy import toy_dataset
    >>> config = ClassifyConfig(sensor="lr", epochs=1, size=8, depth=1, width=2, time_steps=1, norm="none",
    ...                         augment=False, device="cpu")  # a tiny network, one epoch
    >>> _ = toy_dataset("eval-data")
    >>> trained = train_and_evaluate("eval-data", "eval-run", config)
    >>> again = evaluate_run("eval-run", out="eval-out")
    >>> again["evaluated_on"], again["top1"] == trained["top1"], sorted(again["per_sensor"])
    ('test subjects', True, ['lr'])
    >>> load_run("eval-run")[1] == config
    True
    """
    run_dir = Path(run_dir)
    config, cfg, net = load_run(run_dir)
    data = Path(data if data is not None else config["data"]).resolve()
    target, own = run_evaluation.evaluation_target(run_dir, data, out)
    kept = _kept_training_record(run_dir, target)  # read before the scoring (a file not as evface writes it refused)
    threads = run_folder.scoring_threads(cfg.threads, run_dir / run_folder.METRICS)
    run_resume.warn_of_version(run_dir)  # was: said by evface eval only
    labels = list(config["labels"])
    device = parallel.select_device("cpu" if cfg.device == "cpu" else "auto")
    ds = DatasetFolder.open(data)
    rows = list(ds.rows)
    y = _targets(rows, labels, ds.root)
    models = load_run_models(run_dir, cfg, config, device)
    seen = run_clips.seen_in_training(run_dir, data, rows)
    scorers = _clip_scorers(models, rows, seen)
    keep = [i for i in range(len(rows)) if scorers[i]]
    if not keep:
        raise DatasetError(where(ds.root, "no clips to evaluate"))
    where_ = _evaluated_on_data(data, config, own, sum(seen[i] for i in keep), len(keep), len(rows) - len(keep),
                                len({entry["seed"] for entry, _ in models}), len(models))
    sel = [rows[i] for i in keep]
    scoring = _Scoring(run_dir, models, [r["clip_id"] for r in sel], labels, [scorers[i] for i in keep],
                       sorted({entry["seed"] for entry, _ in models}), cfg.input, device)
    spec = input_spec(cfg)
    yt = y[keep]
    light = [r["lighting"] for r in sel]
    subjects = [str(r["subject"]) for r in sel]
    with parallel.torch_threads(threads):  # the run's threads, as its models predicted their test subjects
        main = _mean_predictions(scoring, load_inputs([ds.clip_path(r) for r in sel], spec), by_seed=True)
        others = (_other_sensors(scoring, [ds.clip_path(r) for r in sel], spec, yt, light, subjects)
                  if spec.kind == "events" and cross_sensor else {})
    pred = main["logits"].argmax(1)
    folds = fold_names(entry for entry, _ in models)
    fold_of = [folds[tuple(models[scorers[i][0]][0]["test"])] if seen[i] else "all" for i in keep]
    metrics = score(yt, pred, light, subjects, labels, (main["seed_logits"], np.array(fold_of)))
    metrics.update(energy_metrics(main, net, cfg.model))
    metrics["per_sensor"] = {spec.camera: {k: metrics[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")}}
    metrics["per_sensor"].update(others)
    # the trainings whose models scored it (was: unrecorded, so a run given more seeds later made its
    # earlier evaluations read as theirs)
    metrics.update(evaluated_on=where_, data=str(data), run=str(run_dir.resolve()), seeds=list(scoring.seeds))
    metrics.update(kept)
    _write_results(target, metrics, predictions_text(sel, [labels[p] for p in pred]),
                   seed_logits_text([r["clip_id"] for r in sel], fold_of, scoring.seeds, main["seed_logits"], labels))
    return metrics


def _clip_scorers(models: Sequence[tuple[dict[str, Any], nn.Module]], rows: Sequence[dict[str, Any]],
                  seen: Sequence[bool]) -> dict[int, list[int]]:
    """The models that score each clip (by index): those that held out its subject where the run was
    trained on its manifest row (``seen``; none where no model held it out), else every model."""
    everyone = list(range(len(models)))
    return {i: [j for j, (entry, _) in enumerate(models) if str(r["subject"]) in entry["test"]] if seen[i] else everyone
            for i, r in enumerate(rows)}


@dataclass(frozen=True)
class _Scoring:
    """What scores the clips of an evaluation: the run folder and its models, the clips and the classes,
    each clip's scorers (indices into ``models``), the training seeds, the input kind and the device."""

    run_dir: Path
    models: Sequence[tuple[dict[str, Any], nn.Module]]
    clip_ids: Sequence[str]
    labels: Sequence[str]
    scorers: Sequence[Sequence[int]]
    seeds: Sequence[int]
    kind: str
    device: torch.device


def _mean_predictions(scoring: _Scoring, x: np.ndarray, by_seed: bool = False) -> dict[str, np.ndarray]:
    """Each clip's predictions (:func:`predict`) of its inputs ``x``, the mean over its scorers;
    ``by_seed`` adds ``seed_logits`` (K, N, C), each seed's logits from its models among a clip's scorers.
    A logit that is not finite is refused (:func:`check_finite_logits`, naming the model's folder)."""
    outs = [predict(m, x, scoring.kind, scoring.device) for _, m in scoring.models]
    for (entry, _), predicted in zip(scoring.models, outs, strict=True):  # was: argmax scored a clip of NaN logits as class 0
        check_finite_logits(predicted["logits"], scoring.run_dir / entry["dir"], scoring.clip_ids, scoring.labels)
    res: dict[str, np.ndarray] = {}
    for key in outs[0]:
        res[key] = np.stack([np.mean([outs[j][key][n] for j in scorers], axis=0) for n, scorers in enumerate(scoring.scorers)])
    if by_seed:
        res["seed_logits"] = np.stack([[np.mean([outs[j]["logits"][n] for j in scorers if scoring.models[j][0]["seed"] == s],
                                                axis=0) for n, scorers in enumerate(scoring.scorers)] for s in scoring.seeds])
    return res


def _other_sensors(scoring: _Scoring, paths: Sequence[Path], spec: InputSpec, y_true: np.ndarray,
                   lighting: Sequence[str], subjects: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``per_sensor`` of an event model seen through the other sensors' events of the clips ``paths``,
    where the clips hold them."""
    out = {}
    for other in SENSORS:
        if other == spec.sensor:
            continue
        try:
            x = load_inputs(paths, replace(spec, sensor=other))
        except EvfaceError:  # the other sensor (or its face box) is absent from these clips
            continue
        res = _mean_predictions(scoring, x)  # not finite: refused (was: a NaN skipped this sensor with the absent ones)
        s = score(y_true, res["logits"].argmax(1), lighting, subjects, scoring.labels)
        out[other] = {**{k: s[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")}, "note": f"model trained on {spec.sensor}"}
    return out


def check_finite_logits(logits: np.ndarray, source: Path, clip_ids: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse the (N, C) ``logits`` a model gave the clips ``clip_ids`` unless every one is finite.

    A clip is scored by its largest logit, and argmax takes a NaN for it: the clip would be scored as
    its class without a word (as :func:`stats.training_bootstrap` refuses them).

    Parameters
    ----------
    logits : ndarray, shape (N, C)
        One model's logits.
    source : Path
        The model's folder or file, which the error names.
    clip_ids : sequence of str
        The N clips.
    labels : sequence of str
        The C classes.

    Raises
    ------
    ParameterError
        Naming ``source``, the count and the first such logit's clip and class.

    Examples
    --------
    >>> check_finite_logits(np.array([[0.5, np.nan]]), Path("run/models/fold0-s0"), ["c1"], ["AU4", "AU12"])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: run/models/fold0-s0: 1 logit is not finite (nan for clip c1, class AU12): a clip is scored by its largest logit, and argmax takes a NaN for it; the model diverged: train the run again in a new --out folder with a lower --learning-rate
    """
    bad = np.argwhere(~np.isfinite(logits))
    if bad.size:
        n, c = (int(i) for i in bad[0])
        raise ParameterError(where(source, f"{counted(len(bad), 'logit')} {'is' if len(bad) == 1 else 'are'} not finite "
                                           f"({logits[n, c]} for clip {clip_ids[n]}, class {labels[c]}): a clip is "
                                           "scored by its largest logit, and argmax takes a NaN for it; the model "
                                           f"diverged: {train_again('with a lower --learning-rate')}"))


def _kept_training_record(run_dir: Path, target: Path) -> dict[str, Any]:
    """The :data:`TRAINING_KEYS` of the run's earlier ``metrics.json`` where the evaluation goes into the
    run folder itself (was: the training's record replaced); nothing otherwise. A ``metrics.json``
    that is no JSON object is one :class:`~evface.errors.FormatError` naming it (was: an
    AttributeError after every clip was scored): read before the scoring."""
    earlier = target / run_folder.METRICS
    if target.resolve() == run_dir.resolve() and earlier.is_file():
        with run_folder.reading(earlier):
            record = run_folder.read_json(earlier)
            run_folder.check_fields(record, {})  # a JSON object
        return {k: v for k, v in record.items() if k in TRAINING_KEYS}
    return {}


def _write_results(out: Path, metrics: dict[str, Any], predictions: str, seed_logits: str) -> None:
    """``OUT/predictions.csv``, ``OUT/seed_logits.csv`` and ``OUT/metrics.json``, which must agree: all
    or none (:func:`run_folder.write_together`, metrics.json last; was: one after the other, so a run
    or evaluation stopped between them left new predictions beside the earlier metrics)."""
    run_folder.write_together({out / PREDICTIONS: predictions, out / SEED_LOGITS: seed_logits,
                               out / run_folder.METRICS: run_folder.json_text(metrics)})
