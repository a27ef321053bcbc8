"""Training under torchrun as a lab would start it, and what it says when something goes wrong: an error
every rank meets is said once, one only some ranks meet names them, a rank whose peer died says so in one
line, and a command that does not train under torchrun is refused instead of run once per rank."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evface.cli import main
from evface.datasets.toy import toy_dataset

TORCHRUN = Path(sys.executable).with_name("torchrun")
TINY = ["--sensor", "lr", "--epochs", "50", "--patience", "50", "--size", "8", "--depth", "1", "--width", "2",
        "--time-steps", "1", "--norm", "none", "--no-augment", "--device", "cpu"]


def torchrun(args: list[str], tmp_path: Path, rank1_site: str = "", cwd: Path | None = None,
             monitor_s: float = 0.1) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node 2 -m evface.cli ARGS``; ``rank1_site`` runs first in rank 1's interpreter
    (a ``sitecustomize``). torchrun looks at its ranks every ``monitor_s`` (its default, 0.1 s): longer, and a
    rank that fails does not end its peer before the peer has said what it saw."""
    if not TORCHRUN.exists():
        pytest.skip("torchrun not installed next to the interpreter")
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text("import os\nif os.environ.get('RANK') == '1':\n"
                                           + textwrap.indent(rank1_site or "pass", "    ") + "\n")
    path = os.pathsep.join([str(site), str(Path(__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run([str(TORCHRUN), "--standalone", "--nproc_per_node", "2", "--monitor-interval", str(monitor_s),
                           "-m", "evface.cli", *args], capture_output=True, text=True, timeout=240, cwd=cwd,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path})


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("error:", "internal error:"))]


@pytest.mark.parametrize("task, options", [("classify", TINY), ("reconstruct", ["--sensor", "lr", "--epochs", "1"])])
def test_an_error_every_rank_meets_is_said_once(tmp_path, task, options):
    """A dataset folder that is not one: every rank refused it and the line came twice (either training)."""
    proc = torchrun(["train", task, "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"), *options],
                    tmp_path)
    said = errors(proc.stderr)
    assert len(said) == 1 and said[0].startswith("error: /") and "nowhere" in said[0], proc.stderr[-3000:]
    assert not (tmp_path / "run").exists()


def test_a_dataset_only_rank_0_sees_is_named_with_the_other_rank(tmp_path):
    """``--data`` that rank 1 cannot read (its node mounts no such folder; here: it starts in another folder
    and the path is relative): one line naming rank 1, from rank 0, and nothing written."""
    toy_dataset(tmp_path / "data")
    (tmp_path / "elsewhere").mkdir()
    proc = torchrun(["train", "classify", "--data", "data", "--out", str(tmp_path / "run"), *TINY], tmp_path,
                    rank1_site=f"os.chdir({str(tmp_path / 'elsewhere')!r})", cwd=tmp_path)
    said = errors(proc.stderr)
    assert len(said) == 1 and said[0].startswith("error: rank 1 of 2: ") and "data" in said[0], proc.stderr[-3000:]
    assert not (tmp_path / "run").exists()


def test_a_rank_killed_mid_training_leaves_its_peer_one_line(tmp_path):
    """Rank 1 killed (the OOM killer, ``kill -9``) in its first epoch: rank 0, waiting for it in a collective,
    said "internal error: RuntimeError: [.../gloo/transport/tcp/pair.cc] Connection closed by peer ... please
    report it", exit 1; now one line that another rank stopped and the command resumes, exit 2."""
    toy_dataset(tmp_path / "data")
    kill = textwrap.dedent("""
        import signal
        from evface.tasks import parallel
        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        parallel.all_reduce_mean = killed
    """)
    proc = torchrun(["train", "classify", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"), *TINY],
                    tmp_path, rank1_site=kill, monitor_s=5)
    said = errors(proc.stderr)
    assert proc.returncode != 0
    assert len(said) == 1 and said[0].startswith("error: rank 0 of 2: another rank of this torchrun job stopped"), \
        proc.stderr[-3000:]


@pytest.mark.parametrize("command", [["eval", "RUN", "--data", "DATA"], ["export-nir", "RUN", "OUT.nir"],
                                     ["synth", "OUT", "--preset", "tiny"], ["run", "--out", "OUT"]])
def test_a_command_that_does_not_train_is_refused_under_torchrun(command, tmp_path, monkeypatch, capsys):
    """``torchrun --nproc_per_node 2 -m evface.cli eval RUN ...`` ran the whole evaluation in each rank, both
    writing the same metrics.json (rank 0 alone holds the folder's lock), and ``synth`` filmed every clip twice
    into one folder. Now rank 0 refuses it in one line
    and the other ranks leave silently, all with exit 2; nothing is read or written."""
    args = [str(tmp_path / a) if a.isupper() else a for a in command]
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: evface {command[0]} runs in one process") and err.count("error:") == 1
    monkeypatch.setenv("RANK", "1")
    assert main(args) == 2
    assert capsys.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []
