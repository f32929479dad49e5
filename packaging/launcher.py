"""Entry point of the PyInstaller bundle: run ``app.main`` as the ``leap-sync`` script does.

A separate file (not ``app/main.py`` itself) so that ``app.main`` is imported once, under its own
name, exactly as in the installed package.
"""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
