"""Connection profiles on disk, and how a profile becomes :class:`StorageSettings`.

A profile is everything the settings dialog edits except the secret: the file holds a keyring
reference (``secret_ref``) and never the secret itself (RELIABILITY S7). The file is written
atomically with mode 0600, so a crash mid-save leaves the previous profiles intact.

The platform's ``STORAGE_*`` variables and ``.env`` keep working on top of profiles: whatever they
set wins over the profile (:func:`build_settings`), so a deployment can pin a value for everyone.

This module has no Qt: the caller passes every path (the app uses Qt's AppConfigLocation).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.credentials import CredentialStore
from file_storage.settings import AddressingStyle, ChecksumPolicy, StorageSettings

PROFILES_FILENAME = "profiles.json"
FORMAT_VERSION = 1
SECRET_REF_PREFIX = "profile:"  # noqa: S105 - a reference prefix, not a password
#: What the platform's scripts read when no other ``.env`` is given (the working directory's).
DEFAULT_ENV_FILE = Path(".env")

#: Profile field -> the StorageSettings field it feeds.
PROFILE_TO_SETTINGS = {
    "endpoint_url": "s3_endpoint_url",
    "region": "s3_region",
    "bucket": "s3_bucket",
    "prefix": "s3_prefix",
    "access_key_id": "s3_access_key_id",
    "addressing_style": "s3_addressing_style",
    "request_checksum_calculation": "s3_request_checksum_calculation",
    "response_checksum_validation": "s3_response_checksum_validation",
    "s3_max_size_gb": "s3_max_size_gb",
    "local_path": "local_path",
    "local_max_size_gb": "local_max_size_gb",
}
#: The key ID and the secret belong together: if the environment sets either, it owns both.
_CREDENTIAL_FIELDS = ("s3_access_key_id", "s3_secret_access_key", "s3_session_token")


def profiles_file(config_dir: Path) -> Path:
    """Where the profiles live inside the app's configuration folder."""
    return config_dir / PROFILES_FILENAME


def secret_ref_for(profile_id: str) -> str:
    """The keyring reference of a profile's secret."""
    return f"{SECRET_REF_PREFIX}{profile_id}"


def _new_id() -> str:
    return str(uuid.uuid4())


