"""Opening the settings dialog, and switching the app to another profile only when it works.

A switch builds a complete new :class:`~app.workspace.Workspace` from the profile (``STORAGE_*``
variables and ``.env`` still win), asks its bucket once, and only when it answers does the
:class:`~app.workspace.WorkspaceHost` show it and close the old one. A profile that cannot work
(its secret could not be stored or read, no bucket, the bucket does not answer) is not made
active and does not replace the connection in use: the user reads why, in the dialog and in the
window, and the app keeps running on what it had (the demo stays the default until a profile
really works, issue 12 item 9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QObject

from app.credentials import CredentialError, CredentialStore
from app.messages import describe
from app.profiles import Profile, ProfileStore, ProfileStoreError, build_settings, load_settings
from app.views.settings_dialog import SettingsDialog, explain_check, explain_validation
from app.workspace import Workspace, WorkspaceHost, build_workspace
from file_storage.settings import StorageSettings

logger = logging.getLogger(__name__)

#: Seconds the new bucket gets to answer before the switch is given up.
CHECK_TIMEOUT = 20.0

#: ``() -> (settings, label)`` of what the app runs without a profile (the demo, say).
DefaultSettings = Callable[[], tuple[StorageSettings, str]]


class SettingsFlow(QObject):
    """Owns the settings dialog and the profile switch.

    Args:
        host: Holds the workspace and window in use; a switch replaces both.
        profiles: The profile store.
        credentials: Where secrets live (the OS keyring).
        env_file: The ``.env`` file that overrides profiles.
        cache_dir: The app's cache folder (for the new workspace's media service).
        default: What to run when no profile is active (the demo, the environment, or a local
            store); by default what the host runs now.
    """

    def __init__(
        self,
        host: WorkspaceHost,
        profiles: ProfileStore,
        credentials: CredentialStore,
        env_file: Path | None,
        *,
        cache_dir: Path,
        default: DefaultSettings | None = None,
    ) -> None:
        super().__init__(host)
        self._host = host
        self._profiles = profiles
        self._credentials = credentials
        self._env_file = env_file
        self._cache_dir = cache_dir
        start = host.workspace
        self._default = default or (lambda: (start.settings, start.label))
        #: The profile the running workspace was built from (``None``: the default).
        self.running_id = profiles.active_id
        self._dialog: SettingsDialog | None = None
        #: Secrets the keyring could not keep, used until the app quits (memory only).
        self._session_secrets: dict[str, str] = {}
        self._tasks: set[asyncio.Task[bool]] = set()
        self._lock = asyncio.Lock()
        host.window.set_settings_opener(self.open)
        host.windowReplaced.connect(self._window_replaced)

    # ----------------------------------------------------------------- the dialog

    @property
    def dialog(self) -> SettingsDialog | None:
        return self._dialog

    def open(self) -> None:
        """Show the dialog (one at a time)."""
        if self._dialog is not None:
            self._dialog.raise_()
            return
        dialog = SettingsDialog(
            self._profiles, self._credentials, env_file=self._env_file, parent=self._host.window
        )
        dialog.activeProfileChanged.connect(self._chosen)
        dialog.profileSaved.connect(self._saved)
        dialog.sessionSecretChosen.connect(self._session_secret)
        dialog.finished.connect(self._closed)
        self._dialog = dialog
        dialog.open()

    def _closed(self) -> None:
        if self._dialog is not None:
            self._dialog.cancel_tasks()
            self._dialog.deleteLater()
        self._dialog = None

    def _window_replaced(self, window: object) -> None:
        self._host.window.set_settings_opener(self.open)
        dialog = self._dialog
        if dialog is not None:  # stay open, now in front of the new window
            dialog.setParent(self._host.window, dialog.windowFlags())
            dialog.show()
            dialog.raise_()

    # ----------------------------------------------------------------- what starts a switch

    def _chosen(self, profile_id: str) -> None:
        """*Use this profile*, or the profile in use was removed ("" or the next one)."""
        self._switch_soon(profile_id or None)

    def _saved(self, profile_id: str) -> None:
        if profile_id == self.running_id or self._profiles.active_id is None:
            # Edits of the profile in use apply now; with none active (the demo or another
            # default runs), a saved profile that works becomes the one in use.
            self._switch_soon(profile_id)

    def _session_secret(self, profile_id: str, secret: str) -> None:
        """Use this secret for the profile until the app quits; it is never stored."""
        self._session_secrets[profile_id] = secret
        self._switch_soon(profile_id)

    def _session_only(self, profile_id: str | None) -> bool:
        """The profile runs on a secret kept in memory: it must not become the saved default."""
        profile = self._profile(profile_id)
        return (
            profile is not None
            and profile.secret_ref is None
            and (profile.id in self._session_secrets)
        )

    def _switch_soon(self, profile_id: str | None) -> None:
        task = asyncio.ensure_future(self.switch(profile_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait for every switch started from the dialog (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ----------------------------------------------------------------- the switch

    async def switch(self, profile_id: str | None) -> bool:
        """Run the app on ``profile_id`` (``None``: the default) if it works; True if it did."""
        async with self._lock:  # two quick clicks: one switch after the other
            return await self._switch(profile_id)

    async def _switch(self, profile_id: str | None) -> bool:
        profile = self._profile(profile_id)
        if profile_id is not None and profile is None:
            return False  # removed meanwhile
        if profile is None:
            settings, label = self._default()
        else:
            label = profile.name
            settings_or_problem = await self._settings_for(profile)
            if isinstance(settings_or_problem, str):
                return await self._refuse(profile, settings_or_problem)
            settings = settings_or_problem
        workspace = build_workspace(settings, label, cache_dir=self._cache_dir)
        problem = await self._problem_of(workspace) if profile is not None else ""
        if problem and profile is not None:
            await workspace.aclose()
            return await self._refuse(profile, problem)
        if not self._make_active(profile_id):
            await workspace.aclose()
            return False
        self.running_id = profile_id
        await self._host.switch(workspace)
        text = self.tr("Leap Sync now uses “{name}”: {where}.").format(
            name=label, where=self._host.window.describe_remote() or self.tr("no bucket")
        )
        if self._session_only(profile_id):
            text += " " + self.tr(
                "Its secret is kept only until Leap Sync quits; after a restart “{default}” "
                "is used again until the keyring can store the secret."
            ).format(default=self._default()[1])
        self._host.notify("info", text)
        self._tell_dialog("ok", text)
        logger.info("Active profile: %s (%s)", label, profile_id or "default")
        return True

    def _profile(self, profile_id: str | None) -> Profile | None:
        if profile_id is None:
            return None
        try:
            return self._profiles.get(profile_id)
        except KeyError:
            return None

    async def _settings_for(self, profile: Profile) -> StorageSettings | str:
        """The profile's settings, or why they cannot work (a sentence)."""
        try:
            if self._session_only(profile.id):
                secret = self._session_secrets[profile.id]
                settings = build_settings(profile, secret, env_file=self._env_file)
            else:
                settings = await load_settings(profile, self._credentials, env_file=self._env_file)
        except CredentialError as exc:
            return self.tr("its secret could not be read from the keyring ({error})").format(
                error=exc
            )
        except ValidationError as exc:
            return explain_validation(exc, from_environment=True)
        if not settings.s3_bucket:
            return self.tr("it names no bucket")
        secret = settings.s3_secret_access_key
        if settings.s3_access_key_id and (secret is None or not secret.get_secret_value()):
            return self.tr("its secret access key is not stored (the keyring could not keep it)")
        return settings

    async def _problem_of(self, workspace: Workspace) -> str:
        """Why the new workspace's bucket cannot be used ("" when it answers)."""
        if workspace.remote is None:
            return workspace.remote_error or self.tr("it names no bucket")
        try:
            result = await asyncio.wait_for(workspace.check(), CHECK_TIMEOUT)
        except TimeoutError:
            return self.tr("the bucket did not answer within {seconds} s").format(
                seconds=f"{CHECK_TIMEOUT:g}"
            )
        if result is None or result.ok:
            return ""
        return explain_check(result).replace("\n", " ")

    def _make_active(self, profile_id: str | None) -> bool:
        if self._session_only(profile_id):
            profile_id = None  # after a restart, what ran before is the default again
        if self._profiles.active_id == profile_id:
            return True
        try:
            self._profiles.set_active(profile_id)
        except (KeyError, ProfileStoreError) as exc:
            self._host.notify("error", describe(exc))
            self._tell_dialog("error", describe(exc))
            return False
        return True

    async def _refuse(self, profile: Profile, problem: str) -> bool:
        """Keep what runs; put the profile in use back as it was; say why."""
        running_removed = self.running_id is not None and self._profile(self.running_id) is None
        saved_active = (
            None if running_removed or self._session_only(self.running_id) else self.running_id
        )
        if self._profiles.active_id != saved_active:
            try:
                self._profiles.set_active(saved_active)
            except ProfileStoreError as exc:
                logger.warning("Could not restore the profile in use: %s", exc)
        text = self.tr(
            "“{name}” is not in use: {problem}. Leap Sync keeps using “{current}”."
        ).format(name=profile.name, problem=problem.rstrip("."), current=self._host.workspace.label)
        logger.warning("%s", text)
        self._host.notify("warning", text)
        self._tell_dialog("warning", text, append=True)
        if running_removed:  # the profile in use is gone: fall back to the default
            await self._switch(None)
        return False

    def _tell_dialog(self, level: str, text: str, *, append: bool = False) -> None:
        dialog = self._dialog
        if dialog is not None:
            dialog.refresh_profiles()
            dialog.show_outcome(level, text, append=append)
