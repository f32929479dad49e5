"""The tray: its menu clicked as a user does, close-to-tray, its states, and notifications.

The offscreen platform has no tray host, so the controller is told one exists (``available``);
everything else is real: the QMenu is popped up and clicked with the mouse, the window's close
event goes through Qt, the queue runs real jobs, the usage counts real files.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QAction, QCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from app.services.background_state import BackgroundState, RunSummary
from app.services.notifications import SETTING_NOTIFICATIONS, Notifier
from app.services.transfers import Job, JobKind, JobQueue, ProgressReporter
from app.services.usage import UsageService
from app.views.log_panel import QtLogHandler
from app.views.tray import SETTING_CLOSE_TO_TRAY, TrayController
from app.workspace import WorkspaceHost, build_workspace
from file_storage import LocalStorageBackend
from file_storage.errors import StorageError
from file_storage.settings import StorageSettings
from tests.gui.helpers_window import wait_until


@pytest.fixture(autouse=True)
def own_qsettings(tmp_path: Path) -> None:
    """Settings go to ``tmp_path``, never the user's."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )
    QSettings().clear()


@pytest.fixture(autouse=True)
def windows_do_not_quit_the_app(qapp: QApplication) -> Iterator[None]:
    """As in the app: hiding or closing the last window does not quit; the app decides."""
    app = qapp
    before = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    yield
    app.setQuitOnLastWindowClosed(before)


@contextlib.asynccontextmanager
async def opened_host(tmp_path: Path) -> AsyncIterator[WorkspaceHost]:
    """A workspace on a local store (no bucket) and its window, shown, closed at the end.

    A context manager inside the test, not a fixture: the workspace's tasks must end on the
    test's own loop.
    """
    settings = StorageSettings(local_path=tmp_path / "store")
    workspace = build_workspace(settings, "Local", cache_dir=tmp_path / "cache")
    host = WorkspaceHost(workspace, QtLogHandler())
    quit_requested: list[bool] = []
    host.quitRequested.connect(lambda: quit_requested.append(True))
    host.show()
    yield host
    # Close it as Quit does (F10: transfers cancelled), past any tray that hides it.
    for child in host.children():
        if isinstance(child, TrayController):
            child.quitting = True
    if not quit_requested:
        host.window.close()
    await wait_until(lambda: bool(quit_requested), 15, "the window to close")
    await host.aclose()
    host.window.deleteLater()


def make_tray(host: WorkspaceHost, quits: list[bool]) -> tuple[TrayController, BackgroundState]:
    state = BackgroundState()
    tray = TrayController(
        host, state, lambda: (quits.append(True), host.window.close()), available=True, parent=host
    )
    return tray, state


async def click_menu(menu: QMenu, action: QAction) -> None:
    """Pop the menu up and click ``action`` with the mouse, as a user does."""
    # Two clicks on one spot within the double-click interval would be a double click.
    await asyncio.sleep(QApplication.doubleClickInterval() / 1000 + 0.05)
    menu.popup(QPoint(300, 300))
    await wait_until(menu.isVisible, 5, "the tray menu to show")
    # A menu ignores a release where the pointer was when it popped up (that is the release of
    # the click that opened it): click a spot of the entry away from the pointer.
    rect = menu.actionGeometry(action)
    for x in (rect.left() + 12, rect.left() + 48):
        target = QPoint(x, rect.center().y())
        if (menu.mapToGlobal(target) - QCursor.pos()).manhattanLength() > 20:
            break
    QTest.mouseMove(menu, target)
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=target)
    await wait_until(lambda: not menu.isVisible(), 5, "the menu to close")


