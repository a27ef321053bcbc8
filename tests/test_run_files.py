"""A run folder's files read back: random states of a checkpoint, an evaluation's earlier files,
and the files written together with metrics.json."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

from evface.errors import FormatError
from evface.tasks import random_states


def _draws():
    """One draw from each global random generator: torch's, numpy's and Python's."""
    return torch.rand(1).item(), np.random.rand(), random.random()


def _malformed(change):
    """A saved state of the globals and of the generators ``augment`` (numpy) and ``noise`` (torch), changed."""
    state = random_states.rng_state({"augment": np.random.default_rng(1), "noise": torch.Generator().manual_seed(1)})
    return change(state)


MALFORMED = {
    "torch of another dtype": (lambda s: {**s, "torch": s["torch"].float()}, "torch"),
    "torch cut short": (lambda s: {**s, "torch": s["torch"][:10]}, "torch"),
    "torch not a tensor": (lambda s: {**s, "torch": s["torch"].tolist()}, "torch"),
    "torch missing": (lambda s: {k: v for k, v in s.items() if k != "torch"}, "torch"),
    "cuda not a list": (lambda s: {**s, "cuda": torch.zeros(3, dtype=torch.uint8)}, "cuda"),
    "cuda missing": (lambda s: {k: v for k, v in s.items() if k != "cuda"}, "cuda"),
    "numpy tuple of another form": (lambda s: {**s, "numpy": ["MT19937", [1, 2], 3]}, "numpy"),
    "numpy of another generator": (lambda s: {**s, "numpy": np.random.PCG64(0).state}, "numpy"),
    "numpy a number": (lambda s: {**s, "numpy": 5}, "numpy"),
    "numpy missing": (lambda s: {k: v for k, v in s.items() if k != "numpy"}, "numpy"),
    "python cut short": (lambda s: {**s, "python": s["python"][:2]}, "Python"),
    "python of another length": (lambda s: {**s, "python": [3, s["python"][1][:10], None]}, "Python"),
    "python a string": (lambda s: {**s, "python": "abc"}, "Python"),
    "generator of another kind": (lambda s: {**s, "generators": {**s["generators"],
                                                                 "augment": np.random.MT19937(0).state}}, "'augment'"),
    "torch generator of another dtype": (lambda s: {**s, "generators": {**s["generators"],
                                                                        "noise": s["generators"]["noise"].long()}}, "'noise'"),
    "generators not a mapping": (lambda s: {**s, "generators": ["augment", "noise"]}, "random states"),
    "not a mapping": (lambda s: [s], "random states"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_random_state_is_one_line_naming_the_checkpoint_and_nothing_is_put_back(case):
    """Was: a bare TypeError, RuntimeError, ValueError, IndexError or KeyError of torch, numpy or Python
    (naming no file), several after the torch and numpy states had been put back; now one FormatError
    naming the checkpoint and the state, before any state is put back."""
    change, names = MALFORMED[case]
    state = _malformed(change)
    generators = {"augment": np.random.default_rng(7), "noise": torch.Generator().manual_seed(7)}
    random_states.seed_everything(5)
    with pytest.raises(FormatError) as refused:
        random_states.restore_rng_state(state, generators, checkpoint="run/checkpoint.pt")
    message = str(refused.value)
    assert message.startswith("run/checkpoint.pt: ") and names in message and "\n" not in message
    draws = (_draws(), generators["augment"].random(), torch.rand(1, generator=generators["noise"]).item())
    random_states.seed_everything(5)
    assert draws == (_draws(), np.random.default_rng(7).random(), torch.rand(1, generator=torch.Generator().manual_seed(7)).item())


def test_a_well_formed_random_state_is_put_back():
    generators = {"augment": np.random.default_rng(1), "noise": torch.Generator().manual_seed(1)}
    state = random_states.rng_state(generators)
    expected = (_draws(), generators["augment"].random(), torch.rand(1, generator=generators["noise"]).item())
    random_states.restore_rng_state(state, generators, checkpoint="run/checkpoint.pt")
    assert (_draws(), generators["augment"].random(), torch.rand(1, generator=generators["noise"]).item()) == expected


# --------------------------------------------------------------------------- an earlier evaluation's folder


@pytest.mark.parametrize("earlier, kept", [
    ({"top1": 0.5, "accuracy": 0.5}, False),  # another tool's metrics.json
    ({}, False),
    ({"task": "classify", "top1": 0.5}, True),  # a reconstruction evaluation before 2026-12-04 named its task only
    ({"run": "RUN", "top1": 0.5}, True),  # every classification evaluation names its run
])
def test_an_out_folder_whose_metrics_json_names_no_run_and_no_task_is_refused_naming_it(tmp_path, earlier, kept):
    """Was: a metrics.json of another tool (a JSON object with none of evface's keys) was taken for a
    legacy evaluation and replaced; every evaluation evface wrote names its run (classification,
    since the first version) or its task (reconstruction), so such a file is refused, naming it."""
    import json

    from evface.errors import ParameterError
    from evface.tasks.run_evaluation import evaluation_folder
    from evface.tasks.run_folder import write_json

    run = tmp_path / "run"
    run.mkdir()
    write_json(run / "config.json", {"task": "classify", "data": str(tmp_path / "data")})
    out = tmp_path / "theirs"
    out.mkdir()
    text = json.dumps({k: (str(run.resolve()) if v == "RUN" else v) for k, v in earlier.items()})
    (out / "metrics.json").write_text(text)
    if kept:
        assert evaluation_folder(run, tmp_path / "data", out) == out
    else:
        with pytest.raises(ParameterError, match=f"^{out}/metrics.json: names no run and no task: .*give --out a new folder$"):
            evaluation_folder(run, tmp_path / "data", out)
    assert (out / "metrics.json").read_text() == text


# --------------------------------------------------------------------------- files written with metrics.json


def _evaluation(folder, scores="clip,ssim\nc1,0.5\n"):
    """An evaluation's scores.csv and metrics.json, written together."""
    from evface.tasks.run_folder import json_text, write_together

    folder.mkdir(exist_ok=True)
    write_together({folder / "scores.csv": scores,
                    folder / "metrics.json": json_text({"task": "reconstruct", "run": "/runs/r", "data": "/d", "n": 1})})


def test_metrics_json_records_the_sha256_of_the_files_written_with_it(tmp_path):
    import hashlib
    import json

    _evaluation(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["files_sha256"] == {"scores.csv": hashlib.sha256(b"clip,ssim\nc1,0.5\n").hexdigest()}
    assert list(metrics)[:-1] == ["task", "run", "data", "n"]


def test_a_scores_csv_not_written_with_its_metrics_json_is_refused_naming_both_and_the_command(tmp_path):
    """A run or evaluation stopped between write_together's renames (a new scores.csv beside the earlier
    metrics.json), or a scores.csv replaced since: was read together as one evaluation; now one line
    naming both files and the evface eval that writes them again. A file left out of a copy is left to
    its reader (the report and compare say which file is missing and how to write it)."""
    from evface.tasks.run_folder import check_written_together

    _evaluation(tmp_path)
    check_written_together(tmp_path)
    (tmp_path / "scores.csv").write_text("clip,ssim\nc1,0.9\n")
    with pytest.raises(FormatError, match=re.escape(f"{tmp_path}/scores.csv: not the file that {tmp_path}/metrics.json "
                                                    "was written with (")
                       + r".*write both again: evface eval /runs/r --data /d --out " + re.escape(str(tmp_path)) + "$"):
        check_written_together(tmp_path)
    (tmp_path / "scores.csv").unlink()
    check_written_together(tmp_path)


def test_files_of_a_metrics_json_without_their_sha256_still_load(tmp_path):
    """Runs and evaluations written before the hashes were recorded keep loading."""
    from evface.tasks.run_folder import check_written_together, write_json

    write_json(tmp_path / "metrics.json", {"task": "reconstruct", "run": "/runs/r"})
    (tmp_path / "scores.csv").write_text("anything")
    check_written_together(tmp_path)
    check_written_together(tmp_path / "nothing-here")


def test_a_run_folder_s_scores_not_written_with_its_metrics_json_name_an_evface_eval_that_runs(tmp_path):
    """In a run folder (it holds config.json) the advice was "evface eval RUN" alone, which stops at
    "Missing option '--data'": now it gives the dataset its metrics.json records, and the command
    gets past the options."""
    import shlex

    from typer.testing import CliRunner

    from evface.cli import app
    from evface.tasks.run_folder import check_written_together, json_text, write_together

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"task": "classify"}')
    write_together({run / "predictions.csv": "clip_id\nc1\n",
                    run / "metrics.json": json_text({"data": str(tmp_path / "data"), "n": 1})})
    (run / "predictions.csv").write_text("clip_id\nc2\n")
    with pytest.raises(FormatError) as caught:
        check_written_together(run)
    command = str(caught.value).split("write both again: ")[1]
    assert command == f"evface eval {run} --data {tmp_path / 'data'}"
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert "Missing option" not in result.output


@pytest.mark.parametrize("name", ["../outside.csv", "/etc/hostname", "sub/scores.csv", ".."])
def test_a_metrics_json_whose_hashes_name_a_file_outside_its_folder_is_refused_unread(tmp_path, name):
    """A received metrics.json whose files_sha256 names a path, not a file of its folder, had that
    file read and hashed wherever it lay; now one line naming the metrics.json."""
    from evface.tasks.run_folder import check_written_together, write_json

    (tmp_path / "outside.csv").write_text("x")
    (tmp_path / "run" / "sub").mkdir(parents=True)
    (tmp_path / "run" / "sub" / "scores.csv").write_text("x")
    write_json(tmp_path / "run" / "metrics.json", {"task": "reconstruct", "run": "/runs/r", "files_sha256": {name: "0"}})
    with pytest.raises(FormatError, match=re.escape(f"{tmp_path / 'run' / 'metrics.json'}: files_sha256 names {name!r}, "
                                                    "not a file of this folder: not as evface writes it")):
        check_written_together(tmp_path / "run")


@pytest.mark.parametrize("text", ["[" * 100_000, "9" * 5000], ids=["nested-100000-deep", "5000-digits"])
def test_a_run_json_nested_past_the_stack_or_of_5000_digits_is_one_error_naming_it(tmp_path, text):
    """A metrics.json, config.json or comparison file holding lists nested 100,000 deep or a number of
    5000 digits (more than int() reads) was an internal RecursionError or ValueError (exit 1) in
    ``read_json``, the report, ``compare --out`` and the reconstruction comparison; now one error
    naming the file, or not taken for a file evface wrote."""
    from evface.commands.compare import earlier_comparison_only
    from evface.errors import DatasetError, ParameterError
    from evface.report.collect import _read_json
    from evface.tasks.recon_compare import _scored, is_reconstruction_run
    from evface.tasks.run_folder import read_json

    path = tmp_path / "metrics.json"
    path.write_text(text)
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}: not valid JSON"):
        read_json(path)
    with pytest.raises(DatasetError, match=f"^{re.escape(str(path))}: cannot read JSON"):
        _read_json(path)
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}: not a metrics file evface wrote"):
        _scored(tmp_path)
    assert not is_reconstruction_run(tmp_path)
    with pytest.raises(ParameterError, match=f"^{re.escape(str(path))}: exists and is not a comparison evface wrote"):
        earlier_comparison_only(path)
