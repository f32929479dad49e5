"""Build backends from settings; the design note's ``get_storage_backend()`` singleton.

Applications build their backend once in a composition root with
:func:`create_storage_backend` and pass it down. The singleton is kept for scripts and the
design note's call sites; it belongs to one event loop, so close it with
:func:`close_storage_backend` before that loop ends.
"""

from __future__ import annotations

import logging
import os

import botocore.session

from file_storage.backends.base import StorageBackend
from file_storage.backends.hybrid import HybridStorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend, S3Tuning
from file_storage.backends.s3.journal import journal_path_beside
from file_storage.bandwidth import BandwidthLimiter
from file_storage.errors import ConfigurationError
from file_storage.quota import QuotaTracker
from file_storage.quota_ledger import QuotaLedger, default_ledger_path
from file_storage.settings import SUPPORTED_STORAGE_TYPES, StorageSettings, load_settings
from file_storage.sync.index import SyncIndex, default_index_path

logger = logging.getLogger(__name__)

MiB = 1024 * 1024

_backend: StorageBackend | None = None


def s3_tuning_from(settings: StorageSettings) -> S3Tuning:
    """The S3 tuning knobs of ``settings``."""
    return S3Tuning(
        part_size=settings.s3_part_size_mb * MiB,
        multipart_threshold=settings.s3_multipart_threshold_mb * MiB,
        max_concurrency=settings.s3_max_concurrency,
        max_pool_connections=settings.s3_max_pool_connections,
        connect_timeout=settings.s3_connect_timeout,
        read_timeout=settings.s3_read_timeout,
        max_attempts=settings.s3_max_attempts,
        addressing_style=settings.s3_addressing_style,
        request_checksum_calculation=settings.s3_request_checksum_calculation,
        response_checksum_validation=settings.s3_response_checksum_validation,
        ca_bundle=settings.s3_ca_bundle,
        stall_timeout=settings.s3_stall_timeout_s,
        upload_journal=journal_path_beside(settings.sync_index_path or default_index_path()),
    )


def share_quota(quota: QuotaTracker, settings: StorageSettings, store: str) -> None:
    """Share a store's quota with the other processes of this machine (when it has one).

    The ledger lives beside the sync index (by default in the app's data folder), so the app and
    every ``leap-storage`` command with the same settings see the same reservations.
    """
    if quota.limit_bytes is None:
        return
    index = settings.sync_index_path or default_index_path()
    quota.share(QuotaLedger(default_ledger_path(index), store, recount_s=settings.quota_recount_s))


def s3_store_id(settings: StorageSettings) -> str:
    """Which S3 store a quota belongs to: endpoint (or AWS region), bucket and prefix."""
    endpoint = settings.s3_endpoint_url or f"aws:{settings.s3_region}"
    return f"s3 {endpoint} {settings.s3_bucket} {settings.s3_prefix}"


def create_local_backend(settings: StorageSettings) -> LocalStorageBackend:
    backend = LocalStorageBackend(settings.local_path, max_size_gb=settings.local_max_size_gb)
    share_quota(backend.quota, settings, f"local {settings.local_path.expanduser().absolute()}")
    return backend


def check_aws_profile() -> None:
    """Refuse an ``AWS_PROFILE`` that no AWS config file defines, naming it.

    botocore reads the profile lazily and would fail deep inside the first request (and on
    every request after), even when the settings give keys of their own.

    Raises:
        ConfigurationError: The profile is not in the config or credentials file.
    """
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        name = os.environ.get(variable)
        if name:
            break
    else:
        return
    session = botocore.session.Session()
    if name in session.available_profiles:
        return
    config = session.get_config_variable("config_file")
    credentials = session.get_config_variable("credentials_file")
    raise ConfigurationError(
        f"AWS profile '{name}' (from {variable}) is not defined in {config} or {credentials}; "
        f"fix {variable} or unset it."
    )


def create_s3_backend(settings: StorageSettings) -> S3StorageBackend:
    check_aws_profile()
    backend = S3StorageBackend(
        bucket_name=settings.s3_bucket,
        prefix=settings.s3_prefix,
        # Unset: AWS_REGION, AWS_DEFAULT_REGION or the profile's region (else us-east-1).
        # Unset or empty: the AWS chain decides (AWS_REGION, the profile's region, us-east-1).
        region=(settings.s3_region or None) if "s3_region" in settings.model_fields_set else None,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        endpoint_url=settings.s3_endpoint_url,
        max_size_gb=settings.s3_max_size_gb,
        session_token=settings.s3_session_token,
        tuning=s3_tuning_from(settings),
    )
    share_quota(backend.quota, settings, s3_store_id(settings))
    if settings.bwlimit_up or settings.bwlimit_down or settings.bwlimit_schedule:
        BandwidthLimiter.shared().apply_settings(
            settings.bwlimit_up, settings.bwlimit_down, settings.bwlimit_schedule
        )
    return backend


def create_hybrid_backend(settings: StorageSettings) -> HybridStorageBackend:
    """LOCAL and S3 from the same settings, with the sync index as the location record."""
    index = SyncIndex(settings.sync_index_path or default_index_path())
    return HybridStorageBackend(create_local_backend(settings), create_s3_backend(settings), index)


def create_storage_backend(settings: StorageSettings | None = None) -> StorageBackend:
    """Create the backend that ``settings.storage_type`` selects (LOCAL, S3 or HYBRID).

    Raises:
        ValueError: The storage type is not one of the supported ones.
        ConfigurationError: Required settings of that type are missing, or a setting from the
            environment is invalid.
    """
    settings = settings or load_settings()
    storage_type = settings.storage_type.upper()
    if storage_type == "LOCAL":
        backend: StorageBackend = create_local_backend(settings)
    elif storage_type == "S3":
        backend = create_s3_backend(settings)
    elif storage_type == "HYBRID":
        backend = create_hybrid_backend(settings)
    else:
        raise ValueError(
            f"Unknown storage type: {settings.storage_type!r}. Supported types: "
            f"{', '.join(SUPPORTED_STORAGE_TYPES)}."
        )
    logger.info("Created storage backend: %s", backend.describe())
    return backend


def get_storage_backend() -> StorageBackend:
    """Return the process-wide backend, creating it from the environment on first call."""
    global _backend
    if _backend is None:
        _backend = create_storage_backend()
    return _backend


async def close_storage_backend() -> None:
    """Close and forget the process-wide backend (the next call creates a new one)."""
    global _backend
    backend, _backend = _backend, None
    if backend is not None:
        await backend.aclose()
