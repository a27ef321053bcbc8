"""The Python API leaves the caller's process as it found it.

A researcher calls evface from a notebook or a script of their own: each public entry point, on
the smallest input the other tests use, must leave the process-wide settings (:func:`process_state`:
torch's, numpy's, OpenCV's and numba's threads and modes, warnings filters, logging, signal handlers,
the environment, the working directory, the standard streams, matplotlib) as they were, whether it
returns or raises an :class:`~evface.errors.EvfaceError` on bad input. The global random generators
are left out: training seeds them on purpose (:func:`evface.tasks.random_states.seed_everything`, as
the training functions' documentation says).
"""

from __future__ import annotations

import faulthandler
import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numba
import numpy as np
import pytest
import torch
from import_fixtures import build_session
from recon_fixtures import make_fake_dataset as make_recon_dataset
from report_fixtures import make_fake_run
from test_classify import make_fake_dataset as make_classify_dataset
from test_import_corpus import OPTS as CORPUS_OPTIONS
from test_import_corpus import make_corpus
from test_import_session import rgb as session_rgb
from test_import_session import sources as session_sources
from test_pipeline import fake_runner

from evface.datasets.importers.corpus import CorpusOptions, import_corpus
from evface.datasets.importers.session import import_session
from evface.datasets import synth_film
from evface.datasets.synth import synthesize
from evface.errors import DatasetError, EvfaceError, ParameterError
from evface.models.export_nir import to_nir
from evface.models.snn import NetConfig, SpikingCNN
from evface.pipeline.run import run_pipeline
from evface.pipeline.stage_plan import Stage
from evface.pipeline.stage_steps import START, timed
from evface.report.html import build_report
from evface.sim import dvs
from evface.tasks import classify, reconstruct
from evface.tasks.configs import ClassifyConfig, ReconstructConfig
from evface.tasks.export import export_run

CLASSIFY = ClassifyConfig(input="events", sensor="lr", folds=2, time_steps=2, size=16, depth=1, width=2, batch_size=6,
                          epochs=1, patience=0, device="cpu")
"""The smallest classification run (as in ``tests/test_fuzz_commands.py``)."""
RECON = ReconstructConfig(sensor="lr", protocol="events-only", folds=2, size=32, crop=16, n_bins=2, base=4,
                          z_channels=2, batch_size=8, epochs=1, patience=0, k_samples=0, e2vid=False, threads=1,
                          device="cpu")
"""The smallest reconstruction run (as in ``tests/test_fuzz_commands.py``), on one torch thread."""


def _loggers() -> dict[str, tuple[Any, ...]]:
    """Every logger set up otherwise than a new one is: its level, handlers, propagation and whether disabled."""
    found = {"": logging.getLogger()}
    found.update((name, logger) for name, logger in logging.Logger.manager.loggerDict.items()
                 if isinstance(logger, logging.Logger))
    return {name: (logger.level, tuple(logger.handlers), logger.propagate, logger.disabled)
            for name, logger in found.items()
            if logger.level != logging.NOTSET or logger.handlers or not logger.propagate or logger.disabled}


def _signals() -> dict[str, Any]:
    """The handler of every signal Python can read one of."""
    handlers = {}
    for number in sorted(signal.valid_signals()):
        try:
            handlers[signal.Signals(number).name] = signal.getsignal(number)
        except (ValueError, OSError):  # a real-time signal without a name, or one Python cannot read
            continue
    return handlers