class Profile(BaseModel):
    """One connection: a bucket, the local store beside it, and where its secret is kept.

    Immutable: edit with ``profile.model_copy(update=...)`` and validate with
    ``Profile.model_validate``. Unknown keys are rejected, so a ``secret`` can never ride along.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(default_factory=_new_id)
    name: str = Field(default="New profile", min_length=1, max_length=100)
    endpoint_url: str = Field(default="", description="Empty for AWS S3")
    region: str = "us-east-1"
    bucket: str = ""
    prefix: str = "storage"
    access_key_id: str = ""
    addressing_style: AddressingStyle = "auto"
    request_checksum_calculation: ChecksumPolicy | None = None
    response_checksum_validation: ChecksumPolicy | None = None
    s3_max_size_gb: float | None = Field(default=None, gt=0)
    local_path: Path | None = None
    local_max_size_gb: float | None = Field(default=None, gt=0)
    secret_ref: str | None = Field(default=None, description="Keyring reference, never a secret")

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return str(uuid.UUID(value))

    @field_validator("endpoint_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (or be empty for AWS S3)")
        return value.rstrip("/")

    @field_validator("prefix")
    @classmethod
    def _strip_slashes(cls, value: str) -> str:
        return value.strip("/")

    @field_validator("secret_ref")
    @classmethod
    def _reference_only(cls, value: str | None) -> str | None:
        # Anything but a well-formed reference could be a pasted secret: refuse to persist it.
        if value is None:
            return None
        suffix = value.removeprefix(SECRET_REF_PREFIX)
        if suffix == value:
            raise ValueError(f"must be a keyring reference like '{SECRET_REF_PREFIX}<id>'")
        uuid.UUID(suffix)
        return value


class ProfileStoreError(Exception):
    """The profiles file cannot be read or written; the message names it and says why."""


class _ProfilesFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = FORMAT_VERSION
    active: str | None = None
    profiles: list[Profile] = Field(default_factory=list)


class ProfileStore:
    """The profiles and the active profile's id, persisted as one JSON file.

    Every change is saved at once. Nothing is read until :meth:`load`.

    Args:
        path: The JSON file (see :func:`profiles_file`); its folder is created on first save.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._profiles: dict[str, Profile] = {}
        self._active_id: str | None = None

    # ----------------------------------------------------------------- reading

    @property
    def profiles(self) -> list[Profile]:
        """Every profile, in the order they were added."""
        return list(self._profiles.values())

    @property
    def active_id(self) -> str | None:
        """The id of the profile the app uses, or ``None``."""
        return self._active_id

    def active(self) -> Profile | None:
        """The profile the app uses, or ``None`` when there is none."""
        return self._profiles.get(self._active_id) if self._active_id else None

    def get(self, profile_id: str) -> Profile:
        """Return the profile with this id.

        Raises:
            KeyError: There is no such profile.
        """
        return self._profiles[profile_id]

    def load(self) -> ProfileStore:
        """Read the file; a missing file means "no profiles yet". Returns ``self``.

        Raises:
            ProfileStoreError: The file exists but is unreadable or not a profiles file.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self._profiles, self._active_id = {}, None
            return self
        except OSError as exc:
            raise ProfileStoreError(
                f"Cannot read the profiles file {self.path}: {exc.strerror}."
            ) from exc
        try:
            data = _ProfilesFile.model_validate_json(raw)
        except ValidationError as exc:
            raise ProfileStoreError(
                f"The profiles file {self.path} is damaged ({exc.error_count()} problem(s)); "
                "move it away to start with no profiles."
            ) from exc
        self._profiles = {profile.id: profile for profile in data.profiles}
        self._active_id = data.active if data.active in self._profiles else None
        return self

    # ----------------------------------------------------------------- changing

    def add(self, profile: Profile) -> Profile:
        """Add a new profile and save; it is not made active.

        A new profile has no bucket and no secret yet: activating it would replace a working
        connection (the demo, say) with an unusable one. The app activates a profile once it
        has checked that it works (:mod:`app.settings_flow`).

        Raises:
            ValueError: A profile with this id exists already.
        """
        if profile.id in self._profiles:
            raise ValueError(f"A profile with id {profile.id} exists already.")
        self._profiles[profile.id] = profile
        self.save()
        return profile

    def update(self, profile: Profile) -> Profile:
        """Replace the stored profile of the same id and save.

        Raises:
            KeyError: There is no such profile.
        """
        if profile.id not in self._profiles:
            raise KeyError(profile.id)
        self._profiles[profile.id] = profile
        self.save()
        return profile

    def remove(self, profile_id: str) -> Profile:
        """Remove a profile and save; if it was active, the first remaining one takes over.

        The caller deletes the profile's secret from the keyring.

        Raises:
            KeyError: There is no such profile.
        """
        profile = self._profiles.pop(profile_id)
        if self._active_id == profile_id:
            self._active_id = next(iter(self._profiles), None)
        self.save()
        return profile

    def set_active(self, profile_id: str | None) -> None:
        """Make ``profile_id`` the active profile (``None``: none) and save.

        Raises:
            KeyError: There is no such profile.
        """
        if profile_id is not None and profile_id not in self._profiles:
            raise KeyError(profile_id)
        self._active_id = profile_id
        self.save()

    def save(self) -> None:
        """Write the file atomically (temp file, fsync, rename), readable by the owner only.

        Raises:
            ProfileStoreError: The file could not be written; the previous one is intact.
        """
        data = _ProfilesFile(active=self._active_id, profiles=self.profiles)
        payload = json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        try:
            write_private_file(self.path, payload.encode("utf-8"))
        except OSError as exc:
            raise ProfileStoreError(
                f"Cannot save the profiles to {self.path}: {exc.strerror or exc}."
            ) from exc


def write_private_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is mode 0600, its folder 0700 if new.

    Raises:
        OSError: Nothing was replaced.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(temp_name, 0o600)  # mkstemp does this already; say it where it matters
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open folders and needs no such step."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------- settings


def environment_settings(env_file: Path | None = None) -> StorageSettings:
    """What ``STORAGE_*`` variables and ``env_file`` set, on top of the defaults.

    Args:
        env_file: A ``.env`` file to read (``None``: none, only the environment).
    """
    return StorageSettings(_env_file=env_file)  # type: ignore[call-arg]


def fields_set_by_environment(env: StorageSettings) -> set[str]:
    """The settings fields the environment or ``.env`` gives a value (``VAR=`` is unset)."""
    return {name for name in env.model_fields_set if getattr(env, name) is not None}


def overridden_variables(env_file: Path | None = None) -> list[str]:
    """The ``STORAGE_*`` names that override a profile's fields, for the dialog to show."""
    env = environment_settings(env_file)
    taken = fields_set_by_environment(env)
    fields = {*PROFILE_TO_SETTINGS.values(), "s3_secret_access_key", "storage_type"}
    return sorted(variable_name(name) for name in fields & taken)


