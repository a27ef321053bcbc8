"""Every writing command stopped part way by SIGTERM or ``kill -9`` (``tests/test_reliability_kill.py``
does ``convert``, ``synth`` and a training; ``tests/test_cli.py`` Ctrl-C).

Each command runs as a child ``python -m evface.cli ...`` onto an output that already holds an
earlier result (where the command replaces one) or onto a new name. The child stops itself just
before it puts a finished temporary file or ``OUT.partial`` in place (its first such rename, and the
one onto the output: ``os.replace``, ``os.rename``, ``os.link`` and the swap of a dataset folder with
the earlier one, :func:`~evface.io.atomic_files.exchange`, wait there, a marker file
telling the test), so the signal lands at a known point whatever the machine's speed. Then: the
earlier output is intact byte for byte (or there is none), no half-written file under its name;
after SIGTERM exit 143, "interrupted" and no temporary file left (``*.tmp``, ``OUT.partial`` where the
command does not resume from it); and running the command again gives what an undisturbed run gives.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from evface.cli import main
from evface.io.atomic_files import STOP_SIGNALS, uninterrupted
from evface.io.clip_writer import interrupts_held

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import os, signal, sys, time
marker, final = sys.argv[1], os.path.abspath(sys.argv[2])
taken, setting = [], signal.signal
def noting(number, handler):
    if not callable(handler):
        return setting(number, handler)
    def noted(number, frame):
        taken.append(number)
        return handler(number, frame)
    return setting(number, noted)
signal.signal = noting
if os.environ.get('FAKE_BENCH'):
    import evface.bench.io
    evface.bench.io.run = lambda quick: {'n_events': 5}
def pausing(real):
    def call(src, dst, *args, **kwargs):
        name = os.fspath(src)
        if ('.tmp' in name or '.partial' in name) and not os.path.exists(marker):
            if os.environ['PAUSE_AT'] == 'first' or os.path.abspath(dst) == final:
                open(marker, 'w').close()
                deadline = time.monotonic() + float(os.environ.get('PAUSE_S', 120))
                while not taken and time.monotonic() < deadline:  # held: go on
                    time.sleep(0.005)
        return real(src, dst, *args, **kwargs)
    return call
os.replace, os.rename, os.link = pausing(os.replace), pausing(os.rename), pausing(os.link)
from evface.io import dataset_output
dataset_output.exchange = pausing(dataset_output.exchange)
from evface.cli import main
sys.exit(main(sys.argv[3:]))
"""
"""The child: ``evface ARGV`` whose renames of a temporary file wait for the signal (``PAUSE_AT``:
``first``, the first such rename; ``final``, the one onto the output; a signal held there, as
:func:`~evface.io.atomic_files.uninterrupted` holds it, or ``PAUSE_S`` seconds let the rename go on), ``bench io`` measuring
nothing where ``FAKE_BENCH`` is set."""


def _stopped(argv: list[str], final: Path, sig: int, at: str, tmp: Path, **env_vars: str) -> tuple[int, str]:
    """Run ``evface ARGV`` in a child (``env_vars`` added to its environment), send it ``sig`` where
    it waits (``at``, ``final`` the output); its exit code and standard error."""
    marker = tmp / f"paused-{at}-{sig}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "PAUSE_AT": at,
           **env_vars}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), str(final), *argv], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, f"evface ended before the signal: {child.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "the child never reached the point to stop it at"
            time.sleep(0.005)
    finally:
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
    return child.returncode, err.decode()


def _digests(path: Path) -> dict[str, str]:
    """The SHA-256 of the file ``path``, or of each file under the folder ``path`` but temporary files, by name."""
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file() and ".tmp" not in p.name}


