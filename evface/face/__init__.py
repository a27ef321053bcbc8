"""Synthetic faces: identities, FACS action units and the renderer.

- :mod:`evface.face.identity` -- ``Identity``, ``procedural_identity``, ``photo_identity``,
  ``builtin_photo_identities`` (a photo without a face: ``evface.errors.FaceNotFoundError``);
- :mod:`evface.face.aus` -- ``AU_TABLE``, ``CLASS_SETS``, ``DEFAULT_CLASSES`` and the displacement,
  lid, gaze (AU61-64) and shading model, with one-sided AU keys (``"L14"``);
- :mod:`evface.face.render` -- ``FaceRenderer``, ``FacePose`` (in-plane pose, yaw and pitch in
  perspective), teeth and glasses as rigid layers;
- :mod:`evface.face.detect` -- OpenCV Haar-cascade face, eye and mouth detection.

See docs/au-model.md.
"""
