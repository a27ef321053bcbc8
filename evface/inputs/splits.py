"""Subject-independent splits of a manifest: every clip of a subject lands in the same part.

Micro-expression benchmarks evaluate on people the model has never seen (leave-one-subject-out
in CASME II / SAMM / MEGC protocols); splitting by clip would leak identity and inflate scores.

Examples
--------
>>> rows = [{"clip_id": f"c{i}", "subject": f"s{i % 5}"} for i in range(20)]
>>> parts = subject_split(rows, val_fraction=0.2, test_fraction=0.2, seed=0)
>>> [len({r["subject"] for r in parts[k]}) for k in ("train", "val", "test")]
[3, 1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from evface.checks import as_int
from evface.errors import DatasetError, ParameterError, counted

Row = TypeVar("Row", bound=Mapping[str, Any])


def subject_texts(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The subject of each row as text, as the splits and the scores compare subjects.

    A subject given both as text and otherwise (``"1"`` and ``1``: two people, or one person?)
    is a :class:`DatasetError` rather than one subject of both.

    Parameters
    ----------
    rows : sequence of dict
        Manifest rows, each with a ``subject``.

    Returns
    -------
    list of str
        The subject of each row, in the order of ``rows``.

    Examples
    --------
    >>> subject_texts([{"subject": "s2"}, {"subject": 7}, {"subject": np.int64(7)}])
    ['s2', '7', '7']
    >>> subject_texts([{"subject": 1}, {"subject": "1"}])
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: subject '1' is given both as int 1 and as str '1': give every subject as text (or every one as a number), so that two people are not taken for one
    >>> subject_texts([{"clip_id": "c0"}])
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: manifest rows need a 'subject' column to be split by subject
    """
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not all(isinstance(r, Mapping) for r in rows):
        raise ParameterError(f"rows must be a list of manifest rows (dicts), got {rows!r:.80}")
    try:
        subjects = [r["subject"] for r in rows]
    except KeyError:
        raise DatasetError("manifest rows need a 'subject' column to be split by subject") from None
    first: dict[str, Any] = {}
    for subject in subjects:
        seen = first.setdefault(str(subject), subject)
        if isinstance(seen, str) != isinstance(subject, str):
            raise DatasetError(f"subject {str(subject)!r} is given both as {type(seen).__name__} {seen!r} and as "
                               f"{type(subject).__name__} {subject!r}: give every subject as text (or every one as "
                               "a number), so that two people are not taken for one")
    return [str(s) for s in subjects]


def subjects_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Sorted distinct subjects of ``rows``, as text (:func:`subject_texts`).

    Parameters
    ----------
    rows : sequence of dict
        Manifest rows, each with a ``subject``.

    Returns
    -------
    list of str
        The distinct subjects, sorted.

    Examples
    --------
    >>> subjects_of([{"subject": "s2"}, {"subject": "s1"}, {"subject": "s2"}])
    ['s1', 's2']
    """
    return sorted(set(subject_texts(rows)))


def subject_split(
    rows: Sequence[Row], val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0
) -> dict[str, list[Row]]:
    """Split rows into ``train``, ``val`` and ``test`` by subject.

    Subjects are shuffled with ``seed``; ``round(fraction * n_subjects)`` subjects go to each of
    val and test, at least one each when its fraction is > 0, and at least one subject stays in
    train. Row order inside each part follows the input.

    Parameters
    ----------
    rows : sequence of dict
        Manifest rows, each with a ``subject``.
    val_fraction : float, optional
        Share of the subjects for validation, in [0, 1).
    test_fraction : float, optional
        Share of the subjects for testing, in [0, 1).
    seed : int, optional
        Seed of the subjects' shuffle, >= 0.

    Returns
    -------
    dict of str to list of dict
        The rows of each part, under ``"train"``, ``"val"`` and ``"test"``.

    Raises
    ------
    ParameterError
        On fractions outside [0, 1) or summing to 1 or more, or too few subjects to give every
        requested part one subject.

    Examples
    --------
    >>> rows = [{"clip_id": f"c{i}", "subject": f"s{i % 4}"} for i in range(8)]
    >>> parts = subject_split(rows, val_fraction=0.25, test_fraction=0.25, seed=1)
    >>> {k: sorted({r["subject"] for r in v}) for k, v in parts.items()}
    {'train': ['s2', 's3'], 'val': ['s1'], 'test': ['s0']}
    >>> subject_split(rows[:2], 0.25, 0.25)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: 2 subjects cannot give 1 validation and 1 test subject and keep one for training (--val-fraction, --test-fraction); join more subjects' folders first (evface merge)
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            raise ParameterError(f"{name} must be a number, got {value!r}")
    seed = as_int("seed", seed, 0)
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ParameterError(f"val_fraction={val_fraction} and test_fraction={test_fraction} must be >= 0 and sum below 1 "
                             "(--val-fraction, --test-fraction)")
    subjects = subjects_of(rows)
    n = len(subjects)
    n_val = max(int(val_fraction > 0), int(round(val_fraction * n)))
    n_test = max(int(test_fraction > 0), int(round(test_fraction * n)))
    if n_val + n_test >= n:
        raise ParameterError(
            f"{counted(n, 'subject')} cannot give {n_val} validation and {counted(n_test, 'test subject')} and keep one for training "
            "(--val-fraction, --test-fraction)" + ("; join more subjects' folders first (evface merge)" if n < 3 else "")
        )
    order = [subjects[i] for i in np.random.default_rng(seed).permutation(n)]
    part_of = {s: "test" for s in order[:n_test]}
    part_of.update({s: "val" for s in order[n_test : n_test + n_val]})
    parts: dict[str, list[Row]] = {"train": [], "val": [], "test": []}
    for row in rows:
        parts[part_of.get(str(row["subject"]), "train")].append(row)
    return parts
