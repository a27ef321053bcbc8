"""What the library warns of while an import runs, kept in the import's list of warnings
(``dataset.json`` ``import.warnings``, which the CLI prints, one ``warning:`` line each).

An :class:`~evface.errors.EvfaceWarning` given while an import reads its inputs (a JPEG frame
decoded with damage, :func:`evface.sim.frame_folder.read_frame`) reached the terminal only: the dataset,
handed on or reported later (``evface report``), did not say it. :func:`warnings_kept` keeps each
in the list instead, beside the notes the importers write there themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from evface.errors import EvfaceWarning


@contextmanager
def warnings_kept(kept: list[str]) -> Iterator[list[str]]:
    """Inside the block, the text of each :class:`~evface.errors.EvfaceWarning` given is appended
    to ``kept``, once (not where ``kept`` holds it already), and not shown; other warnings are
    shown as before. Where the block raises, the warnings given in it are given again as it ends,
    so that an import that fails still tells them (the CLI: a ``warning:`` line each before the
    error).

    Parameters
    ----------
    kept : list of str
        The import's warnings (its report's ``warnings``), appended to.

    Yields
    ------
    list of str
        The text of each warning given in the block so far, in order, as often as it was given:
        those given while one clip was converted are those it adds (an import that resumes keeps them).

    Examples
    --------
    >>> notes = ["clip a: no face found in 2 of 5 frames"]
    >>> with warnings_kept(notes) as given:
    ...     for _ in range(2):
    ...         warnings.warn("f/img3.jpg: decoded with damage (Premature end of JPEG file): check the frame",
    ...                       EvfaceWarning)
    >>> len(given), notes[1:]
    (2, ['f/img3.jpg: decoded with damage (Premature end of JPEG file): check the frame'])
    """
    given: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", EvfaceWarning)  # each one reaches keep(), whatever the filters outside
            shows = warnings.showwarning

            def keep(message: Warning | str, category: type[Warning], *where: Any, **more: Any) -> None:
                if not issubclass(category, EvfaceWarning):
                    shows(message, category, *where, **more)
                    return
                given.append(str(message))
                if str(message) not in kept:
                    kept.append(str(message))

            warnings.showwarning = keep
            yield given
    except BaseException:
        for text in dict.fromkeys(given):
            warnings.warn(text, EvfaceWarning, stacklevel=3)
        raise
