"""The transfer queue panel: the job table, queue controls and the totals line.

Buttons call the queue's plain methods; nothing here awaits. The progress column is painted by the
style's own progress bar, so it looks native on every platform and costs no widget per row; a
failed row shows why it failed there instead.

Rows are shown running first, then failed, queued and finished (each group in queue order), so
what moves and what needs the user stay at the top of the table however long the queue is.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.icons import icon
from app.models.transfer_model import (
    Column,
    JobIdRole,
    ProgressRole,
    SortKeyRole,
    StateRole,
    TransferTableModel,
    describe_totals,
)
from app.services.transfers import RESOURCE_TRANSFER, JobQueue, JobState
from app.views.bandwidth_status import BandwidthStatus

MAX_CONCURRENCY = 16
#: The table asks for room for this many rows (the window's splitter decides in the end).
VISIBLE_ROWS = 6
FAILED_TEXT = "#b3261e"


class ProgressBarDelegate(QStyledItemDelegate):
    """Paints :data:`ProgressRole` as a progress bar; -1 while running draws a busy bar."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # The cell background first, so a selected row stays highlighted behind the bar.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)

        state = index.data(StateRole)
        unverified = QCoreApplication.translate("TransferTableModel", "Saved, NOT verified")
        if state is JobState.FAILED or (state is JobState.DONE and index.data() == unverified):
            # A failure's reason, or a finished download nothing could prove: words, not a bar.
            self._paint_reason(painter, option, index)
            return
        value = index.data(ProgressRole)
        percent = value if isinstance(value, int) else -1
        busy = percent < 0 and index.data(StateRole) is JobState.RUNNING
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.direction = option.direction
        bar.fontMetrics = option.fontMetrics
        bar.minimum = 0
        bar.maximum = 0 if busy else 100  # 0..0 is Qt's "busy" bar
        bar.progress = max(percent, 0)
        bar.text = f"{percent} %" if percent >= 0 else ""
        bar.textVisible = percent >= 0
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    @staticmethod
    def _paint_reason(
        painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """A failed row: the reason in red where the bar was (cut; the tooltip has it all)."""
        text = " ".join(str(index.data() or "").split())
        rect = option.rect.adjusted(4, 0, -4, 0)
        shown = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.save()
        painter.setPen(QColor(FAILED_TEXT))
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.drawText(rect, int(flags.value), shown)
        painter.restore()


class QueueOrderProxy(QSortFilterProxyModel):
    """Shows the queue running first, then failed, queued and finished rows (stable order)."""

    def __init__(self, model: TransferTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(model)
        self.setSortRole(SortKeyRole)
        self.setDynamicSortFilter(True)
        self.sort(0, Qt.SortOrder.AscendingOrder)


class QueueTable(QTableView):
    """The job table; it asks for room for :data:`VISIBLE_ROWS` rows, not Qt's 3 or so."""

    def _rows_height(self) -> int:
        header = self.horizontalHeader().sizeHint().height()
        row = self.verticalHeader().defaultSectionSize()
        return header + VISIBLE_ROWS * row + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self._rows_height()))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        header = self.horizontalHeader().sizeHint().height()
        row = self.verticalHeader().defaultSectionSize()
        # At least three rows even when the window is short; six when there is room.
        return QSize(hint.width(), max(hint.height(), header + 3 * row + 2 * self.frameWidth()))


