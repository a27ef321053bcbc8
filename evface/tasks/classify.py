"""AU classification: train and evaluate the spiking CNN (or its ANN twin) on one input kind.

:func:`train_and_evaluate` (``data, run_dir, config, log``; the settings are a
:class:`~evface.tasks.configs.ClassifyConfig`) is what ``evface train classify`` and ``evface run``
run: open the dataset folder, preprocess every clip once into an in-memory array
(:mod:`evface.inputs.classify`), split by subject (:func:`evface.inputs.splits.subject_split`, or
leave-one-subject-out folds), train with class-balanced sampling and augmentation through
:func:`evface.tasks.engine.fit` (early stopping on the validation UF1, checkpoints, resume, DDP
under torchrun), then evaluate the best checkpoint on the held-out subjects and write
``RUN/metrics.json``.

:func:`evaluate_run` is what ``evface eval`` runs for a classification run: it evaluates a
trained run on any dataset folder. On the run's own dataset it scores the held-out test subjects
(each fold's left-out subject for a LOSO run); on any other folder it scores every clip (a LOSO
run averages its fold models' logits).

metrics.json keys: ``top1``, ``macro_f1``, ``uar``, ``uf1``, ``n``, ``labels``,
``confusion_matrix`` (rows true, columns predicted), ``per_class``, ``per_lighting`` (the same
metrics per lighting), ``per_sensor`` (the trained sensor and, for event models, the other
sensor seen through the same network), ``spike_rate_per_layer`` (spikes per neuron per time
step), ``synops`` (synaptic operations per sample: spikes x fan-out), ``snn_input_macs`` (the
first convolution's multiply-accumulates over T steps, its input being analogue), ``ann_macs``
(the ANN twin's multiply-accumulates per sample), ``evaluated_on``, ``data``; after training also
``train_top1`` (accuracy on the training subjects), ``train_seconds``, ``best_epoch``,
``epochs_run``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from evface.errors import DatasetError, EvfaceError, ParameterError, where
from evface.inputs.classify import Augment, ClassifyDataset, InputSpec, load_inputs, normalize
from evface.inputs.clip_view import SENSORS
from evface.inputs.splits import loso_folds, subject_split
from evface.io.dataset import DatasetFolder
from evface.models.snn import NetConfig, activity, ann_macs, build, snn_input_macs
from evface.tasks import class_metrics as cm
from evface.tasks import engine
from evface.tasks.configs import ClassifyConfig

TASK = "classify"
RESUMABLE_CHANGES = ("device", "epochs", "patience")
"""Settings a run folder may be resumed with after a change."""


def input_spec(cfg: ClassifyConfig) -> InputSpec:
    """What the network of ``cfg`` sees (raises :class:`ParameterError` for an unknown input kind or window)."""
    return InputSpec(kind=cfg.input, sensor=cfg.sensor, time_steps=cfg.time_steps, size=cfg.size, color=cfg.color,
                     window=cfg.window, rgb_camera=cfg.rgb_camera, oracle_apex=cfg.oracle_apex)


def net_config(cfg: ClassifyConfig, n_classes: int) -> NetConfig:
    """The network of ``cfg`` for ``n_classes`` classes."""
    return NetConfig(in_channels=input_spec(cfg).channels, n_classes=n_classes, time_steps=cfg.time_steps,
                     input_size=cfg.size, depth=cfg.depth, width=cfg.width, beta=cfg.beta, slope=cfg.slope,
                     dropout=cfg.dropout)


# --------------------------------------------------------------------------- prediction


def predict(model: nn.Module, x: np.ndarray, kind: str, device: torch.device, batch_size: int = 32) -> dict[str, np.ndarray]:
    """Logits (N, C) of cached inputs ``x``; for an SNN also per-sample ``rate`` (N, depth) and ``synops`` (N,)."""
    model = engine.unwrap(model)
    model.eval()
    logits, rates, synops = [], [], []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(normalize(x[i:i + batch_size], kind))).to(device)
            if hasattr(model, "run"):
                out, stats = model.run(xb, record=True)
                act = activity(model.cfg, stats["spikes"])
                rates.append(act["rate"].cpu().numpy())
                synops.append(act["synops"].cpu().numpy())
            else:
                out = model(xb)
            logits.append(out.float().cpu().numpy())
    res = {"logits": np.concatenate(logits) if logits else np.zeros((0, 0), np.float32)}
    if rates:
        res["rate"], res["synops"] = np.concatenate(rates), np.concatenate(synops)
    return res


def recalibrate_batchnorm(model: nn.Module, x: np.ndarray, kind: str, device: torch.device, batch_size: int = 32) -> None:
    """Recompute every BatchNorm's running statistics as the average over the batches of ``x`` (no gradients).

    The running averages kept during training lag far behind when a run has few batches (and the
    spike statistics change as the weights do); evaluating with them can silence the network.
    Run on the un-augmented training inputs before each validation and before testing.
    """
    model = engine.unwrap(model)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or len(x) == 0:
        return
    saved = [(m, m.momentum) for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            model(torch.from_numpy(np.ascontiguousarray(normalize(x[i:i + batch_size], kind))).to(device))
    for m, momentum in saved:
        m.momentum = momentum
    model.train(was_training)


def score(y_true: np.ndarray, y_pred: np.ndarray, lighting: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Overall metrics plus ``per_lighting``, with metrics.json's key names."""
    out = cm.summarize(cm.confusion_matrix(y_true, y_pred, len(labels)), labels)
    out["confusion_matrix"] = out.pop("confusion")
    out["per_lighting"] = {k: {kk: vv for kk, vv in v.items() if kk != "labels"}
                           for k, v in cm.summarize_groups(y_true, y_pred, lighting, labels).items()}
    return out


