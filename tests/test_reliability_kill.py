"""``kill -9`` of a real ``evface`` process in the middle of its work (issue 17, finding 8).

For ``convert``, ``synth`` and ``train``: the process is killed with SIGKILL while it writes; then
no output name holds a partial file, the previous output is intact, and running the same command
again (``convert`` with ``--force``, its OUT being there) finishes with exactly what an
uninterrupted run gives (same bytes, or same weights). A killed writer may leave its temporary
``NAME.HOST-PID-RANDOM.tmp`` beside the output (each writer has its own); the rerun's writer
removes it, its process being gone.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from test_classify import make_fake_dataset as make_classify_dataset

from evface.cli import main
from evface.events.core import make_events
from evface.io.event_writer import write_events_file
from evface.tasks import checkpoints

ROOT = Path(__file__).resolve().parents[1]


def _kill_when(argv: list[str], ready: Callable[[], bool], timeout: float = 120, **env_vars: str) -> None:
    """Run ``evface ARGV`` in a child process (``env_vars`` added to its environment) and SIGKILL it
    as soon as ``ready()`` holds.

    Fails if the child ends before that: the kill must land while it works."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **env_vars}
    child = subprocess.Popen([sys.executable, "-m", "evface.cli", *argv], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert child.poll() is None, f"evface ended before the kill: {child.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "the child never reached the point to kill it at"
            time.sleep(0.002)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_convert_killed_keeps_the_old_output_and_reruns_to_the_same_bytes(tmp_path):
    rng = np.random.default_rng(0)
    n = 1_000_000
    events = make_events(np.sort(rng.integers(0, 60_000_000, n)), rng.integers(0, 640, n), rng.integers(0, 480, n),
                         rng.choice([-1, 1], n), (640, 480))
    src = write_events_file(tmp_path / "in.h5", events, (640, 480))
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "rec.raw"
    previous = write_events_file(out, events[:10], (640, 480)).read_bytes()  # an earlier output: replaced on success
    _kill_when(["convert", str(src), str(out), "--chunk-us", "100000", "--force"],
               lambda: any(tmp.stat().st_size > 0 for tmp in out.parent.glob("rec.raw.*.tmp")))
    assert len(list(out.parent.glob("rec.raw.*.tmp"))) == 1  # the killed writer's
    assert out.read_bytes() == previous
    assert main(["convert", str(src), str(out), "--force"]) == 0
    assert main(["convert", str(src), str(tmp_path / "whole.raw")]) == 0
    assert out.read_bytes() == (tmp_path / "whole.raw").read_bytes()
    assert [p.name for p in out.parent.iterdir()] == ["rec.raw"]  # the rerun removed it


SYNTH = ["--preset", "tiny", "--subjects", "1", "--classes", "AU4", "--lighting", "bright"]


def test_synth_killed_mid_clip_resumes_to_the_same_bytes(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert main(["synth", str(whole), *SYNTH]) == 0
    _kill_when(["synth", str(killed), *SYNTH], lambda: any(killed.glob("clips/*.h5.*.tmp")))
    assert not (killed / "manifest.csv").exists()
    assert main(["synth", str(killed), *SYNTH]) == 0
    assert _digests(killed) == _digests(whole)


def test_training_killed_mid_run_resumes_to_the_same_weights(tmp_path):
    data = make_classify_dataset(tmp_path / "data", subjects=("s0", "s1", "s2"), labels=("AU12", "AU4"), per_class=2)
    args = ["--data", str(data), "--sensor", "lr", "--time-steps", "2", "--size", "16", "--depth", "1", "--width", "4",
            "--batch-size", "2", "--epochs", "4", "--patience", "0", "--device", "cpu", "--learning-rate", "0.01"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    # One torch thread here and in the child: sums split over another number of threads round
    # differently, and an earlier test in this process may have left any thread count.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["train", "classify", *args, "--out", str(whole)]) == 0
        _kill_when(["train", "classify", *args, "--out", str(killed)], (killed / "checkpoint.pt").exists,
                   OMP_NUM_THREADS="1")
        assert not (killed / "metrics.json").exists()
        assert checkpoints.load_checkpoint(killed / "checkpoint.pt")["epoch"] < 3  # whole, and mid-run
        assert main(["train", "classify", *args, "--out", str(killed)]) == 0
    finally:
        torch.set_num_threads(threads)
    for name in ("checkpoint.pt", "best.pt"):
        a, b = checkpoints.load_checkpoint(whole / name)["model"], checkpoints.load_checkpoint(killed / name)["model"]
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert not list(killed.rglob("*.tmp"))
