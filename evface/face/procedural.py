"""Rasterise a procedural identity: albedo of skin, hair, brows, eyes, nose, lips, glasses, shaded
by a directional key light plus ambient (Lambertian on a height field of the face).

Everything is drawn in face-normalised coordinates ``(u, v)`` given per pixel, so the same face
rendered at two canvas sizes is the same view at two resolutions (noise lives on fixed lattices
in face units, not in pixels).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from evface.face import au_eyes, au_motion
from evface.face.identity import Identity

_LATTICE_EXTENT = (-2.0, 2.2)  # face units covered by the noise lattices (u and v)


def _noise(seed: int, u: np.ndarray, v: np.ndarray, cell_fw: float) -> np.ndarray:
    """Zero-mean unit-ish value noise with feature size ``cell_fw`` face widths, bilinear."""
    lo, hi = _LATTICE_EXTENT
    n = int(np.ceil((hi - lo) / cell_fw)) + 2
    lat = np.random.default_rng(seed).standard_normal((n, n)).astype(np.float32)
    mx = ((u - lo) / cell_fw).astype(np.float32)
    my = ((v - lo) / cell_fw).astype(np.float32)
    return cv2.remap(lat, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def _fill(d: np.ndarray, px: float) -> np.ndarray:
    """Anti-aliased coverage of a region given its signed distance ``d`` (negative inside)."""
    return np.clip(0.5 - d / px, 0.0, 1.0)


def _ellipse_d(u, v, cu, cv, a, b):
    return (np.sqrt(((u - cu) / a) ** 2 + ((v - cv) / b) ** 2) - 1.0) * min(a, b)


def _over(layer, col, m):
    """Paint colour ``col`` (..., 3) with coverage ``m`` over premultiplied RGBA ``layer``."""
    m = m[..., None]
    layer[..., :3] = layer[..., :3] * (1 - m) + np.asarray(col, np.float32) * m
    layer[..., 3:] = layer[..., 3:] * (1 - m) + m


def _polyline_d(u, v, pts):
    best = np.full(u.shape, np.inf)
    tpos = np.zeros(u.shape)
    seg_len = np.hypot(*np.diff(pts, axis=0).T)
    acc = np.concatenate([[0.0], np.cumsum(seg_len)]) / seg_len.sum()
    for i in range(len(pts) - 1):
        a, b = pts[i], pts[i + 1]
        ab = b - a
        t = np.clip(((u - a[0]) * ab[0] + (v - a[1]) * ab[1]) / (ab @ ab), 0, 1)
        d = np.hypot(u - a[0] - t * ab[0], v - a[1] - t * ab[1])
        closer = d < best
        best = np.where(closer, d, best)
        tpos = np.where(closer, acc[i] + t * (acc[i + 1] - acc[i]), tpos)
    return best, tpos


def _window(u0, v0, px, box):
    """Slices of the pixel grid covering the face-unit box (u_min, u_max, v_min, v_max)."""
    x0 = int(np.floor((box[0] - u0) / px)) - 1
    x1 = int(np.ceil((box[1] - u0) / px)) + 2
    y0 = int(np.floor((box[2] - v0) / px)) - 1
    y1 = int(np.ceil((box[3] - v0) / px)) + 2
    return slice(max(y0, 0), max(y1, 0)), slice(max(x0, 0), max(x1, 0))


def head_outline_d(u, v, p):
    """Signed distance (face units, approximate) of the face outline (forehead to chin).

    Examples
    --------
    Inside at the face centre, on the outline at the chin and at the widest point (half a face
    width out, just below the eyes):

    >>> from evface.face.identity import procedural_identity
    >>> p = procedural_identity(0).params
    >>> head_outline_d(np.array([0.0, 0.0, 0.5]), np.array([0.0, p["chin_v"], p["eye_v"] + 0.05]), p).round(3).tolist()
    [-0.465, 0.0, 0.0]
    """
    c0 = p["eye_v"] + 0.05
    n = p["jaw_n"]
    lower = (np.abs(u / 0.5) ** n + np.abs((v - c0) / (p["chin_v"] - c0)) ** n) ** (1 / n)
    upper = np.sqrt((u / 0.5) ** 2 + ((v - c0) / (c0 - p["head_top_v"])) ** 2)
    r = np.where(v > c0, lower, upper)
    return (r - 1.0) * 0.5


def height_field(u, v, p, lm):
    """Face relief (face units) used for Lambertian shading.

    Examples
    --------
    The nose tip stands out from the mouth; the cheek beyond the face is flat:

    >>> from evface.face.identity import procedural_identity
    >>> ident = procedural_identity(0)
    >>> tip_v = ident.landmarks["nose"][1, 1]
    >>> height_field(np.array([0.0, 0.0, 0.9]), np.array([tip_v, 0.3, 0.0]), ident.params, ident.landmarks).round(3).tolist()
    [0.44, 0.339, 0.0]
    """
    c0 = p["eye_v"] + 0.05
    r2 = (u / 0.55) ** 2 + ((v - c0) / np.where(v > c0, p["chin_v"] - c0 + 0.12, 0.95)) ** 2
    z = 0.35 * np.sqrt(np.clip(1.0 - r2, 0.0, None))
    g = lambda cu, cv, su, sv: np.exp(-0.5 * (((u - cu) / su) ** 2 + ((v - cv) / sv) ** 2))  # noqa: E731
    nose = lm["nose"]
    tip_v = nose[1, 1]
    ramp = np.clip((v - p["eye_v"]) / (tip_v - p["eye_v"]), 0, 1) * 0.8 + 0.2
    ramp = np.where(v > tip_v, np.exp(-0.5 * ((v - tip_v) / 0.02) ** 2), ramp)
    z += 0.07 * np.exp(-0.5 * (u / 0.024) ** 2) * ramp * (v > p["eye_v"] - 0.06)
    z += 0.03 * g(0.0, tip_v, 0.03, 0.025)
    for i in (2, 3):
        z += 0.018 * g(nose[i, 0] * 0.8, nose[i, 1], 0.022, 0.02)
    for s in ("l", "r"):
        e = lm[f"iris_{s}"][0]
        z -= 0.06 * g(e[0], e[1], 0.075, 0.05)
        b = lm[f"brow_{s}"][2]
        z += 0.02 * g(b[0], b[1], 0.12, 0.03)
        ch = lm[f"cheek_{s}"][0]
        z += 0.025 * g(ch[0] * 1.1, ch[1], 0.07, 0.06)
    m = lm["mouth"]
    z += 0.02 * g(0.0, m[4, 1], 0.13, 0.045)
    z += 0.025 * g(0.0, lm["chin"][0, 1] + 0.03, 0.07, 0.05)
    z -= 0.012 * g(0.0, m[3, 1] + 0.03, 0.08, 0.012)
    return z


@dataclass(frozen=True)
class _Grid:
    """The pixel grid being drawn: face coordinates ``u``, ``v`` per pixel and one pixel ``px``."""

    u: np.ndarray
    v: np.ndarray
    px: float

    def window(self, box) -> tuple[slice, slice]:
        """Slices of the grid covering the face-unit box (u_min, u_max, v_min, v_max)."""
        return _window(float(self.u[0, 0]), float(self.v[0, 0]), self.px, box)


@dataclass(frozen=True)
class _Textures:
    """Albedo of skin and hair (H, W, 3) and the noise fields the features reuse (H, W)."""

    skin: np.ndarray
    hair: np.ndarray
    n_mid: np.ndarray
    strands: np.ndarray


def draw_procedural(identity: Identity, u: np.ndarray, v: np.ndarray, px: float):
    """Rasterise ``identity`` on the pixel grid ``(u, v)`` (face units per pixel, ``px`` = one pixel).

    Returns
    -------
    rgba : float32 (H, W, 4)
        Premultiplied shaded reflectance of the head (alpha 0 outside it).
    background : float32 (H, W, 3)
        The static background behind the head.
    glasses : ((slice, slice), float32 (h, w, 4)) or None
        Premultiplied RGBA of the glasses in a window of the grid: rigid with the head, so the
        renderer composites them after the AU warp.

    Examples
    --------
    A 40 x 40 grid of 0.05 face widths centred on the face:

    >>> from evface.face.identity import procedural_identity
    >>> v, u = np.mgrid[-1:1:0.05, -1:1:0.05]
    >>> rgba, background, glasses = draw_procedural(procedural_identity(0), u, v, 0.05)
    >>> rgba.shape, background.shape, float(rgba[20, 20, 3]), float(rgba[0, 0, 3])  # alpha: face centre, corner
    ((40, 40, 4), (40, 40, 3), 1.0, 0.0)
    >>> glasses is not None  # proc-0000 wears glasses
    True
    """
    p: Mapping[str, Any] = identity.params  # numbers, names and tuples (procedural_identity)
    lm = identity.landmarks
    seed = int(p["texture_seed"])
    grid = _Grid(u, v, px)
    bg = _background(grid, p, seed)
    tex = _textures(grid, p, lm, seed)
    layer = np.zeros(u.shape + (4,), np.float32)
    cranium_d = _cranium_d(grid, p)

    # Albedo, back to front.
    _draw_long_hair(layer, grid, p, cranium_d, tex.hair)
    _draw_neck_and_clothes(layer, grid, p, seed, tex)
    _draw_ears(layer, grid, p, tex.skin)
    face_m = _draw_face_skin(layer, grid, p, cranium_d, tex.skin)
    _draw_nasolabial_folds(layer, grid, lm, face_m)
    _draw_front_hair(layer, grid, p, seed, cranium_d, face_m, tex.hair)
    _draw_brows(layer, grid, p, lm, tex)
    for s in ("l", "r"):
        _draw_eye(layer, grid, p, lm, s)
    _draw_nose(layer, grid, p, lm)
    _draw_lips(layer, grid, p, lm, tex.n_mid)
    glasses = _draw_glasses(grid, p, lm)

    # Shading: ambient occlusion, the key light on the face relief, the skin's sheen.
    _occlude_eye_sockets(layer, grid, lm)
    normals = _surface_normals(grid, p, lm)
    light = _key_light(p)
    shade = _lambert_shade(normals, light, float(p["ambient"]))
    layer[..., :3] *= shade
    layer[..., :3] += _specular_sheen(normals, light, p, face_m)[..., None] * layer[..., 3:]
    if glasses is not None:
        sl, g_layer = glasses
        g_layer[..., :3] *= shade[sl]
        glasses = (sl, np.clip(g_layer, 0.0, 1.0))
    return np.clip(layer, 0.0, 1.0), np.clip(bg, 0.0, 1.0), glasses


def _background(grid: _Grid, p, seed: int) -> np.ndarray:
    """The static backdrop: the identity's colour, darker towards the top, with a faint blotch noise."""
    u, v = grid.u, grid.v
    return np.asarray(p["background_rgb"], np.float32) * (1.0 + 0.08 * v + 0.03 * _noise(seed + 1, u, v, 0.6))[..., None]


