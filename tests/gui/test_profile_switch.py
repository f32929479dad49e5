"""Issue 12, item 9: profiles switch the whole workspace, and only when they work.

* Saving a profile whose secret cannot be stored (a bare keyring with the ``fail`` backend: the
  real "no keyring" case) leaves the demo running and the default after a restart, and the user
  reads why.
* A switch between two real profiles (two prefixes of the test SeaweedFS, two local folders with
  different quotas) changes the local folder, its quota and the media targets too, and closes the
  old workspace.

Driven like a user: the Settings toolbar button, typing into the fields, clicking Add, Save and
*Use this profile*; assertions read what the window and dialog show.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from keyring.backends import fail
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QToolBar, QWidget
from pytestqt.qtbot import QtBot

from app.credentials import CredentialStore, KeyringCredentialStore
from app.main import default_settings, resolve_settings
from app.profiles import Profile, ProfileStore, load_settings, profiles_file
from app.services.health import ConnectionState
from app.settings_flow import SettingsFlow
from app.views.log_panel import QtLogHandler
from app.views.main_window import MainWindow
from app.views.settings_dialog import SettingsDialog
from app.workspace import Workspace, WorkspaceHost, build_workspace
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET
from tests.gui.helpers_window import ModalAnswer, click_button, click_from_qt, wait_until

TIMEOUT = 30.0


# --------------------------------------------------------------------------- helpers


def child(parent: QObject, kind: type[QObject], name: str) -> QObject:
    found = parent.findChild(kind, name)
    assert found is not None, name
    return found


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, dialog: SettingsDialog, name: str, text: str) -> None:
    edit = child(dialog, QLineEdit, name)
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def banner_text(window: MainWindow) -> str:
    bar = child(window, QWidget, "notificationBar")
    return str(child(bar, QLabel, "notificationText").text())  # type: ignore[attr-defined]


def connection_text(window: MainWindow) -> str:
    return str(child(window, QLabel, "connectionText").text())  # type: ignore[attr-defined]


async def open_settings(qtbot: QtBot, host: WorkspaceHost, flow: SettingsFlow) -> SettingsDialog:
    """Click the Settings button of the window's toolbar."""
    window = host.window
    toolbar = window.findChild(QToolBar)
    assert toolbar is not None
    button = toolbar.widgetForAction(window.action_settings)
    click(qtbot, button)
    await wait_until(lambda: flow.dialog is not None and flow.dialog.isVisible(), 10, "Settings")
    assert flow.dialog is not None
    await flow.dialog.wait_idle()  # its keyring check
    return flow.dialog


async def save(qtbot: QtBot, dialog: SettingsDialog, flow: SettingsFlow) -> None:
    saved: list[str] = []
    dialog.profileSaved.connect(saved.append)
    click(qtbot, child(dialog, QPushButton, "saveButton"))  # type: ignore[arg-type]
    await wait_until(lambda: bool(saved), TIMEOUT, "the profile to be saved")
    await flow.wait_idle()


async def close_app(host: WorkspaceHost) -> None:
    """Close the window as the user does (F10), then the workspace."""
    quit_requested: list[bool] = []
    host.quitRequested.connect(lambda: quit_requested.append(True))
    host.window.close()
    await wait_until(lambda: bool(quit_requested), 15, "the window to close")
    await host.aclose()


def start_host(qtbot: QtBot, workspace: Workspace) -> WorkspaceHost:
    # Not registered with qtbot: a switch deletes the old window, and close_app closes the last.
    host = WorkspaceHost(workspace, QtLogHandler())
    host.show()
    return host


