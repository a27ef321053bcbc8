"""Every command's ``--help`` against what the command does: the defaults it states, the ranges and
choices it gives, and how it names its arguments. Nothing is run but ``--help`` and the library's
defaults."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest
import typer
from rich.text import Text

from evface import cli
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

ROOT = typer.main.get_command(cli.app)


def _commands(command=ROOT, words: tuple[str, ...] = ()):
    """``(words, command)`` for the root and every command and group under it."""
    yield words, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*words, name))


COMMANDS = list(_commands())


def _help(capsys, monkeypatch, *words: str) -> str:
    """What ``evface WORDS --help`` prints, on a terminal wide enough that no row wraps."""
    monkeypatch.setenv("COLUMNS", "1000")
    assert cli.main([*words, "--help"]) == 0
    return capsys.readouterr().out


def _row(text: str, option: str) -> str:
    """The row of ``option`` in the help ``text``, its box and padding taken off (a row of several
    names, ``--force,--overwrite``, is the row of each)."""
    return next(" ".join(line.strip("│ ").split()) for line in text.splitlines()
                if option in "".join(line.strip("│ ").split()[:1]).split(","))


def _option(words: tuple[str, ...], name: str):
    command = ROOT
    for word in words:
        command = command.commands[word]
    return next(p for p in command.params if name in p.opts)


@pytest.mark.parametrize("words, command", COMMANDS, ids=[" ".join(w) or "evface" for w, _ in COMMANDS])
def test_no_help_text_is_read_as_markup(words, command):
    """``--help`` goes through rich, which reads ``[word ...]`` as markup and drops it: ``run --out``
    said "[default: runs/PRESET]" in its source and nothing in its help."""
    texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
    for text in texts:
        assert Text.from_markup(text).plain == text, text


def test_run_out_states_its_default(capsys, monkeypatch):
    """``run --out`` left out writes into runs/PRESET; the help said nothing of it (see above)."""
    assert "(default: runs/PRESET)" in _row(_help(capsys, monkeypatch, "run"), "--out")


@pytest.mark.parametrize("words, command", COMMANDS, ids=[" ".join(w) or "evface" for w, _ in COMMANDS])
def test_a_list_argument_is_named_once_with_its_ellipsis(words, command):
    """An argument of many values shows as ``{NAME}...``, as report's RUN, merge's DATASET and bench's
    NAME do; synth-merge's was ``{SHARD_DIR...}...`` (its metavar held the dots typer adds)."""
    for param in command.params:
        if param.param_type_name == "argument":
            assert not (param.metavar or "").endswith("."), (words, param.metavar)


@pytest.mark.parametrize("words, config", [(("train", "classify"), ClassifyConfig),
                                           (("train", "reconstruct"), ReconstructConfig)])
def test_a_training_option_states_its_configs_default(capsys, monkeypatch, words, config):
    """Each ``[default: X]`` of a training command's help is the default of its config's field (a run's
    ``config.json`` keeps the field's value, so a help that stated another would mislead about runs made
    without the option); a switch states its on or off name."""
    text = _help(capsys, monkeypatch, *words)
    for f in fields(config):
        option = "--" + f.name.replace("_", "-")
        row = _row(text, option)
        stated = re.search(r"\[default: ([^\]]*)\]", row)
        if f.default in (None, ""):  # crop, teacher: the help says what leaving it out does
            assert stated is None and ("default" in row or "'' = none" in row), row
            continue
        assert stated is not None, row
        if isinstance(f.default, bool):
            on, off = _option(words, option).opts[0], _option(words, option).secondary_opts[0]
            assert stated[1] == (on if f.default else off).lstrip("-"), row
        else:
            assert stated[1] == str(f.default), row


@pytest.mark.parametrize("option, field", [("--sync", "sync"), ("--trigger-channel", "trigger_channel"),
                                           ("--trigger-first-frame", "trigger_first_frame"),
                                           ("--registration", "registration")])
def test_an_event_camera_option_of_import_session_states_its_default(capsys, monkeypatch, option, field):
    """The NAME=VALUE options of ``import session`` state the default of a camera they leave out as
    ``(default X)``, the default of :class:`EventSource`; ``--registration`` stated none."""
    from evface.datasets.importers.session_options import EventSource

    stated = re.search(r"\(default (\S+?)\)", _row(_help(capsys, monkeypatch, "import", "session"), option))
    default = next(f.default for f in fields(EventSource) if f.name == field)
    assert stated is not None and stated[1] == str(default)


