"""Issue 12, item 1: a context menu acts on the rows of the pane it was opened in.

Real SeaweedFS, real disk, real ffmpeg; the menu is opened with a real right click or the Menu
key on the tree, and its entries are clicked with the mouse. The other pane always holds a
different selection, so acting on the wrong pane shows.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from app.services.transfers import JobKind, JobState
from app.views.tree_pane import TreePane
from file_storage import LocalStorageBackend, S3StorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, OpenWindow, wait_until
from tests.media.conftest import make_clip

USER = "users/user_000007"
LOCAL_REC = f"{USER}/recordings/local-talk"
S3_REC = f"{USER}/recordings/bucket-talk"
LOCAL_FILES = [f"{LOCAL_REC}/notes-{n}.txt" for n in range(4)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("pointing") / "av.mp4")


# --------------------------------------------------------------------------- user gestures


async def row_point(h: Harness, pane: TreePane, path: str) -> QPoint:
    """Where the row of ``path`` is drawn in the tree's viewport (revealed first)."""
    index = await h.reveal(pane, path)
    pane.view.scrollTo(index)
    rect = pane.view.visualRect(index)
    assert rect.isValid(), f"{path!r} is not drawn"
    return rect.center()


async def click_row(h: Harness, pane: TreePane, path: str, *, ctrl: bool = False) -> None:
    point = await row_point(h, pane, path)
    modifier = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    QTest.mouseClick(pane.view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


class MenuChoice:
    """Clicks the entries ``names`` (object names; a submenu first, then its entry) of the
    context menu that opens next, from Qt timers (so it works whether or not the menu runs its
    own event loop)."""

    def __init__(self, *names: str, timeout: float = 10.0) -> None:
        self.names = list(names)
        self.deadline = time.monotonic() + timeout
        self.seen: list[list[str]] = []
        self.error = ""
        self.done = False
        self._last_menu: QMenu | None = None
        QTimer.singleShot(0, self._poll)

    def _poll(self) -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu) or menu is self._last_menu:
            if time.monotonic() > self.deadline:
                self.error, self.done = f"no menu offered {self.names}", True
                if isinstance(menu, QMenu):
                    menu.close()
            else:
                QTimer.singleShot(10, self._poll)
            return
        self._last_menu = menu
        self.seen.append([a.objectName() or a.text() for a in menu.actions()])
        name = self.names.pop(0)
        matching = [
            a
            for a in menu.actions()
            if a.objectName() == name or (a.menu() and a.menu().objectName() == name)
        ]
        if len(matching) != 1:
            self.error, self.done = f"{name!r} not in {self.seen[-1]}", True
            menu.close()
            return
        where = menu.actionGeometry(matching[0]).center()
        QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=where)
        if self.names:
            QTimer.singleShot(10, self._poll)
        else:
            self.done = True

    async def wait(self) -> None:
        await wait_until(lambda: self.done, 15, "the menu choice")
        assert not self.error, self.error


async def context_menu(h: Harness, pane: TreePane, path: str, how: str, *names: str) -> None:
    """Open ``path``'s context menu (right click on the row, or the Menu key on that current
    row) and click the entries ``names``."""
    choice = MenuChoice(*names)
    view = pane.view
    if how == "mouse":
        # What the window system delivers for a right click: the press (the view selects the
        # row under it), then the context-menu event at that point.
        point = await row_point(h, pane, path)
        QTest.mousePress(view.viewport(), Qt.MouseButton.RightButton, pos=point)
        event = QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, point, view.viewport().mapToGlobal(point)
        )
        QApplication.sendEvent(view.viewport(), event)
        QTest.mouseRelease(view.viewport(), Qt.MouseButton.RightButton, pos=point)
    else:
        # The Menu key: the key press nobody takes, then the keyboard context-menu event at the
        # current row, sent to the focused tree (as QWidgetWindow does).
        await click_row(h, pane, path)
        QTest.keyClick(view, Qt.Key.Key_Menu)
        point = view.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle).center()
        event = QContextMenuEvent(
            QContextMenuEvent.Reason.Keyboard, point, view.viewport().mapToGlobal(point)
        )
        QApplication.sendEvent(QApplication.focusWidget() or view, event)
    await choice.wait()


async def confirmation(answer: str) -> str:
    """Wait for the delete question, answer it with the mouse; return its whole text."""
    box: list[QMessageBox] = []

    def shown() -> bool:
        for widget in QApplication.topLevelWidgets():
            named = isinstance(widget, QMessageBox) and widget.objectName() == "confirmDelete"
            if named and widget.isVisible():
                box[:] = [widget]
                return True
        return False

    await wait_until(shown, 10, "the delete confirmation")
    text = f"{box[0].text()}\n{box[0].informativeText()}"
    [button] = [b for b in box[0].buttons() if b.text().replace("&", "") == answer]
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    return text


