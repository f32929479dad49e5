"""The settings dialog: connection profiles, their secrets, and *Test connection*.

Profiles are listed on the left and edited on the right. The secret access key goes to the OS
keyring when the user saves, never to the profiles file (RELIABILITY S7); if there is no usable
keyring, the dialog says what to do and saves the profile without its secret (F9). *Test
connection* builds a throw-away backend from what the form shows right now, runs its ``check()``
and answers in one plain sentence (bad key, no bucket, unreachable, clock off).

Keyring calls and the connection test are asyncio tasks started from ordinary slots; the dialog
keeps a reference to each task, and whatever one raises is shown in the dialog, not lost on
stderr (RELIABILITY: qasync sends async-slot errors to ``sys.excepthook``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import shiboken6
from pydantic import ValidationError
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.credentials import CredentialError, CredentialStore
from app.i18n import SETTING_LANGUAGE, SYSTEM, normalize
from app.messages import check_detail, describe
from app.profiles import (
    Profile,
    ProfileStore,
    ProfileStoreError,
    build_settings,
    load_settings,
    overridden_variables,
    secret_ref_for,
    variable_name,
)
from file_storage.backends.base import CheckResult, StorageBackend
from file_storage.errors import StorageError
from file_storage.factory import create_storage_backend
from file_storage.redaction import redact, register_secret
from file_storage.settings import StorageSettings

logger = logging.getLogger(__name__)

BackendFactory = Callable[[StorageSettings], StorageBackend]

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_QUOTA_GB = 1_000_000.0
COLORS = {"ok": "#1b7f3b", "error": "#a61b1b", "warning": "#8a5a00", "info": "", "busy": ""}
ICONS = {
    "ok": QStyle.StandardPixmap.SP_DialogApplyButton,
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "busy": QStyle.StandardPixmap.SP_BrowserReload,
}

#: What a failed check means, by :attr:`StorageError.kind`, in words a content manager reads.
#: (English source texts; shown translated in the "SettingsDialog" context.)
CHECK_SENTENCES = {
    "bad-credentials": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "The access key ID or secret access key is wrong: the server does not accept them.",
    ),
    "access-denied": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "Access denied: the access key ID or secret access key is wrong, or this key may not "
        "list the bucket.",
    ),
    "bucket-not-found": QT_TRANSLATE_NOOP(
        "SettingsDialog", "The bucket does not exist at this endpoint: check the bucket name."
    ),
    "unreachable": QT_TRANSLATE_NOOP(
        "SettingsDialog", "Cannot reach the server: check the endpoint URL and your network."
    ),
    "tls": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "The server's certificate could not be verified (self-signed or private CA?).",
    ),
    "clock-skew": QT_TRANSLATE_NOOP(
        "SettingsDialog",
        "This computer's clock is off, so the server refuses every request: turn on automatic "
        "date and time.",
    ),
    "unavailable": QT_TRANSLATE_NOOP(
        "SettingsDialog", "The server is busy or unavailable right now: try again later."
    ),
    "configuration": QT_TRANSLATE_NOOP(
        "SettingsDialog", "The settings are incomplete or contradictory."
    ),
}

#: The short reason under the secret field; the full guidance goes to the status line.
KEYRING_PROBLEMS = {
    "keyring-unavailable": QT_TRANSLATE_NOOP("SettingsDialog", "no system keyring is available"),
    "keyring-insecure": QT_TRANSLATE_NOOP(
        "SettingsDialog", "no secure system keyring is available"
    ),
    "keyring-locked": QT_TRANSLATE_NOOP("SettingsDialog", "the keyring is locked"),
    "keyring-refused": QT_TRANSLATE_NOOP("SettingsDialog", "the keyring refused access"),
}

FIELD_LABELS = {
    "name": QT_TRANSLATE_NOOP("SettingsDialog", "Name"),
    "endpoint_url": QT_TRANSLATE_NOOP("SettingsDialog", "Endpoint URL"),
    "region": QT_TRANSLATE_NOOP("SettingsDialog", "Region"),
    "bucket": QT_TRANSLATE_NOOP("SettingsDialog", "Bucket"),
    "prefix": QT_TRANSLATE_NOOP("SettingsDialog", "Prefix"),
    "access_key_id": QT_TRANSLATE_NOOP("SettingsDialog", "Access key ID"),
    "s3_max_size_gb": QT_TRANSLATE_NOOP("SettingsDialog", "Bucket quota"),
    "local_path": QT_TRANSLATE_NOOP("SettingsDialog", "Local store folder"),
    "local_max_size_gb": QT_TRANSLATE_NOOP("SettingsDialog", "Local quota"),
}

#: The interface languages offered: (label, QSettings value). A language is named in itself.
LANGUAGE_CHOICES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "System default"), SYSTEM),
    ("English", "en"),
    ("Русский", "ru"),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


def explain_check(result: CheckResult) -> str:
    """One plain sentence for a connection check, then the backend's detail."""
    if result.ok:
        return QCoreApplication.translate("SettingsDialog", "Connection works. {detail}").format(
            detail=check_detail(result)
        )
    kind = result.error.kind if result.error is not None else ""
    sentence = CHECK_SENTENCES.get(
        kind, QT_TRANSLATE_NOOP("SettingsDialog", "The connection test failed.")
    )
    return QCoreApplication.translate("SettingsDialog", "{sentence}\nDetails: {detail}").format(
        sentence=_tr(sentence), detail=check_detail(result)
    )


