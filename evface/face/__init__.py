"""Synthetic faces: identities, FACS action units and the renderer.

- :mod:`evface.face.identity` -- ``Identity``, ``procedural_identity``, ``photo_identity``,
  ``builtin_photo_identities`` (a photo without a face: ``evface.errors.FaceNotFoundError``);
- :mod:`evface.face.aus` -- ``AU_TABLE``, ``CLASS_SETS``, ``DEFAULT_CLASSES`` and the AU keys,
  one-sided ones included (``"L14"``); the model of what an AU does is :mod:`evface.face.au_motion`
  (the displacement field and the lips), :mod:`evface.face.au_eyes` (lids and gaze, AU61-64) and
  :mod:`evface.face.au_shading`;
- :mod:`evface.face.render` -- ``FaceRenderer``, teeth and glasses as rigid layers; the pose it
  takes is :mod:`evface.face.head_pose` (``FacePose``: in-plane pose, yaw and pitch in
  perspective), where the face sits on the canvas :mod:`evface.face.canvas`; a photo identity's
  texture :mod:`evface.face.photo_texture`, the boxes of its fields :mod:`evface.face.field_support`;
- :mod:`evface.face.detect` -- OpenCV Haar-cascade face, eye and mouth detection.

See docs/au-model.md.
"""
