"""The lint gate: ruff, with the rules of ``[tool.ruff]`` in pyproject.toml, finds nothing in
evface/, tools/ and tests/ (docs/dependencies.md says which rules and why; a finding that is meant
takes a ``# noqa: CODE - why`` comment, which ruff's RUF100 refuses once it is no longer needed).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def _ruff(*paths: str | Path) -> subprocess.CompletedProcess:
    """``ruff check`` of ``paths`` under the project's configuration, from the repository root."""
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(CONFIG),
                           "--output-format", "concise", *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing():
    done = _ruff("evface", "tools", "tests")
    assert done.returncode == 0, f"ruff check evface tools tests:\n{done.stdout}{done.stderr}"


def test_the_gate_fails_on_a_finding(tmp_path):
    """An unused import (F401, ruff's default rules) and a mutable default argument (B006, the
    project's own selection: the configuration is the one read) are reported, with exit code 1."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""A module."""\n\nimport os\n\n\ndef f(x=[]):\n    return x\n')
    done = _ruff(bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{bad}:3:8: F401" in done.stdout and f"{bad}:6:9: B006" in done.stdout, done.stdout
