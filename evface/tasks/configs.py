"""The settings of each task: one frozen dataclass per task, every default in one place.

A training run stores its config's fields in ``RUN/config.json`` (beside what training
measured), ``evface train classify|reconstruct`` builds one command-line option per field from
them (the field's ``help`` metadata is the option's help) and ``evface run`` overrides a few per
stage. This module imports nothing heavy, so that the CLI can start without torch.

Examples
--------
>>> ClassifyConfig(epochs=3).learning_rate
0.005
>>> ReconstructConfig.from_dict({"task": "reconstruct", "epochs": 2, "voxel_scale": 1.5}).epochs
2
"""

from __future__ import annotations

import inspect
import json
import math
import shlex
import textwrap
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from evface.checks import MAX_GRID_SIDE, MAX_INT, MAX_TIME_BINS, as_flag, as_int, numbers
from evface.errors import ParameterError, choose_from

C = TypeVar("C", bound="TaskConfig")


MAX_SEEDS = 100
"""The most training seeds per fold (``--seeds``)."""

MAX_THREADS = 1024
"""The most torch CPU threads of a training (``--threads``), and of a count a received run records
(:func:`~evface.tasks.run_folder.check_threads`)."""

MAX_LOSS_WEIGHT = 1e6
"""The largest weight of a term of the reconstruction loss (``--kl-beta``, ``--ssim-weight``, ``--mse-weight``) and
the largest ``--free-bits``: beside a term weighted so, the float32 loss's L1 term (at most 1) is down to its last
digits, and past about 1e38 the loss overflowed (an infinite loss, weights no longer finite: "diverged"; a
``--free-bits`` of 1e300 ended in an internal error)."""

MAX_LEARNING_RATE = 1e30
"""The largest ``--learning-rate`` of either task: Adam (reconstruction) and AdamW (classification) divide the rate
by their bias correction (0.1 at the first step) in float32, so from about 3.4e37 torch's step overflowed (an
internal error, exit 1); up to this bound a rate that makes the training diverge says so, naming
``--learning-rate``."""

DEFAULT_CROP = 64
"""The side of a reconstruction's training crops when ``--crop`` is not given (whole images at a
``--size`` of 64 or less); a run's ``config.json`` records it as its ``crop`` then."""


def setting(default: Any, help: str, *, off: str | None = None, choices: tuple[str, ...] | None = None,
            minimum: float | None = None, above: float | None = None, maximum: float | None = None,
            or_zero: bool = False) -> Any:
    """A config field with its command-line help (``off``: the name of a switch's off option),
    and what values it takes: one of ``choices``; at least ``minimum`` (or more than ``above``)
    and at most ``maximum`` (an integer at most :data:`~evface.checks.MAX_INT` when no ``maximum`` is given);
    ``or_zero``: 0 too (a count whose 0 means "none", such as ``folds``).

    Parameters
    ----------
    default : object
        The field's default; its type is the type the field takes.
    help : str
        The command-line option's help.
    off : str, optional
        A switch's off option (``--no-residual``).
    choices : tuple of str, optional
        The values the field takes.
    minimum, above, maximum : float, optional
        The bounds: at least ``minimum``, more than ``above``, at most ``maximum``.
    or_zero : bool, optional
        0 is taken too, whatever the bounds.

    Returns
    -------
    dataclasses.Field

    Examples
    --------
    >>> f = setting(0, "K test folds (0 = one split).", minimum=2, or_zero=True)
    >>> f.default, f.metadata["max"], value_problem(f.metadata, 1)
    (0, 2147483647, 'must be 0 or >= 2, got 1')
    """
    if isinstance(default, int) and not isinstance(default, bool) and maximum is None:
        maximum = MAX_INT
    return field(default=default, metadata={"help": help, "off": off, "choices": choices, "min": minimum,
                                            "above": above, "max": maximum, "or_zero": or_zero})


def fields_documented(config_class: type[C]) -> type[C]:
    """``config_class``, a task config, with a Parameters section in its docstring (before its Examples) that
    lists each field as ``--help`` does: its choices or type, its default and its help, so that the
    docstring and the command line cannot tell two stories.

    Parameters
    ----------
    config_class : type
        A dataclass whose fields are made by :func:`setting`.

    Returns
    -------
    type
        ``config_class`` itself, its ``__doc__`` completed.

    Examples
    --------
    >>> import inspect
    >>> doc = inspect.getdoc(ReconstructConfig)
    >>> print(doc[doc.index("Parameters"):doc.index("protocol :")].strip())
    Parameters
    ----------
    sensor : {'hd', 'lr'}, default 'hd'
        Event sensor: hd | lr (the target grid is the same for both).
    """
    if config_class.__doc__ is None:  # python -OO
        return config_class
    lines = ["Parameters", "----------"]
    for f in fields(config_class):
        choices = f.metadata["choices"]
        kind = "{" + ", ".join(repr(c) for c in choices) + "}" if choices else type(f.default).__name__
        lines += [f"{f.name} : {kind}, default {f.default!r}",
                  *textwrap.wrap(f.metadata["help"], 96, initial_indent="    ", subsequent_indent="    ")]
    # cleandoc: Python 3.13 strips a docstring's indentation when it compiles it, 3.11 and 3.12 keep it
    section = "".join(f"{line}\n" for line in lines) + "\n"
    examples = "Examples\n--------\n"
    config_class.__doc__ = inspect.cleandoc(config_class.__doc__).replace(examples, section + examples, 1)
    return config_class


