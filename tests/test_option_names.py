"""One name per idea across the commands, the other kept as an alias, and options refused where they
do nothing.

Each alias pair is checked both ways where typer reads the command line (nothing runs), in the help,
and on the cheapest path that acts on it (a refusal before any work); each option given where it
does nothing is refused in one line naming it and the option it acts beside, exit 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from evface import cli
from evface.cli import main

ROOT = typer.main.get_command(cli.app)

# (command words, arguments it requires, the chosen name, its alias, the parameter, a value, what it reads)
ALIASES = [
    (("bench",), [], "--force", "--overwrite", "force", None, True),
    (("convert",), ["in.raw", "out.csv"], "--force", "--overwrite", "force", None, True),
    (("simulate",), ["v.mp4", "--out", "x.raw"], "--force", "--overwrite", "force", None, True),
    (("export-nir",), ["run", "x.nir"], "--force", "--overwrite", "force", None, True),
    (("merge",), ["out", "a", "b"], "--force", "--overwrite", "overwrite", None, True),
    (("import", "session"), ["out", "--events", "hd=a.raw", "--rgb", "v.avi", "--annotations", "t.csv"],
     "--force", "--overwrite", "overwrite", None, True),
    (("import", "corpus"), ["root", "t.csv", "out"], "--force", "--overwrite", "overwrite", None, True),
    (("run",), [], "--jobs", "--workers", "jobs", "3", 3),
    (("synth",), ["out"], "--jobs", "--workers", "workers", "3", 3),
    (("simulate",), ["v.mp4", "--out", "x.raw"], "--lux-white", "--lux", "lux", "500", 500.0),
    (("import", "corpus"), ["root", "t.csv", "out"], "--lux-white", "--lux", "lux_white", "500", 500.0),
    (("simulate",), ["v.mp4", "--out", "x.raw"], "--rgb-camera", "--camera", "camera", "highspeed200", "highspeed200"),
]
IDS = [f"{' '.join(words)} {name}" for words, _, name, *_ in ALIASES]


def _command(words: tuple[str, ...]):
    command = ROOT
    for word in words:
        command = command.commands[word]
    return command


@pytest.mark.parametrize("words, required, name, alias, parameter, value, reads", ALIASES, ids=IDS)
def test_either_name_sets_the_same_option(words, required, name, alias, parameter, value, reads):
    """``--overwrite`` (merge, import) and ``--force`` (convert, simulate, bench, export-nir) were one idea
    under two names, as were ``--jobs`` (run) and ``--workers`` (synth), ``--lux`` (simulate) and
    ``--lux-white`` (import corpus): each command takes both names now, for the same option."""
    command = _command(words)
    for option in (name, alias):
        given = [option] if value is None else [option, value]
        with command.make_context(" ".join(words), [*required, *given]) as context:
            assert context.params[parameter] == reads, option


@pytest.mark.parametrize("words, required, name, alias, parameter, value, reads", ALIASES, ids=IDS)
def test_the_help_shows_both_names(capsys, monkeypatch, words, required, name, alias, parameter, value, reads):
    monkeypatch.setenv("COLUMNS", "1000")
    assert main([*words, "--help"]) == 0
    assert f"{name},{alias}" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--lux-white", "--lux"])
def test_simulate_checks_the_illuminance_under_either_name(tmp_path, capsys, option):
    """Refused before the video is opened, so no video is needed."""
    assert main(["simulate", str(tmp_path / "v.mp4"), "--out", str(tmp_path / "x.raw"), option, "-1"]) == 2
    assert capsys.readouterr().err.strip() == "error: --lux-white: lux must be a finite number in (0, 1e+06], got -1.0"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--force", "--overwrite"])
def test_convert_replaces_an_existing_out_under_either_name(tmp_path, capsys, option):
    """Without either name an existing OUT is refused; with either, convert goes on to read IN (here
    missing): the refusal of OUT is gone."""
    out = tmp_path / "out.csv"
    out.write_text("t,x,y,p\n")
    assert main(["convert", str(tmp_path / "in.raw"), str(out)]) == 2
    assert "add --force to replace it" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "in.raw"), str(out), option]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'in.raw'}: no such file"
    assert out.read_text() == "t,x,y,p\n"


@pytest.mark.parametrize("option", ["--force", "--overwrite"])
def test_merge_takes_the_replacing_option_under_either_name(tmp_path, capsys, option):
    """A folder of other files is never replaced; with either name merge says so (without one it says
    the folder is not empty)."""
    out = tmp_path / "documents"
    out.mkdir()
    (out / "letter.txt").write_text("keep")
    assert main(["merge", str(out), str(tmp_path / "a"), str(tmp_path / "b"), option]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: holds files but no evface dataset (no manifest.csv); "
                                               "overwrite replaces only a dataset folder, give a new one")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["documents", "letter.txt"]


# (arguments, the one line of error, without the leading "error: ")
REFUSED = [
    (["bench", "--force"], "--force: only replaces the file --out names; give --out or drop --force"),
    (["bench", "io", "--overwrite"], "--force: only replaces the file --out names; give --out or drop --force"),
    (["simulate", "{tmp}/v.mp4", "--out", "{tmp}/x.raw", "--camera", "webcam30"],
     "--rgb-camera: set the camera of --rgb-out, which is not given; give --rgb-out FILE or leave them out"),
    (["simulate", "{tmp}/v.mp4", "--out", "{tmp}/x.raw", "--rgb-camera", "webcam30"],
     "--rgb-camera: set the camera of --rgb-out, which is not given; give --rgb-out FILE or leave them out"),
    (["synth", "{tmp}/ds", "--ray", "auto", "--workers", "1"],
     "--jobs is for a local run; with --ray the cluster's CPUs film the clips"),
    (["synth", "{tmp}/ds", "--ray", "auto", "--jobs", "1"],
     "--jobs is for a local run; with --ray the cluster's CPUs film the clips"),
    (["import", "session", "{tmp}/ds", "--events", "hd={tmp}/a.raw", "--rgb", "{tmp}/v.avi", "--annotations",
      "{tmp}/t.csv", "--face-box", "10,10,40,40", "--min-face", "0.1"],
     "--min-face: only drops small faces the detector finds, and with --face-box it runs on no clip; leave out "
     "--face-box or drop --min-face"),
    (["import", "session", "{tmp}/ds", "--events", "hd={tmp}/a.raw", "--rgb", "{tmp}/v.avi", "--annotations",
      "{tmp}/t.csv", "--no-faces", "--min-face", "0.2"],
     "--min-face: only drops small faces the detector finds, and with --no-faces it runs on no clip; leave out "
     "--no-faces or drop --min-face"),
    (["import", "session", "{tmp}/ds", "--events", "hd={tmp}/a.raw", "--events", "lr={tmp}/b.raw", "--rgb",
      "{tmp}/v.avi", "--annotations", "{tmp}/t.csv", "--sync", "hd=trigger", "--sync", "lr=offset", "--offset",
      "lr=5", "--max-offset-us", "1000"],
     "--max-offset-us: only acts in a cross-correlation sync, and every sensor's --sync is trigger or offset; "
     "give a sensor --sync NAME=xcorr (or auto) or drop --max-offset-us"),
    (["import", "session", "{tmp}/ds", "--events", "hd={tmp}/a.raw", "--rgb", "{tmp}/v.avi", "--annotations",
      "{tmp}/t.csv", "--sync", "hd=trigger", "--min-confidence", "0.3"],
     "--min-confidence: only acts in a cross-correlation sync, and every sensor's --sync is trigger or offset; "
     "give a sensor --sync NAME=xcorr (or auto) or drop --min-confidence"),
    (["import", "corpus", "{tmp}/root", "{tmp}/t.csv", "{tmp}/ds", "--face-box", "1,2,30,30", "--min-face", "0.5"],
     "--min-face: only drops small faces the detector finds, and with --face-box it runs on no clip; leave out "
     "--face-box or drop --min-face"),
]


@pytest.mark.parametrize("args, says", REFUSED, ids=[" ".join(a[:2] + a[-2:]) for a, _ in REFUSED])
def test_an_option_given_where_it_does_nothing_is_refused(tmp_path, capsys, monkeypatch, args, says):
    """Each was accepted without a word (``--camera webcam30``, ``--workers 1``, ``--min-face`` and the
    sync's bounds: their defaults given, or given where nothing reads them), and the command ran as
    if it had not been given."""
    monkeypatch.chdir(tmp_path)
    assert main([arg.format(tmp=tmp_path) for arg in args]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert list(Path(tmp_path).iterdir()) == []


def test_the_same_options_are_taken_where_they_act(tmp_path, capsys):
    """``--min-confidence`` beside a cross-correlation sync, and ``--min-face`` with the detector on, pass
    these checks: the import goes on to its inputs (here missing)."""
    assert main(["import", "session", str(tmp_path / "ds"), "--events", f"hd={tmp_path / 'a.raw'}", "--rgb",
                 str(tmp_path / "v.avi"), "--annotations", str(tmp_path / "t.csv"), "--sync", "hd=xcorr",
                 "--min-confidence", "0.3", "--min-face", "0.2"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'a.raw'}: event file of sensor 'hd' not found"


@pytest.mark.parametrize("words, option, says", [
    (("faces",), "--seeds", "not a count"),
    (("run",), "--seeds", "this many times"),
    (("import", "session"), "--min-face", "import corpus takes 0.5"),
    (("import", "corpus"), "--min-face", "import session takes 0.1"),
])
def test_the_help_says_what_a_name_of_two_meanings_means(capsys, monkeypatch, words, option, says):
    """``--seeds`` is a count of trainings in ``run`` and a list of identities in ``faces``; ``--min-face``
    defaults to 0.1 for sessions and 0.5 for corpora (frames cropped to the face). Each help says which."""
    monkeypatch.setenv("COLUMNS", "1000")
    assert main([*words, "--help"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.strip("│ ").startswith(option))
    assert says in row, row
