"""``evface info``, ``evface convert`` and ``evface bench io``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the I/O commands to ``app``."""
