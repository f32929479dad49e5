"""Issue 10, cases 1 and 2: what compare may trust, and what must be proven before a delete.

A quick compare may skip reading a file only while its whole stat identity (size, mtime_ns,
ctime_ns, inode) is what it was when its hash was taken; an S3 object's ``x-amz-meta-sha256`` is a
claim that a content check (the ETag) overrules; and ``migrate --delete-source`` deletes a source
only after proving from bytes read at that moment that the other side holds the same content.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from file_storage.cli.main import cli
from file_storage.errors import NotSupportedError
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import FileState, SyncExecutor, SyncMode, build_plan, compare, migrate
from file_storage.sync.index import SyncIndex, SyncRecord, pair_id
from tests.conftest import TEST_BUCKET, MiB
from tests.sync.conftest import Pair
from tests.sync.test_migrate import env_for

U = "users/user_000042/recordings/rec-1"


def edit_in_place_keeping_mtime(full: Path, data: bytes) -> None:
    """What a tag editor does: rewrite bytes in place, same size, then restore the mtime."""
    before = os.stat(full)
    assert len(data) == before.st_size
    with open(full, "r+b") as handle:
        handle.write(data)
    os.utime(full, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(full)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


async def upload_everything(pair: Pair) -> None:
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed


async def test_in_place_edit_keeping_size_and_mtime_is_seen(pair: Pair) -> None:
    full = pair.write_local(f"{U}/audio.m4a", b"original tags + audio", age=60)
    await upload_everything(pair)
    # A second compare records the history from compare itself (hash cache and history warm).
    warm = await compare(pair.local, pair.remote, pair.index)
    assert warm.entries[0].state is FileState.IDENTICAL
    again = await compare(pair.local, pair.remote, pair.index)
    assert again.stats.files_hashed == 0, "unchanged files are still not read"

    edit_in_place_keeping_mtime(full, b"edited!! tags + audio")

    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.CHANGED_LOCAL
    plan = build_plan(result, SyncMode.UPLOAD)
    assert [a.path for a in plan.actions] == [f"{U}/audio.m4a"]
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed
    assert await pair.remote.load(f"{U}/audio.m4a") == b"edited!! tags + audio"


async def test_migrate_delete_source_never_deletes_an_unsynced_in_place_edit(pair: Pair) -> None:
    full = pair.write_local(f"{U}/video.mp4", b"first cut of the video", age=60)
    first = await migrate(pair.local, pair.remote, pair.index)
    assert first.ok, first.failed
    await compare(pair.local, pair.remote, pair.index)  # history and hash cache warm

    edit_in_place_keeping_mtime(full, b"final cut of the video")
    report = await migrate(pair.local, pair.remote, pair.index, delete_source=True)

    assert report.ok, report.failed
    assert report.files_copied == 1, "the edit is copied, not taken for the synced version"
    assert await pair.remote.load(f"{U}/video.mp4") == b"final cut of the video"
    assert report.deleted == [f"{U}/video.mp4"]
    assert not full.exists()


async def test_delete_source_is_proven_from_fresh_bytes_not_from_the_index(pair: Pair) -> None:
    """Even an index that lies (a filesystem whose ctime means nothing, a bug, a restored
    backup) cannot make a migration delete a file the other side does not hold."""
    path = f"{U}/notes.json"
    full = pair.write_local(path, b'{"v": "local only"}', age=60)
    await pair.put_foreign(path, b'{"v": "other data"}')  # same size, other content
    (listed,) = await pair.remote.list_files()
    etag = (await pair.remote.stat(listed)).etag
    st = os.stat(full)
    sha = hashlib.sha256(full.read_bytes()).hexdigest()
    await pair.index.record_synced(
        pair_id(pair.local.base_path, pair.remote.describe()),
        [
            SyncRecord(
                path,
                st.st_size,
                st.st_mtime_ns,
                st.st_ino,
                sha,
                etag,
                st.st_size,
                0.0,
                local_ctime_ns=st.st_ctime_ns,
            )
        ],
    )
    lied = await compare(pair.local, pair.remote, pair.index)
    assert lied.entries[0].state is FileState.IDENTICAL, "the planted history is believed"

    report = await migrate(pair.local, pair.remote, pair.index, delete_source=True)

    assert full.read_bytes() == b'{"v": "local only"}', "the only copy must stay"
    assert report.deleted == []
    assert [p for p, _ in report.failed] == [path]
    assert "differ" in report.failed[0][1]


async def test_planted_sha256_metadata_does_not_beat_the_md5_etag(pair: Pair) -> None:
    local = b"the user's real recording ......"
    other = b"somebody else's bytes, same size"
    assert len(local) == len(other)
    pair.write_local(f"{U}/a.bin", local)
    await pair.raw.put_object(
        Bucket=TEST_BUCKET,
        Key=pair.key(f"{U}/a.bin"),
        Body=other,
        Metadata={"sha256": hashlib.sha256(local).hexdigest()},
    )
    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.DIFFERENT


async def test_planted_sha256_metadata_on_a_multipart_object_is_a_claim(pair: Pair) -> None:
    """11 MiB in 8 MiB parts (the aws CLI layout) with other bytes and our SHA-256 planted."""
    local = os.urandom(11 * MiB)
    other = bytearray(local)
    other[3 * MiB] ^= 0xFF
    pair.write_local(f"{U}/video.mp4", local)
    key = pair.key(f"{U}/video.mp4")
    created = await pair.raw.create_multipart_upload(
        Bucket=TEST_BUCKET, Key=key, Metadata={"sha256": hashlib.sha256(local).hexdigest()}
    )
    parts = []
    for number, start in enumerate(range(0, len(other), 8 * MiB), start=1):
        answer = await pair.raw.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=bytes(other[start : start + 8 * MiB]),
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    await pair.raw.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": parts},
    )
    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.DIFFERENT
    # A migration with delete-source replaces the object (the planted one goes to the trash)
    # and deletes the local original only once the store holds exactly its bytes.
    report = await migrate(pair.local, pair.remote, pair.index, delete_source=True)
    assert report.ok, report.failed
    assert report.files_copied == 1
    assert report.deleted == [f"{U}/video.mp4"]
    stored = await pair.remote.load(f"{U}/video.mp4")
    assert hashlib.sha256(stored).digest() == hashlib.sha256(local).digest()


async def test_an_old_index_without_ctime_opens_and_its_rows_are_not_trusted(
    pair: Pair, tmp_path: Path
) -> None:
    """A version-1 index (no ctime columns) is migrated in place; its rows make compare read
    the file again instead of trusting size, mtime and inode."""
    full = pair.write_local(f"{U}/a.json", b"version one", age=60)
    await pair.put_foreign(f"{U}/a.json", b"version one")
    st = os.stat(full)
    old = tmp_path / "old-index.sqlite3"
    with sqlite3.connect(old) as db:
        db.executescript(
            """
            CREATE TABLE local_hash (
                root TEXT NOT NULL, path TEXT NOT NULL,
                size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
                sha256 TEXT NOT NULL, md5 TEXT, parts TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (root, path)) WITHOUT ROWID;
            CREATE TABLE sync_state (
                pair TEXT NOT NULL, path TEXT NOT NULL,
                local_size INTEGER NOT NULL, local_mtime_ns INTEGER NOT NULL,
                local_inode INTEGER NOT NULL, sha256 TEXT NOT NULL, remote_etag TEXT,
                remote_size INTEGER NOT NULL, synced_at REAL NOT NULL,
                PRIMARY KEY (pair, path)) WITHOUT ROWID;
            CREATE TABLE location (
                store TEXT NOT NULL, path TEXT NOT NULL, side TEXT NOT NULL,
                PRIMARY KEY (store, path)) WITHOUT ROWID;
            PRAGMA user_version=1;
            """
        )
        db.execute(
            "INSERT INTO local_hash VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            (
                str(pair.root),
                f"{U}/a.json",
                st.st_size,
                st.st_mtime_ns,
                st.st_ino,
                "0" * 64,
                hashlib.md5(b"version one").hexdigest(),  # noqa: S324 - a stale cached row
            ),
        )
    async with SyncIndex(old) as index:
        first = await compare(pair.local, pair.remote, index)
        assert first.entries[0].state is FileState.IDENTICAL
        assert first.stats.files_hashed == 1, "a row without ctime is not trusted"
        second = await compare(pair.local, pair.remote, index)
        assert second.stats.files_hashed == 0, "rebuilt rows are trusted again"
    with sqlite3.connect(old) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 2


def test_cli_migrate_delete_source_lists_what_it_deleted_and_what_it_kept(
    s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    env = env_for(
        s3_server, tmp_path / "store", f"t-{uuid.uuid4().hex[:12]}", tmp_path / "index.sqlite3"
    )
    root = Path(env["STORAGE_LOCAL_PATH"])
    folder = root / U
    folder.mkdir(parents=True)
    (folder / "a.json").write_text("aaaa")
    (folder / "b.json").write_text("bbbb")
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate", "--to", "s3"], env=env).exit_code == 0
    edit_in_place_keeping_mtime(folder / "b.json", b"BBBB")

    done = runner.invoke(cli, ["migrate", "--to", "s3", "--delete-source"], env=env)

    assert done.exit_code == 0, done.output
    assert f"deleted source {U}/a.json (proven equal on the other side)" in done.output
    assert f"deleted source {U}/b.json (proven equal on the other side)" in done.output
    assert "1 file (4 B) copied and verified" in done.output
    assert "2 source copies deleted" in done.output
    assert not list(folder.iterdir())


async def test_a_match_by_metadata_alone_stays_unverified(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that tells no part layout (SeaweedFS does, so that one answer is replaced):
    the uploader's sha256 metadata is the only evidence left. The file is identical but says it
    is unverified, and the claim is not recorded as sync history, so the next compare does not
    silently trust it either."""
    data = os.urandom(15 * MiB)  # 7 MiB parts: no usual part size gives this ETag
    pair.write_local(f"{U}/video.mp4", data)
    key = pair.key(f"{U}/video.mp4")
    created = await pair.raw.create_multipart_upload(
        Bucket=TEST_BUCKET, Key=key, Metadata={"sha256": hashlib.sha256(data).hexdigest()}
    )
    parts = []
    for number, start in enumerate(range(0, len(data), 7 * MiB), start=1):
        answer = await pair.raw.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=data[start : start + 7 * MiB],
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    await pair.raw.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": parts},
    )

    async def no_layout(path: str, **_kwargs: object) -> list[int] | None:
        raise NotSupportedError("this server tells no part layout")

    monkeypatch.setattr(pair.remote, "part_sizes", no_layout)
    for _ in range(2):
        result = await compare(pair.local, pair.remote, pair.index)
        (entry,) = result.entries
        assert entry.state is FileState.IDENTICAL
        assert entry.note.startswith("unverified")


