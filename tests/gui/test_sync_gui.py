"""Compare, sync, conflicts and migration in the app, on a real local store and SeaweedFS."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.models.storage_tree import FOLDER_CONFLICT, FOLDER_DIFFERS, SYNC_ROLE
from app.services.sync import SyncService
from app.services.transfers import JobKind, JobQueue, JobState
from app.views.sync_actions import SyncController, tree_states
from app.views.sync_dialogs import ConflictDialog, MigrationDialog, PlanDialog
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.sync import FileState, SyncMode
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, opened_window, seed_every_state, wait_until

USER = "users/user_000009"
REC = f"{USER}/recordings/rec-1"
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


def controller(harness: Harness) -> SyncController:
    assert harness.window.sync_controller is not None
    return harness.window.sync_controller


async def read(backend: LocalStorageBackend | S3StorageBackend, path: str) -> bytes:
    return await backend.load(path)


async def seed(local: LocalStorageBackend, remote: S3StorageBackend) -> None:
    await seed_every_state(local, remote, REC)


async def test_compare_shows_badges_in_both_trees(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        await harness.select(harness.local_pane, USER)
        result = await controller(harness).compare_selected()
        assert result is not None
        assert result.counts()[FileState.IDENTICAL] == 1
        await harness.reveal(harness.local_pane, f"{REC}/here.txt")
        await harness.reveal(harness.remote_pane, f"{REC}/there.txt")
        local_model, remote_model = harness.window.local_model, harness.window.remote_model

        def status(model: object, path: str) -> str:
            return model.index_for(path, 3).data()  # type: ignore[attr-defined]

        assert status(local_model, f"{REC}/identical.txt") == "Identical"
        assert status(local_model, f"{REC}/changed.txt") == "Differs"
        assert status(local_model, f"{REC}/here.txt") == "Local only"
        assert status(remote_model, f"{REC}/there.txt") == "S3 only"
        assert status(local_model, REC) == "Differs"
        assert local_model.index_for(REC).data(SYNC_ROLE) == FOLDER_DIFFERS
        badge = local_model.index_for(f"{REC}/identical.txt", 3).data(
            Qt.ItemDataRole.DecorationRole
        )
        assert badge is not None
        assert not badge.isNull()
        notice = harness.window.notifications.label.text()
        assert f"Compared {USER}" in notice
        assert "1 identical" in notice
        assert "1 differ" in notice


def test_folder_states_take_the_worst_below_them() -> None:
    from file_storage.sync import CompareResult, Entry

    result = CompareResult(
        prefix="users",
        pair="p",
        entries=[
            Entry("users/a/rec/x", FileState.IDENTICAL),
            Entry("users/a/rec/y", FileState.CONFLICT),
            Entry("users/b/z", FileState.IDENTICAL),
        ],
    )
    states = tree_states(result)
    assert states["users/a/rec"] == FOLDER_CONFLICT
    assert states["users/a"] == FOLDER_CONFLICT
    assert states["users"] == FOLDER_CONFLICT
    assert states["users/b"] == "folder-identical"
    assert "" not in states


async def test_sync_shows_the_plan_and_runs_it_through_the_queue(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        await harness.select(harness.local_pane, USER)
        sync = controller(harness)
        task = harness.window.run_task(sync.sync_selected(SyncMode.UPLOAD))
        await wait_until(lambda: getattr(sync, "plan_dialog", None) is not None, 30, "the plan")
        dialog: PlanDialog = sync.plan_dialog
        assert dialog.isVisible()
        # Upload: here.txt goes up; changed.txt has no history, so upload replaces it in S3.
        assert "upload" in dialog.summary.text().lower()
        rows = {
            dialog.table.topLevelItem(i).text(1) for i in range(dialog.table.topLevelItemCount())
        }
        assert f"{REC}/here.txt" in rows
        # Mirror from S3 onto an empty local side is refused by the engine's safety rules
        # only when the *source* is empty; here S3 has files, so try a stricter delete limit.
        dialog.mode_box.setCurrentIndex(list(SyncMode).index(SyncMode.MIRROR_DOWN))
        dialog.max_delete.setValue(0)
        assert dialog.plan.blocked
        assert not dialog.run_button.isEnabled()
        assert dialog.blocked.text().startswith("Will not run")
        dialog.max_delete.setValue(50)
        dialog.mode_box.setCurrentIndex(list(SyncMode).index(SyncMode.TWO_WAY))
        assert dialog.run_button.isEnabled()
        dialog.run_button.click()
        await wait_until(task.done, 60, "the sync to finish")
        assert task.exception() is None
        jobs = harness.queue.jobs()
        assert jobs, "every step runs as a queue job"
        assert all(job.state is JobState.DONE for job in jobs), [j.error for j in jobs]
        assert {job.kind for job in jobs} >= {JobKind.UPLOAD, JobKind.DOWNLOAD}
        assert await read(remote, f"{REC}/here.txt") == b"only here"
        assert await read(local, f"{REC}/there.txt") == b"only there"
        # The comparison after the run: everything agrees (the two changed.txt kept both).
        last = sync.service.last
        assert last is not None
        assert set(last.counts()) == {FileState.IDENTICAL}


async def test_conflict_cards_keep_one_side_or_both(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await local.save(f"{REC}/a.txt", b"v1")
    await local.save(f"{REC}/b.txt", b"v1")
    async with open_window(remote) as harness:
        sync = controller(harness)
        await harness.select(harness.local_pane, USER)
        # A first sync gives both files a history on both sides...
        comparison = await sync.compare_selected()
        assert comparison is not None
        await sync.run_plan(sync.service.plan(comparison, SyncMode.UPLOAD, 50))
        # ...then both sides change both files: conflicts.
        for path in (f"{REC}/a.txt", f"{REC}/b.txt"):
            await local.save(path, b"edited here")
            await remote.save(path, b"edited in the bucket")
        task = harness.window.run_task(sync.resolve_conflicts())
        await wait_until(lambda: getattr(sync, "conflict_dialog", None) is not None, 30, "cards")
        dialog: ConflictDialog = sync.conflict_dialog
        cards = {card.entry.path: card for card in dialog.cards}
        assert set(cards) == {f"{REC}/a.txt", f"{REC}/b.txt"}
        assert all(card.entry.state is FileState.CONFLICT for card in cards.values())
        assert "11 B" in cards[f"{REC}/a.txt"].local_text.text()
        assert "20 B" in cards[f"{REC}/a.txt"].remote_text.text()
        cards[f"{REC}/a.txt"].keep_remote.click()
        cards[f"{REC}/b.txt"].keep_both.click()
        await wait_until(
            lambda: all(
                not c.keep_both.isEnabled() and c.outcome.text().startswith("Kept")
                for c in cards.values()
            ),
            60,
            "both decisions",
        )
        assert await read(local, f"{REC}/a.txt") == b"edited in the bucket"
        listing = [f.path async for page in local.iter_pages(REC) for f in page.files]
        assert any(".conflict-" in path for path in listing), listing
        assert await read(local, f"{REC}/b.txt") in (b"edited here", b"edited in the bucket")
        dialog.reject()
        await wait_until(task.done, 10, "the dialog to close")


async def test_migration_assistant_plans_then_copies_with_per_user_progress(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    payload: dict[str, bytes] = {}
    for user in ("users/user_000011", "users/user_000012"):
        for n in range(3):
            path = f"{user}/recordings/r{n}/source.mp4"
            data = hashlib.sha256(path.encode()).digest() * 100
            await local.save(path, data)
            payload[path] = data
    async with open_window(remote) as harness:
        sync = controller(harness)
        task = harness.window.run_task(sync.open_migration())
        await wait_until(lambda: sync.migration_dialog is not None, 10, "the assistant")
        dialog: MigrationDialog = sync.migration_dialog  # type: ignore[assignment]
        dialog.plan_button.click()
        await wait_until(dialog.start_button.isEnabled, 30, "the plan")
        assert "6 files to copy" in dialog.summary.text()
        assert dialog.users.topLevelItemCount() == 2
        assert not await remote.exists(next(iter(payload)))  # planning copies nothing
        dialog.start_button.click()
        await wait_until(lambda: dialog.report.text().startswith("Done"), 60, "the migration")
        assert "6 copied" in dialog.report.text()
        assert dialog.overall.value() == 1000
        assert all(
            "3 of 3" in dialog.users.topLevelItem(i).text(3)
            for i in range(dialog.users.topLevelItemCount())
        )
        for path, data in payload.items():
            assert await remote.load(path) == data
        dialog.reject()
        await wait_until(task.done, 10, "the assistant to close")


async def test_about_opens_from_the_toolbar(open_window: OpenWindow, make_s3: MakeS3) -> None:
    from app import __version__

    async with open_window(make_s3()) as harness:
        harness.action("actionAbout").trigger()
        await wait_until(
            lambda: (
                getattr(harness.window, "about_dialog", None) is not None
                and harness.window.about_dialog.isVisible()
            ),
            10,
            "the About dialog",
        )
        dialog = harness.window.about_dialog
        assert __version__ in " ".join(label.text() for label in dialog.findChildren(QLabel))
        dialog.reject()


async def test_a_transfer_clears_the_compared_state_it_made_stale(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        await harness.select(harness.local_pane, USER)
        await controller(harness).compare_selected()
        model = harness.window.local_model
        await harness.reveal(harness.local_pane, f"{REC}/here.txt")
        assert model.index_for(f"{REC}/here.txt", 3).data() == "Local only"
        await harness.select(harness.local_pane, f"{REC}/here.txt")
        harness.action("actionUpload").trigger()
        await wait_until(lambda: len(harness.finished) == 1, 30, "the upload")
        # No longer "Local only", and no folder claims a comparison that is out of date.
        assert model.sync_state(f"{REC}/here.txt") is None
        assert model.sync_state(REC) is None
        assert model.sync_state(f"{REC}/identical.txt") == "identical"


async def test_a_refresh_keeps_open_folders_open(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    """After a migration or a sync the trees are listed again; what was open stays open."""
    remote = make_s3()
    await seed(local, remote)
    async with open_window(remote) as harness:
        pane = harness.local_pane
        await harness.select(pane, f"{REC}/here.txt")
        before = pane.expanded_paths_under("")
        assert {"users", USER, f"{USER}/recordings", REC} <= before
        pane.refresh_keeping_view("")
        await wait_until(
            lambda: pane.expanded_paths_under("") >= before, 30, "the folders to open again"
        )
        await wait_until(
            lambda: (
                pane.model.path_for(pane.proxy.mapToSource(pane.view.currentIndex()))
                == f"{REC}/here.txt"
            ),
            10,
            "the current row",
        )


async def test_the_migration_assistant_names_what_it_will_not_migrate(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await local.save(f"{REC}/a.txt", b"v1")
    await local.save(f"{REC}/b.txt", b"v1")
    async with open_window(remote) as harness:
        sync = controller(harness)
        await sync.service.migrate(local, remote, to="remote", delete_source=False, dry_run=False)
        await local.save(f"{REC}/a.txt", b"edited here")  # and in the bucket: a conflict
        await remote.save(f"{REC}/a.txt", b"edited in the bucket")
        task = harness.window.run_task(sync.open_migration())
        await wait_until(lambda: sync.migration_dialog is not None, 10, "the assistant")
        dialog: MigrationDialog = sync.migration_dialog  # type: ignore[assignment]
        dialog.plan_button.click()
        await wait_until(lambda: "skipped" in dialog.summary.text(), 30, "the plan")
        summary = dialog.summary.text()
        assert "0 files to copy" in summary
        assert "1 already there and identical, 1 skipped" in summary
        assert "These files will not be migrated:" in summary
        assert f"{REC}/a.txt — " in summary
        assert not dialog.start_button.isEnabled()  # nothing it may copy
        dialog.reject()
        await wait_until(task.done, 10, "the assistant to close")
