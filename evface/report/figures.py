"""Figures for the report, returned as encoded image bytes (PNG or GIF), never written to disk.

Each function takes plain arrays or a :class:`~evface.io.clip_schema.Clip` and returns bytes, so the
report can inline them as data URIs and tests can check them without a browser.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from evface.checks import as_box, as_int, as_real, real_dtype, sensor_dims, within_memory
from evface.errors import ParameterError
from evface.io.clip_schema import Clip
from evface.events.core import time_slice
from evface.tasks.figure_text import plain_text


def png_bytes(fig: Figure) -> bytes:
    """Encode a matplotlib figure as PNG.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, made as every figure here is, without pyplot (:class:`~matplotlib.figure.Figure`
        itself: no backend chosen, none of pyplot's figures kept open).

    Returns
    -------
    bytes
        The PNG file's bytes.

    Examples
    --------
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> png_bytes(fig)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def crop_box(image: np.ndarray, box: list[int] | tuple[int, ...] | None, margin: float = 0.15) -> np.ndarray:
    """Crop ``image`` to ``box`` = (x, y, w, h) grown by ``margin`` on each side, clipped to the image.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)`` or ``(H, W, 3)``.
    box : sequence of int or None
        ``(x, y, w, h)`` in pixels; ``None`` keeps the whole image.
    margin : float
        Growth of each side, as a fraction of the box's width (left, right) or height (top, bottom).

    Returns
    -------
    numpy.ndarray
        A view of ``image``.

    Examples
    --------
    >>> image = np.zeros((100, 80))
    >>> crop_box(image, (10, 20, 40, 50)).shape  # 6 px more left and right, 7 above and below
    (64, 52)
    >>> crop_box(image, None).shape
    (100, 80)
    """
    if not isinstance(image, np.ndarray) or image.ndim < 2:
        raise ParameterError(f"image must be a picture (H, W[, C]), got {type(image).__name__} {np.shape(image)}")
    if box is None:
        return image
    x, y, w, h = (int(round(v)) for v in as_box("box", box))
    margin = as_real("margin", margin, 0.0, 10.0)
    mx, my = int(w * margin), int(h * margin)
    y0, y1 = max(0, y - my), min(image.shape[0], y + h + my)
    x0, x1 = max(0, x - mx), min(image.shape[1], x + w + mx)
    return image[y0:y1, x0:x1]


def event_image(events: np.ndarray, sensor_size: tuple[int, int]) -> np.ndarray:
    """Render events as an RGB image: ON events blue, OFF events red, on white (the usual colouring).

    A pixel with events of both polarities is blue.

    Parameters
    ----------
    events : numpy.ndarray
        Structured events with fields ``x``, ``y`` and ``p`` (+1 ON, -1 OFF).
    sensor_size : (int, int)
        ``(width, height)``.

    Returns
    -------
    numpy.ndarray
        uint8 ``(height, width, 3)``.

    Examples
    --------
    >>> ev = np.array([(1, 0, 1), (2, 1, -1)], dtype=[("x", "u2"), ("y", "u2"), ("p", "i1")])
    >>> img = event_image(ev, (4, 3))
    >>> img.shape, img[0, 1].tolist(), img[1, 2].tolist(), img[0, 0].tolist()
    ((3, 4, 3), [40, 90, 220], [220, 50, 40], [255, 255, 255])
    """
    width, height = sensor_dims(sensor_size)
    if not isinstance(events, np.ndarray) or events.ndim != 1 or not {"x", "y", "p"} <= set(events.dtype.names or ()):
        raise ParameterError(f"events must be a 1-D array with fields x, y and p, got {type(events).__name__} "
                             f"{getattr(events, 'dtype', '')}")
    if events.size and (int(events["x"].max()) >= width or int(events["y"].max()) >= height):
        raise ParameterError(f"events lie off the {width}x{height} sensor_size (an event off it would land in another row)")
    pixel = events["y"].astype(np.int64) * width + events["x"]
    on = np.bincount(pixel[events["p"] > 0], minlength=width * height).reshape(height, width) > 0
    off = np.bincount(pixel[events["p"] < 0], minlength=width * height).reshape(height, width) > 0
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    img[on] = (40, 90, 220)
    img[off & ~on] = (220, 50, 40)
    return img


def side_by_side_gif(clip: Clip, sensor: str, camera: str = "rgb", window_us: int = 33_333, height_px: int = 180) -> bytes:
    """An animated GIF of one clip: the RGB frame beside the events of the same 33 ms window.

    Frames follow the RGB camera's timestamps; each shows the face crop of the RGB frame and of
    the event sensor, at the same display height.

    Parameters
    ----------
    clip : Clip
        The clip, with the frames of ``camera`` and the events of ``sensor``.
    sensor : str
        The event sensor shown.
    camera : str
        The frame camera shown.
    window_us : int
        The events shown with each frame: those of the ``window_us`` after it.
    height_px : int
        Display height of both crops.

    Returns
    -------
    bytes
        The GIF file's bytes.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import FrameSeries, SensorInfo
    >>> frames = FrameSeries(np.zeros((3, 20, 20, 3), np.uint8), np.arange(3) * 33_333, np.full(3, 10_000), fps=30.0)
    >>> events = make_events(np.arange(0, 100_000, 5_000), np.arange(20) % 10, np.arange(20) % 8,
    ...                      np.where(np.arange(20) % 2, 1, -1))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 40_000, 80_000, 100_000, events={"lr": events},
    ...             sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames})
    >>> gif = Image.open(io.BytesIO(side_by_side_gif(clip, "lr", height_px=20)))
    >>> gif.n_frames, gif.size  # one frame per RGB frame: 20 x 20 beside the 10 x 8 sensor's 25 x 20
    (3, (45, 20))
    """
    frames = clip.frames[camera]
    events = clip.events[sensor]
    size = clip.sensors[sensor].size
    boxes = clip.calibration.get("face_box", {})
    tiles = []
    for image, t_us in zip(frames.data, frames.t_us, strict=True):
        rgb = crop_box(image if image.ndim == 3 else np.repeat(image[..., None], 3, -1), boxes.get(camera))
        window = events[time_slice(events, int(t_us), int(t_us) + window_us)]
        ev = crop_box(event_image(window, size), boxes.get(sensor))
        row = [_fit_height(rgb, height_px), _fit_height(ev, height_px)]
        tiles.append(Image.fromarray(np.concatenate(row, axis=1)))
    buf = io.BytesIO()
    duration_ms = max(40, int(round(1000 / max(frames.fps, 1.0))) * 3)  # slowed down 3x to see the motion
    tiles[0].save(buf, format="GIF", save_all=True, append_images=tiles[1:], duration=duration_ms, loop=0, optimize=True)
    return buf.getvalue()


def _fit_height(image: np.ndarray, height_px: int) -> np.ndarray:
    h, w = image.shape[:2]
    width_px = max(1, int(round(w * height_px / h)))
    return np.asarray(Image.fromarray(image).resize((width_px, height_px), Image.Resampling.BILINEAR))


def event_rate(t_us: np.ndarray, duration_us: int, bin_us: int) -> tuple[np.ndarray, np.ndarray]:
    """The rate of events at times ``t_us`` over ``[0, duration_us)`` in bins of ``bin_us``: each
    bin's centre (ms) and its events per second over the part of it the clip covers (a recording's
    clip lasts no whole number of bins: its last bin is shorter, not emptier).

    Parameters
    ----------
    t_us : numpy.ndarray
        Event times (µs).
    duration_us : int
        The clip's length (µs).
    bin_us : int
        Bin width (µs).

    Returns
    -------
    centres_ms : numpy.ndarray
        Each bin's centre (ms).
    rate : numpy.ndarray
        Events per second in each bin.

    Examples
    --------
    >>> centres_ms, rate = event_rate(np.arange(0, 12_000, 10), 12_000, 5_000)  # 100 k events/s
    >>> centres_ms.tolist(), rate.tolist()
    ([2.5, 7.5, 11.0], [100000.0, 100000.0, 100000.0])
    """
    duration_us, bin_us = as_int("duration_us", duration_us, 1), as_int("bin_us", bin_us, 1)
    within_memory(8 * (duration_us // bin_us), f"{duration_us // bin_us:,} bins of {bin_us} µs", "give a larger bin_us")
    t_us = np.asarray(t_us)
    if not real_dtype(t_us.dtype):
        raise ParameterError(f"t_us must be event times, got {t_us.dtype} {t_us.shape}")
    edges = np.append(np.arange(0, duration_us, bin_us), duration_us)
    counts, _ = np.histogram(t_us, bins=edges)
    return (edges[:-1] + edges[1:]) / 2000, counts / (np.diff(edges) * 1e-6)


@plain_text
def event_rate_plot(clip: Clip, bin_us: int = 5_000) -> bytes:
    """Event rate over a clip for every sensor, ON and OFF, with onset/apex/offset marked.

    Parameters
    ----------
    clip : Clip
        The clip.
    bin_us : int
        Bin width (µs), as in :func:`event_rate`.

    Returns
    -------
    bytes
        The PNG file's bytes.

    Examples
    --------
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import FrameSeries, SensorInfo
    >>> frames = FrameSeries(np.zeros((3, 20, 20, 3), np.uint8), np.arange(3) * 33_333, np.full(3, 10_000), fps=30.0)
    >>> events = make_events(np.arange(0, 100_000, 5_000), np.arange(20) % 10, np.arange(20) % 8,
    ...                      np.where(np.arange(20) % 2, 1, -1))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 40_000, 80_000, 100_000, events={"lr": events},
    ...             sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames})
    >>> event_rate_plot(clip)[:4]
    b'\\x89PNG'
    """
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.subplots()
    for name, events in clip.events.items():
        for sign, style in ((1, "-"), (-1, ":")):
            centres_ms, rate = event_rate(events["t"][events["p"] == sign], clip.duration_us, bin_us)
            label = f"{name} {'ON' if sign > 0 else 'OFF'}"
            ax.plot(centres_ms, rate / 1e6, style, lw=1.2, label=label)
    for key, colour in (("onset_us", "tab:green"), ("apex_us", "tab:red"), ("offset_us", "tab:purple")):
        ax.axvline(getattr(clip, key) / 1000, color=colour, lw=0.8, ls="--")
        ax.text(getattr(clip, key) / 1000, ax.get_ylim()[1] * 0.95, key[:-3], color=colour, fontsize=7, ha="center")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("event rate (Mev/s)")
    ax.set_title(f"{clip.clip_id}: {clip.label}, {clip.lighting}", fontsize=9)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    ax.grid(alpha=0.3)
    return png_bytes(fig)


@plain_text
def confusion_png(matrix: list[list[int]], labels: list[str], title: str) -> bytes:
    """A confusion matrix (rows = truth, columns = prediction) with counts in the cells.

    Parameters
    ----------
    matrix : list of list of int
        Counts, ``len(labels) x len(labels)``.
    labels : list of str
        The classes, in the matrix's order.
    title : str
        The figure's title.

    Returns
    -------
    bytes
        The PNG file's bytes.

    Raises
    ------
    ValueError
        A matrix that is not ``len(labels) x len(labels)`` (it was drawn with some of its rows and
        columns unlabelled, or not square).

    Examples
    --------
    >>> confusion_png([[3, 1], [0, 4]], ["happiness", "surprise"], "events")[:4]
    b'\\x89PNG'
    >>> confusion_png([[3, 1], [0, 4]], ["happiness"], "events")
    Traceback (most recent call last):
    ...
    ValueError: a confusion matrix of 1 labels must be 1 x 1, got (2, 2)
    """
    m = np.asarray(matrix, dtype=float)
    if m.shape != (len(labels), len(labels)):
        raise ValueError(f"a confusion matrix of {len(labels)} labels must be {len(labels)} x {len(labels)}, "
                         f"got {m.shape}")
    fig = Figure(figsize=(3.6, 3.2))
    ax = fig.subplots()
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(m):
        ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=7, color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7, ha="right")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted", fontsize=8)
    ax.set_ylabel("true", fontsize=8)
    ax.set_title(title, fontsize=9)
    return png_bytes(fig)


@plain_text
def face_grid(samples: dict[tuple[str, str], np.ndarray], labels: list[str], lightings: list[str]) -> bytes:
    """A grid of face crops: one row per lighting, one column per class (missing cells are blank).

    Parameters
    ----------
    samples : dict
        ``{(label, lighting): image}``.
    labels : list of str
        The columns.
    lightings : list of str
        The rows.

    Returns
    -------
    bytes
        The PNG file's bytes.

    Examples
    --------
    >>> face_grid({("happiness", "bright"): np.zeros((8, 8))}, ["happiness", "surprise"], ["bright", "dim"])[:4]
    b'\\x89PNG'
    """
    fig = Figure(figsize=(1.7 * len(labels), 1.9 * len(lightings)))
    axes = fig.subplots(len(lightings), len(labels), squeeze=False)
    for r, lighting in enumerate(lightings):
        for c, label in enumerate(labels):
            ax = axes[r][c]
            ax.axis("off")
            image = samples.get((label, lighting))
            if image is not None:
                ax.imshow(image, interpolation="lanczos")
            if r == 0:
                ax.set_title(label, fontsize=7)
        axes[r][0].text(-0.08, 0.5, lighting, transform=axes[r][0].transAxes, rotation=90, va="center", ha="right", fontsize=7)
    fig.subplots_adjust(wspace=0.04, hspace=0.08)
    return png_bytes(fig)


@plain_text
def identity_grid(faces: list[tuple[str, np.ndarray]], columns: int = 8) -> bytes:
    """Face crops in rows of ``columns``, each over its caption (subject, head pose).

    Parameters
    ----------
    faces : list of (str, numpy.ndarray)
        Captions and images; at least one.
    columns : int
        Faces per row, >= 1.

    Returns
    -------
    bytes
        The PNG file's bytes.

    Raises
    ------
    ParameterError
        Where ``faces`` holds none (was: matplotlib's "Number of rows must be a positive integer")
        or ``columns`` is under 1.

    Examples
    --------
    >>> identity_grid([("s01", np.zeros((8, 8, 3), np.uint8))], columns=4)[:4]
    b'\\x89PNG'
    >>> identity_grid([])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: faces holds no face: give at least one (caption, image)
    """
    columns = as_int("columns", columns, 1)
    if not faces:
        raise ParameterError("faces holds no face: give at least one (caption, image)")
    rows = -(-len(faces) // columns)
    fig = Figure(figsize=(1.3 * columns, 1.7 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (caption, image) in zip(axes.flat, faces, strict=False):  # the last row's cells past the faces stay empty
        ax.imshow(image, interpolation="lanczos")
        ax.set_title(caption, fontsize=6)
    fig.subplots_adjust(wspace=0.04, hspace=0.3)
    return png_bytes(fig)
