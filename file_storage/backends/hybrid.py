"""HYBRID backend: the design note's Option 3, for running the platform during a migration.

It records which store holds each file (the ``location`` table of the sync index), reads each
file from wherever it lives, and writes every new file to S3 (removing a stale local copy of the
same path once the S3 write succeeded). The migration assistant marks each file it has copied
and verified as living in S3, so reads move over file by file while the platform keeps running.

A file missing from the index is looked up in S3 first, then on the local disk; listings merge
both stores (S3 wins where a path exists in both).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from file_storage.backends.base import (
    CheckResult,
    DownloadResult,
    ListPage,
    ObjectInfo,
    StorageBackend,
)
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import NotSupportedError, ObjectNotFoundError
from file_storage.paths import validate_path
from file_storage.progress import ProgressCallback
from file_storage.quota import QuotaTracker
from file_storage.sources import UploadSource
from file_storage.sync.index import SyncIndex, pair_id

LOCAL = "local"
REMOTE = "remote"


class HybridStorageBackend(StorageBackend):
    """Reads from the local store or S3, writes to S3; owns (and closes) all three parts.

    Args:
        local: The local store being migrated from.
        remote: The S3 store new files go to.
        index: The sync index (the same file the migration uses).
    """

    name = "hybrid"

    def __init__(
        self, local: LocalStorageBackend, remote: S3StorageBackend, index: SyncIndex
    ) -> None:
        # Writes go to S3, whose own tracker enforces its quota.
        super().__init__(QuotaTracker(None, self.count_usage, "hybrid store"))
        self.local = local
        self.remote = remote
        self.index = index
        self.store = pair_id(local.base_path, remote.describe())

    @property
    def prefix(self) -> str:
        """The S3 key prefix new files are written under."""
        return self.remote.prefix

    def describe(self) -> str:
        return f"hybrid: {self.local.describe()} and {self.remote.describe()} (new files go to S3)"

    def __repr__(self) -> str:
        return f"HybridStorageBackend({self.local!r}, {self.remote!r})"

    async def _open(self) -> None:
        await self.index.open()
        await asyncio.gather(self.local.ensure_open(), self.remote.ensure_open())

    async def _close(self) -> None:
        try:
            await asyncio.gather(self.local.aclose(), self.remote.aclose())
        finally:
            await self.index.close()

    # ----------------------------------------------------------------- where files live

    async def _sides(self, path: str) -> tuple[StorageBackend, StorageBackend]:
        """Both stores, the one the index names for ``path`` first (S3 when unknown)."""
        rel = validate_path(path)
        await self.ensure_open()
        if await self.index.get_location(self.store, rel) == LOCAL:
            return self.local, self.remote
        return self.remote, self.local

    async def location(self, path: str) -> str | None:
        """``"local"`` or ``"remote"``: where ``path`` is stored now, or ``None``."""
        for side in await self._sides(path):
            if await side.exists(path):
                return LOCAL if side is self.local else REMOTE
        return None

    # ----------------------------------------------------------------- reads

    async def stat(self, path: str) -> ObjectInfo:
        last: ObjectNotFoundError | None = None
        for side in await self._sides(path):
            try:
                return await side.stat(path)
            except ObjectNotFoundError as exc:
                if last is None or "folder" in str(exc):
                    last = exc  # "is a folder" says more than "not found"
        raise last or ObjectNotFoundError(f"File not found: {path}", path=path)

    async def download_file(
        self, path: str, local_path: str | Path, *, progress: ProgressCallback | None = None
    ) -> DownloadResult | None:
        for side in await self._sides(path):
            try:
                return await side.download_file(path, local_path, progress=progress)
            except ObjectNotFoundError:
                continue
        raise ObjectNotFoundError(f"File not found: {path}", path=path)

    async def iter_chunks(
        self, path: str, chunk_size: int = 1024 * 1024, *, start: int = 0
    ) -> AsyncIterator[bytes]:
        for side in await self._sides(path):
            chunks = side.iter_chunks(path, chunk_size, start=start)
            try:
                first = await anext(chunks)
            except ObjectNotFoundError:
                continue
            except StopAsyncIteration:
                return
            yield first
            async for chunk in chunks:
                yield chunk
            return
        raise ObjectNotFoundError(f"File not found: {path}", path=path)

    async def local_file(self, path: str) -> Path | None:
        first, _ = await self._sides(path)
        if first is self.local or not await self.remote.exists(path):
            return await self.local.local_file(path)
        return None

    async def iter_pages(
        self, prefix: str = "", *, recursive: bool = True
    ) -> AsyncIterator[ListPage]:
        validate_path(prefix, allow_root=True)
        await self.ensure_open()
        seen_files: set[str] = set()
        seen_folders: set[str] = set()
        async for page in self.remote.iter_pages(prefix, recursive=recursive):
            seen_files.update(info.path for info in page.files)
            seen_folders.update(page.folders)
            yield page
        async for page in self.local.iter_pages(prefix, recursive=recursive):
            yield ListPage(
                [info for info in page.files if info.path not in seen_files],
                [folder for folder in page.folders if folder not in seen_folders],
                page.unsafe_keys,
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
        return await self.upload_source_conditional(
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
        """Writes go to the remote side, with the conditions checked there."""
        rel = validate_path(path)
        await self.ensure_open()
        key = await self.remote.upload_source_conditional(
            rel,
            source,
            if_none_match=if_none_match,
            if_match=if_match,
            progress=progress,
            original_name=original_name,
        )
        await self.index.set_locations(self.store, [(rel, REMOTE)])
        await self.local.delete(rel)  # the local copy, if any, is now an older version
        return key

    async def create_folder(self, path: str) -> None:
        await self.remote.create_folder(path)

    async def delete(self, path: str) -> None:
        rel = validate_path(path)
        await self.ensure_open()
        await asyncio.gather(self.remote.delete(rel), self.local.delete(rel))
        await self.index.forget_location(self.store, rel)

    # ----------------------------------------------------------------- misc

    async def check(self) -> CheckResult:
        local, remote = await asyncio.gather(self.local.check(), self.remote.check())
        bad = next((result for result in (local, remote) if not result.ok), None)
        if bad is not None:
            return CheckResult(False, self.name, bad.detail, bad.latency_ms, bad.error)
        latency = max(local.latency_ms or 0.0, remote.latency_ms or 0.0)
        return CheckResult(True, self.name, f"{local.detail} {remote.detail}", latency)

    async def _presign(self, path: str, expires_in: int, method: str) -> str:
        first, _ = await self._sides(path)
        if first is self.local and method == "GET" and not await self.remote.exists(path):
            raise NotSupportedError(
                f"{path} is still on local disk (not migrated yet), so it has no link to share."
            )
        return await self.remote.get_presigned_url(path, expires_in, method)
