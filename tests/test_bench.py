"""``evface bench synth`` measures every preset it names (figures are not asserted: machines differ)."""

from __future__ import annotations

import json
import os
import re

import pytest

from evface.bench import cpu_model
from evface.bench import run as run_benchmarks
from evface.bench.io import make_stream
from evface.bench.representations import events_per_second, synthetic_stream
from evface.bench.representations import run as run_representations
from evface.bench.sim import measure
from evface.bench.synth import measure_preset, run
from evface.errors import ParameterError
from evface.sim.dvs_params import DvsParams
from evface.datasets.synth_plan import preset_plan
from evface.tasks import class_speed, recon_speed


def test_bench_synth_reports_each_preset_with_its_whole_preset_extrapolation():
    doc = run(quick=True)
    tiny = doc["presets"]["tiny"]
    assert tiny["clips"] == 2  # one subject, one class, the preset's two lightings, one repetition
    assert tiny["preset_clips"] == len(preset_plan("tiny")[1]) == 12
    assert tiny["bytes_per_clip"] > 0 and tiny["seconds_per_clip"] > 0 and tiny["events_per_clip"]["hd"] > 0
    assert tiny["preset_gb"] == round(12 * tiny["bytes_per_clip"] / 1e9, 2)
    assert tiny["preset_cpu_hours"] == round(12 * tiny["cpu_seconds_per_clip"] / 3600, 2)
    assert doc["preset"] == "tiny" and doc["bytes_per_clip"] == tiny["bytes_per_clip"]


def test_bench_synth_refuses_a_preset_folder_already_there(tmp_path, monkeypatch):
    """measure_preset(name, root) twice: the second resumed the first's clips and timed them as made
    (seconds per clip of a resume, a preset's CPU-hours near 0)."""
    made = []
    monkeypatch.setattr("evface.bench.synth.synthesize", lambda out, **kw: made.append(out) or out)
    (tmp_path / "tiny" / "clips").mkdir(parents=True)
    with pytest.raises(ParameterError, match=f"^{re.escape(str(tmp_path / 'tiny'))}: exists; measure_preset times "
                                             "clips made from nothing"):
        measure_preset("tiny", tmp_path)
    assert made == []


def test_cpu_model_names_a_processor():
    assert cpu_model().strip()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: measure((32, 24), DvsParams.ideal(0.2), 0), "steps must be >= 1, got 0"),
    (lambda: measure((32, 24), DvsParams.ideal(0.2), 2, scene="rain"), "unknown benchmark scene 'rain'"),
    (lambda: measure((32, 24), DvsParams.ideal(0.2), 2, warmup=-1), "warmup must be >= 0, got -1"),
    (lambda: measure((60000, 60000), DvsParams.ideal(0.2), 1),  # was: named sensor_size and evface simulate's options
     r"^size 60000x60000 \(the simulator's state and the scene's frames\) takes about 388.9 GiB, .*; give a smaller size$"),
    (lambda: measure((0, 24), DvsParams.ideal(0.2), 1), r"^size width must be in \[1, 65536\], got 0$"),
    (lambda: synthetic_stream(10**12), r"n_events 1,000,000,000,000 takes about 59604.6 GiB"),
    (lambda: synthetic_stream(10, (70000, 5)), r"^sensor_size width must be in \[1, 65536\], got 70000$"),  # wrapped
    (lambda: synthetic_stream(10, (0, 5)), r"^sensor_size width must be in \[1, 65536\], got 0$"),  # "high <= 0"
    (lambda: synthetic_stream(10, duration_us=0), r"^duration_us must be >= 1, got 0$"),  # "high <= 0"
    (lambda: synthetic_stream(10, seed=-1), r"^seed must be >= 0, got -1$"),  # NumPy's "expected non-negative integer"
    (lambda: make_stream(-1), "n_events must be >= 1, got -1"),
    (lambda: make_stream(10, seed=-1), "^seed must be >= 0, got -1$"),  # was: NumPy's "expected non-negative integer"
    (lambda: events_per_second(lambda: None, -5), "^n_events must be >= 1, got -5$"),  # was: -6 million events/s
    (lambda: run_representations(1.5), "n_events must be a whole number, got 1.5"),
    (lambda: events_per_second(lambda: None, 10, repeats=0), "repeats must be >= 1, got 0"),
    (lambda: class_speed.throughput(steps=0), "steps must be >= 1, got 0"),  # was a ZeroDivisionError
    (lambda: class_speed.throughput(batch_size=-1), "batch_size must be >= 1, got -1"),
    (lambda: recon_speed.throughput(steps=-1), "steps must be >= 1, got -1"),  # was a ZeroDivisionError
    (lambda: recon_speed.throughput(steps=1.5), "steps must be a whole number, got 1.5"),
    (lambda: run_benchmarks("io"), r"names must be a list of benchmarks, got the string 'io' \(give \('io',\)\)"),
    (lambda: run_benchmarks(("rain",)), r"unknown benchmark\(s\) 'rain'; choose from io, sim, synth, train"),  # was ModuleNotFoundError
    (lambda: run_benchmarks(("io", "io")),  # was measured twice, one kept
     r"^'io io' names benchmark io twice; give each benchmark once$"),
    (lambda: run_benchmarks(("io",), quick="no"),  # was: the smaller inputs measured, "quick": "no" in the document
     r"^quick must be True or False, got 'no'$"),
])
def test_bench_sizes_are_checked_before_anything_runs(call, message):
    """measure(steps=0) was a ZeroDivisionError, an unknown scene a KeyError, warmup=-1 timed the
    initialising step; a stream of 10^12 events a MemoryError of 11.8 TiB, -1 a numpy ValueError,
    1.5 events silently 1, and repeats=0 a rate of 0.0 events/s."""
    with pytest.raises(ParameterError, match=message):
        call()


