"""One error hierarchy for every storage backend.

Callers catch :class:`StorageError` (or one of its children) and show ``str(error)``: each message
says what failed and what to do about it, and never contains a secret. Backend-specific exceptions
(botocore, aiohttp, ``OSError``) are translated into these at one boundary per backend and chained
with ``raise ... from``, so the detail stays available in logs.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every error raised by ``file_storage``."""

    #: A short, stable identifier for the error kind, handy for GUIs and JSON output.
    kind = "storage"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ConfigurationError(StorageError, ValueError):
    """The settings are incomplete or contradictory."""

    kind = "configuration"


class InvalidPathError(StorageError, ValueError):
    """A storage path is unsafe or malformed; raised before any filesystem or network call."""

    kind = "invalid-path"


class InvalidRequestError(StorageError, ValueError):
    """An argument other than a path is out of range (a link expiry, a method name)."""

    kind = "invalid-request"


#: The name RELIABILITY.md uses for the same error.
InvalidPath = InvalidPathError


class ObjectNotFoundError(StorageError, FileNotFoundError):
    """The file or object does not exist; also a ``FileNotFoundError`` for the note's callers."""

    kind = "not-found"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        StorageError.__init__(self, message, path=path)


class BucketNotFoundError(StorageError):
    """The configured bucket does not exist on this endpoint."""

    kind = "bucket-not-found"


class AccessDeniedError(StorageError, PermissionError):
    """The credentials are valid but not allowed to do this (or a local permission error)."""

    kind = "access-denied"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        StorageError.__init__(self, message, path=path)


class InvalidCredentialsError(AccessDeniedError):
    """The access key is unknown, the secret is wrong, or no credentials were configured."""

    kind = "bad-credentials"


class EndpointUnreachableError(StorageError, ConnectionError):
    """The S3 endpoint could not be reached (DNS, refused, timed out, TLS)."""

    kind = "unreachable"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        StorageError.__init__(self, message, path=path)


class TLSVerificationError(EndpointUnreachableError):
    """The endpoint's TLS certificate could not be verified."""

    kind = "tls"


class ClockSkewError(StorageError):
    """The server refused the request because this computer's clock is off."""

    kind = "clock-skew"


class ServiceUnavailableError(StorageError):
    """The server kept answering "slow down" or 5xx after every retry."""

    kind = "unavailable"


class ChecksumMismatchError(StorageError):
    """What arrived is not what was sent: the content hash or size differs."""

    kind = "checksum"


class SourceChangedError(StorageError):
    """The source was modified, truncated or failed while it was being transferred."""

    kind = "source-changed"


class ObjectChangedError(StorageError):
    """The remote object was replaced while it was being downloaded."""

    kind = "object-changed"


class DiskFullError(StorageError, OSError):
    """There is not enough space on the local disk."""

    kind = "disk-full"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        StorageError.__init__(self, message, path=path)


class StorageQuotaExceededError(StorageError):
    """A write would take the store over its configured quota (the design note's name)."""

    kind = "quota"


class QuotaUnknownError(StorageError):
    """The current usage could not be determined, so writes are refused (fail closed)."""

    kind = "quota-unknown"


class NotSupportedError(StorageError):
    """This backend cannot do that operation (for example a presigned URL on local disk)."""

    kind = "not-supported"


class SyncSafetyError(StorageError):
    """A sync was refused because it looks destructive (empty source, too many deletes)."""

    kind = "sync-safety"


class MediaToolError(ConfigurationError):
    """ffmpeg (or ffprobe) is missing, cannot run, or lacks an encoder a job needs."""

    kind = "media-tool"


class MediaInputError(StorageError, ValueError):
    """A media job cannot use this input (no video stream for a thumbnail, a bad preset...)."""

    kind = "media-input"


class MediaProcessingError(StorageError):
    """ffmpeg failed; the message ends with the (redacted) tail of its error output.

    Attributes:
        stderr_tail: The last lines ffmpeg wrote to stderr, secrets and URL queries redacted.
        returncode: ffmpeg's exit status.
    """

    kind = "media"

    def __init__(
        self, message: str, *, path: str | None = None, stderr_tail: str = "", returncode: int = 0
    ) -> None:
        super().__init__(message, path=path)
        self.stderr_tail = stderr_tail
        self.returncode = returncode


__all__ = [
    "AccessDeniedError",
    "BucketNotFoundError",
    "ChecksumMismatchError",
    "ClockSkewError",
    "ConfigurationError",
    "DiskFullError",
    "EndpointUnreachableError",
    "InvalidCredentialsError",
    "InvalidPath",
    "InvalidPathError",
    "InvalidRequestError",
    "MediaInputError",
    "MediaProcessingError",
    "MediaToolError",
    "NotSupportedError",
    "ObjectChangedError",
    "ObjectNotFoundError",
    "QuotaUnknownError",
    "ServiceUnavailableError",
    "SourceChangedError",
    "StorageError",
    "StorageQuotaExceededError",
    "SyncSafetyError",
    "TLSVerificationError",
]


class SyncIndexDamagedError(StorageError):
    """The sync index file is not a readable SQLite database (damaged or overwritten).

    The message names the file and how to rebuild it; the index only holds hints (hash cache,
    sync history), so a fresh one loses no file.
    """

    kind = "sync-index-damaged"


__all__ += ["SyncIndexDamagedError"]


class WriteConflictError(ObjectChangedError):
    """A conditional write was refused: the object is not what the plan saw.

    Another client created, replaced or deleted it since the compare (``If-None-Match: *`` or
    ``If-Match: <etag>`` failed, or the HEAD just before the commit disagreed). Nothing of ours
    was stored under that name; the other writer's object is untouched.
    """

    kind = "write-conflict"


__all__ += ["WriteConflictError"]


class EndpointNotRespondingError(EndpointUnreachableError):
    """The S3 endpoint accepted the connection but moved no bytes for the stall timeout.

    A frozen server, a zero-window connection or a dead network path: the transfer was retried
    (``STORAGE_S3_MAX_ATTEMPTS``) and each attempt sat silent for ``STORAGE_S3_STALL_TIMEOUT_S``.
    """

    kind = "not-responding"


__all__ += ["EndpointNotRespondingError"]
