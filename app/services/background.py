"""``BackgroundSync``: the active profile's sync pairs, running by themselves.

A thin Qt layer over :class:`file_storage.sync.auto.PairRunner`: one runner per enabled pair of
the profile's store, each watching its folder and listing the bucket at its interval, with every
copy running as a job in the app's queue (the same progress, limits, pause and cancel as any
transfer). A recording uploaded by a pair gets its thumbnail and audio through the same
"after upload" media jobs as a manual upload, without a click.

The service writes :class:`~app.services.background_state.BackgroundState` (what the tray shows)
and acts on its pause, resume and "Sync now". The Workspace starts it when its window shows and
closes it with the workspace (a profile switch stops the old profile's pairs).

Given the profile's settings, each run's compare happens in a short-lived worker process
(:mod:`file_storage.sync.isolated`): a compare of 20,000 files left ~50 MB in an app that runs
for days, which only the end of a process returns. Copies still run in the app's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.services.background_state import BackgroundState, RunSummary
from app.services.media import AUDIO_M4A, THUMBNAIL, MediaService
from app.services.sync import queue_runner
from app.services.transfers import JobQueue
from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import StorageError
from file_storage.path_builder import SOURCE_EXTENSIONS, StoragePathBuilder
from file_storage.settings import StorageSettings
from file_storage.sync import SyncIndex, pair_id
from file_storage.sync.auto import UPLOADS, PairRunner, Planner, RunHooks
from file_storage.sync.isolated import PlanRequest, plan_in_child
from file_storage.sync.pairs import PairError, PairStore, SyncPair
from file_storage.sync.plan import Action, SyncMode, SyncPlan
from file_storage.sync.runlog import RunLog, RunRecord

logger = logging.getLogger(__name__)

#: Seconds a stopping pair may take to clean up (cancelled copies abort their uploads).
STOP_GRACE_S = 5.0


def is_recording_source(path: str) -> bool:
    """``users/<u>/recordings/<id>/source.<ext>``: the files the after-upload chain is for.

    The same rule as the window's chain (``app.views.media_actions.is_recording_source``),
    kept here so that a service does not import a view.
    """
    folder, _, name = path.rpartition("/")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    return (
        name.startswith("source.")
        and ext in SOURCE_EXTENSIONS
        and StoragePathBuilder.parse_recording(path) is not None
        and folder.count("/") == 3
    )


class BackgroundSync(QObject):
    """Runs the sync pairs of one store (see the module docstring).

    Args:
        local, remote: The profile's stores.
        queue: Where every copy runs.
        index: The sync index the manual sync uses too (history, hash cache).
        pairs: Where the pairs are kept (``sync-pairs.json``).
        run_log: Where each run is recorded (``sync-runs.jsonl``).
        media: Makes thumbnails and audio after uploads (None: no chain).
        settle_s: ``STORAGE_SYNC_SETTLE_S``.
        max_delete_percent, trash_days: The sync safety settings.
        state: The state object to write (the tray may share one across profile switches).
        use_inotify: False makes the watchers scan (tests of the fallback).
        settings: The profile's settings: each run compares in a worker process built from
            them (see the module docstring). None compares in the app's process.

    Signals:
        runFinished(object): A :class:`RunRecord` after every run that did something.
        pairsChanged(): The list of pairs was edited.
    """

    runFinished = Signal(object)
    pairsChanged = Signal()

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        queue: JobQueue,
        index: SyncIndex,
        pairs: PairStore,
        run_log: RunLog,
        *,
        media: MediaService | None = None,
        settle_s: float = 5.0,
        max_delete_percent: float = 50.0,
        trash_days: float | None = 30.0,
        state: BackgroundState | None = None,
        use_inotify: bool = True,
        settings: StorageSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.local = local
        self.remote = remote
        self.queue = queue
        self.index = index
        self.pair_store = pairs
        self.run_log = run_log
        self.media = media
        self.settle_s = settle_s
        self.max_delete_percent = max_delete_percent
        self.trash_days = trash_days
        self.state = state or BackgroundState(self)
        self.use_inotify = use_inotify
        self.settings = settings
        self.store = pair_id(local.base_path, remote.describe())
        self.runners: dict[str, PairRunner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._planned: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._failures: dict[str, str] = {}
        self.started = False
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.state.pausedChanged.connect(self._paused_changed)
        self.state.syncNowRequested.connect(self.sync_now)

    # ----------------------------------------------------------------- pairs

    def pairs(self) -> list[SyncPair]:
        """This store's pairs (an unreadable file reads as none, and says so in the state)."""
        try:
            return self.pair_store.pairs(self.store)
        except PairError as exc:
            logger.warning("%s", exc)
            self.state.set_error(str(exc))
            return []

    def set_pairs(self, pairs: list[SyncPair]) -> None:
        """Save ``pairs`` and restart the runners (if started).

        Raises:
            PairError: The pairs overlap or the file cannot be written (nothing changed).
        """
        self.pair_store.set_pairs(self.store, pairs)
        self.pairsChanged.emit()
        if self.started:
            self._spawn(self._restart())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _restart(self) -> None:
        await self._stop_runners()
        self._start_runners()

    # ----------------------------------------------------------------- start / stop

    def start(self) -> None:
        """Start a runner for each enabled pair (call on the running loop)."""
        if self.started:
            return
        self.started = True
        self._start_runners()

    def _start_runners(self) -> None:
        hooks = RunHooks(
            started=self._run_started, action=self._action_done, finished=self._run_finished
        )
        for pair in self.pairs():
            if not pair.enabled:
                continue
            runner = PairRunner(
                self.local,
                self.remote,
                self.index,
                pair,
                run_log=self.run_log,
                runner=queue_runner(self.queue),
                settle_s=self.settle_s,
                max_delete_percent=self.max_delete_percent,
                trash_days=self.trash_days,
                hooks=hooks,
                use_inotify=self.use_inotify,
                planner=self._planner(),
            )
            if self.state.paused:
                runner.pause()
            self.runners[pair.id] = runner
            task = asyncio.ensure_future(runner.run())
            task.add_done_callback(functools.partial(self._runner_ended, pair))
            self._tasks[pair.id] = task
        logger.info("Background sync: %d pair(s) of %s", len(self.runners), self.store)

    def _planner(self) -> Planner | None:
        """Compare in a worker process when the settings to build one are known."""
        settings, path = self.settings, self.index.path
        if settings is None or not isinstance(path, Path):
            return None

        async def plan(folder: str, mode: SyncMode, max_delete_percent: float) -> SyncPlan:
            return await plan_in_child(
                PlanRequest(settings, path, folder, mode, max_delete_percent)
            )

        return plan

    def _runner_ended(self, pair: SyncPair, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("Background sync of %s stopped", pair.name, exc_info=exc)
            self.state.set_error(
                QCoreApplication.translate(
                    "BackgroundSync", "Background sync of {folder} stopped: {reason}"
                ).format(folder=pair.name, reason=exc)
            )

    async def _stop_runners(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE_S)
        self._tasks.clear()
        self.runners.clear()
        self._planned.clear()
        self._done.clear()

    async def aclose(self) -> None:
        """Stop every runner (bounded: copies are cancelled and clean up in the queue)."""
        self.started = False
        with contextlib.suppress(RuntimeError):  # the state may already be gone at exit
            self.state.pausedChanged.disconnect(self._paused_changed)
            self.state.syncNowRequested.disconnect(self.sync_now)
        for task in list(self._side_tasks):
            task.cancel()
        await self._stop_runners()

    # ----------------------------------------------------------------- the tray's verbs

    def sync_now(self) -> None:
        for runner in self.runners.values():
            runner.request("manual")

    def _paused_changed(self, paused: bool) -> None:
        for runner in self.runners.values():
            if paused:
                runner.pause()
            else:
                runner.resume()

    # ----------------------------------------------------------------- hooks

    def _run_started(self, pair: SyncPair, planned: int) -> None:
        self._planned[pair.id] = planned
        self._done[pair.id] = 0
        self._show_progress()

    def _action_done(self, pair: SyncPair, action: Action, error: str | None) -> None:
        self._done[pair.id] = self._done.get(pair.id, 0) + 1
        self._show_progress()
        if error is None and action.kind in UPLOADS and pair.media_after_upload:
            self._chain_media(action.path)

    def _show_progress(self) -> None:
        planned = sum(self._planned.values())
        if planned:
            self.state.set_syncing(min(1.0, sum(self._done.values()) / planned))

    def _chain_media(self, path: str) -> None:
        """Queue the thumbnail, then the audio, of an uploaded recording (as a manual upload)."""
        if self.media is None or not is_recording_source(path):
            return
        previous = None
        for operation in (THUMBNAIL, AUDIO_M4A):
            job = self.media.make_job("s3", self.remote, operation, path)
            if previous is not None:
                job.after = previous.id
            self.queue.add(job)
            previous = job

    def _run_finished(self, pair: SyncPair, record: RunRecord) -> None:
        self._planned.pop(pair.id, None)
        self._done.pop(pair.id, None)
        problem = record.error or (
            QCoreApplication.translate(
                "BackgroundSync", "{folder}: {path} failed: {reason}"
            ).format(folder=pair.name, path=record.failed[0][0], reason=record.failed[0][1])
            if record.failed
            else None
        )
        if problem:
            self._failures[pair.id] = problem
        else:
            self._failures.pop(pair.id, None)
        if self._planned:
            self._show_progress()
        elif self._failures:
            self.state.set_error(next(iter(self._failures.values())))
        else:
            self.state.set_idle()
        if record.did_something:
            self.state.report_run(
                RunSummary(
                    pair=pair.name,
                    uploaded=record.uploaded,
                    downloaded=record.downloaded,
                    deleted=record.deleted,
                    conflicts=len(record.conflicts),
                    failed=tuple((path, reason) for path, reason in record.failed),
                    error=record.error,
                )
            )
            self.runFinished.emit(record)
            self._spawn(self._check_quota())

    async def _check_quota(self) -> None:
        quota = self.remote.quota
        if quota.limit_bytes is None:
            return
        try:
            used = await quota.usage()
        except StorageError as exc:
            logger.warning("Quota of %s unknown: %s", self.remote.describe(), exc)
            return
        self.state.set_quota(used, quota.limit_bytes)


def build_background(
    local: LocalStorageBackend,
    remote: StorageBackend,
    queue: JobQueue,
    index: SyncIndex,
    index_path: Path,
    *,
    media: MediaService | None,
    settle_s: float,
    max_delete_percent: float,
    trash_days: float | None,
    settings: StorageSettings | None = None,
) -> BackgroundSync:
    """A :class:`BackgroundSync` whose pairs and run history live beside the sync index
    (``settings``: compare in a worker process, see the module docstring)."""
    return BackgroundSync(
        local,
        remote,
        queue,
        index,
        PairStore.beside(index_path),
        RunLog.beside(index_path),
        media=media,
        settle_s=settle_s,
        max_delete_percent=max_delete_percent,
        trash_days=trash_days,
        settings=settings,
    )
