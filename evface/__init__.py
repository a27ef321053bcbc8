"""evface: event-camera facial micro-expression analysis.

Subpackages (docs/architecture.md has the layers and what each module owns)
-----------
events     events in memory: the structured array, operations, representations, transforms
io         everything on disk: camera formats, the clip file, the dataset folder
sim        camera physics: the DVS pixel, noise, readout, the RGB camera, video -> lux -> events
face       identities, FACS action units, the renderer, face detection
rig        the synthetic rig: geometry, lighting, timelines, recording one clip
datasets   dataset folders: synthetic datasets, merging, importers of real recordings
inputs     reading a dataset for models: splits, clip views, tensors, flow, reconstruction samples
models     the spiking classifier, the CVAE, the E2VID-style UNet, classic baselines, NIR export
tasks      training and evaluation of classification and reconstruction, statistics
report     the HTML report and its figures
pipeline   ``evface run``: the stages of a run, planned, run as jobs, resumed
bench      speed measurements (``evface bench``)
commands   the command line (with ``cli``)
"""

from importlib.metadata import PackageNotFoundError, version

from evface.errors import EvfaceError

try:
    __version__ = version("evface")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["EvfaceError", "__version__"]
