"""The migration assistant: copy a whole store to the other side, resumably and verified.

``migrate(..., to="remote")`` is the design note's Option 2 done properly: it plans an upload
of every local file that S3 does not already hold with the same content, runs it with per-user
progress and an ETA, verifies every object, and records each verified file in the sync index as
soon as it is done. Killed or cancelled, it resumes on the next run without re-sending anything
already verified (the compare finds those identical from the index alone, reading no content).
Local copies are deleted only when asked, and only after their copy was verified.
``to="local"`` goes the other way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.path_builder import StoragePathBuilder
from file_storage.progress import ProgressCallback, report_progress
from file_storage.sync.compare import FileState, compare
from file_storage.sync.execute import Runner, StepWork, SyncExecutor, direct_runner
from file_storage.sync.index import SyncIndex, pair_id
from file_storage.sync.plan import Action, SyncMode, SyncPlan, build_plan

SHARED = "(shared)"


def user_of(path: str) -> str:
    """The user slug a path belongs to, or ``"(shared)"``."""
    return StoragePathBuilder.parse_user_slug(path) or SHARED


@dataclass(slots=True)
class UserTotals:
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class MigrationProgress:
    """One progress update: the user whose file moved, and the overall picture."""

    user: str
    user_files_done: int
    user_files_total: int
    user_bytes_done: int
    user_bytes_total: int
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    eta_seconds: float | None


@dataclass(slots=True)
class MigrationReport:
    """The end-of-run report."""

    direction: str
    plan: SyncPlan
    files_copied: int = 0
    bytes_copied: int = 0
    already_present: int = 0
    sources_deleted: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    per_user: dict[str, UserTotals] = field(default_factory=dict)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


async def migrate(
    local: LocalStorageBackend,
    remote: StorageBackend,
    index: SyncIndex,
    *,
    to: str = "remote",
    delete_source: bool = False,
    dry_run: bool = False,
    runner: Runner = direct_runner,
    concurrency: int = 8,
    trash_days: float | None = 30.0,
    on_progress: Callable[[MigrationProgress], None] | None = None,
    on_plan: Callable[[SyncPlan], None] | None = None,
) -> MigrationReport:
    """Copy every file of one side to the other; see the module docstring.

    Args:
        to: ``"remote"`` (local -> S3) or ``"local"`` (S3 -> local).
        delete_source: Delete each source file once its copy is verified (also files that
            were already present and identical).
        dry_run: Stop after planning.
        runner: Runs each copy (the app's job queue, or :func:`direct_runner`).
        on_progress: Called after each file and during transfers.
        on_plan: Called with the plan before anything is copied.

    Raises:
        StorageError: A side could not be listed.
    """
    if to not in ("remote", "local"):
        raise ValueError(f"migrate to 'remote' or 'local', not {to!r}")
    started = time.monotonic()
    upward = to == "remote"
    comparison = await compare(local, remote, index)
    plan = build_plan(
        comparison, SyncMode.UPLOAD if upward else SyncMode.DOWNLOAD, max_delete_percent=100
    )
    report = MigrationReport(to, plan, dry_run=dry_run)
    report.skipped.extend(plan.skipped)
    present = [
        e.path
        for e in comparison.entries
        if e.state is FileState.IDENTICAL and (e.local if upward else e.remote) is not None
    ]
    report.already_present = len(present)
    for action in plan.actions:
        totals = report.per_user.setdefault(user_of(action.path), UserTotals())
        totals.files_total += 1
        totals.bytes_total += action.nbytes
    if on_plan is not None:
        on_plan(plan)
    if dry_run:
        report.seconds = time.monotonic() - started
        return report
    source: StorageBackend = local if upward else remote
    await index.set_locations(
        _store_id(local, remote), [(path, "remote" if upward else "local") for path in present]
    )
    store = _store_id(local, remote)
    if delete_source:
        for path in present:
            await _delete_source(source, index, store, path)
            report.sources_deleted += 1

    tracker = _Tracker(report, on_progress)

    async def run(action: Action, work: StepWork) -> None:
        async def tracked(progress: ProgressCallback | None) -> None:
            async def step(done: int) -> None:
                tracker.moving(action, done)
                await report_progress(progress, done)

            await work(step)

        await runner(action, tracked)
        if delete_source:
            await _delete_source(source, index, store, action.path)
            report.sources_deleted += 1

    executor = SyncExecutor(
        local,
        remote,
        index,
        runner=run,
        concurrency=concurrency,
        trash_days=trash_days,
        track_locations=True,
        on_action=tracker.finished,
    )
    result = await executor.execute(plan)
    report.files_copied = result.files_copied
    report.bytes_copied = result.bytes_copied
    report.failed = [(action.path, message) for action, message in result.failed]
    report.seconds = time.monotonic() - started
    return report


async def _delete_source(source: StorageBackend, index: SyncIndex, store: str, path: str) -> None:
    """Delete a verified source copy and its sync history (one side only now, on purpose:
    a later sync must not read the missing copy as a deletion to propagate)."""
    await source.delete(path)
    await index.forget_synced(store, [path])


def _store_id(local: LocalStorageBackend, remote: StorageBackend) -> str:
    return pair_id(local.base_path, remote.describe())


class _Tracker:
    """Per-user and overall counters, and the ETA from the average rate so far."""

    def __init__(
        self, report: MigrationReport, on_progress: Callable[[MigrationProgress], None] | None
    ) -> None:
        self.report = report
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.in_flight: dict[str, int] = {}
        self.files_total = sum(t.files_total for t in report.per_user.values())
        self.bytes_total = sum(t.bytes_total for t in report.per_user.values())
        self.files_done = 0
        self.bytes_done = 0

    def moving(self, action: Action, done: int) -> None:
        self.in_flight[action.path] = min(done, action.nbytes)
        self._emit(user_of(action.path))

    def finished(self, action: Action, error: str | None) -> None:
        self.in_flight.pop(action.path, None)
        totals = self.report.per_user[user_of(action.path)]
        if error is None:
            totals.files_done += 1
            totals.bytes_done += action.nbytes
            self.files_done += 1
            self.bytes_done += action.nbytes
        else:
            totals.failed += 1
        self._emit(user_of(action.path))

    def _emit(self, user: str) -> None:
        if self.on_progress is None:
            return
        totals = self.report.per_user[user]
        moved = self.bytes_done + sum(self.in_flight.values())
        elapsed = time.monotonic() - self.started
        eta = None
        if moved > 0 and elapsed > 0:
            eta = (self.bytes_total - moved) / (moved / elapsed)
        self.on_progress(
            MigrationProgress(
                user,
                totals.files_done,
                totals.files_total,
                totals.bytes_done,
                totals.bytes_total,
                self.files_done,
                self.files_total,
                moved,
                self.bytes_total,
                eta,
            )
        )
