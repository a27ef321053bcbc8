"""Names drawn as written in every figure evface draws: a run's PNGs and the report's figures.

A lighting, AU class, clip, subject, stage or run name comes from a received dataset or a
folder's name; matplotlib reads the text between two ``$`` as mathtext, and ``$\\bad$`` made it
raise while the figure was drawn.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def plain_text(figure: Callable[..., T]) -> Callable[..., T]:
    """Draw ``figure``'s texts as written (matplotlib's ``text.parse_math`` off while it runs, its
    saving included): a name holding ``$`` is text, not mathtext.

    Examples
    --------
    >>> @plain_text
    ... def title_width(name):
    ...     from io import BytesIO
    ...     from matplotlib.figure import Figure
    ...     fig = Figure()
    ...     fig.subplots().set_title(name)
    ...     fig.savefig(BytesIO(), format="png")
    ...     return "drawn"
    >>> title_width("lit $\\\\bad$")
    'drawn'
    """
    @functools.wraps(figure)
    def drawn(*args: object, **kwargs: object) -> T:
        import matplotlib  # lazy: matplotlib only when a figure is drawn

        with matplotlib.rc_context({"text.parse_math": False}):
            return figure(*args, **kwargs)
    return drawn
