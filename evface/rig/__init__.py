"""The synthetic rig: a rendered face under a lighting condition, seen by three synchronized cameras.

- :mod:`evface.rig.timeline` -- AU intensities and head pose over a clip;
- :mod:`evface.rig.lighting` -- illuminance and flicker presets.

Dataset planning, worker pools and shards live in :mod:`evface.datasets.synth`.
"""
