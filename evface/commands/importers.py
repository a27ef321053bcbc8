"""``evface import session`` and ``evface import corpus``: thin shells over evface.datasets.importers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import typer

from evface.checks import whole_number
from evface.commands import terminal
from evface.commands.options import given, naming, naming_fields, only_beside
from evface.commands.paths import output_folder, outside_datasets, sole_writer
from evface.errors import ParameterError, counted

if TYPE_CHECKING:  # lazy at run time: cv2, h5py and numba off CLI start-up
    from rich.table import Table

    from evface.datasets.importers.session_options import EventSource, RgbSource, SessionOptions

import_app = typer.Typer(name="import", help="Import real recordings or RGB micro-expression corpora.",
                         no_args_is_help=True, add_completion=False)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``["hd=a.raw", "lr=b.aedat4"]`` -> ``{"hd": "a.raw", "lr": "b.aedat4"}``."""
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ParameterError(f"{option} expects NAME=VALUE, got {item!r}")
        name, value = name.strip(" \t"), value.strip(" \t")  # was strip(): 'hd=\x1c5' read as hd=5
        if name in out:  # the second used to replace the first without a word
            raise ParameterError(f"{option} names {name} twice ({out[name]}, {value}); give each sensor once")
        out[name] = value
    return out


@overload
def _ints(text: str, n: Literal[1], option: str) -> tuple[int]: ...
@overload
def _ints(text: str, n: Literal[2], option: str) -> tuple[int, int]: ...
@overload
def _ints(text: str, n: Literal[4], option: str) -> tuple[int, int, int, int]: ...
def _ints(text: str, n: int, option: str) -> tuple[int, ...]:
    """The ``n`` whole numbers of ``text`` (``346x260``, ``0,0,64,64``), each as the number options
    take one (:func:`~evface.checks.whole_number`: was ``int()``'s, '١٢' read as 12 and '\\x1c5' as 5).

    Examples
    --------
    >>> _ints("346x260", 2, "--sensor-size")
    (346, 260)
    >>> _ints("١٢,0,8,8", 4, "--roi")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --roi: expected 4 integers, got '١٢,0,8,8'
    """
    values = [whole_number(v) for v in text.replace("x", ",").split(",")]
    whole = [v for v in values if v is not None]
    if not len(whole) == len(values) == n:
        raise ParameterError(f"{option}: expected {n} integers, got {text!r}")
    return tuple(whole)


def _tag(text: str, option: str) -> str:
    """``text``, a word stored with every clip (``--lighting``, ``--model hd=evk4``), where it is one:
    not blank, no control character, UTF-8 (a name from a non-UTF-8 argument, ``'\\udcff'``, failed
    to be written after every clip was filmed; an empty one stood for no lighting); else a
    :class:`ParameterError` naming ``option``.

    Examples
    --------
    >>> _tag("dim", "--lighting")
    'dim'
    >>> _tag("\\udcff", "--lighting")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --lighting: '\\udcff' is not a word of printable UTF-8 text, which every clip stores
    """
    try:
        text.encode("utf-8")
        ok = bool(text.strip()) and text.isprintable()
    except UnicodeEncodeError:
        ok = False
    if not ok:
        raise ParameterError(f"{option}: {text!r} is not a word of printable UTF-8 text, which every clip stores")
    return text


def _check_classes(classes: str | None) -> None:
    """Refuse a ``--classes`` that names no class set, naming the option (was: "unknown class set
    'x'", no option named)."""
    from evface.datasets.importers.au_labels import class_set  # lazy: with the importers

    if classes is not None:
        with naming("--classes"):
            class_set(classes)


