"""The settings dialog against real parts: gnome-keyring over D-Bus and SeaweedFS (F9, S7).

The user's path is driven through the widgets (typing, clicking); results are read back from the
real keyring, the profiles file and every file under the test's folders.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtCore import QObject, Qt, SignalInstance
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from app.credentials import CredentialStore, KeyringCredentialStore
from app.profiles import Profile, ProfileStore, profiles_file
from app.views.settings_dialog import CHECK_SENTENCES, SettingsDialog
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from tests.conftest import TEST_BUCKET

if TYPE_CHECKING:  # imported by pytest_plugins below; a plain import would skip assert rewriting
    from tests.keyring_service import SecretServiceSandbox

#: The real Secret Service fixtures (one daemon per session, shared by every module).
pytest_plugins = ["tests.keyring_service"]

PLANTED = "PLANTED-secret-c0ffee5eed42"
TIMEOUT = 30.0

MakeDialog = Callable[..., SettingsDialog]


# --------------------------------------------------------------------------- helpers


def expect(signal: SignalInstance) -> asyncio.Future[tuple[Any, ...]]:
    """A future for the next emission of ``signal`` (connect before acting)."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def received(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(received)
    future.add_done_callback(lambda _future: signal.disconnect(received))
    return future


def child(dialog: SettingsDialog, kind: type[QObject], name: str) -> Any:
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Replace the field's text the way a user does (so the dialog sees an edit)."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(edit, text)


def click(qtbot: QtBot, dialog: SettingsDialog, name: str) -> None:
    qtbot.mouseClick(child(dialog, QPushButton, name), Qt.MouseButton.LeftButton)


def text_of(dialog: SettingsDialog, name: str) -> str:
    return str(child(dialog, QLabel, name).text())


