"""The checks of a corpus import before any clip is converted: each clip's frames (size, bit
depth, memory, a window of one frame, a pause the DVS model cannot step over, ``rgb_fps`` against
its own rate, ``face_box`` inside its frames: :func:`check_frames`), one name for each video or
folder (:func:`check_one_name`) and one clip id for each row (:func:`clip_ids`).

Each refusal is one line naming the folder or video, the table line and what to change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evface.checks import within_memory
from evface.datasets.importers.corpus_frames import (ClipFrames, VideoClip, clip_source, frame_numbers, frame_rate,
                                                     frame_timing)
from evface.datasets.importers.corpus_options import CorpusOptions
from evface.datasets.importers.corpus_table import CorpusRow, clip_folder, subject_folder
from evface.datasets.importers.face_box import box_in_frame
from evface.datasets.importers.rgb_scan import frames_size
from evface.errors import DatasetError, ParameterError, where
from evface.io.manifest import case_twins, differ_in_case
from evface.sim.dvs import MAX_STEP_US


def check_frames(rows: list[CorpusRow], folders: list[ClipFrames], options: CorpusOptions) -> None:
    """Refuse, before any clip is simulated, a frame that the clip's reading would stop at (another
    size than its folder's first frame, more than 8 bits a sample, unreadable: each file's header,
    :func:`~evface.datasets.importers.rgb_scan.frame_header`), a ``face_box`` mostly outside a
    clip's frames, and a clip whose frames, read whole and stacked (twice the frames), would take
    more than half of this machine's memory (:func:`~evface.checks.within_memory`), and an
    ``rgb_fps`` above a clip's own rate (:func:`_check_rgb_fps`), a window of one frame
    (:func:`_check_two_frames`) and a pause the DVS model cannot step over (:func:`_check_steps`)."""
    for row, frames in zip(rows, folders, strict=True):
        _check_two_frames(row, frames)
        _check_steps(row, frames, options)
        _check_rgb_fps(row, frames, options)
        video = isinstance(frames, VideoClip)
        width, height = frames.size if isinstance(frames, VideoClip) else frames_size(frames, "the clip's",
                                                                                     f"table line {row.line}: ")
        folder, numbers = clip_source(frames), frame_numbers(frames)
        first, last = numbers[0], numbers[-1]
        if options.face_box is not None:
            box_in_frame(options.face_box, (width, height), f"{folder}: face_box (--face-box)")
        advice = (f"move the frames before OnsetFrame {row.onset} and after OffsetFrame {row.offset} out of the "
                  f"folder (it holds {first}..{last}), or give it fewer or smaller frames")
        if video:
            advice = f"the clip is the video's frames {first}..{last}: give a shorter video, or smaller frames"
        if (first, last) == (row.onset, row.offset):  # a window of a long recording, or a folder holding it alone
            advice = f"the clip is its frames {first}..{last} (OnsetFrame..OffsetFrame) alone: give it smaller frames"
        within_memory(2 * len(numbers) * height * width * 3,
                      f"{folder}: table line {row.line}: reading the clip's {len(numbers)} frames of {width}x{height} whole",
                      advice)


def check_one_name(rows: list[CorpusRow], folders: list[ClipFrames]) -> None:
    """Refuse two rows that name one video or folder
    (:func:`~evface.datasets.importers.corpus_frames.clip_source`, links followed) by two names
    (``EP01`` and ``EP01.avi``): rows are cut into windows by the name they give
    (:func:`~evface.datasets.importers.corpus_frames.shared_folders`), so each was its whole
    video (was: two whole-video clips, each row's onset..offset only its times in it)."""
    named: dict[Path, CorpusRow] = {}
    for row, frames in zip(rows, folders, strict=True):
        source = clip_source(frames)
        first = named.setdefault(source.resolve(), row)
        if clip_folder(first) != clip_folder(row):
            what = "video" if isinstance(frames, VideoClip) else "folder"
            raise DatasetError(where(source, f"table lines {first.line} and {row.line} name this {what} by two names, "
                                             f"{clip_folder(first)} and {clip_folder(row)}; give its rows one Filename "
                                             f"(the rows naming one {what} are its windows)"))


def _check_two_frames(row: CorpusRow, frames: ClipFrames) -> None:
    """Refuse a clip of one frame, the window of a row whose OnsetFrame is its OffsetFrame in a
    video or folder that other rows name too (a whole video or folder holds at least 2): a DVS
    sees the changes between frames, so its clip would hold no event (was: written, 0 events)."""
    if len(frame_numbers(frames)) < 2:
        raise DatasetError(where(clip_source(frames), f"table line {row.line}: the clip is the one frame {row.onset} "
                                                      "(OnsetFrame..OffsetFrame), and a DVS sees the changes between "
                                                      "frames: it would hold no event; give an OffsetFrame after its "
                                                      "OnsetFrame"))


def _check_steps(row: CorpusRow, frames: ClipFrames, options: CorpusOptions) -> None:
    """Refuse a clip whose frames' mid-exposures lie so far apart (a pause in a variable-frame-rate
    video, at its container's timestamps) that a simulation step between them, ``upsample`` steps a
    frame interval, would pass :data:`~evface.sim.dvs.MAX_STEP_US`; one line naming the clip's
    video, table line and frames and the ``upsample`` that steps over it (was: "t_us 25500000 is
    16,000,000 µs after the previous frame; ... give frames in between", naming no file nor
    option, after the clips before it were simulated)."""
    t_us, exposure_us, _ = frame_timing(frames, options.folder_fps)
    step = np.diff(t_us + exposure_us // 2)
    k, substeps = int(np.argmax(step)), frame_rate(frames, options)[1]
    if step[k] / substeps > MAX_STEP_US:
        n = frame_numbers(frames)[k]
        raise ParameterError(where(clip_source(frames), f"table line {row.line}: frames {n} and {n + 1} lie "
                                                        f"{step[k] / 1e6:.1f} s apart at their mid-exposures (a pause in "
                                                        f"the video), and the DVS model steps at most {MAX_STEP_US / 1e6:g} "
                                                        f"s; give upsample (--upsample) {-(-int(step[k]) // MAX_STEP_US)} or "
                                                        "more"))


def _check_rgb_fps(row: CorpusRow, frames: ClipFrames, options: CorpusOptions) -> None:
    """Refuse an ``options.rgb_fps`` above the clip's own rate (a video's, a folder's ``fps``):
    its frames are box-averaged into fewer, never more (was: checked against ``fps`` alone, so a
    30 fps video's frames were spread over 60 fps bins at odd times, and a 500 fps video refused 300)."""
    rate = frame_rate(frames, options)[0]
    if options.rgb_fps is None or options.rgb_fps <= rate:
        return
    whose = "the video's own rate" if isinstance(frames, VideoClip) else "the rate of its folder of frames, fps (--fps)"
    raise ParameterError(where(clip_source(frames), f"table line {row.line}: rgb_fps (--rgb-fps) {options.rgb_fps:g} is "
                                                    f"above {whose}, {rate:g} fps; give rgb_fps {rate:g} or less "
                                                    "(the frames are averaged into fewer, never more)"))


def _clip_id(row: CorpusRow, shared: set[str]) -> str:
    """A row's clip id: ``SUBJECT_FILENAME``, and ``SUBJECT_FILENAME_ONSET-OFFSET`` where its folder
    is one of ``shared`` (:func:`~evface.datasets.importers.corpus_frames.shared_folders`: its clip is the window
    onset..offset).

    Examples
    --------
    >>> row = CorpusRow("15", "0502", 253, 270, 291, (4,), "", 2)
    >>> _clip_id(row, set()), _clip_id(row, {"sub15/0502"})
    ('sub15_0502', 'sub15_0502_253-291')
    """
    base = f"{subject_folder(row.subject)}_{row.filename}"
    return f"{base}_{row.onset}-{row.offset}" if clip_folder(row) in shared else base


def clip_ids(rows: list[CorpusRow], table: str | Path, shared: set[str]) -> list[str]:
    """Each row's clip id (:func:`_clip_id`); refused, naming both table lines, where two rows give
    the same one (the same folder with the same window twice), or two ids differ only in case."""
    ids = [_clip_id(r, shared) for r in rows]
    first: dict[str, CorpusRow] = {}
    for row, clip_id in zip(rows, ids, strict=True):
        if clip_id in first:
            a = first[clip_id]
            raise DatasetError(where(table, f"lines {a.line} and {row.line} both give clip {clip_id} ({_window(a)} and "
                                            f"{_window(row)}); remove one of the two rows"))
        first[clip_id] = row
    twins = case_twins(ids)
    if twins:
        raise DatasetError(where(table, f"{differ_in_case(*twins)}; rename one of the two clip folders and its "
                                        "Filename in the table"))
    return ids


def _window(row: CorpusRow) -> str:
    """A row's folder and frames, as a refusal names them: ``sub01/EP01 frames 10..40``."""
    return f"{clip_folder(row)} frames {row.onset}..{row.offset}"
