"""evface: event-camera facial micro-expression analysis.

Subpackages
-----------
events   Events container and operations, representations, file I/O
sim      camera models: DVS pixel model, RGB camera model, lighting
face     FACS action units, identities, expression timelines, face detection
data     clip schema, dataset folder, synthetic rig, importers, splits, torch datasets
models   spiking classifier, CVAE, baselines
tasks    training and evaluation for classification and reconstruction
report   HTML report and figures
"""

from importlib.metadata import PackageNotFoundError, version

from evface.errors import EvfaceError

try:
    __version__ = version("evface")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["EvfaceError", "__version__"]
