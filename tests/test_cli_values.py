"""Every value a command-line option or an environment variable of evface takes, given hostile text.

Each case runs ``evface.cli.main`` in process with one option's value (or one variable) replaced
by each of :data:`HOSTILE`; the command's work is replaced by a recorder, so that a value taken
starts nothing. A value refused is exit code 2 and one line naming the option (typer's own number
options: its usage box naming the option), no traceback, nothing written under the output path. A
value taken is one the option means: numbers are read as typer reads its number options
(:func:`evface.checks.whole_number`, :func:`evface.checks.real_number`: ASCII digits, a sign, ``_``
between digits and spaces around, ``' 5 '`` is 5; a digit of another script, ``'²'`` or a control
character never), and the recorder checks the number the work received. Words stored with every
clip (``--lighting``, ``--model hd=``) are printable UTF-8 text.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evface import cli
from evface.checks import real_number, whole_number
from evface.errors import EvfaceError, printable

HOSTILE = ["", " ", "nan", "inf", "-inf", "-1", "0", "1e309", "1" + "0" * 30, "\u00b2", "\u0661\u0662", "\uff10",
           "0x10", "1_000", "1.5", "\x1c5", " 5 ", "hd=", "=5", "hd==5", "hd=5,hd=6", "9" * 5000, "a" * 5000,
           "\udcff"]
"""Values the options are given: empty, blank, not finite, negative, past int64 and float, '²' (a
digit to ``str.isdigit``, not to ``int()``), Arabic-Indic and fullwidth digits (digits to
``int()``), hexadecimal, underscores, a fraction, a control character, spaces around, NAME=VALUE
gone wrong, 5000 digits (past what ``int()`` reads), 5000 letters and a non-UTF-8 byte of argv."""


class _Reached(EvfaceError):
    """The recorder's stop: the command's work was reached with the value taken."""


@dataclass(frozen=True)
class Case:
    """One option: its arguments with the value in place, the work it reaches, what it may take."""

    label: str
    argv: Callable[[str, Path], list[str]]
    work: str
    takes: Callable[[str], Any] = lambda value: None
    got: Callable[[tuple, dict], Any] | None = None

    def __str__(self) -> str:
        return self.label

    @property
    def option(self) -> str:
        """The option (or argument) the case gives its value to, as an error names it."""
        return next(word for word in self.label.split() if word.startswith("--"))


def _whole(low: float = -math.inf, high: float = math.inf) -> Callable[[str], int | None]:
    """What a whole-number option in [low, high] takes ``value`` as (None: refused)."""
    def takes(value: str) -> int | None:
        number = whole_number(value)
        return number if number is not None and low <= number <= high else None
    return takes


def _real(low: float = -math.inf, high: float = math.inf) -> Callable[[str], float | None]:
    """What a number option in [low, high] takes ``value`` as (None: refused)."""
    def takes(value: str) -> float | None:
        number = real_number(value)
        return number if number is not None and math.isfinite(number) and low <= number <= high else None
    return takes


def _tag(value: str) -> str | None:
    """A word stored with every clip: printable UTF-8 text, not blank (spaces and tabs around it
    dropped where it is the VALUE of NAME=VALUE)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value if value.strip() and value.isprintable() else None


def _pair_tag(value: str) -> str | None:
    return _tag(value.strip(" \t"))


def _sensor_name(value: str) -> str | None:
    """The sensor name ``--events NAME=FILE`` takes from ``value=FILE`` (split at the first '=')."""
    from evface.io.clip_schema import SENSOR_NAME  # lazy: h5py, with the importer

    name = value.partition("=")[0].strip(" \t")
    return name if SENSOR_NAME.fullmatch(name) else None


