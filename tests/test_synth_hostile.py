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