def _textures(grid: _Grid, p, lm, seed: int) -> _Textures:
    """Skin albedo (low, mid and pore noise, red cheeks) and hair albedo (strands along the head)."""
    u, v = grid.u, grid.v
    skin = np.asarray(p["skin_rgb"], np.float32)
    hair = np.asarray(p["hair_rgb"], np.float32)
    n_low = _noise(seed + 2, u, v, 0.15)
    n_mid = _noise(seed + 3, u, v, 0.05)
    n_pore = _noise(seed + 4, u, v, 0.007)
    skin_tex = skin * (1.0 + 0.035 * n_low + 0.02 * n_mid + 0.018 * n_pore)[..., None]
    red = np.zeros(u.shape, np.float32)
    for s in ("l", "r"):
        ch = lm[f"cheek_{s}"][0]
        red += np.exp(-0.5 * (((u - ch[0]) / 0.08) ** 2 + ((v - ch[1] - 0.03) / 0.06) ** 2))
    skin_tex = skin_tex * (1.0 + 0.06 * red[..., None] * np.array([0.6, -0.5, -0.4], np.float32))
    strands = _noise(seed + 5, u * 6.0, v * 0.7, 0.03)
    hair_tex = hair * (1.0 + 0.25 * strands + 0.1 * n_low)[..., None]
    hair_tex = np.clip(hair_tex, 0, 1)
    return _Textures(skin_tex, hair_tex, n_mid, strands)


