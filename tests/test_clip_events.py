"""A dataset folder's clips as ``(events, target)`` items for one's own training loop (evface.inputs.clip_events)."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch

from evface.datasets.toy import toy_dataset
from evface.errors import DatasetError, FormatError, ParameterError
from evface.events.transforms import EventFrames, VoxelGrid
from evface.inputs.clip_events import ClipEvents, ItemIndexError
from evface.io.clip_reader import read_clip, read_events
from evface.io.clip_schema import SensorInfo
from evface.io.clip_writer import write_clip


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy dataset folder of 8 clips (4 subjects x AU4, AU12; sensor lr, 8 x 8), not to be changed."""
    return toy_dataset(tmp_path_factory.mktemp("clip-events") / "toy")


@pytest.fixture
def own_toy(tmp_path):
    """A toy dataset folder of this test's own, to be damaged."""
    return toy_dataset(tmp_path / "toy")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b)


def test_items_are_what_the_clip_reader_reads(toy):
    ds = ClipEvents(toy, sensor="lr")
    assert len(ds) == 8 and ds.classes == ["AU12", "AU4"] and ds.sensor_size == (8, 8)
    for i, (events, target) in enumerate(ds):
        row = ds.rows[i]
        assert _same(events, read_events(toy / row["file"], "lr"))
        assert events.size == 50  # toy clips hold 50 events each: none left out
        assert ds.classes[target] == row["label"]
    expression = ClipEvents(toy, sensor="lr", window="expression")
    for i in range(len(expression)):
        row = expression.rows[i]
        assert _same(expression[i][0], read_events(toy / row["file"], "lr", row["onset_us"], row["offset_us"]))
    assert sum(expression[i][0].size for i in range(8)) < 8 * 50  # the window leaves the events after the offset out


def test_negative_indices_count_from_the_end(toy):
    ds = ClipEvents(toy, sensor="lr")
    assert _same(ds[-1][0], ds[7][0]) and _same(ds[np.int64(2)][0], ds[2][0])


def test_transforms_are_applied(toy):
    plain = ClipEvents(toy, sensor="lr")
    grids = ClipEvents(toy, sensor="lr", transform=VoxelGrid(plain.sensor_size, n_bins=3),
                       target_transform=lambda t: plain.classes[t])
    frames = ClipEvents(toy, sensor="lr", transform=EventFrames(plain.sensor_size, n_bins=2))
    for i in range(len(plain)):
        events, target = plain[i]
        grid, label = grids[i]
        assert np.array_equal(grid, VoxelGrid((8, 8), n_bins=3)(events)) and grid.shape == (3, 8, 8)
        assert label == plain.rows[i]["label"]
        assert np.array_equal(frames[i][0], EventFrames((8, 8), n_bins=2)(events))


def test_a_dataloader_with_two_workers_gives_every_item_once(toy):
    ds = ClipEvents(toy, sensor="lr")
    expected = sorted((ds[i][0].tobytes(), ds[i][1]) for i in range(len(ds)))
    loader = torch.utils.data.DataLoader(ds, batch_size=3, shuffle=True, num_workers=2, collate_fn=list,
                                         generator=torch.Generator().manual_seed(0))
    got = sorted((events.tobytes(), target) for batch in loader for events, target in batch)
    assert got == expected and len({key for key, _ in expected}) == 8


def test_it_pickles_and_keeps_no_file_open(toy):
    ds = ClipEvents(toy, sensor="lr", transform=VoxelGrid((8, 8), n_bins=2))
    _ = ds[0], ds[3]
    assert h5py.h5f.get_obj_count(h5py.h5f.OBJ_ALL, h5py.h5f.OBJ_FILE) == 0
    copy = pickle.loads(pickle.dumps(ds))
    assert all(np.array_equal(copy[i][0], ds[i][0]) and copy[i][1] == ds[i][1] for i in range(len(ds)))


def test_subjects_keep_only_their_clips(toy):
    ds = ClipEvents(toy, sensor="lr", subjects=["s03", "s01"])
    assert len(ds) == 4 and ds.subjects == ["s01", "s03"]
    assert {row["subject"] for row in ds.rows} == {"s01", "s03"}
    assert ds.classes == ["AU12", "AU4"]  # every clip's classes: the targets of all folds agree
    whole = ClipEvents(toy, sensor="lr")
    kept = [i for i, row in enumerate(whole.rows) if row["subject"] in ("s01", "s03")]
    assert all(_same(ds[j][0], whole[i][0]) and ds[j][1] == whole[i][1] for j, i in enumerate(kept))
    assert len(ClipEvents(toy, sensor="lr", subjects=("s02",))) == 2


