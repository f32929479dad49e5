"""``SyncController``: Compare, Sync, Resolve conflicts and Migrate in the window.

- **Compare** lists both sides of the selected folder once and classifies every file by content;
  both trees then show each row's state (Identical, Differs, Changed here, Conflict, Local only,
  ...) with a badge, folders showing the worst state below them.
- **Sync…** compares, then shows the plan for a mode (counts, bytes, every action, any safety
  block) and runs it through the transfer queue only when asked.
- **Resolve conflicts…** shows a card per file that differs on both sides, both versions side by
  side (size, modified, duration and thumbnail where known): keep one, or keep both.
- **Migrate…** is the migration assistant: plan, then copy everything across with per-user
  progress and ETA, resumable.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject
from PySide6.QtGui import QAction, QImage, QKeySequence

from app.icons import icon
from app.messages import describe, format_size
from app.models.storage_tree import (
    FOLDER_CONFLICT,
    FOLDER_DIFFERS,
    FOLDER_IDENTICAL,
    SIDE_S3,
    NodeKind,
)
from app.services.media import MediaService
from app.services.sync import KEEP_BOTH, KEEP_LOCAL, KEEP_REMOTE, SyncService
from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import StorageError
from file_storage.path_builder import StoragePathBuilder
from file_storage.sync import CompareResult, Entry, FileState, MigrationProgress, SyncMode, SyncPlan

if TYPE_CHECKING:
    from app.views.main_window import MainWindow
    from app.views.sync_dialogs import ConflictCard, MigrationDialog

logger = logging.getLogger(__name__)

#: How the comparison notice counts each state: English source texts, shown translated.
STATE_WORDS = {
    FileState.IDENTICAL: QT_TRANSLATE_NOOP("SyncController", "{count} identical"),
    FileState.DIFFERENT: QT_TRANSLATE_NOOP("SyncController", "{count} differ"),
    FileState.CHANGED_LOCAL: QT_TRANSLATE_NOOP("SyncController", "{count} changed here"),
    FileState.CHANGED_REMOTE: QT_TRANSLATE_NOOP("SyncController", "{count} changed in S3"),
    FileState.CONFLICT: QT_TRANSLATE_NOOP("SyncController", "{count} in conflict"),
    FileState.ONLY_LOCAL: QT_TRANSLATE_NOOP("SyncController", "{count} only here"),
    FileState.ONLY_REMOTE: QT_TRANSLATE_NOOP("SyncController", "{count} only in S3"),
    FileState.DELETED_LOCAL: QT_TRANSLATE_NOOP("SyncController", "{count} deleted here"),
    FileState.DELETED_REMOTE: QT_TRANSLATE_NOOP("SyncController", "{count} deleted in S3"),
}
NEEDS_DECISION = (FileState.CONFLICT, FileState.DIFFERENT)


def tree_states(result: CompareResult) -> dict[str, str]:
    """Each file's state, and each folder under the prefix with the worst state below it."""
    rank = {FOLDER_IDENTICAL: 0, FOLDER_DIFFERS: 1, FOLDER_CONFLICT: 2}
    top = result.prefix.strip("/")
    states: dict[str, str] = {}
    folders: dict[str, str] = {}
    for entry in result.entries:
        states[entry.path] = entry.state.value
        if entry.state is FileState.CONFLICT:
            verdict = FOLDER_CONFLICT
        elif entry.state is FileState.IDENTICAL:
            verdict = FOLDER_IDENTICAL
        else:
            verdict = FOLDER_DIFFERS
        folder = entry.path.rpartition("/")[0]
        # Folders from the compared one down; the compared folder itself included.
        while folder and (not top or folder == top or folder.startswith(top + "/")):
            current = folders.get(folder)
            if current is None or rank[verdict] > rank[current]:
                folders[folder] = verdict
            folder = folder.rpartition("/")[0]
    return states | folders


def _tr(text: str) -> str:
    return QCoreApplication.translate("SyncController", text)


