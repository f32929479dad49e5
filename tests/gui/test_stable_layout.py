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
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QWidget

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
