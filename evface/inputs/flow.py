"""Onset -> apex motion images: optical flow and strain for frames, signed event counts for events.

The standard strong RGB baseline of micro-expression recognition (OFF-ApexNet, Gan et al. 2019;
STSTNet, Liong et al. 2019) looks at one image: the optical flow from the onset frame to the apex
frame, with the optical strain derived from it. This module makes that image, and finds the apex
from the data itself, the same way for both modalities, so that no input gets a better window:

- frames: the apex is the frame of the window that differs most from the onset frame
  (:func:`frame_apex_index`: mean absolute difference of the face crops, each divided by its own
  mean so that auto-exposure, gain and flicker changes do not count, less the drift from the
  first to the last frame of the window);
- events: the apex is the time at which the face has changed most since the onset, the change
  being each pixel's running sum of event polarities, less the sensor's drift
  (:func:`event_apex_us`): the event-camera analogue of the frame difference.

Flow is one of two methods (:data:`FLOW_METHODS`), both on the 8-bit grey face crops at the
camera's own resolution, from the onset frame to the apex frame, in pixels:

- ``tvl1`` (the default of ``evface train classify --flow``): TV-L1 optical flow (Zach, Pock &
  Bischof 2007), the front end of OFF-ApexNet, STSTNet and the MEGC 2019 baselines, which ran the
  implementation of Pérez, Meinhardt-Llopis & Facciolo (2013; OpenCV's DualTVL1, IPOL's
  ``tvl1flow``). Here it is scikit-image's ``optical_flow_tvl1`` (same algorithm and references;
  OpenCV's is in opencv-contrib only) with OpenCV's settings where scikit-image exposes them
  (:data:`TVL1_SETTINGS`): the data weight lambda 0.15 of OpenCV / IPOL, which weighs 0-255 grey
  levels, is 0.15 x 255 = 38.25 on the [0, 1] levels scikit-image is given (scaling the images by
  ``s`` is scaling lambda by ``s`` in the solver's thresholding step), tightness theta 0.3 and 5
  warps per scale (both the same defaults in either), time step tau 0.25 (fixed in scikit-image,
  OpenCV's default), and the flow median-filtered before each warp (OpenCV's median filtering,
  5x5 there, 3x3 in scikit-image). What stays scikit-image's own: 10 iterations per warp with its
  tolerance 1e-4 (OpenCV: up to 10 x 30 to epsilon 0.01), and its pyramid of halvings down to 16
  pixels (IPOL: zoom 0.5, 5 scales; OpenCV: 0.8, 5 scales).
- ``dis``: OpenCV's DIS (Kroeger et al. 2016, ``DISOPTICAL_FLOW_PRESET_MEDIUM``), about 90 times
  faster; what ``rgb-flow`` ran before TV-L1 (runs trained before 2026-12-07 read as ``dis``).

The reconstruction baselines' DIS warp (:mod:`evface.models.recon_baselines`) is another use and
stays DIS. The strain magnitude is
``sqrt(exx**2 + eyy**2 + 2 * exy**2)`` of ``e = (grad u + grad u^T) / 2`` (Shreve et al. 2011;
Liong et al. 2014). :func:`flow_image` returns ``(u, v, strain)`` on a ``size x size`` grid with
``u, v`` in output pixels.

Examples
--------
A patch moved one pixel to the right between the two frames:

>>> rng = np.random.default_rng(0)
>>> onset = cv2.GaussianBlur(rng.uniform(0, 1, (64, 64)).astype(np.float32), (0, 0), 2)
>>> apex = np.roll(onset, 1, axis=1)
>>> for method in FLOW_METHODS:  # in 32-grid pixels
...     u, v, strain = flow_image(onset, apex, 32, method=method)
...     print(method, round(float(np.median(u[8:24, 8:24])), 1), abs(round(float(np.median(v[8:24, 8:24])), 1)))
tvl1 0.5 0.0
dis 0.5 0.0
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.registration import optical_flow_tvl1

from evface.checks import MAX_SENSOR_SIDE, as_int, finite, real_array, real_dtype, sensor_dims, within_memory
from evface.errors import ParameterError, choose_from
from evface.events.representations import to_event_frames
from evface.inputs.clip_view import resize_area

EVENT_APEX_STEP_US = 5_000
"""Time resolution of the event apex search: 5 ms, the frame period of the fastest (200 fps)
frame camera of the rig, so that events locate the apex no more finely than it can."""


def frame_apex_index(gray: np.ndarray) -> int:
    """Index of the frame of ``gray`` (N, H, W) that differs most from frame 0, the onset.

    Each frame is divided by its mean first (exposure, gain and flicker scale the whole image).
    The face is taken to be back at its onset state in the last frame (the expression's offset,
    or a clip that starts and ends neutral), so the difference between the last and the first
    frame is drift (head motion, slow lighting change) and is removed linearly in time, exactly
    as :func:`event_apex_us` removes the event sensor's drift. The score of a frame is its mean
    absolute difference from ``first + (last - first) * k / (N - 1)``. ``N`` >= 2.

    Parameters
    ----------
    gray : ndarray of real numbers, shape (N, H, W)
        The window's grey face crops, the onset first; N >= 2, all finite.

    Returns
    -------
    int
        Index of the apex frame (0 when no frame differs from the onset).

    Examples
    --------
    >>> g = np.ones((4, 8, 8), np.float32); g[2, :4] = 1.5; g[3] *= 2  # frame 3: only brighter
    >>> frame_apex_index(g)
    2
    >>> g[1, 0, 0] = np.nan  # was taken: the NaN frame's score was NaN, which argmax picks first
    >>> frame_apex_index(g)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: gray holds 1 of 256 values that are not finite numbers (NaN or infinity); the apex is the frame that differs most, which a NaN hides
    """
    g = real_array("gray", gray)
    if g.ndim != 3 or len(g) < 2:
        raise ParameterError(f"frame_apex_index needs (N >= 2, H, W) frames, got shape {g.shape}")
    finite("gray", g, "the apex is the frame that differs most, which a NaN hides")
    g = g / np.maximum(g.mean(axis=(1, 2), keepdims=True), 1e-6)
    drift = (np.arange(len(g), dtype=np.float64) / (len(g) - 1))[:, None, None] * (g[-1] - g[0])
    return int(np.argmax(np.abs(g - g[0] - drift).mean(axis=(1, 2))))


def event_apex_us(events: np.ndarray, size: tuple[int, int], t_start_us: int, t_end_us: int,
                  step_us: int = EVENT_APEX_STEP_US) -> int:
    """Time in ``[t_start_us, t_end_us)`` at which the face differs most from its state at ``t_start_us``.

    Each pixel's net change since ``t_start_us`` is its running sum of event polarities (ON
    minus OFF, in contrast thresholds), sampled at the end of every ``step_us``. The face is
    taken to be back at its onset state at ``t_end_us`` (the expression's offset, or a clip
    that starts and ends neutral), so whatever net change remains there is the sensor's drift
    (leak and background events, mostly ON) and is removed linearly in time from every pixel.
    The apex is the step end where the sum over pixels of the absolute detrended change is
    largest (the first of equals). ``size`` is the ``(width, height)`` grid of ``events``.

    Where no step end differs from the onset (no events in the window, only drift, or a window
    of one step, whose end is the offset), the apex is ``t_start_us`` itself, as
    :func:`frame_apex_index` returns the onset frame when no frame differs: the motion from onset
    to apex is none (was: the end of the first step, a time the data did not pick).

    Parameters
    ----------
    events : ndarray of EVENT_DTYPE
        The clip's events, in time order.
    size : tuple of int
        ``(width, height)`` of the sensor grid of ``events``.
    t_start_us : int
        The onset, µs.
    t_end_us : int
        The offset, µs (>= ``t_start_us``).
    step_us : int, optional
        Time resolution of the search, µs (default :data:`EVENT_APEX_STEP_US`).

    Returns
    -------
    int
        The apex, µs: a step end in ``(t_start_us, t_end_us]``, or ``t_start_us`` when nothing changed.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> t = [1_000, 2_500, 6_000, 7_500, 12_500, 17_000, 17_500, 18_000, 22_500]
    >>> x = [0, 1, 0, 1, 1, 0, 1, 0, 1]
    >>> ev = make_events(t, x, [0] * 9, [1, 1, 1, 1, 1, -1, 1, -1, 1])
    >>> event_apex_us(ev, (2, 1), 0, 25_000)  # pixel 0 up by two and back; pixel 1 drifts up
    10000
    >>> drift = make_events([0, 5_000, 10_000, 15_000, 20_000], [1] * 5, [0] * 5, [1] * 5)  # one ON event a step
    >>> event_apex_us(ev[:0], (2, 1), 0, 25_000), event_apex_us(drift, (2, 1), 0, 25_000)  # no change: the onset
    (0, 0)
    """
    t_start_us, t_end_us = as_int("t_start_us", t_start_us), as_int("t_end_us", t_end_us)
    step_us = as_int("step_us", step_us, 1)
    if t_end_us < t_start_us:
        raise ParameterError(f"t_end_us ({t_end_us}) must be >= t_start_us ({t_start_us})")
    n = max(1, -(-(t_end_us - t_start_us) // step_us))  # whole steps, in integers
    width, height = sensor_dims(size, "size")
    within_memory(n * width * height * EVENT_APEX_BYTES, f"the apex search over {n} steps of step_us {step_us} µs "
                  f"on a {width}x{height} grid", "give a larger step_us or a shorter window")
    counts = to_event_frames(events, size, n, int(t_start_us), int(t_start_us) + n * step_us).astype(np.int64)
    net = np.cumsum(counts[:, 0] - counts[:, 1], axis=0).reshape(n, -1).astype(np.float64)
    # n times the detrended change, net - (k / n) * net[-1] at step end k: whole numbers, so that
    # no rounding makes a change out of none
    change = np.abs(n * net - np.arange(1, n + 1, dtype=np.float64)[:, None] * net[-1]).sum(axis=1)
    k = int(np.argmax(change))
    return min(int(t_start_us) + (k + 1) * step_us, int(t_end_us)) if change[k] > 0 else int(t_start_us)


EVENT_APEX_BYTES = 64
"""Bytes :func:`event_apex_us` holds per step and pixel at its peak (49 measured: the count frames,
their int64 copy, the running sums and the detrended change), checked against the memory first."""


FLOW_IMAGE_BYTES = 48
"""Bytes :func:`flow_image` holds per output pixel at its peak (36 measured: the resized channels,
their stack and the scaled flow), checked against the memory first (size 65536 was OpenCV's
"Insufficient memory")."""


DIS_MIN_SIDE = 16
"""The smallest image side given to OpenCV's DIS optical flow: it refuses sides under 12 (its own
error says "width or height"; both must be), and ended the whole process (a segmentation fault)
on images 12 to 15 pixels high and some 40 wide (12 x 40, 15 x 64)."""


FLOW_METHODS = ("tvl1", "dis")
"""The optical flow methods of :func:`flow_image`: TV-L1 (the micro-expression field's standard)
and OpenCV's DIS (what ``rgb-flow`` ran before, 2026-11-30 to 2026-12-06)."""

TVL1_SETTINGS = {"attachment": 0.15 * 255, "tightness": 0.3, "num_warp": 5, "num_iter": 10, "tol": 1e-4,
                 "prefilter": True}
"""scikit-image ``optical_flow_tvl1``'s settings for :func:`tvl1_flow`: OpenCV DualTVL1's lambda 0.15
(on 0-255 grey levels, so 38.25 on [0, 1]), theta 0.3, 5 warps and median filtering; the iterations
and tolerance are scikit-image's defaults (the module's docstring says what differs)."""


def check_flow(method: object, name: str = "method") -> str:
    """``method`` if it is one of :data:`FLOW_METHODS`, else a ParameterError naming ``name``.

    Parameters
    ----------
    method : object
        The optical flow to check: any value, as a received config.json holds it (``None``, a number).
    name : str, optional
        The option or argument the error names (default ``"method"``).

    Returns
    -------
    str
        ``method``.

    Examples
    --------
    >>> check_flow("dis")
    'dis'
    >>> check_flow("farneback", "flow")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: flow must be one of the optical flows, not 'farneback'; choose from tvl1, dis
    """
    if not isinstance(method, str) or method not in FLOW_METHODS:
        raise ParameterError(f"{name} must be one of the optical flows, not {method!r}; {choose_from(FLOW_METHODS)}")
    return method


def _dis() -> cv2.DISOpticalFlow:
    return cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


GREY_TOLERANCE = 1e-6
"""How far past [0, 1] the grey levels of :func:`dense_flow` and :func:`tvl1_flow` may lie (then clipped):
the rounding of a float32 average, not images in other units."""


def _grey_levels(name: str, x: np.ndarray) -> np.ndarray:
    """Finite real ``x`` as 8-bit grey levels, or a ParameterError naming ``name`` where it lies outside
    [0, 1] (:data:`GREY_TOLERANCE`; was clipped without a word, so 8-bit frames of 0..255 all but
    saturated and the flow said nothing moved)."""
    low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    if low < -GREY_TOLERANCE or high > 1 + GREY_TOLERANCE:
        raise ParameterError(f"{name} must hold grey levels in [0, 1], got {low:g}..{high:g} (8-bit frames: divide by 255)")
    return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)


