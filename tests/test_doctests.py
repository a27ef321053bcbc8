"""Every docstring example in the package runs, and none is skipped.

A module whose docstrings show ``>>>`` examples must run at least one of them; an example marked
``+SKIP`` is an error (it would state something nobody checks).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evface

_FINDER = doctest.DocTestFinder()


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in _FINDER.find(module, name) if t.examples]


MODULES = sorted(m.name for m in pkgutil.walk_packages(evface.__path__, "evface."))
WITH_EXAMPLES = [name for name in MODULES if _examples(name)]


def test_examples_are_found():
    assert len(WITH_EXAMPLES) >= 30, WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_module_examples_run(name, tmp_path, monkeypatch):
    tests = _examples(name)
    skipped = [f"{t.name}:{t.lineno}" for t in tests for ex in t.examples if ex.options.get(doctest.SKIP)]
    assert not skipped, f"examples marked +SKIP never run: {skipped}"
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
