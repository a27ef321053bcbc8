"""The README, docs/ and the package's docstrings name only modules, functions and files that exist.

Modules are split and renamed as the package grows; a page that still names the old path sends
a reader to nothing. Checked: every ``evface.module.name`` (imported, then each attribute looked
up) and every ``path/to/file.py`` in this repository (from its root, or from ``evface/`` for a
path that starts with one of its rooms; other projects' files, ``v2ecore/emulator.py``, are not
checked), and every bare ``name.py`` is the name of one of its files. A name quoted inside an old error message (``'evface.x'``) is history and is not checked.
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest

import evface

ROOT = Path(evface.__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MODULES = sorted((ROOT / "evface").rglob("*.py"))
NOT_A_MODULE = {"evface.data.synth"}
"""Dotted names that are values, not references: the generator that ``dataset.json`` records
(:data:`evface.rig.record.GENERATOR`, unchanged since 0.1 so that datasets stay comparable)."""
DOTTED = re.compile(r"(?<![\w.'])(evface(?:\.\w+)+)")
PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)+\w+\.py)\b")
BARE = re.compile(r"`(\w+\.py)\b")
OTHER_PROJECTS = {"v2e_args.py"}
"""Files of other projects the pages name alone (v2e's, where its defaults are quoted)."""
FILE_NAMES = {p.name for room in ("evface", "tests", "tools", ".ci") for p in (ROOT / room).rglob("*.py")}


def _resolves(name: str) -> bool:
    """Whether ``name`` is a module, or a module and a chain of attributes."""
    try:
        pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError):
        return False
    return True


def _ours(path: str) -> bool:
    """Whether ``path`` is in this repository (its first folder is one of ours or a room of ``evface/``)."""
    first = path.split("/")[0]
    return (ROOT / first).is_dir() or (ROOT / "evface" / first).is_dir()


def _exists(path: str) -> bool:
    return (ROOT / path).exists() or (ROOT / "evface" / path).exists()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_named_module_function_and_file_exists(page):
    text = page.read_text()
    missing = sorted({n for n in DOTTED.findall(text) if not _resolves(n)}
                     | {p for p in PATH.findall(text) if _ours(p) and not _exists(p)}
                     | {b for b in BARE.findall(text) if b not in FILE_NAMES | OTHER_PROJECTS})
    assert missing == [], f"{page.name} names what does not exist: {missing}"


def test_the_check_tells_what_exists_from_what_does_not():
    assert _resolves("evface.io.manifest.write_manifest") and _resolves("evface.rig")
    assert not _resolves("evface.io.nothing_here") and not _resolves("evface.rig.truth")
    assert _exists("evface/rig/scene.py") and _exists("rig/scene.py") and not _exists("rig/truth.py")
    assert _ours("rig/truth.py") and not _ours("v2ecore/emulator.py")


def test_every_name_the_package_gives_exists():
    missing = {str(m.relative_to(ROOT)): names for m in MODULES
               if (names := sorted(n for n in set(DOTTED.findall(m.read_text())) - NOT_A_MODULE if not _resolves(n)))}
    assert missing == {}, f"names of what does not exist: {missing}"


def test_the_architecture_page_names_every_module():
    """docs/architecture.md says what each module does: a module split off or added without a word
    there leaves a maintainer to guess its job."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    unnamed = sorted(str(p.relative_to(ROOT)) for p in MODULES if p.name != "__init__.py" and p.name not in page)
    assert unnamed == []
