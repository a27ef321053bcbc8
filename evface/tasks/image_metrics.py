"""Image quality metrics for reconstruction: SSIM, PSNR and MSE on intensity images in [0, 1].

SSIM uses the settings of the EVREAL benchmark (Ercan et al., CVPRW 2023) so that figures compare
with the event-reconstruction literature: scikit-image's ``structural_similarity`` with
``gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1``. The functions
here compute exactly that (tested against scikit-image) for a whole batch ``(N, H, W)`` at once,
and return one value per image. Each refuses what would make its score mean nothing, in one
``ParameterError`` naming the argument: images of other shapes, a NaN or an infinity, a ``data_range``
that is not a positive number, and (SSIM and PSNR) intensities outside [0, ``data_range``], such as
8-bit grey levels scored at the default range of 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter

from evface.checks import as_real, finite, real_array, real_dtype
from evface.errors import ParameterError
from evface.tasks import stats

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
DATA_RANGE = 1.0
DATA_RANGE_BOUNDS = (1e-30, 1e30)
"""The ``data_range`` an image metric takes: SSIM's constants are its square times 1e-4 and 9e-4,
and their product, its fourth power, stays a normal float64 (1e300 was an OverflowError, 1e-300 a
SSIM of NaN, both constants 0)."""
TRUTH_TOLERANCE = 1e-6
"""How far past [0, 1] a true image of :func:`image_metrics` and :func:`region_metrics` may lie: the
rounding of an area average of float32 intensities, not an image in other units."""
SSIM_CHUNK = 64
"""Images per batch of the SSIM computation: its dozen full-size temporaries stay small (a few MB
per image at 128 x 128 in float64) however many images are scored."""


def _as_batch(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("a", "b")) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 ``(N, H, W)`` batches of one shape (a ParameterError otherwise).

    A NaN or an infinity is refused, naming the argument (``names``): it would make the score
    NaN, which means and intervals then drop or spread silently.
    """
    a, b = np.asarray(a), np.asarray(b)
    for name, image in zip(names, (a, b), strict=True):
        if not real_dtype(image.dtype):
            raise ParameterError(f"{name}: images must hold real numbers, got dtype {image.dtype}")
        finite(name, image, "image metrics need finite images")
    if a.shape != b.shape:
        raise ParameterError(f"{names[0]}, {names[1]}: images have shapes {a.shape} and {b.shape}; expected equal shapes")
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.ndim != 3:
        raise ParameterError(f"{names[0]}, {names[1]}: images must be (H, W) or (N, H, W), got shape {a.shape}")
    if 0 in a.shape[1:]:
        raise ParameterError(f"images must have at least one pixel, got shape {a.shape[1:]}")
    return a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)


def _scored(a: np.ndarray, b: np.ndarray, data_range: object) -> tuple[np.ndarray, np.ndarray, float]:
    """The checks of :func:`ssim_map` and :func:`psnr`: both images as batches (:func:`_as_batch`), ``data_range``
    (:func:`_data_range`), and each image's intensities within [0, ``data_range``] (:data:`TRUTH_TOLERANCE` of it
    either side), else a ParameterError naming the argument, its span and ``data_range``: 8-bit grey levels at the
    default ``data_range`` of 1 gave a SSIM near 0.99 and a PSNR of -20 dB without a word, as would images of
    another scale or offset (SSIM's constants and the PSNR's peak are the range's)."""
    a, b = _as_batch(a, b)
    span = _data_range(data_range)
    for name, image in (("a", a), ("b", b)):
        low, high = float(image.min()), float(image.max())
        if low < -TRUTH_TOLERANCE * span or high > span * (1.0 + TRUTH_TOLERANCE):
            raise ParameterError(f"{name} holds intensities {low:g}..{high:g}, outside [0, data_range] = [0, {span:g}]; "
                                 "give the data_range of the images (255 for 8-bit grey levels), or scale them into it")
    return a, b, span


