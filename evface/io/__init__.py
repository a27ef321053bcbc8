"""Everything on disk: camera event formats, the HDF5 clip file and the dataset folder.

- :mod:`evface.io.event_files` -- read, stream and write camera formats (EVT 2/2.1/3, DAT,
  AEDAT4, Event Stream, CSV) and clip files through one reader and one writer;
- :mod:`evface.io.evt` -- the EVT 2.1 codec faery lacks;
- :mod:`evface.io.aedat4` -- the AEDAT 4 container check run before faery's decoder;
- :mod:`evface.io.clip` -- the clip file (schema in docs/clip-format.md), the only module that
  knows its HDF5 layout;
- :mod:`evface.io.dataset` -- the dataset folder (``manifest.csv``, ``dataset.json``) and
  atomic writes.
"""
