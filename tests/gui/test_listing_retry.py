"""Issue 12, item 3: a listing the server never answers turns into "Not responding — Retry".

The server is a SeaweedFS sandbox of this module's own, frozen with SIGSTOP (a hung server:
TCP still accepts, nothing answers) and thawed with SIGCONT. The S3 store's stall timeout is one
second (``STORAGE_S3_STALL_TIMEOUT_S``), which also bounds each listing page, so the error row
replaces "Loading…" after about a second. The user opens folders with the keyboard, activates
the error row with a mouse double-click, and clicks the search's Retry button.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.models.storage_tree import NodeKind
from app.views.tree_pane import TreePane
from file_storage import S3StorageBackend, S3Tuning
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import freezable_server
from tests.gui.helpers_window import Harness, OpenWindow, wait_until

BUCKET = "listing-retry"
USER = "users/user_000031"
NOTES = f"{USER}/recordings/retro/notes.txt"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedSandbox]:
    yield from freezable_server(tmp_path_factory.mktemp("retry-seaweedfs"), BUCKET)


@pytest.fixture
async def remote(
    own_server: SeaweedSandbox, request: pytest.FixtureRequest
) -> AsyncIterator[S3StorageBackend]:
    backend = S3StorageBackend(
        BUCKET,
        prefix=request.node.name[:40],
        access_key_id=own_server.access_key,
        secret_access_key=own_server.secret_key,
        endpoint_url=own_server.endpoint_url,
        tuning=S3Tuning(stall_timeout=1.0, max_attempts=2),
    )
    await backend.save(NOTES, b"n")
    await backend.save("docs/a.txt", b"a")
    yield backend
    await backend.aclose()


class Frozen:
    """``with Frozen(server):`` the server answers nothing until the block ends."""

    def __init__(self, server: SeaweedSandbox) -> None:
        assert server.process is not None
        self.pid = server.process.pid

    def __enter__(self) -> Frozen:
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *_exc: object) -> None:
        os.kill(self.pid, signal.SIGCONT)


def first_child(pane: TreePane, folder: str) -> QModelIndex:
    parent = pane.proxy.mapFromSource(pane.model.index_for(folder))
    return pane.proxy.index(0, 0, parent)


def error_row(pane: TreePane, folder: str) -> QModelIndex:
    """The error row of ``folder`` as the view shows it (invalid when there is none)."""
    index = first_child(pane, folder)
    if index.isValid() and pane.model.kind_for(index) is NodeKind.ERROR:
        return index
    return QModelIndex()


async def open_with_keyboard(h: Harness, pane: TreePane, folder: str) -> None:
    await h.select(pane, folder)
    QTest.keyClick(pane.view, Qt.Key.Key_Right)  # opens the current folder


async def test_a_frozen_server_shows_not_responding_then_retry_lists_again(
    open_window: OpenWindow, remote: S3StorageBackend, own_server: SeaweedSandbox
) -> None:
    async with open_window(remote) as h:
        pane = h.remote_pane
        view = pane.view
        await h.settle()
        with Frozen(own_server):
            await open_with_keyboard(h, pane, "users")
            assert pane.model.is_loading("users")
            await wait_until(lambda: error_row(pane, "users").isValid(), 10, "the error row")
            row = error_row(pane, "users")
            assert row.data() == "Not responding — Retry"
            assert not pane.model.is_loading("users")
            assert pane.model.error_for("users")
            assert "did not answer" in str(row.data(Qt.ItemDataRole.ToolTipRole))
        # Thawed: Down onto the error row (it is never selected), then Enter, lists again.
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert view.currentIndex() == row
        assert pane.selected_paths() == ["users"]
        QTest.keyClick(view, Qt.Key.Key_Return)
        await wait_until(lambda: pane.model.index_for(USER).isValid(), 15, "the user's row")
        await h.settle()
        assert not error_row(pane, "users").isValid()
        assert pane.model.error_for("users") is None

        # Frozen again: the error row of docs/, then a mouse double-click on it.
        with Frozen(own_server):
            await open_with_keyboard(h, pane, "docs")
            await wait_until(lambda: error_row(pane, "docs").isValid(), 10, "docs' error row")
        row = error_row(pane, "docs")
        view.scrollTo(row)
        point = view.visualRect(row).center()
        # A double-click as the window system delivers it: a click, then the double-click.
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        await wait_until(lambda: pane.model.index_for("docs/a.txt").isValid(), 15, "docs/a.txt")
        assert not error_row(pane, "docs").isValid()


async def test_a_search_on_a_frozen_server_offers_retry(
    open_window: OpenWindow, remote: S3StorageBackend, own_server: SeaweedSandbox, qtbot: QtBot
) -> None:
    async with open_window(remote) as h:
        pane = h.remote_pane
        await h.settle()
        with Frozen(own_server):
            qtbot.keyClicks(pane.filter_edit, "notes")
            await wait_until(lambda: pane.search_retry.isVisible(), 10, "the search's Retry")
            state = pane.model.search_state()
            assert state is not None
            assert state.not_responding
            assert "did not answer" in pane.search_label.text()
        qtbot.mouseClick(pane.search_retry, Qt.MouseButton.LeftButton)
        await wait_until(
            lambda: pane.proxy.mapFromSource(pane.model.index_for(NOTES)).isValid(),
            15,
            "notes.txt to be found",
        )
        assert not pane.search_retry.isVisible()
