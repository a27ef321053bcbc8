"""``evface train classify``, ``evface eval`` and ``evface export-nir``.

``train_app`` is the ``evface train`` group; other task modules (``evface.commands.reconstruct``)
import it and add their own sub-command. A training command's options are made from its task's
config (:func:`with_config`: one option per field, the field's default and help), so every
default lives in :mod:`evface.tasks.configs` only. ``evface eval RUN`` dispatches on
``RUN/config.json``'s ``task`` through :mod:`evface.tasks.registry`.
"""

from __future__ import annotations

import inspect
import json
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import typer

from evface.commands import environment, terminal
from evface.commands.options import given
from evface.commands.paths import (file_argument, made_folder, named_for, not_replacing, output_file, output_folder, outside_datasets,
                                   refusing_newcomer, sole_writer)
from evface.errors import EvfaceWarning, ParameterError, counted
from evface.executor import usable_cpus
from evface.io.run_output import check_not_run_output
from evface.tasks.configs import ClassifyConfig, TaskConfig, value_problem
from evface.tasks.run_folder import outside_runs

train_app = typer.Typer(help="Train a model on a dataset folder (works under torchrun for DDP).", no_args_is_help=True)
_console = terminal.console()


def log_line(message: str) -> None:
    _console.print(message, soft_wrap=True)


def _check(metadata: Mapping[str, Any]) -> Callable[[Any], Any]:
    """A typer callback that refuses a value the field's :func:`value_problem` refuses (one outside
    its ``choices`` with the choices listed as every option lists its own), as the config does."""

    def check(value: Any) -> Any:
        problem = value_problem(metadata, value)
        if problem:
            raise typer.BadParameter(problem)
        return value

    return check


def config_options(config_class: type[TaskConfig]) -> list[inspect.Parameter]:
    """One keyword-only typer option per field of ``config_class``: ``--field-name`` (``--name/--no-name``
    or the field's ``off`` name for a switch), the field's default and its ``help`` metadata; a field's
    ``choices`` and ``minimum`` are checked by click, whose error names the option."""
    types = typing.get_type_hints(config_class)
    options = []
    for f in fields(config_class):
        flag = "--" + f.name.replace("_", "-")
        if types[f.name] is bool:
            flag += "/" + (f.metadata["off"] or "--no-" + flag[2:])
        options.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=types[f.name],
                                         default=typer.Option(f.default, flag, help=f.metadata["help"],
                                                              callback=_check(f.metadata))))
    return options


def threads_within_cpus(threads: int, cpus: int | None = None) -> int:
    """A training's ``--threads``, at most the CPUs this process may use (``cpus``; by default its
    CPU affinity, which ``taskset`` or a batch job's CPU set narrow): more torch threads than cores
    only wait for each other (``--threads 1024`` on 2 CPUs trained a classifier 8x slower). A count
    above them is capped, with a warning naming both (:class:`~evface.errors.EvfaceWarning`: one
    ``warning:`` line, said by rank 0 alone under torchrun), so that a script giving ``--threads 8``
    to every machine runs on each; 0 (the process's own count) is left as it is. Both training
    commands take their threads through it (:func:`with_config`); the Python API trains on the count
    it is given.

    Parameters
    ----------
    threads : int
        The ``--threads`` given (0 or more).
    cpus : int, optional
        The CPUs this process may use (default: its CPU affinity).

    Returns
    -------
    int
        ``threads``, or ``cpus`` where it is fewer.

    Examples
    --------
    >>> threads_within_cpus(2, cpus=2), threads_within_cpus(0, cpus=2)
    (2, 0)
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     threads_within_cpus(8, cpus=2)
    2
    >>> print(said[0].message)
    --threads 8: more than the 2 CPUs this process may use; training on 2 threads (more would only wait for each other)
    """
    cpus = cpus if cpus is not None else usable_cpus()
    if threads <= cpus:
        return threads
    if not environment.later_rank():
        warnings.warn(f"--threads {threads}: more than the {counted(cpus, 'CPU')} this process may use; training on "
                      f"{cpus} threads (more would only wait for each other)", EvfaceWarning, stacklevel=2)
    return cpus


def with_config(config_class: type[TaskConfig]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Turn ``command(..., config)`` into a typer command with one option per config field.

    The decorated function's other parameters stay as they are; the command builds
    ``config_class(**fields)`` from the options (``--threads`` at most the CPUs this process may
    use: :func:`threads_within_cpus`), refuses an option given that the others leave unused, its
    default value included (:meth:`~evface.tasks.configs.TaskConfig.refuse_unused`; was: refused
    only away from its default, so ``--distill-weight 0.5`` without ``--teacher`` passed without a
    word) and passes the config as ``config``.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "config"]
        names = [f.name for f in fields(config_class)]

        def run(context: typer.Context, **kwargs: Any) -> None:
            if "threads" in kwargs:
                kwargs["threads"] = threads_within_cpus(kwargs["threads"])
            config = config_class(**{name: kwargs.pop(name) for name in names})
            config.refuse_unused({name for name in names if given(context, name)})
            command(**kwargs, config=config)

        context = inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
        parameters = [context] + own + config_options(config_class)
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # what typer reads
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        run.__name__, run.__qualname__, run.__doc__ = command.__name__, command.__qualname__, command.__doc__
        return run

    return decorate


