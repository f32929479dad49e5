"""Issue 12, item 5: a transfer queue a user can read and drive.

Rows name the user and the recording, running and failed rows stay at the top, the table has
room for six rows, Pause holds a RUNNING upload between two parts (the bytes on the server stop
growing) and Resume completes it, and Cancel takes effect within 2 s even when the server froze.
Real window, real SeaweedFS (the frozen one is this module's own sandbox), mouse clicks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.models.transfer_model import Column
from app.services.transfers import JobState, display_name
from app.views.transfer_panel import VISIBLE_ROWS, TransferPanel
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import MakeS3, MiB, freezable_server, sha256_of, thaw, write_random
from tests.gui.helpers_window import (
    SLOW,
    USER,
    Harness,
    keys_under,
    open_uploads,
    opened_window,
    s3_sha256,
    wait_until,
)

OpenWindow = Callable[[S3StorageBackend], contextlib.AbstractAsyncContextManager[Harness]]
FROZEN_BUCKET = "frozen"


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def open_window(qtbot: QtBot, local: LocalStorageBackend) -> OpenWindow:
    return lambda remote: opened_window(qtbot.addWidget, local, remote)


def row_texts(panel: TransferPanel) -> list[list[str]]:
    """Every row as the user sees it, top to bottom."""
    shown = panel.view.model()
    return [
        [str(shown.index(row, column).data() or "") for column in Column]
        for row in range(shown.rowCount())
    ]


def click_row(panel: TransferPanel, job_id: str) -> None:
    """Select the job's row with the mouse."""
    row = panel.row_of(job_id)
    assert row is not None
    view = panel.view
    index = view.model().index(row, Column.NAME)
    view.scrollTo(index)
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )
    assert panel.selected_job_ids() == [job_id]


def click(button: QPushButton) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


async def server_part_bytes(raw_s3: Any, remote: S3StorageBackend) -> int:
    """Bytes the server holds in the open multipart upload(s) under the backend's prefix."""
    total = 0
    for upload in await open_uploads(raw_s3, remote):
        parts = await raw_s3.list_parts(
            Bucket=remote.bucket_name, Key=upload["Key"], UploadId=upload["UploadId"]
        )
        total += sum(part["Size"] for part in parts.get("Parts", []))
    return total


def test_display_names_say_who_and_which_recording() -> None:
    assert display_name("users/user_000042/recordings/lecture-5/source.mp4") == (
        "user_000042 / lecture-5 / source.mp4"
    )
    assert display_name("users/user_000042/recordings/lecture-5/clips/a.mp4") == (
        "user_000042 / lecture-5 / clips / a.mp4"
    )
    assert display_name("shared/thumbnails/x.jpg") == "shared / thumbnails / x.jpg"
    assert display_name("notes.txt") == "notes.txt"