def value_problem(metadata: Mapping[str, Any], value: Any) -> str | None:
    """What is wrong with ``value`` for a field of this ``metadata`` (its ``choices``, its
    bounds), or None.

    Parameters
    ----------
    metadata : mapping
        A :func:`setting`'s metadata: ``choices``, ``min``, ``above``, ``max``, ``or_zero``.
    value : object
        The field's value, of the field's type.

    Returns
    -------
    str or None
        The problem, worded to follow the field's name.

    Examples
    --------
    >>> value_problem({"above": 0}, 0.0)
    'must be > 0, got 0.0'
    >>> value_problem({"min": 0, "max": 1}, 0.5) is None
    True
    >>> value_problem({"above": 0}, float("nan"))
    'must be a finite number, got nan'
    >>> value_problem({"min": 2, "or_zero": True}, 1), value_problem({"min": 2, "or_zero": True}, 0)
    ('must be 0 or >= 2, got 1', None)
    """
    if value is None:  # a field whose default is None: left to the other fields (ReconstructConfig.crop)
        return None
    choices, minimum, above, maximum = (metadata.get(k) for k in ("choices", "min", "above", "max"))
    if choices is not None and value not in choices:
        return f"must be one of its settings, not {value!r}; {choose_from(choices)}"
    if isinstance(value, float) and not math.isfinite(value):  # NaN passes every comparison below
        return f"must be a finite number, got {value}"
    if metadata.get("or_zero") and value == 0:
        return None
    if minimum is not None and value < minimum:
        return f"must be {'0 or ' if metadata.get('or_zero') else ''}>= {minimum}, got {value}"
    if above is not None and value <= above:
        return f"must be > {above}, got {value}"
    if maximum is not None and value > maximum:
        return f"must be <= {maximum}, got {value}"
    return None


