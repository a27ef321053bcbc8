"""The classifier's training data: cached inputs (:mod:`evface.inputs.classify`) and their label
indices as a torch ``Dataset``, each item augmented (:mod:`evface.inputs.classify_augment`) and
normalised as the network sees it, with a generator of its own in every ``DataLoader`` worker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from evface.checks import as_int, real_dtype
from evface.errors import ParameterError
from evface.inputs.classify import check_kind, kind_channels, normalize
from evface.inputs.classify_augment import Augment, check_values


def _label_indices(targets: Sequence[int] | np.ndarray) -> np.ndarray:
    """``targets`` as int64 class indices; a ParameterError unless each is a whole number >= 0
    (1.5 was cast to 1, and -1 or nan reached the loss as torch's "Target -1 is out of bounds"), and
    not booleans (a mask, not classes).

    Examples
    --------
    >>> _label_indices([True, False])
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: targets must be class indices (whole numbers >= 0), not booleans: [True, False]
    """
    values = np.asarray(targets)
    if values.dtype == bool:  # was: taken as classes 0 and 1
        raise ParameterError(f"targets must be class indices (whole numbers >= 0), not booleans: {targets!r}")
    if values.ndim != 1 or not real_dtype(values.dtype):
        raise ParameterError(f"targets must be a list of class indices, got {targets!r}")
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values)) if values.dtype.kind == "f" else values < 0
    if bad.any():
        raise ParameterError(f"targets must be class indices (whole numbers >= 0), got {values[bad][0].item()!r} "
                             f"at {int(np.flatnonzero(bad)[0])}")
    return values.astype(np.int64)


class ClassifyDataset(torch.utils.data.Dataset):
    """Cached inputs (clips, time_steps, channels, size, size) and label indices; applies
    augmentation (if any) and normalisation per item.

    The inputs are checked once, when the dataset is made (:func:`~evface.inputs.classify_augment.check_values`: event counts
    finite, >= 0 and at most 2^62, other kinds finite): 0.15 to 0.3 s per GiB of inputs, measured,
    once; checking each item as it is read would cost about as much every epoch.

    Augmentation draws from :attr:`rng` (seeded by ``seed``), item after item. In a ``DataLoader``
    worker it draws from a generator of that worker's own instead (:meth:`generator`), so that the
    workers, and the epochs, do not augment alike.

    Parameters
    ----------
    inputs : ndarray, shape (clips, time_steps, channels, size, size)
        The cached inputs (:func:`~evface.inputs.classify.load_inputs`), with the channels of ``kind``.
    targets : sequence of int
        Class index of each clip, whole numbers >= 0.
    kind : {'events', 'events-apex', 'rgb', 'rgb-diff', 'rgb-flow'}
        The inputs' kind: what normalisation and augmentation they get.
    augment : Augment or None, optional
        The augmentation of each item; None (default): none.
    seed : int, optional
        Seed of :attr:`rng`, the augmentation's generator (default 0).

    Examples
    --------
    >>> data = ClassifyDataset(np.ones((3, 2, 2, 4, 4), np.float32), [0, 1, 1], "events")
    >>> x, label = data[1]
    >>> len(data), tuple(x.shape), round(float(x[0, 0, 0, 0]), 4), label  # log1p(1) = 0.6931
    (3, (2, 2, 4, 4), 0.6931, 1)
    """

    def __init__(self, inputs: np.ndarray, targets: np.ndarray, kind: str,
                 augment: Augment | None = None, seed: int = 0) -> None:
        shape = np.shape(inputs)
        if len(shape) != 5:
            raise ParameterError(f"inputs must be (clips, time_steps, channels, size, size), got shape {shape}")
        if np.ndim(targets) != 1:  # a number was "object of type 'float' has no len()"
            raise ParameterError(f"targets must be a list of class indices, one per input, got {targets!r:.80}")
        if augment is not None and not callable(augment):  # was: "object is not callable" at the first item
            raise ParameterError(f"augment must be an Augment or None, got {augment!r:.80}")
        if len(inputs) != len(targets):
            raise ParameterError(f"{len(inputs)} inputs but {len(targets)} targets")
        self.kind = check_kind(kind)
        if shape[2] not in kind_channels(self.kind):  # was: met as a shape error inside the network
            raise ParameterError(f"inputs of kind {self.kind!r} must have {' or '.join(map(str, kind_channels(self.kind)))} "
                                 f"channels per time step, got shape {shape}")
        check_values("inputs", inputs, self.kind)
        self.inputs = inputs
        self.targets = _label_indices(targets)
        self.augment = augment
        self.seed = as_int("seed", seed, 0)
        self.rng = np.random.default_rng(self.seed)
        self._worker_seed: int | None = None

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = self.inputs[i]
        if self.augment is not None:
            x = self.augment(x, self.generator())
        return torch.from_numpy(np.ascontiguousarray(normalize(x, self.kind), dtype=np.float32)), int(self.targets[i])

    def generator(self) -> np.random.Generator:
        """The generator that draws the augmentations: :attr:`rng`, or one of a ``DataLoader`` worker's own.

        In a worker it is seeded by ``seed`` and the worker's torch seed (one per worker and epoch,
        drawn from torch's generator: reproducible after ``torch.manual_seed``). Each worker augments
        a copy of the dataset made as the epoch's iteration starts: copies of one generator gave every
        worker's items, and every epoch, the same draws.

        Returns
        -------
        numpy.random.Generator
            The generator the next item's augmentation draws from.
        """
        info = torch.utils.data.get_worker_info()
        if info is not None and info.seed != self._worker_seed:
            self._worker_seed, self.rng = info.seed, np.random.default_rng([self.seed, info.seed])
        return self.rng
