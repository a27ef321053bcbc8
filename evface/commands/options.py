"""Name the command-line option behind a bad value, and list an option's choices.

The library's parsers and parameter classes say what is wrong with a value in their own terms
("sensor '12x': ...", "DvsParams.cutoff_hz must be a finite number >= 0"); the command that passed the value on
knows which option it came from, and the user needs that name to fix it. An option of a few choices
lists them as :func:`evface.errors.choose_from` words them, whatever the command or library module.
An option given where it does nothing (``bench --force`` without ``--out``) is refused naming both
(:func:`given`, :func:`only_beside`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import typer

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


def given(context: typer.Context, parameter: str) -> bool:
    """Whether the option of ``parameter`` (its Python name) was given on the command line of the
    command ``context`` runs, its default value included (``--camera webcam30``), rather than left out.

    Examples
    --------
    >>> from typer.main import get_command
    >>> app = typer.Typer()
    >>> @app.command()
    ... def bench(context: typer.Context, force: bool = typer.Option(False, "--force")) -> None:
    ...     print(given(context, "force"))
    >>> get_command(app).main(["--force"], standalone_mode=False)
    True
    >>> get_command(app).main([], standalone_mode=False)
    False
    """
    source = context.get_parameter_source(parameter)
    return source is not None and source.name == "COMMANDLINE"


def only_beside(option: str, does: str, instead: str) -> ParameterError:
    """The error for ``option`` given where it does nothing: what it ``does``, then the two ways
    out, ``instead`` (what makes it act) or dropping it.

    Examples
    --------
    >>> print(only_beside("--force", "only replaces the file --out names", "give --out"))
    --force: only replaces the file --out names; give --out or drop --force
    """
    return ParameterError(f"{option}: {does}; {instead} or drop {option}")
