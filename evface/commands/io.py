"""``evface info`` and ``evface convert``: thin shells over :mod:`evface.io.file_info`,
:mod:`evface.io.event_reader` and :mod:`evface.io.event_writer`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evface.checks import INT64, MAX_SENSOR_SIDE, whole_number
from evface.commands import terminal
from evface.commands.paths import file_argument, not_replacing, not_the_input, output_file, refusing_newcomer
from evface.errors import EvfaceError, FormatError, ParameterError, counted
from evface.io.aedat4 import check_aedat4

if TYPE_CHECKING:  # the readers and writers load h5py and numba: imported where they run
    from evface.io.event_reader import EventsFileReader
    from evface.io.event_writer import EventsFileWriter


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    sides = [whole_number(v) for v in text.lower().split("x")]  # was int()'s: '١٢x260' read as 12x260
    whole = [side for side in sides if side is not None]
    width, height = whole if len(whole) == len(sides) == 2 else (0, 0)
    if not (0 < width <= MAX_SENSOR_SIDE and 0 < height <= MAX_SENSOR_SIDE):
        raise FormatError(f"--sensor-size must be WIDTHxHEIGHT in pixels from 1 to {MAX_SENSOR_SIDE}, like 1280x720, "
                          f"got {text!r}")
    return (width, height)


CHUNK_EVENTS = 1 << 20
"""The events of each chunk ``convert`` streams when no ``--chunk-us`` is given."""

TRIGGER_FORMATS = ("evt2", "evt2.1", "evt3", "aedat4")
"""The formats whose external trigger events evface reads (:func:`~evface.datasets.importers.sync_triggers.read_triggers`)."""


def trigger_summary(path: Path, info: dict) -> dict:
    """The external trigger edges of the events file ``path`` (whose :func:`file_info` is ``info``)
    per input channel: ``{"channels": [{"channel", "rising", "falling", "t_first_us",
    "t_last_us"}, ...], "note"}``, the note saying why there are none where there are none."""
    from evface.datasets.importers.sync_triggers import read_triggers  # lazy: faery's decoders, for this option only

    if info["format"] not in TRIGGER_FORMATS:
        return {"channels": [], "note": f"none: evface reads trigger events from {', '.join(TRIGGER_FORMATS)} files, "
                                        f"and this one is {info['format']}"}
    found = read_triggers(path, tuple(info["sensor_size"]))
    channels = []
    for channel in sorted(set(found["channel"].tolist())):
        edges = found[found["channel"] == channel]
        rising = int(edges["rising"].sum())
        channels.append({"channel": channel, "rising": rising, "falling": len(edges) - rising,
                         "t_first_us": int(edges["t"][0]), "t_last_us": int(edges["t"][-1])})
    return {"channels": channels, "note": "" if channels else f"none in this file{_trigger_streams(path, info)} (was the "
                                                              "camera's trigger input enabled?)"}


def _trigger_streams(path: Path, info: dict) -> str:
    """For an AEDAT 4 file without trigger edges, whether its header declares a trigger stream (was:
    the same words whether it declared one or not; a declared one that stayed empty is a recording
    whose trigger input was set up but saw no pulse); ``""`` for other formats."""
    if info["format"] != "aedat4":
        return ""
    streams = check_aedat4(path)
    if "TRIG" in streams.values():
        return ": its header declares a trigger stream (TRIG), which holds no trigger edge"
    return f": its header declares no trigger stream, only {', '.join(sorted(set(streams.values())))}"


def _info_table(info: dict) -> Table:
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("format", info["format"])
    if "sensor" in info:
        table.add_row("sensor", info["sensor"])
    if "sensor_size" in info:
        table.add_row("sensor size", "{}x{}".format(*info["sensor_size"]))
        table.add_row("events", f"{info['events']:,}" if info["events"] or "clip" in info else "0: the file holds a header and no events")
        table.add_row("duration", f"{info['duration_us'] / 1e6:.6f} s ({info['duration_us']:,} µs)")
        if info["t_first_us"] is not None:
            table.add_row("time range", f"{info['t_first_us']:,} .. {info['t_last_us']:,} µs")
        table.add_row("mean rate", _rate(info))
        table.add_row("ON / OFF", f"{info['on_events']:,} / {info['off_events']:,} (ON {100 * info['on_fraction']:.1f} %)")
    table.add_row("file size", f"{info['file_bytes'] / 1e6:.2f} MB")
    for name, s in info.get("sensors", {}).items():
        model = f" {s['model']}" if s.get("model") else ""
        table.add_row(f"sensor {name}", f"{s['sensor_size'][0]}x{s['sensor_size'][1]}{model}, "
                                        f"{counted(s['events'], 'event')}, ON {100 * s['on_fraction']:.1f} %")
    for name, fr in info.get("frames", {}).items():
        table.add_row(f"frames {name}", f"{fr['count']} x {'x'.join(map(str, fr['shape']))} at {fr['fps']:g} fps")
    for name, tr in info.get("truth", {}).items():
        table.add_row(f"truth {name}", f"{tr['count']} x {'x'.join(map(str, tr['shape']))}")
    if "triggers" in info:
        tr = info["triggers"]
        table.add_row("triggers", "; ".join(
            f"channel {c['channel']}: {c['rising']:,} rising, {c['falling']:,} falling, {c['t_first_us']:,} .. "
            f"{c['t_last_us']:,} µs" for c in tr["channels"]) or tr["note"])
    if "clip" in info:
        c = info["clip"]
        table.add_row("clip", f"{c['clip_id']} (subject {c['subject'] or '-'})")
        table.add_row("label", f"{c['label'] or '-'}  AUs {c['aus']}  lighting {c['lighting'] or '-'}")
        table.add_row("onset / apex / offset", f"{c['onset_us']:,} / {c['apex_us']:,} / {c['offset_us']:,} µs")
        for name, text in face_boxes(info).items():
            table.add_row(f"face box {name}" if name else "face box", text)
    return table


def _rate(info: dict) -> str:
    """The mean rate of the summary ``info`` in words: n/a where its events lie at one time (was:
    0 events/s beside their count).

    Examples
    --------
    >>> _rate({"mean_rate_hz": 2.5e5}), _rate({"mean_rate_hz": None, "events": 1, "t_first_us": 7})
    ('0.250 M events/s', 'n/a: 1 event at 7 µs, no time to take a rate over')
    """
    if info["mean_rate_hz"] is None:
        every = "all " * (info["events"] > 1)
        return f"n/a: {every}{counted(info['events'], 'event')} at {info['t_first_us']:,} µs, no time to take a rate over"
    return f"{info['mean_rate_hz'] / 1e6:.3f} M events/s"


def face_boxes(info: dict) -> dict[str, str]:
    """Each camera's face box of the clip file summarised in ``info`` (:func:`file_info`), in words:
    as the inputs crop it (whole pixels, clipped to the sensor's recorded window or the camera's
    frames: :func:`~evface.inputs.clip_view.box_in_image`), the stored box beside it where clipping
    changed it, or why it cannot be used; ``{"": why}`` where the clip stores none."""
    from evface.inputs.clip_view import box_in_image  # lazy: cv2 for a clip file's summary only

    stored = info["clip"].get("face_box")
    if not isinstance(stored, dict) or not stored:
        return {"": "none in the clip's calibration: the inputs cannot crop its face"}
    images = {name: ((s["sensor_size"][1], s["sensor_size"][0]), "event window")
              for name, s in info.get("sensors", {}).items()}
    images |= {name: (f["shape"][:2], "frames") for name, f in info.get("frames", {}).items()}
    out = {}
    for camera, box in stored.items():
        if camera not in images:
            out[camera] = f"{box}: no camera {camera!r} in this clip"
            continue
        shape_hw, what = images[camera]
        try:
            x, y, w, h = box_in_image({"face_box": stored}, camera, shape_hw)
        except EvfaceError as exc:
            out[camera] = str(exc)
            continue
        rounded = [int(round(float(v))) for v in box]
        out[camera] = (f"x {x}, y {y}, {w}x{h} px in its {shape_hw[1]}x{shape_hw[0]} {what}"
                       + (f" (stored {box}, clipped to it)" if rounded != [x, y, w, h] else ""))
    return out


def register(app: typer.Typer) -> None:
    """Add the I/O commands to ``app``."""

    @app.command("info")
    def info_command(
        file: Path = typer.Argument(..., metavar="FILE", help="Events file (.raw, .dat, .aedat4, .es, .csv), clip file (.h5), "
                                              "or a video (.mp4, .avi, ...) or folder of numbered frames: its size, "
                                              "frames and frame rate."),
        sensor: str | None = typer.Option(None, "--sensor", help="Clip sensor shown at the top (default: the first), or the event track (stream id) of an AEDAT 4 file that holds several."),
        sensor_size: str | None = typer.Option(None, "--sensor-size", help="WxH for files whose header has no size line, or only a camera plugin's name; must agree with a size the file gives."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        triggers: bool = typer.Option(False, "--triggers", help="Also count the external trigger edges per input "
                                                                "channel (.raw EVT 2/3, .aedat4; one more pass), to "
                                                                "check a recording before import session --sync trigger."),
    ) -> None:
        """Format, sensor size, event count, duration, rate and ON/OFF balance of an events file (a
        video's size, frame count and rate)."""
        from evface.io.file_info import file_info  # lazy: keeps h5py and numba out of `evface --help`

        video = _video_summary(file)
        if video is not None:
            _check_video_options(file, sensor, sensor_size, triggers)
            _print_video(video, json_out)
            return
        _check_info_input(file, sensor)
        info = file_info(file, sensor=sensor, sensor_size=_parse_size(sensor_size))
        if triggers:
            info["triggers"] = trigger_summary(file, info)
        _print_info(info, json_out)

    @app.command("convert")
    def convert_command(
        source: Path = typer.Argument(..., metavar="IN", help="Input events or clip file."),
        dest: Path = file_argument("OUT", "Output file; the extension picks the format."),
        sensor: str | None = typer.Option(None, "--sensor", help="Clip sensor to read (IN .h5; needed where it holds several), or IN .aedat4's event track by its stream id (needed where it holds several: a stereo rig), and the name it is written under in OUT .h5 (default: IN's sensor, or events for a camera file)."),
        version: str | None = typer.Option(None, "--version", help="EVT version of a .raw output: evt3 (default), evt2, evt2.1."),
        chunk_us: int | None = typer.Option(None, "--chunk-us", min=1, max=INT64[1], help=f"Stream in windows of this many µs (default: chunks of {CHUNK_EVENTS:,} events); an AEDAT 4 OUT starts a packet at each window. With --sort IN is still read whole, and only OUT is written in these windows."),
        sensor_size: str | None = typer.Option(None, "--sensor-size", help="WxH for inputs whose header has no size line, or only a camera plugin's name; must agree with a size the file gives."),
        relative_time: bool = typer.Option(False, "--relative-time",
                                           help="Write times from the first event, or from a trigger edge before it "
                                                "(the time origin is lost)."),
        force: bool = typer.Option(False, "--force", "--overwrite", help="Replace an existing OUT (any file but IN)."),
        sort: bool = typer.Option(False, "--sort", help="Sort IN's events by time first (IN must fit in memory); "
                                                        "for exports whose timestamps are out of order."),
    ) -> None:
        """Convert between any two supported formats, streaming (files larger than memory work).

        OUT is never the input file; an existing OUT (a recording, or an earlier output) is replaced
        only with --force.

        With --sort the whole input is read into memory and its events are written in time order
        (events of equal time keep their order).
        """
        from evface.io.event_reader import EventsFileReader  # lazy: keeps h5py and numba out of `evface --help`
        from evface.io.event_writer import DEFAULT_CLIP_SENSOR  # lazy: as above

        in_format = _check_conversion(source, dest, sensor, version, force)
        in_clip = in_format == "clip"
        reader = EventsFileReader(source, chunk_us=chunk_us, chunk_events=None if chunk_us else CHUNK_EVENTS,
                                  sensor=sensor if in_format in ("clip", "aedat4") else None,
                                  sensor_size=_parse_size(sensor_size), sort=sort, keep_triggers=True)
        named = sensor is not None and in_format != "aedat4"  # an AEDAT 4 IN's --sensor is its track's id, no name
        out_sensor = reader.sensor if in_clip else sensor if named else DEFAULT_CLIP_SENSOR
        assert out_sensor is not None  # a clip's reader names the sensor it chose on opening
        writer = _copy_events(reader, source, dest, version=version, sensor=out_sensor, relative_time=relative_time,
                              force=force)
        terminal.console().print(_wrote_line(writer, source, dest), soft_wrap=True)
        left = _left_out(reader, writer, source, dest)
        if left:  # was: dropped without a word, and `info --triggers` of OUT asked about the camera
            terminal.warn(terminal.console(), left)


def _check_info_input(file: Path, sensor: str | None) -> None:
    """Refuse, for ``evface info``, a folder (naming what describes a dataset folder) and a
    ``--sensor`` for a file that is no clip."""
    from evface.io.formats import detect_format  # lazy: keeps h5py and numba out of `evface --help`

    if file.is_dir():
        about = ("a dataset folder: evface report FOLDER --out report.html describes its clips"
                 if (file / "manifest.csv").is_file() else "give one of its files")
        raise FormatError(f"{file}: is a folder, and info reads one events, clip or video file or a folder of numbered "
                          f"frames ({about})")
    if sensor is not None and (fmt := detect_format(file)) not in ("clip", "aedat4"):
        raise ParameterError(f"--sensor {sensor}: names the sensor of a clip file, and {file.name} is {fmt} (nor an "
                             "AEDAT 4 file, whose event track it may name)")


VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts",
                  ".mts", ".ogv", ".mjpeg", ".mjpg", ".h264", ".264", ".h265", ".265", ".hevc")
