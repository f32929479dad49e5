"""Desktop notifications: one per batch, failure, conflict or quota step, never one per file.

Events arrive from the transfer queue (a batch ends when nothing is queued or running any more;
a job fails), from background sync (:class:`~app.services.background_state.RunSummary`: what an
automatic run moved, its conflicts and failures) and from the usage counts (a store crossing 80 %
or 95 % of its quota). They are collected for :data:`COALESCE_MS` after the first one and then
shown as a single message through the tray (``QSystemTrayIcon.showMessage``, which on Linux
goes to the freedesktop notification service when one runs), so a folder of 500 files makes one
notification, not 500.

*Show desktop notifications* in the Background settings switches them off
(QSettings ``background/notifications``); events are still logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from app.services.background_state import QUOTA_WARN_FRACTIONS, RunSummary
from app.services.transfers import JobQueue, JobState
from app.services.usage import UsageService

logger = logging.getLogger(__name__)

#: Events within this long after the first one share one notification.
COALESCE_MS = 3000
#: QSettings key: show notifications (default on).
SETTING_NOTIFICATIONS = "background/notifications"

#: ``show(title, body, level)``; level is ``"info"``, ``"warning"`` or ``"error"``.
Sink = Callable[[str, str, str], None]


def notifications_enabled(settings: QSettings | None = None) -> bool:
    """Whether the user wants desktop notifications."""
    settings = settings if settings is not None else QSettings()
    return str(settings.value(SETTING_NOTIFICATIONS, "true")).lower() in {"true", "1"}


@dataclass
class _Pending:
    done: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    conflicts: int = 0
    quota: dict[str, float] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.done or self.failures or self.conflicts or self.quota or self.runs)


class Notifier(QObject):
    """Collect events and show them as few notifications.

    Args:
        show: Where a notification goes (the tray's ``showMessage``).
        enabled: Asked at each notification (the setting may change at any time).
        coalesce_ms: How long events are gathered after the first.

    Signals:
        notified(str, str, str): A notification was produced (title, body, level), shown or not.
    """

    notified = Signal(str, str, str)

    def __init__(
        self,
        show: Sink,
        *,
        enabled: Callable[[], bool] = notifications_enabled,
        coalesce_ms: int = COALESCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._show = show
        self._enabled = enabled
        self._pending = _Pending()
        self._bands: dict[str, int] = {}
        self._batch_done = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self.flush)
        self._queue: JobQueue | None = None

    # ----------------------------------------------------------------- sources

    def watch_queue(self, queue: JobQueue) -> None:
        """Notify when a batch of transfers ends, and when transfers fail."""
        if self._queue is not None:
            self._queue.jobFinished.disconnect(self._on_job_finished)
        self._queue = queue
        self._batch_done = 0
        queue.jobFinished.connect(self._on_job_finished)

    def watch_usage(self, usage: UsageService) -> None:
        """Notify when a store's usage crosses 80 % or 95 % of its quota (upwards)."""
        usage.usageChanged.connect(lambda side, u=usage: self._on_usage(u, side))

    def on_run_finished(self, summary: object) -> None:
        """A background sync run ended (connect ``BackgroundState.runFinished``)."""
        if not isinstance(summary, RunSummary) or not summary.did_something:
            return
        moved = summary.uploaded + summary.downloaded + summary.deleted
        if moved:
            self._pending.runs.append(
                self.tr("{pair}: %n file(s) synced", "", moved).format(pair=summary.pair)
            )
        self._pending.conflicts += summary.conflicts
        self._pending.failures.extend(summary.failed)
        if summary.error:
            self._pending.failures.append((summary.pair, summary.error))
        self._arm()

    # ----------------------------------------------------------------- events

    def _on_job_finished(self, job_id: str, ok: bool) -> None:
        queue = self._queue
        if queue is None:
            return
        try:
            job = queue.job(job_id)
        except KeyError:
            return
        if ok:
            self._batch_done += 1
        elif job.state is JobState.FAILED:
            self._pending.failures.append((job.title, job.error))
            self._arm()
        if not any(j.state in (JobState.QUEUED, JobState.RUNNING) for j in queue.jobs()):
            if self._batch_done:
                self._pending.done += self._batch_done
                self._arm()
            self._batch_done = 0

    def _on_usage(self, usage: UsageService, side: str) -> None:
        used, limit = usage.remaining(side)
        if not limit:
            return
        fraction = used / limit
        band = sum(fraction >= step for step in QUOTA_WARN_FRACTIONS)
        previous = self._bands.get(side, 0)
        self._bands[side] = band
        if band > previous:
            self._pending.quota[side] = fraction
            self._arm()

    def _arm(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    # ----------------------------------------------------------------- output

    def flush(self) -> None:
        """Show what was gathered as one notification (called by the timer)."""
        self._timer.stop()
        pending, self._pending = self._pending, _Pending()
        if pending.empty():
            return
        lines: list[str] = []
        level = "info"
        title = self.tr("Transfers finished")
        if pending.done:
            lines.append(self.tr("%n file(s) transferred.", "", pending.done))
        lines.extend(pending.runs)
        if pending.quota:
            level = "warning"
            title = self.tr("Storage almost full")
            for side, fraction in sorted(pending.quota.items()):
                store = self.tr("The bucket") if side == "s3" else self.tr("The local store")
                lines.append(
                    self.tr("{store} is {percent} % full.").format(
                        store=store, percent=int(fraction * 100)
                    )
                )
        if pending.conflicts:
            level = "warning"
            title = self.tr("Conflicts kept both copies")
            lines.append(self.tr("%n conflict(s): both versions were kept.", "", pending.conflicts))
        if pending.failures:
            level = "error"
            count = len(pending.failures)
            title = self.tr("%n transfer(s) failed", "", count)
            name, reason = pending.failures[0]
            lines.append(f"{name}: {reason}")
            if count > 1:
                lines.append(self.tr("…and %n more (see the Transfers tab).", "", count - 1))
        body = "\n".join(lines)
        logger.info("Notification: %s: %s", title, body.replace("\n", " "))
        self.notified.emit(title, body, level)
        if self._enabled():
            self._show(title, body, level)
