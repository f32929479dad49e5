"""One behaviour suite for every backend: each test runs on LOCAL and on a real SeaweedFS."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from file_storage import (
    InvalidPathError,
    InvalidRequestError,
    LocalStorageBackend,
    NotSupportedError,
    ObjectNotFoundError,
    StorageBackend,
)
from tests.conftest import MiB, make_backend, sha256_of, write_random

REC = "users/user_000042/recordings/rec-1"


@pytest.fixture(params=["local", "s3", "hybrid"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBackend]:
    """This suite also runs on HYBRID (reads from both stores, writes to S3)."""
    async with make_backend(request.param, request, tmp_path) as instance:
        yield instance


@pytest.mark.parametrize(
    "size",
    [0, 1, 5 * MiB - 1, 5 * MiB + 1, 65 * MiB],
    ids=["0B", "1B", "5MiB-1", "5MiB+1", "65MiB"],
)
async def test_round_trip_is_byte_exact(backend: StorageBackend, tmp_path: Path, size: int) -> None:
    """RELIABILITY R1: sizes around the multipart threshold keep size and SHA-256."""
    source = write_random(tmp_path / "in.bin", size, seed=size)
    await backend.upload_file(f"{REC}/source.mp4", source)
    info = await backend.stat(f"{REC}/source.mp4")
    assert info.size == size
    assert info.sha256 in (sha256_of(source), None if backend.name == "local" else "never")
    target = tmp_path / "out" / "copy.bin"
    await backend.download_file(f"{REC}/source.mp4", target)
    assert target.stat().st_size == size
    assert sha256_of(target) == sha256_of(source)
    assert not [p for p in target.parent.iterdir() if p.name != "copy.bin"], "temp file left"


async def test_save_load_exists_size_delete(backend: StorageBackend) -> None:
    path = f"{REC}/transcription.json"
    assert not await backend.exists(path)
    location = await backend.save(path, b'{"text": "hello"}')
    assert location
    assert await backend.exists(path)
    assert await backend.load(path) == b'{"text": "hello"}'
    assert await backend.get_size(path) == 17
    info = await backend.stat(path)
    assert info.path == path
    assert info.sha256 == hashlib.sha256(b'{"text": "hello"}').hexdigest()
    assert info.modified.tzinfo is not None
    await backend.save(path, b"v2")
    assert await backend.load(path) == b"v2"
    await backend.delete(path)
    assert not await backend.exists(path)
    await backend.delete(path)  # idempotent: a missing path is not an error


async def test_missing_file_is_file_not_found(backend: StorageBackend, tmp_path: Path) -> None:
    for call in (
        backend.load("users/nobody.json"),
        backend.stat("users/nobody.json"),
        backend.get_size("users/nobody.json"),
        backend.download_file("users/nobody.json", tmp_path / "x"),
    ):
        with pytest.raises(FileNotFoundError) as info:
            await call
        assert isinstance(info.value, ObjectNotFoundError)
    assert not (tmp_path / "x").exists()


async def test_failed_download_keeps_previous_file(backend: StorageBackend, tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_bytes(b"old version")
    with pytest.raises(ObjectNotFoundError):
        await backend.download_file("users/absent.bin", target)
    assert target.read_bytes() == b"old version"


async def test_iter_chunks_streams_from_offset(backend: StorageBackend) -> None:
    payload = bytes(range(256)) * 40_000  # ~10 MiB
    await backend.save(f"{REC}/video.mp4", payload)
    chunks = [c async for c in backend.iter_chunks(f"{REC}/video.mp4", chunk_size=MiB)]
    assert max(len(c) for c in chunks) <= MiB
    assert b"".join(chunks) == payload
    tail = b"".join([c async for c in backend.iter_chunks(f"{REC}/video.mp4", start=1000)])
    assert tail == payload[1000:]


async def test_listing_and_folders(backend: StorageBackend) -> None:
    names = [
        "users/user_000001/recordings/a/source.mp4",
        "users/user_000001/recordings/a/thumbnail.jpg",
        "users/user_000001/recordings/b/source.mkv",
        "users/user_000002/recordings/c/audio.m4a",
        "shared/thumbnails/x.jpg",
    ]
    await asyncio.gather(*(backend.save(n, n.encode()) for n in names))
    assert sorted(await backend.list_files()) == sorted(names)
    assert sorted(await backend.list_files("users/user_000001")) == sorted(names[:3])
    assert sorted(await backend.list_files("users/user_000001/")) == sorted(names[:3])
    assert await backend.list_files("users/user_000003") == []
    top = [p async for p in backend.iter_pages("", recursive=False)]
    assert sorted(f for p in top for f in p.folders) == ["shared", "users"]
    level = [p async for p in backend.iter_pages("users/user_000001/recordings/a", recursive=False)]
    assert sorted(i.path for p in level for i in p.files) == sorted(names[:2])
    assert await backend.get_total_size() == sum(len(n) for n in names)


async def test_listing_is_paginated(backend: StorageBackend) -> None:
    names = [f"users/user_000009/recordings/r{i:04d}/transcription.json" for i in range(1205)]
    sem = asyncio.Semaphore(32)

    async def put(name: str) -> None:
        async with sem:
            await backend.save(name, b"{}")

    await asyncio.gather(*(put(n) for n in names))
    pages = [p async for p in backend.iter_pages("users/user_000009")]
    assert len(pages) >= 2
    assert sorted(i.path for p in pages for i in p.files) == names


async def test_progress_callbacks_sync_and_async(backend: StorageBackend, tmp_path: Path) -> None:
    source = write_random(tmp_path / "in.bin", 12 * MiB)
    seen: list[int] = []
    await backend.upload_file(f"{REC}/source.mp4", source, progress=seen.append)
    assert seen[-1] == 12 * MiB
    assert seen == sorted(seen)

    async_seen: list[int] = []

    async def record(n: int) -> None:
        await asyncio.sleep(0)
        async_seen.append(n)

    await backend.download_file(f"{REC}/source.mp4", tmp_path / "out.bin", progress=record)
    assert async_seen[-1] == 12 * MiB


@pytest.mark.parametrize(
    "name",
    [
        "lecture with spaces.mp4",
        "a+b=c.mp4",
        "100% done.mp4",
        "#1 intro.mp4",
        "лекция №1.mp4",
        "caf\u00e9.mp4",  # NFC
        "cafe\u0301.mp4",  # NFD: a different name, kept as is
        "emoji 🎬.mp4",
        "semi;colon&amp.mp4",
    ],
)
async def test_unusual_names_round_trip(backend: StorageBackend, name: str) -> None:
    """RELIABILITY R8: names survive byte for byte, never silently renamed."""
    path = f"users/user_000042/incoming/{name}"
    await backend.save(path, name.encode())
    assert await backend.load(path) == name.encode()
    listed = await backend.list_files("users/user_000042/incoming")
    assert listed == [path]
    assert listed[0].encode() == path.encode()


@pytest.mark.parametrize("size", [5, 6 * 1024 * 1024])  # single PUT and multipart
async def test_original_name_is_kept_as_metadata(
    backend: StorageBackend, tmp_path: Path, size: int
) -> None:
    """PRODUCT: a dropped file is stored under the layout's name; its own name is kept."""
    original = "Лекция 5 + итоги #2 (100%).mp4"
    local = tmp_path / original
    local.write_bytes(b"v" * size)
    path = "users/user_000042/recordings/lekciya-5/source.mp4"
    await backend.upload_file(path, local, original_name=original)
    assert (await backend.stat(path)).original_name == original
    await backend.save("users/user_000042/plain.txt", b"x")
    assert (await backend.stat("users/user_000042/plain.txt")).original_name is None
    for bad in ("a/b.mp4", "", "tab\there.mp4", "x" * 256):
        with pytest.raises(InvalidRequestError):
            await backend.upload_file("users/user_000042/bad.mp4", local, original_name=bad)
    assert not await backend.exists("users/user_000042/bad.mp4")


