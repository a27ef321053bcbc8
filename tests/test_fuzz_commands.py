"""A trained run received damaged, through the commands that are handed it: ``evface eval RUN --data D
--out OUT`` and ``evface export-nir RUN OUT.nir`` of a classification run, ``evface eval`` of a
reconstruction run, each run in process through :func:`evface.cli.main` (as ``tests/test_cli.py`` runs it).

``tests/test_fuzz_runs.py`` and ``tests/test_fuzz_checkpoints.py`` damage a run's files under the
readers; here the runs are trained (the smallest the configs allow, two folds each: a second or two)
and the whole command reads the copy. Each case (:data:`CLASSIFY_CASES`, :data:`RECON_CASES`) changes
one thing of a copy of the run: in a JSON file a key dropped, a value of another type, ``null``, a
number as a string, NaN or Infinity, an object as the list of its values; in a CSV file a hostile
cell or a line dropped; any file cut or a byte set; a checkpoint cut, a byte of it set, or replaced
by another model's or the other task's; a model's or a part's folder removed; a file or a folder
made a symlink out of the run, or to nothing. The list is deterministic and short (each command runs
a few dozen times): a sweep of every key to four levels, by hand, found the defects this file
holds regressions of, and the list keeps one change of each kind on each file and the keys whose
readers differ.

The property (:func:`_check`): exit 0 with its result (``OUT/metrics.json``, the ``.nir`` graph),
or exit 2 with one ``error:`` line on standard error naming the file changed or its folder; never
exit 1 (an internal error), never a traceback, never a file written, changed or removed in the
received run folder, never an output left by a command that failed.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from recon_fixtures import make_fake_dataset as make_recon_dataset
from test_classify import make_fake_dataset as make_classify_dataset

from evface.cli import main
from evface.tasks import classify, reconstruct
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

pytestmark = pytest.mark.xdist_group("fuzz-commands")
"""One worker trains the two runs once (``make test``'s ``--dist loadgroup``)."""

CLASSIFY = ClassifyConfig(input="events", sensor="lr", folds=2, time_steps=2, size=16, depth=1, width=2, batch_size=6,
                          epochs=1, patience=0, device="cpu")
"""The smallest classification run with a model per fold (``models/fold0-s0``, ``models/fold1-s0``)."""
RECON = ReconstructConfig(sensor="lr", protocol="events-only", folds=2, size=32, crop=16, n_bins=2, base=4,
                          z_channels=2, batch_size=8, epochs=1, patience=0, k_samples=0, e2vid=False, threads=1,
                          device="cpu")
"""The smallest reconstruction run with a part per fold (``fold0``, ``fold1``)."""


@dataclass(frozen=True)
class Runs:
    """The two trained runs and their datasets, and ``outside``: a folder beside them holding a copy of
    each run, the symlinks out of a run point into."""

    classify: Path
    classify_data: Path
    recon: Path
    recon_data: Path
    outside: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    base = tmp_path_factory.mktemp("fuzz-commands")
    classify_data = make_classify_dataset(base / "classify-data", subjects=("s0", "s1", "s2", "s3"), per_class=1)
    classify.train_and_evaluate(classify_data, base / "classify", CLASSIFY)
    recon_data = make_recon_dataset(base / "recon-data", n_subjects=4, clips_per_subject=1, duration_us=200_000)
    reconstruct.train_and_evaluate(recon_data, base / "recon", RECON)
    outside = base / "outside"
    for name in ("classify", "recon"):
        shutil.copytree(base / name, outside / name)
    return Runs(base / "classify", classify_data, base / "recon", recon_data, outside)


# --------------------------------------------------------------------------- the changes

Mutation = Callable[[Path, Runs], None]
"""A change made to the copy of a run (its folder), with the runs at hand."""

CHANGES: dict[str, Callable[[Any], Any] | None] = {
    "dropped": None,
    "null": lambda old: None,
    "text": lambda old: "x",
    "a number": lambda old: 3,
    "as a string": str,
    "NaN": lambda old: math.nan,
    "Infinity": lambda old: math.inf,
    "a list": lambda old: list(old.values()) if isinstance(old, dict) else [old],
}
"""What becomes of a JSON value (``a list``: an object as the list of its values, anything else nested
in a list); NaN and Infinity are written as JSON's ``NaN`` and ``Infinity``."""


def _replaced(value: Any, at: tuple[Any, ...], change: Callable[[Any], Any] | None) -> Any:
    """``value`` with what is at ``at`` changed by ``change``, or dropped where ``change`` is None."""
    if not at:
        return change(value)
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(at) == 1 and change is None:
        del copy[at[0]]
    else:
        copy[at[0]] = _replaced(copy[at[0]], at[1:], change)
    return copy


def edited(name: str, *at: Any, change: str) -> tuple[str, str, Mutation]:
    """The JSON file ``name`` with the value at ``at`` (keys and indices) changed by :data:`CHANGES`'s ``change``."""

    def mutate(run: Path, _: Runs) -> None:
        path = run / name
        path.write_text(json.dumps(_replaced(json.loads(path.read_text()), at, CHANGES[change])))

    return f"{name} {list(at)} {change}", name, mutate


def rewritten(name: str, label: str, change: Callable[[bytes], bytes]) -> tuple[str, str, Mutation]:
    """The file ``name``'s bytes changed by ``change``."""

    def mutate(run: Path, _: Runs) -> None:
        (run / name).write_bytes(change((run / name).read_bytes()))

    return f"{name} {label}", name, mutate


def cut(name: str) -> tuple[str, str, Mutation]:
    return rewritten(name, "cut in half", lambda data: data[:len(data) // 2])


def byte_set(name: str, where: float) -> tuple[str, str, Mutation]:
    """The byte at ``where`` of the file's length set to 0xFF (0xFE where it is 0xFF)."""

    def change(data: bytes) -> bytes:
        at = int(len(data) * where)
        return data[:at] + (b"\xfe" if data[at] == 0xFF else b"\xff") + data[at + 1:]

    return rewritten(name, f"byte at {where:.0%} set", change)


def csv_cell(name: str, line: int, cell: int, value: bytes) -> tuple[str, str, Mutation]:
    """The CSV file ``name`` with cell ``cell`` of line ``line`` (from 0) replaced by ``value``."""

    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        cells = lines[line].split(b",")
        cells[cell] = value
        return b"\n".join(lines[:line] + [b",".join(cells)] + lines[line + 1:])

    return rewritten(name, f"line {line + 1} cell {cell + 1} = {value[:8]!r}", change)


def line_dropped(name: str, line: int) -> tuple[str, str, Mutation]:
    return rewritten(name, f"line {line + 1} dropped",
                     lambda data: b"\n".join(data.split(b"\n")[:line] + data.split(b"\n")[line + 1:]))


def replaced(name: str, label: str, source: Callable[[Path, Runs], Path]) -> tuple[str, str, Mutation]:
    """The file ``name`` replaced by a copy of ``source(run, runs)``."""

    def mutate(run: Path, runs: Runs) -> None:
        (run / name).write_bytes(source(run, runs).read_bytes())

    return f"{name} replaced by {label}", name, mutate


def removed(name: str) -> tuple[str, str, Mutation]:
    def mutate(run: Path, _: Runs) -> None:
        shutil.rmtree(run / name)

    return f"{name} removed", name, mutate


def linked(name: str, label: str, target: Callable[[Path, Runs], Path]) -> tuple[str, str, Mutation]:
    """The file or folder ``name`` replaced by a symlink to ``target(run, runs)``."""

    def mutate(run: Path, runs: Runs) -> None:
        path = run / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        path.symlink_to(target(run, runs))

    return f"{name} a symlink {label}", name, mutate


CLASSIFY_BEST = "models/fold0-s0/best.pt"

CLASSIFY_CASES: list[tuple[str, str, Mutation]] = [
    edited("config.json", change="a list"), edited("config.json", change="null"),
    cut("config.json"), byte_set("config.json", 0.5),
    edited("config.json", "task", change="dropped"), edited("config.json", "task", change="a number"),
    edited("config.json", "data", change="null"), edited("config.json", "input", change="a number"),
    edited("config.json", "model", change="text"), edited("config.json", "sensor", change="a list"),
    edited("config.json", "time_steps", change="dropped"), edited("config.json", "time_steps", change="as a string"),
    edited("config.json", "size", change="Infinity"), edited("config.json", "folds", change="as a string"),
    edited("config.json", "seeds", change="Infinity"), edited("config.json", "norm", change="a number"),
    edited("config.json", "window", change="null"), edited("config.json", "evface_version", change="a number"),
    edited("config.json", "labels", change="a list"), edited("config.json", "labels", 0, change="null"),
    edited("config.json", "labels", 1, change="dropped"),
    edited("config.json", "net", change="a list"), edited("config.json", "net", "time_steps", change="a number"),
    edited("config.json", "net", "n_classes", change="as a string"), edited("config.json", "net", "beta", change="NaN"),
    edited("config.json", "spec", change="null"),
    edited("config.json", "models", 0, change="a list"), edited("config.json", "models", 0, "dir", change="a number"),
    edited("config.json", "models", 0, "seed", change="a number"), edited("config.json", "models", 0, "seed", change="as a string"),
    edited("config.json", "models", 1, "test", 0, change="a list"), edited("config.json", "models", 1, "val", change="null"),
    edited("data-clips.json", change="null"), edited("data-clips.json", "clips", 0, change="dropped"),
    edited("data-clips.json", "columns", change="dropped"), edited("data-clips.json", "clips", 0, 1, change="a number"),
    cut("data-clips.json"),
    edited("metrics.json", change="a list"), edited("metrics.json", "top1", change="NaN"), byte_set("metrics.json", 0.3),
    edited("models/fold0-s0/history.json", 0, "epoch", change="text"),
    csv_cell("predictions.csv", 1, 0, b"\xff"), line_dropped("seed_logits.csv", 0),
    cut(CLASSIFY_BEST), byte_set(CLASSIFY_BEST, 0.5),
    replaced(CLASSIFY_BEST, "the reconstruction run's", lambda run, runs: runs.recon / "fold0" / "best.pt"),
    replaced(CLASSIFY_BEST, "the other fold's", lambda run, runs: run / "models" / "fold1-s0" / "best.pt"),
    removed("models/fold1-s0"),
    linked("models/fold0-s0", "out of the run", lambda run, runs: runs.outside / "classify" / "models" / "fold0-s0"),
    linked(CLASSIFY_BEST, "to nothing", lambda run, runs: runs.outside / "nothing.pt"),
    linked("config.json", "out of the run", lambda run, runs: runs.outside / "classify" / "config.json"),
]
"""What is done to a copy of the classification run, each case read by ``eval`` and ``export-nir``:
``(label, the file or folder changed, the change)``."""

RECON_CASES: list[tuple[str, str, Mutation]] = [
    edited("config.json", change="null"), byte_set("config.json", 0.5),
    edited("config.json", "size", change="NaN"), edited("config.json", "spec", "n_bins", change="as a string"),
    edited("config.json", "parts", 0, "dir", change="a number"), edited("config.json", "parts", 1, "test", 0, change="a list"),
    edited("fold0/part.json", change="null"), edited("fold0/part.json", "scales", "voxel", change="Infinity"),
    edited("fold0/part.json", "integration", change="a list"), cut("fold0/part.json"),
    edited("data-clips.json", "clips", 0, 1, change="null"), edited("train.json", "parts", change="dropped"),
    csv_cell("scores.csv", 1, 8, b"nan"),
    cut("fold0/best.pt"), byte_set("fold0/best.pt", 0.5),
    replaced("fold0/best.pt", "the classification run's", lambda run, runs: runs.classify / CLASSIFY_BEST),
    removed("fold1"),
    linked("fold0", "out of the run", lambda run, runs: runs.outside / "recon" / "fold0"),
    linked("fold0/part.json", "to nothing", lambda run, runs: runs.outside / "nothing.json"),
]
"""What is done to a copy of the reconstruction run, each case read by ``eval``."""


# --------------------------------------------------------------------------- the property


def _snapshot(folder: Path) -> dict[str, Any]:
    """Every entry under ``folder``: a symlink's target, a file's bytes, a folder."""
    return {str(p.relative_to(folder)): ("link", os.readlink(p)) if p.is_symlink() else
            ("file", p.read_bytes()) if p.is_file() else ("folder",) for p in sorted(folder.rglob("*"))}


def _commands(kind: str, run: Path, runs: Runs, out: Path) -> Iterator[tuple[list[str], Path]]:
    """The commands handed the run of ``kind`` and the output each writes."""
    if kind == "classify":
        yield ["eval", str(run), "--data", str(runs.classify_data), "--out", str(out / "eval")], out / "eval"
        yield ["export-nir", str(run), str(out / "net.nir")], out / "net.nir"
    else:
        yield ["eval", str(run), "--data", str(runs.recon_data), "--out", str(out / "eval")], out / "eval"


def _check(kind: str, runs: Runs, where: Path, label: str, changed: str, mutate: Mutation,
           capsys: pytest.CaptureFixture[str]) -> None:
    """Every command of ``kind`` on a copy of its run changed by ``mutate``: exit 0 with its result, or
    exit 2 with one ``error:`` line naming ``changed`` or its folder; the run folder as it was."""
    run = where / kind
    shutil.copytree(runs.classify if kind == "classify" else runs.recon, run, symlinks=True)
    mutate(run, runs)
    before = _snapshot(run)
    names = {Path(changed).name, Path(changed).parent.name or run.name}
    for args, result in _commands(kind, run, runs, where / "out"):
        code = main(args)
        out, err = capsys.readouterr()
        said = f"{label}: evface {' '.join(args[:1])}: exit {code}, {err.strip()[-600:]!r}"
        assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, said
        assert _snapshot(run) == before, f"{said}: the run folder changed"
        if code == 0:
            _check_result(result, out, said)
        else:
            lines = err.strip().splitlines()
            assert [line for line in lines if not line.startswith("warning:")] == lines[-1:], f"{said}: not one line"
            assert lines[-1].startswith("error: ") and any(name in lines[-1] for name in names), \
                f"{said}: names neither {changed} nor its folder"
            assert not result.parent.exists(), f"{said}: an output left"  # the folder made for it included
        shutil.rmtree(result.parent, ignore_errors=True)
    shutil.rmtree(where)


def _check_result(result: Path, out: str, said: str) -> None:
    """An evaluation's ``metrics.json`` (a JSON object) and its headline (standard output's last line,
    JSON), or a NIR graph (HDF5)."""
    if result.suffix == ".nir":
        assert result.read_bytes().startswith(b"\x89HDF"), f"{said}: no NIR graph"
        return
    assert isinstance(json.loads((result / "metrics.json").read_text()), dict), f"{said}: no metrics.json"
    assert isinstance(json.loads(out.strip().splitlines()[-1]), dict), f"{said}: no headline"


@pytest.mark.parametrize("label, changed, mutate", CLASSIFY_CASES, ids=[case[0] for case in CLASSIFY_CASES])
def test_eval_and_export_nir_of_a_damaged_classification_run_give_a_result_or_one_line_naming_it(
        runs: Runs, tmp_path: Path, label: str, changed: str, mutate: Mutation, capsys: pytest.CaptureFixture[str]) -> None:
    _check("classify", runs, tmp_path / "case", label, changed, mutate, capsys)


@pytest.mark.parametrize("label, changed, mutate", RECON_CASES, ids=[case[0] for case in RECON_CASES])
def test_eval_of_a_damaged_reconstruction_run_gives_a_result_or_one_line_naming_it(
        runs: Runs, tmp_path: Path, label: str, changed: str, mutate: Mutation, capsys: pytest.CaptureFixture[str]) -> None:
    _check("recon", runs, tmp_path / "case", label, changed, mutate, capsys)


# --------------------------------------------------------------------------- what the sweep found

CONFIG_DEFECTS = [  # (the run, the change of its config.json, the end of the error line)
    ("classify", lambda c: {**c, "labels": [None, *c["labels"][1:]]},
     "('labels' is [None, 'AU12', 'AU4'], not a list of distinct class names)"),  # was: TypeError, exit 1
    ("classify", lambda c: {**c, "labels": [["AU1+2"], *c["labels"][1:]]},
     "('labels' is [['AU1+2'], 'AU12', 'AU4'], not a list of distinct class names)"),  # was: TypeError, exit 1
    ("classify", lambda c: {**c, "labels": c["labels"][:2]},
     "('net' has n_classes 3, where the run's labels, input, time_steps and size give 2)"),  # was: the dataset named
    ("classify", lambda c: {**c, "time_steps": 4},
     "('net' has time_steps 2, where the run's labels, input, time_steps and size give 4)"),  # was: no file named
    ("classify", lambda c: {**c, "net": {**c["net"], "time_steps": 3}},
     "('net' has time_steps 3, where the run's labels, input, time_steps and size give 2)"),  # was: no file named
    ("classify", lambda c: {**c, "models": [{**c["models"][0], "seed": 3}, c["models"][1]]},
     "(the models' folds hold other seeds: [[3], [0]])"),  # was: ValueError of numpy, exit 1
    ("classify", lambda c: {**c, "models": [c["models"][0], {**c["models"][1], "test": [["s0"], "s3"]}]},
     "('test' is [['s0'], 's3'], not a list of names)"),  # was: TypeError, exit 1
    ("recon", lambda c: {**c, "parts": [c["parts"][0], {**c["parts"][1], "test": [["s00"], "s03"]}]},
     "('test' is [['s00'], 's03'], not a list of names)"),  # was: TypeError, exit 1
]


@pytest.mark.parametrize("kind, change, said", CONFIG_DEFECTS)
def test_eval_of_a_run_whose_config_json_is_not_one_runs_is_one_line_naming_it(
        runs: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, change: Callable[[Any], Any],
        said: str) -> None:
    """``evface eval`` read a ``config.json`` whose labels are no texts, whose network takes inputs of
    other time steps or classes than its settings give, whose folds hold other seeds or whose subjects
    are no texts: an internal error (exit 1) once the models had scored the clips, or a line naming
    the network's input or the dataset, not the file."""
    run = shutil.copytree(runs.classify if kind == "classify" else runs.recon, tmp_path / "run")
    config = run / "config.json"
    config.write_text(json.dumps(change(json.loads(config.read_text()))))
    data = runs.classify_data if kind == "classify" else runs.recon_data
    assert main(["eval", str(run), "--data", str(data), "--out", str(tmp_path / "ev")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {config}: not as evface writes it {said}"
    assert not (tmp_path / "ev").exists()
