"""The scripts of tools/ given what a hostile user gives them: a missing file, a folder of the wrong
kind, a count that is negative or nought, an output path that is a file or empty. Each is refused as
evface's commands refuse (docs/architecture.md, evface/errors.py): one line naming the file, value or
option, exit 2, nothing written (each was a traceback, exit 1, a table of nan or negative times, or
a stage folder begun under a file's name). Run in this process: a child process per case took
seconds of imports (tests/test_run_stage_tool.py runs a tool as a script)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from evface.commands.paths import sole_writer
from evface.datasets.toy import toy_dataset
from evface.tasks.run_folder import write_json

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_tool", TOOLS / f"{name}.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def _refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, *args: str | Path) -> str:
    """The one line tool ``name``'s ``main`` stops with for ``args`` (exit 2), with nothing printed
    to standard output before it."""
    tool = _tool(name)
    monkeypatch.setattr(sys, "argv", [str(TOOLS / f"{name}.py"), *map(str, args)])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    out, said = capsys.readouterr()
    assert stopped.value.code == 2 and said.startswith("error: ") and said.count("\n") == 1, said
    assert out == "", out
    return said.rstrip("\n")


@pytest.mark.parametrize(("name", "args", "said"), [
    ("dvs_memory_floor", ["--steps", "-3", "--width", "8", "--height", "8"], "error: --steps must be >= 1, got -3"),
    ("dvs_memory_floor", ["--steps", "0"], "error: --steps must be >= 1, got 0"),
    ("dvs_memory_floor", ["--width", "-1"], "error: --width must be in [1, 16384], got -1"),
    ("dvs_memory_floor", ["--width", "16384", "--height", "16384"], "error: a 16384x16384 state and its 8 frames "
                                                                     "takes about 17.0 GiB, more than half of this "
                                                                     "machine's 1 GiB; give a smaller --width or --height"),
    ("dvs_ideal_floor", ["--steps", "0"], "error: --steps must be in [1, 100000], got 0"),
    ("dvs_ideal_floor", ["--repeats", "0"], "error: --repeats must be >= 1, got 0"),
    ("dvs_ideal_floor", ["--width", "4"], "error: --width must be in [8, 16384], got 4"),
    ("dvs_ideal_floor", ["--width", "16384", "--height", "16384"], "error: a 16384x16384 state and its 105 frames "),
    ("bench_xcorr", ["--minutes", "-1"], "error: --minutes must be a finite number in [0.01, 1440], got -1.0"),
    ("bench_xcorr", ["--minutes", "nan"], "error: --minutes must be a finite number in [0.01, 1440], got nan"),
    ("bench_xcorr", ["--minutes", "600"], "error: a 600-minute session's 100 µs bins takes about 16.1 GiB, more than "
                                          "half of this machine's 1 GiB; give fewer --minutes"),
    ("bench_xcorr", ["--exposure-us", "-5"], "error: --exposure-us must be in [0, 1000000], got -5"),
    ("interval_coverage", ["--runs", "0"], "error: --runs must be >= 1, got 0"),
    ("interval_coverage", ["--subjects", "1"], "error: --subjects must be >= 2, got 1"),
    ("interval_coverage", ["--folds", "13"], "error: --folds must be in [1, 12], got 13"),
    ("interval_coverage", ["--classify", "--resamples", "0"], "error: --resamples must be >= 1, got 0"),
    ("haar_first_frames", ["--preset", "bogus"], "error: unknown synth preset 'bogus' (--preset); choose from"),
    ("haar_first_frames", ["--preset", "tiny", "--workers", "0"], "error: --workers must be >= 1, got 0"),
    ("haar_first_frames", ["--preset", "tiny", "--seed", "-1"], "error: --seed must be >= 0, got -1"),
    ("bench_v2e", ["--sizes", "346by260"], "error: --sizes '346by260': give WIDTHxHEIGHT, e.g. 346x260"),
    ("bench_v2e", ["--scenes", "blob,sunset"], "error: --scenes 'sunset': choose from blob, flicker"),
    ("bench_v2e", ["--repeats", "0"], "error: --repeats must be >= 1, got 0"),
    ("bench_v2e", ["--threads", "0"], "error: --threads must be >= 1, got 0"),
    ("bench_v2e", ["--cpus", "a"], "error: --cpus 'a': give CPU numbers, e.g. 0,1"),
    ("bench_v2e", ["--v2e-path", "/nowhere"], "error: --v2e-path '/nowhere': no v2ecore there"),
])
def test_a_bad_value_is_refused_in_one_line_naming_its_option(monkeypatch, capsys, name, args, said):
    real = os.sysconf  # a machine of 1 GiB (was: a MemoryError, or the machine's memory filled)
    monkeypatch.setattr(os, "sysconf", lambda key: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1 << 18}.get(key, real(key)))
    assert _refused(monkeypatch, capsys, name, *args).startswith(said)


def test_a_missing_or_foreign_input_is_named(monkeypatch, capsys, tmp_path):
    # each was a traceback (exit 1); antiflicker_regions printed its table's header first
    not_a_clip = tmp_path / "notes.h5"
    not_a_clip.write_text("mine")
    assert _refused(monkeypatch, capsys, "antiflicker_regions", not_a_clip).startswith(
        f"error: {not_a_clip}: not a readable HDF5 clip file")
    assert _refused(monkeypatch, capsys, "antiflicker_regions", tmp_path / "none.h5") == (
        f"error: {tmp_path / 'none.h5'}: no such file")
    assert _refused(monkeypatch, capsys, "recon_seeds", tmp_path) == (
        f"error: {tmp_path / 'config.json'}: no config.json: not an evface run folder")
    classify = tmp_path / "events-hd"
    write_json(classify / "config.json", {"task": "classify", "epochs": 3})
    assert _refused(monkeypatch, capsys, "recon_seeds", classify) == (  # was: 'score the run with evface eval'
        f"error: {classify}: a classify run, not a reconstruction run")
    assert _refused(monkeypatch, capsys, "haar_first_frames", "--preset", "tiny", "--check", tmp_path / "none") == (
        f"error: {tmp_path / 'none'}: no such dataset folder")


def test_run_stage_refuses_a_file_or_an_empty_text_as_out(monkeypatch, capsys, tmp_path):
    data = toy_dataset(tmp_path / "toy", subjects=3)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    stage = ("rgb", "--preset", "tiny", "--set", "sensor=lr")
    # was: the configuration printed, then a traceback making OUT/stages/NAME-KEY under the file
    tool = _tool("run_stage")
    monkeypatch.setattr(sys, "argv", ["run_stage.py", str(data), str(notes), *stage])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    out, said = capsys.readouterr()
    assert (stopped.value.code, out, said) == (2, "", f"error: {notes}: is a file, not a folder; give OUT a folder\n")
    assert notes.read_text() == "mine"
    # was: Path("") read as the current folder, where the stage was written when it was empty
    monkeypatch.chdir(tmp_path / "toy" / "clips")
    monkeypatch.setattr(sys, "argv", ["run_stage.py", str(data), "", *stage])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    assert stopped.value.code == 2 and "argument out: an empty text is no path" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "said"), [
    (["--set", "saccade_rate_hz=100"], "error: --set saccade_rate_hz must be a finite number in [0, 10], got 100"),
    (["--set", "saccade_rate_hz=abc"], "error: --set TimelineParams.saccade_rate_hz must be a number, got 'abc'"),
    (["--set", "saccade_rate=3"], "error: --set saccade_rate: not a field of TimelineParams; choose from duration_us,"),
    (["--set", "gaze_range_deg=[1,2,3]"], "error: --set TimelineParams.gaze_range_deg must be a tuple of 2 numbers"),
    (["--preset", "bogus"], "error: unknown synth preset 'bogus' (--preset); choose from"),
    (["--workers", "0"], "error: --workers must be >= 1, got 0"),
    (["--seed", "-1"], "error: --seed must be >= 0, got -1"),
])
def test_synth_timeline_refuses_a_bad_change_before_out_is_made(monkeypatch, capsys, tmp_path, args, said):
    out = tmp_path / "data"
    assert _refused(monkeypatch, capsys, "synth_timeline", out, *args).startswith(said)
    assert not out.exists()


def test_synth_timeline_refuses_a_file_or_a_dataset_folder_as_out(monkeypatch, capsys, tmp_path):
    data = toy_dataset(tmp_path / "toy", subjects=3)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert _refused(monkeypatch, capsys, "synth_timeline", notes / "data") == (
        f"error: {notes}: is a file, not a folder; give OUT a folder")
    assert _refused(monkeypatch, capsys, "synth_timeline", data / "clips").startswith(
        f"error: {data / 'clips'}: inside the dataset folder {data}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "toy"]
    with sole_writer(tmp_path / "busy", "OUT"):  # another command writing there: the clips of two writers
        assert _refused(monkeypatch, capsys, "synth_timeline", tmp_path / "busy", "--preset", "tiny") == (
            f"error: {tmp_path / 'busy'}: another evface command is writing into this folder; wait for it to "
            "finish or give OUT another folder")
        assert list((tmp_path / "busy").iterdir()) == []


def test_api_index_leaves_the_page_whole_when_its_write_fails(monkeypatch, tmp_path):
    # was: written in place, so a full disk left half a page
    tool = _tool("api_index")
    page = tmp_path / "api.md"
    page.write_text("the whole old page", encoding="utf-8")
    monkeypatch.setattr(tool, "DOC", page)
    monkeypatch.setattr(tool, "render", lambda: "the new page, longer than the disk has room for")
    real_write = pathlib.Path.write_text

    def disk_full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        real_write(self, text[:7], encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        tool.main([])
    monkeypatch.undo()
    assert page.read_text(encoding="utf-8") == "the whole old page"
    assert [p.name for p in tmp_path.iterdir()] == ["api.md"]


PAGES = [TOOLS.parent / "README.md", *sorted((TOOLS.parent / "docs").glob("*.md"))]
TOOL_LINE = re.compile(r"tools/(\w+)\.py([^`#\n]*)")
"""A tool's name and the rest of its line, up to a code span's end or a comment."""


def given_options(text: str) -> set[tuple[str, str]]:
    """Each ``(tool, --option)`` a page's ``tools/NAME.py ...`` lines give (``--option=value`` as
    ``--option``), and ``(tool, "")`` for each tool it names."""
    found = set()
    for name, rest in TOOL_LINE.findall(text):
        found.add((name, ""))
        found.update((name, option) for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest))
    return found


def _help(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    tool = _tool(name)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--help"])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_every_tool_and_option_a_page_gives_exists(monkeypatch, capsys):
    # the docs tell researchers to run these scripts; a renamed option left a reader with a usage error
    given = {(page.name, *pair) for page in PAGES for pair in given_options(page.read_text(encoding="utf-8"))}
    assert {name for _, name, _ in given} >= {"run_stage", "recon_seeds", "interval_coverage", "bench_xcorr"}
    helps = {name: _help(name, monkeypatch, capsys) for name in sorted({name for _, name, _ in given
                                                                      if (TOOLS / f"{name}.py").is_file()})}
    wrong = sorted((page, name, option) for page, name, option in given
                   if name not in helps or option not in helps[name])
    assert not wrong, wrong


def test_the_tool_check_reads_a_tools_options():
    text = "run `python tools/run_stage.py D O S --set a=1 --jobs=2` # --not-this\n    python tools/x.py --bogus"
    assert given_options(text) == {("run_stage", ""), ("run_stage", "--set"), ("run_stage", "--jobs"), ("x", ""),
                                   ("x", "--bogus")}
