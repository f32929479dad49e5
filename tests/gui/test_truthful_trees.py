"""Issue 12, item 2: both trees, their statuses and the quota follow every job at once, and
Refresh (F5) lists again what the user sees.

Real SeaweedFS and disk; jobs are started with the keyboard shortcuts and the context menu on
rows clicked with the mouse, and the test reads the Status texts the user reads.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.models.storage_tree import STATUS_COLUMN
from app.views.tree_pane import TreePane
from file_storage import LocalStorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import Harness, OpenWindow, wait_until
from tests.gui.test_pointing import click_row, confirmation, context_menu
from tests.media.conftest import make_clip

USER = "users/user_000011"
RECS = f"{USER}/recordings"
REC = f"{RECS}/big-450"


def status(pane: TreePane, path: str) -> str | None:
    """The Status text of ``path``'s row, or ``None`` when the tree has no such row."""
    index = pane.model.index_for(path, STATUS_COLUMN)
    return str(index.data()) if index.isValid() else None


async def shows(pane: TreePane, path: str, expected: str | None, what: str = "") -> None:
    await wait_until(
        lambda: status(pane, path) == expected,
        15,
        f"{pane.view.objectName()} {path!r} to show {expected!r} "
        f"(it shows {status(pane, path)!r}) {what}",
    )


def press(h: Harness, pane: TreePane, key: Qt.Key, ctrl: bool = False) -> None:
    modifier = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    QTest.keyClick(pane.view, key, modifier)


