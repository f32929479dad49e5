"""Local-disk backend: the store is a folder, writes are atomic, paths cannot escape it.

Every path is validated textually (:func:`validate_path`) and then resolved with symlinks followed
and compared to the resolved root, so neither ``../`` tricks nor a symlink pointing outside the
root can reach other files (RELIABILITY S1, S2). Each stored file's SHA-256 is kept in an extended
attribute (``user.leap.sha256``, tagged with size and mtime so a later edit makes it stale) where
the filesystem supports it, so ``stat`` can report it without reading the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiofiles
import aiofiles.os

from file_storage.atomic import (
    AtomicFile,
    is_ours,
    is_partial,
    remove_stale_in_temp_dir,
    remove_stale_partials,
    translate_os_error,
)
from file_storage.backends.base import CheckResult, ListPage, ObjectInfo, StorageBackend
from file_storage.errors import (
    ChecksumMismatchError,
    InvalidPathError,
    NotSupportedError,
    ObjectNotFoundError,
    SourceChangedError,
    StorageError,
)
from file_storage.paths import check_original_name, validate_path
from file_storage.progress import ProgressCallback, report_progress
from file_storage.quota import QuotaTracker
from file_storage.sources import UploadSource
from file_storage.units import gib_to_bytes, human_size

logger = logging.getLogger(__name__)

#: Copy chunk: large enough that thread hops cost nothing, small enough to keep memory flat.
CHUNK_SIZE = 4 * 1024 * 1024
PAGE_SIZE = 1000
SHA256_XATTR = "user.leap.sha256"
#: The name a dropped file had on the user's computer (UTF-8).
ORIGINAL_NAME_XATTR = "user.leap.original_name"
#: Where writes into the store stage their temp files: inside the store's scratch folder (never
#: synced), on the same filesystem as every target, so the final rename stays atomic.
STAGING_FOLDER = "temp/.partial"


class LocalStorageBackend(StorageBackend):
    """Stores files under ``base_path``.

    Args:
        base_path: Root folder of the store; created if missing.
        max_size_gb: Optional quota in GiB for the whole store.
    """

    name = "local"

    def __init__(self, base_path: str | Path, max_size_gb: float | None = None) -> None:
        self.base_path = Path(base_path).expanduser().absolute()
        super().__init__(
            QuotaTracker(
                gib_to_bytes(max_size_gb), self.count_usage, f"local store {self.base_path}"
            )
        )
        self._root_real: Path | None = None

    def describe(self) -> str:
        return f"local store at {self.base_path}"

    def __repr__(self) -> str:
        return f"LocalStorageBackend({str(self.base_path)!r})"

    async def _open(self) -> None:
        try:
            await aiofiles.os.makedirs(self.base_path, exist_ok=True)
        except OSError as exc:
            raise translate_os_error(exc, self.base_path, "creating the store folder") from exc
        self._root_real = Path(await asyncio.to_thread(os.path.realpath, self.base_path))
        removed = await asyncio.to_thread(self._remove_leftovers)
        if removed:
            logger.info("Removed %d leftover partial file(s) from %s", removed, self.base_path)

    @property
    def staging_dir(self) -> Path:
        """Where writes into this store keep their temp files (see :data:`STAGING_FOLDER`)."""
        return self.base_path / STAGING_FOLDER

    def _remove_leftovers(self) -> int:
        """Sweep dead writers' temp files: the staging folder by PID, and elsewhere only files
        marked as ours (a temp file of a download into the store by another component). A user
        file is never removed because of its name."""
        removed = remove_stale_in_temp_dir(self.staging_dir)
        for folder, _dirs, files in os.walk(self.base_path):
            for name in files:
                if is_partial(name):
                    real = name[1:].rsplit(".", 2)[0]
                    removed += remove_stale_partials(Path(folder) / real)
        return removed

    # ----------------------------------------------------------------- paths

    async def resolve(self, path: str, *, allow_root: bool = False) -> Path:
        """Return the absolute local path for a storage path, refusing any escape.

        Raises:
            InvalidPathError: The path is malformed or leads outside the store (also via a
                symlink).
        """
        rel = validate_path(path, allow_root=allow_root)
        await self.ensure_open()
        full = self.base_path / rel if rel else self.base_path
        self._check_inside(full, rel)
        return full

    def _check_inside(self, full: Path, shown: str) -> None:
        assert self._root_real is not None
        real = Path(os.path.realpath(full))
        if real != self._root_real and not real.is_relative_to(self._root_real):
            raise InvalidPathError(
                f"Storage path {shown!r} leads outside the local store (through a symbolic "
                "link); refusing to follow it.",
                path=shown,
            )

    def _relative(self, full: Path) -> str:
        return full.relative_to(self.base_path).as_posix()

    async def local_file(self, path: str) -> Path:
        """The file holding ``path`` (checked to exist), read in place by media jobs."""
        full = await self.resolve(path)
        rel = validate_path(path)
        if not await aiofiles.os.path.isfile(full):
            raise ObjectNotFoundError(f"File not found: {rel}", path=rel)
        return full

    # ----------------------------------------------------------------- metadata

    async def stat(self, path: str) -> ObjectInfo:
        full = await self.resolve(path)
        return await asyncio.to_thread(self._stat_sync, full, validate_path(path))

    def _stat_sync(self, full: Path, rel: str) -> ObjectInfo:
        try:
            st = os.stat(full)
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(f"File not found: {rel}", path=rel) from exc
        except NotADirectoryError as exc:
            raise ObjectNotFoundError(f"File not found: {rel}", path=rel) from exc
        except OSError as exc:
            raise translate_os_error(exc, full, "reading") from exc
        if not os.path.isfile(full):
            raise ObjectNotFoundError(f"{rel} is a folder, not a file.", path=rel)
        return ObjectInfo(
            path=rel,
            size=st.st_size,
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
            sha256=read_sha256_xattr(full, st),
            original_name=_read_name_xattr(full),
        )

    # ----------------------------------------------------------------- writes

    async def upload_source(
        self,
        path: str,
        source: UploadSource,
        *,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
    ) -> str:
        full = await self.resolve(path)
        rel = validate_path(path)
        if original_name is not None:
            check_original_name(original_name)
        size = source.size
        old_size = await asyncio.to_thread(_size_or_zero, full)
        started = time.monotonic()
        async with self.quota.reserve(max(0, size - old_size), path=rel) as reservation:
            digest = hashlib.sha256()
            try:
                async with AtomicFile(full, expected_size=size, temp_dir=self.staging_dir) as out:
                    offset = 0
                    while offset < size:
                        chunk = await source.read_at(offset, min(CHUNK_SIZE, size - offset))
                        if not chunk:
                            raise SourceChangedError(
                                f"{source.description} ended after {offset} of {size} bytes; "
                                "nothing was saved.",
                                path=rel,
                            )
                        await asyncio.to_thread(digest.update, chunk)
                        await out.write(chunk)
                        offset += len(chunk)
                        await report_progress(progress, offset)
                    await source.check_unchanged()
                    await out.run(_write_sha256_xattr, out.fd, digest.hexdigest())
                    if original_name is not None:
                        await out.run(_write_name_xattr, out.fd, original_name)
            finally:
                await asyncio.to_thread(_remove_empty_staging, self.staging_dir)
            reservation.commit(size - old_size)
        await report_progress(progress, size)
        logger.info("local put %s (%s) in %.2fs", rel, human_size(size), time.monotonic() - started)
        return str(full)

    async def create_folder(self, path: str) -> None:
        full = await self.resolve(path)
        try:
            await aiofiles.os.makedirs(full, exist_ok=True)
        except OSError as exc:
            raise translate_os_error(exc, full, "creating the folder") from exc
        self._check_inside(full, validate_path(path))

    async def delete(self, path: str) -> None:
        full = await self.resolve(path)
        try:
            size = (await aiofiles.os.stat(full)).st_size
            await aiofiles.os.remove(full)
        except FileNotFoundError:
            return
        except IsADirectoryError as exc:
            raise StorageError(f"{path} is a folder; delete the files inside it.") from exc
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                raise StorageError(f"{path} is a folder; delete the files inside it.") from exc
            raise translate_os_error(exc, full, "deleting") from exc
        self.quota.record_delta(-size)
        logger.info("local delete %s", path)

    # ----------------------------------------------------------------- reads

    async def download_file(
        self, path: str, local_path: str | Path, *, progress: ProgressCallback | None = None
    ) -> None:
        info = await self.stat(path)
        full = await self.resolve(path)
        target = Path(local_path)
        digest = hashlib.sha256()
        transferred = 0
        async with AtomicFile(target, expected_size=info.size) as out:
            async for chunk in self._read_chunks(full, CHUNK_SIZE, 0):
                await asyncio.to_thread(digest.update, chunk)
                await out.write(chunk)
                transferred += len(chunk)
                await report_progress(progress, transferred)
            if info.sha256 and digest.hexdigest() != info.sha256:
                raise ChecksumMismatchError(
                    f"{path} does not match its recorded SHA-256 (the file on disk was damaged "
                    "or edited); nothing was written.",
                    path=path,
                )
        logger.info("local get %s -> %s (%s)", path, target, human_size(transferred))

    async def iter_chunks(
        self, path: str, chunk_size: int = 1024 * 1024, *, start: int = 0
    ) -> AsyncIterator[bytes]:
        full = await self.resolve(path)
        rel = validate_path(path)
        if not await aiofiles.os.path.isfile(full):
            raise ObjectNotFoundError(f"File not found: {rel}", path=rel)
        async for chunk in self._read_chunks(full, chunk_size, start):
            yield chunk

    async def _read_chunks(self, full: Path, chunk_size: int, start: int) -> AsyncIterator[bytes]:
        try:
            async with aiofiles.open(full, "rb") as handle:
                if start:
                    await handle.seek(start)
                while chunk := await handle.read(chunk_size):
                    yield chunk
        except FileNotFoundError as exc:
            rel = self._relative(full)
            raise ObjectNotFoundError(f"File not found: {rel}", path=rel) from exc
        except OSError as exc:
            raise translate_os_error(exc, full, "reading") from exc

    async def iter_pages(
        self, prefix: str = "", *, recursive: bool = True
    ) -> AsyncIterator[ListPage]:
        folder = await self.resolve(prefix, allow_root=True)
        pages = self._walk_pages(folder, recursive)
        while True:
            page = await asyncio.to_thread(next, pages, None)
            if page is None:
                return
            yield page

    def _walk_pages(self, folder: Path, recursive: bool) -> Iterator[ListPage]:
        page = LocalListPage()
        pending = [folder]
        while pending:
            current = pending.pop()
            try:
                entries = sorted(os.scandir(current), key=lambda e: e.name)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                if exc.errno not in _TOO_DEEP:
                    raise translate_os_error(exc, current, "listing") from exc
                # One folder too deep for this system must not hide the rest of the store.
                page.skip(self._relative(current), _too_deep_reason(exc))
                continue
            subfolders: list[Path] = []
            for entry in entries:
                if is_partial(entry.name) and is_ours(entry.path):
                    continue  # a download in progress into the store: not a file yet
                rel = self._relative(Path(entry.path))
                try:
                    validate_path(rel)
                    self._check_inside(Path(entry.path), rel)
                except InvalidPathError:
                    page.unsafe_keys.append(rel)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        subfolders.append(Path(entry.path))
                    else:
                        page.folders.append(rel)
                elif entry.is_file():
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue  # deleted while we listed: it is simply not there any more
                    except OSError as exc:
                        if exc.errno not in _TOO_DEEP:
                            raise translate_os_error(exc, entry.path, "listing") from exc
                        page.skip(rel, _too_deep_reason(exc))
                        continue
                    page.files.append(
                        ObjectInfo(rel, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
                    )
                if len(page.files) + len(page.folders) >= PAGE_SIZE:
                    yield page
                    page = LocalListPage()
            pending.extend(reversed(subfolders))
        if page.files or page.folders or page.unsafe_keys:
            yield page

    # ----------------------------------------------------------------- misc

    async def check(self) -> CheckResult:
        started = time.monotonic()
        try:
            await self.ensure_open()
            writable = await asyncio.to_thread(os.access, self.base_path, os.W_OK)
            usage = await asyncio.to_thread(os.statvfs, self.base_path)
        except StorageError as exc:
            return CheckResult(False, self.name, str(exc), error=exc)
        latency = (time.monotonic() - started) * 1000
        if not writable:
            return CheckResult(
                False,
                self.name,
                f"{self.base_path} is not writable; check its permissions.",
                latency,
            )
        free = usage.f_bavail * usage.f_frsize
        return CheckResult(
            True, self.name, f"{self.base_path} is writable, {human_size(free)} free.", latency
        )

    async def _presign(self, path: str, expires_in: int, method: str) -> str:
        raise NotSupportedError(
            "Share links need an S3 backend; files on local disk have no URL to share."
        )


def _remove_empty_staging(staging: Path) -> None:
    """Leave no empty ``temp/.partial`` (nor an empty ``temp/``) behind a plain write: the
    store's listing shows only what the user stored. Folders in use are not empty and stay."""
    for folder in (staging, staging.parent):
        try:
            os.rmdir(folder)
        except OSError:
            return


