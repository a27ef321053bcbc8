"""One step of a training stage, the job an executor runs: its preparation, one of its parts, its pooling."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evface.errors import ParameterError, where
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
    :class:`~evface.tasks.run_resume.ResumeRefused`, does not; one for a run of other settings there
    says what a user of ``evface run`` can do: :func:`other_settings_said`).

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
    except run_resume.OtherSettings as exc:  # it names evface train's options, which evface run takes none of
        raise ParameterError(f"stage {stage.name}: {other_settings_said(run_dir, exc.changed)}") from exc
    except run_resume.ResumeRefused as exc:  # about the stage's folder, not the training command's options
        raise ParameterError(f"stage {stage.name}: {exc}") from exc
    except ParameterError as exc:  # it names the training command's options, which the preset sets here
        raise ParameterError(f"stage {stage.name}: {exc} (options of evface train {stage.task}, which trains this "
                             f"stage alone on {data}; evface run takes them from its preset)") from exc
    return []


def other_settings_said(run_dir: Path, changed: dict[str, tuple[Any, Any]]) -> str:
    """What ``evface run`` says of the stage folder ``run_dir`` that holds a run of other settings than the
    stage's (:class:`~evface.tasks.run_resume.OtherSettings`' ``changed``: each setting's name, the run's
    value and the stage's): each setting with both values, and what its user can do, a new ``--out`` or
    the folder moved aside (was: ``evface train``'s options, "this run was trained with --size 32; given
    --size 64: give the run's settings, or --out a new folder", which ``evface run`` takes none of).

    No option of ``evface run`` is named: those that set a stage's settings (``--preset``, ``--seed``,
    ``--data`` outside the run, ``--highspeed``) enter its key, so its folder holds no run of other values
    of them (``--seeds`` adds trainings to it); what can differ is what this evface's defaults set (a run
    of another version, or one trained there by hand), or a dataset inside a run folder since moved.

    Parameters
    ----------
    run_dir : Path
        The stage's folder.
    changed : dict of str to (value, value)
        Each setting that differs: the run's value and the stage's.

    Returns
    -------
    str

    Examples
    --------
    >>> print(other_settings_said(Path("out/stages/rgb-0"), {"size": (32, 64)}))  # doctest: +NORMALIZE_WHITESPACE
    out/stages/rgb-0: holds a run trained with other settings than this run gives the stage (size: 32 there,
    64 here; its --preset and this evface's defaults set them, not options of evface run): give --out a new
    folder, or move this folder aside and the stage is trained anew
    """
    said = "; ".join(f"{k}: {json.dumps(run)} there, {json.dumps(stage)} here" for k, (run, stage) in changed.items())
    return where(run_dir, f"holds a run trained with other settings than this run gives the stage ({said}; its "
                          "--preset and this evface's defaults set them, not options of evface run): give --out a new "
                          "folder, or move this folder aside and the stage is trained anew")


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
