"""The synthetic rig: a rendered face under a lighting condition, seen by three synchronized cameras.

One clip is made in three steps (docs/dataset.md has the figures and their sources):

1. **Timeline** (:mod:`evface.rig.timeline`): AU intensities, gaze and a rigid 3-D head pose as
   smooth functions of time (a micro-expression plus blinks, saccades, drift, yaw, pitch, wobble
   and breathing), drawn at random by :mod:`evface.rig.timeline_draw` and read at a time by
   :mod:`evface.rig.timeline_query`, under a lighting condition (:mod:`evface.rig.lighting`).
2. **Scene** (:mod:`evface.rig.scene`): at every time sample the face is rendered for each camera
   at its own resolution, laid out by the rig's geometry (:mod:`evface.rig.geometry`: one lens
   for both event sensors, the hd sensor read through a hardware ROI), and lit in lux.
3. **Cameras** (:mod:`evface.rig.record`): ``hd`` (EVK4), ``lr`` (DAVIS346) and ``rgb`` (a 30 fps
   webcam) turn lux into events or frames (:mod:`evface.sim`); clean truth frames are kept for
   the event sensors.

Dataset planning, worker pools and shards live in :mod:`evface.datasets.synth` (planning in
:mod:`evface.datasets.synth_plan`).
"""
