"""Write docs/api.md, the index of evface's Python API, from the modules' own docstrings.

Not part of the package. The API is the public names (no leading underscore) defined in the
modules of ``API_MODULES``: what the README and docs/ show users importing. Each module's section
lists its functions and classes with the first line of their docstrings, and each class's public
methods. ``tests/test_api_docs.py`` checks that docs/api.md is what this tool writes, and that
every name it lists has a numpy docstring (numpydoc's validator).

Run (from the repository root, with evface's virtualenv)::

    python tools/api_index.py            # rewrite docs/api.md
    python tools/api_index.py --check    # exit 1 if docs/api.md is out of date
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path

from evface.io.atomic_files import atomic_write_text

API_MODULES = (
    "evface.errors",
    "evface.events.core", "evface.events.ops", "evface.events.representations", "evface.events.transforms",
    "evface.events.integration",
    "evface.io.event_reader", "evface.io.event_writer", "evface.io.formats", "evface.io.file_info",
    "evface.io.clip_schema", "evface.io.clip_reader", "evface.io.clip_writer", "evface.io.manifest", "evface.io.dataset",
    "evface.sim.dvs_params", "evface.sim.dvs", "evface.sim.dvs_noise", "evface.sim.dvs_readout", "evface.sim.sensors",
    "evface.sim.rgb", "evface.sim.rgb_pipeline", "evface.sim.footage", "evface.sim.frame_folder",
    "evface.sim.video_read", "evface.sim.video_timing", "evface.sim.video", "evface.sim.video_write",
    "evface.face.aus", "evface.face.identity", "evface.face.head_pose", "evface.face.render", "evface.face.detect",
    "evface.rig.geometry", "evface.rig.lighting", "evface.rig.timeline", "evface.rig.scene", "evface.rig.record",
    "evface.datasets.synth", "evface.datasets.merge", "evface.datasets.toy", "evface.datasets.importers.session",
    "evface.datasets.importers.corpus", "evface.datasets.importers.registration",
    "evface.inputs.splits", "evface.inputs.clip_view", "evface.inputs.classify", "evface.inputs.classify_dataset",
    "evface.inputs.clip_events",
    "evface.inputs.flow", "evface.inputs.reconstruct", "evface.inputs.recon_dataset", "evface.inputs.au_regions",
    "evface.models.snn", "evface.models.recon_blocks", "evface.models.cvae", "evface.models.e2vid",
    "evface.models.recon_losses", "evface.models.recon_baselines", "evface.models.export_nir",
    "evface.tasks.configs", "evface.tasks.classify", "evface.tasks.reconstruct", "evface.tasks.class_metrics",
    "evface.tasks.image_metrics", "evface.tasks.stats",
    "evface.report.html",
    "evface.pipeline.run", "evface.executor", "evface.ray_cluster",
)
"""The modules whose public names are evface's Python API, in the order docs/api.md lists them."""

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"

HEADER = """# Python API

What the commands do is done by functions you can call. These are the modules a user imports, and
what each offers: every function and class below (and every public method of a class) has a numpy
docstring with its parameters, what it returns and, for the functions and classes, an example that
runs as a test (`help(name)` shows it). `tests/test_api_docs.py` checks them with numpydoc's
validator; `python tools/api_index.py` writes this page from the docstrings, so a name's line here
is the first sentence of its docstring. Other modules are the package's own pieces: importable, documented,
but free to change between releases.
"""


def public_names(module_name: str) -> list[tuple[str, object]]:
    """The functions and classes defined in ``module_name`` whose names start with no underscore, in
    the order of the module."""
    module = importlib.import_module(module_name)
    return [(name, obj) for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module_name]


def public_methods(cls: type) -> list[str]:
    """The public methods defined in ``cls`` itself (not properties, not inherited)."""
    return [name for name, attr in vars(cls).items()
            if not name.startswith("_") and (inspect.isfunction(attr) or isinstance(attr, (classmethod, staticmethod)))]


def _summary(obj: object) -> str:
    """The first sentence of ``obj``'s docstring (its first paragraph where no sentence ends in it), on one line."""
    paragraph = (inspect.getdoc(obj) or "").split("\n\n")[0].replace("\n", " ").strip()
    sentence = re.match(r"(.+?\.)\s+(?=[A-Z])", paragraph)
    return (sentence.group(1) if sentence else paragraph).replace("|", "\\|")


def render() -> str:
    """The text of docs/api.md."""
    parts = [HEADER]
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        parts.append(f"\n## `{module_name}`\n\n{_summary(module)}\n\n| name | |\n| --- | --- |\n")
        for name, obj in public_names(module_name):
            kind = "class " if inspect.isclass(obj) else ""
            parts.append(f"| {kind}`{name}` | {_summary(obj)} |\n")
            if inspect.isclass(obj):
                for method in public_methods(obj):
                    parts.append(f"| `{name}.{method}` | {_summary(getattr(obj, method))} |\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC}: out of date; run python tools/api_index.py", file=sys.stderr)
            return 1
        return 0
    atomic_write_text(DOC, text)  # was: written in place, half a page where the write failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
