"""What an earlier ``evface run`` left in ``OUT``: its dataset, its finished and started stages.

A second run into ``OUT`` resumes the first: it refuses another dataset, other dataset options or
another preset or seed before anything is written, skips a stage whose ``stage.json`` holds as
many seeds or more, and builds a dataset that was moved or deleted again, checked against the
clips its stages were trained on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evface.datasets.synth_plan import get_preset
from evface.errors import DatasetError, ParameterError, where
from evface.io.atomic_files import atomic_write_text
from evface.io.dataset import read_dataset_json
from evface.io.run_output import STARTED, recorded_dataset
from evface.io.temporary_files import temporaries_of
from evface.pipeline.stage_plan import HIGHSPEED, Stage
from evface.tasks import run_clips, run_folder


def recorded_data(data: Path, out: Path) -> str:
    """The dataset folder ``data`` as the records of the run in ``out`` name it: relative to ``out``
    when inside it (it moves with the run), else absolute.

    Parameters
    ----------
    data : Path
        The run's dataset folder.
    out : Path
        The run's folder (``--out``).

    Returns
    -------
    str
        What ``pipeline.json`` and :data:`STARTED` hold as ``"data"``.

    Examples
    --------
    >>> recorded_data(Path("run/data"), Path("run"))
    'data'
    >>> recorded_data(Path("/datasets/real"), Path("run"))
    '/datasets/real'
    """
    path, base = data.resolve(), out.resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def run_dataset(out: Path) -> tuple[Path, bool] | None:
    """The dataset of the run already in ``out`` and whether that run built it in ``out/data``:
    the folder its ``pipeline.json`` names (relative to ``out`` when inside it), or, for a run
    stopped before it wrote that, its :data:`STARTED` record's (was: ``out/data`` only, and a
    stopped first run on a ``--data`` dataset named none), or ``out/data`` where a run from before
    that record started building it; ``None`` when ``out`` holds no run, or its dataset is no
    longer where the record says.

    Parameters
    ----------
    out : Path
        An ``evface run`` output folder (``--out``).

    Returns
    -------
    tuple of (Path, bool) or None
        The dataset folder and whether the run built it.

    Examples
    --------
    >>> run_dataset(Path("out")) is None
    True
    >>> Path("out/data").mkdir(parents=True)
    >>> run_dataset(Path("out"))
    (PosixPath('out/data'), True)
    >>> Path("stopped").mkdir()
    >>> record_start(Path("stopped"), {"preset": "tiny", "seed": 0}, Path("out/data"), built=False)
    >>> run_dataset(Path("stopped"))
    (PosixPath('.../out/data'), False)
    """
    record = out / "pipeline.json" if (out / "pipeline.json").is_file() else out / STARTED
    if not record.is_file():  # no run, or one from before the started record
        return (out / "data", True) if (out / "data").exists() else None
    with run_folder.reading(record):
        data, built = _recorded_dataset(out, run_folder.read_json(record), started=record.name == STARTED)
    return (data, built) if data.exists() else None


def _recorded_dataset(out: Path, written: Any, started: bool) -> tuple[Path, bool]:
    """The dataset the record ``written`` of the run in ``out`` names and whether the run built it
    (:func:`~evface.io.run_output.recorded_dataset`), its fields checked first (a ``ValueError``,
    which :func:`~evface.tasks.run_folder.reading` turns into one line naming the file)."""
    run_folder.check_fields(written, {"data": str, "built": bool} if started else {"data": str, "stages": list})
    run_folder.check_path_text(written["data"])  # was: "File name too long" of a name of thousands of characters
    return recorded_dataset(out, written, started)


def check_out_folder(out: Path, data_dir: Path | None = None, option: str = "--out") -> None:
    """Refuse ``out`` when it holds files but nothing a run writes first: a folder of other files is
    never written into (``evface run`` and ``tools/run_stage.py`` check their ``OUT`` here). A run
    killed while it wrote :data:`STARTED` left only its temporary file: a resume takes it on (was:
    refused as a folder of other files). The dataset given by ``--data`` (``data_dir``) may lie in
    ``out``, as it may in a run's folder (was: refused as a folder of other files unless named ``data``).

    Parameters
    ----------
    out : Path
        The run's folder (``--out``), there or not.
    data_dir : Path, optional
        The dataset folder given by ``--data``.
    option : str, optional
        The option that gave ``out``, named in the message.

    Raises
    ------
    DatasetError
        ``out`` holds files, none of them a run's or the given dataset.

    Examples
    --------
    >>> Path("mine/given").mkdir(parents=True)
    >>> check_out_folder(Path("mine"), Path("mine/given"))  # the dataset given, inside OUT
    >>> _ = Path("mine/notes.txt").write_text("mine")
    >>> check_out_folder(Path("mine"), Path("mine/given"))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: mine: holds files but no evface run (no pipeline.json, stages or data); give --out a new folder
    """
    ours = ("pipeline.json", STARTED, "stages", "data")
    given = data_dir.resolve() if data_dir is not None and out.is_dir() else None
    others = [entry for entry in out.iterdir() if given is None or not given.is_relative_to(entry.resolve())] \
        if out.is_dir() else []
    if others and not any((out / name).exists() for name in ours) and not temporaries_of(out / STARTED):
        raise DatasetError(where(out, "holds files but no evface run (no pipeline.json, stages or data); give "
                                      f"{option} a new folder"))


def check_same_dataset(out: Path, data: Path, given: bool, options: tuple[str, str] | None = None) -> None:
    """Refuse a run into ``out`` on dataset ``data`` (``given`` by ``--data``, else built in
    ``out/data``) when ``out`` holds a run on another dataset, before anything is written: its
    stages would join that run's, and ``pipeline.json`` and the report would list only theirs.
    ``tools/run_stage.py`` checks its ``OUT`` here too, naming its arguments (``options``: the dataset's
    and the output's, which it cannot leave out; was: its stage written into a run of another dataset).

    Parameters
    ----------
    out : Path
        The run's folder (``--out``).
    data : Path
        The dataset folder this run trains on.
    given : bool
        Whether ``data`` was given by ``--data`` (else the run builds it in ``out/data``).
    options : tuple of str, optional
        The arguments that gave ``data`` and ``out`` where they are not ``--data`` and ``--out`` and
        the dataset must be given (``("DATA", "OUT")``).

    Raises
    ------
    DatasetError
        ``out`` holds a run on another dataset, naming both and what to give instead.

    Examples
    --------
    >>> Path("run1/data").mkdir(parents=True)
    >>> check_same_dataset(Path("run1"), Path("run1/data"), given=False)  # the run's own: added to
    >>> check_same_dataset(Path("run1"), Path("real"), given=True)
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: run1: holds a run on the dataset run1/data that it built, and --data real is another: leave out --data to add to that run, or give --out a new folder
    >>> check_same_dataset(Path("run1"), Path("real"), given=True, options=("DATA", "OUT"))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: run1: holds a run on the dataset run1/data that it built, and DATA real is another: give DATA run1/data to add to that run, or give OUT a new folder
    """
    earlier = run_dataset(out)
    if earlier is None or earlier[0].resolve() == data.resolve():
        return
    folder, built = earlier
    data_option, out_option = options or ("--data", "--out")
    this = f"{data_option} {data} is another" if given else f"this run (no --data) would build its own in {data}"
    advice = "leave out --data" if built and options is None else f"give {data_option} {folder}"
    raise DatasetError(where(out, f"holds a run on the dataset {folder}{' that it built' if built else ''}, and "
                                  f"{this}: {advice} to add to that run, or give {out_option} a new folder"))


def check_same_options(out: Path, preset: str, seed: int) -> None:
    """Refuse a run into ``out`` with another ``preset`` or ``seed`` than the run its ``pipeline.json``
    records (or, before that run ended, its :data:`STARTED` record), before anything is written: its
    stages (other keys) would train beside that run's, and ``pipeline.json`` and the report would
    list only theirs (a run that builds its dataset is refused for the dataset's options first:
    :func:`options_made_with`).

    Parameters
    ----------
    out : Path
        The run's folder (``--out``).
    preset, seed : str, int
        This run's ``--preset`` and ``--seed``.

    Raises
    ------
    ParameterError
        Naming the options as that run was made with them and as this run gives them.

    Examples
    --------
    >>> Path("r").mkdir()
    >>> _ = Path("r/pipeline.json").write_text('{"config": {"preset": "tiny", "seed": 0}}')
    >>> check_same_options(Path("r"), "tiny", 0)
    >>> check_same_options(Path("r"), "quick", 0)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: r: holds a run made with --preset tiny, not --preset quick; give --out a new folder (or --preset tiny to add to that run)
    """
    record = out / "pipeline.json" if (out / "pipeline.json").is_file() else out / STARTED
    if not record.is_file():
        return
    with run_folder.reading(record):
        config = _recorded_options(run_folder.read_json(record), started=record.name == STARTED)
    differ = [name for name, value in (("preset", preset), ("seed", seed)) if name in config and config[name] != value]
    if differ:
        earlier = " ".join(f"--{name} {config[name]}" for name in differ)
        this = " ".join(f"--{name} {value}" for name, value in (("preset", preset), ("seed", seed)) if name in differ)
        raise ParameterError(where(out, f"holds a run made with {earlier}, not {this}; give --out a new folder "
                                        f"(or {earlier} to add to that run)"))


def _recorded_options(written: Any, started: bool) -> dict[str, Any]:
    """The configuration a run's record ``written`` holds, its ``preset`` and ``seed`` of the types
    evface writes (a ``ValueError`` otherwise, was: ``--seed "0"`` refused as 'made with --seed 0,
    not --seed 0', a ``config`` list taken as no options): a :data:`STARTED` record (``started``)
    holds both, a ``pipeline.json`` those it has (one from before the configuration was recorded
    has none: nothing to compare)."""
    run_folder.check_fields(written, {})  # a JSON object
    run_folder.check_fields(written, {"config": dict} if started or "config" in written else {})
    config = written.get("config", {})
    wanted = {"preset": str, "seed": int}
    run_folder.check_fields(config, wanted if started else {key: kind for key, kind in wanted.items() if key in config})
    return config


def record_start(out: Path, config: dict[str, Any], data: Path, built: bool) -> None:
    """Write ``out``'s :data:`STARTED` record of the run's ``config`` and dataset ``data`` (as
    ``pipeline.json`` records them) unless an earlier run wrote ``pipeline.json``, or this record of a
    dataset still where it says: the options and the dataset a resume is checked against
    (:func:`check_same_options`, :func:`check_same_dataset`) exist before the first stage starts (was:
    a first run stopped before it wrote ``pipeline.json`` left nothing to check, and a resume with
    another ``--seed``, ``--preset`` or ``--data`` trained its stages beside that run's). A record
    whose dataset is gone (moved, deleted, or a stopped build that never made it) let this run on
    its dataset in, and now names that one (was: kept, and a third run on yet another dataset was
    let in too, its stages beside both).

    Parameters
    ----------
    out : Path
        The run's folder (``--out``), made.
    config : dict
        The run's configuration (``preset``, ``seed``, ...).
    data : Path
        The dataset folder the run trains on (:func:`recorded_data` names it).
    built : bool
        Whether the run builds it (in ``out/data``; else it was given by ``--data``).

    Examples
    --------
    >>> Path("r2").mkdir()
    >>> record_start(Path("r2"), {"preset": "tiny", "seed": 0}, Path("r2/data"), built=True)
    >>> check_same_options(Path("r2"), "tiny", 1)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: r2: holds a run made with --seed 0, not --seed 1; give --out a new folder (or --seed 0 to add to that run)
    """
    if (out / "pipeline.json").is_file() or ((out / STARTED).is_file() and run_dataset(out) is not None):
        return  # a finished run's record, or the started run's while its dataset is where it says
    record = {"config": config, "data": recorded_data(data, out), "built": built}
    atomic_write_text(out / STARTED, json.dumps(record, indent=2, sort_keys=True))


def options_made_with(data_dir: Path, config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The ``evface run`` options (``--preset``, ``--seed``, ``--noise``, ``--highspeed``) on which
    the synthetic dataset in ``data_dir`` differs from the one the synth stage ``config`` builds: as
    that dataset was made, and as this run gives them.

    Parameters
    ----------
    data_dir : Path
        A synthetic dataset folder (its ``dataset.json``).
    config : dict
        The configuration of the run's synth stage (``preset``, ``seed``, ``noise``, ``rgb_hd_cameras``).

    Returns
    -------
    earlier : list of str
        The options that differ, as the dataset was made (``--preset tiny``, ``no --highspeed``).
    this : list of str
        The same options as this run gives them; both empty when none differs.
    """
    info = read_dataset_json(data_dir)
    rig = info.get("params", {}).get("rig", {})
    made = (info.get("preset"), info.get("seed"), rig.get("cameras", {}).get("noise"), HIGHSPEED in rig.get("rgb_hd_presets", []))
    wanted = (config["preset"], config["seed"], config.get("noise") or get_preset(config["preset"]).rig.cameras.noise,
              HIGHSPEED in config.get("rgb_hd_cameras", []))

    def option(i: int, value: Any) -> str:
        return ("--highspeed" if value else "no --highspeed") if i == 3 else f"--{('preset', 'seed', 'noise')[i]} {value}"

    differ = [i for i in range(4) if made[i] != wanted[i]]
    return [option(i, made[i]) for i in differ], [option(i, wanted[i]) for i in differ]


def stage_finished(done: Path) -> tuple[float, int] | None:
    """The seconds and the seeds of the finished stage whose ``stage.json`` is ``done`` (``None`` when it has none).

    Parameters
    ----------
    done : Path
        A stage folder's ``stage.json`` (:data:`~evface.tasks.run_folder.STAGE_DONE`), there or not.

    Returns
    -------
    tuple of (float, int) or None
        The stage's seconds and seeds.

    Raises
    ------
    FormatError
        ``done`` is not as evface writes it.

    Examples
    --------
    >>> Path("st").mkdir()
    >>> stage_finished(Path("st/stage.json")), seeds_started(Path("st"))
    (None, 0)
    >>> _ = Path("st/stage.json").write_text('{"seconds": 12.5, "config": {"seeds": 2}}')
    >>> stage_finished(Path("st/stage.json"))
    (12.5, 2)
    >>> _ = Path("st/stage.json").write_text('{"seconds": 12.5}')
    >>> stage_finished(Path("st/stage.json"))
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: st/stage.json: has no 'config': not a file evface wrote
    """
    if not done.exists():
        return None
    with run_folder.reading(done):
        record = run_folder.read_json(done)
        return float(record["seconds"]), _seeds(record["config"])


def seeds_started(stage_dir: Path) -> int:
    """The seeds of the training run in ``stage_dir`` (its ``config.json``; 0 when it has none).

    Parameters
    ----------
    stage_dir : Path
        A stage's folder.

    Returns
    -------
    int
        The seeds its training run was started with; 0 before it was started.

    Examples
    --------
    >>> Path("stage").mkdir()
    >>> seeds_started(Path("stage"))
    0
    >>> _ = Path("stage/config.json").write_text('{"task": "classify", "seeds": 3}')
    >>> seeds_started(Path("stage"))
    3
    """
    config = stage_dir / run_folder.CONFIG
    if not config.exists():
        return 0
    with run_folder.reading(config):
        return _seeds(run_folder.read_json(config))


def _seeds(config: Any) -> int:
    """The ``seeds`` a stage's record or its run's ``config.json`` holds (1 where it names none); a
    ``ValueError`` where it is not a count (was: ``Infinity`` an OverflowError, ``2.5`` taken as 2,
    ``"3"`` as 3), which :func:`~evface.tasks.run_folder.reading` turns into one line naming the file.

    >>> _seeds({"seeds": 3}), _seeds({})
    (3, 1)
    >>> _seeds({"seeds": float("inf")})
    Traceback (most recent call last):
    ValueError: 'seeds' is inf, not of type int
    """
    run_folder.check_fields(config, {})  # a JSON object
    run_folder.check_fields(config, {"seeds": int} if "seeds" in config else {})
    return config["seeds"] if "seeds" in config else 1


def forget_gone_dataset(stage: Stage, done: Path, log: Callable[[str], None]) -> None:
    """Remove ``done``, the ``stage.json`` of the finished dataset stage ``stage``, when its dataset
    folder no longer holds the dataset (moved or deleted: no ``manifest.csv``, which is written
    last), saying so: the stage runs again and builds the same clips (the same bytes for the same
    options; checked by :func:`check_trained_on`), which the training stages read. Until a build
    is finished and checked, the stage stays unfinished and the next run builds (or finishes) it.

    Parameters
    ----------
    stage : Stage
        The run's synth stage (its ``config["out"]``, the dataset folder).
    done : Path
        Its ``stage.json``.
    log : callable
        Called with the line that says so.
    """
    data = Path(stage.config["out"])
    if done.exists() and not (data / "manifest.csv").is_file():
        log(f"{stage.name}: done before, but {data} holds no dataset now (moved or deleted): built again, the same "
            "clips, checked against those the stages were trained on")
        done.unlink()


def check_trained_on(data: Path, out: Path, stages: list[Stage]) -> None:
    """Refuse the dataset ``data`` just built when a training stage of ``out`` recorded other clip files
    (its ``data-clips.json``; :func:`run_clips.other_data`): a run's dataset moved or deleted and
    built again by another evface version, whose stages would train and be scored on other clips.
    A stage made before the files were recorded cannot be checked; stages that recorded the same
    files (all of one dataset) are checked once, the dataset hashed once.

    Parameters
    ----------
    data : Path
        The dataset folder just built.
    out : Path
        The run's folder.
    stages : list of Stage
        The run's stages (:func:`~evface.pipeline.stage_plan.plan`).

    Raises
    ------
    DatasetError
        A stage recorded other clip files, naming it and what to do.
    """
    checked: set[str] = set()
    for stage in stages:
        run_dir = out / stage.dirname
        if stage.task == "synth" or not (run_dir / run_clips.CLIPS).exists():
            continue
        recorded = run_clips.recorded_clips(run_dir)
        files = json.dumps(recorded)
        if not recorded or recorded[1] is None or files in checked:
            continue
        checked.add(files)
        differs = run_clips.other_data(run_dir, data)
        if differs:
            raise DatasetError(where(data, f"the dataset built here again (the run's was moved or deleted) is not "
                                           f"the one stage {stage.name} was trained on ({differs}); move the run's "
                                           f"dataset back to {data} in place of this one, or give --out a new folder"))
