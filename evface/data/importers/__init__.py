"""Bring real data into evface: recording sessions and RGB micro-expression corpora.

- :mod:`~evface.data.importers.session`: event files + an RGB video + an annotation CSV ->
  synchronised, registered clips (``evface import session``);
- :mod:`~evface.data.importers.corpus`: a CASME II-style frame corpus -> simulated events + RGB
  clips (``evface import corpus``);
- :mod:`~evface.data.importers.annotations`, :mod:`~evface.data.importers.sync`,
  :mod:`~evface.data.importers.registration`: the pieces, usable on their own.

docs/import-guide.md walks through a real session step by step.
"""
