"""Uploads never overwrite what another client wrote after the compare (issue 10, case 4).

The plan's view goes to the server with the write: ``If-None-Match: *`` when it saw no object,
``If-Match: "<etag>"`` when it replaces one, on PutObject and CompleteMultipartUpload. A refused
write becomes a conflict that keeps both: the other writer's object keeps the name, ours goes to
``name.conflict-local-<stamp>``. Servers that refuse or ignore the headers get a HEAD before the
commit instead (found once per backend by a probe).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.errors import WriteConflictError
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import Action, StepWork, SyncExecutor, SyncMode, build_plan, compare
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random
from tests.flip_proxy import FlipProxy
from tests.sync.conftest import Pair
from tests.test_foreign_multipart import aws_cp

pytestmark = pytest.mark.s3

U = "users/user_000007/recordings/rec-1"


async def remote_bytes(pair: Pair, path: str) -> bytes:
    response = await pair.raw.get_object(Bucket=TEST_BUCKET, Key=pair.key(path))
    async with response["Body"] as body:
        data: bytes = await body.read()
    return data


def conflict_names(keys: list[str], path: str) -> list[str]:
    stem = path.rsplit(".", 1)[0]
    return [k for k in keys if k.startswith(stem + ".conflict-local-")]


@pytest.mark.parametrize("mode", [SyncMode.UPLOAD, SyncMode.TWO_WAY, SyncMode.MIRROR_UP])
@pytest.mark.parametrize("size", [100, 6 * MiB], ids=["put", "multipart"])
async def test_object_created_after_compare_is_kept(
    pair: Pair, mode: SyncMode, size: int, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    ours = os.urandom(size)
    pair.write_local(f"{U}/clip.mp4", ours)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), mode)
    # A colleague's aws CLI writes the same name between the compare and the upload.
    theirs = write_random(tmp_path / "theirs.mp4", 9 * MiB, seed=11)
    aws_cp(s3_server, theirs, pair.key(f"{U}/clip.mp4"))
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed
    assert await remote_bytes(pair, f"{U}/clip.mp4") == theirs.read_bytes()
    [loser] = conflict_names(await pair.remote_keys(), f"{U}/clip.mp4")
    assert report.conflicts == [(f"{U}/clip.mp4", loser)]
    assert await remote_bytes(pair, loser) == ours
    assert pair.read_local(f"{U}/clip.mp4") == ours
    # The copy kept aside is no "deleted locally" file for the next run: nothing deletes it.
    again = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.TWO_WAY)
    assert [a.kind.value for a in again.actions if a.path == loser] == ["download"]


async def test_object_replaced_during_the_upload_is_kept(pair: Pair) -> None:
    """REPLACE_REMOTE: the trash copy is made, then someone writes before our commit."""
    pair.write_local(f"{U}/a.mp4", b"v1")
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    assert (await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)).ok
    ours = os.urandom(6 * MiB)
    pair.write_local(f"{U}/a.mp4", ours)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    assert [a.kind.value for a in plan.actions] == ["replace-remote"]
    wrote = False

    async def runner(action: Action, work: StepWork) -> None:
        async def progress(done: int) -> None:
            nonlocal wrote
            if not wrote:  # after the first part: the object changes under the upload
                wrote = True
                await pair.put_foreign(f"{U}/a.mp4", b"colleague's version")

        await work(progress)

    report = await SyncExecutor(pair.local, pair.remote, pair.index, runner=runner).execute(plan)
    assert wrote
    assert report.ok, report.failed
    assert await remote_bytes(pair, f"{U}/a.mp4") == b"colleague's version"
    [loser] = conflict_names(await pair.remote_keys(), f"{U}/a.mp4")
    assert report.conflicts == [(f"{U}/a.mp4", loser)]
    assert await remote_bytes(pair, loser) == ours
    assert await remote_bytes(pair, report.trashed[0]) == b"v1"


@pytest.mark.parametrize("server", ["refuse", "ignore"])
async def test_servers_without_conditional_writes_get_a_head_check(
    s3_server: SeaweedSandbox, make_s3: MakeS3, raw_s3: Any, tmp_path: Path, server: str
) -> None:
    async with FlipProxy(s3_server.endpoint_url, conditions=server) as proxy:
        backend: S3StorageBackend = make_s3(
            endpoint_url=proxy.url,
            tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB),
        )
        assert not await backend.conditional_writes_honoured()
        seen = proxy.conditional_writes_seen
        source = tmp_path / "a.bin"
        source.write_bytes(b"mine")
        await raw_s3.put_object(Bucket=TEST_BUCKET, Key=backend.key_for("a.bin"), Body=b"theirs")
        with pytest.raises(WriteConflictError):
            await backend.upload_file("a.bin", source, if_none_match=True)
        big = write_random(tmp_path / "big.bin", 6 * MiB)
        await raw_s3.put_object(Bucket=TEST_BUCKET, Key=backend.key_for("b.bin"), Body=b"x")
        with pytest.raises(WriteConflictError):
            await backend.upload_file("b.bin", big, if_match="0" * 32)
        # Where the condition holds, the write goes through (without sending it again).
        await backend.upload_file("c.bin", big, if_none_match=True)
        assert proxy.conditional_writes_seen == seen
        assert await backend.list_multipart_uploads() == []  # the refused one was aborted
    assert (await raw_s3.get_object(Bucket=TEST_BUCKET, Key=backend.key_for("a.bin")))[
        "ContentLength"
    ] == len(b"theirs")


async def test_seaweedfs_honours_conditional_writes(make_s3: MakeS3, tmp_path: Path) -> None:
    backend: S3StorageBackend = make_s3()
    assert await backend.conditional_writes_honoured()
    first = write_random(tmp_path / "a.bin", 6 * MiB, seed=1)
    other = write_random(tmp_path / "b.bin", 6 * MiB, seed=2)
    await backend.upload_file("a.bin", first, if_none_match=True)
    with pytest.raises(WriteConflictError):
        await backend.upload_file("a.bin", other, if_none_match=True)
    # The same bytes again are no conflict (a retried write whose answer was lost looks so).
    await backend.upload_file("a.bin", first, if_none_match=True)
    etag = (await backend.stat("a.bin")).etag
    assert etag is not None
    with pytest.raises(WriteConflictError):
        await backend.upload_file("a.bin", other, if_match="0" * 32)
    await backend.upload_file("a.bin", other, if_match=etag)
    with pytest.raises(WriteConflictError):
        await backend.upload_file("gone.bin", other, if_match=etag)
    assert sha256_of(other) == (await backend.stat("a.bin")).sha256
    assert [p async for page in backend.iter_pages("temp") for p in page.files] == []