def _data_range(value: object) -> float:
    """``data_range`` as a float in :data:`DATA_RANGE_BOUNDS` (SSIM's constants and the PSNR peak scale with it)."""
    return as_real("data_range", value, *DATA_RANGE_BOUNDS)


def _unit_truth(truth: np.ndarray) -> None:
    """Refuse true images outside [0, 1] (:data:`TRUTH_TOLERANCE`), naming ``truth``: scored at a data
    range of 1 against predictions clipped to [0, 1], 8-bit grey levels would give a SSIM near 0
    and a negative PSNR without a word."""
    low, high = float(truth.min()), float(truth.max())
    if low < -TRUTH_TOLERANCE or high > 1.0 + TRUTH_TOLERANCE:
        raise ParameterError(f"truth must hold intensities in [0, 1], got {low:g}..{high:g}; scale the images to "
                             "[0, 1] (8-bit grey levels: divide by 255), or score them with ssim and psnr at their "
                             "data_range")


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float = DATA_RANGE) -> np.ndarray:
    """Local SSIM of each image pair, EVREAL settings: (N, H - 2r, W - 2r) with the window radius ``r`` cut off.

    :func:`ssim` is its mean over each image; masked scores (:func:`region_metrics`) average it
    inside a region.

    Parameters
    ----------
    a, b : ndarray, shape (H, W) or (N, H, W)
        Images in [0, ``data_range``] (else a ParameterError naming ``a`` or ``b``), finite, of one shape. Each side at least 11 pixels (the window).
    data_range : float, optional
        The span of the intensities, in [1e-30, 1e30] (:data:`DATA_RANGE_BOUNDS`); SSIM's constants scale with it.

    Returns
    -------
    ndarray of float64, shape (N, H - 10, W - 10)

    Examples
    --------
    >>> x = np.linspace(0, 1, 16 * 16).reshape(16, 16)
    >>> ssim_map(x, x).shape, float(ssim_map(x, x).min())
    ((1, 6, 6), 1.0)
    """
    return _ssim_map(*_scored(a, b, data_range))