def test_a_folder_that_is_no_dataset_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"empty/manifest.csv: no manifest: not an evface dataset folder"):
        ClipEvents(tmp_path / "empty", sensor="lr")
    with pytest.raises(DatasetError, match=r"nowhere: no such dataset folder"):
        ClipEvents(tmp_path / "nowhere", sensor="lr")


def test_a_sensor_the_clips_lack_is_refused_listing_theirs(toy):
    with pytest.raises(DatasetError, match=r"clips/s01_AU12\.h5: no events of sensor 'hd' \(this clip has lr\): "
                                           r"give sensor= one of these"):
        ClipEvents(toy)  # the default sensor, hd
    with pytest.raises(ParameterError, match=r"sensor must be an event sensor's name \(text such as 'hd'\), got \['lr'\]"):
        ClipEvents(toy, sensor=["lr"])


def test_a_subject_not_in_the_dataset_is_refused(toy):
    with pytest.raises(ParameterError, match=r"toy: subjects: 's9' is no subject of this dataset; "
                                             r"choose from s01, s02, s03, s04"):
        ClipEvents(toy, sensor="lr", subjects=["s01", "s9"])
    with pytest.raises(ParameterError, match=r"subjects must be a list of subject ids \(\['s01', 's02'\]\), got 's01'"):
        ClipEvents(toy, sensor="lr", subjects="s01")
    with pytest.raises(ParameterError, match=r"subjects must be subject ids as text, as the manifest gives them, got 1"):
        ClipEvents(toy, sensor="lr", subjects=[1])
    with pytest.raises(ParameterError, match=r"subjects is empty"):
        ClipEvents(toy, sensor="lr", subjects=[])


def test_an_index_out_of_range_is_refused(toy):
    ds = ClipEvents(toy, sensor="lr", subjects=["s01"])
    for index in (2, -3, 10**20):
        with pytest.raises(ItemIndexError, match=rf"item {index} of 2: out of range \(.*toy holds 2 clips of sensor "
                                                 r"'lr', items 0 to 1\)") as caught:
            ds[index]
        assert isinstance(caught.value, IndexError) and isinstance(caught.value, ParameterError)
    for index in (1.0, "0", True, slice(0, 2)):
        with pytest.raises(ParameterError, match=r"an item index must be a whole number, got"):
            ds[index]
    assert len(list(ds)) == 2  # iteration ends at the end


def test_a_window_that_is_none_is_refused(toy):
    with pytest.raises(ParameterError, match=r"window must be one of the time windows, not 'apex'; choose from clip, "
                                             r"expression"):
        ClipEvents(toy, sensor="lr", window="apex")


def test_a_clip_missing_or_corrupt_when_read_names_the_item_and_file(own_toy):
    ds = ClipEvents(own_toy, sensor="lr")
    gone, cut = (own_toy / ds.rows[i]["file"] for i in (1, 2))
    gone.unlink()
    with pytest.raises(FormatError, match=rf"item 1 \(clip {ds.rows[1]['clip_id']}\): .*{gone.name}: no such file"):
        ds[1]
    cut.write_bytes(cut.read_bytes()[:2000])
    with pytest.raises(FormatError, match=rf"item 2 \(clip {ds.rows[2]['clip_id']}\): .*{cut.name}: "):
        ds[2]
    assert ds[0][0].size == 50  # the other clips still read


def test_clips_of_sensors_of_two_sizes_have_no_one_sensor_size(own_toy):
    ds = ClipEvents(own_toy, sensor="lr")
    path = own_toy / ds.rows[3]["file"]
    clip = read_clip(path)
    events = clip.events["lr"]
    clip.events["lr"] = events[(events["x"] < 4) & (events["y"] < 6)]
    clip.sensors["lr"] = SensorInfo("lr", 4, 6)
    clip.calibration["face_box"]["lr"] = [0, 0, 4, 6]
    write_clip(path.with_suffix(".new"), clip)
    shutil.move(path.with_suffix(".new"), path)
    mixed = ClipEvents(own_toy, sensor="lr")
    assert mixed[3][0].size == clip.events["lr"].size
    with pytest.raises(DatasetError, match=rf"toy: the clips' lr sensors differ in size \(.*{ds.rows[0]['file']} is 8x8, "
                                           rf".*{ds.rows[3]['file']} is 4x6\): no one sensor_size"):
        _ = mixed.sensor_size
    assert ClipEvents(own_toy, sensor="lr", subjects=[ds.rows[0]["subject"]]).sensor_size == (8, 8)


def test_the_module_needs_no_torch():
    """A user's own loop may use another framework: importing ClipEvents loads no torch."""
    code = "import sys; import evface.inputs.clip_events; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