def _homography(path: str, option: str):
    """A ``--homography`` value: the JSON file's 3x3 matrix, or ``nominal`` as it is (a file of that name: ``./nominal``)."""
    import numpy as np  # lazy: numpy off CLI start-up

    if path == "nominal":
        return path
    try:  # a BOM: as Windows tools save it; whole numbers read as floats (int() refuses more than 4300 digits)
        h = np.asarray(json.loads(Path(path).read_text(encoding="utf-8-sig"), parse_int=float), dtype=float)
    except (OSError, ValueError, TypeError, RecursionError) as exc:  # unreadable, not JSON (or nested past the stack), or not numbers
        raise ParameterError(f"{option}: {path}: expected a JSON file holding a 3x3 matrix ({exc})"
                             + _homography_hint(path, option, exc)) from exc
    if h.shape != (3, 3):
        raise ParameterError(f"{option}: {path}: expected a 3x3 matrix, got shape {h.shape}")
    if not np.all(np.isfinite(h)):  # was: 5000 digits passed on Python's advice to call sys.set_int_max_str_digits()
        raise ParameterError(f"{option}: {path}: the matrix holds NaN, Infinity or a number too large to compute "
                             "with (of more than 308 digits, past 1.8e308); give its 9 entries as ordinary numbers, "
                             "as 0.5 or 3.0")
    return h


def _homography_hint(path: str, option: str, exc: Exception) -> str:
    """What a ``--homography`` value that names no file may have meant: ``nominal`` in another case
    (the word is lowercase), or several sensors in one value (the option is given once per sensor).

    Examples
    --------
    >>> _homography_hint("NOMINAL", "--homography", FileNotFoundError())
    "; the nominal homography is spelled 'nominal'"
    >>> _homography_hint("nominal,lr=H.json", "--homography", FileNotFoundError())
    '; give --homography once per sensor (--homography hd=nominal --homography lr=H.json)'
    """
    if not isinstance(exc, FileNotFoundError):
        return ""
    if path.lower() == "nominal":
        return "; the nominal homography is spelled 'nominal'"
    if "," in path and "=" in path.split(",", 1)[1]:
        return f"; give {option} once per sensor ({option} hd=nominal {option} lr=H.json)"
    return ""


