"""Run one sync pair by itself: on local changes, on an interval, and on request.

:class:`PairRunner` owns a pair's :class:`~file_storage.sync.watcher.FolderWatcher` and its
interval, and runs the ordinary engine for the pair's folder: ``compare`` -> ``build_plan`` (the
pair's mode, the delete limit) -> :class:`~file_storage.sync.execute.SyncExecutor` (verified
copies, trash, conflicts kept in both versions, the per-file history). Files still being written
(see :mod:`.settle`) are left out of the run and picked up once complete. Each run that did
something is appended to the :class:`~file_storage.sync.runlog.RunLog`.

When runs happen:

* ``start``: once when the runner starts (catches up with what changed while the app was off);
* ``watch``: a batch of local files became complete, or files were deleted (not for download
  pairs);
* ``interval``: ``pair.interval_s`` after the end of the previous run (remote changes are only
  seen by listing);
* ``manual``: :meth:`PairRunner.request`.

At most one run of a pair is going at once; triggers during a run start one more run after it.
While paused, triggers are remembered and the first run after :meth:`PairRunner.resume` takes
them all; a run going on when the pause starts is not cut (the app's queue holds its copies).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import StorageError
from file_storage.sync.compare import compare
from file_storage.sync.execute import ActionCallback, Runner, SyncExecutor, direct_runner
from file_storage.sync.index import SyncIndex, pair_id
from file_storage.sync.pairs import SyncPair
from file_storage.sync.plan import Action, ActionKind, SyncMode, SyncPlan, build_plan
from file_storage.sync.runlog import MAX_LISTED, RunLog, RunRecord
from file_storage.sync.settle import SettleTracker
from file_storage.sync.watcher import FolderWatcher

logger = logging.getLogger(__name__)

UPLOADS = frozenset({ActionKind.UPLOAD, ActionKind.REPLACE_REMOTE})
DOWNLOADS = frozenset({ActionKind.DOWNLOAD, ActionKind.REPLACE_LOCAL})
DELETES = frozenset({ActionKind.DELETE_LOCAL, ActionKind.DELETE_REMOTE})
#: Seconds a cancelled run may take to clean up when the runner stops.
STOP_GRACE_S = 4.0

#: Makes a run's plan: ``(folder, mode, max_delete_percent) -> plan``. The default compares in
#: this process; the app passes :func:`~file_storage.sync.isolated.plan_in_child`'s, which
#: keeps the compare's memory out of a process that runs for days.
Planner = Callable[[str, SyncMode, float], Awaitable[SyncPlan]]


@dataclass
class RunHooks:
    """What a runner tells its owner (all optional, called on the event loop).

    Attributes:
        started: ``(pair, actions planned)`` when a run with something to do begins.
        action: ``(pair, action, error or None)`` after each file.
        finished: ``(pair, record)`` after every run (also the ones that did nothing).
    """

    started: Callable[[SyncPair, int], None] | None = None
    action: Callable[[SyncPair, Action, str | None], None] | None = None
    finished: Callable[[SyncPair, RunRecord], None] | None = None


class PairRunner:
    """Keeps one sync pair in sync until cancelled (see the module docstring).

    Args:
        local, remote: Both stores (the pair's folder is the same path on each).
        index: The sync index (history, hash cache); opened by the caller.
        pair: What to sync and how.
        run_log: Where runs are recorded (None: not recorded).
        runner: Runs each file's work (the app's job queue, or direct).
        settle_s: How long a changed file must stay unchanged (see :mod:`.settle`).
        max_delete_percent: The delete limit of every run.
        trash_days: Trash older than this is purged at the start of a run.
        hooks: Progress and results for the owner.
        use_inotify: False makes the watcher scan instead (tests of the fallback).
        tracker: The settle rule's state (tests pass one with chosen checks).
        planner: Makes each run's plan (see :data:`Planner`); None compares in this process
            through ``index``.
    """

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex,
        pair: SyncPair,
        *,
        run_log: RunLog | None = None,
        runner: Runner = direct_runner,
        settle_s: float = 5.0,
        max_delete_percent: float = 50.0,
        trash_days: float | None = 30.0,
        hooks: RunHooks | None = None,
        use_inotify: bool = True,
        tracker: SettleTracker | None = None,
        planner: Planner | None = None,
    ) -> None:
        self.local = local
        self.remote = remote
        self.index = index
        self.pair = pair
        self.run_log = run_log
        self.runner = runner
        self.max_delete_percent = max_delete_percent
        self.trash_days = trash_days
        self.hooks = hooks or RunHooks()
        self.store = pair_id(local.base_path, remote.describe())
        self.tracker = tracker or SettleTracker(settle_s)
        self.planner: Planner = planner or self._plan_here
        self.watcher: FolderWatcher | None = None
        if pair.mode.watches_local:
            self.watcher = FolderWatcher(
                local.base_path,
                pair.folder,
                self.tracker,
                self._on_batch,
                poll_s=max(settle_s, 2.0),
                use_inotify=use_inotify,
            )
        self.runs = 0
        self.last: RunRecord | None = None
        self._wanted = asyncio.Event()
        self._triggers: set[str] = set()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._current: asyncio.Task[RunRecord] | None = None

    # ----------------------------------------------------------------- control

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def request(self, trigger: str = "manual") -> None:
        """Ask for a run (after the one going on, if any)."""
        self._triggers.add(trigger)
        self._wanted.set()

    def pause(self) -> None:
        """Start no run until :meth:`resume` (a run going on is not cut: its copies run
        through the owner's runner, which may hold them, as the app's paused queue does)."""
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    def _on_batch(self, ready: list[str], gone: list[str]) -> None:
        logger.debug("%s: %d complete, %d gone", self.pair.name, len(ready), len(gone))
        self.request("watch")

    # ----------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Watch and sync until cancelled."""
        watching: asyncio.Task[None] | None = None
        if self.watcher is not None:
            watching = asyncio.ensure_future(self.watcher.run())
            await self._until_watching(watching)
        self.request("start")
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wanted.wait(), self.pair.interval_s)
                await self._resumed.wait()
                self._wanted.clear()
                trigger = _main_trigger(self._triggers)
                self._triggers.clear()
                self._current = asyncio.ensure_future(self.sync_once(trigger))
                await asyncio.wait({self._current})
                if not self._current.cancelled():
                    self._current.result()  # sync_once does not raise but for bugs
                self._current = None
        finally:
            if self._current is not None:
                # Bounded: cancelled copies abort their uploads and remove partial files.
                self._current.cancel()
                await asyncio.wait({self._current}, timeout=STOP_GRACE_S)
            if watching is not None:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching

    async def _until_watching(self, watching: asyncio.Task[None]) -> None:
        """Wait until the watcher has its watches (or failed), so no change is missed."""
        assert self.watcher is not None
        ready = asyncio.ensure_future(self.watcher.watching.wait())
        try:
            await asyncio.wait({ready, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            # Bounded (it ends at its first step); a task never stepped would leave its
            # coroutine "never awaited".
            await asyncio.wait({ready})
        if watching.done() and not watching.cancelled() and watching.exception() is not None:
            logger.warning("Watching %s failed: %s", self.pair.name, watching.exception())

    # ----------------------------------------------------------------- one run

    async def sync_once(self, trigger: str = "manual") -> RunRecord:
        """Compare the pair's folder, plan, leave out files being written, run, record.

        Failures of the run as a whole (no connection, a blocked plan) end up in the record's
        ``error``; it never raises but for cancellation.
        """
        started = time.monotonic()
        record = RunRecord(
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            store=self.store,
            folder=self.pair.folder,
            mode=self.pair.mode.value,
            trigger=trigger,
        )
        try:
            await self._sync(record)
        except StorageError as exc:
            record.error = str(exc)
            logger.warning("Background sync of %s failed: %s", self.pair.name, exc)
        record.seconds = round(time.monotonic() - started, 3)
        self.runs += 1
        self.last = record
        if self.run_log is not None and record.did_something:
            await asyncio.to_thread(self.run_log.append, record)
        if self.hooks.finished is not None:
            self.hooks.finished(self.pair, record)
        return record

    async def _plan_here(self, folder: str, mode: SyncMode, max_delete_percent: float) -> SyncPlan:
        await self.index.open()
        comparison = await compare(self.local, self.remote, self.index, folder)
        return build_plan(comparison, mode, max_delete_percent=max_delete_percent)

    async def _sync(self, record: RunRecord) -> None:
        plan = await self.planner(
            self.pair.folder, self.pair.mode.sync_mode, self.max_delete_percent
        )
        await self.index.open()  # the executor records what it copied
        record.skipped = [[path, reason] for path, reason in plan.skipped][:MAX_LISTED]
        if plan.blocked:
            record.error = plan.blocked
            return
        held = await self._hold_unsettled(plan)
        record.held = held[:MAX_LISTED]
        if not plan.actions:
            return
        if self.hooks.started is not None:
            self.hooks.started(self.pair, len(plan.actions))
        callback: ActionCallback | None = None
        if self.hooks.action is not None:
            hook = self.hooks.action

            def callback(action: Action, error: str | None) -> None:
                hook(self.pair, action, error)

        executor = SyncExecutor(
            self.local,
            self.remote,
            self.index,
            runner=self.runner,
            trash_days=self.trash_days,
            on_action=callback,
        )
        report = await executor.execute(plan)
        for action in report.done:
            kind = action.kind
            record.uploaded += kind in UPLOADS
            record.downloaded += kind in DOWNLOADS
            record.deleted += kind in DELETES
            if len(record.actions) < MAX_LISTED:
                record.actions.append([kind.value, action.path])
        record.failed = [[action.path, message] for action, message in report.failed]
        record.conflicts = [list(pair) for pair in report.conflicts]
        record.bytes_copied = report.bytes_copied

    async def _hold_unsettled(self, plan: SyncPlan) -> list[str]:
        """Take the actions on files still being written out of ``plan``; return their paths.

        Only the local file matters (a recorder writes here); the watcher reports each held
        file again once it is complete, which starts the next run.
        """
        root = self.local.base_path
        local_paths = {
            action.path: root / action.path
            for action in plan.actions
            if action.entry.local is not None
        }
        if not local_paths:
            return []
        busy: set[Path] = await asyncio.to_thread(self.tracker.unsettled, local_paths.values())
        if not busy:
            return []
        held = sorted(path for path, full in local_paths.items() if full in busy)
        held_set = set(held)
        plan.actions = [action for action in plan.actions if action.path not in held_set]
        if self.watcher is not None:
            for path in held:
                if not self.tracker.holds(root / path):
                    self.tracker.appeared(root / path)  # its completion starts a run
            self.watcher.poke()
        return held


def _main_trigger(triggers: set[str]) -> str:
    for name in ("manual", "start", "watch", "interval"):
        if name in triggers:
            return name
    return "interval"
