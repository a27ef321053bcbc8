"""Synthetic faces: identities, FACS action units and the renderer.

- :mod:`evface.face.identity` -- ``Identity``, ``procedural_identity``, ``photo_identity``,
  ``builtin_photo_identities`` (a photo without a face: ``evface.errors.FaceNotFoundError``);
- :mod:`evface.face.aus` -- ``AU_TABLE``, ``CLASS_SETS``, ``DEFAULT_CLASSES`` and the displacement,
  lid and shading model;
- :mod:`evface.face.render` -- ``FaceRenderer``, ``FacePose``;
- :mod:`evface.face.detect` -- OpenCV Haar-cascade face, eye and mouth detection.

See docs/au-model.md.
"""