@import_app.command("session")
def session(
    context: typer.Context,
    out: Path = typer.Argument(..., metavar="OUT", help="Dataset folder to create."),
    events: list[str] = typer.Option(..., "--events", help="NAME=FILE per event camera (hd=rec.raw, lr=rec.aedat4)."),
    rgb: Path = typer.Option(..., "--rgb", help="RGB video (anything OpenCV reads), or a folder of numbered 8-bit frames "
                                               "(img0.png, img1.png, ...; .jpg .jpeg .png .bmp .tif .tiff) with --rgb-fps "
                                               "or --rgb-timestamps."),
    annotations: Path = typer.Option(..., "--annotations", help="Annotation CSV (docs/import-guide.md)."),
    rgb_fps: float | None = typer.Option(None, "--rgb-fps", help="Frame rate of the --rgb input (default: the video's, or each frame's container timestamp when a variable-frame-rate video's frames stray from it by over half a frame; a folder of frames needs it or --rgb-timestamps)."),
    rgb_start_us: int = typer.Option(0, "--rgb-start-us", help="Session time of the first RGB frame."),
    rgb_timestamps: Path | None = typer.Option(None, "--rgb-timestamps", help="File with one exposure-start time (µs) per frame, and an exposure_us column if its header names one (simulate --rgb-out writes VIDEO.frames.csv)."),
    rgb_exposure_us: int | None = typer.Option(None, "--rgb-exposure-us", help="RGB exposure (default: the frame period)."),
    model: list[str] | None = typer.Option(None, "--model", help="NAME=MODEL, stored with the clips (hd=evk4); a sensor evface knows (davis346, evk4) of another array size than the file's is warned of."),
    roi: list[str] | None = typer.Option(None, "--roi", help="NAME=X0,Y0,W,H crop window on the full sensor."),
    sync: list[str] | None = typer.Option(None, "--sync", help="NAME=auto|trigger|offset|xcorr (default auto)."),
    offset: list[str] | None = typer.Option(None, "--offset", help="NAME=US: t_session = t_sensor + US, within ±2^62 (also the xcorr search centre)."),
    trigger_channel: list[str] | None = typer.Option(None, "--trigger-channel", help="NAME=CH trigger input of the RGB pulses (default 0)."),
    trigger_first_frame: list[str] | None = typer.Option(None, "--trigger-first-frame", help="NAME=K RGB frame of the first pulse (default 0)."),
    points: list[str] | None = typer.Option(None, "--points", help="NAME=CSV point pairs rgb_x,rgb_y,x,y."),
    homography: list[str] | None = typer.Option(None, "--homography", help="NAME=JSON 3x3 RGB->sensor matrix, or NAME=nominal: the video scaled onto the full sensor, same field of view and centre (a file named nominal: ./nominal)."),
    sensor_size: list[str] | None = typer.Option(None, "--sensor-size", help="NAME=WxH full sensor size of an event file whose header gives none (N-CARS .dat, headerless .csv) or only a camera plugin's name; must agree with a size the file gives."),
    registration: list[str] | None = typer.Option(None, "--registration", help="NAME=auto|points|estimate|given (default auto)."),
    subject: str | None = typer.Option(None, "--subject", help="Subject when the CSV has no subject column."),
    lighting: str = typer.Option("unknown", "--lighting", help="Lighting when the CSV has no lighting column."),
    max_offset_us: int = typer.Option(5_000_000, "--max-offset-us", help="Cross-correlation search half-width."),
    min_confidence: float = typer.Option(0.3, "--min-confidence", help="Refuse estimated offsets below this confidence."),
    rgb_size: str | None = typer.Option(None, "--rgb-size", help="Store RGB frames resized to WxH (at least 16 pixels a "
                                                          "side: the optical flow of rgb-flow needs a 16x16 face)."),
    faces: bool = typer.Option(True, "--faces/--no-faces", help="Detect the face box in each clip's RGB frames."),
    face_box: str | None = typer.Option(None, "--face-box", help="X,Y,W,H face box (RGB pixels) of every clip; wins over the detector."),
    min_face: float = typer.Option(0.1, "--min-face", help="Drop detected faces smaller than this fraction of the frame's shorter side (a face in a room's view; import corpus takes 0.5, for frames cropped to the face)."),
    registration_check: str = typer.Option("strict", "--registration-check",
                                           help="strict: stop on an implausible homography or face box; warn: keep it, with a warning."),
    classes: str | None = typer.Option(None, "--classes", help="Label by an AU class set (default, compact, mouth); skip clips matching none."),
    overwrite: bool = typer.Option(False, "--force", "--overwrite", help="Replace an earlier dataset in the output folder (never a folder of other files)."),
) -> None:
    """Import a synchronized RGB + event session as clips plus a manifest."""
    from evface.datasets.importers.session import import_session  # lazy: cv2, h5py, numba off start-up

    outside_datasets(output_folder(out, "OUT"), "OUT", own=True)  # was: imported among another dataset's files
    files = _event_files(events)
    per = _per_sensor(files, {"--model": model, "--roi": roi, "--sync": sync, "--offset": offset,
                              "--trigger-channel": trigger_channel, "--trigger-first-frame": trigger_first_frame,
                              "--points": points, "--homography": homography, "--registration": registration,
                              "--sensor-size": sensor_size})
    sources = [_event_source(name, path, per) for name, path in files.items()]
    rgb_source = _rgb_source(rgb, rgb_fps, rgb_start_us, rgb_timestamps, rgb_exposure_us)
    options = _session_options(subject=subject, lighting=lighting, max_offset_us=max_offset_us,
                               min_confidence=min_confidence, rgb_size=rgb_size, faces=faces, face_box=face_box,
                               min_face=min_face, registration_check=registration_check, classes=classes,
                               overwrite=overwrite)
    _check_session_idle(context, sources, faces, face_box)
    console = terminal.console()
    with sole_writer(out, "OUT"), console.status("importing session") as status:
        report = import_session(sources, rgb_source, annotations, out, options,
                                progress=lambda stage, frac: status.update(f"{stage} ({frac:.0%})"))
    terminal.console(stderr=False).print(_sensor_table(out, report))
    _print_skipped(report["skipped"])
    _print_warnings(console, report["warnings"])