async def test_the_tray_menu_pauses_resumes_syncs_opens_and_quits(tmp_path: Path) -> None:
    async with opened_host(tmp_path) as host:
        quits: list[bool] = []
        tray, state = make_tray(host, quits)
        shown: list[str] = []
        tray.stateShown.connect(shown.append)
        sync_requests: list[bool] = []
        state.syncNowRequested.connect(lambda: sync_requests.append(True))
        queue = host.workspace.queue
        assert tray.shown_state == "idle"

        await click_menu(tray.menu, tray.action_pause_hour)
        assert state.paused
        assert queue.paused
        assert state.paused_until is not None
        left = state.paused_until - datetime.now(UTC)
        assert timedelta(minutes=59) < left <= timedelta(hours=1)
        assert shown[-1] == "paused"
        until = state.paused_until.astimezone().strftime("%H:%M")
        assert f"Paused until {until}" in tray.icon.toolTip()
        assert tray.action_pause.text() == "Resume sync"
        assert not tray.action_pause_hour.isEnabled()

        await click_menu(tray.menu, tray.action_pause)  # "Resume sync"
        assert not state.paused
        assert not queue.paused
        assert shown[-1] == "idle"
        assert tray.action_pause.text() == "Pause until resumed"

        await click_menu(tray.menu, tray.action_pause)  # until resumed: no end time
        assert state.paused
        assert state.paused_until is None
        assert queue.paused
        assert tray.icon.toolTip().endswith("Paused")

        await click_menu(tray.menu, tray.action_sync_now)  # also ends the pause
        assert sync_requests == [True]
        assert not state.paused
        assert not queue.paused

        host.window.hide()
        await click_menu(tray.menu, tray.action_open)
        assert host.window.isVisible()

        await click_menu(tray.menu, tray.action_quit)
        assert quits == [True]
        assert tray.quitting
        await wait_until(lambda: not host.window.isVisible(), 15, "the window to close")


async def test_closing_hides_to_the_tray_and_quit_really_closes(tmp_path: Path) -> None:
    async with opened_host(tmp_path) as host:
        quits: list[bool] = []
        tray, _state = make_tray(host, quits)
        quit_requested: list[bool] = []
        host.quitRequested.connect(lambda: quit_requested.append(True))

        host.window.close()  # the title bar's close button
        await asyncio.sleep(0.2)
        assert not host.window.isVisible()
        assert quit_requested == [], "closing with a tray must keep the app running"

        tray.open()
        QSettings().setValue(SETTING_CLOSE_TO_TRAY, False)  # Background: keep running off
        host.window.close()
        await wait_until(lambda: bool(quit_requested), 15, "the app to quit")


async def test_without_a_tray_host_closing_quits_and_the_app_says_so(tmp_path: Path) -> None:
    async with opened_host(tmp_path) as host:
        tray = TrayController(
            host, BackgroundState(), host.window.close, available=False, parent=host
        )
        tray.show()
        notices = [notice.text for notice in host.window.notifications.notices()]
        assert any("shows no tray icons" in text for text in notices), notices
        assert tray.keeps_running() is False
        tray.show()  # said once, not at every start
        again = [notice.text for notice in host.window.notifications.notices()]
        assert sum("shows no tray icons" in text for text in again) == 1
        assert not any(n.repeats > 1 for n in host.window.notifications.notices())
        quit_requested: list[bool] = []
        host.quitRequested.connect(lambda: quit_requested.append(True))
        host.window.close()
        await wait_until(lambda: bool(quit_requested), 15, "the app to quit")


async def test_the_icon_follows_the_state_error_syncing_quota(tmp_path: Path) -> None:
    async with opened_host(tmp_path) as host:
        tray, state = make_tray(host, [])
        state.set_error("The bucket refused the key.")
        assert tray.shown_state == "error"
        assert "The bucket refused the key." in tray.icon.toolTip()
        state.set_syncing(0.42)
        assert tray.shown_state == "syncing"
        assert "42 %" in tray.icon.toolTip()
        state.set_idle()
        state.set_quota(83, 100)
        assert tray.shown_state == "quota"
        assert "83 % full" in tray.icon.toolTip()
        state.set_quota(10, 100)
        assert tray.shown_state == "idle"
        # Transfers started by hand show as syncing too, with their share of bytes.
        release = asyncio.Event()

        async def slow(progress: ProgressReporter) -> None:
            progress.set_total(100)
            progress(25)
            await release.wait()

        host.workspace.queue.add(Job("clip", JobKind.UPLOAD, run=slow))
        await wait_until(lambda: "25 %" in tray.icon.toolTip(), 5, "the queue's progress")
        assert tray.shown_state == "syncing"
        release.set()
        await wait_until(lambda: tray.shown_state == "idle", 5, "idle after the transfer")


# --------------------------------------------------------------------------- notifications


