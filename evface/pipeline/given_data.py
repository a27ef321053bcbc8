"""What a dataset given to ``evface run --data`` allows: enough subjects, and the stages its clips can run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evface.errors import DatasetError, ParameterError, counted, where
from evface.inputs.clip_view import frame_stream
from evface.inputs.reconstruct import GRID_SENSOR
from evface.io.clip_reader import frames_and_truth_info, read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.dataset import DatasetFolder
from evface.io.manifest import read_manifest
from evface.pipeline.stage_plan import HIGHSPEED, Stage

def check_subjects(data_dir: Path, preset: str, stages: list[Stage]) -> None:
    """Refuse a given dataset with too few subjects for the stages' subject folds (each fold keeps
    a test, a validation and a training subject), before anything is trained or written.

    Parameters
    ----------
    data_dir : Path
        The dataset folder given by ``--data``.
    preset : str
        The run's preset, for the message.
    stages : list of Stage
        The run's stages (their ``folds``).

    Raises
    ------
    DatasetError
        Fewer subjects than the most folds of a stage, and at least 3.
    """
    subjects = {row["subject"] for row in read_manifest(data_dir)}
    need = max([3, *(int(stage.config.get("folds") or 0) for stage in stages)])
    if len(subjects) < need:
        raise DatasetError(where(data_dir, f"holds {counted(len(subjects), 'subject')}; the {preset!r} preset tests every model "
                                           f"on held-out subjects in subject folds and needs at least {need} (--data, "
                                           "--preset)"))


def stages_the_data_allows(data_dir: Path, stages: list[Stage], highspeed: bool,
                           log: Callable[[str], None]) -> tuple[list[Stage], dict[str, list[str]]]:
    """The stages a given dataset can run, and those left out by why (each reason said): interpolation
    when some clips are recordings (scored against their own RGB frames, they have nothing between
    them), an event arm or reconstruction whose sensor some clips lack; ``highspeed`` (a synthetic
    camera) is refused on recordings and on clips filmed without it.

    Parameters
    ----------
    data_dir : Path
        The dataset folder given by ``--data``.
    stages : list of Stage
        The run's stages (:func:`~evface.pipeline.stage_plan.plan`).
    highspeed : bool
        Whether the run trains the 200 fps camera's arms (``--highspeed``).
    log : callable
        Called with one line per reason some stages are left out.

    Returns
    -------
    stages : list of Stage
        The stages the dataset allows, in their order.
    left_out : dict of str to list of str
        The names of the stages left out, by why.

    Raises
    ------
    ParameterError
        ``highspeed`` on recordings or on clips filmed without the 200 fps camera.
    """
    ds = DatasetFolder.open(data_dir)
    paths = [ds.clip_path(row) for row in ds.rows]
    metas = [read_clip_meta(path) for path in paths]
    recorded = sum(1 for path in paths if GRID_SENSOR not in frames_and_truth_info(path)[1])
    if recorded and highspeed:
        raise ParameterError(f"--highspeed: {data_dir} holds {counted(recorded, 'recorded clip')}; the 200 fps camera is "
                             "filmed for synthetic datasets only")
    if highspeed:
        without = [meta.clip_id for meta in metas if not _has_camera(meta, HIGHSPEED)]
        if without:
            raise ParameterError(f"--highspeed: {len(without)} of the {counted(len(metas), 'clip')} of {data_dir} (first "
                                 f"{without[0]}) were filmed without the 200 fps camera; leave out --data to build "
                                 f"a dataset with it, or give one built by evface synth --rgb-hd-cameras "
                                 f"webcam30,{HIGHSPEED}")
    sensors = set.intersection(*(set(meta.sensors) for meta in metas)) if metas else set()
    left_out: dict[str, list[str]] = {}
    for stage in stages:
        if stage.task == "reconstruct" and recorded and stage.config.get("protocol") == "interpolation":
            are = "is a recording" if recorded == 1 else "are recordings"
            why = (f"{recorded} of the {counted(len(metas), 'clip')} of {data_dir} {are}, scored against their own RGB "
                   "frames, with no frames between them to score interpolation on")
        elif (stage.config.get("input") == "events" or stage.task == "reconstruct") \
                and stage.config.get("sensor") not in sensors:
            why = f"not every clip of {data_dir} has {stage.config.get('sensor')} events"
        else:
            continue
        left_out.setdefault(why, []).append(stage.name)
    for why, names in left_out.items():
        log(f"left out ({why}): {', '.join(names)}")
    return [stage for stage in stages if not any(stage.name in names for names in left_out.values())], left_out


def _has_camera(clip: Clip, preset: str) -> bool:
    """Whether ``clip`` was filmed by RGB camera ``preset`` framed like hd (the lookup of the rgb inputs)."""
    try:
        frame_stream(clip, "hd", preset)
    except DatasetError:
        return False
    return True
