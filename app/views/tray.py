"""The tray icon: what background sync is doing, and its menu (Open, Pause, Sync now, Quit).

The icon is a filled cloud whose colour and white glyph say the state: idle (blue, check),
syncing (blue, arrows; progress in the tooltip), paused (grey, pause bars), error (red, cross),
quota warning (amber, gauge). The state is the current workspace's
:class:`~app.services.background_state.BackgroundState`, combined with the transfer queue
(transfers started by hand show as syncing too) and the usage counts (a store at 80 % or more of
its quota).

Closing the window hides it to the tray when a tray host exists and *Keep running in the tray* is
on (QSettings ``background/close_to_tray``, default on); *Quit* in the tray's menu, SIGTERM and the
end of the session really quit. Without a tray host, closing quits as before, and the app says so
once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.icons import icon
from app.services.background_state import QUOTA_WARN_FRACTIONS, BackgroundState, SyncState
from app.services.transfers import JobState

if TYPE_CHECKING:
    from app.views.main_window import MainWindow
    from app.workspace import WorkspaceHost

logger = logging.getLogger(__name__)

#: QSettings key: closing the window keeps the app in the tray (default on).
SETTING_CLOSE_TO_TRAY = "background/close_to_tray"
#: QSettings key: the "no tray here" notice was shown once.
SETTING_NO_TRAY_SAID = "background/no_tray_noticed"
#: What the tray can show; ``quota`` is the idle state with a store at 80 % or more.
TRAY_STATES = ("idle", "syncing", "paused", "error", "quota")
PAUSE_HOURS = 1

_LOOK = {
    #: state: (cloud colour, glyph drawn in white on the cloud)
    "idle": ("#2f6fde", "circle-check"),
    "syncing": ("#2f6fde", "refresh-cw"),
    "paused": ("#6b7280", "pause"),
    "error": ("#d03b32", "x"),
    "quota": ("#c98a00", "gauge"),
}


def close_to_tray_enabled(settings: QSettings | None = None) -> bool:
    """Whether closing the window should keep the app running in the tray."""
    settings = settings if settings is not None else QSettings()
    return str(settings.value(SETTING_CLOSE_TO_TRAY, "true")).lower() in {"true", "1"}


@cache
def _glyph(name: str) -> QSvgRenderer:
    """A Lucide icon in white with a heavier stroke, to read at 10 px on the cloud."""
    svg = (files("resources") / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    svg = svg.replace("currentColor", "#ffffff").replace('stroke-width="2"', 'stroke-width="3"')
    return QSvgRenderer(QByteArray(svg.encode()))


@cache
def tray_icon(state: str) -> QIcon:
    """The tray's icon for ``state`` (one of :data:`TRAY_STATES`): a filled cloud in the
    state's colour with a white glyph (check, arrows, pause bars, cross, gauge)."""
    cloud_color, glyph = _LOOK[state]
    result = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        icon("tray-cloud", cloud_color).paint(painter, 0, 0, size, size)
        # The cloud's body spans about x 2..22, y 6..19 of 24: the glyph sits in its middle.
        side = size * 0.46
        glyph_rect = QRectF(size * 0.52 - side / 2, size * 0.55 - side / 2, side, side)
        _glyph(glyph).render(painter, glyph_rect)
        painter.end()
        result.addPixmap(pixmap)
    return result


