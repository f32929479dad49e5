"""The ``leap-sync`` entry point answers ``--version`` without starting Qt."""

from __future__ import annotations

import subprocess
import sys

from app import __version__


def test_version_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.main", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"leap-sync {__version__}"
