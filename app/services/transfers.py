"""The job queue behind the transfer panel: uploads, downloads, deletes and (later) media jobs.

Every piece of work is a :class:`Job` whose ``run`` coroutine does the I/O and reports cumulative
progress. :class:`JobQueue` starts jobs as asyncio tasks within a per-resource limit ("transfer",
"ffmpeg", ...), so a later issue can put FFmpeg work in the same queue without touching the
scheduler, and chain jobs (upload, then thumbnail) with ``then``/``after``.

Cancelling is ``task.cancel()``: the storage layer removes temp files and aborts multipart uploads
on ``CancelledError``, so the queue only has to cancel and wait (RELIABILITY F10). A cleanup that
hangs (a frozen server) does not hold the row: after :data:`CANCEL_GRACE_SECONDS` the job is shown
cancelled and its cleanup finishes in the background (still awaited by :meth:`JobQueue.shutdown`).

Pause holds running jobs too: a job's progress report is where it may stop, so an upload stops
between parts and a download between chunks, with nothing lost; Resume lets them continue.

A full disk pauses the queue and puts the job that hit it back in line, instead of failing every
remaining item (F5): free some space, press Resume, and everything continues. Any other error
fails only its own job (F6). Progress is coalesced by a 100 ms timer, so a fast transfer cannot
flood the UI.
"""

# Qt signals are camelCase by convention, like the rest of Qt's API.

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.messages import describe
from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import DiskFullError, StorageError
from file_storage.path_builder import StoragePathBuilder

if TYPE_CHECKING:
    from app.services.queue_store import QueueStore, StoredJob

logger = logging.getLogger(__name__)

RESOURCE_TRANSFER = "transfer"
RESOURCE_FFMPEG = "ffmpeg"
DEFAULT_LIMITS = {RESOURCE_TRANSFER: 2, RESOURCE_FFMPEG: 1}
#: The unit of jobs that report a share done (0..100) rather than bytes: media jobs.
UNIT_PERCENT = "%"
#: Limit for a resource nobody configured: one at a time is the safe default.
FALLBACK_LIMIT = 1
#: Progress reaches the UI at most this often per job (10 signals/s).
FLUSH_INTERVAL_MS = 100
#: No new byte for this long while running: the speed column says "stalled" (F3).
STALL_SECONDS = 10.0
#: A cancelled job whose cleanup is still running after this long is shown as cancelled.
CANCEL_GRACE_SECONDS = 1.5


class JobKind(enum.Enum):
    """What a job does; the model shows it as the direction column."""

    UPLOAD = "Upload"
    DOWNLOAD = "Download"
    DELETE = "Delete"
    COPY = "Copy"
    MEDIA = "Media"


class JobState(enum.Enum):
    """Where a job is in its life; DONE, FAILED and CANCELLED are final until a retry."""

    QUEUED = "Queued"
    RUNNING = "Running"
    DONE = "Done"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


FINAL_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
RETRYABLE_STATES = frozenset({JobState.FAILED, JobState.CANCELLED})


class ProgressReporter(Protocol):
    """What a job's ``run`` receives: call it with cumulative units done.

    It is also a valid ``progress`` callback for :class:`StorageBackend` transfers.
    """

    def __call__(self, done: int) -> Awaitable[None] | None:
        """Report ``done`` units (bytes unless the job says otherwise) so far.

        While the queue is paused this returns an awaitable that completes on Resume: a job
        that awaits it (as the storage backends do) pauses right there.
        """

    def set_total(self, total: int) -> None:
        """Tell the queue the job's size once it is known (for example after a ``stat``)."""

    def set_detail(self, text: str) -> None:
        """Say what the job is doing right now ("downloading", "encoding 2.1x")."""

    def set_unverified(self, reason: str) -> None:
        """Say the job's result was saved without proof (why), so its row shows it when done."""


JobRunner = Callable[[ProgressReporter], Awaitable[None]]


