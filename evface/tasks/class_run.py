"""A classification run's protocol and its folder: what its models see, its parts and models, their files.

:func:`input_spec` and :func:`net_config` are the inputs and the network of a run's settings (what
``RUN/config.json`` records as ``spec`` and ``net``). :func:`protocol_parts` lays out the evaluation
protocol (one subject split, subject folds or leave-one-subject-out) and :func:`protocol_models` its models,
one per part and seed, as config.json's ``models`` lists them (:func:`matching_model` finds an entry's
model among another run's, :func:`fold_names` names their folds in ``seed_logits.csv``). While a
run trains, :data:`INPUTS` holds every clip's preprocessed inputs, and a model's folder holds its
:data:`HELD_OUT` predictions once it is trained (:func:`model_fitted`). The task that writes them is
:mod:`evface.tasks.classify`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from evface.errors import ParameterError, counted
from evface.inputs.classify import InputSpec
from evface.models.snn import NetConfig
from evface.tasks import checkpoints, stats
from evface.tasks.run_folder import check_names
from evface.tasks.configs import ClassifyConfig

SPLIT = "one subject split"
"""The protocol name of ``folds=0`` without ``loso``: one train/validation/test split by subject."""
INPUTS = "inputs.pt"
"""Every clip's preprocessed inputs while a run trains (removed once its predictions are pooled)."""
HELD_OUT = "held_out.pt"
"""One model's predictions on its test subjects, in its folder: what :func:`~evface.tasks.classify.pool_parts` pools."""


def input_spec(cfg: ClassifyConfig) -> InputSpec:
    """What the network of ``cfg`` sees (raises :class:`ParameterError` for an unknown input kind or window)."""
    return InputSpec(kind=cfg.input, sensor=cfg.sensor, time_steps=cfg.time_steps, size=cfg.size, color=cfg.color,
                     window=cfg.window, rgb_camera=cfg.rgb_camera, oracle_apex=cfg.oracle_apex, flow=cfg.flow)


def net_config(cfg: ClassifyConfig, n_classes: int) -> NetConfig:
    """The network of ``cfg`` for ``n_classes`` classes."""
    return NetConfig(in_channels=input_spec(cfg).channels, n_classes=n_classes, time_steps=cfg.time_steps,
                     input_size=cfg.size, depth=cfg.depth, width=cfg.width, blocks=cfg.blocks, beta=cfg.beta,
                     learn_beta=cfg.learn_beta, reset=cfg.reset, surrogate=cfg.surrogate, slope=cfg.slope,
                     norm=cfg.norm, residual=cfg.residual, readout=cfg.readout, last_neuron=cfg.last_neuron,
                     delays=cfg.delays, stem_input=cfg.stem_input)


def check_network(labels: Sequence[Any], cfg: ClassifyConfig, net: NetConfig) -> None:
    """Check that a run's ``labels`` are distinct class names, one per output of its network ``net``,
    and that ``net`` takes the inputs its settings ``cfg`` make (:func:`input_spec`): what
    ``config.json`` records of them (a ``ValueError``, which :func:`~evface.tasks.run_folder.reading`
    turns into one line naming the file; was, of a label that is no text, an internal error, and of
    a time step or size the network does not take, an error naming no file).

    Examples
    --------
    >>> cfg = ClassifyConfig(time_steps=2, size=16)
    >>> check_network(["AU12", "AU4"], cfg, net_config(cfg, 2))
    >>> check_network(["AU12", None], cfg, net_config(cfg, 2))
    Traceback (most recent call last):
    ValueError: 'labels' is ['AU12', None], not a list of distinct class names
    >>> check_network(["AU12"], ClassifyConfig(time_steps=4, size=16), net_config(cfg, 2))
    Traceback (most recent call last):
    ValueError: 'net' has n_classes 2, where the run's labels, input, time_steps and size give 1
    """
    if not all(isinstance(label, str) for label in labels) or len(set(labels)) != len(labels):
        raise ValueError(f"'labels' is {list(labels)!r:.60}, not a list of distinct class names")
    spec = input_spec(cfg)
    given = {"n_classes": len(labels), "in_channels": spec.channels, "time_steps": spec.time_steps,
             "input_size": spec.size}
    differ = [name for name, value in given.items() if getattr(net, name) != value]
    if differ:
        raise ValueError(f"'net' has {differ[0]} {getattr(net, differ[0])!r}, where the run's labels, input, "
                         f"time_steps and size give {given[differ[0]]!r}")


