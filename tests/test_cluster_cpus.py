"""The CPUs a process may use on a shared cluster node: a batch system gives a job 4 of a node's 64
cores (its affinity: ``taskset``, a CPU set; or a cgroup CPU quota), and every pool and thread
count evface sizes by the CPUs takes those 4, not the node's 64 (``os.cpu_count()``, which a run
used until 2026-12-07: 64 jobs on 4 cores). The cgroup files are read from fake folders."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evface import executor
from evface.executor import cgroup_cpus, usable_cpus

ROOT = Path(__file__).resolve().parents[1]

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2,
                                    reason="a process's CPUs narrowed: Linux, on a machine of 2 CPUs or more")


def _cgroup(root: Path, membership: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A fake cgroup mount ``root`` holding ``files`` (path -> text) and the process's ``membership`` file."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "self").write_text(membership)
    return root, root / "self"


@pytest.mark.parametrize("cpu_max, cpus", [("400000 100000\n", 4), ("450000 100000\n", 4), ("50000 100000\n", 1),
                                           ("max 100000\n", None), ("", None), ("many 100000\n", None),
                                           ("400000\n", None), ("0 100000\n", None)])
def test_a_v2_quota_is_whole_cpus_rounded_down_at_least_one(tmp_path, cpu_max, cpus):
    root, self = _cgroup(tmp_path, "0::/job\n", {"job/cpu.max": cpu_max})
    assert cgroup_cpus(root, self) == cpus


def test_a_v2_quota_above_the_process_cgroup_caps_it_the_lowest_counting(tmp_path):
    """Slurm's job cgroup over its step's: each caps the ones below it."""
    root, self = _cgroup(tmp_path, "0::/slurm/job_7/step_0\n",
                         {"slurm/job_7/cpu.max": "300000 100000", "slurm/job_7/step_0/cpu.max": "max 100000",
                          "slurm/cpu.max": "800000 100000"})
    assert cgroup_cpus(root, self) == 3


@pytest.mark.parametrize("quota, period, cpus", [("200000", "100000", 2), ("-1", "100000", None), ("250000", "50000", 5),
                                                 ("100000", "0", None)])
def test_a_v1_quota_is_read_from_the_cpu_hierarchy(tmp_path, quota, period, cpus):
    membership = "5:memory:/job\n4:cpu,cpuacct:/job\n0::/\n"
    root, self = _cgroup(tmp_path, membership, {"cpu,cpuacct/job/cpu.cfs_quota_us": quota,
                                                "cpu,cpuacct/job/cpu.cfs_period_us": period,
                                                "memory/job/cpu.cfs_quota_us": "100000",  # not the cpu hierarchy
                                                "memory/job/cpu.cfs_period_us": "100000"})
    assert cgroup_cpus(root, self) == cpus


def test_a_container_seeing_its_own_cgroup_at_the_root_is_read_there(tmp_path):
    """Docker on cgroup v1 without a cgroup namespace: ``/proc/self/cgroup`` names the host's path."""
    root, self = _cgroup(tmp_path, "3:cpu:/docker/0123abcd\n",
                         {"cpu/cpu.cfs_quota_us": "150000", "cpu/cpu.cfs_period_us": "100000"})
    assert cgroup_cpus(root, self) == 1


@pytest.mark.parametrize("membership", ["", "0::/../outside\n", "no colons here\n", "0::relative\n", None])
def test_nothing_read_caps_nothing(tmp_path, membership):
    """No membership file (not Linux), none of its lines a cgroup path in this namespace: no quota, as no cgroup is known."""
    files = {"cpu.max": "100000 100000", "outside/cpu.max": "100000 100000"}
    root, self = _cgroup(tmp_path, membership or "", files)
    if membership is None:
        self.unlink()
    assert cgroup_cpus(root, self) is None


@pytest.fixture
def node_of_64_cpus_with_a_quota_of_one(tmp_path, monkeypatch):
    """This process on a node of 64 CPUs (``os.cpu_count()``) in a cgroup whose quota is 1 CPU."""
    root, self = _cgroup(tmp_path, "0::/job\n", {"job/cpu.max": "100000 100000"})
    monkeypatch.setattr(executor, "CGROUP_ROOT", root)
    monkeypatch.setattr(executor, "CGROUP_MEMBERSHIP", self)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)


def test_the_quota_sizes_the_pools_and_threads(node_of_64_cpus_with_a_quota_of_one):
    from evface.bench import machine
    from evface.pipeline.run import threads_per_job
    from evface.tasks import parallel
    from evface.tasks.reconstruct import default_threads

    assert usable_cpus() == 1
    assert threads_per_job(1) == 1
    with parallel.torch_threads(2):
        assert default_threads() == 1  # was: 2, half the node's 64 capped by torch's 2
    assert executor.check_workers(4, "--jobs") == 4
    with pytest.raises(executor.ParameterError, match=r"^--jobs 5: this process may use 1 CPU of this machine's 64; "
                                                      r"more than 4 processes only compete"):
        executor.check_workers(5, "--jobs")  # was: allowed up to 256
    figures = machine()
    assert (figures["cores"], figures["cores_usable"]) == (64, 1)