class RateMeter:
    """A smoothed rate from cumulative samples, for speed and ETA.

    An exponentially weighted moving average whose weight depends on the time between samples,
    so bursts of callbacks and long gaps both count for the time they cover; a stall decays the
    rate toward zero instead of freezing the last value.

    Args:
        time_constant: Seconds after which an old rate has faded to about a third (1/e).
    """

    MIN_INTERVAL = 0.05

    def __init__(self, time_constant: float = 3.0) -> None:
        self.time_constant = time_constant
        self._rate: float | None = None
        self._last_time: float | None = None
        self._last_value = 0
        self._last_increase: float | None = None

    def reset(self, now: float, value: int = 0) -> None:
        """Start measuring afresh from ``value`` at ``now``."""
        self._rate = None
        self._last_time = now
        self._last_value = value
        self._last_increase = now

    def sample(self, now: float, value: int) -> None:
        """Record that ``value`` units were done by ``now`` (monotonic seconds)."""
        if self._last_time is None:
            self.reset(now, value)
            return
        if value > self._last_value:
            self._last_increase = now
        elapsed = now - self._last_time
        if elapsed < self.MIN_INTERVAL:
            return  # too short to measure; the next sample covers this one too
        instant = max(0, value - self._last_value) / elapsed
        if self._rate is None:
            self._rate = instant
        else:
            weight = 1.0 - math.exp(-elapsed / self.time_constant)
            self._rate += weight * (instant - self._rate)
        self._last_time, self._last_value = now, value

    @property
    def rate(self) -> float:
        """Units per second (0.0 before the first measurable interval)."""
        return self._rate or 0.0

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` units, or ``None`` when it cannot be estimated."""
        if remaining <= 0:
            return 0.0
        if self.rate <= 0:
            return None
        return remaining / self.rate

    def idle_for(self, now: float) -> float:
        """Seconds since the value last grew."""
        return 0.0 if self._last_increase is None else max(0.0, now - self._last_increase)


def _new_id() -> str:
    return str(uuid.uuid4())


def display_name(path: str) -> str:
    """How a queue row names a storage path: who and which recording, not just the file.

    ``users/user_000042/recordings/lecture-5/source.mp4`` -> ``user_000042 / lecture-5 /
    source.mp4`` (every recording has a ``source.mp4``); any other path keeps its last three
    parts. The full path is the row's tooltip.
    """
    clean = path.strip("/")
    parsed = StoragePathBuilder.parse_recording(clean)
    parts = clean.split("/")
    if parsed is not None:
        user, recording = parsed
        rest = parts[4:]
        return " / ".join([user, recording, *rest])
    return " / ".join(parts[-3:]) if parts else path


async def _not_set(progress: ProgressReporter) -> None:
    raise StorageError("This job has nothing to run.")


@dataclass(eq=False)
class Job:
    """One unit of work in the queue, and what the panel shows about it.

    Attributes:
        title: The row's name (a file name, "Delete 12 files").
        kind: What the job does.
        run: Coroutine function doing the work; receives a :class:`ProgressReporter`.
        source, destination: Where from and where to, for tooltips and chaining.
        total: Size in ``unit`` (bytes by default); 0 while unknown.
        unit: ``"B"`` for bytes, :data:`UNIT_PERCENT` for jobs that report a share done (media
            jobs); anything else is shown as a plain count ("files").
        detail: What a running job is doing right now, shown beside its progress.
        input_size: Bytes the job reads, shown as its size when ``unit`` is not bytes.
        resource: Which concurrency limit the job counts against.
        after: Id of a job that must finish DONE before this one starts.
        then: Jobs added with ``after`` set to this job when this one is added.
        id, state, transferred, error, started_at, finished_at: Set by the queue.
        cancel_requested: A cancel was asked for and cleanup is still running.
        hold: ``""`` normally; ``"pausing"`` when the queue was paused while the job runs and it
            has not reached a point where it can stop, ``"paused"`` once it stopped there.
    """

    title: str
    kind: JobKind
    run: JobRunner = _not_set
    source: str = ""
    destination: str = ""
    total: int = 0
    unit: str = "B"
    resource: str = RESOURCE_TRANSFER
    after: str | None = None
    then: list[Job] = field(default_factory=list)
    id: str = field(default_factory=_new_id)
    state: JobState = JobState.QUEUED
    transferred: int = 0
    error: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    cancel_requested: bool = False
    hold: str = ""
    detail: str = ""
    unverified: str = ""
    input_size: int = 0
    #: How to queue the job again after a restart: ``(op, args)`` for the :class:`QueueStore`.
    persist: tuple[str, dict[str, object]] | None = field(default=None, repr=False)
    #: Set on a job brought back from the last session: the note its row shows (kept by retry).
    restored: str = ""
    meter: RateMeter = field(default_factory=RateMeter, repr=False)

    @property
    def counts_bytes(self) -> bool:
        return self.unit == "B"

    @property
    def speed(self) -> float:
        """Smoothed units per second while running (and not held by Pause), else 0."""
        if self.state is not JobState.RUNNING or self.hold == "paused":
            return 0.0
        return self.meter.rate

    @property
    def eta(self) -> float | None:
        """Seconds left while running with a known total and moving, else ``None``."""
        if self.state is not JobState.RUNNING or self.total <= 0 or self.stalled or self.hold:
            return None
        return self.meter.eta(self.total - self.transferred)

    @property
    def percent(self) -> int:
        """0..100, or -1 while the total is unknown."""
        if self.state is JobState.DONE:
            return 100
        if self.total <= 0:
            return -1
        return min(100, self.transferred * 100 // self.total)

    @property
    def stalled(self) -> bool:
        """Running, but no progress for :data:`STALL_SECONDS`."""
        return (
            self.state is JobState.RUNNING
            and not self.hold
            and self.meter.idle_for(time.monotonic()) >= STALL_SECONDS
        )

    def reset(self) -> None:
        """Forget a previous attempt, so the job can be queued again."""
        self.state = JobState.QUEUED
        self.transferred = 0
        self.error = ""
        self.started_at = self.finished_at = None
        self.cancel_requested = False
        self.hold = ""
        self.detail = ""
        self.unverified = ""
        self.meter = RateMeter()


@dataclass(frozen=True)
class QueueTotals:
    """A snapshot of the whole queue for the totals line."""

    counts: dict[JobState, int]
    bytes_done: int
    bytes_total: int
    speed: float
    #: Running jobs that Pause holds (counted in RUNNING too).
    held: int = 0

    def count(self, state: JobState) -> int:
        return self.counts.get(state, 0)


class _Progress:
    """The :class:`ProgressReporter` the queue hands to one job."""

    def __init__(self, queue: JobQueue, job: Job) -> None:
        self._queue = queue
        self._job = job

    def __call__(self, done: int) -> asyncio.Future[None] | None:
        """Record progress; while the queue is paused, return a future to wait on.

        A future (not a coroutine): a job that does not await its progress calls loses
        nothing and triggers no "never awaited" warning; one that awaits stops right here.
        """
        self._queue._on_progress(self._job, done)
        return self._queue._hold_point(self._job)

    def set_total(self, total: int) -> None:
        self._job.total = max(0, total)
        self._queue._mark_dirty(self._job)

    def set_detail(self, text: str) -> None:
        if text != self._job.detail:
            self._job.detail = text
            self._queue._mark_dirty(self._job)

    def set_unverified(self, reason: str) -> None:
        self._job.unverified = reason
        self._queue._mark_dirty(self._job)


class JobQueue(QObject):
    """Runs jobs as asyncio tasks, at most ``limit(resource)`` at once per resource.

    Jobs start in queue order as room frees up. Methods are plain (not async) and must be called
    on the running qasync loop, which is where every Qt slot runs; only :meth:`shutdown` awaits.

    Args:
        parent: Usual QObject parent.

    Signals:
        jobAdded(str): A job (by id) joined the end of the queue.
        jobChanged(str): A job's state changed (immediately) or its progress moved (throttled).
        jobFinished(str, bool): A job reached DONE (True), FAILED or CANCELLED (False).
        jobRemoved(str): A finished job was cleared from the queue.
        totalsChanged(): :meth:`totals` changed (coalesced, at most 10 per second).
        queueStopped(str): The queue paused itself; the argument says why in a sentence.
        pausedChanged(bool): The queue was paused (True) or resumed (False).
        limitChanged(str, int): A resource's concurrency limit changed.
    """

    jobAdded = Signal(str)
    jobChanged = Signal(str)
    jobFinished = Signal(str, bool)
    jobRemoved = Signal(str)
    totalsChanged = Signal()
    queueStopped = Signal(str)
    pausedChanged = Signal(bool)
    limitChanged = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Tasks of cancelled jobs whose cleanup outlived CANCEL_GRACE_SECONDS.
        self._cleanups: set[asyncio.Task[None]] = set()
        #: Futures that running jobs wait on while the queue is paused.
        self._held: list[asyncio.Future[None]] = []
        self._children: dict[str, list[Job]] = {}  # job id -> jobs waiting for it
        self._limits = dict(DEFAULT_LIMITS)
        self._paused = False
        self._closing = False
        self._stop_reason: str | None = None
        self._dirty: set[str] = set()
        self._totals_dirty = False
        self._schedule_pending = False
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._flush)
        # The queue on disk (see app.services.queue_store); writes are batched per loop turn.
        self._store: QueueStore | None = None
        self._scope = ""
        self._to_put: list[Job] = []
        self._to_mark: dict[str, str] = {}
        self._to_remove: set[str] = set()
        self._persist_pending = False

    # ----------------------------------------------------------------- reading

    def job(self, job_id: str) -> Job:
        """Return the job with ``job_id``.

        Raises:
            KeyError: No such job (never added, or cleared).
        """
        return self._jobs[job_id]

    def jobs(self) -> list[Job]:
        """Every job, in queue order."""
        return list(self._jobs.values())

    @property
    def paused(self) -> bool:
        return self._paused

    def limit(self, resource: str) -> int:
        """How many jobs of ``resource`` may run at once."""
        return self._limits.get(resource, FALLBACK_LIMIT)

    def running_count(self, resource: str | None = None) -> int:
        """Jobs running now, of ``resource`` or of any resource."""
        return sum(
            1
            for job in self._jobs.values()
            if job.state is JobState.RUNNING and resource in (None, job.resource)
        )

    def totals(self) -> QueueTotals:
        """Counts per state, bytes done of bytes to move (failed and cancelled left out), speed."""
        counts = dict.fromkeys(JobState, 0)
        done = total = held = 0
        speed = 0.0
        for job in self._jobs.values():
            counts[job.state] += 1
            held += job.state is JobState.RUNNING and job.hold == "paused"
            if not job.counts_bytes or job.state in (JobState.FAILED, JobState.CANCELLED):
                continue
            total += max(job.total, job.transferred)
            done += job.total if job.state is JobState.DONE else job.transferred
            speed += job.speed
        return QueueTotals(counts, done, total, speed, held)

    # ----------------------------------------------------------------- adding

    def add(self, job: Job) -> Job:
        """Queue ``job`` (and its ``then`` chain) and start what the limits allow.

        A job object is queued as new: any state from an earlier run is reset.

        Raises:
            ValueError: The id is taken, or ``after`` names a job that is not in the queue.
            RuntimeError: The queue was shut down.
        """
        if self._closing:
            raise RuntimeError("The transfer queue has shut down; no new jobs are accepted.")
        if job.id in self._jobs:
            raise ValueError(f"A job with id {job.id} is already queued.")
        if job.after is not None and job.after not in self._jobs:
            raise ValueError(f"Job {job.title!r} waits for unknown job {job.after}.")
        job.reset()
        self._jobs[job.id] = job
        if job.after is not None:
            self._children.setdefault(job.after, []).append(job)
        self._persist_put(job)
        self.jobAdded.emit(job.id)
        self._mark_dirty(None)
        for child in job.then:
            child.after = job.id  # set before add() so it is indexed as a dependent
            self.add(child)
        self._schedule()
        return job

    def add_upload(
        self,
        backend: StorageBackend,
        local_path: str | Path,
        path: str,
        *,
        original_name: str | None = None,
    ) -> Job:
        """Queue a streamed upload of the local file ``local_path`` to storage ``path``.

        Args:
            original_name: Kept with the file when the layout renames it (a dropped
                ``Лекция 5.mp4`` stored as ``.../source.mp4``).
        """
        local = Path(local_path)
        try:
            size = local.stat().st_size
        except OSError:
            size = 0  # the job itself reports the readable error when it runs
        job = Job(
            display_name(path), JobKind.UPLOAD, source=str(local), destination=path, total=size
        )
        job.run = functools.partial(self._upload, backend, local, path, original_name)
        args: dict[str, object] = {"local": str(local.absolute()), "path": path}
        if original_name:
            args["original_name"] = original_name
        job.persist = ("upload", args)
        return self.add(job)

    def add_download(
        self, backend: StorageBackend, path: str, local_path: str | Path, *, size: int = 0
    ) -> Job:
        """Queue a streamed download of storage ``path`` to ``local_path``.

        Args:
            size: The object's size if the caller knows it (from a listing); else it is looked up.
        """
        local = Path(local_path)
        job = Job(
            display_name(path), JobKind.DOWNLOAD, source=path, destination=str(local), total=size
        )
        job.run = functools.partial(self._download, backend, path, local)
        job.persist = ("download", {"path": path, "local": str(local.absolute()), "size": size})
        return self.add(job)

    def add_delete(self, backend: StorageBackend, paths: Sequence[str]) -> Job:
        """Queue one job deleting every path in ``paths`` (counted in files, not bytes)."""
        items = list(paths)
        title = (
            display_name(items[0])
            if len(items) == 1
            else self.tr("Delete %n files", "", len(items))
        )
        job = Job(
            title,
            JobKind.DELETE,
            source=", ".join(items[:3]) + (" ..." if len(items) > 3 else ""),
            total=len(items),
            unit="files",
        )
        job.run = functools.partial(self._delete, backend, items)
        side = "local" if isinstance(backend, LocalStorageBackend) else "s3"
        job.persist = ("delete", {"side": side, "paths": items})
        return self.add(job)

    @staticmethod
    async def _upload(
        backend: StorageBackend,
        local: Path,
        path: str,
        original_name: str | None,
        progress: ProgressReporter,
    ) -> None:
        await backend.upload_file(path, local, progress=progress, original_name=original_name)

    @staticmethod
    async def _download(
        backend: StorageBackend, path: str, local: Path, progress: ProgressReporter
    ) -> None:
        progress.set_total((await backend.stat(path)).size)
        result = await backend.download_file(path, local, progress=progress)
        # Nothing could prove these bytes (an SSE-KMS ETag and no recorded SHA-256): the file is
        # kept, and the row says so instead of a plain "Done" (issue 10: never silently).
        if result is not None and not result.verified:
            progress.set_unverified(result.unverified_reason or "no proof available")

    @staticmethod
    async def _delete(
        backend: StorageBackend, paths: list[str], progress: ProgressReporter
    ) -> None:
        for done, path in enumerate(paths, start=1):
            await backend.delete(path)
            hold = progress(done)
            if hold is not None:
                await hold

    # ----------------------------------------------------------------- control

    def pause(self) -> None:
        """Start no new job, and hold running ones at their next progress report.

        An upload stops between two parts, a download between two chunks; nothing is lost and
        :meth:`resume` continues them. A job that reports no progress (a single small request)
        finishes.
        """
        if not self._paused:
            self._paused = True
            for job in self._jobs.values():
                # Transfers stop at their next progress report; a media job's encoder runs on
                # (ffmpeg cannot stop between parts), so it is not shown as pausing.
                if (
                    job.state is JobState.RUNNING
                    and job.resource == RESOURCE_TRANSFER
                    and not job.cancel_requested
                ):
                    job.hold = "pausing"
                    self.jobChanged.emit(job.id)
            self.pausedChanged.emit(True)
            self._mark_dirty(None)

    def resume(self) -> None:
        """Continue held jobs and start queued ones again (also after the queue stopped itself)."""
        self._stop_reason = None
        if self._paused:
            self._paused = False
            now = time.monotonic()
            for job in self._jobs.values():
                if job.hold:
                    job.hold = ""
                    job.meter.reset(now, job.transferred)  # a pause is not a stall
                    self.jobChanged.emit(job.id)
            waiters, self._held = self._held, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self.pausedChanged.emit(False)
            self._mark_dirty(None)
        self._schedule()

    def _hold_point(self, job: Job) -> asyncio.Future[None] | None:
        """A future that completes on :meth:`resume` if ``job`` must stop here, else ``None``."""
        if not self._paused or job.cancel_requested or job.state is not JobState.RUNNING:
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held.append(waiter)
        if job.hold != "paused":
            job.hold = "paused"
            self.jobChanged.emit(job.id)
            self._mark_dirty(None)
        return waiter

    def set_limit(self, resource: str, n: int) -> None:
        """Allow ``n`` (at least 1) jobs of ``resource`` at once; running jobs are not stopped."""
        n = max(1, int(n))
        if self._limits.get(resource) == n:
            return
        self._limits[resource] = n
        self.limitChanged.emit(resource, n)
        self._schedule()

    def cancel(self, job_id: str) -> None:
        """Cancel a queued or running job; finished jobs are left as they are.

        A running job stays RUNNING (with ``cancel_requested``) until its cleanup is done.
        """
        job = self._jobs.get(job_id)
        if job is not None:
            self._cancel(job)
            self._schedule()

    def cancel_all(self) -> None:
        """Cancel every queued and running job."""
        for job in self.jobs():
            self._cancel(job)
        self._schedule()

    def _cancel(self, job: Job) -> None:
        if job.state in FINAL_STATES:
            return
        task = self._tasks.get(job.id)
        if task is None:
            self._finish(job, JobState.CANCELLED)
        elif not job.cancel_requested:
            job.cancel_requested = True
            job.hold = ""
            task.cancel()
            self.jobChanged.emit(job.id)
            asyncio.get_running_loop().call_later(
                CANCEL_GRACE_SECONDS, self._stop_waiting_for, job, task
            )

    def _stop_waiting_for(self, job: Job, task: asyncio.Task[None]) -> None:
        """The cancelled job's cleanup still runs (a frozen server): show it cancelled now.

        The task moves to the background set: :meth:`shutdown` still waits for it, and a retry
        of the job gets a task of its own.
        """
        if self._tasks.get(job.id) is not task or task.done():
            return
        logger.warning("Cleanup of cancelled job %r continues in the background", job.title)
        del self._tasks[job.id]
        self._cleanups.add(task)
        self._finish(job, JobState.CANCELLED)
        self._schedule()

    def retry(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again, with what it chains to and waits for.

        A job skipped because its prerequisite failed brings that prerequisite back too;
        jobs chained after it that were skipped or cancelled are queued again as well.

        Returns:
            Whether the job was queued again.
        """
        job = self._jobs.get(job_id)
        if job is None or job.state not in RETRYABLE_STATES:
            return False
        root = job
        while (parent := self._parent(root)) is not None and parent.state in RETRYABLE_STATES:
            root = parent
        self._requeue(root)
        self._schedule()
        return True

    def retry_failed(self) -> int:
        """Queue every failed job again; return how many."""
        failed = [job for job in self._jobs.values() if job.state is JobState.FAILED]
        for job in failed:
            self._requeue(job)
        self._schedule()
        return len(failed)

    def clear_finished(self) -> int:
        """Remove DONE, FAILED and CANCELLED jobs from the queue; return how many."""
        finished = [job.id for job in self._jobs.values() if job.state in FINAL_STATES]
        for job_id in finished:
            job = self._jobs.pop(job_id)
            self._children.pop(job_id, None)
            if job.after in self._children:
                self._children[job.after].remove(job)
            self._dirty.discard(job_id)
            self.jobRemoved.emit(job_id)
        if finished:
            self._mark_dirty(None)
        return len(finished)

    async def shutdown(self, timeout: float = 4.0) -> bool:  # noqa: ASYNC109 - the cleanup budget
        """Cancel everything and wait up to ``timeout`` s for cleanup (used on quit, F10).

        Call it before closing the backends, so multipart aborts still have a client; the queue
        accepts no new job afterwards.

        Returns:
            True when every task finished its cleanup in time.
        """
        self._closing = True
        self.cancel_all()
        self.persist_now()
        tasks = [*self._tasks.values(), *self._cleanups]
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
        self._timer.stop()
        if pending:
            logger.warning(
                "%d job(s) did not finish cleaning up within %.1fs", len(pending), timeout
            )
        return not pending

    # ----------------------------------------------------------------- persistence

    def attach_store(self, store: QueueStore, scope: str) -> None:
        """Keep waiting and running jobs in ``store`` under ``scope`` from now on.

        Jobs already queued are recorded too. Call it before :meth:`restore` (which records the
        jobs it brings back and forgets their old rows).
        """
        self._store, self._scope = store, scope
        for job in self._jobs.values():
            if job.state not in FINAL_STATES:
                self._persist_put(job)

    def restore(
        self,
        stored: Sequence[StoredJob],
        backends: dict[str, StorageBackend | None],
    ) -> list[Job]:
        """Queue the last session's jobs again, each with a note saying it came back.

        An upload that was running starts again from the beginning of its file; the S3 backend
        continues a multipart upload from its journal where one was recorded, so only missing
        parts are sent. A job whose store is missing now (no bucket configured) is dropped.

        Args:
            stored: From :meth:`QueueStore.load` for this queue's scope.
            backends: ``{"local": ..., "s3": ...}``.

        Returns:
            The jobs queued again, in their old order.
        """
        jobs: list[Job] = []
        dropped: list[str] = []
        for item in stored:
            args = item.args
            remote = backends.get("s3")
            try:
                if item.op == "upload" and remote is not None:
                    name = args.get("original_name")
                    job = self.add_upload(
                        remote,
                        str(args["local"]),
                        str(args["path"]),
                        original_name=str(name) if name else None,
                    )
                elif item.op == "download" and remote is not None:
                    size = args.get("size")
                    job = self.add_download(
                        remote,
                        str(args["path"]),
                        str(args["local"]),
                        size=size if isinstance(size, int) else 0,
                    )
                elif item.op == "delete" and (target := backends.get(str(args["side"]))):
                    paths = args["paths"]
                    job = self.add_delete(
                        target, [str(p) for p in paths] if isinstance(paths, list) else []
                    )
                else:
                    dropped.append(item.id)
                    continue
            except (KeyError, ValueError) as exc:
                logger.warning("A stored %s job could not be read back: %s", item.op, exc)
                dropped.append(item.id)
                continue
            job.restored = (
                self.tr("From the last session: it was running when Leap Sync stopped.")
                if item.was_running
                else self.tr("From the last session: it was waiting when Leap Sync stopped.")
            )
            dropped.append(item.id)  # the job was recorded again under its new id
            jobs.append(job)
            self.jobChanged.emit(job.id)
        self._to_remove.update(dropped)
        self._schedule_persist()
        return jobs

    def persist_now(self) -> None:
        """Write pending changes to the store now (done on each loop turn anyway)."""
        self._persist_pending = False
        if self._store is None:
            self._to_put, self._to_mark, self._to_remove = [], {}, set()
            return
        puts = [job for job in self._to_put if job.id not in self._to_remove]
        marks = self._to_mark
        removes = self._to_remove
        self._to_put, self._to_mark, self._to_remove = [], {}, set()
        try:
            if puts:
                self._store.put(
                    self._scope, [(job.id, *job.persist) for job in puts if job.persist]
                )
            if marks:
                self._store.mark(marks)
            if removes:
                self._store.remove(removes)
        except Exception:  # a broken queue file must not stop the transfers themselves
            logger.exception("Could not save the transfer queue to %s", self._store.path)

    def _persist_put(self, job: Job) -> None:
        if self._store is not None and job.persist is not None:
            self._to_remove.discard(job.id)
            self._to_put.append(job)
            self._schedule_persist()

    def _persist_mark(self, job: Job, state: str) -> None:
        if self._store is not None and job.persist is not None:
            self._to_mark[job.id] = state
            self._schedule_persist()

    def _persist_remove(self, job: Job) -> None:
        if self._store is not None and job.persist is not None:
            self._to_mark.pop(job.id, None)
            self._to_remove.add(job.id)
            self._schedule_persist()

    def _schedule_persist(self) -> None:
        if not self._persist_pending:
            self._persist_pending = True
            asyncio.get_running_loop().call_soon(self.persist_now)

    # ----------------------------------------------------------------- scheduling

    def _requeue(self, job: Job) -> None:
        job.reset()
        self._persist_put(job)
        self.jobChanged.emit(job.id)
        self._mark_dirty(None)
        for child in self._dependents(job):
            if child.state in RETRYABLE_STATES:
                self._requeue(child)

    def _dependents(self, job: Job) -> list[Job]:
        return list(self._children.get(job.id, ()))

    def _parent(self, job: Job) -> Job | None:
        """The job ``job`` waits for, if any and still listed (a cleared one was finished)."""
        return self._jobs.get(job.after) if job.after else None

    def _schedule(self) -> None:
        """Look for jobs to start on the next loop iteration.

        Deferred and coalesced: adding a folder of ten thousand files costs one scan of the
        queue, not one per file, and a slot reacting to a signal never re-enters the scan.
        """
        if not self._schedule_pending:
            self._schedule_pending = True
            asyncio.get_running_loop().call_soon(self._run_schedule)

    def _run_schedule(self) -> None:
        self._schedule_pending = False
        self._start_ready_jobs()

    def _start_ready_jobs(self) -> None:
        running: dict[str, int] = {}
        for job in self._jobs.values():
            if job.state is JobState.RUNNING:
                running[job.resource] = running.get(job.resource, 0) + 1
        for job in list(self._jobs.values()):
            if job.state is not JobState.QUEUED:
                continue
            parent = self._parent(job)
            if parent is not None and parent.state in RETRYABLE_STATES:
                self._settle(job, parent)  # it would wait forever otherwise
                continue
            if self._paused or self._closing or (parent and parent.state is not JobState.DONE):
                continue
            if running.get(job.resource, 0) >= self.limit(job.resource):
                continue
            running[job.resource] = running.get(job.resource, 0) + 1
            self._start(job)

    def _start(self, job: Job) -> None:
        job.state = JobState.RUNNING
        job.error = ""
        job.transferred = 0
        job.started_at = time.time()
        job.meter.reset(time.monotonic())
        self._persist_mark(job, "running")
        task = asyncio.get_running_loop().create_task(self._execute(job), name=f"job {job.id}")
        self._tasks[job.id] = task
        # A done callback, not try/except in the coroutine: a task cancelled before its first
        # step never runs its body, but its callback still runs.
        task.add_done_callback(functools.partial(self._on_task_done, job))
        self.jobChanged.emit(job.id)
        self._mark_dirty(None)

    async def _execute(self, job: Job) -> None:
        await job.run(_Progress(self, job))

    def _on_task_done(self, job: Job, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job.id) is not task:
            # A cleanup that outlived its grace period: the job was shown cancelled already.
            self._cleanups.discard(task)
            if not task.cancelled() and task.exception() is not None:
                logger.info("Cleanup of %r ended: %s", job.title, task.exception())
            return
        del self._tasks[job.id]
        if task.cancelled():
            self._finish(job, JobState.CANCELLED)
        elif (exc := task.exception()) is None:
            self._finish(job, JobState.DONE)
        elif isinstance(exc, DiskFullError):
            self._stop_for_disk_full(job, exc)
        elif isinstance(exc, StorageError):
            logger.warning("Job %r failed: %s", job.title, exc, exc_info=exc)
            self._finish(job, JobState.FAILED, describe(exc))
        else:
            logger.error("Job %r crashed", job.title, exc_info=exc)
            error = self.tr("unexpected error: {name}").format(name=type(exc).__name__)
            self._finish(job, JobState.FAILED, error)
        self._schedule()

    def _stop_for_disk_full(self, job: Job, exc: DiskFullError) -> None:
        """Put the job back in the queue and pause, so the rest do not fail one by one (F5)."""
        job.reset()
        job.error = describe(exc)
        self.jobChanged.emit(job.id)
        self._mark_dirty(None)
        self.pause()
        if self._stop_reason != job.error:
            self._stop_reason = job.error
            self.queueStopped.emit(job.error)

    def _finish(self, job: Job, state: JobState, error: str = "") -> None:
        if not self._closing:  # a quit cancels jobs that must come back next time
            self._persist_remove(job)
        job.state = state
        job.error = error
        job.cancel_requested = False
        job.hold = ""
        job.finished_at = time.time()
        if state is JobState.DONE and job.total <= 0:
            job.total = job.transferred
        self._dirty.discard(job.id)
        self.jobChanged.emit(job.id)
        self.jobFinished.emit(job.id, state is JobState.DONE)
        self._mark_dirty(None)
        if state is not JobState.DONE:
            self._settle_dependents(job)

    def _settle_dependents(self, parent: Job) -> None:
        """Jobs waiting for a job that will not complete cannot run either."""
        for child in self._dependents(parent):
            if child.state is JobState.QUEUED:
                self._settle(child, parent)

    def _settle(self, child: Job, parent: Job) -> None:
        if parent.state is JobState.CANCELLED:
            self._finish(child, JobState.CANCELLED)
        else:
            error = self.tr("Skipped because “{title}” failed.").format(title=parent.title)
            self._finish(child, JobState.FAILED, error)

    # ----------------------------------------------------------------- progress

    def _on_progress(self, job: Job, done: int) -> None:
        if job.state is not JobState.RUNNING:
            return
        job.transferred = max(job.transferred, done)
        job.meter.sample(time.monotonic(), job.transferred)
        self._mark_dirty(job)

    def _mark_dirty(self, job: Job | None) -> None:
        """Note a change for the next flush; the timer coalesces them."""
        if job is not None:
            self._dirty.add(job.id)
        self._totals_dirty = True
        if not self._timer.isActive() and not self._closing:
            self._timer.start()

    def _flush(self) -> None:
        """Emit coalesced progress: one jobChanged per changed or running job, one totals."""
        now = time.monotonic()
        running = [job for job in self._jobs.values() if job.state is JobState.RUNNING]
        for job in running:
            job.meter.sample(now, job.transferred)  # lets the speed decay during a stall
        changed = self._dirty | {job.id for job in running}
        self._dirty = set()
        for job_id in self._ordered(changed):
            self.jobChanged.emit(job_id)
        if self._totals_dirty or running:
            self._totals_dirty = False
            self.totalsChanged.emit()
        if not running and not self._dirty and not self._totals_dirty:
            self._timer.stop()

    def _ordered(self, ids: Iterable[str]) -> list[str]:
        wanted = set(ids)
        return [job_id for job_id in self._jobs if job_id in wanted]
