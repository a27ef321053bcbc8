"""``python -m evface``: the command line, as the ``evface`` script runs it (:func:`evface.cli.main`)."""

import sys

from evface.cli import main

sys.exit(main())
