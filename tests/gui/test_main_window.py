"""The main window end to end: real SeaweedFS, real disk, real Qt events.

Every test builds the window as ``app.main`` composes it (local store, S3 backend, job queue,
usage service, log handler), drives it as a user does (drops, selections, actions, modal
dialogs) and checks what reached the bucket and the disk, and what was left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.services.transfers import JobQueue, JobState
from file_storage import LocalStorageBackend, S3StorageBackend, S3Tuning
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random
from tests.gui.helpers_window import (
    REC,
    SLOW,
    USER,
    Harness,
    ModalAnswer,
    TcpRelay,
    click_button,
    free_port,
    keys_under,
    open_uploads,
    partials_under,
    s3_sha256,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
OpenWindow = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def app_keeps_running(qapp: QApplication) -> Iterator[None]:
    """As in ``app.main``: closing the window must not quit the app (the window decides, F10).

    Restored only after pytest-qt has closed the test's widgets (which it does before fixtures
    are finalized).
    """
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


@pytest.fixture
def open_window(
    qtbot: QtBot, local: LocalStorageBackend, make_s3: MakeS3, app_keeps_running: None
) -> OpenWindow:
    """``async with open_window(remote) as h:`` shows a window and closes it cleanly.

    The close (F10: cancel, abort, clean) runs inside the test while the qasync loop runs;
    pytest-qt's own close at teardown then finds a window that has already closed.
    """

    @contextlib.asynccontextmanager
    async def opened(remote: S3StorageBackend | None = None) -> AsyncIterator[Harness]:
        harness = Harness(local, remote or make_s3(), qtbot.addWidget)
        await harness.open()
        try:
            yield harness
        finally:
            await harness.close()

    return opened


# --------------------------------------------------------------------------- layout


async def test_object_names_and_shortcuts(open_window: OpenWindow) -> None:
    async with open_window() as h:
        window = h.window
        for cls, name in (
            (QTreeView, "localTree"),
            (QTreeView, "remoteTree"),
            (QTableView, "transferQueue"),
            (QProgressBar, "quotaBar"),
            (QPlainTextEdit, "logView"),
        ):
            assert window.findChild(cls, name) is not None, name
        assert window.findChild(QTreeView, "localTree").isVisible()
        assert window.findChild(QTreeView, "remoteTree").isVisible()
        assert window.findChild(QProgressBar, "quotaBar").isVisible()
        shortcuts = {}
        for name in (
            "actionUpload",
            "actionDownload",
            "actionDelete",
            "actionRefresh",
            "actionShareLink",
        ):
            shortcut = h.action(name).shortcut()
            assert not shortcut.isEmpty(), name
            shortcuts[name] = shortcut.toString()
        assert len(set(shortcuts.values())) == len(shortcuts), shortcuts
        window.bottom_tabs.setCurrentWidget(window.log_panel)
        assert window.findChild(QPlainTextEdit, "logView").isVisible()


# --------------------------------------------------------------------------- transfers


async def test_drop_on_user_and_recording_folders(
    open_window: OpenWindow, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """Desktop files dropped on tree rows land where transfer_plan puts them, byte for byte."""
    remote = make_s3()
    await remote.create_folder(USER)
    await remote.create_folder(REC)
    desktop = tmp_path / "desktop"
    lecture = write_random(desktop / "Лекция 5.mp4", 7 * MiB + 11, seed=1)
    clip = write_random(desktop / "take2.MOV", 300_000, seed=2)
    notes = write_random(desktop / "notes.txt", 1234, seed=3)
    async with open_window(remote) as h:
        await h.reveal(h.remote_pane, REC)
        assert h.drop_files(h.remote_pane, USER, [lecture])
        await h.wait_jobs(1)
        assert h.drop_files(h.remote_pane, REC, [clip, notes])
        await h.wait_jobs(3)
        assert [h.queue.job(i).error for i in h.added] == ["", "", ""]
        assert list(h.finished.values()) == [True, True, True]

    expected = {
        f"{USER}/recordings/lekciya-5/source.mp4": lecture,  # new recording named after it
        f"{REC}/source.mov": clip,  # the recording's source
        f"{REC}/notes.txt": notes,  # not media: keeps its name
    }
    keys = await keys_under(raw_s3, remote)
    for path, source in expected.items():
        assert keys.get(remote.key_for(path)) == source.stat().st_size, path
        assert await s3_sha256(raw_s3, remote, path) == sha256_of(source), path
        assert (await remote.stat(path)).sha256 == sha256_of(source), path
    assert len(keys) == len(expected) + 2  # and the two folder markers
    # Renamed by the layout, the files keep their own names as metadata; others need none.
    originals = {path: (await remote.stat(path)).original_name for path in expected}
    assert originals == {
        f"{USER}/recordings/lekciya-5/source.mp4": "Лекция 5.mp4",
        f"{REC}/source.mov": "take2.MOV",
        f"{REC}/notes.txt": None,
    }


async def test_dropped_files_show_up_in_the_tree(
    open_window: OpenWindow, make_s3: MakeS3, tmp_path: Path
) -> None:
    """After the upload, the pane lists what the drop created, new recordings included."""
    remote = make_s3()
    await remote.create_folder(REC)
    desktop = tmp_path / "desktop"
    talk = write_random(desktop / "talk.mp4", 1000, seed=8)
    notes = write_random(desktop / "notes.txt", 1000, seed=9)
    async with open_window(remote) as h:
        model = h.remote_pane.model
        await h.reveal(h.remote_pane, REC)
        assert h.drop_files(h.remote_pane, REC, [notes])
        [first] = await h.wait_jobs(1)
        assert h.finished[first]
        await wait_until(
            lambda: model.index_for(f"{REC}/notes.txt").isValid(), 5, "notes.txt in the tree"
        )
        await h.reveal(h.remote_pane, USER)
        assert h.drop_files(h.remote_pane, USER, [talk])
        [_, second] = await h.wait_jobs(2)
        assert h.finished[second]
        new_recording = f"{USER}/recordings/talk"
        await wait_until(
            lambda: model.index_for(new_recording).isValid(), 5, f"{new_recording} in the tree"
        )


async def test_download_selected_remote_file(
    open_window: OpenWindow, make_s3: MakeS3, local: LocalStorageBackend, tmp_path: Path
) -> None:
    remote = make_s3()
    source = write_random(tmp_path / "upload" / "source.mp4", 6 * MiB + 5, seed=4)
    await remote.upload_file(f"{REC}/source.mp4", source)
    async with open_window(remote) as h:
        await h.select(h.remote_pane, f"{REC}/source.mp4")
        await h.run_action("actionDownload")
        [job_id] = await h.wait_jobs(1)
        assert h.finished[job_id], h.queue.job(job_id).error
    target = local.base_path / REC / "source.mp4"
    assert target.stat().st_size == source.stat().st_size
    assert sha256_of(target) == sha256_of(source)
    assert partials_under(local.base_path) == []


async def test_cancel_mid_upload_leaves_nothing(
    open_window: OpenWindow,
    make_s3: MakeS3,
    local: LocalStorageBackend,
    raw_s3: Any,
    qtbot: QtBot,
) -> None:
    remote = make_s3(tuning=SLOW)
    write_random(local.base_path / REC / "source.mp4", 60 * MiB, seed=5)
    async with open_window(remote) as h:
        await h.select(h.local_pane, f"{REC}/source.mp4")
        await h.run_action("actionUpload")
        [job_id] = h.added
        job = h.queue.job(job_id)
        await wait_until(lambda: job.transferred > 0, 20, "upload progress")
        assert job.state is JobState.RUNNING
        assert job.transferred < job.total, "the upload finished before it could be cancelled"
        assert await open_uploads(raw_s3, remote), "expected a multipart upload in progress"
        cancel_all = h.window.findChild(QPushButton, "cancelAllButton")
        qtbot.mouseClick(cancel_all, Qt.MouseButton.LeftButton)
        await wait_until(lambda: job_id in h.finished, 5, "the cancel to complete")
        assert job.state is JobState.CANCELLED
        assert h.usage.remaining("s3")[0] == 0
    assert await open_uploads(raw_s3, remote) == []
    assert remote.key_for(f"{REC}/source.mp4") not in await keys_under(raw_s3, remote)
    assert partials_under(local.base_path) == []
    assert remote.stats.orphaned_uploads == []


async def test_close_with_transfers_running(
    open_window: OpenWindow,
    make_s3: MakeS3,
    local: LocalStorageBackend,
    raw_s3: Any,
    tmp_path: Path,
) -> None:
    """F10: closing cancels both uploads, aborts them, and the window closes within 5 s."""
    remote = make_s3(tuning=SLOW)
    await remote.create_folder(USER)
    desktop = tmp_path / "desktop"
    files = [write_random(desktop / f"talk{i}.mp4", 60 * MiB, seed=10 + i) for i in range(2)]
    async with open_window(remote) as h:
        await h.reveal(h.remote_pane, USER)
        assert h.drop_files(h.remote_pane, USER, files)
        await wait_until(lambda: len(h.added) == 2, what="both uploads to be queued")
        jobs = [h.queue.job(job_id) for job_id in h.added]
        await wait_until(lambda: all(j.transferred > 0 for j in jobs), 20, "both to progress")
        assert [j.state for j in jobs] == [JobState.RUNNING] * 2
        assert len(await open_uploads(raw_s3, remote)) == 2
        started = time.monotonic()
        h.window.close()
        await wait_until(lambda: h.closed, 5.0, "the window to emit closed")
        assert time.monotonic() - started < 5.0
        assert not h.window.isVisible()
        assert h.queue.running_count() == 0
        assert [j.state for j in jobs] == [JobState.CANCELLED] * 2
        running = [t for t in asyncio.all_tasks() if t.get_name().startswith("job ")]
        assert [t for t in running if not t.done()] == []
    assert await open_uploads(raw_s3, remote) == []
    assert list(await keys_under(raw_s3, remote)) == [remote.key_for(USER) + "/"]
    assert partials_under(local.base_path) == []
    assert partials_under(desktop) == []


# --------------------------------------------------------------------------- delete


def answer_delete(button: str, seen: dict[str, Any], queue: JobQueue) -> Callable[[QWidget], None]:
    def handle(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        seen["text"] = f"{dialog.text()}\n{dialog.informativeText()}"
        seen["jobs_while_asking"] = len(queue.jobs())
        click_button(dialog, button)

    return handle


async def test_delete_after_confirmation(open_window: OpenWindow, make_s3: MakeS3) -> None:
    remote = make_s3()
    await remote.save(f"{REC}/thumbnail.jpg", b"j" * 2048)
    await remote.save(f"{REC}/keep.jpg", b"k" * 10)
    async with open_window(remote) as h:
        await h.select(h.remote_pane, f"{REC}/thumbnail.jpg")
        await h.settle()
        seen: dict[str, Any] = {}
        answer = ModalAnswer(answer_delete("Delete", seen, h.queue))
        await h.run_action("actionDelete")
        answer.check()
        assert answer.dialog_name == "confirmDelete"
        assert f"{REC}/thumbnail.jpg" in seen["text"]
        assert "S3 bucket" in seen["text"]
        assert "2.0 KiB" in seen["text"]
        assert seen["jobs_while_asking"] == 0, "the delete was queued before the user confirmed"
        [job_id] = await h.wait_jobs(1)
        assert h.finished[job_id]
        assert not await remote.exists(f"{REC}/thumbnail.jpg")
        assert await remote.exists(f"{REC}/keep.jpg")


async def test_delete_cancelled_deletes_nothing(
    open_window: OpenWindow, local: LocalStorageBackend
) -> None:
    await local.save(f"{REC}/notes.txt", b"keep me")
    async with open_window() as h:
        await h.select(h.local_pane, f"{REC}/notes.txt")
        await h.settle()
        seen: dict[str, Any] = {}
        answer = ModalAnswer(answer_delete("Cancel", seen, h.queue))
        await h.run_action("actionDelete")
        answer.check()
        assert answer.dialog_name == "confirmDelete"
        assert f"{REC}/notes.txt" in seen["text"]
        assert "local store" in seen["text"]
        assert h.added == []
    assert (local.base_path / REC / "notes.txt").read_bytes() == b"keep me"


async def test_transfers_keep_running_while_a_dialog_is_open(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    """An upload runs while the delete confirmation is open for a second; it must go on.

    Runs in a subprocess: if the dialog wedges the asyncio side of the loop, that process is
    the one that freezes, and it reports from Qt timers what happened.
    """
    prefix = f"modal-{os.getpid()}-{time.monotonic_ns()}"
    env = os.environ | {
        "QT_QPA_PLATFORM": "offscreen",
        "LEAP_T_ENDPOINT": s3_server.endpoint_url,
        "LEAP_T_KEY": s3_server.access_key,
        "LEAP_T_SECRET": s3_server.secret_key,
        "LEAP_T_BUCKET": TEST_BUCKET,
        "LEAP_T_PREFIX": prefix,
    }
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.gui.helpers_window",
            str(tmp_path),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(child.communicate(), 60)
        except TimeoutError:
            child.kill()
            await child.wait()
            raise
        lines = out.decode().strip().splitlines()
        assert lines, err.decode()[-3000:]
        report = json.loads(lines[-1])
    finally:
        response = await raw_s3.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix=f"{prefix}/")
        for upload in response.get("Uploads", []):
            await raw_s3.abort_multipart_upload(
                Bucket=TEST_BUCKET, Key=upload["Key"], UploadId=upload["UploadId"]
            )
    assert not report.get("timeout"), report
    assert not report.get("stalled"), (
        f"the upload froze for good after the confirmation dialog was shown: {report}"
    )
    assert report["state"] == "Done", report
    during = report["during_dialog"]
    assert during["last_mib"] > during["first_mib"], (
        f"no progress while the dialog was open: {report}"
    )


# --------------------------------------------------------------------------- quota


async def test_drop_refused_when_it_would_overflow_the_quota(
    open_window: OpenWindow, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    remote = make_s3(max_size_gb=1 / 1024)  # 1 MiB
    await remote.create_folder(USER)
    big = write_random(tmp_path / "desktop" / "big.mp4", 2 * MiB, seed=6)
    async with open_window(remote) as h:
        await wait_until(lambda: h.usage.sides["s3"].counted, what="usage to be counted")
        await h.reveal(h.remote_pane, USER)
        assert h.drop_files(h.remote_pane, USER, [big])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        visible, level, text = h.banner()
        assert visible
        assert level == "error"
        assert text.startswith("Not started"), text
        assert "quota" in text
        assert "2.0 MiB" in text
        assert h.added == []
        assert h.queue.jobs() == []
    assert list(await keys_under(raw_s3, remote)) == [remote.key_for(USER) + "/"]


async def test_drop_warns_past_80_percent_and_proceeds(
    open_window: OpenWindow, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    remote = make_s3(max_size_gb=1 / 1024)  # 1 MiB
    await remote.create_folder(USER)
    clip = write_random(tmp_path / "desktop" / "clip.mp4", 900_000, seed=7)  # 86 %
    async with open_window(remote) as h:
        await wait_until(lambda: h.usage.sides["s3"].counted, what="usage to be counted")
        await h.reveal(h.remote_pane, USER)
        assert h.drop_files(h.remote_pane, USER, [clip])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        visible, level, text = h.banner()
        assert visible
        assert level == "warning"
        assert "86% full" in text, text
        [job_id] = await h.wait_jobs(1)
        assert h.finished[job_id], h.queue.job(job_id).error
        quota_bar = h.window.findChild(QProgressBar, "quotaBar")
        await wait_until(lambda: quota_bar.format() == "86%", what="the quota bar to update")
        assert quota_bar.property("level") == "#d99a00"  # amber from 80 %
    path = f"{USER}/recordings/clip/source.mp4"
    assert (await keys_under(raw_s3, remote))[remote.key_for(path)] == 900_000
    assert await s3_sha256(raw_s3, remote, path) == sha256_of(clip)


# --------------------------------------------------------------------------- errors


def answer_text(text: str, seen: dict[str, Any]) -> Callable[[QWidget], None]:
    def handle(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog)
        seen["label"] = dialog.labelText()
        dialog.setTextValue(text)
        seen["value"] = dialog.textValue()
        click_button(dialog, "OK")

    return handle


async def test_async_action_errors_reach_the_notification_bar(
    open_window: OpenWindow, make_s3: MakeS3
) -> None:
    """An unreachable endpoint: the listing and a New recording fail with readable sentences."""
    port = free_port()
    remote = make_s3(
        endpoint_url=f"http://127.0.0.1:{port}",
        tuning=S3Tuning(max_attempts=1, connect_timeout=2, read_timeout=2),
    )
    async with open_window(remote) as h:
        h.window.bottom_tabs.setCurrentWidget(h.window.log_panel)
        log = h.window.findChild(QPlainTextEdit, "logView")
        # Both background failures (tree listing, usage count) are announced first.
        await wait_until(lambda: "Listing failed: Cannot reach" in log.toPlainText())
        await wait_until(lambda: "Usage of the s3 store: Cannot reach" in log.toPlainText())
        await wait_until(lambda: h.usage.sides["local"].counted, what="local usage")
        loaders = (h.window.local_loader, h.window.remote_loader)
        await wait_until(lambda: not any(x.running() for x in loaders), what="listings to end")
        visible, _level, text = h.banner()
        assert visible
        assert "Cannot reach" in text, text

        h.remote_pane.view.setFocus()
        seen: dict[str, Any] = {}
        answer = ModalAnswer(answer_text("user_000001/rec-9", seen))
        await h.run_action("actionNewRecording")
        answer.check()
        assert seen["value"] == "user_000001/rec-9"
        visible, level, text = h.banner()
        assert visible
        assert level == "error"
        assert text.startswith(f"Cannot reach http://127.0.0.1:{port} for put_object"), text
        assert "Unexpected error" not in text
        await wait_until(lambda: "put_object" in log.toPlainText(), what="the error in the log")


async def test_download_error_after_the_network_drops(
    open_window: OpenWindow, make_s3: MakeS3, s3_server: SeaweedSandbox
) -> None:
    """The tree was listed, then the link went away: Download says so in the bar."""
    url = urlsplit(s3_server.endpoint_url)
    relay = TcpRelay(url.hostname or "127.0.0.1", url.port or 80)
    await relay.start()
    remote = make_s3(
        endpoint_url=f"http://127.0.0.1:{relay.port}",
        tuning=S3Tuning(max_attempts=1, connect_timeout=2, read_timeout=2),
    )
    await remote.save(f"{REC}/source.mp4", b"v" * 1000)
    try:
        async with open_window(remote) as h:
            await h.select(h.remote_pane, f"{REC}/source.mp4")
            await h.settle()
            await relay.cut()
            await h.run_action("actionDownload")
            visible, level, text = h.banner()
            assert visible
            assert level == "error"
            assert text.startswith("Cannot reach"), text
            assert h.added == []
    finally:
        await relay.cut()


# --------------------------------------------------------------------------- share link


def object_url_prefix(remote: S3StorageBackend) -> str:
    """Where a path-style presigned URL for the backend's objects starts."""
    return f"{remote.endpoint_url}/{remote.bucket_name}/{remote.prefix}/"


async def test_share_link_copies_a_working_url(open_window: OpenWindow, make_s3: MakeS3) -> None:
    remote = make_s3()
    payload = bytes(range(256)) * 1200
    await remote.save(f"{REC}/source.mp4", payload)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("")
    async with open_window(remote) as h:
        await h.select(h.remote_pane, f"{REC}/source.mp4")
        await h.settle()
        seen: dict[str, Any] = {}
        answer = ModalAnswer(answer_text("1 hour", seen))
        await h.run_action("actionShareLink")
        answer.check()
        assert seen["value"] == "1 hour"
        assert f"{REC}/source.mp4" in seen["label"]
        link = clipboard.text()
        visible, _level, text = h.banner()
        assert visible
        assert "1 hour" in text
    assert link.startswith(object_url_prefix(remote)), link
    assert "X-Amz-Expires=3600" in link
    async with aiohttp.ClientSession() as session, session.get(link) as response:
        assert response.status == 200
        assert await response.read() == payload