"""The file names ``evface info`` reads as videos only: one OpenCV cannot read is refused with its
reason (was: "unknown extension '.mp4'; expected one of .aedat, ..."), not taken for an events file."""


def _video_summary(file: Path) -> dict | None:
    """What ``import session --rgb`` and ``simulate`` need to know of a video or a folder of
    numbered frames (its size, its frames, counted by decoding a video's, the frame rate it states
    and the duration that makes; a folder's first number, frame 0), or None for what is neither (an
    events or clip file, a picture, a dataset folder, a folder without numbered pictures, a file
    OpenCV cannot read without a video's name: info's own error then names it). A folder of
    numbered pictures that is no folder of frames (a gap, a repeat, one frame, a frame of another
    size or unreadable: every frame's header is read, as the import reads them) and a file with a
    video's name (:data:`VIDEO_SUFFIXES`) that OpenCV cannot read are refused as ``import session
    --rgb`` refuses them."""
    from evface.io.formats import EXTENSIONS  # lazy: keeps h5py and numba out of `evface --help`
    from evface.datasets.importers.rgb_scan import folder_frame_size  # lazy: OpenCV and Pillow, for frames only
    from evface.sim.frame_folder import FRAME_EXTENSIONS  # lazy: OpenCV, for videos only
    from evface.sim.video_read import count_frames, listed_frames, video_info  # lazy: OpenCV, for videos only

    folder = file.is_dir()
    if folder and ((file / "manifest.csv").is_file() or not _numbered_pictures(file, FRAME_EXTENSIONS)):
        return None
    if not (folder or file.is_file()) or not folder and (file.suffix.lower() in (*EXTENSIONS, *FRAME_EXTENSIONS)
                                                       or file.stat().st_size == 0):  # info's 'empty file'
        return None
    if not folder and file.suffix.lower() not in VIDEO_SUFFIXES and _states_events_format(file):
        return None  # an events file renamed (no extension, .bin): read as the format its content states
    try:
        stated = video_info(file)
        count, (width, height) = (stated.n_frames, folder_frame_size(file)) if folder else count_frames(file)
    except EvfaceError:
        if folder or file.suffix.lower() in VIDEO_SUFFIXES:
            raise
        return None
    return {"path": str(file), "format": "frames" if folder else "video", "size": [width, height], "frames": count,
            "listed": None if folder else listed_frames(stated), "first_number": stated.first_frame, "fps": stated.fps,
            "duration_us": round(count * 1e6 / stated.fps) if stated.fps > 0 else None,
            "file_bytes": None if folder else file.stat().st_size}