def _cranium_d(grid: _Grid, p) -> np.ndarray:
    """Signed distance of the cranium, the ellipse of the head above the eyes that the hair covers."""
    c0 = p["eye_v"] + 0.05
    return _ellipse_d(grid.u, grid.v, 0.0, c0, 0.56, c0 - p["head_top_v"] + 0.05)


def _draw_long_hair(layer, grid: _Grid, p, cranium_d, hair_tex) -> None:
    """Hair falling behind the face to the chin (style 1) or the shoulders (style 2)."""
    style = int(p["hair_style"])
    if style not in (1, 2):
        return
    u, v = grid.u, grid.v
    c0 = p["eye_v"] + 0.05
    reach = 0.35 if style == 1 else 1.05
    sides = np.maximum(np.abs(u) - 0.58 + 0.08 * np.clip(v - c0, 0, None), c0 - v)
    d_back = np.maximum(np.minimum(cranium_d, sides), v - (c0 + reach))
    _over(layer, hair_tex * 0.8, _fill(d_back, grid.px))


def _draw_neck_and_clothes(layer, grid: _Grid, p, seed: int, tex: _Textures) -> None:
    """The neck below the face, then clothes of a random colour over the shoulders."""
    u, v, px = grid.u, grid.v, grid.px
    c0 = p["eye_v"] + 0.05
    neck_d = np.maximum(np.abs(u) - 0.27 - 0.25 * np.clip(v - p["chin_v"] - 0.2, 0, None), c0 + 0.2 - v)
    _over(layer, tex.skin * 0.8, _fill(neck_d, px))
    clothes_rgb = np.random.default_rng(seed + 6).uniform(0.05, 0.6, 3).astype(np.float32)
    shoulder_v = p["chin_v"] + 0.3 + 0.35 * np.clip(np.abs(u) - 0.25, 0, None)
    _over(layer, clothes_rgb * (1 + 0.05 * tex.n_mid[..., None]), _fill(shoulder_v - v, px) * _fill(np.abs(u) - 1.6, px))


