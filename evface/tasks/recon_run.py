"""A reconstruction run's protocol and its folder: the parts, their files, read back as received.

:func:`protocol_parts` lays out the evaluation protocol of a run (one subject split, or subject
folds; each trained once per seed), which :func:`evface.tasks.reconstruct.prepare` writes into
``RUN/config.json`` and :func:`seed_groups` reads back grouped by the subjects the parts share.
A part's folder holds its ``part.json`` (:data:`PART_JSON`: the input scales and integration fit
that :func:`part_inputs` reads back checked, the training summary, the ``epochs`` and
``patience`` :func:`part_trained` compares), its CVAE and its recurrent UNet (in :data:`E2VID_DIR`);
the run's ``train.json`` sums the parts' summaries (:func:`write_train_summary`), and
:data:`SAMPLES_DIR` caches the decoded samples while the parts train as jobs of their own. The
whole folder is drawn in :mod:`evface.tasks.reconstruct`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evface.checks import is_number
from evface.errors import FormatError, where
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.inputs.splits import subjects_of
from evface.tasks import parallel, run_folder, stats
from evface.tasks.configs import ReconstructConfig

SPLIT = "subject split"
"""The protocol name of ``folds=0``: one train/validation/test split by subject."""
E2VID_DIR = "e2vid"
PART_JSON = "part.json"
"""A trained part's input scales, integration fit and training summary (written when both models are trained)."""
SAMPLES_DIR = "samples"
"""The run's decoded samples, cached by :func:`~evface.tasks.reconstruct.prepare` for the parts' jobs (removed once scored)."""


