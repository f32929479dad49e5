"""The transfer queue, its table model and its panel, against real backends (local and SeaweedFS).

Every cancel, shutdown or failure test checks what is left behind: no object, no open multipart
upload, no temp file beside a download target (RELIABILITY F5, F6, F10).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import (
    QItemSelectionModel,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from app.models.transfer_model import (
    Column,
    JobIdRole,
    ProgressRole,
    TransferTableModel,
    describe_totals,
    format_duration,
)
from app.services import transfers
from app.services.transfers import (
    RESOURCE_FFMPEG,
    Job,
    JobKind,
    JobQueue,
    JobState,
    ProgressReporter,
    RateMeter,
)
from app.views.transfer_panel import TransferPanel
from file_storage import LocalStorageBackend, S3StorageBackend, S3Tuning, StorageBackend
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random

REC = "users/user_000042/recordings/rec-1"
FINAL = {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


# --------------------------------------------------------------------------- helpers


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``predicate`` on the running (Qt) loop until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        await asyncio.sleep(0.01)


async def wait_final(*jobs: Job, timeout: float = 20.0) -> None:
    await wait_until(lambda: all(job.state in FINAL for job in jobs), timeout)


class SlowProgress:
    """Passes progress on, then sleeps: the transfer waits for it, so it is slowed down."""

    def __init__(self, inner: ProgressReporter, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    async def __call__(self, done: int) -> None:
        self._inner(done)
        await asyncio.sleep(self._delay)

    def set_total(self, total: int) -> None:
        self._inner.set_total(total)


def throttle(job: Job, delay: float) -> Job:
    """Slow ``job`` down; call right after ``add_*`` (its task has not taken a step yet)."""
    inner = job.run

    async def run(progress: ProgressReporter) -> None:
        await inner(SlowProgress(progress, delay))

    job.run = run
    return job


def sleeper(title: str, seconds: float, *, resource: str = "transfer", fail: bool = False) -> Job:
    """A synthetic job (stands in for the later FFmpeg work) that takes ``seconds``."""

    async def run(progress: ProgressReporter) -> None:
        progress.set_total(10)
        for step in range(1, 11):
            await asyncio.sleep(seconds / 10)
            progress(step)
        if fail:
            raise RuntimeError("synthetic failure")

    return Job(title, JobKind.MEDIA, run, resource=resource, unit="steps")


def partials_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".leap-partial"))


async def open_uploads(raw_s3: Any, backend: S3StorageBackend) -> list[dict[str, Any]]:
    response = await raw_s3.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix=f"{backend.prefix}/")
    return list(response.get("Uploads", []))


async def object_keys(raw_s3: Any, backend: S3StorageBackend) -> list[str]:
    response = await raw_s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix=f"{backend.prefix}/")
    return [item["Key"] for item in response.get("Contents", [])]


@contextlib.contextmanager
def model_test_failures() -> Iterator[list[str]]:
    """Collect what QAbstractItemModelTester reports (category ``qt.modeltest``)."""
    failures: list[str] = []

    def handler(_mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if context.category == "qt.modeltest":
            failures.append(message)

    previous = qInstallMessageHandler(handler)
    try:
        yield failures
    finally:
        qInstallMessageHandler(previous)


class RunningWatch:
    """Records the most jobs seen RUNNING at once, per resource, from the queue's signals."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self.peak: dict[str, int] = {}
        self.started: list[str] = []
        queue.jobChanged.connect(self._on_changed)

    def _on_changed(self, job_id: str) -> None:
        job = self.queue.job(job_id)
        if job.state is JobState.RUNNING and job_id not in self.started:
            self.started.append(job_id)
        for resource in {j.resource for j in self.queue.jobs()}:
            count = self.queue.running_count(resource)
            self.peak[resource] = max(self.peak.get(resource, 0), count)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def queue() -> AsyncIterator[JobQueue]:
    jobs = JobQueue()
    yield jobs
    assert await jobs.shutdown(), "a job was still cleaning up at teardown"


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalStorageBackend]:
    async with LocalStorageBackend(tmp_path / "store") as backend:
        yield backend


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a tmpfs with the given options (``size=4m``, ``ro,size=1m``); unmounted after."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


