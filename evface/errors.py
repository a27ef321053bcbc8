"""The one exception family of evface.

Every error a user can cause (bad file, bad field, bad parameter) is an :class:`EvfaceError`
whose message names the file or field and what was expected. The CLI prints these without a
traceback; anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path


class EvfaceError(Exception):
    """Base class of all errors raised on bad input."""


class FormatError(EvfaceError):
    """A file is missing, unreadable, truncated, corrupt or of an unknown format."""


class EventsError(EvfaceError):
    """An events array breaks the data model (dtype, order, polarity, coordinates)."""


class ParameterError(EvfaceError):
    """A parameter is out of range or inconsistent with another."""


class DatasetError(EvfaceError):
    """A dataset folder, manifest or annotation table is inconsistent."""


class FaceNotFoundError(EvfaceError):
    """No face was found in a photo given as an identity."""


def where(path: str | Path | None, message: str) -> str:
    """Prefix ``message`` with the file it concerns, when there is one.

    Examples
    --------
    >>> where("a.raw", "truncated")
    'a.raw: truncated'
    >>> where(None, "truncated")
    'truncated'
    """
    return f"{path}: {message}" if path else message
