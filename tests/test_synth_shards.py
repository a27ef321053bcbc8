"""``evface synth --shard I/N`` and ``evface synth-merge`` as a user building a dataset on a cluster
uses them wrongly: shards made with other options, another order of ``--lighting``, a clip cut
short, one clip in two shards, a merge stopped and run again (tiny preset, 2 clips)."""

import json
import shutil
from pathlib import Path

import pytest

from evface.cli import main
from evface.datasets import synth_shards
from evface.datasets.synth_shards import merge_shards
from evface.errors import DatasetError
from evface.io.dataset import DatasetFolder

PLAN = ["--preset", "tiny", "--subjects", "1", "--classes", "AU4"]
"""With ``--lighting bright,dim``: two clips, one a shard of 2."""

pytestmark = pytest.mark.xdist_group("synth-shards")


def _synth(out: Path, *options: str, lighting: str = "bright,dim") -> int:
    return main(["synth", str(out), *PLAN, "--lighting", lighting, *options])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The 2-clip dataset whole, and as shards 0/2 and 1/2; read only."""
    root = tmp_path_factory.mktemp("built")
    assert _synth(root / "whole") == 0
    for i in range(2):
        assert _synth(root / f"shard{i}", "--shard", f"{i}/2") == 0
    return root


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return " ".join(err.split())


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("option, made, given", [
    (["--noise", "noisy"], "--noise typical", "--noise noisy"),
    (["--seed", "1"], "--seed 0", "--seed 1"),
    (["--subjects", "2"], "--subjects 1", "--subjects 2"),  # was: "other subjects"
    (["--rgb-hd-cameras", "webcam30,highspeed200"], "--rgb-hd-cameras webcam30",
     "--rgb-hd-cameras webcam30,highspeed200"),
])
def test_a_shard_or_resume_with_another_option_is_refused_naming_it(built, tmp_path, capsys, option, made, given):
    """Was: "shard made with other params than ..." and "holds a dataset made with other params",
    a dataset.json key that no option is called, and not what to change."""
    odd = tmp_path / "odd"
    assert _synth(odd, *option, "--shard", "1/2") == 0
    capsys.readouterr()
    assert main(["synth-merge", str(tmp_path / "out"), str(built / "shard0"), str(odd)]) == 2
    assert f"{odd}: shard made with {given}, {built / 'shard0'} with {made}; make every shard with the same evface " \
           "synth options but --shard I/N" in _one_line(capsys)
    assert not (tmp_path / "out").exists()
    assert _synth(odd, "--shard", "1/2") == 2  # resuming it with the options of the others
    assert f"{odd}: holds a dataset made with {given}, this run gives {made}; use a new folder" in _one_line(capsys)


def test_another_order_of_lighting_neither_resumes_a_shard_nor_merges(built, tmp_path, capsys):
    """``--lighting dim,bright`` plans the clips in another order, so shard 0/2 is another clip. It
    resumed a shard begun with ``bright,dim`` (dataset.json writes the lightings sorted, so the two
    records were one), filming the other shard's clip beside its own; and a shard made so merged
    with the others into a half-written OUT (clips, dataset.json, no manifest) refused for "clip_id
    ... is already on line 2" of OUT's manifest."""
    shard0 = tmp_path / "shard0"
    shutil.copytree(built / "shard0", shard0)
    assert _synth(shard0, "--shard", "0/2", lighting="dim,bright") == 2
    assert f"{shard0}: holds a dataset made with --lighting bright,dim, this run gives --lighting dim,bright" in \
        _one_line(capsys)
    assert sorted(p.name for p in (shard0 / "clips").iterdir()) == ["s000_AU4_bright_r0.h5"]  # nothing filmed
    reordered = tmp_path / "reordered"
    assert _synth(reordered, "--shard", "1/2", lighting="dim,bright") == 0  # the bright clip again
    capsys.readouterr()
    assert main(["synth-merge", str(tmp_path / "out"), str(shard0), str(reordered)]) == 2
    assert "shard made with --lighting dim,bright" in _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_shards_that_hold_one_clip_both_are_refused_before_out_is_made(built, tmp_path, capsys):
    """Shards whose records say nothing of the order (written before ``plan_order``) but were made
    in two orders hold one clip both: refused naming the clip and both shards, nothing written (was:
    the clips linked into OUT with its dataset.json, then OUT's manifest refused)."""
    reordered = tmp_path / "reordered"
    assert _synth(reordered, "--shard", "1/2", lighting="dim,bright") == 0
    shards = [tmp_path / "shard0", reordered]
    shutil.copytree(built / "shard0", shards[0])
    for shard in shards:
        info = json.loads((shard / "dataset.json").read_text())
        info.pop("plan_order", None)
        (shard / "dataset.json").write_text(json.dumps(info))
    capsys.readouterr()
    assert main(["synth-merge", str(tmp_path / "out"), *map(str, shards)]) == 2
    assert f"{reordered}: shard 1/2 holds clip s000_AU4_bright_r0, which shard {shards[0]} holds too" in \
        _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_a_shard_clip_cut_short_is_refused_and_its_synth_films_it_again(built, tmp_path, capsys):
    """A shard copied off a node by a copy that stopped part way: its clip cut short was linked
    into the merge unread (was: exit 0, and the merged dataset refused later, by evface run)."""
    shard1 = tmp_path / "shard1"
    shutil.copytree(built / "shard1", shard1)
    clip = next((shard1 / "clips").iterdir())
    clip.write_bytes(clip.read_bytes()[:5000])
    assert main(["synth-merge", str(tmp_path / "out"), str(built / "shard0"), str(shard1)]) == 2
    said = _one_line(capsys)
    assert f"{clip}: not a readable HDF5 clip file" in said and "run its evface synth --shard 1/2 command again" in said
    assert not (tmp_path / "out").exists()
    assert _synth(shard1, "--shard", "1/2") == 0  # films the clip anew
    assert main(["synth-merge", str(tmp_path / "out"), str(built / "shard0"), str(shard1)]) == 0
    assert _files(tmp_path / "out") == _files(built / "whole")