def _states_events_format(file: Path) -> bool:
    """Whether the content of ``file`` states an events or clip format (its magic bytes or Prophesee
    header), so that info reads it as that format rather than trying it as a video."""
    from evface.io.formats import format_from_content  # lazy: as in _video_summary

    with open(file, "rb") as f:
        head = f.read(16)
    try:
        return format_from_content(file, head) is not None
    except EvfaceError:  # a Prophesee header cut short: info's own error names it
        return True


def _numbered_pictures(folder: Path, extensions: tuple[str, ...]) -> bool:
    """Whether ``folder`` holds a picture (``extensions``) whose name ends in a number, as a frame
    of :func:`~evface.sim.frame_folder.numbered_frames` is named (hidden files left out)."""
    return any(p.suffix.lower() in extensions and p.stem[-1:].isdigit() and not p.name.startswith(".")
               for p in folder.iterdir())


def _check_video_options(file: Path, sensor: str | None, sensor_size: str | None, triggers: bool) -> None:
    """Refuse, for a video or a folder of frames, the options that only an events or clip file takes."""
    what = "a folder of frames" if file.is_dir() else "a video"
    for given, option in ((sensor is not None, "--sensor"), (sensor_size is not None, "--sensor-size"),
                          (triggers, "--triggers")):
        if given:
            raise ParameterError(f"{option}: is for an events or clip file, and {file.name} is {what} (its frames and "
                                 "rate are all info shows of it)")