def _left(folder: Path) -> list[str]:
    """Temporary files and folders under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name or ".partial" in p.name)


class Inputs:
    """The commands' inputs, each made once for the module when a case first needs it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, object] = {}

    def _once(self, name: str, make: Callable[[Path], object]) -> object:
        if name not in self._made:
            self._made[name] = make(self.root / name)
        return self._made[name]

    def video(self) -> Path:
        def make(folder: Path) -> Path:
            import cv2  # lazy: only the simulate case writes a video

            folder.mkdir()
            writer = cv2.VideoWriter(str(folder / "face.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (32, 24))
            rng = np.random.default_rng(0)
            for k in range(20):
                writer.write(np.full((24, 32, 3), 40 + 8 * k, np.uint8) + rng.integers(0, 30, (24, 32, 3), np.uint8))
            writer.release()
            return folder / "face.avi"
        return self._once("video", make)

    def shards(self) -> list[Path]:
        def make(folder: Path) -> list[Path]:
            from evface.datasets.synth import synthesize  # lazy: only the dataset cases

            shards = [folder / f"shard{i}" for i in range(2)]
            for i, shard in enumerate(shards):
                synthesize(shard, preset="tiny", seed=0, subjects=2, classes=["AU4"], lighting=["bright"], shard=(i, 2))
            for shard in shards:  # the same clips under other names: a merge of them is another dataset
                shutil.copytree(shard, folder / f"copy-{shard.name}")
            return shards
        return self._once("shards", make)

    def run(self) -> tuple[Path, Path, Path]:
        """A trained classification run, its dataset, and another dataset."""
        def make(folder: Path) -> tuple[Path, Path, Path]:
            from test_classify import make_fake_dataset
            from test_fuzz_commands import CLASSIFY

            from evface.tasks import classify  # lazy: torch, for the run cases only

            data = make_fake_dataset(folder / "data", subjects=("s0", "s1", "s2", "s3"), per_class=1)
            classify.train_and_evaluate(data, folder / "run", CLASSIFY)
            other = make_fake_dataset(folder / "other", subjects=("t0", "t1"), per_class=1, seed=5)
            return folder / "run", data, other
        return self._once("run", make)

    def predictions(self) -> tuple[Path, Path]:
        def make(folder: Path) -> tuple[Path, Path]:
            rows = [(f"c{i}", f"s{i % 6}", ("dim", "bright")[i % 2], f"L{i % 3}") for i in range(60)]
            for name, wrong in (("a", 0), ("b", 7)):
                lines = ["clip_id,subject,lighting,label,prediction"] + [
                    ",".join((*r, r[3] if i % 10 >= wrong else "L9")) for i, r in enumerate(rows)]
                (folder / name).mkdir(parents=True)
                (folder / name / "predictions.csv").write_text("\n".join(lines) + "\n")
            return folder / "a", folder / "b"
        return self._once("predictions", make)

    def corpus(self) -> Path:
        from test_import_corpus import make_corpus

        return self._once("corpus", make_corpus)

    def session(self) -> Path:
        from import_fixtures import build_session

        self._once("session", build_session)
        return self.root / "session"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Inputs:
    return Inputs(tmp_path_factory.mktemp("inputs"))


TERM, KILL = signal.SIGTERM, signal.SIGKILL
ONE_FILE = (("final", TERM), ("final", KILL))
"""Where a command that writes one file is stopped: as it puts it in place, by each signal."""
TERM_ONLY = (("final", TERM),)
"""A command whose file is put in place as another's is (``kill -9`` there: that command's case)."""
FILES = (("first", TERM), *ONE_FILE)
"""A command that writes several files is stopped as it puts the first in place too."""


@dataclass(frozen=True)
class Case:
    """A writing command: ``argv(inputs, out)`` writes ``out``; ``earlier(inputs, out)`` the
    arguments of a run that makes what ``out`` holds before (None: a new name, or ``there``'s
    bytes put there). ``final``: the file whose putting in place the command's last step is, in ``out``.
    ``resumes``: what a stopped run leaves (``OUT.partial``, a folder without its manifest) is kept.
    ``kill_mixes``: files renamed one by one, ``final`` last, which ``kill -9`` among them leaves
    the earlier one beside new others (``run_folder.write_together``, which the readers check)."""

    name: str
    out: str
    argv: Callable[[Inputs, Path], list[str]]
    earlier: Callable[[Inputs, Path], list[str]] | None = None
    there: bytes | None = None
    points: tuple[tuple[str, signal.Signals], ...] = ONE_FILE
    final: str = ""
    resumes: bool = False
    kill_mixes: bool = False


def _session_argv(i: Inputs, out: Path, lighting: str) -> list[str]:
    root = i.session()
    return ["import", "session", str(out), "--events", f"hd={root / 'hd.raw'}", "--events", f"lr={root / 'lr.aedat4'}",
            "--rgb", str(root / "rgb.mp4"), "--annotations", str(root / "annotations.csv"), "--rgb-exposure-us", "10000",
            "--lighting", lighting, "--overwrite"]


def _corpus_argv(i: Inputs, out: Path, seed: int) -> list[str]:
    c = i.corpus()
    return ["import", "corpus", str(c), str(c / "table.csv"), str(out), "--sensor", "davis346:16x12", "--upsample", "1",
            "--seed", str(seed), "--overwrite"]


def _bench_document(path: Path) -> dict:
    """What ``bench``'s document holds but the time and the machine's state."""
    return {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k not in ("started", "machine")}


CASES = [
    Case("faces", "sheet.png", lambda i, o: ["faces", str(o), "--seeds", "0", "--aus", "12", "--size", "32"],
         lambda i, o: ["faces", str(o), "--seeds", "1", "--aus", "12", "--size", "32"]),
    Case("simulate", "ev.h5", lambda i, o: ["simulate", str(i.video()), "--sensor", "32x24", "--out", str(o), "--force"],
         lambda i, o: ["simulate", str(i.video()), "--sensor", "32x24", "--model", "ideal", "--out", str(o)]),
    Case("export-nir", "graph.nir", lambda i, o: ["export-nir", str(i.run()[0]), str(o), "--force"],
         there=b"another run's graph", points=TERM_ONLY),
    Case("eval", "ev", lambda i, o: ["eval", str(i.run()[0]), "--data", str(i.run()[2]), "--out", str(o)],
         lambda i, o: ["eval", str(i.run()[0]), "--data", str(i.run()[1]), "--out", str(o)], points=FILES,
         final="metrics.json", kill_mixes=True),
    Case("report", "r.html", lambda i, o: ["report", str(i.run()[0]), "--out", str(o)], points=TERM_ONLY),
    Case("compare", "cmp.json", lambda i, o: ["compare", *map(str, i.predictions()), "--out", str(o)],
         lambda i, o: ["compare", *map(str, i.predictions()[::-1]), "--out", str(o)], points=TERM_ONLY),
    Case("bench", "b.json", lambda i, o: ["bench", "io", "--quick", "--out", str(o), "--force"], there=b'{"io": {}}\n',
         points=TERM_ONLY),
    Case("merge", "ds", lambda i, o: ["merge", str(o), *map(str, i.shards()), "--overwrite"],
         lambda i, o: ["merge", str(o), *(str(s.with_name(f"copy-{s.name}")) for s in i.shards())]),
    Case("synth-merge", "ds", lambda i, o: ["synth-merge", str(o), *map(str, i.shards())], points=FILES,
         final="manifest.csv", resumes=True),
    Case("import corpus", "ds", lambda i, o: _corpus_argv(i, o, 2), lambda i, o: _corpus_argv(i, o, 1), points=FILES,
         resumes=True),
    Case("import session", "ds", lambda i, o: _session_argv(i, o, "office"), lambda i, o: _session_argv(i, o, "dim"),
         points=TERM_ONLY),
]


def _result(case: Case, out: Path) -> object:
    """What of ``out`` an undisturbed run gives again (but the time a report or benchmark states)."""
    if case.name == "report":
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", out.read_text(encoding="utf-8"))
    return _bench_document(out) if case.name == "bench" else _digests(out)


SHARING = {"export-nir": "run", "eval": "run", "report": "run", "merge": "shards", "synth-merge": "shards"}
"""The cases whose input is made once for several: one worker runs them (``make test``'s ``--dist loadgroup``)."""


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.xdist_group(f"interrupts-{SHARING[c.name]}")]
                                               if c.name in SHARING else []) for c in CASES])
