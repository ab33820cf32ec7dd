"""``python -m assist``: the headless commands (the window is ``python -m ui``)."""

import sys

from assist.cli import main

sys.exit(main())