def _print_video(video: dict, json_out: bool) -> None:
    """Print the summary of a video (:func:`_video_summary`) as JSON, or as its path and a table."""
    if json_out:
        print(json.dumps(video, indent=2))
        return
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    folder = video["format"] == "frames"
    table.add_row("format", f"{'folder of numbered frames' if folder else 'video'} (the RGB stream of evface import "
                            "session --rgb; evface simulate turns it into events)")
    table.add_row("frame size", "{}x{}".format(*video["size"]))
    counted = (f"files numbered {video['first_number']} .. {video['first_number'] + video['frames'] - 1}"
               if folder else "decoded")
    table.add_row("frames", f"{video['frames']:,} ({counted}: frame indices 0 .. {video['frames'] - 1:,}){_lost(video)}")
    if video["fps"] > 0:
        table.add_row("frame rate", f"{video['fps']:g} fps (as the video states; frame k starts at k / fps, "
                                    "unless the container's timestamps stray from it: docs/import-guide.md, 1.2)")
        table.add_row("duration", f"{video['duration_us'] / 1e6:.6f} s ({video['duration_us']:,} µs)")
    else:
        table.add_row("frame rate", _no_rate(folder))
    if not folder:
        table.add_row("file size", f"{video['file_bytes'] / 1e6:.2f} MB")
    out = terminal.console(stderr=False)
    out.print(video["path"], soft_wrap=True)
    out.print(table)


