"""Storage settings, read from ``STORAGE_*`` environment variables or a ``.env`` file.

The variable names are fixed by the platform's design note (``S3_INTEGRATION_TODO.md``); the
tuning knobs below them are ours and all have sane defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ChecksumPolicy = Literal["when_supported", "when_required"]
AddressingStyle = Literal["auto", "path", "virtual"]

SUPPORTED_STORAGE_TYPES = ("LOCAL", "S3", "HYBRID")


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
    )

    storage_type: str = Field(
        default="LOCAL",
        validation_alias=AliasChoices("STORAGE_TYPE", "storage_type"),
        description="LOCAL, S3 or HYBRID (reads from both, writes to S3, during a migration)",
    )

    # Local backend
    local_path: Path = Field(default=Path("storage"), description="Root folder of the local store")
    local_max_size_gb: float | None = Field(default=None, gt=0, description="Local quota (GB)")

    # S3 backend (names from the design note)
    s3_bucket: str = Field(default="", description="S3 bucket name")
    s3_prefix: str = Field(default="storage", description="Key prefix for every object")
    s3_region: str = Field(default="us-east-1", description="S3 region")
    s3_max_size_gb: float | None = Field(default=None, gt=0, description="S3 quota (GB)")
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
