"""evface.datasets.toy: a dataset folder of a few tiny clips, the same for a seed, refused where it would replace anything."""

from __future__ import annotations

import hashlib

import pytest

from evface.datasets.toy import toy_dataset
from evface.errors import DatasetError, ParameterError
from evface.io.dataset import DatasetFolder


def _digest(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_seed_writes_the_same_bytes_and_another_seed_other_clips(tmp_path):
    a, b, c = (toy_dataset(tmp_path / name, subjects=2, classes=["AU1", "AU2", "AU4"], seed=s)
               for name, s in (("a", 3), ("b", 3), ("c", 4)))
    assert _digest(a) == _digest(b) and _digest(a) != _digest(c)
    ds = DatasetFolder.open(a)
    assert [r["clip_id"] for r in ds.rows] == [f"s0{i}_AU{k}" for i in (1, 2) for k in (1, 2, 4)]
    assert not list(tmp_path.glob("*.partial"))


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path):
    for kwargs, message in (({"classes": "AU4"}, "classes must be a list"), ({"classes": ["AU4", "smile"]}, "'smile' is no AU"),
                            ({"classes": ["AU4", "AU4"]}, "given twice"), ({"subjects": 0}, "subjects")):
        with pytest.raises(ParameterError, match=message):
            toy_dataset(tmp_path / "out", **kwargs)
    assert not list(tmp_path.iterdir())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(DatasetError, match="not empty"):
        toy_dataset(tmp_path / "mine")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