class TransferPanel(QWidget):
    """The queue as a table with pause/resume, cancel, retry and a concurrency setting.

    Args:
        queue: The queue to show and drive.
        parent: Usual widget parent.
    """

    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.model = TransferTableModel(queue, self)
        self.proxy = QueueOrderProxy(self.model, self)
        self.view = self._build_view()
        self.pause_button = self._button(
            "pauseQueueButton", self.tr("Pause"), "pause", self._toggle_pause
        )
        self.cancel_selected_button = self._button(
            "cancelSelectedButton", self.tr("Cancel selected"), "circle-x", self.cancel_selected
        )
        self.cancel_all_button = self._button(
            "cancelAllButton", self.tr("Cancel all"), "x", queue.cancel_all
        )
        self.retry_failed_button = self._button(
            "retryFailedButton", self.tr("Retry failed"), "rotate-ccw", queue.retry_failed
        )
        self.clear_button = self._button(
            "clearFinishedButton", self.tr("Clear finished"), "list-x", queue.clear_finished
        )
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setObjectName("concurrencySpin")
        self.concurrency_spin.setRange(1, MAX_CONCURRENCY)
        self.concurrency_spin.setValue(queue.limit(RESOURCE_TRANSFER))
        self.concurrency_spin.setToolTip(self.tr("How many transfers run at the same time"))
        self.concurrency_spin.valueChanged.connect(self._on_spin_changed)
        self.totals_label = QLabel()
        self.totals_label.setObjectName("queueTotals")
        self.message_label = QLabel()
        self.message_label.setObjectName("queueMessage")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self._lay_out()

        queue.totalsChanged.connect(self._update_totals)
        queue.pausedChanged.connect(self._on_paused_changed)
        queue.queueStopped.connect(self._on_queue_stopped)
        queue.limitChanged.connect(self._on_limit_changed)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._on_paused_changed(queue.paused)
        self._update_totals()

    # ----------------------------------------------------------------- building

    def _build_view(self) -> QTableView:
        view = QueueTable()
        view.setObjectName("transferQueue")
        view.setModel(self.proxy)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setItemDelegateForColumn(Column.PROGRESS, ProgressBarDelegate(view))
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        # Compact rows (text plus a little air), so six of them fit where Qt's default fits four.
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        header = view.horizontalHeader()
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(Column.PROGRESS, 160)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._show_context_menu)
        return view

    @staticmethod
    def _button(name: str, text: str, icon_name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _lay_out(self) -> None:
        controls = QHBoxLayout()
        for button in (
            self.pause_button,
            self.cancel_selected_button,
            self.cancel_all_button,
            self.retry_failed_button,
            self.clear_button,
        ):
            controls.addWidget(button)
        controls.addStretch(1)
        controls.addWidget(QLabel(self.tr("Transfers at once:")))
        controls.addWidget(self.concurrency_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        footer = QHBoxLayout()  # the totals, and the bandwidth limit in force on the right
        footer.addWidget(self.totals_label, 1)
        self.bandwidth_status = BandwidthStatus(parent=self)
        footer.addWidget(self.bandwidth_status)
        layout.addLayout(footer)

    # ----------------------------------------------------------------- actions

    def selected_job_ids(self) -> list[str]:
        """Ids of the selected rows, top to bottom as shown."""
        indexes = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [str(index.data(JobIdRole)) for index in indexes]

    def row_of(self, job_id: str) -> int | None:
        """The row (as shown) of ``job_id``, or ``None``."""
        source_row = self.model.row_of(job_id)
        if source_row is None:
            return None
        return self.proxy.mapFromSource(self.model.index(source_row, 0)).row()

    def cancel_selected(self) -> None:
        """Cancel every selected job."""
        for job_id in self.selected_job_ids():
            self.queue.cancel(job_id)

    def retry_selected(self) -> None:
        """Retry every selected job that failed or was cancelled."""
        for job_id in self.selected_job_ids():
            self.queue.retry(job_id)

    def build_context_menu(self) -> QMenu:
        """The rows' context menu for the current selection (separate for tests)."""
        menu = QMenu(self)
        states = {self.queue.job(job_id).state for job_id in self.selected_job_ids()}
        cancel = menu.addAction(icon("circle-x"), self.tr("Cancel"), self.cancel_selected)
        cancel.setEnabled(bool(states & {JobState.QUEUED, JobState.RUNNING}))
        retry = menu.addAction(icon("rotate-ccw"), self.tr("Retry"), self.retry_selected)
        retry.setEnabled(bool(states & {JobState.FAILED, JobState.CANCELLED}))
        return menu

    def _show_context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        if not self.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.view.selectRow(index.row())
        menu = self.build_context_menu()
        menu.exec(self.view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _toggle_pause(self) -> None:
        if self.queue.paused:
            self.queue.resume()
        else:
            self.queue.pause()

    # ----------------------------------------------------------------- queue signals

    def _on_spin_changed(self, value: int) -> None:
        self.queue.set_limit(RESOURCE_TRANSFER, value)

    def _on_limit_changed(self, resource: str, value: int) -> None:
        if resource == RESOURCE_TRANSFER and self.concurrency_spin.value() != value:
            self.concurrency_spin.setValue(min(value, MAX_CONCURRENCY))

    def _on_paused_changed(self, paused: bool) -> None:
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip(
            self.tr("Continue the paused transfers")
            if paused
            else self.tr("Pause the running transfers (between parts) and start no new ones")
        )
        if not paused:
            self.message_label.hide()

    def _on_queue_stopped(self, reason: str) -> None:
        self.message_label.setText(self.tr("The queue stopped: {reason}").format(reason=reason))
        self.message_label.show()

    def _update_totals(self) -> None:
        totals = self.queue.totals()
        self.totals_label.setText(describe_totals(totals))
        self.retry_failed_button.setEnabled(totals.count(JobState.FAILED) > 0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.cancel_selected_button.setEnabled(bool(self.view.selectionModel().selectedRows()))
