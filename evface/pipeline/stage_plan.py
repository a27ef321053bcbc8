"""The plan of an ``evface run``: its presets, its stages and their keys, without running anything.

A stage is a task name and its configuration (:class:`Stage`); its folder ``OUT/stages/<name>-<key>``
is keyed by that configuration without its ``seeds`` (:attr:`Stage.key`). :func:`plan` lists the
stages of a preset: the synthetic dataset (unless a dataset folder is given), one classification
stage per arm of :data:`CLASSIFY_ARMS` and one reconstruction stage per event sensor and protocol.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evface.checks import as_int
from evface.datasets.synth_plan import get_preset
from evface.errors import ParameterError, choose_from
from evface.sim.dvs_noise import NOISE_LEVELS
from evface.tasks.configs import MAX_SEEDS, ClassifyConfig

PRESETS: dict[str, dict[str, Any]] = {
    # The dataset preset of the same name (evface.datasets.synth_plan.PRESETS) and the training budgets.
    # tiny: the smallest run through every kind of stage, for tests (3 subjects, 1 epoch); its figures mean nothing.
    "tiny": {"classify_folds": 3, "classify_epochs": 1, "classify_patience": 1, "arms": ("events-hd", "events-lr", "rgb"),
             "reconstruct_epochs": 1, "reconstruct_patience": 1},
    # quick: sized so that ``make run`` finishes within 15 minutes on 2 cores: 16 subjects, 3 folds
    # (each model trains on 8-9 subjects' 7 clips, 2 more validate), 30 epochs (about the updates 20 epochs gave
    # 7 subjects' 14 clips before quick filmed each class once per subject), four arms (``arms``:
    # each event sensor, raw frames at hd's pixel size and optical flow; the others run in full);
    # reconstruction: the extrapolation protocol with hd events only (the paper's headline; lr
    # cost 2 minutes of make run), 3 subject folds (every subject tested once) of 3 epochs,
    # horizons every 200 ms (the apex is always a sample): docs/reconstruction.md, "Subject folds
    # in make run". Every ``reconstruct_*``
    # key but ``reconstruct_protocols`` and ``reconstruct_sensors`` is a ReconstructConfig field;
    # full runs every protocol of RECONSTRUCT_PROTOCOLS for hd and lr at the default 50 ms.
    "quick": {"classify_folds": 3, "classify_epochs": 30, "classify_patience": 12,
              "arms": ("events-hd", "events-lr", "rgb", "rgb-flow"),
              "reconstruct_folds": 3, "reconstruct_epochs": 3, "reconstruct_patience": 2,
              "reconstruct_protocols": ("extrapolation",), "reconstruct_sensors": ("hd",),
              "reconstruct_step_us": 200_000},
    # full: the same protocol and rig on 24 subjects, for the figures in docs/.
    "full": {"classify_folds": 6, "classify_epochs": 60, "classify_patience": 20,
             "reconstruct_folds": 6, "reconstruct_epochs": 10, "reconstruct_patience": 4},
    "paper": {"classify_folds": 4, "classify_epochs": 100, "classify_patience": 25,
              "reconstruct_epochs": 20, "reconstruct_patience": 6},
}

HIGHSPEED = "highspeed200"
"""The 200 fps RGB camera preset that ``highspeed`` adds to the dataset's cameras framed like hd."""
CLASSIFY_ARMS = (
    # name, the ClassifyConfig fields of the arm: one line per arm. Every arm is scored on the same
    # clips, and the report compares each event arm with each frame arm.
    ("events-hd", {"input": "events", "sensor": "hd"}),
    ("events-lr", {"input": "events", "sensor": "lr"}),
    ("rgb", {"input": "rgb", "sensor": "hd"}),  # an RGB camera framed like hd: the same face pixels
    ("rgb-lr", {"input": "rgb", "sensor": "lr"}),  # the RGB camera with lr's field of view
    ("rgb-diff", {"input": "rgb-diff", "sensor": "hd"}),
    ("rgb-flow", {"input": "rgb-flow", "sensor": "hd"}),  # onset->apex optical flow + strain, apex from the frames
    ("rgb-flow-oracle", {"input": "rgb-flow", "sensor": "hd", "oracle_apex": True}),  # apex from the annotation
    # The 200 fps RGB camera framed like hd: the frame cameras' upper bound (only with ``highspeed``).
    ("rgb-200", {"input": "rgb", "sensor": "hd", "rgb_camera": HIGHSPEED}),
    ("rgb-flow-200", {"input": "rgb-flow", "sensor": "hd", "rgb_camera": HIGHSPEED}),
)
HIGHSPEED_ARMS = tuple(name for name, arm in CLASSIFY_ARMS if arm.get("rgb_camera") == HIGHSPEED)
"""The arms that need the 200 fps camera: run with ``highspeed`` only, which also films it."""
RECONSTRUCT_PROTOCOLS = ("extrapolation", "interpolation", "events-only")
RECONSTRUCT_SENSORS = ("hd", "lr")
RECONSTRUCT_VARIANTS = tuple(
    # name, the ReconstructConfig fields of the stage: every protocol for each event sensor (one target grid)
    (f"recon-{protocol}-{sensor}", {"sensor": sensor, "protocol": protocol})
    for protocol in RECONSTRUCT_PROTOCOLS for sensor in RECONSTRUCT_SENSORS
)


