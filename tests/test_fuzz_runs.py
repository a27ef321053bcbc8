"""Every text file of a received run folder, malformed on purpose, through every command that reads it.

A run folder is what a colleague sends: the ``evface run`` output of :func:`report_fixtures.make_fake_run`
(its ``pipeline.json``, each stage's ``config.json``, ``metrics.json`` with the ``files_sha256`` of
the files written with it, ``stage.json``), a classification stage laid out by
:func:`~evface.tasks.classify.prepare` (``config.json``, ``data-clips.json``) with its
``predictions.csv`` and ``seed_logits.csv``, a reconstruction stage with its ``scores.csv``,
``seed_scores.csv`` and ``train.json``, and the ``started.json`` of a run stopped before it ended.
No model is trained. Each file is mutated: in JSON a key dropped, a value replaced with one of
another type, ``null``, a number as a string, NaN or Infinity, nested a level deeper, an object
made a list; in CSV a cell replaced with hostile text, a line dropped, doubled or shifted a column,
the header alone; in either the file cut or a byte set. Where the file is one ``metrics.json``
records the sha256 of, the hash is recorded again (a colleague's damaged but consistent folder: the
readers of the file itself are reached, not :func:`~evface.tasks.run_folder.check_written_together`).

Then every reader of the commands reads the folder, called directly (:data:`READERS`): ``evface
report``'s :func:`~evface.report.collect.collect`, ``evface compare``'s loading of two
classification runs and of two reconstruction runs (as the command calls them, with its
formatting), ``evface eval``'s (:func:`~evface.tasks.classify.load_run`,
:func:`~evface.tasks.run_evaluation.evaluation_target` and the record it keeps of the training),
and a resumed ``evface run``'s (:mod:`evface.pipeline.earlier_run`: its record's dataset and
options, each stage's ``stage.json`` and seeds; :mod:`evface.tasks.run_resume`: the version a run
records, a classification stage resumed by :func:`~evface.tasks.classify.prepare`).

The property (:func:`_check`): each reader returns, or raises one :class:`~evface.errors.EvfaceError`
on one line naming the file; never another exception (an internal error, exit 1 from the CLI).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evface.commands.compare import _printable_strings, format_comparison
from evface.cli import main
from evface.errors import EvfaceError, FormatError
from evface.io.dataset import DatasetFolder
from evface.pipeline import earlier_run
from evface.report import collect as collect_module
from evface.report.collect import collect
from evface.tasks import class_compare, classify, recon_compare, run_evaluation, run_folder, run_resume
from evface.tasks.class_compare import predictions_text, write_seed_logits
from evface.tasks.class_run import matching_model, model_fitted
from evface.tasks.configs import ClassifyConfig

from report_fixtures import LABELS, classification_metrics, draw_each_figure_once, make_fake_run, write_reconstruction_scores

CLASSIFY = "stages/events-hd-0"
RECON = "stages/recon-hd-0"
CFG = ClassifyConfig(input="events", sensor="hd", folds=3, epochs=1, time_steps=2, size=16, depth=1, width=2,
                     device="cpu")
"""The settings of the classification stage (laid out, never trained)."""

VALUES: tuple[Any, ...] = (None, "", "x", 0, -1, 2.5, True, [], {}, math.nan, math.inf, -math.inf, "9" * 5000)
"""What a JSON value is replaced with: null, text, numbers out of range, a boolean, empty containers,
NaN and Infinity (written as JSON's ``NaN`` and ``Infinity``), a text of 5000 digits."""

HOSTILE = (b"", b" ", b"nan", b"inf", b"-inf", b"1e309", b"-1", b"x", "\u0663".encode(), b"9" * 5000, b'"',
           b"\xff", b"\x00", b"+")
"""Cells a damaged CSV may hold."""


@dataclass(frozen=True)
class World:
    """The run folders read: ``root`` (an ``evface run`` output), its stages, the copies they are
    compared with, a run stopped before it ended (``stopped``, with ``started.json``), and the
    dataset they were made of (``data``, as :meth:`DatasetFolder.open` read it: ``dataset``)."""

    root: Path
    other_classify: Path
    other_recon: Path
    stopped: Path
    data: Path
    config: dict[str, Any]
    dataset: DatasetFolder
    rows: list[dict[str, Any]]


def _digests(folder: Path, names: tuple[str, ...]) -> None:
    """Record in ``folder/metrics.json`` the sha256 of ``names``, as evface writes them together."""
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["files_sha256"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=1))