def _energy(pred: dict[str, np.ndarray], net: NetConfig, model_kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"ann_macs": ann_macs(net)}
    if model_kind == "snn" and "rate" in pred and len(pred["rate"]):
        out["spike_rate_per_layer"] = pred["rate"].mean(axis=0).tolist()
        out["synops"] = float(pred["synops"].mean())
        out["snn_input_macs"] = snn_input_macs(net)
    return out


# --------------------------------------------------------------------------- training


def _targets(rows: Sequence[dict[str, Any]], labels: Sequence[str], source: str | Path) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    unknown = sorted({r["label"] for r in rows} - set(index))
    if unknown:
        raise DatasetError(where(source, f"labels {unknown} are not classes of this model (it knows {list(labels)})"))
    return np.array([index[r["label"]] for r in rows], dtype=np.int64)


def _fit_one(
    cfg: ClassifyConfig, run_dir: Path, x: np.ndarray, y: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray,
    labels: list[str], dist: engine.DistInfo, log: Callable[[str], None] | None,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train one model on ``train_idx`` with early stopping on ``val_idx``; return the best model."""
    engine.seed_everything(cfg.seed)
    net = net_config(cfg, len(labels))
    model = build(cfg.model, net).to(dist.device)
    ddp = engine.wrap_ddp(model, dist)
    opt = torch.optim.AdamW(ddp.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, cfg.epochs))
    y_train = y[train_idx]
    weights = (1.0 / np.bincount(y_train, minlength=len(labels))[y_train]) if cfg.balanced else None
    sampler = engine.ShardedSampler(len(train_idx), dist, seed=cfg.seed, weights=weights)
    aug = Augment(cfg.input, max_shift=cfg.max_shift) if cfg.augment else None
    train_set = ClassifyDataset(x[train_idx], y_train, cfg.input, aug, seed=cfg.seed * 1000 + dist.rank)
    loader = torch.utils.data.DataLoader(train_set, batch_size=cfg.batch_size, sampler=sampler)
    loss_fn = nn.CrossEntropyLoss()

    def train_epoch(epoch: int) -> dict[str, float]:
        sampler.set_epoch(epoch)
        total, correct, n = 0.0, 0, 0
        for xb, yb in loader:
            xb, yb = xb.to(dist.device), yb.to(dist.device)
            opt.zero_grad(set_to_none=True)
            out = ddp(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(yb)
            correct += int((out.argmax(1) == yb).sum().item())
            n += len(yb)
        return {"loss": engine.all_reduce_mean(total / max(n, 1), dist),
                "acc": engine.all_reduce_mean(correct / max(n, 1), dist)}

    def validate(epoch: int) -> dict[str, float]:
        recalibrate_batchnorm(model, x[train_idx], cfg.input, dist.device, cfg.batch_size)
        logits = predict(model, x[val_idx], cfg.input, dist.device)["logits"]
        yv = y[val_idx]
        loss = float(loss_fn(torch.from_numpy(logits), torch.from_numpy(yv)).item())
        conf = cm.confusion_matrix(yv, logits.argmax(1), len(labels))
        uf1 = cm.uf1(conf)
        # UF1 on a few validation clips is coarse: ties go to the lower validation loss
        return {"val_loss": loss, "val_acc": cm.top1(conf), "val_uf1": uf1, "val_score": uf1 - 1e-3 * min(loss, 100.0)}

    result = engine.fit(ddp, opt, train_epoch, validate, run_dir, dist=dist, epochs=cfg.epochs, monitor="val_score",
                        mode="max", patience=cfg.patience, scheduler=sched, extra={"labels": labels},
                        generators={"augment": train_set.rng}, log=log)
    engine.barrier(dist)
    engine.load_model_state(run_dir, model)
    return model, result


def _split_indices(rows: Sequence[dict[str, Any]], part: Sequence[dict[str, Any]]) -> np.ndarray:
    ids = {r["clip_id"] for r in part}
    return np.array([i for i, r in enumerate(rows) if r["clip_id"] in ids], dtype=np.int64)


def train_and_evaluate(data: str | Path, run_dir: str | Path, config: ClassifyConfig = ClassifyConfig(),
                       log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train a classifier on dataset folder ``data`` into ``run_dir`` and evaluate it on held-out subjects.

    Works unchanged under ``torchrun`` (one process per rank; rank 0 writes files and calls
    ``log``). An existing ``run_dir`` resumes when it was trained with the same settings.
    Returns the metrics written to ``RUN/metrics.json``.
    """
    input_spec(config)  # validates input kind and window
    if config.model not in ("snn", "ann"):
        raise ParameterError(f"model must be 'snn' or 'ann', not {config.model!r}")
    dist = engine.init_distributed(config.device)
    try:
        return _train(config, Path(data).resolve(), Path(run_dir), dist, log)
    finally:
        engine.teardown_distributed(dist)


def _train(cfg: ClassifyConfig, data: Path, run_dir: Path, dist: engine.DistInfo,
           log: Callable[[str], None] | None) -> dict[str, Any]:
    say = log if (log is not None and dist.is_main) else (lambda _m: None)
    ds = DatasetFolder.open(data)
    rows = list(ds.rows)
    labels = ds.labels
    if len(labels) < 2:
        raise DatasetError(where(ds.root, f"classification needs at least 2 classes, found {labels}"))
    y = _targets(rows, labels, ds.root)
    spec = input_spec(cfg)
    start = time.perf_counter()
    x = load_inputs([ds.clip_path(r) for r in rows], spec)
    prep_s = time.perf_counter() - start
    say(f"preprocessed {len(rows)} clips ({spec.kind}{'/' + spec.sensor if spec.kind == 'events' else ''}) in {prep_s:.1f} s")
    net = net_config(cfg, len(labels))
    light = np.array([r["lighting"] for r in rows])
    config: dict[str, Any] = {"task": TASK, "data": str(data), **cfg.to_dict(), "labels": labels, "net": net.to_dict(),
                              "spec": spec.to_dict()}
    engine.check_resume(run_dir, config, free=RESUMABLE_CHANGES)
    t_train = time.perf_counter()
    if not cfg.loso:
        parts = subject_split(rows, cfg.val_fraction, cfg.test_fraction, cfg.seed)
        idx = {k: _split_indices(rows, v) for k, v in parts.items()}
        config["subjects"] = {k: sorted({r["subject"] for r in v}) for k, v in parts.items()}
        if dist.is_main:
            engine.save_config(run_dir, config)
        model, result = _fit_one(cfg, run_dir, x, y, idx["train"], idx["val"], labels, dist, say)
        train_s = time.perf_counter() - t_train
        test = predict(model, x[idx["test"]], cfg.input, dist.device)
        metrics = score(y[idx["test"]], test["logits"].argmax(1), light[idx["test"]], labels)
        metrics.update(_energy(test, net, cfg.model))
        train_pred = predict(model, x[idx["train"]], cfg.input, dist.device)["logits"].argmax(1)
        metrics["train_top1"] = cm.top1(cm.confusion_matrix(y[idx["train"]], train_pred, len(labels)))
        metrics.update(best_epoch=result["best_epoch"], epochs_run=result["epochs_run"], evaluated_on="test subjects")
    else:
        folds = loso_folds(rows)
        config["subjects"] = {"folds": [f["subject"] for f in folds]}
        if dist.is_main:
            engine.save_config(run_dir, config)
        confs, preds, truth, lights, energies, train_accs = [], [], [], [], [], []
        for fold in folds:
            inner = subject_split(fold["train"], cfg.val_fraction, 0.0, cfg.seed)
            tr, va, te = (_split_indices(rows, inner["train"]), _split_indices(rows, inner["val"]),
                          _split_indices(rows, fold["test"]))
            say(f"fold {fold['subject']}: {len(tr)} train, {len(va)} val, {len(te)} test clips")
            model, _ = _fit_one(cfg, run_dir / "folds" / str(fold["subject"]), x, y, tr, va, labels, dist, say)
            out = predict(model, x[te], cfg.input, dist.device)
            p = out["logits"].argmax(1)
            confs.append(cm.confusion_matrix(y[te], p, len(labels)))
            preds.append(p)
            truth.append(y[te])
            lights.append(light[te])
            energies.append(out)
            tp = predict(model, x[tr], cfg.input, dist.device)["logits"].argmax(1)
            train_accs.append(cm.top1(cm.confusion_matrix(y[tr], tp, len(labels))))
        train_s = time.perf_counter() - t_train
        metrics = score(np.concatenate(truth), np.concatenate(preds), np.concatenate(lights), labels)
        metrics["macro_f1_per_fold_mean"] = cm.summarize_folds(confs, labels)["macro_f1_per_fold_mean"]
        merged = {k: np.concatenate([e[k] for e in energies]) for k in energies[0] if k != "logits"}
        metrics.update(_energy(merged, net, cfg.model))
        metrics.update(train_top1=float(np.mean(train_accs)), folds=len(folds), evaluated_on="leave-one-subject-out")
    metrics.update(per_sensor={spec.camera: {k: metrics[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")}},
                   train_seconds=train_s, preprocess_seconds=prep_s, data=str(data), world_size=dist.world_size)
    if dist.is_main:
        engine.write_metrics(run_dir, metrics)
        say(f"held-out: top-1 {metrics['top1']:.3f}  macro-F1 {metrics['macro_f1']:.3f}  UAR {metrics['uar']:.3f}  "
            f"UF1 {metrics['uf1']:.3f}  (train top-1 {metrics['train_top1']:.3f}, {train_s:.0f} s)")
    engine.barrier(dist)
    return metrics


# --------------------------------------------------------------------------- evaluation of a run


def _load_models(run_dir: Path, cfg: ClassifyConfig, config: dict[str, Any], device: torch.device) -> dict[str, nn.Module]:
    net = NetConfig(**config["net"])
    dirs = {"": run_dir} if not cfg.loso else {s: run_dir / "folds" / str(s) for s in config["subjects"]["folds"]}
    models = {}
    for key, d in dirs.items():
        model = build(cfg.model, net).to(device)
        engine.load_model_state(d, model)
        models[key] = model.eval()
    return models


def evaluate_run(run_dir: str | Path, data: str | Path | None = None, out: str | Path | None = None, *,
                 cross_sensor: bool = True) -> dict[str, Any]:
    """Evaluate the trained run ``run_dir`` on dataset folder ``data``; write ``metrics.json``.

    ``data`` defaults to the run's own dataset; the file goes to ``out`` when given, else into
    ``run_dir``. ``cross_sensor`` also scores an event model on the other sensor's events. A
    dataset with a class the model does not know raises :class:`DatasetError`.
    """
    run_dir = Path(run_dir)
    config = engine.load_config(run_dir)
    if config.get("task") != TASK:
        raise ParameterError(f"{run_dir} is a {config.get('task')!r} run, not a classification run")
    cfg = ClassifyConfig.from_dict(config)
    data = Path(data if data is not None else config["data"]).resolve()
    labels = list(config["labels"])
    device = engine.select_device("cpu" if cfg.device == "cpu" else "auto")
    ds = DatasetFolder.open(data)
    rows = list(ds.rows)
    y = _targets(rows, labels, ds.root)
    models = _load_models(run_dir, cfg, config, device)
    same = data == Path(config["data"]).resolve()
    if same and not cfg.loso:
        test = set(config["subjects"]["test"])
        keep = [i for i, r in enumerate(rows) if r["subject"] in test]
        assign = {i: "" for i in keep}
        where_ = "test subjects of the training dataset"
    elif same:
        keep = [i for i, r in enumerate(rows) if str(r["subject"]) in models]
        assign = {i: str(rows[i]["subject"]) for i in keep}
        where_ = "leave-one-subject-out (each fold's left-out subject)"
    else:
        keep = list(range(len(rows)))
        assign = {i: None for i in keep}  # None: average every model
        where_ = "all clips" + (" (mean logits of the fold models)" if cfg.loso else "")
    if not keep:
        raise DatasetError(where(ds.root, "no clips to evaluate"))
    sel = [rows[i] for i in keep]
    paths = [ds.clip_path(r) for r in sel]
    net = NetConfig(**config["net"])

    def run_on(spec: InputSpec) -> dict[str, np.ndarray]:
        x = load_inputs(paths, spec)
        outs: dict[str, dict[str, np.ndarray]] = {k: predict(m, x, cfg.input, device) for k, m in models.items()}
        logits = np.zeros((len(keep), len(labels)), np.float32)
        res: dict[str, np.ndarray] = {}
        for j, i in enumerate(keep):
            keys = list(models) if assign[i] is None else [assign[i]]
            logits[j] = np.mean([outs[k]["logits"][j] for k in keys], axis=0)
        res["logits"] = logits
        first = next(iter(outs.values()))
        if "rate" in first:
            res["rate"] = np.mean([o["rate"] for o in outs.values()], axis=0)
            res["synops"] = np.mean([o["synops"] for o in outs.values()], axis=0)
        return res

    spec = input_spec(cfg)
    yt = y[keep]
    light = [r["lighting"] for r in sel]
    main = run_on(spec)
    metrics = score(yt, main["logits"].argmax(1), light, labels)
    metrics.update(_energy(main, net, cfg.model))
    name = spec.camera
    metrics["per_sensor"] = {name: {k: metrics[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")}}
    if spec.kind == "events" and cross_sensor:
        for other in SENSORS:
            if other == spec.sensor:
                continue
            try:
                res = run_on(replace(spec, sensor=other))
            except EvfaceError:  # the other sensor (or its face box) is absent from these clips
                continue
            s = score(yt, res["logits"].argmax(1), light, labels)
            metrics["per_sensor"][other] = {**{k: s[k] for k in ("n", "top1", "macro_f1", "uar", "uf1")},
                                            "note": f"model trained on {spec.sensor}"}
    metrics.update(evaluated_on=where_, data=str(data), run=str(run_dir.resolve()))
    engine.write_metrics(Path(out) if out is not None else run_dir, metrics)
    return metrics


# --------------------------------------------------------------------------- benchmark


def throughput(inputs: Sequence[str] = ("events", "rgb"), batch_size: int = ClassifyConfig.batch_size,
               time_steps: int = ClassifyConfig.time_steps, size: int = ClassifyConfig.size, steps: int = 5,
               n_classes: int = 6, seed: int = 0) -> dict[str, Any]:
    """Training samples per second of the SNN (forward, backward, optimiser step) on random inputs.

    Returns ``{"<input>_train_samples_per_s": ..., "batch_size", "time_steps", "size", "threads"}``;
    the first step of each input is a warm-up and is not timed.
    """
    engine.seed_everything(seed)
    out: dict[str, Any] = {"batch_size": batch_size, "time_steps": time_steps, "size": size,
                           "threads": torch.get_num_threads()}
    for kind in inputs:
        spec = InputSpec(kind=kind, time_steps=time_steps, size=size)
        net = NetConfig(in_channels=spec.channels, n_classes=n_classes, time_steps=time_steps, input_size=size)
        model = build("snn", net)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(seed)
        x = torch.rand(batch_size, time_steps, spec.channels, size, size, generator=g) * (3 if kind == "events" else 1)
        y = torch.randint(0, n_classes, (batch_size,), generator=g)
        elapsed = 0.0
        for step in range(steps + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            if step:
                elapsed += time.perf_counter() - t0
        out[f"{kind}_train_samples_per_s"] = steps * batch_size / elapsed
    return out
