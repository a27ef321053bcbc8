"""One step of a training stage, the job an executor runs: its preparation, one of its parts, its pooling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from evface.errors import ParameterError
from evface.pipeline.stage_plan import Stage
from evface.tasks import registry, run_resume
from evface.tasks.parallel import torch_threads

START, POOL = "start", "pool"
"""The first step of a training stage and a classification stage's last; its other steps are its models."""


def run_step(stage: Stage, run_dir: Path, step: str = START) -> list[str]:
    """Run one step of a training stage in ``run_dir``; return the steps it leaves to run.

    :data:`START` prepares the stage (its protocol, and a classification stage's preprocessed
    inputs: the task's ``prepare``) and leaves one step per part still to train (a classification
    model's folder, :func:`classify.fit_part`; a reconstruction fold, :func:`reconstruct.fit_part`),
    after which :data:`POOL` scores the stage (the task's ``pool_parts``; run by ``START`` itself
    when every part was trained before). A training stage's configuration is its dataset folder
    (``data``) and the fields of its task's config that it sets (:data:`~evface.pipeline.stage_plan.PRESETS`, the variants);
    the other fields keep their defaults. A refusal names the stage, and where it names the
    training command's options, says that the preset sets them (a refusal of the stage's folder,
    :class:`~evface.tasks.run_resume.ResumeRefused`, does not).

    Parameters
    ----------
    stage : Stage
        A training stage of :func:`~evface.pipeline.stage_plan.plan` (its folders absolute:
        :func:`~evface.pipeline.stage_plan.anywhere`).
    run_dir : Path
        The stage's folder, ``OUT/stages/<name>-<key>``.
    step : str, optional
        :data:`START`, :data:`POOL` or a part's name that :data:`START` returned.

    Returns
    -------
    list of str
        The parts :data:`START` leaves to train (none when every part was trained before, or for
        another step).

    Raises
    ------
    ParameterError
        The stage's settings or folder refused, naming the stage.
    """
    options = dict(stage.config)
    data = options.pop("data")
    task = registry.get(stage.task)
    config = task.config(**options)
    try:
        if step == START:
            parts = task.prepare(data, run_dir, config)
            if not parts:
                task.pool_parts(data, run_dir, config)
            return parts
        if step == POOL:
            task.pool_parts(data, run_dir, config)
        else:
            task.fit_part(data, run_dir, config, step)
    except run_resume.ResumeRefused as exc:  # about the stage's folder, not the training command's options
        raise ParameterError(f"stage {stage.name}: {exc}") from exc
    except ParameterError as exc:  # it names the training command's options, which the preset sets here
        raise ParameterError(f"stage {stage.name}: {exc} (options of evface train {stage.task}, which trains this "
                             f"stage alone on {data}; evface run takes them from its preset)") from exc
    return []


def timed(runner: Callable[..., list[str]], stage: Stage, run_dir: Path, step: str,
           threads: int | None) -> tuple[float, list[str]]:
    """Run a step; return its wall time and the steps it leaves (in a worker process: with ``threads`` torch threads).

    Parameters
    ----------
    runner : callable
        :func:`run_step` (or a test's stand-in of its signature).
    stage : Stage
        The training stage.
    run_dir : Path
        The stage's folder.
    step : str
        :data:`START`, :data:`POOL` or a part's name.
    threads : int or None
        The torch threads of this process while it runs (``None``: unchanged), set back after it.

    Returns
    -------
    seconds : float
        The step's wall time.
    left : list of str
        The steps it leaves to run.

    Examples
    --------
    >>> stage = Stage("rgb", "classify", {"data": "data"})
    >>> seconds, left = timed(lambda stage, run_dir, step: ["fold0", "fold1"], stage, Path("rgb"), START, None)
    >>> seconds >= 0, left
    (True, ['fold0', 'fold1'])
    """
    start = time.perf_counter()
    with torch_threads(threads):  # set back after: a job run in this process (InProcess) leaves it as it was
        left = runner(stage, run_dir, step)
    return time.perf_counter() - start, left
