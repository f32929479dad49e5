"""GUI tests run their coroutines on a qasync loop, so Qt events and asyncio share one loop.

That is how the app runs, so what passes here also holds in the app: signals, timers and async
slots interleave exactly as they will for a user.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.media import MediaService
from app.services.transfers import JobQueue
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.media import MediaInfoCache
from tests.conftest import MakeS3
from tests.gui.helpers_window import OpenWindow, opened_window


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


class _NestedLoopWitness(logging.Handler):
    """Remembers qasync's report of a task stepped inside another task's nested Qt loop."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]}"
        if "Cannot enter into task" in text:
            self.seen.append(text)


@pytest.fixture(autouse=True)
def no_modal_loop_inside_a_task() -> Iterator[None]:
    """Fail, by name, a test that opened a modal dialog from inside its coroutine.

    The dialog's nested loop then steps other tasks while the test's task is current; asyncio
    refuses (``Cannot enter into task``) and that task never wakes again, so the loop hangs
    when the test ends. Use ``click_from_qt`` (helpers_window) to click as the user does.
    """
    witness = _NestedLoopWitness()
    logger = logging.getLogger("qasync")
    logger.addHandler(witness)
    yield
    logger.removeHandler(witness)
    if witness.seen:
        pytest.fail(
            "a modal dialog ran its loop inside the test's task (use click_from_qt): "
            + witness.seen[0][:300]
        )


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the .qm catalogues if a .ts is newer (``pytest`` without ``make`` works too)."""
    from app.i18n import compile_catalogues

    compile_catalogues()


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Every async test under tests/gui runs on a qasync loop."""
    return {"qasync": _qasync_loop}


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    """A fresh local store on ``tmp_path`` (a test module may define its own)."""
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def open_window(
    qtbot: QtBot, local: LocalStorageBackend, make_s3: MakeS3, tmp_path: Path
) -> OpenWindow:
    """``async with open_window([remote]) as h:`` the composed window with a media service.

    Its settings go to ``tmp_path``, never the user's; a test module may define its own.
    """
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )

    def media(queue: JobQueue) -> MediaService:
        return MediaService(
            queue,
            cache=MediaInfoCache(None),
            thumbnail_dir=tmp_path / "thumbs",
            temp_dir=local.base_path / "temp",
        )

    def opened(remote: S3StorageBackend | None = None) -> Any:
        return opened_window(qtbot.addWidget, local, remote or make_s3(), media=media)

    return opened
