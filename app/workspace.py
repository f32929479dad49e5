"""The workspace: everything that depends on the active profile, built in one place.

A profile decides the bucket *and* the local folder, its quota, where media jobs keep their
scratch files and which sync index is used. Switching profiles used to rebuild only the bucket's
backend, so the local side kept the old profile until a restart (issue 12, item 9). Now one
composition root, :func:`build_workspace`, builds the whole set from :class:`StorageSettings`
(both backends, the job queue, usage, media, sync and the connection health check), and
:class:`WorkspaceHost` switches by building a complete new workspace and window, checking that the
new bucket answers, and only then closing the old ones (their transfers are cancelled and cleaned
up as when the window closes, RELIABILITY F10).

``app.main``, :mod:`app.settings_flow` and the GUI tests all compose through this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.messages import describe
from app.services.background import BackgroundSync, build_background
from app.services.health import HealthService, TransferWatch
from app.services.media import MediaService
from app.services.sync import SyncService
from app.services.transfers import JobQueue
from app.services.usage import UsageService
from file_storage.backends.base import CheckResult, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import StorageError
from file_storage.settings import StorageSettings

if TYPE_CHECKING:
    from app.views.log_panel import QtLogHandler
    from app.views.main_window import MainWindow

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    """The app's state for one profile: both stores and every service working on them.

    Attributes:
        settings: What it was built from.
        label: The profile's name for the status bar ("Demo sandbox", "Lectures").
        remote_error: Why no bucket backend could be built (empty when there is one or when no
            bucket is configured).
    """

    settings: StorageSettings
    label: str
    local: LocalStorageBackend
    remote: StorageBackend | None
    queue: JobQueue
    usage: UsageService
    media: MediaService
    sync: SyncService
    health: HealthService
    watch: TransferWatch
    remote_error: str = ""
    background: BackgroundSync | None = None
    closed: bool = field(default=False, init=False)

    async def check(self) -> CheckResult | None:
        """Ask the bucket once (``None`` when there is no bucket)."""
        return await self.remote.check() if self.remote is not None else None

    async def aclose(self) -> None:
        """Cancel what runs, then close services and backends (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.watch.stop()
        await self.health.aclose()
        if self.background is not None:  # before the queue: its copies run there
            await self.background.aclose()
        await self.queue.shutdown(timeout=4.0)
        self.usage.cancel()
        await self.sync.aclose()
        self.media.cache.close()
        for backend in (self.remote, self.local):
            if backend is not None:
                try:
                    await backend.aclose()
                except StorageError as exc:
                    logger.warning("Closing %s: %s", backend.describe(), exc)


def build_workspace(
    settings: StorageSettings,
    label: str,
    *,
    cache_dir: Path,
    health: HealthService | None = None,
) -> Workspace:
    """Build every part that depends on ``settings`` (nothing is opened or listed yet).

    Args:
        settings: The active profile's settings (environment already applied).
        label: The name the status bar shows.
        cache_dir: The app's cache folder (media probe cache, thumbnails).
        health: A health service to use (tests choose its timing); by default one is made.
    """
    from file_storage.factory import create_s3_backend
    from file_storage.media import MediaInfoCache
    from file_storage.media.cache import CACHE_FILENAME
    from file_storage.media.setup import endpoint_ca_bundle, media_temp_dir
    from file_storage.sync import default_index_path

    local = LocalStorageBackend(settings.local_path, max_size_gb=settings.local_max_size_gb)
    remote: StorageBackend | None = None
    remote_error = ""
    if settings.s3_bucket:
        try:
            remote = create_s3_backend(settings)
        except StorageError as exc:
            remote_error = describe(exc)
    queue = JobQueue()
    usage = UsageService({"local": local, **({"s3": remote} if remote else {})})
    media = MediaService(
        queue,
        cache=MediaInfoCache(cache_dir / CACHE_FILENAME),
        thumbnail_dir=cache_dir / "thumbnails",
        temp_dir=media_temp_dir(settings),
        ffmpeg_path=settings.ffmpeg_path,
        ffprobe_path=settings.ffprobe_path,
        ca_bundle=endpoint_ca_bundle(settings),
    )
    sync = SyncService(
        queue,
        settings.sync_index_path or default_index_path(),
        trash_days=settings.sync_trash_days,
        max_delete_percent=settings.sync_max_delete_percent,
    )
    background = None
    if remote is not None:  # the profile's sync pairs (docs/app.md "Background sync")
        background = build_background(
            local,
            remote,
            queue,
            sync.index,
            settings.sync_index_path or default_index_path(),
            media=media,
            settle_s=settings.sync_settle_s,
            max_delete_percent=settings.sync_max_delete_percent,
            trash_days=settings.sync_trash_days,
            settings=settings,  # compare in a worker process (memory of a long-running app)
        )
    if health is None:
        health = HealthService(remote)
    else:
        health.set_remote(remote)
    return Workspace(
        settings=settings,
        label=label,
        local=local,
        remote=remote,
        queue=queue,
        usage=usage,
        media=media,
        sync=sync,
        health=health,
        watch=TransferWatch(queue, health),
        remote_error=remote_error,
        background=background,
    )


def compose_window(workspace: Workspace, log_handler: QtLogHandler) -> MainWindow:
    """The main window on ``workspace``, with the connection health in its status bar."""
    from app.views.connection_status import ConnectionStatus
    from app.views.main_window import MainWindow

    window = MainWindow(
        workspace.local,
        workspace.remote,
        workspace.queue,
        workspace.usage,
        log_handler,
        profile_label=workspace.label,
        media=workspace.media,
        sync=workspace.sync,
        connection_status=ConnectionStatus(workspace.health),
    )
    window.fit_to_screen()
    if workspace.background is not None:
        from app.views.sync_pairs_dialog import install_pairs_action

        install_pairs_action(window, workspace.background, workspace.settings.sync_interval_s)
    return window


def start_workspace(workspace: Workspace, window: MainWindow) -> None:
    """What runs once the window shows: root listings, usage counts, health probes."""
    window.local_model.refresh("")
    window.remote_model.refresh("")
    workspace.usage.start_counting()
    workspace.health.start()
    workspace.watch.start()
    if workspace.background is not None:
        workspace.background.start()


def _tr(text: str) -> str:
    return QCoreApplication.translate("Workspace", text)


class WorkspaceHost(QObject):
    """Owns the current workspace and its window; a switch replaces both, whole.

    Args:
        workspace: The workspace to start with.
        log_handler: Feeds every window's log panel.
        prepare_window: Called with each new window before it shows (settings opener,
            test registration...).

    Signals:
        windowReplaced(object): A switch showed a new window (the new :class:`MainWindow`).
        quitRequested(): The user closed the current window (not a switch).
    """

    windowReplaced = Signal(object)
    quitRequested = Signal()

    def __init__(
        self,
        workspace: Workspace,
        log_handler: QtLogHandler,
        prepare_window: Callable[[MainWindow], None] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self._log_handler = log_handler
        self._prepare = prepare_window
        self._retired: list[MainWindow] = []
        self.window = self._new_window(workspace)

    def _new_window(self, workspace: Workspace) -> MainWindow:
        window = compose_window(workspace, self._log_handler)
        window.closed.connect(lambda w=window: self._window_closed(w))
        if self._prepare is not None:
            self._prepare(window)
        return window

    def _window_closed(self, window: MainWindow) -> None:
        if window is self.window:
            self.quitRequested.emit()

    def show(self) -> None:
        """Show the current window and start its listings, counts and probes."""
        self.window.show()
        start_workspace(self.workspace, self.window)

    def notify(self, level: str, message: str) -> None:
        """A notice in whichever window is current."""
        self.window.notify(level, message)

    async def switch(self, workspace: Workspace) -> None:
        """Show ``workspace`` in a new window, then close the old window and workspace.

        The caller checked that ``workspace`` is usable. The old window closes the way the
        close button closes it (transfers cancelled, temp files removed), then the old
        backends and services are closed.
        """
        old_workspace, old_window = self.workspace, self.window
        window = self._new_window(workspace)
        window.setGeometry(old_window.geometry())
        self.workspace, self.window = workspace, window
        self.show()
        window.activateWindow()
        self.windowReplaced.emit(window)
        self._retired.append(old_window)
        done = asyncio.Event()
        old_window.closed.connect(done.set)
        old_window.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 15.0)
        await old_workspace.aclose()
        old_window.deleteLater()
        self._retired.remove(old_window)
        logger.info("Switched to %s", workspace.label)

    async def aclose(self) -> None:
        """Close the current workspace (after its window closed)."""
        await self.workspace.aclose()


def describe_unusable(check: CheckResult) -> str:
    """One sentence on why a new bucket cannot be used yet (from its check)."""
    from app.views.settings_dialog import explain_check

    return explain_check(check)


__all__ = [
    "Workspace",
    "WorkspaceHost",
    "build_workspace",
    "compose_window",
    "describe_unusable",
    "start_workspace",
]