def build_settings(
    profile: Profile, secret: str | None, *, env_file: Path | None = None
) -> StorageSettings:
    """The settings for ``profile``, with ``STORAGE_*`` variables and ``env_file`` winning.

    Precedence, highest first: environment variables, ``env_file``, the profile, the defaults.
    The access key ID and secret go together: when the environment sets either, the profile's
    credentials are both ignored (a key from one place and a secret from another never match).
    The storage type is S3 when the profile names a bucket, else LOCAL, unless ``STORAGE_TYPE``
    is set.

    Args:
        profile: The profile to apply.
        secret: Its secret access key, read from the keyring by the caller (``None``: none).
        env_file: A ``.env`` file to honour (``None``: only the environment); the app passes
            :data:`DEFAULT_ENV_FILE` or its own.

    Raises:
        pydantic.ValidationError: A value from the environment or the profile is invalid.
    """
    env = environment_settings(env_file)
    taken = fields_set_by_environment(env)
    values: dict[str, Any] = {
        settings_field: getattr(profile, profile_field)
        for profile_field, settings_field in PROFILE_TO_SETTINGS.items()
    }
    values["s3_endpoint_url"] = profile.endpoint_url or None
    # Only an explicit region is passed on: left unset, AWS_REGION or the AWS profile's applies.
    if profile.region:
        values["s3_region"] = profile.region
    elif "s3_region" in env.model_fields_set and env.s3_region:
        values["s3_region"] = env.s3_region
    values["storage_type"] = "S3" if profile.bucket else "LOCAL"
    if profile.local_path is None:
        del values["local_path"]
    if taken.isdisjoint(_CREDENTIAL_FIELDS):
        values["s3_access_key_id"] = profile.access_key_id or None
        values["s3_secret_access_key"] = secret or None
    else:
        del values["s3_access_key_id"]
    update = {name: value for name, value in values.items() if name not in taken}
    merged = env.model_copy(update=update)
    # model_copy does not validate: validate the merged values (without re-reading the env).
    return StorageSettings.model_validate(merged.model_dump())


async def load_settings(
    profile: Profile, credentials: CredentialStore, *, env_file: Path | None = None
) -> StorageSettings:
    """The settings for ``profile``, with its secret read from the keyring when it is needed.

    The keyring is not asked when the environment supplies the credentials, so a locked or
    missing keyring never stands in the way of a configuration that does not use it.

    Raises:
        CredentialError: The secret could not be read; the message says what to do. The app
            can still start, e.g. with ``build_settings(profile, None)`` and a warning.
        pydantic.ValidationError: A value from the environment or the profile is invalid.
    """
    env = environment_settings(env_file)
    secret = None
    if profile.secret_ref and fields_set_by_environment(env).isdisjoint(_CREDENTIAL_FIELDS):
        secret = await credentials.get_secret(profile.secret_ref)
    return build_settings(profile, secret, env_file=env_file)


def variable_name(field: str) -> str:
    """The ``STORAGE_*`` variable that sets a StorageSettings field."""
    return "STORAGE_TYPE" if field == "storage_type" else f"STORAGE_{field.upper()}"