def files_containing(folder: Path, needle: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def fill_connection(
    qtbot: QtBot, dialog: SettingsDialog, *, endpoint: str, key: str, secret: str, bucket: str
) -> None:
    type_into(qtbot, child(dialog, QLineEdit, "nameEdit"), "Lectures")
    type_into(qtbot, child(dialog, QLineEdit, "endpointEdit"), endpoint)
    type_into(qtbot, child(dialog, QLineEdit, "bucketEdit"), bucket)
    type_into(qtbot, child(dialog, QLineEdit, "prefixEdit"), f"t-{uuid.uuid4().hex[:8]}")
    type_into(qtbot, child(dialog, QLineEdit, "accessKeyEdit"), key)
    type_into(qtbot, child(dialog, QLineEdit, "secretEdit"), secret)


async def add_profile(qtbot: QtBot, dialog: SettingsDialog) -> str:
    rows = dialog.profile_model.rowCount()
    click(qtbot, dialog, "addProfileButton")
    assert dialog.profile_model.rowCount() == rows + 1
    current = dialog.profile_list.currentIndex()
    return str(current.data(Qt.ItemDataRole.UserRole + 1))


async def save(qtbot: QtBot, dialog: SettingsDialog) -> str:
    saved = expect(dialog.profileSaved)
    click(qtbot, dialog, "saveButton")
    (profile_id,) = await asyncio.wait_for(saved, TIMEOUT)
    return str(profile_id)


async def run_connection_test(qtbot: QtBot, dialog: SettingsDialog) -> tuple[bool, str]:
    tested = expect(dialog.connectionTested)
    button = child(dialog, QPushButton, "testConnectionButton")
    click(qtbot, dialog, "testConnectionButton")
    assert not button.isEnabled()  # disabled while the test runs
    (ok,) = await asyncio.wait_for(tested, TIMEOUT)
    assert button.isEnabled()
    return bool(ok), text_of(dialog, "testResultLabel")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
async def make_dialog(qtbot: QtBot, config_dir: Path) -> AsyncIterator[MakeDialog]:
    """Open settings dialogs on a fresh profiles file; their tasks are awaited at the end."""
    dialogs: list[SettingsDialog] = []

    def make(
        backend: KeyringBackend | CredentialStore, *, service: str | None = None, **kwargs: Any
    ) -> SettingsDialog:
        store = ProfileStore(profiles_file(config_dir)).load()
        credentials = (
            backend
            if isinstance(backend, CredentialStore)
            else KeyringCredentialStore(backend, service=service or "leap-sync-gui-test")
        )
        dialog = SettingsDialog(store, credentials, **kwargs)
        dialog._confirm = lambda question: True  # type: ignore[method-assign] - no modal boxes
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        return dialog

    yield make
    for dialog in dialogs:
        await asyncio.wait_for(dialog.wait_idle(), TIMEOUT)


# --------------------------------------------------------------------------- keyring


async def test_save_writes_the_secret_to_the_real_keyring_and_not_to_disk(
    qtbot: QtBot,
    make_dialog: MakeDialog,
    secret_service: SecretServiceKeyring,
    secret_service_sandbox: SecretServiceSandbox,
    tmp_path: Path,
    config_dir: Path,
) -> None:
    service = f"leap-gui-{uuid.uuid4().hex[:8]}"
    dialog = make_dialog(secret_service, service=service)
    await dialog.wait_idle()
    assert text_of(dialog, "secretHintLabel") == (
        "Stored in Secret Service (GNOME Keyring), never in a file."
    )
    profile_id = await add_profile(qtbot, dialog)  # not made active (the app does, once it works)

    secret_edit = child(dialog, QLineEdit, "secretEdit")
    assert secret_edit.echoMode() == QLineEdit.EchoMode.Password
    fill_connection(
        qtbot, dialog, endpoint="http://127.0.0.1:8333", key="AKIDGUI", secret=PLANTED, bucket="b1"
    )
    type_into(qtbot, child(dialog, QLineEdit, "localPathEdit"), str(tmp_path / "store"))
    child(dialog, QObject, "s3QuotaSpin").setValue(12.5)
    assert await save(qtbot, dialog) == profile_id

    assert secret_service.get_password(service, f"profile:{profile_id}") == PLANTED
    assert secret_edit.text() == ""  # not kept in the widget once it is in the keyring
    assert "Saved" in text_of(dialog, "statusLabel")
    saved = ProfileStore(profiles_file(config_dir)).load().get(profile_id)
    assert saved.secret_ref == f"profile:{profile_id}"
    assert (saved.bucket, saved.access_key_id, saved.s3_max_size_gb) == ("b1", "AKIDGUI", 12.5)
    assert saved.local_path == tmp_path / "store"
    # RELIABILITY S7: nowhere on disk, neither in our files nor in clear in the keyring's own.
    assert files_containing(tmp_path, PLANTED) == []
    assert files_containing(secret_service_sandbox.root, PLANTED) == []
    secret_service.delete_password(service, f"profile:{profile_id}")


async def test_without_a_keyring_save_explains_and_writes_no_secret(
    qtbot: QtBot, make_dialog: MakeDialog, tmp_path: Path, config_dir: Path
) -> None:
    dialog = make_dialog(fail.Keyring())
    await dialog.wait_idle()
    # F9: warned before typing, with what to do.
    assert text_of(dialog, "secretHintLabel") == "Cannot be saved: no system keyring is available."
    assert "gnome-keyring" in text_of(dialog, "statusLabel")
    assert "gnome-keyring" in child(dialog, QLabel, "secretHintLabel").toolTip()
    profile_id = await add_profile(qtbot, dialog)
    fill_connection(
        qtbot, dialog, endpoint="http://127.0.0.1:8333", key="AKIDGUI", secret=PLANTED, bucket="b2"
    )
    assert await save(qtbot, dialog) == profile_id

    status = text_of(dialog, "statusLabel")
    assert "without its secret" in status
    assert "gnome-keyring" in status
    assert "dbus-run-session" in status
    assert PLANTED not in status
    saved = ProfileStore(profiles_file(config_dir)).load().get(profile_id)
    assert saved.bucket == "b2"  # the rest of the profile is saved
    assert saved.secret_ref is None
    assert files_containing(tmp_path, PLANTED) == []


async def test_a_locked_keyring_asks_to_unlock_and_writes_no_secret(
    qtbot: QtBot,
    make_dialog: MakeDialog,
    locked_secret_service: SecretServiceKeyring,
    tmp_path: Path,
) -> None:
    dialog = make_dialog(locked_secret_service)
    profile_id = await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "secretEdit"), PLANTED)
    await save(qtbot, dialog)
    assert "Unlock your keyring" in text_of(dialog, "statusLabel")
    assert child(dialog, QLineEdit, "secretEdit").text() == PLANTED  # kept to retry, in memory
    assert dialog._profiles.get(profile_id).secret_ref is None
    assert files_containing(tmp_path, PLANTED) == []


async def test_remove_deletes_the_secret_from_the_keyring(
    qtbot: QtBot, make_dialog: MakeDialog, secret_service: SecretServiceKeyring
) -> None:
    service = f"leap-gui-{uuid.uuid4().hex[:8]}"
    dialog = make_dialog(secret_service, service=service)
    profile_id = await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "secretEdit"), PLANTED)
    await save(qtbot, dialog)
    assert secret_service.get_password(service, f"profile:{profile_id}") == PLANTED
    active = expect(dialog.activeProfileChanged)
    click(qtbot, dialog, "useProfileButton")
    assert await asyncio.wait_for(active, TIMEOUT) == (profile_id,)

    active = expect(dialog.activeProfileChanged)
    click(qtbot, dialog, "removeProfileButton")
    assert await asyncio.wait_for(active, TIMEOUT) == ("",)
    assert secret_service.get_password(service, f"profile:{profile_id}") is None
    assert dialog.profile_model.rowCount() == 0


