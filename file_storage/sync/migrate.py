"""The migration assistant: copy a whole store to the other side, resumably and verified.

``migrate(..., to="remote")`` is the design note's Option 2 done properly: it plans an upload
of every local file that S3 does not already hold with the same content, runs it with per-user
progress and an ETA, verifies every object, and records each verified file in the sync index as
soon as it is done. Killed or cancelled, it resumes on the next run without re-sending anything
already verified (the compare finds those identical from the index alone, reading no content).
``to="local"`` goes the other way.

Sources are deleted only when asked, and only after :func:`~file_storage.sync.proof.prove_same`
proved, from bytes read at that moment on both sides, that the other side holds the same content:
the index and the compare are hints, never proof for a delete. Every deleted path is listed in the
report; a source that cannot be proven is kept and named with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import StorageError
from file_storage.path_builder import StoragePathBuilder
from file_storage.progress import ProgressCallback, report_progress
from file_storage.sync.compare import FileState, compare
from file_storage.sync.execute import Runner, StepWork, SyncExecutor, direct_runner
from file_storage.sync.index import SyncIndex, pair_id
from file_storage.sync.plan import Action, SyncMode, SyncPlan, build_plan
from file_storage.sync.proof import Proof, prove_same

logger = logging.getLogger(__name__)

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
    """The end-of-run report.

    Attributes:
        deleted: Source paths deleted (each proven equal on the other side first).
        failed: ``(path, reason)`` of copies that failed, and of sources kept because their
            copy could not be proven equal just before the delete.
    """

    direction: str
    plan: SyncPlan
    files_copied: int = 0
    bytes_copied: int = 0
    already_present: int = 0
    sources_deleted: int = 0
    deleted: list[str] = field(default_factory=list)
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
    keep: Callable[[str], bool] | None = None,
) -> MigrationReport:
    """Copy every file of one side to the other; see the module docstring.

    Args:
        to: ``"remote"`` (local -> S3) or ``"local"`` (S3 -> local).
        delete_source: Delete each source file once its copy is proven equal from bytes read
            just before the delete (also files that were already present and identical).
        dry_run: Stop after planning.
        runner: Runs each copy (the app's job queue, or :func:`direct_runner`).
        on_progress: Called after each file and during transfers.
        on_plan: Called with the plan before anything is copied.
        keep: Only paths it accepts are migrated (the command line's --include/--exclude).

    Raises:
        StorageError: A side could not be listed.
    """
    if to not in ("remote", "local"):
        raise ValueError(f"migrate to 'remote' or 'local', not {to!r}")
    started = time.monotonic()
    upward = to == "remote"
    comparison = await compare(local, remote, index)
    if keep is not None:
        comparison.entries = [entry for entry in comparison.entries if keep(entry.path)]
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
    await index.set_locations(
        _store_id(local, remote), [(path, "remote" if upward else "local") for path in present]
    )
    store = _store_id(local, remote)
    deleter = _SourceDeleter(local, remote, index, store, report, upward=upward)
    if delete_source:
        proofs = asyncio.Semaphore(concurrency)

        async def delete_present(path: str) -> None:
            async with proofs:
                await deleter.delete(path)

        await asyncio.gather(*(delete_present(path) for path in present))

    tracker = _Tracker(report, on_progress)

    async def run(action: Action, work: StepWork) -> None:
        async def tracked(progress: ProgressCallback | None) -> None:
            async def step(done: int) -> None:
                tracker.moving(action, done)
                await report_progress(progress, done)

            await work(step)

        await runner(action, tracked)
        if delete_source:
            await deleter.delete(action.path)

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
    report.failed = [(action.path, message) for action, message in result.failed] + deleter.kept
    report.deleted.sort()
    report.seconds = time.monotonic() - started
    return report


class _SourceDeleter:
    """Deletes sources one by one, each only after a fresh proof that the copy is the same."""

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        store: str,
        report: MigrationReport,
        *,
        upward: bool,
    ) -> None:
        self.local = local
        self.remote = remote
        self.index = index
        self.store = store
        self.report = report
        self.upward = upward
        self.preferred = (remote.tuning.part_size,) if isinstance(remote, S3StorageBackend) else ()
        self.kept: list[tuple[str, str]] = []

    async def delete(self, path: str) -> None:
        """Prove, then delete the source copy of ``path``; a doubt keeps it (and names it)."""
        try:
            proof = await prove_same(self.local, self.remote, path, preferred=self.preferred)
            if not proof.same:
                self._keep(path, proof.how)
                return
            if self.upward:
                await self._delete_local(path, proof)
            else:
                await self._delete_remote(path, proof)
        except (StorageError, OSError) as exc:
            self._keep(path, f"could not be proven equal: {exc}")
            return
        # One side only now, on purpose: a later sync must not read the missing copy as a
        # deletion to propagate.
        await self.index.forget_synced(self.store, [path])
        self.report.deleted.append(path)
        self.report.sources_deleted += 1
        logger.info("migrate: deleted source %s (%s)", path, proof.how)

    def _keep(self, path: str, why: str) -> None:
        self.kept.append((path, f"source kept, not deleted: {why}"))
        logger.warning("migrate: kept source %s: %s", path, why)

    async def _delete_local(self, path: str, proof: Proof) -> None:
        full = await self.local.resolve(path)
        st = await asyncio.to_thread(os.stat, full)
        if (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns) != proof.local:
            raise StorageError(f"{path} changed locally while it was being checked.", path=path)
        await self.local.delete(path)

    async def _delete_remote(self, path: str, proof: Proof) -> None:
        now = await self.remote.stat(path)
        assert proof.remote is not None
        if (now.etag, now.size) != (proof.remote.etag, proof.remote.size):
            raise StorageError(f"{path} changed in the store while it was being checked.")
        await self.remote.delete(path)


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
