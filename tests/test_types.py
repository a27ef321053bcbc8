"""The type gate: mypy, with the settings of ``[tool.mypy]`` in pyproject.toml, finds no error in
evface/ and tools/. evface ships a ``py.typed`` marker, so other projects' type checkers take its annotations
as true (docs/dependencies.md says which settings and why; a finding that is meant takes a
``# type: ignore[code]`` comment with the reason, which ``warn_unused_ignores`` refuses once it
is no longer needed).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
CACHE = ROOT / ".mypy_cache"


def _mypy(*paths: str | Path, cache: Path = CACHE) -> subprocess.CompletedProcess:
    """``mypy`` under the project's configuration, from the repository root: of ``paths``, or of
    the configuration's own ``files`` (evface/ and tools/) when none is given."""
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--cache-dir", str(cache),
                           "--no-error-summary", "--no-pretty", *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_finds_nothing_in_evface_or_tools():
    done = _mypy()
    assert done.returncode == 0, f"mypy (pyproject.toml's [tool.mypy] files):\n{done.stdout}{done.stderr}"


def test_the_gate_fails_on_a_finding(tmp_path):
    """A wrong return type (mypy's default checks), a ``# type: ignore`` that ignores nothing
    (``warn_unused_ignores``) and a wrong sum in a function without annotations (``check_untyped_defs``;
    the project's own settings: the configuration is the one read) are reported, with exit code 1."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""A module."""\n\n\ndef f(x: int) -> str:\n    return x\n\n\ny: int = 1  # type: ignore[assignment]\n'
                   '\n\ndef g():\n    return 1 + "a"\n')
    done = _mypy(bad, cache=tmp_path / "cache")  # the shared cache gave the errors of an earlier test's bad.py, at its path
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{bad}:5: error: Incompatible return value type" in done.stdout, done.stdout
    assert f'{bad}:8: error: Unused "type: ignore" comment' in done.stdout, done.stdout
    assert f'{bad}:12: error: Unsupported operand types for +' in done.stdout, done.stdout
