"""Storage settings, read from ``STORAGE_*`` environment variables or a ``.env`` file.

The variable names are fixed by the platform's design note (``S3_INTEGRATION_TODO.md``); the
tuning knobs below them are ours and all have sane defaults.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from file_storage.bandwidth import parse_rate, parse_schedule
from file_storage.errors import ConfigurationError

ChecksumPolicy = Literal["when_supported", "when_required"]
AddressingStyle = Literal["auto", "path", "virtual"]

SUPPORTED_STORAGE_TYPES = ("LOCAL", "S3", "HYBRID")

#: Today's S3 bucket naming rules (lowercase letters, digits, dots and hyphens, starting and
#: ending with a letter or digit, at most 63 characters). The three-character minimum of AWS is
#: not enforced: S3-compatible servers accept shorter names.
_BUCKET_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class StorageSettings(BaseSettings):
    """Everything needed to build a storage backend.

    Secrets are :class:`pydantic.SecretStr`, so they never show in ``repr`` or logs.
    """

    model_config = SettingsConfigDict(
        env_prefix="STORAGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # A rejected value may be a secret (an endpoint URL with a password): never echo inputs.
        hide_input_in_errors=True,
    )

    storage_type: str = Field(
        default="LOCAL",
        validation_alias=AliasChoices("STORAGE_TYPE", "storage_type"),
        description="LOCAL, S3 or HYBRID (reads from both, writes to S3, during a migration)",
    )

    # Local backend
    local_path: Path = Field(default=Path("storage"), description="Root folder of the local store")
    local_max_size_gb: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Local quota (GB)"
    )

    # S3 backend (names from the design note)
    s3_bucket: str = Field(default="", description="S3 bucket name")
    s3_prefix: str = Field(default="storage", description="Key prefix for every object")
    s3_region: str = Field(default="us-east-1", description="S3 region")
    s3_max_size_gb: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="S3 quota (GB)"
    )
    s3_access_key_id: str | None = Field(default=None, description="Access key ID")
    s3_secret_access_key: SecretStr | None = Field(default=None, description="Secret access key")
    s3_session_token: SecretStr | None = Field(default=None, description="Temporary session token")
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible server"
    )

    # Tuning (ours)
    s3_part_size_mb: int = Field(default=16, ge=5, le=5120, description="Multipart part size (MiB)")
    s3_multipart_threshold_mb: int = Field(
        default=16, ge=5, description="Files larger than this are uploaded in parts (MiB)"
    )
    s3_max_concurrency: int = Field(
        default=6, ge=1, le=64, description="Parts or ranges in flight per transfer"
    )
    s3_max_pool_connections: int | None = Field(
        default=None, ge=1, description="HTTP connection pool size (default: 4 x concurrency)"
    )
    s3_connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to connect")
    s3_read_timeout: float = Field(default=60.0, gt=0, description="Seconds without data")
    s3_max_attempts: int = Field(default=5, ge=1, le=20, description="Attempts per request")
    s3_addressing_style: AddressingStyle = Field(
        default="auto", description="auto: path-style for custom endpoints, virtual for AWS"
    )
    s3_request_checksum_calculation: ChecksumPolicy | None = Field(
        default=None, description="botocore setting; default when_required for custom endpoints"
    )
    s3_response_checksum_validation: ChecksumPolicy | None = Field(
        default=None, description="botocore setting; default when_required for custom endpoints"
    )
    s3_ca_bundle: Path | None = Field(
        default=None, description="CA bundle to verify a self-signed HTTPS endpoint"
    )

    # Quotas
    quota_recount_s: float = Field(
        default=300.0,
        gt=0,
        allow_inf_nan=False,
        description="A quota's usage count older than this many seconds is redone before a write",
    )

    # Media jobs
    ffmpeg_path: Path | None = Field(
        default=None, description="ffmpeg binary (default: ffmpeg on PATH, else imageio-ffmpeg's)"
    )
    ffprobe_path: Path | None = Field(
        default=None, description="ffprobe binary (default: beside ffmpeg, else on PATH)"
    )

    # Sync, migration and the HYBRID backend
    sync_index_path: Path | None = Field(
        default=None,
        description="SQLite file of sync history and file locations (default: app data folder)",
    )
    sync_trash_days: float = Field(
        default=30.0, ge=0, description="Days replaced or deleted files stay in temp/.trash/"
    )
    sync_max_delete_percent: float = Field(
        default=50.0,
        ge=0,
        le=100,
        description="A sync stops if it would delete more than this share of the target",
    )
    sync_settle_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Background sync: seconds a changed file must stay unchanged (and be closed "
        "by its writer) before it is copied",
    )
    sync_interval_s: float = Field(
        default=300.0,
        ge=1,
        description="Background sync: seconds between listings of the bucket for a new sync pair",
    )

    @field_validator(
        "local_max_size_gb",
        "sync_index_path",
        "s3_max_size_gb",
        "s3_access_key_id",
        "s3_secret_access_key",
        "s3_session_token",
        "s3_endpoint_url",
        "s3_ca_bundle",
        "ffmpeg_path",
        "ffprobe_path",
        "s3_max_pool_connections",
        "s3_request_checksum_calculation",
        "s3_response_checksum_validation",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Treat ``VAR=`` (as in ``.env.example``) as "not set" rather than an empty value."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("storage_type", mode="before")
    @classmethod
    def _upper_type(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("s3_prefix", mode="before")
    @classmethod
    def _strip_prefix(cls, value: object) -> object:
        return value.strip().strip("/") if isinstance(value, str) else value

    @field_validator("s3_prefix")
    @classmethod
    def _safe_prefix(cls, value: str) -> str:
        return check_key_prefix(value)

    @field_validator("s3_bucket")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        return check_bucket_name(value.strip())

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return None if value is None else check_endpoint_url(value.strip())

    @field_validator("sync_index_path")
    @classmethod
    def _index_can_exist(cls, value: Path | None) -> Path | None:
        return None if value is None else check_creatable_file(value)

    # S3 transport (issue 11): an attempt that moves no byte this long is given up and retried
    s3_stall_timeout_s: float = Field(
        default=30.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds an S3 transfer may move no byte before it is retried",
    )

    # Bandwidth (issue 13): limits for all network transfers of the process together
    bwlimit_up: str | None = Field(
        default=None,
        description="Upload limit in bytes per second: 512K, 10M (MiB/s), 20Mbit/s; empty: none",
    )
    bwlimit_down: str | None = Field(
        default=None, description="Download limit, same forms as STORAGE_BWLIMIT_UP"
    )
    bwlimit_schedule: str | None = Field(
        default=None,
        description="Weekly timetable, e.g. 'Mon-Fri 09:00-18:00 20Mbit/s; otherwise off'",
    )

    @field_validator("bwlimit_up", "bwlimit_down", "bwlimit_schedule", mode="before")
    @classmethod
    def _bandwidth(cls, value: object, info: ValidationInfo) -> object:
        """Empty is unset; anything else must parse (one-line error naming the problem)."""
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        if info.field_name == "bwlimit_schedule":
            parse_schedule(value)
        else:
            parse_rate(value)
        return value.strip()


def load_settings(**values: Any) -> StorageSettings:
    """Read the settings (environment, ``.env``, then ``values``) for library callers.

    Raises:
        ConfigurationError: A setting is invalid; the message is one line naming the variable
            and never repeats the rejected value (it could be a secret).
    """
    try:
        return StorageSettings(**values)
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None


def describe_validation_error(error: ValidationError) -> str:
    """One line for the first problem: ``invalid setting STORAGE_X: why``."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]).upper()
    name = field if field.startswith("STORAGE_") else f"STORAGE_{field}"
    reason = str(first["msg"]).removeprefix("Value error, ")
    more = error.error_count() - 1
    also = f" (and {more} more)" if more else ""
    return f"invalid setting {name}: {reason}{also}"