def _draw_ears(layer, grid: _Grid, p, skin_tex) -> None:
    """Two ellipses of skin at the sides of the head, level with the eyes."""
    for s in (-1.0, 1.0):
        _over(layer, skin_tex * 0.9, _fill(_ellipse_d(grid.u, grid.v, s * 0.49, p["eye_v"] + 0.1, 0.055, 0.11), grid.px))


def _draw_face_skin(layer, grid: _Grid, p, cranium_d, skin_tex) -> np.ndarray:
    """The skin of the face inside its outline (and of the scalp if shaved); returns its coverage."""
    c0 = p["eye_v"] + 0.05
    face_d = head_outline_d(grid.u, grid.v, p)
    if int(p["hair_style"]) == 3:  # shaved: the scalp is skin, drawn under the face so no seam shows
        face_d = np.minimum(face_d, np.where(grid.v < c0, cranium_d, face_d))
    face_m = _fill(face_d, grid.px)
    _over(layer, skin_tex, face_m)
    return face_m


def _draw_nasolabial_folds(layer, grid: _Grid, lm, face_m) -> None:
    """Faint neutral folds from the nose wings down to beside the mouth corners."""
    for s in ("l", "r"):
        sg = -1.0 if s == "l" else 1.0
        a = lm["nose"][2 if s == "l" else 3] + [sg * 0.02, 0.0]
        b = lm["mouth"][0 if s == "l" else 1] + [sg * 0.03, 0.04]
        sl = grid.window((min(a[0], b[0]) - 0.04, max(a[0], b[0]) + 0.04, a[1] - 0.03, b[1] + 0.03))
        d, t = _polyline_d(grid.u[sl], grid.v[sl], np.array([a, b]))
        layer[sl][..., :3] *= (1.0 - 0.06 * np.exp(-0.5 * (d / 0.008) ** 2) * np.sin(np.pi * t) * face_m[sl])[..., None]