# --------------------------------------------------------------------------- round trips


async def test_upload_download_delete_round_trip(
    queue: JobQueue, backend: StorageBackend, tmp_path: Path
) -> None:
    """Bytes arrive identical both ways, progress reaches 100 %, the delete removes the file."""
    model = TransferTableModel(queue)
    source = write_random(tmp_path / "in" / "lecture.mp4", 12 * MiB + 123, seed=3)
    finished: list[tuple[str, bool]] = []
    queue.jobFinished.connect(lambda job_id, ok: finished.append((job_id, ok)))

    up = queue.add_upload(backend, source, f"{REC}/lecture.mp4")
    assert up.total == source.stat().st_size
    await wait_final(up)
    assert (up.state, up.error) == (JobState.DONE, "")
    assert up.transferred == up.total
    assert up.percent == 100
    assert model.index(0, Column.PROGRESS).data(ProgressRole) == 100

    target = tmp_path / "out" / "lecture.mp4"
    down = queue.add_download(backend, f"{REC}/lecture.mp4", target)
    await wait_final(down)
    assert (down.state, down.error) == (JobState.DONE, "")
    assert down.total == up.total
    assert down.percent == 100
    assert sha256_of(target) == sha256_of(source)
    assert partials_under(target.parent) == []

    delete = queue.add_delete(backend, [f"{REC}/lecture.mp4", f"{REC}/never-there.mp4"])
    await wait_final(delete)
    assert (delete.state, delete.transferred, delete.total) == (JobState.DONE, 2, 2)
    assert not await backend.exists(f"{REC}/lecture.mp4")
    assert finished == [(up.id, True), (down.id, True), (delete.id, True)]


# --------------------------------------------------------------------------- scheduling


async def test_limits_per_resource_are_respected(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path
) -> None:
    """Never more than 2 transfers and 1 ffmpeg job at once; raising the limit starts more."""
    watch = RunningWatch(queue)
    uploads = [
        throttle(
            queue.add_upload(
                local, write_random(tmp_path / f"f{i}.bin", 8 * MiB, seed=i), f"{REC}/f{i}"
            ),
            0.1,
        )
        for i in range(5)
    ]
    media = [queue.add(sleeper(f"thumb {i}", 0.3, resource=RESOURCE_FFMPEG)) for i in range(3)]
    await wait_final(*uploads, *media)
    assert watch.peak == {"transfer": 2, RESOURCE_FFMPEG: 1}
    assert watch.started[:2] == [uploads[0].id, uploads[1].id], "queue order not kept"
    assert all(job.state is JobState.DONE for job in uploads + media)

    more = [queue.add(sleeper(f"t{i}", 0.3)) for i in range(4)]
    watch.peak.clear()
    queue.set_limit("transfer", 3)
    await wait_final(*more)
    assert watch.peak["transfer"] == 3


async def test_pause_stops_new_starts_and_resume_continues(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path
) -> None:
    paused: list[bool] = []
    queue.pausedChanged.connect(paused.append)
    queue.set_limit("transfer", 1)
    files = [write_random(tmp_path / f"p{i}.bin", 8 * MiB, seed=i) for i in range(3)]
    first = throttle(queue.add_upload(local, files[0], f"{REC}/p0"), 0.15)
    rest = [queue.add_upload(local, f, f"{REC}/p{i}") for i, f in enumerate(files[1:], 1)]
    await wait_until(lambda: first.state is JobState.RUNNING)
    queue.pause()
    await wait_final(first)
    assert first.state is JobState.DONE, "pause must let the running transfer finish"
    await asyncio.sleep(0.3)
    assert [job.state for job in rest] == [JobState.QUEUED] * 2
    queue.resume()
    await wait_final(*rest)
    assert [job.state for job in rest] == [JobState.DONE] * 2
    assert paused == [True, False]
    assert sorted(await local.list_files(REC)) == [f"{REC}/p{i}" for i in range(3)]


