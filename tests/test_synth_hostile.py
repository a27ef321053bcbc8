"""A hostile user's round on `evface synth`: datasets edited by hand, then resumed or extended."""

import shutil

import pytest

from evface.datasets.synth import synthesize
from evface.errors import DatasetError

TWO = dict(preset="tiny", seed=0, subjects=1, classes=["AU4"], lighting=["bright", "dim"])

pytestmark = pytest.mark.xdist_group("synth-hostile")


@pytest.fixture(scope="module")
def two_clips(tmp_path_factory):
    """A finished 2-clip tiny dataset (s000_AU4_bright_r0, s000_AU4_dim_r0); read only."""
    return synthesize(tmp_path_factory.mktemp("two") / "data", **TWO)


def test_a_clip_copied_over_another_is_refused_on_resume(two_clips, tmp_path):
    """A clip file replaced by another clip (copied over it by hand, or one of another dataset):
    the resume kept it as the planned clip, wrote the row of the planned clip with the other
    clip's times and said "dataset ready", a dataset every reader then refused. Now one line
    naming the file and what it holds; the file and the manifest untouched."""
    out = tmp_path / "data"
    shutil.copytree(two_clips, out)
    bright, dim = out / "clips" / "s000_AU4_bright_r0.h5", out / "clips" / "s000_AU4_dim_r0.h5"
    shutil.copyfile(dim, bright)
    manifest = (out / "manifest.csv").read_bytes()
    with pytest.raises(DatasetError, match=r"s000_AU4_bright_r0\.h5: holds another clip than the s000_AU4_bright_r0 "
                                           r"this dataset plans .*clip_id 's000_AU4_dim_r0', not 's000_AU4_bright_r0'"
                                           r".*lighting 'dim', not 'bright'.*move it out"):
        synthesize(out, **TWO)
    assert bright.read_bytes() == dim.read_bytes() and (out / "manifest.csv").read_bytes() == manifest
    bright.unlink()  # as the line says: then the same command films it again
    synthesize(out, **TWO)
    assert bright.read_bytes() == (two_clips / "clips" / bright.name).read_bytes()
    assert (out / "manifest.csv").read_bytes() == (two_clips / "manifest.csv").read_bytes()


def test_faces_given_a_folder_of_documents_is_refused_in_a_short_line(tmp_path):
    """``--faces`` given a folder of hundreds of files, none a photo (a slip of the path: a folder of
    documents or code): the one error line named every file and its reason, tens of kilobytes. Now
    the first three and a count of the rest."""
    from evface.datasets.synth_plan import load_face_photos

    for i in range(200):
        (tmp_path / f"notes{i:03d}.txt").write_text("not a face")
    with pytest.raises(DatasetError) as err:
        load_face_photos(tmp_path)
    said = str(err.value)
    assert said.startswith(f"{tmp_path}: no usable face photo (notes000.txt: skipped: not an image file")
    assert "notes002.txt" in said and "notes003.txt" not in said
    assert said.endswith("; and 197 more skipped, 197 of them not image files)") and len(said) < 600
