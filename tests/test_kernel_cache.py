"""numba's cache of the kernels where evface's folder and the user's cache folder cannot be written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import evface
from evface.kernel_cache import private_folder

KERNELS_RUN = """
from evface.events.core import check_stream, make_events
import evface.io.evt, evface.sim.dvs, evface.events.representations  # every kernel made as they are imported
events = make_events([1, 2, 3], [0, 1, 2], [0, 0, 1], [1, 0, 1])
check_stream(events, (4, 4))  # the compiled scan of order, polarity and coordinates
print(len(events))
from numba.core import config
print(config.CACHE_DIR)
"""


def test_kernels_compile_and_cache_where_no_folder_numba_knows_can_be_written(tmp_path):
    """evface installed read-only (system-wide, a container image run as another user) with a home
    that cannot be written: importing it was ``RuntimeError: cannot cache function '_first_bad': no
    locator available``, every command an internal error. Both folders are made unwritable here as
    they are for any user, root too: a file where numba makes its folders."""
    copy = tmp_path / "site"
    shutil.copytree(Path(evface.__file__).parent, copy / "evface", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [copy / "evface", *(p for p in (copy / "evface").rglob("*") if p.is_dir())]:
        (folder / "__pycache__").write_text("not a folder")
    home = tmp_path / "home"
    home.write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE_DIR", "XDG_CACHE_HOME"))}
    env.update(HOME=str(home), TMPDIR=str(tmp_path / "tmp"), PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-c", KERNELS_RUN], capture_output=True, text=True, timeout=300, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    private = tmp_path / "tmp" / f"evface-numba-{os.getuid()}"
    assert result.stdout.split() == ["3", str(private)]
    assert list(private.rglob("*.nbi")) and oct(private.stat().st_mode & 0o777) == "0o700"


def test_a_cache_folder_others_can_write_into_is_not_used(tmp_path, monkeypatch):
    """numba's cache holds pickles, which run code when loaded: a folder of the private folder's
    name that others may write into (made by another user first) is left alone for a new one."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    planted = tmp_path / f"evface-numba-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    made = Path(private_folder())
    assert made != planted and made.parent == tmp_path and oct(made.stat().st_mode & 0o777) == "0o700"
    planted.chmod(0o700)
    assert Path(private_folder()) == planted


def test_no_temporary_folder_that_can_be_written_is_one_line_naming_tmpdir(tmp_path, monkeypatch, capsys):
    """``TMPDIR`` and every folder Python tries after it unwritable, where a command needs a private
    folder (here matplotlib's, the home a file): was ``error: [Errno 2] No usable temporary directory
    found in [...]``, no variable named. Python's list of folders is made unwritable for any user,
    root too (who may write into ``/tmp`` whatever its mode): a file where each folder would be."""
    import tempfile

    from evface.cli import main

    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for name in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TMP", "TEMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(a_file))
    monkeypatch.setenv("TMPDIR", str(a_file / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [os.environ["TMPDIR"], str(a_file)])
    assert main(["faces", str(tmp_path / "sheet.png"), "--seeds", "0", "--size", "32"]) == 2
    assert capsys.readouterr().err == (f"error: no temporary folder can be written (tried TMPDIR={a_file}/tmp, "
                                       f"{a_file}); set TMPDIR to a folder this user can write\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
