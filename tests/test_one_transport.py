"""One transport (issue 11 item 1): every S3 request of a backend goes out on one pool.

aiobotocore's client (multipart create/complete/abort, delete, list uploads ...), the lean path
(PUT, HEAD, GET) and the presigned listing all send through the backend's ``S3Transport``: one
aiohttp session, one connector, one SSL context, one request counter. Proved from the outside:
a relay in front of SeaweedFS counts the TCP connections it accepts while one backend runs
every kind of request one after another; with keep-alive and one pool that is one connection
(two pools would need at least two).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.backends.s3.transport import BotocoreHTTPSession, client_http_session
from file_storage.bandwidth import BandwidthLimiter
from file_storage.errors import StorageError
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3
from tests.fault_proxy import FaultProxy

MiB = 1024 * 1024


@pytest.fixture
async def relay(s3_server: SeaweedSandbox) -> AsyncIterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy(s3_server.endpoint_url)
    url = await proxy.start()
    try:
        yield proxy, url
    finally:
        await proxy.close()


async def test_every_kind_of_request_shares_one_keep_alive_connection(
    relay: tuple[FaultProxy, str], s3_server: SeaweedSandbox
) -> None:
    proxy, url = relay
    backend = S3StorageBackend(
        TEST_BUCKET,
        prefix=f"t-{uuid.uuid4().hex[:12]}",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=url,
        tuning=S3Tuning(
            part_size=5 * MiB, multipart_threshold=5 * MiB, bandwidth=BandwidthLimiter()
        ),
    )
    async with backend:
        await backend.save("a/one.json", b'{"n": 1}')  # lean PUT (after a HEAD: quota-free)
        assert await backend.exists("a/one.json")  # lean HEAD
        assert await backend.load("a/one.json") == b'{"n": 1}'  # lean GET
        assert await backend.list_files("a") == ["a/one.json"]  # presigned listing
        await backend.list_multipart_uploads()  # aiobotocore: ListMultipartUploads
        await backend.delete("a/one.json")  # aiobotocore: DeleteObject
        assert not await backend.exists("a/one.json")
        transport = backend.transport
        assert transport is not None
        requests = backend.stats.requests
        assert requests >= 7
        assert transport.requests == requests, "every request is counted once, by the transport"
        assert transport.connections == 1, "one pool: the requests reused one connection"
    assert proxy.relayed_connections == 1


async def test_the_client_sends_through_the_backends_transport(make_s3: MakeS3) -> None:
    backend = make_s3()
    await backend.ensure_open()
    session = client_http_session(backend._client)
    # If aiobotocore moves its endpoint's session, client_http_session returns None: this test
    # then fails here, naming the one private access of the transport.
    assert isinstance(session, BotocoreHTTPSession)
    assert session.transport is backend.transport
    transport = backend.transport
    assert transport is not None
    assert transport.ssl_context.check_hostname  # tests/test_tls_hostname.py proves it is used


async def test_a_multipart_upload_counts_each_request_once(make_s3: MakeS3, tmp_path: Path) -> None:
    """Create, two parts and complete: four requests, whichever path sent them."""
    backend = make_s3(tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB))
    await backend.ensure_open()
    source = tmp_path / "ten.bin"
    source.write_bytes(b"x" * (10 * MiB))
    before = backend.stats.requests
    await backend.upload_file("ten.bin", source)
    transport = backend.transport
    assert transport is not None
    spent = backend.stats.requests - before
    # HEAD (quota/exists checks may add one or two), create, 2 parts, complete.
    assert 4 <= spent <= 7, spent
    assert transport.requests == backend.stats.requests


async def test_aiobotocore_calls_retry_only_through_the_one_policy(
    relay: tuple[FaultProxy, str], s3_server: SeaweedSandbox
) -> None:
    """botocore's own retries are off: a call refused with SlowDown is sent exactly
    ``max_attempts`` times (botocore retrying too would multiply them)."""
    proxy, url = relay
    proxy.slowdown_s = 3600.0  # every request is refused
    backend = S3StorageBackend(
        TEST_BUCKET,
        prefix=f"t-{uuid.uuid4().hex[:12]}",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=url,
        tuning=S3Tuning(max_attempts=3, bandwidth=BandwidthLimiter()),
    )
    async with backend:
        assert backend._client.meta.config.retries["total_max_attempts"] == 1
        with pytest.raises(StorageError):
            await backend.delete("gone.txt")  # DeleteObject, through aiobotocore
        assert sum(proxy.slowdowns.values()) == 3
        assert backend.stats.requests == 3
        assert backend.stats.retries == 2
