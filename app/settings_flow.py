"""Opening the settings dialog and switching profiles.

A profile switch builds a new backend from the profile (``STORAGE_*`` variables and ``.env``
still win), shows it in the window, then closes the old backend: its client and connections go.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject

from app.credentials import CredentialError, CredentialStore
from app.profiles import ProfileStore, build_settings, load_settings
from app.views.main_window import MainWindow
from app.views.settings_dialog import SettingsDialog
from file_storage.backends.base import StorageBackend
from file_storage.errors import StorageError
from file_storage.factory import create_s3_backend

logger = logging.getLogger(__name__)


class SettingsFlow(QObject):
    """Owns the settings dialog and the profile switch.

    Args:
        window: The main window whose bucket pane follows the active profile.
        profiles: The profile store.
        credentials: Where secrets live (the OS keyring).
        env_file: The ``.env`` file that overrides profiles.
    """

    def __init__(
        self,
        window: MainWindow,
        profiles: ProfileStore,
        credentials: CredentialStore,
        env_file: Path | None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._profiles = profiles
        self._credentials = credentials
        self._env_file = env_file
        self._dialog: SettingsDialog | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self) -> None:
        """Show the dialog (one at a time)."""
        if self._dialog is not None:
            self._dialog.raise_()
            return
        dialog = SettingsDialog(
            self._profiles, self._credentials, env_file=self._env_file, parent=self._window
        )
        dialog.activeProfileChanged.connect(self._switch_soon)
        dialog.profileSaved.connect(self._saved)
        dialog.finished.connect(self._closed)
        self._dialog = dialog
        dialog.open()

    def _closed(self) -> None:
        if self._dialog is not None:
            self._dialog.cancel_tasks()
            self._dialog.deleteLater()
        self._dialog = None

    def _saved(self, profile_id: str) -> None:
        if profile_id == self._profiles.active_id:
            self._switch_soon(profile_id)

    def _switch_soon(self, profile_id: str) -> None:
        task = asyncio.ensure_future(self.switch(profile_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def switch(self, profile_id: str) -> None:
        """Rebuild the bucket backend for the active profile and close the old one."""
        profile = self._profiles.active()
        if profile is None:
            old = self._window.replace_remote(
                None, QCoreApplication.translate("SettingsFlow", "No profile")
            )
            await _close(old)
            return
        try:
            settings = await load_settings(profile, self._credentials, env_file=self._env_file)
        except CredentialError as exc:
            self._window.notify("warning", str(exc))
            settings = build_settings(profile, None, env_file=self._env_file)
        remote: StorageBackend | None = None
        if settings.s3_bucket:
            try:
                remote = create_s3_backend(settings)
            except StorageError as exc:
                self._window.notify("error", str(exc))
        old = self._window.replace_remote(remote, profile.name)
        await _close(old)
        if remote is not None:
            result = await remote.check()
            self._window.set_connection_state(result.ok, result.detail)
            level, text = (
                ("info", self.tr("Switched to {name}.").format(name=profile.name))
                if result.ok
                else ("error", result.detail)
            )
            self._window.notify(level, text)
        logger.info("Active profile: %s (%s)", profile.name, profile_id)


async def _close(backend: StorageBackend | None) -> None:
    if backend is not None:
        try:
            await backend.aclose()
        except StorageError as exc:
            logger.warning("Closing the previous backend: %s", exc)
