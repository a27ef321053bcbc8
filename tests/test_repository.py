"""The repository itself: what its root holds (scratch files of a manual doctest run once slipped into a commit), and
source that every supported Python compiles."""

from __future__ import annotations

import ast
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


def _utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_no_docstring_holds_a_lone_surrogate():
    """Python 3.13 encodes each docstring as UTF-8 when it compiles a module, so an escape such as ``\\udce9`` (a
    file name as Python decodes undecodable bytes) left unescaped in a docstring made the module fail to import there:
    ``UnicodeEncodeError: ... surrogates not allowed`` (3.11 and 3.12 compile it)."""
    found = []
    for path in sorted(p for top in ("evface", "tools", "tests") for p in (REPO / top).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                if not _utf8(ast.get_docstring(node, clean=False) or ""):
                    found.append(f"{path.relative_to(REPO)}:{node.body[0].lineno}")
    assert found == []
