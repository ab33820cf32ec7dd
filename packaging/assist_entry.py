"""PyInstaller entry point: the same `assist` command as the console script."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
