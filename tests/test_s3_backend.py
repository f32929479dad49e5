"""S3-specific behaviour on the real SeaweedFS: client lifetime, config, checksums, logging."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest

from file_storage import ChecksumMismatchError, S3Tuning
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random

pytestmark = pytest.mark.s3


@pytest.mark.parametrize("mode", ["when_required", "when_supported"])
@pytest.mark.parametrize("size", [1, 5 * MiB + 1, 12 * MiB])
async def test_checksum_modes_round_trip_byte_exact(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path, mode: str, size: int
) -> None:
    """botocore >= 1.36 may frame uploads as aws-chunked; the stored bytes must stay exact."""
    tuning = S3Tuning(
        part_size=5 * MiB,
        multipart_threshold=5 * MiB,
        request_checksum_calculation=mode,
        response_checksum_validation=mode,
    )
    backend = make_s3(tuning=tuning)
    source = write_random(tmp_path / "in.bin", size, seed=7)
    key = await backend.upload_file("users/user_000001/recordings/r/source.mp4", source)
    # Read back with a different client: what the server stores is exactly what we sent.
    response = await raw_s3.get_object(Bucket=TEST_BUCKET, Key=key)
    async with response["Body"] as body:
        stored = await body.read()
    assert len(stored) == size
    assert hashlib.sha256(stored).hexdigest() == sha256_of(source)
    assert response["Metadata"]["sha256"] == sha256_of(source)


async def test_client_is_opened_once_and_closed(make_s3: MakeS3) -> None:
    backend = make_s3()
    await backend.save("users/a.json", b"{}")
    client = backend._client
    for i in range(5):
        await backend.save(f"users/{i}.json", b"{}")
        await backend.exists(f"users/{i}.json")
    assert backend._client is client, "one long-lived client per backend"
    await backend.aclose()
    assert backend._client is None


def test_client_config_is_explicit(make_s3: MakeS3) -> None:
    backend = make_s3(tuning=S3Tuning(max_concurrency=12, max_attempts=4))
    config = backend._client_config()
    assert config.max_pool_connections >= 12
    # botocore's own retries are off: every attempt goes through the one RetryPolicy.
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert backend.tuning.retry_policy.attempts == 4
    assert config.signature_version == "s3v4"
    assert config.s3["addressing_style"] == "path"  # custom endpoint
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.connect_timeout == 10.0
    # A silent socket is cut at the stall timeout (30 s by default) when that is the shorter.
    assert config.read_timeout == min(60.0, backend.tuning.stall_timeout)


async def test_abandoned_reads_do_not_exhaust_the_pool(make_s3: MakeS3) -> None:
    """A body that is not closed keeps its connection; enough of them and everything hangs."""
    backend = make_s3(tuning=S3Tuning(max_concurrency=1, max_pool_connections=2))
    await backend.save("users/big.bin", b"x" * (3 * MiB))
    for _ in range(10):
        async for _chunk in backend.iter_chunks("users/big.bin", chunk_size=64 * 1024):
            break  # abandon the stream after one chunk
    await asyncio.wait_for(backend.load("users/big.bin"), timeout=10)


async def test_download_detects_corruption_via_stored_sha256(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    backend = make_s3()
    key = backend.key_for("users/bad.bin")
    await raw_s3.put_object(
        Bucket=TEST_BUCKET, Key=key, Body=b"actual content", Metadata={"sha256": "0" * 64}
    )
    target = tmp_path / "bad.bin"
    with pytest.raises(ChecksumMismatchError, match="SHA-256"):
        await backend.download_file("users/bad.bin", target)
    assert list(tmp_path.iterdir()) == []


async def test_foreign_objects_without_metadata_are_checked_by_md5_etag(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """Objects written by other tools (no sha256 metadata) still download verified."""
    backend = make_s3()
    payload = b"written by another client" * 1000
    await raw_s3.put_object(
        Bucket=TEST_BUCKET, Key=backend.key_for("users/other.bin"), Body=payload
    )
    info = await backend.stat("users/other.bin")
    assert info.sha256 is None
    assert info.etag == hashlib.md5(payload).hexdigest()  # noqa: S324 - S3's ETag is MD5
    await backend.download_file("users/other.bin", tmp_path / "other.bin")
    assert (tmp_path / "other.bin").read_bytes() == payload


async def test_every_operation_is_logged_with_key_bytes_duration(
    make_s3: MakeS3, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    backend = make_s3()
    caplog.set_level(logging.INFO, logger="file_storage")
    await backend.save("users/x.json", b"12345")
    await backend.load("users/x.json")
    await backend.list_files("users")
    await backend.delete("users/x.json")
    text = caplog.text
    for operation in ("put_object", "get_object", "s3 list", "delete_object"):
        assert operation in text
    assert "bytes=5" in text
    assert "users/x.json" in text


async def test_quota_save_costs_no_listing(make_s3: MakeS3) -> None:
    """Usage is counted once; each further save costs a HEAD and a PUT, never a listing."""
    backend = make_s3(max_size_gb=1)
    await backend.save("users/first.json", b"{}")
    before = backend.stats.requests
    for i in range(20):
        await backend.save(f"users/n{i}.json", b"{}")
    assert backend.stats.requests - before == 40
    assert backend.quota.used_bytes == 42


async def test_unreachable_endpoint_is_a_clear_error(make_s3: MakeS3) -> None:
    from file_storage import EndpointUnreachableError

    backend = make_s3(
        endpoint_url="http://127.0.0.1:9",
        tuning=S3Tuning(max_attempts=1, connect_timeout=1),
    )
    with pytest.raises(EndpointUnreachableError, match=r"Cannot reach http://127\.0\.0\.1:9"):
        await backend.save("users/x.json", b"{}")
    result = await backend.check()
    assert not result.ok
    assert "Cannot reach" in result.detail


async def test_missing_bucket_is_a_clear_error(s3_server: Any) -> None:
    from file_storage import BucketNotFoundError, S3StorageBackend

    backend = S3StorageBackend(
        "no-such-bucket-here",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=s3_server.endpoint_url,
    )
    async with backend:
        with pytest.raises(BucketNotFoundError, match="no-such-bucket-here"):
            await backend.list_files()
        result = await backend.check()
        assert not result.ok
        assert isinstance(result.error, BucketNotFoundError)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NoSuchKey", 404, "ObjectNotFoundError"),
        ("NoSuchBucket", 404, "BucketNotFoundError"),
        ("AccessDenied", 403, "AccessDeniedError"),
        ("InvalidAccessKeyId", 403, "InvalidCredentialsError"),
        ("SignatureDoesNotMatch", 403, "InvalidCredentialsError"),
        ("RequestTimeTooSkewed", 403, "ClockSkewError"),
        ("SlowDown", 503, "ServiceUnavailableError"),
        ("PreconditionFailed", 412, "ObjectChangedError"),
        ("BadDigest", 400, "ChecksumMismatchError"),
        ("", 403, "AccessDeniedError"),
        ("", 404, "ObjectNotFoundError"),
        ("WeirdNewCode", 400, "StorageError"),
    ],
)
def test_error_codes_translate_in_one_table(code: str, status: int, expected: str) -> None:
    from file_storage.backends.s3.errors import S3Context, translate_error_code

    ctx = S3Context("get_object", "bucket", "http://127.0.0.1:1", "storage/users/x")
    error = translate_error_code(code, status, "server says <Signature=abcdef0123456789abcd>", ctx)
    assert type(error).__name__ == expected
    assert "abcdef0123456789abcd" not in str(error)
    assert str(error).endswith(".")


def test_clock_skew_message_tells_what_to_do() -> None:
    from file_storage.backends.s3.errors import S3Context, translate_error_code

    error = translate_error_code(
        "RequestTimeTooSkewed", 403, None, S3Context("put_object", "b", "https://s3.example")
    )
    assert "clock" in str(error)


async def test_presigned_get_and_put_work_without_credentials(make_s3: MakeS3) -> None:
    """A share link downloads the object; a PUT link lets someone else upload one."""
    import aiohttp

    backend = make_s3()
    await backend.save("users/shared.txt", b"share me")
    get_url = await backend.get_presigned_url("users/shared.txt", 60)
    put_url = await backend.get_presigned_url("users/incoming.txt", 60, "PUT")
    async with aiohttp.ClientSession() as http:
        async with http.get(get_url) as response:
            assert response.status == 200
            assert await response.read() == b"share me"
        async with http.put(put_url, data=b"uploaded by a link") as response:
            assert response.status == 200
    assert await backend.load("users/incoming.txt") == b"uploaded by a link"