async def test_nfc_and_nfd_are_distinct_files(backend: StorageBackend) -> None:
    await backend.save("users/x/caf\u00e9.txt", b"nfc")
    await backend.save("users/x/cafe\u0301.txt", b"nfd")
    assert await backend.load("users/x/caf\u00e9.txt") == b"nfc"
    assert await backend.load("users/x/cafe\u0301.txt") == b"nfd"


async def test_long_keys_accepted_up_to_the_limit(backend: StorageBackend) -> None:
    """RELIABILITY R8: a 1024-byte key round-trips on S3; one byte more is refused up front."""
    on_s3 = backend.name in ("s3", "hybrid")  # HYBRID writes to S3, under its prefix
    prefix_len = len(backend.prefix) + 1 if on_s3 else 0  # type: ignore[attr-defined]
    folders = "users/" + "/".join(["d" * 200] * 4) + "/"
    fill = 1024 - prefix_len - len(folders)
    path = folders + "f" * fill
    await backend.save(path, b"long")
    assert await backend.load(path) == b"long"
    if on_s3:
        with pytest.raises(InvalidPathError, match="1024"):
            await backend.save(path + "x", b"too long")
    with pytest.raises(InvalidPathError, match="255 bytes"):
        await backend.save("users/" + "n" * 256, b"component too long")


