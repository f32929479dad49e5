"""Compare: every classification, content identity, the hash cache, history, foreign objects."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import FileState, SyncExecutor, SyncMode, build_plan, compare
from file_storage.sync.hashing import candidate_part_sizes, hash_file, multipart_etag
from file_storage.sync.index import default_data_dir
from tests.conftest import TEST_BUCKET, MiB
from tests.sync.conftest import Pair

U = "users/user_000042/recordings/rec-1"


async def test_every_state_without_history(pair: Pair) -> None:
    pair.write_local(f"{U}/only-local.json", b"L")
    await pair.remote.save(f"{U}/only-remote.json", b"R")
    pair.write_local(f"{U}/same.json", b"same content")
    await pair.remote.save(f"{U}/same.json", b"same content")
    # Same size, same mtime-ish, different bytes: size and mtime alone would be fooled.
    pair.write_local(f"{U}/different.json", b"aaaa")
    await pair.remote.save(f"{U}/different.json", b"bbbb")
    pair.write_local(f"{U}/sizes.json", b"short")
    await pair.remote.save(f"{U}/sizes.json", b"much longer")
    pair.write_local("temp/scratch.bin", b"never compared")

    result = await compare(pair.local, pair.remote, pair.index)

    states = {e.path.rsplit("/", 1)[-1]: e.state for e in result.entries}
    assert states == {
        "only-local.json": FileState.ONLY_LOCAL,
        "only-remote.json": FileState.ONLY_REMOTE,
        "same.json": FileState.IDENTICAL,
        "different.json": FileState.DIFFERENT,
        "sizes.json": FileState.DIFFERENT,
    }
    assert result.stats.head_requests == 0
    assert not result.skipped


async def test_states_with_history(pair: Pair) -> None:
    names = ["keep", "edit-here", "edit-there", "edit-both", "gone-here", "gone-there", "new"]
    for name in names[:-1]:
        pair.write_local(f"{U}/{name}.txt", f"v1 {name}".encode(), age=60)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)

    await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)

    pair.write_local(f"{U}/edit-here.txt", b"v2 local")
    await pair.remote.save(f"{U}/edit-there.txt", b"v2 remote")
    pair.write_local(f"{U}/edit-both.txt", b"v2 local both")
    await pair.remote.save(f"{U}/edit-both.txt", b"v2 remote both")
    (pair.root / f"{U}/gone-here.txt").unlink()
    await pair.remote.delete(f"{U}/gone-there.txt")
    pair.write_local(f"{U}/new.txt", b"new")

    result = await compare(pair.local, pair.remote, pair.index)
    states = {e.path.rsplit("/", 1)[-1]: e.state for e in result.entries}
    assert states == {
        "keep.txt": FileState.IDENTICAL,
        "edit-here.txt": FileState.CHANGED_LOCAL,
        "edit-there.txt": FileState.CHANGED_REMOTE,
        "edit-both.txt": FileState.CONFLICT,
        "gone-here.txt": FileState.DELETED_LOCAL,
        "gone-there.txt": FileState.DELETED_REMOTE,
        "new.txt": FileState.ONLY_LOCAL,
    }


async def test_touch_without_edit_is_not_a_change(pair: Pair) -> None:
    full = pair.write_local(f"{U}/a.txt", b"content", age=60)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)

    await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    os.utime(full)  # new mtime, same bytes
    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.IDENTICAL


async def test_second_compare_reads_no_content(pair: Pair) -> None:
    for i in range(40):
        pair.write_local(f"users/user_000001/recordings/r{i}/transcription.json", b"x%d" % i)
        await pair.put_foreign(f"users/user_000001/recordings/r{i}/transcription.json", b"x%d" % i)

    first = await compare(pair.local, pair.remote, pair.index, record_identical=False)
    assert first.counts()[FileState.IDENTICAL] == 40
    assert first.stats.files_hashed == 40

    before = pair.remote.stats.requests
    second = await compare(pair.local, pair.remote, pair.index, record_identical=False)
    assert second.counts()[FileState.IDENTICAL] == 40
    assert second.stats.files_hashed == 0, "the hash cache must answer"
    assert pair.remote.stats.requests - before == 1, "one listing page, no request per object"

    # With history recorded, even the hash cache is not consulted for content.
    await compare(pair.local, pair.remote, pair.index)
    third = await compare(pair.local, pair.remote, pair.index)
    assert third.stats.files_hashed == 0
    assert third.stats.head_requests == 0


async def test_foreign_single_part_object_compares_by_md5(pair: Pair) -> None:
    pair.write_local(f"{U}/a.bin", b"identical bytes")
    await pair.put_foreign(f"{U}/a.bin", b"identical bytes")
    pair.write_local(f"{U}/b.bin", b"one version")
    await pair.put_foreign(f"{U}/b.bin", b"two version")
    result = await compare(pair.local, pair.remote, pair.index)
    assert [e.state for e in result.entries] == [FileState.IDENTICAL, FileState.DIFFERENT]
    assert result.stats.head_requests == 0


async def test_foreign_multipart_object_recomputes_etag(pair: Pair) -> None:
    """An 8 MiB-part upload (the aws CLI default) of 11 MiB; our configured part size is 5 MiB."""
    data = os.urandom(11 * MiB)
    pair.write_local(f"{U}/video.mp4", data)
    etag = await pair.put_foreign_multipart(f"{U}/video.mp4", data, 8 * MiB)
    assert etag.endswith("-2")
    changed = bytearray(data)
    changed[-1] ^= 1
    pair.write_local(f"{U}/other.mp4", bytes(changed))
    await pair.put_foreign_multipart(f"{U}/other.mp4", data, 8 * MiB)

    result = await compare(pair.local, pair.remote, pair.index)
    states = {e.path.rsplit("/", 1)[-1]: e.state for e in result.entries}
    assert states == {"video.mp4": FileState.IDENTICAL, "other.mp4": FileState.DIFFERENT}
    # "other" was checked with its metadata (none) after no part size matched: one HEAD.
    assert result.stats.head_requests == 1


async def test_our_multipart_upload_is_identical(pair: Pair, tmp_path: Path) -> None:
    data = os.urandom(12 * MiB)
    pair.write_local(f"{U}/source.mp4", data)
    source = tmp_path / "copy.mp4"
    source.write_bytes(data)
    await pair.remote.upload_file(f"{U}/source.mp4", source)  # 5 MiB parts -> "-3"
    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.IDENTICAL
    assert result.stats.head_requests == 0


def test_object_written_by_the_aws_cli_compares_identical(
    s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    """The real aws CLI (multipart above 8 MiB, no SHA-256 metadata)."""
    import asyncio
    import uuid

    from file_storage import LocalStorageBackend, S3StorageBackend

    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("aws CLI not installed in the venv")
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    data = os.urandom(9 * MiB)
    local_file = tmp_path / "store" / U / "source.mp4"
    local_file.parent.mkdir(parents=True)
    local_file.write_bytes(data)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    subprocess.run(
        [
            str(aws),
            "--endpoint-url",
            s3_server.endpoint_url,
            "s3",
            "cp",
            "--only-show-errors",
            str(local_file),
            f"s3://{TEST_BUCKET}/{prefix}/{U}/source.mp4",
        ],
        env=env,
        check=True,
        timeout=60,
    )

    async def run() -> FileState:
        local = LocalStorageBackend(tmp_path / "store")
        remote = S3StorageBackend(
            TEST_BUCKET,
            prefix=prefix,
            access_key_id=s3_server.access_key,
            secret_access_key=s3_server.secret_key,
            endpoint_url=s3_server.endpoint_url,
        )
        async with local, remote:
            result = await compare(local, remote, None)
            return result.entries[0].state

    assert asyncio.run(run()) is FileState.IDENTICAL


async def test_unsafe_bucket_keys_are_reported_not_compared(pair: Pair) -> None:
    """RELIABILITY S3: a key that is not a safe path is skipped with an error.

    SeaweedFS refuses ``..`` and rewrites ``\\``; a control character and a drive letter stay.
    """
    for name in ("C:evil.txt", "users/line\nbreak.txt", "users/ok.txt"):
        await pair.raw.put_object(Bucket=TEST_BUCKET, Key=pair.key(name), Body=b"x")
    result = await compare(pair.local, pair.remote, pair.index)
    assert [e.path for e in result.entries] == ["users/ok.txt"]
    assert sorted(name for name, _ in result.skipped) == sorted(
        [pair.key("C:evil.txt"), pair.key("users/line\nbreak.txt")]
    )
    plan = build_plan(result, SyncMode.DOWNLOAD)
    assert plan.skipped == result.skipped
    assert [a.path for a in plan.actions] == ["users/ok.txt"]


def test_multipart_etag_helpers(tmp_path: Path) -> None:
    data = os.urandom(11 * MiB)
    (tmp_path / "f").write_bytes(data)
    parts = [data[: 8 * MiB], data[8 * MiB :]]
    expected = multipart_etag(hashlib.md5(p).digest() for p in parts)  # noqa: S324
    _st, sha, md5, etags = hash_file(tmp_path / "f", md5=True, part_sizes=(8 * MiB, 5 * MiB))
    assert sha == hashlib.sha256(data).hexdigest()
    assert md5 == hashlib.md5(data).hexdigest()  # noqa: S324
    assert etags[8 * MiB] == expected
    assert etags[5 * MiB].endswith("-3")
    assert 8 * MiB in candidate_part_sizes(11 * MiB, 2)
    assert candidate_part_sizes(11 * MiB, 3, (5 * MiB,))[0] == 5 * MiB


def test_default_data_dir_matches_the_app() -> None:
    home = Path("/home/u")
    linux = default_data_dir(platform="linux", environ={}, home=home)
    assert linux == home / ".local/share/LeapSync/Leap Sync"
    xdg = default_data_dir(platform="linux", environ={"XDG_DATA_HOME": "/x"}, home=home)
    assert xdg == Path("/x/LeapSync/Leap Sync")
    mac = default_data_dir(platform="darwin", environ={}, home=home)
    assert mac == home / "Library/Application Support/LeapSync/Leap Sync"
