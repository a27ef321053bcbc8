"""Scoring of reconstructions: phases, horizons, AU regions, gains with subject-cluster intervals, sample spread.

Every method is scored per sample against the same target (the shared grid of
:mod:`evface.inputs.reconstruct`) with SSIM (EVREAL settings), PSNR and MSE
(:mod:`evface.tasks.image_metrics`):

- on the whole face box, and inside each AU region (:func:`evface.inputs.au_regions.region_masks`:
  brows, eyes, nose, mouth, chin; ``au`` = their union) and inside the clip's **active** regions
  (where its own AUs act, :func:`~evface.inputs.au_regions.active_regions`);
- at the phases: per clip the sample nearest the annotated onset, apex and offset; at the apex
  with a subject-cluster interval of the mean SSIM (``apex_interval``: face and active regions)
  and per lighting and per AU class (``apex_by``: face and active-region SSIM);
- against the horizon (time since the keyframe, binned to the protocol's sample spacing);
- as the gain over keyframe copy, and as the difference of the challenger (the CVAE) to every
  other method, per sample on the same samples, averaged with a subject-cluster bootstrap
  interval (:func:`~evface.tasks.image_metrics.cluster_mean_interval`); at the apex also per
  lighting (``apex_by_lighting``), where one condition can carry a whole difference.

A run that trained each part with several seeds is scored on the per-sample mean of its
trainings' scores (:func:`mean_scores`), beside what each training scores alone (:func:`seed_summary`)
and the challenger's differences at the apex with an interval over subjects and trainings both
(:func:`training_intervals`); each training's scores of the trained methods go to
``seed_scores.csv`` (:func:`seed_scores_text`) for ``evface compare``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from evface.errors import ParameterError, counted
from evface.inputs.au_regions import active_regions, region_masks
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.io.atomic_files import atomic_write
from evface.tasks.figure_text import plain_text
from evface.tasks.image_metrics import cluster_mean_interval, cluster_training_interval, region_metrics, summarize
from evface.tasks.run_folder import csv_text

PHASES = ("onset", "apex", "offset")
APEX_PNG = "apex.png"
FRAMES_H5 = "frames.h5"
FRAME_CODES = 65535
"""Frames in ``frames.h5`` are 16-bit codes: intensity = code / FRAME_CODES."""
HORIZON_PNG = "horizon.png"
PSNR_CAP = 100.0
TRUTH_PERIOD_US = 5_000
"""Horizon bin of the interpolation protocol: one 200 Hz truth frame."""


def phase_indices(s: ReconSamples) -> dict[str, np.ndarray]:
    """Per phase, the index of each clip's sample nearest the annotated onset / apex / offset time.

    Parameters
    ----------
    s : ReconSamples
        The test samples. ``meta`` holds ``clip_id`` and ``onset_us``, ``apex_us``, ``offset_us``.

    Returns
    -------
    dict of str to ndarray of int64
        ``{"onset", "apex", "offset"}``, one index per clip.

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(4, np.int64) for name in ARRAYS}, meta={
    ...     "clip_id": np.array(["a", "a", "b", "b"]), "subject": np.array(["s1", "s1", "s2", "s2"]),
    ...     "onset_us": np.zeros(4), "apex_us": np.full(4, 100), "offset_us": np.full(4, 150)})
    >>> s.t_us[:] = [50, 100, 50, 100]  # two clips of two samples
    >>> {p: i.tolist() for p, i in phase_indices(s).items()}
    {'onset': [0, 2], 'apex': [1, 3], 'offset': [1, 3]}
    """
    out: dict[str, list[int]] = {p: [] for p in PHASES}
    for sl in s.clip_slices():
        for p in PHASES:
            out[p].append(int(sl[np.argmin(np.abs(s.t_us[sl] - s.meta[f"{p}_us"][sl[0]]))]))
    return {p: np.asarray(v, dtype=np.int64) for p, v in out.items()}


def refuse_not_finite(preds: dict[str, np.ndarray], s: ReconSamples, made_by: Callable[[str], tuple[str, str]]) -> None:
    """Refuse the reconstructions of ``s`` of a method in ``preds`` that hold NaN or infinity, naming
    the method, what made them and what to do (``made_by(method)``) and the first such sample: the
    image metrics would refuse them naming neither the method nor the run.

    Parameters
    ----------
    preds : dict of str to ndarray
        Each method's reconstructions, (N, S, S).
    s : ReconSamples
        The test samples.
    made_by : callable
        A method's name to ``(what made it, what to do)``, for the message.

    Raises
    ------
    ParameterError

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(t_us=np.array([0, 5000]), meta={"clip_id": np.array(["c0", "c0"])})  # a clip's 2 samples
    >>> refuse_not_finite({"cvae": np.array([[[0.5]], [[np.nan]]])}, s, lambda m: (f"{m} of run/best.pt", "train again"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: cvae of run/best.pt: its reconstructions of 1 of 2 samples hold values that are not finite numbers (NaN or infinity; the first: clip c0 at 5000 µs), which no image metric scores; train again
    """
    for method, pred in preds.items():
        bad = ~np.isfinite(pred.reshape(len(pred), -1)).all(axis=1)
        if bad.any():
            i, (what, advice) = int(np.argmax(bad)), made_by(method)
            raise ParameterError(f"{what}: its reconstructions of {int(bad.sum())} of {counted(len(pred), 'sample')} "
                                 "hold values that are not finite numbers (NaN or infinity; the first: clip "
                                 f"{s.meta['clip_id'][i]} at {int(s.t_us[i])} µs), which no image metric scores; {advice}")


def per_sample(pred: np.ndarray, s: ReconSamples, masks: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{"face": {"ssim", "psnr", "mse"}, <region>: {...}, "active": {...}}``, each (N,).

    One SSIM map per image serves every area (:func:`~evface.tasks.image_metrics.region_metrics`
    with the whole face box, each region and each AU combination's active regions as masks).

    Parameters
    ----------
    pred : ndarray, shape (N, S, S)
        One method's reconstructions.
    s : ReconSamples
        The test samples. ``meta`` holds ``aus`` (``"4+12"``).
    masks : dict of str to ndarray of bool, shape (S, S)
        The AU regions (:func:`~evface.inputs.au_regions.region_masks`).

    Returns
    -------
    dict of str to dict of str to ndarray of float64, shape (N,)
        NaN in ``active`` for a sample whose AUs act in no region.
    """
    aus_of = s.meta["aus"]
    active_masks = {}
    for aus in sorted(set(aus_of.tolist())):
        regions = active_regions([int(a) for a in aus.split("+") if a])
        if regions:
            active_masks[f"active:{aus}"] = np.any([masks[r] for r in regions], axis=0)
    face = np.ones(pred.shape[-2:], dtype=bool)
    scored = region_metrics(pred, s.target, {"face": face, **masks, **active_masks})
    active = {k: np.full(len(s), np.nan) for k in ("ssim", "psnr", "mse")}
    for name in active_masks:
        idx = aus_of == name.removeprefix("active:")
        for k in active:
            active[k][idx] = scored[name][k][idx]
    return {name: m for name, m in scored.items() if name not in active_masks} | {"active": active}


def finite_mean(values: np.ndarray, metric: str) -> float | None:
    """Mean of the finite values (PSNR capped at :data:`PSNR_CAP`); ``None`` when there is none
    (a region whose pixels all lie within the SSIM window of the border): each mean of ``metrics.json``.

    Parameters
    ----------
    values : ndarray
        Per-sample scores of one metric.
    metric : str
        The metric: ``"psnr"`` is capped, any other is not.

    Returns
    -------
    float or None

    Examples
    --------
    >>> finite_mean(np.array([20.0, np.inf, np.nan]), "psnr"), finite_mean(np.array([np.nan]), "ssim")
    (60.0, None)
    """
    v = np.asarray(values, dtype=np.float64)
    if metric == "psnr":
        v = np.minimum(v, PSNR_CAP)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def _means(scores: dict[str, dict[str, np.ndarray]], idx: np.ndarray) -> dict[str, dict[str, float | None]]:
    return {area: {k: finite_mean(v[idx], k) for k, v in m.items()} for area, m in scores.items()}


def _interval(values: np.ndarray, subjects: np.ndarray) -> dict[str, Any] | None:
    """:func:`cluster_mean_interval` of the finite ``values`` (a clip without active regions has none)."""
    ok = np.isfinite(values)
    return cluster_mean_interval(values[ok], subjects[ok]) if ok.any() else None


def means_by_label(scores: dict[str, dict[str, np.ndarray]], idx: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Mean SSIM (:func:`finite_mean`) over the face and in the active AU regions of the samples ``idx``,
    per label, with each label's count: an ``apex_by`` entry of ``metrics.json``.

    Parameters
    ----------
    scores : dict
        One method's per-sample scores, ``{area: {"ssim": (N,) array, ...}}`` with areas ``face`` and ``active``.
    idx : ndarray of int
        The samples averaged (the apex).
    labels : ndarray, shape (N,)
        Each sample's label (its lighting, its AUs).

    Returns
    -------
    dict
        ``{label: {"n", "face_ssim", "active_ssim"}}``, labels sorted.

    Examples
    --------
    >>> ssim = np.array([0.5, 0.7, 0.9])
    >>> means_by_label({"face": {"ssim": ssim}, "active": {"ssim": ssim}}, np.array([0, 2]), np.array(["dim", "x", "dim"]))
    {'dim': {'n': 2, 'face_ssim': 0.7, 'active_ssim': 0.7}}
    """
    out: dict[str, Any] = {}
    of_idx = labels[idx]
    for label in sorted(set(of_idx.tolist())):
        sel = idx[of_idx == label]
        out[str(label)] = {"n": int(sel.size), "face_ssim": finite_mean(scores["face"]["ssim"][sel], "ssim"),
                           "active_ssim": finite_mean(scores["active"]["ssim"][sel], "ssim")}
    return out


def _apex_by_lighting(s: ReconSamples, apex: np.ndarray) -> dict[str, np.ndarray]:
    """The ``apex`` sample indices of each lighting, lightings sorted."""
    lighting = s.meta["lighting"].astype(str)[apex]
    return {light: apex[lighting == light] for light in sorted(set(lighting.tolist()))}


def _ssim_difference(a: dict[str, Any], b: dict[str, Any], idx: np.ndarray, area: str,
                     subjects: np.ndarray) -> dict[str, Any] | None:
    """:func:`_interval` of the per-sample SSIM difference a − b of two methods' scores in ``area`` at ``idx``."""
    return _interval(a[area]["ssim"][idx] - b[area]["ssim"][idx], subjects[idx])


def horizon_bins(s: ReconSamples, spec: ReconSpec) -> np.ndarray:
    """The horizon of each sample rounded to the protocol's spacing, in ms.

    Parameters
    ----------
    s : ReconSamples
        The test samples.
    spec : ReconSpec
        The protocol (``interpolation``: 5 ms bins, one 200 Hz truth frame) and its ``step_us``.

    Returns
    -------
    ndarray of float64, shape (N,)

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(4, np.int64) for name in ARRAYS}, meta={
    ...     "clip_id": np.array(["a", "a", "b", "b"]), "subject": np.array(["s1", "s1", "s2", "s2"]),
    ...     "onset_us": np.zeros(4), "apex_us": np.full(4, 100), "offset_us": np.full(4, 150)})
    >>> s.t_us[:] = [50, 100, 50, 100]  # two clips of two samples
    >>> horizon_bins(s, ReconSpec(step_us=50)).tolist()
    [0.05, 0.1, 0.05, 0.1]
    """
    step = TRUTH_PERIOD_US if spec.protocol == "interpolation" else spec.step_us
    return np.round(s.horizon_us / step).astype(np.int64) * step / 1000.0


def sample_scores(preds: dict[str, np.ndarray], s: ReconSamples, spec: ReconSpec) -> dict[str, Any]:
    """Per method, :func:`per_sample` on the face box, every AU region, their union ``au`` and the active regions.

    Parameters
    ----------
    preds : dict of str to ndarray
        Each method's reconstructions, (N, S, S), S = ``spec.size``.
    s : ReconSamples
        The test samples.
    spec : ReconSpec
        The protocol, for its ``size``.

    Returns
    -------
    dict
        ``{method: {area: {"ssim", "psnr", "mse"}}}`` of (N,) arrays; :func:`score` has an example.
    """
    masks = region_masks(spec.size)
    masks["au"] = np.any(list(masks.values()), axis=0)
    return {name: per_sample(p, s, masks) for name, p in preds.items()}


def score(scores: dict[str, Any], s: ReconSamples, spec: ReconSpec, reference: str = "keyframe",
          challenger: str = "cvae") -> dict[str, Any]:
    """Everything ``metrics.json`` reports about the methods' :func:`sample_scores` (see the module docstring).

    Returns ``{"methods": {name: {"all", "onset", "apex", "offset", "apex_interval", "apex_by", "horizon"}},
    "gain_over_<reference>": {name: {...}}, "<challenger>_vs": {name: {...}}, "regions": [...]}``; every
    interval entry is ``{"mean", "ci", "n", "n_clusters"}``: in ``apex_interval`` of the method's SSIM over
    the face and in the active regions at the apex, elsewhere of per-sample differences.

    Parameters
    ----------
    scores : dict
        Per method, its :func:`sample_scores` ``{area: {"ssim", "psnr", "mse"}}`` of (N,) arrays.
    s : ReconSamples
        The test samples. ``meta`` holds ``clip_id``, ``subject``, ``lighting``, ``aus`` and the phase times.
    spec : ReconSpec
        The protocol.
    reference, challenger : str, optional
        The method whose gain the others are scored as, and the one scored against every other.

    Returns
    -------
    dict

    Examples
    --------
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros(4, np.int64) for name in ARRAYS}, meta={
    ...     "clip_id": np.array(["a", "a", "b", "b"]), "subject": np.array(["s1", "s1", "s2", "s2"]),
    ...     "onset_us": np.zeros(4), "apex_us": np.full(4, 100), "offset_us": np.full(4, 150)})
    >>> s.t_us[:] = [50, 100, 50, 100]  # two clips of two samples
    >>> s.meta |= {"lighting": np.array(["dim", "dim", "bright", "bright"]), "aus": np.array(["4"] * 4)}
    >>> s.target = np.full((4, 16, 16), 0.5)
    >>> spec = ReconSpec(size=16, step_us=50)
    >>> scores = sample_scores({"keyframe": np.full((4, 16, 16), 0.4), "cvae": np.full((4, 16, 16), 0.45)}, s, spec)
    >>> m = score(scores, s, spec)
    >>> apex = m["methods"]["cvae"]["apex"]["face"]
    >>> round(apex["mse"], 6), round(apex["psnr"], 3), round(m["methods"]["keyframe"]["apex"]["face"]["psnr"], 3)
    (0.0025, 26.021, 20.0)
    >>> gain = m["gain_over_keyframe"]["cvae"]["all_face_ssim"]
    >>> round(gain["mean"], 4), gain["n"], gain["n_clusters"]
    (0.0189, 4, 2)
    """
    phases = phase_indices(s)
    bins = horizon_bins(s, spec)
    subjects = s.meta["subject"]
    methods: dict[str, Any] = {}
    for name, sc in scores.items():
        entry: dict[str, Any] = {"all": summarize(sc["face"], {"lighting": s.meta["lighting"]}) | {
            "active": _means(sc, np.arange(len(s)))["active"]}}
        for p, idx in phases.items():
            entry[p] = _means(sc, idx)
        entry["apex_interval"] = {area: _interval(sc[area]["ssim"][phases["apex"]], subjects[phases["apex"]])
                                  for area in ("face", "active")}
        entry["apex_by"] = {g: means_by_label(sc, phases["apex"], s.meta[g]) for g in ("lighting", "aus")}
        ms = sorted(set(bins.tolist()))
        entry["horizon"] = {"ms": ms, "n": [int((bins == b).sum()) for b in ms]} | {
            f"{area}_{k}": [finite_mean(sc[area][k][bins == b], k) for b in ms]
            for area in ("face", "active") for k in ("ssim", "psnr")}
        methods[name] = entry

    apex = phases["apex"]
    apex_by_lighting = _apex_by_lighting(s, apex)

    def paired(a: str, b: str) -> dict[str, Any]:
        out: dict[str, Any] = {f"{label}_{area}_ssim": _ssim_difference(scores[a], scores[b], idx, area, subjects)
                               for label, idx in (("all", np.arange(len(s))), ("apex", apex))
                               for area in ("face", "active")}
        out["apex_by_lighting"] = {light: {area: _ssim_difference(scores[a], scores[b], idx, area, subjects)
                                           for area in ("face", "active")}
                                   for light, idx in apex_by_lighting.items()}
        return out

    regions = sorted(k for k in next(iter(scores.values())) if k not in ("face", "active"))
    result: dict[str, Any] = {"methods": methods, "regions": regions}
    if reference in scores:
        result[f"gain_over_{reference}"] = {n: paired(n, reference) for n in scores if n != reference}
    if challenger in scores:
        result[f"{challenger}_vs"] = {n: paired(challenger, n) for n in scores if n != challenger}
    return result


def mean_scores(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-sample mean of several trainings' :func:`sample_scores` (PSNR capped at
    :data:`PSNR_CAP` first, as every mean of it is); one training's scores unchanged.

    Parameters
    ----------
    per_seed : list of dict
        Each training's :func:`sample_scores`.

    Returns
    -------
    dict
        As one :func:`sample_scores`.

    Examples
    --------
    >>> a = {"cvae": {"face": {"ssim": np.array([0.8]), "psnr": np.array([np.inf])}}}
    >>> b = {"cvae": {"face": {"ssim": np.array([0.6]), "psnr": np.array([20.0])}}}
    >>> m = mean_scores([a, b])["cvae"]["face"]
    >>> round(float(m["ssim"][0]), 6), float(m["psnr"][0])
    (0.7, 60.0)
    """
    if len(per_seed) == 1:
        return per_seed[0]

    def mean(values: list[np.ndarray], metric: str) -> np.ndarray:
        stack = np.stack(values)
        return np.minimum(stack, PSNR_CAP).mean(0) if metric == "psnr" else stack.mean(0)

    first = per_seed[0]
    return {name: {area: {k: mean([sc[name][area][k] for sc in per_seed], k) for k in m} for area, m in areas.items()}
            for name, areas in first.items()}


def seed_summary(scores: dict[str, Any], s: ReconSamples, challenger: str = "cvae") -> dict[str, Any]:
    """What one training of a run of several scores at the apex: every method's mean SSIM over the
    face and in the active regions (``apex``) and the ``challenger``'s paired difference from every
    other method there, with its subject-cluster interval, also per lighting (``<challenger>_vs``:
    ``{name: {"face", "active", "apex_by_lighting": {lighting: {"face", "active"}}}}``).

    Parameters
    ----------
    scores : dict
        Per method, its :func:`sample_scores` ``{area: {"ssim", "psnr", "mse"}}`` of (N,) arrays.
    s : ReconSamples
        The test samples.
    challenger : str, optional
        The method scored against every other.

    Returns
    -------
    dict
    """
    apex = phase_indices(s)["apex"]
    subjects = s.meta["subject"]
    areas = ("face", "active")
    out: dict[str, Any] = {"apex": {name: {area: finite_mean(sc[area]["ssim"][apex], "ssim") for area in areas}
                                    for name, sc in scores.items()}}
    if challenger not in scores:
        return out
    mine, by_lighting = scores[challenger], _apex_by_lighting(s, apex)

    def diff(other: dict[str, Any], idx: np.ndarray) -> dict[str, Any]:
        return {area: _ssim_difference(mine, other, idx, area, subjects) for area in areas}

    out[f"{challenger}_vs"] = {name: diff(sc, apex) | {"apex_by_lighting": {
        light: diff(sc, idx) for light, idx in by_lighting.items()}}
        for name, sc in scores.items() if name != challenger}
    return out


def training_intervals(per_seed: list[dict[str, Any]], s: ReconSamples, units: np.ndarray,
                       challenger: str = "cvae") -> dict[str, Any]:
    """The ``challenger``'s mean SSIM difference from every other method at the apex, over the face
    and in the active regions, in all and per lighting, with the interval of
    :func:`~evface.tasks.image_metrics.cluster_training_interval` over the subjects and the
    trainings ``per_seed`` (:func:`sample_scores` of each; ``units``: per sample, the part whose
    trainings scored it): ``{name: {"face", "active", "apex_by_lighting": {lighting: {"face", "active"}}}}``.

    Parameters
    ----------
    per_seed : list of dict
        Each training's :func:`sample_scores`.
    s : ReconSamples
        The test samples.
    units : ndarray, shape (N,)
        Per sample, the part whose trainings scored it.
    challenger : str, optional
        The method scored against every other.

    Returns
    -------
    dict
    """
    apex = phase_indices(s)["apex"]
    subjects = s.meta["subject"]

    def diff(name: str, idx: np.ndarray) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for area in ("face", "active"):
            values = np.stack([sc[challenger][area]["ssim"][idx] - sc[name][area]["ssim"][idx] for sc in per_seed])
            ok = np.isfinite(values).all(0)  # a clip without active regions has none
            out[area] = cluster_training_interval(values[:, ok], subjects[idx][ok], units[idx][ok]) if ok.any() else None
        return out

    by_lighting = _apex_by_lighting(s, apex)
    return {name: diff(name, apex) | {"apex_by_lighting": {light: diff(name, idx) for light, idx in by_lighting.items()}}
            for name in per_seed[0] if name != challenger}


SCORES_CSV = "scores.csv"
SCORE_COLUMNS = ("clip_id", "subject", "lighting", "aus", "t_us", "horizon_ms", "phase", "method",
                 "face_ssim", "face_psnr", "active_ssim", "active_psnr")
"""Columns of ``RUN/scores.csv``: one row per test sample and method; ``phase`` names the phases
(onset, apex, offset, joined by ``+``) whose sample it is for its clip, empty for the others."""


def scores_text(scores: dict[str, Any], s: ReconSamples, spec: ReconSpec) -> str:
    """The per-sample scores (:data:`SCORE_COLUMNS`) as the CSV text of ``scores.csv``; what ``evface compare`` pairs.

    Parameters
    ----------
    scores : dict
        Per method, its :func:`sample_scores` ``{area: {"ssim", "psnr", "mse"}}`` of (N,) arrays.
    s : ReconSamples
        The test samples.
    spec : ReconSpec
        The protocol, for the horizon bins.

    Returns
    -------
    str
    """
    phase: list[list[str]] = [[] for _ in range(len(s))]
    for p, idx in phase_indices(s).items():
        for i in idx:
            phase[i].append(p)
    bins = horizon_bins(s, spec)
    return csv_text(SCORE_COLUMNS, ([s.meta["clip_id"][i], s.meta["subject"][i], s.meta["lighting"][i], s.meta["aus"][i],
                                     int(s.t_us[i]), f"{bins[i]:g}", "+".join(phase[i]), name]
                                    + [f"{sc[area][k][i]:.6g}" for area in ("face", "active") for k in ("ssim", "psnr")]
                                    for name, sc in scores.items() for i in range(len(s))))


SEED_SCORES_CSV = "seed_scores.csv"
SEED_SCORE_COLUMNS = ("clip_id", "t_us", "method", "fold", "seed", "face_ssim", "face_psnr", "active_ssim", "active_psnr")
"""Columns of ``RUN/seed_scores.csv``, written beside ``scores.csv`` by a run of several seeds: one
row per test sample, trained method and seed, and the fold whose models scored the sample; what
``evface compare`` resamples the trainings from."""


def seed_scores_text(per_seed: list[dict[str, Any]], seeds: list[int], methods: list[str], s: ReconSamples,
                     folds: np.ndarray) -> str:
    """Each training's per-sample scores of the trained ``methods`` (:data:`SEED_SCORE_COLUMNS`;
    ``per_seed``: :func:`sample_scores` of each of ``seeds``; ``folds``: per sample, the part whose
    trainings scored it) as the CSV text of ``seed_scores.csv``.

    Parameters
    ----------
    per_seed : list of dict
        Each training's :func:`sample_scores`.
    seeds : list of int
        The seed of each training.
    methods : list of str
        The trained methods.
    s : ReconSamples
        The test samples.
    folds : ndarray, shape (N,)
        Per sample, the part whose trainings scored it.

    Returns
    -------
    str
    """
    return csv_text(SEED_SCORE_COLUMNS, ([s.meta["clip_id"][i], int(s.t_us[i]), name, int(folds[i]), seed]
                                         + [f"{sc[name][area][k][i]:.6g}" for area in ("face", "active")
                                            for k in ("ssim", "psnr")]
                                         for name in methods for seed, sc in zip(seeds, per_seed, strict=True)
                                         for i in range(len(s))))


def write_frames(path: Path, preds: dict[str, np.ndarray], s: ReconSamples, models: str | None = None) -> Path:
    """Write every method's reconstruction of every sample beside its target as HDF5, atomically.

    One dataset per method and ``target``, (N, S, S) 16-bit codes of the intensity in [0, 1]
    (``code / FRAME_CODES``; a method's values outside [0, 1] are clipped), and per sample
    ``clip_id``, ``subject``, ``t_us`` (the target's time in the clip), ``t_key_us`` (the
    keyframe's) and, where known, ``target_kind`` (``truth``: the synthetic rig's clean frame;
    ``rgb``: a recording's own RGB frame), in the order of ``scores.csv``. What
    ``evface eval --frames`` writes. ``models``, when given, is stored as the file's attribute of
    that name (which trainings made the frames, for a run of several).

    Parameters
    ----------
    path : Path
        The file to write.
    preds : dict of str to ndarray
        Each method's reconstructions, (N, S, S).
    s : ReconSamples
        The test samples.
    models : str, optional
        Which trainings made the frames.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from evface.inputs.reconstruct import ARRAYS
    >>> n, size = 2, 4
    >>> arrays = {name: np.zeros((n, size, size), np.float32) for name in ARRAYS}
    >>> arrays |= {"t_us": np.array([100, 200]), "t_key_us": np.zeros(n, np.int64)}
    >>> s = ReconSamples(**arrays, meta={"clip_id": np.array(["c0", "c0"]), "subject": np.array(["s0", "s0"])})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_frames(Path(tmp) / FRAMES_H5, {"cvae": np.full((n, size, size), 0.5)}, s)
    ...     with h5py.File(path, "r") as f:
    ...         sorted(f), int(f["cvae"][0, 0, 0]), f["t_us"][:].tolist()
    (['clip_id', 'cvae', 'subject', 't_key_us', 't_us', 'target'], 32768, [100, 200])
    """
    images = {"target": s.target, **preds}

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["intensity"] = f"code / {FRAME_CODES}, clipped to [0, 1]"
            if models is not None:
                f.attrs["models"] = models
            for name, image in images.items():
                codes = np.rint(np.clip(image, 0.0, 1.0) * FRAME_CODES).astype(np.uint16)
                f.create_dataset(name, data=codes, chunks=(1, *codes.shape[1:]), compression="gzip", shuffle=True)
            for key, name in (("clip_id", "clip_id"), ("subject", "subject"), ("target", "target_kind")):
                if key in s.meta:
                    f.create_dataset(name, data=np.asarray(s.meta[key], dtype=str).astype(object),
                                     dtype=h5py.string_dtype())
            f.create_dataset("t_us", data=s.t_us.astype(np.int64))
            f.create_dataset("t_key_us", data=s.t_key_us.astype(np.int64))

    return atomic_write(path, write)


def spread_summary(draws: np.ndarray, s: ReconSamples, idx: np.ndarray, moving_quantile: float = 0.9) -> dict[str, Any]:
    """How much K decodings of the CVAE differ, and where: over the face, where it moved, where it did not.

    ``draws`` (K, len(idx), S, S) for samples ``idx``. Per pixel the standard deviation over the
    K draws; "moving" pixels are each image's top ``1 - moving_quantile`` of ``|target - key|``.

    Parameters
    ----------
    draws : ndarray, shape (K, len(idx), S, S)
        The K decodings of each sample.
    s : ReconSamples
        The test samples.
    idx : ndarray of int
        The samples decoded.
    moving_quantile : float, optional
        The quantile of ``|target - key|`` above which a pixel moves.

    Returns
    -------
    dict
        ``k``, ``spread_face``, ``spread_moving`` and ``spread_static``; ``spread_static`` is None
        where no pixel stayed still (every pixel of every image changed alike: all are "moving").

    Examples
    --------
    Two decodings that differ by 0.2 everywhere, of one sample whose target changed alike at every
    pixel (was: NumPy's "Mean of empty slice" warnings, and NaN written into ``metrics.json``):

    >>> from evface.inputs.reconstruct import ARRAYS
    >>> s = ReconSamples(**{name: np.zeros((1, 4, 4), np.float32) for name in ARRAYS})
    >>> s.target[:] = 0.5
    >>> draws = np.stack([np.zeros((1, 4, 4)), np.full((1, 4, 4), 0.2)])
    >>> spread_summary(draws, s, np.array([0]))
    {'k': 2, 'spread_face': 0.1, 'spread_moving': 0.1, 'spread_static': None}
    """
    std = draws.std(axis=0)
    motion = np.abs(s.target[idx] - s.key[idx])
    cut = np.quantile(motion.reshape(len(idx), -1), moving_quantile, axis=1)[:, None, None]
    moving = motion >= cut
    static = float(std[~moving].mean()) if (~moving).any() else None
    return {"k": int(draws.shape[0]), "spread_face": float(std.mean()),
            "spread_moving": float(std[moving].mean()), "spread_static": static}


def sample_mean_scores(draws: np.ndarray, prior_mean: np.ndarray, s: ReconSamples, idx: np.ndarray) -> dict[str, Any]:
    """SSIM at samples ``idx`` (the apex) of the mean of the K decodings ``draws`` (K, len(idx), S, S) and of
    the prior-mean decoding ``prior_mean`` (N, S, S), over the face box and in the active AU regions.

    Parameters
    ----------
    draws : ndarray, shape (K, len(idx), S, S)
        The K decodings of each sample.
    prior_mean : ndarray, shape (N, S, S)
        The prior-mean decoding of every sample.
    s : ReconSamples
        The test samples.
    idx : ndarray of int
        The samples decoded.

    Returns
    -------
    dict
        ``apex_ssim_mean_of_<K>`` and ``apex_ssim_prior_mean``, each ``{"face", "active"}``.
    """
    masks = region_masks(s.target.shape[-1])
    at = s.select(idx)
    out = {}
    for name, pred in ((f"mean_of_{draws.shape[0]}", draws.mean(axis=0)), ("prior_mean", prior_mean[idx])):
        sc = per_sample(pred, at, masks)
        out[f"apex_ssim_{name}"] = {area: finite_mean(sc[area]["ssim"], "ssim") for area in ("face", "active")}
    return out


@plain_text
def write_apex_figure(path: Path, s: ReconSamples, preds: dict[str, np.ndarray], apex: np.ndarray,
                      draws: np.ndarray | None, n_rows: int = 4) -> Path:
    """PNG: a few test clips at the apex; one column per method, the K-sample mean and spread, the target."""
    from matplotlib.figure import Figure  # lazy: matplotlib only when a figure is written

    rows = np.linspace(0, len(apex) - 1, min(n_rows, len(apex))).round().astype(int)
    cols: list[tuple[str, Any]] = [(name, lambda r, p=p: p[apex[r]]) for name, p in preds.items()]
    if draws is not None:
        cols.append((f"cvae mean of {draws.shape[0]}", lambda r: draws[:, r].mean(axis=0)))
        cols.append((f"K={draws.shape[0]} spread x5", lambda r: 5 * draws[:, r].std(axis=0)))
    cols += [("target", lambda r: s.target[apex[r]]),  # the truth; a recording's own RGB frame
             ("|target-key| x5", lambda r: 5 * np.abs(s.target[apex[r]] - s.key[apex[r]]))]
    fig = Figure(figsize=(1.5 * len(cols), 1.6 * len(rows)))
    axes = fig.subplots(len(rows), len(cols), squeeze=False)
    for i, r in enumerate(rows):
        for j, (name, img) in enumerate(cols):
            ax = axes[i, j]
            ax.imshow(np.clip(img(r), 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_title(name, fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{s.meta['aus'][apex[r]]} {s.meta['lighting'][apex[r]]}", fontsize=7)
    return _save(fig, path)


@plain_text
def write_horizon_figure(path: Path, metrics: dict[str, Any], title: str) -> Path:
    """PNG: SSIM (face, active AU regions) and PSNR against the horizon, one line per method."""
    from matplotlib.figure import Figure  # lazy: matplotlib only when a figure is written

    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    for name, m in metrics["methods"].items():
        h = m["horizon"]
        for ax, key in zip(axes, ("face_ssim", "active_ssim", "face_psnr"), strict=True):
            ax.plot(h["ms"], h[key], marker=".", label=name)
    for ax, label in zip(axes, ("SSIM, face box", "SSIM, active AU regions", "PSNR dB, face box"), strict=True):
        ax.set_xlabel("horizon: ms since the keyframe")
        ax.set_title(label, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