def explain_validation(error: ValidationError, *, from_environment: bool = False) -> str:
    """Name each invalid field the way the form labels it (or by its ``STORAGE_*`` variable)."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if from_environment:
            label = variable_name(field)
        else:
            known = FIELD_LABELS.get(field)
            label = (
                _tr(known)
                if known
                else (
                    field.replace("_", " ")
                    or QCoreApplication.translate("SettingsDialog", "Settings")
                )
            )
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{label}: {message}")
    problems = "; ".join(lines)
    if from_environment:
        return QCoreApplication.translate(
            "SettingsDialog", "Please fix the environment or .env: {problems}"
        ).format(problems=problems)
    return QCoreApplication.translate("SettingsDialog", "Please fix the form: {problems}").format(
        problems=problems
    )


class SettingsDialog(QDialog):
    """Edit connection profiles, store their secrets in the keyring, test a connection.

    Construct it while the qasync loop runs (or let it start its keyring check when it does).

    Args:
        profiles: The loaded profile store; every change is saved to it at once.
        credentials: Where secrets go (the OS keyring).
        backend_factory: Builds the throw-away backend for *Test connection*.
        env_file: The ``.env`` the app honours, to build settings exactly as the app does.
        parent: The parent widget.
        settings: Where the interface language is kept (default: the app's ``QSettings``).

    Signals:
        profileSaved(str): A profile was saved (its id). If it is the active profile, the
            app should build a new backend from it and close the old one.
        activeProfileChanged(str): The user chose another profile for the app, or removed
            the active one (the new id, or "" when no profile is left).
        connectionTested(bool): A connection test finished; True when it worked.
        sessionSecretChosen(str, str): The keyring could not keep the secret and the user
            chose to use it for this session only (profile id, the secret: memory only).
    """

    profileSaved = Signal(str)
    activeProfileChanged = Signal(str)
    sessionSecretChosen = Signal(str, str)
    connectionTested = Signal(bool)

    def __init__(
        self,
        profiles: ProfileStore,
        credentials: CredentialStore,
        backend_factory: BackendFactory = create_storage_backend,
        *,
        env_file: Path | None = None,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Leap Sync settings"))
        self._settings = settings if settings is not None else QSettings()
        self._profiles = profiles
        self._credentials = credentials
        self._backend_factory = backend_factory
        self._env_file = env_file
        self._tasks: set[asyncio.Task[None]] = set()
        self._current_id: str | None = None
        self._loading = False
        self._dirty = False
        self._keyring_problem: CredentialError | None = None

        layout = QHBoxLayout(self)
        layout.addLayout(self._build_list_side(), 1)
        layout.addLayout(self._build_form_side(), 3)
        self.resize(900, 620)
        self._refresh_list(select=profiles.active_id)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # built before the loop runs: check once it does
            QTimer.singleShot(0, self._start_keyring_check)
        else:
            self._start_keyring_check()

    # ----------------------------------------------------------------- building

    def _build_list_side(self) -> QVBoxLayout:
        side = QVBoxLayout()
        self.profile_model = QStandardItemModel(self)
        self.profile_list = QListView()
        self.profile_list.setObjectName("profileList")
        self.profile_list.setModel(self.profile_model)
        self.profile_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.profile_list.selectionModel().currentChanged.connect(self._on_current_changed)
        side.addWidget(QLabel(self.tr("<b>Profiles</b>")))
        side.addWidget(self.profile_list, 1)
        row = QHBoxLayout()
        self.add_button = self._button(self.tr("Add"), "addProfileButton", self._on_add, row)
        self.duplicate_button = self._button(
            self.tr("Duplicate"), "duplicateProfileButton", self._on_duplicate, row
        )
        self.remove_button = self._button(
            self.tr("Remove"), "removeProfileButton", self._on_remove, row
        )
        side.addLayout(row)
        self.use_button = self._button(
            self.tr("Use this profile"), "useProfileButton", self._on_use
        )
        side.addWidget(self.use_button)
        side.addSpacing(12)
        side.addLayout(self._build_language_row())
        return side

    def _build_language_row(self) -> QVBoxLayout:
        """The interface language: stored at once, used from the next start."""
        box = QVBoxLayout()
        row = QHBoxLayout()
        label = QLabel(self.tr("Language"))
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("languageCombo")
        for text, value in LANGUAGE_CHOICES:
            self.language_combo.addItem(self.tr(text), value)
        label.setBuddy(self.language_combo)
        self._language_at_open = normalize(self._settings.value(SETTING_LANGUAGE, SYSTEM)) or SYSTEM
        _select_data(self.language_combo, self._language_at_open)
        self.language_combo.activated.connect(self._on_language_chosen)
        row.addWidget(label)
        row.addWidget(self.language_combo, 1)
        box.addLayout(row)
        self.language_note = self._label("languageNoteLabel")
        self.language_note.setText(self.tr("The new language takes effect after a restart."))
        self.language_note.setVisible(False)
        box.addWidget(self.language_note)
        return box

    def _on_language_chosen(self, _index: int) -> None:
        value = str(self.language_combo.currentData())
        self._settings.setValue(SETTING_LANGUAGE, value)
        self._settings.sync()
        self.language_note.setVisible(value != self._language_at_open)

    def _build_form_side(self) -> QVBoxLayout:
        side = QVBoxLayout()
        side.addWidget(self._build_connection_group())
        side.addWidget(self._build_local_group())
        self.env_note = self._label("envNoteLabel")
        side.addWidget(self.env_note)
        test_row = QHBoxLayout()
        self.test_button = self._button(
            self.tr("Test connection"), "testConnectionButton", self._on_test, test_row
        )
        self.test_icon = self._label("testIconLabel")
        test_row.addWidget(self.test_icon)
        self.test_result = self._label("testResultLabel")
        test_row.addWidget(self.test_result, 1)
        side.addLayout(test_row)
        self.status_label = self._label("statusLabel")
        side.addWidget(self.status_label)
        session_row = QHBoxLayout()
        self.session_button = self._button(
            self.tr("Use it for this session only"),
            "sessionSecretButton",
            self._on_session_secret,
            session_row,
        )
        self.session_button.setToolTip(
            self.tr(
                "Connect with the typed secret until Leap Sync quits, without storing it "
                "anywhere. After a restart the previous connection is used again."
            )
        )
        self.session_button.setVisible(False)
        session_row.addStretch(1)
        side.addLayout(session_row)
        side.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = self._button(self.tr("Save"), "saveButton", self._on_save, buttons)
        self.save_button.setDefault(True)
        self.close_button = self._button(self.tr("Close"), "closeButton", self.reject, buttons)
        side.addLayout(buttons)
        return side

    def _build_connection_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("S3 connection"))
        form = QFormLayout(group)
        self.name_edit = self._edit("nameEdit", form, self.tr("Name"), self.tr("Lectures bucket"))
        self.endpoint_edit = self._edit(
            "endpointEdit",
            form,
            self.tr("Endpoint URL"),
            self.tr("Empty for AWS S3; e.g. https://minio.example.org"),
        )
        self.region_edit = self._edit("regionEdit", form, self.tr("Region"), "us-east-1")
        self.bucket_edit = self._edit("bucketEdit", form, self.tr("Bucket"), "my-recordings")
        self.prefix_edit = self._edit("prefixEdit", form, self.tr("Prefix"), "storage")
        self.access_key_edit = self._edit("accessKeyEdit", form, self.tr("Access key ID"), "")
        self.secret_edit = self._edit("secretEdit", form, self.tr("Secret access key"), "")
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_hint = self._label("secretHintLabel")
        form.addRow("", self.secret_hint)
        self.addressing_combo = self._combo(
            "addressingCombo",
            form,
            self.tr("Addressing"),
            [
                (self.tr("Automatic (path-style for custom endpoints)"), "auto"),
                (self.tr("Path-style (endpoint/bucket)"), "path"),
                (self.tr("Virtual-hosted (bucket.endpoint)"), "virtual"),
            ],
        )
        checksum_choices: list[tuple[str, str | None]] = [
            (self.tr("Default (when required on custom endpoints)"), None),
            (self.tr("When supported"), "when_supported"),
            (self.tr("When required"), "when_required"),
        ]
        self.request_checksum_combo = self._combo(
            "requestChecksumCombo", form, self.tr("Request checksums"), checksum_choices
        )
        self.response_checksum_combo = self._combo(
            "responseChecksumCombo", form, self.tr("Response checksums"), checksum_choices
        )
        self.s3_quota_spin = self._quota_spin("s3QuotaSpin", form, self.tr("Bucket quota"))
        return group

    def _build_local_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Local store"))
        form = QFormLayout(group)
        row = QHBoxLayout()
        self.local_path_edit = QLineEdit()
        self.local_path_edit.setObjectName("localPathEdit")
        self.local_path_edit.setPlaceholderText(self.tr("Folder that holds the recordings"))
        self.local_path_edit.textEdited.connect(self._mark_dirty)
        row.addWidget(self.local_path_edit, 1)
        self.browse_button = self._button(self.tr("Browse…"), "browseButton", self._on_browse, row)
        form.addRow(self.tr("Folder"), row)
        self.local_quota_spin = self._quota_spin("localQuotaSpin", form, self.tr("Local quota"))
        return group

    def _button(
        self, text: str, name: str, slot: Callable[[], Any], row: QHBoxLayout | None = None
    ) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        if row is not None:
            row.addWidget(button)
        return button

    def _label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _edit(self, name: str, form: QFormLayout, label: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(self._mark_dirty)
        form.addRow(label, edit)
        return edit

    def _combo(
        self, name: str, form: QFormLayout, label: str, choices: list[tuple[str, str | None]]
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for text, value in choices:
            combo.addItem(text, value)
        combo.activated.connect(self._mark_dirty)
        form.addRow(label, combo)
        return combo

    def _quota_spin(self, name: str, form: QFormLayout, label: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setObjectName(name)
        spin.setRange(0.0, MAX_QUOTA_GB)
        spin.setDecimals(2)
        spin.setSuffix(self.tr(" GB"))
        spin.setSpecialValueText(self.tr("No quota"))  # shown at the minimum, 0
        spin.valueChanged.connect(self._mark_dirty)
        form.addRow(label, spin)
        return spin

    # ----------------------------------------------------------------- list and form

    def _refresh_list(self, select: str | None = None) -> None:
        """Rebuild the list from the store and select ``select`` (or the first profile).

        The form is reloaded only when the selection moves to another profile.
        """
        active = self._profiles.active_id
        selection = self.profile_list.selectionModel()
        selection.blockSignals(True)
        try:
            self.profile_model.clear()
            for profile in self._profiles.profiles:
                in_use = self.tr(" (in use)") if profile.id == active else ""
                item = QStandardItem(profile.name + in_use)
                item.setData(profile.id, ID_ROLE)
                if profile.id == active:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.profile_model.appendRow(item)
            row = self._row_of(select)
            if row is None and self.profile_model.rowCount():
                row = 0
            if row is not None:
                self.profile_list.setCurrentIndex(self.profile_model.index(row, 0))
        finally:
            selection.blockSignals(False)
        current = self.profile_list.currentIndex()
        selected = current.data(ID_ROLE) if current.isValid() else None
        if selected != self._current_id or selected is None:
            self._show_profile(selected)
        else:  # same profile: keep what the user is typing
            self._update_secret_hint()
            self._update_buttons()

    def _row_of(self, profile_id: str | None) -> int | None:
        for row in range(self.profile_model.rowCount()):
            if self.profile_model.item(row).data(ID_ROLE) == profile_id:
                return row
        return None

    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        new_id = current.data(ID_ROLE) if current.isValid() else None
        if new_id == self._current_id:
            return
        if not self._confirm_discard():
            selection = self.profile_list.selectionModel()
            selection.blockSignals(True)
            self.profile_list.setCurrentIndex(previous)
            selection.blockSignals(False)
            return
        self._show_profile(new_id)

    def _show_profile(self, profile_id: str | None) -> None:
        """Fill the form with the saved profile; unsaved edits are dropped."""
        self._current_id = profile_id
        self.session_button.setVisible(False)
        profile = self._profiles.get(profile_id) if profile_id else None
        shown = profile or Profile()
        self._loading = True
        try:
            # No profile: an empty form (the model's default name is English, never shown).
            self.name_edit.setText(shown.name if profile is not None else "")
            self.endpoint_edit.setText(shown.endpoint_url)
            self.region_edit.setText(shown.region)
            self.bucket_edit.setText(shown.bucket)
            self.prefix_edit.setText(shown.prefix)
            self.access_key_edit.setText(shown.access_key_id)
            self.secret_edit.clear()
            _select_data(self.addressing_combo, shown.addressing_style)
            _select_data(self.request_checksum_combo, shown.request_checksum_calculation)
            _select_data(self.response_checksum_combo, shown.response_checksum_validation)
            self.s3_quota_spin.setValue(shown.s3_max_size_gb or 0.0)
            self.local_path_edit.setText(str(shown.local_path) if shown.local_path else "")
            self.local_quota_spin.setValue(shown.local_max_size_gb or 0.0)
        finally:
            self._loading = False
        self._dirty = False
        self._set_message(self.test_icon, self.test_result, "info", "")
        self._update_secret_hint()
        self._update_env_note()
        self._update_buttons()

    def _form_values(self) -> dict[str, Any]:
        local_path = self.local_path_edit.text().strip()
        return {
            "name": self.name_edit.text(),
            "endpoint_url": self.endpoint_edit.text(),
            "region": self.region_edit.text(),
            "bucket": self.bucket_edit.text(),
            "prefix": self.prefix_edit.text(),
            "access_key_id": self.access_key_edit.text(),
            "addressing_style": self.addressing_combo.currentData(),
            "request_checksum_calculation": self.request_checksum_combo.currentData(),
            "response_checksum_validation": self.response_checksum_combo.currentData(),
            "s3_max_size_gb": self.s3_quota_spin.value() or None,
            "local_path": Path(local_path).expanduser() if local_path else None,
            "local_max_size_gb": self.local_quota_spin.value() or None,
        }

    def _profile_from_form(self) -> Profile:
        """The current profile as the form shows it (secret excluded).

        Raises:
            ValidationError: A field is invalid.
        """
        base = self._profiles.get(self._current_id) if self._current_id else Profile()
        return Profile.model_validate({**base.model_dump(), **self._form_values()})

    def _update_buttons(self) -> None:
        has_profile = self._current_id is not None
        for widget in (self.duplicate_button, self.remove_button, self.save_button):
            widget.setEnabled(has_profile)
        self.use_button.setEnabled(has_profile and self._current_id != self._profiles.active_id)
        self.test_button.setEnabled(has_profile and not self._testing)
        for edit in self.findChildren(QGroupBox):
            edit.setEnabled(has_profile)

    @property
    def _testing(self) -> bool:
        return self.test_button.property("testing") is True

    def _update_secret_hint(self) -> None:
        problem = self._keyring_problem
        if problem is not None:
            reason = KEYRING_PROBLEMS.get(problem.kind)
            why = self.tr(reason) if reason else self.tr("the keyring cannot be used")
            text = self.tr("Cannot be saved: {reason}.").format(reason=why)
            self._set_message(None, self.secret_hint, "warning", text)
            self.secret_hint.setToolTip(str(problem))
            self.secret_edit.setPlaceholderText(self.tr("Not saved until the keyring works"))
            return
        where = self._credentials.describe()
        if where == "the system keyring":  # the store's English fallback before detection
            where = self.tr("the system keyring")
        text = self.tr("Stored in {keyring}, never in a file.").format(keyring=where)
        self._set_message(None, self.secret_hint, "info", text)
        self.secret_hint.setToolTip("")
        profile = self._profiles.get(self._current_id) if self._current_id else None
        stored = profile is not None and profile.secret_ref is not None
        self.secret_edit.setPlaceholderText(
            self.tr("Saved in the keyring; type to replace") if stored else self.tr("Not set")
        )

    def _update_env_note(self) -> None:
        try:
            names = overridden_variables(self._env_file)
        except ValidationError as exc:
            message = explain_validation(exc, from_environment=True)
            self._set_message(None, self.env_note, "error", message)
            return
        text = (
            self.tr(
                "Set in the environment or .env, and used instead of this profile: {names}."
            ).format(names=", ".join(names))
            if names
            else ""
        )
        self._set_message(None, self.env_note, "warning", text)

    def _set_message(self, icon: QLabel | None, label: QLabel, level: str, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
        label.setProperty("level", level)
        color = COLORS.get(level, "")
        label.setStyleSheet(f"color: {color};" if color else "")
        if icon is not None:
            pixmap = ICONS.get(level)
            icon.setVisible(pixmap is not None and bool(text))
            if pixmap is not None:
                icon.setPixmap(self.style().standardIcon(pixmap).pixmap(16, 16))

    def _show_status(self, level: str, text: str) -> None:
        self._set_message(None, self.status_label, level, text)

    def show_outcome(self, level: str, text: str, *, append: bool = False) -> None:
        """Say what the app did with a saved or chosen profile (switched, or why not).

        Args:
            level: ``"ok"``, ``"info"``, ``"warning"`` or ``"error"``.
            text: The sentence.
            append: Add it under what the status line says already (e.g. the keyring's
                reason) instead of replacing it.
        """
        if append and self.status_label.text():
            text = f"{self.status_label.text()}\n{text}"
        self._show_status(level, text)

    def refresh_profiles(self) -> None:
        """Show the store again (the profile in use may have changed behind the dialog)."""
        self._refresh_list(select=self._current_id)
        self._update_buttons()

    def _mark_dirty(self, *_args: object) -> None:
        if not self._loading:
            self._dirty = True

    # ----------------------------------------------------------------- tasks

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` as a task the dialog owns; what it raises is shown in the dialog."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is None:
            return
        logger.error("Settings dialog task failed", exc_info=error)
        if shiboken6.isValid(self):
            self._show_status(
                "error",
                self.tr("Something went wrong: {error}").format(error=_describe_exception(error)),
            )

    async def wait_idle(self) -> None:
        """Wait until every task the dialog started has finished (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel_tasks(self) -> None:
        """Cancel running keyring calls and connection tests (the dialog is closing)."""
        for task in list(self._tasks):
            task.cancel()

    def done(self, result: int) -> None:
        if not self._confirm_discard():
            return
        self.cancel_tasks()
        super().done(result)

    # ----------------------------------------------------------------- keyring status

    def _start_keyring_check(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no asyncio loop (yet): the hint stays generic until a save
            return
        self._spawn(self._check_keyring())

    async def _check_keyring(self) -> None:
        try:
            await self._credentials.check()
        except CredentialError as exc:
            self._keyring_problem = exc
            self._show_status("warning", describe(exc))  # F9: say what to do before anyone types
        else:
            self._keyring_problem = None
        self._update_secret_hint()

    # ----------------------------------------------------------------- profile actions

    def _on_add(self) -> None:
        if self._confirm_discard():
            self._add_profile(Profile(name=self._unique_name(self.tr("New profile"))))
            self.name_edit.setFocus()
            self.name_edit.selectAll()

    def _on_duplicate(self) -> None:
        if self._current_id is None or not self._confirm_discard():
            return
        source = self._profiles.get(self._current_id)
        copy = Profile.model_validate(
            {
                **source.model_dump(),
                "id": Profile().id,
                "name": self._unique_name(self.tr("{name} (copy)").format(name=source.name)),
                "secret_ref": None,
            }
        )
        if self._add_profile(copy) and source.secret_ref:
            self._spawn(self._copy_secret(source.secret_ref, copy.id))

    def _add_profile(self, profile: Profile) -> bool:
        # Not activated: an empty profile must not replace the connection in use. The app
        # starts using it after a Save, once it works (see app.settings_flow).
        try:
            self._profiles.add(profile)
        except ProfileStoreError as exc:
            self._show_status("error", describe(exc))
            return False
        self._refresh_list(select=profile.id)
        self._show_status("info", self.tr("Added “{name}”.").format(name=profile.name))
        return True

    async def _copy_secret(self, ref: str, profile_id: str) -> None:
        try:
            secret = await self._credentials.get_secret(ref)
            if secret is None or self._profiles.get(profile_id).secret_ref is not None:
                return
            new_ref = secret_ref_for(profile_id)
            await self._credentials.set_secret(new_ref, secret)
            copy = self._profiles.get(profile_id)
            self._profiles.update(copy.model_copy(update={"secret_ref": new_ref}))
        except KeyError:  # the copy was removed meanwhile
            return
        except (CredentialError, ProfileStoreError) as exc:
            self._show_status(
                "warning",
                self.tr("The copy was made without its secret: {error}").format(
                    error=describe(exc)
                ),
            )
            return
        if self._current_id == profile_id:
            self._update_secret_hint()

    def _on_remove(self) -> None:
        if self._current_id is None:
            return
        profile = self._profiles.get(self._current_id)
        question = self.tr("Remove the profile “{name}”?").format(name=profile.name)
        if profile.secret_ref:
            question += " " + self.tr("Its secret is deleted from {keyring}.").format(
                keyring=self._credentials.describe()
            )
        if self._confirm(question):
            self.remove_button.setEnabled(False)
            self._spawn(self._remove(profile))

    async def _remove(self, profile: Profile) -> None:
        problem: CredentialError | None = None
        if profile.secret_ref:
            try:
                await self._credentials.delete_secret(profile.secret_ref)
            except CredentialError as exc:
                problem = exc
        was_active = self._profiles.active_id == profile.id
        try:
            self._profiles.remove(profile.id)
        except KeyError:
            return
        except ProfileStoreError as exc:
            self._show_status("error", describe(exc))
            self._update_buttons()
            return
        if self._current_id == profile.id:
            self._dirty = False
        self._refresh_list(select=self._current_id)
        if problem is not None:
            self._show_status(
                "warning",
                self.tr("Removed “{name}”, but its secret is still stored: {error}").format(
                    name=profile.name, error=describe(problem)
                ),
            )
        else:
            self._show_status("info", self.tr("Removed “{name}”.").format(name=profile.name))
        if was_active:
            self.activeProfileChanged.emit(self._profiles.active_id or "")

    def _on_use(self) -> None:
        if self._current_id is None:
            return
        try:
            self._profiles.set_active(self._current_id)
        except ProfileStoreError as exc:
            self._show_status("error", describe(exc))
            return
        self._refresh_list(select=self._current_id)
        name = self._profiles.get(self._current_id).name
        self._show_status("info", self.tr("Leap Sync now uses “{name}”.").format(name=name))
        self.activeProfileChanged.emit(self._current_id)

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Local store folder"), self.local_path_edit.text() or str(Path.home())
        )
        if folder:
            self.local_path_edit.setText(folder)
            self._mark_dirty()

    # ----------------------------------------------------------------- save

    def _on_save(self) -> None:
        if self._current_id is not None:
            self.save_button.setEnabled(False)
            self._spawn(self._save())

    async def _save(self) -> None:
        try:
            try:
                profile = self._profile_from_form()
            except ValidationError as exc:
                self._show_status("error", explain_validation(exc))
                return
            profile, problem = await self._store_secret(profile)
            try:
                self._profiles.update(profile)
            except (KeyError, ProfileStoreError) as exc:
                self._show_status(
                    "error", self.tr("The profile was not saved: {error}").format(error=exc)
                )
                return
        finally:
            self.save_button.setEnabled(self._current_id is not None)
        if self._current_id == profile.id:
            self._dirty = bool(self.secret_edit.text())  # a secret the keyring refused
        self._refresh_list(select=self._current_id)
        self.session_button.setVisible(problem is not None and bool(self.secret_edit.text()))
        if problem is not None:
            self._show_status(
                "error",
                self.tr("Saved “{name}” without its secret. {error}").format(
                    name=profile.name, error=describe(problem)
                ),
            )
        else:
            self._show_status("ok", self.tr("Saved “{name}”.").format(name=profile.name))
        self.profileSaved.emit(profile.id)

    def _on_session_secret(self) -> None:
        secret = self.secret_edit.text()
        if self._current_id is None or not secret:
            return
        register_secret(secret)  # from now on no log line can show it
        self.session_button.setVisible(False)
        self.sessionSecretChosen.emit(self._current_id, secret)

    async def _store_secret(self, profile: Profile) -> tuple[Profile, CredentialError | None]:
        """Put a typed secret in the keyring; on failure it stays only in the form."""
        secret = self.secret_edit.text()
        if not secret:
            return profile, None
        register_secret(secret)
        ref = secret_ref_for(profile.id)
        try:
            await self._credentials.set_secret(ref, secret)
        except CredentialError as exc:
            self._keyring_problem = exc
            self._update_secret_hint()
            return profile, exc
        self._keyring_problem = None
        if self._current_id == profile.id and self.secret_edit.text() == secret:
            self.secret_edit.clear()
        return profile.model_copy(update={"secret_ref": ref}), None

    # ----------------------------------------------------------------- test connection

    def _on_test(self) -> None:
        if self._current_id is not None and not self._testing:
            self.test_button.setProperty("testing", True)
            self.test_button.setEnabled(False)
            self._set_message(
                self.test_icon, self.test_result, "busy", self.tr("Testing the connection…")
            )
            self._spawn(self._test_connection())

    async def _test_connection(self) -> None:
        try:
            ok, text = await self._run_connection_test()
        except Exception as exc:  # shown, not lost: the user is waiting for an answer
            logger.exception("Connection test failed unexpectedly")
            ok, text = (
                False,
                self.tr("The test failed unexpectedly: {error}").format(
                    error=_describe_exception(exc)
                ),
            )
        finally:
            self.test_button.setProperty("testing", False)
            self.test_button.setEnabled(self._current_id is not None)
        self._set_message(self.test_icon, self.test_result, "ok" if ok else "error", text)
        self.connectionTested.emit(ok)

    async def _run_connection_test(self) -> tuple[bool, str]:
        """Check a temporary backend built from the form; return (worked, sentence)."""
        try:
            profile = self._profile_from_form()
        except ValidationError as exc:
            return False, explain_validation(exc)
        typed = self.secret_edit.text()
        try:
            if typed:
                settings = build_settings(profile, typed, env_file=self._env_file)
            else:
                settings = await load_settings(profile, self._credentials, env_file=self._env_file)
        except ValidationError as exc:  # the profile is valid: the environment is not
            return False, explain_validation(exc, from_environment=True)
        except CredentialError as exc:
            return False, self.tr("The secret could not be read from the keyring. {error}").format(
                error=describe(exc)
            )
        if not settings.s3_bucket:
            return False, self.tr("Enter a bucket name to test the connection.")
        try:
            backend = self._backend_factory(settings.model_copy(update={"storage_type": "S3"}))
        except (StorageError, ValueError) as exc:
            return False, QCoreApplication.translate(
                "SettingsDialog", "{sentence}\nDetails: {detail}"
            ).format(
                sentence=_tr(CHECK_SENTENCES["configuration"]),
                detail=describe(exc) if isinstance(exc, StorageError) else redact(str(exc)),
            )
        try:
            result = await backend.check()
        finally:
            await backend.aclose()
        return result.ok, explain_check(result)

    # ----------------------------------------------------------------- questions

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Leap Sync",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _confirm_discard(self) -> bool:
        if not self._dirty:
            return True
        if self._confirm(self.tr("Discard the unsaved changes to this profile?")):
            self._dirty = False
            return True
        return False

    def _unique_name(self, wanted: str) -> str:
        taken = {profile.name for profile in self._profiles.profiles}
        name, number = wanted, 2
        while name in taken:
            name, number = f"{wanted} {number}", number + 1
        return name


def _select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


def _describe_exception(error: BaseException) -> str:
    return f"{type(error).__name__}: {redact(str(error))}"
