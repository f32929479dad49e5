"""The Sync pairs dialog and the workspace hook: pairs edited in the app start syncing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from app.views.log_panel import QtLogHandler
from app.views.sync_pairs_dialog import SyncPairsDialog
from app.workspace import build_workspace, compose_window, start_workspace
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from file_storage.sync.pairs import PairMode, PairStore
from tests.background.conftest import Setup, wait_for, wait_until
from tests.conftest import TEST_BUCKET

pytestmark = pytest.mark.s3

FOLDER = "users/user_000012/recordings"


def ok_button(dialog: object) -> object:
    box = dialog.findChild(QDialogButtonBox)  # type: ignore[attr-defined]
    return box.button(QDialogButtonBox.StandardButton.Ok)


async def test_a_pair_added_in_the_dialog_is_saved_and_syncs(qtbot: QtBot, setup: Setup) -> None:
    service = setup.start()
    dialog = SyncPairsDialog(service, 300)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_button.click()
    editor = dialog._editor
    assert editor is not None
    editor.folder.setText(f"/{FOLDER}/")
    editor.mode.setCurrentIndex(list(PairMode).index(PairMode.UPLOAD))
    editor.interval.setValue(60)
    ok_button(editor).click()  # type: ignore[attr-defined]
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == FOLDER
    ok_button(dialog).click()  # type: ignore[attr-defined]
    assert not dialog.isVisible()

    saved = PairStore(setup.pairs.path).load().pairs(service.store)
    assert [(p.folder, p.mode, p.interval_s) for p in saved] == [(FOLDER, PairMode.UPLOAD, 60)]
    await wait_until(lambda: len(service.runners) == 1, 5, "the pair's runner")
    runner = next(iter(service.runners.values()))
    await wait_until(lambda: runner.runs > 0, 10, "the start run")
    path = f"{FOLDER}/rec-9/notes.txt"
    (setup.local.base_path / path).parent.mkdir(parents=True)
    (setup.local.base_path / path).write_bytes(b"agenda")
    await wait_for(lambda: setup.remote.exists(path), 10, "the upload of a new file")


async def test_overlapping_pairs_are_refused_with_the_reason(qtbot: QtBot, setup: Setup) -> None:
    service = setup.start()
    dialog = SyncPairsDialog(service, 300)
    qtbot.addWidget(dialog)
    dialog.show()
    for folder in (FOLDER, "users"):
        dialog.add_button.click()
        assert dialog._editor is not None
        dialog._editor.folder.setText(folder)
        ok_button(dialog._editor).click()  # type: ignore[attr-defined]
    ok_button(dialog).click()  # type: ignore[attr-defined]
    error = dialog.findChild(QLabel, "pairsError")
    assert dialog.isVisible()
    assert "overlap" in error.text()
    assert service.pairs() == []
    dialog.remove_button.click()  # the selected (last added) one
    ok_button(dialog).click()  # type: ignore[attr-defined]
    assert [p.folder for p in service.pairs()] == [FOLDER]
    await wait_until(lambda: len(service.runners) == 1, 5, "the runner of the one pair left")


async def test_the_workspace_builds_starts_and_stops_background_sync(
    qtbot: QtBot, tmp_path: Path, s3_server: SeaweedSandbox
) -> None:
    settings = StorageSettings(
        local_path=tmp_path / "store",
        s3_bucket=TEST_BUCKET,
        s3_prefix="bg-workspace",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
        sync_index_path=tmp_path / "data" / "sync-index.sqlite3",
        sync_settle_s=0.5,
    )
    workspace = build_workspace(settings, "Test", cache_dir=tmp_path / "cache")
    try:
        background = workspace.background
        assert background is not None
        assert background.pair_store.path == tmp_path / "data" / "sync-pairs.json"
        assert background.settle_s == 0.5
        window = compose_window(workspace, QtLogHandler())
        assert window.findChild(QAction, "actionSyncPairs") is not None
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        window.show()
        start_workspace(workspace, window)
        assert background.started
        window.close()  # as the user does: the window's work is cancelled, then the workspace
        await asyncio.wait_for(closed.wait(), 15)
        window.deleteLater()
    finally:
        await workspace.aclose()
    assert not workspace.background.started
