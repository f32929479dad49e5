"""The "Sync pairs" dialog: which folders sync by themselves, which way, and how often.

A pair is a folder of the local store and the same folder in the bucket. The list shows each
pair's folder, direction, listing interval, whether uploaded recordings get their thumbnail and
audio, and whether it is on. *OK* saves the list (per profile) and restarts background sync with
it; an invalid list (two folders inside each other) is refused with the reason and nothing
changes.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.services.background import BackgroundSync
from file_storage.sync.pairs import PairError, PairMode, SyncPair


def mode_label(mode: PairMode) -> str:
    """The direction as the user reads it (context "SyncPairsDialog")."""
    labels = {
        PairMode.UPLOAD: QCoreApplication.translate("SyncPairsDialog", "Upload only"),
        PairMode.TWO_WAY: QCoreApplication.translate("SyncPairsDialog", "Two-way"),
        PairMode.DOWNLOAD: QCoreApplication.translate("SyncPairsDialog", "Download only"),
    }
    return labels[mode]


def interval_label(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return QCoreApplication.translate("SyncPairsDialog", "every {n} min").format(
            n=int(seconds // 60)
        )
    return QCoreApplication.translate("SyncPairsDialog", "every {n} s").format(n=f"{seconds:g}")


class PairEditor(QDialog):
    """Add or edit one pair."""

    def __init__(self, pair: SyncPair | None, default_interval: float, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("syncPairEditor")
        self.setWindowTitle(self.tr("Sync pair") if pair is None else self.tr("Edit sync pair"))
        self._id = pair.id if pair is not None else None
        self.folder = QLineEdit(pair.folder if pair is not None else "")
        self.folder.setObjectName("pairFolder")
        self.folder.setPlaceholderText(self.tr("users/user_000042/recordings"))
        self.mode = QComboBox()
        self.mode.setObjectName("pairMode")
        for mode in PairMode:
            self.mode.addItem(mode_label(mode), mode.value)
        if pair is not None:
            self.mode.setCurrentIndex(list(PairMode).index(pair.mode))
        self.interval = QDoubleSpinBox()
        self.interval.setObjectName("pairInterval")
        self.interval.setRange(1, 86400)
        self.interval.setDecimals(0)
        self.interval.setSuffix(self.tr(" s"))
        self.interval.setValue(pair.interval_s if pair is not None else default_interval)
        self.media = QCheckBox(self.tr("Make the thumbnail and audio of uploaded recordings"))
        self.media.setObjectName("pairMedia")
        self.media.setChecked(pair.media_after_upload if pair is not None else True)
        self.enabled = QCheckBox(self.tr("On"))
        self.enabled.setObjectName("pairEnabled")
        self.enabled.setChecked(pair.enabled if pair is not None else True)
        self.error = QLabel()
        self.error.setObjectName("pairError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d03b32")
        self.error.hide()
        form = QFormLayout()
        form.addRow(self.tr("Folder in the store:"), self.folder)
        form.addRow(self.tr("Direction:"), self.mode)
        form.addRow(self.tr("Check the bucket:"), self.interval)
        form.addRow("", self.media)
        form.addRow("", self.enabled)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.result_pair: SyncPair | None = None

    def _accept(self) -> None:
        try:
            pair = SyncPair(
                self.folder.text(),
                PairMode(self.mode.currentData()),
                interval_s=self.interval.value(),
                media_after_upload=self.media.isChecked(),
                enabled=self.enabled.isChecked(),
            )
            self.result_pair = pair if self._id is None else pair.edited(id=self._id)
        except PairError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class SyncPairsDialog(QDialog):
    """The list of the profile's sync pairs (see the module docstring)."""

    def __init__(
        self, background: BackgroundSync, default_interval: float, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncPairsDialog")
        self.setWindowTitle(self.tr("Sync pairs"))
        self.background = background
        self.default_interval = default_interval
        self.pairs = background.pairs()
        intro = QLabel(
            self.tr(
                "These folders sync by themselves while Leap Sync runs: new and changed files as "
                "soon as they are complete, changes in the bucket at each check."
            )
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("pairsTable")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Folder"), self.tr("Direction"), self.tr("Bucket check"), self.tr("State")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self.edit_selected)
        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.setObjectName("addPair")
        self.add_button.clicked.connect(self.add_pair)
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.setObjectName("editPair")
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setObjectName("removePair")
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        self.error = QLabel()
        self.error.setObjectName("pairsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d03b32")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, 320)
        self._editor: PairEditor | None = None
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.pairs))
        for row, pair in enumerate(self.pairs):
            state = self.tr("On") if pair.enabled else self.tr("Off")
            if pair.media_after_upload and pair.mode is not PairMode.DOWNLOAD:
                state += self.tr(", thumbnail and audio after upload")
            cells = (pair.name, mode_label(pair.mode), interval_label(pair.interval_s), state)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, pair.id)
                self.table.setItem(row, column, item)
        has_rows = bool(self.pairs)
        self.edit_button.setEnabled(has_rows)
        self.remove_button.setEnabled(has_rows)
        if has_rows and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def _selected(self) -> int | None:
        row = self.table.currentRow()
        return row if 0 <= row < len(self.pairs) else None

    def add_pair(self) -> None:
        self._open_editor(None)

    def edit_selected(self) -> None:
        row = self._selected()
        if row is not None:
            self._open_editor(row)

    def _open_editor(self, row: int | None) -> None:
        # open(), not exec(): a nested loop would stall every asyncio task meanwhile.
        pair = self.pairs[row] if row is not None else None
        editor = PairEditor(pair, self.default_interval, self)
        editor.accepted.connect(lambda: self._edited(row, editor.result_pair))
        editor.finished.connect(editor.deleteLater)
        self._editor = editor
        editor.open()

    def _edited(self, row: int | None, pair: SyncPair | None) -> None:
        if pair is None:
            return
        if row is None:
            self.pairs.append(pair)
            row = len(self.pairs) - 1
        else:
            self.pairs[row] = pair
        self._fill()
        self.table.selectRow(row)

    def remove_selected(self) -> None:
        row = self._selected()
        if row is not None:
            del self.pairs[row]
            self._fill()

    def save(self) -> None:
        """Save the list and restart background sync with it; a refused list stays open."""
        try:
            self.background.set_pairs(self.pairs)
        except PairError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


def install_pairs_action(
    window: QMainWindow, background: BackgroundSync, default_interval: float
) -> QAction:
    """Put "Sync pairs…" in ``window``'s toolbar, after the sync actions."""
    action = QAction(QCoreApplication.translate("SyncPairsDialog", "Sync pairs…"), window)
    action.setObjectName("actionSyncPairs")
    tip = QCoreApplication.translate(
        "SyncPairsDialog", "Choose the folders that sync by themselves in the background"
    )
    action.setToolTip(tip)
    action.setStatusTip(tip)

    def open_dialog() -> None:
        dialog = SyncPairsDialog(background, default_interval, window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    action.triggered.connect(open_dialog)
    toolbar = window.findChild(QToolBar)
    before = getattr(window, "_settings_separator", None)
    if toolbar is not None and before is not None:
        toolbar.insertAction(before, action)
    elif toolbar is not None:
        toolbar.addAction(action)
    else:
        window.addAction(action)
    return action
