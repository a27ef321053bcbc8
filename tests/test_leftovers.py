"""Six small defects a hostile user or reviewer met, each refused now in one line naming the file or the
option: a hand-edited ``train`` of a classification run's models, a report of an events run that names
a flow, a metrics interval given high-first, an empty path given for a folder, ``tools/run_stage.py``
into a run of another dataset, and the advice for a dataset of clips too short for any sample."""


import pytest

from evface.cli import main
from evface.errors import FormatError
from evface.tasks.classify import train_and_evaluate
from tests.test_class_train_subjects import CFG, _config, _rewritten, trained  # noqa: F401 - the module's fixture


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