async def test_rows_name_the_recording_and_running_rows_stay_on_top(
    open_window: OpenWindow, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    remote = make_s3(tuning=SLOW)
    await remote.create_folder(USER)
    small = [
        write_random(tmp_path / "desktop" / f"talk-{i}.mp4", 64 * 1024, seed=30 + i)
        for i in range(7)
    ]
    big = write_random(tmp_path / "desktop" / "lecture-5.mp4", 80 * MiB, seed=40)
    async with open_window(remote) as h:
        panel = h.window.transfer_panel
        await h.reveal(h.remote_pane, USER)
        await h.settle()
        assert h.drop_files(h.remote_pane, USER, small)
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        await h.wait_jobs(len(small))
        # Seven finished rows, then the big one starts: it is shown first, not eighth.
        assert h.drop_files(h.remote_pane, USER, [big])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        await wait_until(lambda: len(h.added) == 8, 10, "the big upload to be queued")
        job = h.queue.job(h.added[-1])
        await wait_until(lambda: job.transferred > 0, 20, "the big upload to move")
        await wait_until(lambda: row_texts(panel)[0][Column.STATE] == "Running", 5, "on top")
        rows = row_texts(panel)
        assert rows[0][Column.NAME] == "user_000001 / lecture-5 / source.mp4"
        assert [row[Column.NAME] for row in rows[1:]] == [
            f"user_000001 / talk-{i} / source.mp4" for i in range(7)
        ]
        assert all(row[Column.STATE] == "Done" for row in rows[1:])
        # The full path is in the tooltip.
        tooltip = panel.view.model().index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
        assert f"{USER}/recordings/lecture-5/source.mp4" in tooltip
        # The table asks for six rows, whatever the splitter gives it now.
        view = panel.view
        row_height = view.verticalHeader().defaultSectionSize()
        assert view.sizeHint().height() >= VISIBLE_ROWS * row_height
        await h.wait_jobs(8, timeout=120)
        assert h.finished[job.id], job.error
    assert await s3_sha256(raw_s3, remote, f"{USER}/recordings/lecture-5/source.mp4") == (
        sha256_of(big)
    )


async def test_pause_holds_a_running_upload_and_resume_completes_it(
    open_window: OpenWindow, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    remote = make_s3(tuning=SLOW)  # 5 MiB parts, one at a time
    await remote.create_folder(USER)
    big = write_random(tmp_path / "desktop" / "lecture-5.mp4", 80 * MiB, seed=41)
    async with open_window(remote) as h:
        panel = h.window.transfer_panel
        await h.reveal(h.remote_pane, USER)
        await h.settle()
        assert h.drop_files(h.remote_pane, USER, [big])
        await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
        [job_id] = await wait_added(h, 1)
        job = h.queue.job(job_id)
        await wait_until(lambda: job.transferred > 0, 20, "the upload to move")
        click(panel.pause_button)
        assert panel.pause_button.text() == "Resume"
        await wait_until(lambda: row_texts(panel)[0][Column.STATE] == "Paused", 10, "Paused")
        assert job.state is JobState.RUNNING
        held_at = job.transferred
        on_server = await server_part_bytes(raw_s3, remote)
        assert 0 < on_server == held_at < big.stat().st_size
        # Held: neither the server's parts nor the row move for a while.
        await asyncio.sleep(1.5)
        assert await server_part_bytes(raw_s3, remote) == on_server
        assert job.transferred == held_at
        assert row_texts(panel)[0][Column.STATE] == "Paused"
        assert row_texts(panel)[0][Column.SPEED] == ""
        assert row_texts(panel)[0][Column.ETA] == ""
        assert panel.totals_label.text().startswith("1 paused — "), panel.totals_label.text()

        click(panel.pause_button)
        assert panel.pause_button.text() == "Pause"
        await wait_until(lambda: job.transferred > held_at, 20, "the upload to continue")
        await h.wait_jobs(1, timeout=120)
        assert h.finished[job_id], job.error
        assert row_texts(panel)[0][Column.STATE] == "Done"
    path = f"{USER}/recordings/lecture-5/source.mp4"
    assert (await keys_under(raw_s3, remote))[remote.key_for(path)] == big.stat().st_size
    assert await s3_sha256(raw_s3, remote, path) == sha256_of(big)
    assert await open_uploads(raw_s3, remote) == []


async def wait_added(h: Harness, count: int, timeout: float = 10.0) -> list[str]:
    await wait_until(lambda: len(h.added) >= count, timeout, f"{count} job(s) added")
    return list(h.added)


# --------------------------------------------------------------------------- frozen server


@pytest.fixture(scope="module")
def frozen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedSandbox]:
    """A SeaweedFS of this module's own: the test freezes it with SIGSTOP."""
    yield from freezable_server(tmp_path_factory.mktemp("queue-seaweedfs"), FROZEN_BUCKET)


async def test_cancel_of_a_running_upload_takes_effect_within_2_s_on_a_frozen_server(
    open_window: OpenWindow, frozen_server: SeaweedSandbox, tmp_path: Path
) -> None:
    remote = S3StorageBackend(
        FROZEN_BUCKET,
        prefix="cancel",
        access_key_id=frozen_server.access_key,
        secret_access_key=frozen_server.secret_key,
        endpoint_url=frozen_server.endpoint_url,
        tuning=SLOW,
    )
    await remote.create_folder(USER)
    big = write_random(tmp_path / "desktop" / "lecture-9.mp4", 80 * MiB, seed=42)
    try:
        async with open_window(remote) as h:
            panel = h.window.transfer_panel
            await h.reveal(h.remote_pane, USER)
            await h.settle()
            assert h.drop_files(h.remote_pane, USER, [big])
            await asyncio.wait_for(asyncio.shield(h.action_tasks[-1]), 10)
            [job_id] = await wait_added(h, 1)
            job = h.queue.job(job_id)
            await wait_until(lambda: job.transferred > 0, 20, "the upload to move")
            assert frozen_server.process is not None
            os.kill(frozen_server.process.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(0.3)  # a part request is now stuck on the frozen server
                click_row(panel, job_id)
                started = time.monotonic()
                click(panel.cancel_selected_button)
                await wait_until(
                    lambda: row_texts(panel)[0][Column.STATE] == "Cancelled",
                    5,
                    "the row to say Cancelled",
                )
                took = time.monotonic() - started
                assert took <= 2.0, f"Cancel took {took:.1f} s"
                assert job.state is JobState.CANCELLED
            finally:
                thaw(frozen_server)
            # The abort finishes once the server answers again (shutdown waits for it).
    finally:
        await remote.aclose()


async def test_pause_holds_a_running_download_and_resume_completes_it(
    qtbot: QtBot, make_s3: MakeS3, local: LocalStorageBackend, tmp_path: Path
) -> None:
    """Downloads pause too (between two chunks of a ranged GET) and end verified."""
    from app.services.transfers import JobQueue

    remote = make_s3(tuning=SLOW)
    source = write_random(tmp_path / "src.mp4", 60 * MiB, seed=43)
    path = f"{USER}/recordings/lecture-7/source.mp4"
    await remote.upload_file(path, source)
    queue = JobQueue()
    panel = TransferPanel(queue)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    target = tmp_path / "down" / "source.mp4"
    job = queue.add_download(remote, path, target)
    try:
        await wait_until(lambda: job.transferred > 0, 20, "the download to move")
        click(panel.pause_button)
        await wait_until(lambda: row_texts(panel)[0][Column.STATE] == "Paused", 10, "Paused")
        held_at = job.transferred
        await asyncio.sleep(1.5)
        assert job.transferred == held_at < source.stat().st_size
        assert not target.exists()  # still a temp file beside it
        click(panel.pause_button)
        await wait_until(lambda: job.state is JobState.DONE, 60, "the download to finish")
        assert row_texts(panel)[0][Column.NAME] == "user_000001 / lecture-7 / source.mp4"
        assert sha256_of(target) == sha256_of(source)
    finally:
        await queue.shutdown()