def check_models(entries: Sequence[dict[str, Any]]) -> None:
    """Check that a run's ``models`` (:func:`protocol_models`, as ``config.json`` lists them, each with
    its ``test`` and ``val`` lists and ``seed`` checked) name their subjects by text, that no model
    trains, validates or tests on one subject twice (its ``train``, where it has one, ``val`` and
    ``test`` share no subject: a run of such a model leaks what it is tested on) and that every fold
    (the models testing the same subjects) holds the same seeds, each once: what an evaluation pools
    per seed (a ``ValueError``, which :func:`~evface.tasks.run_folder.reading` turns into one line naming
    the file; was an internal error, of a subject that is no text and of a fold missing a seed, and
    nothing, of a model trained on a subject it is tested on). An entry without ``train`` (a run written
    before 2026-12-07) is checked without it.

    Examples
    --------
    >>> entries = [{"test": [f"s{i}"], "val": ["s9"], "seed": seed} for i in (0, 1) for seed in (0, 1)]
    >>> check_models(entries)
    >>> check_models(entries[:3])
    Traceback (most recent call last):
    ValueError: the models' folds hold other seeds: [[0, 1], [0]]
    >>> check_models([{"test": [["s0"]], "val": [], "seed": 0}])
    Traceback (most recent call last):
    ValueError: 'test' is [['s0']], not a list of names
    >>> check_models([{"test": ["s0"], "val": ["s9"], "train": ["s0", "s1"], "seed": 0}])
    Traceback (most recent call last):
    ValueError: a model's subject 's0' is in both 'train' and 'test'
    """
    folds: dict[tuple[str, ...], list[int]] = {}
    for entry in entries:
        _check_subjects(entry)
        folds.setdefault(tuple(entry["test"]), []).append(entry["seed"])
    seeds = [sorted(fold) for fold in folds.values()]
    if any(fold != seeds[0] or len(set(fold)) != len(fold) for fold in seeds):
        raise ValueError(f"the models' folds hold other seeds: {seeds}"[:200])


def check_trained_subjects(entries: Iterable[Mapping[str, Any]], subjects: Iterable[str]) -> None:
    """Check that each model's recorded ``train`` (where its entry of ``models`` has one) is what its
    fold's split gives: every subject of the run's dataset, ``subjects``, that the model neither
    validates nor tests on (a ``ValueError`` naming the model, which
    :func:`~evface.tasks.run_folder.reading` turns into one line naming the file; was: a hand-edited
    ``train`` read as true, and replaced without a word when the run resumed). An entry without
    ``train`` (a run written before 2026-12-07) is passed.

    Parameters
    ----------
    entries : iterable of mapping
        config.json's ``models`` (:func:`check_models` checked).
    subjects : iterable of str
        The subjects of the dataset the run was trained on.

    Examples
    --------
    >>> entry = {"dir": "models/fold0-s0", "test": ["s0"], "val": ["s1"], "train": ["s2", "s3"], "seed": 0}
    >>> check_trained_subjects([entry, {k: v for k, v in entry.items() if k != "train"}], ["s0", "s1", "s2", "s3"])
    >>> check_trained_subjects([{**entry, "train": ["s2", "s9"]}], ["s0", "s1", "s2", "s3"])
    Traceback (most recent call last):
    ValueError: model 'models/fold0-s0' has 'train' ['s2', 's9'], where its fold's split of the run's dataset gives ['s2', 's3']
    """
    everyone = set(subjects)
    for entry in entries:
        if "train" not in entry:
            continue
        given = sorted(everyone - set(entry["test"]) - set(entry["val"]))
        if entry["train"] != given:
            raise ValueError(f"model {entry['dir']!r:.60} has 'train' {entry['train']!r:.80}, where its fold's split "
                             f"of the run's dataset gives {given!r:.80}")