def _draw_front_hair(layer, grid: _Grid, p, seed: int, cranium_d, face_m, hair_tex) -> None:
    """Hair in front: the cap above a ragged hairline, and the cranium outside the face outline."""
    u, v, px = grid.u, grid.v, grid.px
    c0 = p["eye_v"] + 0.05
    hl = p["hairline_v"] + 0.35 * u**2 - 0.04 * np.exp(-0.5 * ((np.abs(u) - 0.3) / 0.06) ** 2)
    hl = hl + 0.015 * _noise(seed + 7, u, v * 0.2, 0.05)
    if int(p["hair_style"]) != 3:
        hair_front = _fill(cranium_d, px) * np.maximum(_fill(v - hl, 1.5 * px), 1.0 - face_m) * (v < c0 + 0.02)
        _over(layer, hair_tex, hair_front)


def _draw_brows(layer, grid: _Grid, p, lm, tex: _Textures) -> None:
    """Each brow: a stroke along its landmarks, thinning to the tail, with sparse hairs."""
    skin = np.asarray(p["skin_rgb"], np.float32)
    hair = np.asarray(p["hair_rgb"], np.float32)
    brow_col = np.minimum(np.minimum(hair * 0.85, 0.12), skin * 0.4) if int(p["hair_style"]) != 3 else skin * 0.3
    for s in ("l", "r"):
        pts = lm[f"brow_{s}"]
        box = (pts[:, 0].min() - 0.05, pts[:, 0].max() + 0.05, pts[:, 1].min() - 0.05, pts[:, 1].max() + 0.05)
        sl = grid.window(box)
        d, t = _polyline_d(grid.u[sl], grid.v[sl], pts)
        half = 0.5 * p["brow_thick"] * (1.15 - 0.7 * t**1.5)
        dens = np.clip(0.85 + 0.25 * tex.strands[sl], 0, 1)
        m = _fill(d - half, grid.px * 1.5) * dens
        _over(layer[sl], brow_col * (1 + 0.2 * tex.n_mid[sl][..., None]), m)


@dataclass(frozen=True)
class _EyeView:
    """One eye's window of the grid: its pixels (``uu``, ``vv``) and the lids over them, as
    :func:`evface.face.au_eyes.eye_geometry` gives them (``inside`` the eye's width, the upper and
    lower lid ``v_top``, ``v_bot`` and the lid profile ``prof``)."""

    uu: np.ndarray
    vv: np.ndarray
    inside: np.ndarray
    v_top: np.ndarray
    v_bot: np.ndarray
    prof: np.ndarray


def _draw_eye(layer, grid: _Grid, p, lm, s: str) -> None:
    """Eye ``s`` ("l" or "r"): lid skin and crease, the eyeball in the opening, the lash lines."""
    e = lm[f"eye_{s}"]
    box = (e[:, 0].min() - 0.03, e[:, 0].max() + 0.03, e[:, 1].min() - 0.07, e[:, 1].max() + 0.03)
    sl = grid.window(box)
    uu = grid.u[sl]
    eye = _EyeView(uu, grid.v[sl], *au_eyes.eye_geometry(lm, s, uu))
    sub = layer[sl]
    _shade_lid(sub, eye)
    d_open = np.where(eye.inside, np.maximum(eye.v_top - eye.vv, eye.vv - eye.v_bot), 1.0)
    _over(sub, _eyeball_colour(eye, p, e, lm[f"iris_{s}"][0], grid.px), _fill(d_open, grid.px))
    _draw_lash_lines(sub, eye, e, s, np.asarray(p["skin_rgb"], np.float32), grid.px)


