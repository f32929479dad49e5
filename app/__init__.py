"""Leap Sync desktop app (PySide6 on a qasync event loop)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leap-sync")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
