"""``leap-sync``: the composition root of the desktop app.

Builds the settings and the window, then runs Qt and asyncio on one qasync loop until the last
window closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app import __version__
from file_storage.settings import StorageSettings


def describe_settings(settings: StorageSettings) -> tuple[str, str]:
    """Secret-free one-liners for the two panes' headings."""
    local = str(settings.local_path.expanduser().absolute())
    if settings.s3_bucket:
        endpoint = settings.s3_endpoint_url or f"AWS S3 ({settings.s3_region})"
        remote = f"s3://{settings.s3_bucket}/{settings.s3_prefix} at {endpoint}"
    else:
        remote = "No bucket configured (set STORAGE_S3_BUCKET)"
    return local, remote


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="leap-sync", description=__doc__)
    parser.add_argument("--version", action="version", version=f"leap-sync {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the GUI and return its exit status."""
    parse_args(sys.argv[1:] if argv is None else argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Leap Sync")
    app.setApplicationVersion(__version__)
    window = MainWindow(*describe_settings(StorageSettings()))
    window.show()
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