def _no_rate(folder: bool) -> str:
    """What info says of a video or folder of frames that states no frame rate: the options that
    give it, to each command that reads one (was: import session's alone, for a video that
    ``import corpus`` and ``simulate`` read with ``--fps``).

    Examples
    --------
    >>> _no_rate(False)
    'not stated (a bare codec stream): give it as import session --rgb-fps (or --rgb-timestamps), import corpus --fps, simulate --fps'
    """
    what = "a folder of frames" if folder else "a bare codec stream"
    return (f"not stated ({what}): give it as import session --rgb-fps (or --rgb-timestamps), import corpus --fps, "
            "simulate --fps")


def _lost(video: dict) -> str:
    """What info says of a video that decodes fewer frames than its file lists (``listed``; 0 where
    it lists none), as ``simulate`` warns of it: ``""`` where it decodes them all.

    Examples
    --------
    >>> _lost({"frames": 38, "listed": 40}), _lost({"frames": 12, "listed": 0})
    ('; the file lists 40: cut short or damaged, frames after a lost one are numbered early', '')
    """
    listed = video.get("listed") or 0
    if not video["frames"] < listed:
        return ""
    return f"; the file lists {listed:,}: cut short or damaged, frames after a lost one are numbered early"


def _print_info(info: dict, json_out: bool) -> None:
    """Print the summary ``info`` as JSON, or as its path and a table."""
    if json_out:
        print(json.dumps(info, indent=2))
    else:
        out = terminal.console(stderr=False)
        out.print(info["path"], soft_wrap=True)  # whole, as a path to copy: a table's title folds it
        out.print(_info_table(info))


def _check_conversion(source: Path, dest: Path, sensor: str | None, version: str | None, force: bool) -> str:
    """Refuse, for ``evface convert``, an OUT that is IN or exists (unless ``force``), an unknown
    ``--version`` and a ``--sensor`` where neither file is a clip (nor IN an AEDAT 4 file, whose event
    track it names); returns IN's format."""
    from evface.io.formats import EVT_VERSIONS, detect_format, output_format  # lazy: as _check_info_input

    not_replacing(output_file(not_the_input(dest, source, "OUT"), "OUT"), "OUT", force)
    if version is not None and version.lower() not in EVT_VERSIONS:
        raise ParameterError(f"--version {version}: expected one of {', '.join(EVT_VERSIONS)}")
    in_format = detect_format(source)
    in_clip = in_format == "clip"
    if sensor is not None and not in_clip and in_format != "aedat4" and output_format(dest, version=version) != "clip":
        raise ParameterError(f"--sensor {sensor}: names the sensor of a clip file, and neither IN ({source.name}) "
                             f"nor OUT ({dest.name}) is one (nor is IN an AEDAT 4 file, whose event track it may name)")
    return in_format