async def test_a_batch_of_files_makes_one_notification_and_failures_one_more() -> None:
    shown: list[tuple[str, str, str]] = []
    queue = JobQueue()
    notifier = Notifier(lambda *m: shown.append(m), enabled=lambda: True, coalesce_ms=300)
    notifier.watch_queue(queue)

    async def ok(progress: ProgressReporter) -> None:
        await asyncio.sleep(0.01)

    async def broken(progress: ProgressReporter) -> None:
        raise StorageError("the disk is read-only")

    for n in range(8):
        queue.add(Job(f"clip-{n}", JobKind.UPLOAD, run=ok))
    await wait_until(lambda: bool(shown), 5, "the batch notification")
    await asyncio.sleep(0.5)
    assert len(shown) == 1
    title, body, level = shown[0]
    assert (title, level) == ("Transfers finished", "info")
    assert body == "8 file(s) transferred."

    for n in range(3):
        queue.add(Job(f"bad-{n}", JobKind.UPLOAD, run=broken))
    await wait_until(lambda: len(shown) == 2, 5, "the failure notification")
    await asyncio.sleep(0.5)
    assert len(shown) == 2
    title, body, level = shown[1]
    assert (title, level) == ("3 transfer(s) failed", "error")
    assert body.splitlines()[0].startswith("bad-0: ")
    assert "…and 2 more" in body


async def test_quota_steps_conflicts_and_the_off_switch(tmp_path: Path) -> None:
    shown: list[tuple[str, str, str]] = []
    produced: list[str] = []
    enabled = [True]
    notifier = Notifier(lambda *m: shown.append(m), enabled=lambda: enabled[0], coalesce_ms=200)
    notifier.notified.connect(lambda title, body, level: produced.append(title))
    # A 10,000-byte local quota with 8,500 bytes in it: 85 %.
    store = tmp_path / "store"
    (store / "users" / "u").mkdir(parents=True)
    (store / "users" / "u" / "a.bin").write_bytes(b"x" * 8500)
    async with LocalStorageBackend(store, max_size_gb=10_000 / 1024**3) as local:
        usage = UsageService({"local": local})
        notifier.watch_usage(usage)
        await usage.count("local")
        await wait_until(lambda: bool(shown), 5, "the 80 % notification")
        assert shown[-1][0] == "Storage almost full"
        assert "The local store is 85 % full." in shown[-1][1]
        usage.record("local", "users/u/b.bin", 200)  # 87 %: same step, nothing new
        await asyncio.sleep(0.4)
        assert len(shown) == 1
        usage.record("local", "users/u/c.bin", 1000)  # 97 %: the 95 % step
        await wait_until(lambda: len(shown) == 2, 5, "the 95 % notification")
        assert "97 % full" in shown[-1][1]

    notifier.on_run_finished(RunSummary("Lectures", uploaded=2, conflicts=3))
    notifier.on_run_finished(RunSummary("Lectures", downloaded=1))
    await wait_until(lambda: len(shown) == 3, 5, "the sync notification")
    title, body, level = shown[-1]
    assert (title, level) == ("Conflicts kept both copies", "warning")
    assert "Lectures: 2 file(s) synced" in body
    assert "3 conflict(s)" in body

    enabled[0] = False  # Background → Show desktop notifications off
    QSettings().setValue(SETTING_NOTIFICATIONS, False)
    notifier.on_run_finished(RunSummary("Lectures", error="The bucket does not answer."))
    await wait_until(lambda: len(produced) == 4, 5, "the failure to be produced")
    await asyncio.sleep(0.3)
    assert len(shown) == 3, "a silenced notification must not be shown"


async def test_the_background_button_opens_its_settings(tmp_path: Path) -> None:
    from PySide6.QtWidgets import QToolBar, QToolButton

    from app.main import _add_background_action
    from app.views.background_settings import BackgroundSettingsDialog

    async with opened_host(tmp_path) as host:
        tray, _state = make_tray(host, [])
        _add_background_action(host.window, lambda: tray)
        toolbar = host.window.findChild(QToolBar, "mainToolbar")
        action = host.window.findChild(QAction, "actionBackground")
        button = toolbar.widgetForAction(action)
        assert isinstance(button, QToolButton)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        dialog = host.window.findChild(BackgroundSettingsDialog)
        assert dialog is not None
        assert dialog.isVisible()
        assert dialog.close_to_tray.isChecked()  # the default: keep syncing in the tray
        dialog.reject()