def check_bucket_name(name: str) -> str:
    """Return ``name`` if it follows the S3 bucket naming rules ("" means "not set").

    Raises:
        ValueError: Says which rule the name breaks.
    """
    if not name:
        return name
    rules = (
        "use 1 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a "
        "letter or digit"
    )
    if not _BUCKET_RE.match(name) or ".." in name:
        raise ValueError(f"{name!r} is not a valid S3 bucket name: {rules}")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return name
    raise ValueError(f"{name!r} is not a valid S3 bucket name: it must not look like an IP address")


def check_key_prefix(prefix: str) -> str:
    """Return the key prefix if every folder name in it is safe, else raise ``ValueError``.

    A prefix is part of every key, so ``..``, backslashes, drive letters and control characters
    would put objects where other programs do not expect them (or where a download would
    escape its folder).
    """
    if _CONTROL_RE.search(prefix):
        raise ValueError("contains a NUL or control character")
    if "\\" in prefix:
        raise ValueError("contains a backslash; use '/' between folders")
    if _DRIVE_RE.match(prefix):
        raise ValueError("starts with a drive letter; give a key prefix such as 'storage'")
    if prefix:
        for part in prefix.split("/"):
            if part in ("", ".", ".."):
                shown = "//" if part == "" else part
                raise ValueError(f"contains '{shown}'; give a key prefix such as 'storage'")
    return prefix


def check_endpoint_url(url: str) -> str | None:
    """Return an http(s) endpoint URL without trailing slash ("" means AWS S3).

    Raises:
        ValueError: Not http/https, no host, or a user name or password in the URL (the message
            shows the URL with them replaced by ``***``).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(
            f"{redact_userinfo(url)} is not a valid URL; use http://host:port or https://host"
        ) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"{redact_userinfo(url)} must start with http:// or https:// (or be empty for AWS S3)"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{redact_userinfo(url)} contains a user name or password; remove it from the URL "
            "and set STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY instead"
        )
    if not parts.hostname:
        raise ValueError(f"{url} has no host name; use http://host:port or https://host")
    return url.rstrip("/")


def redact_userinfo(url: str) -> str:
    """``url`` with anything before ``@`` in its host part replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{scheme}{sep}{netloc}{slash}{tail}"


def check_creatable_file(path: Path) -> Path:
    """Return ``path`` if a file can exist there (it is no folder, nor below a regular file).

    Nothing is created: the check walks up to the nearest folder that exists.

    Raises:
        ValueError: ``path`` is a folder, or one of its parents is a file.
    """
    expanded = path.expanduser()
    if expanded.is_dir():
        raise ValueError(f"{expanded} is a folder; name a file such as {expanded / 'index.db'}")
    for parent in expanded.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{expanded} cannot be created: {parent} is a file, not a folder")
            break
    return path