class TrayController(QObject):
    """The tray icon and its menu for the app's current window.

    Args:
        host: The current workspace and window (a profile switch replaces both).
        state: Background sync's state when the workspace has no background sync (no bucket);
            otherwise the tray follows the current workspace's ``background.state``.
        quit_app: Really quit (the tray's *Quit*): closes the window past the tray.
        available: Whether a tray host exists (default: ask Qt); tests set it.

    Signals:
        stateShown(str): The icon now shows this state (one of :data:`TRAY_STATES`).
    """

    stateShown = Signal(str)

    def __init__(
        self,
        host: WorkspaceHost,
        state: BackgroundState,
        quit_app: Callable[[], object],
        *,
        available: bool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self._fallback = state
        self.state = state
        self._quit_app = quit_app
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.quitting = False
        self._said_hidden = False
        self.shown_state = ""
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._following = False
        self._follow(self.state_of(host))
        self._window: MainWindow | None = None
        self._watch(host.window)
        host.windowReplaced.connect(self._watch)
        self.refresh()

    # ----------------------------------------------------------------- menu

    def _add(self, name: str, text: str, icon_name: str, slot: Callable[[], None]) -> QAction:
        action = QAction(icon(icon_name), text, self.menu)
        action.setObjectName(name)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    def _build_menu(self) -> None:
        self.action_open = self._add(
            "trayOpen", self.tr("Open Leap Sync"), "folder-open", self.open
        )
        self.menu.addSeparator()
        self.action_pause_hour = self._add(
            "trayPauseHour", self.tr("Pause sync for 1 hour"), "pause", self.pause_for_hour
        )
        self.action_pause = self._add(
            "trayPause", self.tr("Pause until resumed"), "pause", self.toggle_pause
        )
        self.action_sync_now = self._add(
            "traySyncNow", self.tr("Sync now"), "refresh-cw", lambda: self.state.sync_now()
        )
        self.menu.addSeparator()
        self.action_quit = self._add("trayQuit", self.tr("Quit Leap Sync"), "x", self.quit)

    def show(self) -> None:
        """Put the icon in the tray (when there is one); say once when there is none."""
        if self.available:
            self.icon.show()
            return
        logger.info("No system tray: closing the window quits Leap Sync")
        settings = QSettings()
        if close_to_tray_enabled(settings) and not settings.value(SETTING_NO_TRAY_SAID, False):
            settings.setValue(SETTING_NO_TRAY_SAID, True)
            self.host.notify(
                "info",
                self.tr(
                    "This desktop shows no tray icons, so closing the window quits Leap Sync "
                    "and background sync stops."
                ),
            )

    # ----------------------------------------------------------------- verbs

    def open(self) -> None:
        """Show the window in front (tray, or a second start of the app)."""
        window = self.host.window
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def pause_for_hour(self) -> None:
        self.state.pause(datetime.now(UTC) + timedelta(hours=PAUSE_HOURS))

    def toggle_pause(self) -> None:
        """Pause until resumed, or resume (also a queue paused from its own panel)."""
        queue = self.host.workspace.queue
        if self.state.paused or queue.paused:
            self.state.resume()
            queue.resume()
        else:
            self.state.pause(None)

    def quit(self) -> None:
        """Quit for real: the window closes (transfers cancelled, kept for next time)."""
        self.quitting = True
        self._quit_app()

    def _on_paused(self, paused: bool) -> None:
        """Pausing sync holds the queue's transfers too; resuming (or the hour ending) continues."""
        queue = self.host.workspace.queue
        if paused and not queue.paused:
            queue.pause()
        elif not paused and queue.paused:
            queue.resume()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            if self.host.window.isVisible() and self.host.window.isActiveWindow():
                self.host.window.hide()
            else:
                self.open()

    # ----------------------------------------------------------------- close to tray

    def keeps_running(self) -> bool:
        """Whether closing the window hides it instead of quitting."""
        return self.available and close_to_tray_enabled() and not self.quitting

    def state_of(self, host: WorkspaceHost) -> BackgroundState:
        """The current workspace's background sync state (the fallback without one)."""
        background = getattr(host.workspace, "background", None)
        state = getattr(background, "state", None)
        return state if isinstance(state, BackgroundState) else self._fallback

    def _follow(self, state: BackgroundState) -> None:
        if state is self.state and self._following:
            return
        if self._following:
            self.state.changed.disconnect(self.refresh)
            self.state.pausedChanged.disconnect(self._on_paused)
        self.state = state
        state.changed.connect(self.refresh)
        state.pausedChanged.connect(self._on_paused)
        self._following = True

    def _watch(self, window: MainWindow) -> None:
        if self._window is not None:
            self._window.removeEventFilter(self)
        self._window = window
        window.installEventFilter(self)
        self._follow(self.state_of(self.host))
        queue = self.host.workspace.queue
        for signal in (queue.totalsChanged, queue.pausedChanged):
            signal.connect(self.refresh)
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close and self.keeps_running():
            event.ignore()
            self._window.hide()
            if not self._said_hidden:
                self._said_hidden = True
                self.show_message(
                    self.tr("Leap Sync is still running"),
                    self.tr("Background sync continues. Quit from this icon's menu."),
                    "info",
                )
            return True
        return super().eventFilter(watched, event)

    # ----------------------------------------------------------------- look

    def current(self) -> tuple[str, str]:
        """The state to show and its tooltip line."""
        state = self.state
        queue = self.host.workspace.queue
        totals = queue.totals()
        quota = max(filter(None, [state.quota_warning, self._usage_fraction()]), default=None)
        if state.state is SyncState.PAUSED or queue.paused:
            if state.paused_until is not None:
                until = state.paused_until.astimezone().strftime("%H:%M")
                return "paused", self.tr("Paused until {time}").format(time=until)
            return "paused", self.tr("Paused")
        if state.state is SyncState.ERROR:
            return "error", self.tr("Error: {message}").format(message=state.last_error or "")
        busy = totals.count(JobState.RUNNING) + totals.count(JobState.QUEUED)
        if state.state is SyncState.SYNCING or busy:
            share = state.progress
            if share is None and totals.bytes_total > 0:
                share = totals.bytes_done / totals.bytes_total
            text = self.tr("Syncing: %n file(s) left", "", busy) if busy else self.tr("Syncing")
            if share is not None:
                text += f" ({int(share * 100)} %)"
            return "syncing", text
        if quota is not None:
            return "quota", self.tr("Storage {percent} % full").format(percent=int(quota * 100))
        return "idle", self.tr("Up to date")

    def _usage_fraction(self) -> float | None:
        usage = self.host.workspace.usage
        fractions = [
            used / limit
            for side in ("s3", "local")
            for used, limit in [usage.remaining(side)]
            if limit
        ]
        worst = max(fractions, default=0.0)
        return worst if worst >= QUOTA_WARN_FRACTIONS[0] else None

    def refresh(self) -> None:
        """Show the current state: icon, tooltip, and the Pause entry's wording."""
        shown, line = self.current()
        self.icon.setToolTip(f"Leap Sync\n{line}")
        paused = self.state.paused or self.host.workspace.queue.paused
        self.action_pause.setText(
            self.tr("Resume sync") if paused else self.tr("Pause until resumed")
        )
        self.action_pause.setIcon(icon("play" if paused else "pause"))
        self.action_pause_hour.setEnabled(not paused)
        if shown != self.shown_state:
            self.shown_state = shown
            self.icon.setIcon(tray_icon(shown))
            self.stateShown.emit(shown)

    def show_message(self, title: str, body: str, level: str) -> None:
        """A desktop notification from the tray icon (nothing without a tray host)."""
        if not self.available:
            return
        kinds = {
            "error": QSystemTrayIcon.MessageIcon.Critical,
            "warning": QSystemTrayIcon.MessageIcon.Warning,
        }
        self.icon.showMessage(
            title, body, kinds.get(level, QSystemTrayIcon.MessageIcon.Information), 8000
        )

    def hide(self) -> None:
        """Take the icon out of the tray (at quit)."""
        self.icon.hide()
