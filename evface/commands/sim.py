"""``evface simulate VIDEO|FOLDER --sensor ... --out FILE``: a thin shell over :mod:`evface.sim`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from evface.checks import real_number
from evface.commands import terminal
from evface.commands.options import given, naming
from evface.commands.paths import file_name, made_folder, not_replacing, not_the_input, output_file, refusing_newcomer
from evface.errors import ParameterError, choose_from, counted, where
from evface.io.temporary_files import NAME_MAX

if TYPE_CHECKING:  # lazy at run time: cv2, numba and h5py off CLI start-up
    import numpy as np
    from rich.console import Console
    from rich.progress import TaskID

    from evface.checks import Roi
    from evface.events.core import SensorSize
    from evface.io.event_writer import EventsFileWriter
    from evface.sim.dvs_params import DvsParams
    from evface.sim.rgb import RgbCamera, RgbCameraParams
    from evface.sim.sensors import SensorSpec
    from evface.sim.video import VideoScene
    from evface.sim.video_read import VideoInfo


@dataclass(frozen=True)
class _Simulation:
    """What ``evface simulate`` was asked for, checked: the input ``video``; the events file
    ``out`` and the RGB camera's video ``rgb_out`` (None: none), an existing one replaced only with
    ``force``, the events' times from the first with ``relative_time``; the ``sensor`` named, its
    ``full_size`` array and the ``window`` of it recorded (x0, y0, w, h), its pixel model
    ``params``; the ``lux`` a full-white video pixel stands for, the ``seed``, the ``upsample``
    factor; the RGB ``camera`` preset and its ``camera_params`` (None without ``rgb_out``)."""

    video: Path
    out: Path
    rgb_out: Path | None
    force: bool
    relative_time: bool
    sensor: str
    full_size: SensorSize
    window: Roi
    params: DvsParams
    lux: float
    seed: int
    upsample: int
    camera: str
    camera_params: RgbCameraParams | None


@dataclass(frozen=True)
class _Timing:
    """The input's timing: what OpenCV reports of it (``info``), its frame ``rate`` (``--fps`` or
    the file's), and a variable-frame-rate video's container timestamps ``timed`` (µs; None: frame
    k at k / rate)."""

    info: VideoInfo
    rate: float
    timed: np.ndarray | None


@dataclass(frozen=True)
class _Written:
    """What simulate wrote: ``n_events`` events from the ``frames_read`` frames decoded, which last
    ``duration_us``; ``origin_us`` taken off every event's time (``--relative-time``, else 0)."""

    n_events: int
    frames_read: int
    duration_us: int
    origin_us: int


@dataclass
class _Tally:
    """The events written and the frames read so far, shown on the progress ``bar``'s ``task``."""

    bar: Progress
    task: TaskID
    n_events: int = 0
    frames_read: int = 0

    def frame_read(self, i: int) -> None:
        """Frame ``i`` (from 0) is read: show the frames read and the events written on the bar."""
        self.frames_read = i + 1
        self.bar.update(self.task, completed=self.frames_read, description=counted(self.n_events, "event"))


def _overrides(items: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"--set {item!r}: expected KEY=VALUE, e.g. --set cutoff_hz=0")
        number = real_number(value)  # was float(): 'cutoff_hz=١٢' read as 12
        if number is None:
            raise ParameterError(f"--set {item!r}: {value!r} is not a number")
        out[key.strip()] = number
    return out


def _pending(rgb_out: Path) -> Path:
    """A new name of this run's own beside ``rgb_out`` (``STEM.HOST-PID-RANDOM.tmp.EXT``, made empty:
    :func:`~evface.io.temporary_files.temporary_beside`) that the RGB camera's video is written under
    until it is published, its frame times beside it (``STEM.HOST-PID-RANDOM.tmp.frames.csv``): two
    simulate runs of one ``--rgb-out`` never share one (was: ``STEM.pending.EXT`` for all)."""
    from evface.io.temporary_files import temporary_beside  # lazy: as the writers it names files for

    return temporary_beside(rgb_out, keep_suffix=True)


def _set_aside(path: Path) -> Path | None:
    """Move the file ``path`` to a new hidden name beside it and return that name; None (nothing
    moved) when no file is there."""
    if not path.is_file():
        return None
    fd, aside = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
    os.close(fd)
    try:
        os.replace(path, aside)
    except BaseException:
        os.unlink(aside)
        raise
    return Path(aside)