def describe_comparison(result: CompareResult) -> str:
    counts = result.counts()
    parts = [
        _tr(STATE_WORDS[state]).format(count=counts[state]) for state in FileState if counts[state]
    ]
    found = (
        ", ".join(parts)
        if parts
        else QCoreApplication.translate("SyncController", "no files on either side")
    )
    if result.prefix:
        text = QCoreApplication.translate("SyncController", "Compared {folder}: {found}").format(
            folder=result.prefix, found=found
        )
    else:
        text = QCoreApplication.translate(
            "SyncController", "Compared the whole store: {found}"
        ).format(found=found)
    if result.skipped:
        text += "; " + SyncController.tr(
            "%n name(s) skipped (not safe on this computer)", "", len(result.skipped)
        )
    seconds = QCoreApplication.translate("SyncController", "{seconds} s").format(
        seconds=f"{result.stats.seconds:.1f}"
    )
    return f"{text} ({seconds})."


class SyncController(QObject):
    """Sync actions for a :class:`MainWindow` (see the module docstring)."""

    def __init__(self, window: MainWindow, service: SyncService) -> None:
        super().__init__(window)
        self.window = window
        self.service = service
        self.action_compare = self._action(
            "actionCompare",
            self.tr("Compare"),
            "git-compare-arrows",
            "Ctrl+K",
            self.tr("Compare the selected folder on both sides by content"),
        )
        self.action_sync = self._action(
            "actionSync",
            self.tr("Sync…"),
            "folder-sync",
            "Ctrl+Shift+S",
            self.tr("Show what a sync of the selected folder would do, then run it"),
        )
        self.action_conflicts = self._action(
            "actionResolveConflicts",
            self.tr("Resolve conflicts…"),
            "circle-alert",
            "Ctrl+Shift+R",
            self.tr("Decide, file by file, which version of the files that differ to keep"),
        )
        self.action_migrate = self._action(
            "actionMigrate",
            self.tr("Migrate…"),
            "hard-drive",
            "Ctrl+Shift+M",
            self.tr("Copy the whole store to the bucket (or back), resumably, with a report"),
        )
        # The folder is taken when the action fires (a context menu names its pane only then).
        self.action_compare.triggered.connect(
            lambda: window.run_task(self.compare_selected(self.selected_prefix()))
        )
        self.action_sync.triggered.connect(
            lambda: window.run_task(self.sync_selected(prefix=self.selected_prefix()))
        )
        self.action_conflicts.triggered.connect(
            lambda: window.run_task(self.resolve_conflicts(self.selected_prefix()))
        )
        self.action_migrate.triggered.connect(lambda: window.run_task(self.open_migration()))
        self.actions = [
            self.action_compare,
            self.action_sync,
            self.action_conflicts,
            self.action_migrate,
        ]
        self.migration_dialog: MigrationDialog | None = None

    def _action(self, name: str, text: str, icon_name: str, shortcut: str, tip: str) -> QAction:
        action = QAction(icon(icon_name), text, self.window)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})")
        action.setStatusTip(tip)
        self.window.addAction(action)
        return action

    # ----------------------------------------------------------------- what to compare

    def _backends(self) -> tuple[LocalStorageBackend, StorageBackend] | None:
        if self.window.remote is None:
            self.window.notify(
                "warning", self.tr("No bucket is configured yet: open Settings to add one.")
            )
            return None
        return self.window.local, self.window.remote

    def selected_prefix(self) -> str:
        """The folder to work on: the selected folder, a selected file's folder, or the
        folder shown."""
        pane = self.window.focused_pane()
        paths = pane.selected_paths()
        if paths:
            path = paths[0]
            model = pane.model
            index = model.index_for(path)
            if index.isValid() and model.kind_for(index) is NodeKind.FILE:
                return path.rpartition("/")[0]
            return path
        return pane.current_folder()

    # ----------------------------------------------------------------- compare

    async def compare_selected(self, prefix: str | None = None) -> CompareResult | None:
        backends = self._backends()
        if backends is None:
            return None
        prefix = self.selected_prefix() if prefix is None else prefix
        self.window.statusBar().showMessage(
            self.tr("Comparing {folder}…").format(folder=prefix)
            if prefix
            else self.tr("Comparing the whole store…")
        )
        local, remote = backends
        result = await self.service.compare(local, remote, prefix)
        self.show_comparison(result)
        self.window.notify("info", describe_comparison(result))
        self.window.statusBar().clearMessage()
        return result

    def show_comparison(self, result: CompareResult) -> None:
        states = tree_states(result)
        for model in (self.window.local_model, self.window.remote_model):
            model.set_sync_states(result.prefix, states)

    # ----------------------------------------------------------------- sync

    async def sync_selected(
        self, mode: SyncMode = SyncMode.UPLOAD, *, prefix: str | None = None
    ) -> None:
        from app.views.main_window import run_dialog
        from app.views.sync_dialogs import PlanDialog, plan_summary

        result = await self.compare_selected(prefix)
        if result is None:
            return
        dialog = PlanDialog(
            result,
            mode,
            SyncService.plan,
            self.window,
            max_delete_percent=self.service.max_delete_percent,
        )
        self.plan_dialog = dialog
        if await run_dialog(dialog) != PlanDialog.DialogCode.Accepted:
            return
        plan = dialog.plan
        await self.run_plan(plan)
        logger.info("Sync plan run: %s", plan_summary(plan))

    async def run_plan(self, plan: SyncPlan) -> None:
        remote = self.window.remote
        if remote is None:
            return
        steps = self.tr("%n step(s)", "", len(plan.actions))
        where = plan.prefix or self.tr("the whole store")
        self.window.notify(
            "info",
            self.tr("Syncing {folder}: {steps}, {size} to copy; follow them in Transfers.").format(
                folder=where, steps=steps, size=format_size(plan.total_bytes)
            ),
        )
        report = await self.service.run(self.window.local, remote, plan)
        self._refresh_after(plan.prefix)
        if report.failed:
            first = report.failed[0][1]
            failures = self.tr("%n failure(s)", "", len(report.failed))
            done = self.tr("%n step(s) done", "", len(report.done))
            self.window.notify(
                "error",
                self.tr("Sync finished with {failures} and {done}. First failure: {first}").format(
                    failures=failures, done=done, first=first
                ),
            )
        else:
            extra = (
                "; " + self.tr("%n conflict(s) kept both", "", len(report.conflicts))
                if report.conflicts
                else ""
            )
            text = self.tr(
                "Sync done: {copied} copied ({size}), {deleted} deleted (to the trash)"
            ).format(
                copied=report.files_copied,
                size=format_size(report.bytes_copied),
                deleted=report.files_deleted,
            )
            self.window.notify("info", f"{text}{extra}.")
        if report.unverified:
            # Kept without proof (SSE-KMS ETags, no recorded SHA-256): a warning that stays.
            path, reason = report.unverified[0]
            self.window.notify(
                "warning",
                self.tr(
                    "%n file(s) saved but NOT verified, e.g. {path}: {reason}",
                    "",
                    len(report.unverified),
                ).format(path=path, reason=reason),
            )
        await self.compare_selected(plan.prefix)

    def _refresh_after(self, prefix: str) -> None:
        for side in ("local", SIDE_S3):
            self.window.schedule_refresh(side, f"{prefix}/x" if prefix else "x")
        self.window.usage.start_counting()

    # ----------------------------------------------------------------- conflicts

    async def resolve_conflicts(self, prefix: str | None = None) -> None:
        from app.views.main_window import run_dialog
        from app.views.sync_dialogs import ConflictDialog

        result = await self.compare_selected(prefix)
        if result is None:
            return
        entries = result.by_state(*NEEDS_DECISION)
        cards = [await self._card(entry) for entry in entries]
        for card in cards:
            card.chosen.connect(
                lambda choice, c=card, r=result: self.window.run_task(self.decide(r, c, choice))
            )
        dialog = ConflictDialog(cards, self.window)
        self.conflict_dialog = dialog
        await run_dialog(dialog)

    async def _card(self, entry: Entry) -> ConflictCard:
        from app.views.sync_dialogs import ConflictCard

        media = self.window.media_controller
        service = media.media if media is not None else None
        local_media = remote_media = None
        local_image = remote_image = None
        if service is not None:
            if entry.remote is not None:
                remote_media = service.cached_info(entry.remote)
            if entry.local is not None:
                local_info = ObjectInfo(entry.path, entry.local.size, entry.local.modified)
                local_media = service.cached_info(local_info)
            recording = StoragePathBuilder.parse_recording(entry.path)
            picture: str | None = None
            if entry.path.endswith((".jpg", ".jpeg", ".png")):
                picture = entry.path
            elif recording is not None:
                picture = f"{StoragePathBuilder().recording_root(*recording)}/thumbnail.jpg"
            if picture is not None:
                local_image = await self._image(service, self.window.local, picture)
                remote_image = await self._image(service, self.window.remote, picture)
        return ConflictCard(entry, local_media, remote_media, local_image, remote_image)

    @staticmethod
    async def _image(
        service: MediaService, backend: StorageBackend | None, path: str
    ) -> QImage | None:
        if backend is None:
            return None
        try:
            return await service.thumbnail(backend, await backend.stat(path))
        except StorageError:
            return None

    async def decide(self, result: CompareResult, card: ConflictCard, choice: str) -> None:
        remote = self.window.remote
        if remote is None:
            return
        labels = {
            KEEP_LOCAL: self.tr("Kept this computer's version"),
            KEEP_REMOTE: self.tr("Kept the bucket's version"),
            KEEP_BOTH: self.tr("Kept both versions"),
        }
        card.set_busy(self.tr("Working…"))
        try:
            report = await self.service.resolve(
                self.window.local, remote, result, card.entry, choice
            )
        except StorageError as exc:
            card.set_outcome(self.tr("Failed: {error}").format(error=describe(exc)), done=False)
            raise
        if report.failed:
            card.set_outcome(
                self.tr("Failed: {error}").format(error=report.failed[0][1]), done=False
            )
            return
        outcome = labels[choice] + "."
        if choice == KEEP_BOTH and report.conflicts:
            renamed = report.conflicts[0][1].rpartition("/")[2]
            outcome = self.tr("Kept both versions; the older one is now {name}.").format(
                name=renamed
            )
        card.set_outcome(outcome, done=True)
        self._refresh_after(card.entry.path.rpartition("/")[0])

    # ----------------------------------------------------------------- migration

    async def open_migration(self) -> None:
        from app.views.main_window import run_dialog
        from app.views.sync_dialogs import MigrationDialog

        if self._backends() is None:
            return
        dialog = MigrationDialog(self.window)
        self.migration_dialog = dialog
        dialog.planRequested.connect(
            lambda to, delete: self.window.run_task(self.migrate(dialog, to, delete, dry_run=True))
        )
        dialog.startRequested.connect(
            lambda to, delete: self.window.run_task(self.migrate(dialog, to, delete, dry_run=False))
        )
        await run_dialog(dialog)

    async def migrate(
        self, dialog: MigrationDialog, to: str, delete_source: bool, *, dry_run: bool
    ) -> None:
        remote = self.window.remote
        if remote is None:
            return

        def on_plan(plan: SyncPlan) -> None:
            per_user: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
            for action in plan.actions:
                user = StoragePathBuilder.parse_user_slug(action.path) or self.tr("(shared)")
                per_user[user][0] += 1
                per_user[user][1] += action.nbytes
            dialog.show_plan(plan, {u: (f, b) for u, (f, b) in per_user.items()})

        def on_progress(step: MigrationProgress) -> None:
            dialog.show_progress(
                step.user,
                step.user_files_done,
                step.user_files_total,
                step.files_done,
                step.files_total,
                step.eta_seconds,
            )

        dialog.set_running(True)
        try:
            report = await self.service.migrate(
                self.window.local,
                remote,
                to=to,
                delete_source=delete_source,
                dry_run=dry_run,
                on_progress=on_progress,
                on_plan=on_plan,
            )
        finally:
            dialog.set_running(False)
        if dry_run:
            return
        dialog.start_button.setEnabled(False)
        text = self.tr(
            "Done in {seconds} s: {copied} copied ({size}), {present} already there, "
            "{skipped} skipped, {failed} failed"
        ).format(
            seconds=f"{report.seconds:.0f}",
            copied=report.files_copied,
            size=format_size(report.bytes_copied),
            present=report.already_present,
            skipped=len(report.skipped),
            failed=len(report.failed),
        )
        if delete_source:
            text += ", " + self.tr("{count} originals deleted").format(count=report.sources_deleted)
        text += "."
        if report.failed:
            text += "\n" + self.tr("First failure: {error}").format(error=report.failed[0][1])
            text += "\n" + self.tr(
                "Start again to retry: what is already verified is not sent again."
            )
        dialog.report.setText(text)
        self.window.notify(
            "error" if report.failed else "info",
            self.tr("Migration: {result}").format(result=text.splitlines()[0]),
        )
        self._refresh_after("")
