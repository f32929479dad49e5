"""The main window: the local store and the bucket side by side, the queue, quota and log.

The window owns no I/O of its own: trees load through :class:`TreeLoader`, transfers run in the
:class:`JobQueue`, usage comes from :class:`UsageService`. What it adds is the user's intent:
which selection goes where, the confirmation before a delete, the quota check before a transfer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.catalog import Catalog
from app.icons import icon
from app.messages import describe, format_size
from app.models.storage_tree import SIDE_LOCAL, SIDE_S3, NodeKind, StorageTreeModel
from app.services.media import MediaService
from app.services.sync import SyncService
from app.services.transfers import Job, JobQueue
from app.services.tree_loader import TreeLoader
from app.services.usage import UsageService
from app.transfer_plan import TransferPlan, plan_drop, quota_verdict
from app.views.elided_label import ElidedLabel
from app.views.log_panel import LogPanel, QtLogHandler
from app.views.media_actions import MediaController
from app.views.notification_bar import NotificationBar
from app.views.preview_pane import PreviewPane
from app.views.quota_panel import QuotaPanel
from app.views.sync_actions import SyncController
from app.views.transfer_panel import TransferPanel
from app.views.tree_pane import TreePane
from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import StorageError
from file_storage.path_builder import StoragePathBuilder

logger = logging.getLogger(__name__)

#: Share-link lifetimes: English source text (shown translated) -> seconds.
SHARE_EXPIRY = {
    QT_TRANSLATE_NOOP("MainWindow", "1 hour"): 3600,
    QT_TRANSLATE_NOOP("MainWindow", "1 day"): 86_400,
    QT_TRANSLATE_NOOP("MainWindow", "7 days"): 604_800,
}
REFRESH_DELAY_MS = 400
#: The window's first size, made smaller to fit a smaller screen (see :meth:`fit_to_screen`).
DEFAULT_SIZE = (1440, 900)
#: Share of the height the Transfers/Log tabs get (until the user drags the splitter)...
BOTTOM_SHARE = 0.22
#: ... and its bounds in pixels.
BOTTOM_MIN, BOTTOM_MAX = 150, 300
#: The side column (preview and quota): share of the width and its bounds.
SIDE_SHARE, SIDE_MIN, SIDE_MAX = 0.22, 270, 360
#: Seconds between two automatic refreshes of one folder (when a catalog disagrees with a tree).
AUTO_REFRESH_GAP = 5.0
MAX_NAMED_IN_CONFIRM = 10
#: Jobs queued per turn of the event loop when a selection holds thousands of files (the
#: window keeps answering while a 10,000-file upload is queued).
JOBS_PER_TURN = 100


async def _turns(files: list[ObjectInfo]) -> AsyncIterator[ObjectInfo]:
    """``files`` one by one, letting the event loop run after every :data:`JOBS_PER_TURN`."""
    for number, info in enumerate(files, start=1):
        yield info
        if number % JOBS_PER_TURN == 0:
            await asyncio.sleep(0)


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


async def run_dialog(dialog: QDialog) -> int:
    """Show a window-modal dialog without a nested event loop and await its result.

    ``exec()`` would run a second Qt loop inside the running asyncio task: qasync cannot step
    other tasks from there, so every transfer froze while a confirmation was open (and after).
    """
    result: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(code: int) -> None:
        if not result.done():
            result.set_result(code)

    if isinstance(dialog, QMessageBox):
        dialog.buttonClicked.connect(lambda button: finished(int(dialog.standardButton(button))))
        dialog.finished.connect(lambda _code: finished(int(QMessageBox.StandardButton.Cancel)))
    else:
        dialog.finished.connect(finished)
    dialog.open()
    try:
        return await result
    finally:
        dialog.deleteLater()


class MainWindow(QMainWindow):
    """Leap Sync's window.

    Signals:
        closed(): The window closed after cancelling running work (F10); the app may quit.

    Args:
        local: The local store.
        remote: The bucket, or ``None`` when no bucket is configured yet.
        queue: The shared job queue.
        usage: Per-user usage of both stores.
        log_handler: Feeds the log panel.
        profile_label: Name of the active profile (status bar).
        open_settings: Opens the settings dialog (the composition root owns it).
        media: Media jobs, probes and thumbnails; ``None`` leaves the Media menu and the
            preview pane out.
        sync: Compare, sync, conflicts and migration; ``None`` leaves those actions out.
        connection_status: The status bar's connection indicator (the composition root gives
            :class:`app.views.connection_status.ConnectionStatus` on the workspace's health
            check); ``None`` shows none.
    """

    closed = Signal()

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend | None,
        queue: JobQueue,
        usage: UsageService,
        log_handler: QtLogHandler,
        *,
        profile_label: str = "",
        open_settings: Callable[[], None] | None = None,
        media: MediaService | None = None,
        sync: SyncService | None = None,
        connection_status: QWidget | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Leap Sync")  # the product's name, never translated
        self.resize(*DEFAULT_SIZE)
        self.local = local
        self.remote = remote
        self.queue = queue
        self.usage = usage
        self._open_settings = open_settings
        self._tasks: set[asyncio.Task[Any]] = set()
        self._effects: dict[str, tuple[str, list[tuple[str, int]]]] = {}
        self._downloads: set[str] = set()
        self._deleted_rows: dict[str, list[str]] = {}
        self._pending_refresh: dict[str, set[str]] = {SIDE_LOCAL: set(), SIDE_S3: set()}
        self._closing = False
        self._closed_cleanly = False
        #: The pane whose context menu is open: its actions act on that pane's rows.
        self._context_pane: TreePane | None = None

        self.notifications = NotificationBar()
        # One catalog per side, read by both trees: their statuses cannot disagree.
        self.local_catalog = Catalog(SIDE_LOCAL, keeps_empty_folders=True, parent=self)
        self.remote_catalog = Catalog(SIDE_S3, keeps_empty_folders=False, parent=self)
        self.local_model = StorageTreeModel(
            SIDE_LOCAL,
            self,
            local_root=local.base_path,
            catalog=self.local_catalog,
            peer_catalog=self.remote_catalog,
        )
        self.local_loader = TreeLoader(local, remote, self.local_model, self)
        self.local_pane = TreePane(self.local_model, "localTree", self.tr("Local store"))
        self.local_pane.set_title(self.tr("Local store"), str(local.base_path))
        self.remote_model = StorageTreeModel(
            SIDE_S3, self, catalog=self.remote_catalog, peer_catalog=self.local_catalog
        )
        self._auto_refreshed: dict[tuple[str, str], float] = {}
        self.remote_loader = TreeLoader(remote, local, self.remote_model, self) if remote else None
        self.remote_pane = TreePane(self.remote_model, "remoteTree", self.tr("S3 bucket"))
        self._last_pane = self.local_pane
        self.transfer_panel = TransferPanel(queue)
        self.log_panel = LogPanel(log_handler)
        self.quota_panel = QuotaPanel(usage)
        self._describe_remote()
        self._style_panes()
        self.preview_pane = PreviewPane() if media is not None else None
        self.media_controller: MediaController | None = None

        self._build_actions()
        self.sync_controller = SyncController(self, sync) if sync is not None else None
        if self.sync_controller is not None:
            sync_actions = self.sync_controller.actions
            for action in sync_actions[:2]:
                self._toolbar.insertAction(self._settings_separator, action)
        if media is not None and self.preview_pane is not None:
            self.media_controller = MediaController(self, media, self.preview_pane)
            self._toolbar.insertWidget(self._settings_separator, self.media_controller.menu_button)
            self.media_controller.connect_loader(SIDE_LOCAL, self.local_loader)
            if self.remote_loader is not None:
                self.media_controller.connect_loader(SIDE_S3, self.remote_loader)
        self._build_layout()
        self._build_status_bar(profile_label, connection_status)
        self._connect()

    # ----------------------------------------------------------------- layout

    def _style_panes(self) -> None:
        """Our icons for the layout's node kinds, and columns that leave room for names."""
        icons = {
            NodeKind.ROOT.value: icon("folder"),
            NodeKind.FOLDER.value: icon("folder"),
            NodeKind.USER.value: icon("user"),
            NodeKind.RECORDING.value: icon("clapperboard"),
            NodeKind.FILE.value: icon("file"),
            "error": icon("circle-alert", "#d03b32"),
            # Comparison badges in the Status column (see app.views.sync_actions).
            "sync-ok": icon("circle-check", "#2e9d57"),
            "sync-differs": icon("circle-alert", "#c98a00"),
            "sync-conflict": icon("circle-x", "#d03b32"),
        }
        for pane in (self.local_pane, self.remote_pane):
            pane.model.set_icons(icons)
            # A long store path must not push the other pane aside: it is cut, with a tooltip.
            pane.detail_label.setSizePolicy(
                QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
            )
            pane.detail_label.setToolTip(pane.detail_label.text())
            header = pane.view.header()
            # The Status column fits its longest text in the interface's language (Russian
            # states are longer), plus the badge; never narrower than the English layout.
            metrics = pane.view.fontMetrics()
            widest = max(metrics.horizontalAdvance(text) for text in pane.model.status_texts())
            for column, width in ((1, 76), (2, 122), (3, max(78, widest + 34))):
                header.resizeSection(column, width)

    def _build_layout(self) -> None:
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.setObjectName("paneSplitter")
        panes.addWidget(self.local_pane)
        panes.addWidget(self.remote_pane)
        self._side_splitter: QSplitter | None = None
        if self.preview_pane is not None:
            side = QSplitter(Qt.Orientation.Vertical)
            side.setObjectName("sideColumn")
            side.addWidget(self.preview_pane)
            side.addWidget(self.quota_panel)
            panes.addWidget(side)
            self._side_splitter = side
        else:
            panes.addWidget(self.quota_panel)
        panes.setStretchFactor(0, 3)
        panes.setStretchFactor(1, 3)
        panes.setStretchFactor(2, 2)
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.transfer_panel, icon("list-checks"), self.tr("Transfers"))
        self.bottom_tabs.addTab(self.log_panel, icon("scroll-text"), self.tr("Log"))
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.setObjectName("mainSplitter")
        vertical.addWidget(panes)
        vertical.addWidget(self.bottom_tabs)
        vertical.setStretchFactor(0, 1)
        vertical.setStretchFactor(1, 0)
        self._pane_splitter, self._main_splitter = panes, vertical
        # Sizes follow the window (fit_splitters) until the user drags a splitter.
        self._splitters_fitted_by_user = False
        for splitter in (panes, vertical, self._side_splitter):
            if splitter is not None:
                splitter.splitterMoved.connect(self._splitter_dragged)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_splitters)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(self.notifications)
        layout.addWidget(vertical, 1)
        self.setCentralWidget(central)

    def fit_to_screen(self) -> None:
        """Start no larger than the screen's free area (a 1440 px window on a 1400 px screen
        had its status bar cut); the composition root calls this before showing."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()
        width = min(DEFAULT_SIZE[0], room.width() - max(0, frame.width()))
        height = min(DEFAULT_SIZE[1], room.height() - max(0, frame.height()))
        self.resize(max(width, 640), max(height, 480))

    def _splitter_dragged(self, *_args: object) -> None:
        self._splitters_fitted_by_user = True

    def fit_splitters(self) -> None:
        """Share the window's room: the Transfers/Log tabs get about a quarter of the height,
        the side column a fifth of the width, and the preview enough height to show all its
        facts (the quota panel takes the rest). Kept after the user drags a splitter."""
        self._fit_toolbar()
        if self._splitters_fitted_by_user:
            return
        vertical, panes = self._main_splitter, self._pane_splitter
        height, width = vertical.height(), panes.width()
        if height <= 0 or width <= 0:
            return
        shared = min(BOTTOM_MAX, int(height * BOTTOM_SHARE))
        bottom = max(BOTTOM_MIN, shared, self.bottom_tabs.minimumSizeHint().height())
        top = max(0, height - bottom - vertical.handleWidth())
        vertical.setSizes([top, bottom])
        side = max(SIDE_MIN, min(SIDE_MAX, int(width * SIDE_SHARE)))
        trees = max(0, width - side - 2 * panes.handleWidth())
        panes.setSizes([trees // 2, trees - trees // 2, side])
        if self._side_splitter is not None and self.preview_pane is not None:
            column = max(0, top - self._side_splitter.handleWidth())
            needed = self.preview_pane.needed_height()
            # The preview's facts come first: without room for them and the per-user chart,
            # the chart is left out (the bars stay); spare room goes half to the picture and
            # half to the chart.
            chart = column >= needed + self.quota_panel.minimum_height(with_chart=True)
            self.quota_panel.show_chart(chart)
            quota = self.quota_panel.minimum_height(with_chart=chart)
            spare = column - needed - quota
            preview = needed + spare // 2 if spare > 0 else max(column - quota, column // 2)
            self._side_splitter.setSizes([preview, max(0, column - preview)])

    def _fit_toolbar(self) -> None:
        """Every toolbar button in view: texts beside the icons when they fit the window's
        width, under them when not (Russian labels are longer), icons alone (texts in the
        tooltips) on a narrow window. Actions hidden behind the overflow arrow were missed."""
        toolbar = self._toolbar
        room = self.width() - 8
        for style in (
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon,
            Qt.ToolButtonStyle.ToolButtonTextUnderIcon,
            Qt.ToolButtonStyle.ToolButtonIconOnly,
        ):
            if toolbar.toolButtonStyle() != style:
                toolbar.setToolButtonStyle(style)
            if toolbar.sizeHint().width() <= room:
                return

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()  # once the new geometry reached the splitters

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_timer.start()

    def _action(
        self, name: str, text: str, icon_name: str, shortcut: QKeySequence | str, tip: str
    ) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        keys = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})")
        action.setStatusTip(tip)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.action_upload = self._action(
            "actionUpload",
            self.tr("Upload"),
            "upload",
            "Ctrl+U",
            self.tr("Upload the selection to the bucket"),
        )
        self.action_download = self._action(
            "actionDownload",
            self.tr("Download"),
            "download",
            "Ctrl+D",
            self.tr("Download the selection into the local store"),
        )
        self.action_delete = self._action(
            "actionDelete",
            self.tr("Delete"),
            "trash-2",
            QKeySequence.StandardKey.Delete,
            self.tr("Delete the selection from the pane that has focus"),
        )
        self.action_refresh = self._action(
            "actionRefresh",
            self.tr("Refresh"),
            "refresh-cw",
            QKeySequence.StandardKey.Refresh,
            self.tr("List the current folder again"),
        )
        self.action_share = self._action(
            "actionShareLink",
            self.tr("Share link"),
            "link",
            "Ctrl+L",
            self.tr("Copy a time-limited download link to the clipboard"),
        )
        self.action_new_recording = self._action(
            "actionNewRecording",
            self.tr("New recording"),
            "folder-plus",
            "Ctrl+N",
            self.tr("Create a recording folder for a user"),
        )
        self.action_settings = self._action(
            "actionSettings",
            self.tr("Settings"),
            "settings",
            "Ctrl+,",
            self.tr("Connections, profiles and the interface language"),
        )
        self.action_about = self._action(
            "actionAbout",
            self.tr("About"),
            "info",
            QKeySequence.StandardKey.HelpContents,
            self.tr("Version, and the licences of the bundled components"),
        )
        toolbar = QToolBar(self.tr("Main toolbar"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for action in (
            self.action_upload,
            self.action_download,
            self.action_delete,
            self.action_refresh,
            self.action_share,
            self.action_new_recording,
        ):
            toolbar.addAction(action)
        self._settings_separator = toolbar.addSeparator()
        toolbar.addAction(self.action_settings)
        toolbar.addAction(self.action_about)
        self._toolbar = toolbar
        self.addToolBar(toolbar)

    def _build_status_bar(self, profile_label: str, connection_status: QWidget | None) -> None:
        # Elided, so a long endpoint or profile name never widens the window.
        self.profile_status = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle, natural=True)
        self.profile_status.setObjectName("profileStatus")
        self.connection_status = connection_status
        self.traffic_status = ElidedLabel(natural=True)
        self.traffic_status.setObjectName("trafficStatus")
        # The traffic numbers are short and always shown whole; the profile and endpoint give
        # way (elided in the middle, whole in the tooltip).
        self.traffic_status.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.statusBar().addPermanentWidget(self.profile_status, 1)
        for widget in (connection_status, self.traffic_status):
            if widget is not None:
                self.statusBar().addPermanentWidget(widget)
        self.set_profile_label(profile_label)
        self._traffic_timer = QTimer(self)
        self._traffic_timer.setInterval(1000)
        self._traffic_timer.timeout.connect(self._update_traffic)
        self._traffic_timer.start()
        self._update_traffic()

    def set_profile_label(self, label: str) -> None:
        where = self.describe_remote() if self.remote else self.tr("no bucket configured")
        self.profile_status.setText(f"{label or self.tr('Environment settings')} · {where}")

    def describe_remote(self) -> str:
        """Where the bucket is, in the interface's language ("s3://bucket/prefix at URL")."""
        remote = self.remote
        if not isinstance(remote, S3StorageBackend):
            return remote.describe() if remote is not None else ""
        where = f"s3://{remote.bucket_name}" + (f"/{remote.prefix}" if remote.prefix else "")
        return self.tr("{bucket} at {endpoint}").format(
            bucket=where, endpoint=remote.endpoint_display
        )

    def _describe_remote(self) -> None:
        if isinstance(self.remote, S3StorageBackend):
            self.remote_pane.set_title(self.tr("S3 bucket"), self.describe_remote())
        else:
            self.remote_pane.set_title(
                self.tr("S3 bucket"),
                self.tr("No bucket configured: open Settings to add a connection."),
            )
        self.remote_pane.detail_label.setToolTip(self.remote_pane.detail_label.text())

    def _update_traffic(self) -> None:
        stats = getattr(self.remote, "stats", None)
        if stats is None:
            self.traffic_status.setText("")
            return
        self.traffic_status.setText(
            self.tr("S3 requests: {requests} · ↑ {uploaded} · ↓ {downloaded}").format(
                requests=f"{stats.requests:,}",
                uploaded=format_size(stats.bytes_uploaded),
                downloaded=format_size(stats.bytes_downloaded),
            )
        )

    # ----------------------------------------------------------------- wiring

    def _connect(self) -> None:
        self.action_upload.triggered.connect(lambda: self.run_task(self.upload_selected()))
        self.action_download.triggered.connect(lambda: self.run_task(self.download_selected()))
        # The pane is chosen when the action fires, not when its coroutine first runs: by then
        # a context menu has closed and the focus may be anywhere.
        self.action_delete.triggered.connect(
            lambda: self.run_task(self.delete_selected(self.focused_pane()))
        )
        self.action_refresh.triggered.connect(self.refresh)
        self.action_share.triggered.connect(lambda: self.run_task(self.share_link()))
        self.action_new_recording.triggered.connect(
            lambda: self.run_task(self.new_recording(self.focused_pane()))
        )
        self.action_settings.triggered.connect(self._settings)
        self.action_about.triggered.connect(lambda: self.run_task(self.show_about()))
        for pane in (self.local_pane, self.remote_pane):
            pane.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            pane.view.customContextMenuRequested.connect(
                lambda pos, p=pane: self._context_menu(p, pos)
            )
            pane.focused.connect(lambda p=pane: self._pane_focused(p))
        self.local_model.dropRequested.connect(
            lambda paths, target, source: self.run_task(
                self.handle_drop(SIDE_LOCAL, paths, target, source)
            )
        )
        self.remote_model.dropRequested.connect(
            lambda paths, target, source: self.run_task(
                self.handle_drop(SIDE_S3, paths, target, source)
            )
        )
        self.queue.jobFinished.connect(self._job_finished)
        self.queue.queueStopped.connect(lambda reason: self.notify("error", reason))
        for loader, pane in (
            (self.local_loader, self.local_pane),
            (self.remote_loader, self.remote_pane),
        ):
            if loader is not None:
                loader.loadFailed.connect(self._listing_failed)
                loader.loadFinished.connect(lambda path, _rows, p=pane: p.reopen(path))
        self.usage.countFailed.connect(self._count_failed)
        self.local_catalog.changed.connect(lambda folder: self._catalog_changed(SIDE_LOCAL, folder))
        self.remote_catalog.changed.connect(lambda folder: self._catalog_changed(SIDE_S3, folder))
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._flush_refreshes)

    def _listing_failed(self, _path: str, message: str) -> None:
        self.notify("error", self.tr("Listing failed: {message}").format(message=message))

    def _count_failed(self, side: str, message: str) -> None:
        text = (
            self.tr("Usage of the s3 store: {message}")
            if side == SIDE_S3
            else self.tr("Usage of the local store: {message}")
        )
        self.notify("warning", text.format(message=message))

    def _pane_focused(self, pane: TreePane) -> None:
        self._last_pane = pane

    def _context_menu(self, pane: TreePane, pos: QPoint) -> None:
        """Open the pane's menu at ``pos``; its actions act on this pane's rows, whatever has
        the focus when they run.

        A right click on a row outside the selection has already selected it (the view does
        that on the press, as file managers do). The menu pops up without a nested event loop:
        ``exec()`` would stall every asyncio task while it is open.
        """
        menu = self.build_context_menu(pane)
        menu.setObjectName("treeContextMenu")
        pane.view.setFocus(Qt.FocusReason.PopupFocusReason)
        self._last_pane = pane
        self._context_pane = pane
        # An action fires after aboutToHide, in the same event: forget the pane only after it.
        menu.aboutToHide.connect(lambda: QTimer.singleShot(0, self._forget_context_pane))
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(pane.view.viewport().mapToGlobal(pos))

    def _forget_context_pane(self) -> None:
        self._context_pane = None

    def build_context_menu(self, pane: TreePane) -> QMenu:
        """The tree's right-click menu (separate for tests)."""
        menu = QMenu(self)
        if pane is self.local_pane:
            menu.addAction(self.action_upload)
        else:
            menu.addAction(self.action_download)
            menu.addAction(self.action_share)
        menu.addAction(self.action_new_recording)
        if self.media_controller is not None:
            menu.addMenu(self.media_controller.menu)
        if self.sync_controller is not None:
            menu.addSeparator()
            for action in self.sync_controller.actions:
                menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.action_refresh)
        menu.addAction(self.action_delete)
        return menu

    def run_task(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run an action's coroutine; its errors become a notification, never only stderr.

        Once the window is closing, the task is cancelled before it starts.
        """
        if self._closing:
            coro.close()
            task: asyncio.Task[Any] = asyncio.ensure_future(asyncio.sleep(0))
            task.cancel()
            return task
        task = asyncio.ensure_future(self._guarded(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, StorageError):
                logger.warning("Action failed: %s", exc)
            else:
                logger.exception("Action failed")
            self.notify("error", describe(exc))

    def notify(self, level: str, message: str) -> None:
        """Show ``message`` in the banner and log it."""
        self.notifications.show_message(level, message)
        log = {"error": logging.ERROR, "warning": logging.WARNING}.get(level, logging.INFO)
        logger.log(log, "%s", message)

    def set_settings_opener(self, opener: Callable[[], None]) -> None:
        """Who opens the settings dialog (the composition root, which owns profiles)."""
        self._open_settings = opener

    def _settings(self) -> None:
        if self._open_settings is not None:
            self._open_settings()

    def add_settings_action(self, action: QAction) -> None:
        """Put an action built by the composition root (Background…) beside Settings."""
        self.addAction(action)
        self._toolbar.insertAction(self.action_about, action)

    async def show_about(self) -> None:
        """The About dialog: version and the licences of bundled components."""
        from app.views.about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self)
        await run_dialog(self.about_dialog)

    def focused_pane(self) -> TreePane:
        """The pane the user is acting on: the one whose context menu is open, else the one
        that has the focus, else the one that had it last (a toolbar click takes no focus)."""
        if self._context_pane is not None:
            return self._context_pane
        widget = QGuiApplication.focusObject()
        for pane in (self.remote_pane, self.local_pane):
            if isinstance(widget, QWidget) and pane.isAncestorOf(widget):
                return pane
        return self._last_pane

    # ----------------------------------------------------------------- actions

    async def _expand(self, backend: StorageBackend, paths: list[str]) -> list[ObjectInfo]:
        """Files behind a selection: files as they are, folders by one paginated listing each."""
        files: list[ObjectInfo] = []
        for path in paths:
            try:
                files.append(await backend.stat(path))
                continue
            except StorageError:
                pass
            async for page in backend.iter_pages(path):
                files.extend(page.files)
        return files

    def _require_remote(self) -> StorageBackend | None:
        if self.remote is None:
            self.notify(
                "warning", self.tr("No bucket is configured yet: open Settings to add one.")
            )
        return self.remote

    def _quota_allows(self, side: str, adding: int) -> bool:
        used, limit = self.usage.remaining(side)
        verdict, sentence = quota_verdict(used, limit, adding)
        if verdict == "refuse":
            self.notify("error", sentence)
            return False
        if verdict == "warn":
            self.notify("warning", sentence)
        return True

    async def upload_selected(self) -> None:
        """Upload the local pane's selection to the same paths in the bucket."""
        remote = self._require_remote()
        paths = self.local_pane.selected_paths()
        if remote is None or not paths:
            return
        files = await self._expand(self.local, paths)
        if not self._quota_allows(SIDE_S3, sum(f.size for f in files)):
            return
        async for info in _turns(files):
            local_file = await self.local.resolve(info.path)
            job = self.queue.add_upload(remote, local_file, info.path)
            self._effects[job.id] = (SIDE_S3, [(info.path, info.size)])
            self._chain_media(SIDE_S3, remote, job, info.path)

    async def download_selected(self) -> None:
        """Download the bucket pane's selection into the same paths of the local store."""
        remote = self._require_remote()
        paths = self.remote_pane.selected_paths()
        if remote is None or not paths:
            return
        files = await self._expand(remote, paths)
        if not self._quota_allows(SIDE_LOCAL, sum(f.size for f in files)):
            return
        async for info in _turns(files):
            target = await self.local.resolve(info.path)
            job = self.queue.add_download(remote, info.path, target, size=info.size)
            self._effects[job.id] = (SIDE_LOCAL, [(info.path, info.size)])
            self._downloads.add(job.id)

    async def delete_selected(self, pane: TreePane | None = None) -> None:
        """Delete ``pane``'s selection (the focused pane's by default) after a confirmation
        that names the store and what goes."""
        pane = pane or self.focused_pane()
        side = SIDE_S3 if pane is self.remote_pane else SIDE_LOCAL
        backend = self.remote if side == SIDE_S3 else self.local
        paths = pane.selected_paths()
        if backend is None or not paths:
            return
        files = await self._expand(backend, paths)
        if not files:
            self.notify("info", self.tr("Nothing to delete: the selected folders are empty."))
            return
        if not await self.confirm_delete(side, files):
            return
        job = self.queue.add_delete(backend, [f.path for f in files])
        self._effects[job.id] = (side, [(f.path, -f.size) for f in files])
        # A deleted S3 folder disappears with its last key: its parent is listed again.
        self._deleted_rows[job.id] = paths

    async def confirm_delete(self, side: str, files: list[ObjectInfo]) -> bool:
        """Ask before deleting; the question names the files (up to ten) and the total size."""
        named = "\n".join(f"  {f.path}" for f in files[:MAX_NAMED_IN_CONFIRM])
        more = len(files) - MAX_NAMED_IN_CONFIRM
        if more > 0:
            named += "\n  " + self.tr("… and %n more", "", more)
        box = QMessageBox(self)
        box.setObjectName("confirmDelete")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Delete files"))
        question = (
            self.tr("Delete %n file(s), {size}, from the S3 bucket?", "", len(files))
            if side == SIDE_S3
            else self.tr("Delete %n file(s), {size}, from the local store?", "", len(files))
        )
        box.setText(question.format(size=format_size(sum(f.size for f in files))))
        box.setInformativeText(named)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Delete"))
        clicked = await run_dialog(box)
        return clicked == QMessageBox.StandardButton.Yes

    def refresh(self) -> None:
        """List again what the user sees (F5): both trees from the root, every open folder
        opening again as it is listed and the current rows staying current; recount usage."""
        for pane in (self.local_pane, self.remote_pane):
            if pane is self.remote_pane and self.remote_loader is None:
                continue
            pane.refresh_keeping_view("")
        self.usage.start_counting()

    async def share_link(self) -> None:
        """Copy a presigned GET link for the selected bucket file."""
        remote = self._require_remote()
        paths = self.remote_pane.selected_paths()
        if remote is None or not paths:
            self.notify("info", self.tr("Select a file in the S3 pane to share."))
            return
        dialog = QInputDialog(self)
        dialog.setObjectName("shareLinkDialog")
        dialog.setWindowTitle(self.tr("Share link"))
        dialog.setLabelText(self.tr("Link to {path} expires after:").format(path=paths[0]))
        choices = {_tr(text): seconds for text, seconds in SHARE_EXPIRY.items()}
        dialog.setComboBoxItems(list(choices))
        dialog.setComboBoxEditable(False)
        dialog.setTextValue(_tr("1 day"))
        if await run_dialog(dialog) != QInputDialog.DialogCode.Accepted:
            return
        choice = dialog.textValue()
        url = await remote.get_presigned_url(paths[0], choices[choice])
        QGuiApplication.clipboard().setText(url)
        self.notify(
            "info",
            self.tr("Link copied to the clipboard; it expires after {lifetime}.").format(
                lifetime=choice
            ),
        )

    async def new_recording(self, pane: TreePane | None = None) -> None:
        """Create ``users/<user>/recordings/<id>/`` in ``pane``'s store (the focused one's)."""
        pane = pane or self.focused_pane()
        backend = self.remote if pane is self.remote_pane else self.local
        if backend is None:
            return
        current = pane.current_folder()
        slug = StoragePathBuilder.parse_user_slug(current) or "user_000001"
        dialog = QInputDialog(self)
        dialog.setObjectName("newRecordingDialog")
        dialog.setWindowTitle(self.tr("New recording"))
        dialog.setLabelText(self.tr("User and recording ID (user_NNNNNN/recording-id):"))
        dialog.setTextValue(f"{slug}/")
        if await run_dialog(dialog) != QInputDialog.DialogCode.Accepted:
            return
        text = dialog.textValue()
        if not text.strip():
            return
        user, _, recording = text.strip().partition("/")
        folder = StoragePathBuilder().recording_root(user, recording)
        await backend.create_folder(folder)
        pane.model.refresh(StoragePathBuilder().recordings_root(user))
        pane.model.refresh(StoragePathBuilder().user_root(user))
        pane.model.refresh("users")
        self.notify("info", self.tr("Created {folder}.").format(folder=folder))

    async def handle_drop(
        self, target_side: str, paths: list[str], target: str, source: str
    ) -> None:
        """Files dropped from the desktop, or items dragged from the other pane."""
        if source == "os":
            plan = plan_drop(target, [Path(p) for p in paths])
            await self._copy_in(target_side, plan)
        elif source == SIDE_LOCAL and target_side == SIDE_S3:
            await self._transfer_paths(SIDE_S3, paths)
        elif source == SIDE_S3 and target_side == SIDE_LOCAL:
            await self._transfer_paths(SIDE_LOCAL, paths)

    async def _copy_in(self, side: str, plan: TransferPlan) -> None:
        backend = self.remote if side == SIDE_S3 else self.local
        if backend is None:
            self._require_remote()
            return
        for problem in plan.skipped:
            self.notify("warning", self.tr("Skipped {problem}").format(problem=problem))
        if not plan.copies or not self._quota_allows(side, plan.total_bytes):
            return
        for copy in plan.copies:
            renamed = copy.local_path.name != copy.path.rpartition("/")[2]
            job = self.queue.add_upload(
                backend,
                copy.local_path,
                copy.path,
                original_name=copy.local_path.name if renamed else None,
            )
            self._effects[job.id] = (side, [(copy.path, copy.size)])
            self._chain_media(side, backend, job, copy.path)

    async def _transfer_paths(self, to_side: str, paths: list[str]) -> None:
        remote = self._require_remote()
        if remote is None:
            return
        source = self.local if to_side == SIDE_S3 else remote
        files = await self._expand(source, paths)
        if not self._quota_allows(to_side, sum(f.size for f in files)):
            return
        async for info in _turns(files):
            local_file = await self.local.resolve(info.path)
            if to_side == SIDE_S3:
                job = self.queue.add_upload(remote, local_file, info.path)
                self._chain_media(SIDE_S3, remote, job, info.path)
            else:
                job = self.queue.add_download(remote, info.path, local_file, size=info.size)
                self._downloads.add(job.id)
            self._effects[job.id] = (to_side, [(info.path, info.size)])

    def _chain_media(self, side: str, backend: StorageBackend, upload: Job, path: str) -> None:
        """Queue the Media menu's "after upload" jobs behind an upload of a recording source."""
        if self.media_controller is not None:
            self.media_controller.chain_after_upload(side, backend, upload, path)

    # ----------------------------------------------------------------- after a job

    def catalog(self, side: str) -> Catalog:
        """What is known of ``side`` (both trees' statuses read it)."""
        return self.remote_catalog if side == SIDE_S3 else self.local_catalog

    def schedule_refresh(self, side: str, path: str, *, stored: bool = False) -> None:
        """List the folder holding ``path`` again, soon (refreshes are batched).

        ``stored``: a job has just written the file ``path``; the catalog learns it at once, so
        the other tree's status changes without waiting for the listing.
        """
        if stored:
            self.catalog(side).add_file(path)
        self._pending_refresh[side].add(path.rpartition("/")[0])
        for model in (self.local_model, self.remote_model):
            model.forget_sync_state(path)
        self._refresh_timer.start()

    def _job_finished(self, job_id: str, ok: bool) -> None:
        effect = self._effects.pop(job_id, None)
        deleted_rows = self._deleted_rows.pop(job_id, [])
        if effect is None:
            return
        side, changes = effect
        catalog = self.catalog(side)
        for path, delta in changes:
            if ok:
                # Per file, so a delete spanning several users charges each one correctly.
                self.usage.record(side, path, delta)
                if job_id in self._downloads:
                    # Downloads write into the store directly, past the local backend's tracker.
                    self.local.quota.record_delta(delta)
                # Both trees' statuses change now, not at the next listing.
                if delta < 0:
                    catalog.remove(path)
                else:
                    catalog.add_file(path)
            self._pending_refresh[side].add(path.rpartition("/")[0])
            if ok:
                for model in (self.local_model, self.remote_model):
                    model.forget_sync_state(path)  # a compared state is stale now
        for path in deleted_rows:
            self._pending_refresh[side].add(path.rpartition("/")[0])
        self._downloads.discard(job_id)
        self._refresh_timer.start()

    def _catalog_changed(self, side: str, folder: str) -> None:
        """A listing (perhaps the other tree's, for its statuses) or a job told the catalog
        something the tree of ``side`` does not show yet: list that folder again."""
        model = self.remote_model if side == SIDE_S3 else self.local_model
        known = self.catalog(side).children(folder)
        if known is None or model.shows_listing(folder, *known):
            return
        # Never a refresh loop: at most one automatic refresh of a folder every few seconds.
        now = time.monotonic()
        if now - self._auto_refreshed.get((side, folder), -AUTO_REFRESH_GAP) < AUTO_REFRESH_GAP:
            return
        self._auto_refreshed[(side, folder)] = now
        self._pending_refresh[side].add(folder)
        self._refresh_timer.start()

    def _flush_refreshes(self) -> None:
        for side, folders in self._pending_refresh.items():
            model = self.remote_model if side == SIDE_S3 else self.local_model
            targets: set[str] = set()
            for folder in folders:
                # A new recording folder is not in the tree yet: refresh its nearest known
                # ancestor, which then lists it.
                while folder and not model.index_for(folder).isValid():
                    folder = folder.rpartition("/")[0]
                targets.add(folder)
            pane = self.remote_pane if side == SIDE_S3 else self.local_pane
            for folder in sorted(targets):
                pane.refresh_keeping_view(folder)
            folders.clear()

    # ----------------------------------------------------------------- profiles

    def replace_remote(
        self, remote: StorageBackend | None, profile_label: str
    ) -> StorageBackend | None:
        """Show another bucket (a profile switch); return the old one for the caller to close."""
        old = self.remote
        if self.remote_loader is not None:
            self.remote_loader.close()
        self.remote = remote
        self.local_loader.peer = remote
        self.remote_loader = (
            TreeLoader(remote, self.local, self.remote_model, self) if remote else None
        )
        if self.remote_loader is not None:
            self.remote_loader.loadFailed.connect(self._listing_failed)
            self.remote_loader.loadFinished.connect(
                lambda path, _rows: self.remote_pane.reopen(path)
            )
            if self.media_controller is not None:
                self.media_controller.connect_loader(SIDE_S3, self.remote_loader)
        self.remote_model.refresh("")
        self.local_model.refresh("")
        for model in (self.local_model, self.remote_model):
            model.clear_sync_states()  # they compared against the previous bucket
        self.remote_catalog.clear()
        self.usage.set_backend(SIDE_S3, remote)
        self._describe_remote()
        self.set_profile_label(profile_label)
        return old

    # ----------------------------------------------------------------- quitting (F10)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel running work (aborting uploads, removing temp files) before closing."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop any more (interpreter or test teardown): nothing to await
            self._closed_cleanly = True
        if self._closed_cleanly:
            event.accept()
            self.closed.emit()
            return
        event.ignore()
        if not self._closing:
            self._closing = True
            self._stop_window_tasks()
            self._shutdown_task = asyncio.ensure_future(self._shutdown_then_close())

    def _stop_window_tasks(self) -> None:
        """Cancel what only the window needs (previews, thumbnails, actions) as the close
        starts: none of it may touch a widget once the window is gone."""
        if self.media_controller is not None:
            self.media_controller.close()
        self._refresh_timer.stop()
        for task in list(self._tasks):
            task.cancel()

    async def _shutdown_then_close(self) -> None:
        try:
            await self.queue.shutdown(timeout=4.0)
            for loader in (self.local_loader, self.remote_loader):
                if loader is not None:
                    loader.close()
            self.usage.cancel()
            for task in list(self._tasks):
                task.cancel()
        finally:
            self._closed_cleanly = True
            self._traffic_timer.stop()
            self.close()