def _narrowed(cpu: int):
    return lambda: os.sched_setaffinity(0, {cpu})


def _run_narrowed(code: str, *args: str) -> subprocess.CompletedProcess:
    """``python -c code args`` in a process that may run on one CPU only (as ``taskset -c N``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600, env=env,
                          preexec_fn=_narrowed(min(os.sched_getaffinity(0))))


@needs_affinity
def test_one_cpu_of_the_machine_is_what_a_process_under_taskset_may_use():
    done = _run_narrowed("import os; from evface.executor import usable_cpus; print(usable_cpus(), os.cpu_count())")
    assert done.stdout.split() == ["1", str(os.cpu_count())], done.stderr


RUN_UNTIL_FIRST_LINE = """
import sys
from evface.pipeline.run import run_pipeline

class Seen(Exception):
    pass

def log(line):
    print(line)
    raise Seen

try:
    run_pipeline(sys.argv[1], preset="tiny", log=log)
except Seen:
    pass
"""


@needs_affinity
def test_evface_run_under_taskset_runs_one_job_by_default(tmp_path):
    """The run says the default it chose before it makes anything (was: one job per CPU of the machine, unsaid)."""
    done = _run_narrowed(RUN_UNTIL_FIRST_LINE, str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"--jobs 1 (one per CPU this process may use, 1 of this machine's "
                                   f"{os.cpu_count()}): one job at a time, in this process")
    assert not (tmp_path / "out").exists()


def test_evface_run_says_its_default_jobs_and_threads(monkeypatch, tmp_path):
    """On 4 CPUs of a node's 64: 4 jobs of 1 torch thread each, said before the run makes anything."""
    from evface.pipeline import run

    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(run, "usable_cpus", lambda: 4)
    lines = []

    def log(line):
        lines.append(line)
        raise KeyboardInterrupt  # the run stopped at its first line

    with pytest.raises(KeyboardInterrupt):
        run.run_pipeline(tmp_path / "out", preset="tiny", log=log)
    assert lines == ["--jobs 4 (one per CPU this process may use, 4 of this machine's 64), 1 torch thread each"]
    assert not (tmp_path / "out").exists()


@needs_affinity
def test_jobs_beyond_four_per_usable_cpu_are_refused_under_taskset():
    """``evface run --jobs 5`` on one CPU of a 2-CPU machine (was: let in, up to 4 per CPU of the machine)."""
    done = _run_narrowed("from evface.cli import main; raise SystemExit(main(['run', '--jobs', '5', '--ray', 'auto']))")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: --jobs 5: this process may use 1 CPU of this machine's {os.cpu_count()}; "
                                   "more than 4 processes only compete for them (a cluster runs more: --ray)")


def test_torch_threads_per_job_share_the_usable_cpus(monkeypatch):
    from evface.pipeline import run

    monkeypatch.setattr(run, "usable_cpus", lambda: 4)
    assert [run.threads_per_job(jobs) for jobs in (1, 2, 3, 4, 16)] == [4, 2, 1, 1, 1]


# --------------------------------------------------------------------------- data-side: a merged dataset's skipped faces


def test_a_merge_lists_every_shards_skipped_faces_once_by_absolute_path(tmp_path, monkeypatch):
    """Shards made on two nodes started in other folders, ``--faces`` given relative, the folder holding one file
    more when the second was made: the merged ``dataset.json`` lists each skipped file once, where it is (was: shard
    0's list alone, each file as its command spelled it, relative to a folder nothing records)."""
    import cv2
    from skimage import data

    from evface.cli import main
    from evface.io.dataset import read_dataset_json

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    (photos / "notes.txt").write_text("not an image")
    plan = ["--preset", "tiny", "--subjects", "0", "--classes", "AU4", "--lighting", "bright,dim"]
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "s0", *plan, "--faces", "photos", "--shard", "0/2"]) == 0
    (photos / "extra.txt").write_text("not an image either")
    (tmp_path / "node2").mkdir()
    monkeypatch.chdir(tmp_path / "node2")
    assert main(["synth", "../s1", *plan, "--faces", "../photos", "--shard", "1/2"]) == 0
    assert main(["synth-merge", "../merged", "../s0", "../s1"]) == 0
    skipped = read_dataset_json(tmp_path / "merged")["skipped_faces"]
    assert [problem["file"] for problem in skipped] == [str(photos / "notes.txt"), str(photos / "extra.txt")]
    assert all(problem["reason"].startswith("skipped: not an image file") for problem in skipped)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a quota below the affinity needs 2 CPUs")
def test_numba_and_torch_start_the_threads_a_quota_allows():
    """Under a CPU quota of 1 on 2 CPUs numba and torch started 2 threads each (they read the affinity
    alone): `evface` now sets NUMBA_NUM_THREADS and OMP_NUM_THREADS first, where the user set neither."""
    code = """
from evface import executor
executor.cgroup_cpus = lambda root, membership: 1
from evface.commands import environment
environment.settle()
import numba, torch
print(numba.config.NUMBA_NUM_THREADS, torch.get_num_threads())
"""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")}
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert said.stdout.split() == ["1", "1"]
    env["OMP_NUM_THREADS"] = "2"  # what the user set is kept
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert said.stdout.split() == ["1", "2"]