@pytest.fixture(autouse=True)
def windows_do_not_quit_the_app() -> Iterator[None]:
    """As in the app: closing a window (a switch, F10) does not quit; the app decides."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    yield
    app.setQuitOnLastWindowClosed(before)


@pytest.fixture
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No .env in the working directory (the app reads ./.env)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- no keyring


async def test_a_profile_saved_without_a_keyring_leaves_the_demo_in_use(
    qtbot: QtBot, in_empty_folder: Path, s3_server: SeaweedSandbox
) -> None:
    tmp_path = in_empty_folder
    config, data, cache = tmp_path / "config", tmp_path / "data", tmp_path / "cache"
    no_demo_flag = argparse.Namespace(demo=False)
    startup, demo = await resolve_settings(no_demo_flag, config, data)
    assert demo is not None, "nothing configured: the app starts the demo"
    try:
        workspace = build_workspace(startup.settings, startup.label, cache_dir=cache)
        assert workspace.remote is not None
        demo_remote = workspace.remote
        await demo_remote.save("users/user_000001/recordings/demo-rec/transcription.json", b"{}")
        host = start_host(qtbot, workspace)
        flow = SettingsFlow(
            host,
            startup.profiles,
            KeyringCredentialStore(fail.Keyring()),  # the real "no keyring backend" case
            None,
            cache_dir=cache,
            default=lambda: default_settings(startup, data),
        )
        window = host.window
        await wait_until(lambda: connection_text(window) == "Connected", 15, "Connected")

        dialog = await open_settings(qtbot, host, flow)
        click(qtbot, child(dialog, QPushButton, "addProfileButton"))  # type: ignore[arg-type]
        type_into(qtbot, dialog, "nameEdit", "Lectures")
        type_into(qtbot, dialog, "endpointEdit", s3_server.endpoint_url)
        type_into(qtbot, dialog, "bucketEdit", TEST_BUCKET)
        type_into(qtbot, dialog, "accessKeyEdit", s3_server.access_key)
        type_into(qtbot, dialog, "secretEdit", s3_server.secret_key)
        await save(qtbot, dialog, flow)

        status = str(child(dialog, QLabel, "statusLabel").text())  # type: ignore[attr-defined]
        assert "Saved “Lectures” without its secret" in status, status
        assert "“Lectures” is not in use: its secret access key is not stored" in status, status
        assert "Leap Sync keeps using “Demo sandbox”." in status, status
        assert "is not in use" in banner_text(window)
        # The demo still works: same window, same bucket, rows listed, status still true.
        assert host.window is window
        assert window.remote is demo_remote
        assert window.profile_status.text().startswith("Demo sandbox")
        assert connection_text(window) == "Connected"
        window.remote_model.refresh("")
        await wait_until(lambda: window.remote_model.index_for("users").isValid(), 15, "rows")
        saved = ProfileStore(profiles_file(config)).load()
        assert [p.name for p in saved.profiles] == ["Lectures"]  # kept, to fix later
        assert saved.active_id is None
        # Close: the typed secret is still in the form (nowhere else), so the dialog asks.
        click_from_qt(child(dialog, QPushButton, "closeButton"))  # type: ignore[arg-type]
        answer = ModalAnswer(lambda box: click_button(box, "Yes"))  # polls after the click
        await answer.answered()
        assert flow.dialog is None
        await close_app(host)
    finally:
        await asyncio.to_thread(demo.stop)

    # A restart composes again from the files: the demo is still the default.
    startup, demo = await resolve_settings(no_demo_flag, config, data)
    try:
        assert demo is not None
        assert startup.label == "Demo sandbox"
        assert startup.profile_id is None
    finally:
        if demo is not None:
            await asyncio.to_thread(demo.stop)


async def test_without_a_keyring_the_secret_can_serve_this_session_only(
    qtbot: QtBot, in_empty_folder: Path, s3_server: SeaweedSandbox
) -> None:
    """The user's way out without a keyring: connect now, store nothing, the demo after a
    restart."""
    tmp_path = in_empty_folder
    config, data, cache = tmp_path / "config", tmp_path / "data", tmp_path / "cache"
    no_demo_flag = argparse.Namespace(demo=False)
    prefix = f"t-session-{uuid.uuid4().hex[:8]}"
    async with S3StorageBackend(
        TEST_BUCKET,
        prefix=prefix,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=s3_server.endpoint_url,
    ) as seeded:
        await seeded.save("users/user_000301/recordings/r/transcription.json", b"{}")
    startup, demo = await resolve_settings(no_demo_flag, config, data)
    assert demo is not None
    try:
        workspace = build_workspace(startup.settings, startup.label, cache_dir=cache)
        host = start_host(qtbot, workspace)
        flow = SettingsFlow(
            host,
            startup.profiles,
            KeyringCredentialStore(fail.Keyring()),
            None,
            cache_dir=cache,
            default=lambda: default_settings(startup, data),
        )
        demo_window = host.window
        dialog = await open_settings(qtbot, host, flow)
        session = child(dialog, QPushButton, "sessionSecretButton")
        assert not session.isVisible()  # type: ignore[attr-defined]
        click(qtbot, child(dialog, QPushButton, "addProfileButton"))  # type: ignore[arg-type]
        type_into(qtbot, dialog, "nameEdit", "Lectures")
        type_into(qtbot, dialog, "endpointEdit", s3_server.endpoint_url)
        type_into(qtbot, dialog, "bucketEdit", TEST_BUCKET)
        type_into(qtbot, dialog, "prefixEdit", prefix)
        type_into(qtbot, dialog, "accessKeyEdit", s3_server.access_key)
        type_into(qtbot, dialog, "secretEdit", s3_server.secret_key)
        await save(qtbot, dialog, flow)
        assert host.window is demo_window  # not in use yet
        assert session.isVisible()  # type: ignore[attr-defined]

        click(qtbot, session)  # type: ignore[arg-type]
        await wait_until(lambda: host.window is not demo_window, TIMEOUT, "the switch")
        await flow.wait_idle()
        window = host.window
        assert window.profile_status.text().startswith("Lectures · ")
        status = str(child(dialog, QLabel, "statusLabel").text())  # type: ignore[attr-defined]
        assert "Leap Sync now uses “Lectures”" in status, status
        assert "kept only until Leap Sync quits" in status, status
        model = window.remote_model
        await wait_until(lambda: model.index_for("users").isValid(), 15, "rows")
        model.fetchMore(model.index_for("users"))
        await wait_until(lambda: model.index_for("users/user_000301").isValid(), 15, "the row")
        # Nothing was stored, and the profile is not the saved default.
        saved = ProfileStore(profiles_file(config)).load()
        assert saved.active_id is None
        assert saved.profiles[0].secret_ref is None
        assert not any(
            s3_server.secret_key.encode() in p.read_bytes()
            for p in config.rglob("*")
            if p.is_file()
        )
        click_from_qt(child(dialog, QPushButton, "closeButton"))  # type: ignore[arg-type]
        answer = ModalAnswer(lambda box: click_button(box, "Yes"))  # polls after the click
        await answer.answered()
        await close_app(host)
    finally:
        await asyncio.to_thread(demo.stop)
    startup, demo = await resolve_settings(no_demo_flag, config, data)
    try:
        assert demo is not None
        assert startup.label == "Demo sandbox"
    finally:
        if demo is not None:
            await asyncio.to_thread(demo.stop)


# --------------------------------------------------------------------------- two profiles


class SecretsInMemory(CredentialStore):
    """Secrets for the switch test. The keyring is not what this test is about, and the real
    Secret Service (tests/keyring_service.py) is not installed everywhere the suite runs; the
    keyring paths have their own tests (tests/test_credentials.py, the no-keyring test above)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    async def get_secret(self, ref: str) -> str | None:
        return self.secrets.get(ref)

    async def set_secret(self, ref: str, secret: str) -> None:
        self.secrets[ref] = secret

    async def delete_secret(self, ref: str) -> None:
        self.secrets.pop(ref, None)

    async def check(self) -> None:
        return None

    def describe(self) -> str:
        return "memory"


