"""Bring real data into evface: recording sessions and RGB micro-expression corpora.

- :mod:`~evface.datasets.importers.session`: event files + an RGB video + an annotation CSV ->
  synchronised, registered clips (``evface import session``);
- :mod:`~evface.datasets.importers.corpus`: a CASME II-style frame corpus -> simulated events + RGB
  clips (``evface import corpus``);
- :mod:`~evface.datasets.importers.annotations`, :mod:`~evface.datasets.importers.tables`,
  :mod:`~evface.datasets.importers.au_labels`, :mod:`~evface.datasets.importers.sync`,
  :mod:`~evface.datasets.importers.sync_triggers`, :mod:`~evface.datasets.importers.sync_xcorr`,
  :mod:`~evface.datasets.importers.sync_counts`, :mod:`~evface.datasets.importers.sync_fft`,
  :mod:`~evface.datasets.importers.registration`, :mod:`~evface.datasets.importers.event_scan`,
  :mod:`~evface.datasets.importers.rgb_scan`, :mod:`~evface.datasets.importers.rgb_timing`,
  :mod:`~evface.datasets.importers.face_box`, :mod:`~evface.datasets.importers.session_options`,
  :mod:`~evface.datasets.importers.calibration`, :mod:`~evface.datasets.importers.corpus_table`,
  :mod:`~evface.datasets.importers.corpus_options`, :mod:`~evface.datasets.importers.corpus_frames`,
  :mod:`~evface.datasets.importers.corpus_checks`, :mod:`~evface.datasets.importers.import_warnings`:
  the pieces, usable on their own.

docs/import-guide.md walks through a real session step by step.
"""