def _shade_lid(sub, eye: _EyeView) -> None:
    """Darken the upper lid's skin below its crease, and the crease line itself."""
    crease = eye.v_top - 0.038 * eye.prof - 0.004
    sub[..., :3] *= (1.0 - 0.07 * (eye.inside & (eye.vv < eye.v_top) & (eye.vv > crease)))[..., None]
    sub[..., :3] *= (1.0 - 0.25 * np.exp(-0.5 * ((eye.vv - crease) / 0.004) ** 2) * eye.prof)[..., None]


def _eyeball_colour(eye: _EyeView, p, e, c, px: float) -> np.ndarray:
    """Sclera (pinker at the inner corner ``e[0]``), iris with radial streaks around ``c``, pupil,
    a glint, all shadowed under the upper lid."""
    uu, vv = eye.uu, eye.vv
    iris_col = np.asarray(p["iris_rgb"], np.float32)
    r = np.hypot(uu - c[0], vv - c[1])
    rr = r / p["iris_r"]
    sclera = np.array([0.62, 0.58, 0.55], np.float32)
    corner = np.exp(-0.5 * (((uu - e[0, 0]) / 0.02) ** 2 + ((vv - e[0, 1]) / 0.015) ** 2))
    col = sclera * (1.0 - 0.35 * corner[..., None] * np.array([0.3, 0.8, 0.8], np.float32))
    iris = iris_col * (1.0 + 0.35 * np.cos(np.arctan2(vv - c[1], uu - c[0]) * 23)[..., None] * 0.3) * (
        1.0 - 0.6 * np.clip((rr - 0.8) / 0.2, 0, 1)[..., None]
    )
    col = col * (1 - _fill(rr - 1.0, px / p["iris_r"])[..., None]) + iris * _fill(rr - 1.0, px / p["iris_r"])[..., None]
    pupil = _fill(rr - 0.38, px / p["iris_r"])[..., None]
    col = col * (1 - pupil) + 0.012 * pupil
    hl_r = np.hypot(uu - c[0] + 0.3 * p["iris_r"], vv - c[1] + 0.35 * p["iris_r"]) / p["iris_r"]
    glint = _fill(hl_r - 0.17, px / p["iris_r"])[..., None]
    col = col * (1 - glint) + 0.9 * glint
    return col * (0.55 + 0.45 * np.clip((vv - eye.v_top) / 0.02, 0, 1))[..., None]


def _draw_lash_lines(sub, eye: _EyeView, e, s: str, skin, px: float) -> None:
    """The upper lash line, thickening outwards, and a faint line of the lower lid's rim."""
    uu, vv = eye.uu, eye.vv
    sgn = -1.0 if s == "l" else 1.0
    tpos = np.clip(sgn * (uu - 0.5 * (e[0, 0] + e[2, 0])) / (0.5 * abs(e[2, 0] - e[0, 0])), -1, 1)
    thick = (0.006 + 0.005 * (tpos + 1) / 2) * (eye.prof > 0.02)
    lash = _fill(np.abs(vv - (eye.v_top - thick / 2)) - thick / 2, px) * eye.inside
    _over(sub, np.array([0.02, 0.015, 0.012], np.float32), lash * 0.95)
    low = _fill(np.abs(vv - eye.v_bot - 0.002) - 0.002, px) * eye.inside
    _over(sub, skin * 0.45, low * 0.6)


