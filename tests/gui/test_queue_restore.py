"""The queue survives a quit and a crash: its jobs come back, say so, and finish right.

Real parts: SeaweedFS (``make_s3``), the SQLite queue file, a child process killed with SIGKILL
in the middle of a multipart upload.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.queue_store import FILENAME, QueueStore
from app.services.transfers import JobQueue, JobState
from app.views.log_panel import QtLogHandler
from file_storage import LocalStorageBackend, S3StorageBackend
from tests.conftest import MakeS3
from tests.gui.helpers_window import SLOW, wait_until

MiB = 1024 * 1024
SCOPE = "test-scope"


def clip(path: Path, size: int, seed: int) -> str:
    """Write a file of ``size`` pseudo-random bytes; return its SHA-256."""
    block = hashlib.sha256(str(seed).encode()).digest() * (MiB // 32)
    data = (block * (size // len(block) + 1))[:size]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


async def sha_of(remote: S3StorageBackend, path: str, tmp: Path) -> str:
    target = tmp / "check" / hashlib.md5(path.encode()).hexdigest()  # noqa: S324 - a file name
    await remote.download_file(path, target)
    return hashlib.sha256(target.read_bytes()).hexdigest()


async def test_jobs_waiting_and_running_at_quit_come_back_and_finish(
    make_s3: MakeS3, tmp_path: Path
) -> None:
    remote = make_s3(tuning=SLOW)
    store = QueueStore(tmp_path / FILENAME)
    digests = {
        f"users/u/recordings/r{n}/source.mp4": clip(tmp_path / f"c{n}.bin", size, n)
        for n, size in enumerate((12 * MiB, MiB, MiB))
    }
    local_store = tmp_path / "store"
    async with LocalStorageBackend(local_store) as local:
        await local.upload_file("users/u/old.bin", tmp_path / "c0.bin")

        first = JobQueue()
        first.attach_store(store, SCOPE)
        first.set_limit("transfer", 1)
        paths = list(digests)
        jobs = [first.add_upload(remote, tmp_path / f"c{n}.bin", p) for n, p in enumerate(paths)]
        first.add_delete(local, ["users/u/old.bin"])
        done_first = first.add_download(remote, paths[0], local_store / "never.bin")
        first.cancel(done_first.id)  # cancelled by the user: must not come back
        await wait_until(lambda: jobs[0].transferred >= 5 * MiB, 30, "the first part")
        await first.shutdown(timeout=4.0)  # quitting the app, mid-upload

        saved = store.load(SCOPE)
        assert [item.op for item in saved] == ["upload", "upload", "upload", "delete"]
        assert [item.was_running for item in saved] == [True, False, False, False]
        assert store.load("another profile") == []

        second = JobQueue()
        second.attach_store(store, SCOPE)
        restored = second.restore(saved, {"local": local, "s3": remote})
        assert [job.destination for job in restored[:3]] == paths
        assert (
            restored[0].restored == "From the last session: it was running when Leap Sync stopped."
        )
        assert (
            restored[1].restored == "From the last session: it was waiting when Leap Sync stopped."
        )
        await wait_until(
            lambda: all(job.state is JobState.DONE for job in restored), 60, "the restored jobs"
        )
        assert not (local_store / "users/u/old.bin").exists()
        for path, digest in digests.items():
            assert await sha_of(remote, path, tmp_path) == digest
        second.persist_now()
        assert store.load(SCOPE) == [], "finished jobs must leave the queue file"
        await second.shutdown()
    store.close()


async def test_a_killed_process_leaves_its_queue_to_the_next_start(
    make_s3: MakeS3, tmp_path: Path, s3_server: object, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGKILL mid-upload (a crash): the next start brings every job back and finishes them;
    the upload that was running resumes from the parts the bucket holds (the upload journal)."""
    caplog.set_level(logging.INFO, logger="file_storage")
    journal = tmp_path / "s3-uploads.sqlite3"
    remote = make_s3(tuning=dataclasses.replace(SLOW, upload_journal=journal))
    digests = {
        f"users/u/recordings/r{n}/source.mp4": clip(tmp_path / "clips" / f"clip-{n}.bin", size, n)
        for n, size in enumerate((11 * MiB, MiB))
    }
    db = tmp_path / FILENAME
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CHILD_S3_BUCKET": remote.bucket_name,
        "CHILD_S3_PREFIX": remote.prefix,
        "CHILD_S3_KEY": s3_server.access_key,  # type: ignore[attr-defined]
        "CHILD_S3_SECRET": s3_server.secret_key,  # type: ignore[attr-defined]
        "CHILD_S3_ENDPOINT": s3_server.endpoint_url,  # type: ignore[attr-defined]
        "CHILD_SCOPE": SCOPE,
        "CHILD_JOURNAL": str(journal),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.queue_child", str(db), str(tmp_path / "clips"), "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 60)  # type: ignore[union-attr]
        assert line.strip() == "HELD", child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        child.wait(10)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()

    store = QueueStore(db)
    saved = store.load(SCOPE)
    assert [(item.op, item.was_running) for item in saved] == [
        ("upload", True),
        ("upload", False),
    ]
    queue = JobQueue()
    queue.attach_store(store, SCOPE)
    restored = queue.restore(saved, {"s3": remote})
    await wait_until(
        lambda: all(job.state is JobState.DONE for job in restored), 60, "the restored uploads"
    )
    resumed = [r.getMessage() for r in caplog.records if "Resuming the upload" in r.getMessage()]
    assert len(resumed) == 1, resumed
    assert remote.stats.bytes_uploaded <= (11 + 1 - 5) * MiB, "the stored part was sent again"
    for path, digest in digests.items():
        assert await sha_of(remote, path, tmp_path) == digest
    queue.persist_now()
    assert store.load(SCOPE) == []
    await queue.shutdown()
    store.close()