def _check_session_idle(context: typer.Context, sources: list[EventSource], faces: bool, face_box: str | None) -> None:
    """Refuse, before any work, an option of ``import session`` given where it does nothing: ``--min-face``
    beside ``--face-box`` or ``--no-faces`` (no detector runs), ``--max-offset-us`` and ``--min-confidence``
    where every sensor's ``--sync`` is ``trigger`` or ``offset`` (no cross-correlation runs)."""
    if given(context, "min_face") and (face_box is not None or not faces):  # was: accepted, and no face detected
        _refuse_min_face("--face-box" if face_box is not None else "--no-faces")
    if all(source.sync in ("trigger", "offset") for source in sources):
        for name, option in (("max_offset_us", "--max-offset-us"), ("min_confidence", "--min-confidence")):
            if given(context, name):  # was: accepted, and no search made
                raise only_beside(option, "only acts in a cross-correlation sync, and every sensor's --sync is "
                                  "trigger or offset", "give a sensor --sync NAME=xcorr (or auto)")


def _refuse_min_face(by: str) -> None:
    """Refuse ``--min-face`` beside ``by`` (``--face-box``, ``--no-faces``), with which no face is detected."""
    raise only_beside("--min-face", f"only drops small faces the detector finds, and with {by} it runs on no clip",
                      f"leave out {by}")


def _event_files(events: list[str]) -> dict[str, str]:
    """The ``--events`` files by sensor name, each name one that can name the clips' HDF5 group."""
    from evface.io.clip_schema import SENSOR_NAME  # lazy: with the importer of import session

    files = _pairs(events, "--events")
    bad = next((name for name in files if not SENSOR_NAME.fullmatch(name)), None)
    if bad is not None:  # it names the clips' HDF5 group: 'a/b' would nest one
        raise ParameterError(f"--events {bad}={files[bad]}: a sensor name holds letters, digits, '_', '-' and '.' and "
                             "starts with a letter or digit, like hd or lr")
    return files


def _per_sensor(files: dict[str, str], given: dict[str, list[str] | None]) -> dict[str, dict[str, str]]:
    """Each per-sensor option (``--roi hd=...``) as sensor name -> value, naming only sensors of ``files``."""
    per = {opt: _pairs(values, opt) for opt, values in given.items()}
    for opt, values in per.items():
        unknown = sorted(set(values) - set(files))
        if unknown:
            raise ParameterError(f"{opt} names sensor(s) {unknown} that have no --events file")
    return per


_SENSOR_FIELDS = {  # option -> (EventSource field, how its value is read), in the order they are checked
    "--roi": ("roi", lambda value, opt: _ints(value, 4, opt)),
    "--offset": ("offset_us", lambda value, opt: _ints(value, 1, opt)[0]),
    "--trigger-channel": ("trigger_channel", lambda value, opt: _ints(value, 1, opt)[0]),
    "--trigger-first-frame": ("trigger_first_frame", lambda value, opt: _ints(value, 1, opt)[0]),
    "--points": ("points", lambda value, opt: Path(value)),
    "--homography": ("homography", _homography),
    "--sensor-size": ("sensor_size", lambda value, opt: _ints(value, 2, opt)),
}


def _event_source(name: str, path: str, per: dict[str, dict[str, str]]) -> EventSource:
    """The event camera ``name`` (an ``EventSource``): its file and the per-sensor options that name it."""
    from evface.datasets.importers.session_options import EventSource, check_used  # lazy: with the importer of import session

    kw = {field: read(per[opt][name], opt) for opt, (field, read) in _SENSOR_FIELDS.items() if name in per[opt]}
    model = _tag(per["--model"][name], f"--model {name}") if name in per["--model"] else ""
    sync = per["--sync"].get(name, "auto")
    if sync == "auto" and {"trigger_channel", "trigger_first_frame"} & kw.keys():
        sync = "trigger"  # a trigger option typed, NAME=0 too, asks for the pulses (was: hd=0 on a file without any
        # fell back to cross-correlation without a word, while hd=1 stopped the import)
    source = EventSource(name, Path(path), model, sync=sync, registration=per["--registration"].get(name, "auto"), **kw)
    check_used(source, given=kw)  # --trigger-channel hd=0 under --sync hd=xcorr too (was: taken as not given)
    return source


