"""``evface simulate VIDEO|FOLDER --sensor ... --out FILE``: a thin shell over :mod:`evface.sim`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from evface.commands import terminal
from evface.commands.options import naming
from evface.commands.paths import file_name, made_folder, not_replacing, not_the_input, output_file, refusing_newcomer
from evface.errors import ParameterError, counted, where

if TYPE_CHECKING:  # lazy at run time: cv2, numba and h5py off CLI start-up
    import numpy as np

    from evface.sim.rgb import RgbCamera
    from evface.sim.video import VideoScene


def _overrides(items: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"--set {item!r}: expected KEY=VALUE, e.g. --set cutoff_hz=0")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise ParameterError(f"--set {item!r}: {value!r} is not a number") from None
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
    from evface.sim.video import frame_times_path  # lazy: cv2

    with contextlib.ExitStack() as stack:
        stack.enter_context(refusing_newcomer(out, "--out"))
        if rgb_out is not None:
            stack.enter_context(refusing_newcomer(rgb_out, "--rgb-out"))
            stack.enter_context(refusing_newcomer(frame_times_path(rgb_out), "--rgb-out",
                                                  "simulate writes the frame times of --rgb-out there"))
        yield


def _film_rgb(path: Path, cam: RgbCamera, scene: VideoScene, duration_us: int, bar: Progress) -> None:
    """Write what RGB camera ``cam`` films of ``scene`` over ``duration_us`` to the video ``path``
    and its frame times beside it (``evface.sim.video.frame_times_path``)."""
    from evface.sim.video import frame_times_path, write_frame_times, write_video  # lazy: cv2

    params = cam.params
    task = bar.add_task("rgb frames", total=max(int(duration_us * params.fps // 1_000_000), 1))
    timing: list[tuple[int, int, float]] = []

    def images() -> Iterator[Any]:
        for image, *frame in cam.iter_capture(scene, 0, max(duration_us, int(params.period_us) + 1)):
            bar.advance(task)
            timing.append(frame)
            yield image

    write_video(path, images(), params.fps)
    write_frame_times(frame_times_path(path), *zip(*timing, strict=True))


def _duration_us(frames_read: int, rate: float, timed: np.ndarray | None) -> int:
    """How long the first ``frames_read`` frames of the video last (µs): ``frames_read / rate``, or at
    a variable-frame-rate video's container timestamps ``timed`` up to the end of the last frame's
    own interval (``evface.sim.video.own_intervals``)."""
    if timed is None or not frames_read:
        return int(round(frames_read * 1e6 / rate))
    from evface.sim.video import own_intervals  # lazy: cv2

    last = min(frames_read, len(timed)) - 1
    return int(timed[last] + own_intervals(timed)[last])


def register(app: typer.Typer) -> None:
    """Add ``evface simulate`` to ``app``."""

    @app.command("simulate")
    def simulate(
        video: Path = typer.Argument(..., metavar="VIDEO|FOLDER",
                                     help="A video file OpenCV's VideoCapture decodes (.mp4, .avi, ...), or a folder of "
                                          "numbered 8-bit frames (img46.jpg, img47.jpg, ...; .jpg .jpeg .png .bmp .tif "
                                          ".tiff) with --fps."),
        out: Path = typer.Option(..., "--out", parser=file_name("--out"), metavar="<path>", help="Events file: .raw (EVT3), .dat, .aedat4, .es, .csv or .h5 (clip)."),
        sensor: str = typer.Option("davis346", "--sensor", help="davis346, evk4, WxH or NAME:WxH (full array size)."),
        roi: str = typer.Option(None, "--roi", help="x0,y0,w,h window of the array to record (default: all)."),
        model: str = typer.Option(None, "--model", help="Pixel model: davis346, evk4 or ideal (default: the sensor's, davis346 for WxH)."),
        set_: list[str] = typer.Option(None, "--set", help="Override a DvsParams field, e.g. --set cutoff_hz=0 (repeatable)."),
        lux: float = typer.Option(300.0, "--lux", help="Illuminance (lux) a full-white video pixel stands for."),
        upsample: int = typer.Option(1, "--upsample", help="Insert K-1 linearly interpolated frames between video frames."),
        fps: float = typer.Option(None, "--fps", help="Frame rate of the video (default: the file's); required for a folder of frames."),
        seed: int = typer.Option(0, "--seed", min=0, help="Seed of the threshold mismatch, noise and RGB camera noise."),
        rgb_out: Path = typer.Option(None, "--rgb-out", parser=file_name("--rgb-out"), metavar="<path>",
                                     help="Also write the video as seen by an RGB camera model (.avi or .mp4)."),
        relative_time: bool = typer.Option(False, "--relative-time",
                                           help="Write times from the first event (the time origin is lost)."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out, and the video and frame times of --rgb-out."),
        camera: str = typer.Option("webcam30", "--camera", help="RGB camera preset for --rgb-out: webcam30 or highspeed200."),
        metering: str = typer.Option(None, "--metering",
                                     help="Auto-exposure metering for --rgb-out: average or centre (default: the preset's)."),
        antiflicker_hz: float = typer.Option(None, "--antiflicker-hz",
                                             help="Light flicker the --rgb-out exposure avoids: 100, 120 or 0 (off; default: the preset's)."),
    ) -> None:
        """Convert a video, or a folder of numbered frames as the video they make, into events with
        the DVS pixel model (and optionally degraded RGB frames).

        The video, its frame times (NAME.frames.csv beside it) and the events appear together or
        not at all; an existing file of those names (a recording, or an earlier output) is replaced
        only with --force.
        """
        from evface.io.event_writer import open_events_writer  # lazy: numba (EVT kernels) off CLI start-up
        from evface.sim.dvs_params import MAX_NOISE_PER_STEP, DvsParams, noise_per_step  # lazy: numpy off CLI start-up
        from evface.checks import as_int, as_real  # lazy: numpy off CLI start-up
        from evface.sim.footage import MAX_SCENE_LUX, check_upsample, parse_roi  # lazy: cv2 and numba off CLI start-up
        from evface.sim.rgb import RgbCamera, RgbCameraParams  # lazy: h5py (clip frames) off CLI start-up
        from evface.sim.sensors import parse_sensor  # lazy: numpy off CLI start-up
        from evface.sim.video import (  # lazy: cv2, numba
            VideoScene,
            check_pauses,
            fastest_rate,
            frame_times_path,
            iter_video_events,
            longest_step_us,
            variable_rate_note,
            variable_rate_times,
            video_fps,
            video_codec,
            video_info,
        )

        console = terminal.console()
        not_replacing(output_file(not_the_input(out, video, "--out")), "--out", force)
        if rgb_out is not None:
            not_replacing(output_file(not_the_input(rgb_out, video, "--rgb-out"), "--rgb-out"), "--rgb-out", force)
            with naming("--rgb-out"):
                video_codec(rgb_out)
            times = frame_times_path(rgb_out)
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
        with naming("--sensor"):
            spec = parse_sensor(sensor)
        name, full_size = spec.name, spec.size
        with naming("--roi"):
            window = parse_roi(roi, full_size)
        overrides = _overrides(set_)
        chosen = model or (name if spec.sensor is not None else "davis346")

        def dvs_params(**fields: float) -> DvsParams:
            return DvsParams.ideal(**fields) if chosen == "ideal" else DvsParams.preset(chosen, **fields)

        with naming("--model"):
            dvs_params()
        with naming("--set"):
            params = dvs_params(**overrides)
        ae_overrides = {k: v for k, v in (("metering", metering), ("antiflicker_hz", antiflicker_hz)) if v is not None}
        cam_params = None
        rgb_only = [name for name, given in (("--camera", camera != "webcam30"), ("--metering", metering is not None),
                                             ("--antiflicker-hz", antiflicker_hz is not None)) if given]
        if rgb_out is None and rgb_only:
            raise ParameterError(f"{', '.join(rgb_only)}: set the camera of --rgb-out, which is not given; give "
                                 "--rgb-out FILE or leave them out")
        if rgb_out is not None:
            with naming("--camera"):
                RgbCameraParams.preset(camera)
            with naming("/".join(f"--{k.replace('_', '-')}" for k in ae_overrides)):
                cam_params = RgbCameraParams.preset(camera, **ae_overrides)
        with naming("--lux"):
            as_real("lux", lux, 0, MAX_SCENE_LUX, low_open=True)
        with naming("--seed"):
            as_int("seed", seed, 0)
        if not upsample > 0:
            raise ParameterError(f"--upsample must be positive, got {upsample}")
        info = video_info(video)
        with naming("--fps"):
            rate = video_fps(info, fps)
        timed = variable_rate_times(video, info, fps)  # a variable-frame-rate video's frames at their timestamps
        check_upsample(upsample, fastest_rate(timed, rate), "--upsample")
        check_pauses(video, timed, upsample, ("--upsample", "--fps"))
        step_us = longest_step_us(timed, rate) / upsample
        noise = noise_per_step(params, window[2] * window[3], step_us)
        if noise > MAX_NOISE_PER_STEP:
            raise ParameterError(f"--set: the noise rates (leak_rate_hz {params.leak_rate_hz:g}, shot_noise_rate_hz "
                                 f"{params.shot_noise_rate_hz:g} x shot_noise_max_factor {params.shot_noise_max_factor:g}) "
                                 f"draw {noise:,.0f} events in each {step_us:,.0f} µs step over the {window[2]}x"
                                 f"{window[3]} window, more than the {MAX_NOISE_PER_STEP:,} a step may hold; lower "
                                 "them, or give --upsample K for steps K times shorter")
        if timed is not None:
            terminal.warn(console, variable_rate_note(video, timed, info.fps, "give --fps to place frame k at k / fps"))
        columns = (TextColumn("[bold]simulate[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), TextColumn("{task.description}", markup=False))
        n_events = 0
        frames_read = 0
        # --out's folders are made by its writer; those of --rgb-out here, both removed on failure
        rgb_folder = contextlib.nullcontext() if rgb_out is None else made_folder(rgb_out.parent)
        with terminal.progress(*columns) as bar, rgb_folder:
            task = bar.add_task("events", total=info.n_frames or None)

            def tick(i: int) -> None:
                nonlocal frames_read
                frames_read = i + 1
                bar.update(task, completed=frames_read, description=counted(n_events, "event"))

            # the RGB camera's video and its frame times are written under pending names of this run's
            # own, then published, and the events last: a failure of any leaves none (older files as they were)
            pending = None if rgb_out is None else _pending(rgb_out)
            moves = [] if pending is None else [(pending, rgb_out),
                                                (frame_times_path(pending), frame_times_path(rgb_out))]
            try:  # without --force, a file made at a name meanwhile is kept (was: renamed over)
                with _refusing_newcomers(out, rgb_out), open_events_writer(
                        out, (window[2], window[3]), sensor=name, relative_time=relative_time, force=force,
                        replace=force) as writer:
                    for chunk in iter_video_events(video, full_size, params, seed=seed, roi=window, lux=lux,
                                                   upsample=upsample, fps=rate, times_us=timed, on_frame=tick):
                        writer.write(chunk)
                        n_events += chunk.size
                    duration_us = _duration_us(frames_read, rate, timed)
                    if pending is not None:
                        _film_rgb(pending, RgbCamera(cam_params, seed), VideoScene(video, lux, rate, timed), duration_us,
                                  bar)
                    with _published(moves, force):
                        writer.close()
                origin_us = writer.origin_us  # --relative-time: the first event's time, taken off every time
            finally:
                for pending_file, _ in moves:
                    pending_file.unlink(missing_ok=True)
        if info.n_frames and frames_read != info.n_frames:
            terminal.warn(console, f"{video}: the file lists {counted(info.n_frames, 'frame')} and {frames_read} "
                                   f"decoded (cut short or damaged?); the events cover those {frames_read}")
        shift = f" - {origin_us}" if origin_us else ""  # was: the frames placed as if no time were taken off
        console.print(
            f"{counted(n_events, 'event')} from {counted(frames_read, 'frame')} ({duration_us / 1e6:.3f} s) "
            f"on a {window[2]}x{window[3]} {name} window -> {out}"
            + (f"; frame n at round((n - {info.first_frame}) x 1e6 / {rate:g}){shift} µs" if info.first_frame is not None else "")
            + (f"; RGB ({camera}) -> {rgb_out}, frame times -> {frame_times_path(rgb_out)}" if rgb_out is not None else ""),
            soft_wrap=True,
        )