def _classify_stage(root: Path, data: Path) -> None:
    """The classification stage: laid out by :func:`classify.prepare`, with the files an evaluation writes."""
    stage = root / CLASSIFY
    metrics = json.loads((stage / "metrics.json").read_text())
    shutil.rmtree(stage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classify.prepare(data, stage, CFG)
    (stage / "inputs.pt").unlink()
    rows = list(DatasetFolder.open(data).rows)
    (stage / "predictions.csv").write_text(predictions_text(rows, [r["label"] for r in rows]))
    onehot = np.stack([np.eye(len(LABELS))[LABELS.index(r["label"])] for r in rows])
    write_seed_logits(stage, [r["clip_id"] for r in rows], ["0"] * 3 + ["1"] * 3, [0, 1], np.stack([onehot] * 2), LABELS)
    metrics |= classification_metrics(rows, [r["label"] for r in rows])  # its scores, as its predictions give them
    metrics |= {"seeds": [0, 1], "top1_per_seed": [1.0, 0.5], "data": str(data),
                "evaluated_on": "every subject, 2-fold subject-grouped cross-validation"}
    (stage / "metrics.json").write_text(json.dumps(metrics))
    _digests(stage, ("predictions.csv", "seed_logits.csv"))
    (stage / "stage.json").write_text(json.dumps({"name": "events-hd", "task": "classify", "dir": CLASSIFY,
                                                  "seconds": 12.0, "config": {"seeds": 1}}))


def _recon_stage(root: Path) -> None:
    """The reconstruction stage's per-sample and per-training scores and its metrics, as evface scores a run
    of two trainings (:func:`report_fixtures.write_reconstruction_scores`), and the protocol it records."""
    stage = root / RECON
    metrics = write_reconstruction_scores(stage, root / "data", seeds=(0, 1))
    (stage / "metrics.json").write_text(json.dumps({**metrics, "protocol": "2-fold"}))
    _digests(stage, ("scores.csv", "seed_scores.csv"))


class _DatasetReadOnce:
    """``DatasetFolder`` as the report sees it: the world's dataset folder, never mutated, as the
    world read it (a copy, rooted where the report names it: reading its clips' metadata and event
    indexes at each of a sweep's reports took over half its time), any other folder read as ever."""

    def __init__(self, dataset: DatasetFolder) -> None:
        self.dataset = dataset

    def open(self, root: str | Path) -> DatasetFolder:
        if Path(root).resolve() != self.dataset.root.resolve():
            return DatasetFolder.open(root)
        return dataclasses.replace(copy.deepcopy(self.dataset), root=Path(root))


@pytest.fixture(autouse=True)
def _quick_report(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The report's reading without its dataset's summary (the dataset is not mutated; its figures
    took most of a report's time) and the versions of the packages, each figure of the same inputs
    drawn once; of a test of the world, its dataset folder read once (:class:`_DatasetReadOnce`)."""
    draw_each_figure_once(monkeypatch)
    monkeypatch.setattr(collect_module, "dataset_summary", lambda folder: {"root": str(folder.root)})
    monkeypatch.setattr(collect_module, "package_versions", lambda: {"evface": "0"})
    if "world" in request.fixturenames:
        monkeypatch.setattr(collect_module, "DatasetFolder", _DatasetReadOnce(request.getfixturevalue("world").dataset))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("fuzz-runs")
    root = make_fake_run(base / "run", subjects=3)
    data = root / "data"
    _classify_stage(root, data)
    _recon_stage(root)
    shutil.copytree(root / CLASSIFY, base / "other-classify")
    shutil.copytree(root / RECON, base / "other-recon")
    (base / "stopped").mkdir()
    earlier_run.record_start(base / "stopped", {"preset": "test", "seed": 0}, data, built=False)
    config = run_folder.load_config(root / CLASSIFY)
    dataset = DatasetFolder.open(data)
    return World(root, base / "other-classify", base / "other-recon", base / "stopped", data, config, dataset,
                 list(dataset.rows))


def _compare(run_a: Path, run_b: Path) -> None:
    """``evface compare A B`` as the command loads, compares and prints the two runs."""
    for run in (run_a, run_b):
        run_folder.check_not_other_folder(run)
        run_folder.check_written_together(run)
    recon = recon_compare.is_reconstruction_run(run_a)
    res = (recon_compare if recon else class_compare).compare_runs(run_a, run_b)
    for run in filter(None, map(run_evaluation.trained_run, (run_a, run_b))):
        run_resume.warn_of_version(run)
    shown = _printable_strings(res)
    recon_compare.format_comparison(shown) if recon else format_comparison(shown)


def _compare_settings(run_a: Path, run_b: Path) -> None:
    """What ``evface compare A B`` reads of the runs' ``config.json`` (the comparison itself reads none)."""
    for run in (run_a, run_b):
        run_folder.check_not_other_folder(run)
    for run in filter(None, map(run_evaluation.trained_run, (run_a, run_b))):
        run_resume.warn_of_version(run)


def _eval(w: World) -> None:
    """``evface eval`` of the classification stage as it reads the run before scoring it: its
    settings, where it writes, what it keeps of the training's ``metrics.json``, the torch threads
    it scores on."""
    run = w.root / CLASSIFY
    _, cfg, _ = classify.load_run(run)
    target, _ = run_evaluation.evaluation_target(run, w.data, None)
    run_resume.warn_of_version(run)
    classify._kept_training_record(run, target)
    run_folder.scoring_threads(cfg.threads, run / run_folder.METRICS)


def _resume(w: World) -> None:
    """A resumed ``evface run`` into the output and into the stopped run, as it reads them."""
    for out in (w.root, w.stopped):
        earlier_run.run_dataset(out)
        earlier_run.check_same_options(out, "test", 0)
        earlier_run.check_same_dataset(out, w.data, True)
    run_folder.finished_stages(w.root)
    for stage in (CLASSIFY, RECON):
        earlier_run.stage_finished(w.root / stage / run_folder.STAGE_DONE)
        earlier_run.seeds_started(w.root / stage)
        run_resume.resume_warning(w.root / stage)
        run_resume.newest_version(w.root / stage)


def _resume_classify(w: World) -> None:
    """A classification stage resumed with the same settings, as :func:`classify.prepare` reads the run
    (the dataset's rows read once)."""
    run = w.root / CLASSIFY
    config, grown = run_resume.grown_by_seeds(run, w.config, "models",
                                              lambda old, new: matching_model([old], new) is not None)
    run_resume.check_resume(run, config, free=classify.RESUMABLE_CHANGES + grown, rows=w.rows)
    for entry in config["models"]:
        model_fitted(run / entry["dir"], CFG)


READERS: dict[str, Callable[[World], object]] = {
    "report": lambda w: collect([w.root]),
    "report of a stage": lambda w: collect([w.root / CLASSIFY, w.root / RECON]),
    "compare classify": lambda w: _compare(w.root / CLASSIFY, w.other_classify),
    "compare's runs": lambda w: _compare_settings(w.root / CLASSIFY, w.other_classify),
    "compare reconstruct": lambda w: _compare(w.other_recon, w.root / RECON),
    "eval": _eval,
    "resume": _resume,
    "resume classify": _resume_classify,
}
"""Each command's reading of the folders, by name."""

READS: dict[str, tuple[str, ...]] = {
    "pipeline.json": ("report", "report of a stage", "resume"),
    f"{CLASSIFY}/config.json": ("report", "report of a stage", "compare's runs", "eval", "resume", "resume classify"),
    f"{CLASSIFY}/metrics.json": ("report", "report of a stage", "compare classify", "eval"),
    f"{CLASSIFY}/predictions.csv": ("compare classify",),
    f"{CLASSIFY}/seed_logits.csv": ("compare classify",),
    f"{CLASSIFY}/stage.json": ("report", "report of a stage", "resume"),
    f"{CLASSIFY}/data-clips.json": ("report", "eval", "resume classify"),
    f"{RECON}/config.json": ("report", "report of a stage", "compare reconstruct", "resume"),
    f"{RECON}/metrics.json": ("report", "report of a stage", "compare reconstruct"),
    f"{RECON}/scores.csv": ("compare reconstruct",),
    f"{RECON}/seed_scores.csv": ("compare reconstruct",),
    f"{RECON}/train.json": ("report", "report of a stage"),
    f"{RECON}/stage.json": ("report", "report of a stage", "resume"),
    "../stopped/started.json": ("resume",),
}
"""Each file mutated (relative to the ``evface run`` output) and the readers that read it (the report
reads ``predictions.csv`` and ``scores.csv`` as compare does, to pair two arms: here one of each)."""


def _snapshot(w: World) -> dict[Path, bytes]:
    """Every file of the run folders but the dataset, to put back after each mutation."""
    return {p: p.read_bytes() for folder in (w.root, w.other_classify, w.other_recon, w.stopped)
            for p in folder.rglob("*") if p.is_file() and w.data not in p.parents}


def _put_back(w: World, kept: dict[Path, bytes]) -> None:
    """The run folders' files as ``kept`` holds them (the readers write none)."""
    for p, data in kept.items():
        if p.read_bytes() != data:
            p.write_bytes(data)


def _written(path: Path, data: bytes) -> None:
    """``data`` as the file ``path``; where ``metrics.json`` beside it records its sha256, recorded again."""
    path.write_bytes(data)
    metrics = path.parent / "metrics.json"
    try:
        recorded = json.loads(metrics.read_text())["files_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if isinstance(recorded, dict) and path.name in recorded:
        _digests(path.parent, tuple(recorded))


def _check(w: World, kept: dict[Path, bytes], name: str, data: bytes, label: str) -> None:
    """The file ``name`` holding ``data``, read by every reader: each returns, or raises one
    EvfaceError on one line naming the file."""
    path = (w.root / name).resolve()
    try:
        _written(path, data)
        damaged = kept | {p: p.read_bytes() for p in (path, path.parent / "metrics.json") if p in kept}
        for reader in READS[name]:
            read = READERS[reader]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    read(w)
            except EvfaceError as exc:
                message = str(exc)
                assert "\n" not in message and "\r" not in message, f"{name}, {label}, {reader}: not one line: {message!r}"
                assert path.name in message or path.parent.name in message, \
                    f"{name}, {label}, {reader}: the error names neither the file nor its folder: {message[:400]}"
            except Exception as exc:  # the property: nothing but an EvfaceError
                raise AssertionError(f"{name}, {label}, {reader}: {type(exc).__name__}: {str(exc)[:300]}") from exc
            finally:  # each reader reads the folders as damaged, whatever one before it wrote
                _put_back(w, damaged)
    finally:
        _put_back(w, kept)


def _paths(value: Any, depth: int, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of keys and indices in the JSON ``value`` no deeper than ``depth`` (of a container's
    items its first three), ``()`` for itself."""
    yield at
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in list(items)[:3 if at else None]:
        if len(at) < depth:
            yield from _paths(inner, depth, (*at, key))


def _replaced(value: Any, at: tuple[Any, ...], new: Callable[[Any], Any] | None) -> Any:
    """``value`` with what is at ``at`` replaced by ``new(it)``, or dropped where ``new`` is None."""
    if not at:
        return new(value) if new else None
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(at) == 1 and new is None:
        del copy[at[0]]
    else:
        copy[at[0]] = _replaced(copy[at[0]], at[1:], new)
    return copy


def _at(value: Any, at: tuple[Any, ...]) -> Any:
    for key in at:
        value = value[key]
    return value


CHANGES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    *((f"= {other!r:.12}", lambda _, other=other: other) for other in VALUES),
    ("as a string", lambda old: str(old) if not isinstance(old, str) else old + "x"),
    ("nested deeper", lambda old: [old]),
    ("a list of its values", lambda old: list(old.values()) if isinstance(old, dict) else {"0": old}),
)
"""What may become of a JSON value: another value, a number as a string, nested deeper, an object as
the list of its values (anything else as an object)."""


def _json_sweep(text: bytes) -> Iterator[tuple[str, bytes]]:
    """The JSON ``text`` changed: itself by every change of :data:`CHANGES`, each value in it (two
    levels deep) dropped or changed by one of them, in turn (every change is tried on every file; the
    property test draws the rest)."""
    value = json.loads(text)
    for n, at in enumerate(_paths(value, 2)):
        changes = [("dropped", None), *CHANGES] if at else CHANGES
        for label, change in changes if not at else [changes[n % len(changes)]]:
            yield f"{list(at)} {label}", json.dumps(_replaced(value, at, change)).encode()


def _csv_sweep(text: bytes) -> Iterator[tuple[str, bytes]]:
    """Three hostile cells in each cell of the first row and one in each of the header, in turn (every
    one tried on every file), every line
    dropped, doubled or shifted a column, the header alone."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines[:2]):
        body, end = line.rstrip(b"\r\n"), line[len(line.rstrip(b"\r\n")):]
        cells = body.split(b",")
        for j in range(len(cells)):
            for value in (HOSTILE * 2)[3 * j:][:3] if i else HOSTILE[j % len(HOSTILE):][:1]:
                changed = b",".join(cells[:j] + [value] + cells[j + 1:]) + end
                yield f"line {i + 1} cell {j + 1} = {value[:12]!r}", b"".join(lines[:i] + [changed] + lines[i + 1:])
    for i, line in enumerate(lines[:3]):
        yield f"line {i + 1} dropped", b"".join(lines[:i] + lines[i + 1:])
        yield f"line {i + 1} doubled", b"".join(lines[:i + 1] + lines[i:])
        yield f"line {i + 1} shifted", b"".join(lines[:i] + [b"," + line] + lines[i + 1:])
    yield "header alone", lines[0]


def _bytes_sweep(text: bytes) -> Iterator[tuple[str, bytes]]:
    """The file cut, and a byte set to one that is no UTF-8, at four places (the empty file among them)."""
    for at in sorted({len(text) * k // 4 for k in range(4)}):
        yield f"cut at {at}", text[:at]
        yield f"byte {at} set", text[:at] + b"\xff" + text[at + 1:]


def _sweep(name: str, text: bytes) -> Iterator[tuple[str, bytes]]:
    yield from _json_sweep(text) if name.endswith(".json") else _csv_sweep(text)
    yield from _bytes_sweep(text)


@pytest.mark.parametrize("name", list(READS))
def test_every_damaged_run_file_reads_or_is_one_error_naming_it(name: str, world: World) -> None:
    kept = _snapshot(world)
    _check(world, kept, name, kept[(world.root / name).resolve()], "the file as written")
    for label, data in _sweep(name, kept[(world.root / name).resolve()]):
        _check(world, kept, name, data, label)


@pytest.mark.parametrize("text", ["[]", "null", "3", '"scores"'])
def test_compare_of_a_classification_run_whose_metrics_json_is_no_object_names_it(world: World, text: str,
                                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Was an internal error (exit 1): ``AttributeError: 'list' object has no attribute 'get'``."""
    metrics = world.root / CLASSIFY / "metrics.json"
    kept = _snapshot(world)
    try:
        metrics.write_text(text)
        assert main(["compare", str(world.root / CLASSIFY), str(world.other_classify)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {metrics}: not as evface writes it (expected a JSON object, got ") and "\n" not in err
    finally:
        _put_back(world, kept)


@pytest.mark.parametrize("seeds", ["Infinity", "-Infinity", "2.5", '"3"', "true"])
def test_a_stage_record_or_config_whose_seeds_are_no_count_is_one_error_naming_it(tmp_path: Path, seeds: str) -> None:
    """A resumed ``evface run`` reads each stage's ``stage.json`` and ``config.json``: ``Infinity``
    was an OverflowError (an internal error), ``2.5`` read as 2 seeds and ``"3"`` as 3."""
    done, config = tmp_path / "stage.json", tmp_path / "config.json"
    done.write_text(f'{{"seconds": 1.5, "config": {{"seeds": {seeds}}}}}')
    config.write_text(f'{{"task": "classify", "seeds": {seeds}}}')
    with pytest.raises(FormatError, match=rf"^{re.escape(str(done))}: not as evface writes it \('seeds' is .*, not of type int\)$"):
        earlier_run.stage_finished(done)
    with pytest.raises(FormatError, match=rf"^{re.escape(str(config))}: not as evface writes it \('seeds' is .*, not of type int\)$"):
        earlier_run.seeds_started(tmp_path)


@pytest.mark.parametrize("seeds", ['"x"', "null", "Infinity", "[]", "2.5"])
def test_a_run_resumed_whose_config_seeds_are_no_count_is_one_error_naming_it(tmp_path: Path, seeds: str) -> None:
    """A resumed ``evface train`` (:func:`run_resume.grown_by_seeds`) read the run's ``seeds`` with ``int()``: "x" a
    ValueError, null a TypeError, Infinity an OverflowError (internal errors), 2.5 read as 2."""
    config = tmp_path / "config.json"
    config.write_text(f'{{"task": "classify", "seeds": {seeds}, "models": []}}')
    with pytest.raises(FormatError, match=rf"^{re.escape(str(config))}: not as evface writes it \('seeds' is .*, not of type int\)$"):
        run_resume.grown_by_seeds(tmp_path, {"task": "classify", "seeds": 2, "models": []}, "models", lambda a, b: a == b)


def test_a_run_recording_a_version_of_thousands_of_digits_is_read_as_no_newer_version(tmp_path: Path) -> None:
    """``evface report``, ``compare`` and ``eval`` warn of a run of a newer evface: a recorded version of 5000
    digits was a ValueError of ``int()`` (Python's advice to call sys.set_int_max_str_digits())."""
    run_folder.write_json(tmp_path / "config.json", {"task": "classify", "evface_version": "9" * 5000})
    assert not run_resume.newer_than_this("9" * 5000) and run_resume.newer_than_this("999.1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_resume.warn_of_version(tmp_path)


@pytest.mark.parametrize("spec", ['"x"', "null", "[]", "3"])
def test_a_report_of_a_classification_run_whose_spec_is_no_object_names_its_config(world: World, spec: str) -> None:
    """Was an internal error: ``AttributeError: 'str' object has no attribute 'items'`` as the report paired its arms."""
    config = world.root / CLASSIFY / "config.json"
    kept = _snapshot(world)
    try:
        config.write_text(json.dumps({**json.loads(config.read_text()), "spec": json.loads(spec)}))
        with pytest.raises(FormatError, match=rf"^{re.escape(str(config))}: not as evface writes it \('spec' is .*, "
                                              r"not of type dict\)$"):
            collect([world.root])
    finally:
        _put_back(world, kept)


@pytest.mark.parametrize("text", ["[]", "null", "0.5"])
def test_eval_into_a_run_whose_metrics_json_is_no_object_names_it_before_scoring(world: World, text: str) -> None:
    """``evface eval RUN --data DATA`` keeps the training's record of the run's ``metrics.json``: one
    that is no JSON object was an AttributeError once every clip was scored (here the run has no
    trained models: the file is refused before they are loaded)."""
    metrics = world.root / CLASSIFY / "metrics.json"
    kept = _snapshot(world)
    try:
        metrics.write_text(text)
        with pytest.raises(FormatError, match=rf"^{re.escape(str(metrics))}: not as evface writes it \(expected a JSON object"):
            classify.evaluate_run(world.root / CLASSIFY, world.data)
    finally:
        _put_back(world, kept)


@st.composite
def _mutation(draw: st.DrawFn, name: str, text: bytes) -> tuple[str, bytes]:
    """One mutation of the file ``name`` holding ``text`` drawn by hypothesis: of JSON a value at any
    depth dropped or changed (:data:`CHANGES`), of CSV a cell of any line replaced with hostile or
    drawn text or a line dropped, doubled or shifted; of either the file cut or a byte set."""
    kind = draw(st.sampled_from(("value", "value", "value", "cut", "byte")))
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    if kind == "cut":
        return f"cut at {at}", text[:at]
    if kind == "byte":
        byte = draw(st.integers(0, 255))
        return f"byte {at} = {byte}", text[:at] + bytes([byte]) + text[at + 1:]
    if name.endswith(".json"):
        value = json.loads(text)
        path = draw(st.sampled_from(list(_paths(value, 99))))
        label, change = draw(st.sampled_from([("dropped", None), *CHANGES] if path else CHANGES))
        return f"{list(path)} {label}", json.dumps(_replaced(value, path, change)).encode()
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    op = draw(st.sampled_from(("cell", "cell", "cell", "dropped", "doubled", "shifted")))
    if op == "cell":
        body, end = lines[i].rstrip(b"\r\n"), lines[i][len(lines[i].rstrip(b"\r\n")):]
        cells = body.split(b",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(st.sampled_from(HOSTILE) | st.text(max_size=8).map(str.encode))
        lines[i] = b",".join(cells) + end
    else:
        lines[i:i + 1] = {"dropped": [], "doubled": [lines[i]] * 2, "shifted": [b"," + lines[i]]}[op]
    return f"line {i + 1} {op}", b"".join(lines)


def test_random_damage_to_any_run_file_reads_or_is_one_error_naming_it(world: World) -> None:
    """Property-based: new mutations of every file on every run (a failure shrunk to its least); 60 of them,
    or as many as the environment's ``FUZZ_N`` says (a longer search by hand)."""
    kept = _snapshot(world)
    files = {name: kept[(world.root / name).resolve()] for name in READS}

    @settings(max_examples=int(os.environ.get("FUZZ_N", 60)), deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def damaged_file_reads_or_is_named(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(list(READS)))
        label, text = data.draw(_mutation(name, files[name]))
        _check(world, kept, name, text, label)

    damaged_file_reads_or_is_named()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # numpy's, of the matrix before it is refused
@pytest.mark.parametrize("count", ["Infinity", "-Infinity", "1e400"])
def test_a_report_of_a_confusion_matrix_holding_infinity_names_the_metrics_file(world: World, count: str) -> None:
    """Was an internal error: ``OverflowError: cannot convert float infinity to integer`` as the matrix was drawn."""
    metrics = world.root / CLASSIFY / "metrics.json"
    kept = _snapshot(world)
    try:
        written = json.loads(metrics.read_text())
        written["confusion_matrix"][0][0] = "COUNT"
        metrics.write_text(json.dumps(written).replace('"COUNT"', count))
        with pytest.raises(FormatError, match=rf"^{re.escape(str(metrics))}: not as evface writes it \(cannot convert "
                                              r"float infinity to integer\)$"):
            collect([world.root])
    finally:
        _put_back(world, kept)


@pytest.mark.parametrize(("name", "field", "reader"), [("pipeline.json", "stages", "report"),
                                                     (f"{CLASSIFY}/config.json", "models", "resume classify")])
def test_a_stage_or_model_folder_named_by_thousands_of_characters_is_one_error_naming_the_file(world: World, name: str,
                                                                                              field: str, reader: str) -> None:
    """A folder inside the run (a stage's in ``pipeline.json``, a model's in a stage's ``config.json``)
    named by 5000 characters, read by every reader of the file (was: ``OSError: [Errno 36] File name
    too long`` in the report, naming the path and not the file; found by the random draws)."""
    kept = _snapshot(world)
    path = (world.root / name).resolve()
    value = json.loads(kept[path])
    value[field][-1]["dir"] = "9" * 5000
    _check(world, kept, name, json.dumps(value).encode(), f"{field}[-1].dir of 5000 characters")
    try:
        _written(path, json.dumps(value).encode())
        with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: not as evface writes it \(the folder "
                                              r"'9{25}'\.\.\. holds a name of 5000 bytes, more than a file system takes"):
            READERS[reader](world)
    finally:
        _put_back(world, kept)


@pytest.mark.parametrize("name", ["pipeline.json", f"{CLASSIFY}/metrics.json", f"{CLASSIFY}/config.json",
                                  "../stopped/started.json"])
def test_a_dataset_folder_named_by_thousands_of_characters_names_the_file_naming_it(world: World, name: str) -> None:
    """Was ``OSError: [Errno 36] File name too long`` naming the path of 5000 characters, not the file."""
    path = (world.root / name).resolve()
    kept = _snapshot(world)
    try:
        path.write_text(json.dumps({**json.loads(path.read_text()), "data": "9" * 5000}))
        with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: not as evface writes it \(the folder "
                                              r"'9{25}'\.\.\. holds a name of 5000 bytes, more than a file system takes"):
            if name.endswith("started.json"):
                earlier_run.run_dataset(world.stopped)
            else:  # a stage's config.json: the report of the stage given alone, which takes its dataset from it
                collect([world.root / CLASSIFY] if name.endswith("config.json") else [world.root])
    finally:
        _put_back(world, kept)
