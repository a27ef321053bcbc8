"""Six small defects a hostile user or reviewer met, each refused now in one line naming the file or the
option: a hand-edited ``train`` of a classification run's models, a report of an events run that names
a flow, a metrics interval given high-first, an empty path given for a folder, ``tools/run_stage.py``
into a run of another dataset, and the advice for a dataset of clips too short for any sample."""

import dataclasses
import json
import shutil

import pytest

from evface.cli import main
from evface.errors import FormatError
from evface.io.clip_writer import write_clip
from evface.io.dataset import write_dataset_json
from evface.io.manifest import write_manifest
from evface.tasks.classify import train_and_evaluate
from tests.test_class_train_subjects import CFG, _config, _rewritten, trained  # noqa: F401 - the module's fixture
from tests.test_run_stage_tool import _refused

from recon_fixtures import make_clip
from report_fixtures import make_fake_run


@pytest.mark.parametrize("train", [["zz"], []], ids=["a-subject-not-in-the-dataset", "none"])
def test_a_hand_edited_train_subject_list_is_refused_not_rewritten(trained, tmp_path, capsys, train):  # noqa: F811
    """Was: read as true by ``evface eval``, and replaced without a word when the run resumed."""
    data, run = trained
    first = _config(run)["models"][0]
    bad = _rewritten(run, tmp_path / "bad", lambda c: {**c, "models": [{**c["models"][0], "train": train},
                                                                        *c["models"][1:]]})
    before = (bad / "config.json").read_bytes()
    assert main(["eval", str(bad), "--data", str(data), "--out", str(tmp_path / "ev")]) == 2
    err = capsys.readouterr().err.strip()
    said = f"model {first['dir']!r} has 'train' {train!r}, where its fold's split of the run's dataset gives {first['train']!r}"
    assert err == f"error: {bad}/config.json: not as evface writes it ({said})"
    assert not (tmp_path / "ev").exists()
    with pytest.raises(FormatError, match=f"^{bad}/config.json: .*model {first['dir']!r} has 'train'"):
        train_and_evaluate(data, bad, CFG)  # resumed
    assert (bad / "config.json").read_bytes() == before


