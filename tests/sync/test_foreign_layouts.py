"""Issue 10, case 3 (compare side): objects other tools wrote with other part sizes compare by
content, through the object's real part layout (``HEAD ?partNumber=N``), not as "different".

aws CLI with ``--multipart-chunksize 12MB`` and s5cmd with ``-p 7`` run for real. rclone is not
installed here: its 7 MiB layout, and an irregular one (parts of different lengths, which some
tools produce when they retry or resize), are written with raw multipart calls.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from bench.cli_tools import aws_binary, cli_env, s5cmd_binary
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import FileState, compare
from tests.conftest import TEST_BUCKET, MiB
from tests.sync.conftest import Pair

U = "users/user_000042/recordings/rec-1"


def upload_with(tool: str, source: Path, url: str, server: SeaweedSandbox, tmp: Path) -> None:
    env = cli_env(server.access_key, server.secret_key, tmp)
    if tool == "aws":
        command = [
            aws_binary(),
            "--endpoint-url",
            server.endpoint_url,
            "s3",
            "cp",
            "--only-show-errors",
            str(source),
            url,
        ]
        (tmp / "aws-config").write_text("[default]\ns3 =\n  multipart_chunksize = 12MB\n")
    else:
        command = [s5cmd_binary(), "--endpoint-url", server.endpoint_url]
        command += ["cp", "-p", "7", str(source), url]
    subprocess.run(command, env=env, check=True, timeout=120, capture_output=True)


@pytest.mark.parametrize(
    ("tool", "size", "parts"), [("aws", 26 * MiB, 3), ("s5cmd", 20 * MiB, 3)], ids=str
)
def test_objects_written_by_other_tools_compare_identical(
    s3_server: SeaweedSandbox, tmp_path: Path, tool: str, size: int, parts: int
) -> None:
    import asyncio

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    data = os.urandom(size)
    local_file = tmp_path / "store" / U / "source.mp4"
    local_file.parent.mkdir(parents=True)
    local_file.write_bytes(data)
    changed = bytearray(data)
    changed[size // 2] ^= 1
    (tmp_path / "store" / U / "other.mp4").write_bytes(bytes(changed))
    for name in ("source.mp4", "other.mp4"):
        url = f"s3://{TEST_BUCKET}/{prefix}/{U}/{name}"
        upload_with(tool, local_file, url, s3_server, tmp_path)

    async def run() -> dict[str, tuple[FileState, str | None]]:
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
            assert not result.skipped
            return {
                e.path.rsplit("/", 1)[-1]: (e.state, e.remote.etag if e.remote else None)
                for e in result.entries
            }

    found = asyncio.run(run())
    assert found["source.mp4"][0] is FileState.IDENTICAL
    assert str(found["source.mp4"][1]).endswith(f"-{parts}"), "a multipart object of the tool"
    assert found["other.mp4"][0] is FileState.DIFFERENT


async def put_parts(pair: Pair, path: str, data: bytes, lengths: list[int]) -> str:
    key = pair.key(path)
    created = await pair.raw.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    parts, start = [], 0
    for number, length in enumerate(lengths, start=1):
        answer = await pair.raw.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=data[start : start + length],
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        start += length
    assert start == len(data)
    done = await pair.raw.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": parts},
    )
    return str(done["ETag"]).strip('"')


async def test_rclone_like_and_irregular_layouts_compare_by_content(pair: Pair) -> None:
    rclone = os.urandom(15 * MiB)  # 7 MiB parts: 7 + 7 + 1
    irregular = os.urandom(14 * MiB)  # 6 + 5 + 3: no single part size explains it
    pair.write_local(f"{U}/rclone.mp4", rclone)
    pair.write_local(f"{U}/irregular.mp4", irregular)
    flipped = bytearray(irregular)
    flipped[-1] ^= 1
    pair.write_local(f"{U}/irregular-other.mp4", bytes(flipped))
    etag = await put_parts(pair, f"{U}/rclone.mp4", rclone, [7 * MiB, 7 * MiB, MiB])
    assert etag.endswith("-3")
    layout = [6 * MiB, 5 * MiB, 3 * MiB]
    await put_parts(pair, f"{U}/irregular.mp4", irregular, layout)
    await put_parts(pair, f"{U}/irregular-other.mp4", irregular, layout)

    result = await compare(pair.local, pair.remote, pair.index)

    states = {e.path.rsplit("/", 1)[-1]: e.state for e in result.entries}
    assert states == {
        "rclone.mp4": FileState.IDENTICAL,
        "irregular.mp4": FileState.IDENTICAL,
        "irregular-other.mp4": FileState.DIFFERENT,
    }
    assert not [e for e in result.entries if e.note.startswith("unverified")]
