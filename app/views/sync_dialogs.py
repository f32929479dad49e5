"""The sync dialogs: the plan (look before acting), conflict cards, and the migration assistant.

They show and ask; :class:`app.views.sync_actions.SyncController` runs what they decide. Every
dialog opens without a nested event loop, so transfers keep moving while it is open.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from file_storage.media import MediaInfo, format_duration
from file_storage.sync import ActionKind, CompareResult, Entry, FileState, SyncMode, SyncPlan
from file_storage.units import human_size

#: Rows listed in the plan table; the counts above it always cover everything.
MAX_PLAN_ROWS = 2000

MODE_LABELS = {
    SyncMode.UPLOAD: "Upload: copy new and changed files to S3",
    SyncMode.DOWNLOAD: "Download: copy new and changed files from S3",
    SyncMode.MIRROR_UP: "Mirror to S3: make S3 match this computer (deletes in S3)",
    SyncMode.MIRROR_DOWN: "Mirror from S3: make this computer match S3 (deletes here)",
    SyncMode.TWO_WAY: "Two-way: bring both sides up to date; conflicts keep both",
}
ACTION_LABELS = {
    ActionKind.UPLOAD: "Upload",
    ActionKind.REPLACE_REMOTE: "Replace in S3",
    ActionKind.DOWNLOAD: "Download",
    ActionKind.REPLACE_LOCAL: "Replace here",
    ActionKind.DELETE_REMOTE: "Delete in S3",
    ActionKind.DELETE_LOCAL: "Delete here",
    ActionKind.KEEP_BOTH: "Keep both",
}


def plan_summary(plan: SyncPlan) -> str:
    """``3 uploads (1.2 GiB) · 1 delete in S3 (20 MiB) · 240 unchanged``."""
    counts, sizes = plan.counts(), plan.bytes_by_kind()
    parts = [
        f"{counts[kind]} × {ACTION_LABELS[kind].lower()} ({human_size(sizes[kind])})"
        for kind in ActionKind
        if counts[kind]
    ]
    parts.append(f"{plan.unchanged} unchanged")
    if plan.skipped:
        parts.append(f"{len(plan.skipped)} skipped")
    return " · ".join(parts)


class PlanDialog(QDialog):
    """Shows what a sync of one prefix would do, in the chosen mode, and asks before acting.

    Changing the mode or the delete limit re-plans from the same comparison (no new listing).
    *Run* stays disabled while a safety rule blocks the plan or there is nothing to do.

    Args:
        comparison: The comparison to plan from.
        mode: The mode to start with.
        planner: Builds a plan (the engine's ``build_plan``).
    """

    def __init__(
        self,
        comparison: CompareResult,
        mode: SyncMode,
        planner: Callable[[CompareResult, SyncMode, float], SyncPlan],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncPlanDialog")
        self.setWindowTitle("Sync plan")
        self.resize(760, 520)
        self.comparison = comparison
        self.planner = planner
        where = comparison.prefix or "the whole store"
        heading = QLabel(f"<b>Sync {where}</b> between this computer and the S3 bucket")
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("syncMode")
        for value, label in MODE_LABELS.items():
            self.mode_box.addItem(label, value.value)
        self.mode_box.setCurrentIndex(list(MODE_LABELS).index(mode))
        self.max_delete = QDoubleSpinBox()
        self.max_delete.setObjectName("maxDelete")
        self.max_delete.setRange(0, 100)
        self.max_delete.setSuffix(" %")
        self.max_delete.setValue(50)
        self.max_delete.setToolTip(
            "A mirror stops if it would delete more than this share of the files on the target."
        )
        form = QFormLayout()
        form.addRow("Mode", self.mode_box)
        form.addRow("Delete at most", self.max_delete)
        self.summary = QLabel()
        self.summary.setObjectName("planSummary")
        self.summary.setWordWrap(True)
        self.blocked = QLabel()
        self.blocked.setObjectName("planBlocked")
        self.blocked.setWordWrap(True)
        self.blocked.setStyleSheet("color: #d03b32; font-weight: 600;")
        self.table = QTreeWidget()
        self.table.setObjectName("planTable")
        self.table.setHeaderLabels(["Action", "File", "Size"])
        self.table.setRootIsDecorated(False)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 470)
        note = QLabel(
            "Replaced and deleted files go to the trash in temp/.trash on their side for 30 days."
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("runSync")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.blocked)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.mode_box.currentIndexChanged.connect(self.replan)
        self.max_delete.valueChanged.connect(self.replan)
        self.plan: SyncPlan
        self.replan()

    def mode(self) -> SyncMode:
        return SyncMode(self.mode_box.currentData())

    def replan(self) -> None:
        self.plan = self.planner(self.comparison, self.mode(), self.max_delete.value())
        self.summary.setText(plan_summary(self.plan))
        self.blocked.setText(f"Will not run: {self.plan.blocked}" if self.plan.blocked else "")
        self.blocked.setVisible(bool(self.plan.blocked))
        self.run_button.setEnabled(bool(self.plan.actions) and not self.plan.blocked)
        self.table.clear()
        items = []
        for action in self.plan.actions[:MAX_PLAN_ROWS]:
            item = QTreeWidgetItem(
                [ACTION_LABELS[action.kind], action.path, human_size(action.nbytes)]
            )
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.table.addTopLevelItems(items)
        hidden = len(self.plan.actions) - MAX_PLAN_ROWS
        if hidden > 0:
            self.table.addTopLevelItem(QTreeWidgetItem(["", f"… and {hidden} more", ""]))


class ConflictCard(QFrame):
    """One file that differs on both sides: both versions side by side, and three choices.

    Signals:
        chosen(str): ``"local"``, ``"remote"`` or ``"both"``.
    """

    chosen = Signal(str)

    def __init__(
        self,
        entry: Entry,
        local_media: MediaInfo | None,
        remote_media: MediaInfo | None,
        local_image: QImage | None,
        remote_image: QImage | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setObjectName("conflictCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel(f"<b>{entry.path}</b>")
        title.setWordWrap(True)
        why = {
            FileState.CONFLICT: "Changed on both sides since the last sync.",
            FileState.DIFFERENT: "Different content on the two sides (never synced before).",
        }.get(entry.state, entry.state.value)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>This computer</b>"), 0, 0)
        grid.addWidget(QLabel("<b>S3 bucket</b>"), 0, 1)
        local = entry.local
        remote = entry.remote
        self.local_text = QLabel(
            _version_text(
                local.size if local else None, local.modified if local else None, local_media
            )
        )
        self.local_text.setObjectName("localVersion")
        self.remote_text = QLabel(
            _version_text(
                remote.size if remote else None, remote.modified if remote else None, remote_media
            )
        )
        self.remote_text.setObjectName("remoteVersion")
        grid.addWidget(self.local_text, 1, 0)
        grid.addWidget(self.remote_text, 1, 1)
        for column, image in ((0, local_image), (1, remote_image)):
            if image is not None and not image.isNull():
                picture = QLabel()
                picture.setPixmap(
                    QPixmap.fromImage(
                        image.scaledToWidth(200, Qt.TransformationMode.SmoothTransformation)
                    )
                )
                grid.addWidget(picture, 2, column)
        self.keep_local = QPushButton("Keep this computer's")
        self.keep_local.setObjectName("keepLocal")
        self.keep_remote = QPushButton("Keep the bucket's")
        self.keep_remote.setObjectName("keepRemote")
        self.keep_both = QPushButton("Keep both")
        self.keep_both.setObjectName("keepBoth")
        self.keep_both.setToolTip("The older version is renamed with a .conflict-… suffix.")
        self.outcome = QLabel()
        self.outcome.setObjectName("conflictOutcome")
        buttons = QHBoxLayout()
        for button, choice in (
            (self.keep_local, "local"),
            (self.keep_remote, "remote"),
            (self.keep_both, "both"),
        ):
            button.clicked.connect(lambda _checked=False, c=choice: self.chosen.emit(c))
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.outcome)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(QLabel(why))
        layout.addLayout(grid)
        layout.addLayout(buttons)

    def set_busy(self, text: str) -> None:
        for button in (self.keep_local, self.keep_remote, self.keep_both):
            button.setEnabled(False)
        self.outcome.setText(text)

    def set_outcome(self, text: str, *, done: bool) -> None:
        for button in (self.keep_local, self.keep_remote, self.keep_both):
            button.setEnabled(not done)
        self.outcome.setText(text)


def _version_text(size: int | None, modified: object, media: MediaInfo | None) -> str:
    if size is None:
        return "absent"
    lines = [human_size(size)]
    if modified is not None:
        lines.append(f"modified {modified.astimezone():%Y-%m-%d %H:%M}")  # type: ignore[attr-defined]
    if media is not None and not media.is_image:
        lines.append(f"{format_duration(media.duration)} · {media.resolution or 'audio'}")
    return "\n".join(lines)


class ConflictDialog(QDialog):
    """Cards for every file that needs a decision; each card settles its file on its own."""

    def __init__(self, cards: list[ConflictCard], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Resolve conflicts")
        self.resize(720, 560)
        self.cards = cards
        inner = QWidget()
        column = QVBoxLayout(inner)
        if not cards:
            column.addWidget(QLabel("No conflicts: every file that is on both sides agrees."))
        for card in cards:
            column.addWidget(card)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Nothing is lost whatever you choose: a replaced version goes to the trash "
                "(temp/.trash) on its side."
            )
        )
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)


class MigrationDialog(QDialog):
    """The migration assistant: direction, options, the plan, then per-user progress and ETA.

    Signals:
        planRequested(str, bool): Plan a migration (direction, delete sources) without copying.
        startRequested(str, bool): Run it.
    """

    planRequested = Signal(str, bool)
    startRequested = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("migrationDialog")
        self.setWindowTitle("Migrate the store")
        self.resize(680, 520)
        self.to_remote = QRadioButton("From this computer to the S3 bucket")
        self.to_remote.setObjectName("migrateToRemote")
        self.to_remote.setChecked(True)
        self.to_local = QRadioButton("From the S3 bucket to this computer")
        self.to_local.setObjectName("migrateToLocal")
        self.delete_source = QCheckBox(
            "Delete each original once its copy is verified (frees the source side)"
        )
        self.delete_source.setObjectName("deleteSource")
        self.summary = QLabel("Press Plan to see what would be copied.")
        self.summary.setObjectName("migrationSummary")
        self.summary.setWordWrap(True)
        self.users = QTreeWidget()
        self.users.setObjectName("migrationUsers")
        self.users.setHeaderLabels(["User", "Files", "Size", "Progress"])
        self.users.setRootIsDecorated(False)
        self.users.setColumnWidth(0, 180)
        self.overall = QProgressBar()
        self.overall.setObjectName("migrationProgress")
        self.overall.setRange(0, 1000)
        self.overall.setValue(0)
        self.eta = QLabel()
        self.eta.setObjectName("migrationEta")
        self.report = QLabel()
        self.report.setObjectName("migrationReport")
        self.report.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.plan_button = self.buttons.addButton("Plan", QDialogButtonBox.ButtonRole.ActionRole)
        self.plan_button.setObjectName("planMigration")
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.setObjectName("startMigration")
        self.start_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.plan_button.clicked.connect(
            lambda: self.planRequested.emit(self.direction(), self.delete_source.isChecked())
        )
        self.start_button.clicked.connect(
            lambda: self.startRequested.emit(self.direction(), self.delete_source.isChecked())
        )
        for toggle in (self.to_remote, self.to_local, self.delete_source):
            toggle.toggled.connect(lambda _on: self.start_button.setEnabled(False))
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Copies every file across, verifies each copy, and can be resumed after an "
                "interruption without sending again what is already verified."
            )
        )
        layout.addWidget(self.to_remote)
        layout.addWidget(self.to_local)
        layout.addWidget(self.delete_source)
        layout.addWidget(self.summary)
        layout.addWidget(self.users, 1)
        layout.addWidget(self.overall)
        layout.addWidget(self.eta)
        layout.addWidget(self.report)
        layout.addWidget(self.buttons)
        self._rows: dict[str, QTreeWidgetItem] = {}

    def direction(self) -> str:
        return "remote" if self.to_remote.isChecked() else "local"

    def show_plan(self, plan: SyncPlan, per_user: dict[str, tuple[int, int]]) -> None:
        copies = [a for a in plan.actions if a.kind is not ActionKind.KEEP_BOTH]
        self.summary.setText(
            f"{len(copies)} files to copy ({human_size(plan.total_bytes)}), "
            f"{plan.unchanged} already there and identical, {len(plan.skipped)} skipped."
            + (f"\nWill not run: {plan.blocked}" if plan.blocked else "")
        )
        self.users.clear()
        self._rows.clear()
        for user, (files, size) in sorted(per_user.items()):
            item = QTreeWidgetItem([user, str(files), human_size(size), "—"])
            self.users.addTopLevelItem(item)
            self._rows[user] = item
        self.start_button.setEnabled(bool(copies) and not plan.blocked)

    def show_progress(
        self,
        user: str,
        user_done: int,
        user_total: int,
        done: int,
        total: int,
        eta: float | None,
    ) -> None:
        row = self._rows.get(user)
        if row is None:
            row = QTreeWidgetItem([user, str(user_total), "", ""])
            self.users.addTopLevelItem(row)
            self._rows[user] = row
        row.setText(3, f"{user_done} of {user_total} files")
        self.overall.setValue(int(1000 * done / total) if total else 1000)
        self.eta.setText(
            f"{done} of {total} files" + (f" · about {format_duration(eta)} left" if eta else "")
        )

    def set_running(self, running: bool) -> None:
        for widget in (self.plan_button, self.start_button, self.to_remote, self.to_local):
            widget.setEnabled(not running)
        self.delete_source.setEnabled(not running)
