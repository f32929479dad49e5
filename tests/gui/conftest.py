"""GUI tests run their coroutines on a qasync loop, so Qt events and asyncio share one loop.

That is how the app runs, so what passes here also holds in the app: signals, timers and async
slots interleave exactly as they will for a user.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Collect the previous test's garbage here, on the GUI thread.

    Each test runs on a fresh qasync loop; left to chance, the cyclic garbage collector may
    destroy an old loop's timer QObject in a storage worker thread, which Qt refuses ("Timers
    cannot be stopped from another thread") and which can crash the process.
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the .qm catalogues if a .ts is newer (``pytest`` without ``make`` works too)."""
    from app.i18n import compile_catalogues

    compile_catalogues()


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Every async test under tests/gui runs on a qasync loop."""
    return {"qasync": _qasync_loop}
