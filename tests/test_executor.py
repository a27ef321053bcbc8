"""The executors without Ray: results as they arrive, the first failure stops the rest, and Ray
stays out of every local path."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from operator import mul
from pathlib import Path

import pytest

from evface.cli import main
from evface.errors import ParameterError
from evface.executor import InProcess, Job, ProcessPool
from evface.ray_cluster import RayCluster
from evface.ray_connect import _is_ray_head

REPO = Path(__file__).parents[1]


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _fail_or_touch(path: str, fail: bool) -> None:
    if fail:
        raise ValueError(f"job for {Path(path).name} broke")
    time.sleep(0.5)
    Path(path).touch()


def test_in_process_runs_in_order_here():
    seen = []
    InProcess().run([Job(str(i), mul, (i, 10)) for i in range(4)], lambda job, r: seen.append((job.name, r)))
    assert seen == [("0", 0), ("1", 10), ("2", 20), ("3", 30)]


def test_process_pool_hands_back_results_as_they_finish_from_other_processes():
    seen = []
    jobs = [Job("slow", _pid_after, (1.5,)), Job("fast", _pid_after, (0.0,))]
    ProcessPool(2).run(jobs, lambda job, pid: seen.append((job.name, pid)))
    assert [name for name, _ in seen] == ["fast", "slow"]
    assert os.getpid() not in {pid for _, pid in seen}


def test_a_result_can_release_more_jobs():
    def times_ten(job, result):  # each first job releases one that needs its result
        seen.append((job.name, result))
        return [Job(job.name + "x10", mul, (result, 10))] if len(job.name) == 1 else None

    for executor in (InProcess(), ProcessPool(2)):
        seen = []
        executor.run([Job("a", mul, (1, 2)), Job("b", mul, (3, 4))], times_ten)
        assert sorted(seen) == [("a", 2), ("ax10", 20), ("b", 12), ("bx10", 120)], executor


def test_a_free_worker_takes_the_waiting_job_of_highest_priority():
    def then(job, result):
        seen.append(job.name)
        return [Job("urgent", mul, (1, 1), priority=2)] if job.name == "a" else None

    for executor in (InProcess(), ProcessPool(1)):
        seen = []
        jobs = [Job("a", mul, (1, 1)), Job("b", mul, (1, 1)), Job("c", mul, (1, 1), priority=1), Job("d", mul, (1, 1))]
        executor.run(jobs, then)
        assert seen == ["c", "a", "urgent", "b", "d"], executor  # among equals, the first queued


def test_the_first_failure_is_raised_and_the_queued_jobs_do_not_start(tmp_path):
    jobs = [Job("bad", _fail_or_touch, (str(tmp_path / "bad"), True))]
    jobs += [Job(f"ok{i}", _fail_or_touch, (str(tmp_path / f"ok{i}"), False)) for i in range(6)]
    with pytest.raises(ValueError, match="job for bad broke"):
        ProcessPool(1).run(jobs, lambda job, r: None)
    assert len(list(tmp_path.iterdir())) < 6
    with pytest.raises(ParameterError, match="at least one worker"):
        ProcessPool(0).run(jobs, lambda job, r: None)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel ends the workers on Linux only")
def test_the_pool_workers_end_when_the_command_is_killed():
    """SIGKILL of evface run --jobs N (the OOM killer, a scheduler's hard stop) left its training
    workers running, writing into the run folder that the next run took over."""
    code = "import time; from evface.executor import Job, ProcessPool; ProcessPool(1).run([Job('x', time.sleep, (60,))], print)"
    driver = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not workers and time.monotonic() < deadline:
            time.sleep(0.2)
            table = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(driver.pid)], capture_output=True,
                                   text=True).stdout
            workers = [int(line.split()[0]) for line in table.splitlines() if "spawn_main" in line]
        assert workers, "the pool's worker did not start"
        time.sleep(1)  # it takes the job
        driver.kill()
        driver.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers))
    finally:
        for pid in filter(_alive, workers):
            os.kill(pid, 9)


_WRITER = """
import sys, time
from pathlib import Path
from evface.cli import _sigterm_as_ctrl_c
from evface.executor import Job, ProcessPool

def write(folder):  # as write_samples does: into NAME.tmp, removed on any exception
    tmp = Path(folder) / "samples.tmp"
    tmp.mkdir()
    try:
        time.sleep(60)
    except BaseException:
        tmp.rmdir()
        raise

if __name__ == "__main__":
    with _sigterm_as_ctrl_c({"by": False}):  # as the evface command does
        ProcessPool(2).run([Job("write", write, (sys.argv[1],)), Job("idle", time.sleep, (0,))], print)
"""


@pytest.mark.parametrize("group", [False, True], ids=["command", "process-group"])
def test_a_terminated_pool_lets_its_jobs_clean_up(tmp_path, group):
    """SIGTERM of evface run --jobs N (timeout, a scheduler's time limit; Slurm and systemd send it
    to every process of the job) ended the training workers by the default action: a
    reconstruction's samples.tmp was left in the run folder."""
    (tmp_path / "writer.py").write_text(_WRITER)
    driver = subprocess.Popen([sys.executable, str(tmp_path / "writer.py"), str(tmp_path)], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "samples.tmp").exists():
            assert driver.poll() is None and time.monotonic() < deadline, "the job did not start"
            time.sleep(0.1)
        time.sleep(0.5)  # the idle worker waits for a job
        if group:
            os.killpg(driver.pid, signal.SIGTERM)
        else:
            driver.send_signal(signal.SIGTERM)
        err = driver.communicate(timeout=30)[1]
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    assert driver.returncode != 0 and not (tmp_path / "samples.tmp").exists()
    assert "SpawnProcess" not in err, err  # no worker's traceback


def test_local_runs_never_import_ray():
    code = ("import sys, evface.cli, evface.pipeline.run, evface.datasets.synth, evface.executor; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}).returncode == 0


def test_ray_option_errors_are_one_line(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "a"), "--preset", "tiny", "--workers", "2", "--ray", "auto"]) == 2
    assert "--jobs is for a local run" in capsys.readouterr().err
    assert main(["run", "--out", str(tmp_path / "r"), "--jobs", "3", "--ray", "auto"]) == 2  # --jobs was ignored
    assert "--jobs is for a local run" in capsys.readouterr().err and not (tmp_path / "r").exists()
    pytest.importorskip("ray")
    with pytest.raises(ParameterError, match="--ray 127.0.0.1:9: no Ray head node answers"):
        RayCluster("127.0.0.1:9").run([Job("x", mul, (1, 2))], lambda job, r: None)