def test_bench_sim_counts_the_scene_frames_against_memory(monkeypatch):
    """On a machine of 1 GiB, 2200x2200 fits the simulator's own check (100 B a pixel: 484 MB) but
    not with the scene's frames (116 B: 561 MB, over half the memory): it ran and allocated them."""
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}.get(name, real(name)))
    with pytest.raises(ParameterError, match=r"^size 2200x2200 \(the simulator's state and the scene's frames\) takes "
                                             r"about 0.5 GiB, more than half of this machine's 1 GiB; give a smaller size$"):
        measure((2200, 2200), DvsParams.ideal(0.2), 1)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: class_speed.throughput("events"),  # was: "not 'e'", its letters taken as input kinds
     r"^inputs must be a list of input kinds, got the string 'events' \(give \('events',\)\)$"),
    (lambda: class_speed.throughput(()), r"^inputs names no input kind; give e.g. \('events',\)$"),  # was an IndexError
    (lambda: class_speed.throughput(batch_size=10**7),
     r"^batch_size 10,000,000 of 4 x 2 x 64 x 64 inputs \(a training step\) takes about 48828.1 GiB, .*; give a "
     "smaller batch_size or size$"),
    (lambda: recon_speed.throughput(batch_size=10**7),
     r"^batch_size 10,000,000 of 11 x 64 x 64 inputs \(a training step\) takes about 67138.7 GiB, .*; give a "
     "smaller batch_size or size$"),
    (lambda: recon_speed.throughput(size=0), r"^size must be in \[16, 1024\], got 0$"),
    (lambda: recon_speed.throughput(size=10**5), r"^size must be in \[16, 1024\], got 100000$"),
])
def test_bench_train_checks_its_arguments_and_memory_before_allocating(call, message):
    """A batch beyond memory was torch's allocator error, or the process killed part way through
    the step; reconstruct's size 0 "the condition holds no sample or no pixel", naming no argument."""
    with pytest.raises(ParameterError, match=message):
        call()