@pytest.mark.parametrize("flow", ["farneback", "dis"])
def test_a_report_refuses_an_events_run_whose_config_names_a_flow_as_evface_eval_does(trained, tmp_path, capsys,  # noqa: F811
                                                                                      flow):
    """Was: reported, the flow a setting the page does not show, where ``evface eval`` refuses the same file."""
    data, run = trained
    bad = _rewritten(run, tmp_path / "bad", lambda c: {**c, "flow": flow})
    assert main(["eval", str(bad), "--data", str(data), "--out", str(tmp_path / "ev")]) == 2
    said = capsys.readouterr().err
    assert main(["report", str(bad), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err == said and err.startswith(f"error: {bad}/config.json: not as evface writes it (") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("place", [("ci", "top1"), ("per_lighting", "dim", "ci", "uar")],
                         ids=["over-all-clips", "per-lighting"])
def test_a_report_refuses_a_received_interval_given_high_first_naming_the_file_and_key(trained, tmp_path, capsys,  # noqa: F811
                                                                                       place):
    """Was: shown as given, ``[60.0, 40.0]``."""
    _, run = trained
    bad = shutil.copytree(run, tmp_path / "bad")
    metrics = json.loads((bad / "metrics.json").read_text())
    holder = metrics
    for key in place[:-1]:
        holder = holder[key]
    holder[place[-1]] = [0.6, 0.4]
    (bad / "metrics.json").write_text(json.dumps(metrics))
    assert main(["report", str(bad), "--out", str(tmp_path / "r.html")]) == 2
    key = " ".join(map(repr, place))
    assert capsys.readouterr().err == (f"error: {bad}/metrics.json: not as evface writes it ({key} must be an interval "
                                       "[low, high] of two numbers, the low one first, got [0.6, 0.4])\n")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("args, name", [
    (["run", "--out", "", "--data", "nowhere"], "--out"),
    (["run", "--data", "", "--out", "out"], "--data"),
    (["--debug", "run", "--out=", "--data", "nowhere"], "--out"),
    (["synth", "", "--preset", "tiny"], "OUT"),
    (["eval", "nowhere", "--data", "nowhere", "--out", ""], "--out"),
    (["eval", "", "--data", "nowhere"], "RUN"),
    (["report", "nowhere", "--out", ""], "--out"),
    (["compare", "a", "b", "--out", ""], "--out"),
    (["train", "classify", "--data", "", "--out", "out"], "--data"),
    (["merge", "", "a", "b"], "OUT"),
    (["merge", "out", "a", ""], "DATASET"),
])
def test_an_empty_path_is_refused_naming_the_option(tmp_path, monkeypatch, capsys, args, name):
    """Was: read as the current folder (``evface run --out ""`` ran into it, ``synth ""`` wrote there)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kept.txt").write_text("a file of the user's")  # a folder not empty: so the command, unfixed, stops early
    assert main(args) == 2
    assert capsys.readouterr().err == (f"error: {name} is empty, which names no folder or file (it would be read as "
                                       "the current folder); give a path\n")
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_run_stage_refuses_an_out_that_holds_a_run_on_another_dataset_naming_both(tmp_path, monkeypatch, capsys):
    """Was: the stage written into that run, beside stages of the other dataset (``evface run`` refuses it)."""
    fake = make_fake_run(tmp_path / "fake", subjects=3)
    other = shutil.copytree(fake / "data", tmp_path / "other")  # the same clips, another folder
    before = sorted(p.name for p in (fake / "stages").iterdir())
    said = _refused(monkeypatch, capsys, other, fake, "rgb", "--preset", "tiny")
    assert said == (f"error: {fake}: holds a run on the dataset {fake / 'data'}, and DATA {other} is "
                    f"another: give DATA {fake / 'data'} to add to that run, or give OUT a new folder")
    assert sorted(p.name for p in (fake / "stages").iterdir()) == before


def _one_frame_recording(root):
    """A dataset of 3 subjects' clips of one RGB frame each and no truth frames (as a recording's)."""
    rows = []
    for s in range(3):
        clip = dataclasses.replace(make_clip(f"s{s}_c0", f"s{s}", "dim", s, duration_us=40_000), truth={})
        assert len(clip.frames["rgb"].t_us) == 1
        write_clip(root / "clips" / f"{clip.clip_id}.h5", clip)
        rows.append({"clip_id": clip.clip_id, "subject": clip.subject, "label": clip.label, "aus": clip.aus,
                     "lighting": "dim", "file": f"clips/{clip.clip_id}.h5", "onset_us": 0, "apex_us": clip.apex_us,
                     "offset_us": clip.offset_us, "duration_us": 40_000, "source": "fake"})
    write_manifest(root, rows)
    write_dataset_json(root, {"generator": "tests.test_leftovers", "seed": 0})
    return root


def test_a_dataset_of_one_frame_clips_is_refused_as_too_short_for_any_sample_not_for_its_step(tmp_path, capsys):
    """Was: "use a dataset of longer clips, a smaller --step-us or another --protocol": no step or
    protocol gives a clip of one RGB frame a sample."""
    data = _one_frame_recording(tmp_path / "data")
    assert main(["train", "reconstruct", "--data", str(data), "--out", str(tmp_path / "run"), "--sensor", "lr",
                 "--size", "16", "--epochs", "1", "--threads", "1", "--base", "4"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {data}: no extrapolation samples in its 3 clips (40.0 to 40.0 ms long): they are too short for any "
        "sample, at any --step-us and of any --protocol: none has a truth frame (a recording: an RGB frame) after its "
        "first RGB frame's mid-exposure; use a dataset of longer clips (a recording's: widen their windows in the "
        "annotation table)")
    assert not (tmp_path / "run").exists()
