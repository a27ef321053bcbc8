"""Name the command-line option behind a bad value, and list an option's choices.

The library's parsers and parameter classes say what is wrong with a value in their own terms
("sensor '12x': ...", "DvsParams.cutoff_hz must be a finite number >= 0"); the command that passed the value on
knows which option it came from, and the user needs that name to fix it. An option of a few choices
lists them as :func:`evface.errors.choose_from` words them, whatever the command or library module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from evface.errors import ParameterError


@contextmanager
def naming(option: str) -> Iterator[None]:
    """Prefix a :class:`ParameterError` raised inside with ``option``.

    Examples
    --------
    >>> with naming("--lux"):
    ...     raise ParameterError("lux must be a positive number, got -1.0")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --lux: lux must be a positive number, got -1.0
    """
    try:
        yield
    except ParameterError as exc:
        raise ParameterError(f"{option}: {exc}") from None


@contextmanager
def naming_fields(options: Mapping[str, str]) -> Iterator[None]:
    """Prefix a :class:`ParameterError` whose message starts with a field name of ``options``
    (an options class checks its fields one message each) with that field's option.

    Examples
    --------
    >>> with naming_fields({"lux_white": "--lux-white"}):
    ...     raise ParameterError("lux_white must be positive, got -1.0")
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: --lux-white: lux_white must be positive, got -1.0
    """
    try:
        yield
    except ParameterError as exc:
        option = options.get(str(exc).split(" ", 1)[0])
        if option is None:
            raise
        raise ParameterError(f"{option}: {exc}") from None