def test_bench_document_says_what_a_comparison_across_machines_needs(monkeypatch):
    """The document held the CPU's model name, its cores, Python, numpy and torch alone: not the
    numba threads (NUMBA_NUM_THREADS), the cores taskset left, the CPU's family and model (every
    KVM Xeon is "Intel(R) Xeon(R) Processor"), numba's, h5py's or faery's versions, the commit, the
    date, nor whether --quick (figures not comparable) made it."""
    import numba
    import subprocess

    from evface.bench import io as bench_io
    from evface.ray_cluster import code_fingerprint

    monkeypatch.setattr(bench_io, "run", lambda quick: {"quick_given": quick})
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        doc = run_benchmarks(("io",), quick=True)
    finally:
        numba.set_num_threads(threads)
    assert doc["io"] == {"quick_given": True} and doc["quick"] is True and doc["benchmarks"] == ["io"]
    assert doc["started"].endswith("+00:00")
    machine = doc["machine"]
    assert machine["numba_threads"] == 1 and machine["cores_usable"] == len(os.sched_getaffinity(0))
    assert {"numba", "h5py", "faery", "torch", "numpy"} <= machine["packages"].keys()
    assert "load_average" in machine and machine["system"]
    if os.path.exists("/proc/cpuinfo"):
        assert machine["cpu_family"] and machine["cpu_model_number"]
    head = subprocess.run(["git", "-C", os.path.dirname(os.path.dirname(__file__)), "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    assert doc["code"]["commit"] == (head or None) and doc["code"]["fingerprint"] == code_fingerprint()


def _fake_io(monkeypatch, result=None):
    """``evface bench io`` measuring nothing: ``result`` (an exception is raised), never the real run."""
    from evface.bench import io as bench_io

    def fake(quick):
        if isinstance(result, BaseException):
            raise result
        return result

    monkeypatch.setattr(bench_io, "run", fake)


def test_bench_out_writes_the_printed_document_into_the_folders_it_makes(tmp_path, capsys, monkeypatch):
    """``evface bench`` had no --out: ``evface bench > bench.json`` emptied the earlier file at once."""
    from evface.cli import main

    _fake_io(monkeypatch, {"n_events": 5})
    out = tmp_path / "runs" / "zen4.json"
    assert main(["bench", "io", "--quick", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text()) == printed and printed["io"] == {"n_events": 5}
    assert sorted(p.name for p in out.parent.iterdir()) == ["zen4.json"]


@pytest.mark.parametrize(("name", "message"), [
    ("earlier.json", r"earlier.json: exists; give --out another name, or add --force to replace it$"),
    ("bench", r"--out: .*bench would hold the benchmark figures \(JSON\); give it a .json name$"),
    ("notes.txt", r"notes.txt: exists and is not a .json file, which this command would write over; give --out another name$"),
    ("data/bench.json", r"inside the dataset folder .*data \(it holds dataset.json\)"),
    ("folder.json", r"folder.json: is a folder; give --out a file name$"),
    ("new/", r"new/: names a folder; give --out a file name"),
    ("fifo.json", r"fifo.json: is a device, pipe or socket, not a file this command can replace; give --out a file name$"),
    ("link.json", r"link.json: is a symbolic link to earlier.json; .*give --out the file the link names, or a new name$"),
])
def test_bench_out_is_refused_before_anything_is_measured(tmp_path, capsys, monkeypatch, name, message):
    """Each was found (or not) only after the benchmarks' minutes, by a shell redirect."""
    from evface.cli import main

    _fake_io(monkeypatch, AssertionError("measured"))
    (tmp_path / "earlier.json").write_text('{"evface": "0.1.0"}')
    (tmp_path / "notes.txt").write_text("notes")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset.json").write_text("{}")
    (tmp_path / "folder.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "link.json").symlink_to("earlier.json")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "io", "--out", name]) == 2
    assert re.search(message, capsys.readouterr().err.strip().splitlines()[-1])
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "earlier.json").read_text() == '{"evface": "0.1.0"}'


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), RuntimeError("a benchmark failed")])
def test_bench_stopped_midway_leaves_the_earlier_file_and_no_folder(tmp_path, capsys, monkeypatch, stop):
    from evface.cli import main

    _fake_io(monkeypatch, stop)
    earlier = tmp_path / "zen4.json"
    earlier.write_text('{"evface": "0.1.0"}')
    assert main(["bench", "io", "--out", str(earlier), "--force"]) == (130 if isinstance(stop, KeyboardInterrupt) else 1)
    assert main(["bench", "io", "--out", str(tmp_path / "new" / "zen4.json")]) != 0
    assert earlier.read_text() == '{"evface": "0.1.0"}' and sorted(p.name for p in tmp_path.iterdir()) == ["zen4.json"]


def test_bench_out_replaces_with_force_and_keeps_a_file_made_meanwhile(tmp_path, capsys, monkeypatch):
    from evface.bench import io as bench_io
    from evface.cli import main

    out = tmp_path / "zen4.json"
    out.write_text('{"evface": "0.0.9"}')
    _fake_io(monkeypatch, {"n_events": 5})
    assert main(["bench", "io", "--out", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["io"] == {"n_events": 5}

    late = tmp_path / "late.json"

    def newcomer(quick):  # another program saves late.json while the benchmark runs
        late.write_text("another's")
        return {}

    monkeypatch.setattr(bench_io, "run", newcomer)
    assert main(["bench", "io", "--out", str(late)]) == 2
    assert "late.json: exists; give --out another name, or add --force" in capsys.readouterr().err
    assert late.read_text() == "another's" and sorted(p.name for p in tmp_path.iterdir()) == ["late.json", "zen4.json"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_bench_out_is_written_when_standard_output_fails(tmp_path, capsys, monkeypatch):
    """``evface bench --out b.json | head -c 10`` (a broken pipe) or ``> /dev/full`` ended the
    command while printing, before b.json was written: the measured figures were lost."""
    import sys

    from evface.cli import main

    _fake_io(monkeypatch, {"n_events": 5})
    out = tmp_path / "zen4.json"
    with open("/dev/full", "w", buffering=1, encoding="utf-8") as full:  # line buffered: print raises
        monkeypatch.setattr(sys, "stdout", full)
        assert main(["bench", "io", "--out", str(out)]) == 2
    assert "standard output: No space left on device" in capsys.readouterr().err
    assert json.loads(out.read_text())["io"] == {"n_events": 5}


def test_bench_names_no_commit_for_sources_outside_a_checkout(tmp_path, monkeypatch):
    """evface installed in a venv inside another project's repository gave that project's commit."""
    import subprocess

    import evface.bench

    package = tmp_path / "site-packages" / "evface" / "bench"
    package.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q",
                    "--allow-empty", "-m", "another project"], check=True)
    monkeypatch.setattr(evface.bench, "__file__", str(package / "__init__.py"))
    assert evface.bench.git_commit()["commit"] is None
