"""Issue 12, item 7: the window keeps its size whatever is selected, the thumbnail never covers
the facts below it, and cut texts carry their full text as a tooltip (English and Russian).

Rows are selected with mouse clicks; the preview fills from the real store (real ffmpeg probe,
a real JPEG thumbnail).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QSplitter, QWidget
from pytestqt.qtbot import QtBot

from app.views.elided_label import ElidedLabel
from file_storage import LocalStorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import OpenWindow, wait_until
from tests.gui.test_pointing import click_row
from tests.gui.test_translations import installed
from tests.media.conftest import make_clip

USER = "users/user_000021"
RECS = f"{USER}/recordings"
LONG = "a-recording-whose-name-is-far-too-long-for-any-column-of-this-window-to-hold-whole"


@pytest.fixture(params=["en", "ru"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    if request.param == "en":
        yield "en"
        return
    with installed("ru", qapp):
        yield "ru"


async def seed(local: LocalStorageBackend, tmp_path: Path) -> list[str]:
    """Recordings with a tall and a wide thumbnail, a long name, plain files and folders."""
    clip = make_clip(tmp_path / "clip.mp4", seconds=2, size="1280x720")
    paths = []
    for name, size in (("wide", QSize(1920, 1080)), ("tall", QSize(600, 1400)), (LONG, None)):
        rec = f"{RECS}/{name}"
        await local.upload_file(f"{rec}/source.mp4", clip)
        if size is not None:
            image = QImage(size, QImage.Format.Format_RGB32)
            image.fill(QColor("#3a7bd5"))
            jpeg = tmp_path / f"{name}.jpg"
            image.save(str(jpeg), "JPEG")
            await local.upload_file(f"{rec}/thumbnail.jpg", jpeg)
        paths.append(rec)
    await local.save(f"{RECS}/wide/notes-with-a-long-name-{'x' * 80}.txt", b"n")
    paths += [f"{RECS}/wide/thumbnail.jpg", f"{RECS}/wide/source.mp4", USER, RECS]
    paths.append(f"{RECS}/wide/notes-with-a-long-name-{'x' * 80}.txt")
    return paths


def in_pane(widget: QWidget, pane: QWidget) -> QRect:
    return QRect(widget.mapTo(pane, widget.rect().topLeft()), widget.size())


async def test_selections_never_change_the_window_size_or_cover_the_duration(
    open_window: OpenWindow,
    local: LocalStorageBackend,
    make_s3: MakeS3,
    tmp_path: Path,
    language: str,
) -> None:
    paths = await seed(local, tmp_path)
    async with open_window(make_s3()) as h:
        window = h.window
        window.resize(1280, 860)
        await wait_until(lambda: window.size() == QSize(1280, 860), 5, "the window size")
        preview = window.preview_pane
        assert preview is not None
        image = preview.findChild(QLabel, "previewImage")
        duration = preview.findChild(QLabel, "previewDuration")
        for path in paths:
            await click_row(h, h.local_pane, path)
            if path.count("/") == 3:  # a recording: wait for its picture and its probe
                await wait_until(lambda: duration.text() not in ("—", ""), 20, f"{path}'s duration")
                if not path.endswith(LONG):
                    await wait_until(preview.has_image, 20, f"{path}'s thumbnail")
            await asyncio.sleep(0.05)  # let layouts settle (never processEvents on qasync)
            assert window.size() == QSize(1280, 860), (path, window.size())
            picture = in_pane(image, preview)
            fact = in_pane(duration, preview)
            assert not picture.intersects(fact), (path, picture, fact)
            pixmap = image.pixmap()
            if not pixmap.isNull():
                assert pixmap.height() <= image.contentsRect().height(), path
                assert pixmap.width() <= image.contentsRect().width(), path


async def test_cut_names_carry_a_tooltip_with_the_whole_name(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, tmp_path: Path
) -> None:
    paths = await seed(local, tmp_path)
    async with open_window(make_s3()) as h:
        h.window.resize(1280, 860)
        preview = h.window.preview_pane
        assert preview is not None
        rec = paths[2]  # the long name
        await click_row(h, h.local_pane, rec)
        title = preview.findChild(ElidedLabel, "paneTitle")
        subtitle = preview.findChild(ElidedLabel, "previewPath")
        await wait_until(lambda: title.text() == LONG, 10, "the preview title")
        assert title.is_elided()
        assert title.toolTip() == LONG
        assert subtitle.toolTip() == rec
        # The tree's row: the name column is narrower than the name; the tooltip names it all.
        index = h.local_pane.model.index_for(rec)
        assert LONG in str(index.data(Qt.ItemDataRole.ToolTipRole))


# --------------------------------------------------------------------------- the room it shares


@pytest.mark.parametrize(
    ("language", "size"),
    [("en", QSize(1280, 860)), ("ru", QSize(1200, 720))],
    indirect=["language"],
)
async def test_the_preview_shows_every_fact_and_the_status_bar_its_traffic_whole(
    open_window: OpenWindow,
    local: LocalStorageBackend,
    make_s3: MakeS3,
    tmp_path: Path,
    language: str,
    size: QSize,
) -> None:
    """The side column gives the preview the height of all its lines (the Audio line was cut
    under the scrollbar), the Transfers/Log tabs take a share of the window's height (fixed
    sizes ignored it) and the status bar's traffic numbers are never cut."""
    paths = await seed(local, tmp_path)
    remote = make_s3()
    await remote.save(f"{RECS}/there/source.mp4", (tmp_path / "clip.mp4").read_bytes())
    async with open_window(remote) as h:
        window = h.window
        window.resize(size)
        await wait_until(lambda: window.size() == size, 5, "the window size")
        preview = window.preview_pane
        assert preview is not None
        duration = preview.findChild(QLabel, "previewDuration")
        await click_row(h, h.local_pane, paths[0])  # the recording with a wide thumbnail
        await wait_until(lambda: duration.text() not in ("—", ""), 20, "the duration")
        await wait_until(preview.has_image, 20, "the thumbnail")
        await asyncio.sleep(0.05)
        assert preview.facts_visible(), (size, preview.height(), preview.needed_height())
        bottom = window.bottom_tabs.height()
        assert 0.15 * size.height() <= bottom <= 0.3 * size.height(), (size, bottom)
        # The bucket was listed: the status bar counts requests and bytes, uncut.
        traffic = window.traffic_status
        await wait_until(lambda: bool(traffic.text()), 5, "the traffic numbers")
        await asyncio.sleep(1.2)  # one more update of the numbers (once a second)
        assert not traffic.is_elided(), traffic.text()
        assert traffic.isVisible()


