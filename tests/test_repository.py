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


def _text_io_without_encoding(tree: ast.AST) -> list[int]:
    """Lines of ``tree`` that read or write text in the locale's encoding: ``x.read_text()``,
    ``x.write_text(s)`` or ``open(...)``/``x.open(...)`` in a text mode, with no ``encoding`` (a
    module's or a class's ``open``, ``os.open`` or ``Image.open``, is another function)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            lines.append(node.lineno)
        elif (isinstance(func, ast.Name) and func.id == "open" or isinstance(func, ast.Attribute) and func.attr == "open"
              and not (isinstance(func.value, ast.Name) and (func.value.id in ("os", "h5py", "tarfile", "zipfile", "gzip")
                                                             or func.value.id[:1].isupper()))):
            modes = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            modes += [k.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)]
            if not any("b" in m.value for m in modes):
                lines.append(node.lineno)
    return lines


def test_text_is_read_and_written_as_utf8_in_any_locale():
    """Every text file evface reads or writes names its encoding: without it Python takes the locale's
    (ASCII in the C locale as Python keeps it, Latin-1 on older systems), so a UTF-8 JSON file or table
    was refused, or read garbled (ruff's PLW1514, a preview rule, finds only the calls on values it
    knows are paths: not ``path.read_text()`` of a parameter)."""
    found = [f"{path.relative_to(REPO)}:{line}" for path in sorted(p for top in ("evface", "tools") for p in (REPO / top).rglob("*.py"))
             for line in _text_io_without_encoding(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []


def test_the_encoding_check_finds_text_io_in_the_locale_encoding():
    tree = ast.parse("p.read_text()\np.write_text('x')\nopen(p)\np.open('w')\nopen(p, 'rb')\np.read_text(encoding='utf-8')\n"
                     "h5py.File(p, 'r')\nos.open(p, 0)\nImage.open(p)\nread_text(p)\n")
    assert _text_io_without_encoding(tree) == [1, 2, 3, 4]
