"""Leap Sync's async storage library: one interface over a local folder and S3.

Quick start::

    from file_storage import create_storage_backend, StorageSettings, StoragePathBuilder

    async with create_storage_backend(StorageSettings()) as backend:
        path = StoragePathBuilder().recording_source("user_000042", "rec-1")
        await backend.upload_file(path, "lecture.mp4", progress=print)

This package never imports Qt; the desktop app lives in ``app``.
"""

from file_storage.backends import (
    CheckResult,
    ListPage,
    LocalStorageBackend,
    ObjectInfo,
    S3StorageBackend,
    S3Tuning,
    StorageBackend,
)
from file_storage.errors import *  # noqa: F403 - the error tree is part of the public API
from file_storage.errors import __all__ as _error_names
from file_storage.factory import close_storage_backend, create_storage_backend, get_storage_backend
from file_storage.path_builder import StoragePathBuilder
from file_storage.settings import StorageSettings

__all__ = [
    "CheckResult",
    "ListPage",
    "LocalStorageBackend",
    "ObjectInfo",
    "S3StorageBackend",
    "S3Tuning",
    "StorageBackend",
    "StoragePathBuilder",
    "StorageSettings",
    "close_storage_backend",
    "create_storage_backend",
    "get_storage_backend",
    *_error_names,
]
