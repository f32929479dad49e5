"""The ``StorageBackend`` interface shared by the local and S3 backends.

The first half is the platform design note's interface (``save``/``load``/``delete``/``exists``/
``get_size``/``get_total_size``/``list_files``/``get_presigned_url``) with its semantics kept. The
second half is the streaming API that videos need: ``upload_file``/``download_file`` move bytes
between disk and store in bounded chunks, and ``iter_chunks`` reads without holding a whole object.

Every path argument is a storage-relative path (see :mod:`file_storage.paths`), validated before
any I/O. Backends open lazily on first use, or eagerly with ``async with backend:``.
"""

from __future__ import annotations

import abc
import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from file_storage.errors import (
    InvalidRequestError,
    ObjectNotFoundError,
    StorageError,
    WriteConflictError,
)
from file_storage.paths import validate_path
from file_storage.progress import ProgressCallback
from file_storage.quota import QuotaTracker
from file_storage.sources import BytesSource, FileSource, UploadSource

#: Presigned URLs: S3's SigV4 limit is seven days (RELIABILITY S5).
MAX_PRESIGN_SECONDS = 604_800
PRESIGN_METHODS = ("GET", "PUT")


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a backend knows about one stored file.

    Attributes:
        path: Storage-relative path.
        size: Size in bytes.
        modified: Last modification time (timezone-aware, UTC).
        etag: The S3 ETag without quotes, or ``None`` on local disk.
        sha256: Hex SHA-256 of the content when known (stored at upload), else ``None``.
        original_name: The name the file had on the user's computer when it was stored under a
            layout name (``"Лекция 5.mp4"`` for ``.../source.mp4``); known from ``stat``, not
            from listings.
    """

    path: str
    size: int
    modified: datetime
    etag: str | None = None
    sha256: str | None = None
    original_name: str | None = None


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What a download proved about the bytes it wrote.

    Attributes:
        path: Storage-relative path of the object.
        size: Bytes written.
        sha256: Hex SHA-256 of the bytes written (computed while downloading).
        etag: The ETag of the version downloaded (unquoted), if the store has ETags.
        checks: The proofs that matched: ``"sha256"`` (the SHA-256 recorded in the object's
            metadata), ``"md5"`` (a single-part ETag), ``"etag"`` (a multipart ETag recomputed
            with the object's real part layout).
        unverified_reason: Why nothing could be proven (an SSE-KMS ETag and no recorded
            SHA-256...); ``None`` when ``checks`` is not empty. Callers must show it.
        resumed_bytes: Bytes kept from an interrupted earlier download of the same object
            (re-hashed for the proof, not fetched again).
        resume_note: Why a kept partial file was not used (the object changed...), if so.
    """

    path: str
    size: int
    sha256: str | None
    etag: str | None = None
    checks: tuple[str, ...] = ()
    unverified_reason: str | None = None
    resumed_bytes: int = 0
    resume_note: str | None = None

    @property
    def verified(self) -> bool:
        """Whether at least one independent proof matched the bytes written."""
        return bool(self.checks)