def test_a_stopped_command_keeps_the_earlier_output_and_reruns_to_an_undisturbed_result(case, inputs, tmp_path,
                                                                                      monkeypatch):
    from evface.bench import io as bench_io  # lazy: only to measure nothing

    monkeypatch.setattr(bench_io, "run", lambda quick: {"n_events": 5})
    whole = tmp_path / "whole" / case.out
    whole.parent.mkdir()
    assert main(case.argv(inputs, whole)) == 0
    for at, sig in case.points:
        folder = tmp_path / f"{at}-{sig.name}"
        folder.mkdir()
        out = folder / case.out
        if case.earlier is not None:
            assert main(case.earlier(inputs, out)) == 0
        elif case.there is not None:
            out.write_bytes(case.there)
        before = _digests(out) if out.exists() else None
        code, err = _stopped(case.argv(inputs, out), out / case.final, sig, at, tmp_path, FAKE_BENCH="1")
        now = _digests(out) if out.exists() else None
        if case.resumes and before is None and now is not None:
            assert not (out / "manifest.csv").exists()  # no dataset yet
        elif sig == TERM:  # or the new one whole: Ctrl-C and SIGTERM wait for the renames of one step
            assert now in (before, _digests(whole))
        elif case.kill_mixes:  # files renamed one by one: the one that says the output is whole is the earlier
            assert now[case.final] == before[case.final]
        elif now != before:  # no swap in one step: killed between the earlier dataset's rename aside and the new one's
            [aside] = folder.glob(f"{case.out}.*.tmp")
            assert (now, _digests(aside)) == (None, before)
        if sig == TERM:
            assert (code, err.splitlines()[-1:]) == (143, ["interrupted"]), err
            assert _left(folder) == ([f"{case.out}.partial"] if case.resumes and (folder / f"{case.out}.partial").exists()
                                     else [])
        if now != _digests(whole) or sig == KILL:
            assert main(case.argv(inputs, out)) == 0
        assert _result(case, out) == _result(case, whole)
        assert _left(folder) == []