async def test_duplicate_copies_the_secret_in_the_keyring(
    qtbot: QtBot, make_dialog: MakeDialog, secret_service: SecretServiceKeyring
) -> None:
    service = f"leap-gui-{uuid.uuid4().hex[:8]}"
    dialog = make_dialog(secret_service, service=service)
    original = await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "secretEdit"), PLANTED)
    type_into(qtbot, child(dialog, QLineEdit, "bucketEdit"), "b3")
    await save(qtbot, dialog)
    click(qtbot, dialog, "duplicateProfileButton")
    await dialog.wait_idle()

    copy = next(p for p in dialog._profiles.profiles if p.id != original)
    assert copy.bucket == "b3"
    assert copy.name.endswith("(copy)")
    assert copy.secret_ref == f"profile:{copy.id}"
    assert secret_service.get_password(service, copy.secret_ref) == PLANTED
    for ref in (copy.secret_ref, f"profile:{original}"):
        secret_service.delete_password(service, ref)


async def test_use_this_profile_switches_the_active_profile(
    qtbot: QtBot, make_dialog: MakeDialog, config_dir: Path
) -> None:
    dialog = make_dialog(fail.Keyring())
    first = await add_profile(qtbot, dialog)
    second = await add_profile(qtbot, dialog)
    assert dialog._profiles.active_id is None  # Add does not activate a profile
    assert first != second
    active = expect(dialog.activeProfileChanged)
    click(qtbot, dialog, "useProfileButton")
    assert await asyncio.wait_for(active, TIMEOUT) == (second,)
    assert ProfileStore(profiles_file(config_dir)).load().active_id == second
    assert not child(dialog, QPushButton, "useProfileButton").isEnabled()


# --------------------------------------------------------------------------- test connection


async def test_connection_to_seaweedfs_works(
    qtbot: QtBot, make_dialog: MakeDialog, s3_server: SeaweedSandbox
) -> None:
    dialog = make_dialog(fail.Keyring())  # a typed secret needs no keyring to be tested
    await add_profile(qtbot, dialog)
    fill_connection(
        qtbot,
        dialog,
        endpoint=s3_server.endpoint_url,
        key=s3_server.access_key,
        secret=s3_server.secret_key,
        bucket=TEST_BUCKET,
    )
    ok, text = await run_connection_test(qtbot, dialog)
    assert ok, text
    assert text.startswith("Connection works.")
    assert child(dialog, QLabel, "testIconLabel").isVisible()


async def test_connection_uses_the_secret_saved_in_the_keyring(
    qtbot: QtBot,
    make_dialog: MakeDialog,
    s3_server: SeaweedSandbox,
    secret_service: SecretServiceKeyring,
) -> None:
    service = f"leap-gui-{uuid.uuid4().hex[:8]}"
    dialog = make_dialog(secret_service, service=service)
    profile_id = await add_profile(qtbot, dialog)
    fill_connection(
        qtbot,
        dialog,
        endpoint=s3_server.endpoint_url,
        key=s3_server.access_key,
        secret=s3_server.secret_key,
        bucket=TEST_BUCKET,
    )
    await save(qtbot, dialog)
    assert child(dialog, QLineEdit, "secretEdit").text() == ""
    ok, text = await run_connection_test(qtbot, dialog)
    assert ok, text
    secret_service.delete_password(service, f"profile:{profile_id}")


async def test_a_wrong_secret_is_named(
    qtbot: QtBot, make_dialog: MakeDialog, s3_server: SeaweedSandbox
) -> None:
    dialog = make_dialog(fail.Keyring())
    await add_profile(qtbot, dialog)
    fill_connection(
        qtbot,
        dialog,
        endpoint=s3_server.endpoint_url,
        key=s3_server.access_key,
        secret=PLANTED,
        bucket=TEST_BUCKET,
    )
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert text.startswith(CHECK_SENTENCES["bad-credentials"]), text
    assert PLANTED not in text


async def test_a_missing_bucket_is_named(
    qtbot: QtBot, make_dialog: MakeDialog, s3_server: SeaweedSandbox
) -> None:
    dialog = make_dialog(fail.Keyring())
    await add_profile(qtbot, dialog)
    fill_connection(
        qtbot,
        dialog,
        endpoint=s3_server.endpoint_url,
        key=s3_server.access_key,
        secret=s3_server.secret_key,
        bucket="no-such-bucket-here",
    )
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert text.startswith("The bucket does not exist")


