"""Each event camera's calibration in a session import, as its options choose: its sync to the
session clock (trigger pulses, a given offset or cross-correlation), its registration to the RGB
frame (point pairs, a given homography or an estimate) held to plausible bounds, and the face box
mapped into its window and checked.

An implausible registration or face box stops the import, or is kept with a warning under
``registration_check="warn"``. :func:`~evface.datasets.importers.session.import_session` runs them
per event camera; the methods themselves are :mod:`~evface.datasets.importers.sync` and
:mod:`~evface.datasets.importers.registration`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from evface.datasets.importers.event_scan import EventScan, count_image, event_file_triggers, scan_event_file
from evface.datasets.importers.registration import (
    Registration,
    RegistrationError,
    box_distortion,
    box_kept,
    describe_cut,
    estimate_homography,
    homography_from_points,
    homography_quality,
    map_box,
    nominal_homography,
    quality_problems,
    read_point_pairs,
)
from evface.datasets.importers.rgb_scan import VideoScan
from evface.datasets.importers.session_options import EventSource, SessionOptions
from evface.datasets.importers.sync import SyncError, SyncResult
from evface.datasets.importers.sync_triggers import TRIGGER_DTYPE, sync_from_triggers
from evface.datasets.importers.sync_xcorr import sync_by_xcorr
from evface.errors import FormatError, ParameterError, where
from evface.io.event_csv import csv_header_size
from evface.io.event_reader import SIZE_HINT
from evface.io.formats import EVT_VERSIONS, detect_format, prophesee_header_size, read_prophesee_header
from evface.sim.sensors import SENSORS


def sync_depends_on_triggers(source: EventSource) -> bool:
    """Whether the sync of ``source`` depends on its file's trigger pulses: ``auto`` without an
    offset or trigger settings (triggers if the file has them, else cross-correlation)."""
    return (source.sync == "auto" and source.offset_us is None
            and source.trigger_channel == 0 and source.trigger_first_frame == 0)


def _rising(source: EventSource, triggers: np.ndarray) -> np.ndarray:
    """The rising trigger edges on the trigger channel of ``source``."""
    return triggers[(triggers["channel"] == source.trigger_channel) & triggers["rising"]]


def may_use_motion(source: EventSource, triggers: np.ndarray | None = None) -> bool:
    """Whether the sync or registration of ``source`` may use the RGB video's motion
    (:class:`~evface.datasets.importers.rgb_scan.VideoScan`'s energy or change): :func:`always_uses_motion`,
    or cross-correlation because ``auto`` falls back to it without an offset, trigger settings or
    pulses in the file (``triggers``, None when not read)."""
    return always_uses_motion(source) or (sync_depends_on_triggers(source)
                                          and not (triggers is not None and _rising(source, triggers).size))


def always_uses_motion(source: EventSource) -> bool:
    """Whether the sync or registration of ``source`` uses the RGB video's motion whatever its
    file's trigger pulses: cross-correlation chosen (``xcorr``), or an estimated homography."""
    return source.sync == "xcorr" or source.registration == "estimate" or (
        source.registration == "auto" and source.points is None and source.homography is None)


def _sync_takes_triggers(source: EventSource) -> bool:
    """Whether the sync of ``source`` looks at its file's trigger pulses: ``trigger``, and ``auto``
    (which takes them where the file has them, and refuses an ``--offset`` they would overrule);
    ``offset`` and ``xcorr`` do not."""
    return source.sync in ("auto", "trigger")


def scan_event_camera(source: EventSource, triggers: np.ndarray | None = None) -> EventScan:
    """:func:`~evface.datasets.importers.event_scan.scan_event_file` of one event camera (its
    ``triggers`` when already read; none where its sync takes none, :func:`_sync_takes_triggers`:
    was one more pass over the whole file for them), with the event-rate histogram only where its
    sync may cross-correlate (``xcorr``, :func:`sync_depends_on_triggers`; was counted for every
    file, 144 MB an hour); a file without a size asks for ``--sensor-size NAME=WxH``."""
    if triggers is None and not _sync_takes_triggers(source):
        triggers = np.zeros(0, dtype=TRIGGER_DTYPE)
    rate = source.sync == "xcorr" or sync_depends_on_triggers(source)  # the histogram: cross-correlation's alone
    return _asking_size(source, lambda: scan_event_file(source.path, sensor_size=source.sensor_size, triggers=triggers,
                                                        rate=rate))


def event_camera_triggers(source: EventSource) -> np.ndarray:
    """:func:`~evface.datasets.importers.event_scan.event_file_triggers` of one event camera; a
    file without a size asks for ``--sensor-size NAME=WxH``."""
    return _asking_size(source, lambda: event_file_triggers(source.path, source.sensor_size))


def _asking_size(source: EventSource, read: Callable[[], Any]) -> Any:
    """``read()``, its FormatError for a file without a sensor size naming ``--sensor-size NAME=WxH``."""
    try:
        return read()
    except FormatError as exc:
        if SIZE_HINT not in str(exc):
            raise
        raise FormatError(str(exc).replace(SIZE_HINT, f"give it with --sensor-size {source.name}=WxH "
                                                      "(EventSource(sensor_size=(width, height)) from Python)")) from exc


def model_size_note(source: EventSource, scan: EventScan) -> str | None:
    """A warning where ``--model`` names a sensor evface knows (:data:`~evface.sim.sensors.SENSORS`)
    whose array is not the size of the file's: naming the file, both sizes, where the file's comes
    from (:func:`_size_from`) and ``--model``; None otherwise (a free-text model, or the sizes agree).

    Not a refusal: a file cropped to a window of the sensor is legitimately smaller, and no header
    evface reads records such a window, so the file cannot tell a crop from another camera (was:
    a 640x480 Gen3 file imported as "640x480 evk4" without a word)."""
    known = SENSORS.get(source.model.strip().lower())
    width, height = scan.sensor_size
    if known is None or tuple(known.size) == (width, height):
        return None
    name = source.name
    return where(source.path, (
        f"{width}x{height} pixels{_size_from(source)}, but --model {name}={source.model} names a "
        f"{known.size[0]}x{known.size[1]} sensor; give the camera's model (--model {name}=NAME), or keep it if the file "
        "holds a window cropped from that sensor (its header records no crop window)"))


def _size_from(source: EventSource) -> str:
    """Where an event file's array size comes from, as a clause after the size: its header's size
    line, the camera plugin a Prophesee header names (:data:`~evface.io.formats.PLUGIN_SIZES`), or
    ``--sensor-size``."""
    fmt = detect_format(source.path)
    prophesee = fmt in EVT_VERSIONS or fmt == "dat"
    fields = read_prophesee_header(source.path)[0] if prophesee else {}
    stated = (prophesee_header_size(fields) is not None if prophesee else
              csv_header_size(source.path) is not None if fmt == "csv" else True)  # AEDAT 4, .es: always
    if stated:
        return " as its header states"
    if source.sensor_size is not None:
        return " as --sensor-size gives (its header states " + (
            "no one size)" if "size_problem" in fields else "none)")
    return f", the size of the camera plugin its header names ({fields.get('plugin', '?')}; the header states no size)"


def synchronise(source: EventSource, scan: EventScan, t_frames: np.ndarray, video: VideoScan,
                exposure_us: np.ndarray, options: SessionOptions) -> SyncResult:
    """Pick and run the sync method of one event camera (see :class:`~evface.datasets.importers.session_options.EventSource`)."""
    method = source.sync
    trig = scan.triggers
    rising = _rising(source, trig)
    name = source.name
    if method == "auto":
        if rising.size and source.offset_us is not None:
            raise ParameterError(where(source.path, (
                f"{rising.size} trigger pulses on channel {source.trigger_channel} sync {name} exactly (--sync {name}=auto), "
                f"so --offset {name}={source.offset_us} would be ignored; leave it out, or give --sync {name}=offset to "
                "take the offset instead")))
        trigger_options = source.trigger_channel != 0 or source.trigger_first_frame != 0
        method = "trigger" if rising.size or trigger_options else ("offset" if source.offset_us is not None else "xcorr")
    if method == "trigger":
        if not rising.size:
            raise SyncError(where(source.path, _no_pulses(source, trig)))
        return sync_from_triggers(rising["t"], t_frames,
                                  first_frame=source.trigger_first_frame, source=str(source.path))
    if method == "offset":
        assert source.offset_us is not None, "sync 'offset' needs offset_us (EventSource), auto takes it where given"
        return SyncResult(int(source.offset_us), "given", 1.0)
    assert video.energy is not None, "cross-correlation may be chosen: the video's motion was scanned (may_use_motion)"
    assert scan.rate is not None, "cross-correlation may be chosen: the scan counted the event rate (scan_event_camera)"
    try:
        result = sync_by_xcorr(scan.rate, t_frames, video.energy, exposure_us=exposure_us, guess_us=source.offset_us or 0,
                               max_offset_us=options.max_offset_us, source=str(source.path))
    except SyncError as exc:
        raise SyncError(f"{exc} ({_search_options(source)})") from exc
    if result.confidence < options.min_confidence:
        raise SyncError(where(source.path, (
            f"cross-correlation offset {result.offset_us} µs has confidence {result.confidence:.2f} < "
            f"{options.min_confidence} (peak r={result.details['r_peak']:.2f}, runner-up r={result.details['r_alt']:.2f}); "
            f"give the offset (--sync {name}=offset --offset {name}=US), record triggers, or lower --min-confidence")))
    return result


def _search_options(source: EventSource) -> str:
    """The options that move a cross-correlation search that found nothing, as they act under the
    source's ``--sync``: under ``auto`` an ``--offset`` alone is taken as given, so the search is
    centred only beside ``--sync NAME=xcorr`` (was: "--offset NAME=US centres the search" there,
    which imported at that offset unchecked)."""
    name = source.name
    if source.sync == "auto":
        return (f"--sync {name}=xcorr --offset {name}=US centres the search, --max-offset-us widens it; "
                f"--offset {name}=US alone takes the offset as given")
    return (f"--offset {name}=US centres the search, --max-offset-us widens it, "
            f"--sync {name}=offset takes the offset as given")


def _no_pulses(source: EventSource, triggers: np.ndarray) -> str:
    """Why trigger sync found no pulse on the source's channel, and what to give instead."""
    name, channel = source.name, source.trigger_channel
    on = triggers["channel"][triggers["rising"]]
    if on.size:
        found = ", ".join(f"{int((on == c).sum())} on channel {c}" for c in np.unique(on))
        return f"no rising trigger edges on channel {channel} (the file has {found}); give --trigger-channel {name}=CH"
    without = " without --trigger-channel and --trigger-first-frame" if channel or source.trigger_first_frame else ""
    return (f"no trigger events in the event file (was the camera's trigger input enabled?); give the offset "
            f"(--sync {name}=offset --offset {name}=US) or estimate it (--sync {name}=xcorr){without}")


def _registration_method(source: EventSource) -> str:
    """The registration method of ``source``, ``auto`` resolved: ``points`` if given, else
    ``given`` if a homography is given, else ``estimate``."""
    if source.registration != "auto":
        return source.registration
    return "points" if source.points is not None else ("given" if source.homography is not None else "estimate")


def point_pair_registration(source: EventSource) -> Registration:
    """The homography fitted to the point pairs of ``source`` (``--points``), whose registration
    takes them.

    Parameters
    ----------
    source : EventSource
        An event camera whose registration is ``points``, or ``auto`` with points given.

    Returns
    -------
    Registration
        Method ``"points"`` (:func:`~evface.datasets.importers.registration.homography_from_points`).
    """
    assert source.points is not None, "registration 'points' needs points (EventSource), auto takes them where given"
    rgb_xy, sensor_xy = read_point_pairs(source.points)
    return homography_from_points(rgb_xy, sensor_xy, source=str(source.points))


def check_point_pairs(events: list[EventSource]) -> None:
    """Refuse, before any pass over a file, a point-pair file (``--points``) that a sensor's
    registration takes and that cannot be read or fitted (:func:`point_pair_registration`: not
    found, a cell that is no number, fewer than 4 pairs, collinear ones; was: read only when
    registering, after the passes over the event files and the video).

    Parameters
    ----------
    events : list of EventSource
        The event cameras; those whose registration takes no points are passed over.
    """
    for source in events:
        if _registration_method(source) == "points":
            point_pair_registration(source)


def register(source: EventSource, scan: EventScan, video: VideoScan, span_us: tuple[int, int] = (0, 0)) -> Registration:
    """Pick and run the registration method of one event camera (full-sensor coordinates).

    ``span_us`` is the RGB recording's span on the sensor clock (used by ``estimate``).
    """
    method = _registration_method(source)
    if method == "points":
        return point_pair_registration(source)
    given = None if source.homography is None else given_homography(source, video.size, scan.sensor_size)
    if method == "given":
        h = np.asarray(given, dtype=np.float64)
        if h.shape != (3, 3) or not np.all(np.isfinite(h)):
            raise ParameterError(f"sensor {source.name!r}: the homography must be a finite 3x3 matrix")
        return Registration(h / h[2, 2], "given")
    count = count_image(source.path, scan.sensor_size, *span_us)
    assert video.change is not None, "an estimated homography: the video's motion was scanned (always_uses_motion)"
    try:
        return estimate_homography(count, video.change, given, source=str(source.path))
    except RegistrationError as exc:
        raise RegistrationError(f"{exc}; give point pairs (--points {source.name}=CSV) or a homography "
                                f"(--homography {source.name}=H.json)") from exc


def given_homography(source: EventSource, rgb_size: tuple[int, int], sensor_size: tuple[int, int]) -> np.ndarray | None:
    """The homography ``source`` gives: its matrix, the nominal one of ``rgb_size`` (the video's) and
    ``sensor_size`` (the full sensor's) for :data:`~evface.datasets.importers.session_options.NOMINAL`, or None."""
    homography = source.homography
    if isinstance(homography, str):  # NOMINAL, the one text EventSource takes
        return nominal_homography(rgb_size, sensor_size)
    return homography


def check_registration(source: EventSource, reg: Registration, rgb_size: tuple[int, int], sensor_size: tuple[int, int],
                       options: SessionOptions) -> tuple[Registration, list[str]]:
    """The registration with its plausibility numbers (``details["quality"]``) and the warnings
    it raises; an implausible one stops the import unless ``registration_check`` is ``warn``.

    An estimate is also held to its start (the given homography or the nominal one).
    """
    reference = None
    if reg.method == "ecc":
        given = given_homography(source, rgb_size, sensor_size)
        reference = given if given is not None else nominal_homography(rgb_size, sensor_size)
    quality = homography_quality(reg.homography, rgb_size, reference)
    problems = quality_problems(quality, sensor_size, options.bounds)
    reg = replace(reg, details={**reg.details, "quality": {k: (v if isinstance(v, bool) else round(v, 4)) for k, v in quality.items()}})
    if not problems:
        return reg, []
    fit = f"ECC correlation {reg.score:.3f}" if np.isfinite(reg.score) else (f"RMS error {reg.error_px:.2f} px" if np.isfinite(reg.error_px) else "")
    what = f"the {reg.method} RGB -> {source.name} homography is implausible: {', '.join(problems)}" + (f" ({fit})" if fit else "")
    if options.registration_check == "strict":
        raise RegistrationError(where(source.path, f"{what}; give point pairs (--points {source.name}=CSV) or a homography "
                                                   f"(--homography {source.name}=H.json), or keep it with --registration-check warn"))
    return reg, [where(source.path, f"{what}; kept (--registration-check warn)")]


MIN_FACE_KEPT = 0.98
"""A sensor window that keeps less of the face box than this gets a warning."""


def sensor_face_box(name: str, h: np.ndarray, box: list[float], size: tuple[int, int], options: SessionOptions,
                    clip: str, rgb_scale: np.ndarray, roi: tuple[int, int, int, int] | None = None
                    ) -> tuple[list[float], list[str]]:
    """The face box (stored RGB pixels, ``rgb_scale`` from the video's: :func:`resize_homography`)
    mapped into one sensor's window (``roi``, else the whole sensor) by ``h``, checked: a box that
    the homography distorts in the video's pixels (not a ``--rgb-size`` of another aspect), or one
    wholly outside the window, stops the import (or warns, ``registration_check="warn"``); a box
    the window cuts gives a warning."""
    mapped = map_box(h, box)
    warnings: list[str] = []
    native = map_box(np.linalg.inv(rgb_scale), box)
    dist = box_distortion(h @ rgb_scale, native)
    if dist["aspect_change"] > options.bounds.max_aspect:
        what = (f"clip {clip}: the {native[2]:.0f}x{native[3]:.0f} RGB face box becomes {mapped[2]:.0f}x{mapped[3]:.0f} on {name} "
                f"(aspect changed {dist['aspect_change']:.2f}x, limit {options.bounds.max_aspect}; corners off the stored box by "
                f"{dist['corner_error_px']:.1f} px)")
        _refuse_or_keep(f"{what}: the {name} homography is wrong; give --points {name}=CSV or --homography {name}=H.json",
                        options, warnings)
    kept = box_kept(mapped, size)
    move_roi = f"widen or move --roi {name}=X0,Y0,W,H, " if roi else ""
    if kept["kept"] == 0:  # training crops every input to the box: nothing of this sensor would be left
        _refuse_or_keep(f"clip {clip}: the RGB face box {[round(v) for v in box]} lies wholly outside the {size[0]}x{size[1]} "
                        f"{name} window (at {[round(v) for v in mapped]}), so training would find no face there; "
                        f"{move_roi}check the {name} homography (--points {name}=CSV or --homography {name}=H.json) and "
                        f"the face box (--face-box X,Y,W,H)", options, warnings)
    elif kept["kept"] < MIN_FACE_KEPT:
        warnings.append(f"clip {clip}: the {size[0]}x{size[1]} {name} window {describe_cut(kept)}; {move_roi}"
                        f"frame the face inside this camera's view, or check the {name} homography")
    return mapped, warnings


def resize_homography(size: tuple[int, int], to: tuple[int, int]) -> np.ndarray:
    """The map from the pixels of a ``(width, height)`` picture to those of it resized to ``to``
    (cv2.resize keeps pixel centres).

    Examples
    --------
    >>> resize_homography((640, 360), (320, 180)).tolist()
    [[0.5, 0.0, -0.25], [0.0, 0.5, -0.25], [0.0, 0.0, 1.0]]
    """
    sx, sy = to[0] / size[0], to[1] / size[1]
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def _refuse_or_keep(problem: str, options: SessionOptions, warnings: list[str]) -> None:
    """Stop the import on ``problem`` (``registration_check="strict"``) or keep it as a warning."""
    if options.registration_check == "strict":
        raise RegistrationError(f"{problem}, or keep it with --registration-check warn")
    warnings.append(problem)