def _ssim_map(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """:func:`ssim_map` of two checked batches."""
    win = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1
    if min(a.shape[1:]) < win:
        raise ParameterError(f"SSIM needs images of at least {win}x{win} pixels, got {a.shape[1:]}")
    pad = (win - 1) // 2
    out = np.empty((a.shape[0], a.shape[1] - 2 * pad, a.shape[2] - 2 * pad))
    for i in range(0, a.shape[0], SSIM_CHUNK):
        out[i : i + SSIM_CHUNK] = _ssim_full(a[i : i + SSIM_CHUNK], b[i : i + SSIM_CHUNK], data_range)[:, pad:-pad, pad:-pad]
    return out


def _ssim_full(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """The SSIM map of each image pair of a batch, border included."""
    sigma = (0.0, SSIM_SIGMA, SSIM_SIGMA)  # no blur across the images of the batch

    def blur(x: np.ndarray) -> np.ndarray:
        return gaussian_filter(x, sigma=sigma, mode="reflect", truncate=SSIM_TRUNCATE)

    ux, uy = blur(a), blur(b)
    vx = blur(a * a) - ux * ux
    vy = blur(b * b) - uy * uy
    vxy = blur(a * b) - ux * uy
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = DATA_RANGE) -> np.ndarray:
    """Mean structural similarity of each image pair, EVREAL settings.

    Equal to ``skimage.metrics.structural_similarity(a[i], b[i], gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1)`` for every ``i``.

    Parameters
    ----------
    a, b : ndarray (H, W) or (N, H, W)
        Images in [0, ``data_range``] (else a ParameterError naming ``a`` or ``b``), finite; each side must be at least 11 pixels.
    data_range : float, optional
        The span of the intensities, in [1e-30, 1e30] (:data:`DATA_RANGE_BOUNDS`); SSIM's constants scale with it.

    Returns
    -------
    ndarray (N,) float64 (N = 1 for a single image pair).

    Examples
    --------
    >>> x = np.linspace(0, 1, 16 * 16).reshape(16, 16)
    >>> float(ssim(x, x)[0])
    1.0
    """
    return ssim_map(a, b, data_range).mean(axis=(1, 2), dtype=np.float64)


def mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean squared error of each image pair, shape (N,).

    Parameters
    ----------
    a, b : ndarray, shape (H, W) or (N, H, W)
        Images of any scale (the error is in their units, squared), finite, of one shape.

    Returns
    -------
    ndarray of float64, shape (N,)

    Examples
    --------
    >>> mse(np.zeros((2, 4, 4)), np.full((2, 4, 4), 0.5)).tolist()
    [0.25, 0.25]
    """
    return _mse(*_as_batch(a, b))


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = DATA_RANGE) -> np.ndarray:
    """Peak signal-to-noise ratio in dB of each image pair, shape (N,).

    Equal to ``skimage.metrics.peak_signal_noise_ratio(b, a, data_range=1)``; identical images
    give ``inf``.

    Parameters
    ----------
    a, b : ndarray, shape (H, W) or (N, H, W)
        Images in [0, ``data_range``] (else a ParameterError naming ``a`` or ``b``), finite, of one shape.
    data_range : float, optional
        The peak intensity, in [1e-30, 1e30] (:data:`DATA_RANGE_BOUNDS`).

    Returns
    -------
    ndarray of float64, shape (N,)
        ``10 log10(data_range**2 / MSE)`` in dB.

    Examples
    --------
    >>> psnr(np.zeros((4, 4)), np.full((4, 4), 0.1)).round(6).tolist()  # MSE 0.01
    [20.0]
    >>> psnr(np.zeros((4, 4)), np.zeros((4, 4))).tolist()
    [inf]
    >>> psnr(np.zeros((4, 4)), np.full((4, 4), 25.5))  # 8-bit grey levels at the default data_range, 1
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: b holds intensities 25.5..25.5, outside [0, data_range] = [0, 1]; give the data_range of the images (255 for 8-bit grey levels), or scale them into it
    >>> psnr(np.zeros((4, 4)), np.full((4, 4), 25.5), data_range=255).round(6).tolist()
    [20.0]
    """
    return _psnr(*_scored(a, b, data_range))


def _psnr(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """:func:`psnr` of two checked batches."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / _mse(a, b))


def _mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`mse` of two checked batches."""
    return np.mean((a - b) ** 2, axis=(1, 2))


def image_metrics(pred: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image ``{"ssim", "psnr", "mse"}`` of a batch of predictions against the truth.

    Parameters
    ----------
    pred : ndarray, shape (H, W) or (N, H, W)
        Predicted images, finite; clipped to [0, 1] before scoring.
    truth : ndarray, shape of ``pred``
        True images in [0, 1] (else a ParameterError naming ``truth``); each side at least 11 pixels.

    Returns
    -------
    dict of str to ndarray of float64, shape (N,)

    Examples
    --------
    >>> truth = np.full((12, 12), 0.5)
    >>> m = image_metrics(truth + 1.0, truth)  # a prediction above 1 is clipped to 1
    >>> float(m["mse"][0]), m["psnr"].round(3).tolist()
    (0.25, [6.021])
    """
    pred, truth = _as_batch(pred, truth, ("pred", "truth"))
    _unit_truth(truth)
    pred = np.clip(pred, 0.0, 1.0)  # both checked: scored without checking them again
    return {"ssim": _ssim_map(pred, truth, DATA_RANGE).mean(axis=(1, 2), dtype=np.float64),
            "psnr": _psnr(pred, truth, DATA_RANGE), "mse": _mse(pred, truth)}


def region_metrics(pred: np.ndarray, truth: np.ndarray, masks: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Per-image SSIM, PSNR and MSE inside each boolean ``(H, W)`` mask: ``{region: {"ssim", "psnr", "mse"}}``.

    ``pred`` and ``truth`` are ``(H, W)`` or ``(N, H, W)``, as for :func:`ssim`; ``pred`` is clipped to [0, 1].

    SSIM is the mean of :func:`ssim_map` over the mask's pixels that are not within the window
    radius of the border (NaN when none is); MSE and PSNR use every pixel of the mask.

    Parameters
    ----------
    pred, truth : ndarray, shape (H, W) or (N, H, W)
        Predicted and true images, as for :func:`image_metrics`.
    masks : mapping of str to ndarray of bool, shape (H, W)
        Each region's pixels (booleans, or 0 and 1); none may be empty.

    Returns
    -------
    dict of str to dict of str to ndarray of float64, shape (N,)

    Examples
    --------
    >>> x = np.zeros((1, 16, 16)); y = x.copy(); y[0, :8] = 0.1
    >>> top, bottom = np.zeros((16, 16), bool), np.zeros((16, 16), bool)
    >>> top[:8], bottom[8:] = True, True
    >>> m = region_metrics(x, y, {"top": top, "bottom": bottom})
    >>> round(float(m["top"]["mse"][0]), 6), float(m["bottom"]["mse"][0])
    (0.01, 0.0)
    """
    pred, truth = _as_batch(pred, truth, ("pred", "truth"))
    _unit_truth(truth)
    pred = np.clip(pred, 0.0, 1.0)
    smap = _ssim_map(pred, truth, DATA_RANGE)
    pad = (pred.shape[-1] - smap.shape[-1]) // 2
    sq = (pred - truth) ** 2
    out = {}
    if not isinstance(masks, Mapping):
        raise ParameterError(f"masks must map each region's name to its boolean (H, W) mask, got {masks!r:.80}")
    for name, given in masks.items():
        mask = _region_mask(name, given)
        if mask.shape != pred.shape[-2:]:
            raise ParameterError(f"mask {name!r} has shape {mask.shape}, the images {pred.shape[-2:]}")
        inner = mask[pad:-pad, pad:-pad]
        if not mask.any():
            raise ParameterError(f"mask {name!r} is empty")
        err = sq[:, mask].mean(axis=1)
        local = smap[:, inner].mean(axis=1) if inner.any() else np.full(len(pred), np.nan)
        with np.errstate(divide="ignore"):
            out[name] = {"ssim": local, "psnr": 10.0 * np.log10(DATA_RANGE**2 / err), "mse": err}
    return out


def _columns(name: str, columns: object, real: bool) -> dict[str, np.ndarray]:
    """``columns`` (a mapping of name to one value per image) as 1-D arrays; otherwise a
    ParameterError naming ``name`` (a number was an AttributeError, ``no attribute 'values'``)."""
    if not isinstance(columns, Mapping):
        raise ParameterError(f"{name} must map each name to one value per image, got {columns!r:.80}")
    out = {key: real_array(f"{name}[{key!r}]", v) if real else np.asarray(v) for key, v in columns.items()}
    for key, v in out.items():
        if v.ndim != 1:
            raise ParameterError(f"{name}[{key!r}] must be one value per image (1-D), got shape {v.shape}")
    return out


def _region_mask(name: str, mask: object) -> np.ndarray:
    """``mask`` as a boolean array: booleans, or 0 and 1. A weight (0.5), a NaN or text is no set of
    pixels: a :class:`ParameterError` naming the region (was: cast to bool, inside without a word)."""
    try:
        given = np.asarray(mask)
    except (TypeError, ValueError) as exc:  # a ragged list
        raise ParameterError(f"mask {name!r} must be a boolean (H, W) array or one of 0 and 1, got "
                             f"{type(mask).__name__} ({exc})") from None
    if given.dtype == bool:
        return given
    outside = given.ravel() if given.dtype.kind not in "iuf" else given[~np.isin(given, (0, 1))]
    if outside.size:
        raise ParameterError(f"mask {name!r} must be a boolean (H, W) array or one of 0 and 1, got "
                             f"{outside[:1].tolist()[0]!r} ({given.dtype})")
    return given.astype(bool)


def _no_infinity(name: str, values: np.ndarray) -> None:
    """Refuse ``values`` holding an infinity, naming ``name``: a cluster a resample does not draw
    weighs its samples by 0, and 0 x infinity is NaN (a NaN itself is the interval's to refuse:
    :func:`~evface.tasks.stats.percentile_interval`)."""
    infinite = int(np.isinf(values).sum())
    if infinite:
        raise ParameterError(f"{name} holds {infinite:,} infinite of {values.size:,} values: an interval of their mean "
                             "needs finite values; give finite values (cap them: the PSNR of identical images is infinite)")


def cluster_mean_interval(values: np.ndarray, clusters: Sequence[Any] | np.ndarray, *, resamples: int = stats.RESAMPLES,
                          level: float = stats.LEVEL, seed: int = stats.SEED) -> dict[str, Any]:
    """Mean of per-sample ``values`` with a cluster-bootstrap interval (clusters: subjects).

    Each resample draws as many clusters as there are, with replacement, and averages all the
    samples of the drawn clusters (the subject-cluster bootstrap of :mod:`evface.tasks.stats`).
    For a paired difference pass the per-sample differences of two methods on the same samples.

    Parameters
    ----------
    values : ndarray, shape (N,)
        One value per sample.
    clusters : sequence, length N
        Each sample's cluster (subject).
    resamples, level, seed : int, float, int, optional
        The bootstrap's resamples, the interval's level in (0, 1] and the seed of the draws.

    Returns
    -------
    dict
        ``mean``, ``ci`` ``[low, high]``, ``n`` (samples) and ``n_clusters``.

    Examples
    --------
    >>> r = cluster_mean_interval(np.array([0.1, 0.3, 0.2, 0.4]), ["a", "a", "b", "b"])
    >>> round(r["mean"], 2), r["n_clusters"]
    (0.25, 2)
    """
    v = real_array("values", values)
    _no_infinity("values", v)
    g = stats.label_indices("clusters", clusters)
    if v.size == 0 or v.shape != g.shape:
        raise ParameterError(f"{v.size} values and {g.size} cluster labels: one of each per sample, at least one")
    n_groups = int(g.max()) + 1
    sums, counts = np.bincount(g, weights=v, minlength=n_groups), np.bincount(g, minlength=n_groups).astype(np.float64)
    drawn = stats.resample_counts(n_groups, resamples, seed)
    boot = (drawn @ sums) / (drawn @ counts)
    return {"mean": float(v.mean()), "ci": stats.percentile_interval(boot, level), "n": int(v.size), "n_clusters": n_groups}


def cluster_training_interval(values: np.ndarray, clusters: Sequence[Any] | np.ndarray, units: Sequence[Any] | np.ndarray, *,
                              resamples: int = stats.RESAMPLES, level: float = stats.LEVEL,
                              seed: int = stats.SEED) -> dict[str, Any]:
    """Mean of per-sample ``values`` of K trainings, shape (K, N), with an interval that resamples
    the clusters (subjects) and the trainings both.

    A sample's K trainings are those of its ``unit`` (a fold: the models that tested it, shared by
    its subjects). Each resample draws as many clusters as there are, with replacement, and for
    every unit K of its trainings, with replacement; it averages all the samples of the drawn
    clusters, each scored by the mean of its unit's drawn trainings: a two-level bootstrap, whose
    interval covers which subjects were tested and how other trainings would come out (Bouthillier
    et al., "Accounting for variance in machine learning benchmarks", MLSys 2021). With K = 1 it is
    :func:`cluster_mean_interval`'s. For a paired difference pass the per-sample differences.

    Parameters
    ----------
    values : ndarray, shape (K, N)
        Each training's value of each sample.
    clusters, units : sequence, length N
        Each sample's cluster (subject) and unit (fold).
    resamples, level, seed : int, float, int, optional
        The bootstrap's resamples, the interval's level in (0, 1] and the seed of the draws.

    Returns
    -------
    dict
        ``mean``, ``ci`` ``[low, high]``, ``n`` (samples), ``n_clusters`` and ``n_trainings`` (K).

    Examples
    --------
    >>> v = np.array([[0.1, 0.3, 0.2, 0.4], [0.3, 0.5, 0.2, 0.4]])
    >>> r = cluster_training_interval(v, ["a", "a", "b", "b"], [0, 0, 1, 1])
    >>> round(r["mean"], 2), r["n_clusters"], r["n_trainings"]
    (0.3, 2, 2)
    """
    v, u = _trainings("values", values, units, np.size(clusters))
    g, drawn, samples = _cluster_draws(clusters, resamples, seed)
    n_groups = drawn.shape[1]
    boot = (drawn * _drawn_trainings(v, g, u, n_groups, resamples, seed + 1)).sum(1) / samples
    return {"mean": float(v.mean()), "ci": stats.percentile_interval(boot, level), "n": int(v.shape[1]),
            "n_clusters": n_groups, "n_trainings": v.shape[0]}


def paired_training_interval(values_a: np.ndarray, units_a: Sequence[Any] | np.ndarray, values_b: np.ndarray,
                             units_b: Sequence[Any] | np.ndarray, clusters: Sequence[Any] | np.ndarray, *, resamples: int = stats.RESAMPLES,
                             level: float = stats.LEVEL, seed: int = stats.SEED) -> dict[str, Any]:
    """The mean difference A - B of two runs' per-sample values on the same samples, each run the
    mean of its trainings (``values_a`` (K_a, N) with ``units_a`` (N,), the same for B), with the
    interval of :func:`cluster_training_interval` drawn for both: the clusters alike for A and B,
    each run's trainings within its units on their own. With one training each it is
    :func:`cluster_mean_interval`'s of the differences.

    Parameters
    ----------
    values_a : ndarray, shape (K_a, N)
        Each training's value of each sample, for run A.
    units_a : sequence, length N
        Each sample's unit (fold) in run A.
    values_b : ndarray, shape (K_b, N)
        Each training's value of each sample, for run B.
    units_b : sequence, length N
        Each sample's unit (fold) in run B.
    clusters : sequence, length N
        Each sample's cluster (subject).
    resamples, level, seed : int, float, int, optional
        The bootstrap's resamples, the interval's level in (0, 1] and the seed of the draws.

    Returns
    -------
    dict
        ``mean`` (A - B), ``ci`` ``[low, high]``, ``n``, ``n_clusters`` and ``n_trainings``
        (``{"a": K_a, "b": K_b}``).

    Examples
    --------
    >>> a = np.array([[0.5, 0.6, 0.7, 0.8], [0.7, 0.8, 0.7, 0.8]])
    >>> r = paired_training_interval(a, [0, 0, 1, 1], np.full((1, 4), 0.5), [0] * 4, ["a", "a", "b", "b"])
    >>> round(r["mean"], 2), r["n_trainings"]
    (0.2, {'a': 2, 'b': 1})
    """
    n = np.size(clusters)
    (va, ua), (vb, ub) = _trainings("values_a", values_a, units_a, n), _trainings("values_b", values_b, units_b, n)
    g, drawn, samples = _cluster_draws(clusters, resamples, seed)
    n_groups = drawn.shape[1]
    per_cluster = (_drawn_trainings(va, g, ua, n_groups, resamples, seed + 1)
                   - _drawn_trainings(vb, g, ub, n_groups, resamples, seed + 2))
    boot = (drawn * per_cluster).sum(1) / samples
    return {"mean": float(va.mean() - vb.mean()), "ci": stats.percentile_interval(boot, level), "n": n,
            "n_clusters": n_groups, "n_trainings": {"a": va.shape[0], "b": vb.shape[0]}}


def _cluster_draws(clusters: Sequence[Any] | np.ndarray, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sample's cluster index, how often each cluster is drawn in each resample (R, clusters),
    and how many samples each resample holds (R,)."""
    g = stats.label_indices("clusters", clusters)
    n_groups = int(g.max()) + 1
    drawn = stats.resample_counts(n_groups, resamples, seed)
    return g, drawn, drawn @ np.bincount(g, minlength=n_groups).astype(np.float64)


def _trainings(name: str, values: np.ndarray, units: Sequence[Any] | np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, N) values as floats and their units as indices, checked against ``n`` samples (a
    ParameterError naming ``name`` where they are no real numbers)."""
    v = real_array(name, values)
    _no_infinity(name, v)
    u = stats.label_indices(name.replace("values", "units"), units)
    if v.ndim != 2 or v.size == 0 or not v.shape[1] == n == u.size:
        raise ParameterError(f"values of shape {v.shape}, {n} cluster and {u.size} unit labels: (K, N) values and "
                             "one label of each per sample, at least one")
    return v, u


def _drawn_trainings(v: np.ndarray, g: np.ndarray, u: np.ndarray, n_groups: int, resamples: int,
                     seed: int) -> np.ndarray:
    """(R, clusters): each cluster's sum of its samples' values, every sample scored by the mean of
    K trainings of its unit drawn with replacement (``seed``) in each of ``resamples``."""
    k, n_units = v.shape[0], int(u.max()) + 1
    cell = g * n_units + u  # the samples of one cluster scored by one unit's trainings
    sums = np.stack([np.bincount(cell, weights=row, minlength=n_groups * n_units) for row in v], 1)  # (cells, K)
    picks = np.random.default_rng(seed).integers(0, k, size=(resamples, n_units, k))
    trainings = np.stack([(picks == j).sum(2) for j in range(k)], 2) / k  # (R, units, K): weight of each training
    return np.einsum("ruk,guk->rg", trainings, sums.reshape(n_groups, n_units, k))


def summarize(
    per_image: Mapping[str, np.ndarray], groups: Mapping[str, Sequence[Any] | np.ndarray] | None = None
) -> dict[str, Any]:
    """Average per-image metrics overall and within groups.

    Parameters
    ----------
    per_image : mapping metric -> (N,) array
    groups : mapping grouping name -> (N,) labels, e.g. ``{"lighting": [...], "sensor": [...]}``
        One label per image: a grouping or metric of another length is a ParameterError.

    Returns
    -------
    ``{"n": N, "ssim": .., "psnr": .., "mse": .., "per_<grouping>": {label: {...}}}``. PSNR is the
    mean of per-image PSNR (as EVREAL reports it); infinite values are capped at 100 dB.

    Examples
    --------
    >>> s = summarize({"ssim": np.array([0.5, 1.0])}, {"lighting": ["dim", "bright"]})
    >>> s["ssim"], s["per_lighting"]["dim"]["ssim"]
    (0.75, 0.5)
    """

    def mean_of(mask: np.ndarray) -> dict[str, Any]:
        out: dict[str, Any] = {"n": int(mask.sum())}
        for key, values in per_image.items():
            v = np.asarray(values, dtype=np.float64)[mask]
            if key == "psnr":
                v = np.minimum(v, 100.0)
            out[key] = float(v.mean()) if v.size else float("nan")
        return out

    per_image = _columns("per_image", per_image, real=True)
    grouped = _columns("groups", {} if groups is None else groups, real=False)
    n = len(next(iter(per_image.values()))) if per_image else 0
    sizes = {f"metric {key!r}": len(v) for key, v in per_image.items()} | {f"grouping {key!r}": len(v) for key, v in grouped.items()}
    for what, size in sizes.items():
        if size != n:
            raise ParameterError(f"{what} has {size} values for {n} images; one value per image expected")
    result = mean_of(np.ones(n, dtype=bool))
    for name, column in grouped.items():
        index = stats.label_indices(f"groups[{name!r}]", column)
        first = {i: label for label, i in reversed(list(zip(np.asarray(column).tolist(), index.tolist(), strict=True)))}
        result[f"per_{name}"] = {str(first[i]): mean_of(index == i) for i in sorted(first)}
    return result
