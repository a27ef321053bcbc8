"""Shared test set-up: every temporary file the tests make stays under pytest's own folder."""

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _temporary_files_under_basetemp(tmp_path_factory):
    """Send ``tempfile`` (the doctests' ``mkdtemp``) and child processes' ``TMPDIR`` (torchrun's
    elastic agent) to this run's basetemp, which pytest prunes to the last three runs, instead of
    leaving folders in /tmp at every run."""
    folder = str(tmp_path_factory.mktemp("tempfile"))
    before = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = folder
    yield
    tempfile.tempdir = before[0]
    if before[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before[1]
