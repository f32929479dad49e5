"""Issue 12, item 8: the migration assistant and the sync plan check the destination's quota.

A plan that does not fit says so (needed vs free) and keeps Start / Run disabled, instead of
starting and failing partway. Driven with the keyboard shortcut and mouse clicks on the real
window, against a bucket with a small quota on the test SeaweedFS.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from app.services.sync import SyncService
from app.services.transfers import JobQueue
from file_storage import LocalStorageBackend, S3StorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, opened_window, wait_until

MiB = 1024 * 1024
USER = "users/user_000021"
#: 2 MiB, the small quota (in GB, as the settings give it).
SMALL_QUOTA_GB = 2 / 1024
OpenWindow = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def open_window(qtbot: QtBot, local: LocalStorageBackend, tmp_path: Path) -> OpenWindow:
    def sync(queue: JobQueue) -> SyncService:
        return SyncService(queue, tmp_path / "sync-index.sqlite3")

    return lambda remote: opened_window(qtbot.addWidget, local, remote, sync=sync)


async def seed_three_mib(local: LocalStorageBackend) -> None:
    """3 MiB of recordings on this computer: more than the 2 MiB quota of the bucket."""
    for n in range(3):
        await local.save(f"{USER}/recordings/r{n}/source.mp4", bytes([n]) * MiB)


def dialog_named(name: str) -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def press_shortcut(harness: Harness, key: Qt.Key) -> None:
    """The user's chord on the focused tree (Ctrl+Shift+<key>)."""
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    harness.window.activateWindow()
    QTest.keyClick(harness.local_pane.view, key, modifiers)


def button(dialog: QDialog, name: str) -> QPushButton:
    found = dialog.findChild(QPushButton, name)
    assert found is not None, name
    return found


async def test_a_migration_that_does_not_fit_the_bucket_quota_cannot_start(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    await seed_three_mib(local)
    remote: S3StorageBackend = make_s3(max_size_gb=SMALL_QUOTA_GB)
    async with open_window(remote) as harness:
        await harness.settle()
        press_shortcut(harness, Qt.Key.Key_M)
        await wait_until(lambda: dialog_named("migrationDialog") is not None, 10, "the assistant")
        dialog = dialog_named("migrationDialog")
        assert dialog is not None
        QTest.mouseClick(button(dialog, "planMigration"), Qt.MouseButton.LeftButton)
        label = dialog.findChild(QLabel, "migrationSummary")
        await wait_until(lambda: "files to copy" in label.text(), 30, "the plan")
        text = label.text()
        assert "3 files to copy (3.0 MiB)" in text, text
        assert "Will not run: The S3 bucket has 2.0 MiB free of its 2.0 MiB quota" in text, text
        assert "this needs 3.0 MiB" in text, text
        assert not button(dialog, "startMigration").isEnabled()
        assert not await remote.exists(f"{USER}/recordings/r0/source.mp4")
        dialog.reject()


async def test_a_migration_that_fits_can_start(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    """The check does not block what fits: 3 MiB into a 4 MiB quota may start."""
    await seed_three_mib(local)
    remote = make_s3(max_size_gb=4 / 1024)
    async with open_window(remote) as harness:
        await harness.settle()
        press_shortcut(harness, Qt.Key.Key_M)
        await wait_until(lambda: dialog_named("migrationDialog") is not None, 10, "the assistant")
        dialog = dialog_named("migrationDialog")
        assert dialog is not None
        QTest.mouseClick(button(dialog, "planMigration"), Qt.MouseButton.LeftButton)
        start = button(dialog, "startMigration")
        await wait_until(start.isEnabled, 30, "Start to be offered")
        assert "Will not run" not in dialog.findChild(QLabel, "migrationSummary").text()
        dialog.reject()


async def test_a_sync_plan_that_does_not_fit_the_bucket_quota_cannot_run(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    await seed_three_mib(local)
    remote = make_s3(max_size_gb=SMALL_QUOTA_GB)
    async with open_window(remote) as harness:
        await harness.settle()
        await harness.select(harness.local_pane, USER)
        press_shortcut(harness, Qt.Key.Key_S)
        await wait_until(lambda: dialog_named("syncPlanDialog") is not None, 30, "the plan")
        dialog = dialog_named("syncPlanDialog")
        assert dialog is not None
        label = dialog.findChild(QLabel, "planBlocked")
        blocked = label.text()
        assert blocked.startswith("Will not run: The S3 bucket has 2.0 MiB free"), blocked
        assert "this needs 3.0 MiB" in blocked
        assert label.isVisible()
        assert not button(dialog, "runSync").isEnabled()
        dialog.reject()