def _session(*extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["import", "session", str(tmp / "out"), "--events", f"hd={tmp / 'a.raw'}", "--rgb",
                        str(tmp / "v.avi"), "--annotations", str(tmp / "table.csv"), *extra]


def session(option: str, text: str, **kw: Any) -> Case:
    return Case(f"import session {option} {text}", lambda v, tmp: _session(option, text.format(v))(tmp),
                "evface.datasets.importers.session._check_request", **kw)


def corpus(option: str, text: str, **kw: Any) -> Case:
    return Case(f"import corpus {option} {text}",
                lambda v, tmp: ["import", "corpus", str(tmp), str(tmp / "table.csv"), str(tmp / "out"), option,
                                text.format(v)],
                "evface.datasets.importers.corpus._check_request", **kw)


def simulate(option: str, text: str, **kw: Any) -> Case:
    return Case(f"simulate {option} {text}",
                lambda v, tmp: ["simulate", str(tmp / "v.avi"), "--out", str(tmp / "out" / "e.raw"), option,
                                text.format(v)], "evface.commands.sim._read_timing", **kw)


def synth(option: str, text: str, **kw: Any) -> Case:
    return Case(f"synth {option} {text}",
                lambda v, tmp: ["synth", str(tmp / "out"), "--preset", "tiny", option, text.format(v)],
                "evface.datasets.synth.claim_dataset_folder", **kw)


def faces(option: str, text: str, **kw: Any) -> Case:
    return Case(f"faces {option} {text}", lambda v, tmp: ["faces", str(tmp / "out" / "f.png"), option, text.format(v)],
                "evface.face.preview.contact_sheet", **kw)


def _event(field: str, index: int | None = None) -> Callable[[tuple, dict], Any]:
    """The ``field`` of the first EventSource import session's work got (its ``index``-th number)."""
    def got(args: tuple, kwargs: dict) -> Any:
        value = getattr(args[0][0], field)
        return value if index is None else value[index]
    return got


def _session_option(field: str, index: int | None = None) -> Callable[[tuple, dict], Any]:
    def got(args: tuple, kwargs: dict) -> Any:
        value = getattr(args[4], field)
        return value if index is None else value[index]
    return got


def _corpus_option(field: str, index: int | None = None) -> Callable[[tuple, dict], Any]:
    def got(args: tuple, kwargs: dict) -> Any:
        value = getattr(args[3], field)
        return value if index is None else value[index]
    return got


CASES = [
    session("--offset", "hd={}", takes=_whole(-2**62, 2**62), got=_event("offset_us")),
    session("--trigger-channel", "hd={}", takes=_whole(0, 31), got=_event("trigger_channel")),
    session("--trigger-first-frame", "hd={}", takes=_whole(0), got=_event("trigger_first_frame")),  # checked on the video
    session("--roi", "hd={},0,8,8", takes=_whole(), got=_event("roi", 0)),  # checked on the sensor's size
    session("--sensor-size", "hd={}x260", takes=_whole(1, 2**16), got=_event("sensor_size", 0)),
    session("--model", "hd={}", takes=_pair_tag, got=_event("model")),
    session("--sync", "hd={}"),
    session("--registration", "hd={}"),
    Case("import session --events {}=FILE",
         lambda v, tmp: ["import", "session", str(tmp / "out"), "--events", f"{v}={tmp / 'a.raw'}", "--rgb",
                         str(tmp / "v.avi"), "--annotations", str(tmp / "table.csv")],
         "evface.datasets.importers.session._check_request", takes=_sensor_name, got=_event("name")),
    session("--face-box", "{},0,8,8", takes=_whole(), got=_session_option("face_box", 0)),  # checked on the video
    session("--rgb-size", "{}x64", takes=_whole(16, 2**16), got=_session_option("rgb_size", 0)),
    session("--lighting", "{}", takes=_tag, got=_session_option("lighting")),
    session("--classes", "{}"),
    session("--min-confidence", "{}", takes=_real(0, 1), got=_session_option("min_confidence")),
    corpus("--sensor", "davis346:{}x260", takes=_whole(1, 2**16), got=lambda a, k: a[3].sensors[0]),
    corpus("--face-box", "{},0,8,8", takes=_whole(), got=_corpus_option("face_box", 0)),
    corpus("--lighting", "{}", takes=_tag, got=_corpus_option("lighting")),
    corpus("--classes", "{}"),
    simulate("--sensor", "{}x260", takes=_whole(1, 65535)),
    simulate("--sensor", "{}"),
    simulate("--roi", "{},0,8,8", takes=_whole(0, 338)),
    simulate("--set", "cutoff_hz={}", takes=_real(0, math.inf)),
    simulate("--model", "{}"),
    synth("--shard", "{}/4", takes=_whole(0, 3)),
    synth("--shard", "0/{}", takes=_whole(1, 2**63)),
    synth("--classes", "{}"),
    synth("--seed", "{}", takes=_whole(0, 2**63)),
    synth("--ray", "127.0.0.1:{}"),
    synth("--ray", "{}:6379"),
    faces("--seeds", "{}", takes=_whole(0, 2**63)),
    faces("--aus", "{}:0.5", takes=lambda v: whole_number(v) if whole_number(v) in (1, 2, 4, 5, 6) else None),
    faces("--aus", "12:{}", takes=_real(0, 1)),
    faces("--pose", "yaw={}", takes=lambda v: _real(-90, 90)(v) or None),
    Case("run --stages {}", lambda v, tmp: ["run", "--preset", "tiny", "--out", str(tmp / "out"), "--stages", v],
         "evface.pipeline.run.ray_session"),
    Case("info --sensor-size {}x260", lambda v, tmp: ["info", str(tmp / "e.csv"), "--sensor-size", f"{v}x260"],
         "evface.io.file_info.file_info", takes=_whole(1, 2**16), got=lambda a, k: k["sensor_size"][0]),
    Case("train classify --learning-rate {}", lambda v, tmp: ["train", "classify", "--data", str(tmp), "--out",
                                                              str(tmp / "out"), "--learning-rate", v],
         "evface.tasks.classify.train_and_evaluate", takes=_real(1e-300, math.inf),
         got=lambda a, k: a[2].learning_rate),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The files the commands' arguments name (their contents never read: the work is a recorder's)."""
    tmp = tmp_path_factory.mktemp("inputs")
    for name in ("a.raw", "v.avi", "table.csv"):
        (tmp / name).write_bytes(b"\0")
    (tmp / "e.csv").write_text("t,x,y,p\n1,0,0,1\n")
    return tmp


def _no_connection(address: tuple[str, int], timeout: float | None = None) -> None:
    """``socket.create_connection`` without the network: the name encoded as the resolver encodes
    it (IDNA), then refused."""
    address[0].encode("idna")
    raise ConnectionRefusedError(111, "Connection refused")


def _recorder(calls: list) -> Callable[..., Any]:
    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        raise _Reached("reached the work")
    return record


def _work(monkeypatch: pytest.MonkeyPatch, target: str, calls: list) -> None:
    """Replace ``target`` by a recorder; a module not imported yet (the training's: torch) by a stand-in."""
    module, _, name = target.rpartition(".")
    if module == "evface.tasks.classify":
        monkeypatch.setitem(sys.modules, module, types.SimpleNamespace(**{name: _recorder(calls)}))
    else:
        monkeypatch.setattr(target, _recorder(calls))


def _problems(case: Case, value: str, code: int, err: str, calls: list, out: Path) -> list[str]:
    """What is wrong with the command's answer to ``value``: nothing where it took a value it
    means (and passed that number on) or refused it in one line naming the option and the value."""
    lines = [line for line in err.splitlines() if line.strip()]
    problems = []
    if "Traceback" in err or "internal error" in err or code != 2:
        problems.append(f"exit {code}: {err[-300:]!r}")
    if calls:
        taken = case.takes(value)
        if taken is None:
            problems.append("taken, but not a value the option means")
        elif case.got is not None and case.got(*calls[0]) != taken:
            problems.append(f"taken as {case.got(*calls[0])!r}, not {taken!r}")
        return problems
    if out.exists() and any(out.iterdir()):
        problems.append(f"wrote {sorted(p.name for p in out.iterdir())}")
    flat = " ".join(" ".join(line.strip(" │╭╮╰╯─").split()) for line in lines)
    if not lines[:1] or case.option not in flat.replace("'", ""):
        problems.append(f"the option is not named: {flat[:200]!r}")
    if lines[:1] and lines[0].startswith("error:"):
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines: {lines[:3]!r}")
        elif not any(shown in lines[0] for shown in _shown(value)):
            problems.append(f"the value is not named: {lines[0][:200]!r}")
    return problems


def _shown(value: str) -> list[str]:
    """Ways an error line may name ``value``: as given (its control characters escaped, as every
    line has them), as a string's repr shows it, or as the number it was read as."""
    text = value.strip(" \t")
    shown = [printable(text)[:40], repr(text)[1:-1][:40], printable(text.split(",")[0])]  # a list's first item
    for number in (whole_number(value), real_number(value)):
        if number is not None:
            shown.append(str(number))
    return shown


@pytest.mark.parametrize("case", CASES, ids=str)
def test_an_option_given_hostile_text_takes_what_it_means_or_names_itself(case, inputs, monkeypatch, capsys):
    calls: list = []
    _work(monkeypatch, case.work, calls)
    monkeypatch.setattr("evface.commands.face._identities", lambda *a: [])  # faces: no face rendered before the sheet
    monkeypatch.setattr("evface.ray_connect.socket.create_connection", _no_connection)
    monkeypatch.setenv("COLUMNS", "400")  # typer's box on one line
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    wrong = {}
    for value in HOSTILE:
        calls.clear()
        code = cli.main(case.argv(value, inputs))
        problems = _problems(case, value, code, capsys.readouterr().err, calls, inputs / "out")
        if problems:
            wrong[value[:20]] = problems
    assert not wrong, wrong


def _id(value: str) -> str:
    return ascii(value)[:16]


@pytest.mark.parametrize("value", HOSTILE, ids=_id)
def test_a_thread_setting_is_a_number_of_threads_or_one_line(value, monkeypatch, capsys):
    """NUMBA_NUM_THREADS: 1 to 4096 threads, read as the number options read a number (was:
    5000 digits int()'s ValueError, exit 1; 10**11 threads the process killed at the first kernel)."""
    monkeypatch.setenv("NUMBA_NUM_THREADS", value)
    code = cli.main(["info", "--help"])
    err = capsys.readouterr().err.strip()
    if value.strip() and _whole(1, 4096)(value) is None:
        assert code == 2 and err == (f"error: NUMBA_NUM_THREADS={printable(repr(value))}: not a number of threads; "
                                     "give 1 to 4096, or unset it")
    else:
        assert code == 0 and err == ""


@pytest.mark.parametrize("value", [v for v in HOSTILE if v], ids=_id)  # '' asks Ray for the cluster started here
def test_a_ray_address_from_the_environment_is_named(value, monkeypatch, capsys, inputs):
    """``--ray auto`` reads RAY_ADDRESS: a host name the resolver cannot encode or 5000 digits of
    port were an internal error (UnicodeError, ValueError), exit 1."""
    monkeypatch.setattr("evface.ray_connect.socket.create_connection", _no_connection)
    monkeypatch.setenv("RAY_ADDRESS", f"{value}:6379" if value.strip() else value)
    assert cli.main(["synth", str(inputs / "out"), "--preset", "tiny", "--ray", "auto"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --ray auto (RAY_ADDRESS=") and "\n" not in err, err
    assert not (inputs / "out").exists()


@pytest.mark.parametrize("name, low", [("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)])
def test_torchruns_variables_are_whole_numbers_or_named(name, low, monkeypatch):
    """torchrun's WORLD_SIZE, RANK and LOCAL_RANK, read by every training: int()'s ValueError
    (an internal error of the training, exit 1) for text, '١٢' read as 12."""
    from evface.errors import ParameterError
    from evface.tasks.parallel import init_distributed, launch_number

    for value in HOSTILE:
        monkeypatch.setenv(name, value)
        taken = _whole(low, 2**31 - 1)(value)
        if taken is None:
            with pytest.raises(ParameterError, match=f"^{name}="):
                launch_number(name, low)
        else:
            assert launch_number(name, low) == taken
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "\u0661")
    with pytest.raises(ParameterError, match="^RANK='\u0661': not what torchrun sets"):
        init_distributed("cpu")