def _copy_events(reader: EventsFileReader, source: Path, dest: Path, *, version: str | None, sensor: str,
                 relative_time: bool, force: bool) -> EventsFileWriter:
    """Write the events of ``reader`` to ``dest`` under a progress bar, and its external trigger
    edges where ``dest``'s format holds them (an AEDAT 4 file's trigger track declared where
    ``reader`` may hold edges); returns the closed writer."""
    from evface.io.event_writer import open_events_writer  # lazy: as _check_info_input
    from evface.io.formats import output_format  # lazy: as above

    total = reader.known_count
    trigger_track = output_format(dest, version=version) == "aedat4" and reader.may_hold_trigger_edges()
    columns = [TextColumn("{task.description}", style="bold", markup=False), BarColumn(),
               TextColumn("{task.completed:,.0f} events"), TimeElapsedColumn()]
    with refusing_newcomer(dest, "OUT"), open_events_writer(  # a bad OUT before the bar
            dest, reader.sensor_size, version=version, sensor=sensor, relative_time=relative_time, force=force,
            replace=force, trigger_track=trigger_track) as writer:  # was: a file made at OUT meanwhile replaced
        # without --force
        with terminal.progress(*columns, transient=False) as progress:
            task = progress.add_task(f"{source.name} -> {dest.name}", total=total)
            for chunk in reader:  # the edges met as the chunk was decoded go before it (was: dropped)
                writer.write_triggers(reader.take_trigger_edges())
                writer.write(chunk)
                progress.advance(task, chunk.size)
            writer.write_triggers(reader.take_trigger_edges())
            progress.update(task, total=writer.count)
    return writer


def _wrote_line(writer: EventsFileWriter, source: Path, dest: Path) -> str:
    """The result line of ``evface convert``: the events written, where, in which format, and the
    time origin dropped with ``--relative-time``: the first event's, or the first trigger edge's where
    one comes before it (events and edges share one origin, :attr:`~evface.io.event_writer.EventsFileWriter.origin_us`;
    was: said to be the first event's)."""
    origin, first = writer.origin_us, writer.first_event_us
    if not origin:
        return f"wrote {counted(writer.count, 'event')} to {dest} ({writer.format})"
    if first == origin:
        said = f"; times from the first event, which was at t={origin:,} µs in {source.name}"
    else:
        gap = first - origin if first is not None else None
        after = " (no event written)" if gap is None else f", {gap:,} µs before the first event (now at t={gap:,} µs)"
        said = f"; times from the first trigger edge, which was at t={origin:,} µs in {source.name}{after}"
    return f"wrote {counted(writer.count, 'event')} to {dest} ({writer.format}){said}"


def _left_out(reader: EventsFileReader, writer: EventsFileWriter, source: Path, dest: Path) -> str:
    """The warning of ``evface convert`` whose IN holds what OUT does not: external trigger edges
    where OUT's format holds none or not their trigger input (:data:`~evface.io.event_writer.TRIGGER_INPUTS`),
    IMU samples or APS frames (an AEDAT 4 file's other tracks), which no format evface writes keeps;
    ``""`` where OUT holds all IN does."""
    from evface.io.event_writer import TRIGGER_INPUTS_HELD  # lazy: as _check_info_input

    edges = reader.trigger_edges - writer.trigger_edges
    held = [counted(n, what) for n, what in ((edges, "external trigger edge"),
                                             (reader.imu_samples, "IMU sample"), (reader.frames, "APS frame")) if n]
    if not held:
        return ""
    keep = (f"; keep {source.name} for `evface import session --sync NAME=trigger` and `evface info --triggers`"
            if edges else "")
    inputs = f" ({TRIGGER_INPUTS_HELD[writer.format]})" if edges and writer.format in TRIGGER_INPUTS_HELD else ""
    alone = "" if writer.trigger_edges else ": evface converts events alone"
    listed = held[0] if len(held) == 1 else f"{', '.join(held[:-1])} and {held[-1]}"
    return f"{source.name} holds {listed}, which {dest.name} does not{inputs}{alone}{keep}"