@pytest.mark.parametrize("command", ["run", "synth"])
def test_a_cluster_that_does_not_answer_writes_nothing(tmp_path, capsys, command):
    # run: OUT, its data folder and the synth stage's folder were made before the connection failed;
    # synth: OUT with dataset.json and an empty clips/
    pytest.importorskip("ray")
    out = ["--out", str(tmp_path / "out")] if command == "run" else [str(tmp_path / "out")]
    assert main([command, *out, "--preset", "tiny", "--ray", "127.0.0.1:9"]) == 2
    assert "--ray 127.0.0.1:9: no Ray head node answers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["99999999999999999999999", "host:0", "host:70000", "host:x", "host", "6379", ":6379", "",
                                     "host:\u00b2"])  # \u00b2: int() raised ValueError, exit 1
def test_a_ray_address_without_a_port_is_named(tmp_path, capsys, address):
    """A bare number was an OverflowError (exit 1) in the connection attempt; a port alone was "no Ray
    head node answers there ([Errno -2] Name or service not known)", and an empty one Ray's "Invalid
    address format:"."""
    pytest.importorskip("ray")
    assert main(["synth", str(tmp_path / "out"), "--preset", "tiny", "--ray", address]) == 2
    assert f"--ray {address}: expected auto or HOST:PORT with a port in 1..65535" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_address_where_something_else_answers_is_refused_at_once(tmp_path, capfd):
    """A port that answers but is no Ray head node (an HTTP server; the dashboard's port): ray.init
    tried for 20 s, printing a warning of Ray's C++ core each second, then said it cannot connect."""
    pytest.importorskip("ray")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer() -> None:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:  # the server closed: the test is over
                    return
                with connection:
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")

        threading.Thread(target=answer, daemon=True).start()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        start = time.monotonic()
        assert main(["synth", str(tmp_path / "out"), "--preset", "tiny", "--ray", address]) == 2
        assert time.monotonic() - start < 10
    err = capfd.readouterr().err
    assert f"--ray {address}: something answers there, but not a Ray head node" in err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def _raise_type_error(**kwargs):
    raise TypeError("GcsClient() got an unexpected keyword argument 'address'")


@pytest.mark.parametrize("ray_module", [
    types.SimpleNamespace(exceptions=types.SimpleNamespace(RpcError=OSError)),  # no _raylet.GcsClient
    types.SimpleNamespace(_raylet=types.SimpleNamespace(GcsClient=_raise_type_error),
                          exceptions=types.SimpleNamespace(RpcError=OSError)),  # another signature
], ids=["no-client", "other-client"])
def test_the_head_check_leaves_the_question_to_ray_init_where_rays_internal_client_differs(ray_module):
    """The check of a --ray address past its HTTP/2 answer uses Ray's internal GCS client (no
    public call asks without ray.init's 20 retries): a Ray release without it, or with other
    arguments, was an AttributeError or TypeError, "internal error" and exit 1 for every --ray run."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer() -> None:  # an HTTP/2 server's first frame: SETTINGS
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(bytes.fromhex("000000040000000000"))
                connection.recv(64)

        threading.Thread(target=answer, daemon=True).start()
        assert _is_ray_head(ray_module, "127.0.0.1", server.getsockname()[1]) is True


@pytest.mark.parametrize(("value", "says"), [("http://127.0.0.1:8265", "a URL (of Ray's job server or Ray Client) is not"),
                                             ("127.0.0.1:9", "no Ray head node answers there")])
def test_ray_auto_checks_the_address_in_ray_address(tmp_path, capsys, monkeypatch, value, says):
    """``--ray auto`` connects where RAY_ADDRESS says, which Ray's job commands want as the job
    server's URL: it was not checked (a port where something else answers: 21 s of Ray's warnings
    or more), and a URL was "Invalid Ray address ... To fix this, either:" and nothing after."""
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_ADDRESS", value)
    assert main(["synth", str(tmp_path / "out"), "--preset", "tiny", "--ray", "auto"]) == 2
    err = capsys.readouterr().err
    assert f"--ray auto (RAY_ADDRESS={value}): {says}" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
