"""The package's layers: no import runs back up the data flow, no cycle, no hidden import.

Each top-level room of ``evface`` has a rank (docs/architecture.md draws them); a module may
import only from rooms of a lower rank or from its own room. An import inside a function is
allowed only where it keeps a heavy dependency out of a light path, and then it says so with a
``# lazy: <reason>`` comment on the import line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import evface

ROOT = Path(evface.__file__).parent
RANKS = {
    "errors": 0, "checks": 0, "kernel_cache": 0, "executor": 1, "ray_connect": 1, "ray_cluster": 2, "__init__": 1, "events": 1, "io": 2,
    "sim": 3, "face": 4, "rig": 5, "datasets": 6, "inputs": 7, "models": 7, "tasks": 8, "report": 9, "pipeline": 10,
    "bench": 11, "commands": 12, "cli": 13, "__main__": 14,
}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """``(module, line, inside_a_function)`` for every evface import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend([(a.name, child.lineno, in_function) for a in child.names if a.name.startswith("evface")])
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("evface"):
                names = [f"{child.module}.{a.name}" for a in child.names]
                found.extend((n, child.lineno, in_function) for n in names)
            visit(child, inner)

    visit(tree, False)
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The module an imported name lives in (``evface.io.clip_reader.read_clip`` -> ``evface.io.clip_reader``)."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def test_every_room_has_a_rank():
    rooms = {_room(m) for m in _modules()}
    assert rooms <= set(RANKS), f"rooms without a rank: {rooms - set(RANKS)}"


def test_every_room_is_named_in_the_package_docstring_and_the_architecture_page():
    subpackages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
    listed = [line.split()[0] for line in evface.__doc__.split("-----------\n")[1].strip().splitlines()]
    assert sorted(listed) == subpackages
    page = (ROOT.parent / "docs" / "architecture.md").read_text()
    assert [room for room in subpackages if f"`{room}/`" not in page] == []


def test_no_import_runs_up_the_layers():
    modules = _modules()
    upward = []
    for module, path in modules.items():
        for name, line, _ in _imports(path):
            target = _resolve(name, modules)
            if RANKS[_room(target)] > RANKS[_room(module)]:
                upward.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def _local_imports(path: Path) -> list[tuple[str, int]]:
    """``(module, line)`` for every import inside a function of ``path``: evface's, another
    package's or the standard library's (was: evface's only, so that 18 imports of faery, torch's
    distributed package, nir, scikit-image and the standard library said no reason)."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found += [(node.module if isinstance(node, ast.ImportFrom) else node.names[0].name, node.lineno)
                      for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
    return sorted(set(found), key=lambda found: found[1])


def test_function_local_imports_say_why():
    unexplained = []
    for path in _modules().values():
        lines = path.read_text(encoding="utf-8").splitlines()
        for name, line in _local_imports(path):
            if "# lazy:" not in lines[line - 1]:
                unexplained.append(f"{path.relative_to(ROOT.parent)}:{line} imports {name} inside a function")
    assert not unexplained, "\n".join(unexplained)


def test_the_local_import_check_finds_every_kind_of_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\n\ndef f():\n    import io\n    from faery import evt\n\n\n"
                      "def g():\n    def h():\n        from evface import errors\n", encoding="utf-8")
    assert _local_imports(module) == [("io", 5), ("faery", 6), ("evface", 11)]


def test_no_import_cycle():
    modules = _modules()
    graph = {m: {_resolve(n, modules) for n, _, inside in _imports(p) if not inside} - {m} for m, p in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_uses(module: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """Names private to another evface module that ``path`` imports or reaches through a module alias."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evface"):
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                elif _private(a.name) and node.module != module:
                    found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {node.module}.{a.name}")
        elif isinstance(node, ast.Import):
            aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in modules})
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and _private(node.attr) and aliases[node.value.id] != module):
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    """A name another module uses is part of its module's interface, so it has a public name."""
    modules = _modules()
    private = [use for module, path in modules.items() for use in _private_uses(module, path, modules)]
    assert not private, "\n".join(private)


def test_clip_layout_is_known_to_its_writer_and_reader_only():
    """The clip file's HDF5 group paths appear in ``evface/io/clip_writer.py`` and ``clip_reader.py`` only."""
    owners = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        if any(s in text for s in ('"events/', "'events/", 'f"events/', '"frames/', 'f"frames/', '"truth/', 'f"truth/')):
            owners.add(str(path.relative_to(ROOT.parent)))
    assert owners == {"evface/io/clip_writer.py", "evface/io/clip_reader.py"}, sorted(owners)


def test_reading_a_finished_run_needs_no_torch():
    """``evface compare``, ``evface report`` and a run folder's files load without torch (seconds of
    start-up on every call)."""
    report = ", ".join(f"evface.report.{p.stem}" for p in sorted((ROOT / "report").glob("*.py")))
    code = ("import sys; import evface.tasks.run_folder, evface.tasks.class_compare, evface.tasks.recon_compare, "
            f"{report}; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
