"""Non-learned reconstruction baselines: keyframe copy, RGB-only frame prediction and event integration.

- :func:`copy_keyframe`: the keyframe itself;
- frame camera only (no event): :func:`rgb_hold` (the last RGB frame), :func:`rgb_flow_extrapolate`
  (the last frame pushed on along the optical flow of the last two frames, constant velocity),
  :func:`rgb_blend` and :func:`rgb_flow_interpolate` (between the frames before and after the
  target, linearly in intensity or along the flow). Flow is OpenCV's DIS
  (``DISOPTICAL_FLOW_PRESET_MEDIUM``) on the 8-bit grey images, warps are bilinear;
- direct event integration (:func:`integrate`): the complementary filter of Scheerlinck, Barnes
  and Mahony (ACCV 2018) with a single keyframe: the log intensity starts at the keyframe's,
  ``L(t_key) = L_F``, every event adds its contrast (``+c_on`` for ON, ``-c_off`` for OFF) and
  the difference to the keyframe decays at ``alpha`` rad/s::

      dL/dt = sum_i c_i delta(t - t_i) - alpha * (L - L_F)
      =>  L(t) = L_F + c_on * D_on(t) - c_off * D_off(t),
          D_on(t) = sum over ON events in [t_key, t] of exp(-alpha * (t - t_i))   (likewise OFF)

  ``D_on``/``D_off`` (:func:`evface.events.integration.leaky_counts`, the samples' ``hist``) do
  not depend on the contrasts, so the contrasts and the leak are fitted on training samples by a
  small grid search (:func:`fit_integration`). Keyframes are gamma-encoded grey images in [0, 1];
  integration happens on linear intensity ``gray ** gamma`` in log space.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from evface.checks import as_real, real_dtype
from evface.errors import ParameterError

LOG_EPS = 1e-3
"""Offset in ``log(linear + LOG_EPS)``: keeps black pixels finite (about 1/1000 of full scale)."""
CONTRAST_GRID = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Contrasts (log units per event) tried by :func:`fit_integration`."""
FLOW_MIN_SIDE = 16
"""The smallest frame side the DIS flow is given: OpenCV refuses frames under 12 pixels a side and
ended the whole process (a segmentation fault) on some narrower than 16 (12 x 40, 8 x 64); the
same limit as :data:`evface.inputs.flow.DIS_MIN_SIDE` (not imported: the models read no clip)."""


def _frames(min_side: int = 1, **frames: object) -> list[np.ndarray]:
    """Grey frames ``(N, H, W)`` of one shape and finite real numbers, as arrays (their dtype kept).

    Raises
    ------
    ParameterError
        Naming the frames of another shape or dimension (a batch of one was broadcast over the
        other's samples without a word), of another kind than numbers, with a side under
        ``min_side``, or holding NaN or infinity (the flow read NaN as black).

    Examples
    --------
    >>> _frames(a=np.zeros((2, 4, 4)), b=np.zeros((1, 4, 4)))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: b must be frames (N, H, W) = (2, 4, 4) as a is, got (1, 4, 4)
    """
    out: list[np.ndarray] = []
    for name, value in frames.items():
        arr = np.asarray(value)
        if not real_dtype(arr.dtype) or arr.ndim != 3:
            raise ParameterError(f"{name} must be grey frames (N, H, W) of real numbers, got {arr.dtype} {arr.shape}")
        if out and arr.shape != out[0].shape:
            raise ParameterError(f"{name} must be frames (N, H, W) = {out[0].shape} as {next(iter(frames))} is, "
                                 f"got {arr.shape}")
        if min(arr.shape[1:]) < min_side:
            raise ParameterError(f"{name}: optical flow needs frames of at least {min_side} x {min_side} pixels, "
                                 f"got {arr.shape[2]} x {arr.shape[1]}")
        if not np.isfinite(arr).all():
            raise ParameterError(f"{name} holds NaN or infinite values")
        out.append(arr)
    return out


