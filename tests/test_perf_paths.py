"""The lean S3 request path (file_storage.backends.s3.fast) keeps the botocore path's guarantees.

Typed errors, retries with backoff, request counting, no signature in logs, and single-GET
downloads that verify the stored SHA-256, on the real SeaweedFS and on a scripted fake endpoint.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from file_storage import (
    ChecksumMismatchError,
    InvalidCredentialsError,
    ObjectChangedError,
    ObjectNotFoundError,
    S3StorageBackend,
    S3Tuning,
    ServiceUnavailableError,
)
from file_storage.atomic import PARTIAL_SUFFIX
from tests.conftest import TEST_BUCKET, MakeS3, MiB, write_random

pytestmark = pytest.mark.s3

Start = Callable[[list[web.Response]], Awaitable[str]]


@pytest.fixture
async def fake_endpoint() -> AsyncIterator[Start]:
    """An HTTP endpoint that answers with the given responses in turn (the last one repeats)."""
    runners: list[web.AppRunner] = []

    async def start(answers: list[web.Response]) -> str:
        seen: list[int] = []

        async def handle(request: web.Request) -> web.StreamResponse:
            await request.read()
            seen.append(1)
            template = answers[min(len(seen), len(answers)) - 1]
            return web.Response(
                status=template.status, body=template.body, headers=dict(template.headers)
            )

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _backend(endpoint: str, attempts: int = 3) -> S3StorageBackend:
    return S3StorageBackend(
        "bucket",
        prefix="p",
        access_key_id="AKIDFAKE",
        secret_access_key="fake-secret-value",
        endpoint_url=endpoint,
        tuning=S3Tuning(max_attempts=attempts, connect_timeout=2, read_timeout=5),
    )


def _error(status: int, code: str) -> web.Response:
    body = f"<Error><Code>{code}</Code><Message>m</Message></Error>".encode()
    return web.Response(status=status, body=body, headers={"Content-Type": "application/xml"})


async def test_slowdown_is_retried_then_succeeds(fake_endpoint: Start) -> None:
    ok = web.Response(status=200, headers={"ETag": '"abc"'})
    endpoint = await fake_endpoint([_error(503, "SlowDown"), _error(500, "InternalError"), ok])
    backend = _backend(endpoint, attempts=3)
    async with backend:
        await backend.save("a.json", b"{}")
        assert backend.stats.requests == 3, "each attempt is counted"


async def test_retries_give_up_with_a_typed_error(fake_endpoint: Start) -> None:
    endpoint = await fake_endpoint([_error(503, "SlowDown")])
    backend = _backend(endpoint, attempts=2)
    async with backend:
        with pytest.raises(ServiceUnavailableError):
            await backend.save("a.json", b"{}")
        assert backend.stats.requests == 2


async def test_auth_failure_is_not_retried_and_not_logged(
    fake_endpoint: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = await fake_endpoint([_error(403, "SignatureDoesNotMatch")])
    backend = _backend(endpoint, attempts=4)
    async with backend:
        with pytest.raises(InvalidCredentialsError) as info:
            await backend.save("a.json", b"{}")
        assert backend.stats.requests == 1
    for text in (caplog.text, str(info.value)):
        assert "fake-secret-value" not in text
        assert "Signature=" not in text


async def test_head_status_codes_translate(fake_endpoint: Start) -> None:
    endpoint = await fake_endpoint([web.Response(status=404)])
    backend = _backend(endpoint)
    async with backend:
        with pytest.raises(ObjectNotFoundError):
            await backend.stat("missing.bin")
        assert not await backend.exists("missing.bin")


async def test_missing_object_download_leaves_nothing(make_s3: MakeS3, tmp_path: Path) -> None:
    backend = make_s3()
    target = tmp_path / "out.bin"
    with pytest.raises(ObjectNotFoundError):
        await backend.download_file("users/none.bin", target)
    assert list(tmp_path.iterdir()) == []


async def test_single_get_download_verifies_sha256(
    make_s3: MakeS3, raw_s3: object, tmp_path: Path
) -> None:
    backend = make_s3()
    source = write_random(tmp_path / "in.bin", 300_000, seed=3)
    key = await backend.upload_file("users/small.bin", source)
    await backend.download_file("users/small.bin", tmp_path / "ok.bin")
    assert (tmp_path / "ok.bin").read_bytes() == source.read_bytes()
    # Same size, other bytes, the original metadata: the download must refuse it.
    await raw_s3.put_object(  # type: ignore[attr-defined]
        Bucket=TEST_BUCKET,
        Key=key,
        Body=os.urandom(300_000),
        Metadata={"sha256": (await backend.stat("users/small.bin")).sha256 or ""},
    )
    with pytest.raises(ChecksumMismatchError):
        await backend.download_file("users/small.bin", tmp_path / "bad.bin")
    assert not (tmp_path / "bad.bin").exists()
    assert [p for p in tmp_path.iterdir() if p.name.endswith(PARTIAL_SUFFIX)] == []


async def test_ranged_download_still_detects_replacement(make_s3: MakeS3, tmp_path: Path) -> None:
    backend = make_s3(tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB))
    source = write_random(tmp_path / "big.bin", 11 * MiB, seed=4)
    await backend.upload_file("users/big.bin", source)
    assert backend._fast is not None
    etag = (await backend.stat("users/big.bin")).etag or ""
    await backend.save("users/big.bin", b"replaced")
    key = backend.key_for("users/big.bin")
    with pytest.raises(ObjectChangedError):
        await backend.open_range(key, 0, 10, etag)


def test_sweep_removes_dead_writers_leftovers_of_any_file(tmp_path: Path) -> None:
    from file_storage.atomic import MARKER_XATTR, sweep_stale_partials

    dead = tmp_path / f".other.mp4.999999-dead{PARTIAL_SUFFIX}"
    dead.write_bytes(b"x")
    os.setxattr(dead, MARKER_XATTR, b"999999-dead")  # as AtomicFile marks its temp files
    mine = tmp_path / f".x.bin.{os.getpid()}-live{PARTIAL_SUFFIX}"
    mine.write_bytes(b"x")
    os.setxattr(mine, MARKER_XATTR, f"{os.getpid()}-live".encode())
    assert sweep_stale_partials(tmp_path / "x.bin") == 1
    assert not dead.exists()
    assert mine.exists(), "a live writer's temp file is kept"
    assert sweep_stale_partials(tmp_path / "y.bin") == 0, "the folder is swept once a minute"
