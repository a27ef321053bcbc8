"""Non-learned reconstruction baselines: keyframe copy and direct event integration with a leak.

Direct integration is the complementary filter of Scheerlinck, Barnes and Mahony (ACCV 2018)
with a single keyframe: the log intensity starts at the keyframe's, ``L(t_key) = L_F``, every
event adds its contrast (``+c_on`` for ON, ``-c_off`` for OFF) and the difference to the
keyframe decays at ``alpha`` rad/s::

    dL/dt = sum_i c_i delta(t - t_i) - alpha * (L - L_F)
    =>  L(t) = L_F + c_on * D_on(t) - c_off * D_off(t),
        D_on(t) = sum over ON events in [t_key, t] of exp(-alpha * (t - t_i))   (likewise OFF)

``D_on``/``D_off`` (:func:`evface.events.integration.leaky_counts`, stored in the
reconstruction samples) do not depend on the contrasts, so the contrasts and the leak can be
fitted on training samples by a small grid search (:func:`fit_integration`). Keyframes are
gamma-encoded grey images in [0, 1]; integration happens on linear intensity ``gray ** gamma``
in log space and the result is gamma-encoded again, with the samples' ``gamma``
(:class:`evface.inputs.reconstruct.ReconSpec`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from evface.errors import ParameterError
from evface.events.integration import ALPHA_GRID_RAD_S

LOG_EPS = 1e-3
"""Offset in ``log(linear + LOG_EPS)``: keeps black pixels finite (about 1/1000 of full scale)."""
CONTRAST_GRID = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Contrasts (log units per event) tried by :func:`fit_integration`."""


def copy_keyframe(keyframe: np.ndarray) -> np.ndarray:
    """The keyframe itself, as the reconstruction at the target time."""
    return np.asarray(keyframe, dtype=np.float32).copy()


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
    key = np.clip(np.asarray(keyframe, dtype=np.float64), 0.0, 1.0)
    log_key = np.log(key**gamma + LOG_EPS)
    log_i = log_key + c_on * counts[..., 0, :, :] - c_off * counts[..., 1, :, :]
    lin = np.clip(np.exp(log_i) - LOG_EPS, 0.0, 1.0)
    return (lin ** (1.0 / gamma)).astype(np.float32)


def fit_integration(
    keyframes: np.ndarray,
    counts: np.ndarray,
    targets: np.ndarray,
    alphas_rad_s: Sequence[float] = ALPHA_GRID_RAD_S,
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
    for a, (c_on, c_off) in itertools.product(range(len(alphas_rad_s)), itertools.product(contrasts, contrasts)):
        err = float(np.mean((integrate(keyframes, counts[:, a], c_on, c_off, gamma) - targets) ** 2))
        if err < best["mse"]:
            best = {"alpha_rad_s": float(alphas_rad_s[a]), "alpha_index": a, "c_on": c_on, "c_off": c_off, "mse": err}
    return best
