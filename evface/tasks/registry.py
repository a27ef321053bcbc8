"""The tasks by name: what ``evface run`` stages, ``evface train`` and ``evface eval`` dispatch on.

Every task has the same shape: a frozen config class (:mod:`evface.tasks.configs`),
``train_and_evaluate(data, run_dir, config, log=None) -> metrics``, the same work in steps that
``evface run`` runs as jobs of their own (``prepare(data, run_dir, config) -> parts to train``,
``fit_part(data, run_dir, config, part)``, ``pool_parts(data, run_dir, config) -> metrics``),
``evaluate_run(run_dir, data=None, out=None) -> metrics``, ``figures(metrics)`` (the figures the CLI
prints for a reader, as the report gives them) and ``headline(metrics)`` (those it prints as JSON, for scripts). A run folder's ``config.json`` names its task under ``"task"``, which
:func:`task_of_run` looks up here.

Examples
--------
>>> sorted(TASKS)
['classify', 'reconstruct']
>>> get("classify").config(epochs=2).epochs
2
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evface.checks import as_path
from evface.errors import FormatError, ParameterError, choose_from, where
from evface.tasks import classify, reconstruct, run_folder
from evface.tasks.configs import TASK_CONFIGS, TaskConfig


@dataclass(frozen=True)
class Task:
    """One task: its name, its config class, its entry points and the figures the CLI prints."""

    name: str
    config: type[TaskConfig]
    train_and_evaluate: Callable[..., dict[str, Any]]
    prepare: Callable[..., list[str]]
    fit_part: Callable[..., float]
    pool_parts: Callable[..., dict[str, Any]]
    evaluate_run: Callable[..., dict[str, Any]]
    headline: Callable[[dict[str, Any]], dict[str, Any]]
    figures: Callable[[dict[str, Any]], str]


TASKS: dict[str, Task] = {
    module.TASK: Task(module.TASK, TASK_CONFIGS[module.TASK], module.train_and_evaluate, module.prepare,
                      module.fit_part, module.pool_parts, module.evaluate_run, module.headline, module.figures)
    for module in (classify, reconstruct)
}


def get(name: str) -> Task:
    """The task called ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS` (``evface train <name>``).

    Returns
    -------
    Task

    Raises
    ------
    ParameterError
        Naming the known tasks, for any other name.

    Examples
    --------
    >>> get("reconstruct").name
    'reconstruct'
    >>> get("synth")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown task 'synth'; choose from classify, reconstruct
    """
    if not isinstance(name, str) or name not in TASKS:  # an array was "unhashable type"
        raise ParameterError(f"unknown task {name!r:.80}; {choose_from(sorted(TASKS))}")
    return TASKS[name]


def task_of_run(run_dir: str | Path) -> Task:
    """The task that trained the run folder ``run_dir`` (the ``task`` of its ``config.json``).

    Parameters
    ----------
    run_dir : str or Path
        A training run folder.

    Returns
    -------
    Task

    Raises
    ------
    FormatError
        Naming the ``config.json`` when it is missing or names no task this evface knows (a name
        that is not a text included: was an internal error, ``TypeError: unhashable type``).

    Examples
    --------
    >>> _ = Path("run").mkdir()
    >>> _ = run_folder.write_json("run/config.json", {"task": "classify", "epochs": 3})
    >>> task_of_run("run").name
    'classify'
    >>> _ = run_folder.write_json("run/config.json", {"task": ["classify"]})
    >>> task_of_run("run")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: run/config.json: unknown task ['classify']; choose from classify, reconstruct
    """
    run_dir = as_path("run_dir", run_dir)  # a number was "expected str, bytes or os.PathLike object"
    name = run_folder.load_config(run_dir)["task"]
    if not isinstance(name, str) or name not in TASKS:
        raise FormatError(where(Path(run_dir) / run_folder.CONFIG, f"unknown task {name!r}; {choose_from(sorted(TASKS))}"))
    return TASKS[name]
