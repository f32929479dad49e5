"""RELIABILITY R2, R3, R5, R6, F1, F2, F5, F7 and cancellation, on LOCAL and a real SeaweedFS.

Every failure scenario checks the same three things afterwards: the error is a clear one, nothing
was committed (no object at the key, no file under the final name), and nothing was left behind
(no temp file, no open multipart upload, no quota reservation).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import random
import socket
import struct
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aioboto3
import pytest

from file_storage import (
    DiskFullError,
    EndpointUnreachableError,
    LocalStorageBackend,
    ObjectChangedError,
    QuotaUnknownError,
    S3StorageBackend,
    S3Tuning,
    SourceChangedError,
    StorageBackend,
    StorageError,
    StorageQuotaExceededError,
)
from file_storage.sandbox import SeaweedSandbox, free_port
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random

pytest_plugins = ["tests.disk_fixtures"]

REC = "users/user_000042/recordings/rec-1"
SMALL_TUNING = S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB)


# --------------------------------------------------------------------------- helpers


class MemorySource:
    """An ``UploadSource`` over bytes that can fail halfway, come up short, or go slowly.

    Args:
        content: The bytes actually available.
        declared_size: The size the source claims (defaults to ``len(content)``).
        fail_at: ``read_at`` raises ``OSError`` for any read that reaches past this offset.
        delay: Seconds each ``read_at`` sleeps first (a slow disk or network share).
    """

    def __init__(
        self,
        content: bytes,
        *,
        declared_size: int | None = None,
        fail_at: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.content = content
        self._size = len(content) if declared_size is None else declared_size
        self.fail_at = fail_at
        self.delay = delay
        self.description = "test source"
        self.reads: list[tuple[int, int]] = []

    @property
    def size(self) -> int:
        return self._size

    async def read_at(self, offset: int, length: int) -> bytes:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.reads.append((offset, length))
        if self.fail_at is not None and offset + length > self.fail_at:
            raise OSError(errno.EIO, "simulated read error halfway through the source")
        return self.content[offset : offset + length]

    async def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    async def check_unchanged(self) -> None:
        return None


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def partials_under(folder: Path) -> list[Path]:
    """Temp files (``.NAME.<pid>-<hex>.leap-partial``) anywhere below ``folder``."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".leap-partial"))


@contextlib.asynccontextmanager
async def raw_client(server: SeaweedSandbox) -> AsyncIterator[Any]:
    session = aioboto3.Session(
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )
    async with session.client("s3", endpoint_url=server.endpoint_url) as client:
        yield client


async def open_uploads(client: Any, prefix: str, bucket: str = TEST_BUCKET) -> list[dict[str, Any]]:
    """Multipart uploads still open under ``prefix``, as the server sees them."""
    response = await client.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/")
    return list(response.get("Uploads", []))


async def assert_nothing_committed(
    backend: StorageBackend, path: str, server: SeaweedSandbox | None
) -> None:
    """No file at ``path``, no temp file, no open multipart upload, no quota held."""
    assert not await backend.exists(path), f"{path} was committed"
    assert path not in await backend.list_files()
    assert backend.quota.reserved_bytes == 0
    if isinstance(backend, LocalStorageBackend):
        assert partials_under(backend.base_path) == [], "temp file left in the store"
    if isinstance(backend, S3StorageBackend):
        assert server is not None
        async with raw_client(server) as client:
            assert await open_uploads(client, backend.prefix) == [], "multipart upload left open"
            with pytest.raises(Exception, match=r"404|Not Found|NoSuchKey"):
                await client.head_object(Bucket=TEST_BUCKET, Key=backend.key_for(path))


# --------------------------------------------------------------------------- R2