FOLDER_KEYS = ("data", "out")
"""The keys of a stage's configuration that name a folder (its dataset)."""


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a task name, its configuration, the run's folder and its own folder.

    Parameters
    ----------
    name : str
        The stage's name (``synth``, an arm such as ``events-hd``, ``recon-<protocol>-<sensor>``).
    task : str
        ``synth``, ``classify`` or ``reconstruct``.
    config : dict
        The task's settings (a :class:`~evface.tasks.configs.TaskConfig`'s fields, the dataset's ``data``).
    root : str, optional
        The run's folder (``--out``).

    Examples
    --------
    >>> stage = Stage("rgb", "classify", {"data": "out/data", "seed": 0, "seeds": 3}, "out")
    >>> stage.dirname == f"stages/rgb-{stage.key}", stage.seeds
    (True, 3)
    >>> Stage("rgb", "classify", {"data": "out/data", "seed": 0}, "out").key == stage.key  # seeds leave the key
    True
    """

    name: str
    task: str
    config: dict[str, Any] = field(hash=False)
    root: str | None = field(default=None, compare=False)
    """The run's folder (``--out``): a folder of the configuration inside it enters the key relative to it."""

    @property
    def key(self) -> str:
        """First 10 hex digits of the SHA-256 of the configuration (stable across runs) without its
        ``seeds``: a run given more seeds trains the new ones in the stage's folder. Its folders
        enter as ``OUT/...`` when inside the run's folder, else as absolute paths, so that the run
        under another spelling of ``--out`` (relative, absolute, through a link), or moved
        elsewhere, keeps its stages' folders."""
        return _digest(self.task, {k: v for k, v in self._portable_config().items() if k != "seeds"})

    @property
    def dirname(self) -> str:
        """The stage's folder in the run's: ``stages/<name>-<key>``."""
        return f"stages/{self.name}-{self.key}"

    @property
    def seeds(self) -> int:
        """The trainings of each of the stage's models (1 for the dataset)."""
        return int(self.config.get("seeds", 1))

    @property
    def legacy_dirnames(self) -> list[str]:
        """The folders earlier runs gave the stage, other than :attr:`dirname`: before 2026-12-03
        the key of its folders as spelled; before 2026-12-05 a key with its ``seeds``."""
        keys = [_digest(self.task, self.config), _digest(self.task, self._portable_config())]
        return [f"stages/{self.name}-{key}" for key in dict.fromkeys(keys) if key != self.key]

    def _portable_config(self) -> dict[str, Any]:
        return {k: _portable(v, self.root) if k in FOLDER_KEYS else v for k, v in self.config.items()}