def _size_or_zero(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _write_sha256_xattr(fd: int, sha256: str) -> None:
    """Record the content hash with the size and mtime it belongs to (best effort)."""
    st = os.fstat(fd)
    # A filesystem without user xattrs simply does not cache the hash.
    with contextlib.suppress(OSError):
        os.setxattr(fd, SHA256_XATTR, f"{sha256}:{st.st_size}:{st.st_mtime_ns}".encode())


def read_sha256_xattr(full: Path, st: os.stat_result) -> str | None:
    """Return the SHA-256 recorded at upload if it still belongs to this size and mtime."""
    try:
        raw = os.getxattr(full, SHA256_XATTR).decode()
    except OSError:
        return None
    sha256, _, rest = raw.partition(":")
    size, _, mtime_ns = rest.partition(":")
    if size == str(st.st_size) and mtime_ns == str(st.st_mtime_ns):
        return sha256
    return None


def _write_name_xattr(fd: int, name: str) -> None:
    """Keep the original file name with the file; a file system without xattrs just loses it."""
    with contextlib.suppress(OSError):
        os.setxattr(fd, ORIGINAL_NAME_XATTR, name.encode("utf-8"))


def _read_name_xattr(full: Path) -> str | None:
    try:
        return os.getxattr(full, ORIGINAL_NAME_XATTR).decode("utf-8", "replace") or None
    except OSError:
        return None


@dataclass(slots=True)
class LocalListPage(ListPage):
    """A page of a local listing, with the reason each skipped name was skipped.

    Attributes:
        skipped: ``(path, reason)`` of names that could not be listed (a folder deeper than the
            system's path limit, say); each is also in ``unsafe_keys`` for callers that only
            know those.
    """

    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        self.unsafe_keys.append(path)
        self.skipped.append((path, reason))


#: Errors that mean "this path is too long or deep for the OS to open", not a broken store.
_TOO_DEEP = frozenset({errno.ENAMETOOLONG, errno.ELOOP})


def _too_deep_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links; skipped"
    limit = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    return f"path longer than this system allows ({limit} bytes); skipped, move it up"
