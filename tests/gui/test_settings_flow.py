"""Switching profiles: a new workspace is built from the profile and the old one is closed."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.credentials import KeyringCredentialStore
from app.profiles import Profile, ProfileStore, profiles_file
from app.settings_flow import SettingsFlow
from app.views.log_panel import QtLogHandler
from app.workspace import WorkspaceHost, build_workspace
from file_storage import S3StorageBackend
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from tests.conftest import TEST_BUCKET, MakeS3

if TYPE_CHECKING:
    from tests.keyring_service import SecretServiceSandbox  # noqa: F401

pytest_plugins = ["tests.keyring_service"]


async def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_switching_profile_builds_a_new_backend_and_closes_the_old(
    qtbot: QtBot,
    tmp_path: Path,
    make_s3: MakeS3,
    s3_server: SeaweedSandbox,
    secret_service: SecretServiceKeyring,
) -> None:
    old_remote = make_s3()
    await old_remote.save("users/user_000001/recordings/old/transcription.json", b"{}")
    new_prefix = f"t-{uuid.uuid4().hex[:12]}"
    new_data = make_s3(prefix=new_prefix)
    await new_data.save("users/user_000777/recordings/new/transcription.json", b"{}")

    credentials = KeyringCredentialStore(backend=secret_service)
    store = ProfileStore(profiles_file(tmp_path / "config"))
    profile = Profile(
        name="Second bucket",
        endpoint_url=s3_server.endpoint_url,
        bucket=TEST_BUCKET,
        prefix=new_prefix,
        access_key_id=s3_server.access_key,
        local_path=tmp_path / "store",
    )
    profile = profile.model_copy(update={"secret_ref": f"profile:{profile.id}"})
    await credentials.set_secret(f"profile:{profile.id}", s3_server.secret_key)
    store.add(profile)
    store.set_active(profile.id)

    settings = StorageSettings(
        storage_type="S3",
        local_path=tmp_path / "store",
        s3_bucket=TEST_BUCKET,
        s3_prefix=old_remote.prefix,
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,  # type: ignore[arg-type]
    )
    first = build_workspace(settings, "First", cache_dir=tmp_path / "cache")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    host = WorkspaceHost(first, QtLogHandler())
    host.show()
    flow = SettingsFlow(host, store, credentials, env_file=None, cache_dir=tmp_path / "cache")

    assert await flow.switch(profile.id)

    window = host.window
    assert isinstance(window.remote, S3StorageBackend)
    assert window.remote.prefix == new_prefix
    assert first.remote is not None
    assert first.remote._closed, "the previous backend must be closed"  # type: ignore[attr-defined]
    assert "Second bucket" in window.profile_status.text()
    model = window.remote_model
    await _wait_for(lambda: model.index_for("users").isValid())
    model.fetchMore(model.index_for("users"))
    await _wait_for(lambda: model.index_for("users/user_000777").isValid())
    assert not model.index_for("users/user_000001").isValid()
    window.close()
    await _wait_for(lambda: not window.isVisible())
    await host.aclose()
    await old_remote.aclose()
