"""``python -m evface``: the command line, as the ``evface`` script runs it (:func:`evface.cli.main`)."""

import sys

from evface.cli import main

if __name__ == "__main__":  # not when imported (the doctest collection imports every module)
    sys.exit(main())
