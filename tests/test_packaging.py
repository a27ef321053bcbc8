"""The sdist and the wheel a researcher builds from a checkout (``python -m build``: the sdist, then
the wheel from it), installed away from the checkout: what they hold, and that evface runs from them.

The project is tested as an editable install, which reads every file from the checkout; an
installed wheel has only what the wheel holds. The builds run offline with the venv's own
setuptools (no build isolation), from a copy of the checkout so that its ``build/`` and
``*.egg-info`` are neither written nor used (a stale ``build/lib`` puts deleted modules in a wheel).
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = {".git", ".venv", "build", "runs", "data", ".pytest_cache", ".hypothesis"}
"""The checkout's folders a copy leaves out: git's, the .gitignore's build outputs, caches and runs."""

pytestmark = pytest.mark.xdist_group("packaging")  # with --dist loadgroup, one build serves every test here

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
building = pytest.mark.skipif(importlib.util.find_spec("setuptools") is None,
                              reason="setuptools, the build backend, is not in this venv: pip install -e '.[test]'")


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """The names in ``folder`` that :func:`shutil.copytree` leaves out of a copy of the checkout."""
    caches = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}
    return caches | (OUTPUTS & set(names) if Path(folder) == ROOT else set())


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``args`` in ``cwd``; its stdout and then its stderr, or a failure showing the end of its stderr."""
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(args)}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist built from a copy of the checkout, the wheel built from the unpacked sdist, and
    that wheel installed into a folder of its own (``site``)."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = shutil.copytree(ROOT, tmp / "source", ignore=_not_sources)
    dist = tmp / "dist"
    dist.mkdir()
    said = _run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                 "print('sdist', build_meta.build_sdist(sys.argv[1]))", str(dist)], source)
    name = re.findall(r"^sdist (\S+)$", said, re.M)[-1]
    sdist = dist / name
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", filter="data")
    unpacked = tmp / "unpacked" / name.removesuffix(".tar.gz")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w",
          str(dist), str(unpacked)], tmp)
    wheel = next(dist.glob("evface-*.whl"))
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(tmp / "site"),
          str(wheel)], tmp)
    outside = tmp / "elsewhere"
    outside.mkdir()
    return {"sdist": sdist, "wheel": wheel, "site": tmp / "site", "outside": outside}


def _evface(built: dict[str, Path], *args: str) -> str:
    """``python -m evface.cli ARGS`` run outside the checkout with only the installed wheel on the path."""
    env = {**os.environ, "PYTHONPATH": str(built["site"]), "PYTHONNOUSERSITE": "1"}
    return _run([sys.executable, *args], built["outside"], env)


def _package_files(folder: Path) -> set[str]:
    """The files of the package under ``folder`` (``evface/...``), caches left out."""
    return {p.relative_to(folder).as_posix() for p in (folder / "evface").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_the_test_extra_installs_the_build_backend():
    # make test's fresh venv has no setuptools (Python >= 3.12) or setuptools 65 (3.11), which
    # refuses pyproject's license = "MIT": the builds below need the backend build-system names
    assert set(PYPROJECT["build-system"]["requires"]) <= set(PYPROJECT["project"]["optional-dependencies"]["test"])


@pytest.mark.slow
@building
def test_the_wheel_holds_every_file_of_the_package(built):
    # a data file under evface/ (a template, a font, a table) that package-data does not name is
    # missing from the wheel while an editable install reads it from the checkout
    with zipfile.ZipFile(built["wheel"]) as whl:
        held = {n for n in whl.namelist() if n.startswith("evface/")}
    assert _package_files(ROOT) - held == set()


@pytest.mark.slow
@building
def test_the_sdist_holds_what_a_packager_needs(built):
    with tarfile.open(built["sdist"]) as tar:
        top = tar.getnames()[0].split("/")[0]
        held = {n.removeprefix(top + "/") for n in tar.getnames()}
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\b(docs/[\w./-]+\.\w+)", readme)) | set(re.findall(r"\b(tools/\w+\.py)", readme))
    tests = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("*.py")}
    needed = {"README.md", "LICENSE", "pyproject.toml", "Makefile"} | linked | tests
    assert needed - held == set(), "the sdist lacks these (MANIFEST.in)"
    assert _package_files(ROOT) <= held


@pytest.mark.slow
@building
def test_the_installed_wheel_runs_from_outside_the_checkout(built):
    site, version = built["site"], PYPROJECT["project"]["version"]
    where = _evface(built, "-c", "import evface; print(evface.__file__, evface.__version__)").split()
    assert Path(where[0]).is_relative_to(site) and where[1] == version
    assert _evface(built, "-m", "evface.cli", "--version").strip() == f"evface {version}"
    # the Haar cascades (OpenCV's own files) find the astronaut's face, eyes and mouth
    assert "wrote f.png" in _evface(built, "-m", "evface.cli", "faces", "f.png", "--seeds", "1", "--size", "32",
                                    "--astronaut")
    _evface(built, "-c", "import cv2, numpy as np\nw = cv2.VideoWriter('v.avi', cv2.VideoWriter_fourcc(*'MJPG'), 30, "
                         "(64, 48))\nfor i in range(6): w.write(np.full((48, 64, 3), 40 + 30 * i, np.uint8))\nw.release()")
    assert "events from 6 frames" in _evface(built, "-m", "evface.cli", "simulate", "v.avi", "--out", "v.h5",
                                             "--sensor", "64x48")
    assert "64x48" in _evface(built, "-m", "evface.cli", "info", "v.h5")
