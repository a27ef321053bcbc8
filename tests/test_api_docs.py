"""The Python API's docstrings: numpy style, every parameter and return described, an example.

The API is the public names of ``tools/api_index.py``'s modules (docs/api.md lists them). Each is
checked with numpydoc's validator, for the errors that leave a user guessing: no docstring (GL08), a
parameter undescribed (PR01), described but not taken (PR02) or out of order (PR03), no Returns or
Yields section (RT01, YD01) and, for functions and classes, no example (EX01). The examples
themselves run in tests/test_doctests.py.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
from numpydoc.validate import validate

_TOOL = Path(__file__).resolve().parents[1] / "tools" / "api_index.py"
_spec = importlib.util.spec_from_file_location("api_index", _TOOL)
api_index = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_index)

CHECKED = {"GL08", "PR01", "PR02", "PR03", "RT01", "YD01", "EX01"}
"""numpydoc's codes checked for functions and classes; methods and exceptions are not asked for an
example, and a method that overrides a documented one may take its docstring (as ``help`` shows it)."""


def _errors(qualified: str, codes: set[str]) -> list[str]:
    return [f"{qualified}: {code} {message}" for code, message in validate(qualified)["errors"] if code in codes]


def _inherits_its_docstring(cls: type, method: str) -> bool:
    attr = vars(cls)[method]
    return getattr(attr, "__doc__", None) is None and any(
        getattr(getattr(base, method, None), "__doc__", None) for base in cls.__mro__[1:])


def _undescribed(x):
    """Return ``x``: a docstring without its Parameters section, for the test below."""
    return x


@pytest.mark.parametrize("module_name", api_index.API_MODULES)
def test_public_names_have_numpy_docstrings(module_name):
    found = []
    names = api_index.public_names(module_name)
    assert names, f"{module_name} has no public function or class"
    for name, obj in names:
        codes = set(CHECKED)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            codes.discard("EX01")
        if inspect.isclass(obj) and obj.__init__ is object.__init__:
            codes.discard("PR01")  # takes nothing (numpydoc reads object's *args, **kwargs)
        found += _errors(f"{module_name}.{name}", codes)
        if inspect.isclass(obj):
            for method in api_index.public_methods(obj):
                if _inherits_its_docstring(obj, method):
                    continue
                found += _errors(f"{module_name}.{name}.{method}", CHECKED - {"EX01"})
    assert not found, "\n".join(found)


def test_the_api_page_is_current():
    assert api_index.DOC.read_text() == api_index.render(), "docs/api.md is out of date: run python tools/api_index.py"


def test_a_docstring_without_parameters_is_found():
    """The validator is live: a function of this file with an undescribed parameter is reported."""
    codes = {line.split()[1] for line in _errors(f"{__name__}._undescribed", CHECKED)}
    assert codes == {"PR01", "RT01", "EX01"}
