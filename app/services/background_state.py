"""What background sync is doing, as one small observable object.

The tray (and anything else that shows background sync) reads this object and listens to
``changed``; the BackgroundSync service (``app/services/background.py``) is the only writer of the
state fields, and it listens to ``syncNowRequested`` and ``pausedChanged`` to act on the tray's
menu. Neither side imports the other: they agree through this file only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

QUOTA_WARN_FRACTIONS = (0.80, 0.95)
"""Fractions of the quota at which ``quota_warning`` is set (the tray warns at each)."""


class SyncState(enum.Enum):
    """The one word the tray shows."""

    IDLE = "idle"
    SYNCING = "syncing"
    PAUSED = "paused"
    ERROR = "error"


@dataclass(frozen=True)
class RunSummary:
    """What one automatic run did, for a "batch finished" notification.

    Attributes:
        pair: The sync pair's name.
        uploaded: Files sent to S3.
        downloaded: Files saved locally.
        deleted: Files moved to trash (either side).
        conflicts: Conflicts resolved by keeping both copies.
        failed: Files that failed, with their reasons (path, sentence).
        error: A sentence when the whole run failed (no connection, delete limit), else None.
    """

    pair: str
    uploaded: int = 0
    downloaded: int = 0
    deleted: int = 0
    conflicts: int = 0
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    error: str | None = None

    @property
    def did_something(self) -> bool:
        """True when the run moved, deleted or failed anything (worth a notification)."""
        return bool(
            self.uploaded
            or self.downloaded
            or self.deleted
            or self.conflicts
            or self.failed
            or self.error
        )


class BackgroundState(QObject):
    """Observable state of background sync for the active profile.

    Fields (read them after ``changed``):
        state: ``SyncState`` (paused wins over the others while a pause is in force).
        progress: 0..1 while syncing when known, else None.
        paused_until: When a timed pause ends (UTC); None when not paused or paused until resumed.
        last_error: A readable sentence for the last failed run, None after a clean run.
        quota_warning: The fraction of the quota in use once it reaches 0.80 (0.80 or 0.95 band
            as the actual fraction), else None.

    Signals:
        changed(): Any field changed.
        pausedChanged(bool): Pause was switched on (True) or off (False).
        syncNowRequested(): The user asked for a run now (tray menu, Sync menu).
        runFinished(object): A ``RunSummary`` for each automatic run.
    """

    changed = Signal()
    pausedChanged = Signal(bool)
    syncNowRequested = Signal()
    runFinished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = SyncState.IDLE
        self._busy = False
        self.progress: float | None = None
        self.paused_until: datetime | None = None
        self.paused = False
        self.last_error: str | None = None
        self.quota_warning: float | None = None
        self._resume_timer = QTimer(self)
        self._resume_timer.setSingleShot(True)
        self._resume_timer.timeout.connect(self.resume)

    @property
    def state(self) -> SyncState:
        """Paused while a pause is in force, else error/syncing/idle."""
        if self.paused:
            return SyncState.PAUSED
        return self._state

    # --- the tray's verbs -------------------------------------------------------------------

    def pause(self, until: datetime | None = None) -> None:
        """Stop starting runs until ``until`` (aware datetime) or until ``resume()``.

        No new run starts (the tray also pauses the queue, which holds a run going on);
        watchers keep noting changes so that nothing is missed, and the first run after the
        pause picks them up.
        """
        self.paused = True
        self.paused_until = until
        self._resume_timer.stop()
        if until is not None:
            delay_ms = max(0, int((until - datetime.now(UTC)).total_seconds() * 1000))
            self._resume_timer.start(min(delay_ms, 2**31 - 1))
        self.pausedChanged.emit(True)
        self.changed.emit()

    def resume(self) -> None:
        """End a pause (timed or not); pending changes are synced next."""
        if not self.paused:
            return
        self.paused = False
        self.paused_until = None
        self._resume_timer.stop()
        self.pausedChanged.emit(False)
        self.changed.emit()

    def sync_now(self) -> None:
        """Ask for a run of every pair now (also ends a pause, as a user would expect)."""
        self.resume()
        self.syncNowRequested.emit()

    # --- the service's writers --------------------------------------------------------------

    def set_syncing(self, progress: float | None = None) -> None:
        """Mark a run in progress (``progress`` 0..1 when known)."""
        self._state = SyncState.SYNCING
        self.progress = progress
        self.changed.emit()

    def set_idle(self) -> None:
        """Mark the end of a clean run: idle, and the last error forgotten."""
        self._state = SyncState.IDLE
        self.progress = None
        self.last_error = None
        self.changed.emit()

    def set_error(self, message: str) -> None:
        """Mark the last run failed with a readable ``message``."""
        self._state = SyncState.ERROR
        self.progress = None
        self.last_error = message
        self.changed.emit()

    def set_quota(self, used: int, limit: int | None) -> None:
        """Set ``quota_warning`` from bytes used against the quota (None: no quota)."""
        fraction = used / limit if limit else 0.0
        warning = fraction if fraction >= QUOTA_WARN_FRACTIONS[0] else None
        if warning != self.quota_warning:
            self.quota_warning = warning
            self.changed.emit()

    def report_run(self, summary: RunSummary) -> None:
        """Publish one run's summary (for notifications)."""
        self.runFinished.emit(summary)
