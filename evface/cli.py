"""The ``evface`` command: a thin typer layer over the library.

Each area registers its commands from a module in :mod:`evface.commands`; this file only
assembles them and turns :class:`~evface.errors.EvfaceError` into a one-line message and exit
code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from evface import __version__
from evface.errors import EvfaceError

app = typer.Typer(
    name="evface",
    help="Event-camera facial micro-expression analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

# Modules in evface.commands that define ``register(app)``; each adds its commands.
COMMAND_MODULES = ["run", "synth", "train", "reconstruct", "importers", "sim", "io", "face", "bench"]


def _version(value: bool) -> None:
    if value:
        print(f"evface {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Event-camera facial micro-expression analysis."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"evface.commands.{_name}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (2 for an EvfaceError, with its message on stderr)."""
    try:
        app(args=argv, standalone_mode=False)
    except EvfaceError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
