"""GUI tests run their coroutines on a qasync loop, so Qt events and asyncio share one loop.

That is how the app runs, so what passes here also holds in the app: signals, timers and async
slots interleave exactly as they will for a user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Every async test under tests/gui runs on a qasync loop."""
    return {"qasync": _qasync_loop}