def _rgb_source(rgb: Path, fps: float | None, start_us: int, timestamps: Path | None,
                exposure_us: int | None) -> RgbSource:
    """The RGB video or frame folder (an ``RgbSource``), each bad value named by its option."""
    from evface.datasets.importers.session_options import RgbSource  # lazy: with the importer of import session
    from evface.sim.frame_folder import numbered_frames  # lazy: with the importer of import session

    if rgb.is_dir() and fps is None and timestamps is None:
        numbered_frames(rgb)  # a folder without 2 frames says so first: no rate would make it importable
        raise ParameterError(f"--rgb {rgb}: a folder of frames states no frame rate; give --rgb-fps or --rgb-timestamps")
    given = [name for name, value in (("--rgb-fps", fps is not None), ("--rgb-start-us", start_us)) if value]
    if timestamps is not None and given:
        raise ParameterError(f"{', '.join(given)}: the frame times come from --rgb-timestamps {timestamps}; give "
                             "one or the other")
    with naming("--rgb-fps"):
        RgbSource(rgb, fps=fps)
    with naming("--rgb-start-us"):
        RgbSource(rgb, start_us=start_us)
    with naming("--rgb-exposure-us"):
        return RgbSource(rgb, fps=fps, start_us=start_us, timestamps=timestamps, exposure_us=exposure_us)


def _session_options(*, subject: str | None, lighting: str, max_offset_us: int, min_confidence: float,
                     rgb_size: str | None, faces: bool, face_box: str | None, min_face: float,
                     registration_check: str, classes: str | None, overwrite: bool) -> SessionOptions:
    """The import's ``SessionOptions``, each bad value named by its option."""
    from evface.datasets.importers.session_options import SessionOptions  # lazy: with the importer of import session

    _check_classes(classes)
    with naming_fields({"max_offset_us": "--max-offset-us", "min_confidence": "--min-confidence", "min_face": "--min-face",
                        "face_box": "--face-box", "rgb_size": "--rgb-size", "registration_check": "--registration-check"}):
        return SessionOptions(subject=subject, lighting=_tag(lighting, "--lighting"), max_offset_us=max_offset_us,
                              min_confidence=min_confidence,
                              rgb_size=_ints(rgb_size, 2, "--rgb-size") if rgb_size is not None else None, detect_faces=faces,
                              face_box=_ints(face_box, 4, "--face-box") if face_box is not None else None, min_face=min_face,
                              registration_check=registration_check, classes=classes, overwrite=overwrite)


def _sensor_table(out: Path, report: dict[str, Any]) -> Table:
    """The table of each sensor's synchronisation and registration, titled with the clips imported."""
    from rich.table import Table  # lazy: rich's table off start-up

    table = Table(title=f"{out}: {counted(len(report['clips']), 'clip')}")
    for col in ("sensor", "sync", "offset µs", "confidence", "registration", "error px / score"):
        table.add_column(col, overflow="fold")  # was: an offset cut to '-160553749071…' in 80 columns
    for name, s in report["sensors"].items():
        table.add_row(name, s["sync"]["method"], _offset_text(s["sync"]), _confidence_text(s["sync"]),
                      s["registration"]["method"], _quality_text(s["registration"]))
    return table


def _offset_text(sync: dict[str, Any]) -> str:
    """A sensor's clock offset in µs, and its drift where one was measured."""
    offset = str(sync["offset_us"])
    if sync.get("drift_ppm"):
        offset += f" ({sync['drift_ppm']:+z.1f} ppm)"  # z: never '-0.0'
    return offset


def _confidence_text(sync: dict[str, Any]) -> str:
    """The confidence of an estimated offset; ``-`` for the user's own offset."""
    return "-" if sync["method"] == "given" else f"{sync['confidence']:.2f}"


def _quality_text(reg: dict[str, Any]) -> str:
    """A registration's point error or its match score, whichever it has."""
    return f"{reg['error_px']:.3f} px" if "error_px" in reg else (f"score {reg['score']:.3f}" if "score" in reg else "-")


def _print_skipped(skipped: list[dict[str, Any]]) -> None:
    """One line naming the clips that matched no class, if any."""
    if skipped:
        terminal.result(f"skipped {counted(len(skipped), 'clip')} matching no class: "
                        + ", ".join(s["clip_id"] for s in skipped))


def _print_warnings(console, warnings: list[str]) -> None:
    """One ``warning:`` line per problem that did not stop the import (also kept in dataset.json)."""
    for text in warnings:
        terminal.warn(console, text)