@pytest.mark.parametrize(
    ("size", "fail_at"),
    [(12 * MiB, 6 * MiB), (3 * MiB, 3 * MiB // 2)],
    ids=["multipart", "single-part"],
)
async def test_source_failing_halfway_commits_nothing(
    backend: StorageBackend, s3_server: SeaweedSandbox, size: int, fail_at: int
) -> None:
    """R2: the source raises halfway: a clear error, no object, no open multipart upload."""
    source = MemorySource(payload(size), fail_at=fail_at)
    path = f"{REC}/source.mp4"
    with pytest.raises((StorageError, OSError)) as info:
        await backend.upload_source(path, source)
    assert "simulated read error" in str(info.value) or isinstance(info.value, StorageError)
    assert any(offset < fail_at for offset, _ in source.reads), "the source was never read"
    await assert_nothing_committed(backend, path, s3_server)


async def test_source_failing_halfway_keeps_previous_version(
    backend: StorageBackend, s3_server: SeaweedSandbox
) -> None:
    """R2: a failed overwrite leaves the old object as it was."""
    path = f"{REC}/source.mp4"
    await backend.save(path, b"old version")
    with pytest.raises((StorageError, OSError)):
        await backend.upload_source(path, MemorySource(payload(12 * MiB), fail_at=6 * MiB))
    assert await backend.load(path) == b"old version"
    assert backend.quota.reserved_bytes == 0
    if isinstance(backend, LocalStorageBackend):
        assert partials_under(backend.base_path) == []
    if isinstance(backend, S3StorageBackend):
        async with raw_client(s3_server) as client:
            assert await open_uploads(client, backend.prefix) == []


# --------------------------------------------------------------------------- R3


@pytest.mark.parametrize(
    ("declared", "actual"),
    [(12 * MiB, 8 * MiB + 12345), (12 * MiB, 0), (3 * MiB, 2 * MiB)],
    ids=["multipart", "empty", "single-part"],
)
async def test_source_shorter_than_declared_is_refused(
    backend: StorageBackend, s3_server: SeaweedSandbox, declared: int, actual: int
) -> None:
    """R3: a source that ends early fails with SourceChangedError; no short object is stored."""
    path = f"{REC}/source.mp4"
    with pytest.raises(SourceChangedError):
        await backend.upload_source(path, MemorySource(payload(actual), declared_size=declared))
    await assert_nothing_committed(backend, path, s3_server)


# --------------------------------------------------------------------------- R6


def _modify(path: Path, mode: str) -> None:
    """Change ``path`` the way an editor or a recorder still writing it would."""
    if mode == "append":
        with open(path, "ab") as handle:
            handle.write(b"more frames" * 1000)
    elif mode == "rewrite":
        with open(path, "r+b") as handle:
            handle.seek(MiB)
            handle.write(b"\xff" * MiB)
    elif mode == "rewrite-keep-mtime":
        st = os.stat(path)
        with open(path, "r+b") as handle:  # a region already read and one not yet read
            handle.write(b"\xee" * MiB)
            handle.seek(7 * MiB)
            handle.write(b"\xee" * MiB)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -r` / rsync -t would
    elif mode == "replace":
        fresh = path.with_name(path.name + ".new")
        write_random(fresh, path.stat().st_size, seed=99)
        os.replace(fresh, path)
    else:  # pragma: no cover
        raise AssertionError(mode)


@pytest.mark.parametrize("mode", ["append", "rewrite", "replace", "rewrite-keep-mtime"])
async def test_local_file_changed_during_upload_is_detected(
    backend: StorageBackend, s3_server: SeaweedSandbox, tmp_path: Path, mode: str
) -> None:
    """R6: the file changes after the first part: SourceChangedError, nothing committed."""
    source = write_random(tmp_path / "recording.mp4", 12 * MiB, seed=6)
    time.sleep(0.02)  # the change must not land in the same timestamp tick as the creation
    changed: list[int] = []

    def on_progress(done: int) -> None:
        if not changed and done < 12 * MiB:
            changed.append(done)
            _modify(source, mode)

    original = source.read_bytes()
    path = f"{REC}/source.mp4"
    if mode != "rewrite-keep-mtime":
        with pytest.raises(SourceChangedError):
            await backend.upload_file(path, source, progress=on_progress)
        assert changed, "the progress callback never ran before the end of the upload"
        await assert_nothing_committed(backend, path, s3_server)
        return
    # Size and mtime are back to what they were: a stat check alone cannot see this change.
    # Either it is detected anyway, or what was committed is one consistent version (all read
    # before the change), never a mix of the two.
    try:
        await backend.upload_file(path, source, progress=on_progress)
    except SourceChangedError:
        await assert_nothing_committed(backend, path, s3_server)
    else:
        stored = await backend.load(path)
        versions = {_digest(original): "original", _digest(source.read_bytes()): "modified"}
        assert _digest(stored) in versions, "a file mixed from two versions was committed silently"
        info = await backend.stat(path)
        assert info.sha256 in (None, hashlib.sha256(stored).hexdigest())
    assert changed


# --------------------------------------------------------------------------- R5


@pytest.mark.parametrize(
    ("size", "concurrency"), [(12 * MiB, 1), (30 * MiB, 3)], ids=["sequential", "parallel"]
)
@pytest.mark.parametrize("old_target", [False, True], ids=["no-target", "old-target"])
async def test_object_replaced_during_download_is_detected(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path, size: int, concurrency: int, old_target: bool
) -> None:
    """R5: the object is overwritten mid-download: ObjectChangedError, never a mixed file."""
    backend = make_s3(
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=concurrency)
    )
    path = f"{REC}/video.mp4"
    await backend.upload_source(path, MemorySource(payload(size, seed=1)))
    target = tmp_path / "out" / "video.mp4"
    target.parent.mkdir()
    if old_target:
        target.write_bytes(b"previous download")
    replaced: list[int] = []
    replacement_done = asyncio.Event()

    async def on_progress(done: int) -> None:
        # The first chunk triggers the overwrite; every range worker waits here until the new
        # version is committed, so the ranges not yet started are fetched after the change.
        if not replaced:
            replaced.append(done)
            await raw_s3.put_object(
                Bucket=TEST_BUCKET, Key=backend.key_for(path), Body=payload(size, seed=2)
            )
            replacement_done.set()
        await replacement_done.wait()

    with pytest.raises(ObjectChangedError):
        await backend.download_file(path, target, progress=on_progress)
    assert replaced
    if old_target:
        assert target.read_bytes() == b"previous download"
    else:
        assert not target.exists()
    assert partials_under(target.parent) == []


# --------------------------------------------------------------------------- cancellation


@pytest.mark.parametrize("how", ["from-progress", "after-delay"])
async def test_cancelled_multipart_upload_is_aborted(
    make_s3: MakeS3, raw_s3: Any, how: str
) -> None:
    """F10: cancelling an upload mid-multipart aborts it; no object, no quota held."""
    backend = make_s3(
        max_size_gb=1,
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=2),
    )
    path = f"{REC}/source.mp4"
    source = MemorySource(payload(20 * MiB), delay=0.5)
    task: asyncio.Task[str] | None = None
    progressed: list[int] = []
    # Count usage first: cancelled before its first count (a slow machine), usage would stay
    # "unknown" (None) and say nothing about what the cancel left behind.
    assert await backend.quota.usage() == 0

    def on_progress(done: int) -> None:
        progressed.append(done)
        if how == "from-progress" and task is not None:
            task.cancel()

    task = asyncio.create_task(backend.upload_source(path, source, progress=on_progress))
    if how == "after-delay":
        await asyncio.sleep(0.7)  # parts 1-2 read and sent, parts 3-4 still being read
        assert not task.done()
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(source.reads) < 4, "the whole source was read before the cancel"
    assert await open_uploads(raw_s3, backend.prefix) == []
    assert backend.stats.orphaned_uploads == []
    assert not await backend.exists(path)
    assert backend.quota.reserved_bytes == 0
    assert backend.quota.used_bytes == 0


async def test_cancelled_local_upload_leaves_nothing(tmp_path: Path) -> None:
    """F10: a cancelled local upload leaves no file, no temp file and no reservation."""
    backend = LocalStorageBackend(tmp_path / "store", max_size_gb=1)
    async with backend:
        task = asyncio.create_task(
            backend.upload_source(f"{REC}/a.mp4", MemorySource(payload(20 * MiB), delay=0.2))
        )
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not await backend.exists(f"{REC}/a.mp4")
        assert partials_under(backend.base_path) == []
        assert backend.quota.reserved_bytes == 0


async def test_cancelled_download_leaves_target_untouched(
    backend: StorageBackend, tmp_path: Path
) -> None:
    """F10: a cancelled download removes its temp file and keeps the previous file."""
    path = f"{REC}/video.mp4"
    await backend.upload_source(path, MemorySource(payload(20 * MiB)))
    target = tmp_path / "out" / "video.mp4"
    target.parent.mkdir()
    target.write_bytes(b"previous download")
    started = asyncio.Event()

    async def on_progress(done: int) -> None:
        started.set()
        await asyncio.sleep(30)  # hold the transfer mid-way until the cancel lands

    task = asyncio.create_task(backend.download_file(path, target, progress=on_progress))
    await asyncio.wait_for(started.wait(), 10)
    assert [p.name for p in partials_under(target.parent)], "no temp file while downloading"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert target.read_bytes() == b"previous download"
    assert sorted(p.name for p in target.parent.iterdir()) == ["video.mp4"]


# --------------------------------------------------------------------------- F7 quota

QUOTA = 16 * MiB
QUOTA_GB = QUOTA / 1024**3
REMAINING = 20 * MiB * 2 // 3  # 20 uploads of 1 MiB are 1.5x what is left
PREFILL = QUOTA - REMAINING


class QuotaStore:
    """One store (a local folder or an S3 prefix) that several backends can be opened on."""

    def __init__(self, kind: str, tmp_path: Path, server: SeaweedSandbox | None) -> None:
        self.kind = kind
        self.root = tmp_path / "store"
        self.prefix = f"t-{uuid.uuid4().hex[:12]}"
        self.server = server
        self.opened: list[StorageBackend] = []

    def open(self, max_size_gb: float | None = None) -> StorageBackend:
        backend: StorageBackend
        if self.kind == "local":
            backend = LocalStorageBackend(self.root, max_size_gb=max_size_gb)
        else:
            assert self.server is not None
            backend = S3StorageBackend(
                TEST_BUCKET,
                prefix=self.prefix,
                access_key_id=self.server.access_key,
                secret_access_key=self.server.secret_key,
                endpoint_url=self.server.endpoint_url,
                max_size_gb=max_size_gb,
                tuning=SMALL_TUNING,
            )
        self.opened.append(backend)
        return backend

    async def put_behind_the_back(self, path: str, content: bytes) -> None:
        """Write a file the way another program would (not through a backend)."""
        if self.kind == "local":
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            return
        assert self.server is not None
        async with raw_client(self.server) as client:
            await client.put_object(Bucket=TEST_BUCKET, Key=f"{self.prefix}/{path}", Body=content)


@pytest.fixture(params=["local", "s3"])
async def quota_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[QuotaStore]:
    server = request.getfixturevalue("s3_server") if request.param == "s3" else None
    store = QuotaStore(request.param, tmp_path, server)
    yield store
    for backend in store.opened:
        await backend.aclose()


async def test_concurrent_uploads_never_exceed_quota(quota_store: QuotaStore) -> None:
    """F7: 20 concurrent 1 MiB saves against 13.3 MiB of room: exactly what fits is committed."""
    await quota_store.put_behind_the_back("shared/prefill.bin", payload(PREFILL))
    backend = quota_store.open(max_size_gb=QUOTA_GB)
    paths = [f"users/user_000001/recordings/r{i:02d}/thumbnail.jpg" for i in range(20)]
    results = await asyncio.gather(
        *(backend.save(p, payload(MiB, seed=i)) for i, p in enumerate(paths)),
        return_exceptions=True,
    )
    ok = [p for p, r in zip(paths, results, strict=True) if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, StorageQuotaExceededError) for r in failed), failed
    assert len(ok) == REMAINING // MiB == 13
    assert backend.quota.reserved_bytes == 0
    assert backend.quota.used_bytes == PREFILL + len(ok) * MiB

    view = quota_store.open()  # counts usage from scratch
    total = await view.get_total_size()
    assert total <= QUOTA
    assert total == PREFILL + len(ok) * MiB
    assert sorted(await view.list_files("users")) == sorted(ok)

    # Failures release what they reserved: after three failed uploads the last free bytes can
    # still be used, exactly, and not one byte more.
    room = QUOTA - (backend.quota.used_bytes or 0)
    for i in range(3):
        with pytest.raises(OSError, match="simulated read error"):
            await backend.upload_source(
                f"users/fail{i}.bin", MemorySource(payload(room), fail_at=1)
            )
    assert backend.quota.reserved_bytes == 0
    await backend.save("users/last.bin", payload(room))
    with pytest.raises(StorageQuotaExceededError):
        await backend.save("users/one-byte-too-many.bin", b"x")
    assert backend.quota.reserved_bytes == 0
    assert await view.get_total_size() == QUOTA


async def test_overwrite_under_full_quota_counts_only_growth(quota_store: QuotaStore) -> None:
    """F7: replacing a file by one of the same size needs no free quota; growing it does."""
    backend = quota_store.open(max_size_gb=QUOTA_GB)
    await backend.save("users/a.bin", payload(QUOTA - MiB))
    await backend.save("users/b.bin", payload(MiB))
    await backend.save("users/b.bin", payload(MiB, seed=5))  # same size: allowed
    with pytest.raises(StorageQuotaExceededError):
        await backend.save("users/b.bin", payload(MiB + 1))
    assert await backend.load("users/b.bin") == payload(MiB, seed=5)
    assert backend.quota.used_bytes == QUOTA
    assert backend.quota.reserved_bytes == 0


async def test_usage_is_counted_once_not_listed_per_save(
    make_s3: MakeS3, caplog: pytest.LogCaptureFixture
) -> None:
    """F7: with a quota, a save costs a HEAD and a PUT; the bucket is listed once, at first use."""
    caplog.set_level("INFO", logger="file_storage.backends.s3.listing")
    backend = make_s3(max_size_gb=1)
    await backend.save("users/first.json", b"{}")
    first = before = backend.stats.requests
    for i in range(50):
        await backend.save(f"users/user_000001/recordings/r{i}/transcription.json", b"{}" * i)
    grown = backend.stats.requests - before
    assert grown <= 2 * 50, f"{grown} requests for 50 saves: something lists per save"
    assert grown >= 50
    listings = [r for r in caplog.records if r.getMessage().startswith("s3 list")]
    assert len(listings) == 1, [r.getMessage() for r in listings]
    assert first <= 3
    assert backend.quota.used_bytes == 2 + sum(2 * i for i in range(50))


async def test_quota_fails_closed_when_bucket_cannot_be_listed(s3_server: SeaweedSandbox) -> None:
    """F7: usage cannot be counted (no such bucket): the write is refused, not allowed blindly."""
    backend = S3StorageBackend(
        f"leap-missing-{uuid.uuid4().hex[:8]}",
        prefix="p",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=s3_server.endpoint_url,
        max_size_gb=1,
        tuning=SMALL_TUNING,
    )
    async with backend:
        with pytest.raises(QuotaUnknownError):
            await backend.save("users/x.json", b"{}")
        assert backend.quota.reserved_bytes == 0


async def test_quota_fails_closed_when_endpoint_unreachable(make_s3: MakeS3) -> None:
    """F7: nothing answers: the save is refused with a quota-unknown or unreachable error."""
    backend = make_s3(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        max_size_gb=1,
        tuning=S3Tuning(max_attempts=1, connect_timeout=1, read_timeout=2),
    )
    started = time.monotonic()
    with pytest.raises((QuotaUnknownError, EndpointUnreachableError)):
        await backend.save("users/x.json", b"{}")
    assert time.monotonic() - started < 10
    assert backend.quota.reserved_bytes == 0
    assert backend.quota.used_bytes is None


# --------------------------------------------------------------------------- F5 disk full


def _says_disk_full(error: BaseException) -> bool:
    text = str(error).lower()
    return "disk full" in text or "not enough space" in text


async def test_download_larger_than_free_space_fails_up_front(
    backend: StorageBackend, tiny_disk: Callable[[str], Path]
) -> None:
    """F5: 10 MiB into a 4 MiB disk: DiskFullError before any byte is fetched, nothing left."""
    path = f"{REC}/video.mp4"
    await backend.upload_source(path, MemorySource(payload(10 * MiB)))
    disk = tiny_disk("4m")
    target = disk / "video.mp4"
    target.write_bytes(b"previous download")
    progressed: list[int] = []
    with pytest.raises(DiskFullError) as info:
        await backend.download_file(path, target, progress=progressed.append)
    assert _says_disk_full(info.value), str(info.value)
    assert progressed == [], "bytes were fetched although the space was known to be missing"
    if isinstance(backend, S3StorageBackend):
        assert backend.stats.bytes_downloaded == 0
    assert target.read_bytes() == b"previous download"
    assert sorted(p.name for p in disk.iterdir()) == ["video.mp4"]


async def test_download_into_full_folder_on_new_subfolder(
    backend: StorageBackend, tiny_disk: Callable[[str], Path]
) -> None:
    """F5: target absent and its folder missing: still DiskFullError, no partial, no file."""
    path = f"{REC}/video.mp4"
    await backend.upload_source(path, MemorySource(payload(10 * MiB)))
    disk = tiny_disk("4m")
    target = disk / "sub" / "video.mp4"
    with pytest.raises(DiskFullError) as info:
        await backend.download_file(path, target)
    assert _says_disk_full(info.value), str(info.value)
    assert not target.exists()
    assert partials_under(disk) == []


async def test_downloads_competing_for_the_last_space(
    backend: StorageBackend, tiny_disk: Callable[[str], Path]
) -> None:
    """F5: two 10 MiB downloads into 16 MiB: one fits; the other fails "disk full", cleanly."""
    sources = {f"{REC}/v{i}.mp4": payload(10 * MiB, seed=i) for i in range(2)}
    for path, content in sources.items():
        await backend.upload_source(path, MemorySource(content))
    disk = tiny_disk("16m")
    targets = {path: disk / path.rsplit("/", 1)[1] for path in sources}
    results = await asyncio.gather(
        *(backend.download_file(p, t) for p, t in targets.items()), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures, "both 10 MiB files fitted on a 16 MiB disk?"
    assert all(isinstance(f, DiskFullError) and _says_disk_full(f) for f in failures), failures
    assert partials_under(disk) == []
    for (path, target), result in zip(targets.items(), results, strict=True):
        if isinstance(result, BaseException):
            assert not target.exists()
        else:
            assert (
                hashlib.sha256(target.read_bytes()).hexdigest()
                == hashlib.sha256(sources[path]).hexdigest()
            )


async def test_space_taken_during_download_does_not_leave_a_partial(
    backend: StorageBackend, tiny_disk: Callable[[str], Path]
) -> None:
    """F5: another program fills the disk mid-download: success (space was reserved up front)
    or a disk-full error, never a partial file."""
    content = payload(10 * MiB)
    path = f"{REC}/video.mp4"
    await backend.upload_source(path, MemorySource(content))
    disk = tiny_disk("14m")
    target = disk / "video.mp4"
    filled: list[int] = []

    def fill_disk(done: int) -> None:
        if filled:
            return
        stats = os.statvfs(disk)
        free = stats.f_bavail * stats.f_frsize
        fd = os.open(disk / "filler.bin", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, free)  # another program takes every free byte
        finally:
            os.close(fd)
        after = os.statvfs(disk)
        assert after.f_bavail == 0
        filled.append(done)

    error: DiskFullError | None = None
    try:
        await backend.download_file(path, target, progress=fill_disk)
    except DiskFullError as exc:
        error = exc
    if error is None:
        assert target.read_bytes() == content
    else:
        assert _says_disk_full(error)
        assert not target.exists()
    assert filled
    assert partials_under(disk) == []


# --------------------------------------------------------------------------- F2


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[dict[str, SeaweedSandbox]]:
    """A SeaweedFS of this test's own, which the test may kill and restart (same ports, data)."""
    holder = {"server": SeaweedSandbox(tmp_path / "seaweed").start()}
    try:
        yield holder
    finally:
        holder["server"].kill()  # a throw-away server: no need for a graceful stop


async def test_server_killed_mid_multipart_then_restarted(
    own_server: dict[str, SeaweedSandbox],
) -> None:
    """F2: the server dies after the first part: "endpoint unreachable" (or success after
    retries); after a restart the orphaned multipart upload is aborted and no object exists."""
    server = own_server["server"]
    bucket = "leap-f2"
    server.create_bucket(bucket)
    backend = S3StorageBackend(
        bucket,
        prefix="f2",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
        tuning=S3Tuning(
            part_size=5 * MiB,
            multipart_threshold=5 * MiB,
            max_concurrency=1,
            max_attempts=2,
            connect_timeout=1,
            read_timeout=5,
        ),
    )
    content = payload(15 * MiB)
    path = f"{REC}/source.mp4"
    first_part = asyncio.Event()
    try:
        task = asyncio.create_task(
            backend.upload_source(
                path, MemorySource(content, delay=0.5), progress=lambda _n: first_part.set()
            )
        )
        await asyncio.wait_for(first_part.wait(), 20)
        server.kill()
        started = time.monotonic()
        error: EndpointUnreachableError | None = None
        try:
            await task
        except EndpointUnreachableError as exc:
            error = exc
        succeeded = error is None
        if error is not None:
            assert time.monotonic() - started < 30
            assert "reach" in str(error)
            assert backend.stats.orphaned_uploads, "the failed upload was not remembered"

        restarted = SeaweedSandbox(
            server.data_dir,
            access_key=server.access_key,
            secret_key=server.secret_key,
            ports=dict(server.ports),
        ).start()
        own_server["server"] = restarted
        await backend.abort_orphaned_uploads()
        assert backend.stats.orphaned_uploads == []
        async with raw_client(restarted) as client:
            assert await open_uploads(client, backend.prefix, bucket) == []
        if succeeded:
            target_digest = hashlib.sha256(await backend.load(path)).hexdigest()
            assert target_digest == hashlib.sha256(content).hexdigest()
        else:
            assert not await backend.exists(path)
    finally:
        await backend.aclose()


# --------------------------------------------------------------------------- F1 (optional)


class ResettingProxy:
    """A TCP proxy in front of the S3 server that resets one connection once it has carried
    ``reset_after`` bytes in the chosen direction (a flaky NAT or Wi-Fi hand-over)."""

    def __init__(self, upstream_port: int, reset_after: int, direction: str) -> None:
        self.upstream_port = upstream_port
        self.reset_after = reset_after
        self.direction = direction  # "up" (client to server) or "down"
        self.resets = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        carried = 0

        def reset() -> None:
            self.resets += 1
            for w in (writer, up_writer):
                sock = w.get_extra_info("socket")
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                w.transport.abort()

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, name: str) -> None:
            nonlocal carried
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    if name == self.direction and self.resets == 0:
                        carried += len(data)
                        if carried > self.reset_after:
                            reset()
                            return
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer, "up"), pump(up_reader, writer, "down"))
        self._writers.difference_update((writer, up_writer))


@pytest.mark.parametrize("direction", ["up", "down"])
async def test_connection_reset_mid_transfer_is_retried(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path, direction: str
) -> None:
    """F1: one connection is reset mid-part (upload) or mid-range (download): bounded retry,
    bytes identical."""
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    proxy = ResettingProxy(upstream, reset_after=2 * MiB, direction=direction)
    port = await proxy.start()
    try:
        backend = make_s3(endpoint_url=f"http://127.0.0.1:{port}", tuning=SMALL_TUNING)
        source = write_random(tmp_path / "in.bin", 12 * MiB, seed=11)
        path = f"{REC}/source.mp4"
        await backend.upload_file(path, source)
        target = tmp_path / "out.bin"
        await backend.download_file(path, target)
        assert proxy.resets == 1
        assert sha256_of(target) == sha256_of(source)
        assert partials_under(tmp_path) == []
    finally:
        await proxy.close()