def _draw_nose(layer, grid: _Grid, p, lm) -> None:
    """Nose: the shadow under the tip, the nostrils, the creases round the alae."""
    skin = np.asarray(p["skin_rgb"], np.float32)
    nose = lm["nose"]
    sl = grid.window((-0.15, 0.15, nose[1, 1] - 0.06, nose[1, 1] + 0.07))
    uu, vv = grid.u[sl], grid.v[sl]
    sub = layer[sl]
    sub[..., :3] *= (1.0 - 0.25 * np.exp(-0.5 * ((uu / 0.04) ** 2 + ((vv - nose[1, 1] - 0.035) / 0.012) ** 2)))[..., None]
    for i, sg in ((2, -1.0), (3, 1.0)):
        a = nose[i]
        _over(sub, skin * 0.12, _fill(_ellipse_d(uu, vv, a[0] * 0.45, a[1] + 0.018, 0.019, 0.009), grid.px) * 0.9)
        dd = np.abs(np.hypot((uu - a[0]) / 1.0, (vv - a[1]) / 1.0) - 0.022)
        arc = np.exp(-0.5 * (dd / 0.004) ** 2) * (sg * (uu - a[0]) > -0.01) * (vv < a[1] + 0.02)
        sub[..., :3] *= (1.0 - 0.18 * arc)[..., None]


def _draw_lips(layer, grid: _Grid, p, lm, n_mid) -> None:
    """Upper and lower lip between the mouth corners, a shine on the lower lip, the dark seam."""
    m = lm["mouth"]
    mw = 0.5 * (m[1, 0] - m[0, 0])
    mc = 0.5 * (m[1, 0] + m[0, 0])
    sl = grid.window((m[0, 0] - 0.03, m[1, 0] + 0.03, m[2, 1] - 0.03, m[3, 1] + 0.03))
    uu, vv = grid.u[sl], grid.v[sl]
    sub = layer[sl]
    x = np.clip((uu - mc) / mw, -1, 1)
    seam, v_up, v_lo = _lip_edges(uu, x, lm)
    within = np.abs(uu - mc) < mw
    lip_base = _lip_colour(p)
    upper = _fill(np.where(within, np.maximum(v_up - vv, vv - seam), 1.0), grid.px)
    lower = _fill(np.where(within, np.maximum(seam - vv, vv - v_lo), 1.0), grid.px)
    _over(sub, lip_base * 0.85 * (1 + 0.05 * n_mid[sl][..., None]), upper)
    shine = 1.0 + 0.18 * np.exp(-0.5 * (((vv - (seam + 0.6 * (v_lo - seam))) / 0.008) ** 2 + (x / 0.4) ** 2))
    _over(sub, lip_base * shine[..., None] * (1 + 0.05 * n_mid[sl][..., None]), lower)
    seam_t = max(grid.px, 0.006)
    cav = _fill(np.where(np.abs(uu - mc) < mw + 0.004, np.abs(vv - seam) - seam_t / 2, 1.0), grid.px)
    _over(sub, np.array([0.03, 0.01, 0.01], np.float32), cav)


def _lip_edges(uu, x, lm):
    """The lip seam, the upper lip's edge (a Cupid's bow) and the lower lip's edge at ``uu``
    (``x``: across the mouth, -1 to 1 between the corners)."""
    m = lm["mouth"]
    seam = au_motion.lip_seam_v(uu, lm)
    up_h = m[4, 1] - m[2, 1]
    v_up = seam - up_h * np.clip(1 - x**2, 0, 1) ** 0.6 * (1.0 + 0.12 * np.exp(-0.5 * ((np.abs(x) - 0.3) / 0.12) ** 2)
                                                           - 0.18 * np.exp(-0.5 * (x / 0.1) ** 2))
    v_lo = seam + (m[3, 1] - m[4, 1]) * np.clip(1 - x**2, 0, 1) ** 0.8
    return seam, v_up, v_lo


def _lip_colour(p) -> np.ndarray:
    """Lip albedo: the skin reddened by the identity's lip tint (more on fair skin)."""
    skin = np.asarray(p["skin_rgb"], np.float32)
    lip_base = skin * np.array([1.0, 0.62, 0.62], np.float32) * (0.8 - 0.15 * p["lip_tint"])
    return lip_base + np.array([0.05, 0.0, 0.01], np.float32) * p["lip_tint"] * (1 - p["skin_tone"])