@import_app.command("corpus")
def corpus(
    context: typer.Context,
    root: Path = typer.Argument(..., metavar="ROOT", help="Corpus folder: clips as folders of frames (subXX/EPYY/imgN.jpg) or videos "
                                          "(subXX/EPYY.avi, read at their own rate)."),
    table: Path = typer.Argument(..., metavar="TABLE", help="Annotation table (CSV: Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units)."),
    out: Path = typer.Argument(..., metavar="OUT", help="Dataset folder to create."),
    sensor: list[str] = typer.Option(["davis346"], "--sensor", help="NAME[:WxH] event sensor, repeatable (davis346 -> lr, evk4 -> hd)."),
    fps: float | None = typer.Option(None, "--fps", help="Frame rate of the folders of frames (default 200, CASME II's) and of a "
                                                  "video that states none; a video that states its rate is read at it."),
    rgb_fps: float = typer.Option(0.0, "--rgb-fps", help="Resample each clip's RGB frames to this rate, at most the clip's own "
                                                         "(0: keep each clip's rate)."),
    lux_white: float = typer.Option(300.0, "--lux-white", "--lux", help="Scene illuminance of an sRGB white pixel, lux."),
    upsample: int = typer.Option(0, "--upsample", min=0, help="Simulation steps per frame interval (0: enough for 1 kHz)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the camera simulation (at most 2^46)."),
    label: str = typer.Option("aus", "--label", help="Label clips by 'aus' (AU1+2) or 'emotion'."),
    classes: str | None = typer.Option(None, "--classes", help="Label by an AU class set (default, compact, mouth); skip rows matching none."),
    face_box: str | None = typer.Option(None, "--face-box", help="X,Y,W,H face box (frame pixels) of every clip; wins over the detector."),
    min_face: float = typer.Option(0.5, "--min-face", help="Drop detected faces smaller than this fraction of the frame's shorter side (corpus frames are cropped to the face, so a box on one eye or the nose is dropped; import session takes 0.1)."),
    lighting: str = typer.Option("corpus", "--lighting", help="Lighting tag stored with the clips."),
    overwrite: bool = typer.Option(False, "--force", "--overwrite", help="Replace an earlier dataset in the output folder (never a folder of other files)."),
) -> None:
    """Convert a CASME II-style RGB corpus into events + RGB clips (resumes after an interruption)."""
    from evface.datasets.importers.corpus import CorpusOptions, import_corpus  # lazy: cv2, h5py, numba off start-up

    outside_datasets(output_folder(out, "OUT"), "OUT", own=True)  # was: imported among another dataset's files

    _check_classes(classes)
    with naming_fields({"fps": "--fps", "rgb_fps": "--rgb-fps", "lux_white": "--lux-white", "upsample": "--upsample",
                        "seed": "--seed", "min_face": "--min-face", "label": "--label", "face_box": "--face-box",
                        "sensor": "--sensor"}):
        options = CorpusOptions(sensors=tuple(sensor), fps=fps, rgb_fps=rgb_fps or None, lux_white=lux_white,
                                upsample=upsample or None, seed=seed, label=label, classes=classes,
                                lighting=_tag(lighting, "--lighting"),
                                face_box=_ints(face_box, 4, "--face-box") if face_box is not None else None, min_face=min_face,
                                overwrite=overwrite)
    if given(context, "min_face") and face_box is not None:  # was: accepted, and no face detected
        _refuse_min_face("--face-box")
    with sole_writer(out, "OUT"), terminal.progress() as bar:
        task = bar.add_task("converting clips", total=1.0)
        report = import_corpus(root, table, out, options, progress=lambda stage, frac: bar.update(task, completed=frac))
    skipped = f", skipped {len(report['skipped'])} matching no class" if report["skipped"] else ""
    terminal.result(f"{out}: {counted(len(report['clips']), 'clip')}{skipped}")
    _print_warnings(terminal.console(), report["warnings"])


def register(app: typer.Typer) -> None:
    """Add ``evface import`` to ``app``.

    Parameters
    ----------
    app : typer.Typer
        The ``evface`` command line.
    """
    app.add_typer(import_app, name="import")
