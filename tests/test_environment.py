"""The environment a command runs in, swept: hostile values of the variables evface and its
libraries read give the result a clean environment gives (the same files, the same lines), or one
``error:`` line naming the variable and what to set instead, exit 2; never an internal error, a
traceback or a library's lines of its own.

Each child process runs several cheap commands on inputs made here (``convert``, ``info``,
``faces``, ``simulate``, ``report``) under a group of such values at once, chosen so that none
hides another. ``NUMBA_NUM_THREADS`` is swept in test_cli_values.py, ``COLUMNS`` and ``LINES`` in
test_cli.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evface import cli
from evface.commands import environment

SWEPT = ("MPLBACKEND", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "NUMBA_CACHE_DIR", "OMP_NUM_THREADS",
         "MKL_NUM_THREADS", "HDF5_USE_FILE_LOCKING", "LC_ALL", "PYTHONIOENCODING", "TZ", "SOURCE_DATE_EPOCH")
"""The variables a group may set; the clean environment has none of them (HOME, LANG and TMPDIR as given)."""

COMMANDS = """
import hashlib, json, re, sys
from pathlib import Path
from evface import cli
from evface.commands import environment
inputs, out = Path(sys.argv[1]), Path(sys.argv[2])
codes = [cli.main(args) for args in [
    ["convert", str(inputs / "in.raw"), str(out / "o.csv")],
    ["info", str(inputs / "in.raw")],
    ["faces", str(out / "f.png"), "--size", "16", "--seeds", "0", "--aus", "12", "--pose", "yaw=4", "--no-astronaut"],
    ["simulate", str(inputs / "v.avi"), "--out", str(out / "s.h5"), "--sensor", "32x24"],
    ["report", str(inputs / "run"), "--out", str(out / "r.html")]]]