@contextlib.contextmanager
def _published(moves: list[tuple[Path, Path]], replace: bool) -> Iterator[None]:
    """Rename each ``(pending, name)`` onto its name, then run the block (which publishes the
    events). If a rename or the block fails, each name gets back what it held: the older file, or
    nothing. Without ``replace`` a file with something in it that is at a name by then is kept, a
    :class:`FileExistsError` naming it (:func:`~evface.io.atomic_files.publish`)."""
    from evface.io.atomic_files import publish  # lazy: as the writers of the files it publishes

    done: list[tuple[Path, Path | None]] = []
    try:
        for pending, name in moves:
            done.append((name, _set_aside(name) if replace else None))
            try:
                publish(pending, name, replace)
            except FileExistsError:
                done.pop()  # the file there is another's: left as it is
                raise
        yield
    except BaseException:
        for name, older in reversed(done):
            with contextlib.suppress(OSError):
                if older is None:
                    name.unlink(missing_ok=True)
                else:
                    os.replace(older, name)
        raise
    for _, older in done:
        if older is not None:
            older.unlink(missing_ok=True)


@contextlib.contextmanager
def _refusing_newcomers(out: Path, rgb_out: Path | None) -> Iterator[None]:
    """Name a file made at ``--out``, ``--rgb-out`` or its frame times while simulate worked, which it
    keeps without ``--force``, as :func:`~evface.commands.paths.not_replacing` names one there before."""
    from evface.sim.video_write import frame_times_path  # lazy: cv2

    with contextlib.ExitStack() as stack:
        stack.enter_context(refusing_newcomer(out, "--out"))
        if rgb_out is not None:
            stack.enter_context(refusing_newcomer(rgb_out, "--rgb-out"))
            stack.enter_context(refusing_newcomer(frame_times_path(rgb_out), "--rgb-out",
                                                  "simulate writes the frame times of --rgb-out there"))
        yield