def _umask() -> int:
    """The process's file mode creation mask (read by setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _matplotlib() -> dict[str, Any]:
    """matplotlib's settings and pyplot's figures, where matplotlib is loaded (the backend as set, not resolved)."""
    if "matplotlib" not in sys.modules:
        return {}
    import matplotlib  # lazy: read only where something loaded it

    params = matplotlib.rcParams
    state = {"rcParams": {key: params._get(key) for key in params if key != "backend"},
             "backend": params._get_backend_or_none()}
    if "matplotlib.pyplot" in sys.modules:
        state["figures"] = sys.modules["matplotlib.pyplot"].get_fignums()
    return state


def process_state() -> dict[str, Any]:
    """What a call may change for the whole process, but for the random generators' states."""
    return {
        "torch threads": torch.get_num_threads(),
        "torch interop threads": torch.get_num_interop_threads(),
        "torch default dtype": torch.get_default_dtype(),
        "torch default device": str(torch.get_default_device()),
        "torch grad enabled": torch.is_grad_enabled(),
        "torch inference mode": torch.is_inference_mode_enabled(),
        "torch deterministic": (torch.are_deterministic_algorithms_enabled(),
                                torch.is_deterministic_algorithms_warn_only_enabled()),
        "torch cudnn": (torch.backends.cudnn.enabled, torch.backends.cudnn.deterministic,
                        torch.backends.cudnn.benchmark),
        "torch matmul precision": torch.get_float32_matmul_precision(),
        "torch anomaly detection": torch.is_anomaly_enabled(),
        "numpy errors": np.geterr(),
        "numpy print options": np.get_printoptions(),
        "cv2 threads": cv2.getNumThreads(),
        "cv2 optimized": cv2.useOptimized(),
        "numba threads": dvs.num_threads(),  # starts numba's pool where it was not, leaving torch's count
        "warnings filters": list(warnings.filters),
        "warnings showwarning": warnings.showwarning,
        "logging": _loggers(),
        "logging disable": logging.root.manager.disable,
        "signals": _signals(),
        "environment": dict(os.environ),
        "working directory": os.getcwd(),
        "umask": _umask(),
        "streams": (sys.stdin, sys.stdout, sys.stderr),
        "hooks": (sys.excepthook, sys.displayhook, sys.unraisablehook, threading.excepthook),
        "recursion limit": sys.getrecursionlimit(),
        "switch interval": sys.getswitchinterval(),
        "gc": (gc.isenabled(), gc.get_threshold()),
        "faulthandler": faulthandler.is_enabled(),
        "tempfile.tempdir": tempfile.tempdir,
        "cpu affinity": os.sched_getaffinity(0),
        "threads": {(t.name, t.ident) for t in threading.enumerate()},
        "child processes": {(p.name, p.pid) for p in multiprocessing.active_children()},
        "matplotlib": _matplotlib(),
    }


STARTED = ("threads", "child processes")
"""What a call must not leave running; one that ends meanwhile (another test's, winding down) is no change."""


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ, each as (before, after); of a mapping (the environment, the loggers),
    the entries that differ; of :data:`STARTED`, those left running that were not before."""
    differ = {}
    for key in before:
        old, new = before[key], after[key]
        if key in STARTED:
            if new - old:
                differ[key] = new - old
        elif old != new:
            both = isinstance(old, dict) and isinstance(new, dict)
            differ[key] = changed(old | dict.fromkeys(new.keys() - old.keys()),
                                  new | dict.fromkeys(old.keys() - new.keys())) if both else (old, new)
    return differ


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that the block leaves :func:`process_state` as it found it, also where it raises."""
    before = process_state()
    try:
        yield
    finally:
        assert changed(before, process_state()) == {}


def _leaves_state(call: Callable[[], Any]) -> Any:
    """``call()``'s result, asserting it left the process's state as it found it."""
    with unchanged():
        return call()


def _raises_and_leaves_state(call: Callable[[], Any]) -> EvfaceError:
    """The :class:`EvfaceError` ``call()`` raises, asserting it left the process's state as it found it."""
    with unchanged(), pytest.raises(EvfaceError) as caught:
        call()
    return caught.value


@pytest.fixture(scope="module", autouse=True)
def _torch_optimizer_set_up():
    """One optimizer step first, as any script training with torch makes: torch's first one loads its
    compiler (torch._dynamo, torch._inductor, sympy), which sets ``TORCHINDUCTOR_CACHE_DIR``, its loggers
    and a warnings filter of sympy's, once per process, whoever calls it."""
    weight = torch.nn.Parameter(torch.zeros(1))
    weight.sum().backward()
    torch.optim.AdamW([weight]).step()