def _times(n: int, **times: object) -> list[np.ndarray]:
    """Times ``(n,)``, one per sample, of finite real numbers (a single time was broadcast over every sample).

    Examples
    --------
    >>> _times(2, t=[0, 1], t_b=[5])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: t_b must hold one time per sample, (2,), got (1,)
    """
    out = []
    for name, value in times.items():
        arr = np.asarray(value)
        if not real_dtype(arr.dtype) or arr.shape != (n,):
            raise ParameterError(f"{name} must hold one time per sample, ({n},), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ParameterError(f"{name} holds NaN or infinite values")
        out.append(arr)
    return out


def copy_keyframe(keyframe: np.ndarray) -> np.ndarray:
    """The keyframe itself, as the reconstruction at the target time: grey frames ``(N, H, W)``
    checked as every baseline's (:func:`_frames`; a NaN frame, colour frames or text were copied,
    or met numpy's "could not convert string to float").

    Parameters
    ----------
    keyframe : array_like
        Grey frames ``(N, H, W)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(N, H, W)``.

    Examples
    --------
    >>> copy_keyframe(np.full((1, 2, 2), 0.5))
    array([[[0.5, 0.5],
            [0.5, 0.5]]], dtype=float32)
    >>> copy_keyframe(np.zeros((2, 2)))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: keyframe must be grey frames (N, H, W) of real numbers, got float64 (2, 2)
    """
    return _frames(keyframe=keyframe)[0].astype(np.float32)


def rgb_hold(last: np.ndarray) -> np.ndarray:
    """The last RGB frame before the target (a 30 fps camera's best guess without motion model),
    checked as :func:`copy_keyframe`'s keyframe.

    Parameters
    ----------
    last : array_like
        Grey frames ``(N, H, W)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(N, H, W)``.

    Examples
    --------
    >>> rgb_hold(np.ones((3, 4, 4))).shape
    (3, 4, 4)
    """
    return _frames(last=last)[0].astype(np.float32)


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS optical flow from ``a`` to ``b`` (``a(x) ~ b(x + flow(x))``): float32 (H, W, 2)."""
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    to8 = lambda x: (np.clip(x, 0, 1) * 255).round().astype(np.uint8)  # noqa: E731
    return dis.calc(to8(a), to8(b), None)  # type: ignore[call-overload]  # cv2's stubs omit flow=None


def _warp(img: np.ndarray, flow: np.ndarray, scale: float) -> np.ndarray:
    """``img(x + scale * flow(x))``, bilinear, borders replicated."""
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    s = np.float32(scale)
    return cv2.remap(np.asarray(img, np.float32), (xx + s * flow[..., 0]).astype(np.float32),
                     (yy + s * flow[..., 1]).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def rgb_flow_extrapolate(prev: np.ndarray, last: np.ndarray, t_prev: np.ndarray, t_last: np.ndarray,
                         t: np.ndarray) -> np.ndarray:
    """Push the last frame on along the motion from ``prev`` to ``last`` (constant velocity).

    Per sample: ``last(x + s * f(x))`` with ``f`` the flow from ``last`` to ``prev`` and ``s =
    (t - t_last) / (t_last - t_prev)``; a sample whose two frames are the same frame is held.

    Parameters
    ----------
    prev, last : array_like
        Grey frames ``(N, H, W)`` in [0, 1], each side at least :data:`FLOW_MIN_SIDE`.
    t_prev, t_last : array_like
        ``(N,)``: their times (any unit, the same for all three).
    t : array_like
        ``(N,)``: the target times.

    Returns
    -------
    numpy.ndarray
        float32 ``(N, H, W)`` in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = cv2.GaussianBlur(rng.uniform(0, 1, (48, 48)).astype(np.float32), (0, 0), 2)
    >>> b = np.roll(a, 2, axis=1)  # moved 2 px right in one frame time
    >>> pred = rgb_flow_extrapolate(a[None], b[None], np.array([0]), np.array([10]), np.array([20]))
    >>> bool(np.abs(pred[0] - np.roll(a, 4, axis=1))[8:40, 8:40].mean() < np.abs(b - np.roll(a, 4, axis=1))[8:40, 8:40].mean())
    True
    """
    prev, last = _frames(FLOW_MIN_SIDE, prev=prev, last=last)
    t_prev, t_last, t = _times(len(last), t_prev=t_prev, t_last=t_last, t=t)
    out = np.empty(np.shape(last), np.float32)
    for i in range(len(out)):
        dt = float(t_last[i] - t_prev[i])
        if dt <= 0:
            out[i] = last[i]
            continue
        out[i] = _warp(last[i], _flow(last[i], prev[i]), float(t[i] - t_last[i]) / dt)
    return np.clip(out, 0.0, 1.0)


def _fraction(t_a: np.ndarray, t_b: np.ndarray, t: np.ndarray) -> np.ndarray:
    span = np.maximum(np.asarray(t_b, np.float64) - t_a, 1.0)
    return np.clip((np.asarray(t, np.float64) - t_a) / span, 0.0, 1.0)


def rgb_blend(a: np.ndarray, b: np.ndarray, t_a: np.ndarray, t_b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear blend of the frames before (``a``) and after (``b``) the target, by its time between them.

    Parameters
    ----------
    a, b : array_like
        Grey frames ``(N, H, W)``.
    t_a, t_b : array_like
        ``(N,)``: the times of ``a`` and ``b`` (any unit, the same for all three).
    t : array_like
        ``(N,)``: the target times (clipped to ``[t_a, t_b]``).

    Returns
    -------
    numpy.ndarray
        float32 ``(N, H, W)``.

    Examples
    --------
    >>> float(rgb_blend(np.zeros((1, 2, 2)), np.ones((1, 2, 2)), np.array([0]), np.array([40]), np.array([10]))[0, 0, 0])
    0.25
    """
    a, b = _frames(a=a, b=b)
    w = _fraction(*_times(len(a), t_a=t_a, t_b=t_b, t=t))[:, None, None]
    return ((1 - w) * a + w * b).astype(np.float32)


def rgb_flow_interpolate(a: np.ndarray, b: np.ndarray, t_a: np.ndarray, t_b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Flow-based frame interpolation: ``(1 - w) a(x - w f) + w b(x + (1 - w) f)``, ``f`` the flow a -> b.

    Parameters
    ----------
    a, b : array_like
        Grey frames ``(N, H, W)`` in [0, 1], each side at least :data:`FLOW_MIN_SIDE`.
    t_a, t_b : array_like
        ``(N,)``: the times of ``a`` and ``b`` (any unit, the same for all three).
    t : array_like
        ``(N,)``: the target times (clipped to ``[t_a, t_b]``).

    Returns
    -------
    numpy.ndarray
        float32 ``(N, H, W)`` in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = cv2.GaussianBlur(rng.uniform(0, 1, (48, 48)).astype(np.float32), (0, 0), 2)
    >>> b = np.roll(a, 4, axis=1)  # moved 4 px right
    >>> mid = rgb_flow_interpolate(a[None], b[None], np.array([0]), np.array([10]), np.array([5]))
    >>> truth = np.roll(a, 2, axis=1)[8:40, 8:40]  # half way
    >>> blend = rgb_blend(a[None], b[None], np.array([0]), np.array([10]), np.array([5]))
    >>> bool(np.abs(mid[0, 8:40, 8:40] - truth).mean() < np.abs(blend[0, 8:40, 8:40] - truth).mean())
    True
    """
    a, b = _frames(FLOW_MIN_SIDE, a=a, b=b)
    w = _fraction(*_times(len(a), t_a=t_a, t_b=t_b, t=t))
    out = np.empty(np.shape(a), np.float32)
    for i in range(len(out)):
        f = _flow(a[i], b[i])
        out[i] = (1 - w[i]) * _warp(a[i], f, -w[i]) + w[i] * _warp(b[i], f, 1 - w[i])
    return np.clip(out, 0.0, 1.0)


def integrate(
    keyframe: np.ndarray, counts: np.ndarray, c_on: float, c_off: float, gamma: float
) -> np.ndarray:
    """Apply leaked event counts to keyframes: ``(L_F + c_on D_on - c_off D_off)``, gamma-encoded.

    Parameters
    ----------
    keyframe : array_like
        ``(..., H, W)`` grey in [0, 1] (gamma-encoded).
    counts : array_like
        ``(..., 2, H, W)`` from :func:`~evface.events.integration.leaky_counts` (possibly
        resampled to the keyframe's grid).
    c_on, c_off : float
        Contrasts (log intensity per ON and per OFF event), finite and >= 0.
    gamma : float
        The keyframe's encoding: linear intensity = ``keyframe ** gamma``.

    Returns
    -------
    numpy.ndarray
        float32 ``(..., H, W)`` in [0, 1].

    Examples
    --------
    >>> key = np.array([[0.5]])
    >>> integrate(key, np.zeros((2, 1, 1)), 0.2, 0.2, gamma=2.2)  # no event: the keyframe
    array([[0.5]], dtype=float32)
    >>> integrate(key, np.array([[[1.0]], [[0.0]]]), 0.2, 0.2, gamma=2.2).round(3)  # one ON event: brighter
    array([[0.548]], dtype=float32)
    """
    keyframe, counts = np.asarray(keyframe), np.asarray(counts)
    _counts_fit(keyframe, counts, "keyframe", "counts")
    c_on, c_off, gamma = _integration_numbers(c_on, c_off, gamma)
    return _integrate_log(_log_keyframe(keyframe, gamma), counts, c_on, c_off, gamma)


def _counts_fit(keyframe: np.ndarray, counts: np.ndarray, key_name: str, counts_name: str, *extra: int) -> None:
    """A :class:`ParameterError` unless ``counts`` is ``(..., *extra, 2, H, W)`` for a ``keyframe``
    ``(..., H, W)`` and both hold finite real numbers (counts of one sample were broadcast over
    every keyframe, and a ``(2, H, W)`` array of one sample read as its ON and OFF rows)."""
    for name, arr in ((key_name, keyframe), (counts_name, counts)):
        if not real_dtype(arr.dtype) or arr.ndim < 2:
            raise ParameterError(f"{name} must be an array of real numbers (..., H, W), got {arr.dtype} {arr.shape}")
    want = (*keyframe.shape[:-2], *extra, 2, *keyframe.shape[-2:])
    if counts.shape != want:
        raise ParameterError(f"{counts_name} must be {want} (ON and OFF counts for the {key_name}), "
                             f"got {counts.shape}")
    for name, arr in ((key_name, keyframe), (counts_name, counts)):
        if not np.isfinite(arr).all():
            raise ParameterError(f"{name} holds NaN or infinite values")


def _integration_numbers(c_on: object, c_off: object, gamma: object) -> tuple[float, float, float]:
    """The contrasts (finite, >= 0) and the keyframes' gamma (finite, > 0) of :func:`integrate`."""
    return (as_real("c_on", c_on, 0, np.inf), as_real("c_off", c_off, 0, np.inf),
            as_real("gamma", gamma, 0, np.inf, low_open=True))


def _grid_errors(log_key: np.ndarray, d_on: np.ndarray, d_off: np.ndarray, target: np.ndarray,
                 contrasts: Sequence[float], gamma: float) -> Iterator[tuple[tuple[float, float], float]]:
    """``((c_on, c_off), sum of squared errors)`` of :func:`integrate` over every pair of
    ``contrasts``, on flat pixel arrays (each value as :func:`_integrate_log` computes it, in
    reused buffers: the grid search's inner loop)."""
    lin = np.empty(log_key.shape, np.float64)
    darker = np.empty(log_key.shape, np.result_type(d_off, contrasts[0]))
    err = np.empty(log_key.shape, np.float32)
    for c_on in contrasts:
        brighter = log_key + c_on * d_on
        for c_off in contrasts:
            np.multiply(d_off, c_off, out=darker)
            np.subtract(brighter, darker, out=lin)
            np.exp(lin, out=lin)
            lin -= LOG_EPS
            np.clip(lin, 0.0, 1.0, out=lin)
            np.power(lin, 1.0 / gamma, out=lin)
            err[...] = lin  # float32, as integrate returns
            err -= target
            np.square(err, out=err)
            yield (c_on, c_off), float(np.sum(err, dtype=np.float64))


def _log_keyframe(keyframe: np.ndarray, gamma: float) -> np.ndarray:
    """The keyframe's log linear intensity, the starting point of :func:`integrate`."""
    key = np.clip(np.asarray(keyframe, dtype=np.float64), 0.0, 1.0)
    return np.log(key**gamma + LOG_EPS)


def _integrate_log(log_key: np.ndarray, counts: np.ndarray, c_on: float, c_off: float, gamma: float) -> np.ndarray:
    """:func:`integrate` from the keyframe's :func:`_log_keyframe`."""
    log_i = log_key + c_on * counts[..., 0, :, :] - c_off * counts[..., 1, :, :]
    lin = np.clip(np.exp(log_i) - LOG_EPS, 0.0, 1.0)
    return (lin ** (1.0 / gamma)).astype(np.float32)


def fit_integration(
    keyframes: np.ndarray,
    counts: np.ndarray,
    targets: np.ndarray,
    alphas_rad_s: Sequence[float],
    contrasts: Sequence[float] = CONTRAST_GRID,
    *,
    gamma: float,
) -> dict[str, float]:
    """Grid-search the leak and the ON/OFF contrasts that minimise the mean squared error.

    Parameters
    ----------
    keyframes : array_like
        ``(N, H, W)``.
    counts : array_like
        ``(N, n_alpha, 2, H, W)``, leaked counts for each rate in ``alphas_rad_s``.
    targets : array_like
        ``(N, H, W)``.
    alphas_rad_s : sequence of float
        The leak rates the counts were leaked at (``n_alpha``).
    contrasts : sequence of float
        The contrasts tried for ``c_on`` and for ``c_off``.
    gamma : float
        The keyframes' encoding, as in :func:`integrate`.

    Returns
    -------
    dict
        ``{"alpha_rad_s", "alpha_index", "c_on", "c_off", "mse"}`` of the best point.

    Examples
    --------
    >>> key = np.full((2, 4, 4), 0.5)
    >>> counts = np.zeros((2, 2, 2, 4, 4))  # two leak rates
    >>> counts[:, 1, 0, :2] = 1.0  # at the second rate: ON events in the top rows,
    >>> counts[:, 1, 1, 2:] = 1.0  # OFF events in the bottom ones
    >>> targets = integrate(key, counts[:, 1], c_on=0.1, c_off=0.2, gamma=2.2)
    >>> fit_integration(key, counts, targets, alphas_rad_s=[0.0, 5.0], contrasts=[0.1, 0.2], gamma=2.2)
    {'alpha_rad_s': 5.0, 'alpha_index': 1, 'c_on': 0.1, 'c_off': 0.2, 'mse': 0.0}
    """
    keyframes, counts, targets = np.asarray(keyframes), np.asarray(counts), np.asarray(targets)
    if not len(alphas_rad_s) or not len(contrasts):
        raise ParameterError(f"fit_integration needs leak rates and contrasts to try, got {len(alphas_rad_s)} and "
                             f"{len(contrasts)}")
    keyframes, targets = _frames(keyframes=keyframes, targets=targets)
    if not len(keyframes):
        raise ParameterError("fit_integration needs at least one sample, got none")
    _counts_fit(keyframes, counts, "keyframes", "counts", len(alphas_rad_s))
    for c in contrasts:
        _integration_numbers(c, c, gamma)
    best: dict[str, float] = {"mse": np.inf}
    log_key = _log_keyframe(keyframes, gamma)  # the same for every point of the grid
    # A pixel without events shows the keyframe whatever the contrasts: its error is summed once.
    still = (_integrate_log(log_key, np.zeros((2, 1, 1), np.float32), 0.0, 0.0, gamma) - targets) ** 2
    for a, alpha in enumerate(alphas_rad_s):
        on, off = counts[:, a, 0], counts[:, a, 1]
        moving = (on != 0) | (off != 0)
        still_sum = float(np.sum(still[~moving], dtype=np.float64))
        for (c_on, c_off), moving_sum in _grid_errors(log_key[moving], on[moving], off[moving], targets[moving],
                                                      contrasts, gamma):
            err = (still_sum + moving_sum) / targets.size
            if err < best["mse"]:
                best = {"alpha_rad_s": float(alpha), "alpha_index": a, "c_on": c_on, "c_off": c_off, "mse": err}
    return best