# --------------------------------------------------------------------------- tests


async def seed(local: LocalStorageBackend, remote: S3StorageBackend) -> None:
    for path in LOCAL_FILES:
        await local.save(path, b"local notes")
    await remote.save(f"{S3_REC}/slides.pdf", b"bucket slides" * 100)


async def select_local_files(h: Harness) -> None:
    """The local pane holds a four-file selection, as in the report."""
    await click_row(h, h.local_pane, LOCAL_FILES[0])
    for path in LOCAL_FILES[1:]:
        await click_row(h, h.local_pane, path, ctrl=True)
    assert h.local_pane.selected_paths() == LOCAL_FILES


@pytest.mark.parametrize("how", ["mouse", "key"])
async def test_delete_from_the_s3_menu_names_the_bucket_and_its_file(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, how: str
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as h:
        await select_local_files(h)
        await context_menu(h, h.remote_pane, f"{S3_REC}/slides.pdf", how, "actionDelete")
        text = await confirmation("Cancel")
        assert "from the S3 bucket" in text, text
        assert f"{S3_REC}/slides.pdf" in text, text
        assert "Delete 1 file" in text, text
        assert not any(path in text for path in LOCAL_FILES), text
        # The right click selected the row it was on; the local selection is untouched.
        assert h.remote_pane.selected_paths() == [f"{S3_REC}/slides.pdf"]
        assert h.local_pane.selected_paths() == LOCAL_FILES
        await h.settle()
        assert h.added == [], "Cancel deleted something"
    assert await remote.exists(f"{S3_REC}/slides.pdf")


@pytest.mark.parametrize("how", ["mouse", "key"])
async def test_delete_from_the_local_menu_names_the_local_store(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, how: str
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as h:
        await click_row(h, h.remote_pane, f"{S3_REC}/slides.pdf")
        await context_menu(h, h.local_pane, LOCAL_FILES[2], how, "actionDelete")
        text = await confirmation("Delete")
        assert "from the local store" in text, text
        assert LOCAL_FILES[2] in text, text
        assert f"{S3_REC}/slides.pdf" not in text, text
        [job_id] = await h.wait_jobs(1)
        assert h.finished[job_id]
    assert not (local.base_path / LOCAL_FILES[2]).exists()
    assert (local.base_path / LOCAL_FILES[1]).exists()
    assert await remote.exists(f"{S3_REC}/slides.pdf")


@pytest.mark.parametrize("how", ["mouse", "key"])
async def test_media_from_the_s3_menu_runs_on_the_bucket_recording(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, clip: Path, how: str
) -> None:
    remote = make_s3()
    await local.upload_file(f"{LOCAL_REC}/source.mp4", clip)
    await remote.upload_file(f"{S3_REC}/source.mp4", clip)
    async with open_window(remote) as h:
        await click_row(h, h.local_pane, LOCAL_REC)
        await context_menu(h, h.remote_pane, S3_REC, how, "mediaMenu", "actionExtractAudio")
        [job_id] = await h.wait_jobs(1, timeout=60)
        job = h.queue.job(job_id)
        assert job.kind is JobKind.MEDIA
        assert job.source == f"{S3_REC}/source.mp4"
        assert job.state is JobState.DONE, job.error
        # The queue row names the bucket recording's file.
        model = h.window.transfer_panel.model
        row = model.row_of(job_id)
        assert row is not None
        shown = " ".join(str(model.index(row, c).data() or "") for c in range(model.columnCount()))
        assert "local-talk" not in shown, shown
    assert await remote.exists(f"{S3_REC}/audio.m4a")
    assert not (local.base_path / LOCAL_REC / "audio.m4a").exists()


async def test_download_and_upload_from_each_panes_menu(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as h:
        await select_local_files(h)
        await context_menu(h, h.remote_pane, f"{S3_REC}/slides.pdf", "mouse", "actionDownload")
        [download] = await h.wait_jobs(1)
        assert h.finished[download]
        assert (local.base_path / S3_REC / "slides.pdf").read_bytes() == b"bucket slides" * 100
        # A right click on a row inside the selection keeps the selection (as file managers do).
        await context_menu(h, h.local_pane, LOCAL_FILES[3], "mouse", "actionUpload")
        await h.wait_jobs(5)
        assert h.local_pane.selected_paths() == LOCAL_FILES
    for path in LOCAL_FILES:
        assert await remote.exists(path)
    assert not await remote.exists(f"{S3_REC}/slides.pdf".replace("slides", "other"))
