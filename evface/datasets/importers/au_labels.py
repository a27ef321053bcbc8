"""Action-unit lists as annotation tables write them (``1+2``, ``AU6+AU12``, ``L12``), and the
labels of a clip: its AUs joined (``AU1+2``) or the class of a named class set that they hold.
"""

from __future__ import annotations

import re

from evface.errors import DatasetError, ParameterError, choose_from, where
from evface.face.aus import CLASS_SETS

_AU_TOKEN = re.compile(r"^(?:[LRB])?(?:AU)?\s*([0-9]+)[a-eA-E]?$", re.IGNORECASE)
MAX_AU = 99
"""The highest FACS code (action units 1 to 46, head and eye positions 50 to 66, gross behaviour up to 98)."""


def parse_aus(text: str, *, source: str | None = None) -> list[int]:
    """Parse an AU list such as ``"1+2"``, ``"AU6+AU12"``, ``"L12"`` or ``"4, 7"``.

    Separators are ``+``, ``,``, ``;``, ``/`` or spaces; ``L``/``R``/``B`` side prefixes, an
    ``AU`` prefix (also ``AU 12``) and a FACS intensity letter suffix (``12C``) are dropped. Duplicates are
    removed and the result is sorted. ``"/"``, ``"-"`` and the empty string mean no AUs; a number
    outside 1 to :data:`MAX_AU` is refused (was: AU 0 refused only when the clip was written, after
    the scans, naming the unfinished clip file instead of the table line; one of 5000 digits, more
    than ``int()`` reads, a ValueError).

    Examples
    --------
    >>> parse_aus("AU1+AU2")
    [1, 2]
    >>> parse_aus("L12+4"), parse_aus("au 6 + AU 12")
    ([4, 12], [6, 12])
    >>> parse_aus("")
    []
    >>> parse_aus("1+0", source="t.csv: line 2")
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: t.csv: line 2: action unit 0 in '1+0' is not a FACS code (1 to 99); write no AUs as '', '-' or 'none'
    """
    text = str(text).strip()
    if text in ("", "/", "-", "none", "None"):
        return []
    aus = set()
    for token in re.split(r"[+,;/\s]+", re.sub(r"(?i)(AU)\s+(?=[0-9])", r"\1", text)):  # "AU 12" is one
        if not token:
            continue
        m = _AU_TOKEN.match(token)
        if m is None:
            raise DatasetError(where(source, f"cannot read action unit {token!r} in {text!r} (expected e.g. '1+2' or 'AU12')"))
        au = m.group(1).lstrip("0") or "0"  # int() reads no more than 4300 digits (ValueError: exit 1)
        if len(au) > len(str(MAX_AU)) or not 1 <= int(au) <= MAX_AU:
            raise DatasetError(where(source, f"action unit {au} in {text!r} is not a FACS code (1 to {MAX_AU}); write no "
                                             "AUs as '', '-' or 'none'"))
        aus.add(int(au))
    return sorted(aus)


def label_from_aus(aus: list[int] | tuple[int, ...]) -> str:
    """Default label of an AU list: ``[1, 2] -> "AU1+2"``; no AUs gives ``"none"``.

    Examples
    --------
    >>> label_from_aus([12, 6])
    'AU6+12'
    """
    return "AU" + "+".join(str(a) for a in sorted(aus)) if aus else "none"


def class_set(name: str) -> dict[str, list[int]]:
    """A named AU class set of :data:`evface.face.aus.CLASS_SETS` (``default``, ``compact``, ...)."""
    if name not in CLASS_SETS:
        raise ParameterError(f"unknown class set {name!r}; {choose_from(sorted(CLASS_SETS))}")
    return CLASS_SETS[name]


def label_from_classes(aus: list[int] | tuple[int, ...], classes: dict[str, list[int]]) -> str | None:
    """The class whose AUs all occur in ``aus`` (the one with most AUs; first in order on a tie), or None.

    Examples
    --------
    >>> label_from_classes([1, 2, 4], {"AU1+2": [1, 2], "AU4": [4]})
    'AU1+2'
    >>> label_from_classes([12], {"AU6+12": [6, 12]}) is None
    True
    """
    have = set(aus)
    best = None
    for name, members in classes.items():
        if set(members) <= have and (best is None or len(members) > len(classes[best])):
            best = name
    return best