@dataclass(frozen=True)
class TaskConfig:
    """What the task configs share: checks of each field's type (that of its default; an integral
    float or a NumPy number is taken as the int or float it holds), ``choices`` and bounds, and
    conversion from and to ``config.json``'s dict.

    Examples
    --------
    >>> ClassifyConfig(sensor="evk4")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: sensor must be one of its settings, not 'evk4'; choose from hd, lr
    >>> ClassifyConfig(epochs=2.5)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: epochs must be a whole number, got 2.5
    """

    RUN_KEYS: ClassVar[tuple[str, ...]] = ("task", "data")
    """The keys of a run's ``config.json`` besides the fields (what the task adds: its dataset folder,
    its protocol, its trainings)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _typed(self, f.name, f.default))
            problem = value_problem(f.metadata, getattr(self, f.name))
            if problem:
                raise ParameterError(f"{f.name} {problem}")

    def _unused(self) -> list[tuple[tuple[str, ...], str]]:
        """The fields this config's other settings leave unused, in groups, each with those settings
        in words (``(("distill_weight", ...), "a run without --teacher")``); none here, a task's
        config lists its own."""
        return []

    def refuse_unused(self, given: Collection[str] = ()) -> None:
        """Refuse the fields this config's other settings leave unused (:meth:`_unused`) that are set
        away from their defaults, or named in ``given`` (the fields whose options were given on the
        command line, a default value included: ``--distill-weight 0.5`` without ``--teacher``; was
        accepted without a word where the value given was the default): one ParameterError naming the
        options and what leaves them unused, of the first such group.

        Parameters
        ----------
        given : collection of str
            Names of fields the user gave, whatever their values.

        Examples
        --------
        >>> ClassifyConfig().refuse_unused({"distill_weight", "epochs"})
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: --distill-weight: not used by a run without --teacher, which would ignore it; leave it out
        """
        for names, by in self._unused():
            _refuse_ignored([_option(f, getattr(self, f.name)) for f in fields(self)
                             if f.name in names and (getattr(self, f.name) != f.default or f.name in given)], by)

    @classmethod
    def given(cls: type[C], config: object) -> C:
        """``config`` when it is a ``cls``, else a ParameterError saying what to give (a dict of
        settings, or the other task's config, met an ``AttributeError`` deep inside the task).

        Parameters
        ----------
        config : object
            What a caller gave as the task's config.

        Returns
        -------
        TaskConfig
            ``config``.

        Examples
        --------
        >>> ClassifyConfig.given({"epochs": 3})
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: config must be a ClassifyConfig, got a dict: give ClassifyConfig(**settings), e.g. ClassifyConfig(epochs=3)
        """
        if not isinstance(config, cls):
            raise ParameterError(f"config must be a {cls.__name__}, got a {type(config).__name__}: give "
                                 f"{cls.__name__}(**settings), e.g. {cls.__name__}(epochs=3)")
        return config

    @classmethod
    def from_dict(cls: type[C], d: dict[str, Any]) -> C:
        """The config held by a dict such as ``RUN/config.json`` (keys that are not fields are ignored).

        Parameters
        ----------
        d : dict
            Settings by field name.

        Returns
        -------
        TaskConfig

        Examples
        --------
        >>> ClassifyConfig.from_dict({"task": "classify", "epochs": 3, "net": {}}).epochs
        3
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, as ``RUN/config.json`` holds them.

        Returns
        -------
        dict

        Examples
        --------
        >>> ClassifyConfig(epochs=3).to_dict()["epochs"]
        3
        """
        return asdict(self)

    @classmethod
    def run_keys(cls) -> set[str]:
        """Every setting that this evface writes into a run's ``config.json``: the fields and :attr:`RUN_KEYS`.

        Returns
        -------
        set of str

        Examples
        --------
        >>> {"net", "epochs"} <= ClassifyConfig.run_keys(), "net" in ReconstructConfig.run_keys()
        (True, False)
        """
        return {f.name for f in fields(cls)} | set(cls.RUN_KEYS)

    @classmethod
    def as_typed(cls, name: str, value: Any) -> str:
        """The setting ``name`` of a run's ``config.json`` at ``value`` as a command line gives it: a
        field's option and value (``--size 64``; a switch's on or off option alone, ``--fixed-beta``;
        ``no --crop`` for None), the dataset folder as ``--data``; a key the task derives from them
        (``net``) by its name and JSON value. What a refused resume names, the run's and the one given.

        Parameters
        ----------
        name : str
            The setting, a key of ``config.json``.
        value : object
            Its value, as ``config.json`` holds it.

        Returns
        -------
        str

        Examples
        --------
        >>> ClassifyConfig.as_typed("size", 64), ClassifyConfig.as_typed("learn_beta", False)
        ('--size 64', '--fixed-beta')
        >>> ClassifyConfig.as_typed("balanced", False), ClassifyConfig.as_typed("input", "rgb-flow")
        ('--no-balanced', '--input rgb-flow')
        >>> ClassifyConfig.as_typed("data", "/my data"), ClassifyConfig.as_typed("net", {"input_size": 64})
        ("--data '/my data'", 'net {"input_size": 64}')
        >>> ReconstructConfig.as_typed("crop", None), ReconstructConfig.as_typed("crop", 32)
        ('no --crop', '--crop 32')
        """
        found = {f.name: f for f in fields(cls)}
        if name not in found:
            return f"--data {shlex.quote(str(value))}" if name == "data" else f"{name} {json.dumps(value, default=str)}"
        f = found[name]
        if value is None:
            return f"no {_option(f, value)}"
        if isinstance(f.default, bool) and isinstance(value, bool):
            return _option(f, value)
        shown = shlex.quote(value) if isinstance(value, str) else json.dumps(value, default=str)
        return f"{_option(f, value)} {shown}"


def _typed(config: TaskConfig, name: str, default: Any) -> Any:
    """The value of field ``name`` of ``config`` as the type of its ``default``, or a ParameterError
    naming the field (``"3"``, ``2.5`` or ``True`` for an int were compared or counted as such:
    torch's or Python's own errors, or 3 epochs run for 2.5); a field whose default is None takes
    None or an int."""
    value = getattr(config, name)
    if default is None:  # None, or an int
        return None if value is None else as_int(name, value)
    if isinstance(default, bool):
        return as_flag(name, value)
    if isinstance(default, int):
        return as_int(name, value)
    if isinstance(default, float):
        numbers(config, name)
        try:
            return float(value)
        except OverflowError:  # an int beyond any float: refused as not finite
            return math.inf
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be a string, got {value!r}")
    return value


def as_run_recorded(config: dict[str, Any]) -> dict[str, Any]:
    """A run's ``config.json`` (``config``) with the settings evface has added since the run was
    written, at the values the run was trained with (where they differ from today's defaults): so
    that reading, evaluating, comparing and resuming it take it as it was. A classification run
    without ``flow`` (written before 2026-12-07) ran ``rgb-flow`` on DIS: ``flow`` ``"dis"``, in its
    settings and its ``spec``; other inputs ignore ``flow`` and get the default; settings without an
    ``input`` (no classification run's) are left as they are.

    Parameters
    ----------
    config : dict
        A run's ``config.json``, as read.

    Returns
    -------
    dict
        ``config`` itself where nothing is missing, else a completed copy.

    Examples
    --------
    >>> as_run_recorded({"task": "classify", "input": "rgb-flow", "spec": {"kind": "rgb-flow"}})
    {'task': 'classify', 'input': 'rgb-flow', 'spec': {'kind': 'rgb-flow', 'flow': 'dis'}, 'flow': 'dis'}
    >>> as_run_recorded({"task": "classify", "input": "events"})["flow"], as_run_recorded({"task": "reconstruct"})
    ('tvl1', {'task': 'reconstruct'})
    """
    if config.get("task") != "classify" or "flow" in config or "input" not in config:
        return config
    flow = "dis" if config.get("input") == "rgb-flow" else ClassifyConfig.flow
    spec = config.get("spec")
    return {**config, **({"spec": {**spec, "flow": flow}} if isinstance(spec, dict) else {}), "flow": flow}


SNN_ONLY = ("beta", "learn_beta", "reset", "surrogate", "slope", "last_neuron", "delays", "stem_input", "loss")
"""Classification settings of the spiking network that its ANN twin has no use for (one output step
makes the two losses one)."""


def _option(f: Any, value: Any) -> str:
    """The command-line option that sets field ``f`` to ``value`` (a switch's off option for False:
    its ``off`` name, else ``--no-NAME``, as :func:`~evface.commands.train.config_options` makes it)."""
    if value is False and isinstance(f.default, bool):
        return f.metadata.get("off") or "--no-" + f.name.replace("_", "-")
    return "--" + f.name.replace("_", "-")


def _check_seed_range(seed: int, seeds: int) -> None:
    """Refuse ``--seed`` and ``--seeds`` whose last training seed, ``seed + seeds - 1``, is past ``MAX_INT``
    (was: the first trainings ran, then the next stopped naming no option, on every resume alike)."""
    if seed + seeds - 1 > MAX_INT:
        raise ParameterError(f"--seed {seed} with --seeds {seeds}: the trainings' seeds would run to "
                             f"{seed + seeds - 1}, past {MAX_INT}; give --seed {MAX_INT - seeds + 1} or less")


def _refuse_ignored(options: list[str], by: str) -> None:
    """A ParameterError naming ``options`` that ``by`` would ignore, if any."""
    if options:
        them = "it" if len(options) == 1 else "them"
        raise ParameterError(f"{', '.join(options)}: not used by {by}, which would ignore {them}; leave {them} out")


@fields_documented
@dataclass(frozen=True)
class ClassifyConfig(TaskConfig):
    """Every knob of a classification run (:mod:`evface.tasks.classify`).

    Each field is a :func:`setting`: its ``help`` metadata documents it (``evface train classify
    --help`` prints it); a value of the wrong type, outside its bounds, or that the run would ignore
    (an option of another input, of the SNN for ``--model ann``) is a ParameterError naming the option.

    Examples
    --------
    >>> ClassifyConfig(folds=5, seeds=3).folds
    5
    >>> ClassifyConfig(model="ann", beta=0.9)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --beta: not used by --model ann, which would ignore it; leave it out
    >>> ClassifyConfig(loso=True, folds=3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --loso and --folds 3: choose one (--loso is --folds <number of subjects>)
    """

    RUN_KEYS = ("task", "data", "labels", "net", "spec", "protocol", "models")

    input: str = setting("events", "events | events-apex | rgb | rgb-diff | rgb-flow.",
                          choices=("events", "events-apex", "rgb", "rgb-diff", "rgb-flow"))
    sensor: str = setting("hd", "Event sensor: hd | lr (RGB inputs: the RGB camera that sees the face like it).",
                          choices=("hd", "lr"))
    model: str = setting("snn", "snn (spiking CNN) | ann (its ReLU twin).", choices=("snn", "ann"))
    epochs: int = setting(100, "Maximum number of epochs.", minimum=1)
    patience: int = setting(25, "Early stopping: epochs without a better validation UF1 (0 = off).", minimum=0)
    seed: int = setting(0, "Seed of the split, the initialisation and the sampling.", minimum=0)
    batch_size: int = setting(8, "Clips per batch (per process under torchrun).", minimum=1)
    learning_rate: float = setting(5e-3, "AdamW learning rate (cosine schedule).", above=0, maximum=MAX_LEARNING_RATE)
    weight_decay: float = setting(1e-4, "AdamW weight decay.", minimum=0)
    time_steps: int = setting(4, "Number of time steps T over the window.", minimum=1, maximum=MAX_TIME_BINS)
    size: int = setting(64, "Face crops are shrunk to size x size pixels.", minimum=4, maximum=MAX_GRID_SIDE)
    depth: int = setting(3, "Stages (each halves the size; every stage after the stem holds SEW blocks).", minimum=1,
                        maximum=8)
    width: int = setting(8, "Channels of the first stage (doubling per stage).", minimum=1, maximum=512)
    blocks: int = setting(1, "SEW residual blocks per stage after the stem (0 = a plain chain of stride-2 units).",
                          minimum=0, maximum=16)
    residual: bool = setting(True, "The SEW blocks add their input spikes to their output.", off="--no-residual")
    beta: float = setting(0.5, "Initial PLIF membrane decay per step (0.5: a time constant of 2 steps).",
                          minimum=0, maximum=1)
    learn_beta: bool = setting(True, "Learn each layer's decay (PLIF); off: fixed LIF decay.", off="--fixed-beta")
    reset: str = setting("subtract", "Spiking neurons' reset: subtract (the threshold) | zero.",
                         choices=("subtract", "zero"))
    surrogate: str = setting("atan", "Surrogate gradient: atan | fast-sigmoid.", choices=("atan", "fast-sigmoid"))
    slope: float = setting(2.0, "Steepness of the surrogate gradient (ATan alpha 2; snnTorch's fast-sigmoid uses 25).",
                           above=0)
    norm: str = setting("td", "Normalisation: td (BatchNorm over batch and time, tdBN) | none.", choices=("td", "none"))
    readout: str = setting("flatten", "gap (global average pool over space, then Linear) | flatten (Flatten, then Linear).",
                           choices=("gap", "flatten"))
    last_neuron: str = setting("lif", "SNN's last layer: lif (spiking) | li (non-spiking leaky integrator whose "
                                      "membrane potential is read out).", choices=("lif", "li"))
    delays: int = setting(1, "SNN's stem: synaptic delays 0..D-1 steps, so its first layer sees steps t..t-D+1 at "
                             "once (1 = none; at most --time-steps).", minimum=1)
    stem_input: str = setting("step", "SNN's stem input: step (time bin t at step t) | window (every bin stacked as "
                                      "channels at every step, as the ANN twin's first layer sees them).",
                              choices=("step", "window"))
    loss: str = setting("tet", "tet (cross-entropy at every step, averaged) | mean (cross-entropy of the mean output).",
                        choices=("tet", "mean"))
    teacher: str = setting("", "Knowledge distillation: a trained run on the same dataset, folds, seed and inputs (such "
                               "as the ANN twin) whose model of each fold teaches this run's ('' = none).")
    distill_weight: float = setting(0.5, "With --teacher: weight of the distillation term (the rest: --loss).",
                                    minimum=0, maximum=1)
    distill_temperature: float = setting(2.0, "With --teacher: softmax temperature of the teacher's soft targets.",
                                         above=0)
    color: bool = setting(False, "RGB inputs in colour or grey.", off="--gray")
    window: str = setting("expression", "expression (onset to offset, from the annotation) | clip (whole clip).",
                          choices=("clip", "expression"))
    rgb_camera: str = setting("webcam30", "RGB camera preset of the RGB inputs: webcam30 | highspeed200.",
                              choices=("webcam30", "highspeed200"))
    oracle_apex: bool = setting(False, "rgb-flow / events-apex: take the apex from the annotation, not from the data.")
    flow: str = setting("tvl1", "rgb-flow: the optical flow, tvl1 (TV-L1, the micro-expression field's standard; "
                                "OpenCV DualTVL1's settings) | dis (OpenCV DIS, about 90 times faster; runs trained "
                                "before 2026-12-07 used it).", choices=("tvl1", "dis"))
    val_fraction: float = setting(0.15, "Share of the subjects held out for validation (early stopping).", above=0)
    test_fraction: float = setting(0.15, "Share of the subjects held out for the test (folds=0 only).", above=0)
    folds: int = setting(0, "Subject-grouped cross-validation: K test folds (K >= 2), every subject tested once, no "
                            "subject in two folds (0 = one train/validation/test split by subject).", minimum=2,
                         or_zero=True)
    loso: bool = setting(False, "Leave-one-subject-out cross-validation (--folds <number of subjects>).")
    seeds: int = setting(1, "Training seeds per fold (seed, seed+1, ...); a clip's prediction is their mean logits, "
                            "and intervals cover the subjects and the seeds (5 hold their level). A run given more "
                            "resumes and trains only the new seeds.",
                        minimum=1, maximum=MAX_SEEDS)
    balanced: bool = setting(True, "Class-balanced sampling.")
    augment: bool = setting(True, "Flips, shifts, event drop (by event, time and area) and noise.")
    max_shift: float = setting(0.015625, "Largest random shift, as a fraction of the crop (1 px at 64; 0 = none).",
                               minimum=0, maximum=1)
    drop_time: float = setting(0.0, "Event inputs: largest share of the steps whose events are dropped "
                                    "(EventDrop by time).", minimum=0, maximum=1)
    drop_area: float = setting(0.0, "Event inputs: largest side, as a share of the crop, of a box whose events are dropped "
                                    "(EventDrop by area).", minimum=0, maximum=1)
    threads: int = setting(0, "torch CPU threads of each training (0 = the process's: torch's default, OMP_NUM_THREADS "
                              "or evface run's share of the cores); another count changes the weights in their last "
                              "digits. The command caps it at the CPUs this process may use, with a warning.",
                           minimum=0, maximum=MAX_THREADS)
    device: str = setting("auto", "auto | cpu | cuda.", choices=("auto", "cpu", "cuda"))

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loso and self.folds:
            raise ParameterError(f"--loso and --folds {self.folds}: choose one (--loso is --folds <number of subjects>)")
        self.refuse_unused()
        _check_seed_range(self.seed, self.seeds)
        if self.size < 2 ** self.depth:
            raise ParameterError(f"--size {self.size} is too small for --depth {self.depth}: each stage halves it, "
                                 f"so at least {2 ** self.depth}")
        self._check_last_stage_norm()
        if self.delays > self.time_steps:
            raise ParameterError(f"--delays {self.delays} is more than --time-steps {self.time_steps}: the stem's "
                                 f"delays span at most the steps; give --delays {self.time_steps} or less, or more "
                                 "--time-steps")

    def _unused(self) -> list[tuple[tuple[str, ...], str]]:
        """The fields the run's input leaves unused (an option of another input), ``--no-augment``
        (the augmentation's), ``--model ann`` (the SNN's), no ``--teacher`` (the distillation's) and
        cross-validation (the test share), each group with what leaves it so."""
        by_input = tuple(name for name, unused in (
            ("color", self.input not in ("rgb", "rgb-diff")),
            ("rgb_camera", self.input in ("events", "events-apex")),
            ("oracle_apex", self.input not in ("events-apex", "rgb-flow")),
            ("flow", self.input != "rgb-flow"),
            ("drop_time", self.input not in ("events", "events-apex")),
            ("drop_area", self.input not in ("events", "events-apex"))) if unused)
        groups = [(by_input, f"--input {self.input}")]
        if not self.augment:
            groups.append((("max_shift", "drop_time", "drop_area"), "a run with --no-augment"))
        if self.model == "ann":
            groups.append((SNN_ONLY, "--model ann"))
        if not self.teacher:
            groups.append((("distill_weight", "distill_temperature"), "a run without --teacher"))
        if self.folds or self.loso:
            by = "--loso" if self.loso else f"--folds {self.folds}"
            groups.append((("test_fraction",), f"{by} (every subject is tested once)"))
        return groups

    def _check_last_stage_norm(self) -> None:
        """Refuse a network whose last stage is 1 x 1 pixel (``--size`` = 2 ** ``--depth``) with
        BatchNorm (``--norm td``) over a single value per channel in a batch of one clip (the
        ANN twin stacks the steps as channels, so only its time steps add none): training raised
        "Expected more than 1 value per channel" (an internal error) as soon as a batch held one clip,
        e.g. the last of an epoch.

        Examples
        --------
        >>> ClassifyConfig(size=8, depth=3, time_steps=1)
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: --size 8 with --depth 3: the last stage is 1 x 1 pixel, so its BatchNorm (--norm td) would see one value per channel from a batch of one clip (--time-steps 1), which it cannot normalise; give --size 9 or more, --depth 2 or less, --norm none or --time-steps 2 or more
        >>> ClassifyConfig(size=8, depth=3, time_steps=2).depth  # two steps: two values per channel
        3
        """
        if self.norm != "td" or self.size != 2 ** self.depth or (self.model == "snn" and self.time_steps > 1):
            return
        steps = "--model ann" if self.model == "ann" else "--time-steps 1"
        ways = [f"--size {self.size + 1} or more", f"--depth {self.depth - 1} or less", "--norm none"]
        ways += [] if self.model == "ann" else ["--time-steps 2 or more"]
        raise ParameterError(f"--size {self.size} with --depth {self.depth}: the last stage is 1 x 1 pixel, so its "
                             f"BatchNorm (--norm td) would see one value per channel from a batch of one clip ({steps}), "
                             f"which it cannot normalise; give {', '.join(ways[:-1])} or {ways[-1]}")


@fields_documented
@dataclass(frozen=True)
class ReconstructConfig(TaskConfig):
    """Every knob of a reconstruction run (:mod:`evface.tasks.reconstruct`).

    Each field is a :func:`setting`: its ``help`` metadata documents it (``evface train reconstruct
    --help`` prints it); a value of the wrong type, outside its bounds, or that the run would ignore
    (``--stride`` of the extrapolation protocol) is a ParameterError naming the option.

    Examples
    --------
    >>> ReconstructConfig(protocol="interpolation", stride=3).stride
    3
    >>> ReconstructConfig(stride=3)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --stride: not used by --protocol extrapolation, which would ignore it; leave it out
    """

    RUN_KEYS = ("task", "data", "spec", "world_size", "evaluation", "parts")

    sensor: str = setting("hd", "Event sensor: hd | lr (the target grid is the same for both).", choices=("hd", "lr"))
    protocol: str = setting("extrapolation", "extrapolation (neutral keyframe at the clip start + events) | "
                                             "interpolation (previous 30 fps frame + events, truth frames between "
                                             "frames) | events-only.",
                            choices=("extrapolation", "interpolation", "events-only"))
    epochs: int = setting(20, "Maximum number of epochs (each model).", minimum=1)
    patience: int = setting(6, "Early stopping: epochs without a better validation SSIM (0 = off).", minimum=0)
    size: int = setting(128, f"The face box is resampled to size x size (the target grid; at most {MAX_GRID_SIDE}, more "
                             "pixels than any event camera has across a face).", minimum=16, maximum=MAX_GRID_SIDE)
    n_bins: int = setting(5, "Voxel-grid time bins of the window since the previous sample.", minimum=1,
                        maximum=MAX_TIME_BINS)
    step_us: int = setting(50_000, "Extrapolation / events-only: spacing of the sample times through the apex (µs).",
                           minimum=1)
    stride: int = setting(2, "Interpolation: every stride-th truth frame between two RGB frames.", minimum=1)
    crop: int | None = setting(None, f"Training on random crops of crop x crop pixels, 16 or more and smaller than "
                                     f"--size (0 = whole images; default {DEFAULT_CROP}, whole images at --size "
                                     f"{DEFAULT_CROP} or less); evaluation is whole.", minimum=0)
    batch_size: int = setting(16, "Samples per batch (per process under torchrun).", minimum=1)
    learning_rate: float = setting(2e-3, "Adam learning rate.", above=0, maximum=MAX_LEARNING_RATE)
    base: int = setting(8, "Channels of the first UNet stage (both networks).", minimum=1, maximum=512)
    z_channels: int = setting(4, "CVAE latent channels (at 1/8 resolution).", minimum=1, maximum=512)
    kl_beta: float = setting(1.0, "Weight of the KL term (per pixel).", minimum=0, maximum=MAX_LOSS_WEIGHT)
    warmup_epochs: int = setting(3, "Linear KL warm-up epochs.", minimum=0)
    free_bits: float = setting(0.5, "Free bits per latent channel (nats).", minimum=0, maximum=MAX_LOSS_WEIGHT)
    ssim_weight: float = setting(0.5, "Weight of (1 - SSIM) beside the L1 term of the reconstruction loss.", minimum=0,
                                 maximum=MAX_LOSS_WEIGHT)
    mse_weight: float = setting(0.0, "CVAE: weight of the squared error beside L1 (lets the latent carry what the "
                                     "condition leaves open; 20 on a toy, no gain on the quick dataset).", minimum=0,
                                 maximum=MAX_LOSS_WEIGHT)
    k_samples: int = setting(8, "CVAE: K prior samples for the sample mean and the spread at the apex (0 = off; a "
                                "spread needs 2 or more).", minimum=0, maximum=256)
    cvae_recurrent: bool = setting(False, "CVAE: ConvGRUs in its condition encoder carry a state through each clip "
                                          "(the event history; trained on runs of seq_len like the UNet).")
    seq_len: int = setting(4, "Consecutive samples per training sequence of the recurrent models.", minimum=1,
                          maximum=256)
    e2vid: bool = setting(True, "Train the recurrent UNet baseline.")
    val_fraction: float = setting(0.15, "Share of the (training) subjects held out for validation (early stopping).",
                                  above=0)
    test_fraction: float = setting(0.15, "Share of the subjects held out for the test (folds=0 only).", above=0)
    folds: int = setting(0, "Subject-grouped cross-validation: K test folds (K >= 2), every subject tested once, no "
                            "subject in two folds, scores pooled over the folds (0 = one train/validation/test split "
                            "by subject).", minimum=2, or_zero=True)
    seed: int = setting(0, "Seed of the split, the initialisation and the sampling.", minimum=0)
    seeds: int = setting(1, "Trainings per part (seeds seed, seed+1, ...; the folds stay those of --seed); a sample's "
                            "scores are the mean over them. A run given more resumes and trains only the new seeds.",
                        minimum=1, maximum=MAX_SEEDS)
    threads: int = setting(0, "torch CPU threads (0 = half the cores, at most the process's: torch's default, "
                              "OMP_NUM_THREADS or evface run's share of the cores; 1 is fastest on a busy machine). "
                              "The command caps it at the CPUs this process may use, with a warning.",
                           minimum=0, maximum=MAX_THREADS)
    device: str = setting("auto", "auto | cpu | cuda.", choices=("auto", "cpu", "cuda"))

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_crop()
        self.refuse_unused()
        _check_seed_range(self.seed, self.seeds)
        if self.k_samples == 1:
            raise ParameterError("--k-samples 1: the spread of one prior decoding is 0 whatever the latent holds; give "
                                 "--k-samples 0 (off) or 2 or more")

    def _unused(self) -> list[tuple[tuple[str, ...], str]]:
        """The fields the protocol leaves unused (``--step-us`` under interpolation, ``--stride``
        under the others), cross-validation (the test share) and ``--kl-beta 0`` (the KL term's),
        each group with what leaves it so."""
        unused: tuple[str, ...] = ("step_us",) if self.protocol == "interpolation" else ("stride",)
        groups = [(unused, f"--protocol {self.protocol}")]
        if self.folds:
            groups.append((("test_fraction",), f"--folds {self.folds} (every subject is tested once)"))
        if self.kl_beta == 0:
            groups.append((("warmup_epochs", "free_bits"), "--kl-beta 0 (the loss has no KL term)"))
        return groups

    def _check_crop(self) -> None:
        """Refuse a given ``crop`` too small for SSIM or not smaller than ``size`` (a crop that does
        not fit is no crop: training took whole images without a word). None, the default, is
        :data:`DEFAULT_CROP` and takes whole images at a ``size`` that small.

        Examples
        --------
        >>> ReconstructConfig(size=32, crop=64)
        Traceback (most recent call last):
        ...
        evface.errors.ParameterError: --crop 64: not smaller than --size 32, so training would take whole images; give --crop 0 for whole images, or 16 to 31 for crops
        >>> ReconstructConfig(size=32).train_crop, ReconstructConfig(size=32).to_dict()["crop"]
        (64, 64)
        """
        if self.crop is None or self.crop == 0:
            return
        if self.crop < 16:
            raise ParameterError(f"--crop {self.crop}: use 0 (whole images) or at least 16 pixels")
        if self.crop >= self.size:
            crops = f", or 16 to {self.size - 1} for crops" if self.size > 16 else ""
            raise ParameterError(f"--crop {self.crop}: not smaller than --size {self.size}, so training would take "
                                 f"whole images; give --crop 0 for whole images{crops}")

    @property
    def train_crop(self) -> int:
        """The side of the training crops, as ``config.json`` records it: ``crop``, or
        :data:`DEFAULT_CROP` when not given (0 or a side not smaller than ``size``: whole images)."""
        return DEFAULT_CROP if self.crop is None else self.crop

    def to_dict(self) -> dict[str, Any]:
        """The fields, ``crop`` as :attr:`train_crop` (runs recorded the default as 64 at every size).

        Returns
        -------
        dict
            Every field by name.
        """
        return {**super().to_dict(), "crop": self.train_crop}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReconstructConfig:
        """The config of a dict such as ``RUN/config.json``; a recorded ``crop`` of
        :data:`DEFAULT_CROP` is the default's (so a run at ``--size`` 64 or less reads back).

        Parameters
        ----------
        d : dict
            Settings by field name (keys that are not fields are ignored).

        Returns
        -------
        ReconstructConfig

        Examples
        --------
        >>> ReconstructConfig.from_dict(ReconstructConfig(size=32).to_dict()) == ReconstructConfig(size=32)
        True
        """
        crop = d.get("crop")
        default = isinstance(crop, int) and not isinstance(crop, bool) and crop == DEFAULT_CROP
        return super().from_dict({**d, "crop": None} if default else d)  # an array was compared elementwise


TASK_CONFIGS: dict[str, type[TaskConfig]] = {"classify": ClassifyConfig, "reconstruct": ReconstructConfig}
"""Each task's config class by the task's name (``config.json``'s ``task``)."""