FLOW_BYTES = {"tvl1": 160, "dis": 80}
"""Bytes each optical flow holds per image pixel at its peak (the growth of the process's peak resident
memory at 2048 x 2048: TV-L1 139, its pyramid, warps and dual variables in float32; DIS 60), checked
against the memory first (was: no check, 10^4 x 10^4 images set TV-L1 to hold 13 GiB)."""


def _grey_pair(onset: np.ndarray, apex: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """``onset`` and ``apex`` as 8-bit grey images of one shape, each side at least :data:`DIS_MIN_SIDE`
    (both flows take the same pixels), or a ParameterError naming the argument; a pair whose flow
    ``method`` would take more than half the memory (:data:`FLOW_BYTES`) is refused first."""
    arrays = {name: real_array(name, x) for name, x in (("onset", onset), ("apex", apex))}
    pixels = max(x.size for x in arrays.values())
    within_memory(FLOW_BYTES[method] * pixels, f"the {method} optical flow of images of {pixels} pixels",
                  "shrink the images first")
    pair = {name: finite(name, x, "optical flow needs grey levels") for name, x in arrays.items()}
    a, b = (_grey_levels(name, x) for name, x in pair.items())
    if a.shape != b.shape or a.ndim != 2:
        raise ParameterError(f"onset and apex must be grey images of one shape, got {a.shape} and {b.shape}")
    if min(a.shape) < DIS_MIN_SIDE:
        raise ParameterError(f"optical flow needs images of at least {DIS_MIN_SIDE}x{DIS_MIN_SIDE} pixels, got {a.shape}")
    return a, b


def dense_flow(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """DIS optical flow (H, W, 2) in pixels from grey ``onset`` to ``apex`` (floats in [0, 1]).

    Parameters
    ----------
    onset : ndarray of float, shape (H, W)
        The onset frame, grey levels in [0, 1] (8-bit frames divided by 255; values outside
        [0, 1] are a ParameterError); H and W at least :data:`DIS_MIN_SIDE`.
    apex : ndarray of float, shape (H, W)
        The apex frame, same shape.

    Returns
    -------
    ndarray of float32, shape (H, W, 2)
        The displacement ``(u, v)`` of each pixel, in pixels (``u`` right, ``v`` down).

    Examples
    --------
    >>> yy, xx = np.mgrid[0:64, 0:64]
    >>> onset = 0.5 + 0.25 * np.sin(xx / 4.0) * np.cos(yy / 5.0)
    >>> apex = 0.5 + 0.25 * np.sin((xx - 2) / 4.0) * np.cos(yy / 5.0)  # the pattern moved 2 px right
    >>> flow = dense_flow(onset, apex)
    >>> u, v = np.median(flow[16:48, 16:48], axis=(0, 1))
    >>> flow.shape, round(float(u), 1), abs(float(v)) < 0.1
    ((64, 64, 2), 2.0, True)
    """
    a, b = _grey_pair(onset, apex, "dis")
    return _dis().calc(a, b, None)  # type: ignore[call-overload]  # cv2's stubs omit None, a new flow array


def tvl1_flow(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """TV-L1 optical flow (H, W, 2) in pixels from grey ``onset`` to ``apex`` (floats in [0, 1]),
    in :func:`dense_flow`'s convention: scikit-image's ``optical_flow_tvl1`` (:data:`TVL1_SETTINGS`)
    returns ``(v, u)`` (rows, then columns) with ``onset(x) = apex(x + flow)``, as DIS's; it is given
    the same 8-bit grey levels as DIS, divided by 255.

    Parameters
    ----------
    onset : ndarray of float, shape (H, W)
        The onset frame, grey levels in [0, 1] (8-bit frames divided by 255; values outside
        [0, 1] are a ParameterError); H and W at least :data:`DIS_MIN_SIDE`.
    apex : ndarray of float, shape (H, W)
        The apex frame, same shape.

    Returns
    -------
    ndarray of float32, shape (H, W, 2)
        The displacement ``(u, v)`` of each pixel, in pixels (``u`` right, ``v`` down).

    Examples
    --------
    A pattern moved 2 px right and 1 px up: both methods say ``u`` = +2, ``v`` = -1:

    >>> yy, xx = np.mgrid[0:64, 0:64]
    >>> onset = 0.5 + 0.25 * np.sin(xx / 4.0) * np.cos(yy / 5.0)
    >>> apex = 0.5 + 0.25 * np.sin((xx - 2) / 4.0) * np.cos((yy + 1) / 5.0)
    >>> for flow in (tvl1_flow(onset, apex), dense_flow(onset, apex)):
    ...     u, v = np.median(flow[16:48, 16:48], axis=(0, 1))
    ...     print(flow.shape, flow.dtype, round(float(u), 1), round(float(v), 1))
    (64, 64, 2) float32 2.0 -1.0
    (64, 64, 2) float32 2.0 -1.0
    """
    a, b = _grey_pair(onset, apex, "tvl1")
    v, u = optical_flow_tvl1(a / np.float32(255), b / np.float32(255), dtype=np.float32, **TVL1_SETTINGS)
    return np.stack([u, v], axis=-1).astype(np.float32)


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """Strain magnitude (H, W) of a flow field (H, W, 2): ``sqrt(exx^2 + eyy^2 + 2 exy^2)``.

    Parameters
    ----------
    flow : ndarray of float, shape (H, W, 2)
        A flow field ``(u, v)`` in pixels, finite; H and W >= 2.

    Returns
    -------
    ndarray of float32, shape (H, W)
        The strain magnitude, no unit.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:8, 0:8].astype(np.float32)
    >>> round(float(optical_strain(np.stack([0.1 * xx, 0 * yy], -1)).mean()), 3)  # a 10 % stretch along x
    0.1
    """
    flow = np.asarray(flow)  # computed in its own float type: a float32 field (dense_flow's) stays float32
    if not real_dtype(flow.dtype):
        raise ParameterError(f"flow must hold real numbers, got {flow.dtype} {flow.shape}")
    if flow.ndim != 3 or flow.shape[2] != 2 or min(flow.shape[:2]) < 2:
        raise ParameterError(f"flow must be a flow field (H, W, 2), H and W >= 2, got {flow.shape}")
    finite("flow", flow, "the strain of a NaN flow is NaN about it")  # was NaN at its neighbours, without a word
    du_dy, du_dx = np.gradient(flow[..., 0])
    dv_dy, dv_dx = np.gradient(flow[..., 1])
    exy = 0.5 * (du_dy + dv_dx)
    return np.sqrt(du_dx**2 + dv_dy**2 + 2 * exy**2).astype(np.float32)


def flow_image(onset: np.ndarray, apex: np.ndarray, size: int, method: str = "tvl1") -> np.ndarray:
    """``(u, v, strain)`` (3, size, size) float32 from grey ``onset`` to ``apex`` (H, W).

    Flow (:func:`tvl1_flow` or :func:`dense_flow`, by ``method``) and strain are computed at the
    images' own resolution, then shrunk (or grown) to ``size x size``; ``u`` and ``v`` are rescaled
    to output pixels, strain has no unit.

    Parameters
    ----------
    onset : ndarray of float, shape (H, W)
        The onset frame, grey levels in [0, 1] (values outside are a ParameterError).
    apex : ndarray of float, shape (H, W)
        The apex frame, same shape.
    size : int
        Side of the output grid, pixels (1 to the largest sensor side).
    method : {'tvl1', 'dis'}, default 'tvl1'
        The optical flow (:data:`FLOW_METHODS`).

    Returns
    -------
    ndarray of float32, shape (3, size, size)
        ``u`` and ``v`` in output pixels, then the strain magnitude.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:64, 0:64]
    >>> onset = 0.5 + 0.25 * np.sin(xx / 4.0) * np.cos(yy / 5.0)
    >>> apex = 0.5 + 0.25 * np.sin((xx - 2) / 4.0) * np.cos(yy / 5.0)  # the pattern moved 2 px right
    >>> image = flow_image(onset, apex, 16)
    >>> image.shape, image.dtype, round(float(np.median(image[0, 4:12, 4:12])), 1)  # 2 px of 64 = 0.5 px of 16
    ((3, 16, 16), dtype('float32'), 0.5)
    >>> flow_image(onset, apex, 16, method="farneback")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: method must be one of the optical flows, not 'farneback'; choose from tvl1, dis
    >>> flow_image(onset * 255, apex * 255, 16)  # 8-bit levels: were clipped, a flow of none
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: onset must hold grey levels in [0, 1], got 63.7506..191.23 (8-bit frames: divide by 255)
    """
    size = as_int("size", size, 1, MAX_SENSOR_SIDE)
    method = check_flow(method)
    within_memory(FLOW_IMAGE_BYTES * size**2, f"a flow image of size {size}", "give a smaller size")
    flow = tvl1_flow(onset, apex) if method == "tvl1" else dense_flow(onset, apex)
    h, w = flow.shape[:2]
    strain = optical_strain(flow)
    u, v, s = resize_area(np.stack([flow[..., 0], flow[..., 1], strain]), size)
    return np.stack([u * (size / w), v * (size / h), s]).astype(np.float32)
