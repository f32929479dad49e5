"""Issue 12, item 4: notices stack, the most severe stays visible, nothing moves under the mouse.

The window is the real one against the demo's SeaweedFS; the notices come from what a user does
(a drop refused by the quota, a drop past 80 % of it, Share link with nothing selected), and the
banner is read and driven with the mouse (the count button, the list, the close button).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from app.views import notification_bar
from app.views.notification_bar import NotificationBar
from file_storage import LocalStorageBackend, S3StorageBackend
from tests.conftest import MakeS3, MiB, write_random
from tests.gui.helpers_window import USER, Harness, opened_window, wait_until

OpenWindow = Callable[[S3StorageBackend], contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def open_window(qtbot: QtBot, local: LocalStorageBackend) -> OpenWindow:
    return lambda remote: opened_window(qtbot.addWidget, local, remote)


def geometry_in_window(widget: QWidget) -> QRect:
    """Where ``widget`` is inside its window (what the mouse points at)."""
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def trees_geometry(h: Harness) -> list[QRect]:
    return [geometry_in_window(pane.view) for pane in (h.local_pane, h.remote_pane)]


def banner_parts(window: QWidget) -> tuple[QWidget, QLabel, QToolButton, QToolButton]:
    bar = window.findChild(QWidget, "notificationBar")
    label = bar.findChild(QLabel, "notificationText")
    more = bar.findChild(QToolButton, "notificationMore")
    close = bar.findChild(QToolButton, "notificationClose")
    return bar, label, more, close


def shown_text(label: QLabel) -> str:
    """The banner's whole sentence: its text, or its tooltip when the text was cut."""
    return label.toolTip() or label.text()


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def list_entries(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


async def test_notices_stack_most_severe_shows_and_the_trees_do_not_move(
    open_window: OpenWindow, make_s3: MakeS3, tmp_path: Path
) -> None:
    remote = make_s3(max_size_gb=1 / 1024)  # 1 MiB
    await remote.create_folder(USER)
    big = write_random(tmp_path / "desktop" / "big.mp4", 2 * MiB, seed=21)
    clip = write_random(tmp_path / "desktop" / "clip.mp4", 900_000, seed=22)  # 86 %
    async with open_window(remote) as h:
        window = h.window
        bar, label, more, close = banner_parts(window)
        await wait_until(lambda: h.usage.sides["s3"].counted, what="usage to be counted")
        await h.reveal(h.remote_pane, USER)
        await h.settle()
        assert not bar.isVisible()
        trees_before = trees_geometry(h)

        # 1. An error: the drop would overflow the quota.
        assert h.drop_files(h.remote_pane, USER, [big])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        assert bar.isVisible()
        assert h.banner()[1] == "error"
        error_text = shown_text(label)
        assert error_text.startswith("Not started"), error_text
        # The notice appeared without moving the trees under the mouse.
        assert trees_geometry(h) == trees_before

        # 2. A warning: the next drop takes the store past 80 %. The error stays on show.
        assert h.drop_files(h.remote_pane, USER, [clip])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        [job_id] = await h.wait_jobs(1)
        assert h.finished[job_id]
        assert h.banner()[1] == "error"
        assert shown_text(label) == error_text
        assert more.isVisible()
        assert more.text() == "+1 more"

        # 3. An info: Share link with nothing selected in the S3 pane (Ctrl+L).
        h.local_pane.view.setFocus()
        before = len(h.action_tasks)
        QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert len(h.action_tasks) == before + 1
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        assert h.banner()[1] == "error"
        assert more.text() == "+2 more"

        # Every notice is reachable: the count opens the list, most severe first.
        click(more)
        menu = window.findChild(QMenu, "notificationList")
        await wait_until(menu.isVisible, 5, "the notice list to open")
        entries = list_entries(menu)
        assert entries[0] == error_text
        assert "86% full" in entries[1], entries
        assert entries[2] == "Select a file in the S3 pane to share.", entries
        assert entries[3] == "Dismiss all"
        warning_action = menu.actions()[1]
        QTest.mouseClick(
            menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(warning_action).center()
        )
        await wait_until(lambda: not menu.isVisible(), 5, "the list to close")
        assert h.banner()[1] == "warning"
        assert "86% full" in shown_text(label)

        # Dismissing the shown one brings the next most severe: the error, then the info.
        click(close)
        assert h.banner()[1] == "error"
        assert shown_text(label) == error_text
        click(close)
        assert h.banner() == (True, "info", "Select a file in the S3 pane to share.")
        assert not more.isVisible()
        click(close)
        assert not bar.isVisible()
        assert trees_geometry(h) == trees_before


async def test_info_notices_expire_errors_stay(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notification_bar, "INFO_TIMEOUT_MS", 300)
    monkeypatch.setattr(notification_bar, "HIDDEN_INFO_TIMEOUT_MS", 600)
    host = QWidget()
    qtbot.addWidget(host)
    bar = NotificationBar(host)
    host.resize(700, 60)
    host.show()
    bar.resize(700, bar.height())
    bar.show_message("info", "Link copied")
    assert bar.level == "info"
    await wait_until(lambda: not bar.banner.isVisible(), 5, "the info notice to expire")
    assert bar.notices() == []

    bar.show_message("error", "Preview failed")
    bar.show_message("info", "Created users/user_000001/recordings/rec-2.")
    assert bar.level == "error"
    assert [n.text for n in bar.notices()] == [
        "Preview failed",
        "Created users/user_000001/recordings/rec-2.",
    ]
    # The hidden info waits in the list, then expires; the error stays until dismissed.
    await wait_until(lambda: len(bar.notices()) == 1, 5, "the hidden info to expire")
    await asyncio.sleep(0.4)
    assert bar.level == "error"
    assert bar.banner.isVisible()
    assert bar.label.text() == "Preview failed"

    # The same sentence again is one entry, counted.
    bar.show_message("error", "Preview failed")
    assert len(bar.notices()) == 1
    assert bar.label.text() == "Preview failed (×2)"


def test_a_long_notice_keeps_the_height_and_shows_everything_in_its_tooltip(
    qtbot: QtBot, qapp: QApplication
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    bar = NotificationBar(host)
    host.resize(500, 80)
    bar.resize(500, bar.height())
    host.show()
    height = bar.height()
    sentence = "Cannot reach http://127.0.0.1:1 for put_object: " + "connection refused " * 20
    bar.show_message("error", sentence)
    assert bar.height() == height
    assert bar.label.text().endswith("…")
    assert bar.label.toolTip() == sentence
