"""The bandwidth limit in force, under the transfer queue: "Upload limit 20 Mbit/s until 18:00".

The label reads :meth:`BandwidthLimiter.current` (the process-wide limiter all transfers share)
and sets a one-shot timer to the next change the timetable announces (``until``), so the line
follows a timetable switch without polling. A change made in Settings → Background reaches it
through :func:`bandwidth_signals` ``.changed``.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QLocale, QObject, QTime, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from file_storage.bandwidth import BandwidthLimiter, LimitNow, Rate, format_rate

#: The longest the label waits before it reads the limit again (a suspended laptop, a clock
#: set by hand: the wall clock may jump past a boundary the timer was set for).
MAX_WAIT_MS = 15 * 60 * 1000
#: A timer never fires sooner than this (a boundary reached but not yet seen by the clock).
MIN_WAIT_MS = 200


class BandwidthSignals(QObject):
    """Tells every open status label that the limits were changed in the app."""

    changed = Signal()


_signals: BandwidthSignals | None = None


def bandwidth_signals() -> BandwidthSignals:
    """The process's one :class:`BandwidthSignals`."""
    global _signals
    if _signals is None:
        _signals = BandwidthSignals()
    return _signals


def format_limit_rate(rate: float) -> str:
    """A rate as it was most likely written: ``20 Mbit/s`` for a decimal bit rate,
    ``10 MiB/s`` / ``512 KiB/s`` for binary bytes (rclone's ``10M``)."""
    bits = rate * 8
    if rate % 1024 and bits == int(bits):
        for unit, size in (("Gbit/s", 10**9), ("Mbit/s", 10**6), ("kbit/s", 10**3)):
            if bits >= size and bits % (size // 1000 or 1) == 0:
                return f"{bits / size:.4g} {unit}"
    return format_rate(rate)


def _until_text(until: datetime, now: datetime) -> str:
    time = QLocale().toString(QTime(until.hour, until.minute), QLocale.FormatType.ShortFormat)
    if until.date() == now.date():
        return time
    day = QLocale().dayName(until.isoweekday(), QLocale.FormatType.ShortFormat)
    return f"{day} {time}"


def describe_limit(limit: LimitNow, now: datetime) -> str:
    """The status line for ``limit`` (``now`` decides whether ``until`` names its day)."""

    def rate(value: Rate) -> str:
        return format_limit_rate(value) if value is not None else ""

    if limit.up is not None and limit.down is not None:
        if limit.up == limit.down:
            text = QCoreApplication.translate(
                "BandwidthStatus", "Upload and download limit {rate} each"
            ).format(rate=rate(limit.up))
        else:
            text = QCoreApplication.translate(
                "BandwidthStatus", "Upload limit {up}, download limit {down}"
            ).format(up=rate(limit.up), down=rate(limit.down))
    elif limit.up is not None:
        text = QCoreApplication.translate("BandwidthStatus", "Upload limit {rate}").format(
            rate=rate(limit.up)
        )
    elif limit.down is not None:
        text = QCoreApplication.translate("BandwidthStatus", "Download limit {rate}").format(
            rate=rate(limit.down)
        )
    else:
        text = QCoreApplication.translate("BandwidthStatus", "No limit")
    if limit.until is not None:
        text = QCoreApplication.translate("BandwidthStatus", "{limit} until {time}").format(
            limit=text, time=_until_text(limit.until, now)
        )
    return text


class BandwidthStatus(QLabel):
    """One line: the bandwidth limit in force now, and until when.

    Args:
        limiter: The limiter to show (default: the process's shared one).
        parent: Usual widget parent.
    """

    def __init__(
        self, limiter: BandwidthLimiter | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bandwidthStatus")
        self._limiter = limiter
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        bandwidth_signals().changed.connect(self.refresh)
        self.refresh()

    @property
    def limiter(self) -> BandwidthLimiter:
        return self._limiter if self._limiter is not None else BandwidthLimiter.shared()

    def refresh(self) -> None:
        """Read the limit in force and wait for its next change."""
        limiter = self.limiter
        limit = limiter.current()
        now = limiter.clock()
        self.setText(describe_limit(limit, now))
        self.setToolTip(
            self.tr("Set in Background… (all transfers together)")
            if limit.source == "setting"
            else self.tr("Timetable: {rule}").format(rule=limit.source)
        )
        self._timer.stop()
        wait = MAX_WAIT_MS
        if limit.until is not None:
            left_ms = (limit.until - now).total_seconds() * 1000
            wait = int(min(max(left_ms + 50, MIN_WAIT_MS), MAX_WAIT_MS))
        self._timer.start(wait)

    @property
    def next_check_ms(self) -> int:
        """Milliseconds until the label reads the limit again (for tests and the curious)."""
        return self._timer.remainingTime()


__all__ = ["BandwidthStatus", "bandwidth_signals", "describe_limit", "format_limit_rate"]
