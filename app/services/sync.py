"""``SyncService``: the sync engine (:mod:`file_storage.sync`) behind the app's Compare, Sync,
conflict and migration dialogs, with every copy running as a job in the app's queue.

The engine decides *what* to do; :func:`queue_runner` makes each of its steps a queue job, so
syncs and migrations get the same progress bars, limits, pause, cancel and disk-full handling as
any transfer. The engine keeps its own safety rules (empty or unreachable source, the delete
share, trash, conflicts keeping both); nothing here relaxes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal

from app.messages import describe, format_size
from app.services.transfers import Job, JobKind, JobQueue, JobState, ProgressReporter
from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import StorageError, SyncSafetyError
from file_storage.sync import (
    Action,
    ActionKind,
    CompareResult,
    Entry,
    MigrationProgress,
    MigrationReport,
    Runner,
    StepWork,
    SyncExecutor,
    SyncIndex,
    SyncMode,
    SyncPlan,
    SyncReport,
    build_plan,
    compare,
    migrate,
)

logger = logging.getLogger(__name__)

#: The queue's direction column for each kind of step.
JOB_KINDS = {
    ActionKind.UPLOAD: JobKind.UPLOAD,
    ActionKind.REPLACE_REMOTE: JobKind.UPLOAD,
    ActionKind.DOWNLOAD: JobKind.DOWNLOAD,
    ActionKind.REPLACE_LOCAL: JobKind.DOWNLOAD,
    ActionKind.DELETE_REMOTE: JobKind.DELETE,
    ActionKind.DELETE_LOCAL: JobKind.DELETE,
    ActionKind.KEEP_BOTH: JobKind.COPY,
}
#: The choices a conflict card offers.
KEEP_LOCAL, KEEP_REMOTE, KEEP_BOTH = "local", "remote", "both"


#: ``side -> (used bytes, limit or None)``: what a store holds against its quota.
Room = Callable[[str], tuple[int, int | None]]
#: The store names in the quota sentences (English source texts, context "SyncService").
SIDE_NAMES = {
    "local": QT_TRANSLATE_NOOP("SyncService", "This computer's store"),
    "s3": QT_TRANSLATE_NOOP("SyncService", "The S3 bucket"),
}


def bytes_needed(plan: SyncPlan) -> dict[str, int]:
    """Bytes ``plan`` adds to each side (``"local"``, ``"s3"``).

    A replaced version moves to the trash on its own side, so it still counts against the
    quota: a replace adds the whole new file. Deletes also keep their bytes (trash) and free
    nothing. *Keep both* puts each side's version on the other side.
    """
    needed = {"local": 0, "s3": 0}
    for action in plan.actions:
        kind = action.kind
        if kind in (ActionKind.UPLOAD, ActionKind.REPLACE_REMOTE):
            needed["s3"] += action.nbytes
        elif kind in (ActionKind.DOWNLOAD, ActionKind.REPLACE_LOCAL):
            needed["local"] += action.nbytes
        elif kind is ActionKind.KEEP_BOTH:
            entry = action.entry
            needed["s3"] += entry.local.size if entry.local is not None else 0
            needed["local"] += entry.remote.size if entry.remote is not None else 0
    return needed


def space_problem(plan: SyncPlan, room: Room) -> str | None:
    """Why ``plan`` does not fit the destination's quota (needed vs free), or ``None``.

    The same arithmetic as an upload's check (:func:`app.transfer_plan.quota_verdict`): used
    plus what the plan adds must stay within the limit, or the run would stop partway.
    """
    sentences = []
    for side, needed in bytes_needed(plan).items():
        if not needed:
            continue
        used, limit = room(side)
        if limit is None or used + needed <= limit:
            continue
        sentences.append(
            QCoreApplication.translate(
                "SyncService",
                "{store} has {free} free of its {quota} quota, but this needs {needed}.",
            ).format(
                store=QCoreApplication.translate("SyncService", SIDE_NAMES[side]),
                free=format_size(max(0, limit - used)),
                quota=format_size(limit),
                needed=format_size(needed),
            )
        )
    if not sentences:
        return None
    sentences.append(
        QCoreApplication.translate(
            "SyncService", "Free some space or raise the quota in Settings, then plan again."
        )
    )
    return " ".join(sentences)


async def backend_room(backend: StorageBackend) -> tuple[int, int | None]:
    """``(used + reserved, limit)`` of ``backend``'s own quota tracker (the one writes use).

    Raises:
        QuotaUnknownError: The store has a quota and its usage cannot be counted.
    """
    quota = backend.quota
    if quota.limit_bytes is None:
        return 0, None
    return await quota.usage() + quota.reserved_bytes, quota.limit_bytes


class SyncStepError(StorageError):
    """A step the queue ran failed or was cancelled there; the run goes on with the others."""


def queue_runner(queue: JobQueue) -> Runner:
    """A :data:`~file_storage.sync.Runner` that runs each step as a job in ``queue``.

    The step's coroutine runs inside the job (so the queue limits, pauses and cancels it) and the
    runner waits for the job to end. A job cancelled or failed in the queue fails that one step;
    cancelling the whole run cancels the step's job too.
    """

    async def run(action: Action, work: StepWork) -> None:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()
        # "rec-1/source.mp4", not "source.mp4": every recording has one of those.
        name = "/".join(action.path.split("/")[-2:])
        job = Job(
            name
            if action.kind is not ActionKind.KEEP_BOTH
            else QCoreApplication.translate("SyncService", "Keep both: {name}").format(name=name),
            JOB_KINDS[action.kind],
            source=action.path,
            destination=action.kind.value,
            total=action.nbytes if JOB_KINDS[action.kind] is not JobKind.DELETE else 1,
            unit="B" if JOB_KINDS[action.kind] is not JobKind.DELETE else "files",
        )

        async def job_run(progress: ProgressReporter) -> None:
            if job.unit == "B":
                await work(progress)
            else:
                await work(None)
                progress(1)

        job.run = job_run

        def on_finished(job_id: str, _ok: bool) -> None:
            if job_id == job.id and not finished.done():
                finished.set_result(None)

        queue.jobFinished.connect(on_finished)
        try:
            queue.add(job)
            await finished
        except asyncio.CancelledError:
            queue.cancel(job.id)
            raise
        finally:
            queue.jobFinished.disconnect(on_finished)
        if job.state is JobState.CANCELLED:
            raise SyncStepError(
                f"{action.path}: cancelled in the transfer queue.", path=action.path
            )
        if job.state is not JobState.DONE:
            raise SyncStepError(job.error or f"{action.path}: failed.", path=action.path)

    return run


class SyncService(QObject):
    """Compare, plan, run, resolve and migrate between the local store and the bucket.

    Signals:
        compared(object): A :class:`CompareResult` is ready (the trees show its states).
        synced(object): A :class:`SyncReport` or :class:`MigrationReport` after a run.

    Args:
        queue: Where every copy, replace and delete runs.
        index_path: The SQLite sync index (history, hash cache); opened on first use.
    """

    compared = Signal(object)
    synced = Signal(object)

    def __init__(
        self,
        queue: JobQueue,
        index_path: Path,
        *,
        trash_days: float | None = 30.0,
        max_delete_percent: float = 50.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = queue
        self.index = SyncIndex(index_path)
        self.trash_days = trash_days
        self.max_delete_percent = max_delete_percent
        self.last: CompareResult | None = None

    async def aclose(self) -> None:
        await self.index.close()

    async def compare(
        self, local: LocalStorageBackend, remote: StorageBackend, prefix: str
    ) -> CompareResult:
        """List both sides of ``prefix`` once and classify every file by content."""
        await self.index.open()
        result = await compare(local, remote, self.index, prefix)
        self.last = result
        self.compared.emit(result)
        return result

    @staticmethod
    def plan(result: CompareResult, mode: SyncMode, max_delete_percent: float) -> SyncPlan:
        return build_plan(result, mode, max_delete_percent=max_delete_percent)

    def executor(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        on_action: Callable[[Action, str | None], None] | None = None,
    ) -> SyncExecutor:
        return SyncExecutor(
            local,
            remote,
            self.index,
            runner=queue_runner(self.queue),
            trash_days=self.trash_days,
            on_action=on_action,
        )

    async def run(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        plan: SyncPlan,
        on_action: Callable[[Action, str | None], None] | None = None,
    ) -> SyncReport:
        """Run ``plan`` through the queue (blocked plans raise ``SyncSafetyError``)."""
        await self.index.open()
        report = await self.executor(local, remote, on_action).execute(plan)
        self.synced.emit(report)
        return report

    async def resolve(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        comparison: CompareResult,
        entry: Entry,
        choice: str,
    ) -> SyncReport:
        """Settle one conflict: keep the local version, the bucket's, or both (renamed)."""
        if entry.local is None or entry.remote is None:
            raise StorageError(f"{entry.path} is not on both sides any more; compare again.")
        if choice == KEEP_LOCAL:
            action = Action(ActionKind.REPLACE_REMOTE, entry, entry.local.size)
        elif choice == KEEP_REMOTE:
            action = Action(ActionKind.REPLACE_LOCAL, entry, entry.remote.size)
        elif choice == KEEP_BOTH:
            winner = "local" if entry.local.modified >= entry.remote.modified else "remote"
            action = Action(
                ActionKind.KEEP_BOTH, entry, entry.local.size + entry.remote.size, winner
            )
        else:
            raise ValueError(f"unknown choice {choice!r}")
        plan = SyncPlan(SyncMode.TWO_WAY, comparison, actions=[action], max_delete_percent=100)
        return await self.run(local, remote, plan)

    async def migrate(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        *,
        to: str,
        delete_source: bool,
        dry_run: bool,
        on_progress: Callable[[MigrationProgress], None] | None = None,
        on_plan: Callable[[SyncPlan], None] | None = None,
    ) -> MigrationReport:
        """Copy the whole store across (resumable, verified), through the queue.

        The plan is checked against the destination's quota before anything is copied: a plan
        that does not fit comes back blocked (its ``blocked`` says needed vs free) and a real
        run of it stops with :class:`SyncSafetyError` instead of failing partway.
        """
        await self.index.open()
        destination, side = (remote, "s3") if to == "remote" else (local, "local")
        try:
            room = await backend_room(destination)
            quota_error = ""
        except StorageError as exc:  # usage unknown: writes would be refused, say why now
            room, quota_error = (0, None), describe(exc)

        def checked(plan: SyncPlan) -> None:
            problem = quota_error or space_problem(plan, lambda s: room if s == side else (0, None))
            if problem and plan.actions and not plan.blocked:
                plan.blocked = problem
            if on_plan is not None:
                on_plan(plan)
            if plan.blocked and not dry_run:
                raise SyncSafetyError(plan.blocked)

        report = await migrate(
            local,
            remote,
            self.index,
            to=to,
            delete_source=delete_source,
            dry_run=dry_run,
            runner=queue_runner(self.queue),
            on_progress=on_progress,
            on_plan=checked,
            trash_days=self.trash_days,
        )
        if not dry_run:
            self.synced.emit(report)
        return report