def protocol_parts(cfg: ReconstructConfig, rows: Sequence[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The evaluation protocol of ``cfg`` on manifest ``rows``: its name and its parts.

    The parts of :func:`evface.tasks.stats.subject_parts` (``folds=0``: one subject split;
    otherwise every subject tested once), each as ``{"name", "dir", "train", "val", "test"}``:
    subject lists and the part's folder in the run (``.`` for one split). With ``seeds`` > 1 each
    is trained once per seed, as the parts ``<name>-s<seed>`` (folder of that name), which add
    their training ``seed`` and their ``group``: the name of the split part whose subjects they share.

    Parameters
    ----------
    cfg : ReconstructConfig
        The run's settings (``folds``, ``seeds``, ``val_fraction``, ``test_fraction``, ``seed``).
    rows : sequence of dict
        Manifest rows, each with a ``subject``.

    Returns
    -------
    protocol : str
        Its name, as ``metrics.json`` and the report give it.
    parts : list of dict
        As ``RUN/config.json``'s ``parts`` records them.

    Examples
    --------
    >>> rows = [{"clip_id": f"{s}-0", "subject": s} for s in ("s0", "s1", "s2", "s3")]
    >>> protocol_parts(ReconstructConfig(), rows)
    ('subject split', [{'name': 'split', 'dir': '.', 'train': ['s1', 's3'], 'val': ['s0'], 'test': ['s2']}])
    >>> protocol, parts = protocol_parts(ReconstructConfig(folds=2, seeds=2), rows)
    >>> protocol, [(p["dir"], p["group"], p["seed"], p["test"]) for p in parts][:2]
    ('2-fold subject-grouped cross-validation', [('fold0-s0', 'fold0', 0, ['s1', 's2']), ('fold0-s1', 'fold0', 1, ['s1', 's2'])])
    >>> sorted(run_subjects({"parts": parts}))
    ['s0', 's1', 's2', 's3']
    """
    split = [{"name": p["name"], "dir": p["name"] if cfg.folds else ".", **{k: subjects_of(p[k]) for k in ("train", "val", "test")}}
             for p in stats.subject_parts(rows, cfg.folds, cfg.val_fraction, cfg.test_fraction, cfg.seed)]
    parts = split if cfg.seeds == 1 else [
        p | {"name": f"{p['name']}-s{seed}", "dir": f"{p['name']}-s{seed}", "group": p["name"], "seed": seed}
        for p in split for seed in range(cfg.seed, cfg.seed + cfg.seeds)]
    return (f"{cfg.folds}-fold subject-grouped cross-validation" if cfg.folds else SPLIT), parts


def seed_groups(parts: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The parts of :func:`protocol_parts` grouped by the subjects they share, each group in seed
    order (a run of one seed: one part per group). A group whose parts test other subjects, or
    whose seeds are not the first group's, is a :class:`ValueError` (a malformed received
    ``config.json``).

    Parameters
    ----------
    parts : sequence of dict
        The parts of ``RUN/config.json``, each with its ``name`` and ``test`` subjects, and where the
        run has several seeds its ``group`` and ``seed``.

    Returns
    -------
    list of list of dict
        The groups in the order of their first part; a part without ``group`` is a group of its own.

    Raises
    ------
    ValueError
        A group whose parts test other subjects, or groups of other seeds.

    Examples
    --------
    >>> parts = [{"name": f"fold{i}-s{s}", "group": f"fold{i}", "seed": s, "test": [f"s{i}"]} for i in (0, 1) for s in (0, 1)]
    >>> [[p["name"] for p in g] for g in seed_groups(parts)]
    [['fold0-s0', 'fold0-s1'], ['fold1-s0', 'fold1-s1']]
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        groups.setdefault(part.get("group", part["name"]), []).append(part)
    for name, group in groups.items():
        if any(part["test"] != group[0]["test"] for part in group):
            raise ValueError(f"the parts of {name!r} test other subjects")
    seeds = [[part.get("seed") for part in group] for group in groups.values()]
    if any(s != seeds[0] for s in seeds):
        raise ValueError(f"the parts' groups hold other seeds: {seeds}")
    return list(groups.values())


def same_training(old: Mapping[str, Any], new: Mapping[str, Any], seed: int) -> bool:
    """Whether part ``old`` of a run (one of fewer seeds: a part without ``seed`` trained ``seed``)
    is the training ``new`` asks for: the same subjects, group and seed.

    Parameters
    ----------
    old : mapping
        A part of the run's ``config.json`` as it stands.
    new : mapping
        The part :func:`protocol_parts` lays out for the settings now given.
    seed : int
        The run's first seed (``--seed``): the one a part without ``seed`` was trained with.

    Returns
    -------
    bool
        True when ``old``'s group (its name when it has none), seed and train, validation and test
        subjects are ``new``'s.

    Examples
    --------
    >>> old = {"name": "fold0", "train": ["s0"], "val": ["s3"], "test": ["s1"]}  # a run of one seed
    >>> new = {**old, "name": "fold0-s0", "group": "fold0", "seed": 0}
    >>> same_training(old, new, seed=0), same_training(old, {**new, "seed": 1}, seed=0)
    (True, False)
    """
    return (old.get("group", old["name"]), old.get("seed", seed)) == (new.get("group", new["name"]), new.get("seed", seed)) \
        and all(old[k] == new[k] for k in ("train", "val", "test"))


def run_subjects(config: dict[str, Any]) -> set[str]:
    """Every subject that some part of the run in ``config`` trains, validates or tests on.

    Parameters
    ----------
    config : dict
        The run's ``config.json``; its ``parts`` each list ``train``, ``val`` and ``test`` subjects.

    Returns
    -------
    set of str

    Examples
    --------
    >>> parts = [{"train": ["s1", "s2"], "val": ["s3"], "test": ["s4"]},
    ...          {"train": ["s3", "s4"], "val": ["s1"], "test": ["s2"]}]
    >>> sorted(run_subjects({"parts": parts}))
    ['s1', 's2', 's3', 's4']
    """
    return {subj for p in config["parts"] for k in ("train", "val", "test") for subj in p[k]}


def cached_samples(run_dir: Path) -> ReconSamples | None:
    """The samples :func:`~evface.tasks.reconstruct.prepare` cached in ``run_dir``, or ``None``.

    Parameters
    ----------
    run_dir : Path
        The run folder.

    Returns
    -------
    ReconSamples or None
        The samples of ``RUN/samples/`` (:data:`SAMPLES_DIR`), memory-mapped
        (:meth:`ReconSamples.load`); ``None`` when the run holds none (:func:`~evface.tasks.reconstruct.prepare`
        found no part left to train or was told not to cache them;
        :func:`~evface.tasks.reconstruct.pool_parts` removes them once the run is scored).

    Examples
    --------
    >>> cached_samples(Path("a-run-without-samples")) is None
    True
    """
    return ReconSamples.load(run_dir / SAMPLES_DIR) if (run_dir / SAMPLES_DIR).exists() else None


def part_trained(part_dir: Path, cfg: ReconstructConfig) -> bool:
    """Whether the part in ``part_dir`` was trained for ``cfg``'s epochs and patience.

    Parameters
    ----------
    part_dir : Path
        The part's folder.
    cfg : ReconstructConfig
        The settings now given (``epochs``, ``patience``).

    Returns
    -------
    bool
        True when the part's :data:`PART_JSON` is there (written once both its networks are trained)
        and records ``cfg``'s epochs and patience; False when it is not there or records others
        (the part trains again, resuming from its checkpoints).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> Path("fold0").mkdir()
    >>> _ = write_json(Path("fold0") / PART_JSON, {"epochs": 30, "patience": 5})
    >>> [part_trained(Path("fold0"), ReconstructConfig(epochs=epochs, patience=5)) for epochs in (30, 40)]
    [True, False]
    >>> part_trained(Path("fold1"), ReconstructConfig(epochs=30, patience=5))
    False
    """
    if not (part_dir / PART_JSON).exists():
        return False
    done = run_folder.read_json(part_dir / PART_JSON)
    return (done["epochs"], done["patience"]) == (cfg.epochs, cfg.patience)


def part_inputs(run_dir: Path, part: dict[str, Any], spec: ReconSpec) -> dict[str, Any]:
    """A trained part's input scales and integration fit (in config.json itself for runs before
    ``part.json``), checked as a received file (:func:`run_folder.reading`).

    Parameters
    ----------
    run_dir : Path
        The run folder.
    part : dict
        The part, as ``RUN/config.json`` records it: its ``dir``, and in a run from before
        :data:`PART_JSON` its ``scales`` and ``integration`` themselves.
    spec : ReconSpec
        The run's sample spec: ``alpha_index`` must be one of its ``alphas_rad_s``.

    Returns
    -------
    dict
        The part's ``part.json`` (or ``part`` itself): ``scales`` ``{"voxel", "hist"}`` (numbers),
        ``integration`` ``{"alpha_index", "c_on", "c_off"}``.

    Raises
    ------
    FormatError
        The file is not there (the part not trained: the message says how to train it), not JSON, or lacks a field, holds one of another type, a scale that
        is not a finite number > 0, a contrast that is not a finite number >= 0, or an
        ``alpha_index`` out of range; the message names the file.

    Examples
    --------
    >>> part = {"dir": ".", "scales": {"voxel": 2.0, "hist": 4.0},
    ...         "integration": {"alpha_index": 1, "c_on": 0.2, "c_off": 0.2}}  # a run from before part.json
    >>> part_inputs(Path("run"), part, ReconSpec())["scales"]
    {'voxel': 2.0, 'hist': 4.0}
    >>> part_inputs(Path("run"), part | {"integration": {"alpha_index": 2, "c_on": 0.2, "c_off": 0.2}}, ReconSpec())
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: run/config.json: not as evface writes it (alpha_index 2 is not one of the 2 leak rates)
    """
    if "scales" in part:
        inputs, path = part, run_dir / run_folder.CONFIG
    else:
        path = run_dir / part["dir"] / PART_JSON
        if not path.exists():  # was: 'no such file', without why or what to do
            raise FormatError(where(path, f"no such file: the part {part['name']} is not trained (its training stopped, "
                                          "or the run was copied without it); train the run to its end (evface train "
                                          "reconstruct with the same --out resumes it), or copy the part back"))
        inputs = run_folder.read_json(path)
    with run_folder.reading(path):
        _check_inputs(inputs, len(spec.alphas_rad_s))
    return inputs


def _check_inputs(inputs: dict[str, Any], n_alphas: int) -> None:
    """A :class:`ValueError` unless ``inputs`` holds a part's input scales and integration fit as
    training writes them: the scales finite numbers > 0 (1 / RMS of the training inputs; was: a 0
    fed the networks no events, scored without a word), the contrasts finite numbers >= 0 and the
    ``alpha_index`` one of the ``n_alphas`` leak rates."""
    number = (int, float)
    run_folder.check_fields(inputs, {"scales": dict, "integration": dict})
    run_folder.check_fields(inputs["scales"], {"voxel": number, "hist": number})
    run_folder.check_fields(inputs["integration"], {"alpha_index": int, "c_on": number, "c_off": number})
    for name in ("voxel", "hist"):
        if not (math.isfinite(inputs["scales"][name]) and inputs["scales"][name] > 0):
            raise ValueError(f"the {name} scale {inputs['scales'][name]} is not a finite number > 0")
    for name in ("c_on", "c_off"):
        if not (math.isfinite(inputs["integration"][name]) and inputs["integration"][name] >= 0):
            raise ValueError(f"{name} {inputs['integration'][name]} is not a finite number >= 0")
    if not 0 <= inputs["integration"]["alpha_index"] < n_alphas:
        raise ValueError(f"alpha_index {inputs['integration']['alpha_index']} is not one of the {n_alphas} leak rates")


def _part_summary(path: Path, models: Sequence[str]) -> dict[str, Any]:
    """The training summary in a part's :data:`PART_JSON` at ``path``, with the torch threads the
    part trained on where it records them (:data:`~evface.tasks.run_folder.TORCH_THREADS`; parts
    trained before 2026-12-06 do not), checked as a received file: without the summary, without the
    seconds of one of ``models`` (those the run trains), or with threads that are no count, one
    :class:`FormatError` naming the file (was: a ``KeyError`` traceback, or 0 seconds counted).

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> _part_summary(write_json("part.json", {"summary": {"cvae": {"seconds": 3.0}}}), ["cvae"])
    {'cvae': {'seconds': 3.0}}
    >>> _part_summary(write_json("part.json", {"summary": {"cvae": {"seconds": 3.0}}, "torch_threads": 2}), ["cvae"])
    {'cvae': {'seconds': 3.0}, 'torch_threads': 2}
    >>> _part_summary(write_json("part.json", {"summary": {"name": "split"}}), ["cvae"])
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: part.json: not as evface writes it (its training summary gives no seconds for the cvae)
    """
    part = run_folder.read_json(path)
    with run_folder.reading(path):
        run_folder.check_fields(part, {"summary": dict})
        for model in models:
            trained = part["summary"].get(model)
            seconds = trained.get("seconds") if isinstance(trained, dict) else None
            if not is_number(seconds):
                raise ValueError(f"its training summary gives no seconds for the {model}")
        threads = {key: part[key] for key in (run_folder.TORCH_THREADS,) if key in part}
        run_folder.check_threads({key: [count] for key, count in threads.items()})  # one count
    return part["summary"] | threads


def write_train_summary(run_dir: Path, config: dict[str, Any], dist: parallel.DistInfo) -> dict[str, Any]:
    """``RUN/train.json``: the training summary of every part, and each model's seconds summed over the parts.

    Parameters
    ----------
    run_dir : Path
        The run folder, every part trained (each part's :data:`PART_JSON` holds its ``summary``,
        with the seconds of each model the run trains: else one :class:`FormatError` naming the file).
    config : dict
        The run's ``config.json`` (its ``evaluation``, ``parts`` and ``e2vid``).
    dist : parallel.DistInfo
        The process: only the main one writes the file.

    Returns
    -------
    dict
        ``{"evaluation", "parts": [each part's summary, with its ``torch_threads``], "cvae_seconds",
        "e2vid_seconds", "torch_threads"}`` (the last: the parts' distinct counts,
        :func:`~evface.tasks.run_folder.threads_used`; none where a part records none), as written.

    Examples
    --------
    >>> from evface.tasks.run_folder import write_json
    >>> for name, seconds in (("fold0", 3.0), ("fold1", 4.5)):
    ...     Path("run", name).mkdir(parents=True)
    ...     _ = write_json(Path("run", name, PART_JSON), {"summary": {"name": name, "cvae": {"seconds": seconds}}})
    >>> config = {"evaluation": "2-fold subject-grouped cross-validation", "e2vid": False,
    ...           "parts": [{"dir": "fold0"}, {"dir": "fold1"}]}
    >>> summary = write_train_summary(Path("run"), config, parallel.single_process("cpu"))
    >>> summary["cvae_seconds"], summary["e2vid_seconds"], Path("run", "train.json").is_file()
    (7.5, 0.0, True)
    """
    models = ("cvae", "e2vid") if config.get("e2vid", True) else ("cvae",)
    summary: dict[str, Any] = {"evaluation": config["evaluation"],
                               "parts": [_part_summary(run_dir / p["dir"] / PART_JSON, models) for p in config["parts"]]}
    for model in ("cvae", "e2vid"):
        summary[f"{model}_seconds"] = sum(p.get(model, {}).get("seconds", 0.0) for p in summary["parts"])
    summary |= run_folder.threads_used([p.get(run_folder.TORCH_THREADS) for p in summary["parts"]])
    if dist.is_main:
        run_folder.write_json(run_dir / "train.json", summary)
    return summary
