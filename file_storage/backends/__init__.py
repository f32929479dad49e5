"""Storage backends."""

from file_storage.backends.base import CheckResult, ListPage, ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend, S3Tuning
from file_storage.errors import StorageQuotaExceededError

__all__ = [
    "CheckResult",
    "ListPage",
    "LocalStorageBackend",
    "ObjectInfo",
    "S3StorageBackend",
    "S3Tuning",
    "StorageBackend",
    "StorageQuotaExceededError",
]
