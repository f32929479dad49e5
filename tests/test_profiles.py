"""Profiles on disk (S7: a keyring reference, never the secret) and settings precedence."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest
from keyring.backends import fail
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from pydantic import ValidationError

from app.credentials import KeyringCredentialStore, KeyringUnavailableError
from app.profiles import (
    DEFAULT_ENV_FILE,
    Profile,
    ProfileStore,
    ProfileStoreError,
    build_settings,
    load_settings,
    overridden_variables,
    profiles_file,
    secret_ref_for,
)

#: The real Secret Service fixtures (one daemon per session, shared by every module).
pytest_plugins = ["tests.keyring_service"]

PLANTED = "PLANTED-secret-8d1be0c35a"


def _profile(**changes: object) -> Profile:
    values: dict[str, object] = {
        "name": "Lectures",
        "endpoint_url": "http://127.0.0.1:8333",
        "region": "eu-central-1",
        "bucket": "lectures",
        "prefix": "/media/",
        "access_key_id": "AKIDPROFILE",
        "addressing_style": "path",
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_supported",
        "s3_max_size_gb": 50.0,
        "local_path": "/srv/recordings",
        "local_max_size_gb": 2.5,
    }
    values.update(changes)
    return Profile.model_validate(values)


def _grep(folder: Path, needle: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


# --------------------------------------------------------------------- the store


def test_profiles_and_the_active_one_survive_a_reload(tmp_path: Path) -> None:
    path = profiles_file(tmp_path / "config")
    store = ProfileStore(path).load()
    first = store.add(_profile())
    second = store.add(_profile(name="Webinars", bucket="webinars", local_path=None))
    # A new profile is not made active: the app activates it once it works (settings flow).
    assert store.active_id is None
    store.set_active(second.id)

    again = ProfileStore(path).load()
    assert again.profiles == [first, second]
    assert again.active() == second
    assert again.get(first.id).prefix == "media"


def test_a_missing_file_means_no_profiles(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "nowhere" / "profiles.json").load()
    assert store.profiles == []
    assert store.active() is None
    assert not (tmp_path / "nowhere").exists()


def test_the_file_is_private_and_written_atomically(tmp_path: Path) -> None:
    config = tmp_path / "config"
    store = ProfileStore(profiles_file(config)).load()
    for index in range(3):
        store.add(_profile(name=f"P{index}"))
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o700
    assert [p.name for p in config.iterdir()] == ["profiles.json"]  # no temp files left
    assert json.loads(store.path.read_text())["version"] == 1


def test_a_damaged_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text("{not json")
    with pytest.raises(ProfileStoreError, match=r"profiles\.json is damaged"):
        ProfileStore(path).load()


def test_removing_the_active_profile_activates_the_next(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json").load()
    first, second = store.add(_profile()), store.add(_profile(name="Two"))
    store.set_active(first.id)
    store.remove(first.id)
    assert store.active_id == second.id
    store.remove(second.id)
    assert store.active_id is None
    with pytest.raises(KeyError):
        store.remove(second.id)
    with pytest.raises(KeyError):
        store.set_active(second.id)


def test_a_profile_cannot_carry_a_secret() -> None:
    with pytest.raises(ValidationError, match="secret"):
        Profile.model_validate({"name": "x", "secret": PLANTED})
    with pytest.raises(ValidationError, match="keyring reference"):
        Profile(secret_ref=PLANTED)
    with pytest.raises(ValidationError):
        Profile(secret_ref="profile:" + PLANTED)
    ref = secret_ref_for(str(uuid.uuid4()))
    assert Profile(secret_ref=ref).secret_ref == ref


def test_profile_fields_are_validated() -> None:
    with pytest.raises(ValidationError, match="http"):
        Profile(endpoint_url="minio.local:9000")
    with pytest.raises(ValidationError):
        Profile(s3_max_size_gb=0)
    with pytest.raises(ValidationError):
        Profile(name="  ")
    assert Profile(endpoint_url="https://s3.example.com/").endpoint_url == "https://s3.example.com"


async def test_the_configuration_on_disk_never_holds_the_secret(
    secret_service: SecretServiceKeyring, tmp_path: Path
) -> None:
    """RELIABILITY S7: set up a profile with a planted secret, then search every file."""
    config = tmp_path / "config"
    store = ProfileStore(profiles_file(config)).load()
    credentials = KeyringCredentialStore(secret_service, service=f"leap-test-{uuid.uuid4().hex}")
    profile = store.add(_profile())
    ref = secret_ref_for(profile.id)
    await credentials.set_secret(ref, PLANTED)
    store.update(profile.model_copy(update={"secret_ref": ref}))
    settings = build_settings(store.get(profile.id), await credentials.get_secret(ref))

    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == PLANTED
    assert _grep(tmp_path, PLANTED) == []
    saved = json.loads(store.path.read_text())
    assert saved["profiles"][0]["secret_ref"] == f"profile:{profile.id}"
    assert PLANTED not in repr(settings)
    await credentials.delete_secret(ref)


# --------------------------------------------------------------------- settings


def test_a_profile_becomes_settings() -> None:
    settings = build_settings(_profile(), PLANTED)
    assert settings.storage_type == "S3"
    assert settings.s3_endpoint_url == "http://127.0.0.1:8333"
    assert settings.s3_region == "eu-central-1"
    assert settings.s3_bucket == "lectures"
    assert settings.s3_prefix == "media"
    assert settings.s3_access_key_id == "AKIDPROFILE"
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == PLANTED
    assert settings.s3_addressing_style == "path"
    assert settings.s3_request_checksum_calculation == "when_required"
    assert settings.s3_response_checksum_validation == "when_supported"
    assert settings.s3_max_size_gb == 50.0
    assert settings.local_path == Path("/srv/recordings")
    assert settings.local_max_size_gb == 2.5


def test_an_empty_profile_is_local_with_defaults() -> None:
    settings = build_settings(Profile(), None)
    assert settings.storage_type == "LOCAL"
    assert settings.s3_endpoint_url is None  # empty endpoint: AWS
    assert settings.s3_access_key_id is None
    assert settings.s3_secret_access_key is None
    assert settings.local_path == Path("storage")


def test_environment_variables_override_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_S3_BUCKET", "bucket-from-env")
    monkeypatch.setenv("STORAGE_TYPE", "local")
    settings = build_settings(_profile(), PLANTED)
    assert settings.s3_bucket == "bucket-from-env"
    assert settings.storage_type == "LOCAL"
    assert settings.s3_region == "eu-central-1"  # not set in the environment: the profile's
    assert overridden_variables() == ["STORAGE_S3_BUCKET", "STORAGE_TYPE"]


def test_dotenv_overrides_the_profile_and_the_environment_overrides_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("STORAGE_S3_REGION=eu-west-3\nSTORAGE_S3_PREFIX=from-dotenv\n")
    monkeypatch.setenv("STORAGE_S3_PREFIX", "from-env")
    settings = build_settings(_profile(), PLANTED, env_file=env_file)
    assert settings.s3_region == "eu-west-3"
    assert settings.s3_prefix == "from-env"
    assert settings.s3_bucket == "lectures"


def test_only_the_given_dotenv_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("STORAGE_S3_BUCKET=from-cwd-dotenv\n")
    monkeypatch.chdir(tmp_path)
    assert build_settings(_profile(), None).s3_bucket == "lectures"
    assert build_settings(_profile(), None, env_file=DEFAULT_ENV_FILE).s3_bucket == (
        "from-cwd-dotenv"
    )


def test_an_empty_variable_does_not_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_S3_ENDPOINT_URL", "")
    assert build_settings(_profile(), None).s3_endpoint_url == "http://127.0.0.1:8333"
    assert overridden_variables() == []


def test_credentials_from_the_environment_come_as_a_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_S3_ACCESS_KEY_ID", "AKIDENV")
    settings = build_settings(_profile(), PLANTED)
    assert settings.s3_access_key_id == "AKIDENV"
    assert settings.s3_secret_access_key is None  # never the profile's secret with another key
    monkeypatch.setenv("STORAGE_S3_SECRET_ACCESS_KEY", "env-secret")
    settings = build_settings(_profile(), PLANTED)
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "env-secret"


def test_an_invalid_environment_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_S3_MAX_SIZE_GB", "-1")
    with pytest.raises(ValidationError, match="s3_max_size_gb"):
        build_settings(_profile(), None)


async def test_load_settings_reads_the_secret_from_the_keyring(
    secret_service: SecretServiceKeyring,
) -> None:
    credentials = KeyringCredentialStore(secret_service, service=f"leap-test-{uuid.uuid4().hex}")
    profile = _profile()
    ref = secret_ref_for(profile.id)
    await credentials.set_secret(ref, PLANTED)
    settings = await load_settings(profile.model_copy(update={"secret_ref": ref}), credentials)
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == PLANTED
    await credentials.delete_secret(ref)


async def test_load_settings_skips_the_keyring_when_the_environment_has_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_S3_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("STORAGE_S3_SECRET_ACCESS_KEY", "env-secret")
    profile = _profile(secret_ref=secret_ref_for(str(uuid.uuid4())))
    # No keyring at all: it is not needed, so it is not asked.
    settings = await load_settings(profile, KeyringCredentialStore(fail.Keyring()))
    assert settings.s3_access_key_id == "AKIDENV"
    monkeypatch.delenv("STORAGE_S3_ACCESS_KEY_ID")
    monkeypatch.delenv("STORAGE_S3_SECRET_ACCESS_KEY")
    with pytest.raises(KeyringUnavailableError):
        await load_settings(profile, KeyringCredentialStore(fail.Keyring()))
