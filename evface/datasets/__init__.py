"""Make dataset folders: the synthetic rig's (:mod:`evface.datasets.synth`) and real recordings'
(:mod:`evface.datasets.importers`). They are stored with :mod:`evface.io` and read for models
by :mod:`evface.inputs`."""
