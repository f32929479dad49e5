"""Streaming transfers for the S3 backend: multipart uploads and parallel ranged downloads.

Memory is bounded by ``concurrency x part size`` on upload and ``concurrency x 1 MiB`` on
download, whatever the file size. Every ranged read carries ``If-Match`` with the ETag seen at the
start, so an object replaced mid-download fails with :class:`ObjectChangedError` instead of
producing a file mixed from two versions (RELIABILITY R5).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from file_storage.atomic import AtomicFile
from file_storage.errors import (
    ChecksumMismatchError,
    EndpointUnreachableError,
    SourceChangedError,
    StorageError,
)
from file_storage.progress import ProgressCallback, report_progress
from file_storage.sources import UploadSource

logger = logging.getLogger(__name__)

MAX_PARTS = 10_000
MiB = 1024 * 1024
READ_CHUNK = MiB


class BodyStream(Protocol):
    """The body of a GET: ``read(n)`` returns up to ``n`` bytes (``b""`` at the end)."""

    async def read(self, n: int) -> bytes:
        """Return the next bytes of the body."""

    def close(self) -> None:
        """Release the connection."""


class S3Ops(Protocol):
    """What the transfer functions need from the backend: translated, logged S3 requests."""

    async def put_part(self, upload: MultipartUpload, number: int, data: bytes | memoryview) -> str:
        """Upload part ``number``; return its ETag or raise a translated error."""

    async def open_range(self, key: str, start: int, end: int, etag: str) -> BodyStream:
        """Start a GET of bytes ``start..end-1`` if the ETag still matches."""


def choose_part_size(size: int, preferred: int) -> int:
    """Return a part size >= ``preferred`` that keeps the upload within 10,000 parts."""
    minimum = math.ceil(size / MAX_PARTS)
    if minimum <= preferred:
        return preferred
    return math.ceil(minimum / MiB) * MiB


async def run_workers(count: int, worker: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``count`` copies of ``worker``; the first failure cancels the rest and is raised."""
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class MultipartUpload:
    """One multipart upload in progress, aborted unless completed."""

    ops: S3Ops
    bucket: str
    key: str
    upload_id: str


async def upload_parts(
    ops: S3Ops,
    upload: MultipartUpload,
    source: UploadSource,
    *,
    part_size: int,
    concurrency: int,
    progress: ProgressCallback | None,
) -> list[dict[str, Any]]:
    """Upload ``source`` as parts with at most ``concurrency`` in flight; return the part list."""
    size = source.size
    count = max(1, math.ceil(size / part_size))
    numbers = iter(range(1, count + 1))
    etags: dict[int, str] = {}
    transferred = 0
    read_into = getattr(source, "read_into", None)

    async def worker() -> None:
        nonlocal transferred
        # One buffer per worker, reused for every part: memory stays at concurrency x part
        # size, and no 16 MiB bytes object is allocated and freed per part (glibc keeps freed
        # big blocks from worker threads' arenas, so RSS would creep far above that).
        buffer = bytearray(min(part_size, size)) if read_into is not None else None
        for number in numbers:
            offset = (number - 1) * part_size
            length = min(part_size, size - offset)
            data: bytes | memoryview
            if buffer is not None and read_into is not None:
                view = memoryview(buffer)[:length]
                data = view[: await read_into(offset, view)]
            else:
                data = await source.read_at(offset, length)
            if len(data) != length:
                raise SourceChangedError(
                    f"{source.description} ended after {offset + len(data)} of {size} bytes; "
                    "the upload was cancelled and nothing was stored.",
                    path=upload.key,
                )
            etags[number] = await ops.put_part(upload, number, data)
            del data
            transferred += length
            await report_progress(progress, transferred)

    await run_workers(min(concurrency, count), worker)
    return [{"ETag": etags[n], "PartNumber": n} for n in range(1, count + 1)]


class OrderedHasher:
    """Hashes a file region by region, in order, as ranged downloads complete out of order.

    The hashing reads the regions back from the temp file (page cache) in a worker thread, so it
    overlaps with the network and holds no extra memory.
    """

    def __init__(
        self, out: AtomicFile, regions: list[tuple[int, int]], algorithm: str | None
    ) -> None:
        self._out = out
        self._regions = regions
        self._digest = hashlib.new(algorithm) if algorithm else None
        self._done: set[int] = set()
        self._changed = asyncio.Event()

    def mark_done(self, index: int) -> None:
        self._done.add(index)
        self._changed.set()

    async def run(self) -> str | None:
        for index, (offset, length) in enumerate(self._regions):
            while index not in self._done:
                self._changed.clear()
                await self._changed.wait()
            if self._digest is not None:
                # Through the file's tracked threads: it is never closed under a running hash.
                await self._out.run(self._hash_region, offset, length)
        return self._digest.hexdigest() if self._digest is not None else None

    def _hash_region(self, offset: int, length: int) -> None:
        assert self._digest is not None
        end = offset + length
        while offset < end:
            chunk = os.pread(self._out.fd, min(8 * MiB, end - offset), offset)
            if not chunk:
                raise StorageError("The temp file is shorter than what was downloaded.")
            self._digest.update(chunk)
            offset += len(chunk)