def test_a_merge_stopped_part_way_and_run_again_is_the_unsharded_dataset(built, tmp_path, monkeypatch):
    """A merge stopped after its first clip leaves no half clip, a folder that says it is unfinished
    when opened, and run again is the unsharded dataset byte for byte: dataset.json, manifest and
    clips."""
    shards = [built / "shard0", built / "shard1"]
    real, linked = synth_shards.os.replace, []

    def stop_after_one(src, dst):  # os.replace: the clips' and dataset.json's (atomic_write) alike
        if Path(dst).suffix == ".h5":
            if linked:
                raise KeyboardInterrupt
            linked.append(dst)
        real(src, dst)

    monkeypatch.setattr(synth_shards.os, "replace", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        merge_shards(tmp_path / "out", shards)
    monkeypatch.undo()
    assert sorted(_files(tmp_path / "out")) == ["clips/s000_AU4_bright_r0.h5", "dataset.json"]  # no .tmp left
    assert json.loads((tmp_path / "out" / "dataset.json").read_text())["n_clips"] == 2  # was shard 0's 1 till the end
    with pytest.raises(DatasetError, match="no manifest yet: a dataset whose build or merge stopped before its end .* "
                                           "run the evface synth or synth-merge command that began it again"):
        DatasetFolder.open(tmp_path / "out")  # was: "no manifest: not an evface dataset folder"
    merge_shards(tmp_path / "out", shards)
    assert _files(tmp_path / "out") == _files(built / "whole")
    with pytest.raises(DatasetError, match="given twice"):
        merge_shards(tmp_path / "again", [shards[0], shards[0], shards[1]])


def test_shards_missing_from_many_are_said_as_ranges(tmp_path, capsys):
    """Shards 5 and 999 of 1000 given (empty shards of a 2-clip plan, made at once): the line named
    each missing shard, 998 numbers, and each given one."""
    shards = [tmp_path / "s5", tmp_path / "s999"]
    for shard, i in zip(shards, (5, 999), strict=True):
        assert _synth(shard, "--shard", f"{i}/1000") == 0
    capsys.readouterr()
    assert main(["synth-merge", str(tmp_path / "out"), *map(str, shards)]) == 2
    assert "error: shards 0-4, 6-998 of 1000 missing (given: 5, 999 of 1000); add its folder, or make it with the " \
           "shards' evface synth command and --shard 0/1000" == _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_shards_of_two_splits_are_refused_naming_both(built, tmp_path, capsys):
    """Shard 1/3 with shard 0/2: was "shard 1/3 does not match N=2 of the others", nothing to do."""
    third = tmp_path / "third"
    assert _synth(third, "--shard", "1/3") == 0
    capsys.readouterr()
    assert main(["synth-merge", str(tmp_path / "out"), str(built / "shard0"), str(third)]) == 2
    assert f"{third}: shard 1/3 is one of 3 shards, {built / 'shard0'} one of 2; give the shards of one split, all " \
           "made with --shard I/2" in _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_one_shard_of_one_is_the_whole_dataset(built, tmp_path, capsys):
    """``--shard 0/1`` (one shard of one: an array of one task, or N from a count that is 1): recorded
    as a shard, a dataset that then needed a synth-merge before anything could use it. Now the whole
    dataset, as without ``--shard``; a folder an earlier ``--shard 0/1`` began resumes into it."""
    from evface.io.dataset import read_dataset_json, write_dataset_json

    one = tmp_path / "one"
    assert _synth(one, "--shard", "0/1") == 0
    assert f"dataset ready: {one} (2 clips)" in " ".join(capsys.readouterr().err.split())
    made, whole = DatasetFolder.open(one), DatasetFolder.open(built / "whole")
    assert made.info == whole.info and made.info["shard"] is None and made.rows == whole.rows
    assert _synth(one, "--shard", "0/1") == 0 and "dataset ready" in capsys.readouterr().err  # it resumes as itself
    assert main(["synth-merge", str(tmp_path / "merged"), str(one)]) == 2  # a script's merge after an array of one
    assert _one_line(capsys) == (f"error: {one}: not a shard (dataset.json has no 'shard'): a whole dataset, made "
                                 "without --shard or with --shard 0/1; use it as it is")
    assert not (tmp_path / "merged").exists()
    write_dataset_json(one, {**read_dataset_json(one), "shard": [0, 1]})  # as an earlier --shard 0/1 recorded it
    (one / "manifest.csv").unlink()
    assert _synth(one) == 0 and read_dataset_json(one)["shard"] is None
    assert (one / "manifest.csv").read_bytes() == (built / "whole" / "manifest.csv").read_bytes()
