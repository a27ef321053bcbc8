"""``--ray ADDRESS`` on a local Ray cluster (a head and one worker node on 127.0.0.1, one CPU each):
the same dataset bytes and the same metrics as a local run (and, for each training stage it runs, whose
parts are tasks, as its parts trained one after the other in one call), and a killed worker is retried."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")  # the ray extra (in the test extra); absent only in a bare install

from evface.cli import main  # noqa: E402
from evface.errors import DatasetError  # noqa: E402
from evface.executor import Job, JobFailedError  # noqa: E402
from evface.ray_cluster import RayCluster  # noqa: E402
from evface.ray_connect import connect  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")  # with --dist loadgroup, one cluster serves every test here
REPO = Path(__file__).parents[1]
RAY = str(Path(sys.executable).with_name("ray"))
TINY = ["--preset", "tiny", "--seed", "0", "--subjects", "2", "--classes", "AU4", "--lighting", "bright,dim"]
RAY_STAGES = ("events-lr", "rgb", "recon-events-only-lr")
"""The stages of the tiny pipeline the Ray pipeline test runs three times (its other six train the same kinds of job)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """End a ``ray start --block`` process; it takes the Ray processes it started with it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ray_env() -> dict[str, str]:
    """The environment of a test cluster's processes: this checkout first on the path, and Ray's
    token authentication off (Ray 2.60 turns it on for 'ray start' wherever ~/.ray/auth_token exists,
    which any local ``ray.init()`` writes, and a driver given the address does not send the token)."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path, "RAY_AUTH_MODE": "disabled"}


COMMON = ["--block", "--node-ip-address=127.0.0.1", "--object-store-memory=80000000", "--disable-usage-stats"]


