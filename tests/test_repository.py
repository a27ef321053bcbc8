"""The repository itself: what its root holds (scratch files of a manual doctest run once slipped into a commit)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT_ENTRIES = {".ci", ".gitignore", "LICENSE", "MANIFEST.in", "Makefile", "README.md", "docs", "evface", "pyproject.toml", "tests",
                "tools"}


def test_the_root_holds_only_the_project_files():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, text=True,
                             check=True).stdout.split("\0")
    assert {path.split("/")[0] for path in tracked if path} - ROOT_ENTRIES == set()