async def test_chained_jobs_wait_for_their_parent(queue: JobQueue) -> None:
    """``then`` runs after the parent; a failed parent skips it; a retry runs both."""
    thumb = sleeper("thumbnail", 0.05, resource=RESOURCE_FFMPEG)
    upload = sleeper("upload", 0.2, fail=True)
    upload.then = [thumb]
    queue.add(upload)
    assert thumb.after == upload.id
    assert thumb in queue.jobs()
    await wait_final(upload, thumb)
    assert upload.state is JobState.FAILED
    assert upload.error == "unexpected error: RuntimeError"
    assert thumb.state is JobState.FAILED
    assert "upload" in thumb.error
    assert thumb.started_at is None

    async def works(progress: ProgressReporter) -> None:
        await asyncio.sleep(0.1)

    upload.run = works
    assert queue.retry(thumb.id), "retrying a skipped job brings back what it waits for"
    assert upload.state in (JobState.QUEUED, JobState.RUNNING)
    assert thumb.state is JobState.QUEUED
    await asyncio.sleep(0.02)
    assert thumb.state is JobState.QUEUED, "started before its parent finished"
    await wait_final(upload, thumb)
    assert (upload.state, thumb.state) == (JobState.DONE, JobState.DONE)
    assert thumb.started_at is not None
    assert upload.finished_at is not None
    assert thumb.started_at >= upload.finished_at


async def test_progress_signals_are_throttled(queue: JobQueue) -> None:
    """Thousands of progress calls reach the UI as about ten signals per second."""
    changes: list[str] = []
    queue.jobChanged.connect(changes.append)
    totals: list[int] = []
    queue.totalsChanged.connect(lambda: totals.append(1))

    async def flood(progress: ProgressReporter) -> None:
        progress.set_total(20_000)
        for done in range(1, 20_001):
            progress(done)
            if done % 100 == 0:
                await asyncio.sleep(0.005)

    job = queue.add(Job("flood", JobKind.COPY, flood))
    started = time.monotonic()
    await wait_final(job)
    elapsed = time.monotonic() - started
    assert job.state is JobState.DONE
    assert job.transferred == 20_000
    budget = elapsed * 10 + 4  # ten per second plus the state changes
    assert len(changes) <= budget, (len(changes), elapsed)
    assert len(totals) <= budget
    assert len(changes) >= 2