def _check_subjects(entry: Mapping[str, Any]) -> None:
    """Check that a model's entry of ``models`` names its subjects by text in lists, in ``train`` (where
    it has one), ``val`` and ``test``, no subject in two of them (a ``ValueError``).

    Examples
    --------
    >>> _check_subjects({"train": ["s1"], "val": ["s2"], "test": ["s0"]})
    >>> _check_subjects({"val": ["s0"], "test": ["s0"]})
    Traceback (most recent call last):
    ValueError: a model's subject 's0' is in both 'val' and 'test'
    >>> _check_subjects({"train": "s1", "val": [], "test": ["s0"]})
    Traceback (most recent call last):
    ValueError: 'train' is 's1', not a list of names
    """
    keys = [key for key in ("train", "val", "test") if key in entry]
    for key in keys:
        if not isinstance(entry[key], list):
            raise ValueError(f"{key!r} is {entry[key]!r:.60}, not a list of names")
    check_names(entry, keys)
    for a, b in itertools.combinations(keys, 2):
        shared = sorted(set(entry[a]) & set(entry[b]))
        if shared:
            raise ValueError(f"a model's subject {shared[0]!r:.60} is in both {a!r} and {b!r}")


def protocol_parts(cfg: ClassifyConfig, rows: Sequence[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The evaluation protocol of ``cfg`` on manifest ``rows``: its name and its parts.

    The parts of :func:`evface.tasks.stats.subject_parts` (``{"name", "train", "val", "test"}``,
    rows): one subject split for ``folds=0`` without ``loso``; otherwise ``folds`` subject folds
    (``loso``: one per subject), every subject tested exactly once.

    Parameters
    ----------
    cfg : ClassifyConfig
        The run's settings (``folds``, ``loso``, ``val_fraction``, ``test_fraction``, ``seed``).
    rows : sequence of dict
        Manifest rows, each with a ``subject``.

    Returns
    -------
    protocol : str
        Its name, as ``metrics.json`` and the report give it.
    parts : list of dict
        Per part: ``name``, and the rows of ``train``, ``val`` and ``test``.

    Raises
    ------
    ParameterError
        Naming the options, for ``loso`` with ``folds`` or for too few subjects.

    Examples
    --------
    >>> rows = [{"clip_id": f"{s}-{i}", "subject": s, "label": f"AU{i}"} for s in ("s0", "s1", "s2", "s3") for i in (1, 9)]
    >>> protocol, parts = protocol_parts(ClassifyConfig(folds=2), rows)
    >>> protocol, [(p["name"], _subjects(p["test"])) for p in parts]
    ('2-fold subject-grouped cross-validation', [('fold0', ['s1', 's2']), ('fold1', ['s0', 's3'])])
    >>> protocol_parts(ClassifyConfig(loso=True), rows)[0], protocol_parts(ClassifyConfig(), rows)[0]
    ('leave-one-subject-out', 'one subject split')
    """
    n_subjects = len({str(r["subject"]) for r in rows})
    k = n_subjects if cfg.loso else cfg.folds
    if cfg.loso and n_subjects < 2:
        raise ParameterError(f"--loso on {counted(n_subjects, 'subject')}: each subject is tested by models trained and validated "
                             "on others, so it needs 3 or more; give --data a dataset of more subjects")
    parts = stats.subject_parts(rows, k, cfg.val_fraction, cfg.test_fraction, cfg.seed,
                                given="--loso" if cfg.loso else None, one_each="--loso")
    if not k:
        return SPLIT, parts
    return ("leave-one-subject-out" if k == n_subjects else f"{k}-fold subject-grouped cross-validation"), parts


def _subjects(rows: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({str(r["subject"]) for r in rows})


def untaught_classes(parts: Iterable[dict[str, Any]]) -> list[str]:
    """One line per class that test subjects of a part of :func:`protocol_parts` show and none of
    its training subjects do, naming the class, those subjects and their parts: the part's models
    cannot learn the class, so they miss its clips.

    Examples
    --------
    >>> rows = [{"subject": s, "label": lab} for s, lab in (("a", "AU1"), ("a", "AU9"), ("b", "AU1"), ("c", "AU9"))]
    >>> untaught_classes([{"name": "fold0", "train": rows[2:3], "val": rows[3:], "test": rows[:2]}])
    ["class 'AU9' of test subject a (fold0) is shown by none of that part's training subjects, so its models cannot learn it and miss its clips"]
    >>> untaught_classes([{"name": "fold0", "train": rows[2:3], "test": rows[1:2]},
    ...                   {"name": "fold1", "train": rows[2:3], "test": rows[3:]}])[0]  # a class two parts miss
    "class 'AU9' of test subjects a (fold0); c (fold1) is shown by none of those parts' training subjects, so its models cannot learn it and miss its clips"
    """
    missing: dict[str, dict[str, set[str]]] = {}
    for part in parts:
        taught = {r["label"] for r in part["train"]}
        for r in part["test"]:
            if r["label"] not in taught:
                missing.setdefault(r["label"], {}).setdefault(part["name"], set()).add(str(r["subject"]))
    lines = []
    for label, by_part in sorted(missing.items()):
        subjects = "; ".join(f"{', '.join(sorted(s))} ({name})" for name, s in by_part.items())
        n = sum(len(s) for s in by_part.values())
        whose = "that part's" if len(by_part) == 1 else "those parts'"
        lines.append(f"class {label!r} of test {'subject' if n == 1 else 'subjects'} {subjects} is shown by none of "
                     f"{whose} training subjects, so its models "
                     "cannot learn it and miss its clips")
    return lines


def split_indices(rows: Sequence[dict[str, Any]], part: Sequence[dict[str, Any]]) -> np.ndarray:
    """The indices in ``rows`` of the clips in ``part`` (one split of a protocol part), in row order.

    Examples
    --------
    >>> rows = [{"clip_id": c} for c in ("a", "b", "c")]
    >>> split_indices(rows, [{"clip_id": "c"}, {"clip_id": "a"}])
    array([0, 2])
    """
    ids = {r["clip_id"] for r in part}
    return np.array([i for i, r in enumerate(rows) if r["clip_id"] in ids], dtype=np.int64)


def protocol_models(cfg: ClassifyConfig, rows: Sequence[dict[str, Any]]) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The protocol's name and its models, part by part and seed by seed: (the model's entry in
    config.json's ``models``, the part of :func:`protocol_parts` it trains on). An entry names the
    model's folder (``dir``), its ``seed`` and its ``test``, ``val`` and ``train`` subjects (sorted
    names; runs written before 2026-12-07 hold no ``train``: their training subjects are the others).

    Examples
    --------
    >>> rows = [{"clip_id": f"{s}-{i}", "subject": s, "label": f"AU{i}"} for s in ("s0", "s1", "s2", "s3") for i in (1, 9)]
    >>> protocol, models = protocol_models(ClassifyConfig(folds=2, seeds=2), rows)
    >>> entries = [entry for entry, _ in models]
    >>> entries[1]
    {'dir': 'models/fold0-s1', 'seed': 1, 'test': ['s1', 's2'], 'val': ['s0'], 'train': ['s3']}
    >>> fold_names(entries)
    {('s1', 's2'): '0', ('s0', 's3'): '1'}
    >>> matching_model(entries, {**entries[3], "dir": "elsewhere"}) == entries[3]
    True
    >>> protocol_models(ClassifyConfig(), rows)[1][0][0]["dir"]  # one split, one seed: the run's own folder
    '.'
    """
    protocol, parts = protocol_parts(cfg, rows)
    single = len(parts) == 1 and cfg.seeds == 1
    return protocol, [({"dir": "." if single else f"models/{part['name']}-s{s}", "seed": s,
                        "test": _subjects(part["test"]), "val": _subjects(part["val"]), "train": _subjects(part["train"])},
                       part)
                      for part in parts for s in range(cfg.seed, cfg.seed + cfg.seeds)]


_Entry = TypeVar("_Entry", bound=Mapping[str, Any])


def matching_model(entries: Sequence[_Entry], entry: Mapping[str, Any]) -> _Entry | None:
    """The entry of config.json's ``models`` that trains what ``entry`` trains (the same seed, test
    and validation subjects; its folder may differ), or ``None``."""
    return next((e for e in entries if all(e.get(k) == entry[k] for k in ("seed", "test", "val"))), None)


def model_fitted(model_dir: Path, cfg: ClassifyConfig) -> bool:
    """Whether the model in ``model_dir`` has its held-out predictions for ``cfg``'s epochs and patience."""
    if not (model_dir / HELD_OUT).exists():
        return False
    held_out = checkpoints.load_checkpoint(model_dir / HELD_OUT)
    return (held_out["epochs"], held_out["patience"]) == (cfg.epochs, cfg.patience)


def fold_names(entries: Iterable[dict[str, Any]]) -> dict[tuple[str, ...], str]:
    """Each fold of config.json's ``models`` (its test subjects) and its name in ``seed_logits.csv``: its index."""
    return {test: str(i) for i, test in enumerate(dict.fromkeys(tuple(entry["test"]) for entry in entries))}
