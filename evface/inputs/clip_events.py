"""A dataset folder's clips as ``(events, target)`` items, Tonic-style, for a training loop of one's own.

:class:`ClipEvents` gives item ``i`` as the structured events array of one sensor of clip ``i``
(:func:`~evface.io.clip_reader.read_events`, the whole clip or its expression) and its class index
into :attr:`ClipEvents.classes`, the dataset's labels in the order evface's classifier gives them.
A ``transform`` of :mod:`evface.events.transforms` (sized by :attr:`ClipEvents.sensor_size`)
turns the events into what a model takes. Each clip is read when its item is asked for, and no
file stays open, so a torch ``DataLoader`` with worker processes takes the dataset as it is; this
module does not import torch.

Examples
--------
A user's own subject folds (:mod:`evface.inputs.splits`): a dataset of each part's subjects, so
that no subject's clips are both trained and tested on:

>>> import tempfile
>>> from pathlib import Path
>>> from evface.datasets.toy import toy_dataset
>>> from evface.inputs.splits import subject_split, subjects_of
>>> root = toy_dataset(Path(tempfile.mkdtemp()) / "toy")
>>> parts = subject_split(ClipEvents(root, sensor="lr").rows, val_fraction=0.25, test_fraction=0.25, seed=0)
>>> train, test = (ClipEvents(root, sensor="lr", subjects=subjects_of(parts[k])) for k in ("train", "test"))
>>> len(train), len(test), set(train.subjects) & set(test.subjects)
(4, 2, set())
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from evface.checks import as_path
from evface.errors import DatasetError, EvfaceError, ParameterError, choose_from, where
from evface.events.core import SensorSize
from evface.inputs.clip_view import check_window, time_window
from evface.io.clip_reader import read_clip_meta, read_events
from evface.io.dataset import DatasetFolder


class ClipEvents:
    """The clips of a dataset folder as ``(events, target)`` items, each read when asked for.

    ``ds[i]`` is the events of ``sensor`` in clip ``i`` (a structured array of
    :data:`~evface.events.core.EVENT_DTYPE`, in time order, as
    :func:`~evface.io.clip_reader.read_events` reads them) and the index of its label in
    :attr:`classes`, each passed through ``transform`` and ``target_transform`` when given. The
    folder is opened and checked once (:meth:`~evface.io.dataset.DatasetFolder.open`), and every clip
    kept is checked to have ``sensor``; the events are read item by item, the file closed again, so
    the dataset pickles and a torch ``DataLoader`` with ``num_workers`` reads it in its workers
    (``collate_fn=list`` keeps a batch's items as they are: their event counts differ).

    Parameters
    ----------
    root : str or Path
        The dataset folder (``clips/``, ``manifest.csv``, ``dataset.json``).
    sensor : str, optional
        The event sensor whose events to give (default ``"hd"``; the toy dataset's is ``"lr"``).
    transform : callable, optional
        Applied to each item's events (e.g. an :mod:`evface.events.transforms` transform); None: none.
    target_transform : callable, optional
        Applied to each item's class index; None: none.
    subjects : iterable of str, optional
        Keep only these subjects' clips (as the manifest names them); None (default): every clip.
    window : {'clip', 'expression'}, optional
        Every event of the clip (default), or those of its annotated expression,
        ``onset_us <= t < offset_us`` (:func:`~evface.inputs.clip_view.time_window`).

    Attributes
    ----------
    root : Path
        The dataset folder.
    rows : tuple of dict
        The manifest row of each item, in the manifest's order (``rows[i]["clip_id"]``, ``["subject"]``).
    classes : list of str
        The dataset's class labels, sorted, of every clip (also those ``subjects`` leaves out): a target
        is an index into them, as evface's classifier numbers them.

    Raises
    ------
    DatasetError
        ``root`` is no dataset folder or fails its checks, or a clip kept lacks ``sensor`` (naming
        the clip file and the sensors it has).
    ParameterError
        A ``sensor``, ``window`` or ``subjects`` that is no such value (a subject not in the dataset named,
        with those it has).

    Examples
    --------
    >>> import tempfile
    >>> from evface.datasets.toy import toy_dataset
    >>> from evface.events.transforms import VoxelGrid
    >>> root = toy_dataset(Path(tempfile.mkdtemp()) / "toy")
    >>> ds = ClipEvents(root, sensor="lr")
    >>> events, target = ds[0]
    >>> len(ds), ds.classes, ds.sensor_size, events.dtype.names, target, ds.rows[0]["label"]
    (8, ['AU12', 'AU4'], (8, 8), ('t', 'x', 'y', 'p'), 0, 'AU12')
    >>> grids = ClipEvents(root, sensor="lr", transform=VoxelGrid(ds.sensor_size, n_bins=5))
    >>> grids[0][0].shape
    (5, 8, 8)
    >>> ClipEvents(root, sensor="hd")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: .../toy/clips/s01_AU12.h5: no events of sensor 'hd' (this clip has lr): give sensor= one of these
    """

    def __init__(self, root: str | Path, sensor: str = "hd", transform: Callable[[np.ndarray], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None, subjects: Iterable[str] | None = None,
                 window: str = "clip") -> None:
        if not isinstance(sensor, str):
            raise ParameterError(f"sensor must be an event sensor's name (text such as 'hd'), got {sensor!r:.80}")
        for name, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise ParameterError(f"{name} must be a callable (or None), got {value!r:.80}")
        self.window = check_window(window)
        folder = DatasetFolder.open(as_path("root", root))
        self.root = folder.root
        self.sensor = sensor
        self.transform = transform
        self.target_transform = target_transform
        self.classes = folder.labels
        self.rows = _kept_rows(folder, subjects)
        self._sizes, self._windows = _sizes_and_windows(folder, self.rows, sensor, self.window)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        i = self._position(index)
        row = self.rows[i]
        path = self.root / row["file"]
        try:
            events = read_events(path, self.sensor, *self._windows[i])
        except EvfaceError as exc:  # the item named, with the file and what is wrong with it
            raise type(exc)(f"item {i} (clip {row['clip_id']}): {exc}") from exc
        target: Any = self.classes.index(row["label"])
        if self.transform is not None:
            events = self.transform(events)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return events, target

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"ClipEvents({str(self.root)!r}, sensor={self.sensor!r}, window={self.window!r}, {len(self)} clips)"

    def _position(self, index: object) -> int:
        """``index`` as a position among the items (a negative one from the end, as a list's)."""
        try:
            i = operator.index(index)  # type: ignore[arg-type]  # anything else refused below
        except TypeError:
            i = None
        if i is None or isinstance(index, bool):
            raise ParameterError(f"an item index must be a whole number, got {index!r:.80}")
        if not -len(self) <= i < len(self):
            raise ItemIndexError(f"item {i} of {len(self)}: out of range (the dataset {self.root} holds "
                                 f"{len(self)} clips of sensor {self.sensor!r}, items 0 to {len(self) - 1})")
        return i % len(self)

    @property
    def subjects(self) -> list[str]:
        """The sorted subjects of the clips kept."""
        return sorted({row["subject"] for row in self.rows})

    @property
    def sensor_size(self) -> SensorSize:
        """``(width, height)`` of :attr:`sensor` in every clip kept, as the transforms take it; a
        DatasetError where two clips differ (naming one of each size)."""
        sizes: dict[SensorSize, dict[str, Any]] = {}
        for size, row in zip(self._sizes, self.rows, strict=True):
            sizes.setdefault(size, row)
        if len(sizes) > 1:
            shown = ", ".join(f"{self.root / row['file']} is {w}x{h}" for (w, h), row in list(sizes.items())[:2])
            raise DatasetError(where(self.root, f"the clips' {self.sensor} sensors differ in size ({shown}): no one "
                                                "sensor_size; crop every clip to one size (Crop) and size the "
                                                "representation by that, or keep the subjects of one size"))
        return self._sizes[0]


class ItemIndexError(ParameterError, IndexError):
    """An item index outside a :class:`ClipEvents`: a ParameterError that is also the IndexError
    that ends a sequence's iteration."""


def _kept_rows(folder: DatasetFolder, subjects: Iterable[str] | None) -> tuple[dict[str, Any], ...]:
    """The rows of ``folder`` whose subject is one of ``subjects`` (every row for None); a
    ParameterError naming a subject the folder does not have, or a ``subjects`` that is no list of them."""
    if subjects is None:
        return folder.rows
    if isinstance(subjects, (str, bytes)) or not isinstance(subjects, Iterable):
        raise ParameterError(f"subjects must be a list of subject ids (['s01', 's02']), got {subjects!r:.80}")
    wanted = list(subjects)
    if not wanted:
        raise ParameterError("subjects is empty: give at least one subject (None keeps every clip)")
    known = folder.subjects
    for subject in wanted:
        if not isinstance(subject, str):
            raise ParameterError(f"subjects must be subject ids as text, as the manifest gives them, got {subject!r:.80}")
        if subject not in known:
            raise ParameterError(where(folder.root, f"subjects: {subject!r} is no subject of this dataset; "
                                                    f"{choose_from(known)}"))
    kept = set(wanted)
    return tuple(row for row in folder.rows if row["subject"] in kept)


def _sizes_and_windows(folder: DatasetFolder, rows: tuple[dict[str, Any], ...], sensor: str, window: str
                       ) -> tuple[tuple[SensorSize, ...], tuple[tuple[int | None, int | None], ...]]:
    """The size of ``sensor`` in each row's clip and the ``(t_start_us, t_end_us)`` to read of it (both
    None for the whole clip); a DatasetError naming the first clip without ``sensor`` and the sensors it has."""
    sizes: list[SensorSize] = []
    windows: list[tuple[int | None, int | None]] = []
    for row in rows:
        path = folder.clip_path(row)
        meta = read_clip_meta(path)
        if sensor not in meta.sensors:
            raise DatasetError(where(path, f"no events of sensor {sensor!r} (this clip has "
                                           f"{', '.join(sorted(meta.sensors)) or 'none'}): give sensor= one of these"))
        sizes.append(meta.sensors[sensor].size)
        windows.append((None, None) if window == "clip" else time_window(meta, window))
    return tuple(sizes), tuple(windows)