def _film_rgb(path: Path, cam: RgbCamera, scene: VideoScene, duration_us: int, bar: Progress) -> None:
    """Write what RGB camera ``cam`` films of ``scene`` over ``duration_us`` to the video ``path``
    and its frame times beside it (``evface.sim.video_write.frame_times_path``)."""
    from evface.sim.video_write import frame_times_path, write_frame_times, write_video  # lazy: cv2

    params = cam.params
    task = bar.add_task("rgb frames", total=max(int(duration_us * params.fps // 1_000_000), 1))
    timing: list[tuple[int, int, float]] = []

    def images() -> Iterator[Any]:
        for image, t_us, exposure_us, gain in cam.iter_capture(scene, 0, max(duration_us, int(params.period_us) + 1)):
            bar.advance(task)
            timing.append((t_us, exposure_us, gain))
            yield image

    write_video(path, images(), params.fps)
    write_frame_times(frame_times_path(path), *zip(*timing, strict=True))


def _duration_us(frames_read: int, rate: float, timed: np.ndarray | None) -> int:
    """How long the first ``frames_read`` frames of the video last (µs): ``frames_read / rate``, or at
    a variable-frame-rate video's container timestamps ``timed`` up to the end of the last frame's
    own interval (``evface.sim.video_timing.own_intervals``)."""
    if timed is None or not frames_read:
        return int(round(frames_read * 1e6 / rate))
    from evface.sim.video_timing import own_intervals  # lazy: cv2

    last = min(frames_read, len(timed)) - 1
    return int(timed[last] + own_intervals(timed)[last])


def _check_output_names(video: Path, out: Path, rgb_out: Path | None, force: bool, relative_time: bool) -> None:
    """Refuse, before any work, an ``--out`` simulate may not write (the input, a folder, an
    existing file without ``force``: :mod:`evface.commands.paths`), and so an ``--rgb-out``
    (:func:`_check_rgb_out`)."""
    not_replacing(output_file(not_the_input(out, video, "--out")), "--out", force)
    if rgb_out is not None:
        _check_rgb_out(video, out, rgb_out, force, relative_time)


def _check_rgb_out(video: Path, out: Path, rgb_out: Path, force: bool, relative_time: bool) -> None:
    """Refuse an ``--rgb-out`` simulate may not write: as ``--out``, a video codec it has none for,
    and its frame times' name (``NAME.frames.csv``) longer than a file name holds, a folder, the input, ``out`` or an existing
    file without ``force``; and ``relative_time`` with it (the events' times would no longer be
    those of its frame times)."""
    from evface.sim.video_write import frame_times_path, video_codec  # lazy: cv2, numba

    not_replacing(output_file(not_the_input(rgb_out, video, "--rgb-out"), "--rgb-out"), "--rgb-out", force)
    with naming("--rgb-out"):
        video_codec(rgb_out)
    times = frame_times_path(rgb_out)
    size = len(os.fsencode(times.name))
    if size > NAME_MAX:  # was: refused after the simulation, "File name too long" naming the frame times
        raise ParameterError(where(rgb_out, f"its frame times' name (NAME.frames.csv) would be {size} bytes, more than "
                                            f"the {NAME_MAX} a file name holds; give --rgb-out a name at least "
                                            f"{size - NAME_MAX} bytes shorter"))
    if times.is_dir():
        raise ParameterError(where(times, "is a folder, and simulate writes the frame times of --rgb-out "
                                          "there; give --rgb-out another name"))
    not_the_input(times, video, "--rgb-out")
    if times.resolve() == out.resolve():
        raise ParameterError(where(out, f"is where simulate writes the frame times of --rgb-out {rgb_out}; "
                                        "give --out or --rgb-out another name"))
    not_replacing(times, "--rgb-out", force, "simulate writes the frame times of --rgb-out there")
    if relative_time:
        raise ParameterError("--relative-time: the events' times would no longer be those of the frame "
                             "times of --rgb-out; leave one of them out")


def _sensor_and_window(sensor: str, roi: str | None) -> tuple[SensorSpec, Roi]:
    """The sensor ``--sensor`` names and the window of its array ``--roi`` records (all of it
    where ``roi`` is None), each bad value named by its option."""
    from evface.sim.footage import parse_roi  # lazy: cv2 and numba off CLI start-up
    from evface.sim.sensors import parse_sensor  # lazy: numpy off CLI start-up

    with naming("--sensor"):
        spec = parse_sensor(sensor)
    with naming("--roi"):
        return spec, parse_roi(roi, spec.size)


def _dvs_params(model: str | None, spec: SensorSpec, set_: list[str] | None) -> DvsParams:
    """The pixel model ``--model`` names (default: the sensor's, davis346 for a bare size) with
    the fields ``--set`` overrides; a bad model named as ``--model``, a bad field as ``--set``."""
    overrides = _overrides(set_)
    chosen = model if model is not None else spec.name if spec.sensor is not None else "davis346"  # was: "" as if not given
    with naming("--model"):
        _pixel_model(chosen)
    with naming("--set"):
        return _pixel_model(chosen, **overrides)


def _pixel_model(name: str, **fields: float) -> DvsParams:
    """The pixel model ``name`` (``ideal``, or a sensor's preset) with ``fields`` set."""
    from evface.sim.dvs_params import PRESETS, DvsParams  # lazy: numpy off CLI start-up

    if name != "ideal" and name not in PRESETS:  # was: DvsParams.preset's "choose from davis346, evk4", without ideal
        raise ParameterError(f"unknown pixel model {name!r}; {choose_from([*sorted(PRESETS), 'ideal'])}")
    return DvsParams.ideal(**fields) if name == "ideal" else DvsParams.preset(name, **fields)


def _rgb_camera_params(rgb_out: Path | None, camera: str, metering: str | None,
                       antiflicker_hz: float | None, camera_given: bool) -> RgbCameraParams | None:
    """The RGB camera of ``--rgb-out``: the ``--camera`` preset, its auto-exposure's
    ``--metering`` and ``--antiflicker-hz`` where given. None without ``--rgb-out``, where any of
    those options given is refused (``--rgb-camera`` given at all, ``camera_given``: its default too)."""
    from evface.sim.rgb import RgbCameraParams  # lazy: h5py (clip frames) off CLI start-up

    ae_overrides = {k: v for k, v in (("metering", metering), ("antiflicker_hz", antiflicker_hz)) if v is not None}
    rgb_only = [name for name, given in (("--rgb-camera", camera_given), ("--metering", metering is not None),
                                         ("--antiflicker-hz", antiflicker_hz is not None)) if given]
    if rgb_out is None and rgb_only:
        raise ParameterError(f"{', '.join(rgb_only)}: set the camera of --rgb-out, which is not given; give "
                             "--rgb-out FILE or leave them out")
    if rgb_out is None:
        return None
    with naming("--rgb-camera"):
        RgbCameraParams.preset(camera)
    with naming("/".join(f"--{k.replace('_', '-')}" for k in ae_overrides)):
        return RgbCameraParams.preset(camera, **ae_overrides)


def _check_numbers(lux: float, seed: int, upsample: int) -> None:
    """Refuse a ``--lux-white`` outside (0, MAX_SCENE_LUX], a negative ``--seed`` and an ``--upsample``
    below 1."""
    from evface.checks import as_int, as_real  # lazy: numpy off CLI start-up
    from evface.sim.footage import MAX_SCENE_LUX  # lazy: cv2 and numba off CLI start-up

    with naming("--lux-white"):
        as_real("lux", lux, 0, MAX_SCENE_LUX, low_open=True)
    with naming("--seed"):
        as_int("seed", seed, 0)
    if not upsample > 0:
        raise ParameterError(f"--upsample must be positive, got {upsample}")


def _check_rgb_size(video: Path, rgb_out: Path | None) -> None:
    """Refuse, before any work, an ``--rgb-out`` of the input's frames where their width or height is
    odd, with :func:`~evface.sim.video_write.check_video_size`, the writer's own check (was: refused
    by the writer as the video was begun, once every event had been simulated)."""
    if rgb_out is None:
        return
    from evface.sim.video_read import video_info  # lazy: cv2, numba
    from evface.sim.video_write import check_video_size  # lazy: cv2

    info = video_info(video)
    check_video_size(rgb_out, info.width, info.height)


def _read_timing(video: Path, fps: float | None, upsample: int) -> _Timing:
    """Read the input's timing: what OpenCV reports of it, its rate (``--fps`` or the file's) and a
    variable-frame-rate video's container timestamps. Refuses an ``--upsample`` finer than a
    microsecond at its fastest rate, and a pause longer than a DVS step
    (:func:`~evface.sim.video_timing.check_pauses`)."""
    from evface.sim.footage import check_upsample  # lazy: cv2 and numba off CLI start-up
    from evface.sim.video_read import video_fps, video_info  # lazy: cv2, numba
    from evface.sim.video_timing import check_pauses, fastest_rate, variable_rate_times  # lazy: cv2, numba

    info = video_info(video)
    with naming("--fps"):
        rate = video_fps(info, fps)
    timed = variable_rate_times(video, info, fps)  # a variable-frame-rate video's frames at their timestamps
    check_upsample(upsample, fastest_rate(timed, rate), "--upsample")
    check_pauses(video, timed, upsample, ("--upsample", "--fps"))
    return _Timing(info, rate, timed)


def _check_noise_per_step(run: _Simulation, timing: _Timing) -> None:
    """Refuse noise rates (``--set``) that draw more events in the longest DVS step over the
    window than a step may hold (``MAX_NOISE_PER_STEP``), naming ``--upsample`` as a way out."""
    from evface.sim.dvs_params import MAX_NOISE_PER_STEP, noise_per_step  # lazy: numpy off CLI start-up
    from evface.sim.video_timing import longest_step_us  # lazy: cv2, numba

    params, window = run.params, run.window
    step_us = longest_step_us(timing.timed, timing.rate) / run.upsample
    noise = noise_per_step(params, window[2] * window[3], step_us)
    if noise > MAX_NOISE_PER_STEP:
        raise ParameterError(f"--set: the noise rates (leak_rate_hz {params.leak_rate_hz:g}, shot_noise_rate_hz "
                             f"{params.shot_noise_rate_hz:g} x shot_noise_max_factor {params.shot_noise_max_factor:g}) "
                             f"draw {noise:,.0f} events in each {step_us:,.0f} µs step over the {window[2]}x"
                             f"{window[3]} window, more than the {MAX_NOISE_PER_STEP:,} a step may hold; lower "
                             "them, or give --upsample K for steps K times shorter")


def _warn_of_variable_rate(console: Console, video: Path, timing: _Timing) -> None:
    """Warn that a variable-frame-rate video's frames are placed at their container timestamps
    (``--fps`` places frame k at k / fps); nothing for a video of one rate."""
    from evface.sim.video_timing import variable_rate_note  # lazy: cv2, numba

    if timing.timed is not None:
        terminal.warn(console, variable_rate_note(video, timing.timed, timing.info.fps,
                                                  "give --fps to place frame k at k / fps"))


def _progress_bar() -> Progress:
    """The bar simulate shows on a terminal: the frames read of the video's, the time taken and
    left, the events written."""
    return terminal.progress(TextColumn("[bold]simulate[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             TimeRemainingColumn(), TextColumn("{task.description}", markup=False))


def _stream_and_write(run: _Simulation, timing: _Timing) -> _Written:
    """Stream the video's frames to events into ``--out`` and film it with the RGB camera into
    ``--rgb-out`` and its frame times, on a progress bar. The RGB camera's video and its frame
    times are written under pending names of this run's own, then published, and the events last:
    a failure of any leaves none (older files as they were); without ``--force``, a file made at a
    name meanwhile is kept (was: renamed over). The folders of ``--out`` are made by its writer,
    those of ``--rgb-out`` here, both removed on failure."""
    from evface.io.event_writer import open_events_writer  # lazy: numba (EVT kernels) off CLI start-up
    from evface.sim.rgb import RgbCamera  # lazy: h5py (clip frames) off CLI start-up
    from evface.sim.video import VideoScene  # lazy: cv2, numba
    from evface.sim.video_write import frame_times_path  # lazy: cv2, numba

    rgb_out, window = run.rgb_out, run.window
    rgb_folder = contextlib.nullcontext() if rgb_out is None else made_folder(rgb_out.parent)
    with _progress_bar() as bar, rgb_folder:
        tally = _Tally(bar, bar.add_task("events", total=timing.info.n_frames or None))
        pending: Path | None = None
        moves: list[tuple[Path, Path]] = []
        if rgb_out is not None:
            pending = _pending(rgb_out)
            moves = [(pending, rgb_out), (frame_times_path(pending), frame_times_path(rgb_out))]
        try:
            with _refusing_newcomers(run.out, rgb_out), open_events_writer(
                    run.out, (window[2], window[3]), sensor=run.sensor, relative_time=run.relative_time,
                    force=run.force, replace=run.force) as writer:
                _stream_events(writer, run, timing, tally)
                duration_us = _duration_us(tally.frames_read, timing.rate, timing.timed)
                if pending is not None:
                    _film_rgb(pending, RgbCamera(run.camera_params, run.seed),
                              VideoScene(run.video, run.lux, timing.rate, timing.timed), duration_us, bar)
                with _published(moves, run.force):
                    writer.close()
            origin_us = writer.origin_us  # --relative-time: the first event's time, taken off every time
        finally:
            for pending_file, _ in moves:
                pending_file.unlink(missing_ok=True)
    return _Written(tally.n_events, tally.frames_read, duration_us, origin_us)


def _stream_events(writer: EventsFileWriter, run: _Simulation, timing: _Timing, tally: _Tally) -> None:
    """Turn the video's frames into events with the DVS pixel model, writing each chunk with
    ``writer`` and counting frames and events in ``tally``."""
    from evface.sim.video import iter_video_events  # lazy: cv2, numba

    for chunk in iter_video_events(run.video, run.full_size, run.params, seed=run.seed, roi=run.window, lux=run.lux,
                                   upsample=run.upsample, fps=timing.rate, times_us=timing.timed,
                                   on_frame=tally.frame_read):
        writer.write(chunk)
        tally.n_events += chunk.size


def _warn_if_cut_short(console: Console, video: Path, info: VideoInfo, frames_read: int) -> None:
    """Warn where fewer frames were decoded than the file lists in its index (cut short or damaged;
    an estimate of the count, :func:`~evface.sim.video_read.listed_frames`, is no listing)."""
    from evface.sim.video_read import listed_frames  # lazy: cv2, numba
    listed = listed_frames(info)
    if listed and frames_read != listed:
        terminal.warn(console, f"{video}: the file lists {counted(listed, 'frame')} and {frames_read} "
                               f"decoded (cut short or damaged?); the events cover those {frames_read}")


def _say_what_was_written(console: Console, run: _Simulation, timing: _Timing, written: _Written) -> None:
    """Say what was written: the events, from how many frames over how long, on which window, to
    which file; for a folder of numbered frames the time of frame n; the RGB camera's video and
    its frame times."""
    from evface.sim.video_write import frame_times_path  # lazy: cv2, numba

    window, first_frame = run.window, timing.info.first_frame
    shift = f" - {written.origin_us}" if written.origin_us else ""  # was: the frames placed as if no time were taken off
    console.print(
        f"{counted(written.n_events, 'event')} from {counted(written.frames_read, 'frame')} "
        f"({written.duration_us / 1e6:.3f} s) on a {window[2]}x{window[3]} {run.sensor} window -> {run.out}"
        + (f"; frame n at round((n - {first_frame}) x 1e6 / {timing.rate:g}){shift} µs" if first_frame is not None else "")
        + (f"; RGB ({run.camera}) -> {run.rgb_out}, frame times -> {frame_times_path(run.rgb_out)}"
           if run.rgb_out is not None else ""),
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``evface simulate`` to ``app``."""

    @app.command("simulate")
    def simulate(
        context: typer.Context,
        video: Path = typer.Argument(..., metavar="VIDEO|FOLDER",
                                     help="A video file OpenCV's VideoCapture decodes (.mp4, .avi, ...), or a folder of "
                                          "numbered 8-bit frames (img46.jpg, img47.jpg, ...; .jpg .jpeg .png .bmp .tif "
                                          ".tiff) with --fps."),
        out: Path = typer.Option(..., "--out", parser=file_name("--out"), metavar="<path>", help="Events file: .raw (EVT3), .dat, .aedat4, .es, .csv or .h5 (clip)."),
        sensor: str = typer.Option("davis346", "--sensor", help="davis346, evk4, WxH or NAME:WxH (full array size)."),
        roi: str | None = typer.Option(None, "--roi", help="x0,y0,w,h window of the array to record (default: all)."),
        model: str | None = typer.Option(None, "--model", help="Pixel model: davis346, evk4 or ideal (default: the sensor's, davis346 for WxH)."),
        set_: list[str] | None = typer.Option(None, "--set", help="Override a DvsParams field, e.g. --set cutoff_hz=0 (repeatable)."),
        lux: float = typer.Option(300.0, "--lux-white", "--lux", help="Illuminance (lux) a full-white video pixel stands for."),
        upsample: int = typer.Option(1, "--upsample", help="Insert K-1 linearly interpolated frames between video frames (K at least 1)."),
        fps: float | None = typer.Option(None, "--fps", help="Frame rate of the video (default: the file's, or each frame's container timestamp when a variable-frame-rate video's frames stray from it by over half a frame); required for a folder of frames."),
        seed: int = typer.Option(0, "--seed", min=0, help="Seed of the threshold mismatch, noise and RGB camera noise."),
        rgb_out: Path | None = typer.Option(None, "--rgb-out", parser=file_name("--rgb-out"), metavar="<path>",
                                     help="Also write the video as seen by an RGB camera model (.avi or .mp4)."),
        relative_time: bool = typer.Option(False, "--relative-time",
                                           help="Write times from the first event (the time origin is lost)."),
        force: bool = typer.Option(False, "--force", "--overwrite", help="Replace an existing --out, and the video and frame times of --rgb-out."),
        camera: str = typer.Option("webcam30", "--rgb-camera", "--camera", help="RGB camera preset for --rgb-out: webcam30 or highspeed200."),
        metering: str | None = typer.Option(None, "--metering",
                                     help="Auto-exposure metering for --rgb-out: average or centre (default: the preset's)."),
        antiflicker_hz: float | None = typer.Option(None, "--antiflicker-hz",
                                             help="Light flicker (Hz) the --rgb-out exposure avoids: 100 or 120 for lamps on 50 or 60 Hz mains, any rate up to 10^6, or 0 (off; default: the preset's)."),
    ) -> None:
        """Convert a video, or a folder of numbered frames as the video they make, into events with
        the DVS pixel model (and optionally degraded RGB frames).

        The video, its frame times (NAME.frames.csv beside it) and the events appear together or
        not at all; an existing file of those names (a recording, or an earlier output) is replaced
        only with --force.
        """
        console = terminal.console()
        _check_output_names(video, out, rgb_out, force, relative_time)
        spec, window = _sensor_and_window(sensor, roi)
        params = _dvs_params(model, spec, set_)
        camera_params = _rgb_camera_params(rgb_out, camera, metering, antiflicker_hz,
                                           given(context, "camera"))  # was: --camera webcam30 taken without a word
        _check_numbers(lux, seed, upsample)
        run = _Simulation(video=video, out=out, rgb_out=rgb_out, force=force, relative_time=relative_time,
                          sensor=spec.name, full_size=spec.size, window=window, params=params, lux=lux, seed=seed,
                          upsample=upsample, camera=camera, camera_params=camera_params)
        _check_rgb_size(video, rgb_out)
        timing = _read_timing(video, fps, upsample)
        _check_noise_per_step(run, timing)
        _warn_of_variable_rate(console, video, timing)
        written = _stream_and_write(run, timing)
        _warn_if_cut_short(console, video, timing.info, written.frames_read)
        _say_what_was_written(console, run, timing, written)
