"""Issue 12, item 6: the filter searches the whole store, not only the rows loaded so far.

Real SeaweedFS behind the real window; the user types into the S3 pane's filter box with real key
events. A search lists the store (flat, recursive, page by page); matches come into the tree with
their folders open, and clearing the box puts back what was open and current before.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.views.tree_pane import TreePane
from file_storage import LocalStorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import OpenWindow, wait_until

USER = "users/user_000021"
BOARD = f"{USER}/recordings/board-meeting"


def shown(pane: TreePane, path: str) -> QModelIndex:
    """The row of ``path`` as the view shows it (invalid when absent or filtered out)."""
    index = pane.model.index_for(path)
    return pane.proxy.mapFromSource(index) if index.isValid() else QModelIndex()


def is_open(pane: TreePane, path: str) -> bool:
    index = shown(pane, path)
    return index.isValid() and pane.view.isExpanded(index)


def shown_path(pane: TreePane, index: QModelIndex) -> str | None:
    return pane.model.path_for(index) if index.isValid() else None


def clear_filter(qtbot: QtBot, pane: TreePane) -> None:
    """Select the typed text and delete it, as a user does."""
    pane.filter_edit.setFocus()
    qtbot.keyClick(pane.filter_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(pane.filter_edit, Qt.Key.Key_Backspace)


async def test_typing_board_finds_a_recording_never_loaded_and_clearing_restores_the_view(
    open_window: OpenWindow, make_s3: MakeS3, qtbot: QtBot
) -> None:
    remote = make_s3()
    await remote.save(f"{BOARD}/source.mp4", b"v" * 1000)
    await remote.save(f"{USER}/recordings/standup/notes.txt", b"n")
    await remote.save("users/user_000022/recordings/weekly/notes.txt", b"n")
    await remote.save("docs/readme.txt", b"r")
    async with open_window(remote) as h:
        pane = h.remote_pane
        await h.select(pane, "docs/readme.txt")  # opens docs/ and makes readme current
        await h.settle()
        assert not pane.model.index_for(USER).isValid(), "the user's folder was never listed"
        assert not is_open(pane, "users")

        qtbot.keyClicks(pane.filter_edit, "board")
        await wait_until(lambda: shown(pane, BOARD).isValid(), 15, "board-meeting to be found")
        for folder in ("users", USER, f"{USER}/recordings"):
            await wait_until(lambda f=folder: is_open(pane, f), 5, f"{folder} to be opened")
        state = pane.model.search_state()
        await wait_until(lambda: not state.running, 15, "the search to end")
        assert (state.text, state.matches, state.error) == ("board", 1, None)
        assert pane.search_label.isVisible()
        assert "1" in pane.search_label.text()
        # Only the way to the match shows: not docs/, not the other recording or user.
        assert not shown(pane, "docs").isValid()
        assert not shown(pane, "users/user_000022").isValid()
        assert not shown(pane, f"{USER}/recordings/standup").isValid()

        clear_filter(qtbot, pane)
        await wait_until(lambda: is_open(pane, "docs"), 5, "docs/ to be open again")
        assert shown_path(pane, pane.view.currentIndex()) == "docs/readme.txt"
        assert not is_open(pane, "users"), "a folder the search opened stays open"
        assert not pane.search_label.isVisible()

        # The user's folder held only the found row; opening it now lists it whole.
        await h.reveal(pane, f"{USER}/recordings/standup/notes.txt")
        await h.settle()
        assert shown(pane, BOARD).isValid()


async def test_typing_more_while_a_search_lists_cancels_that_listing(
    open_window: OpenWindow, make_s3: MakeS3, local: LocalStorageBackend, qtbot: QtBot
) -> None:
    """1,100 files are two listing pages of the local store's walk: "a-board" is on the
    first, "zz-board" on the second. A key typed as the first page's match arrives cancels the
    listing there. (Same loader code as on S3, where seeding two pages would cost seconds.)"""
    bulk = local.base_path / "bulk"
    bulk.mkdir(parents=True)
    for name in [f"item-{i:04}.txt" for i in range(1100)] + ["a-board.txt", "zz-board.txt"]:
        (bulk / name).write_bytes(b"")
    async with open_window(make_s3()) as h:
        pane, loader = h.local_pane, h.window.local_loader
        await h.settle()
        first: list[asyncio.Task[None]] = []

        def type_more() -> None:
            state = pane.model.search_state()
            if state is not None and state.text == "board":
                if not first:
                    task = loader.searching()
                    assert task is not None
                    first.append(task)
                if state.matches and pane.filter_edit.text() == "board":
                    QTest.keyClicks(pane.filter_edit, "x")  # the user keeps typing

        pane.model.searchChanged.connect(type_more)
        qtbot.keyClicks(pane.filter_edit, "board")
        await wait_until(lambda: bool(first) and first[0].done(), 15, "the first search to end")
        assert first[0].cancelled(), "the listing for 'board' ran on after the text changed"
        assert pane.model.index_for("bulk/a-board.txt").isValid()
        assert not pane.model.index_for("bulk/zz-board.txt").isValid(), "page 2 was listed"

        pane.model.searchChanged.disconnect(type_more)
        await wait_until(
            lambda: (state := pane.model.search_state()) is not None and not state.running,
            15,
            "the search for 'boardx' to end",
        )
        state = pane.model.search_state()
        assert state is not None
        assert (state.text, state.matches) == ("boardx", 0)
        assert pane.proxy.rowCount() == 0