async def download_ranges(
    ops: S3Ops,
    *,
    bucket: str,
    key: str,
    etag: str,
    size: int,
    out: AtomicFile,
    part_size: int,
    concurrency: int,
    expected_sha256: str | None,
    progress: ProgressCallback | None,
    max_attempts: int,
) -> None:
    """Fetch ``key`` into ``out`` with parallel ranged GETs and verify its content hash.

    Verification uses the SHA-256 stored in the object's metadata; for objects written by other
    tools without it, a single-part ETag (the MD5 of the content) is checked instead.
    """
    regions = [(offset, min(part_size, size - offset)) for offset in range(0, size, part_size)]
    algorithm = "sha256" if expected_sha256 else ("md5" if _is_plain_md5(etag) else None)
    hasher = OrderedHasher(out, regions, algorithm)
    hash_task = asyncio.create_task(hasher.run())
    indexes = iter(range(len(regions)))
    transferred = 0

    async def fetch_region(index: int) -> None:
        offset, length = regions[index]
        end = offset + length
        position = offset

        async def read_once() -> None:
            """One ranged GET from ``position``; advances it as bytes land on disk."""
            nonlocal position, transferred
            body = await ops.open_range(key, position, end, etag)
            try:
                while position < end:
                    chunk = await body.read(min(READ_CHUNK, end - position))
                    if not chunk:
                        return
                    await out.write_at(position, chunk)
                    position += len(chunk)
                    transferred += len(chunk)
                    await report_progress(progress, transferred)
            finally:
                body.close()

        for attempt in range(1, max_attempts + 1):
            try:
                await read_once()
            except StorageError:
                raise
            except Exception as exc:
                if attempt == max_attempts or not is_transient(exc):
                    raise ops_error(ops, exc, key) from exc
                logger.warning("Retrying range %d of %s after %s", index, key, type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
                continue
            if position == end:
                hasher.mark_done(index)
                return
        raise EndpointUnreachableError(
            f"The connection kept closing before s3://{bucket}/{key} was complete; check the "
            "network and try again.",
            path=key,
        )

    async def worker() -> None:
        for index in indexes:
            await fetch_region(index)

    try:
        await run_workers(max(1, min(concurrency, len(regions))), worker)
        digest = await hash_task
    finally:
        if not hash_task.done():
            hash_task.cancel()
            await asyncio.gather(hash_task, return_exceptions=True)
    verify_digest(bucket, key, algorithm, digest, expected_sha256, etag)


def verify_digest(
    bucket: str,
    key: str,
    algorithm: str | None,
    digest: str | None,
    expected_sha256: str | None,
    etag: str,
) -> None:
    """Raise :class:`ChecksumMismatchError` unless the content hash matches what was recorded."""
    if algorithm == "sha256" and digest != expected_sha256:
        raise ChecksumMismatchError(
            f"s3://{bucket}/{key} arrived with SHA-256 {digest}, but the object records "
            f"{expected_sha256}; nothing was written. Try again; if it repeats, the stored object "
            "is damaged.",
            path=key,
        )
    if algorithm == "md5" and digest != etag:
        raise ChecksumMismatchError(
            f"s3://{bucket}/{key} arrived with MD5 {digest}, but its ETag is {etag}; nothing was "
            "written. Try again.",
            path=key,
        )


def ops_error(ops: S3Ops, exc: BaseException, key: str) -> StorageError:
    translate = getattr(ops, "translate", None)
    if translate is not None:
        result: StorageError = translate(exc, "get_object", key)
        return result
    return StorageError(f"Download of {key} failed: {type(exc).__name__}")


def is_transient(exc: BaseException) -> bool:
    """Network hiccups worth another ranged GET (the bytes so far are kept)."""
    if isinstance(
        exc,
        TimeoutError
        | ConnectionError
        | OSError
        | aiohttp.ClientPayloadError
        | aiohttp.ClientConnectionError,
    ):
        return True
    name = type(exc).__name__
    return name in {"ResponseStreamingError", "AioReadTimeoutError", "ReadTimeoutError"}


def _is_plain_md5(etag: str) -> bool:
    return len(etag) == 32 and "-" not in etag and all(c in "0123456789abcdef" for c in etag)