@pytest.fixture
async def two_profiles(
    in_empty_folder: Path, s3_server: SeaweedSandbox
) -> tuple[ProfileStore, CredentialStore, Profile, Profile]:
    """Profiles A and B: own prefixes of the test bucket, own local folders and quotas."""
    tmp_path = in_empty_folder
    credentials = SecretsInMemory()
    store = ProfileStore(profiles_file(tmp_path / "config")).load()
    profiles = []
    for name, local_gb, s3_gb in (("Alpha", 1.0, None), ("Beta", 2.0, 3.0)):
        profile = Profile(
            name=name,
            endpoint_url=s3_server.endpoint_url,
            bucket=TEST_BUCKET,
            prefix=f"t-{name.lower()}-{uuid.uuid4().hex[:8]}",
            access_key_id=s3_server.access_key,
            local_path=tmp_path / f"{name.lower()}-store",
            local_max_size_gb=local_gb,
            s3_max_size_gb=s3_gb,
        )
        ref = f"profile:{profile.id}"
        await credentials.set_secret(ref, s3_server.secret_key)
        profiles.append(store.add(profile.model_copy(update={"secret_ref": ref})))
    alpha, beta = profiles
    store.set_active(alpha.id)
    return store, credentials, alpha, beta


async def seed(settings_of: Profile, s3_server: SeaweedSandbox, user: int) -> None:
    """One recording in the profile's bucket prefix and another in its local folder."""
    assert settings_of.local_path is not None
    async with S3StorageBackend(
        TEST_BUCKET,
        prefix=settings_of.prefix,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=s3_server.endpoint_url,
    ) as remote:
        await remote.save(f"users/user_{user:06d}/recordings/r/transcription.json", b"{}")
    async with LocalStorageBackend(settings_of.local_path) as local:
        await local.save(f"users/user_{user + 1:06d}/recordings/r/transcription.json", b"{}")


