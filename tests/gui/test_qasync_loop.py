"""The GUI test loop is Qt's: timers and asyncio interleave."""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtCore import QTimer


async def test_tests_run_on_a_qasync_loop() -> None:
    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
    fired = asyncio.Event()
    QTimer.singleShot(10, fired.set)
    await asyncio.wait_for(fired.wait(), 2)
