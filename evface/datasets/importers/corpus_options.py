"""The options of a corpus import (:class:`CorpusOptions`), each checked when they are made, so
that a bad value is one error naming it before any file is read, and its event sensors
(:func:`corpus_sensor`).

:func:`~evface.datasets.importers.corpus.import_corpus` takes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evface.checks import as_box, as_int, as_real, numbers
from evface.datasets.importers.au_labels import class_set
from evface.errors import ParameterError
from evface.sim.footage import MAX_SCENE_LUX
from evface.sim.sensors import SensorSpec, parse_sensor
from evface.sim.video_read import FPS_RANGE


FOLDER_FPS = 200.0
"""The rate of a folder of frames where ``fps`` is not given: CASME II's (and SAMM's)."""

MAX_SEED = 2**46
"""The largest ``seed``: clip ``i``'s sensor ``j`` is seeded ``seed * 100_003 + i * 101 + j``,
which the simulator takes up to 2**63 - 1 (here for tables of up to 10**16 rows)."""


@dataclass(frozen=True)
class CorpusOptions:
    """How a corpus becomes a dataset (see :mod:`~evface.datasets.importers.corpus`).

    ``fps`` is the rate of the folders of frames (None: :data:`FOLDER_FPS`) and of a video that
    states no usable rate (None: such a video is refused, naming ``fps``); a video that states its
    rate is read at it. ``rgb_fps`` is checked against each clip's own rate
    (:func:`~evface.datasets.importers.corpus_checks._check_rgb_fps`).
    ``sensors`` are named event sensors, optionally with a size: ``"davis346"``,
    ``"evk4:640x360"`` (:func:`evface.sim.sensors.parse_sensor`); a sensor's role (``lr``, ``hd``)
    names its events in the clips.
    ``label`` is ``"aus"`` (``AU1+2``) or ``"emotion"`` (the table's estimated emotion). With
    ``classes`` (a class set of :data:`evface.face.aus.CLASS_SETS`) clips are labelled by the class
    their AUs match and clips matching none are skipped (listed in the report). The face box is
    ``face_box`` (frame pixels) when given, else the Haar-cascade face found at one place in the
    most of the apex and frames spread over the clip (:func:`~evface.datasets.importers.face_box.detect_face`),
    implausible detections dropped (``min_face``: the smallest face
    side as a fraction of the frame's shorter side; corpus frames are cropped to the face), else
    the import stops.
    """

    sensors: tuple[str, ...] = ("davis346",)
    fps: float | None = None
    rgb_fps: float | None = None
    lux_white: float = 300.0
    upsample: int | None = None
    seed: int = 0
    label: str = "aus"
    classes: str | None = None
    face_box: tuple[float, float, float, float] | None = None
    min_face: float = 0.5
    lighting: str = "corpus"
    overwrite: bool = False

    def __post_init__(self) -> None:
        numbers(self, "fps", "rgb_fps", "lux_white", "upsample", "seed", "min_face")
        as_int("seed", self.seed, 0, MAX_SEED)  # 2**63 stopped the first clip, the option unnamed and its seed shown
        if self.face_box is not None:
            as_box("face_box", self.face_box)
        if not isinstance(self.sensors, (tuple, list)) or not all(isinstance(n, str) for n in self.sensors):
            raise ParameterError(f"sensors must be a tuple of sensor names, got {self.sensors!r}")
        if self.fps is not None:
            as_real("fps", self.fps, *FPS_RANGE)  # frames at most the DVS model's longest step apart
        if self.rgb_fps is not None:  # at most each clip's own rate: _check_rgb_fps
            as_real("rgb_fps", self.rgb_fps, *FPS_RANGE)
        as_real("lux_white", self.lux_white, 0, MAX_SCENE_LUX, low_open=True)
        if not 0 < self.min_face < 1:
            raise ParameterError(f"min_face is a fraction of the frame's shorter side in (0, 1), got {self.min_face}")
        if self.upsample is not None and not 1 <= self.upsample <= 1e6 / self.folder_fps:
            raise ParameterError(f"upsample must lie in [1, {int(1e6 / self.folder_fps)}] (steps of at least 1 µs at "
                                 f"{self.folder_fps:g} fps), got {self.upsample}")
        if self.label not in ("aus", "emotion"):
            raise ParameterError(f"label must be 'aus' or 'emotion', got {self.label!r}")
        if self.classes is not None:
            class_set(self.classes)
        if not self.sensors:
            raise ParameterError("give at least one sensor preset")
        for s in self.sensors:
            corpus_sensor(s)

    @property
    def folder_fps(self) -> float:
        """The rate of a folder of frames: ``fps``, else :data:`FOLDER_FPS`."""
        return self.fps if self.fps is not None else FOLDER_FPS

    @property
    def substeps(self) -> int:
        """Simulation steps per frame interval of a folder of frames."""
        return self.upsample if self.upsample is not None else max(1, math.ceil(1000.0 / self.folder_fps))


def corpus_sensor(text: str) -> tuple[str, SensorSpec]:
    """A sensor of the import: its clip name (the sensor's role) and its spec.

    Examples
    --------
    >>> name, spec = corpus_sensor("evk4:64x36")
    >>> name, spec.sensor.name, spec.size
    ('hd', 'evk4', (64, 36))
    """
    spec = parse_sensor(text)
    if spec.sensor is None:
        raise ParameterError(f"sensor {text!r}: a corpus sensor needs a name, which gives its pixel model and clip name, "
                             f"e.g. davis346:{spec.size[0]}x{spec.size[1]}")
    return spec.sensor.role, spec