def test_synth_states_that_classes_and_lightings_are_the_presets(capsys, monkeypatch):
    """``synth --classes`` said "(default: all)", while the tiny preset makes two classes of the seven
    (and ``neutral`` only by name); ``--lighting`` stated no default, and each preset has its own."""
    from evface.datasets.synth_plan import PRESETS, choose_classes, default_classes

    assert len(choose_classes(PRESETS["tiny"], None)) < len(default_classes())
    text = _help(capsys, monkeypatch, "synth")
    for option in ("--classes", "--lighting"):
        row = _row(text, option)
        assert "(default: the preset's" in row and "default: all" not in row, row


def test_antiflicker_hz_states_the_rates_it_takes(capsys, monkeypatch):
    """``simulate --antiflicker-hz`` said "100, 120 or 0" while any rate from 0 to 10^6 Hz is taken (a
    lamp's flicker elsewhere, a test pattern's): the help gives the range."""
    from evface.sim.rgb import RgbCameraParams

    assert RgbCameraParams.preset("webcam30", antiflicker_hz=50.0).antiflicker_hz == 50.0
    row = _row(_help(capsys, monkeypatch, "simulate"), "--antiflicker-hz")
    assert "100, 120 or 0" not in row and "10^6" in row, row


def test_run_jobs_says_it_sets_the_processes_of_the_dataset_too(capsys, monkeypatch):
    """``run --jobs N`` films the dataset's clips in N processes as well (``local_executor(jobs,
    "--jobs")``), which its help, "Training jobs ... run side by side", left out."""
    row = _row(_help(capsys, monkeypatch, "run"), "--jobs")
    assert "clips" in row and "training jobs" in row, row


def test_convert_sensor_states_the_name_a_clip_is_written_under(capsys, monkeypatch):
    """``convert --sensor`` left out writes a camera file into a clip under the sensor name ``events``;
    its help named no default (nor that a clip of several sensors needs it)."""
    from evface.io.event_writer import DEFAULT_CLIP_SENSOR

    row = _row(_help(capsys, monkeypatch, "convert"), "--sensor")
    assert f"or {DEFAULT_CLIP_SENSOR} for a camera file)" in row and "several" in row, row


@pytest.mark.parametrize("words, option", [(("synth",), "--workers"), (("run",), "--jobs")])
def test_a_process_count_states_the_range_it_takes(capsys, monkeypatch, words, option):
    """``synth --workers`` said "at least 1" and ``run --jobs`` nothing, while both refuse more than
    :data:`~evface.executor.WORKERS_PER_CPU` processes per core (:func:`~evface.executor.check_workers`)."""
    import os

    from evface.errors import ParameterError
    from evface.executor import WORKERS_PER_CPU, check_workers

    with pytest.raises(ParameterError, match="only compete"):
        check_workers(WORKERS_PER_CPU * (os.cpu_count() or 1) + 1, option)
    assert f"1 to {WORKERS_PER_CPU} per core" in _row(_help(capsys, monkeypatch, *words), option)


@pytest.mark.parametrize("words, presets", [(("run",), "evface.pipeline.stage_plan"),
                                            (("synth",), "evface.datasets.synth_plan")])
def test_preset_lists_every_preset_the_command_takes(capsys, monkeypatch, words, presets):
    """``run --preset`` listed quick, full and paper, while ``run --preset tiny`` runs (the tests' preset)."""
    import importlib

    row = _row(_help(capsys, monkeypatch, *words), "--preset")
    for name in importlib.import_module(presets).PRESETS:
        assert re.search(rf"(?<![\w-]){name}(?![\w-])", row), (name, row)


def _choices(module: str, name: str) -> list[str]:
    import importlib

    return list(getattr(importlib.import_module(module), name))


