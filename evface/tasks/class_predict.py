"""A trained classifier's predictions on preprocessed inputs, and what they cost.

:func:`predict` gives the logits of cached inputs (for an SNN also each sample's spike rate per
layer and its synaptic operations); :func:`recalibrate_batchnorm` recomputes the BatchNorm
statistics on the training inputs before a validation or a test; :func:`energy_metrics` turns the
recorded activity into metrics.json's spike rates, synops and multiply-accumulates;
:func:`load_run_models` loads a trained run's models for :func:`evface.tasks.classify.evaluate_run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from evface.inputs.classify import normalize
from evface.models.snn import NetConfig, SpikingCNN, ann_macs, build, logits as step_mean, snn_analog_macs
from evface.tasks import checkpoints, parallel
from evface.tasks.configs import ClassifyConfig


def predict(model: nn.Module, x: np.ndarray, kind: str, device: torch.device, batch_size: int = 32) -> dict[str, np.ndarray]:
    """Logits (N, C) of cached inputs ``x``; for an SNN also per-sample ``rate`` (N, depth) and ``synops`` (N,).

    Parameters
    ----------
    model : nn.Module
        The classifier (a DDP wrapper is unwrapped); put in eval mode.
    x : ndarray
        (N, ...) cached inputs, not yet normalised.
    kind : str
        The input kind, for :func:`~evface.inputs.classify.normalize`.
    device : torch.device
        Where ``model`` is.
    batch_size : int, optional
        Inputs per forward pass.

    Returns
    -------
    dict of str to ndarray
        ``logits``, and for an SNN ``rate`` and ``synops``.
    """
    model = parallel.unwrap(model)
    model.eval()
    logits, rates, synops = [], [], []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(normalize(x[i:i + batch_size], kind))).to(device)
            run = getattr(model, "run", None)  # a SpikingCNN's
            if run is not None:
                out, act = run(xb, record=True)
                rates.append(act["rate"].cpu().numpy())
                synops.append(act["synops"].cpu().numpy())
            else:
                out = model(xb)
            logits.append(step_mean(out).float().cpu().numpy())
    res = {"logits": np.concatenate(logits) if logits else np.zeros((0, 0), np.float32)}
    if rates:
        res["rate"], res["synops"] = np.concatenate(rates), np.concatenate(synops)
    return res


def recalibrate_batchnorm(model: nn.Module, x: np.ndarray, kind: str, device: torch.device, batch_size: int = 32) -> None:
    """Recompute every BatchNorm's running statistics as the average over the batches of ``x`` (no gradients).

    The running averages kept during training lag far behind when a run has few batches (and the
    spike statistics change as the weights do); evaluating with them can silence the network.
    Run on the un-augmented training inputs before each validation and before testing.

    Parameters
    ----------
    model : nn.Module
        The classifier (a DDP wrapper is unwrapped); its training mode is kept.
    x : ndarray
        (N, ...) un-augmented training inputs, not yet normalised.
    kind : str
        The input kind, for :func:`~evface.inputs.classify.normalize`.
    device : torch.device
        Where ``model`` is.
    batch_size : int, optional
        Inputs per forward pass.
    """
    model = parallel.unwrap(model)
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


def energy_metrics(pred: dict[str, np.ndarray], net: NetConfig, model_kind: str) -> dict[str, Any]:
    """The energy metrics of a model of ``net``: its ANN MACs and, for an SNN whose predictions ``pred``
    hold spike rates, its spike rate per layer, synaptic operations and analog MACs.

    Parameters
    ----------
    pred : dict of str to ndarray
        What :func:`predict` returned.
    net : NetConfig
        The model's network.
    model_kind : str
        ``"snn"`` or ``"ann"``.

    Returns
    -------
    dict
        ``ann_macs``; for an SNN also ``spike_rate_per_layer``, ``spike_rate_layers``, ``synops``
        and ``snn_analog_macs``.
    """
    out: dict[str, Any] = {"ann_macs": ann_macs(net)}
    if model_kind == "snn" and "rate" in pred and len(pred["rate"]):
        out["spike_rate_per_layer"] = pred["rate"].mean(axis=0).tolist()
        out["spike_rate_layers"] = SpikingCNN(net).layer_names()
        out["synops"] = float(pred["synops"].mean())
        out["snn_analog_macs"] = snn_analog_macs(net)
    return out


def load_run_models(run_dir: Path, cfg: ClassifyConfig, config: dict[str, Any], device: torch.device) -> list[tuple[dict[str, Any], nn.Module]]:
    """Every model of the run in ``run_dir`` (as its ``config.json`` lists them) with its entry, loaded on ``device`` in eval mode.

    Parameters
    ----------
    run_dir : Path
        The classification run.
    cfg : ClassifyConfig
        Its settings (the model kind).
    config : dict
        Its ``config.json`` (``net`` and ``models``).
    device : torch.device
        Where to load the models.

    Returns
    -------
    list of (dict, nn.Module)
        Each model's entry of ``config["models"]`` and the model.
    """
    net = NetConfig(**config["net"])
    models = []
    for entry in config["models"]:
        model = build(cfg.model, net).to(device)
        checkpoints.load_model_state(run_dir / entry["dir"], model)
        models.append((entry, model.eval()))
    return models