@train_app.command("classify")
@with_config(ClassifyConfig)
def classify(
    data: Path = typer.Option(..., "--data", help="Dataset folder (manifest.csv, clips/)."),
    out: Path = typer.Option(..., "--out", help="Run folder (config.json, checkpoints, metrics.json); an existing one resumes."),
    config: ClassifyConfig = ClassifyConfig(),
) -> None:
    """Train the AU classifier and evaluate it on held-out subjects (RUN/metrics.json)."""
    from evface.tasks.classify import train_and_evaluate  # lazy: keeps torch out of `evface --help`

    check_not_run_output(data, "--data")  # was: "no manifest", the run's dataset not named
    with sole_writer(outside_runs(outside_datasets(out))):  # was: among the dataset's clips or another run's models
        train_and_evaluate(data, out, config, log=log_line)


def register(app: typer.Typer) -> None:
    """Add ``evface train``, ``evface eval`` and ``evface export-nir`` to ``app``."""
    app.add_typer(train_app, name="train")

    @app.command("eval")
    def evaluate(
        run: Path = typer.Argument(..., metavar="RUN", help="A training run folder (holds config.json)."),
        data: Path = typer.Option(..., "--data", help="Dataset folder to evaluate on (any, also one never seen)."),
        out: Path | None = typer.Option(None, "--out", help="Folder for metrics.json (default: the run folder, which takes only the very clips the run was trained on); a new folder or an earlier evaluation of this run."),
        frames: bool = typer.Option(False, "--frames", help="Reconstruction runs: also write every method's frame of every sample, and its target, to frames.h5 (16-bit)."),
    ) -> None:
        """Evaluate a trained run on a dataset folder, write metrics.json, print what was scored by which models and the headline figures."""
        from evface.tasks.registry import task_of_run  # lazy: keeps torch out of `evface --help`

        if out is not None:  # was: an evaluation inside a run folder, mixed with a model trained there later
            outside_runs(outside_datasets(output_folder(out)), what="this evaluation")
        task = task_of_run(run)  # RUN first: RUN and --data swapped is named by RUN's line
        check_not_run_output(data, "--data")  # was: "no manifest", the run's dataset not named
        if frames and task.name != "reconstruct":
            raise ParameterError(f"--frames: {run} is a {task.name!r} run; only a reconstruction run has frames to write")
        extra = {"frames": True} if frames else {}
        with sole_writer(run if out is None else out):
            metrics = task.evaluate_run(run, data, out, **extra)
        log_line(f"{Path(run if out is None else out) / 'metrics.json'}: {metrics['evaluated_on']}")
        log_line(task.figures(metrics))
        print(json.dumps(task.headline(metrics), default=str))

    @app.command("export-nir")
    def export_nir(
        run: Path = typer.Argument(..., metavar="RUN", help="A classification run trained with --model snn."),
        out: Path = file_argument("OUT", "The .nir (HDF5) file to write (a name ending in .nir; an existing one is replaced only with --force)."),
        model: str | None = typer.Option(None, "--model", help="Which model of a cross-validated run, by its folder under "
                                                        "RUN/models (e.g. fold1-s0; default: the first)."),
        force: bool = typer.Option(False, "--force", "--overwrite", help="Replace an existing .nir file OUT."),
    ) -> None:
        """Export a trained spiking classifier to NIR (Neuromorphic Intermediate Representation)."""
        from evface.tasks.export import export_run  # lazy: torch loads for this command only, not at CLI start-up

        outside_datasets(output_file(out, "OUT", replaces=(".nir",)), "OUT", kind="file")  # was: written among a dataset's clips
        named_for(out, "OUT", (".nir",), "a NIR graph (HDF5)")  # was: written under any name (graph.txt, best.pt.bak)
        not_replacing(out, "OUT", force)
        # a folder made for OUT is removed if the export fails (was: left, empty); a file made at OUT meanwhile is
        # kept (was: replaced without --force)
        with made_folder(out.parent), refusing_newcomer(out, "OUT"):
            path, chosen, count = export_run(run, out, model, replace=force)
        which = "" if count == 1 else f" (the network of {chosen}, one of the run's {count} models; --model picks another)"
        log_line(f"wrote {path}{which}")