async def test_unexpected_error_becomes_the_jobs_error(
    queue: JobQueue, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in a job is logged and shown on its row; it never reaches sys.excepthook."""
    hooked: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: hooked.append(args))
    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))

    async def crash(progress: ProgressReporter) -> None:
        raise KeyError("secret detail")

    try:
        job = queue.add(Job("crashes", JobKind.MEDIA, crash))
        other = queue.add(sleeper("fine", 0.05))
        await wait_final(job, other)
        await asyncio.sleep(0.05)
    finally:
        loop.set_exception_handler(previous)
    assert job.state is JobState.FAILED
    assert job.error == "unexpected error: KeyError"
    assert other.state is JobState.DONE
    assert hooked == []
    assert loop_errors == []
    assert any(record.exc_info and "crashes" in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------------- cancel (F10)


async def test_cancel_mid_s3_upload_leaves_nothing(
    queue: JobQueue, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """Cancelling a 60 MiB multipart upload: no object, no open multipart upload, in < 2 s."""
    backend = make_s3(
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=2)
    )
    source = write_random(tmp_path / "big.mp4", 60 * MiB, seed=7)
    keep = queue.add_upload(backend, write_random(tmp_path / "small.mp4", MiB), f"{REC}/small.mp4")
    job = throttle(queue.add_upload(backend, source, f"{REC}/big.mp4"), 0.2)
    await wait_until(lambda: job.transferred >= 5 * MiB)
    assert await open_uploads(raw_s3, backend), "expected a multipart upload in progress"
    asked = time.monotonic()
    queue.cancel(job.id)
    assert job.cancel_requested
    assert job.state is JobState.RUNNING
    await wait_final(job, keep)
    assert time.monotonic() - asked < 2.0  # RELIABILITY F3
    assert job.state is JobState.CANCELLED
    assert not job.cancel_requested
    assert keep.state is JobState.DONE, "cancelling one job touched another"
    assert job.transferred < job.total
    assert await open_uploads(raw_s3, backend) == []
    assert await object_keys(raw_s3, backend) == [backend.key_for(f"{REC}/small.mp4")]
    assert backend.stats.orphaned_uploads == []


async def test_cancel_mid_download_leaves_no_temp_file(
    queue: JobQueue, make_s3: MakeS3, tmp_path: Path
) -> None:
    backend = make_s3()
    await backend.upload_file(f"{REC}/v.mp4", write_random(tmp_path / "v.mp4", 20 * MiB))
    target = tmp_path / "downloads" / "v.mp4"
    job = throttle(queue.add_download(backend, f"{REC}/v.mp4", target), 0.2)
    await wait_until(lambda: job.transferred > 0)
    assert partials_under(target.parent), "no temp file while downloading?"
    queue.cancel(job.id)
    await wait_final(job)
    assert job.state is JobState.CANCELLED
    assert not target.exists()
    assert partials_under(target.parent) == []


async def test_cancel_all_and_queued_cancel(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path
) -> None:
    queue.set_limit("transfer", 1)
    files = [write_random(tmp_path / f"c{i}.bin", 12 * MiB, seed=i) for i in range(4)]
    jobs = [throttle(queue.add_upload(local, f, f"{REC}/c{i}"), 0.2) for i, f in enumerate(files)]
    queue.cancel(jobs[2].id)  # still queued: cancelled at once
    assert jobs[2].state is JobState.CANCELLED
    await wait_until(lambda: jobs[0].transferred > 0)
    queue.cancel_all()
    await wait_final(*jobs)
    assert [job.state for job in jobs] == [JobState.CANCELLED] * 4
    assert [job.started_at is not None for job in jobs] == [True, False, False, False]
    assert await local.list_files() == []
    assert partials_under(local.base_path) == []


async def test_shutdown_with_transfers_running(
    queue: JobQueue, make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """F10: three transfers running; shutdown cancels, aborts and cleans up well within 5 s."""
    backend = make_s3(
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=2)
    )
    await backend.upload_file(f"{REC}/remote.mp4", write_random(tmp_path / "r.mp4", 20 * MiB))
    queue.set_limit("transfer", 3)
    downloads = tmp_path / "downloads"
    jobs = [
        throttle(
            queue.add_upload(
                backend, write_random(tmp_path / f"u{i}.mp4", 30 * MiB, seed=i), f"{REC}/u{i}.mp4"
            ),
            0.3,
        )
        for i in range(2)
    ]
    jobs.append(
        throttle(queue.add_download(backend, f"{REC}/remote.mp4", downloads / "remote.mp4"), 0.3)
    )
    queued = queue.add_upload(backend, tmp_path / "u0.mp4", f"{REC}/later.mp4")
    await wait_until(lambda: all(job.transferred > 0 for job in jobs))
    assert queue.running_count() == 3

    started = time.monotonic()
    assert await queue.shutdown()
    assert time.monotonic() - started < 4.5
    assert [job.state for job in [*jobs, queued]] == [JobState.CANCELLED] * 4
    assert await open_uploads(raw_s3, backend) == []
    assert await object_keys(raw_s3, backend) == [backend.key_for(f"{REC}/remote.mp4")]
    assert partials_under(downloads) == []
    assert not (downloads / "remote.mp4").exists()
    with pytest.raises(RuntimeError, match="shut down"):
        queue.add(sleeper("too late", 0.01))


# --------------------------------------------------------------------------- failures


async def test_retry_after_a_failed_download(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "late.mp4"
    job = queue.add_download(local, f"{REC}/late.mp4", target)
    await wait_final(job)
    assert job.state is JobState.FAILED
    assert job.error.startswith("File not found")
    assert "late.mp4" in job.error
    assert not queue.paused

    await local.save(f"{REC}/late.mp4", b"now it exists")
    assert queue.retry(job.id)
    assert not queue.retry(job.id), "a queued job cannot be retried again"
    await wait_final(job)
    assert (job.state, job.error) == (JobState.DONE, "")
    assert target.read_bytes() == b"now it exists"


async def test_permission_denied_fails_only_that_job(
    queue: JobQueue,
    local: LocalStorageBackend,
    tmp_path: Path,
    mount_tmpfs: Callable[[str], Path],
) -> None:
    """F6: a read-only destination fails its one download; the others complete."""
    readonly = mount_tmpfs("ro,size=1m")
    for i in range(3):
        await local.save(f"{REC}/clip{i}.mp4", bytes([i]) * 200_000)
    queue.set_limit("transfer", 1)
    targets = [
        tmp_path / "out" / "clip0.mp4",
        readonly / "clip1.mp4",
        tmp_path / "out" / "clip2.mp4",
    ]
    jobs = [queue.add_download(local, f"{REC}/clip{i}.mp4", t) for i, t in enumerate(targets)]
    await wait_final(*jobs)
    assert [job.state for job in jobs] == [JobState.DONE, JobState.FAILED, JobState.DONE]
    assert "permission denied" in jobs[1].error.lower()
    assert not queue.paused
    assert list(readonly.iterdir()) == []
    assert targets[2].read_bytes() == bytes([2]) * 200_000


@pytest.mark.parametrize("limit", [1, 2])
async def test_disk_full_stops_the_queue(
    queue: JobQueue,
    local: LocalStorageBackend,
    tmp_path: Path,
    mount_tmpfs: Callable[[str], Path],
    limit: int,
) -> None:
    """F5: two 10 MiB downloads into 4 MiB: the queue stops; no job fails, nothing is left."""
    disk = mount_tmpfs("size=4m")
    sources = [write_random(tmp_path / f"s{i}.mp4", 10 * MiB, seed=i) for i in range(2)]
    for i, source in enumerate(sources):
        await local.upload_file(f"{REC}/v{i}.mp4", source)
    stopped: list[str] = []
    finished: list[str] = []
    queue.queueStopped.connect(stopped.append)
    queue.jobFinished.connect(lambda job_id, _ok: finished.append(job_id))
    queue.set_limit("transfer", limit)
    jobs = [queue.add_download(local, f"{REC}/v{i}.mp4", disk / f"v{i}.mp4") for i in range(2)]
    await wait_until(lambda: bool(stopped))
    await asyncio.sleep(0.1)
    assert queue.paused
    assert len(stopped) == 1
    assert "space" in stopped[0].lower()
    assert [job.state for job in jobs] == [JobState.QUEUED] * 2, "the disk-full stop failed jobs"
    assert finished == []
    assert list(disk.iterdir()) == []

    subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)
    queue.resume()
    await wait_final(*jobs)
    assert [job.state for job in jobs] == [JobState.DONE] * 2
    assert [sha256_of(disk / f"v{i}.mp4") for i in range(2)] == [sha256_of(s) for s in sources]


# --------------------------------------------------------------------------- model and panel


async def test_model_is_consistent_while_the_queue_runs(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path
) -> None:
    with model_test_failures() as failures:
        await _exercise_model(queue, local, tmp_path)
    assert failures == []


async def _exercise_model(queue: JobQueue, local: LocalStorageBackend, tmp_path: Path) -> None:
    model = TransferTableModel(queue)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    upload = queue.add_upload(local, write_random(tmp_path / "m.bin", 9 * MiB), f"{REC}/m.bin")
    missing = queue.add_download(local, f"{REC}/missing.mp4", tmp_path / "missing.mp4")
    media = queue.add(sleeper("probe", 0.2, resource=RESOURCE_FFMPEG))
    model.flush()  # jobs added in one loop turn become rows together at the next
    assert model.rowCount() == 3
    assert model.index(1, Column.PROGRESS).data(ProgressRole) == -1  # size not known yet
    await wait_final(upload, missing, media)
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert header == ["Name", "Direction", "Size", "Progress", "Speed", "ETA", "State"]
    row = [model.index(0, c).data() for c in Column]
    # Rows name the user and recording (issue 12); the full path is in the tooltip.
    assert row == ["user_000042 / rec-1 / m.bin", "Upload", "9.0 MiB", "100 %", "", "", "Done"]
    assert f"{REC}/m.bin" in model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, Column.STATE).data() == "Failed"
    assert "File not found" in model.index(1, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
    # A failed row says why where its progress bar would be.
    assert "File not found" in model.index(1, Column.PROGRESS).data()
    assert model.index(2, Column.SIZE).data() == "10 steps"
    assert [model.index(r, 0).data(JobIdRole) for r in range(3)] == [
        upload.id,
        missing.id,
        media.id,
    ]

    assert queue.retry(missing.id)
    await wait_final(missing)
    assert queue.clear_finished() == 3
    assert model.rowCount() == 0
    queue.add(sleeper("after clear", 0.05))
    model.flush()
    assert model.index(0, Column.NAME).data() == "after clear"
    assert resets == []
    del tester


async def test_panel_buttons_drive_the_queue(
    queue: JobQueue, local: LocalStorageBackend, tmp_path: Path, qtbot: QtBot
) -> None:
    panel = TransferPanel(queue)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    names = [
        "transferQueue",
        "pauseQueueButton",
        "cancelSelectedButton",
        "cancelAllButton",
        "retryFailedButton",
        "concurrencySpin",
        "queueTotals",
    ]
    assert all(panel.findChild(object, name) is not None for name in names)
    pause = panel.pause_button

    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert queue.paused
    assert pause.text() == "Resume"
    jobs = [queue.add(sleeper(f"job {i}", 0.1)) for i in range(4)]
    panel.model.flush()  # rows come at the next loop turn; a user sees them then
    panel.view.selectRow(1)
    flags = QItemSelectionModel.SelectionFlag
    shown = panel.view.model()  # the panel's display order (running, failed, queued, done)
    panel.view.selectionModel().select(shown.index(2, 0), flags.Select | flags.Rows)
    assert panel.selected_job_ids() == [jobs[1].id, jobs[2].id]
    qtbot.mouseClick(panel.cancel_selected_button, Qt.MouseButton.LeftButton)
    assert [job.state for job in jobs[1:3]] == [JobState.CANCELLED] * 2

    panel.concurrency_spin.setValue(5)
    assert queue.limit("transfer") == 5
    queue.set_limit("transfer", 3)
    assert panel.concurrency_spin.value() == 3

    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert not queue.paused
    assert pause.text() == "Pause"
    assert not panel.grab().isNull()  # paints the progress delegate while running
    await wait_final(*jobs)
    await wait_until(lambda: "2 done" in panel.totals_label.text())
    assert panel.totals_label.text() == "2 done · 2 cancelled"

    failed = queue.add_download(local, f"{REC}/late.mp4", tmp_path / "late.mp4")
    await wait_final(failed)
    await wait_until(panel.retry_failed_button.isEnabled)
    await local.save(f"{REC}/late.mp4", b"x")
    qtbot.mouseClick(panel.retry_failed_button, Qt.MouseButton.LeftButton)
    await wait_final(failed)
    assert failed.state is JobState.DONE

    # Context menu on the cancelled row: Retry is offered, Cancel is not.
    panel.view.selectRow(1)
    menu = panel.build_context_menu()
    actions = {action.text(): action for action in menu.actions()}
    assert not actions["Cancel"].isEnabled()
    assert actions["Retry"].isEnabled()
    actions["Retry"].trigger()
    await wait_final(jobs[1])
    assert jobs[1].state is JobState.DONE

    long = [queue.add(sleeper(f"long {i}", 5)) for i in range(4)]
    await wait_until(lambda: long[0].state is JobState.RUNNING)
    qtbot.mouseClick(panel.cancel_all_button, Qt.MouseButton.LeftButton)
    await wait_final(*long, timeout=2)
    assert [job.state for job in long] == [JobState.CANCELLED] * 4


async def test_stopped_queue_shows_its_reason(queue: JobQueue, qtbot: QtBot) -> None:
    panel = TransferPanel(queue)
    qtbot.addWidget(panel)
    panel.show()
    queue.pause()
    queue.queueStopped.emit("Disk full while writing /x; free some space and try again.")
    assert panel.message_label.isVisible()
    assert "Disk full" in panel.message_label.text()
    queue.resume()
    assert not panel.message_label.isVisible()


# --------------------------------------------------------------------------- speed and ETA


def test_speed_and_eta_from_synthetic_samples() -> None:
    meter = RateMeter(time_constant=2.0)
    assert meter.rate == 0.0
    assert meter.eta(100) is None
    assert meter.eta(0) == 0.0
    meter.reset(0.0)
    t, value = 0.0, 0
    for _ in range(50):  # 5 s at 10 MB/s, sampled every 100 ms
        t += 0.1
        value += 1_000_000
        meter.sample(t, value)
    assert meter.rate == pytest.approx(10e6, rel=0.01)
    assert meter.eta(50_000_000) == pytest.approx(5.0, rel=0.01)

    for _ in range(1000):  # a burst of callbacks 1 ms apart is measured as one interval
        t += 0.001
        value += 10_000
        meter.sample(t, value)
    assert meter.rate == pytest.approx(10e6, rel=0.02)

    for _ in range(60):  # the link doubles: after 3 time constants the rate has caught up
        t += 0.1
        value += 2_000_000
        meter.sample(t, value)
    assert meter.rate == pytest.approx(20e6, rel=0.06)

    stall_start = t
    for _ in range(100):  # stalled for 10 s: the rate fades instead of freezing
        t += 0.1
        meter.sample(t, value)
    assert meter.rate < 0.01 * 20e6
    assert meter.idle_for(t) == pytest.approx(t - stall_start)
    assert meter.eta(100_000_000) is not None
    assert meter.eta(100_000_000) > 600


def test_job_percent_eta_and_formatting(monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job("x", JobKind.DOWNLOAD)
    assert job.percent == -1
    assert job.eta is None
    assert job.speed == 0.0
    job.total, job.transferred, job.state = 200, 50, JobState.RUNNING
    now = time.monotonic()
    job.meter.reset(now - 1.0)
    job.meter.sample(now, 50)
    assert job.percent == 25
    assert job.eta == pytest.approx(3.0)
    assert not job.stalled
    monkeypatch.setattr(transfers, "STALL_SECONDS", 0.0)
    assert job.stalled
    assert job.eta is None, "a stalled transfer has no ETA"
    assert [format_duration(s) for s in (None, 0, 42.4, 3725)] == ["—", "0:00", "0:42", "1:02:05"]


async def test_adding_many_jobs_stays_cheap(queue: JobQueue) -> None:
    """A folder of thousands of files: one scan per loop turn, no per-job scan of the queue."""
    model = TransferTableModel(queue)
    started = time.monotonic()
    jobs = [queue.add(sleeper(f"clip {i}", 0.01)) for i in range(5000)]
    await asyncio.sleep(0.05)
    assert model.rowCount() == 5000
    assert queue.running_count() == 2
    queue.cancel_all()
    await wait_final(*jobs)
    assert time.monotonic() - started < 3.0


async def test_totals_line(queue: JobQueue) -> None:
    assert describe_totals(queue.totals()) == "No transfers"
    queue.pause()
    queue.add(Job("a", JobKind.UPLOAD, total=3 * 1024**3))
    done = queue.add(Job("b", JobKind.UPLOAD, total=1024**3))
    done.state = JobState.DONE
    assert describe_totals(queue.totals()) == "1 queued · 1 done — 1.0 GiB of 4.0 GiB"