async def test_splitters_follow_the_window_until_the_user_drags_one(
    open_window: OpenWindow, make_s3: MakeS3
) -> None:
    async with open_window(make_s3()) as h:
        window = h.window
        window.resize(1280, 900)
        await wait_until(lambda: window.bottom_tabs.height() > 0, 5, "the layout")
        await asyncio.sleep(0.05)
        tall = window.bottom_tabs.height()
        window.resize(1280, 640)
        await wait_until(lambda: window.height() == 640, 5, "the smaller window")
        await asyncio.sleep(0.05)
        short = window.bottom_tabs.height()
        assert short < tall, (tall, short)
        # Dragging the handle between the trees and the tabs is the user's choice: kept.
        splitter = window.findChild(QSplitter, "mainSplitter")
        handle = splitter.handle(1)
        start = handle.rect().center()
        QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(handle, start - QPoint(0, 60))
        QTest.mouseRelease(
            handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start - QPoint(0, 60)
        )
        await asyncio.sleep(0.05)
        dragged = window.bottom_tabs.height()
        assert dragged > short + 30, (short, dragged)
        window.resize(1280, 700)
        await wait_until(lambda: window.height() == 700, 5, "the resized window")
        await asyncio.sleep(0.05)
        assert window.bottom_tabs.height() == dragged


async def test_closing_the_window_while_a_preview_loads_leaves_no_preview_behind(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, tmp_path: Path
) -> None:
    """A preview that starts or runs when the window closes would write into deleted labels
    ("Internal C++ object already deleted"): it is cancelled as the close starts, and a row
    clicked just before the close starts no preview afterwards."""
    paths = await seed(local, tmp_path)
    async with open_window(make_s3()) as h:
        controller = h.window.media_controller
        assert controller is not None
        await click_row(h, h.local_pane, paths[0])
        await wait_until(lambda: controller._preview_task is not None, 5, "the preview to start")
        loading = controller._preview_task
        assert loading is not None
        await click_row(h, h.local_pane, paths[1])  # its preview waits for the quiet time
        started = len(h.action_tasks)
        h.window.close()
        await wait_until(lambda: h.closed, 10, "the window to close")
        await asyncio.sleep(0.5)  # past the preview's quiet time (250 ms)
        assert loading.done()
        late = h.action_tasks[started:]
        assert all(task.cancelled() for task in late), late
        assert all(task.done() for task in h.action_tasks)
        assert controller._preview_task is None


async def test_the_composed_window_hosts_the_health_widget_itself(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The composition root hands the connection indicator to the window, which puts it in its
    status bar; the old one-shot "Connected" label is gone (not merely hidden)."""
    from app.services.health import HealthService
    from app.views.connection_status import ConnectionStatus
    from app.views.log_panel import QtLogHandler
    from app.workspace import build_workspace, compose_window
    from file_storage.settings import StorageSettings

    settings = StorageSettings(
        storage_type="LOCAL", local_path=tmp_path / "store", s3_bucket="", _env_file=None
    )
    health = HealthService(None)
    workspace = build_workspace(settings, "Tests", cache_dir=tmp_path / "cache", health=health)
    window = compose_window(workspace, QtLogHandler())
    qtbot.addWidget(window)
    try:
        status = window.connection_status
        assert isinstance(status, ConnectionStatus)
        assert window.statusBar().isAncestorOf(status)
        assert window.findChild(QLabel, "connectionStatus") is None
        assert len(window.statusBar().findChildren(ConnectionStatus)) == 1
        await health.probe()
        assert status.text() == "No bucket"
    finally:
        await workspace.aclose()
