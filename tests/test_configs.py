"""The task configs' docstrings: the Parameters section that :func:`evface.tasks.configs.fields_documented` adds."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields

import pytest

from evface.tasks.configs import ClassifyConfig, ReconstructConfig, fields_documented, setting

INDENTED = "A small config.\n\n    Examples\n    --------\n    >>> Small().x\n    1\n    "
"""A docstring as Python 3.11 and 3.12 keep it: its lines after the first indented like the source."""

FLUSH = "A small config.\n\nExamples\n--------\n>>> Small().x\n1\n"
"""The same docstring as Python 3.13 compiles it: the indentation stripped."""


@pytest.mark.parametrize("doc", [INDENTED, FLUSH], ids=["indented", "flush"])
def test_the_parameters_section_goes_before_the_examples_however_python_indents_the_docstring(doc):
    """Python 3.13 strips a docstring's indentation when it compiles it: the section, looked for as indented
    ``Examples``, was left out there, and ``ReconstructConfig``'s doctest failed with ValueError."""

    @dataclass(frozen=True)
    class Small:
        __doc__ = doc
        x: int = setting(1, "The x.")

    documented = inspect.getdoc(fields_documented(Small))
    assert documented == ("A small config.\n\nParameters\n----------\nx : int, default 1\n    The x.\n\n"
                          "Examples\n--------\n>>> Small().x\n1")


@pytest.mark.parametrize("config", [ClassifyConfig, ReconstructConfig])
def test_each_field_of_a_task_config_is_in_its_docstring(config):
    doc = inspect.getdoc(config)
    assert doc.index("Parameters\n----------\n") < doc.index("Examples\n--------\n")
    assert all(f"\n{f.name} : " in doc for f in fields(config))
