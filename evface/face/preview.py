"""Contact sheets of faces, action units, head poses and gaze, for looking at what the rig films.

Examples
--------
>>> from evface.face.identity import procedural_identity
>>> sheet = contact_sheet([procedural_identity(0)], [{}, {12: 1.0}, {61: 0.5}, {}], size=64,
...                       poses=[FacePose(), FacePose(), FacePose(), FacePose(yaw_deg=4.0)])
>>> sheet.shape, sheet.dtype
((64, 256, 3), dtype('uint8'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from evface.checks import as_int, as_real, finite, real_dtype
from evface.errors import ParameterError
from evface.face.identity import Identity
from evface.face.head_pose import FacePose
from evface.face.render import FaceRenderer


def to_srgb8(reflectance: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Linear reflectance ``(H, W, 3)`` -> 8-bit sRGB-like image (gamma 2.2), RGB order; ``gain``
    (a finite number >= 0) multiplies the reflectance first. A ParameterError for a reflectance of
    no real numbers, or holding NaN or infinity.

    Examples
    --------
    >>> to_srgb8(np.array([[[0.0, 0.18, 1.0]]])).tolist(), to_srgb8(np.array([[[0.5, 0.5, 0.5]]]), gain=4).tolist()
    ([[[0, 117, 255]]], [[[255, 255, 255]]])
    >>> to_srgb8(np.array([[[0.0, 1e-30, 0.5]]]), gain=1e308).tolist()
    [[[0, 255, 255]]]
    >>> to_srgb8(np.array([[[0.5, np.nan, 0.5]]]))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: reflectance holds 1 of 3 values that are not finite numbers (NaN or infinity); an 8-bit image has no value for them
    """
    gain = as_real("gain", gain, 0.0, np.inf)  # was: nan drew every pixel black
    image = np.asarray(reflectance)
    if not real_dtype(image.dtype):  # was: a complex image drawn from its real part, a str a ValueError
        raise ParameterError(f"reflectance must be an array of numbers, got dtype {image.dtype}")
    finite("reflectance", image, "an 8-bit image has no value for them")  # was: NaN drawn as 0, black
    # a gain beyond float32 (1e308) was inf, and 0 x inf NaN: NumPy's warnings and NaN cast to uint8
    gain32 = np.float32(min(gain, float(np.finfo(np.float32).max)))
    with np.errstate(over="ignore"):  # a product beyond float32 is inf, clipped to 1 as it should be
        v = np.clip(image.astype(np.float32) * gain32, 0.0, 1.0) ** (1.0 / 2.2)
    return (v * 255.0 + 0.5).astype(np.uint8)


def contact_sheet(
    identities: Sequence[Identity],
    expressions: Sequence[Mapping[int | str, float]],
    size: int = 192,
    poses: Sequence[FacePose] | None = None,
    difference_gain: float = 0.0,
) -> np.ndarray:
    """One row per identity, one column per AU mapping (AU keys as :func:`evface.face.aus.check_aus`
    takes them: gaze is AU61-64), each at its head pose from ``poses`` (default: all frontal);
    uint8 RGB ``(rows*size, cols*size, 3)``.

    With ``difference_gain > 0`` every column after the first shows the absolute difference to the
    first column, multiplied by the gain (micro-expressions are hard to see otherwise).

    Examples
    --------
    A neutral face and the difference AU12 makes to it, four times brighter:

    >>> from evface.face.identity import procedural_identity
    >>> sheet = contact_sheet([procedural_identity(0)], [{}, {12: 1.0}], size=32, difference_gain=4)
    >>> sheet.shape, int(sheet[:, :32].max()), int(sheet[:, 32:].max())
    ((32, 64, 3), 209, 86)
    >>> contact_sheet([procedural_identity(0)], [{}], poses=[])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: contact_sheet: 0 poses for 1 expressions
    """
    if not identities or not expressions:
        raise ParameterError("contact_sheet: expected at least one identity and one expression")
    size = as_int("size", size, 16)  # was: '64' a TypeError
    try:
        as_real("difference_gain", difference_gain, 0.0, np.inf)  # was: '1' a NumPy TypeError
    except ParameterError:
        raise ParameterError(f"difference_gain: expected a number >= 0 (0 = off), got {difference_gain!r}") from None
    poses = [FacePose()] * len(expressions) if poses is None else list(poses)
    if len(poses) != len(expressions):
        raise ParameterError(f"contact_sheet: {len(poses)} poses for {len(expressions)} expressions")
    rows = []
    for ident in identities:
        r = FaceRenderer(ident, (size, size))
        imgs = [r.render(aus, pose) for aus, pose in zip(expressions, poses, strict=True)]
        tiles = [to_srgb8(imgs[0])]
        for img in imgs[1:]:
            tiles.append(to_srgb8(np.abs(img - imgs[0]), difference_gain) if difference_gain > 0 else to_srgb8(img))
        rows.append(np.hstack(tiles))
    return np.vstack(rows)
