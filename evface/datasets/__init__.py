"""Make dataset folders: the synthetic rig's (:mod:`evface.datasets.synth`, with its plan in
:mod:`evface.datasets.synth_plan`, one clip filmed by :mod:`evface.datasets.synth_film` and the
shards joined by :mod:`evface.datasets.synth_shards`) and real recordings'
(:mod:`evface.datasets.importers`); a toy folder of a few tiny clips for examples
(:mod:`evface.datasets.toy`). They are stored with :mod:`evface.io` and read for models
by :mod:`evface.inputs`."""
