"""Everything on disk: camera event formats, the HDF5 clip file and the dataset folder.

- :mod:`evface.io.formats` -- which format an events file is (EVT 2/2.1/3, DAT, AEDAT4, Event
  Stream, CSV, clip), from its magic bytes, extension and header;
- :mod:`evface.io.event_reader` -- the one reader: every format streamed in chunks;
- :mod:`evface.io.event_checks`, :mod:`evface.io.event_csv` and :mod:`evface.io.event_chunks` -- the
  reader's checks of a file, its CSV rows and its chunks joined, windowed and recut;
- :mod:`evface.io.event_writer` -- the one writer: every format written chunk by chunk, renamed
  into place on success;
- :mod:`evface.io.file_info` -- the summary of an events file (``evface info``);
- :mod:`evface.io.faery_bridge` -- faery's events dtype and errors, for the reader and the writer;
- :mod:`evface.io.evt` -- the EVT 2.1 codec faery lacks;
- :mod:`evface.io.aedat4` -- the AEDAT 4 container check run before faery's decoder;
- :mod:`evface.io.clip_schema` -- the clip file: what a clip holds, its schema version and the
  truth frames' log codes (schema in docs/clip-format.md);
- :mod:`evface.io.clip_writer` and :mod:`evface.io.clip_reader` -- the clip file written (whole or
  one sensor's events streamed) and read (whole, windowed, summaries): the only modules that know
  its HDF5 layout;
- :mod:`evface.io.clip_checks` -- the checks of a clip before it is written;
- :mod:`evface.io.temporary_files` -- the temporary file beside an output that every writer fills
  and renames;
- :mod:`evface.io.dataset` -- the dataset folder (``dataset.json``, every manifest row checked
  against its clip), its ``manifest.csv`` in :mod:`evface.io.manifest`, a folder built as
  ``OUT.partial`` and renamed in :mod:`evface.io.dataset_output`;
- :mod:`evface.io.atomic_files` -- the atomic write every other writer goes through.
"""