def _draw_glasses(grid: _Grid, p, lm):
    """Glasses on a separate layer, rigid with the head (the renderer composites it after the
    warp): ``(window, premultiplied RGBA)``, or None for an identity without."""
    if not p["glasses"]:
        return None
    frame = np.array([0.03, 0.03, 0.035] if p["glasses_dark"] else [0.45, 0.42, 0.38], np.float32)
    ev = 0.5 * (lm["iris_l"][0][1] + lm["iris_r"][0][1])
    sl = grid.window((-0.56, 0.56, ev - 0.12, ev + 0.14))
    gu, gv = grid.u[sl], grid.v[sl]
    g_layer = np.zeros(gu.shape + (4,), np.float32)
    for s in ("l", "r"):
        _draw_lens_and_temple(g_layer, gu, gv, lm, s, frame, grid.px)
    ci = lm["iris_l"][0], lm["iris_r"][0]
    bridge = np.maximum(np.abs(gv - (ci[0][1] - 0.01) - 0.05 * gu**2) - 0.005, np.abs(gu) - (ci[1][0] - 0.125))
    _over(g_layer, frame, _fill(bridge, grid.px))
    return sl, g_layer


def _draw_lens_and_temple(g_layer, gu, gv, lm, s: str, frame, px: float) -> None:
    """Side ``s`` of the glasses: a rounded-rectangle lens (6 % darker), its rim, the temple arm."""
    black = np.zeros(3, np.float32)
    c = lm[f"iris_{s}"][0] + [0.0, 0.012]
    a, b = 0.13, 0.09
    r = (np.abs((gu - c[0]) / a) ** 3 + np.abs((gv - c[1]) / b) ** 3) ** (1 / 3)
    _over(g_layer, black, 0.06 * _fill((r - 1) * b, px))  # lens: 6 % darker
    _over(g_layer, frame, _fill(np.abs(r - 1) * b - 0.006, px))
    sg = -1.0 if s == "l" else 1.0
    temple = np.maximum(np.abs(gv - c[1] + 0.03) - 0.005,
                        np.maximum(sg * (c[0] - gu) + a - 0.01, sg * (gu - sg * 0.5)))
    _over(g_layer, frame, _fill(temple, px))


def _occlude_eye_sockets(layer, grid: _Grid, lm) -> None:
    """Ambient occlusion of the eye sockets and under the brows."""
    for s in ("l", "r"):
        e = lm[f"iris_{s}"][0]
        occ = np.exp(-0.5 * (((grid.u - e[0]) / 0.085) ** 2 + ((grid.v - e[1] + 0.015) / 0.05) ** 2))
        layer[..., :3] *= (1.0 - 0.22 * occ)[..., None]


def _surface_normals(grid: _Grid, p, lm) -> np.ndarray:
    """Unit normals (H, W, 3) of the face relief :func:`height_field` (hair gets the cranium dome)."""
    z = height_field(grid.u, grid.v, p, lm).astype(np.float32)
    gz_v, gz_u = np.gradient(z, grid.px)
    n = np.stack([-gz_u, -gz_v, np.ones_like(z)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return n


def _key_light(p) -> np.ndarray:
    """Unit direction of the identity's key light."""
    light = np.asarray(p["light_dir"], np.float32)
    return light / np.linalg.norm(light)


def _lambert_shade(normals, light, amb: float) -> np.ndarray:
    """Lambertian shading (H, W, 1): ambient plus the key light, 1 on a surface facing the camera."""
    shade = amb + (1.0 - amb) * np.clip(normals @ light, 0, None) / light[2]
    return np.clip(shade, 0, 1.15)[..., None]


def _specular_sheen(normals, light, p, face_m) -> np.ndarray:
    """Specular sheen of the skin (Blinn-Phong, viewer on the z axis): highlights on the forehead,
    nose and cheekbones that face the half-way vector between light and camera."""
    half = light + np.array([0.0, 0.0, 1.0], np.float32)
    half /= np.linalg.norm(half)
    return float(p["specular"]) * np.clip(normals @ half, 0, None) ** float(p["shininess"]) * face_m