BAD_PATHS = [
    "../x",
    "a/../../x",
    "/etc/x",
    "C:\\x",
    "C:x",
    "\\\\srv\\s",
    "..\\x",
    "a/\x00b",
    "",
    ".",
    "a//b",
    "a/./b",
    "a\nb",
]


@pytest.mark.parametrize("bad", BAD_PATHS)
async def test_unsafe_paths_rejected_on_every_operation(
    backend: StorageBackend, tmp_path: Path, bad: str
) -> None:
    """RELIABILITY S1: rejected with InvalidPath before any filesystem or network call."""
    source = tmp_path / "f.bin"
    source.write_bytes(b"x")
    calls = [
        backend.save(bad, b"x"),
        backend.load(bad),
        backend.delete(bad),
        backend.exists(bad),
        backend.get_size(bad),
        backend.stat(bad),
        backend.upload_file(bad, source),
        backend.download_file(bad, tmp_path / "out"),
        backend.get_presigned_url(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidPathError):
            await call
    if bad:  # the root ("") is a valid listing prefix
        with pytest.raises(InvalidPathError):
            await backend.list_files(bad)
        with pytest.raises(InvalidPathError):
            [c async for c in backend.iter_chunks(bad)]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("expires", [0, -1, 604801, 1.5, True])
async def test_presign_expiry_out_of_range_rejected(
    backend: StorageBackend, expires: object
) -> None:
    """RELIABILITY S5: only 1..604800 s is signed."""
    with pytest.raises(InvalidRequestError):
        await backend.get_presigned_url(f"{REC}/source.mp4", expires)  # type: ignore[arg-type]


async def test_presign_method_checked(backend: StorageBackend) -> None:
    with pytest.raises(InvalidRequestError):
        await backend.get_presigned_url(f"{REC}/source.mp4", 60, "DELETE")


async def test_presign_valid_range(backend: StorageBackend) -> None:
    if isinstance(backend, LocalStorageBackend):
        with pytest.raises(NotSupportedError):
            await backend.get_presigned_url(f"{REC}/source.mp4", 1)
        return
    for expires in (1, 604800):
        url = await backend.get_presigned_url(f"{REC}/source.mp4", expires)
        assert f"X-Amz-Expires={expires}" in url


async def test_check_reports_ok(backend: StorageBackend) -> None:
    result = await backend.check()
    assert result.ok, result.detail
    assert result.latency_ms is not None


async def test_describe_and_repr_name_the_store(backend: StorageBackend) -> None:
    assert backend.describe()
    assert repr(backend)


async def test_closed_backend_refuses_work(backend: StorageBackend) -> None:
    await backend.aclose()
    with pytest.raises(Exception, match="closed"):
        await backend.save("users/x.txt", b"x")


async def test_create_folder_shows_in_listing(backend: StorageBackend) -> None:
    await backend.create_folder(f"{REC}-new")
    await backend.create_folder(f"{REC}-new")  # idempotent
    pages = [p async for p in backend.iter_pages("users/user_000042/recordings", recursive=False)]
    assert f"{REC}-new" in [f for p in pages for f in p.folders]
    assert await backend.list_files("users/user_000042") == []
    with pytest.raises(InvalidPathError):
        await backend.create_folder("../outside")


async def test_stat_of_a_folder_says_so(backend: StorageBackend) -> None:
    await backend.save("users/user_000042/recordings/r1/source.mp4", b"v")
    with pytest.raises(ObjectNotFoundError, match="is a folder"):
        await backend.stat("users/user_000042/recordings/r1")
    with pytest.raises(ObjectNotFoundError):
        await backend.stat("users/user_000042/recordings/nothing-here")
