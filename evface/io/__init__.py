"""Everything on disk: camera event formats, the HDF5 clip file and the dataset folder.

- :mod:`evface.io.formats` -- which format an events file is (EVT 2/2.1/3, DAT, AEDAT4, Event
  Stream, CSV, clip), from its magic bytes, extension and header;
- :mod:`evface.io.event_reader` -- the one reader: every format streamed in chunks;
- :mod:`evface.io.event_writer` -- the one writer: every format written chunk by chunk, renamed
  into place on success;
- :mod:`evface.io.file_info` -- the summary of an events file (``evface info``);
- :mod:`evface.io.faery_bridge` -- faery's events dtype and errors, for the reader and the writer;
- :mod:`evface.io.evt` -- the EVT 2.1 codec faery lacks;
- :mod:`evface.io.aedat4` -- the AEDAT 4 container check run before faery's decoder;
- :mod:`evface.io.clip` -- the clip file (schema in docs/clip-format.md), the only module that
  knows its HDF5 layout;
- :mod:`evface.io.dataset` -- the dataset folder (``manifest.csv``, ``dataset.json``) and
  atomic writes.
"""