def _digest(task: str, config: dict[str, Any]) -> str:
    blob = json.dumps({"task": task, **config}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def _portable(folder: str, root: str | None) -> str:
    """``folder`` as ``OUT/<relative path>`` when it lies inside ``root``, else its absolute path.

    Examples
    --------
    >>> _portable("runs/quick/data", "runs/quick"), _portable("/data/real", "runs/quick")
    ('OUT/data', '/data/real')
    """
    if root is None:
        return folder
    path, base = Path(folder).resolve(), Path(root).resolve()
    return f"OUT/{path.relative_to(base).as_posix()}" if path.is_relative_to(base) else str(path)


def check_preset(preset: str) -> None:
    """Refuse a ``preset`` that is not a key of :data:`PRESETS`, naming ``--preset`` and its choices
    as every option lists its own (``--noise``); :func:`plan` and ``evface run`` (before it names
    its default ``--out``, ``runs/PRESET``) check it here.

    Examples
    --------
    >>> check_preset("quick")
    >>> check_preset("nope")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: unknown --preset 'nope'; choose from full, paper, quick, tiny
    """
    if preset not in PRESETS:
        raise ParameterError(f"unknown --preset {preset!r}; {choose_from(sorted(PRESETS))}")


def plan(preset: str, data_dir: Path | None, out: Path, seed: int = 0,
         noise: str | None = None, highspeed: bool = False, seeds: int = 1) -> tuple[Path, list[Stage]]:
    """The dataset folder and the stages of a run, without running anything (``noise``: the
    event cameras' noise level of the dataset built, default the preset's; ``highspeed``: film
    the 200 fps camera too and train :data:`HIGHSPEED_ARMS`; ``seeds``: trainings of each model
    with the folds fixed: a classifier's ensemble is scored, a reconstruction's mean score).

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS` (``--preset``).
    data_dir : Path or None
        A dataset folder to train on (``--data``); None builds the preset's in ``out/data``.
    out : Path
        The run's folder (``--out``).
    seed : int, optional
        The seed of the dataset, the folds and the trainings, >= 0.
    noise : str, optional
        A key of :data:`~evface.sim.dvs_noise.NOISE_LEVELS`; only where the run builds its dataset.
    highspeed : bool, optional
        Film the 200 fps camera too and train :data:`HIGHSPEED_ARMS`.
    seeds : int, optional
        The trainings of each model, 1 to :data:`~evface.tasks.configs.MAX_SEEDS`.

    Returns
    -------
    data_dir : Path
        The dataset folder the stages train on.
    stages : list of Stage
        The dataset's stage first (where the run builds it), then the classification arms, then
        the reconstruction stages.

    Raises
    ------
    ParameterError
        Naming the option, before any stage runs.

    Examples
    --------
    >>> data, stages = plan("quick", None, Path("out"), seeds=2)
    >>> str(data), [(s.name, s.task) for s in stages][:3], stages[1].config["folds"], stages[1].seeds
    ('out/data', [('synth', 'synth'), ('events-hd', 'classify'), ('events-lr', 'classify')], 3, 2)
    >>> [s.name for s in stages if s.task == "reconstruct"]
    ['recon-extrapolation-hd']
    >>> [s.config["flow"] for s in stages if s.name == "rgb-flow"]  # ClassifyConfig's default, named in the key
    ['tvl1']
    >>> plan("quick", None, Path("out"), seeds=2.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --seeds must be a whole number, got 2.5
    """
    seed, seeds = as_int("--seed", seed, 0), as_int("--seeds", seeds, 1)
    if seeds > MAX_SEEDS:
        raise ParameterError(f"--seeds must be at most {MAX_SEEDS}, got {seeds}")
    check_preset(preset)
    if noise is not None and noise not in NOISE_LEVELS:
        raise ParameterError(f"unknown --noise {noise!r}; {choose_from(NOISE_LEVELS)}")
    if noise is not None and data_dir is not None:
        raise ParameterError(f"--noise sets the event noise of the dataset a run builds, and --data {data_dir} is "
                             "given: build that dataset with evface synth --noise instead")
    budget = PRESETS[preset]
    stages: list[Stage] = []
    if data_dir is None:
        data_dir = out / "data"
        extra: dict[str, Any] = {"noise": noise} if noise is not None else {}
        if highspeed:
            extra["rgb_hd_cameras"] = [*get_preset(preset).rig.rgb_hd_presets, HIGHSPEED]
        stages.append(Stage("synth", "synth", {"preset": preset, "seed": seed, "out": str(data_dir), **extra}, str(out)))
    wanted = set(budget.get("arms", (n for n, _ in CLASSIFY_ARMS if n not in HIGHSPEED_ARMS)))
    wanted |= set(HIGHSPEED_ARMS) if highspeed else set()
    several = {"seeds": seeds} if seeds > 1 else {}  # one seed keeps the keys of runs made before --seeds
    for name, arm in [(name, arm) for name, arm in CLASSIFY_ARMS if name in wanted]:
        # the flow arms name the config's default optical flow: their key is not that of an earlier run's DIS stage
        flow = {"flow": ClassifyConfig.flow} if arm["input"] == "rgb-flow" else {}
        stages.append(Stage(name, "classify", {"data": str(data_dir), "seed": seed, "folds": budget["classify_folds"],
                                               "epochs": budget["classify_epochs"], "patience": budget["classify_patience"],
                                               **several, **arm, **flow}, str(out)))
    protocols = budget.get("reconstruct_protocols", RECONSTRUCT_PROTOCOLS)
    sensors = budget.get("reconstruct_sensors", RECONSTRUCT_SENSORS)
    fields = {k.removeprefix("reconstruct_"): v for k, v in budget.items() if k.startswith("reconstruct_")
              and k not in ("reconstruct_protocols", "reconstruct_sensors")}  # ReconstructConfig fields
    for name, variant in RECONSTRUCT_VARIANTS:
        if variant["protocol"] in protocols and variant["sensor"] in sensors:
            stages.append(Stage(name, "reconstruct", {"data": str(data_dir), "seed": seed, **fields, **several, **variant},
                                str(out)))
    return data_dir, stages


def selected_stages(stages: list[Stage], only: Sequence[str] | None, preset: str,
                    left_out: dict[str, list[str]] | None = None) -> list[Stage]:
    """The stages of ``only`` (and the dataset's, which they read); all of them without ``only``.

    A name that is not a stage of ``stages`` is refused saying what would make it one (was: "not a
    stage of this run" for each): a stage of other presets names them, one of :data:`HIGHSPEED_ARMS`
    ``--highspeed``, one the dataset left out (``left_out``) why.

    Parameters
    ----------
    stages : list of Stage
        The run's stages (:func:`plan`).
    only : sequence of str, str or None
        The names given to ``--stages``; a text is read as ``--stages`` reads it, names separated
        by commas (was: each of its letters a name, ``--stages r,g,b: not a stage``).
    preset : str
        The run's preset, for the message.
    left_out : dict of str to list of str, optional
        The stages of the plan that the given dataset leaves out, by why
        (:func:`~evface.pipeline.given_data.stages_the_data_allows`).

    Returns
    -------
    list of Stage

    Raises
    ------
    ParameterError
        ``only`` names no stage, or one that is not a stage of ``stages``.

    Examples
    --------
    >>> _, stages = plan("tiny", None, Path("out"))
    >>> [s.name for s in selected_stages(stages, ["rgb"], "tiny")]
    ['synth', 'rgb']
    >>> [s.name for s in selected_stages(stages, "rgb, events-hd", "tiny")]
    ['synth', 'events-hd', 'rgb']
    >>> selected_stages(stages, ["rgb-200"], "tiny")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --stages rgb-200 (trained with --highspeed only): not a stage of this run (--preset tiny); choose from events-hd,...
    >>> _, quick = plan("quick", None, Path("out"))
    >>> selected_stages(quick, "rgb-diff", "quick")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --stages rgb-diff (a stage of --preset full or paper): not a stage of this run (--preset quick); choose from events-hd,...
    """
    if only is None:
        return stages
    if isinstance(only, str):
        only = [name.strip(" \t") for name in only.split(",") if name.strip(" \t")]  # strip(): '\x1c5' shown as '5'
    names = [s.name for s in stages if s.task != "synth"]
    choices = f"choose from {','.join(names)}"
    if not only:  # was: "--stages (none): not a stage of this run"
        raise ParameterError(f"--stages names no stage; {choices}")
    unknown = list(dict.fromkeys(name for name in only if name not in names))
    if unknown:
        said = ", ".join(name + _why_not_planned(name, preset, left_out or {}) for name in unknown)
        raise ParameterError(f"--stages {said}: not a stage of this run (--preset {preset}); {choices}")
    return [s for s in stages if s.task == "synth" or s.name in only]


def _why_not_planned(name: str, preset: str, left_out: dict[str, list[str]]) -> str:
    """What would make ``name`` a stage of a run of ``preset``, in brackets (``""``: none would)."""
    for why, names in left_out.items():
        if name in names:
            return f" (left out: {why})"
    if name in HIGHSPEED_ARMS:
        return " (trained with --highspeed only)"
    others = [other for other in sorted(PRESETS) if other != preset
              and name in (s.name for s in plan(other, Path("data"), Path("out"))[1])]
    return f" (a stage of --preset {' or '.join([', '.join(others[:-1]), others[-1]] if len(others) > 1 else others)})" \
        if others else ""


def anywhere(stage: Stage) -> Stage:
    """``stage`` with its folders as absolute paths, as every executor's job gets it: a process with
    another working directory (a Ray task) finds them, and what the task records of them (the
    ``data`` of ``config.json`` and ``metrics.json``) is the same whichever executor ran it and
    wherever the command was started (its key, and so its folder, stays the one of ``stage``).

    Parameters
    ----------
    stage : Stage
        A stage of :func:`plan`.

    Returns
    -------
    Stage

    Examples
    --------
    >>> stage = Stage("rgb", "classify", {"data": "out/data", "seed": 0}, "out")
    >>> far = anywhere(stage)
    >>> Path(far.config["data"]).is_absolute(), far.key == stage.key
    (True, True)
    """
    config = {k: str(Path(v).absolute()) if k in FOLDER_KEYS else v for k, v in stage.config.items()}
    return Stage(stage.name, stage.task, config, str(Path(stage.root).absolute()) if stage.root else None)