async def test_an_upload_turns_both_rows_on_both_and_counts_the_quota(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await local.save(f"{REC}/source.mp4", b"v" * 4096)
    await remote.save(f"{REC}/notes.txt", b"n")  # the bucket knows the recording folder
    async with open_window(remote) as h:
        await h.reveal(h.remote_pane, f"{REC}/notes.txt")
        await click_row(h, h.local_pane, f"{REC}/source.mp4")
        await h.settle()
        assert status(h.local_pane, f"{REC}/source.mp4") == "Local only"
        used_before = h.usage.remaining("s3")[0]
        press(h, h.local_pane, Qt.Key.Key_U, ctrl=True)
        [job] = await h.wait_jobs(1)
        assert h.finished[job]
        await shows(h.local_pane, f"{REC}/source.mp4", "On both")
        await shows(h.remote_pane, f"{REC}/source.mp4", "On both")
        assert h.usage.remaining("s3")[0] == used_before + 4096


async def test_a_download_turns_both_rows_on_both(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await remote.save(f"{REC}/slides.pdf", b"s" * 2048)
    await local.save(f"{REC}/notes.txt", b"n")
    async with open_window(remote) as h:
        await h.reveal(h.local_pane, f"{REC}/notes.txt")
        await click_row(h, h.remote_pane, f"{REC}/slides.pdf")
        await h.settle()
        assert status(h.remote_pane, f"{REC}/slides.pdf") == "S3 only"
        press(h, h.remote_pane, Qt.Key.Key_D, ctrl=True)
        [job] = await h.wait_jobs(1)
        assert h.finished[job]
        await shows(h.remote_pane, f"{REC}/slides.pdf", "On both")
        await shows(h.local_pane, f"{REC}/slides.pdf", "On both")


async def test_a_deleted_s3_recording_leaves_the_bucket_tree_and_the_local_one_says_so(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    for store in (local, remote):
        await store.save(f"{REC}/source.mp4", b"v" * 1024)
        await store.save(f"{RECS}/other/source.mp4", b"o")
    async with open_window(remote) as h:
        await h.reveal(h.local_pane, f"{REC}/source.mp4")
        await h.reveal(h.remote_pane, f"{REC}/source.mp4")
        await h.settle()
        assert status(h.local_pane, REC) == "On both"
        await context_menu(h, h.remote_pane, REC, "mouse", "actionDelete")
        text = await confirmation("Delete")
        assert "from the S3 bucket" in text
        [job] = await h.wait_jobs(1)
        assert h.finished[job]
        await shows(h.remote_pane, REC, None, "(the recording is gone from the bucket)")
        await shows(h.local_pane, REC, "Local only")
        await shows(h.local_pane, f"{REC}/source.mp4", "Local only")
        await shows(h.remote_pane, f"{RECS}/other", "On both")


async def test_a_local_delete_turns_the_bucket_row_s3_only(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    for store in (local, remote):
        await store.save(f"{REC}/source.mp4", b"v" * 1024)
    async with open_window(remote) as h:
        await h.reveal(h.remote_pane, f"{REC}/source.mp4")
        await click_row(h, h.local_pane, f"{REC}/source.mp4")
        await h.settle()
        press(h, h.local_pane, Qt.Key.Key_Delete)
        await confirmation("Delete")
        [job] = await h.wait_jobs(1)
        assert h.finished[job]
        await shows(h.local_pane, f"{REC}/source.mp4", None)
        await shows(h.remote_pane, f"{REC}/source.mp4", "S3 only")


async def test_a_media_job_output_shows_in_its_tree_with_its_status(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3, tmp_path: Path
) -> None:
    remote = make_s3()
    clip = make_clip(tmp_path / "clip.mp4")
    await local.upload_file(f"{REC}/source.mp4", clip)
    await remote.upload_file(f"{REC}/source.mp4", clip)
    async with open_window(remote) as h:
        await h.reveal(h.local_pane, f"{REC}/source.mp4")
        await h.reveal(h.remote_pane, f"{REC}/source.mp4")
        await h.settle()
        await context_menu(h, h.local_pane, REC, "mouse", "mediaMenu", "actionExtractAudio")
        [job] = await h.wait_jobs(1, timeout=60)
        assert h.finished[job]
        await shows(h.local_pane, f"{REC}/audio.m4a", "Local only")
        assert status(h.remote_pane, f"{REC}/audio.m4a") is None
        assert status(h.local_pane, f"{REC}/source.mp4") == "On both"


async def test_f5_lists_again_what_is_shown_keeping_open_folders_and_the_current_row(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    remote = make_s3()
    await local.save(f"{REC}/source.mp4", b"v")
    await remote.save(f"{REC}/source.mp4", b"v")
    async with open_window(remote) as h:
        await h.reveal(h.local_pane, f"{REC}/source.mp4")
        await h.reveal(h.remote_pane, f"{REC}/source.mp4")
        await click_row(h, h.local_pane, f"{REC}/source.mp4")
        await h.settle()
        # Other clients add a sibling recording, a new root folder and a file in an open folder.
        await local.save(f"{RECS}/new-sibling/source.mp4", b"n")
        await remote.save(f"{RECS}/new-sibling/source.mp4", b"n")
        await remote.save(f"{REC}/extra.txt", b"x")
        await local.save("shared/readme.txt", b"r")
        press(h, h.local_pane, Qt.Key.Key_F5)
        await shows(h.local_pane, f"{RECS}/new-sibling", "On both")
        await shows(h.remote_pane, f"{RECS}/new-sibling", "On both")
        await shows(h.remote_pane, f"{REC}/extra.txt", "S3 only")
        await shows(h.local_pane, "shared", "Local only")
        await h.settle()
        for pane in (h.local_pane, h.remote_pane):
            index = pane.proxy.mapFromSource(pane.model.index_for(REC))
            assert pane.view.isExpanded(index), pane.view.objectName()
        assert h.local_pane.model.path_for(h.local_pane.view.currentIndex()) == (
            f"{REC}/source.mp4"
        )


async def test_the_two_panes_never_disagree_after_another_client_changes_the_bucket(
    open_window: OpenWindow, local: LocalStorageBackend, make_s3: MakeS3
) -> None:
    """The report's ``big-450``: "Local only" on the left, "On both" on the right."""
    remote = make_s3()
    await local.save(f"{REC}/source.mp4", b"v")
    await remote.save(f"{RECS}/other/source.mp4", b"o")
    async with open_window(remote) as h:
        await h.reveal(h.local_pane, f"{REC}/source.mp4")
        await h.reveal(h.remote_pane, f"{RECS}/other/source.mp4")
        await h.settle()
        assert status(h.local_pane, REC) == "Local only"
        await remote.save(f"{REC}/source.mp4", b"v")  # another client uploads it
        # Only the bucket's recordings folder is listed again (F5 with the focus there).
        await click_row(h, h.remote_pane, f"{RECS}/other")
        press(h, h.remote_pane, Qt.Key.Key_F5)
        await shows(h.remote_pane, REC, "On both")
        await shows(h.local_pane, REC, "On both")