async def test_using_another_profile_rebuilds_the_local_side_too(
    qtbot: QtBot,
    in_empty_folder: Path,
    s3_server: SeaweedSandbox,
    two_profiles: tuple[ProfileStore, CredentialStore, Profile, Profile],
) -> None:
    store, credentials, alpha, beta = two_profiles
    await seed(alpha, s3_server, 100)
    await seed(beta, s3_server, 200)
    cache = in_empty_folder / "cache"
    settings = await load_settings(alpha, credentials, env_file=None)
    first = build_workspace(settings, alpha.name, cache_dir=cache)
    host = start_host(qtbot, first)
    flow = SettingsFlow(host, store, credentials, None, cache_dir=cache)
    first_window = host.window
    await wait_until(lambda: first_window.local_model.index_for("users").isValid(), 15, "rows")
    assert first.local.base_path == alpha.local_path

    dialog = await open_settings(qtbot, host, flow)
    view = dialog.profile_list
    beta_row = next(
        row
        for row in range(dialog.profile_model.rowCount())
        if dialog.profile_model.item(row).text() == "Beta"
    )
    rect = view.visualRect(dialog.profile_model.index(beta_row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    click(qtbot, child(dialog, QPushButton, "useProfileButton"))  # type: ignore[arg-type]
    await wait_until(lambda: host.window is not first_window, TIMEOUT, "the switch")
    await flow.wait_idle()

    window, workspace = host.window, host.workspace
    assert beta.local_path is not None
    # The local side follows the profile: folder, quota, media scratch folder...
    assert workspace.local.base_path == beta.local_path
    assert window.local_pane.detail_label.text() == str(beta.local_path)
    assert workspace.local.quota.limit_bytes == 2 * 1024**3
    await wait_until(lambda: workspace.usage.sides["local"].counted, 15, "local usage")
    assert workspace.usage.sides["local"].limit == 2 * 1024**3
    assert workspace.media.temp_dir.is_relative_to(beta.local_path)
    # ...and so does the bucket, with its own quota.
    assert isinstance(workspace.remote, S3StorageBackend)
    assert workspace.remote.prefix == beta.prefix
    assert workspace.usage.sides["s3"].limit == 3 * 1024**3
    assert window.profile_status.text().startswith("Beta · ")
    assert "Leap Sync now uses “Beta”" in str(
        child(dialog, QLabel, "statusLabel").text()  # type: ignore[attr-defined]
    )
    # The trees list the new stores only.
    for model, shown, gone in (
        (window.local_model, "users/user_000201", "users/user_000101"),
        (window.remote_model, "users/user_000200", "users/user_000100"),
    ):
        await wait_until(lambda m=model: m.index_for("users").isValid(), 15, "rows")
        model.fetchMore(model.index_for("users"))
        await wait_until(lambda m=model, p=shown: m.index_for(p).isValid(), 15, shown)
        assert not model.index_for(gone).isValid()
    await wait_until(
        lambda: workspace.health.state is ConnectionState.CONNECTED, 15, "the new bucket's health"
    )
    assert connection_text(window) == "Connected"
    # The old workspace is closed: its window, its bucket client, its probes.
    assert first.closed
    assert not shiboken6.isValid(first_window) or not first_window.isVisible()
    assert first.remote is not None
    assert first.remote._closed  # type: ignore[attr-defined]
    assert store.active_id == beta.id
    dialog.reject()
    await close_app(host)