files = {p.name: re.sub(rb"generated [^<]*? UTC", b"", p.read_bytes()) for p in sorted(out.iterdir())}
print(json.dumps({"codes": codes, "files": {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}}))
"""
"""Run in a child: the commands, then their exit codes and their files' digests (the report's time
of writing left out) as the last line of standard output."""


pytestmark = pytest.mark.xdist_group("environment")
"""With make test's ``--dist loadgroup`` one worker runs this file, so that its module fixtures
(`inputs`, and `clean`: the commands run in a clean environment) are built once (was: once in each worker)."""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A small events file, a 6-frame video and a fake run folder to report on."""
    import cv2  # lazy: OpenCV, for this module's video only

    from evface.events.core import make_events
    from evface.io.event_writer import write_events_file
    from report_fixtures import make_fake_run

    root = tmp_path_factory.mktemp("environment")
    i = np.arange(200)
    write_events_file(root / "in.raw", make_events(i * 10, i % 16, (i // 16) % 16, np.where(i % 2, 1, -1), (16, 16)),
                      (16, 16))
    writer = cv2.VideoWriter(str(root / "v.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (32, 24))
    for k in range(6):
        writer.write(np.full((24, 32, 3), 30 * k, dtype=np.uint8))
    writer.release()
    make_fake_run(root / "run")
    (root / "a-file").write_text("not a folder")
    return root


def _run(inputs: Path, out: Path, **settings: str) -> tuple[dict, str, str]:
    """The child's codes and digests, its other output lines and its standard error, under the
    clean environment with ``settings`` (``{inputs}``, ``{out}`` replaced by those folders, ``{spare}`` by one
    for folders that are made)."""
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in SWEPT}
    env.update({k: v.format(inputs=inputs, out=out, spare=out.parent) for k, v in settings.items()})
    result = subprocess.run([sys.executable, "-c", COMMANDS, str(inputs), str(out)], capture_output=True, text=True,
                            timeout=300, env=env)
    *lines, last = result.stdout.splitlines() or [""]
    assert result.returncode == 0 and last.startswith("{"), result.stderr[-3000:]
    shown = "\n".join(lines).replace(str(out), "OUT").replace("\\xb5", "\u00b5")  # main's backslashreplace: µ in ASCII
    shown = re.sub(r"[-+|\u2500-\u257f\s]+", " ", shown)  # rich draws info's table in ASCII there
    return json.loads(last), shown, result.stderr.replace(str(out), "OUT")


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory):
    return _run(inputs, tmp_path_factory.mktemp("clean") / "out")


GROUPS = {  # a private folder for matplotlib is made only where TMPDIR is this test run's
    "backend-bogus,home-a-file,numba-cache-a-file,text-values": dict(
        MPLBACKEND="bogus", HOME="{inputs}/a-file", NUMBA_CACHE_DIR="{inputs}/a-file", MKL_NUM_THREADS=" 2",
        HDF5_USE_FILE_LOCKING="bogus", LC_ALL="xx_YY.UTF-8", PYTHONIOENCODING="ascii", TZ="bogus/Nowhere",
        SOURCE_DATE_EPOCH=" 1700000000"),
    "backend-empty,tmpdir-missing,xdg-config-missing,blank-or-zero-values": dict(
        MPLBACKEND="", TMPDIR="{spare}/no/such/folder", XDG_CONFIG_HOME="{spare}/no/such/config", OMP_NUM_THREADS=" ",
        MKL_NUM_THREADS=" ", HDF5_USE_FILE_LOCKING="FALSE", LANG="C", LC_ALL="C", SOURCE_DATE_EPOCH=""),
    "tmpdir-a-file,home-missing": dict(TMPDIR="{inputs}/a-file", HOME="{spare}/no/such/home"),
    "configdir-unwritable": dict(MPLCONFIGDIR="{inputs}/a-file/matplotlib"),
    "xdg-cache-a-file,xdg-config-missing": dict(XDG_CACHE_HOME="{inputs}/a-file", XDG_CONFIG_HOME="{spare}/no/such"),
}


@pytest.mark.parametrize("settings", GROUPS.values(), ids=GROUPS.keys())
def test_a_hostile_environment_gives_the_clean_result(settings, inputs, clean, tmp_path):
    """``MPLBACKEND=bogus`` was ``internal error: ValueError: Key backend: 'bogus' is not a valid
    value for backend ...``, exit 1, of ``report``; a ``HOME``, ``XDG_*`` or ``MPLCONFIGDIR``
    matplotlib cannot write into two lines of matplotlib's ("mkdir -p failed ...", "Matplotlib
    created a temporary cache directory ..."); a blank ``OMP_NUM_THREADS`` two of libgomp's (an empty
    one, "libgomp: Invalid value for environment variable OMP_NUM_THREADS"); a blank
    ``SOURCE_DATE_EPOCH`` ``internal error: ValueError: invalid literal for int() with base 10: ''``,
    exit 1, of the commands that load scipy (numpy's f2py, which scipy loads, reads it with ``int()``)."""
    result, shown, err = _run(inputs, tmp_path / "out", **settings)
    assert result == clean[0] and result["codes"] == [0] * 5
    assert err == clean[2], err
    assert shown == clean[1]


@pytest.mark.parametrize("value", ["0", "abc", "-1", "4,0", "١٢", "5000", "9" * 5000], ids=lambda v: ascii(v)[:12])
def test_an_openmp_thread_setting_it_cannot_read_is_one_line(value, monkeypatch, capsys, inputs):
    """``OMP_NUM_THREADS=0`` (or text): torch's OpenMP runtime ignored it, all cores used, after two
    lines of its own before the command's output; now refused as NUMBA_NUM_THREADS is."""
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert cli.main(["info", str(inputs / "in.raw")]) == 2
    assert capsys.readouterr().err == (f"error: OMP_NUM_THREADS={value!r}: not a number of threads; give 1 to 4096, "
                                       "or unset it\n")


@pytest.mark.parametrize("value", ["0", "abc", "-3", "1.5", "2,1", "5000"], ids=ascii)
def test_an_mkl_thread_setting_it_cannot_read_is_one_line(value, monkeypatch, capsys, inputs):
    """``MKL_NUM_THREADS=abc`` (or -3, 1.5, a blank, " 2"): torch took it as 1 and trained on one
    thread without a word; now refused as OMP_NUM_THREADS is, a blank one dropped, spaces dropped."""
    monkeypatch.setenv("MKL_NUM_THREADS", value)
    assert cli.main(["info", str(inputs / "in.raw")]) == 2
    assert capsys.readouterr().err == (f"error: MKL_NUM_THREADS={value!r}: not a number of threads; give 1 to 4096, "
                                       "or unset it\n")
    blank, spaced = {"MKL_NUM_THREADS": " "}, {"MKL_NUM_THREADS": " 2 "}
    environment.check_mkl_threads(blank), environment.check_mkl_threads(spaced)
    assert blank == {} and spaced == {"MKL_NUM_THREADS": "2"}


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1e9", "١٢", "99999999999999", "9" * 5000], ids=lambda v: ascii(v)[:12])
def test_a_source_date_epoch_that_is_no_time_is_one_line(value, monkeypatch, capsys, inputs):
    """``SOURCE_DATE_EPOCH=abc`` (or 1.5, -1): ``internal error: ValueError: invalid literal for int()
    with base 10: 'abc'``, exit 1, of every command that loads scipy (numpy's f2py reads it); now one
    line naming it, before any work, as the report dates itself by it (test_rerun.py)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert cli.main(["info", str(inputs / "in.raw")]) == 2
    assert capsys.readouterr().err == (f"error: SOURCE_DATE_EPOCH={value!r:.80}: not a whole number of seconds since "
                                       "1970-01-01 UTC; give 0 to 253402300799, or unset it\n")


def test_openmps_list_of_thread_counts_is_taken(monkeypatch, capsys, inputs):
    monkeypatch.setenv("OMP_NUM_THREADS", "2, 1")  # nested levels: 2 threads, then 1 in each
    assert cli.main(["info", "--json", str(inputs / "in.raw")]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == 200


KERNEL = """
from evface.kernel_cache import cached_jit

@cached_jit()
def plus_one(x):
    return x + 1
"""


def test_a_numba_cache_dir_that_cannot_be_written_is_passed_over(tmp_path):
    """evface installed read-only, the home unwritable and ``NUMBA_CACHE_DIR`` a file (a volume not
    mounted): numba passes over that folder, and importing a kernel was ``RuntimeError: cannot cache
    function ...: no locator available``, a traceback of every command; now cached in the private
    folder, as without NUMBA_CACHE_DIR. The folders are unwritable as for any user, root too: files
    where numba makes its folders."""
    (tmp_path / "site" / "kernels").mkdir(parents=True)
    (tmp_path / "site" / "kernels" / "one.py").write_text(KERNEL)
    (tmp_path / "site" / "kernels" / "__pycache__").write_text("not a folder")
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in SWEPT}
    env.update(HOME=str(tmp_path / "a-file"), NUMBA_CACHE_DIR=str(tmp_path / "a-file"), TMPDIR=str(tmp_path / "tmp"),
               PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), *sys.path]), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-c", "from kernels.one import plus_one; print(plus_one(1))"],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "2\n", "")
    assert list((tmp_path / "tmp" / f"evface-numba-{os.getuid()}").rglob("*.nbi"))


def test_matplotlibs_folders_are_its_own_where_it_can_write_them(tmp_path):
    """Only a folder matplotlib cannot use is replaced (here ``XDG_CONFIG_HOME`` a file): one that
    can be made, or written, is left as the user set it, and a matplotlibrc in it read."""
    environ = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "no" / "such")}
    environment.settle_matplotlib(environ)
    assert "MPLCONFIGDIR" not in environ
    environ["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    (tmp_path / "config").write_text("not a folder")
    environment.settle_matplotlib(environ)
    assert Path(environ["MPLCONFIGDIR"]).name == f"evface-matplotlib-{os.getuid()}"
