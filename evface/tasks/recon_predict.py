"""Every method's reconstructions of a trained reconstruction run's samples, each by one part's models.

:func:`scoring_parts` says which part's models reconstruct each sample (the part that tested
its subject, or the parts in turn for a clip the run never saw); :func:`predict_parts` gathers what
every part's networks (:mod:`evface.tasks.recon_nets`) and the non-learned :func:`baselines`
reconstruct, with the CVAE's KL per latent channel and its prior draws at the apex
(:func:`_predict_part`, one part). Reconstructions that are not finite are refused naming what
made them (:func:`_made_by`). :mod:`evface.tasks.recon_eval` scores them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from evface.errors import train_again
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.models.cvae import CVAE
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_baselines import (
    copy_keyframe, integrate, rgb_blend, rgb_flow_extrapolate, rgb_flow_interpolate, rgb_hold,
)
from evface.tasks import checkpoints, recon_eval
from evface.tasks.configs import ReconstructConfig
from evface.tasks.recon_nets import cvae_samples, kl_per_channel, n_condition, predict_cvae, predict_e2vid
from evface.tasks.recon_run import E2VID_DIR, part_inputs


def scoring_parts(s: ReconSamples, parts: list[dict[str, Any]], other_ids: set[str]) -> np.ndarray:
    """Per sample, the index of the part whose models score it: for a clip of the run's own dataset
    the part that tested its subject; for a clip in ``other_ids`` (one the run never saw) the parts
    take turns in clip order, so that every sample is one model's output.

    Parameters
    ----------
    s : ReconSamples
        The samples scored, with ``clip_id`` and ``subject`` in their ``meta``.
    parts : list of dict
        The run's parts (one per group of seeds), each with its ``test`` subjects.
    other_ids : set of str
        The clips the run never saw (an evaluation on other data); those of ``s`` not in it are the
        run's own.

    Returns
    -------
    numpy.ndarray
        int64 ``(N,)``: an index of ``parts``; -1 for a clip of the run's own dataset whose subject
        no part tests (:func:`evface.tasks.reconstruct.evaluate_run` passes no such sample).

    Examples
    --------
    Clips ``a`` and ``b`` of the two parts' test subjects, and two clips ``x`` and ``y`` the run never saw:

    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(4, np.int64) for name in ARRAYS},
    ...                  meta={"clip_id": np.array(["a", "b", "x", "y"], object),
    ...                        "subject": np.array(["s1", "s2", "s9", "s9"], object)})
    >>> scoring_parts(s, [{"test": ["s2"]}, {"test": ["s1"]}], other_ids={"x", "y"}).tolist()
    [1, 0, 0, 1]
    """
    clip_ids = s.meta["clip_id"].astype(str)
    subjects = s.meta["subject"].astype(str)
    own = ~np.isin(clip_ids, list(other_ids))
    by = np.full(len(s), -1, np.int64)
    for j, part in enumerate(parts):
        by[own & np.isin(subjects, part["test"])] = j
    for k, clip in enumerate(dict.fromkeys(clip_ids[~own])):
        by[clip_ids == clip] = k % len(parts)
    return by


def predict_parts(run_dir: Path, cfg: ReconstructConfig, spec: ReconSpec, parts: list[dict[str, Any]], s: ReconSamples,
                  scored_by: np.ndarray, apex: np.ndarray, device: torch.device, first: bool
                  ) -> tuple[dict[str, np.ndarray], list[float], np.ndarray | None]:
    """The reconstruction of every sample of ``s``, each by the models of ``parts[scored_by]``, of
    every method that training changes (the networks, the integration fitted on the training
    subjects) and, for the ``first`` of a part's trainings, also of the frame-camera baselines, with
    the CVAE's KL per latent channel and K prior decodings at the ``apex`` samples.

    A reconstruction that is not finite is a :class:`~evface.errors.ParameterError` naming the model
    file or the clip that made it (:func:`evface.tasks.recon_eval.refuse_not_finite`); a part's model
    file that is missing (its ``e2vid/best.pt`` too where ``cfg.e2vid``) is a
    :class:`~evface.errors.FormatError` naming it (:func:`_load_model`).

    Parameters
    ----------
    run_dir : Path
        The run folder; each part's models are in its ``dir`` there.
    cfg : ReconstructConfig
        The run's settings (the networks' sizes, ``e2vid``, ``k_samples``, ``seed``).
    spec : ReconSpec
        How the samples were cut (the protocol picks the frame-camera baselines).
    parts : list of dict
        One training of each group of parts (:func:`~evface.tasks.recon_run.seed_groups`), in the
        order ``scored_by`` indexes.
    s : ReconSamples
        The samples to reconstruct.
    scored_by : numpy.ndarray
        Per sample, the index of the part whose models reconstruct it (:func:`scoring_parts`).
    apex : numpy.ndarray
        The indices of the apex samples of ``s``.
    device : torch.device
        Where the networks run.
    first : bool
        Whether these are the first seed's trainings: only they also give the frame-camera
        baselines, the KL and the prior draws.

    Returns
    -------
    preds : dict of str to numpy.ndarray
        ``{method: float32 (N, S, S)}`` in ``s``'s order; a row no part reconstructs (``scored_by``
        -1) stays zero.
    kl : list of float
        The CVAE's KL per latent channel, the mean over the apex samples (each part's weighted by
        its apex samples); ``[]`` unless ``first``.
    draws : numpy.ndarray or None
        float32 ``(k_samples, len(apex), S, S)``: the CVAE's prior decodings at the apex samples;
        ``None`` unless ``first`` and ``k_samples`` > 0.
    """
    preds: dict[str, np.ndarray] = {}
    kl_sum = np.zeros(cfg.z_channels)
    draws = np.zeros((cfg.k_samples, len(apex), spec.size, spec.size), np.float32) if first and cfg.k_samples else None
    for j, part in enumerate(parts):
        idx = np.flatnonzero(scored_by == j)
        if idx.size == 0:  # the fold's clips were all too short for a sample
            continue
        on = np.isin(apex, idx)
        part_preds, part_kl, part_draws = _predict_part(run_dir / part["dir"], cfg, spec, part_inputs(run_dir, part, spec), s,
                                                        idx, apex[on], device, first)
        for name, p in part_preds.items():
            preds.setdefault(name, np.zeros(s.target.shape, np.float32))[idx] = p
        if first:
            kl_sum += np.asarray(part_kl) * on.sum()
        if draws is not None:
            draws[:, on] = part_draws
    return preds, (kl_sum / len(apex)).tolist() if first else [], draws


def _predict_part(part_dir: Path, cfg: ReconstructConfig, spec: ReconSpec, inputs: dict[str, Any], s: ReconSamples,
                  idx: np.ndarray, apex: np.ndarray, device: torch.device, first: bool = True
                  ) -> tuple[dict[str, np.ndarray], list[float], np.ndarray | None]:
    """One part's reconstructions of its test samples ``idx`` of ``s`` (every method; the frame-camera
    baselines only when ``first``), and when ``first`` at its apex samples ``apex`` (indices of ``s``)
    the KL per latent channel and the CVAE's K prior decodings (``inputs``: the part's input scales
    and integration fit)."""
    test, scales, kf = s.select(idx), inputs["scales"], spec.keyframe
    cvae = _load_model(part_dir, CVAE(n_condition(spec), kf, cfg.base, cfg.z_channels, cfg.cvae_recurrent)).to(device)
    preds = {"cvae": predict_cvae(cvae, test, scales, kf, device=device)}
    if cfg.e2vid:  # was: a part without its e2vid/best.pt left its rows zero, scored as that method's
        e2vid = _load_model(part_dir / E2VID_DIR, E2VIDRecurrent(n_condition(spec), kf, cfg.base))
        preds["e2vid"] = predict_e2vid(e2vid.to(device), test, scales, kf, device=device)
    preds |= baselines(test, spec, inputs["integration"], frames=first)
    recon_eval.refuse_not_finite(preds, test, lambda method: _made_by(part_dir, method))
    if not first:
        return preds, [], None
    draws = cvae_samples(cvae, s, apex, scales, kf, cfg.k_samples, seed=cfg.seed, device=device) if cfg.k_samples > 0 else None
    return preds, kl_per_channel(cvae, s, apex, scales, kf, device=device), draws


_Model = TypeVar("_Model", bound=torch.nn.Module)


def _load_model(model_dir: Path, model: _Model) -> _Model:
    """``model`` with the weights of ``model_dir/best.pt``; that file missing is the checkpoint
    loader's :class:`~evface.errors.FormatError` naming it and how to get it back (copy it, or
    train the run again in a new ``--out`` folder: a trained part is not trained again in its own)."""
    checkpoints.load_model_state(model_dir, model)
    return model


def _made_by(part_dir: Path, method: str) -> tuple[str, str]:
    """What made a part's reconstructions by ``method`` (its model file, or the part for a baseline)
    and what to do where they are not finite (:func:`recon_eval.refuse_not_finite`)."""
    if method in ("cvae", "e2vid"):
        model = part_dir / (E2VID_DIR if method == "e2vid" else "") / checkpoints.BEST
        return f"method {method}, model {model}", train_again("with a lower --learning-rate")
    if method == "integration":
        return (f"method integration, fitted for {part_dir}", train_again())
    return f"method {method} of {part_dir}", "it reconstructs from the clip's RGB frames: check that clip's frames"


def baselines(s: ReconSamples, spec: ReconSpec, integration: dict[str, Any], frames: bool = True
              ) -> dict[str, np.ndarray]:
    """The non-learned methods' reconstructions that ``spec``'s protocol allows (keyframe copy always, as the
    reference); without ``frames`` only the integration, the one fitted on a part's training subjects.

    Parameters
    ----------
    s : ReconSamples
        The samples (their keyframes, RGB frames and times, and the event histories the integration reads).
    spec : ReconSpec
        The protocol: extrapolation adds ``rgb_hold`` and ``rgb_flow`` (forward), interpolation
        ``rgb_blend`` and ``rgb_flow`` (between the two frames), events-only none; a protocol with a
        keyframe adds ``integration`` (the events applied to the keyframe at ``spec.gamma``).
    integration : dict
        The part's integration fit: ``alpha_index`` (which leak rate of the histories), ``c_on``, ``c_off``.
    frames : bool
        Whether to give the methods that read frames (``keyframe`` and the RGB ones): a part's later
        trainings need only the integration, the rest is the first's.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{method: float32 (N, S, S)}``.

    Examples
    --------
    One 16 x 16 sample, 80 ms after its keyframe and 40 ms after its last RGB frame:

    >>> z = lambda *shape: np.zeros((1, *shape), np.float32)
    >>> s = ReconSamples(voxel=z(5, 16, 16), hist=z(2, 2, 16, 16), key=z(16, 16) + 0.5, rgb_a=z(16, 16),
    ...                  rgb_b=z(16, 16), target=z(16, 16), t_us=np.array([80_000]), t_key_us=np.array([0]),
    ...                  t_a=np.array([0]), t_b=np.array([40_000]), seq=np.array([0]))
    >>> fit = {"alpha_index": 1, "c_on": 0.2, "c_off": 0.2}
    >>> sorted(baselines(s, ReconSpec(size=16), fit)), sorted(baselines(s, ReconSpec(size=16), fit, frames=False))
    (['integration', 'keyframe', 'rgb_flow', 'rgb_hold'], ['integration'])
    >>> preds = baselines(s, ReconSpec(size=16, protocol="events-only"), fit)
    >>> sorted(preds), float(preds["keyframe"].max())
    (['keyframe'], 0.5)
    """
    preds: dict[str, np.ndarray] = {}
    if frames:
        preds["keyframe"] = copy_keyframe(s.key)
        if spec.protocol == "extrapolation":
            preds["rgb_hold"] = rgb_hold(s.rgb_b)
            preds["rgb_flow"] = rgb_flow_extrapolate(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
        elif spec.protocol == "interpolation":
            preds["rgb_blend"] = rgb_blend(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
            preds["rgb_flow"] = rgb_flow_interpolate(s.rgb_a, s.rgb_b, s.t_a, s.t_b, s.t_us)
    if spec.keyframe:
        ip = integration
        preds["integration"] = integrate(s.key, s.hist[:, ip["alpha_index"]].astype(np.float32), ip["c_on"], ip["c_off"],
                                         spec.gamma)
    return preds
