"""Background sync tests: the real watcher (inotify), the real SeaweedFS, real ffmpeg, and the
qasync loop the app runs on (the watcher reads inotify through that loop's socket notifier)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from app.services.background import BackgroundSync
from app.services.media import MediaService
from app.services.transfers import JobQueue
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.media import MediaInfoCache
from file_storage.sync import SyncIndex
from file_storage.sync.pairs import PairStore, SyncPair
from file_storage.sync.runlog import RunLog
from tests.conftest import MakeS3

#: Short enough for tests; the app's default is 5 s.
SETTLE_S = 0.5


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app)


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Collect the previous test's garbage here (see tests/gui/conftest.py: an old loop's
    QObjects collected in a worker thread can crash the process)."""
    gc.collect()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def windows_do_not_quit_the_app() -> Iterator[None]:
    """As in the app: a dialog closing is not the app quitting (it would stop the loop)."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    before = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    yield
    app.setQuitOnLastWindowClosed(before)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    return {"qasync": _qasync_loop}


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``predicate`` on the loop until it holds; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def wait_for(check: Callable[[], Any], timeout: float, what: str) -> float:
    """Like :func:`wait_until` for an async ``check`` (a storage call)."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


class Setup:
    """Both stores, the queue, the index and a BackgroundSync factory for one test."""

    def __init__(self, tmp_path: Path, local: LocalStorageBackend, remote: S3StorageBackend):
        self.tmp_path = tmp_path
        self.local = local
        self.remote = remote
        self.queue = JobQueue()
        self.index = SyncIndex(tmp_path / "index.sqlite3")
        self.pairs = PairStore(tmp_path / "sync-pairs.json")
        self.run_log = RunLog(tmp_path / "sync-runs.jsonl")
        self.media = MediaService(
            self.queue,
            cache=MediaInfoCache(None),
            thumbnail_dir=tmp_path / "thumbs",
            temp_dir=local.base_path / "temp",
        )
        self.services: list[BackgroundSync] = []

    def start(self, *pairs: SyncPair) -> BackgroundSync:
        service = BackgroundSync(
            self.local,
            self.remote,
            self.queue,
            self.index,
            self.pairs,
            self.run_log,
            media=self.media,
            settle_s=SETTLE_S,
        )
        service.set_pairs(list(pairs))
        service.start()
        self.services.append(service)
        return service

    def runs(self) -> list[Any]:
        return self.run_log.runs()

    async def aclose(self) -> None:
        for service in self.services:
            await service.aclose()
        await self.queue.shutdown(timeout=4.0)
        self.media.cache.close()
        await self.index.close()


@pytest.fixture
async def setup(tmp_path: Path, make_s3: MakeS3) -> AsyncIterator[Setup]:
    async with LocalStorageBackend(tmp_path / "store") as local:
        result = Setup(tmp_path, local, make_s3())
        try:
            yield result
        finally:
            await result.aclose()