async def test_an_unreachable_endpoint_is_named(
    qtbot: QtBot, make_dialog: MakeDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_S3_MAX_ATTEMPTS", "1")  # the environment tunes the test, too
    monkeypatch.setenv("STORAGE_S3_CONNECT_TIMEOUT", "2")
    dialog = make_dialog(fail.Keyring())
    await add_profile(qtbot, dialog)
    fill_connection(
        qtbot, dialog, endpoint="http://127.0.0.1:9", key="AKID", secret=PLANTED, bucket="b"
    )
    # A refused port answers at once, so nothing is said here about Qt ticking meanwhile (that
    # depended on the machine's speed); the frozen-server tests cover a long wait.
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert text.startswith("Cannot reach the server")


async def test_invalid_fields_are_named_before_any_request(
    qtbot: QtBot, make_dialog: MakeDialog
) -> None:
    dialog = make_dialog(fail.Keyring())
    await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "endpointEdit"), "minio.local:9000")
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert text == (
        "Please fix the form: Endpoint URL: must start with http:// or https:// "
        "(or be empty for AWS S3)"
    )
    click(qtbot, dialog, "saveButton")
    await dialog.wait_idle()
    assert "Endpoint URL" in text_of(dialog, "statusLabel")


async def test_unexpected_errors_are_shown_in_the_dialog(
    qtbot: QtBot, make_dialog: MakeDialog
) -> None:
    def broken_factory(settings: StorageSettings) -> Any:
        raise RuntimeError("factory exploded")

    dialog = make_dialog(fail.Keyring(), backend_factory=broken_factory)
    await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "bucketEdit"), "b")
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert "RuntimeError: factory exploded" in text


async def test_environment_overrides_are_shown(
    qtbot: QtBot, make_dialog: MakeDialog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("STORAGE_S3_REGION=eu-west-3\n")
    monkeypatch.setenv("STORAGE_S3_BUCKET", "pinned-bucket")
    dialog = make_dialog(fail.Keyring(), env_file=env_file)
    await add_profile(qtbot, dialog)
    note = text_of(dialog, "envNoteLabel")
    assert "STORAGE_S3_BUCKET" in note
    assert "STORAGE_S3_REGION" in note


async def test_profiles_load_into_the_form(qtbot: QtBot, config_dir: Path) -> None:
    store = ProfileStore(profiles_file(config_dir)).load()
    store.set_active(
        store.add(Profile(name="Archive", bucket="archive", addressing_style="virtual")).id
    )
    dialog = SettingsDialog(store, KeyringCredentialStore(fail.Keyring()))
    qtbot.addWidget(dialog)
    assert child(dialog, QLineEdit, "bucketEdit").text() == "archive"
    assert child(dialog, QObject, "addressingCombo").currentData() == "virtual"
    assert child(dialog, QObject, "s3QuotaSpin").text() == "No quota"
    assert "(in use)" in dialog.profile_model.item(0).text()
    await dialog.wait_idle()


class ExplodingStore(CredentialStore):
    """A credential store with a bug: whatever it raises must reach the user, not stderr."""

    async def get_secret(self, ref: str) -> str | None:
        return None

    async def set_secret(self, ref: str, secret: str) -> None:
        raise RuntimeError("store exploded")

    async def delete_secret(self, ref: str) -> None:
        return None

    async def check(self) -> None:
        return None

    def describe(self) -> str:
        return "a broken store"


async def test_an_error_raised_while_saving_is_shown_in_the_dialog(
    qtbot: QtBot, make_dialog: MakeDialog
) -> None:
    dialog = make_dialog(ExplodingStore())
    await add_profile(qtbot, dialog)
    type_into(qtbot, child(dialog, QLineEdit, "secretEdit"), PLANTED)
    click(qtbot, dialog, "saveButton")
    await dialog.wait_idle()
    status = text_of(dialog, "statusLabel")
    assert status == "Something went wrong: RuntimeError: store exploded"
    assert child(dialog, QPushButton, "saveButton").isEnabled()


async def test_an_invalid_environment_value_is_named_by_its_variable(
    qtbot: QtBot, make_dialog: MakeDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_S3_MAX_SIZE_GB", "-1")
    dialog = make_dialog(fail.Keyring())
    await add_profile(qtbot, dialog)
    assert "STORAGE_S3_MAX_SIZE_GB" in text_of(dialog, "envNoteLabel")
    type_into(qtbot, child(dialog, QLineEdit, "bucketEdit"), "b")
    ok, text = await run_connection_test(qtbot, dialog)
    assert not ok
    assert text.startswith("Please fix the environment or .env: STORAGE_S3_MAX_SIZE_GB:")