@pytest.fixture(autouse=True)
def other_threads():
    """Torch on another number of threads than evface's trainings pick (1, or a share of the cores)
    and numba's pool sets (every core), as a caller may set it; set back after. Every test here, so
    that a call leaving torch on any of those counts changes the state: make test's workers run
    torch on 1 (tests/conftest.py), which a call leaving 1 would not change."""
    before = torch.get_num_threads()
    torch.set_num_threads(3 if before != 3 else 2)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- the entry points

def test_synthesize(tmp_path):
    _leaves_state(lambda: synthesize(tmp_path / "tiny", preset="tiny", subjects=1, classes=["AU4"], lighting=["dim"]))
    _raises_and_leaves_state(lambda: synthesize(tmp_path / "bad", preset="no such preset"))


def test_synthesize_sets_its_single_thread_back_where_a_clip_fails(tmp_path, monkeypatch):
    """Each clip is filmed on one OpenCV and one numba thread; a clip that fails sets the caller's back too."""
    def fails(*args: Any) -> None:
        assert (cv2.getNumThreads(), numba.get_num_threads()) == (1, 1)  # where the leak would come from
        raise DatasetError("this clip cannot be filmed")

    monkeypatch.setattr(synth_film, "make_clip", fails)
    with _many_threads():
        error = _raises_and_leaves_state(lambda: synthesize(tmp_path / "tiny", preset="tiny", subjects=1,
                                                            classes=["AU4"], lighting=["dim"]))
    assert str(error) == "this clip cannot be filmed"


@contextmanager
def _many_threads() -> Iterator[None]:
    """OpenCV and numba on all their threads (at least 2 for OpenCV: one would hide a leak of one), then as before."""
    before = cv2.getNumThreads(), numba.get_num_threads()
    cv2.setNumThreads(max(2, before[0]))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    try:
        yield
    finally:
        cv2.setNumThreads(before[0])
        numba.set_num_threads(before[1])


FIRST_POOL = """
import sys

import numba
import numpy as np
import torch

want = 3 if numba.config.NUMBA_NUM_THREADS != 3 else 2  # not the count numba's pool would set
torch.set_num_threads(want)
torch.ones(1_000_000).sum()  # torch at work on them (its first parallel region applies the count set)
{call}
print(torch.get_num_threads(), want)
"""
"""A child Python (numba's pool starts once a process) that sets torch's threads, then makes one call."""

FIRST_CALLS = {
    "simulate_frames": "from evface.sim.dvs import simulate_frames\n"
                       "simulate_frames(np.stack([np.full((6, 8), v, np.float32) for v in (1.0, 2.0)]), [0, 1000], (8, 6))",
    "synthesize": "from evface.datasets.synth import synthesize\n"
                  "synthesize(sys.argv[1], preset='tiny', subjects=1, classes=['AU4'], lighting=['dim'])",
    "bench machine": "from evface.bench import machine\nmachine()",
}


