"""What the tests of a task's steps from Python (``prepare``, ``fit_part``, ``pool_parts``) given what is
not their run's share: test_classify_parts.py and test_reconstruct_parts.py import these.

Each of those modules has a ``runs`` fixture (the toy dataset and the root of its runs ``prepared`` and
``trained``) and ``STEPS``: a step's name to the run it takes and a call ``(data, run, cfg)``.
"""

import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evface.datasets.toy import toy_dataset
from evface.errors import DatasetError, ParameterError
from evface.io.manifest import read_manifest, write_manifest

Steps = dict[str, tuple[str, Callable[[Path, Path, Any], Any]]]


def files_of(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` with its modification time."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def copied_run(runs: tuple[Path, Path], which: str, tmp_path: Path) -> Path:
    """A copy of the run ``which`` (``prepared`` or ``trained``) of ``runs`` in ``tmp_path``."""
    return shutil.copytree(runs[1] / which, tmp_path / "run")


def check_other_settings_refused(runs: tuple[Path, Path], tmp_path: Path, steps: Steps, step: str, cfg: Any,
                                 change: dict[str, Any], said: str) -> None:
    """``step`` given ``cfg`` with ``change`` is one line naming each setting (``said``) and writes nothing."""
    data, _ = runs
    which, call = steps[step]
    run = copied_run(runs, which, tmp_path)
    before = files_of(run)
    with pytest.raises(ParameterError, match=f"^{re.escape(f'{run}: prepared with other settings than {step} was given ({said}); give it the run')}"):
        call(data, run, replace(cfg, **change))
    assert files_of(run) == before


def check_other_dataset_refused(runs: tuple[Path, Path], tmp_path: Path, steps: Steps, step: str, cfg: Any,
                                dataset: str) -> None:
    """``step`` given another dataset folder (``fewer``: a clip removed; ``more``: a subject added) is
    refused naming both folders, and writes nothing."""
    data, _ = runs
    which, call = steps[step]
    run = copied_run(runs, which, tmp_path)
    if dataset == "fewer":
        other = shutil.copytree(data, tmp_path / dataset)
        write_manifest(other, read_manifest(other)[:-1])
    else:
        other = toy_dataset(tmp_path / dataset, subjects=5)
    before = files_of(run)
    with pytest.raises(DatasetError, match=f"{dataset}: not the dataset folder the run {re.escape(str(run))} was prepared "
                                           "on \\(its manifest rows are not those the run was trained on\\); give "
                                           f"{step} that one, {re.escape(str(data.resolve()))}$"):
        call(other, run, cfg)
    assert files_of(run) == before