def test_cli_diff_shows_an_unverified_match(
    s3_server: SeaweedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`diff` hides identical files, but not one judged by metadata alone (a doubt): an aws CLI
    upload in 7 MiB parts with a sha256 in its metadata, on a server that tells no layout."""
    import subprocess

    from bench.cli_tools import aws_binary
    from bench.cli_tools import cli_env as aws_env
    from file_storage import S3StorageBackend

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    env = env_for(s3_server, tmp_path / "store", prefix, tmp_path / "index.sqlite3")
    data = os.urandom(15 * MiB)
    source = tmp_path / "store" / U / "video.mp4"
    source.parent.mkdir(parents=True)
    source.write_bytes(data)
    (tmp_path / "store" / U / "plain.json").write_text("{}")
    (tmp_path / "aws-config").write_text("[default]\ns3 =\n  multipart_chunksize = 7MB\n")
    for name, meta in (("video.mp4", hashlib.sha256(data).hexdigest()), ("plain.json", "")):
        command = [aws_binary(), "--endpoint-url", s3_server.endpoint_url, "s3", "cp"]
        command += ["--only-show-errors", str(source.with_name(name))]
        command += [f"s3://{TEST_BUCKET}/{prefix}/{U}/{name}"]
        command += ["--metadata", f"sha256={meta}"] if meta else []
        subprocess.run(
            command,
            env=aws_env(s3_server.access_key, s3_server.secret_key, tmp_path),
            check=True,
            timeout=120,
        )

    async def no_layout(self: object, path: str, **_kwargs: object) -> list[int] | None:
        raise NotSupportedError("this server tells no part layout")

    monkeypatch.setattr(S3StorageBackend, "part_sizes", no_layout)
    diff = CliRunner().invoke(cli, ["diff"], env=env)

    assert diff.exit_code == 0, diff.output
    assert f"identical       {U}/video.mp4  (unverified:" in diff.output
    assert f"{U}/plain.json" not in diff.output
    assert "2 identical, 1 of the identical unverified" in diff.output
