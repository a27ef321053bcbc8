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

from evface.errors import ParameterError

LOG_EPS = 1e-3
"""Offset in ``log(linear + LOG_EPS)``: keeps black pixels finite (about 1/1000 of full scale)."""
CONTRAST_GRID = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Contrasts (log units per event) tried by :func:`fit_integration`."""


def copy_keyframe(keyframe: np.ndarray) -> np.ndarray:
    """The keyframe itself, as the reconstruction at the target time."""
    return np.asarray(keyframe, dtype=np.float32).copy()


def rgb_hold(last: np.ndarray) -> np.ndarray:
    """The last RGB frame before the target (a 30 fps camera's best guess without motion model)."""
    return np.asarray(last, dtype=np.float32).copy()


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS optical flow from ``a`` to ``b`` (``a(x) ~ b(x + flow(x))``): float32 (H, W, 2)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    to8 = lambda x: (np.clip(x, 0, 1) * 255).round().astype(np.uint8)  # noqa: E731
    return dis.calc(to8(a), to8(b), None)


def _warp(img: np.ndarray, flow: np.ndarray, scale: float) -> np.ndarray:
    """``img(x + scale * flow(x))``, bilinear, borders replicated."""
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scale = np.float32(scale)
    return cv2.remap(np.asarray(img, np.float32), (xx + scale * flow[..., 0]).astype(np.float32),
                     (yy + scale * flow[..., 1]).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def rgb_flow_extrapolate(prev: np.ndarray, last: np.ndarray, t_prev: np.ndarray, t_last: np.ndarray,
                         t: np.ndarray) -> np.ndarray:
    """Push the last frame on along the motion from ``prev`` to ``last`` (constant velocity).

    Per sample: ``last(x + s * f(x))`` with ``f`` the flow from ``last`` to ``prev`` and ``s =
    (t - t_last) / (t_last - t_prev)``; a sample whose two frames are the same frame is held.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = cv2.GaussianBlur(rng.uniform(0, 1, (48, 48)).astype(np.float32), (0, 0), 2)
    >>> b = np.roll(a, 2, axis=1)  # moved 2 px right in one frame time
    >>> pred = rgb_flow_extrapolate(a[None], b[None], np.array([0]), np.array([10]), np.array([20]))
    >>> bool(np.abs(pred[0] - np.roll(a, 4, axis=1))[8:40, 8:40].mean() < np.abs(b - np.roll(a, 4, axis=1))[8:40, 8:40].mean())
    True
    """
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

    Examples
    --------
    >>> float(rgb_blend(np.zeros((1, 2, 2)), np.ones((1, 2, 2)), np.array([0]), np.array([40]), np.array([10]))[0, 0, 0])
    0.25
    """
    w = _fraction(t_a, t_b, t)[:, None, None]
    return ((1 - w) * a + w * b).astype(np.float32)


def rgb_flow_interpolate(a: np.ndarray, b: np.ndarray, t_a: np.ndarray, t_b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Flow-based frame interpolation: ``(1 - w) a(x - w f) + w b(x + (1 - w) f)``, ``f`` the flow a -> b."""
    w = _fraction(t_a, t_b, t)
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
    keyframe : (..., H, W) grey in [0, 1] (gamma-encoded)
    counts : (..., 2, H, W) from :func:`~evface.events.integration.leaky_counts` (possibly
        resampled to the keyframe's grid)
    gamma : the keyframe's encoding: linear intensity = ``keyframe ** gamma``

    Returns
    -------
    float32 (..., H, W) in [0, 1]

    Examples
    --------
    >>> key = np.array([[0.5]])
    >>> integrate(key, np.zeros((2, 1, 1)), 0.2, 0.2, gamma=2.2)  # no event: the keyframe
    array([[0.5]], dtype=float32)
    >>> integrate(key, np.array([[[1.0]], [[0.0]]]), 0.2, 0.2, gamma=2.2).round(3)  # one ON event: brighter
    array([[0.548]], dtype=float32)
    """
    return _integrate_log(_log_keyframe(keyframe, gamma), counts, c_on, c_off, gamma)


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
    keyframes : (N, H, W)
    counts : (N, n_alpha, 2, H, W), leaked counts for each rate in ``alphas_rad_s``
    targets : (N, H, W)
    gamma : the keyframes' encoding, as in :func:`integrate`

    Returns
    -------
    ``{"alpha_rad_s", "alpha_index", "c_on", "c_off", "mse"}``
    """
    if counts.ndim != 5 or counts.shape[1] != len(alphas_rad_s):
        raise ParameterError(f"counts must be (N, {len(alphas_rad_s)}, 2, H, W), got {counts.shape}")
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