@pytest.fixture
def sigterm_interrupts():
    """SIGTERM raises ``KeyboardInterrupt`` in this process, as ``evface``'s own handler makes it."""
    def interrupt(number, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)


def _terminated_at(module, name: str, monkeypatch) -> None:
    """``module.name`` (a rename) sends this process SIGTERM before its first call renames."""
    real, calls = getattr(module, name), []

    def terminated(*args, **kwargs):
        if not calls:
            calls.append(args)
            os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, terminated)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_that_native_code_wrapped_is_still_a_stop(tmp_path, monkeypatch, capfd, number):
    """A stop signal handled while numba's dispatcher runs (compiling a kernel, or typing its
    arguments) comes out of the call as ``SystemError: CPUDispatcher(...) returned a result with an
    exception set``, the ``KeyboardInterrupt`` its cause. Was: ``internal error: SystemError ...``,
    exit 1 (seen under ``ulimit -St``: SIGXCPU during a kernel's compilation); now the stop's own
    line and exit code."""
    from evface.bench import io as bench_io  # lazy: only to stop in the middle of it

    def stopped(quick):
        try:
            os.kill(os.getpid(), number)
            time.sleep(5)
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher(<function f>) returned a result with an exception set") from exc

    monkeypatch.setattr(bench_io, "run", stopped)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own: a test worker may ignore Ctrl-C
    try:
        code = main(["bench", "io", "--quick", "--out", str(tmp_path / "bench.json")])
    finally:
        signal.signal(signal.SIGINT, before)
    assert (code, capfd.readouterr().err.splitlines()[-1:]) == (128 + number, ["interrupted"])
    assert list(tmp_path.iterdir()) == []