async def test_the_app_says_what_came_back(make_s3: MakeS3, tmp_path: Path) -> None:
    """The notice and the rows: what the user sees after a restart."""
    from app.main import _restore_queue
    from app.models.transfer_model import state_text
    from app.workspace import WorkspaceHost, build_workspace
    from file_storage.settings import StorageSettings

    remote = make_s3()
    settings = StorageSettings(local_path=tmp_path / "store")
    store = QueueStore(tmp_path / FILENAME)
    workspace = build_workspace(settings, "Local", cache_dir=tmp_path / "cache")
    workspace.remote = remote  # the bucket this test made (build_workspace had none)
    from app.services.queue_store import scope_of

    clip(tmp_path / "a.bin", 1000, 1)
    store.put(
        scope_of(settings),
        [
            ("old-1", "upload", {"local": str(tmp_path / "a.bin"), "path": "users/u/a.bin"}),
            ("old-2", "upload", {"local": str(tmp_path / "a.bin"), "path": "users/u/b.bin"}),
        ],
    )
    store.mark({"old-1": "running"})
    workspace.queue.pause()  # so the rows stay queued while we look at them
    host = WorkspaceHost(workspace, QtLogHandler())
    try:
        _restore_queue(host, store)
        notices = [notice.text for notice in host.window.notifications.notices()]
        assert any(
            "2 transfer(s) from the last session are back in the queue" in text
            and "1 of them were running when Leap Sync stopped" in text
            for text in notices
        ), notices
        rows = workspace.queue.jobs()
        assert [state_text(job) for job in rows] == ["Queued (from last session)"] * 2
    finally:
        quit_requested: list[bool] = []
        host.quitRequested.connect(lambda: quit_requested.append(True))
        host.window.close()
        await wait_until(lambda: bool(quit_requested), 15, "the window to close")
        await host.aclose()
        host.window.deleteLater()
        store.close()