def _head(temp: str, cpus: int = 1, **env: str) -> tuple[subprocess.Popen, int]:
    """A ``ray start --head --block`` process on a free port of 127.0.0.1 (with ``cpus``), once it
    listens, and its port; ``env``: more environment variables for it. A head that exits before it
    listens (its port taken meanwhile by a process of the other test worker, a start that failed
    under load) is started again on another port, three tries in all."""
    for _ in range(3):
        port = _free_port()
        head = subprocess.Popen([RAY, "start", "--head", f"--port={port}", "--include-dashboard=false",
                                 f"--temp-dir={temp}", f"--num-cpus={cpus}", *COMMON], env={**_ray_env(), **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not _listening(port) and head.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if _listening(port) and head.poll() is None:
            return head, port
        _stop(head)
    raise AssertionError("ray start --head did not come up in three tries")


@pytest.fixture(scope="module")
def cluster():
    """The address of a Ray cluster on 127.0.0.1 (head + one worker node), stopped afterwards."""
    temp = tempfile.mkdtemp(prefix="evray-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    started = []
    try:
        head, port = _head(temp)
        started.append(head)
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        started.append(subprocess.Popen([RAY, "start", f"--address={address}", "--num-cpus=1", *COMMON], env=_ray_env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ray.init(address=address, logging_level="warning")
        try:
            while ray.cluster_resources().get("CPU", 0) < 2:
                assert time.monotonic() < deadline, f"the worker node did not join: {ray.cluster_resources()}"
                time.sleep(0.2)
        finally:
            ray.shutdown()
        yield {"address": address, "started": [p.pid for p in started]}
    finally:
        for process in reversed(started):
            _stop(process)
        shutil.rmtree(temp, ignore_errors=True)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _task_workers(started: list[int], title: str) -> list[int]:
    """The Ray worker processes of this test's cluster (children of its raylets, which are children
    of its ``ray start`` processes) running a task whose name starts with ``title``."""
    try:
        out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    except OSError:  # a failed spawn of ps from this thread (seen once in CI: "[Errno 14] Bad address"): poll again
        return []
    table = [line.split(None, 2) for line in out.splitlines() if len(line.split(None, 2)) == 3]
    raylets = {int(pid) for pid, ppid, args in table if int(ppid) in started and "raylet" in args.split()[0]}
    return [int(pid) for pid, ppid, args in table if int(ppid) in raylets and args.startswith(f"ray::{title}")]


@contextmanager
def _killing_first_worker(started: list[int], title: str) -> Iterator[list[int]]:
    """While the body runs, SIGKILL the first Ray worker seen running a task named with ``title``;
    yields the list of the killed worker's pid (empty if none was seen)."""
    killed: list[int] = []
    finished = threading.Event()

    def kill_one() -> None:
        while not killed and not finished.is_set():
            for pid in _task_workers(started, title):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one)
    killer.start()
    try:
        yield killed
    finally:
        finished.set()
        killer.join()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_synth_on_ray_writes_the_local_bytes_and_survives_a_killed_worker(cluster, tmp_path, capsys):
    assert main(["synth", str(tmp_path / "local"), *TINY]) == 0
    with _killing_first_worker(cluster["started"], "s00") as killed:  # a worker filming a clip, mid-clip
        assert main(["synth", str(tmp_path / "ray"), *TINY, "--ray", cluster["address"]]) == 0
    assert killed, "no Ray worker was seen filming a clip"
    local, remote = _files(tmp_path / "local"), _files(tmp_path / "ray")
    assert list(remote) == list(local) and len([f for f in local if f.endswith(".h5")]) == 4
    for name in local:
        assert remote[name] == local[name], name


@pytest.mark.slow
def test_run_on_ray_gives_the_local_and_sequential_metrics_and_survives_a_killed_fold(cluster, tmp_path, capsys):
    """:data:`RAY_STAGES` of the tiny pipeline, run locally (``--jobs N``), on Ray (a worker training
    a fold of events-lr killed) and each stage alone in one call: two classification inputs (events,
    frames) and one reconstruction stage, the cheapest; the other stages' jobs are of the same kinds
    (a classification stage's fold, a reconstruction stage's part: ``evface.pipeline.stage_steps``)."""
    import torch

    from evface.pipeline.stage_plan import plan
    from evface.tasks import registry

    data = tmp_path / "data"
    assert main(["synth", str(data), "--preset", "tiny", "--lighting", "dim"]) == 0
    jobs = str(os.cpu_count() or 1)  # one torch thread per job, as on Ray
    run = ["run", "--preset", "tiny", "--data", str(data), "--stages", ",".join(RAY_STAGES)]
    assert main([*run, "--out", str(tmp_path / "local"), "--jobs", jobs]) == 0
    capsys.readouterr()
    with _killing_first_worker(cluster["started"], "events-lr: models/fold") as killed:  # a worker training a fold
        assert main([*run, "--out", str(tmp_path / "ray"), "--ray", cluster["address"]]) == 0
    assert killed, "no Ray worker was seen training a fold"
    assert "events-lr: models/fold2-s0: trained in" in capsys.readouterr().err  # each fold a task of its own
    local = json.loads((tmp_path / "local" / "pipeline.json").read_text())
    remote = json.loads((tmp_path / "ray" / "pipeline.json").read_text())
    assert sorted(s["name"] for s in local["stages"]) == sorted(RAY_STAGES)
    assert [s["dir"] for s in remote["stages"]] == [s["dir"] for s in local["stages"]]
    for stage in local["stages"]:
        a = json.loads((tmp_path / "local" / stage["dir"] / "metrics.json").read_text())
        b = json.loads((tmp_path / "ray" / stage["dir"] / "metrics.json").read_text())
        assert _numbers(a) == _numbers(b), stage["name"]
    assert (tmp_path / "ray" / "report.html").exists()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:  # the reference: each training stage in one call in this process, its parts one after the other
        for stage in [s for s in plan("tiny", data, tmp_path / "seq")[1] if s.name in RAY_STAGES]:
            options = {k: v for k, v in stage.config.items() if k != "data"}
            task = registry.get(stage.task)
            task.train_and_evaluate(data, tmp_path / "seq" / stage.name, task.config(**options))
            alone = json.loads((tmp_path / "seq" / stage.name / "metrics.json").read_text())
            pooled = json.loads((tmp_path / "ray" / stage.dirname / "metrics.json").read_text())
            assert _numbers(alone) == _numbers(pooled), stage.name
            assert not (tmp_path / "ray" / stage.dirname / "inputs.pt").exists()
    finally:
        torch.set_num_threads(threads)


def _numbers(value):
    """The metrics without the fields that name folders or times."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items() if not any(w in k for w in ("dir", "path", "seconds", "time"))}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _fail(path: str, error: Exception) -> None:
    with Path(path).open("a", encoding="utf-8") as f:
        f.write("x")
    raise error


@pytest.mark.parametrize("error", [DatasetError("d: broken on purpose"), ValueError("broken on purpose")])
def test_a_job_that_raises_is_reported_at_once_not_retried(cluster, tmp_path, error):
    """evface's own errors (a bad input, a diverged training) and its bugs come out the same on every
    try: Ray ran such a job three times (``retry_exceptions=True``), for the same error after three
    times the work. A lost worker is still retried (the synth and run tests kill one)."""
    attempts = tmp_path / "attempts"
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    with pytest.raises(JobFailedError, match=f"^stage-x failed on the Ray cluster at {cluster['address']}: .*{error}$"):
        RayCluster(cluster["address"], retries=2).run([Job("stage-x", _fail, (str(attempts), error))], lambda job, r: None)
    assert attempts.read_text() == "x"


def _times(a: int, b: int) -> int:
    return a * b


def test_a_result_releases_more_tasks(cluster):
    seen = []

    def times_ten(job, result):
        seen.append((job.name, result))
        return [Job("b", _times, (result, 10))] if job.name == "a" else None

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    RayCluster(cluster["address"]).run([Job("a", _times, (2, 3))], times_ten)
    assert seen == [("a", 6), ("b", 60)]


def test_a_job_no_node_can_take_is_refused_not_left_waiting(cluster, tmp_path):
    """Each node has one CPU: a job needing two (or a cluster whose head has --num-cpus=0 and no
    other node) waited for ever, silently (the driver does not show Ray's warning)."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    jobs = [Job("one", _times, (1, 2)), Job("big", _times, (2, 3), cpus=2)]
    with pytest.raises(JobFailedError, match=r"big needs 2 CPUs on one node, and no node .* \(its nodes: 1 CPU; 1 CPU\)"):
        RayCluster(cluster["address"]).run(jobs, lambda job, r: None)


def test_connecting_keeps_the_commands_sigterm_handler(cluster):
    """ray.init put its own SIGTERM handler in place of evface's: a SIGTERM (Slurm's time limit,
    timeout, docker stop) of evface synth/run --ray ended it with exit 1 and Ray's stack dump,
    skipping the clean-up, instead of "interrupted" and exit 143."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        _, ours = connect(cluster["address"])
        assert ours and signal.getsignal(signal.SIGTERM) is handler
    finally:
        ray.shutdown()
        signal.signal(signal.SIGTERM, previous)


def test_a_node_running_other_evface_code_is_refused(cluster, monkeypatch):
    """The cluster's nodes ran whatever evface their Python found (another checkout, an older
    install) without a word: clips and models of other code than the command's."""
    import evface.ray_cluster

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    monkeypatch.setattr(evface.ray_cluster, "code_fingerprint", lambda: "0123456789ab", raising=False)  # changed code here
    said = (r"x failed on the Ray cluster.*the evface of node .* in .*evface is not the one of the command, from the "
            r"same folder \(another version installed there on that node, or its sources changed since the command "
            r"started\)")  # not "the evface of node vm (/x/evface) is not the one of the command (/x/evface)"
    with pytest.raises(JobFailedError, match=said):
        RayCluster(cluster["address"]).run([Job("x", _times, (2, 3))], lambda job, r: None)


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


CHECKING_OFTEN = ("import sys; import evface.ray_cluster; evface.ray_cluster.HEAD_CHECK_S = 0.5; "
                  "from evface.cli import main; sys.exit(main(sys.argv[1:]))")
"""``python -c CHECKING_OFTEN ARGS``: ``evface ARGS`` looking at the Ray cluster twice a second, not every 5 s."""


NAMED_WITHIN_S = 4.0
"""How soon after its head node is killed a run checking the cluster twice a second names the lost
cluster (about 1 s here; Ray's ``ray.shutdown`` alone waited 5 s for the dead GCS before evface
could say so)."""


def _lines_timed(stream) -> tuple[list[tuple[float, str]], threading.Thread]:
    """The lines of ``stream``, each with when it came (``time.monotonic``), in a list filled as they
    come by the thread returned with it (started; it ends with the stream)."""
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in stream:
            lines.append((time.monotonic(), line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def test_a_cluster_that_stops_midway_is_named_at_once_and_the_run_resumes_locally(tmp_path):
    """A head node killed while its tasks film clips (ray stop --force, a lost machine): the command
    waited a minute, then Ray's core ended it with exit 1 and no word of evface's (after
    ``ray stop``: "failed 3 times ... The task's local raylet died", though no task had been retried).
    Once the loss was seen (within half a second here), ``ray.shutdown`` still waited 5 s on the dead
    GCS (Ray's flush of the driver's task events) before the line came: it comes within
    :data:`NAMED_WITHIN_S` of the kill (5.5 s before, never under 5: a bound that wait fails however
    fast the machine, with 3 s to spare for a loaded one)."""
    temp = tempfile.mkdtemp(prefix="evray-", dir="/tmp")
    head, port = _head(temp)
    processes: list[int] = []
    driver = None
    try:
        deadline = time.monotonic() + 60
        out = tmp_path / "data"
        driver = subprocess.Popen([sys.executable, "-c", CHECKING_OFTEN, "synth", str(out), *TINY, "--ray",
                                   f"127.0.0.1:{port}"], env=_ray_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        lines, reader = _lines_timed(driver.stdout)
        while not _task_workers([head.pid], "s00"):  # a worker filming a clip
            assert driver.poll() is None and time.monotonic() < deadline, "".join(line for _, line in lines)
            time.sleep(0.05)
        processes = _descendants(head.pid)
        for pid in processes:
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        driver.wait(timeout=45)  # Ray's own end comes after 60 s
        reader.join(10)  # the lines the driver wrote before it ended
        said = "".join(line for _, line in lines)
        assert driver.returncode == 2, said
        assert said.strip().splitlines()[-1].startswith(f"error: the Ray cluster at 127.0.0.1:{port} (head node "), said
        assert "unfinished; what finished is kept: run the same command again" in said
        named = next(when for when, line in lines if line.startswith("error: "))
        assert named - killed < NAMED_WITHIN_S, f"the lost cluster was named {named - killed:.1f} s after the kill"
    finally:
        if driver is not None:
            if driver.poll() is None:
                driver.kill()
            driver.wait()
            reader.join(10)
            driver.stdout.close()
        for pid in processes + _descendants(head.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)
    assert main(["synth", str(out), *TINY]) == 0  # resumed here, without --ray
    assert len(list((out / "clips").glob("*.h5"))) == 4


def test_a_head_node_that_asks_for_a_token_is_named_at_once(tmp_path, capsys, monkeypatch):
    """Ray 2.60 turns its token authentication on for 'ray start' wherever ~/.ray/auth_token exists
    (which any local ``ray.init()`` writes), and a driver given the head's address sends no token
    unless RAY_AUTH_MODE=token: ray.init tried 20 times, 21 s of Ray's C++ warnings, then "cannot
    connect to a Ray cluster (Failed to connect to Ray cluster at ...)", which the head never refused."""
    temp = tempfile.mkdtemp(prefix="evray-", dir="/tmp")
    head, port = _head(temp, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=uuid.uuid4().hex)
    try:
        monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # as unset, for a driver given the address
        start = time.monotonic()
        assert main(["synth", str(tmp_path / "out"), *TINY, "--ray", f"127.0.0.1:{port}"]) == 2
        assert time.monotonic() - start < 10
    finally:
        _stop(head)
        shutil.rmtree(temp, ignore_errors=True)
    err = capsys.readouterr().err
    assert f"--ray 127.0.0.1:{port}: the Ray head node there asks for its token" in err, err
    assert "set RAY_AUTH_MODE=token" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_jobs_left_with_no_node_that_can_take_them_stop_the_run(tmp_path, monkeypatch):
    """The only node with CPUs lost (its machine gone, 'ray stop' on it) while a job ran, under a
    head started with --num-cpus=0: Ray retried the job and kept it waiting for ever, printing only
    its own retry lines."""
    import evface.ray_cluster

    monkeypatch.setattr(evface.ray_cluster, "NODE_WAIT_S", 1.0, raising=False)
    monkeypatch.setattr(evface.ray_cluster, "HEAD_CHECK_S", 0.5)  # the cluster looked at twice a second, not every 5 s
    temp = tempfile.mkdtemp(prefix="evray-", dir="/tmp")
    head, port = _head(temp, cpus=0, RAY_health_check_period_ms="500", RAY_health_check_failure_threshold="2")
    node = subprocess.Popen([RAY, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1", *COMMON], env=_ray_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            RayCluster(f"127.0.0.1:{port}").run([Job("slow", time.sleep, (120,))], lambda job, r: None)
        except BaseException as exc:  # noqa: BLE001 - what the run raised, for the test's thread
            raised.append(exc)

    try:
        deadline = time.monotonic() + 60
        ray.init(address=f"127.0.0.1:{port}", logging_level="warning")  # the run's connection, once the node joined
        while ray.cluster_resources().get("CPU", 0) < 1:
            assert time.monotonic() < deadline, f"the worker node did not join: {ray.cluster_resources()}"
            time.sleep(0.2)
        driver = threading.Thread(target=run, daemon=True)
        driver.start()
        while not _task_workers([node.pid], "slow"):
            assert driver.is_alive() and time.monotonic() < deadline, raised
            time.sleep(0.05)
        for pid in _descendants(node.pid):
            os.kill(pid, signal.SIGKILL)
        driver.join(60)
        assert not driver.is_alive(), "the run still waits for a node"
    finally:
        for pid in _descendants(node.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        node.wait()
        ray.shutdown()
        _stop(head)
        shutil.rmtree(temp, ignore_errors=True)
    assert isinstance(raised[0], JobFailedError), raised
    assert str(raised[0]).startswith(f"slow needs 1 CPU on one node, and no node of the Ray cluster at 127.0.0.1:{port} "
                                     "has them any more (its nodes: 0 CPU; those that had were lost"), raised