@dataclass(slots=True)
class ListPage:
    """One page of a listing.

    Attributes:
        files: Files in this page.
        folders: Immediate sub-folders (only in non-recursive listings), as storage paths.
        unsafe_keys: Names found in the store that are not safe storage paths (``../x``, a
            backslash...). They are reported, never turned into local paths (RELIABILITY S3).
    """

    files: list[ObjectInfo] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    unsafe_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The answer of :meth:`StorageBackend.check` (the GUI's *Test connection*)."""

    ok: bool
    backend: str
    detail: str
    latency_ms: float | None = None
    error: StorageError | None = None


class StorageBackend(abc.ABC):
    """Abstract storage backend; see the module docstring for the contract."""

    #: Short name used in messages and the CLI ("local", "s3").
    name = "storage"

    def __init__(self, quota: QuotaTracker) -> None:
        self.quota = quota
        self._open_lock: asyncio.Lock | None = None
        self._opened = False
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> StorageBackend:
        await self.ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def ensure_open(self) -> None:
        """Open connections and clean leftovers, once; later calls return immediately."""
        if self._closed:
            raise StorageError(f"The {self.name} backend was closed; create a new one.")
        if self._opened:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if not self._opened:
                await self._open()
                self._opened = True

    async def aclose(self) -> None:
        """Close connections; safe to call twice."""
        if self._opened and not self._closed:
            self._closed = True
            await self._close()
        self._closed = True

    async def _open(self) -> None:  # noqa: B027 - optional hook
        """Open long-lived resources (the S3 client)."""

    async def _close(self) -> None:  # noqa: B027 - optional hook
        """Release what ``_open`` acquired."""

    # ----------------------------------------------------------------- streaming API

    @abc.abstractmethod
    async def upload_source(
        self,
        path: str,
        source: UploadSource,
        *,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
    ) -> str:
        """Store ``source`` at ``path`` atomically and verified; return its location.

        ``original_name``, when given, is kept with the file (S3 metadata, a local extended
        attribute) and comes back from :meth:`stat`: the layout renames dropped files.

        Raises:
            SourceChangedError: The source was shorter than declared, failed, or changed.
            StorageQuotaExceededError: The write would exceed the quota.
        """

    async def upload_file(
        self,
        path: str,
        local_path: str | Path,
        *,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> str:
        """Stream the local file ``local_path`` to ``path``; memory stays flat at any size.

        Args:
            if_none_match: Store only if nothing is at ``path`` (the plan saw no object).
            if_match: Store only if the object at ``path`` still has this ETag (unquoted).

        Returns:
            Where it went: the S3 key, or the absolute path inside the local store.

        Raises:
            WriteConflictError: A condition failed; nothing was stored, the object there stays.
        """
        validate_path(path)
        async with FileSource(Path(local_path)) as source:
            if if_none_match or if_match is not None:
                return await self.upload_source_conditional(
                    path,
                    source,
                    if_none_match=if_none_match,
                    if_match=if_match,
                    progress=progress,
                    original_name=original_name,
                )
            return await self.upload_source(
                path, source, progress=progress, original_name=original_name
            )

    async def upload_source_conditional(
        self,
        path: str,
        source: UploadSource,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
    ) -> str:
        """:meth:`upload_source` only if ``path`` is as the caller last saw it.

        This default checks with :meth:`stat` first (a window remains between the check and the
        write); the S3 backend sends the conditions with the write itself.

        Raises:
            WriteConflictError: A condition failed; nothing was stored.
        """
        await check_write_condition(self, path, if_none_match=if_none_match, if_match=if_match)
        return await self.upload_source(
            path, source, progress=progress, original_name=original_name
        )

    @abc.abstractmethod
    async def download_file(
        self, path: str, local_path: str | Path, *, progress: ProgressCallback | None = None
    ) -> DownloadResult | None:
        """Stream ``path`` to ``local_path`` atomically (temp file beside it, verified, renamed).

        On any failure or cancel, ``local_path`` keeps its previous content (or stays absent).

        Returns:
            What was proven about the bytes (S3: always; a result whose ``verified`` is false
            must be shown to the user), or ``None`` from a backend that reads its own disk.

        Raises:
            ChecksumMismatchError: The bytes do not match the recorded SHA-256 or the ETag;
                nothing was written.
        """

    @abc.abstractmethod
    def iter_chunks(
        self, path: str, chunk_size: int = 1024 * 1024, *, start: int = 0
    ) -> AsyncIterator[bytes]:
        """Yield the content of ``path`` from ``start`` in chunks of at most ``chunk_size``."""

    async def local_file(self, path: str) -> Path | None:
        """The file on this computer that holds ``path``, when there is one; else ``None``.

        Media jobs read such a file in place (no copy); remote backends return ``None`` and the
        job downloads the object first.
        """
        validate_path(path)
        return None

    @abc.abstractmethod
    async def stat(self, path: str) -> ObjectInfo:
        """Return size, modification time, ETag and SHA-256 (when known) of ``path``.

        Raises:
            ObjectNotFoundError: Nothing is stored at ``path``.
        """

    @abc.abstractmethod
    def iter_pages(self, prefix: str = "", *, recursive: bool = True) -> AsyncIterator[ListPage]:
        """List the folder ``prefix`` page by page (``""`` is the whole store).

        With ``recursive=False`` a page holds the folder's files and immediate sub-folders,
        which is what a lazily loaded tree needs.
        """

    @abc.abstractmethod
    async def check(self) -> CheckResult:
        """Say whether this backend works right now; never raises for backend problems."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A one-line, secret-free description ("s3://bucket/prefix at http://...")."""

    # ----------------------------------------------------------------- design-note API

    async def save(self, path: str, content: bytes) -> str:
        """Store a small ``bytes`` payload at ``path`` (use ``upload_file`` for videos)."""
        return await self.upload_source(path, BytesSource(content))

    async def load(self, path: str) -> bytes:
        """Return the whole content of a small file (use ``download_file`` for videos)."""
        chunks = [chunk async for chunk in self.iter_chunks(path)]
        return b"".join(chunks)

    @abc.abstractmethod
    async def create_folder(self, path: str) -> None:
        """Create an (empty) folder, so a new recording shows before its first file arrives."""

    @abc.abstractmethod
    async def delete(self, path: str) -> None:
        """Delete ``path``; a missing path is not an error (idempotent)."""

    async def copy(self, source: str, target: str) -> str:
        """Copy the file ``source`` to ``target`` in this store; return where it went.

        The original name and the modification time go with it. This default streams through
        this computer (a local store reads its file in place); S3 copies server-side.

        Raises:
            ObjectNotFoundError: Nothing is stored at ``source``.
        """
        info = await self.stat(source)
        validate_path(target)
        local = await self.local_file(source)
        if local is not None:
            where = await self.upload_file(target, local, original_name=info.original_name)
        else:
            with tempfile.TemporaryDirectory(prefix="leap-copy-") as folder:
                spool = Path(folder) / "copy"
                await self.download_file(source, spool)
                where = await self.upload_file(target, spool, original_name=info.original_name)
        copied = await self.local_file(target)
        if copied is not None and local is not None:
            mtime_ns = local.stat().st_mtime_ns
            os.utime(copied, ns=(mtime_ns, mtime_ns))
        return where

    async def delete_files(self, files: list[ObjectInfo]) -> int:
        """Delete these listed files (S3: in batches); return how many were deleted."""
        for info in files:
            await self.delete(info.path)
        return len(files)

    async def exists(self, path: str) -> bool:
        """Tell whether a file is stored at ``path``."""
        try:
            await self.stat(path)
        except ObjectNotFoundError:
            return False
        return True

    async def get_size(self, path: str) -> int:
        """Return the size of ``path`` in bytes."""
        return (await self.stat(path)).size

    async def get_total_size(self) -> int:
        """Return the total size of every file in the store (counts by listing)."""
        return await self.count_usage()

    async def count_usage(self, prefix: str = "") -> int:
        """Sum the sizes under ``prefix`` by listing it (the quota's one-time count)."""
        total = 0
        async for page in self.iter_pages(prefix, recursive=True):
            total += sum(info.size for info in page.files)
        return total

    async def list_files(self, prefix: str = "") -> list[str]:
        """Return the storage paths of every file under the folder ``prefix``."""
        return [info.path async for page in self.iter_pages(prefix) for info in page.files]

    async def get_presigned_url(
        self, path: str, expires_in: int = 3600, method: str = "GET"
    ) -> str:
        """Return a URL that grants ``method`` on ``path`` for ``expires_in`` seconds.

        Raises:
            InvalidRequestError: ``expires_in`` is outside 1..604800 or ``method`` is not GET/PUT.
            NotSupportedError: The backend has no URLs (local disk).
        """
        method = validate_presign_request(expires_in, method)
        return await self._presign(validate_path(path), expires_in, method)

    @abc.abstractmethod
    async def _presign(self, path: str, expires_in: int, method: str) -> str:
        """Backend part of :meth:`get_presigned_url`, called with checked arguments."""


async def check_write_condition(
    backend: StorageBackend, path: str, *, if_none_match: bool, if_match: str | None
) -> None:
    """Raise :class:`WriteConflictError` unless ``path`` is absent / has ETag ``if_match``."""
    try:
        current: ObjectInfo | None = await backend.stat(path)
    except ObjectNotFoundError:
        current = None
    if if_none_match and current is not None:
        raise WriteConflictError(
            f"{path} was created by someone else since the compare; it was not overwritten.",
            path=path,
        )
    if if_match is not None and (current is None or (current.etag or "") != if_match.strip('"')):
        what = "deleted" if current is None else "replaced"
        raise WriteConflictError(
            f"{path} was {what} by someone else since the compare; it was not overwritten.",
            path=path,
        )


def validate_presign_request(expires_in: object, method: object) -> str:
    """Check a presigned URL request before anything is signed (RELIABILITY S5)."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidRequestError(
            f"Link expiry must be a whole number of seconds, not {expires_in!r}."
        )
    if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
        raise InvalidRequestError(
            f"Link expiry must be between 1 second and 7 days ({MAX_PRESIGN_SECONDS} s); "
            f"got {expires_in}."
        )
    if not isinstance(method, str) or method.upper() not in PRESIGN_METHODS:
        raise InvalidRequestError(f"Link method must be GET or PUT, not {method!r}.")
    return method.upper()