@pytest.mark.parametrize("call", FIRST_CALLS)
def test_starting_numbas_threads_leaves_torchs_count(call, tmp_path):
    """numba's OpenMP threading layer sets OpenMP's thread count for the whole process as its pool
    starts, and torch's CPU threads share that count: evface's first simulated step, synthesized
    clip or benchmark record in a process leaves torch on the threads its caller set (was: 2 of 3
    on this 2-core machine, numba's count, where numba's layer is OpenMP)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", FIRST_POOL.format(call=FIRST_CALLS[call]), str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    got, want = done.stdout.split()[-2:]
    assert got == want, f"torch threads {got} after {call}, {want} set before"


def test_simulate_frames():
    frames = np.stack([np.full((6, 8), 1.0, np.float32), np.full((6, 8), 2.0, np.float32)])
    _leaves_state(lambda: dvs.simulate_frames(frames, [0, 1000], (8, 6)))
    _raises_and_leaves_state(lambda: dvs.simulate_frames(frames, [[0, 1]], (8, 6)))


def test_classification(tmp_path, other_threads):
    data = make_classify_dataset(tmp_path / "data", subjects=("s0", "s1", "s2", "s3"), per_class=1)
    _leaves_state(lambda: classify.train_and_evaluate(data, tmp_path / "run", CLASSIFY))
    _leaves_state(lambda: classify.evaluate_run(tmp_path / "run", data, tmp_path / "eval"))
    _leaves_state(lambda: export_run(tmp_path / "run", tmp_path / "net.nir"))
    _raises_and_leaves_state(lambda: classify.train_and_evaluate(tmp_path / "nowhere", tmp_path / "run2", CLASSIFY))
    _raises_and_leaves_state(lambda: export_run(tmp_path / "nowhere", tmp_path / "net2.nir"))


def test_reconstruction(tmp_path, other_threads):
    data = make_recon_dataset(tmp_path / "data", n_subjects=4, clips_per_subject=1, duration_us=200_000)
    # was: left on the run's torch threads, refused (no such dataset folder) or trained
    _raises_and_leaves_state(lambda: reconstruct.train_and_evaluate(tmp_path / "nowhere", tmp_path / "run2", RECON))
    _leaves_state(lambda: reconstruct.train_and_evaluate(data, tmp_path / "run", RECON))
    _leaves_state(lambda: reconstruct.evaluate_run(tmp_path / "run", data, tmp_path / "eval"))


def test_reconstruction_in_steps(tmp_path, other_threads):
    """The three steps ``evface run`` runs as jobs, each on ``threads`` torch threads (was: left on them)."""
    data = make_recon_dataset(tmp_path / "data", n_subjects=4, clips_per_subject=1, duration_us=200_000)
    cfg = replace(RECON, folds=0)
    parts = _leaves_state(lambda: reconstruct.prepare(data, tmp_path / "run", cfg))
    _leaves_state(lambda: reconstruct.fit_part(data, tmp_path / "run", cfg, parts[0]))
    _raises_and_leaves_state(lambda: reconstruct.fit_part(data, tmp_path / "run", cfg, "no such part"))
    _leaves_state(lambda: reconstruct.pool_parts(data, tmp_path / "run", cfg))


def test_a_pipeline_step_run_in_this_process_sets_its_threads_back(other_threads):
    """A step of ``evface run`` given threads (those of a pool's worker) run in this process: its threads
    are set back, also where it raises (was: ``torch.set_num_threads`` for the rest of the process)."""
    stage = Stage("rgb", "classify", {"data": "data"})

    def refused(stage: Stage, run_dir: Path, step: str) -> list[str]:
        raise ParameterError("refused")

    assert _leaves_state(lambda: timed(lambda stage, run_dir, step: [], stage, Path("rgb"), START, 1))[1] == []
    _raises_and_leaves_state(lambda: timed(refused, stage, Path("rgb"), START, 1))


def test_import_corpus(tmp_path):
    corpus = make_corpus(tmp_path / "casme")
    _leaves_state(lambda: import_corpus(corpus, corpus / "table.csv", tmp_path / "ds", CorpusOptions(**CORPUS_OPTIONS)))
    _raises_and_leaves_state(lambda: import_corpus(corpus, corpus / "no table.csv", tmp_path / "ds2"))


def test_import_session(tmp_path):
    build_session(tmp_path / "raw")
    _leaves_state(lambda: import_session(session_sources(tmp_path / "raw"), session_rgb(tmp_path / "raw"),
                                         tmp_path / "raw" / "annotations.csv", tmp_path / "ds"))
    _raises_and_leaves_state(lambda: import_session(session_sources(tmp_path / "raw"), session_rgb(tmp_path / "raw"),
                                                    tmp_path / "raw" / "no annotations.csv", tmp_path / "ds2"))


def test_to_nir():
    pytest.importorskip("nir")
    model = SpikingCNN(NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)).eval()
    _leaves_state(lambda: to_nir(model))
    _raises_and_leaves_state(lambda: to_nir(model, dt=-1.0))


def test_report_and_pipeline(tmp_path):
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    _leaves_state(lambda: build_report([fake], fake / "report.html"))
    _leaves_state(lambda: run_pipeline(tmp_path / "out", data_dir=fake / "data", jobs=1, runner=fake_runner([], fake)))
    _raises_and_leaves_state(lambda: run_pipeline(tmp_path / "out2", data_dir=tmp_path / "nowhere", jobs=1))
