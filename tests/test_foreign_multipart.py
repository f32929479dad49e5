"""Multipart objects written by other clients (aws CLI, s5cmd, raw multipart uploads).

The part layout comes from the server (``HEAD ?partNumber=N``), so the multipart ETag of any
object can be recomputed from the bytes: downloads of foreign objects are verified, and a byte
flipped in transit fails the transfer and keeps nothing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.cli_tools import aws_binary
from file_storage import S3StorageBackend
from file_storage.backends.s3_parts import file_multipart_etag, uniform_layout
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3, MiB, write_random

pytestmark = pytest.mark.s3


def aws_cp(server: SeaweedSandbox, source: Path, key: str, *extra: str) -> None:
    """Upload with the aws CLI as "another client" (its default: 8 MiB parts)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.pop("AWS_PROFILE", None)
    subprocess.run(
        [
            aws_binary(),
            "s3",
            "cp",
            "--quiet",
            "--endpoint-url",
            server.endpoint_url,
            str(source),
            f"s3://{TEST_BUCKET}/{key}",
            *extra,
        ],
        env=env,
        check=True,
        timeout=120,
    )


async def raw_multipart(raw_s3: Any, key: str, parts: list[bytes]) -> str:
    """Write ``key`` as a multipart upload with exactly these parts; return its ETag."""
    created = await raw_s3.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    done = []
    for number, data in enumerate(parts, start=1):
        answer = await raw_s3.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=data,
        )
        done.append({"ETag": answer["ETag"], "PartNumber": number})
    result = await raw_s3.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": done},
    )
    return str(result["ETag"]).strip('"')


def test_uniform_layout_arithmetic() -> None:
    assert uniform_layout(20, 8, 3) == [8, 8, 4]
    assert uniform_layout(24, 8, 3) == [8, 8, 8]
    assert uniform_layout(25, 8, 3) is None  # the last part would be longer than part 1
    assert uniform_layout(16, 8, 3) is None  # the last part would be empty
    assert uniform_layout(7, 7, 1) == [7]


async def test_part_sizes_of_aws_cli_object(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    backend: S3StorageBackend = make_s3()
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 123, seed=3)
    aws_cp(s3_server, source, backend.key_for("clips/clip.mp4"))
    expected = [8 * MiB, 8 * MiB, 4 * MiB + 123]
    assert await backend.part_sizes("clips/clip.mp4") == expected
    assert await backend.part_sizes("clips/clip.mp4", exact=True) == expected
    info = await backend.stat("clips/clip.mp4")
    assert file_multipart_etag(source, expected) == info.etag


async def test_part_sizes_of_uneven_parts_need_exact(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """Parts 6, 5, 7 MiB look like "6, 6, 6" from part 1; only ``exact`` tells the truth."""
    backend: S3StorageBackend = make_s3()
    parts = [os.urandom(6 * MiB), os.urandom(5 * MiB), os.urandom(7 * MiB)]
    etag = await raw_multipart(raw_s3, backend.key_for("uneven.bin"), parts)
    guess = await backend.part_sizes("uneven.bin")
    assert guess == [6 * MiB, 6 * MiB, 6 * MiB]
    exact = await backend.part_sizes("uneven.bin", exact=True, etag=etag)
    assert exact == [6 * MiB, 5 * MiB, 7 * MiB]
    whole = tmp_path / "uneven.bin"
    whole.write_bytes(b"".join(parts))
    assert file_multipart_etag(whole, exact) == etag
    assert file_multipart_etag(whole, guess) != etag


async def test_part_sizes_of_single_put_is_none(make_s3: MakeS3, raw_s3: Any) -> None:
    backend: S3StorageBackend = make_s3()
    body = os.urandom(1000)
    await raw_s3.put_object(Bucket=TEST_BUCKET, Key=backend.key_for("one.bin"), Body=body)
    assert await backend.part_sizes("one.bin") is None
    info = await backend.stat("one.bin")
    assert info.etag == hashlib.md5(body).hexdigest()  # noqa: S324


async def test_part_sizes_of_replaced_object_fails(make_s3: MakeS3, raw_s3: Any) -> None:
    from file_storage.errors import ObjectChangedError

    backend: S3StorageBackend = make_s3()
    key = backend.key_for("moving.bin")
    old = await raw_multipart(raw_s3, key, [os.urandom(5 * MiB), os.urandom(MiB)])
    await raw_multipart(raw_s3, key, [os.urandom(5 * MiB), os.urandom(2 * MiB)])
    with pytest.raises(ObjectChangedError):
        await backend.part_sizes("moving.bin", exact=True, etag=old)
