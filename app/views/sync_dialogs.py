"""The sync dialogs: the plan (look before acting), conflict cards, and the migration assistant.

They show and ask; :class:`app.views.sync_actions.SyncController` runs what they decide. Every
dialog opens without a nested event loop, so transfers keep moving while it is open.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
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

from app.messages import format_size
from app.services.sync import Room, space_problem
from file_storage.media import MediaInfo, format_duration
from file_storage.sync import ActionKind, CompareResult, Entry, FileState, SyncMode, SyncPlan

#: Files the migration assistant names as not migratable (the CLI lists them all).
MAX_SKIPPED_SHOWN = 10
#: Rows listed in the plan table; the counts above it always cover everything.
MAX_PLAN_ROWS = 2000

#: English source texts, shown translated (context "PlanDialog"); see :func:`mode_label`.
MODE_LABELS = {
    SyncMode.UPLOAD: QT_TRANSLATE_NOOP("PlanDialog", "Upload: copy new and changed files to S3"),
    SyncMode.DOWNLOAD: QT_TRANSLATE_NOOP(
        "PlanDialog", "Download: copy new and changed files from S3"
    ),
    SyncMode.MIRROR_UP: QT_TRANSLATE_NOOP(
        "PlanDialog", "Mirror to S3: make S3 match this computer (deletes in S3)"
    ),
    SyncMode.MIRROR_DOWN: QT_TRANSLATE_NOOP(
        "PlanDialog", "Mirror from S3: make this computer match S3 (deletes here)"
    ),
    SyncMode.TWO_WAY: QT_TRANSLATE_NOOP(
        "PlanDialog", "Two-way: bring both sides up to date; conflicts keep both"
    ),
}
ACTION_LABELS = {
    ActionKind.UPLOAD: QT_TRANSLATE_NOOP("PlanDialog", "Upload"),
    ActionKind.REPLACE_REMOTE: QT_TRANSLATE_NOOP("PlanDialog", "Replace in S3"),
    ActionKind.DOWNLOAD: QT_TRANSLATE_NOOP("PlanDialog", "Download"),
    ActionKind.REPLACE_LOCAL: QT_TRANSLATE_NOOP("PlanDialog", "Replace here"),
    ActionKind.DELETE_REMOTE: QT_TRANSLATE_NOOP("PlanDialog", "Delete in S3"),
    ActionKind.DELETE_LOCAL: QT_TRANSLATE_NOOP("PlanDialog", "Delete here"),
    ActionKind.KEEP_BOTH: QT_TRANSLATE_NOOP("PlanDialog", "Keep both"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("PlanDialog", text)


def mode_label(mode: SyncMode) -> str:
    return _tr(MODE_LABELS[mode])


def action_label(kind: ActionKind) -> str:
    return _tr(ACTION_LABELS[kind])


def plan_summary(plan: SyncPlan) -> str:
    """``3 × upload (1.2 GiB) · 1 × delete in S3 (20 MiB) · 240 unchanged``."""
    counts, sizes = plan.counts(), plan.bytes_by_kind()
    parts = [
        f"{counts[kind]} × {action_label(kind)} ({format_size(sizes[kind])})"
        for kind in ActionKind
        if counts[kind]
    ]
    parts.append(
        QCoreApplication.translate("PlanDialog", "{count} unchanged").format(count=plan.unchanged)
    )
    if plan.skipped:
        parts.append(
            QCoreApplication.translate("PlanDialog", "{count} skipped").format(
                count=len(plan.skipped)
            )
        )
    return " · ".join(parts)


class PlanDialog(QDialog):
    """Shows what a sync of one prefix would do, in the chosen mode, and asks before acting.

    Changing the mode or the delete limit re-plans from the same comparison (no new listing).
    *Run* stays disabled while a safety rule blocks the plan, the plan does not fit the
    destination's quota (checked as an upload is), or there is nothing to do.

    Args:
        comparison: The comparison to plan from.
        mode: The mode to start with.
        planner: Builds a plan (the engine's ``build_plan``).
        room: ``side -> (used, limit)`` for the quota check; by default the parent window's
            usage service (what the quota panel shows and uploads check against).
    """

    def __init__(
        self,
        comparison: CompareResult,
        mode: SyncMode,
        planner: Callable[[CompareResult, SyncMode, float], SyncPlan],
        parent: QWidget | None = None,
        *,
        max_delete_percent: float = 50.0,
        room: Room | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncPlanDialog")
        self.room = room if room is not None else _window_room(parent)
        self.setWindowTitle(self.tr("Sync plan"))
        self.resize(760, 520)
        self.comparison = comparison
        self.planner = planner
        heading = QLabel(
            self.tr("<b>Sync {folder}</b> between this computer and the S3 bucket").format(
                folder=comparison.prefix
            )
            if comparison.prefix
            else self.tr("<b>Sync the whole store</b> between this computer and the S3 bucket")
        )
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("syncMode")
        for value in MODE_LABELS:
            self.mode_box.addItem(mode_label(value), value.value)
        self.mode_box.setCurrentIndex(list(MODE_LABELS).index(mode))
        self.max_delete = QDoubleSpinBox()
        self.max_delete.setObjectName("maxDelete")
        self.max_delete.setRange(0, 100)
        self.max_delete.setSuffix(" %")
        self.max_delete.setValue(max_delete_percent)
        self.max_delete.setToolTip(
            self.tr(
                "A mirror stops if it would delete more than this share of the files on the target."
            )
        )
        form = QFormLayout()
        form.addRow(self.tr("Mode"), self.mode_box)
        form.addRow(self.tr("Delete at most"), self.max_delete)
        self.summary = QLabel()
        self.summary.setObjectName("planSummary")
        self.summary.setWordWrap(True)
        self.blocked = QLabel()
        self.blocked.setObjectName("planBlocked")
        self.blocked.setWordWrap(True)
        self.blocked.setStyleSheet("color: #d03b32; font-weight: 600;")
        self.table = QTreeWidget()
        self.table.setObjectName("planTable")
        self.table.setHeaderLabels([self.tr("Action"), self.tr("File"), self.tr("Size")])
        self.table.setRootIsDecorated(False)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 470)
        note = QLabel(
            self.tr(
                "Replaced and deleted files go to the trash in temp/.trash on their side "
                "for 30 days."
            )
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton(
            self.tr("Run"), QDialogButtonBox.ButtonRole.AcceptRole
        )
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
        problem = space_problem(self.plan, self.room) if self.room is not None else None
        if problem and not self.plan.blocked:
            self.plan.blocked = problem  # the executor refuses a blocked plan too
        self.summary.setText(plan_summary(self.plan))
        self.blocked.setText(
            self.tr("Will not run: {reason}").format(reason=self.plan.blocked)
            if self.plan.blocked
            else ""
        )
        self.blocked.setVisible(bool(self.plan.blocked))
        self.run_button.setEnabled(bool(self.plan.actions) and not self.plan.blocked)
        self.table.clear()
        items = []
        for action in self.plan.actions[:MAX_PLAN_ROWS]:
            item = QTreeWidgetItem(
                [action_label(action.kind), action.path, format_size(action.nbytes)]
            )
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        room = max(0, MAX_PLAN_ROWS - len(items))
        for path, reason in self.plan.skipped[:room]:
            # The reason comes from the sync engine (in English, like every library message).
            item = QTreeWidgetItem([self.tr("Skipped"), f"{path} — {reason}", ""])
            item.setToolTip(1, reason)
            items.append(item)
        self.table.addTopLevelItems(items)
        hidden = len(self.plan.actions) + len(self.plan.skipped) - len(items)
        if hidden > 0:
            more = self.tr("… and %n more", "", hidden)
            self.table.addTopLevelItem(QTreeWidgetItem(["", more, ""]))


def _window_room(parent: QWidget | None) -> Room | None:
    """The quota numbers of the window the dialog belongs to (its ``usage.remaining``)."""
    remaining = getattr(getattr(parent, "usage", None), "remaining", None)
    return remaining if callable(remaining) else None


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
            FileState.CONFLICT: self.tr("Changed on both sides since the last sync."),
            FileState.DIFFERENT: self.tr(
                "Different content on the two sides (never synced before)."
            ),
        }.get(entry.state, entry.state.value)
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("<b>This computer</b>")), 0, 0)
        grid.addWidget(QLabel(self.tr("<b>S3 bucket</b>")), 0, 1)
        local = entry.local
        remote = entry.remote
        local_newer = bool(local and remote and local.modified > remote.modified)
        remote_newer = bool(local and remote and remote.modified > local.modified)
        self.local_text = QLabel(
            _version_text(
                local.size if local else None,
                local.modified if local else None,
                local_media,
                newer=local_newer,
            )
        )
        self.local_text.setObjectName("localVersion")
        self.remote_text = QLabel(
            _version_text(
                remote.size if remote else None,
                remote.modified if remote else None,
                remote_media,
                newer=remote_newer,
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
        self.keep_local = QPushButton(self.tr("Keep this computer's"))
        self.keep_local.setObjectName("keepLocal")
        self.keep_remote = QPushButton(self.tr("Keep the bucket's"))
        self.keep_remote.setObjectName("keepRemote")
        self.keep_both = QPushButton(self.tr("Keep both"))
        self.keep_both.setObjectName("keepBoth")
        self.keep_both.setToolTip(
            self.tr("The older version is renamed with a .conflict-… suffix.")
        )
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


def _version_text(
    size: int | None, modified: object, media: MediaInfo | None, *, newer: bool = False
) -> str:
    if size is None:
        return QCoreApplication.translate("ConflictCard", "absent")
    lines = [format_size(size)]
    if modified is not None:
        # To the second: two edits a minute apart must not look the same.
        when = f"{modified.astimezone():%Y-%m-%d %H:%M:%S}"  # type: ignore[attr-defined]
        text = (
            QCoreApplication.translate("ConflictCard", "modified {when} (newer)")
            if newer
            else QCoreApplication.translate("ConflictCard", "modified {when}")
        )
        lines.append(text.format(when=when))
    if media is not None and not media.is_image:
        shape = media.resolution or QCoreApplication.translate("ConflictCard", "audio")
        lines.append(f"{format_duration(media.duration)} · {shape}")
    return "\n".join(lines)


class ConflictDialog(QDialog):
    """Cards for every file that needs a decision; each card settles its file on its own."""

    def __init__(self, cards: list[ConflictCard], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(self.tr("Resolve conflicts"))
        self.resize(720, 560)
        self.cards = cards
        inner = QWidget()
        column = QVBoxLayout(inner)
        if not cards:
            column.addWidget(
                QLabel(self.tr("No conflicts: every file that is on both sides agrees."))
            )
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
                self.tr(
                    "Nothing is lost whatever you choose: a replaced version goes to the trash "
                    "(temp/.trash) on its side."
                )
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
        self.setWindowTitle(self.tr("Migrate the store"))
        self.resize(680, 520)
        self.to_remote = QRadioButton(self.tr("From this computer to the S3 bucket"))
        self.to_remote.setObjectName("migrateToRemote")
        self.to_remote.setChecked(True)
        self.to_local = QRadioButton(self.tr("From the S3 bucket to this computer"))
        self.to_local.setObjectName("migrateToLocal")
        self.delete_source = QCheckBox(
            self.tr("Delete each original once its copy is verified (frees the source side)")
        )
        self.delete_source.setObjectName("deleteSource")
        self.summary = QLabel(self.tr("Press Plan to see what would be copied."))
        self.summary.setObjectName("migrationSummary")
        self.summary.setWordWrap(True)
        self.users = QTreeWidget()
        self.users.setObjectName("migrationUsers")
        self.users.setHeaderLabels(
            [self.tr("User"), self.tr("Files"), self.tr("Size"), self.tr("Progress")]
        )
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
        self.plan_button = self.buttons.addButton(
            self.tr("Plan"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.plan_button.setObjectName("planMigration")
        self.start_button = self.buttons.addButton(
            self.tr("Start"), QDialogButtonBox.ButtonRole.ActionRole
        )
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
            toggle.toggled.connect(lambda _on: self._plan_outdated())
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                self.tr(
                    "Copies every file across, verifies each copy, and can be resumed after an "
                    "interruption without sending again what is already verified."
                )
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
        self._can_start = False

    def _plan_outdated(self) -> None:
        """Another direction or option: the plan shown no longer applies; plan again first."""
        self._can_start = False
        self.start_button.setEnabled(False)

    def direction(self) -> str:
        return "remote" if self.to_remote.isChecked() else "local"

    def show_plan(self, plan: SyncPlan, per_user: dict[str, tuple[int, int]]) -> None:
        copies = [a for a in plan.actions if a.kind is not ActionKind.KEEP_BOTH]
        text = self.tr(
            "{copies} files to copy ({size}), {unchanged} already there and identical, "
            "{skipped} skipped."
        ).format(
            copies=len(copies),
            size=format_size(plan.total_bytes),
            # Identical on both sides: what "already there" means (the same count as the CLI's).
            unchanged=sum(1 for e in plan.comparison.entries if e.state is FileState.IDENTICAL),
            skipped=len(plan.skipped),
        )
        if plan.blocked:
            text += "\n" + self.tr("Will not run: {reason}").format(reason=plan.blocked)
        if plan.skipped:
            # The reasons come from the sync engine (in English, like every library message).
            text += "\n" + self.tr("These files will not be migrated:")
            text += "".join(
                f"\n  {path} — {reason}" for path, reason in plan.skipped[:MAX_SKIPPED_SHOWN]
            )
            hidden = len(plan.skipped) - MAX_SKIPPED_SHOWN
            if hidden > 0:
                text += "\n  " + self.tr("… and %n more", "", hidden)
        self.summary.setText(text)
        self.users.clear()
        self._rows.clear()
        for user, (files, size) in sorted(per_user.items()):
            item = QTreeWidgetItem([user, str(files), format_size(size), "—"])
            self.users.addTopLevelItem(item)
            self._rows[user] = item
        self._can_start = bool(copies) and not plan.blocked
        self.start_button.setEnabled(self._can_start)

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
        row.setText(3, self.tr("{done} of {total} files").format(done=user_done, total=user_total))
        self.overall.setValue(int(1000 * done / total) if total else 1000)
        text = self.tr("{done} of {total} files").format(done=done, total=total)
        if eta:
            text += " · " + self.tr("about {time} left").format(time=format_duration(eta))
        self.eta.setText(text)

    def set_running(self, running: bool) -> None:
        for widget in (self.plan_button, self.to_remote, self.to_local, self.delete_source):
            widget.setEnabled(not running)
        # Start only when the last plan has something it may copy.
        self.start_button.setEnabled(not running and self._can_start)