@pytest.mark.parametrize("words, option, module, name", [
    (("import", "session"), "--sync", "evface.datasets.importers.session_options", "SYNC_METHODS"),
    (("import", "session"), "--registration", "evface.datasets.importers.session_options", "REGISTRATION_METHODS"),
    (("import", "session"), "--registration-check", "evface.datasets.importers.session_options", "REGISTRATION_CHECKS"),
    (("import", "session"), "--classes", "evface.face.aus", "CLASS_SETS"),
    (("import", "corpus"), "--classes", "evface.face.aus", "CLASS_SETS"),
    (("simulate",), "--rgb-camera", "evface.sim.rgb", "RGB_PRESETS"),
    (("simulate",), "--metering", "evface.sim.rgb", "METERING_MODES"),
    (("simulate",), "--model", "evface.sim.dvs_params", "PRESETS"),
    (("convert",), "--version", "evface.io.formats", "EVT_VERSIONS"),
    (("run",), "--noise", "evface.sim.dvs_noise", "NOISE_LEVELS"),
    (("synth",), "--noise", "evface.sim.dvs_noise", "NOISE_LEVELS"),
])
def test_an_option_of_a_few_values_lists_each_it_takes(capsys, monkeypatch, words, option, module, name):
    """An option whose help lists its values lists those the library takes, no fewer."""
    row = _row(_help(capsys, monkeypatch, *words), option)
    for value in _choices(module, name):
        assert re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", row), (value, row)


@pytest.mark.parametrize("words, config", [(("train", "classify"), ClassifyConfig),
                                           (("train", "reconstruct"), ReconstructConfig)])
def test_a_training_option_of_a_few_values_lists_each_it_takes(capsys, monkeypatch, words, config):
    """A config field's ``choices`` are what click refuses others than; the help, written by hand,
    names each of them."""
    text = _help(capsys, monkeypatch, *words)
    for f in fields(config):
        row = _row(text, "--" + f.name.replace("_", "-"))
        for value in f.metadata["choices"] or ():
            assert re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", row), (value, row)


def test_reconstruct_threads_states_the_cap_of_its_default(capsys, monkeypatch):
    """``train reconstruct --threads 0`` trains on half the cores *at most the process's torch threads*
    (:func:`~evface.tasks.reconstruct.default_threads`): one under ``OMP_NUM_THREADS=1`` or a run's share
    of the cores; the help said "half the cores"."""
    torch = pytest.importorskip("torch")
    from evface.tasks.reconstruct import default_threads

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert default_threads() == 1
    finally:
        torch.set_num_threads(before)
    row = _row(_help(capsys, monkeypatch, "train", "reconstruct"), "--threads")
    assert "half the cores, at most the process's" in row, row


def test_simulate_fps_states_the_timestamps_of_a_variable_rate_video(capsys, monkeypatch):
    """``simulate`` without ``--fps`` places a variable-frame-rate video's frames at their container
    timestamps (``variable_rate_times``, as ``import session`` does without ``--rgb-fps``); its help said
    "the file's" rate only, while ``import session --rgb-fps`` said both."""
    clause = "each frame's container timestamp when a variable-frame-rate video's frames stray from it"
    assert clause in _row(_help(capsys, monkeypatch, "import", "session"), "--rgb-fps")
    assert clause in _row(_help(capsys, monkeypatch, "simulate"), "--fps")


@pytest.mark.parametrize("words", [("run",), ("synth",)])
def test_ray_is_shown_taking_what_it_takes(capsys, monkeypatch, words):
    """``--ray`` showed ``auto|ADDRESS``, while it takes ``auto`` or ``HOST:PORT`` only (a URL, Ray
    Client's ``ray://...``, is refused) and README gives ``--ray auto|HOST:PORT``."""
    from evface.errors import ParameterError
    from evface.ray_connect import connect

    with pytest.raises(ParameterError, match="HOST:PORT"):
        connect("ray://head:10001")
    assert _row(_help(capsys, monkeypatch, *words), "--ray").split()[1] == "auto|HOST:PORT"


def test_convert_chunk_us_states_its_default(capsys, monkeypatch):
    """``convert`` without ``--chunk-us`` streams chunks of a number of events, not of time; its help
    named no default."""
    from evface.commands.io import CHUNK_EVENTS

    assert f"(default: chunks of {CHUNK_EVENTS:,} events)" in _row(_help(capsys, monkeypatch, "convert"), "--chunk-us")
