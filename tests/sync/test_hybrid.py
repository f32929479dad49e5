"""HYBRID: reads from wherever a file lives, writes to S3, keeps working during a migration."""

from __future__ import annotations

from pathlib import Path

from file_storage import StorageSettings, create_storage_backend
from file_storage.backends.hybrid import HybridStorageBackend
from file_storage.sync import migrate
from tests.sync.conftest import Pair

U = "users/user_000042/recordings/rec-1"


def hybrid_of(pair: Pair) -> HybridStorageBackend:
    return HybridStorageBackend(pair.local, pair.remote, pair.index)


async def test_reads_local_files_writes_to_s3(pair: Pair, tmp_path: Path) -> None:
    pair.write_local(f"{U}/source.mp4", b"old recording")
    hybrid = hybrid_of(pair)
    assert await hybrid.load(f"{U}/source.mp4") == b"old recording"
    assert await hybrid.location(f"{U}/source.mp4") == "local"
    assert await hybrid.local_file(f"{U}/source.mp4") == pair.root / U / "source.mp4"

    await hybrid.save(f"{U}/transcription.json", b"{}")
    assert await pair.remote.load(f"{U}/transcription.json") == b"{}"
    assert not (pair.root / U / "transcription.json").exists()

    await hybrid.save(f"{U}/source.mp4", b"new version")  # overwrite: S3, local copy gone
    assert not (pair.root / U / "source.mp4").exists()
    assert await hybrid.load(f"{U}/source.mp4") == b"new version"
    assert sorted(await hybrid.list_files()) == [f"{U}/source.mp4", f"{U}/transcription.json"]
    await hybrid.download_file(f"{U}/source.mp4", tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == b"new version"


async def test_listing_merges_both_stores(pair: Pair) -> None:
    pair.write_local("users/user_000001/recordings/a/source.mp4", b"a")
    pair.write_local("users/user_000002/recordings/b/source.mp4", b"b")
    await pair.remote.save("users/user_000002/recordings/b/source.mp4", b"b")
    await pair.remote.save("users/user_000003/recordings/c/source.mp4", b"c")
    hybrid = hybrid_of(pair)
    assert sorted(await hybrid.list_files()) == [
        "users/user_000001/recordings/a/source.mp4",
        "users/user_000002/recordings/b/source.mp4",
        "users/user_000003/recordings/c/source.mp4",
    ]
    top = [f async for page in hybrid.iter_pages("users", recursive=False) for f in page.folders]
    assert sorted(top) == ["users/user_000001", "users/user_000002", "users/user_000003"]


async def test_migration_moves_reads_over(pair: Pair) -> None:
    pair.write_local(f"{U}/source.mp4", b"recording")
    hybrid = hybrid_of(pair)
    assert await hybrid.location(f"{U}/source.mp4") == "local"
    report = await migrate(pair.local, pair.remote, pair.index, delete_source=True)
    assert report.ok
    assert await pair.index.get_location(hybrid.store, f"{U}/source.mp4") == "remote"
    assert await hybrid.location(f"{U}/source.mp4") == "remote"
    assert await hybrid.load(f"{U}/source.mp4") == b"recording"
    assert await hybrid.local_file(f"{U}/source.mp4") is None


def test_factory_builds_hybrid(tmp_path: Path) -> None:
    settings = StorageSettings(
        storage_type="hybrid",
        local_path=tmp_path / "store",
        s3_bucket="b",
        sync_index_path=tmp_path / "index.sqlite3",
    )
    backend = create_storage_backend(settings)
    assert isinstance(backend, HybridStorageBackend)
    assert backend.index.path == tmp_path / "index.sqlite3"
    assert "hybrid" in backend.describe()