def test_sigterm_among_the_renames_of_an_evaluation_leaves_its_files_whole(tmp_path, monkeypatch, sigterm_interrupts):
    """`eval` stopped by SIGTERM as its files were renamed into place left the earlier metrics.json
    beside the new predictions.csv and the others' ``*.tmp``: the renames now end before the stop."""
    from evface.tasks import run_folder

    paths = [tmp_path / "predictions.csv", tmp_path / "metrics.json"]
    run_folder.write_together({paths[0]: "earlier", paths[1]: "{}"})
    _terminated_at(run_folder, "publish", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_folder.write_together({paths[0]: "new", paths[1]: "{}"})
    assert paths[0].read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    run_folder.check_written_together(tmp_path)  # they agree


def test_sigterm_as_a_dataset_replaces_an_earlier_one_loses_neither(tmp_path, monkeypatch, sigterm_interrupts):
    """`merge`, `import session` and `import corpus` with --overwrite removed the earlier dataset,
    then renamed OUT.partial onto OUT: SIGTERM there lost both (the stop's clean-up removed
    OUT.partial). Now the earlier one is renamed aside first, and the stop waits for the new one's rename."""
    from evface.io import dataset_output

    partial, out = tmp_path / "ds.partial", tmp_path / "ds"
    for folder, text in ((partial, "new"), (out, "earlier")):
        (folder / "clips").mkdir(parents=True)
        (folder / "manifest.csv").write_text(text)
    _terminated_at(dataset_output.os, "replace", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        dataset_output.publish_partial(partial, out)
    monkeypatch.undo()
    assert (out / "manifest.csv").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_an_earlier_dataset_a_killed_run_left_aside_is_removed_by_the_next(tmp_path):
    """``kill -9`` between the renames of :func:`publish_partial` leaves the earlier dataset aside as
    ``OUT.HOST-PID-RANDOM.tmp``; the next publish removes it (temporary files were, folders not)."""
    from evface.io import dataset_output
    from evface.io.temporary_files import temporary_beside

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    partial, out = tmp_path / "ds.partial", tmp_path / "ds"
    aside = temporary_beside(out)
    aside.unlink()
    aside = aside.with_name(aside.name.replace(f"-{os.getpid()}-", f"-{int(gone.stdout)}-"))
    for folder in (partial, out, aside):
        (folder / "clips").mkdir(parents=True)
        (folder / "manifest.csv").write_text(folder.name)
    dataset_output.publish_partial(partial, out)
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


PUBLISHING = """
import json, os, sys, time
from pathlib import Path
from evface.io import dataset_output
partial, out, marker = map(Path, sys.argv[1:])
steps = []
def noted(name, call):
    def step(*args):
        result = call(*args)
        steps.append([name, result, (out / 'manifest.csv').read_text() if out.exists() else None])
        return result
    return step
os.replace, dataset_output.exchange = noted('rename', os.replace), noted('exchange', dataset_output.exchange)
def removing(path, ignore_errors=False):
    marker.write_text(json.dumps(steps))
    time.sleep(120)
dataset_output.shutil.rmtree = removing
dataset_output.publish_partial(partial, out)
"""
"""A child that publishes ``OUT.partial`` onto ``OUT`` (``argv``: the two and a marker), noting after
each rename and swap what it returned and what ``OUT``'s manifest says, then waits where the earlier
dataset would be removed, the notes written to the marker."""


def _datasets(*folders: tuple[Path, str]) -> None:
    """A dataset folder (``clips`` and a ``manifest.csv`` saying ``text``) at each path."""
    for folder, text in folders:
        (folder / "clips").mkdir(parents=True)
        (folder / "manifest.csv").write_text(text)


def test_a_dataset_replaced_is_swapped_with_the_earlier_one_in_one_step_and_out_is_never_missing(tmp_path):
    """``--overwrite`` renamed the earlier dataset aside and then ``OUT.partial`` onto ``OUT``: ``kill -9``
    between the two left no ``OUT``. Now the two are swapped in one step (``renameat2``'s
    ``RENAME_EXCHANGE``, which this machine's file system offers): after every step ``OUT`` is a whole
    dataset, and ``kill -9`` after the swap, before the removal, leaves the new one in ``OUT``, the
    earlier one aside, which the next run removes."""
    from evface.io import dataset_output

    partial, out, marker = tmp_path / "ds.partial", tmp_path / "ds", tmp_path / "at-removal"
    _datasets((partial, "new"), (out, "earlier"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", PUBLISHING, str(partial), str(out), str(marker)], env=env,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the child never reached the removal"
            time.sleep(0.005)
    finally:
        child.kill()
        child.communicate(timeout=60)
    assert json.loads(marker.read_text()) == [["rename", None, "earlier"], ["exchange", True, "new"]]
    [aside] = tmp_path.glob("ds.*.tmp")
    assert ((out / "manifest.csv").read_text(), (aside / "manifest.csv").read_text()) == ("new", "earlier")
    marker.unlink()
    _datasets((partial, "newer"))
    dataset_output.publish_partial(partial, out)
    assert [p.name for p in tmp_path.iterdir()] == ["ds"] and (out / "manifest.csv").read_text() == "newer"


def test_where_the_system_cannot_swap_two_names_a_dataset_is_replaced_by_two_renames(tmp_path, monkeypatch):
    """A file system without ``RENAME_EXCHANGE`` (``EINVAL``; ``ENOSYS`` where the kernel lacks it): the
    earlier dataset is renamed aside, the new one onto ``OUT``, the earlier one removed, as before."""
    import ctypes

    from evface.io import atomic_files, dataset_output

    def refused(*args):
        ctypes.set_errno(errno.EINVAL)
        return -1

    monkeypatch.setattr(atomic_files, "_RENAMEAT2", refused)
    partial, out = tmp_path / "ds.partial", tmp_path / "ds"
    _datasets((partial, "new"), (out, "earlier"))
    renames, real = [], os.replace

    def noted(src, dst):
        real(src, dst)
        renames.append((Path(src).suffix, Path(dst).suffix))

    monkeypatch.setattr(dataset_output.os, "replace", noted)
    dataset_output.publish_partial(partial, out)
    assert renames == [(".partial", ".tmp"), ("", ".tmp"), (".tmp", "")]  # OUT.partial, then OUT, aside; one onto OUT
    assert [p.name for p in tmp_path.iterdir()] == ["ds"] and (out / "manifest.csv").read_text() == "new"
    assert not atomic_files.exchange(out, tmp_path)  # refused: nothing moved


@pytest.mark.parametrize("number", STOP_SIGNALS)
@pytest.mark.parametrize("held", [interrupts_held, uninterrupted])
def test_every_signal_that_stops_a_command_waits_for_the_steps_that_must_not_be_cut(held, number):
    """SIGXCPU (a soft CPU-time limit), which the command now takes as it takes SIGTERM, was not held
    while HDF5 wrote a clip: its KeyboardInterrupt, raised inside HDF5's call of the clip file's
    seek, crashed `evface synth` (segfault)."""
    order = []

    def stop(signum, frame):
        order.append("stopped")
        raise KeyboardInterrupt

    before = signal.signal(number, stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            with held():
                os.kill(os.getpid(), number)
                order.append("the block ends")
    finally:
        signal.signal(number, before)
    assert order == ["the block ends", "stopped"]


HUP = getattr(signal, "SIGHUP", None)
needs_hangup = pytest.mark.skipif(HUP is None or not Path("/proc/self/status").exists(),
                                  reason="SIGHUP and /proc (Linux)")


@pytest.fixture(autouse=True)
def _hang_up_taken() -> Iterator[None]:
    """SIGHUP's default action in this process while a test runs, so in the children it starts: a
    suite run under ``nohup`` (``nohup make test``) started ignoring SIGHUP, every child inherited
    that, and the tests of a hang-up failed (the command went on to the end, as it must under nohup)."""
    before = signal.signal(HUP, signal.SIG_DFL) if HUP is not None else None
    yield
    if HUP is not None:
        signal.signal(HUP, before)


def _child_env(**env_vars: str) -> dict[str, str]:
    """The environment of a child ``evface``: this checkout first on its path, ``env_vars`` added."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **env_vars}


def _ignoring(number: int | None) -> Callable[[], None] | None:
    """What a child runs before evface to start it ignoring ``number`` (as ``nohup`` starts a command
    ignoring SIGHUP); None: nothing."""
    return None if number is None else (lambda: signal.signal(number, signal.SIG_IGN))


def _group_signalled(argv: list[str], final: Path, tmp: Path, sig: int, ignored: int | None = None) -> tuple[int, str]:
    """Run ``evface ARGV`` in a child leading its own process group (started ignoring ``ignored``,
    then its pause lasts a second), send the group ``sig`` as it puts ``final`` in place, as a
    terminal sends SIGHUP to the job in its foreground; its exit code and standard error."""
    marker = tmp / f"paused-group-{sig}"
    env = _child_env(PAUSE_AT="final", **({} if ignored is None else {"PAUSE_S": "1"}))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), str(final), *argv], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                             preexec_fn=_ignoring(ignored))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it ended before: its error is in what it wrote
            os.killpg(child.pid, sig)
        _, err = child.communicate(timeout=60)
    return child.returncode, err.decode()


def _faces(out: Path) -> list[str]:
    return ["faces", str(out), "--seeds", "0", "--aus", "12", "--size", "32"]


@needs_hangup
def test_a_hang_up_ends_a_command_with_its_clean_up(tmp_path):
    """SIGHUP (an ssh connection dropped, a terminal window closed) took its default action: the
    command ended at once, exit -1 without a word, its temporary file left beside the output."""
    out = tmp_path / "sheet.png"
    code, err = _group_signalled(_faces(out), out, tmp_path, HUP)
    assert (code, err.splitlines()[-1:]) == (128 + HUP, ["interrupted"]), err
    assert not out.exists() and _left(tmp_path) == []


@needs_hangup
@pytest.mark.parametrize("number", [HUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_stop_signal_the_command_was_started_ignoring_stays_ignored(tmp_path, number):
    """``nohup evface ...`` starts it ignoring SIGHUP: the hang-up must not stop it (a command that
    takes SIGHUP must keep that). SIGTERM started ignored was taken all the same: the command stopped."""
    out = tmp_path / "sheet.png"
    code, err = _group_signalled(_faces(out), out, tmp_path, number, ignored=number)
    assert (code, _left(tmp_path)) == (0, []), err
    assert out.stat().st_size > 0 and "interrupted" not in err


def _group(pgid: int) -> list[int]:
    """The processes of the group ``pgid`` still running (not zombies: this container's init may not reap them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _ignores(pid: int, number: int) -> bool:
    """Whether the process ``pid`` ignores the signal ``number`` (its ``SigIgn`` mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return bool(int(re.search(r"^SigIgn:\s*(\w+)", status, re.M).group(1), 16) >> (number - 1) & 1)


@needs_hangup
def test_a_hang_up_ends_the_worker_processes_and_the_pool_quietly(tmp_path):
    """The group's SIGHUP ended the pool's worker processes and multiprocessing's resource tracker
    at once (their default action); the tracker started in its place printed a KeyError traceback
    for each semaphore of the pool after "interrupted"."""
    out = tmp_path / "ds"
    child = subprocess.Popen([sys.executable, "-m", "evface.cli", "synth", str(out), "--preset", "tiny", "--subjects",
                              "2", "--classes", "AU4", "--lighting", "bright", "--workers", "2"], env=_child_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:  # both workers set up (they ignore SIGTERM)
            if sum(_ignores(pid, signal.SIGTERM) for pid in _group(child.pid)) >= 3:  # and the resource tracker
                break
            time.sleep(0.01)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it ended before: its error is in what it wrote
            os.killpg(child.pid, HUP)
        _, err = child.communicate(timeout=60)
    assert (child.returncode, err.decode().splitlines()[-1:]) == (128 + HUP, ["interrupted"]), err.decode()
    assert "Traceback" not in err.decode() and _left(tmp_path) == []
    deadline = time.monotonic() + 10
    while _group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(child.pid) == []


@needs_hangup
@pytest.mark.parametrize("command", ["faces", "import corpus"])
def test_a_terminal_closed_under_a_command_ends_it_with_its_clean_up_and_no_word(command, inputs, tmp_path):
    """Under a real terminal (a pseudo-terminal whose session the command leads), closing the
    terminal hangs it up: SIGHUP, and every write to it fails (EIO). The command ended at once
    (its temporary file left); taking SIGHUP, its "interrupted", and before it the stop of a live
    progress bar (``import corpus``), raised EIO: a traceback, exit 1."""
    import pty  # lazy: this test alone opens a terminal

    out, marker = tmp_path / ("sheet.png" if command == "faces" else "ds"), tmp_path / "paused-pty"
    argv = _faces(out) if command == "faces" else _corpus_argv(inputs, out, 1)
    env = _child_env(PAUSE_AT="final" if command == "faces" else "first")
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its session's leader, the terminal its controlling one
        try:
            os.execve(sys.executable, [sys.executable, "-c", CHILD, str(marker), str(out), *argv], env)
        finally:
            os._exit(127)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        try:
            if select.select([terminal], [], [], 0.01)[0]:
                os.read(terminal, 65536)  # what the command prints: drained, so that it never waits to write
        except OSError:  # the child ended: its side of the terminal closed
            break
    os.close(terminal)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 128 + HUP
    assert not out.exists() and _left(tmp_path) == ([] if command == "faces" else ["ds.partial"])  # it resumes from it
