"""``make test`` runs ``pytest -n 2 --dist loadgroup``: the tests of one ``xdist_group`` run in one
worker, so that a module fixture (test_ray's Ray cluster, test_packaging's built wheel) is built once.
pytest 9.2 with pytest-xdist 3.8 groups nothing and says nothing (pytest-xdist issue 1386): both
workers built a Ray cluster of their own on the same 2 cores and both built the wheel, and
``make test`` took 11 min 45 s where it had taken 6-7. pyproject.toml bounds pytest below 9.2."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("groups-check")


def test_a_grouped_test_runs_as_part_of_its_group(request):
    if not getattr(request.config.option, "loadgroup", False):  # what pytest-xdist sets on its workers
        pytest.skip("not run by pytest-xdist with --dist loadgroup (make test is)")
    import xdist  # lazy: present wherever workerinput is (a pytest-xdist worker)

    assert request.node.nodeid.endswith("@groups-check"), (
        f"pytest {pytest.__version__} with pytest-xdist {xdist.__version__} does not group tests under "
        "--dist loadgroup (pytest-xdist issue 1386): bound pytest in pyproject.toml's test extra")
