"""Where the face sits on a canvas of any size, its face box, and what a renderer of that size takes.

The face is ``FACE_FRACTION`` of ``min(width, height)`` wide and the face centre
sits ``-V_CENTER`` face widths below the canvas centre, so one identity rendered at two sizes of
the same aspect ratio is one view at two resolutions.
"""

from __future__ import annotations

import numpy as np

from evface.checks import within_memory

FACE_FRACTION = 0.42  # face width / min(canvas width, canvas height)
V_CENTER = -0.10  # face-normalised v at the canvas centre (the head, not the face, is centred)
MARGIN_FW = 0.25  # texture margin around the canvas, face widths (room for pose)
FACE_BOX_FW = (1.15, -0.60, 0.55)  # face_box: width, top v, bottom v (face widths); as Haar reports
BYTES_PER_TEXTURE_PIXEL = 256
"""Memory a :class:`~evface.face.render.FaceRenderer` takes per pixel of its texture (the canvas
and its margin) while it is built and renders: about 200 bytes measured at 512 to 1536 pixels,
with a margin."""


def canvas_geometry(size: tuple[int, int]) -> tuple[float, tuple[float, float]]:
    """(face width in pixels, pixel position of the face centre) for a canvas ``(width, height)``.

    Examples
    --------
    >>> canvas_geometry((320, 240))  # 0.42 of the shorter side; the face centre below the canvas centre
    (100.8, (159.5, 129.58))
    """
    w, h = int(size[0]), int(size[1])
    fw = FACE_FRACTION * min(w, h)
    return fw, ((w - 1) / 2.0, (h - 1) / 2.0 - V_CENTER * fw)


def face_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``FaceRenderer(identity, size).face_box`` without building a renderer (same for every identity).

    Examples
    --------
    >>> face_box((320, 320))
    (82, 92, 155, 155)
    """
    fw, (cx, cy) = canvas_geometry(size)
    bw, top, bottom = FACE_BOX_FW
    x0, y0 = cx - 0.5 * bw * fw, cy + top * fw
    return int(round(x0)), int(round(y0)), int(round(bw * fw)), int(round((bottom - top) * fw))


def check_memory(size: tuple[int, int], advice: str = "render a smaller size") -> None:
    """A ParameterError when a :class:`~evface.face.render.FaceRenderer` of ``size``
    ``(width, height)`` (positive ints) would take
    more than half of this machine's memory (:func:`evface.checks.within_memory`); ``advice``
    ends the message.

    Examples
    --------
    >>> check_memory((320, 320))
    >>> check_memory((65536, 65536))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: a 65536x65536 face renderer takes about ... GiB, more than half of this machine's ... GiB; render a smaller size
    """
    w, h = (int(v) for v in size)
    m = int(np.ceil(MARGIN_FW * canvas_geometry((w, h))[0]))
    within_memory(BYTES_PER_TEXTURE_PIXEL * (w + 2 * m) * (h + 2 * m), f"a {w}x{h} face renderer", advice)
